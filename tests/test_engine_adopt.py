"""Adoption of id-less teams by name and parent, and the notes a sync keeps for the plan (engine/adopt.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ovctl.core import engine
from ovctl.core.engine import AmbiguousTeam, KeptAdminRole, simulate, simulate_noted
from ovctl.core.model import Mapping, Payload, PayloadMember, PayloadTeam, Snapshot, SnapMember, SnapTeam

A = SnapMember("a@x.com", "E1", "Ann", "A")


def body(teams: list[tuple[str, str, str | None]], members=(PayloadMember("E1", "a@x.com", "Ann", "A"),),
         extra: list[Mapping] | None = None) -> Payload:
    """Payload teams (id, name, parent id); Ann is a member of the first."""
    rows = [Mapping(team=teams[0][0], member="E1", is_member=True)]
    rows += [Mapping(team=parent, subteam=tid) for tid, _, parent in teams if parent is not None]
    return Payload(members=list(members), teams=[PayloadTeam(tid, name) for tid, name, _ in teams],
                   mappings=rows + (extra or []))


def ids(snapshot: Snapshot) -> dict[str, str | None]:
    return {t.officevibe_id: t.external_id for t in snapshot.teams}


def test_two_idless_teams_of_one_name_are_adopted_by_the_org_team_under_the_same_parent():
    s = Snapshot(members=[A], teams=[SnapTeam("g-s", "Sales", "SALES"), SnapTeam("g-o", "Ops", "OPS"),
                                     SnapTeam("g-e1", "East", parent="g-s"), SnapTeam("g-e2", "East", parent="g-o")])
    # listed the other way round from the account: order must not decide
    p = body([("SALES", "Sales", None), ("OPS", "Ops", None), ("OPS-E", "East", "OPS"), ("SALES-E", "East", "SALES")])
    out, report, notes = simulate_noted(s, p)
    assert ids(out) == {"g-s": "SALES", "g-o": "OPS", "g-e1": "SALES-E", "g-e2": "OPS-E"}
    assert [i.message for i in report.updates].count(engine.TEAM_ADOPTED) == 2
    assert engine.TEAM_MOVED not in [i.message for i in report.updates]
    assert notes.ambiguous_teams == []


def test_parents_adopted_in_the_same_sync_identify_their_sub_teams():
    s = Snapshot(members=[A], teams=[SnapTeam("g-e1", "East", parent="g-s"), SnapTeam("g-e2", "East", parent="g-o"),
                                     SnapTeam("g-s", "Sales"), SnapTeam("g-o", "Ops")])
    p = body([("SALES", "Sales", None), ("OPS", "Ops", None), ("OPS-E", "East", "OPS"), ("SALES-E", "East", "SALES")])
    out, _, notes = simulate_noted(s, p)
    assert ids(out) == {"g-e1": "SALES-E", "g-e2": "OPS-E", "g-s": "SALES", "g-o": "OPS"}
    assert notes.ambiguous_teams == []


def test_two_idless_teams_of_one_name_under_one_parent_are_ambiguous_and_neither_is_adopted():
    s = Snapshot(members=[A], teams=[SnapTeam("g-1", "East"), SnapTeam("g-2", "East")])
    out, report, notes = simulate_noted(s, body([("EAST", "East", None)]))
    assert "g-1" not in ids(out) and "g-2" not in ids(out)  # both removed, a new East created
    assert [i.message for i in report.updates] == [engine.TEAM_CREATED, engine.TEAM_REMOVED, engine.TEAM_REMOVED]
    assert notes.ambiguous_teams == [AmbiguousTeam("East", ("EAST",), None, (("g-1", ("East",)), ("g-2", ("East",))),
                                                   "account")]


def test_two_org_teams_of_one_name_under_one_parent_do_not_share_one_idless_team():
    s = Snapshot(members=[A], teams=[SnapTeam("g-1", "East"), SnapTeam("g-2", "East", parent="g-x"),
                                     SnapTeam("g-x", "X", "X")])
    out, _, notes = simulate_noted(s, body([("X", "X", None), ("E1", "East", None), ("E2", "East", None)]))
    assert "g-1" not in ids(out)
    assert [(n.team_ids, n.reason) for n in notes.ambiguous_teams] == [(("E1", "E2"), "org")]


def test_sub_teams_of_ambiguous_parents_stay_ambiguous():
    s = Snapshot(members=[A], teams=[SnapTeam("g-s1", "Sales"), SnapTeam("g-s2", "Sales"),
                                     SnapTeam("g-e1", "East", parent="g-s1"), SnapTeam("g-e2", "East", parent="g-s2")])
    _, _, notes = simulate_noted(s, body([("SALES", "Sales", None), ("EAST", "East", "SALES")]))
    assert [(n.name, n.reason, [c[1] for c in n.candidates]) for n in notes.ambiguous_teams] == [
        ("Sales", "account", [("Sales",), ("Sales",)]),
        ("East", "parents", [("Sales", "East"), ("Sales", "East")])]


def test_a_unique_name_is_adopted_whatever_its_parent():
    s = Snapshot(members=[A], teams=[SnapTeam("g-o", "Ops", "OPS"), SnapTeam("g-e", "East", parent="g-o")])
    out, report, notes = simulate_noted(s, body([("OPS", "Ops", None), ("EAST", "East", None)]))
    assert ids(out)["g-e"] == "EAST" and engine.TEAM_MOVED in [i.message for i in report.updates]
    assert notes.ambiguous_teams == []


def test_repeated_name_with_no_candidate_under_the_parent_is_created_without_a_note():
    s = Snapshot(members=[A], teams=[SnapTeam("g-1", "East", parent="g-a"), SnapTeam("g-2", "East", parent="g-b"),
                                     SnapTeam("g-a", "A", "A"), SnapTeam("g-b", "B", "B")])
    out, _, notes = simulate_noted(s, body([("A", "A", None), ("B", "B", None), ("EAST", "East", None)]))
    assert "g-1" not in ids(out) and "g-2" not in ids(out)
    assert notes.ambiguous_teams == []


def test_simulate_is_simulate_noted_without_the_notes():
    s = Snapshot(members=[A], teams=[SnapTeam("g-1", "East"), SnapTeam("g-2", "East")])
    assert simulate(s, body([("EAST", "East", None)])) == simulate_noted(s, body([("EAST", "East", None)]))[:2]


def test_admin_absent_from_the_payload_keeping_a_team_role_is_noted():
    boss = SnapMember("boss@x.com", None, "Bo", "Ss", role="admin")
    s = Snapshot(members=[A, boss], teams=[SnapTeam("g-1", "Team", "T", managers=["boss@x.com"], members=["a@x.com"]),
                                           SnapTeam("g-rb", "Rule", members=["boss@x.com"], rule_based=True),
                                           SnapTeam("g-gone", "Gone", "GONE", members=["boss@x.com"])])
    out, _, notes = simulate_noted(s, body([("T", "Team", None)]))
    assert notes.kept_admin_roles == [KeptAdminRole("boss@x.com", "admin", "T", "Team", "manager")]
    assert next(t for t in out.teams if t.external_id == "T").managers == ["boss@x.com"]


def test_admin_in_the_payload_is_not_noted():
    boss = SnapMember("boss@x.com", "E9", "Bo", "Ss", role="admin")
    s = Snapshot(members=[A, boss], teams=[SnapTeam("g-1", "Team", "T", managers=["boss@x.com"])])
    members = (PayloadMember("E1", "a@x.com", "Ann", "A"), PayloadMember("E9", "boss@x.com", "Bo", "Ss"))
    out, _, notes = simulate_noted(s, body([("T", "Team", None)], members))
    assert notes.kept_admin_roles == [] and out.teams[0].managers == []



# --------------------------------------------------------------------------- property: a mirrored tree


@st.composite
def idless_trees(draw):
    """An account of id-less teams with names from a tiny alphabet (so names repeat): (name, parent index)."""
    n = draw(st.integers(1, 12))
    return [(draw(st.sampled_from("ABC")), draw(st.none() | st.integers(0, i - 1)) if i else None) for i in range(n)]


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(idless_trees())
def test_an_org_mirroring_the_account_tree_adopts_only_the_mirror_and_every_team_it_can_tell_apart(tree):
    """Org team Ti mirrors account team gi. Whatever the repeats, a team is only ever adopted by its
    mirror; a team whose ancestors are adopted and whose name no sibling shares is adopted; a team
    noted as ambiguous is adopted by none."""
    teams = [SnapTeam(f"g{i}", name, parent=None if p is None else f"g{p}") for i, (name, p) in enumerate(tree)]
    rows = [Mapping(team="T0", member="E1", is_member=True)] + [
        Mapping(team=f"T{p}", subteam=f"T{i}") for i, (_, p) in enumerate(tree) if p is not None]
    mirrored = Payload(members=[PayloadMember("E1", "a@x.com", "Ann", "A")],
                       teams=[PayloadTeam(f"T{i}", name) for i, (name, _) in enumerate(tree)], mappings=rows)
    out, _, notes = simulate_noted(Snapshot(members=[A], teams=teams), mirrored)
    adopted = {int(t.officevibe_id[1:]): t.external_id for t in out.teams if t.officevibe_id.startswith("g")}
    assert all(ext == f"T{i}" for i, ext in adopted.items())
    for i, (name, p) in enumerate(tree):
        siblings = [j for j, (other, q) in enumerate(tree) if q == p and other == name]
        if len(siblings) == 1 and (p is None or p in adopted):
            assert i in adopted
    ambiguous = {int(ov[1:]) for n in notes.ambiguous_teams for ov, _ in n.candidates}
    assert ambiguous.isdisjoint(adopted)
