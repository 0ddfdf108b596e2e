"""Quarter arithmetic for the index stage.

Periods here are the canonical strings :func:`geodti.read_panel` produces: quarters
``"2021Q1"``, years ``"2022"``, and (for averages over a span) ranges ``"2021Q1-2023Q1"``.
Lenient parsing of other spellings is :mod:`geodti.periods`' job; this module checks the
canonical form (a computing error, :class:`MethodError`) and keeps an integer quarter number
for vectorised shifts, delegating the rest to :mod:`geodti.periods`.
"""

from __future__ import annotations

import re

from geodti import periods as _gp
from geodti.errors import MethodError

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}Q[1-4])-(\d{4}Q[1-4])$")


def is_quarter(period: str) -> bool:
    return isinstance(period, str) and _QUARTER.match(period) is not None


def check_quarter(period, what: str = "period") -> str:
    """Return ``period`` if it is a quarter string such as ``"2021Q1"``; raise otherwise."""
    if not is_quarter(period):
        raise MethodError(
            f"{what} {period!r} is not a quarter; write quarters as 'YYYYQn', e.g. '2021Q1'."
        )
    return period


def quarter_number(period: str) -> int:
    """Quarters since year 0 (``year * 4 + quarter - 1``), for ordering and shifting."""
    m = _QUARTER.match(period)
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def shift(period: str, quarters: int) -> str:
    """The quarter ``quarters`` after ``period`` (negative: before)."""
    return _gp.shift_quarter(check_quarter(period), quarters)


def year_of(period: str) -> str:
    return period[:4]


def quarters_between(start: str, end: str) -> list[str]:
    """All quarters from ``start`` to ``end`` inclusive."""
    check_quarter(start), check_quarter(end)
    if quarter_number(end) < quarter_number(start):
        raise MethodError(f"period range {start}-{end} ends before it starts.")
    return _gp.quarters_between(start, end)


def parse_spec(spec: str) -> tuple[str, list[str]]:
    """Classify a period spec and list the quarters it covers.

    Returns ``(kind, quarters)`` with kind ``"quarter"``, ``"annual"`` (the year's four
    quarters) or ``"range"`` (inclusive ``"2021Q1-2023Q1"``).
    """
    spec = str(spec).strip()
    if _QUARTER.match(spec):
        return "quarter", [spec]
    if _YEAR.match(spec):
        return "annual", [f"{spec}Q{q}" for q in range(1, 5)]
    m = _RANGE.match(spec)
    if m:
        return "range", quarters_between(m.group(1), m.group(2))
    raise MethodError(
        f"period {spec!r} is not understood; give a quarter ('2023Q1'), a year ('2022', the "
        "mean of its four quarters) or a range ('2021Q1-2023Q1', the mean over the range)."
    )


def sort_quarters(periods) -> list[str]:
    """Distinct quarters in chronological order."""
    return _gp.sort_periods({check_quarter(p) for p in periods})
