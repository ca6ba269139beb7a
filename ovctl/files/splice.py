"""Re-import at scale: the members of an existing org file merged on its text, not through ruamel.

``orgwriter.merge_into`` loads the existing org with ruamel's round trip, changes it, and dumps it:
about 40 s for 10,000 members, nearly all of it loading and dumping member entries. In the
common case — the file ``ovctl import`` wrote: one canonical flow line per member, maybe a
trailing comment, no comment or blank line between them — the members section is cut out before
ruamel loads the file (a placeholder scalar keeps its place), and merged here:

- a member whose imported entry renders exactly as its line (``member_flow``, the canonical text,
  which the round trip dumps unchanged) is kept as it is, comment included;
- a changed member's line, and the joiners' lines, are made by the same ruamel calls on a small
  document (``_update_member``, ``_new_member``, the derived-id comment), so quoting and comment
  columns are what the round trip gives; the joiners' document starts with the last commented
  line kept, which ruamel uses to place a new comment's column;
- a leaver's line is dropped.

Anything else (a directory org, a block-style member, a comment line among the members...) keeps
the round trip. ``tests/test_reimport_fast.py`` checks the two agree byte for byte.
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
    """One member line: its id (as written), its flow text, the whole line."""

    id: str
    flow: str
    line: str

    @property
    def commented(self) -> bool:
        return len(self.line) > len(self.flow) + 5


def cut_members(text: str) -> tuple[str, list[Entry]] | None:
    """(the text with its members section replaced by a placeholder, the member lines), or None
    when the section is not plainly one canonical flow line per member."""
    from ovctl.files.fastfmt import _self_key

    lines = text.splitlines(keepends=True)
    if not lines or not lines[-1].endswith("\n") or PLACEHOLDER in text:
        return None
    try:
        start = lines.index("members:\n")
    except ValueError:
        return None
    end = start + 1
    entries: list[Entry] = []
    while end < len(lines) and lines[end].startswith("  - {"):
        line = lines[end]
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
        entries.append(Entry(mid, flow, line))
        end += 1
    if not entries or (end < len(lines) and not lines[end][:1].strip()):
        return None  # an entry of another shape, a comment or a blank line in the section
    if any(line.startswith("members:") for line in lines[end:]):
        return None
    return "".join([*lines[:start], _PLACEHOLDER_LINE, *lines[end:]]), entries


def merge_members(entries: list[Entry], org: Any, derived: dict[tuple[str, str], str]) -> str:
    """The members section after the merge (empty when no member is left): see the module
    docstring. Mirrors the member part of ``orgwriter.merge_into`` for a one-file org."""
    from ovctl.files.orgwriter import (_new_member, _update_member, derived_comment, dump_text, member_flow,
                                       round_trip_yaml)

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
        if member_flow(m, org.properties) == e.flow:
            out.append(e.line)
        else:
            changed.append((len(out), e))
            out.append(None)
    y = round_trip_yaml()
    if changed:
        doc = y.load("members:\n" + "".join(e.line for _, e in changed))
        for node, (_, e) in zip(doc["members"], changed):
            _update_member(node, by_id[e.id], org.properties)
        new_lines = dump_text(y, doc).splitlines(keepends=True)[1:]
        if len(new_lines) != len(changed):
            raise ValueError("a changed member did not stay on one line")
        for (i, _), line in zip(changed, new_lines):
            out[i] = line
    kept = [line for line in out if line is not None]
    for line in kept:
        if "#" in line:
            last_commented = line
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
LIST_MARK = "__ovctl_l"


def cut_lists(text: str) -> tuple[str, set[str]]:
    """The text with each team's canonical flow ``managers``/``members`` list replaced by a
    placeholder scalar (``__ovctl_lN__``), and the placeholders. The merge sets the list it wants
    in their place (``list_text``), so ruamel neither loads nor dumps the ids."""
    from ovctl.files.fastfmt import _text_list

    if LIST_MARK in text:
        return text, set()
    lines = text.splitlines(keepends=True)
    marks: set[str] = set()
    in_teams = False
    for i, line in enumerate(lines):
        if line[:1].strip() and not line.startswith("#"):
            in_teams = line.startswith("teams:")
            continue
        if not in_teams:
            continue
        m = _LIST_LINE.fullmatch(line)
        if m is None or _text_list("flow", m.group(3)) != f"[{m.group(3)}]":
            continue
        mark = f"{LIST_MARK}{len(marks)}__"
        marks.add(mark)
        lines[i] = f"{m.group(1)}{m.group(2)}: {mark}\n"
    return "".join(lines), marks


def list_text(ids: list[str]) -> str:
    """A list of ids as the round trip dumps a flow sequence of them."""
    from ovctl.files.orgwriter import yaml_scalar

    return "[" + ", ".join(yaml_scalar(x) for x in ids) + "]"


def put_lists(dumped: str, texts: dict[str, str]) -> str | None:
    """The dumped text with each placeholder still in it replaced by its list; None if one has
    no list (the merge did not set it)."""
    def one(m: re.Match[str]) -> str:
        return texts.get(m.group(0), m.group(0))

    out = re.sub(LIST_MARK + r"\d+__", one, dumped)
    return None if LIST_MARK in out else out


def put_back(dumped: str, section: str) -> str | None:
    """The dumped text with the placeholder line replaced by ``section``; None if ruamel moved it."""
    if dumped.count(_PLACEHOLDER_LINE) != 1 or not (dumped.startswith(_PLACEHOLDER_LINE)
                                                   or f"\n{_PLACEHOLDER_LINE}" in dumped):
        return None
    return dumped.replace(_PLACEHOLDER_LINE, section, 1)
