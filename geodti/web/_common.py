"""Helpers shared by the map kinds: defaults, captions, colours, legends, ranks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath

import geopandas as gpd
import numpy as np
import pandas as pd
from branca.utilities import color_brewer

from geodti.errors import InputError
from geodti.web._data import is_synthetic
from geodti.web.classify import Classes

NODATA_COLOR = "#d9d9d9"
NODATA_LABEL = "无数据 No data"


def default_units(units: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """``units`` if given, else geodti's bundled city boundaries at map resolution."""
    if units is not None:
        return units
    from geodti.places.boundaries import cities

    return cities(resolution="map")


def default_agglomerations(agglomerations):
    """Membership table for tooltips: the given one, the bundled one (None), or none (False)."""
    if agglomerations is False:
        return None
    if agglomerations is not None:
        return agglomerations
    from geodti.places.gazetteer import agglomerations as bundled

    return bundled()


def subtitle(method: str | None, source: str | None, frames: Sequence, units: gpd.GeoDataFrame | None) -> list[str]:
    """Caption lines: method, data source, boundaries source."""
    lines = []
    if method:
        lines.append(f"方法 Method: {method}")
    if source is None:
        for frame in frames:
            if frame is not None and frame.attrs.get("source"):
                source = str(frame.attrs["source"])
                # a file read by geodti: its name is enough (a full path would show the user's folders)
                if re.search(r"\.(csv|tsv|txt|xlsx?|parquet|json)$", source, re.IGNORECASE):
                    source = PurePath(source).name
                break
    lines.append(f"数据 Data: {source if source else 'source not stated (pass source=...)'}")
    if units is not None and units.attrs.get("source"):
        lines.append(f"边界 Boundaries: {units.attrs['source']}")
    return lines


def synthetic_flag(synthetic: bool | None, *frames) -> bool:
    """The explicit choice, else whether any input is marked synthetic."""
    return is_synthetic(*frames) if synthetic is None else bool(synthetic)


def sequential_colors(palette: str, k: int) -> list[str]:
    """``k`` ColorBrewer colours (light to dark) from a sequential scheme."""
    if k >= 3:
        return list(color_brewer(palette, k))
    three = color_brewer(palette, 3)
    return [three[0], three[2]][:k] if k == 2 else [three[2]]


def diverging_colors(classes: Classes, palette: str = "RdBu") -> list[str]:
    """Colours for classes centred at 0: reds below zero, blues above, palest next to zero."""
    n_neg = int(np.sum(classes.bins <= 0))
    n_pos = classes.k - n_neg
    half = max(n_neg, n_pos, 2)
    colors = list(color_brewer(palette, 2 * half))
    return colors[half - n_neg:half] + colors[half:half + n_pos]


def class_legend(title: str, classes: Classes, colors: Sequence[str], fmt: str,
                 note: str | None = None) -> dict:
    """Legend section for classed values, with counts and a no-data entry when needed."""
    labels = classes.labels(fmt)
    counts = classes.counts()
    entries = [{"color": c, "label": lab, "count": n} for c, lab, n in zip(colors, labels, counts)]
    missing = int(np.sum(classes.classes < 0))
    if missing:
        entries.append({"color": NODATA_COLOR, "label": NODATA_LABEL, "count": missing})
    section = {"title": title, "entries": entries}
    if note:
        section["note"] = note
    return section


def category_legend(title: str, codes: np.ndarray, categories: Sequence[tuple[str, str, str]],
                    note: str | None = None, show_empty: bool = False) -> dict:
    """Legend section for categories ``(key, label, colour)``; ``codes`` holds category indices (-1 = no data)."""
    entries = []
    for c, (_, label, color) in enumerate(categories):
        n = int(np.sum(codes == c))
        if n or show_empty:
            entries.append({"color": color, "label": label, "count": n})
    missing = int(np.sum(codes < 0))
    if missing:
        entries.append({"color": NODATA_COLOR, "label": NODATA_LABEL, "count": missing})
    section = {"title": title, "entries": entries}
    if note:
        section["note"] = note
    return section


def ranks(values: np.ndarray) -> list[str]:
    """Descending rank among units with a value ('min' for ties), as "r / n"; "—" if missing."""
    s = pd.Series(values)
    n = int(s.notna().sum())
    r = s.rank(ascending=False, method="min")
    return [f"{int(x)} / {n}" if pd.notna(x) else "—" for x in r]


def fmt_values(values: np.ndarray, fmt: str) -> list[str]:
    """Formatted values, "—" where missing."""
    return [fmt.format(v) if np.isfinite(v) else "—" for v in values]


def value_rows(units: gpd.GeoDataFrame, panel, variable: str | None, period: str | None,
               fmt: str = "{:.3f}") -> list[dict]:
    """Tooltip rows with the mapped variable's value and rank, from an optional panel.

    ``period`` None takes the panel's last period.
    """
    if panel is None:
        return []
    from geodti.web._data import align, finite_or_nan, select

    if variable is None or variable not in panel.columns:
        raise InputError(f"the panel has no column {variable!r} to show next to the statistic; "
                         "pass variable=... naming a panel column")
    if period is None and "period" in panel.columns:
        from geodti.periods import sort_periods

        period = sort_periods(pd.unique(panel["period"].astype(str)))[-1]
    rows = select(panel, "the panel", period=period)
    values = finite_or_nan(align(units, rows, [variable], "the panel")[variable])
    label = f"{variable} {period}" if period else variable
    return [{"label": label, "values": fmt_values(values, fmt)},
            {"label": "排名 Rank", "values": ranks(values)}]
