"""Index construction by the DTI report's own method (pure functions).

Source: Tencent Research Institute, 数字化转型指数报告 2023, sub-report 1, Part 1 §1
("指数构成及计算方法", "赋权", "数据标准化"):

* Weights from back-to-back expert scores, 1 (非常不重要) to 5 (非常重要)::

      a_j = sum_i a_ij / sum_i sum_j a_ij

  computed within each layer for the indicator weights and across layers for the layer
  weights.
* Normalisation by the national total of the base period (2021Q1; for an annual or monthly
  panel a period of its frequency, by default its earliest: :func:`base_period_of`)::

      t_cj = 100 * x_cj / sum_c x_cj(base)

  so every indicator sums to 100 over the cities in the base period (per cent of the
  national base total).
* Layer indices are the weighted averages of their indicators, and the composite (DTI) is
  the weighted average of the layers; the weights sum to one, so every layer and the
  composite also sum to 100 over the cities in the base period.

The industry dimension (city or province x industry x period) uses the same steps on the
report's three key indicators (cloud, AI, agile R&D).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from geodti.errors import MethodError
from geodti.periods import PeriodError, is_period, parse_period, period_number, period_type, sort_periods

SCORE_MIN, SCORE_MAX = 1, 5
RAW_COLUMNS = ("adcode", "period", "indicator", "value")
#: The report's base period ("其中2021Q1为指标计算基期"): the default of a quarterly panel.
REPORT_BASE_PERIOD = "2021Q1"


class IndexResult(NamedTuple):
    """What :func:`build_index` and :func:`build_industry_index` return.

    Attributes
    ----------
    panel : DataFrame
        Wide panel: the unit key(s), ``period``, one column per layer (or industry) and the
        composite.
    weights : DataFrame
        Tidy weights table (see :func:`weights_table`).
    indicators : DataFrame
        Long table of raw and normalised indicator values (see :func:`normalise`).
    """

    panel: pd.DataFrame
    weights: pd.DataFrame
    indicators: pd.DataFrame


# --------------------------------------------------------------------------- framework


def check_framework(framework: pd.DataFrame, composite: str = "dti") -> pd.DataFrame:
    """Validate an indicator -> layer table and return its ``layer``/``indicator`` columns.

    Parameters
    ----------
    framework : DataFrame
        At least the columns ``layer`` and ``indicator``; one row per indicator.
    composite : str
        Name of the composite column; no layer may use it.

    Returns
    -------
    DataFrame
        Columns ``layer``, ``indicator`` in the framework's order.

    Raises
    ------
    MethodError
        Missing columns, an indicator without a layer, an indicator listed twice, or a layer
        named like the composite.
    """
    missing = [c for c in ("layer", "indicator") if c not in framework.columns]
    if missing:
        raise MethodError(
            f"the framework table lacks column(s) {missing}; it needs one row per indicator "
            "with columns 'layer' and 'indicator' (see data/dti_framework.csv)."
        )
    fw = framework[["layer", "indicator"]].copy()
    for col in ("layer", "indicator"):
        blank = fw[col].isna() | (fw[col].astype(str).str.strip() == "")
        if blank.any():
            rows = [int(i) + 2 for i in np.flatnonzero(blank.to_numpy())]
            what = "has no layer" if col == "layer" else "has no indicator name"
            raise MethodError(f"framework row(s) {rows} (file lines) {what}; fill column '{col}'.")
        fw[col] = fw[col].astype(str).str.strip()
    dup = fw["indicator"][fw["indicator"].duplicated()].unique().tolist()
    if dup:
        raise MethodError(
            f"indicator(s) {dup} appear more than once in the framework; each indicator "
            "belongs to exactly one layer."
        )
    if (fw["layer"] == composite).any() or (fw["indicator"] == composite).any():
        raise MethodError(
            f"the framework uses the name {composite!r}, which is the composite index; rename "
            "the layer or indicator."
        )
    return fw.reset_index(drop=True)


def layers_of(framework: pd.DataFrame) -> list[str]:
    """Layer names in the order they first appear in the framework."""
    return list(dict.fromkeys(framework["layer"]))


# --------------------------------------------------------------------------- weights


def check_scores(scores: pd.DataFrame, what: str = "indicator") -> pd.DataFrame:
    """Validate an expert score matrix (experts x items) and return it as floats.

    Parameters
    ----------
    scores : DataFrame
        One row per expert, one column per item (indicator or layer). The experts are the
        index, or a column named ``expert``.
    what : str
        ``"indicator"`` or ``"layer"``, for messages.

    Raises
    ------
    MethodError
        A missing (NaN) score, a non-numeric or non-integer score, a score outside 1-5,
        duplicate experts or items, or an empty matrix. The message names the expert and
        the item.
    """
    sc = scores.copy()
    if "expert" in sc.columns:
        sc = sc.set_index("expert")
    if sc.shape[0] == 0 or sc.shape[1] == 0:
        raise MethodError(f"the {what} score matrix is empty; give one row per expert and one "
                          f"column per {what}.")
    sc.index = sc.index.map(str)
    sc.columns = [str(c).strip() for c in sc.columns]
    dup_e = sc.index[sc.index.duplicated()].unique().tolist()
    if dup_e:
        raise MethodError(f"expert(s) {dup_e} appear twice in the {what} scores; give one row "
                          "per expert.")
    dup_c = sorted({c for c in sc.columns if list(sc.columns).count(c) > 1})
    if dup_c:
        raise MethodError(f"{what}(s) {dup_c} appear as more than one column of the scores.")
    for item in sc.columns:
        col = pd.to_numeric(sc[item], errors="coerce")
        bad_text = col.isna() & sc[item].notna()
        for expert in sc.index[bad_text.to_numpy()]:
            raise MethodError(
                f"expert {expert!r} gave {what} {item!r} the score {sc.at[expert, item]!r}, "
                f"which is not a number; scores are integers {SCORE_MIN}-{SCORE_MAX}."
            )
        for expert in sc.index[col.isna().to_numpy()]:
            raise MethodError(
                f"expert {expert!r} has no score for {what} {item!r}; every expert scores every "
                f"{what} ({SCORE_MIN}-{SCORE_MAX}). Fill it, or drop the expert."
            )
        v = col.to_numpy(dtype=float)
        for expert, x in zip(sc.index, v):
            if x < SCORE_MIN or x > SCORE_MAX or x != np.floor(x):
                raise MethodError(
                    f"expert {expert!r} gave {what} {item!r} the score {x:g}; scores are "
                    f"integers from {SCORE_MIN} (非常不重要) to {SCORE_MAX} (非常重要)."
                )
        sc[item] = v
    return sc.astype(float)


def _weights(scores: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    sums = scores[list(items)].sum(axis=0)
    total = float(sums.sum())
    return pd.DataFrame({
        "score_sum": sums.to_numpy(dtype=float),
        "weight": (sums / total).to_numpy(dtype=float),
    }, index=list(items))


def indicator_weights(indicator_scores: pd.DataFrame, framework: pd.DataFrame) -> pd.DataFrame:
    """Indicator weights within each layer, ``a_j = sum_i a_ij / sum_i sum_{j in layer} a_ij``.

    Parameters
    ----------
    indicator_scores : DataFrame
        Experts x indicators, integer scores 1-5 (see :func:`check_scores`).
    framework : DataFrame
        Indicator -> layer table (see :func:`check_framework`).

    Returns
    -------
    DataFrame
        Columns ``layer``, ``indicator``, ``n_experts``, ``score_sum``, ``weight``; the
        weights of each layer sum to one.

    Raises
    ------
    MethodError
        An indicator scored but absent from the framework (it has no layer), or a framework
        indicator nobody scored.
    """
    fw = check_framework(framework)
    sc = check_scores(indicator_scores, "indicator")
    no_layer = [c for c in sc.columns if c not in set(fw["indicator"])]
    if no_layer:
        raise MethodError(
            f"indicator(s) {no_layer} have scores but no layer in the framework; add them to the "
            "framework table (columns layer, indicator) or drop their score columns."
        )
    unscored = [i for i in fw["indicator"] if i not in sc.columns]
    if unscored:
        raise MethodError(
            f"framework indicator(s) {unscored} have no expert scores; add a score column for "
            "each (or remove them from the framework)."
        )
    parts = []
    for layer in layers_of(fw):
        items = fw.loc[fw["layer"] == layer, "indicator"].tolist()
        w = _weights(sc, items)
        parts.append(pd.DataFrame({
            "layer": layer, "indicator": items, "n_experts": len(sc),
            "score_sum": w["score_sum"].to_numpy(), "weight": w["weight"].to_numpy(),
        }))
    return pd.concat(parts, ignore_index=True)


def layer_weights(layer_scores: pd.DataFrame, framework: pd.DataFrame) -> pd.DataFrame:
    """Layer weights across layers, ``A_l = sum_i a_il / sum_i sum_l a_il``.

    Parameters
    ----------
    layer_scores : DataFrame
        Experts x layers, integer scores 1-5.
    framework : DataFrame
        Indicator -> layer table.

    Returns
    -------
    DataFrame
        Columns ``layer``, ``n_experts``, ``score_sum``, ``weight`` (summing to one).

    Raises
    ------
    MethodError
        A scored layer with no indicator in the framework, or a framework layer nobody scored.
    """
    fw = check_framework(framework)
    sc = check_scores(layer_scores, "layer")
    layers = layers_of(fw)
    empty = [c for c in sc.columns if c not in layers]
    if empty:
        raise MethodError(
            f"layer(s) {empty} have expert scores but no indicator in the framework; give each "
            "layer at least one indicator, or drop its score column."
        )
    unscored = [lay for lay in layers if lay not in sc.columns]
    if unscored:
        raise MethodError(f"layer(s) {unscored} have no expert scores; add a score column for each.")
    w = _weights(sc, layers)
    return pd.DataFrame({
        "layer": layers, "n_experts": len(sc),
        "score_sum": w["score_sum"].to_numpy(), "weight": w["weight"].to_numpy(),
    })


def weights_table(indicator_scores: pd.DataFrame, layer_scores: pd.DataFrame,
                  framework: pd.DataFrame) -> pd.DataFrame:
    """All weights as one tidy table.

    Returns
    -------
    DataFrame
        Columns ``level`` (``"layer"`` or ``"indicator"``), ``layer``, ``indicator`` (empty
        for layer rows), ``n_experts``, ``score_sum``, ``weight`` (within its layer, or across
        layers) and ``composite_weight`` (the weight in the composite: the indicator weight
        times its layer weight; for layers, the layer weight).
    """
    lw = layer_weights(layer_scores, framework)
    iw = indicator_weights(indicator_scores, framework)
    lw_map = dict(zip(lw["layer"], lw["weight"]))
    lay = lw.assign(level="layer", indicator=pd.NA, composite_weight=lw["weight"])
    ind = iw.assign(level="indicator",
                    composite_weight=iw["weight"] * iw["layer"].map(lw_map).astype(float))
    cols = ["level", "layer", "indicator", "n_experts", "score_sum", "weight", "composite_weight"]
    out = pd.concat([lay[cols], ind[cols]], ignore_index=True)
    out["n_experts"] = out["n_experts"].astype("int64")
    return out


# --------------------------------------------------------------------------- normalisation


def _check_raw(raw: pd.DataFrame, keys: Sequence[str], missing: str) -> pd.DataFrame:
    need = [*keys, "period", "indicator", "value"]
    absent = [c for c in need if c not in raw.columns]
    if absent:
        raise MethodError(
            f"the raw indicator table lacks column(s) {absent}; it must be long, with columns "
            f"{need}."
        )
    df = raw[need].copy()
    for k in [*keys, "indicator"]:
        if df[k].isna().any():
            row = int(np.flatnonzero(df[k].isna().to_numpy())[0])
            raise MethodError(f"raw indicator row {row} has no {k}; fill it.")
        df[k] = df[k].astype(str)
    bad_period = ~df["period"].astype(str).map(is_period)
    if bad_period.any():
        p = df["period"][bad_period].iloc[0]
        raise MethodError(f"raw period {p!r} is not a period; write years as '2021', quarters as "
                          "'2021Q1' and months as '2021M01'.")
    df["period"] = df["period"].astype(str)
    value = pd.to_numeric(df["value"], errors="coerce")
    text = value.isna() & df["value"].notna()
    if text.any():
        r = df[text].iloc[0]
        raise MethodError(
            f"raw value {r['value']!r} of {_who(r, keys)}, indicator {r['indicator']!r}, period "
            f"{r['period']} is not a number."
        )
    df["value"] = value.astype(float)
    if missing == "error" and df["value"].isna().any():
        r = df[df["value"].isna()].iloc[0]
        raise MethodError(
            f"{_who(r, keys)} has no value for indicator {r['indicator']!r} in {r['period']}; give "
            "0 if the activity is truly nil, drop the row if the city is not covered, or pass "
            "missing='nan' to leave its layer and composite empty."
        )
    neg = df["value"] < 0
    if neg.any():
        r = df[neg].iloc[0]
        raise MethodError(
            f"{_who(r, keys)} has a negative raw value {r['value']:g} for indicator "
            f"{r['indicator']!r} in {r['period']}; raw indicators are counts or volumes (>= 0)."
        )
    dup = df.duplicated([*keys, "period", "indicator"], keep=False)
    if dup.any():
        r = df[dup].iloc[0]
        raise MethodError(
            f"{_who(r, keys)} has more than one value for indicator {r['indicator']!r} in "
            f"{r['period']}; keep one row per unit, period and indicator."
        )
    return df


def _who(row, keys: Sequence[str]) -> str:
    return ", ".join(f"{k} {row[k]}" for k in keys)


def base_period_of(periods, base_period=None) -> str:
    """The base period of the normalisation for a panel with these periods.

    Parameters
    ----------
    periods : iterable of str
        The panel's periods in normal form (``2021``, ``2021Q1``, ``2021M01``), all of one
        frequency.
    base_period : str, optional
        The user's base period in any form :func:`geodti.periods.parse_period` accepts, months
        kept as months (``"2021"``, ``"2021Q1"``, ``"2021-01"``). ``None``: the report's
        :data:`REPORT_BASE_PERIOD` for a quarterly panel, the earliest period otherwise (the
        report fixes a quarter, which an annual or monthly panel does not have).

    Returns
    -------
    str
        The base period in normal form; it is one of ``periods``.

    Raises
    ------
    MethodError
        Periods of more than one frequency, a base period that is not a period, is of
        another frequency than the panel's, or is not among ``periods``.

    Examples
    --------
    >>> base_period_of(["2012", "2011"]), base_period_of(["2021M02", "2021M01"], "2021-02")
    ('2011', '2021M02')
    """
    present = sort_periods({str(p) for p in periods}, distinct=True)
    if not present:
        raise MethodError("the raw indicator table has no periods; it needs at least the base period.")
    kinds: dict[str, list[str]] = {}
    for p in present:
        kinds.setdefault(period_type(p), []).append(p)
    if len(kinds) > 1:
        listed = "; ".join(f"{k}: {', '.join(ps[:5])}" for k, ps in kinds.items())
        raise MethodError(f"the raw indicators mix frequencies ({listed}); give one frequency "
                          "(or choose one with --frequency).")
    frequency = next(iter(kinds))
    if base_period is None:
        base = REPORT_BASE_PERIOD if frequency == "quarter" else present[0]
    else:
        try:
            base = parse_period(base_period, monthly=True)
        except PeriodError as exc:
            raise MethodError(f"the base period {base_period!r} is not a period: {exc.reason}; "
                              "write e.g. '2021' (annual), '2021Q1' or '2021-01' (monthly).") from None
        if period_type(base) != frequency:
            raise MethodError(
                f"the base period {base_period!r} is a {period_type(base)} period but the raw "
                f"indicators are {frequency} ({present[0]} to {present[-1]}); give a base period "
                f"of the table's frequency, e.g. {present[0]}.")
    if base not in present:
        raise MethodError(
            f"the base period {base} is not in the raw data (periods present: "
            f"{', '.join(present)}); pass base_period= one of them.")
    return base


def normalise(raw: pd.DataFrame, base_period: str | None = None, *, keys: Sequence[str] = ("adcode",),
              total_by: Sequence[str] = ("indicator",), missing: str = "error") -> pd.DataFrame:
    """Divide each value by the national total of its indicator in the base period (x100).

    ``t_cj = 100 * x_cj / sum_c x_cj(base)`` (report, Part 1 §1 "数据标准化"). Cities absent
    from the base period are fine (they are simply not in the total); an indicator with no
    base-period data, or a zero base total, is an error.

    Parameters
    ----------
    raw : DataFrame
        Long table with columns ``keys``, ``period``, ``indicator``, ``value`` (>= 0).
    base_period : str, optional
        The base period, of the panel's frequency (:func:`base_period_of`; default
        ``"2021Q1"`` for quarters, the earliest period for years and months).
    keys : sequence of str
        Unit key columns (``("adcode",)`` for cities; ``("adcode", "industry")`` for the
        industry dimension).
    total_by : sequence of str
        Columns whose combinations get their own base total (``("indicator",)``; for industry
        indices ``("industry", "indicator")``).
    missing : {"error", "nan"}
        NaN raw values raise by default; with ``"nan"`` they stay NaN.

    Returns
    -------
    DataFrame
        ``keys``, ``period``, ``indicator``, ``value`` (raw), ``base_total``, ``normalised``
        (per cent of the base total), sorted by keys, period, indicator.
    """
    if missing not in ("error", "nan"):
        raise MethodError(f"missing must be 'error' or 'nan', not {missing!r}.")
    df = _check_raw(raw, keys, missing)
    base_period = base_period_of(df["period"].unique(), base_period)
    total_by = list(total_by)
    base = df[df["period"] == base_period]
    totals = base.groupby(total_by, sort=True)["value"].sum(min_count=1)
    combos = df[total_by].drop_duplicates()
    for combo in combos.itertuples(index=False):
        key = tuple(combo) if len(total_by) > 1 else combo[0]
        label = ", ".join(f"{c} {v!r}" for c, v in zip(total_by, tuple(combo)))
        if key not in totals.index or pd.isna(totals.loc[key]):
            raise MethodError(
                f"{label} has no data in the base period {base_period}; normalisation divides by "
                "the base-period national total, so give its base-period values or drop it."
            )
        if totals.loc[key] == 0:
            raise MethodError(
                f"{label} sums to zero over all units in the base period {base_period}; the "
                "normalised index (value / base total) is undefined. Check the raw data."
            )
    tot = totals.rename("base_total").reset_index()
    out = df.merge(tot, on=total_by, how="left", validate="many_to_one")
    out["normalised"] = 100.0 * out["value"] / out["base_total"]
    order = [*keys, "period", "indicator"]
    out["_q"] = out["period"].map(period_number)  # one frequency (base_period_of)
    out = out.sort_values([*keys, "_q", "indicator"], kind="mergesort").drop(columns="_q")
    return out[[*order, "value", "base_total", "normalised"]].reset_index(drop=True)


# --------------------------------------------------------------------------- aggregation


def _weighted(norm: pd.DataFrame, weights: pd.Series, keys: Sequence[str], group_of: pd.Series,
              groups: Sequence[str], missing: str) -> pd.DataFrame:
    """Weighted sum of normalised indicators into groups (layers), wide by group."""
    df = norm.copy()
    df["group"] = df["indicator"].map(group_of)
    df["w"] = df["indicator"].map(weights).astype(float)
    df["wt"] = df["w"] * df["normalised"]
    idx = [*keys, "period"]
    out = df.groupby([*idx, "group"], sort=False)["wt"].sum(min_count=1).unstack("group")
    # Completeness: a unit-period must carry every indicator of a group with a value.
    need = group_of.groupby(group_of).size()
    have = df.dropna(subset=["normalised"]).groupby([*idx, "group"]).size().unstack("group")
    have = have.reindex(index=out.index, columns=out.columns).fillna(0)
    short = have < need.reindex(out.columns).to_numpy()
    if short.to_numpy().any():
        if missing == "error":
            pos = np.argwhere(short.to_numpy())[0]
            unit = out.index[pos[0]]
            grp = out.columns[pos[1]]
            unit_keys = dict(zip(idx, unit if isinstance(unit, tuple) else (unit,)))
            sel = np.ones(len(df), dtype=bool)
            for k, v in unit_keys.items():
                sel &= (df[k] == v).to_numpy()
            present = set(df.loc[sel & df["normalised"].notna().to_numpy(), "indicator"])
            lacking = [i for i in group_of.index if group_of[i] == grp and i not in present]
            who = ", ".join(f"{k} {v}" for k, v in unit_keys.items())
            raise MethodError(
                f"{who} lacks indicator(s) {lacking} of {grp!r}; the weighted average needs "
                "every indicator. Give 0 where the activity is nil, or pass missing='nan'."
            )
        out = out.mask(short)
    out = out.reindex(columns=list(groups))
    return out


def build_index(raw: pd.DataFrame, framework: pd.DataFrame, indicator_scores: pd.DataFrame,
                layer_scores: pd.DataFrame, base_period: str | None = None, *,
                composite: str = "dti", missing: str = "error") -> IndexResult:
    """Build the layer indices and the composite index from raw indicators.

    Parameters
    ----------
    raw : DataFrame
        Long raw indicators: ``adcode``, ``period`` (one frequency: ``"2021"``, ``"2021Q1"``
        or ``"2021M01"``), ``indicator``, ``value``.
    framework : DataFrame
        Indicator -> layer map (default: :func:`geodti.index.framework.dti_framework`).
    indicator_scores : DataFrame
        Experts x indicators, integer scores 1-5.
    layer_scores : DataFrame
        Experts x layers, integer scores 1-5.
    base_period : str, optional
        Base period of the normalisation, of the panel's frequency (:func:`base_period_of`;
        default ``"2021Q1"`` for quarters, the earliest period for years and months).
    composite : str
        Name of the composite column (default ``"dti"``).
    missing : {"error", "nan"}
        What a missing raw value or indicator does: raise (default), or leave the affected
        layer and the composite NaN.

    Returns
    -------
    IndexResult
        ``panel``: ``adcode``, ``period``, one column per layer, ``composite`` (per cent of
        the national base-period total; each sums to 100 over the cities in the base period);
        ``weights`` (:func:`weights_table`); ``indicators`` (:func:`normalise`).

    Raises
    ------
    MethodError
        See :func:`check_framework`, :func:`check_scores`, :func:`indicator_weights`,
        :func:`layer_weights` and :func:`normalise`; also a raw indicator with no layer and a
        framework indicator with no raw data.
    """
    fw = check_framework(framework, composite)
    weights = weights_table(indicator_scores, layer_scores, fw)
    raw_ind = set(raw["indicator"].dropna().astype(str)) if "indicator" in raw.columns else set()
    no_layer = sorted(raw_ind - set(fw["indicator"]))
    if no_layer:
        raise MethodError(
            f"raw indicator(s) {no_layer} have no layer in the framework; add them to the "
            "framework table or drop their rows."
        )
    no_data = [i for i in fw["indicator"] if i not in raw_ind]
    if no_data:
        raise MethodError(
            f"framework indicator(s) {no_data} have no raw data; give their values or remove "
            "them from the framework (and from the scores)."
        )
    norm = normalise(raw, base_period, keys=("adcode",), missing=missing)
    iw = weights[weights["level"] == "indicator"].set_index("indicator")
    layers = layers_of(fw)
    wide = _weighted(norm, iw["weight"], ("adcode",), fw.set_index("indicator")["layer"],
                     layers, missing)
    lw = weights[weights["level"] == "layer"].set_index("layer")["weight"].reindex(layers)
    # Composite = weighted average of layers; NaN if any layer is NaN (never a partial sum).
    wide[composite] = (wide[layers] * lw.to_numpy()).sum(axis=1, min_count=len(layers))
    wide.loc[wide[layers].isna().any(axis=1), composite] = np.nan
    panel = _tidy_wide(wide, ("adcode",), [*layers, composite])
    return IndexResult(panel=panel, weights=weights, indicators=norm)


def _tidy_wide(wide: pd.DataFrame, keys: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    panel = wide.reset_index()
    panel.columns.name = None
    panel["_q"] = panel["period"].map(period_number)
    panel = panel.sort_values([*keys, "_q"], kind="mergesort").drop(columns="_q")
    return panel[[*keys, "period", *columns]].reset_index(drop=True)


def build_industry_index(raw: pd.DataFrame, indicator_scores: pd.DataFrame,
                         base_period: str | None = None, *, unit: str = "adcode",
                         normalise_by: str = "all", prefix: str = "industry_",
                         missing: str = "error") -> IndexResult:
    """Industry indices (unit x industry x period) from the report's key indicators.

    The report measures industries with three key indicators (cloud, AI, agile R&D; Part 1
    §1, "指数测算的2个主要视角和3个关键指标"). Each is normalised by a base-period national
    total and the industry index is their expert-weighted average, the weights
    ``a_j = sum_i a_ij / sum_i sum_j a_ij`` taken over the scored indicators.

    Parameters
    ----------
    raw : DataFrame
        Long: ``unit``, ``industry``, ``period``, ``indicator``, ``value``.
    indicator_scores : DataFrame
        Experts x indicators (the industry indicators), integer scores 1-5.
    base_period : str, optional
        Base period, as in :func:`build_index`.
    unit : str
        Unit column: ``"adcode"`` (cities) or e.g. ``"province"``.
    normalise_by : {"industry", "all"}
        ``"all"`` (default, the report's reading): divide by the national base total over
        all industries, so industries are comparable in size and all industries of all units
        sum to 100 in the base period (needed for statements like "金融业指数规模位居第一 ...
        增速排名第三"). ``"industry"``: divide by each industry's own national base total, so
        each industry sums to 100 over units in the base period and an industry index
        measures a unit's share of that industry nationally.
    prefix : str
        Column prefix of the industry columns in the wide panel.
    missing : {"error", "nan"}
        As in :func:`build_index`.

    Returns
    -------
    IndexResult
        ``panel``: ``unit``, ``period``, ``{prefix}{industry}`` columns; ``weights``: tidy
        (``level`` = ``"indicator"``); ``indicators``: the normalised long table.
    """
    if normalise_by not in ("industry", "all"):
        raise MethodError(f"normalise_by must be 'industry' or 'all', not {normalise_by!r}.")
    if "industry" not in raw.columns:
        raise MethodError("the raw industry table lacks column 'industry'.")
    sc = check_scores(indicator_scores, "indicator")
    raw_ind = set(raw["indicator"].dropna().astype(str)) if "indicator" in raw.columns else set()
    no_score = sorted(raw_ind - set(sc.columns))
    if no_score:
        raise MethodError(
            f"raw industry indicator(s) {no_score} have no expert scores; add score columns or "
            "drop their rows."
        )
    no_data = [c for c in sc.columns if c not in raw_ind]
    if no_data:
        raise MethodError(f"scored indicator(s) {no_data} have no raw industry data.")
    items = list(sc.columns)
    w = _weights(sc, items)
    weights = pd.DataFrame({
        "level": "indicator", "layer": pd.NA, "indicator": items, "n_experts": len(sc),
        "score_sum": w["score_sum"].to_numpy(), "weight": w["weight"].to_numpy(),
        "composite_weight": w["weight"].to_numpy(),
    })
    total_by = ("industry", "indicator") if normalise_by == "industry" else ("indicator",)
    norm = normalise(raw, base_period, keys=(unit, "industry"), total_by=total_by,
                     missing=missing)
    # Every industry of every unit is a "group" whose members are all the indicators.
    norm2 = norm.assign(_g=norm["industry"])
    frames = []
    for industry, part in norm2.groupby("_g", sort=True):
        group_of = pd.Series(industry, index=items)
        wide = _weighted(part.drop(columns=["_g"]), w["weight"], (unit, "industry"), group_of,
                         [industry], missing)
        frames.append(wide.reset_index(level="industry", drop=True)
                      .rename(columns={industry: f"{prefix}{industry}"}))
    wide = pd.concat(frames, axis=1).sort_index(axis=1)
    wide.index.names = [unit, "period"]
    if missing == "error" and wide.isna().to_numpy().any():
        pos = np.argwhere(wide.isna().to_numpy())[0]
        u, p = wide.index[pos[0]]
        raise MethodError(
            f"{unit} {u} has no data for {wide.columns[pos[1]]!r} in {p} while it has other "
            "industries; give its values (0 if nil) or pass missing='nan'."
        )
    cols = list(wide.columns)
    panel = _tidy_wide(wide, (unit,), cols)
    return IndexResult(panel=panel, weights=weights, indicators=norm)
