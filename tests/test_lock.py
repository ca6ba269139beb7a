"""The state file's lock: one holder at a time, stale locks of this host taken over, unlock by id."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ovctl.flows.lock import LockHeld, acquire, lock_path, read_lock, unlock
from ovctl.core.errors import UsageError


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_lock_file_names_its_holder_and_goes_away_on_release(tmp_path: Path) -> None:
    state = tmp_path / "ovctl.state.json"
    held = acquire(state, command="apply")
    doc = json.loads(lock_path(state).read_text())
    assert doc["pid"] == os.getpid() and doc["host"] == socket.gethostname() and doc["command"] == "apply"
    assert doc["id"] == held.info.id and doc["owner"] and doc["created"].endswith("Z")
    held.release()
    assert not lock_path(state).exists()


def test_second_run_is_refused_naming_the_holder(tmp_path: Path) -> None:
    state = tmp_path / "ovctl.state.json"
    held = acquire(state)
    with pytest.raises(LockHeld) as e:
        acquire(state, timeout=0)
    assert held.info.id in str(e.value) and f"pid {os.getpid()}" in str(e.value)
    assert f"ovctl unlock {held.info.id}" in str(e.value)
    held.release()


def test_waiting_run_gets_the_lock_when_it_is_released(tmp_path: Path) -> None:
    state = tmp_path / "ovctl.state.json"
    held = acquire(state)
    waits: list[str] = []

    def sleep(_: float) -> None:  # the holder finishes while we wait
        waits.append("slept")
        held.release()

    second = acquire(state, timeout=30, sleep=sleep, on_wait=lambda info: waits.append(info.id))
    assert waits == [held.info.id, "slept"] and read_lock(lock_path(state)).id == second.info.id
    second.release()


def test_lock_of_a_process_gone_on_this_host_is_taken_over(tmp_path: Path) -> None:
    state = tmp_path / "ovctl.state.json"
    lock_path(state).write_text(json.dumps({"id": "old123", "owner": "ci", "host": socket.gethostname(),
                                            "pid": _dead_pid(), "created": "2026-01-01T00:00:00Z"}))
    held = acquire(state, timeout=0)
    assert held.took_over is not None and held.took_over.id == "old123"
    assert read_lock(lock_path(state)).id == held.info.id
    held.release()


def test_lock_from_another_host_is_not_taken_over_but_can_be_unlocked_by_id(tmp_path: Path) -> None:
    state = tmp_path / "ovctl.state.json"
    lock_path(state).write_text(json.dumps({"id": "far456", "owner": "ci", "host": "runner-elsewhere",
                                            "pid": _dead_pid(), "created": "2026-01-01T00:00:00Z"}))
    with pytest.raises(LockHeld, match="far456"):
        acquire(state, timeout=0)
    with pytest.raises(UsageError, match="not lock nope"):
        unlock(state, "nope")
    assert unlock(state, "far456").host == "runner-elsewhere"
    assert not lock_path(state).exists()
    acquire(state, timeout=0).release()


def test_unlock_without_a_lock_says_so(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not locked"):
        unlock(tmp_path / "ovctl.state.json", "abc")


_RACER = """
import sys, time
from pathlib import Path
from ovctl.flows.lock import LockHeld, acquire
try:
    held = acquire(Path(sys.argv[1]), timeout=0)
except LockHeld:
    print("refused", flush=True)
else:
    print("won", flush=True)
    time.sleep(1.5)
    held.release()
"""


def test_racing_processes_exactly_one_wins(tmp_path: Path) -> None:
    state = tmp_path / "ovctl.state.json"
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(state)], stdout=subprocess.PIPE, text=True)
             for _ in range(6)]
    results = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert results.count("won") == 1 and results.count("refused") == 5


def test_racing_takeovers_of_a_stale_lock_exactly_one_wins(tmp_path: Path) -> None:
    state = tmp_path / "ovctl.state.json"
    lock_path(state).write_text(json.dumps({"id": "dead00", "owner": "ci", "host": socket.gethostname(),
                                            "pid": _dead_pid(), "created": "2026-01-01T00:00:00Z"}))
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(state)], stdout=subprocess.PIPE, text=True)
             for _ in range(6)]
    results = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert results.count("won") == 1 and results.count("refused") == 5
