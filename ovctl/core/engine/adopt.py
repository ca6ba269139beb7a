"""Which id-less account team each payload team adopts: by name, and by parent when names repeat.

A payload team with no team of its external id in the account adopts an id-less, non-rule-based
team of the same name (docs/sync-semantics.md, "Teams"). When the name is unique on both sides
(one id-less account team, one payload team needing it) that team is adopted whatever its parent,
as before. When it is not, a candidate is adopted only when its parent *is* the payload team's
parent: the same external id, held before the sync or attached by an adoption of this sync (parents
are decided first), or both at the top level. A pairing that still leaves more than one candidate —
two account teams or two payload teams of one name under one parent, or candidates whose parents
are themselves ambiguous — adopts none of them and is noted (``AmbiguousTeam``): guessing would
attach the id, and so another team's history, to the wrong team.

Linear: candidates are indexed by (name, parent identity) and re-keyed once when their parent is
adopted.
"""

from __future__ import annotations

from ovctl.core.engine.run import AmbiguousTeam
from ovctl.core.model import Payload, PayloadTeam, SnapTeam

_Key = tuple[str, object]  # (team name, parent identity: an external id, None, or ("idless", index))


def adoptions(teams: list[SnapTeam], payload: Payload, by_ext: dict[str, int], rule_based_ext: set[str],
              by_name: dict[str, list[int]], notes: list[AmbiguousTeam]) -> dict[str, int]:
    """Payload external id -> index of the id-less team it adopts; ambiguities appended to ``notes``."""
    valid: dict[str, PayloadTeam] = {}  # the payload teams the sync processes (as sync_teams skips)
    for pt in payload.teams:
        if pt.external_id not in valid and pt.name.strip() and pt.external_id not in rule_based_ext:
            valid[pt.external_id] = pt
    wanting = [pt for pt in valid.values() if pt.external_id not in by_ext and pt.name in by_name]
    if not wanting:
        return {}
    wanted: dict[str, int] = {}
    for pt in wanting:
        wanted[pt.name] = wanted.get(pt.name, 0) + 1
    adopted: dict[str, int] = {}
    ext_of: dict[int, str] = {}  # team index -> external id attached by this sync
    rest: list[PayloadTeam] = []
    for pt in wanting:
        if wanted[pt.name] == 1 and len(by_name[pt.name]) == 1:
            idx = by_name[pt.name][0]
            adopted[pt.external_id], ext_of[idx] = idx, pt.external_id
        else:
            rest.append(pt)
    if not rest:
        return adopted
    return _by_parent(teams, payload, valid, rest, by_name, adopted, ext_of, notes)


def _payload_parents(payload: Payload, valid: dict[str, PayloadTeam]) -> dict[str, str]:
    """Sub-team external id -> parent external id: the first row naming it, as the mappings do."""
    parent: dict[str, str] = {}
    for mp in payload.mappings:
        sub = mp.subteam
        if sub is not None and sub != mp.team and sub not in parent and sub in valid and mp.team in valid:
            parent[sub] = mp.team
    return parent


def _depths(parent: dict[str, str], ids: list[str], deepest: int) -> dict[str, int]:
    """Depth of each payload team in the payload's tree; a team in a cycle counts as ``deepest``."""
    depth: dict[str, int] = {}
    for start in ids:
        chain: list[str] = []
        on_chain: set[str] = set()
        node: str | None = start
        while node is not None and node not in depth and node not in on_chain:
            on_chain.add(node)
            chain.append(node)
            node = parent.get(node)
        base = -1 if node is None else depth.get(node, deepest)
        for n in reversed(chain):
            base = min(base + 1, deepest)
            depth[n] = base
    return depth


def _by_parent(teams: list[SnapTeam], payload: Payload, valid: dict[str, PayloadTeam], rest: list[PayloadTeam],
               by_name: dict[str, list[int]], adopted: dict[str, int], ext_of: dict[int, str],
               notes: list[AmbiguousTeam]) -> dict[str, int]:
    """Adopt the candidates of repeated names by (name, parent), parents first."""
    parent = _payload_parents(payload, valid)
    idx_by_ov = {t.officevibe_id: i for i, t in enumerate(teams)}
    taken = set(adopted.values())

    def ident(i: int) -> object:
        ext = teams[i].external_id if teams[i].external_id is not None else ext_of.get(i)
        return ext if ext is not None else ("idless", i)

    def key_of(i: int) -> _Key:
        p = idx_by_ov.get(teams[i].parent) if teams[i].parent is not None else None
        return teams[i].name, (ident(p) if p is not None else None)

    names = dict.fromkeys(pt.name for pt in rest)  # ordered: the same input always gives the same notes
    cands: dict[_Key, dict[int, None]] = {}
    children: dict[int, list[int]] = {}  # parent index -> candidate indexes under it
    for name in names:
        for i in by_name[name]:
            if i in taken:
                continue
            cands.setdefault(key_of(i), {})[i] = None
            p = idx_by_ov.get(teams[i].parent) if teams[i].parent is not None else None
            if p is not None:
                children.setdefault(p, []).append(i)
    peers: dict[_Key, list[str]] = {}
    for pt in rest:
        peers.setdefault((pt.name, parent.get(pt.external_id)), []).append(pt.external_id)
    depth = _depths(parent, [pt.external_id for pt in rest], len(valid))
    ambiguous_pts: set[str] = set()
    amb_children: dict[tuple[str, str], dict[int, None]] = {}  # (name, parent's name) -> candidates
    noted: set[_Key] = set()

    def path(i: int) -> tuple[str, ...]:
        out: list[str] = []
        node: int | None = i
        while node is not None and len(out) <= len(teams):
            out.append(teams[node].name)
            p = teams[node].parent
            node = idx_by_ov.get(p) if p is not None else None
        return tuple(reversed(out))

    def note(key: _Key, found: list[int], reason: str) -> None:
        if key in noted:
            return
        noted.add(key)
        ids = peers[key]
        ambiguous_pts.update(ids)
        notes.append(AmbiguousTeam(name=key[0], team_ids=tuple(ids), parent=key[1] if isinstance(key[1], str) else None,
                                   candidates=tuple((teams[i].officevibe_id, path(i)) for i in found), reason=reason))
        for i in found:
            for ch in children.get(i, ()):
                amb_children.setdefault((teams[ch].name, teams[i].name), {})[ch] = None

    for pt in sorted(rest, key=lambda t: depth[t.external_id]):
        p_ext = parent.get(pt.external_id)
        key = (pt.name, p_ext)
        fit = [i for i in cands.get(key, ()) if i not in taken]
        if len(fit) == 1 and len(peers[key]) == 1:
            i = fit[0]
            adopted[pt.external_id], ext_of[i] = i, pt.external_id
            taken.add(i)
            for ch in children.get(i, ()):  # its sub-teams now sit under a known id
                if ch not in taken:
                    cands.get((teams[ch].name, ("idless", i)), {}).pop(ch, None)
                    cands.setdefault((teams[ch].name, pt.external_id), {})[ch] = None
        elif fit:
            note(key, fit, "account" if len(fit) > 1 else "org")
        elif p_ext is not None and p_ext in ambiguous_pts:
            under = [i for i in amb_children.get((pt.name, valid[p_ext].name), ()) if i not in taken]
            if under:
                note(key, under, "parents")
    return adopted

