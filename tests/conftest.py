"""Shared fixtures: a real sandbox server process on loopback, seeded with a small account.

``sandbox`` is a fresh, seeded server per test; ``sandbox_factory(seed=..., api_key=..., env=...)``
starts more (``seed=None`` for an empty account); ``module_sandbox`` is one seeded server per test
module, for tests that do not change the account (or that tolerate each other's changes). Every
server started here is stopped when its fixture ends, failing test or not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.sandbox_proc import SandboxProcess, start_sandbox

FIXTURES = Path(__file__).parent / "fixtures"
SANDBOX_SEED = FIXTURES / "sandbox_seed.json"
_DEFAULT = object()


@pytest.fixture(scope="session")
def sandbox_seed() -> Path:
    """The snapshot the ``sandbox`` fixtures are seeded with (tests/fixtures/sandbox_seed.json)."""
    return SANDBOX_SEED


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Callable[..., SandboxProcess]]:
    started: list[SandboxProcess] = []

    def start(seed: Any = _DEFAULT, *, api_key: str = "test-key-123", env: dict[str, str] | None = None) -> SandboxProcess:
        sb = start_sandbox(tmp_path, seed=SANDBOX_SEED if seed is _DEFAULT else seed, api_key=api_key, env=env)
        started.append(sb)
        return sb

    try:
        yield start
    finally:
        for sb in started:
            sb.stop()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., SandboxProcess]) -> SandboxProcess:
    return sandbox_factory()


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    sb = start_sandbox(tmp_path_factory.mktemp("sandbox"), seed=SANDBOX_SEED)
    try:
        yield sb
    finally:
        sb.stop()
