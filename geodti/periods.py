"""Periods: parse the many ways tables write a quarter, a year or a month, and compute with them.

The one module for periods. geodti stores every period as a string in a normal form: a
quarter ``"2021Q1"``, a year ``"2021"`` (annual values, ``period_type == "annual"``) or,
when asked for (``monthly=True``), a month ``"2021M01"``. Its frequency is
:func:`period_type`; :func:`sort_periods`, :func:`shift_period`, :func:`year_earlier`
(the year-on-year partner), :func:`periods_between` and :func:`period_number` work in the
period's own frequency. :func:`parse_period` turns what users' tables contain into the
normal form:

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

With ``monthly=True`` a month (``2021-03``, ``2021年3月``, ``202103``, ``2021M03``) or a
date stays a month, ``"2021M03"``; by default it is the quarter containing it, as above.
A table's reader decides for the whole column with :func:`settle_months`: months stay
months when two of them fall in one quarter (the table cannot be quarterly), or when the
user says the table is monthly; otherwise each is the quarter containing it (quarterly
tables are often written with quarter-end dates such as ``2021-03-31``).

Full-width characters (``２０２１Ｑ１``) are normalised first (Unicode NFKC).

Refused, with a :class:`PeriodError` (an :class:`~geodti.errors.InputError`) that lists the accepted forms:
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

from geodti.errors import InputError, MethodError
from geodti.schema import text_dtype

__all__ = [
    "ACCEPTED_FORMS",
    "FREQUENCIES",
    "PER_YEAR",
    "PeriodError",
    "parse_period",
    "parse_periods",
    "parse_distinct_periods",
    "parse_span",
    "period_type",
    "year_of",
    "quarter_of",
    "month_of",
    "is_period",
    "check_period",
    "period_sort_key",
    "sort_periods",
    "period_number",
    "shift_period",
    "shift_quarter",
    "year_earlier",
    "periods_between",
    "quarter_containing",
    "settle_months",
    "period_label",
    "years_since",
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
_RE_MONTH = re.compile(r"(\d{4})\s*M\s*(\d{1,2})", re.I)
#: the canonical forms: ``2021``, ``2021Q1``, ``2021M01``
_RE_CANONICAL = re.compile(r"(\d{4})(?:Q([1-4])|M(0[1-9]|1[0-2]))?")


class _Refused(Exception):
    """Internal: why a value is not a period (wrapped in PeriodError by parse_period)."""


class PeriodError(InputError, MethodError):
    """A value that is not a period, or a period of the wrong kind for an operation.

    Both an input error (a cell of a table) and a method error (an argument of a
    computation); the CLI exits with code 2 either way. ``reason`` says briefly why, without
    the list of accepted forms, for callers that compose their own message.
    """

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


def _check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Refused(f"year {year} is outside {MIN_YEAR}-{MAX_YEAR}")
    return year


def _quarter(year: int, quarter: int) -> str:
    _check_year(year)
    if not 1 <= quarter <= 4:
        raise _Refused(f"quarter {quarter} is not 1-4")
    return f"{year}Q{quarter}"


def _month_quarter(year: int, month: int, monthly: bool = False) -> str:
    if not 1 <= month <= 12:
        raise _Refused(f"month {month} is not 1-12")
    if monthly:
        return f"{_check_year(year)}M{month:02d}"
    return _quarter(year, (month - 1) // 3 + 1)


def _date_quarter(year: int, month: int, day: int, monthly: bool = False) -> str:
    _check_year(year)
    try:
        _dt.date(year, month, day)
    except ValueError as exc:
        raise _Refused(f"not a valid date ({exc})") from None
    return _month_quarter(year, month, monthly)


def _parse_text(text: str, monthly: bool = False) -> str:
    s = unicodedata.normalize("NFKC", text).strip()
    if not s:
        raise _Refused("it is blank")
    if m := _RE_NORMAL.fullmatch(s):  # the common, already-normal case first
        return _quarter(int(m[1]), int(m[2])) if m[2] else str(_check_year(int(m[1])))
    if m := _RE_MONTH.fullmatch(s):
        return _month_quarter(_check_year(int(m[1])), int(m[2]), monthly)
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
        return _date_quarter(int(m[1]), int(m[3]), int(m[4]), monthly)
    if m := _RE_DATE_CN.fullmatch(s):
        return _date_quarter(int(m[1]), int(m[2]), int(m[3]), monthly)
    if m := _RE_YEAR_MONTH.fullmatch(s) or _RE_YEAR_MONTH_CN.fullmatch(s):
        return _month_quarter(_check_year(int(m[1])), int(m[2]), monthly)
    if m := _RE_DATE_DIGITS.fullmatch(s):
        return _date_quarter(int(m[1]), int(m[2]), int(m[3]), monthly)
    if m := _RE_YEAR_MONTH_DIGITS.fullmatch(s):
        return _month_quarter(_check_year(int(m[1])), int(m[2]), monthly)
    if m := _RE_DATE_US.fullmatch(s):
        return _us_date_quarter(int(m[1]), int(m[2]), int(m[3]), monthly)
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


def _us_date_quarter(first: int, second: int, year: int, monthly: bool = False) -> str:
    """``m/d/Y`` (US Excel) or ``d/m/Y``: accept only when both readings agree on the quarter."""
    readings = set()
    for month, day in ((first, second), (second, first)):
        try:
            readings.add(_date_quarter(year, month, day, monthly))
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


def _parse(value, monthly: bool = False) -> str:
    """Normalise one value or raise :class:`_Refused` saying why it is not a period."""
    if _is_missing(value):
        raise _Refused("it is blank")
    if isinstance(value, str):
        return _parse_text(value, monthly)
    if isinstance(value, bool | np.bool_):
        raise _Refused("a true/false value is not a period")
    if isinstance(value, int | np.integer):
        return _parse_text(str(int(value)), monthly)
    if isinstance(value, float | np.floating):
        if float(value).is_integer():
            return _parse_text(str(int(value)), monthly)
        raise _Refused(
            "a number with decimals is ambiguous as a period (2021.1 may be January or "
            "October); store periods as text such as 2021Q1"
        )
    if isinstance(value, pd.Period):
        return _parse_pandas_period(value, monthly)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, _dt.datetime | _dt.date):  # includes pandas.Timestamp
        return _date_quarter(value.year, value.month, value.day, monthly)
    raise _Refused(f"a value of type {type(value).__name__} is not a period")


def _parse_pandas_period(value: pd.Period, monthly: bool = False) -> str:
    freq = value.freqstr.upper()
    if freq.startswith("Q"):
        if freq not in ("Q", "Q-DEC"):
            raise _Refused(f"fiscal quarters ({value.freqstr}) are not supported; use calendar quarters")
        return _quarter(value.year, value.quarter)
    if freq.startswith(("Y", "A")):
        if freq not in ("Y", "Y-DEC", "A", "A-DEC"):
            raise _Refused(f"fiscal years ({value.freqstr}) are not supported; use calendar years")
        return str(_check_year(value.year))
    if monthly and freq == "M":
        return _month_quarter(_check_year(value.year), value.month, True)
    start, end = value.start_time, value.end_time
    first, last = _date_quarter(start.year, start.month, start.day), _date_quarter(
        end.year, end.month, end.day
    )
    if first != last:
        raise _Refused(f"the {value.freqstr} period {value} spans two quarters")
    return first


def _refusal_message(value, reason: str) -> str:
    return f"{value!r} is not a period: {reason}. {ACCEPTED_FORMS}."


def parse_period(value, *, monthly: bool = False) -> str:
    """Normalise a period to ``"2021Q1"`` (quarter), ``"2021"`` (annual) or ``"2021M01"``.

    Parameters
    ----------
    value : str, int, float, datetime.date, datetime.datetime, pandas.Timestamp, pandas.Period
        A period as a table holds it; see the module docstring for every accepted form.
    monthly : bool
        Keep months (``2021-03``, ``2021年3月``, ``2021M03``, dates) as months ``"2021M03"``
        instead of the quarter containing them (the default, for quarterly panels).

    Returns
    -------
    str
        ``"YYYYQn"`` for a quarter (a date or month gives the quarter containing it),
        ``"YYYY"`` for a year, ``"YYYYMmm"`` for a month when ``monthly``.

    Raises
    ------
    PeriodError
        The value is blank, ambiguous or not in an accepted form; the message says why
        and lists the accepted forms (``reason`` holds the why alone).

    Examples
    --------
    >>> parse_period("2021年第一季度")
    '2021Q1'
    >>> parse_period("2021-08-15")
    '2021Q3'
    >>> parse_period("2021-08", monthly=True)
    '2021M08'
    >>> parse_period(2022)
    '2022'
    """
    try:
        return _parse(value, monthly)
    except _Refused as exc:
        raise PeriodError(_refusal_message(value, str(exc)), reason=str(exc)) from None


def parse_distinct_periods(values, *, monthly: bool = False) -> tuple[dict, dict]:
    """Parse each distinct value of a column once.

    Parameters
    ----------
    values : pandas.Series or array-like
        Periods in any form :func:`parse_period` accepts; missing values share one key, None.
    monthly : bool
        As in :func:`parse_period`.

    Returns
    -------
    parsed : dict
        Value -> normalised period, for the values that are periods.
    refused : dict
        Value -> ``"<value> (why)"`` (``"blank"`` for the missing key None).
    """
    parsed: dict = {}
    refused: dict = {}
    for value in pd.unique(pd.Series(values, dtype=object).to_numpy()):
        key = _key(value)
        if key in parsed or key in refused:
            continue
        try:
            parsed[key] = _parse(key, monthly)
        except _Refused as exc:
            refused[key] = f"{key!r} ({exc})" if key is not None else "blank"
    return parsed, refused


def parse_periods(
    values: pd.Series | Iterable, *, errors: Literal["raise", "coerce"] = "raise",
    monthly: bool = False,
) -> pd.Series:
    """Normalise a column of periods, parsing each distinct value once.

    Parameters
    ----------
    values : pandas.Series or iterable
        Periods in any form :func:`parse_period` accepts.
    errors : {"raise", "coerce"}
        ``"raise"``: a :class:`PeriodError` listing the first offending values with their
        index labels. ``"coerce"``: blanks and unparseable values become missing (NaN); use
        it to find the bad rows yourself.
    monthly : bool
        As in :func:`parse_period`.

    Returns
    -------
    pandas.Series
        Normalised period strings, same index as ``values`` (a new RangeIndex when
        ``values`` is not a Series).

    Examples
    --------
    >>> parse_periods(["2021年一季度", "2021-06-30", 2022]).tolist()
    ['2021Q1', '2021Q2', '2022']
    """
    if errors not in ("raise", "coerce"):
        raise ValueError(f"errors must be 'raise' or 'coerce', not {errors!r}")
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    parsed, refused = parse_distinct_periods(series, monthly=monthly)
    result = series.map(parsed).astype(text_dtype())
    if refused and errors == "raise":
        bad = series[series.map(lambda v: _key(v) in refused)]
        shown = [f"{label!r}: {refused[_key(v)]}" for label, v in bad.head(5).items()]
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        name = f" in {series.name!r}" if series.name is not None else ""
        raise PeriodError(
            f"{len(bad)} values{name} are not periods{more}: " + "; ".join(shown)
            + f". {ACCEPTED_FORMS}."
        )
    return result


def _key(value) -> Hashable:
    # NaN != NaN, so all missing values share one key
    return None if _is_missing(value) else value


# ---------------------------------------------------------------------------------------
# computing with normalised periods

#: The period frequencies, in the words of the ``period_type`` column.
FREQUENCIES = ("annual", "quarter", "month")

#: Periods per year of each frequency.
PER_YEAR = {"annual": 1, "quarter": 4, "month": 12}


def _split(period) -> tuple[int, int | None, int | None]:
    """``(year, quarter, month)`` of a period; None for the parts it does not have."""
    m = _RE_CANONICAL.fullmatch(period) if isinstance(period, str) else None
    if m is None:
        m = _RE_CANONICAL.fullmatch(parse_period(period))
    year = int(m[1])
    if m[3]:
        month = int(m[3])
        return year, (month - 1) // 3 + 1, month
    return year, (int(m[2]) if m[2] else None), None


def period_type(period) -> Literal["annual", "quarter", "month"]:
    """The frequency of a period: ``"annual"``, ``"quarter"`` or ``"month"``.

    Examples
    --------
    >>> period_type("2021Q1"), period_type("2021"), period_type("2021M03")
    ('quarter', 'annual', 'month')
    """
    _, quarter, month = _split(period)
    return "month" if month is not None else "quarter" if quarter is not None else "annual"


def year_of(period) -> int:
    """The calendar year of a period: ``year_of("2021Q3") == 2021``."""
    return _split(period)[0]


def quarter_of(period) -> int | None:
    """The quarter number 1-4 of a quarterly or monthly period; None for an annual period."""
    return _split(period)[1]


def month_of(period) -> int | None:
    """The month number 1-12 of a monthly period; None for a quarter or a year."""
    return _split(period)[2]


def period_sort_key(period) -> tuple[int, int, int]:
    """Chronological sort key: ``(year, quarter, month)``, missing parts as 0.

    A year thus sorts before the quarters of its year and a quarter before its months,
    which is also the order of the normalised strings (``"2021" < "2021Q1"``).
    """
    year, quarter, month = _split(period)
    return (year, quarter or 0, month or 0)


def is_period(value, frequency: str | None = None) -> bool:
    """True if ``value`` is a period in the normalised form, of ``frequency`` if given.

    Unlike :func:`parse_period` this accepts only the normal forms (``2021``, ``2021Q1``,
    ``2021M01``): the check of a panel's ``period`` column, not of a user's spelling.
    """
    if not isinstance(value, str):
        return False
    m = _RE_CANONICAL.fullmatch(value)
    return m is not None and (frequency is None or period_type(value) == frequency)


def check_period(period, frequency: str | None = None, what: str = "period") -> str:
    """Return ``period`` if :func:`is_period`; raise :class:`PeriodError` saying what is expected.

    Examples
    --------
    >>> check_period("2021Q1", "quarter")
    '2021Q1'
    """
    if not is_period(period, frequency):
        kind = {"quarter": "a quarter such as '2021Q1'", "annual": "a year such as '2021'",
                "month": "a month such as '2021M01'"}.get(frequency, "a period ('2021', '2021Q1')")
        raise PeriodError(f"{what} {period!r} is not {kind}; write quarters as 'YYYYQn', e.g. "
                          "'2021Q1'." if frequency == "quarter" else f"{what} {period!r} is not {kind}.")
    return period


def sort_periods(periods: Iterable, *, distinct: bool = False,
                 frequency: str | None = None) -> list[str]:
    """Normalise and sort periods chronologically.

    Parameters
    ----------
    periods : iterable
        Periods in any form :func:`parse_period` accepts (with ``frequency``: the normal
        form of that frequency only).
    distinct : bool
        Keep each period once (default: duplicates kept).
    frequency : {"annual", "quarter", "month"}, optional
        Require every period to be of this frequency, in normal form (:class:`PeriodError`).

    Examples
    --------
    >>> sort_periods(["2022Q1", "2021年四季度", "2021"])
    ['2021', '2021Q4', '2022Q1']
    >>> sort_periods(["2021Q2", "2021Q1", "2021Q2"], distinct=True, frequency="quarter")
    ['2021Q1', '2021Q2']
    """
    if frequency is not None:
        normal = [check_period(p, frequency) for p in periods]
    else:
        # a normal form (a month too) is kept as it is; other spellings are parsed
        normal = [p if is_period(p) else parse_period(p) for p in periods]
    if distinct:
        normal = list(dict.fromkeys(normal))
    return sorted(normal, key=period_sort_key)


def period_number(period, frequency: str | None = None) -> int:
    """Periods since year 0 in the period's own frequency, for ordering and differences.

    ``year`` for a year, ``year * 4 + quarter - 1`` for a quarter, ``year * 12 + month - 1``
    for a month; divide a difference by :data:`PER_YEAR` of the frequency to get years.
    With ``frequency``, the period must be of that frequency in normal form
    (:func:`check_period`), so that numbers of different frequencies are never mixed.

    Examples
    --------
    >>> period_number("2023Q1") - period_number("2021Q1")
    8
    """
    if frequency is not None:
        check_period(period, frequency)
    year, quarter, month = _split(period)
    if month is not None:
        return year * 12 + month - 1
    if quarter is not None:
        return year * 4 + quarter - 1
    return year


def _from_number(number: int, frequency: str) -> str:
    try:
        if frequency == "month":
            return _month_quarter(_check_year(number // 12), number % 12 + 1, monthly=True)
        if frequency == "quarter":
            return _quarter(number // 4, number % 4 + 1)
        return str(_check_year(number))
    except _Refused as exc:
        raise PeriodError(f"the shifted period is out of range: {exc}") from None


def shift_period(period, n: int) -> str:
    """The period ``n`` steps of its own frequency after ``period`` (before it if negative).

    Examples
    --------
    >>> shift_period("2021Q4", 1)
    '2022Q1'
    >>> shift_period("2021", -1)
    '2020'
    >>> shift_period("2021M01", -1)
    '2020M12'
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"n must be an integer number of periods, not {n!r}")
    return _from_number(period_number(period) + int(n), period_type(period))


def shift_quarter(period, n: int) -> str:
    """:func:`shift_period` for a quarter; an annual or monthly period is refused.

    Examples
    --------
    >>> shift_quarter("2021Q1", -4)
    '2020Q1'
    """
    if period_type(period) != "quarter":
        raise PeriodError(f"shift_quarter needs a quarter such as 2021Q1, not the "
                          f"{period_type(period)} period {period!r}")
    return shift_period(period, n)


def year_earlier(period) -> str:
    """The year-on-year partner of a period: the same quarter, month or year a year before.

    Examples
    --------
    >>> year_earlier("2022Q3"), year_earlier("2022M03"), year_earlier("2022")
    ('2021Q3', '2021M03', '2021')
    """
    return shift_period(period, -PER_YEAR[period_type(period)])


def periods_between(start, end) -> list[str]:
    """Every period from ``start`` to ``end``, both included, in their common frequency.

    ``periods_between("2021Q1", "2023Q1")`` gives the nine quarters of the 2023 DTI
    report. The number of steps from ``start`` to ``end`` is ``len(...) - 1``.

    Raises
    ------
    PeriodError
        The bounds differ in frequency, or ``end`` precedes ``start``.

    Examples
    --------
    >>> periods_between("2021Q3", "2022Q1")
    ['2021Q3', '2021Q4', '2022Q1']
    """
    frequency = period_type(start)
    if period_type(end) != frequency:
        raise PeriodError(f"periods_between: {start!r} and {end!r} are not of one frequency "
                          f"({frequency}, {period_type(end)})")
    first, last = period_number(start), period_number(end)
    if last < first:
        raise PeriodError(f"period range {start}-{end} ends before it starts.")
    return [_from_number(i, frequency) for i in range(first, last + 1)]


_RE_SPAN = re.compile(r"(\d{4}(?:Q[1-4]|M(?:0[1-9]|1[0-2]))?)\s*-\s*(\d{4}(?:Q[1-4]|M(?:0[1-9]|1[0-2]))?)")


def parse_span(spec, frequency: str = "quarter") -> tuple[str, list[str]]:
    """The periods of ``frequency`` a period specification covers, and its kind.

    Parameters
    ----------
    spec : str
        A period (``"2023Q1"``; a month ``"2023M03"`` or year ``"2022"`` of an annual
        panel), a coarser period (a year ``"2022"``: its four quarters or twelve months; a
        quarter of a monthly panel: its three months) or an inclusive range of periods of
        ``frequency`` (``"2021Q1-2023Q1"``, ``"2019-2021"``, ``"2022M01-2022M06"``), as the
        index's averages over a span take them.
    frequency : {"quarter", "annual", "month"}
        The panel's frequency (default quarter).

    Returns
    -------
    kind : {"quarter", "annual", "month", "range"}
    periods : list of str

    Examples
    --------
    >>> parse_span("2022")
    ('annual', ['2022Q1', '2022Q2', '2022Q3', '2022Q4'])
    >>> parse_span("2021Q4-2022Q1")
    ('range', ['2021Q4', '2022Q1'])
    >>> parse_span("2022Q2", "month")
    ('quarter', ['2022M04', '2022M05', '2022M06'])
    """
    spec = str(spec).strip()
    if frequency not in FREQUENCIES:
        raise PeriodError(f"frequency {frequency!r} is not one of {', '.join(FREQUENCIES)}.")
    if is_period(spec):
        kind = period_type(spec)
        step = {"annual": 3, "quarter": 2, "month": 1}
        if step[kind] >= step[frequency]:  # the period itself, or the finer periods inside it
            year, quarter, _ = _split(spec)
            if kind == frequency:
                return kind, [spec]
            if frequency == "quarter":
                return kind, [f"{year}Q{q}" for q in range(1, 5)]
            months = range(1, 13) if kind == "annual" else range(3 * quarter - 2, 3 * quarter + 1)
            return kind, [f"{year}M{m:02d}" for m in months]
    elif (m := _RE_SPAN.fullmatch(spec)) and is_period(m[1], frequency) and is_period(m[2], frequency):
        return "range", periods_between(m[1], m[2])
    examples = {"quarter": "a quarter ('2023Q1'), a year ('2022', the mean of its four quarters) "
                           "or a range ('2021Q1-2023Q1', the mean over the range)",
                "annual": "a year ('2021') or a range of years ('2019-2021', the mean over the range)",
                "month": "a month ('2023M03'), a quarter or a year (the mean of its months) or "
                         "a range ('2022M01-2022M06', the mean over the range)"}[frequency]
    raise PeriodError(f"period {spec!r} is not understood for a {frequency} panel; give "
                      f"{examples}.")


def years_since(start, period) -> float:
    """Years from ``start`` to ``period`` (same frequency): periods apart / periods per year.

    Examples
    --------
    >>> years_since("2021Q1", "2023Q1"), years_since("2011", "2021"), years_since("2021M01", "2021M07")
    (2.0, 10.0, 0.5)
    """
    frequency = period_type(start)
    return (period_number(period, frequency) - period_number(start, frequency)) / PER_YEAR[frequency]


def quarter_containing(period) -> str:
    """The quarter containing a monthly period; a quarter or a year is returned as it is.

    Examples
    --------
    >>> quarter_containing("2021M05"), quarter_containing("2021Q2"), quarter_containing("2021")
    ('2021Q2', '2021Q2', '2021')
    """
    year, quarter, month = _split(period)
    return f"{year}Q{quarter}" if month is not None else period


def settle_months(parsed: dict, frequency: str | None = None) -> dict:
    """Decide, for a whole column, whether months stay months or become their quarters.

    Parameters
    ----------
    parsed : dict
        Value -> period as :func:`parse_distinct_periods` with ``monthly=True`` gives it.
    frequency : {"annual", "quarter", "month"}, optional
        What the user says the table is. None: months stay months when two distinct months
        fall in one quarter (a quarterly reading would merge distinct periods), else each
        month (or date) is the quarter containing it, as quarterly tables written with
        quarter-end dates (``2021-03-31``, ``2021-06-30``) need.

    Returns
    -------
    dict
        The same keys, months kept or replaced by the quarter containing them.

    Examples
    --------
    >>> settle_months({"2021-03-31": "2021M03", "2021-06-30": "2021M06"})
    {'2021-03-31': '2021Q1', '2021-06-30': '2021Q2'}
    >>> settle_months({"2021-01": "2021M01", "2021-02": "2021M02"})
    {'2021-01': '2021M01', '2021-02': '2021M02'}
    """
    if frequency is not None and frequency not in FREQUENCIES:
        raise PeriodError(f"frequency {frequency!r} is not one of {', '.join(FREQUENCIES)}.")
    months = {p for p in parsed.values() if _split(p)[2] is not None}
    if frequency == "month":
        return dict(parsed)
    if frequency is None:
        quarters = [quarter_containing(p) for p in months]
        if len(set(quarters)) < len(quarters):
            return dict(parsed)
    return {k: quarter_containing(p) for k, p in parsed.items()}


def period_label(period) -> str:
    """A period as maps and tables show it: ``"2021"``, ``"2021Q1"``, ``"2021-03"``.

    Examples
    --------
    >>> period_label("2021M03"), period_label("2021Q1"), period_label("2021")
    ('2021-03', '2021Q1', '2021')
    """
    year, _, month = _split(period)
    return f"{year}-{month:02d}" if month is not None else str(period)
