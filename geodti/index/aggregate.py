"""Aggregation up the levels: county -> city -> province, and city -> agglomeration or region.

One function, :func:`aggregate_up`. The user says how each variable adds up, since geodti
cannot know it from the numbers:

``sum``
    additive variables (GDP, population, the DTI itself, which is in per cent of the
    national base-period total): the larger unit's value is the sum of its units'.
``mean``
    intensive variables (rates, shares, per-capita values, indices that are not shares of a
    total) without a weight: the plain mean of the units' values.
``weighted_mean``
    intensive variables weighted by a column of the table (population, GDP): sum of
    value x weight over sum of weight. The weight column itself is summed.

A larger unit whose units are not all in the table (or lack a value) in a period gets a
missing value, never a partial sum or mean, unless ``incomplete="keep"``; either way every
such unit, period and missing smaller unit is listed in :attr:`Aggregated.missing`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from geodti.errors import MethodError
from geodti.schema import check_panel, schema_of

__all__ = ["HOW", "TARGETS", "Aggregated", "aggregate_up"]

#: How a variable adds up (see the module's description).
HOW = ("sum", "mean", "weighted_mean")
#: The larger units each level aggregates to.
TARGETS = {
    "county": ("city", "province", "agglomeration", "region"),
    "city": ("province", "agglomeration", "region"),
    "province": (),
}


class Aggregated(NamedTuple):
    """What :func:`aggregate_up` returns.

    Attributes
    ----------
    panel : DataFrame
        One row per larger unit and period: the key (``adcode`` and ``name`` for a province
        or city; the ``agglomeration`` or ``region`` name otherwise), ``period``, the
        variables, ``n_units`` (smaller units it holds), ``n_with_data`` (those with a row
        and every value in the period) and ``complete``.
    missing : DataFrame
        Every smaller unit missing from a larger unit in a period: the larger unit (a column
        named by the target level: its adcode, or the agglomeration or region), ``period``,
        ``adcode`` and ``name`` of the missing unit, and ``reason`` (``no row`` or the
        variables without a value).
    """

    panel: pd.DataFrame
    missing: pd.DataFrame


def _members(level: str, to: str) -> tuple[pd.DataFrame, str]:
    """Smaller unit (``adcode``, ``name``) -> larger unit key (``_key``), and the key column's
    name in the output."""
    from geodti.places.levels import membership, parents, units

    if to not in TARGETS.get(level, ()):
        raise MethodError(
            f"a {level}-level panel cannot be aggregated to {to!r}; it aggregates to "
            f"{', '.join(TARGETS.get(level, ())) or 'nothing (the largest level)'}.")
    names = units(level).set_index("adcode")["name"]
    if to in ("province", "city"):
        table = parents(level, to).rename(columns={to: "_key"})
        out_key = "adcode"
    else:
        groups = membership(to).rename(columns={to: "_key"})
        if level == "county":  # through the county's city
            table = parents("county", "city").merge(
                groups.rename(columns={"adcode": "city"}), on="city")[["adcode", "_key"]]
        else:
            table = groups
        out_key = to
    table = table.dropna(subset=["_key"]).assign(name=lambda t: t["adcode"].map(names))
    return table.reset_index(drop=True), out_key


def aggregate_up(panel: pd.DataFrame, to: str, *, how: str | Mapping[str, str] = "sum",
                 weight: str | None = None, variables: Sequence[str] | None = None,
                 incomplete: str = "missing") -> Aggregated:
    """Aggregate a county- or city-level panel to a larger level.

    Parameters
    ----------
    panel : DataFrame
        A tidy panel (``adcode``, ``period``, variables) at county or city level (its level
        is :func:`geodti.schema.schema_of` ``(panel).level``).
    to : {"city", "province", "agglomeration", "region"}
        The larger level: counties go to cities, provinces, and (through their city) to
        agglomerations and regions; cities to provinces, agglomerations and the NBS regions.
        A city in two agglomerations (邯郸, 邢台, 运城) counts in both; units outside every
        agglomeration (or without a region: 香港, 澳门, 台湾) are left out.
    how : {"sum", "mean", "weighted_mean"} or mapping
        How every variable adds up, or a mapping variable -> how (every variable named).
    weight : str, optional
        The weight column of ``weighted_mean`` (summed itself).
    variables : sequence of str, optional
        The variables; default every value column but ``weight``.
    incomplete : {"missing", "keep"}
        A larger unit lacking some of its units in a period: a missing value (default), or
        the sum or mean of the units present (flagged ``complete`` False).

    Returns
    -------
    Aggregated
        ``panel`` and ``missing`` (see :class:`Aggregated`).

    Raises
    ------
    MethodError
        An unknown target or ``how``, ``weighted_mean`` without a weight column, a negative
        or missing weight, or adcodes that are not units of the panel's level.

    Examples
    --------
    >>> import geodti
    >>> from geodti.index.aggregate import aggregate_up
    >>> cities = geodti.read_panel("sample:panel")
    >>> provinces = aggregate_up(cities, "province", how="sum", variables=["dti"]).panel
    >>> len(provinces[provinces.period == "2023Q1"]), bool(provinces.complete.all())
    (31, True)
    """
    if incomplete not in ("missing", "keep"):
        raise MethodError(f"incomplete must be 'missing' or 'keep', got {incomplete!r}.")
    df = check_panel(panel)
    schema = schema_of(df)
    if variables is None:
        variables = [v for v in schema.value_columns if v != weight]
    variables = [variables] if isinstance(variables, str) else list(variables)
    absent = [v for v in [*variables, *([weight] if weight else [])] if v not in df.columns]
    if absent:
        raise MethodError(f"column(s) {absent} are not in the panel; its value columns are "
                          f"{list(schema.value_columns)}.")
    rules = {v: how for v in variables} if isinstance(how, str) else dict(how)
    unnamed = [v for v in variables if v not in rules]
    if unnamed:
        raise MethodError(f"how does not say how {unnamed} add up; give sum, mean or "
                          "weighted_mean for every variable.")
    bad = {v: r for v, r in rules.items() if r not in HOW}
    if bad:
        raise MethodError(f"unknown aggregation {bad}; use one of {', '.join(HOW)}.")
    if "weighted_mean" in rules.values():
        if weight is None:
            raise MethodError("weighted_mean needs a weight column (weight=, --weight), e.g. "
                              "population; or use mean for a plain mean.")
        w = pd.to_numeric(df[weight], errors="coerce")
        if w.isna().any() or (w < 0).any():
            row = df.index[(w.isna() | (w < 0)).to_numpy()][0]
            raise MethodError(f"the weight column {weight!r} needs a non-negative number in "
                              f"every row; row {row} ({df.loc[row, 'adcode']} "
                              f"{df.loc[row, 'period']}) has {df.loc[row, weight]!r}.")
    members, out_key = _members(schema.level, to)
    from geodti.places.levels import units

    unknown = sorted(set(df["adcode"]) - set(units(schema.level)["adcode"]))
    if unknown:
        raise MethodError(
            f"{len(unknown)} adcode(s) are not {schema.level}-level units: "
            f"{', '.join(unknown[:10])}; check them (geodti match).")
    # units outside every agglomeration (or 香港, 澳门, 台湾 without a region) are left out

    keys = members[members["adcode"].isin(set(df["adcode"]))]["_key"].unique()
    members = members[members["_key"].isin(keys)]
    periods = pd.unique(df["period"])
    grid = members.merge(pd.DataFrame({"period": periods}), how="cross")
    columns = list(dict.fromkeys([*variables, *([weight] if weight else [])]))
    vals = grid.merge(df[["adcode", "period", *columns]], on=["adcode", "period"], how="left",
                      indicator="_row")
    has_row = vals["_row"].eq("both")
    ok = has_row & vals[columns].notna().all(axis=1)

    group = vals.groupby(["_key", "period"], sort=False)
    out = group.size().rename("n_units").to_frame()
    out["n_with_data"] = ok.groupby([vals["_key"], vals["period"]], sort=False).sum()
    out["complete"] = out["n_with_data"].eq(out["n_units"])
    for v in columns:
        rule = "sum" if v == weight else rules[v]
        x = vals[v].astype(float)
        if rule == "sum":
            result = x.groupby([vals["_key"], vals["period"]], sort=False).sum(min_count=1)
        elif rule == "mean":
            result = x.groupby([vals["_key"], vals["period"]], sort=False).mean()
        else:
            wx = (x * vals[weight]).groupby([vals["_key"], vals["period"]], sort=False).sum(min_count=1)
            ws = vals[weight].where(x.notna()).groupby(
                [vals["_key"], vals["period"]], sort=False).sum(min_count=1)
            result = wx / ws.replace(0, np.nan)
        out[v] = result
        if incomplete == "missing":
            out.loc[~out["complete"], v] = np.nan
    out = out.reset_index().rename(columns={"_key": out_key})
    if out_key == "adcode":
        out.insert(1, "name", out["adcode"].map(units(to).set_index("adcode")["name"]))
    from geodti.periods import period_sort_key

    out["_order"] = out["period"].map(period_sort_key)
    out = out.sort_values([out_key, "_order"], kind="stable").drop(columns="_order")
    lead = [out_key, *(["name"] if out_key == "adcode" else []), "period"]
    out = out[[*lead, *columns, "n_units", "n_with_data", "complete"]].reset_index(drop=True)

    lacking = vals[~ok].copy()
    lacking["reason"] = [
        "no row" if not row else "no value: " + ", ".join(c for c in columns if pd.isna(r[c]))
        for row, (_, r) in zip(has_row[~ok], lacking.iterrows())
    ]
    missing = lacking.rename(columns={"_key": to})[[to, "period", "adcode", "name", "reason"]]
    missing = missing.sort_values([to, "period", "adcode"], kind="stable").reset_index(drop=True)
    return Aggregated(out, missing)
