"""The sandbox over time: risk thresholds with pending / approve / reject, the sync history,
persistence across restarts, concurrent syncs, crash safety, and the `sandbox serve` command line.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ovctl.account import wire
from ovctl.sandbox.faults import CRASH_EXIT_CODE
from support.sandbox_bodies import SYNC, by_email, member, person, seed_body, team


def _with_new_member(ext: str, email: str, team: str = "SUP") -> dict[str, Any]:
    body = seed_body()
    body["members"].append(member(ext, email, ext, "Test"))
    body["teamMappings"].append(person(team, ext))
    return body


# --------------------------------------------------------------------------- risk thresholds


def test_sync_over_threshold_is_pending_then_approved(sandbox) -> None:
    sandbox.patch_settings(risk_thresholds={"users": 0})
    before = sandbox.snapshot()
    with sandbox.client() as c:
        r = c.post(SYNC, json=_with_new_member("E9", "gina@acme.example"))
        assert r.status_code == 202
        held = r.json()
        # The rules on the seed: users = 1 created (gina); no deactivation (dan already is, eve and
        # frank are protected); no property value changes. Teams = SALES gains chloe (frank, an
        # executive absent from the payload, stays) + SUP loses dan and gains bob and gina = 4.
        assert held["status"] == "pending" and held["report"]["risk"] == {"users": 1, "teams": 4}
        assert sandbox.syncs()[-1]["risk"] == {"users": 1, "teams": 4}
        assert sandbox.snapshot() == before  # nothing applied while pending
        detail = c.get(wire.SANDBOX_SYNC.format(sync_id=held["syncId"])).json()
        assert detail["status"] == "pending" and detail["report"]["risk"] == held["report"]["risk"]

        ok = c.post(wire.SANDBOX_APPROVE.format(sync_id=held["syncId"]))
        assert ok.status_code == 200 and ok.json()["status"] == "applied"
        assert by_email(sandbox.snapshot())["gina@acme.example"]["status"] == "created"
        assert c.get(wire.SANDBOX_SYNC.format(sync_id=held["syncId"])).json()["status"] == "applied"
        again = c.post(wire.SANDBOX_APPROVE.format(sync_id=held["syncId"]))
        assert again.status_code == 409 and again.json()["isSuccess"] is False


def test_sync_over_threshold_then_rejected_applies_nothing(sandbox) -> None:
    sandbox.patch_settings(risk_thresholds={"teams": 0})
    before = sandbox.snapshot()
    with sandbox.client() as c:
        held = c.post(SYNC, json=_with_new_member("E9", "gina@acme.example")).json()
        assert held["status"] == "pending"
        r = c.post(wire.SANDBOX_REJECT.format(sync_id=held["syncId"]))
        assert r.status_code == 200 and r.json()["status"] == "rejected"
        assert c.post(wire.SANDBOX_REJECT.format(sync_id=held["syncId"])).status_code == 409
        assert c.post(wire.SANDBOX_APPROVE.format(sync_id=held["syncId"])).status_code == 409
    assert sandbox.snapshot() == before
    assert [s["status"] for s in sandbox.syncs()] == ["rejected"]


def test_sync_within_thresholds_is_applied_at_once(sandbox) -> None:
    sandbox.patch_settings(risk_thresholds={"users": 1000, "teams": 1000})
    with sandbox.client() as c:
        r = c.post(SYNC, json=_with_new_member("E9", "gina@acme.example"))
    assert r.status_code == 200 and r.json()["status"] == "applied"


def test_approval_resimulates_against_the_current_account(sandbox) -> None:
    """A pending sync is full state: approved after another sync, it deactivates what that one added."""
    sandbox.patch_settings(risk_thresholds={"users": 0})
    with sandbox.client() as c:
        held = c.post(SYNC, json=_with_new_member("E8", "hugo@acme.example")).json()
        assert held["status"] == "pending"
        sandbox.patch_settings(risk_thresholds={"users": None})
        assert c.post(SYNC, json=_with_new_member("E9", "gina@acme.example")).json()["status"] == "applied"
        assert c.post(wire.SANDBOX_APPROVE.format(sync_id=held["syncId"])).json()["status"] == "applied"
    members = by_email(sandbox.snapshot())
    assert members["hugo@acme.example"]["status"] == "created"
    assert members["gina@acme.example"]["status"] == "deactivated"


def test_history_keeps_every_sync_in_order_with_its_report(sandbox) -> None:
    with sandbox.client() as c:
        first = c.post(SYNC, json=seed_body()).json()
        c.post(SYNC, json={"members": []})  # rejected
        body = seed_body()
        body["members"][0]["Location"] = "Tokyo"
        third = c.post(SYNC, json=body).json()
        history = sandbox.syncs()
        assert [s["status"] for s in history] == ["applied", "rejected", "applied"]
        assert [history[0]["id"], history[2]["id"]] == [first["syncId"], third["syncId"]]
        assert history[2]["issues"] == len(third["report"]["issues"]) >= 1
        detail = c.get(wire.SANDBOX_SYNC.format(sync_id=third["syncId"])).json()
        assert detail["report"] == third["report"] and detail["payload"] == body
        assert "members" in (detail_rejected := c.get(wire.SANDBOX_SYNC.format(sync_id=history[1]["id"])).json())["error"]
        assert detail_rejected["status"] == "rejected"


# --------------------------------------------------------------------------- persistence and concurrency


def test_account_settings_and_history_survive_a_restart(own_sandbox) -> None:
    with own_sandbox.client() as c:
        c.post(SYNC, json=_with_new_member("E9", "gina@acme.example"))
        c.patch(wire.SANDBOX_SETTINGS, json={"invite_new_members": True, "risk_thresholds": {"teams": 7}})
        c.post(wire.SANDBOX_FAULTS, json={"path": wire.EXPORT_USERS, "status": 503, "times": 5})
    before = (own_sandbox.snapshot(), own_sandbox.syncs())
    url = own_sandbox.url
    own_sandbox.restart()
    assert own_sandbox.url == url
    assert (own_sandbox.snapshot(), own_sandbox.syncs()) == before
    with own_sandbox.client() as c:
        settings = c.get(wire.SANDBOX_SETTINGS).json()
        assert settings["invite_new_members"] is True and settings["risk_thresholds"]["teams"] == 7
        assert c.get(wire.EXPORT_USERS).status_code == 200  # faults are in memory only
    assert by_email(own_sandbox.snapshot())["gina@acme.example"]["external_id"] == "E9"


def test_two_concurrent_syncs_are_serialised_without_lost_update(sandbox) -> None:
    bodies = {"A": _with_new_member("E8", "hugo@acme.example"), "B": _with_new_member("E9", "gina@acme.example")}
    barrier = threading.Barrier(2)
    replies: dict[str, dict[str, Any]] = {}

    def send(name: str) -> None:
        with sandbox.client() as c:
            barrier.wait()
            replies[name] = c.post(SYNC, json=bodies[name]).json()

    threads = [threading.Thread(target=send, args=(n,)) for n in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert {r["status"] for r in replies.values()} == {"applied"}
    history = [s["id"] for s in sandbox.syncs()]
    assert sorted(history) == sorted(r["syncId"] for r in replies.values())
    later = "A" if history[-1] == replies["A"]["syncId"] else "B"
    earlier = "B" if later == "A" else "A"
    email = {"A": "hugo@acme.example", "B": "gina@acme.example"}
    members = by_email(sandbox.snapshot())
    # the later sync ran on top of the earlier one: it deactivated the earlier one's new member
    assert members[email[later]]["status"] == "created"
    assert members[email[earlier]]["status"] == "deactivated"


def test_crash_inside_a_sync_transaction_leaves_the_account_intact(own_sandbox) -> None:
    """The server killed by a ``mid-sync`` crash fault inside run_sync's transaction (members
    written, teams not yet): after a restart the account is exactly the old one, the sync is not
    in the history, and the database passes SQLite's integrity check."""
    with own_sandbox.client() as c:
        assert c.post(SYNC, json=seed_body()).json()["status"] == "applied"
    before = (own_sandbox.snapshot(), own_sandbox.syncs())
    body = _with_new_member("E9", "gina@acme.example")
    body["members"][0]["Location"] = "Paris"
    body["members"] = [m for m in body["members"] if m["externalMemberId"] != "E3"]  # chloe leaves
    body["teamMappings"] = [mp for mp in body["teamMappings"] if mp.get("externalMemberId") != "E3"]
    body["teams"].append(team("DATA", "Data"))
    body["teamMappings"].append(person("DATA", "E9", manager=True))
    with own_sandbox.client() as c:
        armed = c.post(wire.SANDBOX_FAULTS, json={"crash": "mid-sync"})
        assert armed.status_code == 201, armed.text
        with pytest.raises(httpx.TransportError):
            c.post(SYNC, json=body)
    assert own_sandbox.wait_exit() == CRASH_EXIT_CODE
    with sqlite3.connect(own_sandbox.db) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    own_sandbox.restart()
    assert (own_sandbox.snapshot(), own_sandbox.syncs()) == before
    with own_sandbox.client() as c:  # the fault died with the process; the same sync now applies in full
        assert c.post(SYNC, json=body).json()["status"] == "applied"
    after = by_email(own_sandbox.snapshot())
    assert after["gina@acme.example"]["status"] == "created" and after["chloe@acme.example"]["status"] == "deactivated"


def test_crash_fault_definition_is_validated(sandbox) -> None:
    with sandbox.client() as c:
        for bad in ({"crash": "at-dawn"}, {"crash": "mid-sync", "status": 500}, {"crash": "mid-sync", "times": 0}):
            assert c.post(wire.SANDBOX_FAULTS, json=bad).status_code == 400, bad
        assert c.get(wire.SANDBOX_FAULTS).json()["faults"] == []


def test_rejected_or_held_sync_does_not_fire_the_crash_fault(sandbox) -> None:
    """The crash is *between the writes* of an applied sync: a sync that writes nothing never reaches it."""
    sandbox.patch_settings(risk_thresholds={"users": 0})
    with sandbox.client() as c:
        c.post(wire.SANDBOX_FAULTS, json={"crash": "mid-sync"})
        assert c.post(SYNC, json={"members": []}).status_code == 400
        assert c.post(SYNC, json=_with_new_member("E9", "gina@acme.example")).status_code == 202
        assert c.get(wire.SANDBOX_FAULTS).json()["faults"][0]["fired"] == 0
    assert sandbox.running


# --------------------------------------------------------------------------- settings


def test_concurrent_threshold_patches_both_survive(sandbox) -> None:
    """PATCHes of the users and of the teams threshold at the same time: neither is lost."""
    with sandbox.client() as a, sandbox.client() as b:
        for round_no in range(1, 41):
            sandbox.patch_settings(risk_thresholds={"users": None, "teams": None})
            barrier = threading.Barrier(2)
            errors: list[BaseException] = []

            def patch(client: httpx.Client, name: str, n: int = round_no) -> None:
                try:
                    barrier.wait()
                    assert client.patch(wire.SANDBOX_SETTINGS, json={"risk_thresholds": {name: n}}).status_code == 200
                except BaseException as e:  # surfaced below
                    errors.append(e)

            threads = [threading.Thread(target=patch, args=(a, "users")), threading.Thread(target=patch, args=(b, "teams"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert not errors, errors
            assert a.get(wire.SANDBOX_SETTINGS).json()["risk_thresholds"] == {"users": round_no, "teams": round_no}


def test_deleting_a_property_removes_its_values_from_members(own_sandbox) -> None:
    assert by_email(own_sandbox.snapshot())["ana@acme.example"]["properties"]["Location"] == "Montréal"
    with own_sandbox.client() as c:
        r = c.patch(wire.SANDBOX_SETTINGS, json={"properties": {"Location": None}})
        assert r.status_code == 200 and "Location" not in r.json()["properties"]
    snap = own_sandbox.snapshot()
    assert all("Location" not in m["properties"] for m in snap["members"])
    assert by_email(snap)["ana@acme.example"]["properties"] == {"Hire Date": "2019-04-01"}  # others kept
    own_sandbox.restart()
    assert all("Location" not in m["properties"] for m in own_sandbox.snapshot()["members"])


# --------------------------------------------------------------------------- history storage


def test_history_lists_from_its_summary_columns_without_reading_payloads(sandbox) -> None:
    """Listing the history must not decode stored payloads or reports (it would grow with them):
    with both made unreadable in the database, the list still answers, with the right counts."""
    with sandbox.client() as c:
        first = c.post(SYNC, json=_with_new_member("E9", "gina@acme.example")).json()
        c.post(SYNC, json={"members": []})
    listed = sandbox.syncs()
    assert listed[0]["updates"] == len(first["report"]["updates"]) and listed[0]["risk"] == first["report"]["risk"]
    assert listed[0]["issues"] == len(first["report"]["issues"])
    with sqlite3.connect(sandbox.db) as db:
        db.execute("UPDATE syncs SET payload = '{not json', report = '{not json either'")
    assert sandbox.syncs() == listed


_SCHEMA_V1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
CREATE TABLE syncs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, created_at TEXT NOT NULL,
    decided_at TEXT, flavor TEXT NOT NULL, status TEXT NOT NULL, payload TEXT, sync_settings TEXT,
    report TEXT, risk_users INTEGER, risk_teams INTEGER, error TEXT);
"""


def test_a_version_1_database_is_migrated_with_its_history_summaries(tmp_path: Path) -> None:
    from support.sandbox_proc import start_sandbox

    db_path = tmp_path / "old.db"
    report = {"updates": [{"kind": "user", "message": "User Created", "subject": "a@b.c", "detail": "E1"}] * 3,
              "issues": [{"kind": "user", "message": "Attribute Not Found", "subject": "X", "detail": ""}],
              "risk": {"users": 3, "teams": 2}}
    with sqlite3.connect(db_path) as db:
        db.executescript(_SCHEMA_V1)
        db.execute("INSERT INTO syncs (seq, id, created_at, decided_at, flavor, status, payload, sync_settings, report, "
                   "risk_users, risk_teams, error) VALUES (1, 'sync-1', '2026-01-01T00:00:00Z', "
                   "'2026-01-01T00:00:00Z', 'workleap', 'applied', '{}', '{}', ?, 3, 2, NULL)", (json.dumps(report),))
        db.execute("INSERT INTO syncs (seq, id, created_at, decided_at, flavor, status, payload, sync_settings, report, "
                   "risk_users, risk_teams, error) VALUES (2, 'sync-2', '2026-01-02T00:00:00Z', "
                   "'2026-01-02T00:00:00Z', 'legacy', 'rejected', NULL, '{}', NULL, NULL, NULL, 'empty')")
    sb = start_sandbox(tmp_path, db=db_path)
    try:
        listed = sb.syncs()
        assert [(s["id"], s["updates"], s["issues"], s["risk"]) for s in listed] == [
            ("sync-1", 3, 1, {"users": 3, "teams": 2}), ("sync-2", 0, 0, {"users": 0, "teams": 0})]
        with sb.client() as c:
            assert c.post(SYNC, json=seed_body()).json()["syncId"] == "sync-3"
        assert len(sb.syncs()) == 3
    finally:
        sb.stop()
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(2,)]


# --------------------------------------------------------------------------- the command line


def _serve(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "OVCTL_SANDBOX_API_KEY"}
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "ovctl.cli", "sandbox", "serve", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=full_env)


def _first_lines(proc: subprocess.Popen[str], n: int) -> list[str]:
    assert proc.stdout is not None
    return [proc.stdout.readline().rstrip("\n") for _ in range(n)]


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.terminate()
    out, err = proc.communicate(timeout=15)
    return out, err


def test_generated_key_is_printed_once_and_works(tmp_path: Path) -> None:
    proc = _serve(["--db", str(tmp_path / "a.db"), "--port", "0"])
    try:
        first, second = _first_lines(proc, 2)
        url = re.match(r"ovctl sandbox: (http://127\.0\.0\.1:\d+) \(db: .*a\.db\)$", first).group(1)
        key = re.match(r"API key \(shown once\): (\S+)$", second).group(1)
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(url + wire.EXPORT_PING, headers={"Authorization": f"Bearer {key}"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert r.status_code == 200
    finally:
        out, err = _stop(proc)
    assert key not in out + err  # printed once, in the second line only


def test_given_key_is_never_printed(tmp_path: Path) -> None:
    secret = "sk-sandbox-given-5f2e9a"
    proc = _serve(["--db", str(tmp_path / "a.db"), "--port", "0"], env={"OVCTL_SANDBOX_API_KEY": secret})
    try:
        (first,) = _first_lines(proc, 1)
        assert first.startswith("ovctl sandbox: http://127.0.0.1:")
        url = first.split()[2]
        deadline = time.monotonic() + 20
        while True:
            try:
                assert httpx.get(url + wire.EXPORT_PING, headers={"workleap-subscription-key": secret}).status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        out, err = _stop(proc)
    assert secret not in first + out + err and "API key" not in out


@pytest.mark.parametrize("how", ["env", "option"])
@pytest.mark.parametrize("blank", [" ", "\t  "])
def test_whitespace_only_key_is_refused_at_start(tmp_path: Path, how: str, blank: str) -> None:
    env = {**{k: v for k, v in os.environ.items() if k != "OVCTL_SANDBOX_API_KEY"}}
    args = [sys.executable, "-m", "ovctl.cli", "sandbox", "serve", "--db", str(tmp_path / "x.db"), "--port", "0"]
    if how == "env":
        env["OVCTL_SANDBOX_API_KEY"] = blank
    else:
        args += ["--api-key", blank]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=30, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "API key" in proc.stderr and "whitespace" in proc.stderr and "Traceback" not in proc.stderr
    assert "ovctl sandbox: http" not in proc.stdout  # it never started serving
    assert not (tmp_path / "x.db").exists()


def test_key_with_surrounding_blanks_is_served_trimmed(sandbox_factory) -> None:
    sb = sandbox_factory(api_key="  spaced-key-42  ")
    assert httpx.get(sb.url + wire.EXPORT_PING, headers={"workleap-subscription-key": "spaced-key-42"}).status_code == 200
    assert "spaced-key-42" not in sb.output


def test_seed_into_a_database_holding_an_account_is_refused(own_sandbox, sandbox_seed: Path) -> None:
    own_sandbox.stop()
    proc = subprocess.run([sys.executable, "-m", "ovctl.cli", "sandbox", "serve", "--db", str(own_sandbox.db),
                           "--port", "0", "--seed", str(sandbox_seed)], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "OVCTL_SANDBOX_API_KEY": "k"})
    assert proc.returncode == 1
    assert "already holds an account" in proc.stderr and "Traceback" not in proc.stderr


def test_unreadable_seed_is_a_clean_error(tmp_path: Path) -> None:
    bad = tmp_path / "seed.json"
    bad.write_text('{"format_version": 1, "members": [{"email": 3}]}')
    proc = subprocess.run([sys.executable, "-m", "ovctl.cli", "sandbox", "serve", "--db", str(tmp_path / "x.db"),
                           "--port", "0", "--seed", str(bad)], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "OVCTL_SANDBOX_API_KEY": "k"})
    assert proc.returncode == 1 and "seed.json" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.db").exists()


def test_yaml_seed_is_accepted_with_its_invite_setting(sandbox_factory, tmp_path: Path, sandbox_seed: Path) -> None:
    from ruamel.yaml import YAML

    data = json.loads(sandbox_seed.read_text(encoding="utf-8"))
    data["settings"]["invite_new_members"] = True
    seed_yaml = tmp_path / "seed.yaml"
    with open(seed_yaml, "w", encoding="utf-8") as fh:
        YAML(typ="safe", pure=True).dump(data, fh)
    sb = sandbox_factory(seed=seed_yaml)
    assert by_email(sb.snapshot())["ana@acme.example"]["last_name"] == "Núñez"
    with sb.client() as c:
        assert c.get(wire.SANDBOX_SETTINGS).json()["invite_new_members"] is True
        c.post(SYNC, json=_with_new_member("E9", "gina@acme.example"))
    assert by_email(sb.snapshot())["gina@acme.example"]["status"] == "invited"


def test_unseeded_sandbox_starts_empty_and_accepts_a_first_sync(sandbox_factory) -> None:
    sb = sandbox_factory(seed=None)
    snap = sb.snapshot()
    assert snap["members"] == [] and snap["teams"] == [] and snap["properties"] == {}
    body = seed_body()
    for m in body["members"]:  # no property exists in an empty account
        m.pop("Location", None)
        m.pop("Hire Date", None)
    with sb.client() as c:
        assert c.post(SYNC, json=body).json()["status"] == "applied"
    assert {m["email"] for m in sb.snapshot()["members"]} == {m["email"] for m in body["members"]}


def test_port_in_use_is_a_clean_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "ovctl.cli", "sandbox", "serve", "--db", str(tmp_path / "x.db"),
                               "--port", str(port)], capture_output=True, text=True, timeout=30,
                              env={**os.environ, "OVCTL_SANDBOX_API_KEY": "k"})
    assert proc.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in proc.stderr


def test_default_database_lives_in_the_user_data_directory(tmp_path: Path) -> None:
    proc = _serve(["--port", "0"], env={"XDG_DATA_HOME": str(tmp_path / "data"), "OVCTL_SANDBOX_API_KEY": "k"})
    try:
        (first,) = _first_lines(proc, 1)
    finally:
        _stop(proc)
    expected = tmp_path / "data" / "ovctl" / "sandbox.db"
    assert f"(db: {expected})" in first and expected.exists()


@pytest.mark.parametrize("value", ["0", "lots"])
def test_bad_body_limit_is_a_clean_error(tmp_path: Path, value: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "ovctl.cli", "sandbox", "serve", "--db", str(tmp_path / "x.db"),
                           "--port", "0"], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "OVCTL_SANDBOX_API_KEY": "k", "OVCTL_SANDBOX_MAX_BODY": value})
    assert proc.returncode == 1 and "OVCTL_SANDBOX_MAX_BODY" in proc.stderr


def test_non_loopback_host_is_served_with_a_loud_warning(tmp_path: Path) -> None:
    proc = _serve(["--db", str(tmp_path / "a.db"), "--port", "0", "--host", "0.0.0.0"],
                  env={"OVCTL_SANDBOX_API_KEY": "k"})
    try:
        (first,) = _first_lines(proc, 1)
    finally:
        _, err = _stop(proc)
    assert first.startswith("ovctl sandbox: http://0.0.0.0:")
    assert "warning" in err and "reachable from other machines" in err
