"""Hostile text is inert (issue 10, point 5, output side): a control character, ANSI sequence, bidi
override or zero-width character carried by a plan (from the account, a snapshot or a plan file,
which org-file validation never saw) is shown escaped in every format; JSON keeps the value."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path

import pytest

from ovctl.core.changes import (FieldChange, MemberCreate, MemberDeactivate, MembershipAdd, MemberUpdate, TeamCreate,
                                TeamRef, TeamRemove, TeamRename)
from ovctl.core.model import GuardResult, Mapping, Payload, PayloadMember, PayloadTeam, Plan, ReportItem, Warning_
from ovctl.core.shown import escaped, json_escaped
from ovctl.render import graph, json_, markdown, text

# one of each class: C0 (ESC with an ANSI sequence, BEL, CR), DEL, C1 (CSI, NEL), bidi overrides and
# isolates, zero-width characters, word joiner, BOM, an astral format character (tag)
HOSTILE = ["\x1b[2J", "\x07", "\r", "\x7f", "\x9b", "\x85", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
           "\u2066", "\u2067", "\u2068", "\u2069", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\U000e0001"]
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff\U000e0000-\U000e007f]")


def _plan(bad: str) -> Plan:
    name = f"Sales{bad}"
    email = f"a{bad}@x.io"
    changes = [
        TeamCreate(f"T{bad}", name, TeamRef(f"P{bad}", f"Parent{bad}"), managers=(f"E{bad}",), members=()),
        TeamRename(f"R{bad}", before=f"Old{bad}", after=name),
        TeamRemove(f"X{bad}", name, managers=(), members=(email,)),
        MemberCreate(f"E{bad}", email, name, first_name=name, last_name=name, job_title=name, language=None,
                     status="created"),
        MemberUpdate(f"U{bad}", email, name, fields=(FieldChange("email", f"old{bad}@x.io", email),),
                     properties=(FieldChange(f"Site{bad}", name, None),)),
        MemberDeactivate(f"D{bad}", email, name, before="active", after="deactivated"),
        MembershipAdd(f"T{bad}", name, f"E{bad}", email, "member"),
    ]
    payload = Payload(members=[PayloadMember(f"E{bad}", email, name, name)],
                      teams=[PayloadTeam(f"T{bad}", name), PayloadTeam(f"C{bad}", f"Child{bad}")],
                      mappings=[Mapping(f"T{bad}", subteam=f"C{bad}"), Mapping(f"T{bad}", member=f"E{bad}")])
    return Plan(organization=f"Org{bad}", changes=changes, warnings=[Warning_("validation", f"w {name}")],
                guards=[GuardResult("deactivation_ratio", f"g {name}", 1, 0, [f"D{bad}"])], risk_users=1,
                risk_teams=1, syncs=1, fingerprint_desired="sha256:0", fingerprint_state="sha256:1",
                payloads=[payload], drift=[TeamRename(f"R{bad}", before=name, after="x")],
                report_issues=[ReportItem("user", f"m{bad}", f"s{bad}", f"d{bad}"),
                               ReportItem("user", f"m{bad}", f"s{bad}", f"e{bad}")])


def _assert_inert(out: str, bad: str) -> None:
    assert RAW.search(out.replace("\n", "")) is None, [m.group() for m in RAW.finditer(out)]
    assert bad not in out
    assert out.encode("utf-8").decode("utf-8") == out


@pytest.mark.parametrize("bad", HOSTILE, ids=[f"U+{ord(b[0]):04X}" for b in HOSTILE])
def test_text_markdown_and_graph_show_every_hostile_character_escaped(bad: str) -> None:
    plan = _plan(bad)
    outputs = {"text": text.render(plan), "markdown": markdown.render(plan),
               "mermaid": graph.render_nodes(graph.mark_plan(graph.nodes_from_plan(plan), plan), "mermaid"),
               "dot": graph.render_nodes(graph.mark_plan(graph.nodes_from_plan(plan), plan), "dot")}
    for fmt, out in outputs.items():
        _assert_inert(out, bad)
        assert "Sales" in out, fmt
    assert f"Sales{escaped(bad)}" in outputs["text"]  # the removal line names the team, escaped
    assert f"team remove [X{escaped(bad)}]" in outputs["text"]


@pytest.mark.parametrize("bad", HOSTILE, ids=[f"U+{ord(b[0]):04X}" for b in HOSTILE])
def test_json_keeps_every_value_exactly_with_json_escapes(bad: str) -> None:
    plan = _plan(bad)
    out = json_.render(plan)
    _assert_inert(out, bad)
    assert json.loads(out) == json.loads(json.dumps(plan.data()))
    assert json.loads(out)["changes"][2]["name"] == f"Sales{bad}"


def test_text_colour_codes_stay_and_values_are_escaped() -> None:
    out = text.render(_plan("\x1b[2J"), color=True)
    assert "\033[32m+\033[0m" in out  # the renderer's own colour
    assert "\x1b[2J" not in out and "Sales\\x1b[2J" in out


def test_a_clean_plan_is_unchanged_by_escaping() -> None:
    from render_samples import guarded_plan

    plan = guarded_plan()
    assert json_.render(plan) == json.dumps(plan.data(), indent=2, ensure_ascii=False) + "\n"
    assert escaped("Opérations & Logistique") == "Opérations & Logistique"
    assert json_escaped('{\n  "a": "é"\n}') == '{\n  "a": "é"\n}'


def test_validate_github_annotations_escape_a_hostile_value(tmp_path: Path, capsys) -> None:
    from ovctl.cli import main

    path = tmp_path / "org.yaml"
    path.write_text("version: 1\norganization: Acme\nmembers:\n"
                    '  - {id: E1, email: a@x.io, first_name: "Ann\\e[2J\\u202e", last_name: B}\n', encoding="utf-8")
    for fmt in ("github", "text"):
        code = main(["validate", str(path), "--format", fmt])
        out = capsys.readouterr().out
        assert code == 1
        assert RAW.search(out.replace("\n", "")) is None and "\x1b" not in out and "\u202e" not in out
        assert "\\x1b" in out and "\\u202e" in out
    assert out  # text format too


def test_github_line_escapes_a_hostile_path_and_message() -> None:
    from ovctl.commands.validate import github_line
    from ovctl.core.errors import Problem

    line = github_line(Problem("bad \x1b]0;pwned\x07 \u202e name\nnext", "o\u200brg.yaml", 3, 4))
    assert line == ("::error file=o\\u200brg.yaml,line=3,col=4,title=ovctl::"
                    "bad \\x1b]0;pwned\\x07 \\u202e name%0Anext")


def test_sandbox_log_line_for_a_hostile_path_is_escaped(caplog) -> None:
    pytest.importorskip("starlette")
    from starlette.requests import ClientDisconnect

    from ovctl.sandbox.serve import QuietDisconnects

    async def app(scope, receive, send):
        raise ClientDisconnect()

    scope = {"type": "http", "method": "POST", "path": "/api/\x1b[2J\u202e\u200bsync", "client": ("127.0.0.1", 5)}
    with caplog.at_level(logging.WARNING, logger="uvicorn.error"):
        asyncio.run(QuietDisconnects(app)(scope, None, None))
    [record] = caplog.records
    line = record.getMessage()
    assert RAW.search(line) is None
    assert "POST /api/\\x1b[2J\\u202e\\u200bsync request" in line


def test_console_messages_show_control_characters_escaped_and_keep_their_line_breaks() -> None:
    import io as _io

    from ovctl.console import Console

    out, err = _io.StringIO(), _io.StringIO()
    console = Console(out=out, err=err, stdin=_io.StringIO(), environ={})
    console.say("sync 1/2: skipped: team 'Sales\x1b[2J\u202e'\nnext line")
    console.warn("error: member \x07bell\x85")
    assert out.getvalue() == "sync 1/2: skipped: team 'Sales\\x1b[2J\\u202e'\nnext line\n"
    assert err.getvalue() == "error: member \\x07bell\\x85\n"
