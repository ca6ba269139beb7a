"""Every command at several org sizes, as whole processes, in one run; writes docs/performance.md.

Why whole processes: a user waits for start-up, imports, parsing and rendering, not one function.
Each figure is the median of N cold runs (a new process each time) measured with ``os.wait4``:
wall time, CPU time (user + system) and the process's own peak RSS. In the same run, as
references, the C parser's bare event scan of the same org file and a PyYAML-C load of it, so
ratios hold when the machine's speed drifts.

Commands: ``validate``, ``plan --format json``, ``plan --format text``, ``render``,
``import state``, ``fmt --check`` (each skipped when this ovctl lacks it), and against a sandbox
(a real ``ovctl sandbox serve`` process seeded with the generated account before each run):
``pull``, ``pull`` with ``OVCTL_EXPORT_ONLY=1`` and ``apply --auto-approve``.

    .venv/bin/pip install pyyaml            # the PyYAML-C reference (bench only)
    .venv/bin/python bench/run.py --sizes 1000,10000,50000,100000 --runs 3 --write docs/performance.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_org import generate  # noqa: E402

PY = sys.executable
OVCTL = [PY, "-m", "ovctl.cli"]
LEVELS = {1_000: "4,3,3", 5_000: "6,4,3", 10_000: "8,5,4", 20_000: "8,6,4", 50_000: "10,8,5", 100_000: "12,8,6"}
EVENT_SCAN = ("import sys; from ruamel.yaml import YAML; text = open(sys.argv[1], encoding='utf-8').read()\n"
              "for _ in YAML(typ='safe', pure=False).parse(text): pass")
PYYAML_LOAD = "import sys, yaml; yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=yaml.CSafeLoader)"


@dataclass
class Figure:
    """Medians of one command at one size."""

    wall: float
    cpu: float
    rss_mb: float
    codes: list[int] = field(default_factory=list)


def run_once(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, float, float, int]:
    """(wall s, cpu s, peak RSS MB, exit code) of one process, its output thrown away."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})}, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def measure(args: list[str], runs: int, *, env: dict[str, str] | None = None, before=None, cwd: Path | None = None) -> Figure:
    walls, cpus, rss, codes = [], [], [], []
    for _ in range(runs):
        extra = before() if before is not None else {}
        w, c, r, code = run_once(args, {**(env or {}), **(extra or {})}, cwd)
        walls.append(w)
        cpus.append(c)
        rss.append(r)
        codes.append(code)
    return Figure(statistics.median(walls), statistics.median(cpus), statistics.median(rss), sorted(set(codes)))


def has_command(name: str) -> bool:
    out = subprocess.run([*OVCTL, "--help"], capture_output=True, text=True).stdout
    return any(line.strip().split(" ")[0] == name for line in out.splitlines())


class Sandbox:
    """A sandbox process on a fresh database seeded with ``seed`` (restarted for every cold run)."""

    def __init__(self, workdir: Path, seed: Path) -> None:
        self.workdir, self.seed = workdir, seed
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> dict[str, str]:
        self.stop()
        db = self.workdir / "bench.db"
        for p in (db, Path(str(db) + "-wal"), Path(str(db) + "-shm")):
            p.unlink(missing_ok=True)
        self.proc = subprocess.Popen([*OVCTL, "sandbox", "serve", "--db", str(db), "--port", "0", "--seed",
                                      str(self.seed), "--api-key", "bench-key"], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("ovctl sandbox: http://"):
                self.url = line.split()[2]
                break
        else:
            raise RuntimeError("the sandbox did not start")
        return {"OVCTL_ENDPOINT": self.url, "OVCTL_API_KEY": "bench-key"}

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


SKIP: set[str] = set()  # commands left out (--skip): the first word of a row's name


def wanted(label: str) -> bool:
    return label.split()[0] not in SKIP


def bench_size(n: int, runs: int, work: Path, with_sandbox: bool) -> dict[str, Figure]:
    out = work / f"org-{n}"
    org, state = generate(n, [int(x) for x in LEVELS.get(n, "10,8,5").split(",")], out)
    res: dict[str, Figure] = {}
    res["ref: C event scan"] = measure([PY, "-c", EVENT_SCAN, str(org)], runs)
    try:
        import yaml  # noqa: F401
        res["ref: PyYAML-C load"] = measure([PY, "-c", PYYAML_LOAD, str(org)], runs)
    except ImportError:
        pass
    if wanted("validate"):
        res["validate"] = measure([*OVCTL, "validate", str(org)], runs)
    res["plan --format json"] = measure([*OVCTL, "plan", str(org), "--state", str(state), "--format", "json"], runs)
    if wanted("plan-text"):
        res["plan --format text"] = measure([*OVCTL, "plan", str(org), "--state", str(state), "--format", "text"], runs)
    if wanted("render"):
        res["render --format json"] = measure([*OVCTL, "render", str(org), "--out", str(out / "payload")], runs)
    if wanted("import") and has_command("import"):
        res["import state"] = measure([*OVCTL, "import", "state", str(state), "--out", str(out / "imported.yaml")], runs,
                                      before=lambda: (out / "imported.yaml").unlink(missing_ok=True))
    if wanted("fmt") and has_command("fmt"):
        res["fmt --check"] = measure([*OVCTL, "fmt", "--check", str(org)], runs)
    if with_sandbox:
        sb = Sandbox(out, state)
        try:
            res["pull"] = measure([*OVCTL, "pull", "--out", str(out / "pulled.json")], runs, before=sb.start)
            res["pull (export only)"] = measure([*OVCTL, "pull", "--out", str(out / "pulled-export.json")], runs,
                                                env={"OVCTL_EXPORT_ONLY": "1"}, before=sb.start)

            def fresh() -> dict[str, str]:
                (out / "ovctl.state.json").unlink(missing_ok=True)
                return sb.start()

            res["apply --auto-approve"] = measure([*OVCTL, "apply", str(org), "--auto-approve", "--force",
                                                   "--state-file", str(out / "ovctl.state.json")], runs, before=fresh)
        finally:
            sb.stop()
    shutil.rmtree(out / "payload", ignore_errors=True)
    return res


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def table(results: dict[int, dict[str, Figure]], runs: int) -> str:
    sizes = sorted(results)
    names = list(dict.fromkeys(k for r in results.values() for k in r))
    lines = [f"Median of {runs} cold runs per cell: wall s / CPU s / peak RSS MB.", "",
             "| command | " + " | ".join(f"{n:,} members" for n in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for name in names:
        cells = []
        for n in sizes:
            f = results[n].get(name)
            cells.append("—" if f is None else f"{f.wall:.2f} / {f.cpu:.2f} / {f.rss_mb:.0f}"
                         + ("" if f.codes in ([0], [2]) or name.startswith("ref") else f" (exit {f.codes})"))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Ratios (wall time):", ""]
    for n in sizes:
        r = results[n]
        scan, pyyaml, plan = r.get("ref: C event scan"), r.get("ref: PyYAML-C load"), r.get("plan --format json")
        parts = []
        if plan and scan:
            parts.append(f"plan / C event scan = {plan.wall / scan.wall:.2f}")
        if plan and pyyaml:
            parts.append(f"plan / PyYAML-C load = {plan.wall / pyyaml.wall:.2f}")
        if plan and r.get("apply --auto-approve"):
            parts.append(f"apply / plan = {r['apply --auto-approve'].wall / plan.wall:.2f}")
        if r.get("pull") and r.get("pull (export only)"):
            parts.append(f"export-only pull / pull = {r['pull (export only)'].wall / r['pull'].wall:.2f}")
        if parts:
            lines.append(f"- {n:,}: " + "; ".join(parts))
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,50000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-sandbox", action="store_true", help="skip pull and apply")
    ap.add_argument("--write", type=Path, help="write the table into this markdown file (between markers)")
    ap.add_argument("--skip", default="", help="commands to leave out, comma-separated: validate, render, import, "
                    "fmt, plan-text")
    args = ap.parse_args()
    SKIP.update(x.strip() for x in args.skip.split(",") if x.strip())
    results: dict[int, dict[str, Figure]] = {}
    with tempfile.TemporaryDirectory(prefix="ovctl-bench-") as tmp:
        for n in [int(s) for s in args.sizes.split(",")]:
            print(f"== {n:,} members", file=sys.stderr, flush=True)
            results[n] = bench_size(n, args.runs, Path(tmp), not args.no_sandbox)
            for name, f in results[n].items():
                print(f"  {name:<24} wall {f.wall:7.2f}s  cpu {f.cpu:7.2f}s  rss {f.rss_mb:6.0f} MB  exit {f.codes}",
                      file=sys.stderr, flush=True)
    text = f"Machine: {machine()}.\n\n" + table(results, args.runs)
    print(text)
    if args.write:
        start, end = "<!-- bench:start -->", "<!-- bench:end -->"
        doc = args.write.read_text(encoding="utf-8") if args.write.exists() else f"# Performance\n\n{start}\n{end}\n"
        if start not in doc:
            doc += f"\n{start}\n{end}\n"
        head, rest = doc.split(start, 1)
        tail = rest.split(end, 1)[1]
        args.write.write_text(f"{head}{start}\n{text}{end}{tail}", encoding="utf-8")
        print(json.dumps({"wrote": str(args.write)}), file=sys.stderr)


if __name__ == "__main__":
    main()
