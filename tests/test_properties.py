"""The one table of property types (``ovctl/core/properties.py``) and everything that must agree with it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from ovctl.core import model, properties
from ovctl.core.properties import BY_NAME, TYPES, property_type

SCHEMAS = Path(__file__).resolve().parent.parent / "ovctl" / "schemas"


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def _org_type_enum() -> list[str]:
    return _schema("org.schema.json")["$defs"]["propertyDef"]["properties"]["type"]["enum"]


def _state_type_enum() -> list[str]:
    return _schema("state.schema.json")["$defs"]["property"]["properties"]["type"]["enum"]


def _definition(t) -> dict:
    return {"type": t.name, "options": ["a", 1]} if t.has_options else {"type": t.name}


@pytest.mark.parametrize("ptype", [t.name for t in TYPES])
def test_every_type_of_the_table_is_accepted_by_the_org_schema(ptype):
    doc = {"version": 1, "properties": {"P": _definition(BY_NAME[ptype])}}
    assert list(Draft202012Validator(_schema("org.schema.json")).iter_errors(doc)) == []


@pytest.mark.parametrize("ptype", [t.name for t in TYPES])
def test_every_type_of_the_table_is_accepted_by_the_snapshot_schema(ptype):
    doc = {"format_version": 1, "properties": {"P": _definition(BY_NAME[ptype])}, "members": [], "teams": []}
    assert list(Draft202012Validator(_schema("state.schema.json")).iter_errors(doc)) == []


def test_the_schemas_accept_no_type_the_table_lacks():
    names = {t.name for t in TYPES}
    assert set(_org_type_enum()) == names
    assert set(_state_type_enum()) == names


def test_model_property_types_derive_from_the_table():
    assert model.PROPERTY_TYPES == tuple(t.name for t in TYPES)
    assert model.normalize_property_value is properties.normalize_property_value
    assert list(BY_NAME) == list(model.PROPERTY_TYPES)


def test_the_snapshot_reader_accepts_every_type_of_the_table():
    from ovctl.core.snapshot import snapshot_from_dict

    props = {f"P {t.name}": _definition(t) for t in TYPES}
    snap = snapshot_from_dict({"format_version": 1, "properties": props, "members": [], "teams": []})
    assert {p.type for p in snap.properties.values()} == {t.name for t in TYPES}


def test_unknown_type_name_is_none():
    assert property_type("dates") is None
    assert property_type("choices") is BY_NAME["choices"]


@pytest.mark.parametrize(("ptype", "raw", "value"), [
    ("choices", "Paris", "Paris"), ("choices", 42, "42"), ("text", True, "true"), ("text", 1.50, "1.5"),
    ("date", dt.date(2019, 4, 1), "2019-04-01"), ("date", "2019-04-01", "2019-04-01"),
    ("numeric", 3, "3"), ("numeric", 2.0, "2"), ("numeric", " 7.25 ", "7.25"), ("numeric", "1e3", "1000"),
])
def test_org_values_accepted_and_normalised(ptype, raw, value):
    assert BY_NAME[ptype].org_value(raw) == (value, None)


@pytest.mark.parametrize(("ptype", "raw", "reason"), [
    ("date", "soon", "is a date: expected YYYY-MM-DD, got 'soon'"),
    ("date", "2020-13-45", "is a date: expected YYYY-MM-DD, got '2020-13-45' (month must be in 1..12)"),
    ("date", 20200101, "is a date: expected YYYY-MM-DD, got 20200101"),
    ("numeric", "high", "is numeric: expected a number, got 'high'"),
    ("numeric", True, "is numeric: expected a number, got True"),
    ("numeric", "١٢", "is numeric: expected a number, got '١٢'"),
])
def test_org_values_refused_with_a_reason(ptype, raw, reason):
    assert BY_NAME[ptype].org_value(raw) == (None, reason)


@pytest.mark.parametrize(("ptype", "text", "ok"), [
    ("choices", "anything", True), ("text", "", True),
    ("date", "2019-04-01", True), ("date", "2019-02-30", False), ("date", "2019-4-1", False),
    ("numeric", "12", True), ("numeric", " -1.5e2 ", True), ("numeric", "nan", False),
    ("numeric", "1e999", False), ("numeric", "١٢", False),
])
def test_payload_text_values(ptype, text, ok):
    assert BY_NAME[ptype].payload_ok(text) is ok


def test_only_choices_has_options():
    assert [t.name for t in TYPES if t.has_options] == ["choices"]


def test_properties_module_imports_nothing_else_of_ovctl_and_no_io_library():
    code = ("import json, sys; import ovctl.core.properties; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('ovctl', 'httpx', 'typer', 'ruamel', 'starlette', 'uvicorn', 'sqlite3'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["ovctl", "ovctl.core", "ovctl.core.properties"]
