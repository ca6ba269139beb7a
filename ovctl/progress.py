"""Progress of long work (reading the org, reading the account, planning, sending, verifying) on
stderr — on a terminal only.

Shown only when stderr is a terminal, ``CI`` is not set (a CI log that records a terminal's
output would fill with redraws) and neither ``--quiet`` nor ``OVCTL_PROGRESS=0`` asks for silence;
``OVCTL_PROGRESS=1`` shows it under ``CI`` too (still only on a terminal). Never on stdout: a plan,
a JSON document or a snapshot there is untouched, and nothing is drawn while a command writes
its results (callers ``stop()`` first).

``rich`` draws it and is imported only when progress is actually shown: ``ovctl --help``, a
piped ``plan`` and the test suite never import it. The account layer knows nothing of this
module: it is handed a plain callback, ``(what, done, total)``.
"""

from __future__ import annotations

from typing import Any, Mapping, TextIO

PROGRESS_ENV = "OVCTL_PROGRESS"


class Progress:
    """The silent kind: every call does nothing. ``progress("reading teams", 12, 340)`` shows a
    phase (``total`` None: a phase without a count); a new ``what`` starts the next phase."""

    shown = False

    def __call__(self, what: str, done: int = 0, total: int | None = None) -> None:
        pass

    def stop(self) -> None:
        """Take the progress off the screen (before results are written); a later call shows it again."""

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


SILENT = Progress()


def wanted(*, err_is_tty: bool, environ: Mapping[str, str], quiet: bool) -> bool:
    """Whether progress should be shown (see the module docstring)."""
    if quiet or not err_is_tty:
        return False
    forced = (environ.get(PROGRESS_ENV) or "").strip().lower()
    if forced in ("0", "false", "no", "never"):
        return False
    if forced in ("1", "true", "yes", "always"):
        return True
    return not environ.get("CI")


class _Shown(Progress):
    """Progress drawn by ``rich`` on the given stream (a terminal), erased when it stops."""

    shown = True

    def __init__(self, stream: TextIO) -> None:
        import threading

        self._lock = threading.Lock()  # a retry message (from an export thread) stops it mid-read
        self._stream = stream
        self._bar: Any = None
        self._task: Any = None
        self._what: str | None = None

    def _start(self) -> Any:
        from rich.console import Console as RichConsole
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, SpinnerColumn, TextColumn, \
            TimeElapsedColumn

        console = RichConsole(file=self._stream, force_terminal=True, highlight=False, soft_wrap=False)
        bar = Bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True, redirect_stdout=False,
                  redirect_stderr=False, refresh_per_second=8)
        bar.start()
        return bar

    def __call__(self, what: str, done: int = 0, total: int | None = None) -> None:
        with self._lock:
            if self._bar is None:
                self._bar = self._start()
            if self._task is None or what != self._what:
                if self._task is not None:
                    self._bar.remove_task(self._task)
                self._task = self._bar.add_task(what, total=total, completed=done)
                self._what = what
            else:
                self._bar.update(self._task, completed=done, total=total)

    def stop(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
                self._bar = self._task = self._what = None


def for_console(console: Any) -> Progress:
    """The progress of one command run on ``console`` (an ``ovctl.console.Console``): shown, or silent."""
    if wanted(err_is_tty=console.err_is_tty(), environ=console.environ, quiet=getattr(console, "quiet", False)):
        return _Shown(console.err)
    return SILENT
