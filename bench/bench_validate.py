"""Wall time and peak memory of load + validate (``orgfile.load_org``) for a large org.

    python bench/bench_validate.py                 # 10,000 members, generated into a temp dir
    python bench/bench_validate.py --members 50000 --repeat 3
    python bench/bench_validate.py --org /path/to/org.yaml

Prints one line per phase: YAML read (C parser events -> positioned data), full load+validate,
the peak Python memory of the full load (tracemalloc, in a separate run because tracing slows
everything down) the process's max RSS, and the time to validate an org with thousands of unknown member references. Target (docs/org-file.md, Speed): 10,000 members under
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

from ovctl.files.orgfile import check_org, load_org  # noqa: E402
from ovctl.files.yamlsource import read_yaml  # noqa: E402


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bad_refs(count: int, tmp: Path) -> float:
    """``ovctl validate`` time of a ``count``-member org whose one team lists ``count`` misspelt ids
    (each close to a real one): did-you-mean over every candidate per reference was quadratic."""
    members = "".join(f"  - {{id: EMP{i:05d}, email: p{i}@x.io, first_name: P{i}, last_name: Q{i}}}\n"
                      for i in range(count))
    refs = ", ".join(f"EMPX{i:05d}" for i in range(count))
    org = tmp / "bad_refs.yaml"
    org.write_text(f"version: 1\nmembers:\n{members}teams:\n  - {{id: ENG, name: Eng, members: [{refs}]}}\n",
                   encoding="utf-8")
    start = time.perf_counter()
    errors = len(check_org([org]).errors)
    assert errors == count, errors
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark load + validate of a large org.")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--teams-per-level", default="8,5,4")
    parser.add_argument("--org", type=Path, help="benchmark this org instead of a generated one")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bad-refs", type=int, default=2000, help="members and unknown references of the did-you-mean line")
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
        print(f"validate, {args.bad_refs} unknown member refs:  {bad_refs(args.bad_refs, Path(tmp)):.3f} s "
              "(did-you-mean is bounded: near-linear)")
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"peak traced memory of load + validate:   {peak / 2**20:.1f} MiB")
        print(f"process max RSS:                         {rss_kib / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
