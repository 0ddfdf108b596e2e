"""Tables at province, city and county level: detection, matching, joining, weights,
aggregation up, crosswalk of merged units, subsets and the level samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely import Point

import geodti
from geodti import cli
from geodti.bundled import boundaries_dir
from geodti.errors import InputError, MatchError, MethodError
from geodti.index.aggregate import aggregate_up
from geodti.schema import schema_of
from geodti.places import boundaries, levels
from geodti.places.gazetteer import counties, gazetteer
from geodti.places.match import detect_level, match
from geodti.schema import schema_of



def write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- units of each level -----------------------------------------------------------------


def test_units_of_each_level_match_the_bundled_tables():
    gaz = gazetteer()
    province = levels.units("province")
    assert sorted(province["adcode"]) == sorted(gaz["province_adcode"].unique())
    assert province["adcode"].str.fullmatch(r"\d{2}0000").all()
    # one NBS region per province: every city of a province has the province's region
    by_city = gaz.dropna(subset=["region"]).groupby("province_adcode")["region"].nunique()
    assert (by_city == 1).all()
    county = levels.units("county")
    assert len(county) == len(counties()) and county["adcode"].is_unique
    assert set(county["city_adcode"]) <= set(gaz["adcode"])
    # a province's point lies inside its polygon, and its Hu-line side is the geo helper's
    shapes = boundaries.provinces("map").set_index("adcode")
    inside = [shapes.loc[r.adcode, "geometry"].contains(Point(r.lon, r.lat))
              for r in province.itertuples()]
    assert all(inside)


def test_hu_line_side_is_the_gazetteers():
    from geodti.geo import hu_line_side

    gaz = gazetteer()
    assert (hu_line_side(gaz["lon"], gaz["lat"]) == gaz["hu_line"].to_numpy()).all()


def test_unknown_level_is_refused():
    with pytest.raises(InputError, match="unknown level 'town'"):
        levels.units("town")


# --- province and county matching ---------------------------------------------------------


def test_province_names_codes_and_english_match_one_province():
    forms = ["广东", "广东省", "Guangdong", "guangdong province", "44", "440000", 44, "內蒙古",
             "Inner Mongolia", "内蒙古自治区", "新疆维吾尔自治区", "Xinjiang", "北京市", "北京",
             "Shaanxi", "陕西"]
    report = match(pd.DataFrame({"p": forms}), "p", level="province")
    assert report["status"].eq("matched").all(), report[report.status != "matched"]
    codes = dict(zip(forms, report["adcode"]))
    assert codes["广东"] == codes["Guangdong"] == codes["44"] == codes[44] == "440000"
    assert codes["內蒙古"] == codes["Inner Mongolia"] == "150000"
    assert codes["Shaanxi"] == codes["陕西"] == "610000"
    assert report.set_index("input").loc["北京", "name"] == "北京市"


def test_a_city_at_province_level_is_unmatched_with_a_note():
    report = match(pd.DataFrame({"p": ["深圳", "440300"]}), "p", level="province")
    assert report["status"].eq("unmatched").all()
    assert "not of a province" in report["note"].iloc[1]


def test_county_names_decided_by_province_or_city_and_codes():
    table = pd.DataFrame({
        "county": ["南山区", "南山区", "城关区", "深圳市南山区", "440305", "东莞市", "甘南县", "Anda City"],
        "province": ["广东", "", "甘肃", "", "", "", "", ""],
        "city": ["", "鹤岗", "", "", "", "", "", ""]})
    report = match(table, "county", "province", level="county", parent_column="city")
    got = report[["adcode", "status", "containing_city"]].to_numpy().tolist()
    assert got[0] == ["440305", "matched", "440300"]      # by the province
    assert got[1][1:] == ["matched", "230400"]             # by the city: 鹤岗's 南山区
    assert got[2] == ["620102", "matched", "620100"]
    assert got[3][:2] == ["440305", "matched"]              # a leading city name
    assert got[4][:2] == ["440305", "matched"]              # the code
    assert got[5] == ["441900", "matched", "441900"]       # a city without counties is one
    assert got[6][2] == "230200" and got[7][2] == "231200"
    # without a province or city, a shared name is ambiguous and lists the candidates
    alone = match(pd.DataFrame({"c": ["南山区"]}), "c", level="county").iloc[0]
    assert alone["status"] == "ambiguous" and "深圳市" in alone["suggestions"]


def test_old_county_codes_point_to_the_crosswalk(tmp_path):
    # 371202 was 莱芜's 莱城区 before 莱芜 merged into 济南 (now 370116)
    path = write(tmp_path, "adcode,year,gdp\n440305,2018,1\n440306,2018,2\n371202,2018,3\n"
                           "440307,2018,4\n440308,2018,5\n")
    with pytest.raises(MatchError) as err:
        geodti.read_panel(path)
    assert "crosswalk" in str(err.value)
    note = err.value.report.set_index("input").loc["371202", "note"]
    assert "former 莱芜市" in note and "crosswalk" in note


# --- level detection ---------------------------------------------------------------------


def test_the_level_is_detected_from_names_and_codes(tmp_path):
    province = write(tmp_path, "省份,year,x\n广东,2020,1\n江苏,2020,2\n北京,2020,3\n吉林,2020,4\n",
                     "p.csv")
    panel, report = geodti.read_panel_with_report(province)
    assert schema_of(panel).level == "province"
    # 北京 and 吉林 fit two levels; the province names decide, so they are the provinces
    assert dict(zip(report["input"], report["adcode"])) == {
        "广东": "440000", "江苏": "320000", "北京": "110000", "吉林": "220000"}
    county = write(tmp_path, "county,year,x\n南山区,2020,1\n海淀区,2020,2\n安达市,2020,3\n", "c.csv")
    assert schema_of(geodti.read_panel(county, allow_unmatched=True)).level == "county"
    assert schema_of(geodti.read_panel("sample:small")).level == "city"


def test_names_fitting_two_levels_ask_for_the_level_naming_rows(tmp_path):
    path = write(tmp_path, "name,year,x\n北京,2020,1\n上海,2020,2\n吉林,2020,3\n")
    with pytest.raises(InputError, match=r"--level.*") as err:
        geodti.read_panel(path)
    # 北京 and 上海 are the same territory at both levels: only 吉林 is in question
    assert "rows 4 '吉林'" in str(err.value) and "北京" not in str(err.value)
    # said: 吉林 is the city at city level, the province at province level
    as_city = geodti.read_panel(path, level="city")
    assert as_city.set_index("city_input").loc["吉林", "adcode"] == "220200"
    as_province = geodti.read_panel(path, level="province")
    assert as_province.set_index("city_input").loc["吉林", "adcode"] == "220000"


def test_a_table_of_municipalities_only_is_read_at_city_level(tmp_path):
    # the province 北京 is the city 北京 (one territory): nothing to ask; a city table of
    # municipalities has always been read as cities
    path = write(tmp_path, "name,year,x\n北京,2020,1\n上海,2020,2\n")
    panel = geodti.read_panel(path)
    assert sorted(panel["adcode"].unique()) == ["110100", "310100"]
    assert schema_of(panel).level == "city"


def test_a_table_mixing_levels_is_refused_with_rows_per_level(tmp_path):
    path = write(tmp_path, "name,year,x\n广东,2020,1\n深圳,2020,2\n南山区,2020,3\n江苏,2020,4\n")
    with pytest.raises(InputError) as err:
        geodti.read_panel(path)
    text = str(err.value)
    assert "province rows 2 '广东', 5 '江苏'" in text
    assert "city rows 3 '深圳'" in text and "county rows 4 '南山区'" in text


def test_detect_level_alone_and_its_cli(tmp_path, capsys):
    table = pd.DataFrame({"c": ["Guangdong", "Zhejiang", "Hunan"]})
    assert detect_level(table, "c") == "province"
    path = write(tmp_path, "province,x\n广东,1\n浙江,2\n")
    assert cli.main(["match", str(path)]) == 0
    assert "level: province (detected)" in capsys.readouterr().out


# --- aggregation up ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def city_panel():
    return geodti.read_panel("sample:panel")


def test_sum_to_provinces_equals_the_sum_of_the_cities(city_panel):
    made = aggregate_up(city_panel, "province", how="sum", variables=["dti", "platform"])
    assert made.panel["complete"].all() and made.missing.empty
    gaz = gazetteer().set_index("adcode")["province_adcode"]
    expected = (city_panel.assign(p=city_panel["adcode"].map(gaz))
                .groupby(["p", "period"])[["dti", "platform"]].sum())
    got = made.panel.set_index(["adcode", "period"])[["dti", "platform"]]
    pd.testing.assert_frame_equal(got.sort_index(), expected.rename_axis(["adcode", "period"]).sort_index())


def test_intensive_variables_take_a_plain_or_weighted_mean(city_panel):
    at = city_panel[city_panel["period"] == "2023Q1"]
    made = aggregate_up(at, "region", how={"dti": "weighted_mean"}, weight="platform",
                        variables=["dti"]).panel.set_index("region")
    east = at[at["adcode"].map(gazetteer().set_index("adcode")["region"]) == "东部"]
    assert made.loc["东部", "dti"] == pytest.approx(np.average(east["dti"], weights=east["platform"]))
    assert made.loc["东部", "platform"] == pytest.approx(east["platform"].sum())
    plain = aggregate_up(at, "region", how="mean", variables=["dti"]).panel.set_index("region")
    assert plain.loc["东部", "dti"] == pytest.approx(east["dti"].mean())
    with pytest.raises(MethodError, match="weight column"):
        aggregate_up(at, "region", how="weighted_mean", variables=["dti"])
    with pytest.raises(MethodError, match="cannot be aggregated to 'city'"):
        aggregate_up(at, "city")


def test_units_with_missing_smaller_units_are_reported_not_partly_summed(city_panel):
    lacking = city_panel[~((city_panel["adcode"] == "440300") & (city_panel["period"] == "2023Q1"))]
    made = aggregate_up(lacking, "province", how="sum", variables=["dti"])
    guangdong = made.panel.set_index(["adcode", "period"]).loc[("440000", "2023Q1")]
    assert np.isnan(guangdong["dti"]) and not guangdong["complete"]
    assert guangdong["n_units"] - guangdong["n_with_data"] == 1
    assert made.missing[["province", "period", "adcode", "reason"]].values.tolist() == [
        ["440000", "2023Q1", "440300", "no row"]]
    kept = aggregate_up(lacking, "province", how="sum", variables=["dti"], incomplete="keep")
    value = kept.panel.set_index(["adcode", "period"]).loc[("440000", "2023Q1"), "dti"]
    expected = lacking[(lacking.period == "2023Q1") & lacking.adcode.str.startswith("44")]["dti"].sum()
    assert value == pytest.approx(expected)


def test_counties_add_up_to_cities_and_provinces_consistently():
    county = geodti.read_panel("sample:county")
    assert schema_of(county).level == "county" and schema_of(county).frequency == "annual"
    direct = aggregate_up(county, "province", how="sum", variables=["gdp"]).panel
    cities = aggregate_up(county, "city", how="sum", variables=["gdp"]).panel
    via = aggregate_up(cities[["adcode", "period", "gdp"]], "province", how="sum").panel
    merged = direct.merge(via, on=["adcode", "period"], suffixes=("", "_via"))
    assert len(merged) == len(direct) and np.allclose(merged["gdp"], merged["gdp_via"])


def test_cli_aggregate_writes_the_table_and_reports_missing_units(tmp_path, capsys):
    out = tmp_path / "provinces.csv"
    src = tmp_path / "cities.csv"
    panel = geodti.read_panel("sample:panel")
    panel[panel["adcode"] != "440300"][["adcode", "period", "dti"]].to_csv(src, index=False)
    assert cli.main(["aggregate", str(src), "--to", "province", "--how", "sum",
                            "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "440300" in printed.out + printed.err
    written = pd.read_csv(out, dtype={"adcode": str}, encoding="utf-8-sig")
    assert len(written) == 31 * 9 and written.loc[written.adcode == "440000", "dti"].isna().all()


# --- crosswalk of merged units ------------------------------------------------------------

CROSSWALK = "city,year,gdp,pop\n济南,2017,7000,700\n莱芜,2017,1000,130\n济南,2019,9400,880\n" \
            "莱芜,2016,900,129\n"


def test_merged_units_are_unmatched_unless_a_crosswalk_is_declared(tmp_path):
    path = write(tmp_path, CROSSWALK)
    with pytest.raises(MatchError, match="--crosswalk sum"):
        geodti.read_panel(path)
    panel, report = geodti.read_panel_with_report(path, crosswalk="sum", allow_unmatched=True)
    jinan = panel.set_index(["adcode", "period"]).loc[("370100", "2017")]
    assert jinan["gdp"] == 7000 + 1000 and jinan["pop"] == 700 + 130
    treated = report[report["method"] == "crosswalk_sum"]
    assert treated["row"].tolist() == [3] and treated["status"].tolist() == ["historical"]
    assert "added to 济南市 (370100) row 2" in treated["note"].iloc[0]
    assert "row 3 '莱芜' added" in report.set_index("row").loc[2, "note"]
    # 2016: no 济南 row to add to, so the 莱芜 row stays visible and unplaced
    alone = report.set_index("row").loc[5]
    assert alone["status"] == "unmatched" and "no row of its own in 2016" in alone["note"]
    assert panel["adcode"].isna().sum() == 1


def test_crosswalk_weighted_mean_uses_the_weight_column(tmp_path):
    path = write(tmp_path, "city,year,score,pop\n济南,2017,60,700\n莱芜,2017,40,130\n")
    panel = geodti.read_panel(path, crosswalk="weighted_mean", crosswalk_weight="pop")
    row = panel.iloc[0]
    assert row["score"] == pytest.approx((60 * 700 + 40 * 130) / 830) and row["pop"] == 830
    with pytest.raises(InputError, match="weight column"):
        geodti.read_panel(path, crosswalk="weighted_mean")


# --- crosswalk of a unit split over several successors (巢湖, 2011) ---------------------------

# MADE-UP values and shares, for the test only: not 巢湖's real figures or territory shares
SPLIT = "city,year,gdp,pop\n巢湖,2010,800,460\n合肥,2010,2700,570\n芜湖,2010,1100,230\n" \
        "马鞍山,2010,900,130\n巢湖市,2009,700,455\n合肥,2009,2400,560\n"
SHARES = "old_adcode,new_name,share\n341400,合肥,0.5\n341400,芜湖市,0.3\n341400,340500,0.2\n"


def test_split_unit_is_spread_over_its_successors_by_the_shares(tmp_path):
    path, shares = write(tmp_path, SPLIT), write(tmp_path, SHARES, "shares.csv")
    panel, report = geodti.read_panel_with_report(path, crosswalk="sum", crosswalk_shares=shares,
                                                  allow_unmatched=True)
    raw = pd.read_csv(path, dtype={"year": str})
    in_2010 = panel[panel["period"] == "2010"].set_index("adcode")
    # totals preserved: the three successors' 2010 rows hold the four input rows' sum
    for v in ("gdp", "pop"):
        assert in_2010[v].sum() == pytest.approx(raw.loc[raw["year"] == "2010", v].sum())
    chaohu = raw.iloc[0]
    for code, city, share in [("340100", "合肥", 0.5), ("340200", "芜湖", 0.3),
                              ("340500", "马鞍山", 0.2)]:
        own = raw[(raw["city"] == city) & (raw["year"] == "2010")].iloc[0]
        for v in ("gdp", "pop"):
            assert in_2010.loc[code, v] == pytest.approx(own[v] + share * chaohu[v])
    by_row = report.set_index("row")
    assert (by_row.loc[2, "status"], by_row.loc[2, "method"]) == ("historical", "crosswalk_split_sum")
    assert "合肥市 (340100) row 3 share 0.5" in by_row.loc[2, "note"]
    assert "马鞍山市 (340500) row 5 share 0.2" in by_row.loc[2, "note"]
    assert "share 0.3 of row 2 '巢湖' added" in by_row.loc[4, "note"]
    # 2009: no 芜湖 or 马鞍山 row to add to, so the 巢湖市 row stays visible and unplaced
    assert by_row.loc[6, "status"] == "unmatched" and "no row of its own in 2009" in by_row.loc[6, "note"]
    assert panel["adcode"].isna().sum() == 1
    assert panel.loc[panel["adcode"] == "340100"].set_index("period").loc["2009", "gdp"] == 2400


def test_split_and_merged_units_in_one_table(tmp_path):
    # made-up values: 莱芜 folds into 济南, 巢湖 is split; the rows stay aligned with the report
    path = write(tmp_path, "city,year,gdp\n济南,2010,7000\n莱芜,2010,1000\n巢湖,2010,800\n"
                           "合肥,2010,2700\n芜湖,2010,1100\n马鞍山,2010,900\n莱芜,2009,5\n")
    shares = write(tmp_path, SHARES, "shares.csv")
    panel, report = geodti.read_panel_with_report(path, crosswalk="sum", crosswalk_shares=shares,
                                                  allow_unmatched=True)
    gdp = panel.dropna(subset=["adcode"]).set_index("adcode")["gdp"]
    assert gdp.to_dict() == {"340100": 3100, "340200": 1340, "340500": 1060, "370100": 8000}
    assert report["method"].tolist()[:3] == ["name_short", "crosswalk_sum", "crosswalk_split_sum"]
    assert panel.loc[panel["adcode"].isna(), "city_input"].tolist() == ["莱芜"]


def test_split_unit_without_shares_points_to_the_shares_table(tmp_path):
    path = write(tmp_path, SPLIT)
    with pytest.raises(MatchError, match="--crosswalk-shares") as err:
        geodti.read_panel(path, crosswalk="sum")
    assert "crosswalk_shares_TEMPLATE.csv" in str(err.value)
    report = err.value.report.set_index("row")
    assert report.loc[2, "status"] == "unmatched" and "--crosswalk-shares" in report.loc[2, "note"]


@pytest.mark.parametrize("shares, message", [
    ("old_adcode,new_name,share\n341400,合肥,0.5\n341400,芜湖,0.3\n341400,马鞍山,0.25\n",
     r"rows 2, 3, 4 sum to 1.05"),
    ("old_adcode,new_name,share\n341400,合肥,0.5\n341400,芜湖,0.3\n341400,铜陵,0.2\n",
     r"row 4: new_name '铜陵' is not one successor"),
    ("old_adcode,new_name,share\n341400,合肥,0.5\n341400,芜湖,\n341400,马鞍山,0.5\n",
     r"row 3: share '' of 芜湖市"),
    ("old_adcode,new_name,share\n370100,济南,1\n", r"row 2: old_adcode '370100' is not"),
    ("old_name,new_name,share\n巢湖,合肥,0.5\n巢湖,合肥,0.5\n", r"rows 2, 3 give one successor"),
    ("old,new,share\n341400,合肥,1\n", r"needs the columns"),
])
def test_bad_shares_are_refused_naming_the_rows(tmp_path, shares, message):
    path, shares = write(tmp_path, SPLIT), write(tmp_path, shares, "shares.csv")
    with pytest.raises(InputError, match=message):
        geodti.read_panel(path, crosswalk="sum", crosswalk_shares=shares)


def test_shares_need_the_sum_crosswalk_and_the_template_has_no_shares(tmp_path):
    path, shares = write(tmp_path, SPLIT), write(tmp_path, SHARES, "shares.csv")
    with pytest.raises(InputError, match="weighted_mean cannot split"):
        geodti.read_panel(path, crosswalk="weighted_mean", crosswalk_weight="pop",
                          crosswalk_shares=shares)
    with pytest.raises(InputError, match="need --crosswalk sum"):
        geodti.read_panel(path, crosswalk_shares=shares)
    from geodti.bundled import data_dir

    template = pd.read_csv(data_dir() / "templates" / "crosswalk_shares_TEMPLATE.csv", dtype=str)
    assert set(template["old_adcode"]) == {"341400"} and template["share"].isna().all()
    with pytest.raises(InputError, match="not a number from 0 to 1"):
        geodti.read_panel(path, crosswalk="sum", crosswalk_shares=template)


def test_cli_crosswalk_shares_flag(tmp_path, capsys):
    path, shares = write(tmp_path, SPLIT), write(tmp_path, SHARES, "shares.csv")
    out = tmp_path / "provinces.csv"
    common = ["aggregate", str(path), "--to", "province", "--how", "sum", "--out", str(out)]
    assert cli.main(common + ["--crosswalk", "sum"]) == 1  # no shares: 巢湖 unmatched
    assert "--crosswalk-shares FILE" in capsys.readouterr().err
    assert cli.main(common + ["--crosswalk", "weighted_mean", "--crosswalk-weight", "pop",
                              "--crosswalk-shares", str(shares)]) == 2
    assert "weighted_mean cannot split" in capsys.readouterr().err
    assert cli.main(common + ["--crosswalk", "sum", "--crosswalk-shares", str(shares),
                              "--allow-unmatched"]) == 0
    assert out.exists()


# --- join, weights and summaries at province level -----------------------------------------


@pytest.fixture(scope="module")
def province_panel():
    return geodti.read_panel("sample:province")


def test_the_province_sample_is_the_city_sample_summed(province_panel, city_panel):
    assert schema_of(province_panel).level == "province"
    made = aggregate_up(city_panel, "province", how="sum",
                        variables=["dti", "infrastructure", "platform", "application"]).panel
    both = province_panel.merge(made, on=["adcode", "period"], suffixes=("", "_sum"))
    assert len(both) == len(province_panel) == 31 * 9
    assert np.allclose(both["dti"], both["dti_sum"], atol=1e-6)


def test_join_and_statistics_at_province_level(province_panel):
    from geodti.spatial.pipeline import spatial_tables

    joined = geodti.join(province_panel, periods="2023Q1")
    assert len(joined) == 34 and int(joined["has_data"].sum()) == 31
    assert set(joined["adcode"]) == set(levels.units("province")["adcode"])
    tables = spatial_tables(province_panel, ["queen"], variables=["dti"], periods=["2023Q1"],
                            permutations=99, seed=1, on_budget="ignore")
    weights = tables["weights"].iloc[0]
    assert weights["units"] == 31
    # 海南 has no land neighbour: the island policy attaches it and says so
    assert weights["island_units"] == "460000" and "海南省" in weights["notes"]
    lisa = tables["local"][tables["local"]["statistic"] == "lisa"]
    assert set(lisa["adcode"]) == set(province_panel["adcode"])


def test_run_summaries_and_layers_at_province_level(province_panel):
    from geodti.io.layer_builder import RunLayerInputs, build_run_layers
    from geodti.run.steps import compute_summaries

    tables, findings = compute_summaries(province_panel, "dti", None, None)
    assert "province_ranks" in tables and "agglomerations" not in tables
    ranks = tables["province_ranks"]
    assert len(ranks) == 31 and ranks["name"].notna().all()
    layers = build_run_layers(RunLayerInputs(panel=province_panel, variable="dti",
                                             level="province"))
    assert list(layers)[0] == "provinces" and "cities" not in layers
    assert len(layers["provinces"]) == 34


# --- subsets ------------------------------------------------------------------------------


def test_weights_on_a_subset_of_cities_report_islands(city_panel):
    from geodti.spatial.pipeline import spatial_tables

    # a 284-unit subset (the size of the prefecture-level city panels of many papers)
    gaz = gazetteer()
    keep = gaz[gaz["unit_type"].eq("prefecture_level_city")]["adcode"].head(284)
    subset = city_panel[city_panel["adcode"].isin(set(keep))]
    assert subset["adcode"].nunique() == 284
    tables = spatial_tables(subset, ["queen"], variables=["dti"], periods=["2023Q1"],
                            permutations=99, seed=1, on_budget="ignore")
    weights = tables["weights"].iloc[0]
    assert weights["units"] == 284 and weights["components"] == 1
    # the units cut off by the missing ones are islands before the policy, attached after
    assert weights["islands_before"] >= 1 and weights["attached_links"] >= 1


def test_one_provinces_counties_get_weights_on_the_units_present():
    from geodti.spatial.pipeline import spatial_tables

    county = geodti.read_panel("sample:county")
    zhejiang = county[county["adcode"].str.startswith("33") & (county["period"] == "2021")]
    tables = spatial_tables(zhejiang, ["queen"], variables=["gdp"], permutations=99, seed=1,
                            on_budget="ignore")
    assert tables["weights"].iloc[0]["units"] == zhejiang["adcode"].nunique()


def test_a_county_panel_joins_to_the_county_layer():
    county = geodti.read_panel("sample:county")
    joined = geodti.join(county, periods="2021")
    layer = boundaries.layer("county", "map")
    assert set(joined["adcode"]) == set(layer["adcode"]) & set(levels.units("county")["adcode"])


def test_the_level_samples_are_what_their_generator_writes():
    import importlib.util

    from geodti.bundled import data_dir

    spec = importlib.util.spec_from_file_location(
        "generate_levels", data_dir() / "sample" / "generate_levels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, data in module.generate().items():
        assert (data_dir() / "sample" / name).read_bytes() == data, name
        assert "SYNTHETIC" in name
