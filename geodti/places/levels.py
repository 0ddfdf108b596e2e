"""The unit levels a table can be at: province (34), city (370) and county (~2,875).

One table of units per level, with the shared column names (``adcode``, ``name``,
``name_en``, ``province``, ``province_adcode``, ``region``, ``hu_line``, ``lon``, ``lat``)
so that joining, weights and summaries take any level the same way:

``province``
    the 34 provincial-level units (``province_adcode`` of the gazetteer; 香港, 澳门, 台湾 one
    each). ``region`` is the NBS region of its cities (one per province); ``lon``/``lat`` a
    point inside its polygon (the bundled province layer's representative point);
    ``hu_line`` the side of the Hu line that point lies on.
``city``
    the gazetteer's 370 city-level units (:func:`geodti.places.gazetteer.gazetteer`).
``county``
    the county-level units of ``data/counties.csv`` (districts, counties, county-level
    cities, banners; the cities without counties, such as 东莞市, and the 30
    province-administered county-level units are county-level units of their own), with
    ``city_adcode``, the city-level unit containing each. ``region`` and ``hu_line`` are
    the containing city's; ``lon``/``lat`` need the county boundary layer
    (``boundaries/counties_map.parquet``) and are missing without it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from geodti.errors import InputError
from geodti.geo import hu_line_side
from geodti.places.gazetteer import counties, gazetteer

__all__ = ["LEVELS", "SUMMARY_GROUPINGS", "check_level", "check_grouping", "grouping",
           "membership", "parents", "points", "shapes", "units"]

#: The unit levels, from the largest unit to the smallest.
LEVELS = ("province", "city", "county")

UNIT_COLUMNS = ["adcode", "name", "name_en", "province", "province_adcode", "region",
                "hu_line", "lon", "lat"]

#: The bundled groupings a summary of each level's units can take. Agglomerations and
#: administrative ranks (副省级, 地级, 自治州) are groups of cities; a province is its own group.
SUMMARY_GROUPINGS = {
    "province": ("region", "hu_line"),
    "city": ("agglomeration", "province", "region", "hu_line", "admin_rank"),
    "county": ("province", "region", "hu_line"),
}

_WHY_NOT = {
    ("province", "agglomeration"): "agglomerations are groups of cities, and a province is not "
                                   "inside one (长三角 spans parts of four provinces)",
    ("province", "admin_rank"): "administrative ranks (直辖市, 副省级, 地级, 自治州 ...) are "
                                "ranks of cities",
    ("province", "province"): "each province would be a group of one",
    ("county", "agglomeration"): "agglomerations are groups of cities: aggregate the county "
                                 "table up to cities first (geodti aggregate --to city)",
    ("county", "admin_rank"): "administrative ranks (直辖市, 副省级, 地级, 自治州 ...) are "
                              "ranks of cities",
}


def check_grouping(by: str, level: str, others=("layers", "industry", "a column of --groups FILE")) -> str:
    """``by`` if it is a bundled grouping of ``level``'s units (:data:`SUMMARY_GROUPINGS`),
    else an :class:`~geodti.errors.InputError` naming the level, why, and the groupings that
    apply (``others`` appended to them). A name that is no bundled grouping at any level
    (tiers of a user table) is returned."""
    check_level(level)
    known = {b for groupings in SUMMARY_GROUPINGS.values() for b in groupings}
    if by not in known or by in SUMMARY_GROUPINGS[level]:
        return by
    why = _WHY_NOT.get((level, by), f"{by} is not a grouping of {level} units")
    applies = [*SUMMARY_GROUPINGS[level], *others]
    raise InputError(f"--by {by} does not apply to a {level}-level table: {why}. At {level} "
                     f"level use --by {', '.join(applies[:-1])} or {applies[-1]}.")


def check_level(level: str, what: str = "level") -> str:
    """``level`` if it is one of :data:`LEVELS`, else an error listing them."""
    if level not in LEVELS:
        raise InputError(f"unknown {what} {level!r}; use one of {', '.join(LEVELS)}.")
    return level


@lru_cache(maxsize=None)
def _units(level: str) -> pd.DataFrame:
    cities = gazetteer()
    if level == "city":
        return cities[UNIT_COLUMNS].reset_index(drop=True)
    if level == "province":
        from geodti.places.boundaries import provinces

        first = cities.drop_duplicates("province_adcode")
        out = pd.DataFrame({
            "adcode": first["province_adcode"].to_numpy(),
            "name": first["province"].to_numpy(),
            "name_en": first["province_en"].to_numpy(),
            "province": first["province"].to_numpy(),
            "province_adcode": first["province_adcode"].to_numpy(),
            # one NBS region per province (checked by the tests); missing for HK, Macao, Taiwan
            "region": first["province_adcode"].map(
                cities.dropna(subset=["region"]).groupby("province_adcode")["region"].first()
            ).to_numpy(),
        })
        shapes = provinces("map").set_index("adcode")["geometry"]
        points = shapes.reindex(out["adcode"]).representative_point()
        out["lon"] = np.round(points.x.to_numpy(), 5)
        out["lat"] = np.round(points.y.to_numpy(), 5)
        out["hu_line"] = hu_line_side(out["lon"], out["lat"])  # as data/build_gazetteer.py
        return out[UNIT_COLUMNS].sort_values("adcode", ignore_index=True)
    table = counties().rename(columns={"unit_adcode": "city_adcode"})
    city = cities.set_index("adcode")
    out = table.assign(
        name_en=pd.NA,
        province=table["city_adcode"].map(city["province"]),
        province_adcode=table["city_adcode"].map(city["province_adcode"]),
        region=table["city_adcode"].map(city["region"]),
        hu_line=table["city_adcode"].map(city["hu_line"]),
        city=table["city_adcode"].map(city["name"]),
    )
    points = _county_points()
    out["lon"] = out["adcode"].map(points["lon"]) if points is not None else np.nan
    out["lat"] = out["adcode"].map(points["lat"]) if points is not None else np.nan
    return out[[*UNIT_COLUMNS, "city_adcode", "city"]].sort_values("adcode", ignore_index=True)


def _county_points() -> pd.DataFrame | None:
    """Representative points of the county boundary layer, when it is there."""
    from geodti.bundled import boundaries_dir

    if not (boundaries_dir() / "counties_map.parquet").is_file():
        return None
    from geodti.places import boundaries

    layer = boundaries.layer("county", "map").set_index("adcode")
    points = layer.geometry.representative_point()
    return pd.DataFrame({"lon": np.round(points.x, 5), "lat": np.round(points.y, 5)})


def units(level: str = "city") -> pd.DataFrame:
    """The units of a level, one row each, sorted by ``adcode``.

    Parameters
    ----------
    level : {"province", "city", "county"}

    Returns
    -------
    DataFrame
        Columns ``adcode, name, name_en, province, province_adcode, region, hu_line, lon,
        lat`` (county level: also ``city_adcode`` and ``city``, the containing city-level
        unit); see the module's description for each level.

    Examples
    --------
    >>> from geodti.places.levels import units
    >>> len(units("province")), len(units("city"))
    (34, 370)
    """
    return _units(check_level(level)).copy()


def parents(level: str, to: str) -> pd.DataFrame:
    """Each unit of ``level`` and the unit of the larger level ``to`` containing it.

    Parameters
    ----------
    level : {"city", "county"}
    to : {"province", "city"}
        A larger level than ``level``.

    Returns
    -------
    DataFrame
        Columns ``adcode`` (the unit) and ``to`` (e.g. ``province``: the containing unit's
        adcode), one row per unit.
    """
    check_level(level)
    check_level(to, "target level")
    if LEVELS.index(to) >= LEVELS.index(level):
        raise InputError(f"cannot aggregate {level} units up to {to}: {to} is not a larger "
                         f"level (levels, largest first: {', '.join(LEVELS)}).")
    table = units(level)
    column = {"province": "province_adcode", "city": "city_adcode"}[to]
    return pd.DataFrame({"adcode": table["adcode"], to: table[column]})


def membership(by: str) -> pd.DataFrame:
    """City-level units and the agglomeration or region they belong to (``adcode``, ``by``).

    Parameters
    ----------
    by : {"agglomeration", "region"}
        ``agglomeration``: the 11 urban agglomerations (a city may be in two);
        ``region``: the NBS four regions (东部, 中部, 西部, 东北).
    """
    from geodti.places.gazetteer import agglomerations

    if by == "agglomeration":
        return agglomerations()[["adcode", "agglomeration"]]
    if by == "region":
        return gazetteer().dropna(subset=["region"])[["adcode", "region"]].reset_index(drop=True)
    raise InputError(f"unknown grouping {by!r} of cities; use agglomeration or region.")


def grouping(by: str) -> pd.DataFrame:
    """``adcode`` and ``by`` for the units of every level, for the bundled groupings of the
    diffusion tables (``region``, ``hu_line``, ``province``, ``agglomeration``,
    ``admin_rank``): a city's from the gazetteer and agglomeration table, a county's
    agglomeration through its city, a province's region and side of the Hu line. The
    levels' codes differ (110000 province, 110100 city, 110101 district) but for units that
    are one unit at two levels (东莞市, 台湾), whose rows agree."""
    from geodti.places.gazetteer import agglomerations

    cities = agglomerations()[["adcode", "agglomeration"]] if by == "agglomeration" else gazetteer()
    frames = [cities[["adcode", by]]] if by in cities.columns else []
    county = units("county")
    if by == "agglomeration":
        frames.append(parents("county", "city").merge(
            cities.rename(columns={"adcode": "city"}), on="city")[["adcode", by]])
    elif by in county.columns:
        frames.append(county[["adcode", by]])
    province = units("province")
    if by in ("region", "hu_line", "province"):
        frames.append(province[["adcode", by]])
    if not frames:
        return pd.DataFrame({"adcode": pd.Series(dtype=str), by: pd.Series(dtype=object)})
    return pd.concat(frames, ignore_index=True).drop_duplicates(ignore_index=True)


def points(level: str) -> pd.DataFrame:
    """``adcode``, ``lon``, ``lat`` of the units of a level (the gazetteer's for cities)."""
    table = gazetteer() if level == "city" else units(level)
    return table[["adcode", "lon", "lat"]]


def shapes(level: str, resolution: str = "map"):
    """The bundled polygons of a level with the names maps and layers show.

    Parameters
    ----------
    level : {"province", "city", "county"}
    resolution : {"map", "detailed"}

    Returns
    -------
    geopandas.GeoDataFrame
        ``adcode``, ``name``, ``name_short``, ``name_en``, ``province``, ``geometry``
        (EPSG:4326) at province and county level; the city layer as
        :func:`geodti.places.boundaries.cities` gives it.

    Raises
    ------
    InputError
        The county layer (``boundaries/counties_map.parquet``) is not bundled.
    """
    from geodti.places import boundaries

    check_level(level)
    if level == "city":
        return boundaries.cities(resolution)
    if level == "province":
        layer = boundaries.provinces(resolution)
    else:
        from geodti.bundled import boundaries_dir

        if not (boundaries_dir() / f"counties_{resolution}.parquet").is_file():
            raise InputError(
                f"the county boundary layer (boundaries/counties_{resolution}.parquet) is not "
                "bundled with this geodti; county maps, layers and contiguity need it. Tables "
                "and aggregation up (geodti aggregate) work without it.")
        layer = boundaries.layer("county", resolution)
    table = units(level).set_index("adcode")
    out = layer[["adcode", "geometry"]].copy()
    for column in ("name", "name_en", "province"):
        out[column] = out["adcode"].map(table[column])
    out["name_short"] = out["name"]
    return out[["adcode", "name", "name_short", "name_en", "province", "geometry"]]
