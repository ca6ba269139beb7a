"""Semantic checks of org documents and their merge into one ``model.Org`` (pure: no I/O).

The documents arrive parsed (``yamlsource.MarkedDict`` data, which remembers positions) and
already schema-checked; this module checks what a schema cannot: duplicates across the whole org
(member ids, emails case-insensitively, team ids), references (managers, members, ``parent:``;
a ``settings.protected`` id outside the org only warns, and stays protected), cycles and double parents, properties and options against the declared
``properties``, empty sections, and the warnings of DESIGN §2. Every problem is collected with its
``file:line:column``; nothing stops at the first one.

Malformed pieces (already reported by the schema) are skipped quietly, so one mistake gives one
message. Everything is indexed with dicts: linear in members and teams.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .errors import Problem
from .model import Member, Org, PropertyDef, Safety, Settings, Team, email_key, normalize_property_value
from .yamlsource import Pos, key_pos, node_pos, value_pos

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
DIFFLIB_LIMIT = 2000  # above this many candidates, suggest only case-insensitive matches
DIFFLIB_BUDGET = 50  # spelling suggestions per run; later unknown words get case-insensitive ones only


@dataclass(slots=True)
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
        return f" (did you mean '{exact}'?)"
    if lower_index is not None and len(lower_index) > DIFFLIB_LIMIT:
        return ""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


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
            hint = f" (did you mean '{exact}'?)"
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


def name_key(text: str) -> str:
    """Compare names loosely: no accents, case, spaces, dots, underscores, hyphens or apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum()).lower()


@dataclass(slots=True)
class _TeamRec:
    team: Team
    doc: Document
    node: Any
    explicit_parent: bool  # parent came from a `parent:` key (not from nesting)
    written: bool = False  # the file lists a manager or member id (known or not): the team is not "empty"
    children: list[str] = field(default_factory=list)


class _Checker:
    def __init__(self, docs: list[Document]) -> None:
        self.docs = docs
        self.problems: list[Problem] = []
        self.id_lower: dict[str, str] = {}  # member ids by lower case, for did-you-mean
        self.suggest = Suggester()
        self.unknown_refs: set[str] = set()  # lower-cased unknown member references (typos of real ids)

    def error(self, doc: Document, pos: Pos, message: str, code: str) -> None:
        self.problems.append(Problem(message, doc.path, pos[0], pos[1], code=code))

    def warn(self, doc: Document, pos: Pos, message: str, code: str) -> None:
        self.problems.append(Problem(message, doc.path, pos[0], pos[1], severity="warning", code=code))

    @staticmethod
    def loc(doc: Document, pos: Pos) -> str:
        return f"{doc.path}:{pos[0]}:{pos[1]}"

    # ------------------------------------------------------------------ sections

    def sections(self) -> tuple[str, Settings, dict[str, PropertyDef]]:
        organization, settings = "", Settings()
        seen: dict[str, tuple[Document, Pos]] = {}
        properties: dict[str, PropertyDef] = {}
        prop_where: dict[str, tuple[Document, Pos]] = {}
        version_seen = False
        for doc in self.docs:
            data = doc.data
            if "version" in data:
                version_seen = True
            for section in ("organization", "settings"):
                if section not in data:
                    continue
                here = key_pos(data, section)
                if section in seen:
                    first = self.loc(*seen[section])
                    self.error(doc, here, f"'{section}' is already defined at {first}; define it in one file only",
                               "duplicate_section")
                    continue
                seen[section] = (doc, here)
                if section == "organization" and isinstance(data[section], str):
                    organization = data[section]
                elif section == "settings" and isinstance(data[section], dict):
                    settings = self.settings(data[section])
            props = data.get("properties")
            if isinstance(props, dict):
                for name, pdef in props.items():
                    here = key_pos(props, name)
                    if name in prop_where:
                        first = self.loc(*prop_where[name])
                        self.error(doc, here, f"property '{name}' is already declared at {first}", "duplicate_property")
                        continue
                    prop_where[name] = (doc, here)
                    parsed = self.property_def(doc, str(name), pdef)
                    if parsed is not None:
                        properties[str(name)] = parsed
        if self.docs and not version_seen:
            self.error(self.docs[0], (1, 1), "no file declares 'version: 1'", "missing_version")
        return organization, settings, properties

    def settings(self, data: dict) -> Settings:
        out = Settings()
        risk = data.get("risk_thresholds")
        if isinstance(risk, dict):
            out.risk_users = risk.get("users") if type(risk.get("users")) is int else None
            out.risk_teams = risk.get("teams") if type(risk.get("teams")) is int else None
        safety = data.get("safety")
        if isinstance(safety, dict):
            defaults = Safety()
            ratio = (int, float)
            out.safety = Safety(
                max_deactivation_ratio=float(v) if type(v := safety.get("max_deactivation_ratio")) in ratio
                else defaults.max_deactivation_ratio,
                max_team_removal_ratio=float(v) if type(v := safety.get("max_team_removal_ratio")) in ratio
                else defaults.max_team_removal_ratio,
                floor=v if type(v := safety.get("floor")) is int else defaults.floor)
        return out

    def property_def(self, doc: Document, name: str, pdef: Any) -> PropertyDef | None:
        if not isinstance(pdef, dict) or not isinstance(pdef.get("type"), str):
            return None
        ptype, options = pdef["type"], pdef.get("options")
        if ptype == "choices" and options is None:
            self.error(doc, node_pos(pdef), f"choices property '{name}' needs 'options'", "choices_without_options")
            return None
        if ptype != "choices" and options is not None:
            self.error(doc, key_pos(pdef, "options"), f"only a choices property has 'options' ('{name}' is {ptype})",
                       "options_not_choices")
        if not isinstance(options, list) or ptype != "choices":
            return PropertyDef(ptype) if ptype != "choices" else None
        seen: set[str] = set()
        for i, option in enumerate(options):
            text = normalize_property_value(option)
            if text in seen:
                self.error(doc, value_pos(options, i), f"option '{text}' of property '{name}' is listed twice",
                           "duplicate_option")
            seen.add(text)
        return PropertyDef(ptype, tuple(dict.fromkeys(normalize_property_value(o) for o in options)))

    # ------------------------------------------------------------------ members

    def members(self, properties: dict[str, PropertyDef]) -> tuple[list[Member], dict[str, tuple[Document, Pos]]]:
        out: list[Member] = []
        ids: dict[str, tuple[Document, Pos]] = {}
        emails: dict[str, tuple[str, Document, Pos]] = {}
        prop_lower = {n.lower(): n for n in properties}
        option_lower = {n: {o.lower(): o for o in p.options or ()} for n, p in properties.items()}
        for doc in self.docs:
            items = doc.data.get("members")
            if not isinstance(items, list):
                continue
            for i, m in enumerate(items):
                if not isinstance(m, dict):
                    continue
                mid = norm_id(m.get("id"))
                ok = mid is not None
                if mid is not None:
                    here = value_pos(m, "id")
                    if mid in ids and ids[mid] == (doc, here):  # the same mapping again, through an alias
                        self.error(doc, value_pos(items, i), f"member '{mid}' is defined twice through a YAML alias "
                                   f"(defined at {self.loc(doc, here)})", "duplicate_member_id")
                        ok = False
                    elif mid in ids:
                        self.error(doc, here, f"duplicate member id '{mid}' (first defined at {self.loc(*ids[mid])})",
                                   "duplicate_member_id")
                        ok = False
                    else:
                        ids[mid] = (doc, here)
                email = m.get("email")
                if isinstance(email, str):
                    here = value_pos(m, "email")
                    key = email_key(email)
                    if not EMAIL_RE.match(email.strip()):
                        self.error(doc, here, f"malformed email '{email}'", "malformed_email")
                        ok = False
                    elif key in emails:
                        other, odoc, opos = emails[key]
                        self.error(doc, here, f"duplicate email '{email}': '{other}' at {self.loc(odoc, opos)} "
                                   "(emails compare case-insensitively)", "duplicate_email")
                        ok = False
                    else:
                        emails[key] = (email, doc, here)
                else:
                    ok = False
                first, last = m.get("first_name"), m.get("last_name")
                ok = ok and isinstance(first, str) and isinstance(last, str)
                values = self.member_properties(doc, m, properties, prop_lower, option_lower)
                if ok:
                    title, lang = m.get("job_title"), m.get("language")
                    out.append(Member(mid, email.strip(), first, last,
                                      title if isinstance(title, str) else None,
                                      lang if isinstance(lang, str) else None, values))
        return out, ids

    def member_properties(self, doc: Document, member: dict, properties: dict[str, PropertyDef],
                          prop_lower: dict[str, str], option_lower: dict[str, dict[str, str]]) -> dict[str, str]:
        values = member.get("properties")
        out: dict[str, str] = {}
        if not isinstance(values, dict):
            return out
        for name, raw in values.items():
            name_s = str(name)
            pdef = properties.get(name_s)
            if pdef is None:
                self.error(doc, key_pos(values, name), f"property '{name_s}' is not declared under 'properties'"
                           + self.suggest("property", name_s, properties, prop_lower), "unknown_property")
                continue
            if raw is None:
                continue
            here = value_pos(values, name)
            value = self.property_value(doc, here, name_s, pdef, raw, option_lower.get(name_s, {}))
            if value is not None:
                out[name_s] = value
        return out

    def property_value(self, doc: Document, here: Pos, name: str, pdef: PropertyDef, raw: Any,
                       options_lower: dict[str, str]) -> str | None:
        if isinstance(raw, (dict, list)):
            self.error(doc, here, f"property '{name}' takes a single value, not a mapping or a list", "property_type")
            return None
        kind = pdef.type
        if kind == "choices":
            text = normalize_property_value(raw)
            if text in options_lower.values():
                return text
            hint = self.suggest("option:" + name, text, options_lower.values(), options_lower)
            shown = ", ".join(list(options_lower.values())[:10])
            self.error(doc, here, f"'{text}' is not an option of property '{name}'"
                       + (hint or f" (options: {shown})"), "unknown_option")
            return None
        if kind == "date":
            if isinstance(raw, _dt.date):
                return normalize_property_value(raw)
            reason = ""
            if isinstance(raw, str) and DATE_RE.match(raw):
                try:
                    _dt.date.fromisoformat(raw)
                    return raw
                except ValueError as exc:
                    reason = f" ({exc})"
            self.error(doc, here, f"property '{name}' is a date: expected YYYY-MM-DD, got {raw!r}{reason}",
                       "property_type")
            return None
        if kind == "numeric":
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                return normalize_property_value(raw)
            if isinstance(raw, str) and NUMBER_RE.match(raw.strip()):
                number = float(raw)
                return normalize_property_value(int(number) if number.is_integer() else number)
            self.error(doc, here, f"property '{name}' is numeric: expected a number, got {raw!r}", "property_type")
            return None
        return normalize_property_value(raw)  # text: any single value

    # ------------------------------------------------------------------ teams

    def teams(self, member_ids: dict[str, tuple[Document, Pos]]) -> dict[str, _TeamRec]:
        """Flatten every file's tree; first definition of an id wins."""
        recs: dict[str, _TeamRec] = {}
        for doc in self.docs:
            items = doc.data.get("teams")
            if isinstance(items, list):
                self.team_list(doc, items, None, recs, member_ids)
        return recs

    def team_list(self, doc: Document, items: list, parent: str | None, recs: dict[str, _TeamRec],
                  member_ids: dict[str, tuple[Document, Pos]]) -> None:
        for i, node in enumerate(items):
            if not isinstance(node, dict):
                continue
            tid, name = norm_id(node.get("id")), node.get("name")
            explicit = None
            if "parent" in node:
                if parent is not None:
                    self.error(doc, key_pos(node, "parent"), "'parent' is only allowed on a top-level team "
                               f"(this team is nested under '{parent}')", "nested_parent")
                else:
                    explicit = norm_id(node["parent"])
            effective = parent if parent is not None else explicit
            children = node.get("teams")
            if tid is None or not isinstance(name, str):
                if isinstance(children, list):  # still check the sub-teams
                    self.team_list(doc, children, tid, recs, member_ids)
                continue
            here = value_pos(node, "id")
            if tid in recs and recs[tid].node is node:  # the same mapping again, through a YAML alias
                self.error(doc, value_pos(items, i), f"team '{tid}' is defined twice through a YAML alias "
                           f"(defined at {self.loc(recs[tid].doc, here)})", "duplicate_team_id")
                continue  # its sub-teams were checked with the original
            if tid in recs:
                first = recs[tid]
                where = self.loc(first.doc, value_pos(first.node, "id"))
                if first.team.parent != effective:
                    self.error(doc, here, f"team '{tid}' has two parents: '{first.team.parent or '(top level)'}' "
                               f"(at {where}) and '{effective or '(top level)'}' here", "double_parent")
                else:
                    self.error(doc, here, f"duplicate team id '{tid}' (first defined at {where})", "duplicate_team_id")
            else:
                previous = node.get("previous_name")
                team = Team(tid, name, effective, self.refs(doc, node, "managers", tid, member_ids),
                            self.refs(doc, node, "members", tid, member_ids),
                            previous if isinstance(previous, str) else None)
                written = any(norm_id(x) is not None for role in ("managers", "members")
                              if isinstance(node.get(role), list) for x in node[role])
                recs[tid] = _TeamRec(team, doc, node, explicit is not None, written)
            if isinstance(children, list):
                self.team_list(doc, children, tid, recs, member_ids)

    def refs(self, doc: Document, node: dict, role: str, tid: str,
             member_ids: dict[str, tuple[Document, Pos]]) -> list[str]:
        items = node.get(role)
        out: list[str] = []
        if not isinstance(items, list):
            return out
        seen: set[str] = set()
        for i, raw in enumerate(items):
            mid = norm_id(raw)
            if mid is None:
                continue
            here = value_pos(items, i)
            if member_ids is not None and mid not in member_ids:
                hint = self.suggest("member", mid, member_ids, self.id_lower)
                self.unknown_refs.add(mid.lower())
                self.error(doc, here, f"unknown member '{mid}' in {role} of team '{tid}'{hint}", "unknown_member")
                continue
            if mid in seen:
                self.warn(doc, here, f"'{mid}' is listed twice in {role} of team '{tid}'", "listed_twice")
                continue
            seen.add(mid)
            out.append(mid)
        if role == "members":
            managers = {norm_id(x) for x in node.get("managers") or () if norm_id(x) is not None}
            for i, raw in enumerate(items):
                if norm_id(raw) in managers:
                    self.warn(doc, value_pos(items, i), f"'{norm_id(raw)}' is both a manager and a member of team "
                              f"'{tid}'", "manager_is_member")
        return out

    def tree(self, recs: dict[str, _TeamRec], complete: bool) -> list[Team]:
        """Check parents and cycles; return the teams parents-first (pre-order)."""
        roots: list[str] = []
        team_lower = {t.lower(): t for t in recs}
        for tid, rec in recs.items():
            parent = rec.team.parent
            if parent is None:
                roots.append(tid)
            elif parent in recs:
                recs[parent].children.append(tid)  # nested first (source order), then attached
            elif complete and rec.explicit_parent:
                self.error(rec.doc, value_pos(rec.node, "parent"), f"unknown parent team '{parent}'"
                           + self.suggest("team", parent, recs, team_lower), "unknown_parent")
        state: dict[str, int] = {}
        for start in recs:  # cycles can only go through `parent:` links
            path: list[str] = []
            tid: str | None = start
            while tid is not None and tid in recs and state.get(tid, 0) == 0:
                state[tid] = 1
                path.append(tid)
                tid = recs[tid].team.parent
            if tid is not None and state.get(tid) == 1:
                cycle = path[path.index(tid):]
                anchor = next((t for t in cycle if recs[t].explicit_parent), cycle[0])
                rec = recs[anchor]
                chain = " -> ".join(cycle[cycle.index(anchor):] + cycle[:cycle.index(anchor)] + [anchor])
                self.error(rec.doc, value_pos(rec.node, "parent"), f"cycle in team parents: {chain}", "team_cycle")
            for t in path:
                state[t] = 2
        ordered: list[Team] = []
        stack = list(reversed(roots))
        while stack:
            rec = recs[stack.pop()]
            ordered.append(rec.team)
            stack.extend(reversed(rec.children))
        return ordered

    def team_warnings(self, recs: dict[str, _TeamRec], members: dict[str, Member]) -> None:
        """Warnings on team ids. An all-caps code such as ``SALES`` reads as a code, not as the name
        "Sales"; ``sales`` or ``customer-support`` (for "Customer Support") read as the name."""
        people: dict[str, str] = {}
        for m in members.values():
            full = name_key(m.first_name + m.last_name)
            people.setdefault(full, f"{m.first_name} {m.last_name}")
            people.setdefault(name_key(m.last_name + m.first_name), f"{m.first_name} {m.last_name}")
        for tid, rec in recs.items():
            team, doc = rec.team, rec.doc
            here = value_pos(rec.node, "id")
            if not rec.written and not rec.children:
                self.warn(doc, node_pos(rec.node), f"team '{tid}' has no managers, members or sub-teams",
                          "empty_team")
            if tid.strip() == team.name.strip() or (tid != tid.upper() and name_key(tid) == name_key(team.name)):
                self.warn(doc, here, f"team id '{tid}' equals its name: the id must stay when the team is renamed; "
                          "use a stable code", "team_id_is_name")
            own = {}
            for mid in team.managers:
                m = members.get(mid)
                if m is not None:
                    for part in (m.first_name, m.last_name, m.first_name + m.last_name):
                        own.setdefault(name_key(part), f"{m.first_name} {m.last_name}")
            for label, text, pos in (("id", tid, here), ("name", team.name, value_pos(rec.node, "name"))):
                key = name_key(text)
                bare = re.sub(r"^(team)|(team|teams)$", "", key)
                person = people.get(key) or people.get(bare) or own.get(key) or own.get(bare) \
                    or (own.get(bare[:-1]) if bare.endswith("s") else None)
                if person:
                    self.warn(doc, pos, f"team {label} '{text}' looks like a person's name ({person}): a team keyed "
                              "on a person loses its history when they leave", "team_named_after_person")
                    break


def build_org(docs: list[Document], *, complete: bool = True) -> tuple[Org | None, list[Problem]]:
    """Check and merge parsed org documents. Returns (org or None when errors, problems).

    ``complete=False`` (some file could not be read or parsed) skips the checks that need the whole
    org — unknown references, empty sections, members in no team — to avoid a cascade of
    misleading messages; the syntax error comes first.
    """
    docs = [d for d in docs if isinstance(d.data, dict)]
    checker = _Checker(docs)
    organization, settings, properties = checker.sections()
    members, member_ids = checker.members(properties)
    checker.id_lower = {m.lower(): m for m in member_ids}
    recs = checker.teams(member_ids if complete else None)
    teams = checker.tree(recs, complete)
    by_id = {m.id: m for m in members}
    checker.team_warnings(recs, by_id)
    if complete:
        _org_checks(checker, docs, settings, members, member_ids, recs)
    if any(p.severity == "error" for p in checker.problems):
        return None, checker.problems
    return Org(organization, settings, properties, members, teams), checker.problems


def _org_checks(checker: _Checker, docs: list[Document], settings: Settings, members: list[Member],
                member_ids: dict[str, tuple[Document, Pos]], recs: dict[str, _TeamRec]) -> None:
    """Whole-org rules: empty sections, protected ids, members in no team.

    A protected id that is not an org member is only a warning and stays protected: removing a
    leaver from ``members`` while keeping them in ``settings.protected`` is exactly what the
    ``protected_member`` plan guard exists to catch."""
    if not docs:
        return

    def section_pos(section: str) -> tuple[Document, Pos]:
        for doc in docs:
            if section in doc.data:
                return doc, key_pos(doc.data, section)
        return docs[0], (1, 1)

    def written(section: str) -> int:
        """How many entries the files hold, malformed ones included (the schema reported those)."""
        values = [doc.data.get(section) for doc in docs]
        return sum(len(v) if isinstance(v, list) else int(v is not None) for v in values)

    if not member_ids and not written("members"):
        checker.error(*section_pos("members"), "the org has no members: the account rejects a sync with an "
                      "empty members section", "no_members")
    if not recs and not written("teams"):
        checker.error(*section_pos("teams"), "the org has no teams: the account rejects a sync with an empty "
                      "teams section", "no_teams")
    elif recs and not any(r.written or r.children for r in recs.values()):
        checker.error(*section_pos("teams"), "no team has a manager, member or sub-team: the account rejects a "
                      "sync with an empty team mappings section", "no_mappings")
    for doc in docs:
        protected = doc.data.get("settings", {}).get("protected") if isinstance(doc.data.get("settings"), dict) \
            else None
        if not isinstance(protected, list):
            continue
        for i, raw in enumerate(protected):
            mid = norm_id(raw)
            if mid is None:
                continue
            if mid not in member_ids:  # e.g. a leaver removed from members: the guard must still hold
                hint = checker.suggest("member", mid, member_ids, checker.id_lower)
                checker.warn(doc, value_pos(protected, i), f"protected member '{mid}' is not in the org{hint}: if the "
                             "account has them, the plan will refuse to deactivate them (protected_member guard) "
                             "unless --force", "protected_not_in_org")
            if mid not in settings.protected:
                settings.protected.append(mid)
    placed: set[str] = set()
    for rec in recs.values():
        placed.update(rec.team.managers)
        placed.update(rec.team.members)
    if recs:
        for mid, (doc, pos) in member_ids.items():
            if mid not in placed and mid.lower() not in checker.unknown_refs:  # a typo'd reference: one error only
                checker.warn(doc, pos, f"member '{mid}' is in no team (as a member or a manager)", "member_in_no_team")


__all__ = ["Document", "build_org", "did_you_mean", "name_key", "norm_id"]
