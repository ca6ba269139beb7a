"""Wall time of `ovctl import state`, `ovctl fmt --check` and `ovctl plan --state` on a generated org.

    .venv/bin/python bench/bench_import.py [--members 50000] [--hris]

`--hris` times the HRIS path instead: `import hris` of bench/gen_hris.py's export to a new file,
`plan --state` of that org (against the account it describes), `fmt --check` of it, a re-import of
the same export (nothing changes), and the weekly case: a re-import of the export with 1% leavers
and 2% new job titles.

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
    said = (proc.stderr.strip().splitlines() or [""])[-1]
    print(f"{label:<44} {elapsed:7.2f} s  (exit {proc.returncode}) {said[-90:]}", flush=True)
    return elapsed


def weekly(export: Path, out: Path) -> None:
    """The export a week later: every 100th person who manages nobody has left, every 50th has a
    new job title."""
    head, *rows = export.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    managers = {r.split(";")[7] for r in rows}
    kept = []
    for i, r in enumerate(rows):
        cells = r.split(";")
        if i % 100 == 7 and cells[1] not in managers:
            continue
        if i % 50 == 3:
            cells[5] = "Senior " + cells[5]
        kept.append(";".join(cells))
    out.write_text("\ufeff" + head + "".join(kept), encoding="utf-8")


def bench_hris(rows: int) -> None:
    from gen_hris import generate as gen_hris

    from ovctl.core.engine import simulate
    from ovctl.core.model import Snapshot
    from ovctl.core.plan import build_plan
    from ovctl.files.orgfile import load_org
    from ovctl.files.statefile import write_snapshot

    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        export, mapping = gen_hris(rows, [12, 4, 5], tmpd / "hris")
        org = tmpd / "org.yaml"
        print(f"{rows} HRIS rows")
        timed("import hris -> new file", "import", "hris", str(export), "--mapping", str(mapping), "--out", str(org))
        state = Snapshot()
        for payload in build_plan(load_org([org]).org, state, force=True).payloads:
            state, _ = simulate(state, payload)
        converged = tmpd / "converged.json"
        write_snapshot(converged, state)
        timed("plan --state (imported org)", "plan", str(org), "--state", str(converged))
        timed("fmt --check (imported org)", "fmt", "--check", str(org))
        timed("import hris -> existing file (same export)", "import", "hris", str(export), "--mapping", str(mapping),
              "--out", str(org))
        later = tmpd / "hris" / "later.csv"
        weekly(export, later)
        timed("import hris -> existing file (a week later)", "import", "hris", str(later), "--mapping", str(mapping),
              "--out", str(org))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--hris", action="store_true", help="time the HRIS import path (see the docstring)")
    args = parser.parse_args()
    if args.hris:
        bench_hris(args.members)
        return
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
