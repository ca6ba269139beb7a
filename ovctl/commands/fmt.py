"""``ovctl fmt PATH...``: rewrite org files in the canonical layout (``orgwriter``), comments kept.

``--check`` writes nothing, lists the files that would change and exits 1 if any would; ``--diff``
prints a unified diff (and writes nothing). Every file is formatted first; if one is not valid
YAML, nothing is written at all. Files are written together (``orgwriter.write_files``).
"""

from __future__ import annotations

import difflib
from pathlib import Path

from ovctl.console import Console


def run(paths: list[Path], *, check: bool, diff: bool, console: Console | None = None) -> int:
    from ovctl.core.errors import SourceError
    from ovctl.files.orgfile import expand_paths
    from ovctl.files.orgwriter import format_text_fast as format_text, write_files

    console = console or Console()
    files, problems = expand_paths(paths)
    if problems:
        raise SourceError("\n".join(str(p) for p in problems))
    changed: dict[Path, str] = {}
    originals: dict[Path, str] = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise SourceError(f"{path}: cannot read: {getattr(e, 'strerror', None) or e}") from None
        new = format_text(text, str(path))
        if new != text:
            changed[path], originals[path] = new, text
    if diff:
        for path, new in changed.items():
            console.out.writelines(difflib.unified_diff(originals[path].splitlines(keepends=True),
                                                       new.splitlines(keepends=True), f"{path}", f"{path} (formatted)"))
    if check or diff:
        for path in changed:
            console.warn(f"would reformat {path}")
        return 1 if changed and check else 0
    if changed:
        write_files(changed)
    for path in changed:
        console.warn(f"formatted {path}")
    console.warn(f"{len(changed)} file(s) formatted, {len(files) - len(changed)} unchanged")
    return 0
