"""A week of HRIS changes for the re-import tests: the joiners and the team lists that follow."""

from __future__ import annotations

import copy
import random
from typing import Any


def add_joiners(rng: random.Random, snap: Any, new: Any, members: list[Any]) -> None:
    """Joiners copied from ``snap`` (some without an external id: derived, commented), then ``new``'s
    members set to ``members`` and its teams' lists kept to them; the last three join a team."""
    for n in range(rng.randint(0, 6)):
        joiner = copy.deepcopy(rng.choice(snap.members))
        joiner.email = f"joiner{n}.{rng.randint(0, 999)}@bench.example"
        joiner.external_id = None if rng.random() < 0.5 else f"J{n}{rng.randint(0, 999)}"
        members.append(joiner)
    new.members = members
    keep = {m.email.lower() for m in members}
    for t in new.teams:
        t.members = [e for e in t.members if e.lower() in keep]
        t.managers = [e for e in t.managers if e.lower() in keep]
    for m in members[len(members) - 3:]:
        rng.choice(new.teams).members.append(m.email)
