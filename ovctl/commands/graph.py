"""``ovctl graph``: the org chart of the teams (Mermaid or dot), changed teams highlighted.

With ``--state FILE`` the chart highlights what a plan against that snapshot would change
(created, renamed, adopted, moved teams and teams whose memberships change) and shows removed
teams dashed. Without it, the plain desired tree is drawn; nothing is read from the account.
"""

from __future__ import annotations

from pathlib import Path

from ovctl.console import Console
from ovctl.exitcodes import ExitCode


def run(paths: list[Path], *, state: Path | None, fmt: str, console: Console) -> int:
    from ovctl.core.errors import UsageError
    from ovctl.files.orgfile import load_org
    from ovctl.render import graph

    if fmt not in ("mermaid", "dot"):
        raise UsageError(f"unknown graph format {fmt!r}: use mermaid or dot")
    loaded = load_org([Path(p) for p in paths])
    plan = None
    if state is not None:
        from ovctl.core.plan import build_plan
        from ovctl.files.statefile import read_snapshot

        plan = build_plan(loaded.org, read_snapshot(Path(state)))
    console.write(graph.render(loaded.org, plan, fmt))
    return ExitCode.OK
