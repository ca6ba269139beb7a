"""The plan's shared person keys and reused email index against the code they replaced:
``_People.key`` remembers each email's key per side (the membership diff and the team warnings ask
for the same people), and the admin warnings reuse the diff's email index of the snapshot instead
of building their own.

The reference is the previous code: ``_People._key`` (no memo) and ``reference_warnings`` below,
verbatim. Whole plans (JSON, simulated snapshots) must be equal on generated snapshots and orgs
with admins in the org, people in several teams and emails in several cases.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hypothesis import given, settings, strategies as st

from ovctl.core import plan as plan_module
from ovctl.core.changes import Change
from ovctl.core.engine import PROTECTED_ROLES
from ovctl.core.errors import Problem
from ovctl.core.model import (Member, Org, PropertyDef, ReportItem, Snapshot, SnapMember, SnapTeam, Team,
                              Warning_, email_key)
from ovctl.core.plan import _skip_warnings, build_plan


def reference_warnings(org: Org, snapshot: Snapshot, changes: list[Change], issues: list[ReportItem], risk_users: int,
              risk_teams: int, extra: Sequence[Problem], *, risk_users_uncertain: int = 0) -> list[Warning_]:
    out = [Warning_("validation", str(p)) for p in extra]
    s = org.settings
    sure_users = risk_users - risk_users_uncertain
    if s.risk_users is not None and sure_users > s.risk_users:
        out.append(Warning_("risk_threshold", f"the account will pause this sync for approval: {sure_users} user "
                                              f"changes > threshold {s.risk_users}"))
    elif s.risk_users is not None and risk_users > s.risk_users:
        out.append(Warning_("risk_threshold_unknown",
                            f"the account may pause this sync for approval: between {sure_users} and {risk_users} "
                            f"user changes (threshold {s.risk_users}); {risk_users_uncertain} depend on property "
                            "values the account does not show (no state file value yet)"))
    if s.risk_teams is not None and risk_teams > s.risk_teams:
        out.append(Warning_("risk_threshold", f"the account will pause this sync for approval: {risk_teams} team "
                                              f"changes > threshold {s.risk_teams}"))
    creates = sum(1 for c in changes if c.kind == "member" and c.action == "create")
    if creates and not snapshot.invite_new_members:
        out.append(Warning_("invites_off", f"{creates} new member(s) will be Created, not invited: invites are off in "
                                           "the account, and turning them on later will not invite them; invite them "
                                           "from the app (Members > More filters > Created)"))
    out.extend(_skip_warnings(issues))
    by_ext = {m.external_id: m for m in snapshot.members if m.external_id is not None}
    by_email = {email_key(m.email): m for m in snapshot.members}
    for m in org.members:
        sm = by_ext.get(m.id) or by_email.get(email_key(m.email))
        if sm is not None and sm.role in PROTECTED_ROLES:
            out.append(Warning_("admin_in_org", f"{m.id} ({m.email}) is an {sm.role} in "
                                                f"the account: roles cannot be set by the API and the "
                                                "sync never changes their status; manage them in the app"))
    idless = {t.name for t in snapshot.teams if t.external_id is None and not t.rule_based}
    known = {t.external_id for t in snapshot.teams if t.external_id is not None}
    for t in org.teams:
        if t.previous_name and t.id not in known and t.previous_name not in idless:
            out.append(Warning_("previous_name_unmatched", f"team {t.id}: no team without an external id is named "
                                                           f"{t.previous_name!r} in the account; {t.name!r} will be "
                                                           "created as a new team"))
    return out


@contextmanager
def _reference_plan() -> Iterator[None]:
    """``build_plan`` with the previous person keys (no memo) and admin warnings (own index)."""
    saved_key, saved_warnings = plan_module._People.key, plan_module._warnings

    def warnings(*args: Any, by_email: Any = None, **kwargs: Any) -> list[Warning_]:
        return reference_warnings(*args, **kwargs)

    plan_module._People.key = plan_module._People._key
    plan_module._warnings = warnings
    try:
        yield
    finally:
        plan_module._People.key, plan_module._warnings = saved_key, saved_warnings


_EMAILS = ["a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io"]


@st.composite
def plans(draw: Any) -> tuple[Org, Snapshot]:
    """A snapshot of up to five people (some admins, some without ids, team lists naming people in
    another case) and an org that keeps, changes, adds and drops people and team memberships."""
    members = []
    for i, email in enumerate(draw(st.lists(st.sampled_from(_EMAILS), unique=True, max_size=5))):
        members.append(SnapMember(email, draw(st.sampled_from([f"E{i}", None])), "A", "B",
                                  status=draw(st.sampled_from(["active", "deactivated"])),
                                  role=draw(st.sampled_from(["member", "admin", "executive"]))))
    names = [m.email for m in members] + [m.email.upper() for m in members]
    people = st.lists(st.sampled_from(names), max_size=4, unique=True) if names else st.just([])
    teams = [SnapTeam(f"ov{i}", f"Team {i}", f"T{i}", None, draw(people), draw(people)) for i in range(draw(st.integers(1, 3)))]
    snapshot = Snapshot(members=members, teams=teams, properties={"Level": PropertyDef("numeric")})
    org_members = []
    for i, email in enumerate(draw(st.lists(st.sampled_from(_EMAILS + ["F@x.io"]), unique=True, min_size=1, max_size=5))):
        org_members.append(Member(draw(st.sampled_from([f"E{i}", f"N{i}"])), draw(st.sampled_from([email, email.upper()])),
                                  "A", draw(st.sampled_from(["B", "C"]))))
    org_members = list({m.id: m for m in org_members}.values())
    ids = [m.id for m in org_members]
    org_teams = [Team(f"T{i}", f"Team {i}", managers=draw(st.lists(st.sampled_from(ids), max_size=2, unique=True)),
                      members=draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True)))
                 for i in range(draw(st.integers(1, 3)))]
    return Org("Acme", members=org_members, teams=org_teams, properties={"Level": PropertyDef("numeric")}), snapshot


def _outcome(org: Org, snapshot: Snapshot) -> Any:
    try:
        plan = build_plan(org, snapshot, force=True)
    except Exception as e:
        return type(e), str(e)
    return plan.data(), plan.simulated


@settings(max_examples=500, deadline=None)
@given(plans())
def test_plans_match_the_previous_person_keys_and_admin_warnings(case: tuple[Org, Snapshot]) -> None:
    org, snapshot = case
    new = _outcome(org, snapshot)
    with _reference_plan():
        ref = _outcome(org, snapshot)
    assert new == ref


def test_an_admin_in_the_org_found_by_email_is_warned_about_as_before() -> None:
    snapshot = Snapshot(members=[SnapMember("a@x.io", None, "A", "B", role="admin"), SnapMember("b@x.io", "E2", "A", "B")],
                        teams=[SnapTeam("ov0", "Team 0", "T0", None, ["A@X.IO"], ["b@x.io", "a@x.io"])])
    org = Org("Acme", members=[Member("E1", "A@x.io", "A", "B"), Member("E2", "b@x.io", "A", "C")],
              teams=[Team("T0", "Team 0", managers=["E2"], members=["E1"])])
    new = _outcome(org, snapshot)
    with _reference_plan():
        ref = _outcome(org, snapshot)
    assert new == ref
    assert [w["code"] for w in new[0]["warnings"]].count("admin_in_org") == 1
