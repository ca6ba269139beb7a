"""The account layer's seams: its imports, its settings from a given environment, the flavour
table as the one source of flavours (CLI choices, sandbox routes and auth), and the console
every command writes to."""

from __future__ import annotations

import ast
import io
from dataclasses import replace
from pathlib import Path

import pytest
from render_samples import EXAMPLE_ORG, EXAMPLE_STATE

from ovctl.account import settings, wire
from ovctl.cli import main
from ovctl.console import Console
from ovctl.core.errors import UsageError

ACCOUNT = Path(__file__).parent.parent / "ovctl" / "account"


def _ovctl_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.split(".")[0] == "ovctl"}


@pytest.mark.parametrize("path", sorted(ACCOUNT.glob("*.py")), ids=lambda p: p.name)
def test_the_account_layer_imports_only_core_and_account(path: Path) -> None:
    allowed = ("ovctl.core", "ovctl.account")  # and the package root, for its __version__
    bad = {m for m in _ovctl_imports(path) if m != "ovctl" and not m.startswith(allowed)}
    assert not bad, f"{path.name} imports {sorted(bad)}"


# ------------------------------------------------------------------ settings


def test_settings_come_from_the_mapping_given_and_never_show_the_key() -> None:
    got = settings.from_environ({"OVCTL_API_KEY": "sk-from-dict-1234", "OVCTL_TIMEOUT": "2.5",
                                 "OVCTL_EXPORT_ONLY": "yes"})
    assert (got.api_key, got.timeout, got.export_only) == ("sk-from-dict-1234", 2.5, True)
    assert "sk-from-dict-1234" not in repr(got)
    assert settings.from_environ({"OVCTL_API_KEY": "k" * 8}).export_only is False


def test_a_bad_timeout_is_reported_before_a_missing_key() -> None:
    with pytest.raises(UsageError, match="OVCTL_TIMEOUT"):
        settings.from_environ({"OVCTL_TIMEOUT": "soon"})
    with pytest.raises(UsageError, match="no API key"):
        settings.from_environ({})


def test_a_live_plan_reads_the_key_from_the_console_environment_not_the_process(monkeypatch) -> None:
    monkeypatch.setenv("OVCTL_API_KEY", "sk-process-env-1234")
    err = io.StringIO()
    rc = main(["plan", str(EXAMPLE_ORG), "--endpoint", "http://127.0.0.1:9"],
              console=Console(out=io.StringIO(), err=err, environ={}))
    assert rc == 1 and "no API key" in err.getvalue()


# ------------------------------------------------------------------ the flavour table


@pytest.fixture
def third_flavor(monkeypatch):
    third = replace(wire.LEGACY, name="third", sync_path="/api/v3/provisioning", key_header="x-third-key",
                    key_prefix="Token ")
    monkeypatch.setitem(wire._BY_NAME, "third", third)
    return third


def test_a_flavour_added_to_the_table_gets_a_sandbox_route_and_its_auth_header(third_flavor, tmp_path) -> None:
    from ovctl.sandbox.app import Gate, auth_help, create_app
    from ovctl.sandbox.store import Store

    assert wire.flavor("third") is third_flavor and "third" in wire.flavor_names()
    store = Store(tmp_path / "s.db")
    try:
        gate = create_app(store, "sk-sandbox-1234")
    finally:
        store.close()
    assert isinstance(gate, Gate)
    posts = {r.path for r in gate.app.routes if "POST" in (getattr(r, "methods", None) or ())}
    assert {fl.sync_path for fl in wire.flavors()} <= posts and "/api/v3/provisioning" in posts

    def scope(name: str, value: str) -> dict:
        return {"type": "http", "headers": [(name.encode(), value.encode())]}

    assert gate.authorised(scope("X-Third-Key", "token sk-sandbox-1234"))
    assert not gate.authorised(scope("x-third-key", "sk-sandbox-1234"))  # its prefix is required
    assert gate.authorised(scope("authorization", "Bearer sk-sandbox-1234"))
    assert gate.authorised(scope("workleap-subscription-key", "sk-sandbox-1234"))
    assert not gate.authorised(scope("workleap-subscription-key", "sk-wrong-1234"))
    assert "'x-third-key: Token KEY'" in auth_help()


def test_the_cli_flavour_choices_are_the_table() -> None:
    from ovctl.cli.typer_app import FlavorName

    assert [f.value for f in FlavorName] == list(wire.flavor_names())


def test_the_two_flavours_keep_their_auth_help() -> None:
    from ovctl.sandbox.app import auth_help

    assert auth_help() == ("missing or invalid API key: send it as 'workleap-subscription-key: KEY' "
                           "or 'Authorization: Bearer KEY'")


# ------------------------------------------------------------------ the console


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_commands_write_to_the_console_they_are_given(capsys) -> None:
    out, err = _TTY(), io.StringIO()
    rc = main(["plan", str(EXAMPLE_ORG), "--state", str(EXAMPLE_STATE)], console=Console(out=out, err=err, environ={}))
    assert rc in (0, 1) and "\x1b[" in out.getvalue()  # a terminal, so coloured
    assert capsys.readouterr() == ("", "")  # nothing went to the process's own streams
    out = _TTY()
    main(["plan", str(EXAMPLE_ORG), "--state", str(EXAMPLE_STATE)],
         console=Console(out=out, err=io.StringIO(), environ={"NO_COLOR": "1"}))
    assert "\x1b[" not in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(EXAMPLE_ORG)], console=Console(out=out, err=err, environ={})) == 0
    assert "0 errors" in err.getvalue() and capsys.readouterr() == ("", "")


def test_loopback_is_one_definition() -> None:
    from ovctl.account.net import is_loopback
    from ovctl.sandbox import serve

    assert serve.is_loopback is is_loopback
    assert all(map(is_loopback, ("localhost", "app.localhost", "127.0.0.1", "::1")))
    assert not any(map(is_loopback, ("example.com", "10.0.0.1", "0.0.0.0")))
