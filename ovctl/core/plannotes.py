"""Warnings about what a plan cannot know or will not change about teams and admins. Pure.

Three things a correct diff still hides (issue 10, point 8; docs/plan.md, "Warnings"):

- ``team_adoption_ambiguous``: id-less account teams of one name that the engine could not pair
  with org teams by parent (``engine.adopt``): none is adopted, and the plan says which and why
  instead of pretending to know.
- ``team_looks_different``: a team keeps its external id while most of its people change — the id
  may have been reused for another team, whose history would then be the old team's. The reverse
  trap (a new id for the same team) is the ``rekeyed_team`` guard.
- ``admin_kept_in_team``: an admin or executive the org leaves out keeps a team role, because the
  sync never touches them; without this the plan would read "the account matches the org".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from ovctl.core.engine import AmbiguousTeam, KeptAdminRole
from ovctl.core.model import Org, Snapshot, Warning_
from ovctl.core.shown import shown, shown_repr

TEAM_ADOPTION_AMBIGUOUS = "team_adoption_ambiguous"
TEAM_LOOKS_DIFFERENT = "team_looks_different"
ADMIN_KEPT_IN_TEAM = "admin_kept_in_team"

# "Looks like a different team": more than half of the people it had are replaced (min of those
# leaving and those joining), in a team of at least this many people before the sync — so a
# 2-person team swapping one person, or a new manager on a team of two, never warns.
DIFFERENT_TEAM_MIN_PEOPLE = 3
DIFFERENT_TEAM_RATIO = 0.5


def _path(names: Sequence[str]) -> str:
    return " / ".join(shown(n) for n in names)


def ambiguous_team_warnings(notes: Sequence[AmbiguousTeam], org: Org) -> list[Warning_]:
    """One warning per ambiguity the engine noted (first sync of a two-sync plan included)."""
    names = {t.id: t.name for t in org.teams}
    out: list[Warning_] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for n in notes:
        if (n.name, n.team_ids) in seen:
            continue
        seen.add((n.name, n.team_ids))
        where = "at the top level" if n.parent is None else f"under {shown_repr(names.get(n.parent, n.parent))}"
        listed = ", ".join(f"{_path(p)} ({shown(ov)})" for ov, p in n.candidates)
        ids = ", ".join(shown(i) for i in n.team_ids)
        if n.reason == "account":
            why = f"{len(n.candidates)} account teams without an external id are named {shown_repr(n.name)} {where}: {listed}"
        elif n.reason == "org":
            why = (f"the org has {len(n.team_ids)} teams named {shown_repr(n.name)} {where} for one account team "
                   f"without an external id: {listed}")
        else:
            why = f"it sits {where}, and the account teams {listed} sit under teams that cannot be told apart"
        out.append(Warning_(TEAM_ADOPTION_AMBIGUOUS,
                            f"team {ids} {shown_repr(n.name)}: ovctl cannot tell which account team it is — {why}; "
                            "it adopts none: the org's team is created and the account's removed with their history. "
                            "Give the account teams different names in the app (or delete the wrong one), then plan again",
                            {"name": n.name, "teams": list(n.team_ids), "parent": n.parent, "reason": n.reason,
                             "candidates": [{"officevibe_id": ov, "path": list(p)} for ov, p in n.candidates]}))
    return out


def different_team_warnings(before: Snapshot, after: Snapshot,
                            person: Callable[[str, str], Hashable]) -> list[Warning_]:
    """Teams whose external id is kept while more than half of their people are replaced.

    ``person(email, side)`` is one key per person across both sides (an email change is the same
    person). People are managers and members together: a change of role is not a replacement.
    """
    b_by_id = {t.officevibe_id: t for t in before.teams}
    out: list[Warning_] = []
    for a in after.teams:
        b = b_by_id.get(a.officevibe_id)
        if b is None or a.rule_based or a.external_id is None or b.external_id != a.external_id:
            continue
        if a.managers == b.managers and a.members == b.members:
            continue
        was = {person(e, "before") for e in (*b.managers, *b.members)}
        now = {person(e, "after") for e in (*a.managers, *a.members)}
        kept, removed, added = len(was & now), len(was - now), len(now - was)
        if len(was) < DIFFERENT_TEAM_MIN_PEOPLE or min(removed, added) <= DIFFERENT_TEAM_RATIO * len(was):
            continue
        out.append(Warning_(TEAM_LOOKS_DIFFERENT,
                            f"team {shown(a.external_id)} {shown_repr(a.name)} keeps its id but looks like a different "
                            f"team: {kept} of its {len(was)} people kept, {removed} removed, {added} added. If the id "
                            "now names another team, give that team a new id (the account keeps this team's history "
                            "under the id); if it is a reorganisation, nothing to do",
                            {"team": a.external_id, "name": a.name, "kept": kept, "removed": removed, "added": added}))
    return out


def kept_admin_warnings(roles: Sequence[KeptAdminRole]) -> list[Warning_]:
    """One warning per admin or executive the org leaves out who keeps team roles after the sync."""
    by_admin: dict[str, list[KeptAdminRole]] = {}
    for r in roles:
        by_admin.setdefault(r.email, []).append(r)
    out: list[Warning_] = []
    for email, held in by_admin.items():
        listed = ", ".join(f"{r.as_role} of {shown_repr(r.team_name)} ({shown(r.team)})" for r in held)
        out.append(Warning_(ADMIN_KEPT_IN_TEAM,
                            f"{shown(email)} is an {held[0].role} the org leaves out and stays {listed}: the sync never "
                            "changes admins and executives it is not given, so the account keeps these roles whatever "
                            "the org says; add them to the org to manage their teams, or change the roles in the app",
                            {"email": email, "role": held[0].role,
                             "teams": [{"team": r.team, "name": r.team_name, "role": r.as_role} for r in held]}))
    return out
