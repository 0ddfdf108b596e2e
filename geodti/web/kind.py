"""The common base of the map kinds: what a kind declares and the inputs it is drawn from.

A map kind is one :class:`MapKind` defined in its own module (``KIND = MapKind(...)`` beside its
map function) and listed once in :data:`geodti.web.registry.MAP_KINDS`; ``geodti run``, the
report page's links, :func:`geodti.web.standard_maps` and the tests read that list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from geodti.errors import InputError
from geodti.periods import sort_periods

#: Placeholders a kind's file-name stem may use (see :meth:`MapKind.file_stem`).
STEM_FIELDS = ("variable", "last", "latest")


@dataclass(frozen=True)
class MapInputs:
    """Everything a map kind may be drawn from; a kind names the inputs it needs.

    Parameters
    ----------
    panel : DataFrame, optional
        Tidy panel (``adcode``, ``period``, ``variable``).
    variable : str, default "dti"
        The panel column mapped.
    latest : str, optional
        The period of the statistics tables (``lisa``, ``gi``); default: the panel's last period.
    lisa, gi, emerging : DataFrame, optional
        LISA table, Gi* table, emerging hot spot table (see :mod:`geodti.web.clusters`).
    lisa_bv : DataFrame, optional
        Bivariate LISA table of the second index (one direction, the latest period).
    diffusion_layers : mapping, optional
        ``"centres"`` (and optionally ``"ellipses"``) GeoDataFrames, one row per period.
    correction : str, default "fdr"
        Multiple-testing correction of the LISA map.
    units, label, source, synthetic, tiles, agglomerations
        As in :func:`geodti.web.choropleth_map`.
    """

    panel: pd.DataFrame | None = None
    variable: str = "dti"
    latest: str | None = None
    lisa: pd.DataFrame | None = None
    gi: pd.DataFrame | None = None
    emerging: pd.DataFrame | None = None
    lisa_bv: pd.DataFrame | None = None
    diffusion_layers: Mapping[str, gpd.GeoDataFrame] | None = None
    correction: str = "fdr"
    units: gpd.GeoDataFrame | None = None
    label: str | None = None
    source: str | None = None
    synthetic: bool | None = None
    tiles: Any = None
    agglomerations: Any = None

    def __post_init__(self):
        if self.panel is not None and ("period" not in self.panel.columns
                                       or self.variable not in self.panel.columns):
            raise InputError(f"the panel needs columns 'period' and {self.variable!r} for the maps")

    @property
    def periods(self) -> list[str]:
        """The panel's periods, sorted (empty without a panel)."""
        if self.panel is None:
            return []
        return sort_periods(pd.unique(self.panel["period"].astype(str)))

    @property
    def last(self) -> str | None:
        """The panel's last period."""
        periods = self.periods
        return periods[-1] if periods else None

    def page_keywords(self) -> dict:
        """The page keywords of every map function (title excepted: each kind has its own)."""
        return dict(source=self.source, synthetic=self.synthetic, tiles=self.tiles,
                    agglomerations=self.agglomerations)


@dataclass(frozen=True)
class MapKind:
    """One kind of map page.

    Parameters
    ----------
    name : str
        Key of the kind (``"lisa"``).
    stem : str
        File-name stem of its page, with placeholders ``{variable}``, ``{last}`` (the panel's last
        period) and ``{latest}`` (the statistics' period): ``"lisa_{variable}_{latest}"``.
    label_zh, label_en : str
        Link text of its pages on the report page, in Chinese and English.
    needs : tuple of str
        Fields of :class:`MapInputs` that must be given to draw it.
    draw : callable
        ``draw(inputs) -> GeodtiMap``.
    when : callable, optional
        ``when(inputs) -> bool``: whether the inputs allow the page besides ``needs`` (e.g. a time
        slider needs more than one period).
    """

    name: str
    stem: str
    label_zh: str
    label_en: str
    needs: tuple[str, ...]
    draw: Callable[[MapInputs], Any]
    when: Callable[[MapInputs], bool] | None = None
    _pattern: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        unknown = set(self.needs) - {f for f in MapInputs.__dataclass_fields__}
        if unknown:
            raise ValueError(f"map kind {self.name!r} needs unknown input(s) {sorted(unknown)}")
        used = re.findall(r"\{(\w+)\}", self.stem)
        if set(used) - set(STEM_FIELDS):
            raise ValueError(f"map kind {self.name!r}: stem {self.stem!r} may use only {STEM_FIELDS}")
        parts = re.split(r"\{\w+\}", self.stem)
        pattern = "(.+)".join(re.escape(p) for p in parts)
        object.__setattr__(self, "_pattern", re.compile(f"^{pattern}$"))

    @property
    def label(self) -> str:
        """Link text: Chinese and English."""
        return f"{self.label_zh} {self.label_en}"

    @property
    def literal(self) -> int:
        """Characters of the stem outside its placeholders (how specific a match is)."""
        return len(re.sub(r"\{\w+\}", "", self.stem))

    def applies(self, inputs: MapInputs) -> bool:
        """Whether ``inputs`` hold what this kind needs."""
        if any(getattr(inputs, need) is None for need in self.needs):
            return False
        return self.when is None or bool(self.when(inputs))

    def file_stem(self, inputs: MapInputs) -> str:
        """The page's file-name stem for ``inputs``."""
        return self.stem.format(variable=inputs.variable, last=inputs.last,
                                latest=inputs.latest or inputs.last)

    def match(self, stem: str) -> list[str] | None:
        """The placeholder values of a file-name stem of this kind, or None if it is not one."""
        m = self._pattern.match(stem)
        return None if m is None else list(m.groups())
