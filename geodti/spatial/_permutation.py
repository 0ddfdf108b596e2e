"""Permutation engine: one set of draws for a whole panel, vectorised NumPy, bounded memory.

Chunks and the meaning of a seed
--------------------------------
The work of a permutation test is split into chunks: (weights, columns, permutation
block), a column being one period x variable. The ``P`` permutations are cut into
blocks of :data:`BLOCK` (10,000) in order; block ``b``'s draws come from a stream that
depends only on ``(seed, b)`` (:func:`block_stream`): block 0 is NumPy's legacy
``RandomState(seed)``, the stream esda draws from after ``np.random.seed(seed)``, and a
later block ``b`` is a ``RandomState`` on an MT19937 seeded by
``np.random.SeedSequence(seed, spawn_key=(b,))``. A chunk therefore draws the same
numbers wherever it runs (this process, other local processes, a Dask worker:
:mod:`geodti.spatial.executor`), every executor runs the same chunk function on the same
inputs, and the partial results are combined in block order, so the results are
identical, bit for bit, on one process and on a cluster.

Up to 10,000 permutations (one block; geodti's default is 9,999) the draws are esda's
for the same seed, which is what the esda equality tests check: with the same seed,
geodti and esda draw the same permutations and give the same pseudo p-values. Above
10,000, blocks 1, 2, ... continue with their own streams, where esda would continue its
one stream: the reference distribution is an equally valid random sample, but not esda's
draws, and the comparison with esda becomes distributional (tests/test_permutation.py).

Per block, the engine keeps counts (simulated values at least as large / small as the
observed one), sums and squared deviations, never the simulated values themselves (unless
asked, or for the ``two-sided`` and ``folded`` alternatives, which need the whole
distribution); draws are generated a bounded number of rows at a time. The blocks are
pooled as they come, in block order (:class:`SimPool` for a global statistic, one block's
``(B, V)`` simulated values at a time; ``_localcore.BlockPool`` for the local ones), so
memory does not grow with ``P``. Ties (a simulated value within :data:`TIE_RTOL` of the
observed one) are judged against the mean and spread of the block's simulated values.

Draws
-----
Within a block, both kinds of draws reproduce esda's for the same seed, using NumPy's legacy
``RandomState`` (Mersenne Twister; its stream is frozen by NumPy's compatibility
policy, so a seed gives the same draws on every NumPy version):

* global statistics (Moran, Geary, G, bivariate Moran, join counts): ``P`` full
  permutations ``RandomState(seed).permutation(n)``, in order. esda's global classes
  call ``np.random.permutation(y)`` ``P`` times, so after ``np.random.seed(seed)``
  they draw exactly these permutations;
* local statistics (conditional randomisation): a ``(P, K)`` matrix whose row ``p`` is
  ``RandomState(seed).permutation(n - 1)[:K]``, which is what ``esda.crand`` draws
  with ``np.random.choice(n - 1, K, replace=False)`` under numba after
  ``np.random.seed(seed)`` (numba implements ``choice`` without replacement as
  ``permutation(n)[:size]`` to match NumPy). Row ``p`` gives the random neighbours
  of every unit ``i`` in permutation ``p``: draw ``j`` stands for the ``j``-th unit of
  the data with ``i`` removed, paired with ``i``'s neighbours in matrix order.

The same draws serve every period, variable, statistic and weights matrix of a
panel, which is what makes a 9-quarter x 4-index panel cost about one run.

Conditional randomisation
-------------------------
For unit ``i`` with ``k`` neighbours, permutation ``p`` gives the random lag
``L_i[p] = sum_m w_im z_(i)[ids[p, m]]``. For rows whose weights are all equal
(contiguity, kNN, distance band, block) the lags of all units with the same ``k`` are
obtained by one sweep over ``i``: start from ``z[ids + 1]`` (the data with unit 0
removed) and, moving from ``i`` to ``i + 1``, correct only the draws equal to ``i``.
That costs ``O(P * V)`` per unit instead of ``O(P * k * V)``. Other rows gather
their ``k`` neighbours directly, or, when ``k`` is large (inverse distance,
economic weights), multiply a ``(P, n)`` placement matrix by the data (BLAS).
Only one unit's ``(V, P)`` lags exist at a time (chunked over columns to a memory
budget); simulated values are kept only when asked.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from geodti import defaults
from geodti.errors import MethodError

__all__ = [
    "ALTERNATIVES",
    "BLOCK",
    "DEFAULT_SEED",
    "Permutations",
    "PermutationBudgetError",
    "SimPool",
    "PermutationBudgetWarning",
    "check_permutation_budget",
    "global_permutations",
    "local_draws",
    "min_pseudo_p",
    "block_stream",
    "exceedance_counts",
    "permutation_blocks",
    "permutations_needed",
    "pseudo_p",
]

#: Default seed of every permutation test (written into every table): :data:`geodti.defaults.SEED`.
DEFAULT_SEED = defaults.SEED
#: Alternatives of esda's ``calculate_significance``.
ALTERNATIVES = ("directed", "two-sided", "greater", "lesser", "folded")
#: Simulated values within this relative distance of the observed value are ties.
TIE_RTOL = 1e-9
#: Permutations per block of draws (part of what a seed means: see the module docstring).
BLOCK = 10_000
_MEMORY_BUDGET = 64 * 2**20  # bytes for one block of simulated values
_DIRECT_MAX_K = 24  # above this, non-uniform rows use the BLAS placement product


class PermutationBudgetWarning(UserWarning):
    """Too few permutations for the chosen correction and alpha."""


class PermutationBudgetError(MethodError):
    """Too few permutations for the chosen correction and alpha (``on_budget="raise"``)."""


# --------------------------------------------------------------------------------------
# Draws
# --------------------------------------------------------------------------------------
def _check_seed(seed) -> int:
    if seed is None:
        raise MethodError("a seed is required (an integer); the seed is written into every output table")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise MethodError(f"seed must be an integer in [0, 2**32), got {seed}")
    return seed


def _check_permutations(permutations) -> int:
    p = int(permutations)
    if p < 0:
        raise MethodError(f"permutations must be >= 0, got {permutations}")
    return p


def permutation_blocks(permutations: int) -> list[tuple[int, int, int]]:
    """``(block, start, stop)`` of each block of :data:`BLOCK` permutations, in order."""
    P = _check_permutations(permutations)
    return [(b, start, min(P, start + BLOCK)) for b, start in enumerate(range(0, P, BLOCK))]


def block_stream(seed: int, block: int) -> np.random.RandomState:
    """The random stream of permutation block ``block`` (esda's ``RandomState(seed)`` for block 0)."""
    seed = _check_seed(seed)
    if block == 0:
        return np.random.RandomState(seed)
    return np.random.RandomState(np.random.MT19937(np.random.SeedSequence(seed, spawn_key=(int(block),))))


class Permutations:
    """Global draws: ``P`` permutations of ``range(n)`` for ``seed``, generated when iterated.

    ``blocks`` restricts them to some permutation blocks (a chunk of work). Iterating
    with :meth:`chunks` holds at most ``rows`` permutations at a time, so no ``(P, n)``
    matrix exists; :meth:`array` builds it (small ``P`` only).
    """

    def __init__(self, n: int, permutations: int, seed: int, blocks=None):
        self.n = int(n)
        self.permutations = _check_permutations(permutations)
        self.seed = _check_seed(seed)
        every = permutation_blocks(self.permutations)
        self.blocks = every if blocks is None else [every[b] for b in blocks]
        self.dtype = np.int16 if n < 2**15 else np.int32

    @property
    def shape(self) -> tuple[int, int]:
        return (sum(stop - start for _, start, stop in self.blocks), self.n)

    def block(self, b: int) -> Permutations:
        """The draws of block ``b`` alone."""
        return Permutations(self.n, self.permutations, self.seed, blocks=[b])

    def chunks(self, rows: int) -> Iterator[np.ndarray]:
        """``(c, n)`` arrays of at most ``rows`` permutations, block after block."""
        for b, start, stop in self.blocks:
            rs = block_stream(self.seed, b)
            for s0 in range(start, stop, rows):
                c = min(rows, stop - s0)
                out = np.empty((c, self.n), dtype=self.dtype)
                for p in range(c):
                    out[p] = rs.permutation(self.n)
                yield out

    def array(self) -> np.ndarray:
        parts = list(self.chunks(BLOCK))
        return np.concatenate(parts) if parts else np.empty((0, self.n), dtype=self.dtype)


def global_permutations(n: int, permutations: int, seed: int) -> np.ndarray:
    """``(P, n)`` permutations of ``range(n)`` (esda's global draws for ``seed`` up to :data:`BLOCK`)."""
    return Permutations(n, permutations, seed).array()


def local_draws(n: int, permutations: int, seed: int, k: int, block: int | None = None) -> np.ndarray:
    """``(P, k)`` conditional-randomisation draws over ``n - 1`` other units (esda's for ``seed``
    up to :data:`BLOCK` permutations); ``block``: that permutation block's rows only."""
    seed = _check_seed(seed)
    permutations = _check_permutations(permutations)
    if not 0 <= k <= n - 1:
        raise MethodError(f"cannot draw {k} neighbours from {n - 1} other units")
    blocks = permutation_blocks(permutations)
    if block is not None:
        blocks = [blocks[block]]
    out = np.empty((sum(stop - start for _, start, stop in blocks), k), dtype=np.int32)
    row = 0
    for b, start, stop in blocks:
        rs = block_stream(seed, b)
        for _ in range(stop - start):
            out[row] = rs.permutation(n - 1)[:k]
            row += 1
    return out


# --------------------------------------------------------------------------------------
# Pseudo p-values (esda.significance semantics)
# --------------------------------------------------------------------------------------
def pseudo_p(observed: np.ndarray, sims: np.ndarray, alternative: str = "directed") -> np.ndarray:
    """Pseudo p-values of ``observed`` (shape ``(m,)``) against ``sims`` (shape ``(m, P)``).

    Same definitions as ``esda.significance.calculate_significance``:
    ``directed`` (esda's and GeoDa's default: ``(min(#>=, #<=) + 1) / (P + 1)``, one-sided
    in the direction of the observed value), ``greater``, ``lesser``, ``two-sided``
    (esda's percentile construction) and ``folded``.

    Ties: for ``directed``, ``greater`` and ``lesser`` a simulated value within
    ``TIE_RTOL * (|observed| + |mean| + sd)`` of the observed value counts as "at least
    as extreme" on both sides. Without ties this is esda's value exactly; with ties
    (a unit with one neighbour drawing that neighbour, rounded data) esda's answer
    depends on floating-point rounding and geodti's is the conservative one.
    """
    if alternative not in ALTERNATIVES:
        raise MethodError(f"alternative must be one of {', '.join(ALTERNATIVES)}; got '{alternative}'")
    sims = np.atleast_2d(sims)
    observed = np.asarray(observed, float).reshape(sims.shape[0])
    P = sims.shape[1]
    if alternative in ("directed", "greater", "lesser"):
        n_ge, n_le = exceedance_counts(observed, sims)
        return counts_p(n_ge, n_le, P, alternative)
    if alternative == "folded":
        means = sims.mean(axis=1, keepdims=True)
        return ((np.abs(sims - means) >= np.abs(observed[:, None] - means)).sum(axis=1) + 1.0) / (P + 1.0)
    # two-sided, as esda: the percentile of the observed value, its mirror, count outside
    pct = (sims <= observed[:, None]).mean(axis=1) * 100
    p_low = np.minimum(pct, 100 - pct)
    lows = np.array([np.percentile(s, q) for s, q in zip(sims, p_low, strict=True)])
    highs = np.array([np.percentile(s, 100 - q) for s, q in zip(sims, p_low, strict=True)])
    outside = (sims <= lows[:, None]).sum(axis=1) + (sims >= highs[:, None]).sum(axis=1)
    return (outside + 1.0) / (P + 1.0)


def exceedance_counts(observed: np.ndarray, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Simulated values at least as large, and at least as small, as the observed one (ties
    within :data:`TIE_RTOL` of the spread count on both sides); ``sims`` has shape ``(m, P)``."""
    tol = TIE_RTOL * (np.abs(observed) + np.abs(sims.mean(axis=1)) + sims.std(axis=1))
    n_ge = (sims >= (observed - tol)[:, None]).sum(axis=1)
    n_le = (sims <= (observed + tol)[:, None]).sum(axis=1)
    return n_ge, n_le


def counts_p(n_ge, n_le, P: int, alternative: str) -> np.ndarray:
    """Pseudo p-value of the counting alternatives (``directed``, ``greater``, ``lesser``)."""
    k = {"directed": np.minimum(n_ge, n_le), "greater": n_ge, "lesser": n_le}[alternative]
    return (k + 1.0) / (P + 1.0)


def min_pseudo_p(permutations: int, alternative: str = "directed") -> float:
    """Smallest pseudo p-value ``P`` permutations can give (``3/(P+1)`` for esda's two-sided)."""
    P = int(permutations)
    if P <= 0:
        return 1.0
    return (3.0 if alternative == "two-sided" else 1.0) / (P + 1.0)


def permutations_needed(n_tests: int, alpha: float, correction: str, alternative: str = "directed") -> int:
    """Smallest ``P`` whose minimum pseudo p reaches the per-test threshold.

    ``none``: ``alpha``; ``bonferroni`` and ``fdr``: ``alpha / n_tests`` (for FDR this is
    what a single significant unit among ``n_tests`` needs; BH can reject with fewer
    permutations only when several units share the smallest p-value).
    """
    threshold = alpha if correction == "none" else alpha / max(int(n_tests), 1)
    c = 3.0 if alternative == "two-sided" else 1.0
    # c / (P + 1) <= threshold  <=>  P >= c / threshold - 1
    return max(int(np.ceil(c / threshold - 1 - 1e-9)), 1)


def check_permutation_budget(
    n_tests: int,
    permutations: int,
    alpha: float,
    correction: str,
    alternative: str = "directed",
    on_budget: str = "warn",
    context: str = "",
) -> str | None:
    """Warn (or raise) when ``P`` permutations cannot reach the corrected significance level.

    Parameters
    ----------
    n_tests : int
        Units tested together (one map: one period x variable x statistic).
    permutations, alpha, correction, alternative
        As in the local statistics; ``correction`` in ``none``, ``fdr``, ``bonferroni``.
    on_budget : {"warn", "raise", "ignore"}
    context : str
        Prefix for the message (e.g. the statistic).

    Returns
    -------
    str or None
        The message, when the budget is insufficient.
    """
    if on_budget not in ("warn", "raise", "ignore"):
        raise MethodError(f"on_budget must be 'warn', 'raise' or 'ignore'; got '{on_budget}'")
    if correction not in ("none", "fdr", "bonferroni"):
        raise MethodError(f"correction must be 'none', 'fdr' or 'bonferroni'; got '{correction}'")
    if not 0 < alpha < 1:
        raise MethodError(f"alpha must lie in (0, 1), got {alpha}")
    pmin = min_pseudo_p(permutations, alternative)
    threshold = alpha if correction == "none" else alpha / max(int(n_tests), 1)
    if pmin <= threshold + 1e-15:
        return None
    need = permutations_needed(n_tests, alpha, correction, alternative)
    if correction == "bonferroni" or correction == "none":
        msg = (
            f"{context}{permutations} permutations give a smallest pseudo p of {pmin:.3g}, above the "
            f"{correction} threshold {threshold:.3g} (alpha={alpha} over {n_tests} units): no unit can be "
            f"significant; use at least {need} permutations"
        )
    else:
        k = int(np.ceil(pmin * n_tests / alpha - 1e-9))
        msg = (
            f"{context}{permutations} permutations give a smallest pseudo p of {pmin:.3g}; under FDR at "
            f"alpha={alpha} over {n_tests} units a unit is significant only if at least {k} units share that "
            f"smallest p-value, so isolated clusters cannot be detected; use at least {need} permutations"
        )
    if on_budget == "raise":
        raise PermutationBudgetError(msg)
    if on_budget == "warn":
        warnings.warn(msg, PermutationBudgetWarning, stacklevel=3)
    return msg


# --------------------------------------------------------------------------------------
# Progress (rich), off unless asked
# --------------------------------------------------------------------------------------
@contextlib.contextmanager
def progress_bar(enabled: bool, total: int, description: str):
    """Yield ``advance(k)``; a rich progress bar when ``enabled``, else a no-op."""
    if not enabled or total <= 0:
        yield lambda k=1: None
        return
    from rich.progress import BarColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}", BarColumn(), "{task.completed}/{task.total}",
        TimeElapsedColumn(), TimeRemainingColumn(), transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda k=1: bar.advance(task, k)


# --------------------------------------------------------------------------------------
# Global statistics: permuted quadratic forms
# --------------------------------------------------------------------------------------
def _chunk_rows(n: int, width: int, budget: int = _MEMORY_BUDGET) -> int:
    return max(1, min(4096, budget // max(1, 8 * n * width * 3)))


def permuted_quadratic(
    X: np.ndarray, W, perms: np.ndarray, *, diag_weights: np.ndarray | None = None, progress=None
) -> tuple[np.ndarray, np.ndarray | None]:
    """``q[p, v] = x_pv' W x_pv`` with ``x_pv = X[perms[p], v]`` (and ``sum_i a_i x_pv[i]^2``).

    Parameters
    ----------
    X : (n, V) array
    W : (n, n) sparse or dense matrix
    perms : (P, n) int array or Permutations
        Permutations are generated chunk by chunk (no ``(P, n)`` matrix).
    diag_weights : (n,) array, optional
        When given, also return ``r[p, v] = sum_i a_i x_pv[i]^2`` (Geary's row+column sums).
    """
    n, V = X.shape
    P = perms.shape[0]
    if sparse.issparse(W):
        W = sparse.csr_array(W)
        # dense weights (inverse distance, economic): a BLAS product beats the sparse one
        Wm = W.toarray() if W.nnz > 0.2 * n * n else W
    else:
        Wm = np.asarray(W)
    q = np.empty((P, V))
    r = np.empty((P, V)) if diag_weights is not None else None
    start = 0
    for block in _perm_chunks(perms, _chunk_rows(n, V)):
        c = block.shape[0]
        Xp = X[block.T]  # (n, c, V): rows of unit i under each permutation
        flat = Xp.reshape(n, c * V)
        L = Wm @ flat
        q[start : start + c] = np.einsum("ij,ij->j", flat, L).reshape(c, V)
        if r is not None:
            r[start : start + c] = (diag_weights @ (flat * flat)).reshape(c, V)
        if progress is not None:
            progress(c)
        start += c
    return q, r


def permuted_linear(X: np.ndarray, a: np.ndarray, perms: np.ndarray) -> np.ndarray:
    """``s[p, v] = sum_i a_i X[perms[p, i], v]`` (bivariate Moran, join-count degrees);
    ``perms`` a ``(P, n)`` array or :class:`Permutations`."""
    n, V = X.shape
    P = perms.shape[0]
    out = np.empty((P, V))
    start = 0
    for block in _perm_chunks(perms, _chunk_rows(n, V)):
        out[start : start + block.shape[0]] = np.einsum("i,ciV->cV", a, X[block])
        start += block.shape[0]
    return out


def _perm_chunks(perms, rows: int) -> Iterator[np.ndarray]:
    """Rows of a ``(P, n)`` array or of :class:`Permutations`, at most ``rows`` at a time."""
    if isinstance(perms, Permutations):
        yield from perms.chunks(rows)
        return
    for start in range(0, perms.shape[0], rows):
        yield perms[start : start + rows]


def sim_summary(observed: np.ndarray, sims: np.ndarray, alternative: str) -> dict[str, np.ndarray]:
    """esda's simulation attributes for global statistics: p_sim, mean, sd, z_sim, p_z_sim.

    ``observed`` has shape ``(V,)`` and ``sims`` ``(P, V)``.
    """
    from ._common import norm_sf

    P = sims.shape[0]
    if P == 0:
        nan = np.full(observed.shape, np.nan)
        return {"p_sim": nan, "mean": nan, "sd": nan, "z_sim": nan, "p_z_sim": nan}
    p = pseudo_p(observed, sims.T, alternative)
    mean = sims.sum(axis=0) / P
    sd = sims.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (observed - mean) / sd
    z = np.where(sd > 0, z, np.nan)
    p = np.where(sd > 0, p, 1.0)  # degenerate reference distribution: no evidence
    return {"p_sim": p, "mean": mean, "sd": sd, "z_sim": z, "p_z_sim": norm_sf(np.abs(z))}


class SimPool:
    """A global statistic's simulated values, pooled block by block in block order.

    One block (up to :data:`BLOCK` permutations) is summarised as :func:`sim_summary` does
    (the same numbers). From the second block on, each block leaves only its size, mean,
    squared deviations and exceedance counts (ties judged against the block's mean and
    spread, as the local statistics' are); the simulated values themselves are kept only
    when ``keep`` or when the alternative (``two-sided``, ``folded``) needs them all.
    """

    def __init__(self, observed: np.ndarray, alternative: str, keep: bool = False):
        self.observed = np.asarray(observed, float)
        self.alternative = alternative
        self.keep = keep or alternative not in ("directed", "greater", "lesser")
        self.size = 0
        self.total = None  # sum of block size x block mean, in block order
        self.mean = None  # running mean and sum of squared deviations (Chan et al.'s merge)
        self.m2 = None
        self.n_ge = self.n_le = None
        self.first = None  # block 0's values while it is the only block
        self.kept: list[np.ndarray] = []

    def add(self, sims: np.ndarray) -> None:
        """Pool the ``(P_b, V)`` simulated values of the next block."""
        if sims.shape[0] == 0:
            return
        if self.keep:
            self.kept.append(sims)
        if self.size == 0 and self.first is None:
            self.first = sims  # summarised whole if no other block follows
            return
        if self.first is not None:  # a second block: block 0 is reduced to its summary
            first, self.first = self.first, None
            self._fold(first)
        self._fold(sims)

    def _fold(self, sims: np.ndarray) -> None:
        m = sims.shape[0]
        mean = sims.sum(axis=0) / m
        m2 = sims.var(axis=0) * m
        n_ge, n_le = exceedance_counts(self.observed, sims.T)
        if self.size == 0:
            self.total, self.mean, self.m2, self.n_ge, self.n_le = m * mean, mean, m2, n_ge, n_le
        else:
            N = self.size
            delta = mean - self.mean
            self.total = self.total + m * mean
            self.mean = self.mean + delta * (m / (N + m))
            self.m2 = self.m2 + m2 + delta * delta * (N * m / (N + m))
            self.n_ge, self.n_le = self.n_ge + n_ge, self.n_le + n_le
        self.size += m

    def sims(self) -> np.ndarray:
        """All simulated values (kept ones only)."""
        return np.concatenate(self.kept) if self.kept else np.empty((0, self.observed.size))

    def summary(self) -> dict[str, np.ndarray]:
        """:func:`sim_summary` of the pooled blocks."""
        if self.size == 0:
            first = self.first if self.first is not None else np.empty((0, self.observed.size))
            return sim_summary(self.observed, first, self.alternative)
        from ._common import norm_sf

        P = self.size
        mean = self.total / P
        sd = np.sqrt(self.m2 / P)
        if self.alternative in ("directed", "greater", "lesser"):
            p = counts_p(self.n_ge, self.n_le, P, self.alternative)
        else:
            p = pseudo_p(self.observed, self.sims().T, self.alternative)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (self.observed - mean) / sd
        z = np.where(sd > 0, z, np.nan)
        p = np.where(sd > 0, p, 1.0)
        return {"p_sim": p, "mean": mean, "sd": sd, "z_sim": z, "p_z_sim": norm_sf(np.abs(z))}


def add_sim_summary(out: dict, observed, sims, alternative: str, letter: str, keep: bool) -> None:
    """Store :func:`sim_summary` in a global statistic's result under esda's names for the
    statistic ``letter`` (``I``: ``p_sim, EI_sim, seI_sim, VI_sim, z_sim, p_z_sim``; ``C``,
    ``G`` likewise), and the draws as ``sim`` when ``keep``. ``sims``: a ``(P, V)`` array
    or a filled :class:`SimPool`."""
    if isinstance(sims, SimPool):
        sm = sims.summary()
        if keep:
            out["sim"] = sims.sims()
        sims, keep = None, False
    else:
        sm = sim_summary(observed, sims, alternative)
    out.update({"p_sim": sm["p_sim"], f"E{letter}_sim": sm["mean"], f"se{letter}_sim": sm["sd"],
                f"V{letter}_sim": sm["sd"] ** 2, "z_sim": sm["z_sim"], "p_z_sim": sm["p_z_sim"]})
    if keep:
        out["sim"] = sims


# --------------------------------------------------------------------------------------
# Conditional randomisation: random lags unit by unit
# --------------------------------------------------------------------------------------
@dataclass
class RowStructure:
    """Neighbours of every unit, self-weights removed (CSR order, as esda pairs draws with them)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    cardinality: np.ndarray
    uniform: np.ndarray  # rows whose weights are all equal

    @classmethod
    def from_matrix(cls, W) -> RowStructure:
        m = sparse.csr_array(W, dtype=float).copy()
        m.setdiag(0)
        m.eliminate_zeros()
        m.sort_indices()
        card = np.diff(m.indptr)
        uniform = np.zeros(m.shape[0], dtype=bool)
        for i in np.flatnonzero(card > 0):
            row = m.data[m.indptr[i] : m.indptr[i + 1]]
            uniform[i] = bool(np.all(row == row[0]))
        return cls(m.indptr, m.indices, m.data, card, uniform)


def random_lags(
    columns: list[np.ndarray],
    rows: RowStructure,
    draws: np.ndarray,
    *,
    budget: int | None = None,
    progress=None,
) -> Iterator[tuple[int, slice, list[np.ndarray], float]]:
    """Yield ``(i, column_slice, lags, scale)`` for every unit with neighbours.

    ``columns`` holds one or two ``(n, V)`` matrices (e.g. ``z`` and ``z**2``); ``lags``
    holds, for each, a ``(Vc, P)`` array ``L`` such that the random lag of unit ``i``
    in permutation ``p`` is ``scale * L[v, p]``. Arrays are reused between yields:
    consume them before advancing.
    """
    n, V = columns[0].shape
    P, K = draws.shape
    card = rows.cardinality
    if card.max(initial=0) > K:
        raise MethodError(f"draws have {K} columns but a unit has {card.max()} neighbours")
    q = len(columns)
    vc = _column_chunk(V, P, q, budget)
    uniform_k = np.unique(card[rows.uniform])
    other = np.flatnonzero(~rows.uniform & (card > 0))
    ar = np.arange(P)
    for v0 in range(0, V, vc):
        vs = slice(v0, min(V, v0 + vc))
        Zt = [np.ascontiguousarray(c[:, vs].T) for c in columns]  # (Vc, n)
        D = [z[:, 1:] - z[:, :-1] for z in Zt]  # z[j+1] - z[j]
        # ---- uniform rows: one sweep per cardinality; base = sum of the first k draws for i = 0
        base = [np.zeros((z.shape[0], P)) for z in Zt]
        k_done = 0
        for k in uniform_k:
            for m in range(k_done, k):
                col = draws[:, m] + 1
                for b, z in zip(base, Zt, strict=True):
                    b += z[:, col]
            k_done = k
            sites = np.flatnonzero(rows.uniform & (card == k))
            S = [b.copy() for b in base]
            flat = draws[:, :k].ravel()
            order = np.argsort(flat, kind="stable")
            rows_sorted = (order // k).astype(np.int64)
            bounds = np.searchsorted(flat[order], np.arange(n))
            cur = 0
            for i in sites:
                for j in range(cur, i):
                    r = rows_sorted[bounds[j] : bounds[j + 1]]
                    if r.size:
                        for s_, d in zip(S, D, strict=True):
                            s_[:, r] -= d[:, j : j + 1]
                cur = i
                w = rows.data[rows.indptr[i]]
                yield int(i), vs, S, float(w)
                if progress is not None:
                    progress(1)
        # ---- rows with unequal weights
        M = None
        for i in other:
            lo, hi = rows.indptr[i], rows.indptr[i + 1]
            w = rows.data[lo:hi]
            k = hi - lo
            idx = draws[:, :k]
            idx = idx + (idx >= i)
            if k <= _DIRECT_MAX_K:
                out = []
                for z in Zt:
                    acc = w[0] * z[:, idx[:, 0]]
                    for m in range(1, k):
                        acc += w[m] * z[:, idx[:, m]]
                    out.append(acc)
            else:
                # placement matrix: M[p, j] = weight of the neighbour drawn as unit j in permutation p
                if M is None:
                    M = np.zeros((P, n))
                elif k < n - 1:
                    M.fill(0.0)
                M[ar[:, None], idx] = w[None, :]
                M[:, i] = 0.0  # a complete row writes every other column; unit i itself stays 0
                out = [z @ M.T for z in Zt]
            yield int(i), vs, out, 1.0
            if progress is not None:
                progress(1)


def _column_chunk(V: int, P: int, q: int, budget: int | None) -> int:
    """Columns per block so that one unit's simulated values stay within the memory budget."""
    budget = _MEMORY_BUDGET if budget is None else budget
    per_col = 8 * P * (4 + q)
    return int(max(1, min(V, budget // max(per_col, 1))))


def n_site_visits(rows: RowStructure, V: int, P: int, q: int = 1, budget: int | None = None) -> int:
    """Number of yields of :func:`random_lags` (for a progress bar)."""
    chunks = -(-V // _column_chunk(V, P, q, budget))
    return int((rows.cardinality > 0).sum()) * chunks
