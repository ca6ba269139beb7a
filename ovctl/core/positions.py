"""Positions in an input file, carried beside plain data: what validation needs to point at a line.

The YAML reader (``ovctl.files.yamlsource``) builds these containers; the pure core reads them.
They are plain ``dict``/``list`` subclasses, so JSON Schema and the core use them as ordinary data,
and live here (not in the reader) so that validation imports no adapter.
Positions are 1-based ``(line, column)``; columns count characters.
"""

from __future__ import annotations

from typing import Any

Pos = tuple[int, int]  # 1-based (line, column)
NO_POS: Pos = (0, 0)

class MarkedDict(dict):
    """A mapping that knows where it, each of its keys and each of its values start."""

    __slots__ = ("pos", "key_pos", "val_pos")

    def __init__(self, pos: Pos = NO_POS) -> None:
        super().__init__()
        self.pos = pos
        self.key_pos: dict[Any, Pos] = {}
        self.val_pos: dict[Any, Pos] = {}


class MarkedList(list):
    """A sequence that knows where it and each of its items start."""

    __slots__ = ("pos", "item_pos")

    def __init__(self, pos: Pos = NO_POS) -> None:
        super().__init__()
        self.pos = pos
        self.item_pos: list[Pos] = []


def value_pos(container: Any, key: Any) -> Pos:
    """Where the value at ``container[key]`` starts (the container's own start if unknown)."""
    if isinstance(container, MarkedDict):
        return container.val_pos.get(key, container.pos)
    if isinstance(container, MarkedList):
        if isinstance(key, int) and 0 <= key < len(container.item_pos):
            return container.item_pos[key]
        return container.pos
    return NO_POS


def key_pos(container: Any, key: Any) -> Pos:
    """Where the key ``key`` of a mapping is written (the value's position for a list item)."""
    if isinstance(container, MarkedDict):
        return container.key_pos.get(key, container.pos)
    return value_pos(container, key)


def node_pos(value: Any) -> Pos:
    """Where a container starts; ``NO_POS`` for a scalar (ask its parent with ``value_pos``)."""
    return getattr(value, "pos", NO_POS)
