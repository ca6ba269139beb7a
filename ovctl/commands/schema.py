"""``ovctl schema org|state|plan``: print the JSON Schema of a file ovctl reads or writes.

The schemas are package data (``ovctl/schemas/``), so they are there in any installation. Save one
in your own repository (``ovctl schema org > .ovctl/org.schema.json``) and point editors at it with
``# yaml-language-server: $schema=.ovctl/org.schema.json`` on the first line of an org file.
"""

from __future__ import annotations

from importlib import resources

from ovctl.console import Console
from ovctl.exitcodes import ExitCode

SCHEMAS = ("org", "state", "plan")


def schema_text(name: str) -> str:
    """The schema's text exactly as shipped (``ovctl/schemas/NAME.schema.json``)."""
    if name not in SCHEMAS:
        from ovctl.core.errors import UsageError

        raise UsageError(f"unknown schema {name!r}: use {', '.join(SCHEMAS[:-1])} or {SCHEMAS[-1]}")
    return (resources.files("ovctl") / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")


def run(name: str, *, console: Console) -> int:
    text = schema_text(name)
    console.write(text if text.endswith("\n") else text + "\n")
    return ExitCode.OK
