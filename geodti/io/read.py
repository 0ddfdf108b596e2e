"""Read users' city tables and reshape them to one row per city and period.

Two composable steps (the pipeline adds city matching after them)::

    raw = read_table("dti.csv")                      # cells as text, rows numbered as in Excel
    long = to_long(raw, city_column="城市")           # tidy: source_row, city, period, values

:func:`read_table` reads CSV/TSV (UTF-8, UTF-8 with BOM, GBK/GB18030, or what
charset-normalizer detects), XLSX and Parquet. It returns every CSV/XLSX cell as text
(blank cells missing), so adcodes keep their digits and periods such as ``2021.10`` are
not turned into floats; the index holds the spreadsheet row number of each row
(header = 1 when the header is the first row) and is named ``source_row``.

:func:`to_long` finds (or is told) the city, province and period columns, detects a long
or wide layout, parses periods with :mod:`geodti.periods` and converts the value cells to
numbers. Its rules, decided here once:

* Numbers: a decimal point, optional thousands separators (``1,234.5``), full-width digits
  (``１２３``) and a leading ``+``/``-``/``−``. Missing: blank, ``-``, ``--``, ``—``,
  ``——``, ``–``, ``…``, ``...``, ``NA``, ``N/A``, ``NaN``, ``null``, ``None``, ``无``,
  ``暂无``, ``缺失``. Anything else (``1,5``, ``12万``, Excel's ``#DIV/0!``) is an error
  naming the row, column and value.
* Percentages: a column whose every value ends in ``%`` is read as fractions, as Excel
  stores them (``12.5%`` -> 0.125); a column mixing ``12%`` and ``0.5`` is an error.
* Quarterly and annual values may share a table, and even a city: each row is marked by
  ``period_type``. A city having both kinds is allowed but flagged with an
  :class:`~geodti.errors.InputWarning` and listed in ``attrs["mixed_period_cities"]``.
* Rows whose city is blank are errors; rows whose values are blank are kept (NaN).
* A city-period pair (city, province if given, period) may appear once; text is compared
  after trimming spaces and Unicode NFKC normalisation.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import math
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from geodti.errors import InputError, InputWarning
from geodti.io.samples import resolve_table
from geodti.periods import (
    ACCEPTED_FORMS,
    PeriodError,
    FREQUENCIES,
    parse_distinct_periods,
    parse_period,
    period_sort_key,
    period_type,
    settle_months,
    sort_periods,
)
from geodti.schema import text_dtype

__all__ = [
    "FORMATS",
    "Layout",
    "read_table",
    "detect_layout",
    "to_long",
    "read_long",
    "check_duplicates",
    "summarize",
]

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}

# Header names (compared after _norm_header) that identify a column's role.
CITY_HEADERS = frozenset({"city", "cityname", "城市", "城市名称", "城市名", "地级市", "地市"})
# Weaker hints, used only when no column has one of the headers above.
CITY_HEADERS_WEAK = frozenset({"市", "地区", "名称", "name", "地名", "prefecture"})
# Code columns identify the city when no name column does (a table keyed by adcode).
CITY_CODE_HEADERS = frozenset({"adcode", "citycode", "城市代码", "区划代码", "行政区划代码", "行政代码"})
PROVINCE_HEADERS = frozenset({"province", "provincename", "省份", "省", "省区", "所属省份", "省名"})
# A county column names the table's units when there is one (a county table often carries
# its city and province too); a province column does when nothing names a city.
COUNTY_HEADERS = frozenset({"county", "countyname", "district", "区县", "县区", "县", "区县名称",
                            "县名", "县级", "县市区", "县区名称"})
# Beside a county column, a column of the city containing each county (it decides a county
# name shared by several cities: 朝阳区 in 北京 or 长春).
PARENT_HEADERS = CITY_HEADERS | frozenset({"所属城市", "所属地级市", "所属市", "所属地市",
                                           "地级市名称", "上级城市", "parentcity"})
PERIOD_HEADERS = frozenset(
    {"period", "time", "date", "yearquarter", "时间", "日期", "期间", "时期", "报告期", "统计期",
     "统计时间", "年季", "年季度", "年月"}
)
YEAR_HEADERS = frozenset({"year", "年份", "年度", "年"})
QUARTER_HEADERS = frozenset({"quarter", "qtr", "季度", "季"})
# Identifiers are carried as text, never read as values, even when they look numeric.
IDENTIFIER_HEADERS = frozenset(
    {"adcode", "code", "citycode", "id", "no", "代码", "编码", "编号", "序号", "城市代码", "区划代码",
     "行政区划代码", "行政代码"}
)
MISSING_MARKERS = frozenset(
    {"", "-", "--", "—", "——", "–", "...", "......", "na", "n/a", "nan", "null", "none", "无",
     "暂无", "缺失"}
)
OUTPUT_COLUMNS = ("source_row", "city", "province", "parent", "period", "period_type")

_RE_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_RE_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_RE_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d{1,2}|[+-]?\d+,\d{4,}")
_RE_EXCEL_ERROR = re.compile(r"#(?:DIV/0!|N/A|NAME\?|NULL!|NUM!|REF!|VALUE!|SPILL!|CALC!|GETTING_DATA)")
_RE_NOTE = re.compile(
    r"\s*(?:注|说明|备注|数据来源|资料来源|来源|note|notes|source|sources)\s*[:：.．0-9１-９]|\s*[*※]",
    re.I,
)
_RE_YEARISH = re.compile(r"(?<!\d)(?:19|20|21)\d{2}(?!\d)")
_SHOW = 5  # offending values listed in an error message


# --------------------------------------------------------------------------------------
# read_table


def check_input_file(path, what: str = "table") -> Path:
    """Check that ``path`` names an existing file (not a folder); return it as a Path.

    ``"sample:NAME"`` is resolved to the bundled sample's file first.

    Commands call this on every input before they create an output folder, so a typo in a
    path stops them with a clear message and leaves nothing behind.

    Raises
    ------
    geodti.errors.InputError
        The path does not exist or is a folder.
    """
    where = str(path)
    path = Path(resolve_table(path))
    if path.is_dir():
        raise InputError(f"{where}: is a folder, not a {what} file; name the file inside it "
                         "(e.g. folder/table.csv).")
    if not path.exists():
        raise InputError(f"{where}: {what} file not found; check the path and the working "
                         "directory.")
    return path


def read_table(
    path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
) -> pd.DataFrame:
    """Read a CSV/TSV, XLSX or Parquet table without changing any cell.

    Parameters
    ----------
    path : str or os.PathLike
        The table. Its extension decides the format: ``.csv``/``.txt`` (delimiter sniffed
        among ``,`` ``;`` tab ``|``), ``.tsv``/``.tab``, ``.xlsx``/``.xlsm``,
        ``.parquet``/``.pq``. The file is only read, never written. ``"sample:NAME"`` reads
        the bundled synthetic sample ``NAME`` (:data:`geodti.io.samples.SAMPLES`).
    sheet : str or int, optional
        XLSX only: a sheet name, or a 0-based sheet index. Default: the first sheet.
    encoding : str, optional
        CSV/TSV only: the text encoding, overriding detection. Detection tries a byte-order
        mark, then strict UTF-8, then GB18030 (a superset of GBK, what Excel in mainland
        China writes) when the decoded text is plausible simplified Chinese, then
        charset-normalizer.
    header_row : int, optional
        CSV/XLSX: spreadsheet row number (1-based) of the header. Default: the first row
        with at least two filled cells, so title rows above a table (one merged cell) are
        skipped. Footnotes below the table (a single cell starting with ``注``, ``说明``,
        ``数据来源``, ``资料来源``, ``Note``, ``Source``, ``*`` ...) are skipped too. Both
        are listed in ``attrs["skipped_rows"]`` as ``(row, text)``.

    Returns
    -------
    pandas.DataFrame
        CSV/XLSX: every cell as text, blank cells missing; wholly blank rows and columns
        are left out; a column with a blank header but data is named ``column_<letter>``.
        Parquet: the stored column types. The index, named ``source_row``, is the
        spreadsheet row number of each row (Parquet: position + 2, as if the header were
        row 1). ``attrs`` records ``source``, ``format``, ``encoding``, ``delimiter``,
        ``sheet``, ``header_row`` and ``skipped_rows``.

    Raises
    ------
    geodti.errors.InputError
        Missing file, unknown extension, undecodable text, broken quoting, unknown sheet,
        unreadable workbook, empty table, duplicate column names.
    """
    path = resolve_table(path)  # sample:NAME names a bundled sample table
    where = str(path)
    path = check_input_file(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        hint = (
            " Old Excel .xls files are not read: open the file in Excel/WPS and save it as .xlsx "
            "or CSV UTF-8."
            if path.suffix.lower() in (".xls", ".et", ".ods", ".numbers")
            else ""
        )
        raise InputError(
            f"{where}: unknown table format {path.suffix or '(no extension)'!r}; geodti reads "
            f"{', '.join(FORMATS)}. Rename the file with the extension of its format.{hint}"
        )
    if sheet is not None and fmt != "xlsx":
        raise InputError(f"{where}: sheet={sheet!r} applies to .xlsx workbooks only.")
    if encoding is not None and fmt not in ("csv", "tsv"):
        raise InputError(f"{where}: encoding={encoding!r} applies to CSV/TSV text files only.")

    if fmt == "parquet":
        if header_row is not None:
            raise InputError(f"{where}: header_row applies to CSV and XLSX files only.")
        return _read_parquet(path, where)
    if fmt == "xlsx":
        grid, meta = _read_xlsx(path, where, sheet)
    else:
        grid, meta = _read_delimited(path, where, fmt, encoding)
    try:
        frame = _frame_from_grid(grid, where, header_row)
    except InputError as exc:
        hint = _sheet_hint(meta)
        if not hint:
            raise
        raise InputError(f"{str(exc).rstrip('.')}{hint}.") from None
    frame.attrs = {"source": where, "format": fmt, **meta, **frame.attrs}
    return frame


def _read_parquet(path: Path, where: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (ValueError, OSError) as exc:  # pyarrow's ArrowInvalid / ArrowIOError
        raise InputError(f"{where}: not a readable Parquet file ({exc}).") from None
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()  # a stored index (e.g. the city) is data, keep it
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.shape[1] == 0:
        raise InputError(f"{where}: the table has no columns.")
    if len(frame) == 0:
        raise InputError(f"{where}: the table has columns {list(frame.columns)} but no rows.")
    _check_unique_headers(list(frame.columns), where, letters=None)
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="source_row")
    frame.attrs.update(
        {"source": where, "format": "parquet", "encoding": None, "delimiter": None,
         "sheet": None, "header_row": 1, "skipped_rows": []}
    )
    return frame


def _read_delimited(path: Path, where: str, fmt: str, encoding: str | None):
    with open(path, "rb") as handle:
        data = handle.read()
    if not data.strip():
        raise InputError(f"{where}: the file is empty; it needs a header row and data rows.")
    text, used = _decode(data, where, encoding)
    delimiter = "\t" if fmt == "tsv" else _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    grid: list[tuple[int, list[str | None]]] = []
    record_start = 1
    try:
        for number, record in enumerate(reader, start=1):
            grid.append((number, [c if c.strip() else None for c in record]))
            record_start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            detail = (
                f"a quoted cell opened on line {record_start} is never closed; check that line "
                'for a stray double quote (")'
            )
        else:
            detail = (
                f"line {reader.line_num}: {exc}; a cell that contains a double quote must be "
                'quoted with the quote doubled ("a ""b"" c")'
            )
        raise InputError(f"{where}: cannot split the text into cells: {detail}.") from None
    return grid, {"encoding": used, "delimiter": delimiter, "sheet": None}


def _decode(data: bytes, where: str, encoding: str | None) -> tuple[str, str]:
    """Decode a text table; return the text and the encoding used."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"{where}: unknown encoding {encoding!r}; use e.g. utf-8 or gbk.") from None
        # a byte-order mark is not part of the first header (utf-8 keeps it, utf-8-sig does not)
        return _decode_strict(data, encoding, where, told=True).removeprefix("\ufeff"), encoding
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _decode_strict(data, name, where, told=False), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        _refuse_mixed_encoding(data, exc.start, where)
    # charset-normalizer often takes short GBK files (a few city names) for Big5, CP949 or
    # UTF-16; Chinese tables are far more often GBK, so test that reading first and accept
    # it only when the text is plausible simplified Chinese (see _plausible_gb).
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _plausible_gb(text):
        return text, _gb_name(data)
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding.startswith(("utf_16", "utf_32")) or best.chaos > 0.2:
        guess = f" (best guess {best.encoding}, unreliable)" if best is not None else ""
        raise InputError(
            f"{where}: cannot tell the text encoding: it is neither UTF-8 nor GBK{guess}. Save "
            "the file as UTF-8 (Excel: 另存为 -> CSV UTF-8 (逗号分隔)) or pass the encoding "
            "(encoding=... / --encoding)."
        )
    if best.encoding in ("gb18030", "gbk", "gb2312"):
        return _decode_strict(data, "gb18030", where, told=False), _gb_name(data)
    return str(best), best.encoding


def _refuse_mixed_encoding(data: bytes, bad: int, where: str) -> None:
    """Stop on UTF-8 lines (with Chinese text) over GBK lines: decoding the whole file either
    way garbles one part, e.g. the header, and the city column is then not found."""
    start = data.rfind(b"\n", 0, bad) + 1  # the first line that is not UTF-8
    head, rest = data[:start], data[start:]
    if not head or all(b < 0x80 for b in head):
        return
    try:
        text = rest.decode("gb18030")
    except UnicodeDecodeError:
        return
    if not _plausible_gb(text):
        return
    line = head.count(b"\n") + 1
    utf8 = "line 1 is" if line == 2 else f"lines 1-{line - 1} are"
    raise InputError(
        f"{where}: the file mixes two encodings: {utf8} UTF-8, line {line} on is GBK (GB18030), e.g. a header typed in an editor over rows exported from Excel. "
        "Save the whole file in one encoding (Excel: 另存为 -> CSV UTF-8 (逗号分隔)), or pass "
        "--encoding gbk (encoding= in Python) to read it all as GBK: the UTF-8 lines are then "
        "garbled, so name their columns again (e.g. --city-column).")


def _decode_strict(data: bytes, name: str, where: str, *, told: bool) -> str:
    try:
        return data.decode(name)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        what = "the encoding you gave" if told else "its byte-order mark says"
        raise InputError(
            f"{where}: line {line} is not valid {name} ({what}); byte {exc.start} is "
            f"{data[exc.start:exc.start + 1]!r}. Check the encoding, or re-save the file as "
            "UTF-8."
        ) from None


def _gb_name(data: bytes) -> str:
    try:
        data.decode("gbk")
        return "gbk"
    except UnicodeDecodeError:
        return "gb18030"


def _plausible_gb(text: str, threshold: float = 0.9) -> bool:
    """True if the non-ASCII characters are mostly common simplified Chinese.

    Counts the distinct characters that GB2312 encodes in its punctuation/full-width rows (lead byte
    0xA1-0xA3) or its hanzi rows (0xB0-0xF7). Big5, CP1252 or UTF-16 bytes read as GB18030
    produce mostly characters outside these rows (rare GBK hanzi, kana, Cyrillic), so a
    wrong reading fails the test.
    """
    foreign = [ch for ch in set(text) if ord(ch) > 0x7F]  # distinct characters
    if not foreign:
        return True
    common = 0
    for ch in foreign:
        try:
            lead = ch.encode("gb2312")[0]
        except UnicodeEncodeError:
            continue
        common += 0xA1 <= lead <= 0xA3 or 0xB0 <= lead <= 0xF7
    return common >= threshold * len(foreign)


def _sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: csv.Sniffer on the first lines, ``,`` when it cannot tell."""
    lines = text[:65536].splitlines()[:50]
    if len(text) > 65536 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    sniffer = csv.Sniffer()
    candidates = ",;\t|"
    for sample in (lines, [ln for ln in lines if any(d in ln for d in candidates)]):
        # Title lines above the header hold no delimiter and confuse the sniffer.
        first = next((i for i, ln in enumerate(sample) if any(d in ln for d in candidates)), 0)
        try:
            return sniffer.sniff("\n".join(sample[first:]), delimiters=candidates).delimiter
        except csv.Error:
            continue
    return ","


def _read_xlsx(path: Path, where: str, sheet: str | int | None):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            # "Workbook contains no default style" and similar are about formatting only
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputError(
            f"{where}: not a readable .xlsx workbook ({exc}). If it is an old .xls file renamed, "
            "or password-protected, open it in Excel/WPS and save it as .xlsx or CSV UTF-8."
        ) from None
    try:
        names = list(book.sheetnames)
        if isinstance(sheet, str) and sheet not in names and re.fullmatch(r"-?\d+", sheet.strip()):
            sheet = int(sheet)  # "1" from the command line: a sheet number unless a name
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int) and not isinstance(sheet, bool):
            if not -len(names) <= sheet < len(names):
                raise InputError(
                    f"{where}: there is no sheet number {sheet} (counting from 0); the workbook "
                    f"has {len(names)} sheets: {names}."
                )
            name = names[sheet]
        elif str(sheet) in names:
            name = str(sheet)
        else:
            raise InputError(
                f"{where}: there is no sheet named {sheet!r}; the sheets are {names}. Pass one of "
                "these names (or a 0-based number) as the sheet."
            )
        worksheet = book[name]
        if not hasattr(worksheet, "iter_rows"):
            raise InputError(f"{where}: sheet {name!r} is a chart, not a table; choose another sheet.")
        worksheet.reset_dimensions()  # some writers store a wrong used range; read every row
        grid = [
            (number, [_cell_text(v) for v in row])
            for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()
    if not any(any(c is not None for c in cells) for _, cells in grid):
        raise InputError(f"{where}: sheet {name!r} is empty; choose the sheet that holds the table.")
    return grid, {"encoding": None, "delimiter": None, "sheet": name, "sheets": names,
                  "sheet_chosen": sheet}


def _cell_text(value) -> str | None:
    """An XLSX cell as the text a user would type, so identifiers keep every digit."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        # 440300.0 -> "440300"; other floats by their shortest round-trip form
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat(" ")
    if isinstance(value, _dt.date | _dt.time):
        return value.isoformat()
    return str(value)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _frame_from_grid(grid: list[tuple[int, list]], where: str, header_row: int | None) -> pd.DataFrame:
    # cells are None or non-blank text, so any() tells a filled row
    filled = [(number, cells) for number, cells in grid if any(cells)]
    if not filled:
        raise InputError(f"{where}: the table is empty (no filled cells).")
    if header_row is not None:
        position = next((i for i, (n, _) in enumerate(filled) if n == header_row), None)
        if position is None:
            raise InputError(
                f"{where}: header_row={header_row} is blank or beyond the end of the table "
                f"(filled rows: {filled[0][0]}-{filled[-1][0]})."
            )
    else:
        position = next(
            (i for i, (_, cells) in enumerate(filled) if sum(c is not None for c in cells) >= 2), 0
        )
    header_number, header = filled[position]
    skipped = [
        (number, " ".join(str(c) for c in cells if c is not None)) for number, cells in filled[:position]
    ]
    body = filled[position + 1:]
    # Footnotes below a table ("注：...", "数据来源：...") are one cell starting with a note
    # marker; drop them from the end (reported like title rows). Any other one-cell row
    # stays: it may be a city without values.
    while body and sum(c is not None for c in body[-1][1]) == 1 and _RE_NOTE.match(
        next(str(c) for c in body[-1][1] if c is not None)
    ):
        number, cells = body.pop()
        skipped.append((number, " ".join(str(c) for c in cells if c is not None)))
    skipped.sort()
    if not body:
        raise InputError(
            f"{where}: no data rows below the header (row {header_number}); the table needs "
            "one row per city (or per city and period)."
        )
    width = max(len(cells) for _, cells in [filled[position], *body])
    header = list(header) + [None] * (width - len(header))
    body = [
        (n, cells if len(cells) == width else [*cells] + [None] * (width - len(cells)))
        for n, cells in body
    ]
    header, body, quarter_row = _year_over_quarter_header(header, body, where, header_number)
    keep, names = [], []
    for j in range(width):
        name = None if header[j] is None else str(header[j]).strip()
        if not name and all(cells[j] is None for _, cells in body):
            continue  # a wholly blank column (e.g. trailing delimiters)
        keep.append(j)
        names.append(name or f"column_{_letter(j)}")
    _check_unique_headers(names, where, letters=[_letter(j) for j in keep], header_number=header_number)
    by_column = list(zip(*(cells for _, cells in body), strict=True))
    frame = pd.DataFrame(
        {name: by_column[j] for name, j in zip(names, keep, strict=True)},
        index=pd.Index([n for n, _ in body], name="source_row"),
        dtype=object,
    )
    frame = frame.astype(text_dtype())
    frame.attrs.update({"header_row": header_number, "skipped_rows": skipped})
    if quarter_row is not None:
        frame.attrs["quarter_row"] = quarter_row
    return frame


_RE_YEAR_CELL = re.compile(r"((?:19|20)\d{2})\s*(?:年度?)?")


def _year_over_quarter_header(header: list, body: list, where: str, header_number: int):
    """A yearbook header, a row of years (one cell per year, merged or repeated) over a row
    of quarters (一季度 ... 四季度), as one header of quarters (2021Q1 ...); return the header,
    the body without the quarter row and that row's number (None if the header is plain).

    A year row whose quarter row is gone (blank headers after each year) is refused: its
    columns would otherwise be read as one annual value per year.
    """
    def year(cell):
        m = None if cell is None else _RE_YEAR_CELL.fullmatch(
            unicodedata.normalize("NFKC", str(cell)).strip())
        return None if m is None else m[1]

    years, current = [], None  # each column's year: its own, else the one to its left (merged)
    for cell in header:
        if cell is not None:
            current = year(cell)
        years.append(current)
    if not any(year(c) for c in header):
        return header, body, None
    first_number, first = body[0]
    quarters = [_quarter_number(c) if c is not None else None for c in first]
    labelled = [j for j, c in enumerate(first) if c is not None]
    if (len(labelled) >= 2 and all(quarters[j] is not None and years[j] for j in labelled)
            and all(first[j] is None for j in range(len(first)) if not years[j])):
        header = [f"{years[j]}Q{quarters[j]}" if quarters[j] else header[j]
                  for j in range(len(header))]
        return header, body[1:], first_number
    # columns without a header right after a year, holding data: the quarters lost their row
    for j, cell in enumerate(header):
        if not year(cell):
            continue
        blank = 0
        while (j + blank + 1 < len(header) and header[j + blank + 1] is None
               and any(cells[j + blank + 1] is not None for _, cells in body)):
            blank += 1
        if blank >= 2:
            raise InputError(
                f"{where}: the header (row {header_number}) has year {year(cell)} over "
                f"{blank + 1} columns ({_letter(j)}-{_letter(j + blank)}) and only the first has "
                "a name: a yearbook header whose quarter row (一季度, 二季度, ...) was removed? "
                "Keep the quarter row directly under the year row (geodti reads the two as "
                "quarters, 2021Q1 ...), or name each column by its period (2021Q1, 2021Q2, ...).")
    return header, body, None


def _check_unique_headers(names: list[str], where: str, *, letters, header_number: int = 1) -> None:
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        seen.setdefault(name, []).append(i)
    dupes = {n: idx for n, idx in seen.items() if len(idx) > 1}
    if dupes:
        shown = "; ".join(
            f"{n!r} in columns {', '.join(letters[i] if letters else str(i + 1) for i in idx)}"
            for n, idx in dupes.items()
        )
        raise InputError(
            f"{where}: the header (row {header_number}) repeats column names: {shown}. Give each "
            "column a distinct name."
        )


# --------------------------------------------------------------------------------------
# layout detection


@dataclass(frozen=True)
class Layout:
    """How a table holds its cities, periods and values (see :func:`detect_layout`).

    Attributes
    ----------
    layout : {"long", "wide"}
        ``long``: one row per city and period. ``wide``: one row per city, one column
        per period.
    city_column, province_column : column labels (province may be None)
    period_column : column label, (year column, quarter column) or None
        Long layout: where the period is. None with ``period`` set or in wide layout.
    period : str or None
        One period for the whole table (a cross-section), if given.
    period_headers : dict
        Wide layout: ``{column label: normalised period}`` of the value columns.
    value_columns : tuple
        Columns read as numbers (wide layout: the period columns).
    label_columns : tuple
        Other columns, carried through unchanged (identifiers such as adcode, notes).
    parent_column : column label or None
        A county table's column of the city containing each county.
    """

    layout: Literal["long", "wide"]
    city_column: Hashable
    province_column: Hashable | None
    period_column: Hashable | tuple[Hashable, Hashable] | None
    period: str | None
    period_headers: dict
    value_columns: tuple
    label_columns: tuple
    parent_column: Hashable | None = None


def _norm_header(label) -> str:
    text = unicodedata.normalize("NFKC", str(label)).strip().lower()
    return re.sub(r"[\s_\-.()（）]+", "", text)


def _where(table: pd.DataFrame, source) -> str:
    return str(source) if source is not None else str(table.attrs.get("source", "the table"))


def _header_hint(table: pd.DataFrame) -> str:
    hint = ""
    row = table.attrs.get("header_row")
    if row is not None:
        hint = f" (the header was taken from row {row}; if it is on another row, pass header_row= / --header-row)"
    hint += _sheet_hint(table.attrs)
    if table.shape[1] == 1 and re.search(r"[，；、]", str(table.columns[0])):
        hint += (
            ". The header is a single cell: are the cells separated by full-width commas (，)? "
            "Separate them with ASCII commas"
        )
    return hint


def _sheet_hint(attrs) -> str:
    """Where the first of several sheets was read by default (workbooks often open with a
    notes sheet): the other sheets' names and ``--sheet``."""
    sheets = attrs.get("sheets") or []
    if len(sheets) < 2 or attrs.get("sheet_chosen") is not None:
        return ""
    return (f". The workbook has {len(sheets)} sheets {sheets} and the first, {sheets[0]!r}, "
            "was read: if the table is on another, pass --sheet NAME (sheet= in Python)")


def _require_column(table, label, role: str, where: str, flag: str):
    if label not in table.columns:
        raise InputError(
            f"{where}: no column named {label!r} for the {role}; the columns are "
            f"{[str(c) for c in table.columns]}{_header_hint(table)}. Pass the right name as "
            f"{flag}."
        )


def _find_by_header(table, names: frozenset, exclude) -> list:
    return [c for c in table.columns if c not in exclude and _norm_header(c) in names]


def province_columns(columns) -> list:
    """Columns whose header looks like a province (``province``, ``省份``, ``省`` ...)."""
    return [c for c in columns if _norm_header(c) in PROVINCE_HEADERS]


def find_parent_column(table: pd.DataFrame, city_column, exclude=()):
    """The column of the containing city in a county table, found from its header.

    Only when ``city_column`` is headed like a county (``区县``, ``县``, ``county``) and one
    other column is headed like a city (``城市``, ``地级市``, ``所属城市`` ...); else None
    (several such columns: pass ``parent_column=`` / ``--parent-column``).
    """
    if _norm_header(city_column) not in COUNTY_HEADERS:
        return None
    found = _find_by_header(table, PARENT_HEADERS, {city_column, *exclude})
    return found[0] if len(found) == 1 else None


def find_city_column(table: pd.DataFrame, source=None):
    """The column that names the table's units (cities, or counties or provinces), found
    from its header.

    A county header (``county``, ``区县``, ``县``) comes first, then city name headers
    (``city``, ``城市``, ``城市名称``, ``地级市`` ...), then weaker ones (``地区``, ``名称``,
    ``name``), then code headers (``adcode``, ``行政区划代码``), then a province header
    (``province``, ``省份``: a province table).

    Raises
    ------
    geodti.errors.InputError
        No header, or several headers of the same strength, look like the city.
    """
    for names in (COUNTY_HEADERS, CITY_HEADERS, CITY_HEADERS_WEAK, CITY_CODE_HEADERS,
                  PROVINCE_HEADERS):
        found = _find_by_header(table, names, ())
        if found:
            break
    if len(found) != 1:
        columns = [str(c) for c in table.columns]
        why = "several columns could be" if found else "no column header looks like"
        raise InputError(
            f"{_where(table, source)}: {why} the city ({[str(c) for c in found] or columns}); pass "
            f"the city column's name (city_column= / --city-column). Columns: {columns}"
            f"{_header_hint(table)}."
        )
    return found[0]


def detect_layout(
    table: pd.DataFrame,
    *,
    city_column=None,
    province_column=None,
    period_column=None,
    value_columns: Sequence | None = None,
    layout: Literal["auto", "long", "wide"] = "auto",
    period=None,
    source=None,
    frequency: str | None = None,
    parent_column=None,
) -> Layout:
    """Decide which columns hold the city, province, period and values.

    Parameters are those of :func:`to_long`. Undecided roles are found from headers:

    * city: a header such as ``city``, ``城市``, ``城市名称``, ``地级市``; failing those
      ``地区``, ``名称``, ``name``;
    * period (long layout): ``period``, ``时间``, ``日期``, ``date``, ``报告期`` ...; or a year
      column (``year``, ``年份``, ``年度``) alone or with a quarter column (``quarter``,
      ``季度``), which are combined;
    * wide layout: with no period column, the columns whose headers are periods
      (``2021Q1``, ``2021年一季度``, ``2022``) hold the values.

    Raises
    ------
    geodti.errors.InputError
        A named column is missing, a role is ambiguous (several candidate columns), or
        the table has no period information or no value columns.
    """
    where = _where(table, source)
    if table.shape[1] == 0:
        raise InputError(f"{where}: the table has no columns.")
    if len(table) == 0:
        raise InputError(f"{where}: the table has columns {list(table.columns)} but no rows.")
    if layout not in ("auto", "long", "wide"):
        raise ValueError(f"layout must be 'auto', 'long' or 'wide', not {layout!r}")
    columns = [str(c) for c in table.columns]

    if city_column is None:
        city_column = find_city_column(table, source)
    _require_column(table, city_column, "city", where, "city_column= / --city-column")
    if province_column is not None:
        _require_column(table, province_column, "province", where, "province_column= / --province-column")
        if province_column == city_column:
            raise InputError(f"{where}: the city and province columns are both {city_column!r}.")
    if parent_column is None:
        parent_column = find_parent_column(table, city_column, {province_column})
    else:
        _require_column(table, parent_column, "containing city", where,
                        "parent_column= / --parent-column")
        if parent_column in (city_column, province_column):
            raise InputError(f"{where}: the containing-city column {parent_column!r} is also the "
                             "county or province column; give the column of the cities.")
    roles = {city_column, province_column, parent_column} - {None}

    if period is not None:
        if period_column is not None:
            raise InputError(f"{where}: give either a period column or one period for the table, not both.")
        if layout == "wide":
            raise InputError(f"{where}: period= describes a long table (one period), not a wide one.")
        try:
            period = parse_period(period)
        except PeriodError as exc:
            raise InputError(f"period={period!r} is not a period: {exc.reason}. {ACCEPTED_FORMS}.") from None

    if isinstance(period_column, str) and period_column not in table.columns and "," in period_column:
        # "年份,季度" from the command line or a config file: a year and a quarter column
        period_column = tuple(part.strip() for part in period_column.split(","))
    if period_column is not None:
        if layout == "wide":
            raise InputError(
                f"{where}: a wide table has one column per period, so it has no period column; "
                "drop period_column or use layout='long'."
            )
        parts = period_column if isinstance(period_column, tuple) else (period_column,)
        if len(parts) not in (1, 2):
            raise InputError("period_column is a column name or a (year column, quarter column) pair.")
        for part in parts:
            _require_column(table, part, "period", where, "period_column= / --period-column")
        roles |= set(parts)
    elif period is None and layout != "wide":
        period_column = _detect_period_column(table, roles, where)
        if period_column is not None:
            roles |= set(period_column) if isinstance(period_column, tuple) else {period_column}

    period_headers = {}
    suspicious = []
    for column in table.columns:
        if column in roles or not isinstance(column, str | int | np.integer) or isinstance(column, bool):
            continue
        try:
            period_headers[column] = parse_period(column, monthly=True)
        except PeriodError as exc:
            if isinstance(column, str) and len(_RE_YEARISH.findall(column)) == 1:
                suspicious.append(f"{column!r} ({exc.reason})")
    period_headers = settle_months(period_headers, frequency)

    if layout == "long" and period_column is None and period is None:
        raise _no_period_error(table, where, wide_hint=bool(period_headers))
    is_wide = layout == "wide" or (
        layout == "auto" and period_column is None and period is None and bool(period_headers)
    )
    if not is_wide and period_column is None and period is None:
        raise _no_period_error(table, where, wide_hint=False)

    if is_wide:
        if not period_headers:
            raise InputError(
                f"{where}: layout='wide' needs columns whose headers are periods (2021Q1, "
                f"2021年一季度, 2022 ...); none of {columns} is. {ACCEPTED_FORMS}."
            )
        if value_columns is not None:
            for column in value_columns:
                if column not in period_headers:
                    _require_column(table, column, "values", where, "value_columns= / --value-column")
                    raise InputError(
                        f"{where}: column {column!r} is not a period header; in a wide table every "
                        "value column is headed by its period (2021Q1, 2021年一季度 ...)."
                    )
            period_headers = {c: period_headers[c] for c in value_columns}
        elif suspicious:
            raise InputError(
                f"{where}: the headers {', '.join(suspicious)} look like periods but are not "
                f"in an accepted form, so their values would be left out. Rename them (e.g. "
                f"2021Q1), or pass value_columns= (--value-column) with the period columns to use. {ACCEPTED_FORMS}."
            )
        by_period: dict[str, list] = {}
        for column, p in period_headers.items():
            by_period.setdefault(p, []).append(column)
        clashes = {p: cs for p, cs in by_period.items() if len(cs) > 1}
        if clashes:
            shown = "; ".join(f"{[str(c) for c in cs]} all mean {p}" for p, cs in clashes.items())
            raise InputError(f"{where}: several columns hold the same period: {shown}. Keep one of each.")
        values = tuple(period_headers)
        labels = tuple(c for c in table.columns if c not in roles and c not in period_headers)
        return Layout("wide", city_column, province_column, None, None, period_headers, values, labels,
                      parent_column)

    if value_columns is not None:
        value_columns = tuple(value_columns)
        for column in value_columns:
            _require_column(table, column, "values", where, "value_columns= / --value-column")
            if column in roles:
                raise InputError(f"{where}: column {column!r} is the city, province or period, not a value.")
    else:
        value_columns = tuple(
            c for c in table.columns
            if c not in roles and _norm_header(c) not in IDENTIFIER_HEADERS
            and not _looks_like_codes(table[c]) and _has_numbers(table[c])
        )
    if not value_columns:
        raise InputError(
            f"{where}: no column holds numbers to analyse (columns: {columns}). Pass "
            "value_columns= (--value-column) with the columns that hold the index values."
        )
    labels = tuple(c for c in table.columns if c not in roles and c not in value_columns)
    return Layout("long", city_column, province_column, period_column, period, {}, value_columns, labels,
                  parent_column)


def _detect_period_column(table, roles, where):
    general = _find_by_header(table, PERIOD_HEADERS, roles)
    years = _find_by_header(table, YEAR_HEADERS, roles)
    quarters = _find_by_header(table, QUARTER_HEADERS, roles)
    found = general + years + quarters
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    if not general and len(years) == 1 and len(quarters) == 1:
        return (years[0], quarters[0])
    raise InputError(
        f"{where}: several columns could hold the period: {[str(c) for c in found]}. Pass the "
        "period column's name (period_column= / --period-column), or for separate year and "
        "quarter columns the pair (year column, quarter column)."
    )


def _no_period_error(table, where: str, *, wide_hint: bool) -> InputError:
    headers = "period, quarter, date, year, 时间, 季度, 日期, 年份"
    wide = (
        " Some headers are periods: use layout='wide' (or 'auto')." if wide_hint else
        " For a wide table, head each value column with its period (2021Q1, 2021年一季度, 2022)."
    )
    return InputError(
        f"{where}: no period information: no column is named like a period ({headers}) and no "
        f"column header is a period. Columns: {[str(c) for c in table.columns]}"
        f"{_header_hint(table)}. Pass period_column= (--period-column), or period='2023Q1' "
        f"(--period) if the whole table is one period.{wide}"
    )


# --------------------------------------------------------------------------------------
# numbers


def _number(value) -> tuple[float, bool] | str:
    """``(number, is_percent)`` or the reason the cell is not a number."""
    if value is None or value is pd.NA or value is pd.NaT:
        return (math.nan, False)
    if isinstance(value, bool | np.bool_):
        return "a true/false value is not a number"
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isinf(number):
            return "an infinite value"
        return (number, False)
    if not isinstance(value, str):
        return f"a {type(value).__name__} is not a number"
    text = unicodedata.normalize("NFKC", value).strip().replace("\u2212", "-")
    if text.lower() in MISSING_MARKERS or text in ("…", "……"):
        return (math.nan, False)
    if _RE_EXCEL_ERROR.fullmatch(text.upper()):
        return "an Excel error value; fix the formula or clear the cell"
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    if _RE_THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if _RE_NUMBER.fullmatch(text):
        number = float(text)
        return (number, percent) if math.isfinite(number) else "a number too large"
    if _RE_DECIMAL_COMMA.fullmatch(text):
        return "not a number (a decimal comma? write 1.5, not 1,5)"
    if re.search(r"[万亿千百]", text):
        return "not a number (units such as 万/亿 are not converted; give plain numbers)"
    return "not a number"


def _convert(series: pd.Series) -> tuple[np.ndarray, list[tuple[int, object, str]]]:
    """Numbers of a column and its problems as ``(position, value, reason)``."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return np.full(len(series), np.nan), [
            (i, v, "a true/false value is not a number") for i, v in enumerate(series.head(_SHOW))
        ]
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(np.isinf(numbers))
        return numbers, [(int(i), numbers[i], "an infinite value") for i in bad]
    raw = series.to_numpy(dtype=object)
    codes, uniques = pd.factorize(raw, use_na_sentinel=False)
    results = [_number(u) for u in uniques]
    failed = np.array([isinstance(r, str) for r in results], dtype=bool)
    numbers = np.array([math.nan if isinstance(r, str) else r[0] for r in results], dtype=float)[codes]
    percent = np.array([not isinstance(r, str) and r[1] for r in results], dtype=bool)[codes]
    problems = [(int(i), raw[i], results[codes[i]]) for i in np.flatnonzero(failed[codes])]
    if percent.any() and not problems:
        plain = ~percent & ~np.isnan(numbers)
        if plain.any():
            first_pct, first_plain = int(np.argmax(percent)), int(np.argmax(plain))
            problems.append((first_plain, raw[first_plain], (
                f"a plain number in a column that also holds percentages such as "
                f"{raw[first_pct]!r}; write all values the same way (all with % or none)")))
        else:
            numbers = numbers / 100.0  # 12.5% is 0.125, as Excel stores it
    return numbers, problems


_RE_CODE = re.compile(r"\s*0\d+\s*")


def _looks_like_codes(series: pd.Series) -> bool:
    """True if some cell is digits with a leading zero (``0755``): codes, not quantities."""
    if not (pd.api.types.is_string_dtype(series.dtype) or series.dtype == object):
        return False
    return any(isinstance(v, str) and _RE_CODE.fullmatch(v) for v in pd.unique(series.dropna()))


def _has_numbers(series: pd.Series) -> bool:
    """True unless every filled cell is text that is not a number (a label column)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    if pd.api.types.is_numeric_dtype(series.dtype):
        return True
    for value in pd.unique(series.dropna().astype(object)):
        result = _number(value)
        if not isinstance(result, str) and not math.isnan(result[0]):
            return True
    return False


# --------------------------------------------------------------------------------------
# to_long


def _map_distinct(values, func) -> np.ndarray:
    """``func`` of every value, computed once per distinct value (tables repeat cities)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [func(u) for u in uniques]
    return mapped[codes]


def _source_rows(table: pd.DataFrame, row_offset: int) -> np.ndarray:
    if table.index.name == "source_row" and pd.api.types.is_integer_dtype(table.index.dtype):
        return table.index.to_numpy(dtype=np.int64)
    return np.arange(len(table), dtype=np.int64) + row_offset


def _is_blank(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _rows_text(rows: Sequence[int]) -> str:
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:_SHOW])
    return shown + (f" and {len(rows) - _SHOW} more" if len(rows) > _SHOW else "")


def _raise_value_problems(problems, where: str, total: int) -> None:
    shown = "; ".join(f"row {r}, column {str(c)!r}: {v!r} is {why}" for r, c, v, why in problems)
    more = f" ({total} cells in all)" if total > len(problems) else ""
    raise InputError(
        f"{where}: cells that should hold numbers do not{more}: {shown}. Numbers may use a "
        "decimal point, thousands separators (1,234.5) and full-width digits; blank, -, —, NA "
        "mean missing. Fix these cells, or pass value_columns= (--value-column) to choose the value columns."
    )


def to_long(
    table: pd.DataFrame,
    *,
    city_column=None,
    province_column=None,
    period_column=None,
    value_columns: Sequence | None = None,
    layout: Literal["auto", "long", "wide"] = "auto",
    value_name: str = "value",
    period=None,
    source=None,
    row_offset: int = 2,
    frequency: str | None = None,
    parent_column=None,
) -> pd.DataFrame:
    """Reshape a city table to one row per city and period, with periods normalised.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from :func:`read_table` (text cells, index ``source_row``) or any
        DataFrame (numeric columns are taken as they are).
    city_column : column label, optional
        The column of city names or codes, kept as given (matching happens later).
        Default: the one column whose header looks like a city (``城市``, ``city`` ...).
    province_column : column label, optional
        A province column, kept as given; helps the matcher tell same-named cities apart.
    period_column : column label or (year column, quarter column), optional
        Long layout: the period column. Default: found from its header; a year column
        with a quarter column (``年份`` + ``季度``) is combined, and a blank quarter next to
        a year makes an annual row. The pair may also be written ``"年份,季度"``.
    value_columns : sequence of column labels, optional
        Long layout: the value columns (default: every other column holding numbers,
        except identifiers such as ``adcode``/``序号``). Wide layout: the period columns
        to use (default: all).
    layout : {"auto", "long", "wide"}
        ``auto`` is wide when there is no period column and column headers are periods.
    value_name : str
        Wide layout: the name of the value column (e.g. ``"dti"``).
    period : str, optional
        The one period of a table without period information (a cross-section).
    source : str, optional
        The file name used in messages (default: ``table.attrs["source"]``).
    row_offset : int
        Spreadsheet row number of the first row when ``table``'s index is not
        ``source_row`` (2: the header is row 1).
    frequency : {"annual", "quarter", "month"}, optional
        Keep only the rows of this frequency (the others are counted in
        ``attrs["left_out_frequencies"]`` and an :class:`~geodti.errors.InputWarning`
        names their first rows), and read months and dates as months (``"month"``) or as
        their quarters. Default: every row; months stay months when two of them fall in one
        quarter (:func:`geodti.periods.settle_months`).
    parent_column : column label, optional
        A county table's column of the city containing each county (names or codes), kept
        as ``parent``; it decides county names shared by several cities (朝阳区 of 北京 or
        长春). Default: found from its header (:func:`find_parent_column`) when the city
        column is headed like a county.

    Returns
    -------
    pandas.DataFrame
        Columns ``source_row``, ``city``, ``province`` (if given), ``parent`` (if found),
        ``period``,
        ``period_type`` (``"annual"``/``"quarter"``/``"month"``), the value columns (float), then the
        other columns unchanged (e.g. ``adcode``). Long layout keeps the input row order;
        wide layout gives each row's periods in chronological order. ``attrs`` records
        the source, the :class:`Layout` fields and ``mixed_period_cities``.

    Raises
    ------
    geodti.errors.InputError
        Empty table, missing or ambiguous columns, no period information, unreadable
        periods, non-numeric values, blank cities, duplicate city-period pairs. Each
        message names the file, rows, column and values.
    """
    where = _where(table, source)
    found = detect_layout(
        table, city_column=city_column, province_column=province_column,
        period_column=period_column, value_columns=value_columns, layout=layout,
        period=period, source=source, frequency=frequency, parent_column=parent_column,
    )
    rows = _source_rows(table, row_offset)
    n = len(table)

    city = table[found.city_column]
    blank = np.flatnonzero(_map_distinct(city, _is_blank).astype(bool))
    if len(blank):
        raise InputError(
            f"{where}: the city cell (column {str(found.city_column)!r}) is blank in rows "
            f"{_rows_text(rows[blank])}; fill in the city or delete these rows."
        )

    if found.layout == "wide":
        order = sorted(found.period_headers, key=lambda c: period_sort_key(found.period_headers[c]))
        k = len(order)
        take = np.repeat(np.arange(n), k)
        periods = np.tile(np.array([found.period_headers[c] for c in order], dtype=object), n)
        raw_periods = None
        # One variable: convert every period column together, so the percentage rule
        # (all cells with % or none) holds across periods, not column by column.
        stacked = pd.Series(
            np.concatenate([table[c].to_numpy(dtype=object) for c in order]), dtype=object
        )
        if all(pd.api.types.is_numeric_dtype(table[c].dtype) for c in order):
            stacked = stacked.astype(float)
        numbers, found_problems = _convert(stacked)
        if found_problems:
            problems = [(rows[i % n], order[i // n], v, why) for i, v, why in found_problems]
            problems.sort(key=lambda p: (p[0], order.index(p[1])))
            _raise_value_problems(problems[:_SHOW], where, len(found_problems))
        values = {value_name: numbers.reshape(k, n).T.ravel()}
        value_names = [value_name]
    else:
        take = np.arange(n)
        periods, raw_periods = _long_periods(table, found, rows, where, frequency)
        values, problems, total = {}, [], 0
        for column in found.value_columns:
            values[column], found_problems = _convert(table[column])
            total += len(found_problems)
            problems += [(rows[i], column, v, why) for i, v, why in found_problems]
        if total:
            _raise_value_problems(sorted(problems, key=lambda p: p[0])[:_SHOW], where, total)
        value_names = list(found.value_columns)

    reserved = {"source_row", "city", "period", "period_type"} | (
        {"province"} if found.province_column is not None else set()
    ) | ({"parent"} if found.parent_column is not None else set())
    out_names = value_names + [str(c) for c in found.label_columns]
    clash = [c for c in out_names if c in reserved]
    if clash or len(set(out_names)) != len(out_names):
        raise InputError(
            f"{where}: the columns {clash or out_names} would clash with geodti's output columns "
            f"({', '.join(OUTPUT_COLUMNS)}) or with each other; rename them, or choose another "
            "value_name."
        )

    period_series = pd.Series(periods, dtype=text_dtype())
    out = {
        "source_row": rows[take],
        "city": city.take(take).reset_index(drop=True),
    }
    if found.province_column is not None:
        out["province"] = table[found.province_column].take(take).reset_index(drop=True)
    if found.parent_column is not None:
        out["parent"] = table[found.parent_column].take(take).reset_index(drop=True)
    out["period"] = period_series
    out["period_type"] = pd.Series(_map_distinct(period_series, period_type), dtype=text_dtype())
    out.update(values)
    for column in found.label_columns:
        out[str(column)] = table[column].take(take).reset_index(drop=True)
    long = pd.DataFrame(out)

    keys = ["city", "period"] + (["province"] if found.province_column is not None else []) + (
        ["parent"] if found.parent_column is not None else [])
    province_like = [
        str(c) for c in province_columns(found.label_columns)
    ] if found.province_column is None else []
    check_duplicates(
        long, keys=keys, source=where, raw_periods=raw_periods,
        hint=f" Column {province_like[0]!r} looks like a province: pass it as province_column= "
        "(--province-column) if same-named cities are meant." if province_like else "",
    )
    long, left_out = _keep_frequency(long, frequency, where)
    mixed = _mixed_period_cities(long, keys[:1] + keys[2:])
    if mixed:
        warnings.warn(
            f"{where}: {len(mixed)} {'city has' if len(mixed) == 1 else 'cities have'} both "
            "quarterly and annual values "
            f"(e.g. {', '.join(map(str, mixed[:_SHOW]))}); they are kept and marked in "
            "period_type. Compare like with like.",
            InputWarning,
            stacklevel=2,
        )
    long.attrs = {
        **{k: v for k, v in table.attrs.items() if k != "source"},
        "source": where,
        "layout": found.layout,
        "city_column": found.city_column,
        "province_column": found.province_column,
        "parent_column": found.parent_column,
        "period_column": found.period_column,
        "value_columns": value_names,
        "label_columns": [str(c) for c in found.label_columns],
        "mixed_period_cities": mixed,
        "left_out_frequencies": left_out,
    }
    return long


def _keep_frequency(long: pd.DataFrame, frequency: str | None, where: str):
    """The rows of ``frequency`` (all rows without one) and the count left out per frequency."""
    if frequency is None:
        return long, {}
    if frequency not in FREQUENCIES:
        raise InputError(f"frequency {frequency!r} is not one of {', '.join(FREQUENCIES)}.")
    keep = (long["period_type"] == frequency).to_numpy()
    if not keep.any():
        found = ", ".join(f"{k} {v}" for k, v in long["period_type"].value_counts().items())
        raise InputError(f"{where}: no row has a {frequency} period (rows per frequency: "
                         f"{found}); choose one of those with --frequency.")
    other = long.loc[~keep]
    left_out = {str(k): int(v) for k, v in other["period_type"].value_counts().sort_index().items()}
    if left_out:
        warnings.warn(
            f"{where}: --frequency {frequency} keeps {int(keep.sum())} rows and leaves out "
            + "; ".join(f"{n} {k} rows (rows {_rows_text(other.loc[other['period_type'] == k, 'source_row'].to_numpy())})"
                        for k, n in left_out.items()) + ".",
            InputWarning, stacklevel=3)
    return long.loc[keep].reset_index(drop=True), left_out


def _long_periods(table, found: Layout, rows, where: str, frequency: str | None = None):
    """Normalised periods of a long table and the raw values (for duplicate messages)."""
    n = len(table)
    if found.period is not None:
        return np.full(n, found.period, dtype=object), None
    if isinstance(found.period_column, tuple):
        return _year_quarter_periods(table, found.period_column, rows, where)
    column = found.period_column
    raw = table[column]
    parsed, refused = parse_distinct_periods(raw, monthly=True)
    parsed = settle_months(parsed, frequency)
    keys = pd.Series(_map_distinct(raw, lambda v: None if _is_blank(v) else v), dtype=object)
    blank = np.flatnonzero(keys.isna().to_numpy())
    if len(blank):
        raise InputError(
            f"{where}: the period cell (column {str(column)!r}) is blank in rows "
            f"{_rows_text(rows[blank])}; fill in the period or delete these rows."
        )
    bad = np.flatnonzero(_map_distinct(keys, lambda v: v in refused).astype(bool))
    if len(bad):
        shown = "; ".join(f"row {rows[i]}: {refused[keys.iloc[i]]}" for i in bad[:_SHOW])
        quarter_only = all(_quarter_number(keys.iloc[i]) is not None for i in bad)
        hint = (
            " These look like quarters without a year: add a year column (年份/year) or write "
            "2021Q1." if quarter_only else
            f" Fix these cells, or if {str(column)!r} is not the period column, pass period_column=."
        )
        raise InputError(
            f"{where}: {len(bad)} rows have a period geodti cannot read in column "
            f"{str(column)!r}: {shown}.{hint} {ACCEPTED_FORMS}."
        )
    periods = _map_distinct(keys, parsed.__getitem__)
    return periods, raw.to_numpy(dtype=object)


_RE_QUARTER_ONLY = re.compile(r"(?:Q\s*0?|第\s*)?([1-4一二三四])\s*(?:季度?)?", re.I)


def _quarter_number(value) -> int | None:
    """1-4 for a quarter written without its year (``1``, ``Q1``, ``一季度``, ``第1季度``)."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value) if 1 <= value <= 4 else None
    if isinstance(value, float) and value.is_integer():
        return int(value) if 1 <= value <= 4 else None
    if not isinstance(value, str):
        return None
    m = _RE_QUARTER_ONLY.fullmatch(unicodedata.normalize("NFKC", value).strip())
    return None if m is None else {"一": 1, "二": 2, "三": 3, "四": 4}.get(m[1]) or int(m[1])


def _year_quarter_periods(table, columns, rows, where: str):
    year_column, quarter_column = columns
    periods = np.empty(len(table), dtype=object)
    raw = np.empty(len(table), dtype=object)
    problems = []
    for i, (year, quarter) in enumerate(zip(table[year_column], table[quarter_column], strict=True)):
        raw[i] = f"{year} {quarter}" if not _is_blank(quarter) else f"{year}"
        try:
            parsed_year = parse_period(year)
        except PeriodError as exc:
            problems.append(f"row {rows[i]}, column {str(year_column)!r}: {year!r} ({exc.reason})")
            continue
        if len(parsed_year) != 4:
            problems.append(f"row {rows[i]}, column {str(year_column)!r}: {year!r} is not a year")
            continue
        if _is_blank(quarter):
            periods[i] = parsed_year  # a year without a quarter is an annual value
            continue
        number = _quarter_number(quarter)
        if number is not None:
            periods[i] = f"{parsed_year}Q{number}"
            continue
        try:
            full = parse_period(quarter)  # e.g. the quarter column repeats the year: 2021Q1
        except PeriodError:
            full = None
        if full is not None and len(full) == 6 and full[:4] == parsed_year:
            periods[i] = full
        else:
            problems.append(
                f"row {rows[i]}, column {str(quarter_column)!r}: {quarter!r} is not a quarter of "
                f"{parsed_year} (write 1-4, Q1-Q4 or 一季度-四季度)"
            )
    if problems:
        raise InputError(
            f"{where}: {len(problems)} rows have an unreadable year or quarter: "
            + "; ".join(problems[:_SHOW]) + ". Fix these cells."
        )
    return periods, raw


def _norm_text(value) -> str:
    return "" if _is_blank(value) else unicodedata.normalize("NFKC", str(value)).strip()


def check_duplicates(
    long: pd.DataFrame,
    keys: Sequence[str] = ("city", "period"),
    *,
    source=None,
    raw_periods=None,
    hint: str = "",
) -> None:
    """Raise if a key (e.g. city and period) appears in more than one row.

    Text keys are compared after trimming spaces and NFKC normalisation. Use it again
    after matching with ``keys=("adcode", "period")``: ``深圳`` and ``深圳市`` differ here
    but are one city after matching.

    Parameters
    ----------
    long : pandas.DataFrame
        A long table with a ``source_row`` column (as :func:`to_long` returns).
    keys : sequence of str
        Columns that together must be unique.
    source : str, optional
        The file name used in the message (default: ``long.attrs["source"]``).
    raw_periods : array-like, optional
        The periods as written, shown next to rows when they differ from the normalised
        period (e.g. two months of one quarter).
    hint : str
        Appended to the message (e.g. which column to pass as the province).

    Raises
    ------
    geodti.errors.InputError
        Listing the first duplicated keys with their rows.
    """
    keys = list(keys)
    normalised = pd.DataFrame({k: _map_distinct(long[k], _norm_text) for k in keys})
    dup = normalised.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    where = _where(long, source)
    rows = long["source_row"].to_numpy()
    groups: dict[tuple, list[int]] = {}
    for i in np.flatnonzero(dup):
        groups.setdefault(tuple(normalised.iloc[i]), []).append(int(i))
    # Collapse the periods of one repeated city (wide tables repeat every period).
    by_rows: dict[tuple, list] = {}
    others = [k for k in keys if k != "period"]
    for key, members in groups.items():
        label = tuple(v for k, v in zip(keys, key, strict=True) if k != "period")
        by_rows.setdefault((label, tuple(int(rows[i]) for i in members)), []).append(members)
    lines = []
    for (label, member_rows), member_groups in list(by_rows.items())[:_SHOW]:
        periods = [long["period"].iloc[m[0]] for m in member_groups] if "period" in keys else []
        what = " ".join(f"{v!r}" for v in label) if others else ""
        if periods:
            shown = ", ".join(str(p) for p in periods[:3]) + (" ..." if len(periods) > 3 else "")
            what = f"{what} {shown}".strip()
        written = ""
        if raw_periods is not None:
            raws = [str(raw_periods[i]) for i in member_groups[0]]
            if len(set(raws)) > 1:
                written = f" (written {', '.join(repr(r) for r in raws)})"
        lines.append(f"{what} in rows {_rows_text(member_rows)}{written}")
    more = f" ({len(by_rows)} in all)" if len(by_rows) > _SHOW else ""
    key_text = "-".join(keys)
    raise InputError(
        f"{where}: each {key_text} must appear once, but these repeat{more}: {'; '.join(lines)}. "
        "Keep one row per city and period (add a province column if two cities share a name; "
        f"aggregate months to quarters before reading).{hint}"
    )


def _mixed_period_cities(long: pd.DataFrame, keys: list[str]) -> list:
    if long["period_type"].nunique() < 2:
        return []
    normalised = pd.DataFrame({k: _map_distinct(long[k], _norm_text) for k in keys})
    normalised["period_type"] = long["period_type"].to_numpy()
    kinds = normalised.groupby(keys, sort=False)["period_type"].nunique()
    mixed = kinds[kinds > 1].index
    return [m if isinstance(m, str) else m[0] for m in mixed]


# --------------------------------------------------------------------------------------
# convenience for the pipeline and the CLI


def read_long(
    path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
    **options,
) -> pd.DataFrame:
    """:func:`read_table` then :func:`to_long` (``options`` go to :func:`to_long`)."""
    return to_long(read_table(path, sheet=sheet, encoding=encoding, header_row=header_row), **options)


def summarize(long: pd.DataFrame) -> dict:
    """Facts about a table returned by :func:`to_long`, for ``geodti read`` to print.

    Returns
    -------
    dict
        ``source``, ``format``, ``encoding``, ``delimiter``, ``sheet``, ``header_row``,
        ``skipped_rows``, ``layout``, ``city_column``, ``province_column``,
        ``period_column``, ``value_columns``, ``label_columns``, ``province_candidates``
        (other columns headed like a province, when no province column was given),
        ``input_rows`` (rows of
        the input table), ``rows`` (of the long table), ``cities`` (distinct),
        ``periods`` (sorted), ``period_types`` (``{"quarter": n, "annual": n}`` rows, and ``"month"`` when there are monthly rows),
        ``missing`` (``{value column: missing count}``), ``mixed_period_cities``.
    """
    attrs = long.attrs
    kinds = long["period_type"].value_counts()
    return {
        "source": attrs.get("source"),
        "format": attrs.get("format"),
        "encoding": attrs.get("encoding"),
        "delimiter": attrs.get("delimiter"),
        "sheet": attrs.get("sheet"),
        "header_row": attrs.get("header_row"),
        "quarter_row": attrs.get("quarter_row"),  # a yearbook's quarters under the year row
        "skipped_rows": list(attrs.get("skipped_rows", [])),
        "layout": attrs.get("layout"),
        "city_column": attrs.get("city_column"),
        "province_column": attrs.get("province_column"),
        "parent_column": attrs.get("parent_column"),
        "period_column": attrs.get("period_column"),
        "value_columns": list(attrs.get("value_columns", [])),
        "label_columns": list(attrs.get("label_columns", [])),
        "province_candidates": [
            c for c in province_columns(attrs.get("label_columns", []))
        ] if attrs.get("province_column") is None else [],
        "input_rows": int(long["source_row"].nunique()),
        "rows": len(long),
        "cities": len(set(_map_distinct(long["city"], _norm_text))),
        "periods": sort_periods(long["period"].unique()),
        "period_types": {k: int(kinds.get(k, 0)) for k in ("quarter", "annual")}
        | {k: int(kinds[k]) for k in ("month",) if kinds.get(k, 0)},
        "missing": {c: int(long[c].isna().sum()) for c in attrs.get("value_columns", [])},
        "mixed_period_cities": list(attrs.get("mixed_period_cities", [])),
    }
