"""``wire.decode_payload`` (a fast path per row) against the field-by-field reader it replaces.

The sandbox decodes every sync body with ``decode_payload``; rows whose fields all have the common
type are built directly, any other row goes through ``decode_payload_general``'s per-field code.
These tests hold the two to the same result on generated bodies of every shape, good and bad: the
same ``Payload`` (equal, and with the same type at every leaf: ``True`` never passes for ``1``) and the same
settings, or the same ``PayloadRejected`` message. ``_decode_as_released`` is the decoder as it was
before the fast path (verbatim), so the reference itself is checked against the released behaviour.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields, is_dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovctl.account import wire
from ovctl.account.wire import (IS_MANAGER, IS_MEMBER, Flavor, _flag, _property_value, _text, decode_payload,
                                decode_payload_general)
from ovctl.core.errors import PayloadRejected
from ovctl.core.model import Mapping, Payload, PayloadMember, PayloadTeam

DIFF = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _decode_as_released(body: Any, fl: Flavor) -> tuple[Payload, dict[str, Any]]:
    """``decode_payload`` as released before the fast path (main at 6ad3893), kept verbatim."""
    if not isinstance(body, dict):
        raise PayloadRejected("request body must be a JSON object")
    if "settings" in body and not fl.allows_settings:
        raise PayloadRejected("the 'settings' section is not accepted by API provisioning; remove it")
    for section in (fl.members, fl.teams, fl.mappings):
        value = body.get(section)
        if not value:
            raise PayloadRejected(f"the '{section}' section is missing or empty; the sync was rejected "
                                  "to prevent accidental deletion")
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            raise PayloadRejected(f"the '{section}' section must be a list of objects")
    known = {fl.m_id, fl.m_email, fl.m_first, fl.m_last, fl.m_title, fl.m_language, "productAssignations", "imageUrl"}
    members = []
    for i, row in enumerate(body[fl.members]):
        where = f"{fl.members}[{i}]"
        members.append(PayloadMember(
            external_id=_text(row, fl.m_id, where), email=_text(row, fl.m_email, where),
            first_name=_text(row, fl.m_first, where, False) or "", last_name=_text(row, fl.m_last, where, False) or "",
            job_title=_text(row, fl.m_title, where, False), language=_text(row, fl.m_language, where, False),
            properties={k: _property_value(v, f"{where}.{k}") for k, v in row.items() if k not in known},
        ))
    teams = [PayloadTeam(external_id=_text(r, fl.t_id, f"{fl.teams}[{i}]"), name=_text(r, fl.t_name, f"{fl.teams}[{i}]"))
             for i, r in enumerate(body[fl.teams])]
    mappings = []
    for i, row in enumerate(body[fl.mappings]):
        where = f"{fl.mappings}[{i}]"
        mappings.append(Mapping(team=_text(row, fl.map_team, where), member=_text(row, fl.map_member, where, False),
                                subteam=_text(row, fl.map_subteam, where, False),
                                is_member=_flag(row, IS_MEMBER), is_manager=_flag(row, IS_MANAGER)))
    settings = body.get("settings") if isinstance(body.get("settings"), dict) else {}
    return Payload(members=members, teams=teams, mappings=mappings), settings


class Text(str):
    """A ``str`` subclass: not the common type, so its row takes the general path."""


def typed(value: Any) -> Any:
    """``value`` with the exact type of every leaf beside it: ``True`` and ``1``, or a ``str`` and a
    ``str`` subclass, are equal in Python but not the same decoding."""
    if is_dataclass(value):
        return type(value).__name__, tuple((f.name, typed(getattr(value, f.name))) for f in fields(value))
    if isinstance(value, dict):
        return tuple((typed(k), typed(v)) for k, v in value.items())
    if isinstance(value, list):
        return [typed(v) for v in value]
    return type(value).__name__, value


def outcome(decode: Any, body: Any, fl: Flavor) -> tuple[Any, ...]:
    """What a decoder gives: ("ok", payload, its typed form, settings) or ("rejected", message)."""
    try:
        payload, sync_settings = decode(body, fl)
    except PayloadRejected as e:
        return ("rejected", str(e))
    return ("ok", payload, typed(payload), sync_settings)


def assert_same(body: Any, fl: Flavor) -> tuple[Any, ...]:
    fast = outcome(decode_payload, body, fl)
    assert fast == outcome(decode_payload_general, body, fl)
    assert fast == outcome(_decode_as_released, body, fl)
    return fast


# ------------------------------------------------------------------ generated bodies

# Every kind of value a field may hold: the common ones, empty, absent-as-null, and the odd ones.
SCALAR = st.one_of(
    st.none(), st.just(""), st.just(" "), st.booleans(), st.integers(-10**20, 10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4).map(Text),
    st.sampled_from(["true", " TRUE ", "1", "yes", "no", "false", "0"]),
)
ODD = st.one_of(SCALAR, st.just({}), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
                st.just([]), st.lists(st.text(max_size=2), max_size=2))
COMMON = st.text(max_size=6)
VALUE = st.one_of(COMMON, COMMON, ODD)
PROPERTY_KEYS = ["Location", "Level", "productAssignations", "imageUrl", "x"]


def weighted(*choices: tuple[int, Any]) -> st.SearchStrategy[Any]:
    """One of ``choices`` (weight, value), roughly in proportion to the weights (hypothesis favours
    the first entries: put the common choice first)."""
    return st.sampled_from([value for weight, value in choices for _ in range(weight)])


def common_rows(fields: dict[str, bool], flags: bool, properties: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Rows of the common shape, what ovctl sends (a non-empty ``str`` where required, ``str`` or
    nothing where optional, ``bool`` flags): the fast path's rows. Property values may be odd (they
    do not decide the path)."""
    parts: dict[str, Any] = {name: st.text(min_size=1, max_size=6) for name, needed in fields.items() if needed}
    optional = {name: st.one_of(st.none(), COMMON) for name, needed in fields.items() if not needed}
    if flags:
        optional.update({IS_MEMBER: st.booleans(), IS_MANAGER: st.booleans()})
    if properties:
        optional.update({k: st.one_of(COMMON, COMMON, COMMON, ODD) for k in PROPERTY_KEYS})
    return st.fixed_dictionaries(parts, optional=optional)


@st.composite
def odd_rows(draw: Any, common: st.SearchStrategy[dict[str, Any]], fields: list[str]) -> dict[str, Any]:
    """A common row with one to three of its fields set to any value (or removed): every way a row
    leaves the fast path, alone or together."""
    row = dict(draw(common))
    for name in draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3)):
        value = draw(st.one_of(VALUE, st.just(REMOVE)))
        if value is REMOVE:
            row.pop(name, None)
        else:
            row[name] = value
    return row


REMOVE = object()


@st.composite
def bodies(draw: Any) -> tuple[Any, Flavor]:
    """A body whose sections each hold rows of the common shape only, or (drawn for each section)
    odd rows among them: an error in every section would hide the later sections' rows."""
    fl = draw(st.sampled_from(wire.flavors()))
    member_fields = {fl.m_id: True, fl.m_email: True, fl.m_first: False, fl.m_last: False, fl.m_title: False,
                     fl.m_language: False}
    mapping_fields = {fl.map_team: True, fl.map_member: False, fl.map_subteam: False}
    shapes = {
        fl.members: (common_rows(member_fields, False, True), [*member_fields, *PROPERTY_KEYS]),
        fl.teams: (common_rows({fl.t_id: True, fl.t_name: True}, False, False), [fl.t_id, fl.t_name]),
        fl.mappings: (common_rows(mapping_fields, True, False), [*mapping_fields, IS_MEMBER, IS_MANAGER]),
    }
    body: dict[str, Any] = {}
    for section, (common, names) in shapes.items():
        kind = draw(weighted((20, "rows"), (1, "missing"), (1, "not a list"), (1, "not objects")))
        if kind == "missing":
            continue
        if kind == "not a list":
            body[section] = draw(st.one_of(st.just([]), st.just({}), st.text(max_size=3), st.integers()))
        elif kind == "not objects":
            body[section] = draw(st.lists(st.one_of(common, st.integers(), st.text(max_size=2)), min_size=1,
                                          max_size=3))
        elif draw(st.booleans()):
            body[section] = draw(st.lists(st.one_of(common, odd_rows(common, names)), min_size=1, max_size=6))
        else:
            body[section] = draw(st.lists(common, min_size=1, max_size=4))
    if draw(weighted((5 if fl.allows_settings else 20, False), (1, True))):
        body["settings"] = draw(st.one_of(st.dictionaries(st.text(max_size=3), VALUE, max_size=2), ODD))
    if draw(weighted((30, False), (1, True))):
        return draw(st.one_of(st.none(), st.lists(st.integers(), max_size=2), st.text(max_size=3))), fl
    return body, fl


@DIFF
@given(bodies())
def test_fast_decoder_matches_the_field_by_field_reader(case: tuple[Any, Flavor]) -> None:
    body, fl = case
    assert_same(body, fl)


@DIFF
@given(bodies())
def test_same_result_after_a_json_round_trip(case: tuple[Any, Flavor]) -> None:
    """What the sandbox decodes: a parsed request (plain str, int, float, bool, None, dict, list)."""
    body, fl = case
    try:
        text = json.dumps(body, default=str)
    except ValueError:
        return
    assert_same(json.loads(text), fl)


# ------------------------------------------------------------------ edge cases, one by one

# Every value a single field may hold instead of its common one (REMOVE: the key is absent).
CATALOGUE: list[Any] = [REMOVE, None, "", " ", "x", "Québec", True, False, 0, 1, 2, -1, 10**20, 1.0, 0.5, -0.0,
                        math.nan, math.inf, Text("x"), Text(""), {}, {"a": 1}, [], ["x"], "true", " Yes ", "0", "off"]


def common_body(fl: Flavor) -> dict[str, Any]:
    """Two rows per section of the common shape, every field present (the second row is varied)."""
    member = {fl.m_id: "E1", fl.m_email: "a@x.com", fl.m_first: "A", fl.m_last: "B", fl.m_title: "T",
              fl.m_language: "fr", "Location": "Q"}
    mapping = {fl.map_team: "T", fl.map_member: "E1", fl.map_subteam: "S", IS_MEMBER: True, IS_MANAGER: False}
    return {fl.members: [member, dict(member)], fl.teams: [{fl.t_id: "T", fl.t_name: "N"}] * 2,
            fl.mappings: [mapping, dict(mapping)]}


@pytest.mark.parametrize("fl", wire.flavors(), ids=wire.flavor_names())
def test_every_single_field_deviation_decodes_as_released(fl: Flavor) -> None:
    """Each field of each row kind, set to each catalogue value in turn (the others common)."""
    varied = {fl.members: [fl.m_id, fl.m_email, fl.m_first, fl.m_last, fl.m_title, fl.m_language, "Location",
                           "productAssignations"],
              fl.teams: [fl.t_id, fl.t_name],
              fl.mappings: [fl.map_team, fl.map_member, fl.map_subteam, IS_MEMBER, IS_MANAGER]}
    for section, names in varied.items():
        for name in names:
            for value in CATALOGUE:
                body = common_body(fl)
                row = dict(body[section][1])
                if value is REMOVE:
                    row.pop(name, None)
                else:
                    row[name] = value
                body[section][1] = row
                try:
                    assert_same(body, fl)
                except AssertionError:
                    pytest.fail(f"{section}.{name} = {value!r}: the fast decoder differs")


FL = wire.WORKLEAP


def body_with(member: dict[str, Any] | None = None, team: dict[str, Any] | None = None,
              mapping: dict[str, Any] | None = None) -> dict[str, Any]:
    ok_member = {"externalMemberId": "E1", "email": "a@x.com", "firstName": "A", "lastName": "B"}
    return {"members": [ok_member, member or ok_member], "teams": [team or {"externalTeamId": "T", "teamName": "N"}],
            "teamMappings": [mapping or {"externalTeamId": "T", "externalMemberId": "E1",
                                         "isMember": True, "isManager": False}]}


@pytest.mark.parametrize(("member", "message"), [
    ({"email": "b@x.com"}, "members[1]: missing required field 'externalMemberId'"),
    ({"externalMemberId": "", "email": "b@x.com"}, "members[1]: missing required field 'externalMemberId'"),
    ({"externalMemberId": "E2", "email": None}, "members[1]: missing required field 'email'"),
    ({"externalMemberId": ["E2"], "email": "b@x.com"}, "members[1]: field 'externalMemberId' must be a string"),
    ({"externalMemberId": "E2", "email": "b@x.com", "jobTitle": {}}, "members[1]: field 'jobTitle' must be a string"),
    ({"externalMemberId": "E2", "email": "b@x.com", "Level": [1]}, "members[1].Level must be a string, number or boolean"),
    ({"externalMemberId": "E2", "email": "b@x.com", "firstName": 1, "Level": {}},
     "members[1].Level must be a string, number or boolean"),
])
def test_bad_member_rows_are_refused_with_the_released_message(member: dict[str, Any], message: str) -> None:
    assert assert_same(body_with(member=member), FL) == ("rejected", message)


@pytest.mark.parametrize(("team", "mapping", "message"), [
    ({"externalTeamId": "T"}, None, "teams[0]: missing required field 'teamName'"),
    ({"externalTeamId": "T", "teamName": 5.0}, {"externalTeamId": ""}, "teamMappings[0]: missing required field "
                                                                       "'externalTeamId'"),
    (None, {"externalTeamId": "T", "externalSubteamId": {}}, "teamMappings[0]: field 'externalSubteamId' must be "
                                                             "a string"),
    ({"externalTeamId": "T", "teamName": ""}, None, "teams[0]: missing required field 'teamName'"),
])
def test_bad_team_and_mapping_rows_are_refused_with_the_released_message(
        team: dict[str, Any] | None, mapping: dict[str, Any] | None, message: str) -> None:
    assert assert_same(body_with(team=team, mapping=mapping), FL) == ("rejected", message)


def test_odd_values_are_normalised_as_released() -> None:
    member = {"externalMemberId": 7, "email": "b@x.com", "firstName": "", "lastName": None, "jobTitle": "",
              "languagePreferences": True, "Level": 2.0, "Rate": 0.5, "Flag": False, "Gone": None, "Big": 10**20,
              "Odd": math.inf, "Sub": Text("s"), "productAssignations": [1], "imageUrl": {}}
    mapping = {"externalTeamId": "T", "externalMemberId": "", "externalSubteamId": None, "isMember": " Yes ",
               "isManager": 1}
    _, payload, _, _ = assert_same(body_with(member=member, mapping=mapping), FL)
    assert payload.members[1] == PayloadMember(
        external_id="7", email="b@x.com", first_name="", last_name="", job_title=None, language="true",
        properties={"Level": "2", "Rate": "0.5", "Flag": "false", "Gone": "", "Big": "100000000000000000000",
                    "Odd": "inf", "Sub": "s"})
    assert type(payload.members[1].properties["Sub"]) is str
    assert payload.mappings[0] == Mapping(team="T", member=None, subteam=None, is_member=True, is_manager=True)
    assert payload.mappings[0].is_manager is True  # bool(1), not 1


@pytest.mark.parametrize("flag", [0, 1, 2.5, "", None, [], {"a": 1}, "off"])
def test_a_mapping_flag_of_another_type_is_read_as_released(flag: Any) -> None:
    _, payload, _, _ = assert_same(body_with(mapping={"externalTeamId": "T", "isMember": flag, "isManager": False}), FL)
    assert type(payload.mappings[0].is_member) is bool


def test_common_rows_keep_their_values_and_empty_optionals_become_none() -> None:
    member = {"externalMemberId": "E2", "email": "b@x.com", "firstName": "", "jobTitle": "", "languagePreferences": "fr",
              "Location": "Québec", "Empty": ""}
    body = body_with(member=member, mapping={"externalTeamId": "T", "externalMemberId": "", "isMember": False})
    _, payload, _, _ = assert_same(body, FL)
    assert payload.members[1] == PayloadMember(external_id="E2", email="b@x.com", first_name="", last_name="",
                                               job_title=None, language="fr",
                                               properties={"Location": "Québec", "Empty": ""})
    assert payload.mappings[0] == Mapping(team="T", member=None, subteam=None, is_member=False, is_manager=False)


def test_the_first_bad_row_is_the_one_reported() -> None:
    body = body_with()
    body["members"] += [{"externalMemberId": "E3"}, {"email": "d@x.com"}]
    assert assert_same(body, FL) == ("rejected", "members[2]: missing required field 'email'")


def test_legacy_settings_are_returned() -> None:
    fl = wire.LEGACY
    body = {"settings": {"inviteNewUsers": "true"}, "users": [{"id": "E1", "email": "a@x.com"}],
            "groups": [{"id": "G", "name": "N"}], "mappings": [{"groupId": "G", "userId": "E1", "isMember": True}]}
    assert assert_same(body, fl)[3] == {"inviteNewUsers": "true"}
