"""``geodti run``: one command from a city table to maps, layers, tables and a report page.

The run is a list of named steps over one :class:`RunState`; each step reads what earlier
steps left in the state and adds its own results. Steps that compute call the pure
functions of :mod:`geodti.index`, :mod:`geodti.spatial` and :mod:`geodti.dynamics`; only the
writing steps touch files, always through :mod:`geodti.io.atomic`.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from geodti import __version__
from geodti._paths import data_dir
from geodti.config import RunConfig
from geodti.io.atomic import write_text
from geodti.io.outdir import prepare_output_dir

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


Step = Callable[[RunState], None]


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
    path = Path(config.table)
    return path, path.resolve() == (data_dir() / SAMPLE_PANEL).resolve()


# ---------------------------------------------------------------------------------------
# steps


def step_read(state: RunState) -> None:
    from geodti.io.panel import read_panel_with_report

    cfg = state.config
    panel, report = read_panel_with_report(
        state.input_path, city_column=cfg.city_column, province_column=cfg.province_column,
        period_column=cfg.period_column, sheet=cfg.sheet, allow_unmatched=cfg.allow_unmatched,
        value_columns=cfg.variables or None,
    )
    state.panel = panel
    state.match_report = report
    state.tables["match_report"] = state.match_report
    counts = state.match_report["status"].value_counts()
    state.findings["match"] = {s: int(counts.get(s, 0)) for s in ("matched", "historical", "ambiguous", "unmatched")}
    state.findings["value_columns"] = list(panel.attrs["value_columns"])
    periods = sorted(panel["period"].unique())
    state.findings["periods"] = [str(p) for p in periods]


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


def step_summaries(state: RunState) -> None:
    from geodti.index import summary
    from geodti.index.growth import rank_change, summary_growth
    from geodti.places.gazetteer import agglomerations, gazetteer

    cfg = state.config
    panel = _placed(state)
    variable = _main_variable(state)
    window = growth_window(panel, cfg.growth_window)
    state.findings["growth_window"] = "-".join(window) if window else None
    latest = summary.latest_quarter(panel)
    members = agglomerations()
    units = gazetteer()
    t = state.tables
    t["agglomerations"] = summary.agglomeration_table(panel, members, variable=variable, period=latest, window=window)
    earlier = earlier_period(panel, latest)
    within = summary.within_agglomeration(
        panel, members, variable=variable, earlier=earlier or latest, later=latest, window=window)
    t["within_agglomerations"] = within if earlier else _without_comparison(within)
    for by in ("province", "region", "hu_line", "admin_rank"):
        t[f"by_{by}"] = summary.group_summary(panel, units, by, variable=variable, period=latest, window=window)
    if cfg.groups:
        from geodti.io.groups import read_groups

        groups = read_groups(cfg.groups)
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
    state.findings.update({
        "variable": variable,
        "latest": latest,
        "earlier": earlier,
        "coverage_zh": coverage["statement_zh"].iloc[0],
        "coverage_en": coverage["statement_en"].iloc[0],
        "top_cities": t["city_ranks"].head(10)[["name", "later_rank", "later_value"]].to_dict("records"),
    })


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
            from geodti.errors import InputError

            raise InputError(f"statistics_variables {unknown} are not value columns ({values}).")
        return chosen
    return [v for v in INDEX_VARIABLES if v in values] or [values[0]]


def step_statistics(state: RunState) -> None:
    from geodti.spatial.pipeline import bundled_inputs, spatial_tables
    from geodti.spatial.weights import build_weights_set, parse_weights_specs

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
    # the first weights serve the maps, figures and diffusion; built once, reused
    first = parse_weights_specs(list(cfg.weights))[0]
    bundled = bundled_inputs()
    units = bundled["units"][bundled["units"]["adcode"].isin(set(panel["adcode"]))]
    state.extras["weights"] = build_weights_set(
        [first], units, contiguity=bundled["contiguity"],
        agglomerations=bundled["agglomerations"])[first.label]

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


def step_diffusion(state: RunState) -> None:
    from geodti.dynamics.summary import diffusion_tables

    _require_units(state, "diffusion")
    cfg = state.config
    panel = _placed(state)
    variable = _main_variable(state)
    window = state.findings.get("growth_window")
    result = diffusion_tables(
        panel, variable, weights=state.extras.get("weights"), seed=cfg.seed, alpha=cfg.alpha,
        window=window if window else "auto",
    )
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


def step_maps(state: RunState) -> None:
    from geodti.web import save_maps
    from geodti.web.standard import standard_maps

    panel = _placed(state)
    variable = _main_variable(state)
    common = dict(source=state.caption, synthetic=state.synthetic)
    maps = standard_maps(panel, variable, **common)
    latest = state.findings["latest"]
    if "lisa_latest" in state.extras:
        from geodti.web import hotspot_map, lisa_map

        maps[f"lisa_{variable}_{latest}"] = lisa_map(
            state.extras["lisa_latest"], correction=state.config.correction, panel=panel, **common)
        maps[f"hotspots_{variable}_{latest}"] = hotspot_map(
            state.extras["gi_latest"], panel=panel, **common)
    if "diffusion_emerging_hotspots" in state.tables:
        from geodti.web import emerging_hotspot_map

        maps[f"emerging_hotspots_{variable}"] = emerging_hotspot_map(
            state.tables["diffusion_emerging_hotspots"], panel=panel, **common)
    layers = state.extras.get("diffusion_layers", {})
    if "centres" in layers:
        from geodti.web import diffusion_map

        maps[f"diffusion_{variable}"] = diffusion_map(
            layers["centres"], layers.get("ellipses"), variable=variable, **common)
    written = save_maps(maps, state.out)
    state.wrote(*written.values())
    state.extras["maps"] = [(_map_label(name), path.name) for name, path in written.items()]


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


def step_figures(state: RunState) -> None:
    from geodti.report import figures

    folder = state.out / "figures"
    variable = _main_variable(state)
    latest = state.findings["latest"]
    if "lisa_latest" in state.extras:
        lisa = state.extras["lisa_latest"].set_index("adcode")
        weights = state.extras["weights"]
        values = _placed(state).query("period == @latest").set_index("adcode")[variable]
        ids = list(weights.graph.unique_ids)
        fig = figures.moran_scatterplot(
            values.reindex(ids), weights.graph, clusters=lisa["cluster"].reindex(ids).to_numpy(),
            moran_i=float(state.findings["moran"][0]["value"]) if state.findings.get("moran") else None,
            variable=variable, title=f"Moran scatterplot: {variable} {latest}")
        state.wrote(figures.save_figure(fig, folder / f"moran_scatter_{variable}_{latest}.png"))
        from geodti.places.boundaries import cities, provinces

        units = cities("map").merge(lisa[["cluster"]], left_on="adcode", right_index=True, how="left")
        fig = figures.lisa_cluster_map(units, "cluster", outlines=provinces("map"),
                                       title=f"LISA clusters: {variable} {latest}")
        state.wrote(figures.save_figure(fig, folder / f"lisa_clusters_{variable}_{latest}.png"))
    centres = state.tables.get("diffusion_centre")
    if centres is not None:
        from geodti.places.boundaries import provinces

        fig = figures.centre_trajectory(centres, outlines=provinces("map"),
                                        title=f"Centre of gravity: {variable}")
        state.wrote(figures.save_figure(fig, folder / f"centre_trajectory_{variable}.png"))


def step_tables(state: RunState) -> None:
    from geodti.io.tables import write_table, write_tables

    folder = state.out / "tables"
    limit = state.config.xlsx_max_rows
    contents = []
    for name, table in state.tables.items():
        state.wrote(write_table(table, folder / f"{name}.csv"))
        in_workbook = not limit or len(table) <= limit
        contents.append({"table": name, "rows": len(table), "columns": table.shape[1],
                         "csv": f"{name}.csv", "in_workbook": in_workbook})
    # Excel is slow to write and to use with tens of thousands of rows (e.g. the local
    # statistics of every city, period and variable): those tables are CSV only, and the
    # workbook's first sheet lists every table and where it is.
    book = {"contents": pd.DataFrame(contents)}
    book.update({row["table"]: state.tables[row["table"]] for row in contents if row["in_workbook"]})
    state.wrote(*write_tables(book, folder / "geodti_tables.xlsx"))


def step_report(state: RunState) -> None:
    from geodti.report.page import render_report

    html = render_report(state)
    state.wrote(write_text(state.out / "index.html", html))


STEPS: list[tuple[str, Step]] = [
    ("read and match", step_read),
    ("summaries", step_summaries),
    ("statistics", step_statistics),
    ("diffusion", step_diffusion),
    ("maps", step_maps),
    ("layers", step_layers),
    ("figures", step_figures),
    ("tables", step_tables),
    ("report page", step_report),
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


def run(config: RunConfig, progress: Callable[[str, int, int], None] | None = None) -> RunResult:
    """Run the whole pipeline described by ``config``; return where it wrote and its manifest.

    ``progress(step_name, index, total)`` is called before each step (the CLI shows it).
    """
    input_path, synthetic = input_of(config)
    out = prepare_output_dir(config.out, force=config.force)
    state = RunState(
        config=config, out=out, input_path=input_path, synthetic=synthetic,
        caption=SAMPLE_CAPTION if synthetic else f"data: {input_path.name}",
    )
    inputs = {str(input_path): _sha256(input_path)}
    if config.groups:
        inputs[str(config.groups)] = _sha256(Path(config.groups))
    timings = []
    for index, (name, step) in enumerate(STEPS):
        if progress is not None:
            progress(name, index, len(STEPS))
        start = time.perf_counter()
        entry = {"step": name}
        try:
            step(state)
        except SkipStep as skipped:
            entry["skipped"] = str(skipped)
            state.extras.setdefault("caveats", []).append(str(skipped) + ".")
            if progress is not None:
                progress(f"{name}: {skipped}", index, len(STEPS))
        entry["seconds"] = round(time.perf_counter() - start, 3)
        timings.append(entry)

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
        "outputs": sorted(str(p.relative_to(out)) for p in set(state.outputs)),
    }
    # step times vary from run to run; everything else in the manifest is deterministic
    write_text(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return RunResult(out=out, manifest=manifest, state=state)
