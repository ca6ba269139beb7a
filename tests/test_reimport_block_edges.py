"""Re-import's text merge of block-style members at its edges, against the round trip, byte for byte.

Hypothesis writes small org files whose members are block entries (or flow lines) with odd scalars
(quoted either way, keywords, numbers, dates, ``#`` and ``:`` in values, end-of-line comments,
``properties`` flow or block, blank and comment lines after an entry) and an account that changes some of them to odd values, drops some
and adds joiners; ``merge_into`` must give what ``_merge(..., splice_members=False)`` gives (or
raise the same error). Hand-made cases pin the shapes the text merge declines.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ovctl.core.model import Member, Org, Team
from ovctl.files import orgwriter, splice
from ovctl.files.orgfile import check_org
from ovctl.sources import Imported

_WORDS = ["Ana", "Núñez", "O'Brien", "true", "null", "12", "007", "2012-04-05", "a: b", "x #y", "C# dev",
          "-lead", "Dev Ops", "é", "[x]", "{y}", "yes", "~", "a,b", "Q&A", "1.5", "Ann 'the' B", 'say "hi"']
_WORD = st.sampled_from(_WORDS)
_PROPS = "properties:\n  Level: {type: numeric}\n  Hire Date: {type: date}\n  Note: {type: text}\n"
_PROP_VALUES = {"Level": ["0", "7", "-3", "12", "1.5", "-0", "007"], "Hire Date": ["2012-04-05", "2020-02-29"],
                "Note": _WORDS}


def _scalar(value: str, flow: bool = False) -> st.SearchStrategy[str]:
    """``value`` written as ruamel would (most often), or plain, single- or double-quoted."""
    canonical = orgwriter.yaml_scalar(value, flow)
    return st.sampled_from([canonical, canonical, canonical, value, "'" + value.replace("'", "''") + "'",
                            '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'])


@st.composite
def _entry(draw: st.DrawFn, n: int) -> str:
    fields = [("id", f"E{n}"), ("email", f"e{n}@x.example"), ("first_name", draw(_WORD)),
              ("last_name", draw(_WORD))]
    if draw(st.booleans()):
        fields.append(("job_title", draw(_WORD)))
    if draw(st.booleans()):
        fields.append(("language", draw(st.sampled_from(["fr", "en", "es"]))))
    if draw(st.integers(0, 4)) == 0:
        fields = draw(st.permutations(fields))
    style = draw(st.sampled_from(["flow", "block", "block", "block-props"]))
    written = [(k, draw(_scalar(v, style == "flow")) if k not in ("id", "email") or draw(st.integers(0, 4)) == 0
                else v) for k, v in fields]
    props = [(k, draw(st.sampled_from(_PROP_VALUES[k]))) for k in _PROP_VALUES if draw(st.booleans())]
    props = [(k, draw(_scalar(v, style != "block-props")) if k == "Note" else v) for k, v in props]
    if style == "flow":
        inner = ", ".join(f"{k}: {v}" for k, v in written)
        if props:
            inner += ", properties: {" + ", ".join(f"{k}: {v}" for k, v in props) + "}"
        return "  - {" + inner + "}" + draw(st.sampled_from(["", "", "  # flow"])) + "\n"
    lines = [f"{k}: {v}" for k, v in written]
    if props and style == "block-props":
        lines.append("properties:")
        lines += [f"  {k}: {v}" for k, v in props]
    elif props:
        lines.append("properties: {" + ", ".join(f"{k}: {v}" for k, v in props) + "}")
    if draw(st.integers(0, 2)) == 0:  # end-of-line comments
        lines = [line + draw(st.sampled_from(["", "", "  # c", " # d", "     # e"])) for line in lines]
    tail = draw(st.sampled_from(["", "", "", "\n", "  # between\n", "\n# column 0\n\n"]))
    return "  - " + "\n    ".join(lines) + "\n" + tail


@st.composite
def _case(draw: st.DrawFn) -> tuple[str, list[tuple[str, object]], int]:
    n = draw(st.integers(1, 6))
    text = "version: 1\norganization: X\n" + _PROPS + "members:\n" + "".join(draw(_entry(i)) for i in range(n))
    ids = [f"E{i}" for i in range(n)]
    if draw(st.booleans()):
        listed = "    members: [" + ", ".join(ids) + "]\n"
    else:
        listed = "    members:\n" + "".join(f"      - {draw(_scalar(i))}\n" for i in ids)
    text += "teams:\n  - id: T\n    name: T\n" + listed + draw(st.sampled_from(["", "", "\n", "    # end\n"]))
    text += "  - id: U\n    name: U\n    managers:\n      - E0\n"
    edits = draw(st.lists(st.tuples(st.sampled_from(["leave", "first_name", "last_name", "job_title", "language",
                                                     "email", "prop", "noprops"]), st.integers(0, n - 1)),
                          max_size=4))
    return text, edits, draw(st.integers(0, 3))


def _imported(existing: Org, edits: list[tuple[str, int]], joiners: int, values: list[str]) -> Imported:
    members = {m.id: copy.deepcopy(m) for m in existing.members}
    for (what, i), value in zip(edits, values):
        m = members.get(f"E{i}")
        if m is None:
            continue
        if what == "leave":
            del members[m.id]
        elif what == "email":
            m.email = f"new{i}@x.example"
        elif what == "prop":
            name = sorted(_PROP_VALUES)[len(value) % 3]
            m.properties = {**m.properties, name: _PROP_VALUES[name][len(value) % len(_PROP_VALUES[name])]}
        elif what == "noprops":
            m.properties = {}
        else:
            setattr(m, what, None if what in ("job_title", "language") and value == "null" else value)
    derived: dict[tuple[str, str], str] = {}
    for j in range(joiners):
        members[f"J{j}"] = Member(id=f"J{j}", email=f"j{j}@x.example", first_name=values[j % len(values)] if values
                                  else "J", last_name="Joiner", language="fr" if j % 2 else None)
        if j % 2 == 0:
            derived[("member", f"J{j}")] = f"from the e-mail j{j}@x.example"
    org = Org(organization=existing.organization, properties=existing.properties, members=list(members.values()),
              teams=[Team(id="T", name="T", members=list(members)),
                     Team(id="U", name="U", managers=[x for x in members if x in ("E0", "J0")])])
    return Imported(org=org, derived=derived)


def _outcome(fn, *args, **kwargs) -> object:  # type: ignore[no-untyped-def]
    try:
        return fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the same error either way is the point
        return (type(e).__name__, str(e))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(_case(), st.lists(_WORD, min_size=4, max_size=4))
def test_hypothesis_block_merges(tmp_path: Path, case: tuple[str, list[tuple[str, int]], int],
                                 values: list[str]) -> None:
    text, edits, joiners = case
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    existing = check_org([path])
    assume(not existing.errors and existing.org is not None)
    assert existing.org is not None
    fast_in = _imported(existing.org, edits, joiners, values)
    slow_in = copy.deepcopy(fast_in)
    fast = _outcome(orgwriter.merge_into, fast_in, path, directory=False)
    slow = _outcome(orgwriter._merge, slow_in, path, directory=False, splice_members=False)
    assert fast == slow
    assert fast_in.derived == slow_in.derived


# --------------------------------------------------------------------------- hand-made

_HEAD = "version: 1\norganization: X\nmembers:\n"
_TEAMS = "teams:\n  - id: T\n    name: T\n    members: [A, B]\n"
_A = "  - id: A\n    email: a@x.example\n    first_name: A\n    last_name: A\n"
_B = "  - id: B\n    email: b@x.example\n    first_name: B\n    last_name: B\n"


def _org(*members: Member) -> Imported:
    return Imported(org=Org(organization="X", members=list(members),
                            teams=[Team(id="T", name="T", members=[m.id for m in members])]))


def _both(path: Path, imported: Imported) -> tuple[object, object]:
    return (_outcome(orgwriter.merge_into, copy.deepcopy(imported), path, directory=False),
            _outcome(orgwriter._merge, copy.deepcopy(imported), path, directory=False, splice_members=False))


_AM = Member(id="A", email="a@x.example", first_name="A", last_name="A")
_BM = Member(id="B", email="b@x.example", first_name="B", last_name="B")


@pytest.mark.parametrize("members", [
    _A + "    # indented\n" + _B,  # a comment line among an entry's keys
    "  # first\n" + _A + _B,  # a comment before the first entry
    _A + "    properties: {L: x}\n\n" + _B,  # a blank line after a flow mapping: the next item's
    _A + "    properties: {L: x}  # c\n  # more\n" + _B,
    "  - {id: A, email: a@x.example, first_name: A, last_name: A}\n\n" + _B,  # after a flow line
    _A + "    job_title:\n\n" + _B,  # after a key without a value
    "  - id: A\n    <<: {email: a@x.example}\n    first_name: A\n    last_name: A\n" + _B,
    _A.replace("email: a@x.example", "email: &e a@x.example") + _B,
    "  - id: A\n      B\n    email: a@x.example\n    first_name: A\n    last_name: A\n" + _B,  # id continued
    _A.replace("first_name: A", "first_name: |\n      A") + _B,
    _A.replace("first_name: A", "first_name:\tA") + _B,
    "- id: A\n  email: a@x.example\n  first_name: A\n  last_name: A\n" + _B.replace("\n  ", "\n"),  # not indented
    "  -   id: A\n      email: a@x.example\n      first_name: A\n      last_name: A\n" + _B,
])
def test_declined_shapes(tmp_path: Path, members: str) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(_HEAD + members + _TEAMS, encoding="utf-8")
    imported = _org(_AM, Member(id="B", email="b@x.example", first_name="Bea", last_name="B"))
    assert splice.cut_members(path.read_text(encoding="utf-8")) is None
    fast, slow = _both(path, imported)
    assert fast == slow


@pytest.mark.parametrize("members", [
    "  - id: A\n    email:\n      a@x.example\n    first_name: A\n    last_name: A\n" + _B,  # a value below
    "  - id: A\n    email: a@x.example\n    first_name: 'A'\n    last_name: \"A\"\n" + _B,
    "  - {id: A, email: a@x.example, first_name: A, last_name: A}  # flow\n" + _B,
    _A + "  - {id: B, email: b@x.example, first_name: B, last_name: B}\n",
    _A + "    job_title: Dev\n      Ops\n" + _B,  # a plain value continued
    _A + "\n" + _B,  # a blank line after an entry ending with a scalar: that entry's
    _A + "  # about B\n\n" + _B,
    _A + "    job_title: 'x #y'  # c\n# col 0\n" + _B,
    _A + _B + "# after the section\n",
    _A + _B + "\n  # after the section\n\n",
])
def test_taken_shapes(tmp_path: Path, members: str) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(_HEAD + members + _TEAMS, encoding="utf-8")
    changed = _org(Member(id="A", email="a@x.example", first_name="A", last_name="Z"),
                   Member(id="B", email="b@x.example", first_name="Bea", last_name="B"))
    joined = _org(_AM, _BM, Member(id="C", email="c@x.example", first_name="C", last_name="C"))
    joined.derived[("member", "C")] = "from the e-mail c@x.example"
    for imported in (_org(_AM, _BM), changed, _org(_AM), _org(_BM), joined):  # same, changed, leavers, joiner
        orgwriter._merge(copy.deepcopy(imported), path, directory=False, splice_members=True)  # no SpliceFailed
        fast, slow = _both(path, imported)
        assert fast == slow


def test_a_changed_block_keeps_its_comments_and_key_order(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(_HEAD + "  - email: a@x.example  # work address\n    id: A\n    first_name: A\n    last_name: A\n"
                    "    properties:\n      Level: 3  # since May\n" + _B + _TEAMS.replace("[A, B]", "[A, B]"),
                    encoding="utf-8")
    text = path.read_text(encoding="utf-8").replace("version: 1\n", "version: 1\nproperties:\n  Level: {type: numeric}\n")
    path.write_text(text, encoding="utf-8")
    imported = _org(Member(id="A", email="a@x.example", first_name="Ann", last_name="A", job_title="Head: Ops",
                           properties={"Level": "4"}), _BM)
    imported.org = Org(organization="X", properties=check_org([path]).org.properties,  # type: ignore[union-attr]
                       members=imported.org.members, teams=imported.org.teams)
    files, _, _ = orgwriter._merge(copy.deepcopy(imported), path, directory=False, splice_members=True)
    fast, slow = _both(path, imported)
    assert fast == slow
    assert "  - email: a@x.example  # work address\n    id: A\n    first_name: Ann\n    last_name: A\n" \
           "    job_title: 'Head: Ops'\n    properties:\n      Level: 4  # since May\n" in files[path]


@pytest.mark.parametrize("b", [_B, "  - {id: B, email: b@x.example, first_name: B, last_name: B}\n"])
def test_joiners_comment_column_follows_the_last_commented_flow_line_as_read(tmp_path: Path, b: str) -> None:
    """ruamel places a new comment by the column of the last comment it read, even when that line
    was rewritten longer since: the joiners' document starts from the line as read (the text merge
    used to start it from the rewritten line, a column too far)."""
    path = tmp_path / "org.yaml"
    path.write_text(_HEAD + "  - {id: A, email: a@x.example, first_name: A, last_name: A}  # a\n" + b + _TEAMS,
                    encoding="utf-8")
    imported = _org(Member(id="A", email="a@x.example", first_name="A much longer first name", last_name="A"), _BM,
                    Member(id="C", email="c@x.example", first_name="C", last_name="C"))
    imported.derived[("member", "C")] = "from the e-mail c@x.example"
    orgwriter._merge(copy.deepcopy(imported), path, directory=False, splice_members=True)
    fast, slow = _both(path, imported)
    assert fast == slow


@pytest.mark.parametrize("listed", ["    members: [A]\n", "    members:\n      - A\n"])
@pytest.mark.parametrize("after", ["\n", "    # the people\n", ""])
def test_a_removed_team_list_keeps_the_lines_after_it(tmp_path: Path, listed: str, after: str) -> None:
    """Whether the round trip keeps a blank or comment line after a team's list it removes depends
    on the list (after a flow list it is the next item's, after a block list its last id's); a
    placeholder scalar in the list's place always took it away (the flow case differed)."""
    path = tmp_path / "org.yaml"
    path.write_text(_HEAD + _A + "teams:\n  - id: T\n    name: T\n" + listed + after +
                    "  - id: U\n    name: U\n    managers:\n      - A\n", encoding="utf-8")
    imported = Imported(org=Org(organization="X", members=[_AM], teams=[Team(id="T", name="T"),
                                                                        Team(id="U", name="U", managers=["A"])]))
    fast, slow = _both(path, imported)
    assert fast == slow
    assert isinstance(fast, tuple)
