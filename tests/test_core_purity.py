"""The pure core imports no I/O library: each module is imported alone in a fresh interpreter."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

CORE = ["ovctl.core.model", "ovctl.core.errors", "ovctl.core.snapshot", "ovctl.core.payload", "ovctl.core.engine", "ovctl.core.plan",
        "ovctl.core.guards", "ovctl.core.fingerprint", "ovctl.core.validate",
        "ovctl.core.validate.common", "ovctl.core.validate.members", "ovctl.core.validate.teams",
        "ovctl.core.engine.messages", "ovctl.core.engine.run", "ovctl.core.engine.members", "ovctl.core.engine.teams",
        "ovctl.core.shown", "ovctl.core.validate.text"]
FORBIDDEN = ["httpx", "typer", "ruamel", "starlette", "uvicorn", "sqlite3"]


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_io_library(module):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not written yet")
    code = (f"import json, sys; import {module}; "
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_the_check_would_see_a_forbidden_import():
    code = "import json, sys; import ovctl.files.statefile, ruamel.yaml; print(json.dumps('ruamel' in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) is True
