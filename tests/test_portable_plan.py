"""Portable plans (issue 9): a plan made in one checkout applies from another checkout of the same
commit (``git clone``), and is refused when the org there differs. Real git, real ovctl processes, a
real sandbox."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ovctl.account import wire

FIXTURES = Path(__file__).parent / "fixtures" / "e2e"
SEED = FIXTURES / "seed.json"
KEY = "sk-e2e-4c1d2b9e8f"
pytestmark = pytest.mark.sandbox(seed=SEED, api_key=KEY)
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def _ovctl(sandbox, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVCTL_")}
    env.update({"OVCTL_API_KEY": KEY, "OVCTL_ENDPOINT": sandbox.url})
    return subprocess.run([sys.executable, "-m", "ovctl.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def _syncs(sandbox) -> list[dict]:
    with sandbox.client() as http:
        return http.get(wire.SANDBOX_SYNCS).json()["syncs"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_plan_made_in_one_checkout_applies_from_a_clone_and_is_refused_when_the_org_differs(tmp_path, sandbox):
    origin = tmp_path / "origin"
    shutil.copytree(FIXTURES / "org", origin / "orgs" / "acme")
    _git("init", "-q", "-b", "main", cwd=origin)
    _git("add", "-A", cwd=origin)
    _git("commit", "-q", "-m", "org", cwd=origin)

    made = _ovctl(sandbox, "plan", "acme", "--out", str(tmp_path / "plan.json"), cwd=origin / "orgs")
    assert made.returncode == 0, made.stderr
    doc = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert doc["org_base"] == "repository" and doc["org_paths"] == ["orgs/acme"]
    assert str(tmp_path) not in json.dumps(doc)  # nothing in the file names the checkout

    # a clone whose org differs: refused, clearly, and nothing is sent
    changed = tmp_path / "changed"
    _git("clone", "-q", str(origin), str(changed), cwd=tmp_path)
    org = changed / "orgs" / "acme" / "org.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace("job_title: CEO", "job_title: Chief"), encoding="utf-8")
    shutil.copy(tmp_path / "plan.json", changed / "plan.json")
    refused = _ovctl(sandbox, "apply", "plan.json", "--auto-approve", cwd=changed)
    assert refused.returncode == 1
    assert "the org changed since this plan was saved" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr and _syncs(sandbox) == []

    # a clone of the same commit: the plan file applies there, from a subdirectory too
    clone = tmp_path / "clone"
    _git("clone", "-q", str(origin), str(clone), cwd=tmp_path)
    shutil.copy(tmp_path / "plan.json", clone / "plan.json")
    applied = _ovctl(sandbox, "apply", "../plan.json", "--auto-approve", cwd=clone / "orgs")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert len(_syncs(sandbox)) == 2
    assert (clone / "orgs" / "acme" / "ovctl.state.json").exists()  # the state file lands in the clone
    assert not (origin / "orgs" / "acme" / "ovctl.state.json").exists()


def test_a_plan_whose_org_is_missing_in_this_checkout_names_the_base(tmp_path, sandbox):
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "org", repo / "orgs" / "acme")
    (repo / ".git").mkdir()
    made = _ovctl(sandbox, "plan", "orgs/acme", "--out", "plan.json", cwd=repo)
    assert made.returncode == 0, made.stderr
    other = tmp_path / "other"
    (other / ".git").mkdir(parents=True)
    shutil.copy(repo / "plan.json", other / "plan.json")
    run = _ovctl(sandbox, "apply", "plan.json", "--auto-approve", cwd=other)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert f"'orgs/acme' does not exist under the repository root {other}" in run.stderr
    assert _syncs(sandbox) == []
