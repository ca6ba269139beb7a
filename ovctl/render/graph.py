"""The org chart of the teams, as Mermaid or Graphviz dot, with what a plan changes highlighted.

Every node shows the team's external id and name. With a plan: created teams are green, teams
renamed, adopted, moved or whose memberships change are amber, and removed teams (which are no
longer in the org) are drawn dashed red.

Node identifiers are generated (``n0``, ``n1``, …) rather than derived from team ids, so ids like
``ENG-PLAT`` (a Mermaid arrow fragment) or names with ``&``, quotes, ``#`` and accents can never
break the syntax; the id and name only ever appear inside escaped labels. What is not printable
in them (control characters, ANSI sequences, bidi overrides, zero-width characters, line breaks) is
written as an escape (``ovctl.core.shown.escaped``: ``\\x1b``, ``\\u202e``), never raw.
"""

from __future__ import annotations

from dataclasses import dataclass

from ovctl.core.changes import MembershipChange, TeamAdopt, TeamCreate, TeamMove, TeamRemove, TeamRename
from ovctl.core.model import Org, Plan
from ovctl.core.shown import escaped

CREATED, CHANGED, REMOVED = "created", "changed", "removed"

_MERMAID_CLASSES = {
    CREATED: "fill:#d4edda,stroke:#1e7e34,stroke-width:2px",
    CHANGED: "fill:#fff3cd,stroke:#b8860b,stroke-width:2px",
    REMOVED: "fill:#f8d7da,stroke:#c82333,stroke-dasharray:5 5",
}
_DOT_STYLES = {
    CREATED: 'style="rounded,filled", fillcolor="#d4edda", color="#1e7e34", penwidth=2',
    CHANGED: 'style="rounded,filled", fillcolor="#fff3cd", color="#b8860b", penwidth=2',
    REMOVED: 'style="rounded,dashed", color="#c82333", fontcolor="#c82333"',
}


@dataclass(slots=True)
class TeamNode:
    """One team of the chart. ``key`` is unique (the external id, or a made-up key for id-less
    removed teams); ``parent`` is the parent's key or None for a top-level team."""

    key: str
    id: str | None
    name: str
    parent: str | None = None
    state: str = ""  # "" | CREATED | CHANGED | REMOVED


def nodes_from_org(org: Org) -> list[TeamNode]:
    """The desired tree, in the org's order (parents before children)."""
    return [TeamNode(key=t.id, id=t.id, name=t.name, parent=t.parent) for t in org.teams]


def nodes_from_plan(plan: Plan) -> list[TeamNode]:
    """The desired tree as the plan's last payload spells it (teams + sub-team mappings), for
    renderers that only hold a plan (the markdown PR comment)."""
    if not plan.payloads:
        return []
    payload = plan.payloads[-1]
    parents: dict[str, str] = {}
    for mp in payload.mappings:
        if mp.subteam is not None and mp.subteam not in parents:
            parents[mp.subteam] = mp.team
    return [TeamNode(key=t.external_id, id=t.external_id, name=t.name, parent=parents.get(t.external_id))
            for t in payload.teams]


def mark_plan(nodes: list[TeamNode], plan: Plan | None) -> list[TeamNode]:
    """Highlight what ``plan`` changes; removed teams are appended as dashed nodes."""
    if plan is None:
        return nodes
    by_key = {n.key: n for n in nodes}
    changed: set[str] = set()
    created: set[str] = set()
    for c in plan.changes:
        if isinstance(c, TeamCreate) and c.id:
            created.add(c.id)
            if c.id not in by_key:
                node = TeamNode(key=c.id, id=c.id, name=c.name or "", parent=c.parent.id if c.parent else None)
                nodes.append(node)
                by_key[node.key] = node
        elif isinstance(c, (TeamRename, TeamAdopt, TeamMove)) and c.id:
            changed.add(c.id)
        elif isinstance(c, MembershipChange) and c.team:
            changed.add(c.team)
        elif isinstance(c, TeamRemove):
            # a removed team's old parent is not part of the change, so it is drawn at the top level
            key = c.id if c.id and c.id not in by_key else f"removed:{len(nodes)}"
            node = TeamNode(key=key, id=c.id, name=c.name or "", state=REMOVED)
            nodes.append(node)
            by_key[key] = node
    for n in nodes:
        if n.state == REMOVED:
            continue
        if n.key in created:
            n.state = CREATED
        elif n.key in changed:
            n.state = CHANGED
    return nodes


def _mermaid_label(node: TeamNode) -> str:
    def esc(text: str) -> str:
        text = escaped(text).replace("#", "#35;")
        return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
                .replace("\n", " "))

    ident = esc(node.id) if node.id else "(no id)"
    return f'"{ident}<br/>{esc(node.name)}"'


def _dot_escape(text: str) -> str:
    return escaped(text).replace("\\", "\\\\").replace('"', '\\"')


def render_nodes(nodes: list[TeamNode], fmt: str) -> str:
    """Mermaid (``flowchart TD``) or dot text of the nodes; edges run parent -> child."""
    ids = {n.key: f"n{i}" for i, n in enumerate(nodes)}
    edges = [(ids[n.parent], ids[n.key], n.state == REMOVED) for n in nodes if n.parent in ids]
    if fmt == "mermaid":
        lines = ["flowchart TD"]
        lines += [f"    {ids[n.key]}[{_mermaid_label(n)}]" for n in nodes]
        lines += [f"    {a} {'-.->' if dashed else '-->'} {b}" for a, b, dashed in edges]
        for state in (CREATED, CHANGED, REMOVED):
            members = [ids[n.key] for n in nodes if n.state == state]
            if members:
                lines.append(f"    classDef {state} {_MERMAID_CLASSES[state]};")
                lines.append(f"    class {','.join(members)} {state};")
        return "\n".join(lines) + "\n"
    if fmt == "dot":
        lines = ["digraph org {", "    rankdir=TB;", '    node [shape=box, style=rounded, fontname="Helvetica"];']
        for n in nodes:
            label = _dot_escape(n.id or "(no id)") + "\\n" + _dot_escape(n.name)
            style = _DOT_STYLES.get(n.state)
            lines.append(f'    {ids[n.key]} [label="{label}"' + (f", {style}" if style else "") + "];")
        lines += [f"    {a} -> {b}" + (" [style=dashed]" if dashed else "") + ";" for a, b, dashed in edges]
        lines.append("}")
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown graph format {fmt!r}: use mermaid or dot")


def render(org: Org, plan: Plan | None, fmt: str) -> str:
    """The org chart of ``org``; with ``plan``, what it changes is highlighted."""
    return render_nodes(mark_plan(nodes_from_org(org), plan), fmt)
