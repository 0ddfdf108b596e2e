"""Compact geometry for map pages: TopoJSON built by the ``topojson`` package.

TopoJSON stores each shared border once and writes quantised, delta-encoded integer
coordinates (Bostock's TopoJSON specification, https://github.com/topojson/topojson-specification),
so the 370 city polygons take about a quarter of their GeoJSON size. The page decodes it with the
vendored ``topojson-client`` (``topojson.feature``), and ``topojson.merge`` dissolves member
units into agglomeration outlines in the browser, so no geometry is stored twice.

How a page encodes its units depends on their level (:data:`PAGE_BUDGETS`, one row per level
of :data:`geodti.places.boundaries.LEVELS`): the grid, an extra coverage simplification, and
the page's size and draw-time budgets, which ``tests/test_maps_levels_browser.py`` and
``benchmarks/bench_maps_levels.py`` hold the pages to.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
import topojson

from geodti.errors import InputError
from geodti.geo import ALBERS_CHINA
from geodti.places.boundaries import level_of

#: Grid of the quantised coordinates: 1e5 steps across the layer's extent, about 60 m for
#: China (62 degrees of longitude); finer than the map-resolution boundaries themselves.
QUANTIZATION = 100_000


@dataclass(frozen=True)
class PageBudget:
    """How the map pages of one level encode their units, and what the pages may cost.

    Attributes
    ----------
    quantization : int
        Grid steps across the extent (:func:`encode_units`).
    simplify_m : float
        Extra coverage simplification (``shapely.coverage_simplify`` tolerance, metres in
        :data:`geodti.geo.ALBERS_CHINA`) before encoding; 0 draws the polygons as given.
    max_bytes : int
        Size budget of one page.
    max_draw_ms : float
        Budget from navigation start to the frame that paints every unit, headless Chromium.
    """

    quantization: int
    simplify_m: float
    max_bytes: int
    max_draw_ms: float


#: Per level. Provinces: the bundled map layer (800 m) would make a 0.56 MB page; at 1,600 m
#: (still finer than a pixel at the national view) it is about 0.44 MB. Cities and counties are
#: drawn as the map-resolution layer is (county page about 2.4 MB for 2,875 units).
PAGE_BUDGETS = {
    "province": PageBudget(quantization=QUANTIZATION, simplify_m=1600.0, max_bytes=500_000, max_draw_ms=1000.0),
    "city": PageBudget(quantization=QUANTIZATION, simplify_m=0.0, max_bytes=1_500_000, max_draw_ms=1000.0),
    "county": PageBudget(quantization=QUANTIZATION, simplify_m=0.0, max_bytes=3_000_000, max_draw_ms=1500.0),
}


def page_budget(units: gpd.GeoDataFrame) -> PageBudget:
    """The :class:`PageBudget` of the units' level (:func:`geodti.places.boundaries.level_of`)."""
    return PAGE_BUDGETS[level_of(units)]


# A run writes several pages of the same units: encode each set of polygons once.
_CACHE: OrderedDict[tuple[str, int, float], dict] = OrderedDict()
_CACHE_SIZE = 4


def encode_units(geometry: gpd.GeoSeries, quantization: int = QUANTIZATION, simplify_m: float = 0.0) -> dict:
    """TopoJSON topology of the units' polygons, in input order, without properties.

    Parameters
    ----------
    geometry : GeoSeries
        Polygons in EPSG:4326 (or GCJ-02 degrees for Gaode pages), one per unit.
    quantization : int
        Number of grid steps across the extent in each direction.
    simplify_m : float
        Coverage-simplify the polygons first with this tolerance (metres, Albers); 0: do not.
        Units that do not form a valid coverage (gaps or overlaps) are never simplified,
        since the simplification could then open gaps between neighbours.

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
    key = (digest.hexdigest(), int(quantization), float(simplify_m))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    if simplify_m > 0 and shapely.coverage_is_valid(np.asarray(geometry.values)):
        geometry = simplify_coverage(geometry, simplify_m)
    result = _encode(geometry, quantization)
    _CACHE[key] = result
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


def simplify_coverage(geometry: gpd.GeoSeries, tolerance_m: float) -> gpd.GeoSeries:
    """Coverage simplification in metres: neighbours keep sharing their simplified edges."""
    crs = geometry.crs
    # projected and back vertex by vertex, so shared vertices stay identical
    albers = geometry.to_crs(ALBERS_CHINA) if crs is not None else geometry
    simple = gpd.GeoSeries(shapely.coverage_simplify(np.asarray(albers.values), tolerance_m), index=geometry.index,
                           crs=albers.crs)
    return simple.to_crs(crs) if crs is not None else simple


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
