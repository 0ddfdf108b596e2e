"""Maps of local statistics: LISA clusters, Gi* hot and cold spots, emerging hot spot categories.

These maps read documented columns of a table, so they do not depend on how the statistics were
computed (``geodti.spatial`` / ``geodti.dynamics`` or any other tool):

- :func:`lisa_map`: ``quadrant`` (esda's codes 1 HH, 2 LH, 3 LL, 4 HL, or the strings) with a
  significance column ``sig_none`` / ``sig_fdr`` / ``sig_bonferroni`` for the chosen correction;
  or a ready ``cluster`` column (``HH``, ``LL``, ``LH``, ``HL``, ``ns``).
- :func:`hotspot_map`: ``hotspot``, ESRI's Gi_Bin convention: 3/2/1 hot spot at 99/95/90 %
  confidence, 0 not significant, -1/-2/-3 cold spot; or strings like ``"hot 99%"``,
  ``"cold spot 90%"``, ``"not significant"``.
- :func:`emerging_hotspot_map`: ``category``, the emerging hot spot analysis categories of ESRI's
  Space Time Pattern Mining (new, consecutive, intensifying, persistent, diminishing, sporadic,
  oscillating, historical hot/cold spot, no pattern detected), case and ``_`` insensitive.

A table may hold several periods, variables or weights: choose one with the keyword of the same
name. Units with no row are drawn as "no data".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Unpack

import geopandas as gpd
import numpy as np
import pandas as pd

from geodti.errors import InputError
from geodti.labels import HOTSPOT, NOT_SIGNIFICANT, QUADRANT
from geodti.web._common import (
    CATEGORY_STYLE, PageKeywords, category_legend, coded_row, fmt_values, new_page, unit_layer, value_rows,
)
from geodti.web._data import align, first_value, select
from geodti.web._page import GeodtiMap
from geodti.web.kind import MapInputs, MapKind

# the figures' short key "ns" for not significant; labels and colours from the one vocabulary
LISA_CATEGORIES = tuple(("ns" if lab.key == NOT_SIGNIFICANT else lab.key, lab.text, lab.colour)
                        for lab in QUADRANT.values() if lab.key != "no_data")
_ESDA_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}

# keyed by Esri's Gi_Bin code, as the Gi* tables may give it
HOTSPOT_CATEGORIES = tuple((str(lab.gi_bin) if lab.gi_bin is not None else lab.key, lab.text, lab.colour)
                           for lab in HOTSPOT.values() if lab.gi_bin is not None or lab.key == "isolate")

_EHSA_KINDS = (
    ("new", "新", "#fdd0c5", "#c6dbef"),
    ("consecutive", "连续", "#fc9272", "#9ecae1"),
    ("intensifying", "增强", "#de2d26", "#3182bd"),
    ("persistent", "持续", "#a50f15", "#08519c"),
    ("diminishing", "减弱", "#fb6a4a", "#6baed6"),
    ("sporadic", "零星", "#fcbba1", "#deebf7"),
    ("oscillating", "振荡", "#ef3b2c", "#4292c6"),
    ("historical", "历史", "#67000d", "#08306b"),
)
EMERGING_CATEGORIES = tuple(
    [(f"{kind} hot spot", f"{zh}热点 {kind.capitalize()} hot spot", hot) for kind, zh, hot, _ in _EHSA_KINDS]
    + [(f"{kind} cold spot", f"{zh}冷点 {kind.capitalize()} cold spot", cold) for kind, zh, _, cold in _EHSA_KINDS]
    + [("no pattern detected", "无模式 No pattern detected", "#f0f0f0")]
)


def _codes(labels: Sequence, categories, what: str) -> np.ndarray:
    keys = [c[0] for c in categories]
    out = np.full(len(labels), -1, dtype="int64")
    for i, lab in enumerate(labels):
        if lab is None or (isinstance(lab, float) and np.isnan(lab)):
            continue
        if lab not in keys:
            raise InputError(f"{what}: unknown value {lab!r}; expected one of {', '.join(keys)}")
        out[i] = keys.index(lab)
    return out


def _lisa_labels(rows: pd.DataFrame, correction: str) -> pd.DataFrame:
    sig_col = f"sig_{correction}"
    isolate = (rows["neighbours"].fillna(0).astype(int) == 0).to_numpy() if "neighbours" in rows.columns \
        else np.zeros(len(rows), dtype=bool)
    if "quadrant" in rows.columns and sig_col in rows.columns:
        def quadrant(q):
            if isinstance(q, str) and q.upper() in {"HH", "LL", "LH", "HL"}:
                return q.upper()
            try:
                return _ESDA_QUADRANTS[int(q)]
            except (KeyError, TypeError, ValueError):
                raise InputError(f"the LISA table: quadrant {q!r} is not 1-4 (esda) or HH/LL/LH/HL") from None
        sig = rows[sig_col].fillna(False).astype(bool).to_numpy()
        cluster = ["isolate" if iso or (isinstance(q, str) and not q) else (quadrant(q) if s else "ns")
                   for q, s, iso in zip(rows["quadrant"], sig, isolate)]
    elif "cluster" in rows.columns:
        cluster = []
        for c, iso in zip(rows["cluster"], isolate):
            text = re.sub(r"[\s_]+", " ", str(c)).strip()
            if iso or text.lower() == "isolate":
                cluster.append("isolate")
            elif text.upper() in {"HH", "LL", "LH", "HL"}:
                cluster.append(text.upper())
            elif text.lower() in {"ns", "not significant", "none", "", "nan"}:
                cluster.append("ns")
            else:
                raise InputError(f"the LISA table: cluster {c!r} is not HH, LL, LH, HL, not significant or isolate")
    else:
        raise InputError(f"the LISA table needs columns 'quadrant' and {sig_col!r} "
                         "(or a ready 'cluster' column)")
    return rows.assign(_label=cluster)


def _hotspot_label(value) -> str:
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and float(value).is_integer()):
        v = int(value)
        if -3 <= v <= 3:
            return str(v)
        raise InputError(f"the Gi* table: hotspot {value!r} is outside -3..3 (ESRI Gi_Bin)")
    text = re.sub(r"[\s_]+", " ", str(value)).strip().lower()
    if text in {"0", "ns", "not significant", "none", ""}:
        return "0"
    if text == "isolate":
        return "isolate"
    m = re.match(r"^(hot|cold)\b[^0-9]*(90|95|99)\s*%?$", text)
    if not m:
        raise InputError(f"the Gi* table: hotspot {value!r} is not a Gi_Bin code (-3..3) or a label "
                         "like 'hot 99%' / 'cold spot 90%' / 'not significant'")
    return str(HOTSPOT[f"{m.group(1)}_{m.group(2)}"].gi_bin)


def _emerging_label(value) -> str:
    text = re.sub(r"[\s_]+", " ", str(value).strip().lower())
    if text in {"no pattern", "no pattern detected"}:
        return "no pattern detected"
    return text


def _extra_rows(frame: pd.DataFrame, columns: Sequence[tuple[str, str, str]]) -> list[dict]:
    rows = []
    for col, label, fmt in columns:
        if col in frame.columns:
            vals = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64")
            rows.append({"label": label, "values": fmt_values(vals, fmt)})
    return rows


def _inference_text(rows: pd.DataFrame) -> str:
    """What the Gi* p-values rest on, as the table records it (``inference``; for the emerging
    hot spots also Esri's ``global_window``): ", permutation inference", ", analytic
    inference over the entire cube"."""
    if not len(rows) or "inference" not in rows.columns:
        return ""
    text = f", {rows['inference'].iloc[0]} inference"
    if "global_window" in rows.columns:
        text += f" over the {str(rows['global_window'].iloc[0]).replace('_', ' ')}"
    return text


def _method_details(rows: pd.DataFrame) -> str:
    parts = []
    for col, name in (("weights", "weights"), ("alpha", "alpha"), ("permutations", "permutations"),
                      ("seed", "seed")):
        if col in rows.columns and rows[col].nunique() == 1:
            parts.append(f"{name} {rows[col].iloc[0]}")
    return ", ".join(parts)


def _category_map(*, table, units, page, labels_col, categories, title, statistic, method, period,
                  extra, legend_note, what, panel=None, variable=None, value_period=None) -> GeodtiMap:
    page = new_page(units, page, title=title, period=period, method=method, data=[table, panel])
    aligned = align(page.units, table, [labels_col, *[c for c, _, _ in extra if c in table.columns]], what)
    codes = _codes(aligned[labels_col].tolist(), categories, what)
    page.set_legend([category_legend(statistic, codes, categories, note=legend_note)])
    page.add_layer(f"{statistic} {period}" if period else statistic, "unitLayer", unit_layer(
        [c[2] for c in categories],
        [{"label": period, "cls": codes.tolist(),
          "rows": [*value_rows(page.units, panel, variable, value_period),
                   coded_row(statistic, codes, [c[1] for c in categories]),
                   *_extra_rows(aligned, extra)]}],
        style=CATEGORY_STYLE))
    return page.finish()


def lisa_map(
    lisa: pd.DataFrame,
    units: gpd.GeoDataFrame | None = None,
    *,
    variable: str | None = None,
    period: str | None = None,
    weights: str | None = None,
    correction: str = "fdr",
    panel: pd.DataFrame | None = None,
    **page: Unpack[PageKeywords],
) -> GeodtiMap:
    """LISA cluster map (HH / LL / LH / HL / not significant) under a multiple-testing correction.

    Parameters
    ----------
    lisa : DataFrame
        LISA table: ``adcode`` and either ``quadrant`` + ``sig_<correction>`` or ``cluster``;
        optional ``variable``, ``period``, ``weights``, ``I``/``Is``, ``p_sim``, ``permutations``, ``seed``.
    units : GeoDataFrame, optional
        Map units; default: bundled city boundaries.
    variable, period, weights : str, optional
        Rows to map when the table holds several.
    correction : {"fdr", "bonferroni", "none"}
        Which significance column decides "not significant".
    panel : DataFrame, optional
        Tidy panel (adcode, period, variable): the tooltips then also show the variable's value
        and rank in the period mapped (for emerging hot spots: the panel's last period).
    **page
        The page keywords, as in :func:`geodti.web.choropleth_map`.
    """
    if correction not in {"fdr", "bonferroni", "none"}:
        raise InputError(f"correction must be 'fdr', 'bonferroni' or 'none', not {correction!r}")
    rows = select(lisa, "the LISA table", variable=variable, period=period, weights=weights,
                  statistic="lisa" if "statistic" in lisa.columns else None)
    rows = _lisa_labels(rows, correction)
    period = period or first_value(rows, "period")
    variable = variable or first_value(rows, "variable")
    corr = {"fdr": "FDR (Benjamini-Hochberg)", "bonferroni": "Bonferroni", "none": "no"}[correction]
    details = _method_details(rows)
    method = f"Local Moran's I (LISA), permutation inference, {corr} correction" + (f"; {details}" if details else "")
    return _category_map(
        table=rows, units=units, page=page, labels_col="_label", categories=LISA_CATEGORIES,
        title="LISA 聚类 clusters" + (f": {variable}" if variable else ""), statistic="LISA 聚类 Cluster",
        method=method, period=period,
        extra=[("value", "局部 Local I", "{:.3f}"), ("Is", "局部 Local I", "{:.3f}"),
               ("z_sim", "z (permutation)", "{:.2f}"), ("p_sim", "p (permutation)", "{:.4f}"),
               (f"p_{correction}", f"p ({correction})", "{:.4f}")],
        legend_note=f"{corr} correction", what="the LISA table", panel=panel, variable=variable,
        value_period=period)


def bivariate_lisa_map(
    lisa_bv: pd.DataFrame,
    units: gpd.GeoDataFrame | None = None,
    *,
    variable: str | None = None,
    variable_y: str | None = None,
    period: str | None = None,
    weights: str | None = None,
    correction: str = "fdr",
    panel: pd.DataFrame | None = None,
    **page: Unpack[PageKeywords],
) -> GeodtiMap:
    """Bivariate LISA cluster map: a unit's ``variable`` against its neighbours' ``variable_y``
    (HH: high x among high neighbouring y; LL, HL, LH; not significant) under a correction.

    Parameters
    ----------
    lisa_bv : DataFrame
        Bivariate LISA table (:func:`geodti.spatial.local.bivariate_local_statistics`):
        ``adcode``, ``variable``, ``variable_y`` and ``quadrant`` + ``sig_<correction>`` or ``cluster``.
    variable, variable_y, period, weights : str, optional
        Rows to map when the table holds several (default: its first direction and period).
    correction, panel, units, **page
        As in :func:`lisa_map`.
    """
    if correction not in {"fdr", "bonferroni", "none"}:
        raise InputError(f"correction must be 'fdr', 'bonferroni' or 'none', not {correction!r}")
    rows = select(lisa_bv, "the bivariate LISA table", variable=variable, period=period, weights=weights,
                  statistic="lisa_bv" if "statistic" in lisa_bv.columns else None)
    if "variable_y" in rows.columns:
        variable_y = variable_y or first_value(rows, "variable_y")
        rows = rows[rows["variable_y"] == variable_y]
        if rows.empty:
            raise InputError(f"the bivariate LISA table has no rows with variable_y {variable_y!r}")
    rows = _lisa_labels(rows, correction)
    period = period or first_value(rows, "period")
    variable = variable or first_value(rows, "variable")
    corr = {"fdr": "FDR (Benjamini-Hochberg)", "bonferroni": "Bonferroni", "none": "no"}[correction]
    details = _method_details(rows)
    method = (f"Bivariate local Moran's I: {variable} against the spatial lag of {variable_y}, permutation "
              f"inference, {corr} correction" + (f"; {details}" if details else ""))
    return _category_map(
        table=rows, units=units, page=page, labels_col="_label", categories=LISA_CATEGORIES,
        title="双变量 LISA 聚类 Bivariate clusters" + (f": {variable} × W·{variable_y}" if variable else ""),
        statistic="双变量 LISA Bivariate cluster", method=method, period=period,
        extra=[("value", "局部 Local I", "{:.3f}"), ("z_sim", "z (permutation)", "{:.2f}"),
               ("p_sim", "p (permutation)", "{:.4f}"), (f"p_{correction}", f"p ({correction})", "{:.4f}")],
        legend_note=f"{corr} correction", what="the bivariate LISA table", panel=panel, variable=variable,
        value_period=period)


def hotspot_map(
    gi: pd.DataFrame,
    units: gpd.GeoDataFrame | None = None,
    *,
    variable: str | None = None,
    period: str | None = None,
    weights: str | None = None,
    column: str | None = None,
    panel: pd.DataFrame | None = None,
    **page: Unpack[PageKeywords],
) -> GeodtiMap:
    """Getis-Ord Gi* hot and cold spots at 90 / 95 / 99 % confidence.

    Parameters
    ----------
    gi : DataFrame
        Gi* table: ``adcode`` and ``column`` (Gi_Bin codes -3..3 or labels, see module notes);
        optional ``z``/``Zs``, ``p_sim``, ``variable``, ``period``, ``weights``.
    column : str, optional
        Column with the confidence bins; default ``hotspot``, else ``cluster`` (the labels
        ``hot_99`` ... ``not_significant``, ``isolate`` of ``geodti.spatial``'s local table, whose
        ``statistic`` column then selects the ``gi_star`` rows).
    units, variable, period, weights, panel, **page
        As in :func:`lisa_map`.
    """
    rows = select(gi, "the Gi* table", variable=variable, period=period, weights=weights,
                  statistic="gi_star" if "statistic" in gi.columns else None)
    if column is None:
        column = "hotspot" if "hotspot" in rows.columns else "cluster"
    if column not in rows.columns:
        raise InputError(f"the Gi* table has no column {column!r} (hot/cold spot confidence bins -3..3)")
    rows = rows.assign(_label=[_hotspot_label(v) for v in rows[column]])
    period = period or first_value(rows, "period")
    variable = variable or first_value(rows, "variable")
    details = _method_details(rows)
    return _category_map(
        table=rows, units=units, page=page, labels_col="_label", categories=HOTSPOT_CATEGORIES,
        title="Gi* 热点 hot and cold spots" + (f": {variable}" if variable else ""), statistic="Gi* 热点 Hot spot",
        method="Getis-Ord Gi*" + _inference_text(rows)
               + (f", {rows['correction'].iloc[0]} correction"
                  if "correction" in rows.columns and len(rows) else "")
               + (f"; {details}" if details else ""), period=period,
        extra=[("value", "G*", "{:.4g}"), ("z", "z", "{:.2f}"), ("Zs", "z", "{:.2f}"),
               ("z_sim", "z (permutation)", "{:.2f}"), ("p_sim", "p (permutation)", "{:.4f}")],
        legend_note=None, what="the Gi* table", panel=panel, variable=variable,
        value_period=period)


def emerging_hotspot_map(
    ehsa: pd.DataFrame,
    units: gpd.GeoDataFrame | None = None,
    *,
    variable: str | None = None,
    weights: str | None = None,
    column: str | None = None,
    panel: pd.DataFrame | None = None,
    **page: Unpack[PageKeywords],
) -> GeodtiMap:
    """Emerging hot spot analysis categories (new, consecutive, intensifying, persistent, ...).

    Parameters
    ----------
    ehsa : DataFrame
        ``adcode`` and ``column`` with the category names (see module notes); optional
        ``trend_tau``/``tau`` and ``trend_p``/``p`` (Mann-Kendall trend), ``variable``, ``weights``,
        ``period`` (e.g. "2021Q1-2023Q1").
    column : str, optional
        Column with the categories; default ``category``, else ``pattern`` (the table of
        ``geodti.dynamics.emerging_hotspots`` works as it is).
    units, variable, weights, panel, **page
        As in :func:`lisa_map`.
    """
    rows = select(ehsa, "the emerging hot spot table", variable=variable, weights=weights)
    if column is None:
        column = "category" if "category" in rows.columns else "pattern"
    if column not in rows.columns:
        raise InputError(f"the emerging hot spot table has no column {column!r}")
    rows = rows.assign(_label=[_emerging_label(v) for v in rows[column]])
    period = first_value(rows, "period")
    variable = variable or first_value(rows, "variable")
    details = _method_details(rows)
    return _category_map(
        table=rows, units=units, page=page, labels_col="_label", categories=EMERGING_CATEGORIES,
        title="时空热点 Emerging hot spots" + (f": {variable}" if variable else ""),
        statistic="时空热点 Emerging hot spot",
        method="Emerging hot spot analysis (Gi* per period + Mann-Kendall trend)" + _inference_text(rows)
               + (f"; {details}" if details else ""),
        period=period,
        extra=[("n_hot", "热点期数 Hot-spot periods", "{:.0f}"), ("n_cold", "冷点期数 Cold-spot periods", "{:.0f}"),
               ("mk_tau", "Mann-Kendall τ", "{:.3f}"), ("trend_tau", "Mann-Kendall τ", "{:.3f}"),
               ("mk_p", "trend p", "{:.3f}"), ("trend_p", "trend p", "{:.3f}")],
        legend_note=None, what="the emerging hot spot table", panel=panel,
        variable=variable, value_period=None)


def _draw_lisa(inputs: MapInputs) -> GeodtiMap:
    return lisa_map(inputs.lisa, inputs.units, correction=inputs.correction, panel=inputs.panel,
                    **inputs.page_keywords())


def _draw_bivariate(inputs: MapInputs) -> GeodtiMap:
    return bivariate_lisa_map(inputs.lisa_bv, inputs.units, correction=inputs.correction, panel=inputs.panel,
                              **inputs.page_keywords())


def _draw_hotspots(inputs: MapInputs) -> GeodtiMap:
    return hotspot_map(inputs.gi, inputs.units, panel=inputs.panel, **inputs.page_keywords())


def _draw_emerging(inputs: MapInputs) -> GeodtiMap:
    return emerging_hotspot_map(inputs.emerging, inputs.units, panel=inputs.panel, **inputs.page_keywords())


LISA_KIND = MapKind("lisa", "lisa_{variable}_{latest}", "LISA 聚类", "LISA clusters", needs=("lisa",),
                    draw=_draw_lisa)
BIVARIATE_KIND = MapKind("bivariate_lisa", "lisa_bv_{variable}_{latest}", "双变量 LISA 聚类",
                         "Bivariate LISA clusters", needs=("lisa_bv",), draw=_draw_bivariate)
HOTSPOT_KIND = MapKind("hotspots", "hotspots_{variable}_{latest}", "Gi* 冷热点", "Gi* hot and cold spots",
                       needs=("gi",), draw=_draw_hotspots)
EMERGING_KIND = MapKind("emerging_hotspots", "emerging_hotspots_{variable}", "时空热点", "Emerging hot spots",
                        needs=("emerging",), draw=_draw_emerging)
