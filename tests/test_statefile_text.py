"""The state file's text is ``json.dumps(..., indent=2, ensure_ascii=False)`` byte for byte, though
it is built without json's pure-Python indenting encoder (``statefile._indented``)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ovctl.files.statefile import _indented, read_snapshot, snapshot_to_json

ROOT = Path(__file__).parent.parent
STATES = [ROOT / "examples/state.json", ROOT / "tests/fixtures/sandbox_seed.json", ROOT / "tests/fixtures/e2e/seed.json"]


def _reference(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("path", STATES, ids=lambda p: p.name)
def test_snapshots_are_written_exactly_as_json_indents_them(path: Path) -> None:
    snapshot = read_snapshot(path)
    assert snapshot_to_json(snapshot) == _reference(snapshot.to_dict()) + "\n"


def _value(rng: random.Random, depth: int) -> object:
    kinds = ["str", "none", "bool", "int", "float"] + (["dict", "list", "strlist", "strdict"] if depth < 4 else [])
    kind = rng.choice(kinds)
    text = lambda: "".join(rng.choice('aZ é"\\\n\t\x00\x1f\u2028😀/<') for _ in range(rng.randint(0, 6)))  # noqa: E731
    if kind == "str":
        return text()
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.randint(-10**20, 10**20)
    if kind == "float":
        return rng.choice([0.1, -2.5e-300, 1e22, 3.0, -0.0])
    if kind == "strlist":
        return [text() for _ in range(rng.randint(0, 3))]
    if kind == "strdict":
        return {text(): text() for _ in range(rng.randint(0, 3))}
    if kind == "list":
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {text(): _value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


@pytest.mark.parametrize("seed", range(200))
def test_any_json_value_is_indented_as_json_does(seed: int) -> None:
    value = _value(random.Random(seed), 0)
    assert _indented(value) == _reference(value)


@pytest.mark.parametrize("odd", [{1: "int key"}, [float("nan")], {"a": (1, 2)}, {"a": {None: 1}}])
def test_values_json_writes_its_own_way_fall_back_to_json(odd: object) -> None:
    from ovctl.files import statefile

    with pytest.raises(statefile._Unusual):
        _indented(odd)


@pytest.mark.parametrize("path", STATES, ids=lambda p: p.name)
def test_real_snapshots_take_the_orjson_path(path: Path) -> None:
    """The fast path is the one taken for what ovctl reads and writes (else the tests prove nothing of it)."""
    from ovctl.core import jsontext

    assert jsontext.snapshot_alike(read_snapshot(path).to_dict())


@pytest.mark.parametrize("seed", range(200))
def test_any_values_in_a_snapshot_are_written_as_json_does(seed: int) -> None:
    """Values no parser gives (floats, big ints, tuples, str subclasses, odd keys) anywhere in a
    snapshot: orjson writes only what it writes as json would; the rest falls back."""
    from ovctl.core.model import Snapshot, SnapMember, SnapTeam

    class Text(str):
        pass

    rng = random.Random(seed)
    odd = [1e-05, 2.5, 10**20, ("t",), Text("x"), {1: "k"}, None, "é\x00", True, 7, [1.5], {"k": 1e22}]
    pick = lambda: rng.choice(odd) if rng.random() < 0.3 else _value(rng, 2)  # noqa: E731
    members = [SnapMember(f"m{i}@x.io", pick(), "A", "B", properties={"p": pick(), "q": "v"}) for i in range(3)]
    teams = [SnapTeam("ov1", "T", pick(), None, [f"m0@x.io", pick()], [])]
    snap = Snapshot(members, teams, {}, protected=[pick()] if rng.random() < 0.5 else [])
    try:
        expected = _reference(snap.to_dict()) + "\n"
    except (TypeError, ValueError):
        return  # json refuses it too (a tuple key): nothing to compare
    assert snapshot_to_json(snap) == expected


def test_pull_text_keeps_the_extra_section_last() -> None:
    snap = read_snapshot(STATES[0])
    extra = {"not_visible": {"members": ["external_id"]}}
    assert snapshot_to_json(snap, extra) == _reference({**snap.to_dict(), **extra}) + "\n"
