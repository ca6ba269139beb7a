"""Renderers: they only read a finished plan (or org), never change it.

The formats of ``ovctl plan --format`` are registered here by name -> module. A plan renderer is a
module with ``render(plan, *, color=False, mask_emails=False) -> str`` (options a format does not
support are ignored). Adding a format is one new module plus one line in ``PLAN_FORMATS``; the CLI
builds its ``--format`` choices from this table.

Modules are imported on first use, so reading the names (``ovctl --help``) loads no renderer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ovctl.core.model import Plan

PLAN_FORMATS: dict[str, str] = {
    "text": "ovctl.render.text",
    "json": "ovctl.render.json_",
    "markdown": "ovctl.render.markdown",
}


class PlanRenderer(Protocol):
    def __call__(self, plan: Plan, *, color: bool = False, mask_emails: bool = False) -> str: ...


def plan_format_names() -> tuple[str, ...]:
    return tuple(PLAN_FORMATS)


def plan_renderer(fmt: str) -> PlanRenderer:
    """The ``render`` function of a plan format; an unknown name is a usage error naming the known ones."""
    module = PLAN_FORMATS.get(fmt)
    if module is None:
        from ovctl.core.errors import UsageError

        names = list(PLAN_FORMATS)
        listed = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        raise UsageError(f"unknown plan format {fmt!r}: use {listed}")
    render: PlanRenderer = importlib.import_module(module).render
    return render


def render_plan(plan: Plan, fmt: str, *, color: bool = False, mask_emails: bool = False) -> str:
    """The plan in one of the formats of ``ovctl plan --format``."""
    return plan_renderer(fmt)(plan, color=color, mask_emails=mask_emails)
