"""A second, small reader of the command line, for the commands a pipeline runs most, without typer.

Why: typer and its copy of click cost ~35 ms of imports on every run, a fifth of ``ovctl plan`` at
1,000 members, though a pipeline's command line is the same plain one run after run. This reader
takes only what it fully understands: a known command; its own options in their plain forms
(``--name VALUE``, ``--name=VALUE``, a flag), each given at most once; values typer accepts as
they are; the right number of arguments; ``-q``/``--quiet`` before the command. Anything else
(``--help``, ``--version``, completion, ``--``, a mistake of any kind, a value typer would
question) gets ``None``, and typer reads the line: its help, messages and exit codes stay the only
ones a user meets, and a line read here runs exactly what typer would have run.

tests/test_cli_quick.py holds the two readers together: this table against the parameters typer
builds from ``ovctl.cli.typer_app`` (flags, defaults, choices, environment variables, required
ones), the keywords against each command's ``run``, and a corpus of command lines, each run both
ways with the same output and exit code.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ovctl.account import settings, wire
from ovctl.console import Console
from ovctl.render import PLAN_FORMATS

FLAG, TEXT, PATH, CHOICE, SECONDS = "flag", "text", "path", "choice", "seconds"
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")  # plain, finite, >= 0 (typer's FloatRange(min=0) accepts them)
_REQUIRED = object()


@dataclass(frozen=True)
class Option:
    flag: str  # "--format"
    keyword: str  # the command's ``run`` keyword: "fmt"
    kind: str  # FLAG, TEXT, PATH, CHOICE or SECONDS
    default: Any = None  # _REQUIRED: the line must give it
    choices: tuple[str, ...] = ()
    envvar: str | None = None  # read when the line does not give the option, as click reads it


@dataclass(frozen=True)
class Command:
    name: str
    run: str  # the module whose ``run`` is the call: its arguments first, then the options by keyword
    arguments: str  # "paths" (one or more), "path" (exactly one), "" (none)
    options: tuple[Option, ...]


def _flavor() -> Option:
    return Option("--flavor", "flavor", CHOICE, wire.WORKLEAP.name, tuple(wire.flavor_names()), settings.FLAVOR_ENV)


def _account() -> tuple[Option, ...]:
    return (_flavor(), Option("--endpoint", "endpoint", TEXT, envvar=settings.ENDPOINT_ENV),
            Option("--state-file", "state_file", PATH))


def _commands() -> dict[str, Command]:
    plan_formats = tuple(PLAN_FORMATS)
    table = [
        Command("validate", "ovctl.commands.validate", "paths", (
            Option("--format", "fmt", CHOICE, "text", ("text", "github", "json")),)),
        Command("plan", "ovctl.commands.plan", "paths", (
            Option("--state", "state", PATH), Option("--format", "fmt", CHOICE, "text", plan_formats),
            Option("--out", "out", PATH), Option("--detailed-exitcode", "detailed_exitcode", FLAG, False),
            Option("--force", "force", FLAG, False), Option("--mask-emails", "mask_emails", FLAG, False),
            *_account())),
        Command("apply", "ovctl.commands.apply", "paths", (
            Option("--auto-approve", "auto_approve", FLAG, False), Option("--force", "force", FLAG, False),
            *_account(), Option("--lock-timeout", "lock_timeout", SECONDS, 0.0),
            Option("--intent-outcome", "intent_outcome", CHOICE, None, ("landed", "lost")))),
        Command("pull", "ovctl.commands.pull", "", (Option("--out", "out", PATH), *_account())),
        Command("render", "ovctl.commands.render", "paths", (
            Option("--out", "out", PATH, _REQUIRED), _flavor(),
            Option("--format", "fmt", CHOICE, "json", ("json", "csv")))),
        Command("graph", "ovctl.commands.graph", "paths", (
            Option("--state", "state", PATH), Option("--format", "fmt", CHOICE, "mermaid", ("mermaid", "dot")))),
        Command("fmt", "ovctl.commands.fmt", "paths", (
            Option("--check", "check", FLAG, False), Option("--diff", "diff", FLAG, False))),
        Command("show", "ovctl.commands.show", "path", (
            Option("--format", "fmt", CHOICE, "text", plan_formats),
            Option("--mask-emails", "mask_emails", FLAG, False))),
    ]
    return {c.name: c for c in table}


COMMANDS = _commands()


def read(args: list[str], environ: Mapping[str, str] | None = None) -> Callable[[Console], int] | None:
    """The call ``args`` names, or ``None``: typer must read them. ``environ`` defaults to the
    process's environment, which is what typer reads the options' variables from."""
    environ = os.environ if environ is None else environ
    quiet = False
    i = 0
    while i < len(args) and args[i] in ("-q", "--quiet"):
        quiet, i = True, i + 1
    command = COMMANDS.get(args[i]) if i < len(args) else None
    if command is None:
        return None
    read_line = _read_command(command, args[i + 1:], environ)
    if read_line is None:
        return None
    positional, keywords = read_line

    def call(console: Console) -> int:
        if quiet:
            console.quiet = True
        return importlib.import_module(command.run).run(*positional, **keywords, console=console)

    return call


def _read_command(command: Command, words: list[str], environ: Mapping[str, str]
                  ) -> tuple[list[Any], dict[str, Any]] | None:
    by_flag = {o.flag: o for o in command.options}
    given: dict[str, Any] = {}
    arguments: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word or word == "-" or word.startswith("-") and not word.startswith("--"):
            return None  # "", "-" (a dash as a file), short options: none of ours
        if not word.startswith("--"):
            arguments.append(word)
            continue
        flag, eq, value = word.partition("=")
        option = by_flag.get(flag)
        if option is None or option.flag in given:  # "--", --help, unknown, repeated
            return None
        if option.kind == FLAG:
            if eq:
                return None
            given[flag] = True
            continue
        if not eq:
            if i >= len(words):
                return None
            value, i = words[i], i + 1
        converted = _value(option, value)
        if converted is None:
            return None
        given[flag] = converted

    if not _arity_holds(command.arguments, len(arguments)):
        return None
    keywords: dict[str, Any] = {}
    for option in command.options:
        if option.flag in given:
            keywords[option.keyword] = given[option.flag]
            continue
        from_env = environ.get(option.envvar) if option.envvar else None
        if from_env:  # click ignores a variable set to ""
            converted = _value(option, from_env)
            if converted is None:
                return None
            keywords[option.keyword] = converted
        elif option.default is _REQUIRED:
            return None
        else:
            keywords[option.keyword] = option.default
    paths = [Path(a) for a in arguments]
    positional: list[Any] = [] if not command.arguments else [paths] if command.arguments == "paths" else paths
    return positional, keywords


def _arity_holds(arguments: str, count: int) -> bool:
    return count >= 1 if arguments == "paths" else count == 1 if arguments == "path" else count == 0


def _value(option: Option, value: str) -> Any:
    """The value typer would pass for ``value``, or ``None`` where typer might say otherwise."""
    if not value or value.startswith("-"):
        return None
    if option.kind == CHOICE:
        return value if value in option.choices else None
    if option.kind == SECONDS:
        return float(value) if _SECONDS.fullmatch(value) else None
    if option.kind == PATH:
        # typer checks an existing path for readability (its options' default): leave it the message
        try:
            os.stat(value)
        except OSError:
            return Path(value)
        except ValueError:  # a NUL in the path
            return None
        return Path(value) if os.access(value, os.R_OK) else None
    return value
