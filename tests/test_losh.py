"""LOSH, the local statistic added through the registry: equal to esda's ``LOSH`` (values and
chi-square p-values) and in the panel table on request only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import esda
import numpy as np
import pytest
from scipy import stats
from spatial_fixtures import lattice, synthetic_panel

from geodti.errors import MethodError
from geodti.spatial import build_weights_set, local_statistics
from geodti.spatial.losh import LOSH
from geodti.spatial.registry import DEFAULT_LOCAL_STATISTICS, LOCAL_STATISTICS

sys.path.insert(0, str(Path(__file__).parent / "data"))


@pytest.fixture(scope="module")
def columbus():
    from make_esda_reference import graphs

    return graphs()


def test_losh_equals_esda_on_columbus(columbus):
    df, gs = columbus
    for column in ("CRIME", "HOVAL"):
        y = df[column].to_numpy(float)
        for name, g in gs.items():
            e = esda.LOSH(connectivity=g, inference="chi-square").fit(y)
            m = LOSH(y, g)
            for a in ("Hi", "ylag", "VarHi", "pval"):
                np.testing.assert_allclose(getattr(m, a), getattr(e, a), rtol=0, atol=1e-9,
                                           err_msg=f"{column} {name} {a}")
            assert (m.pval < 0.05).any() or name != "queen"  # something to match, not only ones


def test_losh_is_invariant_to_row_scaling(columbus):
    df, gs = columbus
    y = df["CRIME"].to_numpy(float)
    e = esda.LOSH(connectivity=gs["queen"].transform("r"), inference="chi-square").fit(y)
    np.testing.assert_allclose(LOSH(y, gs["queen"]).pval, e.pval, atol=1e-9)


@pytest.fixture(scope="module")
def grid_panel():
    grid = lattice(6, 6)
    ws = build_weights_set(["queen", "knn4"], grid)
    W = ws["queen"].graph.sparse.toarray()
    panel = synthetic_panel(grid["adcode"], ["2022Q1", "2022Q2"], ["dti"], seed=5, W=W, rho=0.7)
    return panel, ws


def test_losh_in_the_panel_table_equals_esda(grid_panel):
    panel, ws = grid_panel
    w = ws["knn4"]
    t = local_statistics(panel, w, statistics=("losh",), permutations=0, correction="fdr", alpha=0.2)
    assert set(t["statistic"]) == {"losh"} and (t["inference"] == "analytic").all()
    assert t["p_sim"].isna().all() and t["z_sim"].isna().all()
    for period, rows in t.groupby("period"):
        y = panel[panel.period == period].set_index("adcode").loc[w.ids, "dti"].to_numpy()
        e = esda.LOSH(connectivity=w.graph, inference="chi-square").fit(y)
        np.testing.assert_allclose(rows["value"], e.Hi, atol=1e-9)
        np.testing.assert_allclose(rows["p_analytic"], e.pval, atol=1e-9)
        adjusted = stats.false_discovery_control(e.pval, method="bh")
        np.testing.assert_allclose(rows["p_fdr"], adjusted, atol=1e-9)
        expected = np.where(adjusted <= 0.2, "heterogeneous", "not_significant")
        np.testing.assert_array_equal(rows["cluster"], expected)


def test_losh_only_on_request(grid_panel):
    panel, ws = grid_panel
    assert "losh" in LOCAL_STATISTICS and "losh" not in DEFAULT_LOCAL_STATISTICS
    t = local_statistics(panel, ws["queen"], permutations=19, seed=1, on_budget="ignore")
    assert set(t["statistic"]) == set(DEFAULT_LOCAL_STATISTICS)
    with pytest.raises(MethodError, match="lisa"):
        local_statistics(panel, ws["queen"], statistics=("losh", "lisa"), permutations=0)
