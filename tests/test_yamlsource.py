"""yamlsource: plain data from the C parser's events, with exact 1-based positions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ovctl.core.positions import MarkedDict, MarkedList, key_pos, value_pos
from ovctl.files.yamlsource import parse_yaml, read_yaml
from support.positions import where




def test_values_and_keys_carry_their_positions() -> None:
    text = "teams:\n  - id: ENG\n    members: [E1, E2]\n"
    data, problems = parse_yaml(text, "org.yaml")
    assert problems == []
    team = data["teams"][0]
    assert isinstance(data, MarkedDict) and isinstance(data["teams"], MarkedList)
    assert key_pos(team, "members") == where(text, "members")
    assert value_pos(team, "id") == where(text, "ENG")
    assert value_pos(team["members"], 1) == where(text, "E2")


def test_columns_count_characters_not_bytes() -> None:
    text = "a: {é: Núñez, z: Côté}\n"
    data, _ = parse_yaml(text, "org.yaml")
    assert value_pos(data["a"], "z") == (1, 18) == where(text, "Côté")


def test_duplicate_key_is_reported_at_the_second_key() -> None:
    text = "members:\n  - id: E1\n    email: a@x.io\n    email: b@x.io\n"
    data, problems = parse_yaml(text, "org.yaml")
    assert [(p.line, p.column, p.code) for p in problems] == [(*where(text, "email", 2), "duplicate_key")]
    assert "line 3, column 5" in problems[0].message
    assert data["members"][0]["email"] == "a@x.io"  # the first value is kept


def test_duplicate_key_in_flow_mapping() -> None:
    text = "p: {Location: Paris, Level: 3, Location: Remote}\n"
    _, problems = parse_yaml(text, "org.yaml")
    assert [(p.line, p.column) for p in problems] == [where(text, "Location", 2)]


def test_syntax_error_position() -> None:
    text = "members:\n  - id: E1\n    email: [a@x.io\n  - id: E2\n"
    data, problems = parse_yaml(text, "org.yaml")
    assert data is None
    assert len(problems) == 1 and problems[0].code == "yaml_syntax"
    # libyaml stops at the ':' that cannot be inside the unclosed flow sequence
    assert (problems[0].line, problems[0].column) == where(text, ": E2")
    assert "line 3, column 12" in problems[0].message  # where the flow sequence started


def test_bad_indentation_is_a_syntax_error_with_position() -> None:
    text = "version: 1\nmembers:\n  - id: E1\n   email: x\n"
    _, problems = parse_yaml(text, "org.yaml")
    assert problems[0].code == "yaml_syntax" and problems[0].line == 4


def test_yaml_1_2_scalars() -> None:
    data, _ = parse_yaml("a: yes\nb: 2019-04-01\nc: '7'\nd: 7\ne: 1.50\nf: ~\ng: on\n", "x.yaml")
    assert data == {"a": "yes", "b": dt.date(2019, 4, 1), "c": "7", "d": 7, "e": 1.5, "f": None, "g": "on"}


def test_invalid_date_is_reported_at_the_value() -> None:
    text = "d: 2019-13-45\n"
    data, problems = parse_yaml(text, "x.yaml")
    assert data["d"] == "2019-13-45"
    assert [(p.line, p.column, p.code) for p in problems] == [(1, 4, "yaml_value")]


def test_merge_key_and_aliases() -> None:
    text = "base: &b {type: choices, options: [A]}\nx: {<<: *b, type: text}\ny: *b\n"
    data, problems = parse_yaml(text, "x.yaml")
    assert problems == []
    assert data["x"] == {"type": "text", "options": ["A"]}
    assert data["y"] == {"type": "choices", "options": ["A"]}


def test_undefined_alias_is_an_error() -> None:
    _, problems = parse_yaml("a: *nowhere\n", "x.yaml")
    assert [(p.line, p.column) for p in problems] == [(1, 4)]
    assert "undefined alias" in problems[0].message


def test_recursive_alias_is_an_error_not_a_hang() -> None:
    _, problems = parse_yaml("a: &x [1, *x]\n", "x.yaml")
    assert [p.code for p in problems] == ["yaml_recursive"]


def test_second_document_is_an_error() -> None:
    _, problems = parse_yaml("a: 1\n---\nb: 2\n", "x.yaml")
    assert [(p.line, p.column) for p in problems] == [(2, 1)]


def test_complex_key_is_an_error() -> None:
    _, problems = parse_yaml("? [a, b]\n: 1\n", "x.yaml")
    assert [p.code for p in problems] == ["yaml_key"]


def test_empty_file_is_no_data_and_no_problem(tmp_path: Path) -> None:
    f = tmp_path / "empty.yaml"
    f.write_text("# nothing yet\n", encoding="utf-8")
    assert read_yaml(f) == (None, [])


def test_invalid_utf8_names_line_and_column(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes("version: 1\norganization: Café\n".encode("latin-1"))
    data, problems = read_yaml(f, "latin1.yaml")
    assert data is None
    assert [(p.path, p.line, p.column, p.code) for p in problems] == [("latin1.yaml", 2, 18, "unreadable")]
    assert "UTF-8" in problems[0].message


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    f = tmp_path / "bom.yaml"
    f.write_bytes(b"\xef\xbb\xbfversion: 1\n")
    assert read_yaml(f)[0] == {"version": 1}


def test_missing_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    data, problems = read_yaml(tmp_path / "nope.yaml", "nope.yaml")
    assert data is None and [(p.path, p.code) for p in problems] == [("nope.yaml", "missing_file")]


def test_pure_python_parser_gives_the_same_data_positions_and_problems() -> None:
    """Without ruamel.yaml.clib, ruamel parses in pure Python: same events, so the same result."""
    text = ("version: 1\nmembers:\n  - {id: E1, email: a@x.io, first_name: Zoé, last_name: Côté,\n"
            "     properties: {Hire Date: 2019-04-01, Level: 7}}\n  - id: E2\n    id: E3\n"
            "teams: &t [{id: T, name: Tëam, members: [E1]}]\nagain: *t\nbad: 2019-02-30\n")
    fast, fast_problems = parse_yaml(text, "x.yaml")
    slow, slow_problems = parse_yaml(text, "x.yaml", pure=True)
    assert fast == slow and fast_problems == slow_problems and len(fast_problems) == 2

    def positions(value):
        if isinstance(value, MarkedDict):
            return (value.pos, value.key_pos, value.val_pos, {k: positions(v) for k, v in value.items()})
        if isinstance(value, MarkedList):
            return (value.pos, value.item_pos, [positions(v) for v in value])
        return None

    assert positions(fast) == positions(slow)
    _, syntax_fast = parse_yaml("a: [1\nb: 2\n", "x.yaml")
    _, syntax_slow = parse_yaml("a: [1\nb: 2\n", "x.yaml", pure=True)
    assert [(p.line, p.column) for p in syntax_fast] == [(p.line, p.column) for p in syntax_slow]


def test_nesting_deeper_than_the_limit_is_one_positioned_problem() -> None:
    from ovctl.files.yamlsource import MAX_NESTING

    text = "teams: " + "[" * (MAX_NESTING + 10) + "]" * (MAX_NESTING + 10) + "\n"
    data, problems = parse_yaml(text, "deep.yaml")
    assert data is None
    assert [(p.line, p.column, p.code) for p in problems] == [(1, 8 + MAX_NESTING - 1, "yaml_syntax")]
    assert f"more than {MAX_NESTING} levels" in problems[0].message


def test_nesting_up_to_the_limit_is_read() -> None:
    from ovctl.files.yamlsource import MAX_NESTING

    text = "x: " + "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1) + "\n"
    data, problems = parse_yaml(text, "ok.yaml")
    assert problems == [] and isinstance(data["x"], list)
