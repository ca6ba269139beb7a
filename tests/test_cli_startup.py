"""`ovctl --help` must stay cheap: it may not load the YAML, HTTP or sandbox stacks."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("httpx", "starlette", "uvicorn", "ruamel", "jsonschema", "deepdiff", "sqlite3")


def _modules_after(args: list[str]) -> set[str]:
    code = (
        "import sys, json\n"
        "from ovctl.cli import main\n"
        f"rc = main({args!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_help_does_not_import_heavy_stacks() -> None:
    loaded = _modules_after(["--help"])
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_sandbox_help_does_not_import_server_stack() -> None:
    loaded = _modules_after(["sandbox", "--help"])
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_unknown_command_exits_1_without_traceback() -> None:
    proc = subprocess.run([sys.executable, "-m", "ovctl.cli", "no-such-command"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "no-such-command" in proc.stderr


def test_a_plan_of_a_valid_org_loads_only_what_it_uses() -> None:
    """Offline ``plan --format json``: no schema validator (the org is valid), no progress drawing
    (not a terminal), no HTTP, no other renderer, no plan-file writer, no temporary files."""
    loaded = _modules_after(["plan", "examples/org.yaml", "--state", "examples/state.json", "--format", "json"])
    lazy = {"jsonschema", "referencing", "rich", "httpx", "tempfile", "ovctl.files.planfile", "ovctl.render.text",
            "ovctl.render.markdown", "ovctl.flows", "ovctl.sources", "ovctl.sandbox"}
    assert not {m for m in loaded if m in lazy or m.split(".")[0] in lazy or m.rsplit(".", 1)[0] in lazy}
    assert "ovctl.render.json_" in loaded  # the test does look at a run that planned


def test_a_run_builds_only_the_command_it_names() -> None:
    """``main`` hands typer an app holding only the named command (or group); everything a user sees
    of that command (help, usage) is what the whole app shows."""
    from typer.testing import CliRunner

    from ovctl.cli.typer_app import _app_for, app

    names = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]
    groups = [g.name for g in app.registered_groups]
    assert "plan" in names and "import" in groups
    runner = CliRunner()
    for name in names + groups:
        narrowed = _app_for(["-q", name, "x"])
        assert len(narrowed.registered_commands) + len(narrowed.registered_groups) == 1
        whole = runner.invoke(app, [name, "--help"], prog_name="ovctl")
        alone = runner.invoke(narrowed, [name, "--help"], prog_name="ovctl")
        assert alone.output == whole.output and whole.exit_code == 0
    assert _app_for(["--version"]) is app and _app_for(["no-such-command"]) is app


def test_a_plan_read_by_the_line_reader_does_not_import_ruamel() -> None:
    """The line reader resolves plain scalars itself: a valid org it reads (examples/org.yaml, with
    a JSON state) needs no ruamel, whose import is a third of a small plan."""
    loaded = _modules_after(["plan", "examples/org.yaml", "--state", "examples/state.json", "--format", "json"])
    assert "ovctl.files.fastyaml" in loaded
    assert not {m for m in loaded if m.split(".")[0] == "ruamel"}
