"""``GET /sandbox/snapshot`` is encoded once per state of the account (``app.SnapshotAnswers``):
over HTTP against a real server, the answer is byte for byte what ``JSONResponse`` makes of the
snapshot, and follows every change of the account (a sync, an approval, a settings or property
change, a reset), never an earlier state."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.responses import JSONResponse

from ovctl.account import wire
from support.sandbox_bodies import SYNC, member, person, seed_body


def answer(sandbox: Any) -> tuple[bytes, dict[str, Any]]:
    with sandbox.client() as http:
        r = http.get(wire.SANDBOX_SNAPSHOT)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert int(r.headers["content-length"]) == len(r.content)
    data = json.loads(r.content)
    assert r.content == JSONResponse(data).body  # JSONResponse's own encoding, byte for byte
    return r.content, data


def emails(data: dict[str, Any]) -> set[str]:
    return {m["email"] for m in data["members"]}


def with_new_member(ext: str, email: str) -> dict[str, Any]:
    body = seed_body()
    body["members"].append(member(ext, email, ext, "Test"))
    body["teamMappings"].append(person("SUP", ext))
    return body


def test_an_unchanged_account_answers_the_same_bytes(sandbox: Any) -> None:
    first, _ = answer(sandbox)
    assert answer(sandbox)[0] == first


def test_the_answer_follows_syncs_approvals_settings_and_resets(sandbox: Any) -> None:
    _, before = answer(sandbox)
    with sandbox.client() as http:
        assert http.post(SYNC, json=with_new_member("E8", "hugo@acme.example")).status_code == 200
    _, data = answer(sandbox)
    assert emails(data) == emails(before) | {"hugo@acme.example"}

    sandbox.patch_settings(invite_new_members=not before["settings"]["invite_new_members"])
    _, data = answer(sandbox)
    assert data["settings"]["invite_new_members"] is not before["settings"]["invite_new_members"]

    sandbox.patch_settings(properties={"Shoe size": {"type": "numeric"}})
    assert "Shoe size" in answer(sandbox)[1]["properties"]

    sandbox.patch_settings(risk_thresholds={"users": 0})
    with sandbox.client() as http:
        held = http.post(SYNC, json=with_new_member("E9", "gina@acme.example")).json()
        assert held["status"] == "pending"
        assert "gina@acme.example" not in emails(answer(sandbox)[1])
        assert http.post(wire.SANDBOX_APPROVE.format(sync_id=held["syncId"])).status_code == 200
    assert "gina@acme.example" in emails(answer(sandbox)[1])

    with sandbox.client() as http:
        assert http.post(wire.SANDBOX_RESET).status_code == 200
    assert answer(sandbox)[1]["members"] == []


def test_an_account_json_cannot_carry_fails_its_reads_not_the_start(own_sandbox: Any) -> None:
    """A value of another type written into the database by hand (bytes): the server starts as it
    did, and the snapshot read is the internal error it was."""
    own_sandbox.stop()
    with sqlite3.connect(own_sandbox.db) as db:
        db.execute("UPDATE members SET first_name = X'00ff' WHERE position = 0")
    own_sandbox.restart()
    with own_sandbox.client() as http:
        r = http.get(wire.SANDBOX_SNAPSHOT)
    assert r.status_code == 500
    assert r.json()["errorMessage"] == "internal error in the sandbox (TypeError)"
    with own_sandbox.client() as http:  # the server is still there
        assert http.get(wire.EXPORT_PING).status_code == 200


def test_the_answer_is_jsonresponses_bytes_for_any_values() -> None:
    """orjson writes the answer only when every value is one it writes as json does: for values no
    store holds (floats, big ints, tuples, str subclasses, lone surrogates) it is JSONResponse's."""
    import random

    from ovctl.core.model import Snapshot, SnapMember, SnapTeam
    from ovctl.sandbox.answers import _answer_body

    class Text(str):
        pass

    odd = [1e-05, 2.5, 10**20, ("t",), Text("x"), None, "é\x00\u2028", True, 7, [1.5], {"k": 1e22}, "\ud800"]
    for seed in range(120):
        rng = random.Random(seed)
        pick = lambda: rng.choice(odd) if rng.random() < 0.3 else f"v{rng.random()}"  # noqa: E731
        snap = Snapshot([SnapMember(f"m{i}@x.io", pick(), "A", pick(), properties={"p": pick()}) for i in range(3)],
                        [SnapTeam("ov1", "T", pick(), None, ["m0@x.io", pick()], [])], {})
        data = snap.to_dict()
        try:
            expected = JSONResponse(data).body
        except (TypeError, ValueError, UnicodeError):  # json refuses it (a lone surrogate): so must we
            continue
        assert _answer_body(data) == expected
