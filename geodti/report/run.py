"""``geodti run``: one command from a city table to maps, layers, tables and a report page.

The run is a list of named steps over one :class:`RunState`; each step reads what earlier
steps left in the state and adds its own results. Steps that compute call the pure
functions of :mod:`geodti.index`, :mod:`geodti.spatial` and :mod:`geodti.dynamics`; only the
writing steps touch files, always through :mod:`geodti.io.atomic`.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path

import pandas as pd

from threadpoolctl import threadpool_limits

from geodti import __version__
from geodti._paths import data_dir
from geodti.config import RunConfig
from geodti.errors import InputError
from geodti.io.atomic import write_text
from geodti.io.outdir import folders_created_by, prepare_output_dir, remove_unused_folders
from geodti.io.read import check_input_file
from geodti.io.samples import resolve_table
from geodti.report._worker import Worker

#: The bundled synthetic sample panel, the input of a run without a table.
SAMPLE_PANEL = "sample/dti_panel_SYNTHETIC.csv"
SAMPLE_CAPTION = (
    "SYNTHETIC sample data calibrated to the published tables of the Tencent Research "
    "Institute's DTI report 2023; not the report's data"
)
#: Packages whose versions go into the manifest.
RECORDED_PACKAGES = ("numpy", "pandas", "shapely", "pyogrio", "geopandas", "pyarrow", "libpysal",
                     "esda", "mapclassify", "giddy", "inequality", "pointpats", "spreg", "folium",
                     "matplotlib", "rapidfuzz", "pypinyin", "openpyxl")


@dataclass
class RunState:
    """What the steps of one run share."""

    config: RunConfig
    out: Path
    input_path: Path
    synthetic: bool
    caption: str
    panel: pd.DataFrame | None = None
    match_report: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    findings: dict[str, object] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)
    extras: dict[str, object] = field(default_factory=dict)

    def wrote(self, *paths: Path) -> None:
        self.outputs.extend(Path(p) for p in paths)


@dataclass
class Deferred:
    """What a background step hands over: ``work()`` computes or writes without touching the
    run state (a picklable :func:`functools.partial` of a module-level function, so it can run
    in another process) and ``finish(result)`` stores its result in the state."""

    work: partial
    finish: Callable[[object], None]


class SkipStep(Exception):
    """A step that cannot run on this input; the reason goes into the manifest and report."""


#: Fewer cities with data than this and the spatial steps are skipped (and say so): permutation
#: inference and the diffusion methods are not meaningful on a handful of units.
MIN_UNITS_FOR_STATISTICS = 30


def _require_units(state: RunState, what: str) -> None:
    n = state.panel["adcode"].dropna().nunique()
    if n < MIN_UNITS_FOR_STATISTICS:
        raise SkipStep(
            f"{what} skipped: the table has {n} cities with data; spatial statistics need at "
            f"least {MIN_UNITS_FOR_STATISTICS}"
        )


def input_of(config: RunConfig) -> tuple[Path, bool]:
    """The table a run reads, and whether it is the bundled synthetic sample."""
    if config.table is None:
        return data_dir() / SAMPLE_PANEL, True
    path = Path(resolve_table(config.table))  # sample:NAME names a bundled sample table
    # every table in data/sample/ is synthetic (the panel, the raw indicators, the small one)
    return path, path.resolve().parent == (data_dir() / SAMPLE_PANEL).resolve().parent


# ---------------------------------------------------------------------------------------
# steps


def step_read(state: RunState) -> None:
    from geodti.index.summary import latest_quarter
    from geodti.io.panel import read_indicators_with_report, read_panel_with_report
    from geodti.places.match import STATUSES

    cfg = state.config
    where = dict(city_column=cfg.city_column, province_column=cfg.province_column,
                 period_column=cfg.period_column, sheet=cfg.sheet,
                 allow_unmatched=cfg.allow_unmatched, allow_county=cfg.allow_county)
    if cfg.indicator_scores:
        panel, report = read_indicators_with_report(state.input_path, **where)
    else:
        panel, report = read_panel_with_report(state.input_path, value_columns=cfg.variables or None,
                                               **where)
    state.panel = panel
    state.match_report = report
    state.tables["match_report"] = state.match_report
    counts = state.match_report["status"].value_counts()
    state.findings["match"] = {s: int(counts.get(s, 0)) for s in STATUSES}
    state.findings["value_columns"] = list(panel.attrs["value_columns"])
    periods = sorted(panel["period"].unique())
    state.findings["periods"] = [str(p) for p in periods]
    state.findings["latest"] = latest_quarter(_placed(state))


def step_index(state: RunState) -> None:
    """Build the layer indices and the composite from raw indicators (the report's method);
    nothing to do for a table of index values."""
    cfg = state.config
    if not cfg.indicator_scores:
        return
    from geodti.index import build_index
    from geodti.index.framework import dti_framework
    from geodti.index.summary import latest_quarter
    from geodti.io.read import read_table

    raw = _placed(state)
    indicators = list(raw.attrs["value_columns"])
    long = raw.melt(id_vars=["adcode", "period"], value_vars=indicators, var_name="indicator",
                    value_name="value")
    framework = dti_framework() if cfg.framework is None else read_table(cfg.framework)
    built = build_index(long, framework, read_table(cfg.indicator_scores),
                        read_table(cfg.layer_scores), base_period=cfg.base_period)
    values = [c for c in built.panel.columns if c not in ("adcode", "period")]
    keys = raw[["adcode", "name", "period", "period_type"]]
    panel = keys.merge(built.panel, on=["adcode", "period"], how="left", validate="one_to_one")
    panel.attrs = {"source": raw.attrs.get("source"), "value_columns": values}
    state.panel = panel
    state.findings["value_columns"] = values
    state.findings["latest"] = latest_quarter(panel)
    state.findings["index"] = {"indicators": indicators, "base_period": cfg.base_period}
    state.tables["index_weights"] = built.weights
    state.tables["index_indicators"] = built.indicators
    layer_weights = built.weights[built.weights["level"] == "layer"]
    state.extras.setdefault("caveats", []).append(
        f"The index was built from the raw indicators of the table ({', '.join(indicators)}) by "
        f"the report's method: each indicator over its national total in {cfg.base_period}, "
        "weighted by the experts' scores (a_j = sum_i a_ij / sum_i sum_j a_ij); layer weights "
        + ", ".join(f"{r.layer} {r.weight:.3f}" for r in layer_weights.itertuples()) + ".")


def _placed(state: RunState) -> pd.DataFrame:
    """The panel rows placed on a unit (unmatched rows, if allowed, stay in the match report)."""
    panel = state.panel
    placed = panel[panel["adcode"].notna()].copy()
    placed.attrs = dict(panel.attrs)
    return placed


def growth_window(panel: pd.DataFrame, configured) -> tuple[str, str] | None:
    """The growth window of a run: as configured, else the report's rule on this panel.

    The report's summary growth is the mean of quarterly YoY over the five quarters ending at
    the latest one (2022Q1-2023Q1). Without a configured window the run uses the five
    quarters ending at the panel's latest quarter, shortened to the quarters whose YoY exists;
    ``None`` when no quarter has one (fewer than five consecutive quarters).
    """
    if configured:
        return tuple(configured)
    from geodti.periods import period_type, shift_quarter, sort_periods

    quarters = sort_periods(p for p in panel["period"].unique() if period_type(p) == "quarter")
    if not quarters:
        return None
    have = set(quarters)
    latest = quarters[-1]
    window = [shift_quarter(latest, -k) for k in range(4, -1, -1)]
    usable = [q for q in window if q in have and shift_quarter(q, -4) in have]
    if not usable:
        return None
    return usable[0], latest


def earlier_period(panel: pd.DataFrame, latest: str) -> str | None:
    """The period the latest ranks are compared with: the previous year (the report's rule,
    its annual index needs all four quarters), else the panel's first quarter; ``None`` when
    the panel has only the latest quarter."""
    from geodti.periods import period_type, sort_periods

    have = set(panel["period"].unique())
    year = str(int(latest[:4]) - 1)
    if all(f"{year}Q{q}" in have for q in range(1, 5)):
        return year
    quarters = sort_periods(p for p in have if period_type(p) == "quarter")
    return quarters[0] if quarters and quarters[0] != latest else None


def _without_comparison(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in table.columns
                               if c.startswith("earlier_") or c == "rank_change"])


def compute_summaries(panel: pd.DataFrame, variable: str, configured_window,
                      groups_path: str | None) -> tuple[dict[str, pd.DataFrame], dict]:
    """The report's summary tables of a run and the findings they give (pure but for reading
    the grouping table)."""
    from geodti.index import summary
    from geodti.index.growth import rank_change, summary_growth
    from geodti.places.gazetteer import agglomerations, gazetteer

    window = growth_window(panel, configured_window)
    latest = summary.latest_quarter(panel)
    members = agglomerations()
    units = gazetteer()
    t: dict[str, pd.DataFrame] = {}
    t["agglomerations"] = summary.agglomeration_table(panel, members, variable=variable, period=latest, window=window)
    earlier = earlier_period(panel, latest)
    within = summary.within_agglomeration(
        panel, members, variable=variable, earlier=earlier or latest, later=latest, window=window)
    t["within_agglomerations"] = within if earlier else _without_comparison(within)
    for by in ("province", "region", "hu_line", "admin_rank"):
        t[f"by_{by}"] = summary.group_summary(panel, units, by, variable=variable, period=latest, window=window)
    if groups_path:
        from geodti.io.groups import read_groups

        groups = read_groups(groups_path)
        column = groups.attrs["group_column"]
        t[f"by_{column}"] = summary.group_summary(panel, groups, column, variable=variable,
                                                  period=latest, window=window)
    layers = [c for c in ("infrastructure", "platform", "application") if c in panel.columns]
    if layers:
        t["layers"] = summary.layer_summary(panel, layers, composite=variable)
        t["layer_variability"] = summary.layer_variability(panel, layers)
    if any(c.startswith("industry_") for c in panel.columns):
        t["industry_by_province"] = summary.industry_view(panel, units, by="province", window=window)
    city = rank_change(panel, variable, earlier=earlier or latest, later=latest)
    if earlier is None:
        city = _without_comparison(city)
    if window is not None:
        growth = summary_growth(panel, variable, window=window)[["adcode", "window", "growth", "flag"]]
        city = city.merge(growth.rename(columns={"flag": "growth_flag"}), on="adcode", how="left")
    city.insert(1, "name", city["adcode"].map(units.set_index("adcode")["name"]))
    t["city_ranks"] = city.sort_values("later_rank", kind="stable").reset_index(drop=True)
    coverage = summary.agglomeration_coverage(panel, members, variable=variable, period=latest)
    t["agglomeration_coverage"] = coverage
    findings = {
        "growth_window": "-".join(window) if window else None,
        "variable": variable,
        "latest": latest,
        "earlier": earlier,
        "coverage_zh": coverage["statement_zh"].iloc[0],
        "coverage_en": coverage["statement_en"].iloc[0],
        "top_cities": t["city_ranks"].head(10)[["name", "later_rank", "later_value"]].to_dict("records"),
    }
    return t, findings


def step_summaries(state: RunState) -> None:
    cfg = state.config
    tables, findings = compute_summaries(_placed(state), _main_variable(state),
                                         cfg.growth_window, cfg.groups)
    state.tables.update(tables)
    state.findings.update(findings)


def _main_variable(state: RunState) -> str:
    values = state.findings["value_columns"]
    return "dti" if "dti" in values else values[0]


INDEX_VARIABLES = ("dti", "infrastructure", "platform", "application")


def _statistics_variables(state: RunState) -> list[str]:
    chosen = list(state.config.statistics_variables)
    values = state.findings["value_columns"]
    if chosen:
        unknown = [v for v in chosen if v not in values]
        if unknown:
            raise InputError(f"statistics_variables {unknown} are not value columns ({values}).")
        return chosen
    return [v for v in INDEX_VARIABLES if v in values] or [values[0]]


def first_weights(panel: pd.DataFrame, specs: list[str]):
    """The first of the run's weights on the panel's units (maps, figures and diffusion use it)."""
    from geodti.spatial.pipeline import bundled_inputs
    from geodti.spatial.weights import build_weights_set, parse_weights_specs

    first = parse_weights_specs(specs)[0]
    bundled = bundled_inputs()
    units = bundled["units"][bundled["units"]["adcode"].isin(set(panel["adcode"]))]
    return build_weights_set([first], units, contiguity=bundled["contiguity"],
                             agglomerations=bundled["agglomerations"])[first.label]


def step_statistics(state: RunState) -> None:
    from geodti.spatial.pipeline import spatial_tables
    from geodti.spatial.weights import parse_weights_specs

    _require_units(state, "spatial statistics")
    cfg = state.config
    panel = _placed(state)
    variables = _statistics_variables(state)
    quarters = [p for p in state.findings["periods"] if "Q" in p]
    tables = spatial_tables(
        panel, list(cfg.weights), variables=variables, periods=quarters or None,
        permutations=cfg.permutations, seed=cfg.seed, correction=cfg.correction,
        alpha=cfg.alpha, on_budget="warn",
    )
    for name, table in tables.items():
        state.tables[f"stats_{name}"] = table
    # the first weights serve the figures (and, built the same way, the diffusion step)
    first = parse_weights_specs(list(cfg.weights))[0]
    state.extras["weights"] = first_weights(panel, list(cfg.weights))

    variable = _main_variable(state)
    latest = state.findings["latest"]
    g = tables["global"]
    moran = g[(g.statistic == "moran") & (g.variable == variable) & (g.period == latest)
              & (g.weights == first.label)]
    local = tables["local"]
    lisa = local[(local.statistic == "lisa") & (local.variable == variable) & (local.period == latest)
                 & (local.weights == first.label)]
    state.extras["lisa_latest"] = lisa
    state.extras["gi_latest"] = local[(local.statistic == "gi_star") & (local.variable == variable)
                                      & (local.period == latest) & (local.weights == first.label)]
    if len(moran):
        row = moran.iloc[0]
        state.extras.setdefault("cards", []).append(
            (f"Moran's I, {variable} {latest} ({first.label})",
             f"{row['value']:.3f} (p_sim {row['p_sim']:.4f})"))
        clusters = lisa["cluster"].value_counts()
        state.extras.setdefault("findings", []).append(
            f"LISA ({first.label}, {cfg.permutations} permutations, {cfg.correction} at "
            f"alpha {cfg.alpha}): " + ", ".join(f"{k} {v}" for k, v in clusters.items()) + ".")
    state.findings["moran"] = moran[["value", "p_sim", "z_sim"]].to_dict("records")


def compute_diffusion(panel: pd.DataFrame, variable: str, weights: list[str], seed: int,
                      alpha: float, window: str | None, permutations: int = 0) -> dict:
    """The diffusion tables of a run (pure; runs in the worker process when there is one).

    Gi* (emerging hot spots) uses the statistics step's inference: conditional permutations
    with the same weights, seed and count, per period, so its hot and cold spots are those
    of ``stats_local`` (about 1 s on the sample); analytic over the entire cube without
    permutations. The ``inference`` and ``global_window`` columns say which.
    """
    from geodti.dynamics.summary import diffusion_tables

    gi = (dict(gi_inference="permutation", global_window="individual_time_step",
               permutations=permutations) if permutations
          else dict(gi_inference="analytic", global_window="entire_cube"))
    return diffusion_tables(panel, variable, weights=first_weights(panel, weights), seed=seed,
                            alpha=alpha, window=window if window else "auto", **gi)


def step_diffusion(state: RunState) -> Deferred:
    _require_units(state, "diffusion")
    cfg = state.config
    panel = _placed(state)
    window = growth_window(panel, cfg.growth_window)  # as the summaries step computes it
    work = partial(compute_diffusion, panel, _main_variable(state), list(cfg.weights),
                   cfg.seed, cfg.alpha, "-".join(window) if window else None, cfg.permutations)
    return Deferred(work, partial(_store_diffusion, state))


def _store_diffusion(state: RunState, result: dict) -> None:
    layers = result.pop("layers", {})
    notes = result.pop("notes", [])
    for name, table in result.items():
        state.tables[f"diffusion_{name}"] = table
    state.extras["diffusion_layers"] = layers
    state.extras.setdefault("caveats", []).extend(str(n) for n in notes)
    summary = result.get("summary")
    if summary is not None and len(summary):
        first, last = summary.iloc[0], summary.iloc[-1]
        state.extras.setdefault("cards", []).append(
            (f"centre of gravity {first['period']} -> {last['period']}",
             f"{last['westward_shift_km']:+.1f} km westward"))
        state.extras.setdefault("findings", []).append(
            f"Share of the index north-west of the Hu line: {100 * first['share_nw']:.2f}% "
            f"({first['period']}) -> {100 * last['share_nw']:.2f}% ({last['period']}); Gini "
            f"{first['gini']:.3f} -> {last['gini']:.3f}.")


def draw_maps(out: Path, panel: pd.DataFrame, variable: str, latest: str, *, source: str,
              synthetic: bool, correction: str, lisa: pd.DataFrame | None = None,
              gi: pd.DataFrame | None = None, emerging: pd.DataFrame | None = None,
              diffusion_layers: dict | None = None) -> dict[str, Path]:
    """Draw and write the map pages of a run (runs in the worker process when there is one)."""
    from geodti.web import save_maps
    from geodti.web.kind import MapInputs
    from geodti.web.registry import draw_kinds

    # every registered kind whose inputs the run has (geodti.web.registry.MAP_KINDS)
    inputs = MapInputs(panel=panel, variable=variable, latest=latest, lisa=lisa, gi=gi, emerging=emerging,
                       diffusion_layers=diffusion_layers, correction=correction, source=source,
                       synthetic=synthetic)
    return save_maps(draw_kinds(inputs), out)


def step_maps(state: RunState) -> Deferred:
    work = partial(
        draw_maps, state.out, _placed(state), _main_variable(state), state.findings["latest"],
        source=state.caption, synthetic=state.synthetic, correction=state.config.correction,
        lisa=state.extras.get("lisa_latest"), gi=state.extras.get("gi_latest"),
        emerging=state.tables.get("diffusion_emerging_hotspots"),
        diffusion_layers=state.extras.get("diffusion_layers"))
    return Deferred(work, partial(_store_maps, state))


def _store_maps(state: RunState, written: dict[str, Path]) -> None:
    state.wrote(*written.values())
    from geodti.web.registry import link_label

    state.extras["maps"] = [(link_label(name), path.name) for name, path in written.items()]


#: Link text of each kind of map page, by file-stem prefix (longest prefix first).
_MAP_KINDS = (
    ("emerging_hotspots_", "Emerging hot spots"),
    ("agglomerations_", "Urban agglomerations"),
    ("hotspots_", "Gi* hot and cold spots"),
    ("diffusion_", "Centre of gravity and ellipses"),
    ("growth_", "Year-on-year growth"),
    ("lisa_", "LISA clusters"),
)


def _map_label(name: str) -> str:
    """Link text of a map page from its file stem (e.g. ``lisa_dti_2023Q1``)."""
    for prefix, label in _MAP_KINDS:
        if name.startswith(prefix):
            return f"{label}: {name[len(prefix):].replace('_', ' ')}"
    if name.endswith("_slider"):
        return f"Time slider: {name[:-len('_slider')]}"
    return f"Index map: {name.replace('_', ' ')}"


def step_layers(state: RunState) -> None:
    import geopandas as gpd

    from geodti.io.layers import write_layers
    from geodti.places.boundaries import cities
    from geodti.report.layers import build_layers

    cfg = state.config
    panel = _placed(state)
    window = state.findings.get("growth_window")
    layers = build_layers(panel, layers=("cities", "provinces", "agglomerations"),
                          variables=_main_variable(state), resolution=cfg.layer_resolution,
                          window=tuple(window.split("-")) if window else None)
    shapes = cities(cfg.layer_resolution)[["adcode", "geometry"]]
    names = layers["cities"][["adcode", "name"]]

    def on_units(table: pd.DataFrame) -> gpd.GeoDataFrame:
        frame = shapes.merge(names, on="adcode").merge(table, on="adcode", how="inner")
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=shapes.crs)

    keep = ["adcode", "period", "variable", "weights", "value", "quadrant", "z_sim", "p_sim",
            "p_fdr", "p_bonferroni", "sig_none", "sig_fdr", "sig_bonferroni", "cluster",
            "neighbours", "permutations", "seed"]
    if "lisa_latest" in state.extras:
        lisa = state.extras["lisa_latest"][keep]
        gi = state.extras["gi_latest"][[c for c in keep if c != "quadrant"]]
        layers["lisa"] = on_units(lisa)
        layers["hotspots"] = on_units(gi)
        # the cities layer carries the latest cluster labels too, for one-layer styling
        labels = lisa[["adcode", "cluster"]].rename(columns={"cluster": "lisa_cluster"}).merge(
            gi[["adcode", "cluster"]].rename(columns={"cluster": "gi_hotspot"}), on="adcode")
        layers["cities"] = layers["cities"].merge(labels, on="adcode", how="left")
    if "diffusion_emerging_hotspots" in state.tables:
        ehsa = state.tables["diffusion_emerging_hotspots"]
        layers["emerging_hotspots"] = on_units(ehsa[["adcode", "variable", "pattern", "n_periods",
                                                    "n_hot", "n_cold", "mk_z", "mk_p", "mk_trend"]])
    layers.update(state.extras.get("diffusion_layers", {}))  # centres, trajectory, ellipses
    state.wrote(*write_layers(layers, state.out / "layers" / "geodti.gpkg", format="gpkg"))
    state.extras["layers"] = {name: len(layer) for name, layer in layers.items()}


def draw_figures(folder: Path, variable: str, latest: str, *, values: pd.Series | None = None,
                 lisa: pd.DataFrame | None = None, weights=None, moran_i: float | None = None,
                 centres: pd.DataFrame | None = None) -> list[Path]:
    """Draw and write the paper figures of a run (runs in the worker process when there is
    one): the Moran scatterplot and LISA cluster map given ``lisa`` (with the ``values`` of
    the latest quarter and the ``weights``), the centre-of-gravity trajectory given
    ``centres``."""
    from geodti.io.paths import output_path, safe_slug
    from geodti.places.boundaries import cities, provinces
    from geodti.report import figures

    def png(stem: str) -> Path:  # variable and period come from the table: a safe name
        return output_path(folder, f"{safe_slug(stem)}.png")

    written = []
    if lisa is not None:
        lisa = lisa.set_index("adcode")
        ids = list(weights.ids)
        y = values.reindex(ids).to_numpy(dtype=float)
        z = (y - y.mean()) / y.std()  # as the scatterplot standardises (population sd)
        fig = figures.moran_scatterplot(
            y, lag=weights.lag(z), clusters=lisa["cluster"].reindex(ids).to_numpy(),
            moran_i=moran_i, variable=variable, title=f"Moran scatterplot: {variable} {latest}")
        written.append(figures.save_figure(fig, png(f"moran_scatter_{variable}_{latest}")))
        units = cities("map").merge(lisa[["cluster"]], left_on="adcode", right_index=True, how="left")
        fig = figures.lisa_cluster_map(units, "cluster", outlines=provinces("map"),
                                       title=f"LISA clusters: {variable} {latest}")
        written.append(figures.save_figure(fig, png(f"lisa_clusters_{variable}_{latest}")))
    if centres is not None:
        fig = figures.centre_trajectory(centres, outlines=provinces("map"),
                                        title=f"Centre of gravity: {variable}")
        written.append(figures.save_figure(fig, png(f"centre_trajectory_{variable}")))
    return written


def step_figures(state: RunState) -> Deferred:
    variable = _main_variable(state)
    latest = state.findings["latest"]
    panel = _placed(state)
    moran = state.findings.get("moran")
    work = partial(
        draw_figures, state.out / "figures", variable, latest,
        values=panel[panel["period"] == latest].set_index("adcode")[variable],
        lisa=state.extras.get("lisa_latest"), weights=state.extras.get("weights"),
        moran_i=float(moran[0]["value"]) if moran else None,
        centres=state.tables.get("diffusion_centre"))
    return Deferred(work, lambda written: state.wrote(*written))


#: What each table of a run holds (the workbook's contents sheet); ``by_<column>`` tables
#: are described by rule (:func:`describe_table`).
TABLE_DESCRIPTIONS = {
    "match_report": "how each input row's city was matched to a unit (status, method, suggestions)",
    "index_weights": "layer and indicator weights built from the expert scores",
    "index_indicators": "indicator values as shares of the base-period national total",
    "agglomerations": "urban agglomerations: total, share, mean, growth and leading cities",
    "within_agglomerations": "cities within each agglomeration: earlier and latest rank, rank change, growth",
    "layers": "national total of each layer per quarter, with quarter-on-quarter and year-on-year growth",
    "layer_variability": "how much each layer's national total varies over the quarters",
    "industry_by_province": "industry index by province: share, growth and quadrant",
    "city_ranks": "every city: earlier and latest value and rank, rank change, growth",
    "agglomeration_coverage": "share of cities and of the index inside the agglomerations",
    "stats_global": "global spatial autocorrelation (Moran's I, Geary's C, General G, join counts) per period, variable and weights",
    "stats_robustness": "Moran's I across the weights specifications",
    "stats_local": "local statistics (LISA, Gi*, local Geary) per city, period and variable",
    "stats_weights": "the spatial weights used: neighbours, islands, components",
    "stats_links": "links added to or removed from the weights, with the reason",
    "stats_excluded": "cities left out of the statistics, with the reason",
    "diffusion_summary": "diffusion per period: centre, ellipse, north-west share, convergence, inequality",
    "diffusion_centre": "index-weighted centre of gravity per period and its moves",
    "diffusion_centre_yoy_increment": "centre of gravity weighted by the year-on-year increment",
    "diffusion_ellipse": "standard deviational ellipse per period",
    "diffusion_growth_by_longitude_band": "growth by longitude band",
    "diffusion_growth_by_region": "growth by NBS region",
    "diffusion_growth_by_hu_line": "growth on each side of the Hu line",
    "diffusion_growth_by_agglomeration": "growth by urban agglomeration",
    "diffusion_longitude_gradient": "regression of the index on longitude per period (east-west gradient)",
    "diffusion_hu_line_share": "share of the index north-west of the Hu line per period",
    "diffusion_distance_decay": "decay of the index with distance from the core cities",
    "diffusion_sigma": "sigma convergence: dispersion per period and group",
    "diffusion_sigma_trend": "trend of the dispersion over the periods",
    "diffusion_beta": "beta convergence regressions",
    "diffusion_spatial_beta_models": "spatial beta convergence models (SAR, SEM, SDM)",
    "diffusion_spatial_beta_coefficients": "coefficients of the spatial beta convergence models",
    "diffusion_spatial_beta_impacts": "direct, indirect and total effects of the spatial models",
    "diffusion_markov_transitions": "Markov chain transition probabilities between index classes",
    "diffusion_markov_steady_state": "steady state of the Markov chain",
    "diffusion_markov_tests": "tests of the Markov chain",
    "diffusion_spatial_markov_transitions": "spatial Markov transitions, conditioned on the neighbours' class",
    "diffusion_spatial_markov_steady_state": "steady states of the spatial Markov chains",
    "diffusion_spatial_markov_tests": "tests of spatial dependence of the transitions",
    "diffusion_lisa_markov_transitions": "transitions between LISA cluster types",
    "diffusion_lisa_markov_steady_state": "steady state of the LISA Markov chain",
    "diffusion_lisa_markov_tests": "tests of the LISA Markov chain",
    "diffusion_kernel_density": "kernel density of the index distribution per period",
    "diffusion_gi_star": "Gi* hot and cold spots per city and period",
    "diffusion_emerging_hotspots": "emerging hot spot pattern of each city, with its Mann-Kendall trend",
    "diffusion_dagum_components": "Dagum Gini decomposition: within, between and transvariation",
    "diffusion_dagum_groups": "Dagum Gini within each group",
    "diffusion_dagum_pairs": "Dagum Gini between each pair of groups",
    "diffusion_theil": "Theil index with its between and within parts",
}


def describe_table(name: str) -> str:
    """What a run table holds, for the workbook's contents sheet ('' if geodti has no text)."""
    if name in TABLE_DESCRIPTIONS:
        return TABLE_DESCRIPTIONS[name]
    if name.startswith("by_"):
        return f"summary of the index by {name[3:].replace('_', ' ')}: total, share, mean, growth, leading city"
    return ""


def write_run_tables(tables: dict[str, pd.DataFrame], folder: Path, limit: int) -> list[Path]:
    """Every table as CSV, and the workbook that lists them."""
    from geodti.io.paths import output_path, unique_slugs
    from geodti.io.tables import sheet_names, write_table, write_tables

    written, contents = [], []
    files = {name: f"{slug}.csv" for name, slug in unique_slugs(tables).items()}  # names from data
    for name, table in tables.items():
        written.append(write_table(table, output_path(folder, files[name])))
        in_workbook = not limit or len(table) <= limit
        contents.append({"sheet": None, "table": name, "description": describe_table(name),
                         "rows": len(table), "columns": table.shape[1],
                         "csv": files[name], "in_workbook": in_workbook})
    # Excel is slow to write and to use with tens of thousands of rows (e.g. the local
    # statistics of every city, period and variable): those tables are CSV only, and the
    # workbook's first sheet lists every table and where it is.
    in_book = [row for row in contents if row["in_workbook"]]
    # Excel cuts sheet names to 31 characters: the contents sheet gives each its full name
    for row, sheet in zip(in_book, sheet_names(["contents", *(r["table"] for r in in_book)])[1:]):
        row["sheet"] = sheet
    book = {"contents": pd.DataFrame(contents)}
    book.update({row["table"]: tables[row["table"]] for row in in_book})
    written.extend(write_tables(book, folder / "geodti_tables.xlsx"))
    return written


def _table_order(name: str) -> int:
    """Where a table goes among the run's tables: the match report, the index weights, the
    summaries, the statistics, the diffusion tables (whichever process finished first)."""
    if name == "match_report":
        return 0
    return {"index": 1, "stats": 3, "diffusion": 4}.get(name.split("_", 1)[0], 2)


def step_tables(state: RunState) -> None:
    tables = {name: state.tables[name] for name in sorted(state.tables, key=_table_order)}
    state.wrote(*write_run_tables(tables, state.out / "tables", state.config.xlsx_max_rows))


def step_report(state: RunState) -> None:
    from geodti.report.page import render_report

    html = render_report(state)
    state.wrote(write_text(state.out / "index.html", html))


@dataclass(frozen=True)
class RunStep:
    """A named step of the run.

    ``background`` steps return a :class:`Deferred` whose work may run in the worker process
    while the following steps go on; a step waits for the background steps named in its
    ``after`` (their results are stored in the state before it starts).
    """

    name: str
    function: Callable[[RunState], Deferred | None]
    background: bool = False
    after: tuple[str, ...] = ()


# The diffusion tables are computed in the background from the moment the table is read,
# while the summaries and statistics are computed here; then the maps and figures are drawn
# in the background while the layers and tables are written here. (The background process
# first spends seconds importing giddy, mapclassify and matplotlib, hence this split.)
STEPS: list[RunStep] = [
    RunStep("read and match", step_read),
    RunStep("index", step_index),
    RunStep("diffusion", step_diffusion, background=True),
    RunStep("summaries", step_summaries),
    RunStep("statistics", step_statistics),
    RunStep("maps", step_maps, background=True, after=("diffusion",)),
    RunStep("figures", step_figures, background=True),
    RunStep("layers", step_layers),
    RunStep("tables", step_tables),
    RunStep("report page", step_report, after=("maps", "figures")),
]


# ---------------------------------------------------------------------------------------
# the run


@dataclass
class RunResult:
    out: Path
    manifest: dict
    state: RunState


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    versions = {"geodti": __version__, "python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def default_jobs() -> int:
    """Processes a run uses by default: two where this process may use two CPUs, else one."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return 2 if cpus >= 2 else 1


def _start(work: partial, worker: Worker | None) -> Callable[[], tuple[object, float]]:
    """Start ``work`` in the worker, or do it here and now; return a function that gives its
    result and how many seconds it took."""
    if worker is not None:
        return worker.submit(work)
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    return lambda: (result, seconds)


def run(config: RunConfig, progress: Callable[[str, int, int], None] | None = None,
        jobs: int | None = None) -> RunResult:
    """Run the whole pipeline described by ``config``; return where it wrote and its manifest.

    ``progress(step_name, index, total)`` is called before each step (the CLI shows it).
    ``jobs`` is the number of processes: with 2 (the default where two CPUs are available;
    more are no faster) the background steps, the diffusion tables and then the maps and
    figures, run in a second process while the summaries, statistics, layers and tables are
    done here; 1 runs every step here.
    Either way the outputs are the same, byte for byte.
    """
    jobs = default_jobs() if jobs is None else int(jobs)
    if jobs < 1:
        raise InputError(f"jobs must be at least 1, got {jobs}.")
    input_path, synthetic = input_of(config)
    # every input is checked before --out is created: a typo leaves nothing behind
    check_input_file(input_path)
    for what, path in (("groups", config.groups), ("indicator scores", config.indicator_scores),
                       ("layer scores", config.layer_scores), ("framework", config.framework)):
        if path is not None:
            check_input_file(path, what)
    made = folders_created_by(config.out)
    out = prepare_output_dir(config.out, force=config.force)
    state = RunState(
        config=config, out=out, input_path=input_path, synthetic=synthetic,
        caption=SAMPLE_CAPTION if synthetic else f"data: {input_path.name}",
    )
    inputs = {str(input_path): _sha256(input_path)}
    if config.groups:
        inputs[str(config.groups)] = _sha256(Path(config.groups))
    began = time.perf_counter()
    timings = []
    # one worker process: the background steps depend on each other in a chain
    worker = Worker() if jobs > 1 else None
    # One BLAS thread, here and in the worker: two processes on two CPUs are enough, and a
    # threaded BLAS may sum in a different order with a different number of threads, which
    # would make the last digits depend on the machine.
    blas = threadpool_limits(limits=1)
    pending: dict[str, tuple] = {}
    finished = False

    def skipped(entry: dict, reason: SkipStep, index: int) -> None:
        entry["skipped"] = str(reason)
        state.extras.setdefault("caveats", []).append(str(reason) + ".")
        if progress is not None:
            progress(f"{entry['step']}: {reason}", index, len(STEPS))

    def collect(name: str) -> None:
        if name not in pending:
            return
        result, deferred, entry, index = pending.pop(name)
        try:
            value, seconds = result()
            deferred.finish(value)
        except SkipStep as reason:
            skipped(entry, reason, index)
            seconds = 0.0
        entry["seconds"] = round(seconds, 3)

    try:
        for index, step in enumerate(STEPS):
            for name in step.after:
                collect(name)
            if progress is not None:
                where = " (in a second process)" if step.background and worker is not None else ""
                progress(step.name + where, index, len(STEPS))
            start = time.perf_counter()
            entry = {"step": step.name}
            timings.append(entry)
            try:
                deferred = step.function(state)
                if deferred is not None:
                    # its result is stored when a later step needs it: in the same order
                    # whether it ran in the worker or here
                    pending[step.name] = (_start(deferred.work, worker), deferred, entry, index)
                    continue
            except SkipStep as reason:
                skipped(entry, reason, index)
            entry["seconds"] = round(time.perf_counter() - start, 3)
        for name in list(pending):
            collect(name)
        finished = True
    finally:
        blas.restore_original_limits()
        if worker is not None:
            worker.close()  # waits for it to remove its temporary files
        if not finished:  # a failed or interrupted run: a folder it made and left empty goes
            remove_unused_folders(made)

    state.wrote(write_text(out / "geodti.toml", config.to_toml()))
    manifest = {
        "geodti": __version__,
        "inputs": inputs,
        "synthetic_sample": synthetic,
        "config": config.to_dict(),
        "seed": config.seed,
        "permutations": config.permutations,
        "weights": list(config.weights),
        "versions": _versions(),
        "steps": timings,
        "seconds": round(time.perf_counter() - began, 3),
        "jobs": jobs,
        "outputs": sorted(str(p.relative_to(out)) for p in set(state.outputs)),
    }
    # step times vary from run to run; everything else in the manifest is deterministic
    write_text(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return RunResult(out=out, manifest=manifest, state=state)
