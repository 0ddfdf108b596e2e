"""Growth, annual means and ranks of an annual, quarterly or monthly panel (pure functions).

Definitions (shared across geodti; see docs/methods.md), at the panel's one frequency
(:func:`frequency_of`; a panel mixing frequencies is refused):

* year-on-year ``YoY_t = I_t / I_{t-p} - 1`` with ``p`` the periods per year (1 annual,
  4 quarterly, 12 monthly: the same year, quarter or month a year earlier), and the growth
  over one period, ``QoQ_q = I_q / I_{q-1} - 1`` (quarterly) or ``MoM_m = I_m / I_{m-1} - 1``
  (monthly; for annual panels the one-period growth is the YoY itself), as fractions.
* The report's summary growth ("同比增速为2022Q1-2023Q1季度均值", Part 1 §3 tables) is the
  mean of the quarterly YoY over a window, 2022Q1-2023Q1 (five quarters) by default; at
  other frequencies the mean of the YoY over a window of the panel's periods.
* The annual index is the mean of the year's four quarters (the report's "2022排名"), or of
  its twelve months; an annual panel's own value.
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
from geodti.schema import frequency_of
from geodti.periods import (
    PER_YEAR, check_period, parse_span, period_number, periods_between, shift_period, sort_periods,
    year_earlier, year_of,
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


#: The growth over one period of each frequency (annual: the YoY itself, no column of its own).
STEP_GROWTH = {"quarter": "qoq", "month": "mom"}

#: The column counting a window's or a year's periods, in the frequency's own word.
COUNT_COLUMN = {"annual": "n_years", "quarter": "n_quarters", "month": "n_months"}

#: Periods of the default growth window at each frequency: the report's five quarters
#: (2022Q1-2023Q1), a year of months, the latest year.
DEFAULT_WINDOW_PERIODS = {"quarter": 5, "month": 12, "annual": 1}


def default_window(panel: pd.DataFrame) -> tuple[str, str] | None:
    """The default growth window: the report's rule at the panel's frequency.

    The report's summary growth is the mean of quarterly YoY over the five quarters ending at
    the latest one (2022Q1-2023Q1). The default window is the
    :data:`DEFAULT_WINDOW_PERIODS` periods ending at the panel's latest period (five
    quarters, twelve months or one year), shortened to the periods whose YoY exists;
    ``None`` when no period has one (a year and a period of data or less).

    Examples
    --------
    >>> import pandas as pd
    >>> default_window(pd.DataFrame({"period": [str(y) for y in range(2011, 2022)]}))
    ('2021', '2021')
    """
    frequency = frequency_of(panel)
    periods = sort_periods(pd.unique(panel["period"]), distinct=True, frequency=frequency)
    if not periods:
        return None
    have = set(periods)
    latest = periods[-1]
    window = [shift_period(latest, -k) for k in range(DEFAULT_WINDOW_PERIODS[frequency] - 1, -1, -1)]
    usable = [q for q in window if q in have and year_earlier(q) in have]
    if not usable:
        return None
    return usable[0], latest


def earlier_period(panel: pd.DataFrame, latest: str) -> str | None:
    """The period the latest ranks are compared with: the previous year (the report's rule;
    its annual index needs all the year's quarters or months; an annual panel's previous
    year), else the panel's first period; ``None`` when the panel has only the latest one."""
    frequency = frequency_of(panel)
    have = set(panel["period"].unique())
    year = str(year_of(latest) - 1)
    if all(p in have for p in parse_span(year, frequency)[1]):
        return year
    periods = sort_periods(have, distinct=True, frequency=frequency)
    return periods[0] if periods and periods[0] != latest else None


def check_panel(panel: pd.DataFrame, keys: Sequence[str] = ("adcode",)) -> pd.DataFrame:
    """Check a tidy panel of one frequency (:func:`geodti.schema.check_panel` and
    :func:`frequency_of`)."""
    df = _schema.check_panel(panel, keys)
    frequency_of(df)
    return df


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
    """Growth over one period and year-on-year growth of every unit, period and variable.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency (``keys``, ``period``, variables).
    variables : str or sequence of str, optional
        Columns to use; default every numeric column.
    keys : sequence of str
        Unit key columns (``("adcode",)``; ``("province",)`` for an aggregated panel).

    Returns
    -------
    DataFrame
        Long: ``keys``, ``period``, ``variable``, ``value``, the one-period growth
        (:data:`STEP_GROWTH`: ``qoq``/``qoq_flag`` quarterly, ``mom``/``mom_flag`` monthly,
        none for an annual panel), ``yoy``, ``yoy_flag``. Growth is a fraction
        (0.1 = 10 %); a flag other than ``"ok"`` (see :data:`FLAGS`) comes with NaN.

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
    frequency = frequency_of(df)
    df["_q"] = _map_distinct(df["period"], lambda p: period_number(p, frequency))
    first = df["_q"].min()
    # melted under a private name: a variable may itself be called "value" (a wide table's)
    long = df.melt(id_vars=[*keys, "period", "_q"], value_vars=variables, var_name="variable",
                   value_name="_value").rename(columns={"_value": "value"})
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype(float)
    lookup = long.set_index([*keys, "variable", "_q"])["value"]
    out = long.copy()
    lags = ([(STEP_GROWTH[frequency], 1)] if frequency in STEP_GROWTH else []) + [
        ("yoy", PER_YEAR[frequency])]
    for name, lag in lags:
        ref_index = pd.MultiIndex.from_frame(
            long[[*keys, "variable"]].assign(_q=long["_q"] - lag))
        ref = lookup.reindex(ref_index)
        exists = ref_index.isin(lookup.index)
        before = (long["_q"] - lag < first).to_numpy()
        g, flag = _ratio(long["value"].to_numpy(), ref.to_numpy(dtype=float), exists, before)
        out[name] = g
        out[f"{name}_flag"] = flag
    out = out.sort_values([*keys, "variable", "_q"], kind="mergesort")
    cols = [*keys, "period", "variable", "value",
            *(c for name, _ in lags for c in (name, f"{name}_flag"))]
    return out[cols].reset_index(drop=True)


def summary_growth(panel: pd.DataFrame, variables: Sequence[str] | str | None = None, *,
                   window: tuple[str, str] = DEFAULT_WINDOW,
                   keys: Sequence[str] = ("adcode",)) -> pd.DataFrame:
    """The report's summary growth: the mean of the YoY over a window of the panel's periods.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency.
    variables : str or sequence of str, optional
        Columns; default every numeric column.
    window : (str, str)
        First and last period of the window, inclusive, of the panel's frequency (default
        2022Q1-2023Q1, the report's; an annual panel takes years, ``("2019", "2021")``).
    keys : sequence of str
        Unit key columns.

    Returns
    -------
    DataFrame
        ``keys``, ``variable``, ``window`` (``"2022Q1-2023Q1"``), the window length
        (:data:`COUNT_COLUMN`: ``n_quarters``, ``n_months`` or ``n_years``), ``n_valid``
        (periods with a YoY), ``growth`` (fraction; NaN unless every period of the window
        has a YoY), ``flag`` (``"ok"`` or ``"incomplete"``).

    Raises
    ------
    MethodError
        The panel does not span the window and the year before it.

    Examples
    --------
    >>> import geodti
    >>> from geodti.index.growth import summary_growth
    >>> s = summary_growth(geodti.read_panel("sample:panel"), "dti", window=("2022Q1", "2023Q1"))
    >>> s.loc[s["adcode"] == "440300", ["window", "n_valid", "growth", "flag"]]
                window  n_valid  growth flag
    200  2022Q1-2023Q1        5   0.101   ok
    """
    df = check_panel(panel, keys)
    frequency = frequency_of(df)
    quarters = periods_between(*(check_period(w, frequency, "growth window bound") for w in window))
    have = set(df["period"])
    needed = periods_between(year_earlier(window[0]), window[1])
    lacking = [q for q in needed if q not in have]
    if lacking:
        raise MethodError(
            f"the growth window {window[0]}-{window[1]} needs the periods {needed[0]}-{needed[-1]} "
            f"(YoY looks back a year, {PER_YEAR[frequency]} {frequency} periods); the panel lacks "
            f"{lacking}. Choose a growth window inside the data."
        )
    g = growth(df, variables, keys=keys)
    g = g[g["period"].isin(quarters)]
    keys = list(keys)
    agg = g.groupby([*keys, "variable"], sort=True).agg(
        n_valid=("yoy", "count"), growth=("yoy", "mean"))
    agg = agg.reset_index()
    agg.insert(len(keys) + 1, "window", f"{window[0]}-{window[1]}")
    agg.insert(len(keys) + 2, COUNT_COLUMN[frequency], len(quarters))
    complete = agg["n_valid"] == len(quarters)
    agg["growth"] = agg["growth"].where(complete)
    agg["flag"] = np.where(complete, "ok", "incomplete")
    return agg


def values_at(panel: pd.DataFrame, period: str, variables: Sequence[str] | str | None = None,
              *, keys: Sequence[str] = ("adcode",)) -> pd.DataFrame:
    """Each unit's values at a period, a year (mean of its periods) or a range (mean).

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency.
    period : str
        ``"2023Q1"``, ``"2022"`` (annual index = mean of the four quarters or twelve
        months; an annual panel's value), ``"2021Q1-2023Q1"`` (mean over the range; ranks
        equal those of the cumulative sum); a monthly panel also takes a month
        (``"2023M03"``), a quarter (mean of its months) or a range of months, an annual
        panel a range of years (``"2019-2021"``).
    variables, keys
        As in :func:`growth`.

    Returns
    -------
    DataFrame
        ``keys``, ``period`` (the spec), ``period_type`` (``"quarter"``, ``"annual"``,
        ``"month"`` or ``"range"``), the variables, the count of the spec's periods present
        (:data:`COUNT_COLUMN`), ``complete`` (bool). A variable is NaN unless all its
        periods are present and not NaN.

    Raises
    ------
    MethodError
        None of the period's quarters is in the panel.
    """
    df = check_panel(panel, keys)
    frequency = frequency_of(df)
    kind, quarters = parse_span(period, frequency)
    variables = _variables(df, variables, keys)
    keys = list(keys)
    if not df["period"].isin(quarters).any():
        present = sort_periods(df["period"].unique(), distinct=True, frequency=frequency)
        raise MethodError(
            f"period {period} is not in the panel ({frequency} periods present: {present[0]} "
            f"to {present[-1]}, {len(present)} in all)."
        )
    units = df[keys].drop_duplicates()
    sub = df[df["period"].isin(quarters)]
    grouped = sub.groupby(keys, sort=False)
    count = COUNT_COLUMN[frequency]
    n = grouped.size().rename(count)
    # A NaN period makes the mean NaN (never a mean of fewer periods).
    means = grouped[variables].mean().where(grouped[variables].count().eq(n, axis=0))
    out = units.merge(means.join(n).reset_index(), on=keys, how="left")
    out[count] = out[count].fillna(0).astype("int64")
    out["complete"] = out[count] == len(quarters)
    out.loc[~out["complete"], variables] = np.nan
    out.insert(len(keys), "period", period)
    out.insert(len(keys) + 1, "period_type", kind)
    return out.sort_values(keys, kind="mergesort").reset_index(drop=True)


def annual(panel: pd.DataFrame, variables: Sequence[str] | str | None = None, *,
           keys: Sequence[str] = ("adcode",), years: Sequence[str] | None = None) -> pd.DataFrame:
    """Annual index = mean of the year's four quarters (twelve months; an annual panel's
    own values), NaN (``complete`` False) unless all are present.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency.
    variables, keys
        As in :func:`growth`.
    years : sequence of str, optional
        Years to compute; default every year with at least one quarter in the panel.

    Returns
    -------
    DataFrame
        ``keys``, ``period`` (``"2022"``), ``period_type`` (``"annual"``), the variables,
        the count of periods (:data:`COUNT_COLUMN`), ``complete``.
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
        Tidy panel of one frequency (annual, quarterly or monthly).
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
