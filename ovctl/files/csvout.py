"""The three CSV files of the official provisioning script, written safely.

Layout (file names, headers, cell values) comes from ``wire.csv_tables``; this module only writes:
UTF-8 without a byte-order mark, a header row, comma delimiter, ``\\r\\n`` line endings as RFC 4180
has them, and **every cell quoted** (``csv.QUOTE_ALL``), each file atomically. Quoting every cell
means that a spreadsheet set to another separator (``;`` in many European locales) still reads a
``;`` or a tab inside a value as part of that value, never as the start of a new cell. A cell that a
spreadsheet would run as a formula (first character ``= + - @``, or tab / carriage return, per
OWASP "CSV injection") is prefixed with a single quote ``'``: the files are meant to be opened and
reviewed, and a name like ``=HYPERLINK(...)`` from an HRIS must not execute.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ovctl.account import wire
from ovctl.files.atomic import atomic_write_text
from ovctl.core.model import Payload

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: str) -> str:
    """``'`` + value when a spreadsheet would treat the cell as a formula; the value otherwise."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def table_text(header: list[str], rows: list[list[str]]) -> str:
    """One CSV document (header + rows), every cell neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL)  # dialect "excel": ',' and '\r\n'; every cell quoted
    writer.writerow([neutralize_cell(h) for h in header])
    for row in rows:
        writer.writerow([neutralize_cell(c) for c in row])
    return buf.getvalue()


def write_csv_files(out_dir: Path, payload: Payload, flavor: str, property_names: list[str]) -> list[Path]:
    """Write members / teams / mappings CSV files of ``flavor`` into ``out_dir``; return their paths."""
    written = []
    for name, (header, rows) in wire.csv_tables(payload, wire.flavor(flavor), property_names).items():
        path = Path(out_dir) / name
        atomic_write_text(path, table_text(header, rows))
        written.append(path)
    return written
