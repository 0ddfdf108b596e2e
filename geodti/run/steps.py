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

from geodti.errors import InputError, MatchError
from geodti.schema import schema_of
from geodti.io.atomic import write_text
from geodti.run.artefacts import (Diffusion, Figures, Layers, Maps, MatchedTable, Models,
                                  Panel, ReportPage, SecondIndex, Statistics, Summaries, Tables)
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
        units = {"city": "cities", "province": "provinces", "county": "county-level units"}[panel.level]
        raise SkipStep(
            f"{what} skipped: the table has {n} {units} with data; spatial statistics need at "
            f"least {MIN_UNITS_FOR_STATISTICS}"
        )


def _placed(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel rows placed on a unit (unmatched rows, if allowed, stay in the match report)."""
    return panel[panel["adcode"].notna()].copy()


# ---------------------------------------------------------------------------------------
# steps


def reading_options(cfg: RunConfig) -> dict:
    """How the run reads and matches a table (the table itself, and a second index alike)."""
    return dict(city_column=cfg.city_column, province_column=cfg.province_column,
                period_column=cfg.period_column, sheet=cfg.sheet, encoding=cfg.encoding,
                header_row=cfg.header_row, allow_unmatched=cfg.allow_unmatched,
                allow_county=cfg.allow_county, level=cfg.level, frequency=cfg.frequency,
                parent_column=cfg.parent_column)


def step_read(context: RunContext, given: Given) -> MatchedTable:
    from geodti.io.panel import check_values, read_indicators_with_report, read_panel_with_report
    from geodti.places.match import STATUSES

    cfg = context.config
    where = reading_options(cfg)
    try:
        if cfg.indicator_scores:
            if cfg.crosswalk or cfg.crosswalk_shares:
                raise InputError("crosswalk works on a table of values, not on raw indicators; "
                                 "build the index first, or leave crosswalk out.")
            panel, report = read_indicators_with_report(context.input_path, **where)
        else:
            panel, report = read_panel_with_report(
                context.input_path, value_columns=cfg.variables or None, layout=cfg.layout,
                period=cfg.period, value_name=cfg.value_name, crosswalk=cfg.crosswalk,
                crosswalk_weight=cfg.crosswalk_weight, crosswalk_shares=cfg.crosswalk_shares,
                **where)
    except MatchError as exc:
        # the message lists a few rows; the user needs every row and its suggestions
        from geodti.io.tables import write_table

        path = write_table(exc.report, context.out / "match_report.csv")
        raise MatchError(f"{exc} The full match report (every row, its status and "
                         f"suggestions): {path}", report=exc.report) from None
    if cfg.groups:
        from geodti.io.groups import read_groups

        read_groups(cfg.groups)  # checked before anything is computed (read again by summaries)
    # every cell checked before anything is computed: a gap must not stop the run minutes later
    panel, dropped = check_values(panel, context.input_path, missing=cfg.missing)
    counts = report["status"].value_counts()
    return MatchedTable(panel=panel, match_report=report,
                        match_counts={s: int(counts.get(s, 0)) for s in STATUSES},
                        dropped=dropped)


def step_index(context: RunContext, given: Given) -> Panel:
    """The panel of index values: the table's own, or built from its raw indicators by the
    report's method when the run has the expert scores."""
    from geodti.index.summary import latest_period

    cfg = context.config
    matched = given[MatchedTable]
    read = matched.panel
    raw = _placed(read)
    periods = [str(p) for p in sorted(read["period"].unique())]  # unplaced rows' too
    tables, caveats = _dropped_rows(matched.dropped, cfg.missing)
    # rows of another frequency that --frequency left out are reported, never dropped silently
    caveats += [f"frequency {cfg.frequency}: {n} {kind} rows of the table were left out."
                for kind, n in read.attrs.get("left_out_frequencies", {}).items()]
    if not cfg.indicator_scores:
        return Panel(placed=raw, value_columns=list(schema_of(raw).value_columns), periods=periods,
                     latest=latest_period(raw), tables=tables, caveats=caveats)
    from geodti.index import build_index
    from geodti.index.framework import dti_framework
    from geodti.index.method import REPORT_BASE_PERIOD, base_period_of
    from geodti.io.read import read_table

    indicators = list(schema_of(raw).value_columns)
    long = raw.melt(id_vars=["adcode", "period"], value_vars=indicators, var_name="indicator",
                    value_name="value")
    framework = dti_framework() if cfg.framework is None else read_table(cfg.framework)
    base = base_period_of(long["period"].unique(), cfg.base_period)
    built = build_index(long, framework, read_table(cfg.indicator_scores),
                        read_table(cfg.layer_scores), base_period=base)
    values = [c for c in built.panel.columns if c not in ("adcode", "period")]
    keys = raw[["adcode", "name", "period", "period_type"]]
    panel = keys.merge(built.panel, on=["adcode", "period"], how="left", validate="one_to_one")
    layer_weights = built.weights[built.weights["level"] == "layer"]
    caveat = (
        f"The index was built from the raw indicators of the table ({', '.join(indicators)}) by "
        f"the report's method: each indicator over its national total in {base}"
        # the report's base is a quarter; another frequency's default is said, never implied
        + ("" if cfg.base_period is not None or base == REPORT_BASE_PERIOD else
           " (the table's earliest period: the report's base 2021Q1 is a quarter; "
           "--base-period chooses another)")
        + ", "
        "weighted by the experts' scores (a_j = sum_i a_ij / sum_i sum_j a_ij); layer weights "
        + ", ".join(f"{r.layer} {r.weight:.3f}" for r in layer_weights.itertuples()) + ".")
    return Panel(placed=_placed(panel), value_columns=values, periods=periods,
                 latest=latest_period(panel),
                 tables={**tables, "index_weights": built.weights,
                         "index_indicators": built.indicators},
                 caveats=[*caveats, caveat])


def _dropped_rows(dropped: pd.DataFrame, missing: str) -> tuple[dict, list[str]]:
    """The table and caveat of the rows left out for missing values (none: nothing)."""
    if dropped is None or not len(dropped):
        return {}, []
    cities = dropped["adcode"].nunique()
    return {"input_dropped": dropped}, [
        f"--missing {missing}: {len(dropped)} row(s) of {cities} cities were left out for "
        "missing values (tables/input_dropped.csv lists them); statistics and diffusion follow "
        "every city through every period and leave out cities that lack one."]


def growth_window(panel: pd.DataFrame, configured) -> tuple[str, str] | None:
    """The growth window of a run: as configured, else
    :func:`geodti.index.growth.default_window` (the report's rule at the panel's frequency)."""
    if configured:
        return tuple(configured)
    from geodti.index.growth import default_window

    return default_window(panel)


def earlier_period(panel: pd.DataFrame, latest: str) -> str | None:
    """The period the latest ranks are compared with (:func:`geodti.index.growth.earlier_period`)."""
    from geodti.index.growth import earlier_period as earlier

    return earlier(panel, latest)


def _without_comparison(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in table.columns
                               if c.startswith("earlier_") or c == "rank_change"])


#: The built-in groupings of the summaries at each level (a province is its own province;
#: agglomerations and administrative ranks are groups of cities).
def _level_groupings() -> dict[str, tuple[str, ...]]:
    """The ``by_*`` tables of each level: its bundled groupings
    (:data:`geodti.places.levels.SUMMARY_GROUPINGS`) but agglomerations, which have tables of
    their own (``agglomerations``, ``within_agglomerations``)."""
    from geodti.places.levels import SUMMARY_GROUPINGS

    return {level: tuple(g for g in groups if g != "agglomeration")
            for level, groups in SUMMARY_GROUPINGS.items()}


def compute_summaries(panel: pd.DataFrame, variable: str, configured_window,
                      groups_path: str | None) -> tuple[dict[str, pd.DataFrame], dict]:
    """The report's summary tables of a run and the findings they give (pure but for reading
    the grouping table). At province and county level the agglomeration tables are left out
    (agglomerations are groups of cities: aggregate a county table up to cities for them)."""
    from geodti.index import summary
    from geodti.index.growth import rank_change, summary_growth
    from geodti.places.gazetteer import agglomerations, gazetteer
    from geodti.places.levels import units as level_units
    from geodti.schema import level_of_codes

    level = level_of_codes(panel["adcode"])
    window = growth_window(panel, configured_window)
    latest = summary.latest_period(panel)
    members = agglomerations()
    units = gazetteer() if level == "city" else level_units(level)
    t: dict[str, pd.DataFrame] = {}
    earlier = earlier_period(panel, latest)
    if level == "city":
        t["agglomerations"] = summary.agglomeration_table(panel, members, variable=variable, period=latest, window=window)
        within = summary.within_agglomeration(
            panel, members, variable=variable, earlier=earlier or latest, later=latest, window=window)
        t["within_agglomerations"] = within if earlier else _without_comparison(within)
    for by in _level_groupings()[level]:
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
    if level == "city" and any(c.startswith("industry_") for c in panel.columns):
        t["industry_by_province"] = summary.industry_view(panel, units, by="province", window=window)
    city = rank_change(panel, variable, earlier=earlier or latest, later=latest)
    if earlier is None:
        city = _without_comparison(city)
    if window is not None:
        growth = summary_growth(panel, variable, window=window)[["adcode", "window", "growth", "flag"]]
        city = city.merge(growth.rename(columns={"flag": "growth_flag"}), on="adcode", how="left")
    city.insert(1, "name", city["adcode"].map(units.set_index("adcode")["name"]))
    ranks = f"{level}_ranks"  # city_ranks, province_ranks, county_ranks
    t[ranks] = city.sort_values("later_rank", kind="stable").reset_index(drop=True)
    coverage = None
    if level == "city":
        coverage = summary.agglomeration_coverage(panel, members, variable=variable, period=latest)
        t["agglomeration_coverage"] = coverage
    findings = {
        "growth_window": "-".join(window) if window else None,
        "variable": variable,
        "latest": latest,
        "earlier": earlier,
        "coverage_zh": coverage["statement_zh"].iloc[0] if coverage is not None else None,
        "coverage_en": coverage["statement_en"].iloc[0] if coverage is not None else None,
        "top_cities": t[ranks].head(10)[["name", "later_rank", "later_value"]].to_dict("records"),
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

    from geodti.schema import level_of_codes

    first = parse_weights_specs(specs)[0]
    bundled = bundled_inputs(level=level_of_codes(panel["adcode"]))
    units = bundled["units"][bundled["units"]["adcode"].isin(set(panel["adcode"]))]
    return build_weights_set([first], units, contiguity=bundled["contiguity"],
                             agglomerations=bundled["agglomerations"])[first.label]


def step_statistics(context: RunContext, given: Given) -> Statistics:
    from geodti.spatial.pipeline import spatial_tables
    from geodti.spatial.weights import parse_weights_specs

    panel = given[Panel]
    _require_units(panel, "spatial statistics")
    cfg = context.config
    tables = spatial_tables(
        panel.placed, list(cfg.weights), variables=_statistics_variables(cfg, panel.value_columns),
        permutations=cfg.permutations, seed=cfg.seed,
        correction=cfg.correction, alpha=cfg.alpha, on_budget="warn", client=context.client,
        # --missing drop-...: the cities with a gap are left out (tables/stats_excluded.csv)
        missing="raise" if cfg.missing == "error" else "drop",
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


def second_index_panel(first: pd.DataFrame, x: str, second: pd.DataFrame, y: str,
                        source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two indices on their common units and periods, and what only one of them has.

    ``first`` and ``second`` are placed panels (``adcode``, ``period``); the result holds
    ``adcode, name, period, x, y`` for the periods both cover and the units with both values in
    every one of them (the statistics need a complete map); the second table lists every
    unit-period left out and why. No common unit-period: an :class:`InputError` naming ``source``.
    """
    a = first[["adcode", "period", x]].dropna()
    b = second[["adcode", "period", y]].dropna()
    both = a.merge(b, on=["adcode", "period"], how="inner", validate="one_to_one")
    if both.empty:
        pa, pb = sorted(a["period"].unique()), sorted(b["period"].unique())
        raise InputError(
            f"{source}: the second index shares no city and period with the table (table periods "
            f"{', '.join(pa[:6])}{' ...' if len(pa) > 6 else ''}; second index periods "
            f"{', '.join(pb[:6])}{' ...' if len(pb) > 6 else ''}); give a second table of the same "
            "cities and periods.")
    periods = sorted(both["period"].unique())
    counts = both.groupby("adcode")["period"].nunique()
    units = set(counts[counts == len(periods)].index)
    ka, kb = set(zip(a["adcode"], a["period"])), set(zip(b["adcode"], b["period"]))
    left = []
    for code, period in sorted(ka | kb):
        if (code, period) in ka and (code, period) in kb and code in units:
            continue
        if (code, period) not in kb:
            reason = "main index only"
        elif (code, period) not in ka:
            reason = "second index only"
        else:
            reason = "city lacks one index in another common period"
        left.append({"adcode": code, "period": period, "reason": reason})
    used = both[both["adcode"].isin(units)].sort_values(["adcode", "period"], kind="stable")
    return used.reset_index(drop=True), pd.DataFrame(left, columns=["adcode", "period", "reason"])


def step_second(context: RunContext, given: Given) -> SecondIndex:
    """The second index against the main one, when the run has one (else skipped, saying so)."""
    cfg = context.config
    if cfg.second is None and cfg.second_variable is None:
        raise SkipStep("second index skipped: the run has none (--second TABLE or "
                       "--second-variable COLUMN)")
    from geodti.spatial.bivariate import cross_index_tables

    panel = given[Panel]
    x = panel.variable
    caveats = []
    if cfg.second is None:
        source = f"second_variable {cfg.second_variable!r}"
        if cfg.second_variable not in panel.value_columns:
            raise InputError(f"{source}: not a value column of the table ({', '.join(panel.value_columns)}); "
                             "name one, or give a second table with --second.")
        y = cfg.second_variable
        second = panel.placed
    else:
        from geodti.io.panel import read_panel_with_report
        from geodti.io.read import check_input_file

        source = f"--second {cfg.second}"
        path = check_input_file(cfg.second, "second index")
        # read and matched as the table is (its level and frequency too)
        read, _report = read_panel_with_report(path, **reading_options(cfg))
        values = list(schema_of(read).value_columns)
        y = cfg.second_variable or values[0]
        if y not in values:
            raise InputError(f"{source}: no value column {y!r} (its value columns: {', '.join(values)}); "
                             "choose one with --second-variable.")
        second = _placed(read)
        if y == x:  # the same name in both tables: the second one is told apart
            second = second.rename(columns={y: f"{y}_second"})
            y = f"{y}_second"
        if "SYNTHETIC" in path.name:
            caveats.append(f"The second index ({cfg.second}, {y}) is SYNTHETIC: invented data for "
                           "demonstration, not the report's future-industries index.")
    if y == x:
        raise InputError(f"{source}: the second index is the main variable {x!r}; choose another column.")
    both, left = second_index_panel(panel.placed, x, second, y, source)
    if len(left):
        n_units = both["adcode"].nunique()
        caveats.append(
            f"Second index: {len(left)} city-period(s) with only one of {x} and {y} (or not in every "
            f"common period) were left out of the cross-index tables, listed in second_coverage; "
            f"{n_units} cities x {both['period'].nunique()} periods were used.")
    n = both["adcode"].nunique()
    if n < MIN_UNITS_FOR_STATISTICS:
        raise SkipStep(f"second index skipped: {n} cities have both indices; spatial statistics need at "
                       f"least {MIN_UNITS_FOR_STATISTICS}")
    weights = first_weights(both, list(cfg.weights))
    tables = cross_index_tables(both, x, y, weights, permutations=cfg.permutations, seed=cfg.seed,
                                correction=cfg.correction, alpha=cfg.alpha, on_budget="warn")
    from geodti.periods import sort_periods

    latest = sort_periods(both["period"].unique())[-1]
    lisa = tables["lisa_bv"]
    lisa_latest = lisa[(lisa.variable == x) & (lisa.variable_y == y) & (lisa.period == latest)]
    cor = tables["correlation"]
    row = cor[cor.period == latest].iloc[0]
    cards = [(f"correlation {x} x {y}, {latest}", f"Pearson {row['pearson']:.3f}, Spearman {row['spearman']:.3f}")]
    g = tables["moran_bv"]
    ways = [f"{r.variable} on the lag of {r.variable_y} {r.value:.3f} (p_sim {r.p_sim:.4f})"
            for r in g[g.period == latest].itertuples()]
    counts = lisa_latest["cluster"].value_counts()
    findings = [
        f"Bivariate Moran's I, {latest} ({weights.label}): " + "; ".join(ways) + ".",
        f"Bivariate LISA, {x} against the neighbours' {y} ({cfg.permutations} permutations, "
        f"{cfg.correction} at alpha {cfg.alpha}): " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".",
    ]
    out = {f"second_{name}": t for name, t in tables.items()}
    out["second_coverage"] = left
    return SecondIndex(tables=out, variable_y=y, lisa_bv_latest=lisa_latest, cards=cards,
                       findings=findings, caveats=caveats)


def step_models(context: RunContext, given: Given) -> Models:
    """The spatial panel models of the ``[run.model]`` settings (``geodti.model``)."""
    cfg = context.config
    if not cfg.model:
        raise SkipStep("spatial panel models skipped: the configuration has no [run.model] "
                       "settings (y, x)")
    from geodti import defaults
    from geodti.io.model_tables import write_paper_table
    from geodti.model import model_data, model_weights, spatial_panel_models

    settings = cfg.model
    placed = given[Panel].placed
    y, x = settings["y"], list(settings["x"])
    balance = settings.get("balance", False)
    units = model_data(placed, y, x, balance=balance).units
    weights = model_weights(placed, settings.get("weights", cfg.weights[0]), units,
                            source=context.input_path.name)
    effects = settings.get("effects", "twoway")
    tables = spatial_panel_models(
        placed, y, x, weights, models=settings.get("models", ("ols", "sar", "sem", "sdm")),
        effects=effects, lee_yu=settings.get("lee_yu", True),
        draws=settings.get("draws", defaults.DRAWS), seed=cfg.seed, alpha=cfg.alpha,
        balance=balance)
    caption = (f"{y} on {', '.join(x)}: spatial panel models, {effects} effects, weights "
               f"{weights.label}, {len(units)} cities x {placed['period'].nunique()} periods")
    files = write_paper_table(tables["table"], context.out / "tables", "model_table",
                              caption=caption)
    findings = [f"weights: {note}" for note in weights.notes]
    if len(tables["excluded"]):
        findings.append(f"{len(tables['excluded'])} cities missing in some periods were left "
                        "out (balance = true; tables/model_excluded.csv).")
    return Models(tables={f"model_{name}": t for name, t in tables.items()}, caption=caption,
                  findings=findings, files=tuple(files))


def compute_diffusion(panel: pd.DataFrame, variable: str, weights: list[str], seed: int,
                      alpha: float, window: str | None, permutations: int = 0,
                      drop_incomplete: bool = False, leave_out: tuple[str, ...] = (),
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
    kwargs = dict(weights=first_weights(panel, weights), seed=seed, alpha=alpha,
                  window=window if window else "auto", drop_incomplete=drop_incomplete,
                  leave_out=leave_out, **gi)
    if not (scheduler and permutations):
        return diffusion_tables(panel, variable, **kwargs)
    from geodti.spatial.executor import connect

    client = connect(scheduler)
    try:
        return diffusion_tables(panel, variable, client=client, **kwargs)
    finally:
        client.close()


def step_diffusion(context: RunContext, given: Given) -> Deferred:
    panel = given[Panel]
    _require_units(panel, "diffusion")
    cfg = context.config
    window = growth_window(panel.placed, cfg.growth_window)  # as the summaries step computes it
    if window is None:
        # growth, convergence, Markov chains and the hot-spot trends all compare a period
        # with the same period a year before
        need = {"annual": "2 consecutive years", "month": "13 consecutive months"}.get(
            schema_of(panel.placed).frequency, "5 consecutive quarters")
        raise SkipStep(
            f"diffusion skipped: the table has {len(panel.periods)} period(s) "
            f"({', '.join(panel.periods[:5])}); the diffusion tables need year-on-year growth, "
            f"i.e. at least {need}")
    from geodti.dynamics.summary import parts_needing

    leave_out = parts_needing(panel.placed[panel.variable])
    reasons = _left_out_reasons(panel, leave_out)
    work = partial(compute_diffusion, panel.placed, panel.variable, list(cfg.weights),
                   cfg.seed, cfg.alpha, "-".join(window) if window else None, cfg.permutations,
                   drop_incomplete=cfg.missing != "error", leave_out=leave_out,
                   scheduler=context.scheduler)
    return Deferred(work, partial(_diffusion_artefact, left_out=reasons))


#: The diffusion parts in the users' words (tables and summary columns they give).
DIFFUSION_PARTS = {
    "sigma": "sigma convergence (diffusion_sigma, diffusion_sigma_trend; sigma_* of the summary)",
    "beta": "beta convergence (diffusion_beta)",
    "spatial_beta": "spatial beta convergence (diffusion_spatial_beta_*)",
    "theil": "Theil's T (diffusion_theil; theil* of the summary)",
    "kernel_density": "the kernel density of ln I (diffusion_kernel_density)",
    "centre": "the index-weighted centre (diffusion_centre, diffusion_centre_yoy_increment, its "
              "map layers; centre_* of the summary)",
    "ellipse": "the standard deviational ellipse (diffusion_ellipse; ellipse_* of the summary)",
    "dagum": "Dagum's Gini decomposition (diffusion_dagum_*; gini* of the summary)",
}


def _left_out_reasons(panel: Panel, leave_out) -> list[str]:
    """Why each group of diffusion parts is left out, naming the rows, cities and values."""
    from geodti.dynamics.summary import LOG_BASED, NON_NEGATIVE
    from geodti.io.panel import non_positive

    def rows(bad: pd.DataFrame) -> str:
        shown = "; ".join(
            (f"row {r.source_row} " if "source_row" in bad.columns else "")
            + f"({r.name}, {r.period}): {getattr(r, panel.variable)}"
            for r in bad.head(3).itertuples())
        return f"{len(bad)} row(s) ({shown}{'; ...' if len(bad) > 3 else ''})"

    bad = non_positive(panel.placed, panel.variable)
    reasons = []
    for group, test, why in ((LOG_BASED, "zero or negative", "take logs of the values"),
                             (NON_NEGATIVE, "negative", "weight the cities by their values")):
        if not set(group) & set(leave_out):
            continue
        hit = bad if test == "zero or negative" else bad[bad[panel.variable] < 0]
        reasons.append(
            f"diffusion: {', '.join(DIFFUSION_PARTS[p] for p in group)} left out: "
            f"{panel.variable!r} is {test} in {rows(hit)}, and they {why}. The rest of the "
            "diffusion ran on every value")
    return reasons


def _diffusion_artefact(result: dict, left_out: list[str] = ()) -> Diffusion:
    layers = result.pop("layers", {})
    notes = result.pop("notes", [])
    cards, findings = [], []
    summary = result.get("summary")
    if summary is not None and len(summary):
        first, last = summary.iloc[0], summary.iloc[-1]
        if pd.notna(last["westward_shift_km"]):
            cards.append((f"centre of gravity {first['period']} -> {last['period']}",
                          f"{last['westward_shift_km']:+.1f} km westward"))
        findings.append(
            f"Share of the index north-west of the Hu line: {100 * first['share_nw']:.2f}% "
            f"({first['period']}) -> {100 * last['share_nw']:.2f}% ({last['period']})"
            + (f"; Gini {first['gini']:.3f} -> {last['gini']:.3f}." if pd.notna(first["gini"])
               else "."))
    return Diffusion(tables={f"diffusion_{name}": table for name, table in result.items()},
                     layers=layers, caveats=[*(f"{r}." for r in left_out), *map(str, notes)],
                     cards=cards, findings=findings, skipped_parts=tuple(left_out))


def draw_maps(out: Path, panel: pd.DataFrame, variable: str, latest: str, *, source: str,
              synthetic: bool, correction: str, lisa: pd.DataFrame | None = None,
              gi: pd.DataFrame | None = None, emerging: pd.DataFrame | None = None,
              diffusion_layers: dict | None = None, lisa_bv: pd.DataFrame | None = None) -> dict[str, Path]:
    """Draw and write the map pages of a run (runs in the worker process when there is one)."""
    from geodti.schema import level_of_codes
    from geodti.web import save_maps
    from geodti.web.kind import MapInputs
    from geodti.web.registry import MAP_KINDS, draw_kinds

    level = level_of_codes(panel["adcode"])
    units, kinds = None, None
    if level != "city":  # the level's polygons; agglomerations are groups of cities
        from geodti.places.levels import shapes

        units = shapes(level, "map")
        kinds = [k for k in MAP_KINDS if k.name != "agglomerations"]
    # every registered kind whose inputs the run has (geodti.web.registry.MAP_KINDS)
    inputs = MapInputs(panel=panel, variable=variable, latest=latest, lisa=lisa, gi=gi, emerging=emerging,
                       lisa_bv=lisa_bv,
                       diffusion_layers=diffusion_layers, correction=correction, source=source,
                       synthetic=synthetic, units=units,
                       agglomerations=None if level == "city" else False)
    return save_maps(draw_kinds(inputs, kinds), out)


def step_maps(context: RunContext, given: Given) -> Deferred:
    panel, statistics, diffusion = given[Panel], given.get(Statistics), given.get(Diffusion)
    second = given.get(SecondIndex)
    work = partial(
        draw_map_links, context.out, panel.placed, panel.variable, panel.latest,
        source=context.caption, synthetic=context.synthetic, correction=context.config.correction,
        lisa=statistics.lisa_latest if statistics else None,
        gi=statistics.gi_latest if statistics else None,
        emerging=diffusion.emerging_hotspots if diffusion else None,
        diffusion_layers=diffusion.layers if diffusion else None,
        lisa_bv=second.lisa_bv_latest if second else None)
    return Deferred(work, _maps_artefact)


def draw_map_links(out: Path, panel: pd.DataFrame, variable: str, latest: str,
                   **inputs) -> list[tuple[str, Path]]:
    """:func:`draw_maps`, giving each page's link text with its path: labelled where the pages
    are drawn, so a run with a second process never imports the map code (seconds) itself."""
    from geodti.web.registry import link_label

    written = draw_maps(out, panel, variable, latest, **inputs)
    return [(link_label(name), path) for name, path in written.items()]


def _maps_artefact(written: list[tuple[str, Path]]) -> Maps:
    return Maps(links=[(label, path.name) for label, path in written],
                files=tuple(path for _, path in written))


def step_layers(context: RunContext, given: Given) -> Layers:
    from geodti.io.layer_builder import RunLayerInputs, build_run_layers
    from geodti.io.layers import write_layers

    panel, statistics, diffusion = given[Panel], given.get(Statistics), given.get(Diffusion)
    second = given.get(SecondIndex)
    window = given[Summaries].growth_window
    layers = build_run_layers(RunLayerInputs(
        panel=panel.placed, variable=panel.variable, resolution=context.config.layer_resolution,
        window=tuple(window.split("-")) if window else None,
        lisa=statistics.lisa_latest if statistics else None,
        gi=statistics.gi_latest if statistics else None,
        emerging=diffusion.emerging_hotspots if diffusion else None,
        lisa_bv=second.lisa_bv_latest if second else None,
        diffusion_layers=diffusion.layers if diffusion else {}, level=panel.level))
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
    from geodti.places.levels import shapes
    from geodti.report import figures
    from geodti.schema import level_of_codes

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
        level = level_of_codes(lisa.index)
        polygons = cities("map") if level == "city" else shapes(level, "map")
        units = polygons.merge(lisa[["cluster"]], left_on="adcode", right_index=True, how="left")
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
    for kind in (Statistics, SecondIndex, Diffusion, Models):
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
        skipped=given.skipped, second=given.get(SecondIndex), models=given.get(Models))
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
    Step("second index", step_second, gives=SecondIndex, needs=(Panel,)),
    Step("diffusion", step_diffusion, gives=Diffusion, needs=(Panel,), background=True),
    Step("models", step_models, gives=Models, needs=(Panel,)),
    Step("maps", step_maps, gives=Maps, needs=(Panel,), uses=(Statistics, Diffusion, SecondIndex),
         background=True),
    Step("figures", step_figures, gives=Figures, needs=(Panel,), uses=(Statistics, Diffusion),
         background=True),
    Step("layers", step_layers, gives=Layers, needs=(Panel, Summaries),
         uses=(Statistics, Diffusion, SecondIndex)),
    Step("tables", step_tables, gives=Tables, needs=(MatchedTable, Panel, Summaries),
         uses=(Statistics, Diffusion, SecondIndex, Models)),
    # written last, once every map, figure and table it speaks of is there
    Step("report page", step_report, gives=ReportPage, needs=(MatchedTable, Panel, Summaries),
         uses=(Statistics, Diffusion, SecondIndex, Models, Maps, Figures, Layers, Tables)),
]
