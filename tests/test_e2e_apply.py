"""End to end: the real CLI (in-process) against a real sandbox process on loopback.

The seeded account (tests/fixtures/e2e/seed.json) is what a company has before ovctl: teams and
members without external ids, an admin, a rule-based team. The org (tests/fixtures/e2e/org/)
claims them: Engineering by name, Infrastructure via ``previous_name`` (two syncs), members by
email, plus one new member and one property the account does not have.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ovctl.account import wire
from support.cli import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "e2e"
SEED = FIXTURES / "seed.json"
KEY = "sk-e2e-4c1d2b9e8f"
pytestmark = pytest.mark.sandbox(seed=SEED, api_key=KEY)  # `sandbox`, `module_sandbox`: reset to SEED


@dataclass
class Run:
    rc: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class Workspace:
    """A sandbox, a copy of the org directory, and a way to run ovctl against them."""

    def __init__(self, root: Path, sandbox) -> None:
        self.root = root
        self.sandbox = sandbox
        self.org = root / "org"
        shutil.copytree(FIXTURES / "org", self.org)
        self.state = self.org / "ovctl.state.json"

    def ovctl(self, *args: str, key: str = KEY) -> Run:
        env = {"OVCTL_API_KEY": key, "OVCTL_ENDPOINT": self.sandbox.url, "OVCTL_FLAVOR": "workleap"}
        return Run(*run_cli(args, env, drop=("OVCTL_API_KEY_FILE",)))

    def apply(self, *extra: str) -> Run:
        return self.ovctl("apply", str(self.org), "--auto-approve", *extra)

    def edit(self, old: str, new: str) -> None:
        path = self.org / "org.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def http(self):
        return self.sandbox.client()

    def account(self) -> dict:
        with self.http() as http:
            return http.get(wire.SANDBOX_SNAPSHOT).json()

    def syncs(self) -> list[dict]:
        with self.http() as http:
            return http.get(wire.SANDBOX_SYNCS).json()["syncs"]

    def settings(self, **changes) -> None:
        with self.http() as http:
            assert http.patch(wire.SANDBOX_SETTINGS, json=changes).status_code == 200


def _member(account: dict, email: str) -> dict:
    return next(m for m in account["members"] if m["email"] == email)


def _team(account: dict, officevibe_id: str) -> dict:
    return next(t for t in account["teams"] if t["officevibe_id"] == officevibe_id)


@pytest.fixture
def ws(tmp_path: Path, sandbox) -> Workspace:
    return Workspace(tmp_path, sandbox)


@pytest.fixture
def applied(ws: Workspace) -> Workspace:
    """A workspace whose org has been applied once (the adoption sync)."""
    first = ws.apply()
    assert first.rc == 0, first.text
    return ws


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory, module_sandbox) -> tuple[Workspace, Run, dict]:
    """One first sync shared by the read-only checks below: (workspace, its run, account after)."""
    w = Workspace(tmp_path_factory.mktemp("e2e-first"), module_sandbox)
    run = w.apply()
    return w, run, w.account()


# ------------------------------------------------------------------ first sync (read-only checks)


def test_first_sync_succeeds_and_converges(first) -> None:
    _, run, _ = first
    assert run.rc == 0, run.text
    assert "Apply complete" in run.out


def test_first_sync_adopts_name_matched_teams_keeping_their_identity(first) -> None:
    _, _, account = first
    eng = _team(account, "g-eng")
    assert eng["external_id"] == "ENG" and eng["name"] == "Engineering"
    assert len([t for t in account["teams"] if t["name"] == "Engineering"]) == 1  # adopted, not duplicated


def test_first_sync_adopts_email_matched_members(first) -> None:
    _, _, account = first
    ana = _member(account, "ana@acme.example")
    assert ana["external_id"] == "E1" and ana["status"] == "active"
    assert len([m for m in account["members"] if m["email"] == "ana@acme.example"]) == 1
    eve = _member(account, "eve@acme.example")  # new, invites off: created, not invited
    assert eve["external_id"] == "E5" and eve["status"] == "created"


def test_previous_name_rename_takes_two_syncs_and_keeps_the_team(first) -> None:
    w, run, account = first
    infra = _team(account, "g-infra")  # same Officevibe team: its history is kept
    assert infra["external_id"] == "ENG-PLAT"
    assert infra["name"] == "Platform Engineering"
    assert infra["parent"] == "g-eng"
    applied = [s for s in w.syncs() if s["status"] == "applied"]
    assert len(applied) == 2
    assert "sync 1/2" in run.out and "sync 2/2" in run.out


def test_admins_are_left_untouched(first) -> None:
    _, _, account = first
    admin = _member(account, "admin@acme.example")
    assert admin["role"] == "admin" and admin["status"] == "active" and admin["external_id"] is None


def test_rule_based_team_is_kept(first) -> None:
    _, _, account = first
    mtl = _team(account, "g-mtl")
    assert mtl["rule_based"] and mtl["members"] == ["ana@acme.example"]


def test_unknown_property_is_skipped_and_reported(first) -> None:
    _, run, account = first
    assert "skipped: Attribute Not Found — Shoe Size" in run.out
    assert "Shoe Size" not in _member(account, "bob@acme.example")["properties"]


def test_state_file_holds_external_ids_and_never_the_key(first) -> None:
    w, _, account = first
    text = w.state.read_text(encoding="utf-8")
    assert KEY not in text
    state = json.loads(text)
    ids = {t["officevibe_id"]: t["external_id"] for t in state["teams"]}
    assert ids["g-eng"] == "ENG" and ids["g-infra"] == "ENG-PLAT"
    assert state.get("applied_plans")


def test_second_apply_of_the_same_org_sends_nothing(first) -> None:
    w, _, _ = first
    before = len(w.syncs())
    again = w.apply()
    assert again.rc == 0, again.text
    assert "No changes" in again.out
    assert len(w.syncs()) == before


def test_new_plan_after_apply_is_empty(first) -> None:
    w, _, _ = first
    plan = w.ovctl("plan", str(w.org), "--detailed-exitcode")
    # nothing left to send, but the org's values the account skips (Shoe Size: no such property)
    # stay different: the plan says so and is pending (exit 2), not "No changes. The account matches"
    assert plan.rc == 2, plan.text
    assert "will still differ from the org" in plan.out and "matches the org" not in plan.out, plan.out


def test_pull_writes_the_account_with_external_ids(first) -> None:
    w, _, account = first
    out = w.root / "pulled.json"
    run = w.ovctl("pull", "--out", str(out), "--state-file", str(w.state))
    assert run.rc == 0, run.text
    pulled = json.loads(out.read_text(encoding="utf-8"))
    assert {t["officevibe_id"]: t["external_id"] for t in pulled["teams"]} == {
        t["officevibe_id"]: t["external_id"] for t in account["teams"]}
    assert "applied_plans" not in pulled


def test_bad_key_is_a_clear_error_and_the_key_is_never_shown(first) -> None:
    w, _, _ = first
    bad = "sk-definitely-wrong-91a7"
    state_before = w.state.read_bytes()
    for args in (("plan", str(w.org)), ("apply", str(w.org), "--auto-approve"), ("pull",)):
        run = w.ovctl(*args, key=bad)
        assert run.rc == 1, (args, run.text)
        assert "401" in run.err and "OVCTL_API_KEY" in run.err, run.err
        assert bad not in run.text and KEY not in run.text
        assert "Traceback" not in run.text
    assert w.state.read_bytes() == state_before


def test_apply_refuses_to_prompt_without_a_terminal(first) -> None:
    w, _, _ = first
    w.edit("name: Engineering", "name: Engineering Dept")
    try:
        before = len(w.syncs())
        run = w.ovctl("apply", str(w.org))
        assert run.rc == 1
        assert "--auto-approve" in run.err
        assert len(w.syncs()) == before
    finally:
        w.edit("name: Engineering Dept", "name: Engineering")


# ------------------------------------------------------------------ changes after the first sync


def test_rename_keeps_the_team(applied: Workspace) -> None:
    applied.edit("name: Engineering", "name: Engineering & Research")
    run = applied.apply()
    assert run.rc == 0, run.text
    assert "rename" in run.out.lower()
    eng = _team(applied.account(), "g-eng")
    assert (eng["external_id"], eng["name"]) == ("ENG", "Engineering & Research")


def test_deactivation_then_reactivation(applied: Workspace) -> None:
    applied.edit("members: [E3, E5]", "members: [E3]")
    applied.edit("  - {id: E5, email: eve@acme.example, first_name: Ève, last_name: Muñoz, properties: {Location: Paris}}\n", "")
    run = applied.apply()
    assert run.rc == 0, run.text
    assert "Ève Muñoz" in run.out  # every deactivation is listed by name
    assert _member(applied.account(), "eve@acme.example")["status"] == "deactivated"

    shutil.copy(FIXTURES / "org" / "org.yaml", applied.org / "org.yaml")
    run = applied.apply()
    assert run.rc == 0, run.text
    eve = _member(applied.account(), "eve@acme.example")
    assert eve["status"] == "active" and eve["external_id"] == "E5"


def test_pending_sync_is_reported_with_what_to_do(ws: Workspace) -> None:
    ws.settings(risk_thresholds={"users": 1, "teams": 1})
    run = ws.apply()
    assert run.rc == 1
    assert "paused" in run.err and "approve" in run.err.lower()
    assert [s["status"] for s in ws.syncs()] == ["pending"]
    assert not ws.state.exists()  # nothing was applied: nothing to record
    assert _team(ws.account(), "g-eng")["external_id"] is None
    # Against a sandbox the hint says how to approve there (not in Workleap's settings), and works.
    sync_id = ws.syncs()[0]["id"]
    approve = f"POST {ws.sandbox.url}/sandbox/syncs/{sync_id}/approve"
    assert approve in run.err and "docs/sandbox.md" in run.err and "Settings → Provisioning" not in run.err
    with ws.http() as http:
        assert http.post(wire.SANDBOX_APPROVE.format(sync_id=sync_id)).status_code == 200
    assert _team(ws.account(), "g-eng")["external_id"] == "ENG"


def test_pending_hint_knows_the_sandbox_even_through_the_export(ws: Workspace, monkeypatch) -> None:
    monkeypatch.setenv("OVCTL_EXPORT_ONLY", "1")
    ws.settings(risk_thresholds={"users": 1, "teams": 1})
    run = ws.apply()
    assert run.rc == 1
    assert f"/sandbox/syncs/{ws.syncs()[0]['id']}/approve" in run.err


def test_pending_hint_for_a_real_account_points_to_workleap() -> None:
    from ovctl.flows.send import approval_hint as _approval_hint

    class RealAccount:
        endpoint = None

        def is_sandbox(self) -> bool:
            return False

    assert "Settings → Provisioning → View sync history" in _approval_hint(RealAccount(), "s-1")


def test_stale_saved_plan_is_refused(applied: Workspace) -> None:
    applied.edit("name: Engineering", "name: Engineering & Research")
    plan_file = applied.root / "rename.plan.json"
    run = applied.ovctl("plan", str(applied.org), "--out", str(plan_file))
    assert run.rc == 0, run.text
    # The account changes behind the plan's back: someone else applies another org.
    other = applied.root / "other"
    shutil.copytree(applied.org, other)
    (other / "ovctl.state.json").unlink(missing_ok=True)
    text = (other / "org.yaml").read_text(encoding="utf-8")
    (other / "org.yaml").write_text(text.replace("name: Engineering & Research", "name: Eng"), encoding="utf-8")
    assert applied.ovctl("apply", str(other), "--auto-approve").rc == 0
    before = len(applied.syncs())
    stale = applied.ovctl("apply", str(plan_file), "--auto-approve")
    assert stale.rc == 1
    assert "changed since this plan was saved" in stale.err
    assert len(applied.syncs()) == before


def test_a_saved_plan_whose_bodies_were_edited_is_refused(applied: Workspace) -> None:
    """The shown plan says "1 rename"; a body cut to 3 members would deactivate the others."""
    applied.edit("name: Engineering", "name: Engineering & Research")
    plan_file = applied.root / "p.json"
    assert applied.ovctl("plan", str(applied.org), "--out", str(plan_file)).rc == 0
    doc = json.loads(plan_file.read_text(encoding="utf-8"))
    doc["payloads"][0]["members"] = doc["payloads"][0]["members"][:3]
    plan_file.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    before = len(applied.syncs())
    run = applied.ovctl("apply", str(plan_file), "--auto-approve")
    assert run.rc == 1
    assert "sync bodies do not match the plan it shows: the file was edited; run ovctl plan again" in run.err
    assert len(applied.syncs()) == before
    assert all(m["status"] != "deactivated" for m in applied.account()["members"])


def test_a_saved_plan_with_an_unchanged_body_order_is_still_accepted(applied: Workspace) -> None:
    """Re-encoding is exact: a plan file written by ovctl and not edited passes the check."""
    applied.edit("name: Engineering", "name: Engineering & Research")
    plan_file = applied.root / "p.json"
    assert applied.ovctl("plan", str(applied.org), "--out", str(plan_file)).rc == 0
    run = applied.ovctl("apply", str(plan_file), "--auto-approve")
    assert run.rc == 0, run.text


class _Recorder:
    """A plain HTTP server on loopback that records every request it gets (headers included)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        seen = self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:  # noqa: N802
                seen.append((self.command, self.path, dict(self.headers)))
                self.send_response(404)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = _answer

            def log_message(self, *a) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "_Recorder":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_endpoint_named_in_a_plan_file_never_receives_the_key(applied: Workspace) -> None:
    applied.edit("name: Engineering", "name: Engineering & Research")
    plan_file = applied.root / "p.json"
    assert applied.ovctl("plan", str(applied.org), "--out", str(plan_file)).rc == 0
    with _Recorder() as elsewhere:
        doc = json.loads(plan_file.read_text(encoding="utf-8"))
        doc["endpoint"] = elsewhere.url
        plan_file.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        before = len(applied.syncs())
        run = applied.ovctl("apply", str(plan_file), "--auto-approve")  # OVCTL_ENDPOINT: the sandbox
        assert run.rc == 1
        assert f"this plan was made against {elsewhere.url}" in run.err
        assert f"--endpoint {elsewhere.url} (or OVCTL_ENDPOINT)" in run.err
        assert elsewhere.requests == []  # the key never left for the host named in the file
        assert len(applied.syncs()) == before
        # Only an endpoint the user names sends there (and here the fingerprints would fail anyway).
        named = applied.ovctl("apply", str(plan_file), "--auto-approve", "--endpoint", elsewhere.url)
        assert named.rc == 1 and "made against" not in named.err
        assert elsewhere.requests  # that host was asked because the user named it


def test_a_saved_plan_made_against_another_endpoint_is_refused_before_any_request(applied: Workspace) -> None:
    applied.edit("name: Engineering", "name: Engineering & Research")
    plan_file = applied.root / "p.json"
    assert applied.ovctl("plan", str(applied.org), "--out", str(plan_file)).rc == 0
    with _Recorder() as elsewhere:
        run = applied.ovctl("apply", str(plan_file), "--auto-approve", "--endpoint", elsewhere.url)
        assert run.rc == 1
        assert f"this plan was made against {applied.sandbox.url}, not {elsewhere.url}" in run.err
        assert elsewhere.requests == []


def test_a_saved_plan_of_another_flavour_is_refused_with_the_hint(applied: Workspace) -> None:
    applied.edit("name: Engineering", "name: Engineering & Research")
    plan_file = applied.root / "p.json"
    assert applied.ovctl("plan", str(applied.org), "--out", str(plan_file), "--flavor", "legacy").rc == 0
    before = len(applied.syncs())
    run = applied.ovctl("apply", str(plan_file), "--auto-approve")  # OVCTL_FLAVOR=workleap
    assert run.rc == 1
    assert "made for the legacy flavour" in run.err and "--flavor legacy" in run.err
    assert len(applied.syncs()) == before
    ok = applied.ovctl("apply", str(plan_file), "--auto-approve", "--flavor", "legacy")
    assert ok.rc == 0, ok.text
    assert {s["flavor"] for s in applied.syncs()[before:]} == {"legacy"}


def test_saved_plan_is_refused_when_the_org_changed(applied: Workspace) -> None:
    applied.edit("name: Engineering", "name: Engineering & Research")
    plan_file = applied.root / "p.json"
    assert applied.ovctl("plan", str(applied.org), "--out", str(plan_file)).rc == 0
    applied.edit("name: Engineering & Research", "name: Engineering R&D")
    run = applied.ovctl("apply", str(plan_file), "--auto-approve")
    assert run.rc == 1 and "org changed" in run.err


def test_a_saved_plan_is_applied_once(applied: Workspace) -> None:
    applied.edit("name: Engineering", "name: Engineering & Research")
    plan_file = applied.root / "p.json"
    assert applied.ovctl("plan", str(applied.org), "--out", str(plan_file)).rc == 0
    assert KEY not in plan_file.read_text(encoding="utf-8")
    run = applied.ovctl("apply", str(plan_file), "--auto-approve")
    assert run.rc == 0, run.text
    assert _team(applied.account(), "g-eng")["name"] == "Engineering & Research"
    before = len(applied.syncs())
    again = applied.ovctl("apply", str(plan_file), "--auto-approve")
    assert again.rc == 1
    assert len(applied.syncs()) == before


def test_unsafe_plan_is_refused_without_force(applied: Workspace) -> None:
    # Re-keying a team loses its history: the guard refuses unless --force.
    applied.edit("id: ENG\n", "id: ENGINEERING\n")
    before = len(applied.syncs())
    run = applied.apply()
    assert run.rc == 3  # ExitCode.BLOCKED, as plan --detailed-exitcode
    assert "rekeyed_team" in run.err and "--force" in run.err
    assert len(applied.syncs()) == before
    forced = applied.apply("--force")
    assert forced.rc == 0, forced.text
    assert any(t["external_id"] == "ENGINEERING" for t in applied.account()["teams"])


def test_a_blocked_apply_exits_like_a_blocked_plan_with_one_line_and_sends_nothing(applied: Workspace) -> None:
    from ovctl.exitcodes import ExitCode

    applied.edit("id: ENG\n", "id: ENGINEERING\n")
    plan = applied.ovctl("plan", str(applied.org), "--detailed-exitcode")
    state_before = applied.state.read_bytes()
    before = len(applied.syncs())
    run = applied.apply()
    assert plan.rc == run.rc == ExitCode.BLOCKED == 3, run.text
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the plan is unsafe (rekeyed_team)"), run.err
    assert "nothing was sent" in lines[0]
    assert len(applied.syncs()) == before
    assert applied.state.read_bytes() == state_before


def test_a_property_missing_in_the_account_is_skipped_reported_and_converges(ws: Workspace) -> None:
    """The org declares Shoe Size; the account has no such property. The sync skips the value
    ("Attribute Not Found"), apply prints it, drops the property from what it expects, and the
    check plan is empty: apply succeeds, and later plans do not keep proposing the value."""
    run = ws.apply()
    assert run.rc == 0, run.text
    assert "skipped: Attribute Not Found — Shoe Size" in run.out
    assert "did not converge" not in run.err
    state = json.loads(ws.state.read_text(encoding="utf-8"))
    assert "Shoe Size" not in state["properties"]
    plan = ws.ovctl("plan", str(ws.org), "--format", "json", "--detailed-exitcode")
    assert plan.rc == 2, plan.text  # pending: the skipped values stay different (docs/plan.md)
    assert "Shoe Size" not in json.dumps(json.loads(plan.out)["changes"])


def test_an_option_missing_in_the_account_is_predicted_skipped_and_reported(tmp_path: Path, sandbox) -> None:
    """The account's Location has no "Paris" option: the plan predicts the skip of Ève's value, the
    sync report confirms it, and the check plan is empty (the value is not a change ovctl can make).
    Apply succeeds, but does not claim a full match: it counts what the account skipped."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    seed["properties"]["Location"]["options"] = ["Montréal"]
    sandbox.reset(seed)
    w = Workspace(tmp_path, sandbox)
    run = w.apply()
    assert run.rc == 0, run.text
    plan_part, _, sent_part = run.out.partition("sync 1/2")
    assert "Location (member E5: value 'Paris')" in plan_part  # predicted before anything was sent
    assert "skipped: Skipped User Attribute Option Not Found — Location" in sent_part
    assert "except for the 6 item(s) it skipped" in run.out  # 5 x Shoe Size, 1 x Location
    assert "the account matches the org." not in run.out
    assert "Location" not in _member(w.account(), "eve@acme.example")["properties"]
    again = w.ovctl("plan", str(w.org), "--detailed-exitcode")
    assert again.rc == 2, again.text  # nothing to send, but the skipped values stay different: pending
    assert "6 values the account will skip" in again.out, again.out


class _AcceptsButDoesNotApply:
    """A proxy in front of the sandbox that forwards every read but answers each sync with a bare
    success and drops it — a real account whose sync is still processing asynchronously."""

    def __init__(self, target: str) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import httpx

        self.syncs = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                r = httpx.get(target + self.path, headers=headers, timeout=30)
                self._send(r.status_code, r.content)

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length") or 0))
                proxy.syncs += 1
                self._send(202, json.dumps({"isSuccess": True, "syncId": f"async-{proxy.syncs}"}).encode())

            def _send(self, code: int, body: bytes) -> None:
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "_AcceptsButDoesNotApply":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_an_account_that_did_not_converge_is_reported(applied: Workspace, monkeypatch) -> None:
    """The sync is accepted (202, no status: taken as applied) but nothing changes yet: the check
    plan still has the rename, so apply prints it, says it did not converge and exits 1."""
    applied.edit("name: Engineering", "name: Engineering & Research")
    before = len(applied.syncs())
    with _AcceptsButDoesNotApply(applied.sandbox.url) as proxy:
        monkeypatch.setattr(applied.sandbox, "url", proxy.url)  # Workspace.ovctl sends OVCTL_ENDPOINT=url
        try:
            run = applied.apply()
        finally:
            monkeypatch.undo()
    assert proxy.syncs == 1 and len(applied.syncs()) == before  # sent, and really not applied
    assert run.rc == 1, run.text
    assert "error: the account did not converge: a new plan still has 1 change(s):" in run.err
    assert run.out.count('"Engineering" -> "Engineering & Research"') == 2  # the plan, then what is left
    assert "may still be processing" in run.err and "run ovctl plan" in run.err
    assert "Apply complete" not in run.out
    assert _team(applied.account(), "g-eng")["name"] == "Engineering"
    assert applied.state.exists()


def test_pull_out_under_a_file_is_a_clean_error(first) -> None:
    w, _, _ = first
    blocker = w.root / "afile"
    blocker.write_text("x", encoding="utf-8")
    run = w.ovctl("pull", "--out", str(blocker / "x.json"), "--state-file", str(w.state))
    assert run.rc == 1
    assert "is a file, not a directory" in run.err and "internal error" not in run.err
    run = w.ovctl("pull", "--out", str(w.root), "--state-file", str(w.state))
    assert run.rc == 1 and "is a directory" in run.err and "internal error" not in run.err


def test_legacy_flavor_applies_and_converges(ws: Workspace) -> None:
    run = ws.ovctl("apply", str(ws.org), "--auto-approve", "--flavor", "legacy")
    assert run.rc == 0, run.text
    assert {s["flavor"] for s in ws.syncs()} == {"legacy"}
    assert _team(ws.account(), "g-infra")["external_id"] == "ENG-PLAT"


class _Terminal(io.StringIO):
    """Typed answers on an interactive stdin."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("answer, applies", [("yes\n", True), ("y\n", False), ("\n", False)])
def test_only_yes_confirms(ws: Workspace, answer: str, applies: bool) -> None:
    from ovctl.flows.apply import ApplyIO, apply

    out = io.StringIO()
    os.environ["OVCTL_API_KEY"] = KEY
    try:
        rc = apply([ws.org], endpoint=ws.sandbox.url, io=ApplyIO(out=out, err=io.StringIO(), stdin=_Terminal(answer)))
    finally:
        os.environ.pop("OVCTL_API_KEY", None)
    assert "Only 'yes' is accepted" in out.getvalue()
    assert (rc == 0) is applies
    assert bool(ws.syncs()) is applies


def test_an_empty_section_is_never_sent_even_from_an_edited_plan_file(applied: Workspace) -> None:
    applied.edit("name: Engineering", "name: Engineering & Research")
    plan_file = applied.root / "p.json"
    assert applied.ovctl("plan", str(applied.org), "--out", str(plan_file)).rc == 0
    doc = json.loads(plan_file.read_text(encoding="utf-8"))
    doc["payloads"][0]["teamMappings"] = []
    plan_file.write_text(json.dumps(doc), encoding="utf-8")
    before = len(applied.syncs())
    run = applied.ovctl("apply", str(plan_file), "--auto-approve")
    assert run.rc == 1
    assert "'teamMappings' section would be empty" in run.err
    assert len(applied.syncs()) == before


def test_a_saved_plan_is_refused_after_the_account_was_put_back(applied: Workspace) -> None:
    """Same org, same account as when the plan was saved — but the plan was already applied once."""
    applied.edit("name: Engineering", "name: Engineering & Research")
    plan_file = applied.root / "p.json"
    assert applied.ovctl("plan", str(applied.org), "--out", str(plan_file)).rc == 0
    assert applied.ovctl("apply", str(plan_file), "--auto-approve").rc == 0
    applied.edit("name: Engineering & Research", "name: Engineering")  # put the account back
    assert applied.apply().rc == 0
    applied.edit("name: Engineering", "name: Engineering & Research")
    before = len(applied.syncs())
    run = applied.ovctl("apply", str(plan_file), "--auto-approve")
    assert run.rc == 1
    assert "already applied" in run.err
    assert len(applied.syncs()) == before
