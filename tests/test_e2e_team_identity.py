"""End to end, against a real sandbox process: what the plan says about team identity and admins is
what the account then does (docs/plan.md, Warnings: team_adoption_ambiguous, team_looks_different,
admin_kept_in_team). Each test seeds an account, plans (JSON), applies, and checks the sandbox.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ovctl.account import wire
from support.cli import run_cli

KEY = "sk-e2e-teams-5e7a"


def member(email: str, ext: str | None, role: str = "member") -> dict:
    return {"email": email, "external_id": ext, "first_name": email[0].upper(), "last_name": "X",
            "status": "active", "role": role, "properties": {}}


def team(ov: str, name: str, ext: str | None = None, parent: str | None = None, managers=(), members=()) -> dict:
    return {"officevibe_id": ov, "external_id": ext, "name": name, "parent": parent, "managers": list(managers),
            "members": list(members), "rule_based": False}


def seed(members: list[dict], teams: list[dict]) -> dict:
    return {"format_version": 1, "settings": {"invite_new_members": False}, "properties": {},
            "members": members, "teams": teams}


PEOPLE = [member(f"p{i}@x.io", f"E{i}") for i in range(1, 8)]
ORG_MEMBERS = "".join(f"  - {{id: E{i}, email: p{i}@x.io, first_name: P, last_name: X}}\n" for i in range(1, 8))


class Account:
    """A seeded sandbox and an org directory planned and applied against it."""

    def __init__(self, root: Path, sandbox, teams_yaml: str) -> None:
        self.sandbox = sandbox
        self.org = root / "org"
        self.org.mkdir()
        (self.org / "org.yaml").write_text("version: 1\norganization: Teams\nmembers:\n" + ORG_MEMBERS
                                           + "teams:\n" + teams_yaml, encoding="utf-8")

    def ovctl(self, *args: str) -> tuple[int, str, str]:
        env = {"OVCTL_API_KEY": KEY, "OVCTL_ENDPOINT": self.sandbox.url, "OVCTL_FLAVOR": "workleap"}
        return run_cli(args, env, drop=("OVCTL_API_KEY_FILE",))

    def plan_json(self) -> dict:
        rc, out, err = self.ovctl("plan", str(self.org), "--format", "json")
        assert rc in (0, 1), err
        return json.loads(out)

    def apply(self, *extra: str) -> tuple[int, str, str]:
        return self.ovctl("apply", str(self.org), "--auto-approve", *extra)

    def teams(self) -> dict[str, dict]:
        with self.sandbox.client() as http:
            return {t["officevibe_id"]: t for t in http.get(wire.SANDBOX_SNAPSHOT).json()["teams"]}


def warnings(plan: dict, code: str) -> list[dict]:
    return [w for w in plan["warnings"] if w["code"] == code]


def team_actions(plan: dict) -> list[tuple[str, str | None]]:
    return [(c["action"], c.get("id")) for c in plan["changes"] if c["kind"] == "team"]


def test_idless_teams_of_one_name_are_adopted_by_parent_as_planned(tmp_path, shared_sandbox) -> None:
    sb = shared_sandbox(seed(PEOPLE, [team("g-s", "Sales"), team("g-o", "Ops"),
                                      team("g-e1", "East", parent="g-s", members=["p1@x.io"]),
                                      team("g-e2", "East", parent="g-o", members=["p2@x.io"])]), api_key=KEY)
    acct = Account(tmp_path, sb, "  - id: OPS\n    name: Ops\n    teams:\n"
                                 "      - {id: OPS-E, name: East, members: [E2]}\n"
                                 "  - id: SALES\n    name: Sales\n    teams:\n"
                                 "      - {id: SALES-E, name: East, members: [E1]}\n")
    plan = acct.plan_json()
    assert sorted(team_actions(plan)) == [("adopt", "OPS"), ("adopt", "OPS-E"), ("adopt", "SALES"), ("adopt", "SALES-E")]
    assert warnings(plan, "team_adoption_ambiguous") == [] and plan["safe"]
    rc, out, err = acct.apply()
    assert rc == 0, out + err
    teams = acct.teams()
    assert {ov: t["external_id"] for ov, t in teams.items()} == {"g-s": "SALES", "g-o": "OPS", "g-e1": "SALES-E",
                                                                 "g-e2": "OPS-E"}
    assert teams["g-e1"]["parent"] == "g-s" and teams["g-e1"]["members"] == ["p1@x.io"]
    assert acct.ovctl("plan", str(acct.org), "--detailed-exitcode")[0] == 0


def test_ambiguous_idless_teams_are_warned_blocked_and_if_forced_replaced_as_planned(tmp_path, shared_sandbox) -> None:
    sb = shared_sandbox(seed(PEOPLE, [team("g-1", "East", members=["p1@x.io"]), team("g-2", "East")]), api_key=KEY)
    acct = Account(tmp_path, sb, "  - {id: EAST, name: East, members: [E1]}\n")
    plan = acct.plan_json()
    [w] = warnings(plan, "team_adoption_ambiguous")
    assert w["details"]["teams"] == ["EAST"] and [c["officevibe_id"] for c in w["details"]["candidates"]] == ["g-1", "g-2"]
    assert team_actions(plan) == [("create", "EAST"), ("remove", None), ("remove", None)] and not plan["safe"]
    assert acct.apply()[0] == 3  # refused by the rekeyed_team guard: nothing sent
    assert set(acct.teams()) == {"g-1", "g-2"}
    rc, out, err = acct.apply("--force")
    assert rc == 0, out + err
    teams = acct.teams()  # as planned: neither adopted, both removed, one East created
    assert [(t["name"], t["external_id"]) for t in teams.values()] == [("East", "EAST")]
    assert set(teams).isdisjoint({"g-1", "g-2"})


def test_team_whose_people_are_replaced_is_warned_and_applied_as_planned(tmp_path, shared_sandbox) -> None:
    sb = shared_sandbox(seed(PEOPLE, [team("g-eng", "Engineering", "ENG", managers=["p1@x.io"],
                                           members=["p2@x.io", "p3@x.io", "p4@x.io"])]), api_key=KEY)
    acct = Account(tmp_path, sb, "  - {id: ENG, name: Engineering, managers: [E1], members: [E5, E6, E7]}\n")
    plan = acct.plan_json()
    [w] = warnings(plan, "team_looks_different")
    assert w["details"] == {"team": "ENG", "name": "Engineering", "kept": 1, "removed": 3, "added": 3}
    rc, out, err = acct.apply()
    assert rc == 0, out + err
    eng = acct.teams()["g-eng"]  # same team, same id, the people the plan named
    assert eng["external_id"] == "ENG" and eng["members"] == ["p5@x.io", "p6@x.io", "p7@x.io"]


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_admin_left_out_keeps_the_team_role_the_plan_names(tmp_path, shared_sandbox, fmt) -> None:
    sb = shared_sandbox(seed([*PEOPLE, member("boss@x.io", None, "admin")],
                             [team("g-eng", "Engineering", "ENG", managers=["p1@x.io", "boss@x.io"],
                                   members=["p2@x.io"])]), api_key=KEY)
    acct = Account(tmp_path, sb, "  - {id: ENG, name: Engineering, managers: [E1], members: [E2]}\n")
    plan = acct.plan_json()
    assert plan["changes"] == []
    [w] = warnings(plan, "admin_kept_in_team")
    assert w["details"] == {"email": "boss@x.io", "role": "admin",
                            "teams": [{"team": "ENG", "name": "Engineering", "role": "manager"}]}
    rc, out, _ = acct.ovctl("plan", str(acct.org), "--format", fmt, "--detailed-exitcode")
    assert rc == 0 and "boss@x.io" in out and "admin_kept_in_team" in out and "matches the org" not in out
    rc, out, err = acct.apply()
    assert rc == 0, out + err
    assert "the account still differs from the org: 1 team role" in out + err and "matches the org" not in out + err
    assert acct.teams()["g-eng"]["managers"] == ["p1@x.io", "boss@x.io"]  # the role the plan said stays
    org_file = acct.org / "org.yaml"
    org_file.write_text(org_file.read_text(encoding="utf-8").replace("members: [E2]", "members: [E2, E3]"), encoding="utf-8")
    rc, out, err = acct.apply()  # a sync is sent now: its closing line does not claim a full match either
    assert rc == 0 and "Apply complete: 1 sync(s) sent; the account matches the org except for 1 team role" in out, out + err
    assert acct.teams()["g-eng"]["managers"] == ["p1@x.io", "boss@x.io"]
