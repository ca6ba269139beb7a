"""``ovctl validate PATH...``: every problem at once, as ``FILE:LINE:COL: message``, GitHub annotations
or one JSON document.

Problems go to stdout (one per line, so editors and CI can parse them; with ``--format json`` one
document: ``problems`` with path, line, column, severity, code, field and message, and ``summary``
counts), a one-line summary to stderr. Every text line is escaped (``ovctl.core.shown.escaped``): a
control character, ANSI sequence, bidi override or zero-width character in a message or a path is
written ``\\x1b``, ``\\u202e``…, so neither a terminal nor GitHub's annotation parser ever sees it
raw (JSON keeps values exact, escaped by JSON). Exit 1 when there is an error, 0 otherwise
(warnings never fail). An unexpected failure is reported by ``cli.main`` like in every other command.
"""

from __future__ import annotations

from pathlib import Path

from ovctl.console import Console
from ovctl.core.errors import OvctlError, Problem
from ovctl.core.shown import escaped
from ovctl.exitcodes import ExitCode


def _escape_data(text: str) -> str:
    # GitHub's own escapes (a line break is %0A, shown as a line break), then whatever else is not
    # printable (a raw ESC, bidi override or zero-width character) is written \x1b, \u202e…
    return escaped(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(problem: Problem) -> str:
    """A GitHub Actions workflow command that annotates the file at the problem's position."""
    level = "warning" if problem.severity == "warning" else "error"
    props = []
    if problem.path:
        props.append(f"file={_escape_property(problem.path)}")
    if problem.line:
        props.append(f"line={problem.line}")
        props.append(f"col={problem.column or 1}")
    props.append("title=ovctl")
    return f"::{level} {','.join(props)}::{_escape_data(problem.message)}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


JSON_FORMAT_VERSION = 1


def json_document(problems: list[Problem], files: int) -> str:
    """The ``--format json`` document (stable keys; line and column are 1-based, 0 when unknown)."""
    import json

    errors = sum(1 for p in problems if p.severity == "error")
    doc = {
        "format_version": JSON_FORMAT_VERSION,
        "valid": errors == 0,
        "problems": [{"path": p.path, "line": p.line, "column": p.column, "severity": p.severity, "code": p.code,
                      "field": p.field, "message": p.message} for p in problems],
        "summary": {"errors": errors, "warnings": len(problems) - errors, "files": files},
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def run(paths: list[Path], fmt: str = "text", *, console: Console) -> int:
    """Validate the org at ``paths``; print every problem; return 1 on any error, else 0."""
    from ovctl.files.orgfile import check_org

    sources: list[Path] = []
    try:
        result = check_org(paths)
        problems, sources = result.problems, result.sources
    except OvctlError as exc:  # e.g. an unwritable path: still one line in the chosen format
        problems = [Problem(str(exc))]
    if fmt == "json":
        console.write(json_document(problems, len(sources)))
    else:
        for problem in problems:
            console.say(github_line(problem) if fmt == "github" else escaped(str(problem)))
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    console.warn(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in {_plural(len(sources), 'file')}")
    return ExitCode.ERROR if errors else ExitCode.OK
