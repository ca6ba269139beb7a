"""The convergence check after an apply: when the account read back is the plan's own simulation of
its syncs, the org is not planned again. That shortcut holds because re-planning the simulated
outcome finds nothing left to do; these tests check it on real orgs and snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovctl.core.engine import simulate
from ovctl.core.plan import build_plan
from ovctl.files.orgfile import load_org
from ovctl.files.statefile import read_snapshot
from ovctl.flows.apply import same_account

ROOT = Path(__file__).parent.parent
CASES = [
    (ROOT / "tests/fixtures/e2e/org", ROOT / "tests/fixtures/sandbox_seed.json"),
    (ROOT / "tests/fixtures/e2e/org", ROOT / "tests/fixtures/e2e/seed.json"),
    (ROOT / "examples/org.yaml", ROOT / "examples/state.json"),
    (ROOT / "examples/org-split", ROOT / "examples/state.json"),
]


@pytest.mark.parametrize("org_path,state_path", CASES, ids=lambda p: p.name)
def test_replanning_the_simulated_outcome_finds_nothing(org_path: Path, state_path: Path) -> None:
    org = load_org([org_path]).org
    live = read_snapshot(state_path)
    plan = build_plan(org, live, force=True)
    expected = live
    for payload in plan.payloads:
        expected, _ = simulate(expected, payload)
    assert not build_plan(org, expected, force=True).has_changes
    assert same_account(expected, expected)


def test_same_account_ignores_order_and_bookkeeping_but_not_fields() -> None:
    from dataclasses import replace

    snap = read_snapshot(ROOT / "examples/state.json")
    shuffled = replace(snap, members=list(reversed(snap.members)), teams=list(reversed(snap.teams)),
                       protected=["x"], applied_plans=["y"])
    assert same_account(snap, shuffled)
    renamed = replace(snap, teams=[replace(snap.teams[0], name=snap.teams[0].name + "!"), *snap.teams[1:]])
    assert not same_account(snap, renamed)
    fewer = replace(snap, members=snap.members[1:])
    assert not same_account(snap, fewer)
