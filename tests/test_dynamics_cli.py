"""``geodti diffusion`` and the diffusion summary on the bundled SYNTHETIC sample."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geodti.bundled import data_dir
from geodti.cli import main
from geodti.dynamics import diffusion_summary, hu_line_share, mean_centre

SAMPLE = data_dir() / "sample" / "dti_panel_SYNTHETIC.csv"


def _sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE, dtype={"adcode": str})[["adcode", "period", "dti"]]


def test_summary_on_the_sample_is_consistent_with_the_detailed_tables():
    panel = _sample()
    s = diffusion_summary(panel)
    assert s["period"].tolist() == sorted(panel["period"].unique())
    c = mean_centre(panel)
    assert np.allclose(s["centre_lon"], c["lon"]) and np.allclose(s["westward_shift_km"],
                                                                  c["westward_shift_km"])
    assert np.allclose(s["share_nw"], hu_line_share(panel)["share_nw"])
    # the identity of the Gini shares holds in every period
    shares = s[["gini_share_within", "gini_share_net_between", "gini_share_transvariation"]]
    assert np.allclose(shares.sum(axis=1), 1.0)
    # rankings exist only where a quarter four back exists
    assert s["region_growth_ranking"].isna().tolist() == [True] * 4 + [False] * 5
    assert set(s["region_growth_ranking"].iloc[-1].split(" > ")) == {"东部", "中部", "西部", "东北"}


def test_cli_writes_every_table_and_layer_deterministically(tmp_path, capsys):
    panel = pd.read_csv(SAMPLE, dtype={"adcode": str})
    small = panel[panel["province"].isin(["江苏省", "浙江省", "安徽省", "江西省", "福建省"])]
    path = tmp_path / "panel.csv"
    small.to_csv(path, index=False)
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run
        code = main(["diffusion", str(path), "--by", "province", "--out", str(out),
                     "--draws", "50", "--weights", "knn4", "--cores", "上海,杭州"])
        assert code == 0
        outs.append(out)
    printed = capsys.readouterr()
    assert "beta convergence" in printed.out
    files = sorted(p.name for p in outs[0].iterdir())
    for name in ("summary.csv", "emerging_hotspots.csv", "dagum_components.csv",
                 "spatial_beta_impacts.csv", "markov_transitions.csv", "kernel_density.csv",
                 "diffusion_centres.geojson", "diffusion_ellipses.geojson",
                 "diffusion_trajectory.geojson", "diffusion_notes.txt"):
        assert name in files
    for name in files:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    summary = pd.read_csv(outs[0] / "summary.csv", encoding="utf-8-sig")
    assert len(summary) == 9 and (summary["inequality_groups"] == "province").all()
    assert set(pd.read_csv(outs[0] / "gi_star.csv", encoding="utf-8-sig")["weights"]) == {"knn4"}
    layer = json.loads((outs[0] / "diffusion_ellipses.geojson").read_text(encoding="utf-8"))
    assert len(layer["features"]) == 9 and layer["features"][0]["geometry"]["type"] == "Polygon"
    decay = pd.read_csv(outs[0] / "distance_decay.csv", encoding="utf-8-sig", dtype=str)
    assert set(decay["cores"]) == {"310100|330100"}


def test_cli_errors_are_clear(tmp_path, capsys):
    panel = _sample()
    panel = panel[panel["adcode"].str.startswith("32")]
    path = tmp_path / "p.csv"
    panel.drop(panel.index[3]).to_csv(path, index=False)  # one unit misses a quarter
    assert main(["diffusion", str(path), "--draws", "0"]) == 2
    assert "--drop-incomplete" in capsys.readouterr().err
    assert main(["diffusion", str(path), "--weights", "queen"]) == 2
    assert "knnK" in capsys.readouterr().err
