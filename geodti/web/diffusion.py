"""Diffusion: the trajectory of the mean centre with arrows and period labels, ellipses per period."""

from __future__ import annotations

from typing import Unpack

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from geodti.errors import InputError
from geodti.periods import period_label
from geodti.web._common import PageKeywords, new_page, sequential_colors, unit_layer
from geodti.web._page import GeodtiMap
from geodti.web.kind import MapInputs, MapKind

TRAJECTORY_COLOR = "#333333"
UNIT_FILL = "#e8e8e8"


def _rounded(obj, ndigits: int = 5):
    if isinstance(obj, (list, tuple)):
        return [_rounded(o, ndigits) for o in obj]
    if isinstance(obj, float):
        return round(obj, ndigits)
    return obj


def _feature(geom, props: dict) -> dict:
    g = mapping(geom)
    return {"type": "Feature", "geometry": {"type": g["type"], "coordinates": _rounded(g["coordinates"])},
            "properties": props}


def _info_rows(frame: gpd.GeoDataFrame, i: int, skip: set[str]) -> list[dict]:
    rows = []
    for col in frame.columns:
        if col in skip or col == frame.geometry.name:
            continue
        v = frame[col].iloc[i]
        if isinstance(v, (float, np.floating)):
            text = "—" if not np.isfinite(v) else f"{float(v):.6g}"
        elif isinstance(v, (int, np.integer)):
            text = str(int(v))
        else:
            text = str(v)
        rows.append({"label": str(col), "value": text})
    return rows


def _check_layer(frame: gpd.GeoDataFrame, kinds: set[str], what: str, period_column: str) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"{what} must be a GeoDataFrame, got {type(frame).__name__}")
    if period_column not in frame.columns:
        raise InputError(f"{what} has no column {period_column!r} (one row per period)")
    if frame[period_column].astype(str).duplicated().any():
        dup = frame.loc[frame[period_column].astype(str).duplicated(), period_column].astype(str).tolist()
        raise InputError(f"{what}: period {', '.join(dup[:5])} appears more than once")
    found = set(frame.geom_type.dropna())
    if frame.geometry.isna().any() or frame.geometry.is_empty.any():
        raise InputError(f"{what} has a missing or empty geometry")
    if not found <= kinds:
        raise InputError(f"{what} must hold {' or '.join(sorted(kinds))} geometries, found {sorted(found)}")


def diffusion_map(
    centres: gpd.GeoDataFrame,
    ellipses: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    *,
    period_column: str = "period",
    labels: str = "ends",
    variable: str | None = None,
    method: str | None = None,
    **page: Unpack[PageKeywords],
) -> GeodtiMap:
    """Mean-centre trajectory (arrows between consecutive periods) and one ellipse per period.

    Parameters
    ----------
    centres : GeoDataFrame
        One point per period (column ``period_column``), e.g. the weighted mean centre; other
        columns are shown in the popups.
    ellipses : GeoDataFrame, optional
        One polygon per period, e.g. the standard deviational ellipse.
    units : GeoDataFrame, optional
        Map units drawn as a light background; default: bundled city boundaries.
    period_column : str, default "period"
    labels : {"ends", "all"}, default "ends"
        Label the first and last centre (``"ends"``) or every centre with its period; the others
        show their period on hover.
    variable, method : str, optional
        What the centre is weighted by and how it was computed, for the caption.
    **page
        The page keywords, as in :func:`geodti.web.choropleth_map`.
    """
    if labels not in {"ends", "all"}:
        raise InputError(f"labels must be 'ends' or 'all', not {labels!r}")
    _check_layer(centres, {"Point"}, "the centres layer", period_column)
    if ellipses is not None:
        _check_layer(ellipses, {"Polygon", "MultiPolygon"}, "the ellipses layer", period_column)
    periods = sorted(set(centres[period_column].astype(str)))
    if ellipses is not None:
        periods = sorted(set(periods) | set(ellipses[period_column].astype(str)))
    span = f"{periods[0]}–{periods[-1]}" if len(periods) > 1 else periods[0]
    page = new_page(units, page, title=f"扩散 Diffusion: {variable or 'mean centre'}", period=span,
                    method=(method or "weighted mean centre per period"
                            + ("; standard deviational ellipse" if ellipses is not None else "")),
                    data=[centres, ellipses])
    # light (early) to dark (late); the palest ColorBrewer shades are skipped to stay visible;
    # beyond 7 periods neighbouring periods may share a colour
    palette = sequential_colors("YlOrRd", 9)[2:]
    idx = np.linspace(0, len(palette) - 1, len(periods)).round().astype(int) if len(periods) > 1 else [len(palette) - 1]
    color = {p: palette[j] for p, j in zip(periods, idx)}

    page.set_legend([{"title": "时期 Period", "entries": [
        {"color": color[p], "label": period_label(p), "kind": "point"} for p in periods
    ] + [{"color": TRAJECTORY_COLOR, "kind": "line", "label": "中心轨迹 Centre trajectory"}]
        + ([{"color": color[periods[-1]], "kind": "outline", "label": "椭圆 Ellipse (per period)"}]
           if ellipses is not None else [])}])

    page.add_layer("城市 Cities", "unitLayer", unit_layer(
        [UNIT_FILL], [{"label": span, "cls": [0] * len(page.units), "rows": []}],
        style={"color": "#ffffff", "weight": 0.6, "fillOpacity": 1}, nodata=UNIT_FILL))

    if ellipses is not None:
        ell = page.shift(ellipses)
        ell = ell.assign(_p=ell[period_column].astype(str)).sort_values("_p", kind="stable")
        feats = [_feature(g, {"color": color[p], "weight": 1.6, "title": f"椭圆 Ellipse {p}",
                              "rows": _info_rows(ell.drop(columns="_p"), j, set())})
                 for j, (g, p) in enumerate(zip(ell.geometry, ell["_p"]))]
        page.add_layer("椭圆 Ellipses", "featureLayer", {"className": "geodti-ellipse", "features": feats})

    pts = page.shift(centres)
    pts = pts.assign(_p=pts[period_column].astype(str)).sort_values("_p", kind="stable")
    xy = shapely.get_coordinates(pts.geometry.values)
    segments = []
    for j in range(len(pts) - 1):
        # the arrowhead sits on the middle vertex, between the period markers that cover the ends
        line = shapely.LineString([xy[j], (xy[j] + xy[j + 1]) / 2.0, xy[j + 1]])
        segments.append(_feature(line, {"color": TRAJECTORY_COLOR, "weight": 2.2, "arrow": True,
                                        "title": f"{pts['_p'].iloc[j]} → {pts['_p'].iloc[j + 1]}"}))
    points = []
    for j, (g, p) in enumerate(zip(pts.geometry, pts["_p"])):
        show = labels == "all" or j in (0, len(pts) - 1)
        rows = [{"label": "时期 Period", "value": p},
                {"label": "经度 Lon", "value": f"{g.x:.4f}"}, {"label": "纬度 Lat", "value": f"{g.y:.4f}"},
                *_info_rows(pts.drop(columns="_p"), j, {period_column})]
        points.append(_feature(g, {"color": color[p], "radius": 6, "label": period_label(p) if show else None,
                                   "title": f"中心 Centre {p}", "rows": rows}))
    page.add_layer("中心轨迹 Centre trajectory", "featureLayer",
                   {"className": "geodti-trajectory", "features": segments + points})
    bounds = pd.concat([pts.geometry, page.shift(ellipses).geometry] if ellipses is not None else [pts.geometry])
    w, s, e, n = (float(v) for v in gpd.GeoSeries(bounds).total_bounds)
    pad_x, pad_y = max((e - w) * 0.15, 1.0), max((n - s) * 0.15, 1.0)
    page.fit.bounds = [[s - pad_y, w - pad_x], [n + pad_y, e + pad_x]]
    return page.finish()


def _draw(inputs: MapInputs) -> GeodtiMap:
    layers = inputs.diffusion_layers
    return diffusion_map(layers["centres"], layers.get("ellipses"), inputs.units, variable=inputs.variable,
                         **inputs.page_keywords())


KIND = MapKind("diffusion", "diffusion_{variable}", "重心轨迹", "Centre of gravity and ellipses",
               needs=("diffusion_layers",), draw=_draw, when=lambda inputs: "centres" in inputs.diffusion_layers)
