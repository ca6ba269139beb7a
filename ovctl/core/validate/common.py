"""Shared pieces of org validation: ``Document``, the problem-collecting checker base, and the
id, name and spelling-suggestion helpers (pure: no I/O).

Why a module of its own: ``validate`` (orchestration), ``validate_members`` and ``validate_teams``
all build on these, and keeping them here lets those modules import them without a cycle.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any

from ovctl.core.errors import Problem
from ovctl.core.positions import Pos, value_pos
from ovctl.core.shown import bounded, shown
from ovctl.core.validate.text import name_flaw
from ovctl.core.records import record

DIFFLIB_LIMIT = 2000  # above this many candidates, suggest only case-insensitive matches
DIFFLIB_BUDGET = 50  # spelling suggestions per run; later unknown words get case-insensitive ones only


@record
class Document:
    """One parsed org file: ``path`` as messages name it, ``data`` its top-level mapping."""

    path: str
    data: Any


def did_you_mean(word: str, candidates: Any, lower_index: dict[str, str] | None = None) -> str:
    """`` (did you mean 'X'?)`` for a case mismatch or a close spelling, else ``""``."""
    if lower_index is not None:
        exact = lower_index.get(word.lower())
    else:
        exact = next((c for c in candidates if c.lower() == word.lower()), None)
    if exact is not None and exact != word:
        return f" (did you mean '{shown(exact)}'?)"
    if lower_index is not None and len(lower_index) > DIFFLIB_LIMIT:
        return ""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{shown(close[0])}'?)" if close else ""


class Suggester:
    """``did_you_mean`` bounded for a whole run: one answer per distinct (kind, word), and at most
    ``budget`` spelling searches (difflib is O(candidates) per word, so thousands of unknown
    references against thousands of members would be quadratic). Past the budget only the O(1)
    case-insensitive suggestion is made; the first references, the ones a reader fixes first, keep
    their full suggestion."""

    def __init__(self, budget: int = DIFFLIB_BUDGET) -> None:
        self.budget = budget
        self.cache: dict[tuple[str, str], str] = {}

    def __call__(self, kind: str, word: str, candidates: Any, lower_index: dict[str, str]) -> str:
        key = (kind, word)
        hint = self.cache.get(key)
        if hint is not None:
            return hint
        exact = lower_index.get(word.lower())
        if exact is not None and exact != word:
            hint = f" (did you mean '{shown(exact)}'?)"
        elif self.budget > 0:
            self.budget -= 1
            hint = did_you_mean(word, candidates, lower_index)
        else:
            hint = ""
        self.cache[key] = hint
        return hint


def norm_id(value: Any) -> str | None:
    """Ids are strings; a YAML integer (``id: 1001``) is read as ``"1001"``. Anything else: None."""
    if isinstance(value, str):
        return value if value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


_NOT_ALNUM = re.compile(r"[\W_]+")  # exactly the characters for which str.isalnum() is false


def name_key(text: str) -> str:
    """Compare names loosely: no accents, case, spaces, dots, underscores, hyphens or apostrophes.
    (One regex pass, not a generator per character: it runs twice per member of the org.)"""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKD", text)).lower()



class CheckerBase:
    """State every check shares (the documents, the problems so far, the member-id index, the
    bounded suggester, unknown references) and the ways to report a problem."""

    def __init__(self, docs: list[Document]) -> None:
        self.docs = docs
        self.problems: list[Problem] = []
        self.id_lower: dict[str, str] = {}  # member ids by lower case, for did-you-mean
        self.suggest = Suggester()
        self.unknown_refs: set[str] = set()  # lower-cased unknown member references (typos of real ids)

    def error(self, doc: Document, pos: Pos, message: str, code: str) -> None:
        self.problems.append(Problem(bounded(message), doc.path, pos[0], pos[1], code=code))

    def warn(self, doc: Document, pos: Pos, message: str, code: str) -> None:
        self.problems.append(Problem(bounded(message), doc.path, pos[0], pos[1], severity="warning", code=code))

    def name_texts(self, doc: Document, node: dict[str, Any], fields: tuple[str, ...], label: str = "") -> None:
        """Report control characters in the name fields of one mapping (``text.name_flaw``). The
        ``isprintable`` test first keeps the common clean name at one C call per field."""
        for field in fields:
            text = node.get(field)
            if type(text) is str and not text.isprintable():
                flaw = name_flaw(text)
                if flaw is not None:
                    self.error(doc, value_pos(node, field), f"{label}{field} '{shown(text)}' {flaw}",
                               "control_character")

    @staticmethod
    def loc(doc: Document, pos: Pos) -> str:
        return f"{doc.path}:{pos[0]}:{pos[1]}"
