"""The fingerprints' fast encoding (orjson for the member and team rows) gives json's canonical
text byte for byte, whatever the values: saved plan files name fingerprints, so a change of a
single byte would make every saved plan refuse to apply."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovctl.core import fingerprint as fp
from ovctl.core.model import Member, Org, PropertyDef, Safety, Settings, Snapshot, SnapMember, SnapTeam, Team

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@dataclass
class Row:
    """A dataclass of any values: the fast path must decline what it cannot write as json does."""

    a: Any
    b: Any = None
    c: dict[str, Any] = field(default_factory=dict)


class Text(str):
    """A str subclass: json writes it as a str; the fast path leaves it to json."""


# Values json and orjson may write differently: floats (1e-05 / 0.00001), ints beyond 64 bits,
# lone surrogates, str subclasses, tuples, non-str keys, and text with every kind of escape.
leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                 st.floats(allow_nan=False, allow_infinity=False), st.text(), st.text().map(Text),
                 st.sampled_from(["\ud800", "a\x00\x1f\x7f\u2028\ufeff", "1e-05", 'q"\\'])).filter(
    lambda v: not (isinstance(v, str) and "\ud800" in v and type(v) is Text))
value = st.recursive(leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner),
    st.dictionaries(st.one_of(st.text(), st.integers(0, 3)), inner, max_size=3)), max_leaves=8)


def _reference(data: Any) -> bytes | type[Exception]:
    try:
        return fp.canonical_json(data).encode("utf-8")
    except Exception as e:  # the fast path must fail the same way
        return type(e)


def _fast(data: Any) -> bytes | type[Exception]:
    try:
        return fp.canonical_bytes(data)
    except Exception as e:
        return type(e)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(value, value, st.dictionaries(st.text(), value, max_size=3)), min_size=1, max_size=6),
       st.dictionaries(st.text(), value, max_size=3))
def test_any_rows_encode_as_json_does(rows: list[tuple[Any, Any, dict[str, Any]]], extra: dict[str, Any]) -> None:
    data = {**extra, "members": fp._rows([Row(a, b, c) for a, b, c in rows])}
    assert _fast(data) == _reference(data)


@pytest.mark.parametrize("odd", [1e-05, 2**64, -(2**63) - 1, "\ud800", Text("x"), ("t",), {1: "x"}, {"é": 1.5},
                                 [None, {"k": 0.1}], 2**64 - 1, "\x00\x1f\"\\\u2028"])
def test_each_odd_value_keeps_the_reference_text(odd: Any) -> None:
    """One value in one row is enough for the rows to go to json (or, for a plain one, stay alike)."""
    rows = fp._rows([Row("x", None, {"p": "q"}), Row("y", odd, {"p": "r"})])
    data = {"z": 0.5, "members": rows, "a": [1.5e-7]}
    assert _fast(data) == _reference(data)


def test_plain_rows_take_the_fast_path() -> None:
    """The path this is all for is taken (else the test above proves nothing about it)."""
    rows = fp._rows([Row("x", None, {"é": "Montréal", "Z": ""}), Row("y", True, {})])
    assert getattr(rows, "plain", False)
    assert fp._rows_bytes(rows) is not None
    assert not fp._rows([Row("x", 0.5)]).plain


def test_org_and_snapshot_fingerprints_hash_the_reference_text() -> None:
    from ovctl.files.orgfile import load_org
    from ovctl.files.statefile import read_snapshot

    org = load_org([EXAMPLES / "org.yaml"]).org
    snap = read_snapshot(EXAMPLES / "state.json")
    for data in (fp._with_rows(fp._plain(org)),
                 {"format_version": 1, "members": fp._rows(snap.members), "teams": fp._rows(snap.teams)}):
        assert fp._rows_bytes(data["members"]) is not None
        assert fp.canonical_bytes(data) == fp.canonical_json(data).encode("utf-8")
    made = Org("Acme", Settings(risk_users=3, safety=Safety(max_deactivation_ratio=1e-05)), {"Site": PropertyDef("choices", ("Ü", "a"))},
               [Member("m1", "a@x.io", "Ana", "Núñez", "Dev", "fr", {"Site": "Ü"})], [Team("t1", "Sales", None, ["m1"])])
    assert fp.canonical_bytes(fp._with_rows(fp._plain(made))) == fp.canonical_json(fp._with_rows(fp._plain(made))).encode()
    s = Snapshot([SnapMember("a@x.io", "m1", "Ana", "", properties={"Site": "Ü"})], [SnapTeam("ov1", "S", "t1", None, [], [])],
                 {"Site": PropertyDef("text")})
    assert fp.fingerprint_snapshot(s).startswith("sha256:")
