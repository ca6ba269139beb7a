"""``ovctl apply``: a thin wrapper over ``ovctl.flows.apply.apply`` (docs/apply.md)."""

from __future__ import annotations

from pathlib import Path

from ovctl.console import Console


def run(paths: list[Path], *, auto_approve: bool, force: bool, flavor: str, endpoint: str | None,
        state_file: Path | None, console: Console, lock_timeout: float = 0.0,
        intent_outcome: str | None = None) -> int:
    from ovctl.flows.apply import apply

    return apply(paths, auto_approve=auto_approve, force=force, flavor=flavor, endpoint=endpoint,
                 state_file=state_file, io=console, lock_timeout=lock_timeout, intent_outcome=intent_outcome)
