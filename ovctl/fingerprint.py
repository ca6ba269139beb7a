"""SHA-256 fingerprints of a plan's inputs, so a saved plan can refuse to apply to a changed world.

Both are ``"sha256:<hex>"`` of canonical JSON (sorted keys, no whitespace, UTF-8). The state
fingerprint covers the account only: ``protected`` and ``applied_plans`` are ovctl's bookkeeping in
the state file, so recording an applied plan does not make the account look changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from .model import Org, Snapshot


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _sha256(data: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def fingerprint_org(org: Org) -> str:
    """The desired state's fingerprint (the merged org, not its file layout or comments)."""
    return _sha256(asdict(org))


def fingerprint_snapshot(snapshot: Snapshot) -> str:
    """The account state's fingerprint; identical for a snapshot and the same snapshot re-read."""
    data = snapshot.to_dict()
    data.pop("protected", None)
    data.pop("applied_plans", None)
    return _sha256(data)
