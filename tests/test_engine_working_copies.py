"""``engine.WorkingCopies``: copies of a snapshot made ahead of a simulation (the sandbox makes
them while it waits for a sync) give the very result, report and notes of a simulation that copies
for itself; copies of another snapshot are not used; the snapshot is never changed; and the store
hands out its copies once, only for the account they were made of."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ovctl.core.engine import WorkingCopies, simulate, simulate_noted
from ovctl.core.plan import build_plan
from ovctl.files.orgfile import load_org
from ovctl.files.statefile import read_snapshot
from ovctl.sandbox.store import Store

ROOT = Path(__file__).resolve().parent.parent
STATE = read_snapshot(ROOT / "examples/state.json")
PLAN = build_plan(load_org([ROOT / "examples/org.yaml"]).org, STATE, force=True)


@pytest.mark.parametrize("n", range(len(PLAN.payloads)))
def test_copies_made_ahead_simulate_alike(n: int) -> None:
    before = STATE if n == 0 else PLAN.simulated[n - 1]
    pristine = copy.deepcopy(before)
    own = simulate_noted(before, PLAN.payloads[n])
    ahead = simulate_noted(before, PLAN.payloads[n], copies=WorkingCopies.of(before))
    assert ahead == own
    assert ahead[0].to_dict() == own[0].to_dict()
    assert before == pristine and before.to_dict() == pristine.to_dict()  # the input is never touched


def test_copies_of_another_snapshot_are_not_used() -> None:
    other = copy.deepcopy(STATE)
    other.members[0].first_name = "Someone else"
    result, _ = simulate(STATE, PLAN.payloads[0], copies=WorkingCopies.of(other))
    assert result == simulate(STATE, PLAN.payloads[0])[0]


def test_the_store_hands_its_copies_out_once_for_their_account(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.seed(STATE)
    account = store.load_account()
    assert store.working_copies(account) is None  # none made yet
    store.prepare_copies()
    made = store.working_copies(account)
    assert made is not None and made.snapshot is account
    assert made.members == account.members and not any(a is b for a, b in zip(made.members, account.members))
    assert store.working_copies(account) is None  # used once
    store.prepare_copies()
    assert store.working_copies(copy.deepcopy(account)) is None  # another snapshot: not these
    assert store.working_copies(account) is None  # and they are gone
    store.close()
