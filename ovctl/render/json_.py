"""The plan as JSON: the stable machine contract of docs/plan.md ("The plan JSON") (``schemas/plan.schema.json``).

The shape itself belongs to the core (``Plan.data``, each change's ``data()``), so the plan file
(``ovctl.files.planfile``) embeds exactly what ``plan --format json`` prints without importing a
renderer. This module only writes it out.
"""

from __future__ import annotations

import json

from ovctl.core.model import Plan
from ovctl.core.shown import json_escaped


def render(plan: Plan, *, color: bool = False, mask_emails: bool = False) -> str:
    """The plan JSON as text: indent 2, UTF-8 characters kept (``ensure_ascii=False``), newline.
    Values are kept exactly; a character that is not printable (C1, bidi, zero-width…, which
    ``json.dumps`` leaves raw) is written as a JSON escape (``\\u202e``), so no raw control
    character reaches a terminal. ``color`` and ``mask_emails`` do not apply to the machine contract and are ignored."""
    return json_escaped(json.dumps(plan.data(), indent=2, ensure_ascii=False)) + "\n"
