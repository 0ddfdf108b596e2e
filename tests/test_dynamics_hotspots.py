"""Emerging hot spots: Gi* against its formula, Mann-Kendall worked examples, Esri's rules,
and synthetic panels (SYNTHETIC lattices) built to produce each category."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from geodti.dynamics import classify_pattern, emerging_hotspots, gi_star_panel, mann_kendall
from tests.dynamics_fixtures import block, lattice, panel_from_matrix, quarters

NROW = NCOL = 9
CENTRE = 4 * NCOL + 4  # middle cell of the block at (3, 3)


def test_mann_kendall_worked_example_by_hand():
    # x = 10, 12, 11, 15, 14: S = 4 + 1 + 2 - 1 = 6; Var(S) = 5*4*15/18 = 16.667;
    # Z = (6 - 1)/sqrt(16.667) = 1.2247; p = 0.2207; tau = 6/10
    r = mann_kendall([10, 12, 11, 15, 14])
    assert r["s"] == 6
    assert r["var_s"] == pytest.approx(300 / 18)
    assert r["z"] == pytest.approx(5 / np.sqrt(300 / 18))
    assert r["p_value"] == pytest.approx(2 * stats.norm.sf(5 / np.sqrt(300 / 18)))
    assert r["p_value"] == pytest.approx(0.2207, abs=1e-4)
    assert r["tau"] == pytest.approx(0.6) and r["trend"] == "no trend"


def test_mann_kendall_tie_correction():
    # x = 1, 2, 2, 3: S = 3 + 1 + 1 = 5; one tie of size 2:
    # Var(S) = (4*3*13 - 2*1*9)/18 = 138/18; Z = 4/sqrt(138/18)
    r = mann_kendall([1, 2, 2, 3])
    assert r["s"] == 5 and r["var_s"] == pytest.approx(138 / 18)
    assert r["z"] == pytest.approx(4 / np.sqrt(138 / 18))
    flat = mann_kendall([2.0] * 6)
    assert flat["s"] == 0 and flat["z"] == 0 and flat["trend"] == "no trend"
    up = mann_kendall(np.arange(10.0))
    assert up["trend"] == "increasing" and up["tau"] == 1.0


@pytest.mark.parametrize("spots, tau, p, expected", [
    (["hot"] * 10, 0.0, 1.0, "persistent hot spot"),
    (["hot"] * 10, 0.8, 0.001, "intensifying hot spot"),
    (["hot"] * 10, -0.8, 0.001, "diminishing hot spot"),
    ([""] * 9 + ["hot"], 0.5, 0.01, "new hot spot"),
    ([""] * 7 + ["hot"] * 3, 0.5, 0.01, "consecutive hot spot"),
    (["", "hot", "", "", "hot", "", "", "", "", "hot"], 0.2, 0.3, "sporadic hot spot"),
    (["hot", "", "", "", "", "", "", "", "hot", "hot"], 0.2, 0.3, "sporadic hot spot"),
    (["cold", "", "", "", "", "", "", "", "", "hot"], 0.5, 0.01, "oscillating hot spot"),
    (["hot"] * 9 + [""], -0.2, 0.4, "historical hot spot"),
    (["cold"] * 10, -0.8, 0.001, "intensifying cold spot"),  # z falls: colder
    (["cold"] * 10, 0.8, 0.001, "diminishing cold spot"),
    ([""] * 9 + ["cold"], -0.5, 0.01, "new cold spot"),
    (["hot", "", "", "", "", "", "", "", "", "cold"], -0.5, 0.01, "oscillating cold spot"),
    (["hot", "hot", "", "", "", "", "", "", "", ""], -0.5, 0.01, "no pattern detected"),
    ([""] * 10, 0.0, 1.0, "no pattern detected"),
])
def test_esri_rules(spots, tau, p, expected):
    assert classify_pattern(spots, tau, p) == expected


def test_fewer_than_ten_periods_rules_out_historical():
    # 8 of 9 periods hot (89 %) is below 90 %: not historical, and with the final period
    # hot it would be sporadic, not persistent
    assert classify_pattern(["hot"] * 8 + [""], 0.0, 1.0) == "no pattern detected"
    assert classify_pattern([""] + ["hot"] * 8, 0.0, 1.0) == "consecutive hot spot"


def _gi_direct(x, graph):
    """Ord & Getis (1995) Gi*: binary weights with the unit itself."""
    n = len(x)
    ids = list(graph.unique_ids)
    adj = graph.sparse.toarray() > 0
    w = adj.astype(float) + np.eye(n)
    xbar, s = x.mean(), np.sqrt((x ** 2).mean() - x.mean() ** 2)
    wi = w.sum(1)
    num = w @ x - xbar * wi
    den = s * np.sqrt((n * (w ** 2).sum(1) - wi ** 2) / (n - 1))
    return ids, num / den


def test_gi_star_matches_its_formula_and_fdr():
    ids, graph, points = lattice(6, 6)
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, 36)
    x[block(6, 6, 0, 0)] += 4
    panel = panel_from_matrix(x[:, None], ids, ["2021Q1"])
    gi = gi_star_panel(panel, weights=graph)
    order, z = _gi_direct(x, graph)
    got = gi.set_index("adcode").loc[order, "z_analytic"].to_numpy()
    assert np.allclose(got, z, atol=1e-10)
    p = 2 * stats.norm.sf(np.abs(z))
    assert np.allclose(gi.set_index("adcode").loc[order, "p_adjusted"],
                       stats.false_discovery_control(p), atol=1e-12)
    assert (gi.loc[gi["cluster"].str.startswith("hot"), "z_analytic"] > 0).all()
    assert set(gi["cluster"]) <= {"hot_99", "hot_95", "hot_90", "cold_99", "cold_95", "cold_90",
                                  "not_significant"}
    # esda's Gi* (a ratio statistic) agrees on non-negative data
    import esda

    xp = x - x.min() + 0.1
    gp = gi_star_panel(panel_from_matrix(xp[:, None], ids, ["2021Q1"]), weights=graph)
    ref = esda.G_Local(xp, graph, transform="B", star=True, permutations=0)
    assert np.allclose(gp.set_index("adcode").loc[list(graph.unique_ids), "z_analytic"], ref.Zs, atol=1e-9)
    assert np.allclose(gp.set_index("adcode").loc[list(graph.unique_ids), "value"], ref.Gs, atol=1e-12)
    assert np.allclose(gp["z_analytic"], gi["z_analytic"], atol=1e-9)  # Gi* z does not change with a shift
    raw = gi_star_panel(panel, weights=graph, fdr=False)
    assert (raw["cluster"] != "not_significant").sum() >= (gi["cluster"] != "not_significant").sum()


def _scenario(values_for_block, n_periods=10, sign=1.0):
    """A 9x9 lattice; background fixed over time; a 3x3 block in the middle follows
    ``values_for_block[t]`` (None: background)."""
    ids, graph, points = lattice(NROW, NCOL)
    rng = np.random.default_rng(2023)
    base = rng.uniform(0, 1, NROW * NCOL)
    mat = np.repeat(base[:, None], n_periods, axis=1)
    cells = block(NROW, NCOL, 3, 3)
    for t, v in enumerate(values_for_block):
        if v is not None:
            mat[cells, t] = sign * v
    panel = panel_from_matrix(mat, ids, quarters("2020Q1", n_periods))
    return panel, graph, ids[CENTRE]


@pytest.mark.parametrize("block_values, expected", [
    ([10] * 10, "persistent hot spot"),
    ([5 + t for t in range(10)], "intensifying hot spot"),
    ([14 - t for t in range(10)], "diminishing hot spot"),
    ([None] * 9 + [10], "new hot spot"),
    ([None] * 7 + [10] * 3, "consecutive hot spot"),
    ([None, 10, None, None, 10, None, None, None, None, 10], "sporadic hot spot"),
    ([-10, None, None, None, None, None, None, None, None, 10], "oscillating hot spot"),
    ([10] * 9 + [None], "historical hot spot"),
    ([-10] * 10, "persistent cold spot"),
    ([None] * 9 + [-10], "new cold spot"),
])
def test_synthetic_panels_give_each_category(block_values, expected):
    panel, graph, centre = _scenario(block_values)
    res = emerging_hotspots(panel, weights=graph)
    row = res.set_index("adcode").loc[centre]
    assert row["pattern"] == expected, row.to_dict()
    # the background far from the block shows no pattern
    assert res.set_index("adcode").loc["100000", "pattern"] == "no pattern detected"


def test_nine_periods_warn_and_cannot_be_historical():
    panel, graph, centre = _scenario([10] * 8 + [None], n_periods=9)
    with pytest.warns(UserWarning, match="fewer than 10"):
        res = emerging_hotspots(panel, weights=graph)
    assert res.set_index("adcode").loc[centre, "pattern"] == "no pattern detected"
    assert "historical hot spot" not in set(res["pattern"])


def test_emerging_hotspots_take_a_given_gi_table():
    """The run computes the per-period Gi* once, keeps it as a table and classifies from it."""
    import pandas as pd

    from geodti.dynamics.hotspots import gi_star_panel

    panel, graph, centre = _scenario([10] * 10)
    gi = gi_star_panel(panel, weights=graph, alpha=0.1)
    given = emerging_hotspots(panel, gi=gi)
    own = emerging_hotspots(panel, weights=graph, alpha=0.1)
    pd.testing.assert_frame_equal(given, own)
    assert set(given["alpha"]) == {0.1}


# ------------------------------------------------- one Gi* engine: global window and inference
def _line4():
    """Four units on a line (0-1-2-3), binary rook links, as a geodti Weights."""
    import pandas as pd
    from libpysal.graph import Graph

    from geodti.spatial import Weights

    ids = ["100001", "100002", "100003", "100004"]
    adj = pd.DataFrame({"focal": ["100001", "100002", "100002", "100003", "100003", "100004"],
                        "neighbor": ["100002", "100001", "100003", "100002", "100004", "100003"],
                        "weight": 1.0})
    return ids, Weights.from_graph(Graph.from_adjacency(adj), "line", transform="B")


def test_global_window_worked_example_by_hand():
    # x: period 1 = 1, 2, 3, 4; period 2 = 2, 4, 6, 8. Unit 1's neighbourhood with itself:
    # units 1, 2 (W = 2, S1 = 2); its local sums are 3 and 6.
    ids, w = _line4()
    panel = panel_from_matrix(np.array([[1, 2], [2, 4], [3, 6], [4, 8.0]]), ids,
                              ["2021Q1", "2021Q2"])
    # entire cube: mean 30/8 = 3.75, variance 150/8 - 3.75^2 = 4.6875, N = 8
    den_cube = np.sqrt(4.6875) * np.sqrt((8 * 2 - 2**2) / 7)
    cube = gi_star_panel(panel, weights=w).set_index(["adcode", "period"])["z_analytic"]
    assert cube[("100001", "2021Q1")] == pytest.approx((3 - 3.75 * 2) / den_cube, abs=1e-12)
    assert cube[("100001", "2021Q2")] == pytest.approx((6 - 3.75 * 2) / den_cube, abs=1e-12)
    # individual time step: period 1 mean 2.5, variance 7.5 - 6.25 = 1.25, N = 4; period 2
    # is period 1 doubled, so its z-scores are the same
    step = gi_star_panel(panel, weights=w, global_window="individual_time_step")
    z = step.set_index(["adcode", "period"])["z_analytic"]
    den_step = np.sqrt(1.25) * np.sqrt((4 * 2 - 2**2) / 3)
    assert z[("100001", "2021Q1")] == pytest.approx((3 - 2.5 * 2) / den_step, abs=1e-12)
    assert z[("100001", "2021Q2")] == pytest.approx(z[("100001", "2021Q1")], abs=1e-12)
    assert set(step["global_window"]) == {"individual_time_step"}
    assert set(step["inference"]) == {"analytic"}


def test_global_windows_against_numpy_on_a_lattice():
    from geodti.spatial.getisord import gi_star_z

    ids, graph, points = lattice(5, 5)
    rng = np.random.default_rng(5)
    Y = rng.gamma(2.0, 1.0, (25, 4)) + np.arange(4)  # a level that rises over time
    A = (graph.sparse.toarray() > 0).astype(float) + np.eye(25)
    Wi, S1 = A.sum(1)[:, None], (A**2).sum(1)[:, None]
    N = Y.size
    want = (A @ Y - Y.mean() * Wi) / (Y.std() * np.sqrt((N * S1 - Wi**2) / (N - 1)))
    import scipy.sparse as sp

    got = gi_star_z(Y, sp.csr_array(graph.sparse), global_window="entire_cube")
    np.testing.assert_allclose(got, want, atol=1e-12)
    # the entire cube sees the rising level (later periods hotter); each time step does not
    assert got[:, 3].mean() > got[:, 0].mean() + 1
    step = gi_star_z(Y, sp.csr_array(graph.sparse), global_window="individual_time_step")
    assert abs(step[:, 3].mean() - step[:, 0].mean()) < 1


def test_individual_time_step_equals_esda_analytic():
    import esda
    import scipy.sparse as sp

    from geodti.spatial.getisord import gi_star_z

    ids, graph, points = lattice(6, 6)
    Y = np.random.default_rng(3).gamma(2.0, 1.0, (36, 3))
    z = gi_star_z(Y, sp.csr_array(graph.sparse), global_window="individual_time_step")
    for t in range(3):
        ref = esda.G_Local(Y[:, t], graph, transform="B", star=True, permutations=0)
        np.testing.assert_allclose(z[:, t], ref.Zs, atol=1e-9)


def test_permutation_inference_is_the_stats_engine():
    import pandas as pd

    from geodti.spatial import GLocal, Weights, local_statistics

    ids, graph, points = lattice(6, 6)
    w = Weights.from_graph(graph, "lattice")
    x = np.random.default_rng(8).gamma(2.0, 1.0, (36, 2))
    x[block(6, 6, 0, 0)] += 3
    panel = panel_from_matrix(x, ids, ["2021Q1", "2021Q2"])
    gi = gi_star_panel(panel, weights=w, inference="permutation",
                       global_window="individual_time_step", permutations=999, seed=7)
    assert set(gi["inference"]) == {"permutation"} and set(gi["permutations"]) == {999}
    loc = local_statistics(panel, w, statistics=("gi_star",), permutations=999, seed=7)
    both = gi.merge(loc, on=["adcode", "period"], suffixes=("", "_stats"))
    np.testing.assert_array_equal(both["p_sim"], both["p_sim_stats"])
    # one table shape and one label rule: the same value, adjusted p and cluster as geodti stats
    np.testing.assert_allclose(both["value"], both["value_stats"], rtol=1e-12)
    np.testing.assert_allclose(both["p_adjusted"], both["p_fdr"], rtol=1e-12)
    assert (both["cluster"] == both["cluster_stats"]).all()
    assert (both.loc[both["cluster"].str.startswith("hot"), "z_sim"] > 0).all()
    # and the same draws as the standalone GLocal (esda's for this seed)
    first = gi[gi["period"] == "2021Q1"].set_index("adcode").loc[[str(i) for i in w.ids]]
    g = GLocal(x[:, 0], w.original, permutations=999, seed=7)
    np.testing.assert_array_equal(first["p_sim"].to_numpy(), g.p_sim)
    from geodti.errors import MethodError

    with pytest.raises(MethodError, match="individual_time_step"):
        gi_star_panel(panel, weights=w, inference="permutation")
    assert isinstance(pd.unique(gi["seed"])[0], (int, np.integer))
