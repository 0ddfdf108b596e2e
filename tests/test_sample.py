"""The bundled SYNTHETIC sample panel reproduces the DTI report's published tables.

Every number compared here is computed from the sample (raw files -> geodti's method ->
geodti's summaries) and compared with the transcription in data/published/; nothing is read
back from the transcription into the answer.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
PUB = ROOT / "data" / "published"
QUARTERS = [f"{y}Q{q}" for y in (2021, 2022) for q in (1, 2, 3, 4)] + ["2023Q1"]
LAYERS = ["infrastructure", "platform", "application"]

from geodti.index import (
    agglomeration_coverage, agglomeration_table, build_index, build_industry_index, industry_view,
    layer_summary, layer_variability, rank_change, summary_growth, values_at, within_agglomeration,
)
from geodti.index.framework import dti_framework


def _load_generator():
    spec = importlib.util.spec_from_file_location("geodti_sample_generate", SAMPLE / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "dti_panel_SYNTHETIC.csv", dtype={"adcode": str}, encoding="utf-8")


@pytest.fixture(scope="module")
def gazetteer() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "gazetteer.csv", dtype=str, encoding="utf-8")


@pytest.fixture(scope="module")
def agglomerations() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "agglomerations.csv", dtype=str, encoding="utf-8")


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return pd.read_csv(PUB / "agglomeration_city_ranks.csv", encoding="utf-8")


def _scores(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE / f"expert_scores_{name}_SYNTHETIC.csv")


def _national(panel: pd.DataFrame, columns) -> pd.DataFrame:
    return panel.groupby("period")[list(columns)].sum().loc[QUARTERS]


# --------------------------------------------------------------------------- files


def test_every_sample_file_is_labelled_synthetic():
    for path in SAMPLE.iterdir():
        if path.name == "README.md" or path.suffix == ".py" or path.name.startswith("."):
            continue
        assert "SYNTHETIC" in path.name, path.name
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme.lower() and "not" in readme
    for path in SAMPLE.glob("*SYNTHETIC*"):
        assert f"`{path.name}`" in readme, path.name


def test_sample_files_are_small():
    # they travel in every wheel; the annual county panel (31,328 rows, 1.25 MB) is most of the
    # growth past the city samples' 2.8 MB
    total = sum(p.stat().st_size for p in SAMPLE.iterdir())
    assert total < 4_500_000


def test_coverage_is_the_mainland_units(panel, gazetteer):
    mainland = gazetteer[~gazetteer["unit_type"].isin(["sar", "taiwan"])]
    assert set(panel["adcode"]) == set(mainland["adcode"])
    assert not panel["adcode"].isin(["810000", "820000", "710000"]).any()
    assert panel.groupby("adcode")["period"].apply(list).map(lambda p: p == QUARTERS).all()
    # names and provinces are the gazetteer's
    g = gazetteer.set_index("adcode")
    first = panel.drop_duplicates("adcode").set_index("adcode")
    assert (first["name"] == g.loc[first.index, "name"]).all()
    assert (first["province"] == g.loc[first.index, "province"]).all()


def test_base_period_totals_are_100(panel):
    base = panel[panel["period"] == "2021Q1"]
    for col in [*LAYERS, "dti"]:
        assert base[col].sum() == pytest.approx(100, abs=1e-4), col
    industries = [c for c in panel.columns if c.startswith("industry_")]
    assert len(industries) == 10
    assert base[industries].to_numpy().sum() == pytest.approx(100, abs=1e-4)
    assert (panel[[*LAYERS, "dti", *industries]] > 0).all().all()


def test_panel_is_geodtis_method_applied_to_the_raw_files(panel):
    raw = pd.read_csv(SAMPLE / "dti_raw_long_SYNTHETIC.csv", dtype={"adcode": str})
    res = build_index(raw[["adcode", "period", "indicator", "value"]], dti_framework(),
                      _scores("indicators"), _scores("layers"))
    with gzip.open(SAMPLE / "dti_industry_raw_long_SYNTHETIC.csv.gz", "rt", encoding="utf-8") as f:
        iraw = pd.read_csv(f, dtype={"adcode": str})
    ind = build_industry_index(iraw, _scores("industry"), normalise_by="all").panel
    got = res.panel.merge(ind, on=["adcode", "period"])
    both = panel.merge(got, on=["adcode", "period"], suffixes=("", "_method"))
    assert len(both) == len(panel)
    cols = [c for c in panel.columns if c not in ("adcode", "name", "province", "period")]
    for c in cols:
        np.testing.assert_allclose(both[c], both[f"{c}_method"], rtol=1e-6, err_msg=c)


# --------------------------------------------------------------------------- the report's tables


def test_within_agglomeration_tables(panel, agglomerations, published):
    table = within_agglomeration(panel, agglomerations, agglomeration=["珠三角", "京津冀", "长三角"])
    got = table.set_index(["agglomeration", "name"])
    for _, row in published.iterrows():
        g = got.loc[(row["agglomeration"], row["name"])]
        key = f"{row['agglomeration']} {row['name']}"
        assert int(g["earlier_rank"]) == row["rank_2022"], key
        assert int(g["later_rank"]) == row["rank_2023Q1"], key
        assert int(g["rank_change"]) == row["rank_change"], key
        assert int(g["growth_rank"]) == row["growth_rank"], key
        assert abs(100 * g["growth"] - row["yoy_growth_pct"]) < 0.05, (key, g["growth"])
    assert len(table) == 9 + 13 + 27


def test_agglomeration_share_ranking_in_every_period(panel, agglomerations):
    want = pd.read_csv(PUB / "agglomeration_share_ranking.csv")
    want = want.sort_values("share_rank")["agglomeration"].tolist()
    for period in [*QUARTERS, "2022"]:
        t = agglomeration_table(panel, agglomerations, period=period)
        assert t.sort_values("rank")["agglomeration"].tolist() == want, period


def test_agglomeration_index_share_near_80_percent(panel, agglomerations):
    for q in QUARTERS:
        cov = agglomeration_coverage(panel, agglomerations, period=q).iloc[0]
        assert 0.75 <= cov["index_share"] <= 0.82, (q, cov["index_share"])
    members = set(agglomerations["adcode"])
    assert len(members) / panel["adcode"].nunique() == pytest.approx(173 / 367)


def test_agglomeration_shares_and_means(panel, agglomerations):
    names = dict(zip(panel["adcode"], panel["name"]))
    mem = {a: list(p["adcode"]) for a, p in agglomerations.groupby("agglomeration")}
    east = sorted(set(mem["长三角"]) | set(mem["京津冀"]) | set(mem["珠三角"]))
    code = {v: k for k, v in names.items()}
    for q in QUARTERS:
        v = values_at(panel, q, "dti").set_index("adcode")["dti"]
        assert v[east].sum() / v.sum() > 0.5, q
        means = {a: v[m].mean() for a, m in mem.items()}
        assert max(means, key=means.get) == "珠三角", q
        szgz = v[[code["深圳市"], code["广州市"]]].sum() / v[mem["珠三角"]].sum()
        bj = v[code["北京市"]] / v[mem["京津冀"]].sum()
        sh = v[code["上海市"]] / v[mem["长三角"]].sum()
        assert 0.65 <= szgz <= 0.75 and 0.70 <= bj <= 0.80 and 0.50 <= sh <= 0.60, q
    t = agglomeration_table(panel, agglomerations)
    growth = t.set_index("agglomeration")["mean_growth"].sort_values(ascending=False)
    assert set(growth.index[:2]) == {"呼包鄂榆", "北部湾"}
    assert growth.iloc[1] > 0.20


def test_national_city_ranks(panel):
    rc = rank_change(panel, "dti", earlier="2022", later="2023Q1")
    names = dict(zip(panel["adcode"], panel["name"]))
    rc["name"] = rc["adcode"].map(names)
    later = rc.set_index("name")["later_rank"]
    for name, rank in {"上海市": 1, "北京市": 2, "深圳市": 3, "广州市": 4, "东莞市": 15,
                       "佛山市": 17}.items():
        assert later[name] == rank, name
    third = {"成都市", "重庆市", "杭州市", "苏州市", "南京市"}
    assert set(rc.loc[rc["later_rank"].between(5, 9), "name"]) == third
    assert set(rc.loc[rc["earlier_rank"].between(5, 9), "name"]) == third
    top10 = {col: set(rc.loc[rc[col] <= 10, "name"]) for col in ("earlier_rank", "later_rank")}
    assert top10["earlier_rank"] == top10["later_rank"]
    for q in [*QUARTERS, "2022"]:
        v = values_at(panel, q, "dti").sort_values("dti", ascending=False)
        assert names[v["adcode"].iloc[2]] == "深圳市", q


def test_layer_leaders(panel):
    names = dict(zip(panel["adcode"], panel["name"]))
    for period in ("2022", "2023Q1"):
        v = values_at(panel, period, LAYERS).set_index("adcode")
        assert names[v["infrastructure"].idxmax()] == "上海市"
        assert names[v["platform"].idxmax()] == "北京市"
        assert names[v["application"].idxmax()] == "北京市"


def test_province_ranks(panel):
    prov = panel.groupby(["province", "period"], as_index=False)[["dti"]].sum()
    rc = rank_change(prov, "dti", earlier="2022", later="2023Q1", keys=("province",))
    r = rc.set_index("province")
    top3 = r.sort_values("earlier_rank").index[:3].tolist()
    assert top3 == ["广东省", "上海市", "北京市"]
    assert r.loc["上海市", "later_rank"] == 1
    assert r.loc["安徽省", "earlier_rank"] > 10 and r.loc["安徽省", "later_rank"] <= 10


def test_growth_leaders(panel):
    prov = panel.groupby(["province", "period"], as_index=False)[["dti"]].sum()
    pg = summary_growth(prov, "dti", keys=("province",)).sort_values("growth", ascending=False)
    top5 = pg["province"].tolist()[:5]
    assert top5[0] == "西藏自治区"
    assert set(top5) == {"西藏自治区", "青海省", "内蒙古自治区", "新疆维吾尔自治区", "宁夏回族自治区"}
    assert pg["growth"].iloc[0] > pg["growth"].iloc[1] + 0.1  # "领先明显"
    cg = summary_growth(panel, "dti").sort_values("growth", ascending=False).head(10)
    top = cg.merge(panel.drop_duplicates("adcode")[["adcode", "name", "province"]], on="adcode")
    assert top["province"].isin(["西藏自治区", "青海省"]).sum() == 8
    assert {"和田地区", "临高县"} <= set(top["name"])


def test_national_path_and_layers(panel):
    s = layer_summary(panel)
    dti = s[s["variable"] == "dti"].set_index("period")
    total = dti["total"]
    assert total.idxmax() == "2022Q2"
    qoq = dti["qoq"]
    assert (qoq[["2021Q2", "2021Q3", "2021Q4"]] > 0).all()
    assert qoq["2022Q3"] < 0
    assert (qoq[["2022Q4", "2023Q1"]] > 0).all()
    assert qoq[["2022Q4", "2023Q1"]].max() < qoq[["2021Q2", "2021Q3", "2021Q4"]].min()
    plat = s[s["variable"] == "platform"].set_index("period")
    assert plat.loc["2022Q1", "yoy"] == pytest.approx(0.18, abs=0.005)
    assert plat.loc["2023Q1", "yoy"] == pytest.approx(0.10, abs=0.005)
    assert plat.loc["2022Q1", "yoy_rank"] == 3 and plat.loc["2023Q1", "yoy_rank"] == 1
    app = s[s["variable"] == "application"].set_index("period")
    assert app.loc["2023Q1", "yoy"] < 0
    var = layer_variability(panel)
    assert var.loc[var["least_variable"], "variable"].tolist() == ["platform"]


def test_province_industry_top10(panel):
    want = pd.read_csv(PUB / "province_industry_top10.csv")
    groups = panel.drop_duplicates("adcode")[["adcode", "province"]]
    for period in ("2022", "2023Q1"):
        view = industry_view(panel, groups, period=period)
        for (industry, measure), part in want.groupby(["industry", "measure"]):
            if measure == "growth" and period != "2022":
                continue
            col = "share_rank" if measure == "share" else "growth_rank"
            got = view[view["industry"] == industry].sort_values(col)["province"].head(10)
            assert got.tolist() == part.sort_values("rank")["province"].tolist(), \
                (industry, measure, period)


def test_national_industries(panel):
    cols = [c for c in panel.columns if c.startswith("industry_")]
    nat = _national(panel, cols).reset_index().assign(scope="national")
    size = values_at(nat, "2022", cols, keys=("scope",))[cols].iloc[0]
    size_rank = size.rank(ascending=False).astype(int)
    g = summary_growth(nat, cols, keys=("scope",)).set_index("variable")["growth"]
    g_rank = g.rank(ascending=False).astype(int)
    assert size_rank["industry_finance"] == 1
    assert size_rank["industry_manufacturing"] == 5
    assert size_rank["industry_communications"] == 9
    assert [g_rank[f"industry_{k}"] for k in ("communications", "manufacturing", "finance",
                                              "energy", "transport")] == [1, 2, 3, 4, 5]
    assert g["industry_finance"] == pytest.approx(0.42, abs=0.005)


# --------------------------------------------------------------------------- determinism


def test_generator_reproduces_the_committed_files(tmp_path):
    gen = _load_generator()
    assert gen.main(["--out", str(tmp_path)]) == 0
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(files) == set(gen.OUT_FILES.values())
    for name, data in files.items():
        committed = (SAMPLE / name).read_bytes()
        if name.endswith(".gz"):  # compare content; the deflate stream depends on zlib
            assert gzip.decompress(data) == gzip.decompress(committed), name
            assert data[4:8] == b"\0\0\0\0", "gzip header must carry no timestamp"
        else:
            assert hashlib.sha256(data).hexdigest() == hashlib.sha256(committed).hexdigest(), name


def test_another_seed_gives_other_numbers_and_still_calibrates():
    gen = _load_generator()
    a = gen.generate(seed=7)[gen.OUT_FILES["panel"]]
    b = (SAMPLE / gen.OUT_FILES["panel"]).read_bytes()
    assert a != b
    df = pd.read_csv(io.BytesIO(a), dtype={"adcode": str})
    assert df["dti"][df["period"] == "2021Q1"].sum() == pytest.approx(100, abs=1e-4)
