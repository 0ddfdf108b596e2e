"""Issue 13: ``geodti run`` end to end on an annual county table (one province's counties of
the SYNTHETIC county sample, few permutations): tables, a county map page, the counties layer."""

import json
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from geodti import cli
from geodti.web._topology import PAGE_BUDGETS

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "data/sample/dti_county_annual_SYNTHETIC.csv"
PROVINCE = "33"  # 浙江: about 90 county-level units, coast and islands (舟山)


@pytest.fixture(scope="module")
def county_run(tmp_path_factory):
    table = pd.read_csv(COUNTY, dtype={"adcode": str})
    table = table[table["adcode"].str.startswith(PROVINCE)]
    folder = tmp_path_factory.mktemp("county")
    path = folder / "zhejiang_counties.csv"
    table.to_csv(path, index=False)
    out = folder / "run"
    code = cli.main(["run", str(path), "--out", str(out), "--jobs", "1", "--permutations", "99",
                     "--seed", "7", "--weights", "queen"])
    assert code == 0
    return table, out


def test_county_run_completes_every_step(county_run):
    _, out = county_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] is True
    skipped = {s["step"]: s.get("skipped") for s in manifest["steps"]}
    for step in ("statistics", "diffusion", "maps", "layers", "tables", "report page"):
        assert not skipped[step], (step, skipped[step])


def test_county_statistics_cover_the_counties_and_years(county_run):
    table, out = county_run
    local = pd.read_csv(out / "tables/stats_local.csv", dtype={"adcode": str, "period": str})
    assert set(local["adcode"]) == set(table["adcode"])
    assert set(local["period"]) == {str(y) for y in table["year"]}
    assert set(local["statistic"]) >= {"lisa", "gi_star"}
    assert (local["permutations"] == 99).all()
    weights = pd.read_csv(out / "tables/stats_weights.csv")
    assert list(weights["weights"]) == ["queen"]
    centre = pd.read_csv(out / "tables/diffusion_centre.csv", dtype={"period": str})
    assert set(centre["period"]) == {str(y) for y in table["year"]}


def test_county_map_page_and_counties_layer(county_run):
    table, out = county_run
    latest = str(table["year"].max())
    page = out / f"digital_economy_{latest}.html"
    assert page.exists()
    assert page.stat().st_size <= PAGE_BUDGETS["county"].max_bytes
    text = page.read_text(encoding="utf-8")
    some = table.drop_duplicates("adcode").head(5)
    for name in some["unit_name"]:
        assert name in text  # the counties are drawn and named on the page

    gpkg = out / "layers/geodti.gpkg"
    names = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert "counties" in names and "cities" not in names
    counties = pyogrio.read_dataframe(gpkg, layer="counties")
    placed = counties[counties["adcode"].isin(table["adcode"])]
    assert set(placed["adcode"]) == set(table["adcode"])
    assert placed.geometry.is_valid.all()
    lisa = pyogrio.read_dataframe(gpkg, layer="lisa", read_geometry=False)
    assert set(lisa["adcode"]) == set(table["adcode"])


def test_one_province_gives_absolute_beta_convergence_and_says_why(county_run):
    # one province's counties are all in one region: no fixed effects to take
    _, out = county_run
    beta = pd.read_csv(out / "tables/diffusion_beta.csv")
    assert list(beta["model"]) == ["absolute"]
    notes = (out / "index.html").read_text(encoding="utf-8")
    assert "conditional beta convergence left out" in notes
