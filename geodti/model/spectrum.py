"""The eigen decomposition of a weights matrix, computed once per W and shared by the
likelihood, the information matrix, the Lee-Yu correction and the effects.

Every matrix these need is a rational function of W, so with ``W = V diag(w) V^-1``::

    ln|I - p W|          = sum ln(1 - p w_i)                         (Ord 1975)
    tr(W (I - p W)^-1)   = sum w_i / (1 - p w_i)
    W (I - p W)^-1       = V diag(w / (1 - p w)) V^-1

A row-standardised W of a symmetric non-negative matrix A (W = D^-1 A, D the row sums:
contiguity, distance bands, symmetric kernels) is similar to the symmetric
``S = D^1/2 W D^-1/2 = D^-1/2 A D^-1/2``: its eigenvalues are real and come from the symmetric
solver, ``V = D^-1/2 U`` and ``V^-1 = U' D^1/2`` with ``S = U diag(w) U'``. D is recovered from
W itself (``d_i W_ij = d_j W_ji`` along the links, up to a factor per connected component,
which cancels). A W that is not of that form (k nearest neighbours: the links are not mutual)
takes the general eigen solver, whose eigenvalues may be complex (in conjugate pairs); its
eigenvectors can be ill-conditioned, so the matrices are then solved for directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

__all__ = ["Spectrum", "eigenvalues", "spectrum", "symmetric_scaling"]


@dataclass(frozen=True)
class Spectrum:
    """The eigenvalues of W (and, when ``symmetric``, ``W = vectors @ diag(values) @ inverse``).

    Attributes
    ----------
    values : ndarray, shape (n,)
        Eigenvalues (real when ``symmetric``, else possibly complex).
    W : ndarray, shape (n, n)
        The dense weights matrix.
    symmetric : bool
        Whether W is similar to a symmetric matrix (the symmetric solver was used).
    vectors, inverse : ndarray, shape (n, n), or None
        Right eigenvectors and their inverse (``symmetric`` only).
    """

    values: np.ndarray
    W: np.ndarray
    symmetric: bool
    vectors: np.ndarray | None = None
    inverse: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.values)

    def logdet(self, p: float) -> float:
        """ln|I - p W|."""
        if self.symmetric:
            return float(np.sum(np.log1p(-p * self.values)))
        # complex eigenvalues come in conjugate pairs: the sum is real
        return float(np.sum(np.log((1.0 - p * self.values).astype(complex))).real)

    def trace(self, f) -> float:
        """tr f(W) = sum f(w_i) for an elementwise function ``f`` of the eigenvalues."""
        return float(np.sum(f(self.values)).real)

    def lag_inverse(self, p: float) -> np.ndarray:
        """The dense matrix W (I - p W)^-1."""
        if self.symmetric:
            return (self.vectors * (self.values / (1.0 - p * self.values))[None, :]) @ self.inverse
        # W (I - pW)^-1 = ((I - pW)' \ W')'
        return np.linalg.solve((np.eye(self.n) - p * self.W).T, self.W.T).T


def symmetric_scaling(W, *, rtol: float = 1e-10) -> np.ndarray | None:
    """Positive ``d`` with ``diag(d) W`` symmetric, or None when there is none.

    For ``W = D^-1 A`` with A symmetric this is A's row sums up to a factor per connected
    component of W's links.
    """
    Wd = W.toarray() if sparse.issparse(W) else np.asarray(W, float)
    n = Wd.shape[0]
    if (Wd < 0).any() or not np.array_equal(Wd != 0, (Wd != 0).T):
        return None
    d = np.zeros(n)
    graph = sparse.csr_array(Wd != 0)
    for root in range(n):
        if d[root]:
            continue
        d[root] = 1.0
        order, pred = csgraph.breadth_first_order(graph, root, directed=False)
        for j in order[1:]:  # parents come before children in breadth-first order
            i = pred[j]
            d[j] = d[i] * Wd[i, j] / Wd[j, i]
    A = d[:, None] * Wd
    scale = np.abs(A).max() or 1.0
    return d if np.allclose(A, A.T, rtol=0, atol=rtol * scale) else None


def eigenvalues(W) -> np.ndarray:
    """The eigenvalues of the weights matrix ``W`` only (dense or sparse).

    The symmetric solver on ``D^1/2 W D^-1/2`` when :func:`symmetric_scaling` finds D (real
    values, several times faster than the general solver: at 2,848 counties it decides
    whether the spatial convergence step takes seconds or minutes), the general one otherwise.

    Parameters
    ----------
    W : ndarray or scipy sparse matrix
        n x n weights, typically row-standardised.

    Returns
    -------
    ndarray, shape (n,)
        Real when W is similar to a symmetric matrix (or all imaginary parts are zero), else
        complex in conjugate pairs; ascending in the symmetric case.
    """
    Wd = W.toarray() if sparse.issparse(W) else np.asarray(W, float)
    d = symmetric_scaling(Wd)
    if d is not None:
        root = np.sqrt(d)
        S = root[:, None] * Wd / root[None, :]
        return np.linalg.eigvalsh((S + S.T) / 2.0)
    values = np.linalg.eigvals(Wd)
    return values.real if np.abs(values.imag).max(initial=0.0) == 0.0 else values


def spectrum(W) -> Spectrum:
    """Eigen decomposition of the weights matrix ``W`` (dense or sparse).

    Uses the symmetric solver on ``D^1/2 W D^-1/2`` when :func:`symmetric_scaling` finds D,
    the general solver otherwise.

    Parameters
    ----------
    W : ndarray or scipy sparse matrix
        n x n weights, typically row-standardised.

    Returns
    -------
    Spectrum
    """
    Wd = W.toarray() if sparse.issparse(W) else np.asarray(W, float)
    d = symmetric_scaling(Wd)
    if d is not None:
        root = np.sqrt(d)
        S = root[:, None] * Wd / root[None, :]
        values, U = np.linalg.eigh((S + S.T) / 2.0)
        return Spectrum(values, Wd, True, U / root[:, None], U.T * root[None, :])
    values = np.linalg.eigvals(Wd)
    if np.abs(values.imag).max(initial=0.0) == 0.0:
        values = values.real
    return Spectrum(values, Wd, False)
