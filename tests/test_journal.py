"""The apply journal keeps the body as sent and ``before``; the next run simulates the body on
``before`` again. That must give the very account apply predicted when it sent it (the plan's own
simulation), for every sync of every plan, in every flavour — else a landed sync would read as
"unknown". A journal of format 1 (with its ``expected`` snapshot) still reads."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from ovctl.account import wire
from ovctl.core import jsontext
from ovctl.core.errors import SnapshotError
from ovctl.core.plan import build_plan
from ovctl.files.orgfile import load_org
from ovctl.files.statefile import read_snapshot
from ovctl.flows import journal
from ovctl.flows.apply import encoded_bodies

ROOT = Path(__file__).resolve().parent.parent
STATE = read_snapshot(ROOT / "examples/state.json")
ORG = load_org([ROOT / "examples/org.yaml"]).org


def _plans() -> list:
    """The example's plan, and plans of randomly edited orgs (members gone, values cleared, teams
    dropped, names changed: creates, updates, deactivations, two-sync renames)."""
    plans = [build_plan(ORG, STATE, force=True)]
    rng = random.Random(11)
    for _ in range(12):
        org = copy.deepcopy(ORG)
        for m in org.members:
            if rng.random() < 0.3:
                m.properties = {}
            if rng.random() < 0.2:
                m.first_name += "é"
        if rng.random() < 0.5 and len(org.members) > 2:
            org.members.pop(rng.randrange(len(org.members)))
        for t in org.teams:
            if rng.random() < 0.2:
                t.name += " 2"
        try:
            plans.append(build_plan(org, STATE, force=True))
        except Exception:  # an edit the plan refuses: not a plan to journal
            continue
    return plans


PLANS = _plans()


def _intents(plan, fl):
    """(before, body text, predicted) of each sync, as apply journals them."""
    before = STATE
    for body, predicted in zip(encoded_bodies(plan, fl, STATE.invite_new_members), plan.simulated):
        yield before, jsontext.compact(body), predicted
        before = predicted


@pytest.mark.parametrize("flavor", wire.flavor_names())
@pytest.mark.parametrize("n", range(len(PLANS)))
def test_the_journal_reads_back_the_predicted_account(tmp_path: Path, n: int, flavor: str) -> None:
    fl = wire.flavor(flavor)
    state = tmp_path / "ovctl.state.json"
    for sync, (before, text, predicted) in enumerate(_intents(PLANS[n], fl), start=1):
        journal.write_intent(state, plan="p", sync=sync, total=len(PLANS[n].payloads), body=text, flavor=flavor,
                             before=before, expected=predicted)
        got = journal.read_intent(state)
        assert got is not None and (got.sync, got.body_sha256) == (sync, journal.body_fingerprint(text))
        assert got.before == before and got.before.to_dict() == before.to_dict()
        assert got.expected == predicted and got.expected.to_dict() == predicted.to_dict()


def test_some_plan_has_two_syncs_and_changes() -> None:
    """The corpus holds what the test above must cover: renames (two syncs) and real changes."""
    assert any(len(p.payloads) == 2 for p in PLANS)
    assert all(p.simulated for p in PLANS)


def test_a_format_1_journal_still_reads(tmp_path: Path) -> None:
    plan = PLANS[0]
    state = tmp_path / "ovctl.state.json"
    doc = {"format_version": 1, "plan": "p", "sync": 1, "total": 1, "body_sha256": "sha256:x", "created": "then",
           "before": STATE.to_dict(), "expected": plan.simulated[0].to_dict()}
    journal.intent_path(state).write_text(json.dumps(doc), encoding="utf-8")
    got = journal.read_intent(state)
    assert got is not None and got.expected == plan.simulated[0] and got.before == STATE


@pytest.mark.parametrize("damage", ["no body", "an empty section", "unknown flavour", "not JSON"])
def test_a_damaged_journal_is_named_not_trusted(tmp_path: Path, damage: str) -> None:
    state = tmp_path / "ovctl.state.json"
    fl = wire.flavor("workleap")
    before, text, predicted = next(_intents(PLANS[0], fl))
    journal.write_intent(state, plan="p", sync=1, total=1, body=text, flavor="workleap", before=before,
                         expected=predicted)
    path = journal.intent_path(state)
    doc = json.loads(path.read_text(encoding="utf-8"))
    if damage == "no body":
        del doc["body"]
    elif damage == "an empty section":
        doc["body"][fl.members] = []
    elif damage == "unknown flavour":
        doc["flavor"] = "nope"
    raw = json.dumps(doc) if damage != "not JSON" else json.dumps(doc)[:-40]
    path.write_text(raw, encoding="utf-8")
    with pytest.raises(SnapshotError, match="the apply journal is damaged"):
        journal.read_intent(state)
