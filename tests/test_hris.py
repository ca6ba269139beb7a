"""The HRIS source (``ovctl.sources.hris.read_hris``): the example, encodings and delimiters, every
error and warning with its file and line, the manager rule, stable team ids, garbage input."""

from __future__ import annotations

import codecs
import random
import re
from pathlib import Path

import pytest

from ovctl.core.errors import OvctlError, Problem, ValidationFailed
from ovctl.core.model import Org
from ovctl.files.orgfile import check_org
from ovctl.sources import hris
from ovctl.sources.hris import read_hris

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hris"

HEADER = ["Employee ID", "Work Email", "First Name", "Last Name", "Manager", "Department", "Office", "Extra"]
MAPPING = """\
columns:
  id: Employee ID
  email: Work Email
  first_name: First Name
  last_name: Last Name
  manager: Manager
  team: Department
team_separator: " / "
properties:
  Location: Office
"""


def person(pid: str, team: str, manager: str = "", office: str = "Paris", email: str | None = None,
           first: str | None = None) -> list[str]:
    return [pid, email if email is not None else f"{pid.lower()}@acme.example", first if first is not None else
            f"First{pid}", f"Last{pid}", manager, team, office, "ignored"]


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    def cell(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(delimiter.join(cell(v) for v in row) + "\r\n" for row in rows)


def run(tmp_path: Path, rows: list[list[str]] | None = None, *, text: str | None = None, raw: bytes | None = None,
        mapping: str = MAPPING, delimiter: str = ",", header: list[str] = HEADER):
    export = tmp_path / "export.csv"
    if raw is None:
        raw = (text if text is not None else csv_text([header] + (rows or []), delimiter)).encode("utf-8")
    export.write_bytes(raw)
    mapfile = tmp_path / "map.yaml"
    mapfile.write_text(mapping, encoding="utf-8")
    return read_hris(export, mapfile)


def failure(tmp_path: Path, rows=None, **kw) -> list[Problem]:
    with pytest.raises(ValidationFailed) as info:
        run(tmp_path, rows, **kw)
    return info.value.problems


def codes(problems: list[Problem], severity: str | None = None) -> list[str]:
    return [p.code for p in problems if severity is None or p.severity == severity]


def one(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, (code, [str(p) for p in problems])
    return found[0]


# --------------------------------------------------------------------------- helpers: the org as YAML


def org_data(org: Org) -> dict:
    """A plain dump of the org in the org-file format (the org writer's job; enough for the tests)."""
    children: dict[str | None, list] = {}
    for team in org.teams:
        children.setdefault(team.parent, []).append(team)

    def team_data(team) -> dict:
        d: dict = {"id": team.id, "name": team.name}
        if team.managers:
            d["managers"] = list(team.managers)
        if team.members:
            d["members"] = list(team.members)
        if team.id in children:
            d["teams"] = [team_data(t) for t in children[team.id]]
        return d

    members = []
    for m in org.members:
        d = {"id": m.id, "email": m.email, "first_name": m.first_name, "last_name": m.last_name}
        if m.job_title is not None:
            d["job_title"] = m.job_title
        if m.language is not None:
            d["language"] = m.language
        if m.properties:
            d["properties"] = dict(m.properties)
        members.append(d)
    data: dict = {"version": 1}
    if org.organization:
        data["organization"] = org.organization
    s = org.settings
    data["settings"] = {"safety": {"max_deactivation_ratio": s.safety.max_deactivation_ratio,
                                   "max_team_removal_ratio": s.safety.max_team_removal_ratio,
                                   "floor": s.safety.floor}, "protected": list(s.protected)}
    if org.properties:
        data["properties"] = {k: v.to_dict() for k, v in org.properties.items()}
    data["members"] = members
    data["teams"] = [team_data(t) for t in children.get(None, [])]
    return data


def validate(org: Org, tmp_path: Path) -> list[Problem]:
    """Write the org as YAML and run the org file's checks on it; return the problems."""
    from ruamel.yaml import YAML

    path = tmp_path / "imported.yaml"
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(org_data(org), fh)
    result = check_org([path])
    assert not result.errors, [str(p) for p in result.errors]
    return result.problems


def tree(org: Org) -> dict[str, tuple[list[str], list[str]]]:
    """team path -> (manager names, member names): easy to read in assertions."""
    names = {m.id: m.first_name for m in org.members}
    by_id = {t.id: t for t in org.teams}

    def path(team) -> str:
        return team.name if team.parent is None else path(by_id[team.parent]) + " / " + team.name

    return {path(t): ([names[x] for x in t.managers], [names[x] for x in t.members]) for t in org.teams}


# --------------------------------------------------------------------------- the example


def test_the_example_imports_and_validates(tmp_path):
    imported = read_hris(EXAMPLE / "export.csv", EXAMPLE / "mapping.yaml")
    assert imported.warnings == []
    org = imported.org
    assert org.organization == "Acme" and org.settings.protected == ["E1001"]
    assert org.settings.safety.max_team_removal_ratio == 0.25
    assert len(org.members) == 30
    assert tree(org) == {
        "Customer Support": (["Céline"], ["Iván"]),
        "Customer Support / Tier 1": (["Iván"], ["Adrián", "Gaëlle", "Raphaël"]),
        "Data": (["Yasmín"], ["Agnès", "Benoît", "Natalia"]),
        "Engineering": (["Inés"], []),
        "Engineering / Platform": (["René"], ["João", "Noémie"]),
        "Engineering / Platform / SRE": (["Zoé"], ["Ramón", "Inès"]),
        "Engineering / Product": (["Martin"], ["Chloé", "André", "María José"]),
        "Leadership Team": (["Ana"], ["Inés", "Sofía", "Beatriz"]),
        "People": (["Beatriz"], ["Élise", "José"]),
        "Sales": (["Sofía"], ["François"]),
        "Sales / Sales Europe": (["François"], ["Lucía", "Olivier", "Hélène", "Nicolás"]),
    }
    problems = validate(org, tmp_path)
    assert not {"manager_is_member", "empty_team", "member_in_no_team", "team_id_is_name",
                "team_named_after_person"} & set(codes(problems)), [str(p) for p in problems]


def test_the_example_values(tmp_path):
    org = read_hris(EXAMPLE / "export.csv", EXAMPLE / "mapping.yaml").org
    by_id = {m.id: m for m in org.members}
    assert [m.id for m in org.members] == [f"E{1001 + i}" for i in range(30)]  # sorted by id, not by row
    ana = by_id["E1001"]
    assert (ana.first_name, ana.last_name, ana.job_title, ana.language) == ("Ana", "Núñez", "Chief Executive Officer",
                                                                            "fr")
    assert ana.properties == {"Location": "Montréal", "Hire Date": "2012-03-01", "Level": "9"}
    assert by_id["E1008"].language == "fr"  # FR in the export
    assert by_id["E1006"].language == "fr-CA"
    assert by_id["E1013"].first_name == "María José"
    assert org.properties["Location"].options == ("Montréal", "Paris", "Québec", "Remote")
    assert org.properties["Hire Date"].type == "date" and org.properties["Level"].type == "numeric"


def test_the_example_export_is_what_the_docs_say():
    raw = (EXAMPLE / "export.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0].split(";")
    assert "Cost Center" in header and "Notes" in header  # unmapped columns
    assert '"Covers Tier 1 on-call;\nback-up: Céline"' in text  # a quoted value with ';' and a line break


def test_derived_team_ids_are_stable_hashes_never_names(tmp_path):
    imported = read_hris(EXAMPLE / "export.csv", EXAMPLE / "mapping.yaml")
    for team in imported.org.teams:
        assert re.fullmatch(r"T-[0-9A-F]{10}", team.id)
        reason = imported.derived[("team", team.id)]
        assert reason.startswith("from the path '") and reason.endswith("'")
        assert team.name in reason
    assert imported.derived[("team", hris.team_id(("Engineering", "Platform", "SRE")))] == \
        "from the path 'Engineering / Platform / SRE'"
    assert len(imported.derived) == len(imported.org.teams)
    again = read_hris(EXAMPLE / "export.csv", EXAMPLE / "mapping.yaml")
    assert again.org == imported.org and again.derived == imported.derived


def test_row_order_changes_nothing(tmp_path):
    raw = (EXAMPLE / "export.csv").read_bytes().decode("utf-8-sig")
    header, body = raw.split("\r\n", 1)
    # records (one holds a quoted line break): split on the CRLF that ends each record
    records = [r for r in body.split("\r\n") if r]
    mapping = (EXAMPLE / "mapping.yaml").read_text(encoding="utf-8")
    first = read_hris(EXAMPLE / "export.csv", EXAMPLE / "mapping.yaml")
    for seed in range(3):
        random.Random(seed).shuffle(records)
        out = run(tmp_path, raw=("\r\n".join([header] + records) + "\r\n").encode("utf-8"), mapping=mapping)
        assert out.org == first.org
        assert out.derived == first.derived


def test_colliding_ids_get_longer_whatever_the_order(monkeypatch):
    real = hris.team_id

    def short(path, digits=hris.ID_DIGITS):
        return "T-SAME" if digits == hris.ID_DIGITS and path in (("A",), ("B",)) else real(path, digits)

    monkeypatch.setattr(hris, "team_id", short)
    ids = hris._team_ids([("A",), ("B",), ("C",)])
    assert ids == hris._team_ids([("C",), ("B",), ("A",)])
    assert ids[("A",)] == real(("A",), 12) and ids[("B",)] == real(("B",), 12)
    assert ids[("C",)] == real(("C",))


# --------------------------------------------------------------------------- encodings and delimiters


ROWS = [person("E1", "Eng", office="Montréal", first="Zoé"), person("E2", "Eng", "E1"), person("E3", "Eng", "E1")]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("bom", [False, True])
def test_delimiters_and_bom(tmp_path, delimiter, bom):
    raw = csv_text([HEADER] + ROWS, delimiter).encode("utf-8")
    out = run(tmp_path, raw=(codecs.BOM_UTF8 if bom else b"") + raw)
    assert [m.first_name for m in out.org.members][0] == "Zoé"
    assert out.org.members[0].properties == {"Location": "Montréal"}
    assert tree(out.org) == {"Eng": (["Zoé"], ["FirstE2", "FirstE3"])}


def test_utf16_with_bom(tmp_path):
    raw = codecs.BOM_UTF16_LE + csv_text([HEADER] + ROWS, "\t").encode("utf-16-le")
    out = run(tmp_path, raw=raw)
    assert out.org.members[0].first_name == "Zoé"


def test_excel_sep_line(tmp_path):
    text = "sep=;\r\n" + csv_text([HEADER] + ROWS + [person("E4", "", "E1")], ";")
    problems = failure(tmp_path, text=text)
    assert one(problems, "missing_value").line == 6  # the sep= line counts


def test_cp1252_is_refused_unless_the_mapping_says_so(tmp_path):
    raw = csv_text([HEADER] + ROWS, ";").encode("cp1252")
    problems = failure(tmp_path, raw=raw)
    p = one(problems, "unreadable")
    assert p.path.endswith("export.csv") and p.line == 2 and "encoding: cp1252" in p.message
    out = run(tmp_path, raw=raw, mapping=MAPPING + "encoding: cp1252\n")
    assert out.org.members[0].first_name == "Zoé"


def test_delimiter_can_be_forced(tmp_path):
    out = run(tmp_path, raw=csv_text([HEADER] + ROWS, ";").encode(), mapping=MAPPING + "delimiter: ';'\n")
    assert len(out.org.members) == 3


def test_quoted_values_with_delimiters_and_line_breaks_keep_line_numbers(tmp_path):
    rows = [person("E1", "Eng"), person("E2", "Eng", "E1"), person("E3", "Eng", "E1")]
    rows[0][7] = "one;\ntwo,\nthree"  # unmapped column: three lines
    rows.append(person("E4", "Eng", "E1", email="nope"))
    problems = failure(tmp_path, rows, delimiter=";")
    assert one(problems, "malformed_email").line == 7


# --------------------------------------------------------------------------- errors and warnings, with lines


def test_every_problem_is_collected_with_its_line(tmp_path):
    rows = [
        person("E1", "Eng"),  # line 2
        person("E2", "Eng", "E1", email="E1@ACME.example"),  # 3: duplicate email
        person("E1", "Eng", "E1", email="other@acme.example"),  # 4: duplicate id
        person("E5", "Eng", "nobody@acme.example"),  # 5: unknown manager (warning)
        ["", "", "", "", "", "", "", ""],  # 6: empty
        person("E6", "Eng", "E1", email="not-an-email"),  # 7
        person("E7", "Eng", "E1", first="Bad\x07Name"),  # 8: control character
        person("E8", "Eng /  / Platform", "E1"),  # 9: empty segment
        person("", "Eng", "E1", email="e10@acme.example"),  # 10: no id
        person("E9", "Eng", "E1") + ["surplus"],  # 11: one field too many
    ]
    problems = failure(tmp_path, rows)
    by_code = {p.code: p for p in problems}
    expected = {"duplicate_email": 3, "duplicate_member_id": 4, "unknown_manager": 5, "empty_row": 6,
                "malformed_email": 7, "control_character": 8, "empty_team_segment": 9, "missing_value": 10,
                "field_count": 11}
    assert {c: by_code[c].line for c in expected} == expected, [str(p) for p in problems]
    assert all(p.path == str(tmp_path / "export.csv") for p in problems)
    assert by_code["unknown_manager"].severity == "warning" and by_code["empty_row"].severity == "warning"
    assert "first at line 2" in by_code["duplicate_member_id"].message
    assert "'e1@acme.example' at line 2" in by_code["duplicate_email"].message
    assert "U+0007" in by_code["control_character"].message and "'First Name'" in by_code["control_character"].message
    assert "'Employee ID'" in by_code["missing_value"].message
    assert "9 fields, the header has 8" in by_code["field_count"].message
    assert len([p for p in problems if p.code == "missing_value"]) == 1  # one mistake, one message
    assert str(by_code["duplicate_email"]).startswith(f"{tmp_path / 'export.csv'}:3:1: duplicate email")


def test_warnings_alone_do_not_fail_and_are_returned(tmp_path):
    rows = [person("E1", "Eng"), ["", "", "", "", "", "", "", ""], [""] * 8, person("E2", "Eng", "ghost")]
    out = run(tmp_path, rows, text=csv_text([HEADER] + rows) + "\r\n")
    assert codes(out.warnings) == ["empty_row", "unknown_manager"]
    assert out.warnings[0].line == 3 and "2 empty rows (lines 3-4" in out.warnings[0].message
    assert out.warnings[1].line == 5 and "'ghost'" in out.warnings[1].message
    assert [m.id for m in out.org.members] == ["E1", "E2"]
    assert codes(run(tmp_path, rows, text=csv_text([HEADER] + rows) + ",,,,,,,\r\n").warnings) == \
        ["empty_row", "unknown_manager", "empty_row"]  # delimiters only, at the end: warned


def test_a_row_with_only_unmapped_values_is_an_empty_row(tmp_path):
    rows = [person("E1", "Eng"), ["", "", "", "", "", "", "", "total: 2"], person("E2", "Eng")]
    out = run(tmp_path, rows)
    assert codes(out.warnings) == ["empty_row"] and out.warnings[0].line == 3


def test_a_line_break_in_a_mapped_value(tmp_path):
    rows = [person("E1", "Eng"), person("E2", "Eng", first="Ana\nMaria")]
    p = one(failure(tmp_path, rows), "control_character")
    assert p.line == 3 and "a line break" in p.message


def test_fewer_fields(tmp_path):
    text = csv_text([HEADER, person("E1", "Eng")]) + "E2,e2@acme.example,A\r\n"
    p = one(failure(tmp_path, text=text), "field_count")
    assert p.line == 3 and "3 fields" in p.message


def test_a_mapped_column_missing_from_the_export_names_the_mapping_line(tmp_path):
    mapping = MAPPING.replace("first_name: First Name", "first_name: Firstname").replace("Location: Office",
                                                                                         "Location: Site")
    problems = failure(tmp_path, [person("E1", "Eng")], mapping=mapping)
    first = [p for p in problems if p.code == "missing_column"]
    assert [(p.path, p.line, p.column) for p in first] == [(str(tmp_path / "map.yaml"), 4, 15),
                                                           (str(tmp_path / "map.yaml"), 10, 13)]
    assert "no column 'Firstname' in the header of" in first[0].message
    assert "(line 1: 'Employee ID', 'Work Email'" in first[0].message
    assert "did you mean 'First Name'?" in first[0].message


def test_a_column_twice_in_the_header(tmp_path):
    header = HEADER[:7] + ["Work Email"]
    p = one(failure(tmp_path, [person("E1", "Eng")], header=header), "duplicate_column")
    assert p.path.endswith("map.yaml") and p.line == 3


def test_unknown_mapping_keys_have_line_and_column(tmp_path):
    mapping = MAPPING.replace("team_separator", "team_seperator").replace("  manager: Manager", "  manger: Manager")
    problems = failure(tmp_path, [person("E1", "Eng")], mapping=mapping)
    unknown = [p for p in problems if p.code == "unknown_key"]
    assert [(p.line, p.column) for p in unknown] == [(6, 3), (8, 1)]
    assert "did you mean 'manager'?" in unknown[0].message
    assert "did you mean 'team_separator'?" in unknown[1].message


@pytest.mark.parametrize("mapping, code, line", [
    ("columns: {id: A}\n", "missing_key", 1),
    ("columns: [a, b]\n", "wrong_type", 1),
    ("- just a list\n", "wrong_type", 1),
    (MAPPING + "delimiter: ':'\n", "wrong_type", 11),
    (MAPPING + "encoding: latin-9\n", "wrong_type", 11),
    (MAPPING.replace('" / "', '""'), "wrong_type", 8),
    (MAPPING.replace("Location: Office", "Location: {column: Office, type: colour}"), "wrong_type", 10),
    (MAPPING.replace("Location: Office", "Location: {column: Office, options: [a]}"), "options_not_choices", 10),
    (MAPPING.replace("Location: Office", "Location: {type: text}"), "missing_key", 10),
    (MAPPING.replace("Location: Office", "Location: {column: Office, type: date, format: 12}"), "wrong_type", 10),
    (MAPPING + "settings: {safety: {floor: -1}}\n", "schema", 11),
    (MAPPING + "organization: [x]\n", "wrong_type", 11),
    ("columns:\n  id: [x]\n", "wrong_type", 2),
    ("columns: {id: A\n", "yaml_syntax", 2),
])
def test_mapping_errors(tmp_path, mapping, code, line):
    problems = failure(tmp_path, [person("E1", "Eng")], mapping=mapping)
    found = [p for p in problems if p.code == code]
    assert found and found[0].path.endswith("map.yaml") and found[0].line == line, [str(p) for p in problems]


def test_a_broken_mapping_still_checks_the_header_but_reads_no_rows(tmp_path):
    mapping = "columns: {id: Employee ID, email: Work Email, first_name: Nom, last_name: Last Name}\n"
    problems = failure(tmp_path, [person("E1", "Eng", email="bad")], mapping=mapping)
    assert codes(problems) == ["missing_key", "missing_column"]  # no row errors from a half-known layout


def test_missing_files(tmp_path):
    with pytest.raises(ValidationFailed) as info:
        read_hris(tmp_path / "nope.csv", tmp_path / "nope.yaml")
    assert codes(info.value.problems) == ["missing_file"]
    (tmp_path / "map.yaml").write_text(MAPPING)
    with pytest.raises(ValidationFailed) as info:
        read_hris(tmp_path / "nope.csv", tmp_path / "map.yaml")
    assert codes(info.value.problems) == ["missing_file"]
    with pytest.raises(ValidationFailed) as info:
        read_hris(tmp_path, tmp_path / "map.yaml")
    assert codes(info.value.problems) == ["unreadable"]


def test_empty_exports(tmp_path):
    assert codes(failure(tmp_path, text="")) == ["no_members"]
    assert codes(failure(tmp_path, text=csv_text([HEADER]))) == ["no_members"]


def test_property_values(tmp_path):
    mapping = MAPPING.replace("Location: Office", "Location: {column: Office, type: choices, options: [Paris, Québec]}"
                              "\n  Start: {column: Extra, type: date}\n  Level: {column: Manager, type: numeric}")
    mapping = mapping.replace("  manager: Manager\n", "")
    rows = [person("E1", "Eng", "3", office="Paris"), person("E2", "Eng", "x", office="québec"),
            person("E3", "Eng", "1.50", office="Lyon")]
    rows[0][7], rows[1][7], rows[2][7] = "2020-02-30", "2021-03-04T09:00:00", "2021-03-04"
    problems = failure(tmp_path, rows, mapping=mapping)
    assert [(p.code, p.line) for p in problems] == [("property_type", 2), ("unknown_option", 3),
                                                    ("property_type", 3), ("unknown_option", 4)]
    assert "did you mean 'Québec'?" in problems[1].message
    assert "(options: Paris, Québec)" in problems[3].message
    rows = [person("E1", "Eng", "3", office="Paris"), person("E2", "Eng", "1.50", office="")]
    rows[0][7], rows[1][7] = "2021-03-04T09:00:00", ""
    org = run(tmp_path, rows, mapping=mapping).org
    assert org.members[0].properties == {"Location": "Paris", "Start": "2021-03-04", "Level": "3"}
    assert org.members[1].properties == {"Level": "1.5"}  # an empty cell sets nothing
    assert org.properties["Location"].options == ("Paris", "Québec")
    rows[0][4] = "1e999"  # matches the number form, but is not a finite number
    assert one(failure(tmp_path, rows, mapping=mapping), "property_type").line == 2


def test_date_formats(tmp_path):
    mapping = MAPPING.replace("Location: Office", "Start: {column: Office, type: date, format: ['%d/%m/%Y', '%Y%m%d']}")
    rows = [person("E1", "Eng", office="31/12/2020"), person("E2", "Eng", office="20210102")]
    org = run(tmp_path, rows, mapping=mapping).org
    assert [m.properties["Start"] for m in org.members] == ["2020-12-31", "2021-01-02"]
    p = one(failure(tmp_path, [person("E1", "Eng", office="2020-12-31")], mapping=mapping), "property_type")
    assert "'%d/%m/%Y' or '%Y%m%d'" in p.message


def test_languages(tmp_path):
    mapping = MAPPING.replace("  manager: Manager\n", "  language: Manager\n")
    rows = [person("E1", "Eng", "FR"), person("E2", "Eng", "pt_br"), person("E3", "Eng", "")]
    org = run(tmp_path, rows, mapping=mapping).org
    assert [m.language for m in org.members] == ["fr", "pt-BR", None]
    p = one(failure(tmp_path, [person("E1", "Eng", "French")], mapping=mapping), "bad_language")
    assert p.line == 2


def test_team_levels_as_columns(tmp_path):
    mapping = MAPPING.replace("team: Department", "team: [Department, Office]").replace('team_separator: " / "\n', "")
    mapping = mapping.replace("  Location: Office", "  Note: Extra")
    rows = [person("E1", "Eng", office=""), person("E2", "Eng", "E1", office="Platform"),
            person("E3", "Eng", "E2", office="Platform"), person("E4", "", office="Platform")]
    p = one(failure(tmp_path, rows, mapping=mapping), "empty_team_segment")
    assert p.line == 5
    org = run(tmp_path, rows[:3], mapping=mapping).org
    assert tree(org) == {"Eng": ([], ["FirstE1"]), "Eng / Platform": (["FirstE2"], ["FirstE3"])}


def test_id_equal_to_email_column_warns(tmp_path):
    mapping = MAPPING.replace("id: Employee ID", "id: Work Email")
    out = run(tmp_path, [person("E1", "Eng")], mapping=mapping)
    assert one(out.warnings, "id_is_email").line == 2


def test_protected_not_in_export_warns(tmp_path):
    out = run(tmp_path, [person("E1", "Eng")], mapping=MAPPING + "settings:\n  protected: [E1, E9]\n")
    p = one(out.warnings, "protected_not_in_org")
    assert (p.line, p.column) == (12, 19) and out.org.settings.protected == ["E1", "E9"]


# --------------------------------------------------------------------------- the manager rule


def test_the_lead_inside_the_team_is_its_manager_not_a_member(tmp_path):
    rows = [person("L", "Eng", "BOSS"), person("A", "Eng", "L"), person("B", "Eng", "L"),
            person("BOSS", "Top")]
    org = run(tmp_path, rows).org
    assert tree(org)["Eng"] == (["FirstL"], ["FirstA", "FirstB"])


def test_a_two_person_team(tmp_path):
    org = run(tmp_path, [person("L", "Eng", "BOSS"), person("A", "Eng", "L"), person("BOSS", "Top")]).org
    assert tree(org)["Eng"] == (["FirstL"], ["FirstA"])


def test_the_head_in_the_parent_team_manages_the_sub_team_and_stays_a_member_there(tmp_path):
    rows = [person("H", "Support", "CEO"), person("T", "Support", "H"), person("A", "Support / Tier 1", "T"),
            person("B", "Support / Tier 1", "T"), person("CEO", "Leadership")]
    org = run(tmp_path, rows).org
    assert tree(org)["Support / Tier 1"] == (["FirstT"], ["FirstA", "FirstB"])
    assert tree(org)["Support"] == (["FirstH"], ["FirstT"])


def test_a_hierarchy_inside_one_team_gives_its_top(tmp_path):
    rows = [person("D", "Eng", "VP"), person("L1", "Eng", "D"), person("L2", "Eng", "D")]
    rows += [person(f"X{i}", "Eng", "L1" if i < 3 else "L2") for i in range(6)]
    rows += [person("VP", "Top")]
    org = run(tmp_path, rows).org
    managers, members = tree(org)["Eng"]
    assert managers == ["FirstD"] and "FirstD" not in members and len(members) == 8


def test_no_majority_means_no_manager_and_a_warning(tmp_path):
    rows = [person("A", "Eng", "P"), person("B", "Eng", "P"), person("C", "Eng", "Q"), person("D", "Eng", "Q"),
            person("P", "Top"), person("Q", "Top")]
    out = run(tmp_path, rows)
    assert tree(out.org)["Eng"] == ([], ["FirstA", "FirstB", "FirstC", "FirstD"])
    p = one(out.warnings, "team_without_manager")
    assert p.line == 2 and "FirstP LastP 2" in p.message
    validate(out.org, tmp_path)


def test_a_team_without_people_takes_the_manager_of_its_sub_team_managers(tmp_path):
    rows = [person("VP", "Leadership"), person("D1", "Eng / A", "VP"), person("X", "Eng / A", "D1"),
            person("D2", "Eng / B", "VP"), person("Y", "Eng / B", "D2")]
    org = run(tmp_path, rows).org
    assert tree(org)["Eng"] == (["FirstVP"], [])
    assert tree(org)["Leadership"] == ([], ["FirstVP"])


def test_a_single_person_team_keeps_its_member(tmp_path):
    org = run(tmp_path, [person("A", "Solo", "B"), person("B", "Top")]).org
    assert tree(org)["Solo"] == (["FirstB"], ["FirstA"])
    assert tree(org)["Top"] == ([], ["FirstB"])


def test_manager_by_id_or_email_self_and_cycles(tmp_path):
    rows = [person("A", "Eng", "b@acme.example"), person("B", "Eng", "a"), person("C", "Eng", "C", email="c@x.org"),
            person("D", "Eng", "C@X.ORG")]
    rows[1][1] = "B@acme.example"
    out = run(tmp_path, rows)  # A and B name each other: no lead; C names themselves: no manager
    assert codes(out.warnings) == ["team_without_manager", "unknown_manager"]  # 'a' is not an id (ids are exact)
    rows[1][4] = "A"
    out = run(tmp_path, rows)
    assert tree(out.org)["Eng"] == ([], ["FirstA", "FirstB", "FirstC", "FirstD"])
    validate(out.org, tmp_path)


def test_never_manager_and_member_of_one_team_and_always_valid(tmp_path):
    rng = random.Random(7)
    teams = ["A", "A / B", "A / B / C", "A / D", "E"]
    for _ in range(20):
        n = rng.randint(1, 25)
        rows = [person(f"P{i}", rng.choice(teams), f"P{rng.randrange(n)}" if rng.random() < 0.9 else "")
                for i in range(n)]
        out = run(tmp_path, rows)
        for team in out.org.teams:
            assert not set(team.managers) & set(team.members)
            assert len(team.managers) <= 1
        placed = {m for t in out.org.teams for m in t.managers + t.members}
        assert placed == {m.id for m in out.org.members}
        validate(out.org, tmp_path)


# --------------------------------------------------------------------------- garbage


def test_garbage_never_gives_a_traceback(tmp_path):
    rng = random.Random(1)
    samples = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 400))) for _ in range(60)]
    samples += [b"\x00\x01\x02", b"\xff\xfe\x00", b"\xfe\xff\xd8\x00", b'"unclosed,quote\n' * 3,
                ("\n".join(",".join(rng.choice(['"', ",", "a", "\r", " / "]) for _ in range(30))
                           for _ in range(10))).encode()]
    header = csv_text([HEADER]).encode()
    samples += [header + s for s in samples[:30]]
    for sample in samples:
        try:
            run(tmp_path, raw=sample)
        except OvctlError as exc:
            assert exc.lines()
    for sample in samples[:20]:
        try:
            run(tmp_path, [person("E1", "Eng")], mapping=sample.decode("latin-1"))
        except OvctlError as exc:
            assert exc.lines()


def test_odd_mappings_never_give_a_traceback(tmp_path):
    rng = random.Random(3)
    odd = ["[]", "{}", "1", "null", "''", "[a, [b]]", "{column: Office}", "{column: Office, type: date, format: [1]}",
           "{column: Office, type: choices, options: [a, {b: 1}]}", "Office", "Department", "[Department, Office]",
           "{column: [x]}", "true", "2020-01-01", "{a: 1}"]
    lines = (MAPPING + "organization: Acme\nsettings: {protected: [E1]}\n").splitlines()
    rows = [person("E1", "Eng"), person("E2", "Eng / Sub", "E1")]
    for _ in range(150):
        mutated = list(lines)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(mutated))
            head = mutated[i].split(":", 1)[0]
            mutated[i] = f"{head}: {rng.choice(odd)}" if rng.random() < 0.8 else ""
        try:
            run(tmp_path, rows, mapping="\n".join(mutated) + "\n")
        except OvctlError as exc:
            assert exc.lines()
