"""Classification of map values into colour classes, by mapclassify.

Schemes (``scheme=``): ``"quantiles"``, ``"fisher_jenks"`` (exact Fisher-Jenks, deterministic),
``"equal_interval"`` and ``"user"`` (``breaks=`` gives the upper bounds). Breaks follow
mapclassify's convention: class ``c`` holds ``bins[c-1] < y <= bins[c]``.

Pooled classification (``pooled_classes``) computes one set of breaks from the values of all
periods together and applies it to every period, as ``mapclassify.Pooled`` does, so a colour
means the same value range in every period (needed to compare maps over time).
Missing values (NaN) get class ``-1`` and are drawn as "no data".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mapclassify
import numpy as np

from geodti.errors import InputError

SCHEMES = ("quantiles", "fisher_jenks", "equal_interval", "user")


@dataclass(frozen=True)
class Classes:
    """Result of classifying one vector of values.

    Attributes
    ----------
    bins : ndarray
        Upper bound of each class (the last one is the maximum of the classified values).
    lower : float
        Lower bound of the first class (the minimum of the classified values).
    classes : ndarray of int
        Class of each value, ``-1`` where the value is missing.
    scheme : str
        Scheme used, one of :data:`SCHEMES`.
    """

    bins: np.ndarray
    lower: float
    classes: np.ndarray
    scheme: str

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.bins)

    def counts(self) -> list[int]:
        """Number of values in each class."""
        return [int(np.sum(self.classes == c)) for c in range(self.k)]

    def labels(self, fmt: str = "{:.3f}") -> list[str]:
        """Legend label of each class, e.g. ``"0.120 – 0.350"``."""
        lows = [self.lower, *self.bins[:-1]]
        return [f"{fmt.format(lo)} – {fmt.format(hi)}" for lo, hi in zip(lows, self.bins)]


def _method_name(scheme: str) -> str:
    return {"quantiles": "Quantiles", "fisher_jenks": "Fisher-Jenks",
            "equal_interval": "Equal interval", "user": "User breaks"}[scheme]


def describe(scheme: str, k: int, pooled: bool = False) -> str:
    """Short description of a classification for a page's caption."""
    text = _method_name(scheme) if scheme == "user" else f"{_method_name(scheme)}, {k} classes"
    return text + (", breaks pooled over all periods" if pooled else "")


@dataclass
class _OneClass:
    bins: np.ndarray


def _fit(y: np.ndarray, scheme: str, k: int, breaks: Sequence[float] | None):
    if scheme not in SCHEMES:
        raise InputError(f"unknown classification scheme {scheme!r}; use one of {', '.join(SCHEMES)}")
    if y.size == 0:
        raise InputError("there are no values to classify (every value is missing)")
    if scheme == "user":
        if breaks is None or len(breaks) == 0:
            raise InputError("scheme='user' needs breaks=[...] (the upper bound of each class)")
        b = np.asarray(breaks, dtype="float64")
        if np.any(np.diff(b) <= 0):
            raise InputError(f"breaks must increase strictly, got {list(breaks)}")
        # mapclassify.UserDefined appends max(y) when the last break is below it
        return mapclassify.UserDefined(y, bins=list(b))
    if breaks is not None:
        raise InputError(f"breaks= is only used with scheme='user', not {scheme!r}")
    if k < 2:
        raise InputError(f"k must be at least 2 classes, got {k}")
    n_distinct = np.unique(y).size
    k_eff = min(k, n_distinct)
    if k_eff < 2:
        # one distinct value (e.g. a single city with data): one class holding it
        return _OneClass(bins=np.array([float(y[0])]))
    if scheme == "quantiles":
        return mapclassify.Quantiles(y, k=k_eff)
    if scheme == "fisher_jenks":
        return mapclassify.FisherJenks(y, k=k_eff)
    return mapclassify.EqualInterval(y, k=k_eff)


def _assign(values: np.ndarray, bins: np.ndarray) -> np.ndarray:
    finite = np.isfinite(values)
    out = np.full(values.shape, -1, dtype="int64")
    # side="left": class c holds bins[c-1] < y <= bins[c] (mapclassify's convention)
    idx = np.searchsorted(bins, values[finite], side="left")
    out[finite] = np.minimum(idx, len(bins) - 1)
    return out


def classify(values, scheme: str = "quantiles", k: int = 5,
             breaks: Sequence[float] | None = None) -> Classes:
    """Classify one vector of values.

    Parameters
    ----------
    values : array_like of float
        Values to classify; NaN marks a missing value (class ``-1``).
    scheme : {"quantiles", "fisher_jenks", "equal_interval", "user"}
        Classification method (mapclassify).
    k : int, default 5
        Number of classes (ignored for ``"user"``). Fewer are used when there are fewer
        distinct values.
    breaks : sequence of float, optional
        Upper bounds of the classes for ``scheme="user"``.

    Returns
    -------
    Classes
    """
    v = np.asarray(values, dtype="float64")
    y = v[np.isfinite(v)]
    fitted = _fit(y, scheme, k, breaks)
    bins = np.asarray(fitted.bins, dtype="float64")
    return Classes(bins=bins, lower=float(y.min()), classes=_assign(v, bins), scheme=scheme)


def pooled_classes(matrix, scheme: str = "quantiles", k: int = 5,
                   breaks: Sequence[float] | None = None) -> list[Classes]:
    """Classify several vectors (one per period) with breaks computed from all of them.

    Parameters
    ----------
    matrix : sequence of array_like
        One vector of values per period, NaN for missing.
    scheme, k, breaks
        As in :func:`classify`.

    Returns
    -------
    list of Classes
        One per period, all with the same ``bins`` and ``lower``.
    """
    vectors = [np.asarray(v, dtype="float64") for v in matrix]
    allv = np.concatenate(vectors) if vectors else np.array([])
    y = allv[np.isfinite(allv)]
    fitted = _fit(y, scheme, k, breaks)
    bins = np.asarray(fitted.bins, dtype="float64")
    lower = float(y.min())
    return [Classes(bins=bins, lower=lower, classes=_assign(v, bins), scheme=scheme) for v in vectors]


def diverging_classes(values, k_side: int = 4, scheme: str = "quantiles",
                      breaks: Sequence[float] | None = None) -> Classes:
    """Classes for a diverging map centred at 0 (growth): zero is always a break.

    Negative and positive values are classified separately (``k_side`` classes each, fewer if
    one side has fewer distinct values), so colours below and above zero never mix.

    Parameters
    ----------
    values : array_like of float
        Values (e.g. year-on-year growth as a fraction); NaN for missing.
    k_side : int, default 4
        Maximum number of classes on each side of zero.
    scheme : {"quantiles", "fisher_jenks", "equal_interval", "user"}
        Method for each side.
    breaks : sequence of float, optional
        Upper bounds of all classes for ``scheme="user"``; must include 0.

    Returns
    -------
    Classes
        ``bins`` contains 0 as the upper bound of the last non-positive class when there are
        negative values.
    """
    v = np.asarray(values, dtype="float64")
    y = v[np.isfinite(v)]
    if y.size == 0:
        raise InputError("there are no values to classify (every value is missing)")
    if scheme == "user":
        if breaks is None or 0 not in list(breaks):
            raise InputError("a diverging map with scheme='user' needs breaks that include 0")
        fitted = _fit(y, "user", 0, breaks)
        bins = np.asarray(fitted.bins, dtype="float64")
        return Classes(bins=bins, lower=float(y.min()), classes=_assign(v, bins), scheme=scheme)
    neg, pos = y[y <= 0], y[y > 0]
    parts: list[float] = []
    if neg.size:
        if np.unique(neg).size >= 2:
            parts.extend(_fit(neg, scheme, k_side, None).bins[:-1])
        parts.append(0.0)
    if pos.size:
        if np.unique(pos).size >= 2:
            parts.extend(_fit(pos, scheme, k_side, None).bins)
        else:
            parts.append(float(pos.max()))
    bins = np.unique(np.asarray(parts, dtype="float64"))
    return Classes(bins=bins, lower=float(y.min()), classes=_assign(v, bins), scheme=scheme)
