"""The words of a plan, shared by the terminal (``text``) and pull-request (``markdown``) renderers,
so both describe a change, count a plan and group predicted skips alike. Plain words only: no
colour, no markup — each renderer adds its own.

``describe`` gives each change a symbol, a headline and detail lines: ``+`` create / add /
reactivate, ``~`` update / rename / adopt, ``->`` move, ``-`` deactivate / remove.

Hostile text is inert: every value a plan carries (names, emails, ids, property values — from the
live account, a snapshot or a plan file, which the org file's validation never saw) goes through
``ovctl.core.shown.escaped`` here, so a control character, ANSI escape sequence, bidi override or
zero-width character is shown as ``\\x1b``, ``\\u202e``…, never written raw. Escaping only: plan
lines are never shortened. The renderers' own layout (the text renderer's colours) is added after.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from ovctl.core.changes import (Change, FieldChange, MemberCreate, MemberDeactivate, MemberReactivate, MembershipAdd,
                                MembershipRemove, MemberSetUnseen, MemberUpdate, TeamAdopt, TeamCreate, TeamMove,
                                TeamRef, TeamRemove, TeamRename, TeamSetUnseen)
from ovctl.core.model import GuardResult, Plan, ReportItem, Warning_
from ovctl.core.plannotes import ADMIN_KEPT_IN_TEAM
from ovctl.core.shown import escaped

SYMBOLS = {
    "create": "+", "add": "+", "reactivate": "+",
    "update": "~", "rename": "~", "adopt": "~",
    "move": "->",
    "deactivate": "-", "remove": "-",
    "set": "~?",  # a value sent whose current value the account does not show
}
NOT_VISIBLE = "current value not visible"
ISSUE_EXAMPLES_SHOWN = 3


def symbol(action: str) -> str:
    return SYMBOLS.get(action, "~")


def plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


# --------------------------------------------------------------------------- values and labels


def fmt_value(value: Any) -> str:
    """A before/after value as the user reads it: strings quoted, none as ``(none)``; what is not
    printable escaped (JSON escapes such as ``\\u001b`` inside quotes, ``shown.escaped`` around)."""
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(escaped(str(v)) for v in value) + "]" if value else "[]"
    if isinstance(value, dict):
        return escaped(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return escaped(json.dumps(str(value), ensure_ascii=False))


def fmt_number(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    if isinstance(value, float):
        return str(int(value))
    return str(value)


def member_label(name: str | None, email: str | None, member_id: str | None) -> str:
    """``Name <email> [id]`` with whatever of the three is known (escaped)."""
    parts = []
    if name:
        parts.append(escaped(str(name)))
    if email:
        parts.append(f"<{escaped(str(email))}>")
    if member_id:
        parts.append(f"[{escaped(str(member_id))}]")
    return " ".join(parts) or "(unnamed member)"


def team_label(team_id: str | None, name: str | None) -> str:
    """``[ID] "Name"``; an id-less team says so (escaped)."""
    ident = f"[{escaped(str(team_id))}]" if team_id else "(no id)"
    return f"{ident} {fmt_value(str(name))}" if name else ident


def _parent_phrase(ref: TeamRef | None) -> str:
    if ref is None or (not ref.id and not ref.name):
        return "top level"
    return "under " + team_label(ref.id, ref.name)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _field_lines(fields: Iterable[FieldChange], prefix: str = "") -> list[str]:
    return [f"{prefix}{f.field}: {fmt_value(f.before)} -> {fmt_value(f.after)}" for f in fields if f.before != f.after]


def describe(change: Change) -> tuple[str, str, list[str]]:
    """``(symbol, headline, detail lines)`` of one change, in plain words (no colour, no markup)."""
    details: list[str] = []
    match change:
        case MemberCreate():
            head = f"member create {member_label(change.name, change.email, change.id)}"
        case MemberDeactivate() | MemberReactivate():
            head = f"member {change.action} {member_label(change.name, change.email, change.id)}"
            if change.before or change.after:
                head += f" ({change.before or '?'} -> {change.after or '?'})"
        case MemberUpdate():
            head = f"member update {member_label(change.name, change.email, change.id)}"
            details = _field_lines(change.fields) + _field_lines(change.properties, "properties.")
        case TeamCreate():
            head = (f"team create {team_label(change.id, change.name)} {_parent_phrase(change.parent)}, "
                    f"{_count(len(change.managers), 'manager')}, {_count(len(change.members), 'member')}")
        case TeamRename():
            head = f"team rename {team_label(change.id, None)} {fmt_value(change.before)} -> {fmt_value(change.after)}"
        case TeamAdopt():
            head = f"team adopt {fmt_value(str(change.name or ''))} gets id [{change.after or change.id}]"
        case TeamMove():
            head = (f"team move {team_label(change.id, change.name)}: {_parent_phrase(change.before)} -> "
                    f"{_parent_phrase(change.after)}")
        case TeamRemove():
            head = (f"team remove {team_label(change.id, change.name)} "
                    f"({_count(len(change.managers), 'manager')}, {_count(len(change.members), 'member')})")
        case MemberSetUnseen():
            head = f"member set {member_label(change.name, change.email, change.id)} ({NOT_VISIBLE})"
            details = [f"{f.field}: set to {fmt_value(f.after)}; {NOT_VISIBLE}" for f in change.fields]
            details += [f"properties.{p.field}: " + (f"set to {fmt_value(p.after)}" if p.after is not None else "cleared")
                        + f"; {NOT_VISIBLE}" for p in change.properties]
        case TeamSetUnseen():
            head = (f"team set {team_label(change.id, change.name)}: parent set to {_parent_phrase(change.parent)}; "
                    f"{NOT_VISIBLE}")
        case MembershipAdd() | MembershipRemove():
            who = member_label(None, change.email if change.email != change.member else None, change.member)
            head = f"membership {change.action} {who} as {change.role} of {team_label(change.team, change.team_name)}"
        case _:  # pragma: no cover - every change class is handled above
            raise TypeError(f"not a plan change: {change!r}")
    # the labels and values above are escaped already; this catches the rest (statuses, roles, ids)
    return symbol(change.action), escaped(head), [escaped(d) for d in details]


# --------------------------------------------------------------------------- counts and headings


def summary_line(plan: Plan) -> str:
    """One line counting, in this order and omitting zero parts: creates (members and teams),
    updates, renames, adopts, moves, reactivations, deactivations, team removals, membership
    changes — e.g. ``Plan: 3 to create, 2 to update, 1 to rename, 4 to deactivate, 1 team to
    remove.`` A plan with no change reads ``No changes. The account matches the org.`` — unless
    the account will still differ: values it skips, or team roles of admins the org leaves out
    (``admin_kept_in_team``), which the line then counts instead."""
    if not plan.has_changes:
        if plan.report_issues:
            n = len(plan.report_issues)
            return (f"No changes will be sent that the account applies, but it will still differ from the org: "
                    f"{n} {plural(n, 'value', 'values')} the account will skip (listed above).")
        kept = admin_roles_kept(plan)
        if kept:  # not "matches": admins the org leaves out keep roles the sync never touches
            return f"No changes to send, but the account will still differ from the org: {admin_roles_phrase(kept)}."
        return "No changes. The account matches the org."
    member, team, membership = plan.summary["member"], plan.summary["team"], plan.summary["membership"]
    parts = []
    for value, words in (
        (member["create"] + team["create"], "to create"),
        (member["update"], "to update"),
        (team["rename"], "to rename"),
        (team["adopt"], "to adopt"),
        (team["move"], "to move"),
        (member["reactivate"], "to reactivate"),
        (member["deactivate"], "to deactivate"),
    ):
        if value:
            parts.append(f"{value} {words}")
    removals = team["remove"]
    if removals:
        parts.append(f"{removals} {plural(removals, 'team', 'teams')} to remove")
    memberships = membership["add"] + membership["remove"]
    if memberships:
        parts.append(f"{memberships} membership {plural(memberships, 'change', 'changes')}")
    line = "Plan: " + ", ".join(parts)
    unseen = plan.unseen_summary
    if plan.unseen:
        what = " and ".join(_count(n, noun) for n, noun in ((unseen["member"], "member"), (unseen["team"], "team")) if n)
        line += ("; " if parts else "") + f"{what} set, {NOT_VISIBLE} (not counted as updates)"
    return line + "."


def admin_roles_kept(plan: Plan) -> int:
    """Team roles of admins the org leaves out that stay after the sync (``admin_kept_in_team``)."""
    return sum(len((w.details or {}).get("teams") or ()) or 1 for w in plan.warnings if w.code == ADMIN_KEPT_IN_TEAM)


def admin_roles_phrase(kept: int) -> str:
    return (f"{kept} team {plural(kept, 'role', 'roles')} of admins or executives the org leaves out, which the "
            "sync does not touch (see the warnings)")


def risk_phrase(plan: Plan) -> str:
    """``3 user changes, 2 team changes``; a count that depends on values the account does not
    show is a range: ``0 to 87 user changes (87 depend on values not visible)``."""
    users = f"{plan.risk_users} user {plural(plan.risk_users, 'change', 'changes')}"
    if plan.risk_users_uncertain:
        low = plan.risk_users - plan.risk_users_uncertain
        users = (f"{low} to {plan.risk_users} user changes ({plan.risk_users_uncertain} "
                 f"{plural(plan.risk_users_uncertain, 'depends', 'depend')} on values not visible)")
    return f"{users}, {plan.risk_teams} team {plural(plan.risk_teams, 'change', 'changes')}"


def syncs_phrase(plan: Plan) -> str:
    if not plan.has_changes:
        return "nothing to send"
    if plan.syncs == 1:
        return "applied in 1 sync"
    if plan.syncs == 2:
        return "applied in 2 syncs (previous_name renames)"
    return f"applied in {plan.syncs} syncs"


def text(value: Any) -> str:
    """Any other text a plan carries (an organisation name, a warning's or guard's message, a
    guard's subjects), escaped for display."""
    return escaped(str(value))


def guard_numbers(g: GuardResult) -> str:
    if g.limit is None:  # e.g. a re-keyed team: its message says what matched
        return ""
    return f"actual {fmt_number(g.actual)}, limit {fmt_number(g.limit)}"


def shown_warnings(plan: Plan) -> list[Warning_]:
    """Warnings to list: ``skipped`` warnings repeat the predicted skipped items, which have their
    own section, so they are left out when that section is shown."""
    if plan.report_issues:
        return [w for w in plan.warnings if w.code != "skipped"]
    return list(plan.warnings)


def drift_heading(plan: Plan) -> str:
    """The drift section's title, true in every case: drift is whatever changed in the account since
    ovctl last wrote its state file — an edit in the app, or a sync held for approval and then
    approved there (which the org already agrees with). Only when the plan changes one of the drifted
    teams or members again does it say the changes below restore the org's version."""
    n = len(plan.drift)
    head = (f"Drift: {n} {plural(n, 'change', 'changes')} in the account since ovctl last wrote its state file "
            "(made in the app, or a held sync approved there)")
    touched = {c.subject for c in plan.changes}
    reverted = sum(1 for c in plan.drift if c.subject in touched)
    if reverted == n:
        return head + "; the changes below restore the org's version"
    if reverted:
        return head + f"; the changes below restore the org's version of {reverted} of them"
    if not plan.changes:
        return head + "; the org already matches them"
    return head


# --------------------------------------------------------------------------- predicted skips


def issue_lines(items: Iterable[ReportItem], shown: int = ISSUE_EXAMPLES_SHOWN) -> list[str]:
    """Predicted skips grouped by (kind, message, subject), first-seen order, exact counts:
    ``user: Attribute Not Found: Location — 1,100 items (member E1; member E2; member E3; and 1,097
    more)``. A group of one reads as ``issue_line``."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for item in items:
        groups.setdefault((item.kind, item.message, item.subject), []).append(item.detail)
    out = []
    for (kind, message, subject), details in groups.items():
        if len(details) == 1:
            out.append(issue_line(kind, message, subject, details[0]))
            continue
        line = issue_line(kind, message, subject, "") + f" — {len(details):,} items"
        named = [d for d in details if d]
        if named:
            more = len(details) - min(shown, len(named))
            line += f" ({'; '.join(named[:shown])}" + (f"; and {more:,} more)" if more > 0 else ")")
        out.append(escaped(line))
    return out


def issue_line(kind: str, message: str, subject: str, detail: str) -> str:
    line = f"{kind}: {message}" if kind else message
    if subject:
        line += f": {subject}"
    if detail:
        line += f" ({detail})"
    return escaped(line)
