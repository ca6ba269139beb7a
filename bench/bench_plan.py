"""Wall time and peak memory of the core on a large org: read the state, plan, plan again converged.

Uses bench/gen_org.py (a 10,000-member org.yaml + a slightly different state.json) and H1's loader,
so the numbers cover what `ovctl plan --state` does before rendering.

    .venv/bin/python bench/bench_plan.py [--members 10000] [--teams-per-level 8,5,4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_org import generate  # noqa: E402

from ovctl.core.engine import simulate  # noqa: E402
from ovctl.files.orgfile import load_org  # noqa: E402
from ovctl.core.plan import build_plan  # noqa: E402
from ovctl.files.statefile import read_snapshot  # noqa: E402


def measure(label: str, fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # tracemalloc slows Python down; time again without it for the wall-clock figure.
    t0 = time.perf_counter()
    fn()
    clean = time.perf_counter() - t0
    print(f"{label:<32} {clean * 1000:8.1f} ms   (traced {elapsed * 1000:8.1f} ms)   peak {peak / 2**20:7.1f} MiB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--teams-per-level", default="8,5,4")
    args = parser.parse_args()
    levels = [int(x) for x in args.teams_per_level.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        org_path, state_path = generate(args.members, levels, Path(tmp))
        org = measure("load_org (H1, for reference)", lambda: load_org([org_path]).org)
        state = measure("read_snapshot", lambda: read_snapshot(state_path))
        plan = measure("build_plan", lambda: build_plan(org, state))
        print(f"  {len(org.members)} members, {len(org.teams)} teams; {len(plan.changes)} changes, "
              f"{plan.syncs} sync(s), risk users {plan.risk_users} / teams {plan.risk_teams}, safe={plan.safe}")
        applied = state
        for p in plan.payloads:
            applied, _ = simulate(applied, p)
        again = measure("build_plan (converged, no-op)", lambda: build_plan(org, applied))
        assert not again.changes, "a plan against its own simulated result must be empty"


if __name__ == "__main__":
    main()
