"""The pure data of ovctl: desired org, observed snapshot, sync payload, sync report, plan.

No I/O here. Everything is a plain dataclass (``records.record``: slotted, cheap to define) so
that the core stays cheap to build for tens of thousands of members and trivially JSON-able (``to_dict``, ``Plan.data``). The
plan's changes are typed values of their own (``ovctl.core.changes``).

Conventions shared by every module:
- property values are normalised strings everywhere in the core: choices/text as given, dates as
  ``YYYY-MM-DD``, numerics in their shortest decimal form (``normalize_property_value``);
- in a snapshot, members are referred to by email (as the export API identifies them) and teams
  by Officevibe id; in a payload, both are referred to by external id;
- emails are compared case-insensitively (``email_key``).
"""

from __future__ import annotations

import copy
from dataclasses import field
from typing import Any, Iterable

from ovctl.core.changes import ACTIONS, Change
from ovctl.core.records import record

# Property types and value text forms live in one table (``core/properties``); re-exported here.
from ovctl.core.properties import DATE_TEXT, NUMBER_TEXT, PROPERTY_TYPES, normalize_property_value  # noqa: F401

STATUSES = ("created", "invited", "active", "deactivated")
ROLES = ("member", "admin", "executive")


def lone_surrogate_field(data: Any) -> str | None:
    """The field path (``members[3].first_name``) of the first string or key in parsed JSON that
    holds a lone UTF-16 surrogate (JSON's ``"\\ud800"`` escape decodes to one), else None. Such a
    string is not Unicode text: it cannot be hashed, written or printed as UTF-8. Iterative, so
    any depth the JSON parser accepted is fine."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return path or "(document)"
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                sub = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and not key.isascii():
                    try:
                        key.encode("utf-8")
                    except UnicodeEncodeError:
                        return (f"{path}." if path else "") + key.encode("utf-8", "backslashreplace").decode("ascii")
                stack.append((sub, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))
    return None


def email_key(email: str) -> str:
    """Identity of an email address: case-insensitive, surrounding blanks ignored."""
    return email.strip().lower()


# --------------------------------------------------------------------------- properties


@record
class PropertyDef:
    """A member property that exists in the account (ovctl can assign values, never create it)."""

    type: str  # one of PROPERTY_TYPES
    options: tuple[str, ...] | None = None  # for choices only

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type}
        if self.options is not None:
            d["options"] = list(self.options)
        return d


# --------------------------------------------------------------------------- desired state


@record
class Member:
    """A member as the org file wants it. ``id`` is the external (HRIS) id."""

    id: str
    email: str
    first_name: str
    last_name: str
    job_title: str | None = None
    language: str | None = None
    properties: dict[str, str] = field(default_factory=dict)


@record
class Team:
    """A team as the org file wants it, flattened: ``parent`` is the parent's external id."""

    id: str
    name: str
    parent: str | None = None
    managers: list[str] = field(default_factory=list)  # member ids
    members: list[str] = field(default_factory=list)  # member ids
    previous_name: str | None = None


@record
class Safety:
    """Plan guards: ratios of the current population, never below ``floor`` changes; updates of
    existing members above ``max_update_ratio`` of them, in accounts of ``update_min_members`` or more."""

    max_deactivation_ratio: float = 0.10
    max_team_removal_ratio: float = 0.10
    floor: int = 5
    max_update_ratio: float = 0.30
    update_min_members: int = 10


@record
class Settings:
    risk_users: int | None = None  # mirror of the account's risk thresholds
    risk_teams: int | None = None
    safety: Safety = field(default_factory=Safety)
    protected: list[str] = field(default_factory=list)  # member ids


@record
class Org:
    """The desired state: the merged, validated org file(s).

    ``teams`` is flat and ordered parents-before-children (a pre-order walk of the tree).
    """

    organization: str = ""
    settings: Settings = field(default_factory=Settings)
    properties: dict[str, PropertyDef] = field(default_factory=dict)
    members: list[Member] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)


# --------------------------------------------------------------------------- observed state


@record
class SnapMember:
    """A member as the account has it (docs/apply.md, snapshot). ``properties`` values are normalised strings."""

    email: str
    external_id: str | None = None
    first_name: str = ""
    last_name: str = ""
    job_title: str | None = None
    language: str | None = None
    status: str = "active"  # one of STATUSES
    role: str = "member"  # one of ROLES
    properties: dict[str, str] = field(default_factory=dict)


@record
class SnapTeam:
    """A team as the account has it. ``parent`` is an Officevibe id; people are emails."""

    officevibe_id: str
    name: str
    external_id: str | None = None
    parent: str | None = None
    managers: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    rule_based: bool = False


@record
class Snapshot:
    """The account's state, as pulled (or as kept in the state file).

    ``protected`` (member ids) is only kept by the state file, so that removing a member from
    ``settings.protected`` in YAML does not lift the protection.
    """

    members: list[SnapMember] = field(default_factory=list)
    teams: list[SnapTeam] = field(default_factory=list)
    properties: dict[str, PropertyDef] = field(default_factory=dict)
    invite_new_members: bool = False
    protected: list[str] = field(default_factory=list)
    applied_plans: list[str] = field(default_factory=list)  # state file only: plans already applied
    format_version: int = 1
    # Fields whose current value the account did not show (read through the export with no state
    # file value for them): the value held here is a placeholder, not the account's. Keyed by email
    # key (members) and Officevibe id (teams); never written (``to_dict``), never compared.
    unknown_members: dict[str, frozenset[str]] = field(default_factory=dict, compare=False)
    unknown_teams: dict[str, frozenset[str]] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The public snapshot format of docs/apply.md (``schemas/state.schema.json``)."""
        d: dict[str, Any] = {
            "format_version": self.format_version,
            "settings": {"invite_new_members": self.invite_new_members},
            "properties": {k: v.to_dict() for k, v in self.properties.items()},
            # Field by field (the fields' order), not ``dataclasses.asdict``: that deep-copies
            # through a generic recursion, ~5x slower on a large state (tests/test_snapshot_dict.py
            # checks the two agree, field for field).
            "members": [{"email": m.email, "external_id": m.external_id, "first_name": m.first_name,
                         "last_name": m.last_name, "job_title": m.job_title, "language": m.language,
                         "status": m.status, "role": m.role, "properties": dict(m.properties)}
                        for m in self.members],
            "teams": [{"officevibe_id": t.officevibe_id, "name": t.name, "external_id": t.external_id,
                       "parent": t.parent, "managers": list(t.managers), "members": list(t.members),
                       "rule_based": t.rule_based}
                      for t in self.teams],
        }
        if self.protected:
            d["protected"] = list(self.protected)
        if self.applied_plans:
            d["applied_plans"] = list(self.applied_plans)
        return d


# --------------------------------------------------------------------------- sync payload


@record
class PayloadMember:
    external_id: str
    email: str
    first_name: str
    last_name: str
    job_title: str | None = None
    language: str | None = None
    properties: dict[str, str] = field(default_factory=dict)  # "" clears a value


@record
class PayloadTeam:
    external_id: str
    name: str


@record
class Mapping:
    """One mapping row: a member (as member and/or manager) or a sub-team, attached to a team."""

    team: str  # external team id
    member: str | None = None  # external member id
    subteam: str | None = None  # external team id of the sub-team
    is_member: bool = False
    is_manager: bool = False


@record
class Payload:
    """A flavour-neutral provisioning sync: what the account receives, before wire encoding."""

    members: list[PayloadMember] = field(default_factory=list)
    teams: list[PayloadTeam] = field(default_factory=list)
    mappings: list[Mapping] = field(default_factory=list)


# --------------------------------------------------------------------------- sync report


@record
class ReportItem:
    """One line of a sync report. ``message`` uses the account's own wording for issues
    (e.g. "Attribute Not Found"); ``subject`` names the member/team/property concerned."""

    kind: str  # "user" | "team" | "mapping"
    message: str
    subject: str = ""
    detail: str = ""


@record
class SyncReport:
    updates: list[ReportItem] = field(default_factory=list)
    issues: list[ReportItem] = field(default_factory=list)
    risk_users: int = 0
    risk_teams: int = 0
    # The part of risk_users that depends on values the snapshot did not show (property values of
    # members read through the export with no state file value): the account may count fewer.
    risk_users_uncertain: int = 0


# --------------------------------------------------------------------------- plan

PLAN_FORMAT_VERSION = 1  # of the plan JSON (docs/plan.md), not of the plan file that embeds it


@record
class Warning_:
    code: str
    message: str
    # What the warning names, for machines (plan JSON ``details``, docs/plan.md); None for most codes.
    details: dict[str, Any] | None = None


@record
class GuardResult:
    """A safety guard that fired: which, by how much, and how to proceed."""

    guard: str
    message: str
    actual: float | int | None = None
    limit: float | int | None = None
    subjects: list[str] = field(default_factory=list)


@record(frozen=True)
class Plan:
    """A plan is a value: renderers only read it. Sequences are stored as tuples (lists are accepted
    and converted), so ``summary`` and ``blocked``, computed once here, can never go stale; derive
    a variant with ``dataclasses.replace``."""

    organization: str
    changes: tuple[Change, ...]
    warnings: tuple[Warning_, ...]
    guards: tuple[GuardResult, ...]
    risk_users: int
    risk_teams: int
    syncs: int
    fingerprint_desired: str
    fingerprint_state: str
    payloads: tuple[Payload, ...]
    forced: bool = False
    drift: tuple[Change, ...] = ()
    report_issues: tuple[ReportItem, ...] = ()
    # Fields the sync sets whose current value the account does not show (MemberSetUnseen,
    # TeamSetUnseen): neither updates nor moves, counted apart.
    unseen: tuple[Change, ...] = ()
    # The part of the risk counts that depends on values the account does not show: the real
    # counts lie between risk - uncertain and risk.
    risk_users_uncertain: int = 0
    risk_teams_uncertain: int = 0
    # The account as the plan's own simulation leaves it after each sync (one per payload), kept so
    # that apply does not simulate the same syncs again; not part of the plan's value or its JSON.
    simulated: tuple[Snapshot, ...] = field(default=(), repr=False, compare=False)
    summary: dict[str, dict[str, int]] = field(init=False, repr=False, compare=False)
    blocked: bool = field(init=False, repr=False, compare=False)  # guards fired and not lifted by --force

    def __post_init__(self) -> None:
        for name in ("changes", "warnings", "guards", "payloads", "drift", "report_issues", "unseen"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, "summary", summary_counts(self.changes))
        object.__setattr__(self, "blocked", bool(self.guards) and not self.forced)

    @property
    def safe(self) -> bool:
        return not self.guards

    @property
    def has_changes(self) -> bool:
        """Anything to send: changes, or fields set whose current value is not visible."""
        return bool(self.changes or self.unseen)

    @property
    def pending(self) -> bool:
        """The account will not match the org after this plan: something to send, or values the
        account is predicted to skip (``--detailed-exitcode`` exits 2)."""
        return self.has_changes or bool(self.report_issues)

    @property
    def unseen_summary(self) -> dict[str, int]:
        """Number of members and teams with fields set whose current value is not visible."""
        out = {"member": 0, "team": 0}
        for c in self.unseen:
            out[c.kind] += 1
        return out

    def data(self) -> dict[str, Any]:
        """The plan JSON of docs/plan.md (``schemas/plan.schema.json``), fresh on every call (callers may
        mutate it). Contract keys come first, in the order of docs/plan.md; additive keys (``guards``,
        ``forced``, ``drift``, ``skipped``, ``ovctl_version``) follow. The plan file
        (``ovctl.files.planfile``) embeds exactly this, so a saved plan and ``--format json`` agree."""
        from ovctl import __version__

        return {
            "format_version": PLAN_FORMAT_VERSION,
            "organization": self.organization,
            "summary": {kind: dict(counts) for kind, counts in self.summary.items()},
            "changes": [c.data() for c in self.changes],
            "warnings": [{"code": w.code, "message": w.message,
                          **({"details": copy.deepcopy(w.details)} if w.details is not None else {})}
                         for w in self.warnings],
            "risk": {"users": self.risk_users, "teams": self.risk_teams},
            "safe": self.safe,
            "syncs": self.syncs,
            "fingerprint": {"desired": self.fingerprint_desired, "state": self.fingerprint_state},
            "guards": [
                {"guard": g.guard, "message": g.message, "actual": g.actual, "limit": g.limit,
                 "subjects": [str(s) for s in g.subjects]}
                for g in self.guards
            ],
            "forced": self.forced,
            "drift": [c.data() for c in self.drift],
            "skipped": [
                {"kind": i.kind, "message": i.message, "subject": i.subject, "detail": i.detail}
                for i in self.report_issues
            ],
            "not_visible": [c.data() for c in self.unseen],
            "not_visible_summary": self.unseen_summary,
            "risk_range": {"users": [self.risk_users - self.risk_users_uncertain, self.risk_users],
                           "teams": [self.risk_teams - self.risk_teams_uncertain, self.risk_teams]},
            "ovctl_version": __version__,
        }


def summary_counts(changes: Iterable[Change]) -> dict[str, dict[str, int]]:
    """Every kind with every action of ``ACTIONS``, zeros included (consumers need no ``.get``
    defaults)."""
    summary: dict[str, dict[str, int]] = {kind: {a: 0 for a in actions} for kind, actions in ACTIONS.items()}
    for c in changes:
        summary[c.kind][c.action] += 1
    return summary
