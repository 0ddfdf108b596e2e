"""The index built from raw indicators of annual and monthly panels (issue 13, item 2).

The annual panel is SYNTHETIC: the bundled synthetic raw sample's last quarter of each year
(2021Q4, 2022Q4, 2023Q1) relabelled as the years 2021, 2022, 2023. The expected index is
computed here from the formula (per cent of the base-period national total, expert-score
weights), without geodti's code.
"""

import html
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodti.cli import main
from geodti.errors import MethodError
from geodti.index.framework import dti_framework
from geodti.index.method import base_period_of, build_index, normalise

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
ISC = pd.read_csv(SAMPLE / "expert_scores_indicators_SYNTHETIC.csv")
LSC = pd.read_csv(SAMPLE / "expert_scores_layers_SYNTHETIC.csv")
PROVINCES = ("31", "32", "33", "34")  # 上海, 江苏, 浙江, 安徽: a subset keeps the run small


def annual_raw() -> pd.DataFrame:
    """SYNTHETIC annual raw indicators: each year's last quarter of the bundled raw sample."""
    raw = pd.read_csv(SAMPLE / "dti_raw_long_SYNTHETIC.csv", dtype={"adcode": str})
    raw = raw[raw["period"].isin(["2021Q4", "2022Q4", "2023Q1"]) & raw["adcode"].str[:2].isin(PROVINCES)]
    return raw.assign(period=raw["period"].str[:4]).reset_index(drop=True)


def expected_index(raw: pd.DataFrame, base: str) -> pd.DataFrame:
    """The report's formula written out: t = 100 x / national base total; layers and the
    composite are expert-score-weighted sums."""
    fw = dti_framework()
    x = raw.pivot_table(index=["adcode", "period"], columns="indicator", values="value")
    t = 100 * x / x.xs(base, level="period").sum()
    out = pd.DataFrame(index=t.index)
    layer_w = LSC.drop(columns="expert").sum() / LSC.drop(columns="expert").to_numpy().sum()
    out["dti"] = 0.0
    for layer, part in fw.groupby("layer", sort=False):
        items = part["indicator"].tolist()
        w = ISC[items].sum() / ISC[items].to_numpy().sum()
        out[layer] = (t[items] * w).sum(axis=1)
        out["dti"] += layer_w[layer] * out[layer]
    return out


@pytest.mark.parametrize("base", [None, "2022", 2023])
def test_annual_index_equals_the_formula(base):
    raw = annual_raw()
    before = raw.copy()
    built = build_index(raw, dti_framework(), ISC, LSC, base_period=base)
    pd.testing.assert_frame_equal(raw, before)  # input untouched
    used = "2021" if base is None else str(base)  # default: the earliest year
    want = expected_index(raw, used)
    got = built.panel.set_index(["adcode", "period"])
    assert list(got.index.get_level_values("period").unique()) == ["2021", "2022", "2023"]
    assert len(got) == len(want) == 3 * raw["adcode"].nunique()
    for col in ["infrastructure", "platform", "application", "dti"]:
        np.testing.assert_allclose(got[col].to_numpy(), want.loc[got.index, col].to_numpy(),
                                   rtol=1e-12)
    # the base year sums to 100 over the cities, the other years do not
    sums = built.panel.groupby("period")["dti"].sum()
    assert sums[used] == pytest.approx(100.0)
    assert (sums.drop(used) - 100).abs().min() > 0.1


def test_monthly_base_period_as_people_write_it():
    rows = [(c, m, "a", v) for m, vs in {"2021M01": [1, 3], "2021M02": [2, 2], "2021M03": [4, 4]}.items()
            for c, v in zip(["110000", "310000"], vs)]
    raw = pd.DataFrame(rows, columns=["adcode", "period", "indicator", "value"])
    n = normalise(raw, "2021-02").set_index(["adcode", "period"])["normalised"]
    # base total in 2021M02 = 4: Shanghai's 2021M01 3 -> 75 %, Beijing's 2021M03 4 -> 100 %
    assert n[("310000", "2021M01")] == pytest.approx(75.0)
    assert n[("110000", "2021M03")] == pytest.approx(100.0)
    # default: the earliest month (total 4 as well, but Beijing 1/4, Shanghai 3/4 there)
    d = normalise(raw).set_index(["adcode", "period"])["normalised"]
    assert d[("110000", "2021M01")] == pytest.approx(25.0)
    assert base_period_of(raw["period"]) == "2021M01"
    assert base_period_of(["2021Q2", "2021Q1"]) == "2021Q1"  # quarters: the report's base


@pytest.mark.parametrize("base, words", [
    ("2021Q1", r"base period '2021Q1' is a quarter period but the raw indicators are annual"),
    ("2021-01", r"base period '2021-01' is a month period but the raw indicators are annual"),
    ("2019", r"base period 2019 is not in the raw data \(periods present: 2021, 2022, 2023\)"),
    ("twenty", r"base period 'twenty' is not a period"),
])
def test_bad_base_period_is_named(base, words):
    with pytest.raises(MethodError, match=words):
        build_index(annual_raw(), dti_framework(), ISC, LSC, base_period=base)


def test_raw_panel_mixing_frequencies_is_refused():
    raw = annual_raw()
    raw.loc[raw["period"] == "2023", "period"] = "2023Q1"
    with pytest.raises(MethodError, match=r"mix frequencies \(annual: 2021, 2022; quarter: 2023Q1\)"):
        build_index(raw, dti_framework(), ISC, LSC)


def test_run_builds_an_annual_index(tmp_path, capsys):
    table = tmp_path / "annual_raw_SYNTHETIC.csv"
    annual_raw().to_csv(table, index=False)
    common = ["run", str(table), "--indicator-scores", "sample:indicator-scores",
              "--layer-scores", "sample:layer-scores", "--permutations", "19", "--weights",
              "queen", "--jobs", "1"]
    assert main([*common, "--out", str(tmp_path / "o")]) == 0
    out = tmp_path / "o"
    ind = pd.read_csv(out / "tables/index_indicators.csv", dtype={"adcode": str, "period": str})
    assert sorted(ind["period"].unique()) == ["2021", "2022", "2023"]
    base_sums = ind[ind["period"] == "2021"].groupby("indicator")["normalised"].sum()
    np.testing.assert_allclose(base_sums.to_numpy(), 100.0)
    want = expected_index(annual_raw(), "2021")
    ranks = pd.read_csv(out / "tables/city_ranks.csv", dtype={"adcode": str}).set_index("adcode")
    latest = want.xs("2023", level="period")["dti"]
    np.testing.assert_allclose(ranks["later_value"].to_numpy(), latest.loc[ranks.index].to_numpy(),
                               rtol=1e-9)
    page = html.unescape((out / "index.html").read_text(encoding="utf-8"))
    assert "national total in 2021 (the table's earliest period" in page
    # a quarter as the base of an annual table stops the run with the period named
    assert main([*common, "--out", str(tmp_path / "bad"), "--base-period", "2021Q1"]) == 2
    assert "base period '2021Q1' is a quarter period" in capsys.readouterr().err
