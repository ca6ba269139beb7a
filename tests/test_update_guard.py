"""The update guard (issue 10, point 7): mass updates of existing members, octoDNS-style."""

from __future__ import annotations

import json
from dataclasses import replace

from ovctl.core.model import Member, Safety
from ovctl.core.plan import build_plan
from ovctl.render import json_, markdown, text
from test_guards import applied, one_team, org, people


def _retitled(mems: list[Member], n: int, emails: int = 0) -> list[Member]:
    out = []
    for i, m in enumerate(mems):
        if i < n:
            m = replace(m, job_title="New title")
            if i < emails:
                m = replace(m, email=f"new{i}@y.com")
        out.append(m)
    return out


def _plan(population: int, updated: int, emails: int = 0, force: bool = False, **safety):
    mems = people(population)
    state = applied(org(mems, one_team(mems)))
    new = _retitled(mems, updated, emails)
    return build_plan(org(new, one_team(new), **safety), state, force=force)


def _update_guards(plan):
    return [g for g in plan.guards if g.guard == "update_ratio"]


def test_fires_above_not_at_the_limit():
    assert _update_guards(_plan(20, 6)) == []  # 30% of 20 = 6: at the limit
    (g,) = _update_guards(_plan(20, 7))
    assert (g.actual, g.limit) == (7, 6)
    assert g.message.startswith("7 members would be updated, above the limit of 6 (30% of 20 active members")
    assert "settings.safety.max_update_ratio" in g.message and "--force" in g.message
    assert len(g.subjects) == 7


def test_accounts_below_the_minimum_are_not_guarded():
    assert _update_guards(_plan(9, 9)) == []  # everyone updated, but only 9 members
    (g,) = _update_guards(_plan(10, 4))  # 4 of 10 > 3
    assert (g.actual, g.limit) == (4, 3)


def test_email_changes_are_counted_and_named_apart():
    (g,) = _update_guards(_plan(40, 20, emails=3))
    assert g.message.startswith('20 members would be updated (of which 3 change email: E1 p1@x.com -> new0@y.com, '
                                'E2 p2@x.com -> new1@y.com, E3 p3@x.com -> new2@y.com), above the limit of 12')


def test_many_email_changes_are_counted_not_all_named():
    (g,) = _update_guards(_plan(40, 20, emails=15))
    assert "(of which 15 change email: " in g.message and " and 5 more)" in g.message


def test_force_lifts_it():
    plan = _plan(20, 10, force=True)
    assert _update_guards(plan) and plan.forced and not plan.blocked
    assert _plan(20, 10).blocked


def test_settings_override():
    assert _update_guards(_plan(20, 10, max_update_ratio=0.5)) == []
    assert _update_guards(_plan(20, 11, max_update_ratio=0.5))
    assert _update_guards(_plan(20, 10, update_min_members=21)) == []
    assert _update_guards(_plan(5, 2, update_min_members=0))  # 2 of 5 > 1


def test_settings_are_read_from_the_org_file(tmp_path):
    from ovctl.files.orgfile import load_org

    path = tmp_path / "org.yaml"
    path.write_text("version: 1\norganization: Acme\nsettings:\n  safety: {max_update_ratio: 0.5, update_min_members: 3}\n"
                    "members:\n  - {id: E1, email: a@x.io, first_name: A, last_name: B}\n"
                    "teams:\n  - {id: T, name: T, members: [E1]}\n", encoding="utf-8")
    safety = load_org([path]).org.settings.safety
    assert (safety.max_update_ratio, safety.update_min_members) == (0.5, 3)
    assert Safety().max_update_ratio == 0.30 and Safety().update_min_members == 10


def test_out_of_range_settings_are_validation_errors(tmp_path):
    from ovctl.files.orgfile import check_org

    path = tmp_path / "org.yaml"
    path.write_text("version: 1\norganization: Acme\nsettings:\n  safety: {max_update_ratio: 1.5, update_min_members: -1}\n"
                    "members:\n  - {id: E1, email: a@x.io, first_name: A, last_name: B}\n"
                    "teams:\n  - {id: T, name: T, members: [E1]}\n", encoding="utf-8")
    errors = [str(p) for p in check_org([path]).problems if p.severity == "error"]
    assert any("max_update_ratio" in e or "1.5" in e for e in errors), errors
    assert any("update_min_members" in e or "-1" in e for e in errors), errors


def test_every_format_shows_it():
    plan = _plan(20, 10, emails=1)
    assert "x update_ratio: 10 members would be updated (of which 1 change email: E1 p1@x.com -> new0@y.com)" \
        in text.render(plan)
    assert "`update_ratio`" in markdown.render(plan) and "Blocked" in markdown.render(plan)
    data = json.loads(json_.render(plan))
    (g,) = [g for g in data["guards"] if g["guard"] == "update_ratio"]
    assert (g["actual"], g["limit"], len(g["subjects"])) == (10, 6, 10) and data["safe"] is False
