"""Markov chains equal giddy's on the same inputs; kernel densities (SYNTHETIC data)."""

from __future__ import annotations

import mapclassify as mc
import numpy as np
import pytest
from giddy.markov import LISA_Markov, Markov, Spatial_Markov
from scipy.stats import gaussian_kde

from geodti.dynamics import kernel_density, lisa_markov, markov, spatial_markov
from tests.dynamics_fixtures import lattice, panel_from_matrix, quarters


def _random_panel(seed=8, nrow=6, ncol=7, t=6):
    ids, graph, points = lattice(nrow, ncol)
    rng = np.random.default_rng(seed)
    mat = np.exp(np.cumsum(rng.normal(0, 0.3, (len(ids), t)), axis=1))
    return panel_from_matrix(mat, ids, quarters("2021Q1", t)), mat, ids, graph


def _as_matrix(table, condition="all"):
    part = table[table["condition"] == condition]
    k = int(np.sqrt(len(part)))
    return (part["count"].to_numpy().reshape(k, k), part["probability"].to_numpy().reshape(k, k))


def test_markov_equals_giddy():
    panel, mat, ids, _ = _random_panel()
    classes = np.column_stack([mc.Quantiles(mat[:, j], k=5).yb for j in range(mat.shape[1])])
    ref = Markov(classes, summary=False)
    res = markov(panel, k=5)
    counts, probs = _as_matrix(res["transitions"])
    assert np.array_equal(counts, ref.transitions)
    assert np.allclose(probs, ref.p)
    assert res["transitions"]["n_transitions"].iloc[0] == len(ids) * 5
    s = res["steady_state"]
    if (s["note"] == "unique").all():
        assert s["probability"].sum() == pytest.approx(1.0)
    assert set(res["tests"]["test"]) >= {"temporal homogeneity Q (first vs second half)"}
    step2 = markov(panel, k=5, step=2)
    assert step2["transitions"]["n_transitions"].iloc[0] == len(ids) * 2


def test_spatial_markov_equals_giddy():
    panel, mat, ids, graph = _random_panel(seed=9)
    ref = Spatial_Markov(mat, graph.transform("R").to_W(), k=5, m=5, fixed=False)
    res = spatial_markov(panel, k=5, weights=graph)
    for c in range(5):
        counts, probs = _as_matrix(res["transitions"], f"neighbours class {c + 1}")
        assert np.array_equal(counts, ref.T[c])
        assert np.allclose(probs, ref.P[c])
    tests = res["tests"].set_index("test")
    assert tests.loc["spatial homogeneity Q (Bickenbach-Bode)", "statistic"] == pytest.approx(ref.Q)
    assert tests.loc["spatial homogeneity LR (Bickenbach-Bode)", "p_value"] == pytest.approx(ref.LR_p_value)
    assert tests.loc["chi2 sum over conditions (Rey)", "statistic"] == pytest.approx(ref.x2)


def test_lisa_markov_equals_giddy():
    panel, mat, ids, graph = _random_panel(seed=10)
    ref = LISA_Markov(mat, graph.transform("R").to_W(), permutations=0)
    res = lisa_markov(panel, weights=graph)
    counts, probs = _as_matrix(res["transitions"])
    assert np.array_equal(counts, ref.transitions)
    assert res["transitions"]["from_class"].iloc[:4].tolist() == ["HH"] * 4
    assert res["tests"]["statistic"].iloc[0] == pytest.approx(ref.chi_2[0])


def test_kernel_density_per_period_and_group():
    panel, mat, ids, _ = _random_panel(seed=12)
    groups = panel[["adcode"]].drop_duplicates().assign(half=lambda d: np.where(
        d["adcode"] < "100021", "north", "south"))
    kd = kernel_density(panel, by="half", groups=groups, grid=400)
    assert set(kd["group"]) == {"全国", "north", "south"}
    one = kd[(kd["group"] == "全国") & (kd["period"] == "2021Q1")]
    kde = gaussian_kde(np.log(mat[:, 0]), bw_method="scott")
    assert np.allclose(one["density"], kde(one["x"]))
    dx = one["x"].iloc[1] - one["x"].iloc[0]
    assert (one["density"].sum() * dx) == pytest.approx(1.0, abs=0.01)
    assert one["bandwidth"].iloc[0] == pytest.approx(kde.factor * np.log(mat[:, 0]).std(ddof=1))
    lvl = kernel_density(panel, scale="level", bandwidth="silverman")
    assert (lvl["scale"] == "level").all() and (lvl["bandwidth_rule"] == "silverman").all()
