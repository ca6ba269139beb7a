"""One test per validation rule of docs/org-file.md (Validation), each asserting the exact file:line:column.

Expected positions come from searching the test's own YAML text (``where``), never from the
implementation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ovctl.core.errors import Problem, ValidationFailed
from ovctl.files.orgfile import load_org
from support.orgs import MEMBERS, check
from support.positions import where

HEAD = """version: 1
properties:
  Location: {type: choices, options: [Paris, Remote]}
  Hire Date: {type: date}
  Level: {type: numeric}
"""
TEAMS = """teams:
  - id: ENG
    name: Engineering
    managers: [E1]
    members: [E2]
"""


def org(head: str = HEAD, members: str = MEMBERS, teams: str = TEAMS) -> str:
    return head + members + teams




def at(problems: list[Problem], code: str) -> list[tuple[str, int, int, str]]:
    """(path, line, column, severity) of every problem with ``code``."""
    return [(p.path, p.line, p.column, p.severity) for p in problems if p.code == code]


def only(problems: list[Problem], code: str) -> Problem:
    matching = [p for p in problems if p.code == code]
    assert len(matching) == 1, problems
    return matching[0]


# --------------------------------------------------------------------------- a clean org


def test_clean_org_has_no_problems(tmp_path: Path) -> None:
    _, problems = check(tmp_path, org())
    assert problems == []


# --------------------------------------------------------------------------- syntax and schema


def test_yaml_syntax_error_reported_at_its_position(tmp_path: Path) -> None:
    text = org(teams="teams:\n  - id: ENG\n    name: Engineering\n    managers: [E1\n    members: [E2]\n")
    path, problems = check(tmp_path, text)
    assert [(p.path, p.code) for p in problems] == [(path, "yaml_syntax")]  # no cascade of other errors
    assert problems[0].line == where(text, "members: [E2]")[0]


def test_duplicate_mapping_key(tmp_path: Path) -> None:
    text = org(teams=TEAMS + "    name: Engineers\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "duplicate_key") == [(path, *where(text, "name: Engineers"), "error")]


def test_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    text = org(members=MEMBERS + "  - {id: E3, emial: c@x.io, email: c@x.io, first_name: C, last_name: D}\n",
               teams=TEAMS + "  - id: OPS\n    nmae: Ops\n    name: Operations\n    managers: [E3]\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "unknown_key") == [(path, *where(text, "emial"), "error"), (path, *where(text, "nmae"), "error")]
    messages = [p.message for p in problems if p.code == "unknown_key"]
    assert "did you mean 'email'?" in messages[0] and "did you mean 'name'?" in messages[1]


def test_unknown_top_level_key_with_did_you_mean(tmp_path: Path) -> None:
    text = "organisation: Acme\n" + org()
    path, problems = check(tmp_path, text)
    p = only(problems, "unknown_key")
    assert (p.path, p.line, p.column) == (path, 1, 1) and "did you mean 'organization'?" in p.message


def test_wrong_type_is_reported_at_the_value(tmp_path: Path) -> None:
    text = org(members=MEMBERS.replace("last_name: Stone", "last_name: 42"),
               teams=TEAMS.replace("managers: [E1]", "managers: E1"))
    path, problems = check(tmp_path, text)
    assert at(problems, "wrong_type") == [(path, *where(text, "42"), "error"), (path, *where(text, "E1\n"), "error")]
    assert "expected a string, got the integer 42" in [p for p in problems if p.code == "wrong_type"][0].message


@pytest.mark.parametrize("managers", ["-1", "true", "{a: E1}"])
def test_managers_that_are_not_a_list_beside_members_is_a_schema_error_not_a_crash(tmp_path: Path,
                                                                                    managers: str) -> None:
    # fuzzing: `managers: -1` next to a members list crashed the manager-is-member check (TypeError)
    text = org(teams=TEAMS.replace("managers: [E1]", f"managers: {managers}"))
    path, problems = check(tmp_path, text)
    assert not [p for p in problems if "internal error" in p.message], problems
    assert at(problems, "wrong_type") == [(path, *where(text, managers + "\n"), "error")]


def test_missing_required_key(tmp_path: Path) -> None:
    text = org(members=MEMBERS + "  - {id: E3, email: c@x.io, first_name: C}\n")
    path, problems = check(tmp_path, text)
    p = only(problems, "missing_key")
    assert (p.path, p.line, p.column) == (path, *where(text, "{id: E3"))
    assert "last_name" in p.message


def test_integer_ids_are_read_as_strings(tmp_path: Path) -> None:
    text = org(members=MEMBERS.replace("id: E2", "id: 1002"), teams=TEAMS.replace("[E2]", "[1002]"))
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    result = load_org([path])
    assert [m.id for m in result.org.members] == ["E1", "1002"]
    assert result.org.teams[0].members == ["1002"]


# --------------------------------------------------------------------------- members


def test_duplicate_member_id(tmp_path: Path) -> None:
    text = org(members=MEMBERS + "  - {id: E1, email: c@x.io, first_name: C, last_name: D}\n")
    path, problems = check(tmp_path, text)
    p = only(problems, "duplicate_member_id")
    assert (p.path, p.line, p.column) == (path, *where(text, "E1", 2))
    assert f"{path}:{where(text, 'E1')[0]}:{where(text, 'E1')[1]}" in p.message  # points at the first


def test_duplicate_email_is_case_insensitive(tmp_path: Path) -> None:
    text = org(members=MEMBERS + "  - {id: E3, email: Bob@X.io, first_name: Bob, last_name: Two}\n",
               teams=TEAMS.replace("[E2]", "[E2, E3]"))
    path, problems = check(tmp_path, text)
    assert at(problems, "duplicate_email") == [(path, *where(text, "Bob@X.io"), "error")]


def test_malformed_email(tmp_path: Path) -> None:
    text = org(members=MEMBERS.replace("bob@x.io", "bob.x.io"))
    path, problems = check(tmp_path, text)
    assert at(problems, "malformed_email") == [(path, *where(text, "bob.x.io"), "error")]


def test_member_in_no_team_warns(tmp_path: Path) -> None:
    text = org(members=MEMBERS + "  - {id: E3, email: c@x.io, first_name: C, last_name: D}\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "member_in_no_team") == [(path, *where(text, "E3"), "warning")]


# --------------------------------------------------------------------------- properties


def test_undeclared_property_has_did_you_mean_on_case_mismatch(tmp_path: Path) -> None:
    text = org(members=MEMBERS.replace("last_name: Lima}", "last_name: Lima, properties: {location: Paris}}"))
    path, problems = check(tmp_path, text)
    p = only(problems, "unknown_property")
    assert (p.path, p.line, p.column) == (path, *where(text, "location"))
    assert "did you mean 'Location'?" in p.message


def test_undeclared_property_without_close_match(tmp_path: Path) -> None:
    text = org(members=MEMBERS.replace("last_name: Lima}", "last_name: Lima, properties: {Shoe Size: 42}}"))
    path, problems = check(tmp_path, text)
    p = only(problems, "unknown_property")
    assert (p.line, p.column) == where(text, "Shoe Size") and "not declared under 'properties'" in p.message


def test_undeclared_option_has_did_you_mean_on_case_mismatch(tmp_path: Path) -> None:
    text = org(members=MEMBERS.replace("last_name: Lima}", "last_name: Lima, properties: {Location: paris}}"))
    path, problems = check(tmp_path, text)
    p = only(problems, "unknown_option")
    assert (p.path, p.line, p.column) == (path, *where(text, "paris}"))
    assert "did you mean 'Paris'?" in p.message


def test_property_value_of_the_wrong_type(tmp_path: Path) -> None:
    text = org(members=MEMBERS.replace("last_name: Lima}", "last_name: Lima, properties: {Hire Date: soon, Level: high}}"))
    path, problems = check(tmp_path, text)
    assert at(problems, "property_type") == [(path, *where(text, "soon"), "error"), (path, *where(text, "high"), "error")]


def test_choices_property_needs_options(tmp_path: Path) -> None:
    text = org(head=HEAD + "  Team: {type: choices}\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "choices_without_options") == [(path, *where(text, "{type: choices}"), "error")]


def test_options_only_on_a_choices_property(tmp_path: Path) -> None:
    text = org(head=HEAD + "  Grade: {type: numeric, options: [1, 2]}\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "options_not_choices") == [(path, *where(text, "options: [1"), "error")]


def test_unknown_property_type_has_did_you_mean(tmp_path: Path) -> None:
    text = org(head=HEAD + "  Start: {type: dates}\n")
    path, problems = check(tmp_path, text)
    p = only(problems, "schema")
    assert (p.line, p.column) == where(text, "dates") and "did you mean 'date'?" in p.message


def test_property_values_are_normalised(tmp_path: Path) -> None:
    text = org(members=MEMBERS.replace("last_name: Lima}",
                                       "last_name: Lima, properties: {Hire Date: 2019-04-01, Level: 7.0, Location: Remote}}"))
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    member = load_org([path]).org.members[0]
    assert member.properties == {"Hire Date": "2019-04-01", "Level": "7", "Location": "Remote"}


# --------------------------------------------------------------------------- teams


def test_duplicate_team_id_anywhere_in_the_tree(tmp_path: Path) -> None:
    text = org(teams=TEAMS + "    teams:\n      - {id: PLAT, name: Platform, members: [E1]}\n"
                             "      - {id: PLAT, name: Platform 2, members: [E2]}\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "duplicate_team_id") == [(path, *where(text, "PLAT", 2), "error")]


def test_team_with_two_parents(tmp_path: Path) -> None:
    text = org(teams=TEAMS + "    teams:\n      - {id: PLAT, name: Platform, members: [E1]}\n"
                             "  - id: OPS\n    name: Operations\n    managers: [E2]\n"
                             "    teams:\n      - {id: PLAT, name: Platform, members: [E1]}\n")
    path, problems = check(tmp_path, text)
    p = only(problems, "double_parent")
    assert (p.path, p.line, p.column) == (path, *where(text, "PLAT", 2))
    assert "'ENG'" in p.message and "'OPS'" in p.message


def test_unknown_member_in_a_team(tmp_path: Path) -> None:
    text = org(teams=TEAMS.replace("managers: [E1]", "managers: [e1]").replace("[E2]", "[E2, E9]"))
    path, problems = check(tmp_path, text)
    assert at(problems, "unknown_member") == [(path, *where(text, "e1"), "error"), (path, *where(text, "E9"), "error")]
    assert "did you mean 'E1'?" in [p for p in problems if p.code == "unknown_member"][0].message


def test_unknown_parent_team(tmp_path: Path) -> None:
    text = org(teams=TEAMS + "  - {id: OPS, name: Operations, parent: ENGG, members: [E1]}\n")
    path, problems = check(tmp_path, text)
    p = only(problems, "unknown_parent")
    assert (p.path, p.line, p.column) == (path, *where(text, "ENGG")) and "did you mean 'ENG'?" in p.message


def test_parent_only_on_a_top_level_team(tmp_path: Path) -> None:
    text = org(teams=TEAMS + "    teams:\n      - {id: PLAT, name: Platform, parent: ENG, members: [E1]}\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "nested_parent") == [(path, *where(text, "parent: ENG"), "error")]


def test_cycle_in_team_parents(tmp_path: Path) -> None:
    text = org(teams=TEAMS + "  - {id: A, name: Team A, parent: B, members: [E1]}\n"
                             "  - {id: B, name: Team B, parent: A, members: [E2]}\n")
    path, problems = check(tmp_path, text)
    p = only(problems, "team_cycle")
    assert (p.path, p.line, p.column) == (path, *where(text, "parent: B")[:1], where(text, "parent: B")[1] + 8)
    assert "A -> B -> A" in p.message


def test_team_that_is_its_own_parent_is_a_cycle(tmp_path: Path) -> None:
    text = org(teams=TEAMS + "  - {id: A, name: Team A, parent: A, members: [E1]}\n")
    _, problems = check(tmp_path, text)
    assert "A -> A" in only(problems, "team_cycle").message


def test_manager_who_is_also_a_member_warns(tmp_path: Path) -> None:
    text = org(teams=TEAMS.replace("[E2]", "[E2, E1]"))
    path, problems = check(tmp_path, text)
    assert at(problems, "manager_is_member") == [(path, *where(text, "E1]", 2), "warning")]


def test_team_id_equal_to_its_name_warns(tmp_path: Path) -> None:
    text = org(teams=TEAMS + "  - {id: customer-support, name: Customer Support, members: [E1]}\n"
                             "  - {id: SALES, name: Sales, members: [E2]}\n")
    path, problems = check(tmp_path, text)
    # an all-caps code is a code, not the name
    assert at(problems, "team_id_is_name") == [(path, *where(text, "customer-support"), "warning")]


def test_team_id_that_looks_like_a_persons_name_warns(tmp_path: Path) -> None:
    text = org(teams=TEAMS + "  - {id: bob.stone, name: Platform, members: [E1]}\n"
                             "  - {id: OPS, name: Ana's team, managers: [E1]}\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "team_named_after_person") == [(path, *where(text, "bob.stone"), "warning"),
                                                       (path, *where(text, "Ana's team"), "warning")]


def test_empty_team_warns(tmp_path: Path) -> None:
    text = org(teams=TEAMS + "  - id: OPS\n    name: Operations\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "empty_team") == [(path, *where(text, "id: OPS"), "warning")]


# --------------------------------------------------------------------------- empty sections


def test_org_without_members_is_an_error(tmp_path: Path) -> None:
    text = org(members="members: []\n", teams="teams:\n  - {id: ENG, name: Engineering}\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "no_members") == [(path, *where(text, "members"), "error")]


def test_org_without_teams_is_an_error(tmp_path: Path) -> None:
    text = org(teams="")
    path, problems = check(tmp_path, text)
    assert at(problems, "no_teams") == [(path, 1, 1, "error")]


def test_org_whose_teams_have_no_mapping_is_an_error(tmp_path: Path) -> None:
    text = org(teams="teams:\n  - {id: ENG, name: Engineering}\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "no_mappings") == [(path, *where(text, "teams"), "error")]


# --------------------------------------------------------------------------- settings and version


def test_protected_id_not_in_org_warns_and_stays_protected(tmp_path: Path) -> None:
    # a leaver removed from members but kept in settings.protected is what the plan guard is for
    text = org(head=HEAD + "settings:\n  protected: [E1, E7]\n")
    path, problems = check(tmp_path, text)
    assert at(problems, "unknown_member") == []
    assert at(problems, "protected_not_in_org") == [(path, *where(text, "E7"), "warning")]
    assert "protected_member guard" in only(problems, "protected_not_in_org").message
    assert load_org([Path(path)]).org.settings.protected == ["E1", "E7"]


def test_protected_id_not_in_org_keeps_did_you_mean(tmp_path: Path) -> None:
    text = org(head=HEAD + "settings:\n  protected: [e2]\n")
    _, problems = check(tmp_path, text)
    assert "(did you mean 'E2'?)" in only(problems, "protected_not_in_org").message


def test_settings_are_mapped_to_the_model(tmp_path: Path) -> None:
    text = org(head=HEAD + "organization: Acme\nsettings:\n  risk_thresholds: {users: 50, teams: 20}\n"
                           "  safety: {max_deactivation_ratio: 0.2, max_team_removal_ratio: 0, floor: 3}\n"
                           "  protected: [E2]\n")
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    result = load_org([path])
    s = result.org.settings
    assert result.org.organization == "Acme"
    assert (s.risk_users, s.risk_teams, s.protected) == (50, 20, ["E2"])
    assert (s.safety.max_deactivation_ratio, s.safety.max_team_removal_ratio, s.safety.floor) == (0.2, 0.0, 3)


def test_unknown_settings_key_has_did_you_mean(tmp_path: Path) -> None:
    text = org(head=HEAD + "settings:\n  safety: {max_deactivation_rate: 0.2}\n")
    path, problems = check(tmp_path, text)
    p = only(problems, "unknown_key")
    assert (p.line, p.column) == where(text, "max_deactivation_rate")
    assert "did you mean 'max_deactivation_ratio'?" in p.message


def test_version_must_be_1(tmp_path: Path) -> None:
    text = org(head=HEAD.replace("version: 1", "version: 2"))
    path, problems = check(tmp_path, text)
    assert [(p.line, p.column) for p in problems] == [where(text, "2")]


def test_missing_version_is_an_error(tmp_path: Path) -> None:
    text = org(head=HEAD.replace("version: 1\n", ""))
    path, problems = check(tmp_path, text)
    assert at(problems, "missing_version") == [(path, 1, 1, "error")]


# --------------------------------------------------------------------------- load_org contract


def test_load_org_raises_with_every_error_and_warning(tmp_path: Path) -> None:
    text = org(members=MEMBERS + "  - {id: E1, email: c@x.io, first_name: C, last_name: D}\n"
                                 "  - {id: E4, email: d@x.io, first_name: D, last_name: D}\n")
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        load_org([path])
    codes = {(p.code, p.severity) for p in info.value.problems}
    assert {("duplicate_member_id", "error"), ("member_in_no_team", "warning")} <= codes


def test_warnings_do_not_fail_loading(tmp_path: Path) -> None:
    text = org(teams=TEAMS.replace("[E2]", "[E2, E1]"))
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    result = load_org([path])
    assert [w.code for w in result.warnings] == ["manager_is_member"]
    assert result.sources == [path]


def test_teams_are_flat_and_parents_come_first(tmp_path: Path) -> None:
    text = org(teams="teams:\n"
                     "  - {id: SUB2, name: Sub two, parent: PLAT, members: [E2]}\n"
                     "  - id: ENG\n    name: Engineering\n    managers: [E1]\n"
                     "    teams:\n      - {id: PLAT, name: Platform, members: [E2]}\n"
                     "  - {id: OPS, name: Operations, members: [E1]}\n")
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    teams = load_org([path]).org.teams
    assert [(t.id, t.parent) for t in teams] == [("ENG", None), ("PLAT", "ENG"), ("SUB2", "PLAT"), ("OPS", None)]
