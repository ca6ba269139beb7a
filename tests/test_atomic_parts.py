"""``atomic_write_bytes`` given the parts of a text: the file holds them in order, exactly; a
part that cannot be written leaves neither the file nor a temporary one behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovctl.files.atomic import atomic_write_bytes


def test_parts_are_written_in_order(tmp_path: Path) -> None:
    head = b'{"a":1}'
    parts = (memoryview(head)[:-1], b',"b":', b"x" * 1_000_000, b"}\n")
    atomic_write_bytes(tmp_path / "f.json", parts)
    assert (tmp_path / "f.json").read_bytes() == b'{"a":1,"b":' + b"x" * 1_000_000 + b"}\n"


def test_a_part_that_fails_leaves_nothing_half_written(tmp_path: Path) -> None:
    (tmp_path / "f.json").write_bytes(b"before")
    with pytest.raises(TypeError):
        atomic_write_bytes(tmp_path / "f.json", (b"new start", "not bytes"))  # type: ignore[arg-type]
    assert (tmp_path / "f.json").read_bytes() == b"before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]
