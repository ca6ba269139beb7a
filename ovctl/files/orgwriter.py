"""Org -> YAML: new org files written as text, existing ones updated with ruamel.yaml round-trip.

Layout (the canonical one, shared with ``ovctl fmt``): the key order of ``examples/org.yaml``,
2-space indentation (sequences indented by 2 under their key), members as one flow mapping per
line, team ``managers``/``members`` as flow lists, property definitions as flow mappings.
Quoting is ruamel.yaml's own choice (YAML 1.2): plain where a plain scalar reads back as the same
string, else single quotes, else double quotes with escapes (so a control character from a name is
written as ``\\x01``, never raw).

Two ways in:
- ``render_files`` builds new files as text directly (ruamel's round-trip dumper costs ~8 s per
  10,000 members; building text costs well under a second). The quoting decisions are ruamel's
  (``Emitter.analyze_scalar`` + the resolver), so ``ovctl fmt`` of a written file changes nothing.
- ``merge_into`` updates an existing org (a file or a directory) in place through ruamel's
  round-trip representation, so comments, key order and hand-written keys survive (see
  ``docs/adopting.md``, "Re-import").

A directory layout (``--out DIR/``): ``org.yaml`` holds version, organization, settings, properties,
the members in no team, and — when the org has a single top-level team with sub-teams (a company
root) — that root team; then one file per split-level subtree (each top-level team, or each child
of the single root, attached with ``parent:``), named after the team id (``eng.yaml``), holding
the subtree's teams and the members whose first team (in tree order) is in it.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from ovctl.core.errors import OutputError
from ovctl.core.model import Member, Org, PropertyDef, Team

SCHEMA_URL = "https://ovctl.dev/schemas/org.schema.json"
MAIN_FILE = "org.yaml"

# Canonical key order of each kind of entry (examples/org.yaml).
TOP_ORDER = ("version", "organization", "settings", "properties", "members", "teams")
SETTINGS_ORDER = ("risk_thresholds", "safety", "protected")
RISK_ORDER = ("users", "teams")
SAFETY_ORDER = ("max_deactivation_ratio", "max_team_removal_ratio", "floor")
PROPERTY_ORDER = ("type", "options")
MEMBER_ORDER = ("id", "email", "first_name", "last_name", "job_title", "language", "properties")
TEAM_ORDER = ("id", "name", "parent", "previous_name", "managers", "members", "teams")

_STR_TAG = "tag:yaml.org,2002:str"


# --------------------------------------------------------------------------- scalars


@lru_cache(maxsize=1)
def _analysers() -> tuple[Any, Any]:
    from ruamel.yaml.emitter import Emitter
    from ruamel.yaml.resolver import VersionedResolver

    return Emitter(io.StringIO(), allow_unicode=True), VersionedResolver()


_PRINTABLE = re.compile("[\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = {"\0": "0", "\x07": "a", "\x08": "b", "\x09": "t", "\x0a": "n", "\x0b": "v", "\x0c": "f",
            "\x0d": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P"}


def _double_quoted(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append("\\" + _ESCAPES[ch])
        elif _PRINTABLE.match(ch) and ch not in "\ufeff":
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}")
    out.append('"')
    return "".join(out)


@lru_cache(maxsize=200_000)
def yaml_scalar(s: str, flow: bool = True) -> str:
    """``s`` as a YAML 1.2 scalar that reads back as the same string, quoted as ruamel would."""
    from ruamel.yaml.nodes import ScalarNode

    emitter, resolver = _analysers()
    a = emitter.analyze_scalar(s)
    implicit = resolver.resolve(ScalarNode, s, (True, False)) == _STR_TAG
    if implicit and not a.empty and not a.multiline and (a.allow_flow_plain if flow else a.allow_block_plain):
        return s
    if a.allow_single_quoted and not a.multiline:
        return "'" + s.replace("'", "''") + "'"
    return _double_quoted(s)


def _resolves_to(s: str) -> str:
    from ruamel.yaml.nodes import ScalarNode

    return str(_analysers()[1].resolve(ScalarNode, s, (True, False))).rsplit(":", 1)[-1]


def property_value(value: str, definition: PropertyDef | None) -> str:
    """A member's property value: numbers and dates plain (they read back to the same normalised
    text), everything else as a string."""
    if definition is not None and definition.type == "numeric" and _resolves_to(value) in ("int", "float") \
            and not value.startswith(("0x", "0o", "+")) and not (value.lstrip("-").startswith("0") and value.lstrip("-")[1:2].isdigit()):
        return value
    if definition is not None and definition.type == "date" and _resolves_to(value) == "timestamp" and len(value) == 10:
        return value
    return yaml_scalar(value)


def _flow_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(yaml_scalar(i) for i in items) + "]"


def _number(x: float | int) -> str:
    if isinstance(x, float) and x.is_integer() and not isinstance(x, bool):
        return f"{x:.1f}"
    return repr(x) if isinstance(x, float) else str(x)


# --------------------------------------------------------------------------- rendering


def member_flow(m: Member, props: dict[str, PropertyDef]) -> str:
    """One member as a flow mapping (no indentation, no comment)."""
    parts = [f"id: {yaml_scalar(m.id)}", f"email: {yaml_scalar(m.email)}", f"first_name: {yaml_scalar(m.first_name)}",
             f"last_name: {yaml_scalar(m.last_name)}"]
    if m.job_title is not None:
        parts.append(f"job_title: {yaml_scalar(m.job_title)}")
    if m.language is not None:
        parts.append(f"language: {yaml_scalar(m.language)}")
    if m.properties:
        inner = ", ".join(f"{yaml_scalar(k)}: {property_value(v, props.get(k))}" for k, v in m.properties.items())
        parts.append(f"properties: {{{inner}}}")
    return "{" + ", ".join(parts) + "}"


def _comment(text: str) -> str:
    """A YAML comment's text on one line, control characters replaced."""
    return "".join(c if c.isprintable() else " " for c in text)


def derived_comment(kind: str, why: str) -> str:
    return f"# {kind} id derived by ovctl ({_comment(why)}): keep it"


def property_flow(p: PropertyDef) -> str:
    if p.options is not None:
        return f"{{type: {p.type}, options: {_flow_list(p.options)}}}"
    return f"{{type: {p.type}}}"


def _head_lines(org: Org, schema_ref: str, header: list[str]) -> list[str]:
    lines = [f"# yaml-language-server: $schema={schema_ref}", *(f"# {_comment(h)}" for h in header)]
    lines += ["version: 1", f"organization: {yaml_scalar(org.organization, flow=False)}", "settings:"]
    s = org.settings
    if s.risk_users is not None or s.risk_teams is not None:
        risk = ", ".join(f"{k}: {v}" for k, v in (("users", s.risk_users), ("teams", s.risk_teams)) if v is not None)
        lines.append(f"  risk_thresholds: {{{risk}}}")
    lines.append(f"  safety: {{max_deactivation_ratio: {_number(s.safety.max_deactivation_ratio)}, "
                 f"max_team_removal_ratio: {_number(s.safety.max_team_removal_ratio)}, floor: {s.safety.floor}}}")
    if s.protected:
        lines.append(f"  protected: {_flow_list(s.protected)}")
    if org.properties:
        lines.append("properties:")
        lines += [f"  {yaml_scalar(name, flow=False)}: {property_flow(p)}" for name, p in org.properties.items()]
    return lines


def _member_lines(members: list[Member], org: Org, derived: dict[tuple[str, str], str]) -> list[str]:
    out = []
    for m in members:
        line = "  - " + member_flow(m, org.properties)
        why = derived.get(("member", m.id))
        out.append(line + "  " + derived_comment("member", why) if why else line)
    return out


@dataclass
class _Tree:
    children: dict[str | None, list[Team]] = field(default_factory=dict)

    @classmethod
    def of(cls, org: Org) -> _Tree:
        t = cls()
        for team in org.teams:
            t.children.setdefault(team.parent, []).append(team)
        return t

    def walk(self, team: Team) -> Iterable[Team]:
        yield team
        for c in self.children.get(team.id, ()):
            yield from self.walk(c)


def _team_lines(team: Team, tree: _Tree, indent: str, derived: dict[tuple[str, str], str], *,
                with_parent: bool) -> list[str]:
    why = derived.get(("team", team.id))
    head = f"{indent}- id: {yaml_scalar(team.id, flow=False)}"
    lines = [head + "  " + derived_comment("team", why) if why else head]
    inner = indent + "  "
    lines.append(f"{inner}name: {yaml_scalar(team.name, flow=False)}")
    if with_parent and team.parent is not None:
        lines.append(f"{inner}parent: {yaml_scalar(team.parent, flow=False)}")
    if team.previous_name:
        lines.append(f"{inner}previous_name: {yaml_scalar(team.previous_name, flow=False)}")
    if team.managers:
        lines.append(f"{inner}managers: {_flow_list(team.managers)}")
    if team.members:
        lines.append(f"{inner}members: {_flow_list(team.members)}")
    kids = tree.children.get(team.id, [])
    if kids:
        lines.append(f"{inner}teams:")
        for k in kids:
            lines += _team_lines(k, tree, inner + "  ", derived, with_parent=False)
    return lines


def schema_ref_for(path: Path) -> str:
    """A relative path to the repository's ``schemas/org.schema.json`` when the file lives below
    one (as the examples do), else the schema's public URL."""
    here = Path(os.path.abspath(path)).parent
    for parent in (here, *here.parents):
        candidate = parent / "schemas" / "org.schema.json"
        if candidate.is_file():
            return os.path.relpath(candidate, here).replace(os.sep, "/")
    return SCHEMA_URL


def _slug(team_id: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", team_id.lower()).strip("-")
    return s or "team"


def render_files(org: Org, out: Path, *, directory: bool, derived: dict[tuple[str, str], str] | None = None,
                 header: list[str] | None = None) -> dict[Path, str]:
    """The text of every file of a new org: ``{out: text}`` for one file, or the directory layout."""
    derived = derived or {}
    header = header or []
    tree = _Tree.of(org)
    if not directory:
        lines = _head_lines(org, schema_ref_for(out), header)
        lines.append("members:")
        lines += _member_lines(org.members, org, derived)
        lines.append("teams:")
        for root in tree.children.get(None, []):
            lines += _team_lines(root, tree, "  ", derived, with_parent=False)
        return {out: "\n".join(lines) + "\n"}
    roots = tree.children.get(None, [])
    main_teams: list[Team] = []
    split = roots
    if len(roots) == 1 and tree.children.get(roots[0].id):
        main_teams, split = [roots[0]], tree.children[roots[0].id]
    home: dict[str, str] = {}  # member id -> file name
    files: list[tuple[str, list[Team]]] = []
    used: set[str] = {MAIN_FILE}
    for top in split:
        name = _slug(top.id) + ".yaml"
        n = 2
        while name in used:
            name, n = f"{_slug(top.id)}-{n}.yaml", n + 1
        used.add(name)
        files.append((name, list(tree.walk(top))))
    for name, teams in [(MAIN_FILE, main_teams), *files]:
        for t in teams:
            for mid in [*t.managers, *t.members]:
                home.setdefault(mid, name)
    out_texts: dict[Path, str] = {}
    main_path = out / MAIN_FILE
    lines = _head_lines(org, schema_ref_for(main_path), header)
    main_members = [m for m in org.members if home.get(m.id, MAIN_FILE) == MAIN_FILE]
    if main_members:
        lines.append("members:")
        lines += _member_lines(main_members, org, derived)
    if main_teams:
        root = main_teams[0]
        lines.append("teams:")
        lines += _team_lines(root, _Tree(), "  ", derived, with_parent=False)  # its sub-teams: own files
    out_texts[main_path] = "\n".join(lines) + "\n"
    for name, teams in files:
        path = out / name
        top = teams[0]
        lines = [f"# yaml-language-server: $schema={schema_ref_for(path)}", f"# {_comment(top.name)}"]
        mine = [m for m in org.members if home.get(m.id) == name]
        if mine:
            lines.append("members:")
            lines += _member_lines(mine, org, derived)
        lines.append("teams:")
        lines += _team_lines(top, tree, "  ", derived, with_parent=True)
        out_texts[path] = "\n".join(lines) + "\n"
    return out_texts


# --------------------------------------------------------------------------- writing


def write_files(files: dict[Path, str], remove: Iterable[Path] = ()) -> None:
    """Write every file through a temporary file beside it, then rename them all: a failure while
    writing leaves every target as it was. Files in ``remove`` are deleted after the renames."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            path = Path(path)
            if path.is_dir():
                raise OutputError(f"{path}: is a directory; give a file name to write")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                temps.append((tmp, path))
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as e:
                raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
        for tmp, path in temps:
            try:
                os.replace(tmp, path)
            except OSError as e:
                raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
        temps = []
        for path in remove:
            try:
                Path(path).unlink()
            except FileNotFoundError:
                pass
            except OSError as e:
                raise OutputError(f"{path}: cannot remove: {e.strerror or e}") from None
    finally:
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
