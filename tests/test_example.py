"""The shipped example: `ovctl plan examples/org.yaml --state examples/state.json` shows every change
action, is safe (a new user's first plan is green), leaves the admin and the rule-based team alone,
and converges once applied."""

from __future__ import annotations

from pathlib import Path

from ovctl.core.engine import simulate
from ovctl.core.model import ACTIONS
from ovctl.files.orgfile import load_org
from ovctl.core.plan import build_plan
from ovctl.files.statefile import read_snapshot

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example_plan():
    loaded = load_org([EXAMPLES / "org.yaml"])
    state = read_snapshot(EXAMPLES / "state.json")
    return loaded.org, state, build_plan(loaded.org, state, extra_warnings=loaded.warnings)


def test_example_plan_shows_every_action_and_is_safe():
    _, _, plan = example_plan()
    shown = {(c.kind, c.action) for c in plan.changes}
    assert shown == {(kind, action) for kind, actions in ACTIONS.items() for action in actions}
    assert plan.safe, [g.message for g in plan.guards]
    assert plan.syncs == 2  # ENG-PLAT: previous_name -> adopt + rename


def test_example_previous_name_team_is_adopted_then_renamed():
    _, _, plan = example_plan()
    eng_plat = [(c.action, c.before, c.after) for c in plan.changes if c.kind == "team" and c.id == "ENG-PLAT"]
    assert eng_plat == [("adopt", None, "ENG-PLAT"), ("rename", "Infrastructure", "Platform Engineering")]


def test_example_leaves_the_admin_and_the_rule_based_team_alone():
    _, state, plan = example_plan()
    admins = {m.email for m in state.members if m.role != "member"}
    rule_based = {t.name for t in state.teams if t.rule_based}
    assert admins and rule_based
    touched_members = {c.email for c in plan.changes if c.kind in ("member", "membership")}
    touched_teams = {c.team_name if c.kind == "membership" else c.name for c in plan.changes}
    assert not admins & touched_members
    assert not rule_based & touched_teams


def test_example_converges_once_applied():
    org, state, plan = example_plan()
    for payload in plan.payloads:
        state, _ = simulate(state, payload)
    again = build_plan(org, state)
    assert again.changes == () and again.syncs == 1
