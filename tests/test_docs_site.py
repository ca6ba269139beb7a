"""The documentation site: the CLI reference is generated from the typer app and up to date, and
``mkdocs build --strict`` (Material theme, every nav page present, every link resolved) passes."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_cli_reference_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_cli_docs.py"), "--check"],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr + "\n(run: python scripts/gen_cli_docs.py, and commit docs/cli.md)"


def test_cli_reference_covers_every_command() -> None:
    import typer.main

    from ovctl.cli.typer_app import app

    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    for name in group.commands:  # type: ignore[attr-defined]
        assert f"# `ovctl {name}`" in text, name


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
                    reason="the docs extra (mkdocs, mkdocs-material) is not installed")
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                             str(REPO / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
                            capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "ci" / "index.html").is_file()
    assert (tmp_path / "site" / "cli" / "index.html").is_file()
