"""Spatial statistics of city-level panels: weights, global and local statistics.

Weights (:mod:`geodti.spatial.weights`)
    :class:`Weights` (``build_queen``, ``build_rook``, ``build_knn``,
    ``build_distance_band``, ``build_inverse_distance``, ``build_kernel``,
    ``build_block``, ``build_economic``, ``build_nested``, ``from_spec``),
    :func:`parse_weights_spec`, :func:`build_weights_set`, :func:`weights_summary`.
Result objects, one module per statistic, attributes as in esda
    :class:`Moran`, :class:`MoranBV`, :func:`moran_differential`, :class:`MoranLocal`
    (:mod:`~geodti.spatial.moran`); :class:`Geary`, :class:`GearyLocal`
    (:mod:`~geodti.spatial.geary`); :class:`G`, :class:`GLocal`
    (:mod:`~geodti.spatial.getisord`); :class:`JoinCounts`
    (:mod:`~geodti.spatial.join_counts`).
Panel tables
    :func:`global_statistics`, :func:`robustness_table` (:mod:`~geodti.spatial.global_`),
    :func:`local_statistics` (:mod:`~geodti.spatial.local`).
"""

from ._panel import complete_units
from ._permutation import (
    ALTERNATIVES,
    DEFAULT_SEED,
    PermutationBudgetError,
    PermutationBudgetWarning,
    check_permutation_budget,
    permutations_needed,
)
from .geary import Geary, GearyLocal
from .getisord import G, GLocal
from .global_ import global_statistics, robustness_table
from .join_counts import JoinCounts
from .local import adjust_pvalues, cluster_labels, local_statistics
from .moran import Moran, MoranBV, MoranLocal, moran_differential
from .weights import (
    Weights,
    WeightsSpec,
    build_weights_set,
    parse_weights_spec,
    parse_weights_specs,
    weights_summary,
)
from geodti.geo import unit_points  # one point per unit, shared with dynamics

__all__ = [
    "ALTERNATIVES",
    "DEFAULT_SEED",
    "G",
    "GLocal",
    "Geary",
    "GearyLocal",
    "JoinCounts",
    "Moran",
    "MoranBV",
    "MoranLocal",
    "PermutationBudgetError",
    "PermutationBudgetWarning",
    "Weights",
    "WeightsSpec",
    "adjust_pvalues",
    "build_weights_set",
    "check_permutation_budget",
    "cluster_labels",
    "complete_units",
    "global_statistics",
    "local_statistics",
    "moran_differential",
    "parse_weights_spec",
    "parse_weights_specs",
    "permutations_needed",
    "robustness_table",
    "unit_points",
    "weights_summary",
]
