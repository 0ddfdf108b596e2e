"""Centre of gravity and standard deviational ellipse of an index, per period.

All geometry is done in the Albers equal-area conic for China (:data:`ALBERS_CHINA`:
standard parallels 25N and 47N, central meridian 105E, WGS84), on each unit's representative
point (the gazetteer's ``lon``/``lat``, inside the unit's polygon). Moves between periods are
measured as geodesics on the WGS84 ellipsoid (distance in km, bearing clockwise from north),
so that east-west and north-south shifts are true ground distances rather than distances in
the projection plane.

Weights (``weight=``)
    ``"level"``: the index value ``I_q``.
    ``"yoy_increment"``: ``I_t - I_{t-1 year}`` (the year-on-year increment: four quarters,
    twelve months or one year back; periods without that partner are skipped).
    ``"increment_from_first"``: ``I_q - I_{q0}`` against the panel's first period.
Negative increments (``negative=``)
    A unit whose index fell has no "mass" of growth to place on the map. ``"clip"``
    (default) gives it weight zero and counts it in ``n_negative``; ``"error"`` raises.
    Signed weights are not offered: with negative weights the weighted mean can fall outside
    the points' convex hull and the ellipse's variances can be negative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodti.errors import MethodError
from geodti.geo import ALBERS_CHINA, from_albers, geodesic_km, to_albers
from geodti.periods import year_earlier

from ._common import unit_points, wide

__all__ = ["standard_distance", "WEIGHTS", "CONVENTIONS", "mean_centre", "standard_deviational_ellipse",
           "centre_layers", "ALBERS_CHINA"]

WEIGHTS = ("level", "yoy_increment", "increment_from_first")
#: Ellipse conventions: (multiplier of the population standard deviation, description).
CONVENTIONS = {
    "arcgis": "sqrt(2) * sqrt(sum w d^2 / sum w): ArcGIS Pro Directional Distribution, one "
              "standard deviation in two dimensions (sqrt(2) adjustment, no degrees-of-freedom "
              "correction)",
    "crimestat": "sqrt(2) * sqrt(n / (n - 2)) * sqrt(sum w d^2 / sum w): CrimeStat (Levine), "
                 "the sqrt(2) adjustment and a degrees-of-freedom correction n/(n-2) "
                 "(pointpats' default)",
    "yuill": "sqrt(sum w d^2 / sum w): Yuill (1971), the plain weighted standard deviation "
             "along each axis, no correction",
}


def _weights(mat: pd.DataFrame, weight: str, negative: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-period weights (units x periods; NaN where the period has no weight) and counts of
    negative increments."""
    if weight not in WEIGHTS:
        raise MethodError(f"weight={weight!r}: use one of {', '.join(WEIGHTS)}.")
    if negative not in ("clip", "error"):
        raise MethodError(f"negative={negative!r}: use 'clip' (negative increments weigh zero) "
                          "or 'error'.")
    periods = list(mat.columns)
    if weight == "level":
        w = mat.copy()
        if (w < 0).any().any():
            code, p = next((c, p) for p in periods for c in w.index if w.at[c, p] < 0)
            raise MethodError(f"index value of unit {code} in {p} is negative ({w.at[code, p]}); "
                              "level weights must be non-negative.")
    else:
        w = pd.DataFrame(np.nan, index=mat.index, columns=periods)
        for p in periods:
            ref = year_earlier(p) if weight == "yoy_increment" else periods[0]
            if ref in mat.columns and ref != p:
                w[p] = mat[p] - mat[ref]
    neg = (w < 0).sum(axis=0)
    if negative == "error" and neg.any():
        p = neg[neg > 0].index[0]
        code = w.index[(w[p] < 0).to_numpy()][0]
        raise MethodError(f"unit {code} has a negative increment ({weight}) in {p}; use "
                          "negative='clip' to give such units weight zero.")
    return w.clip(lower=0), neg


def _defined_periods(mat, w):
    """``(period, weights)`` of the periods whose weights are defined (a period in which no
    unit grew has no increment-weighted centre or ellipse)."""
    for p in mat.columns:
        wp = w[p].to_numpy(float)
        if not np.isnan(wp).all():
            yield p, wp


def _setup(panel, variable, weight, negative, points, drop_incomplete):
    mat = wide(panel, variable, drop_incomplete=drop_incomplete)
    w, neg = _weights(mat, weight, negative)
    pts = unit_points(mat.index, points)
    x, y = to_albers(pts["lon"], pts["lat"])
    return mat, w, neg, x, y


def mean_centre(panel: pd.DataFrame, variable: str = "dti", *, weight: str = "level",
                negative: str = "clip", points: pd.DataFrame | None = None,
                drop_incomplete: bool = False) -> pd.DataFrame:
    """Index-weighted mean centre per period and its moves (trajectory).

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency (annual, quarterly or monthly) (``adcode``, ``period``, ``variable``), balanced.
    variable : str
        Index column.
    weight : {"level", "yoy_increment", "increment_from_first"}
        What weighs each unit's point (see the module docstring).
    negative : {"clip", "error"}
        Negative increments: weight zero (counted in ``n_negative``) or an error.
    points : DataFrame, optional
        ``adcode, lon, lat`` (WGS84); default the gazetteer's representative points.
    drop_incomplete : bool
        Leave out units missing in some period instead of raising.

    Returns
    -------
    DataFrame
        One row per period with a weight: ``period, variable, weight, n_units, n_weighted``
        (units with positive weight), ``n_negative``, ``total_weight``, ``lon, lat``
        (WGS84), ``x_km, y_km`` (Albers plane), ``move_km`` and ``bearing_deg`` (geodesic
        from the previous row's centre; bearing clockwise from north), ``east_km`` /
        ``north_km`` (the move's east and north components), ``cum_east_km`` /
        ``cum_north_km`` (since the first row), ``westward_shift_km`` (= -cum_east_km),
        ``distance_from_first_km``, ``note`` (why a centre is missing: with increment
        weights, a period in which no unit grew has no centre; moves then join the
        neighbouring defined centres).
    """
    mat, w, neg, x, y = _setup(panel, variable, weight, negative, points, drop_incomplete)
    rows = []
    for p, wp in _defined_periods(mat, w):
        total = float(wp.sum())
        row = {"period": p, "variable": variable, "weight": weight, "n_units": len(wp),
               "n_weighted": int((wp > 0).sum()), "n_negative": int(neg[p]),
               "total_weight": total, "x_km": np.nan, "y_km": np.nan}
        if total > 0:
            row.update(x_km=float(np.dot(wp, x) / total) / 1000.0,
                       y_km=float(np.dot(wp, y) / total) / 1000.0)
        elif weight == "level":
            raise MethodError(f"in {p} every unit has index zero; the centre is undefined.")
        rows.append(row)
    out = pd.DataFrame(rows)
    lon, lat = from_albers(out["x_km"] * 1000.0, out["y_km"] * 1000.0)
    out.insert(7, "lon", lon)
    out.insert(8, "lat", lat)
    # No unit grew (increment weights): no centre that period; moves join the defined ones.
    ok = out["x_km"].notna().to_numpy()
    lo, la = lon[ok], lat[ok]
    d, az = geodesic_km(lo[:-1], la[:-1], lo[1:], la[1:])
    east = np.r_[0.0, d * np.sin(np.radians(az))]
    north = np.r_[0.0, d * np.cos(np.radians(az))]
    cols = {"move_km": np.r_[np.nan, d],
            "bearing_deg": np.r_[np.nan, np.where(d > 0, az, np.nan)],
            "east_km": np.r_[np.nan, east[1:]], "north_km": np.r_[np.nan, north[1:]],
            "cum_east_km": np.cumsum(east), "cum_north_km": np.cumsum(north)}
    for name, values in cols.items():
        out[name] = np.nan
        if ok.any():
            out.loc[ok, name] = values
    out["westward_shift_km"] = -out["cum_east_km"]
    out["distance_from_first_km"] = np.nan
    if ok.any():
        d0, _ = geodesic_km(np.full(ok.sum(), lo[0]), np.full(ok.sum(), la[0]), lo, la)
        out.loc[ok, "distance_from_first_km"] = d0
    out["note"] = np.where(ok, "", "no unit with a positive increment: centre undefined")
    out.attrs["dropped_units"] = mat.attrs.get("dropped_units", [])
    return out


def _axes(x, y, w, convention):
    """Semi-axes (m) via pointpats and the major axis' direction from the weighted covariance."""
    from pointpats.centrography import ellipse

    keep = w > 0
    xs, ys, ws = x[keep], y[keep], w[keep]
    n = int(keep.sum())
    if n < 3:
        raise MethodError(f"the ellipse needs at least 3 units with positive weight, got {n}.")
    pts = np.column_stack([xs, ys])
    if convention == "crimestat":
        a, b, _ = ellipse(pts, ws, method="crimestat")
    elif convention == "arcgis":
        a, b, _ = ellipse(pts, ws, method="yuill", crimestatCorr=True, degfreedCorr=False)
    else:
        a, b, _ = ellipse(pts, ws, method="yuill", crimestatCorr=False, degfreedCorr=False)
    # Direction: principal eigenvector of the weighted second-moment matrix (the same axes
    # pointpats' closed-form angle picks), as an azimuth clockwise from north in [0, 180).
    mx, my = np.average(xs, weights=ws), np.average(ys, weights=ws)
    dx, dy = xs - mx, ys - my
    cov = np.array([[np.sum(ws * dx * dx), np.sum(ws * dx * dy)],
                    [np.sum(ws * dx * dy), np.sum(ws * dy * dy)]]) / ws.sum()
    vals, vecs = np.linalg.eigh(cov)
    vx, vy = vecs[:, 1]
    azimuth = float(np.mod(np.degrees(np.arctan2(vx, vy)), 180.0))
    if np.isclose(vals[1], vals[0], rtol=1e-12, atol=0):
        azimuth = float("nan")  # a circle has no orientation
    return float(max(a, b)), float(min(a, b)), azimuth, n, mx, my


def standard_distance(x, y, w) -> float:
    """Weighted standard distance (m) of points in the Albers plane, the circle companion of
    the standard deviational ellipse.

    ``SD = sqrt(sum w_i (x_i - xw)^2 / sum w_i + sum w_i (y_i - yw)^2 / sum w_i)`` around the
    weighted mean centre ``(xw, yw)``, one standard deviation, no degrees-of-freedom
    correction: Esri's Standard Distance tool ("How Standard Distance works", ArcGIS Pro
    documentation) and Mitchell (2005), *The ESRI Guide to GIS Analysis*, vol. 2, ch. 2.
    (:func:`pointpats.centrography.std_distance` is the unweighted form, hence not used.)
    Units with zero weight do not count.
    """
    x, y, w = (np.asarray(a, float) for a in (x, y, w))
    keep = w > 0
    if not keep.any():
        raise MethodError("the standard distance needs at least one unit with positive weight.")
    xs, ys, ws = x[keep], y[keep], w[keep]
    mx, my = np.average(xs, weights=ws), np.average(ys, weights=ws)
    return float(np.sqrt(np.average((xs - mx) ** 2 + (ys - my) ** 2, weights=ws)))


def standard_deviational_ellipse(panel: pd.DataFrame, variable: str = "dti", *,
                                 weight: str = "level", convention: str = "arcgis",
                                 negative: str = "clip", points: pd.DataFrame | None = None,
                                 drop_incomplete: bool = False) -> pd.DataFrame:
    """Weighted standard deviational ellipse per period.

    The axes are the weighted standard deviations of the points along the principal
    directions of their weighted covariance (Yuill 1971), scaled by the ``convention``
    (:data:`CONVENTIONS`); computed with :func:`pointpats.centrography.ellipse` on the
    units with positive weight.

    Parameters
    ----------
    panel, variable, weight, negative, points, drop_incomplete
        As in :func:`mean_centre`.
    convention : {"arcgis", "crimestat", "yuill"}
        Scaling of the axes (default ArcGIS Pro's: sqrt(2), no degrees-of-freedom correction).

    Returns
    -------
    DataFrame
        One row per period: ``period, variable, weight, convention, n_units, n_weighted,
        lon, lat`` (weighted mean centre), ``semi_major_km, semi_minor_km``,
        ``rotation_deg`` (azimuth of the major axis, clockwise from north, 0-180; NaN for a
        circle), ``area_km2`` (pi a b, exact in the equal-area plane), ``flattening``
        (1 - b/a), ``standard_distance_km`` (:func:`standard_distance`, the same units,
        weights and plane).
    """
    if convention not in CONVENTIONS:
        raise MethodError(f"convention={convention!r}: use one of {', '.join(CONVENTIONS)}.")
    mat, w, _, x, y = _setup(panel, variable, weight, negative, points, drop_incomplete)
    rows = []
    for p, wp in _defined_periods(mat, w):
        a, b, rot, n, mx, my = _axes(x, y, wp, convention)
        lon, lat = from_albers([mx], [my])
        rows.append({"period": p, "variable": variable, "weight": weight,
                     "convention": convention, "n_units": len(wp), "n_weighted": n,
                     "lon": float(lon[0]), "lat": float(lat[0]),
                     "x_km": mx / 1000.0, "y_km": my / 1000.0,
                     "semi_major_km": a / 1000.0, "semi_minor_km": b / 1000.0,
                     "rotation_deg": rot, "area_km2": np.pi * a * b / 1e6,
                     "flattening": 1.0 - b / a if a > 0 else np.nan,
                     "standard_distance_km": standard_distance(x, y, wp) / 1000.0})
    out = pd.DataFrame(rows)
    out.attrs["dropped_units"] = mat.attrs.get("dropped_units", [])
    return out


def _ellipse_ring(cx, cy, a, b, azimuth_deg, n_vertices):
    t = np.linspace(0.0, 2 * np.pi, n_vertices, endpoint=False)
    az = np.radians(0.0 if np.isnan(azimuth_deg) else azimuth_deg)
    ux, uy = np.sin(az), np.cos(az)  # major axis direction (east, north)
    vx, vy = -uy, ux  # minor axis, perpendicular
    px = cx + a * np.cos(t) * ux + b * np.sin(t) * vx
    py = cy + a * np.cos(t) * uy + b * np.sin(t) * vy
    return px, py


def centre_layers(centres: pd.DataFrame, ellipses: pd.DataFrame | None = None, *,
                  n_vertices: int = 180) -> dict:
    """Map layers (GeoDataFrames in EPSG:4326) of centres, their trajectory and ellipses.

    Parameters
    ----------
    centres : DataFrame
        :func:`mean_centre`'s table.
    ellipses : DataFrame, optional
        :func:`standard_deviational_ellipse`'s table.
    n_vertices : int
        Vertices of each ellipse polygon (built in the Albers plane, then unprojected).

    Returns
    -------
    dict
        ``"centres"`` (points, the centre table's columns), ``"trajectory"`` (one line per
        move: ``period_from, period_to, move_km, bearing_deg, east_km, north_km``) and, with
        ``ellipses``, ``"ellipses"`` (polygons with the ellipse table's columns).
    """
    import geopandas as gpd
    from shapely.geometry import LineString, Polygon

    layers = {}
    pts = gpd.GeoDataFrame(centres.copy(), geometry=gpd.points_from_xy(centres["lon"], centres["lat"]),
                           crs="EPSG:4326")
    layers["centres"] = pts
    moves = []
    for prev, cur in zip(centres.iloc[:-1].itertuples(), centres.iloc[1:].itertuples()):
        moves.append({"variable": cur.variable, "weight": cur.weight, "period_from": prev.period,
                      "period_to": cur.period, "move_km": cur.move_km,
                      "bearing_deg": cur.bearing_deg, "east_km": cur.east_km,
                      "north_km": cur.north_km,
                      "geometry": LineString([(prev.lon, prev.lat), (cur.lon, cur.lat)])})
    cols = ["variable", "weight", "period_from", "period_to", "move_km", "bearing_deg",
            "east_km", "north_km", "geometry"]
    layers["trajectory"] = gpd.GeoDataFrame(moves, columns=cols, geometry="geometry",
                                            crs="EPSG:4326")
    if ellipses is not None:
        polys = []
        for r in ellipses.itertuples():
            px, py = _ellipse_ring(r.x_km * 1000, r.y_km * 1000, r.semi_major_km * 1000,
                                   r.semi_minor_km * 1000, r.rotation_deg, n_vertices)
            lon, lat = from_albers(px, py)
            polys.append(Polygon(np.column_stack([lon, lat])))
        layers["ellipses"] = gpd.GeoDataFrame(ellipses.copy(), geometry=polys, crs="EPSG:4326")
    return layers
