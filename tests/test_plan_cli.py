"""``ovctl plan`` and ``ovctl graph`` through the real CLI entry point: stdout/stderr discipline,
exit codes (plain and --detailed-exitcode), --force, --out, errors without tracebacks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from render_samples import EXAMPLE_ORG, EXAMPLE_STATE, REPO

from ovctl.files import planfile
from ovctl.cli import main
from ovctl.console import Console

SCHEMA = json.loads((REPO / "schemas" / "plan.schema.json").read_text(encoding="utf-8"))
ORG, STATE = str(EXAMPLE_ORG), str(EXAMPLE_STATE)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def converged_state(tmp_path: Path) -> Path:
    """A snapshot the example org plans to zero changes against: the example state after the plan's syncs."""
    from ovctl.core.engine import simulate
    from ovctl.files.orgfile import load_org
    from ovctl.core.plan import build_plan
    from ovctl.files.statefile import read_snapshot, write_snapshot

    snap = read_snapshot(EXAMPLE_STATE)
    for payload in build_plan(load_org([EXAMPLE_ORG]).org, snap).payloads:
        snap, _ = simulate(snap, payload)
    path = tmp_path / "converged.json"
    write_snapshot(path, snap)
    return path


@pytest.fixture
def leavers_state(tmp_path: Path) -> Path:
    """The example state plus 8 active members the org no longer lists: the deactivation guard fires."""
    doc = json.loads(EXAMPLE_STATE.read_text(encoding="utf-8"))
    for i in range(8):
        doc["members"].append({"email": f"leaver{i}@acme.example", "external_id": f"E20{i:02d}", "first_name": "Leaver",
                               "last_name": f"N{i}", "status": "active", "role": "member", "properties": {}})
    path = tmp_path / "leavers.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_json_format_prints_only_valid_json_on_stdout(capsys):
    code, out, err = run(capsys, "plan", ORG, "--state", STATE, "--format", "json")
    assert code == 0
    doc = json.loads(out)  # the whole stdout is one JSON document
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert doc["organization"] == "Acme" and doc["safe"] is True and doc["syncs"] == 2


def test_text_format_is_plain_when_stdout_is_not_a_terminal(capsys):
    code, out, _ = run(capsys, "plan", ORG, "--state", STATE)
    assert code == 0 and "\033[" not in out
    assert out.splitlines()[0] == "Plan for Acme: applied in 2 syncs (previous_name renames)."
    assert out.rstrip().splitlines()[-1].startswith("Plan: 2 to create,")


def test_markdown_format_with_masked_emails(capsys):
    code, out, _ = run(capsys, "plan", ORG, "--state", STATE, "--format", "markdown", "--mask-emails")
    assert code == 0 and out.startswith("## ovctl plan: Acme")
    assert "marc-antoine.caron@" not in out and "m\\*\\*\\*@acme.example" in out


def test_detailed_exitcode_two_when_changes_are_pending(capsys):
    assert run(capsys, "plan", ORG, "--state", STATE, "--detailed-exitcode")[0] == 2


def test_detailed_exitcode_zero_when_nothing_changes(capsys, converged_state):
    code, out, _ = run(capsys, "plan", ORG, "--state", str(converged_state), "--detailed-exitcode")
    assert code == 0
    # the example's admin (not in the org) stays in a team: named, and the plan does not say "matches"
    assert "[admin_kept_in_team]" in out and "The account matches the org" not in out
    assert out.rstrip().endswith("No changes to send, but the account will still differ from the org: 1 team role "
                                 "of admins or executives the org leaves out, which the sync does not touch (see the "
                                 "warnings).")


def test_detailed_exitcode_three_when_a_guard_blocks(capsys, leavers_state):
    code, out, err = run(capsys, "plan", ORG, "--state", str(leavers_state), "--detailed-exitcode")
    assert code == 3
    assert "deactivation_ratio" in out and "deactivation_ratio" in err


def test_guard_without_detailed_exitcode_prints_the_plan_then_fails(capsys, leavers_state):
    code, out, err = run(capsys, "plan", ORG, "--state", str(leavers_state))
    assert code == 1
    assert "Guards: this plan is blocked" in out and "leaver3@acme.example" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "deactivation_ratio" in lines[0] and "re-run with --force to proceed anyway" in lines[0]


def test_force_lifts_the_guard_and_says_so(capsys, leavers_state):
    code, out, err = run(capsys, "plan", ORG, "--state", str(leavers_state), "--force")
    assert code == 0
    assert "lifted by --force" in out and "lifted by --force" in err
    assert run(capsys, "plan", ORG, "--state", str(leavers_state), "--force", "--detailed-exitcode")[0] == 2
    code, out, _ = run(capsys, "plan", ORG, "--state", str(leavers_state), "--force", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["forced"] is True and doc["safe"] is False and doc["guards"]


def test_invalid_org_fails_with_positions_and_empty_stdout(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    text = EXAMPLE_ORG.read_text(encoding="utf-8").replace("managers: [E1023]", "managers: [E9999]")
    bad.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "plan", str(bad), "--state", STATE, "--format", "json")
    assert code == 1 and out == ""
    assert f"{bad}:" in err and any(line.startswith(f"{bad}:") and line.split(":")[1].isdigit()
                                    and line.split(":")[2].isdigit() for line in err.splitlines()), err
    assert "E9999" in err and "Traceback" not in err


def test_missing_state_file_is_a_clean_error(capsys, tmp_path):
    code, out, err = run(capsys, "plan", ORG, "--state", str(tmp_path / "nope.json"))
    assert code == 1 and out == ""
    assert "nope.json" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_out_writes_a_plan_file_without_the_key(capsys, tmp_path, monkeypatch):
    secret = "sk-test-NEVER-IN-FILES-9876"
    monkeypatch.setenv("OVCTL_API_KEY", secret)
    path = tmp_path / "saved.json"
    code, out, err = run(capsys, "plan", ORG, "--state", STATE, "--format", "json", "--out", str(path),
                         "--flavor", "legacy")
    assert code == 0
    json.loads(out)  # the --out message went to stderr, not into the JSON
    assert f"Saved the plan to {path}" in err
    assert secret not in path.read_text(encoding="utf-8")
    saved = planfile.load_plan(path)
    assert planfile.is_plan_file(path)
    assert saved.flavor == "legacy" and len(saved.payloads) == 2
    assert saved.org_paths == [EXAMPLE_ORG] and saved.plan == {**json.loads(out)}
    assert saved.payloads[0]["settings"] == {"inviteNewUsers": False}  # the account's setting, kept


def test_unknown_flavor_is_a_usage_error(capsys):
    code, out, err = run(capsys, "plan", ORG, "--state", STATE, "--flavor", "soap")
    assert code != 0 and out == ""


class _FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color():
    assert Console(out=_FakeTTY(), environ={}).color() is True
    assert Console(out=io.StringIO(), environ={}).color() is False
    assert Console(out=_FakeTTY(), environ={"NO_COLOR": "1"}).color() is False
    # no-color.org: only a non-empty value disables colour
    assert Console(out=_FakeTTY(), environ={"NO_COLOR": ""}).color() is True


def test_graph_command_mermaid_and_dot(capsys):
    code, out, _ = run(capsys, "graph", ORG, "--state", STATE)
    assert code == 0 and out.startswith("flowchart TD") and "class " in out
    code, out, _ = run(capsys, "graph", ORG, "--format", "dot")
    assert code == 0 and out.startswith("digraph org {") and "fillcolor" not in out


def test_live_plan_reports_drift_against_the_state_file(capsys, tmp_path, shared_sandbox, monkeypatch):
    """Without --state the plan pulls the account; what changed in the app since the state file shows as drift."""
    sb = shared_sandbox(EXAMPLE_STATE)
    state = json.loads(EXAMPLE_STATE.read_text(encoding="utf-8"))
    support = next(t for t in state["teams"] if t.get("external_id") == "SUPPORT")
    support["name"] = "Support Crew"  # ovctl last saw this name; someone renamed it in the app since
    state_file = tmp_path / "ovctl.state.json"
    state_file.write_text(json.dumps(state), encoding="utf-8")
    monkeypatch.setenv("OVCTL_API_KEY", sb.api_key)
    code, out, err = run(capsys, "plan", ORG, "--endpoint", sb.url, "--state-file", str(state_file))
    assert code == 0, err
    drift = out[out.index("Drift:"):out.index("Teams:")]
    assert '~ team rename [SUPPORT] "Support Crew" -> "Support"' in drift


@pytest.fixture
def org_without_e1020(tmp_path: Path) -> Path:
    """The example org after its head of People left: removed from members and teams, still protected."""
    text = EXAMPLE_ORG.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines(keepends=True) if "{id: E1020," not in line]
    text = "".join(lines).replace("members: [E1002, E1010, E1020]", "members: [E1002, E1010]") \
        .replace("managers: [E1020]", "managers: [E1021]\n    members: [E1022]\n    # was").replace(
            "    # was\n    members: [E1021, E1022]", "")
    assert "E1020" in text and "id: E1020" not in text and text.count("E1020") == 1  # only in settings.protected
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_protected_member_removed_from_the_yaml_is_still_guarded(capsys, org_without_e1020):
    code, out, err = run(capsys, "plan", str(org_without_e1020), "--state", STATE)
    assert code == 1
    assert "protected_member" in out and "protected_member" in err and "E1020" in out
    assert "protected member 'E1020' is not in the org" in out  # the validation warning says why
    assert run(capsys, "plan", str(org_without_e1020), "--state", STATE, "--detailed-exitcode")[0] == 3


def test_force_lifts_the_protected_member_guard(capsys, org_without_e1020):
    code, out, err = run(capsys, "plan", str(org_without_e1020), "--state", STATE, "--force")
    assert code == 0
    assert "protected_member" in out and "lifted by --force" in out
    assert "beatriz.sanchez@acme.example" in out  # the deactivation is in the plan
