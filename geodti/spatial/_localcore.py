"""Local statistics on a ``(n, V)`` matrix in one pass of conditional randomisation.

Each local statistic is a kernel (:class:`Kernel`, registered in
:mod:`geodti.spatial.registry`) on one shared :class:`LocalContext`. Local Moran (LISA),
Getis-Ord Gi* and local Geary share the random lags of the permutation engine: each is an
(affine, for LISA and Gi*) function of the random lag of ``z`` (and of ``z**2`` for local
Geary), so one engine pass serves all of them and every column (period x variable) of a panel.

Definitions follow esda 2.8 (``Moran_Local``, ``G_Local(star=True)``,
``Geary_Local``); see :mod:`geodti.spatial.local` and docs/methods.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from geodti.errors import MethodError
from geodti.labels import QUADRANTS

from ._common import norm_sf
from ._permutation import (
    ALTERNATIVES,
    BLOCK,
    TIE_RTOL,
    RowStructure,
    counts_p,
    exceedance_counts,
    local_draws,
    n_site_visits,
    permutation_blocks,
    progress_bar,
    pseudo_p,
    random_lags,
)

_QUADS = np.array(QUADRANTS, dtype=object)


def _row_sums(M: sparse.csr_array) -> np.ndarray:
    return np.asarray(M.sum(axis=1)).ravel()


def quadrants(z: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Moran scatterplot quadrant labels (HH, LH, LL, HL; zero counts as low, as in esda)."""
    zp = z > 0
    lp = lag > 0
    code = np.where(zp & lp, 0, np.where(~zp & lp, 1, np.where(~zp & ~lp, 2, 3)))
    return _QUADS[code]


@dataclass
class LocalContext:
    """What every local statistic of one ``(n, V)`` matrix on one weights matrix starts from.

    ``O`` original weights (diagonal = self-weights), ``rows`` its off-diagonal rows,
    ``WR`` row-standardised ``O``, ``Z`` the columns standardised (population sd),
    ``lagZ = WR @ Z``, ``nanmask`` True for units without neighbours; ``Zx`` the standardised
    columns of a second matrix ``X`` for bivariate statistics (``X`` column ``j`` against the lag
    of ``Y`` column ``j``; the permutation engine draws the lags of ``Y``), else None.
    """

    Y: np.ndarray
    O: sparse.csr_array
    diag: np.ndarray
    rows: RowStructure
    off: sparse.csr_array
    card: np.ndarray
    isolate: np.ndarray
    o_sum: np.ndarray
    inv_r: np.ndarray
    WR: sparse.csr_array
    ybar: np.ndarray
    sdev: np.ndarray
    Z: np.ndarray
    z2ss: np.ndarray
    lagZ: np.ndarray
    nanmask: np.ndarray
    Zx: np.ndarray | None = None

    @classmethod
    def build(cls, Y: np.ndarray, O, X: np.ndarray | None = None) -> LocalContext:
        n, V = Y.shape
        O = sparse.csr_array(O, dtype=float)
        rows = RowStructure.from_matrix(O)
        off = sparse.csr_array((rows.data, rows.indices, rows.indptr), shape=(n, n))
        card = rows.cardinality
        isolate = card == 0
        r = _row_sums(O)  # incl. self-weight
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_r = np.where(r > 0, 1.0 / r, 0.0)
        WR = sparse.csr_array(sparse.diags(inv_r) @ O)
        ybar = Y.mean(axis=0)
        sdev = Y.std(axis=0)
        if (sdev == 0).any():
            raise MethodError("local statistics need a variable that is not constant across units")
        Z = (Y - ybar) / sdev
        Zx = None
        if X is not None:
            if X.shape != Y.shape:
                raise MethodError(f"x and y have different shapes {X.shape} and {Y.shape}")
            sx = X.std(axis=0)
            if (sx == 0).any():
                raise MethodError("local statistics need a variable that is not constant across units")
            Zx = (X - X.mean(axis=0)) / sx
        return cls(Zx=Zx, Y=Y, O=O, diag=O.diagonal(), rows=rows, off=off, card=card, isolate=isolate,
                   o_sum=_row_sums(off), inv_r=inv_r, WR=WR, ybar=ybar, sdev=sdev, Z=Z,
                   z2ss=(Z * Z).sum(axis=0), lagZ=WR @ Z, nanmask=np.broadcast_to(isolate[:, None], (n, V)))


@dataclass
class Kernel:
    """One local statistic computed on a :class:`LocalContext`.

    ``attrs``: esda-named ``(n, V)`` arrays; ``observed``: what the permutation test compares.
    Conditional randomisation, when the statistic supports it, is either affine in the random
    lag ``L`` of ``z`` (``simulated = alpha + beta * scale * L``, counted without copies) or
    ``simulate(i, vs, lags, scale)``, giving unit ``i``'s ``(len(vs), P)`` simulated values from
    the random lags of ``z`` (and of ``z**2`` when ``squares``).
    """

    attrs: dict[str, np.ndarray]
    observed: np.ndarray
    alpha: np.ndarray | None = None
    beta: np.ndarray | None = None
    simulate: Callable | None = None
    squares: bool = False

    @property
    def permutable(self) -> bool:
        return self.alpha is not None or self.simulate is not None


def lisa_kernel(c: LocalContext) -> Kernel:
    """Local Moran ``I_i`` (esda ``Moran_Local``) with its analytic moments."""
    n, V = c.Y.shape
    Z = c.Z
    k = (n - 1) / c.z2ss
    Is = k * Z * c.lagZ
    m2 = c.z2ss / n
    wi = _row_sums(c.WR)[:, None]
    wi2 = _row_sums(c.WR.multiply(c.WR))[:, None]
    m4 = (Z**4).sum(axis=0) / n
    b2 = m4 / m2**2
    n1 = n - 1
    VI = wi2 * (n - b2) / n1 + (wi**2 - wi2) * (2 * b2 - n) / (n1 * (n - 2)) - (-wi / n1) ** 2
    attrs = {
        "Is": np.where(c.nanmask, np.nan, Is),
        "q": np.where(c.nanmask, "", quadrants(Z, c.lagZ)),
        "EI": np.broadcast_to(-wi / n1, (n, V)).copy(),
        "VI": VI,
        "EIc": -(Z**2 * wi) / (n1 * m2),
        "VIc": (Z / m2) ** 2 * (n / (n - 2)) * (wi2 - wi**2 / n1) * (m2 - Z**2 / n1),
        "z": Z,
        "lag": c.lagZ,
    }
    # sim = k z_i (L_i / r_i + d_i z_i / r_i)
    return Kernel(attrs, Is, alpha=k * Z**2 * (c.diag * c.inv_r)[:, None], beta=k * Z * c.inv_r[:, None])


def lisa_bv_kernel(c: LocalContext) -> Kernel:
    """Bivariate local Moran ``I_i = (n-1)/n zx_i [W zy]_i`` (esda ``Moran_Local_BV``).

    Conditional randomisation keeps ``x_i`` at unit ``i`` and permutes the other units'
    ``y`` values (esda's draws), so the simulated value is affine in the random lag of ``zy``.
    """
    if c.Zx is None:
        raise MethodError("bivariate local Moran needs two variables (x against the lag of y)")
    n, V = c.Y.shape
    Zx = c.Zx
    k = (n - 1) / (Zx * Zx).sum(axis=0)
    Is = k * Zx * c.lagZ
    attrs = {
        "Is": np.where(c.nanmask, np.nan, Is),
        "q": np.where(c.nanmask, "", quadrants(Zx, c.lagZ)),
        "zx": Zx,
        "zy": c.Z,
        "lag": c.lagZ,
    }
    # sim = k zx_i (L_i / r_i + d_i zy_i / r_i)
    return Kernel(attrs, Is, alpha=k * Zx * c.Z * (c.diag * c.inv_r)[:, None], beta=k * Zx * c.inv_r[:, None])


def gi_star_kernel(c: LocalContext) -> Kernel:
    """Getis-Ord ``G*_i`` (esda ``G_Local(star=True)``) with Ord and Getis's analytic z."""
    n, V = c.Y.shape
    Y, rows, card = c.Y, c.rows, c.card
    rowmax = np.zeros(n)
    nz = card > 0
    rowmax[nz] = np.maximum.reduceat(rows.data, rows.indptr[:-1][nz]) if nz.any() else rowmax[nz]
    dstar = np.where(c.diag > 0, c.diag, rowmax)
    Wstar = sparse.csr_array(c.off + sparse.diags(dstar))
    ysum = Y.sum(axis=0)
    ysum = np.where(ysum == 0, np.nan, ysum)  # undefined; callers report variables with negative values
    G = (Wstar @ Y) / ysum
    Wi = _row_sums(Wstar)[:, None]
    S1i = _row_sums(Wstar.multiply(Wstar))[:, None]
    s2 = (Y**2).mean(axis=0) - c.ybar**2
    EG = Wi / n
    with np.errstate(divide="ignore", invalid="ignore"):
        VG = (n * S1i - Wi**2) / (n - 1) / n**2 * s2 / c.ybar**2
        Zs = (G - EG) / np.sqrt(VG)
    attrs = {
        "Gs": np.where(c.nanmask, np.nan, G),
        "EGs": np.broadcast_to(EG, (n, V)).copy(),
        "VGs": np.broadcast_to(VG, (n, V)).copy(),
        "Zs": np.where(c.nanmask, np.nan, Zs),
        "p_norm": np.where(c.nanmask, np.nan, norm_sf(np.abs(Zs))),
    }
    # sim = (d*_i y_i + ybar O_i + sd * L_i) / sum(y)
    return Kernel(attrs, G, alpha=(dstar[:, None] * Y + c.ybar * c.o_sum[:, None]) / ysum,
                  beta=np.broadcast_to(c.sdev / ysum, (n, V)))


def local_geary_kernel(c: LocalContext) -> Kernel:
    """Local Geary ``c_i`` (esda ``Geary_Local``) on row-standardised weights."""
    n, V = c.Y.shape
    Z = c.Z
    coo = c.WR.tocoo()
    contrib = coo.data[:, None] * (Z[coo.row] - Z[coo.col]) ** 2
    localG = np.zeros((n, V))
    np.add.at(localG, coo.row, contrib)

    def simulate(i, vs, lags, scale):
        zi = Z[i, vs]
        return (zi[:, None] ** 2 * c.o_sum[i] - 2 * zi[:, None] * scale * lags[0] + scale * lags[1]) * c.inv_r[i]

    attrs = {"localG": np.where(c.nanmask, np.nan, localG), "z": Z, "lag": c.lagZ}
    return Kernel(attrs, localG, simulate=simulate, squares=True)


def local_core(
    Y: np.ndarray,
    O: sparse.csr_array,
    statistics=None,
    *,
    permutations: int,
    seed: int,
    alternative: str = "directed",
    keep_simulations: bool = False,
    draws: np.ndarray | None = None,
    progress: bool = False,
    X: np.ndarray | None = None,
    executor=None,
    column_groups: list[slice] | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Compute the requested local statistics for every column of ``Y``.

    Parameters
    ----------
    Y : (n, V) array
        Complete data, one column per period x variable.
    O : (n, n) sparse matrix
        Original (untransformed) weights; each statistic's kernel says how it uses them
        (LISA and local Geary row-standardise, Gi* adds a self-weight: the diagonal when
        present, else the row's largest weight, 1 for binary weights).
    statistics : iterable of names in :data:`geodti.spatial.registry.LOCAL_STATISTICS`
        Default: the registry's default statistics.
    permutations, seed, alternative, keep_simulations
        Conditional randomisation settings (``permutations=0`` skips it; statistics whose
        kernel gives no simulation get NaN pseudo p-values).
    draws : (P, K) array, optional
        Precomputed :func:`~geodti.spatial._permutation.local_draws`, used as one block.
        Default: each permutation block draws its own (the same numbers, block by block).
    progress : bool
        Show a rich progress bar (blocks computed in this process).
    executor : Executor or dask.distributed.Client, optional
        Where the permutation blocks run (:func:`geodti.spatial.executor.executor_for`);
        default this process. The results are identical wherever they run.
    column_groups : list of slice, optional
        Columns computed together, one chunk per group and permutation block (e.g. one
        period's variables; :func:`~geodti.spatial.local.local_statistics` groups by
        period). Default: all columns in one group.
    X : (n, V) array, optional
        The other variable of bivariate statistics (column ``j`` against the spatial lag of
        ``Y`` column ``j``); the univariate statistics ignore it.

    Returns
    -------
    dict
        ``{statistic: {attribute: (n, V) array}}``.
    """
    from .registry import DEFAULT_LOCAL_STATISTICS, LOCAL_STATISTICS, check_local_statistics

    statistics = check_local_statistics(DEFAULT_LOCAL_STATISTICS if statistics is None else statistics)
    if alternative not in ALTERNATIVES:
        raise MethodError(f"alternative must be one of {', '.join(ALTERNATIVES)}; got '{alternative}'")
    n, V = Y.shape
    ctx = LocalContext.build(Y, O, X)
    rows, card, nanmask = ctx.rows, ctx.card, ctx.nanmask
    kernels = {s: LOCAL_STATISTICS[s].kernel(ctx) for s in statistics}
    out: dict[str, dict[str, np.ndarray]] = {s: k.attrs for s, k in kernels.items()}

    P = int(permutations)
    permuted = [s for s in statistics if kernels[s].permutable]
    for s in statistics:
        o = out[s]
        o["p_sim"] = np.full((n, V), np.nan)
        o["EI_sim"] = np.full((n, V), np.nan)
        o["seI_sim"] = np.full((n, V), np.nan)
    if P and permuted:
        K = int(card.max(initial=0))
        shared = LocalShared(Y, O, tuple(permuted), X)
        shared.prime(ctx, {s: kernels[s] for s in permuted})
        settings = (alternative, bool(keep_simulations))
        groups = [slice(0, V)] if column_groups is None else list(column_groups)
        if keep_simulations:
            for s in permuted:
                out[s]["sim"] = np.full((n, V, P), np.nan)
        stack = contextlib.ExitStack()  # the progress bar, open while the chunks are computed
        if draws is not None:
            if draws.shape[0] != P or draws.shape[1] < K:
                raise MethodError(f"shared draws have shape {draws.shape}; need ({P}, >={K})")
            parts = (shared.simulate(draws, *settings, columns=g) for g in groups)
        else:
            from .executor import executor_for

            ex = executor_for(executor)
            blocks = [b for b, _, _ in permutation_blocks(P)]
            # block-major: a worker reuses one block's draws for the column groups it gets
            tasks = [(seed, P, b, g.start, g.stop, *settings) for b in blocks for g in groups]
            if ex.in_process:
                widths = sum(n_site_visits(rows, g.stop - g.start, min(P, BLOCK), q=shared.n_columns)
                             for g in groups)
                advance = stack.enter_context(progress_bar(progress, widths * len(blocks), "conditional permutations"))
                parts = (local_block(shared, t, advance) for t in tasks)
            else:
                parts = ex.imap(local_block, shared, tasks, what="local statistics")
        # pooled as the chunks come, in block order: one chunk's partial results held at a time
        pools = [{s: BlockPool(kernels[s].observed[:, g], P, alternative, keep_simulations) for s in permuted}
                 for g in groups]
        with stack:
            for t, part in enumerate(parts):
                for s in permuted:
                    pools[t % len(groups)][s].add(part[s])
                del part
        for j, g in enumerate(groups):
            for s in permuted:
                o = out[s]
                for key, value in pools[j][s].result().items():
                    o[key][:, g] = value
        for s in permuted:
            o = out[s]
            obs = kernels[s].observed
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
    for s in statistics:
        o = out[s]
        if "z_sim" not in o:
            o["z_sim"] = np.full((n, V), np.nan)
            o["p_z_sim"] = np.full((n, V), np.nan)
            o["VI_sim"] = np.full((n, V), np.nan)
        o["cardinality"] = np.broadcast_to(card[:, None], (n, V))
    return out


class LocalShared:
    """What every permutation block of one ``(n, V)`` matrix on one weights matrix needs.

    Shipped once to each worker (scattered); the context and kernels are rebuilt there on
    first use and kept for the worker's later blocks (never pickled).
    """

    def __init__(self, Y: np.ndarray, O, statistics: tuple[str, ...], X: np.ndarray | None = None):
        self.Y, self.O, self.statistics = Y, sparse.csr_array(O, dtype=float), tuple(statistics)
        self.X = X  # the other variable of bivariate statistics
        self._built = None
        self._draws = None  # (key, draws) of the last block drawn here

    def __getstate__(self):
        return {"Y": self.Y, "O": self.O, "statistics": self.statistics, "X": self.X, "_built": None,
                "_draws": None}

    def prime(self, ctx: LocalContext, kernels: dict) -> None:
        self._built = (ctx, kernels)

    def built(self) -> tuple[LocalContext, dict]:
        if self._built is None:
            from .registry import LOCAL_STATISTICS

            ctx = LocalContext.build(self.Y, self.O, self.X)
            self._built = (ctx, {s: LOCAL_STATISTICS[s].kernel(ctx) for s in self.statistics})
        return self._built

    @property
    def n_columns(self) -> int:
        """Matrices the engine lags: ``z``, and ``z**2`` when a kernel needs it."""
        _, kernels = self.built()
        return 2 if any(k.squares for k in kernels.values()) else 1

    def draws(self, seed: int, P: int, block: int) -> np.ndarray:
        """Block ``block``'s draws, kept for the next chunk of the same block."""
        ctx, _ = self.built()
        key = (seed, P, block)
        if self._draws is None or self._draws[0] != key:
            self._draws = (key, local_draws(ctx.Y.shape[0], P, seed, int(ctx.card.max(initial=0)), block=block))
        return self._draws[1]

    def simulate(self, draws: np.ndarray, alternative: str, keep: bool, advance=None,
                 columns: slice | None = None) -> dict:
        """Per statistic: ``EI_sim``, ``seI_sim``, the counts ``n_ge``, ``n_le`` (counting
        alternatives) and the simulated values ``sim`` (kept, or needed by the alternative)
        of the permutations in ``draws``, for ``columns`` (default all), as ``(n, width)``."""
        ctx, kernels = self.built()
        n = ctx.Y.shape[0]
        cs = slice(0, ctx.Y.shape[1]) if columns is None else columns
        c0, V = cs.start, cs.stop - cs.start
        P = draws.shape[0]
        counting = alternative in ("directed", "greater", "lesser")
        keep_sims = keep or not counting
        res = {}
        for s in self.statistics:
            r = {"size": P, "EI_sim": np.full((n, V), np.nan), "seI_sim": np.full((n, V), np.nan)}
            if counting:
                r["n_ge"] = np.zeros((n, V), dtype=np.int64)
                r["n_le"] = np.zeros((n, V), dtype=np.int64)
            if keep_sims:
                r["sim"] = np.full((n, V, P), np.nan)
            res[s] = r
        Z = ctx.Z[:, cs]
        cols = [Z, Z * Z] if self.n_columns == 2 else [Z]
        for i, vs, lags, scale in random_lags(cols, ctx.rows, draws, progress=advance):
            fs = slice(c0 + vs.start, c0 + vs.stop)  # the same columns in the whole matrix
            L = lags[0]
            # row by row (numpy's pairwise sum of each row): a column's numbers do not depend
            # on how many columns are computed together, so any chunking gives the same bits
            sumL = L.sum(axis=1)
            meanL = sumL / P
            # one pass: the lags are sums of standardised values, so no cancellation to fear
            sdL = np.sqrt(np.maximum((L * L).sum(axis=1) / P - meanL * meanL, 0.0))
            for s in self.statistics:
                kern = kernels[s]
                o = res[s]
                obs = kern.observed[i, fs]
                if kern.alpha is None:
                    sims = kern.simulate(i, fs, lags, scale)
                    if counting:
                        o["n_ge"][i, vs], o["n_le"][i, vs] = exceedance_counts(obs, sims)
                    o["EI_sim"][i, vs] = sims.mean(axis=1)
                    o["seI_sim"][i, vs] = sims.std(axis=1)
                    if keep_sims:
                        o["sim"][i, vs] = sims
                    continue
                alpha = kern.alpha[i, fs]
                beta = kern.beta[i, fs] * scale
                o["EI_sim"][i, vs] = alpha + beta * meanL
                o["seI_sim"][i, vs] = np.abs(beta) * sdL
                if keep_sims:
                    sims = alpha[:, None] + beta[:, None] * L
                    o["sim"][i, vs] = sims
                    if counting:
                        o["n_ge"][i, vs], o["n_le"][i, vs] = exceedance_counts(obs, sims)
                elif counting:
                    o["n_ge"][i, vs], o["n_le"][i, vs] = _affine_counts(L, obs, alpha, beta, P, meanL, sdL)
        return res


def local_block(shared: LocalShared, task: tuple, advance=None) -> dict:
    """One chunk of conditional randomisation: permutation block ``b`` of columns ``start:stop``.

    ``task`` is ``(seed, permutations, b, start, stop, alternative, keep)``; the draws depend
    on ``(seed, b)`` only (:func:`~geodti.spatial._permutation.local_draws`).
    """
    seed, P, b, start, stop, alternative, keep = task
    return shared.simulate(shared.draws(seed, P, b), alternative, keep, advance, columns=slice(start, stop))


class BlockPool:
    """The partial results of one column group's permutation blocks, pooled in block order.

    One block is taken as it is (:func:`combine_blocks`: esda's numbers up to 10,000
    permutations). From the second block on, each block is folded in when it comes: counts
    added, the mean as the block-size-weighted sum over blocks, the squared deviations by
    Chan et al.'s pairwise merge; a block's arrays are not kept (simulated values only when
    ``keep`` or the alternative needs them).
    """

    def __init__(self, observed: np.ndarray, P: int, alternative: str, keep: bool):
        self.observed, self.P, self.alternative, self.keep = observed, P, alternative, keep
        self.first = None  # block 0 while it is the only one
        self.size = 0
        self.total = self.mean = self.m2 = self.n_ge = self.n_le = None
        self.sims: list[np.ndarray] = []

    def add(self, part: dict) -> None:
        """Fold in the next block's partial results (:meth:`LocalShared.simulate`)."""
        if self.first is None and self.size == 0:
            self.first = part
            return
        if self.first is not None:
            first, self.first = self.first, None
            self._fold(first)
        self._fold(part)

    def _fold(self, part: dict) -> None:
        m = part["size"]
        mean = part["EI_sim"]
        m2 = m * part["seI_sim"] ** 2
        if self.size == 0:
            self.total, self.mean, self.m2 = m * mean, mean, m2
            self.n_ge, self.n_le = part.get("n_ge"), part.get("n_le")
        else:
            N = self.size
            delta = mean - self.mean
            self.total = self.total + m * mean
            self.mean = self.mean + delta * (m / (N + m))
            self.m2 = self.m2 + m2 + delta * delta * (N * m / (N + m))
            if self.n_ge is not None:
                self.n_ge, self.n_le = self.n_ge + part["n_ge"], self.n_le + part["n_le"]
        if "sim" in part:
            self.sims.append(part["sim"])
        self.size += m

    def result(self) -> dict:
        """``p_sim``, ``EI_sim``, ``seI_sim`` (and ``sim`` when ``keep``) of the pooled blocks."""
        if self.size == 0:
            return combine_blocks([self.first], self.observed, self.P, self.alternative, self.keep)
        out = {"EI_sim": self.total / self.P, "seI_sim": np.sqrt(self.m2 / self.P)}
        sims = np.concatenate(self.sims, axis=2) if self.sims else None
        if self.alternative in ("directed", "greater", "lesser"):
            out["p_sim"] = counts_p(self.n_ge, self.n_le, self.P, self.alternative)
        else:
            p = np.full(self.observed.shape, np.nan)
            done = ~np.isnan(sims[..., 0])
            if done.any():
                p[done] = pseudo_p(self.observed[done], sims[done], self.alternative)
            out["p_sim"] = p
        if self.keep:
            out["sim"] = sims
        return out


def combine_blocks(parts: list[dict], observed: np.ndarray, P: int, alternative: str, keep: bool) -> dict:
    """``p_sim``, ``EI_sim``, ``seI_sim`` (and ``sim`` when ``keep``) from the blocks, in block order.

    One block is taken as it is (esda's numbers up to 10,000 permutations); several are
    pooled: counts added, means weighted by block size, variances by the parallel formula.
    """
    if len(parts) == 1:
        EI, se = parts[0]["EI_sim"], parts[0]["seI_sim"]
    else:
        sizes = [part["size"] for part in parts]
        EI = sum(m * part["EI_sim"] for m, part in zip(sizes, parts, strict=True)) / P
        var = sum(m * (part["seI_sim"] ** 2 + (part["EI_sim"] - EI) ** 2)
                  for m, part in zip(sizes, parts, strict=True)) / P
        se = np.sqrt(var)
    out = {"EI_sim": EI, "seI_sim": se}
    sims = None
    if "sim" in parts[0]:
        sims = parts[0]["sim"] if len(parts) == 1 else np.concatenate([part["sim"] for part in parts], axis=2)
    if alternative in ("directed", "greater", "lesser"):
        n_ge = sum(part["n_ge"] for part in parts)
        n_le = sum(part["n_le"] for part in parts)
        out["p_sim"] = counts_p(n_ge, n_le, P, alternative)
    else:
        p = np.full(observed.shape, np.nan)
        done = ~np.isnan(sims[..., 0]) if P else np.zeros(observed.shape, bool)
        if done.any():
            p[done] = pseudo_p(observed[done], sims[done], alternative)
        out["p_sim"] = p
    if keep:
        out["sim"] = sims
    return out


def _affine_counts(L: np.ndarray, obs, alpha, beta, P: int, meanL, sdL) -> tuple[np.ndarray, np.ndarray]:
    """Counts of ``alpha + beta * L`` at least as large / small as ``obs``, by counting on ``L``
    (no simulated copy).

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
    # sim >= obs - tol: L >= t - tol (beta > 0) or L <= t + tol = P - #(L >= next(t + tol)) (beta < 0)
    c = count_ge(np.where(pos, lo, hi_next))
    n_ge = np.where(zero, ge0, np.where(pos, c, P - c))
    c = count_ge(np.where(pos, hi_next, lo))
    n_le = np.where(zero, le0, np.where(pos, P - c, c))
    return n_ge, n_le
