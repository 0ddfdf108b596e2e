"""Time slider over the periods of a panel: geometry stored once, restyled per period.

folium's ``TimeSliderChoropleth`` has no legend and stores a style per feature per period;
here each period is a "frame" (class of each unit, tooltip values, legend with counts) and the
page's own slider control (``geodti.slider`` in ``static/geodti.js``) switches frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

import geopandas as gpd
import pandas as pd

from geodti.errors import InputError
from geodti.periods import period_label, sort_periods
from geodti.web import classify as cl
from geodti.web._common import (
    PageKeywords, class_legend, class_row, new_page, sequential_colors, unit_layer, value_rank_rows,
)
from geodti.web._data import joined_values
from geodti.web._page import GeodtiMap
from geodti.web.kind import MapInputs, MapKind


def _sorted_periods(values) -> list[str]:
    return sort_periods({str(v) for v in values})


def time_slider_map(
    panel: pd.DataFrame,
    variable: str = "dti",
    units: gpd.GeoDataFrame | None = None,
    *,
    periods: Sequence[str] | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    pooled: bool = True,
    palette: str = "YlGnBu",
    fmt: str = "{:.3f}",
    label: str | None = None,
    **page: Unpack[PageKeywords],
) -> GeodtiMap:
    """Choropleth of one variable over several periods with a slider and a legend.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel (``adcode``, ``period``, ``variable``), one row per adcode and period.
    variable : str, default "dti"
        Column to map.
    units : GeoDataFrame, optional
        Map units; default: bundled city boundaries.
    periods : sequence of str, optional
        Periods to show, in order; default: every period of the panel, sorted.
    scheme, k, breaks
        Classification (see :func:`geodti.web.classify.classify`).
    pooled : bool, default True
        One set of breaks for all periods, so a colour means the same values throughout (the
        legend's counts still change per period). With False each period has its own breaks
        and the legend changes with the slider.
    palette, fmt, label, **page
        As in :func:`geodti.web.choropleth_map`.

    Returns
    -------
    GeodtiMap
    """
    if "period" not in panel.columns:
        raise InputError("the panel has no 'period' column; a time slider needs one row per adcode and period")
    present = _sorted_periods(panel["period"])
    if periods is None:
        periods = present
    else:
        periods = [str(p) for p in periods]
        missing = [p for p in periods if p not in present]
        if missing:
            raise InputError(f"the panel has no rows for period(s) {', '.join(missing)} "
                             f"(periods present: {', '.join(present)})")
    if not periods:
        raise InputError("the panel has no periods to show")
    label = label or variable
    page = new_page(units, page, title=label, period=periods[0], method=cl.describe(scheme, k, pooled),
                    data=[panel])
    period_str = panel["period"].astype(str)
    matrix = [joined_values(page.units, panel[period_str == p], variable, f"the panel ({p})") for p in periods]
    if pooled:
        classes = cl.pooled_classes(matrix, scheme, k, breaks)
    else:
        classes = [cl.classify(v, scheme, k, breaks) for v in matrix]
    frames = []
    k_max = max(c.k for c in classes)
    colors = sequential_colors(palette, k_max)
    for p, values, c in zip(periods, matrix, classes):
        # with per-period breaks a period may have fewer classes: it gets its own colours
        frame_colors = colors if c.k == k_max else sequential_colors(palette, c.k)
        p = period_label(p)  # as people write it: 2021, 2021Q1, 2021-03
        frames.append({
            "label": p,
            "cls": c.classes.tolist(),
            **({} if frame_colors is colors else {"colors": frame_colors}),
            "rows": [*value_rank_rows(f"{label} {p}", values, fmt), class_row(c, fmt)],
            "legend": [class_legend(f"{label} · {p}", c, frame_colors, fmt,
                                    note="同一分级用于所有时期 Same breaks for all periods" if pooled else None)],
        })
    page.set_legend(frames[0]["legend"])
    layer = page.add_layer(label, "unitLayer", unit_layer(colors, frames))
    page.add_slider(layer, [period_label(p) for p in periods])
    return page.finish()


def _draw(inputs: MapInputs) -> GeodtiMap:
    return time_slider_map(inputs.panel, inputs.variable, inputs.units, periods=inputs.periods,
                           label=inputs.label, **inputs.page_keywords())


KIND = MapKind("time_slider", "{variable}_slider", "时间滑块", "Time slider", needs=("panel",), draw=_draw,
               when=lambda inputs: len(inputs.periods) > 1)
