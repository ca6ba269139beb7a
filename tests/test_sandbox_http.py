"""The sandbox's HTTP surface against a real server process (a 4000-byte body limit): auth, export
endpoints, /sandbox/snapshot, /sandbox/reset, refused syncs (400/403/413), settings and fault injection.

Each test gets the server reset to the seed (tests/fixtures/sandbox_seed.json).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ovctl.account import wire
from ovctl.core.snapshot import snapshot_from_dict
from support.sandbox_bodies import LEGACY_SYNC, SYNC, seed_body, to_legacy

KEY = "test-key-123"
pytestmark = pytest.mark.sandbox(api_key=KEY, env={"OVCTL_SANDBOX_MAX_BODY": "4000"})


@pytest.fixture
def http(sandbox: Any) -> Iterator[httpx.Client]:
    with sandbox.client() as c:
        yield c


def _history(http: httpx.Client) -> list[dict[str, Any]]:
    return http.get(wire.SANDBOX_SYNCS).json()["syncs"]


def _small_body() -> dict[str, Any]:
    """A valid sync under the module's 4000-byte body limit."""
    body = seed_body()
    for m in body["members"]:
        for k in ("jobTitle", "languagePreferences", "Location", "Hire Date"):
            m.pop(k, None)
    return body


# --------------------------------------------------------------------------- auth


@pytest.mark.parametrize("headers", [{"workleap-subscription-key": KEY}, {"Authorization": f"Bearer {KEY}"},
                                     {"authorization": f"bearer {KEY}"}])
def test_either_key_header_is_accepted(sandbox: Any, headers: dict[str, str]) -> None:
    r = httpx.get(sandbox.url + wire.EXPORT_PING, headers=headers)
    assert r.status_code == 200 and r.json()["isSuccess"] is True


# Every route and method the sandbox serves, with a body that would change something if it got in.
ROUTES = [
    ("POST", SYNC, _small_body()),
    ("POST", LEGACY_SYNC, to_legacy(_small_body())),
    ("GET", wire.EXPORT_PING, None),
    ("GET", wire.EXPORT_USERS, None),
    ("GET", wire.EXPORT_USER.format(email="ana@acme.example"), None),
    ("GET", wire.EXPORT_GROUPS, None),
    ("GET", wire.EXPORT_GROUPS + "?groupId=g-eng", None),
    ("GET", wire.SANDBOX_SNAPSHOT, None),
    ("GET", wire.SANDBOX_SETTINGS, None),
    ("PATCH", wire.SANDBOX_SETTINGS, {"integration_enabled": False, "properties": {"Location": None}}),
    ("GET", wire.SANDBOX_SYNCS, None),
    ("GET", wire.SANDBOX_SYNC.format(sync_id="sync-1"), None),
    ("POST", wire.SANDBOX_APPROVE.format(sync_id="sync-1"), None),
    ("POST", wire.SANDBOX_REJECT.format(sync_id="sync-1"), None),
    ("GET", wire.SANDBOX_FAULTS, None),
    ("POST", wire.SANDBOX_FAULTS, {"path": wire.EXPORT_PING, "status": 503, "times": 100}),
    ("DELETE", wire.SANDBOX_FAULTS, None),
    ("POST", wire.SANDBOX_RESET, None),
]
BAD_KEYS = [{}, {"workleap-subscription-key": "wrong-key-999"}, {"Authorization": "Bearer wrong-key-999"},
            {"Authorization": KEY}, {"workleap-subscription-key": KEY + "x"}, {"workleap-subscription-key": ""}]


@pytest.mark.parametrize("method,path,body", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_missing_or_wrong_key_is_401_json_on_every_route(sandbox: Any, http: httpx.Client, method: str, path: str,
                                                        body: Any) -> None:
    before = (json.dumps(http.get(wire.SANDBOX_SNAPSHOT).json(), sort_keys=True), http.get(wire.SANDBOX_SETTINGS).json(),
              _history(http))
    for headers in BAD_KEYS:
        r = httpx.request(method, sandbox.url + path, headers=headers, json=body)
        assert r.status_code == 401, (headers, r.text)
        reply = r.json()
        assert reply["isSuccess"] is False and reply["errors"] and "wrong-key-999" not in r.text
    after = (json.dumps(http.get(wire.SANDBOX_SNAPSHOT).json(), sort_keys=True), http.get(wire.SANDBOX_SETTINGS).json(),
             _history(http))
    assert after == before  # nothing applied, changed or recorded
    assert http.get(wire.SANDBOX_FAULTS).json()["faults"] == []


def test_sync_without_key_is_401_and_not_recorded(sandbox: Any, http: httpx.Client) -> None:
    before = len(_history(http))
    r = httpx.post(sandbox.url + SYNC, json=_small_body())
    assert r.status_code == 401 and r.json()["isSuccess"] is False
    assert len(_history(http)) == before


def test_integration_off_refuses_syncs_with_403_but_not_exports(http: httpx.Client) -> None:
    http.patch(wire.SANDBOX_SETTINGS, json={"integration_enabled": False})
    try:
        before = json.dumps(http.get(wire.SANDBOX_SNAPSHOT).json(), sort_keys=True)
        for path, body in ((SYNC, _small_body()), (LEGACY_SYNC, to_legacy(_small_body()))):
            r = http.post(path, json=body)
            assert r.status_code == 403, r.text
            assert r.json()["isSuccess"] is False and "integration" in r.json()["errorMessage"]
            _assert_recorded_refusal(http, r, "failed")
        assert http.get(wire.EXPORT_USERS).status_code == 200
        assert json.dumps(http.get(wire.SANDBOX_SNAPSHOT).json(), sort_keys=True) == before
        assert _history(http)[-1]["status"] == "failed"
    finally:
        http.patch(wire.SANDBOX_SETTINGS, json={"integration_enabled": True})


# --------------------------------------------------------------------------- export


def test_ping_answers_in_the_envelope(http: httpx.Client) -> None:
    body = http.get(wire.EXPORT_PING).json()
    assert body["isSuccess"] is True and body["errorMessage"] == "" and body["data"]


def test_users_export_lists_non_deactivated_members_with_v2_fields(http: httpx.Client, sandbox_seed: Path) -> None:
    seed = json.loads(sandbox_seed.read_text())
    data = http.get(wire.EXPORT_USERS).json()["data"]
    expected = {m["email"] for m in seed["members"] if m["status"] != "deactivated"}
    assert {u["email"] for u in data["users"]} == expected and data["userCount"] == len(expected)
    for u in data["users"]:
        assert set(u) == set(wire.EXPORT_USER_FIELDS)
        assert u["fistName"] == u["firstName"]  # the API's own typo, kept


def test_users_export_flags_roles_and_teams(http: httpx.Client) -> None:
    users = {u["email"]: u for u in http.get(wire.EXPORT_USERS).json()["data"]["users"]}
    assert users["eve@acme.example"]["isAdmin"] is True and users["eve@acme.example"]["isCompanyManager"] is False
    assert users["frank@acme.example"]["isCompanyManager"] is True
    ana = users["ana@acme.example"]
    assert ana["isGroupManager"] is True and ana["managedGroups"] == ["g-eng"]
    assert set(ana["memberGroups"]) == {"g-mtl"}
    assert users["chloe@acme.example"]["isGroupManager"] is False
    assert users["ana@acme.example"]["firstName"] == "Ana" and users["ana@acme.example"]["lastName"] == "Núñez"


def test_one_user_by_email(http: httpx.Client) -> None:
    r = http.get(wire.EXPORT_USER.format(email="Bob@Acme.example"))
    assert r.status_code == 200 and r.json()["data"]["email"] == "bob@acme.example"
    missing = http.get(wire.EXPORT_USER.format(email="nobody@acme.example"))
    assert missing.status_code == 404 and missing.json()["isSuccess"] is False


def _active_emails(seed: dict[str, Any]) -> set[str]:
    return {m["email"] for m in seed["members"] if m["status"] != "deactivated"}


def test_groups_export_lists_every_team_with_counts_of_active_people(http: httpx.Client, sandbox_seed: Path) -> None:
    seed = json.loads(sandbox_seed.read_text())
    active = _active_emails(seed)
    data = http.get(wire.EXPORT_GROUPS).json()["data"]
    assert data["groupCount"] == len(seed["teams"])
    groups = {g["id"]: g for g in data["groups"]}
    assert groups["g-support"]["userCount"] == 0  # its only member, dan, is deactivated
    for t in seed["teams"]:
        g = groups[t["officevibe_id"]]
        assert set(g) == set(wire.EXPORT_GROUP_FIELDS)
        assert (g["name"], g["userCount"], g["managerCount"]) == (
            t["name"], len(set(t["members"]) & active), len(set(t["managers"]) & active))


def test_one_group_leaves_out_deactivated_members_as_the_users_export_does(http: httpx.Client,
                                                                          sandbox_seed: Path) -> None:
    seed = json.loads(sandbox_seed.read_text())
    exported_users = {u["email"] for u in http.get(wire.EXPORT_USERS).json()["data"]["users"]}
    for t in seed["teams"]:
        data = http.get(wire.EXPORT_GROUPS, params={wire.EXPORT_GROUP_PARAM: t["officevibe_id"]}).json()["data"]
        emails = {u["email"] for u in data["users"]}
        assert emails == (set(t["members"]) | set(t["managers"])) & _active_emails(seed)
        assert emails <= exported_users  # every listed user can be looked up
        for email in emails:
            assert http.get(wire.EXPORT_USER.format(email=email)).status_code == 200
        assert data["userCount"] == sum(u["isMember"] for u in data["users"])
    assert http.get(wire.EXPORT_USER.format(email="dan@acme.example")).status_code == 404


@pytest.mark.parametrize("query", ["groupId=", "groupId=%20", "groupid="])
def test_empty_group_id_is_400_in_the_envelope(http: httpx.Client, query: str) -> None:
    r = http.get(wire.EXPORT_GROUPS + "?" + query)
    assert r.status_code == 400
    assert r.json()["isSuccess"] is False and r.json()["data"] is None and "groupId" in r.json()["errorMessage"]


def test_one_group_lists_its_users_with_roles(http: httpx.Client) -> None:
    r = http.get(wire.EXPORT_GROUPS, params={wire.EXPORT_GROUP_PARAM: "g-infra"})
    data = r.json()["data"]
    assert data["name"] == "Infrastructure"
    roles = {u["email"]: (u["isManager"], u["isMember"]) for u in data["users"]}
    assert roles == {"bob@acme.example": (True, False), "chloe@acme.example": (False, True)}
    assert http.get(wire.EXPORT_GROUPS, params={wire.EXPORT_GROUP_PARAM: "g-none"}).status_code == 404


def test_snapshot_round_trips_the_seed(http: httpx.Client, sandbox_seed: Path) -> None:
    served = snapshot_from_dict(http.get(wire.SANDBOX_SNAPSHOT).json(), "sandbox")
    seeded = snapshot_from_dict(json.loads(sandbox_seed.read_text()), "seed")
    assert served.to_dict() == seeded.to_dict()  # external ids, statuses, roles, rule_based, properties


# --------------------------------------------------------------------------- refused syncs


def _assert_recorded_refusal(http: httpx.Client, r: httpx.Response, status: str) -> None:
    """A refused sync answers the error shape plus its ``syncId`` and ``status``, as in the history."""
    reply = r.json()
    assert reply["isSuccess"] is False and reply["errors"] == [reply["errorMessage"]]
    assert reply["status"] == status and reply["syncId"]
    last = _history(http)[-1]
    assert (last["id"], last["status"], last["error"]) == (reply["syncId"], status, reply["errorMessage"])


def test_malformed_json_is_400(http: httpx.Client) -> None:
    r = http.post(SYNC, content=b'{"members": [', headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["isSuccess"] is False
    assert "JSON" in r.json()["errorMessage"]
    _assert_recorded_refusal(http, r, "rejected")


@pytest.mark.parametrize("section", ["members", "teams", "teamMappings"])
@pytest.mark.parametrize("how", ["missing", "empty"])
def test_missing_or_empty_section_is_400_naming_it(http: httpx.Client, section: str, how: str) -> None:
    before = json.dumps(http.get(wire.SANDBOX_SNAPSHOT).json(), sort_keys=True)
    body = _small_body()
    if how == "missing":
        del body[section]
    else:
        body[section] = []
    r = http.post(SYNC, json=body)
    assert r.status_code == 400
    assert f"'{section}'" in r.json()["errorMessage"] and r.json()["errors"] == [r.json()["errorMessage"]]
    _assert_recorded_refusal(http, r, "rejected")
    assert json.dumps(http.get(wire.SANDBOX_SNAPSHOT).json(), sort_keys=True) == before
    assert _history(http)[-1]["status"] == "rejected"


@pytest.mark.parametrize("section", ["users", "groups", "mappings"])
def test_legacy_missing_section_is_400_naming_it(http: httpx.Client, section: str) -> None:
    body = to_legacy(_small_body())
    del body[section]
    r = http.post(LEGACY_SYNC, json=body)
    assert r.status_code == 400 and f"'{section}'" in r.json()["errorMessage"]


def test_settings_section_is_refused_by_the_current_flavour(http: httpx.Client) -> None:
    body = _small_body()
    body["settings"] = {"inviteNewUsers": True}
    r = http.post(SYNC, json=body)
    assert r.status_code == 400 and "settings" in r.json()["errorMessage"]


def test_body_over_the_limit_is_413(http: httpx.Client) -> None:
    body = _small_body()
    body["members"][0]["jobTitle"] = "x" * 5000
    r = http.post(SYNC, json=body)
    assert r.status_code == 413 and r.json()["isSuccess"] is False
    _assert_recorded_refusal(http, r, "rejected")


def test_streamed_body_over_the_limit_is_413(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        yield b'{"members": ['
        for _ in range(100):
            yield b'{"externalMemberId": "E1", "email": "a@b.c"},'
        yield b'{}], "teams": [], "teamMappings": []}'

    r = http.post(SYNC, content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    _assert_recorded_refusal(http, r, "rejected")


def test_body_under_the_limit_is_applied(http: httpx.Client) -> None:
    r = http.post(SYNC, json=_small_body())
    assert r.status_code == 200 and r.json()["status"] == "applied"
    assert _history(http)[-1]["id"] == r.json()["syncId"]


# --------------------------------------------------------------------------- settings


def test_settings_patch_is_partial_and_validated(http: httpx.Client) -> None:
    original = http.get(wire.SANDBOX_SETTINGS).json()
    try:
        r = http.patch(wire.SANDBOX_SETTINGS, json={"risk_thresholds": {"users": 10}})
        assert r.status_code == 200
        assert r.json()["risk_thresholds"] == {"users": 10, "teams": original["risk_thresholds"]["teams"]}
        assert r.json()["invite_new_members"] == original["invite_new_members"]
        for bad in ({"risk_thresholds": {"users": -1}}, {"invite_new_members": "yes"}, {"colour": "blue"},
                    {"properties": {"Team Size": {"type": "colour"}}}, {"properties": {"": {"type": "text"}}},
                    {"properties": {"  ": {"type": "numeric"}}}, {"properties": {"": None}},
                    {"properties": {"Shirt": {"type": "choices", "options": []}}},
                    {"properties": {"Shirt": {"type": "choices"}}}):
            assert http.patch(wire.SANDBOX_SETTINGS, json=bad).status_code == 400, bad
        assert http.get(wire.SANDBOX_SETTINGS).json()["risk_thresholds"]["users"] == 10
        assert set(http.get(wire.SANDBOX_SETTINGS).json()["properties"]) == set(original["properties"])
    finally:
        http.patch(wire.SANDBOX_SETTINGS, json={"risk_thresholds": original["risk_thresholds"]})


def test_settings_patch_adds_replaces_and_deletes_properties(http: httpx.Client) -> None:
    r = http.patch(wire.SANDBOX_SETTINGS, json={"properties": {"Shirt": {"type": "choices", "options": ["S", "M"]}}})
    assert r.json()["properties"]["Shirt"] == {"type": "choices", "options": ["S", "M"]}
    assert "Location" in r.json()["properties"]  # others kept
    r = http.patch(wire.SANDBOX_SETTINGS, json={"properties": {"Shirt": {"type": "text"}}})
    assert r.json()["properties"]["Shirt"] == {"type": "text"}
    r = http.patch(wire.SANDBOX_SETTINGS, json={"properties": {"Shirt": None}})
    assert "Shirt" not in r.json()["properties"]
    assert "Shirt" not in http.get(wire.SANDBOX_SNAPSHOT).json()["properties"]


def test_unknown_sync_is_404(http: httpx.Client) -> None:
    assert http.get(wire.SANDBOX_SYNC.format(sync_id="sync-999999")).status_code == 404
    assert http.post(wire.SANDBOX_APPROVE.format(sync_id="sync-999999")).status_code == 404


# --------------------------------------------------------------------------- fault injection


def _arm(http: httpx.Client, **fault: Any) -> dict[str, Any]:
    r = http.post(wire.SANDBOX_FAULTS, json=fault)
    assert r.status_code == 201, r.text
    return r.json()


def test_fault_answers_the_next_n_requests_then_clears_itself(http: httpx.Client) -> None:
    _arm(http, path=SYNC, method="POST", status=503, times=2, retry_after=1)
    answers = [http.post(SYNC, json=_small_body()) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["Retry-After"] == "1" and answers[0].json()["isSuccess"] is False
    assert http.get(wire.SANDBOX_FAULTS).json()["faults"][0]["fired"] == 2


def test_fault_matches_path_and_method(http: httpx.Client) -> None:
    _arm(http, path=wire.EXPORT_USERS, method="POST", status=500)
    assert http.get(wire.EXPORT_USERS).status_code == 200  # GET is not POST
    assert http.get(wire.EXPORT_GROUPS).status_code == 200
    _arm(http, path=wire.EXPORT_USERS, status=429)  # any method
    assert http.get(wire.EXPORT_USERS).status_code == 429


def test_html_fault_sends_a_login_page(http: httpx.Client) -> None:
    _arm(http, path=wire.EXPORT_PING, body="html")
    r = http.get(wire.EXPORT_PING)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html") and "<html" in r.text
    _arm(http, path=wire.EXPORT_PING, body="html", status=401)
    assert http.get(wire.EXPORT_PING).status_code == 401


def test_garbage_fault_sends_non_json(http: httpx.Client) -> None:
    _arm(http, path=SYNC, status=200, body="garbage")
    r = http.post(SYNC, json=_small_body())
    with pytest.raises(ValueError):
        json.loads(r.content)


def test_raw_fault_sends_exactly_the_given_content(http: httpx.Client) -> None:
    text = '{"isSuccess": true, "risk": {"users": NaN}, "id": "s\\ud800", "name": "Núñez"}'
    armed = _arm(http, path=SYNC, method="POST", status=200, body="raw", content=text)
    assert armed["body"] == "raw" and armed["content"] == text and armed["content_base64"] is None
    r = http.post(SYNC, json=_small_body())
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.content == text.encode("utf-8")  # verbatim: NaN and the escape are not touched
    raw = b'{"syncId": "s\xed\xa0\x80"}'  # a lone surrogate as raw bytes: not UTF-8, so base64
    _arm(http, path=wire.EXPORT_GROUPS, method="GET", status=502, body="raw", retry_after=2,
         content_base64=base64.b64encode(raw).decode())
    r = http.get(wire.EXPORT_GROUPS, params={"groupId": "g-1"})  # the query string is ignored
    assert r.status_code == 502 and r.content == raw and r.headers["Retry-After"] == "2"
    assert http.get(wire.EXPORT_GROUPS).status_code == 200  # fired once, then served normally


def test_drop_fault_closes_the_connection_mid_answer(sandbox: Any, http: httpx.Client) -> None:
    _arm(http, path=SYNC, method="POST", body="drop", times=2)
    for _ in range(2):  # each time a fresh connection, each time dropped
        with sandbox.client() as c, pytest.raises(httpx.RemoteProtocolError):
            c.post(SYNC, json=_small_body())
    r = http.post(SYNC, json=_small_body())
    assert r.status_code == 200 and r.json()["isSuccess"] is True  # the next request is served
    assert http.get(wire.SANDBOX_FAULTS).json()["faults"][0]["fired"] == 2


def test_raw_and_drop_fault_definitions_are_validated(http: httpx.Client) -> None:
    bad_ones = [
        ({"path": SYNC, "body": "raw"}, "exactly one of 'content'"),
        ({"path": SYNC, "body": "raw", "content": "{}", "content_base64": "e30="}, "exactly one of 'content'"),
        ({"path": SYNC, "body": "raw", "content": 7}, "'content' must be a string"),
        ({"path": SYNC, "body": "raw", "content_base64": ["e30="]}, "'content_base64' must be a string"),
        ({"path": SYNC, "body": "raw", "content_base64": "not base64!"}, "must be valid base64"),
        ({"path": SYNC, "content": "{}"}, "needs \"body\": \"raw\""),
        ({"path": SYNC, "body": "drop", "content_base64": "e30="}, "needs \"body\": \"raw\""),
        ({"path": SYNC, "body": "dropped"}, "must be one of json, html, garbage, raw, drop"),
    ]
    for bad, message in bad_ones:
        r = http.post(wire.SANDBOX_FAULTS, json=bad)
        assert r.status_code == 400 and message in r.json()["errorMessage"], (bad, r.text)
    # a lone surrogate escape in 'content' is not text (it could not be sent as UTF-8): refused,
    # or refused already as JSON by the sandbox's body reader; either way a 400, nothing armed
    r = http.post(wire.SANDBOX_FAULTS, content=b'{"path": "/x", "body": "raw", "content": "\\ud800"}',
                  headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["isSuccess"] is False
    assert http.get(wire.SANDBOX_FAULTS).json()["faults"] == []


def test_delay_fault_makes_a_client_time_out(sandbox: Any, http: httpx.Client) -> None:
    _arm(http, path=wire.EXPORT_PING, status=503, delay=2.0)
    with sandbox.client(timeout=0.3) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.get(wire.EXPORT_PING)


def test_delay_only_fault_serves_the_real_answer(http: httpx.Client) -> None:
    _arm(http, path=wire.EXPORT_PING, delay=0.1)
    r = http.get(wire.EXPORT_PING)
    assert r.status_code == 200 and r.json()["isSuccess"] is True
    assert http.get(wire.SANDBOX_FAULTS).json()["faults"][0]["fired"] == 1


def test_faults_need_the_key_and_a_valid_definition(sandbox: Any, http: httpx.Client) -> None:
    assert httpx.post(sandbox.url + wire.SANDBOX_FAULTS, json={"path": SYNC, "status": 503}).status_code == 401
    for bad in ({"status": 503}, {"path": SYNC, "body": "xml"}, {"path": SYNC, "times": 0},
                {"path": SYNC, "status": 99}, {"path": SYNC, "delay": -1}):
        assert http.post(wire.SANDBOX_FAULTS, json=bad).status_code == 400, bad
    assert http.get(wire.SANDBOX_FAULTS).json()["faults"] == []


def test_delete_clears_armed_faults(http: httpx.Client) -> None:
    _arm(http, path=wire.EXPORT_PING, status=503, times=5)
    assert http.delete(wire.SANDBOX_FAULTS).json()["cleared"] == 1
    assert http.get(wire.EXPORT_PING).status_code == 200


# --------------------------------------------------------------------------- reset


def _account_state(http: httpx.Client) -> tuple[Any, ...]:
    return (http.get(wire.SANDBOX_SNAPSHOT).json(), http.get(wire.SANDBOX_SETTINGS).json(), _history(http),
            http.get(wire.SANDBOX_FAULTS).json()["faults"])


def _change_everything(http: httpx.Client) -> None:
    """A sync applied, a refused one recorded, settings and properties changed, a fault armed."""
    body = _small_body()
    body["members"] = body["members"][:2]  # chloe leaves: deactivated
    assert http.post(SYNC, json=body).json()["status"] == "applied"
    assert http.post(SYNC, json={"members": []}).status_code == 400
    assert http.patch(wire.SANDBOX_SETTINGS, json={"invite_new_members": True, "risk_thresholds": {"users": 3},
                                                   "integration_enabled": False,
                                                   "properties": {"Location": None}}).status_code == 200
    _arm(http, path=wire.EXPORT_USERS, status=503, times=5)


def test_reset_with_a_seed_is_a_new_server_seeded_with_it(http: httpx.Client, sandbox_factory: Any,
                                                         sandbox_seed: Path) -> None:
    with sandbox_factory(seed=sandbox_seed, api_key=KEY).client() as fresh:  # started with --seed
        new = _account_state(fresh)
    assert _account_state(http) == new  # the fixture reset it before the test
    _change_everything(http)
    assert _account_state(http) != new
    r = http.post(wire.SANDBOX_RESET, content=sandbox_seed.read_bytes(), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json() == {"members": 6, "teams": 5}
    assert _account_state(http) == new
    seeded = snapshot_from_dict(json.loads(sandbox_seed.read_text()), "seed")
    assert snapshot_from_dict(http.get(wire.SANDBOX_SNAPSHOT).json(), "sandbox").to_dict() == seeded.to_dict()
    assert http.get(wire.EXPORT_USERS).status_code == 200  # the fault is gone
    first = http.post(SYNC, json=_small_body()).json()
    assert (first["syncId"], first["status"]) == ("sync-1", "applied")  # the history starts over
    assert _arm(http, path=wire.EXPORT_PING)["id"] == 1


def test_reset_without_a_body_leaves_an_empty_account_with_default_settings(http: httpx.Client) -> None:
    _change_everything(http)
    r = http.post(wire.SANDBOX_RESET)
    assert r.status_code == 200 and r.json() == {"members": 0, "teams": 0}
    snap = http.get(wire.SANDBOX_SNAPSHOT).json()
    assert (snap["members"], snap["teams"], snap["properties"]) == ([], [], {})
    assert http.get(wire.SANDBOX_SETTINGS).json() == {
        "invite_new_members": False, "risk_thresholds": {"users": None, "teams": None},
        "integration_enabled": True, "properties": {}}
    assert _history(http) == [] and http.get(wire.SANDBOX_FAULTS).json()["faults"] == []


@pytest.mark.parametrize("content, message", [
    (b'{"format_version": 1, "members": [{"email": 3}]}', "reset body: members[0]"),
    (b'{"members": [', "malformed JSON"),
    (b"[1, 2]", "reset body"),
])
def test_reset_with_a_bad_seed_is_400_and_changes_nothing(http: httpx.Client, content: bytes, message: str) -> None:
    _change_everything(http)
    before = _account_state(http)
    r = http.post(wire.SANDBOX_RESET, content=content, headers={"content-type": "application/json"})
    assert r.status_code == 400 and message in r.json()["errorMessage"], r.text
    assert _account_state(http) == before


def test_reset_larger_than_the_body_limit_is_413(http: httpx.Client, sandbox_seed: Path) -> None:
    before = _account_state(http)
    r = http.post(wire.SANDBOX_RESET, content=sandbox_seed.read_bytes() + b" " * 4000,
                  headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert _account_state(http) == before


def test_reset_is_not_subject_to_faults(http: httpx.Client) -> None:
    _arm(http, path=wire.SANDBOX_RESET, status=503, times=3)
    assert http.post(wire.SANDBOX_RESET).status_code == 200


def test_a_request_delayed_across_a_reset_is_not_served_after_it(sandbox: Any, http: httpx.Client) -> None:
    """A sync held by a delay fault when the sandbox is reset must not land in the new account."""
    _arm(http, path=SYNC, method="POST", delay=1.0)
    replies: list[httpx.Response] = []
    sender = threading.Thread(target=lambda: replies.append(httpx.post(sandbox.url + SYNC, json=_small_body(),
                                                                       headers=sandbox.headers, timeout=30)))
    sender.start()
    deadline = time.monotonic() + 20
    while http.get(wire.SANDBOX_FAULTS).json()["faults"][0]["fired"] == 0:  # the sync is being held
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert http.post(wire.SANDBOX_RESET).status_code == 200
    sender.join(30)
    assert replies[0].status_code == 503 and "reset" in replies[0].json()["errorMessage"]
    assert _history(http) == [] and http.get(wire.SANDBOX_SNAPSHOT).json()["members"] == []
