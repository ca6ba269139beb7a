"""Saved plan files (``ovctl plan --out FILE``): what ``apply`` will send, reviewed in advance.

A plan file holds the plan JSON (``Plan.data()``), the exact wire bodies of every
sync in the chosen flavour, the fingerprints of the org and of the state the plan was computed
against, the flavour, the org paths, the endpoint and the tool version.

The org paths are portable (format 2): relative to the repository root (the nearest directory
holding ``.git`` above the org) with ``"org_base": "repository"``, or, outside any repository, to the
directory the plan was made in (``"org_base": "directory"``). ``apply`` resolves them against the
repository root of the plan file's location (else of the current directory, else the current
directory), so a plan made in one checkout applies from another checkout of the same commit; the
fingerprints refuse it when the files differ. A path that would leave its base (absolute, or with
``..``) is refused. Format 1 files (absolute paths) are still read. ``apply PLANFILE`` sends
those bodies only while the fingerprints still match. It never holds the API key: nothing here
reads the environment, and credentials embedded in an endpoint URL are stripped before writing.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlsplit, urlunsplit

from ovctl import __version__
from ovctl.core import jsontext
from ovctl.account import wire
from ovctl.files.atomic import atomic_write_text
from ovctl.files.limits import FileRefused, read_text
from ovctl.core.errors import PlanFileError
from ovctl.core.model import Plan

FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)  # 1: absolute org paths, no org_base
ORG_BASES = ("repository", "directory")
STATE_FILE_NAME = "ovctl.state.json"


@dataclass(slots=True)
class SavedPlan:
    """A plan file as read back: everything ``apply`` needs, already checked for shape."""

    plan: dict[str, Any]
    payloads: list[dict[str, Any]]  # wire bodies, one per sync, in order
    flavor: str
    org_paths: list[Path]
    endpoint: str | None
    fingerprints: dict[str, str]  # {"desired": "sha256:...", "state": "sha256:..."}
    version: str  # ovctl version that wrote the file
    created_at: str = ""
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # unknown top-level keys, kept for newer files
    org_base: str | None = None  # "repository" | "directory"; None: a format 1 file with absolute paths
    base_dir: Path | None = None  # the directory the org paths were resolved against


def repository_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory, or the file of a
    worktree or submodule); None outside any repository."""
    here = Path(os.path.abspath(start))
    for d in (here, *here.parents):
        if (d / ".git").exists():
            return d
    return None


def _relative_org_paths(org_paths: Sequence[Path]) -> tuple[str | None, list[str]]:
    """The org paths relative to their base, and that base's kind; (None, absolute paths) when an org
    path lies outside the base (such a plan is not portable, as format 1 files were not)."""
    absolute = [Path(os.path.abspath(p)) for p in org_paths]
    root = repository_root(absolute[0] if absolute[0].is_dir() else absolute[0].parent) if absolute else None
    kind, base = ("repository", root) if root is not None else ("directory", Path(os.path.abspath(".")))
    out = []
    for p in absolute:
        try:
            rel = p.relative_to(base)
        except ValueError:
            try:
                rel = p.resolve().relative_to(base.resolve())
            except ValueError:
                return None, [str(a) for a in absolute]
        out.append(rel.as_posix() or ".")
    return kind, out


def resolve_base(org_base: str, plan_path: Path, cwd: Path | None = None) -> Path:
    """Where the relative org paths of a plan file are resolved: for ``repository``, the repository
    root of the plan file's location, else of the current directory, else the current directory;
    for ``directory``, the current directory."""
    cwd = Path(os.path.abspath(cwd if cwd is not None else "."))
    if org_base == "repository":
        return repository_root(Path(os.path.abspath(plan_path)).parent) or repository_root(cwd) or cwd
    return cwd


def default_state_file(paths: Sequence[Path], override: Path | None = None) -> Path:
    """Where ovctl keeps its state file: ``override`` when given, else ``ovctl.state.json`` in the
    org directory given, or beside the first org file (the current directory with no path)."""
    if override is not None:
        return Path(override)
    if not paths:
        return Path(STATE_FILE_NAME)
    first = Path(paths[0])
    base = first if first.is_dir() else first.parent
    return base / STATE_FILE_NAME


def _safe_endpoint(endpoint: str | None) -> str | None:
    """The endpoint without any ``user:password@`` part, so no credential reaches the file."""
    if not endpoint:
        return None
    parts = urlsplit(endpoint)
    if parts.username is None and parts.password is None:
        return endpoint
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def plan_file_dict(plan: Plan, *, flavor: str, org_paths: Sequence[Path], endpoint: str | None = None,
                   invite_new_users: bool | None = None, created_at: str | None = None) -> dict[str, Any]:
    """The JSON document of a plan file (see the module docstring)."""
    fl = wire.flavor(flavor)
    org_base, paths = _relative_org_paths(org_paths)
    if created_at is None:
        created_at = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        "format_version": FORMAT_VERSION,
        "ovctl_version": __version__,
        "flavor": fl.name,
        "org_base": org_base,
        "org_paths": paths,
        "endpoint": _safe_endpoint(endpoint),
        "created_at": created_at,
        "plan": plan.data(),
        "payloads": [wire.encode_payload(p, fl, invite_new_users=invite_new_users) for p in plan.payloads],
        "fingerprint": {"desired": plan.fingerprint_desired, "state": plan.fingerprint_state},
    }


def save_plan(path: Path, plan: Plan, *, flavor: str, org_paths: Sequence[Path], endpoint: str | None = None,
              invite_new_users: bool | None = None) -> None:
    """Write the plan file atomically (a crash never leaves half a plan for ``apply`` to send).

    ``invite_new_users`` only matters for the legacy flavour, whose body carries
    ``settings.inviteNewUsers``; pass the account's current setting so applying keeps it.
    """
    doc = plan_file_dict(plan, flavor=flavor, org_paths=org_paths, endpoint=endpoint,
                         invite_new_users=invite_new_users)
    # Compact: a plan file is read by ovctl (and tools), not by people; `ovctl render` or `jq .` shows it.
    atomic_write_text(Path(path), json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")


def _read_json(path: Path) -> Any:
    try:
        text = read_text(Path(path))
    except FileNotFoundError:
        raise PlanFileError(f"{path}: plan file not found") from None
    except IsADirectoryError:
        raise PlanFileError(f"{path}: is a directory, not a plan file") from None
    except FileRefused as e:
        if e.reason == "is a directory":
            raise PlanFileError(f"{path}: is a directory, not a plan file") from None
        raise PlanFileError(f"{path}: cannot read the plan file: {e.reason}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PlanFileError(f"{path}: cannot read the plan file ({e.__class__.__name__})") from None
    try:
        return jsontext.loads(text)
    except jsontext.JsonTextError as e:
        raise PlanFileError(f"{path}{e.where()}: not valid JSON: {e.message}") from None


def _need(doc: dict[str, Any], key: str, types: type | tuple[type, ...], path: Path, what: str) -> Any:
    if key not in doc:
        raise PlanFileError(f"{path}: field {key!r} is missing; this is not an ovctl plan file")
    value = doc[key]
    if not isinstance(value, types) or (isinstance(value, bool) and types is int):
        raise PlanFileError(f"{path}: field {key!r} must be {what}")
    return value


def load_plan(path: Path, *, check_paths: bool = False) -> SavedPlan:
    """Read and check a plan file; a broken or foreign file raises ``PlanFileError`` naming the field.

    With ``check_paths`` (what ``apply`` needs) a portable plan whose org paths do not exist under
    their base is refused, naming the base; ``show`` reads a plan without its org."""
    path = Path(path)
    doc = _read_json(path)
    if not isinstance(doc, dict):
        raise PlanFileError(f"{path}: a plan file is a JSON object; this is not an ovctl plan file")
    version = _need(doc, "format_version", int, path, "an integer")
    if version not in READ_VERSIONS:
        raise PlanFileError(f"{path}: field 'format_version' is {version}; this ovctl reads versions "
                            f"{' and '.join(map(str, READ_VERSIONS))} (re-run ovctl plan --out)")
    plan = _need(doc, "plan", dict, path, "an object (the plan JSON)")
    payloads = _need(doc, "payloads", list, path, "a list of sync bodies")
    if not payloads:
        raise PlanFileError(f"{path}: field 'payloads' is empty; a plan file holds at least one sync body")
    for i, body in enumerate(payloads):
        if not isinstance(body, dict):
            raise PlanFileError(f"{path}: field 'payloads[{i}]' must be an object (a sync body)")
    flavor = _need(doc, "flavor", str, path, "a string")
    if flavor not in wire.FLAVORS:
        raise PlanFileError(f"{path}: field 'flavor' is {flavor!r}; expected one of {', '.join(wire.FLAVORS)}")
    raw_paths = _need(doc, "org_paths", list, path, "a list of paths")
    if not raw_paths or not all(isinstance(p, str) and p for p in raw_paths):
        raise PlanFileError(f"{path}: field 'org_paths' must be a non-empty list of paths")
    for p in raw_paths:  # never walk a whole filesystem for YAML because a file said so
        if "\0" in p or Path(p).absolute() == Path(Path(p).absolute().anchor):
            raise PlanFileError(f"{path}: field 'org_paths' names {p!r}, which is not an org file or directory")
    org_base = doc.get("org_base")
    if org_base is not None and org_base not in ORG_BASES:
        raise PlanFileError(f"{path}: field 'org_base' is {org_base!r}; expected one of {', '.join(ORG_BASES)} "
                            "or null")
    base_dir = None
    org_paths = [Path(p) for p in raw_paths]
    if org_base is not None:
        base_dir = resolve_base(org_base, path)
        org_paths = []
        for p in raw_paths:
            rel = Path(p.replace("\\", "/"))
            if rel.is_absolute() or rel.anchor or ".." in rel.parts or p.startswith(("/", "\\")) \
                    or (len(p) > 1 and p[1] == ":"):  # a Windows drive
                raise PlanFileError(f"{path}: field 'org_paths' names {p!r}, which leaves the plan's base "
                                    f"(the {org_base} root); the file was edited or is damaged")
            org_paths.append(base_dir / rel)
        missing = [p for p in org_paths if not p.exists()] if check_paths else []
        if missing:
            where = "repository root" if org_base == "repository" else "current directory"
            raise PlanFileError(f"{path}: the plan's org path {raw_paths[org_paths.index(missing[0])]!r} does not "
                                f"exist under the {where} {base_dir}; apply a plan from a checkout of the commit "
                                "it was made from (or run ovctl plan again)")
    endpoint = doc.get("endpoint")
    if endpoint is not None and not isinstance(endpoint, str):
        raise PlanFileError(f"{path}: field 'endpoint' must be a string or null")
    fingerprint = _need(doc, "fingerprint", dict, path, "an object with 'desired' and 'state'")
    for key in ("desired", "state"):
        if not isinstance(fingerprint.get(key), str) or not fingerprint[key].startswith("sha256:"):
            raise PlanFileError(f"{path}: field 'fingerprint.{key}' must be a 'sha256:...' string")
    tool_version = _need(doc, "ovctl_version", str, path, "a string")
    syncs = plan.get("syncs")
    if isinstance(syncs, int) and not isinstance(syncs, bool) and syncs != len(payloads):
        raise PlanFileError(f"{path}: field 'payloads' holds {len(payloads)} sync bodies but "
                            f"'plan.syncs' says {syncs}; the file was edited or is damaged")
    plan_fp = plan.get("fingerprint")
    if isinstance(plan_fp, dict) and {k: plan_fp.get(k) for k in ("desired", "state")} != {
            k: fingerprint[k] for k in ("desired", "state")}:
        raise PlanFileError(f"{path}: field 'fingerprint' differs from 'plan.fingerprint'; "
                            "the file was edited or is damaged")
    known = {"format_version", "ovctl_version", "flavor", "org_base", "org_paths", "endpoint", "created_at", "plan",
             "payloads", "fingerprint"}
    created = doc.get("created_at")
    return SavedPlan(
        plan=plan, payloads=payloads, flavor=flavor, org_paths=org_paths, endpoint=endpoint,
        fingerprints={"desired": fingerprint["desired"], "state": fingerprint["state"]}, version=tool_version,
        created_at=created if isinstance(created, str) else "", path=path,
        extra={k: v for k, v in doc.items() if k not in known}, org_base=org_base, base_dir=base_dir,
    )


def is_plan_file(path: Path) -> bool:
    """True for a ``.json`` file whose top level has ``plan`` and ``payloads``: how ``apply`` tells a
    saved plan from an org path. Never raises (an unreadable file is simply not a plan file)."""
    path = Path(path)
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        doc = json.loads(read_text(path))
    except (OSError, FileRefused, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and "plan" in doc and "payloads" in doc
