"""End to end: the real CLI (in-process) against a real sandbox process on loopback.

The seeded account (tests/fixtures/e2e/seed.json) is what a company has before ovctl: teams and
members without external ids, an admin, a rule-based team. The org (tests/fixtures/e2e/org/)
claims them: Engineering by name, Infrastructure via ``previous_name`` (two syncs), members by
email, plus one new member and one property the account does not have.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from ovctl import wire
from ovctl.cli import main
from support.sandbox_proc import start_sandbox

FIXTURES = Path(__file__).parent / "fixtures" / "e2e"
SEED = FIXTURES / "seed.json"
KEY = "sk-e2e-4c1d2b9e8f"


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
        saved = {k: os.environ.get(k) for k in (*env, "OVCTL_API_KEY_FILE")}
        os.environ.update(env)
        os.environ.pop("OVCTL_API_KEY_FILE", None)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = main(list(args))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return Run(rc, out.getvalue(), err.getvalue())

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


@contextlib.contextmanager
def _workspace(root: Path) -> Iterator[Workspace]:
    proc = start_sandbox(root, seed=SEED, api_key=KEY)
    try:
        yield Workspace(root, proc)
    finally:
        proc.stop()


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with _workspace(tmp_path) as w:
        yield w


@pytest.fixture
def applied(ws: Workspace) -> Workspace:
    """A workspace whose org has been applied once (the adoption sync)."""
    first = ws.apply()
    assert first.rc == 0, first.text
    return ws


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Run, dict]]:
    """One first sync shared by the read-only checks below: (workspace, its run, account after)."""
    with _workspace(tmp_path_factory.mktemp("e2e-first")) as w:
        run = w.apply()
        yield w, run, w.account()


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
    assert plan.rc == 0, plan.text


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
    assert run.rc == 1
    assert "rekeyed_team" in run.err and "--force" in run.err
    assert len(applied.syncs()) == before
    forced = applied.apply("--force")
    assert forced.rc == 0, forced.text
    assert any(t["external_id"] == "ENGINEERING" for t in applied.account()["teams"])


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
    from ovctl.applyflow import ApplyIO, apply

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
