"""The sandbox account in SQLite: settings, properties, members, teams, memberships, sync history.

Normalised tables (not one JSON blob) so that the export endpoints are real queries and the
database can be inspected with any SQLite tool. The whole account is loaded and saved as a
``model.Snapshot`` inside one ``BEGIN IMMEDIATE`` transaction per sync, so a crash between two
writes leaves either the old account or the new one, never a mix; WAL mode lets readers proceed
while a sync writes. One connection is shared by the server's worker threads behind a lock: the
sandbox favours simple, obviously serial behaviour over throughput.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import compress, count
from operator import attrgetter, ne, or_
from pathlib import Path
from typing import Any

from ovctl.core.engine.run import WorkingCopies
from ovctl.core.errors import OvctlError
from ovctl.core.model import PropertyDef, SnapMember, Snapshot, SnapTeam, email_key

# 1: first release. 2: the history's summary (update and issue counts) is stored in columns so that
# listing it never decodes payloads or reports.
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS properties (
    name TEXT PRIMARY KEY, position INTEGER NOT NULL, type TEXT NOT NULL, options TEXT);
CREATE TABLE IF NOT EXISTS members (
    email_key TEXT PRIMARY KEY, position INTEGER NOT NULL, email TEXT NOT NULL, external_id TEXT,
    first_name TEXT NOT NULL, last_name TEXT NOT NULL, job_title TEXT, language TEXT,
    status TEXT NOT NULL, role TEXT NOT NULL, properties TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS teams (
    officevibe_id TEXT PRIMARY KEY, position INTEGER NOT NULL, name TEXT NOT NULL, external_id TEXT,
    parent TEXT, rule_based INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS team_people (
    team TEXT NOT NULL, email TEXT NOT NULL, role TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (team, role, email));
CREATE TABLE IF NOT EXISTS syncs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, created_at TEXT NOT NULL,
    decided_at TEXT, flavor TEXT NOT NULL, status TEXT NOT NULL, payload TEXT, sync_settings TEXT,
    report TEXT, risk_users INTEGER, risk_teams INTEGER, error TEXT, n_updates INTEGER, n_issues INTEGER);
CREATE INDEX IF NOT EXISTS members_external_id ON members (external_id);
"""

# Settings of a fresh account (docs/sandbox.md, docs/sync-semantics.md): invites off, no threshold, integration on.
DEFAULT_SETTINGS: dict[str, Any] = {
    "invite_new_members": False,
    "risk_thresholds": {"users": None, "teams": None},
    "integration_enabled": True,
}


_AUTOCHECKPOINT_PAGES = 1000  # SQLite's default: a commit that leaves a longer log copies it into the file


class StoreError(OvctlError):
    """The sandbox database cannot be opened or seeded."""


def _migrate_to_2(db: sqlite3.Connection) -> None:
    """Add the summary columns to a version-1 history and fill them from the stored reports (once)."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(syncs)")}
    for column in ("n_updates", "n_issues"):
        if column not in columns:
            db.execute(f"ALTER TABLE syncs ADD COLUMN {column} INTEGER")
    rows = db.execute("SELECT seq, report FROM syncs WHERE report IS NOT NULL").fetchall()
    for seq, report_text in rows:
        try:
            report = json.loads(report_text)
        except ValueError:
            continue  # an unreadable report lists as 0 updates / 0 issues
        counts = _counts(report)
        db.execute("UPDATE syncs SET n_updates = ?, n_issues = ?, risk_users = ?, risk_teams = ? WHERE seq = ?",
                   (*counts, seq))
    db.execute("UPDATE schema_version SET version = 2")


def _counts(report: dict[str, Any] | None) -> tuple[int | None, int | None, int | None, int | None]:
    """The summary columns of a report: updates, issues, risk users, risk teams (None without a report)."""
    if not isinstance(report, dict):
        return None, None, None, None
    risk = report.get("risk") or {}
    return (len(report.get("updates") or []), len(report.get("issues") or []), risk.get("users"), risk.get("teams"))


def summary_row(row: tuple[Any, ...]) -> dict[str, Any]:
    """A history line from the summary columns (see ``Store.SUMMARY_COLUMNS``)."""
    sid, created, decided, flavor, status, error, n_updates, n_issues, risk_users, risk_teams = row
    return {"id": sid, "created_at": created, "decided_at": decided, "flavor": flavor, "status": status,
            "error": error, "updates": n_updates or 0, "issues": n_issues or 0,
            "risk": {"users": risk_users or 0, "teams": risk_teams or 0}}


_SCAN_JSON = json.JSONDecoder().scan_once  # the C scanner behind json.loads, without its two Python layers


def _json_value(text: str) -> Any:
    """``json.loads(text)``, ~3x cheaper per call for the short texts of member properties (20,000
    of them in a load at 20,000 members). The scanner reads one value from the start; when that
    value is the whole text, it is what ``json.loads`` returns. Anything else (leading or trailing
    whitespace, extra data, an error) is left to ``json.loads`` itself: same value, same error."""
    try:
        value, end = _SCAN_JSON(text, 0)
    except Exception:  # StopIteration, JSONDecodeError, RecursionError…: json.loads says which
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(slots=True)
class SyncRecord:
    """One line of the sync history, as kept in the ``syncs`` table."""

    id: str
    seq: int
    created_at: str
    decided_at: str | None
    flavor: str
    status: str
    payload: Any
    sync_settings: dict[str, Any]
    report: dict[str, Any] | None
    error: str | None

    def summary(self) -> dict[str, Any]:
        """What the history list shows: no payload, the counts of the report."""
        report = self.report or {}
        return {"id": self.id, "created_at": self.created_at, "decided_at": self.decided_at,
                "flavor": self.flavor, "status": self.status, "error": self.error,
                "updates": len(report.get("updates", [])), "issues": len(report.get("issues", [])),
                "risk": report.get("risk", {"users": 0, "teams": 0})}

    def to_dict(self) -> dict[str, Any]:
        d = self.summary()
        d.update({"report": self.report, "payload": self.payload, "settings": self.sync_settings})
        return d


_PROPERTIES, _EMAIL = attrgetter("properties"), attrgetter("email")


def _changed_members(new: list[SnapMember], old: list[SnapMember]) -> tuple[list[int], list[tuple[str]]]:
    """The positions of ``new`` whose row differs from the one ``old`` holds there (a member moved
    is rewritten at its new position), and the email keys of ``old`` that ``new`` has no more."""
    # by C-level maps (a sync of 20,000 members compares 20,000 pairs to write the few hundred that
    # changed): field by field, then the properties' key order, which the row's text keeps
    fields = map(ne, new, old)
    order = map(ne, map(list, map(_PROPERTIES, new)), map(list, map(_PROPERTIES, old)))
    changed = list(compress(count(), map(or_, fields, order)))
    changed += range(len(old), len(new))
    if len(new) >= len(old) and all(email_key(new[i].email) == email_key(old[i].email)
                                    for i in changed if i < len(old)):
        return changed, []  # every key of old is still at its position
    kept = set(map(email_key, map(_EMAIL, new)))
    return changed, [(key,) for key in dict.fromkeys(map(email_key, map(_EMAIL, old))) if key not in kept]


class Store:
    """The account and its sync history in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (one transaction per sync).
            self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False,
                                       timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=OFF")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as e:
            raise StoreError(f"{self.path}: cannot open the sandbox database: {e}") from None
        self._lock = threading.RLock()
        # The account as last loaded, with the database's data_version then: handed out again while
        # nothing changed it (every writer of the account below clears it; other connections' commits
        # change data_version). Callers never mutate a loaded Snapshot (simulate copies its input).
        self._loaded: tuple[int, Snapshot] | None = None
        self._copies: WorkingCopies | None = None  # the next simulation's, made ahead (``prepare_copies``)
        # (the account before the last sync, the account it left, the member positions it changed)
        self._derived: tuple[Snapshot, Snapshot, list[int]] | None = None
        self._copies_lock = threading.Lock()
        with self.transaction() as db:
            row = db.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: database schema version {row[0]} is newer than this "
                                 f"ovctl understands ({SCHEMA_VERSION}); upgrade ovctl")
            elif row[0] < 2:
                _migrate_to_2(db)
            for key, value in DEFAULT_SETTINGS.items():
                db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def prepare_copies(self) -> None:
        """Make the working copies the next sync's simulation needs of the account as it is now
        (``engine.WorkingCopies``: ~0.04 s at 20,000 members), unless they are made already. The
        server calls it when it has nothing else to do (before it listens, after a snapshot
        answer), so that a sync does not wait for them."""
        snap = self.load_account()
        with self._copies_lock:
            if self._copies is not None and self._copies.snapshot is snap:
                return  # made already
        copies = WorkingCopies.of(snap)
        with self._copies_lock:
            self._copies = copies

    def working_copies(self, snap: Snapshot) -> WorkingCopies | None:
        """The copies made ahead of ``snap`` — handed out once, then forgotten — or None."""
        with self._copies_lock:
            copies, self._copies = self._copies, None
        return copies if copies is not None and copies.snapshot is snap else None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self, *, checkpoint: bool = True) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error; serialised in-process.

        ``checkpoint=False``: the commit does not copy the write-ahead log into the database file
        even when the log has grown past SQLite's threshold (a sync's history row alone is megabytes
        at 20,000 members, so nearly every sync would: ~0.04 s before its answer). The caller runs
        ``checkpoint()`` once the answer is sent; if it does not, the next commit does it."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                self._loaded = None  # it may hold what this transaction wrote
                raise
            if checkpoint:
                self._db.execute("COMMIT")
                return
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            try:
                self._db.execute("COMMIT")
            finally:
                self._db.execute(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT_PAGES}")

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file, on a connection of its own and in
        PASSIVE mode (it never waits for, nor blocks, a reader or a writer): reads go on meanwhile.
        Best effort: what it cannot copy now, a later checkpoint or commit does."""
        try:
            db = sqlite3.connect(str(self.path), timeout=0)
            try:
                db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                db.close()
        except sqlite3.Error:
            pass

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A consistent read (one snapshot of the database)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")

    # ------------------------------------------------------------------ settings

    def settings(self, db: sqlite3.Connection | None = None) -> dict[str, Any]:
        if db is None:
            with self.reading() as db:
                return self.settings(db)
        out = dict(DEFAULT_SETTINGS)
        for key, value in db.execute("SELECT key, value FROM settings"):
            out[key] = json.loads(value)
        out["properties"] = {name: p.to_dict() for name, p in self._properties(db).items()}
        return out

    def update_settings(self, changes: dict[str, Any], properties: dict[str, PropertyDef | None],
                        thresholds: dict[str, int | None] | None = None) -> dict[str, Any]:
        """Apply already-validated settings in one transaction; a property set to None is deleted
        (with its values on members: the account no longer has it). ``thresholds`` is partial and
        merged with the stored ones *inside* the transaction, so concurrent changes of the users and
        the teams threshold both survive."""
        with self.transaction() as db:
            self._loaded = None
            if thresholds:
                merged = dict(self.settings(db)["risk_thresholds"])
                merged.update(thresholds)
                changes = {**changes, "risk_thresholds": merged}
            for key, value in changes.items():
                db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, json.dumps(value)))
            if properties:
                current = self._properties(db)
                deleted = {name for name, prop in properties.items() if prop is None and name in current}
                for name, prop in properties.items():
                    if prop is None:
                        current.pop(name, None)
                    else:
                        current[name] = prop
                self._write_properties(db, current)
                if deleted:
                    self._drop_member_values(db, deleted)
            return self.settings(db)

    def _drop_member_values(self, db: sqlite3.Connection, names: set[str]) -> None:
        self._loaded = None
        updates = []
        for key, text in db.execute("SELECT email_key, properties FROM members").fetchall():
            values = json.loads(text)
            if names & values.keys():
                kept = {k: v for k, v in values.items() if k not in names}
                updates.append((json.dumps(kept, ensure_ascii=False), key))
        db.executemany("UPDATE members SET properties = ? WHERE email_key = ?", updates)

    def is_empty(self) -> bool:
        with self.reading() as db:
            for table in ("members", "teams", "properties", "syncs"):
                if db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                    return False
        return True

    # ------------------------------------------------------------------ account

    def _properties(self, db: sqlite3.Connection) -> dict[str, PropertyDef]:
        rows = db.execute("SELECT name, type, options FROM properties ORDER BY position")
        return {name: PropertyDef(type=ptype, options=tuple(json.loads(opts)) if opts is not None else None)
                for name, ptype, opts in rows}

    def _write_properties(self, db: sqlite3.Connection, props: dict[str, PropertyDef]) -> None:
        self._loaded = None
        db.execute("DELETE FROM properties")
        db.executemany("INSERT INTO properties (name, position, type, options) VALUES (?, ?, ?, ?)",
                       [(name, i, p.type, json.dumps(list(p.options)) if p.options is not None else None)
                        for i, (name, p) in enumerate(props.items())])

    def load_account(self, db: sqlite3.Connection | None = None) -> Snapshot:
        """The whole account as a Snapshot (what simulate() and /sandbox/snapshot work on); the same
        object as the last call while the account is unchanged: do not mutate it."""
        if db is None:
            with self.reading() as db:
                return self.load_account(db)
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if self._loaded is not None and self._loaded[0] == version:
            return self._loaded[1]
        members = [SnapMember(email=r[0], external_id=r[1], first_name=r[2], last_name=r[3], job_title=r[4],
                              language=r[5], status=r[6], role=r[7], properties=_json_value(r[8]))
                   for r in db.execute("SELECT email, external_id, first_name, last_name, job_title, language, "
                                       "status, role, properties FROM members ORDER BY position")]
        teams: dict[str, SnapTeam] = {}
        for oid, name, ext, parent, rule_based in db.execute(
                "SELECT officevibe_id, name, external_id, parent, rule_based FROM teams ORDER BY position"):
            teams[oid] = SnapTeam(officevibe_id=oid, name=name, external_id=ext, parent=parent,
                                  rule_based=bool(rule_based))
        for team, email, role in db.execute("SELECT team, email, role FROM team_people ORDER BY team, role, position"):
            t = teams.get(team)
            if t is not None:
                (t.managers if role == "manager" else t.members).append(email)
        settings = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM settings")}
        snap = Snapshot(members=members, teams=list(teams.values()), properties=self._properties(db),
                        invite_new_members=bool(settings.get("invite_new_members", False)))
        self._loaded = (version, snap)
        return snap

    _INSERT_MEMBER = ("INSERT OR REPLACE INTO members (email_key, position, email, external_id, first_name, last_name, "
                      "job_title, language, status, role, properties) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    _INSERT_TEAM = ("INSERT OR REPLACE INTO teams (officevibe_id, position, name, external_id, parent, rule_based) "
                    "VALUES (?, ?, ?, ?, ?, ?)")

    def save_account(self, db: sqlite3.Connection, snap: Snapshot, midway: Callable[[], None] | None = None,
                     previous: Snapshot | None = None) -> None:
        """Replace the account by ``snap`` (inside the caller's transaction). ``midway`` runs after the
        members are written and before the teams are (the crash-test fault uses it).

        ``previous``: the account the database holds now (loaded in this transaction). Then only
        the rows that differ are written — a sync of 20,000 members changes a few hundred, and
        rewriting every row was most of the sandbox's time. Without it, every row is rewritten."""
        self._loaded = None
        if previous is None:
            db.execute("DELETE FROM members")
            db.execute("DELETE FROM teams")
            db.execute("DELETE FROM team_people")
        changed, gone = _changed_members(snap.members, [] if previous is None else previous.members)
        db.executemany("DELETE FROM members WHERE email_key = ?", gone)
        db.executemany(self._INSERT_MEMBER, [
            (email_key(m.email), i, m.email, m.external_id, m.first_name, m.last_name, m.job_title, m.language,
             m.status, m.role, json.dumps(m.properties, ensure_ascii=False))
            for i, m in ((i, snap.members[i]) for i in changed)])
        if midway is not None:
            midway()
        old_teams = {} if previous is None else {t.officevibe_id: (i, t) for i, t in enumerate(previous.teams)}
        team_rows, people, redo, seen = [], [], [], set()
        for i, t in enumerate(snap.teams):
            seen.add(t.officevibe_id)
            old = old_teams.get(t.officevibe_id)
            if old is None or (old[0], old[1].name, old[1].external_id, old[1].parent, old[1].rule_based) != (
                    i, t.name, t.external_id, t.parent, t.rule_based):
                team_rows.append((t.officevibe_id, i, t.name, t.external_id, t.parent, int(t.rule_based)))
            managers, members = list(dict.fromkeys(t.managers)), list(dict.fromkeys(t.members))
            if old is not None and old[1].managers == managers and old[1].members == members:
                continue  # as loaded: already de-duplicated, in position order
            if old is not None:
                redo.append((t.officevibe_id,))
            people.extend((t.officevibe_id, e, "manager", n) for n, e in enumerate(managers))
            people.extend((t.officevibe_id, e, "member", n) for n, e in enumerate(members))
        dropped = [(oid,) for oid in old_teams if oid not in seen]
        db.executemany("DELETE FROM teams WHERE officevibe_id = ?", dropped)
        db.executemany("DELETE FROM team_people WHERE team = ?", redo + dropped)
        db.executemany(self._INSERT_TEAM, team_rows)
        db.executemany("INSERT INTO team_people (team, email, role, position) VALUES (?, ?, ?, ?)", people)
        if previous is not None:  # what load_account would now read, without reading it (the read-back follows)
            loaded = self._as_loaded(db, snap)
            self._loaded = (db.execute("PRAGMA data_version").fetchone()[0], loaded)
            self._derived = (previous, loaded, changed)

    def derived(self, snap: Snapshot) -> tuple[Snapshot, list[int]] | None:
        """When ``snap`` is the account the last sync saved: the account before it and the member
        positions whose row it changed (every other member is equal to the one at its position
        before). Handed out once. For the snapshot answer (``answers.SnapshotAnswers``)."""
        derived, self._derived = self._derived, None
        return (derived[0], derived[2]) if derived is not None and derived[1] is snap else None

    def _as_loaded(self, db: sqlite3.Connection, snap: Snapshot) -> Snapshot:
        """``snap`` as ``load_account`` reads it back once saved: people de-duplicated, properties and
        the invite setting from the database, no ovctl records (protected, applied plans)."""
        teams = [t if len(set(t.managers)) == len(t.managers) and len(set(t.members)) == len(t.members)
                 else replace(t, managers=list(dict.fromkeys(t.managers)), members=list(dict.fromkeys(t.members)))
                 for t in snap.teams]
        invite = db.execute("SELECT value FROM settings WHERE key = 'invite_new_members'").fetchone()
        return Snapshot(members=list(snap.members), teams=teams, properties=self._properties(db),
                        invite_new_members=bool(json.loads(invite[0])) if invite else False)

    def _load_seed(self, db: sqlite3.Connection, snap: Snapshot) -> None:
        self._loaded = None
        self._write_properties(db, snap.properties)
        db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('invite_new_members', ?)",
                   (json.dumps(bool(snap.invite_new_members)),))
        self.save_account(db, snap)

    def seed(self, snap: Snapshot) -> None:
        """Load a snapshot into an empty database (refuses a database that holds an account)."""
        if not self.is_empty():
            raise StoreError(f"{self.path}: the database already holds an account; use a new --db to seed")
        with self.transaction() as db:
            self._load_seed(db, snap)

    def reset(self, snap: Snapshot | None = None) -> None:
        """Start over in one transaction: the account, its properties, its settings and the sync
        history are emptied (settings back to ``DEFAULT_SETTINGS``, sync ids from ``sync-1`` again),
        then ``snap`` is loaded as ``seed`` would load it. What a new database seeded with ``snap``
        holds, without a new file or process."""
        with self.transaction() as db:
            self._loaded = None
            for table in ("members", "teams", "team_people", "properties", "settings", "syncs"):
                db.execute(f"DELETE FROM {table}")
            db.executemany("INSERT INTO settings (key, value) VALUES (?, ?)",
                           [(key, json.dumps(value)) for key, value in DEFAULT_SETTINGS.items()])
            if snap is not None:
                self._load_seed(db, snap)

    # ------------------------------------------------------------------ export queries

    def export_users(self, email: str | None = None) -> list[dict[str, Any]]:
        """Rows for the v2 export: non-deactivated members with their managed/member team ids."""
        with self.reading() as db:
            sql = ("SELECT email, first_name, last_name, job_title, role, email_key FROM members "
                   "WHERE status != 'deactivated'")
            args: tuple[Any, ...] = ()
            if email is not None:
                sql += " AND email_key = ?"
                args = (email_key(email),)
            rows = db.execute(sql + " ORDER BY position", args).fetchall()
            groups: dict[str, dict[str, list[str]]] = {}
            for team, person, role in db.execute(
                    "SELECT p.team, p.email, p.role FROM team_people p JOIN teams t ON t.officevibe_id = p.team "
                    "ORDER BY t.position, p.position"):
                entry = groups.setdefault(email_key(person), {"manager": [], "member": []})
                entry[role].append(team)
        out = []
        for mail, first, last, title, role, key in rows:
            entry = groups.get(key, {"manager": [], "member": []})
            out.append({"email": mail, "first_name": first, "last_name": last, "job_title": title, "role": role,
                        "managed": entry["manager"], "member_of": entry["member"]})
        return out

    def export_groups(self, group_id: str | None = None) -> list[dict[str, Any]]:
        """Rows for the v2 export: every team with its people (emails and roles), deactivated
        members left out as ``export_users`` leaves them out."""
        with self.reading() as db:
            sql = "SELECT officevibe_id, name, rule_based FROM teams"
            args: tuple[Any, ...] = ()
            if group_id is not None:
                sql += " WHERE officevibe_id = ?"
                args = (group_id,)
            teams = db.execute(sql + " ORDER BY position", args).fetchall()
            people: dict[str, list[tuple[str, str]]] = {}
            if group_id is not None:
                # One team: its rows through the (team, role, email) key, and the status of just its
                # people through the members' key, never a scan of every member.
                rows = db.execute("SELECT team, email, role FROM team_people WHERE team = ? ORDER BY role, position",
                                  args).fetchall()
                keys = list({email_key(person) for _, person, _ in rows})
                gone = set()
                for i in range(0, len(keys), 500):
                    chunk = keys[i:i + 500]
                    gone.update(k for (k,) in db.execute(
                        "SELECT email_key FROM members WHERE status = 'deactivated' AND email_key IN "
                        f"({','.join('?' * len(chunk))})", chunk))
            else:
                rows = db.execute("SELECT team, email, role FROM team_people ORDER BY role, position").fetchall()
                gone = {key for (key,) in db.execute("SELECT email_key FROM members WHERE status = 'deactivated'")}
            for team, person, role in rows:
                if email_key(person) not in gone:  # the export does not know deactivated members
                    people.setdefault(team, []).append((person, role))
        return [{"id": oid, "name": name, "rule_based": bool(rb), "people": people.get(oid, [])}
                for oid, name, rb in teams]

    # ------------------------------------------------------------------ sync history

    def _record(self, row: tuple[Any, ...]) -> SyncRecord:
        (seq, sid, created, decided, flavor, status, payload, sync_settings, report, error) = row
        return SyncRecord(id=sid, seq=seq, created_at=created, decided_at=decided, flavor=flavor, status=status,
                          payload=json.loads(payload) if payload is not None else None,
                          sync_settings=json.loads(sync_settings) if sync_settings else {},
                          report=json.loads(report) if report is not None else None, error=error)

    _SYNC_COLUMNS = "seq, id, created_at, decided_at, flavor, status, payload, sync_settings, report, error"

    def add_sync(self, db: sqlite3.Connection, *, flavor: str, status: str, payload: Any,
                 sync_settings: dict[str, Any] | None, report: dict[str, Any] | None,
                 error: str | None = None, payload_text: str | None = None) -> SyncRecord:
        """Append a sync to the history (inside the caller's transaction); ids are ``sync-<n>``.

        ``payload_text``: JSON text that reads back as ``payload`` (the request's own body), stored
        as it is rather than ``payload`` dumped again: megabytes at 20,000 members."""
        created = _now()
        if payload_text is None and payload is not None:
            payload_text = json.dumps(payload, ensure_ascii=False)
        seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM syncs").fetchone()[0]
        n_updates, n_issues, risk_users, risk_teams = _counts(report)
        db.execute(
            "INSERT INTO syncs (seq, id, created_at, decided_at, flavor, status, payload, sync_settings, report, "
            "risk_users, risk_teams, error, n_updates, n_issues) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, f"sync-{seq}", created, None if status == "pending" else created, flavor, status,
             payload_text, json.dumps(sync_settings or {}),
             json.dumps(report, ensure_ascii=False) if report is not None else None,
             risk_users, risk_teams, error, n_updates, n_issues))
        # What get_sync would read back, without decoding the payload just encoded (megabytes at 20,000
        # members): the caller's values, which are plain JSON (a parsed body, a report of dicts and lists).
        return SyncRecord(id=f"sync-{seq}", seq=seq, created_at=created,
                          decided_at=None if status == "pending" else created, flavor=flavor, status=status,
                          payload=payload, sync_settings=dict(sync_settings or {}), report=report, error=error)

    def decide_sync(self, db: sqlite3.Connection, sync_id: str, status: str, report: dict[str, Any] | None,
                    error: str | None = None) -> SyncRecord:
        """Close a pending sync (approved → applied, rejected, failed)."""
        n_updates, n_issues, risk_users, risk_teams = _counts(report)
        db.execute("UPDATE syncs SET status = ?, decided_at = ?, report = COALESCE(?, report), "
                   "risk_users = COALESCE(?, risk_users), risk_teams = COALESCE(?, risk_teams), "
                   "n_updates = COALESCE(?, n_updates), n_issues = COALESCE(?, n_issues), error = ? WHERE id = ?",
                   (status, _now(), json.dumps(report, ensure_ascii=False) if report is not None else None,
                    risk_users, risk_teams, n_updates, n_issues, error, sync_id))
        rec = self.get_sync(sync_id, db)
        assert rec is not None
        return rec

    def get_sync(self, sync_id: str, db: sqlite3.Connection | None = None) -> SyncRecord | None:
        if db is None:
            with self.reading() as db:
                return self.get_sync(sync_id, db)
        row = db.execute(f"SELECT {self._SYNC_COLUMNS} FROM syncs WHERE id = ?", (sync_id,)).fetchone()
        return self._record(row) if row else None

    SUMMARY_COLUMNS = "id, created_at, decided_at, flavor, status, error, n_updates, n_issues, risk_users, risk_teams"

    def list_syncs(self) -> list[dict[str, Any]]:
        """The history as summaries, oldest first, from the summary columns only: listing never
        decodes a payload or a report, so it stays fast however large the stored syncs are."""
        with self.reading() as db:
            return [summary_row(r) for r in db.execute(f"SELECT {self.SUMMARY_COLUMNS} FROM syncs ORDER BY seq")]
