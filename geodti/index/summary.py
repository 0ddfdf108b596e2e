"""Summary tables in the form of the DTI report (pure functions returning DataFrames).

Tables (report: 数字化转型指数报告 2023, Part 1 §2-§3):

* :func:`agglomeration_table`: the 11 agglomerations ranked by share of the national index
  ("11大城市群", "占比排名"), with member count, mean index, mean growth, leading city and the
  top sub-indices or industries ("行业指标累计排名Top3").
* :func:`agglomeration_coverage`: "11大城市群数量占全国49%, 指数占比长期保持在近8成".
* :func:`within_agglomeration`: rank in a year, rank in the latest quarter, rank change,
  growth and growth rank inside each agglomeration (the 珠三角/京津冀/长三角 tables).
* :func:`group_summary` and :func:`group_rank_change`: totals, shares, means, growth and
  concentration by province, region, Hu-line side, administrative rank or any user grouping
  (e.g. city tiers: "一线城市指数总量占全国城市整体比例超过1/3").
* :func:`layer_summary` and :func:`layer_variability`: national layer totals over time and
  which layer varies least ("平台稳定器").
* :func:`industry_view`: each province's industry share of its local digital economy and
  growth, ranks and quadrant ("占比、增速双高").

Grouping attributes (province, region, hu_line, admin_rank, agglomeration) are passed in as
DataFrames (from :mod:`geodti.places.gazetteer` or a user table), so every function here is
pure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from geodti.errors import MethodError
from geodti.periods import period_number, sort_periods
from geodti.schema import level_of_codes
from geodti.index.growth import (
    COUNT_COLUMN, DEFAULT_WINDOW, STEP_GROWTH, check_panel, frequency_of, growth, numeric_variables, rank_change, rank_within,
    summary_growth, values_at,
)

UNASSIGNED = "(unassigned)"
LAYERS = ("infrastructure", "platform", "application")
INDUSTRY_PREFIX = "industry_"
QUADRANT_ZH = {
    (True, True): "占比高、增速高",
    (True, False): "占比高、增速低",
    (False, True): "占比低、增速高",
    (False, False): "占比低、增速低",
}
QUADRANT_EN = {
    (True, True): "high share, high growth",
    (True, False): "high share, low growth",
    (False, True): "low share, high growth",
    (False, False): "low share, low growth",
}


# --------------------------------------------------------------------------- helpers


def latest_period(panel: pd.DataFrame) -> str:
    """The last period of a panel of one frequency (a year, quarter or month)."""
    periods = panel["period"].astype(str).unique()
    return sort_periods(periods, distinct=True, frequency=frequency_of(panel))[-1]


def _strict_values(panel: pd.DataFrame, variable: str, period: str, keys=("adcode",)) -> pd.DataFrame:
    """Every unit's value at ``period``; raise if any unit lacks it (shares would be wrong)."""
    v = values_at(panel, period, variable, keys=keys)
    bad = v[v[variable].isna()]
    if len(bad):
        who = ", ".join(bad[list(keys)].astype(str).agg("/".join, axis=1).head(10))
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise MethodError(
            f"{len(bad)} unit(s) have no {variable!r} for {period} ({who}{more}); national totals "
            "and shares would be wrong. Choose another period, or drop those units from the "
            "panel explicitly."
        )
    return v[[*keys, variable]]


def _membership(groups: pd.DataFrame, by: str, units: pd.Series, *, key: str = "adcode",
                unassigned: str = "keep") -> pd.DataFrame:
    """Long membership (key, by) for the panel's units; units without a group handled per ``unassigned``."""
    if key not in groups.columns or by not in groups.columns:
        raise MethodError(
            f"the grouping table needs columns {key!r} and {by!r}; it has {list(groups.columns)}."
        )
    if unassigned not in ("keep", "error"):
        raise MethodError(f"unassigned must be 'keep' or 'error', not {unassigned!r}.")
    mem = groups[[key, by]].copy()
    mem[key] = mem[key].astype(str)
    blank = mem[by].isna() | (mem[by].astype(str).str.strip() == "")
    mem = mem[~blank].copy()
    mem[by] = mem[by].astype(str).str.strip()
    mem = mem.drop_duplicates()
    units = pd.Series(sorted(set(units.astype(str))), name=key)
    lacking = units[~units.isin(mem[key])]
    if len(lacking):
        if unassigned == "error":
            raise MethodError(
                f"{len(lacking)} unit(s) of the panel have no {by!r} in the grouping table "
                f"({', '.join(lacking.head(10))}{'...' if len(lacking) > 10 else ''}); add them, or "
                "pass unassigned='keep' to show them as their own group."
            )
        mem = pd.concat([mem, pd.DataFrame({key: lacking, by: UNASSIGNED})], ignore_index=True)
    return mem[mem[key].isin(units)].reset_index(drop=True)


def _name_map(panel: pd.DataFrame, *tables: pd.DataFrame | None) -> dict[str, str]:
    names: dict[str, str] = {}
    for t in (*tables, panel):
        if t is not None and "adcode" in t.columns and "name" in t.columns:
            for a, n in zip(t["adcode"].astype(str), t["name"]):
                if pd.notna(n) and a not in names:
                    names[a] = str(n)
    return names


def aggregate(panel: pd.DataFrame, groups: pd.DataFrame, by: str,
              variables: Sequence[str] | str | None = None, *, key: str = "adcode",
              unassigned: str = "keep") -> pd.DataFrame:
    """Sum the panel's variables over the members of each group, per period.

    The index is in per cent of the national base total, so totals add up: a province's
    index is the sum of its cities'. A group total is NaN in a period where any member lacks
    a value (never a partial sum).

    Parameters
    ----------
    panel : DataFrame
        Tidy city panel of one frequency (annual, quarterly or monthly).
    groups : DataFrame
        Membership: ``key`` and ``by`` columns (a unit may be in several groups).
    by : str
        Group column.
    variables : str or sequence of str, optional
        Columns to sum; default every numeric column.
    key : str
        Unit key column.
    unassigned : {"keep", "error"}
        Panel units with no group: kept as the group ``"(unassigned)"`` (default), or error.

    Returns
    -------
    DataFrame
        ``by``, ``period``, the variable totals, ``n_members`` (group members in the panel),
        ``n_present`` (members with a row in the period), ``complete`` (bool).
    """
    df = check_panel(panel, (key,))
    if variables is None:
        variables = numeric_variables(df, (key,))
    elif isinstance(variables, str):
        variables = [variables]
    variables = list(variables)
    mem = _membership(groups, by, df[key], key=key, unassigned=unassigned)
    n_members = mem.groupby(by).size().rename("n_members")
    frequency = frequency_of(df)
    periods = sort_periods(df["period"].unique(), distinct=True, frequency=frequency)
    grid = mem.merge(pd.DataFrame({"period": periods}), how="cross")
    vals = grid.merge(df[[key, "period", *variables]], on=[key, "period"], how="left",
                      indicator="_row")
    vals["_present"] = vals["_row"] == "both"
    g = vals.groupby([by, "period"], sort=False)
    totals = g[variables].sum(min_count=1)
    counts = g[variables].count()
    n_present = g["_present"].sum().rename("n_present").astype("int64")
    expected = n_members.reindex(totals.index.get_level_values(by)).to_numpy()
    # Sum only where every member has a value: a partial sum would understate the total.
    totals = totals.where(counts.eq(expected, axis=0))
    out = totals.join(n_present).reset_index()
    out["n_members"] = out[by].map(n_members).astype("int64")
    out["complete"] = out["n_present"] == out["n_members"]
    out["_q"] = out["period"].map(lambda p: period_number(p, frequency))
    out = out.sort_values([by, "_q"], kind="mergesort").drop(columns="_q")
    return out[[by, "period", *variables, "n_members", "n_present", "complete"]].reset_index(drop=True)


def _concentration(values: pd.Series, k: int) -> tuple[float, float]:
    """(top-k share, Herfindahl-Hirschman index) of non-negative values."""
    total = values.sum()
    if not np.isfinite(total) or total <= 0:
        return np.nan, np.nan
    s = values / total
    return float(s.nlargest(k).sum()), float((s ** 2).sum())


# --------------------------------------------------------------------------- groups


def group_summary(panel: pd.DataFrame, groups: pd.DataFrame, by: str, *, variable: str = "dti",
                  period: str | None = None, window: tuple[str, str] | None = DEFAULT_WINDOW,
                  top_k: int = 3, unassigned: str = "keep",
                  names: pd.DataFrame | None = None) -> pd.DataFrame:
    """Totals, shares, means, growth and concentration of ``variable`` by group.

    Parameters
    ----------
    panel : DataFrame
        Tidy city panel of one frequency (annual, quarterly or monthly) (``adcode``, ``period``, variables).
    groups : DataFrame
        ``adcode`` and the ``by`` column: the gazetteer for ``province``, ``region``,
        ``hu_line``, ``admin_rank``; a user table for tiers or any other grouping.
    by : str
        Group column.
    variable : str
        Index column (default ``"dti"``).
    period : str, optional
        Quarter, year (annual mean) or range; default the latest period.
    window : (str, str) or None
        Growth window (mean of the YoY over its periods); None leaves growth out.
    top_k : int
        k of the within-group top-k share.
    unassigned : {"keep", "error"}
        See :func:`aggregate`.
    names : DataFrame, optional
        ``adcode``, ``name`` for the leading city (else ``groups`` or the panel's ``name``).

    Returns
    -------
    DataFrame
        One row per group, largest total first: ``by``, ``rank``, ``n_cities`` (``n_units``
        for a panel of provinces or counties), ``total``,
        ``share`` (of the national total, fraction), ``mean``, ``median``, ``mean_growth``
        (mean of the members' summary growth), ``total_growth`` (summary growth of the group
        total), ``top_k``, ``top_k_share`` (share of the group total held by its k largest
        cities), ``hhi`` (sum of squared within-group shares), ``leading_adcode``,
        ``leading_name``, ``period``, ``variable``, ``window``.

    Notes
    -----
    A city in two groups counts in both, so group shares may then sum to more than one.
    """
    period = period or latest_period(panel)
    vals = _strict_values(panel, variable, period)
    national = float(vals[variable].sum())
    mem = _membership(groups, by, vals["adcode"], unassigned=unassigned)
    df = mem.merge(vals, on="adcode", how="left")
    names_map = _name_map(panel, names, groups)
    if window is not None:
        gr = summary_growth(panel, variable, window=window)[["adcode", "growth"]]
        df = df.merge(gr, on="adcode", how="left")
        agg_panel = aggregate(panel, groups, by, variable, unassigned=unassigned)
        tg = summary_growth(agg_panel[[by, "period", variable]], variable, window=window,
                            keys=(by,))[[by, "growth"]].rename(columns={"growth": "total_growth"})
    rows = []
    for group, part in df.groupby(by, sort=True):
        top_share, hhi = _concentration(part[variable], top_k)
        lead = part.sort_values([variable, "adcode"], ascending=[False, True]).iloc[0]
        rows.append({
            by: group, "n_cities": len(part), "total": float(part[variable].sum()),
            "mean": float(part[variable].mean()), "median": float(part[variable].median()),
            "mean_growth": (float(part["growth"].mean()) if part["growth"].notna().all()
                            else np.nan) if window is not None else np.nan,
            "top_k": top_k, "top_k_share": top_share, "hhi": hhi,
            "leading_adcode": lead["adcode"], "leading_name": names_map.get(lead["adcode"], ""),
        })
    out = pd.DataFrame(rows)
    out["share"] = out["total"] / national
    out["total_growth"] = out[by].map(dict(zip(tg[by], tg["total_growth"]))) if window else np.nan
    out = out.sort_values(["total", by], ascending=[False, True], kind="mergesort")
    out["rank"] = rank_within(out, "total")
    out["period"], out["variable"] = period, variable
    out["window"] = f"{window[0]}-{window[1]}" if window else ""
    cols = [by, "rank", "n_cities", "total", "share", "mean", "median", "mean_growth",
            "total_growth", "top_k", "top_k_share", "hhi", "leading_adcode", "leading_name",
            "period", "variable", "window"]
    out = out[cols].reset_index(drop=True)
    if level_of_codes(vals["adcode"]) != "city":  # a group of provinces or counties
        out = out.rename(columns={"n_cities": "n_units"})
    return out


def group_rank_change(panel: pd.DataFrame, groups: pd.DataFrame, by: str, *,
                      variable: str = "dti", earlier: str = "2022", later: str = "2023Q1",
                      unassigned: str = "keep") -> pd.DataFrame:
    """Group totals ranked in an earlier and a later period (the report's province top 10).

    Returns the columns of :func:`geodti.index.growth.rank_change` with ``by`` as the key.
    """
    agg = aggregate(panel, groups, by, variable, unassigned=unassigned)
    return rank_change(agg[[by, "period", variable]], variable, earlier=earlier, later=later,
                       keys=(by,))


# --------------------------------------------------------------------------- agglomerations


def _agglomeration_members(agglomerations: pd.DataFrame, units: pd.Series) -> pd.DataFrame:
    need = ("agglomeration", "adcode")
    absent = [c for c in need if c not in agglomerations.columns]
    if absent:
        raise MethodError(
            f"the agglomerations table lacks column(s) {absent}; it is long, one row per "
            "(agglomeration, adcode), as geodti.places.gazetteer.agglomerations() returns."
        )
    mem = agglomerations.copy()
    mem["adcode"] = mem["adcode"].astype(str)
    mem["in_panel"] = mem["adcode"].isin(set(units.astype(str)))
    return mem


def agglomeration_table(panel: pd.DataFrame, agglomerations: pd.DataFrame, *,
                        variable: str = "dti", period: str | None = None,
                        window: tuple[str, str] | None = DEFAULT_WINDOW,
                        sub_variables: Sequence[str] | str | None = None,
                        sub_period: str | None = None, top: int = 3,
                        names: pd.DataFrame | None = None) -> pd.DataFrame:
    """The report's agglomeration table, ranked by share of the national index.

    Parameters
    ----------
    panel : DataFrame
        Tidy city panel of one frequency (annual, quarterly or monthly).
    agglomerations : DataFrame
        Long membership: ``agglomeration``, ``adcode`` (``name``, ``agglomeration_en``
        optional). A city in two agglomerations (邯郸, 邢台, 运城) counts in both.
    variable : str
        Index column (default ``"dti"``).
    period : str, optional
        Period of the shares (quarter, year or range); default the latest period.
    window : (str, str) or None
        Growth window; None leaves growth out.
    sub_variables : sequence of str, "layers", "industry" or None
        Columns ranked inside each agglomeration for the top-``top`` columns: ``"layers"``
        (default, the layer columns present), ``"industry"`` (every ``industry_*`` column), or
        an explicit list.
    sub_period : str, optional
        Period of the sub-variable ranking (default ``period``; the report's industry top 3
        uses ``"2021Q1-2023Q1"``, whose mean ranks like the cumulative sum).
    top : int
        How many top sub-variables to list.
    names : DataFrame, optional
        ``adcode``, ``name`` for the leading city.

    Returns
    -------
    DataFrame
        ``rank``, ``agglomeration``, [``agglomeration_en``], ``n_members`` (in the table),
        ``n_in_panel``, ``missing_members`` (adcodes of members absent from the panel, joined
        with ``;``), ``total``, ``share`` (of the national total over all panel cities),
        ``mean``, ``mean_growth`` (mean of members' summary growth, the report's "城市平均
        增速"), ``total_growth``, ``leading_adcode``, ``leading_name``, ``top1``.. ``top{top}``,
        ``period``, ``variable``, ``window``, ``sub_period``.

    Examples
    --------
    >>> import geodti
    >>> from geodti.index.summary import agglomeration_table
    >>> table = agglomeration_table(geodti.read_panel("sample:panel"), geodti.agglomerations(),
    ...                             variable="dti", period="2023Q1", window=("2022Q1", "2023Q1"))
    >>> table[["rank", "agglomeration"]].head(3)
       rank agglomeration
    0     1           长三角
    1     2           京津冀
    2     3           珠三角
    """
    level = level_of_codes(panel["adcode"])
    if level != "city":
        raise MethodError(f"agglomeration_table: the panel is at {level} level; agglomerations "
                          "are groups of cities (aggregate counties up to cities first, "
                          "geodti.index.aggregate.aggregate_up); group provinces or counties "
                          "with group_summary by region or hu_line.")
    period = period or latest_period(panel)
    sub_period = sub_period or period
    vals = _strict_values(panel, variable, period)
    national = float(vals[variable].sum())
    mem = _agglomeration_members(agglomerations, vals["adcode"])
    names_map = _name_map(panel, names, agglomerations)
    subs = _sub_variables(panel, sub_variables)
    df = mem[mem["in_panel"]].merge(vals, on="adcode", how="left")
    if window is not None:
        gr = summary_growth(panel, variable, window=window)[["adcode", "growth"]]
        df = df.merge(gr, on="adcode", how="left")
        agg = aggregate(panel, mem[mem["in_panel"]], "agglomeration", variable)
        tg = summary_growth(agg[["agglomeration", "period", variable]], variable, window=window,
                            keys=("agglomeration",))
        tg_map = dict(zip(tg["agglomeration"], tg["growth"]))
    if subs:
        sv = values_at(panel, sub_period, subs)[["adcode", *subs]]
        sub_df = mem[mem["in_panel"]][["agglomeration", "adcode"]].merge(sv, on="adcode")
        sub_tot = sub_df.groupby("agglomeration")[subs].sum(min_count=1)
        sub_ok = sub_df.groupby("agglomeration")[subs].count().eq(
            sub_df.groupby("agglomeration").size(), axis=0)
        sub_tot = sub_tot.where(sub_ok)
    en = "agglomeration_en" in mem.columns
    rows = []
    for agg_name, members in mem.groupby("agglomeration", sort=True):
        part = df[df["agglomeration"] == agg_name]
        row = {"agglomeration": agg_name}
        if en:
            row["agglomeration_en"] = members["agglomeration_en"].dropna().astype(str).iloc[0] \
                if members["agglomeration_en"].notna().any() else ""
        row["n_members"] = int(members["adcode"].nunique())
        row["n_in_panel"] = int(part["adcode"].nunique())
        row["missing_members"] = ";".join(sorted(members.loc[~members["in_panel"], "adcode"]))
        row["total"] = float(part[variable].sum()) if len(part) else np.nan
        row["mean"] = float(part[variable].mean()) if len(part) else np.nan
        if window is not None:
            row["mean_growth"] = float(part["growth"].mean()) if (
                len(part) and part["growth"].notna().all()) else np.nan
            row["total_growth"] = tg_map.get(agg_name, np.nan)
        else:
            row["mean_growth"] = row["total_growth"] = np.nan
        if len(part):
            lead = part.sort_values([variable, "adcode"], ascending=[False, True]).iloc[0]
            row["leading_adcode"], row["leading_name"] = lead["adcode"], names_map.get(lead["adcode"], "")
        else:
            row["leading_adcode"] = row["leading_name"] = ""
        ranked = []
        if subs and agg_name in sub_tot.index:
            s = sub_tot.loc[agg_name].dropna()
            # Descending by value, ties by column order (stable sort on a fixed order).
            s = s.iloc[np.argsort(-s.to_numpy(), kind="stable")]
            ranked = [_label(c) for c in s.index[:top]]
        for i in range(top):
            row[f"top{i + 1}"] = ranked[i] if i < len(ranked) else ""
        rows.append(row)
    out = pd.DataFrame(rows)
    out["share"] = out["total"] / national
    out = out.sort_values(["total", "agglomeration"], ascending=[False, True], kind="mergesort")
    out["rank"] = rank_within(out, "total")
    out["period"], out["variable"] = period, variable
    out["window"] = f"{window[0]}-{window[1]}" if window else ""
    out["sub_period"] = sub_period
    cols = (["rank", "agglomeration"] + (["agglomeration_en"] if en else [])
            + ["n_members", "n_in_panel", "missing_members", "total", "share", "mean",
               "mean_growth", "total_growth", "leading_adcode", "leading_name"]
            + [f"top{i + 1}" for i in range(top)] + ["period", "variable", "window", "sub_period"])
    return out[cols].reset_index(drop=True)


def _label(column: str) -> str:
    return column[len(INDUSTRY_PREFIX):] if column.startswith(INDUSTRY_PREFIX) else column


def _sub_variables(panel: pd.DataFrame, sub_variables) -> list[str]:
    if sub_variables is None or sub_variables == "layers":
        return [c for c in LAYERS if c in panel.columns]
    if sub_variables == "industry":
        cols = [c for c in panel.columns if str(c).startswith(INDUSTRY_PREFIX)]
        if not cols:
            raise MethodError(f"the panel has no industry columns (named '{INDUSTRY_PREFIX}*').")
        return cols
    if isinstance(sub_variables, str):
        sub_variables = [sub_variables]
    absent = [c for c in sub_variables if c not in panel.columns]
    if absent:
        raise MethodError(f"the panel has no column(s) {absent}.")
    return list(sub_variables)


def agglomeration_coverage(panel: pd.DataFrame, agglomerations: pd.DataFrame, *,
                           variable: str = "dti", period: str | None = None) -> pd.DataFrame:
    """How much of the index the agglomerations hold, with how many of the cities.

    Each city counts once, even when it belongs to two agglomerations (邯郸 and 邢台 are in
    京津冀 and 中原, 运城 in 中原 and 关中平原); a city only partly inside a plan counts whole.

    Returns
    -------
    DataFrame
        One row: ``n_agglomerations``, ``n_cities`` (distinct member cities in the panel),
        ``n_memberships`` (member rows in the panel, double memberships counted twice),
        ``n_multi`` (cities in two or more agglomerations), ``n_cities_total`` (cities in the
        panel), ``city_share``, ``index_share`` (fractions), ``period``, ``variable``,
        ``statement_zh``, ``statement_en``.
    """
    period = period or latest_period(panel)
    vals = _strict_values(panel, variable, period)
    mem = _agglomeration_members(agglomerations, vals["adcode"])
    inside = mem[mem["in_panel"]]
    cities = set(inside["adcode"])
    per_city = inside.groupby("adcode")["agglomeration"].nunique()
    n_agg = int(mem["agglomeration"].nunique())
    total = float(vals[variable].sum())
    held = float(vals.loc[vals["adcode"].isin(cities), variable].sum())
    n_total = len(vals)
    city_share, index_share = len(cities) / n_total, held / total
    zh = (f"{n_agg}大城市群的{len(cities)}个城市占全国{n_total}个城市的{city_share:.0%},"
          f"{period}指数占比{index_share:.1%}。")
    en = (f"The {n_agg} agglomerations hold {index_share:.1%} of the index ({period}) with "
          f"{city_share:.1%} of the cities ({len(cities)} of {n_total}).")
    return pd.DataFrame([{
        "n_agglomerations": n_agg, "n_cities": len(cities), "n_memberships": len(inside),
        "n_multi": int((per_city > 1).sum()), "n_cities_total": n_total,
        "city_share": city_share, "index_share": index_share, "period": period,
        "variable": variable, "statement_zh": zh, "statement_en": en,
    }])


def within_agglomeration(panel: pd.DataFrame, agglomerations: pd.DataFrame, *,
                         variable: str = "dti", earlier: str = "2022", later: str = "2023Q1",
                         window: tuple[str, str] | None = DEFAULT_WINDOW,
                         agglomeration: str | Sequence[str] | None = None,
                         names: pd.DataFrame | None = None) -> pd.DataFrame:
    """Ranks, rank change, growth and share of each city inside its agglomeration.

    The report's 珠三角 / 京津冀 / 长三角 tables: "2022排名" (annual mean), "2023Q1排名",
    "排名变化" (= 2022 rank - 2023Q1 rank), "增速排名" and "同比增速" (mean YoY 2022Q1-2023Q1).
    A city in two agglomerations is ranked in both.

    Parameters
    ----------
    panel, agglomerations
        As in :func:`agglomeration_table`.
    variable : str
        Index column.
    earlier, later : str
        Period specs of the two rankings.
    window : (str, str) or None
        Growth window; None leaves growth out.
    agglomeration : str or sequence of str, optional
        Restrict to these agglomerations.
    names : DataFrame, optional
        ``adcode``, ``name``.

    Returns
    -------
    DataFrame
        See :func:`within_groups` (with ``by="agglomeration"``).
    """
    _agglomeration_members(agglomerations, panel["adcode"])
    return within_groups(panel, agglomerations, "agglomeration", variable=variable,
                         earlier=earlier, later=later, window=window, only=agglomeration,
                         names=names)


def within_groups(panel: pd.DataFrame, groups: pd.DataFrame, by: str, *, variable: str = "dti",
                  earlier: str = "2022", later: str = "2023Q1",
                  window: tuple[str, str] | None = DEFAULT_WINDOW,
                  only: str | Sequence[str] | None = None,
                  names: pd.DataFrame | None = None) -> pd.DataFrame:
    """Ranks, rank change, growth and share of each city inside its group.

    Parameters
    ----------
    panel : DataFrame
        Tidy city panel of one frequency (annual, quarterly or monthly).
    groups : DataFrame
        Membership: ``adcode`` and ``by`` (a city may be in several groups).
    by : str
        Group column.
    variable, earlier, later, window
        As in :func:`within_agglomeration`.
    only : str or sequence of str, optional
        Restrict to these groups.
    names : DataFrame, optional
        ``adcode``, ``name``.

    Returns
    -------
    DataFrame
        ``by``, ``adcode``, ``name``, ``earlier_period``, ``earlier_value``,
        ``earlier_rank``, ``later_period``, ``later_value``, ``later_rank``, ``rank_change``
        (earlier - later; positive = moved up), ``growth`` (summary YoY), ``growth_rank``,
        ``share`` (of the group total in ``later``), ``window``; sorted by group and later
        rank. Members absent from the panel are listed with empty values.
    """
    check_panel(panel)
    if "adcode" not in groups.columns or by not in groups.columns:
        raise MethodError(f"the grouping table needs columns 'adcode' and {by!r}.")
    mem = groups[["adcode", by]].dropna().astype({"adcode": str})
    mem = mem.assign(**{by: mem[by].astype(str)}).drop_duplicates()
    if only is not None:
        wanted = [only] if isinstance(only, str) else list(only)
        unknown = [a for a in wanted if a not in set(mem[by])]
        if unknown:
            raise MethodError(f"unknown {by}(s) {unknown}; known: {sorted(set(mem[by]))}.")
        mem = mem[mem[by].isin(wanted)]
    rc = rank_change(panel, variable, earlier=earlier, later=later, groups=mem, group_column=by)
    tot = rc.groupby(by)["later_value"].sum(min_count=1)
    ok = rc.groupby(by)["later_value"].count() == rc.groupby(by).size()
    tot = tot.where(ok)
    rc["share"] = rc["later_value"] / rc[by].map(tot)
    if window is not None:
        gr = summary_growth(panel, variable, window=window)[["adcode", "growth"]]
        rc = rc.merge(gr, on="adcode", how="left")
        rc["growth_rank"] = rank_within(rc, "growth", by)
    else:
        rc["growth"] = np.nan
        rc["growth_rank"] = pd.array([pd.NA] * len(rc), dtype="Int64")
    rc["window"] = f"{window[0]}-{window[1]}" if window else ""
    names_map = _name_map(panel, names, groups)
    rc["name"] = rc["adcode"].map(lambda a: names_map.get(a, ""))
    cols = [by, "adcode", "name", "earlier_period", "earlier_value", "earlier_rank",
            "later_period", "later_value", "later_rank", "rank_change", "growth", "growth_rank",
            "share", "window"]
    rc = rc.sort_values([by, "later_rank", "adcode"], kind="mergesort", na_position="last")
    return rc[cols].reset_index(drop=True)


# --------------------------------------------------------------------------- layers


def layer_summary(panel: pd.DataFrame, layers: Sequence[str] | None = None, *,
                  composite: str | None = "dti") -> pd.DataFrame:
    """National totals of each layer (and the composite) per period, with the growth over
    one period (QoQ quarterly, MoM monthly; none annual) and YoY.

    Returns
    -------
    DataFrame
        Long: ``period``, ``variable``, ``total`` (sum over cities; NaN if a city lacks the
        value), ``n_cities``, ``qoq``/``mom`` and its flag (:data:`STEP_GROWTH`), ``yoy``,
        ``yoy_flag``, ``yoy_rank`` (rank of the layer's YoY among the layers in that period;
        composite excluded).
    """
    df = check_panel(panel)
    frequency = frequency_of(df)
    layers = [c for c in (layers or LAYERS) if c in df.columns]
    if not layers:
        raise MethodError(f"the panel has none of the layer columns {list(LAYERS)}.")
    variables = layers + ([composite] if composite and composite in df.columns else [])
    nat = aggregate(df, pd.DataFrame({"adcode": df["adcode"].unique(), "scope": "national"}),
                    "scope", variables)
    g = growth(nat[["scope", "period", *variables]], variables, keys=("scope",))
    g = g.merge(nat[["period", "n_present"]].rename(columns={"n_present": "n_cities"}), on="period")
    g = g.rename(columns={"value": "total"})
    is_layer = g["variable"].isin(layers)
    g["yoy_rank"] = pd.array([pd.NA] * len(g), dtype="Int64")
    g.loc[is_layer, "yoy_rank"] = rank_within(g[is_layer], "yoy", "period")
    g["_q"] = g["period"].map(lambda p: period_number(p, frequency))
    g["_v"] = g["variable"].map({v: i for i, v in enumerate(variables)})
    g = g.sort_values(["_q", "_v"], kind="mergesort")
    step = [c for c in (STEP_GROWTH.get(frequency),) if c]
    cols = ["period", "variable", "total", "n_cities", *step, *(f"{c}_flag" for c in step),
            "yoy", "yoy_flag", "yoy_rank"]
    return g[cols].reset_index(drop=True)


def layer_variability(panel: pd.DataFrame, layers: Sequence[str] | None = None, *,
                      composite: str | None = "dti") -> pd.DataFrame:
    """How much each layer's national total moves: the report's "平台稳定器" test.

    Returns
    -------
    DataFrame
        One row per layer (and the composite): ``variable``, the number of periods
        (``n_quarters``, ``n_months`` or ``n_years``), ``mean_total``, ``cv_total``
        (standard deviation / mean of the period totals), ``mean_qoq``, ``sd_qoq`` (standard
        deviation of QoQ growth, ddof=1; ``mean_mom``, ``sd_mom`` monthly; none annual),
        ``mean_yoy``, ``sd_yoy``, ``min_yoy``, ``max_yoy``, ``variability_rank`` (1 =
        smallest sd of the one-period growth, of the YoY for an annual panel, among the
        layers) and ``least_variable`` (bool).
    """
    s = layer_summary(panel, layers, composite=composite)
    frequency = frequency_of(s)
    step = STEP_GROWTH.get(frequency, "yoy")
    rows = []
    for var, part in s.groupby("variable", sort=False):
        t = part["total"]
        row = {"variable": var, COUNT_COLUMN[frequency]: int(t.notna().sum()),
               "mean_total": t.mean(), "cv_total": t.std(ddof=1) / t.mean()}
        if step != "yoy":
            row |= {f"mean_{step}": part[step].mean(), f"sd_{step}": part[step].std(ddof=1)}
        rows.append(row | {
            "mean_yoy": part["yoy"].mean(), "sd_yoy": part["yoy"].std(ddof=1),
            "min_yoy": part["yoy"].min(), "max_yoy": part["yoy"].max(),
        })
    out = pd.DataFrame(rows)
    is_layer = out["variable"] != composite
    # Lower sd = steadier, so rank ascending (1 = least variable).
    out["variability_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out.loc[is_layer, "variability_rank"] = (
        out.loc[is_layer, f"sd_{step}"].rank(method="min").astype("Int64"))
    out["least_variable"] = out["variability_rank"].eq(1).fillna(False).astype(bool)
    return out


# --------------------------------------------------------------------------- industries


def industry_view(panel: pd.DataFrame, groups: pd.DataFrame | None = None, *,
                  by: str = "province", industries: Sequence[str] | None = None,
                  period: str = "2022", window: tuple[str, str] | None = DEFAULT_WINDOW,
                  share: str = "local", unassigned: str = "keep") -> pd.DataFrame:
    """Each province's (or group's) industry share, growth, ranks and quadrant.

    ``share="local"`` (default, the report's 本地占比: "该行业对该地区数字经济的贡献")::

        share_pk = I_pk / sum_k I_pk

    the province's industry index over the sum of its industry indices. ``share="national"``::

        share_pk = I_pk / sum_p I_pk

    the province's share of the industry nationally. When industry indices are normalised
    by each industry's own base total (:func:`geodti.index.method.build_industry_index`,
    ``normalise_by="industry"``), the local share measures specialisation relative to the
    national industry mix (it ranks like a location quotient); with ``normalise_by="all"``
    it is the industry's share of the province's digital activity.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency with ``industry_*`` columns; a city panel (then ``groups``
        maps adcode -> ``by``; province indices are sums of cities') or a panel already keyed
        by ``by`` (``groups=None``).
    groups : DataFrame, optional
        ``adcode`` and ``by``.
    by : str
        Group column (default ``"province"``).
    industries : sequence of str, optional
        Industry columns (default every ``industry_*`` column).
    period : str
        Period of the shares (default ``"2022"``, the annual mean).
    window : (str, str) or None
        Growth window (summary YoY of the province's industry index).
    share : {"local", "national"}
        Share definition (above).
    unassigned : {"keep", "error"}
        See :func:`aggregate`.

    Returns
    -------
    DataFrame
        Long: ``by``, ``industry`` (without the prefix), ``period``, ``index``, ``share``,
        ``share_rank``, ``growth``, ``growth_rank`` (ranks among the groups, per industry),
        ``share_high``, ``growth_high`` (strictly above the industry's median over groups),
        ``quadrant``, ``quadrant_zh`` ("占比高、增速高" is the report's "双高"),
        ``share_definition``, ``window``.
    """
    if share not in ("local", "national"):
        raise MethodError(f"share must be 'local' or 'national', not {share!r}.")
    cols = list(industries) if industries is not None else _sub_variables(panel, "industry")
    if groups is not None:
        unit_panel = aggregate(panel, groups, by, cols, unassigned=unassigned)
        unit_panel = unit_panel[[by, "period", *cols]]
    else:
        unit_panel = panel[[by, "period", *cols]]
    vals = values_at(unit_panel, period, cols, keys=(by,))
    long = vals.melt(id_vars=[by], value_vars=cols, var_name="column", value_name="index")
    if share == "local":
        denom = long.groupby(by)["index"].transform(lambda s: s.sum() if s.notna().all() else np.nan)
    else:
        denom = long.groupby("column")["index"].transform(lambda s: s.sum() if s.notna().all() else np.nan)
    long["share"] = long["index"] / denom
    if window is not None:
        gr = summary_growth(unit_panel, cols, window=window, keys=(by,))
        gr = gr.rename(columns={"variable": "column"})[[by, "column", "growth"]]
        long = long.merge(gr, on=[by, "column"], how="left")
    else:
        long["growth"] = np.nan
    long["share_rank"] = rank_within(long, "share", "column")
    long["growth_rank"] = rank_within(long, "growth", "column")
    med_s = long.groupby("column")["share"].transform("median")
    med_g = long.groupby("column")["growth"].transform("median")
    long["share_high"] = (long["share"] > med_s).where(long["share"].notna())
    long["growth_high"] = (long["growth"] > med_g).where(long["growth"].notna())
    known = long["share_high"].notna() & long["growth_high"].notna()
    keys = list(zip(long["share_high"], long["growth_high"]))
    long["quadrant"] = [QUADRANT_EN[k] if ok else "" for k, ok in zip(keys, known)]
    long["quadrant_zh"] = [QUADRANT_ZH[k] if ok else "" for k, ok in zip(keys, known)]
    long["share_high"] = long["share_high"].astype("boolean")
    long["growth_high"] = long["growth_high"].astype("boolean")
    long["industry"] = long["column"].map(_label)
    long["period"] = period
    long["share_definition"] = share
    long["window"] = f"{window[0]}-{window[1]}" if window else ""
    long["_c"] = long["column"].map({c: i for i, c in enumerate(cols)})
    long = long.sort_values(["_c", "share_rank", by], kind="mergesort", na_position="last")
    out_cols = [by, "industry", "period", "index", "share", "share_rank", "growth", "growth_rank",
                "share_high", "growth_high", "quadrant", "quadrant_zh", "share_definition",
                "window"]
    return long[out_cols].reset_index(drop=True)
