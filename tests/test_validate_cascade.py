"""One mistake, one message: unknown references, impossible dates and YAML aliases do not cascade
into further errors, and did-you-mean stays bounded on very wrong files.

Expected positions come from searching the test's own YAML text (``where``)."""

from __future__ import annotations

from pathlib import Path

from support.orgs import ONE_MEMBER, check
from support.positions import where

HEAD = "version: 1\nproperties:\n  Hire Date: {type: date}\n"


def test_unknown_member_reference_is_one_error_not_an_empty_team(tmp_path: Path) -> None:
    text = HEAD + ONE_MEMBER + "teams:\n  - id: ENG\n    name: Engineering\n    members: [e1]\n"
    path, problems = check(tmp_path, text)
    assert [(p.code, p.path, p.line, p.column) for p in problems] == [
        ("unknown_member", path, *where(text, "e1]"))]
    assert "(did you mean 'E1'?)" in problems[0].message


def test_team_with_nothing_written_is_still_empty(tmp_path: Path) -> None:
    text = HEAD + ONE_MEMBER + "teams:\n  - id: ENG\n    name: Engineering\n    members: [E1]\n" \
        "  - id: OPS\n    name: Operations\n    members: []\n"
    path, problems = check(tmp_path, text)
    assert [(p.code, p.line) for p in problems] == [("empty_team", where(text, "id: OPS")[0])]


def test_impossible_date_is_reported_once_with_the_reason(tmp_path: Path) -> None:
    text = HEAD + ONE_MEMBER.replace("last_name: Lima}", "last_name: Lima, properties: {Hire Date: 2020-13-45}}") \
        + "teams:\n  - {id: ENG, name: Engineering, members: [E1]}\n"
    path, problems = check(tmp_path, text)
    assert [(p.code, p.path, p.line, p.column) for p in problems] == [
        ("property_type", path, *where(text, "2020-13-45"))]
    assert "month" in problems[0].message and "Hire Date" in problems[0].message


def test_team_repeated_through_a_yaml_alias_points_to_its_definition(tmp_path: Path) -> None:
    text = HEAD + ONE_MEMBER + "teams:\n  - &eng {id: ENG, name: Engineering, members: [E1]}\n  - *eng\n"
    path, problems = check(tmp_path, text)
    dup = [p for p in problems if p.code == "duplicate_team_id"]
    assert [(p.line, p.column) for p in dup] == [where(text, "*eng")]
    line, column = where(text, "ENG,")
    assert "through a YAML alias" in dup[0].message and f"{path}:{line}:{column}" in dup[0].message


def test_member_repeated_through_a_yaml_alias_points_to_its_definition(tmp_path: Path) -> None:
    text = HEAD + "members:\n  - &ana {id: E1, email: ana@x.io, first_name: Ana, last_name: Lima}\n  - *ana\n" \
        + "teams:\n  - {id: ENG, name: Engineering, members: [E1]}\n"
    path, problems = check(tmp_path, text)
    dup = [p for p in problems if p.code == "duplicate_member_id"]
    assert [(p.line, p.column) for p in dup] == [where(text, "*ana")]
    line, column = where(text, "E1,")
    assert "through a YAML alias" in dup[0].message and f"{path}:{line}:{column}" in dup[0].message


def test_did_you_mean_first_unknown_references_get_spelling_suggestions(tmp_path: Path) -> None:
    # 200 members, 300 misspelt references: the first ones are suggested, all are reported
    members = "members:\n" + "".join(
        f"  - {{id: EMP{i:04d}, email: p{i}@x.io, first_name: P{i}, last_name: Q{i}}}\n" for i in range(200))
    refs = ", ".join(f"EMPX{i:04d}" for i in range(300))
    text = HEAD + members + f"teams:\n  - id: ENG\n    name: Engineering\n    members: [EMP0000, {refs}]\n"
    _, problems = check(tmp_path, text)
    unknown = [p for p in problems if p.code == "unknown_member"]
    assert len(unknown) == 300
    assert "(did you mean 'EMP" in unknown[0].message
    assert all("did you mean" in p.message for p in unknown[:10])


def test_did_you_mean_case_mismatch_is_suggested_for_every_reference(tmp_path: Path) -> None:
    members = "members:\n" + "".join(
        f"  - {{id: EMP{i:04d}, email: p{i}@x.io, first_name: P{i}, last_name: Q{i}}}\n" for i in range(120))
    refs = ", ".join(f"emp{i:04d}" for i in range(120))
    text = HEAD + members + f"teams:\n  - id: ENG\n    name: Engineering\n    members: [{refs}]\n"
    _, problems = check(tmp_path, text)
    unknown = [p for p in problems if p.code == "unknown_member"]
    assert len(unknown) == 120
    assert all(f"(did you mean 'EMP{i:04d}'?)" in p.message for i, p in enumerate(unknown))
