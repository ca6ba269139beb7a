"""The plan as a pull-request comment (GitHub-flavoured markdown).

Reviewers read the top first, so the comment opens with what decides whether the change is safe:
title, summary line, safety status, the guards that fired, risk warnings, every deactivation by
name and every team removal. That part is never cut. Then, collapsible: drift, one ``<details>``
block per top-level team holding every change that concerns a team of that subtree (member
changes go under the top-level team of the member's first team in the plan — its first mapping
in the payload, else its first membership change, else a created or removed team listing it — or
under "Organisation-wide"), warnings, items the account is predicted to skip (grouped by message
and subject with exact counts, as in the text renderer), and last a Mermaid org chart when it
fits. The changes come before warnings and skips so that thousands of identical skips or
warnings can never push every change out of the comment.

GitHub refuses comments over 65,535 characters. When the comment would exceed ``max_chars``, the
collapsible blocks are cut from the end (whole lines at a time) and a final line says how many
changes are not shown. When even the safety part is too long, deactivations are listed by name
only, comma-separated, which keeps every name for thousands of leavers.

Every piece of text goes through the writer (``_Writer``), which escapes what is not printable
(``ovctl.core.shown.escaped``: ``\\x1b``, ``\\u202e``…) before the markdown escaping, so a value
from the account can neither hide text (bidi, zero-width) nor reach a reader's terminal raw.

``mask_emails`` replaces every email address by its first character, ``***`` and its domain
(``ana.nunez@acme.example`` -> ``a***@acme.example``) everywhere in the comment.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ovctl.core.changes import Change, MemberDeactivate, MembershipChange, TeamChange, TeamCreate, TeamRemove
from ovctl.core.model import Plan
from ovctl.core.shown import escaped
from ovctl.render import graph
from ovctl.render.wording import (describe, drift_heading, guard_numbers, issue_lines, plural, shown_warnings,
                                  risk_phrase, summary_line, syncs_phrase)

GITHUB_LIMIT = 65535
RISK_WARNING_CODES = frozenset({"risk_threshold", "risk_threshold_unknown"})
ORG_WIDE = "Organisation-wide"
GUARD_SUBJECTS_SHOWN = 50  # deactivations are listed in full anyway

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def mask_email_text(text: str) -> str:
    """``ana.nunez@acme.example`` -> ``a***@acme.example`` for every address in ``text``."""
    return _EMAIL.sub(lambda m: f"{m.group(1)[0]}***@{m.group(2)}", text)


class _Writer:
    """Turns plain words into safe markdown (optionally masking emails first)."""

    def __init__(self, mask_emails: bool) -> None:
        self.mask = mask_emails

    def __call__(self, text: Any) -> str:
        text = escaped(str(text))  # no raw control, bidi or zero-width character (idempotent)
        if self.mask:
            text = mask_email_text(text)
        return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))

    def raw(self, text: str) -> str:
        """Text kept as markdown (a code span's content, the chart): escaped, never marked up."""
        text = escaped(text) if "\n" not in text else "\n".join(escaped(line) for line in text.split("\n"))
        return mask_email_text(text) if self.mask else text


def _change_item(change: Change, md: _Writer) -> str:
    sym, head, details = describe(change)
    item = f"- `{sym}` {md(head)}"
    for line in details:
        item += f"\n  - {md(line)}"
    return item


# --------------------------------------------------------------------------- grouping


def _groups(plan: Plan) -> list[tuple[str, list[Change]]]:
    """Changes grouped under the top-level team they concern (see the module docstring)."""
    nodes = graph.mark_plan(graph.nodes_from_plan(plan), plan)
    by_key = {n.key: n for n in nodes}

    def top(team_key: str | None) -> str | None:
        seen: set[str] = set()
        key = team_key
        while key is not None and key in by_key and key not in seen:
            seen.add(key)
            parent = by_key[key].parent
            if parent is None or parent not in by_key:
                return key
            key = parent
        return key if key in by_key else None

    member_team: dict[str, str] = {}
    if plan.payloads:
        for mp in plan.payloads[-1].mappings:
            if mp.member is not None:
                member_team.setdefault(mp.member, mp.team)
    for c in plan.changes:
        if isinstance(c, MembershipChange) and c.team:
            for who in (c.member, c.email):
                if who:
                    member_team.setdefault(who, c.team)

    for c in plan.changes:
        if isinstance(c, (TeamCreate, TeamRemove)) and c.id:
            for who in (*c.managers, *c.members):
                member_team.setdefault(who, c.id)

    buckets: dict[str, list[Change]] = {}
    labels: dict[str, str] = {}
    for c in (*plan.changes, *plan.unseen):
        key: str | None = None
        if isinstance(c, TeamChange):
            key = top(c.id) if c.id else None
            if key is None:
                name = c.name or ""
                key = "name:" + name
                labels[key] = name + (" (removed)" if isinstance(c, TeamRemove) else "")
        elif isinstance(c, MembershipChange):
            key = top(c.team) if c.team else None
            if key is None and c.team_name:
                key = "name:" + c.team_name
                labels[key] = c.team_name
        else:
            for who in (c.id, c.email):
                if who and who in member_team:
                    key = top(member_team[who])
                    break
        buckets.setdefault(key or ORG_WIDE, []).append(c)

    ordered: list[tuple[str, list[Change]]] = []
    for n in nodes:
        if n.key in buckets:
            label = n.name + (" (removed)" if n.state == graph.REMOVED else "")
            ordered.append((label, buckets.pop(n.key)))
    for key in [k for k in buckets if k != ORG_WIDE]:
        ordered.append((labels.get(key, key), buckets.pop(key)))
    if ORG_WIDE in buckets:
        ordered.append((ORG_WIDE, buckets.pop(ORG_WIDE)))
    return ordered


# --------------------------------------------------------------------------- sections


def _safety_section(plan: Plan, md: _Writer, *, compact: bool) -> str:
    org = plan.organization or "the organisation"
    out = [f"## ovctl plan: {md(org)}", "", f"**{md(summary_line(plan))}** {md(syncs_phrase(plan).capitalize())}.", ""]
    n = len(plan.guards)
    if not plan.guards:
        out.append("✅ **Safe to apply**: no safety guard fired.")
    elif plan.forced:
        out.append(f"⚠️ **Forced**: {n} safety {plural(n, 'guard', 'guards')} fired and "
                   f"{plural(n, 'was', 'were')} lifted by `--force`.")
    else:
        out.append(f"⛔ **Blocked**: {n} safety {plural(n, 'guard', 'guards')} fired; `ovctl apply` refuses "
                   "this plan unless the org is fixed or `--force` is given.")
    if plan.guards:
        out += ["", "**Guards**", ""]
        for g in plan.guards:
            numbers = guard_numbers(g)
            line = f"- ⛔ `{md.raw(g.guard)}`: {md(g.message)}" + (f" ({md(numbers)})" if numbers else "")
            if g.subjects:
                more = len(g.subjects) - GUARD_SUBJECTS_SHOWN
                line += (f"\n  - concerns: {md(', '.join(str(s) for s in g.subjects[:GUARD_SUBJECTS_SHOWN]))}"
                         + (f" and {more} more" if more > 0 else ""))
            out.append(line)
    if plan.has_changes:
        out += ["", f"**Risk counts**: {risk_phrase(plan)}."]
    risk = [w for w in plan.warnings if w.code in RISK_WARNING_CODES]
    if risk:
        out.append("")
        out += [f"- ⚠️ {md(w.message)}" for w in risk]
    deactivations = [c for c in plan.changes if isinstance(c, MemberDeactivate)]
    if deactivations:
        out += ["", f"**Deactivations ({len(deactivations)})**: members this plan deactivates", ""]
        if compact:
            out.append(", ".join(md(c.name or c.email or c.id) for c in deactivations))
        else:
            out += [_change_item(c, md) for c in deactivations]
    removals = [c for c in plan.changes if isinstance(c, TeamRemove)]
    if removals:
        out += ["", f"**Team removals ({len(removals)})**: their history in the account is lost", ""]
        if compact:
            out.append(", ".join(md(c.name or c.id) for c in removals))
        else:
            out += [_change_item(c, md) for c in removals]
    return "\n".join(out) + "\n"


def _block(summary: str, items: list[str]) -> tuple[str, list[str], str]:
    return f"\n<details><summary>{summary}</summary>\n\n", items, "\n\n</details>\n"


def _optional_blocks(plan: Plan, md: _Writer) -> list[tuple[str, list[str], str, int]]:
    """Collapsible blocks in the order they are kept: (opening, items, closing, changes per item)."""
    blocks: list[tuple[str, list[str], str, int]] = []
    if plan.drift:
        blocks.append((*_block(md(drift_heading(plan)), [_change_item(c, md) for c in plan.drift]), 1))
    for label, changes in _groups(plan):
        n = len(changes)
        blocks.append((*_block(f"{md(label)} ({n} {plural(n, 'change', 'changes')})",
                               [_change_item(c, md) for c in changes]), 1))
    warnings = [w for w in shown_warnings(plan) if w.code not in RISK_WARNING_CODES]
    if warnings:
        blocks.append((*_block(f"Warnings ({len(warnings)})",
                               [f"- {md(w.message)} (`{md.raw(w.code)}`)" for w in warnings]), 0))
    if plan.report_issues:
        n = len(plan.report_issues)
        items = [f"- {md(line)}" for line in issue_lines(plan.report_issues)]
        blocks.append((*_block(f"Predicted to be skipped by the account ({n:,} {plural(n, 'item', 'items')})",
                               items), 0))
    return blocks


def _chart(plan: Plan, md: _Writer) -> str:
    nodes = graph.mark_plan(graph.nodes_from_plan(plan), plan)
    if not nodes:
        return ""
    chart = md.raw(graph.render_nodes(nodes, "mermaid"))
    return ("\n<details><summary>Org chart (changed teams highlighted)</summary>\n\n```mermaid\n"
            f"{chart}```\n\n</details>\n")


def _note(omitted_changes: int, omitted_other: int) -> str:
    parts = []
    if omitted_changes:
        parts.append(f"{omitted_changes} more {plural(omitted_changes, 'change', 'changes')}")
    if omitted_other:
        parts.append(f"{omitted_other} more {plural(omitted_other, 'item', 'items')}")
    return f"\n… {' and '.join(parts)} not shown; see the full plan (ovctl plan --format json)\n"


def render(plan: Plan, *, color: bool = False, mask_emails: bool = False, max_chars: int = 65000) -> str:
    """The PR comment; never longer than ``max_chars`` unless the safety part alone is. ``color``
    (terminal escapes) does not apply to markdown and is ignored."""
    md = _Writer(mask_emails)
    max_chars = min(max_chars, GITHUB_LIMIT)
    head = _safety_section(plan, md, compact=False)
    reserve = len(_note(10**9, 10**9))
    if len(head) + reserve > max_chars:
        head = _safety_section(plan, md, compact=True)
    parts = [head]
    used = len(head)
    omitted_changes = omitted_other = 0
    cut = False
    for opening, items, closing, per_item in _optional_blocks(plan, md):
        if cut:
            omitted_changes += per_item * len(items)
            omitted_other += (1 - per_item) * len(items)
            continue
        whole = opening + "\n".join(items) + closing
        if used + len(whole) + reserve <= max_chars:
            parts.append(whole)
            used += len(whole)
            continue
        cut = True
        kept: list[str] = []
        size = used + len(opening) + len(closing) + reserve
        for item in items:
            if size + len(item) + 1 > max_chars:
                break
            kept.append(item)
            size += len(item) + 1
        if kept:
            parts.append(opening + "\n".join(kept) + closing)
            used += len(parts[-1])
        left = len(items) - len(kept)
        omitted_changes += per_item * left
        omitted_other += (1 - per_item) * left
    if cut:
        parts.append(_note(omitted_changes, omitted_other))
    else:
        chart = _chart(plan, md)
        if chart and used + len(chart) <= max_chars:
            parts.append(chart)
        elif chart:
            parts.append("\n_The org chart is too large for a comment; run `ovctl graph` to see it._\n")
    return "".join(parts)
