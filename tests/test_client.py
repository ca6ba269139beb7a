"""The HTTP client against a real sandbox process, with faults injected by the server.

Retry counts come from the delays the client asked to sleep (recorded, not slept) and from the
sandbox's own sync history; no test measures time.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Iterator

import pytest

from ovctl import wire
from ovctl.client import Client, _retry_after_seconds, api_key_from_env
from ovctl.errors import ApiError, UsageError
from ovctl.live import snapshot_from_export
from ovctl.model import Mapping, Payload, PayloadMember, PayloadTeam
from support.sandbox_proc import start_sandbox

SEED = Path(__file__).parent / "fixtures" / "e2e" / "seed.json"
KEY = "sk-live-client-test-7f3a9c"
WRONG_KEY = "sk-wrong-0b1d5e77aa"
SYNC_PATH = wire.WORKLEAP.sync_path


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    proc = start_sandbox(tmp_path_factory.mktemp("client-sandbox"), seed=SEED, api_key=KEY)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(autouse=True)
def _no_faults(sandbox) -> Iterator[None]:
    yield
    with sandbox.client() as http:
        http.delete(wire.SANDBOX_FAULTS)


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


@pytest.mark.parametrize("status", [429, 502, 504])
def test_each_transient_status_is_retried(sandbox, status: int) -> None:
    _fault(sandbox, status=status, times=1)
    delays: list[float] = []
    with _client(sandbox, delays) as client:
        assert client.sync(_body()).status == "applied"
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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed as soon as we leave: nothing listens there
    delays: list[float] = []
    with Client(f"http://127.0.0.1:{port}", "workleap", KEY, sleep=delays.append, max_retries=2) as client:
        with pytest.raises(ApiError) as err:
            client.sync(_body())
    assert len(delays) == 2
    assert "could not reach" in str(err.value)


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
    _fault(sandbox, status=200, times=5, delay=2.0)
    delays: list[float] = []
    with _client(sandbox, delays, timeout=0.3, max_retries=1) as client, pytest.raises(ApiError) as err:
        client.sync(_body())
    msg = str(err.value)
    assert f"no answer from {sandbox.url}" in msg and "within 0.3s" in msg
    assert len(delays) == 1  # a timeout is a network error: retried (the sync is idempotent), bounded


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
    progress: list[str] = []
    with _client(sandbox, []) as client:
        exported = snapshot_from_export(client, progress=progress.append)
        truth = client.sandbox_snapshot()
    assert truth is not None
    assert len([p for p in progress if p.startswith("pull: team ")]) == len(truth["teams"])  # one line per team
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
