"""docs/layers.md lists exactly the fields, types and Shapefile names that geodti writes for the sample."""

import re
import warnings
from pathlib import Path

import pyogrio
import pytest
from layers_fixtures import sample_panel

from geodti.io.layer_builder import LAYERS, build_layers
from geodti.io.layers import FieldNameWarning, write_layers

DOC = Path(__file__).resolve().parents[1] / "docs" / "layers.md"
TYPES = {"object": "text", "bool": "boolean", "int64": "integer", "int32": "integer", "float64": "real"}


def documented() -> dict[str, list[tuple[str, str, str]]]:
    """{layer: [(field, shapefile_field, type), ...]} from the doc's per-layer tables."""
    sections = re.split(r"^## ", DOC.read_text(encoding="utf-8"), flags=re.M)
    out = {}
    for section in sections:
        head = re.match(r"`(\w+)`\s*\n", section)
        if not head:
            continue
        rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \| (\w+) \|", section, flags=re.M)
        out[head.group(1)] = rows
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    layers = build_layers(sample_panel())          # the bundled detailed boundaries, as exported
    folder = tmp_path_factory.mktemp("doc")
    write_layers(layers, folder / "layers.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FieldNameWarning)
        write_layers(layers, folder / "shp", "shp")
    return folder


def test_every_layer_is_documented():
    assert list(documented()) == list(LAYERS)


@pytest.mark.parametrize("layer", LAYERS)
def test_documented_fields_match_the_written_layer(written, layer):
    info = pyogrio.read_info(written / "layers.gpkg", layer=layer)
    actual = [(f, TYPES[str(t)]) for f, t in zip(info["fields"], info["dtypes"])]
    doc = [(f, t) for f, _, t in documented()[layer]]
    assert doc == actual
    assert info["geometry_type"] == "MultiPolygon" and info["crs"] == "EPSG:4326"


@pytest.mark.parametrize("layer", LAYERS)
def test_documented_shapefile_names_match(written, layer):
    info = pyogrio.read_info(written / "shp" / f"{layer}.shp")
    assert [s for _, s, _ in documented()[layer]] == list(info["fields"])


def test_every_run_layer_is_documented():
    """The run's section lists the layers of RUN_LAYERS that geodti export does not write,
    in the GeoPackage's order, after the fields the run adds to cities."""
    from geodti.io.layer_builder import RUN_LAYERS

    run_part = DOC.read_text(encoding="utf-8").split("# Layers of `geodti run`", 1)[1]
    headings = re.findall(r"^### `(\w+)`", run_part, flags=re.M)
    own = [layer.name for layer in RUN_LAYERS if layer.name not in LAYERS]
    assert headings == ["cities", *own]
    assert [layer.name for layer in RUN_LAYERS if layer.name in LAYERS] == [
        "cities", "provinces", "agglomerations"]
