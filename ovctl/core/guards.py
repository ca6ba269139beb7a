"""Safety guards: plans that lose data are refused unless ``--force``. Pure, computed on the plan.

Each guard that fires says which guard, the actual value against its limit, and how to proceed.
Ratios are of the current population (the snapshot before the sync) with an absolute ``floor``,
so a 5-person org is not blocked by one leaver: the limit is ``max(floor, ratio x population)``
and the guard fires only *above* it.

The update guard (``update_ratio``, octoDNS's ``MAX_SAFE_UPDATE_PCENT`` / ``MIN_EXISTING_RECORDS``)
is a ratio of the existing active members (role member) that one plan updates: it fires when more
than ``max_update_ratio`` of them would be updated, and only in an account of at least
``update_min_members`` of them (a 4-person account renaming 2 people is not a mass update). Its
message counts email changes apart (an email is a member's identity for people and sign-in) and
names a few of them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from ovctl.core.changes import Change, MemberDeactivate, MemberUpdate, TeamCreate, TeamRemove
from ovctl.core.model import GuardResult, Safety, Snapshot, email_key
from ovctl.core.shown import shown

REKEYED_TEAM = "rekeyed_team"
DEACTIVATION_RATIO = "deactivation_ratio"
TEAM_REMOVAL_RATIO = "team_removal_ratio"
PROTECTED_MEMBER = "protected_member"
UPDATE_RATIO = "update_ratio"

EMAIL_CHANGES_NAMED = 10  # email changes named in the update guard's message; the rest counted

_FORCE = "re-run with --force to accept it"


def _ratio_guard(guard: str, subjects: list[str], population: int, ratio: float, floor: int, *,
                 what: str, of_what: str, why: str, setting: str) -> list[GuardResult]:
    """A guard on the share of a population that one plan removes (one subject per removal): fires
    above max(floor, ratio x population)."""
    limit = max(floor, _share(ratio, population))
    if len(subjects) <= limit:
        return []
    return [GuardResult(
        guard,
        f"{len(subjects)} {what}, above the limit of {limit} (the larger of floor {floor} and {ratio:.0%} of "
        f"{population} {of_what}): {why}, or raise settings.safety.{setting}, or {_FORCE}",
        actual=len(subjects), limit=limit, subjects=subjects)]


def _share(ratio: float, population: int) -> int:
    """``floor(ratio x population)``, robust to binary fractions (0.29 x 100 is 28.999…96)."""
    return math.floor(ratio * population + 1e-9)


def _update_guard(changes: Sequence[Change], snapshot: Snapshot, safety: Safety) -> list[GuardResult]:
    """Updates of existing active members (role member): fires above ``max_update_ratio`` of them,
    in an account of at least ``update_min_members``; email changes counted and named apart."""
    ids: set[str] = set()
    emails: set[str] = set()
    for m in snapshot.members:
        if m.status != "deactivated" and m.role == "member":
            emails.add(email_key(m.email))
            if m.external_id:
                ids.add(m.external_id)
    population = len(emails)
    if population < safety.update_min_members:
        return []
    limit = _share(safety.max_update_ratio, population)
    updated: list[MemberUpdate] = []
    email_changes: list[tuple[MemberUpdate, str, str]] = []
    for c in changes:
        if not isinstance(c, MemberUpdate):
            continue
        if not c.properties and all(f.field == "external_id" and f.before is None for f in c.fields):
            continue  # the first sync attaching an id (docs/adopting.md) updates nothing people see
        old = next((f for f in c.fields if f.field == "email"), None)
        before_email = old.before if old is not None and old.before else c.email
        if (c.id is not None and c.id in ids) or email_key(before_email) in emails:
            updated.append(c)
            if old is not None and email_key(old.before or "") != email_key(old.after or ""):
                email_changes.append((c, old.before or "", old.after or ""))
    if len(updated) <= limit:
        return []
    identity = ""
    if email_changes:
        named = ", ".join(f"{shown(c.id or c.name)} {shown(before)} -> {shown(after)}"
                          for c, before, after in email_changes[:EMAIL_CHANGES_NAMED])
        more = len(email_changes) - EMAIL_CHANGES_NAMED
        identity = (f" (of which {len(email_changes)} change email: {named}"
                    + (f" and {more} more" if more > 0 else "") + ")")
    return [GuardResult(
        UPDATE_RATIO,
        f"{len(updated)} members would be updated{identity}, above the limit of {limit} "
        f"({safety.max_update_ratio:.0%} of {population} active members; the guard applies from "
        f"{safety.update_min_members}): check the org's source (a changed mapping or property updates "
        f"everyone), or raise settings.safety.max_update_ratio, or {_FORCE}",
        actual=len(updated), limit=limit, subjects=[str(c.id or c.email) for c in updated])]


def evaluate_guards(changes: Sequence[Change], snapshot: Snapshot, safety: Safety,
                    protected: list[str], ambiguous_names: frozenset[str] = frozenset()) -> list[GuardResult]:
    """Every guard that fires on these changes (an empty list: the plan is safe). ``ambiguous_names``:
    names of id-less teams the engine could not tell apart (their re-key advice differs)."""
    deactivated = [c for c in changes if isinstance(c, MemberDeactivate)]
    removed = [c for c in changes if isinstance(c, TeamRemove)]
    created = [c for c in changes if isinstance(c, TeamCreate)]
    out = _rekeyed_teams(removed, created, ambiguous_names)
    active = sum(1 for m in snapshot.members if m.status != "deactivated" and m.role == "member")
    out += _ratio_guard(DEACTIVATION_RATIO, [str(c.id or c.email) for c in deactivated], active,
                        safety.max_deactivation_ratio, safety.floor,
                        what="members would be deactivated", of_what="active members",
                        why="check that the org lists everyone", setting="max_deactivation_ratio")
    teams = sum(1 for t in snapshot.teams if not t.rule_based)
    out += _ratio_guard(TEAM_REMOVAL_RATIO, [str(c.id or c.name) for c in removed], teams,
                        safety.max_team_removal_ratio, safety.floor,
                        what="teams would be removed", of_what="teams",
                        why="removed teams lose their history; check the org", setting="max_team_removal_ratio")
    out += _update_guard(changes, snapshot, safety)
    protected_ids = set(protected)
    hits = [c for c in deactivated if c.id in protected_ids]
    if hits:
        names = ", ".join(f"{c.id} ({c.name})" for c in hits)
        out.append(GuardResult(
            PROTECTED_MEMBER,
            f"{len(hits)} protected member(s) would be deactivated: {names}; put them back in the org, or {_FORCE} "
            "(the protection is also kept in the state file, so removing it from the YAML does not lift it)",
            actual=len(hits), limit=0, subjects=[str(c.id) for c in hits]))
    return out


def _rekeyed_teams(removed: list[TeamRemove], created: list[TeamCreate],
                   ambiguous_names: frozenset[str] = frozenset()) -> list[GuardResult]:
    """A removed team re-created under another id: same name, or more than half of its people.
    For id-less teams of a name the engine could not tell apart, ``previous_name`` would not help
    (it matches by name too): the advice is to rename them apart in the app."""
    if not removed or not created:
        return []
    by_name: dict[str, int] = {}
    teams_of_person: dict[str, list[int]] = {}
    for i, c in enumerate(created):
        by_name.setdefault(str(c.name).casefold(), i)
        for person in {*c.managers, *c.members}:
            teams_of_person.setdefault(person, []).append(i)
    out: list[GuardResult] = []
    for r in removed:
        people = {*r.managers, *r.members}
        match = by_name.get(str(r.name).casefold())
        shared = 0
        if match is None and people:
            overlap = Counter(i for p in people for i in teams_of_person.get(p, ()))
            if overlap:
                best, shared = min(overlap.items(), key=lambda kv: (-kv[1], kv[0]))
                if shared * 2 > len(people):
                    match = best
        if match is None:
            continue
        new = created[match]
        why = (f"with {shared} of its {len(people)} people" if shared else "with the same name")
        old_id = r.id
        if old_id is not None:
            fix = f"keep its id: set id: {old_id} on team {new.name!r}"
        elif r.name in ambiguous_names:
            fix = (f"teams named {r.name!r} cannot be told apart (see the team_adoption_ambiguous warning), so "
                   "previous_name would not help: give the account's teams different names in the app, then plan again")
        else:
            fix = f"keep the team: set previous_name: {r.name} on team {new.id}"
        out.append(GuardResult(
            REKEYED_TEAM,
            f"team {r.name!r} ({old_id or 'no external id'}) would be removed while {new.name!r} "
            f"({new.id}) is created {why}: the team's history would be lost; {fix}, or {_FORCE}",
            actual=shared or None, limit=None, subjects=[str(old_id or r.name), str(new.id)]))
    return out
