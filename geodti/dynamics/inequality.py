"""Inequality of the index across units: Dagum's Gini decomposition and Theil's T.

Dagum (1997) decomposes the Gini ratio of a population split into ``k`` groups into
within-group inequality ``G_w``, the net between-group contribution ``G_nb`` and the
transvariation ``G_t`` (the overlap of the groups' distributions), ``G = G_w + G_nb + G_t``.
No maintained Python package implements it, so it is written here from the paper:

    Dagum, C. (1997). A new approach to the decomposition of the Gini income inequality
    ratio. Empirical Economics 22, 515-531.

With ``n`` units, mean ``m``; group ``j`` with ``n_j`` units, mean ``m_j``, population share
``p_j = n_j / n`` and index share ``s_j = n_j m_j / (n m)``:

* ``G = sum_i sum_r |y_i - y_r| / (2 n^2 m)``  (the mean-difference Gini)
* ``G_jj = sum_i sum_r |y_ji - y_jr| / (2 n_j^2 m_j)``  (within group j)
* ``G_jh = sum_i sum_r |y_ji - y_hr| / (n_j n_h (m_j + m_h))``  (between j and h)
* ``G_w = sum_j G_jj p_j s_j``
* ``G_gb = sum_{j=2..k} sum_{h<j} G_jh (p_j s_h + p_h s_j)``  (gross between)
* with ``m_j >= m_h``: ``d_jh = sum_i sum_r max(y_ji - y_hr, 0) / (n_j n_h)`` (the
  gross economic affluence) and ``p_jh = sum_i sum_r max(y_hr - y_ji, 0) / (n_j n_h)`` (the
  transvariation's first moment); ``D_jh = (d_jh - p_jh) / (d_jh + p_jh)`` in [0, 1]
* ``G_nb = sum G_jh (p_j s_h + p_h s_j) D_jh`` and ``G_t = sum G_jh (p_j s_h + p_h s_j)
  (1 - D_jh)``, so ``G_gb = G_nb + G_t``.

Theil's T (Theil 1967) and its between/within decomposition use the ``inequality`` package
(``inequality.theil.TheilD``): ``T = (1/n) sum_i (y_i/m) ln(y_i/m)``, ``T_between =
sum_j s_j ln(m_j / m)``, ``T_within = sum_j s_j T_j``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodti.errors import MethodError

from ._common import membership, partition, sorted_periods, variable_panel

__all__ = ["gini", "dagum_decomposition", "dagum_gini", "theil"]


def gini(values) -> float:
    """The mean-difference Gini ratio ``sum_i sum_r |y_i - y_r| / (2 n^2 m)``."""
    y = np.asarray(values, float)
    if len(y) == 0 or y.mean() <= 0:
        raise MethodError("the Gini ratio needs values with a positive mean.")
    return float(np.abs(y[:, None] - y[None, :]).sum() / (2 * len(y) ** 2 * y.mean()))


def dagum_decomposition(values, labels) -> dict:
    """Dagum's decomposition of one cross-section.

    Parameters
    ----------
    values : array-like
        Non-negative values (e.g. each city's index), at least one positive.
    labels : array-like
        The group of each value (a partition: one group per value).

    Returns
    -------
    dict of DataFrame
        ``"components"`` (one row): ``n, k, gini, G_w, G_nb, G_t`` and their shares of ``G``
        (``share_w``, ``share_nb``, ``share_t``), ``G_gb``. ``"groups"``: ``group, n, mean,
        p, s, G_jj``. ``"pairs"``: ``group_j`` (the higher mean), ``group_h``, ``G_jh,
        d_jh, p_jh, D_jh, weight`` (``p_j s_h + p_h s_j``), ``nb``, ``t`` (the pair's
        contributions to ``G_nb`` and ``G_t``).
    """
    y = np.asarray(values, float)
    lab = np.asarray(labels, dtype=object)
    if y.shape != lab.shape or y.ndim != 1:
        raise MethodError("values and labels must be one-dimensional and of the same length.")
    if np.isnan(y).any() or (y < 0).any():
        raise MethodError("Dagum's decomposition needs non-negative values without NaN.")
    n, m = len(y), y.mean()
    if not m > 0:
        raise MethodError("Dagum's decomposition needs a positive mean.")
    names = sorted(pd.unique(lab), key=str)
    parts = {g: y[lab == g] for g in names}
    grp = []
    for g in names:
        v = parts[g]
        mj = v.mean()
        gjj = np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * mj) if mj > 0 else 0.0
        grp.append({"group": g, "n": len(v), "mean": mj, "p": len(v) / n,
                    "s": len(v) * mj / (n * m), "G_jj": gjj})
    groups = pd.DataFrame(grp)
    info = groups.set_index("group")
    pairs = []
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            j, h = names[a], names[b]
            if info.at[h, "mean"] > info.at[j, "mean"]:
                j, h = h, j  # j has the higher mean
            vj, vh = parts[j], parts[h]
            diff = vj[:, None] - vh[None, :]
            nn = len(vj) * len(vh)
            d_jh = np.clip(diff, 0, None).sum() / nn
            p_jh = np.clip(-diff, 0, None).sum() / nn
            g_jh = np.abs(diff).sum() / (nn * (info.at[j, "mean"] + info.at[h, "mean"]))
            D = (d_jh - p_jh) / (d_jh + p_jh) if d_jh + p_jh > 0 else 0.0
            wgt = info.at[j, "p"] * info.at[h, "s"] + info.at[h, "p"] * info.at[j, "s"]
            pairs.append({"group_j": j, "group_h": h, "G_jh": g_jh, "d_jh": d_jh, "p_jh": p_jh,
                          "D_jh": D, "weight": wgt, "nb": g_jh * wgt * D,
                          "t": g_jh * wgt * (1 - D)})
    pairs = pd.DataFrame(pairs, columns=["group_j", "group_h", "G_jh", "d_jh", "p_jh", "D_jh",
                                         "weight", "nb", "t"])
    g = gini(y)
    gw = float((groups["G_jj"] * groups["p"] * groups["s"]).sum())
    gnb, gt = float(pairs["nb"].sum()), float(pairs["t"].sum())
    comp = pd.DataFrame([{"n": n, "k": len(names), "gini": g, "G_w": gw, "G_nb": gnb,
                          "G_t": gt, "G_gb": gnb + gt, "share_w": gw / g if g else np.nan,
                          "share_nb": gnb / g if g else np.nan,
                          "share_t": gt / g if g else np.nan,
                          "identity_gap": g - (gw + gnb + gt)}])
    return {"components": comp, "groups": groups, "pairs": pairs}


def _partitioned(panel, variable, by, groups, overlap, outside):
    df = variable_panel(panel, variable).dropna(subset=[variable])
    units = df["adcode"].unique()
    part, notes = partition(membership(by, groups, adcodes=units), units, overlap=overlap,
                            outside=outside)
    df = df[df["adcode"].isin(part.index)].copy()
    df["group"] = df["adcode"].map(part)
    return df, notes


def dagum_gini(panel: pd.DataFrame, variable: str = "dti", *, by: str = "region",
               groups: pd.DataFrame | None = None, overlap: str = "smaller",
               outside: str | None = "其他") -> dict:
    """Dagum's Gini decomposition per period.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency (annual, quarterly or monthly).
    variable : str
        Index column (non-negative).
    by : str
        Grouping: ``region`` (default), ``agglomeration``, ``hu_line``, ``province``,
        ``longitude_band`` ... or a column of ``groups``.
    groups : DataFrame, optional
        ``adcode`` and the ``by`` column.
    overlap : {"smaller", "exclude", "error"}
        A unit in two groups (邯郸, 邢台, 运城 in the bundled agglomerations): assigned to the
        smaller group (default; gives the report's member counts, 中原 27), left out, or an
        error.
    outside : str or None
        Units in no group form the group ``outside`` (default "其他", so that ``G`` is the
        Gini of the whole panel); None leaves them out.

    Returns
    -------
    dict of DataFrame
        ``"components"``, ``"groups"``, ``"pairs"`` of :func:`dagum_decomposition` with
        ``by, period, variable`` in front. ``attrs["notes"]`` of each table says how
        overlaps and units outside every group were handled.
    """
    df, notes = _partitioned(panel, variable, by, groups, overlap, outside)
    out = {"components": [], "groups": [], "pairs": []}
    for p in sorted_periods(df["period"]):
        part = df[df["period"] == p]
        res = dagum_decomposition(part[variable].to_numpy(), part["group"].to_numpy())
        for name, table in res.items():
            t = table.copy()
            t.insert(0, "variable", variable)
            t.insert(0, "period", p)
            t.insert(0, "by", by)
            out[name].append(t)
    result = {name: pd.concat(frames, ignore_index=True) for name, frames in out.items()}
    for t in result.values():
        t.attrs["notes"] = notes
    return result


def theil(panel: pd.DataFrame, variable: str = "dti", *, by: str = "region",
          groups: pd.DataFrame | None = None, overlap: str = "smaller",
          outside: str | None = "其他") -> pd.DataFrame:
    """Theil's T with its between / within decomposition per period (inequality.theil.TheilD).

    Parameters are those of :func:`dagum_gini`; values must be positive.

    Returns
    -------
    DataFrame
        ``by, period, variable, n, k, theil, between, within, share_between,
        share_within``.
    """
    from inequality.theil import TheilD

    df, notes = _partitioned(panel, variable, by, groups, overlap, outside)
    if (df[variable] <= 0).any():
        r = df[df[variable] <= 0].iloc[0]
        raise MethodError(f"{variable!r} of unit {r['adcode']} in {r['period']} is not positive; "
                          "Theil's T takes logarithms.")
    rows = []
    for p in sorted_periods(df["period"]):
        part = df[df["period"] == p]
        t = TheilD(part[variable].to_numpy(float), part["group"].to_numpy())
        total, bg = float(np.ravel(t.T)[0]), float(np.ravel(t.bg)[0])
        rows.append({"by": by, "period": p, "variable": variable, "n": len(part),
                     "k": part["group"].nunique(), "theil": total, "between": bg,
                     "within": total - bg, "share_between": bg / total,
                     "share_within": (total - bg) / total})
    out = pd.DataFrame(rows)
    out.attrs["notes"] = notes
    return out
