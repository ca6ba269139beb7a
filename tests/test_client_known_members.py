"""``client._json_knowing``: a sandbox answer whose members section is, byte for byte, the text
apply predicted is read without parsing that section — and only then. Whatever the answer, the
result is what parsing it whole gives (members aside, when they were the predicted ones)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from ovctl.account.client import KnownMembers, _json_knowing, _json_of
from ovctl.core.jsontext import snapshot_text
from ovctl.files.statefile import PreparedText, read_snapshot

ROOT = Path(__file__).parent.parent
STATE = read_snapshot(ROOT / "examples/state.json")


def _answer(data: dict[str, Any]) -> httpx.Response:
    """The sandbox's own bytes for ``data`` (``sandbox.answers._answer_body``'s fast path)."""
    body = snapshot_text(data, indent=False)
    assert body is not None
    return httpx.Response(200, content=body)


def _read(response: httpx.Response, members_json: bytes) -> Any:
    return _json_knowing(members_json)(response)


def test_the_predicted_members_are_not_parsed_and_the_rest_is() -> None:
    data = STATE.to_dict()
    members_json = PreparedText(STATE).forms.json
    assert members_json is not None
    got = _read(_answer(data), members_json)
    assert type(got) is KnownMembers
    assert got == {**data, "members": []}
    assert list(got) == list(data)  # the answer's key order, as a full parse gives it


def test_other_members_are_parsed() -> None:
    data = STATE.to_dict()
    predicted = json.loads(json.dumps(data["members"]))
    predicted[-1]["first_name"] += "x"
    got = _read(_answer(data), orjson.dumps(predicted))
    assert type(got) is dict and got == data


@pytest.mark.parametrize("seed", range(40))
def test_any_answer_reads_as_a_full_parse_would(seed: int) -> None:
    """Answers shaped to mislead: the predicted text earlier in the answer than the members
    section (under a property named "members", in a team), a prefix of the real members, a lone
    surrogate; the members section read whole or skipped only when it is the predicted one."""
    rng = random.Random(seed)
    data = STATE.to_dict()
    members = data["members"]
    predicted = rng.choice([members, members[:-1], members[:1], []])
    text = orjson.dumps(predicted)
    if rng.random() < 0.4:
        data = {**data, "properties": {**data["properties"], "members": {"type": "text", "members": predicted}}}
    if rng.random() < 0.3:
        data["teams"] = [{**data["teams"][0], "members": predicted}, *data["teams"][1:]]
    if rng.random() < 0.2:
        data["members"] = [{**members[0], "first_name": "\ud800"}, *members[1:]]
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    response = httpx.Response(200, content=body)
    try:
        whole = _json_of(response)
    except ValueError:
        with pytest.raises(ValueError):
            _read(response, text)
        return
    got = _read(response, text)
    if type(got) is KnownMembers:
        assert whole["members"] == predicted and got == {**whole, "members": []}
    else:
        assert got == whole
