"""The payload's mapping rows (``payload._mappings``, now one comprehension over ``dict.fromkeys``
with positional ``Mapping`` arguments) against the loop they replaced: the same rows in the same
order for teams whose people repeat, are both manager and member, or have no one."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings, strategies as st

from ovctl.core.model import Mapping, Team
from ovctl.core.payload import _mappings


def reference_mappings(teams: list[Team]) -> list[Mapping]:
    """The previous ``_mappings``, verbatim."""
    rows: list[Mapping] = []
    for t in teams:
        managers = set(t.managers)
        members = set(t.members)
        done: set[str] = set()
        for person in [*t.managers, *t.members]:
            if person in done:
                continue
            done.add(person)
            rows.append(Mapping(team=t.id, member=person, is_member=person in members,
                                is_manager=person in managers))
    for t in teams:
        if t.parent is not None:
            rows.append(Mapping(team=t.parent, subteam=t.id))
    return rows


_people = st.lists(st.sampled_from(["E1", "E2", "E3", "e1", ""]), max_size=5)


@st.composite
def team_lists(draw: Any) -> list[Team]:
    ids = draw(st.lists(st.sampled_from(["T1", "T2", "T3", "T4"]), max_size=4))
    return [Team(tid, f"Team {tid}", draw(st.sampled_from([None, "T1", "T9"])), draw(_people), draw(_people))
            for tid in ids]


@settings(max_examples=500, deadline=None)
@given(team_lists())
def test_mapping_rows_match_the_previous_loop(teams: list[Team]) -> None:
    assert _mappings(teams) == reference_mappings(teams)


def test_a_person_listed_twice_and_in_both_roles_gets_one_row() -> None:
    rows = _mappings([Team("T1", "One", managers=["E1", "E2"], members=["E2", "E3", "E3"])])
    assert rows == [Mapping("T1", "E1", is_manager=True), Mapping("T1", "E2", is_member=True, is_manager=True),
                    Mapping("T1", "E3", is_member=True)]
