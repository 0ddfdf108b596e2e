"""GIS layers of a panel: cities, cities_panel, provinces, agglomerations agree with geodti.index."""

import warnings

import numpy as np
import pandas as pd
import pytest
import shapely
from layers_fixtures import bundled_polygons, sample_panel

from geodti.errors import InputError, MethodError
from geodti.index.growth import growth, rank_within, summary_growth
from geodti.index.summary import agglomeration_table, group_summary
from geodti.io.layers import FieldNameWarning, read_layer, write_layers
from geodti.places.gazetteer import agglomerations, gazetteer
from geodti.io.layer_builder import LAYERS, build_layers
from geodti.schema import schema_of

WINDOW = ("2022Q1", "2023Q1")


def _multi(g):
    return shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g


@pytest.fixture(scope="module")
def built():
    cities, provinces = bundled_polygons()
    panel = sample_panel()
    return panel, build_layers(panel, cities=cities, provinces=provinces)


def _clean(panel):
    return panel.loc[panel["adcode"].notna(), ["adcode", "name", "period", *schema_of(panel).value_columns]]


def test_layer_names_and_sizes(built):
    panel, layers = built
    assert list(layers) == list(LAYERS)
    assert len(layers["cities"]) == 370
    assert len(layers["cities_panel"]) == 370 * panel["period"].nunique()
    assert len(layers["provinces"]) == 34
    assert len(layers["agglomerations"]) == 11
    for layer in layers.values():
        assert layer.crs.to_epsg() == 4326
        assert layer.attrs["period"] == "2023Q1" and layer.attrs["window"] == "2022Q1-2023Q1"
        assert set(layer.geom_type) == {"MultiPolygon"}


def test_cities_values_rank_share_growth(built):
    panel, layers = built
    cities = layers["cities"].set_index("adcode")
    clean = _clean(panel)
    at = clean[clean["period"] == "2023Q1"].set_index("adcode")
    assert cities["has_data"].sum() == len(at) == 367
    missing = sorted(cities.index[~cities["has_data"]])
    assert cities.loc[missing, "dti"].isna().all() and cities.loc[missing, "dti_rank"].isna().all()
    for col in schema_of(panel).value_columns:
        np.testing.assert_array_equal(cities.loc[at.index, col].to_numpy(), at[col].to_numpy())
    ranks = rank_within(at.reset_index(), "dti")
    np.testing.assert_array_equal(cities.loc[at.index, "dti_rank"].to_numpy(), ranks.to_numpy())
    assert cities["dti_share"].sum() == pytest.approx(1.0, abs=1e-12)
    share = (at["dti"] / at["dti"].sum()).to_numpy()
    assert cities.loc[at.index, "dti_share"].to_numpy() == pytest.approx(share)
    yoy = growth(clean[["adcode", "period", "dti"]], "dti")
    yoy = yoy[yoy["period"] == "2023Q1"].set_index("adcode")["yoy"]
    np.testing.assert_allclose(cities.loc[yoy.index, "dti_yoy"], yoy, rtol=1e-12)
    sg = summary_growth(clean[["adcode", "period", "dti"]], "dti", window=WINDOW)
    sg = sg.set_index("adcode")["growth"]
    np.testing.assert_allclose(cities.loc[sg.index, "dti_growth"], sg, rtol=1e-12)
    assert set(cities["growth_window"]) == {"2022Q1-2023Q1"}
    assert cities.loc["440300", "name"] == "深圳市" and cities.loc["440300", "agglomeration"] == "珠三角"
    assert cities.loc["130400", "agglomeration"] == "京津冀; 中原"          # 邯郸 in two


def test_cities_panel_by_period(built):
    panel, layers = built
    cp = layers["cities_panel"]
    assert list(cp.groupby("period").size()) == [370] * 9
    first = cp[cp["period"] == "2021Q1"]
    assert first["dti_yoy"].isna().all()                                    # no year before
    assert first["dti"].sum() == pytest.approx(100.0, abs=1e-4)             # base period = 100
    for period, part in cp.groupby("period"):
        assert part["dti_rank"].min() == 1 and part["dti_share"].sum() == pytest.approx(1.0)
    later = cp[cp["period"] == "2023Q1"].set_index("adcode")
    np.testing.assert_array_equal(later["dti_rank"], layers["cities"].set_index("adcode")["dti_rank"])


def test_provinces_agree_with_group_summary(built):
    panel, layers = built
    prov = layers["provinces"].set_index("province_adcode")
    gz = gazetteer()
    expected = group_summary(_clean(panel), gz, "province_adcode", variable="dti", period="2023Q1",
                             window=WINDOW).set_index("province_adcode")
    common = expected.index
    assert len(common) == 31                                                # mainland provinces
    np.testing.assert_allclose(prov.loc[common, "dti"], expected["total"], rtol=1e-12)
    np.testing.assert_allclose(prov.loc[common, "dti_share"], expected["share"], rtol=1e-12)
    np.testing.assert_allclose(prov.loc[common, "dti_mean"], expected["mean"], rtol=1e-12)
    np.testing.assert_allclose(prov.loc[common, "dti_growth"], expected["total_growth"], rtol=1e-12)
    np.testing.assert_allclose(prov.loc[common, "dti_mean_growth"], expected["mean_growth"], rtol=1e-12)
    assert (prov.loc[common, "dti_top_adcode"] == expected["leading_adcode"]).all()
    assert (prov.loc[common, "dti_rank"] == expected["rank"]).all()
    outside = prov.index.difference(common)                                 # 台湾, 香港, 澳门
    assert (prov.loc[outside, "n_in_panel"] == 0).all() and prov.loc[outside, "dti"].isna().all()
    assert prov.loc["440000", "province"] == "广东省" and prov.loc["440000", "n_units"] == 21
    # the layer sums every value column, not only the ranked one
    g = _clean(panel)
    g = g[(g["period"] == "2023Q1") & g["adcode"].str.startswith("44")]
    assert prov.loc["440000", "industry_games"] == pytest.approx(g["industry_games"].sum(), rel=1e-12)


def test_agglomerations_agree_with_summary(built):
    panel, layers = built
    agg = layers["agglomerations"].set_index("agglomeration")
    members = agglomerations()
    expected = agglomeration_table(_clean(panel), members, variable="dti", period="2023Q1",
                                   window=WINDOW).set_index("agglomeration")
    assert sorted(agg.index) == sorted(expected.index)
    idx = expected.index
    np.testing.assert_allclose(agg.loc[idx, "dti"], expected["total"], rtol=1e-12)
    np.testing.assert_allclose(agg.loc[idx, "dti_share"], expected["share"], rtol=1e-12)
    np.testing.assert_allclose(agg.loc[idx, "dti_mean"], expected["mean"], rtol=1e-12)
    np.testing.assert_allclose(agg.loc[idx, "dti_growth"], expected["total_growth"], rtol=1e-12)
    np.testing.assert_allclose(agg.loc[idx, "dti_mean_growth"], expected["mean_growth"], rtol=1e-12)
    assert (agg.loc[idx, "dti_top_adcode"] == expected["leading_adcode"]).all()
    assert (agg.loc[idx, "n_units"] == expected["n_members"]).all()
    assert agg.loc["京津冀", "shared_members"] == "邯郸市(中原); 邢台市(中原)"
    assert "运城市(京津冀" not in agg.loc["中原", "shared_members"]
    assert "运城市(关中平原)" in agg.loc["中原", "shared_members"]
    assert "抚州市" in agg.loc["长江中游", "partial_members"]
    assert agg.loc["珠三角", "partial_members"] == ""


def test_agglomeration_outlines_are_member_unions(built):
    _, layers = built
    cities, _ = bundled_polygons()
    members = agglomerations()
    agg = layers["agglomerations"].set_index("agglomeration")
    for name in ("京津冀", "中原"):
        codes = members.loc[members["agglomeration"] == name, "adcode"]
        union = shapely.union_all(cities.set_index("adcode").loc[codes, "geometry"].to_numpy())
        assert agg.loc[name, "geometry"].symmetric_difference(union).area < 1e-9
    # 邯郸 lies in both outlines
    handan = cities.set_index("adcode").loc["130400", "geometry"].representative_point()
    assert agg.loc["京津冀", "geometry"].contains(handan) and agg.loc["中原", "geometry"].contains(handan)


def test_a_missing_value_is_never_a_partial_total():
    cities, provinces = bundled_polygons()
    panel = sample_panel()
    drop = (panel["adcode"] == "110100") & (panel["period"] == "2023Q1")
    panel.loc[(panel["adcode"] == "130400") & (panel["period"] == "2023Q1"), "dti"] = np.nan
    layers = build_layers(panel[~drop].reset_index(drop=True), layers="cities,provinces,agglomerations",
                          cities=cities, provinces=provinces, window=None)
    c = layers["cities"].set_index("adcode")
    assert not c.loc["110100", "has_data"] and pd.isna(c.loc["110100", "dti_rank"])
    assert c.loc["130400", "has_data"] and pd.isna(c.loc["130400", "dti_rank"])
    assert c["dti_share"].isna().all()                    # national total incomplete
    p = layers["provinces"].set_index("province_adcode")
    assert pd.isna(p.loc["110000", "dti"]) and pd.isna(p.loc["130000", "dti"])
    assert p.loc["130000", "n_with_data"] == 11 and p.loc["110000", "n_with_data"] == 0
    assert not pd.isna(p.loc["130000", "infrastructure"])  # other columns are complete
    assert not pd.isna(p.loc["440000", "dti"])
    a = layers["agglomerations"].set_index("agglomeration")
    assert pd.isna(a.loc["京津冀", "dti"]) and pd.isna(a.loc["中原", "dti"])
    assert not pd.isna(a.loc["长三角", "dti"])


def test_window_none_and_window_outside_the_data():
    cities, provinces = bundled_polygons()
    panel = sample_panel()
    layers = build_layers(panel, layers=["cities", "provinces"], cities=cities, provinces=provinces,
                          window=None)
    assert layers["cities"]["dti_growth"].isna().all() and set(layers["cities"]["growth_window"]) == {""}
    assert layers["provinces"]["dti_growth"].isna().all()
    with pytest.raises(MethodError, match="2024Q1"):
        build_layers(panel, layers="cities", cities=cities, window=("2023Q1", "2024Q1"))


def test_chosen_period_and_variables():
    cities, provinces = bundled_polygons()
    layers = build_layers(sample_panel(), layers="cities,provinces", period="2022Q2",
                          variables=["dti", "platform"], cities=cities, provinces=provinces)
    c = layers["cities"]
    assert set(c["period"]) == {"2022Q2"}
    assert {"platform_rank", "platform_share", "platform_yoy", "platform_growth"} <= set(c.columns)
    assert {"platform_mean", "platform_top_name"} <= set(layers["provinces"].columns)


def test_annual_panel():
    cities, _ = bundled_polygons()
    panel = _clean(sample_panel())
    panel["year"] = panel["period"].str[:4]
    annual = panel.groupby(["adcode", "year"], as_index=False)["dti"].mean()
    annual = annual.rename(columns={"year": "period"})
    annual = annual[annual["period"] != "2023"].reset_index(drop=True)
    annual.attrs = {"value_columns": ["dti"]}
    with pytest.raises(MethodError, match="annual"):
        build_layers(annual, layers="cities", cities=cities)
    c = build_layers(annual, layers="cities", cities=cities, window=None)["cities"].set_index("adcode")
    a = annual.set_index(["adcode", "period"])["dti"]
    assert c.loc["440300", "period"] == "2022"
    assert c.loc["440300", "dti_yoy"] == pytest.approx(a["440300", "2022"] / a["440300", "2021"] - 1)


def test_unplaced_rows_are_reported():
    cities, _ = bundled_polygons()
    panel = sample_panel()
    extra = panel.iloc[:1].copy()
    extra["adcode"] = None
    extra["city_input"] = "不存在市"
    attrs = dict(panel.attrs)
    panel.attrs, extra.attrs = {}, {}
    panel = pd.concat([panel, extra], ignore_index=True)
    panel.attrs = attrs
    layers = build_layers(panel, layers="cities", cities=cities)
    assert layers["cities"].attrs["n_unplaced_rows"] == 1
    assert len(layers["cities"]) == 370


def test_refusals():
    cities, _ = bundled_polygons()
    panel = sample_panel()
    with pytest.raises(InputError, match="unknown layer"):
        build_layers(panel, layers="cities,roads", cities=cities)
    with pytest.raises(InputError, match="not value columns"):
        build_layers(panel, layers="cities", variables="gdp", cities=cities)
    with pytest.raises(InputError, match="2030Q1"):
        build_layers(panel, layers="cities", period="2030Q1", cities=cities)


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "parquet", "shp", "fgb"])
def test_layers_write_and_read_back(built, tmp_path, fmt):
    _, layers = built
    small = {k: layers[k] for k in ("cities", "provinces", "agglomerations")}
    out = tmp_path / ("layers.gpkg" if fmt == "gpkg" else "layers")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FieldNameWarning)
        write_layers(small, out, fmt)
    for name, layer in small.items():
        path = out if fmt == "gpkg" else out / f"{name}.{fmt}"
        back = read_layer(path, layer=name if fmt == "gpkg" else None)
        key = layer.columns[0]
        back = back.sort_values(key).reset_index(drop=True)
        want = layer.sort_values(key).reset_index(drop=True)
        assert list(back.columns) == list(want.columns)
        assert back.crs.to_epsg() == 4326
        # the real polygons come back: exactly, or within the 1e-6 degree rounding of GeoJSON
        # (a Shapefile does not record Polygon vs MultiPolygon: single parts come back as Polygon)
        got = shapely.normalize([_multi(g) for g in back.geometry])
        exp = shapely.normalize(want.geometry.to_numpy())
        tol = 0.75e-6 if fmt == "geojson" else 0.0
        same = shapely.equals_exact(got, exp, tol)
        if fmt == "geojson" and not same.all():
            # rounding can change which vertex normalize starts a ring at: compare as shapes
            assert (shapely.hausdorff_distance(got[~same], exp[~same]) <= tol).all()
        else:
            assert same.all()
        for col in want.columns.drop("geometry"):
            w, b = want[col], back[col]
            if pd.api.types.is_float_dtype(w):
                np.testing.assert_allclose(b.to_numpy(float), w.to_numpy(float), rtol=1e-13, atol=1e-15)
            else:
                # a Shapefile (dBASE) cannot tell empty text from null
                empty = None if fmt == "shp" else ""
                got = [None if pd.isna(v) else v for v in b]
                assert got == [None if pd.isna(v) else (empty if v == "" else v) for v in w], col


def test_real_outlines(built):
    _, layers = built
    cities, provinces = bundled_polygons()
    prov = layers["provinces"].set_index("province_adcode")
    shapes = provinces.set_index("adcode")["geometry"]
    assert all(prov.loc[code, "geometry"].equals(shapes[code]) for code in shapes.index)
    agg = layers["agglomerations"]
    albers = "+proj=aea +lat_1=25 +lat_2=47 +lon_0=105"
    assert agg.geometry.is_valid.all() and (agg.to_crs(albers).area > 0).all()
    # an outline is the union of its members: its area is their area (members do not overlap)
    members = agglomerations()
    area = cities.set_index("adcode").to_crs(albers).area
    for row in agg.to_crs(albers).itertuples():
        codes = members.loc[members["agglomeration"] == row.agglomeration, "adcode"]
        assert row.geometry.area == pytest.approx(area[codes].sum(), rel=1e-6)
