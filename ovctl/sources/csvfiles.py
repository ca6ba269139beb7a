"""The official provisioning script's three CSV files -> Org (``ovctl import csv DIR``).

The flavour is recognised by the file names (``wire.WORKLEAP.csv_members`` ... or the legacy
ones); the column names are that flavour's (``wire``). Every column of the members file that is
not a known one is a property; its type is inferred from its values (all numbers: numeric, all
``YYYY-MM-DD``: date, else text) because the files do not say — check the ``properties`` section
against the account. A cell that ``ovctl render`` protected against spreadsheet formulas (a leading
``'`` before ``= + - @``) is read back without the quote. The files carry every id, so nothing is
derived. Every problem names the file and line.
"""

from __future__ import annotations

import csv
import datetime as _dt
from pathlib import Path

from ovctl.account import wire
from ovctl.core.errors import Problem, SourceError
from ovctl.core.model import DATE_TEXT, NUMBER_TEXT, Member, Org, PropertyDef, Team, email_key
from ovctl.files.csvout import FORMULA_TRIGGERS
from ovctl.sources import Imported

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no", "")


def _show(text: str) -> str:
    """A cell in a message: quoted, control characters escaped (never raw to the terminal)."""
    return repr(text if len(text) <= 60 else text[:60] + "...")


def detect_flavor(directory: Path) -> wire.Flavor:
    found = [fl for fl in (wire.WORKLEAP, wire.LEGACY)
             if any((directory / n).is_file() for n in (fl.csv_members, fl.csv_teams, fl.csv_mappings))]
    if not directory.is_dir():
        raise SourceError(f"{directory}: not a directory (give the directory holding the three CSV files)")
    if not found:
        names = " / ".join(f"{fl.csv_members}, {fl.csv_teams}, {fl.csv_mappings} ({fl.name})" for fl in (wire.WORKLEAP, wire.LEGACY))
        raise SourceError(f"{directory}: no CSV files of the official script here (expected {names})")
    if len(found) > 1:
        raise SourceError(f"{directory}: holds the CSV files of both flavours (workleap and legacy); keep one set")
    fl = found[0]
    for name in (fl.csv_members, fl.csv_teams, fl.csv_mappings):
        if not (directory / name).is_file():
            raise SourceError(f"{directory / name}: missing ({fl.name} flavour: {fl.csv_members}, {fl.csv_teams}, "
                              f"{fl.csv_mappings})")
    return fl


def _cell(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value


class _Table:
    def __init__(self, path: Path, required: tuple[str, ...]) -> None:
        self.path = path
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as e:
            raise SourceError(f"{path}: not UTF-8 text (byte {e.start})") from None
        except OSError as e:
            raise SourceError(f"{path}: cannot read: {e.strerror or e}") from None
        if "\x00" in text:
            raise SourceError(f"{path}: holds NUL bytes; not a CSV text file")
        reader = csv.reader(text.splitlines(keepends=True), strict=True)
        self.rows: list[tuple[int, dict[str, str]]] = []
        try:
            header = next(reader, None)
            if header is None:
                raise SourceError(f"{path}: empty file (expected a header row)")
            self.header = [_cell(h).strip() for h in header]
            missing = [c for c in required if c not in self.header]
            if missing:
                raise SourceError(f"{path}:1: missing column(s) {', '.join(missing)} (header: {', '.join(map(_show, self.header))})")
            seen: set[str] = set()
            for h in self.header:
                if h in seen:
                    raise SourceError(f"{path}:1: column {_show(h)} appears twice")
                seen.add(h)
            start = reader.line_num + 1
            for row in reader:
                line = start
                start = reader.line_num + 1
                if not any(c.strip() for c in row):
                    continue
                if len(row) != len(self.header):
                    raise SourceError(f"{path}:{line}: {len(row)} cells, the header has {len(self.header)}")
                self.rows.append((line, {h: _cell(c) for h, c in zip(self.header, row)}))
        except csv.Error as e:
            raise SourceError(f"{path}:{reader.line_num}: not valid CSV: {e}") from None

    def need(self, line: int, row: dict[str, str], column: str) -> str:
        value = row[column].strip()
        if not value:
            raise SourceError(f"{self.path}:{line}: {column} is empty")
        return value

    def flag(self, line: int, row: dict[str, str], column: str) -> bool:
        value = row.get(column, "").strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise SourceError(f"{self.path}:{line}: {column} is {_show(row[column])}; expected true or false")


def _infer_type(values: list[str]) -> PropertyDef:
    present = [v for v in values if v != ""]
    if present and all(DATE_TEXT.match(v) for v in present):
        try:
            for v in present:
                _dt.date.fromisoformat(v)
            return PropertyDef("date")
        except ValueError:
            pass
    if present and all(NUMBER_TEXT.match(v.strip()) for v in present):
        return PropertyDef("numeric")
    return PropertyDef("text")


def read_csv_dir(directory: Path, *, organization: str = "") -> Imported:
    directory = Path(directory)
    fl = detect_flavor(directory)
    mt = _Table(directory / fl.csv_members, (fl.m_id, fl.m_email, fl.m_first, fl.m_last))
    tt = _Table(directory / fl.csv_teams, (fl.t_id, fl.t_name))
    pt = _Table(directory / fl.csv_mappings, (fl.map_team,))
    known = {fl.m_id, fl.m_email, fl.m_first, fl.m_last, fl.m_title, fl.m_language}
    prop_names = [h for h in mt.header if h not in known]
    members: list[Member] = []
    ids: dict[str, int] = {}
    emails: dict[str, int] = {}
    for line, row in mt.rows:
        mid = mt.need(line, row, fl.m_id)
        email = mt.need(line, row, fl.m_email)
        if mid in ids:
            raise SourceError(f"{mt.path}:{line}: member id {_show(mid)} already on line {ids[mid]}")
        if email_key(email) in emails:
            raise SourceError(f"{mt.path}:{line}: email {_show(email)} already on line {emails[email_key(email)]}")
        ids[mid], emails[email_key(email)] = line, line
        title = row.get(fl.m_title, "").strip() or None
        language = row.get(fl.m_language, "").strip() or None
        members.append(Member(id=mid, email=email.strip(), first_name=mt.need(line, row, fl.m_first),
                              last_name=mt.need(line, row, fl.m_last), job_title=title, language=language,
                              properties={p: row[p].strip() for p in prop_names if row[p].strip()}))
    properties = {p: _infer_type([row[p].strip() for _, row in mt.rows]) for p in prop_names}
    teams: dict[str, Team] = {}
    team_line: dict[str, int] = {}
    for line, row in tt.rows:
        tid = tt.need(line, row, fl.t_id)
        if tid in teams:
            raise SourceError(f"{tt.path}:{line}: team id {_show(tid)} already on line {team_line[tid]}")
        teams[tid], team_line[tid] = Team(id=tid, name=tt.need(line, row, fl.t_name)), line
    parent_line: dict[str, int] = {}
    for line, row in pt.rows:
        tid = pt.need(line, row, fl.map_team)
        team = teams.get(tid)
        if team is None:
            raise SourceError(f"{pt.path}:{line}: team {_show(tid)} is not in {tt.path.name}")
        person = row.get(fl.map_member, "").strip()
        sub = row.get(fl.map_subteam, "").strip()
        if not person and not sub:
            raise SourceError(f"{pt.path}:{line}: neither {fl.map_member} nor {fl.map_subteam} is set")
        if person:
            if person not in ids:
                raise SourceError(f"{pt.path}:{line}: member {_show(person)} is not in {mt.path.name}")
            is_member, is_manager = pt.flag(line, row, wire.IS_MEMBER), pt.flag(line, row, wire.IS_MANAGER)
            if is_manager and person not in team.managers:
                team.managers.append(person)
            if is_member and person not in team.members:
                team.members.append(person)
        if sub:
            child = teams.get(sub)
            if child is None:
                raise SourceError(f"{pt.path}:{line}: sub-team {_show(sub)} is not in {tt.path.name}")
            if child.parent is not None and child.parent != tid:
                raise SourceError(f"{pt.path}:{line}: sub-team {_show(sub)} already has parent {_show(child.parent)} "
                                  f"(line {parent_line[sub]})")
            if sub == tid:
                raise SourceError(f"{pt.path}:{line}: team {_show(sub)} cannot be its own sub-team")
            child.parent, parent_line[sub] = tid, line
    children: dict[str | None, list[Team]] = {}
    for t in teams.values():
        children.setdefault(t.parent, []).append(t)
    ordered: list[Team] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        t = stack.pop()
        ordered.append(t)
        stack.extend(reversed(children.get(t.id, [])))
    if len(ordered) != len(teams):
        stuck = next(t for t in teams.values() if t not in ordered)
        raise SourceError(f"{pt.path}:{parent_line.get(stuck.id, 0)}: the sub-team rows form a cycle through "
                          f"team {_show(stuck.id)}")
    warnings: list[Problem] = []
    if prop_names:
        warnings.append(Problem("property types were inferred from the values ("
                                + ", ".join(f"{p}: {d.type}" for p, d in properties.items())
                                + "); check them, and the options of choices properties, against the account",
                                str(mt.path), severity="warning", code="import_property_types"))
    org = Org(organization=organization or directory.resolve().name, properties=properties, members=members,
              teams=ordered)
    return Imported(org=org, warnings=warnings)
