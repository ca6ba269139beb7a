"""Atomic writes: all or nothing, and a clean error when the target cannot be written."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovctl.files.atomic import atomic_write_text
from ovctl.cli import main
from ovctl.core.errors import OutputError

REPO = Path(__file__).resolve().parent.parent


def test_write_creates_parents_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "state.json"
    atomic_write_text(target, "ñ\n")
    assert target.read_text(encoding="utf-8") == "ñ\n"
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]


def test_write_to_a_directory_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is a directory"):
        atomic_write_text(tmp_path, "x")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "\udcff", encoding="utf-8")  # a lone surrogate cannot be encoded
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_plan_out_to_a_directory_exits_1_without_traceback(tmp_path: Path, capsys) -> None:
    rc = main(["plan", str(REPO / "examples/org.yaml"), "--state", str(REPO / "examples/state.json"),
               "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 1
    assert "is a directory" in err and "internal error" not in err and "Traceback" not in err
