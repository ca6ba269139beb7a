"""The plan JSON read back into a typed Plan (ovctl show): a round trip of every golden plan JSON."""

from __future__ import annotations

import json

import pytest
from render_samples import GOLDEN, big_plan, empty_plan, example_plan, guarded_plan

from ovctl.core.plandata import PlanDataError, plan_from_data
from ovctl.render import json_, markdown, text


def _blank_version(doc: dict) -> dict:
    return {**doc, "ovctl_version": "<version>"}


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.json")))
def test_golden_plan_json_round_trips(name):
    doc = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    assert _blank_version(plan_from_data(doc).data()) == doc


@pytest.mark.parametrize("make", [guarded_plan, lambda: guarded_plan(forced=True), empty_plan, example_plan,
                                  lambda: big_plan(5, 10, 20)])
def test_plan_data_round_trips_and_renders_the_same(make):
    plan = make()
    back = plan_from_data(plan.data(), plan.payloads)
    assert back.data() == plan.data()
    assert back.blocked == plan.blocked and back.summary == plan.summary
    for render in (text.render, json_.render, markdown.render):
        assert render(back) == render(plan)


@pytest.mark.parametrize("doc, word", [
    ([], "plan must be an object"),
    ({"organization": "x", "syncs": "1"}, "plan.syncs"),
    ({"organization": "x", "syncs": 1, "changes": [{"kind": "robot", "action": "dance"}]}, "plan.changes[0]"),
    ({"organization": "x", "syncs": 1, "changes": [{"kind": "team", "action": "create", "id": 3}]}, "plan.changes[0]"),
])
def test_malformed_plan_json_names_the_field(doc, word):
    with pytest.raises(PlanDataError) as e:
        plan_from_data(doc)
    assert word in str(e.value)
