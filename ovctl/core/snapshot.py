"""Parse and check a snapshot document (docs/apply.md) into ``model.Snapshot``. Pure: no file access.

Every failure is one ``SnapshotError`` naming the file and the field path, e.g.
``state.json: members[3].status: 'actve' is not one of created, invited, active, deactivated``.
Unknown fields are refused (a misspelt field would otherwise be silently ignored). Besides the
shape, references are checked (a team's parent is an existing Officevibe id; managers and members
are emails of snapshot members) and duplicates refused (emails case-insensitively, Officevibe ids,
and external ids of members and of teams), as are parent cycles. Linear in the document's size.
"""

from __future__ import annotations

import math
from collections.abc import Container
from operator import itemgetter
from typing import Any

from ovctl.core import jsontext
from ovctl.core.errors import SnapshotError
from ovctl.core.shown import bounded, shown, shown_repr
from ovctl.core.model import PROPERTY_TYPES, ROLES, STATUSES, PropertyDef, Snapshot, SnapMember, SnapTeam, email_key, normalize_property_value

FORMAT_VERSION = 1
_TOP = ("format_version", "settings", "properties", "members", "teams", "protected", "applied_plans", "not_visible")
_MEMBER = ("email", "external_id", "first_name", "last_name", "job_title", "language", "status", "role", "properties")
_TEAM = ("officevibe_id", "name", "external_id", "parent", "managers", "members", "rule_based")


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> SnapshotError:
        where = f"{self.source}: {shown(path, 200)}" if self.source else shown(path, 200)
        return SnapshotError(bounded(f"{where}: {message}" if where else message))

    def obj(self, value: Any, path: str, allowed: tuple[str, ...] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path or "(document)", f"expected an object, got {_kind(value)}")
        for key in value:
            if not isinstance(key, str):  # YAML allows numbers, dates, even lists as keys
                raise self.fail(path or "(document)", f"every key must be a string (quote it in YAML), got {_kind(key)}")
            if allowed is not None and key not in allowed:
                raise self.fail(_join(path, key), f"unknown field (expected one of {', '.join(allowed)})")
        return value

    def lst(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {_kind(value)}")
        return value

    def text(self, d: dict[str, Any], key: str, path: str, *, required: bool = False, nullable: bool = True,
             default: str | None = None) -> str | None:
        if key not in d:
            if required:
                raise self.fail(_join(path, key), "required field is missing")
            return default
        value = d[key]
        if value is None and nullable and not required:
            return None
        if not isinstance(value, str):
            raise self.fail(_join(path, key), f"expected a string, got {_kind(value)}")
        if required and not value.strip():
            raise self.fail(_join(path, key), "must not be empty")
        return value

    def enum(self, d: dict[str, Any], key: str, path: str, choices: tuple[str, ...], default: str) -> str:
        value = d.get(key, default)
        if value not in choices:
            raise self.fail(_join(path, key), f"{_show(value)} is not one of {', '.join(choices)}")
        return value

    def boolean(self, d: dict[str, Any], key: str, path: str, default: bool) -> bool:
        value = d.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(_join(path, key), f"expected true or false, got {_kind(value)}")
        return value

    def strings(self, d: dict[str, Any], key: str, path: str) -> list[str]:
        items = self.lst(d.get(key, []), _join(path, key))
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise self.fail(f"{_join(path, key)}[{i}]", f"expected a string, got {_kind(item)}")
        return list(items)


def is_email_address(text: str) -> bool:
    """The snapshot format's email rule, shared with the engine so that the sandbox never stores
    an email its own snapshot would refuse (deliberately loose: the account owns addresses)."""
    return "@" in text


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(type(value),
                                                                                     type(value).__name__)


def _show(value: Any) -> str:
    """A value in a message: scalars as written, containers by kind (their repr could be huge, or
    recurse past the interpreter's limit for a deeply nested YAML value)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return shown_repr(value)
    return _kind(value)


def snapshot_from_dict(data: Any, source: str = "", *, members: list[SnapMember] | None = None,
                       member_index: dict[str, int] | None = None) -> Snapshot:
    """Check ``data`` (parsed JSON/YAML) and build the Snapshot; raises SnapshotError naming the field.

    ``members``: the members ``data["members"]`` is already known to describe exactly (each equal
    to its entry's ``to_dict`` form, in order): taken as they are instead of being built again
    (``account.live.known_members``); every other check still runs, except, with
    ``member_index`` (what ``member_index(members)`` gave ahead of time), the members' own."""
    c = _Checker(source)
    doc = c.obj(data, "", _TOP)
    version = doc.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise c.fail("format_version", f"unsupported format version {_show(version)} (this ovctl reads {FORMAT_VERSION})")
    settings = c.obj(doc.get("settings", {}), "settings", ("invite_new_members",))
    invite = c.boolean(settings, "invite_new_members", "settings", False)
    properties = _properties(c, doc.get("properties", {}))
    if members is None:
        members = [_plain_member(m) or _member(c, m, f"members[{i}]", properties)
                   for i, m in enumerate(c.lst(doc.get("members", []), "members"))]
    else:
        members = list(members)
    teams = [_team(c, t, f"teams[{i}]") for i, t in enumerate(c.lst(doc.get("teams", []), "teams"))]
    _check_teams(c, teams, _check_members(c, members) if member_index is None else member_index)
    unknown_members, unknown_teams = _not_visible(c, doc.get("not_visible", {}), members, teams)
    return Snapshot(members=members, teams=teams, properties=properties, invite_new_members=invite,
                    protected=c.strings(doc, "protected", ""), applied_plans=c.strings(doc, "applied_plans", ""),
                    format_version=FORMAT_VERSION, unknown_members=unknown_members, unknown_teams=unknown_teams)


# Fields a reading can fail to see (``account/live``): what ``not_visible`` may name.
_MEMBER_UNSEEABLE = frozenset(_MEMBER) - {"email"}
_TEAM_UNSEEABLE = frozenset({"name", "external_id", "parent", "managers", "members"})


def not_visible_data(snapshot: Snapshot) -> dict[str, Any] | None:
    """The ``not_visible`` section of a snapshot file (``ovctl pull`` through the export): which
    fields of which members and teams the reading could not see, grouped by field set so that
    50,000 members hiding the same four fields cost one line each, not six. None when all was seen.

    Why it is written: without it a pulled snapshot says ``external_id: null`` both for a member
    the account holds without an id and for one whose id the export hides; ``plan --state`` and
    ``import state`` of that file would then take a hidden id for an absent one (docs/adopting.md)."""
    if not snapshot.unknown_members and not snapshot.unknown_teams:
        return None

    def groups(marks: dict[str, frozenset[str]], names: list[tuple[str, str]], label: str) -> list[dict[str, Any]]:
        by_fields: dict[tuple[str, ...], list[str]] = {}
        for key, name in names:
            fields = marks.get(key)
            if fields:
                by_fields.setdefault(tuple(sorted(fields)), []).append(name)
        return [{"fields": list(f), label: names} for f, names in by_fields.items()]

    return {"members": groups(snapshot.unknown_members, [(email_key(m.email), m.email) for m in snapshot.members],
                              "emails"),
            "teams": groups(snapshot.unknown_teams, [(t.officevibe_id, t.officevibe_id) for t in snapshot.teams],
                            "teams")}


def _not_visible(c: _Checker, raw: Any, members: list[SnapMember],
                 teams: list[SnapTeam]) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Read ``not_visible`` back: every name must be a member (by email) or team (by Officevibe id)
    of this snapshot and every field one a reading can miss."""
    doc = c.obj(raw, "not_visible", ("members", "teams"))
    if not doc:  # the common case (a state file): no index of 50,000 email keys for nothing
        return {}, {}
    out: list[dict[str, frozenset[str]]] = []
    for kind, label, allowed, known in (
            ("members", "emails", _MEMBER_UNSEEABLE, {email_key(m.email) for m in members}),
            ("teams", "teams", _TEAM_UNSEEABLE, {t.officevibe_id for t in teams})):
        marks: dict[str, frozenset[str]] = {}
        for i, group in enumerate(c.lst(doc.get(kind, []), f"not_visible.{kind}")):
            path = f"not_visible.{kind}[{i}]"
            g = c.obj(group, path, ("fields", label))
            for required in ("fields", label):
                if required not in g:
                    raise c.fail(f"{path}.{required}", "required field is missing")
            fields = c.strings(g, "fields", path)
            for j, f in enumerate(fields):
                if f not in allowed:
                    raise c.fail(f"{path}.fields[{j}]", f"{_show(f)} is not one of {', '.join(sorted(allowed))}")
            for j, name in enumerate(c.strings(g, label, path)):
                key = email_key(name) if kind == "members" else name
                if key not in known:
                    raise c.fail(f"{path}.{label}[{j}]", f"{_show(name)} is not a {kind[:-1]} of this snapshot")
                marks[key] = marks.get(key, frozenset()) | frozenset(fields)
        out.append(marks)
    return out[0], out[1]


def _properties(c: _Checker, raw: Any) -> dict[str, PropertyDef]:
    out: dict[str, PropertyDef] = {}
    for name, spec in c.obj(raw, "properties").items():
        path = f"properties.{name}"
        spec = c.obj(spec, path, ("type", "options"))
        ptype = c.enum(spec, "type", path, PROPERTY_TYPES, "")
        options = None
        if "options" in spec or ptype == "choices":
            if ptype != "choices":
                raise c.fail(f"{path}.options", "only a choices property has options")
            options = c.lst(spec.get("options", []), f"{path}.options")
            for i, o in enumerate(options):
                if isinstance(o, (dict, list)):
                    raise c.fail(f"{path}.options[{i}]", f"expected a single value, got {_kind(o)}")
                if isinstance(o, float) and not math.isfinite(o):
                    raise c.fail(f"{path}.options[{i}]", f"expected a finite number, got {_show(o)}")
            options = tuple(normalize_property_value(o) for o in options)
        out[name] = PropertyDef(type=ptype, options=options)
    return out


_MEMBER_KEYS = frozenset(_MEMBER)
_MEMBER_FIELDS = itemgetter(*_MEMBER)  # every field at once, in _MEMBER's order: one C call
_TEXT_TYPES = frozenset({str, type(None)})
_STR_ONLY = {str}


def _plain_member(raw: Any) -> SnapMember | None:
    """The member of a well-formed entry (nearly every one: a state file ovctl wrote), built
    without a check per field; None for anything else, which ``_member`` then checks and reports.
    Accepts exactly what ``_member`` accepts and builds the same member: string fields, a known
    status and role, property values that are strings (the state file's form).

    Written for 50,000 entries: an entry with every field (what ovctl writes) is read with one
    ``itemgetter`` call, and types are checked as sets of types (``map(type, ...)`` runs in C)."""
    if type(raw) is not dict or not raw.keys() <= _MEMBER_KEYS:
        return None
    if len(raw) == len(_MEMBER):
        email, ext, first, last, title, lang, status, role, props = _MEMBER_FIELDS(raw)
    else:
        get = raw.get
        email, ext, first, last, title, lang = (get("email"), get("external_id"), get("first_name"),
                                                get("last_name"), get("job_title"), get("language"))
        status, role, props = get("status", "active"), get("role", "member"), get("properties", {})
    if type(email) is not str or "@" not in email or not email.strip():
        return None
    if not {type(ext), type(first), type(last), type(title), type(lang)} <= _TEXT_TYPES:
        return None
    if status not in STATUSES or role not in ROLES or type(props) is not dict:
        return None
    if props:
        if set(map(type, props)) != _STR_ONLY or set(map(type, props.values())) != _STR_ONLY:
            return None
        # "" is no value; a copy either way (the member must not share the parsed document's dict)
        props = {k: v for k, v in props.items() if v} if "" in props.values() else props.copy()
    else:
        props = {}
    return SnapMember(email, ext or None, first or "", last or "", title or None, lang or None, status, role, props)


def _member(c: _Checker, raw: Any, path: str, properties: dict[str, PropertyDef]) -> SnapMember:
    d = c.obj(raw, path, _MEMBER)
    props: dict[str, str] = {}
    for name, value in c.obj(d.get("properties", {}), f"{path}.properties").items():
        if isinstance(value, (dict, list)):
            raise c.fail(f"{path}.properties.{name}", f"expected a single value, got {_kind(value)}")
        if isinstance(value, float) and not math.isfinite(value):  # YAML .nan / .inf
            raise c.fail(f"{path}.properties.{name}", f"expected a finite number, got {_show(value)}")
        if value is not None and value != "":
            props[name] = normalize_property_value(value)
    email = c.text(d, "email", path, required=True)
    if not is_email_address(email):
        raise c.fail(f"{path}.email", f"{_show(email)} is not an email address")
    return SnapMember(email=email, external_id=c.text(d, "external_id", path) or None,
                      first_name=c.text(d, "first_name", path, nullable=True) or "",
                      last_name=c.text(d, "last_name", path, nullable=True) or "",
                      job_title=c.text(d, "job_title", path) or None, language=c.text(d, "language", path) or None,
                      status=c.enum(d, "status", path, STATUSES, "active"), role=c.enum(d, "role", path, ROLES, "member"),
                      properties=props)


def _team(c: _Checker, raw: Any, path: str) -> SnapTeam:
    d = c.obj(raw, path, _TEAM)
    return SnapTeam(officevibe_id=c.text(d, "officevibe_id", path, required=True),
                    name=c.text(d, "name", path, required=True), external_id=c.text(d, "external_id", path) or None,
                    parent=c.text(d, "parent", path) or None, managers=c.strings(d, "managers", path),
                    members=c.strings(d, "members", path), rule_based=c.boolean(d, "rule_based", path, False))


def member_index(members: list[SnapMember]) -> dict[str, int] | None:
    """The check ``snapshot_from_dict`` runs on its members, ahead of time: email key -> index when
    no two members share an email key or an external id, else None (the check then runs in
    ``snapshot_from_dict`` and says which). Why: apply makes it for the predicted members while the
    account works on the sync, and the read-back that holds them needs it no more (~0.015 s at
    20,000 members)."""
    try:
        return _check_members(_Checker(""), members)
    except SnapshotError:
        return None


class MemberForms:
    """``members`` in the forms a read of the account compares its answer with, made ahead of time
    (apply makes them for the predicted members while the account works on the sync): ``rows``,
    their ``to_dict`` form; ``json``, those rows as compact JSON as a sandbox writes them (None when
    orjson would not write them as json does); ``index``, ``member_index(members)``. A read that
    finds exactly these members in the answer then takes them without parsing, building or
    checking them again (``account.live.pull_after_sync``)."""

    __slots__ = ("members", "rows", "json", "index")

    def __init__(self, members: list[SnapMember]) -> None:
        self.members = members
        self.rows: list[dict[str, Any]] = Snapshot(members=members).to_dict()["members"]
        self.json = jsontext.orjson_text(self.rows) if jsontext.values_alike(self.rows) else None
        self.index = member_index(members)


def _check_members(c: _Checker, members: list[SnapMember]) -> dict[str, int]:
    """No two members share an email key or an external id; returns email key -> member index."""
    emails: dict[str, int] = {}
    ids: dict[str, int] = {}
    for i, m in enumerate(members):
        key = email_key(m.email)
        if key in emails:
            raise c.fail(f"members[{i}].email", f"{_show(m.email)} duplicates members[{emails[key]}] (emails are case-insensitive)")
        emails[key] = i
        if m.external_id is not None:
            if m.external_id in ids:
                raise c.fail(f"members[{i}].external_id", f"{_show(m.external_id)} duplicates members[{ids[m.external_id]}]")
            ids[m.external_id] = i
    return emails


def _check_teams(c: _Checker, teams: list[SnapTeam], emails: Container[str]) -> None:
    ov_ids: dict[str, int] = {}
    ext_ids: dict[str, int] = {}
    for i, t in enumerate(teams):
        if t.officevibe_id in ov_ids:
            raise c.fail(f"teams[{i}].officevibe_id", f"{_show(t.officevibe_id)} duplicates teams[{ov_ids[t.officevibe_id]}]")
        ov_ids[t.officevibe_id] = i
        if t.external_id is not None:
            if t.external_id in ext_ids:
                raise c.fail(f"teams[{i}].external_id", f"{_show(t.external_id)} duplicates teams[{ext_ids[t.external_id]}]")
            ext_ids[t.external_id] = i
    for i, t in enumerate(teams):
        if t.parent is not None and t.parent not in ov_ids:
            raise c.fail(f"teams[{i}].parent", f"{_show(t.parent)} is not the officevibe_id of a team")
        for role in ("managers", "members"):
            for j, e in enumerate(getattr(t, role)):
                if email_key(e) not in emails:
                    raise c.fail(f"teams[{i}].{role}[{j}]", f"{_show(e)} is not the email of a member of the snapshot")
    state: dict[int, int] = {}
    for start in range(len(teams)):
        path: list[int] = []
        node: int | None = start
        while node is not None and node not in state:
            state[node] = 1
            path.append(node)
            parent = teams[node].parent
            node = ov_ids[parent] if parent is not None else None
            if node is not None and state.get(node) == 1:
                raise c.fail(f"teams[{path[-1]}].parent", "the team hierarchy has a cycle")
        for n in path:
            state[n] = 2


def same_member_form(a: list[SnapMember], b: list[SnapMember]) -> bool:
    """Whether the two member lists have the same ``to_dict`` form (so the same JSON text),
    found without building it: the same members, in order, field for field, their properties in
    the same key order (``==`` ignores the order a file shows). Why: apply makes the state file's
    text of the predicted members while the account works on the sync; when the account reads
    back as predicted, its members are the very predicted objects, and that text is used."""
    if len(a) != len(b):
        return False
    return all(x is y or (x == y and list(x.properties.items()) == list(y.properties.items()))
               for x, y in zip(a, b))
