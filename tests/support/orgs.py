"""Little org files for tests: the same two members (and one team), written where a test wants them.

The text is part of what the tests assert on (positions are searched in it with
``support.positions.where``), so change it only together with them.
"""

from __future__ import annotations

from pathlib import Path

from ovctl.core.errors import Problem
from ovctl.files.orgfile import check_org

ANA = "  - {id: E1, email: ana@x.io, first_name: Ana, last_name: Lima}\n"
BOB = "  - {id: E2, email: bob@x.io, first_name: Bob, last_name: Stone}\n"
ONE_MEMBER = "members:\n" + ANA
MEMBERS = ONE_MEMBER + BOB
# A clean org: Ana manages Engineering, Bob is in it.
GOOD = "version: 1\n" + MEMBERS + "teams:\n  - {id: ENG, name: Engineering, managers: [E1], members: [E2]}\n"


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (UTF-8), creating its directories; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def check(directory: Path, text: str, name: str = "org.yaml") -> tuple[str, list[Problem]]:
    """Validate ``text`` written as ``directory/name``: (its path, the problems found)."""
    path = write(directory / name, text)
    return str(path), check_org([path]).problems
