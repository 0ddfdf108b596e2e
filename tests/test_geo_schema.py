"""geodti.geo (projection, distances, points) and geodti.schema (the panel's columns, one check)."""

import numpy as np
import pandas as pd
import pytest

import geodti
from geodti import geo, schema
from geodti.errors import InputError, MethodError
from geodti.index.growth import growth

SMALL = "data/sample/dti_sample_small_SYNTHETIC.csv"


def test_haversine_quarter_meridian_and_metres():
    # pole to equator along a meridian is a quarter of the circumference: pi/2 * R
    d = geo.haversine_km(116.0, 0.0, 116.0, 90.0)
    assert d == pytest.approx(np.pi / 2 * geo.EARTH_RADIUS_KM, rel=1e-12)
    assert geo.haversine_m(0, 0, 1, 0) == pytest.approx(1000 * geo.haversine_km(0, 0, 1, 0))
    m = geo.pairwise_haversine_km(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.0, 0.0]))
    assert m.shape == (3, 3) and np.all(np.diag(m) == 0) and m[0, 2] == pytest.approx(2 * m[0, 1])


def test_albers_round_trip_and_origin():
    x, y = geo.to_albers([105.0, 120.0], [0.0, 35.0])
    assert x[0] == pytest.approx(0.0, abs=1e-6)   # central meridian, lat_0 = 0
    lon, lat = geo.from_albers(x, y)
    assert np.allclose(lon, [105.0, 120.0], atol=1e-9) and np.allclose(lat, [0.0, 35.0], atol=1e-9)


def test_unit_points_selects_in_order_and_names_missing():
    table = pd.DataFrame({"adcode": ["1", "2", "3"], "lon": [100.0, 110.0, 120.0],
                          "lat": [30.0, 31.0, 32.0]})
    pts = geo.unit_points(table, ["3", "1"])
    assert list(pts.index) == ["3", "1"] and list(pts["lon"]) == [120.0, 100.0]
    with pytest.raises(InputError, match="no point.*9"):
        geo.unit_points(table, ["1", "9"])


def test_check_panel_quarterly_and_annual():
    p = pd.DataFrame({"adcode": [" 110100", "120100"], "period": ["2021", "2021"], "dti": [1.0, 2.0]})
    assert list(schema.check_panel(p)["adcode"]) == ["110100", "120100"]  # annual accepted, stripped
    with pytest.raises(MethodError, match="not a quarter"):
        schema.check_panel(p, quarterly=True)
    with pytest.raises(InputError, match="more than one row for adcode 110100, period 2021"):
        schema.check_panel(pd.concat([p, p.iloc[[0]]]))


def test_growth_of_a_read_panel_skips_metadata_columns():
    panel = geodti.read_panel(SMALL)
    assert "source_row" in panel.columns and pd.api.types.is_numeric_dtype(panel["source_row"])
    g = growth(panel)
    assert "source_row" not in set(g["variable"])
    assert set(g["variable"]) == set(schema.schema_of(panel).value_columns)
