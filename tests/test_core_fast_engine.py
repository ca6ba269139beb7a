"""The engine's cheaper member passes against the code they replaced: property verdicts cached by
name then value (``members._update_properties``), an unchanged email text skipping the key
(``members._update_email``), and team-list email keys looked up by exact text
(``teams._apply_mappings``, ``teams._keep_unsynced_admins``), and the row's email key computed only
when the member is not found by id or its email text changed (``members.sync_members``).

The reference functions below are the previous code, verbatim; ``_reference_engine`` swaps them in.
Generated snapshots and payloads cover email changes (case only, taken, new), members matched by
email, admins left out, invalid property values, clears, unknown properties, duplicates, and
teams whose people change; simulation results, reports and notes must be equal, and whole plans too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import given, settings, strategies as st

from ovctl.core.engine import members as members_mod, simulate_noted, teams as teams_mod
from ovctl.core.engine.members import PROTECTED_ROLES, _CLEAR, _OK, _issue, _verdict
from ovctl.core.engine.messages import (EMAIL_CHANGE_SKIPPED, GROUP_NOT_FOUND, SUBGROUP_CYCLE, SUBGROUP_NOT_FOUND,
                                        SUBGROUP_TWO_PARENTS, TEAM_MOVED, USER_NOT_FOUND)
from ovctl.core.engine.run import KeptAdminRole, SyncRun
from ovctl.core.engine.teams import _break_cycles, _now
from ovctl.core.model import (Mapping, Member, Org, Payload, PayloadMember, PayloadTeam, PropertyDef, ReportItem,
                              Snapshot, SnapMember, SnapTeam, Team, email_key)
from ovctl.core.plan import build_plan


# --------------------------------------------------------------------------- the previous code


def reference_update_email(run: SyncRun, idx: int, row: PayloadMember, new_key: str, by_email: dict[str, int],
                  renamed_emails: dict[str, str]) -> bool:
    """``new_key``: ``email_key(row.email)``, which the caller has already computed."""
    m = run.members[idx]
    old_key = email_key(m.email)
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


def reference_update_properties(run: SyncRun, m: SnapMember, row: PayloadMember, *, count_risk: bool = True,
                       unseen: bool = False) -> bool:
    """Assign property values as the account does; returns whether any value changed. ``unseen``:
    the member's current values are not known (export read): a clear may clear a hidden value, so
    it counts in the risk (as an upper bound; the caller counts it uncertain)."""
    report, verdicts = run.report, run.value_verdicts
    changed = False
    for name, value in row.properties.items():
        verdict = verdicts.get((name, value))
        if verdict is None:
            verdict = verdicts[(name, value)] = _verdict(run, name, value)
        if verdict != _OK:
            if verdict != _CLEAR:
                report.issues.append(_issue(run, verdict, name, value, row))
            elif name in m.properties:
                del m.properties[name]
                changed = True
                report.risk_users += count_risk
            elif unseen:
                report.risk_users += count_risk
            continue
        if m.properties.get(name) != value:
            m.properties[name] = value
            changed = True
            report.risk_users += count_risk
    return changed


def reference_apply_mappings(run: SyncRun, payload: Payload, synced: dict[str, int], created: set[int],
                    member_by_ext: dict[str, int], seen: set[int], renamed_emails: dict[str, str]) -> None:
    """Replace managers, members and parent of every synced team from the mapping rows."""
    teams, members, report = run.teams, run.members, run.report
    new_people: dict[int, tuple[list[str], list[str], set[str], set[str]]] = {
        i: ([], [], set(), set()) for i in synced.values()}
    parent_of: dict[int, int] = {}
    keys = [email_key(m.email) for m in members]  # once per member, not once per mapping row
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
                reference_keep_unsynced_admins(run, t, admins_not_seen, mgrs, mbrs, mgr_keys, mbr_keys)
            # by the people's emails after this sync: an email change is not a team assignment change
            if renamed_emails:
                before = ({(_now(e, renamed_emails), "manager") for e in t.managers}
                          | {(_now(e, renamed_emails), "member") for e in t.members})
            else:  # the same keys, without a call per person
                before = ({(email_key(e), "manager") for e in t.managers}
                          | {(email_key(e), "member") for e in t.members})
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


def reference_keep_unsynced_admins(run: SyncRun, team: SnapTeam, admins_not_seen: dict[str, tuple[str, str]],
                          mgrs: list[str], mbrs: list[str], mgr_keys: set[str], mbr_keys: set[str]) -> None:
    """Admins/executives absent from the payload keep their memberships (the sync never touches
    them); each role kept is noted, so the plan can name it."""
    for as_role, emails, out, keys in (("manager", team.managers, mgrs, mgr_keys),
                                       ("member", team.members, mbrs, mbr_keys)):
        for e in emails:
            key = email_key(e)
            if key in admins_not_seen and key not in keys:
                keys.add(key)
                email, role = admins_not_seen[key]
                out.append(email)
                run.notes.kept_admin_roles.append(KeptAdminRole(email, role, team.external_id or "", team.name, as_role))


@contextmanager
def _reference_engine() -> Iterator[None]:
    """The engine with the previous member-pass functions swapped in (restored after)."""
    def update_email(run: SyncRun, idx: int, row: PayloadMember, by_email: dict[str, int],
                     renamed_emails: dict[str, str]) -> bool:  # the previous call: the row's key computed first
        return reference_update_email(run, idx, row, email_key(row.email), by_email, renamed_emails)

    swaps = [(members_mod, "_update_email", update_email),
             (members_mod, "_update_properties", reference_update_properties),
             (teams_mod, "_apply_mappings", reference_apply_mappings)]
    saved = [(mod, name, getattr(mod, name)) for mod, name, _ in swaps]
    for mod, name, fn in swaps:
        setattr(mod, name, fn)
    try:
        yield
    finally:
        for mod, name, fn in saved:
            setattr(mod, name, fn)


# --------------------------------------------------------------------------- generated inputs

_EMAILS = ["a@x.io", "A@x.io", "b@x.io", " b@x.io", "c@x.io", "d@x.io", "bad"]
_IDS = ["E1", "E2", "E3", "E4", None]
_PROPERTIES = {"Location": PropertyDef("choices", ("Paris", "Remote")), "Level": PropertyDef("numeric"),
               "Hire Date": PropertyDef("date"), "Note": PropertyDef("text")}
_VALUES = ["", "Paris", "Remote", "Lyon", "2", "x", "2020-01-31", "2020-02-31"]
_NAMES = ["Location", "Level", "Hire Date", "Note", "Nope"]


def _props(draw: Any, names: list[str]) -> dict[str, str]:
    return draw(st.dictionaries(st.sampled_from(names), st.sampled_from(_VALUES), max_size=4))


@st.composite
def cases(draw: Any) -> tuple[Snapshot, Payload]:
    members, used = [], set()
    for email in draw(st.lists(st.sampled_from(_EMAILS[:-1]), max_size=5)):
        if email_key(email) in used:
            continue
        used.add(email_key(email))
        ext = draw(st.sampled_from(_IDS))
        if ext is not None and any(m.external_id == ext for m in members):
            ext = None
        members.append(SnapMember(email, ext, "A", draw(st.sampled_from(["B", "C"])), None, None,
                                  draw(st.sampled_from(["active", "deactivated", "invited"])),
                                  draw(st.sampled_from(["member", "member", "admin", "executive"])),
                                  {k: v for k, v in _props(draw, list(_PROPERTIES)).items() if v}))
    emails = [m.email for m in members] + [m.email.upper() for m in members]  # teams may name people in any case
    teams = []
    for i in range(draw(st.integers(0, 3))):
        people = st.lists(st.sampled_from(emails), max_size=3, unique=True) if emails else st.just([])
        teams.append(SnapTeam(f"ov{i}", f"Team {i}", draw(st.sampled_from([f"T{i}", None])), None,
                              draw(people), draw(people), draw(st.booleans()) and i == 2))
    snapshot = Snapshot(members=members, teams=teams, properties=dict(_PROPERTIES),
                        invite_new_members=draw(st.booleans()))
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        rows.append(PayloadMember(draw(st.sampled_from(["E1", "E2", "E3", "E4", "E5"])), draw(st.sampled_from(_EMAILS)),
                                  "A", draw(st.sampled_from(["B", "C"])), draw(st.sampled_from([None, "", "Dev"])),
                                  None, _props(draw, _NAMES)))
    team_rows = [PayloadTeam(f"T{i}", f"Team {i}") for i in range(draw(st.integers(1, 3)))]
    mappings = [Mapping(draw(st.sampled_from(["T0", "T1", "T2", "T9"])), member=r.external_id,
                        is_member=draw(st.booleans()), is_manager=draw(st.booleans())) for r in rows]
    mappings += [Mapping(draw(st.sampled_from(["T0", "T1"])), subteam=draw(st.sampled_from(["T1", "T2", "T8"])))
                 for _ in range(draw(st.integers(0, 2)))]
    return snapshot, Payload(rows, team_rows, mappings)


@settings(max_examples=600, deadline=None)
@given(cases())
def test_simulation_matches_the_previous_member_passes(case: tuple[Snapshot, Payload]) -> None:
    snapshot, payload = case
    new = simulate_noted(snapshot, payload)
    with _reference_engine():
        ref = simulate_noted(snapshot, payload)
    assert new[0] == ref[0] and new[0].members == ref[0].members and new[0].teams == ref[0].teams
    assert new[1] == ref[1]
    assert new[2] == ref[2]


@settings(max_examples=200, deadline=None)
@given(cases())
def test_plans_match_with_the_previous_member_passes(case: tuple[Snapshot, Payload]) -> None:
    snapshot, payload = case
    org = Org("Acme", properties=dict(_PROPERTIES),
              members=[Member(r.external_id, r.email, r.first_name, r.last_name, r.job_title, None,
                              {k: v for k, v in r.properties.items() if v and k in _PROPERTIES})
                       for r in {r.external_id: r for r in payload.members}.values()],
              teams=[Team(t.external_id, t.name, members=[m.member for m in payload.mappings
                                                         if m.team == t.external_id and m.member and m.is_member])
                     for t in payload.teams])
    new = _outcome(lambda: build_plan(org, snapshot, force=True))
    with _reference_engine():
        ref = _outcome(lambda: build_plan(org, snapshot, force=True))
    assert new == ref


def _outcome(make: Callable[[], Any]) -> Any:
    """A plan's JSON and simulated snapshots, or the exception's type and message."""
    try:
        plan = make()
    except Exception as e:  # the same refusal (an empty mappings section) on both sides
        return type(e), str(e)
    return plan.data(), plan.simulated


def test_the_cases_reach_the_branches_the_new_code_changed() -> None:
    """Email changes (case only, taken), a cleared and an invalid value, an admin left out of a team."""
    snapshot = Snapshot(members=[SnapMember("a@x.io", "E1", "A", "B", properties={"Location": "Paris"}),
                                 SnapMember("b@x.io", "E2", "A", "B"),
                                 SnapMember("c@x.io", "E3", "A", "B", role="admin")],
                        teams=[SnapTeam("ov0", "Team 0", "T0", managers=["c@x.io"], members=["a@x.io", "b@x.io"])],
                        properties=dict(_PROPERTIES))
    payload = Payload([PayloadMember("E1", "A@x.io", "A", "B", properties={"Location": "", "Level": "x"}),
                       PayloadMember("E2", "a@x.io", "A", "B", properties={"Location": "Lyon", "Nope": "1"})],
                      [PayloadTeam("T0", "Team 0")], [Mapping("T0", member="E1", is_member=True)])
    new = simulate_noted(snapshot, payload)
    with _reference_engine():
        ref = simulate_noted(snapshot, payload)
    assert new == ref
    messages = {i.message for i in new[1].issues}
    assert len(messages) >= 3 and new[2].kept_admin_roles and new[0].members[0].properties == {}
