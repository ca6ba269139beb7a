"""Running sandbox processes shared by the whole test session, reset between borrowers.

Starting ``ovctl sandbox serve`` costs about half a second (an interpreter importing starlette,
uvicorn and ovctl); ``POST /sandbox/reset`` costs milliseconds and leaves the process as a new one
seeded with the same snapshot would be: the account, settings, history and faults start over.

Processes are pooled by what only a start can set: the API key and the server's environment (the
body limit). A borrower gets a process nobody else holds, reset to the seed it asks for, so a
module-wide lease and per-test borrows in the same module never share one. A process that is no
longer running when given back (a test stopped or killed it) is never handed out again; tests
that restart, kill or stop a server start one of their own instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.sandbox_proc import SandboxProcess, start_sandbox

Seed = Path | dict[str, Any] | None


class SandboxPool:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._idle: dict[tuple[str, tuple[tuple[str, str], ...]], list[SandboxProcess]] = {}
        self._all: list[SandboxProcess] = []
        self.started = 0  # how many processes the pool started (for the curious: --setup-show, a debugger)

    @staticmethod
    def _key(api_key: str, env: dict[str, str] | None) -> tuple[str, tuple[tuple[str, str], ...]]:
        return api_key, tuple(sorted((env or {}).items()))

    def borrow(self, seed: Seed, *, api_key: str, env: dict[str, str] | None = None) -> SandboxProcess:
        """A running sandbox held by the caller alone, reset to ``seed``; give it back when done."""
        idle = self._idle.setdefault(self._key(api_key, env), [])
        while idle:
            sb = idle.pop()
            if sb.running:
                break
            sb.stop()
        else:
            sb = start_sandbox(self.workdir, seed=None, api_key=api_key, env=env)
            self._all.append(sb)
            self.started += 1
        sb.reset(seed)
        return sb

    def give_back(self, sb: SandboxProcess) -> None:
        if sb.running:
            self._idle.setdefault(self._key(sb.api_key, sb.env), []).append(sb)
        else:
            sb.stop()

    @contextmanager
    def lease(self, seed: Seed, *, api_key: str, env: dict[str, str] | None = None) -> Iterator[SandboxProcess]:
        sb = self.borrow(seed, api_key=api_key, env=env)
        try:
            yield sb
        finally:
            self.give_back(sb)

    def close(self) -> None:
        for sb in self._all:
            sb.stop()
        self._idle.clear()
