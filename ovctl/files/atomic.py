"""Atomic file writes: a reader (or a crash) never sees a half-written state, plan or snapshot."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ovctl.core.errors import OutputError


def atomic_write_text(path: Path | str, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory, fsync, rename.

    Missing parent directories are created. Any failure is an ``OutputError`` naming the file.
    """
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_bytes(path: Path | str, data: bytes | Sequence[bytes | memoryview]) -> None:
    """``atomic_write_text`` for text already encoded (JSON from orjson is bytes: no decoding).
    ``data`` may be the text's parts, written one after the other: a file of megabytes made of a
    few large parts is then never joined into one more buffer (fresh memory costs page faults)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a directory; give a file name to write")
    directory = path.parent if str(path.parent) else Path(".")
    import tempfile  # here, not at import: a command that only reads never loads it

    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            for part in (data,) if isinstance(data, bytes) else data:
                fh.write(part)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError):
            raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
        raise
