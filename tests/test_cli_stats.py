"""``geodti stats``: tables written, byte-identical reruns, own unit layers, refusals."""

from __future__ import annotations

import pandas as pd
import pytest
from spatial_fixtures import lattice, synthetic_panel

from geodti.bundled import data_dir
from geodti.cli import main

SAMPLE = data_dir() / "sample" / "dti_sample_small_SYNTHETIC.csv"


def test_stats_on_bundled_sample(tmp_path):
    out = tmp_path / "stats"
    code = main(["stats", str(SAMPLE), "--weights", "knn3,band800", "--permutations", "199", "--seed", "3",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {"global.csv", "robustness.csv", "local.csv", "weights.csv", "links.csv", "excluded.csv"} <= names
    g = pd.read_csv(out / "global.csv", encoding="utf-8-sig", dtype={"period": str})
    assert set(g["weights"]) == {"knn3", "band800"}
    assert (g["seed"] == 3).all() and (g["permutations"] == 199).all()
    loc = pd.read_csv(out / "local.csv", encoding="utf-8-sig", dtype={"adcode": str})
    assert set(loc["weights"]) == {"knn3"}  # local table: the first weights by default
    assert loc["adcode"].str.fullmatch(r"\d{6}").all()
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["stats", str(SAMPLE), "--weights", "knn3,band800", "--permutations", "199", "--seed", "3",
                 "--out", str(out), "--no-progress"]) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # deterministic files


def test_stats_with_own_units_and_contiguity(tmp_path):
    grid = lattice(5, 5)
    units = tmp_path / "units.gpkg"
    grid.to_file(units)
    panel = synthetic_panel(grid["adcode"], ["2021Q1", "2021Q2"], ["dti"], seed=2)
    table = tmp_path / "panel.csv"
    panel.to_csv(table, index=False)
    out = tmp_path / "o"
    code = main(["stats", str(table), "--city-column", "adcode", "--weights", "rook,queen", "--units", str(units),
                 "--permutations", "99", "--on-budget", "ignore", "--out", str(out), "--no-progress"])
    assert code == 0
    w = pd.read_csv(out / "weights.csv", encoding="utf-8-sig")
    assert list(w["weights"]) == ["rook", "queen"]
    assert list(w["max_neighbours"]) == [4, 8]


def test_stats_budget_refusal_exit_code(tmp_path, capsys):
    code = main(["stats", str(SAMPLE), "--weights", "knn3", "--permutations", "99", "--correction", "bonferroni",
                 "--on-budget", "raise", "--out", str(tmp_path / "x"), "--no-progress"])
    assert code == 2
    assert "permutations" in capsys.readouterr().err


def test_stats_unknown_weights_spec(tmp_path, capsys):
    assert main(["stats", str(SAMPLE), "--weights", "knight", "--out", str(tmp_path / "y"), "--no-progress"]) == 2
    assert "unknown weights spec" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--missing"])
def test_stats_missing_values(tmp_path, flag, capsys):
    grid = lattice(4, 4)
    panel = synthetic_panel(grid["adcode"], ["2021Q1", "2021Q2"], ["dti"], seed=2)
    panel.loc[3, "dti"] = float("nan")
    table = tmp_path / "p.csv"
    panel.to_csv(table, index=False)
    units = tmp_path / "u.gpkg"
    grid.to_file(units)
    args = ["stats", str(table), "--city-column", "adcode", "--weights", "knn3", "--units", str(units), "--permutations",
            "49", "--on-budget", "ignore", "--no-progress"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 2
    assert "missing" in capsys.readouterr().err
    assert main(args + [flag, "drop", "--out", str(tmp_path / "b")]) == 0
    ex = pd.read_csv(tmp_path / "b" / "excluded.csv", encoding="utf-8-sig", dtype=str)
    assert list(ex["adcode"]) == [panel.loc[3, "adcode"]]


def test_stats_local_losh_on_request(tmp_path):
    out = tmp_path / "losh"
    assert main(["stats", str(SAMPLE), "--weights", "knn3", "--local", "losh,lisa", "--permutations", "99",
                 "--on-budget", "ignore", "--out", str(out), "--no-progress"]) == 0
    loc = pd.read_csv(out / "local.csv", encoding="utf-8-sig", dtype={"adcode": str})
    assert set(loc["statistic"]) == {"losh", "lisa"}
    losh = loc[loc["statistic"] == "losh"]
    assert (losh["inference"] == "analytic").all() and losh["p_analytic"].between(0, 1).all()
    assert set(losh["cluster"]) <= {"heterogeneous", "not_significant"}


def test_stats_unknown_local_statistic_names_the_choices(tmp_path, capsys):
    assert main(["stats", str(SAMPLE), "--local", "lisa,losch", "--out", str(tmp_path / "z"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "losch" in err and "losh" in err and "local_geary" in err
