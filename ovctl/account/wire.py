"""Every uncertain wire detail of the Officevibe / Workleap API, in one place.

Paths, headers, payload field names, CSV file and column names, and the export API's field names
are only partly documented (see ``docs/api-facts.md``, where the S/C source tags below resolve). The rest of ovctl speaks the
flavour-neutral ``model.Payload`` and ``model.Snapshot``; this module translates. A correction
against the live API is a change to this file only. Both the HTTP client and the sandbox server use
it, so they can never disagree.

Confidence of each choice is noted beside it: CONFIRMED (official help page), 3P (third-party
code), INFERRED (our deduction), CHOSEN (unknown; our pick, easy to change here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ovctl.core.errors import PayloadRejected
from ovctl.core.model import Mapping, Payload, PayloadMember, PayloadTeam, normalize_property_value

@dataclass(frozen=True, slots=True)
class Flavor:
    """Names one flavour uses on the wire."""

    name: str
    default_endpoint: str
    sync_path: str
    key_header: str  # header name carrying the key
    key_prefix: str  # prefix of the header value ("Bearer " or "")
    members: str  # top-level section names
    teams: str
    mappings: str
    m_id: str  # member fields
    m_email: str
    m_first: str
    m_last: str
    m_title: str
    m_language: str
    t_id: str  # team fields
    t_name: str
    map_team: str  # mapping fields
    map_member: str
    map_subteam: str
    csv_members: str  # CSV file names of the official scripts
    csv_teams: str
    csv_mappings: str
    allows_settings: bool  # legacy carries `settings`; the current API rejects it (CONFIRMED S6)


WORKLEAP = Flavor(
    name="workleap",
    default_endpoint="https://api.workleap.com",  # CONFIRMED S4 (host)
    sync_path="/public/provisioning/json",  # 3P-CATALOG C3 — unconfirmed
    key_header="workleap-subscription-key",  # CONFIRMED S5
    key_prefix="",
    members="members", teams="teams", mappings="teamMappings",  # CONFIRMED S6
    m_id="externalMemberId", m_email="email", m_first="firstName", m_last="lastName",  # S6 + INFERRED
    m_title="jobTitle", m_language="languagePreferences",  # S6; single code string is CHOSEN
    t_id="externalTeamId", t_name="teamName",  # CONFIRMED S6
    map_team="externalTeamId", map_member="externalMemberId", map_subteam="externalSubteamId",
    csv_members="members.csv", csv_teams="teams.csv", csv_mappings="teams-mappings.csv",  # S4, S7
    allows_settings=False,
)

LEGACY = Flavor(
    name="legacy",
    default_endpoint="https://app.officevibe.com",  # 3P C1
    sync_path="/api/v2/sync",  # 3P C1
    key_header="Authorization",  # 3P C1
    key_prefix="Bearer ",
    members="users", teams="groups", mappings="mappings",  # CONFIRMED S6
    m_id="id", m_email="email", m_first="firstName", m_last="lastName",  # S6 + 3P C1
    m_title="jobTitle", m_language="language",
    t_id="id", t_name="name",
    map_team="groupId", map_member="userId", map_subteam="subGroupId",  # CONFIRMED S6
    csv_members="users.csv", csv_teams="groups.csv", csv_mappings="groups-mapping.csv",  # S7
    allows_settings=True,
)

# The flavour table: every flavour ovctl speaks, by name. The CLI's --flavor choices, the sandbox's
# sync routes and the auth headers it accepts all derive from it: a new flavour is one entry here.
_BY_NAME: dict[str, Flavor] = {fl.name: fl for fl in (WORKLEAP, LEGACY)}
FLAVORS = tuple(_BY_NAME)  # the names as first defined; prefer flavor_names(), which sees later entries

# Mapping flags keep their legacy names in both flavours (CONFIRMED S6).
IS_MEMBER = "isMember"
IS_MANAGER = "isManager"

# Export API (legacy v2, 3P C1/C2; the sandbox serves the same paths).
EXPORT_DEFAULT_ENDPOINT = "https://app.officevibe.com"
EXPORT_PING = "/api/v2/ping"
EXPORT_USERS = "/api/v2/users"
EXPORT_USER = "/api/v2/users/{email}"
EXPORT_GROUPS = "/api/v2/groups"  # one group: ?groupId=ID
EXPORT_GROUP_PARAM = "groupId"
# Sandbox-only endpoints (not part of the real API).
SANDBOX_SNAPSHOT = "/sandbox/snapshot"
SANDBOX_SETTINGS = "/sandbox/settings"
SANDBOX_SYNCS = "/sandbox/syncs"
SANDBOX_SYNC = "/sandbox/syncs/{sync_id}"
SANDBOX_APPROVE = "/sandbox/syncs/{sync_id}/approve"
SANDBOX_REJECT = "/sandbox/syncs/{sync_id}/reject"
SANDBOX_FAULTS = "/sandbox/faults"  # POST arms a fault, GET lists them (with counters), DELETE clears
SANDBOX_RESET = "/sandbox/reset"  # POST: empty the account, settings, history and faults; optional seed body

# Sync statuses as ovctl reports them (CONFIRMED S10 has Pending/Approved/Rejected/Failed).
SYNC_STATUSES = ("applied", "pending", "rejected", "failed")


def flavors() -> tuple[Flavor, ...]:
    """Every flavour of the table, in order."""
    return tuple(_BY_NAME.values())


def flavor_names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def flavor(name: str) -> Flavor:
    try:
        return _BY_NAME[name]
    except KeyError:
        from ovctl.core.errors import UsageError

        raise UsageError(f"unknown flavor {name!r}: use one of {', '.join(flavor_names())}") from None


def auth_headers(fl: Flavor, key: str) -> dict[str, str]:
    """Headers that carry the key. Callers must never log these."""
    return {fl.key_header: fl.key_prefix + key}


# --------------------------------------------------------------------------- JSON payloads


def encode_payload(payload: Payload, fl: Flavor, *, invite_new_users: bool | None = None) -> dict[str, Any]:
    """The JSON body of one sync. Properties travel as extra member keys named after the property
    (INFERRED: S6 "custom fields are copied over as they are"; C1 sends "Gender" that way)."""
    members = []
    for m in payload.members:
        row: dict[str, Any] = {fl.m_id: m.external_id, fl.m_email: m.email, fl.m_first: m.first_name,
                               fl.m_last: m.last_name}
        if m.job_title is not None:
            row[fl.m_title] = m.job_title
        if m.language is not None:
            row[fl.m_language] = m.language
        for k, v in m.properties.items():
            row[k] = v
        members.append(row)
    teams = [{fl.t_id: t.external_id, fl.t_name: t.name} for t in payload.teams]
    mappings = []
    for mp in payload.mappings:
        row = {fl.map_team: mp.team}
        if mp.member is not None:
            row[fl.map_member] = mp.member
        if mp.subteam is not None:
            row[fl.map_subteam] = mp.subteam
        row[IS_MEMBER] = mp.is_member
        row[IS_MANAGER] = mp.is_manager
        mappings.append(row)
    body: dict[str, Any] = {}
    if fl.allows_settings:
        body["settings"] = {"inviteNewUsers": bool(invite_new_users)}
    body[fl.members] = members
    body[fl.teams] = teams
    body[fl.mappings] = mappings
    return body


def _text(obj: dict[str, Any], key: str, where: str, required: bool = True) -> str | None:
    v = obj.get(key)
    if v is None or v == "":
        if required:
            raise PayloadRejected(f"{where}: missing required field {key!r}")
        return None
    if isinstance(v, (dict, list)):
        raise PayloadRejected(f"{where}: field {key!r} must be a string")
    return normalize_property_value(v)


def _property_value(value: Any, where: str) -> str:
    """A property travels as a single value; an object or a list has no meaning for the account."""
    if isinstance(value, (dict, list)):
        raise PayloadRejected(f"{where} must be a string, number or boolean")
    return normalize_property_value(value)


def _flag(obj: dict[str, Any], key: str) -> bool:
    v = obj.get(key, False)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v)


def _check_body(body: Any, fl: Flavor) -> None:
    """The whole body's shape: the account refuses it before reading any row."""
    if not isinstance(body, dict):
        raise PayloadRejected("request body must be a JSON object")
    if "settings" in body and not fl.allows_settings:
        raise PayloadRejected("the 'settings' section is not accepted by API provisioning; remove it")
    for section in (fl.members, fl.teams, fl.mappings):
        value = body.get(section)
        if not value:
            raise PayloadRejected(f"the '{section}' section is missing or empty; the sync was rejected "
                                  "to prevent accidental deletion")
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            raise PayloadRejected(f"the '{section}' section must be a list of objects")


def _known_member_keys(fl: Flavor) -> set[str]:
    """Member keys that are not properties."""
    return {fl.m_id, fl.m_email, fl.m_first, fl.m_last, fl.m_title, fl.m_language, "productAssignations", "imageUrl"}


def _member(row: dict[str, Any], where: str, fl: Flavor, known: set[str]) -> PayloadMember:
    """One member row, field by field: the reference for every shape and every error message."""
    return PayloadMember(
        external_id=_text(row, fl.m_id, where), email=_text(row, fl.m_email, where),
        first_name=_text(row, fl.m_first, where, False) or "", last_name=_text(row, fl.m_last, where, False) or "",
        job_title=_text(row, fl.m_title, where, False), language=_text(row, fl.m_language, where, False),
        properties={k: _property_value(v, f"{where}.{k}") for k, v in row.items() if k not in known},
    )


def _team(row: dict[str, Any], where: str, fl: Flavor) -> PayloadTeam:
    return PayloadTeam(external_id=_text(row, fl.t_id, where), name=_text(row, fl.t_name, where))


def _mapping(row: dict[str, Any], where: str, fl: Flavor) -> Mapping:
    return Mapping(team=_text(row, fl.map_team, where), member=_text(row, fl.map_member, where, False),
                   subteam=_text(row, fl.map_subteam, where, False),
                   is_member=_flag(row, IS_MEMBER), is_manager=_flag(row, IS_MANAGER))


def decode_payload_general(body: Any, fl: Flavor) -> tuple[Payload, dict[str, Any]]:
    """``decode_payload`` with every row read field by field (no fast path): the reference that
    the differential tests hold ``decode_payload`` to."""
    _check_body(body, fl)
    known = _known_member_keys(fl)
    members = [_member(row, f"{fl.members}[{i}]", fl, known) for i, row in enumerate(body[fl.members])]
    teams = [_team(row, f"{fl.teams}[{i}]", fl) for i, row in enumerate(body[fl.teams])]
    mappings = [_mapping(row, f"{fl.mappings}[{i}]", fl) for i, row in enumerate(body[fl.mappings])]
    settings = body.get("settings") if isinstance(body.get("settings"), dict) else {}
    return Payload(members=members, teams=teams, mappings=mappings), settings


def decode_payload(body: Any, fl: Flavor) -> tuple[Payload, dict[str, Any]]:
    """Parse a sync body as the account would; returns the payload and its settings (legacy).

    Raises PayloadRejected (the account's 400) for a wrong shape, a ``settings`` section in the
    current flavour, or a missing/empty section — the account's safety measure (CONFIRMED S3).

    Same result and same errors as ``decode_payload_general``, faster (a 20,000-member body was
    ~0.18 s of the sandbox's sync): a row whose fields all have the common type (a non-empty
    ``str`` where a field is required, ``str`` or absent where optional, ``bool`` flags) is built
    directly, since ``normalize_property_value`` of a ``str`` is the string itself; any other row
    (an empty or missing required field, a number, an object…) goes through the general reader,
    which gives the same value or raises the same error. Rows are read in order either way, so
    the first bad row is still the one reported.
    """
    _check_body(body, fl)
    known = _known_member_keys(fl)
    m_id, m_email, m_first, m_last = fl.m_id, fl.m_email, fl.m_first, fl.m_last
    m_title, m_lang = fl.m_title, fl.m_language
    members = []
    for i, row in enumerate(body[fl.members]):
        eid, email, first, last = row.get(m_id), row.get(m_email), row.get(m_first), row.get(m_last)
        title, lang = row.get(m_title), row.get(m_lang)
        if (type(eid) is str and eid and type(email) is str and email
                and (first is None or type(first) is str) and (last is None or type(last) is str)
                and (title is None or type(title) is str) and (lang is None or type(lang) is str)):
            # Positional, in the fields' order (external_id, email, first_name, last_name, job_title,
            # language, properties): half the cost of keywords, 20,000 times.
            members.append(PayloadMember(
                eid, email, first or "", last or "", title or None, lang or None,
                {k: v if type(v) is str else _property_value(v, f"{fl.members}[{i}].{k}")
                 for k, v in row.items() if k not in known}))
        else:
            members.append(_member(row, f"{fl.members}[{i}]", fl, known))
    t_id, t_name = fl.t_id, fl.t_name
    teams = []
    for i, row in enumerate(body[fl.teams]):
        tid, name = row.get(t_id), row.get(t_name)
        if type(tid) is str and tid and type(name) is str and name:
            teams.append(PayloadTeam(tid, name))
        else:
            teams.append(_team(row, f"{fl.teams}[{i}]", fl))
    map_team, map_member, map_subteam = fl.map_team, fl.map_member, fl.map_subteam
    mappings = []
    for i, row in enumerate(body[fl.mappings]):
        team, member, subteam = row.get(map_team), row.get(map_member), row.get(map_subteam)
        is_member, is_manager = row.get(IS_MEMBER, False), row.get(IS_MANAGER, False)
        if (type(team) is str and team and (member is None or type(member) is str)
                and (subteam is None or type(subteam) is str)
                and type(is_member) is bool and type(is_manager) is bool):
            mappings.append(Mapping(team, member or None, subteam or None, is_member, is_manager))  # field order
        else:
            mappings.append(_mapping(row, f"{fl.mappings}[{i}]", fl))
    settings = body.get("settings") if isinstance(body.get("settings"), dict) else {}
    return Payload(members=members, teams=teams, mappings=mappings), settings


# --------------------------------------------------------------------------- CSV files


def csv_tables(payload: Payload, fl: Flavor, property_names: list[str]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The three CSV files of the official scripts: file name -> (header, rows).

    Booleans are written ``true``/``false`` (CHOSEN: the CSV boolean format is UNKNOWN). Every
    declared property gets a column; an empty cell means "no value". Cells are not yet neutralised
    against spreadsheet formulas — the CSV writer does that.
    """
    mh = [fl.m_id, fl.m_email, fl.m_first, fl.m_last, fl.m_title, fl.m_language, *property_names]
    mrows = [[m.external_id, m.email, m.first_name, m.last_name, m.job_title or "", m.language or "",
              *(m.properties.get(p, "") for p in property_names)] for m in payload.members]
    th = [fl.t_id, fl.t_name]
    trows = [[t.external_id, t.name] for t in payload.teams]
    ph = [fl.map_team, fl.map_member, fl.map_subteam, IS_MEMBER, IS_MANAGER]
    prows = [[mp.team, mp.member or "", mp.subteam or "", "true" if mp.is_member else "false",
              "true" if mp.is_manager else "false"] for mp in payload.mappings]
    return {fl.csv_members: (mh, mrows), fl.csv_teams: (th, trows), fl.csv_mappings: (ph, prows)}


# --------------------------------------------------------------------------- export API


# User fields of the v2 export (3P C1; note the API's own misspelling ``fistName``).
EXPORT_USER_FIELDS = ("email", "firstName", "fistName", "lastName", "userName", "jobTitle",
                      "isGroupManager", "isCompanyManager", "isAdmin", "managedGroups", "memberGroups")
# Group fields (3P C1, S20): list items, and the single-group reply which adds ``users``.
EXPORT_GROUP_FIELDS = ("id", "name", "userCount", "managerCount", "group_type")
# Each user of a single group: CHOSEN — the real shape is UNKNOWN.
EXPORT_GROUP_USER_FIELDS = ("email", "isManager", "isMember")


def envelope(data: Any = None, error: str | None = None) -> dict[str, Any]:
    """The v2 export envelope (3P C1)."""
    return {"isSuccess": error is None, "errorMessage": error or "", "data": data}


# --------------------------------------------------------------------------- sync responses

# HTTP status of an accepted sync by its status (CHOSEN: the real reply is UNKNOWN; C3 claims 202
# for a scheduled job, so a paused sync answers 202).
SYNC_HTTP_STATUS = {"applied": 200, "pending": 202}


def sync_response(sync_id: str, status: str, report: dict[str, Any]) -> dict[str, Any]:
    """The sync reply (CHOSEN shape, both flavours): legacy clients read ``isSuccess`` + ``errors``
    (3P C1); ``report`` is ``{"updates": [{kind, message, subject, detail}], "issues": [...],
    "risk": {"users", "teams"}}``."""
    return {"isSuccess": True, "syncId": sync_id, "status": status, "report": report, "errors": []}


def error_response(message: str, **extra: Any) -> dict[str, Any]:
    """An error reply (400/401/403/413/...): readable by both legacy sync clients and export clients."""
    return {"isSuccess": False, "errors": [message], "errorMessage": message, **extra}
