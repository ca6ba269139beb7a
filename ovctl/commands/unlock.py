"""``ovctl unlock LOCK_ID``: release the state file's lock left by a run that is gone."""

from __future__ import annotations

from pathlib import Path

from ovctl.console import Console
from ovctl.exitcodes import ExitCode


def run(lock_id: str, paths: list[Path], *, state_file: Path | None, console: Console) -> int:
    from ovctl.files.planfile import default_state_file
    from ovctl.flows.lock import unlock

    state_path = default_state_file([Path(p) for p in paths], state_file)
    holder = unlock(state_path, lock_id)
    console.warn(f"released {holder.describe()} on {state_path}")
    return ExitCode.OK
