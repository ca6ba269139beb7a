"""Re-import's text merge of members (``files/splice.py``) against the round trip, byte for byte.

An existing one-file org (as ``ovctl import`` writes it, then hand-commented) is updated from a
changed account: leavers, joiners (some with derived ids, so new comments), changed names, job
titles, languages and property values, team moves. ``orgwriter.merge_into`` (the text merge when
it applies) must give exactly what the round trip (``_merge(..., splice_members=False)``) gives.
"""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path

import pytest

from ovctl.core.model import Snapshot
from ovctl.files import orgwriter
from ovctl.files.statefile import read_snapshot
from ovctl.sources.snapshot import org_from_snapshot
from support.weeks import add_joiners

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from gen_org import generate
    finally:
        sys.path.pop(0)
    _, state = generate(120, [3, 2], tmp_path_factory.mktemp("gen"))
    return read_snapshot(state)


def _existing(tmp_path: Path, snap: Snapshot, rng: random.Random) -> Path:
    """The org file of ``snap`` as import writes it, with a few hand-written comments."""
    imported = org_from_snapshot(snap, source="s")
    path = tmp_path / "org.yaml"
    (text,) = orgwriter.render_files(imported.org, path, directory=False, derived=imported.derived).values()
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("  - {") and "#" not in line and rng.random() < 0.15:
            lines[i] = line[:-1] + "  # " + rng.choice(["on leave", "contractor", "see HR-12"]) + "\n"
        elif line.startswith("  - {") and ", first_name: " in line and rng.random() < 0.05:
            head, rest = line.split(", first_name: ", 1)  # written by hand, not canonically: quoted
            name, tail = rest.split(", ", 1)
            lines[i] = f"{head}, first_name: '{name}', {tail}"
        elif line.startswith("    members: [") and rng.random() < 0.2:
            lines[i] = line + rng.choice(["    # the team's people\n", "\n", "    # x\n\n"])
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _changed(snap: Snapshot, rng: random.Random) -> Snapshot:
    new = copy.deepcopy(snap)
    members = [m for m in new.members if rng.random() > 0.08]  # leavers
    for m in members:
        r = rng.random()
        if r < 0.05:
            m.job_title = rng.choice([None, "Staff Engineer", "Head: Ops", "O'Neil's aide"])
        elif r < 0.10:
            m.language = rng.choice([None, "fr", "en"])
        elif r < 0.15 and new.properties:
            name = rng.choice(sorted(new.properties))
            if name in m.properties:
                del m.properties[name]
        elif r < 0.18:
            m.last_name = m.last_name + " Jr"
    add_joiners(rng, snap, new, members)  # and some join a team
    if rng.random() < 0.5:
        a, b = rng.sample(new.teams, 2)
        if a.members:
            b.members.append(a.members.pop())
    return new


@pytest.mark.parametrize("seed", range(25))
def test_text_merge_equals_round_trip(tmp_path: Path, base: Snapshot, seed: int) -> None:
    rng = random.Random(seed)
    path = _existing(tmp_path, base, rng)
    after = _changed(base, rng)
    fast_in, slow_in = org_from_snapshot(after, source="s"), org_from_snapshot(after, source="s")
    orgwriter._merge(copy.deepcopy(fast_in), path, directory=False, splice_members=True)  # taken, no fallback
    fast = orgwriter.merge_into(fast_in, path, directory=False)
    slow = orgwriter._merge(slow_in, path, directory=False, splice_members=False)
    assert fast == slow
    if fast[0]:  # the second run changes nothing
        path.write_text(fast[0][path], encoding="utf-8")
        again = orgwriter.merge_into(org_from_snapshot(after, source="s"), path, directory=False)
        assert again[0] == {}


def test_comment_of_the_member_after_a_leaver_is_kept(tmp_path: Path) -> None:
    """ruamel's own delete already drops a leaver's comment entry; the old merge dropped one more
    (the next member's)."""
    path = tmp_path / "org.yaml"
    path.write_text("version: 1\norganization: X\nmembers:\n"
                    "  - {id: A, email: a@x.example, first_name: A, last_name: A}  # a\n"
                    "  - {id: B, email: b@x.example, first_name: B, last_name: B}  # b\n"
                    "teams:\n  - id: T\n    name: T\n    members: [A, B]\n", encoding="utf-8")
    from ovctl.core.model import Member, Org, Team
    from ovctl.sources import Imported

    org = Org(organization="X", members=[Member(id="B", email="b@x.example", first_name="B", last_name="B")],
              teams=[Team(id="T", name="T", members=["B"])])
    for splice_members in (True, False):
        files, _, _ = orgwriter._merge(Imported(org=org), path, directory=False, splice_members=splice_members)
        assert "members:\n  - {id: B, email: b@x.example, first_name: B, last_name: B}  # b\nteams:" in files[path]
