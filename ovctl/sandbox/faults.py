"""Fault injection: make the next N matching requests fail the way a real account or network does.

Reliability tests of the HTTP client (retries, Retry-After, HTML login pages, garbage bodies,
timeouts) need a server that misbehaves on demand, deterministically. Faults live in memory only
(a restart clears them) and are counted, so a test can assert how many attempts a client made
without measuring time.

A fault is ``{"path", "method", "status", "times", "retry_after", "body", "delay"}`` (a ``raw`` body
adds ``"content"`` or ``"content_base64"``):
- ``path`` (required) matches the request path exactly (query string ignored);
- ``method`` (default: any) matches case-insensitively;
- ``times`` (default 1) is how many matching requests it answers;
- ``status``: the HTTP status to answer; absent with no ``body`` → the request is only delayed
  and then served normally (for client timeouts on a real endpoint);
- ``body``: ``json`` (default; the account's error shape), ``html`` (an HTML login page, which the
  v2 API sends for a bad key; status 200 unless ``status`` says otherwise), ``garbage``
  (non-JSON bytes labelled application/json), ``raw`` (exactly the given ``content``, a string sent
  as UTF-8, or ``content_base64``, any bytes, labelled application/json: answers a client cannot
  use, such as nesting too deep or a lone surrogate) or ``drop`` (the status line and headers are
  sent, then the connection is closed before the promised body: the client sees the connection
  fail mid-answer, as when a proxy or load balancer drops it);
- ``retry_after``: seconds, sent as a ``Retry-After`` header;
- ``delay``: seconds slept before answering;
- ``late``: with ``delay`` and neither ``status`` nor ``body``: the request is processed first (a
  sync lands) and only its answer is delayed — an account slow to answer, whose client may give up
  waiting although the sync went through.

``{"crash": "mid-sync", "times": 1}`` is another kind: the next sync that gets as far as writing the
account kills the server process (``os._exit``) inside its transaction, after the members are
written and before the teams are, so crash-safety is tested through the real sync path.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import os
import sys
import threading
from dataclasses import asdict, dataclass
from typing import Any

BODIES = ("json", "html", "garbage", "raw", "drop")
CRASHES = ("mid-sync",)
CRASH_EXIT_CODE = 70  # what the process exits with when a crash fault fires

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in | Officevibe</title></head>
<body><form method="post" action="/login"><h1>Sign in to Officevibe</h1>
<input type="email" name="email"><input type="password" name="password">
<button type="submit">Sign in</button></form></body></html>
"""

GARBAGE = b"\x00\xff\xfe<<not json>> {{\"isSuccess\": tr"

DROPPED_BODY = b'{"isSuccess": true, "sta'  # what a drop fault sends before it closes the connection


class FaultError(ValueError):
    """A fault definition that does not make sense (answered with 400)."""


@dataclass(slots=True)
class Fault:
    id: int
    path: str | None
    method: str | None
    status: int | None
    times: int
    body: str | None
    retry_after: float | None
    delay: float
    crash: str | None = None
    late: bool = False
    content: str | None = None
    content_base64: str | None = None
    fired: int = 0

    @property
    def raw_content(self) -> bytes:
        """The exact bytes a ``raw`` fault answers."""
        if self.content_base64 is not None:
            return base64.b64decode(self.content_base64)
        return (self.content or "").encode("utf-8")

    @property
    def remaining(self) -> int:
        return self.times - self.fired

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["remaining"] = self.remaining
        return d


def _number(raw: dict[str, Any], key: str, kind: type, default: Any, minimum: float = 0) -> Any:
    value = raw.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not float(value).is_integer()):
        raise FaultError(f"fault field {key!r} must be a {'whole ' if kind is int else ''}number")
    if value < minimum:
        raise FaultError(f"fault field {key!r} must be at least {minimum}")
    return kind(value)


def _raw_content(raw: dict[str, Any], body: str | None) -> tuple[str | None, str | None]:
    """(content, content_base64) of a ``raw`` fault: exactly one of them, a string (base64 that
    decodes); neither is allowed with another body."""
    given = [k for k in ("content", "content_base64") if k in raw]
    if body != "raw":
        if given:
            raise FaultError(f"fault field {given[0]!r} needs \"body\": \"raw\"")
        return None, None
    if len(given) != 1:
        raise FaultError("a raw fault needs exactly one of 'content' (a string) and 'content_base64'")
    value = raw[given[0]]
    if not isinstance(value, str):
        raise FaultError(f"fault field {given[0]!r} must be a string")
    if given[0] == "content":
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise FaultError("fault field 'content' holds a lone surrogate, which is not text: "
                             "send bytes that are not UTF-8 as 'content_base64'") from None
        return value, None
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise FaultError("fault field 'content_base64' must be valid base64") from None
    return None, value


class FaultBook:
    """The faults currently armed, in the order they were added (first match wins)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.resets = 0  # bumped by reset(): a request delayed across a reset is not served after it

    def add(self, raw: Any) -> Fault:
        if not isinstance(raw, dict):
            raise FaultError("a fault must be a JSON object")
        if "crash" in raw:
            return self._add_crash(raw)
        path = raw.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise FaultError("fault field 'path' is required and must start with '/'")
        method = raw.get("method")
        if method is not None and not isinstance(method, str):
            raise FaultError("fault field 'method' must be a string")
        body = raw.get("body")
        if body is not None and body not in BODIES:
            raise FaultError(f"fault field 'body' must be one of {', '.join(BODIES)}")
        status = _number(raw, "status", int, None, 100)
        if status is not None and status > 599:
            raise FaultError("fault field 'status' must be an HTTP status (100-599)")
        content, content_base64 = _raw_content(raw, body)
        late = raw.get("late", False)
        if not isinstance(late, bool):
            raise FaultError("fault field 'late' must be true or false")
        if late and (status is not None or body is not None or not raw.get("delay")):
            raise FaultError("a late fault delays the answer of a processed request: give 'delay', no 'status' or 'body'")
        fault = Fault(id=next(self._ids), path=path, method=method.upper() if method else None, status=status,
                      times=_number(raw, "times", int, 1, 1), body=body,
                      retry_after=_number(raw, "retry_after", float, None), delay=_number(raw, "delay", float, 0.0) or 0.0,
                      content=content, content_base64=content_base64, late=late)
        with self._lock:
            self._faults.append(fault)
        return fault

    def _add_crash(self, raw: dict[str, Any]) -> Fault:
        if raw["crash"] not in CRASHES:
            raise FaultError(f"fault field 'crash' must be one of {', '.join(CRASHES)}")
        other = set(raw) - {"crash", "times"}
        if other:
            raise FaultError(f"a crash fault takes only 'crash' and 'times', not {', '.join(sorted(other))}")
        fault = Fault(id=next(self._ids), path=None, method=None, status=None, times=_number(raw, "times", int, 1, 1),
                      body=None, retry_after=None, delay=0.0, crash=raw["crash"])
        with self._lock:
            self._faults.append(fault)
        return fault

    def crash_if_armed(self) -> None:
        """Called by a sync between its writes: exit the process at once when a crash fault is armed
        (no cleanup, no commit: what a power cut or a kill -9 does)."""
        with self._lock:
            fault = next((f for f in self._faults if f.crash == "mid-sync" and f.remaining > 0), None)
            if fault is None:
                return
            fault.fired += 1
        sys.stderr.write("ovctl sandbox: crash fault fired in the middle of a sync; exiting\n")
        sys.stderr.flush()
        os._exit(CRASH_EXIT_CODE)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that answers this request, counted as fired; None when none is armed."""
        with self._lock:
            for fault in self._faults:
                if fault.crash is None and fault.remaining > 0 and fault.path == path and fault.method in (None, method.upper()):
                    fault.fired += 1
                    return fault
        return None

    def reset(self) -> None:
        """Forget every fault and start ids at 1 again, as a new process would."""
        with self._lock:
            self._faults.clear()
            self._ids = itertools.count(1)
            self.resets += 1

    def clear(self) -> int:
        with self._lock:
            n = len(self._faults)
            self._faults.clear()
            return n

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_dict() for f in self._faults]
