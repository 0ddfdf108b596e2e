"""Summary tables on a tiny hand-computed fixture.

Six cities; each keeps its 2021 value through 2021, multiplies it by (1 + r) in every 2022
quarter and by (1 + r)^2 in 2023Q1, so every quarterly YoY from 2022Q1 to 2023Q1 equals r:

    city  base  r    2022  2023Q1   agglomerations   tier
    c1    40    0    40    40       X                A
    c2    20    0.5  30    45       X                A
    c3    10    1    20    40       X, Y             B
    c4    10    0    10    10       Y                B
    c5    15    0    15    15       -                B
    c6     5    1    10    20       -                (none)

National total in 2023Q1: 40 + 45 + 40 + 10 + 15 + 20 = 170.
"""

import numpy as np
import pandas as pd
import pytest

from geodti.errors import MethodError
from geodti.index.summary import (
    UNASSIGNED, aggregate, agglomeration_coverage, agglomeration_table, group_rank_change,
    group_summary, industry_view, layer_summary, layer_variability, within_agglomeration,
)

CITIES = {"c1": (40, 0.0), "c2": (20, 0.5), "c3": (10, 1.0), "c4": (10, 0.0), "c5": (15, 0.0),
          "c6": (5, 1.0)}
CODES = {c: f"11{i:02d}00" for i, c in enumerate(CITIES, start=1)}
QUARTERS = [f"{y}Q{q}" for y in (2021, 2022) for q in range(1, 5)] + ["2023Q1"]
# Layer mix (share of dti): c4 leans on applications, everyone else on infrastructure.
MIX = {c: (0.5, 0.3, 0.2) for c in CITIES} | {"c4": (0.1, 0.2, 0.7)}


def _panel():
    rows = []
    for c, (base, r) in CITIES.items():
        for q in QUARTERS:
            k = {"2021": 0, "2022": 1, "2023": 2}[q[:4]]
            v = base * (1 + r) ** k
            inf, pla, app = (v * m for m in MIX[c])
            rows.append({"adcode": CODES[c], "period": q, "infrastructure": inf, "platform": pla,
                         "application": app, "dti": v})
    return pd.DataFrame(rows)


def _agglomerations():
    rows = [("X", "c1"), ("X", "c2"), ("X", "c3"), ("Y", "c3"), ("Y", "c4")]
    return pd.DataFrame({"agglomeration": [a for a, _ in rows],
                         "adcode": [CODES[c] for _, c in rows],
                         "name": [f"city {c}" for _, c in rows]})


def _tiers():
    return pd.DataFrame({"adcode": [CODES[c] for c in ("c1", "c2", "c3", "c4", "c5")],
                         "tier": ["A", "A", "B", "B", "B"]})


def test_agglomeration_table():
    panel = _panel()
    before = panel.copy()
    t = agglomeration_table(panel, _agglomerations(), period="2023Q1").set_index("agglomeration")
    pd.testing.assert_frame_equal(panel, before)
    assert t.loc["X", "rank"] == 1 and t.loc["Y", "rank"] == 2
    assert t.loc["X", "n_members"] == 3 and t.loc["Y", "n_members"] == 2
    assert t.loc["X", "total"] == pytest.approx(125)              # 40 + 45 + 40
    assert t.loc["X", "share"] == pytest.approx(125 / 170)
    assert t.loc["Y", "share"] == pytest.approx(50 / 170)         # c3 counts in both
    assert t.loc["X", "mean"] == pytest.approx(125 / 3)
    assert t.loc["X", "mean_growth"] == pytest.approx(0.5)       # (0 + 0.5 + 1) / 3
    # X total: 70 in 2021, 90 in 2022, 125 in 2023Q1 -> YoY 2/7 four times, then 125/90 - 1.
    assert t.loc["X", "total_growth"] == pytest.approx((4 * (90 / 70 - 1) + (125 / 90 - 1)) / 5)
    assert t.loc["X", "leading_name"] == "city c2"
    # Y layers: c3 (20, 12, 8) + c4 (1, 2, 7) = infrastructure 21, application 15, platform 14.
    assert t.loc["Y", ["top1", "top2", "top3"]].tolist() == ["infrastructure", "application",
                                                              "platform"]
    assert t.loc["X", "missing_members"] == ""


def test_agglomeration_member_missing_from_panel_is_reported():
    agg = pd.concat([_agglomerations(), pd.DataFrame({"agglomeration": ["Y"], "adcode": ["999999"]})])
    t = agglomeration_table(_panel(), agg).set_index("agglomeration")
    assert t.loc["Y", "n_members"] == 3 and t.loc["Y", "n_in_panel"] == 2
    assert t.loc["Y", "missing_members"] == "999999"


def test_coverage_counts_each_city_once():
    c = agglomeration_coverage(_panel(), _agglomerations(), period="2023Q1").iloc[0]
    assert c["n_cities"] == 4 and c["n_memberships"] == 5 and c["n_multi"] == 1
    assert c["city_share"] == pytest.approx(4 / 6)
    assert c["index_share"] == pytest.approx(135 / 170)        # 40 + 45 + 40 + 10, c3 once
    assert "79.4%" in c["statement_en"] and "66.7%" in c["statement_en"]
    assert c["statement_zh"].startswith("2大城市群的4个城市")


def test_within_agglomeration():
    w = within_agglomeration(_panel(), _agglomerations(), agglomeration="X").set_index("adcode")
    c1, c2, c3 = (w.loc[CODES[c]] for c in ("c1", "c2", "c3"))
    # 2022: 40, 30, 20 -> ranks 1, 2, 3. 2023Q1: 40, 45, 40 -> 2, 1, 2 (tie, 'min').
    assert [c1["earlier_rank"], c2["earlier_rank"], c3["earlier_rank"]] == [1, 2, 3]
    assert [c1["later_rank"], c2["later_rank"], c3["later_rank"]] == [2, 1, 2]
    assert [c1["rank_change"], c2["rank_change"], c3["rank_change"]] == [-1, 1, 1]
    assert [c1["growth_rank"], c2["growth_rank"], c3["growth_rank"]] == [3, 2, 1]
    assert c2["share"] == pytest.approx(45 / 125)
    assert c3["growth"] == pytest.approx(1.0)
    # c3 is ranked inside Y too.
    both = within_agglomeration(_panel(), _agglomerations())
    assert (both["adcode"] == CODES["c3"]).sum() == 2
    with pytest.raises(MethodError, match="unknown"):
        within_agglomeration(_panel(), _agglomerations(), agglomeration="Z")


def test_group_summary_with_user_tiers():
    g = group_summary(_panel(), _tiers(), "tier", period="2023Q1", top_k=1).set_index("tier")
    assert list(g.index) == ["A", "B", UNASSIGNED]               # largest total first
    assert g.loc["A", "total"] == pytest.approx(85)                # 40 + 45
    assert g.loc["A", "share"] == pytest.approx(0.5)
    assert g.loc["A", "top_k_share"] == pytest.approx(45 / 85)
    assert g.loc["A", "hhi"] == pytest.approx((40 / 85) ** 2 + (45 / 85) ** 2)
    assert g.loc["B", "mean_growth"] == pytest.approx(1 / 3)      # (1 + 0 + 0) / 3
    assert g.loc[UNASSIGNED, "n_cities"] == 1 and g.loc[UNASSIGNED, "total"] == pytest.approx(20)
    assert g["share"].sum() == pytest.approx(1.0)
    with pytest.raises(MethodError, match=r"1 unit\(s\).*no 'tier'"):
        group_summary(_panel(), _tiers(), "tier", unassigned="error")


def test_group_rank_change():
    rc = group_rank_change(_panel(), _tiers(), "tier").set_index("tier")
    # 2022: A 70, B 45, unassigned 10; 2023Q1: A 85, B 65, unassigned 20.
    assert rc.loc["A", "earlier_value"] == pytest.approx(70)
    assert rc["rank_change"].tolist() == [0, 0, 0]


def test_aggregate_never_partial_sum():
    p = _panel()
    p.loc[(p["adcode"] == CODES["c1"]) & (p["period"] == "2022Q3"), "dti"] = np.nan
    p = p[~((p["adcode"] == CODES["c2"]) & (p["period"] == "2022Q4"))]
    a = aggregate(p, _tiers(), "tier", "dti").set_index(["tier", "period"])
    assert np.isnan(a.loc[("A", "2022Q3"), "dti"])
    assert np.isnan(a.loc[("A", "2022Q4"), "dti"]) and not a.loc[("A", "2022Q4"), "complete"]
    assert a.loc[("A", "2022Q1"), "dti"] == pytest.approx(70)
    with pytest.raises(MethodError, match="no 'dti' for 2022Q3"):
        group_summary(p, _tiers(), "tier", period="2022Q3")


def test_layer_summary_and_variability():
    s = layer_summary(_panel()).set_index(["period", "variable"])
    # National infrastructure in 2021: 0.5 * (40 + 20 + 10 + 15 + 5) + 0.1 * 10 = 46.
    assert s.loc[("2021Q1", "infrastructure"), "total"] == pytest.approx(46)
    assert s.loc[("2022Q1", "dti"), "yoy"] == pytest.approx(125 / 100 - 1)
    v = layer_variability(_panel()).set_index("variable")
    assert v["least_variable"].sum() == 1
    assert v.loc[v["least_variable"]].index[0] in ("infrastructure", "platform", "application")
    assert v.loc["dti", "variability_rank"] is pd.NA


def test_platform_is_the_stabiliser():
    # National totals: platform flat, the other layers swing; platform must be least variable.
    rows = []
    for k, q in enumerate(QUARTERS):
        swing = 1.0 + (0.2 if k % 2 else -0.1)
        rows.append({"adcode": "110000", "period": q, "infrastructure": 10 * swing,
                     "platform": 10.0 * (1.01 ** k), "application": 10 / swing, "dti": 30.0})
    v = layer_variability(pd.DataFrame(rows)).set_index("variable")
    assert v.loc["platform", "variability_rank"] == 1 and v.loc["platform", "least_variable"]


def test_industry_view_quadrants():
    # Province-level panel, two industries; growth via constant YoY as above.
    #            finance (2022, r)   manufacturing (2022, r)   local share of finance
    # P1         30, 0.4             10, 0.1                   0.75
    # P2         10, 0.1             30, 0.4                   0.25
    # P3         20, 0.3             20, 0.2                   0.50
    # P4         24, 0.05            16, 0.3                   0.60
    spec = {"P1": ((30, 0.4), (10, 0.1)), "P2": ((10, 0.1), (30, 0.4)),
            "P3": ((20, 0.3), (20, 0.2)), "P4": ((24, 0.05), (16, 0.3))}
    rows = []
    for prov, ((f22, fr), (m22, mr)) in spec.items():
        for q in QUARTERS:
            k = {"2021": -1, "2022": 0, "2023": 1}[q[:4]]
            rows.append({"province": prov, "period": q, "industry_finance": f22 * (1 + fr) ** k,
                         "industry_manufacturing": m22 * (1 + mr) ** k})
    v = industry_view(pd.DataFrame(rows), None, period="2022").set_index(["industry", "province"])
    fin = v.loc["finance"]
    assert fin["share"].to_dict() == pytest.approx({"P1": 0.75, "P2": 0.25, "P3": 0.5, "P4": 0.6})
    assert fin["share_rank"].to_dict() == {"P1": 1, "P4": 2, "P3": 3, "P2": 4}
    assert fin["growth"].to_dict() == pytest.approx({"P1": 0.4, "P2": 0.1, "P3": 0.3, "P4": 0.05})
    # Medians: share 0.55, growth 0.2; high = strictly above.
    assert fin.loc["P1", "quadrant_zh"] == "占比高、增速高"
    assert fin.loc["P4", "quadrant"] == "high share, low growth"
    assert fin.loc["P3", "quadrant"] == "low share, high growth"
    assert fin.loc["P2", "quadrant"] == "low share, low growth"
    nat = industry_view(pd.DataFrame(rows), None, period="2022", share="national")
    nat = nat.set_index(["industry", "province"])
    assert nat.loc[("finance", "P1"), "share"] == pytest.approx(30 / 84)


def test_industry_view_from_city_panel():
    p = _panel().rename(columns={"infrastructure": "industry_a", "application": "industry_b"})
    prov = pd.DataFrame({"adcode": list(CODES.values()), "province": ["P", "P", "Q", "Q", "Q", "Q"]})
    v = industry_view(p, prov, period="2023Q1").set_index(["industry", "province"])
    # P industry_a in 2023Q1 = 0.5 * (40 + 45) = 42.5; industry_b = 0.2 * 85 = 17.
    assert v.loc[("a", "P"), "index"] == pytest.approx(42.5)
    assert v.loc[("a", "P"), "share"] == pytest.approx(42.5 / 59.5)


def test_missing_grouping_columns():
    with pytest.raises(MethodError, match="needs columns 'adcode' and 'region'"):
        group_summary(_panel(), _tiers(), "region")
    with pytest.raises(MethodError, match="agglomerations table lacks"):
        agglomeration_table(_panel(), _tiers())


def test_coverage_on_bundled_agglomerations_counts_double_members_once():
    from geodti.places.gazetteer import agglomerations, gazetteer

    units = gazetteer()["adcode"]
    panel = pd.DataFrame({"adcode": units, "period": "2023Q1", "dti": 1.0})
    c = agglomeration_coverage(panel, agglomerations()).iloc[0]
    # 邯郸 and 邢台 (京津冀 + 中原) and 运城 (中原 + 关中平原) are members twice.
    assert c["n_memberships"] - c["n_cities"] == 3 and c["n_multi"] == 3
    assert c["n_cities_total"] == 370
    assert c["index_share"] == pytest.approx(c["n_cities"] / 370)   # equal values
    t = agglomeration_table(panel, agglomerations(), window=None)
    assert len(t) == 11 and t["n_members"].sum() == c["n_memberships"]
