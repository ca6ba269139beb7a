"""``ovctl pull``: write a snapshot of the live account (DESIGN §3), external ids carried forward."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def run(*, out: Path | None, flavor: str, endpoint: str | None, state_file: Path | None) -> int:
    from ..atomic import atomic_write_text
    from ..live import fetch_live
    from ..planfile import default_state_file

    state_path = default_state_file([], state_file)
    live, _state = fetch_live(endpoint, flavor, state_path)
    live.applied_plans = []  # the plan history belongs to the state file, not to a snapshot
    text = json.dumps(live.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        sys.stdout.write(text)
        return 0
    atomic_write_text(Path(out), text)
    print(f"wrote {out}: {len(live.members)} members, {len(live.teams)} teams", file=sys.stderr)
    return 0
