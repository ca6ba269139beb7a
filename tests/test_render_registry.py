"""The plan formats: one registry, which the CLI offers and ``plan --format`` dispatches through."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from render_samples import guarded_plan

from ovctl.cli import typer_app as cli
from ovctl.core.errors import UsageError
from ovctl.render import PLAN_FORMATS, plan_format_names, plan_renderer, render_plan


def test_cli_offers_exactly_the_registered_formats():
    assert [f.value for f in cli.PlanFormat] == list(PLAN_FORMATS) == list(plan_format_names())
    assert set(PLAN_FORMATS) == {"text", "json", "markdown"}


@pytest.mark.parametrize("fmt", list(PLAN_FORMATS))
def test_every_registered_renderer_takes_the_plan_and_the_common_options(fmt):
    out = plan_renderer(fmt)(guarded_plan(), color=False, mask_emails=False)
    assert isinstance(out, str) and out.endswith("\n") and "Globex" in out
    assert render_plan(guarded_plan(), fmt) == out


def test_registry_dispatches_options_to_the_renderers_that_use_them():
    from ovctl.render import markdown, text

    plan = guarded_plan()
    assert render_plan(plan, "text", color=True) == text.render(plan, color=True)
    assert render_plan(plan, "markdown", mask_emails=True) == markdown.render(plan, mask_emails=True)
    assert json.loads(render_plan(plan, "json", color=True, mask_emails=True)) == plan.data()


def test_unknown_format_is_a_usage_error_naming_the_known_ones():
    with pytest.raises(UsageError, match="unknown plan format 'xml': use text, json or markdown"):
        plan_renderer("xml")


def test_reading_the_format_names_imports_no_renderer():
    code = ("import json, sys; import ovctl.cli.typer_app; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('ovctl.render'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["ovctl.render"]
