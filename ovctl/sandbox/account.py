"""What the sandbox account does with a sync, an approval, a rejection or a settings change.

Free of HTTP so that the rules read in one place: every sync is simulated with the same
``engine.simulate`` that ``ovctl plan`` uses, inside one database transaction, and recorded in the
history whatever its outcome (applied, pending, rejected, failed). A sync whose risk counts exceed
the account's thresholds is held as *pending*; approving it re-simulates the stored payload
against the account as it is *then* (other syncs may have run meanwhile), which is what a
full-state sync means.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ovctl.core.engine import risk_exceeds, simulate
from ovctl.core.errors import OvctlError, PayloadRejected
from ovctl.core.model import PROPERTY_TYPES, PayloadTeam, PropertyDef, SyncReport
from ovctl.account.wire import decode_payload, flavor
from ovctl.sandbox.store import Store, SyncRecord


class NotFound(OvctlError):
    """No such sync (404)."""


class Conflict(OvctlError):
    """The sync is not pending any more (409)."""


class BadSettings(OvctlError):
    """A settings change that does not make sense (400)."""


def new_team_id(_team: PayloadTeam) -> str:
    """Officevibe-like ids for teams the sandbox creates (opaque, never reused)."""
    return f"g-{uuid.uuid4().hex[:12]}"


def report_to_dict(report: SyncReport) -> dict[str, Any]:
    return {"updates": [asdict(i) for i in report.updates], "issues": [asdict(i) for i in report.issues],
            "risk": {"users": report.risk_users, "teams": report.risk_teams}}


def _invite_override(flavor_name: str, sync_settings: dict[str, Any]) -> bool | None:
    """A legacy payload's ``settings.inviteNewUsers`` wins over the account's setting for that sync."""
    if flavor_name != "legacy" or "inviteNewUsers" not in sync_settings:
        return None
    value = sync_settings["inviteNewUsers"]
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def record_refused(store: Store, flavor_name: str, status: str, error: str, body: Any = None,
                   text: str | None = None) -> SyncRecord:
    """Keep a refused sync (400/403/413) in the history, with nothing applied (``text``: as in ``run_sync``)."""
    with store.transaction() as db:
        return store.add_sync(db, flavor=flavor_name, status=status, payload=body, sync_settings=None,
                              report=None, error=error, payload_text=text)


def run_sync(store: Store, flavor_name: str, body: Any, *, text: str | None = None,
             midway: Callable[[], None] | None = None) -> SyncRecord:
    """Apply (or hold) one parsed sync body, in one transaction; record it whatever happens.
    ``text``: the body's own JSON text, which the history keeps as it is (see ``Store.add_sync``).

    A body the account refuses whole (``PayloadRejected``: a missing or empty section, a
    ``settings`` section in the current flavour) is recorded as *rejected*; an unexpected error as
    *failed*, with the account untouched (the transaction rolled back). ``midway`` runs inside the
    transaction between the writes of an applied sync (the ``mid-sync`` crash fault)."""
    sync_settings: dict[str, Any] = {}
    try:
        payload, sync_settings = decode_payload(body, flavor(flavor_name))
        with store.transaction(checkpoint=False) as db:  # the server checkpoints once it has answered
            account = store.load_account(db)
            settings = store.settings(db)
            new_account, report = simulate(account, payload,
                                           invite_new_members=_invite_override(flavor_name, sync_settings),
                                           new_team_id=new_team_id, copies=store.working_copies(account))
            thresholds = settings.get("risk_thresholds") or {}
            pending = risk_exceeds(report, thresholds.get("users"), thresholds.get("teams"))
            if not pending:
                store.save_account(db, new_account, midway=midway, previous=account)
            return store.add_sync(db, flavor=flavor_name, status="pending" if pending else "applied", payload=body,
                                  sync_settings=sync_settings, report=report_to_dict(report), payload_text=text)
    except PayloadRejected as e:
        return record_refused(store, flavor_name, "rejected", str(e), body, text)
    except Exception as e:  # the transaction rolled back: the account is as before
        with store.transaction() as db:
            return store.add_sync(db, flavor=flavor_name, status="failed", payload=body,
                                  sync_settings=sync_settings, report=None,
                                  error=f"Main: An error occurred while syncing ({type(e).__name__})",
                                  payload_text=text)


def _pending(store: Store, db: Any, sync_id: str) -> SyncRecord:
    rec = store.get_sync(sync_id, db)
    if rec is None:
        raise NotFound(f"no sync {sync_id!r}")
    if rec.status != "pending":
        raise Conflict(f"sync {sync_id} is {rec.status}, not pending")
    return rec


def approve(store: Store, sync_id: str) -> SyncRecord:
    """Apply a pending sync now, re-simulated against the current account (thresholds no longer apply)."""
    with store.transaction() as db:
        rec = _pending(store, db, sync_id)
        payload, sync_settings = decode_payload(rec.payload, flavor(rec.flavor))
        current = store.load_account(db)
        new_account, report = simulate(current, payload,
                                       invite_new_members=_invite_override(rec.flavor, sync_settings),
                                       new_team_id=new_team_id)
        store.save_account(db, new_account, previous=current)
        return store.decide_sync(db, sync_id, "applied", report_to_dict(report))


def reject(store: Store, sync_id: str) -> SyncRecord:
    """Close a pending sync with nothing applied."""
    with store.transaction() as db:
        _pending(store, db, sync_id)
        return store.decide_sync(db, sync_id, "rejected", None)


# --------------------------------------------------------------------------- settings


def _threshold(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadSettings(f"risk_thresholds.{name} must be a whole number >= 0, or null for no threshold")
    return value


def _property(name: str, raw: Any) -> PropertyDef | None:
    if not name.strip():
        raise BadSettings("a property needs a name (properties.\"\" is not one)")
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("type") not in PROPERTY_TYPES:
        raise BadSettings(f"properties.{name}.type must be one of {', '.join(PROPERTY_TYPES)}")
    options = raw.get("options")
    if raw["type"] == "choices":
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            raise BadSettings(f"properties.{name}.options must be a list of strings for a choices property")
        if not options:
            raise BadSettings(f"properties.{name}.options must not be empty: a choices property needs options")
        return PropertyDef(type="choices", options=tuple(options))
    if options is not None:
        raise BadSettings(f"properties.{name}.options is only allowed for a choices property")
    return PropertyDef(type=raw["type"])


def change_settings(store: Store, patch: Any) -> dict[str, Any]:
    """A partial settings update: invite_new_members, integration_enabled, risk_thresholds
    (either key; null lifts it), properties (add or replace by name; null deletes)."""
    if not isinstance(patch, dict):
        raise BadSettings("settings must be a JSON object")
    unknown = set(patch) - {"invite_new_members", "integration_enabled", "risk_thresholds", "properties"}
    if unknown:
        raise BadSettings(f"unknown setting(s): {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    thresholds: dict[str, int | None] = {}
    for key in ("invite_new_members", "integration_enabled"):
        if key in patch:
            if not isinstance(patch[key], bool):
                raise BadSettings(f"{key} must be true or false")
            changes[key] = patch[key]
    if "risk_thresholds" in patch:
        raw = patch["risk_thresholds"]
        if not isinstance(raw, dict) or set(raw) - {"users", "teams"}:
            raise BadSettings("risk_thresholds must be an object with 'users' and/or 'teams'")
        for name in ("users", "teams"):
            if name in raw:
                thresholds[name] = _threshold(raw[name], name)
    properties: dict[str, PropertyDef | None] = {}
    if "properties" in patch:
        if not isinstance(patch["properties"], dict):
            raise BadSettings("properties must be an object: name -> {type, options}")
        properties = {name: _property(name, raw) for name, raw in patch["properties"].items()}
    return store.update_settings(changes, properties, thresholds)  # merged inside one transaction
