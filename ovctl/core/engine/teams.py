"""Team rules of a sync: matching (by id, adopt by name, create), mappings, the team tree, removal.

Split from ``engine`` (which states the rules in its docstring); runs after ``sync_members`` and
resolves mapping rows against the members that sync actually synced.
"""

from __future__ import annotations

from collections.abc import Callable

from ovctl.core.shown import shown_repr
from ovctl.core.engine.adopt import adoptions
from ovctl.core.engine.members import PROTECTED_ROLES
from ovctl.core.engine.messages import DUPLICATE_GROUP, GROUP_NOT_FOUND, INVALID_GROUP_NAME, RULE_BASED_GROUP, SUBGROUP_CYCLE, SUBGROUP_NOT_FOUND, SUBGROUP_TWO_PARENTS, TEAM_ADOPTED, TEAM_CREATED, TEAM_MOVED, TEAM_REMOVED, TEAM_RENAMED, USER_NOT_FOUND
from ovctl.core.engine.run import KeptAdminRole, SyncRun
from ovctl.core.model import Payload, PayloadTeam, ReportItem, SnapTeam, email_key


def sync_teams(run: SyncRun, payload: Payload, member_by_ext: dict[str, int], seen: set[int],
               renamed_emails: dict[str, str], new_team_id: Callable[[PayloadTeam], str]) -> None:
    """Match, rename, adopt and create teams, apply the mappings, then remove absent teams."""
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
    adopt = adoptions(teams, payload, by_ext, rule_based_ext, by_name, run.notes.ambiguous_teams)
    synced: dict[str, int] = {}  # payload external id -> team index
    created: set[int] = set()
    for pt in payload.teams:
        if pt.external_id in synced:
            report.issues.append(ReportItem("team", DUPLICATE_GROUP, pt.external_id, pt.name))
            continue
        if not pt.name.strip():
            report.issues.append(ReportItem("team", INVALID_GROUP_NAME, pt.external_id, f"name {shown_repr(pt.name)}"))
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
            idx = adopt.get(pt.external_id)
            if idx is not None:
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


def _apply_mappings(run: SyncRun, payload: Payload, synced: dict[str, int], created: set[int],
                    member_by_ext: dict[str, int], seen: set[int], renamed_emails: dict[str, str]) -> None:
    """Replace managers, members and parent of every synced team from the mapping rows."""
    teams, members, report = run.teams, run.members, run.report
    new_people: dict[int, tuple[list[str], list[str], set[str], set[str]]] = {
        i: ([], [], set(), set()) for i in synced.values()}
    parent_of: dict[int, int] = {}
    keys = [email_key(m.email) for m in members]  # once per member, not once per mapping row
    # email_key of the members' emails as they stand, looked up by the exact text: team lists hold
    # the same strings, so their keys cost a lookup (``or email_key``: any other text).
    known_key = dict(zip([m.email for m in members], keys)).get
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
                email, key = members[midx].email, keys[midx]
                mgrs, mbrs, mgr_keys, mbr_keys = new_people[tidx]
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
    admins_not_seen = {email_key(m.email): (m.email, m.role) for i, m in enumerate(members)
                       if m.role in PROTECTED_ROLES and i not in seen}
    for tidx, (mgrs, mbrs, mgr_keys, mbr_keys) in new_people.items():
        t = teams[tidx]
        if tidx not in created:
            if admins_not_seen:
                _keep_unsynced_admins(run, t, admins_not_seen, mgrs, mbrs, mgr_keys, mbr_keys, known_key)
            # by the people's emails after this sync: an email change is not a team assignment change.
            # Each (person, role) assignment added or removed counts; roles apart, as key sets.
            if renamed_emails:
                was_mgr = {_now(e, renamed_emails) for e in t.managers}
                was_mbr = {_now(e, renamed_emails) for e in t.members}
            else:  # the same keys, without a call per person
                was_mgr = {known_key(e) or email_key(e) for e in t.managers}
                was_mbr = {known_key(e) or email_key(e) for e in t.members}
            report.risk_teams += len(was_mgr ^ mgr_keys) + len(was_mbr ^ mbr_keys)
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


def _now(email: str, renamed_emails: dict[str, str]) -> str:
    """The email key of a person after this sync's email changes."""
    key = email_key(email)
    new = renamed_emails.get(key)
    return email_key(new) if new is not None else key


def _keep_unsynced_admins(run: SyncRun, team: SnapTeam, admins_not_seen: dict[str, tuple[str, str]],
                          mgrs: list[str], mbrs: list[str], mgr_keys: set[str], mbr_keys: set[str],
                          known_key: Callable[[str], str | None]) -> None:
    """Admins/executives absent from the payload keep their memberships (the sync never touches
    them); each role kept is noted, so the plan can name it. ``known_key``: email_key by exact
    email text where already computed, else None."""
    for as_role, emails, out, keys in (("manager", team.managers, mgrs, mgr_keys),
                                       ("member", team.members, mbrs, mbr_keys)):
        for e in emails:
            key = known_key(e) or email_key(e)
            if key in admins_not_seen and key not in keys:
                keys.add(key)
                email, role = admins_not_seen[key]
                out.append(email)
                run.notes.kept_admin_roles.append(KeptAdminRole(email, role, team.external_id or "", team.name, as_role))


def _break_cycles(run: SyncRun, parent_of: dict[int, int]) -> None:
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


def _remove_absent_teams(run: SyncRun, kept: set[int]) -> None:
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
