"""Build the provisioning sync(s) that take the account to the desired org.

Pure: the org and the snapshot in, flavour-neutral ``model.Payload`` values out (``wire`` encodes
them). Usually one payload; two when a ``previous_name`` rename needs the account's two-sync dance
(first the old name, so the account adopts the id-less team by name; then the new name).
"""

from __future__ import annotations

from ovctl.core.model import Mapping, Org, Payload, PayloadMember, PayloadTeam, Snapshot, Team


def previous_name_adoptions(org: Org, snapshot: Snapshot) -> dict[str, str]:
    """Team id -> previous name, for every team that must first be synced under its old name.

    That is a team whose ``previous_name`` names an id-less, non-rule-based team of the snapshot,
    while no snapshot team carries the team's external id yet. When the previous name equals the new
    name, one sync adopts the team already, so it is not listed.
    """
    idless_names = {t.name for t in snapshot.teams if t.external_id is None and not t.rule_based}
    known_ids = {t.external_id for t in snapshot.teams if t.external_id is not None}
    return {t.id: t.previous_name for t in org.teams
            if t.previous_name and t.previous_name != t.name and t.previous_name in idless_names
            and t.id not in known_ids}


def build_payloads(org: Org, snapshot: Snapshot) -> list[Payload]:
    """One payload, or two when a ``previous_name`` rename needs adopting first (see module doc).

    Members carry *every* property declared in the org for every member: a member with no value
    gets ``""``, which clears the value in the account. The org file is the whole truth about the
    declared properties, so a value removed from the YAML is removed from the account; properties
    the org does not declare are never sent and stay as they are. A member without a job title or
    language sends ``None`` (column absent): the account keeps what it has.
    """
    members = _payload_members(org)
    mappings = _mappings(org.teams)
    final = Payload(members=members, teams=[PayloadTeam(t.id, t.name) for t in org.teams], mappings=mappings)
    adoptions = previous_name_adoptions(org, snapshot)
    if not adoptions:
        return [final]
    first = Payload(members=members, teams=[PayloadTeam(t.id, adoptions.get(t.id, t.name)) for t in org.teams],
                    mappings=mappings)
    return [first, final]


def _payload_members(org: Org) -> list[PayloadMember]:
    """Every declared property in declared order, "" where the member has none (a clear).

    Built for 50,000 members: positional arguments in ``PayloadMember``'s field order, and the
    property dict merged in C when the member's names are all declared (the validated org's case)."""
    declared = list(org.properties)
    names = frozenset(declared)
    blank = dict.fromkeys(declared, "")
    return [PayloadMember(m.id, m.email, m.first_name, m.last_name, m.job_title, m.language,
                          {**blank, **m.properties} if m.properties.keys() <= names
                          else {name: m.properties.get(name, "") for name in declared})
            for m in org.members]


def _mappings(teams: list[Team]) -> list[Mapping]:
    """One row per (team, person) with both flags when both apply, then one per (parent, sub-team)."""
    rows: list[Mapping] = []
    for t in teams:
        managers = set(t.managers)
        members = set(t.members)
        tid = t.id
        # dict.fromkeys: each person once, managers first, in order. Positional arguments in
        # Mapping's field order (team, member, subteam, is_member, is_manager): 50,000 rows
        rows += [Mapping(tid, person, None, person in members, person in managers)
                 for person in dict.fromkeys([*t.managers, *t.members])]
    for t in teams:
        if t.parent is not None:
            rows.append(Mapping(team=t.parent, subteam=t.id))
    return rows
