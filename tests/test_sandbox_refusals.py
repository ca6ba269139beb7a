"""Bodies the sandbox cannot read, over HTTP against a real server process (default body limit):
every JSON decoding failure is a 400 "malformed JSON" with the same reply shape as other refused
syncs (``syncId``, ``status``), is recorded in the history, and never prints a traceback.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ovctl.account import wire
from support.sandbox_bodies import LEGACY_SYNC, SYNC, seed_body


def _with_raw_level(raw_value: str) -> bytes:
    """The seed sync with one member's numeric property written verbatim into the JSON text."""
    text = json.dumps(seed_body())
    marker = '"Location": "Paris"'
    assert marker in text
    return text.replace(marker, f'{marker}, "Level": {raw_value}').encode()


UNREADABLE = {
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep nesting in an object": b'{"members": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "integer of 5000 digits": _with_raw_level("9" * 5000),
    "NaN": _with_raw_level("NaN"),
    "Infinity": _with_raw_level("Infinity"),
    "-Infinity": _with_raw_level("-Infinity"),
    "truncated": b'{"members": [',
    "not UTF-8": b'{"members": "\xff\xfe"}',
}


@pytest.mark.parametrize("path", [SYNC, LEGACY_SYNC])
@pytest.mark.parametrize("name", list(UNREADABLE))
def test_unreadable_body_is_a_recorded_400_malformed_json(sandbox: Any, name: str, path: str) -> None:
    offset = len(sandbox.output)
    with sandbox.client() as http:
        before = json.dumps(http.get(wire.SANDBOX_SNAPSHOT).json(), sort_keys=True)
        r = http.post(path, content=UNREADABLE[name], headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        reply = r.json()
        assert reply["isSuccess"] is False and reply["errorMessage"].startswith("malformed JSON")
        assert reply["errors"] == [reply["errorMessage"]]
        assert reply["status"] == "rejected" and reply["syncId"]
        last = http.get(wire.SANDBOX_SYNCS).json()["syncs"][-1]
        assert (last["id"], last["status"], last["error"]) == (reply["syncId"], "rejected", reply["errorMessage"])
        assert json.dumps(http.get(wire.SANDBOX_SNAPSHOT).json(), sort_keys=True) == before
    assert "Traceback" not in sandbox.output[offset:]


def test_nesting_the_parser_accepts_is_refused_by_shape_not_by_a_crash(sandbox: Any) -> None:
    """Just under the parser's depth limit a property value is a deep list: a 400 naming it."""
    offset = len(sandbox.output)
    for depth in (500, 900, 990):
        body = json.dumps(seed_body()).replace('"Location": "Paris"', '"Level": ' + "[" * depth + "]" * depth)
        with sandbox.client() as http:
            r = http.post(SYNC, content=body.encode(), headers={"content-type": "application/json"})
        assert r.status_code == 400, (depth, r.text[:300])
        assert r.json()["syncId"] and r.json()["status"] == "rejected"
    assert "Traceback" not in sandbox.output[offset:]


@pytest.mark.parametrize("path", [wire.SANDBOX_SETTINGS, wire.SANDBOX_FAULTS])
def test_unreadable_admin_body_is_400(sandbox: Any, path: str) -> None:
    method = "PATCH" if path == wire.SANDBOX_SETTINGS else "POST"
    with sandbox.client() as http:
        for raw in (UNREADABLE["deep nesting"], b'{"risk_thresholds": {"users": NaN}}', b'{"times": ' + b"1" * 5000 + b"}"):
            r = http.request(method, path, content=raw, headers={"content-type": "application/json"})
            assert r.status_code == 400 and r.json()["errorMessage"].startswith("malformed JSON"), r.text[:200]
        assert http.get(wire.SANDBOX_FAULTS).json()["faults"] == []
