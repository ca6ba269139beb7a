"""The plan JSON read back into a typed ``Plan``: the inverse of ``Plan.data()`` and of each change's ``data()``.

``ovctl show PLANFILE`` renders a saved plan with the same renderers as ``ovctl plan``; they read
typed values, so the plan JSON a plan file embeds is rebuilt here. ``plan_from_data(p.data())``
gives a plan whose ``data()`` equals ``p.data()`` (the tests hold it to the golden files).
The plan JSON carries no payloads; a caller that has the sync bodies (a plan file does) decodes
them and passes them in. A malformed document raises ``PlanDataError`` naming the field.
"""

from __future__ import annotations

from typing import Any, Sequence

from ovctl.core import changes as ch
from ovctl.core.errors import OvctlError
from ovctl.core.model import GuardResult, Payload, Plan, ReportItem, Warning_


class PlanDataError(OvctlError):
    """The plan JSON does not have the shape of docs/plan.md."""


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PlanDataError(f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise PlanDataError(f"{where} must be a list")
    return value


def _str(d: dict[str, Any], key: str, where: str, *, optional: bool = False) -> Any:
    value = d.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise PlanDataError(f"{where}.{key} must be a string{' or null' if optional else ''}")
    return value


def _strs(value: Any, where: str) -> tuple[str, ...]:
    items = _list(value if value is not None else [], where)
    if not all(isinstance(x, str) for x in items):
        raise PlanDataError(f"{where} must be a list of strings")
    return tuple(items)


def _ref(d: dict[str, Any], where: str) -> ch.TeamRef | None:
    parent, name = d.get("parent"), d.get("parent_name")
    if parent is None and name is None:
        return None
    if not isinstance(parent, (str, type(None))) or not isinstance(name, (str, type(None))):
        raise PlanDataError(f"{where}.parent and .parent_name must be strings or null")
    return ch.TeamRef(parent, name)


def _fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[ch.FieldChange, ...]:
    keys = list(dict.fromkeys([*before, *after]))
    return tuple(ch.FieldChange(k, before.get(k), after.get(k)) for k in keys)


def change_from_data(d: Any, where: str = "change") -> ch.Change:
    """One change object of the plan JSON as its typed class (``kind`` and ``action`` pick the class)."""
    d = _obj(d, where)
    kind, action = d.get("kind"), d.get("action")
    before = d.get("before") if isinstance(d.get("before"), dict) else {}
    after = d.get("after") if isinstance(d.get("after"), dict) else {}
    try:
        if kind == "member":
            head = dict(id=_str(d, "id", where, optional=True), email=_str(d, "email", where),
                        name=_str(d, "name", where))
            if action == "create":
                return ch.MemberCreate(**head, first_name=after.get("first_name") or "",
                                       last_name=after.get("last_name") or "", job_title=after.get("job_title"),
                                       language=after.get("language"), status=after.get("status") or "",
                                       properties=tuple(_obj(after.get("properties") or {},
                                                             f"{where}.after.properties").items()))
            if action == "update":
                pb = _obj(before.get("properties") or {}, f"{where}.before.properties")
                pa = _obj(after.get("properties") or {}, f"{where}.after.properties")
                fb = {k: v for k, v in before.items() if k != "properties"}
                fa = {k: v for k, v in after.items() if k != "properties"}
                return ch.MemberUpdate(**head, fields=_fields(fb, fa), properties=_fields(pb, pa))
            if action in ("deactivate", "reactivate"):
                cls = ch.MemberDeactivate if action == "deactivate" else ch.MemberReactivate
                return cls(**head, before=str(before.get("status")), after=str(after.get("status")))
        elif kind == "team":
            tid = _str(d, "id", where, optional=True)
            if action == "create":
                return ch.TeamCreate(tid, _str(after, "name", f"{where}.after"), _ref(after, f"{where}.after"),
                                     managers=_strs(after.get("managers"), f"{where}.after.managers"),
                                     members=_strs(after.get("members"), f"{where}.after.members"))
            if action == "adopt":
                return ch.TeamAdopt(tid, _str(d, "name", where), before=before.get("external_id"),
                                    after=_str(after, "external_id", f"{where}.after"))
            if action == "rename":
                return ch.TeamRename(tid, before=_str(before, "name", f"{where}.before"),
                                     after=_str(after, "name", f"{where}.after"))
            if action == "move":
                return ch.TeamMove(tid, _str(d, "name", where), before=_ref(before, f"{where}.before"),
                                   after=_ref(after, f"{where}.after"))
            if action == "remove":
                return ch.TeamRemove(tid, _str(d, "name", where),
                                     managers=_strs(before.get("managers"), f"{where}.before.managers"),
                                     members=_strs(before.get("members"), f"{where}.before.members"))
        elif kind == "membership" and action in ("add", "remove"):
            cls = ch.MembershipAdd if action == "add" else ch.MembershipRemove
            return cls(team=_str(d, "team", where), team_name=_str(d, "team_name", where),
                       member=_str(d, "member", where), email=_str(d, "email", where), role=_str(d, "role", where))
    except TypeError as e:  # a field of the wrong type where a class would not take it
        raise PlanDataError(f"{where}: {e}") from None
    raise PlanDataError(f"{where}: unknown change kind/action {kind!r}/{action!r}")


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def plan_from_data(data: Any, payloads: Sequence[Payload] = ()) -> Plan:
    """The typed ``Plan`` of a plan JSON document (``Plan.data()``, the ``plan`` of a plan file)."""
    d = _obj(data, "plan")
    risk = _obj(d.get("risk") or {}, "plan.risk")
    fingerprint = _obj(d.get("fingerprint") or {}, "plan.fingerprint")
    syncs = d.get("syncs")
    if not isinstance(syncs, int) or isinstance(syncs, bool):
        raise PlanDataError("plan.syncs must be an integer")
    warnings = []
    for i, w in enumerate(_list(d.get("warnings") or [], "plan.warnings")):
        w = _obj(w, f"plan.warnings[{i}]")
        details = w.get("details")
        warnings.append(Warning_(code=_str(w, "code", f"plan.warnings[{i}]"), message=_str(w, "message", f"plan.warnings[{i}]"),
                                 details=_obj(details, f"plan.warnings[{i}].details") if details is not None else None))
    guards = []
    for i, g in enumerate(_list(d.get("guards") or [], "plan.guards")):
        g = _obj(g, f"plan.guards[{i}]")
        guards.append(GuardResult(guard=_str(g, "guard", f"plan.guards[{i}]"), message=_str(g, "message", f"plan.guards[{i}]"),
                                  actual=_number(g.get("actual")), limit=_number(g.get("limit")),
                                  subjects=list(_strs(g.get("subjects"), f"plan.guards[{i}].subjects"))))
    skipped = []
    for i, s in enumerate(_list(d.get("skipped") or [], "plan.skipped")):
        s = _obj(s, f"plan.skipped[{i}]")
        skipped.append(ReportItem(kind=_str(s, "kind", f"plan.skipped[{i}]"), message=_str(s, "message", f"plan.skipped[{i}]"),
                                  subject=s.get("subject") or "", detail=s.get("detail") or ""))
    return Plan(
        organization=_str(d, "organization", "plan"),
        changes=tuple(change_from_data(c, f"plan.changes[{i}]") for i, c in enumerate(_list(d.get("changes") or [], "plan.changes"))),
        warnings=tuple(warnings), guards=tuple(guards),
        risk_users=int(_number(risk.get("users")) or 0), risk_teams=int(_number(risk.get("teams")) or 0),
        syncs=syncs,
        fingerprint_desired=str(fingerprint.get("desired") or ""), fingerprint_state=str(fingerprint.get("state") or ""),
        payloads=tuple(payloads), forced=bool(d.get("forced")),
        drift=tuple(change_from_data(c, f"plan.drift[{i}]") for i, c in enumerate(_list(d.get("drift") or [], "plan.drift"))),
        report_issues=tuple(skipped),
    )
