"""The quick command-line reader (ovctl.cli.quick) against typer's: the same table, the same calls, the
same outcomes; and a line it reads imports no typer.

Three holds keep the two readers one: its table equals the parameters typer builds from
``ovctl.cli.typer_app`` (so an option added there without its row here fails); its keywords are the
commands' ``run`` parameters; and command lines drawn from both commands' options, valid and not,
run through both readers give the same call (recorded at each command's ``run``) or the same
message and exit code.
"""

from __future__ import annotations

import inspect
import io
import importlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from render_samples import EXAMPLE_ORG, EXAMPLE_STATE

from ovctl.cli import main, quick
from ovctl.cli.typer_app import app
from ovctl.console import Console


def _typer_command(name: str):
    return typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)  # typer's choices are enums whose values are the words


@pytest.mark.parametrize("name", sorted(quick.COMMANDS))
def test_the_table_is_the_parameters_typer_builds(name: str) -> None:
    command, typer_command = quick.COMMANDS[name], _typer_command(name)
    arguments = [p for p in typer_command.params if p.param_type_name == "argument"]
    options = {p.opts[0]: p for p in typer_command.params if p.param_type_name == "option"}
    if command.arguments == "paths":
        assert [(a.nargs, a.required, a.type.readable) for a in arguments] == [(-1, True, False)]
    elif command.arguments == "path":
        assert [(a.nargs, a.required, a.type.readable) for a in arguments] == [(1, True, False)]
    else:
        assert arguments == []
    assert [o.flag for o in command.options] == list(options)
    for option in command.options:
        p = options[option.flag]
        assert p.opts == [option.flag] and p.secondary_opts == [] and not p.multiple and not p.count
        assert p.envvar == option.envvar, option.flag
        assert p.required == (option.default is quick._REQUIRED), option.flag
        if not p.required:
            assert _plain(p.default) == option.default, option.flag
        kind = {quick.FLAG: "BoolParamType", quick.TEXT: "StringParamType", quick.PATH: "TyperPath",
                quick.CHOICE: "TyperChoice", quick.SECONDS: "FloatRange"}[option.kind]
        assert type(p.type).__name__ == kind, option.flag
        assert bool(p.is_flag) == (option.kind == quick.FLAG)
        if option.kind == quick.CHOICE:
            assert tuple(p.type.choices) == option.choices and p.type.case_sensitive
        if option.kind == quick.PATH:
            assert p.type.readable and not p.type.exists and not p.type.writable and not p.type.resolve_path
        if option.kind == quick.SECONDS:
            assert (p.type.min, p.type.max, p.type.min_open) == (0, None, False)


def test_the_root_options_are_the_ones_the_reader_knows() -> None:
    root = typer.main.get_command(app)
    assert {o for p in root.params for o in p.opts} == {"--version", "--quiet", "-q", "--install-completion",
                                                        "--show-completion"}
    # the reader takes only --quiet / -q before a command; the others are typer's
    assert quick.read(["--version"]) is None and quick.read(["--show-completion", "bash"]) is None


@pytest.mark.parametrize("name", sorted(quick.COMMANDS))
def test_the_keywords_are_the_commands_run_parameters(name: str) -> None:
    command = quick.COMMANDS[name]
    params = inspect.signature(importlib.import_module(command.run).run).parameters
    positional = [p for p in params.values() if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty]
    assert len(positional) == (1 if command.arguments else 0)
    assert {o.keyword for o in command.options} | {"console"} == {
        n for n in params if n not in {p.name for p in positional}}


# ----------------------------------------------------------------------------- both readers, same result


class _Recorded(Exception):
    """Raised by a recording ``run``: the call the reader made, and nothing run."""


def _outcome(args: list[str], *, quick_reader: bool, record: bool, monkeypatch: pytest.MonkeyPatch
             ) -> tuple[Any, ...]:
    calls: list[tuple[Any, ...]] = []
    if record:
        for command in quick.COMMANDS.values():
            module = importlib.import_module(command.run)

            def recorder(*a: Any, _name: str = command.name, **kw: Any) -> int:
                console = kw.pop("console")
                calls.append((_name, a, kw, console.quiet))
                return 0

            monkeypatch.setattr(module, "run", recorder)
    out, err = io.StringIO(), io.StringIO()
    rc = main(args, Console(out=out, err=err, stdin=io.StringIO(), environ={}), quick_reader=quick_reader)
    if record:
        monkeypatch.undo()
    return rc, out.getvalue(), err.getvalue(), calls


def _words(rng: random.Random, command: quick.Command, files: dict[str, str]) -> list[str]:
    """A command line drawn from the command's options (and others'), with values valid and not."""
    flags = [o.flag for o in command.options]
    others = ["--help", "--", "-q", "--quiet", "-", "", "--no-such", "--format", "--force", "--out", "--state",
              "--lock-timeout", "--intent-outcome", "--version"]
    values = ["json", "text", "markdown", "csv", "dot", "mermaid", "github", "workleap", "legacy", "landed", "lost",
              "JSON", "xml", "1", "2.5", "0", "-1", "nan", "1e3", " 1", "", "-x", "--", "http://127.0.0.1:9/",
              *files.values()]
    words: list[str] = []
    if rng.random() < 0.15:
        words.append(rng.choice(["-q", "--quiet", "--version", "-x"]))
    words.append(command.name)
    for _ in range(rng.randint(0, 6)):
        r = rng.random()
        if r < 0.45 and flags:
            option = quick.COMMANDS[command.name].options[rng.randrange(len(flags))]
            if option.kind == quick.FLAG:
                words.append(option.flag if rng.random() < 0.9 else option.flag + "=1")
            else:
                value = _value_for(rng, option, values, files)
                words += [f"{option.flag}={value}"] if rng.random() < 0.3 else [option.flag, value]
        elif r < 0.8:
            words.append(rng.choice([files["org"], files["state"], files["missing"], files["dir"]]))
        elif r < 0.9:
            words.append(rng.choice(others))
        else:
            words.append(rng.choice(values))
    return words


def _value_for(rng: random.Random, option: quick.Option, values: list[str], files: dict[str, str]) -> str:
    if rng.random() < 0.25:
        return rng.choice(values)
    if option.kind == quick.CHOICE:
        return rng.choice(option.choices)
    if option.kind == quick.SECONDS:
        return rng.choice(["0", "3", "2.5", "10.25"])
    if option.kind == quick.PATH:
        return rng.choice(list(files.values()))
    return rng.choice(["http://127.0.0.1:9/", "x"])


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, str]:
    unreadable = tmp_path / "unreadable.json"
    unreadable.write_text("{}", encoding="utf-8")
    unreadable.chmod(0)
    (tmp_path / "dir").mkdir()
    return {"org": str(EXAMPLE_ORG), "state": str(EXAMPLE_STATE), "missing": str(tmp_path / "missing.yaml"),
            "dir": str(tmp_path / "dir"), "unreadable": str(unreadable)}


ENVIRONMENTS = [{}, {"OVCTL_FLAVOR": "legacy"}, {"OVCTL_FLAVOR": ""}, {"OVCTL_FLAVOR": "nope"},
                {"OVCTL_ENDPOINT": "http://127.0.0.1:9/"}, {"OVCTL_ENDPOINT": ""}]


@pytest.mark.parametrize("seed", range(6))
def test_lines_drawn_from_the_options_make_the_same_call_both_ways(seed: int, files, monkeypatch) -> None:
    rng = random.Random(seed)
    for name in ("OVCTL_FLAVOR", "OVCTL_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    for key, value in ENVIRONMENTS[seed].items():
        monkeypatch.setenv(key, value)
    read_quickly = 0
    for _ in range(150):
        command = quick.COMMANDS[rng.choice(sorted(quick.COMMANDS))]
        args = _words(rng, command, files)
        with pytest.MonkeyPatch.context() as mp:
            by_typer = _outcome(args, quick_reader=False, record=True, monkeypatch=mp)
        with pytest.MonkeyPatch.context() as mp:
            by_both = _outcome(args, quick_reader=True, record=True, monkeypatch=mp)
        assert by_both == by_typer, args
        if quick.read(args) is not None:
            read_quickly += 1
            assert by_typer[3], args  # the reader took only lines typer runs
    assert read_quickly >= 10  # the corpus does reach the quick reader, not only typer


PLAIN_LINES = [
    ["plan", "{org}", "--state", "{state}"],
    ["plan", "{org}", "--state={state}", "--format", "json", "--mask-emails"],
    ["-q", "plan", "--format", "markdown", "{org}", "--state", "{state}", "--detailed-exitcode"],
    ["plan", "{org}", "--state", "{state}", "--flavor", "legacy", "--force"],
    ["validate", "{org}"],
    ["validate", "{org}", "--format", "json"],
    ["validate", "{org}", "--format=github", "{org}"],
    ["graph", "{org}", "--state", "{state}", "--format", "dot"],
    ["fmt", "--check", "{org}"],
    ["fmt", "--diff", "{org}"],
    ["apply", "{org}", "--auto-approve", "--endpoint", "http://127.0.0.1:9/", "--lock-timeout", "0.5"],
    ["pull", "--endpoint", "http://127.0.0.1:9/"],
]
NOT_PLAIN_LINES = [["plan", "{org}", "--help"], ["plan"], ["plan", "{org}", "--format", "xml"], ["--version"],
                   ["plan", "{org}", "--", "{state}"], ["plan", "{org}", "--force", "--force"], ["show"],
                   ["plan", "{org}", "-f", "json"], ["apply", "{org}", "--lock-timeout", "-1"], ["render", "{org}"],
                   ["validate", "{org}", "--format", "JSON"], ["schema", "org"], ["unlock", "x"], []]


@pytest.mark.parametrize("line", PLAIN_LINES + NOT_PLAIN_LINES, ids=lambda line: " ".join(line) or "(none)")
def test_the_same_outcome_both_ways(line: list[str], files, monkeypatch, tmp_path: Path) -> None:
    """Run for real, offline: the same stdout, stderr and exit code, whichever reader read the line."""
    for name in ("OVCTL_FLAVOR", "OVCTL_ENDPOINT", "OVCTL_API_KEY", "OVCTL_API_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OVCTL_API_KEY", "k")
    args = [w.format(**files) for w in line]
    assert (quick.read(args) is not None) == (line in PLAIN_LINES)
    by_typer = _outcome(args, quick_reader=False, record=False, monkeypatch=monkeypatch)
    by_both = _outcome(args, quick_reader=True, record=False, monkeypatch=monkeypatch)
    assert by_both == by_typer


def test_a_saved_plan_is_shown_the_same_both_ways(tmp_path: Path, monkeypatch) -> None:
    saved = tmp_path / "plan.json"
    assert main(["plan", str(EXAMPLE_ORG), "--state", str(EXAMPLE_STATE), "--out", str(saved)],
                Console(out=io.StringIO(), err=io.StringIO(), environ={})) == 0
    for fmt in ("text", "json", "markdown"):
        args = ["show", str(saved), "--format", fmt]
        assert quick.read(args) is not None
        assert (_outcome(args, quick_reader=True, record=False, monkeypatch=monkeypatch)
                == _outcome(args, quick_reader=False, record=False, monkeypatch=monkeypatch))


def test_a_line_the_quick_reader_takes_imports_no_typer() -> None:
    code = ("import sys, json\nfrom ovctl.cli import main\n"
            f"rc = main(['plan', {str(EXAMPLE_ORG)!r}, '--state', {str(EXAMPLE_STATE)!r}, '--format', 'json'])\n"
            "print(json.dumps([rc, sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click'))]))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={k: v for k, v in os.environ.items() if not k.startswith("OVCTL_")})
    rc, loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert rc == 0 and loaded == []
