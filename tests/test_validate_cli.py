"""`ovctl validate` end to end: output formats, exit codes, summary line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ovctl.cli import main
from support.orgs import GOOD
from support.positions import line_col

REPO = Path(__file__).resolve().parent.parent
BROKEN = sorted((Path(__file__).resolve().parent / "fixtures" / "orgs" / "broken").iterdir())


def test_clean_org_exits_0_with_a_summary_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == "0 errors, 0 warnings in 1 file"


def test_warnings_are_printed_but_do_not_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "org.yaml"
    text = GOOD.replace("members: [E2]", "members: [E2, E1]")
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}:{line_col(text, 'E1]', 2)}: warning: 'E1' is both a manager and a member of team 'ENG'\n"
    assert "0 errors, 1 warning in 1 file" in err


def test_every_error_is_printed_as_file_line_column_and_exits_1(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "org.yaml"
    text = GOOD.replace("bob@x.io", "ANA@x.io").replace("[E2]", "[E2, E7]")
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{path}:{line_col(text, 'ANA@')}: duplicate email 'ANA@x.io': 'ana@x.io' at {path}:{line_col(text, 'ana@')} "
        "(emails compare case-insensitively)",
        f"{path}:{line_col(text, 'E7')}: unknown member 'E7' in members of team 'ENG'",
    ]
    assert "2 errors, 0 warnings in 1 file" in err


def test_github_format_prints_annotations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "org.yaml"
    text = GOOD.replace("bob@x.io", "bob.x.io").replace("[E1]", "[E1, E1]")
    bad.write_text(text, encoding="utf-8")
    missing = tmp_path / "gone.yaml"
    assert main(["validate", "--format", "github", str(bad), str(missing)]) == 1
    out, _ = capsys.readouterr()
    dup, email = line_col(text, "E1]").split(":"), line_col(text, "bob.x.io").split(":")
    assert out.splitlines() == [
        f"::error file={missing},title=ovctl::no such file or directory",
        f"::error file={bad},line={email[0]},col={email[1]},title=ovctl::malformed email 'bob.x.io'",
        f"::warning file={bad},line={dup[0]},col={dup[1]},title=ovctl::'E1' is listed twice in managers of team 'ENG'",
    ]


def test_github_annotation_escapes_newlines_and_commas() -> None:
    from ovctl.commands.validate import github_line
    from ovctl.core.errors import Problem

    line = github_line(Problem("a\nb 100%", "dir,x/o:rg.yaml", 3, 4))
    assert line == "::error file=dir%2Cx/o%3Arg.yaml,line=3,col=4,title=ovctl::a%0Ab 100%25"


def test_missing_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == f"{tmp_path / 'nope.yaml'}: no such file or directory"
    assert "1 error" in err


@pytest.mark.parametrize("fixture", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_fixtures_fail_cleanly_without_traceback(fixture: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(fixture)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = out.splitlines()
    assert lines and all(line.startswith(str(fixture)) for line in lines)
    assert any(": warning: " not in line for line in lines)  # at least one real error


def test_broken_fixtures_through_the_installed_command() -> None:
    """The real console script in a subprocess: exit code 1 and no traceback for every broken file at once."""
    env = dict(os.environ, PYTHONWARNINGS="error")
    proc = subprocess.run([sys.executable, "-m", "ovctl.cli", "validate", *map(str, BROKEN)],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.strip().endswith(f"in {len(BROKEN)} files")


def test_example_validates_with_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO / "examples" / "org.yaml")]) == 0
    assert main(["validate", str(REPO / "examples" / "org-split")]) == 0
    out, _ = capsys.readouterr()
    assert "Traceback" not in out
