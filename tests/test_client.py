"""The HTTP client against a real sandbox process, with faults injected by the server.

Retry counts come from the delays the client asked to sleep (recorded, not slept) and from the
sandbox's own sync history; no test measures time.
"""

from __future__ import annotations

import base64
import json
import random
import socket
import time
from pathlib import Path

import pytest

from ovctl.account import wire
import httpx

from ovctl.account.client import Client, _retry_after_seconds, check_endpoint
from ovctl.account.settings import api_key_from_env, timeout_from_env
from ovctl.core.errors import ApiError, SyncOutcomeUnknown, UsageError
from ovctl.account.live import snapshot_from_export
from ovctl.core.model import Mapping, Payload, PayloadMember, PayloadTeam

SEED = Path(__file__).parent / "fixtures" / "e2e" / "seed.json"
KEY = "sk-live-client-test-7f3a9c"
WRONG_KEY = "sk-wrong-0b1d5e77aa"
SYNC_PATH = wire.WORKLEAP.sync_path
pytestmark = pytest.mark.sandbox(seed=SEED, api_key=KEY)  # `sandbox`: reset to SEED for each test, no faults


def _fault(sandbox, **spec) -> None:
    spec.setdefault("method", "POST")
    spec.setdefault("path", SYNC_PATH)
    with sandbox.client() as http:
        r = http.post(wire.SANDBOX_FAULTS, json=spec)
        assert r.status_code in (200, 201), r.text


def _fired(sandbox) -> int:
    """How many requests the armed faults answered (the server's own count of refused attempts)."""
    with sandbox.client() as http:
        return sum(f["fired"] for f in http.get(wire.SANDBOX_FAULTS).json()["faults"])


def _sync_count(sandbox) -> int:
    with sandbox.client() as http:
        data = http.get(wire.SANDBOX_SYNCS).json()
    items = data.get("syncs", data) if isinstance(data, dict) else data
    return len(items)


def _client(sandbox, delays: list[float], *, key: str = KEY, flavor: str = "workleap", **kw) -> Client:
    return Client(sandbox.url, flavor, key, sleep=delays.append, **kw)


def _body(flavor: str = "workleap") -> dict:
    """A valid full-state sync of the seeded account (the same body every time: idempotent)."""
    payload = Payload(
        members=[PayloadMember("E1", "ana@acme.example", "Ana", "Núñez"),
                 PayloadMember("E2", "bob@acme.example", "Bob", "Roy"),
                 PayloadMember("E3", "carla@acme.example", "Carla", "Ríos"),
                 PayloadMember("E4", "dan@acme.example", "Dan", "Côté")],
        teams=[PayloadTeam("ENG", "Engineering")],
        mappings=[Mapping(team="ENG", member="E1", is_manager=True),
                  Mapping(team="ENG", member="E2", is_member=True)],
    )
    return wire.encode_payload(payload, wire.flavor(flavor), invite_new_users=False)


# ------------------------------------------------------------------ retries


def test_sync_retries_on_503_then_succeeds(sandbox) -> None:
    before = _sync_count(sandbox)
    _fault(sandbox, status=503, times=2)
    delays: list[float] = []
    with _client(sandbox, delays) as client:
        result = client.sync(_body())
    assert result.status == "applied"
    assert len(delays) == 2  # two refused attempts, the third got through
    assert _fired(sandbox) == 2
    assert _sync_count(sandbox) == before + 1  # the account saw the sync exactly once


@pytest.mark.parametrize("status", [429, 503])
def test_a_sync_is_retried_only_on_statuses_that_say_not_processed(sandbox, status: int) -> None:
    _fault(sandbox, status=status, times=1)
    delays: list[float] = []
    with _client(sandbox, delays) as client:
        assert client.sync(_body()).status == "applied"
    assert len(delays) == 1


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_on_a_sync_is_an_unknown_outcome_never_resent(sandbox, status: int) -> None:
    before = _sync_count(sandbox)
    _fault(sandbox, status=status, times=1)
    delays: list[float] = []
    with _client(sandbox, delays) as client, pytest.raises(SyncOutcomeUnknown) as err:
        client.sync(_body())
    assert delays == [] and _fired(sandbox) == 1 and _sync_count(sandbox) == before
    assert f"HTTP {status}" in str(err.value) and "does not resend" in str(err.value)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_each_transient_status_of_an_export_read_is_retried(sandbox, status: int) -> None:
    _fault(sandbox, path=wire.EXPORT_USERS, method="GET", status=status, times=1)
    delays: list[float] = []
    with _client(sandbox, delays) as client:
        assert client.export_users()
    assert len(delays) == 1


def test_retry_after_is_honoured(sandbox) -> None:
    _fault(sandbox, status=429, times=1, retry_after=3)
    delays: list[float] = []
    with _client(sandbox, delays) as client:
        client.sync(_body())
    assert delays == [3.0]


def test_each_retry_is_announced_without_the_key(sandbox) -> None:
    _fault(sandbox, status=503, times=1)
    told: list[str] = []
    with _client(sandbox, [], on_retry=told.append) as client:
        client.sync(_body())
    assert len(told) == 1
    assert "503" in told[0] and "retrying in" in told[0] and "attempt 2 of 6" in told[0]
    assert KEY not in told[0]


def test_backoff_without_retry_after_is_jittered_and_grows_bounded(sandbox) -> None:
    _fault(sandbox, status=503, times=4)
    delays: list[float] = []
    with _client(sandbox, delays) as client:
        client.sync(_body())
    assert len(delays) == 4
    assert all(0 <= d <= 0.5 * 2 ** i for i, d in enumerate(delays))
    assert any(d != 0.5 * 2 ** i for i, d in enumerate(delays))  # jittered, not always the cap


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed as soon as we leave: nothing listens there


def _delays_with_seed(port: int, seed: int) -> list[float]:
    delays: list[float] = []
    with Client(f"http://127.0.0.1:{port}", "workleap", KEY, sleep=delays.append, max_retries=4,
                rng=random.Random(seed)) as client, pytest.raises(ApiError):
        client.ping()
    return delays


def test_backoff_jitter_comes_from_the_rng_within_the_exponential_cap() -> None:
    port = _closed_port()
    runs = [_delays_with_seed(port, seed) for seed in (1, 2, 3)]
    for delays in runs:
        assert len(delays) == 4
        assert all(0 <= d <= 0.5 * 2 ** i for i, d in enumerate(delays))
    assert runs[0] == _delays_with_seed(port, 1)  # the same seed, the same waits: the RNG is the only source
    assert len({tuple(r) for r in runs}) == 3  # different seeds, different waits for the same attempts
    assert not all(d == 0.5 * 2 ** i for r in runs for i, d in enumerate(r))


def test_retry_after_accepts_an_http_date() -> None:
    assert _retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: retry now
    assert _retry_after_seconds("7") == 7.0
    assert _retry_after_seconds("soon") is None


def test_retries_are_bounded_in_count_with_a_clear_error(sandbox) -> None:
    before = _sync_count(sandbox)
    _fault(sandbox, status=503, times=50)
    delays: list[float] = []
    with _client(sandbox, delays, max_retries=2) as client, pytest.raises(ApiError) as err:
        client.sync(_body())
    assert len(delays) == 2
    assert _fired(sandbox) == 3  # 1 + max_retries attempts, then a clear error
    msg = str(err.value)
    assert "503" in msg and "gave up after 3 attempts" in msg
    assert "\n" not in msg
    assert _sync_count(sandbox) == before


def test_retries_are_bounded_in_total_time(sandbox) -> None:
    _fault(sandbox, status=503, times=5, retry_after=90)
    delays: list[float] = []
    with _client(sandbox, delays, max_retry_time=60) as client, pytest.raises(ApiError) as err:
        client.sync(_body())
    assert delays == []  # waiting 90s would break the 60s budget: give up at once
    assert "retry budget" in str(err.value)


def test_connection_errors_are_retried_then_reported(sandbox) -> None:
    port = _closed_port()
    delays: list[float] = []
    with Client(f"http://127.0.0.1:{port}", "workleap", KEY, sleep=delays.append, max_retries=2) as client:
        with pytest.raises(ApiError) as err:
            client.sync(_body())
    assert len(delays) == 2
    assert "could not reach" in str(err.value)


@pytest.mark.parametrize("bad_url, sent, error", [
    ("127.0.0.1:1", 1, "UnsupportedProtocol"),        # no scheme: httpx has no transport for it
    ("http://127.0.0.1:abc", 0, "InvalidURL"),         # refused while building the request
])
def test_permanent_transport_errors_fail_at_once(bad_url: str, sent: int, error: str) -> None:
    # Client() refuses such endpoints up front (test_a_bad_endpoint_is_a_usage_error_before_any_request);
    # this is the request loop's own guard, reached by giving the checked client a bad base URL
    delays: list[float] = []
    told: list[str] = []
    requests: list[httpx.Request] = []
    with Client("http://127.0.0.1:9", "workleap", KEY, sleep=delays.append, on_retry=told.append) as client:
        client._http.event_hooks["request"].append(requests.append)
        client.sync_base = bad_url
        with pytest.raises(ApiError) as err:
            client.sync(_body())
    assert delays == [] and told == []  # retrying cannot help: one attempt, one clear line
    assert len(requests) == sent
    msg = str(err.value)
    assert "gave up" not in msg and "\n" not in msg
    assert msg.startswith(f"cannot send a request to {bad_url}")
    if error == "UnsupportedProtocol":
        assert "must be a URL like https://api.workleap.com" in msg
    else:
        assert f"({error}: Invalid port: 'abc')" in msg
    assert KEY not in msg


def test_a_proxy_that_refuses_the_tunnel_fails_at_once(sandbox, monkeypatch) -> None:
    # a real ProxyError: HTTPS_PROXY names the sandbox, which answers the CONNECT with 401
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", sandbox.url)
    delays: list[float] = []
    told: list[str] = []
    requests: list[httpx.Request] = []
    with Client("https://api.example.test", "workleap", KEY, sleep=delays.append, on_retry=told.append) as client:
        client._http.event_hooks["request"].append(requests.append)
        with pytest.raises(ApiError) as err:
            client.sync(_body())
    assert delays == [] and told == [] and len(requests) == 1
    msg = str(err.value)
    assert "(ProxyError" in msg and "gave up" not in msg and "\n" not in msg and KEY not in msg


def test_a_sync_whose_connection_drops_mid_answer_is_not_resent(sandbox) -> None:
    before = _sync_count(sandbox)
    _fault(sandbox, body="drop", times=1)
    # what httpx makes of the drop (checked on its own, so that the outcome below is for this reason)
    with sandbox.client() as http, pytest.raises(httpx.RemoteProtocolError):
        http.post(SYNC_PATH, json=_body())
    assert _fired(sandbox) == 1
    _fault(sandbox, body="drop", times=1)
    delays: list[float] = []
    told: list[str] = []
    with _client(sandbox, delays, on_retry=told.append) as client, pytest.raises(SyncOutcomeUnknown) as err:
        client.sync(_body())
    assert _fired(sandbox) == 2 and delays == [] and told == []  # one attempt: the answer was lost, not resent
    assert "RemoteProtocolError" in str(err.value) and _sync_count(sandbox) == before


def test_an_export_read_whose_connection_drops_is_retried(sandbox) -> None:
    _fault(sandbox, path=wire.EXPORT_USERS, method="GET", body="drop", times=1)
    delays: list[float] = []
    told: list[str] = []
    with _client(sandbox, delays, on_retry=told.append) as client:
        assert client.export_users()
    assert len(delays) == 1 and len(told) == 1 and "RemoteProtocolError" in told[0]


def _raw_fault(sandbox, status: int, content: bytes, *, path: str = SYNC_PATH, method: str = "POST") -> None:
    """Arm an answer of exactly these bytes (as text when it is UTF-8, else as base64)."""
    try:
        spec = {"content": content.decode("utf-8")}
    except UnicodeDecodeError:
        spec = {"content_base64": base64.b64encode(content).decode("ascii")}
    _fault(sandbox, path=path, method=method, status=status, body="raw", **spec)


@pytest.mark.parametrize("status", [200, 500])
@pytest.mark.parametrize("content", [
    b'{"isSuccess": true, "status": "applied", "report": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"isSuccess": true, "status": "applied", "syncId": "s\\ud800"}',
    b'{"isSuccess": true, "status": "applied", "syncId": "s\xed\xa0\x80"}',  # the same surrogate, raw
], ids=["deep", "surrogate-escaped", "surrogate-raw"])
def test_json_the_client_cannot_use_is_a_clean_error(sandbox, status: int, content: bytes) -> None:
    # fuzzing: nesting too deep (RecursionError) and a lone surrogate escape (crashed later when
    # hashed or written as UTF-8) escaped as internal errors
    _raw_fault(sandbox, status, content)
    with _client(sandbox, []) as client, pytest.raises(ApiError) as err:
        client.sync(_body())
    assert ("not JSON" if status == 200 else "answered HTTP 500") in str(err.value)
    assert _fired(sandbox) == 1


def test_sync_answer_with_non_finite_risk_counts_is_read(sandbox) -> None:
    _raw_fault(sandbox, 200, b'{"isSuccess": true, "status": "pending", "report": '
                             b'{"risk": {"users": NaN, "teams": Infinity, "x": true, "y": 3.0}}}')
    with _client(sandbox, []) as client:
        assert client.sync(_body()).risk == {"y": 3}
    assert _fired(sandbox) == 1


def test_export_group_whose_users_is_not_a_list_is_a_clean_error(sandbox) -> None:
    _raw_fault(sandbox, 200, json.dumps({"isSuccess": True, "data": {"id": "g-1", "name": "Eng", "users": 7}}).encode(),
               path=wire.EXPORT_GROUPS, method="GET")
    with _client(sandbox, []) as client, pytest.raises(ApiError, match="g-1: unexpected export answer"):
        client.export_group("g-1")
    assert _fired(sandbox) == 1


@pytest.mark.parametrize("endpoint, why", [
    ("127.0.0.1:1", "http:// or https://"),
    ("localhost:8765", "http:// or https://"),
    ("ftp://files.example", "http:// or https://"),
    ("https://", "no host"),
    ("https://api.example:99999", "not a valid URL"),
])
def test_a_bad_endpoint_is_a_usage_error_before_any_request(endpoint: str, why: str) -> None:
    with pytest.raises(UsageError) as err:
        Client(endpoint, "workleap", KEY)
    assert "OVCTL_ENDPOINT must be a URL like https://api.workleap.com" in str(err.value)
    assert why in str(err.value)


def test_cli_endpoint_without_a_scheme_fails_at_once(monkeypatch, capsys, tmp_path: Path) -> None:
    from ovctl.cli import main

    monkeypatch.setenv("OVCTL_API_KEY", KEY)
    monkeypatch.setenv("OVCTL_ENDPOINT", "127.0.0.1:1")
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    rc = main(["pull"])
    out, err = capsys.readouterr()
    assert rc == 1
    assert time.monotonic() - started < 5  # no retries (it used to take ~10 s)
    assert "OVCTL_ENDPOINT must be a URL like https://api.workleap.com" in err
    assert "retrying" not in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("endpoint, warned", [
    ("http://api.example.com", True),
    ("http://10.1.2.3:8080", True),
    ("https://api.example.com", False),
    ("http://127.0.0.1:8765", False),
    ("http://localhost:8765/", False),
    ("http://[::1]:8765", False),
])
def test_plain_http_to_another_machine_is_warned_about(endpoint: str, warned: bool) -> None:
    told: list[str] = []
    with Client(endpoint, "workleap", KEY, on_warning=told.append):
        pass
    assert bool(told) is warned
    if warned:
        assert "plain http" in told[0] and "https" in told[0] and KEY not in told[0]
    assert check_endpoint(endpoint)[0] == endpoint.rstrip("/")


@pytest.mark.parametrize("raw", ["0", "-1", "nan", "inf", "-inf", "abc", "1e400"])
def test_a_bad_timeout_is_a_usage_error(raw: str) -> None:
    with pytest.raises(UsageError) as err:
        timeout_from_env({"OVCTL_TIMEOUT": raw})
    assert "OVCTL_TIMEOUT must be a number of seconds above 0" in str(err.value)


def test_timeout_default_and_fractional() -> None:
    assert timeout_from_env({}) == 30.0
    assert timeout_from_env({"OVCTL_TIMEOUT": " 2.5 "}) == 2.5


def test_cli_bad_timeout_is_one_clean_line(monkeypatch, capsys, tmp_path: Path) -> None:
    from ovctl.cli import main

    monkeypatch.setenv("OVCTL_API_KEY", KEY)
    monkeypatch.setenv("OVCTL_TIMEOUT", "0")
    monkeypatch.chdir(tmp_path)
    rc = main(["pull", "--endpoint", "http://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert rc == 1 and "OVCTL_TIMEOUT" in err and "internal error" not in err


# ------------------------------------------------------------------ one-line errors


def test_400_surfaces_the_servers_message(sandbox) -> None:
    body = _body()
    body["teams"] = []
    with _client(sandbox, []) as client, pytest.raises(ApiError) as err:
        client.sync(body)
    msg = str(err.value)
    assert "400" in msg and "'teams'" in msg and "empty" in msg


def test_400_for_settings_in_current_flavor_names_it(sandbox) -> None:
    body = _body()
    body["settings"] = {"inviteNewUsers": True}
    with _client(sandbox, []) as client, pytest.raises(ApiError) as err:
        client.sync(body)
    assert "settings" in str(err.value)


@pytest.mark.parametrize("flavor", ["workleap", "legacy"])
def test_401_says_what_to_check_and_never_shows_the_key(sandbox, flavor: str) -> None:
    delays: list[float] = []
    with _client(sandbox, delays, key=WRONG_KEY, flavor=flavor) as client, pytest.raises(ApiError) as err:
        client.sync(_body(flavor))
    msg = str(err.value)
    assert "401" in msg and "OVCTL_API_KEY" in msg
    assert WRONG_KEY not in msg and KEY not in msg
    assert delays == []  # a refused key is not retried


def test_403_when_the_integration_is_off_says_to_activate_it(sandbox) -> None:
    with sandbox.client() as http:
        assert http.patch(wire.SANDBOX_SETTINGS, json={"integration_enabled": False}).status_code == 200
    try:
        with _client(sandbox, []) as client, pytest.raises(ApiError) as err:
            client.sync(_body())
    finally:
        with sandbox.client() as http:
            http.patch(wire.SANDBOX_SETTINGS, json={"integration_enabled": True})
    msg = str(err.value)
    assert "403" in msg and "API provisioning" in msg


def test_html_page_where_json_was_expected(sandbox) -> None:
    _fault(sandbox, status=200, times=1, body="html")
    with _client(sandbox, []) as client, pytest.raises(ApiError) as err:
        client.sync(_body())
    assert "HTML page where JSON was expected" in str(err.value)
    assert "API key" in str(err.value)


def test_garbage_body_is_a_clear_error(sandbox) -> None:
    _fault(sandbox, status=200, times=1, body="garbage")
    with _client(sandbox, []) as client, pytest.raises(ApiError) as err:
        client.sync(_body())
    assert "not JSON" in str(err.value)


def test_timeout_is_reported_with_endpoint_and_limit(sandbox) -> None:
    _fault(sandbox, path=wire.EXPORT_USERS, method="GET", status=200, times=5, delay=2.0)
    delays: list[float] = []
    with _client(sandbox, delays, timeout=0.3, max_retries=1) as client, pytest.raises(ApiError) as err:
        client.export_users()
    msg = str(err.value)
    assert f"no answer from {sandbox.url}" in msg and "within 0.3s" in msg
    assert len(delays) == 1  # a read that timed out is retried, bounded


def test_a_sync_held_past_the_timeout_is_an_unknown_outcome_never_resent(sandbox) -> None:
    _fault(sandbox, times=1, delay=1.5, late=True)  # the sync lands; its answer comes after ovctl gave up
    before = _sync_count(sandbox)
    delays: list[float] = []
    with _client(sandbox, delays, timeout=0.3) as client, pytest.raises(SyncOutcomeUnknown) as err:
        client.sync(_body())
    assert delays == [] and "within 0.3s" in str(err.value) and "may or may not have reached" in str(err.value)
    deadline = time.monotonic() + 10
    while _sync_count(sandbox) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sync_count(sandbox) == before + 1  # it did land, once: a resend would have made two


def test_export_errors_use_the_envelope_message(sandbox) -> None:
    _fault(sandbox, path=wire.EXPORT_USERS, method="GET", status=503, times=1)
    delays: list[float] = []
    with _client(sandbox, delays) as client:
        users = client.export_users()
    assert len(delays) == 1
    assert {u["email"] for u in users} >= {"ana@acme.example", "admin@acme.example"}


# ------------------------------------------------------------------ key handling


def test_key_comes_from_env_or_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("  from-file-key \n", encoding="utf-8")
    assert api_key_from_env({"OVCTL_API_KEY": "direct"}) == "direct"
    assert api_key_from_env({"OVCTL_API_KEY_FILE": str(key_file)}) == "from-file-key"
    with pytest.raises(UsageError) as err:
        api_key_from_env({})
    assert "OVCTL_API_KEY" in str(err.value) and "OVCTL_API_KEY_FILE" in str(err.value)


def test_a_server_echoing_the_key_is_scrubbed(sandbox) -> None:
    """Defence in depth: even if a server puts the key in its error, the message never shows it."""
    with _client(sandbox, [], key=WRONG_KEY) as client:
        assert WRONG_KEY not in client._scrub(f"bad key {WRONG_KEY} given")


def test_escaped_forms_of_the_key_are_scrubbed_too() -> None:
    key = "sk-back\\slash'quote-77"  # a backslash and a quote: repr() escapes them
    with Client("http://127.0.0.1:9", "workleap", key) as client:
        for text in (f"Illegal header value {key.encode()!r}", f"value {key!r}", f"value {ascii(key)}", key):
            scrubbed = client._scrub(text)
            assert "sk-back" not in scrubbed and "***" in scrubbed, (text, scrubbed)


@pytest.mark.parametrize("content, what", [
    ("try-me\nold-key-5678\n", "line break"),
    ("try-me old-key-5678", "whitespace"),
    ("try-me\x07old-key-5678", "control character"),
    ("try-mé-old-key-5678", "non-ASCII"),
])
def test_a_malformed_key_file_is_refused_without_showing_the_key(tmp_path: Path, content: str, what: str) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError) as err:
        api_key_from_env({"OVCTL_API_KEY_FILE": str(key_file)})
    msg = str(err.value)
    assert "OVCTL_API_KEY_FILE" in msg and str(key_file) in msg and what in msg
    assert "try-m" not in msg and "old-key" not in msg


@pytest.mark.parametrize("key", ["sk-café-1234", "sk-one\nsk-two", "sk\tx-1234", "sk-zero\u200bwidth"])
def test_a_malformed_key_in_the_environment_is_refused(key: str) -> None:
    with pytest.raises(UsageError) as err:
        api_key_from_env({"OVCTL_API_KEY": key})
    assert "OVCTL_API_KEY" in str(err.value) and "sk-" not in str(err.value)


def test_surrounding_blanks_of_a_key_are_ignored() -> None:
    assert api_key_from_env({"OVCTL_API_KEY": "  sk-padded-1234 \n"}) == "sk-padded-1234"


@pytest.mark.parametrize("content", ["try-me\nold-key-5678\n", "try-mé-old-key-5678"])
def test_cli_with_a_two_line_or_non_ascii_key_never_shows_it(sandbox, monkeypatch, capsys, tmp_path: Path,
                                                             content: str) -> None:
    from ovctl.cli import main

    key_file = tmp_path / "key"
    key_file.write_text(content, encoding="utf-8")
    monkeypatch.delenv("OVCTL_API_KEY", raising=False)
    monkeypatch.setenv("OVCTL_API_KEY_FILE", str(key_file))
    monkeypatch.chdir(tmp_path)
    before = _fired(sandbox)
    rc = main(["pull", "--endpoint", sandbox.url])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "OVCTL_API_KEY_FILE" in err and len(err.strip().splitlines()) == 1
    assert "internal error" not in err and "retrying" not in err
    for part in ("try-m", "old-key-5678", "5678"):
        assert part not in out + err
    assert _fired(sandbox) == before


def test_cli_bad_key_error_is_one_line_without_the_key(sandbox, monkeypatch, capsys, tmp_path: Path) -> None:
    from ovctl.cli import main

    monkeypatch.setenv("OVCTL_API_KEY", WRONG_KEY)
    monkeypatch.chdir(tmp_path)
    rc = main(["pull", "--endpoint", sandbox.url, "--out", str(tmp_path / "snap.json")])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "401" in err and len(err.strip().splitlines()) == 1
    assert WRONG_KEY not in out + err and KEY not in out + err
    assert not (tmp_path / "snap.json").exists()


# ------------------------------------------------------------------ export mapping


def test_export_api_maps_to_the_same_people_and_teams_as_the_sandbox_snapshot(sandbox) -> None:
    """The real-account path (export API) against the sandbox's own view of the account."""
    progress: list[tuple[str, int, int | None]] = []
    with _client(sandbox, []) as client:
        exported = snapshot_from_export(client, progress=lambda *a: progress.append(a))
        truth = client.sandbox_snapshot()
    assert truth is not None
    n = len(truth["teams"])
    assert [p for p in progress if p[0] == "reading teams"] == [("reading teams", k, n) for k in range(n + 1)]
    assert truth is not None
    assert {m.email for m in exported.members} == {m["email"] for m in truth["members"]}
    roles = {m.email: m.role for m in exported.members}
    assert roles["admin@acme.example"] == "admin"
    by_id = {t.officevibe_id: t for t in exported.teams}
    for team in truth["teams"]:
        got = by_id[team["officevibe_id"]]
        assert got.name == team["name"]
        assert sorted(got.managers) == sorted(team["managers"])
        assert sorted(got.members) == sorted(team["members"])


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_export_read_with_concurrency_keeps_the_export_order(sandbox, concurrency: int) -> None:
    """Answers arrive in any order (a slow first team), the snapshot is the same: teams in the
    export's order, people in each team's order."""
    _fault(sandbox, path=wire.EXPORT_GROUPS, method="GET", delay=0.3, times=2)  # the list, then the first team
    with _client(sandbox, []) as client:
        one = snapshot_from_export(client, concurrency=1)
    _fault(sandbox, path=wire.EXPORT_GROUPS, method="GET", delay=0.3, times=2)
    with _client(sandbox, []) as client:
        many = snapshot_from_export(client, concurrency=concurrency)
        truth = client.sandbox_snapshot()
    assert many.to_dict() == one.to_dict()
    assert [t.officevibe_id for t in many.teams] == [t["officevibe_id"] for t in truth["teams"]]


def test_export_read_with_concurrency_stops_at_the_first_error_with_one_line(sandbox) -> None:
    """A team that fails (after the client's own retries) stops the read with that one ApiError."""
    with _client(sandbox, []) as client:
        n_teams = len(client.export_groups())
    # the list answers; then every per-team request is refused for good (400 is not retried)
    _fault(sandbox, path=wire.EXPORT_GROUPS, method="GET", status=400, times=100)
    with _client(sandbox, []) as client:
        client.export_groups = lambda: [{"id": str(i), "name": f"T{i}"} for i in range(n_teams)]  # type: ignore[method-assign]
        with pytest.raises(ApiError) as e:
            snapshot_from_export(client, concurrency=4)
    assert "(400)" in str(e.value) and len(str(e.value).splitlines()) == 1
    assert _fired(sandbox) <= 4 + 4  # stopped: no more than the window in flight when it failed, plus the window refilled at most once


def test_export_concurrency_setting() -> None:
    from ovctl.account.settings import export_concurrency

    assert export_concurrency({}) == 8
    assert export_concurrency({"OVCTL_EXPORT_CONCURRENCY": " 1 "}) == 1
    for bad in ("0", "-2", "many", "1.5", "65"):
        with pytest.raises(UsageError, match="OVCTL_EXPORT_CONCURRENCY"):
            export_concurrency({"OVCTL_EXPORT_CONCURRENCY": bad})


def test_sandbox_snapshot_is_none_on_a_server_that_is_not_a_sandbox() -> None:
    """A plain HTTP server without /sandbox/snapshot (404) is taken as a real account."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(404)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"message": "not found"}')

        def log_message(self, *a) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with Client(f"http://127.0.0.1:{server.server_port}", "workleap", KEY) as client:
            assert client.sandbox_snapshot() is None
    finally:
        server.shutdown()
