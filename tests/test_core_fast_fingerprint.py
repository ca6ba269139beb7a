"""Fingerprint rows built by a compiled dict display (``fingerprint._rows``) against the general
path: json alone with its hook (``_plain`` for every dataclass, no rows, no orjson) and the
previous ``dict(zip(...))`` rows. Saved plan files carry these values, so they must not move by
one bit."""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass
from operator import attrgetter
from typing import Any

from hypothesis import given, settings, strategies as st

from ovctl.core import fingerprint as F, jsontext
from ovctl.core.fingerprint import fingerprint_org, fingerprint_snapshot
from ovctl.core.model import Member, Org, PropertyDef, Settings, Snapshot, SnapMember, SnapTeam, Team


def _hook_only(data: Any) -> str:
    """The canonical JSON with every dataclass turned into a dict by the encoder's hook."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=F._plain)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def reference_rows(items: list[Any]) -> list[Any]:
    """The previous ``_rows``, verbatim."""
    if not items:
        return items
    cls = items[0].__class__
    if not is_dataclass(cls) or any(x.__class__ is not cls for x in items):
        return items
    names = F._FIELD_NAMES.get(cls)
    if names is None:
        names = F._FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    if len(names) < 2:
        return items
    values = list(map(attrgetter(*names), items))
    rows = F._Rows(dict(zip(names, v)) for v in values)
    rows.plain = jsontext.columns_alike(values)
    return rows


_text = st.one_of(st.sampled_from(["", "a", "é", "Ω", "\u202e", '"', "\\", "\n", "😀", "b@x.io"]), st.text(max_size=4))
_maybe = st.one_of(st.none(), _text)
_props = st.dictionaries(_text, _text, max_size=4)
members = st.lists(st.builds(Member, _text, _text, _text, _text, _maybe, _maybe, _props), max_size=4)
snap_members = st.lists(st.builds(SnapMember, _text, _maybe, _text, _text, _maybe, _maybe,
                                  st.sampled_from(["active", "invited"]), st.sampled_from(["member", "admin"]), _props),
                        max_size=4)
teams = st.lists(st.builds(Team, _text, _text, _maybe, st.lists(_text, max_size=2), st.lists(_text, max_size=2), _maybe),
                 max_size=3)
snap_teams = st.lists(st.builds(SnapTeam, _text, _text, _maybe, _maybe, st.lists(_text, max_size=2),
                                st.lists(_text, max_size=2), st.booleans()), max_size=3)
props = st.dictionaries(_text, st.builds(PropertyDef, st.sampled_from(["text", "choices"]),
                                         st.one_of(st.none(), st.tuples(_text))), max_size=2)


@settings(max_examples=400, deadline=None)
@given(members, teams, props, _text)
def test_org_fingerprint_is_the_hook_only_one(mems: list[Member], tms: list[Team], properties: dict, name: str) -> None:
    org = Org(name, Settings(protected=["E1"]), properties, mems, tms)
    assert fingerprint_org(org) == _hook_only(F._plain(org))
    assert fingerprint_org(org) == F._sha256({k: reference_rows(v) if isinstance(v, list) else v
                                              for k, v in F._plain(org).items()})
    rows = F._rows(mems)
    assert rows == reference_rows(mems) and getattr(rows, "plain", None) == getattr(reference_rows(mems), "plain", None)


@settings(max_examples=400, deadline=None)
@given(snap_members, snap_teams, props, st.booleans())
def test_snapshot_fingerprint_is_the_hook_only_one(mems: list[SnapMember], tms: list[SnapTeam], properties: dict,
                                                   invite: bool) -> None:
    snap = Snapshot(mems, tms, properties, invite, protected=["x"], applied_plans=["p"])
    expected = {"format_version": 1, "settings": {"invite_new_members": invite},
                "properties": {k: v.to_dict() for k, v in properties.items()}, "members": mems, "teams": tms}
    assert fingerprint_snapshot(snap) == _hook_only(expected)


def test_mixed_lists_are_left_to_the_hook() -> None:
    mixed = [SnapMember("a@x.io"), Member("E1", "a@x.io", "A", "B")]
    assert F._rows(mixed) is mixed
    assert F._rows([]) == []


def test_a_known_fingerprint_is_unchanged() -> None:
    """A value computed before this change (saved plan files depend on it)."""
    org = Org("Acme", members=[Member("E1", "ann@x.io", "Ann", "Lée", None, "fr", {"Level": "2"})],
              teams=[Team("T1", "Équipe", members=["E1"])])
    assert fingerprint_org(org) == KNOWN_ORG_FINGERPRINT


KNOWN_ORG_FINGERPRINT = "sha256:c980582002d1655223795a199369dfa252f76567cbc86c7d76048f247551485b"  # computed by the code before this change
