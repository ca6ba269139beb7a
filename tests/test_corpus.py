"""The broken-input corpus (issue 10, point 10): every file in tests/data/invalid/ (org files) and
tests/data/invalid-snapshots/ (snapshots, JSON and YAML) is named for its defect and says which
error it must produce:

- an org file's first line (after any byte-order mark) is ``# expect: CODE at LINE:COL (why)``;
  the nine older hostile-input files are checked by tests/test_hostile_input.py instead;
- a YAML snapshot's first line is ``# expect: FILE<fragment>``, a JSON snapshot has a sidecar
  ``NAME.json.expect`` holding that line: ``FILE`` stands for the path, and the error line must
  start with ``error: PATH<fragment>`` — the fragment carries ``:LINE:COL:`` or the field.

For each: exit 1, the expected located error, no traceback, every character printable.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ovctl.files.orgfile import check_org
from test_hostile_input import EXPECTED as HOSTILE_EXPECTED
from support.cli import run_cli

DATA = Path(__file__).resolve().parent / "data"
ORGS = sorted((DATA / "invalid").glob("*.yaml"))
SNAPSHOTS = sorted(p for p in (DATA / "invalid-snapshots").iterdir() if p.suffix in (".json", ".yaml"))
ORG_EXPECT = re.compile(rb"^(?:\xef\xbb\xbf)?# expect: ([a-z_]+) at (\d+):(\d+) \((.+)\)\r?\n")
GOOD_ORG = ("version: 1\norganization: Acme\nmembers:\n"
            "  - {id: E1, email: ana@acme.example, first_name: Ana, last_name: Diaz}\n"
            "teams:\n  - {id: ENG, name: Engineering, members: [E1]}\n")


def run(*args: str) -> tuple[int, str]:
    rc, out, err = run_cli(args)
    return rc, out + err


def printable(text: str) -> bool:
    return all(c.isprintable() or c == "\n" for c in text)


def org_expectation(path: Path) -> tuple[str, int, int]:
    match = ORG_EXPECT.match(path.read_bytes())
    assert match, f"{path.name}: the first line must be '# expect: CODE at LINE:COL (why)'"
    return match[1].decode(), int(match[2]), int(match[3])


def snapshot_expectation(path: Path) -> str:
    if path.suffix == ".yaml":
        line = path.read_text(encoding="utf-8").splitlines()[0]
    else:
        line = Path(f"{path}.expect").read_text(encoding="utf-8").splitlines()[0]
    assert line.removeprefix("# expect: ").startswith("FILE"), f"{path.name}: no expectation"
    fragment = line.removeprefix("# expect: ").removeprefix("FILE")
    assert re.match(r"(:\d+:\d+)?: \S", fragment), f"{path.name}: the expectation names no line:col or field"
    return fragment


def test_the_corpus_is_big_enough_and_every_file_has_an_expectation() -> None:
    assert len(ORGS) >= 40 and len(SNAPSHOTS) >= 15
    for path in ORGS:
        if path.name not in HOSTILE_EXPECTED:
            org_expectation(path)
    for path in SNAPSHOTS:
        snapshot_expectation(path)
    sidecars = {p.name.removesuffix(".expect") for p in (DATA / "invalid-snapshots").glob("*.expect")}
    assert sidecars == {p.name for p in SNAPSHOTS if p.suffix == ".json"}
    names = [p.stem for p in ORGS + SNAPSHOTS]
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n) for n in names), names


NEW_ORGS = [p for p in ORGS if p.name not in HOSTILE_EXPECTED]


@pytest.mark.parametrize("path", NEW_ORGS, ids=[p.name for p in NEW_ORGS])
def test_broken_org_file_gives_its_located_error(path: Path) -> None:
    code, line, column = org_expectation(path)
    rc, text = run("validate", str(path))
    assert rc == 1, text
    assert "Traceback" not in text and "internal error" not in text.lower()
    assert printable(text), text
    assert f"{path}:{line}:{column}: " in text, text
    for out_line in text.splitlines():  # every problem line is located
        if out_line.startswith(str(path)):
            assert re.match(re.escape(str(path)) + r":\d+:\d+: \S", out_line), out_line
    result = check_org([path])
    assert result.org is None
    assert (code, line, column) in [(p.code, p.line, p.column) for p in result.errors]


@pytest.mark.parametrize("path", SNAPSHOTS, ids=[p.name for p in SNAPSHOTS])
def test_broken_snapshot_gives_its_located_error(path: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVCTL_ENDPOINT", "http://127.0.0.1:9")  # --state: never read, never used
    monkeypatch.delenv("OVCTL_API_KEY", raising=False)
    org = tmp_path / "org.yaml"
    org.write_text(GOOD_ORG, encoding="utf-8")
    rc, text = run("plan", str(org), "--state", str(path))
    assert rc == 1, text
    assert "Traceback" not in text and "internal error" not in text.lower()
    assert printable(text), text
    assert f"error: {path}{snapshot_expectation(path)}" in text, text


def test_every_test_named_in_reliability_md_exists() -> None:
    """docs/reliability.md names the test covering each fault, bad input and guard: they exist."""
    tests = Path(__file__).resolve().parent
    text = (tests.parent / "docs" / "reliability.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(test_[a-z0-9_]+\.py)::(test_[a-z0-9_]+)`", text))
    assert len(named) > 100
    missing = [f"{f}::{t}" for f, t in sorted(named)
               if not re.search(rf"^(?:async )?def {t}\(", (tests / f).read_text(encoding="utf-8"), re.M)]
    assert missing == []
