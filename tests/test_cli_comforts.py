"""CLI comforts (issue 9): --version, shell completion, show PLANFILE, schema, validate --format json, and the
"Environment:" paragraph of every command's --help."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from render_samples import EXAMPLE_ORG, EXAMPLE_STATE, REPO

from ovctl import __version__
from ovctl.cli import main
from ovctl.cli.typer_app import app
from ovctl.console import Console


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(args), Console(out=out, err=err, stdin=io.StringIO(), environ=env or {}))
    return rc, out.getvalue(), err.getvalue()


def _process(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OVCTL_", "_OVCTL", "_TYPER"))}
    return subprocess.run([sys.executable, "-m", "ovctl.cli", *args], capture_output=True, text=True,
                          env={**base, **env}, timeout=60)


# ----------------------------------------------------------------------------- --version


def test_version_prints_the_package_version():
    assert _run("--version") == (0, f"ovctl {__version__}\n", "")
    proc = _process("--version")
    assert proc.returncode == 0 and proc.stdout == f"ovctl {__version__}\n"


# ----------------------------------------------------------------------------- completion


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o default -F _ovctl_completion ovctl"),
                                           ("zsh", "#compdef ovctl"), ("fish", "complete --command ovctl")])
def test_show_completion_prints_the_script_of_each_shell(shell, marker):
    proc = _process("--show-completion", shell, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    assert proc.returncode == 0, proc.stderr
    assert marker in proc.stdout and "_OVCTL_COMPLETE=complete_" in proc.stdout


def test_completion_offers_commands_options_and_choices():
    def complete(words: str) -> list[str]:
        proc = _process(_OVCTL_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=str(len(words.split()) - 1
                                                                                         + words.endswith(" ")))
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()

    assert complete("ovctl sh") == ["show"]
    assert {"schema", "show", "sandbox"} <= set(complete("ovctl s"))
    assert complete("ovctl schema ") == ["org", "state", "plan"]
    assert "--mask-emails" in complete("ovctl show --")
    assert set(complete("ovctl validate --format ")) == {"text", "github", "json"}


def test_help_lists_the_completion_options(capsys):
    rc = main(["--help"])
    out = capsys.readouterr().out
    assert rc == 0 and "--install-completion" in out and "--show-completion" in out and "--version" in out


# ----------------------------------------------------------------------------- show


@pytest.fixture(scope="module")
def saved_plan(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A saved plan of the example org, and what `ovctl plan` printed in each format."""
    path = tmp_path_factory.mktemp("show") / "plan.json"
    shown = {}
    for fmt, extra in (("text", []), ("json", []), ("markdown", []), ("markdown-masked", ["--mask-emails"])):
        args = ["plan", str(EXAMPLE_ORG), "--state", str(EXAMPLE_STATE), "--format", fmt.split("-")[0], *extra]
        rc, out, err = _run(*args, *(["--out", str(path)] if fmt == "text" else []))
        assert rc == 0, err
        shown[fmt] = out
    return path, shown


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "markdown-masked"])
def test_show_renders_a_saved_plan_as_plan_printed_it(saved_plan, fmt):
    path, shown = saved_plan
    args = ["show", str(path), "--format", fmt.split("-")[0], *(["--mask-emails"] if "masked" in fmt else [])]
    rc, out, err = _run(*args)
    assert rc == 0, err
    assert out == shown[fmt]
    assert "Saved plan made by ovctl" in err and f"ovctl apply {path}" in err


def test_show_needs_neither_the_org_nor_the_account(saved_plan, tmp_path):
    moved = tmp_path / "elsewhere.json"
    moved.write_text(saved_plan[0].read_text(encoding="utf-8"), encoding="utf-8")
    rc, out, err = _run("show", str(moved), env={"OVCTL_ENDPOINT": "http://127.0.0.1:9"})
    assert rc == 0 and out == saved_plan[1]["text"], err


@pytest.mark.parametrize("damage, words", [
    (lambda d: d.update(plan=dict(d["plan"], changes=[{"kind": "robot", "action": "x"}])), "plan.changes[0]"),
    (lambda d: d["payloads"].__setitem__(0, {"members": []}), "payloads[0]"),
    (lambda d: d.pop("plan"), "'plan' is missing"),
])
def test_a_damaged_plan_file_is_one_clean_line(saved_plan, tmp_path, damage, words):
    doc = json.loads(saved_plan[0].read_text(encoding="utf-8"))
    damage(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    rc, out, err = _run("show", str(bad))
    assert rc == 1 and out == "" and words in err and len(err.splitlines()) == 1, err


def test_show_of_a_missing_file_is_one_line():
    rc, _, err = _run("show", "no-such-plan.json")
    assert rc == 1 and err.strip().endswith("no-such-plan.json: plan file not found") and len(err.splitlines()) == 1


# ----------------------------------------------------------------------------- schema


@pytest.mark.parametrize("name", ["org", "state", "plan"])
def test_schema_prints_the_packaged_schema(name):
    rc, out, _ = _run("schema", name)
    packaged = (REPO / "ovctl" / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    assert rc == 0 and json.loads(out) == json.loads(packaged)
    assert json.loads(out)["$schema"].startswith("https://json-schema.org/")


def test_the_printed_org_schema_accepts_the_example_org(tmp_path):
    import jsonschema
    from ruamel.yaml import YAML

    _, out, _ = _run("schema", "org")
    org = YAML(typ="safe").load(EXAMPLE_ORG.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(out)).validate(org)


def test_an_unknown_schema_is_a_usage_error():
    rc, out, err = _run("schema", "payload")
    assert rc == 1 and out == "" and "payload" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- validate --format json


def test_validate_json_reports_every_problem_with_its_position(tmp_path):
    good = EXAMPLE_ORG.read_text(encoding="utf-8")
    bad = tmp_path / "org.yaml"
    bad.write_text(good.replace("members:", "members:\n  - {id: ZZ, email: not-an-email, first_name: Z, last_name: Z}",
                                1), encoding="utf-8")
    rc, out, err = _run("validate", "--format", "json", str(bad))
    doc = json.loads(out)
    assert rc == 1 and doc["valid"] is False and doc["format_version"] == 1
    assert doc["summary"]["errors"] == sum(p["severity"] == "error" for p in doc["problems"]) >= 1
    assert doc["summary"]["files"] == 1
    first = doc["problems"][0]
    assert set(first) == {"path", "line", "column", "severity", "code", "field", "message"}
    assert first["path"] == str(bad) and first["line"] >= 1 and first["column"] >= 1
    assert "error" in err  # the one-line summary stays on stderr


def test_validate_json_of_a_clean_org():
    rc, out, _ = _run("validate", "--format", "json", str(EXAMPLE_ORG))
    assert rc == 0 and json.loads(out) == {"format_version": 1, "valid": True, "problems": [],
                                           "summary": {"errors": 0, "warnings": 0, "files": 1}}


# ----------------------------------------------------------------------------- Environment:

ACCOUNT = ["OVCTL_ENDPOINT", "OVCTL_FLAVOR", "OVCTL_API_KEY", "OVCTL_API_KEY_FILE", "OVCTL_TIMEOUT", "OVCTL_EXPORT_ONLY"]
READS = {
    ("validate",): ["OVCTL_MAX_FILE_BYTES"],
    ("plan",): [*ACCOUNT, "NO_COLOR", "OVCTL_MAX_FILE_BYTES"],
    ("apply",): [*ACCOUNT, "NO_COLOR", "OVCTL_MAX_FILE_BYTES"],
    ("pull",): ACCOUNT,
    ("render",): ["OVCTL_FLAVOR"],
    ("graph",): ["OVCTL_MAX_FILE_BYTES"],
    ("fmt",): ["OVCTL_MAX_FILE_BYTES"],
    ("show",): ["NO_COLOR"],
    ("import", "live"): ACCOUNT,
    ("import", "hris"): ["OVCTL_MAX_FILE_BYTES"],
    ("sandbox", "serve"): ["OVCTL_SANDBOX_API_KEY", "OVCTL_SANDBOX_MAX_BODY"],
}


@pytest.mark.parametrize("path", sorted(READS), ids=" ".join)
def test_help_names_the_environment_variables_a_command_reads(path, capsys):
    rc = main([*path, "--help"])  # click prints help on sys.stdout itself
    out = capsys.readouterr().out
    assert rc == 0
    env = " ".join(out.split("Environment:", 1)[1].split())
    for name in READS[path]:
        assert name in env, (path, name)


def test_every_command_that_has_options_bound_to_the_environment_says_so():
    """A command with an option read from an environment variable must name it in its epilog."""
    def walk(command, path):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, command

    for path, command in walk(typer.main.get_command(app), []):
        envvars = [p.envvar for p in command.params if getattr(p, "envvar", None)]
        for name in envvars:
            assert name in (command.epilog or ""), (path, name)
