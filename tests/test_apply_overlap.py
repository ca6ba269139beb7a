"""``flows.send.sync_meanwhile``: the sync is sent on its own thread while apply prepares the
state file's text; the sync's answer and errors reach the caller as if it had been sent there,
and a failed preparation only costs the advance. (The end-to-end apply tests run it against a
real sandbox; these pin the thread contract with an account object that records the order.)"""

from __future__ import annotations

import threading

import pytest

from ovctl.account.protocol import SyncResult
from ovctl.core.errors import ApiError, SyncOutcomeUnknown
from ovctl.flows.send import sync_meanwhile as _sync_meanwhile


class _Account:
    """Answers a sync only once the work on the caller's thread has begun: if the two ran one
    after the other, the sync would wait for ever (bounded here, so the test fails instead)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.work_started = threading.Event()
        self.error = error
        self.thread: str | None = None
        self.body: bytes | None = None

    def sync(self, body: bytes) -> SyncResult:
        self.thread, self.body = threading.current_thread().name, body
        if not self.work_started.wait(timeout=10):
            raise AssertionError("the work did not run while the sync was waiting")
        if self.error is not None:
            raise self.error
        return SyncResult(sync_id="sync-1", status="applied")


def test_the_work_runs_while_the_sync_waits() -> None:
    account = _Account()

    def work() -> str:
        account.work_started.set()
        return "text"

    result, done = _sync_meanwhile(account, b"{}", work)  # type: ignore[arg-type]
    assert (result.sync_id, result.status, done) == ("sync-1", "applied", "text")
    assert account.thread != threading.current_thread().name and account.body == b"{}"


@pytest.mark.parametrize("error", [ApiError("the account rejected the request (400): no"),
                                   SyncOutcomeUnknown("outcome unknown: no answer")])
def test_the_syncs_errors_are_raised_to_the_caller(error: Exception) -> None:
    account = _Account(error)
    ran: list[str] = []

    def work() -> None:
        account.work_started.set()
        ran.append("work")

    with pytest.raises(type(error)) as got:
        _sync_meanwhile(account, b"{}", work)  # type: ignore[arg-type]
    assert got.value is error and ran == ["work"]


def test_a_failed_advance_is_only_a_missing_advance() -> None:
    account = _Account()

    def work() -> str:
        account.work_started.set()
        raise ValueError("could not prepare")

    result, done = _sync_meanwhile(account, b"{}", work)  # type: ignore[arg-type]
    assert result.status == "applied" and done is None
