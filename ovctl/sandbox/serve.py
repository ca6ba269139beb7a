"""``ovctl sandbox serve``: open (and maybe seed) the database, bind the socket, run uvicorn.

The socket is bound here, before uvicorn starts, so that a port already in use is a clean
one-line error, ``--port 0`` picks a free port, and the printed URL is the one actually served
(tests read it). The key given by the user is never printed; a generated one is printed once.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from pathlib import Path
from typing import Any, Mapping

from ovctl.account.net import is_loopback
from ovctl.console import Console
from ovctl.core.errors import UsageError
from ovctl.exitcodes import ExitCode

MAX_BODY_ENV = "OVCTL_SANDBOX_MAX_BODY"


def default_db_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME/ovctl/sandbox.db``, else ``~/.local/share/ovctl/sandbox.db``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ovctl" / "sandbox.db"


def _max_body(environ: Mapping[str, str]) -> int:
    from ovctl.sandbox.app import DEFAULT_MAX_BODY

    raw = environ.get(MAX_BODY_ENV)
    if not raw:
        return DEFAULT_MAX_BODY
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value <= 0:
        raise UsageError(f"{MAX_BODY_ENV} must be a positive number of bytes, not {raw!r}")
    return value


def _usable_key(api_key: str) -> str | None:
    """The key without surrounding blanks (HTTP strips them from header values, so a key with them
    could never match); a key of blanks only is refused, since nobody could authenticate with it.
    An empty key means none was given (one is generated). The key itself is never echoed."""
    if api_key and not api_key.strip():
        raise UsageError("the sandbox API key (--api-key / OVCTL_SANDBOX_API_KEY) is only whitespace; "
                         "give a real key, or none to have one generated")
    return api_key.strip() or None


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart on the same port at once
    # Created without IPPROTO_TCP, the socket is not one asyncio recognises as TCP, so it never sets
    # TCP_NODELAY on the connections it accepts: each small answer then waited ~40 ms for the
    # client's delayed ACK (Nagle). Accepted sockets inherit the option from the listening one on
    # Linux and the BSDs; uvicorn's own transports set it too when they recognise TCP.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.set_inheritable(True)
    return sock


class QuietDisconnects:
    """ASGI wrapper: a client that goes away in the middle of its request (half a body sent, then
    the connection closed) is one log line, not uvicorn's "Exception in ASGI application" traceback.
    Nothing was processed: the request body never arrived whole."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        from starlette.requests import ClientDisconnect

        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            from ovctl.core.shown import shown

            logging.getLogger("uvicorn.error").warning(
                "client %s disconnected before its %s %s request was complete; the request was dropped",
                shown(_peer(scope)), shown(str(scope.get("method", "?"))), shown(str(scope.get("path", "?"))))


def _peer(scope: dict) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "(unknown)"


def run(db: Path | None, host: str, port: int, api_key: str | None, seed: Path | None,
        console: Console | None = None) -> int:
    """Serve the sandbox until interrupted; returns the exit code."""
    try:
        import uvicorn

        from ovctl.sandbox.answers import SnapshotAnswers
        from ovctl.sandbox.app import create_app
    except ImportError as e:  # starlette / uvicorn live in the `sandbox` extra
        if (e.name or "").partition(".")[0] not in ("starlette", "uvicorn"):
            raise
        raise UsageError("the sandbox needs its extra: pip install 'ovctl[sandbox]'") from None
    from ovctl.sandbox.store import Store

    if port < 0 or port > 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {port}")
    if api_key is not None:
        api_key = _usable_key(api_key)
    console = console or Console()
    max_body = _max_body(console.environ)
    db_path = Path(db) if db is not None else default_db_path(console.environ)
    snapshot = None
    if seed is not None:  # read it before touching the database: a bad seed leaves no empty db behind
        from ovctl.files.statefile import read_snapshot

        snapshot = read_snapshot(Path(seed))
    store = Store(db_path)
    try:
        if snapshot is not None:
            store.seed(snapshot)
        store.load_account()  # read once now, so that the first request is answered as fast as the next
        answers = SnapshotAnswers(store)
        answers.prepare()  # and its snapshot answer encoded
        store.prepare_copies()  # and the first sync's working copies made
        generated = not api_key
        key = api_key or secrets.token_urlsafe(24)
        if not is_loopback(host):
            console.warn(f"warning: the sandbox listens on {host}, reachable from other machines; it is a test "
                         "account for trying ovctl — prefer --host 127.0.0.1")
        sock = _bind(host, port)
        bound_port = sock.getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        console.say(f"ovctl sandbox: http://{shown_host}:{bound_port} (db: {db_path})")
        if generated:
            console.say(f"API key (shown once): {key}")
        app = create_app(store, key, max_body=max_body, answers=answers)
        config = uvicorn.Config(QuietDisconnects(app), log_level="warning", access_log=False, lifespan="on",
                                server_header=False)
        uvicorn.Server(config).run(sockets=[sock])
        return ExitCode.OK
    finally:
        store.close()
