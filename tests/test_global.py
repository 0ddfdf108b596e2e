"""Global statistics: equal to esda (analytic and, with the same draws, permutation), hand-checked cases,
join-count moments by exact enumeration, and the panel tables.

esda's global classes are pure NumPy (no numba), so they run here directly.
"""

from __future__ import annotations

import itertools
import warnings

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal import examples
from libpysal.graph import Graph
from spatial_fixtures import lattice, synthetic_panel

from geodti.errors import MethodError
from geodti.spatial import (
    G,
    Geary,
    JoinCounts,
    Moran,
    MoranBV,
    Weights,
    build_weights_set,
    global_statistics,
    moran_differential,
    robustness_table,
)

P = 99
SEED = 7


@pytest.fixture(scope="module")
def columbus():
    df = gpd.read_file(examples.get_path("columbus.shp"))
    return df, Graph.build_contiguity(df, rook=False)


def esda_run(cls, *args, **kw):
    np.random.seed(SEED)  # esda's global permutations use NumPy's global RandomState
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(*args, **kw)


@pytest.mark.parametrize("column", ["CRIME", "HOVAL"])
def test_moran_equals_esda(columbus, column):
    df, g = columbus
    y = df[column].to_numpy(float)
    e = esda_run(esda.Moran, y, g, permutations=P)
    m = Moran(y, g, permutations=P, seed=SEED, keep_simulations=True)
    for a in ["I", "EI", "VI_norm", "seI_norm", "z_norm", "p_norm", "VI_rand", "seI_rand", "z_rand", "p_rand"]:
        assert getattr(m, a) == pytest.approx(getattr(e, a), rel=1e-10, abs=1e-12), a
    np.testing.assert_allclose(m.sim, e.sim, rtol=1e-12)  # the same permutations
    assert m.p_sim == e.p_sim
    for a in ["EI_sim", "seI_sim", "VI_sim", "z_sim", "p_z_sim"]:
        assert getattr(m, a) == pytest.approx(getattr(e, a), rel=1e-10), a


def test_geary_g_and_bivariate_equal_esda(columbus):
    df, g = columbus
    y = df["CRIME"].to_numpy(float)
    x = df["INC"].to_numpy(float)
    e, m = esda_run(esda.Geary, y, g, permutations=P), Geary(y, g, permutations=P, seed=SEED)
    for a in ["C", "EC", "VC_norm", "VC_rand", "z_norm", "z_rand", "p_norm", "p_rand", "p_sim", "EC_sim", "seC_sim",
              "z_sim", "p_z_sim"]:
        assert getattr(m, a) == pytest.approx(getattr(e, a), rel=1e-10), a
    e, m = esda_run(esda.G, y, g, permutations=P), G(y, g, permutations=P, seed=SEED)
    for a in ["G", "EG", "VG", "z_norm", "p_norm", "p_sim", "EG_sim", "seG_sim", "z_sim", "p_z_sim"]:
        assert getattr(m, a) == pytest.approx(getattr(e, a), rel=1e-10), a
    e, m = esda_run(esda.Moran_BV, x, y, g, permutations=P), MoranBV(x, y, g, permutations=P, seed=SEED)
    for a in ["I", "p_sim", "EI_sim", "seI_sim", "z_sim", "p_z_sim"]:
        assert getattr(m, a) == pytest.approx(getattr(e, a), rel=1e-10), a


def test_join_counts_equal_esda(columbus):
    df, g = columbus
    yb = (df["CRIME"] > df["CRIME"].median()).astype(float).to_numpy()
    e, m = esda_run(esda.Join_Counts, yb, g, permutations=P), JoinCounts(yb, g, permutations=P, seed=SEED)
    for a in ["bb", "ww", "bw", "J", "p_sim_bb", "p_sim_bw", "mean_bb", "mean_bw", "min_bb", "max_bw"]:
        assert getattr(m, a) == pytest.approx(getattr(e, a), rel=1e-12), a


def test_matrix_input_gives_each_column_as_alone(columbus):
    df, g = columbus
    Y = df[["CRIME", "HOVAL", "INC"]].to_numpy(float)
    both = Moran(Y, g, permutations=P, seed=SEED)
    for j in range(3):
        one = Moran(Y[:, j], g, permutations=P, seed=SEED)
        assert both.I[j] == pytest.approx(one.I, rel=1e-14)
        assert both.p_sim[j] == one.p_sim and both.z_sim[j] == pytest.approx(one.z_sim, rel=1e-12)


# ------------------------------------------------------------------ hand-checked
def line4():
    g = Graph.from_arrays([0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2], [1.0] * 6)
    return g, np.array([1.0, 2.0, 3.0, 4.0])


def test_four_unit_line_by_hand():
    g, y = line4()
    # z = (-1.5, -0.5, 0.5, 1.5), sum z^2 = 5; row-standardised lags (-0.5, -0.5, 0.5, 0.5):
    # sum z_i lag_i = 0.75 + 0.25 + 0.25 + 0.75 = 2, S0 = 4 -> I = 4/4 * 2/5 = 0.4
    m = Moran(y, g, permutations=0)
    assert m.I == pytest.approx(0.4, abs=1e-15)
    assert m.EI == pytest.approx(-1 / 3)
    # binary: S0 = 6, sum w z z = 2 * (0.75 - 0.25 + 0.75) = 2.5 -> I = 4/6 * 2.5/5 = 1/3
    assert Moran(y, g, transformation="b", permutations=0).I == pytest.approx(1 / 3, abs=1e-15)
    # Geary (row-standardised): sum w (y_i - y_j)^2 = 1 + 1 + 1 + 1 = 4 -> C = 3 * 4 / (2 * 4 * 5) = 0.3
    assert Geary(y, g, permutations=0).C == pytest.approx(0.3, abs=1e-15)


@pytest.mark.parametrize("size", [4, 6])
def test_checkerboard_rook_moran_is_minus_one(size):
    grid = lattice(size, size)
    w = Weights.build_rook(grid)
    y = ((grid["row"] + grid["col"]) % 2).to_numpy(float)
    assert Moran(y, w, permutations=0).I == pytest.approx(-1.0, abs=1e-14)
    jc = JoinCounts(y, w, permutations=0)
    assert jc.bb == 0 and jc.ww == 0 and jc.bw == jc.J == 2 * size * (size - 1)
    assert Geary(y, w, permutations=0).C > 1.0


def test_join_count_moments_equal_exact_enumeration():
    # a small irregular graph: a 2x3 rook lattice plus one diagonal link
    edges = [(0, 1), (1, 2), (3, 4), (4, 5), (0, 3), (1, 4), (2, 5), (0, 4)]
    h = [a for a, b in edges] + [b for a, b in edges]
    t = [b for a, b in edges] + [a for a, b in edges]
    g = Graph.from_arrays(h, t, [1.0] * len(h))
    n, n1 = 6, 3
    bbs, bws = [], []
    for ones in itertools.combinations(range(n), n1):
        y = np.zeros(n)
        y[list(ones)] = 1
        bb = sum(y[a] * y[b] for a, b in edges)
        bw = sum(y[a] != y[b] for a, b in edges)
        bbs.append(bb)
        bws.append(bw)
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    jc = JoinCounts(y, g, permutations=0)
    assert jc.E_bb == pytest.approx(np.mean(bbs), rel=1e-12)
    assert jc.V_bb == pytest.approx(np.var(bbs), rel=1e-12)
    assert jc.E_bw == pytest.approx(np.mean(bws), rel=1e-12)
    assert jc.V_bw == pytest.approx(np.var(bws), rel=1e-12)


def test_differential_moran_is_moran_of_change(columbus):
    df, g = columbus
    a, b = df["CRIME"].to_numpy(float), df["HOVAL"].to_numpy(float)
    d = moran_differential(a, b, g, permutations=P, seed=SEED)
    m = Moran(b - a, g, permutations=P, seed=SEED)
    assert d.I == m.I and d.p_sim == m.p_sim


def test_constant_variable_is_an_error(columbus):
    _, g = columbus
    with pytest.raises(MethodError, match="constant"):
        Moran(np.ones(49), g, permutations=0)


# ------------------------------------------------------------------ panel table
@pytest.fixture(scope="module")
def panel_and_weights():
    grid = lattice(5, 6)
    ws = build_weights_set(["rook", "knn4", "idw"], grid)
    W = ws["rook"].graph.sparse.toarray()
    panel = synthetic_panel(grid["adcode"], ["2021Q1", "2021Q2", "2021Q3"], ["dti", "platform"], seed=3, W=W, rho=0.6)
    return panel, ws


def test_global_table_shape_columns_and_shared_draws(panel_and_weights):
    panel, ws = panel_and_weights
    t = global_statistics(panel, ws, permutations=P, seed=SEED, bivariate=[("dti", "platform")])
    assert {"period", "variable", "weights", "statistic", "value", "expectation", "variance", "z_analytic", "p_analytic",
            "p_sim", "permutations", "seed"} <= set(t.columns)
    assert (t["seed"] == SEED).all() and (t["permutations"] == P).all()
    moran = t[t["statistic"] == "moran"]
    assert len(moran) == 3 * 3 * 2  # weights x periods x variables
    # every row equals the standalone statistic with the same seed (one set of draws for all)
    for w in ws.values():
        y = panel[panel["period"] == "2021Q2"].set_index("adcode").loc[w.ids, "platform"].to_numpy()
        one = Moran(y, w, permutations=P, seed=SEED)
        row = moran[(moran.weights == w.label) & (moran.period == "2021Q2") & (moran.variable == "platform")].iloc[0]
        assert row["value"] == pytest.approx(one.I, rel=1e-12)
        assert row["p_sim"] == one.p_sim
        assert row["z_analytic"] == pytest.approx(one.z_rand, rel=1e-10)
        assert row["p_analytic"] == pytest.approx(one.p_rand, rel=1e-10)
    # General G only for binary weights; a note for inverse distance
    g_idw = t[(t.statistic == "getis_ord_g") & (t.weights == "idw")]
    assert g_idw["value"].isna().all() and g_idw["note"].str.contains("binary").all()
    diff = t[t.statistic == "moran_differential"]
    assert set(diff["base_period"]) == {"2021Q1"} and set(diff["period"]) == {"2021Q3"}
    bv = t[t.statistic == "moran_bv"]
    assert set(bv["variable_y"]) == {"platform"} and bv["p_analytic"].isna().all()


def test_global_table_deterministic_and_seed_sensitive(panel_and_weights):
    panel, ws = panel_and_weights
    a = global_statistics(panel, ws["rook"], permutations=P, seed=1)
    b = global_statistics(panel, ws["rook"], permutations=P, seed=1)
    pd.testing.assert_frame_equal(a, b)
    c = global_statistics(panel, ws["rook"], permutations=P, seed=2)
    assert not np.allclose(a["z_sim"].to_numpy(float), c["z_sim"].to_numpy(float), equal_nan=True)


def test_join_counts_median_indicator_and_negative_values_note(panel_and_weights):
    panel, ws = panel_and_weights
    neg = panel.assign(growth=panel["dti"] - panel["dti"].mean())
    t = global_statistics(neg, ws["rook"], variables=["dti", "growth"], permutations=19, seed=SEED,
                          join_counts="median")
    jc = t[t.statistic == "join_counts_bb"]
    assert len(jc) == 6 and jc["note"].str.contains("median").all()
    gneg = t[(t.statistic == "getis_ord_g") & (t.variable == "growth")]
    assert gneg["value"].isna().all() and gneg["note"].str.contains("non-negative").all()


def test_robustness_table(panel_and_weights):
    panel, ws = panel_and_weights
    t = global_statistics(panel, ws, permutations=P, seed=SEED)
    r = robustness_table(t)
    assert set(r["weights"]) == {"rook", "knn4", "idw"}
    assert len(r) == 3 * 3 * 2
    one = r[(r.variable == "dti") & (r.period == "2021Q1")]
    assert one["i_min"].nunique() == 1 and one["i_min"].iloc[0] == one["moran_i"].min()
    assert one["same_sign"].iloc[0] == bool((one["moran_i"] > 0).all() or (one["moran_i"] < 0).all())
    assert set(r["stars"]) <= {"", "*", "**", "***"}


def test_global_statistics_equal_esda_on_the_370_bundled_units():
    from geodti import gazetteer

    w = Weights.from_spec("knn6", gazetteer())
    y = np.random.default_rng(12).lognormal(size=w.n)  # SYNTHETIC values on the real layout
    e, m = esda_run(esda.Moran, y, w.graph, permutations=P), Moran(y, w, permutations=P, seed=SEED)
    for a in ["I", "VI_norm", "VI_rand", "z_rand", "p_rand", "p_sim", "z_sim"]:
        assert getattr(m, a) == pytest.approx(getattr(e, a), rel=1e-10), a
    e, m = esda_run(esda.Geary, y, w.graph, permutations=P), Geary(y, w, permutations=P, seed=SEED)
    for a in ["C", "VC_norm", "VC_rand", "p_sim", "z_sim"]:
        assert getattr(m, a) == pytest.approx(getattr(e, a), rel=1e-10), a
    e, m = esda_run(esda.G, y, w.original, permutations=P), G(y, w, permutations=P, seed=SEED)
    for a in ["G", "EG", "VG", "z_norm", "p_sim", "z_sim"]:
        assert getattr(m, a) == pytest.approx(getattr(e, a), rel=1e-10), a
