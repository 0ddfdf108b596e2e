"""Spatial panel models (geodti.model): against spreg, independent computations, bad input."""

from __future__ import annotations

import contextlib
import io
import warnings

import libpysal
import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from geodti.errors import InputError, MethodError
from geodti.model import fit_model, lm_tests, model_data, spatial_effects, spatial_panel_models
from geodti.model.data import ModelData, demean
from geodti.model.estimate import spatial_lag
from geodti.model.spectrum import spectrum


@pytest.fixture(scope="module")
def stl():
    """St Louis homicides (libpysal, offline): 78 counties x 3 periods, HR on RDAC and PE."""
    db = pd.read_csv(libpysal.examples.get_path("stl_hom.csv"))
    w = libpysal.io.open(libpysal.examples.get_path("stl.gal")).read()
    w.transform = "r"
    y = db[["HR7984", "HR8488", "HR8893"]].to_numpy()
    x = db[["RDAC80", "RDAC85", "RDAC90", "PE77", "PE82", "PE87"]].to_numpy()
    X = np.column_stack([x[:, :3].reshape(-1, order="F"), x[:, 3:].reshape(-1, order="F")])
    data = ModelData(y.reshape(-1, order="F"), X, "HR", ["RDAC", "PE"],
                     [str(i) for i in w.id_order], ["1", "2", "3"])
    return y, x, w, data


def _spreg(cls, y, x, w):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return cls(y, x, w)


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_unit_fe_equals_spreg_and_own_ml(stl, model):
    import spreg
    from scipy import sparse

    from geodti.model.estimate import _ml, information

    y, x, w, data = stl
    ref = _spreg(spreg.Panel_FE_Lag if model == "sar" else spreg.Panel_FE_Error, y, x, w)
    W = w.full()[0]
    fit = fit_model(data, model, W, effects="unit")
    np.testing.assert_allclose(fit.estimate, ref.betas.ravel(), atol=1e-6)
    np.testing.assert_allclose(fit.se, np.sqrt(np.diag(ref.vm)), rtol=1e-5)
    # the estimator of SAC / time effects, restricted to one spatial parameter, agrees too
    n, T = data.n, data.T
    yd, Xd = demean(data.y, n, T, "unit"), demean(data.X, n, T, "unit")
    b, rho, lam, s2, ll = _ml(yd, Xd, sparse.csr_array(W), spectrum(W), n, T,
                              model == "sar", model == "sem")
    np.testing.assert_allclose(np.r_[b, rho if rho is not None else lam], ref.betas.ravel(), atol=1e-6)
    vm = np.linalg.inv(information(Xd, b, rho, lam, s2, W, n, T))[:-1, :-1]
    np.testing.assert_allclose(np.sqrt(np.diag(vm)), np.sqrt(np.diag(ref.vm)), rtol=1e-5)
    # spreg's log-likelihood omits (nT/2) ln(nT); ours is the full one
    assert fit.loglik == pytest.approx(ref.logll + n * T / 2 * np.log(n * T), abs=1e-6)


def _sar_panel(n_side=12, T=6, rho=0.4, lam=0.0, seed=1, effects=True):
    w = libpysal.weights.lat2W(n_side, n_side, rook=False)
    w.transform = "r"
    W = w.full()[0]
    n = W.shape[0]
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n * T, 2))
    mu = np.tile(rng.normal(size=n), T) if effects else 0
    at = np.repeat(rng.normal(size=T), n) if effects else 0
    A = np.linalg.inv(np.eye(n) - rho * W)
    B = np.linalg.inv(np.eye(n) - lam * W)
    e = rng.normal(size=n * T)
    u = np.concatenate([B @ e[t * n:(t + 1) * n] for t in range(T)])
    xb = X @ np.array([1.0, -0.5]) + mu + at + u
    y = np.concatenate([A @ xb[t * n:(t + 1) * n] for t in range(T)])
    return ModelData(y, X, "y", ["x1", "x2"], [f"{i:06d}" for i in range(n)],
                     [str(2010 + t) for t in range(T)]), W


def test_effects_closed_form_and_brute_force():
    data, W = _sar_panel()
    fit = fit_model(data, "sdm", W, effects="twoway")
    eff = spatial_effects(fit, data.covariates, W, draws=200, seed=7)
    t = fit.terms
    rho = fit.rho
    S_inv = np.linalg.inv(np.eye(W.shape[0]) - rho * W)
    for c in data.covariates:
        b, th = fit.estimate[t.index(c)], fit.estimate[t.index(f"W_{c}")]
        S = S_inv @ (b * np.eye(W.shape[0]) + th * W)  # brute force
        got = eff[eff["covariate"] == c].set_index("effect")["estimate"]
        assert got["direct"] == pytest.approx(np.trace(S) / len(S), abs=1e-10)
        assert got["total"] == pytest.approx((b + th) / (1 - rho), abs=1e-10)  # closed form
        assert got["total"] == pytest.approx(S.sum() / len(S), abs=1e-10)
        assert got["indirect"] == pytest.approx(got["total"] - got["direct"], abs=1e-12)
    assert (eff["se"] > 0).all()
    again = spatial_effects(fit, data.covariates, W, draws=200, seed=7)
    pd.testing.assert_frame_equal(eff, again)  # seeded
    other = spatial_effects(fit, data.covariates, W, draws=200, seed=8)
    assert not np.allclose(eff["se"], other["se"])


def test_sac_recovers_parameters_and_sem_is_nested():
    data, W = _sar_panel(n_side=15, T=8, rho=0.4, lam=0.3, seed=3)
    fit = fit_model(data, "sac", W, effects="twoway")
    assert fit.rho == pytest.approx(0.4, abs=0.1)
    assert fit.lam == pytest.approx(0.3, abs=0.12)
    np.testing.assert_allclose(fit.estimate[:2], [1.0, -0.5], atol=0.08)
    sar = fit_model(data, "sar", W, effects="twoway")
    sem = fit_model(data, "sem", W, effects="twoway")
    assert fit.loglik >= max(sar.loglik, sem.loglik) - 1e-8


def test_lee_yu_correction_matches_transformation_approach():
    """Lee & Yu (2010): the bias-corrected direct estimator against their transformation
    approach, computed here by brute force: orthonormal F_T (T x T-1) and F_n (n x n-1)
    eigenvectors of the demeaning matrices, y* = (F_T' kron F_n') y, W* = F_n' W F_n."""
    data, W = _sar_panel(n_side=8, T=4, rho=0.5, seed=5)
    n, T = data.n, data.T
    corrected = fit_model(data, "sar", W, effects="twoway")
    direct = fit_model(data, "sar", W, effects="twoway", lee_yu=False)

    def F(m):
        vals, vecs = np.linalg.eigh(np.eye(m) - np.ones((m, m)) / m)
        return vecs[:, vals > 0.5]

    Fn, FT = F(n), F(T)
    P = np.kron(FT.T, Fn.T)
    ys, Xs = P @ data.y, P @ data.X
    Ws = Fn.T @ W @ Fn
    Wbig = np.kron(np.eye(T - 1), Ws)
    N = (n - 1) * (T - 1)

    def negll(r):
        A = ys - r * Wbig @ ys
        b, *_ = np.linalg.lstsq(Xs, A, rcond=None)
        s2 = np.sum((A - Xs @ b) ** 2) / N
        return N / 2 * np.log(s2) - (T - 1) * np.linalg.slogdet(np.eye(n - 1) - r * Ws)[1]

    r = optimize.minimize_scalar(negll, bounds=(-0.99, 0.99), method="bounded",
                                 options={"xatol": 1e-10}).x
    A = ys - r * Wbig @ ys
    b, *_ = np.linalg.lstsq(Xs, A, rcond=None)
    s2 = np.sum((A - Xs @ b) ** 2) / N
    # first-order correction: much closer to the transformation estimates than the direct ones
    assert abs(corrected.sigma2 - s2) < 0.3 * abs(direct.sigma2 - s2)
    assert abs(corrected.rho - r) < 0.4 * abs(direct.rho - r)
    assert corrected.bias_corrected and not direct.bias_corrected


def test_lm_tests_equal_spreg_pooled(stl):
    import spreg

    y, x, w, data = stl
    ours = lm_tests(data, w.full()[0], effects="none", dof=True).set_index("test")["statistic"]
    assert ours["LM error"] == pytest.approx(spreg.panel_LMerror(y, x, w)[0], rel=1e-8)
    assert ours["robust LM lag"] == pytest.approx(spreg.panel_rLMlag(y, x, w)[0], rel=1e-8)
    assert ours["robust LM error"] == pytest.approx(spreg.panel_rLMerror(y, x, w)[0], rel=1e-8)


def _panel(data: ModelData) -> pd.DataFrame:
    n, T = data.n, data.T
    return pd.DataFrame({"adcode": np.tile(data.units, T), "period": np.repeat(data.periods, n),
                         data.dependent: data.y,
                         **{c: data.X[:, j] for j, c in enumerate(data.covariates)}})


def test_bad_input_named():
    data, W = _sar_panel(n_side=6, T=4)
    panel = _panel(data)
    with pytest.raises(InputError, match="'nope'"):
        model_data(panel, "y", ["x1", "nope"])
    text = panel.assign(x2=panel["x2"].astype(str).where(panel.index != 3, "n/a"))
    with pytest.raises(InputError, match="not numeric.*x2"):
        model_data(text, "y", ["x1", "x2"])
    gap = panel.drop(index=[5, 40])
    with pytest.raises(InputError, match=r"unbalanced panel: 2 unit-period.*000005: 2010"):
        model_data(gap, "y", ["x1", "x2"])
    kept = model_data(gap, "y", ["x1", "x2"], balance=True)
    assert list(kept.dropped["adcode"]) == ["000004", "000005"] and kept.n == data.n - 2
    d = model_data(panel.assign(x3=panel["x1"] * 2 + panel["x2"]), "y", ["x1", "x2", "x3"])
    with pytest.raises(MethodError, match="'x3' is collinear with \\['x1', 'x2'\\]"):
        fit_model(d, "sar", W, effects="unit")
    region = panel.assign(east=(panel["adcode"] < "000010").astype(float))
    d = model_data(region, "y", ["x1", "east"])
    with pytest.raises(MethodError, match=r"\['east', 'W_east'\] constant within every unit"):
        fit_model(d, "sdm", W, effects="unit")
    two = model_data(panel[panel["period"].isin(["2010", "2011"])], "y", ["x1"])
    with pytest.raises(MethodError, match="two-way fixed effects need at least 3 periods"):
        fit_model(two, "sar", W, effects="twoway")


def test_spatial_panel_models_tables(tmp_path):
    from libpysal.graph import Graph

    from geodti.io.model_tables import write_model_tables

    data, W = _sar_panel(n_side=8, T=5)
    graph = Graph.from_sparse(__import__("scipy").sparse.csr_array(W), ids=data.units)
    out = spatial_panel_models(_panel(data), "y", ["x1", "x2"], graph, draws=100)
    assert set(out["fit"]["model"]) == {"ols", "sar", "sem", "sdm"}
    assert {"LM lag", "LR SDM vs SAR", "Wald SDM vs SEM", "Hausman FE vs RE (SAR)"} <= set(out["tests"]["test"])
    coef = out["coefficients"].query("model == 'sar' and term == 'x1'").iloc[0]
    cell = out["table"].loc[out["table"]["term"] == "x1", "SAR twoway"].iloc[0]
    assert cell.startswith(f"{coef['estimate']:.3f}") and cell.endswith(coef["stars"] or cell[-1])
    paths = write_model_tables(out, tmp_path, caption="y on x")
    assert (tmp_path / "table.tex").read_text().count(r"\begin{table}") == 1
    assert "(" in (tmp_path / "table.md").read_text() and len(paths) == len(out) + 2


@pytest.mark.parametrize("kind", ["queen", "knn"])
def test_spectrum_against_dense_linear_algebra(kind):
    """One eigen decomposition of W gives log|I - pW|, traces and (I - pW)^-1 as the dense
    solvers do: symmetric solver for row-standardised contiguity, general one for kNN."""
    if kind == "queen":
        w = libpysal.weights.lat2W(7, 6, rook=False)
    else:
        pts = np.random.default_rng(4).random((40, 2))
        w = libpysal.weights.KNN.from_array(pts, k=4)
    w.transform = "r"
    W = w.full()[0]
    spec = spectrum(W)
    assert spec.symmetric == (kind == "queen")
    np.testing.assert_allclose(np.sort_complex(spec.values.astype(complex)),
                               np.sort_complex(np.linalg.eigvals(W)), atol=1e-10)
    for p in (-0.6, 0.3, 0.85):
        assert spec.logdet(p) == pytest.approx(np.linalg.slogdet(np.eye(len(W)) - p * W)[1], abs=1e-9)
        inv = np.linalg.inv(np.eye(len(W)) - p * W)
        np.testing.assert_allclose(spec.lag_inverse(p), W @ inv, atol=1e-9)
        assert spec.trace(lambda v: v / (1 - p * v)) == pytest.approx(np.trace(W @ inv), abs=1e-9)


def test_information_equals_dense_formula():
    """The SAC information matrix from the spectrum against the dense formulas (Anselin 1988,
    ch. 6) with explicit inverses and H = B W A^-1 B^-1 as written."""
    from geodti.model.estimate import information

    data, W = _sar_panel(n_side=6, T=4, rho=0.3, lam=0.2, seed=9)
    n, T = data.n, data.T
    X, beta, r, lm, s2 = demean(data.X, n, T, "twoway"), np.array([1.0, -0.5]), 0.3, 0.2, 1.3
    I = np.eye(n)
    B, Binv = I - lm * W, np.linalg.inv(I - lm * W)
    WA, WB = W @ np.linalg.inv(I - r * W), W @ Binv
    H = B @ WA @ Binv
    BX = X - lm * spatial_lag(W, X, n, T)
    g = spatial_lag(B @ WA, X @ beta, n, T)
    k = 2
    ref = np.zeros((k + 3, k + 3))
    ref[:k, :k] = BX.T @ BX / s2
    ref[:k, k] = ref[k, :k] = BX.T @ g / s2
    ref[k, k] = T * np.trace(WA @ WA) + T * np.trace(H.T @ H) + g @ g / s2
    ref[k, k + 1] = ref[k + 1, k] = T * (np.trace(WB.T @ H) + np.trace(W @ WA @ Binv))
    ref[k + 1, k + 1] = T * (np.trace(WB @ WB) + np.trace(WB.T @ WB))
    ref[k, -1] = ref[-1, k] = T * np.trace(WA) / s2
    ref[k + 1, -1] = ref[-1, k + 1] = T * np.trace(WB) / s2
    ref[-1, -1] = n * T / (2 * s2 ** 2)
    np.testing.assert_allclose(information(X, beta, r, lm, s2, W, n, T), ref, rtol=1e-10, atol=1e-10)
