"""``ovctl pull``: write a snapshot of the live account (docs/apply.md), external ids carried forward."""

from __future__ import annotations

from pathlib import Path

from ovctl.console import Console
from ovctl.exitcodes import ExitCode


def run(*, out: Path | None, flavor: str, endpoint: str | None, state_file: Path | None, console: Console) -> int:
    from ovctl.files.atomic import atomic_write_text
    from ovctl.files.planfile import default_state_file
    from ovctl.flows.live import fetch_live

    if out is not None:
        _check_out(Path(out))  # before reading the whole account, not after
    state_path = default_state_file([], state_file)
    live, _state = fetch_live(endpoint, flavor, state_path, console, warn_without_state=True)
    live.applied_plans = []  # the plan history belongs to the state file, not to a snapshot
    with console.progress() as progress:
        progress("writing the snapshot")
        from ovctl.core.snapshot import not_visible_data

        from ovctl.files.statefile import snapshot_to_json

        hidden = not_visible_data(live)  # a read through the export: say what it could not see
        text = snapshot_to_json(live, None if hidden is None else {"not_visible": hidden})
    if out is None:
        console.write(text)
        return ExitCode.OK
    atomic_write_text(Path(out), text)  # an OutputError (one clean line) on any failure
    console.warn(f"wrote {out}: {len(live.members)} members, {len(live.teams)} teams")
    return ExitCode.OK


def _check_out(out: Path) -> None:
    """Refuse an --out that can never be written: a directory, or a path under a file."""
    from ovctl.core.errors import OutputError

    if out.is_dir():
        raise OutputError(f"{out}: is a directory; give a file name to write")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{out}: cannot write: {parent} is a file, not a directory")
            break
