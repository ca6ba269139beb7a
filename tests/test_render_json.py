"""The plan JSON: the contract of docs/plan.md (The plan JSON), schemas/plan.schema.json, golden files."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from render_samples import REPO, assert_golden, big_plan, empty_plan, example_plan, guarded_plan

from ovctl.core.changes import CHANGE_TYPES
from ovctl.core.model import ACTIONS
from ovctl.render import json_

SCHEMA = json.loads((REPO / "schemas" / "plan.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _stable(text: str, *, blank_fingerprints: bool = False) -> str:
    """The JSON with the tool version (and for the real example, the fingerprints, which belong to
    the fingerprint module and are checked below) blanked, so those do not churn the golden files."""
    doc = json.loads(text)
    doc["ovctl_version"] = "<version>"
    if blank_fingerprints:
        doc["fingerprint"] = {"desired": "sha256:<desired>", "state": "sha256:<state>"}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def test_guarded_plan_matches_golden_json():
    assert_golden("guarded_plan.json", _stable(json_.render(guarded_plan())))


def test_example_plan_matches_golden_json():
    plan = example_plan()
    assert_golden("example_plan.json", _stable(json_.render(plan), blank_fingerprints=True))
    assert plan.data()["fingerprint"] == {"desired": plan.fingerprint_desired,
                                                       "state": plan.fingerprint_state}


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("make", [guarded_plan, empty_plan, big_plan, example_plan],
                         ids=["guarded", "empty", "big", "example"])
def test_real_plans_validate_against_the_schema(make):
    VALIDATOR.validate(json.loads(json_.render(make())))


@pytest.mark.parametrize("breakage", [
    lambda d: d["summary"]["team"].pop("adopt"),
    lambda d: d["changes"].append({"kind": "team", "action": "explode", "id": "X", "name": "X"}),
    lambda d: d["changes"].append({"kind": "membership", "action": "add", "team": "X"}),
    lambda d: d["fingerprint"].update(desired="md5:abc"),
    lambda d: d.pop("safe"),
    lambda d: d.update(format_version=2),
], ids=["missing-action-count", "unknown-action", "membership-without-member", "bad-fingerprint", "no-safe",
        "format-version"])
def test_schema_rejects_broken_plans(breakage):
    doc = guarded_plan().data()
    breakage(doc)
    assert not VALIDATOR.is_valid(doc)


def test_contract_keys_in_design_order_then_additive_keys():
    assert list(guarded_plan().data()) == [
        "format_version", "organization", "summary", "changes", "warnings", "risk", "safe", "syncs", "fingerprint",
        "guards", "forced", "drift", "skipped", "not_visible", "not_visible_summary", "risk_range", "ovctl_version"]


def test_summary_lists_every_action_of_every_kind_with_zeros():
    summary = empty_plan().data()["summary"]
    assert summary == {kind: {a: 0 for a in actions} for kind, actions in ACTIONS.items()}


def test_summary_counts_the_changes():
    summary = guarded_plan().data()["summary"]
    assert summary["member"] == {"create": 1, "update": 1, "deactivate": 2, "reactivate": 1}
    assert summary["team"] == {"create": 1, "rename": 1, "adopt": 1, "move": 1, "remove": 1}
    assert summary["membership"] == {"add": 1, "remove": 1}


def test_change_objects_are_kind_action_then_data_in_insertion_order():
    doc = guarded_plan().data()
    move = next(c for c in doc["changes"] if c["action"] == "move")
    assert list(move) == ["kind", "action", "id", "name", "before", "after"]
    membership = next(c for c in doc["changes"] if c["kind"] == "membership")
    assert list(membership) == ["kind", "action", "team", "team_name", "member", "email", "role"]


def test_every_change_object_starts_with_its_own_kind_and_action():
    plan = guarded_plan()
    assert {type(c) for c in plan.changes} == set(CHANGE_TYPES)  # the sample covers every class
    for c in plan.changes:
        assert list(c.data())[:2] == ["kind", "action"]
        assert (c.data()["kind"], c.data()["action"]) == (c.kind, c.action)


def test_safety_guards_forced_drift_and_skipped_are_reported():
    doc = guarded_plan(forced=True).data()
    assert doc["safe"] is False and doc["forced"] is True
    assert [g["guard"] for g in doc["guards"]] == ["rekeyed_team", "protected_member"]
    assert doc["guards"][1] == {"guard": "protected_member", "message": "protected member kim@globex.example would be "
                                "deactivated", "actual": 1, "limit": 0, "subjects": ["kim@globex.example"]}
    assert [c["action"] for c in doc["drift"]] == ["rename", "add"]
    assert doc["skipped"] == [{"kind": "user", "message": "Attribute Not Found", "subject": "Shoe Size", "detail": "G1"}]
    assert doc["risk"] == {"users": 63, "teams": 9} and doc["syncs"] == 2


def test_dict_does_not_alias_the_plan():
    plan = guarded_plan()
    before = copy.deepcopy([c.data() for c in plan.changes])
    doc = plan.data()
    doc["changes"][6]["before"]["properties"]["Site"] = "changed"
    doc["summary"]["member"]["create"] = 99
    assert [c.data() for c in plan.changes] == before
    assert plan.data()["summary"]["member"]["create"] == 1


def test_render_keeps_accents_and_ends_with_newline():
    out = json_.render(guarded_plan())
    assert "Tomáš Novák" in out and "\\u" not in out
    assert out.endswith("}\n") and json.loads(out)["organization"] == "Globex & Co"
