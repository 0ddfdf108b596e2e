"""`geodti export`: reads a table, writes the layers, explains refusals."""

import pandas as pd
import pyogrio
import pytest
from layers_fixtures import SAMPLE

from geodti.cli import build_parser, main


@pytest.fixture(scope="module")
def small_table(tmp_path_factory):
    """Two quarters of the synthetic sample, 20 cities, names only (matched by the CLI)."""
    table = pd.read_csv(SAMPLE, dtype={"adcode": str})
    table = table[table["period"].isin(["2022Q4", "2023Q1"])].head(40)
    path = tmp_path_factory.mktemp("cli") / "small_SYNTHETIC.csv"
    table.drop(columns=["adcode"]).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_choices_agree_with_the_library():
    from geodti.io.layers import FORMATS
    from geodti.io.layer_builder import LAYERS

    export = build_parser()._subparsers._group_actions[0].choices["export"]
    fmt = next(a for a in export._actions if a.dest == "format")
    assert tuple(fmt.choices) == tuple(FORMATS)
    layers = next(a for a in export._actions if a.dest == "layers")
    assert layers.default == ",".join(LAYERS)


def test_export_sample_to_geopackage(tmp_path, capsys):
    out = tmp_path / "dti.gpkg"
    assert main(["export", str(SAMPLE), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert f"wrote {out}" in printed.out and "period 2023Q1, growth window 2022Q1-2023Q1" in printed.out
    assert "3 units have no data for 2023Q1" in printed.err
    layers = pyogrio.list_layers(out)[:, 0].tolist()
    assert layers == ["cities", "cities_panel", "provinces", "agglomerations"]
    cities = pyogrio.read_dataframe(out, layer="cities")
    assert len(cities) == 370 and cities["dti_growth"].notna().sum() == 367


def test_export_shapefile_of_chosen_layer_and_period(small_table, tmp_path, capsys):
    out = tmp_path / "shp"
    code = main(["export", str(small_table), "--format", "shp", "--layers", "cities",
                 "--period", "2022Q4", "--window", "none", "--crs", "4490", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr()
    assert "province_adcode -> prov_code" in printed.err
    assert sorted(p.name for p in out.iterdir()) == [
        "cities.cpg", "cities.dbf", "cities.prj", "cities.shp", "cities.shx", "cities_fields.csv"]
    info = pyogrio.read_info(out / "cities.shp")
    assert info["crs"] == "EPSG:4490" and info["features"] == 370
    back = pyogrio.read_dataframe(out / "cities.shp")
    assert set(back["period"]) == {"2022Q4"} and back["has_data"].sum() == 20


def test_refusals_exit_2(small_table, tmp_path, capsys):
    assert main(["export", str(small_table), "--format", "geojson", "--crs", "4490",
                 "--window", "none", "--out", str(tmp_path / "g")]) == 2
    assert "RFC 7946" in capsys.readouterr().err
    # a window the two quarters cannot give is refused (the default, auto, leaves growth empty)
    assert main(["export", str(small_table), "--window", "2022Q1-2023Q1",
                 "--out", str(tmp_path / "x.gpkg")]) == 2
    assert "--window none" in capsys.readouterr().err
    assert main(["export", str(small_table), "--layers", "roads", "--window", "none",
                 "--out", str(tmp_path / "x.gpkg")]) == 2
    assert "unknown layer" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert main(["export", str(small_table), "--out", str(tmp_path / "auto.gpkg")]) == 0
    assert "growth window none" in capsys.readouterr().out
