"""JSON text: from outside (snapshots, plan files, request bodies) parsed with one kind of error;
written fast (orjson) where that gives the same text, or the same values, as json.

``json.loads`` fails in several ways besides ``JSONDecodeError``: ``RecursionError`` for deep
nesting, a plain ``ValueError`` for integers longer than Python converts, ``UnicodeDecodeError``
for bytes that are not UTF-8, and whatever a ``parse_constant``/``parse_float`` hook raises. Every
reader of outside JSON needs all of them turned into a clean message; this is the one place.
"""

from __future__ import annotations

import json
from itertools import chain, cycle
from operator import itemgetter
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


def columns_alike(rows: list[tuple[Any, ...]]) -> bool:
    """Whether json and orjson write every value of ``rows`` (tuples of one record's fields, all of
    one length; nested values too) alike: then orjson, ~5x faster, gives json's very text. The
    types of each column come from one C-level pass over all values (a Python loop per value
    would cost what orjson saves); only columns of dicts or lists go deeper."""
    if not rows:
        return True
    kinds = set(zip(cycle(range(len(rows[0]))), map(type, chain.from_iterable(rows))))
    deeper: dict[int, set[type]] = {}
    for i, kind in kinds:
        if kind not in _SAME_TEXT:
            if kind is not dict and kind is not list:
                return False
            deeper.setdefault(i, set()).add(kind)
    for i, containers in deeper.items():
        column = list(map(itemgetter(i), rows))
        if not all(values_alike(_inside(column, kind)) for kind in containers):
            return False
    return True


def _inside(column: list[Any], kind: type) -> list[Any]:
    """The values held by the dicts (or lists) of ``column``, all in one list."""
    if set(map(type, column)) != {kind}:  # mixed (None and dicts, say): rare, so a Python filter
        column = [v for v in column if type(v) is kind]
    return list(chain.from_iterable(map(dict.values, column) if kind is dict else column))


def values_alike(values: list[Any]) -> bool:
    """``columns_alike`` for a plain list of values (the contents of dicts and lists)."""
    kinds = set(map(type, values))
    if kinds <= _SAME_TEXT:
        return True
    if not kinds <= _SAME_TEXT | {dict, list}:
        return False
    return all(values_alike(_inside(values, kind)) for kind in kinds & {dict, list})


def snapshot_alike(data: dict[str, Any]) -> bool:
    """Whether orjson writes ``data`` (a snapshot's ``to_dict``) exactly as json does, compact or
    indented: the member and team rows column by column, the rest (settings, properties, lists of
    ids) value by value. For the state file and the sandbox's snapshot answer."""
    rows = [data.get("members"), data.get("teams")]
    if not all(type(r) is list and all(type(x) is dict for x in r[:1]) for r in rows):
        return False
    for r in rows:
        if r and (len(set(map(len, r))) != 1 or not columns_alike(list(map(tuple, map(dict.values, r))))):
            return False
    return values_alike([v for k, v in data.items() if k not in ("members", "teams")])


def snapshot_text(data: dict[str, Any], *, indent: bool) -> bytes | None:
    """orjson's text of a snapshot's ``to_dict`` — ``json.dumps(data, indent=2, ensure_ascii=False)``
    or, compact, ``JSONResponse``'s bytes — when it is json's very text; else None (json writes)."""
    if not snapshot_alike(data):
        return None
    return orjson_text(data, INDENT_2 if indent else 0)
