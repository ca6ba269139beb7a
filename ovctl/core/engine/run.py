"""The working state of one simulation, shared by the member and team rules.

``simulate`` never touches its inputs: a run starts from copies of the snapshot's members and
teams, and the rule modules mutate those copies and the report in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from ovctl.core.model import Snapshot, SnapMember, SnapTeam, SyncReport


def _copy_member(m: SnapMember) -> SnapMember:
    return SnapMember(email=m.email, external_id=m.external_id, first_name=m.first_name, last_name=m.last_name,
                      job_title=m.job_title, language=m.language, status=m.status, role=m.role,
                      properties=dict(m.properties))


def _copy_team(t: SnapTeam) -> SnapTeam:
    return SnapTeam(officevibe_id=t.officevibe_id, name=t.name, external_id=t.external_id, parent=t.parent,
                    managers=list(t.managers), members=list(t.members), rule_based=t.rule_based)


@dataclass(slots=True)
class SyncRun:
    """Working state of one simulation (the inputs are never touched)."""

    snapshot: Snapshot
    members: list[SnapMember]
    teams: list[SnapTeam]
    report: SyncReport

    @classmethod
    def start(cls, snapshot: Snapshot) -> SyncRun:
        """A run over copies of ``snapshot``'s members and teams, with an empty report."""
        return cls(snapshot=snapshot, members=[_copy_member(m) for m in snapshot.members],
                   teams=[_copy_team(t) for t in snapshot.teams], report=SyncReport())
