"""Re-import at scale: the members of an existing org file merged on its text, not through ruamel.

``orgwriter.merge_into`` loads the existing org with ruamel's round trip, changes it, and dumps it:
about 40 s for 10,000 members, nearly all of it loading and dumping member entries. When the
members section is plainly a run of entries that each keep their comments to themselves — one flow
line per member (``ovctl import``'s layout, maybe a trailing comment), or a block entry (a key per
line, ``properties`` flow or block, end-of-line comments only: the layout people write), or a mix —
it is cut out before ruamel loads the file (a placeholder scalar keeps its place), and merged here:

- a member whose imported entry renders exactly as its text (``member_flow``, ``member_block``: the
  canonical text, which the round trip reads back as the member, so changes nothing, and dumps
  unchanged) is kept as it is, a flow line's comment included;
- every other member's entry (changed, or written otherwise), and the joiners' lines, are made by
  the same ruamel calls on a small document (``_update_member``, ``_new_member``, the derived-id
  comment): an entry's comments live in its own mapping, so quoting, key order, nested styles and
  comment columns are what the round trip gives; the joiners' document starts with the last
  commented flow line as it was read (ruamel places a new comment by the column it read there);
- a leaver's entry is dropped.

Anything else (a directory org, a comment or blank line between entries, a sequence not indented
by two, an anchor or tag...) keeps the round trip. ``tests/test_reimport_fast.py`` and
``tests/test_reimport_block*.py`` check the two agree byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PLACEHOLDER = "__ovctl_members__"


class SpliceFailed(Exception):
    """The text merge cannot be sure: the caller merges with the round trip instead."""

_PLACEHOLDER_LINE = f"members: {PLACEHOLDER}\n"


@dataclass(slots=True)
class Entry:
    """One member entry: its id (as written), its flow text (None for a block entry), its lines."""

    id: str
    flow: str | None
    line: str
    tail: str = ""  # blank and comment lines after a block entry (in ``line``): ruamel keeps them in it

    @property
    def commented(self) -> bool:
        """A flow line with a trailing comment: ruamel keeps that comment on the sequence, where
        it places a new comment's column (block entries keep theirs inside their own mapping)."""
        return self.flow is not None and len(self.line) > len(self.flow) + 5


# A block entry's first line and its other keys: a lower-case member key at the entry's indent.
_BLOCK_FIRST = re.compile(r"  - [a-z_]+:(?: .*)?\n")
_BLOCK_KEY = re.compile(r"    [a-z_]+:(?: .*)?\n")
_BLOCK_DEEPER = re.compile(r"      +[^\s#].*\n")
_ID_LINE = re.compile(r"(?:  - |    )id: (\S+)(?: +#.*)?\n")
_TAIL_LINE = re.compile(r"\n| *#.*\n")
_NO_VALUE = re.compile(r"[^:]*:\s*")


def _ends_with_scalar(line: str) -> bool:
    """Whether a block entry's last line ends with a scalar value: the blank and comment lines
    after it are then that scalar's (ruamel keeps them in the entry's mapping). After a flow
    mapping or sequence, or a key without a value, ruamel files them elsewhere."""
    text = line.rstrip("\n")
    if "#" in text:
        if "{" in text or "[" in text:
            return False
        text = text.split(" #", 1)[0]
    text = text.rstrip()
    return not text.endswith(("}", "]")) and not _NO_VALUE.fullmatch(text)


def _block_entry(lines: list[str], i: int) -> tuple[Entry, int] | None:
    """The block entry starting at ``lines[i]`` and the index after it, or None when it is not
    plainly a mapping of member keys whose comments (end-of-line only) ruamel keeps inside it."""
    from ovctl.files.fastfmt import _SPECIAL_VALUE, _self_key

    j = i + 1
    while j < len(lines) and lines[j].startswith("    "):
        j += 1
    block = lines[i:j]
    if not _BLOCK_FIRST.fullmatch(block[0]):
        return None
    mid = None
    for k, line in enumerate(block):
        if k and not (_BLOCK_KEY.fullmatch(line) or _BLOCK_DEEPER.fullmatch(line)):
            return None  # a comment line, a blank line, a tab, a key of another shape
        if "\t" in line or _SPECIAL_VALUE.search(line[4:]):
            return None  # an anchor, alias, tag or block scalar: the round trip's to judge
        m = _ID_LINE.fullmatch(line)
        if m is not None:
            # the id must read as itself, alone on its line (a deeper line next would continue it)
            if mid is not None or not _self_key(m.group(1)) or (k + 1 < len(block) and block[k + 1].startswith("      ")):
                return None
            mid = m.group(1)
    if mid is None:
        return None
    t = j
    while t < len(lines) and _TAIL_LINE.fullmatch(lines[t]):
        t += 1
    if t > j and (t == len(lines) or not _ends_with_scalar(block[-1])):
        return None  # lines ruamel would give to the next entry, or to the end of the document
    tail = "".join(lines[j:t])
    return Entry(mid, None, "".join(block) + tail, tail), t


def _flow_entry(line: str) -> Entry | None:
    from ovctl.files.fastfmt import _self_key

    flow = line[4:].split("  #", 1)[0].rstrip("\n") if "#" in line else line[4:-1]
    if "#" in flow or not flow.startswith("{id: ") or not flow.endswith("}"):
        return None
    if "#" in line and not line.startswith(f"  - {flow}  #"):
        return None
    # No canonical check here: a line is kept verbatim only when it is exactly the canonical
    # text of its imported member (merge_members); any other goes through ruamel. The id must
    # read as itself, though: it is how the line is matched.
    mid = flow[5:-1].split(", ", 1)[0]
    if not _self_key(mid):
        return None
    return Entry(mid, flow, line)


def cut_members(text: str) -> tuple[str, list[Entry]] | None:
    """(the text with its members section replaced by a placeholder, the member entries), or None
    when the section is not plainly made of canonical-looking flow lines and block entries."""
    from ovctl.files.fastfmt import _SPECIAL_VALUE

    lines = text.splitlines(keepends=True)
    if not lines or not lines[-1].endswith("\n") or PLACEHOLDER in text:
        return None
    try:
        start = lines.index("members:\n")
    except ValueError:
        return None
    end = start + 1
    entries: list[Entry] = []
    while end < len(lines) and lines[end].startswith("  - "):
        if lines[end].startswith("  - {"):
            entry = _flow_entry(lines[end])
            if entry is None:
                return None
            end += 1
        else:
            found = _block_entry(lines, end)
            if found is None:
                return None
            entry, end = found
        entries.append(entry)
    if any(_SPECIAL_VALUE.search(line) for line in lines[start + 1:end]):
        return None  # an anchor or alias (perhaps used outside the section), a tag, a block scalar
    if not entries or (end < len(lines) and not lines[end][:1].strip()):
        return None  # an entry of another shape, a comment or a blank line in the section
    if any(line.startswith("members:") for line in lines[end:]):
        return None
    return "".join([*lines[:start], _PLACEHOLDER_LINE, *lines[end:]]), entries


def member_block(m: Any, props: dict[str, Any], flow_props: bool) -> str | None:
    """A member as the round trip dumps a block entry that reads back as it (keys in canonical
    order, ``properties`` flow or block), or None when that is not certain (a typed value written
    other than canonically)."""
    from ovctl.files.fastfmt import _self_canonical
    from ovctl.files.orgwriter import _typed_value, profile_pairs, property_value, yaml_scalar

    lines = [f"    {k}: {v}\n" for k, v in profile_pairs(m, flow=False)]
    if m.properties:
        pairs = []
        for k, v in m.properties.items():
            definition = props.get(k)
            text = property_value(v, definition)
            if not isinstance(_typed_value(v, definition), str):
                if not _self_canonical(v):  # a number or date must read back as itself: 1.50, -0 may not
                    return None
            elif not flow_props:  # a string, as ruamel dumps it in a block mapping
                text = yaml_scalar(v, False)
            pairs.append((yaml_scalar(k, flow_props), text))
        if flow_props:
            lines.append("    properties: {" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}\n")
        else:
            lines.append("    properties:\n")
            lines += [f"      {k}: {v}\n" for k, v in pairs]
    lines[0] = "  - " + lines[0][4:]
    return "".join(lines)


def _kept(e: Entry, m: Any, props: dict[str, Any]) -> bool:
    """Whether the round trip leaves this entry's text as it is: it is the canonical text of its
    imported member (then nothing is set and every value dumps as written)."""
    from ovctl.files.orgwriter import member_flow

    if e.flow is not None:
        return member_flow(m, props) == e.flow
    text = e.line[:len(e.line) - len(e.tail)]
    return member_block(m, props, "    properties: {" in text) == text


_END = "__ovctl_end__: 0\n"  # after the entries in a small document, as a key follows them in the file


def _split_entries(dumped: str) -> list[str]:
    """A dumped ``members:`` document cut into its entries (each starts with ``  - ``)."""
    if not dumped.endswith("\n" + _END):
        raise ValueError("the small document's end moved")
    out: list[str] = []
    for line in dumped[:-len(_END)].splitlines(keepends=True)[1:]:
        if line.startswith("  - ") or not out:
            out.append(line)
        else:
            out[-1] += line
    return out


def merge_members(entries: list[Entry], org: Any, derived: dict[tuple[str, str], str]) -> str:
    """The members section after the merge (empty when no member is left): see the module
    docstring. Mirrors the member part of ``orgwriter.merge_into`` for a one-file org."""
    from ovctl.files.orgwriter import _new_member, _update_member, derived_comment, dump_text, round_trip_yaml

    by_id = {m.id: m for m in org.members}
    present: set[str] = set()
    out: list[str | None] = []
    changed: list[tuple[int, Entry]] = []
    last_commented: str | None = None
    for e in entries:
        m = by_id.get(e.id)
        if m is None or e.id in present:
            continue
        present.add(e.id)
        if e.commented:
            last_commented = e.line  # as read: ruamel places a new comment by the column it read
        if _kept(e, m, org.properties):
            out.append(e.line)
        else:
            changed.append((len(out), e))
            out.append(None)
    y = round_trip_yaml()
    if changed:
        doc = y.load("members:\n" + "".join(e.line for _, e in changed) + _END)
        for node, (_, e) in zip(doc["members"], changed):
            _update_member(node, by_id[e.id], org.properties)
        new_entries = _split_entries(dump_text(y, doc))
        if len(new_entries) != len(changed):
            raise ValueError("a changed member's entry was not cut back out")
        for (i, e), text in zip(changed, new_entries):
            if e.flow is not None and text.count("\n") != 1:
                raise ValueError("a changed member did not stay on one line")
            out[i] = text
    kept = [text for text in out if text is not None]
    joiners = [m for m in org.members if m.id not in present]
    if joiners:
        context = [last_commented] if last_commented is not None else []
        doc = y.load("members:\n" + "".join(context)) if context else None
        seq = doc["members"] if doc is not None else None
        if seq is None:
            from ruamel.yaml.comments import CommentedMap, CommentedSeq

            doc = CommentedMap()
            seq = doc["members"] = CommentedSeq()
        start = len(seq)
        for m in joiners:
            seq.append(_new_member(m, org.properties))
        for i, m in enumerate(joiners):
            if ("member", m.id) in derived:
                seq.yaml_add_eol_comment(derived_comment("member", derived[("member", m.id)]), start + i)
        new_lines = dump_text(y, doc).splitlines(keepends=True)[1 + len(context):]
        if len(new_lines) != len(joiners):
            raise ValueError("a new member did not stay on one line")
        kept += new_lines
    return "members:\n" + "".join(kept) if kept else ""


_LIST_LINE = re.compile(r"( +)(managers|members): \[([^\[\]{}#'\"]*)\]\n")
_BLOCK_LIST_KEY = re.compile(r"( +)(managers|members):\n")
LIST_MARK = "__ovctl_l"
_BLOCK_MARK = re.compile(r"\n( *)(managers|members): (" + LIST_MARK + r"\d+b__)\n")


def _block_list(lines: list[str], i: int, indent: str) -> int:
    """The index after the block list of plain ids whose key is ``lines[i - 1]`` (items two
    spaces deeper, no comment), or ``i`` when there is none to cut: a blank or comment line after
    it would be its last item's in the round trip, which drops it when the list changes."""
    from ovctl.files.fastfmt import _self_key

    prefix = indent + "  - "
    j = i
    while j < len(lines) and lines[j].startswith(prefix) and lines[j].endswith("\n") \
            and _self_key(lines[j][len(prefix):-1]):
        j += 1
    return j if j > i and _ends_clean(lines, j, indent) else i


def _ends_clean(lines: list[str], j: int, indent: str) -> bool:
    """Whether ``lines[j]``, after a team's list, is one ruamel attaches nothing to: a key or an
    item no deeper than the list's key, or the end. A blank or comment line there may be kept by
    the round trip when it removes the list (after a flow list it is the next item's), while a
    placeholder scalar in the list's place would take it away."""
    if j >= len(lines):
        return True
    nxt = lines[j]
    stripped = nxt.lstrip(" ")
    return bool(stripped.strip()) and not stripped.startswith("#") and len(nxt) - len(stripped) <= len(indent)


def cut_lists(text: str) -> tuple[str, set[str]]:
    """The text with each team's canonical flow ``managers``/``members`` list, and each block list
    of plain ids, replaced by a placeholder scalar (``__ovctl_lN__``, ``__ovctl_lNb__`` for a block
    list), and the placeholders. The merge sets the list it wants in their place (``list_text``),
    so ruamel neither loads nor dumps the ids."""
    from ovctl.files.fastfmt import _text_list

    if LIST_MARK in text:
        return text, set()
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    marks: set[str] = set()
    in_teams = False
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line[:1].strip() and not line.startswith("#"):
            in_teams = line.startswith("teams:")
        elif in_teams:
            m = _LIST_LINE.fullmatch(line)
            if m is not None and _text_list("flow", m.group(3)) == f"[{m.group(3)}]" \
                    and _ends_clean(lines, i, m.group(1)):
                mark = f"{LIST_MARK}{len(marks)}__"
                marks.add(mark)
                line = f"{m.group(1)}{m.group(2)}: {mark}\n"
            else:
                b = _BLOCK_LIST_KEY.fullmatch(line)
                j = _block_list(lines, i, b.group(1)) if b is not None else i
                if b is not None and j > i:
                    mark = f"{LIST_MARK}{len(marks)}b__"
                    marks.add(mark)
                    line = f"{b.group(1)}{b.group(2)}: {mark}\n"
                    i = j
        out.append(line)
    return "".join(out), marks


def list_text(ids: list[str], mark: str = "") -> str:
    """A list of ids as the round trip dumps a flow sequence of them, or for a block list's
    placeholder (``mark``) its items, one ``- id`` line each, not yet indented."""
    from ovctl.files.orgwriter import yaml_scalar

    if mark.endswith("b__"):
        return "".join(f"- {yaml_scalar(x, False)}\n" for x in ids)
    return "[" + ", ".join(yaml_scalar(x) for x in ids) + "]"


def put_lists(dumped: str, texts: dict[str, str]) -> str | None:
    """The dumped text with each placeholder still in it replaced by its list (a block list's
    items two spaces deeper than its key); None if one has no list (the merge did not set it)."""
    def block(m: re.Match[str]) -> str:
        items = texts.get(m.group(3))
        if items is None:
            return m.group(0)
        pad = m.group(1) + "  "
        return f"\n{m.group(1)}{m.group(2)}:\n" + "".join(pad + item for item in items.splitlines(keepends=True))

    def one(m: re.Match[str]) -> str:
        return texts.get(m.group(0), m.group(0))

    out = re.sub(LIST_MARK + r"\d+__", one, _BLOCK_MARK.sub(block, dumped))
    return None if LIST_MARK in out else out


def put_back(dumped: str, section: str) -> str | None:
    """The dumped text with the placeholder line replaced by ``section``; None if ruamel moved it."""
    if dumped.count(_PLACEHOLDER_LINE) != 1 or not (dumped.startswith(_PLACEHOLDER_LINE)
                                                   or f"\n{_PLACEHOLDER_LINE}" in dumped):
        return None
    return dumped.replace(_PLACEHOLDER_LINE, section, 1)
