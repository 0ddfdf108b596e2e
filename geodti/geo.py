"""Geometry shared by every stage: the Albers projection for China, great-circle and
geodesic distances, and one point per unit.

Below every stage (``places``, ``index``, ``spatial``, ``dynamics``, ``report``): it imports
none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from geodti.errors import InputError

__all__ = [
    "ALBERS_CHINA",
    "EARTH_RADIUS_KM",
    "EARTH_RADIUS_M",
    "from_albers",
    "geodesic_km",
    "haversine_km",
    "hu_line_side",
    "haversine_m",
    "pairwise_haversine_km",
    "to_albers",
    "unit_ids",
    "unit_points",
]

#: Albers equal-area conic for China: standard parallels 25N and 47N, central meridian 105E,
#: WGS84 datum, metres. Areas are exact; distances in the plane are within a few per cent of
#: the ground distance over China.
ALBERS_CHINA = (
    "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 "
    "+datum=WGS84 +units=m +no_defs"
)
#: Mean Earth radius (IUGG), km and m, for great-circle (haversine) distances.
EARTH_RADIUS_KM = 6371.0088
EARTH_RADIUS_M = EARTH_RADIUS_KM * 1000.0


@lru_cache(maxsize=2)
def _transformer(inverse: bool = False):
    from pyproj import Transformer

    if inverse:
        return Transformer.from_crs(ALBERS_CHINA, "EPSG:4326", always_xy=True)
    return Transformer.from_crs("EPSG:4326", ALBERS_CHINA, always_xy=True)


def to_albers(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees) -> Albers China x/y (metres), with pyproj."""
    x, y = _transformer().transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def from_albers(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Albers China x/y (metres) -> WGS84 lon/lat (degrees), with pyproj."""
    lon, lat = _transformer(inverse=True).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance (km) between points in degrees, on a sphere of radius
    :data:`EARTH_RADIUS_KM`; the arguments broadcast as numpy arrays."""
    lam1, phi1 = np.radians(np.asarray(lon1, float)), np.radians(np.asarray(lat1, float))
    lam2, phi2 = np.radians(np.asarray(lon2, float)), np.radians(np.asarray(lat2, float))
    a = (np.sin((phi2 - phi1) / 2) ** 2
         + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """:func:`haversine_km` in metres."""
    return haversine_km(lon1, lat1, lon2, lat2) * 1000.0


def pairwise_haversine_km(lon, lat) -> np.ndarray:
    """``(n, n)`` great-circle distances (km) between ``n`` points (zero diagonal)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    d = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    np.fill_diagonal(d, 0.0)
    return d


def geodesic_km(lon1, lat1, lon2, lat2) -> tuple[np.ndarray, np.ndarray]:
    """Geodesic distance (km) and forward azimuth (degrees clockwise from north, 0-360) on
    the WGS84 ellipsoid (pyproj.Geod)."""
    from pyproj import Geod

    az, _, dist = Geod(ellps="WGS84").inv(np.asarray(lon1, float), np.asarray(lat1, float),
                                          np.asarray(lon2, float), np.asarray(lat2, float))
    return np.asarray(dist, float) / 1000.0, np.mod(np.asarray(az, float), 360.0)


def unit_ids(frame: pd.DataFrame, what: str) -> pd.Index:
    """The ``adcode`` column as a string index; an error names a missing column or a duplicate."""
    if "adcode" not in frame.columns:
        raise InputError(
            f"{what} needs an 'adcode' column (6-digit code of each unit); columns are {list(frame.columns)}"
        )
    ids = pd.Index(frame["adcode"].astype(str), name="adcode")
    if ids.has_duplicates:
        dup = sorted(ids[ids.duplicated()].unique())[:10]
        raise InputError(f"{what}: adcode(s) listed more than once: {', '.join(dup)}")
    return ids


def unit_points(units: pd.DataFrame, adcodes: Sequence[str] | None = None, *,
                what: str = "unit table") -> pd.DataFrame:
    """One point per unit, for distances, nearest neighbours, centres and ellipses.

    Parameters
    ----------
    units : GeoDataFrame or DataFrame
        Either polygons with an ``adcode`` column (any CRS; EPSG:4326 for the bundled
        layers), or a table with ``adcode``, ``lon`` and ``lat`` (WGS84 degrees), e.g. the
        bundled gazetteer.
    adcodes : sequence of str, optional
        Return these units only, in this order (each must be in ``units``).
    what : str
        How errors name ``units``.

    Returns
    -------
    DataFrame
        Indexed by adcode with columns ``lon``, ``lat`` (WGS84) and ``point``. For polygons
        the point is the centroid in :data:`ALBERS_CHINA`, or the representative point
        (always inside) where the centroid falls outside the unit (``centroid`` or
        ``representative_point``); given points are used as they are (``given``).

    Raises
    ------
    InputError
        No ``adcode``, a duplicated adcode, no polygons or lon/lat, a unit of ``adcodes``
        absent, a missing location or coordinates that are not degrees.
    """
    if adcodes is not None:
        # select first: a lookup table (the gazetteer) may hold more units than asked for
        codes = pd.Index([str(a) for a in adcodes])
        if "adcode" not in units.columns:
            raise InputError(f"{what} needs an 'adcode' column; columns are {list(units.columns)}")
        key = units["adcode"].astype(str)
        missing = codes[~codes.isin(key)]
        if len(missing):
            raise InputError(
                f"{len(missing)} unit(s) have no point in {what}: {', '.join(missing[:8])}; give "
                "a table with adcode, lon, lat (WGS84) for them."
            )
        units = units[key.isin(codes).to_numpy()].drop_duplicates("adcode")
    ids = unit_ids(units, what)
    is_geo = "geometry" in units.columns and hasattr(units, "crs")
    if is_geo and units.geometry.notna().all() and not units.geom_type.isin(["Point"]).all():
        import geopandas as gpd

        if units.crs is None:
            raise InputError(f"{what}: polygons have no CRS; set one (EPSG:4326 for lon/lat)")
        projected = gpd.GeoSeries(units.geometry.values, crs=units.crs).to_crs(ALBERS_CHINA)
        centroids = projected.centroid
        inside = projected.contains(centroids)
        points = centroids.where(inside, projected.representative_point())
        lonlat = gpd.GeoSeries(points.values, crs=ALBERS_CHINA).to_crs(4326)
        out = pd.DataFrame(
            {
                "lon": lonlat.x.to_numpy(),
                "lat": lonlat.y.to_numpy(),
                "point": np.where(inside.to_numpy(), "centroid", "representative_point"),
            },
            index=ids,
        )
    elif is_geo and units.geom_type.isin(["Point"]).all():
        pts = units.geometry.to_crs(4326) if units.crs is not None else units.geometry
        out = pd.DataFrame({"lon": pts.x.to_numpy(), "lat": pts.y.to_numpy(), "point": "given"}, index=ids)
    elif {"lon", "lat"} <= set(units.columns):
        out = pd.DataFrame(
            {
                "lon": pd.to_numeric(units["lon"]).to_numpy(float),
                "lat": pd.to_numeric(units["lat"]).to_numpy(float),
                "point": "given",
            },
            index=ids,
        )
    else:
        raise InputError(f"{what} needs polygon geometries or 'lon' and 'lat' columns (WGS84 degrees)")
    bad = out.index[~np.isfinite(out["lon"]) | ~np.isfinite(out["lat"])]
    if len(bad):
        raise InputError(f"{what}: units without a location (empty geometry or missing lon/lat): "
                         f"{', '.join(bad[:10])}")
    if ((out["lat"].abs() > 90) | (out["lon"].abs() > 180)).any():
        raise InputError(
            f"{what}: coordinates are not WGS84 degrees (|lat| > 90 or |lon| > 180); give lon/lat "
            "or polygons with a CRS"
        )
    if adcodes is not None:
        out = out.loc[codes]
    return out


#: The Hu Huanyong line's ends, Heihe and Tengchong (lon, lat), as data/build_gazetteer.py.
HU_LINE_ENDS = ((127.5, 50.2), (98.5, 25.0))


def hu_line_side(lon, lat) -> np.ndarray:
    """``"SE"`` or ``"NW"``: the side of the Hu line (the great circle through Heihe and
    Tengchong) each WGS84 point lies on, as the gazetteer's ``hu_line``."""
    def unit(lo, la):
        lo, la = np.radians(np.asarray(lo, float)), np.radians(np.asarray(la, float))
        return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)

    normal = np.cross(unit(*HU_LINE_ENDS[0]), unit(*HU_LINE_ENDS[1]))
    # Heihe x Tengchong points to the south-east side
    return np.where(unit(lon, lat) @ normal > 0, "SE", "NW")
