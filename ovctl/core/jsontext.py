"""JSON text from outside (snapshots, plan files, request bodies) parsed with one kind of error.

``json.loads`` fails in several ways besides ``JSONDecodeError``: ``RecursionError`` for deep
nesting, a plain ``ValueError`` for integers longer than Python converts, ``UnicodeDecodeError``
for bytes that are not UTF-8, and whatever a ``parse_constant``/``parse_float`` hook raises. Every
reader of outside JSON needs all of them turned into a clean message; this is the one place.
"""

from __future__ import annotations

import json
from typing import Any


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
