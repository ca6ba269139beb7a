"""A line reader for the YAML that org files are written in, giving exactly the event reader's result.

Why: at 50,000 members the C parser's event stream alone costs as much as everything else in a
`plan`, and turning a million events into data costs more again. Org files use a small part of
YAML: block mappings and sequences, one-line flow mappings and sequences of plain or quoted
scalars, and comments. Read line by line, with one regular expression per line, that part gives
the same values, types (plain scalars go through the event reader's own resolver and
constructor) and positions as ``yamlsource``'s event reader, at a fraction of the cost.

The moment a file holds anything else - anchors, aliases, tags, merge keys, duplicate keys, block
or multi-line scalars, escapes, flow collections spanning lines, ``---``/``...``, directives,
tabs, carriage returns, a BOM, control characters, odd indentation, empty list items, a key that is
not a string - ``read`` raises ``Declined`` and the caller reads the whole file with the event
reader, so every error and special handling stays that reader's. Whatever the reader is unsure of,
it declines: declining costs time, never correctness. ``tests/test_fastyaml.py`` checks, on every
YAML file of the repository, generated orgs and generated documents, that the two readers agree.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ovctl.core.positions import new_dict, new_list


class Declined(Exception):
    """The text holds something this reader does not handle (the message says what, for debugging)."""


# Anything outside printable ASCII/Unicode on one line: tabs, CR, NEL, LS/PS, BOM, C0/C1 controls.
# (written as the characters refused: the complement of the allowed ranges takes 10 ms to compile)
_UNSUPPORTED_CHAR = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
# A plain scalar may not start with an indicator (we also refuse '-', '?', ':' followed by text).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_START = r"[^\s\-?:,\[\]{}#&*!|>'\"%@`]"
_SQ = r"'[^'\n]*(?:''[^'\n]*)*'"
_DQ = r'"[^"\\\n]*"'
# indent, "- ", key (plain without ':', '#', flow indicators; or quoted), then the rest of the line.
_LINE = re.compile(r"( *)(?:(-)(?: +|$))?(?:(" + _START + r"(?:[^:#,\[\]{}]*[^\s:#,\[\]{}])?|" + _SQ + "|" + _DQ
                   + r"):(?: +|$))?(.*)")
# In a flow collection: a plain scalar (no ':' or '#' at all, to stay clear of every doubtful case).
# (libyaml ends a plain scalar at '?' in a flow collection)
_FLOW_PLAIN = re.compile(_START + r"(?:[^:#,?\[\]{}]*[^\s:#,?\[\]{}])?")
_FLOW_SQ = re.compile(_SQ)
_FLOW_DQ = re.compile(_DQ)
_SPACES = re.compile(" *")
# A flow collection written the common way, split on ", " and ": " (``_Reader.flat``).
_FLAT = _FLOW_PLAIN.pattern
_CANON_MAP = re.compile(r"\{(?:" + _FLAT + ": " + _FLAT + ", )*" + _FLAT + ": " + _FLAT + r"\}")
_CANON_SEQ = re.compile(r"\[(?:" + _FLAT + ", )*" + _FLAT + r"\]")
_SPECIAL = _INDICATORS | {""}
# The two commonest lines, "key: value" and "- value" with a plain value holding no ':' or '#'.
_SIMPLE = _START + r"(?:[^:#]*[^\s:#])?"
_ENTRY = re.compile(r"( *)(" + _START + r"(?:[^:#,\[\]{}]*[^\s:#,\[\]{}])?): +(" + _SIMPLE + ")")
_ITEM = re.compile(r"( *)- +(" + _SIMPLE + ")")
# "- key: value": the first entry of a mapping in a list (each member's "- id: ..." line).
_ITEM_ENTRY = re.compile(r"( *)- +(" + _START + r"(?:[^:#,\[\]{}]*[^\s:#,\[\]{}])?): +(" + _SIMPLE + ")")
# "key: {...}" / "key: [...]" written the common way, then nothing or a comment.
_FLOW_ENTRY = re.compile(r"( *)(" + _START + r"(?:[^:#,\[\]{}]*[^\s:#,\[\]{}])?): +(" + _CANON_MAP.pattern + "|"
                         + _CANON_SEQ.pattern + r")(?: +(?:#.*)?)?")
MAX_BLOCK_DEPTH = 100  # far below the event reader's nesting limit, so its error is never skipped
MAX_FLOW_DEPTH = 20
MAX_KEY = 1000  # libyaml refuses implicit keys longer than 1024 characters


class _Every:
    """Every first character may start a non-string (a resolver with a catch-all)."""

    def __contains__(self, c: object) -> bool:
        return True


class _Reader:
    """One document. ``first``: the characters a plain scalar must start with to be anything but a
    string; ``resolve`` gives the others' values by the event reader's rules (or declines)."""

    def __init__(self, resolve: Callable[[str], Any], first: Any) -> None:
        self.resolve = resolve
        self.first = first if first is not None else _Every()
        self.cache: dict[str, Any] = {}
        self.keys: dict[str, str] = {}
        self.line = 0  # the current line, shifted: position = line | column

    def plain(self, text: str) -> Any:
        if text[0] not in self.first:
            return text
        cache = self.cache
        if text in cache:
            return cache[text]
        if text == "<<":
            raise Declined("merge key")
        value = cache[text] = self.resolve(text)
        return value

    def key(self, text: str) -> str:
        """A block or flow key: quoted, or plain resolving to a string."""
        known = self.keys.get(text)
        if known is not None:
            return known
        if len(text) > MAX_KEY:
            raise Declined("long key")
        c = text[0]
        if c == "'":
            return text[1:-1].replace("''", "'")
        if c == '"':
            return text[1:-1]
        value = self.plain(text)
        if type(value) is not str:
            raise Declined(f"key {text!r}")
        self.keys[text] = value
        return value

    def block_value(self, rest: str, col: int, line: int) -> Any:
        """The value written after ``key: `` or ``- `` (non-empty, not a comment, not a plain
        scalar) on ``line`` (shifted); ``col`` is 0-based."""
        self.line = line
        c = rest[0]
        if c == "{" or c == "[":
            value, end = self.flow(rest, 0, col, 0)
            self.tail(rest, end)
            return value
        if c == "'" or c == '"':
            m = (_FLOW_SQ if c == "'" else _FLOW_DQ).match(rest)
            if m is None:
                raise Declined("quoted scalar not closed on its line")
            self.tail(rest, m.end())
            return rest[1:m.end() - 1].replace("''", "'") if c == "'" else rest[1:m.end() - 1]
        if c in _INDICATORS:
            raise Declined(f"indicator {c!r}")
        cut = rest.find(" #")
        text = (rest[:cut] if cut >= 0 else rest).rstrip(" ")
        if ": " in text or text[-1] == ":" or text == "<<":
            raise Declined("':' in a plain scalar")
        return self.plain(text)

    @staticmethod
    def tail(rest: str, end: int) -> None:
        """After a quoted or flow value: nothing, or spaces then a comment."""
        if end < len(rest):
            after = rest[end:]
            stripped = after.lstrip(" ")
            if after[0] != " " or (stripped and stripped[0] != "#"):
                raise Declined("text after a value")

    def flow(self, s: str, i: int, base: int, depth: int) -> tuple[Any, int]:
        """The flow collection starting at ``s[i]`` (``{`` or ``[``); ``base`` is the column of
        ``s[0]``. Returns the value and the index after its closing bracket."""
        if depth >= MAX_FLOW_DEPTH:
            raise Declined("deep flow")
        line = self.line
        is_map = s[i] == "{"
        out: Any = (new_dict if is_map else new_list)(line | (base + i + 1))
        p = out._p
        close = "}" if is_map else "]"
        if self.flat(s, i, base, out, is_map):
            return out, self.end
        out.clear()
        del p[:]
        i = _SPACES.match(s, i + 1).end()
        if i < len(s) and s[i] == close:
            return out, i + 1
        n = len(s)
        while True:
            if i >= n:
                raise Declined("flow collection not closed on its line")
            if is_map:
                m = (_FLOW_SQ if s[i] == "'" else _FLOW_DQ if s[i] == '"' else _FLOW_PLAIN).match(s, i)
                if m is None:
                    raise Declined("flow key")
                key = self.key(m.group())
                if key in out:
                    raise Declined("duplicate key")
                kpos = line | (base + i + 1)
                i = m.end()
                if s[i:i + 2] != ": ":
                    raise Declined("flow key without ': '")
                i = _SPACES.match(s, i + 2).end()
            value, vpos, i = self.flow_item(s, i, base, depth)
            if is_map:
                out[key] = value
                p.append(kpos)
            else:
                out.append(value)
            p.append(vpos)
            i = _SPACES.match(s, i).end()
            if i >= n:
                raise Declined("flow collection not closed on its line")
            c = s[i]
            if c == close:
                return out, i + 1
            if c != ",":
                raise Declined(f"{c!r} in a flow collection")
            i = _SPACES.match(s, i + 1).end()
            if i < n and s[i] in "]}":
                raise Declined("trailing comma")

    def flat(self, s: str, i: int, base: int, out: Any, is_map: bool) -> bool:
        """Fill ``out`` from a flow collection written the common way - plain scalars only, one
        ``", "`` between entries, ``": "`` after keys - by splitting the text; False if it is
        written any other way (then ``flow`` reads it token by token)."""
        m = (_CANON_MAP if is_map else _CANON_SEQ).match(s, i)
        if m is None:
            return False
        self.end = m.end()
        self.fill(out, s[i + 1:m.end() - 1], self.line, base + i + 2, is_map)
        return True

    def fill(self, out: Any, inner: str, line: int, col: int, is_map: bool) -> None:
        """``flat``'s work once the text between the brackets, ``inner``, is known to be written
        the common way; ``col``: the 1-based column of its first entry."""
        p = out._p
        first = self.first
        cache = self.cache
        plain = self.plain
        if is_map:
            keys = self.keys
            key_of = self.key
            for part in inner.split(", "):
                k, v = part.split(": ")
                key = keys.get(k)
                if key is None:
                    key = key_of(k)
                if key in out:
                    raise Declined("duplicate key")
                out[key] = v if v[0] not in first else cache[v] if v in cache else plain(v)
                p.append(line | col)
                p.append(line | (col + len(k) + 2))
                col += len(part) + 2
            return
        for v in inner.split(", "):
            out.append(v if v[0] not in first else cache[v] if v in cache else plain(v))
            p.append(line | col)
            col += len(v) + 2

    def flow_item(self, s: str, i: int, base: int, depth: int) -> tuple[Any, int, int]:
        """A value inside a flow collection: (value, its packed position, index after it)."""
        if i >= len(s):
            raise Declined("flow collection not closed on its line")
        pos = self.line | (base + i + 1)
        c = s[i]
        if c == "{" or c == "[":
            value, end = self.flow(s, i, base, depth + 1)
            return value, pos, end
        if c == "'" or c == '"':
            m = (_FLOW_SQ if c == "'" else _FLOW_DQ).match(s, i)
            if m is None:
                raise Declined("quoted scalar not closed on its line")
            text = m.group()[1:-1]
            return (text.replace("''", "'") if c == "'" else text), pos, m.end()
        m = _FLOW_PLAIN.match(s, i)
        if m is None:
            raise Declined(f"flow value at {c!r}")
        return self.plain(m.group()), pos, m.end()


def read(text: str, resolve: Callable[[str], Any], first: Any) -> Any:
    """The document in ``text`` as Marked data, or ``Declined``.

    ``resolve`` gives the value of a plain scalar by the event reader's rules (raising ``Declined``
    for a value that reader would report, such as an invalid date); ``first``: the characters such
    a scalar must start with to be anything but a string (None: any)."""
    bad = _UNSUPPORTED_CHAR.search(text)
    if bad is not None:
        raise Declined(f"character U+{ord(bad.group()):04X}")
    reader = _Reader(resolve, first)
    first = reader.first
    cache = reader.cache
    plain = reader.plain
    keys = reader.keys
    key_of = reader.key
    block_value = reader.block_value
    special = _SPECIAL
    line_re = _LINE.match
    entry_re = _ENTRY.fullmatch
    item_re = _ITEM.fullmatch
    item_entry_re = _ITEM_ENTRY.fullmatch
    flow_entry_re = _FLOW_ENTRY.fullmatch
    fill = reader.fill
    # the open block containers, innermost last: [indent, container, positions, is_list, indentless]
    stack: list[list[Any]] = []
    pending: tuple[Any, Any, int, int, int] | None = None  # a "key:" whose value is on the next lines
    root: Any = None
    top: list[Any] = [-1, None, None, False, False]  # no container yet
    ln = 0
    for line in text.split("\n"):
        ln += 1
        if pending is None:  # the commonest lines, read the way the general code below would
            m = entry_re(line)
            if m is not None:
                indent, key, rest = m.groups()
                i = len(indent)
                while top[0] > i or top[4]:  # close deeper containers (as below: idempotent there)
                    stack.pop()
                    if not stack:
                        raise Declined("root")
                    top = stack[-1]
                if i == top[0] and not top[3]:
                    target = top[1]
                    k = keys.get(key)
                    if k is None:
                        k = key_of(key)
                    if k in target:
                        raise Declined(f"line {ln}: duplicate key")
                    target[k] = rest if rest[0] not in first else cache[rest] if rest in cache else plain(rest)
                    at = ln << 32
                    p = target._p
                    p.append(at | (len(indent) + 1))
                    p.append(at | (m.start(3) + 1))
                    continue
            else:
                m = item_re(line)
                if m is not None:
                    indent, rest = m.groups()
                    if len(indent) == top[0] and top[3]:
                        top[1].append(rest if rest[0] not in first else cache[rest] if rest in cache else plain(rest))
                        top[2].append((ln << 32) | (m.start(2) + 1))
                        continue
                elif (m := item_entry_re(line)) is not None:
                    indent, key, rest = m.groups()
                    i = len(indent)
                    while top[0] > i:  # close deeper containers (as below: idempotent there)
                        stack.pop()
                        if not stack:
                            raise Declined("root")
                        top = stack[-1]
                    if i == top[0] and top[3] and len(stack) < MAX_BLOCK_DEPTH:
                        at = ln << 32
                        col = m.start(2)
                        target = new_dict(at | (col + 1))
                        top[1].append(target)
                        top[2].append(target._at)
                        top = [col, target, target._p, False, False]
                        stack.append(top)
                        k = keys.get(key)
                        if k is None:
                            k = key_of(key)
                        target[k] = rest if rest[0] not in first else cache[rest] if rest in cache else plain(rest)
                        p = target._p
                        p.append(at | (col + 1))
                        p.append(at | (m.start(3) + 1))
                        continue
                else:
                    m = flow_entry_re(line)
                    if m is not None:
                        indent, key, rest = m.groups()
                        if len(indent) == top[0] and not top[3]:
                            target = top[1]
                            k = keys.get(key)
                            if k is None:
                                k = key_of(key)
                            if k in target:
                                raise Declined(f"line {ln}: duplicate key")
                            at = ln << 32
                            vcol = m.start(3)
                            is_map = rest[0] == "{"
                            value = (new_dict if is_map else new_list)(at | (vcol + 1))
                            fill(value, rest[1:-1], at, vcol + 2, is_map)
                            target[k] = value
                            p = target._p
                            p.append(at | (len(indent) + 1))
                            p.append(at | (vcol + 1))
                            continue
        m = line_re(line)
        indent, dash, key, rest = m.groups()
        if dash is None and key is None:
            if not rest or rest[0] == "#":
                continue  # blank or comment line
            raise Declined(f"line {ln}: not a mapping entry or list item")
        at = ln << 32
        i = len(indent)
        if pending is not None:  # what follows "key:" (its value, unless the line is not nested)
            pmap, pkey, kpos, null_pos, pind = pending
            pending = None
            if i > pind or (i == pind and dash is not None):
                child: Any = (new_list if dash is not None else new_dict)(at | (i + 1))
                pmap[pkey] = child
                pmap._p.append(kpos)
                pmap._p.append(child._at)
                if len(stack) >= MAX_BLOCK_DEPTH:
                    raise Declined("deep nesting")
                top = [i, child, child._p, dash is not None, i == pind]
                stack.append(top)
            else:
                pmap[pkey] = None
                pmap._p.append(kpos)
                pmap._p.append(null_pos)
        elif not stack:
            if root is not None or i != 0:
                raise Declined("root")
            root = (new_list if dash is not None else new_dict)(at | 1)
            top = [0, root, root._p, dash is not None, False]
            stack.append(top)
        while top[0] > i or (top[4] and dash is None):  # close deeper containers
            stack.pop()
            if not stack:
                raise Declined("root")
            top = stack[-1]
        if top[0] != i:
            raise Declined(f"line {ln}: indentation")
        if top[3]:  # a list item
            if dash is None:
                raise Declined(f"line {ln}: a key where a list item is expected")
            if key is None:
                c = rest[:1]
                col = m.start(4)
                if c in special:
                    if c == "" or c == "#":
                        raise Declined(f"line {ln}: empty list item")
                    value = block_value(rest, col, at)
                else:
                    cut = rest.find(" #")
                    if cut >= 0:
                        rest = rest[:cut]
                    if rest[-1] == " ":
                        rest = rest.rstrip(" ")
                    if ": " in rest or rest[-1] == ":":
                        raise Declined(f"line {ln}: ':' in a plain scalar")
                    value = rest if c not in first else cache[rest] if rest in cache else plain(rest)
                top[1].append(value)
                top[2].append(at | (col + 1))
                continue
            col = m.start(3)
            target = new_dict(at | (col + 1))
            top[1].append(target)
            top[2].append(target._at)
            if len(stack) >= MAX_BLOCK_DEPTH:
                raise Declined("deep nesting")
            top = [col, target, target._p, False, False]
            stack.append(top)
        else:
            if dash is not None or key is None:
                raise Declined(f"line {ln}: a list item where a key is expected")
            target = top[1]
            col = m.start(3)
        k = keys.get(key)
        if k is None:
            k = key_of(key)
        if k in target:
            raise Declined(f"line {ln}: duplicate key")
        c = rest[:1]
        if c in special:
            if c == "" or c == "#":
                pending = (target, k, at | (col + 1), at | (m.end(3) + 2), col)
                continue
            vcol = m.start(4)
            target[k] = block_value(rest, vcol, at)
        else:
            vcol = m.start(4)
            cut = rest.find(" #")
            if cut >= 0:
                rest = rest[:cut]
            if rest[-1] == " ":
                rest = rest.rstrip(" ")
            if ": " in rest or rest[-1] == ":":
                raise Declined(f"line {ln}: ':' in a plain scalar")
            target[k] = rest if c not in first else cache[rest] if rest in cache else plain(rest)
        p = target._p
        p.append(at | (col + 1))
        p.append(at | (vcol + 1))
    if pending is not None:
        pmap, pkey, kpos, null_pos, _ = pending
        pmap[pkey] = None
        pmap._p.append(kpos)
        pmap._p.append(null_pos)
    if root is None:
        raise Declined("empty document")
    return root
