"""User values as messages show them: escaped and bounded (pure: no I/O).

Every message that echoes a value from an input file (an id, an email, a name, a property value,
a key) goes through here, so that no message ever prints a huge value (a 10 MB email is shown as
its first characters and its length) and no message prints a raw control character, bidi override
or zero-width character (each is written as a Python escape such as ``\\u202e``). A short printable
value is shown exactly as written, so ordinary messages do not change.
"""

from __future__ import annotations

from typing import Any

LIMIT = 80  # characters of a value shown before it is cut


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escaped(text: str) -> str:
    """``text`` with every character that is not printable (C0/C1 controls, bidi controls,
    zero-width and other format characters, line separators, unassigned code points) escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def escaped_lines(text: str) -> str:
    """``escaped`` line by line: a message's own line breaks stay, every other non-printable
    character (one inside a value it echoes) is written as an escape."""
    if text.replace("\n", " ").isprintable():
        return text
    return "\n".join(escaped(line) for line in text.split("\n"))


def json_escaped(text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with every raw character that is not
    printable, other than the layout's newlines, written as a JSON escape (``\\u202e``; a surrogate
    pair above U+FFFF): the text decodes to exactly the same values, and shows no control character.
    ``json.dumps`` already escapes C0 controls; this catches DEL, C1, bidi and zero-width characters."""
    if text.replace("\n", " ").isprintable():
        return text
    return "".join(c if c.isprintable() or c == "\n" else _json_escape(c) for c in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _suffix(length: int) -> str:
    return f"... ({length:,} characters)"


def shown(value: Any, limit: int = LIMIT) -> str:
    """A value for a message, inside quotes the message writes itself: escaped, and cut after
    ``limit`` characters with its length (``aaaa... (10,485,760 characters)``)."""
    if not isinstance(value, str):
        value = _text(value)
    if len(value) <= limit:
        return escaped(value)
    return escaped(value[:limit]) + _suffix(len(value))


def shown_repr(value: Any, limit: int = LIMIT) -> str:
    """``repr(value)`` for a message (quotes included; repr escapes what is not printable), cut
    after ``limit`` characters with its length. Containers are named by kind, never printed."""
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return repr(value[:limit]) + _suffix(len(value))
    text = _text(value)
    return text if len(text) <= limit else text[:limit] + _suffix(len(text))


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    try:
        return repr(value)
    except ValueError:  # an int longer than Python prints (4,300 digits)
        return "a number too long to show"


MESSAGE_LIMIT = 1000  # characters of a whole message, as a last resort


def bounded(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """A whole message, escaped and cut after ``limit`` characters: the net under every check that
    echoes a value (each should already have shortened it with ``shown``)."""
    if len(message) > limit:
        return escaped(message[:limit]) + f"... (message cut: {len(message):,} characters)"
    return escaped(message)
