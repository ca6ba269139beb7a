"""The org schema's hand-written fast check never hides a problem jsonschema would report.

``orgfile._document_is_plainly_valid`` lets a document skip jsonschema (start-up and ~1 s at 50,000
members); it must say True only when the schema finds nothing. Each case below is a valid document
changed in one place: either the fast check refuses it (jsonschema then writes the messages) or
jsonschema agrees that it is valid.
"""

from __future__ import annotations

import pytest

from ovctl.files import orgfile
from ovctl.files.yamlsource import parse_yaml

BASE = """\
version: 1
organization: Acme
settings:
  risk_thresholds: {users: 500, teams: 200}
  safety: {max_deactivation_ratio: 0.1, max_team_removal_ratio: 0.25, floor: 5}
  protected: [E1]
properties:
  Location: {type: choices, options: [Paris, 3, 1.5]}
  Hire Date: {type: date}
members:
  - {id: E1, email: a@x.io, first_name: A, last_name: B, job_title: Dev, language: pt-BR,
     properties: {Location: Paris}}
  - {id: 2, email: b@x.io, first_name: C, last_name: D}
teams:
  - id: T1
    name: Eng
    managers: [E1]
    members: [2]
    teams:
      - {id: T2, name: Sub, previous_name: Old, members: null, teams: []}
  - {id: T3, name: Other, parent: T1}
"""

CHANGES = [
    ("version: 1", "version: 2"), ("version: 1", "version: true"), ("version: 1", "version: 1.0"),
    ("organization: Acme", "organization: 3"),
    ("users: 500", "users: -1"), ("users: 500", "users: 5.0"), ("users: 500", "users: true"), ("users: 500", "user: 5"),
    ("max_deactivation_ratio: 0.1", "max_deactivation_ratio: 1.5"),
    ("max_deactivation_ratio: 0.1", "max_deactivation_ratio: .nan"),
    ("max_deactivation_ratio: 0.1", "max_deactivation_ratio: false"),
    ("floor: 5", "floor: 5, max_update_ratio: 0.5, update_min_members: 10"),
    ("floor: 5", "floor: 5, max_update_ratio: 1.5"), ("floor: 5", "floor: 5, update_min_members: -1"),
    ("floor: 5", "floor: 5, update_min_members: 1.5"), ("floor: 5", "floor: 5, max_update_ratio: true"),
    ("floor: 5", "floor: -5"), ("floor: 5", "floor: 5.5"), ("floor: 5", "floor: x"),
    ("protected: [E1]", "protected: E1"), ("protected: [E1]", "protected: ['']"), ("protected: [E1]", "protected:"),
    ("protected: [E1]", "protected: [true]"), ("protected: [E1]", "extra: 1"),
    ("{type: date}", "{type: dates}"), ("{type: date}", "{kind: date}"), ("{type: date}", "{}"),
    ("options: [Paris, 3, 1.5]", "options: []"), ("options: [Paris, 3, 1.5]", "options: [Paris, null]"),
    ("options: [Paris, 3, 1.5]", "options: [Paris, true]"), ("options: [Paris, 3, 1.5]", "options: Paris"),
    ("id: E1,", "id: '',"), ("id: E1,", "id: true,"), ("id: E1,", "id: 1.5,"), ("email: a@x.io", "email: ab"),
    ("language: pt-BR", "language: portuguese"), ("first_name: A,", "first_name: '',"),
    ("job_title: Dev", "job_title: 3"), ("properties: {Location: Paris}", "properties: [1]"),
    ("first_name: C", "firstname: C"),
    ("id: T1", "id: ''"), ("id: T1", "id: [T1]"), ("name: Eng", "name: ''"), ("name: Eng", "label: Eng"),
    ("managers: [E1]", "managers: E1"), ("managers: [E1]", "managers: [E1, '']"), ("members: [2]", "members: [2.5]"),
    ("previous_name: Old", "previous_name: ''"), ("parent: T1", "parent: true"), ("teams: []", "teams: {}"),
    ("teams: []", "teams: [3]"), ("teams: []", "teams: [{id: T9}]"), ("members: null", "owner: x"),
    ("teams:\n  - id: T1", "teams: {}\nx:\n  - id: T1"),
]


def _schema_errors(data) -> list:
    whole, _ = orgfile._validators()
    return list(whole.iter_errors(data))


def test_the_base_document_is_plainly_valid() -> None:
    data, problems = parse_yaml(BASE, "org.yaml")
    assert problems == []
    assert orgfile._document_is_plainly_valid(data)
    assert _schema_errors(data) == []


@pytest.mark.parametrize("old,new", CHANGES)
def test_fast_check_is_at_least_as_strict_as_the_schema(old: str, new: str) -> None:
    assert old in BASE
    data, problems = parse_yaml(BASE.replace(old, new, 1), "org.yaml")
    if data is None or problems:
        return
    if orgfile._document_is_plainly_valid(data):
        assert _schema_errors(data) == [], (old, new)
    else:
        # refused by the fast check: the document goes through jsonschema, as before
        assert orgfile.schema_problems(data, "org.yaml") == [] or _schema_errors(data)


def test_the_fast_checks_mirror_the_current_schema() -> None:
    assert orgfile.schema_digest() == orgfile.SCHEMA_DIGEST_MIRRORED, (
        "schemas/org.schema.json changed: update the fast checks in ovctl/files/orgfile.py "
        "(_document_is_plainly_valid and its helpers) to match, then SCHEMA_DIGEST_MIRRORED")
