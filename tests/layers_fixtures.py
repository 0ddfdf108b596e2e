"""Shared fixtures of the layer tests: the synthetic sample panel and the bundled polygons."""

from __future__ import annotations

from functools import lru_cache

from geodti.bundled import data_dir

SAMPLE = data_dir() / "sample" / "dti_panel_SYNTHETIC.csv"


def bundled_polygons(resolution: str = "map"):
    """(cities, provinces): the bundled boundary layers (map resolution: quick to process)."""
    from geodti.places.boundaries import cities, provinces

    return cities(resolution), provinces(resolution)


@lru_cache(maxsize=1)
def _sample_panel():
    from geodti.io.panel import read_panel

    return read_panel(SAMPLE)


def sample_panel():
    """The bundled synthetic DTI panel read with read_panel (a copy, attrs kept)."""
    panel = _sample_panel()
    out = panel.copy()
    out.attrs = dict(panel.attrs)
    return out
