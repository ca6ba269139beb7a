"""The terminal renderer: layout, symbols, summary line, colour (golden files in tests/golden/)."""

from __future__ import annotations

import re
from dataclasses import replace

from render_samples import assert_golden, empty_plan, example_plan, fp, guarded_plan

from ovctl.core.changes import (Change, MemberCreate, MemberDeactivate, MemberReactivate, MembershipAdd,
                                MembershipRemove, MemberUpdate, TeamAdopt, TeamCreate, TeamMove, TeamRemove, TeamRename)
from ovctl.core.model import GuardResult, Plan, ReportItem
from ovctl.render import text, wording

ANSI = re.compile(r"\033\[[0-9;]*m")


def _plan(changes: list[Change], **kw) -> Plan:
    base = dict(organization="Acme", changes=changes, warnings=[], guards=[], risk_users=0, risk_teams=0, syncs=1,
                fingerprint_desired=fp("d"), fingerprint_state=fp("s"), payloads=[])
    base.update(kw)
    return Plan(**base)


_SAMPLE = {
    ("member", "create"): lambda: MemberCreate("X", "x@x.example", "Name", "Na", "Me", None, None, "created"),
    ("member", "update"): lambda: MemberUpdate("X", "x@x.example", "Name"),
    ("member", "deactivate"): lambda: MemberDeactivate("X", "x@x.example", "Name", "active", "deactivated"),
    ("member", "reactivate"): lambda: MemberReactivate("X", "x@x.example", "Name", "deactivated", "active"),
    ("team", "create"): lambda: TeamCreate("X", "Name"),
    ("team", "adopt"): lambda: TeamAdopt("X", "Name", None, "X"),
    ("team", "rename"): lambda: TeamRename("X", "Old", "Name"),
    ("team", "move"): lambda: TeamMove("X", "Name", None, None),
    ("team", "remove"): lambda: TeamRemove("X", "Name"),
    ("membership", "add"): lambda: MembershipAdd("X", "Name", "M", "m@x.example", "member"),
    ("membership", "remove"): lambda: MembershipRemove("X", "Name", "M", "m@x.example", "member"),
}


def _c(kind: str, action: str) -> Change:
    """Some change of this kind and action (only its kind and action matter where it is used)."""
    return _SAMPLE[(kind, action)]()


def test_guarded_plan_matches_golden_text():
    assert_golden("guarded_plan.txt", text.render(guarded_plan(), color=False))


def test_forced_plan_matches_golden_text():
    assert_golden("guarded_plan_forced.txt", text.render(guarded_plan(forced=True), color=False))


def test_example_plan_matches_golden_text():
    assert_golden("example_plan.txt", text.render(example_plan(), color=False))


def test_summary_line_counts_creates_of_members_and_teams_together_and_omits_zeros():
    plan = _plan([_c("member", "create"), _c("team", "create"), _c("member", "create"), _c("member", "update"),
                  _c("member", "update"), _c("team", "rename"), *[_c("member", "deactivate")] * 4,
                  _c("team", "remove")])
    assert wording.summary_line(plan) == "Plan: 3 to create, 2 to update, 1 to rename, 4 to deactivate, 1 team to remove."


def test_summary_line_orders_and_pluralises_every_part():
    plan = _plan([_c("team", "adopt"), _c("team", "move"), _c("team", "move"), _c("member", "reactivate"),
                  _c("team", "remove"), _c("team", "remove"), _c("membership", "add"), _c("membership", "remove")])
    assert wording.summary_line(plan) == ("Plan: 1 to adopt, 2 to move, 1 to reactivate, 2 teams to remove, "
                                       "2 membership changes.")
    assert wording.summary_line(_plan([_c("membership", "add")])) == "Plan: 1 membership change."


def test_no_changes_says_the_account_matches():
    out = text.render(empty_plan(), color=False)
    assert out.rstrip().endswith("No changes. The account matches the org.")
    assert "Plan:" not in out.splitlines()[-1]


def test_header_names_organisation_and_two_syncs_for_previous_name_renames():
    first = text.render(guarded_plan(), color=False).splitlines()[0]
    assert "Globex & Co" in first and "applied in 2 syncs (previous_name renames)" in first
    assert text.render(empty_plan(), color=False).splitlines()[0].endswith(": nothing to send.")


def test_symbols_per_action():
    out = text.render(guarded_plan(), color=False)
    assert "  + team create [RND-LAB]" in out
    assert "  ~ team rename [OPS]" in out and "  ~ team adopt " in out and "  ~ member update " in out
    assert "  -> team move [OPS-WH]" in out
    assert "  - team remove [RND-OLD]" in out and "  - member deactivate Sam O'Brien" in out
    assert "  + member reactivate " in out and "  + membership add " in out and "  - membership remove " in out


def test_update_shows_each_changed_field_before_and_after():
    out = text.render(guarded_plan(), color=False)
    assert 'job_title: "Ops Lead" -> "Head of Operations"' in out
    assert 'properties.Site: "Lyon" -> "Nantes"' in out
    assert 'properties.Level: (none) -> "7"' in out


def test_every_deactivation_is_listed_by_name_and_email():
    out = text.render(guarded_plan(), color=False)
    assert "Sam O'Brien <sam.o_brien@globex.example>" in out
    assert "Kim <CEO> <kim@globex.example>" in out


def test_drift_section_comes_before_the_changes():
    out = text.render(guarded_plan(), color=False)
    assert "Drift: 2 changes in the account since ovctl last wrote its state file" in out
    assert out.index("Drift:") < out.index("Teams:") < out.index("Members:")
    assert '"Entrepôt \\"Nord\\"" -> "Warehouse"' in out


def test_blocked_guards_say_which_by_how_much_and_how_to_proceed():
    out = text.render(guarded_plan(), color=False)
    assert "Guards: this plan is blocked by 2 guards:" in out
    assert "x protected_member: protected member kim@globex.example would be deactivated (actual 1, limit 0)" in out
    assert "re-run with --force to proceed anyway" in out
    assert "lifted by --force" not in out


def test_forced_guards_are_still_listed_and_say_they_were_lifted():
    out = text.render(guarded_plan(forced=True), color=False)
    assert "lifted by --force" in out and "x rekeyed_team" in out
    assert "re-run with --force" not in out


def test_predicted_skips_have_their_own_section_and_are_not_repeated_as_warnings():
    out = text.render(guarded_plan(), color=False)
    assert "? user: Attribute Not Found: Shoe Size (G1)" in out
    assert "the account will skip this" not in out
    plan = replace(guarded_plan(), report_issues=[])
    assert "the account will skip this: Attribute Not Found" in text.render(plan, color=False)


def test_no_escape_codes_without_colour():
    assert "\033" not in text.render(guarded_plan(), color=False)


def test_colour_per_symbol_and_bold_red_guards():
    out = text.render(guarded_plan(), color=True)
    assert "\033[32m+\033[0m team create" in out
    assert "\033[33m~\033[0m team rename" in out
    assert "\033[36m->\033[0m team move" in out
    assert "\033[31m-\033[0m member deactivate" in out
    assert "\033[1;31mGuards: this plan is blocked" in out
    assert ANSI.sub("", out) == text.render(guarded_plan(), color=False)


def test_guard_subjects_are_capped_in_the_terminal():
    guard = GuardResult("deactivation_ratio", "too many", 30, 5, [f"E{i}" for i in range(30)])
    out = text.render(_plan([_c("member", "deactivate")], guards=[guard]), color=False)
    assert "E19 and 10 more" in out and "E20" not in out


def _drift_only_plan(changes: list) -> Plan:
    return replace(empty_plan(), drift=[TeamRename("OPS", before="Operations", after="Ops")], changes=changes)


def test_drift_after_an_approved_held_sync_does_not_claim_the_plan_reverts_it():
    # a sync held for approval, approved in the app: the account now matches the org
    out = text.render(_drift_only_plan([]), color=False)
    assert "Drift: 1 change in the account since ovctl last wrote its state file" in out
    assert "held sync approved" in out
    assert "revert" not in out and "restore" not in out
    assert "No changes" in out


def test_drift_says_the_plan_restores_it_only_when_a_change_touches_the_same_entity():
    rename_back = TeamRename("OPS", before="Ops", after="Operations")
    out = text.render(_drift_only_plan([rename_back]), color=False)
    assert "the changes below restore the org's version" in out
    other = TeamRename("RND", before="Research", after="R&D")
    assert "restore" not in text.render(_drift_only_plan([other]), color=False)


def _skips(n: int) -> list[ReportItem]:
    return [ReportItem("user", "Attribute Not Found", "Location", f"member E{i}") for i in range(n)] + [
        ReportItem("mapping", "Skipped User Mapping To Group - Group Not Found", "T9", "E1")]


def test_predicted_skips_are_grouped_by_message_and_subject_with_exact_counts():
    plan = replace(guarded_plan(), report_issues=_skips(10_000))
    out = text.render(plan, color=False)
    skipped = [line for line in out.splitlines() if line.startswith("  ? ")]
    assert skipped == [
        "  ? user: Attribute Not Found: Location — 10,000 items (member E0; member E1; member E2; and 9,997 more)",
        "  ? mapping: Skipped User Mapping To Group - Group Not Found: T9 (E1)"]
