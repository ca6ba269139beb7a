"""Packaging a user can trust: the licence file matches the declared licence, schemas have one
consistent id each, the sandbox's server stack is an extra that says its name when missing, and
every runtime dependency is imported somewhere."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower() for r in requirements}


def test_the_licence_file_is_the_declared_licence() -> None:
    assert PROJECT["license"] == "Apache-2.0"
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text  # the full text, not a pointer to it
    assert PROJECT["license-files"] == ["LICENSE"]


def test_classifiers_and_project_urls() -> None:
    assert any(c.startswith("Programming Language :: Python :: 3.11") for c in PROJECT["classifiers"])
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])  # PEP 639: the expression says it
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(PROJECT["urls"])


def test_each_schema_has_one_consistent_unique_id() -> None:
    ids = {}
    for path in sorted((REPO / "ovctl" / "schemas").glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["$id"] == f"https://ovctl.dev/schemas/{path.name}", path
        ids[path.name] = schema["$id"]
        # the copy at the repository root (for editors' yaml-language-server links) is the same file
        assert (REPO / "schemas" / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    assert len(set(ids.values())) == len(ids) == 3


def test_the_sandbox_server_stack_is_an_extra_and_the_test_extra_includes_it() -> None:
    extras = PROJECT["optional-dependencies"]
    assert _names(extras["sandbox"]) == {"starlette", "uvicorn"}
    assert not _names(PROJECT["dependencies"]) & {"starlette", "uvicorn"}
    # the README's `pip install -e '.[test]'` still sets up everything
    assert any(r.startswith("ovctl[") and "sandbox" in r and "docs" in r for r in extras["test"])


def test_sandbox_serve_without_its_extra_names_the_extra(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['uvicorn'] = None; sys.modules['starlette'] = None\n"
            "from ovctl.cli import main\n"
            f"sys.exit(main(['sandbox', 'serve', '--port', '0', '--db', {str(tmp_path / 'x.db')!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: the sandbox needs its extra: pip install 'ovctl[sandbox]'"
    assert not (tmp_path / "x.db").exists()


def test_every_runtime_dependency_is_imported() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "ovctl").rglob("*.py"))
    modules = {"typer": "typer", "ruamel.yaml": "ruamel.yaml", "ruamel.yaml.clib": "ruamel.yaml",
               "jsonschema": "jsonschema", "httpx": "httpx"}
    for name in _names(PROJECT["dependencies"]):
        module = modules.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {re.escape(module)}\b", source, re.M), f"{name} is imported nowhere"
    assert "deepdiff" not in _names(PROJECT["dependencies"])
