"""County and province tables, the table side: the containing-city column of a county table,
groupings that apply at each level, old county codes."""

from __future__ import annotations

import pandas as pd
import pytest

import geodti
from geodti import cli
from geodti.errors import InputError
from geodti.io.read import find_parent_column
from geodti.run.config import RunConfig
from geodti.schema import schema_of


def write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# 朝阳区 is a district of 北京 and of 长春, 南山区 of 深圳 and of 鹤岗
SHARED = ("区县,城市,year,gdp\n朝阳区,北京,2020,1\n朝阳区,长春,2020,2\n南山区,深圳,2020,3\n"
          "南山区,鹤岗,2020,4\n海淀区,北京,2020,5\n")


def test_a_city_column_beside_the_county_column_decides_shared_names(tmp_path):
    panel, report = geodti.read_panel_with_report(write(tmp_path, SHARED))
    assert schema_of(panel).level == "county"
    by_row = dict(zip(report["row"], report["adcode"]))
    assert by_row == {2: "110105", 3: "220104", 4: "440305", 5: "230404", 6: "110108"}
    assert "resolved by city 长春市" in report.set_index("row").loc[3, "note"]
    # the two 朝阳区 of one year are two units, not a duplicate
    assert len(panel) == 5 and panel["adcode"].is_unique


def test_without_the_city_column_the_shared_names_stay_ambiguous(tmp_path):
    path = write(tmp_path, "\n".join(",".join(line.split(",")[:1] + line.split(",")[2:])
                                     for line in SHARED.splitlines()) + "\n")
    with pytest.raises(InputError, match="repeat"):  # 朝阳区 2020 twice, nothing to tell them apart
        geodti.read_panel(path)


def test_a_city_that_does_not_contain_the_county_is_reported(tmp_path):
    path = write(tmp_path, "区县,城市,year,gdp\n朝阳区,上海,2020,1\n海淀区,北京,2020,2\n")
    panel, report = geodti.read_panel_with_report(path, allow_unmatched=True)
    row = report.set_index("row").loc[2]
    assert row["status"] == "ambiguous" and "not a county-level unit of 上海市" in row["note"]


def test_the_parent_column_is_found_only_beside_a_county_column():
    table = pd.DataFrame(columns=["区县", "所属城市", "year", "gdp"])
    assert find_parent_column(table, "区县") == "所属城市"
    # a city table's second name column is not a containing city
    assert find_parent_column(pd.DataFrame(columns=["城市", "地级市"]), "城市") is None
    # two candidates: none chosen, the flag decides
    assert find_parent_column(pd.DataFrame(columns=["县", "城市", "地级市"]), "县") is None


def test_the_parent_column_flag_reaches_the_reading_of_every_command(tmp_path, capsys):
    # a header no rule knows: only --parent-column names it
    path = write(tmp_path, SHARED.replace("城市", "所在"))
    with pytest.raises(InputError):
        geodti.read_panel(path)
    out = tmp_path / "cities.csv"
    assert cli.main(["aggregate", str(path), "--parent-column", "所在", "--to", "city", "--keep-incomplete",
                     "--out", str(out)]) == 0
    written = pd.read_csv(out, dtype={"adcode": str}, encoding="utf-8-sig")
    got = dict(zip(written["adcode"], written["gdp"]))
    assert got["110100"] == 6 and got["220100"] == 2  # 北京 = 朝阳区 1 + 海淀区 5
    assert cli.main(["match", str(path), "--parent-column", "所在"]) == 0
    # the run reads it from its configuration
    assert RunConfig().updated(parent_column="所在").parent_column == "所在"
    bad = write(tmp_path, SHARED, "b.csv")
    with pytest.raises(InputError, match="no column named '所属'"):
        geodti.read_panel(bad, parent_column="所属")


# --- groupings that apply at each level ----------------------------------------------------


@pytest.fixture(scope="module")
def province_panel():
    return geodti.read_panel("sample:province")


@pytest.mark.parametrize("by", ["agglomeration", "admin_rank", "province"])
def test_summary_refuses_city_groupings_of_a_province_table(by, capsys):
    assert cli.main(["summary", "sample:province", "--by", by]) == 2
    err = capsys.readouterr().err
    assert f"--by {by} does not apply to a province-level table" in err
    assert "use --by region, hu_line, layers, industry" in err


def test_province_groups_count_units_not_cities(province_panel, capsys):
    from geodti.index.summary import agglomeration_table, group_summary
    from geodti.places.gazetteer import agglomerations
    from geodti.places.levels import units

    table = group_summary(province_panel, units("province"), "region", window=None)
    assert "n_cities" not in table.columns
    assert table["n_units"].sum() == province_panel["adcode"].nunique() == 31
    with pytest.raises(geodti.errors.MethodError, match="at province level"):
        agglomeration_table(province_panel, agglomerations())
    assert cli.main(["summary", "sample:province", "--by", "hu_line"]) == 0
    assert "单元数" in capsys.readouterr().out
    # a city panel keeps its column names (the run's tables and their digest)
    cities = geodti.read_panel("sample:small")
    assert "n_cities" in group_summary(cities, geodti.gazetteer(), "region", window=None)


def test_a_province_containing_a_core_city_is_at_distance_zero(province_panel):
    from geodti.dynamics.gradient import distance_decay, distance_to_cores
    from geodti.geo import haversine_km
    from geodti.places.levels import points

    d = distance_to_cores(["310000", "440000", "120000"]).set_index("adcode")
    assert d.loc["310000", "distance_km"] == 0 and d.loc["440000", "distance_km"] == 0
    p = points("province").set_index("adcode").loc["120000"]
    c = geodti.gazetteer().set_index("adcode").loc["110100"]
    assert d.loc["120000", "distance_km"] == pytest.approx(haversine_km(p.lon, p.lat, c.lon, c.lat))
    # the log model leaves out the provinces of the four cores: 上海, 北京, 广东
    fit = distance_decay(province_panel)
    assert (fit["n"] == province_panel["adcode"].nunique() - 3).all()


# --- counties that became districts (撤县设区) ------------------------------------------------


def test_an_old_county_name_is_read_by_its_root_with_a_note():
    from geodti.places.match import match

    report = match(pd.DataFrame({"c": ["九台市", "江宁县", "九台区"]}), "c", level="county")
    old = report.iloc[0]
    assert (old["adcode"], old["status"], old["method"]) == ("220113", "matched", "county_name_root")
    assert "read as 九台区 (220113)" in old["note"] and "撤县设区" in old["note"]
    assert report.iloc[1]["adcode"] == "320115"
    # today's name is matched as it is, without a note
    assert (report.iloc[2]["method"], report.iloc[2]["note"]) == ("county_name", "")


def test_an_old_county_code_lists_its_citys_newest_districts_as_a_guess(tmp_path):
    from geodti.places.gazetteer import counties

    # 220181 (九台市 until 2014) is in no table today; 长春's districts are
    today = set(counties()["adcode"])
    assert "220181" not in today and "220113" in today
    path = write(tmp_path, "adcode,year,gdp\n220181,2013,1\n220102,2013,2\n440305,2013,3\n")
    with pytest.raises(geodti.errors.MatchError) as err:
        geodti.read_panel(path, level="county")
    row = err.value.report.set_index("input").loc["220181"]
    assert row["status"] == "unmatched"
    assert "九台区 (220113)" in row["note"] and "guess" in row["note"]
    assert row["suggestions"].split("; ")[0] == "九台区 (220113, 长春市, 吉林省)"
    # a district's code (4th-5th digits 01-20) that is gone is not guessed at
    from geodti.places.match import match

    gone = match(pd.DataFrame({"c": ["220119"]}), "c", level="county").iloc[0]
    assert gone["status"] == "unmatched" and "newest districts" not in gone["note"]


# --- read speed ------------------------------------------------------------------------------


def test_chinese_names_are_matched_without_loading_pinyin():
    # pypinyin's import and the pinyin of 2,875 county names were half of a county table's
    # cold read; they are needed for English or pinyin input only
    import subprocess
    import sys

    code = ("import sys, pandas as pd; from geodti.places.match import detect_level, match; "
            "t = pd.DataFrame({'c': ['南山区', '海淀区', '安达市', '九台市']}); "
            "assert detect_level(t, 'c') == 'county'; match(t, 'c', level='county'); "
            "print('pypinyin' in sys.modules); "
            "print(match(pd.DataFrame({'c': ['Anda City']}), 'c', level='county').adcode[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "231281"]
