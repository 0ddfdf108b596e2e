"""GIS layer writers: round trips in every format, CRS labels, RFC 7946, Shapefile names, bytes, atomicity."""

import json
import shutil
import sqlite3
import warnings
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geodti.errors import InputError
from geodti.io import layers as L
from geodti.io.layers import (
    FIXED_DATE, FieldNameWarning, prepare_layer, read_layer, shapefile_field_names, write_layer,
    write_layers,
)

FORMATS = ["gpkg", "geojson", "parquet", "shp", "fgb"]
EXT = {"gpkg": ".gpkg", "geojson": ".geojson", "parquet": ".parquet", "shp": ".shp", "fgb": ".fgb"}


def _layer():
    """Small polygons with Chinese names and values, NaN, nullable types, awkward rings."""
    clockwise = shapely.Polygon([(116.1234567891, 40.0), (116.0, 41.0), (117.0, 41.0)])  # exterior CW
    holed = shapely.Polygon([(117, 39), (118, 39), (118, 40), (117, 40)],
                            [[(117.2, 39.2), (117.2, 39.4), (117.4, 39.4), (117.4, 39.2)]])
    multi = shapely.MultiPolygon([shapely.box(114, 38, 115, 39), shapely.box(115.5, 38, 116, 38.5)])
    return gpd.GeoDataFrame({
        "adcode": ["110100", "120100", "130100"],
        "name": ["北京市", "天津市", "石家庄市"],
        "城市群": ["京津冀", None, "京津冀; 中原"],
        "dti value": [15.734803123456789, np.nan, 1 / 3],
        "城市群平均增速": [0.1, 0.2, np.nan],
        "has_data": [True, False, True],
        "rank": pd.array([1, None, 3], dtype="Int64"),
        "partial": pd.array([True, None, False], dtype="boolean"),
        "tier": pd.Categorical(["一线", None, "二线"]),
        "updated": pd.to_datetime(["2023-04-01 00:00", None, "2023-04-02 12:30"]),
        "quarter": pd.PeriodIndex(["2023Q1", "2022Q4", "2023Q1"], freq="Q"),
    }, geometry=[clockwise, holed, multi], crs=4326)


def _main_file(files, fmt):
    return next(f for f in files if f.suffix == EXT[fmt] and f.stem == "cities")


def _multi(g):
    return g if g.geom_type.startswith("Multi") else shapely.MultiPolygon([g])


def _assert_same_values(back, expected):
    assert list(back.columns[:-1]) == [c for c in expected.columns if c != "geometry"]
    back = back.sort_values("adcode").reset_index(drop=True)   # FlatGeobuf stores Hilbert order
    for col in expected.columns:
        if col == "geometry":
            continue
        got, want = back[col].tolist(), expected[col].tolist()
        for g, w in zip(got, want):
            if pd.isna(w):
                assert pd.isna(g), (col, got, want)
            elif isinstance(w, float):
                assert g == pytest.approx(w, rel=0, abs=1e-14), (col, g, w)
            else:
                assert g == w, (col, g, w)
    return back


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(tmp_path, fmt):
    layer = _layer()
    out = tmp_path / ("layers.gpkg" if fmt == "gpkg" else "layers")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FieldNameWarning)
        files = write_layers({"cities": layer, "省份": layer.iloc[:2]}, out, fmt)
    path = _main_file(files, fmt) if fmt != "gpkg" else files[0]
    back = read_layer(path, layer="cities" if fmt == "gpkg" else None)
    assert back.crs.to_epsg() == 4326
    expected = prepare_layer(layer, fmt)
    # text, NaN, booleans, nullable integers and booleans, dates as text
    assert expected["updated"].tolist() == ["2023-04-01T00:00:00", None, "2023-04-02T12:30:00"]
    assert expected["tier"].tolist() == ["一线", None, "二线"] and expected["quarter"].tolist()[0] == "2023Q1"
    back = _assert_same_values(back, expected)
    assert back["rank"].dtype == "Int64" and back["partial"].dtype == "boolean"
    assert back["has_data"].dtype == bool
    # geometry: exact except GeoJSON, which is rounded to 1e-6 degree
    for got, want in zip(back.geometry, expected.geometry):
        a, b = shapely.normalize(_multi(got)), shapely.normalize(_multi(want))
        if fmt == "geojson":
            assert shapely.hausdorff_distance(a, b) <= 0.75e-6
        else:
            assert shapely.equals_exact(a, b, 0), (fmt, a.wkt, b.wkt)
    # the second layer is there too
    second = read_layer(files[0], layer="省份") if fmt == "gpkg" else read_layer(out / f"省份{EXT[fmt]}")
    assert sorted(second["adcode"]) == ["110100", "120100"]


@pytest.mark.parametrize("fmt", ["gpkg", "parquet", "shp", "fgb"])
def test_cgcs2000_label_keeps_coordinates(tmp_path, fmt):
    layer = _layer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FieldNameWarning)
        out = tmp_path / ("x.gpkg" if fmt == "gpkg" else "x")
        files = write_layers({"cities": layer}, out, fmt, crs=4490)
    path = files[0] if fmt == "gpkg" else _main_file(files, fmt)
    back = read_layer(path).sort_values("adcode").reset_index(drop=True)
    assert back.crs.to_epsg() == 4490
    assert pyogrio.read_info(path)["crs"] == "EPSG:4490" if fmt != "parquet" else True
    before = shapely.get_coordinates(prepare_layer(layer, fmt).geometry.to_numpy())
    after = shapely.get_coordinates(back.geometry.to_numpy())
    np.testing.assert_array_equal(np.sort(before, axis=0), np.sort(after, axis=0))


def test_other_crs_is_transformed_to_wgs84(tmp_path):
    layer = _layer().to_crs(3857)
    files = write_layers({"cities": layer}, tmp_path / "x.gpkg")
    back = read_layer(files[0])
    assert back.crs.to_epsg() == 4326
    assert back.geometry.iloc[0].bounds[0] == pytest.approx(116.0, abs=1e-6)


def test_geojson_refuses_cgcs2000(tmp_path):
    with pytest.raises(InputError, match="RFC 7946"):
        write_layers({"cities": _layer()}, tmp_path / "x", "geojson", crs=4490)
    assert not (tmp_path / "x").exists()


def test_geojson_follows_rfc7946(tmp_path):
    files = write_layers({"cities": _layer()}, tmp_path / "x", "geojson")
    text = files[0].read_text(encoding="utf-8")
    doc = json.loads(text)
    assert "crs" not in doc
    assert "北京市" in text                                   # UTF-8, not \u escapes
    coords = np.concatenate([shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))
                             for f in doc["features"]])
    assert np.array_equal(np.round(coords, 6), coords)                # 1e-6 degree precision
    assert 116.123457 in coords[:, 0]                                 # rounded, not cut
    assert doc["features"][0]["geometry"]["type"] == "MultiPolygon"
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 110 < lon < 120 and 35 < lat < 45                          # lon, lat order
    for feature in doc["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        for poly in getattr(geom, "geoms", [geom]):
            assert poly.exterior.is_ccw
            assert all(not ring.is_ccw for ring in poly.interiors)
    # the writer reversed the clockwise input ring
    assert not _layer().geometry.iloc[0].exterior.is_ccw


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_writes_give_identical_bytes(tmp_path, fmt):
    layer = _layer()
    outputs = []
    for i in (1, 2):
        out = tmp_path / (f"run{i}.gpkg" if fmt == "gpkg" else f"run{i}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FieldNameWarning)
            files = write_layers({"cities": layer, "省份": layer.iloc[:1]}, out, fmt)
        outputs.append({f.name.replace(f"run{i}", "run"): f.read_bytes() for f in files})
    assert outputs[0].keys() == outputs[1].keys()
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], name


def test_geopackage_timestamp_is_fixed(tmp_path):
    path = write_layers({"cities": _layer()}, tmp_path / "x.gpkg")[0]
    with sqlite3.connect(path) as con:
        stamps = {row[0] for row in con.execute("select last_change from gpkg_contents")}
    # GeoPackage requirement 15: ISO 8601 with milliseconds, in UTC
    assert stamps == {"2000-01-01T00:00:00.000Z"} == {FIXED_DATE}
    # and GDAL's setting is restored afterwards
    assert pyogrio.get_gdal_config_option("OGR_CURRENT_DATE") is None


def test_geopackage_passes_gdal_validator(tmp_path):
    """GDAL's own GeoPackage validator (gdal-utils' validate_gpkg; its optional osgeo checks
    concern tiles only) finds no error and, with warnings as errors, no warning."""
    from osgeo_utils.samples import validate_gpkg

    layers = {"cities": _layer(), "省份": _layer().iloc[:2],
              "points": gpd.GeoDataFrame({"n": [1, 2]}, geometry=shapely.points([[116, 40], [121, 31]]),
                                         crs=4326)}
    for crs in (4326, 4490):
        path = write_layers(layers, tmp_path / f"x{crs}.gpkg", crs=crs)[0]
        messages = []
        errors = validate_gpkg.check(str(path), abort_at_first_error=False, extra_checks=True,
                                     warning_as_error=True, myprint=messages.append)
        assert errors == [] and messages == [], (crs, errors, messages)


_DBF_WRITER = """
import sys, geopandas as gpd, shapely
from geodti.io.layers import write_layers
layer = gpd.GeoDataFrame({"name": ["北京市"], "has_data": [True]}, geometry=[shapely.box(0, 0, 1, 1)],
                         crs=4326)
write_layers({"cities": layer}, sys.argv[1], "shp")
"""


def _write_shapefile_under(clock: str | None, out, tmp_path):
    """Write a Shapefile set in a new process, with the process clock faked to ``clock``."""
    import os
    import subprocess
    import sys

    script = tmp_path / "write_dbf.py"
    script.write_text(_DBF_WRITER, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    prefix = ["faketime", "-f", clock] if clock else []
    subprocess.run([*prefix, sys.executable, str(script), str(out)], check=True, env=env)
    return (out / "cities.dbf").read_bytes()


def test_shapefile_dbf_date_is_fixed(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FieldNameWarning)
        path = write_layers({"cities": _layer()}, tmp_path / "shp", "shp")[0].with_suffix(".dbf")
    header = path.read_bytes()
    # dBASE header bytes 1-3: date of last update as YY (years since 1900), MM, DD
    assert tuple(header[1:4]) == (100, 1, 1) and L.DBF_DATE == "2000-01-01"
    assert pyogrio.read_info(path.with_suffix(".shp"))["layer_metadata"]["DBF_DATE_LAST_UPDATE"] == L.DBF_DATE


def test_shapefile_bytes_do_not_depend_on_the_date(tmp_path):
    """Written today and with the clock faked to another year and day: the same bytes."""
    if shutil.which("faketime") is None:
        from conftest import missing_system_tool

        missing_system_tool("faked-clock test", "no faketime to fake the process clock",
                            "Debian's 'faketime' package")
    today = _write_shapefile_under(None, tmp_path / "today", tmp_path)
    later = _write_shapefile_under("@2031-07-15 23:30:00", tmp_path / "later", tmp_path)
    assert today == later
    assert tuple(later[1:4]) == (100, 1, 1)
    # the faked clock does reach GDAL: without the fixed date the header would carry 2031-07-15
    probe = tmp_path / "probe.py"
    probe.write_text("import sys, geopandas as gpd, shapely, pyogrio\n"
                     "g = gpd.GeoDataFrame({'a': [1]}, geometry=[shapely.Point(0, 0)], crs=4326)\n"
                     "pyogrio.write_dataframe(g, sys.argv[1])\n", encoding="utf-8")
    import subprocess
    import sys
    subprocess.run(["faketime", "-f", "@2031-07-15 23:30:00", sys.executable, str(probe),
                    str(tmp_path / "probe.shp")], check=True)
    assert tuple((tmp_path / "probe.dbf").read_bytes()[1:4]) == (131, 7, 15)


#: The boolean fields geodti's layers carry (docs/layers.md): ``has_data`` on the city layers,
#: the significance flags on ``lisa`` and ``hotspots``.
BOOLEAN_FIELDS = ("has_data", "sig_none", "sig_fdr", "sig_bonferroni")


@pytest.mark.parametrize("fmt", FORMATS)
def test_boolean_fields_read_back_as_boolean(tmp_path, fmt):
    layer = _layer()[["adcode", "geometry"]].assign(
        has_data=[True, False, True], sig_none=[False, True, True], sig_fdr=[False, False, True],
        sig_bonferroni=[False, False, False],
        maybe=pd.array([True, None, False], dtype="boolean"))
    out = tmp_path / ("x.gpkg" if fmt == "gpkg" else "x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FieldNameWarning)   # sig_bonferroni -> sig_bonfer
        files = write_layers({"cities": layer}, out, fmt)
    path = files[0] if fmt == "gpkg" else _main_file(files, fmt)
    # Shapefile field names are at most 10 bytes; compare under the names in the file
    names = shapefile_field_names(layer.columns.drop("geometry")) if fmt == "shp" else {}
    if fmt == "parquet":
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        assert all(str(schema.field(f).type) == "bool" for f in (*BOOLEAN_FIELDS, "maybe"))
        raw = gpd.read_parquet(path)
    else:
        # the format itself records the type: OGR reads a boolean field, not 0/1 or "T"/"F"
        info = pyogrio.read_info(path)
        types = dict(zip(info["fields"], info["dtypes"]))
        subtypes = dict(zip(info["fields"], info["ogr_subtypes"]))
        for f in (*BOOLEAN_FIELDS, "maybe"):
            stored = names.get(f, f)
            assert (types[stored], subtypes[stored]) == ("bool", "OFSTBoolean"), (fmt, f)
        raw = pyogrio.read_dataframe(path)
    raw = raw.sort_values("adcode").reset_index(drop=True)     # FlatGeobuf: Hilbert order
    for field in BOOLEAN_FIELDS:
        got = raw[names.get(field, field)]
        assert got.dtype == bool, (fmt, field, got.dtype)
        assert got.tolist() == layer[field].tolist(), field
    back = read_layer(path).sort_values("adcode").reset_index(drop=True)
    assert back["maybe"].dtype == "boolean"
    assert back["maybe"].tolist()[0] is True and back["maybe"].isna().tolist() == [False, True, False]
    assert back["maybe"].tolist()[2] is False


def test_shapefile_field_map_and_encoding(tmp_path):
    layer = _layer()
    with pytest.warns(FieldNameWarning, match="城市群平均增速 -> csqpjzs"):
        files = write_layers({"cities": layer}, tmp_path / "shp", "shp")
    names = sorted(f.name for f in files)
    assert names == ["cities.cpg", "cities.dbf", "cities.prj", "cities.shp", "cities.shx",
                     "cities_fields.csv"]
    assert (tmp_path / "shp" / "cities.cpg").read_text().strip().upper() in {"UTF-8", "UTF8"}
    raw_fields = list(pyogrio.read_info(tmp_path / "shp" / "cities.shp")["fields"])
    assert all(f.isascii() and len(f.encode()) <= 10 for f in raw_fields)
    assert len({f.upper() for f in raw_fields}) == len(raw_fields)
    field_map = pd.read_csv(tmp_path / "shp" / "cities_fields.csv", encoding="utf-8-sig", dtype=str)
    assert field_map["field"].tolist() == [c for c in layer.columns if c != "geometry"]
    assert field_map["shapefile_field"].tolist() == raw_fields
    assert dict(zip(field_map["field"], field_map["shapefile_field"]))["dti value"] == "dti_value"
    back = read_layer(tmp_path / "shp" / "cities.shp")
    assert list(back.columns[:-1]) == field_map["field"].tolist()
    assert back["城市群"].tolist()[0] == "京津冀"


def test_shapefile_zip_is_stable(tmp_path):
    layer = _layer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FieldNameWarning)
        a = write_layers({"cities": layer, "provinces": layer}, tmp_path / "a.zip", "shp")[0]
        b = write_layers({"cities": layer, "provinces": layer}, tmp_path / "b.zip", "shp")[0]
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert "cities_fields.csv" in zf.namelist() and "provinces.dbf" in zf.namelist()
    back = gpd.read_file(f"zip://{a}!cities.shp", engine="pyogrio")
    assert len(back) == 3


def test_shapefile_field_names_rules():
    cols = ["adcode", "name", "province_adcode", "城市群平均增速", "增速", "dti value", "2021Q1",
            "industry_finance", "ind_financ", "infrastructure_growth"]
    mapping = shapefile_field_names(cols)
    assert mapping == shapefile_field_names(cols)                       # deterministic
    assert mapping["adcode"] == "adcode" and mapping["province_adcode"] == "prov_code"
    assert mapping["增速"] == "zengsu" and mapping["城市群平均增速"] == "csqpjzs"
    assert mapping["2021Q1"] == "f2021Q1"
    assert mapping["ind_financ"] == "ind_financ"                        # fitting names are kept
    assert mapping["industry_finance"] != "ind_financ"
    assert all(v.isascii() and len(v) <= 10 for v in mapping.values())
    assert len({v.upper() for v in mapping.values()}) == len(cols)


def test_shapefile_names_unique_after_truncation():
    cols = [f"城市群平均增速第{i}季度" for i in range(12)] + [f"population_density_{i}" for i in range(12)]
    mapping = shapefile_field_names(cols)
    values = list(mapping.values())
    assert len({v.upper() for v in values}) == len(values)
    assert all(v.isascii() and len(v.encode()) <= 10 and v[0].isalpha() for v in values)


def test_shapefile_refuses_long_text(tmp_path):
    layer = _layer()
    layer["note"] = ["短", "长" * 85, None]                            # 255 bytes
    with pytest.raises(InputError, match="column 'note', row 2.*254 bytes"):
        write_layers({"cities": layer}, tmp_path / "shp", "shp")
    assert not (tmp_path / "shp").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_failure_mid_write_leaves_nothing(tmp_path, monkeypatch, fmt):
    calls = []
    real_ogr, real_parquet = L._write_ogr, L._write_parquet

    def failing_ogr(frame, path, f, layer):
        calls.append(layer)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_ogr(frame, path, f, layer)

    def failing_parquet(frame, path, bbox):
        calls.append(path)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_parquet(frame, path, bbox)

    monkeypatch.setattr(L, "_write_ogr", failing_ogr)
    monkeypatch.setattr(L, "_write_parquet", failing_parquet)
    out = tmp_path / ("x.gpkg" if fmt == "gpkg" else "x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FieldNameWarning)
        with pytest.raises(RuntimeError, match="disk full"):
            write_layers({"cities": _layer(), "provinces": _layer()}, out, fmt)
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []                              # no target, no temp files


def test_failure_keeps_the_previous_file(tmp_path, monkeypatch):
    out = tmp_path / "x.gpkg"
    write_layers({"cities": _layer()}, out)
    before = out.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(L, "_write_ogr", boom)
    with pytest.raises(RuntimeError):
        write_layers({"cities": _layer().iloc[:1]}, out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.gpkg"]


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet", ".shp", ".fgb"])
def test_write_layer_by_suffix(tmp_path, suffix):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FieldNameWarning)
        files = write_layer(_layer(), tmp_path / f"城市{suffix}")
    assert files[0] == tmp_path / f"城市{suffix}"
    back = read_layer(files[0])
    assert sorted(back["name"]) == sorted(["北京市", "天津市", "石家庄市"])
    if suffix == ".shp":
        assert (tmp_path / "城市_fields.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_parquet_bbox_covering(tmp_path):
    import pyarrow.parquet as pq

    path = write_layers({"cities": _layer()}, tmp_path / "p", "parquet", bbox=True)[0]
    assert "bbox" in pq.read_schema(path).names
    meta = json.loads(pq.read_metadata(path).metadata[b"geo"])
    assert meta["columns"]["geometry"]["encoding"] == "WKB"
    assert "covering" in meta["columns"]["geometry"]


def test_mixed_polygon_types_become_multipolygon(tmp_path):
    path = write_layers({"cities": _layer()}, tmp_path / "x.gpkg")[0]
    assert pyogrio.read_info(path)["geometry_type"] == "MultiPolygon"


def test_refusals(tmp_path):
    layer = _layer()
    with pytest.raises(InputError, match="no CRS"):
        write_layers({"cities": layer.set_crs(None, allow_override=True)}, tmp_path / "x.gpkg")
    with pytest.raises(InputError, match="EPSG:4490"):
        write_layers({"cities": layer}, tmp_path / "x.gpkg", crs=3857)
    with pytest.raises(InputError, match="not offered"):
        write_layers({"cities": layer}, tmp_path / "x.gpkg", format="kml")
    with pytest.raises(InputError, match="letter case"):
        write_layers({"cities": layer.assign(NAME=1)}, tmp_path / "x.gpkg")
    with pytest.raises(InputError, match="file name"):
        write_layers({"a/b": layer}, tmp_path / "x.gpkg")
    with pytest.raises(InputError, match=r"\.gpkg"):
        write_layers({"cities": layer}, tmp_path / "x")
    with pytest.raises(InputError, match="folder"):
        write_layers({"cities": layer}, tmp_path / "x.fgb", "fgb")
    with pytest.raises(InputError, match="GeoDataFrame"):
        write_layers({"cities": pd.DataFrame({"a": [1]})}, tmp_path / "x.gpkg")
    assert list(tmp_path.iterdir()) == []


def test_input_is_not_modified(tmp_path):
    layer = _layer()
    copy = layer.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FieldNameWarning)
        for fmt in FORMATS:
            write_layers({"cities": layer}, tmp_path / ("x.gpkg" if fmt == "gpkg" else fmt), fmt)
    pd.testing.assert_frame_equal(pd.DataFrame(layer), pd.DataFrame(copy))
    assert layer.crs == copy.crs


def test_proj_treats_cgcs2000_as_wgs84():
    """The justification of relabelling: PROJ's own 4490 -> 4326 operation moves nothing."""
    from pyproj import Transformer

    t = Transformer.from_crs(4490, 4326, always_xy=True)
    assert t.transform(116.391, 39.907) == (116.391, 39.907)
    assert "Ballpark" in t.description


def test_shapefile_field_map_neutralises_formula_names(tmp_path):
    """Field names come from users' tables: the field map CSV never starts a cell with '='."""
    layer = _layer().rename(columns={"dti value": '=HYPERLINK("http://x","y")'})
    with pytest.warns(FieldNameWarning):
        write_layers({"cities": layer}, tmp_path / "shp", "shp")
    text = (tmp_path / "shp" / "cities_fields.csv").read_text(encoding="utf-8-sig")
    assert not any(line.startswith(("=", '"=')) for line in text.splitlines())
    field_map = pd.read_csv(tmp_path / "shp" / "cities_fields.csv", encoding="utf-8-sig", dtype=str)
    assert "'=HYPERLINK(\"http://x\",\"y\")" in field_map["field"].tolist()
