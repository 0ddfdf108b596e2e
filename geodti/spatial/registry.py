"""The local-statistics registry: one entry per local statistic.

Everything that lists local statistics derives its list from :data:`LOCAL_STATISTICS`: the
engine (:func:`~geodti.spatial._localcore.local_core`), the panel table
(:func:`~geodti.spatial.local.local_statistics`), ``geodti stats --local`` and the run.

Adding a statistic
------------------
Write its kernel (a function of a :class:`~geodti.spatial._localcore.LocalContext`
returning a :class:`~geodti.spatial._localcore.Kernel`; see :mod:`geodti.spatial.losh`) and
add one :class:`LocalStatistic` below. Its labels come from :mod:`geodti.labels`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from geodti.errors import MethodError
from geodti.labels import HOTSPOT_LEVELS, NOT_SIGNIFICANT, hotspot_key

from ._common import norm_sf
from ._localcore import gi_star_kernel, lisa_bv_kernel, lisa_kernel, local_geary_kernel, quadrants
from .losh import losh_kernel

__all__ = ["BIVARIATE_LOCAL_STATISTICS", "DEFAULT_LOCAL_STATISTICS", "LOCAL_STATISTICS", "LocalStatistic", "check_local_statistics"]


def _significant(p_adjusted, alpha) -> np.ndarray:
    return np.nan_to_num(np.asarray(p_adjusted, float), nan=1.0) <= alpha


def quadrant_rule(quadrant, p_adjusted, alpha, **_) -> np.ndarray:
    """The quadrant (HH, LL: clusters; LH, HL: outliers) where significant."""
    quadrant = np.asarray(quadrant, dtype=object)
    out = np.full(len(quadrant), NOT_SIGNIFICANT, dtype=object)
    sig = _significant(p_adjusted, alpha)
    out[sig] = quadrant[sig]
    return out


def hotspot_rule(quadrant, p_adjusted, alpha, *, direction, p_levels=None, **_) -> np.ndarray:
    """``hot_99``/``hot_95``/``hot_90`` (``cold_...``) when the adjusted p-value is at most
    0.01/0.05/0.10 (``p_levels``: the adjusted p per level; default ``p_adjusted``), the side
    from the sign of ``direction`` (a z-score)."""
    out = np.full(len(np.asarray(quadrant)), NOT_SIGNIFICANT, dtype=object)
    d = np.asarray(direction, float)
    for level, _tag in reversed(HOTSPOT_LEVELS):
        pl = p_adjusted if p_levels is None else p_levels[level]
        hit = np.nan_to_num(np.asarray(pl, float), nan=1.0) <= level
        out[hit & (d > 0)] = hotspot_key("hot", level)
        out[hit & (d < 0)] = hotspot_key("cold", level)
    return out


def geary_rule(quadrant, p_adjusted, alpha, *, positive, **_) -> np.ndarray:
    """Where significant: ``HH``/``LL`` (positive association of high or low values),
    ``other_positive`` (positive association, mixed quadrant) or ``negative`` (the unit
    differs from its neighbours), as in GeoDa (Anselin 2019)."""
    quadrant = np.asarray(quadrant, dtype=object)
    out = np.full(len(quadrant), NOT_SIGNIFICANT, dtype=object)
    sig = _significant(p_adjusted, alpha)
    pos = np.asarray(positive, bool)
    same = np.isin(quadrant, ["HH", "LL"])
    out[sig & pos & same] = quadrant[sig & pos & same]
    out[sig & pos & ~same] = "other_positive"
    out[sig & ~pos] = "negative"
    return out


def heterogeneity_rule(quadrant, p_adjusted, alpha, **_) -> np.ndarray:
    """``heterogeneous`` where the (upper-tail) adjusted p-value is at most ``alpha``."""
    out = np.full(len(np.asarray(quadrant)), NOT_SIGNIFICANT, dtype=object)
    out[_significant(p_adjusted, alpha)] = "heterogeneous"
    return out


@dataclass(frozen=True)
class LocalStatistic:
    """One local statistic.

    Attributes
    ----------
    name : str
        Key in tables (``statistic`` column) and on the command line.
    title : str
        Its name in the users' words.
    kernel : callable
        ``LocalContext -> Kernel``: values, analytic parts, how to simulate.
    value : str
        The kernel attribute written into the ``value`` column.
    label_rule : callable
        ``(quadrant, p_adjusted, alpha, *, direction, positive, p_levels) -> labels``
        (keys of :mod:`geodti.labels`).
    inference : tuple of {"permutation", "analytic"}
        Supported inference, the default first.
    analytic : callable or None
        ``attrs -> (z_analytic, p_analytic)`` (either may be None), for analytic inference.
    analytic_alternative : str
        What the analytic p-value is (written into the ``alternative`` column).
    quadrant : callable or None
        ``(attrs, isolate, direction) -> (n, V)`` quadrant / side labels.
    nonnegative : bool
        Defined for non-negative variables only (others get ``not_computed``).
    default : bool
        Computed by default (``geodti stats``, the run).
    bivariate : bool
        Of two variables (x against the lag of y): computed for pairs
        (:func:`~geodti.spatial.local.bivariate_local_statistics`), never by default.
    gives : tuple of str
        The statistics-table columns it fills (the others stay empty).
    description : str
    """

    name: str
    title: str
    kernel: Callable
    value: str
    label_rule: Callable
    inference: tuple[str, ...]
    analytic: Callable | None = None
    analytic_alternative: str = ""
    quadrant: Callable | None = None
    nonnegative: bool = False
    default: bool = True
    bivariate: bool = False
    gives: tuple[str, ...] = ()
    description: str = ""


def _gi_analytic(attrs):
    z = attrs["Zs"]
    return z, 2.0 * norm_sf(np.abs(z))


def _hot_or_cold(attrs, isolate, direction):
    return np.where(np.isfinite(direction), np.where(direction > 0, "hot", "cold"), "")


def _moran_quadrant(attrs, isolate, direction):
    return attrs["q"]


def _geary_quadrant(attrs, isolate, direction):
    return np.where(isolate[:, None], "", quadrants(attrs["z"], attrs["lag"]))


LOCAL_STATISTICS: dict[str, LocalStatistic] = {s.name: s for s in (
    LocalStatistic(
        "lisa", "Local Moran's I (LISA)", lisa_kernel, "Is", quadrant_rule, ("permutation",),
        quadrant=_moran_quadrant, gives=("value", "quadrant", "z_sim", "p_sim", "p_fdr", "p_bonferroni", "cluster"),
        description="Anselin (1995): clusters of high or low values (HH, LL) and outliers (LH, HL)."),
    LocalStatistic(
        "gi_star", "Gi*", gi_star_kernel, "Gs", hotspot_rule, ("permutation", "analytic"),
        analytic=_gi_analytic, analytic_alternative="two-sided (normal)", quadrant=_hot_or_cold,
        nonnegative=True, gives=("value", "quadrant", "z_sim", "p_sim", "z_analytic", "p_analytic", "p_fdr",
                                 "p_bonferroni", "cluster"),
        description="Getis-Ord Gi*, Getis and Ord (1992), Ord and Getis (1995): hot and cold spots at 90/95/99 % confidence."),
    LocalStatistic(
        "local_geary", "Local Geary's c", local_geary_kernel, "localG", geary_rule, ("permutation",),
        quadrant=_geary_quadrant, gives=("value", "quadrant", "z_sim", "p_sim", "p_fdr", "p_bonferroni", "cluster"),
        description="Anselin (2019): units like (positive) or unlike (negative) their neighbours."),
    LocalStatistic(
        "losh", "Local spatial heteroskedasticity (LOSH)", losh_kernel, "Hi", heterogeneity_rule, ("analytic",),
        analytic=lambda attrs: (None, attrs["pval"]), analytic_alternative="greater (chi-square)",
        default=False, gives=("value", "p_analytic", "p_fdr", "p_bonferroni", "cluster"),
        description="Ord and Getis (2012): neighbourhoods whose values vary more than the map's."),
    LocalStatistic(
        "lisa_bv", "Bivariate local Moran's I (bivariate LISA)", lisa_bv_kernel, "Is", quadrant_rule,
        ("permutation",), quadrant=_moran_quadrant, default=False, bivariate=True,
        gives=("value", "quadrant", "z_sim", "p_sim", "p_fdr", "p_bonferroni", "cluster"),
        description="Anselin, Syabri and Smirnov (2002): a unit's x against its neighbours' y; HH, LL "
                    "clusters and HL, LH outliers."),
)}

#: What ``geodti stats`` and the run compute unless asked otherwise.
DEFAULT_LOCAL_STATISTICS = tuple(name for name, s in LOCAL_STATISTICS.items() if s.default)
#: The statistics of two variables (computed for pairs of variables only).
BIVARIATE_LOCAL_STATISTICS = tuple(name for name, s in LOCAL_STATISTICS.items() if s.bivariate)


def check_local_statistics(statistics: Iterable[str]) -> tuple[str, ...]:
    """The names as a tuple; a :class:`~geodti.errors.MethodError` naming the known ones otherwise."""
    statistics = tuple(statistics)
    bad = [s for s in statistics if s not in LOCAL_STATISTICS]
    if bad:
        raise MethodError(f"unknown local statistic(s) {bad}; use {', '.join(LOCAL_STATISTICS)}")
    return statistics
