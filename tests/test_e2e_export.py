"""End to end through the export API only (``OVCTL_EXPORT_ONLY=1``): how a real account is read.

The v2 export gives no external ids, statuses, properties or parents; ovctl keeps them in its
state file. These tests run apply/plan/pull against the sandbox as if it were a real account and
compare what ovctl believes with what the sandbox really holds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

import pytest

from ovctl.account import wire
from ovctl.core.model import Mapping, Payload, PayloadMember, PayloadTeam
from test_e2e_apply import KEY, SEED, Workspace


pytestmark = pytest.mark.sandbox(seed=SEED, api_key=KEY)  # `sandbox`, `module_sandbox`: reset to SEED


@pytest.fixture(scope="module")
def export_ws(tmp_path_factory: pytest.TempPathFactory, module_sandbox) -> Iterator[Workspace]:
    """One workspace for the module's tests, in order: they build on each other's applies."""
    os.environ["OVCTL_EXPORT_ONLY"] = "1"
    try:
        yield Workspace(tmp_path_factory.mktemp("e2e-export"), module_sandbox)
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
    assert "current value not visible" not in run.out  # the state file recorded what was sent
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


# ------------------------------------------------------------------ what only the state file knows


class _Export:
    """An export API as a real account serves it: /users leaves a deactivated member out, but a
    rule-based group (which no sync manages) still lists her."""

    is_default_endpoint = True
    endpoint = None
    is_sandbox = None

    def export_users(self) -> list[dict]:
        return [{"email": "ana@acme.example", "firstName": "Ana", "lastName": "Núñez", "jobTitle": "CEO"}]

    def export_groups(self) -> list[dict]:
        return [{"id": "g-mtl", "name": "Montréal", "group_type": "rule_based"}]

    def export_group(self, group_id: str) -> dict:
        return {"id": group_id, "users": [{"email": "ana@acme.example", "isMember": True},
                                          {"email": "Marc@acme.example", "isMember": True}]}


def test_a_member_seen_only_in_a_group_gets_every_other_field_from_the_state_file() -> None:
    from ovctl.account.live import pull_snapshot
    from ovctl.core.model import SnapMember, Snapshot, SnapTeam

    state = Snapshot(
        members=[SnapMember("ana@acme.example", "E1", "Ana", "Núñez", "CEO"),
                 SnapMember("marc@acme.example", "E9", "Marc-Antoine", "Lévesque", "Designer", language="fr",
                            status="deactivated", role="executive", properties={"Location": "Montréal"})],
        teams=[SnapTeam("g-mtl", "Montréal", members=["ana@acme.example", "marc@acme.example"], rule_based=True)])
    live = pull_snapshot(_Export(), state)
    marc = next(m for m in live.members if m.email.lower() == "marc@acme.example")
    assert (marc.external_id, marc.first_name, marc.last_name, marc.job_title) == ("E9", "Marc-Antoine", "Lévesque",
                                                                                    "Designer")
    assert (marc.status, marc.role, marc.language, marc.properties) == ("deactivated", "executive", "fr",
                                                                        {"Location": "Montréal"})
    ana = next(m for m in live.members if m.email == "ana@acme.example")
    assert (ana.first_name, ana.job_title, ana.role) == ("Ana", "CEO", "member")  # /users is believed


class _HidingExport(_Export):
    """An export that hides deactivated people everywhere, group user lists included."""

    def export_group(self, group_id: str) -> dict:
        return {"id": group_id, "users": [{"email": "ana@acme.example", "isMember": True}]}


def test_a_deactivated_member_hidden_by_the_export_keeps_her_place_in_a_rule_based_team() -> None:
    from ovctl.account.live import pull_snapshot
    from ovctl.core.model import SnapMember, Snapshot, SnapTeam

    state = Snapshot(
        members=[SnapMember("ana@acme.example", "E1", "Ana", "Núñez", "CEO"),
                 SnapMember("marc@acme.example", "E9", "Marc-Antoine", "Lévesque", status="deactivated")],
        teams=[SnapTeam("g-mtl", "Montréal", members=["ana@acme.example", "marc@acme.example"], rule_based=True)])
    live = pull_snapshot(_HidingExport(), state)
    assert next(t for t in live.teams if t.officevibe_id == "g-mtl").members == ["ana@acme.example",
                                                                                   "marc@acme.example"]
    marc = next(m for m in live.members if m.email == "marc@acme.example")
    assert (marc.first_name, marc.status) == ("Marc-Antoine", "deactivated")


def test_a_deactivated_member_still_in_a_rule_based_team_shows_no_false_drift(
        tmp_path, sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Carla, also in the rule-based Montréal team (which no sync touches), is deactivated; the
    state file knows her names. Read through the export, she must not drift to having none."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    mtl = next(t for t in seed["teams"] if t["officevibe_id"] == "g-mtl")
    mtl["members"].append("carla@acme.example")
    sandbox.reset(seed)
    w = Workspace(tmp_path, sandbox)
    monkeypatch.delenv("OVCTL_EXPORT_ONLY", raising=False)
    assert w.apply().rc == 0  # read whole from the sandbox: the state file has every field
    w.edit("members: [E3, E5]", "members: [E5]")
    w.edit("  - {id: E3, email: carla@acme.example, first_name: Carla, last_name: Ríos}\n", "")
    run = w.apply("--force")
    assert run.rc == 0, run.text
    carla = next(m for m in w.account()["members"] if m["email"] == "carla@acme.example")
    assert carla["status"] == "deactivated"

    monkeypatch.setenv("OVCTL_EXPORT_ONLY", "1")  # now read as a real account is read
    plan = w.ovctl("plan", str(w.org), "--format", "json", "--detailed-exitcode")
    # no changes, no drift: her names were not lost on the way; the org's Shoe Size values, which
    # the account skips (no such property), keep the plan pending (exit 2), not "no changes"
    assert plan.rc == 2, plan.text
    doc = json.loads(plan.out)
    assert not doc["changes"] and not doc.get("drift") and not doc["not_visible"], plan.out
    assert {i["subject"] for i in doc["skipped"]} == {"Shoe Size"}

    w.edit("name: Engineering", "name: Engineering & Research")  # an apply through the export...
    assert w.apply().rc == 0
    state = json.loads(w.state.read_text(encoding="utf-8"))  # ...keeps her names in the state file
    kept = next(m for m in state["members"] if m["email"] == "carla@acme.example")
    assert (kept["first_name"], kept["last_name"], kept["status"]) == ("Carla", "Ríos", "deactivated")


def test_pull_through_the_export_without_a_state_file_warns(export_ws: Workspace) -> None:
    missing = export_ws.root / "no-such-state.json"
    run = export_ws.ovctl("pull", "--state-file", str(missing))
    assert run.rc == 0, run.text
    assert f"no state file at {missing}: external ids are unknown" in run.err
    assert "--state-file" in run.err
    with_state = export_ws.ovctl("pull", "--state-file", str(export_ws.state))
    assert with_state.rc == 0 and "no state file" not in with_state.err


def test_pull_of_a_sandbox_snapshot_without_a_state_file_does_not_warn(
        export_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OVCTL_EXPORT_ONLY")  # the sandbox hands over external ids itself
    run = export_ws.ovctl("pull", "--state-file", str(export_ws.root / "no-such-state.json"))
    assert run.rc == 0 and "no state file" not in run.err


# --------------------------------------------------------------------------- an honest first plan

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _first_plan_workspace(tmp_path, shared_sandbox, monkeypatch) -> Workspace:
    sb = shared_sandbox(EXAMPLES / "state.json", api_key=KEY)
    monkeypatch.setenv("OVCTL_EXPORT_ONLY", "1")
    w = Workspace(tmp_path, sb)
    w.state = tmp_path / "ovctl.state.json"  # no state file yet: a first plan
    return w


def test_first_plan_of_an_imported_account_read_through_the_export_is_honest(
        tmp_path, shared_sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 8, point 5: import the account (its ids given with --ids: the export hides them),
    plan it: only adoptions; the ids and parents the export hides are 'set; current value not
    visible', never updates or moves; no pause warning, but the unverifiable ids are warned about."""
    w = _first_plan_workspace(tmp_path, shared_sandbox, monkeypatch)
    org = tmp_path / "org.yaml"
    run = w.ovctl("import", "live", "--out", str(org), "--state-file", str(w.state), "--ids", str(EXAMPLES / "state.json"))
    assert run.rc == 0, run.text
    plan = w.ovctl("plan", str(org), "--format", "json", "--state-file", str(w.state))
    assert plan.rc == 0, plan.text
    doc = json.loads(plan.out)
    actions = {(c["kind"], c["action"]) for c in doc["changes"]}
    assert actions <= {("team", "adopt")}, actions
    assert doc["summary"]["team"]["move"] == 0
    assert not [w_ for w_ in doc["warnings"] if w_["code"].startswith("risk_threshold")], doc["warnings"]
    assert "ids_unverified" in {w_["code"] for w_ in doc["warnings"]}
    assert doc["not_visible_summary"]["team"] > 0
    for c in doc["not_visible"]:
        assert c["before"] == "not visible"
        if c["kind"] == "member":
            assert set(c["after"]) == {"external_id"}, c

    text = w.ovctl("plan", str(org), "--state-file", str(w.state))
    assert "team move" not in text.out and "will pause" not in text.out, text.out
    assert "current value not visible" in text.out and "cannot be verified" in text.out

    # After the first apply the state file holds every field: see
    # test_second_apply_through_the_export_sends_nothing (the next plan is exact, no not_visible).


def test_first_plan_of_a_written_org_shows_hidden_fields_as_not_visible_and_risk_as_a_range(
        tmp_path, shared_sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/org.yaml against the example account read through the export, no state file:
    languages and property values are 'set; current value not visible', sub-teams are not moves,
    and the risk that depends on hidden values is a range with a 'may pause' warning."""
    w = _first_plan_workspace(tmp_path, shared_sandbox, monkeypatch)
    plan = w.ovctl("plan", str(EXAMPLES / "org.yaml"), "--format", "json", "--force",
                   "--state-file", str(w.state))
    doc = json.loads(plan.out)
    assert doc["summary"]["team"]["move"] == 0
    updates = [c for c in doc["changes"] if c["action"] == "update"]
    for c in updates:  # real updates only: ids attached, María José's job title
        assert set(c["after"]) <= {"external_id", "job_title"}, c
        assert "properties" not in c["after"] and "language" not in c["after"], c
    members = [c for c in doc["not_visible"] if c["kind"] == "member"]
    assert members and all("properties" in c["after"] or set(c["after"]) == {"external_id"} for c in members)
    assert any("properties" in c["after"] for c in members)
    eng_plat = next(c for c in doc["not_visible"] if c["id"] == "ENG-PLAT")
    assert eng_plat["after"] == {"parent": "ENG", "parent_name": "Engineering"}
    low, high = doc["risk_range"]["users"]
    assert low < high == doc["risk"]["users"]
    codes = {w_["code"] for w_ in doc["warnings"]}
    assert "risk_threshold" not in codes and "risk_threshold_unknown" in codes
    assert "ids_unverified" in codes  # the export hides the ids the org sends: they cannot be verified


def test_a_state_file_value_is_known_not_hidden() -> None:
    """A member and a team the state file knows carry no unknown marks; without it, they do."""
    from ovctl.account.live import pull_snapshot
    from ovctl.core.model import SnapMember, Snapshot, SnapTeam

    class _Plain(_Export):
        def export_group(self, group_id: str) -> dict:
            return {"id": group_id, "users": [{"email": "ana@acme.example", "isMember": True}]}

    bare = pull_snapshot(_Plain(), None)
    assert bare.unknown_members["ana@acme.example"] >= {"language", "properties", "status"}
    assert all("parent" in v for v in bare.unknown_teams.values())
    state = Snapshot(members=[SnapMember("ana@acme.example", "E1", "Ana", "Núñez", language=None)],
                     teams=[SnapTeam(t.officevibe_id, t.name, "T" + t.officevibe_id) for t in bare.teams])
    known = pull_snapshot(_Plain(), state)
    assert "ana@acme.example" not in known.unknown_members  # None from the state file is a value
    assert not known.unknown_teams
    assert "unknown" not in json.dumps(known.to_dict())
