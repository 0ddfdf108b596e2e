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


def input_of(config: RunConfig) -> tuple[Path, bool]:
    """The table a run reads, and whether it is the bundled synthetic sample."""
    if config.table is None:
        return data_dir() / SAMPLE_PANEL, True
    path = Path(config.table)
    return path, path.resolve() == (data_dir() / SAMPLE_PANEL).resolve()


# ---------------------------------------------------------------------------------------
# steps


def step_read(state: RunState) -> None:
    from geodti.io.panel import read_panel

    cfg = state.config
    panel = read_panel(
        state.input_path, city_column=cfg.city_column, province_column=cfg.province_column,
        period_column=cfg.period_column, sheet=cfg.sheet, allow_unmatched=cfg.allow_unmatched,
        value_columns=cfg.variables or None,
    )
    state.panel = panel
    state.match_report = panel.attrs["match_report"]
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
        from geodti.io.read import read_table

        groups = read_table(cfg.groups)
        column = [c for c in groups.columns if c not in ("adcode", "name", "city")][0]
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


def step_maps(state: RunState) -> None:
    from geodti.web import save_maps
    from geodti.web.standard import standard_maps

    panel = _placed(state)
    variable = _main_variable(state)
    maps = standard_maps(panel, variable, source=state.caption, synthetic=state.synthetic)
    maps.update(state.extras.pop("pending_maps", {}))
    written = save_maps(maps, state.out)
    state.wrote(*written.values())
    state.extras["maps"] = [(_map_label(name), path.name) for name, path in written.items()]


def _map_label(name: str) -> str:
    """Link text of a map page from its file stem (e.g. ``dti_slider``)."""
    words = {"slider": "time slider", "agglomerations": "agglomerations:", "growth": "YoY growth:",
             "lisa": "LISA clusters:", "hotspots": "Gi* hot and cold spots:",
             "emerging": "emerging hot spots:", "diffusion": "centre of gravity and ellipses:"}
    return " ".join(words.get(part, part) for part in name.split("_"))


def step_tables(state: RunState) -> None:
    from geodti.io.tables import write_table, write_tables

    folder = state.out / "tables"
    for name, table in state.tables.items():
        state.wrote(write_table(table, folder / f"{name}.csv"))
    state.wrote(*write_tables(state.tables, folder / "geodti_tables.xlsx"))


def step_report(state: RunState) -> None:
    from geodti.report.page import render_report

    html = render_report(state)
    state.wrote(write_text(state.out / "index.html", html))


STEPS: list[tuple[str, Step]] = [
    ("read and match", step_read),
    ("summaries", step_summaries),
    ("maps", step_maps),
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
        step(state)
        timings.append({"step": name, "seconds": round(time.perf_counter() - start, 3)})

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
