"""Helpers shared by the map kinds: page set-up, captions, colours, legends, tooltip rows."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
from branca.utilities import color_brewer

from geodti.errors import InputError
from geodti.periods import is_period, period_label
from geodti.web._data import is_synthetic
from geodti.web._page import Page
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
    return _legend_section(title, entries, int(np.sum(classes.classes < 0)), note)


def category_legend(title: str, codes: np.ndarray, categories: Sequence[tuple[str, str, str]],
                    note: str | None = None, show_empty: bool = False) -> dict:
    """Legend section for categories ``(key, label, colour)``; ``codes`` holds category indices (-1 = no data)."""
    entries = []
    for c, (_, label, color) in enumerate(categories):
        n = int(np.sum(codes == c))
        if n or show_empty:
            entries.append({"color": color, "label": label, "count": n})
    return _legend_section(title, entries, int(np.sum(codes < 0)), note)


def _legend_section(title: str, entries: list[dict], missing: int, note: str | None) -> dict:
    if missing:
        entries.append({"color": NODATA_COLOR, "label": NODATA_LABEL, "count": missing})
    section = {"title": title, "entries": entries}
    if note:
        section["note"] = note
    return section


def rank_row(label: str, values: np.ndarray) -> dict:
    """Tooltip row of each unit's descending rank among units with a value ('min' for ties),
    shown "r / n" ("—" if missing). The page carries the ranks as integers (0: missing) and
    ``n`` once, and the viewer writes "r / n"."""
    s = pd.Series(values)
    r = s.rank(ascending=False, method="min")
    return {"label": label, "ranks": [int(x) if pd.notna(x) else 0 for x in r], "of": int(s.notna().sum())}


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
    from geodti.web._data import joined_values, select

    if variable is None or variable not in panel.columns:
        raise InputError(f"the panel has no column {variable!r} to show next to the statistic; "
                         "pass variable=... naming a panel column")
    if period is None and "period" in panel.columns:
        from geodti.periods import sort_periods

        period = sort_periods(pd.unique(panel["period"].astype(str)))[-1]
    values = joined_values(units, select(panel, "the panel", period=period), variable, "the panel")
    return value_rank_rows(f"{variable} {period}" if period else variable, values, fmt)


def value_rank_rows(label: str, values: np.ndarray, fmt: str, rank_label: str = "排名 Rank") -> list[dict]:
    """Tooltip rows: the formatted values under ``label`` and their descending ranks."""
    return [{"label": label, "values": fmt_values(values, fmt)},
            rank_row(rank_label, values)]


def coded_row(label: str, codes, names: Sequence[str], missing: str = "—") -> dict:
    """Tooltip row of a few repeated texts: each unit's code into ``names`` (negative: ``missing``).

    The page carries each text once (``labels``) and a small integer per unit (``codes``)
    instead of the text per unit: on a county page (2,848 units x 11 periods) the class names
    alone were 0.5 MB.
    """
    names = [*map(str, names), missing]
    codes = [int(c) if c >= 0 else len(names) - 1 for c in np.asarray(codes)]
    return {"label": label, "labels": names, "codes": codes}


def class_row(classes: Classes, fmt: str) -> dict:
    """Tooltip row naming each unit's class ("—" for no data)."""
    return coded_row("分级 Class", classes.classes, classes.labels(fmt))


def unit_layer(colors: Sequence[str], frames: list[dict], *, style: dict | None = None,
               nodata: str = NODATA_COLOR) -> dict:
    """Spec of a ``unitLayer``: the units filled by class, one frame per period shown."""
    spec = {"colors": list(colors), "nodata": nodata}
    if style is not None:
        spec["style"] = style
    spec["frames"] = frames
    return spec


#: Outline of the units on the category and growth maps (thin grey lines, strong fills).
CATEGORY_STYLE = {"color": "#9a9a9a", "weight": 0.4, "fillOpacity": 0.9}


class PageKeywords(TypedDict, total=False):
    """Keywords every map function takes for its page (see :func:`geodti.web.choropleth_map`)."""

    title: str | None
    source: str | None
    synthetic: bool | None
    tiles: Any
    agglomerations: Any


def new_page(units: gpd.GeoDataFrame | None, keywords: Mapping[str, Any], *, title: str,
             period: str | None, method: str | None, data: Sequence,
             synthetic_data: Sequence | None = None) -> Page:
    """The page of a map kind: units (default: bundled), title, caption, notes, tooltips.

    Parameters
    ----------
    units : GeoDataFrame or None
        Map units; None takes the bundled city boundaries.
    keywords : mapping
        The caller's :class:`PageKeywords`; ``title`` there replaces the kind's ``title``.
    title, period, method : str
        The kind's default title, the period shown and the method line of the caption.
    data : sequence of DataFrame or None
        The inputs drawn: the caption names the first one's source; any synthetic one marks
        the page synthetic (unless ``synthetic_data`` lists others for that).

    Raises
    ------
    TypeError
        For a keyword that is not a page keyword (a misspelling would otherwise be ignored).
    """
    unknown = sorted(set(keywords) - set(PageKeywords.__annotations__))
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {', '.join(map(repr, unknown))}; a map page "
                        f"takes {', '.join(PageKeywords.__annotations__)}")
    units = default_units(units)
    # shown as people write it: 2021, 2021Q1, 2021-03 (a month's normal form is 2021M03)
    shown = period_label(period) if period and is_period(period) else period
    return Page(units, title=keywords.get("title") or title, period=shown,
                subtitle=subtitle(method, keywords.get("source"), list(data), units),
                synthetic=synthetic_flag(keywords.get("synthetic"),
                                         *(data if synthetic_data is None else synthetic_data), units),
                tiles=keywords.get("tiles"),
                agglomerations=default_agglomerations(keywords.get("agglomerations")))
