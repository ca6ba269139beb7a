"""The plan: intent-level changes from simulate(), their order, two-sync renames, drift, warnings, convergence."""

from __future__ import annotations

import copy
from dataclasses import replace

from ovctl.core.engine import simulate
from ovctl.core.changes import (DELETED, FieldChange, MembershipAdd, MemberUpdate, TeamAdopt, TeamCreate, TeamMove,
                                TeamRef, TeamRemove, TeamRename)
from ovctl.core.errors import Problem
from ovctl.core.model import Member, Org, PropertyDef, Settings, Snapshot, SnapMember, SnapTeam, Team
from ovctl.core.plan import build_plan, diff_snapshots

PROPS = {"Location": PropertyDef("choices", ("Paris", "Remote"))}


def members(n=4) -> list[Member]:
    return [Member(f"E{i}", f"p{i}@x.com", f"First{i}", f"Last{i}", "Dev", "en", {"Location": "Paris"})
            for i in range(1, n + 1)]


def org(teams, mems=None, **settings) -> Org:
    return Org("Acme", Settings(**settings), dict(PROPS), mems if mems is not None else members(), teams)


def converged(o: Org, base: Snapshot | None = None) -> Snapshot:
    """The account after applying ``o``: the simulated result of its own plan."""
    state = base or Snapshot(properties=dict(PROPS))
    for p in build_plan(o, state).payloads:
        state, _ = simulate(state, p)
    return state


def actions(plan) -> list[tuple[str, str]]:
    return [(c.kind, c.action) for c in plan.changes]


BASE_TEAMS = [Team("ENG", "Engineering", managers=["E1"], members=["E2"]),
              Team("APP", "Apps", parent="ENG", members=["E3"]),
              Team("OPS", "Operations", members=["E4"])]


def test_plan_against_its_own_simulated_result_is_empty():
    o = org(BASE_TEAMS)
    plan = build_plan(o, converged(o))
    assert plan.changes == () and plan.syncs == 1 and plan.safe


def test_example_like_first_plan_creates_teams_parents_first():
    o = org([Team("APP", "Apps", parent="ENG", members=["E3"]), Team("ENG", "Engineering", members=["E1"])])
    plan = build_plan(o, Snapshot(properties=dict(PROPS)))
    created = [c.id for c in plan.changes if isinstance(c, TeamCreate)]
    assert created == ["ENG", "APP"]
    app = next(c for c in plan.changes if isinstance(c, TeamCreate) and c.id == "APP")
    assert app.parent == TeamRef("ENG", "Engineering") and app.members == ("E3",)


def test_changed_name_on_a_keyed_team_is_a_rename():
    state = converged(org(BASE_TEAMS))
    teams = copy.deepcopy(BASE_TEAMS)
    teams[2].name = "Site Operations"
    plan = build_plan(org(teams), state)
    assert actions(plan) == [("team", "rename")]
    assert plan.changes[0] == TeamRename("OPS", before="Operations", after="Site Operations")
    assert plan.changes[0].name == "Site Operations"


def test_idless_team_with_the_same_name_is_adopted():
    state = converged(org(BASE_TEAMS))
    state.teams[2].external_id = None
    plan = build_plan(org(BASE_TEAMS), state)
    assert actions(plan) == [("team", "adopt")]
    assert plan.changes[0] == TeamAdopt("OPS", "Operations", before=None, after="OPS")


def test_new_parent_is_a_move_with_parent_ids_and_names():
    state = converged(org(BASE_TEAMS))
    teams = copy.deepcopy(BASE_TEAMS)
    teams[1].parent = "OPS"
    plan = build_plan(org(teams), state)
    assert actions(plan) == [("team", "move")]
    assert plan.changes[0] == TeamMove("APP", "Apps", before=TeamRef("ENG", "Engineering"),
                                       after=TeamRef("OPS", "Operations"))


def test_team_missing_from_the_org_is_removed_with_its_people():
    state = converged(org(BASE_TEAMS))
    teams = copy.deepcopy(BASE_TEAMS[:2])
    teams[1].members.append("E4")
    plan = build_plan(org(teams), state)
    remove = [c for c in plan.changes if c.action == "remove" and c.kind == "team"]
    assert remove == [TeamRemove("OPS", "Operations", managers=(), members=("E4",))]
    # memberships of a removed team go with it, not as separate changes
    assert not any(c.kind == "membership" and c.team == "OPS" for c in plan.changes)


def test_previous_name_plans_adopt_and_rename_in_two_syncs_keeping_identity():
    state = converged(org(BASE_TEAMS))
    state.teams[2].external_id, state.teams[2].name = None, "Ops (old)"
    teams = copy.deepcopy(BASE_TEAMS)
    teams[2].previous_name = "Ops (old)"
    plan = build_plan(org(teams), state)
    assert plan.syncs == 2 and len(plan.payloads) == 2
    assert actions(plan) == [("team", "adopt"), ("team", "rename")]
    assert {c.id for c in plan.changes} == {"OPS"}
    after = state
    for p in plan.payloads:
        after, _ = simulate(after, p)
    assert [t.officevibe_id for t in after.teams] == [t.officevibe_id for t in state.teams]


def test_rename_without_previous_name_of_an_idless_team_is_remove_and_create():
    state = converged(org(BASE_TEAMS))
    state.teams[2].external_id, state.teams[2].name = None, "Ops (old)"
    plan = build_plan(org(BASE_TEAMS), state)
    assert ("team", "create") in actions(plan) and ("team", "remove") in actions(plan)
    assert plan.syncs == 1


def test_membership_changes_list_every_team_member_and_role_that_differs():
    state = converged(org(BASE_TEAMS))
    teams = copy.deepcopy(BASE_TEAMS)
    teams[0].managers, teams[0].members = ["E2"], ["E2", "E5"]
    plan = build_plan(org(teams, members(5)), state)
    memberships = [(c.action, c.member, c.role) for c in plan.changes if c.kind == "membership"]
    assert memberships == [("add", "E2", "manager"), ("add", "E5", "member"), ("remove", "E1", "manager")]
    add = next(c for c in plan.changes if c.kind == "membership")
    assert add == MembershipAdd(team="ENG", team_name="Engineering", member="E2", email="p2@x.com", role="manager")


def test_member_update_lists_only_changed_fields_and_property_keys():
    state = converged(org(BASE_TEAMS))
    mems = members()
    mems[0].job_title, mems[0].properties = "Lead", {"Location": "Remote"}
    plan = build_plan(org(BASE_TEAMS, mems), state)
    assert actions(plan) == [("member", "update")]
    assert plan.changes[0] == MemberUpdate("E1", "p1@x.com", "First1 Last1",
                                           fields=(FieldChange("job_title", "Dev", "Lead"),),
                                           properties=(FieldChange("Location", "Paris", "Remote"),))


def test_leaver_is_deactivated_and_returner_reactivated():
    state = converged(org(BASE_TEAMS))
    state.members[3].status = "deactivated"
    teams = copy.deepcopy(BASE_TEAMS)
    teams[1].members = ["E1"]
    mems = [m for m in members() if m.id != "E3"]
    plan = build_plan(org(teams, mems), state)
    by_action = {(c.kind, c.action): c for c in plan.changes}
    assert by_action[("member", "deactivate")].id == "E3"
    assert by_action[("member", "deactivate")].after == "deactivated"
    assert by_action[("member", "reactivate")].id == "E4"


def test_changes_come_in_plan_order():
    state = converged(org(BASE_TEAMS))
    state.teams[2].external_id = None  # adopt OPS
    teams = copy.deepcopy(BASE_TEAMS)
    teams[0].name = "Eng"  # rename
    teams[1].parent = None  # move
    teams[1].members = ["E3", "E5"]  # membership add + new member
    teams.append(Team("NEW", "New", members=["E2"]))  # create
    mems = members(5)
    mems[1].job_title = "Boss"  # update
    state.members[0].status = "deactivated"  # reactivate
    mems = [m for m in mems if m.id != "E4"]  # deactivate E4, membership of OPS removed
    teams[2].members = []
    teams[2].managers = ["E1"]
    plan = build_plan(org(teams, mems), state)
    order = ["team create", "team adopt", "team rename", "team move", "member create", "member reactivate",
             "member update", "membership add", "membership remove", "member deactivate", "team remove"]
    seen = [order.index(f"{k} {a}") for k, a in actions(plan)]
    assert seen == sorted(seen)
    assert len(set(seen)) == 10  # every group but team remove


def test_drift_is_the_difference_from_the_state_file_to_the_live_account():
    state = converged(org(BASE_TEAMS))
    live = copy.deepcopy(state)
    live.teams[0].name = "Renamed in the app"
    plan = build_plan(org(BASE_TEAMS), live, drift_from=state)
    assert [(c.kind, c.action) for c in plan.drift] == [("team", "rename")]
    assert plan.drift[0].after == "Renamed in the app"
    assert actions(plan) == [("team", "rename")]  # the plan reverts it
    assert build_plan(org(BASE_TEAMS), live).drift == ()


def test_member_without_external_id_is_matched_by_email_and_shown_as_the_id_attached():
    state = converged(org(BASE_TEAMS))
    state.members[0].external_id = None
    plan = build_plan(org(BASE_TEAMS), state)
    assert actions(plan) == [("member", "update")]
    assert plan.changes[0].fields == (FieldChange("external_id", None, "E1"),) and plan.changes[0].id == "E1"


def test_warnings_for_risk_invites_skips_admins_previous_name_and_validation():
    state = converged(org(BASE_TEAMS))
    state.members[0].role = "admin"
    state.properties = {}
    teams = copy.deepcopy(BASE_TEAMS)
    teams[2].previous_name = "Nowhere"
    teams.append(Team("NEW", "New", members=["E5"]))
    o = org(teams, members(5), risk_users=0, risk_teams=0)
    plan = build_plan(o, state, extra_warnings=[Problem("team id looks like a name", "org.yaml", 3, 5, "warning")])
    codes = [w.code for w in plan.warnings]
    assert codes.count("risk_threshold") == 2
    assert {"invites_off", "skipped", "admin_in_org", "validation"} <= set(codes)
    assert "previous_name_unmatched" not in codes  # OPS already carries its id
    assert any(i.message == "Attribute Not Found" for i in plan.report_issues)
    risk = next(w for w in plan.warnings if w.code == "risk_threshold")
    assert f"{plan.risk_users} user changes > threshold 0" in risk.message


def test_previous_name_without_an_idless_team_warns_that_the_team_is_created():
    o = org([Team("ENG", "Engineering", members=["E1"], previous_name="Tech")])
    plan = build_plan(o, Snapshot(properties=dict(PROPS)))
    assert [w.code for w in plan.warnings if w.code == "previous_name_unmatched"] == ["previous_name_unmatched"]


def test_fingerprints_follow_the_inputs_and_force_is_recorded():
    o = org(BASE_TEAMS)
    state = converged(o)
    a, b = build_plan(o, state), build_plan(copy.deepcopy(o), copy.deepcopy(state), force=True)
    assert (a.fingerprint_desired, a.fingerprint_state) == (b.fingerprint_desired, b.fingerprint_state)
    assert a.fingerprint_desired.startswith("sha256:") and not a.forced and b.forced
    o2 = copy.deepcopy(o)
    o2.members[0].first_name = "X"
    assert build_plan(o2, state).fingerprint_desired != a.fingerprint_desired


def test_diff_of_equal_snapshots_is_empty_and_of_unrelated_ones_is_complete():
    state = converged(org(BASE_TEAMS))
    assert diff_snapshots(state, copy.deepcopy(state)) == []
    changes = diff_snapshots(Snapshot(), state)
    assert sum(c.action == "create" for c in changes) == len(state.members) + len(state.teams)


def test_member_deleted_in_the_app_shows_in_drift():
    state = converged(org(BASE_TEAMS))
    live = copy.deepcopy(state)
    del live.members[3]
    for t in live.teams:
        t.members = [e for e in t.members if e != state.members[3].email]
    drift = diff_snapshots(state, live)
    assert [(c.kind, c.action, c.after) for c in drift if c.kind == "member"] == [("member", "deactivate", DELETED)]
    assert DELETED == "deleted"


def test_rule_based_team_and_unsynced_admin_are_left_alone():
    state = converged(org(BASE_TEAMS))
    state.members.append(SnapMember("admin@x.com", None, "Ad", "Min", role="admin"))
    state.teams.append(SnapTeam("rb", "Paris office", members=["p1@x.com", "admin@x.com"], rule_based=True))
    state.teams[0].members.append("admin@x.com")
    assert build_plan(org(BASE_TEAMS), state).changes == ()


def test_a_skip_repeated_on_every_member_is_one_warning_but_every_issue_is_kept():
    state = converged(org(BASE_TEAMS))
    state.properties = {}
    plan = build_plan(org(BASE_TEAMS), state)
    skipped = [w.message for w in plan.warnings if w.code == "skipped"]
    assert len(skipped) == 1 and "Attribute Not Found: Location" in skipped[0] and "and 1 more" in skipped[0]
    assert len(plan.report_issues) == 4


def test_plan_keeps_each_syncs_simulated_account_outside_its_value():
    """apply uses ``plan.simulated`` as each sync's expected result instead of simulating again:
    it must be exactly the chain of simulations, one per payload (two for a previous_name rename)."""
    teams = [Team(t.id, t.name, parent=t.parent, managers=list(t.managers), members=list(t.members))
             for t in BASE_TEAMS]
    teams[2].previous_name = "Ops (old)"
    base = Snapshot(properties=dict(PROPS), teams=[SnapTeam("g-ops", "Ops (old)")])
    plan = build_plan(org(teams), base)
    assert plan.syncs == 2 and len(plan.simulated) == 2
    state = base
    for payload, kept in zip(plan.payloads, plan.simulated):
        state, _ = simulate(state, payload)
        assert kept == state
    assert replace(plan, simulated=()) == plan and "simulated" not in plan.data()
