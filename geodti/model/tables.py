"""Tidy and paper-style tables of fitted models."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .estimate import Fit

__all__ = ["coefficients", "fit_statistics", "paper_table", "stars", "STARS"]

#: significance stars as papers print them: p < 0.01, 0.05, 0.1
STARS = ((0.01, "***"), (0.05, "**"), (0.1, "*"))


def stars(p: float) -> str:
    """``***``, ``**``, ``*`` or ``""`` for a p-value (:data:`STARS`)."""
    for cut, mark in STARS:
        if p < cut:
            return mark
    return ""


def _label(fit: Fit) -> str:
    return f"{fit.model.upper()} {fit.effects}"


def coefficients(fits) -> pd.DataFrame:
    """One row per model and term: ``model, effects, term, estimate, se, z, p_value, stars``
    (z and p two-sided normal, as for maximum-likelihood estimates)."""
    rows = []
    for fit in fits:
        se = fit.se
        for term, est, s in zip(fit.terms, fit.estimate, se):
            z = est / s if s > 0 else np.nan
            p = float(2 * stats.norm.sf(abs(z))) if s > 0 else np.nan
            rows.append({"model": fit.model, "effects": fit.effects, "term": term,
                         "estimate": float(est), "se": float(s), "z": float(z), "p_value": p,
                         "stars": stars(p)})
    return pd.DataFrame(rows, columns=["model", "effects", "term", "estimate", "se", "z",
                                       "p_value", "stars"])


def fit_statistics(fits) -> pd.DataFrame:
    """One row per model: log-likelihood, AIC, R-squared within, sigma^2, N, T, estimator."""
    return pd.DataFrame([{"model": f.model, "effects": f.effects, "log_likelihood": f.loglik,
                          "aic": f.aic, "r2_within": f.r2_within, "sigma2": f.sigma2,
                          "n_units": f.n, "n_periods": f.T, "n_obs": f.n * f.T,
                          "estimator": f.estimator, "lee_yu_corrected": f.bias_corrected}
                         for f in fits])


def paper_table(fits, effects: pd.DataFrame | None = None, *, digits: int = 3) -> pd.DataFrame:
    """The coefficient table as papers print it: a column per model, per term a row with the
    estimate and its stars and a row with the standard error in brackets, then the effects
    (if given) and the fit (log-likelihood, AIC, R-squared within, N, T).

    Returns
    -------
    DataFrame
        Text cells; first column ``term`` (blank on the standard-error rows).
    """
    fmt = f"{{:.{digits}f}}"
    coef = coefficients(fits)
    labels = [_label(f) for f in fits]
    order: list[str] = []
    for f in fits:
        order += [t for t in f.terms if t not in order]
    rows = []

    def block(name, cells_by_model):
        rows.append({"term": name, **{lab: c[0] for lab, c in cells_by_model.items()}})
        rows.append({"term": "", **{lab: c[1] for lab, c in cells_by_model.items()}})

    # a dictionary per table: a boolean filter per cell was most of this function's time
    coef_at = {(r.model, r.effects, r.term): r for r in coef.itertuples(index=False)}
    for term in order:
        cells = {}
        for f, lab in zip(fits, labels):
            r = coef_at.get((f.model, f.effects, term))
            cells[lab] = (("", "") if r is None else
                          (fmt.format(r.estimate) + r.stars, "(" + fmt.format(r.se) + ")"))
        block(term, cells)
    if effects is not None and not effects.empty:
        effect_at = {(r.model, r.effects, r.covariate, r.effect): r
                     for r in effects.itertuples(index=False)}
        for (cov, eff), _ in effects.groupby(["covariate", "effect"], sort=False):
            cells = {}
            for f, lab in zip(fits, labels):
                r = effect_at.get((f.model, f.effects, cov, eff))
                cells[lab] = (("", "") if r is None else
                              (fmt.format(r.estimate) + stars(r.p_value),
                               "(" + fmt.format(r.se) + ")"))
            block(f"{eff} {cov}", cells)
    stats_ = fit_statistics(fits)
    for key, name, f2 in (("log_likelihood", "log-likelihood", fmt), ("aic", "AIC", fmt),
                          ("r2_within", "R2 within", fmt), ("n_obs", "N", "{:d}"),
                          ("n_periods", "T", "{:d}")):
        rows.append({"term": name, **{lab: f2.format(v) for lab, v in zip(labels, stats_[key])}})
    return pd.DataFrame(rows, columns=["term", *labels])
