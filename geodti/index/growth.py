"""Growth, annual means and ranks of a quarterly panel (pure functions).

Definitions (shared across geodti; see docs/methods.md):

* ``QoQ_q = I_q / I_{q-1} - 1`` and ``YoY_q = I_q / I_{q-4} - 1``, as fractions.
* The report's summary growth ("同比增速为2022Q1-2023Q1季度均值", Part 1 §3 tables) is the
  mean of the quarterly YoY over a window, 2022Q1-2023Q1 (five quarters) by default.
* The annual index is the mean of the year's four quarters (the report's "2022排名").
* Ranks are descending (1 = largest) with ties ``min``; rank change = rank in the earlier
  period - rank in the later one (positive = moved up, the report's "+1").

A growth rate whose reference quarter is missing is NaN with a flag, never a number computed
from the wrong quarter.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from geodti.errors import MethodError
from geodti import schema as _schema
from geodti.periods import (
    check_period, parse_span, period_number, periods_between, sort_periods, year_earlier, year_of,
)

DEFAULT_WINDOW = ("2022Q1", "2023Q1")

#: Flag values of :func:`growth` and :func:`summary_growth`.
FLAGS = {
    "ok": "computed",
    "before_data": "the reference quarter precedes the panel's first quarter (expected at the start)",
    "missing_reference": "the reference quarter is missing or NaN for this unit",
    "missing_value": "the current value is NaN",
    "zero_reference": "the reference value is zero; growth is undefined",
    "incomplete": "a quarter of the window or year is missing or NaN",
}


def check_panel(panel: pd.DataFrame, keys: Sequence[str] = ("adcode",)) -> pd.DataFrame:
    """Check a tidy quarterly panel (:func:`geodti.schema.check_panel` with ``quarterly=True``)."""
    return _schema.check_panel(panel, keys, quarterly=True)


def _map_distinct(series: pd.Series, func) -> pd.Series:
    """``series.map(func)`` evaluating ``func`` once per distinct value (periods repeat per unit)."""
    values = pd.unique(series)
    return series.map(dict(zip(values, map(func, values))))


def numeric_variables(panel: pd.DataFrame, keys: Sequence[str] = ("adcode",)) -> list[str]:
    """Numeric columns of a panel other than its keys and the reserved metadata columns
    (:data:`geodti.schema.METADATA_COLUMNS`: ``source_row`` is numeric but no variable), in
    column order."""
    skip = {*keys, "period"}
    return [c for c in panel.columns
            if c not in skip and not _schema.is_metadata(c) and pd.api.types.is_numeric_dtype(panel[c])
            and not pd.api.types.is_bool_dtype(panel[c])]


def _variables(panel, variables, keys):
    if variables is None:
        variables = numeric_variables(panel, keys)
    elif isinstance(variables, str):
        variables = [variables]
    variables = list(variables)
    absent = [v for v in variables if v not in panel.columns]
    if absent:
        raise MethodError(f"the panel has no column(s) {absent}; columns are {list(panel.columns)}.")
    return variables


def _ratio(cur: np.ndarray, ref: np.ndarray, ref_exists: np.ndarray, ref_before: np.ndarray):
    with np.errstate(divide="ignore", invalid="ignore"):
        g = cur / ref - 1.0
    flag = np.full(cur.shape, "ok", dtype=object)
    flag[np.isnan(cur)] = "missing_value"
    flag[ref_exists & (ref == 0) & ~np.isnan(cur)] = "zero_reference"
    flag[(~ref_exists | np.isnan(ref)) & ~np.isnan(cur)] = "missing_reference"
    flag[ref_before & ~np.isnan(cur)] = "before_data"
    g = np.where(flag == "ok", g, np.nan)
    return g, flag


def growth(panel: pd.DataFrame, variables: Sequence[str] | str | None = None, *,
           keys: Sequence[str] = ("adcode",)) -> pd.DataFrame:
    """Quarter-on-quarter and year-on-year growth of every unit, period and variable.

    Parameters
    ----------
    panel : DataFrame
        Tidy quarterly panel (``keys``, ``period``, variables).
    variables : str or sequence of str, optional
        Columns to use; default every numeric column.
    keys : sequence of str
        Unit key columns (``("adcode",)``; ``("province",)`` for an aggregated panel).

    Returns
    -------
    DataFrame
        Long: ``keys``, ``period``, ``variable``, ``value``, ``qoq``, ``qoq_flag``, ``yoy``,
        ``yoy_flag``. Growth is a fraction (0.1 = 10 %); a flag other than ``"ok"`` (see
        :data:`FLAGS`) comes with NaN.

    Examples
    --------
    >>> import geodti
    >>> from geodti.index.growth import growth
    >>> g = growth(geodti.read_panel("sample:panel"), "dti")
    >>> g.loc[(g["adcode"] == "440300") & (g["period"] == "2023Q1"), ["yoy", "yoy_flag"]].round(4)
             yoy yoy_flag
    1808  0.0151       ok
    """
    variables = _variables(panel, variables, keys)
    keys = list(keys)
    # only the columns needed: panels carry many value and label columns
    needed = [c for c in dict.fromkeys([*keys, "period", *variables]) if c in panel.columns]
    df = check_panel(panel[needed], keys)
    df["_q"] = _map_distinct(df["period"], lambda p: period_number(p, "quarter"))
    first = df["_q"].min()
    # melted under a private name: a variable may itself be called "value" (a wide table's)
    long = df.melt(id_vars=[*keys, "period", "_q"], value_vars=variables, var_name="variable",
                   value_name="_value").rename(columns={"_value": "value"})
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype(float)
    lookup = long.set_index([*keys, "variable", "_q"])["value"]
    out = long.copy()
    for name, lag in (("qoq", 1), ("yoy", 4)):
        ref_index = pd.MultiIndex.from_frame(
            long[[*keys, "variable"]].assign(_q=long["_q"] - lag))
        ref = lookup.reindex(ref_index)
        exists = ref_index.isin(lookup.index)
        before = (long["_q"] - lag < first).to_numpy()
        g, flag = _ratio(long["value"].to_numpy(), ref.to_numpy(dtype=float), exists, before)
        out[name] = g
        out[f"{name}_flag"] = flag
    out = out.sort_values([*keys, "variable", "_q"], kind="mergesort")
    cols = [*keys, "period", "variable", "value", "qoq", "qoq_flag", "yoy", "yoy_flag"]
    return out[cols].reset_index(drop=True)


def summary_growth(panel: pd.DataFrame, variables: Sequence[str] | str | None = None, *,
                   window: tuple[str, str] = DEFAULT_WINDOW,
                   keys: Sequence[str] = ("adcode",)) -> pd.DataFrame:
    """The report's summary growth: the mean of the quarterly YoY over a window.

    Parameters
    ----------
    panel : DataFrame
        Tidy quarterly panel.
    variables : str or sequence of str, optional
        Columns; default every numeric column.
    window : (str, str)
        First and last quarter of the window, inclusive (default 2022Q1-2023Q1).
    keys : sequence of str
        Unit key columns.

    Returns
    -------
    DataFrame
        ``keys``, ``variable``, ``window`` (``"2022Q1-2023Q1"``), ``n_quarters`` (window
        length), ``n_valid`` (quarters with a YoY), ``growth`` (fraction; NaN unless every
        quarter of the window has a YoY), ``flag`` (``"ok"`` or ``"incomplete"``).

    Raises
    ------
    MethodError
        The panel does not span the window and the four quarters before it.

    Examples
    --------
    >>> import geodti
    >>> from geodti.index.growth import summary_growth
    >>> s = summary_growth(geodti.read_panel("sample:panel"), "dti", window=("2022Q1", "2023Q1"))
    >>> s.loc[s["adcode"] == "440300", ["window", "n_valid", "growth", "flag"]]
                window  n_valid  growth flag
    200  2022Q1-2023Q1        5   0.101   ok
    """
    quarters = periods_between(*(check_period(w, "quarter", "growth window bound") for w in window))
    df = check_panel(panel, keys)
    have = set(df["period"])
    needed = periods_between(year_earlier(window[0]), window[1])
    lacking = [q for q in needed if q not in have]
    if lacking:
        raise MethodError(
            f"the growth window {window[0]}-{window[1]} needs quarters {needed[0]}-{needed[-1]} "
            f"(YoY looks back four quarters); the panel lacks {lacking}. Choose a growth window "
            "inside the data."
        )
    g = growth(df, variables, keys=keys)
    g = g[g["period"].isin(quarters)]
    keys = list(keys)
    agg = g.groupby([*keys, "variable"], sort=True).agg(
        n_valid=("yoy", "count"), growth=("yoy", "mean"))
    agg = agg.reset_index()
    agg.insert(len(keys) + 1, "window", f"{window[0]}-{window[1]}")
    agg.insert(len(keys) + 2, "n_quarters", len(quarters))
    complete = agg["n_valid"] == len(quarters)
    agg["growth"] = agg["growth"].where(complete)
    agg["flag"] = np.where(complete, "ok", "incomplete")
    return agg


def values_at(panel: pd.DataFrame, period: str, variables: Sequence[str] | str | None = None,
              *, keys: Sequence[str] = ("adcode",)) -> pd.DataFrame:
    """Each unit's values at a quarter, a year (mean of its quarters) or a range (mean).

    Parameters
    ----------
    panel : DataFrame
        Tidy quarterly panel.
    period : str
        ``"2023Q1"``, ``"2022"`` (annual index = mean of the four quarters) or
        ``"2021Q1-2023Q1"`` (mean over the range; ranks equal those of the cumulative sum).
    variables, keys
        As in :func:`growth`.

    Returns
    -------
    DataFrame
        ``keys``, ``period`` (the spec), ``period_type`` (``"quarter"``, ``"annual"`` or
        ``"range"``), the variables, ``n_quarters`` (quarters present), ``complete`` (bool).
        A variable is NaN unless all its quarters are present and not NaN.

    Raises
    ------
    MethodError
        None of the period's quarters is in the panel.
    """
    kind, quarters = parse_span(period)
    df = check_panel(panel, keys)
    variables = _variables(df, variables, keys)
    keys = list(keys)
    if not df["period"].isin(quarters).any():
        present = sort_periods(df["period"].unique(), distinct=True, frequency="quarter")
        raise MethodError(
            f"period {period} is not in the panel (quarters present: {present[0]} to "
            f"{present[-1]}, {len(present)} in all)."
        )
    units = df[keys].drop_duplicates()
    sub = df[df["period"].isin(quarters)]
    grouped = sub.groupby(keys, sort=False)
    n = grouped.size().rename("n_quarters")
    # A NaN quarter makes the mean NaN (never a mean of fewer quarters).
    means = grouped[variables].mean().where(grouped[variables].count().eq(n, axis=0))
    out = units.merge(means.join(n).reset_index(), on=keys, how="left")
    out["n_quarters"] = out["n_quarters"].fillna(0).astype("int64")
    out["complete"] = out["n_quarters"] == len(quarters)
    out.loc[~out["complete"], variables] = np.nan
    out.insert(len(keys), "period", period)
    out.insert(len(keys) + 1, "period_type", kind)
    return out.sort_values(keys, kind="mergesort").reset_index(drop=True)


def annual(panel: pd.DataFrame, variables: Sequence[str] | str | None = None, *,
           keys: Sequence[str] = ("adcode",), years: Sequence[str] | None = None) -> pd.DataFrame:
    """Annual index = mean of the year's four quarters, NaN (``complete`` False) otherwise.

    Parameters
    ----------
    panel : DataFrame
        Tidy quarterly panel.
    variables, keys
        As in :func:`growth`.
    years : sequence of str, optional
        Years to compute; default every year with at least one quarter in the panel.

    Returns
    -------
    DataFrame
        ``keys``, ``period`` (``"2022"``), ``period_type`` (``"annual"``), the variables,
        ``n_quarters``, ``complete``.
    """
    df = check_panel(panel, keys)
    if years is None:
        years = sorted({year_of(p) for p in df["period"]})
    parts = [values_at(df, str(y), variables, keys=keys) for y in years]
    return pd.concat(parts, ignore_index=True)


def rank_within(table: pd.DataFrame, column: str, by: Sequence[str] | str | None = None) -> pd.Series:
    """Descending rank (1 = largest, ties ``min``) of ``column``, within groups ``by``.

    NaN values get no rank (``<NA>``). Returns a nullable integer Series aligned to ``table``.
    """
    if by is None:
        r = table[column].rank(ascending=False, method="min")
    else:
        by = [by] if isinstance(by, str) else list(by)
        r = table.groupby(by, sort=False, dropna=False)[column].rank(ascending=False, method="min")
    return r.astype("Int64")


def rank_change(panel: pd.DataFrame, variable: str = "dti", *, earlier: str = "2022",
                later: str = "2023Q1", groups: pd.DataFrame | None = None,
                group_column: str | None = None, keys: Sequence[str] = ("adcode",)) -> pd.DataFrame:
    """Ranks in an earlier and a later period and the change between them.

    Parameters
    ----------
    panel : DataFrame
        Tidy quarterly panel.
    variable : str
        The column to rank (default ``"dti"``).
    earlier, later : str
        Period specs (see :func:`values_at`); the report compares the 2022 annual index with
        2023Q1.
    groups : DataFrame, optional
        Membership table with ``keys`` and ``group_column``; ranks are then within each group
        (a unit in two groups is ranked in both). Only units in the table are ranked.
    group_column : str, optional
        The group column of ``groups``.
    keys : sequence of str
        Unit key columns.

    Returns
    -------
    DataFrame
        [``group_column``], ``keys``, ``earlier_period``, ``earlier_value``, ``earlier_rank``,
        ``later_period``, ``later_value``, ``later_rank``, ``rank_change``
        (= earlier_rank - later_rank; positive = moved up; ``<NA>`` when either is missing).
    """
    keys = list(keys)
    a = values_at(panel, earlier, variable, keys=keys)[[*keys, variable]]
    b = values_at(panel, later, variable, keys=keys)[[*keys, variable]]
    df = a.rename(columns={variable: "earlier_value"}).merge(
        b.rename(columns={variable: "later_value"}), on=keys, how="outer")
    by = None
    if groups is not None:
        if group_column is None or group_column not in groups.columns:
            raise MethodError(f"groups needs the group column {group_column!r} named in group_column.")
        mem = groups[[*keys, group_column]].dropna().astype({k: str for k in keys}).drop_duplicates()
        df = mem.merge(df, on=keys, how="left")
        by = group_column
    df["earlier_rank"] = rank_within(df, "earlier_value", by)
    df["later_rank"] = rank_within(df, "later_value", by)
    df["rank_change"] = (df["earlier_rank"] - df["later_rank"]).astype("Int64")
    df["earlier_period"] = earlier
    df["later_period"] = later
    cols = ([group_column] if by else []) + [*keys, "earlier_period", "earlier_value",
                                             "earlier_rank", "later_period", "later_value",
                                             "later_rank", "rank_change"]
    sort = ([group_column] if by else []) + ["later_rank", *keys]
    return df[cols].sort_values(sort, kind="mergesort", na_position="last").reset_index(drop=True)
