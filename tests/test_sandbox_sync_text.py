"""The sync history keeps a body's own JSON text, and serves the same payload as before.

The sandbox stores a sync body as the request's text (not the parsed body dumped again) when
reading that text back gives the very value it parsed; otherwise it dumps the parsed body as it
always did. Over HTTP against a real server process: for bodies written every way a client may
write them, ``GET /sandbox/syncs/{id}`` serves the payload that the parsed body, dumped and read
back, would give (the released behaviour), key order included, and a held sync approved later
decodes the stored text to the same result.
"""

from __future__ import annotations

import json
import math
import sqlite3
from typing import Any

import pytest

from ovctl.account import wire
from support.sandbox_bodies import SYNC, member, seed_body

HEADERS = {"content-type": "application/json"}


def as_released(raw: bytes) -> Any:
    """What the history served for ``raw`` before: the server's parse (``1e400`` kept as its text),
    dumped and read back; pairs keep the key order in the comparison."""
    def finite_or_text(text: str) -> Any:
        number = float(text)
        return number if math.isfinite(number) else text
    parsed = json.loads(raw, parse_float=finite_or_text)
    return json.loads(json.dumps(parsed, ensure_ascii=False), object_pairs_hook=list)


def written(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def with_level(raw_value: str) -> str:
    """The seed sync with one member's property written verbatim into compact JSON text."""
    text = json.dumps(seed_body(), ensure_ascii=False, separators=(",", ":"))
    marker = '"Location":"Paris"'
    assert marker in text
    return text.replace(marker, f'{marker},"Level":{raw_value}')


BODIES: dict[str, bytes] = {
    "compact, as httpx sends it": written(json.dumps(seed_body(), ensure_ascii=False, separators=(",", ":"))),
    "indented, ASCII escapes": written(json.dumps(seed_body(), indent=2)),
    "padded with whitespace": written("\n\t " + json.dumps(seed_body()) + " \r\n"),
    "duplicate keys": written(with_level('"1","Level":"2","Location":"Lyon"')),
    "numbers": written(with_level('1.50,"A":1e2,"B":-0.0,"C":1E+2,"D":' + "9" * 30 + ',"E":0.1e-5')),
    "a float too large, kept as text": written(with_level("1e400")),
    "escapes": written(with_level(r'"a\/b\n\t\"\\ \u00e9\u0000 \ud83d\ude00"')),
    "UTF-8 byte-order mark": b"\xef\xbb\xbf" + written(json.dumps(seed_body())),
    "UTF-16": written(json.dumps(seed_body()), "utf-16-le"),
    "refused: no teams": written(json.dumps({**seed_body(), "teams": []}, indent=1)),
}


@pytest.mark.parametrize("name", list(BODIES))
def test_history_serves_the_payload_as_released(module_sandbox: Any, name: str) -> None:
    raw = BODIES[name]
    with module_sandbox.client() as http:
        reply = http.post(SYNC, content=raw, headers=HEADERS)
        assert reply.status_code in (200, 400), reply.text[:300]
        sync_id = reply.json()["syncId"]
        served = http.get(wire.SANDBOX_SYNC.format(sync_id=sync_id))
    assert served.status_code == 200
    assert json.loads(served.content, object_pairs_hook=list)[-2] == ("payload", as_released(raw))


def test_a_held_sync_approved_later_reads_its_stored_text(sandbox: Any) -> None:
    sandbox.patch_settings(risk_thresholds={"users": 0})
    body = seed_body()
    body["members"].append(member("E9", "gina@acme.example", "Gina", "Lyon"))  # one created: a risk of one user
    raw = written(json.dumps(body, indent=3).replace('"Lyon"', '"Ly\\u006fn"'))
    with sandbox.client() as http:
        held = http.post(SYNC, content=raw, headers=HEADERS)
        assert held.status_code == 202 and held.json()["status"] == "pending", held.text[:300]
        approved = http.post(wire.SANDBOX_APPROVE.format(sync_id=held.json()["syncId"]))
        assert approved.status_code == 200 and approved.json()["status"] == "applied"
    gina = next(m for m in sandbox.snapshot()["members"] if m["email"] == "gina@acme.example")
    assert (gina["external_id"], gina["last_name"]) == ("E9", "Lyon")


def test_a_lone_surrogate_escape_fails_as_released(module_sandbox: Any) -> None:
    """Never stored as text: the parsed body is dumped, and the database refuses it as before."""
    raw = written(with_level(r'"\ud800"'))
    with module_sandbox.client() as http:
        before = http.get(wire.SANDBOX_SYNCS).json()["syncs"]
        reply = http.post(SYNC, content=raw, headers=HEADERS)
        assert reply.status_code == 500
        assert reply.json()["errorMessage"] == "internal error in the sandbox (UnicodeEncodeError)"
    with module_sandbox.client() as http:  # the server closed that connection after its 500
        assert http.get(wire.SANDBOX_SYNCS).json()["syncs"] == before


@pytest.mark.parametrize(("name", "kept"), [("compact, as httpx sends it", True), ("padded with whitespace", True),
                                            ("a float too large, kept as text", False), ("UTF-16", False),
                                            ("UTF-8 byte-order mark", False)])
def test_the_request_text_is_stored_only_when_it_reads_back_the_same(module_sandbox: Any, name: str,
                                                                     kept: bool) -> None:
    raw = BODIES[name]
    with module_sandbox.client() as http:
        sync_id = http.post(SYNC, content=raw, headers=HEADERS).json()["syncId"]
    with sqlite3.connect(module_sandbox.db) as db:
        (stored,) = db.execute("SELECT payload FROM syncs WHERE id = ?", (sync_id,)).fetchone()
    if kept:
        assert stored == raw.decode("utf-8")
    else:
        assert stored == json.dumps(json.loads(raw, parse_float=lambda t: t if t == "1e400" else float(t)),
                                    ensure_ascii=False)


def test_the_server_copies_a_syncs_log_into_the_file_after_answering(module_sandbox: Any) -> None:
    """A sync's commit leaves the write-ahead log as it is (its answer goes first); the server then
    checkpoints, so the database file itself (read without the log) holds the sync."""
    import time

    body = seed_body()
    body["members"][0]["jobTitle"] = "x" * 5_000_000  # a log past SQLite's own threshold
    with module_sandbox.client() as http:
        reply = http.post(SYNC, content=written(json.dumps(body)), headers=HEADERS)
        assert reply.status_code in (200, 202), reply.text[:300]
    sync_id = reply.json()["syncId"]
    deadline = time.monotonic() + 10
    while True:
        db = sqlite3.connect(f"file:{module_sandbox.db}?immutable=1", uri=True)
        try:
            if db.execute("SELECT 1 FROM syncs WHERE id = ?", (sync_id,)).fetchone():
                break
        except sqlite3.OperationalError:  # not even the tables yet: all of it is still in the log
            pass
        finally:
            db.close()
        assert time.monotonic() < deadline, "the sync never reached the database file"
        time.sleep(0.05)
