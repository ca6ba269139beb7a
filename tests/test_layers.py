"""The layering of the ovctl package, enforced: which layer may import which, and where the
third-party I/O libraries may be used.

A layer is the first package (or module) under ``ovctl``. Modules are discovered by walking the
package (no hand-written list), and every import statement is read with ``ast``: top-level ones
and lazy ones inside functions, absolute and relative, plus ``importlib.import_module("...")``
with a literal name. A canary runs the same checker on synthetic source that breaks the rules, so
this test can fail. A behavioural check imports every core module in a fresh interpreter and
looks at what got loaded.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import ovctl

PACKAGE_DIR = Path(ovctl.__file__).resolve().parent

ANYTHING = None  # a layer that may import every layer
LAYERS_ALL = {"core", "render", "account", "files", "sources", "sandbox", "flows", "commands", "cli", "console",
              "exitcodes"}

# layer -> what it may import from ovctl: layers ("files") or single modules and their submodules
# ("account.wire"). The root package (ovctl/__init__) may be imported from everywhere.
MAY_IMPORT: dict[str, set[str] | None] = {
    "core": {"core"},
    "render": {"core", "render"},
    "account": {"core", "account"},
    "files": {"core", "files", "account.wire"},
    "sources": {"core", "files", "account", "sources"},
    # the sandbox's own command (serve) also uses the leaf helpers every command uses
    "sandbox": {"core", "account.wire", "account.net", "files", "sandbox", "console", "exitcodes"},
    "flows": LAYERS_ALL - {"commands", "cli"},
    "commands": ANYTHING,
    "cli": ANYTHING,
    "console": ANYTHING,
    "exitcodes": ANYTHING,
    "progress": set(),  # a leaf: the console hands it out; the account layer gets a plain callback
}

# Third-party (and standard) libraries that do I/O, and the layers that may import them directly.
IO_LIBRARIES = {"httpx", "typer", "click", "ruamel", "jsonschema", "starlette", "uvicorn", "sqlite3", "rich",
                "socket", "subprocess"}
_NOT_THE_CLI_FRAMEWORK = IO_LIBRARIES - {"typer", "click"}
MAY_USE: dict[str, set[str]] = {
    "core": set(),
    "render": set(),
    "account": {"httpx"},
    "files": {"ruamel", "jsonschema"},
    "sources": set(),  # through files and account
    "sandbox": {"starlette", "uvicorn", "sqlite3", "socket"},  # socket: serve binds its own listening socket
    "flows": _NOT_THE_CLI_FRAMEWORK,
    "commands": _NOT_THE_CLI_FRAMEWORK,
    "console": _NOT_THE_CLI_FRAMEWORK,
    "exitcodes": _NOT_THE_CLI_FRAMEWORK,
    "progress": {"rich"},  # imported only when progress is drawn
    "cli": IO_LIBRARIES,
}

# Known violations, each with the reason it is tolerated for now. Every entry must still be
# needed: once the import is gone, test_known_violations_are_still_present fails until the entry
# is deleted, so the rules become strict again.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}  # none today


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted module name as resolved (for ``from X import y``: X.y when that is a module)
    line: int


def discover(root: Path = PACKAGE_DIR, prefix: str = "ovctl") -> dict[str, Path]:
    """Every module of the package, by dotted name (packages by their ``__init__.py``)."""
    found = {prefix: root / "__init__.py"}
    for info in pkgutil.iter_modules([str(root)]):
        name = f"{prefix}.{info.name}"
        if info.ispkg:
            found.update(discover(root / info.name, name))
        else:
            found[name] = root / f"{info.name}.py"
    return found


def imports_of(module: str, source: str, *, is_package: bool, known: set[str]) -> list[Import]:
    """Every import in ``source`` (anywhere in the tree), resolved to absolute module names."""
    package = module if is_package else module.rpartition(".")[0]
    out: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.extend(Import(module, alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base_parts = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
                if node.level - 1 >= len(parts):
                    raise ValueError(f"{module}:{node.lineno}: relative import beyond the top-level package")
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                out.append(Import(module, candidate if candidate in known else base, node.lineno))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str) and _is_dynamic_import(node.func)):
            out.append(Import(module, node.args[0].value, node.lineno))
    return sorted(out, key=lambda imp: imp.line)  # ast.walk is breadth-first; report in file order


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module"
    return isinstance(func, ast.Name) and func.id in ("import_module", "__import__")


def layer_of(module: str) -> str | None:
    """``ovctl.files.statefile`` -> ``files``; the root package -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _allowed(spec: str, target: str) -> bool:
    relative = target.split(".", 1)[1]
    return relative == spec or relative.startswith(spec + ".")


def violations(module: str, source: str, *, is_package: bool = False, known: set[str] = frozenset()) -> list[str]:
    """The rule breaks of one module, as readable lines (empty when it follows every rule)."""
    layer = layer_of(module)
    if layer is None:
        return []  # the root package: allowed everywhere, and imports nothing of ours
    if layer not in MAY_IMPORT:
        return [f"{module}: layer {layer!r} has no rules: add it to MAY_IMPORT and MAY_USE in {Path(__file__).name}"]
    may_import, may_use = MAY_IMPORT[layer], MAY_USE[layer]
    found = []
    for imp in imports_of(module, source, is_package=is_package, known=known):
        top = imp.target.split(".")[0]
        if top == "ovctl":
            if imp.target == "ovctl" or may_import is ANYTHING:
                continue
            if not any(_allowed(spec, imp.target) for spec in may_import):
                found.append(f"{module}:{imp.line}: layer {layer!r} imports {imp.target} "
                             f"(it may import only {', '.join(sorted(may_import))})")
        elif top in IO_LIBRARIES and top not in may_use:
            found.append(f"{module}:{imp.line}: layer {layer!r} imports the I/O library {top}")
    return found


def _is_known(line: str, known: dict[tuple[str, str], str] = KNOWN_VIOLATIONS) -> bool:
    """Whether a report line is an allowed known violation (the importer and the exact target)."""
    return any(line.startswith(f"{importer}:") and f" imports {target} " in line for importer, target in known)


@pytest.fixture(scope="module")
def modules() -> dict[str, Path]:
    return discover()


def _all_violations(modules: dict[str, Path]) -> list[str]:
    known = set(modules)
    found: list[str] = []
    for name, path in sorted(modules.items()):
        found += violations(name, path.read_text(encoding="utf-8"), is_package=path.name == "__init__.py", known=known)
    return found


# --------------------------------------------------------------------------- the package


def test_discovery_finds_every_module_file(modules: dict[str, Path]) -> None:
    assert set(modules.values()) == set(PACKAGE_DIR.rglob("*.py")) - {p for p in PACKAGE_DIR.rglob("*.py")
                                                                       if "__pycache__" in p.parts}
    assert {"ovctl.core.model", "ovctl.core.engine.run", "ovctl.files.statefile", "ovctl.cli"} <= set(modules)
    assert {layer_of(m) for m in modules} - {None} <= set(MAY_IMPORT), "a layer without rules"


def test_every_layer_imports_only_what_it_may(modules: dict[str, Path]) -> None:
    broken = [line for line in _all_violations(modules) if not _is_known(line)]
    assert not broken, "layering broken:\n" + "\n".join(broken)


def test_known_violations_are_still_present(modules: dict[str, Path]) -> None:
    found = _all_violations(modules)
    for (importer, target), reason in KNOWN_VIOLATIONS.items():
        assert any(_is_known(line, {(importer, target): reason}) for line in found), (
            f"{importer} no longer imports {target} ({reason}): delete this entry from KNOWN_VIOLATIONS")


# --------------------------------------------------------------------------- the checker itself


_KNOWN = {"ovctl", "ovctl.core", "ovctl.core.model", "ovctl.files", "ovctl.files.statefile", "ovctl.account",
          "ovctl.account.wire", "ovctl.account.client", "ovctl.sandbox", "ovctl.sandbox.store"}

_BROKEN_CORE = '''
import json
from ovctl.core import model
from . import model as again
import httpx

def later():
    from ovctl.files import statefile
    from ..account import client
    import importlib
    importlib.import_module("ovctl.sandbox.store")
    import socket, subprocess
'''


def test_canary_every_kind_of_import_breaking_a_rule_is_reported() -> None:
    found = violations("ovctl.core.fake", _BROKEN_CORE, known=_KNOWN)
    assert found == [
        "ovctl.core.fake:5: layer 'core' imports the I/O library httpx",
        "ovctl.core.fake:8: layer 'core' imports ovctl.files.statefile (it may import only core)",
        "ovctl.core.fake:9: layer 'core' imports ovctl.account.client (it may import only core)",
        "ovctl.core.fake:11: layer 'core' imports ovctl.sandbox.store (it may import only core)",
        "ovctl.core.fake:12: layer 'core' imports the I/O library socket",
        "ovctl.core.fake:12: layer 'core' imports the I/O library subprocess",
    ], found


def test_canary_a_single_module_rule_allows_that_module_only() -> None:
    allowed = "from ovctl.account import wire\nfrom ovctl.account.wire import WORKLEAP\nimport ruamel.yaml\n"
    assert violations("ovctl.files.fake", allowed, known=_KNOWN) == []
    refused = "from ovctl.account import client\nfrom ovctl import account\n"
    assert [line.split(": ", 1)[1] for line in violations("ovctl.files.fake", refused, known=_KNOWN)] == [
        "layer 'files' imports ovctl.account.client (it may import only account.wire, core, files)",
        "layer 'files' imports ovctl.account (it may import only account.wire, core, files)"]


def test_canary_relative_imports_resolve_from_a_package_init() -> None:
    source = "from .. import files\nfrom ..sandbox import store\nfrom . import model\n"
    found = violations("ovctl.core", source, is_package=True, known=_KNOWN)
    assert [line.split(": ", 1)[1] for line in found] == [
        "layer 'core' imports ovctl.files (it may import only core)",
        "layer 'core' imports ovctl.sandbox.store (it may import only core)"]


def test_canary_typer_only_in_the_cli_and_new_layers_need_rules() -> None:
    assert violations("ovctl.cli", "import typer\nfrom ovctl.sandbox import store\n", known=_KNOWN) == []
    assert violations("ovctl.commands.fake", "import typer\n", known=_KNOWN) == [
        "ovctl.commands.fake:1: layer 'commands' imports the I/O library typer"]
    assert violations("ovctl.flows.fake", "from ovctl.cli import main\n", known=_KNOWN)
    assert "has no rules" in violations("ovctl.gadgets", "import json\n", known=_KNOWN)[0]


def test_canary_known_violations_match_their_report_line() -> None:
    allowed = {("ovctl.account.fake", "ovctl.files.statefile"): "a reason"}
    lines = violations("ovctl.account.fake", "def f():\n    from ovctl.files.statefile import read_snapshot\n",
                       known=_KNOWN)
    assert len(lines) == 1 and _is_known(lines[0], allowed)
    assert not _is_known(violations("ovctl.account.fake", "import ovctl.files\n", known=_KNOWN)[0], allowed)
    assert not _is_known(violations("ovctl.account.other", "import ovctl.files.statefile\n", known=_KNOWN)[0], allowed)


# --------------------------------------------------------------------------- behaviour


_PROBE = """
import json, sys
forbidden, names = set(json.loads(sys.argv[1])), sys.argv[2:]
loaded = {}
for name in names:
    before = set(sys.modules)
    __import__(name)
    new = sorted({m.split('.')[0] for m in set(sys.modules) - before} & forbidden)
    if new:
        loaded[name] = new
print(json.dumps(loaded))
"""


def _probe(module_names: list[str]) -> dict[str, list[str]]:
    """Import the modules one after the other in a fresh interpreter; for each, the I/O libraries
    that were loaded by it (and not already before)."""
    out = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(sorted(IO_LIBRARIES)), *module_names],
                         capture_output=True, text=True, check=True, cwd=PACKAGE_DIR.parent, stdin=subprocess.DEVNULL)
    return json.loads(out.stdout)


def test_core_modules_load_no_io_library_in_a_fresh_interpreter(modules: dict[str, Path]) -> None:
    core = sorted(m for m in modules if layer_of(m) == "core")
    assert len(core) >= 10
    assert _probe(core) == {}


def test_canary_the_probe_sees_an_io_library_loaded() -> None:
    assert _probe(["ovctl.core.model", "sqlite3", "json"]) == {"sqlite3": ["sqlite3"]}
