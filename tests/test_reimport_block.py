"""Re-import's text merge of BLOCK-STYLE members (``files/splice.py``) against the round trip.

The org is the block-style file ``bench/gen_org.py`` writes (the layout people write by hand), then
edited as people do: end-of-line comments, quoted values, a block ``properties:``, keys in another
order, some entries as flow lines (a mixed section), comment and blank lines between entries (a
shape the text merge declines), a comment after the section. The account then changes as a week
does: every member field updated, e-mails renamed, properties changed, added and dropped, joiners
(some without an external id, so with a derived id and its comment), leavers. ``merge_into`` (the
text merge when it applies) must give exactly what the round trip (``_merge(..., splice_members=False)``)
gives, and the text merge must be the one taken whenever the section is of a shape it accepts.
"""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path

import pytest

from ovctl.core.model import Snapshot
from ovctl.files import orgwriter, splice
from ovctl.files.statefile import read_snapshot
from ovctl.sources.snapshot import org_from_snapshot
from support.weeks import add_joiners

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Snapshot]:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from gen_org import generate
    finally:
        sys.path.pop(0)
    org, state = generate(150, [3, 2], tmp_path_factory.mktemp("gen"), seed=7)
    return org.read_text(encoding="utf-8"), read_snapshot(state)


def _blocks(text: str) -> tuple[list[str], list[list[str]], list[str]]:
    """(lines before the members' entries, each entry's lines, lines after them)."""
    lines = text.splitlines(keepends=True)
    start = lines.index("members:\n") + 1
    end = start
    while lines[end].startswith("  "):
        end += 1
    entries: list[list[str]] = []
    for line in lines[start:end]:
        if line.startswith("  - "):
            entries.append([line])
        else:
            entries[-1].append(line)
    return lines[:start], entries, lines[end:]


def _edit_entry(entry: list[str], rng: random.Random, mixed: bool, between: bool) -> list[str]:
    """One block entry as a person might have edited it."""
    out = list(entry)
    r = rng.random()
    if r < 0.12:  # an end-of-line comment, on any line
        k = rng.randrange(len(out))
        out[k] = out[k][:-1] + " " * rng.randint(1, 3) + "# " + rng.choice(["on leave", "HR-12", "x"]) + "\n"
    elif r < 0.2:  # properties as a block mapping
        for k, line in enumerate(out):
            if line.startswith("    properties: {"):
                pairs = line[len("    properties: {"):-2].split(", ")
                out[k:k + 1] = ["    properties:\n", *(f"      {p}\n" for p in pairs)]
    elif r < 0.26:  # quoted by hand
        k = rng.randrange(1, len(out))
        key, _, value = out[k].partition(": ")
        value = value[:-1]
        if value and not value.startswith(("{", '"', "'")):
            q = rng.choice("'\"")
            inner = value.replace("'", "''") if q == "'" else value.replace("\\", "\\\\").replace('"', '\\"')
            out[k] = f"{key}: {q}{inner}{q}\n"
    elif r < 0.3:  # keys in another order
        out[0], out[1] = "  - " + out[1][4:], "    " + out[0][4:]
    elif r < 0.34:  # no properties
        out = [line for line in out if not line.startswith(("    properties", "      "))]
    elif r < 0.38:  # a value on two lines (a plain scalar continued)
        for k, line in enumerate(out):
            if line.startswith("    job_title: ") and " " in line[15:].strip():
                a, b = line[:-1].rsplit(" ", 1)
                out[k:k + 1] = [a + "\n", "      " + b + "\n"]
                break
    elif r < 0.46 and mixed:  # a flow line, as ovctl import writes it, maybe commented
        line = "  - {" + ", ".join(x.strip() for x in out if not x.startswith("      ")).removeprefix("- ") + "}"
        if "properties:\n" in "".join(out):
            return out
        out = [line + (rng.choice(["", "  # flow"]) if "#" not in line else "") + "\n"]
    if between and rng.random() < 0.15:
        out += rng.choice([["\n"], ["  # about the next one\n"], ["\n", "# at column 0\n", "\n"]])
    return out


def _edit_teams(lines: list[str], rng: random.Random) -> list[str]:
    """The teams' block lists of ids as a person might have edited them: a comment or blank line
    after a list, an item quoted or commented, a list written flow."""
    out: list[str] = []
    for k, line in enumerate(lines):
        item = line.lstrip(" ")
        nxt = lines[k + 1] if k + 1 < len(lines) else ""
        last_item = item.startswith("- ") and not nxt.lstrip(" ").startswith("- ")
        r = rng.random()
        if item.startswith("- ") and not item.startswith("- id:") and r < 0.02:
            line = line.replace("- ", "- '", 1)[:-1] + "'\n"
        elif item.startswith("- ") and not item.startswith("- id:") and r < 0.03:
            line = line[:-1] + "  # lead\n"
        out.append(line)
        if last_item and r > 0.9:
            out.append(rng.choice(["\n", line[:len(line) - len(item) - 2] + "# who\n"]))
    return out


def _edit(text: str, rng: random.Random, *, mixed: bool, between: bool, after: bool) -> str:
    head, entries, tail = _blocks(text)
    body = [line for e in entries for line in _edit_entry(e, rng, mixed, between)]
    tail = _edit_teams(tail, rng)
    if after:
        tail = ["# the teams\n", *tail]
    return "".join([*head, *body, *tail])


def _changed(snap: Snapshot, rng: random.Random) -> Snapshot:
    """The account a week later."""
    new = copy.deepcopy(snap)
    members = [m for m in new.members if rng.random() > 0.06]  # leavers
    for m in members:
        r = rng.random()
        if r < 0.03:
            m.first_name = rng.choice(["Zoë", "O'Neil", "Jean-Luc", "#1 fan", "true", "Ann: B"])
        elif r < 0.06:
            m.last_name = m.last_name + rng.choice([" Jr", "-Smith", " 'the' Third"])
        elif r < 0.09:
            m.job_title = rng.choice([None, "Staff Engineer", "Head: Ops", "O'Neil's aide", "C# dev"])
        elif r < 0.12:
            m.language = rng.choice([None, "fr", "en", "es"])
        elif r < 0.15:
            m.email = "renamed." + m.email
        elif r < 0.2 and new.properties:
            name = rng.choice(sorted(new.properties))
            if rng.random() < 0.5:
                m.properties.pop(name, None)
            else:
                m.properties[name] = {"Level": str(rng.randint(0, 12)), "Hire Date": "2020-02-29",
                                      "Location": "Paris", "Cost Center": rng.choice(["CC-1", "007", "a, b"])}[name]
        elif r < 0.22:
            m.properties = {}
    add_joiners(rng, snap, new, members)  # and some join a team
    return new


def _compare(path: Path, after: Snapshot, *, taken: bool) -> None:
    fast_in, slow_in = org_from_snapshot(after, source="s"), org_from_snapshot(after, source="s")
    if taken:  # the text merge accepts this section (no fallback to the round trip)
        orgwriter._merge(org_from_snapshot(after, source="s"), path, directory=False, splice_members=True)
    fast = orgwriter.merge_into(fast_in, path, directory=False)
    slow = orgwriter._merge(slow_in, path, directory=False, splice_members=False)
    assert fast == slow
    assert fast_in.derived == slow_in.derived
    if fast[0]:  # the second run changes nothing
        path.write_text(fast[0][path], encoding="utf-8")
        again = orgwriter.merge_into(org_from_snapshot(after, source="s"), path, directory=False)
        assert again[0] == {}


@pytest.mark.parametrize("seed", range(30))
def test_block_merge_equals_round_trip(tmp_path: Path, generated: tuple[str, Snapshot], seed: int) -> None:
    text, snap = generated
    rng = random.Random(seed)
    mixed = seed % 3 == 0
    path = tmp_path / "org.yaml"
    path.write_text(_edit(text, rng, mixed=mixed, between=False, after=False), encoding="utf-8")
    _compare(path, _changed(snap, rng), taken=True)


def _block_props(text: str) -> str:
    """Every member's ``properties`` as a block mapping: each entry then ends with a scalar."""
    out = []
    for line in text.splitlines(keepends=True):
        if line.startswith("    properties: {"):
            out += ["    properties:\n", *(f"      {p}\n" for p in line[len("    properties: {"):-2].split(", "))]
        else:
            out.append(line)
    return "".join(out)


@pytest.mark.parametrize("seed", range(12))
def test_lines_between_entries(tmp_path: Path, generated: tuple[str, Snapshot], seed: int) -> None:
    """Blank and comment lines between entries, a comment after the section. After an entry that
    ends with a scalar they are that entry's (the text merge keeps them with it); after one that
    ends with a flow mapping (``properties: {...}``) ruamel gives them to the next entry's place
    in the sequence, a shape the text merge declines."""
    text, snap = generated
    rng = random.Random(1000 + seed)
    scalar_ends = seed % 2 == 0
    path = tmp_path / "org.yaml"
    edited = _edit(_block_props(text) if scalar_ends else text, rng, mixed=False, between=True, after=seed % 3 == 0)
    path.write_text(edited, encoding="utf-8")
    if not scalar_ends:
        with pytest.raises(splice.SpliceFailed):
            orgwriter._merge(org_from_snapshot(snap, source="s"), path, directory=False, splice_members=True)
    _compare(path, _changed(snap, rng), taken=scalar_ends)


def test_the_bench_org_as_generated(tmp_path: Path, generated: tuple[str, Snapshot]) -> None:
    """The file and account ``bench/gen_org.py`` writes, as they are: the text merge is taken."""
    text, snap = generated
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    _compare(path, snap, taken=True)


def _as_block(line: str) -> str:
    """A flow member line (maybe commented) as a block entry, its comment kept on the id line."""
    from ovctl.files.fastfmt import _flow_pairs

    end = line.rindex("}") + 1
    flow, comment = line[:end], line[end:].strip()
    pairs = _flow_pairs(flow[len("  - {"):-1])
    assert pairs is not None
    lines = [f"    {k}: {v}" for k, v in pairs]
    lines[0] = "  - " + lines[0][4:] + (f"  {comment}" if comment else "")
    return "".join(f"{x}\n" for x in lines)


@pytest.mark.parametrize("seed", range(6))
def test_derived_ids_in_block_entries(tmp_path: Path, generated: tuple[str, Snapshot], seed: int) -> None:
    """Joiners written with a derived id and its comment, then turned into block entries by hand:
    the next week's re-import keeps (or rewrites) them as the round trip does."""
    text, snap = generated
    rng = random.Random(2000 + seed)
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    week1 = _changed(snap, rng)
    files, _, _ = orgwriter.merge_into(org_from_snapshot(week1, source="s"), path, directory=False)
    written = files[path]
    path.write_text("".join(_as_block(line) if line.startswith("  - {") else line
                            for line in written.splitlines(keepends=True)), encoding="utf-8")
    _compare(path, _changed(week1, rng), taken=True)
