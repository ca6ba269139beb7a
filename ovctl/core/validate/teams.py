"""Checks of the team tree: teams flattened across files, member references, parents and
cycles, and the warnings on team ids and names (pure: no I/O).

Why a module of its own: the team tree is the org's one graph (nesting, ``parent:`` links,
references into ``members``) and reads best apart from the member checks in
``validate_members``. ``validate._Checker`` mixes it in.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import Any

from ovctl.core.model import Member, Team
from ovctl.core.shown import shown
from ovctl.core.validate.common import CheckerBase, Document, name_key, norm_id
from ovctl.core.positions import key_pos, node_pos, value_pos
from ovctl.core.records import record


@record
class _TeamRec:
    team: Team
    doc: Document
    node: Any
    explicit_parent: bool  # parent came from a `parent:` key (not from nesting)
    written: bool = False  # the file lists a manager or member id (known or not): the team is not "empty"
    children: list[str] = field(default_factory=list)



class TeamChecks(CheckerBase):
    """Teams, their manager and member references, the parent tree, and team warnings."""

    def teams(self, member_ids: dict[str, tuple[Document, Any]]) -> dict[str, _TeamRec]:
        """Flatten every file's tree; first definition of an id wins."""
        recs: dict[str, _TeamRec] = {}
        for doc in self.docs:
            items = doc.data.get("teams")
            if isinstance(items, list):
                self.team_list(doc, items, None, recs, member_ids)
        return recs

    def team_list(self, doc: Document, items: list, parent: str | None, recs: dict[str, _TeamRec],
                  member_ids: dict[str, tuple[Document, Any]]) -> None:
        for i, node in enumerate(items):
            if not isinstance(node, dict):
                continue
            tid, name = norm_id(node.get("id")), node.get("name")
            explicit = None
            if "parent" in node:
                if parent is not None:
                    self.error(doc, key_pos(node, "parent"), "'parent' is only allowed on a top-level team "
                               f"(this team is nested under '{shown(parent)}')", "nested_parent")
                else:
                    explicit = norm_id(node["parent"])
            effective = parent if parent is not None else explicit
            children = node.get("teams")
            if tid is None or not isinstance(name, str):
                if isinstance(children, list):  # still check the sub-teams
                    self.team_list(doc, children, tid, recs, member_ids)
                continue
            here = value_pos(node, "id")
            if tid in recs and recs[tid].node is node:  # the same mapping again, through a YAML alias
                self.error(doc, value_pos(items, i), f"team '{shown(tid)}' is defined twice through a YAML alias "
                           f"(defined at {self.loc(recs[tid].doc, here)})", "duplicate_team_id")
                continue  # its sub-teams were checked with the original
            self.name_texts(doc, node, ("name", "previous_name"), "team ")
            if tid in recs:
                first = recs[tid]
                where = self.loc(first.doc, value_pos(first.node, "id"))
                if first.team.parent != effective:
                    self.error(doc, here, f"team '{shown(tid)}' has two parents: '{shown(first.team.parent or '(top level)')}' "
                               f"(at {where}) and '{shown(effective or '(top level)')}' here", "double_parent")
                else:
                    self.error(doc, here, f"duplicate team id '{shown(tid)}' (first defined at {where})", "duplicate_team_id")
            else:
                previous = node.get("previous_name")
                team = Team(tid, name, effective, self.refs(doc, node, "managers", tid, member_ids),
                            self.refs(doc, node, "members", tid, member_ids),
                            previous if isinstance(previous, str) else None)
                written = any(norm_id(x) is not None for role in ("managers", "members")
                              if isinstance(node.get(role), list) for x in node[role])
                recs[tid] = _TeamRec(team, doc, node, explicit is not None, written)
            if isinstance(children, list):
                self.team_list(doc, children, tid, recs, member_ids)

    def refs(self, doc: Document, node: dict, role: str, tid: str,
             member_ids: dict[str, tuple[Document, Any]]) -> list[str]:
        items = node.get(role)
        out: list[str] = []
        if not isinstance(items, list):
            return out
        seen: set[str] = set()
        for i, raw in enumerate(items):
            mid = norm_id(raw)
            if mid is None:
                continue
            if member_ids is not None and mid not in member_ids:
                hint = self.suggest("member", mid, member_ids, self.id_lower)
                self.unknown_refs.add(mid.lower())
                self.error(doc, value_pos(items, i), f"unknown member '{shown(mid)}' in {role} of team '{shown(tid)}'{hint}", "unknown_member")
                continue
            if mid in seen:
                self.warn(doc, value_pos(items, i), f"'{shown(mid)}' is listed twice in {role} of team '{shown(tid)}'", "listed_twice")
                continue
            seen.add(mid)
            out.append(mid)
        if role == "members":
            raw_managers = node.get("managers")  # anything but a list is a schema error, reported there
            managers = {norm_id(x) for x in raw_managers if norm_id(x) is not None} \
                if isinstance(raw_managers, list) else set()
            for i, raw in enumerate(items):
                if norm_id(raw) in managers:
                    self.warn(doc, value_pos(items, i), f"'{shown(norm_id(raw))}' is both a manager and a member of team "
                              f"'{shown(tid)}'", "manager_is_member")
        return out

    def tree(self, recs: dict[str, _TeamRec], complete: bool) -> list[Team]:
        """Check parents and cycles; return the teams parents-first (pre-order)."""
        roots: list[str] = []
        team_lower = {t.lower(): t for t in recs}
        for tid, rec in recs.items():
            parent = rec.team.parent
            if parent is None:
                roots.append(tid)
            elif parent in recs:
                recs[parent].children.append(tid)  # nested first (source order), then attached
            elif complete and rec.explicit_parent:
                self.error(rec.doc, value_pos(rec.node, "parent"), f"unknown parent team '{shown(parent)}'"
                           + self.suggest("team", parent, recs, team_lower), "unknown_parent")
        state: dict[str, int] = {}
        for start in recs:  # cycles can only go through `parent:` links
            path: list[str] = []
            tid: str | None = start
            while tid is not None and tid in recs and state.get(tid, 0) == 0:
                state[tid] = 1
                path.append(tid)
                tid = recs[tid].team.parent
            if tid is not None and state.get(tid) == 1:
                cycle = path[path.index(tid):]
                anchor = next((t for t in cycle if recs[t].explicit_parent), cycle[0])
                rec = recs[anchor]
                chain = " -> ".join(shown(t) for t in cycle[cycle.index(anchor):] + cycle[:cycle.index(anchor)] + [anchor])
                self.error(rec.doc, value_pos(rec.node, "parent"), f"cycle in team parents: {chain}", "team_cycle")
            for t in path:
                state[t] = 2
        ordered: list[Team] = []
        stack = list(reversed(roots))
        while stack:
            rec = recs[stack.pop()]
            ordered.append(rec.team)
            stack.extend(reversed(rec.children))
        return ordered

    def team_warnings(self, recs: dict[str, _TeamRec], members: dict[str, Member]) -> None:
        """Warnings on team ids. An all-caps code such as ``SALES`` reads as a code, not as the name
        "Sales"; ``sales`` or ``customer-support`` (for "Customer Support") read as the name."""
        people: dict[str, str] = {}
        for m in members.values():
            full = name_key(m.first_name + m.last_name)
            people.setdefault(full, f"{m.first_name} {m.last_name}")
            people.setdefault(name_key(m.last_name + m.first_name), f"{m.first_name} {m.last_name}")
        for tid, rec in recs.items():
            team, doc = rec.team, rec.doc
            here = value_pos(rec.node, "id")
            if not rec.written and not rec.children:
                self.warn(doc, node_pos(rec.node), f"team '{shown(tid)}' has no managers, members or sub-teams",
                          "empty_team")
            if tid.strip() == team.name.strip() or (tid != tid.upper() and name_key(tid) == name_key(team.name)):
                self.warn(doc, here, f"team id '{shown(tid)}' equals its name: the id must stay when the team is renamed; "
                          "use a stable code", "team_id_is_name")
            own = {}
            for mid in team.managers:
                m = members.get(mid)
                if m is not None:
                    for part in (m.first_name, m.last_name, m.first_name + m.last_name):
                        own.setdefault(name_key(part), f"{m.first_name} {m.last_name}")
            for label, text, pos in (("id", tid, here), ("name", team.name, value_pos(rec.node, "name"))):
                key = name_key(text)
                bare = re.sub(r"^(team)|(team|teams)$", "", key)
                person = people.get(key) or people.get(bare) or own.get(key) or own.get(bare) \
                    or (own.get(bare[:-1]) if bare.endswith("s") else None)
                if person:
                    self.warn(doc, pos, f"team {label} '{shown(text)}' looks like a person's name ({shown(person)}): a team keyed "
                              "on a person loses its history when they leave", "team_named_after_person")
                    break
