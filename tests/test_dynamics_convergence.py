"""Sigma, beta and spatial beta convergence (synthetic data with known parameters, and the
bundled SYNTHETIC sample once for the spatial models)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodti.bundled import data_dir
from geodti.dynamics import (
    beta_convergence, sigma_convergence, sigma_trend, spatial_beta_convergence,
)
from geodti.dynamics.convergence import convergence_speed
from tests.dynamics_fixtures import panel_from_matrix, quarters


def _beta_panel(beta, n=200, years=2.0, noise=0.002, seed=1):
    """ln y_T = ln y_0 + T (a + beta ln y_0 + e): growth regression with a known beta."""
    rng = np.random.default_rng(seed)
    ln0 = rng.normal(-2, 1, n)
    g = 0.05 + beta * ln0 + rng.normal(0, noise, n)
    lnT = ln0 + years * g
    ids = [f"{110000 + i}" for i in range(n)]
    q = int(years * 4)
    periods = quarters("2021Q1", q + 1)
    mat = np.column_stack([np.exp(ln0 + (lnT - ln0) * j / q) for j in range(q + 1)])
    return panel_from_matrix(mat, ids, periods), ids


def test_beta_convergence_recovers_a_known_beta_and_speed():
    panel, _ = _beta_panel(-0.03)
    r = beta_convergence(panel, by=None).iloc[0]
    assert r["model"] == "absolute" and r["years"] == 2.0
    assert r["beta"] == pytest.approx(-0.03, abs=3e-4)
    assert r["beta_ci_low"] < -0.03 < r["beta_ci_high"]
    b = -np.log(1 + r["beta"] * 2) / 2
    assert r["speed"] == pytest.approx(b)
    assert r["half_life_years"] == pytest.approx(np.log(2) / b)
    assert r["speed_se"] == pytest.approx(r["beta_se"] / (1 + 2 * r["beta"]))


def test_conditional_beta_with_group_fixed_effects():
    panel, ids = _beta_panel(-0.02, n=120, noise=0.0005, seed=4)
    # add a group shift of the growth rate: conditional model absorbs it
    grp = pd.DataFrame({"adcode": ids, "tier": ["a", "b", "c"] * 40})
    shift = dict(zip(ids, [0.0, 0.01, 0.02] * 40))
    last = panel["period"] == panel["period"].max()
    panel.loc[last, "dti"] *= np.exp(2 * panel.loc[last, "adcode"].map(shift))
    res = beta_convergence(panel, by="tier", groups=grp).set_index("model")
    assert res.loc["conditional", "beta"] == pytest.approx(-0.02, abs=2e-4)
    assert res.loc["conditional", "controls"].startswith("tier fixed effects (baseline a)")
    assert res.loc["conditional", "r2"] > res.loc["absolute", "r2"]
    white = beta_convergence(panel, by=None, robust="white").iloc[0]
    assert white["se_type"] == "white" and white["beta"] == res.loc["absolute", "beta"]


def test_speed_undefined_or_diverging():
    assert np.isnan(convergence_speed(-0.6, 0.1, 2.0)[0])  # 1 + beta T <= 0
    speed, _, half = convergence_speed(0.01, 0.001, 2.0)
    assert speed < 0 and np.isnan(half)


def test_sigma_convergence_values_and_trend():
    ids = ["110100", "120100", "310100", "440100"]
    mat = np.array([[1, 1, 1, 1], [2, 2, 2, 2], [4, 3.5, 3, 2.5], [8, 6, 5, 4.0]])
    panel = panel_from_matrix(mat, ids, quarters("2021Q1", 4))
    s = sigma_convergence(panel, by="region")
    nat = s[s["group"] == "全国"]
    for j, p in enumerate(quarters("2021Q1", 4)):
        row = nat[nat["period"] == p].iloc[0]
        assert row["sd_log"] == pytest.approx(np.std(np.log(mat[:, j]), ddof=1))
        assert row["cv"] == pytest.approx(np.std(mat[:, j], ddof=1) / mat[:, j].mean())
    assert set(s["group"]) == {"全国", "东部"}  # all four are eastern
    t = sigma_trend(s).set_index("group")
    assert t.loc["全国", "slope_per_year"] < 0 and t.loc["全国", "verdict"] == "convergence"


def _sample():
    p = pd.read_csv(data_dir() / "sample" / "dti_panel_SYNTHETIC.csv", dtype={"adcode": str})
    return p[["adcode", "period", "dti"]]


def test_spatial_beta_on_the_sample_with_spreg_impacts():
    import spreg

    from geodti.dynamics._common import resolve_weights, wide

    panel = _sample()
    res = spatial_beta_convergence(panel, draws=200, seed=7)
    models = res["models"].set_index("model")
    assert list(models.index) == ["sar", "sem", "sdm"]
    coef = res["coefficients"]
    assert set(coef.loc[coef["model"] == "sdm", "term"]) == {"constant", "ln_y0", "W_ln_y0", "rho"}
    # SAR effects: direct = beta * tr((I - rho W)^-1)/n, spreg's 'full' multiplier
    mat = wide(panel, "dti")
    graph, ids, _ = resolve_weights(None, mat.index)
    mat = mat.loc[ids]
    y = ((np.log(mat["2023Q1"]) - np.log(mat["2021Q1"])) / 2).to_numpy()[:, None]
    x = np.log(mat["2021Q1"]).to_numpy()[:, None]
    ref = spreg.ML_Lag(y, x, graph.transform("R").to_W(), spat_impacts="full")
    adi, aii, ati = ref.sp_multipliers["full"]
    beta = float(ref.betas[1, 0])
    assert models.loc["sar", "beta"] == pytest.approx(beta, rel=1e-6)
    imp = res["impacts"].set_index(["model", "effect"])["estimate"]
    assert imp[("sar", "direct")] == pytest.approx(beta * adi, rel=1e-6)
    assert imp[("sar", "total")] == pytest.approx(beta * ati, rel=1e-6)
    assert imp[("sar", "indirect")] == pytest.approx(beta * aii, rel=1e-6)
    # SDM total = (beta + theta) / (1 - rho)
    sdm = coef[coef["model"] == "sdm"].set_index("term")["estimate"]
    assert imp[("sdm", "total")] == pytest.approx((sdm["ln_y0"] + sdm["W_ln_y0"]) / (1 - sdm["rho"]))
    # the draws are seeded: same seed, same standard errors
    again = spatial_beta_convergence(panel, models=("sar",), draws=200, seed=7)["impacts"]
    first = res["impacts"][res["impacts"]["model"] == "sar"].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, first)
