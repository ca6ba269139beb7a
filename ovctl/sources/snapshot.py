"""Snapshot -> Org: the account (pulled live, or a snapshot file) as an org that plans to nothing.

Pure (no I/O). The rules, each chosen so that ``ovctl plan`` of the result against the same
snapshot shows no change (or, where the account has no ids, only the id attachments of the first
sync):

- members: every member not ``deactivated``; a deactivated member is left out of the org, and a
  member absent from a sync stays deactivated. An admin or executive without an external id is left
  out too: the sync never touches them and they keep their teams. A member without an external id
  gets ``M-`` + a short hash of their email (first sync: "external id attached").
- teams: rule-based teams are left out (the sync never manages them). A team without an external id
  gets ``T-`` + a short hash of its Officevibe id (first sync: "adopted" by name). Parents,
  managers and members follow the account; deactivated people in a team's lists are dropped (a sync
  removes them; a warning says so).
- properties: the account's definitions; values the org format cannot carry (an option that is not
  in the list, a malformed date or number) are dropped with a warning. Job titles and languages the
  org format cannot carry are left out: leaving them out sends nothing, so nothing changes.
- settings: ``protected`` from the state file (members of the org only); safety at its defaults.
- hidden ids: a member or team the reading marks as hiding its external id (a real account read
  through the export, no state file value, no ``--ids``) may hold one in the account; an id made up
  for it would not match, so the import refuses (``SourceError`` naming how to give the ids) unless
  ``derive_hidden`` (``--new-ids``: the user vouches no sync ever gave ids); then the ids are derived
  with an "UNVERIFIED" comment and a warning.
"""

from __future__ import annotations

import hashlib
import re

from ovctl.core.engine import PROTECTED_ROLES
from ovctl.core.errors import Problem, SourceError
from ovctl.core.model import Member, Org, PropertyDef, Settings, Snapshot, Team, email_key
from ovctl.core.properties import property_type
from ovctl.sources import Imported
from ovctl.sources.ids import hidden_member, hidden_team

_LANGUAGE = re.compile(r"^[a-z]{2}([-_][A-Za-z]{2})?$")


def derive_id(prefix: str, key: str, taken: set[str]) -> str:
    """``prefix`` + 8 hex digits of sha256(key), longer on the (unlikely) collision."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest().upper()
    for n in range(8, len(digest) + 1, 2):
        candidate = f"{prefix}{digest[:n]}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate
    raise SourceError(f"cannot derive an id for {key!r}")  # pragma: no cover - 2^-256


def valid_value(definition: PropertyDef, value: str) -> bool:
    """Whether the account would keep ``value`` (the engine's own check: ``core/properties``)."""
    kind = property_type(definition.type)
    if kind is None or not kind.payload_ok(value):
        return False
    return not kind.has_options or value in (definition.options or ())


HIDDEN_WHY = ("UNVERIFIED: the export hides external ids; if the account holds one, "
              "put it here before the first apply")


def _refuse_hidden(source: str, members: list[str], teams: list[str], live: bool) -> SourceError:
    """The error of an import that would have to make up ids the account may already hold."""
    shown = ", ".join([*members[:3], *(repr(t) for t in teams[:3])])
    return SourceError(
        f"{source}: the account is read through its export API, which does not show external ids: "
        f"{len(members)} member(s) and {len(teams)} team(s) show none ({shown}{', ...' if len(members) > 3 or len(teams) > 3 else ''}), "
        "but the account may hold ids for them (given by an earlier sync or script). An id made up by ovctl "
        "would not match: the sync would skip those members (email already taken by another id) and "
        "deactivate the real ones, and create those teams anew (history lost). Nothing was written. Give the "
        f"ids: {'--state-file FILE (ovctl' + chr(39) + 's state file), or ' if live else ''}--ids PATH (the CSV "
        "directory your provisioning script sent, or ovctl's state file or another snapshot that has them); only if no sync or script has ever given this account ids, "
        "--new-ids (derived ids, marked UNVERIFIED). See docs/adopting.md.")


def org_from_snapshot(snap: Snapshot, *, source: str, organization: str = "",
                      derive_hidden: bool = False, live: bool = True) -> Imported:
    """The org that the account in ``snap`` already is (see the module docstring)."""
    hidden_m = [m.email for m in snap.members if m.external_id is None and m.status != "deactivated"
                and m.role not in PROTECTED_ROLES and hidden_member(snap, m.email)]
    hidden_t = [t.name for t in snap.teams if t.external_id is None and not t.rule_based
                and hidden_team(snap, t.officevibe_id)]
    if (hidden_m or hidden_t) and not derive_hidden:
        raise _refuse_hidden(source, hidden_m, hidden_t, live)
    warnings: list[Problem] = []
    if hidden_m or hidden_t:
        warnings.append(Problem(f"--new-ids: {len(hidden_m)} member id(s) and {len(hidden_t)} team id(s) derived for "
                                "people and teams whose id the export hides, marked UNVERIFIED: if the account "
                                "holds ids for them, the first sync skips those members and deactivates the real "
                                "ones, and re-creates those teams; the plan counts them as a risk", source,
                                severity="warning", code="import_unverified_ids"))
    derived: dict[tuple[str, str], str] = {}
    errors: list[str] = []
    taken_members = {m.external_id for m in snap.members if m.external_id is not None}
    id_of_email: dict[str, str] = {}
    members: list[Member] = []
    for i, sm in enumerate(snap.members):
        if sm.status == "deactivated":
            continue
        if sm.external_id is None and sm.role in PROTECTED_ROLES:
            continue
        where = f"members[{i}] ({sm.email})"
        if not sm.first_name.strip() or not sm.last_name.strip():
            errors.append(f"{source}: {where}: the account has no {'first' if not sm.first_name.strip() else 'last'} "
                          "name for this member, and an org member needs both; set it in the account (or in the "
                          "source) and import again")
            continue
        mid = sm.external_id
        if mid is None:
            mid = derive_id("M-", email_key(sm.email), taken_members)
            derived[("member", mid)] = (HIDDEN_WHY if hidden_member(snap, sm.email)
                                        else "the account has no external id for this member")
        language = sm.language
        if language is not None and not _LANGUAGE.match(language):
            warnings.append(Problem(f"{where}: language {language!r} is not a code the org format accepts; left out "
                                    "(nothing is sent for it, the account keeps it)", source, severity="warning",
                                    code="import_language"))
            language = None
        props: dict[str, str] = {}
        for name, value in sm.properties.items():
            definition = snap.properties.get(name)
            if definition is None:
                continue  # a value of an undeclared property is never sent: it stays as it is
            if not valid_value(definition, value):
                warnings.append(Problem(f"{where}: property {name!r}: the account holds {value!r}, which is not a "
                                        f"valid {definition.type} value; left out, so the first sync clears it",
                                        source, severity="warning", code="import_property"))
                continue
            props[name] = value
        id_of_email[email_key(sm.email)] = mid
        members.append(Member(id=mid, email=sm.email, first_name=sm.first_name, last_name=sm.last_name,
                              job_title=sm.job_title, language=language, properties=props))
    if errors:
        raise SourceError("\n".join(errors))
    # teams
    kept = [t for t in snap.teams if not t.rule_based]
    taken_teams = {t.external_id for t in snap.teams if t.external_id is not None}
    team_id: dict[str, str] = {}
    idless_names: dict[str, int] = {}
    for t in kept:
        tid = t.external_id
        if tid is None:
            tid = derive_id("T-", t.officevibe_id, taken_teams)
            derived[("team", tid)] = (HIDDEN_WHY if hidden_team(snap, t.officevibe_id)
                                      else f"Officevibe team {t.officevibe_id} has no external id")
            idless_names[t.name] = idless_names.get(t.name, 0) + 1
        team_id[t.officevibe_id] = tid
    for name, n in idless_names.items():
        if n > 1:
            warnings.append(Problem(f"{n} teams named {name!r} have no external id: the first sync adopts them by "
                                    "name, in the account's order; review its plan", source, severity="warning",
                                    code="import_same_name"))
    deactivated = {email_key(m.email) for m in snap.members if m.status == "deactivated"}
    by_parent: dict[str | None, list[Team]] = {}
    for t in kept:
        parent = None
        if t.parent is not None:
            parent = team_id.get(t.parent)
            if parent is None:
                warnings.append(Problem(f"team {t.name!r}: its parent is a rule-based team, which the sync does not "
                                        "manage; imported as a top-level team", source, severity="warning",
                                        code="import_parent"))
        lists = []
        for role in (t.managers, t.members):
            ids = []
            for e in role:
                key = email_key(e)
                mid = id_of_email.get(key)
                if mid is not None:
                    ids.append(mid)
                elif key in deactivated:
                    warnings.append(Problem(f"team {t.name!r}: {e} is deactivated; left out of the team (a sync "
                                            "removes deactivated people from the teams it writes)", source,
                                            severity="warning", code="import_deactivated_in_team"))
            lists.append(ids)
        team = Team(id=team_id[t.officevibe_id], name=t.name, parent=parent, managers=lists[0], members=lists[1])
        by_parent.setdefault(parent, []).append(team)
    ordered: list[Team] = []

    def walk(parent: str | None) -> None:
        for team in by_parent.get(parent, []):
            ordered.append(team)
            walk(team.id)

    walk(None)
    member_ids = {m.id for m in members}
    settings = Settings(protected=[p for p in snap.protected if p in member_ids])
    org = Org(organization=organization, settings=settings, properties=dict(snap.properties), members=members,
              teams=ordered)
    return Imported(org=org, derived=derived, warnings=warnings)
