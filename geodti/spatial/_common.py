"""Shared helpers of the statistic modules: weights coercion, data checks, result objects."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import ndtr

from geodti.errors import InputError, MethodError

from .weights import Weights


def norm_sf(x):
    """Standard normal survival function (``scipy.stats.norm.sf`` computes ``ndtr(-x)`` too)."""
    return ndtr(-np.asarray(x, float))


def norm_cdf(x):
    """Standard normal CDF."""
    return ndtr(np.asarray(x, float))


def matrices(w, transformation: str = "r") -> dict:
    """Weights as CSR matrices: ``T`` (transformed as asked), ``O`` (original), ``B`` (binary).

    ``w`` is a :class:`~geodti.spatial.weights.Weights` or a libpysal ``Graph``. As in
    esda, ``transformation`` is applied to the weights passed (a ``Weights`` passes
    its untransformed links). Diagonals are kept (self-weights).
    """
    t = transformation.upper()
    if isinstance(w, Weights):
        label, ids = w.label, w.ids
        O = w.O
        T = w.O if t == "O" else (w.sparse if t == w.transform else None)
        if T is None:
            from .weights import transformed_matrix

            T = transformed_matrix(O, t)
            if T is None:
                T = sparse.csr_array(w.original.transform(t).sparse, dtype=float)
    else:
        from libpysal.graph import Graph

        if not isinstance(w, Graph):
            raise InputError(f"weights must be a geodti Weights or a libpysal Graph, got {type(w).__name__}")
        label, ids = "graph", pd.Index(w.unique_ids.astype(str))
        gt = w if t == "O" else w.transform(t)
        O = sparse.csr_array(w.sparse, dtype=float)
        T = sparse.csr_array(gt.sparse, dtype=float)
    O = sparse.csr_array(O, dtype=float)
    T = sparse.csr_array(T, dtype=float)
    O.eliminate_zeros()
    T.eliminate_zeros()
    B = O.copy()
    B.data[:] = 1.0
    return {"T": T, "O": O, "B": B, "label": label, "ids": ids, "n": O.shape[0]}


def as_matrix(y, n: int, what: str = "y") -> tuple[np.ndarray, bool]:
    """``y`` as a float ``(n, V)`` matrix; second value tells whether it was one-dimensional."""
    a = np.asarray(y, dtype=float)
    one = a.ndim == 1
    if one:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] != n:
        raise InputError(f"{what} has shape {np.shape(y)}, but the weights have {n} units")
    if not np.isfinite(a).all():
        raise InputError(f"{what} has missing or infinite values; statistics need complete data for every unit")
    return a, one


def s012(W: sparse.csr_array) -> tuple[float, float, float]:
    """``S0``, ``S1``, ``S2`` of a weights matrix (Cliff and Ord 1981)."""
    s0 = float(W.sum())
    sym = W + W.T
    s1 = 0.5 * float(sym.multiply(sym).sum())
    r = np.asarray(W.sum(axis=1)).ravel() + np.asarray(W.sum(axis=0)).ravel()
    s2 = float((r * r).sum())
    return s0, s1, s2


def constant_columns(Y: np.ndarray) -> np.ndarray:
    return np.ptp(Y, axis=0) == 0


class Result:
    """Base of the esda-like result objects.

    Attributes are NumPy arrays (one value per column of ``y``) or Python floats when
    ``y`` was one-dimensional, as in esda. ``permutations``, ``seed`` and
    ``alternative`` record the inference.
    """

    _scalar = False
    _fields: tuple[str, ...] = ()

    def _set(self, values: dict, one: bool) -> None:
        for k, v in values.items():
            if one and isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[-1] == 1:
                v = v[..., 0]
                if v.ndim == 0:
                    v = v.item()
            setattr(self, k, v)

    def __repr__(self) -> str:
        main = self._fields[0] if self._fields else ""
        return f"<{type(self).__name__} {main}={getattr(self, main, None)!r}>"


def require_nonnegative(Y: np.ndarray, what: str) -> None:
    if (Y < 0).any():
        raise MethodError(
            f"{what} is defined for non-negative variables (Getis and Ord 1992); this variable has negative values"
        )
