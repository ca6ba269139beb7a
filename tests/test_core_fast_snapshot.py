"""The snapshot's fast member path (``snapshot._plain_member``) against the code it replaced and
against the checked path (``snapshot._member``): on any entry, the new fast path gives what the
previous one gave (a member or None), and a member it builds is the one ``_member`` builds."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from ovctl.core.errors import SnapshotError
from ovctl.core.model import ROLES, STATUSES, SnapMember
from ovctl.core.snapshot import _MEMBER, _MEMBER_KEYS, _Checker, _member, _plain_member, snapshot_from_dict


def reference_plain_member(raw: Any) -> SnapMember | None:
    """The previous ``_plain_member``, verbatim."""
    if type(raw) is not dict or not raw.keys() <= _MEMBER_KEYS:
        return None
    email = raw.get("email")
    if type(email) is not str or "@" not in email or not email.strip():
        return None
    get = raw.get
    ext, first, last, title, lang = texts = (get("external_id"), get("first_name"), get("last_name"),
                                             get("job_title"), get("language"))
    for v in texts:
        if v is not None and type(v) is not str:
            return None
    status, role = get("status", "active"), get("role", "member")
    if status not in STATUSES or role not in ROLES:
        return None
    props = get("properties", {})
    if type(props) is not dict:
        return None
    if props:
        if not all(type(k) is str and type(v) is str for k, v in props.items()):
            return None
        props = {k: v for k, v in props.items() if v}
    else:
        props = {}
    return SnapMember(email, ext or None, first or "", last or "", title or None, lang or None, status, role, props)


class _Text(str):
    """A str subclass: not the exact type the fast path wants."""


_scalars = st.one_of(st.none(), st.sampled_from(["", " ", "a@b.io", "A@B.IO ", "nope", "active", "admin", "x"]),
                     st.text(max_size=4), st.integers(-2, 2), st.booleans(), st.floats(allow_nan=True),
                     st.builds(_Text, st.sampled_from(["a@b.io", "x"])))
_values = st.one_of(_scalars, st.lists(_scalars, max_size=2), st.dictionaries(st.text(max_size=2), _scalars, max_size=2))
_props = st.one_of(st.dictionaries(st.one_of(st.sampled_from(["Location", "Level", ""]), st.integers(0, 2)),
                                   st.one_of(st.sampled_from(["", "Paris", "2"]), _scalars), max_size=4),
                   _values)
_fields = {"email": st.one_of(st.sampled_from(["a@b.io", " a@b.io ", "@", " @ ", "ab"]), _scalars),
           "external_id": st.one_of(st.sampled_from(["E1", ""]), _values), "first_name": _values,
           "last_name": _values, "job_title": _values, "language": _values,
           "status": st.one_of(st.sampled_from(STATUSES), _scalars), "role": st.one_of(st.sampled_from(ROLES), _scalars),
           "properties": _props}


@st.composite
def entries(draw: Any) -> Any:
    """Member entries: complete ones (as ovctl writes them), with fields left out, with unknown
    fields, and things that are not objects at all."""
    kind = draw(st.sampled_from(["written", "written", "complete", "partial", "extra", "other"]))
    if kind == "other":
        return draw(_values)
    if kind == "written":  # as a state file has them, with now and then one field off
        text = st.one_of(st.none(), st.sampled_from(["", "Ann", "x"]), st.text(max_size=3))
        entry = {"email": draw(st.sampled_from(["a@b.io", "A@b.io ", " @ "])), "external_id": draw(text),
                 "first_name": draw(text), "last_name": draw(text), "job_title": draw(text), "language": draw(text),
                 "status": draw(st.sampled_from(STATUSES)), "role": draw(st.sampled_from(ROLES)),
                 "properties": draw(st.dictionaries(st.sampled_from(["Location", "Level", "Hire Date"]),
                                                    st.sampled_from(["", "Paris", "2"]), max_size=3))}
        if draw(st.booleans()):
            del entry[draw(st.sampled_from(_MEMBER))]
        if draw(st.integers(0, 4)) == 0:
            entry[draw(st.sampled_from(_MEMBER))] = draw(_values)
        return entry
    names = list(_MEMBER) if kind == "complete" else draw(st.lists(st.sampled_from(_MEMBER), unique=True))
    entry = {name: draw(_fields[name]) for name in names}
    if kind == "extra":
        entry[draw(st.sampled_from(["nickname", "Email", "id"]))] = draw(_scalars)
    return entry


def _checked(raw: Any) -> SnapMember | str:
    try:
        return _member(_Checker("state.json"), raw, "members[0]", {})
    except SnapshotError as e:
        return f"error: {e}"


@settings(max_examples=1500, deadline=None)
@given(entries())
def test_fast_member_path_matches_the_previous_one_and_the_checked_one(raw: Any) -> None:
    fast = _plain_member(raw)
    assert fast == reference_plain_member(raw)
    if fast is not None:
        assert fast == _checked(raw)
        if isinstance(raw.get("properties"), dict):
            assert fast.properties is not raw["properties"]  # never the parsed document's dict


def test_a_written_member_takes_the_fast_path() -> None:
    raw = {"email": "a@b.io", "external_id": "E1", "first_name": "A", "last_name": "B", "job_title": None,
           "language": "fr", "status": "invited", "role": "admin", "properties": {"Location": "Paris", "Level": ""}}
    assert _plain_member(raw) == SnapMember("a@b.io", "E1", "A", "B", None, "fr", "invited", "admin",
                                            {"Location": "Paris"})
    assert _plain_member({"email": "a@b.io"}) == SnapMember("a@b.io")


@pytest.mark.parametrize("raw, message", [
    ({"email": "a@b.io", "status": "actve"}, "members[0].status: 'actve' is not one of"),
    ({"email": "ab"}, "members[0].email: 'ab' is not an email address"),
    ({"email": "a@b.io", "first_name": 3}, "members[0].first_name: expected a string, got int"),
    ({"email": "a@b.io", "properties": {"L": ["x"]}}, "members[0].properties.L: expected a single value, got a list"),
])
def test_entries_the_fast_path_declines_are_reported_as_before(raw: dict, message: str) -> None:
    assert _plain_member(raw) is None
    with pytest.raises(SnapshotError, match="^" + message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        snapshot_from_dict({"members": [raw]})
