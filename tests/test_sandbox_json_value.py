"""``store._json_value`` (the C scanner called directly) against ``json.loads``, which it replaces
for member properties in ``Store.load_account``: same value, or the same error, for any text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovctl.sandbox.store import _json_value

DIFF = settings(max_examples=300, deadline=None, derandomize=True, database=None)

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=8)
SPACE = st.sampled_from(["", "", " ", "\n", "\t ", "\r\n"])


def outcome(read: Any, text: Any) -> tuple[Any, ...]:
    try:
        value = read(text)
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        return ("error", type(e), str(e))
    return ("ok", json.dumps(value), value == value)  # the text form tells 1 from 1.0 and True from 1


@DIFF
@given(JSON_VALUES, SPACE, SPACE, st.booleans())
def test_json_text_reads_as_json_loads_reads_it(value: Any, before: str, after: str, ascii_only: bool) -> None:
    text = before + json.dumps(value, ensure_ascii=ascii_only) + after
    assert outcome(_json_value, text) == outcome(json.loads, text)


@DIFF
@given(st.text(alphabet='{}[]",:0123456789.eE+-tfalsenu \\\ufeff', max_size=12))
def test_any_text_reads_or_fails_as_json_loads(text: str) -> None:
    assert outcome(_json_value, text) == outcome(json.loads, text)


@pytest.mark.parametrize("text", ['{"a": 1} {"b": 2}', '{"a": 1}x', '\ufeff{}', ' {}', '{} ', '', '{"a": [1',
                                  '{"a": NaN}', '{"a": 1e400}', '"\\ud800"', '[' * 100_000 + ']' * 100_000,
                                  b'{"a": 1}', bytearray(b"[]"), 7, None, '{"a": 1, "a": 2}'])
def test_edge_texts_read_or_fail_as_json_loads(text: Any) -> None:
    assert outcome(_json_value, text) == outcome(json.loads, text)
