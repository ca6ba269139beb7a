"""The full command line, read by typer: every command, its options, help and shell completion.

Each command function passes its options to one library call (``ovctl.commands.<name>.run``),
importing it lazily, so ``ovctl --help`` never loads the YAML, HTTP or sandbox stacks. Errors are
not handled here: ``ovctl.cli.main`` is the one place where they become exit codes. The commands a
pipeline runs most are usually read by ``ovctl.cli.quick`` instead, which hands every command line
it does not fully understand to this parser.
"""

from __future__ import annotations

import copy
import gc
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ovctl.account import settings, wire
from ovctl.console import Console
from ovctl.render import PLAN_FORMATS

app = typer.Typer(
    name="ovctl",
    help="Officevibe (Workleap) organisations as code: validate, plan and apply provisioning syncs.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, powershell)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    epilog="Environment: OVCTL_DEBUG=1 shows a traceback for an internal error; each command's --help names "
           "the variables it reads.",
)
sandbox_app = typer.Typer(help="A local Officevibe account on 127.0.0.1 for trying ovctl and for tests.",
                          no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
import_app = typer.Typer(help="Write an org (YAML) from the account, a snapshot, the official CSV files or an HRIS "
                              "export; or update an existing one in place.", no_args_is_help=True)
app.add_typer(import_app, name="import")


class ValidateFormat(str, Enum):
    text = "text"
    github = "github"
    json = "json"


class SchemaName(str, Enum):
    org = "org"
    state = "state"
    plan = "plan"


# The "Environment:" paragraph of each command's --help: the variables it reads.
_FILES_ENV = "OVCTL_MAX_FILE_BYTES (largest input file read, in bytes)"
_ACCOUNT_ENV = ("OVCTL_ENDPOINT (--endpoint), OVCTL_FLAVOR (--flavor), OVCTL_API_KEY or OVCTL_API_KEY_FILE (the "
                "API key, never printed), OVCTL_TIMEOUT (seconds per request), OVCTL_EXPORT_ONLY (read the account "
                "through the export only), OVCTL_EXPORT_CONCURRENCY (export requests in flight, 8), CI and "
                "OVCTL_PROGRESS (progress on a terminal: off under CI; 0 off, 1 on)")
_COLOR_ENV = "NO_COLOR (no colour on a terminal)"


def _env(*names: str) -> str:
    return "Environment: " + "; ".join(names) + "."


ENV_FILES = _env(_FILES_ENV)
ENV_ACCOUNT = _env(_ACCOUNT_ENV)
ENV_ACCOUNT_FILES = _env(_ACCOUNT_ENV, _FILES_ENV)
ENV_PLAN = _env(_ACCOUNT_ENV, _COLOR_ENV, _FILES_ENV)
ENV_SHOW = _env(_COLOR_ENV, _FILES_ENV)
ENV_RENDER = _env("OVCTL_FLAVOR (--flavor)", _FILES_ENV)
ENV_SANDBOX = _env("OVCTL_SANDBOX_API_KEY (--api-key)", "OVCTL_SANDBOX_MAX_BODY (largest request body, in bytes)",
                   _FILES_ENV)


# The formats of `plan --format` are the renderer registry's names (no renderer is imported for this).
PlanFormat = Enum("PlanFormat", {name: name for name in PLAN_FORMATS}, type=str)  # type: ignore[misc]


# The --flavor choices are the wire module's flavour table: a new flavour there is a new choice here.
FlavorName = Enum("FlavorName", {name: name for name in wire.flavor_names()}, type=str)  # type: ignore[misc]


class RenderFormat(str, Enum):
    json = "json"
    csv = "csv"


class IntentOutcome(str, Enum):
    landed = "landed"
    lost = "lost"


class GraphFormat(str, Enum):
    mermaid = "mermaid"
    dot = "dot"


Paths = Annotated[list[Path], typer.Argument(help="Org files or directories of *.yaml / *.yml files.",
                                               readable=False)]  # the loader reports unreadable files itself
Endpoint = Annotated[Optional[str], typer.Option("--endpoint", envvar=settings.ENDPOINT_ENV,
                                                 help="Base URL of the account (or sandbox).")]
Flavor = Annotated[FlavorName, typer.Option("--flavor", envvar=settings.FLAVOR_ENV,
                                            help="Payload flavour: workleap (current) or legacy.")]
DEFAULT_FLAVOR = FlavorName(wire.WORKLEAP.name)
StateFile = Annotated[Optional[Path], typer.Option("--state-file",
                                                   help="ovctl's state file [default: ovctl.state.json beside the org].")]


def _exit(code: int) -> None:
    if code:
        raise typer.Exit(code)


def _console(ctx: typer.Context) -> Console:
    """The console ``main`` put in the context (a fresh one from the process otherwise)."""
    return ctx.obj if isinstance(ctx.obj, Console) else Console()


def _print_version(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from ovctl import __version__

        _console(ctx).say(f"ovctl {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_print_version,
                                          help="Print ovctl's version and exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr (it is shown only on a "
                                                       "terminal, and not under CI, anyway).")] = False,
) -> None:
    """Officevibe (Workleap) organisations as code: validate, plan and apply provisioning syncs."""
    if quiet:
        console = _console(ctx)
        console.quiet = True
        ctx.obj = console


@app.command(epilog=ENV_FILES)
def validate(
    ctx: typer.Context,
    paths: Paths,
    format: Annotated[ValidateFormat, typer.Option("--format", help="text, github annotations, or json (one "
                                                                    "document: problems and summary counts).")
                      ] = ValidateFormat.text,
) -> None:
    """Check org files offline; report every problem as FILE:LINE:COLUMN."""
    from ovctl.commands.validate import run

    _exit(run(paths, fmt=format.value, console=_console(ctx)))


@app.command(epilog=ENV_PLAN)
def plan(
    ctx: typer.Context,
    paths: Paths,
    state: Annotated[Optional[Path], typer.Option("--state", help="Plan offline against this snapshot file.")] = None,
    format: Annotated[PlanFormat, typer.Option("--format")] = PlanFormat["text"],
    out: Annotated[Optional[Path], typer.Option("--out", help="Save the plan (with its payloads) to this file.")] = None,
    detailed_exitcode: Annotated[bool, typer.Option("--detailed-exitcode",
                                                    help="Exit 0 no changes, 2 changes pending, 3 blocked by a guard.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Lift the safety guards (they are still reported).")] = False,
    mask_emails: Annotated[bool, typer.Option("--mask-emails", help="Mask emails in markdown output.")] = False,
    flavor: Flavor = DEFAULT_FLAVOR,
    endpoint: Endpoint = None,
    state_file: StateFile = None,
) -> None:
    """Show what the next sync would do, before anything is sent."""
    from ovctl.commands.plan import run

    _exit(run(paths, state=state, fmt=format.value, out=out, detailed_exitcode=detailed_exitcode, force=force,
              mask_emails=mask_emails, flavor=flavor.value, endpoint=endpoint, state_file=state_file,
              console=_console(ctx)))


@app.command(epilog=ENV_PLAN)
def apply(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Org files/directories, or one saved plan file.", readable=False)],
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Apply even when a safety guard fires.")] = False,
    flavor: Flavor = DEFAULT_FLAVOR,
    endpoint: Endpoint = None,
    state_file: StateFile = None,
    lock_timeout: Annotated[float, typer.Option("--lock-timeout", min=0,
                                                help="Seconds to wait for another run's lock on the state file.")] = 0.0,
    intent_outcome: Annotated[Optional[IntentOutcome], typer.Option(
        "--intent-outcome", help="After an interrupted apply whose last sync ovctl cannot verify: say whether it "
                                 "landed (checked in the account's sync history).")] = None,
) -> None:
    """Plan, confirm, send the sync, verify convergence, write the state file."""
    from ovctl.commands.apply import run

    _exit(run(paths, auto_approve=auto_approve, force=force, flavor=flavor.value, endpoint=endpoint,
              state_file=state_file, console=_console(ctx), lock_timeout=lock_timeout,
              intent_outcome=intent_outcome.value if intent_outcome is not None else None))


@app.command()
def unlock(
    ctx: typer.Context,
    lock_id: Annotated[str, typer.Argument(help="The lock's id, as the refused run printed it.")],
    paths: Annotated[Optional[list[Path]], typer.Argument(help="The org (to find its state file).",
                                                          readable=False)] = None,
    state_file: StateFile = None,
) -> None:
    """Release the state file's lock held by a run that is gone (e.g. on another CI runner)."""
    from ovctl.commands.unlock import run

    _exit(run(lock_id, paths or [], state_file=state_file, console=_console(ctx)))


@app.command(epilog=ENV_ACCOUNT_FILES)
def pull(
    ctx: typer.Context,
    out: Annotated[Optional[Path], typer.Option("--out", help="Snapshot file to write [default: stdout].")] = None,
    flavor: Flavor = DEFAULT_FLAVOR,
    endpoint: Endpoint = None,
    state_file: StateFile = None,
) -> None:
    """Write a snapshot of the live account, carrying external ids from the state file."""
    from ovctl.commands.pull import run

    _exit(run(out=out, flavor=flavor.value, endpoint=endpoint, state_file=state_file, console=_console(ctx)))


@app.command(epilog=ENV_RENDER)
def render(
    ctx: typer.Context,
    paths: Paths,
    out: Annotated[Path, typer.Option("--out", help="Directory to write the payload files into.")],
    flavor: Flavor = DEFAULT_FLAVOR,
    format: Annotated[RenderFormat, typer.Option("--format")] = RenderFormat.json,
) -> None:
    """Write the sync payload (JSON, or the official script's three CSV files); nothing is sent."""
    from ovctl.commands.render import run

    _exit(run(paths, out=out, flavor=flavor.value, fmt=format.value, console=_console(ctx)))


@app.command(epilog=ENV_FILES)
def graph(
    ctx: typer.Context,
    paths: Paths,
    state: Annotated[Optional[Path], typer.Option("--state", help="Highlight what changes against this snapshot.")] = None,
    format: Annotated[GraphFormat, typer.Option("--format")] = GraphFormat.mermaid,
) -> None:
    """Print the org chart of the teams, changed teams highlighted."""
    from ovctl.commands.graph import run

    _exit(run(paths, state=state, fmt=format.value, console=_console(ctx)))


@app.command(epilog=ENV_FILES)
def fmt(
    ctx: typer.Context,
    paths: Paths,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; list the files that would change, exit 1 if any.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff of the changes; write nothing.")] = False,
) -> None:
    """Rewrite org files in the canonical layout (key order, indentation, quoting), comments kept."""
    from ovctl.commands.fmt import run

    _exit(run(paths, check=check, diff=diff, console=_console(ctx)))


@app.command(epilog=ENV_SHOW)
def show(
    ctx: typer.Context,
    planfile: Annotated[Path, typer.Argument(help="A plan file saved by `ovctl plan --out`.", readable=False)],
    format: Annotated[PlanFormat, typer.Option("--format")] = PlanFormat["text"],
    mask_emails: Annotated[bool, typer.Option("--mask-emails", help="Mask emails in markdown output.")] = False,
) -> None:
    """Render a saved plan file as `ovctl plan` rendered it; reads nothing else (no org, no account)."""
    from ovctl.commands.show import run

    _exit(run(planfile, fmt=format.value, mask_emails=mask_emails, console=_console(ctx)))


@app.command()
def schema(
    ctx: typer.Context,
    name: Annotated[SchemaName, typer.Argument(help="org (org files), state (state and snapshot files) or plan "
                                                    "(the plan JSON).")],
) -> None:
    """Print the JSON Schema of org, state or plan files, for editors and checks.

    Save it in your repository and name it on an org file's first line:
    `ovctl schema org > .ovctl/org.schema.json`, then
    `# yaml-language-server: $schema=../.ovctl/org.schema.json` (relative to the org file)."""
    from ovctl.commands.schema import run

    _exit(run(name.value, console=_console(ctx)))


ImportOut = Annotated[Path, typer.Option("--out", help="The org to write: FILE.yaml, or a directory (DIR/). An "
                                                     "existing org is updated in place, keeping what people wrote.")]
Organization = Annotated[str, typer.Option("--organization", help="The organization label of a new org.")]
Ids = Annotated[Optional[Path], typer.Option(
    "--ids", help="Where the account's external ids come from when its export hides them: the official "
                  "script's CSV directory, or a snapshot/state file (members by email, teams by name).")]
NewIds = Annotated[bool, typer.Option(
    "--new-ids", help="Derive ids for members and teams whose id the export hides; only for an account no sync "
                      "has ever given ids (the plan marks them unverified).")]


@import_app.command("live", epilog=ENV_ACCOUNT_FILES)
def import_live(
    ctx: typer.Context,
    out: ImportOut,
    flavor: Flavor = DEFAULT_FLAVOR,
    endpoint: Endpoint = None,
    state_file: StateFile = None,
    organization: Organization = "",
    ids: Ids = None,
    new_ids: NewIds = False,
) -> None:
    """The live account (read as `ovctl pull` reads it; the state file carries the external ids).

    Read through the export API (a real account), external ids are hidden: give them with
    --state-file or --ids; ovctl refuses to make ids up unless --new-ids."""
    from ovctl.commands.import_ import run

    _exit(run("live", out=out, flavor=flavor.value, endpoint=endpoint, state_file=state_file,
              organization=organization, ids=ids, new_ids=new_ids, console=_console(ctx)))


@import_app.command("state", epilog=ENV_FILES)
def import_state(
    ctx: typer.Context,
    snapshot: Annotated[Path, typer.Argument(help="A snapshot (JSON, or YAML), e.g. from `ovctl pull`.")],
    out: ImportOut,
    organization: Organization = "",
    ids: Ids = None,
    new_ids: NewIds = False,
) -> None:
    """A snapshot file.

    A snapshot pulled through the export API (a real account) lists the fields it could not see
    (`not_visible`); if external ids are among them, give them with --ids; ovctl refuses to make
    ids up unless --new-ids."""
    from ovctl.commands.import_ import run

    _exit(run("state", out=out, source=snapshot, organization=organization, ids=ids, new_ids=new_ids,
              console=_console(ctx)))


@import_app.command("csv", epilog=ENV_FILES)
def import_csv(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="The directory holding the official script's three CSV files.")],
    out: ImportOut,
    organization: Organization = "",
) -> None:
    """The official provisioning script's three CSV files (either flavour, recognised by file name)."""
    from ovctl.commands.import_ import run

    _exit(run("csv", out=out, source=directory, organization=organization, console=_console(ctx)))


@import_app.command("hris", epilog=ENV_FILES)
def import_hris(
    ctx: typer.Context,
    export: Annotated[Path, typer.Argument(help="The HRIS export (CSV, one row per person).")],
    mapping: Annotated[Path, typer.Option("--mapping", help="The mapping file (YAML): columns, team path, properties.")],
    out: ImportOut,
    organization: Organization = "",
) -> None:
    """An HRIS export and its mapping file (see examples/hris/)."""
    from ovctl.commands.import_ import run

    _exit(run("hris", out=out, source=export, mapping=mapping, organization=organization,
              console=_console(ctx)))


@sandbox_app.command("serve", epilog=ENV_SANDBOX)
def sandbox_serve(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option("--db", help="SQLite file [default: in the user's data directory].")] = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8765,
    api_key: Annotated[Optional[str], typer.Option("--api-key", envvar="OVCTL_SANDBOX_API_KEY",
                                                   help="Key clients must send [default: generated, printed once].")] = None,
    seed: Annotated[Optional[Path], typer.Option("--seed", help="Snapshot (JSON or YAML) to load into an empty database.")] = None,
) -> None:
    """Run a local Officevibe account (Starlette + uvicorn, SQLite)."""
    from ovctl.sandbox.serve import run

    # A server runs for days: its cycles must be collected (main turned the collector off). But a
    # sync at 20,000 members allocates about a million objects: with the default young generation
    # (700) that was 198 collections, 0.15 s of the sync's 0.65 s; with 50,000, two (0.02 s).
    gc.set_threshold(50_000, 20, 20)
    gc.enable()

    _exit(run(db=db, host=host, port=port, api_key=api_key, seed=seed, console=_console(ctx)))


def _app_for(argv: list[str]) -> typer.Typer:
    """``app`` holding only the command (or group) that ``argv`` names, else ``app`` itself.

    Why: on every run typer turns every registered function into a click command (signatures,
    type hints, parameter adapters: ~10 ms for all of ours), though a run uses one. Root options
    are all flags, so the first word not starting with ``-`` is the command. Its help, usage and
    errors are the same: the group is still ``ovctl``, with the same callback and options; an
    unknown or missing command gets the whole app (its help and "No such command" list all).
    """
    name = next((a for a in argv if not a.startswith("-")), None)
    if name is None:
        return app
    commands = [c for c in app.registered_commands
                if (c.name or (c.callback.__name__ if c.callback else "").lower().replace("_", "-")) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    narrowed = copy.copy(app)
    narrowed.registered_commands = commands
    narrowed.registered_groups = groups
    return narrowed


def run(args: list[str], console: Console) -> int:
    """Read ``args`` with typer and run the command they name; click's and typer's own exceptions
    (usage errors, ``Exit``, ``Abort``) and the commands' errors propagate to ``ovctl.cli.main``."""
    rv = _app_for(args)(args=args, prog_name="ovctl", standalone_mode=False, obj=console)
    return rv if isinstance(rv, int) else 0
