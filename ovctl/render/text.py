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

Every value shown is escaped (``wording``: a raw ESC, bidi override or zero-width character from
the account is written ``\\x1b``, ``\\u202e``…), so the only escape sequences in the output are the
renderer's own colours. Colour (plain ANSI escapes, only when ``color`` is true): green ``+``, yellow ``~``, cyan ``->``,
red ``-``, bold red guards. The words themselves (``describe``, ``summary_line``, ``syncs_phrase``,
``issue_lines``…) live in ``ovctl.render.wording``, shared with the markdown renderer so both
formats word changes alike.
"""

from __future__ import annotations

from typing import Iterable

from ovctl.core.changes import Change
from ovctl.core.model import Plan
from ovctl.render.wording import (describe, drift_heading, guard_numbers, issue_lines, plural, shown_warnings,
                                  risk_phrase, summary_line, syncs_phrase, text)

_RESET = "\033[0m"
_COLORS = {"+": "\033[32m", "~": "\033[33m", "->": "\033[36m", "-": "\033[31m"}
_BOLD = "\033[1m"
_BOLD_RED = "\033[1;31m"
_YELLOW = "\033[33m"

GROUPS = (("team", "Teams"), ("member", "Members"), ("membership", "Memberships"))
GUARD_SUBJECTS_SHOWN = 20


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


def render(plan: Plan, *, color: bool = False, mask_emails: bool = False) -> str:
    """The whole terminal plan (see the module docstring for the layout); ``mask_emails`` is not
    supported here (a terminal is private) and ignored."""
    paint = _Painter(color)
    org = text(plan.organization) if plan.organization else "the organisation"
    lines = [paint(f"Plan for {org}: {syncs_phrase(plan)}.", _BOLD)]

    if plan.drift:
        lines += ["", paint(drift_heading(plan) + ":", _YELLOW)]
        lines += _change_lines(plan.drift, paint)

    for kind, title in GROUPS:
        group = [c for c in (*plan.changes, *plan.unseen) if c.kind == kind]
        if group:
            lines += ["", paint(f"{title}:", _BOLD)]
            lines += _change_lines(group, paint)

    warnings = shown_warnings(plan)
    if warnings:
        lines += ["", paint("Warnings:", _BOLD)]
        lines += [f"  ! {text(w.message)} [{text(w.code)}]" for w in warnings]

    if plan.guards:
        lines.append("")
        lines += _guard_lines(plan, paint)

    if plan.report_issues:
        lines += ["", paint("Predicted to be skipped by the account (the sync report will list them):", _BOLD)]
        lines += [f"  ? {line}" for line in issue_lines(plan.report_issues)]

    lines.append("")
    if plan.has_changes:
        lines.append(f"Risk counts: {risk_phrase(plan)}.")
    lines.append(paint(summary_line(plan), _BOLD))
    return "\n".join(lines) + "\n"


def _guard_lines(plan: Plan, paint: _Painter) -> list[str]:
    n = len(plan.guards)
    if plan.forced:
        head = f"Guards: {n} {plural(n, 'guard', 'guards')} fired, lifted by --force:"
    else:
        head = f"Guards: this plan is blocked by {n} {plural(n, 'guard', 'guards')}:"
    out = [paint(head, _BOLD_RED)]
    for g in plan.guards:
        numbers = guard_numbers(g)
        out.append("  " + paint(f"x {text(g.guard)}", _BOLD_RED) + f": {text(g.message)}" + (f" ({numbers})" if numbers else ""))
        if g.subjects:
            shown = ", ".join(text(s) for s in g.subjects[:GUARD_SUBJECTS_SHOWN])
            more = len(g.subjects) - GUARD_SUBJECTS_SHOWN
            out.append(f"      concerns: {shown}" + (f" and {more} more" if more > 0 else ""))
    if plan.forced:
        out.append("  The guards were lifted by --force: apply will send this plan anyway.")
    else:
        out.append("  To proceed: fix the org (see each guard), or re-run with --force to proceed anyway.")
    return out

