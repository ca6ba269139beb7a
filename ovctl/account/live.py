"""The live account as a Snapshot (``ovctl pull``, live ``plan``, ``apply``), given a client.

A sandbox hands over its whole account at ``/sandbox/snapshot``. A real account is read through the
v2 export API (users, groups, each group's people), which does not return external ids, statuses,
properties or the team hierarchy (``docs/api-facts.md``, "What the export does not give"). ovctl therefore carries what
the export cannot give from its own state file, written after each apply:

- external ids, by Officevibe id (teams) and by email (members);
- for a real account only: each team's parent, each member's status, language and property
  values, and members the state records as deactivated that the export no longer lists (with their
  places in the teams the export still lists, e.g. a rule-based team); for a
  person the export shows only in a group's user list (not in /users), also names, job title and
  role;
- the ``protected`` list and the fingerprints of applied plans (state-file-only fields).

So a pull of a real account shows drift in names, emails, managers and memberships, but not in
what the export cannot see.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable

from ovctl.account.settings import DEFAULT_EXPORT_CONCURRENCY
from ovctl.core.model import Payload, PropertyDef, SnapMember, Snapshot, SnapTeam, email_key

if TYPE_CHECKING:
    from ovctl.core.snapshot import MemberForms

# Told how far a long read has got: (what, done, total or None).
Progress = Callable[[str, int, "int | None"], None]

# Group types of the export that mark a rule-based (segment-managed) team. CHOSEN: the real values
# of ``group_type`` are UNKNOWN; rule-based teams are never removed by a sync.
RULE_BASED_GROUP_TYPES = frozenset({"rule", "rulebased", "rule_based", "rule-based", "dynamic", "segment"})


# Fields the export does not show (docs/api-facts.md): until the state file gives a value, the
# Snapshot marks them unknown (``Snapshot.unknown_members`` / ``unknown_teams``) and the plan says
# "set; current value not visible" rather than inventing an update from a placeholder.
# The external id is among them: a member or team the export shows without one may well hold one
# in the account (a sync gave it), and an id ovctl made up for it would not match (the account
# skips such a member, "email already taken", and deactivates the real one; such a team is created
# anew and the real one removed). ``ovctl import live`` refuses to derive ids for them
# (docs/adopting.md), and the plan says an id sent to them cannot be verified.
EXPORT_MEMBER_UNSEEN = frozenset({"status", "language", "properties", "external_id"})
GROUP_ONLY_UNSEEN = EXPORT_MEMBER_UNSEEN | {"first_name", "last_name", "job_title", "role"}
EXPORT_TEAM_UNSEEN = frozenset({"parent", "external_id"})


def pull_snapshot(client: Any, state: Snapshot | None, *,
                  assumed_properties: dict[str, PropertyDef] | None = None, export_only: bool = False,
                  progress: Progress | None = None, concurrency: int = DEFAULT_EXPORT_CONCURRENCY) -> Snapshot:
    """The account as a Snapshot: the sandbox's own snapshot, else the export API mapped.
    ``export_only`` reads even a sandbox through the export (``OVCTL_EXPORT_ONLY``); ``progress``
    is told how far a (slow, one call per team) export read has got; ``concurrency`` is how many
    of those calls are in flight at once."""
    from ovctl.core.snapshot import snapshot_from_dict

    raw = None if client.is_default_endpoint or export_only else client.sandbox_snapshot()
    if raw is not None:
        known = _copies(known_members(raw, state))
        live = snapshot_from_dict(raw, source=f"{client.endpoint}/sandbox/snapshot", members=known)
        return carry_from_state(live, state, from_export=False, members_known=known is not None)
    exported, group_only = read_export(client, progress=progress, concurrency=concurrency)
    live = carry_from_state(exported, state, from_export=True, seen_only_in_groups=group_only)
    if not live.properties and assumed_properties:
        # The export has no property definitions: take the org's word that they exist (docs/org-file.md).
        live.properties = dict(assumed_properties)
    return live


def pull_after_sync(client: Any, expected: Snapshot, final_payload: Payload | None, *, export_only: bool = False,
                    progress: Progress | None = None, concurrency: int = DEFAULT_EXPORT_CONCURRENCY,
                    predicted: MemberForms | None = None) -> Snapshot:
    """The account right after ovctl's syncs. For a real account, the export's gaps are filled from
    ``expected`` (the simulated outcome of what was sent) and the ids just sent are attached.
    ``predicted``: the forms of ``expected``'s members made ahead of time (used only when they are
    of those very members): a sandbox's answer that holds exactly their JSON is read without
    parsing them (``Client.sandbox_snapshot``), and they are not built or checked again."""
    from ovctl.account.client import KnownMembers
    from ovctl.core.snapshot import snapshot_from_dict

    forms = predicted if predicted is not None and predicted.members is expected.members else None
    if client.is_default_endpoint or export_only:
        raw = None
    else:
        raw = client.sandbox_snapshot(None if forms is None or expected.unknown_members else forms.json)
    if raw is not None:
        # the predicted members themselves: after a sync they are only compared and written
        # (apply's convergence check and state file), never changed
        known = (expected.members if type(raw) is KnownMembers
                 else known_members(raw, expected, None if forms is None else forms.rows))
        live = snapshot_from_dict(raw, source=f"{client.endpoint}/sandbox/snapshot", members=known,
                                  member_index=forms.index if forms is not None and known is expected.members else None)
        return carry_from_state(live, expected, from_export=False, members_known=known is not None)
    live, group_only = read_export(client, progress=progress, concurrency=concurrency)
    if final_payload is not None:
        attach_payload_ids(live, {t.external_id: t.name for t in final_payload.teams},
                           {m.external_id: m.email for m in final_payload.members})
    return carry_from_state(live, expected, from_export=True, seen_only_in_groups=group_only)


def known_members(raw: Any, known: Snapshot | None,
                  rows: list[dict[str, Any]] | None = None) -> list[SnapMember] | None:
    """``known``'s members when a sandbox's whole snapshot ``raw`` lists exactly them (the state
    file's before a run; after a sync, those the plan's simulation predicted), for
    ``snapshot_from_dict(raw, members=...)``; else None. Why: an apply reads the account twice,
    and building 20,000 members again from their JSON (checking every field) costs ~0.13 s each
    time, against ~0.03 s to compare them as dicts. Teams (few, and a created team's id is the
    account's choice) are always built from ``raw``.

    A member's dict holds only text, None and a dict of text, so equal JSON means equal fields
    (no ``1 == True``); every member of ``known`` reads back as itself (``to_dict`` then
    ``snapshot_from_dict``), which ``tests/test_live_known.py`` checks on read and predicted
    snapshots. ``rows``: ``known.to_dict()["members"]``, when the caller made it ahead of time."""
    if known is None or known.unknown_members or type(raw) is not dict:
        return None
    listed = raw.get("members")
    if type(listed) is not list or len(listed) != len(known.members):
        return None
    if listed != (known.to_dict()["members"] if rows is None else rows):
        return None
    return known.members


def _copies(members: list[SnapMember] | None) -> list[SnapMember] | None:
    """New member objects (``carry_from_state`` and later steps may change a live member, e.g.
    ``sources/ids`` attaching ids on import; the state's members must stay as they are)."""
    from ovctl.core.engine.run import copy_member

    return None if members is None else [copy_member(m) for m in members]


def _first(d: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        v = d.get(k)
        if v not in (None, ""):
            return v
    return None


def _flag(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v)


def snapshot_from_export(client: Any, progress: Progress | None = None,
                         concurrency: int = DEFAULT_EXPORT_CONCURRENCY) -> Snapshot:
    """Read users, groups and each group's people through the export API (one call per group)."""
    return read_export(client, progress, concurrency)[0]


def _read_groups(client: Any, ids: list[str], concurrency: int, progress: Progress | None) -> dict[str, dict[str, Any]]:
    """Each group's detail by id, read ``concurrency`` requests at a time (one client, whose
    connection pool the threads share; each request keeps the client's retry and error rules).
    The first error stops the read: nothing more is sent, the requests already in flight are
    left to finish, and that error (one ApiError line) is raised. The result does not depend on
    the order the answers arrive in: the caller walks the groups in the export's order."""
    total = len(ids)
    out: dict[str, dict[str, Any]] = {}
    if progress:
        progress("reading teams", 0, total)
    if concurrency <= 1 or total <= 1:
        for n, gid in enumerate(ids, start=1):
            out[gid] = client.export_group(gid)
            if progress:
                progress("reading teams", n, total)
        return out
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    pool = ThreadPoolExecutor(max_workers=min(concurrency, total), thread_name_prefix="ovctl-export")
    pending: dict[Future[dict[str, Any]], str] = {}
    todo = iter(ids)
    try:
        for gid in todo:  # fill the window, then one new request per answer
            pending[pool.submit(client.export_group, gid)] = gid
            if len(pending) >= concurrency:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                gid = pending.pop(fut)
                out[gid] = fut.result()  # the first error is raised here: nothing more is submitted
                if progress:
                    progress("reading teams", len(out), total)
                nxt = next(todo, None)
                if nxt is not None:
                    pending[pool.submit(client.export_group, nxt)] = nxt
    except BaseException:
        # Stop at once: what is queued is dropped; a request in flight ends on its own (its answer unused).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return out


def read_export(client: Any, progress: Progress | None = None,
                concurrency: int = DEFAULT_EXPORT_CONCURRENCY) -> tuple[Snapshot, set[str]]:
    """(the export as a Snapshot, the email keys of people seen only in a group's user list).

    /users does not list everyone a group does (a deactivated member still in a rule-based team);
    such a person is known by email only: names, job title and role come from the state file.
    """
    group_only: set[str] = set()
    if progress:
        progress("reading users", 0, None)
    users = client.export_users()
    members: list[SnapMember] = []
    seen: set[str] = set()
    for u in users:
        email = _first(u, "email", "userName")
        if not isinstance(email, str) or email_key(email) in seen:
            continue
        seen.add(email_key(email))
        role = "admin" if _flag(u.get("isAdmin")) else "executive" if _flag(u.get("isCompanyManager")) else "member"
        members.append(SnapMember(email=email, first_name=str(_first(u, "firstName", "fistName") or ""),
                                  last_name=str(u.get("lastName") or ""),
                                  job_title=(str(u["jobTitle"]) if u.get("jobTitle") else None), role=role))
    groups = client.export_groups()
    ids = [str(g["id"]) for g in groups if g.get("id") is not None]
    details = _read_groups(client, ids, concurrency, progress)
    teams: list[SnapTeam] = []
    for g in groups:
        gid = g.get("id")
        if gid is None:
            continue
        detail = details[str(gid)]
        managers: list[str] = []
        people: list[str] = []
        for p in detail.get("users") or []:
            if not isinstance(p, dict) or not isinstance(p.get("email"), str):
                continue
            if _flag(p.get("isManager")):
                managers.append(p["email"])
            if _flag(p.get("isMember", not _flag(p.get("isManager")))):
                people.append(p["email"])
            if email_key(p["email"]) not in seen:  # a person in a team but not in /users: keep refs valid
                seen.add(email_key(p["email"]))
                group_only.add(email_key(p["email"]))
                members.append(SnapMember(email=p["email"]))
        gtype = str(_first(g, "group_type", "groupType") or "").strip().lower()
        teams.append(SnapTeam(officevibe_id=str(gid), name=str(_first(g, "name") or detail.get("name") or ""),
                              managers=managers, members=people, rule_based=gtype in RULE_BASED_GROUP_TYPES))
    unknown_members = {email_key(m.email): (GROUP_ONLY_UNSEEN if email_key(m.email) in group_only else EXPORT_MEMBER_UNSEEN)
                       for m in members}
    unknown_teams = {t.officevibe_id: EXPORT_TEAM_UNSEEN for t in teams}
    return Snapshot(members=members, teams=teams, unknown_members=unknown_members,
                    unknown_teams=unknown_teams), group_only


def carry_from_state(live: Snapshot, state: Snapshot | None, *, from_export: bool,
                     seen_only_in_groups: set[str] | frozenset[str] = frozenset(),
                     members_known: bool = False) -> Snapshot:
    """Fill what the live read cannot know from the state file (see the module docstring).
    ``seen_only_in_groups``: email keys of people the export showed only in a group's user list
    (known by email alone: every other field comes from the state file). ``members_known``: the
    live members are ``state``'s, or equal copies (``known_members``): none lacks an id the state
    gives, so they are not looked at (~0.03 s at 20,000)."""
    if state is None:
        return live
    state_teams = {t.officevibe_id: t for t in state.teams}
    taken_team_ids = {t.external_id for t in live.teams if t.external_id}
    for t in live.teams:
        old = state_teams.get(t.officevibe_id)
        if old is not None and t.external_id is None and old.external_id and old.external_id not in taken_team_ids:
            t.external_id = old.external_id
            taken_team_ids.add(old.external_id)
    if not members_known:
        state_members = {email_key(m.email): m for m in state.members}
        taken_member_ids = {m.external_id for m in live.members if m.external_id}
        for m in live.members:
            old = state_members.get(email_key(m.email))
            if old is not None and m.external_id is None and old.external_id and old.external_id not in taken_member_ids:
                m.external_id = old.external_id
                taken_member_ids.add(old.external_id)
    if from_export:
        _carry_export_gaps(live, state, seen_only_in_groups)
    live.protected = list(dict.fromkeys([*live.protected, *state.protected]))
    live.applied_plans = list(dict.fromkeys([*live.applied_plans, *state.applied_plans]))
    return live


def _carry_export_gaps(live: Snapshot, state: Snapshot, seen_only_in_groups: set[str] | frozenset[str]) -> None:
    """Parents, statuses, languages, property values and deactivated members: the export has none.
    For a person seen only in a group's user list, also names, job title and role.

    A state team is found by Officevibe id, else by external id (a team ovctl created: the state
    may only know it by its external id). A parent is translated the same way, so a parent that
    was created by the last sync is still found in the live account.
    """
    state_by_ov = {t.officevibe_id: t for t in state.teams}
    state_by_ext = {t.external_id: t for t in state.teams if t.external_id}
    live_by_ov = {t.officevibe_id: t for t in live.teams}
    live_by_ext = {t.external_id: t for t in live.teams if t.external_id}
    for t in live.teams:
        old = state_by_ov.get(t.officevibe_id) or (state_by_ext.get(t.external_id) if t.external_id else None)
        if old is None:
            continue
        t.rule_based = t.rule_based or old.rule_based
        live.unknown_teams.pop(t.officevibe_id, None)  # the state file knows its parent
        if t.parent is None and old.parent is not None:
            parent = live_by_ov.get(old.parent)
            old_parent = state_by_ov.get(old.parent)
            if parent is None and old_parent is not None and old_parent.external_id:
                parent = live_by_ext.get(old_parent.external_id)
            if parent is not None and parent is not t:
                t.parent = parent.officevibe_id
    state_members = {email_key(m.email): m for m in state.members}
    state_members_by_ext = {m.external_id: m for m in state.members if m.external_id}
    live_emails = set()
    for m in live.members:
        live_emails.add(email_key(m.email))
        old = state_members.get(email_key(m.email)) or (state_members_by_ext.get(m.external_id) if m.external_id else None)
        if old is None:
            continue
        live.unknown_members.pop(email_key(m.email), None)  # the state file gives every hidden field
        m.status = old.status
        m.language = m.language or old.language
        if email_key(m.email) in seen_only_in_groups:  # the export gave nothing but the email
            m.first_name = m.first_name or old.first_name
            m.last_name = m.last_name or old.last_name
            m.job_title = m.job_title or old.job_title
            m.role = old.role
        if not m.properties:
            m.properties = dict(old.properties)
    carried: set[str] = set()
    for old in state.members:
        if old.status == "deactivated" and email_key(old.email) not in live_emails:
            live.members.append(replace(old, properties=dict(old.properties)))
            carried.add(email_key(old.email))
    if carried:  # an export that hides deactivated people hides their places in teams too (rule-based ones)
        for old_team in state.teams:
            t = live_by_ov.get(old_team.officevibe_id) or (live_by_ext.get(old_team.external_id)
                                                           if old_team.external_id else None)
            if t is None:
                continue
            for old_list, new_list in ((old_team.managers, t.managers), (old_team.members, t.members)):
                have = {email_key(e) for e in new_list}
                new_list.extend(e for e in old_list if email_key(e) in carried and email_key(e) not in have)
    if not live.properties:
        live.properties = dict(state.properties)
    live.invite_new_members = state.invite_new_members


def attach_payload_ids(live: Snapshot, final_teams: dict[str, str], final_members: dict[str, str]) -> Snapshot:
    """After an apply against a real account (whose export has no external ids), attach the ids
    ovctl just sent: teams by unique name, members by email. ``final_teams`` maps external id →
    name, ``final_members`` external id → email, from the last payload sent."""
    taken_t = {t.external_id for t in live.teams if t.external_id}
    by_name: dict[str, list[SnapTeam]] = {}
    for t in live.teams:
        if t.external_id is None and not t.rule_based:
            by_name.setdefault(t.name, []).append(t)
    for ext, name in final_teams.items():
        cands = by_name.get(name, [])
        if ext not in taken_t and len(cands) == 1:
            cands[0].external_id = ext
            taken_t.add(ext)
    taken_m = {m.external_id for m in live.members if m.external_id}
    by_email = {email_key(m.email): m for m in live.members if m.external_id is None}
    for ext, email in final_members.items():
        m = by_email.get(email_key(email))
        if m is not None and ext not in taken_m:
            m.external_id = ext
            taken_m.add(ext)
    return live

