"""The steps of ``geodti run``, each declared with the artefacts it needs and gives.

Steps that compute call the pure functions of :mod:`geodti.index`, :mod:`geodti.spatial`
and :mod:`geodti.dynamics`; only the writing steps touch files, always through
:mod:`geodti.io.atomic`. :data:`STEPS` declares them; :mod:`geodti.run.scheduler` derives
their order and runs them; :mod:`geodti.run.runner` starts a run and writes its manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from geodti.errors import InputError
from geodti.schema import schema_of
from geodti.io.atomic import write_text
from geodti.run.artefacts import (Diffusion, Figures, Layers, Maps, MatchedTable, Panel,
                                  ReportPage, Statistics, Summaries, Tables)
from geodti.run.config import RunConfig
from geodti.run.scheduler import Deferred, Given, SkipStep, Step


@dataclass(frozen=True)
class RunContext:
    """What every step knows from the start of a run."""

    config: RunConfig
    out: Path
    input_path: Path
    synthetic: bool
    caption: str
    #: ``--scheduler``: the Dask scheduler's address and this process's client (None: no Dask)
    scheduler: str | None = None
    client: object = None


#: Fewer cities with data than this and the spatial steps are skipped (and say so): permutation
#: inference and the diffusion methods are not meaningful on a handful of units.
MIN_UNITS_FOR_STATISTICS = 30


def _require_units(panel: Panel, what: str) -> None:
    n = panel.placed["adcode"].dropna().nunique()
    if n < MIN_UNITS_FOR_STATISTICS:
        raise SkipStep(
            f"{what} skipped: the table has {n} cities with data; spatial statistics need at "
            f"least {MIN_UNITS_FOR_STATISTICS}"
        )


def _placed(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel rows placed on a unit (unmatched rows, if allowed, stay in the match report)."""
    return panel[panel["adcode"].notna()].copy()


# ---------------------------------------------------------------------------------------
# steps


def step_read(context: RunContext, given: Given) -> MatchedTable:
    from geodti.io.panel import read_indicators_with_report, read_panel_with_report
    from geodti.places.match import STATUSES

    cfg = context.config
    where = dict(city_column=cfg.city_column, province_column=cfg.province_column,
                 period_column=cfg.period_column, sheet=cfg.sheet, encoding=cfg.encoding,
                 header_row=cfg.header_row,
                 allow_unmatched=cfg.allow_unmatched, allow_county=cfg.allow_county)
    if cfg.indicator_scores:
        panel, report = read_indicators_with_report(context.input_path, **where)
    else:
        panel, report = read_panel_with_report(context.input_path,
                                               value_columns=cfg.variables or None, **where)
    counts = report["status"].value_counts()
    return MatchedTable(panel=panel, match_report=report,
                        match_counts={s: int(counts.get(s, 0)) for s in STATUSES})


def step_index(context: RunContext, given: Given) -> Panel:
    """The panel of index values: the table's own, or built from its raw indicators by the
    report's method when the run has the expert scores."""
    from geodti.index.summary import latest_quarter

    cfg = context.config
    read = given[MatchedTable].panel
    raw = _placed(read)
    periods = [str(p) for p in sorted(read["period"].unique())]  # unplaced rows' too
    if not cfg.indicator_scores:
        return Panel(placed=raw, value_columns=list(schema_of(raw).value_columns), periods=periods,
                     latest=latest_quarter(raw))
    from geodti.index import build_index
    from geodti.index.framework import dti_framework
    from geodti.io.read import read_table

    indicators = list(schema_of(raw).value_columns)
    long = raw.melt(id_vars=["adcode", "period"], value_vars=indicators, var_name="indicator",
                    value_name="value")
    framework = dti_framework() if cfg.framework is None else read_table(cfg.framework)
    built = build_index(long, framework, read_table(cfg.indicator_scores),
                        read_table(cfg.layer_scores), base_period=cfg.base_period)
    values = [c for c in built.panel.columns if c not in ("adcode", "period")]
    keys = raw[["adcode", "name", "period", "period_type"]]
    panel = keys.merge(built.panel, on=["adcode", "period"], how="left", validate="one_to_one")
    layer_weights = built.weights[built.weights["level"] == "layer"]
    caveat = (
        f"The index was built from the raw indicators of the table ({', '.join(indicators)}) by "
        f"the report's method: each indicator over its national total in {cfg.base_period}, "
        "weighted by the experts' scores (a_j = sum_i a_ij / sum_i sum_j a_ij); layer weights "
        + ", ".join(f"{r.layer} {r.weight:.3f}" for r in layer_weights.itertuples()) + ".")
    return Panel(placed=_placed(panel), value_columns=values, periods=periods,
                 latest=latest_quarter(panel),
                 tables={"index_weights": built.weights, "index_indicators": built.indicators},
                 caveats=[caveat])


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
        from geodti.io.groups import group_column, read_groups

        groups = read_groups(groups_path)
        column = group_column(groups)
        if f"by_{column}" in t:  # a user's grouping must not replace a built-in summary
            raise InputError(
                f"--groups {groups_path}: its group column {column!r} has the name of a built-in "
                f"summary (by_{column}); rename the column (e.g. my_{column}) and run again.")
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


def step_summaries(context: RunContext, given: Given) -> Summaries:
    cfg = context.config
    panel = given[Panel]
    tables, findings = compute_summaries(panel.placed, panel.variable, cfg.growth_window,
                                         cfg.groups)
    return Summaries(tables=tables, growth_window=findings["growth_window"],
                     earlier=findings["earlier"], coverage_zh=findings["coverage_zh"],
                     coverage_en=findings["coverage_en"], top_cities=findings["top_cities"])


INDEX_VARIABLES = ("dti", "infrastructure", "platform", "application")


def _statistics_variables(config: RunConfig, values: list[str]) -> list[str]:
    chosen = list(config.statistics_variables)
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


def step_statistics(context: RunContext, given: Given) -> Statistics:
    from geodti.spatial.pipeline import spatial_tables
    from geodti.spatial.weights import parse_weights_specs

    panel = given[Panel]
    _require_units(panel, "spatial statistics")
    cfg = context.config
    quarters = [p for p in panel.periods if "Q" in p]
    tables = spatial_tables(
        panel.placed, list(cfg.weights), variables=_statistics_variables(cfg, panel.value_columns),
        periods=quarters or None, permutations=cfg.permutations, seed=cfg.seed,
        correction=cfg.correction, alpha=cfg.alpha, on_budget="warn", client=context.client,
    )
    # the first weights serve the figures (and, built the same way, the diffusion step)
    first = parse_weights_specs(list(cfg.weights))[0]
    variable, latest = panel.variable, panel.latest
    g = tables["global"]
    moran = g[(g.statistic == "moran") & (g.variable == variable) & (g.period == latest)
              & (g.weights == first.label)]
    local = tables["local"]
    at = (local.variable == variable) & (local.period == latest) & (local.weights == first.label)
    lisa = local[(local.statistic == "lisa") & at]
    cards, findings = [], []
    if len(moran):
        row = moran.iloc[0]
        cards.append((f"Moran's I, {variable} {latest} ({first.label})",
                      f"{row['value']:.3f} (p_sim {row['p_sim']:.4f})"))
        clusters = lisa["cluster"].value_counts()
        findings.append(
            f"LISA ({first.label}, {cfg.permutations} permutations, {cfg.correction} at "
            f"alpha {cfg.alpha}): " + ", ".join(f"{k} {v}" for k, v in clusters.items()) + ".")
    return Statistics(
        tables={f"stats_{name}": table for name, table in tables.items()},
        weights=first_weights(panel.placed, list(cfg.weights)), weights_label=first.label,
        lisa_latest=lisa, gi_latest=local[(local.statistic == "gi_star") & at],
        moran=moran[["value", "p_sim", "z_sim"]].to_dict("records"), cards=cards,
        findings=findings)


def compute_diffusion(panel: pd.DataFrame, variable: str, weights: list[str], seed: int,
                      alpha: float, window: str | None, permutations: int = 0,
                      scheduler: str | None = None) -> dict:
    """The diffusion tables of a run (pure; runs in the worker process when there is one).

    Gi* (emerging hot spots) uses the statistics step's inference: conditional permutations
    with the same weights, seed and count, per period, so its hot and cold spots are those
    of ``stats_local`` (about 1 s on the sample); analytic over the entire cube without
    permutations. The ``inference`` and ``global_window`` columns say which. ``scheduler``: a
    Dask scheduler's address for Gi*'s permutations (a client of its own: this may run in the
    worker process).
    """
    from geodti.dynamics.summary import diffusion_tables

    gi = (dict(gi_inference="permutation", global_window="individual_time_step",
               permutations=permutations) if permutations
          else dict(gi_inference="analytic", global_window="entire_cube"))
    if not (scheduler and permutations):
        return diffusion_tables(panel, variable, weights=first_weights(panel, weights), seed=seed,
                                alpha=alpha, window=window if window else "auto", **gi)
    from geodti.spatial.executor import connect

    client = connect(scheduler)
    try:
        return diffusion_tables(panel, variable, weights=first_weights(panel, weights), seed=seed,
                                alpha=alpha, window=window if window else "auto", client=client, **gi)
    finally:
        client.close()


def step_diffusion(context: RunContext, given: Given) -> Deferred:
    panel = given[Panel]
    _require_units(panel, "diffusion")
    cfg = context.config
    window = growth_window(panel.placed, cfg.growth_window)  # as the summaries step computes it
    work = partial(compute_diffusion, panel.placed, panel.variable, list(cfg.weights),
                   cfg.seed, cfg.alpha, "-".join(window) if window else None, cfg.permutations,
                   scheduler=context.scheduler)
    return Deferred(work, _diffusion_artefact)


def _diffusion_artefact(result: dict) -> Diffusion:
    layers = result.pop("layers", {})
    notes = result.pop("notes", [])
    cards, findings = [], []
    summary = result.get("summary")
    if summary is not None and len(summary):
        first, last = summary.iloc[0], summary.iloc[-1]
        cards.append((f"centre of gravity {first['period']} -> {last['period']}",
                      f"{last['westward_shift_km']:+.1f} km westward"))
        findings.append(
            f"Share of the index north-west of the Hu line: {100 * first['share_nw']:.2f}% "
            f"({first['period']}) -> {100 * last['share_nw']:.2f}% ({last['period']}); Gini "
            f"{first['gini']:.3f} -> {last['gini']:.3f}.")
    return Diffusion(tables={f"diffusion_{name}": table for name, table in result.items()},
                     layers=layers, caveats=[str(n) for n in notes], cards=cards,
                     findings=findings)


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


def step_maps(context: RunContext, given: Given) -> Deferred:
    panel, statistics, diffusion = given[Panel], given.get(Statistics), given.get(Diffusion)
    work = partial(
        draw_maps, context.out, panel.placed, panel.variable, panel.latest,
        source=context.caption, synthetic=context.synthetic, correction=context.config.correction,
        lisa=statistics.lisa_latest if statistics else None,
        gi=statistics.gi_latest if statistics else None,
        emerging=diffusion.emerging_hotspots if diffusion else None,
        diffusion_layers=diffusion.layers if diffusion else None)
    return Deferred(work, _maps_artefact)


def _maps_artefact(written: dict[str, Path]) -> Maps:
    from geodti.web.registry import link_label

    return Maps(links=[(link_label(name), path.name) for name, path in written.items()],
                files=tuple(written.values()))


def step_layers(context: RunContext, given: Given) -> Layers:
    from geodti.io.layer_builder import RunLayerInputs, build_run_layers
    from geodti.io.layers import write_layers

    panel, statistics, diffusion = given[Panel], given.get(Statistics), given.get(Diffusion)
    window = given[Summaries].growth_window
    layers = build_run_layers(RunLayerInputs(
        panel=panel.placed, variable=panel.variable, resolution=context.config.layer_resolution,
        window=tuple(window.split("-")) if window else None,
        lisa=statistics.lisa_latest if statistics else None,
        gi=statistics.gi_latest if statistics else None,
        emerging=diffusion.emerging_hotspots if diffusion else None,
        diffusion_layers=diffusion.layers if diffusion else {}))
    written = write_layers(layers, context.out / "layers" / "geodti.gpkg", format="gpkg")
    return Layers(counts={name: len(layer) for name, layer in layers.items()},
                  files=tuple(written))


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


def step_figures(context: RunContext, given: Given) -> Deferred:
    panel, statistics, diffusion = given[Panel], given.get(Statistics), given.get(Diffusion)
    variable, latest, placed = panel.variable, panel.latest, panel.placed
    work = partial(
        draw_figures, context.out / "figures", variable, latest,
        values=placed[placed["period"] == latest].set_index("adcode")[variable],
        lisa=statistics.lisa_latest if statistics else None,
        weights=statistics.weights if statistics else None,
        moran_i=float(statistics.moran[0]["value"]) if statistics and statistics.moran else None,
        centres=diffusion.centres if diffusion else None)
    return Deferred(work, lambda written: Figures(files=tuple(written)))


def step_tables(context: RunContext, given: Given) -> Tables:
    from geodti.run.tables import write_run_tables

    # the match report, the index weights, the summaries, the statistics, the diffusion
    tables = {"match_report": given[MatchedTable].match_report, **given[Panel].tables,
              **given[Summaries].tables}
    for kind in (Statistics, Diffusion):
        made = given.get(kind)
        if made is not None:
            tables.update(made.tables)
    written = write_run_tables(tables, context.out / "tables", context.config.xlsx_max_rows)
    return Tables(names=list(tables), files=tuple(written))


def step_report(context: RunContext, given: Given) -> ReportPage:
    from geodti.report.page import render_report

    html = render_report(
        context, given[MatchedTable], given[Panel], given[Summaries],
        statistics=given.get(Statistics), diffusion=given.get(Diffusion), maps=given.get(Maps),
        skipped=given.skipped)
    return ReportPage(files=(write_text(context.out / "index.html", html),))


# The diffusion tables are computed in the background from the moment the panel is there,
# while the summaries and statistics are computed here; then the maps and figures are drawn
# in the background while the layers and tables are written here. (The background process
# first spends seconds importing giddy, mapclassify and matplotlib, hence this split.) The
# scheduler derives this order from the declarations; the listed order only breaks ties.
STEPS: list[Step] = [
    Step("read and match", step_read, gives=MatchedTable),
    Step("index", step_index, gives=Panel, needs=(MatchedTable,)),
    Step("summaries", step_summaries, gives=Summaries, needs=(Panel,)),
    Step("statistics", step_statistics, gives=Statistics, needs=(Panel,)),
    Step("diffusion", step_diffusion, gives=Diffusion, needs=(Panel,), background=True),
    Step("maps", step_maps, gives=Maps, needs=(Panel,), uses=(Statistics, Diffusion),
         background=True),
    Step("figures", step_figures, gives=Figures, needs=(Panel,), uses=(Statistics, Diffusion),
         background=True),
    Step("layers", step_layers, gives=Layers, needs=(Panel, Summaries),
         uses=(Statistics, Diffusion)),
    Step("tables", step_tables, gives=Tables, needs=(MatchedTable, Panel, Summaries),
         uses=(Statistics, Diffusion)),
    # written last, once every map, figure and table it speaks of is there
    Step("report page", step_report, gives=ReportPage, needs=(MatchedTable, Panel, Summaries),
         uses=(Statistics, Diffusion, Maps, Figures, Layers, Tables)),
]
