"""Global spatial statistics of a whole panel in one call, as tidy tables.

:func:`global_statistics` computes, for every weights matrix, period and variable,
Moran's I, Geary's C and Getis-Ord General G (plus bivariate Moran, differential Moran
and join counts when asked), sharing one set of permutations across all of them.
:func:`robustness_table` puts Moran's I of each period side by side across weights
specifications.

Columns of the global table
---------------------------
``period, variable, weights, statistic, value, expectation, variance, z, p_analytic,
assumption, p_sim, z_sim, alternative, permutations, seed, n, variable_y,
base_period, note``

* ``expectation``, ``variance``, ``z``: analytic moments under ``assumption``
  (``randomisation`` by default, ``normality`` on request; General G has only the
  normality-based moments of Getis and Ord 1992; bivariate Moran has none);
* ``p_analytic``: two-sided normal p-value of ``z`` (esda reports one-tailed values for
  Geary and G; geodti doubles them so the column means one thing);
* ``p_sim``: pseudo p-value of the permutation test under ``alternative``
  (esda's ``directed`` by default; join counts use ``greater``, as esda);
* ``variable_y``: the lagged variable of a bivariate Moran; ``base_period``: the
  earlier period of a differential Moran (``period`` is the later one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodti import defaults
from geodti.errors import InputError, MethodError
from geodti.schema import check_panel

from ._common import matrices, norm_sf
from ._panel import as_weights_dict, choose_periods, choose_variables, panel_matrix
from ._permutation import ALTERNATIVES, DEFAULT_SEED, Permutations, SimPool, permuted_quadratic
from .geary import geary_arrays, geary_sims, row_col_sums
from .getisord import g_arrays, g_sims
from .join_counts import join_count_arrays
from .moran import moran_arrays, moran_bv_arrays, moran_sims

__all__ = ["GLOBAL_STATISTICS", "global_statistics", "quadratic_block", "robustness_table"]

GLOBAL_STATISTICS = ("moran", "geary", "getis_ord_g")
COLUMNS = [
    "period", "variable", "weights", "statistic", "value", "expectation", "variance", "z_analytic", "p_analytic",
    "assumption", "p_sim", "z_sim", "alternative", "permutations", "seed", "n", "variable_y", "base_period", "note",
]


def _two_sided(z):
    return 2.0 * norm_sf(np.abs(np.asarray(z, float)))


def _rows(cols, label, stat, value, E, Var, z, assumption, res, alternative, P, seed, n, **extra):
    V = len(cols)
    p_sim = res.get("p_sim", np.full(V, np.nan))
    z_sim = res.get("z_sim", np.full(V, np.nan))
    out = []
    for j, (period, variable) in enumerate(cols):
        row = {
            "period": period, "variable": variable, "weights": label, "statistic": stat,
            "value": float(value[j]), "expectation": float(E[j]), "variance": float(Var[j]), "z_analytic": float(z[j]),
            "p_analytic": float(_two_sided(z[j])) if np.isfinite(z[j]) else np.nan, "assumption": assumption,
            "p_sim": float(p_sim[j]) if P else np.nan, "z_sim": float(z_sim[j]) if P else np.nan,
            "alternative": alternative if P else "", "permutations": P, "seed": seed, "n": n,
            "variable_y": "", "base_period": "", "note": "",
        }
        for k, v in extra.items():
            row[k] = v[j] if isinstance(v, list | np.ndarray) else v
        out.append(row)
    return out


def _note_rows(cols, label, stat, note, alternative, P, seed, n):
    return [
        {"period": p, "variable": v, "weights": label, "statistic": stat, "value": np.nan, "expectation": np.nan,
         "variance": np.nan, "z_analytic": np.nan, "p_analytic": np.nan, "assumption": "", "p_sim": np.nan, "z_sim": np.nan,
         "alternative": alternative if P else "", "permutations": P, "seed": seed, "n": n, "variable_y": "",
         "base_period": "", "note": note}
        for p, v in cols
    ]


def global_statistics(
    panel: pd.DataFrame,
    weights,
    *,
    variables=None,
    periods=None,
    statistics=GLOBAL_STATISTICS,
    bivariate=None,
    differential="first_last",
    join_counts=None,
    permutations: int = defaults.PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    alternative: str = "directed",
    assumption: str = "randomisation",
    progress: bool = False,
    client=None,
) -> pd.DataFrame:
    """Global statistics for every weights, period and variable of a panel.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel: ``adcode``, ``period`` and one column per variable.
    weights : Weights, list of Weights or dict
        Built once (e.g. :func:`~geodti.spatial.weights.build_weights_set`) on the
        panel's units.
    variables, periods : list of str, optional
        Default: every numeric column; every period.
    statistics : iterable of {"moran", "geary", "getis_ord_g"}
        General G is reported only for non-negative variables (a note otherwise).
    bivariate : list of (x, y) pairs, optional
        Bivariate Moran of ``x`` against the spatial lag of ``y``, each period.
    differential : "first_last", None or list of (before, after) periods
        Differential Moran (Moran's I of the change) per variable.
    join_counts : None, "binary", "median" or "mean"
        ``"binary"`` (or None): join counts for variables coded 0/1 only;
        ``"median"``/``"mean"``: for every variable, of the indicator "above the
        period's median/mean" (1 = above).
    permutations, seed, alternative
        One set of permutations (esda's draws for ``seed``) for everything.
    assumption : {"randomisation", "normality"}
        Analytic moments of Moran's I and Geary's C.
    progress : bool
        rich progress bar.
    client : dask.distributed.Client or geodti Executor, optional
        Run the permutation blocks of Moran's I, Geary's C and General G there
        (:mod:`geodti.spatial.executor`); the numbers are identical to this process's.

    Returns
    -------
    DataFrame
        One row per weights x period x variable x statistic (see the module doc).
    """
    if alternative not in ALTERNATIVES:
        raise MethodError(f"alternative must be one of {', '.join(ALTERNATIVES)}; got '{alternative}'")
    if assumption not in ("randomisation", "normality"):
        raise MethodError("assumption must be 'randomisation' or 'normality'")
    bad = [s for s in statistics if s not in GLOBAL_STATISTICS]
    if bad:
        raise MethodError(f"unknown global statistic(s) {bad}; use {', '.join(GLOBAL_STATISTICS)}")
    panel = check_panel(panel)
    variables = choose_variables(panel, variables)
    periods = choose_periods(panel, periods)
    wdict = as_weights_dict(weights)
    if join_counts not in (None, "binary", "median", "mean"):
        raise MethodError("join_counts must be None, 'binary', 'median' or 'mean'")
    from .executor import executor_for

    ex = executor_for(client)
    rows: list[dict] = []
    P = int(permutations)
    for label, w in wdict.items():
        Y, cols = panel_matrix(panel, variables, periods, w.ids)
        n = Y.shape[0]
        perms = Permutations(n, P, seed)  # drawn block by block where they are used
        no_perms = Permutations(n, 0, seed)  # the observed values alone
        m = matrices(w, "r")
        T, B = m["T"], m["B"]
        # differential columns (change between two periods) join the Moran pass
        pairs = _differential_pairs(differential, periods)
        diff_cols, diff_blocks = [], []
        for before, after in pairs:
            for v in variables:
                diff_blocks.append(Y[:, cols.index((after, v))] - Y[:, cols.index((before, v))])
                diff_cols.append((before, after, v))
        D = np.column_stack(diff_blocks) if diff_blocks else np.empty((n, 0))
        moving = [j for j in range(D.shape[1]) if np.ptp(D[:, j]) > 0]
        X = np.column_stack([Y, D[:, moving]]) if moving else Y
        V = Y.shape[1]
        # one pass over the permutation blocks serves Moran, Geary and the differential Moran: each
        # block's quadratic forms are turned into the statistics' simulated values and pooled
        passes = []
        if P and "moran" in statistics:
            passes.append((moran_sims(Y, T), slice(0, V), moran_arrays(Y, T, no_perms)["I"]))
        if P and "geary" in statistics:
            passes.append((geary_sims(Y, T), slice(0, V), geary_arrays(Y, T, no_perms)["C"]))
        if P and moving:
            passes.append((moran_sims(D[:, moving], T), slice(V, None),
                           moran_arrays(D[:, moving], T, no_perms)["I"]))
        pools = _pooled(ex, X - X.mean(axis=0), T, perms, row_col_sums(T), passes, alternative) if passes else []
        pool_of = iter(pools)
        key = "rand" if assumption == "randomisation" else "norm"
        if "moran" in statistics:
            res = moran_arrays(Y, T, perms, alternative=alternative, q=next(pool_of) if P else None)
            rows += _rows(cols, label, "moran", res["I"], res["EI"], res[f"VI_{key}"], res[f"z_{key}"], assumption,
                          res, alternative, P, seed, n)
        if "geary" in statistics:
            res = geary_arrays(Y, T, perms, alternative=alternative, qr=next(pool_of) if P else None)
            rows += _rows(cols, label, "geary", res["C"], res["EC"], res[f"VC_{key}"], res[f"z_{key}"], assumption,
                          res, alternative, P, seed, n)
        if moving:
            res = moran_arrays(D[:, moving], T, perms, alternative=alternative, q=next(pool_of) if P else None)
            dc = [diff_cols[j] for j in moving]
            rows += _rows([(a, v) for _, a, v in dc], label, "moran_differential", res["I"], res["EI"],
                          res[f"VI_{key}"], res[f"z_{key}"], assumption, res, alternative, P, seed, n,
                          base_period=[b for b, _, _ in dc])
        for j in range(D.shape[1]):
            if j not in moving:
                b, a, v = diff_cols[j]
                rr = _note_rows([(a, v)], label, "moran_differential", "no change between the periods", alternative,
                                P, seed, n)[0]
                rr["base_period"] = b
                rows.append(rr)
        if "getis_ord_g" in statistics and not _binary(m["O"]):
            rows += _note_rows(cols, label, "getis_ord_g",
                               "General G is defined for binary weights (Getis and Ord 1992); not computed for "
                               "weighted specifications", alternative, P, seed, n)
        elif "getis_ord_g" in statistics:
            ok = [j for j in range(len(cols)) if (Y[:, j] >= 0).all()]
            if ok:
                qg = None
                if P:
                    observed = g_arrays(Y[:, ok], B, no_perms)["G"]
                    qg = _pooled(ex, Y[:, ok], B, perms, None, [(g_sims(Y[:, ok]), slice(None), observed)],
                                 alternative)[0]
                r = g_arrays(Y[:, ok], B, perms, alternative=alternative, q=qg)
                rows += _rows([cols[j] for j in ok], label, "getis_ord_g", r["G"], r["EG"], r["VG"], r["z_norm"],
                              "normality", r, alternative, P, seed, n)
            neg = [cols[j] for j in range(len(cols)) if j not in ok]
            rows += _note_rows(neg, label, "getis_ord_g", "General G needs non-negative values", alternative, P,
                               seed, n)
        if bivariate:
            for pair in bivariate:
                if len(pair) != 2 or any(v not in variables for v in pair):
                    raise InputError(f"bivariate pair {pair} must name two of the analysed variables {variables}")
                x, yv = pair
                jx = [cols.index((p, x)) for p in periods]
                jy = [cols.index((p, yv)) for p in periods]
                r = moran_bv_arrays(Y[:, jx], Y[:, jy], T, perms, alternative=alternative)
                nanv = np.full(len(periods), np.nan)
                rows += _rows([(p, x) for p in periods], label, "moran_bv", r["I"], nanv, nanv, nanv, "", r,
                              alternative, P, seed, n, variable_y=yv)
        jc = _join_count_columns(Y, cols, join_counts)
        if jc is not None:
            Yb, jcols, how = jc
            if jcols:
                r = join_count_arrays(Yb, m["O"], perms)
                note = "" if how == "binary" else f"1 = above the period's {how}"
                rows += _rows(jcols, label, "join_counts_bb", r["bb"], r["E_bb"], r["V_bb"], r["z_bb"], "randomisation",
                              {"p_sim": r.get("p_sim_bb", np.full(len(jcols), np.nan))}, "greater", P, seed, n,
                              note=note)
                rows += _rows(jcols, label, "join_counts_bw", r["bw"], r["E_bw"], r["V_bw"], r["z_bw"], "randomisation",
                              {"p_sim": r.get("p_sim_bw", np.full(len(jcols), np.nan))}, "greater", P, seed, n,
                              note=note)
    out = pd.DataFrame(rows, columns=COLUMNS)
    if not out.empty:
        out["z_sim"] = out["z_sim"].where(~out["statistic"].str.startswith("join_counts"), np.nan)
    return out


def quadratic_block(shared: tuple, block: int) -> tuple[np.ndarray, np.ndarray | None]:
    """One chunk of a global permutation test: permutation block ``block`` of every column.

    ``shared`` is ``(X, W, permutations, diag_weights)``; see
    :func:`~geodti.spatial._permutation.permuted_quadratic`.
    """
    X, W, perms, diag = shared
    return permuted_quadratic(X, W, perms.block(block), diag_weights=diag)


def _pooled(ex, X, W, perms: Permutations, diag, passes, alternative) -> list[SimPool]:
    """``permuted_quadratic`` block by block on ``ex``; each block, as it comes in block order, is
    turned into the simulated values of every ``(sims_of, columns, observed)`` in ``passes`` and
    pooled, so no ``(P, columns)`` array is held (memory does not grow with ``P``)."""
    pools = [SimPool(observed, alternative) for _, _, observed in passes]
    blocks = [b for b, _, _ in perms.blocks]
    shared = ex.share((X, W, perms, diag))
    for q, r in ex.imap(quadratic_block, shared, blocks, what="global statistics"):
        for pool, (sims_of, cs, _) in zip(pools, passes, strict=True):
            pool.add(sims_of(q[:, cs], None if r is None else r[:, cs]))
        del q, r  # not held while the next block is computed
    return pools


def _differential_pairs(differential, periods) -> list[tuple[str, str]]:
    if differential == "first_last":
        return [(periods[0], periods[-1])] if len(periods) >= 2 else []
    if not differential:
        return []
    pairs = [tuple(p) for p in differential]
    for pair in pairs:
        if len(pair) != 2 or pair[0] not in periods or pair[1] not in periods:
            raise InputError(f"differential periods {pair} must be two of the analysed periods {periods}")
    return pairs


def _binary(O) -> bool:
    off = O.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    return bool(off.nnz == 0 or np.all(off.data == off.data[0]))


def _join_count_columns(Y, cols, how):
    if how is None or how == "binary":
        ok = [j for j in range(Y.shape[1]) if np.isin(Y[:, j], (0.0, 1.0)).all() and 0 < Y[:, j].sum() < Y.shape[0]]
        return (Y[:, ok], [cols[j] for j in ok], "binary") if ok else None
    centre = np.median(Y, axis=0) if how == "median" else Y.mean(axis=0)
    Yb = (Y > centre).astype(float)
    ok = [j for j in range(Y.shape[1]) if 0 < Yb[:, j].sum() < Y.shape[0]]
    return Yb[:, ok], [cols[j] for j in ok], how


def robustness_table(global_table: pd.DataFrame) -> pd.DataFrame:
    """Moran's I of every period and variable under each weights specification.

    Parameters
    ----------
    global_table : DataFrame
        Output of :func:`global_statistics` with several weights.

    Returns
    -------
    DataFrame
        Tidy: ``variable, period, weights, moran_i, z_analytic, p_analytic, p_sim, stars,
        permutations, seed``, plus per variable x period the range of I across weights
        (``i_min``, ``i_max``), whether every specification gives the same sign
        (``same_sign``) and how many are significant at 5% by ``p_sim``
        (``significant_5pct``, of ``specifications``). ``stars``: ``***`` p < 0.01,
        ``**`` p < 0.05, ``*`` p < 0.1 (p_sim when permutations were run, else p_analytic).
    """
    t = global_table[global_table["statistic"] == "moran"].copy()
    if t.empty:
        raise MethodError("the global table has no Moran's I rows; run global_statistics with 'moran'")
    p = t["p_sim"].where(t["permutations"] > 0, t["p_analytic"])
    t["stars"] = np.select([p < 0.01, p < 0.05, p < 0.1], ["***", "**", "*"], "")
    out = t.rename(columns={"value": "moran_i"})[
        ["variable", "period", "weights", "moran_i", "z_analytic", "p_analytic", "p_sim", "stars", "permutations", "seed"]
    ].copy()
    sig = p < 0.05
    g = out.assign(_sig=sig.to_numpy()).groupby(["variable", "period"], sort=False)
    agg = g.agg(
        i_min=("moran_i", "min"), i_max=("moran_i", "max"), specifications=("weights", "nunique"),
        significant_5pct=("_sig", "sum"),
        same_sign=("moran_i", lambda s: bool((s > 0).all() or (s < 0).all())),
    ).reset_index()
    out = out.merge(agg, on=["variable", "period"], how="left")
    order = {w: i for i, w in enumerate(dict.fromkeys(out["weights"]))}
    return out.sort_values(["variable", "period", "weights"], key=lambda c: c.map(order) if c.name == "weights" else c,
                           kind="stable").reset_index(drop=True)
