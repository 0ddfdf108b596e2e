"""Shared fixtures of the layer tests: the synthetic sample panel and stand-in polygons.

The stand-in polygons are SYNTHETIC: Voronoi cells around the gazetteer's representative
points, clipped to a box; they share edges like real boundaries but are not boundaries. The
layer logic (fields, totals, dissolves) does not depend on the shapes.
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely

from geodti._paths import data_dir
from geodti.places.gazetteer import gazetteer

SAMPLE = data_dir() / "sample" / "dti_panel_SYNTHETIC.csv"


@lru_cache(maxsize=1)
def _voronoi():
    gz = gazetteer()
    pts = shapely.points(gz["lon"].to_numpy(), gz["lat"].to_numpy())
    box = shapely.box(70, 15, 136, 55)
    cells = list(shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=box).geoms)
    tree = shapely.STRtree(cells)
    point_i, cell_i = tree.query(pts, predicate="within")
    order = np.empty(len(pts), dtype=int)
    order[point_i] = cell_i
    geoms = [shapely.intersection(cells[i], box) for i in order]
    cities = gpd.GeoDataFrame(gz[["adcode", "name", "province", "province_adcode", "unit_type"]],
                              geometry=geoms, crs=4326)
    provinces = (cities.dissolve("province_adcode", sort=True).reset_index()
                 [["province_adcode", "province", "geometry"]]
                 .rename(columns={"province_adcode": "adcode", "province": "name"}))
    return cities, provinces


def synthetic_polygons():
    """(cities, provinces) stand-in GeoDataFrames (copies)."""
    cities, provinces = _voronoi()
    return cities.copy(), provinces.copy()


@lru_cache(maxsize=1)
def _sample_panel():
    from geodti.io.panel import read_panel

    return read_panel(SAMPLE)


def sample_panel():
    """The bundled synthetic DTI panel read with read_panel (a copy, attrs kept)."""
    panel = _sample_panel()
    out = panel.copy()
    out.attrs = dict(panel.attrs)
    return out
