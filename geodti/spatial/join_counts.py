"""Join counts for a binary variable (esda ``Join_Counts``) with Cliff and Ord's analytic moments.

A join is an unordered pair of neighbours (the weights are made binary and symmetric:
``i`` and ``j`` are joined when either lists the other). For ``y`` in {0, 1}
(1 = "black"): ``bb`` joins between two 1s, ``ww`` between two 0s, ``bw`` mixed.

Moments under non-free sampling (randomisation; Cliff and Ord 1981, *Spatial
Processes*, ch. 2), with ``n1`` ones among ``n`` units, ``x^(k) = x (x-1) ... (x-k+1)``
and ``S0``, ``S1``, ``S2`` of the symmetric binary matrix:

    E[BB] = S0 n1^(2) / (2 n^(2))
    Var[BB] = (S1 n1^(2)/n^(2) + (S2 - 2 S1) n1^(3)/n^(3) + (S0^2 + S1 - S2) n1^(4)/n^(4)) / 4 - E[BB]^2
    E[BW] = S0 n1 n2 / n^(2)
    Var[BW] = (2 S1 n1 n2/n^(2) + (S2 - 2 S1) n1 n2 (n1 + n2 - 2)/n^(3)
               + 4 (S0^2 + S1 - S2) n1^(2) n2^(2)/n^(4)) / 4 - E[BW]^2

(checked against exact enumeration in the tests). Permutation p-values follow esda:
``p_sim_bb`` counts simulated BB >= observed (positive autocorrelation) and
``p_sim_bw`` simulated BW >= observed (negative autocorrelation).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from geodti.errors import MethodError

from ._common import Result, as_matrix, matrices, norm_sf, s012
from ._permutation import DEFAULT_SEED, Permutations, permuted_linear, permuted_quadratic, pseudo_p

__all__ = ["JoinCounts"]


def _falling(x, k):
    out = np.ones_like(np.asarray(x, float))
    for j in range(k):
        out = out * (x - j)
    return out


def symmetric_binary(W) -> sparse.csr_array:
    B = sparse.csr_array(W, dtype=float).copy()
    B.setdiag(0)
    B.eliminate_zeros()
    B.data[:] = 1.0
    S = ((B + B.T) > 0).astype(float)
    return sparse.csr_array(S)


def join_count_arrays(Y, W, perms, *, keep=False) -> dict:
    """Join counts of every 0/1 column of ``Y`` (``W`` any weights; made symmetric binary)."""
    n, V = Y.shape
    if not np.isin(Y, (0.0, 1.0)).all():
        raise MethodError("join counts need a binary variable coded 0/1")
    S = symmetric_binary(W)
    s0, s1, s2 = s012(S)
    J = s0 / 2.0
    deg = np.asarray(S.sum(axis=1)).ravel()
    bb = 0.5 * (Y * (S @ Y)).sum(axis=0)
    bw = deg @ Y - 2 * bb
    ww = J - bb - bw
    n1 = Y.sum(axis=0)
    n2 = n - n1
    nn2, nn3, nn4 = _falling(n, 2), _falling(n, 3), _falling(n, 4)
    E_bb = s0 * _falling(n1, 2) / (2 * nn2)
    V_bb = (s1 * _falling(n1, 2) / nn2 + (s2 - 2 * s1) * _falling(n1, 3) / nn3
            + (s0**2 + s1 - s2) * _falling(n1, 4) / nn4) / 4 - E_bb**2
    E_bw = s0 * n1 * n2 / nn2
    V_bw = (2 * s1 * n1 * n2 / nn2 + (s2 - 2 * s1) * n1 * n2 * (n1 + n2 - 2) / nn3
            + 4 * (s0**2 + s1 - s2) * _falling(n1, 2) * _falling(n2, 2) / nn4) / 4 - E_bw**2
    with np.errstate(divide="ignore", invalid="ignore"):
        z_bb = (bb - E_bb) / np.sqrt(V_bb)
        z_bw = (bw - E_bw) / np.sqrt(V_bw)
    out = {
        "bb": bb, "ww": ww, "bw": bw, "J": np.full(V, J), "n1": n1,
        "E_bb": E_bb, "V_bb": V_bb, "z_bb": z_bb, "p_norm_bb": 2 * norm_sf(np.abs(z_bb)),
        "E_bw": E_bw, "V_bw": V_bw, "z_bw": z_bw, "p_norm_bw": 2 * norm_sf(np.abs(z_bw)),
        "autocorr_pos": bb + ww, "autocorr_neg": bw,
    }
    P = perms.shape[0]
    if P:
        q, _ = permuted_quadratic(Y, S, perms)
        sim_bb = 0.5 * q
        sim_bw = permuted_linear(Y, deg, perms) - 2 * sim_bb
        out.update(
            sim_bb=sim_bb if keep else None, sim_bw=sim_bw if keep else None,
            mean_bb=sim_bb.mean(axis=0), mean_bw=sim_bw.mean(axis=0),
            min_bb=sim_bb.min(axis=0), max_bb=sim_bb.max(axis=0),
            min_bw=sim_bw.min(axis=0), max_bw=sim_bw.max(axis=0),
            sd_bb=sim_bb.std(axis=0), sd_bw=sim_bw.std(axis=0),
            p_sim_bb=pseudo_p(bb, sim_bb.T, "greater"),
            p_sim_bw=pseudo_p(bw, sim_bw.T, "greater"),
        )
    return out


class JoinCounts(Result):
    """Join counts (esda ``Join_Counts``) with analytic and permutation inference.

    Attributes
    ----------
    bb, ww, bw, J, autocorr_pos, autocorr_neg, E_bb, V_bb, z_bb, p_norm_bb, E_bw, V_bw,
    z_bw, p_norm_bw (analytic p two-sided), p_sim_bb, p_sim_bw (esda: one-sided,
    simulated >= observed), mean_bb, mean_bw, min/max/sd of the simulations,
    sim_bb, sim_bw (with keep_simulations).
    """

    _fields = ("bb",)

    def __init__(self, y, w, permutations=999, seed=DEFAULT_SEED, keep_simulations=False):
        m = matrices(w, "o")
        Y, one = as_matrix(y, m["n"])
        perms = Permutations(m["n"], permutations, seed)  # drawn chunk by chunk
        res = join_count_arrays(Y, m["O"], perms, keep=keep_simulations)
        self._set({k: v for k, v in res.items() if v is not None}, one)
        self.y = y
        self.permutations, self.seed = int(permutations), seed
