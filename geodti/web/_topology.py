"""Compact geometry for map pages: TopoJSON built by the ``topojson`` package.

TopoJSON stores each shared border once and writes quantised, delta-encoded integer
coordinates (Bostock's TopoJSON specification, https://github.com/topojson/topojson-specification),
so the 370 city polygons take about a quarter of their GeoJSON size. The page decodes it with the
vendored ``topojson-client`` (``topojson.feature``), and ``topojson.merge`` dissolves member
units into agglomeration outlines in the browser, so no geometry is stored twice.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import geopandas as gpd
import shapely
import topojson

from geodti.errors import InputError

#: Grid of the quantised coordinates: 1e5 steps across the layer's extent, about 60 m for
#: China (62 degrees of longitude); finer than the map-resolution boundaries themselves.
QUANTIZATION = 100_000

# A run writes several pages of the same units: encode each set of polygons once.
_CACHE: OrderedDict[tuple[str, int], dict] = OrderedDict()
_CACHE_SIZE = 4


def encode_units(geometry: gpd.GeoSeries, quantization: int = QUANTIZATION) -> dict:
    """TopoJSON topology of the units' polygons, in input order, without properties.

    Parameters
    ----------
    geometry : GeoSeries
        Polygons in EPSG:4326 (or GCJ-02 degrees for Gaode pages), one per unit.
    quantization : int
        Number of grid steps across the extent in each direction.

    Returns
    -------
    dict
        A TopoJSON ``Topology`` with one object, ``units``, whose geometries follow the
        order of ``geometry``. The same polygons give the same (cached) object, which
        callers must not modify.
    """
    digest = hashlib.sha256()
    for wkb in shapely.to_wkb(geometry.values, byte_order=1):
        digest.update(len(wkb).to_bytes(8, "little"))
        digest.update(wkb)
    key = (digest.hexdigest(), int(quantization))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    result = _encode(geometry, quantization)
    _CACHE[key] = result
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


def _encode(geometry: gpd.GeoSeries, quantization: int) -> dict:
    frame = gpd.GeoDataFrame(geometry=list(geometry.values), crs=geometry.crs)
    topo = topojson.Topology(frame, prequantize=quantization, topology=True,
                             presimplify=False, toposimplify=False).to_dict()
    geometries = topo["objects"]["data"]["geometries"]
    if len(geometries) != len(frame):
        raise RuntimeError(f"TopoJSON encoding returned {len(geometries)} geometries for {len(frame)} units")
    lost = [i for i, g in enumerate(geometries) if not g.get("arcs")]
    if lost:
        raise InputError(f"{len(lost)} unit polygon(s) vanished when quantised to a {quantization} grid "
                         f"(rows {lost[:5]}); pass larger polygons or a finer quantization")
    return {
        "type": "Topology",
        "transform": {"scale": [float(s) for s in topo["transform"]["scale"]],
                      "translate": [float(t) for t in topo["transform"]["translate"]]},
        "objects": {"units": {"type": "GeometryCollection",
                              "geometries": [{"type": g["type"], "arcs": g["arcs"]} for g in geometries]}},
        "arcs": topo["arcs"],
    }
