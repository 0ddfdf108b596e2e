"""Index choropleth: one variable in one period, classed by mapclassify."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from geodti.errors import InputError
from geodti.periods import sort_periods
from geodti.web import classify as cl
from geodti.web._common import (
    NODATA_COLOR, class_legend, default_agglomerations, default_units, fmt_values, ranks,
    sequential_colors, subtitle, synthetic_flag,
)
from geodti.web._data import align, finite_or_nan, select
from geodti.web._page import GeodtiMap, Page


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
    title: str | None = None,
    source: str | None = None,
    synthetic: bool | None = None,
    tiles=None,
    agglomerations=None,
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
    units = default_units(units)
    label = label or variable
    rows = select(panel, "the panel", period=period)
    if period is None and "period" in rows.columns and len(rows):
        period = str(rows["period"].iloc[0])
    page = Page(units, title=title or label, period=period,
                subtitle=subtitle(cl.describe(scheme, k, pooled), source, [panel], units),
                synthetic=synthetic_flag(synthetic, panel, units), tiles=tiles,
                agglomerations=default_agglomerations(agglomerations))
    values = finite_or_nan(align(page.units, rows, [variable], "the panel")[variable])
    if pooled:
        if "period" not in panel.columns:
            raise InputError("pooled=True needs a panel with a 'period' column")
        periods = sort_periods(panel["period"].astype(str).unique())
        per_period = [finite_or_nan(align(page.units, panel[panel["period"].astype(str) == p],
                                          [variable], "the panel")[variable]) for p in periods]
        classes = cl.pooled_classes(per_period, scheme, k, breaks)[periods.index(str(period))]
    else:
        classes = cl.classify(values, scheme, k, breaks)
    colors = sequential_colors(palette, classes.k)
    page.set_legend([class_legend(f"{label} · {period}" if period else label, classes, colors, fmt)])
    heading = f"{label} {period}" if period else label
    page.add_layer(heading, "unitLayer", {
        "colors": colors,
        "nodata": NODATA_COLOR,
        "frames": [{
            "label": period,
            "cls": classes.classes.tolist(),
            "rows": [
                {"label": heading, "values": fmt_values(values, fmt)},
                {"label": "排名 Rank", "values": ranks(values)},
                {"label": "分级 Class", "values": [lab for lab in _class_names(classes, fmt)]},
            ],
        }],
    })
    return page.finish()


def _class_names(classes: cl.Classes, fmt: str) -> list[str]:
    labels = classes.labels(fmt)
    return [labels[c] if c >= 0 else "—" for c in classes.classes]
