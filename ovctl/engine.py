"""The account's sync rules as one pure function, shared by ``plan`` and the sandbox.

``simulate(snapshot, payload)`` returns the snapshot the account would hold after a provisioning
sync and the report it would write. It never mutates its inputs, does no I/O and is deterministic,
so a plan computed from it is exactly what the sandbox then does.

Rules (DESIGN §4), with the details the documentation leaves open decided here:

Members
- A payload member matches a snapshot member by external id, else by email (case-insensitive)
  among members that have no external id yet (the first sync): the id is attached and the email
  is left as it is (a match by email cannot change the email).
- A payload member whose email is not an email address (the snapshot format's own rule,
  ``snapshot.is_email_address``) is skipped with an issue, like any skipped member: it is not seen
  by this sync (so an existing member with its external id is deactivated) and its mappings are
  skipped as "User Not Found". The account must never hold what its snapshot cannot express.
- A payload member whose email belongs to a member already holding *another* external id is
  skipped with an issue (the account cannot hold two members with one email). Its mappings are
  then skipped as "User Not Found", and the member holding the email is not seen by this sync.
- A member matched by external id takes the payload's email, unless another member holds that
  email already (the email is then kept, with an issue). Emails are case-insensitive, so a change
  of case only is not a change.
- Matched members take first/last name and, when sent (not ``None``), job title and language;
  ``None`` means "not in the payload" and leaves the value alone (that is what the wire adapter
  decodes an absent or empty column to).
- Properties: a name missing from ``snapshot.properties`` is skipped ("Attribute Not Found",
  names are case-sensitive); a choices value that is not an option is skipped ("Skipped User
  Attribute Option Not Found"); a numeric value that is not a finite number, or a date that is
  not a real YYYY-MM-DD date, is skipped ("Skipped User Attribute - Invalid Value"); ``""`` clears
  the value; properties absent from the payload member
  are left alone.
- A deactivated member who reappears is reactivated (status ``active``). New members are created
  with role ``member`` and status ``invited`` when invites are on, else ``created``.
- Members absent from the payload are deactivated, never deleted. Admins and executives are never
  deactivated and their status never changes; their profile and team data are still updated when
  they are in the payload. Snapshot order is kept; new members are appended.

Teams
- A payload team whose name is blank is skipped with an issue (a team must have a name).
- A payload team matches by external id, else by exact name among id-less, non-rule-based teams
  (adopt: the id is attached). A changed name on a team matched by id is a rename. Unmatched
  payload teams are created (id from ``new_team_id``). Rule-based teams are never matched: they are
  kept untouched with their memberships; a payload team that reuses a rule-based team's external
  id is skipped with an issue. Other snapshot teams absent from the payload are removed.
- Mappings replace the managers, members and parent of every payload team (full state). A team
  without a sub-team row is top level. A sub-team mapped under two parents keeps the first (issue);
  a sub-team row that would close a cycle is dropped (issue). Admins/executives absent from the
  payload keep their existing memberships on matched teams.

Report and risk
- ``updates``: one item per applied change; ``issues``: every skip, with the account's wording.
- ``risk_users`` = created + deactivated members + changed property values (of existing members);
  ``risk_teams`` = created + removed teams + each (team, person, role) assignment added or removed
  (the assignments of a created team count as additions; those of a removed team do not count).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from .errors import PayloadRejected
from .model import (Payload, PayloadMember, PayloadTeam, PropertyDef, ReportItem, Snapshot, SnapMember, SnapTeam,
                    SyncReport, email_key)
from .snapshot import is_email_address

# The account's own wording for skips (FAQ "What do the Error messages mean?").
ATTRIBUTE_NOT_FOUND = "Attribute Not Found"
OPTION_NOT_FOUND = "Skipped User Attribute Option Not Found"
GROUP_NOT_FOUND = "Skipped User Mapping To Group - Group Not Found"
SUBGROUP_NOT_FOUND = "Skipped Subgroup Mapping To Group - Subgroup Not Found"
USER_NOT_FOUND = "Skipped User Mapping To Group - User Not Found"
# Our wording for skips the FAQ does not name.
EMAIL_TAKEN = "Skipped User - Email Already Used By Another Member"
EMAIL_CHANGE_SKIPPED = "Skipped User Email Update - Email Already Used By Another Member"
DUPLICATE_USER = "Skipped User - Duplicate External Id"
DUPLICATE_GROUP = "Skipped Group - Duplicate External Id"
RULE_BASED_GROUP = "Skipped Group - Rule-Based Team"
SUBGROUP_TWO_PARENTS = "Skipped Subgroup Mapping To Group - Subgroup Already Has A Parent"
SUBGROUP_CYCLE = "Skipped Subgroup Mapping To Group - Cycle"
INVALID_EMAIL = "Skipped User - Invalid Email"
INVALID_VALUE = "Skipped User Attribute - Invalid Value"
INVALID_GROUP_NAME = "Skipped Group - Invalid Name"

# Property values by type (the same shapes ``ovctl validate`` accepts in an org file).
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)

# Update items.
USER_CREATED = "User Created"
USER_UPDATED = "User Updated"
USER_DEACTIVATED = "User Deactivated"
USER_REACTIVATED = "User Reactivated"
TEAM_CREATED = "Team Created"
TEAM_RENAMED = "Team Renamed"
TEAM_ADOPTED = "Team Adopted"
TEAM_MOVED = "Team Moved"
TEAM_REMOVED = "Team Removed"

PROTECTED_ROLES = frozenset({"admin", "executive"})


def default_team_id_factory(snapshot: Snapshot) -> Callable[[PayloadTeam], str]:
    """Deterministic Officevibe ids for created teams: ``new:<external id>``, de-duplicated."""
    taken = {t.officevibe_id for t in snapshot.teams}

    def new_id(team: PayloadTeam) -> str:
        candidate, n = f"new:{team.external_id}", 1
        while candidate in taken:
            n += 1
            candidate = f"new:{team.external_id}#{n}"
        taken.add(candidate)
        return candidate

    return new_id


def risk_exceeds(report: SyncReport, users_threshold: int | None, teams_threshold: int | None) -> bool:
    """True when the account would pause this sync for approval (a count *above* its threshold)."""
    return (users_threshold is not None and report.risk_users > users_threshold) or (
        teams_threshold is not None and report.risk_teams > teams_threshold)


def _copy_member(m: SnapMember) -> SnapMember:
    return SnapMember(email=m.email, external_id=m.external_id, first_name=m.first_name, last_name=m.last_name,
                      job_title=m.job_title, language=m.language, status=m.status, role=m.role,
                      properties=dict(m.properties))


def _copy_team(t: SnapTeam) -> SnapTeam:
    return SnapTeam(officevibe_id=t.officevibe_id, name=t.name, external_id=t.external_id, parent=t.parent,
                    managers=list(t.managers), members=list(t.members), rule_based=t.rule_based)


@dataclass(slots=True)
class _Run:
    """Working state of one simulation (private: the inputs are never touched)."""

    snapshot: Snapshot
    members: list[SnapMember]
    teams: list[SnapTeam]
    report: SyncReport


def simulate(snapshot: Snapshot, payload: Payload, *, invite_new_members: bool | None = None,
             new_team_id: Callable[[PayloadTeam], str] | None = None) -> tuple[Snapshot, SyncReport]:
    """Apply one provisioning sync the way the account does; see the module docstring for the rules.

    ``invite_new_members=None`` uses the account's setting (a legacy payload may override it).
    Raises ``PayloadRejected`` when the members, teams or mappings section is empty.
    """
    for section, rows in (("members", payload.members), ("teams", payload.teams), ("mappings", payload.mappings)):
        if not rows:
            raise PayloadRejected(f"the {section} section is empty; the account rejects the whole sync "
                                  "to prevent accidental deletion")
    invite = snapshot.invite_new_members if invite_new_members is None else invite_new_members
    run = _Run(snapshot=snapshot, members=[_copy_member(m) for m in snapshot.members],
               teams=[_copy_team(t) for t in snapshot.teams], report=SyncReport())
    member_by_ext, seen, renamed_emails = _sync_members(run, payload.members, invite)
    _sync_teams(run, payload, member_by_ext, seen, renamed_emails, new_team_id or default_team_id_factory(snapshot))
    result = Snapshot(members=run.members, teams=run.teams,
                      properties=dict(snapshot.properties), invite_new_members=snapshot.invite_new_members,
                      protected=list(snapshot.protected), applied_plans=list(snapshot.applied_plans),
                      format_version=snapshot.format_version)
    return result, run.report


# --------------------------------------------------------------------------- members


def _sync_members(run: _Run, rows: list[PayloadMember], invite: bool) -> tuple[dict[str, int], set[int], dict[str, str]]:
    """Match, update, create, reactivate and deactivate members.

    Returns: payload external id -> member index (members actually synced), the indexes seen, and
    old email key -> new email for members whose email changed (team lists must follow).
    """
    members, report = run.members, run.report
    by_ext = {m.external_id: i for i, m in enumerate(members) if m.external_id is not None}
    by_email = {email_key(m.email): i for i, m in enumerate(members)}
    member_by_ext: dict[str, int] = {}
    seen: set[int] = set()
    renamed_emails: dict[str, str] = {}
    for row in rows:
        if row.external_id in member_by_ext:
            report.issues.append(ReportItem("user", DUPLICATE_USER, row.external_id, row.email))
            continue
        if not is_email_address(row.email):
            report.issues.append(ReportItem("user", INVALID_EMAIL, row.external_id, f"email {row.email!r}"))
            continue
        key = email_key(row.email)
        idx = by_ext.get(row.external_id)
        if idx is None:
            idx = by_email.get(key)
            if idx is not None and members[idx].external_id is not None:
                report.issues.append(ReportItem("user", EMAIL_TAKEN, row.email,
                                                f"{row.external_id}: the email belongs to {members[idx].external_id}"))
                continue
            if idx is None:
                idx = len(members)
                members.append(_new_member(row, invite, run))
                by_email[key] = idx
                by_ext[row.external_id] = idx
                report.updates.append(ReportItem("user", USER_CREATED, row.email, row.external_id))
                report.risk_users += 1
                member_by_ext[row.external_id] = idx
                seen.add(idx)
                continue
            members[idx].external_id = row.external_id  # first sync: matched by email, id attached
            by_ext[row.external_id] = idx
            changed = True
        else:
            changed = _update_email(run, idx, row, by_email, renamed_emails)
        member_by_ext[row.external_id] = idx
        seen.add(idx)
        m = members[idx]
        changed |= _update_profile(m, row)
        changed |= _update_properties(run, m, row)
        if m.status == "deactivated" and m.role not in PROTECTED_ROLES:
            m.status = "active"
            report.updates.append(ReportItem("user", USER_REACTIVATED, m.email, row.external_id))
        if changed:
            report.updates.append(ReportItem("user", USER_UPDATED, m.email, row.external_id))
    for i, m in enumerate(members):
        if i not in seen and m.role not in PROTECTED_ROLES and m.status != "deactivated":
            m.status = "deactivated"
            report.updates.append(ReportItem("user", USER_DEACTIVATED, m.email, m.external_id or ""))
            report.risk_users += 1
    return member_by_ext, seen, renamed_emails


def _new_member(row: PayloadMember, invite: bool, run: _Run) -> SnapMember:
    m = SnapMember(email=row.email, external_id=row.external_id, first_name=row.first_name,
                   last_name=row.last_name, job_title=row.job_title or None, language=row.language or None,
                   status="invited" if invite else "created", role="member")
    _update_properties(run, m, row, count_risk=False)
    return m


def _update_email(run: _Run, idx: int, row: PayloadMember, by_email: dict[str, int],
                  renamed_emails: dict[str, str]) -> bool:
    m = run.members[idx]
    old_key, new_key = email_key(m.email), email_key(row.email)
    if old_key == new_key:  # emails are case-insensitive: a change of case is not a change
        return False
    holder = by_email.get(new_key)
    if holder is not None and holder != idx:
        run.report.issues.append(ReportItem("user", EMAIL_CHANGE_SKIPPED, row.email,
                                            f"{row.external_id}: keeps {m.email}"))
        return False
    del by_email[old_key]
    by_email[new_key] = idx
    renamed_emails[old_key] = row.email
    m.email = row.email
    return True


def _update_profile(m: SnapMember, row: PayloadMember) -> bool:
    changed = False
    if m.first_name != row.first_name:
        m.first_name, changed = row.first_name, True
    if m.last_name != row.last_name:
        m.last_name, changed = row.last_name, True
    if row.job_title is not None and m.job_title != (row.job_title or None):
        m.job_title, changed = row.job_title or None, True
    if row.language is not None and m.language != (row.language or None):
        m.language, changed = row.language or None, True
    return changed


def _update_properties(run: _Run, m: SnapMember, row: PayloadMember, *, count_risk: bool = True) -> bool:
    """Assign property values as the account does; returns whether any value changed."""
    defs, report = run.snapshot.properties, run.report
    changed = False
    for name, value in row.properties.items():
        definition = defs.get(name)
        if definition is None:
            report.issues.append(ReportItem("user", ATTRIBUTE_NOT_FOUND, name, f"member {row.external_id}"))
            continue
        if value == "":
            if name in m.properties:
                del m.properties[name]
                changed = True
                report.risk_users += count_risk
            continue
        if not _valid_value(definition, value):
            report.issues.append(ReportItem("user", INVALID_VALUE, name,
                                            f"member {row.external_id}: {definition.type} value {_short(value)}"))
            continue
        if definition.type == "choices" and value not in (definition.options or ()):
            report.issues.append(ReportItem("user", OPTION_NOT_FOUND, name,
                                            f"member {row.external_id}: value {value!r}"))
            continue
        if m.properties.get(name) != value:
            m.properties[name] = value
            changed = True
            report.risk_users += count_risk
    return changed


def _valid_value(definition: PropertyDef, value: str) -> bool:
    """A numeric value is a finite number, a date a real YYYY-MM-DD date; text and choices take any
    string here (options are checked by the caller, with the account's own wording)."""
    if definition.type == "numeric":
        return bool(_NUMBER_RE.match(value.strip())) and math.isfinite(float(value))
    if definition.type == "date":
        if not _DATE_RE.match(value):
            return False
        try:
            _dt.date.fromisoformat(value)
        except ValueError:
            return False
    return True


def _short(value: str, limit: int = 60) -> str:
    """A value as shown in an issue: quoted, and cut when long (a report must stay readable)."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value)} characters)"


# --------------------------------------------------------------------------- teams


def _sync_teams(run: _Run, payload: Payload, member_by_ext: dict[str, int], seen: set[int],
                renamed_emails: dict[str, str], new_team_id: Callable[[PayloadTeam], str]) -> None:
    teams, report = run.teams, run.report
    by_ext: dict[str, int] = {}
    rule_based_ext: set[str] = set()
    by_name: dict[str, list[int]] = {}
    for i, t in enumerate(teams):
        if t.rule_based:
            if t.external_id is not None:
                rule_based_ext.add(t.external_id)
        elif t.external_id is not None:
            by_ext[t.external_id] = i
        else:
            by_name.setdefault(t.name, []).append(i)
    synced: dict[str, int] = {}  # payload external id -> team index
    created: set[int] = set()
    for pt in payload.teams:
        if pt.external_id in synced:
            report.issues.append(ReportItem("team", DUPLICATE_GROUP, pt.external_id, pt.name))
            continue
        if not pt.name.strip():
            report.issues.append(ReportItem("team", INVALID_GROUP_NAME, pt.external_id, f"name {pt.name!r}"))
            continue
        if pt.external_id in rule_based_ext:
            report.issues.append(ReportItem("team", RULE_BASED_GROUP, pt.external_id, pt.name))
            continue
        idx = by_ext.get(pt.external_id)
        if idx is not None:
            t = teams[idx]
            if t.name != pt.name:
                report.updates.append(ReportItem("team", TEAM_RENAMED, pt.external_id, f"{t.name} -> {pt.name}"))
                t.name = pt.name
        else:
            candidates = by_name.get(pt.name)
            while candidates and teams[candidates[0]].external_id is not None:
                candidates.pop(0)  # already adopted by an earlier payload team of the same name
            if candidates:
                idx = candidates.pop(0)
                teams[idx].external_id = pt.external_id
                report.updates.append(ReportItem("team", TEAM_ADOPTED, pt.external_id, pt.name))
            else:
                idx = len(teams)
                teams.append(SnapTeam(officevibe_id=new_team_id(pt), name=pt.name, external_id=pt.external_id))
                created.add(idx)
                report.updates.append(ReportItem("team", TEAM_CREATED, pt.external_id, pt.name))
                report.risk_teams += 1
        synced[pt.external_id] = idx
    _apply_mappings(run, payload, synced, created, member_by_ext, seen, renamed_emails)
    _remove_absent_teams(run, set(synced.values()))


def _apply_mappings(run: _Run, payload: Payload, synced: dict[str, int], created: set[int],
                    member_by_ext: dict[str, int], seen: set[int], renamed_emails: dict[str, str]) -> None:
    """Replace managers, members and parent of every synced team from the mapping rows."""
    teams, members, report = run.teams, run.members, run.report
    new_people: dict[int, tuple[list[str], list[str], set[str], set[str]]] = {
        i: ([], [], set(), set()) for i in synced.values()}
    parent_of: dict[int, int] = {}
    for mp in payload.mappings:
        tidx = synced.get(mp.team)
        if tidx is None:
            report.issues.append(ReportItem("mapping", GROUP_NOT_FOUND, mp.team, mp.member or mp.subteam or ""))
            continue
        if mp.member is not None and (mp.is_member or mp.is_manager):
            midx = member_by_ext.get(mp.member)
            if midx is None:
                report.issues.append(ReportItem("mapping", USER_NOT_FOUND, mp.member, mp.team))
            else:
                email = members[midx].email
                mgrs, mbrs, mgr_keys, mbr_keys = new_people[tidx]
                key = email_key(email)
                if mp.is_manager and key not in mgr_keys:
                    mgr_keys.add(key)
                    mgrs.append(email)
                if mp.is_member and key not in mbr_keys:
                    mbr_keys.add(key)
                    mbrs.append(email)
        if mp.subteam is not None:
            sidx = synced.get(mp.subteam)
            if sidx is None:
                report.issues.append(ReportItem("mapping", SUBGROUP_NOT_FOUND, mp.subteam, mp.team))
            elif sidx in parent_of:
                if parent_of[sidx] != tidx:
                    report.issues.append(ReportItem("mapping", SUBGROUP_TWO_PARENTS, mp.subteam, mp.team))
            elif sidx == tidx:
                report.issues.append(ReportItem("mapping", SUBGROUP_CYCLE, mp.subteam, mp.team))
            else:
                parent_of[sidx] = tidx
    _break_cycles(run, parent_of)
    old_parent = {i: teams[i].parent for i in synced.values()}
    admins_not_seen = {email_key(m.email): m.email for i, m in enumerate(members)
                       if m.role in PROTECTED_ROLES and i not in seen}
    for tidx, (mgrs, mbrs, mgr_keys, mbr_keys) in new_people.items():
        t = teams[tidx]
        if tidx not in created:
            _keep_unsynced_admins(run, t, admins_not_seen, mgrs, mbrs, mgr_keys, mbr_keys)
            before = {(email_key(e), "manager") for e in t.managers} | {(email_key(e), "member") for e in t.members}
            after = {(k, "manager") for k in mgr_keys} | {(k, "member") for k in mbr_keys}
            report.risk_teams += len(before ^ after)
        else:
            report.risk_teams += len(mgr_keys) + len(mbr_keys)
        t.managers, t.members = mgrs, mbrs
        pidx = parent_of.get(tidx)
        t.parent = teams[pidx].officevibe_id if pidx is not None else None
        if tidx not in created and t.parent != old_parent[tidx]:
            report.updates.append(ReportItem("team", TEAM_MOVED, t.external_id or "", t.name))
    if renamed_emails:  # teams the sync does not rewrite (rule-based) follow members' new emails
        for i, t in enumerate(teams):
            if i not in new_people:
                t.managers = [renamed_emails.get(email_key(e), e) for e in t.managers]
                t.members = [renamed_emails.get(email_key(e), e) for e in t.members]


def _keep_unsynced_admins(run: _Run, team: SnapTeam, admins_not_seen: dict[str, str], mgrs: list[str],
                          mbrs: list[str], mgr_keys: set[str], mbr_keys: set[str]) -> None:
    """Admins/executives absent from the payload keep their memberships (the sync never touches them)."""
    for emails, out, keys in ((team.managers, mgrs, mgr_keys), (team.members, mbrs, mbr_keys)):
        for e in emails:
            key = email_key(e)
            if key in admins_not_seen and key not in keys:
                keys.add(key)
                out.append(admins_not_seen[key])


def _break_cycles(run: _Run, parent_of: dict[int, int]) -> None:
    """Drop the sub-team row that closes each cycle (linear: each team is walked once)."""
    state: dict[int, int] = {}  # 1 = on the current path, 2 = done
    for start in list(parent_of):
        path: list[int] = []
        node: int | None = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            nxt = parent_of.get(node)
            if nxt is not None and state.get(nxt) == 1:
                t = run.teams[node]
                run.report.issues.append(ReportItem("mapping", SUBGROUP_CYCLE, t.external_id or t.name,
                                                    run.teams[nxt].external_id or ""))
                del parent_of[node]
                nxt = None
            node = nxt
        for n in path:
            state[n] = 2


def _remove_absent_teams(run: _Run, kept: set[int]) -> None:
    teams, report = run.teams, run.report
    removed_ids: set[str] = set()
    survivors: list[SnapTeam] = []
    for i, t in enumerate(teams):
        if i in kept or t.rule_based:
            survivors.append(t)
        else:
            removed_ids.add(t.officevibe_id)
            report.updates.append(ReportItem("team", TEAM_REMOVED, t.external_id or "", t.name))
            report.risk_teams += 1
    if removed_ids:
        for t in survivors:
            if t.parent in removed_ids:
                t.parent = None
    run.teams[:] = survivors
