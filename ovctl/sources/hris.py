"""The HRIS source of ``ovctl import hris``: an HRIS export (CSV, one row per person) and a mapping
file (YAML) that says which column holds what. Format, rules and every message: docs/hris.md.

``read_hris(export, mapping)`` returns an ``Imported`` org, or raises ``ValidationFailed`` with
every problem of both files (``file:line``), never a traceback. The export's encoding (UTF-8 with or
without BOM, UTF-16 with BOM, cp1252 only when the mapping says so) and delimiter (``,`` ``;`` tab
``|``) are found by themselves; columns the mapping does not name are ignored.

What it derives:
- the team tree from the path column (or columns): a person is a member of the last team of
  their path; team ids are ``T-`` + 10 hex digits of SHA-256 of the path (never a name), each
  listed in ``Imported.derived``;
- team managers from the manager column, by the rule in ``_assign_managers`` (docs/hris.md has
  a worked example).

Speed: one pass over the rows with dict indexes, no regex compiled per row; the output does not
depend on row order (members sorted by id, sub-teams by name).
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import difflib
import hashlib
import io
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ovctl.core.errors import Problem, ValidationFailed
from ovctl.core.model import DATE_TEXT, NUMBER_TEXT, PROPERTY_TYPES, Member, Org, PropertyDef, Settings, Team, \
    email_key, normalize_property_value
from ovctl.core.positions import NO_POS, MarkedDict, Pos, key_pos, node_pos, value_pos
from ovctl.core.validate.common import norm_id
from ovctl.core.validate.members import EMAIL_RE, MemberChecks
from ovctl.sources import Imported

FIELDS = ("id", "email", "first_name", "last_name", "job_title", "language", "manager", "team")
REQUIRED = ("id", "email", "first_name", "last_name", "team")
MAPPING_KEYS = ("columns", "team_separator", "properties", "organization", "settings", "delimiter", "encoding")
PROPERTY_KEYS = ("column", "type", "options", "format")
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "cp1252": "cp1252", "windows-1252": "cp1252"}
DEFAULT_SEPARATOR = " / "
ID_DIGITS = 10  # hex digits of a derived team id (40 bits); longer only for the paths that collide

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LANGUAGE = re.compile(r"^([A-Za-z]{2})(?:[-_]([A-Za-z]{2}))?$")
_DIGITS = re.compile(r"(\d+)")
_FIELD_WORDS = {"id": "id", "email": "email", "first_name": "first name", "last_name": "last name",
                "job_title": "job title", "language": "language", "manager": "manager", "team": "team"}


# --------------------------------------------------------------------------- the mapping


@dataclass(slots=True)
class _Prop:
    name: str
    column: str
    pos: Pos  # where the column is named in the mapping
    type: str = "text"
    options: tuple[str, ...] | None = None  # given in the mapping (else collected, for choices)
    formats: tuple[str, ...] = ()  # strptime formats of a date


@dataclass(slots=True)
class _Spec:
    display: str
    columns: dict[str, tuple[str, Pos]] = field(default_factory=dict)  # field -> (header, where in mapping)
    team: list[tuple[str, Pos]] = field(default_factory=list)  # one path column, or a list of level columns
    separator: str | None = DEFAULT_SEPARATOR  # None when the team is given as a list of columns
    properties: list[_Prop] = field(default_factory=list)
    organization: str = ""
    settings: Settings = field(default_factory=Settings)
    protected_pos: list[tuple[str, Pos]] = field(default_factory=list)
    delimiter: str | None = None
    encoding: str | None = None


def _hint(word: str, allowed: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(allowed), n=1, cutoff=0.6) or \
        [a for a in allowed if a.lower() == word.lower()]
    return f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(allowed)})"


def _read_mapping(path: Path, problems: list[Problem]) -> _Spec | None:
    from ovctl.files.yamlsource import read_yaml  # adapter: reads a file

    display = str(path)
    data, found = read_yaml(path, display)
    problems.extend(found)
    if found and data is None:
        return None
    if not isinstance(data, dict):
        pos = node_pos(data) if node_pos(data) != NO_POS else (1, 1)
        problems.append(Problem("a mapping file is a YAML mapping with at least 'columns' (see docs/hris.md)",
                                display, *pos, code="wrong_type"))
        return None
    spec = _Spec(display)

    def err(pos: Pos, message: str, code: str) -> None:
        problems.append(Problem(message, display, pos[0] or 1, pos[1] or 1, code=code))

    def unknown(node: dict, allowed: tuple[str, ...], where: str) -> None:
        for key in node:
            if key not in allowed:
                err(key_pos(node, key), f"{where}unknown key '{key}'{_hint(str(key), allowed)}", "unknown_key")

    def column_name(container: Any, key: Any, where: str) -> str | None:
        raw = container[key]
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str) or not raw.strip():
            err(value_pos(container, key), f"{where}: expected a column name of the export, got {raw!r}",
                "wrong_type")
            return None
        return raw.strip()

    unknown(data, MAPPING_KEYS, "")
    columns = data.get("columns")
    if columns is None:
        err(node_pos(data), "missing required key 'columns'", "missing_key")
    elif not isinstance(columns, dict):
        err(value_pos(data, "columns"), "columns: expected a mapping of fields to column names", "wrong_type")
    else:
        unknown(columns, FIELDS, "columns: ")
        for name in FIELDS:
            if name not in columns:
                if name in REQUIRED:
                    err(node_pos(columns), f"columns: missing required key '{name}'", "missing_key")
                continue
            if name == "team" and isinstance(columns[name], list):
                levels = columns[name]
                if not levels:
                    err(value_pos(columns, name), "columns.team: the list of team columns is empty", "wrong_type")
                for i in range(len(levels)):
                    col = column_name(levels, i, f"columns.team[{i}]")
                    if col is not None:
                        spec.team.append((col, value_pos(levels, i)))
                spec.separator = None
                continue
            col = column_name(columns, name, f"columns.{name}")
            if col is None:
                continue
            if name == "team":
                spec.team.append((col, value_pos(columns, name)))
            else:
                spec.columns[name] = (col, value_pos(columns, name))
        if "id" in spec.columns and "email" in spec.columns and spec.columns["id"][0] == spec.columns["email"][0]:
            problems.append(Problem(f"columns.id: the member id is the email column '{spec.columns['id'][0]}': an id "
                                    "must stay when the email changes; map the HRIS employee number",
                                    display, *spec.columns["id"][1], severity="warning", code="id_is_email"))
    if "team_separator" in data:
        sep = data["team_separator"]
        if not isinstance(sep, str) or not sep.strip():
            err(value_pos(data, "team_separator"), f"team_separator: expected a non-blank string such as ' / ', "
                f"got {sep!r}", "wrong_type")
        elif spec.separator is None:
            err(key_pos(data, "team_separator"), "team_separator: not used when columns.team is a list of columns",
                "wrong_type")
        else:
            spec.separator = sep
    props = data.get("properties")
    if props is not None and not isinstance(props, dict):
        err(value_pos(data, "properties"), "properties: expected a mapping of property names to columns",
            "wrong_type")
    elif props:
        for name, raw in props.items():
            prop = _read_property(str(name), props, name, err, unknown, column_name)
            if prop is not None:
                spec.properties.append(prop)
    for key, allowed in (("delimiter", DELIMITERS), ("encoding", tuple(ENCODINGS))):
        if key in data:
            value = data[key]
            value = value.lower() if key == "encoding" and isinstance(value, str) else value
            if value not in allowed:
                shown = ", ".join(repr(a) for a in allowed)
                err(value_pos(data, key), f"{key}: {data[key]!r} is not one of {shown}", "wrong_type")
            elif key == "delimiter":
                spec.delimiter = value
            else:
                spec.encoding = ENCODINGS[value]
    _read_passthrough(data, spec, problems)
    return spec


def _read_property(name: str, props: dict, key: Any, err: Any, unknown: Any, column_name: Any) -> _Prop | None:
    where = f"properties.{name}"
    if not name.strip():
        err(key_pos(props, key), "properties: a property name must not be empty", "wrong_type")
        return None
    raw = props[key]
    if not isinstance(raw, dict):
        col = column_name(props, key, where)
        return _Prop(name, col, value_pos(props, key)) if col is not None else None
    unknown(raw, PROPERTY_KEYS, f"{where}: ")
    if "column" not in raw:
        err(node_pos(raw), f"{where}: missing required key 'column'", "missing_key")
        return None
    col = column_name(raw, "column", f"{where}.column")
    ptype = raw.get("type", "text")
    ok = col is not None
    if ptype not in PROPERTY_TYPES:
        err(value_pos(raw, "type"), f"{where}.type: {ptype!r} is not one of {', '.join(PROPERTY_TYPES)}",
            "wrong_type")
        ok = False
    options: tuple[str, ...] | None = None
    if "options" in raw:
        values = raw["options"]
        if ptype != "choices":
            err(key_pos(raw, "options"), f"{where}: only a choices property has 'options'", "options_not_choices")
            ok = False
        elif not isinstance(values, list) or not values or any(isinstance(v, (dict, list)) or v is None
                                                               for v in values):
            err(value_pos(raw, "options"), f"{where}.options: expected a non-empty list of values", "wrong_type")
            ok = False
        else:
            options = tuple(dict.fromkeys(normalize_property_value(v) for v in values))
    formats: tuple[str, ...] = ()
    if "format" in raw:
        given = raw["format"]
        given = [given] if isinstance(given, str) else given
        if ptype != "date":
            err(key_pos(raw, "format"), f"{where}: only a date property has a 'format'", "wrong_type")
            ok = False
        elif not isinstance(given, list) or not given or not all(isinstance(f, str) and "%" in f for f in given):
            err(value_pos(raw, "format"), f"{where}.format: expected a date format such as '%d/%m/%Y' "
                "(or a list of them)", "wrong_type")
            ok = False
        else:
            formats = tuple(given)
    if not ok:
        return None
    return _Prop(name, col, value_pos(raw, "column"), ptype, options, formats)


def _read_passthrough(data: dict, spec: _Spec, problems: list[Problem]) -> None:
    """``organization`` and ``settings`` are copied to the org as they are, checked by the org
    file's own schema (same messages as ``ovctl validate``)."""
    from ovctl.files.orgfile import schema_problems

    sub = MarkedDict(node_pos(data))
    for key in ("organization", "settings"):
        if key in data:
            sub.put(key, data[key], key_pos(data, key), value_pos(data, key))
    if not sub:
        return
    found = schema_problems(sub, spec.display)
    problems.extend(found)
    if found:
        return
    if isinstance(sub.get("organization"), str):
        spec.organization = sub["organization"]
    settings = sub.get("settings")
    if isinstance(settings, dict):
        spec.settings = MemberChecks([]).settings(settings)
        protected = settings.get("protected")
        if isinstance(protected, list):
            for i, raw in enumerate(protected):
                mid = norm_id(raw)
                if mid is not None and mid not in spec.settings.protected:
                    spec.settings.protected.append(mid)
                    spec.protected_pos.append((mid, value_pos(protected, i)))


# --------------------------------------------------------------------------- the export: bytes to rows


def _decode(raw: bytes, display: str, encoding: str | None) -> tuple[str | None, Problem | None]:
    if raw.startswith(codecs.BOM_UTF8):
        raw, encoding = raw[3:], "utf-8"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError:
            return None, Problem("cannot read: starts with a UTF-16 byte order mark but is not valid UTF-16",
                                 display, 1, 1, code="unreadable")
    elif b"\x00" in raw[:4096]:
        return None, Problem("cannot read: NUL bytes, so a binary file or UTF-16 without a byte order mark; "
                             "export the file as CSV in UTF-8", display, 1, 1, code="unreadable")
    encoding = encoding or "utf-8"
    try:
        return raw.decode(encoding), None
    except UnicodeDecodeError as exc:
        before = raw[:exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode(encoding, errors="replace")) + 1
        if encoding == "utf-8":
            why = (f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); export the file as UTF-8, or add "
                   "'encoding: cp1252' to the mapping if it is a Windows (Excel) export")
        else:
            why = f"byte 0x{raw[exc.start]:02x} is not a {encoding} character"
        return None, Problem(f"cannot read: {why}", display, line, column, code="unreadable")


def _first_record(text: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []


def _sniff(text: str, wanted: set[str]) -> str:
    """The delimiter whose header row holds the most of the mapping's columns (then: the most cells)."""
    best, score = ",", (-1, -1)
    text = text[:1 << 16]  # the header is at the start (StringIO copies what it is given)
    for delimiter in DELIMITERS:
        cells = [c.strip() for c in _first_record(text, delimiter)]
        here = (len(wanted.intersection(cells)), len(cells))
        if here > score:
            best, score = delimiter, here
    return best


# --------------------------------------------------------------------------- the export: rows to people


@dataclass(slots=True)
class _Person:
    line: int
    id: str
    email: str
    first_name: str
    last_name: str
    job_title: str | None
    language: str | None
    manager_ref: str
    path: tuple[str, ...]
    properties: dict[str, str]
    manager: str | None = None  # resolved member id


def _natural(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p.casefold() for p in _DIGITS.split(text)) + (text,)


def _date(text: str, formats: tuple[str, ...]) -> str | None:
    if formats:
        for fmt in formats:
            try:
                return _dt.datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        return None
    head = text[:10]
    if DATE_TEXT.match(head) and (len(text) == 10 or text[10] in "T "):
        try:
            return _dt.date.fromisoformat(head).isoformat()
        except ValueError:
            return None
    return None


class _Reader:
    """One pass over the export's rows, collecting people and problems."""

    def __init__(self, spec: _Spec, display: str, problems: list[Problem]) -> None:
        self.spec = spec
        self.display = display
        self.problems = problems
        self.people: list[_Person] = []
        self.by_id: dict[str, _Person] = {}
        self.by_email: dict[str, _Person] = {}
        self.seen_values: dict[str, dict[str, None]] = {p.name: {} for p in spec.properties}
        self.dates: dict[tuple[str, str], str | None] = {}  # (property, raw) -> date: exports repeat dates
        self.paths: dict[str, tuple[str, ...]] = {}  # path text -> its teams: a few hundred for 50,000 rows

    def error(self, line: int, message: str, code: str) -> None:
        self.problems.append(Problem(message, self.display, line, 1, code=code))

    def warn(self, line: int, message: str, code: str) -> None:
        self.problems.append(Problem(message, self.display, line, 1, severity="warning", code=code))

    def header(self, cells: list[str], line: int) -> dict[str, int] | None:
        """Column indexes of every mapped column; a missing one is an error at the mapping's line."""
        index: dict[str, int] = {}
        dupes: set[str] = set()
        for i, cell in enumerate(cells):
            name = cell.strip()
            if name in index:
                dupes.add(name)
            else:
                index[name] = i
        ok = True
        wanted = [(c, pos, f"columns.{f}") for f, (c, pos) in self.spec.columns.items()]
        wanted += [(c, pos, "columns.team") for c, pos in self.spec.team]
        wanted += [(p.column, p.pos, f"properties.{p.name}") for p in self.spec.properties]
        shown = ", ".join(repr(c.strip()) for c in cells[:12]) + (", ..." if len(cells) > 12 else "")
        for column, pos, where in wanted:
            if column in dupes:
                self.problems.append(Problem(f"{where}: the column '{column}' appears more than once in the header "
                                             f"of {self.display} (line {line}); which one is meant is unclear",
                                             self.spec.display, *pos, code="duplicate_column"))
                ok = False
            elif column not in index:
                hint = _hint(column, list(index)) if index else ""
                if hint.startswith(" (allowed"):
                    hint = ""
                self.problems.append(Problem(f"{where}: no column '{column}' in the header of {self.display} "
                                             f"(line {line}: {shown}){hint}", self.spec.display, *pos,
                                             code="missing_column"))
                ok = False
        return index if ok else None

    def rows(self, reader: Any, offset: int, index: dict[str, int], width: int) -> None:
        """``reader`` is a ``csv.reader``; ``offset`` lines come before what it reads (a "sep=" line)."""
        spec = self.spec
        fields = [(f, index[c], c) for f, (c, _) in spec.columns.items()]
        team_cols = [(index[c], c) for c, _ in spec.team]
        props = [(p, index[p.column]) for p in spec.properties]
        mapped = sorted({i for _, i, _ in fields} | {i for i, _ in team_cols} | {i for _, i in props})
        separator = spec.separator
        empty_from = empty_count = 0
        only_blank_lines = True  # the run of empty rows so far is bare blank lines (no delimiters)
        previous_end = reader.line_num + offset
        for cells in reader:
            line = previous_end + 1
            previous_end = reader.line_num + offset
            if not any(c.strip() for c in cells) or (len(cells) == width and not any(cells[i].strip() for i in mapped)):
                if not empty_count:
                    empty_from, only_blank_lines = line, True
                empty_count += 1
                only_blank_lines = only_blank_lines and not cells
                continue
            if empty_count:
                self.empty_rows(empty_from, empty_count)
                empty_count = 0
            if len(cells) != width:
                more = " (a value holding the delimiter without quotes?)" if len(cells) > width else \
                    " (a line break inside a value without quotes, or a cut row?)"
                self.error(line, f"this row has {len(cells)} fields, the header has {width}{more}; row skipped",
                           "field_count")
                continue
            self.row(line, cells, fields, team_cols, props, separator)
        if empty_count and not only_blank_lines:  # blank lines at the very end are no news
            self.empty_rows(empty_from, empty_count)

    def empty_rows(self, first: int, count: int) -> None:
        if count == 1:
            self.warn(first, "empty row (no value in any mapped column), skipped", "empty_row")
        else:
            self.warn(first, f"{count} empty rows (lines {first}-{first + count - 1}; no value in any mapped "
                      "column), skipped", "empty_row")

    def row(self, line: int, cells: list[str], fields: list, team_cols: list, props: list,
            separator: str | None) -> None:
        ok = True
        values = {name: cells[i].strip() for name, i, _ in fields}
        bad: set[str] = set()
        if _CONTROL.search("".join(values.values())):  # rare: then find which
            for name, i, column in fields:
                if _CONTROL.search(values[name]):
                    ok = self.control(line, values[name], column)
                    bad.add(name)
                    values[name] = ""
        for name in ("id", "email", "first_name", "last_name"):
            if not values.get(name) and name not in bad:
                self.error(line, f"no {_FIELD_WORDS[name]} (column '{self.spec.columns[name][0]}' is empty)",
                           "missing_value")
                ok = False
        path = self.path(line, cells, team_cols, separator)
        if path is None:
            ok = False
        language = values.get("language") or None
        if language is not None:
            m = _LANGUAGE.match(language)
            if m is None:
                self.error(line, f"language {language!r} (column '{self.spec.columns['language'][0]}') is not a "
                           "language code such as en, fr or pt-BR", "bad_language")
                ok = False
            else:
                language = m.group(1).lower() + (f"-{m.group(2).upper()}" if m.group(2) else "")
        email = values.get("email", "")
        if email and not EMAIL_RE.match(email):
            self.error(line, f"malformed email '{email}' (column '{self.spec.columns['email'][0]}')",
                       "malformed_email")
            ok = False
        properties: dict[str, str] = {}
        for prop, i in props:
            raw = cells[i].strip()
            if not raw:
                continue
            if _CONTROL.search(raw):
                self.control(line, raw, prop.column)
                ok = False
                continue
            value = self.property_value(line, prop, raw)
            if value is None:
                ok = False
            else:
                properties[prop.name] = value
        mid = values.get("id", "")
        if mid:
            other = self.by_id.get(mid)
            if other is not None:
                self.error(line, f"duplicate id '{mid}' (column '{self.spec.columns['id'][0]}'; first at line "
                           f"{other.line})", "duplicate_member_id")
                ok = False
        if email:
            other = self.by_email.get(email_key(email))
            if other is not None:
                self.error(line, f"duplicate email '{email}': '{other.email}' at line {other.line} (emails compare "
                           "case-insensitively)", "duplicate_email")
                ok = False
        if not ok:
            # still index what the row names, so others' manager references to it are not reported again
            if mid and mid not in self.by_id:
                self.by_id[mid] = _Person(line, mid, email, "", "", None, None, "", (), {})
            if email and email_key(email) not in self.by_email and EMAIL_RE.match(email):
                self.by_email[email_key(email)] = _Person(line, mid, email, "", "", None, None, "", (), {})
            return
        person = _Person(line, mid, email, values["first_name"], values["last_name"],
                         values.get("job_title") or None, language, values.get("manager", ""), path, properties)
        self.people.append(person)
        self.by_id[mid] = person
        self.by_email[email_key(email)] = person

    def control(self, line: int, value: str, column: str) -> bool:
        char = _CONTROL.search(value).group()  # type: ignore[union-attr]
        what = "a line break" if char in "\r\n" else f"the control character U+{ord(char):04X}"
        self.error(line, f"column '{column}' holds {what}; remove it in the HRIS or the export", "control_character")
        return False

    def path(self, line: int, cells: list[str], team_cols: list, separator: str | None) -> tuple[str, ...] | None:
        if separator is not None:
            index, column = team_cols[0]
            text = cells[index].strip()
            if not text:
                self.error(line, f"no team (column '{column}' is empty)", "missing_value")
                return None
            known = self.paths.get(text)
            if known is not None:
                return known
            if _CONTROL.search(text):
                self.control(line, text, column)
                return None
            parts = tuple(unicodedata.normalize("NFC", p.strip()) for p in text.split(separator))
            if not all(parts):
                self.error(line, f"empty team name in the path {text!r} (column '{column}', separated by "
                           f"{separator!r})", "empty_team_segment")
                return None
            self.paths[text] = parts
            return parts
        levels = [cells[i].strip() for i, _ in team_cols]
        while levels and not levels[-1]:
            levels.pop()
        if not levels:
            self.error(line, f"no team (columns {', '.join(repr(c) for _, c in team_cols)} are empty)",
                       "missing_value")
            return None
        for (_, column), level in zip(team_cols, levels):
            if not level:
                self.error(line, f"column '{column}' is empty but a lower team level is not", "empty_team_segment")
                return None
            if _CONTROL.search(level):
                self.control(line, level, column)
                return None
        return tuple(unicodedata.normalize("NFC", p) for p in levels)

    def property_value(self, line: int, prop: _Prop, raw: str) -> str | None:
        kind = prop.type
        where = f"property '{prop.name}' (column '{prop.column}')"
        if kind == "text":
            return raw
        if kind == "numeric":
            if NUMBER_TEXT.match(raw) and math.isfinite(number := float(raw)):
                return normalize_property_value(int(number) if number.is_integer() else number)
            self.error(line, f"{where} is numeric: {raw!r} is not a number (digits, '.' for decimals)",
                       "property_type")
            return None
        if kind == "date":
            key = (prop.name, raw)
            value = self.dates[key] if key in self.dates else self.dates.setdefault(key, _date(raw, prop.formats))
            if value is None:
                wanted = " or ".join(repr(f) for f in prop.formats) if prop.formats else "YYYY-MM-DD"
                self.error(line, f"{where} is a date: {raw!r} is not a date in the format {wanted}", "property_type")
            return value
        if prop.options is not None and raw not in prop.options:
            close = [o for o in prop.options if o.casefold() == raw.casefold()] or \
                difflib.get_close_matches(raw, prop.options, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else \
                f" (options: {', '.join(prop.options[:10])}{', ...' if len(prop.options) > 10 else ''})"
            self.error(line, f"'{raw}' is not an option of {where}{hint}", "unknown_option")
            return None
        self.seen_values[prop.name][raw] = None
        return raw


# --------------------------------------------------------------------------- teams and managers


def team_id(path: tuple[str, ...], digits: int = ID_DIGITS) -> str:
    """``T-`` + the first ``digits`` hex digits of SHA-256 of the path (segments joined by U+001F):
    the same path always gives the same id, whatever the row order or the run."""
    return "T-" + hashlib.sha256("\x1f".join(path).encode("utf-8")).hexdigest()[:digits].upper()


def _team_ids(paths: list[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """Ids for every path; paths whose ids collide get longer ids, which depends only on the set of
    paths (never on their order)."""
    out: dict[tuple[str, ...], str] = {}
    groups: dict[str, list[tuple[str, ...]]] = {}
    for path in paths:
        groups.setdefault(team_id(path), []).append(path)
    for tid, group in groups.items():
        if len(group) == 1:
            out[group[0]] = tid
            continue
        digits = ID_DIGITS
        while True:
            digits += 2
            longer = {p: team_id(p, digits) for p in group}
            if len(set(longer.values())) == len(group) and not set(longer.values()) & set(groups):
                out.update(longer)
                break
    return out


def _resolve_managers(reader: _Reader, spec: _Spec) -> None:
    """Each person's manager id from the manager column: an id, or an email (case-insensitive)."""
    if "manager" not in spec.columns:
        return
    column = spec.columns["manager"][0]
    for person in reader.people:
        ref = person.manager_ref
        if not ref:
            continue
        target = None
        if "@" in ref:
            target = reader.by_email.get(email_key(ref)) or reader.by_id.get(ref)
        else:
            target = reader.by_id.get(ref) or reader.by_email.get(email_key(ref))
        if target is None:
            reader.warn(person.line, f"manager '{ref}' (column '{column}') is nobody in the export; this row "
                        "names no manager", "unknown_manager")
        elif target.id != person.id and target.first_name:  # a person who names themselves has no manager
            person.manager = target.id


def _assign_managers(people: list[_Person], team_people: dict[tuple, list[_Person]],
                     children: dict[tuple, list[tuple]], names: dict[str, str],
                     reader: _Reader, with_column: bool) -> dict[tuple, list[str]]:
    """Managers of each team (docs/hris.md, "Team managers"). For a team T and its own people:

    1. a person's *lead in T* is the last person reached by following their managers while those
       stay in T (themselves when their manager is not in T);
    2. if one person is the lead in T of more than half of T's other people, they are T's manager
       (and not one of its members);
    3. otherwise, if one person outside T is the manager of the leads of more than half of T's
       people, they are a manager of T (and stay where they sit);
    4. a team with no people of its own takes the person who manages more than half of its
       sub-teams' managers (sub-teams first, bottom-up).
    """
    by_id = {p.id: p for p in people}
    lead: dict[str, str | None] = {}

    def lead_of(person: _Person) -> str | None:
        chain: list[str] = []
        seen: set[str] = set()
        current = person
        result: str | None
        while True:
            if current.id in lead:
                result = lead[current.id]
                break
            chain.append(current.id)
            seen.add(current.id)
            boss = by_id.get(current.manager) if current.manager else None
            if boss is None or boss.path != current.path:
                result = current.id
                break
            if boss.id in seen:  # managers that name each other inside one team: no lead
                result = None
                break
            current = boss
        for mid in chain:
            lead[mid] = result
        return result

    managers: dict[tuple, list[str]] = {}
    for path in sorted(set(team_people) | set(children), key=len, reverse=True):  # deepest first
        own = team_people.get(path, [])
        chosen: str | None = None
        if own:
            n = len(own)
            leads = Counter(lead_of(p) for p in own)
            inside = Counter({k: v - (1 if k is not None else 0) for k, v in leads.items() if k is not None})
            top = inside.most_common(1)
            if top and 2 * top[0][1] > n - 1 and top[0][1] > 0:
                chosen = top[0][0]
            else:
                outside = Counter(by_id[lid].manager for lid in (lead_of(p) for p in own)
                                  if lid is not None and by_id[lid].manager is not None)
                top = outside.most_common(1)
                if top and 2 * top[0][1] > n:
                    chosen = top[0][0]
            named = Counter(p.manager for p in own if p.manager)
            if chosen is None and with_column and named:
                shown = ", ".join(f"{names[m]} {c}" for m, c in named.most_common(3))
                reader.warn(min(p.line for p in own), f"team '{' / '.join(path)}' gets no manager: nobody manages "
                            f"more than half of its {n} people (managers named: {shown})", "team_without_manager")
        else:
            voters = [m for child in children.get(path, []) for m in managers.get(child, [])]
            named = Counter(by_id[v].manager for v in voters if by_id[v].manager)
            top = named.most_common(1)
            if top and 2 * top[0][1] > len(voters):
                chosen = top[0][0]
        managers[path] = [chosen] if chosen is not None else []
    return managers


# --------------------------------------------------------------------------- entry point


def read_hris(export: Path, mapping: Path) -> Imported:
    """Read an HRIS export with its mapping file into an org; raise ``ValidationFailed`` with every
    problem (errors and warnings, ``file:line``) when anything is an error."""
    problems: list[Problem] = []
    spec = _read_mapping(Path(mapping), problems)
    if spec is None:
        raise ValidationFailed(problems)
    display = str(export)
    reader = _Reader(spec, display, problems)
    text = _read_export(Path(export), display, spec, problems)
    mapping_ok = not any(p.severity == "error" for p in problems)
    if text is not None:
        _read_rows(text, display, spec, reader, problems, mapping_ok)
        _resolve_managers(reader, spec)
    if any(p.severity == "error" for p in problems):
        raise ValidationFailed(_ordered(problems, spec.display))
    org, derived = _build(reader, spec)
    people_ids = {m.id for m in org.members}
    for mid, pos in spec.protected_pos:
        if mid not in people_ids:
            problems.append(Problem(f"protected member '{mid}' is not in the export: it stays protected",
                                    spec.display, *pos, severity="warning", code="protected_not_in_org"))
    return Imported(org, derived, _ordered(problems, spec.display))


def _ordered(problems: list[Problem], mapping_display: str) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.path != mapping_display, p.path, p.line, p.column))


def _read_export(path: Path, display: str, spec: _Spec, problems: list[Problem]) -> str | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem("no such file", display, code="missing_file"))
        return None
    except IsADirectoryError:
        problems.append(Problem("cannot read: is a directory", display, code="unreadable"))
        return None
    except OSError as exc:
        problems.append(Problem(f"cannot read: {exc.strerror or type(exc).__name__}", display, code="unreadable"))
        return None
    text, problem = _decode(raw, display, spec.encoding)
    if problem is not None:
        problems.append(problem)
    return text


def _read_rows(text: str, display: str, spec: _Spec, reader: _Reader, problems: list[Problem],
               mapping_ok: bool) -> None:
    """Check the header against the mapping, then (only with a sound mapping) read every row."""
    header_line = 1
    delimiter = spec.delimiter
    first_end = text.find("\n")
    first = (text if first_end < 0 else text[:first_end]).strip()
    if first.lower().startswith("sep=") and len(first) == 5:  # Excel's "sep=;" first line
        delimiter = delimiter or first[4]
        text = text[first_end + 1:] if first_end >= 0 else ""
        header_line = 2
    if not text.strip():
        problems.append(Problem("the export is empty: no header row and no people", display, header_line, 1,
                                code="no_members"))
        return
    wanted = {c for c, _ in spec.columns.values()} | {c for c, _ in spec.team} | {p.column for p in spec.properties}
    delimiter = delimiter or _sniff(text, wanted)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    offset = header_line - 1
    try:
        header = next(rows)
        index = reader.header(header, header_line)
        if index is None or not mapping_ok:
            return
        reader.rows(rows, offset, index, len(header))
    except csv.Error as exc:
        problems.append(Problem(f"cannot read the CSV: {exc}", display, rows.line_num + offset, 1, code="csv_syntax"))
    if not reader.people and not any(p.severity == "error" for p in problems):
        problems.append(Problem("the export has a header but no people", display, header_line, 1,
                                code="no_members"))


def _build(reader: _Reader, spec: _Spec) -> tuple[Org, dict[tuple[str, str], str]]:
    people = reader.people
    team_people: dict[tuple, list[_Person]] = {}
    for person in people:
        team_people.setdefault(person.path, []).append(person)
    paths: set[tuple[str, ...]] = set()
    for path in team_people:
        for depth in range(1, len(path) + 1):
            paths.add(path[:depth])
    children: dict[tuple, list[tuple]] = {}
    for path in paths:
        if len(path) > 1:
            children.setdefault(path[:-1], []).append(path)
    names = {p.id: f"{p.first_name} {p.last_name}" for p in people}
    managers = _assign_managers(people, team_people, children, names, reader, "manager" in spec.columns)
    ids = _team_ids(sorted(paths))
    order = {p.id: i for i, p in enumerate(sorted(people, key=lambda p: _natural(p.id)))}
    shown_sep = spec.separator if spec.separator is not None else DEFAULT_SEPARATOR

    def by_name(path: tuple[str, ...]) -> tuple:
        return (path[-1].casefold(), path[-1], ids[path])

    teams: list[Team] = []
    derived: dict[tuple[str, str], str] = {}
    stack = sorted((p for p in paths if len(p) == 1), key=by_name, reverse=True)
    while stack:
        path = stack.pop()
        tid = ids[path]
        boss = managers.get(path, [])
        own = sorted((p.id for p in team_people.get(path, []) if p.id not in boss), key=order.__getitem__)
        teams.append(Team(tid, path[-1], ids[path[:-1]] if len(path) > 1 else None, list(boss), own))
        derived[("team", tid)] = f"from the path '{shown_sep.join(path)}'"  # the writer: "derived by ovctl (...)"
        stack.extend(sorted(children.get(path, []), key=by_name, reverse=True))
    members = [Member(p.id, p.email, p.first_name, p.last_name, p.job_title, p.language, p.properties)
               for p in sorted(people, key=lambda p: order[p.id])]
    properties: dict[str, PropertyDef] = {}
    for prop in spec.properties:
        if prop.type == "choices":
            options = prop.options or tuple(sorted(reader.seen_values[prop.name], key=_natural))
            if not options:  # no value at all: a placeholder the account must have (validation needs one)
                reader.problems.append(Problem(f"properties.{prop.name}: no value in the export, so no options "
                                               "to declare; declared as text", spec.display, *prop.pos,
                                               severity="warning", code="no_property_values"))
                properties[prop.name] = PropertyDef("text")
                continue
            properties[prop.name] = PropertyDef("choices", options)
        else:
            properties[prop.name] = PropertyDef(prop.type)
    org = Org(spec.organization, spec.settings, properties, members, teams)
    return org, derived
