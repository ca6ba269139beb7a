"""``HttpAccount``: the ``Account`` protocol over HTTP, for a real account or the sandbox.

It joins the transport (``client.Client``) and the reading strategy (``live``): a sandbox hands
over its whole snapshot, a real account (or any endpoint with ``OVCTL_EXPORT_ONLY``) is read
through the export API. Callbacks, not streams, carry what the user should see: this layer
knows nothing of consoles or files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ovctl.account import live
from ovctl.account.client import Client
from ovctl.account.protocol import SyncResult
from ovctl.account.settings import DEFAULT_EXPORT_CONCURRENCY, AccountSettings
from ovctl.core.errors import ApiError
from ovctl.core.model import Payload, PropertyDef, Snapshot

if TYPE_CHECKING:
    from ovctl.core.snapshot import MemberForms

Notify = Callable[[str], None]


class HttpAccount:
    """One account over HTTP (see ``protocol.Account``)."""

    def __init__(self, client: Client, *, export_only: bool = False, progress: live.Progress | None = None,
                 export_concurrency: int = DEFAULT_EXPORT_CONCURRENCY) -> None:
        self.client = client
        self.export_only = export_only
        self.export_concurrency = export_concurrency
        self._progress = progress

    @property
    def endpoint(self) -> str | None:
        return self.client.endpoint

    @property
    def reads_through_export(self) -> bool:
        return self.client.is_sandbox is not True

    def read(self, state: Snapshot | None, *,
             assumed_properties: dict[str, PropertyDef] | None = None) -> Snapshot:
        return live.pull_snapshot(self.client, state, assumed_properties=assumed_properties,
                                  export_only=self.export_only, progress=self._progress,
                                  concurrency=self.export_concurrency)

    def read_after_sync(self, expected: Snapshot, final_payload: Payload | None, *,
                        predicted: MemberForms | None = None) -> Snapshot:
        return live.pull_after_sync(self.client, expected, final_payload, export_only=self.export_only,
                                    progress=self._progress, concurrency=self.export_concurrency,
                                    predicted=predicted)

    def sync(self, body: dict[str, Any] | bytes) -> SyncResult:
        return self.client.sync(body)

    def pending_syncs(self) -> list[str] | None:
        if self.client.is_default_endpoint:
            return None
        syncs = self.client.sandbox_syncs()
        if syncs is None:
            return None
        return [str(s.get("id")) for s in syncs if s.get("status") == "pending"]

    def is_sandbox(self) -> bool:
        """Known once the sandbox snapshot was asked for; else asked now (an export-only read never
        asks), except of the real account's default hosts, which are never a sandbox."""
        if self.client.is_sandbox is None and not self.client.is_default_endpoint:
            try:
                self.client.sandbox_snapshot()
            except ApiError:
                return False
        return bool(self.client.is_sandbox)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "HttpAccount":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(endpoint: str | None, flavor: str, settings: AccountSettings, *, on_retry: Notify | None = None,
            on_warning: Notify | None = None, progress: live.Progress | None = None) -> HttpAccount:
    """The account at ``endpoint`` (None: the real account's default hosts) for ``flavor``."""
    client = Client(endpoint, flavor, settings.api_key, timeout=settings.timeout, on_retry=on_retry,
                    on_warning=on_warning, pool_size=settings.export_concurrency)
    return HttpAccount(client, export_only=settings.export_only, progress=progress,
                       export_concurrency=settings.export_concurrency)
