"""End to end through the export API only (``OVCTL_EXPORT_ONLY=1``): how a real account is read.

The v2 export gives no external ids, statuses, properties or parents; ovctl keeps them in its
state file. These tests run apply/plan/pull against the sandbox as if it were a real account and
compare what ovctl believes with what the sandbox really holds.
"""

from __future__ import annotations

import json
import os
from typing import Iterator

import pytest

from ovctl import wire
from ovctl.model import Mapping, Payload, PayloadMember, PayloadTeam
from test_e2e_apply import Workspace, _workspace


@pytest.fixture(scope="module")
def export_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    os.environ["OVCTL_EXPORT_ONLY"] = "1"
    try:
        with _workspace(tmp_path_factory.mktemp("e2e-export")) as w:
            yield w
    finally:
        os.environ.pop("OVCTL_EXPORT_ONLY", None)


def _people(snapshot: dict) -> dict[str, tuple]:
    return {m["email"]: (m["external_id"], m["status"], m["role"], m["properties"]) for m in snapshot["members"]}


def _teams(snapshot: dict) -> dict[str, tuple]:
    return {t["officevibe_id"]: (t["external_id"], t["name"], t["parent"], sorted(t["managers"]), sorted(t["members"]))
            for t in snapshot["teams"]}


def test_first_apply_through_the_export_converges(export_ws: Workspace) -> None:
    run = export_ws.apply()
    assert run.rc == 0, run.text
    assert "sync 2/2" in run.out  # previous_name still found by name in the export


def test_state_written_from_the_export_matches_the_account(export_ws: Workspace) -> None:
    state = json.loads(export_ws.state.read_text(encoding="utf-8"))
    truth = export_ws.account()
    assert _teams(state) == _teams(truth)
    assert _people(state) == _people(truth)


def test_second_apply_through_the_export_sends_nothing(export_ws: Workspace) -> None:
    before = len(export_ws.syncs())
    run = export_ws.apply()
    assert run.rc == 0, run.text
    assert "No changes" in run.out
    assert len(export_ws.syncs()) == before


def test_pull_through_the_export_carries_ids_from_the_state_file(export_ws: Workspace) -> None:
    out = export_ws.root / "pulled.json"
    run = export_ws.ovctl("pull", "--out", str(out), "--state-file", str(export_ws.state))
    assert run.rc == 0, run.text
    pulled = json.loads(out.read_text(encoding="utf-8"))
    assert _teams(pulled) == _teams(export_ws.account())


def test_drift_made_in_the_app_is_seen_through_the_export(export_ws: Workspace) -> None:
    # Someone renames a team in the app (here: a sync from another tool that keeps everything else).
    truth = export_ws.account()
    by_ov = {t["officevibe_id"]: t for t in truth["teams"]}
    members = [PayloadMember(m["external_id"], m["email"], m["first_name"], m["last_name"],
                             properties=dict(m["properties"]))
               for m in truth["members"] if m["external_id"] and m["status"] != "deactivated"]
    email_to_id = {m.email: m.external_id for m in members}
    teams, mappings = [], []
    for t in truth["teams"]:
        if t["rule_based"]:
            continue
        name = "Engineering (renamed in app)" if t["external_id"] == "ENG" else t["name"]
        teams.append(PayloadTeam(t["external_id"], name))
        mappings += [Mapping(team=t["external_id"], member=email_to_id[e], is_manager=True) for e in t["managers"]]
        mappings += [Mapping(team=t["external_id"], member=email_to_id[e], is_member=True) for e in t["members"]]
        if t["parent"]:
            mappings.append(Mapping(team=by_ov[t["parent"]]["external_id"], subteam=t["external_id"]))
    body = wire.encode_payload(Payload(members, teams, mappings), wire.WORKLEAP)
    with export_ws.http() as http:
        assert http.post(wire.WORKLEAP.sync_path, json=body).status_code == 200
    run = export_ws.ovctl("plan", str(export_ws.org), "--format", "json")
    assert run.rc == 0, run.text
    plan = json.loads(run.out)
    assert any(c["action"] == "rename" and c.get("id") == "ENG" for c in plan["changes"])
