"""``fmt``'s fast path (``files/fastfmt.py``) gives byte for byte what ruamel's round trip gives.

Differential: every example and corpus file, generated orgs in both layouts (block members as
``bench/gen_org.py`` writes them, canonical one-line members as ``ovctl import`` writes them),
hand-made variants around every fallback condition, and hypothesis-generated org texts. The fast
path is forced on (``min_parts=0``); where a test needs the fast path really taken, it says so.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovctl.core.errors import OvctlError
from ovctl.files import fastfmt
from ovctl.files.orgwriter import format_text

ROOT = Path(__file__).resolve().parents[1]


def _outcome(fn, text: str) -> tuple[str, str]:
    try:
        return "ok", fn(text, "org.yaml")
    except OvctlError as e:
        return "error", str(e)


def _same(text: str) -> None:
    fast = _outcome(lambda t, d: fastfmt.format_fast(t, d, min_parts=0), text)
    slow = _outcome(format_text, text)
    assert fast == slow


def _taken(text: str) -> bool:
    """Whether the fast path handles ``text`` itself (no fallback to the round trip)."""
    try:
        _, parts = fastfmt._split(text.splitlines(keepends=True))
        fastfmt._render(parts, "org.yaml")
    except fastfmt._Fallback:
        return False
    return bool(parts)


def _gen_org(tmp_path: Path, members: int) -> tuple[Path, Path]:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from gen_org import generate
    finally:
        sys.path.pop(0)
    return generate(members, [3, 2], tmp_path / "gen")


FILES = sorted([*ROOT.glob("examples/**/*.yaml"), *ROOT.glob("tests/data/invalid/*.yaml")])


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_and_corpus_file(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: fmt refuses it before formatting")
    _same(text)


def test_generated_orgs_in_both_layouts(tmp_path: Path) -> None:
    from tests.support.cli import run_cli

    org, state = _gen_org(tmp_path, 400)
    block = org.read_text(encoding="utf-8")
    assert _taken(block)
    _same(block)
    out = tmp_path / "imported.yaml"
    assert run_cli(["import", "state", str(state), "--out", str(out)])[0] == 0
    canonical = out.read_text(encoding="utf-8")
    assert _taken(canonical)
    _same(canonical)
    assert fastfmt.format_fast(block, "org.yaml") == format_text(block, "org.yaml")  # the default threshold too


@pytest.mark.parametrize("old,new", [
    ("    language: es\n", "    language: es  \n"),  # trailing spaces
    ("    language: es\n", "    language: 'es'\n"),  # quoted
    ("    language: es\n", '    language: "es"\n'),
    ("    language: es\n", "    language: es\n  # a comment after a block member\n"),
    ("    language: es\n", "    language: es\n\n"),  # a blank line
    ("    language: es\n", "    language: es  # why\n"),
    ("    language: es\n", "    language: |\n      es\n"),
    ("    language: es\n", "    language: &a es\n"),
    ("    language: es\n", "    language:\n      es\n"),
    ("    job_title: Software Developer\n", "    job_title: Software\n      Developer\n"),
    ("    job_title: Software Developer\n", "    job_title: 'Software: Developer'\n"),
    ("    job_title: Software Developer\n", "    job_title: 'true'\n"),
    ("    job_title: Software Developer\n", "    job_title: 1234\n"),
    ("    job_title: Software Developer\n", "    job_title: 0x1F\n"),
    ("    job_title: Software Developer\n", "    job_title: 2012-04-05\n"),
    ("    job_title: Software Developer\n", "    job_title: null\n"),
    ("    job_title: Software Developer\n", "    job_title: ~\n"),
    ("    job_title: Software Developer\n", "    job_title: Dev # x\n"),
    ("    job_title: Software Developer\n", "    job_title:Dev\n"),
    ("    first_name: Adrián\n", "    first_name: Adrián\n    first_name: Ana\n"),  # duplicate key
    ("  - id: E100000\n    email:", "  - email:"),  # key order
    ("  - id: E100000\n", "  - id: 100000\n"),
    ("  - id: E100000\n", "  - id: 007\n"),
    ("  - id: E100000\n", "  -   id: E100000\n"),
    ("    properties: {Location: Québec,", "    properties:\n      Location: Québec\n      Extra: {Location: Paris,"),
    ("Level: 2,", "Level: 1_000,"),
    ("Level: 2,", "Level: +2,"),
    ("Level: 2,", "Level: 2.5,"),
    ("Level: 2,", "Level: true,"),
    ("Hire Date: 2012-04-05", "Hire Date: 2012-4-5"),
    ("Hire Date: 2012-04-05", "Hire Date: 2012-02-30"),
    ("Location: Québec,", "Location: Québec, Location: Paris,"),
    ("Location: Québec,", "Location:  Québec,"),
    ("Location: Québec,", "'Location': Québec,"),
    ("members:\n  - id: E100000", "members:\n  # first\n  - id: E100000"),
    ("members:\n  - id: E100000", "members:  # all of them\n  - id: E100000"),
    ("\nteams:\n", "\n# the teams\nteams:\n"),
])
def test_block_member_variants(tmp_path: Path, old: str, new: str) -> None:
    org, _ = _gen_org(tmp_path, 30)
    text = org.read_text(encoding="utf-8")
    assert old in text
    _same(text.replace(old, new, 1))


@pytest.mark.parametrize("old,new", [
    ("        members:\n          - ", "        members:\n              # who\n          - "),
    ("        members:\n          - ", "        members:  # who\n          - "),
    ("        members:\n          - ", "        members:\n\n          - "),
    ("        members:\n          - ", "        members:\n          - 'E1'\n          - "),
    ("        members:\n          - ", "        members:\n          - 12\n          - "),
    ("        members:\n          - ", "        members:\n          - [a]\n          - "),
    ("        members:\n          - ", "        members:\n            - "),
    ("    managers: [E", "    managers: [ E"),
    ("    managers: [E", "    managers: ['E1', E"),
    ("    managers: [E", "    managers: [E1,E"),
    ("    managers: [E", "    managers: [E1, E"),
    ("    managers: [E", "    managers: []\n    x: [E"),
])
def test_team_list_variants(tmp_path: Path, old: str, new: str) -> None:
    org, _ = _gen_org(tmp_path, 30)
    text = org.read_text(encoding="utf-8")
    assert old in text
    _same(text.replace(old, new, 1))


# --------------------------------------------------------------------------- hypothesis

_WORDS = st.sampled_from(["Ana", "Núñez", "O'Brien", "true", "null", "12", "007", "2012-04-05", "a: b", "x #y",
                          "-lead", "Dev Ops", "é", "[x]", "{y}", "E1", "yes", "~", "a,b", "", " pad", "Q&A", "1.5"])


def _scalar() -> st.SearchStrategy[str]:
    """A scalar as a person might write it: plain, quoted either way, or odd."""
    return st.one_of(_WORDS, _WORDS.map(lambda w: "'" + w.replace("'", "''") + "'"),
                     _WORDS.map(lambda w: '"' + w.replace('"', '\\"') + '"'))


@st.composite
def _member(draw: st.DrawFn, n: int) -> str:
    keys = ["id", "email", "first_name", "last_name", "job_title", "language"]
    chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=6, unique=True))
    if draw(st.booleans()):
        chosen = sorted(chosen, key=keys.index)
    fields = [(k, f"E{n}" if k == "id" else draw(_scalar())) for k in chosen]
    props = draw(st.lists(st.tuples(st.sampled_from(["Level", "Hire Date", "Location", "1"]), _scalar()),
                          max_size=3))
    style = draw(st.sampled_from(["flow", "block", "block-props"]))
    comment = draw(st.sampled_from(["", "", "  # note"]))
    if style == "flow":
        inner = ", ".join(f"{k}: {v}" for k, v in fields)
        if props:
            inner += ", properties: {" + ", ".join(f"{k}: {v}" for k, v in props) + "}"
        return "  - {" + inner + "}" + comment + "\n"
    lines = [f"{k}: {v}" for k, v in fields]
    if props and style == "block-props":
        lines.append("properties:\n" + "".join(f"      {k}: {v}\n" for k, v in props).rstrip("\n"))
    elif props:
        lines.append("properties: {" + ", ".join(f"{k}: {v}" for k, v in props) + "}")
    return "  - " + "\n    ".join(lines) + comment + "\n"


@st.composite
def _org_text(draw: st.DrawFn) -> str:
    members = [draw(_member(i)) for i in range(draw(st.integers(0, 6)))]
    between = draw(st.lists(st.sampled_from(["", "", "\n", "  # c\n"]), min_size=len(members), max_size=len(members)))
    teams = []
    for t in range(draw(st.integers(0, 3))):
        ids = draw(st.lists(st.one_of(st.sampled_from(["E1", "E2", "E3"]), _scalar()), min_size=1, max_size=3))
        if draw(st.booleans()):
            listed = "    members: [" + ", ".join(ids) + "]\n"
        else:
            listed = "    members:\n" + "".join(f"      - {i}\n" for i in ids)
        after = draw(st.sampled_from(["", "", "    # end\n", "\n"]))
        teams.append(f"  - id: T{t}\n    name: Team {t}\n{listed}{after}")
    text = "version: 1\norganization: X\n"
    if members:
        text += "members:\n" + "".join(m + b for m, b in zip(members, between))
    if teams:
        text += "teams:\n" + "".join(teams)
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_org_text())
def test_hypothesis_orgs(text: str) -> None:
    _same(text)
