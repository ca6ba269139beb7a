"""The typed plan changes and the plan value: ``data()`` is exactly the public JSON of docs/plan.md,
key order included; ``summary`` and ``blocked`` are computed once and never go stale."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, replace
from typing import Any

import pytest
from render_samples import GOLDEN, empty_plan, example_plan, guarded_plan

from ovctl.core.changes import (CHANGE_TYPES, FieldChange, MemberCreate, MemberDeactivate, MemberReactivate,
                                MembershipAdd, MembershipRemove, MemberUpdate, TeamAdopt, TeamCreate, TeamMove,
                                TeamRef, TeamRemove, TeamRename)
from ovctl.core.model import ACTIONS, GuardResult


def _ref(side: dict[str, Any]) -> TeamRef | None:
    return None if side["parent"] is None and side["parent_name"] is None else TeamRef(side["parent"], side["parent_name"])


def _fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(k, before[k], after[k]) for k in before)


def from_json(d: dict[str, Any]):
    """A typed change from a change object of the plan JSON (the inverse of ``data()``)."""
    kind, action, b, a = d["kind"], d["action"], d.get("before", {}), d.get("after", {})
    if kind == "member":
        head = (d["id"], d["email"], d["name"])
        if action == "create":
            return MemberCreate(*head, a["first_name"], a["last_name"], a["job_title"], a["language"], a["status"],
                                tuple(a["properties"].items()))
        if action == "update":
            props_b, props_a = b.pop("properties", {}), a.pop("properties", {})
            return MemberUpdate(*head, _fields(b, a), _fields(props_b, props_a))
        status = {"deactivate": MemberDeactivate, "reactivate": MemberReactivate}[action]
        return status(*head, b["status"], a["status"])
    if kind == "team":
        if action == "create":
            return TeamCreate(d["id"], d["name"], _ref(a), tuple(a["managers"]), tuple(a["members"]))
        if action == "adopt":
            return TeamAdopt(d["id"], d["name"], b["external_id"], a["external_id"])
        if action == "rename":
            return TeamRename(d["id"], b["name"], a["name"])
        if action == "move":
            return TeamMove(d["id"], d["name"], _ref(b), _ref(a))
        return TeamRemove(d["id"], d["name"], tuple(b["managers"]), tuple(b["members"]))
    membership = {"add": MembershipAdd, "remove": MembershipRemove}[action]
    return membership(d["team"], d["team_name"], d["member"], d["email"], d["role"])


@pytest.mark.parametrize("golden", ["guarded_plan.json", "example_plan.json"])
def test_every_golden_change_round_trips_through_its_class_key_order_included(golden):
    doc = json.loads((GOLDEN / golden).read_text(encoding="utf-8"))
    seen = set()
    for obj in [*doc["changes"], *doc["drift"]]:
        change = from_json(json.loads(json.dumps(obj)))
        seen.add(type(change))
        assert (change.kind, change.action) == (obj["kind"], obj["action"])
        assert json.dumps(change.data()) == json.dumps(obj)  # same keys, same order, same values
    if golden == "guarded_plan.json":
        assert seen == set(CHANGE_TYPES)


def test_every_class_has_a_kind_and_action_of_the_contract():
    assert {(cls.kind, cls.action) for cls in CHANGE_TYPES} == {(k, a) for k, actions in ACTIONS.items() for a in actions}


def test_planner_changes_equal_the_golden_json():
    plan = example_plan()
    doc = json.loads((GOLDEN / "example_plan.json").read_text(encoding="utf-8"))
    assert [from_json(obj) for obj in doc["changes"]] == list(plan.changes)


def test_subject_pairs_a_drift_change_with_the_change_that_undoes_it():
    assert TeamRename("OPS", "Operations", "Ops").subject == TeamRename("OPS", "Ops", "Operations").subject
    assert TeamRename(None, "A", "B").subject == ("team", "B")
    assert MemberDeactivate(None, "a@x.example", "A", "active", "deleted").subject == ("member", "a@x.example")
    assert (MembershipAdd("T", "Team", "E1", "e1@x.example", "member").subject
            == MembershipRemove("T", "Team", "E1", "e1@x.example", "member").subject)
    assert (MembershipAdd("T", "Team", "E1", "e1@x.example", "member").subject
            != MembershipAdd("T", "Team", "E1", "e1@x.example", "manager").subject)


def test_changes_are_frozen_values():
    change = TeamRename("OPS", "Operations", "Ops")
    with pytest.raises(FrozenInstanceError):
        change.after = "X"  # type: ignore[misc]
    assert not hasattr(change, "__dict__")  # slotted: cheap for tens of thousands of changes


def test_blocked_is_guards_fired_and_not_forced():
    assert guarded_plan().blocked
    assert not guarded_plan(forced=True).blocked
    assert not empty_plan().blocked
    assert not replace(empty_plan(), forced=True).blocked
    guard = GuardResult("protected_member", "x", 1, 0, ["E1"])
    assert replace(empty_plan(), guards=[guard]).blocked


def test_summary_counts_every_action_and_follows_replace():
    plan = guarded_plan()
    assert plan.summary == plan.data()["summary"]
    assert plan.summary["member"]["deactivate"] == 2
    fewer = replace(plan, changes=plan.changes[:1])
    assert fewer.summary["team"]["create"] == 1 and fewer.summary["member"]["deactivate"] == 0
    assert list(fewer.summary) == list(ACTIONS) and all(list(fewer.summary[k]) == list(v) for k, v in ACTIONS.items())


def test_plan_is_a_value():
    plan = guarded_plan()
    assert isinstance(plan.changes, tuple) and isinstance(plan.drift, tuple) and isinstance(plan.guards, tuple)
    with pytest.raises(FrozenInstanceError):
        plan.forced = True  # type: ignore[misc]
