"""The standard set of pages for one variable of a panel, as ``geodti run`` writes them."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodti.errors import InputError
from geodti.periods import period_type, sort_periods
from geodti.web._page import GeodtiMap
from geodti.web.agglomerations import agglomeration_map
from geodti.web.choropleth import choropleth_map
from geodti.web.growth import growth_map
from geodti.web.slider import time_slider_map


def standard_maps(
    panel: pd.DataFrame,
    variable: str = "dti",
    units: gpd.GeoDataFrame | None = None,
    *,
    label: str | None = None,
    source: str | None = None,
    synthetic: bool | None = None,
    tiles=None,
    agglomerations=None,
) -> dict[str, GeodtiMap]:
    """Choropleth of the last period, time slider, agglomerations and year-on-year growth.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel (``adcode``, ``period``, ``variable``) such as ``geodti.read_panel`` returns.
    variable : str, default "dti"
    units, label, source, synthetic, tiles, agglomerations
        As in :func:`geodti.web.choropleth_map`.

    Returns
    -------
    dict
        File stem -> map, in a fixed order: ``<variable>_<last period>``, ``<variable>_slider``
        (with more than one period), ``agglomerations_<variable>_<last period>``,
        ``growth_<variable>_<last period>`` (when the panel has the quarter a year before the last).
    """
    if "period" not in panel.columns or variable not in panel.columns:
        raise InputError(f"the panel needs columns 'period' and {variable!r} for the standard maps")
    periods = sort_periods(pd.unique(panel["period"].astype(str)))
    last = periods[-1]
    common = dict(label=label, source=source, synthetic=synthetic, tiles=tiles)
    out = {f"{variable}_{last}": choropleth_map(panel, variable, last, units,
                                                agglomerations=agglomerations, **common)}
    if len(periods) > 1:
        out[f"{variable}_slider"] = time_slider_map(panel, variable, units, periods=periods,
                                                     agglomerations=agglomerations, **common)
    out[f"agglomerations_{variable}_{last}"] = agglomeration_map(
        panel, variable, last, units, agglomerations=agglomerations, **common)
    if period_type(last) == "quarter":
        from geodti.index.growth import growth
        from geodti.periods import shift_quarter

        if shift_quarter(last, -4) in periods:
            g = growth(panel[["adcode", "period", variable]], variable)
            out[f"growth_{variable}_{last}"] = growth_map(
                g, "yoy", units, variable=variable, period=last, panel=panel,
                agglomerations=agglomerations, **{k: v for k, v in common.items() if k != "label"},
                label=f"{label or variable} YoY")
    return out


def save_maps(maps: dict[str, GeodtiMap], folder: str | os.PathLike = "maps") -> dict[str, Path]:
    """Write each map to ``folder/<slug of name>.html`` (atomically); return name -> path.

    Names come from data (variables, periods), so each becomes a safe, distinct file name
    inside ``folder`` (:func:`geodti.io.paths.unique_slugs`): ``../../x`` writes ``_x.html``.
    """
    from geodti.io.paths import output_path, unique_slugs
    from geodti.web import save_map

    slugs = unique_slugs(maps)
    return {name: save_map(m, output_path(folder, f"{slugs[name]}.html"))
            for name, m in maps.items()}
