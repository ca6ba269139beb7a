"""The plan's changes as typed values: one frozen, slotted class per (kind, action).

The planner builds them, the guards and the renderers read their fields, and ``data()`` is the one
place that spells the public change object of docs/plan.md (``schemas/plan.schema.json``): ``kind``,
``action``, then ids, names and ``before``/``after``, always in that key order. Keeping the JSON
shape in one method per class means no reader has to guess which keys a dict payload carries.

``subject`` names what a change is about — a member, a team, or one (team, person, role)
assignment — so a drift change and the plan change that undoes it compare equal.

The classes are cheap on purpose (slots, no work at construction): a plan can hold tens of
thousands of them.
"""

from __future__ import annotations

from ovctl.core.records import record
from typing import Any, ClassVar

DELETED = "deleted"  # status shown when a member vanished from the account (drift only)

ACTIONS: dict[str, tuple[str, ...]] = {
    "member": ("create", "update", "deactivate", "reactivate"),
    "team": ("create", "rename", "adopt", "move", "remove"),
    "membership": ("add", "remove"),
}


@record(frozen=True)
class FieldChange:
    """One changed field of a member update: a profile field, or a property (named by the property)."""

    field: str
    before: str | None
    after: str | None


@record(frozen=True)
class TeamRef:
    """A parent team as the plan names it: its external id (None when it has none) and its name."""

    id: str | None
    name: str | None


def _parent(ref: TeamRef | None) -> dict[str, Any]:
    return {"parent": ref.id if ref is not None else None, "parent_name": ref.name if ref is not None else None}


# --------------------------------------------------------------------------- members


@record(frozen=True)
class MemberChange:
    """What every member change carries: external id (None for a member without one), email, name."""

    id: str | None
    email: str
    name: str

    @property
    def subject(self) -> tuple[str, ...]:
        return ("member", str(self.id or self.email))

    def _head(self) -> dict[str, Any]:
        return {"kind": self.kind, "action": self.action,  # type: ignore[attr-defined]
                "id": self.id, "email": self.email, "name": self.name}


@record(frozen=True)
class MemberCreate(MemberChange):
    """A member the sync creates, with every field it gets."""

    kind: ClassVar[str] = "member"
    action: ClassVar[str] = "create"
    first_name: str
    last_name: str
    job_title: str | None
    language: str | None
    status: str
    properties: tuple[tuple[str, str], ...] = ()

    def data(self) -> dict[str, Any]:
        return {**self._head(), "after": {
            "email": self.email, "first_name": self.first_name, "last_name": self.last_name,
            "job_title": self.job_title, "language": self.language, "status": self.status,
            "properties": dict(self.properties)}}


@record(frozen=True)
class MemberUpdate(MemberChange):
    """A member whose profile fields (``email``, ``job_title``, …, ``status`` within the same
    active/deactivated side) or property values change; only what differs is listed."""

    kind: ClassVar[str] = "member"
    action: ClassVar[str] = "update"
    fields: tuple[FieldChange, ...] = ()
    properties: tuple[FieldChange, ...] = ()  # FieldChange.field is the property name

    def data(self) -> dict[str, Any]:
        before: dict[str, Any] = {f.field: f.before for f in self.fields}
        after: dict[str, Any] = {f.field: f.after for f in self.fields}
        if self.properties:
            before["properties"] = {p.field: p.before for p in self.properties}
            after["properties"] = {p.field: p.after for p in self.properties}
        return {**self._head(), "before": before, "after": after}


@record(frozen=True)
class _MemberStatus(MemberChange):
    before: str
    after: str  # DELETED when the member vanished from the account (drift only)

    def data(self) -> dict[str, Any]:
        return {**self._head(), "before": {"status": self.before}, "after": {"status": self.after}}


@record(frozen=True)
class MemberDeactivate(_MemberStatus):
    kind: ClassVar[str] = "member"
    action: ClassVar[str] = "deactivate"


@record(frozen=True)
class MemberReactivate(_MemberStatus):
    kind: ClassVar[str] = "member"
    action: ClassVar[str] = "reactivate"


# --------------------------------------------------------------------------- teams


@record(frozen=True)
class TeamChange:
    """What every team change carries: the team's external id (None for a team without one); each
    class adds ``name`` (a field, or the new name of a rename)."""

    id: str | None

    @property
    def subject(self) -> tuple[str, ...]:
        return ("team", str(self.id or self.name))  # type: ignore[attr-defined]

    def _head(self) -> dict[str, Any]:
        return {"kind": self.kind, "action": self.action,  # type: ignore[attr-defined]
                "id": self.id, "name": self.name}  # type: ignore[attr-defined]


@record(frozen=True)
class TeamCreate(TeamChange):
    """A new team, with its parent and its people (external ids, or emails for members without one)."""

    kind: ClassVar[str] = "team"
    action: ClassVar[str] = "create"
    name: str
    parent: TeamRef | None = None  # None: top level
    managers: tuple[str, ...] = ()
    members: tuple[str, ...] = ()

    def data(self) -> dict[str, Any]:
        return {**self._head(), "after": {"name": self.name, **_parent(self.parent), "managers": list(self.managers),
                          "members": list(self.members)}}


@record(frozen=True)
class TeamAdopt(TeamChange):
    """A team without an external id that gets one (``name`` is its name before this sync)."""

    kind: ClassVar[str] = "team"
    action: ClassVar[str] = "adopt"
    name: str
    before: str | None  # external id before (None)
    after: str  # external id attached

    def data(self) -> dict[str, Any]:
        return {**self._head(), "before": {"external_id": self.before}, "after": {"external_id": self.after}}


@record(frozen=True)
class TeamRename(TeamChange):
    """A team whose name changes; ``name`` is the new one."""

    kind: ClassVar[str] = "team"
    action: ClassVar[str] = "rename"
    before: str
    after: str

    @property
    def name(self) -> str:
        return self.after

    def data(self) -> dict[str, Any]:
        return {**self._head(), "before": {"name": self.before}, "after": {"name": self.after}}


@record(frozen=True)
class TeamMove(TeamChange):
    """A team that gets another parent (None: top level)."""

    kind: ClassVar[str] = "team"
    action: ClassVar[str] = "move"
    name: str
    before: TeamRef | None
    after: TeamRef | None

    def data(self) -> dict[str, Any]:
        return {**self._head(), "before": _parent(self.before), "after": _parent(self.after)}


@record(frozen=True)
class TeamRemove(TeamChange):
    """A team the sync removes, with the people it had (its history in the account is lost)."""

    kind: ClassVar[str] = "team"
    action: ClassVar[str] = "remove"
    name: str
    managers: tuple[str, ...] = ()
    members: tuple[str, ...] = ()

    def data(self) -> dict[str, Any]:
        return {**self._head(), "before": {"name": self.name, "managers": list(self.managers), "members": list(self.members)}}


# --------------------------------------------------------------------------- memberships


@record(frozen=True)
class MembershipChange:
    """One person added to or removed from one team in one role (``manager`` or ``member``).
    ``team`` is the team's external id (its name when it has none); ``member`` the person's
    external id (its email when it has none)."""

    team: str
    team_name: str
    member: str
    email: str
    role: str

    @property
    def subject(self) -> tuple[str, ...]:
        return ("membership", str(self.team or self.team_name), str(self.member or self.email), str(self.role))

    def data(self) -> dict[str, Any]:
        return {"kind": self.kind, "action": self.action,  # type: ignore[attr-defined]
                "team": self.team, "team_name": self.team_name, "member": self.member, "email": self.email,
                "role": self.role}


@record(frozen=True)
class MembershipAdd(MembershipChange):
    kind: ClassVar[str] = "membership"
    action: ClassVar[str] = "add"


@record(frozen=True)
class MembershipRemove(MembershipChange):
    kind: ClassVar[str] = "membership"
    action: ClassVar[str] = "remove"


Change = (MemberCreate | MemberUpdate | MemberDeactivate | MemberReactivate | TeamCreate | TeamAdopt | TeamRename
          | TeamMove | TeamRemove | MembershipAdd | MembershipRemove)
"""Any plan change (or drift change)."""

CHANGE_TYPES: tuple[type, ...] = (MemberCreate, MemberUpdate, MemberDeactivate, MemberReactivate, TeamCreate,
                                  TeamAdopt, TeamRename, TeamMove, TeamRemove, MembershipAdd, MembershipRemove)


# --------------------------------------------------------------------------- not visible


@record(frozen=True)
class MemberSetUnseen(MemberChange):
    """Fields of a member the sync sets whose current value the account does not show (read
    through the export, no state file value): neither an update nor a no-op, as far as ovctl can
    tell. ``fields``/``properties`` carry the value sent (``after``; ``before`` is always None, and
    a property ``after`` of None is a value cleared)."""

    kind: ClassVar[str] = "member"
    action: ClassVar[str] = "set"
    fields: tuple[FieldChange, ...] = ()
    properties: tuple[FieldChange, ...] = ()

    def data(self) -> dict[str, Any]:
        after: dict[str, Any] = {f.field: f.after for f in self.fields}
        if self.properties:
            after["properties"] = {p.field: p.after for p in self.properties}
        return {**self._head(), "before": "not visible", "after": after}


@record(frozen=True)
class TeamSetUnseen(TeamChange):
    """A team whose parent the sync sets while the account does not show its current parent: not a
    move, as far as ovctl can tell."""

    kind: ClassVar[str] = "team"
    action: ClassVar[str] = "set"
    name: str
    parent: TeamRef | None = None  # the parent sent (None: top level)

    def data(self) -> dict[str, Any]:
        return {**self._head(), "before": "not visible", "after": _parent(self.parent)}


UNSEEN_TYPES: tuple[type, ...] = (MemberSetUnseen, TeamSetUnseen)
