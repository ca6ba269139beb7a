"""The repository is self-contained: no file cites a document outside it, and every cited doc exists.

Code, schemas, tests, bench and docs cite ``docs/*.md`` (by section heading), never a design
document or a fact sheet that lives outside the repository. This test fails on:
- "DESIGN §N" (or "DESIGN," / "DESIGN)") — the old outside design document;
- a path under ``shared/`` (``shared/officevibe-api.md`` and the vendor FAQ file);
- a ``docs/NAME.md`` that does not exist;
- in the docs and the README, an ``ovctl/...py`` module path that does not exist (docs outlive
  refactors; a moved module must be re-cited).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", "build", "dist"}
SUFFIXES = {".py", ".md", ".json", ".toml", ".yaml", ".yml", ".txt", ".cfg", ".ini", ".dot", ".mmd"}

DESIGN = re.compile(r"\bDESIGN\s*(§|,|\)|\.md)")
SHARED = re.compile(r"(?<![\w.-])shared/[\w.-]+")
DOC_REF = re.compile(r"(?<![\w/.-])docs/([\w.-]+\.md)")
MODULE_REF = re.compile(r"(?<![\w/.-])(ovctl/[\w/]+\.py)")
THIS = Path(__file__).resolve()


def _files() -> list[Path]:
    out = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in rel.parts):
            continue
        if path.is_file() and path.suffix in SUFFIXES and path.resolve() != THIS:
            out.append(path)
    return sorted(out)


FILES = _files()


def _hits(pattern: re.Pattern[str], keep=lambda m: True) -> list[str]:
    hits = []
    for path in FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), start=1):
            hits += [f"{path.relative_to(ROOT)}:{n}: {m.group(0)}" for m in pattern.finditer(line) if keep(m)]
    return hits


def test_the_scan_sees_the_repository():
    names = {str(p.relative_to(ROOT)) for p in FILES}
    assert {"README.md", "docs/sync-semantics.md", "docs/api-facts.md", "ovctl/account/wire.py",
            "ovctl/schemas/org.schema.json", "tests/test_engine.py"} <= names


def test_no_file_cites_the_outside_design_document():
    assert _hits(DESIGN) == []


def test_no_file_cites_a_path_under_shared():
    assert _hits(SHARED) == []


def test_every_cited_doc_exists():
    assert _hits(DOC_REF, lambda m: not (ROOT / "docs" / m.group(1)).is_file()) == []


def test_every_module_path_in_the_docs_exists():
    docs = [p for p in FILES if p.suffix == ".md" and (p.parent == ROOT / "docs" or p == ROOT / "README.md")]
    missing = []
    for path in docs:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            missing += [f"{path.relative_to(ROOT)}:{n}: {m.group(1)}" for m in MODULE_REF.finditer(line)
                        if not (ROOT / m.group(1)).is_file()]
    assert missing == []


@pytest.mark.parametrize(("text", "pattern"), [
    ("see DESIGN §4", DESIGN), ("(DESIGN, issue point 8)", DESIGN), ("``shared/officevibe-api.md``", SHARED),
    ("`shared/officevibe-custom-integration-faq.txt`", SHARED), ("docs/nowhere.md", DOC_REF),
])
def test_the_patterns_catch_what_they_are_for(text, pattern):
    assert pattern.search(text)
