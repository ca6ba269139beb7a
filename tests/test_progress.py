"""Progress on stderr: drawn on a terminal (a pseudo-terminal here), never in a pipe, never under
CI, never with --quiet; stdout (the plan, the snapshot) is the same either way. Real processes
against a real sandbox: what a user's terminal would receive."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ovctl.progress import wanted

ROOT = Path(__file__).parent.parent
ORG = ROOT / "tests" / "fixtures" / "e2e" / "org"
KEY = "sk-progress-3b1f"
pytestmark = pytest.mark.sandbox(api_key=KEY)


def _run(args: list[str], sandbox, *, tty: bool, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``ovctl ARGS``, its stderr a pseudo-terminal when ``tty``."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("CI", "OVCTL_PROGRESS")}
    full_env.update({"OVCTL_API_KEY": KEY, "OVCTL_ENDPOINT": sandbox.url, "OVCTL_EXPORT_ONLY": "1",
                     "TERM": "xterm-256color", "COLUMNS": "100"}, **(env or {}))
    if not tty:
        p = subprocess.run([sys.executable, "-m", "ovctl.cli", *args], capture_output=True, env=full_env, cwd=cwd,
                           stdin=subprocess.DEVNULL, timeout=120)
        return p.returncode, p.stdout.decode(), p.stderr.decode()
    master, slave = os.openpty()
    try:
        p = subprocess.Popen([sys.executable, "-m", "ovctl.cli", *args], stdout=subprocess.PIPE, stderr=slave,
                             stdin=subprocess.DEVNULL, env=full_env, cwd=cwd)
        os.close(slave)
        slave = -1
        err = bytearray()
        out = bytearray()
        assert p.stdout is not None
        streams = {master: err, p.stdout.fileno(): out}
        while streams:
            ready, _, _ = select.select(list(streams), [], [], 120)
            assert ready, "ovctl hung"
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the terminal's other side is closed
                    chunk = b""
                if chunk:
                    streams[fd].extend(chunk)
                else:
                    del streams[fd]
        rc = p.wait(timeout=60)
        return rc, out.decode(), err.decode(errors="replace")
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)


@pytest.fixture
def org(tmp_path: Path) -> Path:
    dest = tmp_path / "org"
    shutil.copytree(ORG, dest)
    return dest


def test_plan_shows_its_phases_on_a_terminal_and_not_in_a_pipe(sandbox, org: Path) -> None:
    rc_tty, out_tty, err_tty = _run(["plan", str(org), "--format", "json"], sandbox, tty=True)
    rc_pipe, out_pipe, err_pipe = _run(["plan", str(org), "--format", "json"], sandbox, tty=False)
    assert rc_tty == rc_pipe == 0, err_tty + err_pipe
    for phase in ("reading the org", "reading the account", "reading teams", "planning"):
        assert phase in err_tty
    assert "\x1b[" in err_tty  # drawn (and erased) by rich
    assert "reading" not in err_pipe and "\x1b" not in err_pipe
    assert out_tty == out_pipe and "\x1b" not in out_tty  # stdout untouched


def test_quiet_and_ci_silence_it(sandbox, org: Path) -> None:
    for args, env in ((["--quiet", "plan", str(org)], None), (["-q", "plan", str(org)], None),
                      (["plan", str(org)], {"CI": "true"}), (["plan", str(org)], {"OVCTL_PROGRESS": "0"})):
        rc, _, err = _run(args, sandbox, tty=True, env=env)
        assert rc == 0, err
        assert "reading" not in err and "planning" not in err, (args, env)
    rc, _, err = _run(["plan", str(org)], sandbox, tty=True, env={"CI": "true", "OVCTL_PROGRESS": "1"})
    assert rc == 0 and "planning" in err  # asked for


def test_pull_and_apply_show_progress_on_a_terminal(sandbox, org: Path, tmp_path: Path) -> None:
    rc, out, err = _run(["pull", "--state-file", str(tmp_path / "none.json")], sandbox, tty=True, cwd=tmp_path)
    assert rc == 0, err
    assert "reading users" in err and "reading teams" in err and '"members"' in out
    rc, out, err = _run(["apply", str(org), "--auto-approve"], sandbox, tty=True)
    assert rc == 0, out + err
    for phase in ("reading the account", "planning", "sync 1/", "waiting for the account", "verifying"):
        assert phase in err, phase
    assert "Apply complete" in out and "\x1b[2K" not in out


def test_wanted() -> None:
    assert wanted(err_is_tty=True, environ={}, quiet=False)
    assert not wanted(err_is_tty=False, environ={"OVCTL_PROGRESS": "1"}, quiet=False)
    assert not wanted(err_is_tty=True, environ={}, quiet=True)
    assert not wanted(err_is_tty=True, environ={"CI": "1"}, quiet=False)
    assert wanted(err_is_tty=True, environ={"CI": "1", "OVCTL_PROGRESS": "always"}, quiet=False)
