"""Saved plan files (``ovctl plan --out FILE``): what ``apply`` will send, reviewed in advance.

A plan file holds the plan JSON (``Plan.data()``), the exact wire bodies of every
sync in the chosen flavour, the fingerprints of the org and of the state the plan was computed
against, the flavour, the org paths, the endpoint and the tool version. ``apply PLANFILE`` sends
those bodies only while the fingerprints still match. It never holds the API key: nothing here
reads the environment, and credentials embedded in an endpoint URL are stripped before writing.
"""

from __future__ import annotations

import datetime as _dt
import json
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

FORMAT_VERSION = 1
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
    if created_at is None:
        created_at = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        "format_version": FORMAT_VERSION,
        "ovctl_version": __version__,
        "flavor": fl.name,
        "org_paths": [str(Path(p).absolute()) for p in org_paths],
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
    atomic_write_text(Path(path), json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


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


def load_plan(path: Path) -> SavedPlan:
    """Read and check a plan file; a broken or foreign file raises ``PlanFileError`` naming the field."""
    path = Path(path)
    doc = _read_json(path)
    if not isinstance(doc, dict):
        raise PlanFileError(f"{path}: a plan file is a JSON object; this is not an ovctl plan file")
    version = _need(doc, "format_version", int, path, "an integer")
    if version != FORMAT_VERSION:
        raise PlanFileError(f"{path}: field 'format_version' is {version}; this ovctl reads version "
                            f"{FORMAT_VERSION} (re-run ovctl plan --out)")
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
    known = {"format_version", "ovctl_version", "flavor", "org_paths", "endpoint", "created_at", "plan",
             "payloads", "fingerprint"}
    created = doc.get("created_at")
    return SavedPlan(
        plan=plan, payloads=payloads, flavor=flavor, org_paths=[Path(p) for p in raw_paths], endpoint=endpoint,
        fingerprints={"desired": fingerprint["desired"], "state": fingerprint["state"]}, version=tool_version,
        created_at=created if isinstance(created, str) else "", path=path,
        extra={k: v for k, v in doc.items() if k not in known},
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
