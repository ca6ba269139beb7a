"""Load org files (one file, or directories of ``*.yaml``/``*.yml``) into a validated ``model.Org``.

The adapter between the file system and the pure checks: expands paths, reads each file with
``yamlsource`` (fast C parser, exact positions), checks it against ``schemas/org.schema.json``
(messages rewritten to say what to fix, with a did-you-mean for unknown keys), then hands the
documents to ``validate.build_org`` for the cross-file rules. Every problem of every file is
collected; ``load_org`` raises ``ValidationFailed`` carrying all of them (errors and warnings).

Speed: JSON Schema over 10,000 members costs ~0.7 s, so each member is first checked by a
hand-written test that is at least as strict as the schema; only members that fail it (rare) go
through the schema validator, which then writes the messages. The rest of the document is
always checked by the schema.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

from ovctl.core.errors import Problem, ValidationFailed
from ovctl.core.model import Org
from ovctl.core.validate import Document, build_org
from ovctl.core.positions import MarkedDict, NO_POS, Pos, key_pos, node_pos, value_pos
from ovctl.core.shown import bounded, shown, shown_repr
from ovctl.files.yamlsource import gc_paused, read_yaml

SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "org.schema.json"
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadResult:
    """A valid org, the warnings found on the way, and the files read (sorted)."""

    org: Org
    warnings: list[Problem]
    sources: list[Path]


@dataclass
class CheckResult:
    """Everything ``validate`` reports: the org (None when there are errors), every problem, files."""

    org: Org | None
    problems: list[Problem] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def load_org(paths: Sequence[Path]) -> LoadResult:
    """Load and validate the org; raise ``ValidationFailed`` with every error and warning on any error."""
    result = check_org(paths)
    if result.errors or result.org is None:
        raise ValidationFailed(result.problems)
    return LoadResult(result.org, result.warnings, result.sources)


def check_org(paths: Sequence[Path]) -> CheckResult:
    """Read, schema-check and merge the org files; never raises for a problem in the input."""
    files, problems = expand_paths(paths)
    docs: list[Document] = []
    complete = not problems
    for path in files:
        display = str(path)
        data, found = read_yaml(path, display)
        problems.extend(found)
        if any(p.code in ("yaml_syntax", "yaml_aliases", "unreadable", "missing_file") for p in found):
            complete = False
        if data is None:
            if not found:
                problems.append(Problem("the file is empty", display, severity="warning", code="empty_file"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem("an org file must be a mapping of sections (version, organization, settings, "
                                    "properties, members, teams)", display, *(node_pos(data) if node_pos(data) != NO_POS
                                                                             else (1, 1)), code="schema"))
            complete = False
            continue
        try:
            problems.extend(schema_problems(data, display))
        except RecursionError:
            problems.append(Problem("the file nests too deeply to check", display, 1, 1, code="schema"))
            complete = False
            continue
        docs.append(Document(display, data))
    if complete and files and not docs:
        problems.append(Problem("no org data: the file(s) hold no members and no teams", str(files[0]), 1, 1,
                                code="no_members"))
    try:
        size = sum(len(d.data.get("members") or ()) for d in docs if isinstance(d.data.get("members"), list))
        with gc_paused(freeze=size > 4_000):  # the model of a large org lives on, like its documents
            org, semantic = build_org(docs, complete=complete)
    except RecursionError:  # teams nested hundreds of levels deep
        org, semantic = None, [Problem("teams nest too deeply to check", str(files[0]) if files else "", code="schema")]
    problems.extend(semantic)
    problems = _one_per_value(problems)
    order = {str(p): i for i, p in enumerate(files)}
    problems.sort(key=lambda p: (order.get(p.path, -1), p.line, p.column))
    return CheckResult(org if not any(p.severity == "error" for p in problems) else None, problems, files)


def _one_per_value(problems: list[Problem]) -> list[Problem]:
    """A value the YAML reader could not construct (``Hire Date: 2020-13-45``, an invalid timestamp)
    that a semantic check also rejects is reported once, by the check that says what it is for."""
    explained = {(p.path, p.line, p.column) for p in problems if p.code == "property_type"}
    if not explained:
        return problems
    return [p for p in problems if not (p.code == "yaml_value" and (p.path, p.line, p.column) in explained)]


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Files to read (sorted, de-duplicated): each file as given, each directory's YAML files recursively
    (hidden directories skipped). A missing path or a directory without YAML is a problem."""
    files: dict[Path, Path] = {}
    problems: list[Problem] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = []
            for f in path.rglob("*"):
                if f.suffix.lower() not in YAML_SUFFIXES or any(part.startswith(".")
                                                                 for part in f.relative_to(path).parts):
                    continue
                if f.is_file():
                    found.append(f)
                elif not f.is_dir():  # a FIFO, a device, a socket or a dangling link named *.yaml: never read
                    found.append(f)  # read_yaml refuses it, from its stat, with the reason
            if not found:
                problems.append(Problem("no *.yaml or *.yml file in this directory", str(path), code="missing_file"))
            for f in found:
                files.setdefault(f.resolve(), f)
        elif path.exists() or path.is_symlink():
            files.setdefault(path.resolve(), path)
        else:
            problems.append(Problem("no such file or directory", str(path), code="missing_file"))
    if not files and not problems:
        problems.append(Problem("no org file given", code="missing_file"))
    return sorted(files.values(), key=str), problems


# --------------------------------------------------------------------------- schema


@lru_cache(maxsize=1)
def _validators() -> tuple[Any, Any]:
    """The whole-document validator and the member validator, compiled once."""
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    member = dict(schema["$defs"]["member"], **{"$defs": schema["$defs"]})
    return Draft202012Validator(schema), Draft202012Validator(member)


_MEMBER_KEYS = frozenset(("id", "email", "first_name", "last_name", "job_title", "language", "properties"))
_MEMBER_REQUIRED = ("id", "email", "first_name", "last_name")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}([-_][A-Za-z]{2})?$")


def _member_is_plainly_valid(m: Any) -> bool:
    """The schema's member rules, written out: True only when the schema would find nothing."""
    if type(m) is not MarkedDict or not _MEMBER_KEYS.issuperset(m):
        return False
    for key in _MEMBER_REQUIRED:
        if key not in m:
            return False
    mid = m["id"]
    if not ((type(mid) is str and mid) or type(mid) is int):
        return False
    email, first, last = m["email"], m["first_name"], m["last_name"]
    if type(email) is not str or len(email) < 3 or type(first) is not str or not first \
            or type(last) is not str or not last:
        return False
    title = m.get("job_title")
    if title is not None and type(title) is not str:
        return False
    lang = m.get("language")
    if lang is not None and (type(lang) is not str or not _LANGUAGE_RE.search(lang)):
        return False
    props = m.get("properties")
    return props is None or isinstance(props, dict)


def _is_id(v: Any) -> bool:
    return (type(v) is str and v != "") or type(v) is int


def _ids_plainly_valid(v: Any) -> bool:
    if v is None:
        return True
    if not isinstance(v, list):
        return False
    for i in v:
        if not ((type(i) is str and i != "") or type(i) is int):
            return False
    return True


_TEAM_KEYS = frozenset(("id", "name", "parent", "previous_name", "managers", "members", "teams"))


def _teams_plainly_valid(teams: Any) -> bool:
    """The schema's team rules (recursive), written out: True only when the schema would find nothing."""
    todo = [teams]
    while todo:
        items = todo.pop()
        if not isinstance(items, list):
            return False
        for t in items:
            if type(t) is not MarkedDict or not _TEAM_KEYS.issuperset(t) or "id" not in t or "name" not in t:
                return False
            name = t["name"]
            if not _is_id(t["id"]) or type(name) is not str or not name:
                return False
            if "parent" in t and not _is_id(t["parent"]):
                return False
            if "previous_name" in t:
                prev = t["previous_name"]
                if type(prev) is not str or not prev:
                    return False
            if not _ids_plainly_valid(t.get("managers")) or not _ids_plainly_valid(t.get("members")):
                return False
            sub = t.get("teams")
            if sub is not None:
                todo.append(sub)
    return True


def _number_in(v: Any, low: float, high: float | None = None) -> bool:
    return (type(v) is int or type(v) is float) and v >= low and (high is None or v <= high)


_SETTINGS_KEYS = frozenset(("risk_thresholds", "safety", "protected"))
# settings.safety: each key's JSON type and bounds (the guards: ratios 0..1, counts >= 0)
_SAFETY = {"max_deactivation_ratio": ("number", 0, 1), "max_team_removal_ratio": ("number", 0, 1),
           "floor": ("integer", 0, None), "max_update_ratio": ("number", 0, 1), "update_min_members": ("integer", 0, None)}
_PROPDEF_TYPES = ("choices", "date", "numeric", "text")


def _settings_plainly_valid(s: Any) -> bool:
    if not isinstance(s, dict) or not _SETTINGS_KEYS.issuperset(s):
        return False
    risk = s.get("risk_thresholds")
    if "risk_thresholds" in s:
        if not isinstance(risk, dict) or not frozenset(("users", "teams")).issuperset(risk):
            return False
        if not all(type(v) is int and v >= 0 for v in risk.values()):
            return False
    if "safety" in s:
        safety = s["safety"]
        if not isinstance(safety, dict):
            return False
        for key, v in safety.items():
            rule = _SAFETY.get(key)
            if rule is None:
                return False
            kind, low, high = rule
            if kind == "integer" and type(v) is not int or not _number_in(v, low, high):
                return False
    if "protected" in s and (s["protected"] is None or not _ids_plainly_valid(s["protected"])):
        return False
    return True


def _properties_plainly_valid(p: Any) -> bool:
    if not isinstance(p, dict):
        return False
    for d in p.values():
        if not isinstance(d, dict) or not frozenset(("type", "options")).issuperset(d) or "type" not in d:
            return False
        kind = d["type"]
        if type(kind) is not str or kind not in _PROPDEF_TYPES:
            return False
        if "options" in d:
            options = d["options"]
            if not isinstance(options, list) or not options:
                return False
            for o in options:
                if not (type(o) is str or type(o) is int or type(o) is float):
                    return False
    return True


_DOC_KEYS = frozenset(("version", "organization", "settings", "properties", "members", "teams"))


# The fast checks above mirror schemas/org.schema.json as of this digest (descriptions left out);
# tests/test_schema_fastpath.py fails when the schema changes, so that they are updated with it.
SCHEMA_DIGEST_MIRRORED = "f3423af9a4cb0e88e628b0fbb41e201c39a08e6d4a44b790a64bd2a78cbe1253"


def schema_digest() -> str:
    """SHA-256 of the org schema without its descriptions: what the fast checks must mirror."""
    import hashlib

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "description"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    schema = strip(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()


def _document_is_plainly_valid(data: Any) -> bool:
    """The whole org schema written out: True only when the schema would find nothing. Then neither
    jsonschema (~0.1 s to import, ~1 s on the teams of 50,000 members) nor its messages are needed."""
    if type(data) is not MarkedDict or not _DOC_KEYS.issuperset(data):
        return False
    if "version" in data and not (type(data["version"]) is int and data["version"] == 1):
        return False
    if "organization" in data and type(data["organization"]) is not str:
        return False
    if "settings" in data and not _settings_plainly_valid(data["settings"]):
        return False
    if "properties" in data and not _properties_plainly_valid(data["properties"]):
        return False
    if "members" in data:
        members = data["members"]
        if not isinstance(members, list):
            return False
        for m in members:
            if not _member_is_plainly_valid(m):
                return False
    if "teams" in data:
        try:
            if not _teams_plainly_valid(data["teams"]):
                return False
        except RecursionError:
            return False
    return True


def schema_problems(data: MarkedDict, display: str) -> list[Problem]:
    """Schema violations of one document, each at its exact position, with a readable message."""
    if _document_is_plainly_valid(data):
        return []
    whole, member_validator = _validators()
    members = data.get("members")
    checked: Any = data
    slow: list[int] = []
    if isinstance(members, list):
        slow = [i for i, m in enumerate(members) if not _member_is_plainly_valid(m)]
        checked = dict(data)
        checked["members"] = []
    problems: list[Problem] = []
    seen: set[tuple] = set()
    for err in whole.iter_errors(checked):
        problems.extend(_translate(err, data, (), display, seen))
    for i in slow:
        for err in member_validator.iter_errors(members[i]):
            problems.extend(_translate(err, data, ("members", i), display, seen))
    return problems


_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number", "object": "a mapping",
               "array": "a list", "null": "nothing", "boolean": "true or false"}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the integer {shown(value)}"
    if isinstance(value, float):
        return f"the number {shown(value)}"
    if isinstance(value, str):
        return f"the string {shown_repr(value)}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__} ({shown(value)})"  # a YAML date, say


def _field(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{shown(part)}" if out else shown(part))
    return out


def _translate(err: Any, root: Any, prefix: tuple, display: str, seen: set[tuple]) -> list[Problem]:
    """One jsonschema error -> problems at the exact key or value, saying what to do."""
    path = prefix + tuple(err.absolute_path)
    parent: Any = None
    instance: Any = root
    for part in path:
        parent, instance = instance, instance[part]
    pos: Pos = value_pos(parent, path[-1]) if path else node_pos(root)
    where = _field(path)
    where = f"{where}: " if where else ""
    kind = err.validator
    out: list[Problem] = []

    def add(message: str, at: Pos, code: str = "schema") -> None:
        ident = (at, message)
        if ident not in seen:
            seen.add(ident)
            out.append(Problem(bounded(message), display, at[0] or 1, at[1] or 1, code=code))

    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = list(err.schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                close = difflib.get_close_matches(str(key)[:200], allowed, n=1, cutoff=0.6) or \
                    [a for a in allowed if a.lower() == str(key).lower()]
                hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(allowed)})"
                add(f"{where}unknown key '{shown(key)}'{hint}", key_pos(instance, key), "unknown_key")
    elif kind == "required" and isinstance(instance, dict):
        for key in err.validator_value:
            if key not in instance:
                add(f"{where}missing required key '{key}'", node_pos(instance), "missing_key")
    elif kind == "type":
        wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in wanted if w != "null")
        add(f"{where}expected {words}, got {_describe(instance)}", pos, "wrong_type")
    elif kind == "const":
        add(f"{where}must be {err.validator_value!r}, got {_describe(instance)}", pos)
    elif kind == "enum":
        choices = [str(c) for c in err.validator_value]
        close = difflib.get_close_matches(str(instance)[:200], choices, n=1, cutoff=0.5)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        add(f"{where}{_describe(instance)} is not one of {', '.join(choices)}{hint}", pos)
    elif kind in ("minLength", "minItems"):
        add(f"{where}must not be empty", pos)
    elif kind == "pattern" and path and path[-1] == "language":
        add(f"{where}{shown_repr(instance)} is not a language code such as en, fr or pt-BR", pos)
    elif kind == "minimum":
        add(f"{where}must be at least {err.validator_value}, got {shown(instance)}", pos)
    elif kind == "maximum":
        add(f"{where}must be at most {err.validator_value}, got {shown(instance)}", pos)
    else:
        add(f"{where}{shown(err.message, 300)}", pos)  # jsonschema's messages quote the value
    return out
