"""Centre of gravity and standard deviational ellipse (synthetic points and panels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pointpats.centrography import ellipse as pp_ellipse

from geodti.dynamics import centre_layers, mean_centre, standard_deviational_ellipse
from geodti.geo import from_albers as unproject, to_albers as project
from geodti.errors import MethodError
from tests.dynamics_fixtures import panel_from_matrix, quarters


def _points(lons, lats):
    ids = [f"{100001 + i}" for i in range(len(lons))]
    return ids, pd.DataFrame({"adcode": ids, "lon": lons, "lat": lats})


def test_centre_of_two_equal_weights_is_their_midpoint_in_the_projection():
    ids, pts = _points([100.0, 120.0], [30.0, 40.0])
    panel = panel_from_matrix(np.array([[2.0], [2.0]]), ids, ["2021Q1"])
    c = mean_centre(panel, points=pts)
    x, y = project(pts["lon"], pts["lat"])
    mlon, mlat = unproject([x.mean()], [y.mean()])
    assert c["lon"].iloc[0] == pytest.approx(mlon[0], abs=1e-9)
    assert c["lat"].iloc[0] == pytest.approx(mlat[0], abs=1e-9)
    assert c["x_km"].iloc[0] == pytest.approx(x.mean() / 1000)
    # not the midpoint of the lon/lat numbers: the projection matters
    assert abs(c["lat"].iloc[0] - 35.0) > 0.05


def test_weighted_centre_and_eastward_move():
    ids, pts = _points([110.0, 112.0], [30.0, 30.0])
    # period 1: all weight west; period 2: weights 1:3, centre 3/4 of the way east
    panel = panel_from_matrix(np.array([[1.0, 1.0], [0.0, 3.0]]), ids, ["2021Q1", "2021Q2"])
    c = mean_centre(panel, points=pts)
    x, y = project(pts["lon"], pts["lat"])
    assert c["x_km"].iloc[0] == pytest.approx(x[0] / 1000)
    assert c["x_km"].iloc[1] == pytest.approx((x[0] + 3 * x[1]) / 4 / 1000)
    assert c["lon"].iloc[0] == pytest.approx(110.0, abs=1e-9)
    move = c.iloc[1]
    assert 80 < move["bearing_deg"] < 100  # roughly east
    assert move["east_km"] > 0 and move["westward_shift_km"] == pytest.approx(-move["cum_east_km"])
    # 1.5 degrees of longitude at 30N is about 144.6 km
    assert move["move_km"] == pytest.approx(144.6, rel=0.01)
    assert move["distance_from_first_km"] == pytest.approx(move["move_km"])


def test_increment_weights_clip_negative_or_raise():
    ids, pts = _points([100.0, 110.0, 120.0], [30.0, 30.0, 30.0])
    periods = quarters("2021Q1", 5)
    vals = np.array([[1, 1, 1, 1, 3.0],     # +2 over the year
                     [1, 1, 1, 1, 0.5],     # -0.5: clipped
                     [1, 1, 1, 1, 2.0]])    # +1
    panel = panel_from_matrix(vals, ids, periods)
    c = mean_centre(panel, weight="yoy_increment", points=pts)
    assert list(c["period"]) == ["2022Q1"]
    assert c["n_negative"].iloc[0] == 1 and c["n_weighted"].iloc[0] == 2
    x, _ = project(pts["lon"], pts["lat"])
    assert c["x_km"].iloc[0] == pytest.approx((2 * x[0] + x[2]) / 3 / 1000)
    with pytest.raises(MethodError, match="negative increment"):
        mean_centre(panel, weight="yoy_increment", negative="error", points=pts)
    first = mean_centre(panel, weight="increment_from_first", points=pts)
    # 2021Q2-2021Q4: nobody grew since 2021Q1, so no centre; 2022Q1 has one
    assert list(first["period"]) == ["2021Q2", "2021Q3", "2021Q4", "2022Q1"]
    assert first["lon"].isna().tolist() == [True, True, True, False]
    assert first["note"].iloc[0].startswith("no unit")
    assert first["cum_east_km"].iloc[-1] == 0.0  # the first defined centre


def test_ellipse_of_points_on_a_line_has_zero_minor_axis():
    # points on a straight line in the projected plane, running north-east at 45 degrees
    t = np.array([-2.0, -1.0, 0.5, 1.0, 3.0]) * 100_000
    x0, y0 = project([105.0], [35.0])
    lon, lat = unproject(x0[0] + t, y0[0] + t)
    ids, pts = _points(lon, lat)
    panel = panel_from_matrix(np.array([[1.0], [2.0], [1.0], [3.0], [1.0]]), ids, ["2021Q1"])
    e = standard_deviational_ellipse(panel, points=pts)
    assert e["semi_minor_km"].iloc[0] == pytest.approx(0.0, abs=1e-6)
    assert e["semi_major_km"].iloc[0] > 100
    assert e["rotation_deg"].iloc[0] == pytest.approx(45.0, abs=1e-6)
    assert e["area_km2"].iloc[0] == pytest.approx(0.0, abs=1e-3)


def test_ellipse_axes_follow_each_convention_and_match_pointpats():
    rng = np.random.default_rng(7)
    lon = 105 + rng.normal(0, 4, 30)
    lat = 33 + rng.normal(0, 2, 30)
    w = rng.uniform(0.5, 3.0, 30)
    ids, pts = _points(lon, lat)
    panel = panel_from_matrix(w[:, None], ids, ["2021Q1"])
    x, y = project(lon, lat)
    # direct weighted formula: principal variances of the weighted covariance (Yuill)
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    cov = np.cov(np.vstack([x - mx, y - my]), aweights=w, bias=True)
    lam = np.sort(np.linalg.eigvalsh(cov))[::-1]
    plain = np.sqrt(lam) / 1000
    n = 30
    factor = {"yuill": 1.0, "arcgis": np.sqrt(2), "crimestat": np.sqrt(2) * np.sqrt(n / (n - 2))}
    for conv, f in factor.items():
        e = standard_deviational_ellipse(panel, points=pts, convention=conv).iloc[0]
        assert e["semi_major_km"] == pytest.approx(f * plain[0], rel=1e-9)
        assert e["semi_minor_km"] == pytest.approx(f * plain[1], rel=1e-9)
        assert e["area_km2"] == pytest.approx(np.pi * e["semi_major_km"] * e["semi_minor_km"])
    # equal weights: the weighted version reduces to pointpats' unweighted ellipse
    panel1 = panel_from_matrix(np.ones((30, 1)), ids, ["2021Q1"])
    a, b, _ = pp_ellipse(np.column_stack([x, y]))  # pointpats default: CrimeStat
    e1 = standard_deviational_ellipse(panel1, points=pts, convention="crimestat").iloc[0]
    assert e1["semi_major_km"] == pytest.approx(max(a, b) / 1000, rel=1e-9)
    assert e1["semi_minor_km"] == pytest.approx(min(a, b) / 1000, rel=1e-9)
    # orientation: the major axis direction is the principal eigenvector
    vals, vecs = np.linalg.eigh(cov)
    az = np.degrees(np.arctan2(vecs[0, 1], vecs[1, 1])) % 180
    assert standard_deviational_ellipse(panel, points=pts)["rotation_deg"].iloc[0] == pytest.approx(az)


def test_layers_are_wgs84_points_lines_and_polygons():
    ids, pts = _points([100.0, 110.0, 120.0, 115.0], [30.0, 35.0, 32.0, 40.0])
    vals = np.array([[1, 2, 3.0], [2, 2, 2.0], [3, 2, 1.0], [1, 1, 1.0]])
    panel = panel_from_matrix(vals, ids, quarters("2021Q1", 3))
    c = mean_centre(panel, points=pts)
    e = standard_deviational_ellipse(panel, points=pts)
    layers = centre_layers(c, e, n_vertices=90)
    assert {k: len(v) for k, v in layers.items()} == {"centres": 3, "trajectory": 2, "ellipses": 3}
    for layer in layers.values():
        assert layer.crs.to_epsg() == 4326
    assert layers["trajectory"]["period_to"].tolist() == ["2021Q2", "2021Q3"]
    poly = layers["ellipses"].geometry.iloc[0]
    assert poly.geom_type == "Polygon" and len(poly.exterior.coords) == 91
    assert poly.contains(layers["centres"].geometry.iloc[0])


def test_missing_point_or_value_is_a_clear_error():
    ids, pts = _points([100.0, 110.0], [30.0, 30.0])
    panel = panel_from_matrix(np.array([[1.0, 1.0], [2.0, np.nan]]), ids, ["2021Q1", "2021Q2"])
    with pytest.raises(MethodError, match="100002"):
        mean_centre(panel, points=pts)
    c = mean_centre(panel, points=pts, drop_incomplete=True)
    assert c.attrs["dropped_units"] == ["100002"]
    panel2 = panel_from_matrix(np.ones((2, 1)), ids, ["2021Q1"])
    with pytest.raises(MethodError, match="no point"):
        mean_centre(panel2, points=pts.iloc[:1])


def test_standard_distance_by_hand():
    from geodti.dynamics import standard_distance

    # four points 1 km from their centre: SD = 1 km
    assert standard_distance([1000, -1000, 0, 0], [0, 0, 1000, -1000], [1, 1, 1, 1]) == pytest.approx(1000)
    # (0, 0) weight 3 and (4000, 0) weight 1: centre x = 1000, SD = sqrt((3e6 + 9e6) / 4)
    assert standard_distance([0, 4000], [0, 0], [3, 1]) == pytest.approx(np.sqrt(3e6))
    # zero weights do not count
    assert standard_distance([0, 4000, 9e6], [0, 0, 9e6], [3, 1, 0]) == pytest.approx(np.sqrt(3e6))
    with pytest.raises(MethodError, match="positive weight"):
        standard_distance([0, 1], [0, 1], [0, 0])


def test_ellipse_table_standard_distance_matches_an_independent_computation():
    lons, lats = [100.0, 110.0, 115.0, 120.0, 105.0], [25.0, 30.0, 40.0, 35.0, 45.0]
    ids, pts = _points(lons, lats)
    values = np.array([[1.0, 2.0], [2.0, 2.0], [3.0, 1.0], [4.0, 5.0], [0.5, 1.5]])
    panel = panel_from_matrix(values, ids, ["2021Q1", "2021Q2"])
    table = standard_deviational_ellipse(panel, points=pts).set_index("period")
    x, y = project(lons, lats)
    for t, p in enumerate(["2021Q1", "2021Q2"]):
        w = values[:, t]
        mx, my = (w * x).sum() / w.sum(), (w * y).sum() / w.sum()
        sd = np.sqrt((w * ((x - mx) ** 2 + (y - my) ** 2)).sum() / w.sum()) / 1000
        assert table.loc[p, "standard_distance_km"] == pytest.approx(sd, rel=1e-12)
        # the circle's radius squared is the mean of the ellipse's squared yuill semi-axes
        yuill = standard_deviational_ellipse(panel, points=pts, convention="yuill").set_index("period")
        a, b = yuill.loc[p, "semi_major_km"], yuill.loc[p, "semi_minor_km"]
        assert sd == pytest.approx(np.sqrt(a**2 + b**2), rel=1e-9)
