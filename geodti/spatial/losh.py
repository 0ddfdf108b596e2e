"""Local spatial heteroskedasticity (LOSH), as esda's ``LOSH``: Ord and Getis (2012).

For unit ``i`` with weights ``w_ij`` (the weights' original values; ``H_i`` does not change when
a row is rescaled) and ``W_i = sum_j w_ij``, the local mean is ``ybar_i = sum_j w_ij y_j / W_i``,
the residual ``e_i = |y_i - ybar_i|^a`` (``a = 2``: a variance) and

    H_i = sum_j w_ij e_j / (W_i ebar),

so ``H_i > 1`` when the neighbourhood's residuals are larger than the map's on average: the
neighbourhood is heterogeneous. Inference is analytic (Ord and Getis 2012, eq. 10): with

    Var(H_i) = (n S1_i - W_i^2) / ((n - 1) (W_i ebar)^2) * (sum_j e_j^2 / n - ebar^2),

``2 H_i / Var(H_i)`` is approximately chi-square with ``2 / Var(H_i)`` degrees of freedom;
the p-value is its upper tail (only large ``H_i`` is evidence). No permutation test: esda has
none, and the residuals depend on the neighbours' values, so the conditional randomisation
of the other local statistics does not carry over.

Reference: Ord and Getis (2012) Local spatial heteroscedasticity (LOSH), *The Annals of
Regional Science* 48(2), 529-539.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.special import chdtrc

from geodti.errors import MethodError

from ._common import Result, as_matrix, matrices
from ._localcore import Kernel, LocalContext, _row_sums

__all__ = ["LOSH", "losh_kernel"]


def losh_kernel(c: LocalContext) -> Kernel:
    """``H_i``, ``VarHi`` and the chi-square p-value (``a = 2``) of every column (no simulation)."""
    n, _ = c.Y.shape
    O = sparse.csr_array(c.O)
    rowsum = _row_sums(O)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ylag = (O @ c.Y) / rowsum
        resid = np.abs(c.Y - ylag) ** 2
        resid = np.where(c.nanmask, 0.0, resid)  # a unit without neighbours has no local mean
        rmean = resid.mean(axis=0)
        denom = rmean * rowsum
        Hi = (O @ resid) / denom
        squared_rowsum = _row_sums(O.multiply(O))[:, None]
        VarHi = (1.0 / (n - 1)) * denom**-2 * ((resid**2).sum(axis=0) / n - rmean**2) \
            * (n * squared_rowsum - rowsum**2)
        pval = chdtrc(2.0 / VarHi, 2.0 * Hi / VarHi)
    nan = c.nanmask
    attrs = {"Hi": np.where(nan, np.nan, Hi), "ylag": np.where(nan, np.nan, ylag), "yresid": resid,
             "VarHi": np.where(nan, np.nan, VarHi), "pval": np.where(nan, np.nan, pval)}
    return Kernel(attrs, attrs["Hi"])


class LOSH(Result):
    """Local spatial heteroskedasticity (esda ``LOSH(inference="chi-square").fit(y)``).

    Parameters
    ----------
    y : array, (n,) or (n, V)
    w : Weights or libpysal Graph
        Its original values are used (``H_i`` and its p-value do not depend on row scaling).

    Attributes
    ----------
    Hi, ylag, yresid, VarHi, pval (chi-square, upper tail), cardinality.

    Examples
    --------
    >>> import geopandas as gpd
    >>> import numpy as np
    >>> from libpysal.graph import Graph
    >>> g = Graph.build_knn(gpd.GeoSeries.from_xy([0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 1, 1]), k=2)
    >>> h = LOSH(np.array([1.0, 2, 3, 4, 5, 9]), g)
    >>> h.Hi.round(3).tolist()
    [0.075, 0.764, 1.863, 0.596, 0.075, 0.764]
    """

    _fields = ("Hi",)

    def __init__(self, y, w):
        m = matrices(w, "o")
        Y, one = as_matrix(y, m["n"])
        if (np.ptp(Y, axis=0) == 0).any():
            raise MethodError("LOSH is undefined for a variable that is constant across units")
        ctx = LocalContext.build(Y, m["O"])
        self._set({**losh_kernel(ctx).attrs, "cardinality": np.broadcast_to(ctx.card[:, None], Y.shape)}, one)
        self.y = y
