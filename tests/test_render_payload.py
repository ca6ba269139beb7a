"""`ovctl render`: the exact payload (JSON) or the official script's CSV files, nothing sent."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ovctl.cli import main
from ovctl.files.csvout import neutralize_cell, table_text

ORG = Path(__file__).parent / "fixtures" / "e2e" / "render-org.yaml"


def _render(tmp_path: Path, flavor: str, fmt: str) -> Path:
    out = tmp_path / f"{flavor}-{fmt}"
    assert main(["render", str(ORG), "--flavor", flavor, "--format", fmt, "--out", str(out)]) == 0
    return out


def test_workleap_json_payload_has_current_sections_and_no_settings(tmp_path: Path) -> None:
    body = json.loads((_render(tmp_path, "workleap", "json") / "payload.json").read_text(encoding="utf-8"))
    assert set(body) == {"members", "teams", "teamMappings"}  # S6: `settings` is rejected by the current API
    nuno = next(m for m in body["members"] if m["externalMemberId"] == "R1")
    assert nuno["email"] == "nuno@acme.example"
    assert (nuno["firstName"], nuno["lastName"]) == ("Nuño", "Ibáñez")
    assert nuno["Location"] == "Montréal"  # properties travel as keys named after the property
    assert body["teams"] == [{"externalTeamId": "T1", "teamName": "Équipe Núcleo"}]
    rows = {(r["externalTeamId"], r.get("externalMemberId")): r for r in body["teamMappings"]}
    assert rows[("T1", "R1")]["isManager"] is True and rows[("T1", "R1")]["isMember"] is False
    assert rows[("T1", "R2")]["isMember"] is True and rows[("T1", "R2")]["isManager"] is False


def test_legacy_json_payload_uses_users_groups_mappings_with_settings(tmp_path: Path) -> None:
    body = json.loads((_render(tmp_path, "legacy", "json") / "payload.json").read_text(encoding="utf-8"))
    assert set(body) == {"settings", "users", "groups", "mappings"}
    assert body["settings"] == {"inviteNewUsers": False}
    assert {u["id"] for u in body["users"]} == {"R1", "R2", "R3"}
    assert body["groups"] == [{"id": "T1", "name": "Équipe Núcleo"}]
    assert {(m["groupId"], m["userId"]) for m in body["mappings"]} == {("T1", "R1"), ("T1", "R2"), ("T1", "R3")}


def test_json_is_utf8_with_accents_unescaped(tmp_path: Path) -> None:
    raw = (_render(tmp_path, "workleap", "json") / "payload.json").read_bytes()
    assert "Équipe Núcleo".encode("utf-8") in raw  # not \\u00c9 escapes: reviewable as is


@pytest.mark.parametrize("flavor, names", [
    ("workleap", ("members.csv", "teams.csv", "teams-mappings.csv")),
    ("legacy", ("users.csv", "groups.csv", "groups-mapping.csv")),
])
def test_csv_render_writes_the_three_files_of_the_official_script(tmp_path: Path, flavor: str, names: tuple) -> None:
    out = _render(tmp_path, flavor, "csv")
    assert sorted(p.name for p in out.iterdir()) == sorted(names)


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # plain UTF-8, no byte-order mark
    return list(csv.reader(raw.decode("utf-8").splitlines()))


def test_csv_headers_and_special_characters(tmp_path: Path) -> None:
    out = _render(tmp_path, "workleap", "csv")
    members = _read_csv(out / "members.csv")
    header = members[0]
    assert header[:4] == ["externalMemberId", "email", "firstName", "lastName"]
    assert "Location" in header
    nuno = next(r for r in members[1:] if r[0] == "R1")
    assert (nuno[2], nuno[3]) == ("Nuño", "Ibáñez")
    assert nuno[header.index("Location")] == "Montréal"
    teams = _read_csv(out / "teams.csv")
    assert teams == [["externalTeamId", "teamName"], ["T1", "Équipe Núcleo"]]
    mappings = _read_csv(out / "teams-mappings.csv")
    assert mappings[0] == ["externalTeamId", "externalMemberId", "externalSubteamId", "isMember", "isManager"]
    assert ["T1", "R1", "", "false", "true"] in mappings


def test_csv_cells_that_start_a_formula_are_neutralised(tmp_path: Path) -> None:
    out = _render(tmp_path, "workleap", "csv")
    members = _read_csv(out / "members.csv")
    header = members[0]
    by_id = {r[0]: dict(zip(header, r)) for r in members[1:]}
    assert by_id["R1"]["jobTitle"] == "'=HYPERLINK(\"http://x\")"
    assert by_id["R2"]["firstName"] == "'+Inés"
    assert by_id["R2"]["lastName"] == "'-García"
    assert by_id["R2"]["jobTitle"] == "'@SUM(A1)"
    assert by_id["R3"]["jobTitle"] == "Engineer, Senior"  # a comma is quoted, not altered


@pytest.mark.parametrize("cell", ["\tcmd", "\rcmd"])
def test_tab_and_carriage_return_leads_are_neutralised(cell: str) -> None:
    assert neutralize_cell(cell) == "'" + cell


def test_csv_lines_end_with_crlf(tmp_path: Path) -> None:
    raw = (_render(tmp_path, "workleap", "csv") / "teams.csv").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") == 2  # header + one team, RFC 4180 line endings


def test_every_csv_cell_is_quoted(tmp_path: Path) -> None:
    out = _render(tmp_path, "workleap", "csv")
    raw = (out / "teams.csv").read_bytes()
    assert raw == '"externalTeamId","teamName"\r\n"T1","Équipe Núcleo"\r\n'.encode("utf-8")
    mappings = (out / "teams-mappings.csv").read_bytes().decode("utf-8")
    assert '"T1","R1","","false","true"\r\n' in mappings  # empty cells and booleans too
    for name in ("members.csv", "teams.csv", "teams-mappings.csv"):
        for line in (out / name).read_text(encoding="utf-8").splitlines():
            assert line.startswith('"') and line.endswith('"')


def _cells_for_a_spreadsheet(line: str, separator: str) -> list[str]:
    """How a spreadsheet splits a line: a separator outside quotes ends a cell, each '"' toggles
    quoting (so '""' inside quotes is a quote). Python's csv reader is stricter than spreadsheets."""
    cells, cell, quoted = [], "", False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            cells.append(cell)
            cell = ""
        else:
            cell += char
    return cells + [cell]


@pytest.mark.parametrize("separator", [";", "\t", ","])
def test_a_separator_in_a_value_never_starts_a_new_cell(separator: str) -> None:
    values = ["Ana; =cmd()", 'say "hi"; bye', "tab\there", "a,b"]
    text = table_text(["id", "name"], [[f"R{i}", v] for i, v in enumerate(values)])
    for line, value in zip(text.splitlines()[1:], values):
        cells = _cells_for_a_spreadsheet(line, separator)
        expected = 2 if separator == "," else 1  # only the file's own separator splits
        assert len(cells) == expected, (line, cells)
        assert all(not c.lstrip().startswith("=") for c in cells)  # no cell that a formula could start
    minimal = "R1,Ana; =cmd()"  # what minimal quoting wrote: the ';' started a formula cell
    assert _cells_for_a_spreadsheet(minimal, ";") == ["R1,Ana", " =cmd()"]
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["id", "name"]] + [
        [f"R{i}", v] for i, v in enumerate(values)]
    assert table_text(["x"], [["=1+1"]]) == '"x"\r\n"\'=1+1"\r\n'  # formula neutralisation stays


def test_render_never_loads_the_http_stack(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from ovctl.cli import main\n"
        f"rc = main(['render', {str(ORG)!r}, '--format', 'json', '--out', {str(tmp_path / 'o')!r}])\n"
        "assert rc == 0, rc\n"
        "print('httpx' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_render_out_naming_an_existing_file_is_a_clean_error(tmp_path: Path, capsys, fmt: str) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("keep me", encoding="utf-8")
    assert main(["render", str(ORG), "--format", fmt, "--out", str(blocker)]) == 1
    err = capsys.readouterr().err
    assert f"error: {blocker}: is a file; --out names a directory" in err
    assert "internal error" not in err and len(err.strip().splitlines()) == 1
    assert blocker.read_text(encoding="utf-8") == "keep me"


def test_render_out_under_a_file_is_a_clean_error(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    assert main(["render", str(ORG), "--out", str(blocker / "sub")]) == 1
    err = capsys.readouterr().err
    assert f"error: {blocker / 'sub'}: cannot create the output directory" in err
    assert "internal error" not in err


def test_render_creates_missing_output_directories(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    assert main(["render", str(ORG), "--out", str(out)]) == 0
    assert (out / "payload.json").is_file()
