"""Emerging hot spot analysis: Gi* per period, Mann-Kendall trend, Esri's categories.

What is done here (a simplification of ArcGIS Pro's tool, stated in docs/methods.md):

1. Gi* (Getis & Ord 1992; Ord & Getis 1995) of every unit in every period, on binary
   spatial weights with the unit itself included (``esda.G_Local(star=True,
   transform="B")``), with the analytical z-score; two-sided p-values from the normal
   distribution, adjusted per period for the false discovery rate (Benjamini & Hochberg
   1995) when ``fdr=True``. A unit-period is a hot (cold) spot when its adjusted p-value is
   at most ``alpha`` and z > 0 (z < 0). ArcGIS computes Gi* on a space-time cube whose
   neighbourhood also spans earlier time steps ("Neighborhood Time Step"); here each
   period's Gi* is purely spatial.
2. The Mann-Kendall trend test (Mann 1945; Kendall 1975) of each unit's series of Gi*
   z-scores (``pymannkendall.original_test``, with the tie correction of the variance).
3. Esri's categories ("How Emerging Hot Spot Analysis works", ArcGIS Pro documentation), as
   implemented by :func:`classify_pattern`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse, stats

from geodti import defaults
from geodti.errors import MethodError

from ._common import resolve_weights, wide

__all__ = ["PATTERNS", "gi_star_panel", "mann_kendall", "classify_pattern", "emerging_hotspots"]

#: The categories, hot then cold, in the order of Esri's documentation.
PATTERNS = (
    "new hot spot", "consecutive hot spot", "intensifying hot spot", "persistent hot spot",
    "diminishing hot spot", "sporadic hot spot", "oscillating hot spot", "historical hot spot",
    "new cold spot", "consecutive cold spot", "intensifying cold spot", "persistent cold spot",
    "diminishing cold spot", "sporadic cold spot", "oscillating cold spot",
    "historical cold spot", "no pattern detected",
)


def gi_star_panel(panel: pd.DataFrame, variable: str = "dti", *, weights=None,
                  alpha: float = defaults.ALPHA, fdr: bool = True, points: pd.DataFrame | None = None,
                  drop_incomplete: bool = False) -> pd.DataFrame:
    """Gi* z-score, p-value and hot/cold label of every unit in every period.

    Parameters
    ----------
    panel : DataFrame
        Tidy quarterly panel, balanced.
    variable : str
        Index column.
    weights : libpysal Graph, geodti weights or None
        Neighbours (binary here; the unit itself is added); default 6 nearest neighbours.
        One graph for all periods.
    alpha : float
        Significance level.
    fdr : bool
        Benjamini-Hochberg adjustment of the p-values within each period.

    Returns
    -------
    DataFrame
        ``adcode, period, variable, z, p_value`` (two-sided, normal), ``p_adjusted``,
        ``spot`` (``hot``, ``cold`` or ``""``), ``weights, alpha, fdr``.
    """
    mat = wide(panel, variable, drop_incomplete=drop_incomplete)
    graph, ids, label = resolve_weights(weights, mat.index, points=points)
    mat = mat.loc[ids]
    # binary links plus the unit itself (the "star" of Gi*)
    w = (graph.transform("B").sparse.tocsr() != 0).astype(float)
    w = (w + sparse.identity(len(ids), format="csr")).tocsr()
    wi = np.asarray(w.sum(axis=1)).ravel()
    s1 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    n = len(ids)
    frames = []
    for p in mat.columns:
        y = mat[p].to_numpy(float)
        if np.ptp(y) == 0:
            raise MethodError(f"{variable!r} is the same for every unit in {p}; Gi* is undefined.")
        # Ord & Getis (1995) standardised Gi*; unlike the ratio form (esda.G_Local) it is
        # valid for negative values too (e.g. growth rates).
        xbar = y.mean()
        sd = np.sqrt((y ** 2).mean() - xbar ** 2)
        z = (w @ y - xbar * wi) / (sd * np.sqrt((n * s1 - wi ** 2) / (n - 1)))
        pv = 2.0 * stats.norm.sf(np.abs(z))
        adj = stats.false_discovery_control(pv, method="bh") if fdr else pv
        sig = adj <= alpha
        spot = np.where(sig & (z > 0), "hot", np.where(sig & (z < 0), "cold", ""))
        frames.append(pd.DataFrame({"adcode": ids, "period": p, "z": z, "p_value": pv,
                                    "p_adjusted": adj, "spot": spot}))
    out = pd.concat(frames, ignore_index=True)
    out.insert(2, "variable", variable)
    out["weights"], out["alpha"], out["fdr"] = label, alpha, fdr
    out.attrs["dropped_units"] = mat.attrs.get("dropped_units", [])
    return out


def mann_kendall(values: Sequence[float], alpha: float = defaults.ALPHA) -> dict:
    """Mann-Kendall trend test of a series (pymannkendall.original_test).

    ``S = sum_{i<j} sign(x_j - x_i)``; ``Var(S) = [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)] / 18``
    (``t`` the sizes of tied groups); ``Z = (S - sign(S)) / sqrt(Var(S))`` (0 when S = 0);
    two-sided p-value from the normal distribution; Kendall's tau = S / (n(n-1)/2).

    Returns
    -------
    dict
        ``s, var_s, z, p_value, tau, trend`` (``increasing``, ``decreasing``, ``no trend``
        at ``alpha``), ``sen_slope``.
    """
    import pymannkendall as mk

    x = np.asarray(values, float)
    if len(x) < 3 or np.isnan(x).any():
        raise MethodError(f"the Mann-Kendall test needs at least 3 values and no NaN, got {x}.")
    r = mk.original_test(x, alpha=alpha)
    return {"s": float(r.s), "var_s": float(r.var_s), "z": float(r.z), "p_value": float(r.p),
            "tau": float(r.Tau), "trend": r.trend, "sen_slope": float(r.slope)}


def _one_side(spots: list[str], side: str, other: str, tau: float, p: float,
              trend_alpha: float) -> str | None:
    """Esri's rules for one side (hot or cold); None if none applies."""
    n = len(spots)
    is_side = [s == side for s in spots]
    count = sum(is_side)
    share = count / n
    up = tau > 0 if side == "hot" else tau < 0  # clustering becomes more intense
    significant_trend = p <= trend_alpha
    if is_side[-1]:
        if share >= 0.9:
            if significant_trend and up:
                return f"intensifying {side} spot"
            if significant_trend and not up and tau != 0:
                return f"diminishing {side} spot"
            return f"persistent {side} spot"
        # less than 90 per cent of the periods
        if any(s == other for s in spots[:-1]):
            return f"oscillating {side} spot"
        if count == 1:
            return f"new {side} spot"
        run = 0
        for s in reversed(is_side):
            if not s:
                break
            run += 1
        if run == count and run >= 2:
            return f"consecutive {side} spot"
        return f"sporadic {side} spot"
    if share >= 0.9:
        return f"historical {side} spot"
    return None


def classify_pattern(spots: Sequence[str], tau: float, p_value: float, *,
                     trend_alpha: float = 0.05) -> str:
    """Esri's emerging hot spot category of one unit.

    Parameters
    ----------
    spots : sequence of {"hot", "cold", ""}
        The unit's label in each period, oldest first.
    tau, p_value : float
        Mann-Kendall tau and p-value of the unit's Gi* z-scores.
    trend_alpha : float
        Significance level of the trend.

    Returns
    -------
    str
        One of :data:`PATTERNS`. Rules (``H`` = share of periods that are hot spots):
        final hot and H >= 90 %: intensifying (significant upward trend of z), diminishing
        (significant downward trend), else persistent. Final hot and H < 90 %: oscillating
        if it was ever a cold spot before; else new (the only hot period), consecutive (a
        single uninterrupted run of at least two hot periods at the end, never hot before
        it), else sporadic. Final not hot and H >= 90 %: historical. The same for cold spots
        with the trend's direction reversed (an intensifying cold spot's z falls); else no
        pattern detected.
    """
    spots = ["" if s is None or (isinstance(s, float) and np.isnan(s)) else str(s) for s in spots]
    bad = set(spots) - {"hot", "cold", ""}
    if bad:
        raise MethodError(f"spot labels must be 'hot', 'cold' or '', got {sorted(bad)}.")
    if not spots:
        raise MethodError("no periods to classify.")
    for side, other in (("hot", "cold"), ("cold", "hot")):
        pattern = _one_side(spots, side, other, tau, p_value, trend_alpha)
        if pattern is not None:
            return pattern
    return "no pattern detected"


def emerging_hotspots(panel: pd.DataFrame, variable: str = "dti", *, weights=None,
                      alpha: float = defaults.ALPHA, fdr: bool = True, trend_alpha: float = 0.05,
                      points: pd.DataFrame | None = None,
                      drop_incomplete: bool = False) -> pd.DataFrame:
    """Emerging hot spot category of every unit.

    Parameters
    ----------
    panel, variable, weights, alpha, fdr, points, drop_incomplete
        As in :func:`gi_star_panel`.
    trend_alpha : float
        Significance level of the Mann-Kendall trend.

    Returns
    -------
    DataFrame
        ``adcode, variable, pattern, n_periods, n_hot, n_cold, final_spot, mk_s, mk_z,
        mk_p, mk_tau, mk_trend, weights, alpha, fdr, trend_alpha``. ``attrs["gi"]`` holds
        the per-period table of :func:`gi_star_panel`; ``attrs["notes"]`` the warnings.

    Warns
    -----
    UserWarning
        With fewer than 10 periods, 90 % of the periods means all of them, so historical
        hot and cold spots cannot occur and persistent / intensifying / diminishing ones need
        every period significant.
    """
    gi = gi_star_panel(panel, variable, weights=weights, alpha=alpha, fdr=fdr, points=points,
                       drop_incomplete=drop_incomplete)
    periods = list(dict.fromkeys(gi["period"]))
    n = len(periods)
    if n < 3:
        raise MethodError(f"emerging hot spot analysis needs at least 3 periods, the panel has {n}.")
    notes = []
    if n < 10:
        notes.append(
            f"{n} periods (fewer than 10): a pattern that needs 90 % of the periods needs all "
            f"{n}, so historical hot/cold spots cannot occur and persistent, intensifying and "
            "diminishing ones must be significant in every period."
        )
        warnings.warn(notes[-1], UserWarning, stacklevel=2)
    z = gi.pivot(index="adcode", columns="period", values="z")[periods]
    spot = gi.pivot(index="adcode", columns="period", values="spot")[periods]
    rows = []
    for code in z.index:
        t = mann_kendall(z.loc[code].to_numpy(), alpha=trend_alpha)
        s = list(spot.loc[code])
        rows.append({"adcode": code, "variable": variable,
                     "pattern": classify_pattern(s, t["tau"], t["p_value"], trend_alpha=trend_alpha),
                     "n_periods": n, "n_hot": s.count("hot"), "n_cold": s.count("cold"),
                     "final_spot": s[-1], "mk_s": t["s"], "mk_z": t["z"], "mk_p": t["p_value"],
                     "mk_tau": t["tau"], "mk_trend": t["trend"]})
    out = pd.DataFrame(rows)
    out["weights"], out["alpha"], out["fdr"], out["trend_alpha"] = (
        gi["weights"].iloc[0], alpha, fdr, trend_alpha)
    out = out.sort_values("adcode", kind="mergesort").reset_index(drop=True)
    out.attrs["gi"] = gi
    out.attrs["notes"] = notes
    return out
