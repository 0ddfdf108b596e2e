"""Two indices on one map: correlation, bivariate Moran both ways and bivariate LISA.

:func:`cross_index_tables` relates a second index (e.g. a future-industries index) to the
first (the DTI) city by city and period by period:

* ``correlation``: Pearson and Spearman coefficients per period with ``n`` and two-sided
  p-values (the t approximation with ``n - 2`` degrees of freedom, as ``scipy.stats``);
* ``moran_bv``: global bivariate Moran of x against the spatial lag of y and of y against
  the lag of x (Wartenberg 1985; esda ``Moran_BV``), permutation inference, rows of the
  global statistics table (:mod:`geodti.spatial.global_`);
* ``lisa_bv``: bivariate LISA per unit and period, both directions, rows of the local
  statistics table (:func:`~geodti.spatial.local.bivariate_local_statistics`): HH (high x
  among high neighbouring y), LL, HL, LH with the chosen correction.

The spatial lag is the mean of the neighbours' values (row-standardised weights), so a
bivariate Moran is not symmetric: both directions are reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtr

from geodti import defaults
from geodti.errors import InputError
from geodti.schema import check_panel

from ._panel import as_weights_dict, choose_periods
from ._permutation import DEFAULT_SEED
from .global_ import global_statistics
from .local import bivariate_local_statistics

__all__ = ["CORRELATION_COLUMNS", "correlation_by_period", "cross_index_tables"]

CORRELATION_COLUMNS = ["period", "variable", "variable_y", "n", "pearson", "p_pearson", "spearman", "p_spearman"]


def _t_test_p(r: float, n: int) -> float:
    """Two-sided p-value of a correlation coefficient (t with n - 2 degrees of freedom)."""
    if n < 3 or not np.isfinite(r):
        return np.nan
    if abs(r) >= 1.0:
        return 0.0
    t = r * np.sqrt((n - 2) / (1.0 - r * r))
    return float(2.0 * stdtr(n - 2, -abs(t)))


def correlation_by_period(panel: pd.DataFrame, x: str, y: str, periods=None) -> pd.DataFrame:
    """Pearson and Spearman correlation of ``x`` and ``y`` across units, per period.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel with ``period``, ``x`` and ``y``; units missing either value in a period
        are left out of that period (``n`` says how many remain).
    x, y : str
    periods : list of str, optional

    Returns
    -------
    DataFrame
        ``period, variable, variable_y, n, pearson, p_pearson, spearman, p_spearman``.
    """
    for v in (x, y):
        if v not in panel.columns:
            raise InputError(f"correlation: the panel has no column {v!r}")
    periods = choose_periods(panel, periods)
    rows = []
    for p in periods:
        part = panel.loc[panel["period"] == p, [x, y]].astype(float).dropna()
        n = len(part)
        r = s = np.nan
        if n >= 3 and part[x].std() > 0 and part[y].std() > 0:
            r = float(np.corrcoef(part[x], part[y])[0, 1])
            s = float(np.corrcoef(part[x].rank(), part[y].rank())[0, 1])  # Spearman: Pearson of mid-ranks
        rows.append({"period": p, "variable": x, "variable_y": y, "n": n, "pearson": r,
                     "p_pearson": _t_test_p(r, n), "spearman": s, "p_spearman": _t_test_p(s, n)})
    return pd.DataFrame(rows, columns=CORRELATION_COLUMNS)


def cross_index_tables(
    panel: pd.DataFrame,
    x: str,
    y: str,
    weights,
    *,
    periods=None,
    permutations: int = defaults.PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    alternative: str = "directed",
    correction: str = defaults.CORRECTION,
    alpha: float = defaults.ALPHA,
    on_budget: str = "warn",
    progress: bool = False,
) -> dict[str, pd.DataFrame]:
    """The cross-index tables of two variables of one panel.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel: ``adcode``, ``period``, ``x`` and ``y``, complete for the units of
        ``weights`` in ``periods``.
    x, y : str
        The two indices (x: the first, e.g. ``dti``; y: the second).
    weights : Weights, list or dict of Weights
        Built on the panel's units.
    periods : list of str, optional
    permutations, seed, alternative, correction, alpha, on_budget, progress
        As in :func:`~geodti.spatial.local.local_statistics`: one set of draws for
        everything.

    Returns
    -------
    dict of DataFrame
        ``correlation``, ``moran_bv`` (both directions), ``lisa_bv`` (both directions).

    Examples
    --------
    >>> import geodti
    >>> from geodti.spatial import Weights
    >>> panel = geodti.read_panel("sample:panel")
    >>> latest = panel[panel["period"] == "2023Q1"]
    >>> units = geodti.gazetteer()
    >>> w = Weights.from_spec("knn6", units[units["adcode"].isin(latest["adcode"])])
    >>> t = cross_index_tables(latest, "dti", "platform", w, permutations=99, seed=1)
    >>> sorted(t)
    ['correlation', 'lisa_bv', 'moran_bv']
    """
    if x == y:
        raise InputError(f"cross-index tables need two different variables; got {x!r} twice")
    panel = check_panel(panel)
    for v in (x, y):
        if v not in panel.columns:
            raise InputError(f"cross-index tables: the panel has no column {v!r}")
    periods = choose_periods(panel, periods)
    pairs = [(x, y), (y, x)]
    wdict = as_weights_dict(weights)
    moran = pd.concat(
        [global_statistics(panel[panel["adcode"].isin(w.ids)], w, variables=[x, y], periods=periods, statistics=(),
                           bivariate=pairs, differential=None, permutations=permutations, seed=seed,
                           alternative=alternative, progress=progress)
         for w in wdict.values()], ignore_index=True)
    moran = moran[moran["statistic"] == "moran_bv"].reset_index(drop=True)
    lisa = bivariate_local_statistics(panel, wdict, pairs, periods=periods, permutations=permutations, seed=seed,
                                      alternative=alternative, correction=correction, alpha=alpha,
                                      on_budget=on_budget, progress=progress)
    return {"correlation": correlation_by_period(panel, x, y, periods), "moran_bv": moran, "lisa_bv": lisa}
