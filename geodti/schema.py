"""The panel every stage takes: its key and reserved metadata columns, its schema, one check.

A panel is tidy: one row per unit (``adcode``) and ``period``, one column per variable.
``geodti.read_panel`` adds metadata columns (how each row was read and matched) and
``geodti.join`` the gazetteer's columns; none of them is ever a variable to analyse.
What a stage needs to know about a panel (its value columns, period frequency, level) is
:class:`PanelSchema`, derived from the columns by :func:`schema_of`; it travels as an
argument, never in ``DataFrame.attrs`` (which pandas deep-copies on every operation and
some operations drop).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from geodti.errors import InputError, MethodError

__all__ = ["METADATA_COLUMNS", "PanelError", "PanelSchema", "check_panel", "frequency_of",
           "is_metadata", "level_of_codes", "schema_of", "text_dtype"]

#: Columns of a panel that are never variables: the keys (``adcode``, ``period``), what
#: ``read_panel`` adds (``period_type``, ``name``, ``city_input``, ``match_status``,
#: ``source_row``), the gazetteer's unit attributes and ``has_data`` that ``join`` adds,
#: and period parts.
METADATA_COLUMNS = frozenset({
    "adcode", "period", "period_type", "year", "quarter",
    "name", "name_short", "name_en", "city_input", "match_status", "source_row",
    "province", "province_en", "province_adcode", "region", "unit_type", "admin_rank",
    "hu_line", "agglomeration", "lon", "lat", "geometry", "has_data",
})

#: A quarter as every stage writes it (``geodti.periods`` normalises other spellings).
_QUARTER = re.compile(r"\d{4}Q[1-4]")


class PanelError(InputError, MethodError):
    """A malformed panel (missing key, duplicated unit-period, a period of the wrong kind).

    Both an input error and a method error: the same check guards data read from a file and
    DataFrames passed to a computation (CLI exit code 2 either way).
    """


@dataclass(frozen=True)
class PanelSchema:
    """What the stages need to know about a panel, stated explicitly.

    Parameters
    ----------
    value_columns : tuple of str
        The variables, in column order.
    frequency : {"quarter", "annual", "month", "mixed", "none"}
        The frequency of the periods (:func:`geodti.periods.period_type`); ``"mixed"`` when
        they differ (quarters and annual values in one table), ``"none"`` without rows.
    level : {"province", "city", "county"}
        The unit level of the key ``adcode`` (see :func:`schema_of`).
    source : str, optional
        Where the panel was read from, for captions.
    units : mapping, optional
        Value column -> unit of measurement, when known.

    Examples
    --------
    >>> import geodti
    >>> from geodti.schema import schema_of
    >>> schema = schema_of(geodti.read_panel("sample:small"))
    >>> schema.value_columns, schema.frequency, schema.level
    (('dti',), 'quarter', 'city')
    """

    value_columns: tuple[str, ...]
    frequency: str
    level: str = "city"
    source: str | None = None
    units: Mapping[str, str] | None = field(default=None, hash=False)


def schema_of(panel: pd.DataFrame, *, source: str | None = None,
              units: Mapping[str, str] | None = None, level: str | None = None) -> PanelSchema:
    """The schema of a panel, derived from its columns.

    The value columns are the numeric columns that are not reserved metadata
    (:data:`METADATA_COLUMNS`), in column order; ``read_panel`` refuses a value column with
    a reserved name, so for its panels they are exactly the table's value columns.

    Parameters
    ----------
    panel : DataFrame
        A panel (``read_panel``'s, ``join``'s, or one of your own).
    source, units
        Stated by the caller; see :class:`PanelSchema`.
    level : {"province", "city", "county"}, optional
        Default: derived from the adcodes. Province codes (``440000``) are province level,
        a code of a county-level unit that is not a city-level unit (``440305``) makes the
        panel county level, anything else is city level (also a panel of 东莞, 中山 alone,
        which are both).

    Returns
    -------
    PanelSchema

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({"adcode": ["110100", "110100"], "period": ["2022", "2023"],
    ...                       "name": ["北京市", "北京市"], "gdp": [4.2, 4.4]})
    >>> schema_of(panel, source="my.csv")
    PanelSchema(value_columns=('gdp',), frequency='annual', level='city', source='my.csv', units=None)
    """
    from geodti.periods import period_type  # periods imports this module

    values = tuple(
        str(c) for c in panel.columns
        if not is_metadata(c) and pd.api.types.is_numeric_dtype(panel[c])
        and not pd.api.types.is_bool_dtype(panel[c])
    )
    kinds = ({period_type(p) for p in pd.unique(panel["period"].dropna())}
             if "period" in panel.columns else set())
    frequency = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "none")
    if level is None:
        level = level_of_codes(panel["adcode"]) if "adcode" in panel.columns else "city"
    return PanelSchema(value_columns=values, frequency=frequency, level=level, source=source,
                       units=dict(units) if units is not None else None)


@lru_cache(maxsize=1)
def _level_codes() -> tuple[frozenset, frozenset, frozenset]:
    """The adcodes of the bundled province-, city- and county-level units."""
    from geodti.bundled import data_dir

    cities = pd.read_csv(data_dir() / "gazetteer.csv", dtype=str,
                         usecols=["adcode", "province_adcode"])
    counties = pd.read_csv(data_dir() / "counties.csv", dtype=str, usecols=["adcode"])
    return (frozenset(cities["province_adcode"]), frozenset(cities["adcode"]),
            frozenset(counties["adcode"]))


def level_of_codes(codes) -> str:
    """The level of a set of adcodes: ``"province"``, ``"city"`` or ``"county"`` (see
    :func:`schema_of`)."""
    province, city, county = _level_codes()
    have = {str(c) for c in pd.unique(pd.Series(list(codes), dtype=object).dropna())}
    if have and have <= province and not have <= city:
        return "province"
    if have & (county - city):
        return "county"
    return "city"


def frequency_of(panel: pd.DataFrame) -> str:
    """The one frequency of a panel's periods: ``"annual"``, ``"quarter"`` or ``"month"``.

    Growth, ranks and the dynamics compare like with like, so they take a panel of one
    frequency (``"quarter"`` for a panel without rows).

    Raises
    ------
    PanelError
        The panel mixes frequencies.

    Examples
    --------
    >>> import pandas as pd
    >>> frequency_of(pd.DataFrame({"period": ["2021M01", "2021M02"]}))
    'month'
    """
    frequency = schema_of(panel[["period"]]).frequency
    if frequency == "mixed":
        from geodti.periods import period_type  # periods imports this module

        kinds = sorted({period_type(p) for p in pd.unique(panel["period"].dropna())})
        raise PanelError(
            f"the panel mixes {' and '.join(kinds)} periods; growth, ranks and the dynamics "
            "compare like with like: keep one frequency (geodti.read_panel(..., frequency=...), "
            "--frequency).")
    return "quarter" if frequency == "none" else frequency


def text_dtype():
    """The dtype of a panel's text columns (``period``, ``period_type``): pandas' ``"str"``
    from pandas 3, ``object`` before (the dtype ``read_panel`` has always produced)."""
    return "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def is_metadata(column) -> bool:
    """True for a reserved metadata column (see :data:`METADATA_COLUMNS`)."""
    return column in METADATA_COLUMNS


def check_panel(panel: pd.DataFrame, keys: Sequence[str] = ("adcode",), *,
                quarterly: bool = False) -> pd.DataFrame:
    """Check a tidy panel and return a copy with string, stripped keys and periods.

    Parameters
    ----------
    panel : DataFrame
        ``keys``, ``period`` and one column per variable.
    keys : sequence of str
        Unit key columns (``("adcode",)``; ``("province",)`` for an aggregated panel).
    quarterly : bool
        Require every period to be a quarter (``2021Q1``): growth rates need quarters;
        spatial statistics also take annual periods.

    Raises
    ------
    PanelError
        Not a DataFrame, a missing or empty key column, a period that is not a quarter (with
        ``quarterly``), or more than one row for a unit and period (the first is named).
    """
    if not isinstance(panel, pd.DataFrame):
        raise PanelError(f"the panel must be a DataFrame, got {type(panel).__name__}")
    need = [*keys, "period"]
    absent = [c for c in need if c not in panel.columns]
    if absent:
        raise PanelError(
            f"the panel lacks column(s) {absent}; a panel is tidy, with columns {need} and one "
            "column per variable (match city names to adcodes first: geodti match)."
        )
    df = panel.copy()
    for k in need:
        if df[k].isna().any():
            row = df.index[df[k].isna().to_numpy()][0]
            raise PanelError(f"the panel has rows with no {k} (first: row {row}); fill or drop them.")
        df[k] = df[k].astype(str).str.strip()
    if quarterly:
        bad = [p for p in pd.unique(df["period"]) if not _QUARTER.fullmatch(p)]
        if bad:
            raise PanelError(
                f"panel period {bad[0]!r} is not a quarter ('2021Q1'); annual values belong in a "
                "separate table."
            )
    dup = df.duplicated(need, keep=False)
    if dup.any():
        r = df[dup].iloc[0]
        others = int(df[dup].drop_duplicates(need).shape[0]) - 1
        more = f" (and {others} more)" if others else ""
        raise PanelError(
            f"the panel has more than one row for {', '.join(f'{k} {r[k]}' for k in need)}{more}; "
            "keep one row per unit and period (aggregate or remove duplicates)."
        )
    return df
