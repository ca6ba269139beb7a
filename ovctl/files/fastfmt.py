"""``ovctl fmt`` without ruamel's round trip for the bulk of a big org file. Same output, byte for byte.

ruamel's comment-keeping round trip (``orgwriter.format_text``) costs minutes on a 50,000-member
file. Most of such a file is member entries and teams' member lists, which need no comment
handling when they hold no comment. This module cuts those parts out, lets ruamel format the
small rest (settings, team headers, every comment), and puts the canonical text of each part
back where ruamel wrote its placeholder:

- a **member entry** (``members:``, two-space ``- `` items): a one-line flow entry, or a block
  entry (one key per line, ``properties`` block or flow), is read with the fast reader
  (``yamlsource.parse_yaml``) and rendered with ``orgwriter``'s canonical writer
  (``member_flow``-style: keys in ``MEMBER_ORDER``, ``yaml_scalar`` quoting). A flow entry must
  already be canonical (its trailing comment is kept); a block entry must hold no ``#`` at all and
  be followed by another entry, a top-level key or the end (ruamel would move or drop a comment or
  blank line after it).
- a **team's ``managers:``/``members:`` list** of plain ids, block (one per line) or flow, with the
  same conditions (no ``#``, nothing but a key, an item or the end after a block list).

Whenever a part is not certainly one of these, or a value is one the writer cannot render exactly
as ruamel does (a boolean, a null, a float, a block scalar, an anchor, a tag...), the whole file
goes through ``format_text``. ``tests/test_fmt_fast.py`` proves the two agree on every example,
corpus file, generated org (both layouts) and hypothesis-generated org.
"""

from __future__ import annotations

import re
from typing import Any

from ovctl.core.errors import OvctlError
from ovctl.files.orgwriter import MEMBER_ORDER, format_text, plain_render, yaml_scalar

MIN_PARTS = 200  # below this, the round trip is quick enough and the split is not worth it

_TOP_KEY = re.compile(r"[^\s#-]")
_FLOW_ENTRY = re.compile(r"  - \{")
_BLOCK_ENTRY = re.compile(r"  - [A-Za-z_]+:")
_CONT = re.compile(r"    \S")
_SPECIAL_VALUE = re.compile(r"(?:^|:\s|- )\s*[|>&*!]")
# A number or date written other than canonically (0x1F, 007, 1_000, +5, 2012-4-5): ruamel keeps
# its spelling, the writer would not; such a value sends the file to the round trip.
_NUMBERISH = re.compile(r"(?:: |\[|, |- )\s*([-+.]?\d[^,}\]\n]*)")
_CANON_NUMBER = re.compile(r"(?:0|-?[1-9]\d*|\d{4}-\d\d-\d\d)\s*")


def _odd_number(text: str) -> bool:
    return any(not _CANON_NUMBER.fullmatch(t) for t in _NUMBERISH.findall(text))
_LIST_KEY = re.compile(r"( +)(managers|members):(.*)\n")
_FLOW_LIST = re.compile(r" \[([^\[\]{}#'\"]*)\]\s*")
_MEMBER_PH = "  - {{id: __ovctl_fmt_m{}__}}\n"
_LIST_PH = "[__ovctl_fmt_l{}__]"
_PLACEHOLDER = re.compile(r"  - \{id: __ovctl_fmt_m(\d+)__\}\n|\[__ovctl_fmt_l(\d+)__\]")


_RENDERED: dict[tuple[type, Any], str | None] = {}  # job titles, languages, options repeat: render each once


def _render_value(v: Any) -> str | None:
    key = (type(v), v)
    try:
        return _RENDERED[key]
    except KeyError:
        if len(_RENDERED) > 100_000:
            _RENDERED.clear()
        out = _RENDERED[key] = plain_render(v)
        return out
    except TypeError:  # unhashable: a list or a mapping, which no scalar renders
        return None


class _Fallback(Exception):
    """The fast path cannot be sure: format the whole file with ruamel."""


def _member_line(m: Any) -> str:
    """A member entry's canonical flow text (keys reordered), or _Fallback."""
    if not isinstance(m, dict) or not m or any(k not in MEMBER_ORDER for k in m):
        raise _Fallback
    parts = []
    for k in sorted(m, key=MEMBER_ORDER.index):
        v = m[k]
        if k == "properties":
            if not isinstance(v, dict) or not v:
                raise _Fallback
            inner = []
            for pk, pv in v.items():
                key, val = _render_value(pk), _render_value(pv)
                if key is None or val is None:
                    raise _Fallback
                inner.append(f"{key}: {val}")
            parts.append("properties: {" + ", ".join(inner) + "}")
        else:
            val = _render_value(v)
            if val is None:
                raise _Fallback
            parts.append(f"{k}: {val}")
    return "{" + ", ".join(parts) + "}"


def _ends_clean(lines: list[str], j: int, indent: int) -> bool:
    """Whether the line after a block part is one ruamel attaches nothing to: the end, a top-level
    key, or a line indented at most ``indent`` that is neither blank nor a comment."""
    if j >= len(lines):
        return True
    line = lines[j]
    stripped = line.lstrip(" ")
    if not stripped.strip() or stripped.startswith("#"):
        return False
    return len(line) - len(stripped) <= indent


def _split(lines: list[str]) -> tuple[list[str], list[tuple[str, Any]]]:
    """(the reduced lines for ruamel, the parts cut out): ("m", [(kind, original lines)...]) for a
    run of member entries, ("l", (kind, items | flow text)) for a team's list."""
    reduced: list[str] = []
    parts: list[tuple[str, Any]] = []
    section = ""
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if _TOP_KEY.match(line):
            section = line.split(":", 1)[0]
            reduced.append(line)
            i += 1
            continue
        if section == "members" and (_FLOW_ENTRY.match(line) or _BLOCK_ENTRY.match(line)):
            if _FLOW_ENTRY.match(line):
                entry = [line]
                j = i + 1
                kind = "flow"
                before = lines[i - 1] if i else ""
                if "#" in line and (not before.strip() or before.lstrip().startswith("#")):
                    raise _Fallback  # ruamel drops such a blank line before a commented entry
            else:
                j = i + 1
                while j < n and _CONT.match(lines[j]):
                    j += 1
                entry = lines[i:j]
                kind = "block"
                before = lines[i - 1] if i else ""
                if any("#" in e or _SPECIAL_VALUE.search(e) or _odd_number(e) for e in entry) \
                        or not _ends_clean(lines, j, 2) or not before.strip() or before.lstrip().startswith("#"):
                    raise _Fallback
            if _SPECIAL_VALUE.search(entry[0][4:]) and kind == "flow":
                raise _Fallback
            if parts and parts[-1][0] == "m" and reduced[-1] == _MEMBER_PH.format(len(parts) - 1):
                parts[-1][1].append((kind, entry))  # one placeholder per run of entries
            else:
                parts.append(("m", [(kind, entry)]))
                reduced.append(_MEMBER_PH.format(len(parts) - 1))
            i = j
            continue
        if section == "teams":
            m = _LIST_KEY.fullmatch(line)
            if m is not None:
                indent, key, rest = len(m.group(1)), m.group(2), m.group(3)
                if not rest.strip():  # a block list follows
                    j = i + 1
                    items: list[str] = []
                    item_re = None
                    while j < n:
                        if item_re is None:
                            lead = re.match(r"( +)- ", lines[j])
                            if lead is None or len(lead.group(1)) <= indent:
                                break
                            item_re = re.compile(re.escape(lead.group(1)) + r"- (\S[^#]*)\n")
                        im = item_re.fullmatch(lines[j])
                        if im is None:
                            break
                        items.append(im.group(1))
                        j += 1
                    if items:
                        if not _ends_clean(lines, j, indent) or any(_SPECIAL_VALUE.search("- " + t)
                                                                    or _odd_number("- " + t) for t in items):
                            raise _Fallback
                        parts.append(("l", ("block", items)))
                        reduced.append(f"{m.group(1)}{key}: {_LIST_PH.format(len(parts) - 1)}\n")
                        i = j
                        continue
                else:
                    fm = _FLOW_LIST.fullmatch(rest)
                    if fm is not None and fm.group(1).strip() and not _SPECIAL_VALUE.search("- " + fm.group(1)) \
                            and not _odd_number("[" + fm.group(1)):
                        parts.append(("l", ("flow", fm.group(1))))
                        reduced.append(f"{m.group(1)}{key}: {_LIST_PH.format(len(parts) - 1)}\n")
                        i += 1
                        continue
        reduced.append(line)
        i += 1
    return reduced, parts


def _strip_comment(flow_text: str) -> str:
    """A one-line flow entry without its trailing comment (checked exact later)."""
    end = flow_text.rfind("}")
    return flow_text[:end + 1] if end >= 0 else flow_text


def format_fast(text: str, display: str, *, min_parts: int = MIN_PARTS) -> str:
    """``orgwriter.format_text(text, display)``, faster on big files (see the module docstring)."""
    lines = text.splitlines(keepends=True)
    if not lines or not lines[-1].endswith("\n") or "\t" in text or "\r" in text:
        return format_text(text, display)
    try:
        reduced, parts = _split(lines)
        if sum(len(p) if w == "m" else 1 for w, p in parts) < min_parts:
            return format_text(text, display)
        rendered = _render(parts, display)
    except _Fallback:
        return format_text(text, display)
    try:
        formatted = format_text("".join(reduced), display)
    except OvctlError:  # said again on the whole text, so the error names the right line
        return format_text(text, display)
    out: list[str] = []
    pos = 0
    seen = 0
    for match in _PLACEHOLDER.finditer(formatted):
        out.append(formatted[pos:match.start()])
        k = int(match.group(1) if match.group(1) is not None else match.group(2))
        if k != seen:  # every placeholder, once, in order: else ruamel moved something
            return format_text(text, display)
        out.append(rendered[k])
        seen += 1
        pos = match.end()
    if seen != len(parts):
        return format_text(text, display)
    out.append(formatted[pos:])
    return "".join(out)


def _render(parts: list[tuple[str, Any]], display: str) -> list[str]:
    """The canonical text of each part (a run of member lines, a list's ``[...]``), or _Fallback.
    A part whose text is already plainly canonical is settled on the text (``_text_member``,
    ``_text_list``); only the others are read with the fast reader, all in one document."""
    from ovctl.files.yamlsource import parse_yaml

    settled: dict[tuple[int, int], str] = {}
    docs: list[str] = []
    for p, (what, part) in enumerate(parts):
        if what == "m":
            for e, (kind, entry) in enumerate(part):
                text = _text_member(kind, entry)
                if text is not None:
                    settled[(p, e)] = text
                else:
                    docs.append("".join(x[2:] for x in entry) if kind == "block"
                                else "- " + _strip_comment(entry[0][4:]) + "\n")
        else:
            text = _text_list(*part)
            if text is not None:
                settled[(p, 0)] = text
            else:
                kind, items = part
                docs.append("-\n" + "".join(f"  - {t}\n" for t in items) if kind == "block" else f"- [{items}]\n")
    values: Any = iter(())
    if docs:
        data, problems = parse_yaml("".join(docs), display)
        if any(p.severity == "error" for p in problems) or not isinstance(data, list) or len(data) != len(docs):
            raise _Fallback
        values = iter(data)
    out: list[str] = []
    for p, (what, part) in enumerate(parts):
        if what == "m":
            out.append("".join(settled[(p, e)] if (p, e) in settled else _member_text(kind, entry, next(values))
                               for e, (kind, entry) in enumerate(part)))
            continue
        if (p, 0) in settled:
            out.append(settled[(p, 0)])
            continue
        kind, orig = part
        value = next(values)
        if not isinstance(value, list) or not value:
            raise _Fallback
        items = [_render_value(v) for v in value]
        if any(v is None for v in items):
            raise _Fallback
        canon = "[" + ", ".join(items) + "]"  # type: ignore[arg-type]
        if kind == "flow" and canon != f"[{orig}]":
            raise _Fallback
        out.append(canon)
    return out


# --------------------------------------------------------------------------- settled on the text

_SELF_INT = re.compile(r"0|-?[1-9]\d*")
_SELF_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_KEY_LINE = re.compile(r"( {4}| {6})([^\s:#][^:#]*):(?: +(.*?))? *\n")
_SELF: dict[str, bool] = {}


def _self_canonical(raw: str) -> bool:
    """Whether the scalar written ``raw`` is read back as a value the writer renders as ``raw``: a
    plain string ``yaml_scalar`` leaves plain, a canonical integer, or a valid ISO date."""
    known = _SELF.get(raw)
    if known is None:
        if len(_SELF) > 100_000:
            _SELF.clear()
        if _SELF_INT.fullmatch(raw):
            known = True
        elif _SELF_DATE.fullmatch(raw):
            import datetime as _dt

            try:
                _dt.date.fromisoformat(raw)
                known = True
            except ValueError:
                known = False
        else:
            known = bool(raw) and yaml_scalar(raw) == raw
        _SELF[raw] = known
    return known


def _self_key(raw: str) -> bool:
    return bool(raw) and not _SELF_INT.fullmatch(raw) and not _SELF_DATE.fullmatch(raw) and _self_canonical(raw)


_TOP_COMMA = re.compile(r",(?![^{\[]*[}\]])")  # a comma not inside one level of brackets


def _pieces(inner: str) -> list[str]:
    """``inner`` split at its top-level commas (brackets nested once at most take the quick way)."""
    if "{" not in inner and "[" not in inner:
        return inner.split(",")
    nested = re.search(r"[{\[][^}\]]*[{\[]", inner) is not None
    if not nested and inner.count("{") == inner.count("}") and inner.count("[") == inner.count("]"):
        return _TOP_COMMA.split(inner)
    depth, start = 0, 0
    pieces: list[str] = []
    for i, c in enumerate(inner):
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
        elif c == "," and depth == 0:
            pieces.append(inner[start:i])
            start = i + 1
    pieces.append(inner[start:])
    return pieces


def _flow_pairs(inner: str) -> list[tuple[str, str]] | None:
    """``a: b, c: {d: e}`` split at the top level, or None when not plainly so."""
    pairs: list[tuple[str, str]] = []
    pieces = _pieces(inner)
    for k, piece in enumerate(pieces):
        if k and not piece.startswith(" "):
            return None
        piece = piece[1:] if k else piece
        key, sep, value = piece.partition(": ")
        if not sep or not _self_key(key) or value != value.strip():
            return None
        pairs.append((key, value))
    return pairs


def _props_text(pairs: list[tuple[str, str]]) -> str | None:
    seen: set[str] = set()
    for k, v in pairs:
        if k in seen or not _self_canonical(v):
            return None
        seen.add(k)
    return "properties: {" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}" if pairs else None


def _canonical_member(pairs: list[tuple[str, str]], props: list[tuple[str, str]] | None) -> str | None:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys) or any(k not in MEMBER_ORDER for k in keys):
        return None
    out = []
    for k, v in sorted(pairs, key=lambda kv: MEMBER_ORDER.index(kv[0])):
        if k == "properties":
            if props is None:
                return None
            text = _props_text(props)
            if text is None:
                return None
            out.append(text)
        elif not _self_canonical(v) or _SELF_INT.fullmatch(v) or _SELF_DATE.fullmatch(v):
            return None  # the member fields are strings: a number or a date is the round trip's to judge
        else:
            out.append(f"{k}: {v}")
    return "{" + ", ".join(out) + "}"


def _text_member(kind: str, entry: list[str]) -> str | None:
    """A member entry's output text decided on the text alone, or None (then it is parsed)."""
    if kind == "flow":
        line = entry[0]
        if "#" in line or "'" in line or '"' in line or not line.endswith("}\n"):
            return None
        pairs = _flow_pairs(line[5:-2])
        if pairs is None:
            return None
        props = None
        for k, v in pairs:
            if k == "properties":
                if not (v.startswith("{") and v.endswith("}")):
                    return None
                props = _flow_pairs(v[1:-1])
        canon = _canonical_member(pairs, props)
        return line if canon is not None and line == f"  - {canon}\n" else None
    pairs = []
    props: list[tuple[str, str]] | None = None
    for n, line in enumerate(entry):
        m = _KEY_LINE.fullmatch("    " + line[4:] if n == 0 else line)
        if m is None or "'" in line or '"' in line:
            return None
        key, value = m.group(2), m.group(3) or ""
        if len(m.group(1)) == 6:  # a property of a block ``properties:``
            if props is None or pairs[-1][0] != "properties" or pairs[-1][1]:
                return None
            props.append((key, value))
            continue
        if props is not None and pairs[-1][0] == "properties" and not pairs[-1][1] and not props:
            return None
        if key == "properties":
            if value == "":
                props = []
            elif value.startswith("{") and value.endswith("}"):
                props = _flow_pairs(value[1:-1])
                if props is None:
                    return None
            else:
                return None
        elif value == "":
            return None
        pairs.append((key, value))
    canon = _canonical_member(pairs, props)
    return None if canon is None else f"  - {canon}\n"


def _text_list(kind: str, items: Any) -> str | None:
    """A team's list as ``[...]`` decided on the text alone, or None (then it is parsed)."""
    values = items if kind == "block" else (items.split(", ") if items else [])
    if not values or any(not _self_canonical(v) or _SELF_DATE.fullmatch(v) for v in values):
        return None
    return "[" + ", ".join(values) + "]"


def _member_text(kind: str, entry: list[str], value: Any) -> str:
    """A member entry's text in the output: a canonical flow line kept as it is (with its comment),
    a block entry rewritten as its canonical line."""
    canon = _member_line(value)
    if kind == "block":
        return "  - " + canon + "\n"
    line = entry[0]
    if not line.startswith("  - " + canon):
        raise _Fallback
    tail = line[4 + len(canon):]
    if tail.strip() and not re.match(r"\s+#", tail):
        raise _Fallback
    return line
