"""index stage of the geodti pipeline: index construction, growth and ranks, summaries.

* :mod:`geodti.index.method`: ``build_index``, ``build_industry_index``, expert weights,
  base-period normalisation (the DTI report's method).
* :mod:`geodti.index.growth`: QoQ / YoY growth, summary growth, annual means, ranks.
* :mod:`geodti.index.summary`: the report's tables (agglomerations, groups, layers,
  industries).
"""

from geodti.index.growth import annual, growth, rank_change, summary_growth, values_at
from geodti.index.method import IndexResult, build_index, build_industry_index
from geodti.index.summary import (
    agglomeration_coverage, agglomeration_table, group_rank_change, group_summary, industry_view,
    layer_summary, layer_variability, within_agglomeration, within_groups,
)

__all__ = [
    "IndexResult", "build_index", "build_industry_index", "growth", "summary_growth", "annual",
    "values_at", "rank_change", "agglomeration_table", "agglomeration_coverage",
    "within_agglomeration", "within_groups", "group_summary", "group_rank_change",
    "layer_summary", "layer_variability", "industry_view",
]
