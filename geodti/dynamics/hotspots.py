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
from scipy import stats

from geodti import defaults
from geodti.errors import MethodError

from ._common import weights_on, wide

__all__ = ["MIN_EHSA_PERIODS", "PATTERNS", "gi_star_panel", "mann_kendall", "classify_pattern", "emerging_hotspots"]

#: The categories, hot then cold, in the order of Esri's documentation.
PATTERNS = (
    "new hot spot", "consecutive hot spot", "intensifying hot spot", "persistent hot spot",
    "diminishing hot spot", "sporadic hot spot", "oscillating hot spot", "historical hot spot",
    "new cold spot", "consecutive cold spot", "intensifying cold spot", "persistent cold spot",
    "diminishing cold spot", "sporadic cold spot", "oscillating cold spot",
    "historical cold spot", "no pattern detected",
)

#: Periods the Mann-Kendall trend of emerging hot spot analysis needs at least.
MIN_EHSA_PERIODS = 3


def gi_star_panel(panel: pd.DataFrame, variable: str = "dti", *, weights=None,
                  alpha: float = defaults.ALPHA, fdr: bool = True, points: pd.DataFrame | None = None,
                  drop_incomplete: bool = False, inference: str = "analytic",
                  global_window: str = "entire_cube", permutations: int = defaults.PERMUTATIONS,
                  seed: int = defaults.SEED, client=None) -> pd.DataFrame:
    """Gi* z-score, p-value and hot/cold label of every unit in every period.

    One Gi* engine serves this table and ``geodti stats`` (:mod:`geodti.spatial.getisord`):
    the neighbourhood is the weights' original values with the unit itself included.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency (annual, quarterly or monthly), balanced.
    variable : str
        Index column.
    weights : geodti Weights, libpysal Graph or None
        Neighbours; default :func:`~geodti.dynamics.default_weights` (knn6, as ``geodti
        stats`` builds it). One matrix for all periods.
    alpha : float
        Significance level.
    fdr : bool
        Benjamini-Hochberg adjustment of the p-values within each period.
    inference : {"analytic", "permutation"}
        ``analytic``: Ord and Getis's normal z-score, two-sided p-value (Esri's tool).
        ``permutation``: conditional permutation (:func:`geodti.spatial.local_statistics`,
        its ``directed`` pseudo p-value, ``permutations`` draws with ``seed``): with the
        same weights, seed and permutations the hot spots are those of ``geodti stats``.
        Permutation inference compares a bin with its own period, so it needs
        ``global_window="individual_time_step"``.
    global_window : {"entire_cube", "individual_time_step"}
        Where the mean and variance of the z-score are taken (Esri's "Define Global
        Window"; its default, and this function's, is the entire cube): see
        :func:`geodti.spatial.getisord.gi_star_z`.
    permutations, seed : int
        Permutation inference only.
    client : dask.distributed.Client or geodti Executor, optional
        Permutation inference only: where its blocks run (identical numbers).

    Returns
    -------
    DataFrame
        The statistics table shape geodti shares (:mod:`geodti.spatial.local`):
        ``adcode, period, variable, statistic`` (``gi_star``), ``value`` (the ratio
        ``G*_i``), ``z_analytic`` (in the global window; the series the Mann-Kendall test
        follows), ``p_analytic`` (two-sided normal), ``z_sim, p_sim`` (permutation only),
        ``p_adjusted`` (of the p-value the inference uses: Benjamini-Hochberg within each
        period with ``fdr``), ``cluster`` (``hot_99`` ... ``cold_90`` by the adjusted p,
        or ``not_significant``: the rule of ``geodti stats``' Gi*, labels of
        :mod:`geodti.labels`), ``weights, alpha, fdr, inference, global_window,
        permutations, seed``. The emerging hot spots count a bin as a hot (cold) spot when
        its adjusted p is at most ``alpha``.
    """
    from geodti.spatial.getisord import GLOBAL_WINDOWS, gi_star_z

    if inference not in ("analytic", "permutation"):
        raise MethodError(f"inference must be 'analytic' or 'permutation'; got {inference!r}")
    if global_window not in GLOBAL_WINDOWS:
        raise MethodError(f"global_window must be one of {', '.join(GLOBAL_WINDOWS)}; "
                          f"got {global_window!r}")
    if inference == "permutation" and global_window != "individual_time_step":
        raise MethodError(
            "permutation inference compares each unit with the units of its own period; use "
            "global_window='individual_time_step' with it, or inference='analytic' for the "
            "entire cube."
        )
    mat = wide(panel, variable, drop_incomplete=drop_incomplete)
    w = weights_on(weights, mat.index, points=points)
    mat = mat.loc[list(w.ids)]
    periods = list(mat.columns)
    for p in periods:
        if np.ptp(mat[p].to_numpy(float)) == 0:
            raise MethodError(f"{variable!r} is the same for every unit in {p}; Gi* is undefined.")
    z = gi_star_z(mat.to_numpy(float), w.O, global_window=global_window)
    ids = list(w.ids)
    n = len(ids)
    p_analytic = 2.0 * stats.norm.sf(np.abs(z))
    if inference == "analytic":
        pv = p_analytic
        direction = z
        z_sim = None
    else:
        from geodti.spatial import local_statistics

        tidy = mat.stack().rename(variable).reset_index()
        loc = local_statistics(tidy, w, variables=[variable], periods=periods,
                               statistics=("gi_star",), permutations=permutations, seed=seed,
                               correction="fdr" if fdr else "none", alpha=alpha, on_budget="ignore",
                               client=client)
        loc = loc.set_index(["adcode", "period"])
        idx = pd.MultiIndex.from_product([ids, periods])
        pv = loc["p_sim"].reindex(idx).to_numpy(float).reshape(n, len(periods))
        z_sim = loc["z_sim"].reindex(idx).to_numpy(float).reshape(n, len(periods))
        direction = z_sim
    from geodti.spatial.getisord import gi_star_values
    from geodti.spatial.local import adjust_pvalues
    from geodti.spatial.registry import LOCAL_STATISTICS

    value = gi_star_values(mat.to_numpy(float), w.O)
    frames = []
    for t, p in enumerate(periods):
        adj = adjust_pvalues(pv[:, t], "fdr" if fdr else "none")  # the one BH of geodti stats
        # the label rule of geodti stats' Gi* (hot_99/95/90, cold_..., Esri's Gi_Bin)
        cluster = LOCAL_STATISTICS["gi_star"].label_rule(
            np.full(len(ids), ""), adj, alpha, direction=direction[:, t])
        frames.append(pd.DataFrame({
            "adcode": ids, "period": p, "statistic": "gi_star", "value": value[:, t],
            "z_analytic": z[:, t], "p_analytic": p_analytic[:, t],
            "z_sim": z_sim[:, t] if z_sim is not None else np.nan,
            "p_sim": pv[:, t] if z_sim is not None else np.nan,
            "p_adjusted": adj, "cluster": cluster}))
    out = pd.concat(frames, ignore_index=True)
    out.insert(2, "variable", variable)
    out["weights"], out["alpha"], out["fdr"] = w.label, alpha, fdr
    out["inference"], out["global_window"] = inference, global_window
    out["permutations"] = permutations if inference == "permutation" else 0
    out["seed"] = seed if inference == "permutation" else pd.NA
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
                      drop_incomplete: bool = False, inference: str = "analytic",
                      global_window: str = "entire_cube", permutations: int = defaults.PERMUTATIONS,
                      seed: int = defaults.SEED, gi: pd.DataFrame | None = None, client=None) -> pd.DataFrame:
    """Emerging hot spot category of every unit.

    Parameters
    ----------
    panel, variable, weights, alpha, fdr, points, drop_incomplete, inference, global_window, permutations, seed
        As in :func:`gi_star_panel` (default: analytic z-scores over the entire cube, Esri's
        default).
    trend_alpha : float
        Significance level of the Mann-Kendall trend.
    gi : DataFrame, optional
        The per-period Gi* table of :func:`gi_star_panel`, when the caller has it (and
        keeps it as a table of its own): it is used as it is, and the Gi* arguments above
        are read from it instead.
    client : dask.distributed.Client or geodti Executor, optional
        As in :func:`gi_star_panel`.

    Returns
    -------
    DataFrame
        ``adcode, variable, pattern, n_periods, n_hot, n_cold, final_spot, mk_s, mk_z,
        mk_p, mk_tau, mk_trend, weights, alpha, fdr, trend_alpha, inference, global_window``.

    Warns
    -----
    UserWarning
        With fewer than 10 periods, 90 % of the periods means all of them, so historical
        hot and cold spots cannot occur and persistent / intensifying / diminishing ones need
        every period significant.
    """
    if gi is None:
        gi = gi_star_panel(panel, variable, weights=weights, alpha=alpha, fdr=fdr, points=points,
                           drop_incomplete=drop_incomplete, inference=inference,
                           global_window=global_window, permutations=permutations, seed=seed, client=client)
    else:
        alpha, fdr = float(gi["alpha"].iloc[0]), bool(gi["fdr"].iloc[0])
        inference, global_window = gi["inference"].iloc[0], gi["global_window"].iloc[0]
    periods = list(dict.fromkeys(gi["period"]))
    n = len(periods)
    if n < MIN_EHSA_PERIODS:
        raise MethodError(f"emerging hot spot analysis needs at least {MIN_EHSA_PERIODS} periods, the "
                          f"panel has {n}.")
    if n < 10:
        warnings.warn(
            f"{n} periods (fewer than 10): a pattern that needs 90 % of the periods needs all "
            f"{n}, so historical hot/cold spots cannot occur and persistent, intensifying and "
            "diminishing ones must be significant in every period.", UserWarning, stacklevel=2)
    z = gi.pivot(index="adcode", columns="period", values="z_analytic")[periods]
    # a bin is a hot (cold) spot when its adjusted p is at most alpha, on its cluster's side
    side = gi["cluster"].str.split("_").str[0]
    spot = gi.assign(spot=side.where(side.isin(["hot", "cold"]) & (gi["p_adjusted"] <= alpha), ""))
    spot = spot.pivot(index="adcode", columns="period", values="spot")[periods]
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
    out["inference"], out["global_window"] = inference, global_window
    out = out.sort_values("adcode", kind="mergesort").reset_index(drop=True)
    return out
