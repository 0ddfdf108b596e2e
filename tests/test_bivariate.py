"""The second index: bivariate LISA equal to esda's ``Moran_Local_BV`` (Is, p_sim with the same
seed and permutations, quadrants), global bivariate Moran both ways equal to ``Moran_BV``, the
correlation table equal to scipy's, and the registry entry offered for pairs only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import esda
import numpy as np
import pytest
from scipy import stats
from spatial_fixtures import lattice, synthetic_panel

from geodti.errors import InputError, MethodError
from geodti.spatial import build_weights_set, local_statistics
from geodti.spatial.bivariate import correlation_by_period, cross_index_tables
from geodti.spatial.local import adjust_pvalues, bivariate_local_statistics
from geodti.spatial.moran import MoranLocalBV
from geodti.spatial._permutation import TIE_RTOL
from geodti.spatial.registry import DEFAULT_LOCAL_STATISTICS, LOCAL_STATISTICS

sys.path.insert(0, str(Path(__file__).parent / "data"))

QUADS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def no_tie(sims, obs):
    """Units whose esda simulations never (numerically) tie the observed value: there esda's
    p-value rests on rounding (binary knn weights draw the same neighbour set in another order)
    and geodti counts the tie on both sides."""
    scale = np.abs(obs)[:, None] + np.abs(sims).mean(axis=1, keepdims=True) + sims.std(axis=1, keepdims=True)
    return ~(np.abs(sims - obs[:, None]) <= 10 * TIE_RTOL * scale).any(axis=1)


@pytest.fixture(scope="module")
def columbus():
    from make_esda_reference import graphs

    return graphs()


def test_bivariate_lisa_equals_esda_on_columbus(columbus):
    df, gs = columbus
    x, y = df["CRIME"].to_numpy(float), df["HOVAL"].to_numpy(float)
    for name in ("queen", "idwband"):  # binary and weighted rows (esda's numba compile costs seconds each)
        g = gs[name]
        e = esda.Moran_Local_BV(x, y, g, permutations=999, seed=7)
        m = MoranLocalBV(x, y, g, permutations=999, seed=7, keep_simulations=True)
        np.testing.assert_allclose(m.Is, e.Is, rtol=0, atol=1e-12, err_msg=name)
        # esda's draws reproduced: the simulated values themselves ((P, n) both)
        np.testing.assert_allclose(m.sim, e.sim, rtol=1e-9, atol=1e-12, err_msg=name)
        ok = no_tie(e.sim.T, e.Is)
        assert ok.mean() > 0.7, name
        np.testing.assert_array_equal(m.p_sim[ok], e.p_sim[ok], err_msg=name)
        assert (m.p_sim[~ok] >= e.p_sim[~ok]).all(), name  # ties: conservative
        np.testing.assert_allclose(m.EI_sim, e.EI_sim, rtol=0, atol=1e-9, err_msg=name)
        np.testing.assert_array_equal(m.q, [QUADS[q] for q in e.q], err_msg=name)
        assert (m.p_sim < 0.05).any()  # something significant to match


def test_swapping_the_variables_changes_the_statistic(columbus):
    df, gs = columbus
    x, y = df["CRIME"].to_numpy(float), df["HOVAL"].to_numpy(float)
    a = MoranLocalBV(x, y, gs["queen"], permutations=99, seed=1)
    b = MoranLocalBV(y, x, gs["queen"], permutations=99, seed=1)
    assert not np.allclose(a.Is, b.Is)


@pytest.fixture(scope="module")
def grid_panel():
    grid = lattice(6, 6)
    ws = build_weights_set(["queen", "knn4"], grid)
    W = ws["queen"].graph.sparse.toarray()
    panel = synthetic_panel(grid["adcode"], ["2022Q1", "2022Q2"], ["dti", "future"], seed=5, W=W, rho=0.7)
    return panel, ws


def test_panel_table_equals_esda_with_fdr_clusters(grid_panel):
    panel, ws = grid_panel
    w = ws["knn4"]
    t = bivariate_local_statistics(panel, w, [("dti", "future")], permutations=199, seed=3, alpha=0.2,
                                   on_budget="ignore")
    assert set(t["statistic"]) == {"lisa_bv"} and set(t["variable_y"]) == {"future"}
    assert {"value", "z_sim", "p_sim", "p_adjusted", "cluster", "inference", "permutations", "seed"} <= set(t)
    seen = set()
    for period, rows in t.groupby("period"):
        part = panel[panel.period == period].set_index("adcode").loc[w.ids]
        e = esda.Moran_Local_BV(part["dti"].to_numpy(), part["future"].to_numpy(), w.graph, permutations=199,
                                seed=3)
        np.testing.assert_allclose(rows["value"], e.Is, atol=1e-12)
        np.testing.assert_allclose(rows["p_sim"], e.p_sim, atol=1e-12)
        adjusted = stats.false_discovery_control(e.p_sim, method="bh")
        np.testing.assert_allclose(rows["p_fdr"], adjusted, atol=1e-12)
        quad = np.array([QUADS[q] for q in e.q], dtype=object)
        expected = np.where(adjusted <= 0.2, quad, "not_significant")
        np.testing.assert_array_equal(rows["cluster"], expected)
        seen |= set(expected)
    assert seen - {"not_significant"}  # the clusters were not all empty


def test_global_bivariate_moran_both_ways_equals_esda(grid_panel):
    panel, ws = grid_panel
    w = ws["queen"]
    t = cross_index_tables(panel, "dti", "future", w, permutations=99, seed=11, on_budget="ignore")
    g = t["moran_bv"]
    assert len(g) == 4 and set(zip(g.variable, g.variable_y)) == {("dti", "future"), ("future", "dti")}
    for r in g.itertuples():
        part = panel[panel.period == r.period].set_index("adcode").loc[w.ids]
        np.random.seed(11)
        e = esda.Moran_BV(part[r.variable].to_numpy(), part[r.variable_y].to_numpy(), w.graph, permutations=99)
        assert r.value == pytest.approx(e.I, abs=1e-12)
        assert r.p_sim == pytest.approx(e.p_sim, abs=1e-12)
    lisa = t["lisa_bv"]
    assert set(zip(lisa.variable, lisa.variable_y)) == {("dti", "future"), ("future", "dti")}
    assert len(lisa) == 2 * 2 * len(w.ids)


def test_correlation_equals_scipy(grid_panel):
    panel, _ = grid_panel
    t = correlation_by_period(panel, "dti", "future")
    assert list(t["period"]) == ["2022Q1", "2022Q2"]
    for r in t.itertuples():
        part = panel[panel.period == r.period]
        pr = stats.pearsonr(part["dti"], part["future"])
        sr = stats.spearmanr(part["dti"], part["future"])
        assert r.n == len(part)
        assert r.pearson == pytest.approx(pr.statistic, abs=1e-12)
        assert r.p_pearson == pytest.approx(pr.pvalue, rel=1e-9)
        assert r.spearman == pytest.approx(sr.statistic, abs=1e-12)
        assert r.p_spearman == pytest.approx(sr.pvalue, rel=1e-9)


def test_bivariate_lisa_only_for_pairs(grid_panel):
    panel, ws = grid_panel
    assert "lisa_bv" in LOCAL_STATISTICS and "lisa_bv" not in DEFAULT_LOCAL_STATISTICS
    with pytest.raises(MethodError, match="bivariate"):
        local_statistics(panel, ws["queen"], statistics=("lisa_bv",), permutations=9)
    with pytest.raises(MethodError, match="not a statistic of two variables"):
        bivariate_local_statistics(panel, ws["queen"], [("dti", "future")], statistics=("lisa",), permutations=9)
    with pytest.raises(InputError, match="two different variables"):
        cross_index_tables(panel, "dti", "dti", ws["queen"], permutations=9)
    assert np.isfinite(adjust_pvalues(np.array([0.01, 0.5]), "fdr")).all()


def test_second_index_uses_the_overlap_and_lists_the_rest():
    import pandas as pd

    from geodti.run.steps import second_index_panel

    first = pd.DataFrame({"adcode": ["1", "1", "2", "2", "3"], "period": ["A", "B", "A", "B", "B"],
                          "dti": [1.0, 2, 3, 4, 5]})
    second = pd.DataFrame({"adcode": ["1", "2", "2", "4"], "period": ["B", "A", "B", "B"], "fi": [7.0, 8, 9, 10]})
    both, left = second_index_panel(first, "dti", second, "fi", "--second x.csv")
    assert list(both["period"].unique()) == ["A", "B"]
    assert set(both["adcode"]) == {"2"}  # the only city with both indices in both common periods
    reasons = dict(zip(zip(left["adcode"], left["period"]), left["reason"]))
    assert reasons[("1", "A")] == reasons[("3", "B")] == "main index only"
    assert reasons[("4", "B")] == "second index only"
    assert reasons[("1", "B")] == "city lacks one index in another common period"
    assert len(left) == 4


def test_second_index_without_overlap_is_a_clear_error():
    import pandas as pd

    from geodti.run.steps import second_index_panel

    first = pd.DataFrame({"adcode": ["1"], "period": ["2021Q1"], "dti": [1.0]})
    second = pd.DataFrame({"adcode": ["1"], "period": ["2022Q1"], "fi": [2.0]})
    with pytest.raises(InputError, match=r"--second x.csv: the second index shares no city and period"):
        second_index_panel(first, "dti", second, "fi", "--second x.csv")


def test_the_second_sample_is_registered_and_synthetic():
    from geodti.io.panel import read_panel
    from geodti.io.samples import SAMPLES

    assert "SYNTHETIC" in SAMPLES["second"].file and "SYNTHETIC" in SAMPLES["second"].description
    panel = read_panel("sample:second")
    assert panel["adcode"].nunique() == 367 and sorted(panel["period"].unique())[0] == "2022Q1"
    assert (panel["future_industries"] > 0).all()


def test_a_run_with_a_second_index_writes_its_tables_page_and_layer(tmp_path, capsys):
    """End to end: 56 cities of the (SYNTHETIC) sample against the SYNTHETIC second index; the
    overlap is used (2022Q1-2023Q1), the rest listed, and the layer is as documented."""
    import json

    import pyogrio
    from test_run import _run_layer_docs

    import pandas as pd

    from geodti import cli
    from geodti.io.panel import read_panel

    panel = read_panel("sample:panel")
    keep = panel[panel["adcode"].str[:2].isin(["32", "33", "34", "37"])]  # 江苏 浙江 安徽 山东
    table = tmp_path / "east.csv"
    keep[["adcode", "name", "period", "dti"]].to_csv(table, index=False)
    out = tmp_path / "out"
    assert cli.main(["run", str(table), "--out", str(out), "--second", "sample:second",
                     "--permutations", "19", "--jobs", "1", "--weights", "queen"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert not [s for s in manifest["steps"] if s["step"] == "second index" and s.get("skipped")]
    moran = pd.read_csv(out / "tables/second_moran_bv.csv")
    assert set(zip(moran["variable"], moran["variable_y"])) == {("dti", "future_industries"),
                                                                ("future_industries", "dti")}
    coverage = pd.read_csv(out / "tables/second_coverage.csv", dtype={"adcode": str})
    # the second index starts in 2022 and covers every city: the table's 2021 quarters and the
    # other cities' rows are listed, never dropped silently
    main_only = coverage[coverage["reason"] == "main index only"]
    assert set(main_only["period"]) == {"2021Q1", "2021Q2", "2021Q3", "2021Q4"}
    assert len(main_only) == 4 * keep["adcode"].nunique()
    second_only = coverage[coverage["reason"] == "second index only"]
    assert not set(second_only["adcode"]) & set(keep["adcode"])
    assert set(coverage["reason"]) == {"main index only", "second index only"}
    assert len(list(out.glob("lisa_bv_*.html"))) == 1
    assert "Second index" in (out / "index.html").read_text(encoding="utf-8")
    info = pyogrio.read_info(out / "layers/geodti.gpkg", layer="lisa_bv")
    types = {"object": "text", "bool": "boolean", "int64": "integer", "float64": "real"}
    docs = _run_layer_docs()  # the fields of lisa, then those documented for lisa_bv
    assert docs["lisa"] + docs["lisa_bv"] == [(f, types[str(t)]) for f, t in zip(info["fields"], info["dtypes"])]
    assert info["features"] == keep["adcode"].nunique()
