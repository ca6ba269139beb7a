"""``ovctl plan``: show what the next sync would do, before anything is sent.

The snapshot comes from ``--state FILE`` (offline, e.g. a pull-request check without
credentials) or from the live account (with drift against ovctl's state file). In JSON mode stdout
carries only the JSON document; every other message goes to stderr.

Exit codes (``ovctl.exitcodes.ExitCode``): 0, or 1 when a guard fired and ``--force`` was not given
(the plan is still printed). With ``--detailed-exitcode``: 0 no changes, 2 changes pending (safe or
forced), 3 blocked by a guard. Errors (an invalid org, a missing snapshot) raise and become exit 1
in ``cli.main``.
"""

from __future__ import annotations

from pathlib import Path

from ovctl.account import wire
from ovctl.console import Console
from ovctl.core.model import Plan
from ovctl.exitcodes import ExitCode
from ovctl.render import plan_renderer


def exit_code(plan: Plan, *, detailed_exitcode: bool) -> ExitCode:
    if detailed_exitcode:
        if plan.blocked:
            return ExitCode.BLOCKED
        return ExitCode.CHANGES if plan.pending else ExitCode.OK
    return ExitCode.ERROR if plan.blocked else ExitCode.OK


def run(paths: list[Path], *, state: Path | None, fmt: str, out: Path | None, detailed_exitcode: bool, force: bool,
        mask_emails: bool, flavor: str, endpoint: str | None, state_file: Path | None, console: Console) -> int:
    from ovctl.files.orgfile import load_org
    from ovctl.core.plan import build_plan

    wire.flavor(flavor)  # an unknown flavour is a usage error before any work
    render = plan_renderer(fmt)  # an unknown format too
    paths = [Path(p) for p in paths]
    with console.progress() as progress:  # on a terminal only; gone before the plan is written
        progress("reading the org")
        loaded = load_org(paths)
        drift_from = None
        if state is not None:
            from ovctl.files.statefile import read_snapshot

            progress("reading the snapshot")
            snapshot = read_snapshot(Path(state))
        else:
            from ovctl.files.planfile import default_state_file
            from ovctl.flows.journal import intent_path
            from ovctl.flows.live import fetch_live

            state_path = default_state_file(paths, state_file)
            if intent_path(state_path).exists():  # plan only reads: apply is what finishes it
                console.warn(f"ovctl: warning: an earlier apply did not finish ({intent_path(state_path)} records a "
                             "sync whose outcome it did not learn); run ovctl apply to finish it — until then the "
                             "state file may not show that sync")
            snapshot, drift_from = fetch_live(endpoint, flavor, state_path, console,
                                              assumed_properties=loaded.org.properties)
        progress("planning")
        plan = build_plan(loaded.org, snapshot, force=force, drift_from=drift_from, extra_warnings=loaded.warnings)

    console.write(render(plan, color=console.color(), mask_emails=mask_emails))

    if out is not None:
        from ovctl.files.planfile import save_plan

        save_plan(Path(out), plan, flavor=flavor, org_paths=paths, endpoint=endpoint,
                  invite_new_users=snapshot.invite_new_members)
        console.warn(f"Saved the plan to {out}; apply exactly this plan with: ovctl apply {out}")

    if plan.guards:
        names = ", ".join(dict.fromkeys(g.guard for g in plan.guards))
        if plan.forced:
            console.warn(f"warning: safety guard(s) lifted by --force: {names}")
        else:
            console.warn(f"error: the plan is blocked by safety guard(s): {names}; fix the org, or re-run with --force "
                         "to proceed anyway")
    return exit_code(plan, detailed_exitcode=detailed_exitcode)
