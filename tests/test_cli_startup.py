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
