"""Shared fixtures: real sandbox server processes on loopback (HTTP, a real SQLite file, no mocks).

Processes are shared by the session (``support.sandbox_pool``) and reset between borrowers with
``POST /sandbox/reset``, which leaves the account, settings, history and faults as a new process
seeded with the same snapshot would have them:

- ``sandbox``: a seeded server for this test alone, reset before it. A module picks another seed,
  key or server environment with ``pytestmark = pytest.mark.sandbox(seed=PATH, api_key=KEY, env={...})``.
- ``shared_sandbox(seed=..., api_key=..., env=...)``: more of them, or another seed for one test
  (a seed is a JSON snapshot file, its parsed content, or None for an empty account).
- ``module_sandbox``: one server held for the whole module (same marker), for tests that build on
  each other's changes or only read; reset once, when the module starts.
- ``own_sandbox`` / ``sandbox_factory(seed=..., api_key=..., env=...)``: a process of its own,
  started for the test and stopped after it: for tests that restart, kill or stop the server, or
  test how it starts (``--seed``, the key, the environment).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.sandbox_pool import SandboxPool
from support.sandbox_proc import SandboxProcess, start_sandbox

FIXTURES = Path(__file__).parent / "fixtures"
SANDBOX_SEED = FIXTURES / "sandbox_seed.json"
DEFAULT_KEY = "test-key-123"
_DEFAULT: Any = object()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox(seed=PATH, api_key=KEY, env=DICT): what the module's "
                                       "`sandbox` / `module_sandbox` fixtures are seeded and started with")


def _marked(node: Any) -> dict[str, Any]:
    """The keyword arguments of the closest ``sandbox`` marker, with the defaults filled in."""
    marker = node.get_closest_marker("sandbox")
    given = dict(marker.kwargs) if marker is not None else {}
    unknown = set(given) - {"seed", "api_key", "env"}
    if unknown or (marker is not None and marker.args):
        raise pytest.UsageError(f"pytest.mark.sandbox takes only seed=, api_key=, env= (got {marker})")
    return {"seed": given.get("seed", SANDBOX_SEED), "api_key": given.get("api_key", DEFAULT_KEY),
            "env": given.get("env")}


@pytest.fixture(scope="session")
def sandbox_seed() -> Path:
    """The snapshot the ``sandbox`` fixtures are seeded with by default (tests/fixtures/sandbox_seed.json)."""
    return SANDBOX_SEED


@pytest.fixture(scope="session")
def sandbox_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxPool]:
    pool = SandboxPool(tmp_path_factory.mktemp("sandboxes"))
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def shared_sandbox(sandbox_pool: SandboxPool) -> Iterator[Callable[..., SandboxProcess]]:
    borrowed: list[SandboxProcess] = []

    def borrow(seed: Any = _DEFAULT, *, api_key: str = DEFAULT_KEY, env: dict[str, str] | None = None) -> SandboxProcess:
        sb = sandbox_pool.borrow(SANDBOX_SEED if seed is _DEFAULT else seed, api_key=api_key, env=env)
        borrowed.append(sb)
        return sb

    try:
        yield borrow
    finally:
        for sb in borrowed:
            sandbox_pool.give_back(sb)


@pytest.fixture
def sandbox(request: pytest.FixtureRequest, shared_sandbox: Callable[..., SandboxProcess]) -> SandboxProcess:
    return shared_sandbox(**_marked(request.node))


@pytest.fixture(scope="module")
def module_sandbox(request: pytest.FixtureRequest, sandbox_pool: SandboxPool) -> Iterator[SandboxProcess]:
    with sandbox_pool.lease(**_marked(request.node)) as sb:
        yield sb


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Callable[..., SandboxProcess]]:
    started: list[SandboxProcess] = []

    def start(seed: Any = _DEFAULT, *, api_key: str = DEFAULT_KEY, env: dict[str, str] | None = None) -> SandboxProcess:
        sb = start_sandbox(tmp_path, seed=SANDBOX_SEED if seed is _DEFAULT else seed, api_key=api_key, env=env)
        started.append(sb)
        return sb

    try:
        yield start
    finally:
        for sb in started:
            sb.stop()


@pytest.fixture
def own_sandbox(sandbox_factory: Callable[..., SandboxProcess]) -> SandboxProcess:
    """A seeded server started for this test alone (restart, kill, stop, its database file)."""
    return sandbox_factory()
