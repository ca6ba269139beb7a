"""Where a command talks: its output streams, its input, the terminal test, and the environment.

``cli.main`` builds one ``Console`` from the process (at call time, so a redirected
``sys.stdout`` is honoured) and hands it to every command; tests pass their own. Nothing below the
CLI reads ``sys.stdout``, ``sys.stderr``, ``sys.stdin`` or ``os.environ`` directly.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Mapping, TextIO

from ovctl.core.shown import escaped_lines


def _is_tty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


@dataclass
class Console:
    """stdout for results, stderr for messages and progress, stdin for the confirmation prompt,
    ``environ`` for settings (the API key among them: never print it)."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False)
    quiet: bool = False  # ``--quiet``: no progress on stderr
    _progress: Any = field(default=None, init=False, repr=False, compare=False)

    def say(self, line: str = "") -> None:
        """One line on stdout; control characters from the values it echoes are shown escaped."""
        print(escaped_lines(line), file=self.out, flush=True)

    def warn(self, line: str) -> None:
        """One line on stderr, escaped like ``say``."""
        print(escaped_lines(line), file=self.err, flush=True)

    def write(self, text: str) -> None:
        """Text on stdout as it is (a rendered plan, a JSON document)."""
        self.out.write(text)
        self.out.flush()

    def color(self, stream: Any = None) -> bool:
        """Colour only on a terminal, and never when ``NO_COLOR`` is set to a non-empty value
        (https://no-color.org). ``stream`` defaults to stdout."""
        return _is_tty(self.out if stream is None else stream) and not self.environ.get("NO_COLOR")

    def err_is_tty(self) -> bool:
        """Whether stderr is a terminal: progress lines are shown only there (logs stay clean)."""
        return _is_tty(self.err)

    def progress(self) -> Any:
        """This run's progress display (``ovctl.progress``): drawn on stderr when it is a terminal,
        ``CI`` is unset and not ``quiet``; otherwise silent. The same object for the whole run."""
        if self._progress is None:
            from ovctl.progress import for_console

            self._progress = for_console(self)
        return self._progress

    def stdin_is_tty(self) -> bool:
        return _is_tty(self.stdin)
