"""``ovctl render``: the exact sync payload(s) as files, nothing sent.

Render plans against an empty account (no snapshot is read), so it always writes one sync: the
final payload. A ``previous_name`` rename, which ``apply`` sends in two syncs (old name first, to
attach the id), is rendered as that final payload; run ``ovctl plan --out FILE`` to keep both
bodies. This module must not import the HTTP stack: rendering can never send anything.
"""

from __future__ import annotations

import json
from pathlib import Path

from ovctl.account import wire
from ovctl.console import Console
from ovctl.exitcodes import ExitCode
from ovctl.files.atomic import atomic_write_text
from ovctl.core.model import Snapshot


def run(paths: list[Path], *, out: Path, flavor: str, fmt: str, console: Console) -> int:
    from ovctl.files.csvout import write_csv_files
    from ovctl.files.orgfile import load_org
    from ovctl.core.payload import build_payloads

    fl = wire.flavor(flavor)
    loaded = load_org(paths)
    for w in loaded.warnings:
        console.warn(str(w))
    org = loaded.org
    payloads = build_payloads(org, Snapshot())
    out = Path(out)
    _make_out_dir(out)
    many = len(payloads) > 1
    written: list[Path] = []
    for n, payload in enumerate(payloads, start=1):
        if fmt == "json":
            body = wire.encode_payload(payload, fl, invite_new_users=False)
            path = out / (f"payload-{n}.json" if many else "payload.json")
            atomic_write_text(path, json.dumps(body, ensure_ascii=False, indent=2) + "\n")
            written.append(path)
        elif fmt == "csv":
            written.extend(write_csv_files(out / f"sync-{n}" if many else out, payload, flavor, list(org.properties)))
        else:
            from ovctl.core.errors import UsageError

            raise UsageError(f"unknown render format {fmt!r}: use json or csv")
    for path in written:
        console.warn(f"wrote {path}")
    console.warn(f"{len(written)} file(s) written for {len(payloads)} sync(s), flavor {fl.name}; nothing was sent.")
    return ExitCode.OK


def _make_out_dir(out: Path) -> None:
    """Create the output directory (with its parents); any failure is one clean OutputError."""
    from ovctl.core.errors import OutputError

    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: is a file; --out names a directory to write the payload files into")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out}: cannot create the output directory: {e.strerror or e}") from None
