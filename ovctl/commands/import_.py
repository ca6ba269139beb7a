"""``ovctl import``: write an org (one file or a directory) from the account, a snapshot, the
official CSV files or an HRIS export; or update an existing org in place (re-import).

Nothing is written unless the whole result validates (``ovctl validate`` rules): the files are
rendered, checked in a temporary directory, then written all together (``orgwriter.write_files``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ovctl.console import Console

from ovctl.core.errors import OutputError, SourceError, UsageError
from ovctl.sources import Imported


def _target(out: Path) -> tuple[Path, bool]:
    """(path, is_directory) of ``--out``: a ``.yaml``/``.yml`` path is one file; any other path
    (an existing directory, or a new one) is a directory org."""
    if out.suffix.lower() in (".yaml", ".yml") and not out.is_dir():
        for parent in out.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise OutputError(f"{out}: cannot write: {parent} is a file, not a directory")
                break
        return out, False
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: an existing file that is not .yaml/.yml; give a .yaml file or a directory")
    return out, True


def read_source(kind: str, *, source: Path | None = None, mapping: Path | None = None, endpoint: str | None = None,
                flavor: str = "workleap", state_file: Path | None = None, organization: str = "",
                ids: Path | None = None, new_ids: bool = False, console: Console | None = None) -> Imported:
    if kind in ("live", "state"):
        from ovctl.sources.ids import attach_ids, read_ids
        from ovctl.sources.snapshot import org_from_snapshot

        console = console or Console()
        id_source = read_ids(Path(ids)) if ids is not None else None  # a broken source: nothing read, nothing written
        if kind == "live":
            from ovctl.files.planfile import default_state_file
            from ovctl.flows.live import fetch_live

            snap, _ = fetch_live(endpoint, flavor, default_state_file([], state_file), console, warn_without_state=True)
            label, default_name = endpoint or "the account", "Imported account"
        else:
            from ovctl.files.statefile import read_snapshot

            assert source is not None
            snap = read_snapshot(source)
            label, default_name = str(source), source.stem
        if id_source is not None:
            n_m, n_t = attach_ids(snap, id_source)
            console.warn(f"--ids {ids}: {n_m} member id(s) and {n_t} team id(s) taken from it")
        return org_from_snapshot(snap, source=label, organization=organization or default_name,
                                 derive_hidden=new_ids, live=kind == "live")
    if kind == "csv":
        from ovctl.sources.csvfiles import read_csv_dir

        assert source is not None
        return read_csv_dir(source, organization=organization)
    if kind == "hris":
        try:
            from ovctl.sources.hris import read_hris  # type: ignore[import-not-found]
        except ImportError:
            raise UsageError("import hris is not available in this build of ovctl") from None
        assert source is not None and mapping is not None
        imported = read_hris(source, mapping)
        if organization:
            imported.org.organization = organization
        return imported
    raise UsageError(f"unknown import source {kind!r}")


def _check_rendered(files: dict[Path, str], out: Path, directory: bool) -> list[str]:
    """Validate the rendered files as ``ovctl validate`` would, before anything is written. Returns
    the warnings; raises SourceError (nothing written) on any error."""
    from ovctl.files.orgfile import check_org

    base = out if directory else out.parent
    with tempfile.TemporaryDirectory(prefix=".ovctl-import-") as tmp:
        root = Path(tmp)
        for path, text in files.items():
            rel = Path(path).relative_to(base) if directory else Path(Path(path).name)
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        result = check_org([root if directory else root / out.name])
        swap = (str(root), str(base)) if directory else (str(root / out.name), str(out))

        def show(p: object) -> str:
            return str(p).replace(*swap)

        if result.errors:
            raise SourceError("the imported org does not validate, nothing was written:\n"
                              + "\n".join(show(p) for p in result.errors))
        return [show(p) for p in result.warnings]


def run(kind: str, *, out: Path, source: Path | None = None, mapping: Path | None = None, endpoint: str | None = None,
        flavor: str = "workleap", state_file: Path | None = None, organization: str = "",
        ids: Path | None = None, new_ids: bool = False, console: Console | None = None) -> int:
    from ovctl.files import orgwriter

    console = console or Console()
    out = Path(out)
    target, directory = _target(out)
    imported = read_source(kind, source=source, mapping=mapping, endpoint=endpoint, flavor=flavor,
                           state_file=state_file, organization=organization, ids=ids, new_ids=new_ids,
                           console=console)
    for w in imported.warnings:
        console.warn(str(w))
    existing = (target.is_dir() and any(orgwriter.org_files(target))) if directory else target.is_file()
    if existing:
        files, remove, summary = orgwriter.merge_into(imported, target, directory=directory)
    else:
        header = [f"Imported by `ovctl import {kind}`; review it, then commit."]
        files = orgwriter.render_files(imported.org, target, directory=directory, derived=imported.derived, header=header)
        remove, summary = [], "new org"
    if not existing or files or remove:
        check = orgwriter.merged_view(files, target, directory=directory, removed=remove)
        warnings = _check_rendered(check, target, directory)
        # warnings of the written org are what `ovctl validate` would print; show them once
        for w in warnings:
            console.warn(w)
    if files or remove:
        orgwriter.write_files(files, remove)
    org = imported.org
    n_derived = len(imported.derived)
    changed = f"{len(files)} file(s) written" + (f", {len(remove)} removed" if remove else "") if files or remove \
        else "no file changed"
    console.warn(f"{target}{'/' if directory else ''}: {summary}; {changed}: {len(org.members)} members, {len(org.teams)} teams"
          + (f", {n_derived} id(s) derived by ovctl (marked with a comment)" if n_derived else ""))
    return 0
