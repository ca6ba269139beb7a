"""The pull-request comment: safety first, one <details> per top-level team, size cap, masking."""

from __future__ import annotations

import re
from dataclasses import replace

from render_samples import assert_golden, big_plan, empty_plan, example_plan, guarded_plan

from ovctl.core.changes import FieldChange, MemberUpdate, TeamRename
from ovctl.core.model import ReportItem
from ovctl.render import markdown

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _details(out: str) -> dict[str, str]:
    """summary text -> block body of every <details> block."""
    return {m.group(1): m.group(2) for m in
            re.finditer(r"<details><summary>(.*?)</summary>\n\n(.*?)\n\n</details>", out, re.S)}


def test_guarded_plan_matches_golden_markdown():
    assert_golden("guarded_plan.md", markdown.render(guarded_plan()))


def test_example_plan_matches_golden_markdown():
    assert_golden("example_plan.md", markdown.render(example_plan()))


def test_example_plan_masked_matches_golden_markdown():
    assert_golden("example_plan_masked.md", markdown.render(example_plan(), mask_emails=True))


def test_summary_and_safety_come_before_any_details_block():
    out = markdown.render(guarded_plan())
    first_details = out.index("<details>")
    for needle in ("Plan: 2 to create", "**Blocked**", "`rekeyed_team`", "63 user changes &gt; threshold 50",
                   "**Deactivations (2)**", "Sam O'Brien", "Kim &lt;CEO&gt;", "**Team removals (1)**"):
        assert out.index(needle) < first_details, needle


def test_safe_and_forced_status_lines():
    assert "✅ **Safe to apply**" in markdown.render(empty_plan())
    assert "lifted by `--force`" in markdown.render(guarded_plan(forced=True))


def test_one_details_block_per_top_level_team_with_its_subtree_and_members():
    blocks = _details(markdown.render(guarded_plan()))
    ops = blocks["Opérations &amp; Logistique (8 changes)"]
    # sub-team OPS-WH's move and membership, and members whose first team is under OPS
    assert "team move \\[OPS-WH\\]" in ops and "membership remove" in ops
    assert "member update Li Wei" in ops and "member reactivate Marie-Ève Côté" in ops
    assert "member deactivate Sam O'Brien" in ops  # known through its membership removal
    rnd = blocks["R&amp;D (2 changes)"]
    assert "team create \\[RND-LAB\\]" in rnd and "member create Tomáš Novák" in rnd
    removed = blocks["R&amp;D Lab (removed) (2 changes)"]
    assert "team remove \\[RND-OLD\\]" in removed
    assert "Kim &lt;CEO&gt;" in removed  # known only as a member of the removed team
    assert "```mermaid" in blocks["Org chart (changed teams highlighted)"]


def test_member_with_no_team_in_the_plan_goes_organisation_wide():
    plan = guarded_plan()
    solo = MemberUpdate("G7", "solo@globex.example", "Solo", fields=(FieldChange("job_title", "A", "B"),))
    plan = replace(plan, changes=[*plan.changes, solo])
    blocks = _details(markdown.render(plan))
    assert list(blocks)[-4:] == ["Organisation-wide (1 change)", "Warnings (1)",
                                 "Predicted to be skipped by the account (1 item)",
                                 "Org chart (changed teams highlighted)"]
    assert "member update Solo" in blocks["Organisation-wide (1 change)"]


def test_group_counts_add_up_to_all_changes():
    out = markdown.render(example_plan())
    counts = [int(n) for n in re.findall(r"<summary>.*? \((\d+) changes?\)</summary>", out)]
    assert sum(counts) == len(example_plan().changes)


def test_markup_in_names_is_escaped():
    out = markdown.render(guarded_plan())
    assert "<CEO>" not in out and "Kim &lt;CEO&gt;" in out
    assert "R&D" not in out.split("```mermaid")[0]
    assert "sam.o\\_brien@globex.example" in out


def test_mask_emails_everywhere():
    out = markdown.render(guarded_plan(), mask_emails=True)
    assert "l\\*\\*\\*@globex.example" in out  # li.wei@globex.example, escaped for markdown
    for raw in ("li.wei@", "kim@globex", "sam.o\\_brien@", "marie-eve.cote@", "tomas.novak@"):
        assert raw not in out
    assert "protected member k\\*\\*\\*@globex.example" in out  # in guard messages too


def test_mask_email_text_keeps_first_character_and_domain():
    assert markdown.mask_email_text("ana.nunez@acme.example") == "a***@acme.example"
    assert markdown.mask_email_text("to <Zoé.L@x.co.uk>, b@y.org") == "to <Z***@x.co.uk>, b***@y.org"
    assert markdown.mask_email_text("no address here") == "no address here"


def test_thousands_of_changes_stay_under_the_github_limit_and_name_every_deactivation():
    plan = big_plan()
    assert len(plan.changes) > 5000
    out = markdown.render(plan)
    assert len(out) <= 65535
    for c in plan.changes:
        if c.action == "deactivate":
            assert c.name in out
    assert "more changes not shown; see the full plan (ovctl plan --format json)" in out
    assert out.index("**Deactivations (1500)**") < out.index("<details>")


def test_cut_comment_counts_exactly_the_changes_left_out():
    plan = guarded_plan()
    full = markdown.render(plan)
    out = markdown.render(plan, max_chars=len(full) // 2 + 800)
    assert len(out) <= len(full) // 2 + 800
    note = re.search(r"… (\d+) more changes?(?: and \d+ more items?)? not shown", out)
    assert note, out[-300:]
    after_safety = out[out.index("<details>"):]
    shown = len(re.findall(r"^- `(?:\+|~|->|-)`", after_safety, re.M))
    assert shown + int(note.group(1)) == len(plan.changes) + len(plan.drift)


def test_org_chart_is_left_out_rather_than_cut():
    plan = guarded_plan()
    full = markdown.render(plan)
    out = markdown.render(plan, max_chars=len(full) - 50)
    assert "```mermaid" not in out and "run `ovctl graph`" in out
    assert "more changes not shown" not in out


def test_limit_never_exceeds_github_maximum():
    out = markdown.render(big_plan(), max_chars=10**6)
    assert len(out) <= markdown.GITHUB_LIMIT


def test_guard_subjects_are_capped_but_deactivations_are_not():
    plan = big_plan(leavers=300)
    plan.guards[0].subjects = [f"L{k:05d}" for k in range(300)]
    out = markdown.render(plan)
    assert "L00049 and 250 more" in out and "L00050," not in out
    assert all(f"Leaver Number{k}" in out for k in range(300))


def test_thousands_of_identical_skips_do_not_hide_the_changes():
    # one missing property makes the account skip it on every member: 1,100 items, one line
    plan = replace(example_plan(), report_issues=[ReportItem("user", "Attribute Not Found", "Location", f"member E{i}")
                                                  for i in range(1100)])
    out = markdown.render(plan, max_chars=20_000)
    assert "not shown" not in out
    counts = [int(n) for n in re.findall(r"<summary>.*? \((\d+) changes?\)</summary>", out)]
    assert sum(counts) == len(plan.changes)
    skipped = _details(out)["Predicted to be skipped by the account (1,100 items)"].splitlines()
    assert skipped == ["- user: Attribute Not Found: Location — 1,100 items (member E0; member E1; member E2; "
                       "and 1,097 more)"]


def test_change_blocks_come_before_warnings_and_skips():
    plan = replace(guarded_plan(), report_issues=[ReportItem("mapping", f"Skipped {i}", f"T{i}", "") for i in range(3000)])
    out = markdown.render(plan, max_chars=12_000)
    counts = [int(n) for n in re.findall(r"<summary>.*? \((\d+) changes?\)</summary>", out)]
    assert sum(counts) == len(plan.changes)  # every change shown; only skips were cut
    assert re.search(r"… \d+ more items not shown", out) and "more change" not in out


def test_drift_summary_is_worded_for_an_approved_held_sync():
    plan = replace(empty_plan(), drift=[TeamRename("OPS", before="Operations", after="Ops")])
    out = markdown.render(plan)
    assert "Drift: 1 change in the account since ovctl last wrote its state file" in out
    assert "revert" not in out and "restore" not in out
