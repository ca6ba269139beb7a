"""Sync bodies for the sandbox tests, written as the wire sees them (plain JSON, no ovctl encoder),
so the server is tested against what a client actually sends.

``seed_body()`` is a full-state sync that keeps the account of ``tests/fixtures/sandbox_seed.json``
as it is, with external ids attached; tests change one thing in it and look at the result.
"""

from __future__ import annotations

import copy
from typing import Any

from ovctl.account import wire

SYNC = wire.WORKLEAP.sync_path
LEGACY_SYNC = wire.LEGACY.sync_path


def member(ext: str, email: str, first: str, last: str, **extra: Any) -> dict[str, Any]:
    return {"externalMemberId": ext, "email": email, "firstName": first, "lastName": last, **extra}


def team(ext: str, name: str) -> dict[str, Any]:
    return {"externalTeamId": ext, "teamName": name}


def person(team_id: str, ext: str, *, manager: bool = False) -> dict[str, Any]:
    return {"externalTeamId": team_id, "externalMemberId": ext, "isMember": not manager, "isManager": manager}


def subteam(parent: str, child: str) -> dict[str, Any]:
    return {"externalTeamId": parent, "externalSubteamId": child, "isMember": False, "isManager": False}


_SEED_BODY: dict[str, Any] = {
    "members": [
        member("E1", "ana@acme.example", "Ana", "Núñez", jobTitle="VP Engineering", languagePreferences="fr",
               Location="Montréal", **{"Hire Date": "2019-04-01"}),
        member("E2", "bob@acme.example", "Bob", "Martin", jobTitle="Developer", languagePreferences="en",
               Location="Paris"),
        member("E3", "chloe@acme.example", "Chloé", "Tremblay", jobTitle="Developer", languagePreferences="fr"),
    ],
    "teams": [team("ENG", "Engineering"), team("INFRA", "Infrastructure"), team("SALES", "Sales"),
              team("SUP", "Support")],
    "teamMappings": [
        person("ENG", "E1", manager=True), person("ENG", "E2"),
        subteam("ENG", "INFRA"), person("INFRA", "E2", manager=True), person("INFRA", "E3"),
        person("SALES", "E3"),
        person("SUP", "E2"),
    ],
}


def seed_body() -> dict[str, Any]:
    """A fresh deep copy (tests mutate it)."""
    return copy.deepcopy(_SEED_BODY)


def to_legacy(body: dict[str, Any], invite: bool | None = None) -> dict[str, Any]:
    """The same sync in the legacy flavour (users/groups/mappings, optional settings)."""
    rename_m = {"externalMemberId": "id", "languagePreferences": "language"}
    users = [{rename_m.get(k, k): v for k, v in m.items()} for m in body["members"]]
    groups = [{"id": t["externalTeamId"], "name": t["teamName"]} for t in body["teams"]]
    rename_map = {"externalTeamId": "groupId", "externalMemberId": "userId", "externalSubteamId": "subGroupId"}
    mappings = [{rename_map.get(k, k): v for k, v in mp.items()} for mp in body["teamMappings"]]
    out: dict[str, Any] = {"users": users, "groups": groups, "mappings": mappings}
    if invite is not None:
        out["settings"] = {"inviteNewUsers": invite}
    return out


def by_email(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["email"].lower(): m for m in snapshot["members"]}


def by_team_id(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["officevibe_id"]: t for t in snapshot["teams"]}


def by_team_name(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in snapshot["teams"]}
