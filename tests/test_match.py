"""City matcher: every rule on real examples, ambiguity, history, no row dropped, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodti import cli
from geodti.errors import InputError
from geodti.places import match as match_module
from geodti.places.gazetteer import counties, gazetteer
from geodti.places.match import REPORT_COLUMNS, match, match_names


def one(value, province=None) -> dict:
    report = match_names([value], None if province is None else [province])
    return report.iloc[0].to_dict()


def assert_unit(value, adcode, method=None, status="matched", province=None):
    rec = one(value, province)
    assert (rec["adcode"], rec["status"]) == (adcode, status), rec
    if method is not None:
        assert rec["method"] == method, rec
    return rec


# --- codes -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["440300", 440300, 440300.0, "440300.0", np.int64(440300),
                                   "４４０３００", " 440300 "])
def test_adcode_in_any_numeric_form(value):
    assert_unit(value, "440300", "adcode")


def test_12_digit_statistical_code():
    rec = assert_unit("440300000000", "440300", "adcode")
    assert "12-digit" in rec["note"]
    street = one(440305001000)  # a street code inside 南山区: a county-level part of 深圳
    assert (street["status"], street["containing_city"], street["method"]) == ("county", "440300", "adcode_county")


def test_county_code_points_to_its_city_but_is_not_matched():
    """A county's code, like its name, is not its city: status county, the city as
    containing_city, not as the match."""
    rec = one("440305")
    assert pd.isna(rec["adcode"]) and rec["status"] == "county", rec
    assert rec["containing_city"] == "440300" and "南山区" in rec["note"]
    assert "--allow-county" in rec["note"]
    wanzhou = one("500101")  # 万州区 -> 重庆市
    assert (wanzhou["status"], wanzhou["containing_city"]) == ("county", "500000")


def test_province_administered_units_keep_their_own_code():
    assert_unit("469007", "469007", "adcode")  # 东方市 is a unit, not part of a prefecture
    assert_unit("429004", "429004", "adcode")  # 仙桃市
    assert_unit("419001", "419001", "adcode")  # 济源市
    assert_unit("659001", "659001", "adcode")  # 石河子市


def test_municipal_and_province_codes():
    assert_unit("110000", "110100", "adcode_province")
    assert_unit("500100", "500000", "adcode_municipality")
    rec = one("440000")
    assert (rec["status"], rec["method"]) == ("unmatched", "province_code") and "广东省" in rec["note"]


def test_historical_codes():
    rec = assert_unit("522400", "520500", "historical_adcode", "historical")
    assert "毕节地区" in rec["note"]
    assert_unit(469003, "460400", "historical_adcode", "historical")  # 儋州
    assert_unit("542400", "540600", "historical_adcode", "historical")  # 那曲地区
    assert_unit("469031", "460300", "historical_adcode", "historical")  # 西沙群岛 -> 三沙


def test_unknown_and_malformed_codes():
    rec = one("440399")
    assert (rec["status"], rec["method"]) == ("unmatched", "adcode_unknown")
    assert rec["suggestions"] == "深圳市 (440300)"
    assert one("12345")["method"] == "adcode_invalid"


# --- names -----------------------------------------------------------------------------


@pytest.mark.parametrize("value,adcode,method", [
    ("深圳市", "440300", "name"),
    ("恩施土家族苗族自治州", "422800", "name"),
    ("深圳", "440300", "name_short"),
    ("锡林郭勒", "152500", "name_short"),
    ("大兴安岭", "232700", "name_short"),
    ("神农架", "429021", "name_short"),
    ("恩施州", "422800", "name_variant"),
    ("湘西州", "433100", "name_variant"),
    ("黔东南州", "522600", "name_variant"),
    ("延边州", "222400", "name_variant"),
    ("大理州", "532900", "name_variant"),
    ("湘西自治州", "433100", "name_variant"),
    ("克州", "653000", "name_variant"),
    ("中国香港", "810000", "name_variant"),
    ("锡林郭勒盟", "152500", "name"),
    ("阿克苏地区", "652900", "name"),
])
def test_chinese_names_and_suffix_variants(value, adcode, method):
    assert_unit(value, adcode, method)


def test_leading_province_in_the_city_value():
    rec = assert_unit("广东省深圳市", "440300", "name")
    assert "广东省" in rec["note"]
    assert_unit("湖北恩施", "422800", "name_short")
    assert_unit("吉林省吉林市", "220200", "name")


@pytest.mark.parametrize("value,adcode", [
    ("Xi'an", "610100"), ("xian", "610100"), ("XI AN", "610100"), ("Xī'ān", "610100"),
    ("Hohhot", "150100"), ("huhehaote", "150100"), ("Urumqi", "650100"), ("wulumuqi", "650100"),
    ("Harbin", "230100"), ("Lhasa", "540100"), ("Kashgar", "653100"), ("Kashi", "653100"),
    ("Shigatse", "540200"), ("Xigaze", "540200"), ("Ordos", "150600"), ("Hulunbuir", "150700"),
    ("Lvliang", "141100"), ("Lüliang", "141100"), ("Lu'an", "341500"), ("luan", "341500"),
    ("Shenzhen City", "440300"), ("shen-zhen", "440300"), ("Hai Dong", "630200"),
    ("Enshi Tujia and Miao Autonomous Prefecture", "422800"), ("Xilingol League", "152500"),
    ("Hong Kong", "810000"), ("Hong Kong SAR", "810000"), ("Macau", "820000"),
    ("Macao", "820000"), ("Chongqing", "500000"), ("ＳＨＥＮＺＨＥＮ", "440300"),
])
def test_english_and_pinyin(value, adcode):
    assert_unit(value, adcode)


@pytest.mark.parametrize("value,adcode", [
    ("廣州", "440100"), ("臺灣", "710000"), ("烏魯木齊", "650100"), ("瀋陽市", "210100"),
    ("鄂爾多斯", "150600"), ("澳門", "820000"),
])
def test_traditional_characters(value, adcode):
    rec = assert_unit(value, adcode, "traditional")
    assert "traditional" in rec["note"]


def test_taiwan_cities_are_not_units():
    for value in ("臺北", "台北市", "Taipei", "高雄"):
        rec = one(value)
        assert (rec["status"], rec["method"]) == ("unmatched", "taiwan_city"), rec
        assert rec["suggestions"] == "台湾省 (710000)"


def test_full_width_and_whitespace_are_normalised():
    rec = assert_unit("深 圳 市", "440300", "name")
    assert "normalised" in rec["note"]
    assert_unit("\u3000深圳\u3000", "440300", "name_short")


# --- history ---------------------------------------------------------------------------


@pytest.mark.parametrize("value,adcode", [
    ("襄樊", "420600"), ("襄樊市", "420600"), ("Xiangfan", "420600"), ("思茅市", "530800"),
    ("毕节地区", "520500"), ("铜仁地区", "520600"), ("日喀则地区", "540200"),
    ("吐鲁番地区", "650400"), ("西沙群岛", "460300"),
])
def test_historical_names(value, adcode):
    rec = assert_unit(value, adcode, "historical_name", "historical")
    assert "->" not in rec["note"] and rec["note"]


def test_current_name_wins_over_a_historical_one():
    assert_unit("儋州市", "460400", "name")  # also the old county-level name
    assert_unit("毕节", "520500", "name_short")  # today's 毕节市, not "historical"


@pytest.mark.parametrize("value", ["巢湖市", "巢湖", 341400, "Chaohu"])
def test_dissolved_unit_is_never_guessed(value):
    rec = one(value)
    assert (rec["status"], rec["method"]) == ("unmatched", "dissolved"), rec
    assert pd.isna(rec["adcode"])
    assert "split" in rec["note"]
    assert rec["suggestions"] == "合肥市 (340100); 芜湖市 (340200); 马鞍山市 (340500)"


def test_merged_unit_and_units_without_boundary():
    rec = one("莱芜市")
    assert (rec["status"], rec["method"]) == ("unmatched", "merged")
    assert rec["suggestions"] == "济南市 (370100)"
    rec = one("新星市")
    assert (rec["status"], rec["method"]) == ("unmatched", "absent_unit")
    assert one(659012)["method"] == "absent_unit"


# --- county-level names -----------------------------------------------------------------


def county_table() -> pd.DataFrame:
    """Counties of data/counties.csv that are not units themselves, with the unit containing each."""
    c = counties()
    return c[c.adcode != c.unit_adcode]


@pytest.mark.parametrize("value,containing,lookalike", [
    ("甘南县", "230200", "623000"),  # 齐齐哈尔, not 甘南藏族自治州
    ("兴安县", "450300", "152200"),  # 桂林, not 兴安盟
    ("安达市", "231200", None),  # 绥化; a county-level city
    ("黔西市", "520500", None),  # 毕节; shares a prefix with 黔西南州
    ("恩施市", "422800", None),  # county-level city, seat of its prefecture
    ("临夏县", "622900", None),
    ("阿勒泰市", "654300", None),
    ("承德县", "130800", None),
])
def test_county_name_is_not_matched_but_points_to_its_city(value, containing, lookalike):
    rec = one(value)
    assert (rec["status"], rec["method"]) == ("county", "county_name"), rec
    assert pd.isna(rec["adcode"]) and pd.isna(rec["name"])
    assert rec["containing_city"] == containing
    units = gazetteer().set_index("adcode")
    city = units.loc[containing]
    assert rec["suggestions"] == f"{city['name']} ({containing}, {city['province']})"
    assert "not its city's value" in rec["note"]
    if lookalike is not None:
        assert f"not {units.loc[lookalike, 'name']} ({lookalike})" in rec["note"]


def test_every_county_name_is_a_county_or_ambiguous_never_a_city():
    c = county_table()
    c = c[~c.name.isin(["巢湖市"])]  # also the dissolved prefecture (test_dissolved_unit_is_never_guessed)
    report = match_names(list(c.name))
    assert set(report.method) == {"county_name"}
    assert report.adcode.isna().all()
    in_cities = c.groupby("name").unit_adcode.nunique()
    unique = c.name.map(in_cities).eq(1).to_numpy()
    assert (report.status[unique] == "county").all()
    assert (report.containing_city[unique].to_numpy() == c.unit_adcode[unique].to_numpy()).all()
    assert (report.status[~unique] == "ambiguous").all() and (~unique).sum() > 30
    assert report.containing_city[~unique].isna().all()


def test_every_county_with_its_province_finds_its_city():
    c = county_table()
    c = c[~c.name.isin(["巢湖市"])]
    g = gazetteer().set_index("adcode")
    report = match_names(list(c.name), list(g.loc[c.unit_adcode, "province"]))
    same = c.assign(p=g.loc[c.unit_adcode, "province"].to_numpy()).groupby(
        ["name", "p"]).unit_adcode.transform("nunique").eq(1).to_numpy()
    assert (report.status[same] == "county").all()
    assert (report.containing_city[same].to_numpy() == c.unit_adcode[same].to_numpy()).all()


def test_ambiguous_county_name_lists_every_containing_city_and_asks_for_a_province():
    c = county_table()
    expected = c[c.name == "城关区"].unit_adcode
    assert len(expected) >= 2
    rec = one("城关区")
    assert (rec["status"], rec["method"]) == ("ambiguous", "county_name")
    for code in expected:
        assert code in rec["suggestions"]
    assert rec["suggestions"].count("; ") == len(expected) - 1
    assert "西藏自治区" in rec["suggestions"] and "甘肃省" in rec["suggestions"]
    assert "province column" in rec["note"]
    rec = one("城关区", "甘肃")
    assert (rec["status"], rec["containing_city"]) == ("county", "620100")
    rec = one("朝阳区", "吉林省")
    assert (rec["status"], rec["containing_city"]) == ("county", "220100")


def test_county_name_with_a_contradicting_province_is_not_read_as_a_city():
    rec = one("甘南县", "甘肃")  # 甘南州 is in 甘肃, but 甘南县 is in 黑龙江
    assert (rec["status"], rec["method"]) == ("ambiguous", "county_name")
    assert pd.isna(rec["adcode"]) and "230200" in rec["suggestions"]
    assert "甘肃省" in rec["note"]


def test_county_name_forms():
    for value in ("黑龙江省安达市", "黑龙江安达市", "安達市"):
        rec = one(value)
        assert (rec["status"], rec["containing_city"]) == ("county", "231200"), rec
    # the city's own names still match the city
    assert_unit("甘南", "623000", "name_short")
    assert_unit("甘南州", "623000", "name_variant")
    assert_unit("兴安", "152200", "name_short")
    assert_unit("恩施州", "422800", "name_variant")


def test_refused_county_suggests_its_city_not_look_alikes():
    rec = one("安达市")
    assert rec["suggestions"] == "绥化市 (231200, 黑龙江省)"


# --- ambiguity and provinces -------------------------------------------------------------


@pytest.mark.parametrize("value,province,adcode", [
    ("Taizhou", "浙江", "331000"), ("Taizhou", "Jiangsu Province", "321200"),
    ("Suzhou", "江苏省", "320500"), ("Suzhou", "Anhui", "341300"),
    ("Fuzhou", "福建", "350100"), ("Fuzhou", "Jiangxi", "361000"),
    ("Yichun", "黑龙江省", "230700"), ("Yichun", "江西", "360900"),
    ("Yulin", "Guangxi Zhuang Autonomous Region", "450900"), ("Yulin", "Shaanxi", "610800"),
    ("吉林", "吉林省", "220200"), ("Jilin", "Jilin", "220200"),
    ("海南", "青海省", "632500"), ("Hainan", "Qinghai", "632500"),
])
def test_province_column_decides(value, province, adcode):
    rec = assert_unit(value, adcode, province=province)
    assert "resolved by province" in rec["note"]


@pytest.mark.parametrize("value,n_candidates", [
    ("Taizhou", 2), ("Suzhou", 2), ("Fuzhou", 2), ("Yichun", 2), ("Yulin", 2),
    ("吉林", 2), ("海南", 2), ("Jilin", 2), ("Hainan", 2),
])
def test_ambiguous_without_province(value, n_candidates):
    rec = one(value)
    assert rec["status"] == "ambiguous" and pd.isna(rec["adcode"])
    assert len(rec["suggestions"].split("; ")) == n_candidates


def test_explicit_city_suffix_is_not_the_province():
    assert_unit("吉林市", "220200", "name")
    assert_unit("Jilin City", "220200")
    assert_unit("海南州", "632500", "name_variant")
    assert one("海南市")["status"] == "ambiguous"  # no such city: 海南州 or the province?


def test_provinces_named_as_cities():
    for value in ("吉林省", "广东", "Inner Mongolia", "Tibet"):
        rec = one(value)
        assert (rec["status"], rec["method"]) == ("unmatched", "province_name"), rec
    rec = one("海南", "海南省")
    assert (rec["status"], rec["method"]) == ("unmatched", "province_name")
    assert_unit("北京", "110100")  # a municipality is a unit
    assert_unit("上海市", "310100", "name")


def test_province_contradicting_the_name_is_ambiguous():
    rec = one("苏州", "安徽")
    assert rec["status"] == "ambiguous" and "江苏省" in rec["note"]
    rec = one("440300", "湖北")
    assert rec["status"] == "ambiguous"


def test_province_spellings():
    for province in ("内蒙古", "内蒙古自治区", "Inner Mongolia", "Inner Mongolia Autonomous Region",
                     "Nei Mongol", "內蒙古"):
        assert_unit("包头", "150200", province=province)
    for province in ("广西", "广西壮族自治区", "Guangxi Zhuang Autonomous Region"):
        assert_unit("Yulin", "450900", province=province)
    assert_unit("Yulin", "610800", province="陕西")
    rec = one("Yulin", "Shanxi")  # 山西: neither 玉林 nor 榆林
    assert rec["status"] == "ambiguous"


def test_unrecognised_province_is_reported_not_silently_used():
    rec = assert_unit("深圳", "440300", province="Atlantis")
    assert "not recognised" in rec["note"]


# --- suggestions, report shape, no row dropped -------------------------------------------


def test_suggestions_for_typos():
    rec = one("郑洲")  # wrong character, same pinyin
    assert rec["status"] == "unmatched"
    assert rec["suggestions"].split("; ")[0] == "郑州市 (410100)"
    assert one("Shenzen")["suggestions"].split("; ")[0] == "深圳市 (440300)"


def test_report_has_one_row_per_input_row_same_index_and_order():
    table = pd.DataFrame(
        {"city": ["深圳", None, np.nan, "", "Taizhou", "深圳", "巢湖", 440300.0, "  "],
         "v": range(9)},
        index=[10, 11, 12, 13, 14, 15, 16, 17, 18],
    )
    before = table.copy()
    report = match(table, "city")
    pd.testing.assert_frame_equal(table, before)  # input untouched
    assert list(report.columns) == REPORT_COLUMNS
    assert list(report.index) == list(table.index)
    assert list(report.row) == list(range(2, 11))
    assert list(report.status) == ["matched", "unmatched", "unmatched", "unmatched", "ambiguous",
                                   "matched", "unmatched", "matched", "unmatched"]
    assert (report.loc[[11, 12, 13, 18], "method"] == "empty").all()
    assert report.loc[17, "input"] == "440300.0"
    assert set(report.status) <= set(match_module.STATUSES)


def test_each_distinct_value_is_resolved_once(monkeypatch):
    calls = []
    original = match_module._resolve

    def counting(idx, value, province):
        calls.append((value, province))
        return original(idx, value, province)

    monkeypatch.setattr(match_module, "_resolve", counting)
    panel = pd.DataFrame({"city": ["深圳", "广州"] * 50, "province": ["广东"] * 100})
    report = match(panel, "city", "province")
    assert len(report) == 100 and len(calls) == 2


def test_missing_columns_raise_input_error():
    with pytest.raises(InputError, match="city column '城市'.*columns: a"):
        match(pd.DataFrame({"a": [1]}), "城市")
    with pytest.raises(InputError, match="province column"):
        match(pd.DataFrame({"a": ["深圳"]}), "a", "省")


def test_match_names_rows_count_from_one():
    report = match_names(["深圳", "广州"])
    assert list(report.row) == [1, 2]
    with pytest.raises(InputError):
        match_names(["深圳"], ["广东", "广东"])


def test_every_unit_matches_its_own_names():
    from geodti.places.gazetteer import gazetteer

    g = gazetteer()
    ambiguous_short = {"吉林", "海南"}  # also province names
    homophones = {"yichun", "suzhou", "taizhou", "fuzhou", "yulin", "jilin", "hainan"}
    for values, skip in ((g.name, set()), (g.adcode, set()), (g.name_short, ambiguous_short)):
        report = match_names(list(values))
        keep = ~values.isin(skip).to_numpy()
        assert (report.adcode.to_numpy()[keep] == g.adcode.to_numpy()[keep]).all()
    en = match_names(list(g.name_en), list(g.province))
    assert (en.adcode.to_numpy() == g.adcode.to_numpy()).all()
    pinyin = match_names(list(g.name_pinyin))
    lower = g.name_pinyin.str.lower().str.replace("'", "")
    keep = ~lower.isin(homophones).to_numpy()
    assert (pinyin.adcode.to_numpy()[keep] == g.adcode.to_numpy()[keep]).all()


# --- CLI ------------------------------------------------------------------------------


def write_csv(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_cli_exit_codes_and_report(tmp_path, capsys):
    good = write_csv(tmp_path / "good.csv", "城市,value\n深圳,1\n襄樊,2\n廣州,3\n")
    out = tmp_path / "report.csv"
    assert cli.main(["match", good, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "城市" in printed and "historical" in printed
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    report = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert list(report.columns) == REPORT_COLUMNS
    assert list(report.adcode) == ["440300", "420600", "440100"]

    bad = write_csv(tmp_path / "bad.csv", "city,province\n深圳,广东\nTaizhou,\n巢湖,\n")
    assert cli.main(["match", bad]) == 1
    printed = capsys.readouterr().out
    assert "Taizhou" in printed and "巢湖" in printed and "--province-column province" in printed
    assert cli.main(["match", bad, "--allow-unmatched"]) == 0
    assert cli.main(["match", bad, "--city-column", "city", "--province-column", "province",
                     "--allow-unmatched", "--out", str(out)]) == 0
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == 3


def test_cli_gbk_input_and_code_column(tmp_path):
    path = write_csv(tmp_path / "gbk.csv", "行政区划代码,城市名称\n440300,深圳市\n522400,毕节地区\n",
                     encoding="gbk")
    out = tmp_path / "r.csv"
    assert cli.main(["match", path, "--city-column", "行政区划代码", "--out", str(out)]) == 0
    report = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert list(report.adcode) == ["440300", "520500"]  # codes kept as text, no float


def test_cli_unreadable_input_exits_2(tmp_path, capsys):
    assert cli.main(["match", str(tmp_path / "missing.csv")]) == 2
    assert "not found" in capsys.readouterr().err
    no_city = write_csv(tmp_path / "x.csv", "a,b\n1,2\n")
    assert cli.main(["match", no_city]) == 2
    assert "['a', 'b']" in capsys.readouterr().err  # the columns are listed
    assert cli.main(["match", no_city, "--city-column", "nope"]) == 2
    garbage = tmp_path / "x.xlsx"
    garbage.write_bytes(b"not a zip file")
    assert cli.main(["match", str(garbage)]) == 2


def test_cli_reads_xlsx(tmp_path):
    path = tmp_path / "cities.xlsx"
    pd.DataFrame({"name": ["Hohhot", "恩施州", "Taizhou"], "province": ["", "", "浙江"]}).to_excel(
        path, index=False)
    out = tmp_path / "r.csv"
    assert cli.main(["match", str(path), "--province-column", "province", "--out", str(out)]) == 0
    report = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert list(report.adcode) == ["150100", "422800", "331000"]
    assert list(report.row) == ["2", "3", "4"]


def test_cli_counts_counties_and_names_their_cities(tmp_path, capsys):
    path = write_csv(tmp_path / "c.csv", "城市,value\n深圳,1\n甘南县,2\n安达市,3\n")
    out = tmp_path / "r.csv"
    assert cli.main(["match", path, "--out", str(out)]) == 1  # a county is not a city
    printed = capsys.readouterr().out
    county_line = next(line for line in printed.splitlines() if "│ county" in line)
    assert county_line.split("│")[2].strip() == "2"
    assert "齐齐哈尔市" in printed and "绥化市" in printed
    assert "淮安市" not in printed  # no look-alike suggestions for a county
    report = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert pd.isna(report.containing_city[0])
    assert report.containing_city.tolist()[1:] == ["230200", "231200"]
    assert cli.main(["match", path, "--allow-unmatched"]) == 0


@pytest.mark.parametrize("command", [["run"], ["summary"], ["diffusion"], ["export"], ["stats"]])
def test_commands_reading_a_panel_take_allow_county(command):
    args = cli.build_parser().parse_args(command + ["t.csv", "--allow-county"])
    assert args.allow_county is True


def test_cli_match_report_neutralises_formula_labels(tmp_path, capsys):
    table = write_csv(tmp_path / "t.csv", '城市,value\n深圳,1\n"=HYPERLINK(""http://x"",""y"")",2\n')
    out = tmp_path / "report.csv"
    cli.main(["match", table, "--allow-unmatched", "--out", str(out)])
    report = pd.read_csv(out, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert report["input"].tolist() == ["深圳", "'=HYPERLINK(\"http://x\",\"y\")"]


@pytest.mark.parametrize("value, city", [
    ("Gannan County", "230200"),                       # not 甘南州: "County" is never dropped
    ("Changyang Tujia Autonomous County", "420500"),   # 长阳土家族自治县, 宜昌市 (长 read chang)
    ("Haidian District", "110100"),
    ("Anda City", "231200"),                           # no city is called Anda: 安达市, 绥化市
    ("Anda", "231200"),
    ("安达", "231200"),                                # the Chinese name without its suffix
    ("黑龙江安达", "231200"),
])
def test_county_names_in_english_pinyin_or_without_suffix_point_to_their_city(value, city):
    rec = one(value)
    assert (rec["status"], rec["containing_city"]) == ("county", city), rec
    assert pd.isna(rec["adcode"])


def test_english_county_names_shared_by_several_cities_are_ambiguous():
    # 朝阳区 (北京, 长春) and 潮阳区 (汕头) all read Chaoyang District; 朝阳市 is not a district
    rec = one("Chaoyang District")
    assert rec["status"] == "ambiguous" and pd.isna(rec["adcode"])
    assert all(c in rec["suggestions"] for c in ("110100", "220100", "440500"))
    assert one("Chaoyang")["adcode"] == "211300"  # the city itself still matches
    assert one("Gannan")["adcode"] == "623000"
