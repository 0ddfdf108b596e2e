"""Write summary tables as CSV, XLSX or Markdown: atomic and byte-for-byte deterministic.

* CSV: UTF-8 with a byte-order mark (Excel in China then opens Chinese text correctly),
  ``\\n`` line endings, full float precision (the file reads back to the same numbers).
* XLSX: one sheet per table (names sanitised to Excel's rules: at most 31 characters, none of
  ``[]:*?/\\``, unique). openpyxl stamps the save time into ``docProps/core.xml`` and every
  zip entry; both are fixed here, so the same tables give the same bytes. Each sheet has a
  bold, frozen header row with an autofilter, columns as wide as their content (CJK
  characters count double) and number formats by column name (:func:`number_format`).
* No formula injection: a spreadsheet runs a cell that begins with ``=``, ``+``, ``-``, ``@``,
  tab or CR as a formula (a city or group label such as ``=HYPERLINK(...)``). XLSX text cells,
  headers included, are stored as text, never as formulas, and marked with Excel's quote
  prefix when they begin with one of those characters. CSV text cells and headers that begin
  with one get a leading ``'`` (OWASP's advice; :func:`neutralise_formula`). Numbers are never
  changed: numeric columns are left alone, and text that is a plain decimal number (``-5``,
  ``+1.5``, ``-1e3``) is left as it is, since a spreadsheet reads it as that number, not as a
  formula.
* Markdown: pipe tables for papers and READMEs (``|`` in cells escaped).
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import re
import unicodedata
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
#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
#: Excel number formats of the workbook (see :func:`number_format`).
PERCENT_FORMAT = "0.00%"
P_VALUE_FORMAT = "[<0.0001]0.00E+00;0.0000"
_PERCENT_WORDS = {"share", "growth", "yoy", "qoq"}
_P_VALUE = re.compile(r"p_(value|sim|analytic|adjusted|fdr|bonferroni)|\w+_p(_value)?")
_MAX_WIDTH = 60


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


def neutralise_formula(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet would read it as a formula.

    Text beginning with ``=``, ``+``, ``-``, ``@``, tab or CR gets the quote (OWASP's advice
    against CSV injection), except a plain decimal number such as ``-5`` or ``+1.5e3``, which a
    spreadsheet reads as that number.

    Parameters
    ----------
    text : str
        A cell or header.

    Returns
    -------
    str
        The text to write.
    """
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and headers cannot run as formulas; numeric columns untouched."""
    out = table.copy(deep=False)
    for i, col in enumerate(table.columns):
        values = table.iloc[:, i]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)
                or isinstance(values.dtype, pd.CategoricalDtype)):
            continue
        risky = values.map(lambda v: isinstance(v, str) and neutralise_formula(v) != v)
        if risky.any():
            fixed = values.astype(object).where(~risky, values[risky].map(neutralise_formula))
            out.isetitem(i, fixed)
    out.columns = [neutralise_formula(str(c)) for c in table.columns]
    return out


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """CSV bytes: UTF-8 with BOM, ``\\n`` line endings, no index, full precision; text that a
    spreadsheet would run as a formula gets a leading ``'`` (:func:`neutralise_formula`)."""
    text = _csv_safe(table).to_csv(index=False, lineterminator="\n")
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


def number_format(column: str, dtype) -> str | None:
    """The Excel number format of a workbook column, from its name; None: Excel's General.

    Only float columns are formatted (ranks, counts and flags never are):

    * per cent (``0.00%``) for fractions: a name with the word ``share``, ``growth``, ``yoy``
      or ``qoq`` (words split at ``_``: ``share``, ``top_k_share``, ``mean_growth``,
      ``sd_yoy``, ``share_nw``) and without the word ``rank``;
    * p-values, 4 decimals and scientific below 0.0001 (``[<0.0001]0.00E+00;0.0000``):
      ``p_value``, ``p_sim``, ``p_analytic``, ``p_adjusted``, ``p_fdr``, ``p_bonferroni`` and
      names ending in ``_p`` or ``_p_value`` (``mk_p``, ``beta_p``).

    Parameters
    ----------
    column : str
        Column name.
    dtype : dtype
        The column's dtype.

    Returns
    -------
    str or None
    """
    if not pd.api.types.is_float_dtype(dtype):
        return None
    name = str(column)
    if _P_VALUE.fullmatch(name):
        return P_VALUE_FORMAT
    words = set(name.lower().split("_"))
    if words & _PERCENT_WORDS and "rank" not in words:
        return PERCENT_FORMAT
    return None


def text_width(text: str) -> int:
    """Width of ``text`` in a fixed-width font: CJK and other wide characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown_width(values: pd.Series, fmt: str | None) -> int:
    """Widest cell of a column as Excel shows it (General shows at most 11 characters of a number)."""
    present = values.dropna()
    if present.empty:
        return 0
    if fmt == PERCENT_FORMAT:
        return int(present.map(lambda v: len(f"{100 * float(v):.2f}%")).max())
    if fmt == P_VALUE_FORMAT:
        return 9
    if pd.api.types.is_bool_dtype(values.dtype):
        return 5
    if pd.api.types.is_numeric_dtype(values.dtype):
        return int(present.map(lambda v: min(len(str(v)), 11)).max())
    return int(present.map(lambda v: text_width(str(v))).max())


def _as_text(cell) -> None:
    """Store a text cell as text: openpyxl would store "=..." as a live formula."""
    cell.data_type = "s"
    cell.quotePrefix = cell.value.startswith(FORMULA_STARTS)


def _write_sheet(ws, table: pd.DataFrame) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    ws.append([str(c) for c in table.columns])
    for cell in ws[1]:
        cell.font = bold
        _as_text(cell)
    for row in table.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in row])
    for j in range(1, len(table.columns) + 1):
        values = table.iloc[:, j - 1]
        fmt = number_format(table.columns[j - 1], values.dtype)
        # numbers in Excel's General format need nothing: their cells are not visited
        if fmt or not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                if isinstance(cell.value, str):
                    _as_text(cell)
                elif fmt and cell.value is not None:
                    cell.number_format = fmt
        width = max(text_width(str(table.columns[j - 1])) + 3,  # room for the filter button
                    _shown_width(values, fmt))
        ws.column_dimensions[get_column_letter(j)].width = min(width + 2, _MAX_WIDTH)
    ws.freeze_panes = "A2"
    if len(table.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"


def to_xlsx_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook, one sheet per table, with fixed timestamps (stable bytes).

    Each sheet: bold header row, frozen, with an autofilter; columns fitted to their content;
    per cent and p-value formats by column name (:func:`number_format`); text cells stored as
    text, never as formulas.
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, table in zip(sheet_names(tables.keys()), tables.values()):
        _write_sheet(wb.create_sheet(title=name), table)
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
    table. CSV: ``path`` is a folder and each table goes to ``<name>.csv`` in it (names made
    safe and distinct by :func:`geodti.io.paths.unique_slugs`: ``a/b`` -> ``a_b.csv``).

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
    from geodti.io.paths import output_path, unique_slugs

    written = []
    for slug, table in zip(unique_slugs(tables).values(), tables.values()):
        written.append(write_bytes(output_path(path, f"{slug}.csv"), to_csv_bytes(table)))
    return written


# --------------------------------------------------------------------------- display

#: Chinese column headers for terminal display (the English column name is the fallback).
LABELS_ZH = {
    "rank": "排名", "agglomeration": "城市群", "agglomeration_en": "Agglomeration",
    "n_members": "成员数", "n_in_panel": "有数据", "missing_members": "缺数据成员",
    "n_cities": "城市数", "n_units": "单元数", "total": "指数合计", "share": "占比", "mean": "平均指数",
    "median": "中位数", "mean_growth": "城市平均增速", "total_growth": "总量增速",
    "top_k": "前k", "top_k_share": "前k占比", "hhi": "HHI", "leading_adcode": "领先城市代码",
    "leading_name": "领先城市", "top1": "No.1", "top2": "No.2", "top3": "No.3",
    "adcode": "代码", "name": "城市", "province": "省份", "region": "地区", "hu_line": "胡焕庸线",
    "admin_rank": "行政级别", "tier": "城市等级", "earlier_value": "前期指数",
    "earlier_rank": "前期排名", "later_value": "后期指数", "later_rank": "后期排名",
    "rank_change": "排名变化", "growth": "同比增速", "growth_rank": "增速排名",
    "industry": "行业", "index": "指数", "share_rank": "占比排名", "share_high": "占比高",
    "growth_high": "增速高", "quadrant_zh": "象限", "variable": "指标", "qoq": "环比",
    "yoy": "同比", "yoy_rank": "同比排名", "n_quarters": "季度数", "mean_total": "平均总量",
    "cv_total": "总量变异系数", "mean_qoq": "平均环比", "sd_qoq": "环比标准差",
    "mean_yoy": "平均同比", "sd_yoy": "同比标准差", "min_yoy": "最低同比", "max_yoy": "最高同比",
    "variability_rank": "波动排名", "least_variable": "最稳定", "city_share": "城市数占比",
    "index_share": "指数占比", "period": "期间",
}
#: Columns holding fractions, shown as per cent with one decimal.
PERCENT_COLUMNS = {
    "share", "top_k_share", "mean_growth", "total_growth", "growth", "qoq", "yoy",
    "city_share", "index_share", "cv_total", "mean_qoq", "sd_qoq", "mean_yoy", "sd_yoy",
    "min_yoy", "max_yoy",
}


#: Cell values shown in Chinese (layer names, growth flags).
VALUES_ZH = {
    "infrastructure": "基础设施", "platform": "平台", "application": "应用",
    "dti": "数字化转型指数",
}


def format_for_display(table: pd.DataFrame, *, labels: Mapping[str, str] | None = None,
                       index_decimals: int = 2) -> pd.DataFrame:
    """Strings for a terminal: fractions as per cent (one decimal), signed rank changes,
    index values with ``index_decimals`` decimals, empty cells for missing values, Chinese
    headers.

    Parameters
    ----------
    table : DataFrame
        A summary table.
    labels : mapping, optional
        Column -> header; default :data:`LABELS_ZH` (unknown columns keep their name).
    index_decimals : int
        Decimals of other floats (index values are per cent of the national base total).
    """
    labels = LABELS_ZH if labels is None else labels
    out = {}
    for col in table.columns:
        s = table[col]
        if col in PERCENT_COLUMNS:
            text = s.map(lambda v: "" if pd.isna(v) else f"{100 * float(v):.1f}%")
        elif col == "rank_change":
            text = s.map(lambda v: "" if pd.isna(v) else (f"+{int(v)}" if v > 0 else str(int(v))))
        elif col == "hhi":
            text = s.map(lambda v: "" if pd.isna(v) else f"{float(v):.3f}")
        elif pd.api.types.is_float_dtype(s):
            text = s.map(lambda v: "" if pd.isna(v) else f"{float(v):.{index_decimals}f}")
        else:
            text = s.map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v))
                         else VALUES_ZH.get(str(v), str(v)))
        out[labels.get(col, col)] = text.astype(str).to_numpy()
    return pd.DataFrame(out)
