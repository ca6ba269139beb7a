"""The thin command line: read the options, pass them to one library call, map errors to exit codes.

Two readers share the work (docs/architecture.md): ``quick`` takes the plain command lines of the
commands a pipeline runs most, without importing typer; ``typer_app`` reads everything else, and
is the only one whose help and messages a user sees. Every command imports its implementation
lazily, so ``ovctl --help`` never loads the YAML, HTTP or sandbox stacks.

``main`` is the one place where errors become exit codes (``ovctl.exitcodes.ExitCode``): an
OvctlError prints its lines to stderr and exits 1, a guard that blocks an apply exits 3 (like
``plan --detailed-exitcode``); usage mistakes also exit 1 (2 is reserved for
``plan --detailed-exitcode``'s "changes pending"). It builds one ``Console`` (streams, terminal
test, environment) and hands it to the command; a caller (a test) may pass its own.
"""

from __future__ import annotations

import gc

# Start-up allocates only objects that live as long as the process (modules, classes, functions):
# no collection during these imports can free anything, yet each full one walks all of them. So
# none runs until they are done, and then they are frozen out of every later collection.
_GC_WAS_ENABLED = gc.isenabled()
gc.disable()

import sys  # noqa: E402

from ovctl.cli import quick  # noqa: E402
from ovctl.console import Console  # noqa: E402
from ovctl.exitcodes import ExitCode  # noqa: E402


def _exit_code_of_parser_error(e: Exception, console: Console) -> int | None:
    """Exit code for the command-line parser's own exceptions (click's, or typer's vendored copy)."""
    names = {c.__name__ for c in type(e).__mro__}
    if "Exit" in names and hasattr(e, "exit_code"):
        return int(e.exit_code)
    if "Abort" in names:
        console.warn("Aborted.")
        return ExitCode.ERROR
    if "ClickException" in names and hasattr(e, "show"):
        e.show(file=console.err)
        return ExitCode.ERROR
    return None


def _exit_code_of_error(e: Exception) -> int:
    """A blocked apply (a guard fired, no --force) exits BLOCKED, as ``plan --detailed-exitcode``
    does; every other OvctlError exits with its own code (ERROR)."""
    from ovctl.core.errors import GuardError

    return ExitCode.BLOCKED if isinstance(e, GuardError) else int(getattr(e, "exit_code", ExitCode.ERROR))


# ONE_SHOT_GC: a command runs with the cyclic garbage collector off (restored when it returns, so a
# caller's own collector is left as it was; ``sandbox serve`` turns it back on). A command's data is
# plain (dicts, lists, records: freed by reference counting, never in cycles), yet the collector
# walks it again and again while it grows: at 50,000 members, 680 collections took 0.39 s of a
# 3.8 s plan, and 0.5 s of an apply at 20,000. With it off, apply, plan, validate and a ruamel
# round trip each left fewer than 400 unreachable objects at exit, and the same peak memory
# (docs/performance.md).


def main(argv: list[str] | None = None, console: Console | None = None, *, quick_reader: bool = True) -> int:
    """Console entry point: the one place where errors become exit codes. ``quick_reader=False``
    has typer read every line (the tests compare the two readers)."""
    from ovctl.core.errors import OvctlError

    console = console or Console()
    args = list(sys.argv[1:] if argv is None else argv)
    collecting = gc.isenabled()
    gc.disable()  # see ONE_SHOT_GC
    try:
        call = quick.read(args) if quick_reader else None
        if call is not None:
            return call(console)
        from ovctl.cli import typer_app

        return typer_app.run(args, console)
    except OvctlError as e:
        for line in e.lines():
            console.warn(line)
        return _exit_code_of_error(e)
    except KeyboardInterrupt:
        console.warn("Interrupted.")
        return ExitCode.INTERRUPTED
    except Exception as e:
        code = _exit_code_of_parser_error(e, console)
        if code is not None:
            return code
        if isinstance(e, BrokenPipeError):  # `ovctl plan ... | head`
            return ExitCode.OK
        if console.environ.get("OVCTL_DEBUG"):
            raise
        console.warn(f"error: internal error ({type(e).__name__}: {e}); this is a bug in ovctl — "
                     "set OVCTL_DEBUG=1 for a traceback and report it.")
        return ExitCode.ERROR
    finally:
        if collecting:
            gc.enable()


gc.freeze()  # the start-up's objects: never scanned again
if _GC_WAS_ENABLED:
    gc.enable()
