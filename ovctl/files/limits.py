"""Reading an input file without trusting it: regular files only, and at most a size limit.

Every file ovctl reads as input (org files, snapshot and state files, plan files) goes through
``read_bytes``: a FIFO, a device (``/dev/zero``), a socket or a directory is refused from its
``stat`` before anything is read (a FIFO would block forever, ``/dev/zero`` never ends), and a file
larger than the limit is refused from its size. The file is then opened non-blocking and checked
again on the open descriptor, so a file swapped for a FIFO in between is refused too, and the read
stops one byte past the limit in case the file grows while it is read.

The limit is ``DEFAULT_MAX_BYTES`` (64 MiB, about 400,000 members); ``OVCTL_MAX_FILE_BYTES`` sets
another number of bytes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_BYTES_ENV = "OVCTL_MAX_FILE_BYTES"


class FileRefused(Exception):
    """The path is not something ovctl reads (not a regular file, or too large); ``reason`` says why,
    ready to follow "cannot read: "."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def max_bytes() -> int:
    """The size limit in force (``OVCTL_MAX_FILE_BYTES`` when it is a positive integer)."""
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return DEFAULT_MAX_BYTES


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode):
        return "is a character device, not a regular file"
    if stat.S_ISBLK(mode):
        return "is a block device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def _too_large(size: int, limit: int) -> str:
    return (f"the file is larger than {limit:,} bytes ({size:,} bytes or more); "
            f"set {MAX_BYTES_ENV} to read larger files")


def check_regular(path: Path) -> None:
    """Raise ``FileRefused`` unless ``path`` (symbolic links followed) is a regular file within the
    limit; ``OSError`` (``FileNotFoundError``, permissions) propagates."""
    st = os.stat(path)
    kind = _kind(st.st_mode)
    if kind is not None:
        raise FileRefused(kind)
    limit = max_bytes()
    if st.st_size > limit:
        raise FileRefused(_too_large(st.st_size, limit))


def read_bytes(path: Path) -> bytes:
    """The whole content of a regular file within the size limit.

    Raises ``FileRefused`` (not a regular file, too large) or ``OSError`` (missing, no permission)."""
    check_regular(path)
    limit = max_bytes()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)  # the file actually opened: it may have been replaced since the stat
        kind = _kind(st.st_mode)
        if kind is not None:
            raise FileRefused(kind)
        if st.st_size > limit:
            raise FileRefused(_too_large(st.st_size, limit))
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew while being read
                raise FileRefused(_too_large(total, limit))
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path) -> str:
    """``read_bytes`` decoded as UTF-8, newlines translated as ``Path.read_text`` does
    (``UnicodeDecodeError`` propagates)."""
    text = read_bytes(path).decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
