"""Urban agglomerations: outlines dissolved from member cities, filled by share or mean.

The outlines are not stored: the page dissolves the member polygons with ``topojson.merge``
from the one stored topology. Cities that belong to two agglomerations (邯郸/邢台 in 京津冀
and 中原, 运城 in 中原 and 关中平原) get their own fill, so the overlap is visible, and
partial members (only some counties in the plan) get a dashed outline.
"""

from __future__ import annotations

from typing import Unpack

import geopandas as gpd
import numpy as np
import pandas as pd

from geodti.errors import InputError
from geodti.web import classify as cl
from geodti.web._common import (
    PageKeywords, default_agglomerations, new_page, sequential_colors, value_rank_rows,
)
from geodti.web._data import first_value, joined_values, select
from geodti.web._page import GeodtiMap
from geodti.web.kind import MapInputs, MapKind

#: Outline colours, one per agglomeration (ColorBrewer Dark2 + Set1, strong on a light map).
OUTLINE_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                  "#a6761d", "#377eb8", "#e41a1c", "#4d4d4d", "#984ea3", "#ff7f00")
OVERLAP_COLOR = "#b07cc6"
NONMEMBER_COLOR = "#f2f2f2"


def agglomeration_map(
    panel: pd.DataFrame | None = None,
    variable: str = "dti",
    period: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    *,
    fill: str | None = "share",
    scheme: str = "quantiles",
    k: int = 4,
    palette: str = "YlOrRd",
    fmt: str | None = None,
    label: str | None = None,
    **page: Unpack[PageKeywords],
) -> GeodtiMap:
    """Map of the urban agglomerations with their outlines dissolved from member cities.

    Parameters
    ----------
    panel : DataFrame, optional
        Tidy panel (``adcode``, ``period``, ``variable``). Without it the member cities are filled
        with their agglomeration's colour.
    variable : str, default "dti"
    period : str, optional
        Period to show (may be omitted when the panel has one period).
    units : GeoDataFrame, optional
        Map units; default: bundled city boundaries.
    fill : {"share", "mean", None}, default "share"
        ``"share"``: the agglomeration's sum as a percentage of the sum over all units (cities in
        two agglomerations count in both; partial members count fully); ``"mean"``: the mean over
        members with a value.
    scheme, k, palette
        Classification of the agglomeration values (mapclassify) and its ColorBrewer scheme.
    fmt : str, optional
        Value format; default ``"{:.1f}%"`` for share and ``"{:.3f}"`` for mean.
    label : str, optional
        As in :func:`geodti.web.choropleth_map`.
    **page
        As in :func:`geodti.web.choropleth_map`; here ``agglomerations`` (long membership table:
        ``agglomeration``, ``adcode``, optional ``partial`` (bool) and ``agglomeration_en``;
        default: the bundled one, ``geodti.places.gazetteer``) is what the map shows.
    """
    if fill not in {"share", "mean", None}:
        raise InputError(f"fill must be 'share', 'mean' or None, not {fill!r}")
    members_table = default_agglomerations(page.get("agglomerations"))
    if members_table is None:
        raise InputError("no agglomeration membership table: pass agglomerations= (columns agglomeration, "
                         "adcode, partial)")
    label = label or variable
    use_values = panel is not None and fill is not None
    rows = None
    if use_values:
        rows = select(panel, "the panel", period=period)
        if period is None:
            period = first_value(rows, "period")
    fmt = fmt or ("{:.1f}%" if fill == "share" else "{:.3f}")
    what = {"share": "份额 share of national total", "mean": "均值 mean of members", None: ""}[fill if use_values else None]
    method = (f"{label} {what}; {cl.describe(scheme, k)}" if use_values
              else "membership from the national agglomeration plans")
    page = new_page(units, {**page, "agglomerations": members_table}, title="城市群 Urban agglomerations",
                    period=period, method=method, data=[panel, members_table], synthetic_data=[panel])

    codes = {c: i for i, c in enumerate(page.units["adcode"])}
    names: list[str] = []
    english: dict[str, str] = {}
    members: dict[str, list[int]] = {}
    partial = np.zeros(len(page.units), dtype=bool)
    has_partial = "partial" in members_table.columns
    for _, r in members_table.iterrows():
        name = str(r["agglomeration"])
        if name not in members:
            names.append(name)
            members[name] = []
            if "agglomeration_en" in members_table.columns and isinstance(r["agglomeration_en"], str):
                english[name] = r["agglomeration_en"]
        if r["adcode"] in codes:
            members[name].append(codes[r["adcode"]])
            if has_partial and bool(r["partial"]):
                partial[codes[r["adcode"]]] = True
    empty = [n for n in names if not members[n]]
    if empty:
        raise InputError(f"agglomeration(s) {', '.join(empty)} have no member among the map units")
    count = np.zeros(len(page.units), dtype=int)
    first = np.full(len(page.units), -1)
    for g, name in enumerate(names):
        for i in members[name]:
            count[i] += 1
            if first[i] < 0:
                first[i] = g

    outline = {name: OUTLINE_COLORS[g % len(OUTLINE_COLORS)] for g, name in enumerate(names)}
    group_value: dict[str, float] = {}
    city_rows = []
    legend = []
    if use_values:
        values = joined_values(page.units, rows, variable, "the panel")
        total = np.nansum(values)
        for name in names:
            v = values[members[name]]
            if fill == "share":
                group_value[name] = float(np.nansum(v) / total * 100.0)
            else:
                group_value[name] = float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
        gvals = np.array([group_value[n] for n in names])
        classes = cl.classify(gvals, scheme, min(k, len(names) - 1) if len(names) > 2 else 2)
        class_colors = sequential_colors(palette, classes.k)
        colors = [*class_colors, OVERLAP_COLOR, NONMEMBER_COLOR]
        group_class = dict(zip(names, classes.classes))
        cls = []
        for i in range(len(page.units)):
            if count[i] == 0:
                cls.append(len(class_colors) + 1)
            elif count[i] > 1:
                cls.append(len(class_colors))
            else:
                c = group_class[names[first[i]]]
                cls.append(int(c) if c >= 0 else len(class_colors) + 1)
        per_city = []
        for i in range(len(page.units)):
            parts = [f"{n}: {fmt.format(group_value[n])}" for n in names if i in members[n]]
            per_city.append("; ".join(parts) if parts else "—")
        city_rows = [*value_rank_rows(f"{label} {period}" if period else label, values, "{:.3f}"),
                     {"label": f"城市群{what}", "values": per_city}]
        legend.append({
            "title": f"城市群 {label} {what}" + (f" · {period}" if period else ""),
            "entries": [{"color": c, "label": lab, "count": n}
                        for c, lab, n in zip(class_colors, classes.labels(fmt), classes.counts())],
            "note": "城市数为该类城市群个数 Counts are agglomerations",
        })
    else:
        colors = [*[outline[n] for n in names], OVERLAP_COLOR, NONMEMBER_COLOR]
        cls = [len(names) + 1 if count[i] == 0 else (len(names) if count[i] > 1 else int(first[i]))
               for i in range(len(page.units))]
    legend.append({"title": "城市 Cities", "entries": [
        {"color": OVERLAP_COLOR, "label": "属于两个城市群 In two agglomerations", "count": int(np.sum(count > 1))},
        {"color": NONMEMBER_COLOR, "label": "不属于城市群 Not in an agglomeration", "count": int(np.sum(count == 0))},
        {"color": "#222222", "kind": "dash", "label": "部分成员 Partial member (some counties)",
         "count": int(partial.sum())},
    ]})
    legend.append({"title": "城市群轮廓 Outlines", "entries": [
        {"color": outline[n], "kind": "line",
         "label": n + (f" {english[n]}" if n in english else "")
                 + (f": {fmt.format(group_value[n])}" if n in group_value else ""),
         "count": len(members[n])}
        for n in names
    ], "note": "括号内为成员城市数 Numbers are member cities"})
    page.set_legend(legend)

    page.add_layer("城市 Cities", "unitLayer", {
        "colors": colors,
        "nodata": NONMEMBER_COLOR,
        "dashed": partial.tolist(),
        "style": {"color": "#ffffff", "weight": 0.5, "fillOpacity": 0.85, "dashColor": "#222222"},
        "frames": [{"label": period, "cls": cls, "rows": city_rows}],
    })
    page.add_layer("城市群轮廓 Agglomeration outlines", "groupLayer", {
        "interactive": False,
        "groups": [{"label": n, "members": members[n], "color": outline[n], "weight": 2.5,
                    "fillOpacity": 0} for n in names],
    })
    return page.finish()


def _draw(inputs: MapInputs) -> GeodtiMap:
    return agglomeration_map(inputs.panel, inputs.variable, inputs.last, inputs.units, label=inputs.label,
                             **inputs.page_keywords())


KIND = MapKind("agglomerations", "agglomerations_{variable}_{last}", "城市群", "Urban agglomerations",
               needs=("panel",), draw=_draw)
