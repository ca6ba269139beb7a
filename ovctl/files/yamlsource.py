"""Fast YAML reading with exact positions: plain Python data that remembers where it came from.

Why not ``YAML(typ='rt').load``: on a 10,000-member org the round-trip loader takes ~8 s, while
the C (libyaml) parser's event stream takes ~0.2 s (ruamel's ``compose`` of the same events into
nodes, in Python, ~1.6 s). So we parse with the C parser (pure Python only when ``ruamel.yaml.clib``
is missing) and build plain dicts/lists/scalars straight from the events, with, on the way, a
position index and the duplicate-key check that the safe loader does not do.

Positions are 1-based ``(line, column)``; columns count characters (libyaml decodes UTF-8), so a
message points at the same column an editor shows.

The containers (``MarkedDict``, ``MarkedList``) are plain ``dict``/``list`` subclasses so that
JSON Schema and the pure core can use them as ordinary data; ruamel is imported lazily, only by
``read_yaml``, so that importing these types keeps a core module free of the YAML stack.
"""

from __future__ import annotations

import datetime
import gc
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ovctl.core.errors import Problem
from ovctl.core.positions import MarkedDict, MarkedList, Pos, key_pos, new_dict, new_list, unpack
from ovctl.core.shown import bounded, escaped, shown, shown_repr
from ovctl.files.limits import FileRefused, read_bytes

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"

# --------------------------------------------------------------------------- reading


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NO_KEY = object()  # a mapping frame waiting for its next key
_SKIP = object()  # a key whose value must be dropped (duplicate, or not a scalar)


class _Frame:
    """An open mapping or sequence while its events stream in (``p``: the container's packed
    positions, ``seq``: it is a list; ``kpos``: the packed position of the key waiting for its value)."""

    __slots__ = ("value", "anchor", "key", "kpos", "merges", "p", "seq")

    def __init__(self, value: Any, anchor: str | None, pos: int) -> None:
        self.value = value
        self.anchor = anchor
        self.key: Any = _NO_KEY
        self.kpos = pos
        self.merges: list[tuple[Any, int]] | None = None
        self.p = value._p
        self.seq = type(value) is MarkedList


def _at(mark: Any) -> int:
    """The packed 1-based position of a parser mark."""
    return ((mark.line + 1) << 32) | (mark.column + 1)


class _Builder:
    """Builds Marked data straight from the C parser's event stream, collecting problems.

    Why events and not ``compose()``: ruamel composes the node tree in Python (~1.6 s for 10,000
    members) while the C event stream costs ~0.2 s; building plain data from events ourselves is
    both faster and gives us duplicate-key detection with exact positions. The tag rules follow
    ruamel's composer + safe constructor (YAML 1.2: ``yes`` is a string, ``2019-04-01`` a date).
    """

    def __init__(self, display: str, yaml: Any) -> None:
        self.display = display
        self.resolver = yaml.resolver
        self.constructor = yaml.constructor
        self.problems: list[Problem] = []
        self.anchors: dict[str, Any] = {}
        self.open_anchors: set[str] = set()
        self.tag_cache: dict[str, str] = {}
        self.first_chars: frozenset[str] | None = None
        self.sizes: dict[int, int] = {}  # id(container) -> nodes in it, aliases expanded (containers stay alive)
        self.expanded = 0  # nodes produced by alias expansion so far

    def problem(self, pos: int, message: str, code: str) -> None:
        """A problem at a packed position."""
        line, column = unpack(pos)
        self.problems.append(Problem(bounded(message), self.display, line, column, code=code))

    def build(self, events: Any) -> Any:
        """Plain data from the parser's events; stops at ``MAX_NESTING`` levels (the C parser slows
        down quadratically with flow nesting: 100,000 ``[`` took 37 s before this limit).

        The hot loop (a million events at 50,000 members) is written out with local names: a plain
        scalar that cannot resolve to anything but a string (its first character starts no implicit
        tag) skips the resolver, and keys and values are stored inline; the rest goes through
        ``scalar``/``add``, which say the rules."""
        from ruamel.yaml.events import (AliasEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent,
                                        ScalarEvent, SequenceEndEvent, SequenceStartEvent)

        stack: list[_Frame] = []
        root: Any = None
        documents = 0
        written = 0  # events read: the nodes the file writes itself
        anchors = self.anchors
        scalar = self.scalar
        add = self.add
        no_key, skip, merge = _NO_KEY, _SKIP, _MERGE
        first_chars = None  # known after the first plain scalar (the document's YAML version decides it)
        for event in events:
            written += 1
            cls = type(event)
            if cls is ScalarEvent:
                mark = event.start_mark
                pos = ((mark.line + 1) << 32) | (mark.column + 1)
                value = event.value
                if event.ctag is None and (not event.implicit[0] or (
                        first_chars is not None and value and value[0] not in first_chars)):
                    merge_key = False  # a string: quoted, block, or plain starting like no other type
                else:
                    merge_key = value == "<<" and event.ctag is None and event.implicit[0]
                    value = scalar(event, pos)
                    first_chars = self.first_chars
                if event.anchor is not None:
                    anchors[event.anchor] = value
                if not stack:
                    root = value
                    continue
                frame = stack[-1]
                if frame.seq:  # a sequence item
                    frame.value.append(value)
                    frame.p.append(pos)
                    continue
                key = frame.key
                if key is no_key:  # this scalar is a key
                    if merge_key or value in frame.value:
                        add(frame, value, pos, merge_key)
                    else:
                        frame.key = value
                        frame.kpos = pos
                    continue
                frame.key = no_key
                if key is skip:
                    continue
                if key is merge:
                    if frame.merges is None:
                        frame.merges = []
                    frame.merges.append((value, frame.kpos))
                    continue
                frame.value[key] = value
                frame.p.append(frame.kpos)
                frame.p.append(pos)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                mark = event.start_mark
                pos = ((mark.line + 1) << 32) | (mark.column + 1)
                is_map = cls is MappingStartEvent
                if event.ctag is not None and event.tag not in ("!", _MAP if is_map else _SEQ):
                    self.problem(pos, f"unsupported YAML tag {shown(event.tag)}", "yaml_tag")
                if len(stack) >= MAX_NESTING:
                    raise _TooDeep(unpack(pos))
                container = new_dict(pos) if is_map else new_list(pos)
                frame = _Frame(container, event.anchor, pos)
                if event.anchor is not None:
                    self.open_anchors.add(event.anchor)
                stack.append(frame)
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                frame = stack.pop()
                if frame.merges:
                    self.merge(frame.value, frame.merges)
                if frame.anchor is not None:
                    anchors[frame.anchor] = frame.value
                    self.open_anchors.discard(frame.anchor)
                if stack:
                    add(stack[-1], frame.value, frame.value._at, False)
                else:
                    root = frame.value
            elif cls is AliasEvent:
                pos = _at(event.start_mark)
                if event.anchor in self.open_anchors:
                    self.problem(pos, f"recursive alias *{shown(event.anchor)}: a node that contains itself", "yaml_recursive")
                    value = None
                elif event.anchor in anchors:
                    value = anchors[event.anchor]
                    self.expanded += self.size(value)
                    if self.expanded > ALIAS_BUDGET and self.expanded > ALIAS_RATIO * written:
                        raise _TooManyAliases(unpack(pos))
                else:
                    self.problem(pos, f"undefined alias *{shown(event.anchor)} (no anchor &{shown(event.anchor)} before it)",
                                 "yaml_syntax")
                    value = None
                if stack:
                    add(stack[-1], value, pos, False)
                else:
                    root = value
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    self.problem(_at(event.start_mark),
                                 "a second YAML document ('---') in one file; use one document per file", "yaml_syntax")
                    return root
        return root

    def _first_chars(self) -> frozenset[str] | None:
        """The characters a plain scalar must start with to resolve to anything but a string
        (None: the resolver has a catch-all, so every plain scalar goes through it)."""
        if self.first_chars is None:
            table = self.resolver.versioned_resolver  # first character -> implicit resolvers
            self.first_chars = frozenset(k for k in table if k) if not table.get(None) else None
        return self.first_chars

    def size(self, value: Any) -> int:
        """Nodes in ``value`` as a reader expanding every alias would see them: a scalar is 1, a
        list 1 + its items, a mapping 1 + its keys + its values. Shared containers are counted once
        and remembered, so a 'billion laughs' costs a few dozen steps to measure, not a billion."""
        if type(value) is not MarkedDict and type(value) is not MarkedList:
            return 1
        sizes = self.sizes
        known = sizes.get(id(value))
        if known is not None:
            return known
        todo: list[tuple[Any, bool]] = [(value, False)]  # iterative: aliases can nest past the recursion limit
        while todo:
            node, ready = todo.pop()
            if id(node) in sizes:
                continue
            children = list(node.values()) if type(node) is MarkedDict else node
            if not ready:
                todo.append((node, True))
                todo.extend((c, False) for c in children
                            if (type(c) is MarkedDict or type(c) is MarkedList) and id(c) not in sizes)
                continue
            total = 1 + (len(node) if type(node) is MarkedDict else 0)
            for c in children:
                total += sizes[id(c)] if type(c) is MarkedDict or type(c) is MarkedList else 1
            sizes[id(node)] = total
        return sizes[id(value)]

    def is_merge_key(self, event: Any) -> bool:
        return event.value == "<<" and event.tag is None and event.implicit[0]

    def add(self, frame: _Frame, value: Any, pos: int, merge_key: bool) -> None:
        """Add a value (or a key) at packed position ``pos`` to the open container, with the rules."""
        container = frame.value
        if frame.seq:
            container.append(value)
            frame.p.append(pos)
            return
        key = frame.key
        if key is _NO_KEY:  # this value is a key
            frame.kpos = pos
            if merge_key:
                frame.key = _MERGE
            elif isinstance(value, (dict, list)):
                self.problem(pos, "a mapping key must be a plain scalar, not a mapping or a list", "yaml_key")
                frame.key = _SKIP
            elif value in container:
                first = key_pos(container, value)
                self.problem(pos, f"duplicate key '{shown(value)}' (first defined at line {first[0]}, column {first[1]})",
                             "duplicate_key")
                frame.key = _SKIP
            else:
                frame.key = value
            return
        frame.key = _NO_KEY
        if key is _SKIP:
            return
        if key is _MERGE:
            if frame.merges is None:
                frame.merges = []
            frame.merges.append((value, frame.kpos))
            return
        container[key] = value
        frame.p.append(frame.kpos)
        frame.p.append(pos)

    def merge(self, out: MarkedDict, merges: list[tuple[Any, int]]) -> None:
        """YAML merge key ``<<: *anchor``: copy the keys that the mapping does not define itself."""
        for sources, kpos in merges:
            if isinstance(sources, MarkedDict):
                sources = [sources]
            if not isinstance(sources, list) or not all(isinstance(s, MarkedDict) for s in sources):
                self.problem(kpos, "'<<' (merge key) needs a mapping or a list of mappings", "yaml_merge")
                continue
            for src in sources:
                for k, v in src.items():
                    if k not in out:
                        out[k] = v
                        out._p.append(src._packed(k, 0))
                        out._p.append(src._packed(k, 1))

    def scalar(self, event: Any, pos: int) -> Any:
        tag = event.tag
        value = event.value
        if tag is None:
            if not event.implicit[0]:  # quoted or block scalar
                return value
            self._first_chars()
            if self.first_chars is not None and value and value[0] not in self.first_chars:
                return value  # cannot be anything but a string (most ids, names, emails)
            tag = self.tag_cache.get(value)
            if tag is None:
                from ruamel.yaml.nodes import ScalarNode

                tag = str(self.resolver.resolve(ScalarNode, value, (True, False)))
                self.tag_cache[value] = tag
        elif tag == "!":
            return value
        else:
            tag = str(tag)
        if tag == _STR or tag == _MERGE:  # '<<' is kept as a key; add() merges it
            return value
        construct = self.constructor.yaml_constructors.get(tag)
        if construct is None or tag in (_MAP, _SEQ):
            self.problem(pos, f"unsupported YAML tag {shown(tag)}", "yaml_tag")
            return value
        from ruamel.yaml.nodes import ScalarNode

        try:
            return construct(self.constructor, ScalarNode(tag, value, start_mark=event.start_mark))
        except Exception as exc:  # an invalid timestamp such as 2019-13-45, an odd int
            kind = tag.rsplit(":", 1)[-1]
            if kind == "int" and "digits" in str(exc):  # longer than Python converts (4,300 digits)
                self.problem(pos, f"a number has too many digits ({len(value):,})", "yaml_value")
            else:
                self.problem(pos, f"invalid {kind} {shown_repr(value)}: {shown(str(exc), 200)}", "yaml_value")
            return value


def _decode(raw: bytes, display: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 (with or without BOM) only, with the exact place of the first bad byte."""
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        start = exc.start
        before = raw[:start]
        line = before.count(b"\n") + 1
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
        msg = f"cannot read: not valid UTF-8 (byte 0x{raw[start]:02x}); save the file as UTF-8"
        return None, [Problem(msg, display, line, column, code="unreadable")]


# What YAML 1.2 allows in a file (c-printable); anything else is a reader error. Compiled only when
# such an error is reported: this complemented class costs ~10 ms to compile, on every start.
_NOT_YAML_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def _line_col(text: str, index: int) -> Pos:
    """1-based (line, column) of the character at ``index`` (columns count characters)."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _yaml(pure: bool = False):
    """A safe YAML on the C parser (ruamel falls back to its pure-Python parser by itself when
    ``ruamel.yaml.clib`` is missing: same events, ~6x slower)."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=pure)


MAX_NESTING = 500  # levels of mappings/lists; a real org nests a few dozen at most
# Alias expansion budget: the nodes that aliases (``*name``, ``<<: *name``) stand for, counted as if
# copied out, may not exceed 1,000,000 nor ALIAS_RATIO times the nodes the file writes itself (a
# template merged into each of 50,000 members stays within that); a 'billion laughs' file is
# refused at the alias that crosses both, in a few milliseconds.
ALIAS_BUDGET = 1_000_000
ALIAS_RATIO = 10


class _TooManyAliases(Exception):
    def __init__(self, pos: Pos) -> None:
        super().__init__(pos)
        self.pos = pos


class _TooDeep(Exception):
    def __init__(self, pos: Pos) -> None:
        super().__init__(pos)
        self.pos = pos


# Loading a large file creates a million objects that all live on: the cyclic garbage collector
# would walk them again and again while they are built (~20% of a 50,000-member load) and in every
# later full collection. So it pauses while a file is built, and a large result is frozen (moved
# out of the collector's generations: plain data is freed by reference counting, never in cycles).
FREEZE_ABOVE = 1_000_000  # characters of a file (about 4,000 members)


@contextmanager
def gc_paused(freeze: bool = False):
    """The cyclic garbage collector off for the block (restored after); ``freeze`` then moves every
    object alive at the end out of its reach (``gc.freeze``)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


READER_ENV = "OVCTL_YAML_READER"  # "events": always the event reader (debugging); otherwise the line reader first


class _Plain:
    """What ``fastyaml`` needs of a plain scalar event: the same ``scalar()`` rules as the event reader."""

    __slots__ = ("value",)
    tag = None
    ctag = None
    anchor = None
    implicit = (True, False)
    start_mark = None

    def __init__(self, value: str) -> None:
        self.value = value


_SIMPLE_INT = re.compile("[1-9][0-9]{0,17}|0")
_SIMPLE_DATE = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SIMPLE_FLOAT = re.compile("[0-9]{1,15}\\.[0-9]{1,15}")
# The characters a plain scalar must start with to resolve to anything but a string under the YAML
# 1.2 resolver (``_Builder._first_chars`` of a document without a %YAML directive, which the line
# reader declines): written out so that a file the line reader reads needs no ruamel at all
# (importing it is ~45 M instructions, a third of a 1,000-member plan); a test checks it is ruamel's.
FIRST_CHARS_12 = frozenset("!&*+-.0123456789<=FNTfnt~")
# Plain scalars whose value is the same under ruamel's 1.2 resolver and safe constructor, and so
# need no ruamel (the null and bool resolvers' exact words; a test checks each against ruamel's).
_WORDS: dict[str, Any] = {"~": None, "null": None, "Null": None, "NULL": None,
                          "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def _plain_resolver(display: str, yaml: Any = None):
    """``text -> value`` for a plain scalar, by the event reader's own resolver and constructor;
    ``Declined`` for a value that reader would report (an invalid date, a too-long number).
    Plain ints, dates, decimals, the null/bool words and the strings starting like them are resolved
    here; anything else (a sign, an exponent, a timestamp with a time) builds the event reader's resolver, importing ruamel, on first use."""
    from ovctl.files.fastyaml import Declined

    date = datetime.date
    builder: list[_Builder] = []

    def resolve(text: str) -> Any:
        if _SIMPLE_INT.fullmatch(text):  # what the int constructor makes of it, without the resolver
            return int(text)
        if _SIMPLE_DATE.fullmatch(text):  # what the timestamp constructor makes of a plain date
            try:
                return date(int(text[:4]), int(text[5:7]), int(text[8:]))
            except ValueError:
                raise Declined(f"invalid date {text!r}") from None
        c = text[0]
        if c in "FNTfnt~<":  # only the bool/null words' (or '<<', which the line reader declines) resolvers
            return _WORDS[text] if text in _WORDS else text
        if _SIMPLE_FLOAT.fullmatch(text):  # the float constructor's float(text), no sign, '_' or exponent
            return float(text)
        if not builder:
            builder.append(_Builder(display, yaml if yaml is not None else _yaml()))
            if builder[0]._first_chars() != FIRST_CHARS_12:  # never, unless ruamel changes its resolver
                raise Declined("resolver")
        value = builder[0].scalar(_Plain(text), 0)
        if builder[0].problems:
            raise Declined(f"plain scalar {text!r}")
        return value

    return resolve


def _read_lines(text: str, display: str, yaml: Any = None) -> Any:
    """The line reader's result, or ``Declined`` (``yaml``: the event reader's, made when needed)."""
    from ovctl.files import fastyaml

    with gc_paused(freeze=len(text) > FREEZE_ABOVE):
        return fastyaml.read(text, _plain_resolver(display, yaml), FIRST_CHARS_12)


def parse_yaml(text: str, display: str, *, pure: bool = False, reader: str | None = None) -> tuple[Any, list[Problem]]:
    """Parse one YAML document from ``text``; returns (data or None, problems).

    The line reader (``fastyaml``) reads the common org-file subset; anything else, and every file
    with a problem to report, is read from the parser's events. ``reader="events"`` (or
    ``OVCTL_YAML_READER=events``) skips the line reader; ``pure=True`` forces the pure-Python parser
    (tests check both parsers agree) and skips it too."""
    if not pure and (reader or os.environ.get(READER_ENV, "")).strip().lower() != "events":
        from ovctl.files.fastyaml import Declined

        try:
            return _read_lines(text, display), []
        except Declined:
            pass
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    yaml = _yaml(pure)
    builder = _Builder(display, yaml)
    try:
        with gc_paused(freeze=len(text) > FREEZE_ABOVE):
            data = builder.build(yaml.parse(text))
    except _TooDeep as exc:
        return None, builder.problems + [Problem(f"nested more than {MAX_NESTING} levels deep: not an org file",
                                                 display, *exc.pos, code="yaml_syntax")]
    except _TooManyAliases as exc:
        return None, builder.problems + [Problem(
            f"YAML aliases expand to more than {ALIAS_BUDGET:,} nodes ({builder.expanded:,} at this alias): "
            "a 'billion laughs' document, not an org file", display, *exc.pos, code="yaml_aliases")]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        message = "YAML syntax error: " + (exc.problem or exc.context or str(exc).splitlines()[0])
        cmark = exc.context_mark
        if exc.context and exc.problem:
            where = f" started at line {cmark.line + 1}, column {cmark.column + 1}" if cmark is not None else ""
            message += f" ({exc.context}{where})"
        return None, builder.problems + [Problem(message, display, line, col, code="yaml_syntax")]
    except (YAMLError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        if isinstance(exc, ReaderError):  # its position is an offset (bytes for the C parser): find the character
            found = re.search(_NOT_YAML_PRINTABLE, text)
            if found is not None:
                line, col = _line_col(text, found.start())
                char = found.group()
                return None, builder.problems + [Problem(
                    f"YAML syntax error: unacceptable character {escaped(char)} (U+{ord(char):04X}): control "
                    "characters are not allowed in a YAML file", display, line, col, code="yaml_syntax")]
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, builder.problems + [Problem(f"YAML syntax error: {first}", display, line, col, code="yaml_syntax")]
    return data, builder.problems


def read_yaml(path: Path, display: str | None = None) -> tuple[Any, list[Problem]]:
    """Read and parse one YAML file; a missing or unreadable file is a problem, not an exception.

    ``display`` is how messages name the file (as the user wrote it); defaults to ``str(path)``.
    Returns ``(None, [])`` for an empty document.
    """
    display = display if display is not None else str(path)
    try:
        raw = read_bytes(path)
    except FileRefused as exc:
        return None, [Problem(f"cannot read: {exc.reason}", display, code="unreadable")]
    except FileNotFoundError:
        return None, [Problem("no such file", display, code="missing_file")]
    except IsADirectoryError:
        return None, [Problem("cannot read: is a directory", display, code="unreadable")]
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return None, [Problem(f"cannot read: {reason}", display, code="unreadable")]
    text, problems = _decode(raw, display)
    del raw  # 13 MB at 50,000 members: not kept while the data is built
    if text is None:
        return None, problems
    return parse_yaml(text, display)

