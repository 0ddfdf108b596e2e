"""The standard set of pages for one variable of a panel, as ``geodti run`` writes them."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodti.web._page import GeodtiMap
from geodti.web.kind import MapInputs
from geodti.web import registry


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
    """The pages of the map kinds that need only the panel (:data:`geodti.web.registry.MAP_KINDS`).

    These are the choropleth of the last period, the time slider, the agglomerations and the
    year-on-year growth.

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
    inputs = MapInputs(panel=panel, variable=variable, units=units, label=label, source=source,
                       synthetic=synthetic, tiles=tiles, agglomerations=agglomerations)
    return registry.draw_kinds(inputs, [k for k in registry.MAP_KINDS if set(k.needs) == {"panel"}])


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
