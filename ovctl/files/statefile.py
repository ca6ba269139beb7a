"""Snapshot and state files on disk (adapter): JSON, or YAML for ``.yaml``/``.yml``.

The checks live in the pure ``snapshot.snapshot_from_dict``; this module only reads, reports
syntax errors as ``file:line:col``, and writes atomically. ``schemas/state.schema.json`` describes
the same format for editors and other tools; it is not run on every read, because the pure checks
are stricter (references, duplicates) and a 10,000-member state must read in well under a second.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ovctl.core import jsontext
from ovctl.files.atomic import atomic_write_bytes
from ovctl.files.limits import FileRefused, read_text
from ovctl.core.errors import SnapshotError
from ovctl.core.model import Snapshot, lone_surrogate_field
from ovctl.core.snapshot import MemberForms, same_member_form, snapshot_from_dict

SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "state.schema.json"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # "\ud800": a UTF-16 surrogate, lone unless paired


def read_snapshot(path: Path) -> Snapshot:
    """Read and check a snapshot file; every failure is a SnapshotError naming the file."""
    path = Path(path)
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise SnapshotError(f"{path}: snapshot file not found") from None
    except FileRefused as e:
        raise SnapshotError(f"{path}: cannot read snapshot: {e.reason}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SnapshotError(f"{path}: cannot read snapshot: {getattr(e, 'strerror', None) or e}") from None
    from ovctl.files.yamlsource import FREEZE_ABOVE, gc_paused

    with gc_paused(freeze=len(text) > FREEZE_ABOVE):  # a large state: a million objects that live on
        data = _parse_yaml(path, text) if path.suffix.lower() in (".yaml", ".yml") else _parse_json(path, text)
        return snapshot_from_dict(data, str(path))


class _NotANumber(float):
    """NaN, Infinity, -Infinity or an overflowing number (1e999) in the JSON text: marked, then refused."""


def _non_finite(text: str) -> float:
    return _NotANumber("nan")


def _float(text: str) -> float:
    number = float(text)
    return number if math.isfinite(number) else _NotANumber("nan")


def _non_finite_field(data: Any) -> str | None:
    """The field path of the first value marked by ``_non_finite``/``_float``, else None."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if type(value) is _NotANumber:
            return where or "(document)"
        if isinstance(value, dict):
            stack.extend((f"{where}.{k}" if where else str(k), v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(value))))
    return None


def _parse_json(path: Path, text: str) -> Any:
    marked: list[bool] = []

    def constant(word: str) -> float:
        marked.append(True)
        return _non_finite(word)

    def number(word: str) -> float:
        value = _float(word)
        if type(value) is _NotANumber:
            marked.append(True)
        return value

    try:
        data = jsontext.loads(text, parse_constant=constant, parse_float=number)
    except jsontext.JsonTextError as e:
        raise SnapshotError(f"{path}{e.where()}: invalid JSON: {e.message}") from None
    if marked:  # NaN and Infinity are not JSON (Python's json reads them): refuse, naming the field
        where = _non_finite_field(data)
        raise SnapshotError(f"{path}: {where}: not a finite number (NaN, Infinity or a number too large is not JSON)")
    if _SURROGATE_ESCAPE.search(text):  # rare: only then look for a lone one, field by field
        where = lone_surrogate_field(data)
        if where is not None:
            raise SnapshotError(f"{path}: {where}: not valid Unicode text (a lone surrogate escape such as \\ud800)")
    return data


def _parse_yaml(path: Path, text: str) -> Any:
    """YAML through the org reader (C parser events, nesting bounded, positions in every message)."""
    from ovctl.files.yamlsource import parse_yaml

    data, problems = parse_yaml(text, str(path))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        first = errors[0]
        message = first.message.removeprefix("YAML syntax error: ")
        raise SnapshotError(f"{first.location()}: invalid YAML: {message}")
    return data


def snapshot_to_json(snapshot: Snapshot, extra: dict[str, Any] | None = None) -> str:
    """The file text of a snapshot (``extra``: keys added at the end, e.g. ``not_visible``)."""
    return snapshot_to_bytes(snapshot, extra).decode("utf-8")


def snapshot_to_bytes(snapshot: Snapshot, extra: dict[str, Any] | None = None) -> bytes:
    """The file text of a snapshot as UTF-8: JSON, indent 2, UTF-8 kept readable, trailing newline.

    Indented because a state file is committed and reviewed (one field per line diffs well); but
    ``json.dumps`` with an indent runs the pure-Python encoder (~1 s for 50,000 members), so the
    same text is built by orjson when every value is of a type it writes as json does
    (``jsontext.columns_alike``: ~10x faster), else by ``_indented``, else by json itself — byte
    for byte the same text (tests/test_statefile_text.py)."""
    data = snapshot.to_dict()
    if extra:
        data.update(extra)
    return _file_text(data)


def _file_text(data: dict[str, Any]) -> bytes:
    fast = jsontext.snapshot_text(data, indent=True)
    if fast is not None:
        return fast + b"\n"
    try:
        text = _indented(data)
    except _Unusual:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


class _Unusual(Exception):
    """A value ``_indented`` does not write exactly as ``json.dumps`` would: let json do it all."""


def _indented(value: Any) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)`` for dicts with str keys, lists, str, int,
    finite floats, bools and None (anything else raises ``_Unusual``). Strings go through json's
    C escaper; a list of strings or a dict of str -> str is joined in one step."""
    from json.encoder import encode_basestring as enc

    parts: list[str] = []
    add = parts.append

    def scalar(v: Any) -> str:
        t = type(v)
        if t is str:
            return enc(v)
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if t is int:
            return int.__repr__(v)
        if t is float and math.isfinite(v):
            return float.__repr__(v)
        raise _Unusual

    def write(v: Any, level: int) -> None:
        t = type(v)
        if t is dict:
            if not v:
                add("{}")
                return
            inner = "\n" + "  " * (level + 1)
            add("{")
            first = True
            for k, x in v.items():
                if type(k) is not str:
                    raise _Unusual
                tx = type(x)
                if tx is str:  # the common case first, without a call
                    add(f"{inner if first else ',' + inner}{enc(k)}: {enc(x)}")
                elif (tx is dict or tx is list) and x:
                    add(f"{inner if first else ',' + inner}{enc(k)}: ")
                    write(x, level + 1)
                else:
                    add(f"{inner if first else ',' + inner}{enc(k)}: {'{}' if tx is dict else '[]' if tx is list else scalar(x)}")
                first = False
            add("\n" + "  " * level + "}")
        elif t is list:
            if not v:
                add("[]")
                return
            inner = "\n" + "  " * (level + 1)
            if all(type(x) is str for x in v):
                add("[" + inner + ("," + inner).join(map(enc, v)) + "\n" + "  " * level + "]")
                return
            add("[")
            first = True
            for x in v:
                add(inner if first else "," + inner)
                first = False
                write(x, level + 1)
            add("\n" + "  " * level + "]")
        else:
            add(scalar(v))

    write(value, 0)
    return "".join(parts)


# In a state file's text (indent 2), the top-level "members" key starts a line with two spaces; no
# other line can (a string holds no raw newline, and nested keys are indented further).
_MEMBERS_SLOT = b'\n  "members": []'


class PreparedText:
    """The members' part of a state file's text, made ahead of time. Why: apply makes the predicted
    members' while the account works on the sync (~0.1 s of 20,000 members, off the critical
    path); the account read back then holds the very predicted members, and its state file is
    the rest (teams, settings: the ids of created teams are only known then) around this part.

    ``forms``: the members as the read-back compares the account's answer with them
    (``core.snapshot.MemberForms``: rows, compact JSON, the members' check), made in the same wait."""

    __slots__ = ("snapshot", "forms", "_members_text")

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.forms = MemberForms(snapshot.members)
        self._members_text: bytes | None = None
        if self.forms.json is not None:
            # json's text of the list at the top level, moved one level in (each line two spaces more)
            text = jsontext.orjson_text(self.forms.rows, jsontext.INDENT_2)
            self._members_text = None if text is None else text.replace(b"\n", b"\n  ")

    def text_of(self, snapshot: Snapshot) -> bytes | None:
        """``snapshot_to_bytes(snapshot)``, made from the prepared part when ``snapshot`` has the
        prepared members (``core.snapshot.same_member_form``); else None."""
        parts = self.parts_of(snapshot)
        return None if parts is None else b"".join(parts)

    def parts_of(self, snapshot: Snapshot) -> tuple[bytes, ...] | None:
        """``text_of``, as the parts that make it (written one after the other, never joined)."""
        if self._members_text is None or not same_member_form(snapshot.members, self.snapshot.members):
            return None
        rest = jsontext.snapshot_text(replace(snapshot, members=[]).to_dict(), indent=True)
        if rest is None or rest.count(_MEMBERS_SLOT) != 1:
            return None
        head, tail = rest.split(_MEMBERS_SLOT)
        return head, _MEMBERS_SLOT[:-2], self._members_text, tail, b"\n"


def write_snapshot(path: Path, snapshot: Snapshot, prepared: PreparedText | None = None) -> None:
    """Write atomically: a crash never leaves a half-written state file. ``prepared``: a text made
    ahead of time, used when it is this snapshot's."""
    parts = prepared.parts_of(snapshot) if prepared is not None else None
    atomic_write_bytes(path, snapshot_to_bytes(snapshot) if parts is None else parts)


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the snapshot format (for tools and tests)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
