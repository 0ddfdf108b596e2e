"""Getis-Ord statistics: global General G and local Gi*, as esda's ``G`` and ``G_Local``.

General G uses binary weights (as esda). Gi* (``star``: the unit itself is in its own
neighbourhood) uses the weights' original values with a self-weight equal to the
diagonal when present, else the largest weight of the row (1 for binary weights):
for binary weights this is esda's ``G_Local(y, w, transform="B", star=True)``. The
analytic z-score is Ord and Getis's (1995, eq. 5) for general weights,

    z_i = (sum_j w_ij x_j - xbar W_i) / (s sqrt((n S1_i - W_i^2) / (n - 1))),

with ``W_i = sum_j w_ij`` and ``S1_i = sum_j w_ij^2`` (``j`` including ``i``). For binary
weights it equals esda's ``Zs``; esda's row-standardised variant (``transform="R"``)
uses ``S1_i = W_i`` and so differs for units with more than one neighbour. Pseudo
p-values and ``z_sim`` do not depend on the row scaling.

References: Getis and Ord (1992) The analysis of spatial association by use of
distance statistics, *Geographical Analysis* 24(3); Ord and Getis (1995) Local spatial
autocorrelation statistics: distributional issues and an application, *Geographical
Analysis* 27(4).
"""

from __future__ import annotations

import numpy as np

from geodti.errors import MethodError

from ._common import Result, as_matrix, constant_columns, matrices, norm_cdf, require_nonnegative, s012
from ._localcore import local_core
from ._permutation import DEFAULT_SEED, Permutations, SimPool, add_sim_summary, permuted_quadratic

__all__ = ["G", "GLOBAL_WINDOWS", "GLocal", "gi_star_values", "gi_star_weights", "gi_star_z"]


def g_sims(Y):
    """The map from permuted quadratic forms ``q`` of ``Y`` to simulated General G."""
    den = Y.sum(axis=0) ** 2 - (Y * Y).sum(axis=0)
    return lambda q, r=None: q / den


def g_arrays(Y, W, perms, *, alternative="directed", keep=False, q=None) -> dict:
    """General G of every column of ``Y`` under binary weights ``W`` (esda's ``G``); ``q``:
    the precomputed :func:`~geodti.spatial._permutation.permuted_quadratic` of ``Y``, or a
    :class:`~geodti.spatial._permutation.SimPool` of simulated G (:func:`g_sims`)."""
    n, V = Y.shape
    require_nonnegative(Y, "General G")
    s0, s1, s2 = s012(W)
    den = Y.sum(axis=0) ** 2 - (Y * Y).sum(axis=0)
    if (den == 0).any():
        raise MethodError("General G is undefined when fewer than two units have non-zero values")
    Gv = (Y * (W @ Y)).sum(axis=0) / den
    n2 = n * n
    s02 = s0 * s0
    EG = s0 / (n * (n - 1))
    b0 = (n2 - 3 * n + 3) * s1 - n * s2 + 3 * s02
    b1 = -1.0 * ((n2 - n) * s1 - 2 * n * s2 + 6 * s02)
    b2 = -1.0 * (2 * n * s1 - (n + 3) * s2 + 6 * s02)
    b3 = 4 * (n - 1) * s1 - 2 * (n + 1) * s2 + 8 * s02
    b4 = s1 - s2 + s02
    y1, y2, y3, y4 = (Y.sum(axis=0), (Y**2).sum(axis=0), (Y**3).sum(axis=0), (Y**4).sum(axis=0))
    EG2 = b0 * y2**2 + b1 * y4 + b2 * y1**2 * y2 + b3 * y1 * y3 + b4 * y1**4
    EG2 = EG2 / (((y1**2 - y2) ** 2) * n * (n - 1) * (n - 2) * (n - 3))
    VG = EG2 - EG**2
    with np.errstate(divide="ignore", invalid="ignore"):
        z_norm = (Gv - EG) / np.sqrt(VG)
    out = {"G": Gv, "EG": np.full(V, EG), "VG": VG, "z_norm": z_norm,
           "p_norm": 1.0 - norm_cdf(np.abs(z_norm)), "n": n}
    P = perms.shape[0]
    if P:
        if q is None:
            q, _ = permuted_quadratic(Y, W, perms)
        add_sim_summary(out, Gv, q if isinstance(q, SimPool) else g_sims(Y)(q), alternative, "G", keep)
    return out


class G(Result):
    """Getis-Ord General G (esda ``G``; binary weights).

    Attributes
    ----------
    G, EG, VG, z_norm, p_norm (one-tailed, as esda), p_sim, EG_sim, seG_sim, VG_sim,
    z_sim, p_z_sim.
    """

    _fields = ("G",)

    def __init__(self, y, w, permutations=999, seed=DEFAULT_SEED, alternative="directed", keep_simulations=False):
        m = matrices(w, "b")
        Y, one = as_matrix(y, m["n"])
        perms = Permutations(m["n"], permutations, seed)  # drawn chunk by chunk
        self._set(g_arrays(Y, m["B"], perms, alternative=alternative, keep=keep_simulations), one)
        self.y = y
        self.permutations, self.seed, self.alternative = int(permutations), seed, alternative


class GLocal(Result):
    """Local Getis-Ord Gi* (esda ``G_Local`` with ``star=True``).

    Attributes
    ----------
    Gs, EGs, VGs, Zs (analytic z, Ord and Getis 1995), p_norm (one-tailed, as esda),
    p_sim, EI_sim, seI_sim, VI_sim (esda's EG_sim, seG_sim, VG_sim are aliases), z_sim,
    p_z_sim, sim (with keep_simulations).
    """

    _fields = ("Gs",)

    def __init__(self, y, w, permutations=999, seed=DEFAULT_SEED, alternative="directed",
                 keep_simulations=False, progress=False):
        m = matrices(w, "o")
        Y, one = as_matrix(y, m["n"])
        require_nonnegative(Y, "Gi*")
        if constant_columns(Y).any():
            raise MethodError("Gi* is undefined for a variable that is constant across units")
        res = local_core(Y, m["O"], ("gi_star",), permutations=permutations, seed=seed,
                         alternative=alternative, keep_simulations=keep_simulations,
                         progress=progress)["gi_star"]
        if "sim" in res:
            res["sim"] = np.moveaxis(res["sim"], -1, 0)
        res["EG_sim"], res["seG_sim"], res["VG_sim"] = res["EI_sim"], res["seI_sim"], res["VI_sim"]
        self._set(res, one)
        self.y = y
        self.permutations, self.seed, self.alternative = int(permutations), seed, alternative


#: Where Gi*'s mean and variance are taken (Esri's "Define Global Window"):
#: ``entire_cube``, every unit in every period (Esri's default); ``individual_time_step``,
#: the units of the bin's own period.
GLOBAL_WINDOWS = ("entire_cube", "individual_time_step")


def gi_star_weights(O):
    """The Gi* neighbourhood of every unit: the original weights with the unit itself
    included (self-weight the diagonal if set, else the row's largest weight, as
    :class:`GLocal`), and which units have neighbours.

    Returns
    -------
    (scipy.sparse.csr_array, numpy.ndarray of bool)
    """
    from scipy import sparse

    O = sparse.csr_array(O, dtype=float)
    n = O.shape[0]
    diag = O.diagonal()
    off = O.copy()
    off.setdiag(0.0)
    off.eliminate_zeros()
    card = np.diff(off.indptr)
    rowmax = np.zeros(n)
    nz = card > 0
    if nz.any():
        rowmax[nz] = np.maximum.reduceat(off.data, off.indptr[:-1][nz])
    return sparse.csr_array(off + sparse.diags(np.where(diag > 0, diag, rowmax))), nz


def gi_star_values(Y: np.ndarray, O) -> np.ndarray:
    """The ratio ``G*_i = sum_j w*_ij x_j / sum_j x_j`` (Ord and Getis 1995) of every unit
    and period of a units x periods matrix; NaN for a unit without neighbours and for a
    period with a negative value (the ratio needs non-negative values)."""
    Y = np.asarray(Y, float)
    Wstar, nz = gi_star_weights(O)
    with np.errstate(divide="ignore", invalid="ignore"):
        G = (Wstar @ Y) / Y.sum(axis=0)
    G[~nz] = np.nan
    G[:, (Y < 0).any(axis=0)] = np.nan
    return G


def gi_star_z(Y: np.ndarray, O, *, global_window: str = "entire_cube") -> np.ndarray:
    """Analytic Gi* z-scores of a units x periods matrix, on one weights matrix.

    Ord and Getis (1995, eq. 5) for every bin ``(i, t)`` with the neighbourhood of
    :class:`GLocal` (the weights' original values, self-weight the diagonal or else the
    row's largest weight) and the mean ``xbar``, standard deviation ``s`` (population) and
    count ``N`` of the global window:

        z_it = (sum_j w_ij x_jt - xbar W_i) / (s sqrt((N S1_i - W_i^2) / (N - 1)))

    ``individual_time_step``: ``xbar``, ``s`` over period ``t``'s ``n`` units (``N = n``),
    which is :class:`GLocal`'s ``Zs`` column by column. ``entire_cube``: over all ``n T``
    values (``N = n T``), as Esri's Emerging Hot Spot Analysis does by default; the
    neighbourhood stays spatial (one time step).

    Parameters
    ----------
    Y : (n, T) array
        Values, one column per period; any sign (the standardised form needs no
        non-negative values, unlike the ratio ``G*``).
    O : (n, n) sparse matrix
        Original weights (``Weights.O``).
    global_window : {"entire_cube", "individual_time_step"}

    Returns
    -------
    (n, T) array
        z-scores; NaN for a unit without neighbours.
    """
    from scipy import sparse

    if global_window not in GLOBAL_WINDOWS:
        raise MethodError(f"global_window must be one of {', '.join(GLOBAL_WINDOWS)}; got {global_window!r}")
    Y = np.asarray(Y, float)
    if Y.ndim != 2 or not np.isfinite(Y).all():
        raise MethodError("Gi* needs a complete units x periods matrix (no NaN)")
    n, T = Y.shape
    Wstar, nz = gi_star_weights(O)
    Wi = np.asarray(Wstar.sum(axis=1)).ravel()[:, None]
    S1i = np.asarray(Wstar.multiply(Wstar).sum(axis=1)).ravel()[:, None]
    if global_window == "entire_cube":
        N, xbar, s = n * T, Y.mean(), Y.std()
    else:
        N, xbar, s = n, Y.mean(axis=0), Y.std(axis=0)
    if np.any(np.asarray(s) == 0):
        raise MethodError("Gi* is undefined for a variable that is constant over its global window")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (Wstar @ Y - xbar * Wi) / (s * np.sqrt((N * S1i - Wi**2) / (N - 1)))
    z[~nz] = np.nan
    return z
