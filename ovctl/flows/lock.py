"""One run at a time per state file: an exclusive lock file beside it, created atomically.

Why a file and not ``flock`` alone: a lock must be visible to a person (who holds it, since when)
and releasable from another machine (``ovctl unlock LOCK_ID``), like Terraform's state lock. The
file ``<state file>.lock`` holds JSON: ``id``, ``owner``, ``host``, ``pid``, ``created``,
``command``. It is created complete in one step (written to a temporary file, then hard-linked to
its name, which fails if a lock exists), so nobody ever reads half a lock.

A lock whose process is gone *on this host* is stale and taken over; takeovers on one host are
serialised by ``flock`` on a guard file so two runs can never both take over the same stale lock.
A lock held from another host is never taken over automatically: its process cannot be checked.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import getpass
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from ovctl.core.errors import OvctlError, UsageError


class LockHeld(OvctlError):
    """Another run holds the state file's lock (exit 1, naming the holder)."""


@dataclass(frozen=True, slots=True)
class LockInfo:
    """What a lock file says about its holder."""

    id: str
    owner: str
    host: str
    pid: int
    created: str
    command: str = ""

    def describe(self) -> str:
        return (f"lock {self.id} held by {self.owner}@{self.host} (pid {self.pid}, {self.command or 'ovctl'}) "
                f"since {self.created}")


def lock_path(state_path: Path) -> Path:
    """The lock of a state file: ``ovctl.state.json`` -> ``ovctl.state.json.lock``."""
    return Path(str(state_path) + ".lock")


def _owner() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name (a container without passwd entry)
        return f"uid{os.getuid()}"


def read_lock(path: Path) -> LockInfo | None:
    """The lock at ``path``; None when there is none. A lock file that cannot be parsed is still a
    lock (someone wrote it): it is reported with what could be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        text = ""
    try:
        doc = json.loads(text)
        return LockInfo(id=str(doc["id"]), owner=str(doc.get("owner", "?")), host=str(doc.get("host", "?")),
                        pid=int(doc.get("pid", 0)), created=str(doc.get("created", "?")),
                        command=str(doc.get("command", "")))
    except (ValueError, KeyError, TypeError):
        return LockInfo(id="(unreadable)", owner="?", host="?", pid=0, created="?", command="")


def _process_gone(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        return False
    return False


def is_stale(info: LockInfo, host: str | None = None) -> bool:
    """Held by a process of this host that no longer runs."""
    return info.host == (host or socket.gethostname()) and _process_gone(info.pid)


@contextmanager
def _guard(path: Path) -> Iterator[None]:
    """Serialise takeovers of one lock among the processes of this host."""
    guard = Path(str(path) + ".guard")
    fd = os.open(guard, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


def _try_create(path: Path, info: LockInfo) -> bool:
    """Create the lock complete in one step; False when a lock exists."""
    tmp = path.with_name(f".{path.name}.{info.id}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(asdict(info), f)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
    except OSError as e:
        raise UsageError(f"cannot create the lock {path}: {e.strerror or e}") from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


@dataclass
class StateLock:
    """A held lock; ``release()`` removes it only if it is still ours."""

    path: Path
    info: LockInfo
    took_over: LockInfo | None = None

    def release(self) -> None:
        current = read_lock(self.path)
        if current is not None and current.id == self.info.id:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


def acquire(state_path: Path, *, timeout: float = 0.0, command: str = "",
            on_wait: Callable[[LockInfo], None] | None = None,
            sleep: Callable[[float], None] = time.sleep) -> StateLock:
    """Take the state file's lock, waiting up to ``timeout`` seconds; ``LockHeld`` after that."""
    path = lock_path(state_path)
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    info = LockInfo(id=uuid.uuid4().hex[:12], owner=_owner(), host=socket.gethostname(), pid=os.getpid(),
                    created=now, command=command)
    deadline = time.monotonic() + max(0.0, timeout)
    told = False
    took_over: LockInfo | None = None
    while True:
        if _try_create(path, info):
            return StateLock(path, info, took_over)
        holder = read_lock(path)
        if holder is None:
            continue  # released between our attempt and the read: try again at once
        if is_stale(holder, info.host):
            with _guard(path):
                again = read_lock(path)
                if again is not None and again.id == holder.id:
                    os.unlink(path)
                    took_over = holder
            continue
        if time.monotonic() >= deadline:
            raise LockHeld(f"the state file {state_path} is in use: {holder.describe()}; wait for that run "
                           f"(--lock-timeout SECONDS), or, if it is gone, release it with: ovctl unlock {holder.id}"
                           + f" --state-file {state_path}")
        if on_wait is not None and not told:
            on_wait(holder)
            told = True
        sleep(min(0.2, max(0.01, deadline - time.monotonic())))


def unlock(state_path: Path, lock_id: str) -> LockInfo:
    """Release the lock ``lock_id`` (held on another host, or by a run that is gone)."""
    path = lock_path(state_path)
    holder = read_lock(path)
    if holder is None:
        raise UsageError(f"the state file {state_path} is not locked (no {path})")
    if holder.id != lock_id:
        raise UsageError(f"{path} is {holder.describe()}, not lock {lock_id}; nothing was released")
    with _guard(path):
        again = read_lock(path)
        if again is None or again.id != lock_id:
            raise UsageError(f"lock {lock_id} was released meanwhile; nothing to do")
        os.unlink(path)
    return holder
