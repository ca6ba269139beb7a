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


def test_teams_the_sync_created_pair_by_external_id_whatever_id_the_account_chose() -> None:
    """The account picks the Officevibe id of a created team; the plan's simulation cannot know it.
    Read back with other ids (and children pointing at them), the account is still the predicted one."""
    from dataclasses import replace

    org = load_org([ROOT / "examples/org.yaml"]).org
    live = read_snapshot(ROOT / "examples/state.json")
    plan = build_plan(org, live, force=True)
    expected = live
    for payload in plan.payloads:
        expected, _ = simulate(expected, payload)
    created = {t.officevibe_id for t in expected.teams} - {t.officevibe_id for t in live.teams}
    assert created, "the example plan creates a team"
    chosen = {oid: f"acct-{i}" for i, oid in enumerate(sorted(created))}
    read_back = replace(expected, teams=[replace(t, officevibe_id=chosen.get(t.officevibe_id, t.officevibe_id),
                                                 parent=chosen.get(t.parent, t.parent)) for t in expected.teams])
    assert same_account(read_back, expected)
    # the same ids, but one created team's external id differs: not the predicted account
    first = next(i for i, t in enumerate(read_back.teams) if t.officevibe_id in chosen.values())
    other_ext = replace(read_back, teams=[*read_back.teams[:first],
                                          replace(read_back.teams[first], external_id="SOMETHING-ELSE"),
                                          *read_back.teams[first + 1:]])
    assert not same_account(other_ext, expected)


def test_children_of_created_teams_must_point_at_the_paired_team() -> None:
    from ovctl.core.model import Snapshot, SnapTeam

    expected = Snapshot(teams=[SnapTeam("new:A", "A", "A"), SnapTeam("new:B", "B", "B", parent="new:A"),
                               SnapTeam("ov1", "Old", "X", parent="new:B")])
    read_back = Snapshot(teams=[SnapTeam("ov1", "Old", "X", parent="g-2"), SnapTeam("g-1", "A", "A"),
                                SnapTeam("g-2", "B", "B", parent="g-1")])
    assert same_account(read_back, expected)
    crossed = Snapshot(teams=[SnapTeam("ov1", "Old", "X", parent="g-1"), SnapTeam("g-1", "A", "A"),
                              SnapTeam("g-2", "B", "B", parent="g-1")])
    assert not same_account(crossed, expected)
    unpaired = Snapshot(teams=[SnapTeam("ov1", "Old", "X", parent="g-2"), SnapTeam("g-1", "A", "A"),
                               SnapTeam("g-2", "B", "C", parent="g-1")])
    assert not same_account(unpaired, expected)
