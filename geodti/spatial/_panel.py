"""Panel <-> matrix helpers: a tidy panel (adcode, period, variables...) as one ``(n, V)`` matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodti.errors import InputError
from geodti.periods import sort_periods
from geodti.schema import check_panel, schema_of

from .weights import Weights


def choose_variables(panel: pd.DataFrame, variables=None) -> list[str]:
    if variables is None:
        cols = list(schema_of(panel).value_columns)
        if not cols:
            raise InputError("the panel has no numeric variable columns besides adcode and period")
        return cols
    if isinstance(variables, str):
        variables = [v.strip() for v in variables.split(",") if v.strip()]
    missing = [v for v in variables if v not in panel.columns]
    if missing:
        raise InputError(f"variable(s) not in the panel: {missing}; columns are {list(panel.columns)}")
    for v in variables:
        if not pd.api.types.is_numeric_dtype(panel[v]):
            converted = pd.to_numeric(panel[v], errors="coerce")
            bad = panel.loc[converted.isna() & panel[v].notna(), ["adcode", "period", v]].head(5)
            if len(bad):
                raise InputError(f"column '{v}' is not numeric, e.g. {bad.to_dict('records')}")
    return list(variables)


def choose_periods(panel: pd.DataFrame, periods=None) -> list[str]:
    present = list(sort_periods(list(panel["period"].unique())))
    if periods is None:
        return present
    if isinstance(periods, str):
        periods = [p.strip() for p in periods.split(",") if p.strip()]
    periods = [str(p) for p in periods]
    missing = [p for p in periods if p not in present]
    if missing:
        raise InputError(f"period(s) not in the panel: {missing}; the panel has {present}")
    return periods


def complete_units(panel: pd.DataFrame, variables, periods) -> tuple[list[str], pd.DataFrame]:
    """Units with a value for every selected period and variable, and a report of the others.

    Returns the sorted complete adcodes and a table (adcode, period, variable, problem)
    of what is missing; use it to build weights on a balanced panel.
    """
    panel = check_panel(panel)
    variables = choose_variables(panel, variables)
    periods = choose_periods(panel, periods)
    sub = panel[panel["period"].isin(periods)]
    units = sorted(panel["adcode"].unique())
    full = pd.MultiIndex.from_product([units, periods], names=["adcode", "period"])
    wide = sub.set_index(["adcode", "period"])[variables].apply(pd.to_numeric, errors="coerce").reindex(full)
    long = wide.stack(future_stack=True).rename("value").reset_index()
    long.columns = ["adcode", "period", "variable", "value"]
    bad = long[~np.isfinite(long["value"].to_numpy(float))].copy()
    bad["problem"] = "missing"
    bad = bad.drop(columns="value").reset_index(drop=True)
    complete = sorted(set(units) - set(bad["adcode"]))
    return complete, bad


def panel_matrix(
    panel: pd.DataFrame, variables: list[str], periods: list[str], ids: pd.Index
) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """``(n, V)`` matrix aligned with ``ids``; columns are ``(period, variable)`` pairs."""
    sub = panel[panel["period"].isin(periods)]
    units = pd.Index(sub["adcode"].unique())
    extra = units.difference(ids)
    if len(extra):
        raise InputError(
            f"{len(extra)} panel unit(s) are not in the weights: {', '.join(extra[:10])}; build the weights on the "
            "panel's units (build_weights_set(..., units=...)) and check the adcodes"
        )
    cols: list[tuple[str, str]] = []
    blocks = []
    for p in periods:
        part = sub[sub["period"] == p].set_index("adcode").reindex(ids)
        for v in variables:
            values = pd.to_numeric(part[v], errors="coerce").to_numpy(float)
            bad = ids[~np.isfinite(values)]
            if len(bad):
                raise InputError(
                    f"period {p}, variable '{v}': no value for {len(bad)} unit(s) of the weights, e.g. "
                    f"{', '.join(bad[:8])}; statistics need every unit; drop those units from the weights "
                    "(complete_units(), or --missing drop-units on the command line)"
                )
            blocks.append(values)
            cols.append((p, v))
    return np.column_stack(blocks), cols


def as_weights_dict(weights) -> dict[str, Weights]:
    if isinstance(weights, Weights):
        return {weights.label: weights}
    if isinstance(weights, dict):
        for k, w in weights.items():
            if not isinstance(w, Weights):
                raise InputError(f"weights['{k}'] is not a geodti Weights (build it with Weights.from_spec)")
        return dict(weights)
    items = list(weights)
    out = {}
    for w in items:
        if not isinstance(w, Weights):
            raise InputError(f"expected geodti Weights, got {type(w).__name__}")
        out[w.label] = w
    return out
