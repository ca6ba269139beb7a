"""The line reader (``files/fastyaml``) against the event reader: same values, types and positions,
or it declines (and the event reader reads the file, problems and all).

Differential over every YAML file of the repository, generated orgs (block and flow members), and
documents generated in the subset and just outside it (hypothesis, derandomised); then each
fall-back trigger, the switch that forces the event reader, and the compact positions' accessors.
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovctl.core.positions import MarkedDict, MarkedList, key_pos, node_pos, value_pos
from ovctl.files import fastyaml, yamlsource
from ovctl.files.fastyaml import Declined
from ovctl.files.yamlsource import parse_yaml, read_yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("OVCTL_FUZZ_EXAMPLES", "300"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("OVCTL_FUZZ_RANDOM"),
                    database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def dump(value: Any) -> Any:
    """Everything a reader gives: values with their types, every position."""
    if isinstance(value, MarkedDict):
        return ("map", value.pos, [(type(k).__name__, k, key_pos(value, k), value_pos(value, k), dump(v))
                                   for k, v in value.items()])
    if isinstance(value, MarkedList):
        return ("seq", value.pos, [(value_pos(value, i), dump(v)) for i, v in enumerate(value)])
    return (type(value).__name__, value)


def lines_reader(text: str) -> Any:
    return yamlsource._read_lines(text, "x.yaml", yamlsource._yaml())


def agree(text: str) -> bool:
    """Assert the line reader declines or equals the event reader (which then finds no problem);
    True when it read the text itself."""
    try:
        fast = lines_reader(text)
    except Declined:
        return False
    slow, problems = parse_yaml(text, "x.yaml", reader="events")
    assert problems == [], (text, problems)
    assert dump(fast) == dump(slow), text
    return True


# ------------------------------------------------------------------------------- files and orgs


def repo_yaml_files() -> list[Path]:
    found = [p for d in ("examples", "tests", "schemas", "docs") for p in (ROOT / d).rglob("*")
             if p.suffix in (".yaml", ".yml") and p.is_file()]
    return sorted(found + [p for p in ROOT.glob("*.y*ml")])


@pytest.mark.parametrize("path", repo_yaml_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_repository(path: Path) -> None:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return  # the event reader reports it; the line reader never sees undecodable bytes
    agree(text)
    data, problems = read_yaml(path)  # and the whole path (line reader first) equals the event reader
    slow, slow_problems = parse_yaml(text, str(path), reader="events")
    assert dump(data) == dump(slow) and problems == slow_problems


def test_the_examples_are_read_by_the_line_reader() -> None:
    for path in [ROOT / "examples" / "org.yaml", *sorted((ROOT / "examples" / "org-split").glob("*.yaml"))]:
        assert agree(path.read_text(encoding="utf-8")), path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_org import generate

    out = tmp_path_factory.mktemp("gen")
    generate(600, [4, 3, 3], out, seed=7)
    return out / "org.yaml"


def test_a_generated_org_block_members(generated: Path) -> None:
    assert agree(generated.read_text(encoding="utf-8"))


def test_a_generated_org_flow_members(generated: Path) -> None:
    """The same org with one flow mapping per member (the examples' layout), quoted names included."""
    data, _ = parse_yaml(generated.read_text(encoding="utf-8"), "g", reader="events")
    out = ["version: 1", "organization: 'Bench Corp'", "members:"]
    for m in data["members"]:
        props = ", ".join(f"{k}: {v.isoformat() if isinstance(v, datetime.date) else v}"
                          for k, v in m["properties"].items())
        out.append(f"  - {{id: {m['id']}, email: {m['email']}, first_name: '{m['first_name']}', "
                   f"last_name: \"{m['last_name']}\", language: {m['language']}, properties: {{{props}}}}}  # note")
    out.append("teams:")
    for t in data["teams"]:
        out.append(f"- {{id: {t['id']}, name: {t['name']}, managers: [{', '.join(t['managers'])}]}}")
    assert agree("\n".join(out) + "\n")


# ------------------------------------------------------------------------- generated documents

_ALPHABET = "abcXYZ019 -_.:#'\"{}[],&*!|>%@`?~<=\\/éø😀\u00a0\u3000\u200b\u2003"
_WORDS = ["id", "name", "E1", "true", "no", "null", "~", "1", "0x1F", "1_000", "-3", "+4", ".5", "1e3", "2019-04-01",
          "2019-02-30", "2001-12-14 21:59:43.10", "<<", "=", "a b", "a  b", "a:b", "a: b", "a #b", "a#b", "C#",
          "x,y", "[x]", "{x}", "'q'", "\"d\"", "it's", "Zoé", "😀", "-", "- x", "?", ": x", "", " ", "a ", "0o17",
          "NaN", ".inf", "1.0", "12:30", "yes", "Null", "FALSE", "@x", "%x", "`x`", "|", ">", "!x", "&a", "*a",
          "a\u00a0", "\u00a0a", "\u3000", "x" * 1030, "2019-4-1", "2019-04-01T10:00:00Z", "007", "0", "-0", "0b1"]

# words the line reader reads (in the right places), for documents inside the subset
_CLEAN = ["id", "name", "E1", "Zoé Côté", "a  b", "😀x", "1", "42", "-", "2019-04-01", "1.5", "true", "False", "null",
          "~", "x-y", "C#", "a:b", "it's", "x]", "{x", "a,b", "Hire Date", "0x1f", "1e3", "yes", "E1001",
          "a\u00a0b", "007", "0", "2019-4-1", "10"]
scalar_text = st.one_of(st.sampled_from(_WORDS), st.text(alphabet=_ALPHABET, min_size=1, max_size=8))


@st.composite
def scalar(draw: Any, clean: bool = False) -> str:
    """A scalar as written: plain, single-quoted or double-quoted (whatever the text holds)."""
    text = draw(st.sampled_from(_CLEAN) if clean else scalar_text)
    style = draw(st.sampled_from(["plain", "plain", "plain", "single", "double"]))
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return '"' + text + '"'
    return text


@st.composite
def flow(draw: Any, depth: int = 0, clean: bool = False) -> str:
    sep = draw(st.sampled_from([", ", ", ", " , ", ",  "] if clean else [", ", ",", " , ", ",  "]))
    n = draw(st.integers(0, 3))
    items = [draw(flow(depth + 1, clean)) if depth < 2 and draw(st.booleans()) and draw(st.booleans())
             else draw(scalar(clean)) for _ in range(n)]
    if draw(st.booleans()):
        keys = [draw(scalar(clean)) for _ in range(n)]
        colon = draw(st.sampled_from([": ", ":  "] if clean else [": ", ":  ", ":"]))
        inner = sep.join(f"{k}{colon}{v}" for k, v in zip(keys, items))
        return "{" + draw(st.sampled_from(["", " "])) + inner + "}"
    return "[" + sep.join(items) + draw(st.sampled_from(["", " "])) + "]"


@st.composite
def value(draw: Any, clean: bool = False) -> str:
    v = draw(st.one_of(scalar(clean), flow(clean=clean)))
    return v + draw(st.sampled_from(["", "", " ", "  # c", " #c"] + ([] if clean else ["#c"])))


@st.composite
def block(draw: Any, indent: int, depth: int = 0, clean: bool = False) -> list[str]:
    """The lines of a block mapping or sequence at ``indent`` spaces."""
    pad = " " * indent
    out: list[str] = []
    is_seq = draw(st.booleans())
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 6)) == 0:
            out.append(draw(st.sampled_from(["", pad + "# comment", "   ", "#"])))
        head = pad + ("-" + " " * draw(st.integers(1, 2)) if is_seq else "")
        if is_seq and draw(st.booleans()):
            out.append(head + draw(value(clean)))
            continue
        key = draw(scalar(clean))
        colon = draw(st.sampled_from([": ", ": ", ":  ", ":"]))
        key_col = len(head)
        if depth < 3 and draw(st.booleans()):  # a nested block (or nothing: null)
            out.append(head + key + ":" + draw(st.sampled_from(["", " ", " # c"])))
            nested = draw(st.sampled_from(["deeper", "deeper", "same", "none"]))
            if nested == "deeper":
                out.extend(draw(block(key_col + draw(st.integers(1, 3)), depth + 1, clean)))
            elif nested == "same":
                out.extend(draw(block(key_col, depth + 1, clean)))
        else:
            out.append(head + key + colon + draw(value(clean)))
        if is_seq and draw(st.booleans()):  # more keys of the item's mapping
            out.append(" " * key_col + draw(scalar(clean)) + ": " + draw(value(clean)))
    return out


@st.composite
def document(draw: Any, clean: bool = False) -> str:
    lines = draw(block(0, clean=clean))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@SETTINGS
@given(document())
def test_generated_documents(text: str) -> None:
    agree(text)


@SETTINGS
@given(document(clean=True))
def test_generated_documents_in_the_subset(text: str) -> None:
    agree(text)


_NOISE = "\t\r\n -:#'\"{}[],&*!|>%@`?\\\ufeff\x00\x85\u2028é"


@SETTINGS
@given(document(), st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["insert", "delete", "dup"]),
                                      st.sampled_from(list(_NOISE))), min_size=1, max_size=3))
def test_documents_near_the_subset(text: str, edits: list[tuple[int, str, str]]) -> None:
    """A character inserted or deleted, a line doubled: still declined or read the same."""
    for at, kind, char in edits:
        at %= len(text) + 1
        if kind == "insert":
            text = text[:at] + char + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + 1:]
        else:
            lines = text.split("\n")
            i = at % len(lines)
            text = "\n".join(lines[:i + 1] + lines[i:])
    agree(text)


def test_the_generators_reach_the_line_reader() -> None:
    """The generated documents are not all declined (the differential test would prove nothing)."""
    read = 0

    @settings(max_examples=200, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(document(clean=True))
    def count(text: str) -> None:
        nonlocal read
        read += agree(text)

    count()
    assert read >= 50


# --------------------------------------------------------------------------------- fall-backs

_DEEP = fastyaml.MAX_BLOCK_DEPTH + 1
FALLBACKS = {
    "anchor and alias": "a: &x 1\nb: *x\n",
    "merge key": "base: &b {x: 1}\nm:\n  <<: *b\n",
    "plain merge key": "<<: 1\n",
    "tag": "a: !!str 1\n",
    "local tag": "a: !x 1\n",
    "duplicate key": "a: 1\na: 2\n",
    "duplicate key in flow": "a: {x: 1, x: 2}\n",
    "block scalar": "a: |\n  text\n",
    "folded scalar": "a: >\n  text\n",
    "multi-line plain": "a: one\n  two\n",
    "multi-line quoted": "a: 'one\n  two'\n",
    "escape": 'a: "x\\ty"\n',
    "tab": "a:\t1\n",
    "carriage return": "a: 1\r\nb: 2\r\n",
    "flow over lines": "a: [1,\n  2]\n",
    "document start": "---\na: 1\n",
    "document end": "a: 1\n...\n",
    "directive": "%YAML 1.2\n---\na: 1\n",
    "bom": "\ufeffa: 1\n",
    "nul": "a: x\x00y\n",
    "control character": "a: x\x07y\n",
    "next line": "a: x\x85y\n",
    "odd indentation": "a:\n    b: 1\n  c: 2\n",
    "key where an item is due": "a:\n  - 1\n  b: 2\n",
    "empty item": "a:\n  -\n  - 1\n",
    "bare scalar line": "a:\n  text\n",
    "root scalar": "text\n",
    "indented root": "  a: 1\n",
    "empty document": "# nothing\n",
    "nested item": "- - 1\n",
    "non-string key": "1: a\n",
    "null key": "null: a\n",
    "colon in a plain scalar": "a: b: c\n",
    "invalid date": "a: 2019-02-30\n",
    "explicit key": "? a\n: 1\n",
    "flow key without value": "a: {x}\n",
    "trailing comma": "a: [1, 2, ]\n",
    "text after a quoted value": "a: 'x'y\n",
    "comment without a space": "a: 'x'#c\n",
    "too deep": "".join(" " * i + "k:\n" for i in range(_DEEP)) + " " * _DEEP + "k: 1\n",
}


@pytest.mark.parametrize("name", sorted(FALLBACKS))
def test_each_fallback_trigger_falls_back(name: str) -> None:
    text = FALLBACKS[name]
    with pytest.raises(Declined):
        lines_reader(text)
    assert [(dump(d), p) for d, p in [parse_yaml(text, "x.yaml")]] == \
        [(dump(d), p) for d, p in [parse_yaml(text, "x.yaml", reader="events")]]


def test_a_problem_is_still_reported_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text("members:\n  - id: E1\n    id: E2\n")
    _, problems = read_yaml(path, "org.yaml")
    assert [(p.line, p.column, p.code) for p in problems] == [(3, 5, "duplicate_key")]


def test_the_switch_forces_the_event_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[str] = []
    real = fastyaml.read

    def spy(*args: Any) -> Any:
        called.append("lines")
        return real(*args)

    monkeypatch.setattr(fastyaml, "read", spy)
    parse_yaml("a: 1\n", "x.yaml")
    assert called == ["lines"]
    monkeypatch.setenv(yamlsource.READER_ENV, "events")
    data, _ = parse_yaml("a: 1\n", "x.yaml")
    assert called == ["lines"] and data == {"a": 1}


def test_the_written_out_resolver_table_is_ruamels() -> None:
    """The line reader resolves without ruamel: its table of first characters and its null/bool
    words must be exactly what the event reader's resolver and constructor make of them."""
    assert yamlsource._Builder("x", yamlsource._yaml())._first_chars() == yamlsource.FIRST_CHARS_12
    for word, value in yamlsource._WORDS.items():
        for text in (f"a: {word}\n", f"a: [{word}]\n", f"a: {{b: {word}}}\n", f"- {word}\n"):
            assert agree(text), text
        slow, _ = parse_yaml(f"a: {word}\n", "x.yaml", reader="events")
        assert slow["a"] is value


@pytest.mark.parametrize("text", ["a: 1.5\n", "a: [.inf, -1, 0x1F, 1_000]\n", "a: {b: 2001-12-14t21:59:43.10-05:00}\n",
                                  "- =\n", "- +1\n", "a: nULL\n", "a: tRUE\n",
                                  "a: [0.10, 1.50, 12.0, 007.5, 3.]\n", "{floor: ~x, n: <x, Tuesday: nope}\n"])
def test_scalars_left_to_ruamels_resolver_agree(text: str) -> None:
    agree(text)
    data, problems = parse_yaml(text, "x.yaml")
    slow, slow_problems = parse_yaml(text, "x.yaml", reader="events")
    assert (dump(data), problems) == (dump(slow), slow_problems)


# ------------------------------------------------------------------------- compact positions


def test_positions_accessors() -> None:
    data = lines_reader("a: 1\nb:\n  - x\n  - {c: 2}\n")
    assert node_pos(data) == (1, 1) and key_pos(data, "b") == (2, 1) and value_pos(data, "b") == (3, 3)
    items = data["b"]
    assert value_pos(items, 1) == (4, 5) and key_pos(items, 0) == (3, 5) and value_pos(items, 9) == (3, 3)
    assert key_pos(data, "missing") == (1, 1) and value_pos("scalar", 0) == (0, 0) and node_pos(1) == (0, 0)
    built = MarkedDict((7, 2))
    built.put("k", "v", (7, 2), (7, 5))
    assert built.pos == (7, 2) and built.key_pos == {"k": (7, 2)} and built.val_pos == {"k": (7, 5)}
    built["late"] = 1  # added without positions: the mapping's own position, never a wrong one
    assert value_pos(built, "k") == (7, 2)
    big = MarkedList((70_000, 5_000_000))
    big.put(1, (70_000, 5_000_001))
    assert big.pos == (70_000, 5_000_000) and big.item_pos == [(70_000, 5_000_001)]
