"""Maximum-likelihood spatial panel models: SAR, SEM, SDM and SAC with unit, time or two-way
fixed effects, random effects (SAR, SEM, SDM), and the OLS baseline.

Models (Elhorst 2014, *Spatial Econometrics*, ch. 3), for period t with n units::

    SAR  y_t = rho W y_t + X_t b + mu + a_t + e_t
    SDM  y_t = rho W y_t + X_t b + W X_t theta + mu + a_t + e_t
    SEM  y_t = X_t b + mu + a_t + u_t,             u_t = lambda W u_t + e_t
    SAC  y_t = rho W y_t + X_t b + mu + a_t + u_t, u_t = lambda W u_t + e_t

W row-standardised; ``mu`` unit and ``a_t`` period effects, removed by the within
transformation (:func:`geodti.model.data.demean`); W X is formed before demeaning.

Estimation. Unit fixed effects SAR, SDM (SAR with W X) and SEM are spreg's
``BasePanel_FE_Lag`` / ``BasePanel_FE_Error`` (Elhorst 2003), which demean by unit
themselves; two-way effects are the same estimators on data first demeaned by period (unit
demeaning keeps period-demeaned data period-demeaned, so the result is the two-way within
transformation). Time effects only and SAC are estimated here by the same concentrated
likelihood: for given (rho, lambda), b and sigma^2 are least squares on
``(I - lambda W)(I - rho W) y`` and ``(I - lambda W) X``, and the log-likelihood is
``-nT/2 (ln 2 pi sigma^2 + 1) + T ln|I - rho W| + T ln|I - lambda W|`` with the log-determinants
from the eigenvalues of W (Ord 1975). Standard errors come from the expected information
matrix of (b, rho, lambda, sigma^2) (Anselin 1988, ch. 6; Elhorst 2014, eq. 3.11-3.13).

Lee & Yu (2010) bias correction. With period effects the direct ML estimator above is biased
of order 1/n (and with unit effects 1/T, in sigma^2 above all): Lee, L.-F. and Yu, J. (2010),
Estimation of spatial autoregressive panel data models with fixed effects, *Journal of
Econometrics* 154(2), 165-185. Their transformation approach maximises the likelihood of the
data after an orthonormal transformation that removes the effects, which differs from the
direct likelihood by ``D = -(n+T-1)/2 ln sigma^2 + ln|I-rho W| + ln|I-lambda W|
+ (T-1)[ln(1-rho) + ln(1-lambda)]`` (two-way; unit only: ``-n/2 ln sigma^2 + ln|..|``; time
only: ``-T/2 ln sigma^2 + T ln(1-.)``; W row-standardised). The corrected estimator
``theta_bc = theta - I(theta)^-1 dD/dtheta`` is their first-order bias correction (as in
Elhorst 2014, sec. 3.4): it removes the O(1/T) and O(1/n) terms. Applied to two-way fixed
effects (``lee_yu=True``, the default); the standard errors are then those at theta_bc.

Random effects: spreg's ``Panel_RE_Lag`` / ``Panel_RE_Error`` (Elhorst 2003), unit effects.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse

from geodti.errors import MethodError

from .data import ModelData, demean
from .spectrum import Spectrum, spectrum

__all__ = ["MODELS", "Fit", "fit_model", "information", "lee_yu_gradient", "quiet_spreg", "spatial_lag",
           "wx_names"]

#: the spatial models; "ols" is the non-spatial baseline
MODELS = ("ols", "sar", "sem", "sdm", "sac")
_BOUND = 0.9999  # |rho|, |lambda| < 1 for row-standardised W


@dataclass
class Fit:
    """One estimated model.

    ``terms`` name the entries of ``estimate`` and the rows/columns of ``vm``: the
    covariates, ``W_<covariate>`` (SDM), then ``rho`` and/or ``lambda``; ``constant`` leads for
    pooled and random-effects models, ``phi`` (random-effects weight) ends those.
    """

    model: str
    effects: str
    terms: list
    estimate: np.ndarray
    vm: np.ndarray
    sigma2: float
    loglik: float
    n: int
    T: int
    r2_within: float
    estimator: str
    bias_corrected: bool = False

    @property
    def rho(self) -> float:
        return float(self.estimate[self.terms.index("rho")]) if "rho" in self.terms else 0.0

    @property
    def lam(self) -> float:
        return float(self.estimate[self.terms.index("lambda")]) if "lambda" in self.terms else 0.0

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.vm), 0, None))

    @property
    def k(self) -> int:
        """Estimated coefficients (spatial parameters included, sigma^2 not): the AIC's count."""
        return len(self.terms)

    @property
    def aic(self) -> float:
        return 2.0 * self.k - 2.0 * self.loglik


def wx_names(covariates) -> list[str]:
    """Names of the spatially lagged covariates of the SDM."""
    return [f"W_{c}" for c in covariates]


def spatial_lag(W, v: np.ndarray, n: int, T: int) -> np.ndarray:
    """(I_T kron W) v for v stacked by period."""
    shaped = np.asarray(v, float).reshape(T, n, -1)
    out = np.stack([W @ shaped[t] for t in range(T)])
    return out.reshape(np.shape(v))


def _check_columns(X: np.ndarray, names: list[str], raw: np.ndarray, effects: str, n: int, T: int):
    """Refuse covariates the effects absorb or that are collinear, naming them."""
    scale = np.abs(raw).max(axis=0) + 1e-300
    absorbed = [nm for j, nm in enumerate(names) if np.abs(X[:, j]).max() <= 1e-10 * scale[j]]
    if absorbed:
        what = {"unit": "constant within every unit (the unit effects absorb it)",
                "time": "the same for every unit in each period (the period effects absorb it)",
                "twoway": "absorbed by the unit and period effects (constant within units, or "
                          "the same for every unit in a period)",
                "none": "constant"}[effects]
        raise MethodError(f"covariate(s) {absorbed} {what}; leave them out or choose other "
                          "effects.")
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        # the first column that the earlier ones span, and those it depends on
        for j in range(1, X.shape[1] + 1):
            if np.linalg.matrix_rank(X[:, :j]) < j:
                coef, *_ = np.linalg.lstsq(X[:, :j - 1], X[:, j - 1], rcond=None)
                with_ = [names[i] for i in np.flatnonzero(np.abs(coef) > 1e-8)]
                raise MethodError(f"covariate {names[j - 1]!r} is collinear with {with_} "
                                  "(after the fixed effects); leave one of them out.")


def information(X: np.ndarray, beta: np.ndarray, rho: float | None, lam: float | None,
                sigma2: float, W_dense: np.ndarray, n: int, T: int, *,
                spec: Spectrum | None = None) -> np.ndarray:
    """Expected information matrix of (beta, rho, lambda, sigma^2) of the SAC panel model
    (rho None: no spatial lag, SEM; lam None: no spatial error, SAR), on demeaned data.

    With A = I - rho W, B = I - lambda W, W_A = W A^-1, W_B = W B^-1, H = B W_A B^-1 and
    the stacked B W_A X beta = g (Anselin 1988, ch. 6; Elhorst 2014, ch. 3)::

        I_bb = X'B'BX / s2          I_brho = X'B'g / s2       I_blam = 0
        I_rhorho = T tr(W_A^2) + T tr(H'H) + g'g / s2
        I_rholam = T [tr(W_B'H) + tr(W W_A B^-1)]
        I_lamlam = T [tr(W_B^2) + tr(W_B'W_B)]
        I_rhos2 = T tr(W_A) / s2    I_lams2 = T tr(W_B) / s2   I_s2s2 = nT / (2 s2^2)

    A, B, W_A and W_B are functions of W, so they commute (H = W_A) and the traces of their
    products are sums over W's eigenvalues; only the Frobenius products tr(M'N) need the
    matrices, built from ``spec`` (:func:`geodti.model.spectrum.spectrum` of W; computed
    here when not given).
    """
    spec = spec if spec is not None else spectrum(W_dense)
    k = X.shape[1]
    r, lm = (rho or 0.0), (lam or 0.0)
    BX = X - lm * spatial_lag(W_dense, X, n, T)
    size = k + (rho is not None) + (lam is not None) + 1
    info = np.zeros((size, size))
    info[:k, :k] = BX.T @ BX / sigma2
    pos = k
    fa = lambda w: w / (1.0 - r * w)  # noqa: E731  eigenvalues of W_A
    fb = lambda w: w / (1.0 - lm * w)  # noqa: E731  eigenvalues of W_B
    if rho is not None:
        WA = spec.lag_inverse(r)
        xb = X @ beta
        g = spatial_lag(WA, xb, n, T)
        g = g - lm * spatial_lag(W_dense, g, n, T)
        ir = pos
        info[:k, ir] = info[ir, :k] = BX.T @ g / sigma2
        info[ir, ir] = T * spec.trace(lambda w: fa(w) ** 2) + T * np.sum(WA * WA) + g @ g / sigma2
        info[ir, -1] = info[-1, ir] = T * spec.trace(fa) / sigma2
        pos += 1
    if lam is not None:
        WB = spec.lag_inverse(lm)
        il = pos
        info[il, il] = T * (spec.trace(lambda w: fb(w) ** 2) + np.sum(WB * WB))
        info[il, -1] = info[-1, il] = T * spec.trace(fb) / sigma2
        if rho is not None:
            info[ir, il] = info[il, ir] = T * (np.sum(WB * WA) + spec.trace(lambda w: fa(w) * fb(w)))
    info[-1, -1] = n * T / (2.0 * sigma2 ** 2)
    return info


def lee_yu_gradient(effects: str, k: int, rho: float | None, lam: float | None, sigma2: float,
                    W_dense: np.ndarray, n: int, T: int, *,
                    spec: Spectrum | None = None) -> np.ndarray:
    """Gradient of D = (direct log-likelihood) - (Lee & Yu's transformed log-likelihood) over
    (beta, rho, lambda, sigma^2); see the module docstring. ``spec``: W's
    :func:`~geodti.model.spectrum.spectrum` (computed when not given)."""
    spec = spec if spec is not None else spectrum(W_dense)
    grad = [0.0] * k
    unit, time = effects in ("unit", "twoway"), effects in ("time", "twoway")
    periods_left = T - 1 if unit else T
    for p in (rho, lam):
        if p is None:
            continue
        g = 0.0
        if unit:
            g -= spec.trace(lambda w, p=p: w / (1.0 - p * w))
        if time:
            g -= periods_left / (1.0 - p)
        grad.append(g)
    lost = n * T - (n - time) * (T - unit)
    grad.append(-lost / (2.0 * sigma2))
    return np.array(grad)


def _concentrated(y, X, Wy, WWy, WX, rho, lam, n, T, spec):
    ys = y - rho * Wy - lam * Wy + lam * rho * WWy
    Xs = X - lam * WX
    beta, *_ = np.linalg.lstsq(Xs, ys, rcond=None)
    e = ys - Xs @ beta
    s2 = float(e @ e) / (n * T)
    ll = (-n * T / 2.0 * (np.log(2 * np.pi * s2) + 1.0)
          + T * (spec.logdet(rho) + spec.logdet(lam)))
    return ll, beta, s2


def _ml(y, X, W, spec, n, T, lag: bool, error: bool):
    """Direct ML of the SAR (lag), SEM (error) or SAC (both) model on demeaned data."""
    Wy = spatial_lag(W, y, n, T)
    WWy = spatial_lag(W, Wy, n, T)
    WX = spatial_lag(W, X, n, T)

    def negll(params):
        rho = params[0] if lag else 0.0
        lam = params[-1] if error else 0.0
        return -_concentrated(y, X, Wy, WWy, WX, rho, lam, n, T, spec)[0]

    if lag and error:
        best = None
        for start in ((0.0, 0.0), (0.5, -0.3), (-0.3, 0.5)):  # the SAC likelihood can be bimodal
            res = optimize.minimize(negll, np.array(start), method="L-BFGS-B",
                                    bounds=[(-_BOUND, _BOUND)] * 2,
                                    options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 500})
            if best is None or res.fun < best.fun:
                best = res
        res = optimize.minimize(negll, best.x, method="Nelder-Mead",
                                options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 2000})
        params = np.clip(res.x, -_BOUND, _BOUND)
    else:
        res = optimize.minimize_scalar(lambda p: negll([p]), bounds=(-_BOUND, _BOUND),
                                       method="bounded", options={"xatol": 1e-10})
        params = np.array([res.x])
    rho = float(params[0]) if lag else None
    lam = float(params[-1]) if error else None
    ll, beta, s2 = _concentrated(y, X, Wy, WWy, WX, rho or 0.0, lam or 0.0, n, T, spec)
    return beta, rho, lam, s2, ll


def _loglik(y, X, W, spec, n, T, beta, rho, lam, s2):
    u = y - (rho or 0.0) * spatial_lag(W, y, n, T) - X @ beta
    e = u - (lam or 0.0) * spatial_lag(W, u, n, T)
    ll = (-n * T / 2.0 * np.log(2 * np.pi * s2) - float(e @ e) / (2 * s2)
          + T * (spec.logdet(rho or 0.0) + spec.logdet(lam or 0.0)))
    return ll, e


@contextlib.contextmanager
def quiet_spreg():
    # spreg prints notes and warns about its deprecated panel classes
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _spreg_fe(y, X, w_obj, lag: bool):
    from spreg.panel_fe import BasePanel_FE_Error, BasePanel_FE_Lag

    with quiet_spreg():
        reg = (BasePanel_FE_Lag if lag else BasePanel_FE_Error)(y.reshape(-1, 1), X, w_obj,
                                                                 epsilon=1e-10)
    est = np.asarray(reg.betas, float).ravel()
    return est, np.asarray(reg.vm, float), float(np.asarray(reg.sig2).ravel()[0]), float(reg.logll)


def fit_model(data: ModelData, model: str, W, *, effects: str = "unit", lee_yu: bool = True,
              w_obj=None, spec: Spectrum | None = None) -> Fit:
    """Estimate one model on one panel.

    Parameters
    ----------
    data : ModelData
        From :func:`geodti.model.data.model_data`, units in the order of ``W``.
    model : {"ols", "sar", "sem", "sdm", "sac"}
    W : scipy sparse matrix or ndarray
        Row-standardised n x n weights.
    effects : {"none", "unit", "time", "twoway", "random"}
        Fixed effects absorbed, or unit random effects (``"random"``: SAR, SEM, SDM, OLS).
    lee_yu : bool
        Apply the Lee & Yu (2010) bias correction to two-way fixed-effects models.
    w_obj : libpysal.weights.W, optional
        ``W`` as a libpysal W (for spreg); built from ``W`` when not given.
    spec : Spectrum, optional
        ``W``'s :func:`~geodti.model.spectrum.spectrum`, to share one decomposition between
        the models of one W; computed when not given.

    Returns
    -------
    Fit
    """
    if model not in MODELS:
        raise MethodError(f"model {model!r}: choose from {', '.join(MODELS)}.")
    if effects not in ("none", "unit", "time", "twoway", "random"):
        raise MethodError(f"effects {effects!r}: choose none, unit, time, twoway or random.")
    n, T = data.n, data.T
    if effects in ("unit", "twoway", "random") and T < 2:
        raise MethodError(f"{effects} effects need at least 2 periods; the panel has {T}.")
    if effects == "twoway" and T < 3:
        raise MethodError(f"two-way fixed effects need at least 3 periods (with 2, the unit "
                          f"and period effects leave one period of variation); the panel has {T}. "
                          "Use unit or time effects.")
    Wd = W.toarray() if sparse.issparse(W) else np.asarray(W, float)
    Ws = sparse.csr_array(Wd)
    rows = np.asarray(Wd.sum(axis=1)).ravel()
    if model != "ols" and not np.allclose(rows[rows > 0], 1.0):
        raise MethodError("the weights must be row-standardised (transform 'R').")
    names = list(data.covariates)
    X_raw = data.X
    if model == "sdm":
        X_raw = np.hstack([X_raw, spatial_lag(Ws, X_raw, n, T)])
        names += wx_names(data.covariates)
    if effects == "random":
        return _fit_random(data, model, X_raw, names, Ws, Wd, w_obj)
    y = demean(data.y, n, T, effects)
    X = demean(X_raw, n, T, effects)
    if effects == "none":
        X = np.hstack([np.ones((n * T, 1)), X])
        X_raw = np.hstack([np.ones((n * T, 1)), X_raw])
        names = ["constant"] + names
    _check_columns(X, names, X_raw, effects, n, T)
    dof_lost = {"none": 0, "unit": n, "time": T, "twoway": n + T - 1}[effects]
    if n * T - dof_lost - X.shape[1] - 2 <= 0:
        raise MethodError(f"{n} units x {T} periods leave no degrees of freedom for "
                          f"{effects} effects and {X.shape[1]} covariates.")
    sst = float(y @ y) if effects != "none" else float(((y - y.mean()) ** 2).sum())
    if model == "ols":
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        e = y - X @ beta
        dof = n * T - dof_lost - X.shape[1]
        s2 = float(e @ e) / dof  # unbiased, as regression tables print
        vm = s2 * np.linalg.inv(X.T @ X)
        ll = -n * T / 2.0 * (np.log(2 * np.pi * float(e @ e) / (n * T)) + 1.0)
        return Fit(model, effects, names, beta, vm, s2, ll, n, T, 1 - float(e @ e) / sst,
                   "least squares (within)" if effects != "none" else "least squares")
    lag, error = model in ("sar", "sdm", "sac"), model in ("sem", "sac")
    spec = spec if spec is not None else spectrum(Wd)
    if model != "sac" and effects in ("unit", "twoway"):
        from libpysal.weights import WSP

        wo = w_obj if w_obj is not None else WSP(sparse.csr_matrix(Wd)).to_W(silence_warnings=True)
        # spreg demeans by unit; period-demeaned first, that is the two-way transformation
        est, vm, s2, ll = _spreg_fe(demean(data.y, n, T, "time") if effects == "twoway" else data.y,
                                    demean(X_raw, n, T, "time") if effects == "twoway" else X_raw,
                                    wo, lag)
        beta = est[:-1]
        rho = float(est[-1]) if lag else None
        lam = float(est[-1]) if error else None
        estimator = "spreg " + ("Panel_FE_Lag" if lag else "Panel_FE_Error")
    else:
        beta, rho, lam, s2, ll = _ml(y, X, Ws, spec, n, T, lag, error)
        vm = None
        estimator = "ML (geodti)"
    corrected = False
    if effects == "twoway" and lee_yu:
        info = information(X, beta, rho, lam, s2, Wd, n, T, spec=spec)
        grad = lee_yu_gradient(effects, X.shape[1], rho, lam, s2, Wd, n, T, spec=spec)
        theta = np.concatenate([beta, [p for p in (rho, lam) if p is not None], [s2]])
        theta = theta - np.linalg.solve(info, grad)
        beta = theta[:X.shape[1]]
        i = X.shape[1]
        if rho is not None:
            rho, i = float(theta[i]), i + 1
        if lam is not None:
            lam = float(theta[i])
        s2 = float(theta[-1])
        ll, _ = _loglik(y, X, Ws, spec, n, T, beta, rho, lam, s2)
        vm = None
        corrected = True
        estimator += ", Lee-Yu bias correction"
    if vm is None:
        vm = np.linalg.inv(information(X, beta, rho, lam, s2, Wd, n, T, spec=spec))[:-1, :-1]
    # spreg's panel FE log-likelihood leaves out (nT/2) ln(nT) (its concentrated form uses
    # the residual sum of squares for sigma^2): the full likelihood is computed here
    ll, e = _loglik(y, X, Ws, spec, n, T, beta, rho, lam, s2)
    terms = names + (["rho"] if lag else []) + (["lambda"] if error else [])
    est = np.concatenate([beta, [p for p in (rho, lam) if p is not None]])
    return Fit(model, effects, terms, est, vm, s2, ll, n, T, 1 - float(e @ e) / sst,
               estimator, corrected)


def _fit_random(data, model, X_raw, names, Ws, Wd, w_obj) -> Fit:
    """Unit random effects by spreg (Elhorst 2003): SAR/SDM Panel_RE_Lag, SEM Panel_RE_Error,
    OLS as SAR with rho fixed is not offered: OLS random effects is spreg.PanelRE."""
    import spreg
    from libpysal.weights import WSP

    n, T = data.n, data.T
    wo = w_obj if w_obj is not None else WSP(sparse.csr_matrix(Wd)).to_W(silence_warnings=True)
    wo.transform = "O"  # already row-standardised
    _check_columns(demean(X_raw, n, T, "none") - X_raw.mean(axis=0), names, X_raw, "none", n, T)
    y = data.y.reshape(-1, 1)
    with quiet_spreg():
        if model in ("sar", "sdm"):
            reg = spreg.Panel_RE_Lag(y, X_raw, wo)
            terms = ["constant"] + names + ["rho", "phi"]
        elif model == "sem":
            reg = spreg.Panel_RE_Error(y, X_raw, wo)
            terms = ["constant"] + names + ["lambda", "phi"]
        else:
            raise MethodError(f"random effects: spreg offers SAR, SDM and SEM, not {model}.")
    est = np.asarray(reg.betas, float).ravel()
    vm = np.asarray(reg.vm, float)
    resid = np.asarray(reg.u, float).ravel()
    yd = demean(data.y, n, T, "unit")
    return Fit(model, "random", terms, est, vm, float(np.asarray(reg.sig2).ravel()[0]),
               float(reg.logll), n, T, 1 - float(resid @ resid) / float(yd @ yd),
               "spreg " + ("Panel_RE_Lag" if model != "sem" else "Panel_RE_Error"))
