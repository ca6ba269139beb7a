"""Semantic checks of org documents and their merge into one ``model.Org`` (pure: no I/O).

The documents arrive parsed (``yamlsource.MarkedDict`` data, which remembers positions) and
already schema-checked; this module checks what a schema cannot: duplicates across the whole org
(member ids, emails case-insensitively, team ids), references (managers, members, ``parent:``;
a ``settings.protected`` id outside the org only warns, and stays protected), cycles and double parents, properties and options against the declared
``properties``, empty sections, and the warnings of docs/org-file.md. Every problem is collected with its
``file:line:column``; nothing stops at the first one.

Malformed pieces (already reported by the schema) are skipped quietly, so one mistake gives one
message. Everything is indexed with dicts: linear in members and teams.

The checks live in ``validate_members`` (sections, properties, members) and ``validate_teams``
(the team tree, references, cycles, team warnings) on top of ``validate_common``; this module
joins them into one checker and keeps the public entry points.
"""

from __future__ import annotations

from typing import Any

from ovctl.core.errors import Problem
from ovctl.core.model import Member, Org, Settings
from ovctl.core.shown import shown
from ovctl.core.validate.common import Document, did_you_mean, name_key, norm_id
from ovctl.core.validate.members import MemberChecks
from ovctl.core.validate.teams import TeamChecks, _TeamRec
from ovctl.core.positions import Pos, key_pos, value_pos


class _Checker(MemberChecks, TeamChecks):
    """Every check over one run's documents (see ``validate_members`` and ``validate_teams``)."""


def build_org(docs: list[Document], *, complete: bool = True) -> tuple[Org | None, list[Problem]]:
    """Check and merge parsed org documents. Returns (org or None when errors, problems).

    ``complete=False`` (some file could not be read or parsed) skips the checks that need the whole
    org — unknown references, empty sections, members in no team — to avoid a cascade of
    misleading messages; the syntax error comes first.
    """
    docs = [d for d in docs if isinstance(d.data, dict)]
    checker = _Checker(docs)
    organization, settings, properties = checker.sections()
    members, member_ids = checker.members(properties)
    checker.id_lower = {m.lower(): m for m in member_ids}
    recs = checker.teams(member_ids if complete else None)
    teams = checker.tree(recs, complete)
    by_id = {m.id: m for m in members}
    checker.team_warnings(recs, by_id)
    if complete:
        _org_checks(checker, docs, settings, members, member_ids, recs)
    if any(p.severity == "error" for p in checker.problems):
        return None, checker.problems
    return Org(organization, settings, properties, members, teams), checker.problems


def _org_checks(checker: _Checker, docs: list[Document], settings: Settings, members: list[Member],
                member_ids: dict[str, tuple[Document, Any]], recs: dict[str, _TeamRec]) -> None:
    """Whole-org rules: empty sections, protected ids, members in no team.

    A protected id that is not an org member is only a warning and stays protected: removing a
    leaver from ``members`` while keeping them in ``settings.protected`` is exactly what the
    ``protected_member`` plan guard exists to catch."""
    if not docs:
        return

    def section_pos(section: str) -> tuple[Document, Pos]:
        for doc in docs:
            if section in doc.data:
                return doc, key_pos(doc.data, section)
        return docs[0], (1, 1)

    def written(section: str) -> int:
        """How many entries the files hold, malformed ones included (the schema reported those)."""
        values = [doc.data.get(section) for doc in docs]
        return sum(len(v) if isinstance(v, list) else int(v is not None) for v in values)

    if not member_ids and not written("members"):
        checker.error(*section_pos("members"), "the org has no members: the account rejects a sync with an "
                      "empty members section", "no_members")
    if not recs and not written("teams"):
        checker.error(*section_pos("teams"), "the org has no teams: the account rejects a sync with an empty "
                      "teams section", "no_teams")
    elif recs and not any(r.written or r.children for r in recs.values()):
        checker.error(*section_pos("teams"), "no team has a manager, member or sub-team: the account rejects a "
                      "sync with an empty team mappings section", "no_mappings")
    for doc in docs:
        protected = doc.data.get("settings", {}).get("protected") if isinstance(doc.data.get("settings"), dict) \
            else None
        if not isinstance(protected, list):
            continue
        for i, raw in enumerate(protected):
            mid = norm_id(raw)
            if mid is None:
                continue
            if mid not in member_ids:  # e.g. a leaver removed from members: the guard must still hold
                hint = checker.suggest("member", mid, member_ids, checker.id_lower)
                checker.warn(doc, value_pos(protected, i), f"protected member '{shown(mid)}' is not in the org{hint}: if the "
                             "account has them, the plan will refuse to deactivate them (protected_member guard) "
                             "unless --force", "protected_not_in_org")
            if mid not in settings.protected:
                settings.protected.append(mid)
    placed: set[str] = set()
    for rec in recs.values():
        placed.update(rec.team.managers)
        placed.update(rec.team.members)
    if recs:
        for mid, (doc, node) in member_ids.items():
            if mid not in placed and mid.lower() not in checker.unknown_refs:  # a typo'd reference: one error only
                checker.warn(doc, value_pos(node, "id"), f"member '{shown(mid)}' is in no team (as a member or a manager)", "member_in_no_team")


__all__ = ["Document", "build_org", "did_you_mean", "name_key", "norm_id"]
