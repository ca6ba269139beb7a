"""The sandbox store writes only the rows a sync changed (``save_account(previous=...)``): the
database must then hold exactly what a full rewrite would, whatever changed between the two
accounts (members added, removed, moved, renamed, edited; teams added, dropped, re-parented;
people reordered or duplicated)."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from ovctl.core.model import PropertyDef, SnapMember, Snapshot, SnapTeam
from ovctl.sandbox.store import Store


def _account(rng: random.Random, n: int) -> Snapshot:
    members = [SnapMember(email=f"p{i}@x.test", external_id=f"e{i}", first_name=f"F{i}", last_name="L",
                          status=rng.choice(["active", "created", "deactivated"]),
                          properties={"site": rng.choice(["a", "b"])} if rng.random() < 0.5 else {})
               for i in range(n)]
    teams = [SnapTeam(officevibe_id=f"t{i}", name=f"T{i}", external_id=f"x{i}", parent=f"t{i // 3}" if i else None,
                      managers=[m.email for m in rng.sample(members, 1)],
                      members=[m.email for m in rng.sample(members, rng.randint(0, 4))]) for i in range(8)]
    return Snapshot(members=members, teams=teams, properties={"site": PropertyDef(type="text")})


def _changed(rng: random.Random, snap: Snapshot) -> Snapshot:
    members = list(snap.members)
    for _ in range(rng.randint(0, 4)):
        i = rng.randrange(len(members))
        what = rng.randrange(8)
        if what == 0:
            members[i] = replace(members[i], last_name="Changed")
        elif what == 6:
            members[i] = replace(members[i], email=f"renamed{rng.random()}@x.test")  # another key, same place
        elif what == 7:  # the same values in another order: the row's text changes
            members[i] = replace(members[i], properties={"x": "1", **members[i].properties, "a": "2"})
            members[i].properties = dict(reversed(members[i].properties.items()))
        elif what == 1:
            members[i] = replace(members[i], properties={"site": "b", "x": "1"})
        elif what == 2:
            del members[i]
        elif what == 3:
            members.insert(i, SnapMember(email=f"new{rng.random()}@x.test"))
        elif what == 4:
            members[i] = replace(members[i], email=members[i].email.upper())  # same key, other spelling
        else:
            members[i], members[-1] = members[-1], members[i]  # positions change
    teams = list(snap.teams)
    for _ in range(rng.randint(0, 3)):
        i = rng.randrange(len(teams))
        what = rng.randrange(5)
        if what == 0:
            teams[i] = replace(teams[i], members=list(reversed(teams[i].members)) + teams[i].members[:1])
        elif what == 1:
            teams[i] = replace(teams[i], parent=None, name="Moved")
        elif what == 2:
            del teams[i]
        elif what == 3:
            teams.append(SnapTeam(officevibe_id=f"n{rng.random()}", name="New", managers=[members[0].email]))
        else:
            teams[i] = replace(teams[i], managers=[], members=[m.email for m in members[:2]])
    return replace(snap, members=members, teams=teams)


@pytest.mark.parametrize("seed", range(30))
def test_writing_only_the_changes_gives_the_full_rewrite(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    before = _account(rng, 12)
    after = _changed(rng, before)
    full, partial = Store(tmp_path / "full.db"), Store(tmp_path / "partial.db")
    full.seed(before)
    partial.seed(before)
    with full.transaction() as db:
        full.save_account(db, after)
    with partial.transaction() as db:
        partial.save_account(db, after, previous=partial.load_account(db))
    kept = partial.load_account()  # what the save left for the next read, unread
    partial._loaded = None
    assert kept == partial.load_account() == full.load_account()
    assert kept.to_dict() == partial.load_account().to_dict()
    dump = "SELECT * FROM {} ORDER BY 1, 2, 3"
    for table in ("members", "teams", "team_people"):
        assert (list(partial._db.execute(dump.format(table))) == list(full._db.execute(dump.format(table))))


def test_a_loaded_account_is_reused_only_while_nothing_changed_it(tmp_path: Path) -> None:
    import sqlite3

    store = Store(tmp_path / "s.db")
    store.seed(_account(random.Random(1), 5))
    first = store.load_account()
    assert store.load_account() is first  # unchanged: the same object, not read again
    other = sqlite3.connect(str(tmp_path / "s.db"))  # another connection (a tool, another process)
    other.execute("UPDATE members SET first_name = 'Edited' WHERE position = 0")
    other.commit()
    second = store.load_account()
    assert second.members[0].first_name == "Edited"
    with store.transaction() as db:  # this connection's own write
        store.save_account(db, replace(second, members=second.members[1:]), previous=second)
    assert len(store.load_account().members) == 4
    store.update_settings({"invite_new_members": True}, {})
    assert store.load_account().invite_new_members is True
    store.reset(None)
    assert store.load_account().members == []


def _syncs_in_the_file(path: Path) -> int:
    """How many syncs the database file itself holds (``immutable``: the write-ahead log unread)."""
    import sqlite3

    db = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return db.execute("SELECT COUNT(*) FROM syncs").fetchone()[0]
    finally:
        db.close()


def test_a_sync_commit_leaves_the_log_to_the_checkpoint_after_the_answer(tmp_path: Path) -> None:
    """A commit past SQLite's threshold copies the log into the file at once, unless told not to
    (a sync: its answer goes first); ``checkpoint()`` then copies it, from a connection of its own."""
    path = tmp_path / "s.db"
    store = Store(path)
    big = "x" * 6_000_000  # ~1,500 pages: past the 1,000-page threshold

    def write(**kw: bool) -> None:
        with store.transaction(**kw) as db:
            store.add_sync(db, flavor="workleap", status="applied", payload=None, sync_settings=None,
                           report=None, payload_text=f'"{big}"')

    write()
    assert _syncs_in_the_file(path) == 1  # copied by the commit
    write(checkpoint=False)
    assert _syncs_in_the_file(path) == 1  # still only in the log
    with store.reading() as db:
        assert db.execute("SELECT COUNT(*) FROM syncs").fetchone()[0] == 2
    store.checkpoint()
    assert _syncs_in_the_file(path) == 2
    write(checkpoint=False)
    write()  # a commit that is not told otherwise copies what is left
    assert _syncs_in_the_file(path) == 4
    store.close()
