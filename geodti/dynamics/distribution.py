"""Distribution dynamics: Markov chains of city classes (classic, spatial, LISA) with giddy,
and kernel densities of the index distribution per period.

Classes are quantiles of each period's cross-section (``k = 5``: quintiles; class 1 is the
lowest fifth), so a transition is a move in relative position, not in level; this is
giddy's ``Spatial_Markov(fixed=False)`` classification (mapclassify.Quantiles per period),
used for the classic chain too so that the two agree. Transitions are counted between
periods ``step`` periods apart (default 1: consecutive periods) at the panel's frequency:
a transition spans a quarter, a month or a year, which every table states
(``transition_length``: ``"1 quarter"``, ``"1 month"``, ``"1 year"``).

Sources: Quah (1993, 1996) for distribution dynamics; Rey (2001) "Spatial analysis of
regional income inequality" for the spatial Markov chain; Bickenbach & Bode (2003) for the
homogeneity tests (Q, LR); Rey, Kang & Wolf (2016) for the LISA Markov chain and its chi2
test of independence between a unit's and its neighbours' moves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodti.errors import MethodError
from geodti.schema import frequency_of

from ._common import NATIONAL, membership, resolve_weights, variable_panel, wide

__all__ = ["quantile_classes", "transition_length", "markov", "spatial_markov", "lisa_markov", "kernel_density",
           "QUADRANTS"]

#: giddy / esda quadrant codes of the LISA Markov chain.
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


_UNIT = {"annual": "year", "quarter": "quarter", "month": "month"}


def transition_length(periods, step: int) -> str:
    """What one transition spans, in words: ``"1 quarter"``, ``"2 years"``, ``"1 month"``."""
    frequency = frequency_of(pd.DataFrame({"period": list(periods)}))
    return f"{step} {_UNIT[frequency]}{'s' if step != 1 else ''}"


def _matrix(panel, variable, step, drop_incomplete):
    mat = wide(panel, variable, drop_incomplete=drop_incomplete)
    if not (isinstance(step, int) and step >= 1):
        raise MethodError(f"step={step!r}: give a positive whole number of periods.")
    cols = list(mat.columns)[::step]
    if len(cols) < 2:
        raise MethodError(f"the panel has {mat.shape[1]} periods; transitions "
                          f"{transition_length(mat.columns, step)} apart need at least two of them.")
    return mat[cols]


def quantile_classes(values: np.ndarray, k: int = 5) -> np.ndarray:
    """Quantile class (0 = lowest) of each unit in each column (period), as giddy does with
    ``fixed=False`` (mapclassify.Quantiles per period)."""
    import mapclassify as mc

    values = np.asarray(values, float)
    return np.column_stack([mc.Quantiles(values[:, j], k=k).yb for j in range(values.shape[1])])


def _transition_rows(table, condition, counts, probs, labels=None):
    k = counts.shape[0]
    rows = []
    for i in range(k):
        for j in range(k):
            rows.append({"table": table, "condition": condition,
                         "from_class": labels[i] if labels else i + 1,
                         "to_class": labels[j] if labels else j + 1,
                         "count": int(counts[i, j]), "probability": float(probs[i, j])})
    return rows


def _steady_rows(table, condition, p, labels=None):
    s, note = _steady(np.asarray(p, float))
    return [{"table": table, "condition": condition, "class": labels[i] if labels else i + 1,
             "probability": float(v), "note": note} for i, v in enumerate(s)]


def _steady(p):
    """The steady state of a transition matrix, or NaN with a note when it is not unique
    (a reducible chain with several recurrent classes, common with few transitions)."""
    from giddy.ergodic import steady_state

    k = p.shape[0]
    empty = np.isclose(p.sum(axis=1), 0)
    if empty.any():
        return np.full(k, np.nan), f"undefined: no transitions from {int(empty.sum())} class(es)"
    with np.errstate(all="ignore"):
        s = np.asarray(steady_state(p), float)
    if s.ndim == 2:
        if s.shape[0] != 1:
            return np.full(k, np.nan), f"not unique: {s.shape[0]} recurrent classes"
        s = s[0]
    return s, "unique"


def _meta(out: dict, **meta) -> dict:
    for name, table in out.items():
        for key, value in meta.items():
            table[key] = value
    return out


def markov(panel: pd.DataFrame, variable: str = "dti", *, k: int = 5, step: int = 1,
           drop_incomplete: bool = False, temporal_test: bool = True) -> dict:
    """Classic Markov chain of quantile classes (giddy.markov.Markov).

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency (annual, quarterly or monthly), balanced.
    variable : str
        Index column.
    k : int
        Number of quantile classes per period (5: quintiles).
    step : int
        Periods (of the panel's frequency) between the two periods of a transition.
    temporal_test : bool
        Test whether the transition probabilities of the first and second half of the
        transitions are the same (giddy.markov.homogeneity, Bickenbach & Bode 2003).

    Returns
    -------
    dict of DataFrame
        ``"transitions"``: ``table, condition, from_class, to_class, count, probability``;
        ``"steady_state"``: ``table, condition, class, probability``; ``"tests"``: ``table,
        test, statistic, dof, p_value``. Every table also has ``variable, k, step,
        n_units, n_transitions``.
    """
    from giddy.markov import Markov, homogeneity

    mat = _matrix(panel, variable, step, drop_incomplete)
    classes = quantile_classes(mat.to_numpy(), k)
    m = Markov(classes, classes=np.arange(k), summary=False)
    trans = pd.DataFrame(_transition_rows("markov", "all", m.transitions, m.p))
    steady = pd.DataFrame(_steady_rows("markov", "all", m.p))
    tests = []
    n_t = classes.shape[1] - 1
    if temporal_test and n_t >= 2:
        half = n_t // 2
        mats = []
        for cols in (range(0, half), range(half, n_t)):
            t = np.zeros((k, k))
            for c in cols:
                np.add.at(t, (classes[:, c], classes[:, c + 1]), 1)
            mats.append(t)
        h = homogeneity(mats, regime_names=["first half", "second half"])
        tests += [{"table": "markov", "test": "temporal homogeneity Q (first vs second half)",
                   "statistic": float(h.Q), "dof": float(h.dof), "p_value": float(h.Q_p_value)},
                  {"table": "markov", "test": "temporal homogeneity LR (first vs second half)",
                   "statistic": float(h.LR), "dof": float(h.dof), "p_value": float(h.LR_p_value)}]
    tests = pd.DataFrame(tests, columns=["table", "test", "statistic", "dof", "p_value"])
    out = {"transitions": trans, "steady_state": steady, "tests": tests}
    return _meta(out, variable=variable, k=k, step=step,
                 transition_length=transition_length(mat.columns, step), n_units=mat.shape[0],
                 n_transitions=int(m.transitions.sum()))


def spatial_markov(panel: pd.DataFrame, variable: str = "dti", *, k: int = 5, weights=None,
                   step: int = 1, points: pd.DataFrame | None = None,
                   drop_incomplete: bool = False) -> dict:
    """Spatial Markov chain: transitions conditioned on the neighbours' class
    (giddy.markov.Spatial_Markov, per-period quantiles of the value and of its spatial lag).

    Parameters
    ----------
    panel, variable, k, step, drop_incomplete
        As in :func:`markov`.
    weights : libpysal Graph, geodti weights or None
        Row-standardised here; default 6 nearest neighbours (Albers plane).

    Returns
    -------
    dict of DataFrame
        ``"transitions"`` and ``"steady_state"`` with ``condition`` = ``"all"`` (the pooled
        chain) or ``"neighbours class c"``; ``"tests"``: the Bickenbach-Bode Q and LR tests
        of spatial homogeneity, Rey's chi2 of each conditional matrix against the pooled one
        and their sum (giddy's ``x2``). Every table also has ``variable, k, step, n_units,
        n_transitions, weights``.
    """
    from giddy.markov import Spatial_Markov

    mat = _matrix(panel, variable, step, drop_incomplete)
    graph, ids, label = resolve_weights(weights, mat.index, points=points)
    mat = mat.loc[ids]
    w = graph.transform("R").to_W()
    sm = Spatial_Markov(mat.to_numpy(float), w, k=k, m=k, fixed=False)
    rows = _transition_rows("spatial_markov", "all", sm.transitions, sm.p)
    steady = _steady_rows("spatial_markov", "all", sm.p)
    for c in range(sm.m):
        cond = f"neighbours class {c + 1}"
        rows += _transition_rows("spatial_markov", cond, sm.T[c], sm.P[c])
        steady += _steady_rows("spatial_markov", cond, sm.P[c])
    tests = [
        {"table": "spatial_markov", "test": "spatial homogeneity Q (Bickenbach-Bode)",
         "statistic": float(sm.Q), "dof": float(sm.dof_hom), "p_value": float(sm.Q_p_value)},
        {"table": "spatial_markov", "test": "spatial homogeneity LR (Bickenbach-Bode)",
         "statistic": float(sm.LR), "dof": float(sm.dof_hom), "p_value": float(sm.LR_p_value)},
        {"table": "spatial_markov", "test": "chi2 sum over conditions (Rey)",
         "statistic": float(sm.x2), "dof": float(sm.x2_dof), "p_value": float(sm.x2_pvalue)},
    ]
    for c, (chi, p, dof) in enumerate(sm.chi2):
        tests.append({"table": "spatial_markov",
                      "test": f"chi2 neighbours class {c + 1} vs pooled",
                      "statistic": float(chi), "dof": float(dof), "p_value": float(p)})
    out = {"transitions": pd.DataFrame(rows), "steady_state": pd.DataFrame(steady),
           "tests": pd.DataFrame(tests)}
    return _meta(out, variable=variable, k=k, step=step,
                 transition_length=transition_length(mat.columns, step), n_units=mat.shape[0],
                 n_transitions=int(sm.transitions.sum()), weights=label)


def lisa_markov(panel: pd.DataFrame, variable: str = "dti", *, weights=None, step: int = 1,
                points: pd.DataFrame | None = None, drop_incomplete: bool = False) -> dict:
    """Markov chain of LISA quadrants HH / LH / LL / HL (giddy.markov.LISA_Markov).

    The quadrant of a unit is the sign of its standardised value and of its neighbours'
    average (Moran scatterplot), per period; significance is not used (``permutations=0``,
    so the result is deterministic). The chi2 test (Rey, Kang & Wolf 2016) asks whether a
    unit's moves are independent of its neighbours' moves.

    Returns
    -------
    dict of DataFrame
        ``"transitions"`` (``from_class``/``to_class`` are HH, LH, LL, HL),
        ``"steady_state"``, ``"tests"`` (the chi2 of independence). Tables also carry
        ``variable, step, n_units, n_transitions, weights``.
    """
    from giddy.markov import LISA_Markov

    mat = _matrix(panel, variable, step, drop_incomplete)
    graph, ids, label = resolve_weights(weights, mat.index, points=points)
    mat = mat.loc[ids]
    w = graph.transform("R").to_W()
    lm = LISA_Markov(mat.to_numpy(float), w, permutations=0)
    labels = [QUADRANTS[c] for c in (1, 2, 3, 4)]
    trans = pd.DataFrame(_transition_rows("lisa_markov", "all", lm.transitions, lm.p, labels))
    steady = pd.DataFrame(_steady_rows("lisa_markov", "all", lm.p, labels))
    chi, p, dof = lm.chi_2
    tests = pd.DataFrame([{"table": "lisa_markov",
                           "test": "chi2 independence of own and neighbours' moves",
                           "statistic": float(chi), "dof": float(dof), "p_value": float(p)}])
    out = {"transitions": trans, "steady_state": steady, "tests": tests}
    return _meta(out, variable=variable, step=step,
                 transition_length=transition_length(mat.columns, step), n_units=mat.shape[0],
                 n_transitions=int(lm.transitions.sum()), weights=label)


def kernel_density(panel: pd.DataFrame, variable: str = "dti", *, by: str | None = None,
                   groups: pd.DataFrame | None = None, scale: str = "log",
                   bandwidth: str | float = "scott", grid: int = 200) -> pd.DataFrame:
    """Gaussian kernel density of the cross-section per period (and group), for plotting.

    Parameters
    ----------
    panel, variable
        Tidy panel and index column.
    by, groups
        Also per group (``region``, ``agglomeration``, ... or a column of ``groups``).
    scale : {"log", "level", "relative"}
        ``x`` is ``ln I`` (default; the index is strongly right-skewed), ``I``, or ``I`` /
        the period's mean.
    bandwidth : {"scott", "silverman"} or float
        scipy.stats.gaussian_kde's ``bw_method``: Scott's rule ``n^(-1/5)`` (default),
        Silverman's ``(n (d + 2) / 4)^(-1/(d + 4))``, or a fixed factor; the kernel's standard
        deviation is that factor times the sample standard deviation (column
        ``bandwidth``).
    grid : int
        Points of the common ``x`` grid (shared by all periods and groups of the table:
        from the smallest value minus three bandwidths to the largest plus three).

    Returns
    -------
    DataFrame
        ``by, group, period, variable, scale, x, density, n, bandwidth_rule, bandwidth``.
        Groups with fewer than 3 units or no spread are left out (listed in
        ``attrs["skipped"]``).
    """
    from scipy.stats import gaussian_kde

    if scale not in ("log", "level", "relative"):
        raise MethodError(f"scale={scale!r}: use 'log', 'level' or 'relative'.")
    df = variable_panel(panel, variable).dropna(subset=[variable])
    if scale == "log":
        if (df[variable] <= 0).any():
            r = df[df[variable] <= 0].iloc[0]
            raise MethodError(f"{variable!r} of unit {r['adcode']} in {r['period']} is not positive; "
                              "use scale='level' or 'relative'.")
        df["x"] = np.log(df[variable])
    elif scale == "relative":
        df["x"] = df[variable] / df.groupby("period")[variable].transform("mean")
    else:
        df["x"] = df[variable]
    parts = [df.assign(group=NATIONAL)]
    if by is not None:
        member = membership(by, groups, adcodes=df["adcode"].unique())
        parts.append(df.merge(member[["adcode", "group"]], on="adcode"))
    long = pd.concat(parts, ignore_index=True)
    fits, skipped = [], []
    from ._common import sorted_periods

    order = {p: i for i, p in enumerate(sorted_periods(long["period"]))}
    for (group, period), part in sorted(long.groupby(["group", "period"]),
                                        key=lambda kv: (kv[0][0] != NATIONAL, kv[0][0], order[kv[0][1]])):
        v = part["x"].to_numpy(float)
        if len(v) < 3 or np.ptp(v) == 0:
            skipped.append(f"{group} {period} ({len(v)} units)")
            continue
        kde = gaussian_kde(v, bw_method=bandwidth)
        fits.append((group, period, kde, len(v), float(kde.factor * v.std(ddof=1)), v.min(), v.max()))
    if not fits:
        raise MethodError("no period or group has 3 or more units with different values.")
    h = max(f[4] for f in fits)
    xs = np.linspace(min(f[5] for f in fits) - 3 * h, max(f[6] for f in fits) + 3 * h, grid)
    frames = []
    for group, period, kde, n, bw, _, _ in fits:
        frames.append(pd.DataFrame({"group": group, "period": period, "x": xs,
                                    "density": kde(xs), "n": n, "bandwidth": bw}))
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "by", by or "national")
    out["variable"] = variable
    out["scale"] = scale
    out["bandwidth_rule"] = bandwidth if isinstance(bandwidth, str) else f"factor {bandwidth:g}"
    out = out[["by", "group", "period", "variable", "scale", "x", "density", "n",
               "bandwidth_rule", "bandwidth"]]
    out.attrs["skipped"] = skipped
    return out
