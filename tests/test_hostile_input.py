"""Hostile input (issue 10, points 4, 5 and 9): alias bombs, NUL bytes, FIFOs and devices, huge
values, control and bidi characters, invisible and look-alike emails, clients that hang up.

Every case ends in a clean located error (or warning), never a traceback, a hang or a huge message.
No timing assertions here: timings belong in bench/.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ovctl.cli import main
from ovctl.core.errors import PlanFileError, SnapshotError
from ovctl.core.shown import bounded, escaped, shown, shown_repr
from ovctl.core.snapshot import snapshot_from_dict
from ovctl.files.limits import MAX_BYTES_ENV, FileRefused, read_bytes
from ovctl.files.orgfile import check_org
from ovctl.files.yamlsource import ALIAS_BUDGET, parse_yaml

INVALID = Path(__file__).resolve().parent / "data" / "invalid"

posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")

# file -> (line, column, code) of its first error
EXPECTED = {
    "ansi-escape-job-title.yaml": (8, 16, "control_character"),
    "bidi-isolate-team-name.yaml": (6, 21, "control_character"),
    "bidi-override-name.yaml": (7, 16, "control_character"),
    "billion-laughs.yaml": (9, 11, "yaml_aliases"),
    "control-character-organization.yaml": (2, 15, "control_character"),
    "nul-byte.yaml": (6, 19, "yaml_syntax"),
    "recursive-alias.yaml": (4, 86, "yaml_recursive"),
    "soft-hyphen-email.yaml": (4, 21, "invisible_character"),
    "zero-width-email.yaml": (5, 12, "invisible_character"),
}
CORPUS = sorted(p for p in INVALID.glob("*.yaml") if p.name in EXPECTED)  # the rest: tests/test_corpus.py

GOOD_TAIL = "teams:\n  - {id: ENG, name: Engineering, members: [E1, E2]}\n"


def _org(members: str, tail: str = GOOD_TAIL) -> str:
    return "version: 1\norganization: Acme\nmembers:\n" + members + tail


def _check(tmp_path: Path, text: str, name: str = "org.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return check_org([path])


def _printable_output(text: str) -> bool:
    return all(c.isprintable() or c == "\n" for c in text)


# ---------------------------------------------------------------------------------------- corpus


def test_every_corpus_file_has_an_expectation() -> None:
    assert {p.name for p in CORPUS} == set(EXPECTED)  # the other files' expectations: tests/test_corpus.py


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_file_is_one_located_error(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    text = out + err
    assert "Traceback" not in text
    assert _printable_output(text)  # every control, bidi or zero-width character is shown escaped
    line, column, code = EXPECTED[path.name]
    assert text.startswith(f"{path}:{line}:{column}: "), text
    result = check_org([path])
    assert result.errors[0].code == code and (result.errors[0].line, result.errors[0].column) == (line, column)


def test_billion_laughs_in_a_real_process_is_one_line(tmp_path: Path) -> None:
    path = INVALID / "billion-laughs.yaml"
    run = subprocess.run([sys.executable, "-m", "ovctl.cli", "validate", str(path)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert f"{path}:9:11: YAML aliases expand to more than 1,000,000 nodes" in run.stdout + run.stderr


# ---------------------------------------------------------------------------------------- aliases


@pytest.mark.parametrize("pure", [False, True])
def test_alias_budget_stops_at_the_alias_that_crosses_it(pure: bool) -> None:
    text = (INVALID / "billion-laughs.yaml").read_text(encoding="utf-8")
    data, problems = parse_yaml(text, "bomb.yaml", pure=pure)
    assert data is None
    assert [(p.code, p.line, p.column) for p in problems] == [("yaml_aliases", 9, 11)]
    assert f"more than {ALIAS_BUDGET:,} nodes" in problems[0].message


def test_aliases_below_the_budget_are_fine() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(4)]
    data, problems = parse_yaml("\n".join(levels) + "\n", "ok.yaml")  # 9^5 = 59,049 strings
    assert problems == [] and len(data["e"]) == 9


def test_a_template_merged_into_many_members_stays_within_the_budget(tmp_path: Path) -> None:
    n = 3000
    members = "".join(f"  - <<: *base\n    id: E{i}\n    email: p{i}@acme.example\n    first_name: P{i}\n"
                      for i in range(1, n + 1))
    text = ("version: 1\norganization: Acme\nproperties:\n  Location: {type: choices, options: [Paris, Remote]}\n"
            "  Level: {type: numeric}\n"
            "defaults: &base {last_name: Doe, job_title: Engineer, language: fr,\n"
            "                 properties: {Location: Paris, Level: 3}}\n"
            f"members:\n{members}"
            "teams:\n  - {id: ENG, name: Engineering, members: [" + ", ".join(f"E{i}" for i in range(1, n + 1))
            + "]}\n")
    data, problems = parse_yaml(text, "org.yaml")
    assert problems == []
    assert data["members"][-1]["last_name"] == "Doe"


# ---------------------------------------------------------------------------------------- NUL and controls


@pytest.mark.parametrize("pure", [False, True])
@pytest.mark.parametrize("char", ["\x00", "\x01", "\x7f", "\x9b"])
def test_a_control_character_in_the_file_is_reported_where_it_is(pure: bool, char: str) -> None:
    text = "version: 1\norganization: Société Générale\nmembers:\n  - first_name: Éloïse Ñ" + char + "x\n"
    data, problems = parse_yaml(text, "org.yaml", pure=pure)
    assert data is None and len(problems) == 1
    index = text.index(char)
    column = index - text.rfind("\n", 0, index)
    assert (problems[0].line, problems[0].column) == (4, column) == (4, 25)  # characters, not bytes
    assert escaped(char) in problems[0].message and char not in problems[0].message


# ---------------------------------------------------------------------------------------- huge values


def test_a_10_mb_invalid_email_is_not_echoed(tmp_path: Path) -> None:
    huge = "x" * (10 * 1024 * 1024)
    result = _check(tmp_path, _org(f"  - {{id: E1, email: {huge}, first_name: A, last_name: B}}\n"
                                   "  - {id: E2, email: b@x.io, first_name: A, last_name: B}\n"))
    [problem] = result.errors
    assert problem.code == "malformed_email"
    assert len(problem.message) < 300
    assert "(10,485,760 characters)" in problem.message


def test_huge_keys_ids_and_references_are_shortened(tmp_path: Path) -> None:
    big = "K" * 100_000
    text = _org("  - {id: E1, email: a@x.io, first_name: A, last_name: B}\n"
                "  - {id: E2, email: b@x.io, first_name: A, last_name: B}\n",
                f"teams:\n  - {{id: ENG, name: Engineering, members: [E1, E2, {big}]}}\n? {big}\n: 1\n")
    result = _check(tmp_path, text)
    assert {p.code for p in result.errors} >= {"unknown_key", "unknown_member"}
    assert all(len(p.message) < 400 for p in result.problems)


def test_snapshot_errors_shorten_long_values() -> None:
    with pytest.raises(SnapshotError) as caught:
        snapshot_from_dict({"members": [{"email": "y" * 1_000_000}]}, "state.json")
    assert len(str(caught.value)) < 300 and "1,000,000 characters" in str(caught.value)


def test_shown_helpers() -> None:
    assert shown("Ana") == "Ana" and shown_repr("Ana") == "'Ana'"
    assert shown("a\u202eb\x00") == "a\\u202eb\\x00"
    assert shown("z" * 100, 10) == "z" * 10 + "... (100 characters)"
    assert shown_repr("a\u200b" * 100, 4) == "'a\\u200ba\\u200b'... (200 characters)"
    assert shown_repr({"a": 1}) == "a mapping" and shown_repr(10 ** 5000) == "a number too long to show"
    assert len(bounded("m" * 5000)) < 1100


# ---------------------------------------------------------------------------------------- files


@posix_only
def test_a_fifo_given_as_an_org_file_is_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "org.yaml"
    os.mkfifo(fifo)
    orgdir = tmp_path / "org"
    orgdir.mkdir()
    (orgdir / "a.yaml").write_text(_org("  - {id: E1, email: a@x.io, first_name: A, last_name: B}\n"
                                        "  - {id: E2, email: b@x.io, first_name: A, last_name: B}\n"),
                                   encoding="utf-8")
    os.mkfifo(orgdir / "b.yaml")
    os.symlink("/dev/zero", orgdir / "c.yaml")
    # a subprocess with a timeout: a regression would hang (FIFO) or eat memory (/dev/zero), not fail
    run = subprocess.run([sys.executable, "-m", "ovctl.cli", "validate", str(fifo), str(orgdir), "/dev/null"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    text = run.stdout + run.stderr
    assert run.returncode == 1 and "Traceback" not in text
    assert f"{fifo}: cannot read: is a named pipe (FIFO), not a regular file" in text
    assert f"{orgdir / 'b.yaml'}: cannot read: is a named pipe (FIFO)" in text
    assert f"{orgdir / 'c.yaml'}: cannot read: is a character device" in text
    assert "/dev/null: cannot read: is a character device, not a regular file" in text


@posix_only
def test_fifos_as_state_and_plan_files_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "state.json"
    os.mkfifo(fifo)
    code = ("import sys\nfrom pathlib import Path\nfrom ovctl.files.statefile import read_snapshot\n"
            "from ovctl.files.planfile import load_plan, is_plan_file\n"
            "p = Path(sys.argv[1])\nassert not is_plan_file(p)\n"
            "for f in (read_snapshot, load_plan):\n"
            "    try:\n        f(p)\n    except Exception as e:\n        print(type(e).__name__, e)\n")
    run = subprocess.run([sys.executable, "-c", code, str(fifo)], capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr
    assert f"SnapshotError {fifo}: cannot read snapshot: is a named pipe (FIFO)" in run.stdout
    assert f"PlanFileError {fifo}: cannot read the plan file: is a named pipe (FIFO)" in run.stdout


def test_size_limit_is_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "org.yaml"
    path.write_text("version: 1\n" + "# padding\n" * 50, encoding="utf-8")
    monkeypatch.setenv(MAX_BYTES_ENV, "100")
    with pytest.raises(FileRefused, match=f"larger than 100 bytes .*set {MAX_BYTES_ENV}"):
        read_bytes(path)
    assert main(["validate", str(path)]) == 1
    assert f"{path}: cannot read: the file is larger than 100 bytes" in capsys.readouterr().out
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"members": [{"email": f"m{i}@x.io"} for i in range(20)]}), encoding="utf-8")
    from ovctl.files.statefile import read_snapshot

    with pytest.raises(SnapshotError, match="larger than 100 bytes"):
        read_snapshot(state)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"plan": {}, "payloads": [], "pad": "x" * 200}), encoding="utf-8")
    from ovctl.files.planfile import load_plan

    with pytest.raises(PlanFileError, match="larger than 100 bytes"):
        load_plan(plan)
    monkeypatch.delenv(MAX_BYTES_ENV)
    assert read_bytes(path).startswith(b"version: 1")


# ---------------------------------------------------------------------------------------- names


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85", "\u202a", "\u202e", "\u2066", "\u2069",
                                  "\u200e", "\u200f", "\u061c", "\u2028"])
@pytest.mark.parametrize("field", ["first_name", "last_name", "job_title"])
def test_control_and_bidi_characters_in_member_names_are_errors(tmp_path: Path, field: str, char: str) -> None:
    value = json.dumps("Ana" + char + "Lima")  # a YAML double-quoted string with the escape
    fields = {"first_name": "A", "last_name": "B", "job_title": "Dev", field: value}
    member = "  - {id: E1, email: a@x.io, " + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}\n"
    text = _org(member + "  - {id: E2, email: b@x.io, first_name: A, last_name: B}\n")
    result = _check(tmp_path, text)
    [problem] = result.errors
    assert problem.code == "control_character"
    assert (problem.line, problem.column) == (4, text.split("\n")[3].index(value) + 1)
    assert problem.message.startswith(f"{field} 'Ana{escaped(char)}Lima' holds ")
    assert escaped(char) in problem.message and char not in problem.message


def test_control_characters_in_team_and_organization_names(tmp_path: Path) -> None:
    text = ('version: 1\norganization: "Acme\\u202e"\nmembers:\n'
            "  - {id: E1, email: a@x.io, first_name: A, last_name: B}\n"
            'teams:\n  - {id: ENG, name: "Eng\\x07", previous_name: "Old\\u2066", members: [E1]}\n')
    result = _check(tmp_path, text)
    got = [(p.line, p.column, p.code, p.message.split(" holds")[0]) for p in result.errors]
    assert got == [(2, 15, "control_character", "organization 'Acme\\u202e'"),
                   (6, 21, "control_character", "team name 'Eng\\x07'"),
                   (6, 47, "control_character", "team previous_name 'Old\\u2066'")]


@pytest.mark.parametrize("name", ["Nuño Ibáñez", "Zoë\u00a0Smith", "\u0645\u06cc\u200c\u0634\u0648\u062f",
                                  "\u0928\u092e\u0938\u094d\u200d\u0924\u0947", "李小龍", "O'Brien-Smith"])
def test_ordinary_names_in_any_script_pass(tmp_path: Path, name: str) -> None:
    text = _org(f"  - {{id: E1, email: a@x.io, first_name: {json.dumps(name)}, last_name: B}}\n"
                "  - {id: E2, email: b@x.io, first_name: A, last_name: B}\n")
    assert _check(tmp_path, text).problems == []


# ---------------------------------------------------------------------------------------- emails


@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e",
                                  "\x00", "\x7f"])
def test_invisible_characters_in_emails_are_errors(tmp_path: Path, char: str) -> None:
    email = json.dumps("ana" + char + "@x.io")
    text = _org(f"  - {{id: E1, email: {email}, first_name: A, last_name: B}}\n"
                "  - {id: E2, email: b@x.io, first_name: A, last_name: B}\n")
    [problem] = _check(tmp_path, text).errors
    assert problem.code == "invisible_character"
    assert (problem.line, problem.column) == (4, 21)
    assert f"email 'ana{escaped(char)}@x.io' holds an invisible character ({escaped(char)})" in problem.message


@pytest.mark.parametrize("first, second, note", [
    ("bob@x.io", "b\u043eb@x.io", "\\u043e CYRILLIC SMALL LETTER O"),
    ("b\u043eb@x.io", "bob@x.io", "\\u043e CYRILLIC SMALL LETTER O"),
    ("paul@x.io", "\u03c1aul@x.io", "\\u03c1 GREEK SMALL LETTER RHO"),
    ("ann@x.io", "\uff21nn@x.io", "equal after Unicode normalisation (NFKC) and case folding"),
    ("jos\u00e9@x.io", "jose\u0301@x.io", "equal after Unicode normalisation (NFKC) and case folding"),
    ("stra\u00dfe@x.io", "STRASSE@x.io", "equal after Unicode normalisation (NFKC) and case folding"),
])
def test_look_alike_emails_warn_naming_both(tmp_path: Path, first: str, second: str, note: str) -> None:
    text = _org(f"  - {{id: E1, email: {json.dumps(first)}, first_name: A, last_name: B}}\n"
                f"  - {{id: E2, email: {json.dumps(second)}, first_name: C, last_name: D}}\n")
    result = _check(tmp_path, text)
    assert result.errors == []
    [warning] = result.warnings
    assert warning.code == "confusable_email" and (warning.line, warning.column) == (5, 21)
    assert f"'{escaped_ascii(second)}' looks like '{escaped_ascii(first)}' at {tmp_path / 'org.yaml'}:4:21" \
        in warning.message
    assert note in warning.message
    assert warning.message.isascii()  # the look-alike letters are shown escaped, never raw


def escaped_ascii(text: str) -> str:
    return "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in text)


def test_ascii_and_distinct_emails_get_no_look_alike_warning(tmp_path: Path) -> None:
    text = _org("  - {id: E1, email: bob@x.io, first_name: A, last_name: B}\n"
                "  - {id: E2, email: bab@x.io, first_name: C, last_name: D}\n"
                "  - {id: E3, email: \"\u0431\u043e\u0431@x.io\", first_name: E, last_name: F}\n",
                "teams:\n  - {id: ENG, name: Engineering, members: [E1, E2, E3]}\n")
    assert _check(tmp_path, text).problems == []


# ---------------------------------------------------------------------------------------- sandbox


def test_sandbox_logs_a_client_that_disconnects_mid_request_as_one_line(tmp_path: Path) -> None:
    from support.sandbox_proc import start_sandbox

    with start_sandbox(tmp_path) as sandbox:
        host, port = sandbox.url.removeprefix("http://").rsplit(":", 1)
        before = sandbox.output
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST /api/v2/sync HTTP/1.1\r\nHost: sandbox\r\n"
                         + f"workleap-subscription-key: {sandbox.api_key}\r\n".encode()
                         + b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"members\": [")
            time.sleep(0.3)
        deadline = time.monotonic() + 20
        while "disconnected" not in sandbox.output[len(before):] and time.monotonic() < deadline:
            time.sleep(0.05)
        with sandbox.client() as client:  # still serving
            assert client.get("/api/v2/ping").status_code == 200
        log = sandbox.output[len(before):]
    assert "Traceback" not in log and "Exception in ASGI application" not in log
    lines = [line for line in log.splitlines() if line.strip()]
    assert len(lines) == 1, log
    assert re.search(r"client 127\.0\.0\.1:\d+ disconnected before its POST /api/v2/sync request was complete",
                     lines[0])
