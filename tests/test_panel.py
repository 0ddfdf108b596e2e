import hashlib

import pandas as pd
import pytest

import geodti
from geodti.errors import InputError, MatchError
from geodti.io.panel import read_panel, read_panel_with_report

SAMPLE = "data/sample/dti_sample_small_SYNTHETIC.csv"


def test_sample_reads_keyed_by_adcode_and_period():
    panel, report = read_panel_with_report(SAMPLE)
    assert len(panel) == 20  # no row dropped
    assert not panel.duplicated(["adcode", "period"]).any()
    assert panel["adcode"].str.fullmatch(r"\d{6}").all()
    # the homophone "Suzhou" is decided by its province column (Anhui -> 宿州)
    assert set(panel.loc[panel.city_input == "Suzhou", "name"]) == {"宿州市"}
    assert set(panel.loc[panel.city_input == "320500", "name"]) == {"苏州市"}
    assert panel.attrs["value_columns"] == ["dti"]
    assert len(report) == 20 and list(report.row) == list(range(2, 22))
    assert set(panel.attrs) == {"source", "value_columns"}  # nothing heavy for pandas to copy


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
    assert panel.attrs["value_columns"] == list(dict.fromkeys(raw["indicator"]))
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
