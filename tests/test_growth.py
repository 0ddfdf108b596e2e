"""Growth, annual means and ranks; missing quarters give NaN with a flag."""

import numpy as np
import pandas as pd
import pytest

from geodti.errors import MethodError
from geodti.index.growth import annual, growth, rank_change, rank_within, summary_growth, values_at

Q = ["2021Q1", "2021Q2", "2021Q3", "2021Q4", "2022Q1", "2022Q2"]


def _panel():
    # City A grows 10 % a quarter through 2021, then: 2022Q1 = 120, 2022Q2 = 132.
    a = [100.0, 110.0, 121.0, 133.1, 120.0, 132.0]
    # City B has no 2021Q2 row; 2022Q1 = 2 * 2021Q1.
    b = {"2021Q1": 50.0, "2021Q3": 40.0, "2021Q4": 40.0, "2022Q1": 100.0, "2022Q2": 60.0}
    rows = [("A", p, v) for p, v in zip(Q, a)] + [("B", p, v) for p, v in b.items()]
    return pd.DataFrame(rows, columns=["adcode", "period", "dti"])


def _g(df, city, period, col):
    return df.set_index(["adcode", "period"]).loc[(city, period), col]


def test_qoq_and_yoy_by_hand():
    g = growth(_panel(), "dti")
    assert _g(g, "A", "2021Q2", "qoq") == pytest.approx(0.1)
    assert _g(g, "A", "2022Q1", "qoq") == pytest.approx(120 / 133.1 - 1)
    assert _g(g, "A", "2022Q1", "yoy") == pytest.approx(0.2)      # 120 / 100 - 1
    assert _g(g, "A", "2022Q2", "yoy") == pytest.approx(0.2)      # 132 / 110 - 1
    assert _g(g, "B", "2022Q1", "yoy") == pytest.approx(1.0)      # 100 / 50 - 1
    assert _g(g, "A", "2021Q1", "qoq_flag") == "before_data"
    assert np.isnan(_g(g, "A", "2021Q4", "yoy"))


def test_missing_quarter_gives_nan_and_flag_not_a_wrong_number():
    g = growth(_panel(), "dti")
    # B lacks 2021Q2: YoY of 2022Q2 must not be computed against another quarter.
    assert np.isnan(_g(g, "B", "2022Q2", "yoy"))
    assert _g(g, "B", "2022Q2", "yoy_flag") == "missing_reference"
    # and QoQ of 2021Q3 (reference 2021Q2) likewise.
    assert np.isnan(_g(g, "B", "2021Q3", "qoq"))
    assert _g(g, "B", "2021Q3", "qoq_flag") == "missing_reference"
    assert _g(g, "B", "2021Q4", "qoq") == pytest.approx(0.0)


def test_zero_and_nan_references():
    p = _panel()
    p.loc[(p["adcode"] == "A") & (p["period"] == "2021Q1"), "dti"] = 0.0
    p.loc[(p["adcode"] == "A") & (p["period"] == "2021Q3"), "dti"] = np.nan
    g = growth(p, "dti")
    assert _g(g, "A", "2022Q1", "yoy_flag") == "zero_reference"
    assert np.isnan(_g(g, "A", "2022Q1", "yoy"))
    assert _g(g, "A", "2021Q3", "qoq_flag") == "missing_value"
    assert _g(g, "A", "2021Q4", "qoq_flag") == "missing_reference"


def test_summary_growth_is_mean_of_quarterly_yoy():
    s = summary_growth(_panel(), "dti", window=("2022Q1", "2022Q2")).set_index("adcode")
    assert s.loc["A", "growth"] == pytest.approx(0.2)              # (0.2 + 0.2) / 2
    assert s.loc["A", "flag"] == "ok" and s.loc["A", "n_valid"] == 2
    # B's 2022Q2 YoY is missing: no mean of one quarter passed off as the window's mean.
    assert np.isnan(s.loc["B", "growth"]) and s.loc["B", "flag"] == "incomplete"
    assert s.loc["B", "n_valid"] == 1
    assert (s["window"] == "2022Q1-2022Q2").all() and (s["n_quarters"] == 2).all()


def test_summary_growth_window_outside_the_data():
    with pytest.raises(MethodError, match=r"needs the periods 2021Q4-2022Q4 \(YoY looks back a year, 4 quarter periods\).*lacks.*2021Q4"):
        summary_growth(_panel().query("period != '2021Q4'"), "dti", window=("2022Q4", "2022Q4"))
    with pytest.raises(MethodError, match="lacks"):
        summary_growth(_panel(), "dti", window=("2022Q1", "2023Q1"))


def test_annual_mean_and_incomplete_year():
    a = annual(_panel(), "dti").set_index(["adcode", "period"])
    assert a.loc[("A", "2021"), "dti"] == pytest.approx((100 + 110 + 121 + 133.1) / 4)
    assert bool(a.loc[("A", "2021"), "complete"])
    assert np.isnan(a.loc[("B", "2021"), "dti"])
    assert a.loc[("B", "2021"), "n_quarters"] == 3 and not a.loc[("B", "2021"), "complete"]
    assert np.isnan(a.loc[("A", "2022"), "dti"])                  # only two 2022 quarters
    assert (a["period_type"] == "annual").all()


def test_values_at_range_and_unknown_period():
    v = values_at(_panel(), "2022Q1-2022Q2", "dti").set_index("adcode")
    assert v.loc["A", "dti"] == pytest.approx(126.0)
    assert v.loc["B", "dti"] == pytest.approx(80.0)
    with pytest.raises(MethodError, match="2024Q1 is not in the panel"):
        values_at(_panel(), "2024Q1", "dti")
    with pytest.raises(MethodError, match="not understood"):
        values_at(_panel(), "22Q1", "dti")


def test_rank_descending_ties_min():
    t = pd.DataFrame({"g": ["x", "x", "x", "y"], "v": [3.0, 5.0, 5.0, np.nan]})
    assert rank_within(t, "v").tolist()[:3] == [3, 1, 1]
    assert rank_within(t, "v", "g").isna().tolist() == [False, False, False, True]


def test_rank_change_sign():
    rows = []
    for p in ["2022Q1", "2022Q2", "2022Q3", "2022Q4", "2023Q1"]:
        later = p == "2023Q1"
        rows += [("A", p, 10.0 if not later else 30.0),   # 2022: rank 2 -> 2023Q1: rank 1
                 ("B", p, 20.0 if not later else 25.0),   # rank 1 -> rank 2
                 ("C", p, 5.0)]                           # rank 3 -> rank 3
    rc = rank_change(pd.DataFrame(rows, columns=["adcode", "period", "dti"]), "dti",
                     earlier="2022", later="2023Q1").set_index("adcode")
    assert rc.loc["A", ["earlier_rank", "later_rank", "rank_change"]].tolist() == [2, 1, 1]
    assert rc.loc["B", "rank_change"] == -1 and rc.loc["C", "rank_change"] == 0
    assert rc.loc["A", "earlier_value"] == pytest.approx(10.0)


def test_panel_checks():
    p = pd.concat([_panel(), _panel().iloc[[0]]])
    with pytest.raises(MethodError, match="more than one row for adcode A, period 2021Q1"):
        growth(p, "dti")
    mixed = pd.concat([_panel(), _panel().iloc[[0]].assign(period="2019")])
    with pytest.raises(MethodError, match="the panel mixes annual and quarter periods"):
        growth(mixed, "dti")
    with pytest.raises(MethodError, match="no column"):
        growth(_panel(), "gdp")
