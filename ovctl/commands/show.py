"""``ovctl show PLANFILE``: a saved plan, rendered as ``ovctl plan`` rendered it (text, JSON, markdown).

Nothing is read but the file: no org, no account, no key. The plan JSON the file embeds is rebuilt
into a typed plan (``ovctl.core.plandata``) and its sync bodies decoded, so the renderers of the
registry print it exactly as they print a fresh plan. Where it came from (tool version, time,
endpoint, org paths) goes to stderr, so stdout is only the rendered plan.
"""

from __future__ import annotations

from pathlib import Path

from ovctl.console import Console
from ovctl.core.errors import OvctlError, PlanFileError
from ovctl.exitcodes import ExitCode
from ovctl.render import plan_renderer


def run(path: Path, *, fmt: str, mask_emails: bool, console: Console) -> int:
    from ovctl.account import wire
    from ovctl.core.plandata import plan_from_data
    from ovctl.files.planfile import load_plan

    render = plan_renderer(fmt)  # an unknown format is a usage error before the file is read
    saved = load_plan(Path(path))
    fl = wire.flavor(saved.flavor)
    payloads = []
    for i, body in enumerate(saved.payloads):
        try:
            payloads.append(wire.decode_payload(body, fl)[0])
        except OvctlError as e:
            raise PlanFileError(f"{path}: field 'payloads[{i}]' is not a sync body: {e}") from None
    try:
        plan = plan_from_data(saved.plan, payloads)
    except OvctlError as e:
        raise PlanFileError(f"{path}: {e}") from None
    console.write(render(plan, color=console.color(), mask_emails=mask_emails))
    if saved.org_base is not None and saved.base_dir is not None:  # as stored: relative to their base
        orgs = ", ".join(p.relative_to(saved.base_dir).as_posix() for p in saved.org_paths)
        orgs += f" (relative to the {saved.org_base} root)" if saved.org_base == "repository" else \
            " (relative to the directory the plan was made in)"
    else:
        orgs = ", ".join(p.as_posix() for p in saved.org_paths)
    console.warn(f"Saved plan made by ovctl {saved.version}{' at ' + saved.created_at if saved.created_at else ''} "
                 f"({saved.flavor}{', ' + saved.endpoint if saved.endpoint else ''}) for {orgs}; apply it with: "
                 f"ovctl apply {path}")
    return ExitCode.OK
