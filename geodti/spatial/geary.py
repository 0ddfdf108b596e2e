"""Geary's C (global) and local Geary, as esda's ``Geary`` and ``Geary_Local``.

References: Geary (1954) The contiguity ratio and statistical mapping, *The
Incorporated Statistician* 5(3); Cliff and Ord (1981) for the moments; Anselin (2019)
A local indicator of multivariate spatial association: extending Geary's c,
*Geographical Analysis* 51(2).
"""

from __future__ import annotations

import numpy as np

from geodti.errors import MethodError

from ._common import Result, as_matrix, constant_columns, matrices, norm_cdf, norm_sf, s012
from ._localcore import local_core
from ._permutation import DEFAULT_SEED, Permutations, SimPool, add_sim_summary, permuted_quadratic

__all__ = ["Geary", "GearyLocal"]


def row_col_sums(W) -> np.ndarray:
    """``w_i. + w_.i`` for every unit (Geary's permuted numerator)."""
    return np.asarray(W.sum(axis=1)).ravel() + np.asarray(W.sum(axis=0)).ravel()


def geary_sims(Y, W):
    """The map from permuted ``(q, r)`` of the centred columns of ``Y`` (``diag_weights``:
    :func:`row_col_sums`) to simulated C."""
    n = Y.shape[0]
    Z = Y - Y.mean(axis=0)
    den = (Z * Z).sum(axis=0) * s012(W)[0] * 2.0
    return lambda q, r: (n - 1) * (r - 2 * q) / den


def geary_arrays(Y, W, perms, *, alternative="directed", keep=False, qr=None) -> dict:
    """Geary's C of every column of ``Y`` (esda's ``Geary``; p_norm/p_rand one-tailed as esda).

    ``qr`` optionally holds the precomputed ``(q, r)`` of
    :func:`~geodti.spatial._permutation.permuted_quadratic` on the centred columns with
    ``diag_weights`` = row + column sums of ``W`` (shared with Moran's I), or a
    :class:`~geodti.spatial._permutation.SimPool` of simulated C (:func:`geary_sims`).
    """
    n, V = Y.shape
    Z = Y - Y.mean(axis=0)
    yss = (Z * Z).sum(axis=0)
    if (yss == 0).any():
        raise MethodError("Geary's C is undefined for a variable that is constant across units")
    s0, s1, s2 = s012(W)
    coo = W.tocoo()
    num = (coo.data[:, None] * (Z[coo.row] - Z[coo.col]) ** 2).sum(axis=0)
    den = yss * s0 * 2.0
    C = (n - 1) * num / den
    s02 = s0 * s0
    k = ((Z**4).sum(axis=0) / n) / ((Z**2).sum(axis=0) / n) ** 2
    n2 = n * n
    A = (n - 1) * s1 * (n2 - 3 * n + 3 - (n - 1) * k)
    B = 0.25 * ((n - 1) * s2 * (n2 + 3 * n - 6 - (n2 - n + 2) * k))
    Cc = s02 * (n2 - 3 - (n - 1) ** 2 * k)
    VC_rand = (A - B + Cc) / (n * (n - 2) * (n - 3) * s02)
    VC_norm = (1 / (2 * (n + 1) * s02)) * ((2 * s1 + s2) * (n - 1) - 4 * s02)
    de = C - 1.0
    z_norm = de / np.sqrt(VC_norm)
    z_rand = de / np.sqrt(VC_rand)
    p_norm = np.where(de > 0, norm_sf(z_norm), norm_cdf(z_norm))
    p_rand = np.where(de > 0, norm_sf(z_rand), norm_cdf(z_rand))
    out = {
        "C": C, "EC": np.ones(V), "VC_norm": np.full(V, VC_norm), "seC_norm": np.full(V, np.sqrt(VC_norm)),
        "z_norm": z_norm, "p_norm": p_norm, "VC_rand": VC_rand, "seC_rand": np.sqrt(VC_rand),
        "z_rand": z_rand, "p_rand": p_rand, "n": n,
    }
    P = perms.shape[0]
    if P:
        if qr is None:
            qr = permuted_quadratic(Z, W, perms, diag_weights=row_col_sums(W))
        add_sim_summary(out, C, qr if isinstance(qr, SimPool) else geary_sims(Y, W)(*qr), alternative, "C", keep)
    return out


class Geary(Result):
    """Global Geary's C (esda ``Geary``; row-standardised weights by default, as esda).

    Attributes
    ----------
    C, EC, VC_norm, seC_norm, z_norm, p_norm, VC_rand, seC_rand, z_rand, p_rand
    (analytic p one-tailed, as esda), p_sim, EC_sim, seC_sim, VC_sim, z_sim, p_z_sim.
    """

    _fields = ("C",)

    def __init__(self, y, w, transformation="r", permutations=999, seed=DEFAULT_SEED,
                 alternative="directed", keep_simulations=False):
        m = matrices(w, transformation)
        Y, one = as_matrix(y, m["n"])
        perms = Permutations(m["n"], permutations, seed)  # drawn chunk by chunk
        self._set(geary_arrays(Y, m["T"], perms, alternative=alternative, keep=keep_simulations), one)
        self.y = y
        self.permutations, self.seed, self.alternative = int(permutations), seed, alternative


class GearyLocal(Result):
    """Local Geary (esda ``Geary_Local``): ``c_i = sum_j w_ij (z_i - z_j)^2``, row-standardised ``w``.

    Attributes
    ----------
    localG, p_sim, EI_sim, seI_sim, VI_sim, z_sim, p_z_sim, z, lag, sim (with
    keep_simulations). Note: esda's ``Geary_Local.fit`` does not pass its ``seed`` to
    the permutation engine (esda 2.8.2); geodti does.
    """

    _fields = ("localG",)

    def __init__(self, y, w, permutations=999, seed=DEFAULT_SEED, alternative="directed",
                 keep_simulations=False, progress=False):
        m = matrices(w, "o")
        Y, one = as_matrix(y, m["n"])
        if constant_columns(Y).any():
            raise MethodError("local Geary is undefined for a variable that is constant across units")
        res = local_core(Y, m["O"], ("local_geary",), permutations=permutations, seed=seed,
                         alternative=alternative, keep_simulations=keep_simulations,
                         progress=progress)["local_geary"]
        if "sim" in res:
            res["sim"] = np.moveaxis(res["sim"], -1, 0)
        self._set(res, one)
        self.y = y
        self.permutations, self.seed, self.alternative = int(permutations), seed, alternative
