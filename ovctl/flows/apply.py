"""``ovctl apply`` as one library call (docs/apply.md): plan, show, confirm, send, verify, record.

The order matters for safety: the org is validated before anything touches the network; a saved
plan is only sent while the org and the live account still have the fingerprints it was computed
from, and never twice; guards refuse before the prompt; every body is checked for empty sections
before the first one is sent (a two-sync rename must not stop half-way on a check we could have
made up front); after sending, the account is read again and re-planned — anything left over is
reported as not converged. The state file is written atomically with the ids ovctl assigned.
"""

from __future__ import annotations

from dataclasses import replace
from operator import is_
from pathlib import Path
from typing import Any, Sequence

from ovctl.account import wire
from ovctl.account.protocol import Account
from ovctl.console import Console
from ovctl.exitcodes import ExitCode
from ovctl.core.errors import ApiError, GuardError, PayloadRejected, PlanFileError, UsageError
from ovctl.flows import journal
from ovctl.flows.lock import acquire
from ovctl.flows.send import (SendContext, applied_key, approval_hint, crash_point, learn_outcome, send_all,
                              state_to_write)
from ovctl.core.model import Plan, Snapshot
from ovctl.render.wording import admin_roles_kept, admin_roles_phrase


# Where apply talks: the console every command gets (the old name, kept for library callers).
ApplyIO = Console


def check_bodies(bodies: Sequence[dict[str, Any]], fl: wire.Flavor) -> None:
    """Refuse an empty section always: the account rejects such a sync whole (docs/sync-semantics.md)."""
    for n, body in enumerate(bodies, start=1):
        for section in (fl.members, fl.teams, fl.mappings):
            if not body.get(section):
                raise PayloadRejected(
                    f"sync {n} of {len(bodies)}: the '{section}' section would be empty; the account rejects "
                    "such a sync whole (a safety measure against wiping the account) — nothing was sent")


def _no_changes_line(plan: Plan) -> str:
    """Nothing to send: "matches the org" only when it does (admins' team roles the org leaves out stay)."""
    kept = admin_roles_kept(plan)
    if kept:
        return f"No changes: nothing was sent; the account still differs from the org: {admin_roles_phrase(kept)}."
    return "No changes: the account already matches the org. Nothing was sent."


def _render_text(plan: Plan, io: Console) -> str:
    from ovctl.render.text import render

    return render(plan, color=io.color())


def _confirm(io: Console, auto_approve: bool) -> bool:
    if auto_approve:
        return True
    if not io.stdin_is_tty():
        raise UsageError("refusing to prompt for confirmation without a terminal: review the plan, then re-run "
                         "with --auto-approve (or apply a saved plan file with --auto-approve)")
    io.out.write("\nApply these changes? Only 'yes' is accepted: ")
    io.out.flush()
    answer = io.stdin.readline().strip()
    return answer == "yes"


def _expected(live: Snapshot, plan: Plan, syncs_applied: int) -> Snapshot:
    """What the account should hold after the syncs that were applied: the best knowledge of what
    a real account's export cannot show (statuses, properties, parents)."""
    from ovctl.core.engine import simulate

    expected = live
    for payload in plan.payloads[:syncs_applied]:
        expected, _ = simulate(expected, payload)
    return expected


def same_account(a: Snapshot, b: Snapshot) -> bool:
    """Whether two snapshots describe the same account (``protected`` and ``applied_plans`` aside):
    the same settings and properties, the same members by email and teams by Officevibe id, each
    equal field for field. Linear; the order of members and of teams does not matter.

    A team the sync created has the Officevibe id the account chose, which no simulation can
    predict: a team of ``a`` whose id ``b`` lacks is paired with the team of ``b``, absent from
    ``a``, that has the same external id, and compared (its parent and its children's parents
    too) under ``b``'s id. Without this, every apply that creates a team planned the org twice."""
    from ovctl.core.model import email_key

    if (a.invite_new_members != b.invite_new_members or a.properties != b.properties
            or len(a.members) != len(b.members) or len(a.teams) != len(b.teams)):
        return False
    teams = {t.officevibe_id: t for t in b.teams}
    if len(teams) != len(b.teams):
        return False
    # read back after a sync: usually the very predicted members, in order (one C-level pass)
    if not all(map(is_, a.members, b.members)):
        members = {email_key(m.email): m for m in b.members}
        if len(members) != len(b.members):
            return False
        if not all((x := members.get(email_key(m.email))) is m or x == m for m in a.members):
            return False
    new_ids = _paired_new_teams(a, b, teams)
    if new_ids is None:
        return False
    if not new_ids:
        return all(teams.get(t.officevibe_id) == t for t in a.teams)
    for t in a.teams:
        oid, parent = new_ids.get(t.officevibe_id, t.officevibe_id), new_ids.get(t.parent, t.parent)  # type: ignore[arg-type]
        if oid != t.officevibe_id or parent != t.parent:
            t = replace(t, officevibe_id=oid, parent=parent)
        if teams.get(oid) != t:
            return False
    return True


def _paired_new_teams(a: Snapshot, b: Snapshot, teams_b: dict[str, Any]) -> dict[str, str] | None:
    """``a``'s ids of teams ``b`` knows under another id -> ``b``'s id, paired by external id ({} when
    every id is shared); None when some team of ``a`` has no such partner."""
    unknown = [t for t in a.teams if t.officevibe_id not in teams_b]
    if not unknown:
        return {}
    ids_a = {t.officevibe_id for t in a.teams}
    only_b = {t.external_id: t.officevibe_id for t in b.teams if t.officevibe_id not in ids_a and t.external_id}
    pairs: dict[str, str] = {}
    for t in unknown:
        partner = only_b.pop(t.external_id, None) if t.external_id else None
        if partner is None:
            return None
        pairs[t.officevibe_id] = partner
    return pairs


def _convergence_check(org: Any, after: Snapshot, expected: Snapshot) -> Plan | None:
    """None when the account read back is exactly what the plan predicted (``expected``: the plan's
    own simulation of its syncs, whose re-plan has no changes by construction), so the org is not
    planned a second time; otherwise the full plan of what is left (its changes are reported)."""
    if same_account(after, expected):
        return None
    from ovctl.core.plan import build_plan

    return build_plan(org, after, force=True)


def _endpoint_key(endpoint: str | None) -> str | None:
    from ovctl.files.planfile import _safe_endpoint

    endpoint = (endpoint or "").strip().rstrip("/")
    return _safe_endpoint(endpoint) if endpoint else None


def _check_saved_target(saved: Any, flavor: str, endpoint: str | None) -> None:
    """A plan file names the account it was made against, but never chooses where the key goes:
    the endpoint and flavour are the command's (--endpoint / OVCTL_ENDPOINT, --flavor /
    OVCTL_FLAVOR); a file that names another account is refused before any request."""
    where = saved.path or "the plan file"
    if _endpoint_key(saved.endpoint) != _endpoint_key(endpoint):
        if saved.endpoint:
            raise UsageError(f"{where}: this plan was made against {_endpoint_key(saved.endpoint)}"
                             f"{'' if _endpoint_key(endpoint) is None else ', not ' + str(_endpoint_key(endpoint))}; run apply with "
                             f"--endpoint {_endpoint_key(saved.endpoint)} (or OVCTL_ENDPOINT) to send it there — "
                             "nothing was sent")
        raise UsageError(f"{where}: this plan was made against the account's default endpoints, not "
                         f"{_endpoint_key(endpoint)}; run apply without --endpoint (and OVCTL_ENDPOINT unset) to "
                         "send it there — nothing was sent")
    if wire.flavor(flavor).name != saved.flavor:
        raise UsageError(f"{where}: this plan was made for the {saved.flavor} flavour, not {wire.flavor(flavor).name}; "
                         f"run apply with --flavor {saved.flavor} (or OVCTL_FLAVOR={saved.flavor}) — nothing was sent")


def encoded_bodies(plan: Plan, fl: wire.Flavor, invite_new_users: bool | None) -> list[dict[str, Any]]:
    """The wire bodies of a plan, equal to what ``planfile.save_plan`` stores (through JSON):
    ``encode_payload`` builds plain JSON values only (dicts, lists, strings, booleans, None), which a
    JSON round trip leaves as they are, so none is made (megabytes of text at 20,000 members)."""
    return [wire.encode_payload(p, fl, invite_new_users=invite_new_users) for p in plan.payloads]


def _recover(account: Account, intent: journal.Intent, state: Snapshot | None, state_path: Path,
             protected: Sequence[str], io: Console, decided: str | None) -> Snapshot:
    """An earlier apply stopped with a sync whose outcome it did not record: learn it from the
    account (or from ``decided``, the user's ``--intent-outcome``), record it, clear the journal."""
    from ovctl.files.statefile import write_snapshot

    if decided is not None:
        verdict = journal.LANDED if decided == "landed" else journal.NOT_LANDED
    else:
        verdict = learn_outcome(account, intent)
    previous = state or intent.before
    if verdict == journal.LANDED:
        done = intent.plan if intent.sync == intent.total else None
        recorded = state_to_write(intent.expected, previous, protected, done)
        io.warn(f"ovctl: an earlier apply stopped after sending {intent.describe()}; the account shows it applied, "
                f"and the state file now records it")
    elif verdict == journal.NOT_LANDED:
        recorded = state_to_write(intent.before, previous, protected, None)
        io.warn(f"ovctl: an earlier apply stopped before {intent.describe()} reached the account; it will be planned "
                "again")
    else:
        raise journal.OutcomeUnknown(
            f"an earlier apply stopped during {intent.describe()}, and the account shows neither what it held before "
            "nor what that sync aimed at (or the sync changes nothing the account can show); check the sync history "
            "(Workleap: Settings → Provisioning → View sync history), then run ovctl apply again with "
            "--intent-outcome landed or --intent-outcome lost — nothing was sent")
    write_snapshot(state_path, recorded)
    journal.clear_intent(state_path)
    return recorded


def apply(paths: Sequence[Path], *, auto_approve: bool = False, force: bool = False, flavor: str = "workleap",
          endpoint: str | None = None, state_file: Path | None = None, io: Console | None = None,
          lock_timeout: float = 0.0, intent_outcome: str | None = None) -> int:
    """Run the apply steps of docs/apply.md end to end; returns the exit code (errors raise OvctlError
    subclasses; a guard that fires without ``force`` raises GuardError, which exits BLOCKED).

    One apply at a time per state file: the lock beside it is taken (waiting up to ``lock_timeout``
    seconds) before the state file is read, and released at the end, whatever happens."""
    from ovctl.files.orgfile import load_org
    from ovctl.files.planfile import default_state_file, is_plan_file, load_plan

    io = io or Console()
    paths = [Path(p) for p in paths]
    saved = None
    if len(paths) == 1 and (is_plan_file(paths[0]) or paths[0].suffix.lower() == ".json"):
        saved = load_plan(paths[0], check_paths=True)  # org files are YAML: a lone .json is a plan file, broken or not
        _check_saved_target(saved, flavor, endpoint)
        org_paths = saved.org_paths
    else:
        org_paths = paths
    fl = wire.flavor(flavor)
    if intent_outcome not in (None, "landed", "lost"):
        raise UsageError(f"--intent-outcome takes landed or lost, not {intent_outcome!r}")
    state_path = default_state_file(org_paths, state_file)

    with io.progress() as progress:
        progress("reading the org")
        loaded = load_org(org_paths)  # validate before any network call
    held = acquire(state_path, timeout=lock_timeout, command="apply",
                   on_wait=lambda h: io.warn(f"ovctl: waiting for the state file's {h.describe()}"))
    try:
        if held.took_over is not None:
            io.warn(f"ovctl: took over the stale {held.took_over.describe()}: its process is gone")
        return _apply_locked(loaded, saved, fl, flavor, endpoint, state_path, io, auto_approve=auto_approve,
                             force=force, intent_outcome=intent_outcome)
    finally:
        held.release()


def _apply_locked(loaded: Any, saved: Any, fl: wire.Flavor, flavor: str, endpoint: str | None, state_path: Path,
                  io: Console, *, auto_approve: bool, force: bool, intent_outcome: str | None) -> int:
    from ovctl.files.statefile import read_snapshot
    from ovctl.flows.live import open_account

    progress = io.progress()  # on a terminal only; stopped before anything is written on stdout
    state = read_snapshot(state_path) if state_path.exists() else None
    with progress, open_account(endpoint, flavor, io) as account:
        return _apply_open(account, loaded, saved, fl, state, state_path, io, progress, auto_approve=auto_approve,
                           force=force, intent_outcome=intent_outcome)


def _apply_open(account: Account, loaded: Any, saved: Any, fl: wire.Flavor, state: Snapshot | None,
                state_path: Path, io: Console, progress: Any, *, auto_approve: bool, force: bool,
                intent_outcome: str | None) -> int:
    from ovctl.core.fingerprint import fingerprint_snapshot
    from ovctl.core.plan import build_plan
    from ovctl.files.statefile import write_snapshot

    org = loaded.org
    intent = journal.read_intent(state_path)
    if intent is not None:
        state = _recover(account, intent, state, state_path, org.settings.protected, io,
                         None if intent_outcome is None else intent_outcome)
    elif intent_outcome is not None:
        raise UsageError(f"--intent-outcome: no earlier apply left a journal ({journal.intent_path(state_path)}); "
                         "nothing to decide")
    pending = account.pending_syncs()
    if pending:
        raise UsageError(f"the account holds sync {pending[0]} for approval; {approval_hint(account, pending[0])} "
                         f"(or reject it: POST .../sandbox/syncs/{pending[0]}/reject) before applying again — "
                         "nothing was sent")
    progress("reading the account")
    live = account.read(state, assumed_properties=org.properties)
    progress("planning")
    plan = build_plan(org, live, force=force, drift_from=state, extra_warnings=loaded.warnings)

    if saved is not None:
        if plan.fingerprint_desired != saved.fingerprints["desired"]:
            raise PlanFileError(f"{saved.path}: the org changed since this plan was saved; run ovctl plan "
                                "again and review the new plan")
        if plan.fingerprint_state != saved.fingerprints["state"]:
            raise PlanFileError(f"{saved.path}: the live account changed since this plan was saved; run "
                                "ovctl plan again and review the new plan")
        if applied_key(plan) in live.applied_plans:
            raise PlanFileError(f"{saved.path}: this plan was already applied; a plan is applied once — "
                                "run ovctl plan again")
        check_bodies(saved.payloads, fl)
        # The fingerprints say the plan shown is the plan saved; the bodies must say so too.
        if encoded_bodies(plan, fl, live.invite_new_members) != saved.payloads:
            raise PlanFileError(f"{saved.path}: the plan file's sync bodies do not match the plan it shows: the "
                                "file was edited; run ovctl plan again — nothing was sent")

    progress.stop()
    io.write(_render_text(plan, io))
    if not plan.has_changes:
        io.say(_no_changes_line(plan))
        write_snapshot(state_path, state_to_write(live, live, org.settings.protected, None))
        return ExitCode.OK
    if plan.blocked:
        names = ", ".join(dict.fromkeys(g.guard for g in plan.guards))
        raise GuardError(f"the plan is unsafe ({names}); nothing was sent — fix the org, or re-run with "
                         "--force to apply anyway")
    # With a saved plan these equal the file's bodies (checked above): what is shown is what is sent.
    bodies = encoded_bodies(plan, fl, live.invite_new_members)
    check_bodies(bodies, fl)
    if not _confirm(io, auto_approve):
        io.say("Apply cancelled; nothing was sent.")
        return ExitCode.ERROR
    if not auto_approve:  # a person took time to answer: the account must still be the one planned
        progress("reading the account again")
        again = account.read(state, assumed_properties=org.properties)
        if fingerprint_snapshot(again) != plan.fingerprint_state:
            raise PlanFileError("the account changed while the plan waited for confirmation; nothing was sent — "
                                "run ovctl apply again and review the new plan")

    ctx = SendContext(state_path=state_path, plan=plan, base=live, protected=org.settings.protected,
                      flavor=fl.name)
    try:
        outcome = send_all(account, bodies, io, ctx, progress)
    except KeyboardInterrupt:
        left = journal.read_intent(state_path)
        if left is None:
            io.warn("Interrupted: nothing was sent.")
        else:
            io.warn(f"Interrupted while sending {left.describe()}: it may have reached the account. Run ovctl "
                    "apply again: it reads the account first and records or re-plans that sync.")
        raise
    if outcome.stopped is not None and not outcome.maybe_changed:
        io.warn(f"error: {outcome.stopped}")
        return ExitCode.ERROR
    if outcome.unknown:
        io.warn(f"error: {outcome.stopped}")
        return ExitCode.ERROR
    sent_ok, stopped, not_found = outcome.applied, outcome.stopped, outcome.not_found

    base = live
    if not_found:  # the account told us these properties do not exist (a real account's export cannot)
        base = replace(live, properties={k: v for k, v in live.properties.items() if k not in not_found})
    # the simulation send_all already ran, unless the account's answers changed its input
    expected = outcome.expected if outcome.expected is not None and not not_found else _expected(base, plan, sent_ok)
    try:
        progress("verifying: reading the account")
        after = account.read_after_sync(expected, plan.payloads[sent_ok - 1] if sent_ok else None,
                                        predicted=None if outcome.prepared is None else outcome.prepared.forms)
    except ApiError as e:
        # The syncs went through: keep the ids they attached by recording what should now be there.
        done = None if stopped else applied_key(plan)
        write_snapshot(state_path, state_to_write(expected, live, org.settings.protected, done))
        journal.clear_intent(state_path)
        io.warn(f"error: the sync was sent, but reading the account back failed: {e}")
        io.warn(f"The state file {state_path} records the expected result; run ovctl plan to check convergence.")
        return ExitCode.ERROR
    crash_point(io, "before-state")
    if stopped is not None:
        write_snapshot(state_path, state_to_write(after, live, org.settings.protected, None), outcome.prepared)
        journal.clear_intent(state_path)
        io.warn(f"error: {stopped}")
        return ExitCode.ERROR
    progress("verifying")
    check = _convergence_check(org, after, expected)
    progress("writing the state file")
    write_snapshot(state_path, state_to_write(after, live, org.settings.protected, applied_key(plan)),
                   outcome.prepared)
    journal.clear_intent(state_path)
    progress.stop()
    if check is not None and check.has_changes:
        io.warn(f"error: the account did not converge: a new plan still has {len(check.changes)} change(s):")
        io.write(_render_text(check, io))
        io.warn("The sync may still be processing, or the account skipped items (see above); "
                "run ovctl plan to check again.")
        return ExitCode.ERROR
    kept = admin_roles_kept(plan)
    if outcome.skipped or kept:  # predicted by the plan, so not a convergence failure — but not a full match either
        apart = [f"the {len(outcome.skipped)} item(s) it skipped (listed above)"] if outcome.skipped else []
        apart += [admin_roles_phrase(kept)] if kept else []
        io.say(f"Apply complete: {sent_ok} sync(s) sent; the account matches the org except for "
               f"{' and '.join(apart)}. State written to {state_path}.")
    else:
        io.say(f"Apply complete: {sent_ok} sync(s) sent, the account matches the org. State written to "
               f"{state_path}.")
    return ExitCode.OK
