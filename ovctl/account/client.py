"""The one HTTP adapter to the Officevibe / Workleap account (or the local sandbox).

Every path and header comes from ``ovctl.account.wire``; this module only adds transport concerns:
timeouts on every call, bounded retries with exponential backoff and full jitter on 429/502/503/504,
connection errors and timeouts (a full-state sync is idempotent, so resending it is safe; a
permanent error such as a bad URL or an illegal header is never retried), ``Retry-After`` honoured,
and one clear line per failure. The API key lives only in request headers built here; it
is never put in a message, and every message is scrubbed of it defensively.
"""

from __future__ import annotations

import email.utils
import math
import os
import random
import re
import secrets
import ssl
import sys
import time
import types
from typing import Any, Callable
from urllib.parse import quote, urlsplit

# httpx imports its own command-line client whenever click, rich and pygments are importable (they
# are: rich draws ovctl's progress, uvicorn needs click), ~0.04 s of every command that talks to an
# account, for a tool ovctl never runs. A module without ``main`` in its place makes httpx take
# the fallback it has for when those are missing; the placeholder is removed once httpx is in.
_NO_HTTPX_CLI = (None if "httpx" in sys.modules
                 else sys.modules.setdefault("httpx._main", types.ModuleType("httpx._main")))
import httpx  # noqa: E402

if _NO_HTTPX_CLI is not None and sys.modules.get("httpx._main") is _NO_HTTPX_CLI:
    del sys.modules["httpx._main"]

from ovctl import __version__ as _version
from ovctl.core import jsontext
from ovctl.account import wire
from ovctl.account.net import is_loopback
from ovctl.account.protocol import SyncResult
from ovctl.account.settings import DEFAULT_TIMEOUT, KEY_ENV, KEY_FILE_ENV, NO_KEY, check_api_key
from ovctl.core.errors import ApiError, SyncOutcomeUnknown, UsageError
from ovctl.core.model import ReportItem, lone_surrogate_field

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A sync is not replayed on an answer that may follow its processing: only these say "not processed".
NOT_PROCESSED_STATUSES = frozenset({429, 503})
BACKOFF_BASE = 0.5  # seconds; attempt n waits uniform(0, min(BACKOFF_CAP, BASE * 2**n))
BACKOFF_CAP = 30.0

# A UTF-16 surrogate in a body: the escape "\ud800" (lone unless paired), or its bytes ED A0..BF xx
# (never valid UTF-8, yet json.loads of bytes lets them through with "surrogatepass"). Two patterns,
# each searched by its literal first bytes: as one alternation, a 6.5 MB answer took 4x as long.
_SURROGATE_FORMS = (re.compile(rb"\\u[dD][89a-fA-F]"), re.compile(rb"\xed[\xa0-\xbf]"))


def _may_hold_surrogate(content: bytes) -> bool:
    return any(form.search(content) for form in _SURROGATE_FORMS)


ENDPOINT_HINT = "--endpoint / OVCTL_ENDPOINT must be a URL like https://api.workleap.com"


def check_endpoint(endpoint: str) -> tuple[str, str | None]:
    """(endpoint without a trailing slash, a warning or None); a UsageError when it is not an
    http(s) URL with a host. A plain-http endpoint on another machine gets a warning: the key
    would cross the network unencrypted."""
    shown = endpoint if "@" not in endpoint else "(the value given, which holds credentials)"
    try:
        parts = urlsplit(endpoint.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise UsageError(f"{ENDPOINT_HINT} (got {shown!r}: not a valid URL)") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"{ENDPOINT_HINT} (got {shown!r}: it needs http:// or https:// in front)")
    if not host:
        raise UsageError(f"{ENDPOINT_HINT} (got {shown!r}: no host name)")
    warning = None
    if parts.scheme.lower() == "http" and not is_loopback(host):
        warning = (f"warning: the endpoint {parts.scheme}://{parts.netloc.rpartition('@')[2]} is plain http to "
                   "another machine: the API key crosses the network unencrypted; use https")
    return endpoint.strip().rstrip("/"), warning


def _report_items(items: Any) -> list[ReportItem]:
    out = []
    for it in items if isinstance(items, list) else []:
        if isinstance(it, dict):
            out.append(ReportItem(kind=str(it.get("kind", "")), message=str(it.get("message", "")),
                                  subject=str(it.get("subject", "") or ""), detail=str(it.get("detail", "") or "")))
        elif isinstance(it, str):
            out.append(ReportItem(kind="", message=it))
    return out


def _server_message(body: Any) -> str:
    """The account's own words for an error, from the shapes seen (envelope, errors[], error.code)."""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    for key in ("errorMessage", "message", "detail", "title"):
        v = body.get(key)
        if isinstance(v, str) and v.strip():
            parts.append(v.strip())
            break
    errs = body.get("errors")
    if isinstance(errs, list):
        parts.extend(str(e) for e in errs if isinstance(e, (str, int, float)) and str(e) not in parts)
    err = body.get("error")
    if isinstance(err, dict):
        parts.extend(str(err[k]) for k in ("code", "message") if err.get(k))
    elif isinstance(err, str) and err:
        parts.append(err)
    return "; ".join(dict.fromkeys(parts))


def _json_of(response: httpx.Response) -> Any:
    """The decoded body; ValueError also for text that is not valid Unicode (a lone surrogate, sent
    escaped as ``"\\ud800"`` or raw, which would crash hashing, printing or writing it later)."""
    data = jsontext.loads(response.content)  # every decoding failure is a ValueError (JsonTextError)
    if _may_hold_surrogate(response.content) and lone_surrogate_field(data) is not None:
        raise ValueError("a lone surrogate escape")
    return data


# Where a sandbox's snapshot answer (compact JSON) opens its members section: the first time, as
# the keys before it (settings, property definitions) hold no list of that name.
_MEMBERS_OPEN = b'"members":['


class KnownMembers(dict):  # type: ignore[type-arg]
    """A snapshot answer whose members section was, byte for byte, the text the caller expected:
    its ``members`` is left empty, the caller has those members already."""


def _json_knowing(members_json: bytes) -> Callable[[httpx.Response], Any]:
    """``_json_of``, except that an answer whose members section is exactly ``members_json`` (the
    members ovctl predicted, written as the sandbox writes them) is parsed without that section
    (~0.05 s of 20,000 members), as a ``KnownMembers``. Equal bytes parse to equal values, so
    this is what parsing them and comparing (``account.live.known_members``) would find.

    The section is replaced by a string no answer can hold (a fresh random one); only if the
    parsed answer's top-level ``members`` is that string was the section the top-level one."""

    def parse(response: httpx.Response) -> Any:
        content = response.content
        start = content.find(_MEMBERS_OPEN) + len(_MEMBERS_OPEN) - 1  # at the section's "["
        end = start + len(members_json)
        if (start < len(_MEMBERS_OPEN) - 1 or content[start:end] != members_json or _may_hold_surrogate(content)):
            return _json_of(response)
        marker = f"ovctl-known-members-{secrets.token_hex(16)}"
        data = jsontext.loads(b"".join((content[:start], b'"', marker.encode(), b'"', content[end:])))
        if type(data) is not dict or data.get("members") != marker:
            return _json_of(response)
        data["members"] = []
        return KnownMembers(data)

    return parse


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def _verify_for(sync_base: str, export_base: str, environ: Any) -> ssl.SSLContext | bool:
    """httpx's ``verify``: its default (the certifi authorities, ~0.02 s to load on every run)
    unless the account is a plain-http endpoint on this machine (a local sandbox) and no proxy is
    configured: then no TLS connection can be made, and the context given has no authority at
    all — with verification on, a TLS connection it were used for would fail, never pass."""
    local = all(urlsplit(url).scheme.lower() == "http" and is_loopback(urlsplit(url).hostname or "")
                for url in (sync_base, export_base))
    if not local or any(name.lower() in _PROXY_VARIABLES for name in environ):
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _looks_like_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    head = response.content[:512].lstrip().lower()
    return "text/html" in ctype or head.startswith((b"<!doctype html", b"<html"))


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _unknown(url: str, reason: str) -> str:
    return (f"the sync sent to {url} may or may not have reached the account ({reason}); ovctl does not "
            "resend a sync blindly")


class Client:
    """Talks to one account. ``endpoint`` None means the real account's defaults (sync and export
    live on different hosts); a given endpoint (e.g. the sandbox) serves both.

    One client may be used from several threads at once (the export read does).
    ``on_retry(message)`` is told about each retry (the CLI prints it on stderr), ``on_warning``
    about a risky endpoint (plain http to another machine); ``sleep`` is the waiting function (tests
    record the delays instead of waiting) and ``rng`` the source of the backoff jitter. The endpoint
    is checked here, before any request: an http(s) URL with a host, else a UsageError.
    """

    def __init__(self, endpoint: str | None, flavor: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT,
                 max_retries: int = 5, max_retry_time: float = 120.0,
                 on_retry: Callable[[str], None] | None = None,
                 on_warning: Callable[[str], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 pool_size: int = 20) -> None:
        self.flavor = wire.flavor(flavor)
        if not api_key:
            raise UsageError(NO_KEY)
        self._key = check_api_key(api_key, "the key given")
        warning = None
        if endpoint:
            endpoint, warning = check_endpoint(endpoint)
        self.endpoint = endpoint or None
        self.is_sandbox: bool | None = None  # known once /sandbox/snapshot was asked (None: not asked)
        self.sync_base = self.endpoint or self.flavor.default_endpoint
        self.export_base = self.endpoint or wire.EXPORT_DEFAULT_ENDPOINT
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_time = max_retry_time
        self.on_retry = on_retry
        self._sleep = sleep
        self._rng = rng or random.Random()
        if warning and on_warning:
            on_warning(warning)
        # Thread-safe: the export read sends its per-team requests from a pool of threads (live.py),
        # each reusing a kept-alive connection of this pool.
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                  verify=_verify_for(self.sync_base, self.export_base, os.environ),
                                  limits=httpx.Limits(max_connections=max(100, pool_size),
                                                      max_keepalive_connections=max(20, pool_size)),
                                  headers={"accept": "application/json", "user-agent": f"ovctl/{_version}"})

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_default_endpoint(self) -> bool:
        return self.endpoint is None

    # ------------------------------------------------------------------ public calls

    def sync(self, body: dict[str, Any] | bytes) -> SyncResult:
        """POST one full-state sync (a body, or its JSON text already encoded: apply journals the
        very bytes it sends). 200 applied / 202 pending (risk threshold) / error → ApiError."""
        url = self.sync_base + self.flavor.sync_path
        content = body if isinstance(body, bytes) else jsontext.compact(body)
        headers = {**wire.auth_headers(self.flavor, self._key), "Content-Type": "application/json"}
        resp, data = self._request("POST", url, content=content, headers=headers, replayable=False)
        if not isinstance(data, dict):
            raise ApiError(self._scrub(f"the sync call at {url} answered with JSON that is not an object"))
        if data.get("isSuccess") is False and data.get("status") not in ("rejected", "failed"):
            msg = _server_message(data) or "no reason given"
            raise ApiError(self._scrub(f"the account refused the sync: {msg}"))
        status = data.get("status")
        if status not in wire.SYNC_STATUSES:
            # The real API may only say "scheduled" (INFERRED): 202 without a status is taken as accepted.
            status = "applied"
        report = data.get("report") if isinstance(data.get("report"), dict) else {}
        risk = report.get("risk") if isinstance(report.get("risk"), dict) else {}
        sync_id = data.get("syncId") or data.get("id")
        return SyncResult(sync_id=str(sync_id) if sync_id is not None else None, status=status,
                          updates=_report_items(report.get("updates")),
                          issues=_report_items(report.get("issues")),
                          risk={k: int(v) for k, v in risk.items()
                                if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)},
                          raw=data)

    def ping(self) -> Any:
        return self._export(wire.EXPORT_PING)

    def export_users(self) -> list[dict[str, Any]]:
        data = self._export(wire.EXPORT_USERS)
        return self._list_in(data, "users", wire.EXPORT_USERS)

    def export_user(self, email: str) -> dict[str, Any]:
        data = self._export(wire.EXPORT_USER.format(email=quote(email, safe="@")))
        return data if isinstance(data, dict) else {}

    def export_groups(self) -> list[dict[str, Any]]:
        data = self._export(wire.EXPORT_GROUPS)
        return self._list_in(data, "groups", wire.EXPORT_GROUPS)

    def export_group(self, group_id: str) -> dict[str, Any]:
        data = self._export(wire.EXPORT_GROUPS, params={wire.EXPORT_GROUP_PARAM: group_id})
        if isinstance(data, dict) and isinstance(data.get("group"), dict):
            merged = dict(data["group"])
            merged.setdefault("users", data.get("users", []))
            data = merged
        if not isinstance(data, dict):
            raise ApiError(self._scrub(f"group {group_id}: unexpected export answer (not an object)"))
        if data.get("users") is not None and not isinstance(data["users"], list):
            raise ApiError(self._scrub(f"group {group_id}: unexpected export answer ('users' is not a list)"))
        return data

    def sandbox_syncs(self) -> list[dict[str, Any]] | None:
        """The sandbox's sync history (id, status, created_at…, oldest first), or None when the
        endpoint is not a sandbox. A real account shows its history only in the app."""
        url = self.sync_base + wire.SANDBOX_SYNCS
        resp, data = self._request("GET", url, headers=wire.auth_headers(self.flavor, self._key), none_on_404=True)
        if resp is None:
            return None
        syncs = data.get("syncs") if isinstance(data, dict) else None
        if not isinstance(syncs, list):
            raise ApiError(self._scrub(f"{url} answered without a 'syncs' list"))
        return [s for s in syncs if isinstance(s, dict)]

    def sandbox_snapshot(self, members_json: bytes | None = None) -> dict[str, Any] | None:
        """The whole account in the snapshot format, or None when the endpoint is not a sandbox (404).
        ``members_json``: the members the caller expects, as compact JSON; when the answer's
        members are exactly that text, they are not parsed: the answer is then a ``KnownMembers``
        (a dict whose ``members`` is empty)."""
        url = self.sync_base + wire.SANDBOX_SNAPSHOT
        parse = None if members_json is None else _json_knowing(members_json)
        resp, data = self._request("GET", url, headers=wire.auth_headers(self.flavor, self._key),
                                   none_on_404=True, parse=parse)
        self.is_sandbox = resp is not None
        if resp is None:
            return None
        if not isinstance(data, dict):
            raise ApiError(self._scrub(f"{url} answered with JSON that is not an object"))
        return data

    # ------------------------------------------------------------------ internals

    def _export_headers(self) -> dict[str, str]:
        # The export API is the legacy v2 API: it authenticates the legacy way (Bearer), whatever
        # flavour the sync uses (3P C1/C2). The sandbox accepts both.
        return wire.auth_headers(wire.LEGACY, self._key)

    def _export(self, path: str, params: dict[str, str] | None = None) -> Any:
        url = self.export_base + path
        _, body = self._request("GET", url, params=params, headers=self._export_headers())
        if isinstance(body, dict) and "isSuccess" in body:
            if body.get("isSuccess") is False:
                raise ApiError(self._scrub(f"the export API refused {path}: {_server_message(body) or 'no reason given'}"))
            return body.get("data")
        return body

    def _list_in(self, data: Any, key: str, path: str) -> list[dict[str, Any]]:
        if isinstance(data, dict):
            data = data.get(key)
        if not isinstance(data, list):
            raise ApiError(self._scrub(f"the export API's {path} answer has no '{key}' list"))
        return [x for x in data if isinstance(x, dict)]

    def _scrub(self, text: str) -> str:
        """Never let the key through, whatever a server or library put in a message: as it is, and
        in the escaped forms ``repr`` gives of it as text and as bytes."""
        if len(self._key) >= 4:  # a shorter "key" would garble every message
            forms = {self._key, repr(self._key)[1:-1], ascii(self._key)[1:-1],
                     repr(self._key.encode("utf-8", "backslashreplace"))[2:-1]}
            for form in sorted(forms, key=len, reverse=True):
                text = text.replace(form, "***")
        return " ".join(text.split())

    def _request(self, method: str, url: str, *, headers: dict[str, str], content: bytes | None = None,
                 params: dict[str, str] | None = None, none_on_404: bool = False, replayable: bool = True,
                 parse: Callable[[httpx.Response], Any] | None = None) -> tuple[httpx.Response | None, Any]:
        """One call with bounded retries; returns (response, decoded JSON) or raises ApiError.

        ``replayable=False`` (a sync): retried only when the request certainly did not reach the
        account — no connection, 429, 503. A timeout after the body was sent, a connection lost
        mid-answer, a 502/504 raise ``SyncOutcomeUnknown``: the caller reads the account to learn
        whether it landed, instead of sending it again on top of a request that may land later.
        """
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            reason: str
            wait_hint: float | None = None
            try:
                resp = self._http.request(method, url, headers=headers, content=content, params=params)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:  # never sent
                reason = (f"no answer from {url} within {self.timeout:g}s" if isinstance(e, httpx.TimeoutException)
                          else f"could not reach {url}: {type(e).__name__}{': ' + str(e) if str(e) else ''}")
            except httpx.TimeoutException:
                reason = f"no answer from {url} within {self.timeout:g}s"
                if not replayable:
                    raise SyncOutcomeUnknown(self._scrub(_unknown(url, reason))) from None
            except (httpx.NetworkError, httpx.RemoteProtocolError) as e:  # transient: the connection failed
                reason = f"could not reach {url}: {type(e).__name__}{': ' + str(e) if str(e) else ''}"
                if not replayable:
                    raise SyncOutcomeUnknown(self._scrub(_unknown(url, f"the connection failed mid-request: "
                                                                       f"{type(e).__name__}"))) from None
            except httpx.UnsupportedProtocol:  # permanent: retrying cannot help
                raise ApiError(self._scrub(f"cannot send a request to {url}: {ENDPOINT_HINT}")) from None
            except (httpx.HTTPError, httpx.InvalidURL, UnicodeError, ValueError) as e:
                raise ApiError(self._scrub(f"cannot send a request to {url} ({type(e).__name__}"
                                           f"{': ' + str(e) if str(e) else ''}); check --endpoint and the API "
                                           "key")) from None
            else:
                if resp.status_code not in RETRY_STATUSES:
                    if resp.status_code == 404 and none_on_404:
                        return None, None
                    return resp, self._decode(resp, url, next(iter(headers), ""), parse)
                reason = self._status_line(resp, url)
                if not replayable and resp.status_code not in NOT_PROCESSED_STATUSES:
                    raise SyncOutcomeUnknown(self._scrub(_unknown(url, reason)))
                wait_hint = _retry_after_seconds(resp.headers.get("retry-after"))
            elapsed = time.monotonic() - started
            if attempt > self.max_retries:
                raise ApiError(self._scrub(f"{reason} (gave up after {attempt} attempts)"))
            delay = wait_hint if wait_hint is not None else self._rng.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))
            if elapsed + delay > self.max_retry_time:
                raise ApiError(self._scrub(f"{reason} (gave up after {attempt} attempts: waiting {delay:g}s more "
                                           f"would exceed the {self.max_retry_time:g}s retry budget)"))
            if self.on_retry:
                self.on_retry(self._scrub(f"{reason}; retrying in {delay:.1f}s (attempt {attempt + 1} of "
                                          f"{self.max_retries + 1})"))
            self._sleep(delay)

    def _status_line(self, resp: httpx.Response, url: str) -> str:
        msg = ""
        try:
            msg = _server_message(_json_of(resp))
        except ValueError:
            pass
        return f"{url} answered HTTP {resp.status_code}" + (f": {msg}" if msg else "")

    def _decode(self, resp: httpx.Response, url: str, key_header: str,
                parse: Callable[[httpx.Response], Any] | None = None) -> Any:
        """Turn a final (non-retried) response into JSON, or into the one-line error it deserves."""
        code = resp.status_code
        if _looks_like_html(resp):
            raise ApiError(self._scrub(
                f"the server answered with an HTML page where JSON was expected (HTTP {code} from {url}) — "
                "usually a wrong API key or endpoint; check OVCTL_API_KEY, --endpoint and --flavor"))
        try:
            body = (_json_of if parse is None or resp.status_code >= 300 else parse)(resp) if resp.content else None
        except ValueError:  # syntax, encoding, nesting, >4300-digit integers, lone surrogates
            body = None
            if code < 400:
                raise ApiError(self._scrub(f"the server answered with something that is not JSON (HTTP {code} from "
                                           f"{url}); check --endpoint and --flavor")) from None
        msg = _server_message(body)
        if code == 400:
            raise ApiError(self._scrub(f"the account rejected the request (400): {msg or 'no reason given'}"))
        if code == 401:
            raise ApiError(self._scrub(
                f"the account refused the API key (401{': ' + msg if msg else ''}): check that {KEY_ENV} "
                f"(or {KEY_FILE_ENV}) holds a valid, unexpired key for this account, with the right "
                f"--flavor (this call sent it as {key_header})"))
        if code == 403:
            raise ApiError(self._scrub(
                f"the account denied access (403{': ' + msg if msg else ''}): check that API provisioning "
                "(the custom integration) is activated in the account, and that the key has "
                "organization-management scope with read-write access"))
        if code == 404:
            raise ApiError(self._scrub(f"{url} was not found (404): check --endpoint and --flavor"))
        if code == 413:
            raise ApiError(self._scrub(f"the account refused the request as too large (413){': ' + msg if msg else ''}"))
        if code >= 400:
            raise ApiError(self._scrub(f"{url} answered HTTP {code}{': ' + msg if msg else ''}"))
        if body is None:
            raise ApiError(self._scrub(f"{url} answered HTTP {code} with an empty body where JSON was expected"))
        return body
