"""Where the account's external ids come from when its export hides them (``import live --ids``).

A real account read through the v2 export shows no external ids (``account/live.py``): a member
or team shown without one may hold one in the account. ``ovctl import live`` does not make ids up
for them (``sources/snapshot.py``); it takes them from a source the user names:

- the official script's CSV directory (``members.csv`` ... or the legacy files): the ids it sent,
  members by email, teams by name (a name two teams share is left unresolved);
- a snapshot file (JSON or YAML: a state file, a ``pull`` of the account with ids): members by
  email, teams by Officevibe id, else by unique name.

An id the source gives is attached and stops being "hidden"; an id already held by another member
or team of the reading is never attached twice. What the source does not cover stays hidden. The
source's team tree also gives the parents the export hides (else the first sync would flatten it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ovctl.core.errors import SourceError
from ovctl.core.model import Snapshot, email_key

HIDDEN = "external_id"


@dataclass(slots=True)
class IdSource:
    """Ids a user vouches for: member id by email key; team id by Officevibe id and by name
    (``None``: the name is shared by two teams of the source, so it says nothing)."""

    path: str
    members: dict[str, str] = field(default_factory=dict)
    teams_by_ov: dict[str, str] = field(default_factory=dict)
    teams_by_name: dict[str, str | None] = field(default_factory=dict)
    parents: dict[str, str | None] = field(default_factory=dict)  # team id -> parent team id (None: top level)
    parents_by_ov: dict[str, str | None] = field(default_factory=dict)  # the same by Officevibe id (a snapshot)
    # a snapshot also says who has *no* id: those are known, not hidden (nothing to attach)
    idless_members: set[str] = field(default_factory=set)
    idless_teams: set[str] = field(default_factory=set)  # Officevibe ids

    def add_team_name(self, name: str, tid: str) -> None:
        self.teams_by_name[name] = tid if name not in self.teams_by_name else None


def read_ids(path: Path) -> IdSource:
    """The ids of ``path``: a directory of the official CSV files, or a snapshot file."""
    if path.is_dir():
        from ovctl.sources.csvfiles import read_csv_dir

        org = read_csv_dir(path).org
        out = IdSource(str(path))
        for m in org.members:
            out.members[email_key(m.email)] = m.id
        for t in org.teams:
            out.add_team_name(t.name, t.id)
            out.parents[t.id] = t.parent
        return out
    if not path.is_file():
        raise SourceError(f"--ids {path}: no such file or directory (give the official script's CSV directory "
                          "or a snapshot / state file)")
    from ovctl.files.statefile import read_snapshot

    snap = read_snapshot(path)
    out = IdSource(str(path))
    for sm in snap.members:
        if sm.external_id:
            out.members[email_key(sm.email)] = sm.external_id
        else:
            out.idless_members.add(email_key(sm.email))
    for st in snap.teams:
        out.parents_by_ov[st.officevibe_id] = st.parent
        if st.external_id:
            out.teams_by_ov[st.officevibe_id] = st.external_id
            out.add_team_name(st.name, st.external_id)
        else:
            out.idless_teams.add(st.officevibe_id)
    return out


def hidden_member(snap: Snapshot, email: str) -> bool:
    """Whether the reading cannot tell this member's external id (an export read, no state value)."""
    return HIDDEN in snap.unknown_members.get(email_key(email), ())


def hidden_team(snap: Snapshot, officevibe_id: str) -> bool:
    return HIDDEN in snap.unknown_teams.get(officevibe_id, ())


def _known(marks: dict[str, frozenset[str]], key: str, what: str = HIDDEN) -> None:
    rest = marks.get(key, frozenset()) - {what}
    if rest:
        marks[key] = frozenset(rest)
    else:
        marks.pop(key, None)


def attach_ids(snap: Snapshot, ids: IdSource) -> tuple[int, int]:
    """Attach the ids of ``ids`` to the members and teams whose id ``snap`` hides; returns how many
    (members, teams) were attached. In place."""
    taken_m = {m.external_id for m in snap.members if m.external_id}
    n_m = 0
    for m in snap.members:
        if m.external_id is not None or not hidden_member(snap, m.email):
            continue
        mid = ids.members.get(email_key(m.email))
        if mid is None and email_key(m.email) in ids.idless_members:
            _known(snap.unknown_members, email_key(m.email))  # the source says: no id yet
        elif mid is not None and mid not in taken_m:
            m.external_id = mid
            taken_m.add(mid)
            _known(snap.unknown_members, email_key(m.email))
            n_m += 1
    taken_t = {t.external_id for t in snap.teams if t.external_id}
    n_t = 0
    for t in snap.teams:
        if t.external_id is not None or not hidden_team(snap, t.officevibe_id):
            continue
        tid = ids.teams_by_ov.get(t.officevibe_id) or ids.teams_by_name.get(t.name)
        if tid is None and t.officevibe_id in ids.idless_teams:
            _known(snap.unknown_teams, t.officevibe_id)  # the source says: no id yet (adopted by name)
        elif tid is not None and tid not in taken_t:
            t.external_id = tid
            taken_t.add(tid)
            _known(snap.unknown_teams, t.officevibe_id)
            n_t += 1
    # The export hides parents too: the source's tree (by team id) gives them, so the first sync
    # does not flatten the hierarchy. A parent the source names but the reading lacks stays hidden.
    ov_of = {t.external_id: t.officevibe_id for t in snap.teams if t.external_id}
    live_ov = {t.officevibe_id for t in snap.teams}
    for t in snap.teams:
        if "parent" not in snap.unknown_teams.get(t.officevibe_id, ()):
            continue
        if t.officevibe_id in ids.parents_by_ov:
            parent_ov = ids.parents_by_ov[t.officevibe_id]
            if parent_ov is not None and parent_ov not in live_ov:
                continue
        elif t.external_id is not None and t.external_id in ids.parents:
            parent = ids.parents[t.external_id]
            parent_ov = ov_of.get(parent) if parent is not None else None
            if parent is not None and parent_ov is None:
                continue
        else:
            continue
        if parent_ov == t.officevibe_id:
            continue
        t.parent = parent_ov
        _known(snap.unknown_teams, t.officevibe_id, "parent")
    return n_m, n_t
