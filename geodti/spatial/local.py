"""Local spatial statistics of a whole panel: LISA, Gi* and local Geary, ready for maps.

:func:`local_statistics` returns one tidy row per unit x period x variable x
statistic x weights, computed from one set of conditional-randomisation draws shared
by every period, variable, statistic and weights matrix.

Columns
-------
``adcode, period, variable, weights, statistic, value, quadrant, z_sim, p_sim,
p_fdr, p_bonferroni, p_adjusted, sig_none, sig_fdr, sig_bonferroni, cluster, correction, alpha,
z_analytic, p_analytic, neighbours, inference, alternative, permutations, seed, note``

The statistics columns (``value, z_analytic, p_analytic, z_sim, p_sim, p_adjusted,
cluster``) are the shape every statistics table of geodti shares (``stats_global`` and the
Gi* table of :mod:`geodti.dynamics` too), with ``cluster`` labels from :mod:`geodti.labels`.

* ``value``: local Moran ``I_i``, ``G*_i`` or local Geary ``c_i``;
* ``quadrant``: Moran scatterplot quadrant of the unit (HH, LH, LL, HL) for LISA and
  local Geary; for Gi* ``hot`` or ``cold`` by the sign of the z-score;
* ``p_sim``: pseudo p-value (``alternative``, esda's ``directed`` by default);
  ``p_fdr``: Benjamini-Hochberg adjusted (as ``scipy.stats.false_discovery_control``);
  ``p_bonferroni``: ``min(1, m p)``; the family is one map: the ``m`` units with a
  p-value in one weights x statistic x period x variable; ``p_adjusted``: the one of these
  the chosen ``correction`` gives (``p_sim`` or ``p_analytic`` itself with ``none``), on
  which ``cluster`` rests;
* ``sig_*``: the adjusted p-value is at most ``alpha``;
* ``cluster``: label under the chosen ``correction`` (see :func:`cluster_labels`);
* ``z_analytic``, ``p_analytic``: Gi* only, Ord and Getis's normal approximation
  (two-sided p), the ArcGIS-style inference;
* ``neighbours``: number of neighbours of the unit (0: isolate, no statistic);
* ``inference``: what the p-values, ``sig_*`` and ``cluster`` rest on, ``permutation``
  or (Gi* with ``gi_inference="analytic"``) ``analytic``; the same Gi* engine
  (:mod:`geodti.spatial.getisord`) serves the emerging hot spots of ``geodti.dynamics``.

Permutation budget
------------------
With ``P`` permutations the smallest pseudo p-value is ``1/(P+1)`` (``3/(P+1)`` for
esda's two-sided alternative). Bonferroni over ``m`` units at ``alpha`` needs
``1/(P+1) <= alpha/m``: 370 cities at 0.05 need ``P >= 7399``. The guard
(:func:`~geodti.spatial._permutation.check_permutation_budget`) warns, raises or
stays quiet (``on_budget``) and names the number needed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodti import defaults
from geodti.errors import MethodError
from geodti.schema import check_panel

from ._localcore import local_core
from ._panel import as_weights_dict, choose_periods, choose_variables, panel_matrix
from ._permutation import ALTERNATIVES, DEFAULT_SEED, RowStructure, check_permutation_budget
from .registry import (BIVARIATE_LOCAL_STATISTICS, DEFAULT_LOCAL_STATISTICS, LOCAL_STATISTICS,
                       check_local_statistics)

__all__ = ["CORRECTIONS", "DEFAULT_LOCAL_STATISTICS", "LOCAL_STATISTICS", "adjust_pvalues",
           "bivariate_local_statistics", "cluster_labels", "local_statistics"]

CORRECTIONS = ("none", "fdr", "bonferroni")
COLUMNS = [
    "adcode", "period", "variable", "weights", "statistic", "value", "quadrant", "z_sim", "p_sim", "p_fdr",
    "p_bonferroni", "p_adjusted", "sig_none", "sig_fdr", "sig_bonferroni", "cluster", "correction", "alpha", "z_analytic",
    "p_analytic", "neighbours", "inference", "alternative", "permutations", "seed", "note",
]
#: The bivariate table: the same columns and ``variable_y``, the variable whose spatial lag is taken.
BIVARIATE_COLUMNS = COLUMNS + ["variable_y"]


def adjust_pvalues(p: np.ndarray, correction: str) -> np.ndarray:
    """Adjusted p-values of one family (NaN entries are not part of the family).

    ``fdr``: Benjamini-Hochberg (1995), the step-up adjustment of
    ``scipy.stats.false_discovery_control(p, method="bh")`` (tested equal; computed here
    because importing ``scipy.stats`` costs seconds at start-up);
    ``bonferroni``: ``min(1, m p)``; ``none``: unchanged.
    """
    if correction not in CORRECTIONS:
        raise MethodError(f"correction must be one of {', '.join(CORRECTIONS)}; got '{correction}'")
    p = np.asarray(p, float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    if correction == "none":
        out[ok] = p[ok]
    elif correction == "bonferroni":
        out[ok] = np.minimum(1.0, p[ok] * m)
    else:
        out[ok] = _benjamini_hochberg(p[ok])
    return out


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH adjusted p-values: ``min_{k >= i} p_(k) m / k``, capped at 1, in the input order."""
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out


def cluster_labels(statistic: str, quadrant, p_adjusted, alpha: float, *, direction=None, positive=None,
                   isolate=None, p_levels=None) -> np.ndarray:
    """Cluster labels of one family, by the statistic's rule in the registry
    (:data:`~geodti.spatial.registry.LOCAL_STATISTICS`; labels of :mod:`geodti.labels`).

    * ``lisa``: the quadrant (HH, LL: clusters; LH, HL: outliers) where significant,
      else ``not_significant``;
    * ``gi_star``: ``hot_99``/``hot_95``/``hot_90`` (``cold_...``) when the adjusted
      p-value is at most 0.01/0.05/0.10 (``p_levels``: adjusted p per level),
      the sign from ``direction`` (z-score), else ``not_significant``;
    * ``local_geary``: where significant, ``HH``/``LL`` (positive association of high or
      low values), ``other_positive`` (positive association, mixed quadrant) or
      ``negative`` (the unit differs from its neighbours), as in GeoDa (Anselin 2019);
    * ``losh``: ``heterogeneous`` where significant.

    Units without neighbours are ``isolate``.
    """
    if statistic not in LOCAL_STATISTICS:
        raise MethodError(f"unknown statistic '{statistic}'")
    out = LOCAL_STATISTICS[statistic].label_rule(quadrant, p_adjusted, alpha, direction=direction,
                                                 positive=positive, p_levels=p_levels)
    if isolate is not None:
        out[np.asarray(isolate, bool)] = "isolate"
    return out


def local_statistics(
    panel: pd.DataFrame,
    weights,
    *,
    variables=None,
    periods=None,
    statistics=DEFAULT_LOCAL_STATISTICS,
    permutations: int = defaults.PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    alternative: str = "directed",
    correction: str = defaults.CORRECTION,
    alpha: float = defaults.ALPHA,
    gi_inference: str = "permutation",
    on_budget: str = "warn",
    progress: bool = False,
    client=None,
) -> pd.DataFrame:
    """LISA, Gi* and local Geary for every unit, period, variable (and weights) of a panel.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel: ``adcode``, ``period`` and one column per variable.
    weights : Weights, list or dict of Weights
        Built on the panel's units.
    variables, periods : list of str, optional
    statistics : iterable of names in :data:`~geodti.spatial.registry.LOCAL_STATISTICS`
        Default: its default ones (``lisa``, ``gi_star``, ``local_geary``; ``losh`` on
        request). Gi* is skipped (with a note) for variables with negative values.
    permutations : int
        Conditional permutations (default 9999; enough for FDR at 0.05 on 370 units,
        not for Bonferroni, which needs 7399 at 0.05 and 36999 at 0.01).
    seed : int
        One set of draws for everything (esda's for this seed up to 10,000 permutations;
        blocks of 10,000 beyond: :mod:`geodti.spatial._permutation`).
    alternative : str
        Pseudo p-value alternative; ``directed`` (esda 2.8's and GeoDa's default) is
        one-sided in the direction of the observed value.
    correction : {"fdr", "bonferroni", "none"}
        Used for the ``cluster`` column (all three ``sig_*`` columns are always given).
    alpha : float
        Significance level of ``sig_*`` and of LISA/local Geary clusters.
    gi_inference : {"permutation", "analytic"}
        Gi* hot/cold bins from the pseudo p-value and ``z_sim`` (default) or from the
        analytic z-score's two-sided p-value (ArcGIS style); both are in the table.
    on_budget : {"warn", "raise", "ignore"}
        What the permutation-budget guard does when ``permutations`` cannot reach the
        corrected ``alpha``.
    progress : bool
    client : dask.distributed.Client or geodti Executor, optional
        Run the permutation blocks there (:mod:`geodti.spatial.executor`); the numbers
        are identical to this process's.

    Returns
    -------
    DataFrame
        See the module docstring for the columns.

    Examples
    --------
    LISA clusters of the bundled (SYNTHETIC) sample's index in 2023Q1, k nearest neighbours,
    FDR at 0.05, 9,999 permutations:

    >>> import geodti
    >>> from geodti.spatial import Weights, local_statistics
    >>> panel = geodti.read_panel("sample:panel")
    >>> units = geodti.gazetteer()
    >>> w = Weights.from_spec("knn6", units[units["adcode"].isin(panel["adcode"])])
    >>> latest = panel[panel["period"] == "2023Q1"]
    >>> lisa = local_statistics(latest, w, variables=["dti"], statistics=("lisa",), seed=1)
    >>> lisa["cluster"].value_counts().to_dict()
    {'not_significant': 324, 'LL': 35, 'HH': 4, 'HL': 3, 'LH': 1}
    """
    _check_choices(alternative, correction)
    if gi_inference not in ("permutation", "analytic"):
        raise MethodError("gi_inference must be 'permutation' or 'analytic'")
    statistics = check_local_statistics(statistics)
    two = [s for s in statistics if LOCAL_STATISTICS[s].bivariate]
    if two:
        raise MethodError(f"{', '.join(two)}: a statistic of two variables; compute it for pairs of variables "
                          "with bivariate_local_statistics (geodti stats --bivariate X:Y)")
    P = int(permutations)
    inference = {s: _inference(s, gi_inference) for s in statistics}
    if P == 0 and any(i == "permutation" for i in inference.values()):
        needs = [s for s, i in inference.items() if i == "permutation"]
        raise MethodError(f"local statistics {needs} need permutations > 0 (pseudo p-values); only "
                          f"{', '.join(s for s, e in LOCAL_STATISTICS.items() if 'analytic' in e.inference)} "
                          "have an analytic test")
    panel = check_panel(panel)
    variables = choose_variables(panel, variables)
    periods = choose_periods(panel, periods)
    wdict = as_weights_dict(weights)

    from .executor import executor_for

    ex = executor_for(client)
    prepared = []
    for label, w in wdict.items():
        Y, cols = panel_matrix(panel, variables, periods, w.ids)
        O = w.O
        rows = RowStructure.from_matrix(O)
        m_tests = int((rows.cardinality > 0).sum())
        if P:
            check_permutation_budget(m_tests, P, alpha, correction, alternative, on_budget,
                                     context=f"weights {label}: ")
        prepared.append((label, w, Y, cols, O, rows))

    frames = []
    for label, w, Y, cols, O, rows in prepared:
        n, V = Y.shape
        isolate = rows.cardinality == 0
        nonneg = np.array([(Y[:, j] >= 0).all() for j in range(V)])
        # one engine pass for every statistic; columns a statistic is not defined for are blanked afterwards
        res = local_core(Y, O, statistics, permutations=P, seed=seed, alternative=alternative,
                         progress=progress, executor=ex,
                         # in this process one sweep over the units serves every period (the
                         # per-unit loop is the cost); on a cluster a period is a chunk; the
                         # numbers are the same either way (tests/test_distributed.py)
                         column_groups=None if ex.in_process else _period_groups(cols))
        for s in statistics:
            ok = nonneg if LOCAL_STATISTICS[s].nonnegative else np.ones(V, bool)
            frames.append(_table(s, res.get(s), w, label, cols, isolate, rows.cardinality, P, seed, alternative,
                                 correction, alpha, inference[s], ok))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    return out[COLUMNS]


def _period_groups(cols: list[tuple[str, str]]) -> list[slice]:
    """The columns of each period (``panel_matrix`` orders them period by period): one
    chunk of the permutation engine per period and permutation block."""
    groups, start = [], 0
    for j in range(1, len(cols) + 1):
        if j == len(cols) or cols[j][0] != cols[start][0]:
            groups.append(slice(start, j))
            start = j
    return groups


def bivariate_local_statistics(
    panel: pd.DataFrame,
    weights,
    pairs,
    *,
    periods=None,
    statistics=BIVARIATE_LOCAL_STATISTICS,
    permutations: int = defaults.PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    alternative: str = "directed",
    correction: str = defaults.CORRECTION,
    alpha: float = defaults.ALPHA,
    on_budget: str = "warn",
    progress: bool = False,
) -> pd.DataFrame:
    """Bivariate LISA of every unit and period: variable x at a unit against the spatial lag of
    variable y (Anselin, Syabri and Smirnov 2002; esda ``Moran_Local_BV``).

    Parameters
    ----------
    panel : DataFrame
        Tidy panel: ``adcode``, ``period`` and the variables of ``pairs``.
    weights : Weights, list or dict of Weights
        Built on the panel's units.
    pairs : list of (x, y)
        The variable at the unit (x) and the one whose spatial lag is taken (y); both
        directions are two pairs.
    periods : list of str, optional
    statistics : iterable of bivariate names in :data:`~geodti.spatial.registry.LOCAL_STATISTICS`
        Default: every bivariate one (``lisa_bv``).
    permutations, seed, alternative, correction, alpha, on_budget, progress
        As in :func:`local_statistics`: the same draws (esda's for this seed), the same
        conditional randomisation (x stays at the unit, the other units' y are permuted) and
        the same correction of one map's p-values.

    Returns
    -------
    DataFrame
        The columns of :func:`local_statistics` and ``variable_y``; ``variable`` is x,
        ``quadrant`` and ``cluster`` say HH (high x, high neighbouring y), LL, HL, LH.
    """
    _check_choices(alternative, correction)
    statistics = check_local_statistics(statistics)
    one = [s for s in statistics if not LOCAL_STATISTICS[s].bivariate]
    if one:
        raise MethodError(f"{', '.join(one)}: not a statistic of two variables; use local_statistics")
    P = int(permutations)
    if P <= 0:
        raise MethodError(f"bivariate local statistics need permutations > 0 (pseudo p-values); got {P}")
    pairs = [tuple(p) for p in pairs]
    panel = check_panel(panel)
    bad = [p for p in pairs if len(p) != 2]
    if bad:
        raise MethodError(f"bivariate pairs must be (x, y); got {bad}")
    variables = choose_variables(panel, list(dict.fromkeys(v for p in pairs for v in p)))
    periods = choose_periods(panel, periods)
    frames = []
    for label, w in as_weights_dict(weights).items():
        Yall, cols = panel_matrix(panel, variables, periods, w.ids)
        rows = RowStructure.from_matrix(w.O)
        isolate = rows.cardinality == 0
        check_permutation_budget(int((~isolate).sum()), P, alpha, correction, alternative, on_budget,
                                 context=f"weights {label}: ")
        for x, y in pairs:
            jx = [cols.index((p, x)) for p in periods]
            jy = [cols.index((p, y)) for p in periods]
            res = local_core(Yall[:, jy], w.O, statistics, permutations=P, seed=seed, alternative=alternative,
                             progress=progress, X=Yall[:, jx])
            for s in statistics:
                t = _table(s, res[s], w, label, [cols[j] for j in jx], isolate, rows.cardinality, P, seed,
                           alternative, correction, alpha, "permutation", np.ones(len(jx), bool))
                frames.append(t.assign(variable_y=y))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=BIVARIATE_COLUMNS)
    return out[BIVARIATE_COLUMNS]


def _check_choices(alternative: str, correction: str) -> None:
    """The alternative hypothesis and the multiple-testing correction, checked once for both
    the univariate and the bivariate statistics."""
    if alternative not in ALTERNATIVES:
        raise MethodError(f"alternative must be one of {', '.join(ALTERNATIVES)}; got '{alternative}'")
    if correction not in CORRECTIONS:
        raise MethodError(f"correction must be one of {', '.join(CORRECTIONS)}; got '{correction}'")


def _inference(statistic: str, gi_inference: str) -> str:
    """The inference a statistic's p-values rest on: its only one, or the chosen one."""
    supported = LOCAL_STATISTICS[statistic].inference
    return supported[0] if len(supported) == 1 else gi_inference


def _table(stat, res, w, label, cols, isolate, card, P, seed, alternative, correction, alpha, inference, ok):
    """One statistic's rows for every column, built as arrays and framed once."""
    entry = LOCAL_STATISTICS[stat]
    n = len(w.ids)
    V = len(cols)
    z_sim = res["z_sim"].astype(float).copy()
    p_sim = res["p_sim"].astype(float).copy()
    value = np.asarray(res[entry.value], float).copy()
    z_an = np.full((n, V), np.nan)
    p_an = np.full((n, V), np.nan)
    if entry.analytic is not None:
        za, pa = entry.analytic(res)
        if za is not None:
            z_an = np.asarray(za, float).copy()
        p_an = np.asarray(pa, float).copy()
    direction = z_sim if inference == "permutation" else z_an
    quadrant = (np.asarray(entry.quadrant(res, isolate, direction), dtype=object).copy() if entry.quadrant
                else np.full((n, V), "", dtype=object))
    adj = {c: np.full((n, V), np.nan) for c in CORRECTIONS}
    labels = np.full((n, V), "not_significant", dtype=object)
    note = np.where(isolate, "no neighbours", "").astype(object)
    notes = np.repeat(note[:, None], V, axis=1)
    for j in range(V):
        if not ok[j]:
            for a in (value, z_an, p_an, z_sim, p_sim):
                a[:, j] = np.nan
            quadrant[:, j] = ""
            labels[:, j] = "not_computed"
            notes[:, j] = f"{entry.title} needs non-negative values"
            continue
        p_test = p_an[:, j] if inference == "analytic" else p_sim[:, j]
        for c in CORRECTIONS:
            adj[c][:, j] = adjust_pvalues(p_test, c)
        positive = np.nan_to_num(z_sim[:, j], nan=0.0) < 0  # local Geary: smaller than expected, like its neighbours
        labels[:, j] = cluster_labels(stat, quadrant[:, j], adj[correction][:, j], alpha,
                                      direction=direction[:, j], positive=positive, isolate=isolate)

    def flat(a):  # column-major: all units of column 0, then column 1, ...
        return np.asarray(a).T.reshape(-1)

    sig = {c: np.nan_to_num(adj[c], nan=1.0) <= alpha for c in CORRECTIONS}
    alt = alternative if inference == "permutation" else entry.analytic_alternative
    return pd.DataFrame({
        "adcode": np.tile(w.ids.to_numpy(), V),
        "period": np.repeat([c[0] for c in cols], n),
        "variable": np.repeat([c[1] for c in cols], n),
        "weights": label, "statistic": stat, "value": flat(value), "quadrant": flat(quadrant),
        "z_sim": flat(z_sim), "p_sim": flat(p_sim), "p_fdr": flat(adj["fdr"]), "p_bonferroni": flat(adj["bonferroni"]),
        "p_adjusted": flat(adj[correction]), "sig_none": flat(sig["none"]), "sig_fdr": flat(sig["fdr"]), "sig_bonferroni": flat(sig["bonferroni"]),
        "cluster": flat(labels), "correction": correction, "alpha": alpha, "z_analytic": flat(z_an),
        "p_analytic": flat(p_an), "neighbours": np.tile(card, V),
        "inference": inference, "alternative": alt, "permutations": P,
        "seed": seed, "note": flat(notes),
    })
