"""A position oracle for tests: independent of the YAML parser under test."""

from __future__ import annotations


def where(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the nth occurrence of ``needle`` in ``text``."""
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def line_col(text: str, needle: str, nth: int = 1) -> str:
    """``"LINE:COL"`` of the nth occurrence of ``needle`` in ``text``, as messages print it."""
    return "{}:{}".format(*where(text, needle, nth))
