"""The sandbox's HTTP face: the account's sync and export endpoints plus sandbox-only admin ones.

Every path comes from ``ovctl.account.wire`` so that the client and this server can never disagree.
Request flow: fault injection (if armed for this path) → key check (constant time; in the header
of any flavour of ``wire``'s table, e.g. ``workleap-subscription-key: KEY`` or
``Authorization: Bearer KEY``) → route. Sync routes too come from that table, one per flavour.
Blocking SQLite work runs in the thread pool; syncs are additionally serialised by an asyncio lock so that two
concurrent syncs apply one after the other (no lost update) and both land in the history.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import json
import math
import re
import threading
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ovctl.core import jsontext
from ovctl.core.errors import SnapshotError
from ovctl.core.snapshot import snapshot_from_dict
from ovctl.account import wire
from ovctl.sandbox import account
from ovctl.sandbox.answers import SnapshotAnswers
from ovctl.sandbox.faults import DROPPED_BODY, GARBAGE, LOGIN_PAGE, Fault, FaultBook, FaultError
from ovctl.sandbox.store import Store

DEFAULT_MAX_BODY = 50 * 1024 * 1024
_DRAIN_LIMIT = 256 * 1024 * 1024  # read (and drop) at most this much of a too-large body
RESET_WHILE_DELAYED = "the sandbox was reset while this request was delayed by a fault; nothing was done"


def auth_forms() -> list[tuple[str, str]]:
    """(header name, value prefix) of every flavour of the table, each once, in table order."""
    return list(dict.fromkeys((fl.key_header, fl.key_prefix) for fl in wire.flavors()))


def auth_help() -> str:
    """The 401 message: every way the key may be sent."""
    return ("missing or invalid API key: send it as "
            + " or ".join(f"'{header}: {prefix}KEY'" for header, prefix in auth_forms()))


class BodyTooLarge(Exception):
    pass


class BadBody(Exception):
    """A request body the sandbox cannot read: 413 (too large) or 400 (malformed JSON)."""

    def __init__(self, http_status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")


def _finite_or_text(text: str) -> Any:
    """A float that does not fit (``1e400``) is kept as the text it was, never as ``inf``: the
    history must stay valid JSON and the engine then refuses it as a number like any other text."""
    number = float(text)
    return number if math.isfinite(number) else text


def _error(http_status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(wire.error_response(message, **extra), status_code=http_status, headers=headers)


def _fault_response(fault: Fault) -> Response:
    status = fault.status or 200
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
    if fault.body == "html":
        return Response(LOGIN_PAGE, status_code=status, media_type="text/html", headers=headers)
    if fault.body == "garbage":
        return Response(GARBAGE, status_code=status, media_type="application/json", headers=headers)
    if fault.body == "raw":
        return Response(fault.raw_content, status_code=status, media_type="application/json", headers=headers)
    return _error(status, f"injected fault: HTTP {status}", headers)


async def _drop(fault: Fault, receive: Receive, send: Send) -> None:
    """Start an answer, send part of its body, then end the app without completing it: the ASGI
    server (uvicorn) closes the connection, so the client sees it fail mid-answer. The request body
    is read first: closing with unread bytes would reset the connection (ECONNRESET) instead, on a
    timing the client does not control."""
    drained = 0
    while drained <= _DRAIN_LIMIT:
        message = await receive()
        if message["type"] != "http.request":
            return  # the client went away first: nothing left to drop
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(DROPPED_BODY) * 4).encode())]
    if fault.retry_after is not None:
        headers.append((b"retry-after", f"{fault.retry_after:g}".encode()))
    await send({"type": "http.response.start", "status": fault.status or 200, "headers": headers})
    await send({"type": "http.response.body", "body": DROPPED_BODY, "more_body": True})


class Gate:
    """Outermost ASGI layer: injected faults first (they stand for the network and the account's
    front end), then the key, for every path."""

    def __init__(self, app: ASGIApp, api_key: str, faults: FaultBook) -> None:
        self.app = app
        self._key = api_key.encode()
        self.faults = faults
        self._forms = [(header.lower().encode(), prefix.lower().encode()) for header, prefix in auth_forms()]
        self._help = auth_help()

    def authorised(self, scope: Scope) -> bool:
        ok = False
        for name, value in scope.get("headers", []):
            name = name.lower()
            for header, prefix in self._forms:
                if name == header and value[:len(prefix)].lower() == prefix:
                    ok |= hmac.compare_digest(value[len(prefix):].strip(), self._key)  # no early exit: constant time
        return ok

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] not in (wire.SANDBOX_FAULTS, wire.SANDBOX_RESET):
            resets = self.faults.resets
            fault = self.faults.take(scope["method"], scope["path"])
            if fault is not None and fault.late:
                if not self.authorised(scope):
                    await _error(401, self._help, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
                    return

                async def late_send(message: Any) -> None:
                    if message["type"] == "http.response.start":
                        await asyncio.sleep(fault.delay)  # processed already: only the answer is late
                    await send(message)

                await self.app(scope, receive, late_send)
                return
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                    if self.faults.resets != resets:  # the account it was sent to is gone
                        await _error(503, RESET_WHILE_DELAYED)(scope, receive, send)
                        return
                if fault.body == "drop":
                    await _drop(fault, receive, send)
                    return
                if fault.status is not None or fault.body is not None:
                    await _fault_response(fault)(scope, receive, send)
                    return
        if not self.authorised(scope):
            await _error(401, self._help, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, or BodyTooLarge once it exceeds ``limit`` (the rest is drained so that
    the client, still sending, reads our 413 rather than a reset connection)."""
    declared = request.headers.get("content-length")
    too_large = bool(declared and declared.isdigit() and int(declared) > limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            too_large = True
        if too_large:
            if size > _DRAIN_LIMIT:
                break
            continue
        chunks.append(chunk)
    if too_large:
        raise BodyTooLarge
    return b"".join(chunks)


async def _json_body(request: Request, limit: int, *, optional: bool = False) -> Any:
    """The parsed JSON body; raises BadBody (413 / 400). Every decoding failure is a 400: syntax,
    encoding, ``NaN``/``Infinity`` (not JSON), nesting too deep for the parser, integers too long.
    With ``optional``, an empty (or blank) body is None."""
    return (await _json_body_and_text(request, limit, optional=optional, keep_text=False))[0]


# A UTF-16 surrogate escape ("\ud800"…): a lone one cannot be stored as UTF-8 text once decoded.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


async def _json_body_and_text(request: Request, limit: int, *, optional: bool = False,
                              keep_text: bool = True) -> tuple[Any, str | None]:
    """``_json_body``, and the request's own JSON text when the sync history may keep it instead
    of the parsed body dumped again (~0.07 s of CPU for a 20,000-member sync): only when reading
    that text back gives the very value parsed here. So None for a body that is not plain UTF-8
    (another encoding, a byte-order mark, surrogate bytes), holds a surrogate escape (dumped
    again, a lone one fails as it always did), or a number kept as text (``1e400``: read back, it
    would be ``inf``)."""
    try:
        raw = await _read_body(request, limit)
    except BodyTooLarge:
        raise BadBody(413, f"request body larger than the limit of {limit} bytes") from None
    if optional and not raw.strip():
        return None, None
    text: str | None = None
    if keep_text and json.detect_encoding(raw) == "utf-8":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and _SURROGATE_ESCAPE.search(text):
            text = None
    kept_as_text: list[str] = []

    def finite_or_text(number_text: str) -> Any:
        value = _finite_or_text(number_text)
        if value is number_text:
            kept_as_text.append(number_text)
        return value

    try:
        body = jsontext.loads(raw if text is None else text, parse_constant=_refuse_constant,
                              parse_float=finite_or_text)
    except jsontext.JsonTextError as e:
        where = f" (line {e.line} column {e.column})" if e.line else ""
        raise BadBody(400, f"malformed JSON: {e.message}{where}") from None
    return body, None if kept_as_text else text


class CollectorPause:
    """The cyclic garbage collector off while the sandbox reads and runs a sync or encodes its
    snapshot answer (reentrant, across threads: on again when the last one is done). Why: those
    build ~100,000 short-lived objects at 20,000 members, free by reference counting (no cycles);
    with the collector on they cost three collections, ~0.02 s of the time a client waits. The
    collections the pause skips run at the next allocations after it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._was_enabled:
                gc.enable()


def _nothing() -> None:
    pass


def create_app(store: Store, api_key: str, *, max_body: int = DEFAULT_MAX_BODY,
               answers: SnapshotAnswers | None = None) -> ASGIApp:
    """The ASGI application serving ``store``; ``api_key`` is the only key accepted. ``answers``:
    the snapshot answers of ``store`` (``serve`` prepares the first one before it listens)."""
    sync_lock = asyncio.Lock()
    faults = FaultBook()
    answers = answers or SnapshotAnswers(store)
    paused = CollectorPause()

    def answer() -> Response:
        with paused:
            return answers.response()

    def prepare_copies() -> None:
        """After a snapshot answer: the next sync's working copies, made while the client works on
        what it read (not after a sync: they would slow the read that follows it)."""
        try:
            store.prepare_copies()
        except Exception:  # noqa: BLE001 - only an advance: a sync makes its own copies without them
            pass

    def sync_endpoint(fl: wire.Flavor):
        async def endpoint(request: Request) -> Response:
            settings = await run_in_threadpool(store.settings)
            if not settings["integration_enabled"]:
                message = "the integration is not activated for this account; sync calls are refused"
                rec = await run_in_threadpool(account.record_refused, store, fl.name, "failed", message)
                return _error(403, message, syncId=rec.id, status=rec.status)
            try:
                with paused:
                    body, text = await _json_body_and_text(request, max_body)
            except BadBody as e:
                rec = await run_in_threadpool(account.record_refused, store, fl.name, "rejected", e.message)
                return _error(e.http_status, e.message, syncId=rec.id, status=rec.status)
            async with sync_lock:
                with paused:
                    rec = await run_in_threadpool(account.run_sync, store, fl.name, body, text=text,
                                                  midway=faults.crash_if_armed)
                    del body, text
            if rec.status == "rejected":
                response = _error(400, rec.error or "rejected", syncId=rec.id, status=rec.status)
            elif rec.status == "failed":
                response = _error(500, rec.error or "failed", syncId=rec.id, status=rec.status)
            else:
                response = JSONResponse(wire.sync_response(rec.id, rec.status, rec.report or {}),
                                        status_code=wire.SYNC_HTTP_STATUS[rec.status])
            response.background = BackgroundTask(store.checkpoint)  # after the answer: see run_sync
            return response
        return endpoint

    # ------------------------------------------------------------------ export (v2)

    async def ping(request: Request) -> Response:
        return JSONResponse(wire.envelope({"message": "pong", "sandbox": True}))

    def user_json(row: dict[str, Any]) -> dict[str, Any]:
        # Field names: wire.EXPORT_USER_FIELDS (the API's own ``fistName`` typo included).
        return {"email": row["email"], "firstName": row["first_name"], "fistName": row["first_name"],
                "lastName": row["last_name"], "userName": row["email"], "jobTitle": row["job_title"] or "",
                "isGroupManager": bool(row["managed"]), "isCompanyManager": row["role"] == "executive",
                "isAdmin": row["role"] == "admin", "managedGroups": row["managed"], "memberGroups": row["member_of"]}

    async def users(request: Request) -> Response:
        rows = await run_in_threadpool(store.export_users)
        return JSONResponse(wire.envelope({"userCount": len(rows), "users": [user_json(r) for r in rows]}))

    async def user(request: Request) -> Response:
        email = request.path_params["email"]
        rows = await run_in_threadpool(store.export_users, email)
        if not rows:
            return JSONResponse(wire.envelope(None, f"user not found: {email}"), status_code=404)
        return JSONResponse(wire.envelope(user_json(rows[0])))

    def group_json(row: dict[str, Any], with_users: bool) -> dict[str, Any]:
        roles: dict[str, dict[str, Any]] = {}
        for email, role in row["people"]:
            entry = roles.setdefault(email.lower(), {"email": email, "isManager": False, "isMember": False})
            entry["isManager" if role == "manager" else "isMember"] = True
        d: dict[str, Any] = {"id": row["id"], "name": row["name"],
                             "userCount": sum(1 for _, r in row["people"] if r == "member"),
                             "managerCount": sum(1 for _, r in row["people"] if r == "manager"),
                             "group_type": "rule_based" if row["rule_based"] else "standard"}
        if with_users:
            d["users"] = list(roles.values())
        return d

    async def groups(request: Request) -> Response:
        group_id = request.query_params.get(wire.EXPORT_GROUP_PARAM)
        if group_id is None:
            group_id = request.query_params.get(wire.EXPORT_GROUP_PARAM.lower())
        if group_id is not None:
            if not group_id.strip():
                return JSONResponse(wire.envelope(None, f"{wire.EXPORT_GROUP_PARAM} must not be empty"),
                                    status_code=400)
            rows = await run_in_threadpool(store.export_groups, group_id)
            if not rows:
                return JSONResponse(wire.envelope(None, f"group not found: {group_id}"), status_code=404)
            return JSONResponse(wire.envelope(group_json(rows[0], True)))
        rows = await run_in_threadpool(store.export_groups)
        return JSONResponse(wire.envelope({"groupCount": len(rows), "groups": [group_json(r, False) for r in rows]}))

    # ------------------------------------------------------------------ sandbox admin

    async def snapshot(request: Request) -> Response:
        response = await run_in_threadpool(answer)
        response.background = BackgroundTask(prepare_copies)
        return response

    async def get_settings(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(store.settings))

    async def patch_settings(request: Request) -> Response:
        try:
            body = await _json_body(request, max_body)
        except BadBody as e:
            return _error(e.http_status, e.message)
        try:
            return JSONResponse(await run_in_threadpool(account.change_settings, store, body))
        except account.BadSettings as e:
            return _error(400, str(e))

    async def list_syncs(request: Request) -> Response:
        return JSONResponse({"syncs": await run_in_threadpool(store.list_syncs)})

    async def get_sync(request: Request) -> Response:
        rec = await run_in_threadpool(store.get_sync, request.path_params["sync_id"])
        if rec is None:
            return _error(404, f"no sync {request.path_params['sync_id']!r}")
        return JSONResponse(rec.to_dict())

    def decision(action: Any):
        async def endpoint(request: Request) -> Response:
            try:
                async with sync_lock:
                    rec = await run_in_threadpool(action, store, request.path_params["sync_id"])
            except account.NotFound as e:
                return _error(404, str(e))
            except account.Conflict as e:
                return _error(409, str(e))
            return JSONResponse(wire.sync_response(rec.id, rec.status, rec.report or {}))
        return endpoint

    async def faults_endpoint(request: Request) -> Response:
        if request.method == "DELETE":
            return JSONResponse({"cleared": faults.clear()})
        if request.method == "GET":
            return JSONResponse({"faults": faults.list()})
        try:
            body = await _json_body(request, max_body)
        except BadBody as e:
            return _error(e.http_status, e.message)
        try:
            return JSONResponse(faults.add(body).to_dict(), status_code=201)
        except FaultError as e:
            return _error(400, str(e))

    async def reset(request: Request) -> Response:
        """Start over: the account, settings, history and faults as a new database seeded with the
        body (a snapshot, as ``--seed`` reads it) would have them; no body: an empty account."""
        try:
            body = await _json_body(request, max_body, optional=True)
            snap = None if body is None else snapshot_from_dict(body, "reset body")
        except BadBody as e:
            return _error(e.http_status, e.message)
        except SnapshotError as e:
            return _error(400, str(e))
        async with sync_lock:  # never in the middle of a sync or an approval
            faults.reset()
            await run_in_threadpool(store.reset, snap)
        return JSONResponse({"members": len(snap.members) if snap else 0, "teams": len(snap.teams) if snap else 0})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error(exc.status_code, exc.detail or "error")

    routes = [
        *(Route(fl.sync_path, sync_endpoint(fl), methods=["POST"]) for fl in wire.flavors()),
        Route(wire.EXPORT_PING, ping, methods=["GET"]),
        Route(wire.EXPORT_USERS, users, methods=["GET"]),
        Route(wire.EXPORT_USER, user, methods=["GET"]),
        Route(wire.EXPORT_GROUPS, groups, methods=["GET"]),
        Route(wire.SANDBOX_SNAPSHOT, snapshot, methods=["GET"]),
        Route(wire.SANDBOX_SETTINGS, get_settings, methods=["GET"]),
        Route(wire.SANDBOX_SETTINGS, patch_settings, methods=["PATCH"]),
        Route(wire.SANDBOX_SYNCS, list_syncs, methods=["GET"]),
        Route(wire.SANDBOX_SYNC, get_sync, methods=["GET"]),
        Route(wire.SANDBOX_APPROVE, decision(account.approve), methods=["POST"]),
        Route(wire.SANDBOX_REJECT, decision(account.reject), methods=["POST"]),
        Route(wire.SANDBOX_FAULTS, faults_endpoint, methods=["GET", "POST", "DELETE"]),
        Route(wire.SANDBOX_RESET, reset, methods=["POST"]),
    ]
    async def internal_error(request: Request, exc: Exception) -> Response:
        return _error(500, f"internal error in the sandbox ({type(exc).__name__})")

    @contextlib.asynccontextmanager
    async def warmed(app: Any) -> AsyncIterator[None]:
        """Before the first request: the worker threads every route hands its store calls to
        (anyio starts them on first use: ~15 ms that the first request of a new server waited)."""
        await run_in_threadpool(_nothing)
        yield

    inner = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: internal_error},
                      lifespan=warmed)
    return Gate(inner, api_key, faults)
