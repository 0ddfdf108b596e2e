"""Specification tests of the spatial panel models.

LM tests (Anselin, Le Gallo & Jayet 2008; Elhorst 2014, sec. 3.5)
    On the residuals e of the (fixed-effects) OLS of y on X, sigma^2 = e'e / nT,
    T_W = tr(W'W + W W), J = [(W X b)' M (W X b) + T T_W sigma^2] / sigma^2 with M the OLS
    residual maker and W acting period by period::

        LM lag   = (e'Wy / s2)^2 / J
        LM error = (e'We / s2)^2 / (T T_W)
        robust LM lag   = (e'Wy/s2 - e'We/s2)^2 / (J - T T_W)
        robust LM error = (e'We/s2 - T T_W / J e'Wy/s2)^2 / (T T_W (1 - T T_W / J))

    each chi-squared with 1 degree of freedom. (spreg's ``panel_LMlag`` divides by
    ``trw * trw`` where J has ``T trw``; these are computed here without its n T x n T dense
    matrix.)
LR and Wald tests of the SDM (Elhorst 2014, sec. 3.6)
    SDM against SAR: theta = 0; against SEM (common factor): theta + rho b = 0. LR =
    2 (lnL_SDM - lnL_restricted), Wald = R' (G V G')^-1 R with G the Jacobian of the
    restriction; chi-squared with k degrees of freedom.
Hausman (1978), fixed against random effects
    spreg's ``panel_Hausman`` on spreg's unit fixed- and random-effects SAR (or SEM) fits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse, stats

from .data import ModelData, demean
from .estimate import Fit, spatial_lag, quiet_spreg, wx_names

__all__ = ["lm_tests", "sdm_tests", "hausman", "TEST_COLUMNS"]

TEST_COLUMNS = ["test", "null", "effects", "statistic", "df", "p_value"]


def lm_tests(data: ModelData, W, *, effects: str = "unit", dof: bool = False) -> pd.DataFrame:
    """LM lag, LM error and their robust forms on the OLS residuals of ``effects``.

    ``dof=True`` takes sigma^2 = e'e / (nT - k), as spreg's panel LM functions do (Elhorst's
    e'e / nT by default; the two differ by the factor ((nT - k) / nT)^2 in the statistics).

    Returns
    -------
    DataFrame
        :data:`TEST_COLUMNS`, four rows.
    """
    n, T = data.n, data.T
    Wd = W.toarray() if sparse.issparse(W) else np.asarray(W, float)
    Ws = sparse.csr_array(Wd)
    y = demean(data.y, n, T, effects)
    X = demean(data.X, n, T, effects)
    if effects == "none":
        X = np.hstack([np.ones((n * T, 1)), X])
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    e = y - X @ b
    s2 = float(e @ e) / (n * T - (X.shape[1] if dof else 0))
    tw = float(np.trace(Wd.T @ Wd + Wd @ Wd))
    wxb = spatial_lag(Ws, X @ b, n, T)
    coef, *_ = np.linalg.lstsq(X, wxb, rcond=None)
    mwxb = wxb - X @ coef
    J = (float(wxb @ mwxb) + T * tw * s2) / s2
    lag_score = float(e @ spatial_lag(Ws, y, n, T)) / s2
    err_score = float(e @ spatial_lag(Ws, e, n, T)) / s2
    values = [
        ("LM lag", "rho = 0", lag_score ** 2 / J),
        ("LM error", "lambda = 0", err_score ** 2 / (T * tw)),
        ("robust LM lag", "rho = 0 (lambda free)", (lag_score - err_score) ** 2 / (J - T * tw)),
        ("robust LM error", "lambda = 0 (rho free)",
         (err_score - T * tw / J * lag_score) ** 2 / (T * tw * (1 - T * tw / J))),
    ]
    return pd.DataFrame([{"test": t, "null": h, "effects": effects, "statistic": s, "df": 1,
                          "p_value": float(stats.chi2.sf(s, 1))} for t, h, s in values],
                        columns=TEST_COLUMNS)


def sdm_tests(sdm: Fit, sar: Fit | None, sem: Fit | None, covariates) -> pd.DataFrame:
    """LR and Wald tests of the SDM against the SAR (theta = 0) and the SEM (theta + rho b
    = 0), for fits with the same data and effects.

    Returns
    -------
    DataFrame
        :data:`TEST_COLUMNS`.
    """
    covariates = list(covariates)
    k = len(covariates)
    t = sdm.terms
    bi = [t.index(c) for c in covariates]
    ti = [t.index(c) for c in wx_names(covariates)]
    ri = t.index("rho")
    b, theta, rho = sdm.estimate[bi], sdm.estimate[ti], sdm.estimate[ri]
    V = sdm.vm
    rows = []
    wald_sar = float(theta @ np.linalg.solve(V[np.ix_(ti, ti)], theta))
    R = theta + rho * b
    G = np.zeros((k, len(t)))
    G[:, bi] = rho * np.eye(k)
    G[:, ti] = np.eye(k)
    G[:, ri] = b
    wald_sem = float(R @ np.linalg.solve(G @ V @ G.T, R))
    tests = [("Wald SDM vs SAR", "theta = 0", wald_sar),
             ("Wald SDM vs SEM", "theta + rho b = 0", wald_sem)]
    if sar is not None:
        tests.append(("LR SDM vs SAR", "theta = 0", 2 * (sdm.loglik - sar.loglik)))
    if sem is not None:
        tests.append(("LR SDM vs SEM", "theta + rho b = 0", 2 * (sdm.loglik - sem.loglik)))
    for name, null, s in tests:
        rows.append({"test": name, "null": null, "effects": sdm.effects, "statistic": s,
                     "df": k, "p_value": float(stats.chi2.sf(s, k))})
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def hausman(data: ModelData, W, *, model: str = "sar") -> pd.DataFrame:
    """Hausman test of unit fixed against unit random effects (spreg ``panel_Hausman``).

    Parameters
    ----------
    model : {"sar", "sem"}

    Returns
    -------
    DataFrame
        :data:`TEST_COLUMNS`, one row; ``df`` the number of compared coefficients.
    """
    import spreg
    from libpysal.weights import WSP

    Wd = W.toarray() if sparse.issparse(W) else np.asarray(W, float)
    wo = WSP(sparse.csr_matrix(Wd)).to_W(silence_warnings=True)
    y = data.y.reshape(-1, 1)
    with quiet_spreg():
        if model == "sar":
            fe, re = spreg.Panel_FE_Lag(y, data.X, wo), spreg.Panel_RE_Lag(y, data.X, wo)
        else:
            fe, re = spreg.Panel_FE_Error(y, data.X, wo), spreg.Panel_RE_Error(y, data.X, wo)
        stat, p = spreg.panel_Hausman(fe, re, sp_lag=model == "sar")
    # spreg's p-value counts every RE coefficient as a degree of freedom; the compared ones
    # are b and, for the lag model, rho
    k = len(data.covariates) + (model == "sar")
    return pd.DataFrame([{"test": f"Hausman FE vs RE ({model.upper()})",
                          "null": "random effects consistent", "effects": "unit vs random",
                          "statistic": float(stat), "df": k,
                          "p_value": float(stats.chi2.sf(stat, k))}], columns=TEST_COLUMNS)
