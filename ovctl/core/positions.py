"""Positions in an input file, carried beside plain data: what validation needs to point at a line.

The YAML readers (``ovctl.files.yamlsource``, ``ovctl.files.fastyaml``) build these containers; the
pure core reads them through ``key_pos`` / ``value_pos`` / ``node_pos``. They are plain
``dict``/``list`` subclasses, so JSON Schema and the core use them as ordinary data, and live here
(not in a reader) so that validation imports no adapter.

Positions are 1-based ``(line, column)``; columns count characters. Stored compactly: a 50,000-member
org has about a million positions, and a ``(line, column)`` tuple per key, value and item (plus two
dicts per mapping to hold them) was a third of the reader's time and memory. So each position is one
machine integer ``line << 32 | column`` in an ``array('q')`` beside the container, in the order of
its entries (a mapping: key then value for each key, in insertion order; a list: one per item).
A tuple is only made when someone asks.
"""

from __future__ import annotations

from array import array
from typing import Any

Pos = tuple[int, int]  # 1-based (line, column)
NO_POS: Pos = (0, 0)
_SHIFT = 32
_COL = (1 << _SHIFT) - 1


def pack(pos: Pos) -> int:
    """One integer for a position (``line << 32 | column``)."""
    return (pos[0] << _SHIFT) | pos[1]


def unpack(packed: int) -> Pos:
    return packed >> _SHIFT, packed & _COL


class MarkedDict(dict):
    """A mapping that knows where it, each of its keys and each of its values start.

    ``_p`` holds two packed positions per entry (key, value) in the dict's insertion order; add
    entries with ``put`` (or ``put_packed``) so that the two stay aligned."""

    __slots__ = ("_at", "_p")

    def __init__(self, pos: Pos = NO_POS) -> None:
        super().__init__()
        self._at = (pos[0] << _SHIFT) | pos[1]
        self._p = array("q")

    @property
    def pos(self) -> Pos:
        return self._at >> _SHIFT, self._at & _COL

    def put(self, key: Any, value: Any, kpos: Pos, vpos: Pos) -> None:
        """Add a new key (not already present) with where its key and value are written."""
        self[key] = value
        self._p.append((kpos[0] << _SHIFT) | kpos[1])
        self._p.append((vpos[0] << _SHIFT) | vpos[1])

    def _packed(self, key: Any, which: int) -> int:
        p = self._p
        if len(p) != 2 * len(self):  # entries added without positions
            return self._at
        try:
            return p[2 * list(self).index(key) + which]
        except ValueError:  # not a key
            return self._at

    @property
    def key_pos(self) -> dict[Any, Pos]:
        """Every key's position (a new dict: for tests and debugging; use ``key_pos()`` to look one up)."""
        return {k: unpack(self._packed(k, 0)) for k in self}

    @property
    def val_pos(self) -> dict[Any, Pos]:
        return {k: unpack(self._packed(k, 1)) for k in self}


class MarkedList(list):
    """A sequence that knows where it and each of its items start (``_p``: one packed position per item)."""

    __slots__ = ("_at", "_p")

    def __init__(self, pos: Pos = NO_POS) -> None:
        super().__init__()
        self._at = (pos[0] << _SHIFT) | pos[1]
        self._p = array("q")

    @property
    def pos(self) -> Pos:
        return self._at >> _SHIFT, self._at & _COL

    def put(self, value: Any, pos: Pos) -> None:
        self.append(value)
        self._p.append((pos[0] << _SHIFT) | pos[1])

    @property
    def item_pos(self) -> list[Pos]:
        return [unpack(p) for p in self._p]


def new_dict(at: int) -> MarkedDict:
    """An empty ``MarkedDict`` at a packed position (readers make 100,000 of these: no ``__init__``)."""
    out = dict.__new__(MarkedDict)
    out._at = at
    out._p = array("q")
    return out


def new_list(at: int) -> MarkedList:
    """An empty ``MarkedList`` at a packed position."""
    out = list.__new__(MarkedList)
    out._at = at
    out._p = array("q")
    return out


def value_pos(container: Any, key: Any) -> Pos:
    """Where the value at ``container[key]`` starts (the container's own start if unknown)."""
    if isinstance(container, MarkedDict):  # ``_packed(key, 1)`` written out: validation asks 150,000 times at 50,000 members
        p = container._p
        packed = container._at
        if len(p) == 2 * len(container):
            try:
                packed = p[2 * list(container).index(key) + 1]
            except ValueError:  # not a key
                pass
        return packed >> _SHIFT, packed & _COL
    if isinstance(container, MarkedList):
        p = container._p
        if isinstance(key, int) and 0 <= key < len(p):
            return unpack(p[key])
        return container.pos
    return NO_POS


def key_pos(container: Any, key: Any) -> Pos:
    """Where the key ``key`` of a mapping is written (the value's position for a list item)."""
    if isinstance(container, MarkedDict):
        return unpack(container._packed(key, 0))
    return value_pos(container, key)


def node_pos(value: Any) -> Pos:
    """Where a container starts; ``NO_POS`` for a scalar (ask its parent with ``value_pos``)."""
    return getattr(value, "pos", NO_POS)
