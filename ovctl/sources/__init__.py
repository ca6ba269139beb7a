"""Sources of desired state for ``ovctl import``: the account, a snapshot, the official CSV files,
an HRIS export. Each turns what it reads into an ``Imported`` org that the org writer
(``ovctl.files.orgwriter``) writes as YAML. Adapters: they may read files and the account."""

from __future__ import annotations

from dataclasses import dataclass, field

from ovctl.core.errors import Problem
from ovctl.core.model import Org


@dataclass(slots=True)
class Imported:
    """An org read from a source, with what the writer must say about it.

    ``derived`` names every id ovctl made up because the source had none:
    ``("member" | "team", id) -> why`` (written as a YAML comment beside the id, so a reviewer
    knows the id is ovctl's and must stay stable). ``warnings`` are non-fatal findings (file:line).
    """

    org: Org
    derived: dict[tuple[str, str], str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
