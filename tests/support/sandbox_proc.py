"""Run ``ovctl sandbox serve`` as a real process on a free loopback port, for tests.

Shared by the sandbox tests and the end-to-end tests: the server is the real CLI in a separate
process (no mocks). The process is started with ``--port 0`` and the URL is read back from the
line it prints, so there is no race for a free port; a restart reuses the same port (and the same
database) so URLs held by a test stay valid. Every process started here is killed at interpreter
exit even if a test forgot to stop it.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from ovctl.account import wire

KEY_HEADER = "workleap-subscription-key"
# One TLS context for every test client: building one per httpx.Client loads the CA bundle each
# time (~20 ms), which added up to seconds; the sandbox is plain HTTP anyway.
_TLS = httpx.create_ssl_context()
_URL_LINE = re.compile(r"^ovctl sandbox: (http://\S+) \(db: ")
_LIVE: set[SandboxProcess] = set()


class SandboxStartError(RuntimeError):
    """The sandbox did not come up; the message carries its output."""


class SandboxProcess:
    """A running (or stopped) sandbox server: ``.url``, ``.api_key``, ``.db``, ``.log``."""

    def __init__(self, workdir: Path, *, db: Path, seed: Path | None, api_key: str,
                 env: dict[str, str] | None, start_timeout: float = 30.0) -> None:
        self.workdir = workdir.resolve()
        self.db = db.resolve()
        self.seed = seed.resolve() if seed is not None else None
        self.api_key = api_key
        self.env = dict(env or {})
        self.start_timeout = start_timeout
        self.log = workdir / f"{db.stem}.log"
        self.url = ""
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._seeded = False

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SandboxProcess:
        if self.running:
            return self
        args = [sys.executable, "-m", "ovctl.cli", "sandbox", "serve", "--db", str(self.db),
                "--host", "127.0.0.1", "--port", str(self.port)]
        if self.seed is not None and not self._seeded:
            args += ["--seed", str(self.seed)]
        env = {**os.environ, **self.env, "OVCTL_SANDBOX_API_KEY": self.api_key}
        env.pop("OVCTL_DEBUG", None)
        offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as out:
            self._proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          env=env, cwd=self.workdir)
        _LIVE.add(self)
        try:
            self._wait_ready(offset)
        except BaseException:
            self.stop()
            raise
        self._seeded = True
        return self

    def _output(self, offset: int = 0) -> str:
        try:
            return self.log.read_bytes()[offset:].decode("utf-8", "replace")
        except OSError:
            return ""

    def _wait_ready(self, offset: int) -> None:
        deadline = time.monotonic() + self.start_timeout
        assert self._proc is not None
        while not self._url_is_current(offset):
            if self._proc.poll() is not None:
                raise SandboxStartError(f"sandbox exited with code {self._proc.returncode}:\n{self._output(offset)}")
            if time.monotonic() > deadline:
                raise SandboxStartError(f"sandbox printed no URL within {self.start_timeout}s:\n{self._output(offset)}")
            time.sleep(0.05)
        with httpx.Client(timeout=2.0) as probe:
            while True:
                try:
                    if probe.get(self.url + "/api/v2/ping", headers=self.headers).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if self._proc.poll() is not None:
                    raise SandboxStartError(f"sandbox exited with code {self._proc.returncode}:\n{self._output(offset)}")
                if time.monotonic() > deadline:
                    raise SandboxStartError(f"sandbox at {self.url} did not answer /api/v2/ping within "
                                            f"{self.start_timeout}s:\n{self._output(offset)}")
                time.sleep(0.05)

    def _url_is_current(self, offset: int) -> bool:
        for line in self._output(offset).splitlines():
            m = _URL_LINE.match(line)
            if m:
                self.url = m.group(1)
                self.port = int(self.url.rsplit(":", 1)[1])
                return True
        return False

    def stop(self) -> None:
        """Terminate (SIGTERM, then SIGKILL after a grace period); idempotent."""
        proc, self._proc = self._proc, None
        _LIVE.discard(self)
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Wait for the process to end on its own (e.g. a crash fault) and return its exit code."""
        assert self._proc is not None, "the sandbox is not running"
        code = self._proc.wait(timeout=timeout)
        self._proc = None
        _LIVE.discard(self)
        return code

    def restart(self) -> SandboxProcess:
        """Stop and start again on the same database and port (the seed is not applied again)."""
        self.stop()
        self.url = ""
        return self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def output(self) -> str:
        """Everything the process printed so far (for assertions and failure messages)."""
        return self._output()

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ conveniences

    @property
    def headers(self) -> dict[str, str]:
        return {KEY_HEADER: self.api_key.strip()}  # HTTP trims header values; so does the sandbox

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on the sandbox sending the key (close it, or use it in a ``with``)."""
        kwargs.setdefault("timeout", 30.0)
        kwargs.setdefault("verify", _TLS)
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.url, headers=headers, **kwargs)

    def reset(self, seed: Path | dict[str, Any] | None = None) -> dict[str, Any]:
        """``POST /sandbox/reset``: the account as a new database seeded with ``seed`` (a JSON
        snapshot file or its parsed content; None: empty), no history, default settings, no faults."""
        if isinstance(seed, Path):
            content: bytes | None = _seed_bytes(seed)
        elif seed is not None:
            content = json.dumps(seed).encode("utf-8")
        else:
            content = None
        with self.client() as c:
            r = c.post(wire.SANDBOX_RESET, content=content, headers={"content-type": "application/json"})
            r.raise_for_status()
            return r.json()

    def snapshot(self) -> dict[str, Any]:
        """The whole account (``GET /sandbox/snapshot``)."""
        with self.client() as c:
            r = c.get("/sandbox/snapshot")
            r.raise_for_status()
            return r.json()

    def patch_settings(self, **settings: Any) -> dict[str, Any]:
        with self.client() as c:
            r = c.patch("/sandbox/settings", json=settings)
            r.raise_for_status()
            return r.json()

    def syncs(self) -> list[dict[str, Any]]:
        with self.client() as c:
            r = c.get("/sandbox/syncs")
            r.raise_for_status()
            return r.json()["syncs"]


def _seed_bytes(path: Path) -> bytes:
    if path.suffix.lower() not in (".json", ""):
        raise ValueError(f"{path}: a reset body is JSON; start a process of its own (--seed) for YAML")
    return path.read_bytes()


def start_sandbox(tmp_path: Path, *, seed: Path | None = None, api_key: str = "test-key-123",
                  env: dict[str, str] | None = None, db: Path | None = None) -> SandboxProcess:
    """Start a sandbox whose database (and log) live in ``tmp_path``; returns once it answers ping.

    Several sandboxes may share ``tmp_path``: each gets its own ``sandbox-N.db``.
    """
    tmp_path.mkdir(parents=True, exist_ok=True)
    if db is None:
        n = 1
        while (tmp_path / f"sandbox-{n}.db").exists() or (tmp_path / f"sandbox-{n}.log").exists():
            n += 1
        db = tmp_path / f"sandbox-{n}.db"
    return SandboxProcess(tmp_path, db=db, seed=seed, api_key=api_key, env=env).start()


@atexit.register
def _kill_leftovers() -> None:
    for sb in list(_LIVE):
        sb.stop()
