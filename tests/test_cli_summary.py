"""`geodti summary`: prints a readable table and writes the full one."""

import pandas as pd
import pytest

from geodti.cli import main
from geodti.index.summary import agglomeration_table, group_summary
from test_summary import CODES
from test_summary import _agglomerations as _fake_agglomerations
from test_summary import _panel as _fake_panel
from test_summary import _tiers as _fake_tiers

# The fixture of test_summary on real adcodes (the CLI matches cities against the gazetteer):
# c1 北京 110100, c2 天津 120100, c3 石家庄 130100, c4 上海 310100, c5 深圳 440300, c6 广州 440100.
REAL = dict(zip(CODES.values(), ["110100", "120100", "130100", "310100", "440300", "440100"]))


def _real(df):
    return df.assign(adcode=df["adcode"].map(REAL))


def _panel():
    return _real(_fake_panel())


def _agglomerations():
    return _real(_fake_agglomerations())


def _tiers():
    return _real(_fake_tiers())


@pytest.fixture()
def files(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that rich does not wrap headers
    panel, agg, tiers = tmp_path / "panel.csv", tmp_path / "agg.csv", tmp_path / "tiers.csv"
    _panel().to_csv(panel, index=False)
    _agglomerations().to_csv(agg, index=False)
    _tiers().to_csv(tiers, index=False)
    return panel, agg, tiers


def test_agglomeration_summary_prints_and_writes(files, tmp_path, capsys):
    panel, agg, _ = files
    out = tmp_path / "agg_table.csv"
    assert main(["summary", str(panel), "--groups", str(agg), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "城市群" in text and "73.5%" in text          # X holds 125 / 170 of the index
    assert "2大城市群的4个城市" in text
    written = pd.read_csv(out, encoding="utf-8-sig", dtype={"leading_adcode": str})
    expected = agglomeration_table(_panel(), _agglomerations())
    assert written["agglomeration"].tolist() == expected["agglomeration"].tolist()
    assert written["share"].tolist() == pytest.approx(expected["share"].tolist())


def test_tier_summary_markdown(files, tmp_path, capsys):
    panel, _, tiers = files
    out = tmp_path / "tiers.md"
    assert main(["summary", str(panel), "--by", "tier", "--groups", str(tiers), "--out",
                 str(out)]) == 0
    md = out.read_text(encoding="utf-8")
    expected = group_summary(_panel(), _tiers(), "tier")
    assert md.splitlines()[0].startswith("| tier | rank |")
    assert len(md.splitlines()) == 2 + len(expected)
    assert "城市等级" in capsys.readouterr().out


def test_within_and_layers(files, capsys):
    panel, agg, _ = files
    assert main(["summary", str(panel), "--groups", str(agg), "--within", "X"]) == 0
    text = capsys.readouterr().out
    assert "2022排名" in text and "2023Q1排名" in text and "+1" in text
    assert main(["summary", str(panel), "--by", "layers"]) == 0
    assert "基础设施" in capsys.readouterr().out


def test_province_from_bundled_gazetteer(files, tmp_path, capsys):
    panel, _, _ = files
    out = tmp_path / "prov.csv"
    assert main(["summary", str(panel), "--by", "province", "--out", str(out)]) == 0
    t = pd.read_csv(out, encoding="utf-8-sig").set_index("province")
    # 广东省 = 深圳 15 + 广州 20 in 2023Q1, of 170.
    assert t.loc["广东省", "total"] == pytest.approx(35)
    assert t.loc["广东省", "share"] == pytest.approx(35 / 170)
    assert t.loc["广东省", "n_cities"] == 2
    assert "广东省" in capsys.readouterr().out


def test_groups_by_city_name(files, tmp_path, capsys):
    panel, _, _ = files
    tiers = tmp_path / "tiers_by_name.csv"
    pd.DataFrame({"城市": ["北京", "天津市", "Shijiazhuang"], "tier": ["一线", "二线", "二线"]}).to_csv(
        tiers, index=False)
    out = tmp_path / "t.csv"
    assert main(["summary", str(panel), "--by", "tier", "--groups", str(tiers), "--out",
                 str(out)]) == 0
    t = pd.read_csv(out, encoding="utf-8-sig").set_index("tier")
    assert t.loc["二线", "total"] == pytest.approx(45 + 40)       # 天津 + 石家庄
    assert t.loc["(unassigned)", "n_cities"] == 3


def test_errors_exit_2(files, tmp_path, capsys):
    panel, agg, tiers = files
    assert main(["summary", str(panel), "--by", "region", "--groups", str(tiers)]) == 2
    assert "no column 'region'" in capsys.readouterr().err
    bad = tmp_path / "bad_groups.csv"
    _tiers().assign(adcode="1100").to_csv(bad, index=False)
    assert main(["summary", str(panel), "--by", "tier", "--groups", str(bad)]) == 2
    assert "row 2" in capsys.readouterr().err
    mixed = tmp_path / "mixed.csv"
    first = _panel().drop_duplicates(["adcode"])
    pd.concat([_panel(), first.assign(period="2019")]).to_csv(mixed, index=False)
    assert main(["summary", str(mixed)]) == 2
    assert "the table mixes frequencies" in capsys.readouterr().err
    assert main(["summary", str(panel), "--groups", str(agg), "--window", "2024Q1-2024Q2"]) == 2
    assert "growth window" in capsys.readouterr().err


def test_a_city_in_two_tiers_is_refused_but_in_two_agglomerations_is_counted_once(tmp_path, capsys):
    # tiers partition the cities (shares must add to 100 %); agglomerations overlap as the
    # national plans do, and their table counts each city once
    panel = tmp_path / "panel.csv"
    _panel().to_csv(panel, index=False)
    tiers = tmp_path / "tiers.csv"
    pd.DataFrame({"adcode": ["110100", "110100", "120100"], "tier": ["A", "B", "A"]}).to_csv(tiers, index=False)
    assert main(["summary", str(panel), "--by", "tier", "--groups", str(tiers)]) == 2
    err = capsys.readouterr().err
    assert "a city may be in one group only" in err and "110100: rows 2, 3 (A, B)" in err  # spreadsheet rows
    agg = tmp_path / "agg.csv"
    _agglomerations().to_csv(agg, index=False)  # 石家庄 130100 in X and in Y
    out = tmp_path / "agg_table.csv"
    assert main(["summary", str(panel), "--groups", str(agg), "--out", str(out)]) == 0
    assert "2大城市群的4个城市" in capsys.readouterr().out  # 5 memberships, 4 distinct cities
