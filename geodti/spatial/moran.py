"""Moran's I: global, bivariate, differential and local (LISA).

The classes take the same arguments and expose the same attributes as esda's
``Moran``, ``Moran_BV`` and ``Moran_Local``, with three differences:

* ``y`` may be a matrix ``(n, V)``: every column (period x variable) is computed in
  one call with the same permutation draws, and attributes become arrays;
* ``seed`` is explicit and defaults to :data:`~geodti.spatial._permutation.DEFAULT_SEED`;
  with the same seed the simulated values equal esda's (global: after
  ``np.random.seed(seed)``; local: ``seed=seed``);
* simulated values are kept only with ``keep_simulations=True``.

References: Cliff and Ord (1981) *Spatial Processes*; Anselin (1995) Local indicators
of spatial association, *Geographical Analysis* 27(2); Sokal, Oden and Thomson (1998)
Local spatial autocorrelation in a biological model, *Geographical Analysis* 30(4);
Wartenberg (1985) Multivariate spatial correlation, *Geographical Analysis* 17(4).
"""

from __future__ import annotations

import numpy as np

from geodti.errors import MethodError

from ._common import Result, as_matrix, constant_columns, matrices, norm_cdf, norm_sf, s012
from ._localcore import local_core
from ._permutation import DEFAULT_SEED, Permutations, SimPool, add_sim_summary, permuted_linear, permuted_quadratic

__all__ = ["Moran", "MoranBV", "MoranLocal", "MoranLocalBV", "moran_differential"]


def moran_sims(Y, W):
    """The map from permuted quadratic forms ``q`` of the centred columns of ``Y`` to simulated I."""
    n = Y.shape[0]
    Z = Y - Y.mean(axis=0)
    z2ss = (Z * Z).sum(axis=0)
    s0 = s012(W)[0]
    return lambda q, r=None: n / s0 * q / z2ss


def moran_arrays(Y, W, perms, *, alternative="directed", two_tailed=True, keep=False, q=None) -> dict:
    """Moran's I of every column of ``Y`` under weights ``W`` (esda's ``Moran``).

    ``q`` optionally holds precomputed permuted quadratic forms of the centred columns
    (:func:`~geodti.spatial._permutation.permuted_quadratic`), shared with Geary's C, or a
    :class:`~geodti.spatial._permutation.SimPool` of simulated I pooled block by block
    (:func:`moran_sims`).
    """
    n, V = Y.shape
    Z = Y - Y.mean(axis=0)
    z2ss = (Z * Z).sum(axis=0)
    if (z2ss == 0).any():
        raise MethodError("Moran's I is undefined for a variable that is constant across units")
    s0, s1, s2 = s012(W)
    I = n / s0 * (Z * (W @ Z)).sum(axis=0) / z2ss
    EI = -1.0 / (n - 1)
    n2 = n * n
    s02 = s0 * s0
    VI_norm = (n2 * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - EI**2
    k = ((Z**4).sum(axis=0) / n) / ((Z**2).sum(axis=0) / n) ** 2
    A = n * ((n2 - 3 * n + 3) * s1 - n * s2 + 3 * s02)
    B = k * ((n2 - n) * s1 - 2 * n * s2 + 6 * s02)
    VI_rand = (A - B) / ((n - 1) * (n - 2) * (n - 3) * s02) - EI * EI
    z_norm = (I - EI) / np.sqrt(VI_norm)
    z_rand = (I - EI) / np.sqrt(VI_rand)
    p_norm = np.where(z_norm > 0, norm_sf(z_norm), norm_cdf(z_norm))
    p_rand = np.where(z_norm > 0, norm_sf(z_rand), norm_cdf(z_rand))
    if two_tailed:
        p_norm = p_norm * 2.0
        p_rand = p_rand * 2.0
    out = {
        "I": I, "EI": np.full(V, EI), "VI_norm": np.full(V, VI_norm), "seI_norm": np.full(V, np.sqrt(VI_norm)),
        "z_norm": z_norm, "p_norm": p_norm, "VI_rand": VI_rand, "seI_rand": np.sqrt(VI_rand),
        "z_rand": z_rand, "p_rand": p_rand, "n": n, "s0": s0, "s1": s1, "s2": s2,
    }
    P = perms.shape[0]
    if P:
        if q is None:
            q, _ = permuted_quadratic(Z, W, perms)
        add_sim_summary(out, I, q if isinstance(q, SimPool) else moran_sims(Y, W)(q), alternative, "I", keep)
    return out


def moran_bv_arrays(X, Y, W, perms, *, alternative="directed", keep=False) -> dict:
    """Bivariate Moran of columns ``X`` against the spatial lag of ``Y`` (esda's ``Moran_BV``)."""
    n, V = X.shape
    sx = X.std(axis=0, ddof=1)
    sy = Y.std(axis=0, ddof=1)
    if (sx == 0).any() or (sy == 0).any():
        raise MethodError("bivariate Moran is undefined for a constant variable")
    zx = (X - X.mean(axis=0)) / sx
    zy = (Y - Y.mean(axis=0)) / sy
    I = (zx * (W @ zy)).sum(axis=0) / (n - 1.0)
    out = {"I": I, "zx": zx, "zy": zy}
    P = perms.shape[0]
    if P:
        WTzx = W.T @ zx  # zx' W zy_pi = (W' zx) . zy_pi
        sims = np.empty((P, V))
        for v in range(V):
            sims[:, v] = permuted_linear(zy[:, [v]], WTzx[:, v], perms)[:, 0] / (n - 1.0)
        add_sim_summary(out, I, sims, alternative, "I", keep)
    return out


class Moran(Result):
    """Global Moran's I (esda ``Moran``): analytic (normality, randomisation) and permutation inference.

    Parameters
    ----------
    y : array (n,) or (n, V)
    w : Weights or libpysal Graph
    transformation : str
        Weights transformation, row-standardised ``"r"`` by default (as esda).
    permutations : int
    seed : int
    two_tailed : bool
        Analytic p-values two-tailed (default, as esda).
    alternative : str
        Pseudo p-value alternative (esda's ``directed`` by default).
    keep_simulations : bool

    Attributes
    ----------
    I, EI, VI_norm, seI_norm, z_norm, p_norm, VI_rand, seI_rand, z_rand, p_rand,
    p_sim, EI_sim, VI_sim, seI_sim, z_sim, p_z_sim, sim (with keep_simulations),
    n, permutations, seed, alternative
    """

    _fields = ("I",)

    def __init__(self, y, w, transformation="r", permutations=999, seed=DEFAULT_SEED, two_tailed=True,
                 alternative="directed", keep_simulations=False):
        m = matrices(w, transformation)
        Y, one = as_matrix(y, m["n"])
        perms = Permutations(m["n"], permutations, seed)  # drawn chunk by chunk
        self._set(moran_arrays(Y, m["T"], perms, alternative=alternative, two_tailed=two_tailed,
                               keep=keep_simulations), one)
        self.y = y
        self.permutations, self.seed, self.alternative = int(permutations), seed, alternative


class MoranBV(Result):
    """Bivariate Moran's I of ``x`` against the spatial lag of ``y`` (esda ``Moran_BV``).

    Permutation inference only (esda gives no analytic moments): ``y`` is permuted.
    """

    _fields = ("I",)

    def __init__(self, x, y, w, transformation="r", permutations=999, seed=DEFAULT_SEED,
                 alternative="directed", keep_simulations=False):
        m = matrices(w, transformation)
        X, one = as_matrix(x, m["n"], "x")
        Y, _ = as_matrix(y, m["n"], "y")
        if X.shape != Y.shape:
            raise MethodError(f"x and y have different shapes {X.shape} and {Y.shape}")
        perms = Permutations(m["n"], permutations, seed)  # drawn chunk by chunk
        self._set(moran_bv_arrays(X, Y, m["T"], perms, alternative=alternative, keep=keep_simulations), one)
        self.x, self.y = x, y
        self.permutations, self.seed, self.alternative = int(permutations), seed, alternative


def moran_differential(y_before, y_after, w, **kwargs) -> Moran:
    """Differential Moran's I: Moran's I of the change ``y_after - y_before``.

    The spatial autocorrelation of the change between two periods, with the same
    inference as :class:`Moran` (GeoDa's "Differential Moran's I"; Anselin, Syabri and
    Kho 2006, GeoDa: an introduction to spatial data analysis, *Geographical Analysis*
    38(1)).
    """
    a = np.asarray(y_after, float)
    b = np.asarray(y_before, float)
    if a.shape != b.shape:
        raise MethodError(f"the two periods have different shapes {b.shape} and {a.shape}")
    return Moran(a - b, w, **kwargs)


class MoranLocal(Result):
    """Local Moran's I (LISA; esda ``Moran_Local``) with conditional randomisation.

    Parameters
    ----------
    y : array (n,) or (n, V)
    w : Weights or libpysal Graph
        Row-standardised for the statistic (esda's default ``transformation="r"``).
    permutations, seed, alternative, keep_simulations
        As in esda; ``seed`` gives esda's draws (``Moran_Local(..., seed=seed)``).
    progress : bool

    Attributes
    ----------
    Is, q (quadrant labels HH, LH, LL, HL), p_sim, EI_sim, seI_sim, VI_sim, z_sim,
    p_z_sim, EI, VI (total randomisation), EIc, VIc (conditional, Sokal et al. 1998),
    z (standardised y), lag (spatial lag of z), sim (``(P, n)``, with keep_simulations).
    Units without neighbours get NaN (esda reports them as 0 with p_sim = 1/(P+1)).
    """

    _fields = ("Is",)

    def __init__(self, y, w, permutations=999, seed=DEFAULT_SEED, alternative="directed",
                 keep_simulations=False, progress=False):
        m = matrices(w, "o")
        Y, one = as_matrix(y, m["n"])
        if constant_columns(Y).any():
            raise MethodError("local Moran is undefined for a variable that is constant across units")
        res = local_core(Y, m["O"], ("lisa",), permutations=permutations, seed=seed, alternative=alternative,
                         keep_simulations=keep_simulations, progress=progress)["lisa"]
        if "sim" in res:
            res["sim"] = np.moveaxis(res["sim"], -1, 0)
        self._set(res, one)
        self.y = y
        self.n = m["n"]
        self.permutations, self.seed, self.alternative = int(permutations), seed, alternative


class MoranLocalBV(Result):
    """Bivariate local Moran's I (bivariate LISA; esda ``Moran_Local_BV``): ``x`` at each unit
    against the spatial lag of ``y``, with conditional randomisation of ``y``.

    Parameters
    ----------
    x, y : array (n,) or (n, V)
    w : Weights or libpysal Graph
        Row-standardised for the statistic (esda's default ``transformation="r"``).
    permutations, seed, alternative, keep_simulations, progress
        As :class:`MoranLocal`; ``seed`` gives esda's draws.

    Attributes
    ----------
    Is, q (HH: high x, high neighbouring y; LH, LL, HL), p_sim, EI_sim, seI_sim, VI_sim,
    z_sim, p_z_sim, zx, zy (standardised x and y), lag (spatial lag of zy), sim (with
    keep_simulations). Units without neighbours get NaN.

    Reference: Anselin, Syabri and Smirnov (2002) Visualizing multivariate spatial
    correlation with dynamically linked windows.
    """

    _fields = ("Is",)

    def __init__(self, x, y, w, permutations=999, seed=DEFAULT_SEED, alternative="directed",
                 keep_simulations=False, progress=False):
        m = matrices(w, "o")
        X, one = as_matrix(x, m["n"], "x")
        Y, _ = as_matrix(y, m["n"], "y")
        if constant_columns(X).any() or constant_columns(Y).any():
            raise MethodError("bivariate local Moran is undefined for a variable that is constant across units")
        res = local_core(Y, m["O"], ("lisa_bv",), permutations=permutations, seed=seed, alternative=alternative,
                         keep_simulations=keep_simulations, progress=progress, X=X)["lisa_bv"]
        if "sim" in res:
            res["sim"] = np.moveaxis(res["sim"], -1, 0)
        self._set(res, one)
        self.x, self.y = x, y
        self.n = m["n"]
        self.permutations, self.seed, self.alternative = int(permutations), seed, alternative
