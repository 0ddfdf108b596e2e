"""The panel every stage takes: its key and reserved metadata columns, and one check.

A panel is tidy: one row per unit (``adcode``) and ``period``, one column per variable.
``geodti.read_panel`` adds metadata columns (how each row was read and matched) and
``geodti.join`` the gazetteer's columns; none of them is ever a variable to analyse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from geodti.errors import InputError, MethodError

__all__ = ["METADATA_COLUMNS", "PanelError", "check_panel", "is_metadata", "text_dtype"]

#: Columns of a panel that are never variables: the keys (``adcode``, ``period``), what
#: ``read_panel`` adds (``period_type``, ``name``, ``city_input``, ``match_status``,
#: ``source_row``), the gazetteer's unit attributes that ``join`` adds, and period parts.
METADATA_COLUMNS = frozenset({
    "adcode", "period", "period_type", "year", "quarter",
    "name", "name_short", "name_en", "city_input", "match_status", "source_row",
    "province", "province_en", "province_adcode", "region", "unit_type", "admin_rank",
    "hu_line", "agglomeration", "lon", "lat", "geometry",
})

#: A quarter as every stage writes it (``geodti.periods`` normalises other spellings).
_QUARTER = re.compile(r"\d{4}Q[1-4]")


class PanelError(InputError, MethodError):
    """A malformed panel (missing key, duplicated unit-period, a period of the wrong kind).

    Both an input error and a method error: the same check guards data read from a file and
    DataFrames passed to a computation (CLI exit code 2 either way).
    """


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
