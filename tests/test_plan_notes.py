"""The plan's warnings about team identity and admins (core/plannotes.py), in every format."""

from __future__ import annotations

import json

from ovctl.core.changes import TeamAdopt, TeamCreate, TeamMove, TeamRemove
from ovctl.core.engine import simulate
from ovctl.core.model import Member, Org, Settings, Snapshot, SnapMember, SnapTeam, Team
from ovctl.core.plan import build_plan
from ovctl.core.plandata import plan_from_data
from ovctl.render import render_plan
from ovctl.render.wording import summary_line


def people(n: int) -> list[Member]:
    return [Member(f"E{i}", f"p{i}@x.com", f"First{i}", f"Last{i}") for i in range(1, n + 1)]


def org(teams: list[Team], n: int = 8) -> Org:
    return Org("Acme", Settings(), {}, people(n), teams)


def converged(o: Org, base: Snapshot | None = None) -> Snapshot:
    state = base or Snapshot()
    for p in build_plan(o, state).payloads:
        state, _ = simulate(state, p)
    return state


def codes(plan) -> list[str]:
    return [w.code for w in plan.warnings]


def warning(plan, code: str):
    return next(w for w in plan.warnings if w.code == code)


def snap_people(n: int) -> list[SnapMember]:
    return [SnapMember(f"p{i}@x.com", f"E{i}", f"First{i}", f"Last{i}") for i in range(1, n + 1)]


# --------------------------------------------------------------------------- adoption by name and parent


def test_plan_adopts_each_idless_team_of_a_repeated_name_under_its_own_parent():
    s = Snapshot(members=snap_people(2), teams=[
        SnapTeam("g-s", "Sales", "SALES"), SnapTeam("g-o", "Ops", "OPS"),
        SnapTeam("g-e1", "East", parent="g-s", members=["p1@x.com"]),
        SnapTeam("g-e2", "East", parent="g-o", members=["p2@x.com"])])
    o = org([Team("SALES", "Sales"), Team("OPS", "Ops"), Team("OPS-E", "East", parent="OPS", members=["E2"]),
             Team("SALES-E", "East", parent="SALES", members=["E1"])], n=2)
    plan = build_plan(o, s)
    assert sorted((c.id, c.before, c.after) for c in plan.changes if isinstance(c, TeamAdopt)) == [
        ("OPS-E", None, "OPS-E"), ("SALES-E", None, "SALES-E")]
    assert not any(isinstance(c, (TeamMove, TeamCreate, TeamRemove)) for c in plan.changes)
    assert "team_adoption_ambiguous" not in codes(plan) and plan.safe


def test_ambiguous_idless_teams_are_named_adopted_by_none_and_the_plan_is_blocked():
    s = Snapshot(members=snap_people(1), teams=[SnapTeam("g-1", "East", members=["p1@x.com"]),
                                                SnapTeam("g-2", "East")])
    plan = build_plan(org([Team("EAST", "East", members=["E1"])], n=1), s)
    w = warning(plan, "team_adoption_ambiguous")
    assert "team EAST 'East'" in w.message and "East (g-1), East (g-2)" in w.message and "at the top level" in w.message
    assert "adopts none" in w.message
    assert w.details == {"name": "East", "teams": ["EAST"], "parent": None, "reason": "account",
                         "candidates": [{"officevibe_id": "g-1", "path": ["East"]},
                                        {"officevibe_id": "g-2", "path": ["East"]}]}
    assert [(c.kind, c.action) for c in plan.changes if c.kind == "team"] == [("team", "create"), ("team", "remove"),
                                                                               ("team", "remove")]
    assert {g.guard for g in plan.guards} == {"rekeyed_team"}  # the history loss is refused, not just noted
    # previous_name would not help (it matches by name too): the guard says to rename them apart
    assert all("cannot be told apart" in g.message and "set previous_name" not in g.message for g in plan.guards)


def test_sub_team_under_ambiguous_parents_names_the_paths():
    s = Snapshot(members=snap_people(1), teams=[SnapTeam("g-s1", "Sales"), SnapTeam("g-s2", "Sales"),
                                                SnapTeam("g-e1", "East", parent="g-s1"),
                                                SnapTeam("g-e2", "East", parent="g-s2")])
    plan = build_plan(org([Team("SALES", "Sales", members=["E1"]), Team("EAST", "East", parent="SALES")], n=1), s)
    east = [w for w in plan.warnings if w.code == "team_adoption_ambiguous" and w.details["name"] == "East"]
    assert len(east) == 1 and east[0].details["reason"] == "parents"
    assert "under 'Sales'" in east[0].message and "Sales / East (g-e1), Sales / East (g-e2)" in east[0].message


# --------------------------------------------------------------------------- looks like a different team


BASE = [Team("ENG", "Engineering", managers=["E1"], members=["E2", "E3", "E4"])]


def test_team_keeping_its_id_while_most_people_are_replaced_gets_a_warning_with_counts():
    state = converged(org(BASE))
    plan = build_plan(org([Team("ENG", "Engineering", managers=["E1"], members=["E5", "E6", "E7"])]), state)
    w = warning(plan, "team_looks_different")
    assert w.details == {"team": "ENG", "name": "Engineering", "kept": 1, "removed": 3, "added": 3}
    assert "1 of its 4 people kept, 3 removed, 3 added" in w.message


def test_half_replaced_a_shrinking_team_a_role_change_or_a_small_team_do_not_warn():
    state = converged(org(BASE))
    for teams in ([Team("ENG", "Engineering", managers=["E1"], members=["E2", "E5", "E6"])],  # 2 of 4: not more than half
                  [Team("ENG", "Engineering", managers=["E1"])],  # 3 leave, nobody joins: smaller, same team
                  [Team("ENG", "Engineering", managers=["E2", "E3", "E4"], members=["E1"])]):  # roles swapped
        assert "team_looks_different" not in codes(build_plan(org(teams), state))
    small = converged(org([Team("ENG", "Engineering", managers=["E1"], members=["E2"])]))
    swapped = build_plan(org([Team("ENG", "Engineering", managers=["E3"], members=["E4"])]), small)
    assert "team_looks_different" not in codes(swapped)  # 2 people before: under the floor of 3


def test_email_changes_are_not_people_replaced():
    state = converged(org(BASE))
    mems = people(8)
    for m in mems[1:4]:
        m.email = m.email.replace("@x.com", "@new.example")
    plan = build_plan(Org("Acme", Settings(), {}, mems, BASE), state)
    assert "team_looks_different" not in codes(plan)


# --------------------------------------------------------------------------- admins left out


def admin_state(o: Org) -> Snapshot:
    state = converged(o)
    state.members.append(SnapMember("boss@x.com", None, "Bo", "Ss", role="executive"))
    state.teams[0].managers.append("boss@x.com")
    return state


def test_admin_left_out_of_the_org_keeping_a_team_role_is_named_not_hidden():
    o = org(BASE)
    plan = build_plan(o, admin_state(o))
    assert plan.changes == () and not plan.pending  # nothing to send, nothing the sync would do
    w = warning(plan, "admin_kept_in_team")
    assert w.message.startswith("boss@x.com is an executive the org leaves out and stays manager of 'Engineering' (ENG)")
    assert w.details == {"email": "boss@x.com", "role": "executive",
                         "teams": [{"team": "ENG", "name": "Engineering", "role": "manager"}]}
    assert "matches the org" not in summary_line(plan)
    assert "1 team role of admins or executives" in summary_line(plan)


def test_admin_in_the_org_is_not_kept_but_synced():
    o = org(BASE)
    state = admin_state(o)
    state.members[-1].external_id = "E9"
    with_admin = Org("Acme", Settings(), {}, [*people(8), Member("E9", "boss@x.com", "Bo", "Ss")], BASE)
    plan = build_plan(with_admin, state)
    assert "admin_kept_in_team" not in codes(plan)
    assert [(c.action, c.member, c.role) for c in plan.changes if c.kind == "membership"] == [("remove", "E9", "manager")]


# --------------------------------------------------------------------------- every format


def test_every_format_shows_the_warnings_escaped_and_the_plan_json_round_trips_details():
    s = Snapshot(members=snap_people(1), teams=[SnapTeam("g-1", "Ea\u202est"), SnapTeam("g-2", "Ea\u202est")])
    o = org([Team("EAST", "Ea\u202est", members=["E1"])], n=1)
    plan = build_plan(o, s)
    text, md = render_plan(plan, "text"), render_plan(plan, "markdown")
    assert "[team_adoption_ambiguous]" in text and "(`team_adoption_ambiguous`)" in md
    for out in (text, md):
        assert "\u202e" not in out and "Ea\\u202est" in out
    data = json.loads(render_plan(plan, "json"))
    w = next(w for w in data["warnings"] if w["code"] == "team_adoption_ambiguous")
    assert w["details"]["name"] == "Ea\u202est"  # JSON keeps the value exactly
    assert plan_from_data(plan.data()).data() == plan.data()


def test_plan_json_warning_details_that_are_not_an_object_are_refused():
    import pytest

    from ovctl.core.plandata import PlanDataError

    data = build_plan(org(BASE), converged(org(BASE))).data()
    data["warnings"] = [{"code": "admin_kept_in_team", "message": "m", "details": ["not", "an", "object"]}]
    with pytest.raises(PlanDataError, match=r"plan.warnings\[0\].details must be an object"):
        plan_from_data(data)


def test_an_imported_account_with_repeated_team_names_plans_only_id_attachments():
    """`ovctl import state` mirrors the account: each "East" is adopted by its own import, no move."""
    from ovctl.sources.snapshot import org_from_snapshot

    s = Snapshot(members=snap_people(2), teams=[
        SnapTeam("g-s", "Sales", members=["p1@x.com"]), SnapTeam("g-o", "Ops", members=["p2@x.com"]),
        SnapTeam("g-e1", "East", parent="g-s", members=["p1@x.com"]),
        SnapTeam("g-e2", "East", parent="g-o", members=["p2@x.com"])])
    plan = build_plan(org_from_snapshot(s, source="state").org, s)
    assert {(c.kind, c.action) for c in plan.changes} == {("team", "adopt")} and len(plan.changes) == 4
    assert "team_adoption_ambiguous" not in codes(plan) and plan.safe
