"""Org files on disk: directories of files merged with `parent:`, missing and unreadable files, the
schema file itself, and the shipped examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ovctl.core.errors import ValidationFailed
from ovctl.files.orgfile import SCHEMA_PATH, check_org, load_org
from support.orgs import write
from support.positions import where

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "orgs"




def test_directory_merges_files_and_parent_attaches_across_files(tmp_path: Path) -> None:
    write(tmp_path / "org" / "company.yaml", "version: 1\norganization: Acme\n"
          "members:\n  - {id: E1, email: ana@x.io, first_name: Ana, last_name: Lima}\n"
          "teams:\n  - {id: CO, name: Company, managers: [E1]}\n")
    write(tmp_path / "org" / "depts" / "eng.yml", "members:\n  - {id: E2, email: bob@x.io, first_name: Bob, last_name: Stone}\n"
          "teams:\n  - id: ENG\n    name: Engineering\n    parent: CO\n    managers: [E2]\n"
          "    teams:\n      - {id: PLAT, name: Platform, members: [E1]}\n")
    write(tmp_path / "org" / "notes.txt", "not yaml")
    write(tmp_path / "org" / ".hidden" / "draft.yaml", "this: is ignored: entirely\n")
    result = load_org([tmp_path / "org"])
    assert [(t.id, t.parent) for t in result.org.teams] == [("CO", None), ("ENG", "CO"), ("PLAT", "ENG")]
    assert [m.id for m in result.org.members] == ["E1", "E2"]
    assert result.sources == [tmp_path / "org" / "company.yaml", tmp_path / "org" / "depts" / "eng.yml"]
    assert result.org.organization == "Acme"


def test_split_example_directory_validates_clean() -> None:
    result = load_org([REPO / "examples" / "org-split"])
    assert result.warnings == []
    assert len(result.sources) == 3
    assert {t.id: t.parent for t in result.org.teams}["SALES-EU"] == "SALES"


def test_example_org_validates_clean() -> None:
    result = load_org([REPO / "examples" / "org.yaml"])
    assert result.warnings == []
    assert len(result.org.members) >= 20 and len(result.org.teams) >= 8


def test_cross_file_problems_point_at_the_second_occurrence() -> None:
    a, b = FIXTURES / "split-bad" / "a.yaml", FIXTURES / "split-bad" / "b.yaml"
    a_text, b_text = a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")
    problems = check_org([FIXTURES / "split-bad"]).problems
    got = {p.code: (p.path, p.line, p.column) for p in problems}
    assert got["duplicate_section"] == (str(b), *where(b_text, "settings"))
    assert got["duplicate_property"] == (str(b), *where(b_text, "Location"))
    assert got["duplicate_member_id"] == (str(b), *where(b_text, "E1"))
    assert got["duplicate_email"] == (str(b), *where(b_text, "ANA@x.io"))
    assert got["unknown_parent"] == (str(b), *where(b_text, "ENGINEERING"))
    assert got["duplicate_team_id"] == (str(b), *where(b_text, "ENG\n"))
    first = "{}:{}:{}".format(a, *where(a_text, "E1, email"))
    assert first in next(p.message for p in problems if p.code == "duplicate_member_id")


def test_parent_cycle_across_files(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "version: 1\nmembers:\n  - {id: E1, email: ana@x.io, first_name: Ana, last_name: Lima}\n"
          "teams:\n  - {id: A, name: Team A, parent: B, managers: [E1]}\n")
    write(tmp_path / "b.yaml", "teams:\n  - {id: B, name: Team B, parent: A, members: [E1]}\n")
    problems = check_org([tmp_path]).problems
    assert [(Path(p.path).name, p.code) for p in problems if p.severity == "error"] == [("a.yaml", "team_cycle")]


def test_missing_file_is_reported_with_the_others(tmp_path: Path) -> None:
    good = write(tmp_path / "org.yaml", "version: 1\nmembers: []\n")
    missing = tmp_path / "nope.yaml"
    problems = check_org([good, missing]).problems
    assert (str(missing), "missing_file") in [(p.path, p.code) for p in problems]


def test_unreadable_file_invalid_utf8_is_a_problem(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("version: 1\norganization: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValidationFailed) as info:
        load_org([bad])
    assert [(p.path, p.line, p.column, p.code) for p in info.value.problems] == [(str(bad), 2, 18, "unreadable")]


def test_directory_named_like_a_yaml_file_is_not_read_as_one(tmp_path: Path) -> None:
    odd = tmp_path / "org.yaml"
    odd.mkdir()
    problems = check_org([odd]).problems
    assert [(p.path, p.code) for p in problems] == [(str(odd), "missing_file")]
    assert "no *.yaml" in problems[0].message


def test_dangling_symlink_is_unreadable(tmp_path: Path) -> None:
    link = tmp_path / "org.yaml"
    link.symlink_to(tmp_path / "gone.yaml")
    problems = check_org([link]).problems
    assert [p.code for p in problems] == ["missing_file"]


def test_empty_file_alone_is_an_error(tmp_path: Path) -> None:
    empty = write(tmp_path / "org.yaml", "# nothing yet\n")
    problems = check_org([empty]).problems
    assert ("no_members", "error") in [(p.code, p.severity) for p in problems]


def test_schema_is_a_valid_draft_2020_12_schema_and_accepts_the_example() -> None:
    from jsonschema import Draft202012Validator
    from ruamel.yaml import YAML

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "floor" in schema["$defs"]["settings"]["properties"]["safety"]["properties"]
    example = YAML(typ="safe").load((REPO / "examples" / "org.yaml").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(example)) == []
    assert (REPO / "schemas" / "org.schema.json").read_text(encoding="utf-8") == SCHEMA_PATH.read_text(encoding="utf-8")


def test_fast_member_check_reports_what_the_full_schema_reports(tmp_path: Path) -> None:
    """Members skip jsonschema when a hand-written check passes them; a bad member must still get
    every message the schema gives (compared with a plain jsonschema run over the whole file)."""
    from jsonschema import Draft202012Validator
    from ruamel.yaml import YAML

    text = ("version: 1\nmembers:\n"
            "  - {id: E1, email: a@x.io, first_name: A, last_name: B, language: english}\n"
            "  - {id: 2.5, email: b@x.io, first_name: '', last_name: B, job_title: [x]}\n"
            "  - {id: E3, email: c@x.io, first_name: C, last_name: C, extra: 1, properties: [1]}\n"
            "  - {id: true, email: 12, first_name: C}\n"
            "teams:\n  - {id: T, name: Team, members: [E1]}\n")
    path = write(tmp_path / "org.yaml", text)
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    raw_errors = list(Draft202012Validator(schema).iter_errors(YAML(typ="safe").load(text)))
    assert {tuple(e.absolute_path)[:2] for e in raw_errors} == {("members", i) for i in range(4)}
    problems = [p for p in check_org([path]).problems if p.code in ("schema", "wrong_type", "unknown_key", "missing_key")]
    assert {p.line for p in problems} == {3, 4, 5, 6}  # every bad member, on its own line
    assert len(problems) == len(raw_errors)  # one message per schema error, none lost or doubled
