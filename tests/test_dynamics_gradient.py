"""Growth by group, longitude gradient, Hu-line share and distance decay (SYNTHETIC data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodti.dynamics import (
    distance_decay, distance_to_cores, growth_by_group, hu_line_share, longitude_gradient,
)
from geodti.dynamics.gradient import resolve_cores, resolve_window
from geodti.errors import MethodError
from geodti.places.gazetteer import gazetteer
from tests.dynamics_fixtures import panel_from_matrix, quarters

PERIODS = quarters("2021Q1", 6)


def _growth_panel(rate_of):
    """Units of the gazetteer (mainland) whose index grows at a constant quarterly rate."""
    gz = gazetteer()
    gz = gz[gz["region"].notna()].reset_index(drop=True)
    rates = np.array([rate_of(r) for r in gz.itertuples()])
    mat = np.column_stack([(1 + rates) ** j for j in range(len(PERIODS))])
    return panel_from_matrix(mat, gz["adcode"].tolist(), PERIODS), gz, rates


def test_window_auto_is_the_latest_five_quarters_with_yoy():
    panel = panel_from_matrix(np.ones((2, 9)), ["110100", "120100"], quarters("2021Q1", 9))
    assert resolve_window(panel) == ("2022Q1", "2023Q1")
    assert resolve_window(panel[panel["period"] <= "2022Q2"]) == ("2022Q1", "2022Q2")
    with pytest.raises(MethodError, match="more than a year of consecutive periods"):
        resolve_window(panel[panel["period"] < "2022Q1"])


def test_growth_by_group_totals_and_ranks():
    panel, gz, rates = _growth_panel(lambda r: 0.05 if r.region == "西部" else 0.01)
    g = growth_by_group(panel, "region")
    q = g[g["period"] == "2022Q2"].set_index("group")
    assert q.loc["西部", "total_growth"] == pytest.approx(1.05 ** 4 - 1)
    assert q.loc["东部", "mean_growth"] == pytest.approx(1.01 ** 4 - 1)
    assert q.loc["西部", "growth_rank"] == 1
    assert q["n_units"].sum() == len(gz)
    assert q["share"].sum() == pytest.approx(1.0)
    win = g[g["period"] == "2022Q1-2022Q2"].set_index("group")
    assert win.loc["西部", "total_growth"] == pytest.approx(1.05 ** 4 - 1)
    bands = growth_by_group(panel, "longitude_band", band_width=10)
    labels = list(dict.fromkeys(bands["group"]))
    assert labels == sorted(labels, key=lambda s: float(s.split("-")[0]))
    aggl = growth_by_group(panel, "agglomeration")
    assert aggl[aggl["period"] == "2022Q1"].set_index("group").loc["中原", "n_units"] == 30


def test_longitude_gradient_recovers_a_known_slope():
    panel, gz, _ = _growth_panel(lambda r: 0.0)
    # quarterly rate such that YoY = 0.5 - 0.004 * lon exactly
    lon = dict(zip(gz["adcode"], gz["lon"]))
    yoy = {a: 0.5 - 0.004 * lon[a] for a in gz["adcode"]}
    j = panel["period"].map({p: i for i, p in enumerate(PERIODS)})
    panel["dti"] = [(1 + yoy[a]) ** (i / 4) for a, i in zip(panel["adcode"], j)]
    res = longitude_gradient(panel).set_index("period")
    assert res.loc["2022Q2", "slope"] == pytest.approx(-0.004, abs=1e-12)
    assert res.loc["2022Q2", "intercept"] == pytest.approx(0.5, abs=1e-9)
    assert res.loc["2022Q2", "r2"] == pytest.approx(1.0)


def test_hu_line_share():
    panel, gz, _ = _growth_panel(lambda r: 0.0)
    panel["dti"] = np.where(panel["adcode"].map(dict(zip(gz["adcode"], gz["hu_line"]))) == "NW", 3.0, 1.0)
    s = hu_line_share(panel).iloc[0]
    nw = int((gz["hu_line"] == "NW").sum())
    assert s["n_nw"] == nw and s["share_nw"] == pytest.approx(3 * nw / (3 * nw + len(gz) - nw))


def test_cores_by_name_adcode_and_errors():
    c = resolve_cores(["上海", "110100", "深圳市", "Guangzhou"])
    assert c["adcode"].tolist() == ["310100", "110100", "440300", "440100"]
    with pytest.raises(MethodError, match="matches no unit"):
        resolve_cores(["Atlantis"])
    d = distance_to_cores(["310100", "320500"], ["上海", "北京"]).set_index("adcode")
    assert d.loc["310100", "distance_km"] == 0 and d.loc["320500", "nearest_core"] == "310100"
    assert 50 < d.loc["320500", "distance_km"] < 120  # 苏州 is about 80-90 km from 上海


def test_distance_decay_recovers_log_model():
    panel, gz, _ = _growth_panel(lambda r: 0.0)
    dist = distance_to_cores(gz["adcode"]).set_index("adcode")["distance_km"]
    yoy = {a: 0.3 - 0.03 * np.log(max(d, 1.0)) for a, d in dist.items()}
    j = panel["period"].map({p: i for i, p in enumerate(PERIODS)})
    panel["dti"] = [(1 + yoy[a]) ** (i / 4) for a, i in zip(panel["adcode"], j)]
    res = distance_decay(panel).set_index("period")
    row = res.loc["2022Q1-2022Q2"]
    assert row["slope"] == pytest.approx(-0.03, abs=1e-9)
    assert row["intercept"] == pytest.approx(0.3, abs=1e-8)
    assert row["n"] == len(gz) - 4  # the four cores (distance 0) are left out of the log fit
    lin = distance_decay(panel, model="linear")
    assert (lin["n"] == len(gz)).all() and (lin["slope"] < 0).all()
