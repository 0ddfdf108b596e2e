"""GCJ-02 <-> WGS84 coordinate conversion, vectorised with NumPy.

GCJ-02 (国测局坐标, "Mars coordinates") is the obfuscated datum that Chinese web maps
(Amap/Gaode, Tencent, the Chinese Google Maps tiles) must use. It is WGS84 plus a smooth,
position-dependent shift of a few hundred metres. geodti's boundary layers come from
Amap in GCJ-02 and are converted to WGS84 at build time (``boundaries/build.py``); the
web maps need the forward shift again to draw WGS84 data on Gaode tiles.

Method
------
The forward transform ``wgs84_to_gcj02`` is the published algorithm that has circulated
since the 2010s leak of the GCJ-02 code and is reproduced by many open implementations
(e.g. ``eviltransform``, ``coordtransform``, ``prcoords``): two trigonometric polynomials in
``(lon - 105, lat - 35)`` give an offset in metres, which is turned into degrees on the
Krasovsky 1940 ellipsoid (semi-major axis ``a = 6378245.0`` m, first eccentricity squared
``e2 = 0.00669342162296594323``). Points outside the rough bounding box of China used by
those implementations (lon 72.004-137.8347, lat 0.8293-55.8271) are not shifted.

There is no closed-form inverse. ``gcj02_to_wgs84`` solves ``forward(w) = g`` by
fixed-point iteration ``w <- w - (forward(w) - g)``, which converges quickly because the
shift varies slowly (its Jacobian differs from the identity by about 1e-5); it stops when
the largest residual ``|forward(w) - g|`` is below ``tol`` metres and raises if it does
not converge.
"""

from __future__ import annotations

import numpy as np
import shapely

from geodti.geo import haversine_m  # re-exported: gcj02.haversine_m measures the shift in metres

__all__ = [
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_wgs84_geometry",
    "wgs84_to_gcj02_geometry",
    "haversine_m",
    "in_china_box",
]

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 algorithm.
KRASOVSKY_A = 6378245.0
KRASOVSKY_E2 = 0.00669342162296594323
# Bounding box within which the shift is applied (same as the common open implementations).
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # lon_min, lat_min, lon_max, lat_max



def _as_arrays(lon, lat):
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    if lon.shape != lat.shape:
        raise ValueError(f"lon and lat must have the same shape, got {lon.shape} and {lat.shape}")
    return lon, lat


def in_china_box(lon, lat) -> np.ndarray:
    """True where a point lies inside the box where GCJ-02 applies its shift."""
    lon, lat = _as_arrays(lon, lat)
    lon_min, lat_min, lon_max, lat_max = CHINA_BOX
    return (lon >= lon_min) & (lon <= lon_max) & (lat >= lat_min) & (lat <= lat_max)


def _shift(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS84 position (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
            + 0.2 * np.sqrt(np.abs(x)))
    dlat = dlat + common
    dlat = dlat + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon = dlon + common
    dlon = dlon + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    # metres -> degrees on the Krasovsky ellipsoid (meridional and prime-vertical radii)
    radlat = lat / 180.0 * pi
    magic = 1.0 - KRASOVSKY_E2 * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_E2)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS84 longitudes/latitudes (degrees) to GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 coordinates in degrees, same shape.

    Returns
    -------
    (lon, lat) : tuple of ndarray
        GCJ-02 coordinates; points outside :data:`CHINA_BOX` are returned unchanged.
    """
    lon, lat = _as_arrays(lon, lat)
    dlon, dlat = _shift(lon, lat)
    inside = in_china_box(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)



def gcj02_to_wgs84(lon, lat, tol: float = 0.01, max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitudes/latitudes (degrees) to WGS84 by iterating the forward shift.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 coordinates in degrees, same shape.
    tol : float, default 0.01
        Stop when every point's residual ``|wgs84_to_gcj02(result) - input|`` is below this
        many metres.
    max_iter : int, default 30
        Give up (``RuntimeError``) after this many iterations.

    Returns
    -------
    (lon, lat) : tuple of ndarray
        WGS84 coordinates. Points outside :data:`CHINA_BOX` are returned unchanged.
    """
    if not tol > 0:
        raise ValueError(f"tol must be a positive number of metres, got {tol!r}")
    glon, glat = _as_arrays(lon, lat)
    inside = in_china_box(glon, glat)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        residual = np.where(inside, haversine_m(flon, flat, glon, glat), 0.0)
        if residual.size == 0 or np.nanmax(residual) < tol:
            return wlon, wlat
        wlon = np.where(inside, wlon - (flon - glon), wlon)
        wlat = np.where(inside, wlat - (flat - glat), wlat)
    raise RuntimeError(
        f"GCJ-02 -> WGS84 did not converge to {tol} m within {max_iter} iterations "
        f"(largest residual {float(np.nanmax(residual)):.3g} m)"
    )


def _apply(geoms, func):
    """Apply a (lon, lat) -> (lon, lat) function to every vertex of shapely geometries or a GeoSeries."""

    def on_coords(xy: np.ndarray) -> np.ndarray:
        lon, lat = func(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    try:
        import geopandas as gpd
    except ImportError:  # pragma: no cover - geopandas is a dependency
        gpd = None
    if gpd is not None and isinstance(geoms, gpd.GeoSeries):
        out = shapely.transform(np.asarray(geoms.values, dtype=object), on_coords)
        return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs, name=geoms.name)
    # one call for all geometries, so every vertex is converted in a single vectorised pass
    return shapely.transform(geoms, on_coords)


def gcj02_to_wgs84_geometry(geoms, tol: float = 0.01):
    """Convert every vertex of shapely geometries (scalar, array or GeoSeries) from GCJ-02 to WGS84.

    Identical input vertices give identical output vertices, so polygons that share edges
    still share them exactly after conversion. A GeoSeries keeps its index and CRS label
    (EPSG:4326 describes both datums' degree coordinates; the caller states which).
    """
    return _apply(geoms, lambda lon, lat: gcj02_to_wgs84(lon, lat, tol=tol))


def wgs84_to_gcj02_geometry(geoms):
    """Shift every vertex of shapely geometries (scalar, array or GeoSeries) from WGS84 to GCJ-02,
    e.g. to draw WGS84 layers on Gaode (Amap) tiles."""
    return _apply(geoms, wgs84_to_gcj02)
