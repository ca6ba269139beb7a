"""ovctl's CLI run in-process, as a test calls it: arguments in, (exit code, stdout, stderr) out."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterable, Mapping

from ovctl.cli import main


def run_cli(args: Iterable[str], env: Mapping[str, str] | None = None,
            drop: Iterable[str] = ()) -> tuple[int, str, str]:
    """``ovctl ARGS`` with ``env`` set and the variables in ``drop`` unset for the call only (typer
    reads option variables such as OVCTL_ENDPOINT from the process environment)."""
    env = dict(env or {})
    saved = {k: os.environ.get(k) for k in (*env, *drop)}
    for k in drop:
        os.environ.pop(k, None)
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(list(args))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return rc, out.getvalue(), err.getvalue()
