"""Sending an apply's syncs (docs/apply.md, "Journal"): each one's intent journaled first, then the
sync sent while the state file's text of its expected result is made, its answer reported and,
for all but the last, its expected result recorded at once. ``flows.apply`` plans before and
verifies after; this module is the part between, where a crash, a kill or a lost answer must
leave a known state (``journal``).
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

from ovctl.account.protocol import Account, SyncResult
from ovctl.console import Console
from ovctl.core import jsontext
from ovctl.core.engine import ATTRIBUTE_NOT_FOUND
from ovctl.core.errors import ApiError, SyncOutcomeUnknown
from ovctl.core.model import Plan, Snapshot
from ovctl.flows import journal

APPROVAL_HINT = ("approve it in Workleap (Settings → Provisioning → View sync history), then run "
                 "`ovctl pull` / `ovctl plan` to see the result")
SANDBOX_APPROVAL_HINT = ("approve it in the sandbox with POST {endpoint}/sandbox/syncs/{sync_id}/approve (see "
                         "docs/sandbox.md), then run `ovctl pull` / `ovctl plan` to see the result")
MAX_APPLIED_PLANS = 100  # how many applied-plan fingerprints the state file remembers
CRASH_ENV = "OVCTL_CRASH_AT"  # fault injection for the crash tests (see crash_point)
T = TypeVar("T")


def applied_key(plan: Plan) -> str:
    """How the state file remembers an applied plan: its two input fingerprints."""
    return f"{plan.fingerprint_desired}+{plan.fingerprint_state}"


def state_to_write(live: Snapshot, previous: Snapshot, org_protected: Sequence[str],
                   applied: str | None) -> Snapshot:
    """``live`` with ovctl's own records, to be written as the state file: the protected members of
    the previous state, the org and ``live``; the plans applied so far (the last
    ``MAX_APPLIED_PLANS``), and ``applied`` when given."""
    live.protected = list(dict.fromkeys([*previous.protected, *org_protected, *live.protected]))
    history = list(dict.fromkeys([*previous.applied_plans, *live.applied_plans]))
    if applied and applied not in history:
        history.append(applied)
    live.applied_plans = history[-MAX_APPLIED_PLANS:]
    return live


def _print_report(io: Console, n: int, total: int, result: SyncResult) -> None:
    ident = f" (sync id {result.sync_id})" if result.sync_id else ""
    io.say(f"sync {n}/{total}: {result.status}{ident}; {len(result.updates)} update(s), "
           f"{len(result.issues)} skipped item(s)")
    for item in result.issues:
        subject = f" — {item.subject}" if item.subject else ""
        detail = f" ({item.detail})" if item.detail else ""
        io.say(f"  skipped: {item.message}{subject}{detail}")


@dataclass
class SendOutcome:
    """What happened to the syncs: how many were applied, why sending stopped (None: all applied)."""

    applied: int = 0
    stopped: str | None = None
    maybe_changed: bool = False  # something may have changed in the account (an applied or failed sync)
    not_found: set[str] = field(default_factory=set)  # properties the account reported as missing
    skipped: set[tuple[str, str, str]] = field(default_factory=set)  # distinct items the account skipped
    unknown: bool = False  # the last sync's outcome is unknown (its journal entry is kept)
    expected: Snapshot | None = None  # the simulated account after the last applied sync
    prepared: Any = None  # the state file's text of the last sent sync's expected result (statefile.PreparedText)


def sync_meanwhile(account: Account, text: bytes, work: Callable[[], T]) -> tuple[SyncResult, T | None]:
    """``account.sync(text)`` on a thread while ``work()`` runs on this one. Why: the account
    spends ~0.5 s of its own on a 20,000-member sync, a time in which ovctl could only wait, and
    then do what ``work`` does ahead (the state file's text: ~0.1 s off an apply's critical path).
    ``work`` only saves time: None when it failed, and the caller does it the usual way. The
    sync's errors are raised here, as if it had been sent on this thread; an interrupt while
    waiting leaves the sending thread (a daemon) to end with the process, as a cut request would."""
    box: list[tuple[bool, Any]] = []

    def send() -> None:
        try:
            box.append((True, account.sync(text)))
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread, raised there
            box.append((False, e))

    worker = threading.Thread(target=send, name="ovctl-sync", daemon=True)
    worker.start()
    try:
        done: T | None = work()
    except Exception:  # noqa: BLE001 - an advance only: the caller does the work itself
        done = None
    worker.join()
    ok, value = box[0]
    if not ok:
        raise value
    return value, done


def approval_hint(account: Account, sync_id: str | None) -> str:
    """How to approve a pending sync: in Workleap, or — when the endpoint is a sandbox — there."""
    if account.is_sandbox():
        return SANDBOX_APPROVAL_HINT.format(endpoint=account.endpoint, sync_id=sync_id or "<sync id>")
    return APPROVAL_HINT


def crash_point(io: Console, point: str) -> None:
    """Fault injection for the crash tests: ``OVCTL_CRASH_AT=<point>`` kills this process there with
    SIGKILL (no clean-up runs), as a power cut or ``kill -9`` would. Points: ``before-send:N``,
    ``after-send:N``, ``before-state``."""
    if io.environ.get(CRASH_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class SendContext:
    """What sending needs besides the bodies: where the journal goes and what each sync should do."""

    state_path: Path
    plan: Plan  # built from ``base`` (its ``simulated`` accounts are used as the syncs' expected results)
    base: Snapshot  # the account as read before the first sync
    protected: Sequence[str]
    flavor: str  # the bodies' wire flavour (the journal keeps it, to read them back)


def learn_outcome(account: Account, intent: journal.Intent) -> str:
    """After an unknown outcome: read the account (without ovctl's records) and compare."""
    try:
        now = account.read(None)
    except ApiError:
        return journal.UNKNOWN
    return journal.outcome(now, intent, full=not account.reads_through_export)


def send_all(account: Account, bodies: Sequence[dict[str, Any]], io: Console, ctx: SendContext,
              progress: Any = None) -> SendOutcome:
    """Send the syncs in order; stop at the first that is not applied (pending, rejected, failed,
    error, outcome unknown). Each sync's intent is journaled before it is sent; once a sync is
    applied the state file records its expected result at once, so a crash before the end never
    loses what it did (a member deactivated by sync 1 stays known as deactivated)."""
    from ovctl.core.engine import simulate
    from ovctl.files.statefile import PreparedText, write_snapshot

    outcome = SendOutcome()
    before = ctx.base
    key = applied_key(ctx.plan)
    kept = ctx.plan.simulated if len(ctx.plan.simulated) == len(bodies) else ()
    for n, body in enumerate(bodies, start=1):
        # The plan was built from ctx.base and simulated these very syncs in order: its results are
        # what simulating again would give (created teams' ids are deterministic), at no cost.
        expected = kept[n - 1] if kept else simulate(before, ctx.plan.payloads[n - 1])[0]
        text = jsontext.compact(body)  # encoded once: the journal names these very bytes, then they are sent
        intent = journal.write_intent(ctx.state_path, plan=key, sync=n, total=len(bodies), body=text,
                                      flavor=ctx.flavor, before=before, expected=expected)
        crash_point(io, f"before-send:{n}")
        if progress is not None:  # one phase: the answer comes once the account has processed the sync
            progress(f"sync {n}/{len(bodies)}: sent, waiting for the account", n - 1, len(bodies))
        final = applied_key(ctx.plan) if n == len(bodies) else None
        try:  # while the account works on it, make the state file's text of what it should then hold
            result, outcome.prepared = sync_meanwhile(account, text, lambda: PreparedText(
                state_to_write(replace(expected), ctx.base, ctx.protected, final)))
        except SyncOutcomeUnknown as e:
            verdict = learn_outcome(account, intent)
            if verdict != journal.LANDED:
                outcome.unknown = True
                outcome.maybe_changed = True
                outcome.stopped = (f"outcome unknown: {e}; reading the account back, ovctl "
                                   f"{'sees it unchanged, but the sync may still land' if verdict == journal.NOT_LANDED else 'cannot tell'}"
                                   f" — nothing more was sent. The journal {intent.path} records it: run ovctl apply "
                                   "again later (it reads the account first and records the sync or plans it again), "
                                   "or check the sync history in Workleap (Settings → Provisioning → View sync history)")
                return outcome
            io.say(f"sync {n}/{len(bodies)}: its answer was lost, but the account shows it applied")
            result = None
        except ApiError as e:
            journal.clear_intent(ctx.state_path)  # answered: the account refused it, nothing changed
            if not outcome.applied:
                raise
            outcome.stopped = f"sync {n} of {len(bodies)} failed after sync {n - 1} was applied: {e}"
            return outcome
        crash_point(io, f"after-send:{n}")
        if progress is not None:
            progress.stop()  # the sync's report is written next
        if result is None:  # landed, as read back from the account: no report to show
            result = SyncResult(sync_id=None, status="applied")
        else:
            _print_report(io, n, len(bodies), result)
        outcome.not_found |= {i.subject for i in result.issues if i.message == ATTRIBUTE_NOT_FOUND and i.subject}
        outcome.skipped |= {(i.message, i.subject, i.detail) for i in result.issues}
        if result.status == "applied":
            outcome.applied += 1
            outcome.maybe_changed = True
            if n < len(bodies):  # record at once what the account now holds (the journal moves on)
                write_snapshot(ctx.state_path, state_to_write(expected, ctx.base, ctx.protected, None),
                               outcome.prepared)
            before = outcome.expected = expected
            continue
        journal.clear_intent(ctx.state_path)  # the account answered: pending, rejected or failed
        if result.status == "pending":
            outcome.stopped = (f"the account paused sync {n} of {len(bodies)} for approval (risk thresholds: "
                               f"{result.risk.get('users', '?')} user and {result.risk.get('teams', '?')} team "
                               f"changes); {approval_hint(account, result.sync_id)}")
            if n < len(bodies):
                outcome.stopped += "; then run ovctl apply again to send the remaining sync"
        else:
            outcome.stopped = f"the account {result.status} sync {n} of {len(bodies)}; check the sync report in Workleap"
            outcome.maybe_changed |= result.status == "failed"  # a failed sync may be partly applied
        return outcome
    return outcome
