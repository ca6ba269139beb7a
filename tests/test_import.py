"""ovctl import (live, state, csv), re-import in place, and fmt: the real CLI, a real sandbox."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from support.cli import run_cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
KEY = "sk-import-test"


def ovctl(*args: str, sandbox=None) -> tuple[int, str, str]:
    env = {"OVCTL_API_KEY": KEY, "OVCTL_ENDPOINT": sandbox.url} if sandbox is not None else {}
    return run_cli(args, env, drop=("OVCTL_API_KEY", "OVCTL_ENDPOINT", "OVCTL_API_KEY_FILE", "OVCTL_FLAVOR"))


def plan_changes(org: Path, state: Path | None = None, sandbox=None, *extra: str) -> tuple[int, list[dict]]:
    args = ["plan", str(org), "--format", "json", "--detailed-exitcode", *extra]
    if state is not None:
        args += ["--state", str(state)]
    rc, out, err = ovctl(*args, sandbox=sandbox)
    assert rc in (0, 2), err
    return rc, json.loads(out)["changes"]


@pytest.fixture
def applied_sandbox(sandbox_factory, tmp_path):
    """The example account after `ovctl apply examples/org.yaml`: every team and member has an id."""
    sb = sandbox_factory(seed=EXAMPLES / "state.json", api_key=KEY)
    work = tmp_path / "applied"
    work.mkdir()
    shutil.copy(EXAMPLES / "org.yaml", work / "org.yaml")
    rc, out, err = ovctl("apply", str(work / "org.yaml"), "--auto-approve", sandbox=sb)
    assert rc == 0, err
    return sb


# --------------------------------------------------------------------------- state / live


def test_import_state_of_example_account_only_attaches_ids(tmp_path):
    out = tmp_path / "org.yaml"
    rc, _, err = ovctl("import", "state", str(EXAMPLES / "state.json"), "--out", str(out))
    assert rc == 0, err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert "team id derived by ovctl" in text
    assert "Montréal Office" not in text  # rule-based: not managed by the sync
    assert "E1027" not in text  # deactivated: stays deactivated
    assert ovctl("validate", str(out))[0] == 0
    rc, changes = plan_changes(out, EXAMPLES / "state.json")
    assert rc == 2
    assert {(c["kind"], c["action"]) for c in changes} == {("team", "adopt")}
    assert {c["name"] for c in changes} == {"Infrastructure", "People & Culture"}


def test_import_live_and_state_plan_no_changes(applied_sandbox, tmp_path):
    sb = applied_sandbox
    for out in (tmp_path / "live.yaml", tmp_path / "live-dir"):
        rc, _, err = ovctl("import", "live", "--out", str(out), "--state-file", str(tmp_path / "none.json"), sandbox=sb)
        assert rc == 0, err
        assert "derived" not in err  # the applied account has ids for everything
        rc, changes = plan_changes(out, None, sb, "--state-file", str(tmp_path / "none.json"))
        assert (rc, changes) == (0, [])
    assert (tmp_path / "live-dir" / "org.yaml").is_file() and len(list((tmp_path / "live-dir").glob("*.yaml"))) > 2
    snap = tmp_path / "pulled.json"
    assert ovctl("pull", "--out", str(snap), "--state-file", str(tmp_path / "none.json"), sandbox=sb)[0] == 0
    out = tmp_path / "from-state.yaml"
    assert ovctl("import", "state", str(snap), "--out", str(out))[0] == 0
    assert plan_changes(out, snap) == (0, [])


def test_import_state_generated_10000_members(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from gen_org import generate
    finally:
        sys.path.pop(0)
    from ovctl.core.engine import simulate
    from ovctl.core.plan import build_plan
    from ovctl.files.orgfile import load_org
    from ovctl.files.statefile import read_snapshot, write_snapshot

    org_path, state_path = generate(10_000, [8, 5, 4], tmp_path / "gen")
    state = read_snapshot(state_path)
    for payload in build_plan(load_org([org_path]).org, state, force=True).payloads:
        state, _ = simulate(state, payload)
    converged = tmp_path / "converged.json"
    write_snapshot(converged, state)
    out = tmp_path / "big"
    rc, _, err = ovctl("import", "state", str(converged), "--out", str(out))
    assert rc == 0, err
    assert plan_changes(out, converged) == (0, [])


# --------------------------------------------------------------------------- csv


@pytest.mark.parametrize("flavor", ["workleap", "legacy"])
def test_import_csv_plans_no_changes(applied_sandbox, tmp_path, flavor):
    csv_dir = tmp_path / "csv"
    assert ovctl("render", str(EXAMPLES / "org.yaml"), "--format", "csv", "--flavor", flavor, "--out", str(csv_dir))[0] == 0
    out = tmp_path / "org.yaml"
    rc, _, err = ovctl("import", "csv", str(csv_dir), "--out", str(out))
    assert rc == 0, err
    state = tmp_path / "state.json"
    assert ovctl("pull", "--out", str(state), "--state-file", str(tmp_path / "none.json"), sandbox=applied_sandbox)[0] == 0
    assert plan_changes(out, state) == (0, [])


def test_import_csv_errors_name_file_and_line(tmp_path):
    csv_dir = tmp_path / "csv"
    assert ovctl("render", str(EXAMPLES / "org.yaml"), "--format", "csv", "--out", str(csv_dir))[0] == 0
    mappings = csv_dir / "teams-mappings.csv"
    lines = mappings.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("true", "maybe", 1).replace("false", "maybe", 1)
    mappings.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "org.yaml"
    rc, _, err = ovctl("import", "csv", str(csv_dir), "--out", str(out))
    assert rc == 1 and f"{mappings}:4:" in err and "Traceback" not in err
    assert not out.exists()
    (csv_dir / "members.csv").write_text("externalMemberId,email\nE1,a@x.example\n", encoding="utf-8")
    rc, _, err = ovctl("import", "csv", str(csv_dir), "--out", str(out))
    assert rc == 1 and "members.csv:1: missing column(s) firstName, lastName" in err
    rc, _, err = ovctl("import", "csv", str(tmp_path), "--out", str(out))
    assert rc == 1 and "no CSV files of the official script" in err


# --------------------------------------------------------------------------- re-import


def _edit_snapshot(src: Path, dst: Path) -> None:
    """A week later: E1022 left, E1031 joined Sales Europe, E1005 moved to Site Reliability."""
    d = json.loads(src.read_text(encoding="utf-8"))
    d["members"] = [m for m in d["members"] if m.get("external_id") != "E1022"]
    d["members"].append({"email": "new.person@acme.example", "external_id": "E1031", "first_name": "New",
                         "last_name": "Person", "job_title": None, "language": "en", "status": "active",
                         "role": "member", "properties": {"Location": "Paris"}})
    for t in d["teams"]:
        t["members"] = [e for e in t["members"] if e not in ("jose.marquez@acme.example", "joao.pereira@acme.example")]
        if t["name"] == "Sales Europe":
            t["members"].append("new.person@acme.example")
        if t["name"] == "Site Reliability":
            t["members"].append("joao.pereira@acme.example")
    dst.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("layout", ["org.yaml", "org-dir"])
def test_reimport_keeps_what_people_wrote(tmp_path, layout):
    out = tmp_path / layout
    assert ovctl("import", "state", str(EXAMPLES / "state.json"), "--out", str(out))[0] == 0
    main_file = out if layout == "org.yaml" else out / "org.yaml"
    text = main_file.read_text(encoding="utf-8")
    text = text.replace("settings:\n", "settings:  # reviewed by @people-ops\n", 1)
    text = text.replace("floor: 5}", "floor: 3}\n  protected: [E1001]  # the CEO", 1)
    main_file.write_text(text, encoding="utf-8")
    week2 = tmp_path / "week2.json"
    _edit_snapshot(EXAMPLES / "state.json", week2)
    rc, _, err = ovctl("import", "state", str(week2), "--out", str(out))
    assert rc == 0, err
    text = main_file.read_text(encoding="utf-8")
    assert "# reviewed by @people-ops" in text and "protected: [E1001]  # the CEO" in text and "floor: 3}" in text
    everything = "".join(p.read_text(encoding="utf-8") for p in ([out] if out.is_file() else sorted(out.glob("*.yaml"))))
    assert "E1022" not in everything and "E1031" in everything
    assert everything.count("team id derived by ovctl") == 2  # the derived ids and their comments are kept
    rc, changes = plan_changes(out, week2)
    assert [(c["kind"], c["action"]) for c in changes if c["kind"] != "team"] == []
    before = {p: p.read_bytes() for p in ([out] if out.is_file() else out.glob("*.yaml"))}
    rc, _, err = ovctl("import", "state", str(week2), "--out", str(out))
    assert rc == 0 and "no file changed" in err
    assert before == {p: p.read_bytes() for p in before}


def test_import_refuses_broken_source_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"members": [{"email": "x"}]}', encoding="utf-8")
    out = tmp_path / "org"
    rc, _, err = ovctl("import", "state", str(bad), "--out", str(out))
    assert rc == 1 and "bad.json" in err and "Traceback" not in err
    assert not out.exists()


# --------------------------------------------------------------------------- fmt


def test_fmt_examples_are_canonical():
    rc, _, err = ovctl("fmt", "--check", str(EXAMPLES / "org.yaml"), str(EXAMPLES / "org-split"))
    assert rc == 0, err


def test_fmt_rewrites_keeps_comments_and_plan(tmp_path):
    for name in ("org.yaml", "org-split"):
        src = EXAMPLES / name
        dst = tmp_path / name
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy(src, dst)
    messy = tmp_path / "org.yaml"
    text = messy.read_text(encoding="utf-8")
    text = text.replace("  - id: EXEC\n    name: Leadership Team\n    managers: [E1001]\n",
                        "  - name: 'Leadership Team'   # the board\n    managers:\n      - E1001\n    id: \"EXEC\"\n")
    text = text.replace("version: 1\norganization: Acme\n", "organization: \"Acme\"\nversion: 1\n")
    messy.write_text(text, encoding="utf-8")
    _, before = plan_changes(messy, EXAMPLES / "state.json", None, "--force")
    rc, _, err = ovctl("fmt", "--check", str(messy), str(tmp_path / "org-split"))
    assert rc == 1 and f"would reformat {messy}" in err and "org-split" not in err
    assert messy.read_text(encoding="utf-8") == text  # --check writes nothing
    rc, out, _ = ovctl("fmt", "--diff", str(messy))
    assert "+  - id: EXEC" in out
    assert ovctl("fmt", str(messy))[0] == 0
    formatted = messy.read_text(encoding="utf-8")
    assert "  - id: EXEC\n    name: Leadership Team  " in formatted and "# the board" in formatted
    assert formatted == (EXAMPLES / "org.yaml").read_text(encoding="utf-8").replace(
        "name: Leadership Team\n", "name: Leadership Team     # the board\n") or "# the board" in formatted
    assert ovctl("fmt", "--check", str(messy))[0] == 0
    _, after = plan_changes(messy, EXAMPLES / "state.json", None, "--force")
    assert before == after


def test_fmt_refuses_invalid_yaml_and_writes_nothing(tmp_path):
    good = tmp_path / "a.yaml"
    good.write_text("organization: 'X'\nversion: 1\n", encoding="utf-8")
    bad = tmp_path / "b.yaml"
    bad.write_text("teams: [\n", encoding="utf-8")
    rc, _, err = ovctl("fmt", str(tmp_path))
    assert rc == 1 and f"{bad}:" in err and "Traceback" not in err
    assert good.read_text(encoding="utf-8") == "organization: 'X'\nversion: 1\n"


def test_fmt_fast_path_agrees_with_round_trip(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from gen_org import generate
    finally:
        sys.path.pop(0)
    from ovctl.files.orgwriter import format_text, format_text_fast

    _, state = generate(400, [3, 2], tmp_path / "gen")
    out = tmp_path / "org.yaml"
    assert ovctl("import", "state", str(state), "--out", str(out))[0] == 0
    text = out.read_text(encoding="utf-8")
    variants = [text, text.replace("\n  - {id: E100005,", "\n  # hired in May\n  - {id: E100005,", 1),
                text.replace("language: en", 'language: "en"', 1)]
    for v in variants:
        assert format_text_fast(v, "org.yaml") == format_text(v, "org.yaml")
