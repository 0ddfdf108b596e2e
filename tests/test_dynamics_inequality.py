"""Dagum's Gini decomposition and Theil's T: a hand-worked example and identities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodti.dynamics import dagum_decomposition, dagum_gini, gini, theil
from tests.dynamics_fixtures import panel_from_matrix


def test_dagum_worked_example_by_hand():
    # A = {1, 3}, B = {2, 6}; n = 4, mean 3.
    # G   = sum|yi-yr| / (2 n^2 m) = 32 / 96 = 1/3
    # G_AA = 4 / (2*4*2) = 1/4, G_BB = 8 / (2*4*4) = 1/4; p = (1/2, 1/2); s = (1/3, 2/3)
    # G_w = 1/4*1/2*1/3 + 1/4*1/2*2/3 = 1/8
    # G_BA = (1+1+5+3) / (2*2*(4+2)) = 5/12; weight p_B s_A + p_A s_B = 1/2; G_gb = 5/24
    # d_BA = (1+0+5+3)/4 = 9/4, p_BA = (0+1+0+0)/4 = 1/4, D_BA = 8/10
    # G_nb = 5/24 * 4/5 = 1/6, G_t = 5/24 * 1/5 = 1/24
    res = dagum_decomposition([1, 3, 2, 6], ["A", "A", "B", "B"])
    c = res["components"].iloc[0]
    assert c["gini"] == pytest.approx(1 / 3)
    assert c["G_w"] == pytest.approx(1 / 8)
    assert c["G_nb"] == pytest.approx(1 / 6)
    assert c["G_t"] == pytest.approx(1 / 24)
    assert c["share_w"] + c["share_nb"] + c["share_t"] == pytest.approx(1.0)
    g = res["groups"].set_index("group")
    assert g.loc["A", "G_jj"] == pytest.approx(0.25) and g.loc["B", "G_jj"] == pytest.approx(0.25)
    assert g.loc["A", "s"] == pytest.approx(1 / 3) and g.loc["B", "p"] == pytest.approx(0.5)
    pair = res["pairs"].iloc[0]
    assert (pair["group_j"], pair["group_h"]) == ("B", "A")  # j has the higher mean
    assert pair["G_jh"] == pytest.approx(5 / 12)
    assert pair["d_jh"] == pytest.approx(9 / 4) and pair["p_jh"] == pytest.approx(1 / 4)
    assert pair["D_jh"] == pytest.approx(0.8)


def test_dagum_identities_on_random_groups():
    rng = np.random.default_rng(3)
    y = rng.lognormal(0, 1.2, 120)
    labels = rng.choice(["东部", "中部", "西部", "东北"], 120)
    res = dagum_decomposition(y, labels)
    c = res["components"].iloc[0]
    direct = np.abs(y[:, None] - y[None, :]).sum() / (2 * len(y) ** 2 * y.mean())
    assert c["gini"] == pytest.approx(direct, rel=1e-12)
    assert c["G_w"] + c["G_nb"] + c["G_t"] == pytest.approx(c["gini"], rel=1e-12)
    assert abs(c["identity_gap"]) < 1e-12
    assert res["pairs"]["D_jh"].between(0, 1).all()
    assert len(res["pairs"]) == 6 and c["k"] == 4
    # the Gini of the sorted-values formula agrees too
    ys = np.sort(y)
    i = np.arange(1, len(ys) + 1)
    assert gini(y) == pytest.approx((2 * (i * ys).sum() / (len(ys) * ys.sum())) - (len(ys) + 1) / len(ys))


def test_dagum_one_group_is_all_within_and_separated_groups_all_net_between():
    y = np.array([1.0, 2.0, 4.0])
    c = dagum_decomposition(y, ["x"] * 3)["components"].iloc[0]
    assert c["G_w"] == pytest.approx(c["gini"]) and c["G_nb"] == 0 and c["G_t"] == 0
    c2 = dagum_decomposition([1, 2, 10, 11], ["a", "a", "b", "b"])
    assert c2["pairs"]["D_jh"].iloc[0] == pytest.approx(1.0)  # no overlap: no transvariation
    assert c2["components"]["G_t"].iloc[0] == pytest.approx(0.0)


def test_dagum_per_period_with_overlap_rule_and_outside_group():
    ids = ["130400", "110100", "140800", "610100", "650100", "310100"]
    # 邯郸 (京津冀 + 中原), 北京 (京津冀), 运城 (中原 + 关中平原), 西安 (关中平原),
    # 乌鲁木齐 (no agglomeration), 上海 (长三角)
    panel = panel_from_matrix(np.array([[1, 2], [9, 9], [1, 1], [3, 4], [0.5, 0.6], [8, 9.0]]),
                              ids, ["2021Q1", "2021Q2"])
    res = dagum_gini(panel, by="agglomeration")
    g = res["groups"][res["groups"]["period"] == "2021Q1"].set_index("group")
    assert g.loc["京津冀", "n"] == 2  # 邯郸 assigned to the smaller 京津冀
    assert g.loc["关中平原", "n"] == 2  # 运城 assigned to the smaller 关中平原
    assert g.loc["其他", "n"] == 1
    assert "中原" not in g.index
    assert set(res["components"].attrs["notes"]["overlap"]) == {"130400", "140800"}
    comp = res["components"]
    for period, part in panel.groupby("period"):
        row = comp[comp["period"] == period].iloc[0]
        assert row["gini"] == pytest.approx(gini(part["dti"]))
    ex = dagum_gini(panel, by="agglomeration", overlap="exclude", outside=None)
    assert ex["components"]["n"].iloc[0] == 3
    with pytest.raises(Exception, match="two groups|2 groups"):
        dagum_gini(panel, by="agglomeration", overlap="error")


def test_theil_matches_direct_computation():
    rng = np.random.default_rng(5)
    ids = [f"{110100 + 100 * i}" for i in range(40)]
    y = rng.lognormal(0, 1, 40)
    grp = pd.DataFrame({"adcode": ids, "tier": rng.choice(["一线", "二线", "三线"], 40)})
    panel = panel_from_matrix(y[:, None], ids, ["2021Q1"])
    t = theil(panel, by="tier", groups=grp).iloc[0]
    m = y.mean()
    total = np.mean(y / m * np.log(y / m))
    lab = grp["tier"].to_numpy()
    between = sum((y[lab == g].sum() / y.sum()) * np.log(y[lab == g].mean() / m) for g in set(lab))
    within = sum((y[lab == g].sum() / y.sum())
                 * np.mean(y[lab == g] / y[lab == g].mean() * np.log(y[lab == g] / y[lab == g].mean()))
                 for g in set(lab))
    assert t["theil"] == pytest.approx(total, rel=1e-9)
    assert t["between"] == pytest.approx(between, rel=1e-9)
    assert t["within"] == pytest.approx(within, rel=1e-9)
    assert t["share_between"] + t["share_within"] == pytest.approx(1.0)
