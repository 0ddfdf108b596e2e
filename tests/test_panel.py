import hashlib

import pandas as pd
import pytest

import geodti
from geodti.errors import InputError, MatchError
from geodti.io.panel import read_panel, read_panel_with_report
from geodti.schema import PanelSchema, schema_of

SAMPLE = "data/sample/dti_sample_small_SYNTHETIC.csv"


def test_sample_reads_keyed_by_adcode_and_period():
    panel, report = read_panel_with_report(SAMPLE)
    assert len(panel) == 20  # no row dropped
    assert not panel.duplicated(["adcode", "period"]).any()
    assert panel["adcode"].str.fullmatch(r"\d{6}").all()
    # the homophone "Suzhou" is decided by its province column (Anhui -> 宿州)
    assert set(panel.loc[panel.city_input == "Suzhou", "name"]) == {"宿州市"}
    assert set(panel.loc[panel.city_input == "320500", "name"]) == {"苏州市"}
    assert schema_of(panel) == PanelSchema(value_columns=("dti",), frequency="quarter")
    assert len(report) == 20 and list(report.row) == list(range(2, 22))
    assert set(panel.attrs) == {"source"}  # metadata is the schema's; nothing for pandas to copy


def test_public_names_are_exported():
    assert geodti.read_panel is read_panel
    assert geodti.read_panel_with_report is read_panel_with_report


def test_unmatched_rows_stop_the_read_with_the_report(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("city,period,dti\n深圳,2023Q1,1\nGotham,2023Q1,2\nTaizhou,2023Q1,3\n", encoding="utf-8")
    with pytest.raises(MatchError) as err:
        read_panel(path)
    message = str(err.value)
    assert "Gotham" in message and "Taizhou" in message and "row 3" in message
    assert list(err.value.report["status"]) == ["matched", "unmatched", "ambiguous"]


def test_allow_unmatched_keeps_every_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("city,period,dti\n深圳,2023Q1,1\nGotham,2023Q1,2\n", encoding="utf-8")
    panel = read_panel(path, allow_unmatched=True)
    assert len(panel) == 2
    gotham = panel[panel.city_input == "Gotham"].iloc[0]
    assert pd.isna(gotham.adcode) and gotham.match_status == "unmatched" and gotham.source_row == 3


def test_two_spellings_of_one_city_in_one_period_are_a_duplicate(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("city,period,dti\n深圳,2023Q1,1\n深圳市,2023Q1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"rows 2.*3|rows 2, 3"):
        read_panel(path)


def test_wide_gbk_table_and_input_unchanged(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes("城市,2022年四季度,2023年第1季度\n广州市,3.1,3.0\n恩施州,0.18,0.19\n".encode("gbk"))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    panel = read_panel(path, value_name="dti")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(panel.period.unique()) == ["2022Q4", "2023Q1"]
    assert panel.loc[(panel.adcode == "440100") & (panel.period == "2023Q1"), "dti"].item() == 3.0


RAW = "data/sample/dti_raw_long_SYNTHETIC.csv"


def test_raw_indicators_read_into_one_column_each():
    panel, report = geodti.read_indicators_with_report(RAW)
    raw = pd.read_csv(RAW, dtype={"adcode": str})
    assert schema_of(panel).value_columns == tuple(dict.fromkeys(raw["indicator"]))
    assert len(panel) == raw.groupby(["adcode", "period"]).ngroups == len(report)
    wide = raw.pivot(index=["adcode", "period"], columns="indicator", values="value")
    got = panel.set_index(["adcode", "period"])[wide.columns]
    pd.testing.assert_frame_equal(got.sort_index(), wide.sort_index(), check_names=False)
    # source_row: the file row of the first indicator of each city and period
    first = raw.reset_index().groupby(["adcode", "period"])["index"].min() + 2
    assert (panel.set_index(["adcode", "period"])["source_row"] == first).all()


def test_raw_indicators_errors_name_rows_and_columns(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("city,period,indicator,value\n深圳,2023Q1,cloud,1\n深圳,2023Q1,cloud,2\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"rows 2, 3 repeat a city, period and indicator"):
        geodti.read_indicators_with_report(path)
    path.write_text("city,period,indicator,value\n深圳,2023Q1,,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"rows 2 have no 'indicator'"):
        geodti.read_indicators_with_report(path)
    path.write_text("city,period,dti\n深圳,2023Q1,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"need the columns 'indicator' and 'value'.*missing"):
        geodti.read_indicators_with_report(path)


# --- county-level names -------------------------------------------------------------------


def test_county_rows_are_refused_naming_rows_and_containing_cities(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("city,period,dti\n深圳,2023Q1,1\n甘南县,2023Q1,2\n兴安县,2023Q1,3\n",
                    encoding="utf-8")
    with pytest.raises(MatchError) as err:
        read_panel(path)
    message = str(err.value)
    assert "row 3 '甘南县' (in 齐齐哈尔市 (230200" in message
    assert "row 4 '兴安县' (in 桂林市 (450300" in message
    assert "--allow-county" in message and "not its city's value" in message
    assert list(err.value.report["status"]) == ["matched", "county", "county"]
    assert list(err.value.report["containing_city"].iloc[1:]) == ["230200", "450300"]


def test_a_county_code_is_refused_like_a_county_name(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("adcode,period,dti\n440305,2023Q1,1\n440100,2023Q1,2\n", encoding="utf-8")
    with pytest.raises(MatchError, match=r"row 2 '440305' \(in 深圳市 \(440300"):
        read_panel(path)
    panel = read_panel(path, allow_county=True)
    assert panel.set_index("adcode").loc["440300", "match_status"] == "county"


def test_allow_county_maps_to_the_containing_city_and_says_so(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("city,period,dti\n深圳,2023Q1,1\n甘南县,2023Q1,2\n安达市,2023Q1,3\n",
                    encoding="utf-8")
    panel, report = read_panel_with_report(path, allow_county=True)
    by_input = panel.set_index("city_input")
    assert by_input.loc["甘南县", ["adcode", "name", "match_status"]].tolist() == [
        "230200", "齐齐哈尔市", "county"]
    assert by_input.loc["安达市", ["adcode", "name", "match_status"]].tolist() == [
        "231200", "绥化市", "county"]
    assert by_input.loc["甘南县", "dti"] == 2  # the value is the row's, not summed or scaled
    assert report["adcode"].isna().sum() == 2  # the match report itself does not match counties
    # allowing unmatched rows alone does not map counties: they stay unplaced, not dropped
    kept = read_panel(path, allow_unmatched=True)
    assert len(kept) == 3 and kept["adcode"].isna().sum() == 2
    assert set(kept.loc[kept.adcode.isna(), "match_status"]) == {"county"}


def test_allowed_counties_of_one_city_in_one_period_are_a_duplicate(tmp_path):
    path = tmp_path / "t.csv"
    # 甘南县 and 龙江县 both lie in 齐齐哈尔市; a county and its own city clash the same way
    path.write_text("city,period,dti\n甘南县,2023Q1,1\n龙江县,2023Q1,2\n甘南县,2023Q2,3\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"'230200' 2023Q1 in rows 2, 3.*--allow-county"):
        read_panel(path, allow_county=True)
    path.write_text("city,period,dti\n齐齐哈尔,2023Q1,1\n甘南县,2023Q1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"'230200' 2023Q1 in rows 2, 3"):
        read_panel(path, allow_county=True)
    path.write_text("city,period,dti\n甘南县,2023Q1,1\n龙江县,2023Q2,2\n", encoding="utf-8")
    assert len(read_panel(path, allow_county=True)) == 2  # one county per city and period


def test_ambiguous_county_name_is_not_mapped_even_when_counties_are_allowed(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("city,period,dti\n城关区,2023Q1,1\n", encoding="utf-8")
    with pytest.raises(MatchError, match=r"城关区.*ambiguous.*拉萨市.*兰州市"):
        read_panel(path, allow_county=True)
    path.write_text("city,province,period,dti\n城关区,甘肃,2023Q1,1\n", encoding="utf-8")
    panel = read_panel(path, allow_county=True)
    assert panel[["adcode", "match_status"]].values.tolist() == [["620100", "county"]]


def test_a_groups_table_refuses_a_county_name(tmp_path):
    from geodti.io.groups import read_groups

    path = tmp_path / "tiers.csv"
    path.write_text("city,tier\n深圳,1\n甘南县,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 3 '甘南县' \(county\)"):
        read_groups(path)


def test_schema_is_derived_from_the_columns_not_attrs():
    panel = read_panel("sample:small")
    kept = panel[panel["period"] == panel["period"].iloc[0]]
    kept.attrs = {}  # an operation that drops attrs loses nothing
    assert schema_of(kept).value_columns == ("dti",)
    assert schema_of(kept.assign(has_data=True, note="x")).value_columns == ("dti",)
    annual = pd.DataFrame({"adcode": ["110000"] * 2, "period": ["2021", "2021Q1"], "v": [1.0, 2.0]})
    assert schema_of(annual).frequency == "mixed"
    assert schema_of(annual.iloc[:1]).frequency == "annual"
    stated = schema_of(panel, source="dti.csv", units={"dti": "index points"})
    assert (stated.source, stated.units, stated.level) == ("dti.csv", {"dti": "index points"}, "city")


def test_a_value_column_with_a_reserved_name_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("city,period,dti,lat\n北京,2021Q1,1.0,39.9\n上海,2021Q1,2.0,31.2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"\['lat'\].*reserves"):
        read_panel(path, value_columns=["dti", "lat"])
