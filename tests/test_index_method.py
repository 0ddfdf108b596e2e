"""Index construction: expert weights, base-period normalisation, layers, composite.

Expected numbers are computed by hand in the comments.
"""

import numpy as np
import pandas as pd
import pytest

from geodti.errors import MethodError
from geodti.index.framework import dti_framework
from geodti.index.method import (
    build_index, build_industry_index, indicator_weights, layer_weights, normalise, weights_table,
)

# Framework of the hand-computed example: layer L1 = {a, b}, layer L2 = {c}.
FW = pd.DataFrame({"layer": ["L1", "L1", "L2"], "indicator": ["a", "b", "c"]})
# Indicator scores: a = 4+5+3 = 12, b = 2+3+1 = 6 -> within L1: 12/18 = 2/3, 6/18 = 1/3;
# c is alone in L2 -> 1.
ISC = pd.DataFrame({"expert": ["e1", "e2", "e3"], "a": [4, 5, 3], "b": [2, 3, 1], "c": [3, 4, 5]})
# Layer scores: L1 = 5+4+3 = 12, L2 = 3+3+2 = 8 -> 12/20 = 0.6, 8/20 = 0.4.
LSC = pd.DataFrame({"expert": ["e1", "e2", "e3"], "L1": [5, 4, 3], "L2": [3, 3, 2]})

CITIES = ["110000", "310000", "440300"]


def _raw():
    # 2021Q1 (base): a = 10, 30, 60 (total 100); b = 50, 50, 100 (200); c = 1, 1, 2 (4).
    # 2021Q2:        a = 20, 30, 90;            b = 100, 50, 100;      c = 2, 1, 2.
    vals = {
        ("2021Q1", "a"): [10, 30, 60], ("2021Q1", "b"): [50, 50, 100], ("2021Q1", "c"): [1, 1, 2],
        ("2021Q2", "a"): [20, 30, 90], ("2021Q2", "b"): [100, 50, 100], ("2021Q2", "c"): [2, 1, 2],
    }
    rows = [(c, p, i, float(v)) for (p, i), vs in vals.items() for c, v in zip(CITIES, vs)]
    return pd.DataFrame(rows, columns=["adcode", "period", "indicator", "value"])


def test_weights_three_experts_three_indicators():
    # One layer, three indicators: sums 5+4+3 = 12, 3+4+2 = 9, 2+1+1 = 4; total 25.
    fw = pd.DataFrame({"layer": ["L"] * 3, "indicator": ["x", "y", "z"]})
    sc = pd.DataFrame({"x": [5, 4, 3], "y": [3, 4, 2], "z": [2, 1, 1]}, index=["e1", "e2", "e3"])
    w = indicator_weights(sc, fw)
    assert w["score_sum"].tolist() == [12.0, 9.0, 4.0]
    assert w["weight"].tolist() == pytest.approx([0.48, 0.36, 0.16])
    assert (w["n_experts"] == 3).all()


def test_weights_per_layer_and_across_layers():
    iw = indicator_weights(ISC, FW).set_index("indicator")["weight"]
    assert iw.to_dict() == pytest.approx({"a": 2 / 3, "b": 1 / 3, "c": 1.0})
    lw = layer_weights(LSC, FW).set_index("layer")["weight"]
    assert lw.to_dict() == pytest.approx({"L1": 0.6, "L2": 0.4})
    wt = weights_table(ISC, LSC, FW)
    comp = wt[wt["level"] == "indicator"].set_index("indicator")["composite_weight"]
    # a: 2/3 * 0.6 = 0.4; b: 1/3 * 0.6 = 0.2; c: 1 * 0.4 = 0.4.
    assert comp.to_dict() == pytest.approx({"a": 0.4, "b": 0.2, "c": 0.4})
    assert comp.sum() == pytest.approx(1.0)
    assert set(wt.columns) >= {"level", "layer", "indicator", "score_sum", "weight"}


def test_normalisation_is_per_cent_of_base_total():
    n = normalise(_raw(), "2021Q1")
    got = n.set_index(["adcode", "period", "indicator"])["normalised"]
    # a in 2021Q2: 20/100, 30/100, 90/100 (x100); b in 2021Q1: 50/200 etc.
    assert got[("110000", "2021Q2", "a")] == pytest.approx(20.0)
    assert got[("440300", "2021Q2", "a")] == pytest.approx(90.0)
    assert got[("110000", "2021Q1", "b")] == pytest.approx(25.0)
    assert got[("310000", "2021Q2", "c")] == pytest.approx(25.0)
    base = n[n["period"] == "2021Q1"].groupby("indicator")["normalised"].sum()
    assert base.tolist() == pytest.approx([100.0, 100.0, 100.0])


def test_configurable_base_period():
    n = normalise(_raw(), "2021Q2")
    got = n.set_index(["adcode", "period", "indicator"])["normalised"]
    # a base total in 2021Q2 = 20 + 30 + 90 = 140 -> 2021Q1 Beijing a = 10/140 * 100.
    assert got[("110000", "2021Q1", "a")] == pytest.approx(1000 / 140)


def test_composite_on_three_cities():
    raw = _raw()
    before = raw.copy()
    res = build_index(raw, FW, ISC, LSC)
    pd.testing.assert_frame_equal(raw, before)  # input untouched
    p = res.panel.set_index(["adcode", "period"])
    assert list(res.panel.columns) == ["adcode", "period", "L1", "L2", "dti"]
    # 2021Q1: L1 = 2/3 t_a + 1/3 t_b = (6.667 + 8.333, 20 + 8.333, 40 + 16.667)
    assert p.loc[[(c, "2021Q1") for c in CITIES], "L1"].tolist() == pytest.approx(
        [15.0, 28.0 + 1 / 3, 56.0 + 2 / 3])
    # dti = 0.6 L1 + 0.4 L2, L2 = t_c = (25, 25, 50): 9 + 10, 17 + 10, 34 + 20.
    assert p.loc[[(c, "2021Q1") for c in CITIES], "dti"].tolist() == pytest.approx([19, 27, 54])
    # 2021Q2: L1 = (13.333 + 16.667, 20 + 8.333, 60 + 16.667); L2 = (50, 25, 50)
    # dti = (18 + 20, 17 + 10, 46 + 20).
    assert p.loc[[(c, "2021Q2") for c in CITIES], "dti"].tolist() == pytest.approx([38, 27, 66])
    base_sums = res.panel[res.panel["period"] == "2021Q1"][["L1", "L2", "dti"]].sum()
    assert base_sums.tolist() == pytest.approx([100, 100, 100])
    assert len(res.weights) == 5 and len(res.indicators) == len(raw)


def test_default_framework_builds():
    fw = dti_framework()
    assert fw.groupby("layer", sort=False)["indicator"].apply(list).to_dict() == {
        "infrastructure": ["cloud", "ai"],
        "platform": ["payment", "ecommerce", "entertainment"],
        "application": ["procurement", "rnd", "collaboration"],
    }
    assert fw.loc[fw["industry_key"], "indicator"].tolist() == ["cloud", "ai", "rnd"]
    rng = np.random.default_rng(7)
    rows = [(c, p, i, float(rng.integers(1, 50))) for c in CITIES for p in ("2021Q1", "2021Q2")
            for i in fw["indicator"]]
    raw = pd.DataFrame(rows, columns=["adcode", "period", "indicator", "value"])
    isc = pd.DataFrame(rng.integers(1, 6, (4, 8)), columns=fw["indicator"])
    lsc = pd.DataFrame(rng.integers(1, 6, (4, 3)), columns=["infrastructure", "platform", "application"])
    res = build_index(raw, fw, isc, lsc)
    assert list(res.panel.columns) == ["adcode", "period", "infrastructure", "platform",
                                       "application", "dti"]
    base = res.panel[res.panel["period"] == "2021Q1"].drop(columns=["adcode", "period"]).sum()
    assert base.tolist() == pytest.approx([100] * 4)


def test_city_absent_in_base_period_is_fine():
    raw = pd.concat([_raw(), pd.DataFrame({
        "adcode": "500000", "period": "2021Q2", "indicator": ["a", "b", "c"], "value": [50.0, 20.0, 4.0]})])
    res = build_index(raw, FW, ISC, LSC)
    new = res.panel[res.panel["adcode"] == "500000"]
    assert new["period"].tolist() == ["2021Q2"]
    # a: 50/100*100 = 50; b: 20/200*100 = 10 -> L1 = 2/3*50 + 1/3*10 = 36.667; c: 4/4*100 = 100.
    assert new["L1"].iloc[0] == pytest.approx(110 / 3)
    assert new["dti"].iloc[0] == pytest.approx(0.6 * 110 / 3 + 0.4 * 100)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("bad, words", [
    (6, ["e2", "'a'", "6"]), (0, ["e2", "'a'", "0"]), (2.5, ["e2", "'a'", "2.5"]),
    (np.nan, ["e2", "no score", "'a'"]), ("high", ["e2", "not a number"]),
])
def test_bad_scores_name_expert_and_indicator(bad, words):
    sc = ISC.copy().astype(object)
    sc.loc[1, "a"] = bad
    with pytest.raises(MethodError) as e:
        build_index(_raw(), FW, sc, LSC)
    for w in words:
        assert w in str(e.value)


def test_scored_indicator_with_no_layer():
    with pytest.raises(MethodError, match=r"'zz'.*no layer"):
        build_index(_raw(), FW, ISC.assign(zz=[1, 2, 3]), LSC)


def test_raw_indicator_with_no_layer():
    raw = pd.concat([_raw(), pd.DataFrame({"adcode": ["110000"], "period": ["2021Q1"],
                                           "indicator": ["qq"], "value": [1.0]})])
    with pytest.raises(MethodError, match=r"'qq'.*no layer"):
        build_index(raw, FW, ISC, LSC)


def test_layer_with_no_indicator():
    with pytest.raises(MethodError, match=r"'L3'.*no indicator"):
        build_index(_raw(), FW, ISC, LSC.assign(L3=[1, 1, 1]))


def test_framework_indicator_without_layer():
    fw = pd.concat([FW, pd.DataFrame({"layer": [None], "indicator": ["d"]})], ignore_index=True)
    with pytest.raises(MethodError, match="no layer"):
        build_index(_raw(), fw, ISC, LSC)


def test_unscored_layer():
    with pytest.raises(MethodError, match=r"'L2'.*no expert scores"):
        build_index(_raw(), FW, ISC, LSC.drop(columns="L2"))


def test_indicator_without_base_data():
    raw = _raw()
    raw = raw[~((raw["indicator"] == "c") & (raw["period"] == "2021Q1"))]
    with pytest.raises(MethodError, match=r"indicator 'c'.*no data in the base period 2021Q1"):
        build_index(raw, FW, ISC, LSC)


def test_base_period_absent():
    with pytest.raises(MethodError, match="base period 2020Q4 is not in the raw data"):
        build_index(_raw(), FW, ISC, LSC, base_period="2020Q4")


def test_zero_national_total():
    raw = _raw()
    raw.loc[(raw["indicator"] == "b") & (raw["period"] == "2021Q1"), "value"] = 0.0
    with pytest.raises(MethodError, match=r"'b'.*sums to zero.*2021Q1"):
        build_index(raw, FW, ISC, LSC)


def test_negative_raw_value_names_city():
    raw = _raw()
    raw.loc[(raw["adcode"] == "310000") & (raw["indicator"] == "a") & (raw["period"] == "2021Q2"),
            "value"] = -3.0
    with pytest.raises(MethodError, match=r"adcode 310000.*negative.*'a'.*2021Q2"):
        build_index(raw, FW, ISC, LSC)


def test_duplicate_raw_rows():
    raw = pd.concat([_raw(), _raw().iloc[[0]]])
    with pytest.raises(MethodError, match="more than one value"):
        build_index(raw, FW, ISC, LSC)


def test_missing_indicator_errors_or_gives_nan():
    raw = _raw()
    drop = (raw["adcode"] == "440300") & (raw["indicator"] == "b") & (raw["period"] == "2021Q2")
    with pytest.raises(MethodError, match=r"adcode 440300, period 2021Q2 lacks indicator\(s\) \['b'\]"):
        build_index(raw[~drop], FW, ISC, LSC)
    res = build_index(raw[~drop], FW, ISC, LSC, missing="nan")
    row = res.panel.set_index(["adcode", "period"]).loc[("440300", "2021Q2")]
    assert np.isnan(row["L1"]) and np.isnan(row["dti"])
    assert row["L2"] == pytest.approx(50.0)
    nan_raw = raw.copy()
    nan_raw.loc[drop, "value"] = np.nan
    with pytest.raises(MethodError, match="has no value"):
        build_index(nan_raw, FW, ISC, LSC)


# ------------------------------------------------------------------ industries


def _industry_raw():
    # Two cities, two industries, indicators x and y, one period.
    # finance:  x = 10, 30 (total 40);  y = 5, 5 (10)
    # industry: x = 20, 20 (40);        y = 1, 9 (10)
    rows = []
    for ind, xs, ys in (("finance", [10, 30], [5, 5]), ("industry", [20, 20], [1, 9])):
        for c, x, y in zip(["110000", "310000"], xs, ys):
            rows += [(c, ind, "2021Q1", "x", float(x)), (c, ind, "2021Q1", "y", float(y))]
    return pd.DataFrame(rows, columns=["adcode", "industry", "period", "indicator", "value"])


def test_industry_index_per_industry_and_all():
    # Scores x = 3+3 = 6, y = 1+1 = 2 -> weights 0.75, 0.25.
    sc = pd.DataFrame({"x": [3, 3], "y": [1, 1]})
    res = build_industry_index(_industry_raw(), sc, normalise_by="industry")
    p = res.panel.set_index("adcode")
    # Per industry: finance Beijing = 0.75*25 + 0.25*50 = 31.25; Shanghai 0.75*75 + 0.25*50 = 68.75.
    assert p.loc["110000", "industry_finance"] == pytest.approx(31.25)
    assert p.loc["310000", "industry_finance"] == pytest.approx(68.75)
    # industry: Beijing 0.75*50 + 0.25*10 = 40; Shanghai 0.75*50 + 0.25*90 = 60.
    assert p.loc["110000", "industry_industry"] == pytest.approx(40.0)
    assert res.weights["weight"].tolist() == pytest.approx([0.75, 0.25])
    # All industries share one base total: x = 80, y = 20.
    # finance Beijing = 0.75*12.5 + 0.25*25 = 15.625; industry Shanghai = 0.75*25 + 0.25*45 = 30.
    alln = build_industry_index(_industry_raw(), sc).panel.set_index("adcode")  # default "all"
    assert alln.loc["110000", "industry_finance"] == pytest.approx(15.625)
    assert alln.loc["310000", "industry_industry"] == pytest.approx(30.0)
    assert alln[["industry_finance", "industry_industry"]].to_numpy().sum() == pytest.approx(100.0)


def test_industry_missing_industry_for_a_city():
    raw = _industry_raw()
    raw = raw[~((raw["adcode"] == "310000") & (raw["industry"] == "industry"))]
    sc = pd.DataFrame({"x": [3, 3], "y": [1, 1]})
    with pytest.raises(MethodError, match=r"310000.*industry_industry"):
        build_industry_index(raw, sc)
