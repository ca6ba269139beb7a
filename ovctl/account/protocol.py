"""The account as the rest of ovctl sees it: read a snapshot, send a sync.

``flows`` and ``commands`` talk to an ``Account``; ``account.http.HttpAccount`` is the one
implementation (a real Workleap account, or the sandbox, over HTTP). Keeping the interface this
small is what lets apply be tested and reasoned about without the transport's details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ovctl.core.model import Payload, PropertyDef, ReportItem, Snapshot

if TYPE_CHECKING:
    from ovctl.core.snapshot import MemberForms


@dataclass(slots=True)
class SyncResult:
    """What the account said about one sync. ``status`` is one of ``wire.SYNC_STATUSES``."""

    sync_id: str | None
    status: str
    updates: list[ReportItem] = field(default_factory=list)
    issues: list[ReportItem] = field(default_factory=list)
    risk: dict[str, int] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


class Account(Protocol):
    """One account ovctl reads and syncs. Errors are ``ApiError`` (or ``UsageError``)."""

    @property
    def endpoint(self) -> str | None:
        """The base URL given by the user, or None for the real account's default hosts."""
        ...

    @property
    def reads_through_export(self) -> bool:
        """Whether reads go through the export API, which cannot give external ids, statuses,
        properties or parents (a real account, or ``OVCTL_EXPORT_ONLY``). Known after a read."""
        ...

    def read(self, state: Snapshot | None, *,
             assumed_properties: dict[str, PropertyDef] | None = None) -> Snapshot:
        """The account as a Snapshot, what it cannot show carried from ``state`` (the state file)."""
        ...

    def read_after_sync(self, expected: Snapshot, final_payload: Payload | None, *,
                        predicted: MemberForms | None = None) -> Snapshot:
        """The account right after ovctl's syncs, gaps filled from ``expected`` (the simulated
        outcome); ``predicted``: the forms of ``expected``'s members, when the caller made them."""
        ...

    def sync(self, body: dict[str, Any] | bytes) -> SyncResult:
        """Send one full-state sync body (already in the flavour's wire format; bytes: its JSON text)."""
        ...

    def pending_syncs(self) -> list[str] | None:
        """Ids of syncs the account holds for approval, oldest first; None when the account cannot
        say (a real account shows its sync history only in the app)."""
        ...

    def is_sandbox(self) -> bool:
        """Whether this is an ovctl sandbox (its pending syncs are approved there, not in Workleap)."""
        ...

    def close(self) -> None:
        ...

    def __enter__(self) -> "Account":
        ...

    def __exit__(self, *exc: object) -> None:
        ...
