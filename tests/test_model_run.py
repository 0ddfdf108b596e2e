"""The run's spatial panel models: [run.model] settings, the models step, its tables and page."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geodti.errors import InputError
from geodti.run import run
from geodti.run.config import RunConfig

PANEL = "data/sample/dti_panel_SYNTHETIC.csv"
SETTINGS = {"y": "dti", "x": ["infrastructure", "platform"], "models": ["ols", "sar", "sdm"],
            "effects": "twoway", "weights": "knn3", "draws": 50}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """12 cities x 4 quarters of the synthetic panel: too few for the spatial statistics
    (skipped), enough for the models."""
    folder = tmp_path_factory.mktemp("tiny")
    panel = pd.read_csv(PANEL, dtype={"adcode": str})
    cities = panel["adcode"].drop_duplicates().head(12)
    keep = panel[panel["adcode"].isin(cities) & panel["period"].isin(["2022Q2", "2022Q3", "2022Q4", "2023Q1"])]
    path = folder / "tiny.csv"
    keep[["adcode", "name", "province", "period", "dti", "infrastructure", "platform"]].to_csv(path, index=False)
    result = run(RunConfig(table=str(path), out=str(folder / "out"), model=dict(SETTINGS)), jobs=1)
    return path, result


def test_run_writes_the_models(tiny):
    from geodti.io.panel import read_panel
    from geodti.model import model_data, model_weights, spatial_panel_models

    path, result = tiny
    out = result.out
    steps = {s["step"]: s for s in result.manifest["steps"]}
    assert "skipped" not in steps["models"] and "skipped" in steps["statistics"]
    # the same numbers as the API on the same table, weights and seed
    panel = read_panel(path)
    units = model_data(panel, "dti", SETTINGS["x"]).units
    ref = spatial_panel_models(panel, "dti", SETTINGS["x"], model_weights(panel, "knn3", units),
                               models=SETTINGS["models"], effects="twoway", draws=50)
    coef = pd.read_csv(out / "tables" / "model_coefficients.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(coef["estimate"], ref["coefficients"]["estimate"], rtol=1e-12)
    effects = pd.read_csv(out / "tables" / "model_effects.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(effects["se"], ref["effects"]["se"], rtol=1e-12)
    assert set(effects["model"]) == {"sar", "sdm"}
    paper = pd.read_csv(out / "tables" / "model_table.csv", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    assert list(paper.columns) == ["term", "OLS twoway", "SAR twoway", "SDM twoway"]
    # the CSV writer guards cells a spreadsheet would run as a formula ("-0.9***") with a '
    assert (paper.iloc[:, 1:].map(lambda c: c.startswith("'-"))).to_numpy().any()
    pd.testing.assert_frame_equal(paper.replace(r"^'(?=-)", "", regex=True), ref["table"],
                                  check_dtype=False)
    assert r"\begin{table}" in (out / "tables" / "model_table.tex").read_text(encoding="utf-8")
    assert "| SDM twoway |" in (out / "tables" / "model_table.md").read_text(encoding="utf-8")
    book = openpyxl.load_workbook(out / "tables" / "geodti_tables.xlsx", read_only=True)
    listed = [row[1] for row in book["contents"].iter_rows(min_row=2, values_only=True)]
    assert {"model_table", "model_coefficients", "model_effects", "model_tests"} <= set(listed)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Spatial panel models" in page and "dti on infrastructure, platform" in page
    assert "LR SDM vs SAR" in page
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {"tables/model_table.md", "tables/model_table.tex"} <= set(manifest["outputs"])
    # the written configuration repeats the models
    assert RunConfig.from_toml(out / "geodti.toml").model == SETTINGS


@pytest.mark.parametrize("settings, message", [
    ({"x": ["a"]}, "y names the dependent"),
    ({"y": "dti", "x": "a"}, "x lists the covariates"),
    ({"y": "dti", "x": ["a"], "modle": ["sar"]}, "unknown setting.*modle"),
    ({"y": "dti", "x": ["a"], "models": ["sar", "gmm"]}, "models .*gmm"),
    ({"y": "dti", "x": ["a"], "effects": "fixed"}, "effects 'fixed'"),
    ({"y": "dti", "x": ["a"], "draws": -1}, "draws must be >= 0"),
])
def test_model_settings_are_checked(tmp_path, settings, message):
    with pytest.raises(InputError, match=message):
        RunConfig(model=settings).validated()
    body = "[run]\n[run.model]\n" + "\n".join(
        f"{k} = {json.dumps(v)}" for k, v in settings.items()) + "\n"
    (tmp_path / "c.toml").write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match="c.toml: \\[run.model\\]"):
        RunConfig.from_toml(tmp_path / "c.toml")


def test_a_missing_covariate_stops_the_run_naming_it(tiny, tmp_path):
    path, _ = tiny
    with pytest.raises(InputError, match="'gdp'"):
        run(RunConfig(table=str(path), out=str(tmp_path / "o"),
                      model={"y": "dti", "x": ["platform", "gdp"]}), jobs=1)
