"""Local statistics: analytic parts equal to esda in-process; pseudo p-values equal to esda's
(numba-compiled, stored by tests/data/make_esda_reference.py) with the same draws;
corrections, cluster labels, the permutation-budget guard and the panel table.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal import examples
from libpysal.graph import Graph
from scipy import stats
from spatial_fixtures import lattice, lattice_with_islands, synthetic_panel

from geodti.errors import MethodError
from geodti.spatial import (
    GearyLocal,
    GLocal,
    MoranLocal,
    PermutationBudgetError,
    PermutationBudgetWarning,
    Weights,
    adjust_pvalues,
    build_weights_set,
    local_statistics,
)
from geodti.spatial._permutation import TIE_RTOL

REF = Path(__file__).parent / "data" / "esda_local_reference.npz"


@pytest.fixture(scope="module")
def ref():
    return np.load(REF)


@pytest.fixture(scope="module")
def columbus_graphs():
    import sys

    sys.path.insert(0, str(REF.parent))
    from make_esda_reference import graphs

    return graphs()


def no_tie(sims, obs):
    """Units whose esda simulations never (numerically) tie the observed value."""
    scale = np.abs(obs)[:, None] + np.abs(sims).mean(axis=1, keepdims=True) + sims.std(axis=1, keepdims=True)
    return ~(np.abs(sims - obs[:, None]) <= 10 * TIE_RTOL * scale).any(axis=1)


# ------------------------------------------------------------------ analytic parts, in-process esda
def test_local_moran_analytic_equals_esda(columbus_graphs):
    df, gs = columbus_graphs
    y = df["CRIME"].to_numpy(float)
    for g in gs.values():
        e = esda.Moran_Local(y, g, permutations=0)
        m = MoranLocal(y, g, permutations=0)
        for a in ["Is", "EI", "VI", "EIc", "VIc"]:
            np.testing.assert_allclose(getattr(m, a), getattr(e, a), rtol=1e-10, atol=1e-12, err_msg=a)
        codes = np.array([{"HH": 1, "LH": 2, "LL": 3, "HL": 4}[q] for q in m.q])
        np.testing.assert_array_equal(codes, e.q)


def test_g_star_analytic_equals_esda_binary(columbus_graphs):
    df, gs = columbus_graphs
    y = df["CRIME"].to_numpy(float)
    for name in ("queen", "knn4"):
        e = esda.G_Local(y, gs[name], transform="B", star=True, permutations=0)
        m = GLocal(y, gs[name], permutations=0)
        for a in ["Gs", "EGs", "VGs", "Zs", "p_norm"]:
            np.testing.assert_allclose(getattr(m, a), getattr(e, a), rtol=1e-10, atol=1e-14, err_msg=a)


def test_local_geary_value_equals_esda(columbus_graphs):
    df, gs = columbus_graphs
    y = df["CRIME"].to_numpy(float)
    for g in gs.values():
        e = esda.Geary_Local(connectivity=g, permutations=0).fit(y)
        np.testing.assert_allclose(GearyLocal(y, g, permutations=0).localG, e.localG, rtol=1e-10)


# ------------------------------------------------------------------ pseudo p: same draws as esda
@pytest.mark.parametrize("name", ["queen", "knn4", "kernel", "idwband"])
def test_pseudo_p_equals_esda_with_same_draws(ref, columbus_graphs, name):
    df, gs = columbus_graphs
    g = gs[name]
    y = ref["y"]
    P, seed = int(ref["meta/permutations"]), int(ref["meta/seed"])
    m = MoranLocal(y, g, permutations=P, seed=seed, keep_simulations=True)
    np.testing.assert_allclose(m.Is, ref[f"{name}/ML/Is"], rtol=1e-10)
    # the simulated values themselves: esda's draws, reproduced (sim is (P, n); esda's too)
    np.testing.assert_allclose(m.sim, ref[f"{name}/ML/sim"], rtol=1e-9, atol=1e-12)
    ok = no_tie(ref[f"{name}/ML/sim"].T, ref[f"{name}/ML/Is"])
    assert ok.mean() > 0.7
    np.testing.assert_array_equal(m.p_sim[ok], ref[f"{name}/ML/p_sim"][ok])
    assert (m.p_sim[~ok] >= ref[f"{name}/ML/p_sim"][~ok]).all()  # ties: conservative
    np.testing.assert_allclose(m.z_sim, ref[f"{name}/ML/z_sim"], rtol=1e-9)

    gl = GLocal(y, g, permutations=P, seed=seed)
    esda_p = ref[f"{name}/GL/p_sim"].astype(float)  # esda stores these as float32
    ok = no_tie(ref[f"{name}/GL/sim"], ref[f"{name}/GL/Gs"])
    np.testing.assert_array_equal(np.round(gl.p_sim[ok] * (P + 1)), np.round(esda_p[ok] * (P + 1)))
    assert (np.round(gl.p_sim[~ok] * (P + 1)) >= np.round(esda_p[~ok] * (P + 1))).all()
    np.testing.assert_allclose(gl.z_sim, ref[f"{name}/GL/z_sim"], rtol=1e-9)

    # esda's Geary_Local ignores its seed and draws one from np.random: the same seed here
    geary_seed = int(np.random.RandomState(11).randint(12345, 12345000))
    lg = GearyLocal(y, g, permutations=P, seed=geary_seed)
    np.testing.assert_allclose(lg.localG, ref[f"{name}/LG/localG"], rtol=1e-10)
    ok = no_tie(ref[f"{name}/LG/sim"], ref[f"{name}/LG/localG"])
    esda_p = ref[f"{name}/LG/p_sim"].astype(float)
    np.testing.assert_array_equal(np.round(lg.p_sim[ok] * (P + 1)), np.round(esda_p[ok] * (P + 1)))


def test_g_star_row_standardised_z_is_the_general_formula():
    # esda's G_Local(transform="R") uses S1_i = W_i; Ord and Getis (1995) use sum w_ij^2.
    grid = lattice(4, 4)
    w = Weights.build_queen(grid)
    y = np.arange(1.0, 17.0)
    m = GLocal(y, w, permutations=0)
    Wstar = w.original.sparse.toarray() + np.eye(16)
    n = 16
    Wi = Wstar.sum(1)
    S1 = (Wstar**2).sum(1)
    s = np.sqrt((y**2).mean() - y.mean() ** 2)
    z = (Wstar @ y - y.mean() * Wi) / (s * np.sqrt((n * S1 - Wi**2) / (n - 1)))
    np.testing.assert_allclose(m.Zs, z, rtol=1e-12)
    # the same z from the row-standardised weights (the general formula is scale-free per row)
    m_r = GLocal(y, w.graph, permutations=0)
    np.testing.assert_allclose(m_r.Zs, z, rtol=1e-10)


# ------------------------------------------------------------------ ties and degenerate units
def test_tie_counts_on_both_sides():
    # unit 0 has one neighbour: every draw of that neighbour ties the observed value exactly
    g = Graph.from_arrays([0, 1, 1, 2, 2, 3, 3, 4], [1, 0, 2, 1, 3, 2, 4, 3], [1.0] * 8)
    y = np.array([5.0, 1.0, 3.0, 2.0, 4.0])
    m = MoranLocal(y, g, permutations=199, seed=3, keep_simulations=True)
    sims = m.sim[:, 0]
    n_ge = (sims >= m.Is[0] - 1e-12).sum()
    n_le = (sims <= m.Is[0] + 1e-12).sum()
    assert (np.abs(sims - m.Is[0]) < 1e-12).any()
    assert m.p_sim[0] == pytest.approx((min(n_ge, n_le) + 1) / 200)


def test_isolates_have_no_statistic():
    units = lattice_with_islands()
    w = Weights.build_queen(units, island_policy="keep")
    y = np.random.default_rng(0).lognormal(size=w.n)
    m = MoranLocal(y, w, permutations=19, seed=1)
    i = w.ids.get_loc("900300")
    assert np.isnan(m.Is[i]) and np.isnan(m.p_sim[i]) and m.q[i] == ""
    assert np.isfinite(np.delete(m.p_sim, i)).all()


def test_gi_star_refuses_negative_values():
    w = Weights.build_queen(lattice(3, 3))
    with pytest.raises(MethodError, match="non-negative"):
        GLocal(np.linspace(-1, 1, 9), w, permutations=0)


# ------------------------------------------------------------------ corrections and labels
def test_adjust_pvalues():
    p = np.array([0.001, 0.01, 0.02, 0.04, 0.2, np.nan])
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni")[:5], np.minimum(1, p[:5] * 5))
    np.testing.assert_allclose(adjust_pvalues(p, "fdr")[:5], stats.false_discovery_control(p[:5]))
    # BH by hand: sorted p_(k) * m / k, made monotone from the top
    bh = np.minimum.accumulate((p[:5] * 5 / np.arange(1, 6))[::-1])[::-1]
    np.testing.assert_allclose(adjust_pvalues(p, "fdr")[:5], bh)
    assert np.isnan(adjust_pvalues(p, "fdr")[5])


@pytest.fixture(scope="module")
def grid_panel():
    grid = lattice(6, 6)
    ws = build_weights_set(["queen", "knn4"], grid)
    W = ws["queen"].graph.sparse.toarray()
    panel = synthetic_panel(grid["adcode"], ["2022Q1", "2022Q2"], ["dti", "application"], seed=5, W=W, rho=0.7)
    return panel, ws


def test_local_table_columns_and_labels(grid_panel):
    panel, ws = grid_panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PermutationBudgetWarning)
        t = local_statistics(panel, ws["queen"], permutations=499, seed=9, correction="fdr", alpha=0.1)
    cols = ["adcode", "period", "variable", "weights", "statistic", "value", "quadrant", "z_sim", "p_sim", "sig_none",
            "sig_fdr", "sig_bonferroni", "cluster", "permutations", "seed"]
    assert all(c in t.columns for c in cols)
    assert len(t) == 36 * 2 * 2 * 3
    lisa = t[t.statistic == "lisa"]
    sig = lisa["sig_fdr"]
    assert (lisa.loc[sig, "cluster"] == lisa.loc[sig, "quadrant"]).all()
    assert (lisa.loc[~sig, "cluster"] == "not_significant").all()
    assert sig.any()  # an autocorrelated SYNTHETIC panel has clusters
    assert (lisa["sig_bonferroni"] <= lisa["sig_fdr"]).all() and (lisa["sig_fdr"] <= lisa["sig_none"]).all()
    gi = t[t.statistic == "gi_star"]
    assert set(gi["cluster"]) <= {"hot_99", "hot_95", "hot_90", "cold_99", "cold_95", "cold_90", "not_significant"}
    hot = gi["cluster"].str.startswith("hot")
    assert (gi.loc[hot, "z_sim"] > 0).all()
    assert gi["z_analytic"].notna().all() and lisa["z_analytic"].isna().all()
    lg = t[t.statistic == "local_geary"]
    assert set(lg["cluster"]) <= {"HH", "LL", "other_positive", "negative", "not_significant"}
    # one map's p-values adjusted together
    one = lisa[(lisa.period == "2022Q1") & (lisa.variable == "dti")]
    np.testing.assert_allclose(one["p_fdr"], stats.false_discovery_control(one["p_sim"]))


def test_local_table_matches_standalone_and_is_deterministic(grid_panel):
    panel, ws = grid_panel
    kw = dict(permutations=199, seed=4, on_budget="ignore")
    a = local_statistics(panel, ws, **kw)
    b = local_statistics(panel, ws, **kw)
    pd.testing.assert_frame_equal(a, b)
    w = ws["knn4"]
    y = panel[panel.period == "2022Q2"].set_index("adcode").loc[w.ids, "application"].to_numpy()
    one = MoranLocal(y, w, permutations=199, seed=4)
    rows = a[(a.weights == "knn4") & (a.statistic == "lisa") & (a.period == "2022Q2") & (a.variable == "application")]
    np.testing.assert_allclose(rows["value"], one.Is, rtol=1e-12)
    np.testing.assert_array_equal(rows["p_sim"], one.p_sim)
    c = local_statistics(panel, ws, permutations=199, seed=5, on_budget="ignore")
    assert not np.array_equal(a["p_sim"].to_numpy(), c["p_sim"].to_numpy())


def test_gi_analytic_inference_bins(grid_panel):
    panel, ws = grid_panel
    t = local_statistics(panel, ws["queen"], statistics=("gi_star",), permutations=99, seed=1,
                         gi_inference="analytic", correction="none", on_budget="ignore")
    hot99 = t["cluster"] == "hot_99"
    assert (t.loc[hot99, "p_analytic"] <= 0.01).all() and (t.loc[hot99, "z_analytic"] > 0).all()
    assert ((t["p_analytic"] <= 0.01) & (t["z_analytic"] > 0) == hot99).all()


def test_gi_star_skipped_for_negative_variable(grid_panel):
    panel, ws = grid_panel
    neg = panel.assign(change=panel["dti"] - panel["dti"].mean())
    t = local_statistics(neg, ws["queen"], variables=["change"], permutations=99, seed=1, on_budget="ignore")
    gi = t[t.statistic == "gi_star"]
    assert (gi["cluster"] == "not_computed").all() and gi["value"].isna().all()
    assert t[t.statistic == "lisa"]["p_sim"].notna().all()


def test_isolate_rows_in_table():
    units = lattice_with_islands()
    w = Weights.build_queen(units, island_policy="keep")
    panel = synthetic_panel(units["adcode"], ["2021Q1"], ["dti"], seed=1)
    t = local_statistics(panel, w, statistics=("lisa",), permutations=99, seed=1, on_budget="ignore")
    iso = t[t.adcode == "900300"].iloc[0]
    assert iso["cluster"] == "isolate" and iso["neighbours"] == 0 and np.isnan(iso["p_sim"])
    assert iso["note"] == "no neighbours"


# ------------------------------------------------------------------ budget guard
def test_budget_guard_bonferroni_370_units():
    from geodti.spatial import check_permutation_budget, permutations_needed

    assert permutations_needed(370, 0.05, "bonferroni") == 7399  # 1/(P+1) <= 0.05/370
    assert permutations_needed(370, 0.01, "bonferroni") == 36999
    assert permutations_needed(370, 0.05, "bonferroni", "two-sided") == 22199  # esda's two-sided: 3/(P+1)
    with pytest.warns(PermutationBudgetWarning, match="7399"):
        check_permutation_budget(370, 999, 0.05, "bonferroni")
    with pytest.raises(PermutationBudgetError, match="7399"):
        check_permutation_budget(370, 7398, 0.05, "bonferroni", on_budget="raise")
    assert check_permutation_budget(370, 7399, 0.05, "bonferroni", on_budget="raise") is None
    assert check_permutation_budget(370, 99, 0.05, "none", on_budget="raise") is None
    with pytest.warns(PermutationBudgetWarning, match="share"):
        check_permutation_budget(370, 999, 0.05, "fdr")


def test_budget_guard_in_local_statistics(grid_panel):
    panel, ws = grid_panel
    with pytest.raises(PermutationBudgetError, match="719"):  # 36 units at 0.05: P >= 36/0.05 - 1
        local_statistics(panel, ws["queen"], permutations=99, seed=1, correction="bonferroni", on_budget="raise")
    with pytest.warns(PermutationBudgetWarning):
        local_statistics(panel, ws["queen"], statistics=("lisa",), periods=["2022Q1"], permutations=99, seed=1,
                         correction="bonferroni")


def test_analytic_parts_equal_esda_on_the_370_bundled_units():
    """Gazetteer points, knn6 (real city layout); esda needs no numba without permutations."""
    from geodti import gazetteer

    units = gazetteer()
    w = Weights.from_spec("knn6", units)
    y = np.random.default_rng(11).lognormal(size=w.n)  # SYNTHETIC values on the real layout
    e = esda.Moran_Local(y, w.graph, permutations=0)
    m = MoranLocal(y, w, permutations=0)
    for a in ["Is", "EI", "VI", "EIc", "VIc"]:
        np.testing.assert_allclose(getattr(m, a), getattr(e, a), rtol=1e-10, atol=1e-13, err_msg=a)
    e = esda.G_Local(y, w.original, transform="B", star=True, permutations=0)
    g = GLocal(y, w, permutations=0)
    for a in ["Gs", "EGs", "VGs", "Zs"]:
        np.testing.assert_allclose(getattr(g, a), getattr(e, a), rtol=1e-10, atol=1e-14, err_msg=a)
    e = esda.Geary_Local(connectivity=w.graph, permutations=0).fit(y)
    np.testing.assert_allclose(GearyLocal(y, w, permutations=0).localG, e.localG, rtol=1e-10)
