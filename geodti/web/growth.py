"""Growth map: diverging colours centred at 0 (reds below, blues above)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

import geopandas as gpd
import numpy as np
import pandas as pd

from geodti.periods import year_earlier
from geodti.web import classify as cl
from geodti.web._common import (
    CATEGORY_STYLE, PageKeywords, class_legend, class_row, diverging_colors, new_page, unit_layer,
    value_rank_rows, value_rows,
)
from geodti.web._data import first_value, joined_values, select
from geodti.web._page import GeodtiMap
from geodti.web.kind import MapInputs, MapKind


def growth_map(
    growth: pd.DataFrame,
    column: str = "yoy",
    units: gpd.GeoDataFrame | None = None,
    *,
    variable: str | None = None,
    period: str | None = None,
    scheme: str = "quantiles",
    k_side: int = 4,
    breaks: Sequence[float] | None = None,
    fmt: str = "{:+.1%}",
    label: str | None = None,
    method: str | None = None,
    panel: pd.DataFrame | None = None,
    **page: Unpack[PageKeywords],
) -> GeodtiMap:
    """Map of growth rates with a diverging scheme centred at zero.

    Parameters
    ----------
    growth : DataFrame
        ``adcode`` and ``column`` (growth as a fraction: 0.12 = +12 %); optional ``variable`` and
        ``period`` to select rows. The outputs of ``geodti.index.growth.growth`` (``column="yoy"``
        or ``"qoq"``) and ``summary_growth`` (``column="growth"``, its ``window`` labels the map)
        work as they are.
    column : str, default "yoy"
        Column with the growth rates.
    units : GeoDataFrame, optional
        Map units; default: bundled city boundaries.
    variable, period : str, optional
        Rows to map when the table holds several.
    scheme : {"quantiles", "fisher_jenks", "equal_interval", "user"}
        Classification of each side of zero (``breaks`` for ``"user"``, must include 0).
    k_side : int, default 4
        Classes on each side of zero.
    fmt : str, default "{:+.1%}"
        Format of the values.
    panel : DataFrame, optional
        Tidy panel (adcode, period, ``variable``): the tooltips then also show the index value
        and its rank in the period mapped.
    label, method, **page
        As in :func:`geodti.web.choropleth_map`; ``method`` describes how growth was computed
        (default: year-on-year growth, I_q / I_(q-4) - 1).
    """
    rows = select(growth, "the growth table", variable=variable, period=period)
    period = period or first_value(rows, "period")
    if period is None and "window" in rows.columns and rows["window"].nunique() == 1:
        period = str(rows["window"].iloc[0])  # geodti.index.summary_growth: mean YoY over a window
    variable = variable or first_value(rows, "variable")
    label = label or (f"{variable} {column}" if variable else column)
    method = method or "year-on-year growth I_q / I_(q-4) - 1"
    page = new_page(units, page, title=f"增长 Growth: {label}", period=period,
                    method=f"{method}; {cl.describe(scheme, k_side)} each side of 0", data=[growth, panel])
    values = joined_values(page.units, rows, column, "the growth table")
    classes = cl.diverging_classes(values, k_side, scheme, breaks)
    colors = diverging_colors(classes)
    n_neg = int(np.sum(classes.bins <= 0))
    note = "0 为分界 Zero is a class break" if n_neg else "所有值均为正 All values are above zero"
    page.set_legend([class_legend(label, classes, colors, fmt, note=note)])
    page.add_layer(f"{label} {period}" if period else label, "unitLayer", unit_layer(colors, [{
        "label": period, "cls": classes.classes.tolist(), "rows": [
            *value_rank_rows(label, values, fmt, rank_label="增长排名 Growth rank"),
            class_row(classes, fmt),
            *value_rows(page.units, panel, variable, period),
        ]}], style=CATEGORY_STYLE))
    return page.finish()


def _has_yoy(inputs: MapInputs) -> bool:
    last = inputs.last
    return year_earlier(last) in inputs.periods  # the same year, quarter or month a year before


def _draw(inputs: MapInputs) -> GeodtiMap:
    from geodti.index.growth import growth

    g = growth(inputs.panel[["adcode", "period", inputs.variable]], inputs.variable)
    return growth_map(g, "yoy", inputs.units, variable=inputs.variable, period=inputs.last, panel=inputs.panel,
                      label=f"{inputs.label or inputs.variable} YoY", **inputs.page_keywords())


KIND = MapKind("growth", "growth_{variable}_{last}", "同比增长", "Year-on-year growth", needs=("panel",),
               draw=_draw, when=_has_yoy)
