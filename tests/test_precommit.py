"""The pre-commit hooks of .pre-commit-hooks.yaml, run by pre-commit itself on a scratch repository.

``pre-commit try-repo`` clones the hook repository at HEAD, so the working tree of this checkout
(committed or not) is copied into a temporary git repository and committed there first. pre-commit
then installs ovctl into its own environment (``language: python``), as it would for a user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
pytestmark = pytest.mark.skipif(PRE_COMMIT is None or shutil.which("git") is None,
                                reason="pre-commit (the test extra) and git are needed")

GIT_ENV = {"GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "test",
           "GIT_COMMITTER_EMAIL": "test@example.com", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1"}


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def _working_tree_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                             check=True, capture_output=True).stdout.decode()
        return [f for f in out.split("\0") if f and (REPO / f).is_file()]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (an sdist): take the tree
        return [str(p.relative_to(REPO)) for p in REPO.rglob("*")
                if p.is_file() and not any(part.startswith(".venv") or part == ".git" or part == "__pycache__"
                                           for part in p.relative_to(REPO).parts)]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's working tree, committed into a fresh git repository."""
    dest = tmp_path_factory.mktemp("hook-repo")
    for rel in _working_tree_files():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dest / rel)
    _git("init", "-q", "-b", "main", cwd=dest)
    _git("add", "-A", cwd=dest)
    _git("commit", "-q", "-m", "ovctl working tree", cwd=dest)
    return dest


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")  # one hook environment for the module


def _user_repo(root: Path, org_text: str) -> Path:
    repo = root / "user"
    (repo / "org").mkdir(parents=True)
    (repo / "org" / "org.yaml").write_text(org_text, encoding="utf-8")
    _git("init", "-q", "-b", "main", cwd=repo)
    _git("add", "-A", cwd=repo)
    return repo


def _try_repo(hook_repo: Path, hook: str, user_repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([PRE_COMMIT, "try-repo", str(hook_repo), hook, "--all-files"], cwd=user_repo, env=env,
                          capture_output=True, text=True, timeout=900)


def test_the_hooks_file_offers_validate_and_fmt_on_the_org_directory() -> None:
    hooks = {h["id"]: h for h in YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert set(hooks) == {"ovctl-validate", "ovctl-fmt"}
    for hook in hooks.values():
        assert hook["entry"].startswith("ovctl ")
        assert hook["pass_filenames"] is False and hook["args"] == ["org/"]  # cross-file references: the whole org


def test_ovctl_validate_hook_passes_a_valid_org_and_fails_a_broken_one(hook_repo: Path, pre_commit_home: Path,
                                                                        tmp_path: Path) -> None:
    org = (REPO / "examples" / "org.yaml").read_text(encoding="utf-8")
    ok = _try_repo(hook_repo, "ovctl-validate", _user_repo(tmp_path / "ok", org), pre_commit_home)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ovctl validate" in ok.stdout and "Passed" in ok.stdout

    broken = org.replace("version: 1", "version: 99", 1)
    assert broken != org
    bad = _try_repo(hook_repo, "ovctl-validate", _user_repo(tmp_path / "bad", broken), pre_commit_home)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout and "org/org.yaml:" in bad.stdout


def test_ovctl_fmt_hook_runs(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    probe = subprocess.run([sys.executable, "-m", "ovctl.cli", "fmt", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("`ovctl fmt` does not exist yet (another change adds it); the hook is declared already")
    org = (REPO / "examples" / "org.yaml").read_text(encoding="utf-8")
    user = _user_repo(tmp_path, org)
    first = _try_repo(hook_repo, "ovctl-fmt", user, pre_commit_home)
    # a formatter hook fails when it changed files; a second run on its own output must pass
    if first.returncode != 0:
        _git("add", "-A", cwd=user)
        second = _try_repo(hook_repo, "ovctl-fmt", user, pre_commit_home)
        assert second.returncode == 0, second.stdout + second.stderr
