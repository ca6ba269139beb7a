"""Wall time of `ovctl import state`, `ovctl fmt --check` and `ovctl plan --state` on a generated org.

    .venv/bin/python bench/bench_import.py [--members 50000]

The org is bench/gen_org.py's; the snapshot is that org applied (simulated), so the plan is empty.
`fmt --check` runs on the imported (canonical) file and on the generator's block-style file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_org import generate  # noqa: E402


def timed(label: str, *args: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "ovctl.cli", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    print(f"{label:<44} {elapsed:7.2f} s  (exit {proc.returncode})", flush=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=50_000)
    args = parser.parse_args()
    from ovctl.core.engine import simulate
    from ovctl.core.plan import build_plan
    from ovctl.files.orgfile import load_org
    from ovctl.files.statefile import read_snapshot, write_snapshot

    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        org_path, state_path = generate(args.members, [8, 5, 4], tmpd / "gen")
        state = read_snapshot(state_path)
        for payload in build_plan(load_org([org_path]).org, state, force=True).payloads:
            state, _ = simulate(state, payload)
        converged = tmpd / "converged.json"
        write_snapshot(converged, state)
        print(f"{args.members} members")
        timed("plan --state (generated org)", "plan", str(org_path), "--state", str(converged))
        timed("import state -> new file", "import", "state", str(converged), "--out", str(tmpd / "imported.yaml"))
        timed("plan --state (imported org)", "plan", str(tmpd / "imported.yaml"), "--state", str(converged))
        timed("fmt --check (imported, canonical)", "fmt", "--check", str(tmpd / "imported.yaml"))
        timed("import state -> existing file (re-import)", "import", "state", str(converged), "--out",
              str(tmpd / "imported.yaml"))
        timed("fmt --check (generator's block style)", "fmt", "--check", str(org_path))


if __name__ == "__main__":
    main()
