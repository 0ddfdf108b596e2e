"""The registry of map kinds: one entry per kind, in the order ``geodti run`` draws them.

A new kind is one module (its map function and ``KIND = MapKind(...)``, see
:mod:`geodti.web.kind`) plus one entry in :data:`MAP_KINDS`.
"""

from __future__ import annotations

from geodti.web import agglomerations, choropleth, clusters, diffusion, growth, slider
from geodti.web.kind import MapInputs, MapKind

#: Every map kind, in drawing (and report-link) order.
MAP_KINDS: tuple[MapKind, ...] = (
    choropleth.KIND,
    slider.KIND,
    agglomerations.KIND,
    growth.KIND,
    clusters.LISA_KIND,
    clusters.BIVARIATE_KIND,
    clusters.HOTSPOT_KIND,
    clusters.EMERGING_KIND,
    diffusion.KIND,
)


def kind(name: str) -> MapKind:
    """The registered kind called ``name``."""
    for k in MAP_KINDS:
        if k.name == name:
            return k
    raise KeyError(f"no map kind {name!r}; kinds: {', '.join(k.name for k in MAP_KINDS)}")


def draw_kinds(inputs: MapInputs, kinds=None) -> dict:
    """File stem -> map page of every kind (default: :data:`MAP_KINDS`) that ``inputs`` allow, in order."""
    return {k.file_stem(inputs): k.draw(inputs) for k in (MAP_KINDS if kinds is None else kinds)
            if k.applies(inputs)}


def link_label(stem: str) -> str:
    """Link text of a page from its name (the unslugged file stem), e.g. ``LISA 聚类 LISA clusters: dti 2023Q1``.

    The kind whose stem pattern matches with the most fixed text wins (``lisa_dti_2023Q1`` is a
    LISA page, not an index map of a variable ``lisa_dti``); the variable and period are shown
    as written.
    """
    matches = [(k, k.match(stem)) for k in MAP_KINDS]
    matches = [(k, values) for k, values in matches if values is not None]
    if not matches:
        return stem.replace("_", " ")
    k, values = max(matches, key=lambda m: m[0].literal)  # max keeps the first of equals
    return f"{k.label}: {' '.join(values)}"
