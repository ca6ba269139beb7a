"""One test per rule of the sync engine (docs/sync-semantics.md, docs/faq-traps.md), named for the rule."""

from __future__ import annotations

import copy

import pytest

from ovctl.core import engine
from ovctl.core.engine import risk_exceeds, simulate
from ovctl.core.errors import PayloadRejected
from ovctl.core.model import Mapping, Payload, PayloadMember, PayloadTeam, PropertyDef, Snapshot, SnapMember, SnapTeam


def snap(members=(), teams=(), invite=False, properties=None) -> Snapshot:
    return Snapshot(members=list(members), teams=list(teams), invite_new_members=invite,
                    properties=properties if properties is not None else {
                        "Location": PropertyDef("choices", ("Montréal", "Paris")), "Level": PropertyDef("numeric")})


def sm(email, ext=None, **kw) -> SnapMember:
    return SnapMember(email=email, external_id=ext, first_name=kw.pop("first_name", "F"), last_name=kw.pop("last_name", "L"), **kw)


def pm(ext, email, **kw) -> PayloadMember:
    return PayloadMember(external_id=ext, email=email, first_name=kw.pop("first_name", "F"),
                         last_name=kw.pop("last_name", "L"), **kw)


def payload(members, teams=None, mappings=None) -> Payload:
    """A payload with one team T holding the first member, unless teams/mappings are given."""
    teams = teams if teams is not None else [PayloadTeam("T", "Team")]
    if mappings is None:
        mappings = [Mapping(team=teams[0].external_id, member=members[0].external_id, is_member=True)]
    return Payload(members=list(members), teams=list(teams), mappings=list(mappings))


def member(snapshot: Snapshot, email: str) -> SnapMember:
    return next(m for m in snapshot.members if m.email.lower() == email.lower())


def team(snapshot: Snapshot, name: str) -> SnapTeam:
    return next(t for t in snapshot.teams if t.name == name)


def messages(items) -> list[str]:
    return [i.message for i in items]


# --------------------------------------------------------------------------- members


def test_member_matched_by_external_id_takes_profile_and_email():
    s = snap([sm("old@x.com", "E1", first_name="Ann", job_title="Dev", language="en")])
    out, report = simulate(s, payload([pm("E1", "new@x.com", first_name="Anne", job_title="Lead", language="fr")]))
    m = out.members[0]
    assert (m.email, m.first_name, m.job_title, m.language) == ("new@x.com", "Anne", "Lead", "fr")
    assert messages(report.updates)[0] == engine.USER_UPDATED


def test_member_matched_by_email_on_first_sync_gets_the_id_and_keeps_its_email():
    s = snap([sm("Ana@X.com")])
    out, _ = simulate(s, payload([pm("E1", "ana@x.com")]))
    assert len(out.members) == 1
    assert out.members[0].external_id == "E1"
    assert out.members[0].email == "Ana@X.com"


def test_email_of_a_member_holding_another_external_id_is_skipped():
    s = snap([sm("ana@x.com", "E1"), sm("bob@x.com", "E2")])
    p = payload([pm("E2", "bob@x.com"), pm("E9", "ana@x.com")],
                mappings=[Mapping("T", "E2", is_member=True), Mapping("T", "E9", is_member=True)])
    out, report = simulate(s, p)
    assert [m.external_id for m in out.members] == ["E1", "E2"]
    assert engine.EMAIL_TAKEN in messages(report.issues)
    assert engine.USER_NOT_FOUND in messages(report.issues)  # its mapping has no member to attach


def test_email_change_to_an_email_already_in_use_keeps_the_old_email():
    s = snap([sm("ana@x.com", "E1"), sm("bob@x.com", "E2")])
    out, report = simulate(s, payload([pm("E1", "ana@x.com"), pm("E2", "ANA@x.com")]))
    assert member(out, "bob@x.com").external_id == "E2"
    assert engine.EMAIL_CHANGE_SKIPPED in messages(report.issues)


def test_new_member_is_created_when_invites_are_off():
    out, report = simulate(snap(invite=False), payload([pm("E1", "a@x.com")]))
    assert (out.members[0].status, out.members[0].role) == ("created", "member")
    assert messages(report.updates) == [engine.USER_CREATED, engine.TEAM_CREATED]


def test_new_member_is_invited_when_invites_are_on():
    out, _ = simulate(snap(invite=True), payload([pm("E1", "a@x.com")]))
    assert out.members[0].status == "invited"


def test_invite_override_of_a_legacy_payload_wins_over_the_account_setting():
    out, _ = simulate(snap(invite=False), payload([pm("E1", "a@x.com")]), invite_new_members=True)
    assert out.members[0].status == "invited"
    assert out.invite_new_members is False


def test_member_absent_from_payload_is_deactivated():
    s = snap([sm("a@x.com", "E1"), sm("b@x.com", "E2", status="invited")])
    out, report = simulate(s, payload([pm("E1", "a@x.com")]))
    assert member(out, "b@x.com").status == "deactivated"
    assert len(out.members) == 2  # never deleted
    assert engine.USER_DEACTIVATED in messages(report.updates)


def test_admin_absent_is_untouched():
    s = snap([sm("a@x.com", "E1"), sm("boss@x.com", role="admin"), sm("exec@x.com", role="executive", status="invited")],
             [SnapTeam("g1", "Team", "T", members=["a@x.com", "boss@x.com"], managers=["exec@x.com"])])
    out, report = simulate(s, payload([pm("E1", "a@x.com")]))
    assert member(out, "boss@x.com").status == "active"
    assert member(out, "exec@x.com").status == "invited"
    assert team(out, "Team").members == ["a@x.com", "boss@x.com"]  # kept on a matched team
    assert team(out, "Team").managers == ["exec@x.com"]
    assert engine.USER_DEACTIVATED not in messages(report.updates)


def test_admin_in_payload_gets_profile_updates_but_keeps_status():
    s = snap([sm("boss@x.com", "E1", role="admin", status="deactivated", job_title="CTO")])
    out, report = simulate(s, payload([pm("E1", "boss@x.com", job_title="CEO")]))
    assert member(out, "boss@x.com").job_title == "CEO"
    assert member(out, "boss@x.com").status == "deactivated"
    assert engine.USER_REACTIVATED not in messages(report.updates)


def test_deactivated_member_who_reappears_is_reactivated():
    s = snap([sm("a@x.com", "E1", status="deactivated")])
    out, report = simulate(s, payload([pm("E1", "a@x.com")]))
    assert out.members[0].status == "active"
    assert messages(report.updates) == [engine.USER_REACTIVATED, engine.TEAM_CREATED]


def test_member_order_is_kept_and_new_members_are_appended():
    s = snap([sm("c@x.com", "E3"), sm("a@x.com", "E1")])
    out, _ = simulate(s, payload([pm("E1", "a@x.com"), pm("E2", "b@x.com"), pm("E3", "c@x.com")]))
    assert [m.external_id for m in out.members] == ["E3", "E1", "E2"]


def test_missing_job_title_in_payload_leaves_the_value():
    s = snap([sm("a@x.com", "E1", job_title="Dev", language="fr")])
    out, report = simulate(s, payload([pm("E1", "a@x.com", job_title=None, language=None)]))
    assert (out.members[0].job_title, out.members[0].language) == ("Dev", "fr")
    assert engine.USER_UPDATED not in messages(report.updates)


# --------------------------------------------------------------------------- properties


def test_unknown_property_skipped_with_attribute_not_found():
    s = snap([sm("a@x.com", "E1")])
    out, report = simulate(s, payload([pm("E1", "a@x.com", properties={"Department": "R&D"})]))
    assert out.members[0].properties == {}
    issue = report.issues[0]
    assert (issue.message, issue.subject) == ("Attribute Not Found", "Department")
    assert "E1" in issue.detail


def test_property_names_are_case_sensitive():
    s = snap([sm("a@x.com", "E1")])
    out, report = simulate(s, payload([pm("E1", "a@x.com", properties={"location": "Paris"})]))
    assert out.members[0].properties == {}
    assert messages(report.issues) == ["Attribute Not Found"]


def test_unknown_option_skipped_with_faq_message():
    s = snap([sm("a@x.com", "E1", properties={"Location": "Paris"})])
    out, report = simulate(s, payload([pm("E1", "a@x.com", properties={"Location": "Lyon"})]))
    assert out.members[0].properties == {"Location": "Paris"}
    assert messages(report.issues) == ["Skipped User Attribute Option Not Found"]
    assert "Lyon" in report.issues[0].detail


def test_empty_property_value_clears_it():
    s = snap([sm("a@x.com", "E1", properties={"Location": "Paris", "Level": "3"})])
    out, report = simulate(s, payload([pm("E1", "a@x.com", properties={"Location": ""})]))
    assert out.members[0].properties == {"Level": "3"}  # a property absent from the payload is left alone
    assert report.risk_users == 1


# --------------------------------------------------------------------------- teams


def test_team_matched_by_name_is_adopted():
    s = snap([sm("a@x.com", "E1")], [SnapTeam("g1", "Team")])
    out, report = simulate(s, payload([pm("E1", "a@x.com")]))
    assert [(t.officevibe_id, t.external_id) for t in out.teams] == [("g1", "T")]
    assert messages(report.updates) == [engine.TEAM_ADOPTED]


def test_team_with_an_external_id_is_not_adopted_by_name():
    s = snap([sm("a@x.com", "E1")], [SnapTeam("g1", "Team", "OTHER")])
    out, report = simulate(s, payload([pm("E1", "a@x.com")]))
    assert [t.external_id for t in out.teams] == ["T"]
    assert out.teams[0].officevibe_id != "g1"
    assert engine.TEAM_REMOVED in messages(report.updates)


def test_rule_based_team_is_not_adopted_and_is_kept_untouched():
    rb = SnapTeam("g1", "Team", members=["a@x.com"], rule_based=True)
    s = snap([sm("a@x.com", "E1")], [rb])
    out, _ = simulate(s, payload([pm("E1", "a@x.com")]))
    assert out.teams[0] == rb
    assert [t.external_id for t in out.teams] == [None, "T"]


def test_team_matched_by_id_with_a_new_name_is_renamed():
    s = snap([sm("a@x.com", "E1")], [SnapTeam("g1", "Old", "T")])
    out, report = simulate(s, payload([pm("E1", "a@x.com")]))
    assert (out.teams[0].officevibe_id, out.teams[0].name) == ("g1", "Team")
    assert engine.TEAM_RENAMED in messages(report.updates)


def test_unmatched_team_is_created_with_a_deterministic_id():
    s = snap([sm("a@x.com", "E1")], [SnapTeam("new:T", "Rule", rule_based=True)])
    out1, _ = simulate(s, payload([pm("E1", "a@x.com")]))
    out2, _ = simulate(s, payload([pm("E1", "a@x.com")]))
    assert out1.teams[1].officevibe_id == out2.teams[1].officevibe_id != "new:T"


def test_created_team_takes_the_id_given_by_new_team_id():
    out, _ = simulate(snap(), payload([pm("E1", "a@x.com")]), new_team_id=lambda t: f"sandbox-{t.external_id}")
    assert out.teams[0].officevibe_id == "sandbox-T"


def test_team_absent_from_payload_is_removed_except_rule_based():
    s = snap([sm("a@x.com", "E1")], [SnapTeam("g1", "Gone", "G", members=["a@x.com"]),
                                     SnapTeam("g2", "Segment", parent="g1", rule_based=True)])
    out, report = simulate(s, payload([pm("E1", "a@x.com")]))
    assert [t.name for t in out.teams] == ["Segment", "Team"]
    assert team(out, "Segment").parent is None  # its parent is gone
    assert engine.TEAM_REMOVED in messages(report.updates)


def test_payload_team_reusing_a_rule_based_external_id_is_skipped():
    s = snap([sm("a@x.com", "E1")], [SnapTeam("g1", "Segment", "T", rule_based=True)])
    out, report = simulate(s, payload([pm("E1", "a@x.com")]))
    assert [t.officevibe_id for t in out.teams] == ["g1"]
    assert engine.RULE_BASED_GROUP in messages(report.issues)


# --------------------------------------------------------------------------- mappings


def test_mappings_replace_managers_and_members_of_every_payload_team():
    s = snap([sm("a@x.com", "E1"), sm("b@x.com", "E2"), sm("c@x.com", "E3")],
             [SnapTeam("g1", "Team", "T", managers=["c@x.com"], members=["a@x.com", "c@x.com"])])
    p = payload([pm("E1", "a@x.com"), pm("E2", "b@x.com"), pm("E3", "c@x.com")],
                mappings=[Mapping("T", "E2", is_member=True, is_manager=True), Mapping("T", "E1", is_member=True)])
    out, report = simulate(s, p)
    assert (out.teams[0].managers, out.teams[0].members) == (["b@x.com"], ["b@x.com", "a@x.com"])
    # removed: c manager, c member; added: b manager, b member
    assert report.risk_teams == 4


def test_team_without_a_subteam_row_is_top_level():
    s = snap([sm("a@x.com", "E1")], [SnapTeam("g0", "Parent", "P"), SnapTeam("g1", "Team", "T", parent="g0")])
    p = payload([pm("E1", "a@x.com")], teams=[PayloadTeam("P", "Parent"), PayloadTeam("T", "Team")],
                mappings=[Mapping("T", "E1", is_member=True)])
    out, report = simulate(s, p)
    assert team(out, "Team").parent is None
    assert engine.TEAM_MOVED in messages(report.updates)


def test_subteam_mapping_sets_the_parent():
    s = snap([sm("a@x.com", "E1")], [SnapTeam("g0", "Parent", "P"), SnapTeam("g1", "Team", "T")])
    p = payload([pm("E1", "a@x.com")], teams=[PayloadTeam("P", "Parent"), PayloadTeam("T", "Team")],
                mappings=[Mapping("T", "E1", is_member=True), Mapping("P", subteam="T")])
    out, report = simulate(s, p)
    assert team(out, "Team").parent == "g0"
    assert messages(report.updates).count(engine.TEAM_MOVED) == 1


def test_mapping_to_a_team_not_in_the_teams_is_skipped_group_not_found():
    p = payload([pm("E1", "a@x.com")], mappings=[Mapping("T", "E1", is_member=True), Mapping("NOPE", "E1", is_member=True)])
    _, report = simulate(snap(), p)
    assert messages(report.issues) == ["Skipped User Mapping To Group - Group Not Found"]
    assert report.issues[0].subject == "NOPE"


def test_subteam_mapping_to_a_missing_subteam_is_skipped_subgroup_not_found():
    p = payload([pm("E1", "a@x.com")], mappings=[Mapping("T", "E1", is_member=True), Mapping("T", subteam="GHOST")])
    _, report = simulate(snap(), p)
    assert messages(report.issues) == ["Skipped Subgroup Mapping To Group - Subgroup Not Found"]


def test_mapping_to_a_member_not_in_the_payload_is_skipped_user_not_found():
    s = snap([sm("z@x.com", "E9")])
    p = payload([pm("E1", "a@x.com")], mappings=[Mapping("T", "E1", is_member=True), Mapping("T", "E9", is_member=True)])
    out, report = simulate(s, p)
    assert messages(report.issues) == ["Skipped User Mapping To Group - User Not Found"]
    assert out.teams[0].members == ["a@x.com"]


def test_subteam_under_two_parents_keeps_the_first():
    teams = [PayloadTeam("A", "A"), PayloadTeam("B", "B"), PayloadTeam("C", "C")]
    p = payload([pm("E1", "a@x.com")], teams=teams,
                mappings=[Mapping("A", "E1", is_member=True), Mapping("A", subteam="C"), Mapping("B", subteam="C")])
    out, report = simulate(snap(), p, new_team_id=lambda t: t.external_id)
    assert team(out, "C").parent == "A"
    assert messages(report.issues) == [engine.SUBGROUP_TWO_PARENTS]


def test_subteam_rows_forming_a_cycle_are_dropped():
    teams = [PayloadTeam("A", "A"), PayloadTeam("B", "B")]
    p = payload([pm("E1", "a@x.com")], teams=teams,
                mappings=[Mapping("A", "E1", is_member=True), Mapping("A", subteam="B"), Mapping("B", subteam="A")])
    out, report = simulate(snap(), p, new_team_id=lambda t: t.external_id)
    parents = {t.name: t.parent for t in out.teams}
    assert None in parents.values()  # the hierarchy has a root again
    assert messages(report.issues) == [engine.SUBGROUP_CYCLE]


def test_email_change_is_followed_by_rule_based_teams():
    s = snap([sm("old@x.com", "E1")], [SnapTeam("g1", "Segment", members=["old@x.com"], rule_based=True)])
    out, _ = simulate(s, payload([pm("E1", "new@x.com")]))
    assert team(out, "Segment").members == ["new@x.com"]


# --------------------------------------------------------------------------- whole payload, risk, purity


@pytest.mark.parametrize("section", ["members", "teams", "mappings"])
def test_empty_section_rejected(section):
    p = payload([pm("E1", "a@x.com")])
    setattr(p, section, [])
    with pytest.raises(PayloadRejected, match=section):
        simulate(snap([sm("a@x.com", "E1")]), p)


def test_empty_mappings_section_rejected():
    p = Payload(members=[pm("E1", "a@x.com")], teams=[PayloadTeam("T", "Team")], mappings=[])
    with pytest.raises(PayloadRejected):
        simulate(snap(), p)


def test_risk_users_counts_created_deactivated_and_changed_property_values():
    s = snap([sm("a@x.com", "E1", properties={"Location": "Paris"}), sm("b@x.com", "E2")])
    p = payload([pm("E1", "a@x.com", properties={"Location": "Montréal", "Level": "4"}),
                 pm("E3", "c@x.com", properties={"Level": "2"})])
    _, report = simulate(s, p)
    assert report.risk_users == 1 + 1 + 2  # E3 created, E2 deactivated, two values of E1


def test_risk_teams_counts_created_removed_and_assignment_changes():
    s = snap([sm("a@x.com", "E1")], [SnapTeam("g1", "Gone", "G")])
    p = payload([pm("E1", "a@x.com")], mappings=[Mapping("T", "E1", is_member=True, is_manager=True)])
    _, report = simulate(s, p)
    assert report.risk_teams == 1 + 1 + 2  # T created, G removed, two assignments on T


def test_risk_exceeds_only_above_a_configured_threshold():
    _, report = simulate(snap(), payload([pm("E1", "a@x.com")]))
    assert report.risk_users == 1
    assert not risk_exceeds(report, 1, None)
    assert risk_exceeds(report, 0, None)
    assert not risk_exceeds(report, None, None)
    assert risk_exceeds(report, None, report.risk_teams - 1)


def test_simulate_never_mutates_its_inputs():
    s = snap([sm("a@x.com", "E1", properties={"Location": "Paris"}), sm("b@x.com")],
             [SnapTeam("g1", "Team", members=["b@x.com"]), SnapTeam("g2", "Gone", "G")])
    p = payload([pm("E1", "x@x.com", properties={"Location": ""})])
    s_before, p_before = copy.deepcopy(s), copy.deepcopy(p)
    simulate(s, p)
    assert s == s_before and p == p_before


# --------------------------------------------------------------------------- what the account cannot hold


@pytest.mark.parametrize("email", ["not an email", "", "   ", "7"])
def test_member_with_an_invalid_email_is_skipped_and_its_mappings_find_no_user(email):
    s = snap([sm("ana@x.com", "E1")])
    p = payload([pm("E1", "ana@x.com"), pm("E2", email)],
                mappings=[Mapping("T", "E1", is_member=True), Mapping("T", "E2", is_member=True)])
    out, report = simulate(s, p)
    assert [m.email for m in out.members] == ["ana@x.com"]
    assert [(i.message, i.subject) for i in report.issues] == [(engine.INVALID_EMAIL, "E2"),
                                                               (engine.USER_NOT_FOUND, "E2")]
    assert team(out, "Team").members == ["ana@x.com"]


def test_known_member_with_an_invalid_email_is_skipped_like_an_absent_one():
    s = snap([sm("ana@x.com", "E1"), sm("bob@x.com", "E2")])
    out, report = simulate(s, payload([pm("E1", "ana@x.com"), pm("E2", "bob at x")]))
    bob = member(out, "bob@x.com")
    assert (bob.email, bob.status) == ("bob@x.com", "deactivated")
    assert engine.INVALID_EMAIL in messages(report.issues)


def test_team_with_a_blank_name_is_skipped():
    s = snap([sm("ana@x.com", "E1")])
    p = payload([pm("E1", "ana@x.com")], teams=[PayloadTeam("T", "Team"), PayloadTeam("B", "  ")],
                mappings=[Mapping("T", "E1", is_member=True), Mapping("B", "E1", is_member=True)])
    out, report = simulate(s, p)
    assert [t.name for t in out.teams] == ["Team"]
    assert [(i.message, i.subject) for i in report.issues] == [(engine.INVALID_GROUP_NAME, "B"),
                                                               (engine.GROUP_NOT_FOUND, "B")]


@pytest.mark.parametrize("ptype,value", [
    ("numeric", "NaN"), ("numeric", "nan"), ("numeric", "inf"), ("numeric", "-Infinity"), ("numeric", "1e400"),
    ("numeric", "true"), ("numeric", "{'a': 1}"), ("numeric", "1_000"), ("numeric", "x" * 100_000),
    ("numeric", "٣"), ("date", "2019-13-01"), ("date", "2019-02-29"), ("date", "20190401"), ("date", "01/04/2019"),
    ("date", "2019-04-01T10:00"), ("date", "true"),
])
def test_property_value_that_does_not_fit_its_type_is_skipped(ptype, value):
    s = snap([sm("ana@x.com", "E1", properties={"P": "1"})], properties={"P": PropertyDef(ptype)})
    out, report = simulate(s, payload([pm("E1", "ana@x.com", properties={"P": value})]))
    assert out.members[0].properties == {"P": "1"}
    assert [(i.message, i.subject) for i in report.issues] == [(engine.INVALID_VALUE, "P")]
    assert "E1" in report.issues[0].detail and len(report.issues[0].detail) < 200
    assert report.risk_users == 0


@pytest.mark.parametrize("ptype,value", [("numeric", "3"), ("numeric", "-2.5"), ("numeric", "1e3"), ("numeric", " 4 "),
                                         ("numeric", ".5"), ("date", "2024-02-29"), ("text", "NaN"),
                                         ("text", "x" * 1000)])
def test_property_value_that_fits_its_type_is_stored(ptype, value):
    s = snap([sm("ana@x.com", "E1")], properties={"P": PropertyDef(ptype)})
    out, report = simulate(s, payload([pm("E1", "ana@x.com", properties={"P": value})]))
    assert out.members[0].properties == {"P": value} and report.issues == []
