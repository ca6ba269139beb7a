"""Adopting a real account whose export hides external ids (issue 8, the data-safety bug).

A real account read through the export API (``OVCTL_EXPORT_ONLY=1`` on the sandbox) shows no
external ids. ``ovctl import live`` used to make ``M-…``/``T-…`` ids up for everyone; the account,
which holds other ids, then skipped every member ("email already taken") and deactivated the real
ones, and re-created every team. These tests follow the documented adoption path
(docs/adopting.md) against the real sandbox process and check the account afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ovctl.core.model import SnapMember, Snapshot, SnapTeam
from ovctl.sources.ids import IdSource, attach_ids
from test_e2e_apply import KEY, Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEED = EXAMPLES / "state.json"


@pytest.fixture
def ws(tmp_path: Path, shared_sandbox, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    w = Workspace(tmp_path, shared_sandbox(SEED, api_key=KEY))
    monkeypatch.setenv("OVCTL_EXPORT_ONLY", "1")  # read as a real account is read
    w.state = tmp_path / "ovctl.state.json"  # no state file yet: a first adoption
    return w


def _seed() -> dict:
    return json.loads(SEED.read_text(encoding="utf-8"))


def _truth(account: dict) -> tuple[dict, dict]:
    members = {m["email"]: (m["external_id"], m["status"]) for m in account["members"]}
    teams = {t["officevibe_id"]: (t["name"], t["parent"]) for t in account["teams"]}
    return members, teams


def test_import_live_refuses_to_invent_ids_the_export_hides(ws: Workspace) -> None:
    out = ws.root / "org.yaml"
    run = ws.ovctl("import", "live", "--out", str(out), "--state-file", str(ws.state))
    assert run.rc == 1
    assert "does not show external ids" in run.err and "--ids" in run.err and "--new-ids" in run.err
    assert "Traceback" not in run.err
    assert not out.exists()  # nothing written
    assert ws.syncs() == []


def _adopt_and_apply(ws: Workspace, ids: Path) -> None:
    """The documented path: import live with the ids, plan, apply; then the account is checked."""
    before_members, before_teams = _truth(ws.account())
    org = ws.root / "org.yaml"
    run = ws.ovctl("import", "live", "--out", str(org), "--state-file", str(ws.state), "--ids", str(ids))
    assert run.rc == 0, run.text
    assert "UNVERIFIED" not in org.read_text(encoding="utf-8")
    plan = ws.ovctl("plan", str(org), "--format", "json", "--state-file", str(ws.state))
    doc = json.loads(plan.out)
    assert not [c for c in doc["changes"] if c["kind"] == "member"], doc["changes"]
    assert doc["summary"]["team"]["move"] == 0 and not doc["skipped"]
    applied = ws.ovctl("apply", str(org), "--auto-approve", "--state-file", str(ws.state))
    assert applied.rc == 0, applied.text
    (sync,) = ws.syncs()
    assert sync["issues"] == 0, sync  # no member skipped, nothing refused
    after_members, after_teams = _truth(ws.account())
    assert after_members == {e: (before_members[e][0] or after_members[e][0], s) for e, (_, s) in before_members.items()}
    assert all(after_members[e][0] == x for e, (x, _) in before_members.items() if x)  # every id kept
    assert after_teams == before_teams  # no team re-created, none flattened
    again = ws.ovctl("plan", str(org), "--detailed-exitcode", "--state-file", str(ws.state))
    assert again.rc == 0 and "No changes" in again.out, again.text


def test_adopting_with_the_official_csv_files_keeps_every_member_and_team(ws: Workspace) -> None:
    csv_dir = ws.root / "script-csv"  # stands in for the files the user's provisioning script sent
    truth = ws.root / "truth.yaml"
    assert ws.ovctl("import", "state", str(SEED), "--out", str(truth)).rc == 0
    assert ws.ovctl("render", str(truth), "--format", "csv", "--out", str(csv_dir)).rc == 0
    _adopt_and_apply(ws, csv_dir)


def test_adopting_with_a_snapshot_file_keeps_every_member_and_team(ws: Workspace) -> None:
    _adopt_and_apply(ws, SEED)


def test_new_ids_on_an_account_that_holds_ids_is_never_presented_as_safe(ws: Workspace) -> None:
    org = ws.root / "org.yaml"
    run = ws.ovctl("import", "live", "--out", str(org), "--state-file", str(ws.state), "--new-ids")
    assert run.rc == 0, run.text
    assert "UNVERIFIED" in run.err and "UNVERIFIED" in org.read_text(encoding="utf-8")
    plan = ws.ovctl("plan", str(org), "--format", "json", "--state-file", str(ws.state))
    doc = json.loads(plan.out)
    active = sum(1 for m in _seed()["members"] if m["status"] != "deactivated" and m["role"] == "member")
    warn = next(w for w in doc["warnings"] if w["code"] == "ids_unverified")
    assert f"{active} members" in warn["message"]
    low, high = doc["risk_range"]["users"]
    assert high - low >= active  # each id may cost a deactivation: counted, not hidden
    assert not [c for c in doc["changes"] if c["kind"] == "member"]
    ids_set = [c for c in doc["not_visible"] if c["kind"] == "member" and "external_id" in c["after"]]
    assert len(ids_set) == active
    text = ws.ovctl("plan", str(org), "--state-file", str(ws.state))
    assert "cannot be verified" in text.out and "No changes" not in text.out


def test_ids_source_of_a_missing_path_is_a_clear_error(ws: Workspace) -> None:
    run = ws.ovctl("import", "live", "--out", str(ws.root / "o.yaml"), "--ids", str(ws.root / "nope"))
    assert run.rc == 1 and "--ids" in run.err and "Traceback" not in run.err


def test_attach_ids_never_gives_one_id_twice_and_skips_shared_names() -> None:
    hidden_m = frozenset({"external_id"})
    snap = Snapshot(members=[SnapMember("a@x.example"), SnapMember("b@x.example"), SnapMember("c@x.example", "E9")],
                    teams=[SnapTeam("g1", "Ops"), SnapTeam("g2", "Dev"), SnapTeam("g3", "Dev")],
                    unknown_members={"a@x.example": hidden_m, "b@x.example": hidden_m | {"language"}},
                    unknown_teams={"g1": frozenset({"external_id", "parent"}), "g2": frozenset({"external_id"}),
                                   "g3": frozenset({"external_id"})})
    ids = IdSource("t", members={"a@x.example": "E1", "b@x.example": "E9"})
    ids.add_team_name("Ops", "OPS")
    ids.add_team_name("Dev", "D1")
    ids.add_team_name("Dev", "D2")  # two teams of that name in the source: the name says nothing
    assert attach_ids(snap, ids) == (1, 1)
    assert [m.external_id for m in snap.members] == ["E1", None, "E9"]  # E9 is c's already
    assert "a@x.example" not in snap.unknown_members and snap.unknown_members["b@x.example"] == hidden_m | {"language"}
    assert [t.external_id for t in snap.teams] == ["OPS", None, None]
    assert snap.unknown_teams["g1"] == frozenset({"parent"})


def test_a_snapshot_pulled_through_the_export_says_what_it_could_not_see(ws: Workspace) -> None:
    """``pull`` without a state file used to write ``external_id: null`` for everyone, so ``import
    state`` of that file took hidden ids for absent ones and made ids up. The file now lists what
    the reading could not see (``not_visible``); import refuses, plan is honest."""
    pulled = ws.root / "pulled.json"
    assert ws.ovctl("pull", "--out", str(pulled), "--state-file", str(ws.state)).rc == 0
    doc = json.loads(pulled.read_text(encoding="utf-8"))
    hidden = {e for g in doc["not_visible"]["members"] if "external_id" in g["fields"] for e in g["emails"]}
    assert hidden == {m["email"] for m in doc["members"]}  # every member: the export shows no id
    out = ws.root / "org.yaml"
    refused = ws.ovctl("import", "state", str(pulled), "--out", str(out))
    assert refused.rc == 1 and "does not show external ids" in refused.err and "--ids" in refused.err
    assert "--state-file" not in refused.err  # not an option of import state
    assert not out.exists()
    ok = ws.ovctl("import", "state", str(pulled), "--out", str(out), "--ids", str(SEED))
    assert ok.rc == 0, ok.text
    plan = ws.ovctl("plan", str(out), "--format", "json", "--state", str(pulled))
    warnings = {w["code"] for w in json.loads(plan.out)["warnings"]}
    assert "ids_unverified" in warnings  # the pulled file cannot vouch for the ids either
    assert ws.syncs() == []


def test_not_visible_names_only_members_and_fields_of_the_snapshot(tmp_path: Path) -> None:
    from ovctl.core.errors import SnapshotError
    from ovctl.core.snapshot import not_visible_data, snapshot_from_dict

    seed = _seed()
    email = seed["members"][0]["email"]
    good = dict(seed, not_visible={"members": [{"fields": ["external_id"], "emails": [email.upper()]}]})
    snap = snapshot_from_dict(good, "s.json")
    assert snap.unknown_members == {email.lower(): frozenset({"external_id"})}
    assert not_visible_data(snap) == {"members": [{"fields": ["external_id"], "emails": [email]}], "teams": []}
    assert not_visible_data(snapshot_from_dict(seed)) is None
    for bad, where in (
            ({"members": [{"fields": ["email"], "emails": [email]}]}, "not_visible.members[0].fields[0]"),
            ({"members": [{"fields": ["status"], "emails": ["nobody@x.example"]}]}, "not_visible.members[0].emails[0]"),
            ({"teams": [{"fields": ["parent"], "teams": ["no-such-team"]}]}, "not_visible.teams[0].teams[0]"),
            ({"teams": [{"fields": ["parent"]}]}, "not_visible.teams[0].teams"),
            ({"people": []}, "not_visible.people")):
        with pytest.raises(SnapshotError) as e:
            snapshot_from_dict(dict(seed, not_visible=bad), "s.json")
        assert f"s.json: {where}" in str(e.value), str(e.value)
