"""``answers.SnapshotAnswers`` after syncs: each answer is ``JSONResponse``'s bytes for the account as
it is, whether it was spliced from the kept one (the rows a sync left equal reused) or encoded
whole: across generated syncs (members changed, added, renamed, dropped, reordered; values set and
cleared), settings changes and resets, and on databases edited by hand to hold values of other
types (numbers, booleans), which must never be spliced as text.

In process, on a real SQLite file through the store and ``account.run_sync`` (the server's own
path for a sync); ``tests/test_sandbox_snapshot_answer.py`` checks the answer over HTTP."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import JSONResponse

from ovctl.core.model import PropertyDef, Snapshot, SnapMember, SnapTeam
from ovctl.sandbox import account, answers
from ovctl.sandbox.answers import SnapshotAnswers
from ovctl.sandbox.store import Store
from support.sandbox_bodies import member, person, team

PROPERTIES = {"Location": PropertyDef("text"), "Hire Date": PropertyDef("date"),
              "Level": PropertyDef("choices", ("L1", "L2", "L3"))}


def _seed(n: int) -> Snapshot:
    members = [SnapMember(f"p{i}@acme.example", f"E{i}", f"First{i}", f"Last{i}", job_title="Dev" if i % 3 else None,
                          language="fr" if i % 2 else None,
                          properties={"Location": f"City{i % 5}", **({"Level": "L1"} if i % 4 == 0 else {})})
               for i in range(n)]
    teams = [SnapTeam("ov-T0", "Team 0", "T0", None, [members[0].email], [m.email for m in members[1:n // 2]]),
             SnapTeam("ov-T1", "Team 1", "T1", "ov-T0", [], [m.email for m in members[n // 2:]])]
    return Snapshot(members=members, teams=teams, properties=dict(PROPERTIES))


def _body(rng: random.Random, people: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A full sync of ``people`` (external id -> member row), changed at random (kept in ``people``)."""
    for ext in list(people):
        r = rng.random()
        row = people[ext]
        if r < 0.05:
            del people[ext]  # deactivated by its absence
        elif r < 0.12:
            row["firstName"] = f"{row['firstName']}'"
        elif r < 0.18:
            row["Location"] = rng.choice(["", "Paris", "Lyon", "Montréal\u2028", 'A "quoted"\tcity'])
        elif r < 0.22:
            row["Hire Date"] = rng.choice(["2020-01-02", "", "not a date"])
        elif r < 0.25:
            row["email"] = f"renamed-{rng.randrange(10**6)}@acme.example"
    for _ in range(rng.randrange(4)):
        ext = f"N{rng.randrange(10**6)}"
        people[ext] = member(ext, f"{ext.lower()}@acme.example", "New", "Person", Location="Paris")
    rows = list(people.values())
    if rng.random() < 0.2:
        rng.shuffle(rows)
    exts = [r["externalMemberId"] for r in rows]
    return {"members": [dict(r) for r in rows], "teams": [team("T0", "Team 0"), team("T1", "Team 1")],
            "teamMappings": [person("T0" if i % 2 else "T1", e) for i, e in enumerate(exts)]}


def _served(tmp_path: Path, n: int) -> tuple[Store, SnapshotAnswers, dict[str, dict[str, Any]]]:
    """A store seeded with ``n`` members, its answers prepared, and its members as sync rows."""
    store = Store(tmp_path / "sandbox.db")
    store.seed(_seed(n))
    served = SnapshotAnswers(store)
    served.prepare()
    people = {m.external_id: member(m.external_id, m.email, m.first_name, m.last_name)
              for m in store.load_account().members}
    return store, served, people


def _expected(store: Store) -> bytes:
    return JSONResponse(store.load_account().to_dict()).body


@pytest.fixture()
def spliced_count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many answers were spliced (a spy around the real function)."""
    count = [0]
    real = answers.spliced

    def counting(*args: Any) -> Any:
        made = real(*args)
        count[0] += made is not None
        return made

    monkeypatch.setattr(answers, "spliced", counting)
    return count


@pytest.mark.parametrize("seed", range(4))
def test_every_answer_after_syncs_is_jsonresponses_bytes(tmp_path: Path, seed: int, spliced_count) -> None:
    rng = random.Random(seed)
    store, served, people = _served(tmp_path, 60)
    for step in range(12):
        record = account.run_sync(store, "workleap", _body(rng, people))
        assert record.status == "applied", record.error
        assert served.body() == _expected(store), step
        assert served.body() == _expected(store)  # kept: asked again, the same bytes
        if step % 5 == 4:
            store.update_settings({"invite_new_members": step % 2 == 0}, {})
            assert served.body() == _expected(store)
    assert spliced_count[0] >= 6  # the syncs' answers were mostly spliced, not encoded whole


def test_an_answer_not_read_after_one_sync_is_encoded_whole(tmp_path: Path, spliced_count) -> None:
    store, served, people = _served(tmp_path, 20)
    rng = random.Random(7)
    account.run_sync(store, "workleap", _body(rng, people))
    account.run_sync(store, "workleap", _body(rng, people))  # two syncs, no read between
    assert served.body() == _expected(store)
    assert spliced_count[0] == 0
    account.run_sync(store, "workleap", _body(rng, people))
    assert served.body() == _expected(store)
    assert spliced_count[0] == 1


@pytest.mark.parametrize("edit", [
    "UPDATE members SET properties = '{\"Location\": 5}' WHERE position = 1",
    "UPDATE members SET properties = '{\"Location\": true}' WHERE position = 2",
    "UPDATE members SET properties = '{\"Location\": 1e-05}' WHERE position = 3",
    "UPDATE members SET job_title = 7 WHERE position = 4",
    "UPDATE members SET first_name = 1.5 WHERE position = 5",
    "UPDATE teams SET name = 3 WHERE position = 0",
])
def test_values_of_other_types_written_by_hand_are_never_spliced_as_text(tmp_path: Path, edit: str) -> None:
    db = tmp_path / "sandbox.db"
    Store(db).seed(_seed(12))
    with sqlite3.connect(db) as conn:
        conn.execute(edit)
    store = Store(db)
    served = SnapshotAnswers(store)
    served.prepare()
    assert served.body() == _expected(store)
    rows = {m.external_id: m for m in store.load_account().members}
    # a sync that keeps every member as the database holds it, then one that sets the edited value as text
    body = {"members": [member(e, m.email, str(m.first_name), m.last_name, **{"Location": "Paris"})
                        for e, m in rows.items()],
            "teams": [team("T0", "Team 0"), team("T1", "Team 1")],
            "teamMappings": [person("T0", e) for e in rows]}
    for _ in range(2):
        account.run_sync(store, "workleap", json.loads(json.dumps(body)))
        assert served.body() == _expected(store)
        body["members"][0]["firstName"] += "!"


def test_a_reset_is_answered_whole(tmp_path: Path) -> None:
    store = Store(tmp_path / "sandbox.db")
    store.seed(_seed(10))
    served = SnapshotAnswers(store)
    served.prepare()
    store.reset(_seed(4))
    assert served.body() == _expected(store)
    store.reset()
    assert served.body() == _expected(store) and json.loads(served.body())["members"] == []
