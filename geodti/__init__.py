"""geodti: spatial analysis of city-level digital transformation indices.

The data flow, and the public functions along it::

    read_panel -> match -> join -> compute (summaries, statistics, diffusion) -> write

Computing functions take and return (Geo)DataFrames; files are read and written only in
:mod:`geodti.io` and :mod:`geodti.cli`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from geodti.io.panel import read_indicators_with_report, read_panel, read_panel_with_report
from geodti.places.boundaries import cities, provinces, queen_pairs
from geodti.places.join import join
from geodti.places.gazetteer import agglomerations, gazetteer, name_changes
from geodti.places.match import match, match_names

__all__ = [
    "__version__",
    "agglomerations",
    "cities",
    "gazetteer",
    "join",
    "match",
    "match_names",
    "name_changes",
    "provinces",
    "queen_pairs",
    "read_indicators_with_report",
    "read_panel",
    "read_panel_with_report",
]
