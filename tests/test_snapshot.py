"""Snapshot documents and files: shape, references, duplicates, errors naming the field, round trips."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest

from ovctl.core.errors import SnapshotError
from ovctl.core.fingerprint import fingerprint_snapshot
from ovctl.core.snapshot import snapshot_from_dict
from ovctl.files.statefile import load_schema, read_snapshot, write_snapshot

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "state.json"


def doc() -> dict:
    return {"format_version": 1, "settings": {"invite_new_members": True},
            "properties": {"Location": {"type": "choices", "options": ["Paris"]}, "Level": {"type": "numeric"},
                           "Hire Date": {"type": "date"}},
            "members": [{"email": "ana@x.com", "external_id": "E1", "first_name": "Ana", "last_name": "N",
                         "status": "active", "role": "member", "properties": {"Level": 3.0}},
                        {"email": "bob@x.com"}],
            "teams": [{"officevibe_id": "g1", "name": "Eng", "external_id": "ENG", "managers": ["ANA@x.com"],
                       "members": ["bob@x.com"]},
                      {"officevibe_id": "g2", "name": "Sub", "parent": "g1"}]}


def error_of(data) -> str:
    with pytest.raises(SnapshotError) as exc:
        snapshot_from_dict(data, "state.json")
    return str(exc.value)


def test_valid_document_gives_a_snapshot_with_defaults_and_normalised_values():
    s = snapshot_from_dict(doc())
    assert s.invite_new_members is True
    assert s.members[0].properties == {"Level": "3"}
    assert (s.members[1].status, s.members[1].role, s.members[1].external_id) == ("active", "member", None)
    assert s.teams[1].parent == "g1" and s.teams[1].rule_based is False


def test_bad_status_names_the_file_and_the_field():
    d = doc()
    d["members"][1]["status"] = "actve"
    assert error_of(d) == "state.json: members[1].status: 'actve' is not one of created, invited, active, deactivated"


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["members"][0].pop("email"), "members[0].email"),
    (lambda d: d["members"][1].update(email="Ana@X.com"), "members[1].email"),
    (lambda d: d["members"][1].update(external_id="E1"), "members[1].external_id"),
    (lambda d: d["members"][0].update(role="boss"), "members[0].role"),
    (lambda d: d["members"][0].update(stauts="active"), "members[0].stauts"),
    (lambda d: d["teams"][1].update(officevibe_id="g1"), "teams[1].officevibe_id"),
    (lambda d: d["teams"][1].update(external_id="ENG"), "teams[1].external_id"),
    (lambda d: d["teams"][1].update(parent="g9"), "teams[1].parent"),
    (lambda d: d["teams"][0].update(parent="g2"), ".parent"),
    (lambda d: d["teams"][0]["members"].append("nobody@x.com"), "teams[0].members[1]"),
    (lambda d: d["teams"][0].update(managers="ana@x.com"), "teams[0].managers"),
    (lambda d: d["teams"][0].update(rule_based="yes"), "teams[0].rule_based"),
    (lambda d: d["properties"]["Level"].update(type="number"), "properties.Level.type"),
    (lambda d: d["settings"].update(invite_new_members="true"), "settings.invite_new_members"),
    (lambda d: d.update(format_version=2), "format_version"),
    (lambda d: d.update(members={}), "members"),
])
def test_broken_snapshot_is_an_error_naming_the_field(mutate, field):
    d = doc()
    mutate(d)
    message = error_of(d)
    assert message.startswith("state.json: ")
    assert field in message


def _deep(depth: int = 5000) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("mutate, field, says", [
    (lambda d: d["members"][0].update(role=_deep()), "members[0].role", "a list is not one of"),
    (lambda d: d.update(format_version=_deep()), "format_version", "unsupported format version a list"),
    (lambda d: d["properties"]["Location"].update(options=["Paris", _deep()]), "properties.Location.options[1]",
     "expected a single value, got a list"),
    (lambda d: d["properties"]["Location"].update(options=[{"a": 1}]), "properties.Location.options[0]",
     "expected a single value, got an object"),
    (lambda d: d["properties"].update({1: {"type": "text"}}), "properties", "every key must be a string"),
    (lambda d: d["members"][0]["properties"].update({("a", "b"): 1}), "members[0].properties",
     "every key must be a string"),
])
def test_odd_yaml_values_are_errors_naming_the_field_not_crashes(mutate, field, says):
    # fuzzing: a deeply nested YAML value crashed repr() (RecursionError) and str() of an option;
    # a non-string key (a number, a date, a YAML complex key) crashed sorting or JSON later
    d = doc()
    mutate(d)
    assert error_of(d).startswith(f"state.json: {field}: {says}")


def test_yaml_snapshot_with_a_number_or_date_as_a_property_name_is_an_error(tmp_path):
    path = tmp_path / "state.yaml"
    path.write_text("properties: {1: {type: text}, 2020-01-01: {type: date}}\nmembers: []\n", encoding="utf-8")
    with pytest.raises(SnapshotError, match=r"state\.yaml: properties: every key must be a string"):
        read_snapshot(path)


def test_state_file_bookkeeping_is_kept_but_not_fingerprinted():
    d = doc()
    plain = snapshot_from_dict(d)
    d["protected"], d["applied_plans"] = ["E1"], ["sha256:abc"]
    kept = snapshot_from_dict(d)
    assert (kept.protected, kept.applied_plans) == (["E1"], ["sha256:abc"])
    assert fingerprint_snapshot(kept) == fingerprint_snapshot(plain)
    changed = copy.deepcopy(d)
    changed["members"][0]["first_name"] = "Anna"
    assert fingerprint_snapshot(snapshot_from_dict(changed)) != fingerprint_snapshot(plain)


def test_written_state_reads_back_identical_with_the_same_fingerprint(tmp_path):
    s = snapshot_from_dict({**doc(), "protected": ["E1"]})
    path = tmp_path / "ovctl.state.json"
    write_snapshot(path, s)
    again = read_snapshot(path)
    assert again == s
    assert fingerprint_snapshot(again) == fingerprint_snapshot(s)
    assert path.read_text(encoding="utf-8").endswith("}\n")


def test_yaml_snapshot_is_read_with_dates_normalised(tmp_path):
    path = tmp_path / "state.yaml"
    path.write_text("members:\n  - email: ana@x.com\n    properties: {Hire Date: 2019-04-01}\n"
                    "properties:\n  Hire Date: {type: date}\n", encoding="utf-8")
    assert read_snapshot(path).members[0].properties == {"Hire Date": "2019-04-01"}


def test_invalid_json_is_reported_with_line_and_column(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{\n  "members": [,]\n}\n', encoding="utf-8")
    with pytest.raises(SnapshotError, match=r"state\.json:2:15: invalid JSON"):
        read_snapshot(path)


def test_invalid_yaml_is_reported_with_line_and_column(tmp_path):
    path = tmp_path / "state.yml"
    path.write_text("members:\n  - email: [unclosed\n", encoding="utf-8")
    with pytest.raises(SnapshotError, match=r"state\.yml:\d+:\d+: invalid YAML"):
        read_snapshot(path)


@pytest.mark.parametrize("name, text, message", [
    ("state.json", '{"members": ' + "[" * 100_000 + "]" * 100_000 + "}", "invalid JSON: nested too deeply"),
    ("state.json", '{"members": ' + "1" * 5000 + "}", "invalid JSON: a number has too many digits"),
    ("state.yaml", "members: " + "1" * 5000 + "\n", "1:10: invalid YAML: a number has too many digits"),
    ("state.yaml", "members: " + "[" * 100_000 + "]" * 100_000 + "\n", r"1:\d+: invalid YAML: nested more than"),
])
def test_parser_limits_are_snapshot_errors_not_crashes(tmp_path, name, text, message):
    # fuzzing: json.loads raises RecursionError / a plain ValueError (not JSONDecodeError) for these
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SnapshotError, match=rf"{name.replace('.', '[.]')}:? ?{message}"):
        read_snapshot(path)


@pytest.mark.parametrize("where", ["members[1].first_name", "teams[0].name"])
def test_lone_surrogate_escape_is_a_snapshot_error_naming_the_field(tmp_path, where):
    # fuzzing: "\ud800" decodes to a lone surrogate, which crashed the fingerprint (UTF-8 encoding)
    data = doc()
    if where.startswith("members"):
        data["members"][1]["first_name"] = "Bo\ud800"
    else:
        data["teams"][0]["name"] = "\udfffEng"
    path = tmp_path / "state.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SnapshotError, match=rf"state\.json: {re.escape(where)}: not valid Unicode text"):
        read_snapshot(path)
    data["members"][1]["first_name"] = "Bo \U0001F600"  # a proper pair (an emoji escaped) is fine
    data["teams"][0]["name"] = "Eng"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_snapshot(path).members[1].first_name == "Bo \U0001F600"


def test_missing_snapshot_file_is_a_clear_error(tmp_path):
    with pytest.raises(SnapshotError, match="not found"):
        read_snapshot(tmp_path / "nope.json")


def test_example_and_written_snapshots_match_the_published_schema(tmp_path):
    validator = jsonschema.Draft202012Validator(load_schema())
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert not list(validator.iter_errors(example))
    path = tmp_path / "s.json"
    write_snapshot(path, snapshot_from_dict({**doc(), "protected": ["E1"], "applied_plans": ["sha256:x"]}))
    assert not list(validator.iter_errors(json.loads(path.read_text(encoding="utf-8"))))


def test_schema_refuses_what_the_checker_refuses():
    validator = jsonschema.Draft202012Validator(load_schema())
    d = doc()
    d["members"][1]["status"] = "actve"
    assert list(validator.iter_errors(d))
