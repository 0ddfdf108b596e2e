"""Period strings: parse the many ways tables write a quarter or a year, and compute with them.

geodti stores every period as a string: a quarter ``"2021Q1"`` or a year ``"2021"``
(annual values, ``period_type == "annual"``). :func:`parse_period` turns what users'
tables contain into that form:

=============================  ==========  ==============================================
written as                     becomes     note
=============================  ==========  ==============================================
``2021Q1``, ``2021q1``,        ``2021Q1``  any of ``- _ / .`` or a space may separate
``2021-Q1``, ``2021 Q1``,                  year and quarter; ``Q01`` is accepted
``2021Q01``, ``2021年Q1``
``Q1 2021``, ``Q1-2021``       ``2021Q1``
``2021年一季度``,               ``2021Q1``  一/二/三/四 or 1-4, with or without 第, 度
``2021年第1季度``,
``2021年第一季度``,
``2021年1季度``
``2021-03-31``, ``2021/3/31``  ``2021Q1``  a date means the quarter containing it; also
``2021.03.31``, ``20210331``,              datetimes (``2021-03-31 00:00:00``), US
``2021年3月31日``                           ``3/31/2021`` when day and month cannot be
                                           confused, :class:`datetime.date`,
                                           :class:`pandas.Timestamp`, ``numpy.datetime64``
``2021-03``, ``2021.03``,      ``2021Q1``  a month means the quarter containing it; the
``2021/03``, ``2021年3月``,                 month needs two digits after ``- . /``
``202103``
``2021``, ``2021年``,          ``2021``    annual; also the integer 2021 and the float
``2021年度``                               2021.0 (a year column read with blanks)
:class:`pandas.Period`         either      ``Q-DEC`` -> quarter, ``Y-DEC`` -> annual,
                                           months and days -> their quarter
=============================  ==========  ==============================================

Full-width characters (``２０２１Ｑ１``) are normalised first (Unicode NFKC).

Refused, with an :class:`~geodti.errors.InputError` that lists the accepted forms:
half years (``2021H1``), two-digit years (``21Q1``), fiscal quarters (``Period`` with a
year end other than December), quarter numbers outside 1-4, years outside 1900-2100, and
the ambiguous ``2021.1`` / ``2021-1`` (Excel drops the trailing zero of ``2021.10``, so
``2021.1`` may mean January or October; ``2021-1`` may mean a month or a quarter).

Ordering: an annual period sorts before the quarters of its year (``"2021"`` <
``"2021Q1"``), the same order as sorting the normalised strings themselves.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from collections.abc import Hashable, Iterable
from typing import Literal

import numpy as np
import pandas as pd

from geodti.errors import InputError

__all__ = [
    "ACCEPTED_FORMS",
    "parse_period",
    "parse_periods",
    "period_type",
    "year_of",
    "quarter_of",
    "period_sort_key",
    "sort_periods",
    "shift_quarter",
    "quarters_between",
]

MIN_YEAR = 1900
MAX_YEAR = 2100

ACCEPTED_FORMS = (
    "Accepted period forms: quarters 2021Q1, 2021q1, 2021-Q1, 2021 Q1, 2021Q01, Q1 2021, "
    "2021年一季度, 2021年第1季度, 2021年第一季度, 2021年1季度; "
    "dates 2021-03-31, 2021/3/31, 2021年3月31日, 20210331 (the quarter containing the date); "
    "months 2021-03, 2021年3月, 202103 (the quarter containing the month); "
    "years 2021, 2021年 (annual)"
)

_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

_SEP = r"\s*[-_/.]?\s*"
_RE_YEAR_Q = re.compile(rf"(\d{{4}})\s*(?:年\s*)?{_SEP}Q\s*(\d{{1,2}})(?:\s*季度?)?", re.I)
_RE_Q_YEAR = re.compile(r"Q\s*(\d{1,2})\s*[-_/.,]?\s*(\d{4})", re.I)
_RE_CN_QUARTER = re.compile(r"(\d{4})\s*年?\s*(?:第\s*)?([一二三四\d]+)\s*季(?:度)?")
_RE_YEAR = re.compile(r"(\d{4})(?:\s*年度?)?")
_RE_YEAR_FLOAT = re.compile(r"(\d{4})\.0+")
_RE_YEAR_MONTH = re.compile(r"(\d{4})\s*[-/.]\s*(\d{2})")
_RE_YEAR_MONTH_CN = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月份?")
_RE_YEAR_MONTH_DIGITS = re.compile(r"(\d{4})(\d{2})")
_RE_AMBIGUOUS = re.compile(r"(\d{4})\s*([-.])\s*(\d)")
_RE_DATE = re.compile(
    r"(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_RE_DATE_CN = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_RE_DATE_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")
_RE_DATE_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")
_RE_NORMAL = re.compile(r"(\d{4})(?:Q([1-4]))?")


class _Refused(Exception):
    """Internal: why a value is not a period (wrapped in InputError by the callers)."""


def _check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Refused(f"year {year} is outside {MIN_YEAR}-{MAX_YEAR}")
    return year


def _quarter(year: int, quarter: int) -> str:
    _check_year(year)
    if not 1 <= quarter <= 4:
        raise _Refused(f"quarter {quarter} is not 1-4")
    return f"{year}Q{quarter}"


def _month_quarter(year: int, month: int) -> str:
    if not 1 <= month <= 12:
        raise _Refused(f"month {month} is not 1-12")
    return _quarter(year, (month - 1) // 3 + 1)


def _date_quarter(year: int, month: int, day: int) -> str:
    _check_year(year)
    try:
        _dt.date(year, month, day)
    except ValueError as exc:
        raise _Refused(f"not a valid date ({exc})") from None
    return _month_quarter(year, month)


def _parse_text(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).strip()
    if not s:
        raise _Refused("it is blank")
    if m := _RE_NORMAL.fullmatch(s):  # the common, already-normal case first
        return _quarter(int(m[1]), int(m[2])) if m[2] else str(_check_year(int(m[1])))
    if m := _RE_YEAR_Q.fullmatch(s):
        return _quarter(int(m[1]), int(m[2]))
    if m := _RE_Q_YEAR.fullmatch(s):
        return _quarter(int(m[2]), int(m[1]))
    if m := _RE_CN_QUARTER.fullmatch(s):
        if m[2] not in _CN_QUARTER:
            raise _Refused(f"quarter {m[2]} is not 1-4 (一/二/三/四)")
        return _quarter(int(m[1]), _CN_QUARTER[m[2]])
    if m := _RE_YEAR.fullmatch(s) or _RE_YEAR_FLOAT.fullmatch(s):
        return str(_check_year(int(m[1])))
    if m := _RE_DATE.fullmatch(s):
        return _date_quarter(int(m[1]), int(m[3]), int(m[4]))
    if m := _RE_DATE_CN.fullmatch(s):
        return _date_quarter(int(m[1]), int(m[2]), int(m[3]))
    if m := _RE_YEAR_MONTH.fullmatch(s) or _RE_YEAR_MONTH_CN.fullmatch(s):
        return _month_quarter(_check_year(int(m[1])), int(m[2]))
    if m := _RE_DATE_DIGITS.fullmatch(s):
        return _date_quarter(int(m[1]), int(m[2]), int(m[3]))
    if m := _RE_YEAR_MONTH_DIGITS.fullmatch(s):
        return _month_quarter(_check_year(int(m[1])), int(m[2]))
    if m := _RE_DATE_US.fullmatch(s):
        return _us_date_quarter(int(m[1]), int(m[2]), int(m[3]))
    if m := _RE_AMBIGUOUS.fullmatch(s):
        if m[2] == ".":
            raise _Refused(
                f"it is ambiguous: {m[1]}.{m[3]} may be month {m[3]} or month {m[3]}0 "
                "(spreadsheets drop the trailing zero of 2021.10); write the month with two "
                f"digits ({m[1]}.0{m[3]}) or the quarter ({m[1]}Q1)"
            )
        raise _Refused(
            f"it is ambiguous: {m[1]}-{m[3]} may be a month or a quarter; "
            f"write {m[1]}Q{m[3]} or {m[1]}-0{m[3]}"
        )
    raise _Refused("it is not a recognised form")


def _us_date_quarter(first: int, second: int, year: int) -> str:
    """``m/d/Y`` (US Excel) or ``d/m/Y``: accept only when both readings agree on the quarter."""
    readings = set()
    for month, day in ((first, second), (second, first)):
        try:
            readings.add(_date_quarter(year, month, day))
        except _Refused:
            pass
    if len(readings) == 1:
        return readings.pop()
    if not readings:
        raise _Refused("not a valid date")
    raise _Refused(
        f"it is ambiguous: {first}/{second}/{year} may be month/day or day/month; "
        f"write the date as {year}-MM-DD"
    )


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return False


def _parse(value) -> str:
    """Normalise one value or raise :class:`_Refused` saying why it is not a period."""
    if _is_missing(value):
        raise _Refused("it is blank")
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, bool | np.bool_):
        raise _Refused("a true/false value is not a period")
    if isinstance(value, int | np.integer):
        return _parse_text(str(int(value)))
    if isinstance(value, float | np.floating):
        if float(value).is_integer():
            return _parse_text(str(int(value)))
        raise _Refused(
            "a number with decimals is ambiguous as a period (2021.1 may be January or "
            "October); store periods as text such as 2021Q1"
        )
    if isinstance(value, pd.Period):
        return _parse_pandas_period(value)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, _dt.datetime | _dt.date):  # includes pandas.Timestamp
        return _date_quarter(value.year, value.month, value.day)
    raise _Refused(f"a value of type {type(value).__name__} is not a period")


def _parse_pandas_period(value: pd.Period) -> str:
    freq = value.freqstr.upper()
    if freq.startswith("Q"):
        if freq not in ("Q", "Q-DEC"):
            raise _Refused(f"fiscal quarters ({value.freqstr}) are not supported; use calendar quarters")
        return _quarter(value.year, value.quarter)
    if freq.startswith(("Y", "A")):
        if freq not in ("Y", "Y-DEC", "A", "A-DEC"):
            raise _Refused(f"fiscal years ({value.freqstr}) are not supported; use calendar years")
        return str(_check_year(value.year))
    start, end = value.start_time, value.end_time
    first, last = _date_quarter(start.year, start.month, start.day), _date_quarter(
        end.year, end.month, end.day
    )
    if first != last:
        raise _Refused(f"the {value.freqstr} period {value} spans two quarters")
    return first


def _refusal_message(value, reason: str) -> str:
    return f"{value!r} is not a period: {reason}. {ACCEPTED_FORMS}."


def parse_period(value) -> str:
    """Normalise a period to ``"2021Q1"`` (quarter) or ``"2021"`` (annual).

    Parameters
    ----------
    value : str, int, float, datetime.date, datetime.datetime, pandas.Timestamp, pandas.Period
        A period as a table holds it; see the module docstring for every accepted form.

    Returns
    -------
    str
        ``"YYYYQn"`` for a quarter (a date or month gives the quarter containing it),
        ``"YYYY"`` for a year.

    Raises
    ------
    geodti.errors.InputError
        The value is blank, ambiguous or not in an accepted form; the message says why
        and lists the accepted forms.

    Examples
    --------
    >>> parse_period("2021年第一季度")
    '2021Q1'
    >>> parse_period("2021-08-15")
    '2021Q3'
    >>> parse_period(2022)
    '2022'
    """
    try:
        return _parse(value)
    except _Refused as exc:
        raise InputError(_refusal_message(value, str(exc))) from None


def parse_periods(
    values: pd.Series | Iterable, *, errors: Literal["raise", "coerce"] = "raise"
) -> pd.Series:
    """Normalise a column of periods, parsing each distinct value once.

    Parameters
    ----------
    values : pandas.Series or iterable
        Periods in any form :func:`parse_period` accepts.
    errors : {"raise", "coerce"}
        ``"raise"``: an :class:`~geodti.errors.InputError` listing the first offending
        values with their index labels. ``"coerce"``: blanks and unparseable values
        become missing (NaN); use it to find the bad rows yourself.

    Returns
    -------
    pandas.Series
        Normalised period strings, same index as ``values`` (a new RangeIndex when
        ``values`` is not a Series).
    """
    if errors not in ("raise", "coerce"):
        raise ValueError(f"errors must be 'raise' or 'coerce', not {errors!r}")
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    parsed, refused = _parse_distinct(series)
    result = series.map(parsed).astype(_text_dtype())
    if refused and errors == "raise":
        bad = series[series.map(lambda v: _key(v) in refused)]
        shown = [f"{label!r}: {refused[_key(v)]}" for label, v in bad.head(5).items()]
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        name = f" in {series.name!r}" if series.name is not None else ""
        raise InputError(
            f"{len(bad)} values{name} are not periods{more}: " + "; ".join(shown)
            + f". {ACCEPTED_FORMS}."
        )
    return result


def _key(value) -> Hashable:
    # NaN != NaN, so all missing values share one key
    return None if _is_missing(value) else value


def _parse_distinct(series: pd.Series) -> tuple[dict, dict]:
    """Map each distinct value to its period; collect refusals as ``{value: message}``."""
    parsed: dict = {}
    refused: dict = {}
    for value in pd.unique(series.to_numpy(dtype=object)):
        key = _key(value)
        if key in parsed or key in refused:
            continue
        try:
            parsed[key] = _parse(key)
        except _Refused as exc:
            refused[key] = f"{key!r} ({exc})" if key is not None else "blank"
    return parsed, refused


def _text_dtype():
    return "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def _split(period) -> tuple[int, int | None]:
    """``(year, quarter)`` of a period; quarter is None for an annual period."""
    p = period if isinstance(period, str) and _RE_NORMAL.fullmatch(period) else parse_period(period)
    return (int(p[:4]), int(p[5])) if len(p) == 6 else (int(p), None)


def period_type(period) -> Literal["quarter", "annual"]:
    """``"quarter"`` for ``2021Q1``, ``"annual"`` for ``2021`` (any accepted form)."""
    return "annual" if _split(period)[1] is None else "quarter"


def year_of(period) -> int:
    """The calendar year of a period: ``year_of("2021Q3") == 2021``."""
    return _split(period)[0]


def quarter_of(period) -> int | None:
    """The quarter number 1-4 of a quarterly period; None for an annual period."""
    return _split(period)[1]


def period_sort_key(period) -> tuple[int, int]:
    """Chronological sort key: ``(year, quarter)``, annual periods as quarter 0.

    An annual period thus sorts before the quarters of its year, which is also the order
    of the normalised strings (``"2021" < "2021Q1"``).
    """
    year, quarter = _split(period)
    return (year, quarter or 0)


def sort_periods(periods: Iterable) -> list[str]:
    """Normalise and sort periods chronologically (duplicates kept).

    Examples
    --------
    >>> sort_periods(["2022Q1", "2021年四季度", "2021"])
    ['2021', '2021Q4', '2022Q1']
    """
    return sorted((parse_period(p) for p in periods), key=period_sort_key)


def _require_quarter(period, what: str) -> tuple[int, int]:
    year, quarter = _split(period)
    if quarter is None:
        raise InputError(f"{what} needs a quarter such as 2021Q1, not the annual period {period!r}")
    return year, quarter


def shift_quarter(period, n: int) -> str:
    """The quarter ``n`` quarters after ``period`` (before it when ``n`` is negative).

    Examples
    --------
    >>> shift_quarter("2021Q4", 1)
    '2022Q1'
    >>> shift_quarter("2021Q1", -4)
    '2020Q1'
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"n must be an integer number of quarters, not {n!r}")
    year, quarter = _require_quarter(period, "shift_quarter")
    index = year * 4 + (quarter - 1) + int(n)
    return _quarter_or_input_error(index // 4, index % 4 + 1)


def _quarter_or_input_error(year: int, quarter: int) -> str:
    try:
        return _quarter(year, quarter)
    except _Refused as exc:
        raise InputError(f"the shifted period is out of range: {exc}") from None


def quarters_between(start, end) -> list[str]:
    """Every quarter from ``start`` to ``end``, both included.

    ``quarters_between("2021Q1", "2023Q1")`` gives the nine quarters of the 2023 DTI
    report. The number of quarters from ``start`` to ``end`` is ``len(...) - 1``.

    Raises
    ------
    geodti.errors.InputError
        A bound is annual, or ``end`` precedes ``start``.
    """
    y0, q0 = _require_quarter(start, "quarters_between")
    y1, q1 = _require_quarter(end, "quarters_between")
    first, last = y0 * 4 + q0 - 1, y1 * 4 + q1 - 1
    if last < first:
        raise InputError(f"quarters_between: the end {end!r} precedes the start {start!r}")
    return [f"{i // 4}Q{i % 4 + 1}" for i in range(first, last + 1)]

