"""East-west gradient and spread of growth: by longitude band and group, regression on
longitude, share west of the Hu line, distance decay from core cities.

Growth is the shared definition (:mod:`geodti.index.growth`): ``YoY_q = I_q / I_{q-4} - 1``
per quarter, and the report's summary growth, the mean of the quarterly YoY over a window
(``window="auto"``: the latest five quarters that have a YoY, i.e. 2022Q1-2023Q1 on a
2021Q1-2023Q1 panel, the report's window).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from geodti import defaults
from geodti.errors import MethodError
from geodti.geo import haversine_km
from geodti.periods import check_period, periods_between, year_earlier
from geodti.index.growth import DEFAULT_WINDOW_PERIODS, growth, summary_growth
from geodti.schema import frequency_of, level_of_codes

from ._common import membership, sorted_periods, unit_points, variable_panel

__all__ = ["DEFAULT_CORES", "resolve_window", "unit_growth", "growth_by_group",
           "longitude_gradient", "hu_line_share", "resolve_cores", "distance_to_cores",
           "distance_decay"]

#: Default core cities of the distance-decay analysis (the report's four first-tier cities).
DEFAULT_CORES = ("上海", "北京", "深圳", "广州")


def resolve_window(panel: pd.DataFrame, window="auto") -> tuple[str, str]:
    """The growth window as ``(first, last)`` period of the panel's frequency.

    ``"auto"``: the latest periods that have the same period a year earlier in the panel,
    five quarters, twelve months or one year
    (:data:`geodti.index.growth.DEFAULT_WINDOW_PERIODS`; fewer if the panel is shorter);
    ``"2022Q1-2023Q1"`` (``"2019-2021"``, ``"2022M01-2022M12"``) or a tuple is taken as given.
    """
    if isinstance(window, str) and window != "auto":
        parts = window.split("-")
        if len(parts) != 2:
            raise MethodError(f"window {window!r}: write it as 2022Q1-2023Q1 or 'auto'.")
        window = tuple(parts)
    frequency = frequency_of(panel)
    if window == "auto":
        periods = sorted_periods(panel["period"].astype(str))
        have = set(periods)
        with_yoy = [p for p in periods if year_earlier(p) in have]
        if not with_yoy:
            raise MethodError(
                f"the panel's {frequency} periods ({periods[0]} to {periods[-1]}) include none "
                "with the same period a year earlier, so there is no year-on-year growth; "
                "growth needs more than a year of consecutive periods."
            )
        window = (with_yoy[-DEFAULT_WINDOW_PERIODS[frequency]:][0], with_yoy[-1])
    first, last = (check_period(w, frequency, "window period") for w in window)
    return first, last


def unit_growth(panel: pd.DataFrame, variable: str = "dti", *, window="auto") -> pd.DataFrame:
    """Each unit's YoY per quarter and its summary growth over the window, long.

    Returns
    -------
    DataFrame
        ``adcode, period, variable, growth`` where ``period`` is a quarter (its YoY) or the
        window label ``"2022Q1-2023Q1"`` (mean YoY over it); NaN growth is dropped.
    """
    df = variable_panel(panel, variable)
    first, last = resolve_window(df, window)
    g = growth(df, variable)
    g = g.loc[g["yoy_flag"] == "ok", ["adcode", "period", "variable", "yoy"]].rename(
        columns={"yoy": "growth"})
    s = summary_growth(df, variable, window=(first, last))
    s = s.loc[s["flag"] == "ok", ["adcode", "window", "variable", "growth"]].rename(
        columns={"window": "period"})
    return pd.concat([g, s], ignore_index=True)


def _period_order(periods) -> list[str]:
    quarters = sorted_periods([p for p in periods if "-" not in p])
    return quarters + sorted(p for p in set(periods) if "-" in p)


def growth_by_group(panel: pd.DataFrame, by: str = "region", variable: str = "dti", *,
                    groups: pd.DataFrame | None = None, band_width: float = 5.0,
                    window="auto", points: pd.DataFrame | None = None) -> pd.DataFrame:
    """Growth of each group per quarter and over the window.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency (annual, quarterly or monthly).
    by : str
        ``longitude_band`` (``band_width`` degrees, default 5), ``region`` (four regions),
        ``hu_line``, ``agglomeration``, ``province``, ``admin_rank`` or a column of
        ``groups``. A unit in two agglomerations counts in both.
    variable : str
        Index column.
    groups : DataFrame, optional
        ``adcode`` and the ``by`` column, instead of the bundled tables.
    band_width : float
        Width of the longitude bands (degrees).
    window : "auto", str or (str, str)
        The growth window (see :func:`resolve_window`).
    points : DataFrame, optional
        Unit points for longitude bands (default the gazetteer).

    Returns
    -------
    DataFrame
        ``by, group, period, variable, n_units, total`` (sum of the index; for the window
        row, the mean over its quarters), ``share`` (of the national total),
        ``total_growth`` (YoY of the group's total; for the window, the mean of the quarterly
        values), ``mean_growth`` and ``median_growth`` (of the units' growth),
        ``growth_rank`` (1 = the fastest ``total_growth`` in the period).
    """
    df = variable_panel(panel, variable)
    units = df["adcode"].unique()
    member = membership(by, groups, adcodes=units, band_width=band_width, points=points)
    member = member[member["adcode"].isin(units)]
    order = None
    if "_order" in member.columns:
        order = dict(zip(member["group"], member["_order"]))
        member = member.drop(columns="_order")
    first, last = resolve_window(df, window)
    label = f"{first}-{last}"
    ug = unit_growth(df, variable, window=(first, last))
    # group totals per quarter and their YoY
    tot = df.merge(member, on="adcode").groupby(["group", "period"])[variable].agg(["sum", "size"])
    tot = tot.rename(columns={"sum": "total", "size": "n_units"}).reset_index()
    national = df.groupby("period")[variable].sum()
    tot["share"] = tot["total"] / tot["period"].map(national)
    lookup = tot.set_index(["group", "period"])["total"]
    ref = pd.MultiIndex.from_arrays([tot["group"], tot["period"].map(year_earlier)])
    tot["total_growth"] = tot["total"].to_numpy() / lookup.reindex(ref).to_numpy() - 1.0
    unit = ug.merge(member, on="adcode").groupby(["group", "period"])["growth"].agg(
        mean_growth="mean", median_growth="median")
    quarters = tot.merge(unit.reset_index(), on=["group", "period"], how="left")
    in_window = quarters[quarters["period"].isin(periods_between(first, last))]
    win = in_window.groupby("group").agg(n_units=("n_units", "max"), total=("total", "mean"),
                                         share=("share", "mean"),
                                         total_growth=("total_growth", "mean"))
    win = win.reset_index().assign(period=label)
    wunit = unit.reset_index()
    win = win.merge(wunit[wunit["period"] == label].drop(columns="period"), on="group", how="left")
    out = pd.concat([quarters, win], ignore_index=True)
    out["variable"] = variable
    out.insert(0, "by", by)
    out["growth_rank"] = out.groupby("period")["total_growth"].rank(ascending=False, method="min")
    out["growth_rank"] = out["growth_rank"].astype("Int64")
    periods = _period_order(out["period"].unique())
    out["_p"] = out["period"].map({p: i for i, p in enumerate(periods)})
    out["_g"] = out["group"].map(order) if order is not None else out["group"]
    out = out.sort_values(["_p", "_g"], kind="mergesort").drop(columns=["_p", "_g"])
    cols = ["by", "group", "period", "variable", "n_units", "total", "share", "total_growth",
            "mean_growth", "median_growth", "growth_rank"]
    return out[cols].reset_index(drop=True)


def _linfit(x: np.ndarray, y: np.ndarray, alpha: float) -> dict:
    """OLS of y on x with t-based confidence intervals (scipy.stats.linregress)."""
    n = len(x)
    if n < 3 or np.ptp(x) == 0:
        raise MethodError(f"a regression needs at least 3 units with different x values, got {n}.")
    r = stats.linregress(x, y)
    t = stats.t.ppf(1 - alpha / 2, n - 2)
    return {"n": n, "intercept": r.intercept, "intercept_se": r.intercept_stderr,
            "intercept_ci_low": r.intercept - t * r.intercept_stderr,
            "intercept_ci_high": r.intercept + t * r.intercept_stderr,
            "slope": r.slope, "slope_se": r.stderr, "slope_ci_low": r.slope - t * r.stderr,
            "slope_ci_high": r.slope + t * r.stderr, "r": r.rvalue, "r2": r.rvalue ** 2,
            "p_value": r.pvalue}


def longitude_gradient(panel: pd.DataFrame, variable: str = "dti", *, window="auto",
                       points: pd.DataFrame | None = None, alpha: float = defaults.ALPHA) -> pd.DataFrame:
    """OLS of unit growth on longitude, per quarter (YoY) and over the window.

    A negative slope means growth is faster in the west. The confidence interval is the
    t interval of the OLS slope (``scipy.stats.linregress``, level ``1 - alpha``).

    Returns
    -------
    DataFrame
        ``period, variable, n, intercept (+ _se, _ci_low, _ci_high), slope`` (growth per
        degree of longitude, fraction), ``slope_se, slope_ci_low, slope_ci_high, r, r2,
        p_value, confidence``.
    """
    ug = unit_growth(panel, variable, window=window)
    pts = unit_points(ug["adcode"].unique(), points).set_index("adcode")
    rows = []
    for p in _period_order(ug["period"].unique()):
        part = ug[ug["period"] == p]
        fit = _linfit(pts.loc[part["adcode"], "lon"].to_numpy(), part["growth"].to_numpy(), alpha)
        rows.append({"period": p, "variable": variable, **fit, "confidence": 1 - alpha})
    return pd.DataFrame(rows)


def hu_line_share(panel: pd.DataFrame, variable: str = "dti", *,
                  groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of the national index in units north-west of the Hu line, per period.

    Returns
    -------
    DataFrame
        ``period, variable, n_nw, n_se, total_nw, total, share_nw`` (fraction).
    """
    df = variable_panel(panel, variable)
    side = membership("hu_line", groups)
    side = side.drop_duplicates("adcode").set_index("adcode")["group"]
    missing = sorted(set(df["adcode"]) - set(side.index))
    if missing:
        raise MethodError(f"{len(missing)} unit(s) have no Hu-line side: {', '.join(missing[:8])}.")
    df["side"] = df["adcode"].map(side)
    bad = ~df["side"].isin(["NW", "SE"])
    if bad.any():
        raise MethodError(f"hu_line of unit {df.loc[bad, 'adcode'].iloc[0]} is "
                          f"{df.loc[bad, 'side'].iloc[0]!r}; expected NW or SE.")
    rows = []
    for p in sorted_periods(df["period"]):
        part = df[df["period"] == p]
        nw = part[part["side"] == "NW"]
        total = float(part[variable].sum())
        rows.append({"period": p, "variable": variable, "n_nw": len(nw),
                     "n_se": int((part["side"] == "SE").sum()), "total_nw": float(nw[variable].sum()),
                     "total": total, "share_nw": float(nw[variable].sum()) / total})
    return pd.DataFrame(rows)


def resolve_cores(cores: Sequence[str] = DEFAULT_CORES, gazetteer: pd.DataFrame | None = None) -> pd.DataFrame:
    """Core cities given by adcode, full or short Chinese name, or English name.

    Returns
    -------
    DataFrame
        ``adcode, name, lon, lat`` in the order given.
    """
    from geodti.places.gazetteer import gazetteer as _gaz

    gz = _gaz() if gazetteer is None else gazetteer
    rows = []
    for c in cores:
        key = str(c).strip()
        hit = gz[(gz["adcode"] == key) | (gz["name"] == key)
                 | (gz.get("name_short", gz["name"]) == key)
                 | (gz.get("name_en", gz["name"]).str.lower() == key.lower())]
        if len(hit) != 1:
            what = "matches no unit" if len(hit) == 0 else f"matches {len(hit)} units"
            raise MethodError(f"core city {key!r} {what}; give its adcode (e.g. 310100) or its "
                              "Chinese name (上海).")
        rows.append(hit.iloc[0][["adcode", "name", "lon", "lat"]])
    out = pd.DataFrame(rows).reset_index(drop=True)
    if out["adcode"].duplicated().any():
        raise MethodError(f"core cities repeat a unit: {list(cores)}.")
    return out


def distance_to_cores(adcodes: Sequence[str], cores: Sequence[str] = DEFAULT_CORES, *,
                      points: pd.DataFrame | None = None) -> pd.DataFrame:
    """Great-circle distance (km) from each unit's point to its nearest core city's point.

    The cores are city-level units (their gazetteer points). A province containing a core
    city (上海市 310000 for 上海, 广东省 for 深圳 and 广州) is at distance 0 from it, as a core
    city is from itself: its own point lies 3-55 km from the city's point, and such a
    distance would stand for the province's whole territory.

    Returns
    -------
    DataFrame
        ``adcode, nearest_core`` (adcode), ``nearest_core_name, distance_km``.
    """
    core = resolve_cores(cores)
    pts = unit_points(adcodes, points)
    cpts = unit_points(core["adcode"], points)
    d = haversine_km(pts["lon"].to_numpy()[:, None], pts["lat"].to_numpy()[:, None],
                     cpts["lon"].to_numpy()[None, :], cpts["lat"].to_numpy()[None, :])
    if level_of_codes(pts["adcode"]) == "province":
        containing = pts["adcode"].to_numpy()[:, None] == \
            (cpts["adcode"].str[:2] + "0000").to_numpy()[None, :]
        d = np.where(containing, 0.0, d)
    j = d.argmin(axis=1)
    return pd.DataFrame({"adcode": pts["adcode"], "nearest_core": core["adcode"].to_numpy()[j],
                         "nearest_core_name": core["name"].to_numpy()[j],
                         "distance_km": d[np.arange(len(pts)), j]})


def distance_decay(panel: pd.DataFrame, variable: str = "dti", *,
                   cores: Sequence[str] = DEFAULT_CORES, model: str = "log", window="auto",
                   points: pd.DataFrame | None = None, alpha: float = defaults.ALPHA) -> pd.DataFrame:
    """Fit unit growth against the distance to the nearest core city.

    Models: ``"log"``: ``g = a + b ln(d_km)`` (the core cities themselves, d = 0, are left
    out); ``"linear"``: ``g = a + b d`` with ``b`` per 1000 km. ``b < 0``: growth decays
    with distance from the cores; ``b > 0``: the periphery grows faster (spread).

    Returns
    -------
    DataFrame
        One row per period (quarter YoY and the window): ``period, variable, model, cores``
        (adcodes joined by ``|``), ``n, intercept (a), slope (b)`` with ``_se``, ``_ci_low``,
        ``_ci_high``, ``r2, p_value, confidence``.
    """
    if model not in ("log", "linear"):
        raise MethodError(f"model={model!r}: use 'log' (g = a + b ln d) or 'linear'.")
    ug = unit_growth(panel, variable, window=window)
    dist = distance_to_cores(ug["adcode"].unique(), cores, points=points).set_index("adcode")
    core_codes = resolve_cores(cores)["adcode"].tolist()
    rows = []
    for p in _period_order(ug["period"].unique()):
        part = ug[ug["period"] == p]
        d = dist.loc[part["adcode"], "distance_km"].to_numpy()
        g = part["growth"].to_numpy()
        if model == "log":
            keep = d > 0
            x = np.log(d[keep])
            g = g[keep]
        else:
            x = d / 1000.0
        fit = _linfit(x, g, alpha)
        rows.append({"period": p, "variable": variable, "model": model,
                     "cores": "|".join(core_codes), **fit, "confidence": 1 - alpha})
    return pd.DataFrame(rows).drop(columns=["r"])
