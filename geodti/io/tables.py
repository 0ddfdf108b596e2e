"""Write summary tables as CSV, XLSX or Markdown: atomic and byte-for-byte deterministic.

* CSV: UTF-8 with a byte-order mark (Excel in China then opens Chinese text correctly),
  ``\\n`` line endings, full float precision (the file reads back to the same numbers).
* XLSX: one sheet per table (names sanitised to Excel's rules: at most 31 characters, none of
  ``[]:*?/\\``, unique). openpyxl stamps the save time into ``docProps/core.xml`` and every
  zip entry; both are fixed here, so the same tables give the same bytes.
* Markdown: pipe tables for papers and READMEs (``|`` in cells escaped).
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from geodti.errors import InputError
from geodti.io.atomic import write_bytes

FORMATS = ("csv", "xlsx", "md")
#: Timestamp written into XLSX files (document properties and zip entries).
FIXED_TIME = _dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _format_of(path: Path, format: str | None) -> str:
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt == "markdown":
        fmt = "md"
    if fmt not in FORMATS:
        raise InputError(
            f"cannot tell the table format of {str(path)!r}; give a path ending in .csv, .xlsx or "
            f".md, or format= one of {FORMATS}."
        )
    return fmt


# --------------------------------------------------------------------------- CSV


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """CSV bytes: UTF-8 with BOM, ``\\n`` line endings, no index, full precision."""
    text = table.to_csv(index=False, lineterminator="\n")
    return text.encode("utf-8-sig")


# --------------------------------------------------------------------------- Markdown


def _md_cell(value, float_format: str | None) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        text = float_format.format(value) if float_format else repr(float(value))
    elif isinstance(value, (bool, np.bool_)):
        text = "true" if value else "false"
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(table: pd.DataFrame, float_format: str | None = None) -> str:
    """A GitHub-flavoured pipe table.

    Parameters
    ----------
    table : DataFrame
        The table (index ignored).
    float_format : str, optional
        A ``str.format`` pattern for floats, e.g. ``"{:.3f}"``; default the shortest exact
        representation.
    """
    header = [_md_cell(str(c), None) for c in table.columns]
    numeric = [pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c])
               for c in table.columns]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    for row in table.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(_md_cell(v, float_format) for v in row) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- XLSX


def sheet_names(names) -> list[str]:
    """Excel-safe, unique sheet names (<= 31 characters, no ``[]:*?/\\``, not blank)."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        name = _BAD_SHEET_CHARS.sub("_", str(raw)).strip().strip("'") or "table"
        name = name[:31]
        candidate, i = name, 2
        while candidate.lower() in seen:
            suffix = f"~{i}"
            candidate = name[:31 - len(suffix)] + suffix
            i += 1
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def _cell(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return str(value)


def to_xlsx_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook, one sheet per table, with fixed timestamps (stable bytes)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, table in zip(sheet_names(tables.keys()), tables.values()):
        ws = wb.create_sheet(title=name)
        ws.append([str(c) for c in table.columns])
        for row in table.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
    wb.properties.creator = "geodti"
    wb.properties.created = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _stabilise_zip(buf.getvalue())


def _stabilise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry times and a fixed ``dcterms:modified`` (set by openpyxl
    to the save time)."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rf"\g<1>{stamp}\g<2>", text)
                content = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, content)
    return out.getvalue()


# --------------------------------------------------------------------------- writers


def write_table(table: pd.DataFrame, path: str | os.PathLike, *, format: str | None = None,
                sheet_name: str = "table", float_format: str | None = None) -> Path:
    """Write one table atomically as CSV, XLSX or Markdown (format from the suffix).

    Parameters
    ----------
    table : DataFrame
        The table; its index is not written.
    path : path-like
        Target file; ``.csv``, ``.xlsx`` or ``.md`` unless ``format`` is given.
    format : {"csv", "xlsx", "md"}, optional
        Overrides the suffix.
    sheet_name : str
        XLSX sheet name (sanitised).
    float_format : str, optional
        Markdown float pattern (e.g. ``"{:.3f}"``); CSV and XLSX keep full precision.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    fmt = _format_of(path, format)
    if fmt == "csv":
        data = to_csv_bytes(table)
    elif fmt == "xlsx":
        data = to_xlsx_bytes({sheet_name: table})
    else:
        data = to_markdown(table, float_format).encode("utf-8")
    return write_bytes(path, data)


def write_tables(tables: Mapping[str, pd.DataFrame], path: str | os.PathLike, *,
                 format: str | None = None, float_format: str | None = None) -> list[Path]:
    """Write several named tables.

    XLSX: one workbook, one sheet per table. Markdown: one file, a ``## name`` section per
    table. CSV: ``path`` is a folder and each table goes to ``<name>.csv`` in it (names
    sanitised like sheet names).

    Returns
    -------
    list of Path
        The files written.
    """
    path = Path(path)
    if not tables:
        raise InputError("no tables to write.")
    fmt = format.lower() if format else ("csv" if path.suffix == "" else _format_of(path, None))
    fmt = _format_of(path, fmt)
    if fmt == "xlsx":
        return [write_bytes(path, to_xlsx_bytes(tables))]
    if fmt == "md":
        parts = [f"## {name}\n\n{to_markdown(t, float_format)}" for name, t in tables.items()]
        return [write_bytes(path, "\n".join(parts).encode("utf-8"))]
    if path.suffix:
        raise InputError(
            f"several tables as CSV are written into a folder, one file each; give a folder "
            f"path without a suffix instead of {str(path)!r}, or use .xlsx / .md for one file."
        )
    written = []
    for name, table in zip(sheet_names(tables.keys()), tables.values()):
        written.append(write_bytes(path / f"{name}.csv", to_csv_bytes(table)))
    return written
