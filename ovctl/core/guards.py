"""Safety guards: plans that lose data are refused unless ``--force``. Pure, computed on the plan.

Each guard that fires says which guard, the actual value against its limit, and how to proceed.
Ratios are of the current population (the snapshot before the sync) with an absolute ``floor``,
so a 5-person org is not blocked by one leaver: the limit is ``max(floor, ratio x population)``
and the guard fires only *above* it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from ovctl.core.changes import Change, MemberDeactivate, TeamCreate, TeamRemove
from ovctl.core.model import GuardResult, Safety, Snapshot

REKEYED_TEAM = "rekeyed_team"
DEACTIVATION_RATIO = "deactivation_ratio"
TEAM_REMOVAL_RATIO = "team_removal_ratio"
PROTECTED_MEMBER = "protected_member"

_FORCE = "re-run with --force to accept it"


def _ratio_guard(guard: str, subjects: list[str], population: int, ratio: float, floor: int, *,
                 what: str, of_what: str, why: str, setting: str) -> list[GuardResult]:
    """A guard on the share of a population that one plan removes (one subject per removal): fires
    above max(floor, ratio x population)."""
    limit = max(floor, math.floor(ratio * population))
    if len(subjects) <= limit:
        return []
    return [GuardResult(
        guard,
        f"{len(subjects)} {what}, above the limit of {limit} (the larger of floor {floor} and {ratio:.0%} of "
        f"{population} {of_what}): {why}, or raise settings.safety.{setting}, or {_FORCE}",
        actual=len(subjects), limit=limit, subjects=subjects)]


def evaluate_guards(changes: Sequence[Change], snapshot: Snapshot, safety: Safety,
                    protected: list[str]) -> list[GuardResult]:
    """Every guard that fires on these changes (an empty list: the plan is safe)."""
    deactivated = [c for c in changes if isinstance(c, MemberDeactivate)]
    removed = [c for c in changes if isinstance(c, TeamRemove)]
    created = [c for c in changes if isinstance(c, TeamCreate)]
    out = _rekeyed_teams(removed, created)
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


def _rekeyed_teams(removed: list[TeamRemove], created: list[TeamCreate]) -> list[GuardResult]:
    """A removed team re-created under another id: same name, or more than half of its people."""
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
        fix = (f"keep its id: set id: {old_id} on team {new.name!r}" if old_id is not None
               else f"keep the team: set previous_name: {r.name} on team {new.id}")
        out.append(GuardResult(
            REKEYED_TEAM,
            f"team {r.name!r} ({old_id or 'no external id'}) would be removed while {new.name!r} "
            f"({new.id}) is created {why}: the team's history would be lost; {fix}, or {_FORCE}",
            actual=shared or None, limit=None, subjects=[str(old_id or r.name), str(new.id)]))
    return out
