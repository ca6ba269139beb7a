"""``statefile.PreparedText``: the members' part of a state file made ahead of time (while apply
waits for the account) gives, around any rest, the very text ``snapshot_to_bytes`` writes — or
None, and the caller writes the usual way."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from ovctl.core.engine.run import copy_member
from ovctl.core.model import PropertyDef, Snapshot, SnapMember, SnapTeam
from ovctl.files.statefile import PreparedText, read_snapshot, snapshot_to_bytes, write_snapshot

ROOT = Path(__file__).parent.parent
STATES = [ROOT / "examples/state.json", ROOT / "tests/fixtures/sandbox_seed.json", ROOT / "tests/fixtures/e2e/seed.json"]
ODD = 'aZ é"\\\n\t\x00\x1f\u2028😀/<'


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(ODD) for _ in range(rng.randint(0, 6)))


def _snapshot(rng: random.Random) -> Snapshot:
    members = [SnapMember(f"m{i}@x.io", rng.choice([None, _text(rng)]), _text(rng), _text(rng),
                          rng.choice([None, _text(rng)]), rng.choice([None, "fr", "en"]),
                          rng.choice(["active", "deactivated"]), rng.choice(["member", "admin"]),
                          {_text(rng): _text(rng) for _ in range(rng.randint(0, 3))})
               for i in range(rng.randint(0, 6))]
    emails = [m.email for m in members]
    teams = [SnapTeam(f"ov{i}", _text(rng) or "T", rng.choice([None, _text(rng)]), None,
                      rng.sample(emails, min(len(emails), rng.randint(0, 2))),
                      rng.sample(emails, min(len(emails), rng.randint(0, 3))), rng.random() < 0.2)
             for i in range(rng.randint(0, 4))]
    # names that look like the top-level key the text is spliced at, in every place a name can be
    props = {name: PropertyDef("text") for name in rng.sample(["members", '"members": []', _text(rng)], 2)}
    return Snapshot(members, teams, props, invite_new_members=rng.random() < 0.5,
                    protected=rng.sample(emails, min(len(emails), 2)),
                    applied_plans=["sha256:a+sha256:b"] if rng.random() < 0.5 else [])


def _read_back(snap: Snapshot, rng: random.Random) -> Snapshot:
    """What a read-back that matches the prediction looks like: the predicted member objects, teams
    rebuilt (a created team gets the account's id), ovctl's records set again."""
    teams = [replace(t, officevibe_id=f"g-{rng.randint(0, 10**6)}" if rng.random() < 0.3 else t.officevibe_id,
                     name=t.name + ("\n" if rng.random() < 0.2 else ""))
             for t in snap.teams]
    return replace(snap, members=list(snap.members), teams=teams, protected=list(reversed(snap.protected)))


@pytest.mark.parametrize("seed", range(300))
def test_prepared_members_with_any_rest_give_the_usual_text(seed: int) -> None:
    rng = random.Random(seed)
    snap = _snapshot(rng)
    prepared = PreparedText(snap)
    after = _read_back(snap, rng)
    assert prepared.text_of(after) == snapshot_to_bytes(after)
    assert prepared.forms.rows == snap.to_dict()["members"]


@pytest.mark.parametrize("path", STATES, ids=lambda p: p.name)
def test_real_states_take_the_prepared_path(path: Path) -> None:
    snap = read_snapshot(path)
    after = replace(snap, teams=[replace(t) for t in snap.teams], applied_plans=["sha256:x+sha256:y"])
    text = PreparedText(snap).text_of(after)
    assert text is not None and text == snapshot_to_bytes(after)


def test_equal_copies_of_the_members_still_match() -> None:
    snap = read_snapshot(STATES[0])
    copies = replace(snap, members=[copy_member(m) for m in snap.members])
    assert PreparedText(snap).text_of(copies) == snapshot_to_bytes(copies)


@pytest.mark.parametrize("change", ["field", "order", "property_order", "one_less"])
def test_other_members_are_not_taken_for_the_prepared_ones(change: str) -> None:
    snap = read_snapshot(STATES[0])
    members = [copy_member(m) for m in snap.members]
    first = members[0]
    if change == "field":
        first.first_name += "x"
    elif change == "order":
        members.reverse()
    elif change == "property_order":
        first.properties.update({"zz": "1", "aa": "2"})
        snap.members[0].properties.update({"aa": "2", "zz": "1"})  # equal as dicts, not as text
    else:
        members.pop()
    other = replace(snap, members=members)
    assert PreparedText(snap).text_of(other) is None
    path_bytes = snapshot_to_bytes(other)
    assert path_bytes != snapshot_to_bytes(snap)


def test_members_json_would_write_another_way_are_not_prepared(tmp_path: Path) -> None:
    class Text(str):
        pass

    snap = Snapshot([SnapMember("a@x.io", properties={"p": Text("v")})], [], {})
    prepared = PreparedText(snap)
    assert prepared.text_of(snap) is None
    write_snapshot(tmp_path / "s.json", snap, prepared)  # the usual way, then
    assert (tmp_path / "s.json").read_bytes() == snapshot_to_bytes(snap)


def test_write_snapshot_uses_the_prepared_text_only_when_it_is_the_snapshots(tmp_path: Path) -> None:
    snap = read_snapshot(STATES[0])
    prepared = PreparedText(snap)
    prepared._members_text = b'["prepared"]'  # marked, to see which way was taken
    write_snapshot(tmp_path / "same.json", replace(snap), prepared)
    assert b'"members": ["prepared"]' in (tmp_path / "same.json").read_bytes()
    other = replace(snap, members=[copy_member(m) for m in snap.members[1:]])
    write_snapshot(tmp_path / "other.json", other, prepared)
    assert (tmp_path / "other.json").read_bytes() == snapshot_to_bytes(other)
