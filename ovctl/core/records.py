"""``record``: a slotted dataclass that is cheaper to define.

Why: ``@dataclass`` compiles source text for every method it generates (``__init__``,
``__repr__``, ``__eq__``, and for frozen classes ``__hash__``, ``__setattr__``, ``__delattr__``),
about 0.1 ms each. The model and change classes are ~40 classes, defined on every run of every
command: ~15 ms of a 1,000-member ``plan`` whose whole budget is ~0.13 s (issue 11).

A record is still a real dataclass (``fields``, ``replace``, ``asdict``, ``is_dataclass`` and
``__match_args__`` work; frozen stays frozen), but only ``__init__`` (and, when frozen, the two
attribute guards) is compiled per class; equality, hashing and ``repr`` are shared functions that
read the compared fields with one ``operator.attrgetter``. Their behaviour is the dataclass's:
equal only to an instance of the very same class with equal compared fields; frozen records
hash by those fields, mutable ones are unhashable.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T")


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        key = self._record_key
        return key(self) == key(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self._record_key(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_repr)
    return f"{self.__class__.__qualname__}({shown})"


def _no_fields(obj: Any) -> tuple[()]:
    return ()


def record(cls: type[T] | None = None, /, *, frozen: bool = False) -> Any:
    """``@record`` / ``@record(frozen=True)``: like ``@dataclass(slots=True)`` (``frozen``)."""

    def wrap(cls: type[T]) -> type[T]:
        own = cls.__dict__
        new: Any = dataclass(cls, slots=True, frozen=frozen, repr=False, eq=False)
        compared = tuple(f.name for f in fields(new) if f.compare)
        # attrgetter of one name gives the value, of several a tuple: either compares field by field.
        new._record_key = attrgetter(*compared) if compared else staticmethod(_no_fields)
        new._record_repr = tuple(f.name for f in fields(new) if f.repr)
        if "__repr__" not in own:
            new.__repr__ = _repr
        if "__eq__" not in own:
            new.__eq__ = _eq
            if "__hash__" not in own:
                new.__hash__ = _hash if frozen else None
        return new  # type: ignore[no-any-return]

    return wrap if cls is None else wrap(cls)

