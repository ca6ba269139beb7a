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

import datetime as _dt
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

    emitter = Emitter(io.StringIO(), allow_unicode=True)
    # without a dumper the emitter is its own serializer; a string starting with '?' or ':' asks
    # it for the YAML version (None: the 1.2 default, as in the round trip's dump)
    emitter.use_version = None  # type: ignore[attr-defined]
    return emitter, VersionedResolver()


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


# Strings that are plain for ruamel in any context: a letter first, then word characters, spaces
# (not last), dots, hyphens and @ (none of them an indicator there), and not a YAML 1.2 keyword.
_PLAIN = re.compile(r"[^\W\d_][\w.@-]*(?: [\w.@-]+)*")
_KEYWORDS = frozenset({"true", "false", "null"})


def yaml_scalar(s: str, flow: bool = True) -> str:
    """``s`` as a YAML 1.2 scalar that reads back as the same string, quoted as ruamel would."""
    if _PLAIN.fullmatch(s) and s.lower() not in _KEYWORDS and s.isprintable():
        return s
    return _slow_scalar(s, flow)


@lru_cache(maxsize=65_536)
def _slow_scalar(s: str, flow: bool) -> str:
    from ruamel.yaml.nodes import ScalarNode

    emitter, resolver = _analysers()
    a = emitter.analyze_scalar(s)
    implicit = resolver.resolve(ScalarNode, s, (True, False)) == _STR_TAG
    if implicit and not a.empty and not a.multiline and (a.allow_flow_plain if flow else a.allow_block_plain):
        return s
    if a.allow_single_quoted and not a.multiline:
        return "'" + s.replace("'", "''") + "'"
    return _double_quoted(s)


@lru_cache(maxsize=65_536)  # property values repeat (grades, dates): one resolver call each
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


def profile_pairs(m: Member, *, flow: bool) -> list[tuple[str, str]]:
    """A member's profile fields as the writer spells them, in canonical order (those set only):
    (key, value written as a flow or a block scalar). ``member_flow`` and ``splice.member_block``."""
    pairs = [("id", m.id), ("email", m.email), ("first_name", m.first_name), ("last_name", m.last_name)]
    pairs += [(k, v) for k, v in (("job_title", m.job_title), ("language", m.language)) if v is not None]
    return [(k, yaml_scalar(v, flow)) for k, v in pairs]


def member_flow(m: Member, props: dict[str, PropertyDef]) -> str:
    """One member as a flow mapping (no indentation, no comment)."""
    parts = [f"{k}: {v}" for k, v in profile_pairs(m, flow=True)]
    if m.properties:
        inner = ", ".join(f"{yaml_scalar(k)}: {property_value(v, props.get(k))}" for k, v in m.properties.items())
        parts.append(f"properties: {{{inner}}}")
    return "{" + ", ".join(parts) + "}"


def _comment(text: str) -> str:
    """A YAML comment's text on one line, control characters replaced."""
    return "".join(c if c.isprintable() else " " for c in text)


def derived_comment(kind: str, why: str) -> str:
    """The comment beside an id ovctl made up; an UNVERIFIED one (``import live --new-ids``) says
    what to check rather than "keep it"."""
    if why.startswith("UNVERIFIED"):
        return f"# {kind} id derived by ovctl, {_comment(why)}"
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


# --------------------------------------------------------------------------- round trip (re-import, fmt)


def round_trip_yaml() -> Any:
    """ruamel.yaml round-trip (comment-keeping) set up for the canonical layout."""
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.width = 2**30  # never wrap a member line
    y.indent(mapping=2, sequence=4, offset=2)
    y.allow_unicode = True
    return y


def dump_text(y: Any, data: Any) -> str:
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def org_files(directory: Path) -> list[Path]:
    from ovctl.files.orgfile import expand_paths

    files, _ = expand_paths([directory])
    return files


def merged_view(files: dict[Path, str], target: Path, *, directory: bool, removed: Iterable[Path] = ()) -> dict[Path, str]:
    """Every file of the org as it will be after writing ``files`` and removing ``removed``."""
    gone = {Path(p) for p in removed}
    view: dict[Path, str] = {}
    if directory and target.is_dir():
        for p in org_files(target):
            if p not in gone:
                view[p] = p.read_text(encoding="utf-8")
    elif not directory and target.is_file():
        view[target] = target.read_text(encoding="utf-8")
    view.update(files)
    return view


def _typed_value(value: str, definition: PropertyDef | None) -> Any:
    """A property value as the YAML node it is written as (see ``property_value``)."""
    text = property_value(value, definition)
    if text != value:
        return value  # a string that needs quotes: ruamel quotes it the same way
    if definition is not None and definition.type == "numeric":
        return int(value) if _resolves_to(value) == "int" else float(value)
    if definition is not None and definition.type == "date":
        return _dt.date.fromisoformat(value)
    return value


def _norm(value: Any) -> str:
    from ovctl.core.model import normalize_property_value

    return normalize_property_value(value)


def _set_key(cm: Any, order: tuple[str, ...], key: str, value: Any) -> None:
    """Set ``cm[key]``; a new key goes where the canonical order puts it among the existing keys."""
    if key in cm:
        cm[key] = value
        return
    rank = order.index(key) if key in order else len(order)
    pos = 0
    for i, k in enumerate(cm):
        if (order.index(k) if k in order else len(order)) <= rank:
            pos = i + 1
    cm.insert(pos, key, value)


def _flow_seq(items: Iterable[Any]) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(list(items))
    seq.fa.set_flow_style()
    return seq


def _flow_map(pairs: Iterable[tuple[str, Any]]) -> Any:
    from ruamel.yaml.comments import CommentedMap

    cm = CommentedMap()
    for k, v in pairs:
        cm[k] = v
    cm.fa.set_flow_style()
    return cm


def _update_member(cm: Any, m: Member, props: dict[str, PropertyDef]) -> None:
    for key in ("id", "email", "first_name", "last_name", "job_title", "language"):
        want = getattr(m, key)
        if want is None:
            if key in cm:
                del cm[key]
        elif key not in cm or _norm(cm[key]) != want:
            _set_key(cm, MEMBER_ORDER, key, want)
    have = cm.get("properties") or {}
    if {k: _norm(v) for k, v in have.items() if v is not None and _norm(v) != ""} != m.properties:
        if not m.properties:
            if "properties" in cm:
                del cm["properties"]
        elif isinstance(have, dict) and hasattr(have, "fa"):
            for k in [k for k in have if k not in m.properties]:
                del have[k]
            for k, v in m.properties.items():
                if k not in have or _norm(have[k]) != v:
                    have[k] = _typed_value(v, props.get(k))
        else:
            _set_key(cm, MEMBER_ORDER, "properties",
                     _flow_map((k, _typed_value(v, props.get(k))) for k, v in m.properties.items()))


def _new_member(m: Member, props: dict[str, PropertyDef]) -> Any:
    cm = _flow_map([])
    _update_member(cm, m, props)
    return cm


def _mutate_seq(seq: Any, keep: list[bool], append: list[Any]) -> None:
    """Drop the items not kept, append the others. ruamel's ``del`` drops the item's comment entry
    and shifts the later ones down itself (dropping one more would take the next item's comment)."""
    for i in range(len(seq) - 1, -1, -1):
        if not keep[i]:
            del seq[i]
    for item in append:
        seq.append(item)


@dataclass
class _Doc:
    path: Path
    text: str
    data: Any
    new: bool = False


def _remap(imported: Any, existing: Org) -> Org:
    """The imported org with ids matched to the existing org's: a derived member id gives way to the
    existing id of the same email; a team unknown by id takes the id of the existing team of the same
    name under the same parent. Returns the remapped org; ``imported.derived`` is updated."""
    from ovctl.core.model import Settings, email_key

    org: Org = imported.org
    derived = imported.derived
    ex_member_by_email = {email_key(m.email): m.id for m in existing.members}
    im_ids = {m.id for m in org.members}
    mmap: dict[str, str] = {}
    for m in org.members:
        if ("member", m.id) in derived:
            old = ex_member_by_email.get(email_key(m.email))
            if old is not None and old != m.id and old not in im_ids:
                mmap[m.id] = old
    ex_team_ids = {t.id for t in existing.teams}
    ex_by_name_parent: dict[tuple[str, str | None], list[str]] = {}
    for t in existing.teams:
        ex_by_name_parent.setdefault((t.name, t.parent), []).append(t.id)
    im_team_ids = {t.id for t in org.teams}
    tmap: dict[str, str] = {}
    for t in org.teams:  # parents first
        if t.id in ex_team_ids:
            continue
        parent = tmap.get(t.parent, t.parent) if t.parent is not None else None
        for cand in ex_by_name_parent.get((t.name, parent), []):
            if cand not in im_team_ids and cand not in tmap.values():
                tmap[t.id] = cand
                break
    if not mmap and not tmap:
        return org

    def mid(x: str) -> str:
        return mmap.get(x, x)

    members = [Member(id=mid(m.id), email=m.email, first_name=m.first_name, last_name=m.last_name,
                      job_title=m.job_title, language=m.language, properties=m.properties) for m in org.members]
    teams = [Team(id=tmap.get(t.id, t.id), name=t.name, parent=tmap.get(t.parent, t.parent) if t.parent else None,
                  managers=[mid(x) for x in t.managers], members=[mid(x) for x in t.members],
                  previous_name=t.previous_name) for t in org.teams]
    for kind, mp in (("member", mmap), ("team", tmap)):
        for old in mp:
            derived.pop((kind, old), None)
    s = org.settings
    settings = Settings(risk_users=s.risk_users, risk_teams=s.risk_teams, safety=s.safety,
                        protected=[mid(x) for x in s.protected])
    return Org(organization=org.organization, settings=settings, properties=org.properties, members=members,
               teams=teams)


def merge_into(imported: Any, target: Path, *, directory: bool) -> tuple[dict[Path, str], list[Path], str]:
    """``_merge`` with the members of a one-file org merged on the text when it is plainly the
    layout ``ovctl import`` writes (``files/splice.py``); else, or if that fails, the round trip."""
    from ovctl.files import splice

    if not directory:
        derived = dict(imported.derived)
        try:
            return _merge(imported, target, directory=directory, splice_members=True)
        except splice.SpliceFailed:
            imported.derived.clear()
            imported.derived.update(derived)
    return _merge(imported, target, directory=directory, splice_members=False)


def _merge(imported: Any, target: Path, *, directory: bool,
           splice_members: bool) -> tuple[dict[Path, str], list[Path], str]:
    """Update the existing org at ``target`` to the imported one, keeping what people wrote.

    Returns (files whose text changes -> new text, files to remove, a summary). Kept: comments, key
    order, ``organization``, ``settings``, ``previous_name``, the order of existing entries, and the
    file each team lives in. Changed: members (leavers removed, joiners appended in the file of their
    first team, movers moved there), teams (renamed, moved, added under their parent, removed),
    managers and members lists, property definitions and values.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    from ovctl.core.errors import SourceError
    from ovctl.files import splice
    from ovctl.files.orgfile import check_org

    paths = org_files(target) if directory else [target]
    result = check_org(paths)
    if result.errors or result.org is None:
        raise SourceError(f"{target}: the existing org does not validate; fix it (or import into a new path) first:\n"
                          + "\n".join(str(p) for p in result.errors))
    org = _remap(imported, result.org)
    derived = imported.derived
    y = round_trip_yaml()
    docs: dict[Path, _Doc] = {}
    cut: dict[Path, list[Any]] = {}
    list_marks: set[str] = set()  # teams' lists cut out with the members (splice.cut_lists)
    list_texts: dict[str, str] = {}
    for p in paths:
        text = p.read_text(encoding="utf-8")
        reduced = splice.cut_members(text) if splice_members else None
        if splice_members and reduced is None:
            raise splice.SpliceFailed
        if reduced is not None:
            cut[p] = reduced[1]
            loaded, marks = splice.cut_lists(reduced[0])
            list_marks |= marks
        docs[p] = _Doc(p, text, y.load(loaded if reduced is not None else text))
    main = next((p for p in paths if p.name == MAIN_FILE), None) or \
        next((p for p in paths if isinstance(docs[p].data, dict) and "version" in docs[p].data), paths[0])
    # existing entries
    team_node: dict[str, Any] = {}
    file_root_of: dict[str, Path] = {}

    def collect(seq: Any, path: Path, root: bool) -> None:
        for node in seq or []:
            if isinstance(node, dict) and "id" in node:
                tid = str(node["id"])
                team_node[tid] = node
                if root:
                    file_root_of[tid] = path
                collect(node.get("teams"), path, False)

    for p, d in docs.items():
        if isinstance(d.data, dict):
            collect(d.data.get("teams"), p, True)
    # where each team goes
    children: dict[str | None, list[Team]] = {}
    for t in org.teams:
        children.setdefault(t.parent, []).append(t)
    roots_of_file: dict[Path, list[str]] = {}
    file_of_team: dict[str, Path] = {}
    used_names = {p.name for p in paths}
    for t in org.teams:  # parents first
        if t.id in file_root_of:
            f = file_root_of[t.id]
        elif t.parent is not None:
            file_of_team[t.id] = file_of_team[t.parent]
            continue
        elif directory:
            name = _slug(t.id) + ".yaml"
            n = 2
            while name in used_names:
                name, n = f"{_slug(t.id)}-{n}.yaml", n + 1
            used_names.add(name)
            f = target / name
            docs[f] = _Doc(f, "", CommentedMap(), new=True)
        else:
            f = main
        roots_of_file.setdefault(f, []).append(t.id)
        file_of_team[t.id] = f

    file_roots = {tid for ids in roots_of_file.values() for tid in ids}

    def node_for(t: Team, root: bool) -> Any:
        node = team_node.get(t.id)
        if node is None:
            node = CommentedMap()
            node["id"] = t.id
            if ("team", t.id) in derived:
                node.yaml_add_eol_comment(derived_comment("team", derived[("team", t.id)]), "id")
            team_node[t.id] = node
        if _norm(node.get("name")) != t.name:
            _set_key(node, TEAM_ORDER, "name", t.name)
        if root and t.parent is not None:
            if _norm(node.get("parent")) != t.parent:
                _set_key(node, TEAM_ORDER, "parent", t.parent)
        elif "parent" in node:
            del node["parent"]
        for key in ("managers", "members"):
            want = getattr(t, key)
            have = node.get(key)
            if isinstance(have, str) and have in list_marks:
                if want:
                    list_texts[have] = splice.list_text(want, have)
                else:
                    del node[key]
                continue
            if not want:
                if key in node:
                    del node[key]
            elif have is None or [str(x) for x in have] != want:
                if isinstance(have, CommentedSeq):
                    have[:] = want
                else:
                    _set_key(node, TEAM_ORDER, key, _flow_seq(want))
        kids = [k for k in children.get(t.id, []) if k.id not in file_roots]
        _place(node, "teams", [node_for(k, False) for k in kids], TEAM_ORDER)
        return node

    for f, d in docs.items():
        roots = [t for t in org.teams if t.id in roots_of_file.get(f, [])]
        if isinstance(d.data, dict):
            _place(d.data, "teams", [node_for(t, True) for t in roots], TOP_ORDER)
    # members: home file = file of the first team listing them
    home: dict[str, Path] = {}
    for t in org.teams:
        for x in [*t.managers, *t.members]:
            home.setdefault(x, file_of_team[t.id])
    where: dict[str, Path] = {}
    for p, d in docs.items():
        if isinstance(d.data, dict):
            for m in d.data.get("members") or []:
                if isinstance(m, dict) and "id" in m:
                    where[str(m["id"])] = p
    for m in org.members:
        home.setdefault(m.id, where.get(m.id, main) if directory else main)
    by_id = {m.id: m for m in org.members}
    for p, d in docs.items():
        if not isinstance(d.data, dict) or p in cut:
            continue
        seq = d.data.get("members")
        keep: list[bool] = []
        present: set[str] = set()
        for entry in seq or []:
            mid = str(entry["id"]) if isinstance(entry, dict) and "id" in entry else None
            ok = mid is not None and mid in by_id and home[mid] == p and mid not in present
            keep.append(ok)
            if ok:
                present.add(mid)
                _update_member(entry, by_id[mid], org.properties)
        joiners = [m for m in org.members if home[m.id] == p and m.id not in present]
        if seq is None and joiners:
            seq = CommentedSeq()
            _set_key(d.data, TOP_ORDER, "members", seq)
        if seq is not None:
            start = sum(keep)
            _mutate_seq(seq, keep, [_new_member(m, org.properties) for m in joiners])
            for i, m in enumerate(joiners):
                if ("member", m.id) in derived:
                    seq.yaml_add_eol_comment(derived_comment("member", derived[("member", m.id)]), start + i)
            if not seq:
                del d.data["members"]
    # property definitions, in the file that declares them
    holder = next((p for p, d in docs.items() if isinstance(d.data, dict) and "properties" in d.data), main)
    pdata = docs[holder].data
    have = pdata.get("properties")
    if org.properties or have:
        if have is None:
            have = CommentedMap()
            _set_key(pdata, TOP_ORDER, "properties", have)
        for k in [k for k in have if k not in org.properties]:
            del have[k]
        for k, p in org.properties.items():
            cur = have.get(k)
            cur_def = (cur.get("type"), tuple(_norm(o) for o in cur["options"]) if cur.get("options") is not None else None) \
                if isinstance(cur, dict) else None
            if cur_def != (p.type, p.options):
                have[k] = _flow_map([("type", p.type), *([("options", _flow_seq(p.options))] if p.options is not None else [])])
        if not have:
            del pdata["properties"]
    files: dict[Path, str] = {}
    remove: list[Path] = []
    for p, d in docs.items():
        if d.new:
            text = f"# yaml-language-server: $schema={schema_ref_for(p)}\n" + dump_text(y, d.data)
        elif directory and isinstance(d.data, dict) and not d.data:
            remove.append(p)
            continue
        else:
            text = dump_text(y, d.data)
        if p in cut:
            try:
                spliced = splice.put_back(text, splice.merge_members(cut[p], org, derived))
                spliced = splice.put_lists(spliced, list_texts) if spliced is not None else None
            except (ValueError, YAMLError):  # a small document ruamel read or cut otherwise: not sure
                spliced = None
            if spliced is None:
                raise splice.SpliceFailed
            text = spliced
        if text != d.text:
            files[p] = text
    return files, remove, "updated in place"


def _place(parent: Any, key: str, nodes: list[Any], order: tuple[str, ...]) -> None:
    """Make ``parent[key]`` hold exactly ``nodes``: existing items keep their order (and comments),
    the others are appended; an empty list removes the key."""
    from ruamel.yaml.comments import CommentedSeq

    seq = parent.get(key)
    if not nodes:
        if key in parent:
            del parent[key]
        return
    if not isinstance(seq, CommentedSeq):
        seq = CommentedSeq()
        _set_key(parent, order, key, seq)
    wanted = {id(n) for n in nodes}
    keep = [id(item) in wanted for item in seq]
    present = {id(item) for item, k in zip(seq, keep) if k}
    _mutate_seq(seq, keep, [n for n in nodes if id(n) not in present])


# --------------------------------------------------------------------------- fmt


def _reorder(cm: Any, order: tuple[str, ...]) -> None:
    keys = list(cm)
    want = sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), keys.index(k)))
    if want != keys:
        for k in want:
            cm.move_to_end(k)


def _comment_texts(cm: Any) -> list[str]:
    """The comments inside a block mapping that becomes a flow mapping (they move to its line)."""
    out = []
    for item in list(getattr(cm, "ca", None).items.values()) if hasattr(cm, "ca") else []:
        for tok in item if isinstance(item, list) else []:
            toks = tok if isinstance(tok, list) else [tok]
            for t in toks:
                value = getattr(t, "value", None)
                if value:
                    out += [line.strip().lstrip("#").strip() for line in value.splitlines() if line.strip()]
    return out


def _flow(node: Any) -> None:
    if hasattr(node, "fa"):
        node.fa.set_flow_style()


def canonicalize(data: Any) -> None:
    """Put a round-trip org document into the canonical layout, in place (comments kept)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not isinstance(data, CommentedMap):
        return
    _reorder(data, TOP_ORDER)
    settings = data.get("settings")
    if isinstance(settings, CommentedMap):
        _reorder(settings, SETTINGS_ORDER)
        for key, order in (("risk_thresholds", RISK_ORDER), ("safety", SAFETY_ORDER)):
            if isinstance(settings.get(key), CommentedMap):
                _reorder(settings[key], order)
                _flow(settings[key])
        _flow(settings.get("protected"))
    props = data.get("properties")
    if isinstance(props, CommentedMap):
        for p in props.values():
            if isinstance(p, CommentedMap):
                _reorder(p, PROPERTY_ORDER)
                _flow(p)
                _flow(p.get("options"))
    members = data.get("members")
    if isinstance(members, CommentedSeq):
        for i, m in enumerate(members):
            if isinstance(m, CommentedMap):
                _reorder(m, MEMBER_ORDER)
                if not m.fa.flow_style():
                    texts = _comment_texts(m)
                    m.ca.items.clear()
                    m.fa.set_flow_style()
                    if texts:
                        # ruamel cannot extend an item's comment entry that holds the lines before
                        # it (a blank line): add ours to a fresh entry, then put those lines back
                        before = members.ca.items.pop(i, None)
                        members.yaml_add_eol_comment("# " + "; ".join(texts), i)
                        if before is not None and before[1]:
                            members.ca.items[i][1] = before[1]
                if isinstance(m.get("properties"), CommentedMap):
                    m["properties"].ca.items.clear()
                    _flow(m["properties"])

    def team(t: Any) -> None:
        if not isinstance(t, CommentedMap):
            return
        _reorder(t, TEAM_ORDER)
        for key in ("managers", "members"):
            seq = t.get(key)
            if isinstance(seq, CommentedSeq) and not seq.fa.flow_style():
                seq.ca.items.clear()
                _flow(seq)
        kids = t.get("teams")
        if isinstance(kids, CommentedSeq):
            kids.fa.set_block_style()
            for k in kids:
                team(k)

    teams = data.get("teams")
    if isinstance(teams, CommentedSeq):
        teams.fa.set_block_style()
        for t in teams:
            team(t)


def format_text(text: str, display: str) -> str:
    """The canonical text of one org file; raises SourceError when it is not valid YAML."""
    from ovctl.core.errors import SourceError
    from ovctl.files.yamlsource import parse_yaml

    _, problems = parse_yaml(text, display)
    # ruamel's round trip refuses a duplicate key with its own exception: name it here instead
    errors = [p for p in problems if p.severity == "error" and (p.code.startswith("yaml") or p.code == "duplicate_key")]
    if errors:
        raise SourceError(f"{errors[0]}; not formatted, nothing written")
    y = round_trip_yaml()
    data = y.load(text)
    if data is None:
        return text
    canonicalize(data)
    return dump_text(y, data)


def plain_render(value: Any, flow: bool = True) -> str | None:
    """``value`` (from the fast reader) as ruamel dumps it, or None when that is not certain."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return None  # ruamel keeps the original spelling of these (0.10, True, ~): unknown here
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return yaml_scalar(value, flow)
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value.isoformat()
    return None


def format_text_fast(text: str, display: str) -> str:
    """``format_text``, byte for byte, without ruamel's round trip for the bulk of a big file
    (member entries, teams' member lists): ``files/fastfmt.py``."""
    from ovctl.files.fastfmt import format_fast

    return format_fast(text, display)
