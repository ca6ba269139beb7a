"""Safety guards: each fires above its limit (with a floor), says by how much and how to proceed."""

from __future__ import annotations

import copy

from ovctl.core.engine import simulate
from ovctl.core.model import Member, Org, Safety, Settings, Snapshot, Team
from ovctl.core.plan import build_plan


def people(n: int) -> list[Member]:
    return [Member(f"E{i}", f"p{i}@x.com", f"F{i}", f"L{i}") for i in range(1, n + 1)]


def org(mems, teams, protected=(), **safety) -> Org:
    return Org("Acme", Settings(safety=Safety(**safety), protected=list(protected)), {}, mems, teams)


def applied(o: Org) -> Snapshot:
    state = Snapshot()
    for p in build_plan(o, state).payloads:
        state, _ = simulate(state, p)
    return state


def one_team(mems) -> list[Team]:
    return [Team("ALL", "Everyone", members=[m.id for m in mems])]


def guards(plan) -> list[str]:
    return [g.guard for g in plan.guards]


def test_one_leaver_in_a_five_person_org_is_not_blocked():
    mems = people(5)
    state = applied(org(mems, one_team(mems)))
    plan = build_plan(org(mems[:4], one_team(mems[:4])), state)
    assert [c.action for c in plan.changes if c.kind == "member"] == ["deactivate"]
    assert plan.safe


def test_deactivations_above_the_ratio_and_floor_are_blocked():
    mems = people(40)
    state = applied(org(mems, one_team(mems)))
    stay = mems[:34]  # 6 leavers > max(5, 10% of 40 = 4)
    plan = build_plan(org(stay, one_team(stay)), state)
    (g,) = plan.guards
    assert (g.guard, g.actual, g.limit) == ("deactivation_ratio", 6, 5)
    assert "--force" in g.message and "6 members" in g.message
    assert sorted(g.subjects) == sorted(m.id for m in mems[34:])
    assert build_plan(org(mems[:35], one_team(mems[:35])), state).safe  # 5 is at the limit, not above


def test_deactivation_limit_grows_with_the_ratio():
    mems = people(40)
    state = applied(org(mems, one_team(mems)))
    stay = mems[:34]
    assert build_plan(org(stay, one_team(stay), max_deactivation_ratio=0.2), state).safe


def test_team_removals_above_the_ratio_and_floor_are_blocked():
    mems = people(3)
    teams = [Team(f"T{i}", f"Team {i}", members=["E1"]) for i in range(12)]
    state = applied(org(mems, teams))
    plan = build_plan(org(mems, teams[:6], floor=5, max_team_removal_ratio=0.25), state)
    (g,) = plan.guards
    assert (g.guard, g.actual, g.limit) == ("team_removal_ratio", 6, 5)
    assert build_plan(org(mems, teams[:7], floor=5, max_team_removal_ratio=0.25), state).safe


def test_protected_member_would_be_deactivated():
    mems = people(5)
    state = applied(org(mems, one_team(mems)))
    plan = build_plan(org(mems[1:], one_team(mems[1:]), protected=["E1"]), state)
    assert guards(plan) == ["protected_member"]
    assert "E1" in plan.guards[0].message and "--force" in plan.guards[0].message


def test_protection_kept_in_the_state_file_survives_removal_from_the_yaml():
    mems = people(5)
    state = applied(org(mems, one_team(mems)))
    state.protected = ["E1"]
    assert guards(build_plan(org(mems[1:], one_team(mems[1:])), state)) == ["protected_member"]


def test_team_rekeyed_under_a_new_id_with_the_same_name_is_blocked():
    mems = people(4)
    state = applied(org(mems, [Team("MGR-BOB", "Platform", members=["E1", "E2"]), Team("X", "X", members=["E3", "E4"])]))
    plan = build_plan(org(mems, [Team("PLAT", "platform", members=["E3"]), Team("X", "X", members=["E1", "E2", "E4"])]),
                      state)
    (g,) = plan.guards
    assert g.guard == "rekeyed_team"
    assert "set id: MGR-BOB" in g.message and "--force" in g.message


def test_team_rekeyed_with_most_of_its_members_is_blocked():
    mems = people(5)
    state = applied(org(mems, [Team("MGR-BOB", "Bob's team", members=["E1", "E2", "E3"]), Team("X", "X", members=["E4", "E5"])]))
    plan = build_plan(org(mems, [Team("PLAT", "Platform", members=["E1", "E2"]), Team("X", "X", members=["E3", "E4", "E5"])]),
                      state)
    assert guards(plan) == ["rekeyed_team"]
    assert "2 of its 3 people" in plan.guards[0].message


def test_new_team_with_a_minority_of_a_removed_teams_members_is_not_a_rekey():
    mems = people(5)
    state = applied(org(mems, [Team("OLD", "Old", members=["E1", "E2", "E3", "E4"]), Team("X", "X", members=["E5"])]))
    plan = build_plan(org(mems, [Team("NEW", "New", members=["E1", "E2"]), Team("X", "X", members=["E3", "E4", "E5"])]),
                      state)
    assert plan.safe


def test_rekeyed_idless_team_suggests_previous_name():
    mems = people(3)
    state = applied(org(mems, [Team("A", "Alpha", members=["E1", "E2"]), Team("B", "B", members=["E3"])]))
    state.teams[0].external_id = None
    plan = build_plan(org(mems, [Team("A", "Alpha 2", members=["E1", "E2"]), Team("B", "B", members=["E3"])]), state)
    assert guards(plan) == ["rekeyed_team"]
    assert "previous_name: Alpha" in plan.guards[0].message


def test_force_records_the_override_but_keeps_the_guards_listed():
    mems = people(5)
    state = applied(org(mems, one_team(mems)))
    o = org(mems[1:], one_team(mems[1:]), protected=["E1"])
    plan = build_plan(o, copy.deepcopy(state), force=True)
    assert plan.forced and not plan.safe and guards(plan) == ["protected_member"]


def test_rekeyed_team_guard_names_both_ids_and_what_matched_without_a_limit():
    from ovctl.render import text

    mems = people(5)
    by_name = build_plan(org(mems, [Team("PLAT", "platform", members=["E3"]), Team("X", "X", members=["E1", "E2", "E4"])]),
                         applied(org(mems, [Team("MGR-BOB", "Platform", members=["E1", "E2"]),
                                            Team("X", "X", members=["E3", "E4"])])))
    by_people = build_plan(org(mems, [Team("PLAT", "Platform", members=["E1", "E2"]),
                                      Team("X", "X", members=["E3", "E4", "E5"])]),
                           applied(org(mems, [Team("MGR-BOB", "Bob's team", members=["E1", "E2", "E3"]),
                                              Team("X", "X", members=["E4", "E5"])])))
    for plan, matched in ((by_name, "with the same name"), (by_people, "with 2 of its 3 people")):
        (g,) = plan.guards
        assert "(MGR-BOB)" in g.message and "(PLAT)" in g.message and matched in g.message
        assert g.subjects == ["MGR-BOB", "PLAT"] and g.limit is None
        line = next(x for x in text.render(plan, color=False).splitlines() if "x rekeyed_team" in x)
        assert "limit" not in line and "actual" not in line
