"""The plan as JSON: the stable machine contract of docs/plan.md (``schemas/plan.schema.json``).

``plan_to_dict`` is the one place that turns a ``model.Plan`` into the public shape; the plan file
(``ovctl.files.planfile``) embeds exactly this dict, so a saved plan and ``plan --format json`` agree.
Keys of the contract come first, in the order of docs/plan.md ("The plan JSON"); additive keys (``guards``, ``forced``,
``drift``, ``skipped``, ``ovctl_version``) follow. Change objects keep the insertion order of their
data (``kind``, ``action``, then ids, names, ``before``/``after``), never sorted alphabetically.
"""

from __future__ import annotations

import json
from typing import Any

from ovctl import __version__
from ovctl.core.model import ACTIONS, Change, Plan

FORMAT_VERSION = 1


def _jsonable(value: Any) -> Any:
    """A deep copy made of JSON types only, so callers can never mutate the plan through it."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def change_to_dict(change: Change) -> dict[str, Any]:
    """``{"kind", "action", **data}``; ``kind``/``action`` always win over same-named data keys."""
    out: dict[str, Any] = {"kind": change.kind, "action": change.action}
    for key, value in change.data.items():
        if key not in out:
            out[key] = _jsonable(value)
    return out


def summary_counts(changes: list[Change]) -> dict[str, dict[str, int]]:
    """Every kind with every action of ``model.ACTIONS``, zeros included (consumers need no
    ``.get`` defaults). An action outside the table would be a planner bug; it is still counted
    rather than silently dropped."""
    summary: dict[str, dict[str, int]] = {kind: {a: 0 for a in actions} for kind, actions in ACTIONS.items()}
    for c in changes:
        by_action = summary.setdefault(c.kind, {})
        by_action[c.action] = by_action.get(c.action, 0) + 1
    return summary


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan JSON of docs/plan.md, plus the additive keys described in the module docstring."""
    return {
        "format_version": FORMAT_VERSION,
        "organization": plan.organization,
        "summary": summary_counts(plan.changes),
        "changes": [change_to_dict(c) for c in plan.changes],
        "warnings": [{"code": w.code, "message": w.message} for w in plan.warnings],
        "risk": {"users": plan.risk_users, "teams": plan.risk_teams},
        "safe": plan.safe,
        "syncs": plan.syncs,
        "fingerprint": {"desired": plan.fingerprint_desired, "state": plan.fingerprint_state},
        "guards": [
            {"guard": g.guard, "message": g.message, "actual": g.actual, "limit": g.limit,
             "subjects": [str(s) for s in g.subjects]}
            for g in plan.guards
        ],
        "forced": plan.forced,
        "drift": [change_to_dict(c) for c in plan.drift],
        "skipped": [
            {"kind": i.kind, "message": i.message, "subject": i.subject, "detail": i.detail}
            for i in plan.report_issues
        ],
        "ovctl_version": __version__,
    }


def render(plan: Plan) -> str:
    """The plan JSON as text: indent 2, UTF-8 characters kept (``ensure_ascii=False``), newline."""
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"
