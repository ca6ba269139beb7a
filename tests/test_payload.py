"""The payload builder: members with every declared property, mapping rows, two syncs for previous_name."""

from __future__ import annotations

from ovctl.core.engine import simulate
from ovctl.core.model import Member, Org, PropertyDef, Snapshot, SnapTeam, Team
from ovctl.core.payload import build_payloads


def org(teams, members=None, properties=None) -> Org:
    members = members or [Member("E1", "a@x.com", "Ann", "A"), Member("E2", "b@x.com", "Bob", "B")]
    return Org("Acme", properties=properties or {}, members=members, teams=teams)


def test_one_payload_when_no_rename_needs_adopting():
    payloads = build_payloads(org([Team("T", "Team", members=["E1"])]), Snapshot())
    assert len(payloads) == 1
    assert [(t.external_id, t.name) for t in payloads[0].teams] == [("T", "Team")]


def test_previous_name_of_an_idless_team_gives_two_syncs_old_name_first():
    o = org([Team("T", "New name", members=["E1"], previous_name="Old name"), Team("U", "Other", members=["E2"])])
    first, second = build_payloads(o, Snapshot(teams=[SnapTeam("g1", "Old name")]))
    assert [t.name for t in first.teams] == ["Old name", "Other"]
    assert [t.name for t in second.teams] == ["New name", "Other"]
    assert first.members == second.members and first.mappings == second.mappings


def test_previous_name_is_ignored_when_a_team_already_carries_the_id():
    o = org([Team("T", "New name", members=["E1"], previous_name="Old name")])
    s = Snapshot(teams=[SnapTeam("g1", "Old name"), SnapTeam("g2", "Whatever", "T")])
    assert len(build_payloads(o, s)) == 1


def test_previous_name_is_ignored_for_a_rule_based_or_keyed_team():
    o = org([Team("T", "New name", members=["E1"], previous_name="Old name")])
    assert len(build_payloads(o, Snapshot(teams=[SnapTeam("g1", "Old name", rule_based=True)]))) == 1
    assert len(build_payloads(o, Snapshot(teams=[SnapTeam("g1", "Old name", "OTHER")]))) == 1


def test_two_syncs_keep_the_team_identity():
    o = org([Team("T", "New name", members=["E1"], previous_name="Old name")])
    state = Snapshot(teams=[SnapTeam("g1", "Old name")])
    for p in build_payloads(o, state):
        state, _ = simulate(state, p)
    assert [(t.officevibe_id, t.external_id, t.name) for t in state.teams] == [("g1", "T", "New name")]


def test_every_declared_property_is_sent_and_a_missing_value_is_empty():
    props = {"Location": PropertyDef("choices", ("Paris",)), "Level": PropertyDef("numeric")}
    members = [Member("E1", "a@x.com", "A", "A", properties={"Level": "3"}), Member("E2", "b@x.com", "B", "B")]
    (p,) = build_payloads(org([Team("T", "T", members=["E1", "E2"])], members, props), Snapshot())
    assert [m.properties for m in p.members] == [{"Location": "", "Level": "3"}, {"Location": "", "Level": ""}]


def test_one_mapping_row_per_team_and_person_with_both_flags():
    o = org([Team("T", "Team", managers=["E1"], members=["E1", "E2"])])
    (p,) = build_payloads(o, Snapshot())
    rows = [(m.team, m.member, m.is_manager, m.is_member) for m in p.mappings]
    assert rows == [("T", "E1", True, True), ("T", "E2", False, True)]


def test_one_subteam_row_per_parent_and_subteam():
    o = org([Team("P", "Parent", members=["E1"]), Team("C", "Child", parent="P", members=["E2"])])
    (p,) = build_payloads(o, Snapshot())
    sub = [(m.team, m.subteam, m.member) for m in p.mappings if m.subteam]
    assert sub == [("P", "C", None)]
