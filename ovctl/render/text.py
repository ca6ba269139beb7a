"""The plan for a terminal: grouped changes with ``+ ~ -> -`` symbols and one summary line.

Layout, top to bottom: a header (organisation, number of syncs); **Drift** (changes in the account
since ovctl last wrote its state file: made in the app, or a held sync approved there — see
``drift_heading``); the changes grouped as Teams, Members,
Memberships (plan order kept inside each group), one line each, updates followed by one indented
``field: before -> after`` line per changed field; warnings; **Guards** (which guard fired, actual
vs limit, how to proceed — or "lifted by --force"); items the account is predicted to skip, one
line per (message, subject) with an exact count and a few examples (``issue_lines``: an unknown
property misses on every member, and 10,000 identical lines help nobody); the risk counts; and
the summary line.

Symbols: ``+`` create / add / reactivate, ``~`` update / rename / adopt, ``->`` move,
``-`` deactivate / remove.

The summary line counts, in this order, omitting zero parts::

    Plan: <member+team creates> to create, <member updates> to update, <team renames> to rename,
          <team adopts> to adopt, <team moves> to move, <member reactivations> to reactivate,
          <member deactivations> to deactivate, <team removals> team(s) to remove,
          <membership adds+removes> membership change(s).

e.g. ``Plan: 3 to create, 2 to update, 1 to rename, 4 to deactivate, 1 team to remove.`` A plan
with no change reads ``No changes. The account matches the org.``

Colour (plain ANSI escapes, only when ``color`` is true): green ``+``, yellow ``~``, cyan ``->``,
red ``-``, bold red guards. The describing helpers here (``describe``, ``summary_line``,
``syncs_phrase``) are shared with the markdown renderer so both formats word changes alike.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable

from ovctl.core.model import Change, GuardResult, Plan

SYMBOLS = {
    "create": "+", "add": "+", "reactivate": "+",
    "update": "~", "rename": "~", "adopt": "~",
    "move": "->",
    "deactivate": "-", "remove": "-",
}

_RESET = "\033[0m"
_COLORS = {"+": "\033[32m", "~": "\033[33m", "->": "\033[36m", "-": "\033[31m"}
_BOLD = "\033[1m"
_BOLD_RED = "\033[1;31m"
_YELLOW = "\033[33m"

GROUPS = (("team", "Teams"), ("member", "Members"), ("membership", "Memberships"))
GUARD_SUBJECTS_SHOWN = 20


def symbol(action: str) -> str:
    return SYMBOLS.get(action, "~")


# --------------------------------------------------------------------------- value wording


def fmt_value(value: Any) -> str:
    """A before/after value as the user reads it: strings quoted, none as ``(none)``."""
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]" if value else "[]"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return json.dumps(str(value), ensure_ascii=False)


def field_diffs(before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """``(field, before, after)`` for every field that differs; nested dicts (properties) are
    flattened as ``properties.Location``. Fields only on one side count as changed."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    out: list[tuple[str, Any, Any]] = []
    for key in list(before) + [k for k in after if k not in before]:
        b, a = before.get(key), after.get(key)
        if isinstance(b, dict) or isinstance(a, dict):
            for sub, sb, sa in field_diffs(b, a):
                out.append((f"{key}.{sub}", sb, sa))
        elif b != a:
            out.append((str(key), b, a))
    return out


def member_label(data: dict[str, Any]) -> str:
    """``Name <email> [id]`` with whatever of the three the change carries."""
    parts = []
    if data.get("name"):
        parts.append(str(data["name"]))
    if data.get("email"):
        parts.append(f"<{data['email']}>")
    if data.get("id"):
        parts.append(f"[{data['id']}]")
    return " ".join(parts) or "(unnamed member)"


def team_label(team_id: Any, name: Any) -> str:
    """``[ID] "Name"``; an id-less team says so."""
    ident = f"[{team_id}]" if team_id else "(no id)"
    return f"{ident} {fmt_value(str(name))}" if name else ident


def _parent_phrase(side: Any) -> str:
    """A parent as move/create data spell it: an id (or null) plus an optional name."""
    if isinstance(side, dict):
        parent, pname = side.get("parent"), side.get("parent_name")
    else:
        parent, pname = side, None
    if not parent and not pname:
        return "top level"
    return "under " + team_label(parent, pname)


def _count(items: Any, noun: str) -> str:
    n = len(items) if isinstance(items, (list, tuple)) else 0
    return f"{n} {noun}{'' if n == 1 else 's'}"


def describe(change: Change) -> tuple[str, str, list[str]]:
    """``(symbol, headline, detail lines)`` of one change, in plain words (no colour, no markup)."""
    d = change.data
    kind, action = change.kind, change.action
    before, after = d.get("before"), d.get("after")
    details: list[str] = []
    if kind == "member":
        head = f"member {action} {member_label(d)}"
        if action in ("deactivate", "reactivate"):
            b = before.get("status") if isinstance(before, dict) else None
            a = after.get("status") if isinstance(after, dict) else None
            if b or a:
                head += f" ({b or '?'} -> {a or '?'})"
        elif action != "create":
            details = [f"{f}: {fmt_value(b)} -> {fmt_value(a)}" for f, b, a in field_diffs(before, after)]
    elif kind == "team":
        label = team_label(d.get("id"), d.get("name"))
        if action == "create":
            a = after if isinstance(after, dict) else {}
            head = (f"team create {team_label(d.get('id'), a.get('name') or d.get('name'))} "
                    f"{_parent_phrase(a)}, {_count(a.get('managers'), 'manager')}, {_count(a.get('members'), 'member')}")
        elif action == "rename":
            b = before.get("name") if isinstance(before, dict) else None
            a = after.get("name") if isinstance(after, dict) else d.get("name")
            head = f"team rename {team_label(d.get('id'), None)} {fmt_value(b)} -> {fmt_value(a)}"
        elif action == "adopt":
            new_id = (after.get("external_id") if isinstance(after, dict) else None) or d.get("id")
            head = f"team adopt {fmt_value(str(d.get('name') or ''))} gets id [{new_id}]"
        elif action == "move":
            head = f"team move {label}: {_parent_phrase(before)} -> {_parent_phrase(after)}"
        elif action == "remove":
            b = before if isinstance(before, dict) else {}
            head = (f"team remove {team_label(d.get('id'), b.get('name') or d.get('name'))} "
                    f"({_count(b.get('managers'), 'manager')}, {_count(b.get('members'), 'member')})")
        else:
            head = f"team {action} {label}"
            details = [f"{f}: {fmt_value(b)} -> {fmt_value(a)}" for f, b, a in field_diffs(before, after)]
    elif kind == "membership":
        who = member_label({"id": d.get("member"), "email": d.get("email") if d.get("email") != d.get("member") else None,
                            "name": d.get("name")})
        head = f"membership {action} {who} as {d.get('role', 'member')} of {team_label(d.get('team'), d.get('team_name'))}"
    else:
        head = f"{kind} {action} " + ", ".join(f"{k}={fmt_value(v)}" for k, v in d.items() if k not in ("before", "after"))
        details = [f"{f}: {fmt_value(b)} -> {fmt_value(a)}" for f, b, a in field_diffs(before, after)]
    return symbol(action), head, details


# --------------------------------------------------------------------------- counts


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def summary_line(plan: Plan) -> str:
    """The one-line summary defined in the module docstring."""
    counts: dict[tuple[str, str], int] = {}
    for c in plan.changes:
        counts[(c.kind, c.action)] = counts.get((c.kind, c.action), 0) + 1
    if not plan.changes:
        return "No changes. The account matches the org."

    def n(*keys: tuple[str, str]) -> int:
        return sum(counts.get(k, 0) for k in keys)

    parts = []
    for value, words in (
        (n(("member", "create"), ("team", "create")), "to create"),
        (n(("member", "update")), "to update"),
        (n(("team", "rename")), "to rename"),
        (n(("team", "adopt")), "to adopt"),
        (n(("team", "move")), "to move"),
        (n(("member", "reactivate")), "to reactivate"),
        (n(("member", "deactivate")), "to deactivate"),
    ):
        if value:
            parts.append(f"{value} {words}")
    removals = n(("team", "remove"))
    if removals:
        parts.append(f"{removals} {_plural(removals, 'team', 'teams')} to remove")
    memberships = n(("membership", "add"), ("membership", "remove"))
    if memberships:
        parts.append(f"{memberships} membership {_plural(memberships, 'change', 'changes')}")
    known = {("member", a) for a in ("create", "update", "reactivate", "deactivate")} | {
        ("team", a) for a in ("create", "rename", "adopt", "move", "remove")} | {("membership", "add"), ("membership", "remove")}
    other = sum(v for k, v in counts.items() if k not in known)
    if other:
        parts.append(f"{other} other {_plural(other, 'change', 'changes')}")
    return "Plan: " + ", ".join(parts) + "."


def use_color(stream: Any) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set to a non-empty value
    (https://no-color.org). Every command that prints a plan asks here."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def syncs_phrase(plan: Plan) -> str:
    if not plan.changes:
        return "nothing to send"
    if plan.syncs == 1:
        return "applied in 1 sync"
    if plan.syncs == 2:
        return "applied in 2 syncs (previous_name renames)"
    return f"applied in {plan.syncs} syncs"


def guard_numbers(g: GuardResult) -> str:
    if g.limit is None:  # e.g. a re-keyed team: its message says what matched
        return ""
    return f"actual {fmt_number(g.actual)}, limit {fmt_number(g.limit)}"


def fmt_number(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    if isinstance(value, float):
        return str(int(value))
    return str(value)


def shown_warnings(plan: Plan) -> list[Any]:
    """Warnings to list: ``skipped`` warnings repeat the predicted skipped items, which have their
    own section, so they are left out when that section is shown."""
    if plan.report_issues:
        return [w for w in plan.warnings if w.code != "skipped"]
    return list(plan.warnings)


ISSUE_EXAMPLES_SHOWN = 3


def issue_lines(items: Iterable[Any], shown: int = ISSUE_EXAMPLES_SHOWN) -> list[str]:
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
        out.append(line)
    return out


def drift_heading(plan: Plan) -> str:
    """The drift section's title, true in every case: drift is whatever changed in the account since
    ovctl last wrote its state file — an edit in the app, or a sync held for approval and then
    approved there (which the org already agrees with). Only when the plan changes one of the drifted
    teams or members again does it say the changes below restore the org's version."""
    n = len(plan.drift)
    head = (f"Drift: {n} {_plural(n, 'change', 'changes')} in the account since ovctl last wrote its state file "
            "(made in the app, or a held sync approved there)")
    touched = {_entity(c) for c in plan.changes}
    reverted = sum(1 for c in plan.drift if _entity(c) in touched)
    if reverted == n:
        return head + "; the changes below restore the org's version"
    if reverted:
        return head + f"; the changes below restore the org's version of {reverted} of them"
    if not plan.changes:
        return head + "; the org already matches them"
    return head


def _entity(change: Change) -> tuple[str, ...]:
    """What a change is about — a member, a team, or one (team, person, role) assignment — so a
    drift change and the plan change that undoes it compare equal."""
    d = change.data
    if change.kind == "member":
        return ("member", str(d.get("id") or d.get("email")))
    if change.kind == "team":
        return ("team", str(d.get("id") or d.get("name")))
    if change.kind == "membership":
        return ("membership", str(d.get("team") or d.get("team_name")), str(d.get("member") or d.get("email")),
                str(d.get("role")))
    return (change.kind, repr(sorted(d.items(), key=str)))


def issue_line(kind: str, message: str, subject: str, detail: str) -> str:
    line = f"{kind}: {message}" if kind else message
    if subject:
        line += f": {subject}"
    if detail:
        line += f" ({detail})"
    return line


# --------------------------------------------------------------------------- rendering


class _Painter:
    """Applies ANSI colour when asked; a no-op otherwise, so the layout code has one path."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color and code else text

    def sym(self, sym: str) -> str:
        return self(sym, _COLORS.get(sym, ""))


def _change_lines(changes: Iterable[Change], paint: _Painter, indent: str = "  ") -> list[str]:
    out = []
    for c in changes:
        sym, head, details = describe(c)
        out.append(f"{indent}{paint.sym(sym)} {head}")
        out.extend(f"{indent}      {line}" for line in details)
    return out


def render(plan: Plan, *, color: bool) -> str:
    """The whole terminal plan (see the module docstring for the layout)."""
    paint = _Painter(color)
    org = plan.organization or "the organisation"
    lines = [paint(f"Plan for {org}: {syncs_phrase(plan)}.", _BOLD)]

    if plan.drift:
        lines += ["", paint(drift_heading(plan) + ":", _YELLOW)]
        lines += _change_lines(plan.drift, paint)

    for kind, title in GROUPS:
        group = [c for c in plan.changes if c.kind == kind]
        if group:
            lines += ["", paint(f"{title}:", _BOLD)]
            lines += _change_lines(group, paint)
    others = [c for c in plan.changes if c.kind not in {k for k, _ in GROUPS}]
    if others:
        lines += ["", paint("Other changes:", _BOLD)]
        lines += _change_lines(others, paint)

    warnings = shown_warnings(plan)
    if warnings:
        lines += ["", paint("Warnings:", _BOLD)]
        lines += [f"  ! {w.message} [{w.code}]" for w in warnings]

    if plan.guards:
        lines.append("")
        lines += _guard_lines(plan, paint)

    if plan.report_issues:
        lines += ["", paint("Predicted to be skipped by the account (the sync report will list them):", _BOLD)]
        lines += [f"  ? {line}" for line in issue_lines(plan.report_issues)]

    lines.append("")
    if plan.changes:
        lines.append(f"Risk counts: {plan.risk_users} user {_plural(plan.risk_users, 'change', 'changes')}, "
                     f"{plan.risk_teams} team {_plural(plan.risk_teams, 'change', 'changes')}.")
    lines.append(paint(summary_line(plan), _BOLD))
    return "\n".join(lines) + "\n"


def _guard_lines(plan: Plan, paint: _Painter) -> list[str]:
    n = len(plan.guards)
    if plan.forced:
        head = f"Guards: {n} {_plural(n, 'guard', 'guards')} fired, lifted by --force:"
    else:
        head = f"Guards: this plan is blocked by {n} {_plural(n, 'guard', 'guards')}:"
    out = [paint(head, _BOLD_RED)]
    for g in plan.guards:
        numbers = guard_numbers(g)
        out.append("  " + paint(f"x {g.guard}", _BOLD_RED) + f": {g.message}" + (f" ({numbers})" if numbers else ""))
        if g.subjects:
            shown = ", ".join(str(s) for s in g.subjects[:GUARD_SUBJECTS_SHOWN])
            more = len(g.subjects) - GUARD_SUBJECTS_SHOWN
            out.append(f"      concerns: {shown}" + (f" and {more} more" if more > 0 else ""))
    if plan.forced:
        out.append("  The guards were lifted by --force: apply will send this plan anyway.")
    else:
        out.append("  To proceed: fix the org (see each guard), or re-run with --force to proceed anyway.")
    return out

