"""The transcription of the DTI report 2023's tables (data/published/) is consistent."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
PUB = ROOT / "data" / "published"
REPORT_NAME = "dti-report-2023-tencent-zh.txt"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(PUB / name, dtype=str, keep_default_na=False, encoding="utf-8")


def _report_text() -> str | None:
    # The report text ships with the project's shared reference folder, beside the checkout.
    for base in (ROOT.parent / "shared", ROOT / "shared"):
        path = base / "reference" / REPORT_NAME
        if path.exists():
            return path.read_text(encoding="utf-8")
    return None


def _squash(text: str) -> str:
    return re.sub(r"\s+|\*\*", "", text)  # the text keeps the PDF's bold as **


@pytest.fixture(scope="module")
def cities() -> pd.DataFrame:
    df = _read("agglomeration_city_ranks.csv")
    for c in ("rank_2022", "rank_2023Q1", "rank_change", "growth_rank"):
        df[c] = df[c].astype(int)
    df["yoy_growth_pct"] = df["yoy_growth_pct"].astype(float)
    return df


def test_every_file_is_described_in_the_readme():
    readme = (PUB / "README.md").read_text(encoding="utf-8")
    for path in PUB.glob("*.csv"):
        assert f"`{path.name}`" in readme, path.name


def test_agglomeration_tables_have_the_reported_sizes(cities):
    assert cities.groupby("agglomeration").size().to_dict() == {"珠三角": 9, "京津冀": 13, "长三角": 27}
    assert not cities.duplicated(["agglomeration", "name"]).any()


@pytest.mark.parametrize("column", ["rank_2022", "rank_2023Q1", "growth_rank"])
def test_ranks_are_permutations(cities, column):
    for agg, part in cities.groupby("agglomeration"):
        assert sorted(part[column]) == list(range(1, len(part) + 1)), (agg, column)


def test_rank_change_identity(cities):
    # report's sign: "+1" = moved up = 2022 rank - 2023Q1 rank
    bad = cities[cities["rank_2022"] - cities["rank_change"] != cities["rank_2023Q1"]]
    assert bad.empty, bad[["agglomeration", "name"]].to_string()
    assert (cities["rank_change"] != 0).sum() == 4 + 12  # 京津冀 4 movers, 长三角 12


def test_printed_rank_changes_parse(cities):
    printed = cities["rank_change_printed"].replace({"D": "0", "O": "0"}).astype(int)
    assert (printed == cities["rank_change"]).all()
    ocr = cities[cities["rank_change_printed"].isin(["D", "O"])]
    assert set(ocr["name"]) == {"温州市", "南通市"}
    assert (ocr["note"] != "").all()


def test_growth_descends_with_growth_rank(cities):
    for agg, part in cities.groupby("agglomeration"):
        g = part.sort_values("growth_rank")["yoy_growth_pct"].to_numpy()
        assert (g[:-1] >= g[1:]).all(), agg


def test_known_values(cities):
    row = cities.set_index(["agglomeration", "name"])
    assert row.loc[("长三角", "合肥市"), "yoy_growth_pct"] == 42.7
    assert row.loc[("珠三角", "广州市"), "yoy_growth_pct"] == -1.4
    assert row.loc[("京津冀", "邯郸市"), ["rank_2022", "rank_2023Q1"]].tolist() == [8, 7]
    assert row.loc[("长三角", "芜湖市"), "rank_change"] == 2


def test_yrd_2022_repair_is_backed_by_the_printed_table(cities):
    printed = _read("agglomeration_city_ranks_2022_yrd_as_printed.csv")
    yrd = cities[cities["agglomeration"] == "长三角"]
    # exactly one printed row lacks its name, and rank 2 is printed twice
    assert (printed["name_printed"] == "").sum() == 1
    assert printed["rank_printed"].tolist().count("2") == 2
    missing = set(yrd["name"]) - set(printed["name_printed"])
    assert missing == {"杭州市"}
    # the 2023Q1 table puts 杭州 2nd and 苏州 3rd, both unchanged
    r = yrd.set_index("name")
    assert r.loc["杭州市", ["rank_2023Q1", "rank_change", "rank_2022"]].tolist() == [2, 0, 2]
    assert r.loc["苏州市", ["rank_2023Q1", "rank_change", "rank_2022"]].tolist() == [3, 0, 3]
    # every other printed row is transcribed unchanged
    rest = printed[(printed["name_printed"] != "") & (printed["name_printed"] != "苏州市")]
    for _, p in rest.iterrows():
        assert r.loc[p["name_printed"], "rank_2022"] == int(p["rank_printed"]), p["name_printed"]


def test_province_industry_lists():
    df = _read("province_industry_top10.csv")
    assert df.groupby(["industry", "measure"]).size().to_dict() == {
        (i, m): 10 for i in ("communications", "finance", "manufacturing")
        for m in ("growth", "share")}
    for key, part in df.groupby(["industry", "measure"]):
        assert part["rank"].astype(int).tolist() == list(range(1, 11)), key
        assert part["province"].is_unique, key
    # every province name is a full official name whose short form was printed
    for _, r in df.iterrows():
        assert r["province"].startswith(r["province_printed"]), r.to_dict()
    gaz = ROOT / "data" / "gazetteer.csv"
    if gaz.exists():
        known = set(pd.read_csv(gaz, dtype=str)["province"])
        assert set(df["province"]) <= known


def test_agglomeration_share_ranking():
    df = _read("agglomeration_share_ranking.csv")
    assert df["share_rank"].astype(int).tolist() == list(range(1, 12))
    counts = df["member_count_report"].astype(int)
    assert counts.sum() == 172
    # the printed text of each row states its own count
    for _, r in df.iterrows():
        assert f"{r['member_count_report']}个城市" in r["cities_printed"]


def test_stated_facts_table():
    df = _read("stated_facts.csv")
    assert df["fact_id"].is_unique
    assert set(df["calibrated"]) == {"yes", "no"}
    assert (df["quote"] != "").all() and (df["source_section"] != "").all()
    assert (df.loc[df["calibrated"] == "no", "how_checked"] != "").all()


def test_quotes_and_sections_occur_in_the_report():
    text = _report_text()
    if text is None:
        pytest.skip(f"{REPORT_NAME} is not beside this checkout (shared/reference/)")
    flat = _squash(text)
    facts = _read("stated_facts.csv")
    for _, r in facts.iterrows():
        for fragment in r["quote"].split("..."):
            assert _squash(fragment) in flat, (r["fact_id"], fragment)
    sections = set()
    for name in ("agglomeration_city_ranks.csv", "province_industry_top10.csv",
                 "agglomeration_share_ranking.csv", "agglomeration_industry_top3.csv"):
        sections |= set(_read(name)["source_section"])
    sections |= set(facts["source_section"]) - {"小结 3 火车头效应"}
    for s in sections:
        assert _squash(s) in flat, s
    # the province lists appear in the report in this order
    ind = _read("province_industry_top10.csv")
    for (industry, measure), part in ind.groupby(["industry", "measure"]):
        col = part["source_column"].iloc[0]
        seq = "".join(f"{i}{p}" for i, p in zip(part["rank"], part["province_printed"]))
        assert _squash(col + "省份" + seq) in flat, (industry, measure)
