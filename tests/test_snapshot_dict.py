"""``Snapshot.to_dict`` is written field by field (speed); it must say what ``dataclasses.asdict`` says."""

from __future__ import annotations

import dataclasses
import json

from ovctl.core.model import PropertyDef, SnapMember, Snapshot, SnapTeam


def _snapshot() -> Snapshot:
    return Snapshot(
        members=[SnapMember("ana@x.example", "E1", "Ana", "Núñez", "VP", "fr", "active", "admin", {"Location": "Paris"}),
                 SnapMember("bob@x.example")],
        teams=[SnapTeam("g-1", "Eng", "ENG", None, ["ana@x.example"], ["bob@x.example"], False),
               SnapTeam("g-2", "Ops", parent="g-1", rule_based=True)],
        properties={"Location": PropertyDef("choices", ("Paris",))}, invite_new_members=True,
        protected=["E1"], applied_plans=["a+b"])


def test_every_field_of_members_and_teams_is_written_in_order() -> None:
    snap = _snapshot()
    d = snap.to_dict()
    assert d["members"] == [dataclasses.asdict(m) for m in snap.members]
    assert d["teams"] == [dataclasses.asdict(t) for t in snap.teams]
    assert [list(m) for m in d["members"]] == [[f.name for f in dataclasses.fields(SnapMember)]] * 2
    assert [list(t) for t in d["teams"]] == [[f.name for f in dataclasses.fields(SnapTeam)]] * 2
    assert json.dumps(d["members"]) == json.dumps([dataclasses.asdict(m) for m in snap.members])


def test_the_dict_is_a_copy() -> None:
    snap = _snapshot()
    d = snap.to_dict()
    d["members"][0]["properties"]["Location"] = "x"
    d["teams"][0]["managers"].append("x")
    assert snap.members[0].properties == {"Location": "Paris"} and snap.teams[0].managers == ["ana@x.example"]
