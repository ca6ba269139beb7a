"""The org chart: Mermaid and dot, changed teams highlighted, removed teams dashed, safe escaping."""

from __future__ import annotations

import re

import pytest
from render_samples import assert_golden, example_org, example_plan, guarded_plan

from ovctl.core.model import Org, Team
from ovctl.render import graph

MERMAID_NODE = re.compile(r'^    n\d+\["[^"\n]*<br/>[^"\n]*"\]$')


def _tricky_org() -> Org:
    return Org(organization="T", teams=[
        Team(id="ENG-PLAT", name='Platform "Core" & Ops'),
        Team(id="A#1", name="Équipe <Nord> #2", parent="ENG-PLAT"),
        Team(id="x-->y", name="end; graph", parent="ENG-PLAT"),
    ])


def test_example_mermaid_matches_golden():
    assert_golden("example_graph.mmd", graph.render(example_org(), example_plan(), "mermaid"))


def test_example_dot_matches_golden():
    assert_golden("example_graph.dot", graph.render(example_org(), example_plan(), "dot"))


def test_every_team_is_a_node_with_id_and_name():
    org = example_org()
    out = graph.render(org, None, "mermaid")
    for t in org.teams:
        assert f'"{t.id}<br/>{t.name.replace("&", "#amp;")}"' in out
    assert out.count(" --> ") == sum(1 for t in org.teams if t.parent)


def test_without_a_plan_nothing_is_highlighted():
    assert "classDef" not in graph.render(example_org(), None, "mermaid")
    assert "fillcolor" not in graph.render(example_org(), None, "dot")


def test_changed_teams_are_highlighted_and_removed_teams_dashed():
    org, plan = example_org(), example_plan()
    out = graph.render(org, plan, "mermaid")
    ids = {m.group(2): m.group(1) for m in re.finditer(r'^    (n\d+)\["([^"<]*)<br/>', out, re.M)}
    classes = {m.group(2): set(m.group(1).split(",")) for m in re.finditer(r"^    class (\S+) (\w+);$", out, re.M)}
    assert ids["DATA"] in classes["created"]
    for team in ("ENG-PLAT", "PEOPLE", "SUPPORT", "ENG-APP"):  # rename, adopt, rename, move
        assert ids[team] in classes["changed"], team
    assert ids["MKT"] in classes["removed"]
    assert ids["EXEC"] not in set().union(*classes.values())
    assert "stroke-dasharray" in out
    dot = graph.render(org, plan, "dot")
    assert re.search(r'label="MKT\\nMarketing", style="rounded,dashed"', dot)


def test_membership_changes_highlight_their_team():
    org, plan = example_org(), example_plan()
    out = graph.render(org, plan, "mermaid")
    ids = {m.group(2): m.group(1) for m in re.finditer(r'^    (n\d+)\["([^"<]*)<br/>', out, re.M)}
    changed = re.search(r"^    class (\S+) changed;$", out, re.M).group(1).split(",")
    assert ids["SALES-EU"] in changed  # only a membership removal there


def test_mermaid_escapes_ids_and_names():
    out = graph.render(_tricky_org(), None, "mermaid")
    node_lines = [line for line in out.splitlines() if line.startswith("    n") and "[" in line]
    assert len(node_lines) == 3 and all(MERMAID_NODE.match(line) for line in node_lines), node_lines
    assert "Platform #quot;Core#quot; #amp; Ops" in out
    assert "A#35;1<br/>Équipe #lt;Nord#gt; #35;2" in out
    assert "x--#gt;y" in out


def test_dot_escapes_quotes_and_backslashes():
    org = _tricky_org()
    org.teams.append(Team(id="BS", name="back\\slash", parent=None))
    out = graph.render(org, None, "dot")
    assert 'label="ENG-PLAT\\nPlatform \\"Core\\" & Ops"' in out
    assert 'label="BS\\nback\\\\slash"' in out
    assert out.startswith("digraph org {") and out.rstrip().endswith("}")
    assert out.count("{") == out.count("}")


def test_chart_from_a_plan_alone_uses_the_last_payload():
    nodes = graph.nodes_from_plan(guarded_plan())
    assert [(n.id, n.parent) for n in nodes] == [("OPS", None), ("OPS-WH", "OPS"), ("RND", None), ("RND-LAB", "RND")]


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        graph.render(_tricky_org(), None, "svg")
