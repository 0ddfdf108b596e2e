"""Direct, indirect and total effects of the covariates (LeSage & Pace 2009, ch. 2.7).

For ``y = rho W y + X b + W X theta + ...`` the n x n matrix of partial derivatives of y
with respect to covariate r is ``S_r = (I - rho W)^-1 (b_r I + theta_r W)``. The average
direct effect is ``tr(S_r) / n``, the average total effect ``1' S_r 1 / n``, which is
``(b_r + theta_r) / (1 - rho)`` for row-standardised W, and the indirect (spillover) effect
their difference. The traces come from the eigenvalues w of W:
``tr((I - rho W)^-1) = sum 1/(1 - rho w)``, ``tr((I - rho W)^-1 W) = sum w/(1 - rho w)``.
SEM: direct = b, indirect = 0 (the error's spatial process carries no spillover of X).

Inference (LeSage & Pace 2009, sec. 2.7): ``draws`` parameter vectors from the normal
distribution with the estimates' mean and covariance, seeded; the standard error is the
draws' standard deviation, z = estimate / se, the p-value two-sided normal, the interval the
draws' quantiles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from geodti import defaults

from .estimate import Fit, wx_names
from .spectrum import Spectrum, spectrum

__all__ = ["spatial_effects", "EFFECT_COLUMNS"]

EFFECT_COLUMNS = ["model", "effects", "covariate", "effect", "estimate", "se", "z", "p_value",
                  "ci_low", "ci_high", "draws", "seed"]


def _mean_effects(b, theta, rho, eig):
    """(direct, indirect, total) for arrays of b, theta, rho (one row per draw)."""
    rho = np.atleast_1d(rho)[:, None]
    d1 = np.mean(1.0 / (1.0 - rho * eig[None, :]), axis=1).real
    d2 = np.mean(eig[None, :] / (1.0 - rho * eig[None, :]), axis=1).real
    direct = b * d1[:, None] + theta * d2[:, None]
    total = (b + theta) / (1.0 - rho)
    return direct, total - direct, total


def spatial_effects(fit: Fit, covariates, W, *, draws: int = defaults.DRAWS,
                    seed: int = defaults.SEED, alpha: float = defaults.ALPHA,
                    spec: Spectrum | None = None) -> pd.DataFrame:
    """Direct, indirect and total effects of every covariate of a fitted model.

    Parameters
    ----------
    fit : Fit
        A SAR, SDM, SAC or SEM fit (OLS: direct only, indirect 0).
    covariates : sequence of str
        The model's covariates (``fit.terms`` names them, and ``W_<name>`` for the SDM).
    W : ndarray or sparse matrix
        The row-standardised weights of the fit.
    draws : int
        Parameter draws for the standard errors (0: none).
    seed : int
    alpha : float
        The interval is the draws' ``alpha/2`` and ``1 - alpha/2`` quantiles.
    spec : Spectrum, optional
        ``W``'s :func:`~geodti.model.spectrum.spectrum` (computed when not given); each draw
        then costs O(n), no inverse.

    Returns
    -------
    DataFrame
        :data:`EFFECT_COLUMNS`, three rows (direct, indirect, total) per covariate.
    """
    covariates = list(covariates)
    eig = (spec if spec is not None else spectrum(W)).values
    terms = fit.terms
    bi = [terms.index(c) for c in covariates]
    ti = [terms.index(c) for c in wx_names(covariates)] if fit.model == "sdm" else []
    ri = [terms.index("rho")] if "rho" in terms else []
    idx = bi + ti + ri
    k = len(covariates)

    def split(params):
        params = np.atleast_2d(params)
        b = params[:, :k]
        theta = params[:, k:2 * k] if ti else np.zeros_like(b)
        rho = params[:, -1] if ri else np.zeros(len(params))
        return b, theta, rho

    point = _mean_effects(*split(fit.estimate[idx]), eig)
    sims = None
    if draws:
        rng = np.random.default_rng(seed)
        sample = rng.multivariate_normal(fit.estimate[idx], fit.vm[np.ix_(idx, idx)],
                                         size=draws, method="eigh")
        if ri:  # a draw outside the stationary region has no effects; keep it inside
            sample[:, -1] = np.clip(sample[:, -1], -0.999, 0.999)
        sims = _mean_effects(*split(sample), eig)
    rows = []
    for j, name in enumerate(covariates):
        for e, effect in enumerate(("direct", "indirect", "total")):
            est = float(point[e][0, j])
            row = {"model": fit.model, "effects": fit.effects, "covariate": name,
                   "effect": effect, "estimate": est}
            if sims is not None:
                values = sims[e][:, j]
                se = float(values.std(ddof=1))
                z = est / se if se > 0 else np.nan
                lo, hi = np.quantile(values, [alpha / 2, 1 - alpha / 2])
                row.update(se=se, z=z, p_value=float(2 * stats.norm.sf(abs(z))) if se > 0 else np.nan,
                           ci_low=float(lo), ci_high=float(hi))
            else:
                row.update(se=np.nan, z=np.nan, p_value=np.nan, ci_low=np.nan, ci_high=np.nan)
            row.update(draws=draws, seed=seed)
            rows.append(row)
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)
