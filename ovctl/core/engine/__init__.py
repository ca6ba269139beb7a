"""The account's sync rules as one pure function, shared by ``plan`` and the sandbox.

``simulate(snapshot, payload)`` returns the snapshot the account would hold after a provisioning
sync and the report it would write. It never mutates its inputs, does no I/O and is deterministic,
so a plan computed from it is exactly what the sandbox then does.

Rules (docs/sync-semantics.md), with the details the documentation leaves open decided here:

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
  (adopt: the id is attached). When a name is not unique (several id-less teams, or several payload
  teams needing one), the parent must correspond too (``engine.adopt``); what stays ambiguous is
  adopted by none (noted in ``SyncNotes``). A changed name on a team matched by id is a rename. Unmatched
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

from collections.abc import Callable

from ovctl.core.engine.members import PROTECTED_ROLES, sync_members
from ovctl.core.engine.messages import ATTRIBUTE_NOT_FOUND, DUPLICATE_GROUP, DUPLICATE_USER, EMAIL_CHANGE_SKIPPED, EMAIL_TAKEN, GROUP_NOT_FOUND, INVALID_EMAIL, INVALID_GROUP_NAME, INVALID_VALUE, OPTION_NOT_FOUND, RULE_BASED_GROUP, SUBGROUP_CYCLE, SUBGROUP_NOT_FOUND, SUBGROUP_TWO_PARENTS, TEAM_ADOPTED, TEAM_CREATED, TEAM_MOVED, TEAM_REMOVED, TEAM_RENAMED, USER_CREATED, USER_DEACTIVATED, USER_NOT_FOUND, USER_REACTIVATED, USER_UPDATED
from ovctl.core.engine.run import AmbiguousTeam, KeptAdminRole, SyncNotes, SyncRun, WorkingCopies
from ovctl.core.engine.teams import sync_teams
from ovctl.core.errors import PayloadRejected
from ovctl.core.model import Payload, PayloadTeam, Snapshot, SyncReport

# The rules live in engine_members / engine_teams and the wording in engine_messages; these names
# stay importable from ``ovctl.core.engine``, the module callers and tests use.
__all__ = [
    "simulate", "simulate_noted", "SyncNotes", "AmbiguousTeam", "KeptAdminRole", "risk_exceeds", "default_team_id_factory", "PROTECTED_ROLES",
    "ATTRIBUTE_NOT_FOUND", "OPTION_NOT_FOUND", "GROUP_NOT_FOUND", "SUBGROUP_NOT_FOUND", "USER_NOT_FOUND",
    "EMAIL_TAKEN", "EMAIL_CHANGE_SKIPPED", "DUPLICATE_USER", "DUPLICATE_GROUP", "RULE_BASED_GROUP",
    "SUBGROUP_TWO_PARENTS", "SUBGROUP_CYCLE", "INVALID_EMAIL", "INVALID_VALUE", "INVALID_GROUP_NAME",
    "USER_CREATED", "USER_UPDATED", "USER_DEACTIVATED", "USER_REACTIVATED",
    "TEAM_CREATED", "TEAM_RENAMED", "TEAM_ADOPTED", "TEAM_MOVED", "TEAM_REMOVED",
]


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


def simulate(snapshot: Snapshot, payload: Payload, *, invite_new_members: bool | None = None,
             new_team_id: Callable[[PayloadTeam], str] | None = None,
             copies: WorkingCopies | None = None) -> tuple[Snapshot, SyncReport]:
    """Apply one provisioning sync the way the account does; see the module docstring for the rules.

    ``invite_new_members=None`` uses the account's setting (a legacy payload may override it).
    Raises ``PayloadRejected`` when the members, teams or mappings section is empty.
    ``copies``: the working copies of ``snapshot``, made ahead of time (``WorkingCopies``).
    """
    result, report, _ = simulate_noted(snapshot, payload, invite_new_members=invite_new_members,
                                       new_team_id=new_team_id, copies=copies)
    return result, report


def simulate_noted(snapshot: Snapshot, payload: Payload, *, invite_new_members: bool | None = None,
                   new_team_id: Callable[[PayloadTeam], str] | None = None, copies: WorkingCopies | None = None
                   ) -> tuple[Snapshot, SyncReport, SyncNotes]:
    """``simulate``, plus what the sync decided that its report does not say (ambiguous adoptions,
    admin team roles left alone): the plan warns about these; the account never reports them."""
    for section, rows in (("members", payload.members), ("teams", payload.teams), ("mappings", payload.mappings)):
        if not rows:
            raise PayloadRejected(f"the {section} section is empty; the account rejects the whole sync "
                                  "to prevent accidental deletion")
    invite = snapshot.invite_new_members if invite_new_members is None else invite_new_members
    run = SyncRun.start(snapshot, copies)
    member_by_ext, seen, renamed_emails = sync_members(run, payload.members, invite)
    sync_teams(run, payload, member_by_ext, seen, renamed_emails, new_team_id or default_team_id_factory(snapshot))
    result = Snapshot(members=run.members, teams=run.teams,
                      properties=dict(snapshot.properties), invite_new_members=snapshot.invite_new_members,
                      protected=list(snapshot.protected), applied_plans=list(snapshot.applied_plans),
                      format_version=snapshot.format_version)
    return result, run.report, run.notes
