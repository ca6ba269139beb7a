"""JSON text: from outside (snapshots, plan files, request bodies) parsed with one kind of error;
written fast (orjson) where that gives the same text, or the same values, as json.

``json.loads`` fails in several ways besides ``JSONDecodeError``: ``RecursionError`` for deep
nesting, a plain ``ValueError`` for integers longer than Python converts, ``UnicodeDecodeError``
for bytes that are not UTF-8, and whatever a ``parse_constant``/``parse_float`` hook raises. Every
reader of outside JSON needs all of them turned into a clean message; this is the one place.
"""

from __future__ import annotations

import json
from itertools import chain, compress, repeat
from operator import is_
from typing import Any

import orjson


class JsonTextError(ValueError):
    """Why a text is not usable JSON, with the 1-based position when the parser knows it."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column

    def where(self) -> str:
        """``:LINE:COL`` to append to a file name, or "" when the position is unknown."""
        return f":{self.line}:{self.column}" if self.line else ""


def loads(text: str | bytes, **hooks: Any) -> Any:
    """``json.loads`` whose every failure is a ``JsonTextError`` (hooks as for ``json.loads``)."""
    try:
        return json.loads(text, **hooks)
    except json.JSONDecodeError as e:
        raise JsonTextError(e.msg, e.lineno, e.colno) from None
    except RecursionError:
        raise JsonTextError("nested too deeply") from None
    except UnicodeDecodeError:
        raise JsonTextError("not UTF-8 text") from None
    except ValueError as e:
        if "digits" in str(e):  # int() refuses integers of more than sys.get_int_max_str_digits() digits
            raise JsonTextError("a number has too many digits") from None
        raise JsonTextError(str(e)) from None


def compact(value: Any) -> bytes:
    """Compact JSON as UTF-8 bytes, for text a machine reads back (sync bodies, the apply journal):
    orjson's, about 5x faster than ``json.dumps``; json's when orjson refuses a value (an int
    beyond 64 bits, a lone surrogate, a key that is not a str). Both read back as the same values
    for what ovctl writes (text, booleans, small ints, lists and dicts); a float may be written in
    another but equal form (``1e-05`` / ``0.00001``), which is why fingerprints do not use this."""
    text = orjson_text(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8") if text is None else text


INDENT_2 = orjson.OPT_INDENT_2  # for ``orjson_text``: json's ``indent=2``


def orjson_text(value: Any, option: int = 0) -> bytes | None:
    """orjson's text of ``value`` (``option``: orjson's flags), or None where orjson refuses it (an
    int beyond 64 bits, a lone surrogate, a key that is not a str): the caller then uses json.
    Whether the text is json's own is the caller's check (``columns_alike``, ``snapshot_alike``)."""
    try:
        return orjson.dumps(value, option=option)
    except TypeError:  # orjson.JSONEncodeError
        return None


# Written alike by json (compact or indented, ensure_ascii=False) and orjson: not floats (``1e-05`` /
# ``0.00001``, NaN / null), str subclasses, tuples or anything a ``default`` hook writes. An int
# beyond 64 bits makes orjson refuse the document, which then goes to json.
_SAME_TEXT = frozenset({str, type(None), bool, int})
_SAME_TEXT_OR_HELD = _SAME_TEXT | {dict, list}


def columns_alike(rows: list[tuple[Any, ...]]) -> bool:
    """Whether json and orjson write every value of ``rows`` (tuples of one record's fields; nested
    values too) alike: then orjson, ~5x faster, gives json's very text."""
    return values_alike(list(chain.from_iterable(rows)))


def values_alike(values: list[Any]) -> bool:
    """``columns_alike`` for a plain list of values. Level by level, each in C-level passes: the
    values' types, then the values held by those that are dicts or lists (a Python loop per value
    would cost what orjson saves: ~0.03 s for a 20,000-member snapshot, against ~0.1 s)."""
    types = list(map(type, values))
    kinds = set(types)
    if kinds <= _SAME_TEXT:
        return True
    if not kinds <= _SAME_TEXT_OR_HELD:
        return False
    for kind in kinds - _SAME_TEXT:  # dict and/or list
        held = values if len(kinds) == 1 else compress(values, map(is_, types, repeat(kind)))
        if not values_alike(list(chain.from_iterable(map(dict.values, held) if kind is dict else held))):
            return False
    return True


def snapshot_alike(data: dict[str, Any]) -> bool:
    """Whether orjson writes ``data`` (a snapshot's ``to_dict``) exactly as json does, compact or
    indented. For the state file and the sandbox's snapshot answer."""
    return values_alike([data])


def snapshot_text(data: dict[str, Any], *, indent: bool) -> bytes | None:
    """orjson's text of a snapshot's ``to_dict`` — ``json.dumps(data, indent=2, ensure_ascii=False)``
    or, compact, ``JSONResponse``'s bytes — when it is json's very text; else None (json writes)."""
    if not snapshot_alike(data):
        return None
    return orjson_text(data, INDENT_2 if indent else 0)
