"""Local statistics on a ``(n, V)`` matrix in one pass of conditional randomisation.

Local Moran (LISA), Getis-Ord Gi* and local Geary share the random lags of the
permutation engine: each is an (affine, for LISA and Gi*) function of the random lag
of ``z`` (and of ``z**2`` for local Geary), so one engine pass serves all three and
every column (period x variable) of a panel.

Definitions follow esda 2.8 (``Moran_Local``, ``G_Local(star=True)``,
``Geary_Local``); see :mod:`geodti.spatial.local` and docs/methods.md.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from geodti.errors import MethodError

from ._common import norm_sf
from ._permutation import (
    ALTERNATIVES,
    TIE_RTOL,
    RowStructure,
    local_draws,
    n_site_visits,
    progress_bar,
    pseudo_p,
    random_lags,
)

LOCAL_STATISTICS = ("lisa", "gi_star", "local_geary")
_QUADS = np.array(["HH", "LH", "LL", "HL"], dtype=object)


def _row_sums(M: sparse.csr_array) -> np.ndarray:
    return np.asarray(M.sum(axis=1)).ravel()


def quadrants(z: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Moran scatterplot quadrant labels (HH, LH, LL, HL; zero counts as low, as in esda)."""
    zp = z > 0
    lp = lag > 0
    code = np.where(zp & lp, 0, np.where(~zp & lp, 1, np.where(~zp & ~lp, 2, 3)))
    return _QUADS[code]


def local_core(
    Y: np.ndarray,
    O: sparse.csr_array,
    statistics=LOCAL_STATISTICS,
    *,
    permutations: int,
    seed: int,
    alternative: str = "directed",
    keep_simulations: bool = False,
    draws: np.ndarray | None = None,
    progress: bool = False,
) -> dict[str, dict[str, np.ndarray]]:
    """Compute the requested local statistics for every column of ``Y``.

    Parameters
    ----------
    Y : (n, V) array
        Complete data, one column per period x variable.
    O : (n, n) sparse matrix
        Original (untransformed) weights; LISA and local Geary use its row-standardised
        form, Gi* uses it with a self-weight (the diagonal when present, else the row's
        largest weight: 1 for binary weights).
    statistics : iterable of {"lisa", "gi_star", "local_geary"}
    permutations, seed, alternative, keep_simulations
        Conditional randomisation settings (``permutations=0`` skips it).
    draws : (P, K) array, optional
        Precomputed :func:`~geodti.spatial._permutation.local_draws` (shared across calls).
    progress : bool
        Show a rich progress bar.

    Returns
    -------
    dict
        ``{statistic: {attribute: (n, V) array}}``.
    """
    statistics = tuple(statistics)
    bad = [s for s in statistics if s not in LOCAL_STATISTICS]
    if bad:
        raise MethodError(f"unknown local statistic(s) {bad}; use {', '.join(LOCAL_STATISTICS)}")
    if alternative not in ALTERNATIVES:
        raise MethodError(f"alternative must be one of {', '.join(ALTERNATIVES)}; got '{alternative}'")
    n, V = Y.shape
    O = sparse.csr_array(O, dtype=float)
    diag = O.diagonal()
    rows = RowStructure.from_matrix(O)
    off = sparse.csr_array((rows.data, rows.indices, rows.indptr), shape=(n, n))
    card = rows.cardinality
    isolate = card == 0
    r = _row_sums(O)  # incl. self-weight
    o_sum = _row_sums(off)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_r = np.where(r > 0, 1.0 / r, 0.0)
    WR = sparse.csr_array(sparse.diags(inv_r) @ O)

    ybar = Y.mean(axis=0)
    sdev = Y.std(axis=0)
    if (sdev == 0).any():
        raise MethodError("local statistics need a variable that is not constant across units")
    Z = (Y - ybar) / sdev
    z2ss = (Z * Z).sum(axis=0)
    lagZ = WR @ Z
    nanmask = np.broadcast_to(isolate[:, None], (n, V))

    out: dict[str, dict[str, np.ndarray]] = {}
    specs: dict[str, dict] = {}
    if "lisa" in statistics:
        c = (n - 1) / z2ss
        Is = c * Z * lagZ
        m2 = z2ss / n
        wi = _row_sums(WR)[:, None]
        wi2 = _row_sums(WR.multiply(WR))[:, None]
        m4 = (Z**4).sum(axis=0) / n
        b2 = m4 / m2**2
        n1 = n - 1
        VI = wi2 * (n - b2) / n1 + (wi**2 - wi2) * (2 * b2 - n) / (n1 * (n - 2)) - (-wi / n1) ** 2
        out["lisa"] = {
            "Is": np.where(nanmask, np.nan, Is),
            "q": np.where(nanmask, "", quadrants(Z, lagZ)),
            "EI": np.broadcast_to(-wi / n1, (n, V)).copy(),
            "VI": VI,
            "EIc": -(Z**2 * wi) / (n1 * m2),
            "VIc": (Z / m2) ** 2 * (n / (n - 2)) * (wi2 - wi**2 / n1) * (m2 - Z**2 / n1),
            "z": Z,
            "lag": lagZ,
        }
        # sim = c z_i (L_i / r_i + d_i z_i / r_i)
        specs["lisa"] = {"obs": Is, "alpha": c * Z**2 * (diag * inv_r)[:, None], "beta": c * Z * inv_r[:, None]}
    if "gi_star" in statistics:
        rowmax = np.zeros(n)
        nz = card > 0
        rowmax[nz] = np.maximum.reduceat(rows.data, rows.indptr[:-1][nz]) if nz.any() else rowmax[nz]
        dstar = np.where(diag > 0, diag, rowmax)
        Wstar = sparse.csr_array(off + sparse.diags(dstar))
        ysum = Y.sum(axis=0)
        ysum = np.where(ysum == 0, np.nan, ysum)  # undefined; callers report variables with negative values
        G = (Wstar @ Y) / ysum
        Wi = _row_sums(Wstar)[:, None]
        S1i = _row_sums(Wstar.multiply(Wstar))[:, None]
        s2 = (Y**2).mean(axis=0) - ybar**2
        EG = Wi / n
        with np.errstate(divide="ignore", invalid="ignore"):
            VG = (n * S1i - Wi**2) / (n - 1) / n**2 * s2 / ybar**2
            Zs = (G - EG) / np.sqrt(VG)
        out["gi_star"] = {
            "Gs": np.where(nanmask, np.nan, G),
            "EGs": np.broadcast_to(EG, (n, V)).copy(),
            "VGs": np.broadcast_to(VG, (n, V)).copy(),
            "Zs": np.where(nanmask, np.nan, Zs),
            "p_norm": np.where(nanmask, np.nan, norm_sf(np.abs(Zs))),
        }
        # sim = (d*_i y_i + ybar O_i + sd * L_i) / sum(y)
        specs["gi_star"] = {
            "obs": G,
            "alpha": (dstar[:, None] * Y + ybar * o_sum[:, None]) / ysum,
            "beta": np.broadcast_to(sdev / ysum, (n, V)),
        }
    if "local_geary" in statistics:
        coo = WR.tocoo()
        contrib = coo.data[:, None] * (Z[coo.row] - Z[coo.col]) ** 2
        localG = np.zeros((n, V))
        np.add.at(localG, coo.row, contrib)
        out["local_geary"] = {"localG": np.where(nanmask, np.nan, localG), "z": Z, "lag": lagZ}
        specs["local_geary"] = {"obs": localG}

    P = int(permutations)
    for s in statistics:
        o = out[s]
        o["p_sim"] = np.full((n, V), np.nan)
        o["EI_sim"] = np.full((n, V), np.nan)
        o["seI_sim"] = np.full((n, V), np.nan)
        if keep_simulations and P:
            o["sim"] = np.full((n, V, P), np.nan)
    if P:
        K = int(card.max(initial=0))
        if draws is None:
            draws = local_draws(n, P, seed, K)
        elif draws.shape[0] != P or draws.shape[1] < K:
            raise MethodError(f"shared draws have shape {draws.shape}; need ({P}, >={K})")
        need_sq = "local_geary" in statistics
        cols = [Z, Z * Z] if need_sq else [Z]
        counts_only = alternative in ("directed", "greater", "lesser") and not keep_simulations
        ones = np.ones(P)
        total = n_site_visits(rows, V, P, q=len(cols))
        with progress_bar(progress, total, "conditional permutations") as advance:
            for i, vs, lags, scale in random_lags(cols, rows, draws, progress=advance):
                L = lags[0]
                sumL = L @ ones
                meanL = sumL / P
                # one pass: the lags are sums of standardised values, so no cancellation to fear
                sdL = np.sqrt(np.maximum(np.einsum("vp,vp->v", L, L) / P - meanL * meanL, 0.0))
                for s in statistics:
                    if s == "local_geary":
                        continue
                    sp = specs[s]
                    obs = sp["obs"][i, vs]
                    alpha = sp["alpha"][i, vs]
                    beta = sp["beta"][i, vs] * scale
                    o = out[s]
                    o["EI_sim"][i, vs] = alpha + beta * meanL
                    o["seI_sim"][i, vs] = np.abs(beta) * sdL
                    if counts_only:
                        o["p_sim"][i, vs] = _affine_p(L, obs, alpha, beta, P, alternative, meanL, sdL)
                    else:
                        sims = alpha[:, None] + beta[:, None] * L
                        o["p_sim"][i, vs] = pseudo_p(obs, sims, alternative)
                        if keep_simulations:
                            o["sim"][i, vs] = sims
                if need_sq:
                    L2 = lags[1]
                    zi = Z[i, vs]
                    sims = (zi[:, None] ** 2 * o_sum[i] - 2 * zi[:, None] * scale * L + scale * L2) * inv_r[i]
                    o = out["local_geary"]
                    obs = specs["local_geary"]["obs"][i, vs]
                    o["p_sim"][i, vs] = pseudo_p(obs, sims, alternative)
                    o["EI_sim"][i, vs] = sims.mean(axis=1)
                    o["seI_sim"][i, vs] = sims.std(axis=1)
                    if keep_simulations:
                        o["sim"][i, vs] = sims
        for s in statistics:
            o = out[s]
            obs = specs[s]["obs"]
            se = o["seI_sim"]
            with np.errstate(divide="ignore", invalid="ignore"):
                z = (obs - o["EI_sim"]) / se
            degenerate = se == 0
            o["z_sim"] = np.where(degenerate | nanmask, np.nan, z)
            # all simulated values equal the observed one (e.g. z_i = 0): no evidence, p = 1
            o["p_sim"] = np.where(degenerate, 1.0, o["p_sim"])
            o["p_sim"] = np.where(nanmask, np.nan, o["p_sim"])
            o["p_z_sim"] = norm_sf(np.abs(o["z_sim"]))
            o["VI_sim"] = se * se
    else:
        for s in statistics:
            o = out[s]
            o["z_sim"] = np.full((n, V), np.nan)
            o["p_z_sim"] = np.full((n, V), np.nan)
            o["VI_sim"] = np.full((n, V), np.nan)
    for s in statistics:
        out[s]["cardinality"] = np.broadcast_to(card[:, None], (n, V))
    return out


def _affine_p(L: np.ndarray, obs, alpha, beta, P: int, alternative: str, meanL, sdL) -> np.ndarray:
    """Pseudo p of ``alpha + beta * L`` against ``obs`` by counting on ``L`` (no simulated copy).

    With ``t = (obs - alpha) / beta``, ``sim >= obs`` is ``L >= t`` for ``beta > 0`` and
    ``L <= t`` for ``beta < 0``. Simulated values within :data:`TIE_RTOL` of the observed
    one are ties and count on both sides (see :func:`~geodti.spatial._permutation.pseudo_p`).
    """
    pos = beta > 0
    zero = ~((beta > 0) | (beta < 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (obs - alpha) / beta
        tol = TIE_RTOL * (np.abs(t) + np.abs(meanL) + sdL)
    lo = np.where(zero, np.inf, t - tol)
    hi_next = np.where(zero, np.inf, np.nextafter(t + tol, np.inf))

    def count_ge(thr):
        return (L >= thr[:, None]).sum(axis=1)

    # degenerate rows (beta == 0): every simulated value equals alpha
    s_tol = TIE_RTOL * (np.abs(obs) + np.abs(alpha))
    ge0 = np.where(alpha >= obs - s_tol, P, 0)
    le0 = np.where(alpha <= obs + s_tol, P, 0)
    if alternative in ("directed", "greater"):
        # sim >= obs - tol: L >= t - tol (beta > 0) or L <= t + tol = P - #(L >= next(t + tol)) (beta < 0)
        c = count_ge(np.where(pos, lo, hi_next))
        n_ge = np.where(zero, ge0, np.where(pos, c, P - c))
    if alternative in ("directed", "lesser"):
        c = count_ge(np.where(pos, hi_next, lo))
        n_le = np.where(zero, le0, np.where(pos, P - c, c))
    if alternative == "greater":
        return (n_ge + 1.0) / (P + 1.0)
    if alternative == "lesser":
        return (n_le + 1.0) / (P + 1.0)
    return (np.minimum(n_ge, n_le) + 1.0) / (P + 1.0)
