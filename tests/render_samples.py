"""Hand-built plans for the renderer tests (H3): a plan with guards, drift, warnings and predicted
skips, and a generated plan with thousands of changes. Built by hand so these tests do not
depend on the planner; the golden files of the example org use the real planner."""

from __future__ import annotations

import hashlib

from ovctl.core.changes import (FieldChange, MemberCreate, MemberDeactivate, MemberReactivate, MembershipAdd,
                                MembershipRemove, MemberUpdate, TeamAdopt, TeamCreate, TeamMove, TeamRef, TeamRemove,
                                TeamRename)
from ovctl.core.model import GuardResult, Mapping, Payload, PayloadMember, PayloadTeam, Plan, ReportItem, Warning_


def fp(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def _payload() -> Payload:
    teams = [PayloadTeam("OPS", "Opérations & Logistique"), PayloadTeam("OPS-WH", 'Entrepôt "Nord"'),
             PayloadTeam("RND", "R&D"), PayloadTeam("RND-LAB", "Lab #1")]
    members = [PayloadMember("G1", "li.wei@globex.example", "Li", "Wei"),
               PayloadMember("G2", "marie-eve.cote@globex.example", "Marie-Ève", "Côté"),
               PayloadMember("G3", "tomas.novak@globex.example", "Tomáš", "Novák")]
    mappings = [Mapping("OPS", subteam="OPS-WH"), Mapping("RND", subteam="RND-LAB"),
                Mapping("OPS", member="G1", is_manager=True), Mapping("OPS-WH", member="G2", is_member=True),
                Mapping("RND-LAB", member="G3", is_member=True)]
    return Payload(members=members, teams=teams, mappings=mappings)


def guarded_plan(*, forced: bool = False) -> Plan:
    """Every change action, two guards, drift, warnings (one risk) and predicted skips."""
    changes = [
        TeamCreate("RND-LAB", "Lab #1", TeamRef("RND", "R&D"), managers=(), members=("G3",)),
        TeamAdopt("OPS", "Opérations", before=None, after="OPS"),
        TeamRename("OPS", before="Opérations", after="Opérations & Logistique"),
        TeamMove("OPS-WH", 'Entrepôt "Nord"', before=None, after=TeamRef("OPS", "Opérations & Logistique")),
        MemberCreate("G3", "tomas.novak@globex.example", "Tomáš Novák", first_name="Tomáš", last_name="Novák",
                     job_title=None, language=None, status="created"),
        MemberReactivate("G2", "marie-eve.cote@globex.example", "Marie-Ève Côté", before="deactivated", after="active"),
        MemberUpdate("G1", "li.wei@globex.example", "Li Wei",
                     fields=(FieldChange("job_title", "Ops Lead", "Head of Operations"),),
                     properties=(FieldChange("Site", "Lyon", "Nantes"), FieldChange("Level", None, "7"))),
        MembershipAdd("OPS", "Opérations & Logistique", "G1", "li.wei@globex.example", "manager"),
        MembershipRemove("OPS-WH", 'Entrepôt "Nord"', "G9", "sam.o_brien@globex.example", "member"),
        MemberDeactivate("G9", "sam.o_brien@globex.example", "Sam O'Brien", before="active", after="deactivated"),
        MemberDeactivate(None, "kim@globex.example", "Kim <CEO>", before="active", after="deactivated"),
        TeamRemove("RND-OLD", "R&D Lab", managers=("G9",), members=("G3", "kim@globex.example")),
    ]
    guards = [
        GuardResult("rekeyed_team", "team RND-OLD 'R&D Lab' is removed while RND-LAB 'Lab #1' is created with most "
                    "of its members: its history would be lost; keep its id: set id: RND-OLD", 2, 1,
                    ["RND-OLD", "RND-LAB"]),
        GuardResult("protected_member", "protected member kim@globex.example would be deactivated", 1, 0,
                    ["kim@globex.example"]),
    ]
    warnings = [
        Warning_("validation", "org.yaml:12:5: warning: team id 'Kim' looks like a person's name"),
        Warning_("risk_threshold", "the account will pause this sync for approval: 63 user changes > threshold 50"),
        Warning_("skipped", "the account will skip this: Attribute Not Found: Shoe Size (G1)"),
    ]
    drift = [TeamRename("OPS-WH", before='Entrepôt "Nord"', after="Warehouse"),
             MembershipAdd("RND", "R&D", "G2", "marie-eve.cote@globex.example", "member")]
    issues = [ReportItem("user", "Attribute Not Found", "Shoe Size", "G1")]
    return Plan(organization="Globex & Co", changes=changes, warnings=warnings, guards=guards, risk_users=63,
                risk_teams=9, syncs=2, fingerprint_desired=fp("desired"), fingerprint_state=fp("state"),
                payloads=[_payload(), _payload()], forced=forced, drift=drift, report_issues=issues)


def empty_plan() -> Plan:
    return Plan(organization="Globex & Co", changes=[], warnings=[], guards=[], risk_users=0, risk_teams=0, syncs=1,
                fingerprint_desired=fp("d"), fingerprint_state=fp("s"), payloads=[_payload()])


def big_plan(n_teams: int = 40, per_team: int = 100, leavers: int = 1500) -> Plan:
    """Thousands of changes: member creates spread over teams, membership adds and many leavers."""
    teams = [PayloadTeam(f"T{t:03d}", f"Team number {t} — Équipe") for t in range(n_teams)]
    members, mappings, changes = [], [], []
    for t in range(n_teams):
        changes.append(TeamCreate(f"T{t:03d}", teams[t].name))
    for t in range(n_teams):
        for i in range(per_team):
            mid = f"M{t:03d}{i:03d}"
            email = f"person.{t}.{i}@bigcorp.example"
            members.append(PayloadMember(mid, email, "Person", f"{t}-{i}"))
            mappings.append(Mapping(f"T{t:03d}", member=mid, is_member=True))
            changes.append(MemberCreate(mid, email, f"Person {t}-{i}", "Person", f"{t}-{i}", None, None, "created"))
    for k in range(leavers):
        changes.append(MemberDeactivate(f"L{k:05d}", f"leaver.{k}@bigcorp.example", f"Leaver Number{k}",
                                        before="active", after="deactivated"))
    return Plan(organization="BigCorp", changes=changes, warnings=[], guards=[
        GuardResult("deactivation_ratio", f"{leavers} deactivations > limit 5", leavers, 5, [])],
        risk_users=len(changes), risk_teams=n_teams, syncs=1, fingerprint_desired=fp("bd"),
        fingerprint_state=fp("bs"), payloads=[Payload(members=members, teams=teams, mappings=mappings)])


# --------------------------------------------------------------------------- golden files

import contextlib  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parent.parent
EXAMPLE_ORG = REPO / "examples" / "org.yaml"
EXAMPLE_STATE = REPO / "examples" / "state.json"


def assert_golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME. Regenerate after a reviewed change of output with
    ``OVCTL_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_render_*.py`` and read the git diff."""
    path = GOLDEN / name
    if os.environ.get("OVCTL_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}; create it with OVCTL_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {path}; if the change is intended, regenerate with OVCTL_UPDATE_GOLDEN=1"


def example_plan(*, force: bool = False) -> Plan:
    """The real plan of examples/org.yaml against examples/state.json (needs the org loader)."""
    import pytest

    orgfile = pytest.importorskip("ovctl.files.orgfile")
    from ovctl.core.plan import build_plan
    from ovctl.files.statefile import read_snapshot

    with contextlib.chdir(REPO):  # relative paths in warnings keep the golden files machine-independent
        loaded = orgfile.load_org([Path("examples/org.yaml")])
    return build_plan(loaded.org, read_snapshot(EXAMPLE_STATE), force=force, extra_warnings=loaded.warnings)


def example_org():
    import pytest

    orgfile = pytest.importorskip("ovctl.files.orgfile")
    return orgfile.load_org([EXAMPLE_ORG]).org
