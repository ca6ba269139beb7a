"""``live.known_members``: when a sandbox's snapshot lists exactly the members of a snapshot ovctl
already holds (the state file, or the account a sync was predicted to leave), the read takes them
instead of building them again, and gives what the long way gives — or declines. Pure: the JSON is
what the sandbox sends (``to_dict`` through a JSON round trip), the long way is
``carry_from_state(snapshot_from_dict(raw), known)``."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from ovctl.account.live import _copies, carry_from_state, known_members
from ovctl.core.engine import simulate
from ovctl.core.model import Snapshot
from ovctl.core.plan import build_plan
from ovctl.core.snapshot import snapshot_from_dict
from ovctl.files.orgfile import load_org
from ovctl.files.statefile import read_snapshot

ROOT = Path(__file__).resolve().parent.parent
STATES = [ROOT / "examples/state.json", ROOT / "tests/fixtures/sandbox_seed.json", ROOT / "tests/fixtures/e2e/seed.json"]


def _wire(snap: Snapshot) -> Any:
    return json.loads(json.dumps(snap.to_dict()))


def _long_way(raw: Any, known: Snapshot) -> Snapshot:
    return carry_from_state(snapshot_from_dict(copy.deepcopy(raw), source="test"), known, from_export=False)


def as_known(raw: Any, known: Snapshot | None) -> Snapshot:
    """The read as ``live.pull_snapshot`` makes it (the short way when ``known_members`` agrees)."""
    members = _copies(known_members(raw, known))
    return carry_from_state(snapshot_from_dict(copy.deepcopy(raw), source="test", members=members), known,
                            from_export=False, members_known=members is not None)


def as_read_back(raw: Any, expected: Snapshot) -> Snapshot:
    """The read as ``live.pull_after_sync`` makes it: the predicted members themselves, compared
    with their rows made ahead of time (``statefile.PreparedText``)."""
    from ovctl.files.statefile import PreparedText

    prepared = PreparedText(expected)
    members = known_members(raw, expected, prepared.forms.rows)
    index = prepared.forms.index if members is expected.members else None  # made ahead, as apply does
    return carry_from_state(snapshot_from_dict(copy.deepcopy(raw), source="test", members=members,
                                               member_index=index), expected,
                            from_export=False, members_known=members is not None)


def _same(a: Snapshot, b: Snapshot) -> None:
    assert a == b
    assert (a.protected, a.applied_plans) == (b.protected, b.applied_plans)
    assert (a.unknown_members, a.unknown_teams) == (b.unknown_members, b.unknown_teams)
    assert a.to_dict() == b.to_dict()


def _corpus() -> list[Snapshot]:
    """Snapshots as ovctl holds them: read from files, and predicted by the engine after syncs that
    update, add, deactivate, clear property values, create and remove teams."""
    out = [read_snapshot(p) for p in STATES]
    example = load_org([ROOT / "examples/org.yaml"]).org
    plan = build_plan(example, out[0], force=True)
    out += list(plan.simulated)
    rng = random.Random(7)
    for seed in range(6):
        org = copy.deepcopy(example)
        rng.seed(seed)
        for m in org.members:
            if rng.random() < 0.3:
                m.properties = {}  # every value cleared
            if rng.random() < 0.2:
                m.job_title = None
        if rng.random() < 0.5 and len(org.members) > 2:
            org.members.pop(rng.randrange(len(org.members)))
        org.teams = [t for t in org.teams if rng.random() < 0.8 or t.parent is None]
        kept = {t.id for t in org.teams}
        for t in org.teams:
            if t.parent is not None and t.parent not in kept:
                t.parent = None
        try:
            p = build_plan(org, out[0], force=True)
        except Exception:  # an org the random edits made invalid for the plan: skip it
            continue
        out += list(p.simulated)
        for payload in p.payloads:
            out.append(simulate(out[0], payload)[0])
    return out


CORPUS = _corpus()


@pytest.mark.parametrize("n", range(len(CORPUS)))
def test_an_unchanged_account_gives_what_the_long_way_gives(n: int) -> None:
    known = CORPUS[n]
    raw = _wire(known)
    assert known_members(raw, known) is not None, "the short way declined an account equal to the snapshot"
    got = as_known(raw, known)
    _same(got, _long_way(raw, known))
    assert not any(a is b for a, b in zip(got.members, known.members))  # the caller may change them
    after = as_read_back(raw, copy.deepcopy(known))
    _same(after, _long_way(raw, known))


def test_bookkeeping_lists_merge_as_carry_does() -> None:
    known = copy.deepcopy(CORPUS[0])
    known.protected, known.applied_plans = ["b", "a"], ["x+y"]
    raw = _wire(known)
    raw.pop("protected")
    raw["applied_plans"] = ["p+q", "x+y"]
    raw["protected"] = ["c", "a"]
    assert known_members(raw, known) is not None
    _same(as_known(raw, known), _long_way(raw, known))


def _edits(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Accounts that differ from ``raw`` by one thing, or are JSON ``raw`` equals only loosely."""
    out = []

    def edit(fn: Any) -> None:
        r = copy.deepcopy(raw)
        fn(r)
        out.append(r)

    edit(lambda r: r["members"][0].update(first_name=r["members"][0]["first_name"] + "x"))
    edit(lambda r: r["members"][0]["properties"].update(Extra="1"))
    edit(lambda r: r["members"].pop())
    edit(lambda r: r["members"].reverse())
    edit(lambda r: r["members"][0].update(status=None))
    edit(lambda r: r["members"][0].update(email=r["members"][0]["email"].upper()))
    edit(lambda r: r["members"][0]["properties"].update({next(iter(r["members"][0]["properties"]), "P"): 1}))
    edit(lambda r: r.update(protected="a"))
    edit(lambda r: r.update(protected=[1]))
    edit(lambda r: r.update(not_visible={"members": {}}))
    edit(lambda r: r.update(unknown=1))
    edit(lambda r: r["teams"][0].update(members=r["teams"][0]["members"] + ["nobody@x.io"]))
    return out


@pytest.mark.parametrize("n", range(3))
def test_any_difference_declines_or_agrees(n: int) -> None:
    """A changed member declines (the members are then built from the JSON); anything else is
    built and checked from the JSON as always, so it agrees with the long way or fails like it."""
    from ovctl.core.errors import SnapshotError

    known = CORPUS[n]
    for k, raw in enumerate(_edits(_wire(known))):
        if k < 7:
            assert known_members(raw, known) is None
        try:
            expected = _long_way(raw, known)
        except SnapshotError as e:
            with pytest.raises(SnapshotError) as got_error:
                as_known(raw, known)
            assert str(got_error.value) == str(e)
            continue
        _same(as_known(raw, known), expected)
        _same(as_read_back(raw, copy.deepcopy(known)), expected)


def test_a_snapshot_with_unseen_fields_is_never_taken_as_known() -> None:
    known = copy.deepcopy(CORPUS[0])
    known.unknown_members = {known.members[0].email.lower(): frozenset({"status"})}
    assert known_members(_wire(known), known) is None
    assert known_members(_wire(CORPUS[0]), None) is None


def test_created_teams_take_the_accounts_ids() -> None:
    """After a sync that created teams, the account chose their ids: the members are still taken,
    the teams come from the account's answer."""
    predicted = next(s for s in CORPUS if any(t.officevibe_id.startswith("new:") for t in s.teams))
    raw = _wire(predicted)
    for t in raw["teams"]:
        if t["officevibe_id"].startswith("new:"):
            old = t["officevibe_id"]
            t["officevibe_id"] = "g-" + old[4:]
            for u in raw["teams"]:
                if u["parent"] == old:
                    u["parent"] = t["officevibe_id"]
    assert known_members(raw, predicted) is not None
    got = as_known(raw, predicted)
    assert not any(t.officevibe_id.startswith("new:") for t in got.teams)
    _same(got, _long_way(raw, predicted))


def test_members_that_fail_their_check_get_no_index_and_fail_the_read_as_before() -> None:
    """``member_index`` made ahead of time is None for members that share an email key or an
    external id; the read then checks them itself and names the field, as it always did."""
    from ovctl.core.errors import SnapshotError
    from ovctl.core.snapshot import member_index

    good = read_snapshot(STATES[0])
    assert member_index(good.members) == {m.email.lower(): i for i, m in enumerate(good.members)}
    for field, value in (("email", good.members[0].email.upper()), ("external_id", good.members[0].external_id)):
        bad = copy.deepcopy(good)
        setattr(bad.members[1], field, value)
        assert member_index(bad.members) is None
        raw = _wire(bad)
        with pytest.raises(SnapshotError, match=f"members\\[1\\].{field}"):
            snapshot_from_dict(raw, source="test", members=bad.members)
