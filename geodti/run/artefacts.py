"""What the steps of ``geodti run`` hand each other: one typed artefact per step.

Each class is one kind of artefact; a step declares the kinds it needs and the one kind it
gives (:mod:`geodti.run.scheduler`), and reads what it needs as attributes of these
dataclasses, never from a shared bag. An artefact that holds tables names them as they are
written to ``tables/``; one that wrote files lists them in ``files``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

if TYPE_CHECKING:  # the weights module imports libpysal: not needed to name the type
    from geodti.spatial.weights import Weights


@dataclass(frozen=True)
class Artefact:
    """Base of every artefact kind; ``what`` names it in messages (the scheduler's)."""

    what = "an artefact"

    #: The files this artefact was written to (none for a computed one).
    files: tuple[Path, ...] = field(default=(), kw_only=True)
    #: Parts of the step left out, each with the reason (the manifest lists them by step).
    skipped_parts: tuple[str, ...] = field(default=(), kw_only=True)


@dataclass(frozen=True)
class MatchedTable(Artefact):
    """The table as read, and how each row's city was matched."""

    what = "the table as read and matched"

    panel: pd.DataFrame  # every row read (unmatched ones, if allowed, have no adcode)
    match_report: pd.DataFrame
    match_counts: dict[str, int]  # rows per match status, every status listed
    # rows left out for missing values (run --missing drop-...); empty when none
    dropped: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class Panel(Artefact):
    """The index panel the run analyses: rows placed on a unit, with index values (built from
    raw indicators when the run was given the expert scores)."""

    what = "the index panel"

    placed: pd.DataFrame
    value_columns: list[str]
    periods: list[str]
    latest: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # index_* when built
    caveats: list[str] = field(default_factory=list)

    @property
    def variable(self) -> str:
        """The run's main variable: ``dti`` when the table has it, else its first value column."""
        return "dti" if "dti" in self.value_columns else self.value_columns[0]

    @property
    def level(self) -> str:
        """The level of the units: ``province``, ``city`` or ``county`` (:func:`geodti.schema.schema_of`)."""
        from geodti.schema import level_of_codes

        return level_of_codes(self.placed["adcode"])


@dataclass(frozen=True)
class Summaries(Artefact):
    """The report's summary tables and the findings they give."""

    what = "the summary tables"

    tables: dict[str, pd.DataFrame]
    growth_window: str | None  # "2022Q1-2023Q1", or None without year-on-year growth
    earlier: str | None
    coverage_zh: str
    coverage_en: str
    top_cities: list[dict]


@dataclass(frozen=True)
class Statistics(Artefact):
    """Global and local spatial statistics, and the latest-period views maps and layers use."""

    what = "the spatial statistics"

    tables: dict[str, pd.DataFrame]  # stats_*
    weights: Weights  # the run's first weights on the panel's units
    weights_label: str
    lisa_latest: pd.DataFrame  # main variable, latest period, first weights
    gi_latest: pd.DataFrame
    moran: list[dict]  # value, p_sim, z_sim of the latest Moran's I (empty if none)
    cards: list[tuple[str, str]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Diffusion(Artefact):
    """Diffusion, convergence and inequality tables, and the centre and ellipse geometry."""

    what = "the diffusion tables"

    tables: dict[str, pd.DataFrame]  # diffusion_*
    layers: dict[str, gpd.GeoDataFrame]  # centres, trajectory, ellipses
    caveats: list[str] = field(default_factory=list)
    cards: list[tuple[str, str]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    @property
    def emerging_hotspots(self) -> pd.DataFrame | None:
        return self.tables.get("diffusion_emerging_hotspots")

    @property
    def centres(self) -> pd.DataFrame | None:
        return self.tables.get("diffusion_centre")


@dataclass(frozen=True)
class SecondIndex(Artefact):
    """The second index against the main one: correlation, bivariate Moran both ways and
    bivariate LISA (empty when the run has no second index)."""

    what = "the second-index tables"
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # second_*
    variable_y: str | None = None
    lisa_bv_latest: pd.DataFrame | None = None  # main variable x lag of the second, latest common period
    cards: list[tuple[str, str]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Models(Artefact):
    """Spatial panel models of the ``[run.model]`` settings: their tables (``model_*``; the
    paper-style one also as Markdown and LaTeX in ``files``) and what the report page says."""

    what = "the spatial panel models"

    tables: dict[str, pd.DataFrame]  # model_table (as papers print it), model_coefficients ...
    caption: str
    findings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Maps(Artefact):
    """The map pages written, as (link text, file name) in page order."""

    what = "the map pages"

    links: list[tuple[str, str]]


@dataclass(frozen=True)
class Figures(Artefact):
    """The paper figures written (PNG)."""

    what = "the figures"


@dataclass(frozen=True)
class Layers(Artefact):
    """The GIS layers written to ``layers/geodti.gpkg``: name -> number of features."""

    what = "the GIS layers"

    counts: dict[str, int]


@dataclass(frozen=True)
class Tables(Artefact):
    """Every table of the run, as written to ``tables/`` (CSV and the workbook)."""

    what = "the tables"

    names: list[str]


@dataclass(frozen=True)
class ReportPage(Artefact):
    """The report page, ``index.html``."""

    what = "the report page"
