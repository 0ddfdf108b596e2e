"""Index choropleth: one variable in one period, classed by mapclassify."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

import geopandas as gpd
import pandas as pd

from geodti.errors import InputError
from geodti.periods import sort_periods
from geodti.web import classify as cl
from geodti.web._common import (
    PageKeywords, class_legend, class_row, new_page, sequential_colors, unit_layer, value_rank_rows,
)
from geodti.web._data import first_value, joined_values, select
from geodti.web._page import GeodtiMap
from geodti.web.kind import MapInputs, MapKind


def choropleth_map(
    panel: pd.DataFrame,
    variable: str = "dti",
    period: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    pooled: bool = False,
    palette: str = "YlGnBu",
    fmt: str = "{:.3f}",
    label: str | None = None,
    **page: Unpack[PageKeywords],
) -> GeodtiMap:
    """Choropleth of one variable of a tidy panel in one period.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel with columns ``adcode`` (6-digit string), ``period`` and ``variable``; one row
        per adcode and period. Units absent from the panel are drawn as "no data".
    variable : str, default "dti"
        Column to map.
    period : str, optional
        Period to map (e.g. ``"2023Q1"``); may be omitted when the panel has a single period.
    units : GeoDataFrame, optional
        Map units (adcode, name, geometry, ...); default: bundled city boundaries.
    scheme : {"quantiles", "fisher_jenks", "equal_interval", "user"}
        Classification (mapclassify); ``breaks`` gives the class upper bounds for ``"user"``.
    k : int, default 5
        Number of classes.
    pooled : bool, default False
        Compute the breaks from all periods of the panel, so that colours mean the same values
        as on the maps of other periods.
    palette : str, default "YlGnBu"
        ColorBrewer sequential scheme.
    fmt : str
        Format of values in the legend and tooltips.
    label : str, optional
        Display name of the variable (default: the column name).
    **page
        The page keywords every map function takes:

        title : str, optional
            Page title (default: the label).
        source : str, optional
            Data source for the caption (default: ``panel.attrs["source"]``).
        synthetic : bool, optional
            Mark the page as synthetic data; default: True when ``panel.attrs["synthetic"]`` is set.
        tiles : optional
            Base layers (see :class:`geodti.web._page.Page`); none by default.
        agglomerations : DataFrame or False, optional
            Membership table for tooltips; default: the bundled one; False for none.

    Returns
    -------
    GeodtiMap
        A ``folium.Map``; write it with :func:`geodti.web.save_map`.
    """
    label = label or variable
    rows = select(panel, "the panel", period=period)
    if period is None:
        period = first_value(rows, "period")
    page = new_page(units, page, title=label, period=period, method=cl.describe(scheme, k, pooled),
                    data=[panel])
    values = joined_values(page.units, rows, variable, "the panel")
    if pooled:
        if "period" not in panel.columns:
            raise InputError("pooled=True needs a panel with a 'period' column")
        periods = sort_periods(panel["period"].astype(str).unique())
        per_period = [joined_values(page.units, panel[panel["period"].astype(str) == p], variable, "the panel")
                      for p in periods]
        classes = cl.pooled_classes(per_period, scheme, k, breaks)[periods.index(str(period))]
    else:
        classes = cl.classify(values, scheme, k, breaks)
    colors = sequential_colors(palette, classes.k)
    page.set_legend([class_legend(f"{label} · {period}" if period else label, classes, colors, fmt)])
    heading = f"{label} {period}" if period else label
    page.add_layer(heading, "unitLayer", unit_layer(colors, [{
        "label": period, "cls": classes.classes.tolist(),
        "rows": [*value_rank_rows(heading, values, fmt), class_row(classes, fmt)],
    }]))
    return page.finish()


def _draw(inputs: MapInputs) -> GeodtiMap:
    return choropleth_map(inputs.panel, inputs.variable, inputs.last, inputs.units, label=inputs.label,
                          **inputs.page_keywords())


KIND = MapKind("choropleth", "{variable}_{last}", "指数地图", "Index map", needs=("panel",), draw=_draw)
