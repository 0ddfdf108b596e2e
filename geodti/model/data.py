"""The model's data: a balanced panel of one dependent variable and its covariates, stacked
period by period (all units of the first period, then of the second ...), the layout spreg's
panel estimators take."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geodti.errors import InputError, MethodError
from geodti.periods import sort_periods

__all__ = ["EFFECTS", "ModelData", "model_data", "demean"]

#: fixed effects a model can absorb: none (pooled), unit, time, or both ("twoway")
EFFECTS = ("none", "unit", "time", "twoway")


@dataclass
class ModelData:
    """A balanced panel ready for estimation.

    Attributes
    ----------
    y : ndarray, shape (n * T,)
        Dependent variable, stacked by period (unit order ``units`` within each period).
    X : ndarray, shape (n * T, k)
        Covariates, same stacking.
    dependent : str
    covariates : list of str
    units : list of str
        Unit ids (adcodes) in the order of the weights matrix.
    periods : list of str
        Periods in time order.
    dropped : DataFrame
        Units left out by ``balance=True`` with the periods they miss (empty otherwise).
    """

    y: np.ndarray
    X: np.ndarray
    dependent: str
    covariates: list[str]
    units: list[str]
    periods: list[str]
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["adcode", "missing_periods"]))

    @property
    def n(self) -> int:
        return len(self.units)

    @property
    def T(self) -> int:
        return len(self.periods)


def demean(values: np.ndarray, n: int, T: int, effects: str) -> np.ndarray:
    """Remove unit means, period means or both from values stacked by period.

    The within transformation of fixed effects models (Baltagi 2021, ch. 2-3): ``unit``
    subtracts each unit's mean over the periods, ``time`` each period's mean over the units,
    ``twoway`` both and adds back the grand mean; ``none`` returns the values unchanged.
    """
    if effects not in EFFECTS:
        raise MethodError(f"effects {effects!r}: choose one of {', '.join(EFFECTS)}.")
    a = np.asarray(values, float)
    shaped = a.reshape(T, n, -1)
    out = shaped.copy()
    if effects in ("unit", "twoway"):
        out = out - shaped.mean(axis=0, keepdims=True)
    if effects in ("time", "twoway"):
        out = out - shaped.mean(axis=1, keepdims=True)
    if effects == "twoway":
        out = out + shaped.mean(axis=(0, 1), keepdims=True)
    return out.reshape(a.shape)


def model_data(panel: pd.DataFrame, dependent: str, covariates, *, units=None,
               balance: bool = False) -> ModelData:
    """Select, check and stack the model's columns of a tidy panel.

    Parameters
    ----------
    panel : DataFrame
        A row per unit and period: ``adcode``, ``period`` and the value columns.
    dependent : str
        Column of the dependent variable.
    covariates : sequence of str
        Columns of the explanatory variables (at least one).
    units : sequence of str, optional
        Unit order (e.g. the weights' ids); default: the panel's adcodes sorted. Every unit of
        the panel must be in it and every unit in it must be in the panel.
    balance : bool
        A unit missing in some periods (no row, or an empty cell) is an error listing the
        missing unit-periods (default); True leaves such units out, listed in ``dropped``.

    Returns
    -------
    ModelData

    Raises
    ------
    InputError
        A column is missing or not numeric, a unit-period appears twice, the panel is
        unbalanced (without ``balance``).
    """
    covariates = list(covariates)
    if not covariates:
        raise InputError("the model needs at least one covariate (--x COLUMN[,COLUMN...]).")
    columns = [dependent, *covariates]
    dup_cols = sorted({c for c in columns if columns.count(c) > 1})
    if dup_cols:
        raise InputError(f"column(s) {dup_cols} named twice among the dependent variable and "
                         "covariates; name each once.")
    for key in ("adcode", "period"):
        if key not in panel.columns:
            raise InputError(f"the panel has no {key!r} column; read it with geodti.read_panel.")
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise InputError(f"column(s) {missing} not in the table; its columns are "
                         f"{[c for c in panel.columns]}.")
    non_numeric = [c for c in columns if not pd.api.types.is_numeric_dtype(panel[c])]
    if non_numeric:
        examples = {c: panel.loc[pd.to_numeric(panel[c], errors="coerce").isna()
                                 & panel[c].notna(), c].astype(str).head(3).tolist()
                    for c in non_numeric}
        raise InputError(f"column(s) {non_numeric} are not numeric (e.g. {examples}); "
                         "clean those cells or choose numeric columns.")
    data = panel[["adcode", "period", *columns]].copy()
    data["adcode"] = data["adcode"].astype(str)
    dup = data.duplicated(["adcode", "period"], keep=False)
    if dup.any():
        pairs = data.loc[dup, ["adcode", "period"]].drop_duplicates().head(5)
        raise InputError(f"{int(dup.sum())} rows repeat a unit and period (e.g. "
                         f"{', '.join(pairs['adcode'] + ' ' + pairs['period'].astype(str))}); "
                         "one row per unit and period.")
    periods = list(sort_periods(data["period"].unique(), distinct=True))
    codes = sorted(data["adcode"].unique()) if units is None else [str(u) for u in units]
    if units is not None:
        extra = sorted(set(data["adcode"]) - set(codes))
        if extra:
            raise MethodError(f"{len(extra)} unit(s) of the panel are not in the weights: "
                              f"{', '.join(extra[:8])}; build the weights on the panel's units.")
    complete = data.dropna(subset=columns)
    have = set(zip(complete["adcode"], complete["period"].astype(str)))
    gaps = [(u, p) for u in codes for p in periods if (u, str(p)) not in have]
    dropped = pd.DataFrame(columns=["adcode", "missing_periods"])
    if gaps:
        by_unit: dict[str, list[str]] = {}
        for u, p in gaps:
            by_unit.setdefault(u, []).append(str(p))
        if not balance or units is not None:
            listed = "; ".join(f"{u}: {', '.join(ps)}" for u, ps in list(by_unit.items())[:10])
            more = f" (and {len(by_unit) - 10} more units)" if len(by_unit) > 10 else ""
            raise InputError(
                f"unbalanced panel: {len(gaps)} unit-period(s) of {len(by_unit)} unit(s) have no "
                f"complete row of {columns}: {listed}{more}. Fill them, or pass --balance "
                "(balance=True) to leave those units out of the model (listed in the output)."
                + (" (balance needs weights built after the units are left out.)"
                   if balance else ""))
        dropped = pd.DataFrame({"adcode": list(by_unit),
                                "missing_periods": [", ".join(ps) for ps in by_unit.values()]})
        codes = [u for u in codes if u not in by_unit]
    if len(periods) < 2:
        raise MethodError(f"the panel has {len(periods)} period(s); a panel model needs at least 2.")
    if len(codes) < len(columns) + 2:
        raise MethodError(f"{len(codes)} unit(s) left: too few for {len(covariates)} covariate(s).")
    indexed = complete.set_index(["period", "adcode"])
    order = pd.MultiIndex.from_product([periods, codes], names=["period", "adcode"])
    stacked = indexed.reindex(order)
    return ModelData(y=stacked[dependent].to_numpy(float), X=stacked[covariates].to_numpy(float),
                     dependent=dependent, covariates=covariates, units=codes,
                     periods=[str(p) for p in periods], dropped=dropped)
