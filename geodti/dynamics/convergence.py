"""Sigma and beta convergence, with spatial beta convergence (SAR, SEM, SDM via spreg).

Sigma convergence (Barro & Sala-i-Martin 1992; Sala-i-Martin 1996)
    The dispersion of the log index falls over time: per period, the standard deviation of
    ``ln I`` (``sd_log``) and the coefficient of variation of ``I`` (``cv``).
Beta convergence (Barro & Sala-i-Martin 1992)
    ``g_i = (ln I_iT - ln I_i0) / T = a + beta ln I_i0 (+ region effects) + e_i`` with ``T``
    in years; ``beta < 0`` means units with a lower initial index grow faster. Speed
    ``b = -ln(1 + beta T) / T`` and half-life ``ln 2 / b`` (years); the speed's standard
    error by the delta method, ``se(b) = se(beta) / (1 + beta T)``.
Spatial beta convergence (Rey & Montouri 1999; Elhorst 2014)
    The same regression as a spatial lag (SAR), spatial error (SEM) or spatial Durbin model
    (SDM: SAR with the spatial lag of ``ln I_0``), estimated by maximum likelihood in spreg
    (``ML_Lag``, ``ML_Error``, ``ML_Lag(slx_lags=1)``; the log-determinant by sparse LU,
    ``method="LU"``, which gives the same estimates as the dense ``"full"`` faster). Direct, indirect and total effects of
    ``ln I_0`` follow LeSage & Pace (2009, ch. 2.7).
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from geodti import defaults
from geodti.errors import MethodError
from geodti.periods import years_since

from ._common import NATIONAL, membership, partition, resolve_weights, sorted_periods, variable_panel, wide

__all__ = ["sigma_convergence", "sigma_trend", "beta_convergence", "spatial_beta_convergence",
           "convergence_speed", "DEFAULT_SEED"]

DEFAULT_SEED = defaults.SEED  # one seed for every command (geodti.defaults)


def sigma_convergence(panel: pd.DataFrame, variable: str = "dti", *, by: str | None = None,
                      groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Dispersion of the index per period, nationally and within each group.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency (annual, quarterly or monthly).
    variable : str
        Index column (positive values: logs are taken).
    by : str, optional
        Also within each group of ``region``, ``agglomeration``, ``hu_line``, ... or a column
        of ``groups``; a unit in two agglomerations counts in both.
    groups : DataFrame, optional
        ``adcode`` and the ``by`` column.

    Returns
    -------
    DataFrame
        ``by, group, period, variable, n_units, mean, sd`` (sample standard deviation,
        ddof=1), ``cv`` (sd / mean), ``mean_log, sd_log`` (of ``ln I``, ddof=1). The national
        rows have ``group == "全国"``.
    """
    df = variable_panel(panel, variable).dropna(subset=[variable])
    bad = df[variable] <= 0
    if bad.any():
        r = df[bad].iloc[0]
        raise MethodError(f"{variable!r} of unit {r['adcode']} in {r['period']} is {r[variable]}; "
                          "sigma convergence takes logs and needs positive values.")
    parts = [df.assign(group=NATIONAL)]
    if by is not None:
        member = membership(by, groups, adcodes=df["adcode"].unique())
        parts.append(df.merge(member[["adcode", "group"]], on="adcode"))
    long = pd.concat(parts, ignore_index=True)
    long["log"] = np.log(long[variable])
    agg = long.groupby(["group", "period"]).agg(
        n_units=(variable, "size"), mean=(variable, "mean"), sd=(variable, "std"),
        mean_log=("log", "mean"), sd_log=("log", "std")).reset_index()
    agg["cv"] = agg["sd"] / agg["mean"]
    agg["variable"] = variable
    agg.insert(0, "by", by or "national")
    order = {p: i for i, p in enumerate(sorted_periods(agg["period"]))}
    agg["_n"] = agg["group"] != NATIONAL
    agg["_p"] = agg["period"].map(order)
    agg = agg.sort_values(["_n", "group", "_p"], kind="mergesort")
    cols = ["by", "group", "period", "variable", "n_units", "mean", "sd", "cv", "mean_log", "sd_log"]
    return agg[cols].reset_index(drop=True)


def sigma_trend(sigma: pd.DataFrame, column: str = "sd_log", *, alpha: float = defaults.ALPHA) -> pd.DataFrame:
    """Linear trend of a dispersion measure over time, per group (sigma convergence test).

    OLS of ``column`` on time in years (periods / periods per year: quarters / 4, months
    / 12, years); a significantly negative slope is
    sigma convergence, a positive one divergence.

    Returns
    -------
    DataFrame
        ``by, group, measure, n_periods, first, last, slope_per_year, slope_se, p_value,
        change`` (last - first), ``verdict`` (``convergence`` / ``divergence`` / ``no
        significant trend`` at ``alpha``).
    """
    rows = []
    for (by, group), part in sigma.groupby(["by", "group"], sort=False):
        part = part.dropna(subset=[column])
        t = (part["period"].map(lambda p: years_since(part["period"].iloc[0], p)).to_numpy(dtype=float)
             if len(part) else np.zeros(0))
        v = part[column].to_numpy()
        row = {"by": by, "group": group, "measure": column, "n_periods": len(part),
               "first": v[0] if len(v) else np.nan, "last": v[-1] if len(v) else np.nan}
        if len(part) >= 3 and np.ptp(t) > 0:
            r = stats.linregress(t, v)
            verdict = ("no significant trend" if not r.pvalue < alpha
                       else ("convergence" if r.slope < 0 else "divergence"))
            row.update(slope_per_year=r.slope, slope_se=r.stderr, p_value=r.pvalue, verdict=verdict)
        else:
            row.update(slope_per_year=np.nan, slope_se=np.nan, p_value=np.nan,
                       verdict="too few periods")
        row["change"] = row["last"] - row["first"]
        rows.append(row)
    cols = ["by", "group", "measure", "n_periods", "first", "last", "change", "slope_per_year",
            "slope_se", "p_value", "verdict"]
    return pd.DataFrame(rows)[cols]


def convergence_speed(beta: float, beta_se: float, years: float) -> tuple[float, float, float]:
    """Speed ``b = -ln(1 + beta T) / T``, its delta-method standard error and the half-life
    ``ln 2 / b`` (years); NaN where ``1 + beta T <= 0`` (speed undefined) and a NaN
    half-life where ``b <= 0`` (no convergence)."""
    q = 1.0 + beta * years
    if not q > 0:
        return float("nan"), float("nan"), float("nan")
    b = -np.log(q) / years
    se = abs(beta_se / q)
    half = np.log(2.0) / b if b > 0 else float("nan")
    return float(b), float(se), float(half)


def _growth_data(panel, variable, start, end, drop_incomplete):
    mat = wide(panel, variable, drop_incomplete=drop_incomplete)
    periods = list(mat.columns)
    start = start or periods[0]
    end = end or periods[-1]
    for p in (start, end):
        if p not in mat.columns:
            raise MethodError(f"period {p} is not in the panel ({periods[0]} to {periods[-1]}).")
    years = years_since(start, end)  # T in years at any frequency: 9 quarters = 2, 2011-2021 = 10
    if not years > 0:
        raise MethodError(f"end {end} must come after start {start}.")
    sub = mat[[start, end]]
    if (sub <= 0).any().any():
        code = sub.index[(sub <= 0).any(axis=1)][0]
        raise MethodError(f"{variable!r} of unit {code} is not positive in {start} or {end}; "
                          "beta convergence takes logs.")
    ln0 = np.log(sub[start])
    g = (np.log(sub[end]) - ln0) / years
    return pd.DataFrame({"ln_y0": ln0, "growth": g}), start, end, years, mat.attrs["dropped_units"]


def _spreg_quiet(fn, *args, **kwargs):
    # spreg prints progress lines and warns about scipy tolerances and pandas deprecations.
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def beta_convergence(panel: pd.DataFrame, variable: str = "dti", *, start: str | None = None,
                     end: str | None = None, by: str | None = "region",
                     groups: pd.DataFrame | None = None, robust: str | None = None,
                     overlap: str = "smaller", alpha: float = defaults.ALPHA,
                     drop_incomplete: bool = False) -> pd.DataFrame:
    """Absolute and conditional beta convergence by OLS (spreg.OLS).

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency (annual, quarterly or monthly), balanced over ``start`` and ``end``.
    variable : str
        Index column (positive).
    start, end : str, optional
        First and last quarter (default the panel's first and last); ``T`` = years between.
    by : str or None
        Fixed effects of the conditional model (default ``region``); None for the absolute
        model only. A unit in two groups is assigned by ``overlap`` (see
        :func:`geodti.dynamics._common.partition`); units in no group form a group "其他".
    groups : DataFrame, optional
        ``adcode`` and the ``by`` column.
    robust : {None, "white"}
        Standard errors: classical OLS (default) or White heteroskedasticity-robust.
    alpha : float
        Confidence intervals at ``1 - alpha``.

    Returns
    -------
    DataFrame
        One row per model (``absolute``, ``conditional``): ``model, variable, start, end,
        years, n, controls, beta, beta_se, beta_t, beta_p, beta_ci_low, beta_ci_high, speed``
        (per year), ``speed_se, half_life_years, r2, adj_r2, se_type``.
    """
    import spreg

    if robust not in (None, "white"):
        raise MethodError(f"robust={robust!r}: use None or 'white'.")
    data, start, end, years, _ = _growth_data(panel, variable, start, end, drop_incomplete)
    y = data[["growth"]].to_numpy()
    specs = [("absolute", data[["ln_y0"]], "none")]
    if by is not None:
        part, _ = partition(membership(by, groups), data.index, overlap=overlap)
        if len(part) != len(data):
            raise MethodError("some units have no group for the fixed effects.")
        levels = sorted(part.unique())
        if len(levels) < 2:
            raise MethodError(f"by={by!r} gives one group only; fixed effects need two or more.")
        # first group (sorted) is the baseline
        dummies = pd.get_dummies(part.loc[data.index], dtype=float).reindex(columns=levels)
        x = pd.concat([data[["ln_y0"]], dummies.iloc[:, 1:]], axis=1)
        specs.append(("conditional", x, f"{by} fixed effects (baseline {levels[0]})"))
    rows = []
    for model, x, controls in specs:
        n, k = x.shape[0], x.shape[1] + 1
        if n <= k:
            raise MethodError(f"{model} beta convergence: {n} units for {k} coefficients.")
        reg = _spreg_quiet(spreg.OLS, y, x.to_numpy(float), robust=robust,
                           name_x=[str(c) for c in x.columns])
        b, se = float(reg.betas[1, 0]), float(reg.std_err[1])
        t_stat, p = reg.t_stat[1]
        tcrit = stats.t.ppf(1 - alpha / 2, n - k)
        speed, speed_se, half = convergence_speed(b, se, years)
        rows.append({"model": model, "variable": variable, "start": start, "end": end,
                     "years": years, "n": n, "controls": controls, "beta": b, "beta_se": se,
                     "beta_t": float(t_stat), "beta_p": float(p),
                     "beta_ci_low": b - tcrit * se, "beta_ci_high": b + tcrit * se,
                     "speed": speed, "speed_se": speed_se, "half_life_years": half,
                     "r2": float(reg.r2), "adj_r2": float(reg.ar2),
                     "se_type": "white" if robust else "ols"})
    return pd.DataFrame(rows)


def _impacts(beta, theta, rho, eig):
    """LeSage & Pace (2009) average direct / indirect / total effects of one regressor in
    ``y = rho W y + X beta + W X theta``: ``S = (I - rho W)^-1 (beta I + theta W)``, direct =
    tr(S)/n, total = 1'S1/n = (beta + theta)/(1 - rho) for row-standardised W."""
    d1 = np.real(np.mean(1.0 / (1.0 - rho * eig)))
    d2 = np.real(np.mean(eig / (1.0 - rho * eig)))
    direct = beta * d1 + theta * d2
    total = (beta + theta) / (1.0 - rho)
    return direct, total - direct, total


def spatial_beta_convergence(panel: pd.DataFrame, variable: str = "dti", *,
                             start: str | None = None, end: str | None = None, weights=None,
                             models=("sar", "sem", "sdm"), points: pd.DataFrame | None = None,
                             draws: int = defaults.DRAWS, seed: int = DEFAULT_SEED, alpha: float = defaults.ALPHA,
                             drop_incomplete: bool = False) -> dict:
    """Spatial beta convergence: SAR, SEM and SDM by maximum likelihood (spreg).

    Parameters
    ----------
    panel, variable, start, end, drop_incomplete
        As in :func:`beta_convergence`.
    weights : libpysal Graph, geodti weights or None
        Spatial weights keyed by adcode, row-standardised here; default k = 6 nearest
        neighbours between the units' points (Albers plane).
    models : sequence of {"sar", "sem", "sdm"}
        Models to estimate.
    draws : int
        Parameter draws for the standard errors of the effects (LeSage & Pace 2009: draws
        from the estimates' asymptotic normal distribution); 0 for none.
    seed : int
        Seed of those draws.

    Returns
    -------
    dict of DataFrame
        ``"models"``: one row per model (``model, variable, start, end, years, n, weights,
        log_likelihood, aic, schwarz, pseudo_r2, spatial_parameter`` (rho or lambda),
        ``spatial_parameter_se, beta, beta_se, speed, speed_se, half_life_years``; speed from
        the ``ln_y0`` coefficient). ``"coefficients"``: ``model, term, estimate, se, z,
        p_value``. ``"impacts"`` (SAR and SDM): ``model, term, effect`` (direct / indirect /
        total), ``estimate, se, ci_low, ci_high, draws, seed``.
    """
    import spreg

    bad = [m for m in models if m not in ("sar", "sem", "sdm")]
    if bad:
        raise MethodError(f"models {bad}: use sar, sem and/or sdm.")
    data, start, end, years, _ = _growth_data(panel, variable, start, end, drop_incomplete)
    graph, ids, label = resolve_weights(weights, data.index, points=points)
    data = data.loc[ids]
    W = graph.transform("R")
    w_obj = W.to_W()
    y = data[["growth"]].to_numpy()
    x = data[["ln_y0"]].to_numpy()
    from geodti.model.spectrum import eigenvalues

    eig = eigenvalues(W.sparse)  # symmetric solver for contiguity weights: n = 2,848 counties
    rng = np.random.default_rng(seed)
    model_rows, coef_rows, impact_rows = [], [], []
    for m in models:
        if m == "sem":
            reg = _spreg_quiet(spreg.ML_Error, y, x, w_obj, method="LU", name_x=["ln_y0"])
            terms = ["constant", "ln_y0", "lambda"]
            sp, sp_i = float(reg.lam), 2
        else:
            slx = 1 if m == "sdm" else 0
            reg = _spreg_quiet(spreg.ML_Lag, y, x, w_obj, slx_lags=slx, method="LU",
                               spat_impacts=None, name_x=["ln_y0"])
            terms = ["constant", "ln_y0"] + (["W_ln_y0"] if slx else []) + ["rho"]
            sp, sp_i = float(reg.rho), len(terms) - 1
        est = reg.betas.ravel().astype(float)
        se = np.asarray(reg.std_err, float).ravel()
        zp = np.asarray(reg.z_stat, float)
        for i, term in enumerate(terms):
            coef_rows.append({"model": m, "term": term, "estimate": est[i], "se": se[i],
                              "z": zp[i, 0], "p_value": zp[i, 1]})
        b, b_se = est[1], se[1]
        speed, speed_se, half = convergence_speed(b, b_se, years)
        model_rows.append({"model": m, "variable": variable, "start": start, "end": end,
                           "years": years, "n": len(y), "weights": label,
                           "log_likelihood": float(reg.logll), "aic": float(reg.aic),
                           "schwarz": float(reg.schwarz), "pseudo_r2": float(reg.pr2),
                           "spatial_parameter": sp, "spatial_parameter_se": se[sp_i],
                           "beta": b, "beta_se": b_se, "speed": speed, "speed_se": speed_se,
                           "half_life_years": half})
        if m == "sem":
            continue
        theta = est[2] if m == "sdm" else 0.0
        point = _impacts(est[1], theta, sp, eig)
        if draws:
            idx = [1, 2, sp_i] if m == "sdm" else [1, sp_i]
            cov = np.asarray(reg.vm, float)[np.ix_(idx, idx)]
            sim = rng.multivariate_normal(est[idx], cov, size=draws, method="eigh")
            th = sim[:, 1] if m == "sdm" else np.zeros(draws)
            rho_d = np.clip(sim[:, -1], -0.999, 0.999)
            sims = np.array([_impacts(sim[j, 0], th[j], rho_d[j], eig) for j in range(draws)])
        for j, effect in enumerate(("direct", "indirect", "total")):
            row = {"model": m, "term": "ln_y0", "effect": effect, "estimate": float(point[j])}
            if draws:
                lo, hi = np.quantile(sims[:, j], [alpha / 2, 1 - alpha / 2])
                row.update(se=float(sims[:, j].std(ddof=1)), ci_low=float(lo), ci_high=float(hi))
            else:
                row.update(se=np.nan, ci_low=np.nan, ci_high=np.nan)
            row.update(draws=draws, seed=seed)
            impact_rows.append(row)
    impacts = pd.DataFrame(impact_rows, columns=["model", "term", "effect", "estimate", "se",
                                                 "ci_low", "ci_high", "draws", "seed"])
    return {"models": pd.DataFrame(model_rows), "coefficients": pd.DataFrame(coef_rows),
            "impacts": impacts}
