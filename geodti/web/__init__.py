"""Interactive map pages that open offline (web stage of the geodti pipeline).

Every function returns a :class:`GeodtiMap` (a ``folium.Map``: it displays in Jupyter) whose page
inlines all its JavaScript and CSS, stores the geometry once as TopoJSON, escapes every string
that comes from data, and renders byte-identically for identical inputs. :func:`save_map` writes
it (atomically) under ``maps/``.

Map kinds: :func:`choropleth_map`, :func:`time_slider_map`, :func:`agglomeration_map`,
:func:`lisa_map`, :func:`hotspot_map`, :func:`emerging_hotspot_map`, :func:`growth_map`,
:func:`diffusion_map`; each is a :class:`MapKind` in :data:`MAP_KINDS` (``geodti.web.registry``),
from which :func:`standard_maps` and ``geodti run`` build their pages.
"""

from __future__ import annotations

import os
from pathlib import Path

from geodti.io.atomic import write_text
from geodti.web._page import GeodtiMap
from geodti.web.agglomerations import agglomeration_map
from geodti.web.choropleth import choropleth_map
from geodti.web.clusters import bivariate_lisa_map, emerging_hotspot_map, hotspot_map, lisa_map
from geodti.web.diffusion import diffusion_map
from geodti.web.growth import growth_map
from geodti.web.kind import MapInputs, MapKind
from geodti.web.registry import MAP_KINDS
from geodti.web.slider import time_slider_map
from geodti.web.standard import save_maps, standard_maps

__all__ = [
    "GeodtiMap",
    "MAP_KINDS",
    "MapInputs",
    "MapKind",
    "agglomeration_map",
    "choropleth_map",
    "diffusion_map",
    "emerging_hotspot_map",
    "growth_map",
    "hotspot_map",
    "lisa_map",
    "bivariate_lisa_map",
    "save_map",
    "save_maps",
    "standard_maps",
    "time_slider_map",
]

DEFAULT_DIR = Path("maps")


def save_map(m, path: str | os.PathLike) -> Path:
    """Write a map page to ``path`` atomically and return the path written.

    Parameters
    ----------
    m : folium.Map
        A map from one of geodti's map functions (any ``folium.Map`` is accepted, but only
        geodti's are self-contained).
    path : str or path-like
        Target file. A bare file name (no folder) is written under ``maps/``; ``.html`` is added
        when the name has no suffix.

    Returns
    -------
    Path
    """
    target = Path(path)
    if target.parent == Path("."):
        target = DEFAULT_DIR / target
    if not target.suffix:
        target = target.with_suffix(".html")
    return write_text(target, m.get_root().render())
