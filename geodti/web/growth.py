"""Growth map: diverging colours centred at 0 (reds below, blues above)."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geodti.web import classify as cl
from geodti.web._common import (
    NODATA_COLOR, class_legend, default_agglomerations, default_units, diverging_colors,
    fmt_values, ranks, subtitle, synthetic_flag, value_rows,
)
from geodti.web._data import align, finite_or_nan, select
from geodti.web._page import GeodtiMap, Page


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
    title: str | None = None,
    method: str | None = None,
    panel: pd.DataFrame | None = None,
    source: str | None = None,
    synthetic: bool | None = None,
    tiles=None,
    agglomerations=None,
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
    label, title, method, source, synthetic, tiles, agglomerations
        As in :func:`geodti.web.choropleth_map`; ``method`` describes how growth was computed
        (default: year-on-year growth, I_q / I_(q-4) - 1).
    """
    units = default_units(units)
    rows = select(growth, "the growth table", variable=variable, period=period)
    period = period or (str(rows["period"].iloc[0]) if "period" in rows.columns and len(rows) else None)
    if period is None and "window" in rows.columns and rows["window"].nunique() == 1:
        period = str(rows["window"].iloc[0])  # geodti.index.summary_growth: mean YoY over a window
    variable = variable or (str(rows["variable"].iloc[0]) if "variable" in rows.columns and len(rows) else None)
    label = label or (f"{variable} {column}" if variable else column)
    method = method or "year-on-year growth I_q / I_(q-4) - 1"
    page = Page(units, title=title or f"增长 Growth: {label}", period=period,
                subtitle=subtitle(f"{method}; {cl.describe(scheme, k_side)} each side of 0", source,
                                  [growth, panel], units),
                synthetic=synthetic_flag(synthetic, growth, panel, units), tiles=tiles,
                agglomerations=default_agglomerations(agglomerations))
    values = finite_or_nan(align(page.units, rows, [column], "the growth table")[column])
    classes = cl.diverging_classes(values, k_side, scheme, breaks)
    colors = diverging_colors(classes)
    n_neg = int(np.sum(classes.bins <= 0))
    note = "0 为分界 Zero is a class break" if n_neg else "所有值均为正 All values are above zero"
    page.set_legend([class_legend(label, classes, colors, fmt, note=note)])
    names = classes.labels(fmt)
    page.add_layer(f"{label} {period}" if period else label, "unitLayer", {
        "colors": colors,
        "nodata": NODATA_COLOR,
        "style": {"color": "#9a9a9a", "weight": 0.4, "fillOpacity": 0.9},
        "frames": [{"label": period, "cls": classes.classes.tolist(), "rows": [
            {"label": label, "values": fmt_values(values, fmt)},
            {"label": "增长排名 Growth rank", "values": ranks(values)},
            {"label": "分级 Class", "values": [names[c] if c >= 0 else "—" for c in classes.classes]},
            *value_rows(page.units, panel, variable, period),
        ]}],
    })
    return page.finish()
