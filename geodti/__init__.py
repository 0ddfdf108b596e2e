"""geodti: spatial analysis of city-level digital transformation indices.

The data flow, and the public functions along it::

    read_panel -> match -> join -> compute (summaries, statistics, diffusion) -> write

Computing functions take and return (Geo)DataFrames; files are read and written only in
:mod:`geodti.io` and :mod:`geodti.cli`.
"""

from __future__ import annotations

__version__ = "0.1.0"
