"""The plan: what the next sync(s) would do, as the difference between two snapshots. Pure.

``build_plan`` builds the payload(s), runs them through the account's own rules
(``engine.simulate``), and diffs the snapshot before against the simulated result, keyed by
Officevibe identity, so the plan shows intent-level changes (an adopted, renamed, moved team rather
than "a team removed and one created"). Guards, warnings, risk counts and fingerprints follow;
what the engine decided without a report line (``engine.simulate_noted``: ambiguous adoptions,
admins' team roles left alone) and teams that look different under a kept id become warnings
(``ovctl.core.plannotes``).

``diff_snapshots`` is linear: entities are aligned with dicts, compared with cheap dataclass
equality first, and only the ones that differ get field-level before/after. Changes are the typed
values of ``ovctl.core.changes``; drift (state file -> live account) uses the same ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field

from ovctl.core.engine import PROTECTED_ROLES, AmbiguousTeam, KeptAdminRole, simulate_noted
from ovctl.core.errors import Problem
from ovctl.core.fingerprint import fingerprint_org, fingerprint_snapshot
from ovctl.core.guards import evaluate_guards
from ovctl.core.changes import (DELETED, Change, FieldChange, MemberCreate, MemberDeactivate, MemberReactivate,
                                MembershipAdd, MembershipRemove, MemberSetUnseen, MemberUpdate, TeamAdopt, TeamCreate,
                                TeamMove, TeamRef, TeamRemove, TeamRename, TeamSetUnseen)
from ovctl.core.model import Org, Plan, ReportItem, Snapshot, SnapMember, SnapTeam, SyncReport, Warning_, email_key
from ovctl.core.payload import build_payloads
from ovctl.core.plannotes import ambiguous_team_warnings, different_team_warnings, kept_admin_warnings
from ovctl.core.records import record

_PROFILE_FIELDS = ("email", "external_id", "first_name", "last_name", "job_title", "language", "role")


# --------------------------------------------------------------------------- diff


@record
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
    # ``key`` by exact email text, per side: the membership diff and the team warnings ask for the
    # same people of the same teams, and one person sits in several teams.
    after_keys: dict[str, tuple[str, int | str]] = field(default_factory=dict)
    before_keys: dict[str, tuple[str, int | str]] = field(default_factory=dict)

    def key(self, email: str, side: str) -> tuple[str, int | str]:
        memo = self.after_keys if side == "after" else self.before_keys
        found = memo.get(email)
        if found is None:
            found = memo[email] = self._key(email, side)
        return found

    def _key(self, email: str, side: str) -> tuple[str, int | str]:
        ekey = email_key(email)
        if side == "after":
            idx = self.after_by_email.get(ekey)
            return ("a", idx) if idx is not None else ("e", ekey)
        bidx = self.before_by_email.get(ekey)
        if bidx is None:
            return ("e", ekey)
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

    def idents(self, emails: list[str], side: str) -> tuple[str, ...]:
        return tuple(self.ident(self.key(e, side)) for e in emails)


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


def _member_changes(before: Snapshot, after: Snapshot, pairs: dict[int, int], unseen: list[Change],
                    sent_props: Sequence[str] = (), synced: set[str] | frozenset[str] = frozenset()
                    ) -> dict[str, list[Change]]:
    """Member changes; fields whose current value ``before`` does not show (``unknown_members``)
    go to ``unseen`` as ``MemberSetUnseen`` instead. ``sent_props``: the property names the payload
    sends to every member of ``synced`` (external ids): with unseen values, a clear is a set too."""
    out: dict[str, list[Change]] = {"create": [], "reactivate": [], "update": [], "deactivate": []}
    before_of_after = {j: i for i, j in pairs.items()}
    unknown_of = before.unknown_members
    for j, a in enumerate(after.members):
        i = before_of_after.get(j)
        if i is None:
            out["create"].append(MemberCreate(a.external_id, a.email, _name(a), a.first_name, a.last_name, a.job_title,
                                              a.language, a.status, tuple(a.properties.items())))
            continue
        b = before.members[i]
        unknown = unknown_of.get(email_key(b.email)) if unknown_of else None
        if a == b and not unknown:
            continue
        was_off, is_off = b.status == "deactivated", a.status == "deactivated"
        if was_off != is_off:
            status = MemberDeactivate if is_off else MemberReactivate
            out[status.action].append(status(a.external_id, a.email, _name(a), b.status, a.status))
        fields = [FieldChange(f, getattr(b, f), getattr(a, f)) for f in _PROFILE_FIELDS if getattr(a, f) != getattr(b, f)]
        if was_off == is_off and a.status != b.status:
            fields.append(FieldChange("status", b.status, a.status))
        props: tuple[FieldChange, ...] = ()
        if a.properties != b.properties:
            keys = [k for k in {**b.properties, **a.properties} if b.properties.get(k) != a.properties.get(k)]
            props = tuple(FieldChange(k, b.properties.get(k), a.properties.get(k)) for k in keys)
        if unknown:
            set_fields = tuple(FieldChange(f.field, None, f.after) for f in fields if f.field in unknown)
            fields = [f for f in fields if f.field not in unknown]
            set_props: tuple[FieldChange, ...] = ()
            if "properties" in unknown:
                set_props = tuple(FieldChange(p.field, None, p.after) for p in props)
                props = ()
                if a.external_id is not None and a.external_id in synced:
                    named = {p.field for p in set_props}
                    set_props += tuple(FieldChange(k, None, None) for k in sent_props
                                       if k not in named and k not in a.properties and k in before.properties)
            if set_fields or set_props:
                unseen.append(MemberSetUnseen(a.external_id, a.email, _name(a), set_fields, set_props))
        if fields or props:
            out["update"].append(MemberUpdate(a.external_id, a.email, _name(a), tuple(fields), props))
    for i, b in enumerate(before.members):
        if i not in pairs:  # only drift can do this: the engine never deletes a member
            out["deactivate"].append(MemberDeactivate(b.external_id, b.email, _name(b), b.status, DELETED))
    return out


def _team_changes(before: Snapshot, after: Snapshot, people: _People, unseen: list[Change]) -> dict[str, list[Change]]:
    out: dict[str, list[Change]] = {k: [] for k in ("create", "adopt", "rename", "move", "add", "remove", "team_remove")}
    b_by_id = {t.officevibe_id: t for t in before.teams}
    a_by_id = {t.officevibe_id: t for t in after.teams}

    def parent_ref(t: SnapTeam, by_id: dict[str, SnapTeam]) -> TeamRef | None:
        p = by_id.get(t.parent) if t.parent is not None else None
        return TeamRef(p.external_id, p.name) if p is not None else None

    created: list[tuple[int, Change]] = []
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
            created.append((depth_of(a), TeamCreate(a.external_id, a.name, parent_ref(a, a_by_id),
                                                    people.idents(a.managers, "after"),
                                                    people.idents(a.members, "after"))))
            continue
        parent_unseen = (not a.rule_based and before.unknown_teams
                         and "parent" in before.unknown_teams.get(b.officevibe_id, ()))
        if a == b and not parent_unseen:
            continue
        team_id = a.external_id if a.external_id is not None else b.external_id
        if a.external_id != b.external_id and a.external_id is not None:
            out["adopt"].append(TeamAdopt(team_id, b.name, b.external_id, a.external_id))
        if a.name != b.name:
            out["rename"].append(TeamRename(team_id, b.name, a.name))
        if parent_unseen:  # the sync sets the parent; the account does not show the current one: not a move
            unseen.append(TeamSetUnseen(team_id, a.name, parent_ref(a, a_by_id)))
        elif a.parent != b.parent:
            out["move"].append(TeamMove(team_id, a.name, parent_ref(b, b_by_id), parent_ref(a, a_by_id)))
        _membership_changes(out, a, b, team_id, people)
    created.sort(key=lambda item: item[0])  # stable: parents first, then after-snapshot order
    out["create"] = [c for _, c in created]
    for b in before.teams:
        if b.officevibe_id not in a_by_id:
            out["team_remove"].append(TeamRemove(b.external_id, b.name, people.idents(b.managers, "before"),
                                                 people.idents(b.members, "before")))
    return out


def _membership_changes(out: dict[str, list[Change]], a: SnapTeam, b: SnapTeam, team_id: str | None,
                        people: _People) -> None:
    if a.managers == b.managers and a.members == b.members:
        return
    team = team_id if team_id is not None else a.name
    for role, a_list, b_list in (("manager", a.managers, b.managers), ("member", a.members, b.members)):
        a_keys = [people.key(e, "after") for e in a_list]
        b_keys = [people.key(e, "before") for e in b_list]
        a_set, b_set = set(a_keys), set(b_keys)
        for cls, keys, other in ((MembershipAdd, a_keys, b_set), (MembershipRemove, b_keys, a_set)):
            for k in keys:
                if k not in other:
                    out[cls.action].append(cls(team, a.name, people.ident(k), people.email(k), role))


def diff_snapshots(before: Snapshot, after: Snapshot) -> list[Change]:
    """Intent-level changes from ``before`` to ``after`` in plan order (see docs/plan.md). Fields
    ``before`` marks unknown are left out; ``diff_with_unseen`` gives them."""
    return diff_with_unseen(before, after)[0]


def diff_with_unseen(before: Snapshot, after: Snapshot, *, sent_props: Sequence[str] = (),
                     synced: set[str] | frozenset[str] = frozenset()) -> tuple[list[Change], list[Change]]:
    """(changes, fields set whose current value ``before`` does not show): a field marked unknown
    in ``before`` (``Snapshot.unknown_members`` / ``unknown_teams``, an export read without a state
    file value) is never an update or a move, only a ``MemberSetUnseen`` / ``TeamSetUnseen``."""
    changes, unseen, _ = _diff(before, after, sent_props=sent_props, synced=synced)
    return changes, unseen


def _diff(before: Snapshot, after: Snapshot, *, sent_props: Sequence[str] = (),
          synced: set[str] | frozenset[str] = frozenset()) -> tuple[list[Change], list[Change], _People]:
    """``diff_with_unseen`` and the person identity it used (for the plan's team warnings)."""
    pairs = _align_members(before, after)
    people = _People(before=before, after=after, pair_of_before=pairs,
                     after_by_email={email_key(m.email): j for j, m in enumerate(after.members)},
                     before_by_email={email_key(m.email): i for i, m in enumerate(before.members)})
    unseen_teams: list[Change] = []
    unseen_members: list[Change] = []
    members = _member_changes(before, after, pairs, unseen_members, sent_props, synced)
    teams = _team_changes(before, after, people, unseen_teams)
    return ([*teams["create"], *teams["adopt"], *teams["rename"], *teams["move"],
             *members["create"], *members["reactivate"], *members["update"],
             *teams["add"], *teams["remove"], *members["deactivate"], *teams["team_remove"]],
            [*unseen_teams, *unseen_members], people)


# --------------------------------------------------------------------------- plan


def build_plan(org: Org, snapshot: Snapshot, *, force: bool = False, drift_from: Snapshot | None = None,
               extra_warnings: Sequence[Problem] = ()) -> Plan:
    """Plan the sync(s) that take ``snapshot`` to ``org``. Pure; see the module docstring."""
    payloads = build_payloads(org, snapshot)
    state = snapshot
    reports: list[SyncReport] = []
    ambiguous: list[AmbiguousTeam] = []
    kept_admins: list[KeptAdminRole] = []
    simulated: list[Snapshot] = []
    for payload in payloads:
        state, report, notes = simulate_noted(state, payload)
        simulated.append(state)
        reports.append(report)
        ambiguous += notes.ambiguous_teams
        kept_admins = notes.kept_admin_roles  # the last sync's: the account as it stays
    final = payloads[-1]
    changes, unseen, people = _diff(snapshot, state, sent_props=tuple(org.properties),
                                    synced={m.external_id for m in final.members}
                                    if snapshot.unknown_members else frozenset())
    looks_different = different_team_warnings(snapshot, state, people.key)
    before_by_email = people.before_by_email  # email key -> snapshot member index, for the admin warnings
    del people  # the other email index and the key memos: not kept through the rest of the plan
    issues = _unique_issues(reports)
    top = max(reports, key=lambda r: r.risk_users)
    risk_users, risk_users_uncertain = top.risk_users, top.risk_users_uncertain
    risk_teams = max(r.risk_teams for r in reports)
    ids_m, ids_t = unverified_ids(snapshot, state)
    risk_users += ids_m  # each may be a member skipped and its real self deactivated
    risk_users_uncertain += ids_m
    protected = list(dict.fromkeys([*org.settings.protected, *snapshot.protected]))
    warnings = _warnings(org, snapshot, changes, issues, risk_users, risk_teams, extra_warnings,
                         risk_users_uncertain=risk_users_uncertain, by_email=before_by_email)
    del before_by_email
    warnings += ambiguous_team_warnings(ambiguous, org)
    warnings += looks_different
    warnings += kept_admin_warnings(kept_admins)
    if ids_m or ids_t:
        warnings.append(ids_warning(ids_m, ids_t))
    return Plan(organization=org.organization, changes=tuple(changes), warnings=tuple(warnings),
                guards=tuple(evaluate_guards(changes, snapshot, org.settings.safety, protected,
                                             frozenset(n.name for n in ambiguous))),
                risk_users=risk_users, risk_teams=risk_teams, syncs=len(payloads),
                fingerprint_desired=fingerprint_org(org), fingerprint_state=fingerprint_snapshot(snapshot),
                payloads=tuple(payloads), forced=force,
                drift=tuple(diff_snapshots(drift_from, snapshot)) if drift_from is not None else (),
                report_issues=tuple(issues), unseen=tuple(unseen), risk_users_uncertain=risk_users_uncertain,
                simulated=tuple(simulated))


def unverified_ids(before: Snapshot, after: Snapshot) -> tuple[int, int]:
    """(members, teams) that get an external id while ``before`` hides whether they hold one
    already (an export read with no state file value: ``unknown_*`` marks ``external_id``). If the
    account does hold another id, the sync skips such a member ("email already taken") and
    deactivates the real one, and creates such a team anew: the plan cannot call these safe."""
    if not before.unknown_members and not before.unknown_teams:
        return 0, 0
    hidden_m = {email_key(m.email) for m in before.members
                if m.external_id is None and "external_id" in before.unknown_members.get(email_key(m.email), ())}
    n_m = sum(1 for m in after.members if m.external_id is not None and email_key(m.email) in hidden_m)
    hidden_t = {t.officevibe_id for t in before.teams
                if t.external_id is None and "external_id" in before.unknown_teams.get(t.officevibe_id, ())}
    n_t = sum(1 for t in after.teams if t.external_id is not None and t.officevibe_id in hidden_t)
    return n_m, n_t


def ids_warning(members: int, teams: int) -> Warning_:
    """The warning of a plan that sends ids the account may contradict (``unverified_ids``)."""
    what = " and ".join(f"{n} {noun}{'s' if n != 1 else ''}" for n, noun in ((members, "member"), (teams, "team")) if n)
    return Warning_("ids_unverified",
                    f"external ids of {what} cannot be verified: the account's export hides them and no state "
                    "file value exists. If the account holds other ids, the sync skips those members (email "
                    "already taken) and deactivates the real ones, and creates those teams anew (history lost); "
                    f"up to {members} deactivation(s) are counted in the user risk range. Give ovctl the ids "
                    "(--state-file, or `ovctl import live --ids`; docs/adopting.md) before applying")


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
              risk_teams: int, extra: Sequence[Problem], *, risk_users_uncertain: int = 0,
              by_email: dict[str, int] | None = None) -> list[Warning_]:
    """``by_email``: email key -> index in ``snapshot.members`` (last one of a key), when the
    caller has built it already (``_People.before_by_email``)."""
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
    if by_email is None:
        by_email = {email_key(m.email): i for i, m in enumerate(snapshot.members)}
    for m in org.members:
        sm = by_ext.get(m.id)
        if sm is None:
            i = by_email.get(email_key(m.email))
            sm = snapshot.members[i] if i is not None else None
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
