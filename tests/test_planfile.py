"""Saved plan files: exact wire bodies, fingerprints, no key, atomic, clear errors for bad files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from render_samples import EXAMPLE_STATE, guarded_plan

from ovctl.files import planfile
from ovctl.account import wire
from ovctl.core.errors import PlanFileError

REPO = Path(__file__).resolve().parent.parent


def _save(tmp_path: Path, **kw) -> Path:
    path = tmp_path / "plan.json"
    args = dict(flavor="workleap", org_paths=[Path("examples/org.yaml")], endpoint="http://127.0.0.1:8765")
    args.update(kw)
    planfile.save_plan(path, guarded_plan(), **args)
    return path


@pytest.mark.parametrize("flavor", wire.FLAVORS)
def test_round_trip_keeps_the_exact_wire_bodies(tmp_path, flavor):
    plan = guarded_plan()
    path = tmp_path / "p.json"
    planfile.save_plan(path, plan, flavor=flavor, org_paths=[Path("org")], invite_new_users=True)
    saved = planfile.load_plan(path)
    fl = wire.flavor(flavor)
    assert saved.payloads == [wire.encode_payload(p, fl, invite_new_users=True) for p in plan.payloads]
    assert len(saved.payloads) == 2 and saved.flavor == flavor
    assert saved.fingerprints == {"desired": plan.fingerprint_desired, "state": plan.fingerprint_state}
    assert saved.plan["changes"][0]["id"] == "RND-LAB" and saved.plan["syncs"] == 2
    assert saved.version and saved.created_at.endswith("Z")


def test_org_paths_are_made_absolute_and_endpoint_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    saved = planfile.load_plan(_save(tmp_path, org_paths=[Path("orgdir"), Path("more/x.yaml")]))
    assert saved.org_paths == [tmp_path / "orgdir", tmp_path / "more" / "x.yaml"]
    assert saved.endpoint == "http://127.0.0.1:8765"
    assert planfile.load_plan(_save(tmp_path, endpoint=None)).endpoint is None


def test_the_api_key_is_never_written(tmp_path, monkeypatch):
    secret = "sk-live-DO-NOT-WRITE-4242"
    monkeypatch.setenv("OVCTL_API_KEY", secret)
    keyfile = tmp_path / "key.txt"
    keyfile.write_text(secret)
    monkeypatch.setenv("OVCTL_API_KEY_FILE", str(keyfile))
    path = _save(tmp_path, endpoint=f"https://user:{secret}@api.example:8443/base")
    text = path.read_text(encoding="utf-8")
    assert secret not in text
    assert planfile.load_plan(path).endpoint == "https://api.example:8443/base"


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = _save(tmp_path)
    path.write_text("old", encoding="utf-8")
    _save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]
    assert json.loads(path.read_text(encoding="utf-8"))["format_version"] == planfile.FORMAT_VERSION


def _broken(tmp_path: Path, edit) -> Path:
    path = _save(tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("edit, field", [
    (lambda d: d.pop("payloads"), "'payloads' is missing"),
    (lambda d: d.update(payloads=[]), "'payloads' is empty"),
    (lambda d: d.update(payloads=[1, 2]), "'payloads[0]'"),
    (lambda d: d.update(flavor="soap"), "'flavor' is 'soap'"),
    (lambda d: d.update(format_version=7), "'format_version' is 7"),
    (lambda d: d.update(org_paths=[]), "'org_paths'"),
    (lambda d: d["fingerprint"].update(state="abc"), "'fingerprint.state'"),
    (lambda d: d["payloads"].pop(), "'payloads' holds 1 sync bodies but 'plan.syncs' says 2"),
    (lambda d: d["plan"]["fingerprint"].update(desired="sha256:" + "0" * 64), "differs from 'plan.fingerprint'"),
    (lambda d: d.update(endpoint=5), "'endpoint'"),
    (lambda d: d.pop("ovctl_version"), "'ovctl_version' is missing"),
])
def test_broken_plan_file_names_the_field(tmp_path, edit, field):
    with pytest.raises(PlanFileError) as e:
        planfile.load_plan(_broken(tmp_path, edit))
    assert field in str(e.value) and str(tmp_path / "plan.json") in str(e.value)


def test_unreadable_files_give_one_clean_error(tmp_path):
    with pytest.raises(PlanFileError, match="plan file not found"):
        planfile.load_plan(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"plan": {},\n  "payloads": [oops]}', encoding="utf-8")
    with pytest.raises(PlanFileError, match=r"bad\.json:2:16: not valid JSON"):
        planfile.load_plan(bad)
    foreign = tmp_path / "list.json"
    foreign.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(PlanFileError, match="not an ovctl plan file"):
        planfile.load_plan(foreign)


def test_is_plan_file_tells_plans_from_org_paths(tmp_path):
    assert planfile.is_plan_file(_save(tmp_path))
    assert not planfile.is_plan_file(EXAMPLE_STATE)  # a snapshot is JSON but not a plan
    assert not planfile.is_plan_file(tmp_path)  # a directory of org files
    yaml = tmp_path / "org.yaml"
    yaml.write_text("plan: 1\npayloads: []\n", encoding="utf-8")
    assert not planfile.is_plan_file(yaml)
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\xfe{")
    assert not planfile.is_plan_file(garbage)
    assert not planfile.is_plan_file(tmp_path / "missing.json")


@pytest.mark.parametrize("text, message", [
    ('{"plan": {}, "payloads": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ('{"plan": {}, "payloads": [' + "1" * 5000 + "]}", "a number has too many digits"),
])
def test_parser_limits_are_plan_file_errors_not_crashes(tmp_path, text, message):
    # fuzzing: json.loads raises RecursionError / a plain ValueError (not JSONDecodeError) for these
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    assert not planfile.is_plan_file(path)  # never raises
    with pytest.raises(PlanFileError, match=rf"p\.json: not valid JSON: {message}"):
        planfile.load_plan(path)


def test_apply_of_a_too_deeply_nested_json_file_is_a_clean_error(tmp_path, capsys):
    from ovctl.cli import main

    path = tmp_path / "p.json"
    path.write_text('{"plan": {}, "payloads": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    assert main(["apply", str(path), "--auto-approve"]) == 1
    err = capsys.readouterr().err
    assert "p.json" in err and "internal error" not in err and "Traceback" not in err


def test_default_state_file_beside_the_org(tmp_path):
    orgdir = tmp_path / "org"
    orgdir.mkdir()
    (orgdir / "eng.yaml").write_text("", encoding="utf-8")
    assert planfile.default_state_file([orgdir]) == orgdir / "ovctl.state.json"
    assert planfile.default_state_file([orgdir / "eng.yaml", tmp_path / "x.yaml"]) == orgdir / "ovctl.state.json"
    assert planfile.default_state_file([orgdir], tmp_path / "custom.json") == tmp_path / "custom.json"
    assert planfile.default_state_file([]) == Path("ovctl.state.json")


def test_apply_of_a_truncated_plan_file_says_it_is_a_broken_plan_file(tmp_path, capsys):
    from ovctl.cli import main

    saved = tmp_path / "plan.json"
    rc = main(["plan", str(REPO / "examples/org.yaml"), "--state", str(REPO / "examples/state.json"),
               "--out", str(saved)])
    assert rc == 0
    capsys.readouterr()
    saved.write_text(saved.read_text(encoding="utf-8")[:200], encoding="utf-8")
    assert main(["apply", str(saved), "--auto-approve"]) == 1
    err = capsys.readouterr().err
    assert "plan.json:" in err and "not valid JSON" in err and "YAML" not in err


@pytest.mark.parametrize("bad", ["/", "examples/\0org.yaml"])
def test_a_plan_file_naming_the_filesystem_root_as_its_org_is_refused(tmp_path, bad):
    path = _save(tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["org_paths"] = [bad]
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(PlanFileError, match="org_paths"):
        planfile.load_plan(path)


# --------------------------------------------------------------------------- portable plans (issue 9)


def _repo(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    (root / "orgs" / "acme").mkdir(parents=True)
    (root / "orgs" / "acme" / "org.yaml").write_text("organization: x\n", encoding="utf-8")
    return root


def test_org_paths_are_stored_relative_to_the_repository_root(tmp_path, monkeypatch):
    repo = _repo(tmp_path / "repo")
    monkeypatch.chdir(repo / "orgs")
    path = _save(tmp_path, org_paths=[Path("acme")])
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["org_base"] == "repository" and doc["org_paths"] == ["orgs/acme"]
    assert str(tmp_path) not in json.dumps(doc["org_paths"])
    # resolved against the repository holding the plan file, wherever apply runs
    copy = _repo(tmp_path / "clone")
    moved = copy / "plan.json"
    moved.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    saved = planfile.load_plan(moved, check_paths=True)
    assert saved.org_paths == [copy / "orgs" / "acme"] and saved.base_dir == copy


def test_a_plan_outside_any_repository_resolves_against_the_current_repository(tmp_path, monkeypatch):
    repo = _repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    (tmp_path / "out").mkdir()
    path = _save(tmp_path / "out", org_paths=[Path("orgs/acme/org.yaml")])  # a CI artifact outside the checkout
    clone = _repo(tmp_path / "clone")
    monkeypatch.chdir(clone / "orgs")
    assert planfile.load_plan(path, check_paths=True).org_paths == [clone / "orgs" / "acme" / "org.yaml"]


def test_without_a_repository_the_base_is_the_directory_the_plan_was_made_in(tmp_path, monkeypatch):
    (tmp_path / "work" / "org").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    path = _save(tmp_path, org_paths=[Path("org")])
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["org_base"] == "directory" and doc["org_paths"] == ["org"]


def test_an_org_outside_the_base_keeps_its_absolute_path(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    path = _save(tmp_path, org_paths=[tmp_path / "elsewhere"])
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["org_base"] is None and doc["org_paths"] == [str(tmp_path / "elsewhere")]
    assert planfile.load_plan(path).org_paths == [tmp_path / "elsewhere"]


@pytest.mark.parametrize("bad", ["../outside", "orgs/../../outside", "/etc", "C:\\org", "\\\\host\\share"])
def test_a_relative_plan_cannot_leave_its_base(tmp_path, monkeypatch, bad):
    repo = _repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    path = _save(repo, org_paths=[Path("orgs/acme")])
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["org_paths"] = [bad]
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(PlanFileError, match="leaves the plan's base|not an org file"):
        planfile.load_plan(path)


def test_a_missing_org_path_names_the_base(tmp_path, monkeypatch):
    repo = _repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    path = _save(repo, org_paths=[Path("orgs/acme")])
    shutil.rmtree(repo / "orgs")
    with pytest.raises(PlanFileError, match=r"'orgs/acme' does not exist under the repository root"):
        planfile.load_plan(path, check_paths=True)


def test_format_1_files_with_absolute_paths_are_still_read(tmp_path):
    path = _save(tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("org_base")
    doc.update(format_version=1, org_paths=[str(tmp_path / "org")])
    path.write_text(json.dumps(doc), encoding="utf-8")
    saved = planfile.load_plan(path)
    assert saved.org_paths == [tmp_path / "org"] and saved.org_base is None


def test_an_unknown_org_base_is_refused(tmp_path):
    path = _save(tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["org_base"] = "home"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(PlanFileError, match="'org_base' is 'home'"):
        planfile.load_plan(path)
