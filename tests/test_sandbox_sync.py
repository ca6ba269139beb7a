"""Every sync rule of docs/sync-semantics.md, exercised over HTTP against a real sandbox process.

Each test gets a server reset to the seed (tests/fixtures/sandbox_seed.json), sends one full-state sync
and reads the account back through /sandbox/snapshot. Expected values come from the seed and the
rule, not from the server's code.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ovctl.account import wire
from ovctl.core.snapshot import snapshot_from_dict
from support.sandbox_bodies import (LEGACY_SYNC, SYNC, by_email, by_team_id, by_team_name, member, person,
                                    seed_body, subteam, team, to_legacy)


def _sync(sandbox: Any, body: dict[str, Any], path: str = SYNC) -> dict[str, Any]:
    with sandbox.client() as c:
        r = c.post(path, json=body)
    assert r.status_code == 200, r.text
    reply = r.json()
    assert reply["isSuccess"] is True and reply["status"] == "applied" and reply["errors"] == []
    _assert_pullable(sandbox)
    return reply


def _assert_pullable(sandbox: Any) -> None:
    """The sandbox never stores what its own snapshot format (what ``ovctl pull`` reads) refuses."""
    snapshot_from_dict(sandbox.snapshot(), "sandbox")


def _issues(reply: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i["message"], i["subject"]) for i in reply["report"]["issues"]]


def test_seed_sync_keeps_the_account_and_attaches_external_ids(sandbox) -> None:
    before = sandbox.snapshot()
    reply = _sync(sandbox, seed_body())
    after = sandbox.snapshot()
    members = by_email(after)
    assert members["bob@acme.example"]["external_id"] == "E2"  # matched by email on first sync
    assert members["chloe@acme.example"]["external_id"] == "E3"
    assert [m["email"] for m in after["members"]] == [m["email"] for m in before["members"]]
    assert reply["report"]["issues"] == []


def test_new_member_is_created_not_invited_when_invites_are_off(sandbox) -> None:
    body = seed_body()
    body["members"].append(member("E9", "gina@acme.example", "Gina", "Lee"))
    body["teamMappings"].append(person("SUP", "E9"))
    reply = _sync(sandbox, body)
    gina = by_email(sandbox.snapshot())["gina@acme.example"]
    assert (gina["status"], gina["role"], gina["external_id"]) == ("created", "member", "E9")
    assert reply["report"]["risk"]["users"] >= 1


def test_new_member_is_invited_when_the_account_invites(sandbox) -> None:
    sandbox.patch_settings(invite_new_members=True)
    body = seed_body()
    body["members"].append(member("E9", "gina@acme.example", "Gina", "Lee"))
    _sync(sandbox, body)
    assert by_email(sandbox.snapshot())["gina@acme.example"]["status"] == "invited"


def test_legacy_invite_setting_overrides_the_account_for_that_sync(sandbox) -> None:
    body = seed_body()
    body["members"].append(member("E9", "gina@acme.example", "Gina", "Lee"))
    _sync(sandbox, to_legacy(body, invite=True), LEGACY_SYNC)
    snap = sandbox.snapshot()
    assert by_email(snap)["gina@acme.example"]["status"] == "invited"
    assert snap["settings"]["invite_new_members"] is False  # the account setting itself is unchanged


def test_member_absent_from_payload_is_deactivated_not_deleted(sandbox) -> None:
    body = seed_body()
    body["members"] = [m for m in body["members"] if m["externalMemberId"] != "E3"]
    body["teamMappings"] = [mp for mp in body["teamMappings"] if mp.get("externalMemberId") != "E3"]
    _sync(sandbox, body)
    chloe = by_email(sandbox.snapshot()).get("chloe@acme.example")
    assert chloe is not None and chloe["status"] == "deactivated"


def test_admins_and_executives_absent_from_payload_are_untouched(sandbox) -> None:
    before = by_email(sandbox.snapshot())
    _sync(sandbox, seed_body())  # eve (admin) and frank (executive) are not in it
    after = by_email(sandbox.snapshot())
    for email in ("eve@acme.example", "frank@acme.example"):
        assert after[email]["status"] == before[email]["status"] == "active"
        assert after[email]["role"] == before[email]["role"]


def test_deactivated_member_who_reappears_is_reactivated(sandbox) -> None:
    assert by_email(sandbox.snapshot())["dan@acme.example"]["status"] == "deactivated"
    body = seed_body()
    body["members"].append(member("E4", "dan@acme.example", "Dan", "Roy"))
    body["teamMappings"].append(person("SUP", "E4"))
    _sync(sandbox, body)
    assert by_email(sandbox.snapshot())["dan@acme.example"]["status"] == "active"


def test_member_matched_by_external_id_takes_the_new_email(sandbox) -> None:
    body = seed_body()
    _sync(sandbox, body)  # attaches E2 to bob
    body["members"][1]["email"] = "robert@acme.example"
    _sync(sandbox, body)  # now matched by external id: the email follows
    members = by_email(sandbox.snapshot())
    assert "robert@acme.example" in members and members["robert@acme.example"]["external_id"] == "E2"
    assert "bob@acme.example" not in members


def test_member_matched_by_email_on_first_sync_keeps_the_accounts_email(sandbox) -> None:
    body = seed_body()
    body["members"][1]["email"] = "  Bob@ACME.Example "  # the same address for the account (case, blanks)
    _sync(sandbox, body)
    bob = [m for m in sandbox.snapshot()["members"] if m["external_id"] == "E2"]
    assert len(bob) == 1 and bob[0]["email"] == "bob@acme.example"  # the account's spelling, not the payload's


# --------------------------------------------------------------------------- what the account refuses to store


@pytest.mark.parametrize("email", ["not an email", "   ", 7, True])
def test_member_with_an_invalid_email_is_skipped_with_an_issue(sandbox, email: Any) -> None:
    body = seed_body()
    body["members"].append({"externalMemberId": 5, "email": email, "firstName": "Odd", "lastName": "One"})
    body["teamMappings"].append({"externalTeamId": "SUP", "externalMemberId": 5, "isMember": True, "isManager": False})
    reply = _sync(sandbox, body)
    assert ("Skipped User - Invalid Email", "5") in _issues(reply)
    assert ("Skipped User Mapping To Group - User Not Found", "5") in _issues(reply)
    snap = sandbox.snapshot()
    assert all(m["external_id"] != "5" for m in snap["members"]) and len(snap["members"]) == 6


def test_known_member_sent_with_an_invalid_email_is_skipped_and_keeps_its_email(sandbox) -> None:
    _sync(sandbox, seed_body())
    body = seed_body()
    body["members"][1]["email"] = "bob at acme"
    reply = _sync(sandbox, body)
    assert ("Skipped User - Invalid Email", "E2") in _issues(reply)
    bob = by_email(sandbox.snapshot())["bob@acme.example"]
    assert bob["external_id"] == "E2" and bob["status"] == "deactivated"  # skipped = not in this sync


def test_team_with_a_blank_name_is_skipped_with_an_issue(sandbox) -> None:
    body = seed_body()
    body["teams"].append(team("BLANK", "   "))
    body["teamMappings"].append(person("BLANK", "E1"))
    reply = _sync(sandbox, body)
    assert ("Skipped Group - Invalid Name", "BLANK") in _issues(reply)
    assert all(t["external_id"] != "BLANK" for t in sandbox.snapshot()["teams"])


@pytest.mark.parametrize("prop,raw", [
    ("Level", '"NaN"'), ("Level", "1e400"), ("Level", "true"), ("Level", '"' + "7" * 10 + 'x"'),
    ("Level", '"' + "x" * 100_000 + '"'), ("Level", '"inf"'), ("Level", '"1_000"'),
    ("Hire Date", '"2019-13-01"'), ("Hire Date", '"01/04/2019"'), ("Hire Date", "20190401"), ("Hire Date", "true"),
])
def test_property_value_of_the_wrong_type_is_skipped_with_an_issue(sandbox, prop: str, raw: str) -> None:
    text = json.dumps(seed_body()).replace('"Location": "Paris"', f'"Location": "Paris", {json.dumps(prop)}: {raw}')
    with sandbox.client() as c:
        r = c.post(SYNC, content=text.encode(), headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text[:300]
        issues = [(i["message"], i["subject"], i["detail"]) for i in r.json()["report"]["issues"]]
        assert [(m, s) for m, s, _ in issues] == [("Skipped User Attribute - Invalid Value", prop)]
        assert "E2" in issues[0][2] and len(issues[0][2]) < 200  # names the member; a long value is cut
        assert c.get(wire.SANDBOX_SYNC.format(sync_id=r.json()["syncId"])).status_code == 200
    bob = by_email(sandbox.snapshot())["bob@acme.example"]
    assert prop not in bob["properties"]
    _assert_pullable(sandbox)


@pytest.mark.parametrize("prop,value,stored", [("Level", 3, "3"), ("Level", "-2.5", "-2.5"), ("Level", 1.5e3, "1500"),
                                               ("Hire Date", "2024-02-29", "2024-02-29")])
def test_property_value_of_the_right_type_is_stored(sandbox, prop: str, value: Any, stored: str) -> None:
    body = seed_body()
    body["members"][1][prop] = value
    reply = _sync(sandbox, body)
    assert reply["report"]["issues"] == []
    assert by_email(sandbox.snapshot())["bob@acme.example"]["properties"][prop] == stored


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], []])
def test_property_value_that_is_an_object_or_a_list_refuses_the_sync(sandbox, value: Any) -> None:
    before = sandbox.snapshot()
    body = seed_body()
    body["members"][1]["Level"] = value
    with sandbox.client() as c:
        r = c.post(SYNC, json=body)
    assert r.status_code == 400 and r.json()["errorMessage"] == "members[1].Level must be a string, number or boolean"
    assert r.json()["status"] == "rejected" and sandbox.snapshot() == before


def test_team_matched_by_name_is_adopted_keeping_its_identity(sandbox) -> None:
    _sync(sandbox, seed_body())
    teams = by_team_id(sandbox.snapshot())
    assert teams["g-infra"]["external_id"] == "INFRA" and teams["g-infra"]["name"] == "Infrastructure"
    assert teams["g-sales"]["external_id"] == "SALES"


def test_changed_name_on_a_matched_team_is_a_rename(sandbox) -> None:
    body = seed_body()
    body["teams"] = [team("SUP", "Customer Care") if t["externalTeamId"] == "SUP" else t for t in body["teams"]]
    reply = _sync(sandbox, body)
    teams = by_team_id(sandbox.snapshot())
    assert teams["g-support"]["name"] == "Customer Care" and teams["g-support"]["external_id"] == "SUP"
    assert "Support" not in by_team_name(sandbox.snapshot())
    assert any(u["kind"] == "team" and "Renamed" in u["message"] for u in reply["report"]["updates"])


def test_subteam_mapping_to_another_parent_moves_the_team(sandbox) -> None:
    body = seed_body()
    body["teamMappings"] = [subteam("SUP", "INFRA") if mp.get("externalSubteamId") == "INFRA" else mp
                            for mp in body["teamMappings"]]
    _sync(sandbox, body)
    assert by_team_id(sandbox.snapshot())["g-infra"]["parent"] == "g-support"


def test_team_absent_from_payload_is_removed_except_rule_based(sandbox) -> None:
    body = seed_body()
    body["teams"] = [t for t in body["teams"] if t["externalTeamId"] != "SALES"]
    body["teamMappings"] = [mp for mp in body["teamMappings"] if mp["externalTeamId"] != "SALES"]
    _sync(sandbox, body)
    teams = by_team_id(sandbox.snapshot())
    assert "g-sales" not in teams
    assert teams["g-mtl"]["rule_based"] is True and teams["g-mtl"]["members"] == ["ana@acme.example"]


def test_new_team_is_created_with_an_officevibe_id(sandbox) -> None:
    body = seed_body()
    body["teams"].append(team("DATA", "Data"))
    body["teamMappings"].append(person("DATA", "E1", manager=True))
    _sync(sandbox, body)
    data = by_team_name(sandbox.snapshot())["Data"]
    assert data["external_id"] == "DATA" and data["officevibe_id"] and data["managers"] == ["ana@acme.example"]


def test_mappings_replace_team_people(sandbox) -> None:
    body = seed_body()
    body["teamMappings"] = [mp for mp in body["teamMappings"] if mp != person("ENG", "E2")]
    body["teamMappings"].append(person("ENG", "E3"))
    _sync(sandbox, body)
    eng = by_team_id(sandbox.snapshot())["g-eng"]
    assert eng["members"] == ["chloe@acme.example"] and eng["managers"] == ["ana@acme.example"]


def test_unknown_property_is_skipped_with_attribute_not_found(sandbox) -> None:
    body = seed_body()
    body["members"][0]["location"] = "Paris"  # names are case-sensitive: "Location" exists
    reply = _sync(sandbox, body)
    assert ("Attribute Not Found", "location") in _issues(reply)
    assert by_email(sandbox.snapshot())["ana@acme.example"]["properties"]["Location"] == "Montréal"


def test_unknown_option_is_skipped_with_option_not_found(sandbox) -> None:
    body = seed_body()
    body["members"][0]["Location"] = "Tokyo"
    reply = _sync(sandbox, body)
    assert any(msg == "Skipped User Attribute Option Not Found" for msg, _ in _issues(reply))
    assert by_email(sandbox.snapshot())["ana@acme.example"]["properties"]["Location"] == "Montréal"


def test_known_property_value_is_updated(sandbox) -> None:
    body = seed_body()
    body["members"][1]["Location"] = "Remote"
    _sync(sandbox, body)
    assert by_email(sandbox.snapshot())["bob@acme.example"]["properties"]["Location"] == "Remote"


def test_mapping_to_unknown_team_is_skipped_with_group_not_found(sandbox) -> None:
    body = seed_body()
    body["teamMappings"].append(person("NOPE", "E1"))
    reply = _sync(sandbox, body)
    assert any(msg == "Skipped User Mapping To Group - Group Not Found" for msg, _ in _issues(reply))


def test_mapping_to_unknown_subteam_is_skipped_with_subgroup_not_found(sandbox) -> None:
    body = seed_body()
    body["teamMappings"].append(subteam("ENG", "GHOST"))
    reply = _sync(sandbox, body)
    assert any(msg == "Skipped Subgroup Mapping To Group - Subgroup Not Found" for msg, _ in _issues(reply))


def test_legacy_flavour_applies_the_same_rules(sandbox) -> None:
    body = seed_body()
    body["teams"] = [team("SUP", "Helpdesk") if t["externalTeamId"] == "SUP" else t for t in body["teams"]]
    _sync(sandbox, to_legacy(body), LEGACY_SYNC)
    snap = sandbox.snapshot()
    assert by_team_id(snap)["g-support"]["name"] == "Helpdesk"
    assert by_email(snap)["bob@acme.example"]["external_id"] == "E2"


def test_report_lists_updates_with_kind_message_subject_detail(sandbox) -> None:
    body = seed_body()
    body["members"].append(member("E9", "gina@acme.example", "Gina", "Lee"))
    reply = _sync(sandbox, body)
    updates = reply["report"]["updates"]
    assert updates and all(set(u) == {"kind", "message", "subject", "detail"} for u in updates)
    assert any(u["kind"] == "user" and "gina@acme.example" in (u["subject"] + u["detail"]) for u in updates)
