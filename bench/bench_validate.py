"""Wall time and peak memory of load + validate (``orgfile.load_org``) for a large org.

    python bench/bench_validate.py                 # 10,000 members, generated into a temp dir
    python bench/bench_validate.py --members 50000 --repeat 3
    python bench/bench_validate.py --org /path/to/org.yaml

Prints one line per phase: YAML read (C parser events -> positioned data), full load+validate,
and the peak Python memory of the full load (tracemalloc, in a separate run because tracing slows
everything down) plus the process's max RSS. Target (DESIGN, issue point 8): 10,000 members under
~2.5 s on a developer machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_org import generate  # noqa: E402

from ovctl.orgfile import load_org  # noqa: E402
from ovctl.yamlsource import read_yaml  # noqa: E402


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark load + validate of a large org.")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--teams-per-level", default="8,5,4")
    parser.add_argument("--org", type=Path, help="benchmark this org instead of a generated one")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.org:
            org = args.org
        else:
            levels = [int(x) for x in args.teams_per_level.split(",")]
            org, _ = generate(args.members, levels, Path(tmp))
        lines = sum(1 for _ in org.open(encoding="utf-8")) if org.is_file() else 0
        result = load_org([org])
        print(f"org: {org} ({lines} lines, {len(result.org.members)} members, {len(result.org.teams)} teams, "
              f"{len(result.warnings)} warnings)")
        read = best_of(args.repeat, lambda: read_yaml(org))
        full = best_of(args.repeat, lambda: load_org([org]))
        print(f"yaml read (C events -> positioned data): {read:.3f} s (best of {args.repeat})")
        print(f"load + validate:                         {full:.3f} s (best of {args.repeat})")
        tracemalloc.start()
        load_org([org])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"peak traced memory of load + validate:   {peak / 2**20:.1f} MiB")
        print(f"process max RSS:                         {rss_kib / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
