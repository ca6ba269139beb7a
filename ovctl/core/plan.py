"""The plan: what the next sync(s) would do, as the difference between two snapshots. Pure.

``build_plan`` builds the payload(s), runs them through the account's own rules
(``engine.simulate``), and diffs the snapshot before against the simulated result, keyed by
Officevibe identity, so the plan shows intent-level changes (an adopted, renamed, moved team rather
than "a team removed and one created"). Guards, warnings, risk counts and fingerprints follow.

``diff_snapshots`` is linear: entities are aligned with dicts, compared with cheap dataclass
equality first, and only the ones that differ get field-level before/after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ovctl.core.engine import PROTECTED_ROLES, simulate
from ovctl.core.errors import Problem
from ovctl.core.fingerprint import fingerprint_org, fingerprint_snapshot
from ovctl.core.guards import evaluate_guards
from ovctl.core.model import Change, Org, Plan, ReportItem, Snapshot, SnapMember, SnapTeam, SyncReport, Warning_, email_key
from ovctl.core.payload import build_payloads

_PROFILE_FIELDS = ("email", "external_id", "first_name", "last_name", "job_title", "language", "role")
DELETED = "deleted"  # status shown when a member vanished from the account (drift only)


# --------------------------------------------------------------------------- diff


@dataclass(slots=True)
class _People:
    """Person identity across two snapshots: every email maps to one key and one display id.

    A member aligned on both sides is named by the *after* side (its external id when it has one,
    else its email), so a member whose id is attached by this sync reads the same in every change.
    """

    before: Snapshot
    after: Snapshot
    pair_of_before: dict[int, int]  # before member index -> after member index
    after_by_email: dict[str, int]
    before_by_email: dict[str, int]

    def key(self, email: str, side: str) -> tuple[str, int | str]:
        if side == "after":
            idx = self.after_by_email.get(email_key(email))
            return ("a", idx) if idx is not None else ("e", email_key(email))
        bidx = self.before_by_email.get(email_key(email))
        if bidx is None:
            return ("e", email_key(email))
        aidx = self.pair_of_before.get(bidx)
        return ("a", aidx) if aidx is not None else ("b", bidx)

    def member(self, key: tuple[str, int | str]) -> SnapMember | None:
        if key[0] == "a":
            return self.after.members[key[1]]  # type: ignore[index]
        if key[0] == "b":
            return self.before.members[key[1]]  # type: ignore[index]
        return None

    def ident(self, key: tuple[str, int | str]) -> str:
        m = self.member(key)
        return (m.external_id or m.email) if m is not None else str(key[1])

    def email(self, key: tuple[str, int | str]) -> str:
        m = self.member(key)
        return m.email if m is not None else str(key[1])

    def idents(self, emails: list[str], side: str) -> list[str]:
        return [self.ident(self.key(e, side)) for e in emails]


def _align_members(before: Snapshot, after: Snapshot) -> dict[int, int]:
    """Pairs by external id, then by email (case-insensitive) among the unpaired."""
    after_by_ext = {m.external_id: i for i, m in enumerate(after.members) if m.external_id is not None}
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for i, m in enumerate(before.members):
        j = after_by_ext.get(m.external_id) if m.external_id is not None else None
        if j is not None:
            pairs[i] = j
            taken.add(j)
    free_after = {email_key(m.email): j for j, m in enumerate(after.members) if j not in taken}
    for i, m in enumerate(before.members):
        if i in pairs:
            continue
        j = free_after.pop(email_key(m.email), None)
        if j is not None and (m.external_id is None or after.members[j].external_id in (None, m.external_id)):
            pairs[i] = j
    return pairs


def _name(m: SnapMember) -> str:
    return f"{m.first_name} {m.last_name}".strip() or m.email


def _member_head(m: SnapMember) -> dict[str, object]:
    return {"id": m.external_id, "email": m.email, "name": _name(m)}


def _member_changes(before: Snapshot, after: Snapshot, pairs: dict[int, int]) -> dict[str, list[Change]]:
    out: dict[str, list[Change]] = {"create": [], "reactivate": [], "update": [], "deactivate": []}
    before_of_after = {j: i for i, j in pairs.items()}
    for j, a in enumerate(after.members):
        i = before_of_after.get(j)
        if i is None:
            after_fields = {"email": a.email, "first_name": a.first_name, "last_name": a.last_name,
                            "job_title": a.job_title, "language": a.language, "status": a.status,
                            "properties": dict(a.properties)}
            out["create"].append(Change("member", "create", {**_member_head(a), "after": after_fields}))
            continue
        b = before.members[i]
        if a == b:
            continue
        was_off, is_off = b.status == "deactivated", a.status == "deactivated"
        if was_off != is_off:
            action = "deactivate" if is_off else "reactivate"
            out[action].append(Change("member", action, {**_member_head(a), "before": {"status": b.status},
                                                         "after": {"status": a.status}}))
        fb: dict[str, object] = {}
        fa: dict[str, object] = {}
        for f in _PROFILE_FIELDS:
            if getattr(a, f) != getattr(b, f):
                fb[f], fa[f] = getattr(b, f), getattr(a, f)
        if was_off == is_off and a.status != b.status:
            fb["status"], fa["status"] = b.status, a.status
        if a.properties != b.properties:
            keys = [k for k in {**b.properties, **a.properties} if b.properties.get(k) != a.properties.get(k)]
            fb["properties"] = {k: b.properties.get(k) for k in keys}
            fa["properties"] = {k: a.properties.get(k) for k in keys}
        if fb:
            out["update"].append(Change("member", "update", {**_member_head(a), "before": fb, "after": fa}))
    for i, b in enumerate(before.members):
        if i not in pairs:  # only drift can do this: the engine never deletes a member
            out["deactivate"].append(Change("member", "deactivate", {**_member_head(b), "before": {"status": b.status},
                                                                     "after": {"status": DELETED}}))
    return out


def _team_changes(before: Snapshot, after: Snapshot, people: _People) -> dict[str, list[Change]]:
    out: dict[str, list[Change]] = {k: [] for k in ("create", "adopt", "rename", "move", "add", "remove", "team_remove")}
    b_by_id = {t.officevibe_id: t for t in before.teams}
    a_by_id = {t.officevibe_id: t for t in after.teams}

    def parent_info(t: SnapTeam, by_id: dict[str, SnapTeam]) -> tuple[str | None, str | None]:
        p = by_id.get(t.parent) if t.parent is not None else None
        return (p.external_id, p.name) if p is not None else (None, None)

    created: list[tuple[int, SnapTeam]] = []
    depth: dict[str, int] = {}

    def depth_of(t: SnapTeam) -> int:
        chain: list[SnapTeam] = []
        node: SnapTeam | None = t
        while node is not None and node.officevibe_id not in depth and len(chain) <= len(a_by_id):
            chain.append(node)
            node = a_by_id.get(node.parent) if node.parent is not None else None
        base = depth.get(node.officevibe_id, 0) if node is not None else -1
        for n in reversed(chain):
            base += 1
            depth[n.officevibe_id] = base
        return depth[t.officevibe_id]

    for a in after.teams:
        b = b_by_id.get(a.officevibe_id)
        if b is None:
            pid, pname = parent_info(a, a_by_id)
            created.append((depth_of(a), Change("team", "create", {
                "id": a.external_id, "name": a.name,
                "after": {"name": a.name, "parent": pid, "parent_name": pname,
                          "managers": people.idents(a.managers, "after"), "members": people.idents(a.members, "after")}})))
            continue
        if a == b:
            continue
        head = {"id": a.external_id if a.external_id is not None else b.external_id}
        if a.external_id != b.external_id and a.external_id is not None:
            out["adopt"].append(Change("team", "adopt", {**head, "name": b.name, "before": {"external_id": b.external_id},
                                                         "after": {"external_id": a.external_id}}))
        if a.name != b.name:
            out["rename"].append(Change("team", "rename", {**head, "name": a.name, "before": {"name": b.name},
                                                           "after": {"name": a.name}}))
        if a.parent != b.parent:
            (bp, bpn), (ap, apn) = parent_info(b, b_by_id), parent_info(a, a_by_id)
            out["move"].append(Change("team", "move", {**head, "name": a.name,
                                                       "before": {"parent": bp, "parent_name": bpn},
                                                       "after": {"parent": ap, "parent_name": apn}}))
        _membership_changes(out, a, b, head["id"], people)
    created.sort(key=lambda item: item[0])  # stable: parents first, then after-snapshot order
    out["create"] = [c for _, c in created]
    for b in before.teams:
        if b.officevibe_id not in a_by_id:
            out["team_remove"].append(Change("team", "remove", {
                "id": b.external_id, "name": b.name,
                "before": {"name": b.name, "managers": people.idents(b.managers, "before"),
                           "members": people.idents(b.members, "before")}}))
    return out


def _membership_changes(out: dict[str, list[Change]], a: SnapTeam, b: SnapTeam, team_id: str | None,
                        people: _People) -> None:
    if a.managers == b.managers and a.members == b.members:
        return
    for role, a_list, b_list in (("manager", a.managers, b.managers), ("member", a.members, b.members)):
        a_keys = [people.key(e, "after") for e in a_list]
        b_keys = [people.key(e, "before") for e in b_list]
        a_set, b_set = set(a_keys), set(b_keys)
        for action, keys, other in (("add", a_keys, b_set), ("remove", b_keys, a_set)):
            for k in keys:
                if k not in other:
                    out[action].append(Change("membership", action, {
                        "team": team_id if team_id is not None else a.name, "team_name": a.name,
                        "member": people.ident(k), "email": people.email(k), "role": role}))


def diff_snapshots(before: Snapshot, after: Snapshot) -> list[Change]:
    """Intent-level changes from ``before`` to ``after`` in plan order (see docs/plan.md)."""
    pairs = _align_members(before, after)
    people = _People(before=before, after=after, pair_of_before=pairs,
                     after_by_email={email_key(m.email): j for j, m in enumerate(after.members)},
                     before_by_email={email_key(m.email): i for i, m in enumerate(before.members)})
    members = _member_changes(before, after, pairs)
    teams = _team_changes(before, after, people)
    return [*teams["create"], *teams["adopt"], *teams["rename"], *teams["move"],
            *members["create"], *members["reactivate"], *members["update"],
            *teams["add"], *teams["remove"], *members["deactivate"], *teams["team_remove"]]


# --------------------------------------------------------------------------- plan


def build_plan(org: Org, snapshot: Snapshot, *, force: bool = False, drift_from: Snapshot | None = None,
               extra_warnings: Sequence[Problem] = ()) -> Plan:
    """Plan the sync(s) that take ``snapshot`` to ``org``. Pure; see the module docstring."""
    payloads = build_payloads(org, snapshot)
    state = snapshot
    reports: list[SyncReport] = []
    for payload in payloads:
        state, report = simulate(state, payload)
        reports.append(report)
    changes = diff_snapshots(snapshot, state)
    issues = _unique_issues(reports)
    risk_users = max(r.risk_users for r in reports)
    risk_teams = max(r.risk_teams for r in reports)
    protected = list(dict.fromkeys([*org.settings.protected, *snapshot.protected]))
    warnings = _warnings(org, snapshot, changes, issues, risk_users, risk_teams, extra_warnings)
    return Plan(organization=org.organization, changes=changes, warnings=warnings,
                guards=evaluate_guards(changes, snapshot, org.settings.safety, protected),
                risk_users=risk_users, risk_teams=risk_teams, syncs=len(payloads),
                fingerprint_desired=fingerprint_org(org), fingerprint_state=fingerprint_snapshot(snapshot),
                payloads=payloads, forced=force,
                drift=diff_snapshots(drift_from, snapshot) if drift_from is not None else [],
                report_issues=issues)


def _unique_issues(reports: list[SyncReport]) -> list[ReportItem]:
    """The predicted skips; each sync of a two-sync plan predicts mostly the same ones."""
    seen: set[tuple[str, str, str, str]] = set()
    out: list[ReportItem] = []
    for r in reports:
        for item in r.issues:
            key = (item.kind, item.message, item.subject, item.detail)
            if key not in seen:
                seen.add(key)
                out.append(item)
    return out


def _warnings(org: Org, snapshot: Snapshot, changes: list[Change], issues: list[ReportItem], risk_users: int,
              risk_teams: int, extra: Sequence[Problem]) -> list[Warning_]:
    out = [Warning_("validation", str(p)) for p in extra]
    s = org.settings
    if s.risk_users is not None and risk_users > s.risk_users:
        out.append(Warning_("risk_threshold", f"the account will pause this sync for approval: {risk_users} user "
                                              f"changes > threshold {s.risk_users}"))
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


def _skip_warnings(issues: list[ReportItem], shown: int = 3) -> list[Warning_]:
    """One warning per kind of skip and subject (an unknown property misses on every member: one
    line, not ten thousand); ``plan.report_issues`` keeps every item."""
    groups: dict[tuple[str, str], list[str]] = {}
    for item in issues:
        groups.setdefault((item.message, item.subject), []).append(item.detail)
    out = []
    for (message, subject), details in groups.items():
        details = [d for d in details if d]
        more = f", and {len(details) - shown} more" if len(details) > shown else ""
        listed = f" ({'; '.join(details[:shown])}{more})" if details else ""
        out.append(Warning_("skipped", f"the account will skip this: {message}: {subject}{listed}"))
    return out
