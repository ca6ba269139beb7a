"""Deterministic generator of a large HRIS export (export.csv + mapping.yaml), and its timing.

Why: `ovctl import hris` of a 50,000-row export must take no longer than `ovctl plan` of an org of
the same size (issue 8, point 7). The export looks like a real one: UTF-8 with a BOM, ';'
separators, accented names, unmapped columns (one quoted with the separator in it), a three-level
team path, every team led by a person who sits in it, and about a third of the leaf teams led by a
person who sits in the parent team (the two cases of the manager rule, docs/hris.md).

    python bench/gen_hris.py --rows 50000 --out /tmp/hris           # write the two files
    python bench/gen_hris.py --rows 50000 --bench                     # and time read_hris on them
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from pathlib import Path

FIRST = ["Ana", "Inés", "René", "Zoé", "João", "Noémie", "Ramón", "Martin", "Sofía", "Chloé", "André",
         "Lucía", "Olivier", "Hélène", "Nicolás", "Agnès", "Beatriz", "Élise", "José", "Céline", "Adrián",
         "Gaëlle", "Iván", "Raphaël", "Yasmín", "Benoît", "Natalia", "Liam", "Emma", "Noah", "Olivia"]
LAST = ["Núñez", "García", "Côté", "Lefèvre", "Pereira", "Bélanger", "Ibáñez", "Moreau", "Østergaard",
        "Muñoz", "Tremblay", "Gagnon", "Ríos", "Dubois", "Fernández", "Roy", "Martin", "Bernard",
        "Leblanc", "Sánchez", "Pelletier", "Márquez", "Girard", "Fortin", "Castaño", "Lavoie", "Haddad"]
TITLES = ["Software Developer", "Account Executive", "Support Specialist", "Data Analyst", "Designer"]
OFFICES = ["Montréal", "Paris", "Québec", "Remote", "Toronto"]
DEPARTMENTS = ["Engineering", "Sales", "Support", "Operations", "Marketing", "Finance", "People", "Data",
               "Product", "Legal", "Security", "Research"]

MAPPING = """\
columns:
  id: Employee ID
  email: Work Email
  first_name: First Name
  last_name: Last Name
  job_title: Job Title
  language: Language
  manager: Manager Email
  team: Department
team_separator: " / "
properties:
  Location: {column: Office, type: choices}
  Hire Date: {column: Start Date, type: date, format: "%d/%m/%Y"}
  Level: {column: Grade, type: numeric}
"""


def team_paths(levels: list[int]) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    frontier: list[tuple[str, ...]] = [()]
    for depth, count in enumerate(levels):
        nxt = []
        for parent in frontier:
            for i in range(count):
                name = DEPARTMENTS[i % len(DEPARTMENTS)] + (f" {i // len(DEPARTMENTS) + 1}"
                                                             if i >= len(DEPARTMENTS) else "") \
                    if depth == 0 else f"{parent[-1].split()[0]} Team {chr(65 + i)}{depth}"
                nxt.append(parent + (name,))
        paths.extend(nxt)
        frontier = nxt
    return paths


def generate(rows: int, levels: list[int], out: Path, seed: int = 1) -> tuple[Path, Path]:
    rng = random.Random(seed)
    paths = team_paths(levels)
    leaves = [p for p in paths if len(p) == len(levels)]
    people: list[list[str]] = []
    lead: dict[tuple[str, ...], str] = {}

    def add(path: tuple[str, ...], manager: str, title: str) -> str:
        n = len(people) + 1
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last.lower()}.{n}@acme.example".replace(" ", "")
        people.append([f"E{100000 + n}", email, first, last, "", title, rng.choice(["en", "fr", "fr-CA"]),
                       manager, " / ".join(path), rng.choice(OFFICES),
                       f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2005, 2025)}",
                       str(rng.randint(1, 9)), f"{rng.randint(100, 999)} R&D; Montréal", f"+1 514 555 {n % 10000:04d}",
                       ""])
        return email

    ceo = add(("Leadership",), "", "Chief Executive Officer")
    for path in paths:  # one lead per team, parents first
        boss = lead.get(path[:-1], ceo)
        where = path[:-1] if len(path) == len(levels) and rng.random() < 0.33 else path  # head in the parent team
        lead[path] = add(where, boss, "Lead")
    while len(people) < rows:
        path = rng.choice(leaves)
        add(path, lead[path], rng.choice(TITLES))
    del people[rows:]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Employee ID", "Work Email", "First Name", "Last Name", "Preferred Name", "Job Title", "Language",
                     "Manager Email", "Department", "Office", "Start Date", "Grade", "Cost Center", "Personal Phone",
                     "Notes"])
    rng.shuffle(people)
    writer.writerows(people)
    out.mkdir(parents=True, exist_ok=True)
    export, mapping = out / "export.csv", out / "mapping.yaml"
    export.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    mapping.write_text(MAPPING, encoding="utf-8")
    return export, mapping


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--teams-per-level", default="8,5,4")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--bench", action="store_true", help="time read_hris on the generated files (best of 3)")
    args = parser.parse_args()
    levels = [int(x) for x in args.teams_per_level.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        export, mapping = generate(args.rows, levels, args.out or Path(tmp))
        print(f"{export}: {args.rows:,} rows, {export.stat().st_size / 2**20:.1f} MiB")
        if not args.bench:
            return
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from ovctl.sources.hris import read_hris

        best = cpu = float("inf")
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            imported = read_hris(export, mapping)
            best, cpu = min(best, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
        org = imported.org
        print(f"read_hris: {best:.2f} s wall, {cpu:.2f} s CPU (best of 3); {len(org.members):,} members, "
              f"{len(org.teams):,} teams, {len(imported.warnings)} warning(s)")


if __name__ == "__main__":
    main()
