import hashlib
import json
from functools import partial
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
from conftest import MAP_READY

from geodti import cli
from geodti.errors import InputError
from geodti.io.layer_builder import LAYERS as EXPORT_LAYERS
from geodti.io.layer_builder import RUN_LAYERS
from geodti.run import run
from geodti.run.artefacts import MatchedTable
from geodti.run.config import RunConfig
from geodti.run import steps as run_steps
from geodti.run.scheduler import plan

SMALL = "data/sample/dti_sample_small_SYNTHETIC.csv"


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    result = run(RunConfig(out=str(out), permutations=99), jobs=2)
    return result


def _hashes(out) -> dict[str, str]:
    """Every output file's digest, but the manifest's (it records step times)."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and p.name != "manifest.json"}


MAP_PAGES = ("dti_2023Q1.html", "dti_slider.html", "agglomerations_dti_2023Q1.html",
             "growth_dti_2023Q1.html", "lisa_dti_2023Q1.html", "hotspots_dti_2023Q1.html",
             "emerging_hotspots_dti.html", "diffusion_dti.html")
LAYERS = tuple(layer.name for layer in RUN_LAYERS)


def test_sample_run_writes_every_output(sample_run):
    out = sample_run.out
    for name in ("index.html", "manifest.json", "geodti.toml", *MAP_PAGES,
                 "tables/agglomerations.csv", "tables/within_agglomerations.csv",
                 "tables/match_report.csv", "tables/stats_global.csv", "tables/stats_local.csv",
                 "tables/diffusion_summary.csv", "tables/geodti_tables.xlsx",
                 "layers/geodti.gpkg", "figures/moran_scatter_dti_2023Q1.png",
                 "figures/lisa_clusters_dti_2023Q1.png", "figures/centre_trajectory_dti.png"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["synthetic_sample"] is True
    assert manifest["permutations"] == 99 and manifest["weights"] == ["queen", "knn6"]
    # every step of the registry, in the order the scheduler derives from their declarations
    assert [s["step"] for s in manifest["steps"]] == [s.name for s in plan(run_steps.STEPS)]
    skipped = {s["step"]: s.get("skipped") for s in manifest["steps"] if s.get("skipped")}
    assert set(skipped) == {"second index", "models"}  # no second index, no [run.model]
    assert manifest["jobs"] == 2 and manifest["seconds"] > 0
    assert all(len(h) == 64 for h in manifest["inputs"].values())
    assert set(manifest["outputs"]) >= set(MAP_PAGES)
    assert (out / "tables/agglomerations.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    book = openpyxl.load_workbook(out / "tables/geodti_tables.xlsx", read_only=True)
    assert {"contents", "agglomerations", "within_agglomerations", "match_report"} <= set(book.sheetnames)
    contents = pd.read_excel(out / "tables/geodti_tables.xlsx", sheet_name="contents")
    csvs = {p.name for p in (out / "tables").glob("*.csv")}
    assert set(contents.csv) == csvs  # every table is listed, and each has its CSV
    assert not contents.loc[contents.table == "stats_local", "in_workbook"].item()

    layers = {name: kind for name, kind in pyogrio.list_layers(out / "layers/geodti.gpkg")}
    # each in the registry; the run had no second index, so no bivariate LISA layer
    assert layers == {layer.name: layer.geometry for layer in RUN_LAYERS if layer.name != "lisa_bv"}
    cities = pyogrio.read_dataframe(out / "layers/geodti.gpkg", layer="cities")
    assert len(cities) == 370 and cities.crs.to_epsg() == 4326
    assert {"dti", "dti_rank", "dti_growth", "lisa_cluster", "gi_hotspot"} <= set(cities.columns)
    lisa = pyogrio.read_dataframe(out / "layers/geodti.gpkg", layer="lisa")
    assert len(lisa) == 367 and set(lisa.cluster) <= {"HH", "LL", "LH", "HL", "not_significant", "isolate"}

    for png in (out / "figures").glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    html = (out / "index.html").read_text(encoding="utf-8")
    assert "SYNTHETIC" in html and "长三角" in html and "Moran" in html
    assert "http://" not in html and "https://" not in html  # nothing fetched from the web


def test_report_page_escapes_user_text(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(
        "city,period,dti\n深圳,2023Q1,1\n<script>alert(1)</script>,2023Q1,2\n", encoding="utf-8")
    result = run(RunConfig(table=str(table), out=str(tmp_path / "o"), allow_unmatched=True))
    html = (result.out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_one_process_writes_the_same_files_as_two(sample_run, tmp_path):
    # jobs=2 computes the diffusion and summaries and draws the maps in a second process
    alone = run(RunConfig(out=str(tmp_path / "o"), permutations=99), jobs=1)
    assert alone.manifest["jobs"] == 1
    assert [s["step"] for s in alone.manifest["steps"]] == [
        s["step"] for s in sample_run.manifest["steps"]]
    ours, theirs = _hashes(alone.out), _hashes(sample_run.out)
    assert len(ours) > 60
    # the written configuration names its own output folder; all else is the same
    assert ours.pop("geodti.toml") != theirs.pop("geodti.toml")
    assert ours == theirs
    configs = [RunConfig.from_toml(r.out / "geodti.toml") for r in (alone, sample_run)]
    assert configs[0].updated(out="x") == configs[1].updated(out="x")


def test_a_failure_in_the_second_process_reaches_the_caller(tmp_path, monkeypatch):
    from dataclasses import replace

    from geodti.run import steps as run_steps
    from geodti.run.scheduler import Deferred

    def broken(context, given):
        return Deferred(partial(int, "not a number"), lambda _: None)

    steps = [s if s.name != "diffusion" else replace(s, function=broken) for s in run_steps.STEPS]
    monkeypatch.setattr(run_steps, "STEPS", steps)
    with pytest.raises(ValueError, match="not a number") as caught:
        run(RunConfig(out=str(tmp_path / "o"), permutations=9), jobs=2)
    assert any("background process" in note for note in caught.value.__notes__)


def test_run_builds_the_index_from_raw_indicators(tmp_path):
    sample = "data/sample/"
    config = RunConfig(table=sample + "dti_raw_long_SYNTHETIC.csv", out=str(tmp_path / "o"),
                       indicator_scores=sample + "expert_scores_indicators_SYNTHETIC.csv",
                       layer_scores=sample + "expert_scores_layers_SYNTHETIC.csv", permutations=9)
    result = run(config)
    assert result.manifest["synthetic_sample"] is True
    assert "index" in [s["step"] for s in result.manifest["steps"]]
    # every input file is hashed in the manifest, the score tables too
    assert set(result.manifest["inputs"]) == {config.table, config.indicator_scores, config.layer_scores}
    # the bundled panel was built from these raw indicators (data/sample/generate.py)
    built = pd.read_csv(result.out / "tables/city_ranks.csv", dtype={"adcode": str})
    panel = pd.read_csv("data/sample/dti_panel_SYNTHETIC.csv", dtype={"adcode": str})
    latest = panel[panel.period == "2023Q1"].set_index("adcode")["dti"]
    assert len(built) == 367
    assert (built.set_index("adcode")["later_value"] - latest).abs().max() < 1e-6
    weights = pd.read_csv(result.out / "tables/index_weights.csv")
    layer = weights[weights.level == "layer"]
    assert list(layer.layer) == ["infrastructure", "platform", "application"]
    assert abs(layer.weight.sum() - 1) < 1e-12
    html = (result.out / "index.html").read_text(encoding="utf-8")
    assert "built from the raw indicators" in html and "SYNTHETIC" in html
    book = openpyxl.load_workbook(result.out / "tables/geodti_tables.xlsx", read_only=True)
    assert book.sheetnames[:3] == ["contents", "match_report", "index_weights"]


def test_raw_indicators_need_both_score_tables():
    with pytest.raises(InputError, match="both indicator_scores and layer_scores"):
        RunConfig(indicator_scores="scores.csv").validated()


def test_a_plain_script_without_main_guard_runs_once(tmp_path):
    # multiprocessing's spawn would import the caller's script again in the child and start a
    # second run there; geodti's worker is started with -m and never touches the script
    import subprocess
    import sys

    script = tmp_path / "job.py"
    script.write_text(
        "from geodti.run.config import RunConfig\n"
        "from geodti.run import run\n"
        f"r = run(RunConfig(table={str(Path(SMALL).resolve())!r}, out='out'), jobs=2)\n"
        "print('ran', r.manifest['jobs'])\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ran 2") == 1
    assert (tmp_path / "out" / "index.html").is_file()


def test_a_second_process_that_dies_is_reported():
    import os

    from geodti.run.worker import Worker, WorkerError

    worker = Worker()
    try:
        assert worker.submit(partial(sum, [1, 2]))()[0] == 3
        died = worker.submit(partial(os._exit, 3))
        with pytest.raises(WorkerError, match="exit code 3.*--jobs 1"):
            died()
        with pytest.raises(WorkerError):  # and nothing more is accepted
            worker.submit(partial(sum, [1]))()
    finally:
        worker.close()


def test_same_input_gives_identical_files(tmp_path):
    hashes = []
    for _ in range(2):  # the same folder twice: geodti may overwrite its own output
        result = run(RunConfig(table=SMALL, out=str(tmp_path / "o")))
        hashes.append(_hashes(result.out))
    assert hashes[0] == hashes[1]
    assert "index.html" in hashes[0]
    # ten cities: the spatial steps say why they did not run, in the manifest and the page
    steps = {s["step"]: s for s in result.manifest["steps"]}
    assert "10 cities with data" in steps["statistics"]["skipped"]
    assert "skipped" in steps["diffusion"] and "skipped" not in steps["maps"]
    assert "spatial statistics skipped" in (result.out / "index.html").read_text(encoding="utf-8")
    assert "no [run.model] settings" in steps["models"]["skipped"]  # none configured


def test_refuses_foreign_non_empty_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="--force"):
        run(RunConfig(table=SMALL, out=str(tmp_path)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_cli_run_and_repeat_from_written_config(tmp_path, capsys):
    out = tmp_path / "o"
    assert cli.main(["run", SMALL, "--out", str(out), "--seed", "7"]) == 0
    config = RunConfig.from_toml(out / "geodti.toml")
    assert config.seed == 7 and config.table == SMALL
    assert cli.main(["run", "--config", str(out / "geodti.toml")]) == 0
    assert "wrote" in capsys.readouterr().out


def test_cli_unmatched_rows_exit_1(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("city,period,dti\n深圳,2023Q1,1\nGotham,2023Q1,2\n", encoding="utf-8")
    assert cli.main(["run", str(table), "--out", str(tmp_path / "o")]) == 1


@pytest.mark.browser
def test_every_page_of_a_run_opens_offline(sample_run, open_page, artifacts):
    """index.html and every map page of the sample run, from disk with the network cut off."""
    pages = sorted(sample_run.out.glob("*.html"))
    assert "index.html" in {p.name for p in pages} and len(pages) >= 4
    for path in pages:
        report = path.name == "index.html"
        opened = open_page(path, viewport=(1280, 900), ready=None if report else MAP_READY)
        page = opened.page
        if report:
            links = page.eval_on_selector_all("section#maps a", "els => els.map(e => e.getAttribute('href'))")
            assert sorted(links) == sorted(p.name for p in pages if p.name != "index.html")
        else:
            assert page.locator("path.leaflet-interactive").count() >= 370
        page.screenshot(path=str(artifacts / f"run_{path.stem}.png"))
        assert opened.errors == [] and opened.blocked == [], (path.name, opened.errors, opened.blocked)


def test_run_with_a_user_tier_table(tmp_path):
    tiers = tmp_path / "tiers.csv"
    tiers.write_text("city,tier\n上海,一线\n北京,一线\n深圳,一线\n广州,一线\n杭州,新一线\n",
                     encoding="utf-8")
    result = run(RunConfig(table=SMALL, out=str(tmp_path / "o"), groups=str(tiers)))
    table = pd.read_csv(result.out / "tables/by_tier.csv", encoding="utf-8-sig")
    first_tier = table.set_index("tier").loc["一线"]
    assert first_tier.n_cities == 4
    assert "(unassigned)" in set(table.tier)  # cities outside the user's list are kept, not dropped


def test_a_grouping_named_like_a_built_in_summary_is_refused(tmp_path, capsys):
    """A --groups column called region would silently replace the by_region table."""
    from geodti import cli

    groups = tmp_path / "g.csv"
    groups.write_text("city,region\n上海,东\n北京,北\n", encoding="utf-8")
    out = tmp_path / "o"
    assert cli.main(["run", SMALL, "--groups", str(groups), "--out", str(out), "--permutations", "9",
                     "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert "geodti: error:" in err and "'region'" in err and "by_region" in err and "rename" in err
    assert not out.exists()  # nothing half-written: the folder the run made is removed


def _run_layer_docs() -> dict[str, list[tuple[str, str]]]:
    """{layer: [(field, type)]} from the '### `layer`' tables of docs/layers.md's run section."""
    import re

    text = (Path(__file__).resolve().parents[1] / "docs/layers.md").read_text(encoding="utf-8")
    run_part = text.split("# Layers of `geodti run`", 1)[1]
    out = {}
    for section in re.split(r"^### ", run_part, flags=re.M)[1:]:
        name = re.match(r"`(\w+)`", section).group(1)
        out[name] = re.findall(r"^\| `([^`]+)` \| (\w+) \|", section, flags=re.M)
    return out


def test_run_layers_match_their_documentation(sample_run):
    types = {"object": "text", "bool": "boolean", "int64": "integer", "float64": "real"}
    docs = _run_layer_docs()
    own = [name for name in LAYERS if name not in EXPORT_LAYERS]  # the others: geodti export's
    # the run's section documents each layer of the registry that export does not write, in
    # order, after the two fields the run adds to cities
    assert list(docs) == ["cities", *own]
    path = sample_run.out / "layers/geodti.gpkg"
    for layer in own:
        if layer == "lisa_bv":  # written only with a second index: test_bivariate's run checks it
            continue
        info = pyogrio.read_info(path, layer=layer)
        actual = [(f, types[str(t)]) for f, t in zip(info["fields"], info["dtypes"])]
        assert docs[layer] == actual, layer
    info = pyogrio.read_info(path, layer="cities")
    extra = [(f, types[str(t)]) for f, t in zip(info["fields"], info["dtypes"])][-2:]
    assert docs["cities"] == extra


def test_a_county_row_stops_the_run_unless_counties_are_allowed(tmp_path, capsys):
    from geodti import cli

    table = tmp_path / "t.csv"
    table.write_text("city,period,dti\n深圳,2023Q1,1\n广州,2023Q1,2\n甘南县,2023Q1,3\n",
                     encoding="utf-8")
    assert cli.main(["run", str(table), "--out", str(tmp_path / "refused"), "--permutations", "9",
                     "--jobs", "1"]) == 1
    message = capsys.readouterr().err
    assert "甘南县" in message and "齐齐哈尔市" in message and "--allow-county" in message
    result = run(RunConfig(table=str(table), out=str(tmp_path / "o"), allow_county=True,
                           permutations=9), jobs=1)
    matched = result.artefacts[MatchedTable]
    assert matched.match_counts["county"] == 1
    placed = matched.panel.set_index("city_input")
    assert placed.loc["甘南县", "adcode"] == "230200"
    html = (result.out / "index.html").read_text(encoding="utf-8")
    assert "County-level units mapped to their containing cities" in html and "230200" in html


def test_run_workbook_contents_and_layout(sample_run):
    """The contents sheet maps every sheet (cut to Excel's 31 characters) to its full table
    name and a description; every sheet has the workbook layout."""
    from geodti.io.tables import P_VALUE_FORMAT, PERCENT_FORMAT

    out = sample_run.out / "tables"
    book = openpyxl.load_workbook(out / "geodti_tables.xlsx")
    contents = pd.read_excel(out / "geodti_tables.xlsx", sheet_name="contents", dtype={"sheet": str})
    assert list(contents.columns) == ["sheet", "table", "description", "rows", "columns", "csv",
                                      "in_workbook"]
    assert contents["description"].notna().all() and (contents["description"].str.len() > 10).all()
    listed = contents[contents["in_workbook"]]
    assert listed["sheet"].tolist() == book.sheetnames[1:]
    assert contents.loc[~contents["in_workbook"], "sheet"].isna().all()
    long = listed[listed["table"].str.len() > 31]
    assert len(long) and (long["sheet"].str.len() <= 31).all()
    for sheet, table in zip(listed["sheet"], listed["table"]):
        header = [c.value for c in book[sheet][1]]
        csv_header = pd.read_csv(out / f"{table}.csv", nrows=0, encoding="utf-8-sig").columns.tolist()
        assert header == csv_header, (sheet, table)
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert all(c.font.b for c in ws[1]), ws.title
    agg = book["agglomerations"]
    column = {c.value: c.column for c in agg[1]}
    assert agg.cell(2, column["share"]).number_format == PERCENT_FORMAT
    assert agg.cell(2, column["total"]).number_format == "General"
    g = book["stats_global"]
    column = {c.value: c.column for c in g[1]}
    assert g.cell(2, column["p_sim"]).number_format == P_VALUE_FORMAT


def test_run_geopackage_passes_gdal_validator(sample_run):
    from osgeo_utils.samples import validate_gpkg

    messages = []
    errors = validate_gpkg.check(str(sample_run.out / "layers/geodti.gpkg"), abort_at_first_error=False,
                                 extra_checks=True, warning_as_error=True, myprint=messages.append)
    assert errors == [] and messages == []


def test_write_run_tables_lists_every_table(tmp_path):
    """Without a run: long names are cut for Excel and mapped back, big tables are CSV only."""
    from geodti.run.tables import describe_table, write_run_tables

    small = pd.DataFrame({"group": ["=1+1", "长三角"], "share": [0.5, 0.25]})
    big = pd.DataFrame({"x": range(10)})
    tables = {"diffusion_spatial_markov_steady_state": small, "by_tier": small, "stats_local": big,
              "diffusion_spatial_markov_steady_state_x": small}
    write_run_tables(tables, tmp_path, limit=5)
    contents = pd.read_excel(tmp_path / "geodti_tables.xlsx", sheet_name="contents")
    assert contents["table"].tolist() == list(tables)
    assert contents["sheet"].tolist()[:2] == ["diffusion_spatial_markov_steady", "by_tier"]
    assert pd.isna(contents["sheet"].iloc[2]) and not contents["in_workbook"].iloc[2]
    assert contents["sheet"].iloc[3] != contents["sheet"].iloc[0]       # made unique
    book = openpyxl.load_workbook(tmp_path / "geodti_tables.xlsx")
    assert book.sheetnames == ["contents", *contents["sheet"].dropna()]
    assert contents["description"].iloc[1] == describe_table("by_tier") and "tier" in describe_table("by_tier")
    assert contents["description"].iloc[0] == describe_table("diffusion_spatial_markov_steady_state") != ""
    assert book["contents"].freeze_panes == "A2"


def test_run_tables_keep_their_values(sample_run):
    """Every table of the sample run equals the stored digest (tests/run_digest.py): code
    reorganisation must not change a value; a deliberate change regenerates the digest and
    says so in its commit."""
    from run_digest import differences, digest

    stored = json.loads((Path(__file__).parent / "data" / "run_tables_digest.json").read_text(encoding="utf-8"))
    assert differences(stored, digest(sample_run.out / "tables")) == []
