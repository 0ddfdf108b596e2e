"""geodti.io.read: reading city tables and reshaping them. Fixtures are written by the tests."""

import datetime as dt
import hashlib
import warnings

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geodti import cli
from geodti.errors import InputError, InputWarning
from geodti.io.read import (
    _decode,
    check_duplicates,
    detect_layout,
    read_long,
    read_table,
    summarize,
    to_long,
)

NINE_QUARTERS = [f"{y}Q{q}" for y in (2021, 2022) for q in (1, 2, 3, 4)] + ["2023Q1"]


def write_text(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path, sheets):
    """``sheets``: {name: [(cell, value), ...]}; the first is the first sheet."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, cells in sheets.items():
        sheet = book.create_sheet(name)
        for ref, value in cells:
            sheet[ref] = value
    book.save(path)
    return path


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def message(info):
    return str(info.value)


# ---------------------------------------------------------------- encodings

CHINESE_TABLE = (
    "城市,省份,2021年一季度,2021年二季度\n"
    "恩施土家族苗族自治州,湖北省,12.5,13.1\n"
    "鄂尔多斯市,内蒙古自治区,20.25,21\n"
    "呼和浩特市,内蒙古自治区,18,19.5\n"
)


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("gb18030", "gbk")],
)
def test_encodings_with_real_chinese_text(tmp_path, encoding, reported):
    path = write_text(tmp_path / "dti.csv", CHINESE_TABLE, encoding)
    table = read_table(path)
    assert table.attrs["encoding"] == reported  # GB18030 bytes of GBK text are GBK bytes
    assert list(table.columns) == ["城市", "省份", "2021年一季度", "2021年二季度"]
    assert list(table["城市"]) == ["恩施土家族苗族自治州", "鄂尔多斯市", "呼和浩特市"]
    assert list(table["省份"]) == ["湖北省", "内蒙古自治区", "内蒙古自治区"]


def test_gb18030_only_characters(tmp_path):
    text = "城市,省份,备注\n深圳市,广东省,䶮\n广州市,广东省,广东省会城市\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    table = read_table(write_text(tmp_path / "t.csv", text, "gb18030"))
    assert table.attrs["encoding"] == "gb18030"
    assert table.loc[2, "备注"] == "䶮"


# City names that charset-normalizer 3.x alone takes for Big5, CP949 or UTF-16 when they
# are the only Chinese text of a GBK file.
SHORT_GBK_NAMES = ["深圳", "广州市", "厦门", "鄂尔多斯", "呼和浩特", "亳州市", "儋州市", "衢州市",
                   "漯河市", "濮阳市", "黔东南苗族侗族自治州", "阿坝藏族羌族自治州", "澳门特别行政区"]


@pytest.mark.parametrize("name", SHORT_GBK_NAMES)
def test_short_gbk_files(tmp_path, name):
    path = write_text(tmp_path / "one.csv", f"city,dti\n{name},1.5\n", "gbk")
    table = read_table(path)
    assert table.attrs["encoding"] == "gbk"
    assert table.loc[2, "city"] == name


def test_utf16_with_bom_tab_separated(tmp_path):
    # Excel's "Unicode text" export: UTF-16 with a byte-order mark, tab separated
    path = write_text(tmp_path / "t.txt", "城市\t2022\n武汉市\t7.5\n", "utf-16")
    table = read_table(path)
    assert table.attrs["encoding"] == "utf-16" and table.attrs["delimiter"] == "\t"
    assert table.loc[2, "城市"] == "武汉市"


def test_explicit_encoding(tmp_path):
    text = "城市,2022\n臺北市,1\n"
    path = write_text(tmp_path / "big5.csv", text, "big5")
    assert read_table(path, encoding="big5").loc[2, "城市"] == "臺北市"
    gbk = write_text(tmp_path / "gbk.csv", "city,2022\n深圳,1\n", "gbk")
    with pytest.raises(InputError) as info:
        read_table(gbk, encoding="utf-8")
    assert "gbk.csv" in message(info) and "line 2" in message(info) and "utf-8" in message(info)
    with pytest.raises(InputError, match="unknown encoding"):
        read_table(gbk, encoding="no-such-codec")
    bom = write_text(tmp_path / "bom.csv", "城市,2022\n深圳,1\n", "utf-8-sig")
    assert list(read_table(bom, encoding="utf-8").columns) == ["城市", "2022"]


def test_undetectable_encoding_is_refused(tmp_path):
    import random

    path = tmp_path / "noise.csv"
    path.write_bytes(random.Random(0).randbytes(400))
    with pytest.raises(InputError) as info:
        read_table(path)
    assert "noise.csv" in message(info) and "UTF-8" in message(info) and "encoding" in message(info)


def test_decode_prefers_strict_utf8():
    text = "city\n深圳\n"
    assert _decode(text.encode("utf-8"), "x", None) == (text, "utf-8")


# ---------------------------------------------------------------- delimiters, rows

@pytest.mark.parametrize(("delimiter", "suffix"), [(";", ".csv"), ("\t", ".csv"), ("\t", ".tsv"), ("|", ".txt")])
def test_delimiters(tmp_path, delimiter, suffix):
    rows = [["城市", "period", "dti"], ["深圳", "2021Q1", "1,5" if delimiter == ";" else "1.5"],
            ["广州", "2021Q1", "2"]]
    path = write_text(tmp_path / f"t{suffix}", "\n".join(delimiter.join(r) for r in rows) + "\n")
    table = read_table(path)
    assert table.attrs["delimiter"] == delimiter
    assert list(table.columns) == ["城市", "period", "dti"]


def test_title_rows_blank_lines_and_row_numbers(tmp_path):
    text = (
        "2023年各市数字化转型指数\n"  # row 1: a title
        "\n"  # row 2: blank
        "城市,省份,2021Q1,2021Q2,\n"  # row 3: header, trailing delimiter
        "深圳市,广东省,1.5,1.6,\n"  # row 4
        ",,,,\n"  # row 5: blank row of delimiters
        "广州市,广东省,1.2,1.3,\n"  # row 6
    )
    table = read_table(write_text(tmp_path / "t.csv", text))
    assert table.attrs["header_row"] == 3
    assert table.attrs["skipped_rows"] == [(1, "2023年各市数字化转型指数")]
    assert list(table.columns) == ["城市", "省份", "2021Q1", "2021Q2"]  # blank column dropped
    assert list(table.index) == [4, 6]
    long = to_long(table, city_column="城市")
    assert list(long["source_row"]) == [4, 4, 6, 6]


def test_footnotes_below_the_table_are_skipped_and_reported(tmp_path):
    text = (
        "城市,2021Q1\n深圳市,1.5\n珠海市,\n"  # 珠海市 has no value: kept
        "注：本表为合成数据。\n数据来源: 测试\n"
    )
    table = read_table(write_text(tmp_path / "n.csv", text))
    assert list(table["城市"]) == ["深圳市", "珠海市"]
    assert table.attrs["skipped_rows"] == [(4, "注：本表为合成数据。"), (5, "数据来源: 测试")]


def test_header_row_option(tmp_path):
    text = "单位：点,说明\n城市,2022\n深圳,3\n"
    table = read_table(write_text(tmp_path / "t.csv", text), header_row=2)
    assert list(table.columns) == ["城市", "2022"] and list(table.index) == [3]
    with pytest.raises(InputError, match="header_row=9"):
        read_table(tmp_path / "t.csv", header_row=9)


def test_blank_header_with_data_gets_a_letter_name(tmp_path):
    table = read_table(write_text(tmp_path / "t.csv", "城市,,2022\n深圳,x,3\n"))
    assert list(table.columns) == ["城市", "column_B", "2022"]


def test_multiline_quoted_cell_counts_as_one_row(tmp_path):
    text = 'city,note,2022\n深圳,"two\nlines",1\n广州,,2\n'
    table = read_table(write_text(tmp_path / "t.csv", text))
    assert list(table.index) == [2, 3]
    assert table.loc[2, "note"] == "two\nlines"


# ---------------------------------------------------------------- XLSX

def test_xlsx_first_sheet_by_default_name_and_index(tmp_path):
    path = write_xlsx(
        tmp_path / "t.xlsx",
        {
            "说明": [("A1", "项目"), ("B1", "内容"), ("A2", "数据"), ("B2", "合成 (synthetic)")],
            "指数": [("A1", "城市"), ("B1", "2021Q1"), ("A2", "深圳市"), ("B2", 80.5)],
        },
    )
    assert read_table(path).attrs["sheet"] == "说明"
    by_name = read_table(path, sheet="指数")
    by_index = read_table(path, sheet=1)
    assert by_name.attrs["sheet"] == by_index.attrs["sheet"] == "指数"
    assert by_name.loc[2, "城市"] == by_index.loc[2, "城市"] == "深圳市"
    assert by_name.loc[2, "2021Q1"] == "80.5"


def test_xlsx_unknown_sheet_lists_names(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"Sheet A": [("A1", "x")], "数据": [("A1", "y"), ("A2", "1")]})
    with pytest.raises(InputError) as info:
        read_table(path, sheet="Data")
    assert "t.xlsx" in message(info) and "'Data'" in message(info)
    assert "['Sheet A', '数据']" in message(info)
    with pytest.raises(InputError, match="no sheet number 5"):
        read_table(path, sheet=5)
    assert read_table(path, sheet="1").attrs["sheet"] == "数据"  # a number typed on the command line


def test_xlsx_cells_keep_identifiers_and_dates(tmp_path):
    path = write_xlsx(
        tmp_path / "t.xlsx",
        {
            "data": [
                ("B2", "指数表"),  # a title in row 2, table from row 3, column B
                ("B3", "adcode"), ("C3", "城市"), ("D3", "日期"), ("E3", "dti"), ("F3", "区号"),
                ("B4", 440300), ("C4", "深圳市"), ("D4", dt.datetime(2021, 3, 31)), ("E4", 1234.5), ("F4", "0755"),
                ("B5", 110100.0), ("C5", "北京市"), ("D5", dt.datetime(2021, 6, 30)), ("E5", 99), ("F5", "010"),
            ]
        },
    )
    table = read_table(path)
    assert table.attrs["header_row"] == 3 and list(table.index) == [4, 5]
    assert list(table["adcode"]) == ["440300", "110100"]  # 110100.0 is not "110100.0"
    assert list(table["日期"]) == ["2021-03-31", "2021-06-30"]
    long = to_long(table)
    assert list(long["period"]) == ["2021Q1", "2021Q2"]
    assert list(long["dti"]) == [1234.5, 99.0]
    assert list(long["adcode"]) == ["440300", "110100"] and list(long["区号"]) == ["0755", "010"]
    assert long.attrs["value_columns"] == ["dti"]


def test_xlsx_empty_sheet_and_bad_workbook(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"空": []})
    with pytest.raises(InputError, match="sheet '空' is empty"):
        read_table(path)
    fake = write_text(tmp_path / "old.xlsx", "not a zip")
    with pytest.raises(InputError) as info:
        read_table(fake)
    assert "old.xlsx" in message(info) and "save it as .xlsx" in message(info)


# ---------------------------------------------------------------- Parquet

def test_parquet_typed_columns(tmp_path):
    frame = pd.DataFrame(
        {"city": ["深圳市", "广州市"], "adcode": ["440300", "440100"], "2021Q1": [1.5, 2.0],
         "2021Q2": [1.7, np.nan]}
    )
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    table = read_table(path)
    assert table.attrs["format"] == "parquet" and list(table.index) == [2, 3]
    assert table["2021Q1"].dtype == float
    long = to_long(table, city_column="city")
    assert list(long["period"]) == ["2021Q1", "2021Q2"] * 2
    assert long["value"].isna().tolist() == [False, False, False, True]
    assert list(long["adcode"]) == ["440300"] * 2 + ["440100"] * 2


def test_parquet_stored_index_becomes_a_column(tmp_path):
    frame = pd.DataFrame({"2022": [1.0, 2.0]}, index=pd.Index(["深圳", "广州"], name="城市"))
    frame.to_parquet(tmp_path / "t.parquet")
    table = read_table(tmp_path / "t.parquet")
    assert list(table.columns) == ["城市", "2022"]


# ---------------------------------------------------------------- files

def test_input_files_are_never_modified(tmp_path):
    csv_path = write_text(tmp_path / "t.csv", CHINESE_TABLE, "gbk")
    xlsx_path = write_xlsx(tmp_path / "t.xlsx", {"s": [("A1", "城市"), ("B1", "2022"), ("A2", "深圳"), ("B2", 1)]})
    parquet_path = tmp_path / "t.parquet"
    pd.DataFrame({"城市": ["深圳"], "2022": [1.0]}).to_parquet(parquet_path)
    for path in (csv_path, xlsx_path, parquet_path):
        before = (sha256(path), path.stat().st_mtime_ns, sorted(p.name for p in tmp_path.iterdir()))
        read_long(path, city_column="城市")
        after = (sha256(path), path.stat().st_mtime_ns, sorted(p.name for p in tmp_path.iterdir()))
        assert before == after


def test_unknown_extension_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError) as info:
        read_table(write_text(tmp_path / "t.json", "{}"))
    assert "t.json" in message(info) and ".csv" in message(info) and ".xlsx" in message(info)
    with pytest.raises(InputError, match="save it as .xlsx or CSV UTF-8"):
        read_table(write_text(tmp_path / "t.xls", "x"))
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(InputError, match="folder"):
        read_table(tmp_path / "dir.csv")
    with pytest.raises(InputError, match="sheet="):
        read_table(write_text(tmp_path / "a.csv", "a,b\n1,2\n"), sheet="x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "file is empty"), ("\n \n", "file is empty"), ("城市,2022\n", "no data rows"),
     (",,\n,,\n", "table is empty")],
)
def test_empty_files(tmp_path, text, expected):
    with pytest.raises(InputError) as info:
        read_table(write_text(tmp_path / "e.csv", text))
    assert "e.csv" in message(info) and expected in message(info)


def test_empty_parquet(tmp_path):
    pd.DataFrame({"城市": pd.Series([], dtype=str)}).to_parquet(tmp_path / "e.parquet")
    with pytest.raises(InputError, match="e.parquet.*no rows"):
        read_table(tmp_path / "e.parquet")


def test_duplicate_headers(tmp_path):
    with pytest.raises(InputError) as info:
        read_table(write_text(tmp_path / "d.csv", "城市,2021Q1,2021Q1\n深圳,1,2\n"))
    assert "d.csv" in message(info) and "'2021Q1' in columns B, C" in message(info)


def test_broken_quoting_names_the_line(tmp_path):
    text = 'city,2022\n深圳,1\n"广州,2\n佛山,3\n'
    with pytest.raises(InputError) as info:
        read_table(write_text(tmp_path / "q.csv", text))
    assert "q.csv" in message(info) and "line 3" in message(info) and "never closed" in message(info)


# ---------------------------------------------------------------- layouts

def test_long_layout(tmp_path):
    text = (
        "序号,城市,省份,季度,dti,备注\n"
        "1,深圳市,广东省,2021Q1,80.5,\n"
        "2,深圳市,广东省,2021年二季度,81,\n"
        "3,北京市,北京市,2021-03-31,90.25,首都\n"
    )
    long = read_long(write_text(tmp_path / "l.csv", text), province_column="省份")
    assert list(long.columns) == ["source_row", "city", "province", "period", "period_type", "dti", "序号", "备注"]
    assert list(long["period"]) == ["2021Q1", "2021Q2", "2021Q1"]
    assert list(long["period_type"]) == ["quarter"] * 3
    assert list(long["dti"]) == [80.5, 81.0, 90.25]
    assert list(long["source_row"]) == [2, 3, 4]
    assert list(long["序号"]) == ["1", "2", "3"]  # an identifier, not a value
    assert long.attrs["layout"] == "long" and long.attrs["period_column"] == "季度"


def test_wide_layout_quarters(tmp_path):
    header = "城市," + ",".join(NINE_QUARTERS)
    rows = [f"深圳市,{','.join(str(60 + i) for i in range(9))}", f"广州市,{','.join(str(50 + i) for i in range(9))}"]
    long = read_long(write_text(tmp_path / "w.csv", "\n".join([header, *rows]) + "\n"), value_name="dti")
    assert long.attrs["layout"] == "wide"
    assert list(long.columns) == ["source_row", "city", "period", "period_type", "dti"]
    assert len(long) == 18
    shenzhen = long[long["city"] == "深圳市"]
    assert list(shenzhen["period"]) == NINE_QUARTERS
    assert list(shenzhen["dti"]) == [60.0 + i for i in range(9)]
    assert set(shenzhen["source_row"]) == {2}


def test_wide_layout_chinese_headers_out_of_order(tmp_path):
    text = "地区,2022年第一季度,2021年四季度,2021年三季度\n武汉市,3,2,1\n"
    long = read_long(write_text(tmp_path / "w.csv", text))
    assert list(long["period"]) == ["2021Q3", "2021Q4", "2022Q1"]  # chronological
    assert list(long["value"]) == [1.0, 2.0, 3.0]


def test_annual_and_quarterly_marked_and_mixed_cities_flagged():
    table = pd.DataFrame(
        {"city": ["深圳", "深圳", "广州", "广州"], "period": ["2021", "2021Q1", "2021", "2022"],
         "dti": [1, 2, 3, 4]}
    )
    with pytest.warns(InputWarning, match="1 city has both quarterly and annual"):
        long = to_long(table)
    assert list(long["period_type"]) == ["annual", "quarter", "annual", "annual"]
    assert long.attrs["mixed_period_cities"] == ["深圳"]


def test_no_warning_when_period_types_are_not_mixed():
    table = pd.DataFrame({"city": ["深圳", "广州"], "2021": [1, 2], "2022": [3, 4]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        long = to_long(table)  # integer headers from a user DataFrame
    assert list(long["period_type"].unique()) == ["annual"]
    assert list(long["source_row"]) == [2, 2, 3, 3]  # position + row_offset


def test_year_and_quarter_columns_are_combined():
    table = pd.DataFrame(
        {"城市": ["深圳", "深圳", "深圳", "深圳"], "年份": ["2021", "2021", "2022", "2022"],
         "季度": ["一季度", "Q2", "1", None], "指数": ["1", "2", "3", "4"]}
    )
    with pytest.warns(InputWarning):  # 2022 (annual) next to 2021Q1 (quarter)
        long = to_long(table)
    assert long.attrs["period_column"] == ("年份", "季度")
    assert list(long["period"]) == ["2021Q1", "2021Q2", "2022Q1", "2022"]
    assert list(long["period_type"]) == ["quarter", "quarter", "quarter", "annual"]
    table = table.rename(columns={"年份": "yr", "季度": "q"})  # headers not recognised
    with pytest.warns(InputWarning):
        named = to_long(table, city_column="城市", period_column="yr, q")
    assert list(named["period"]) == list(long["period"])


def test_single_period_table_and_forced_layouts():
    table = pd.DataFrame({"城市": ["深圳", "广州"], "dti": ["1", "2"]})
    long = to_long(table, period="2023年一季度")
    assert list(long["period"]) == ["2023Q1", "2023Q1"]
    wide = pd.DataFrame({"city": ["深圳"], "date": ["x"], "2021Q1": ["1"]})
    assert to_long(wide, layout="wide").attrs["layout"] == "wide"
    with pytest.raises(InputError, match="no period information"):
        to_long(pd.DataFrame({"city": ["深圳"], "2021Q1": ["1"]}), layout="long")


def test_periods_kept_as_text_are_not_floats(tmp_path):
    text = "city,month,dti\n深圳,2021.10,1\n深圳,2021.01,2\n"
    long = read_long(write_text(tmp_path / "m.csv", text), period_column="month")
    assert list(long["period"]) == ["2021Q4", "2021Q1"]


def test_numbers_forms():
    table = pd.DataFrame(
        {"city": list("abcdefghij"), "period": ["2022"] * 10,
         "v": ["1,234.5", "１２３", "−2.5", "-", "—", "NA", "", "1e3", "+7", "…"]}
    )
    long = to_long(table)
    expected = [1234.5, 123.0, -2.5, np.nan, np.nan, np.nan, np.nan, 1000.0, 7.0, np.nan]
    np.testing.assert_array_equal(long["v"].to_numpy(), expected)


def test_percent_column_is_read_as_fractions():
    table = pd.DataFrame({"city": ["a", "b", "c"], "period": ["2022"] * 3, "growth": ["12.5%", "-3%", ""]})
    np.testing.assert_allclose(to_long(table)["growth"].to_numpy(), [0.125, -0.03, np.nan])


def test_percent_rule_holds_across_the_periods_of_a_wide_table():
    table = pd.DataFrame({"city": ["a", "b"], "2021Q1": ["12%", "5%"], "2021Q2": ["12", "6"]})
    with pytest.raises(InputError, match=r"row 2, column '2021Q2': '12' is a plain number"):
        to_long(table)
    table["2021Q2"] = ["12%", "6%"]
    np.testing.assert_allclose(to_long(table)["value"].to_numpy(), [0.12, 0.12, 0.05, 0.06])


def test_excel_number_header_that_lost_its_zero(tmp_path):
    # "2021.10" typed into Excel becomes the number 2021.1: refused, with the reason
    path = write_xlsx(tmp_path / "t.xlsx", {"s": [("A1", "城市"), ("B1", "2021.09"), ("C1", 2021.1),
                                                  ("A2", "深圳"), ("B2", 1), ("C2", 2)]})
    with pytest.raises(InputError, match=r"'2021.1' \(it is ambiguous"):
        read_long(path)


def test_detect_layout_reports_roles():
    table = pd.DataFrame({"城市": ["深圳"], "adcode": ["440300"], "2021Q1": ["1"], "2021Q2": ["2"]})
    found = detect_layout(table)
    assert found.layout == "wide" and found.city_column == "城市"
    assert found.period_headers == {"2021Q1": "2021Q1", "2021Q2": "2021Q2"}
    assert found.label_columns == ("adcode",)


# ---------------------------------------------------------------- reader errors

def test_missing_city_column_lists_columns(tmp_path):
    path = write_text(tmp_path / "c.csv", "name_cn,2022\n深圳,1\n")
    with pytest.raises(InputError) as info:
        read_long(path, city_column="城市")
    text = message(info)
    assert "c.csv" in text and "'城市'" in text and "['name_cn', '2022']" in text and "--city-column" in text


def test_full_width_comma_hint(tmp_path):
    path = write_text(tmp_path / "fw.csv", "城市，2022\n深圳，1\n")
    with pytest.raises(InputError, match="full-width commas"):
        read_long(path)


def test_ambiguous_or_undetectable_city_column():
    with pytest.raises(InputError, match="several columns could be the city"):
        to_long(pd.DataFrame({"city": ["a"], "城市": ["深圳"], "2022": ["1"]}))
    with pytest.raises(InputError, match="no column header looks like the city"):
        to_long(pd.DataFrame({"x": ["a"], "2022": ["1"]}))
    # a weak hint (地区 may be a region) gives way to a clear one
    table = pd.DataFrame({"地区": ["东部"], "城市": ["深圳"], "2022": ["1"]})
    assert detect_layout(table).city_column == "城市"
    assert detect_layout(table[["地区", "2022"]]).city_column == "地区"


def test_no_period_information(tmp_path):
    path = write_text(tmp_path / "p.csv", "城市,dti\n深圳,1\n")
    with pytest.raises(InputError) as info:
        read_long(path)
    text = message(info)
    assert "p.csv" in text and "no period information" in text and "['城市', 'dti']" in text
    assert "period=" in text


def test_ambiguous_period_columns():
    table = pd.DataFrame({"city": ["a"], "date": ["2021-01-01"], "period": ["2021Q1"], "v": ["1"]})
    with pytest.raises(InputError, match=r"several columns could hold the period: \['date', 'period'\]"):
        to_long(table)
    assert list(to_long(table, period_column="period", value_columns=["v"])["period"]) == ["2021Q1"]


def test_unknown_period_format_lists_rows_and_values(tmp_path):
    text = "city,period,dti\n深圳,2021Q1,1\n深圳,2021H1,2\n广州,2021Q1,3\n广州,21Q2,4\n"
    with pytest.raises(InputError) as info:
        read_long(write_text(tmp_path / "f.csv", text))
    text = message(info)
    assert "f.csv" in text and "column 'period'" in text and "2 rows" in text
    assert "row 3: '2021H1'" in text and "row 5: '21Q2'" in text
    assert "Accepted period forms" in text


def test_quarter_without_year_hint():
    table = pd.DataFrame({"city": ["a", "b"], "季度": ["一季度", "二季度"], "v": ["1", "2"]})
    with pytest.raises(InputError, match="quarters without a year"):
        to_long(table)


def test_blank_period_and_blank_city():
    with pytest.raises(InputError, match=r"period cell \(column 'period'\) is blank in rows 3"):
        to_long(pd.DataFrame({"city": ["a", "b"], "period": ["2021Q1", " "], "v": ["1", "2"]}))
    with pytest.raises(InputError, match=r"city cell \(column 'city'\) is blank in rows 2"):
        to_long(pd.DataFrame({"city": [None, "b"], "period": ["2021Q1", "2021Q1"], "v": ["1", "2"]}))


@pytest.mark.parametrize(
    ("cell", "reason"),
    [("12..3", "not a number"), ("1,5", "decimal comma"), ("12万", "万/亿"),
     ("#DIV/0!", "Excel error value"), ("abc", "not a number")],
)
def test_non_numeric_value_names_row_column_value(tmp_path, cell, reason):
    text = f"城市,2021Q1,2021Q2\n深圳,1,2\n广州,3,\"{cell}\"\n"
    with pytest.raises(InputError) as info:
        read_long(write_text(tmp_path / "v.csv", text))
    text = message(info)
    assert "v.csv" in text and f"row 3, column '2021Q2': {cell!r}" in text and reason in text


def test_mixed_percentages_are_refused():
    table = pd.DataFrame({"city": ["a", "b"], "period": ["2022"] * 2, "g": ["12%", "0.5"]})
    with pytest.raises(InputError, match=r"row 3, column 'g': '0.5' is a plain number"):
        to_long(table)


def test_duplicate_city_period_long_names_both_rows(tmp_path):
    text = "city,period,dti\n深圳,2021Q1,1\n广州,2021Q1,2\n 深圳 ,2021年一季度,3\n"
    with pytest.raises(InputError) as info:
        read_long(write_text(tmp_path / "dup.csv", text))
    text = message(info)
    assert "dup.csv" in text and "'深圳' 2021Q1 in rows 2, 4" in text
    assert "written '2021Q1', '2021年一季度'" in text


def test_duplicate_city_in_wide_table_and_months_of_one_quarter(tmp_path):
    text = "城市,2021Q1,2021Q2\n深圳,1,2\n广州,3,4\n深圳,5,6\n"
    with pytest.raises(InputError, match=r"'深圳' 2021Q1, 2021Q2 in rows 2, 4"):
        read_long(write_text(tmp_path / "w.csv", text))
    months = pd.DataFrame({"city": ["深圳", "深圳"], "month": ["2021-01", "2021-02"], "v": [1, 2]})
    # two months of one quarter: a monthly table (no flag needed) unless told it is quarterly
    assert list(to_long(months, period_column="month")["period"]) == ["2021M01", "2021M02"]
    with pytest.raises(InputError, match="aggregate months"):
        to_long(months, period_column="month", frequency="quarter")


def test_same_name_in_two_provinces_is_not_a_duplicate():
    table = pd.DataFrame(
        {"city": ["朝阳", "朝阳"], "province": ["辽宁省", "北京市"], "period": ["2022", "2022"], "v": [1, 2]}
    )
    assert len(to_long(table, province_column="province")) == 2
    with pytest.raises(InputError, match="'province' looks like a province: pass it as province_column"):
        to_long(table)


def test_two_headers_for_one_period_and_suspicious_headers():
    with pytest.raises(InputError, match="all mean 2021Q1"):
        to_long(pd.DataFrame({"city": ["a"], "2021Q1": ["1"], "2021年一季度": ["2"]}))
    table = pd.DataFrame({"city": ["a"], "2021Q1": ["1"], "2021H2": ["2"]})
    with pytest.raises(InputError, match=r"'2021H2' \(it is not a recognised form\) look like periods"):
        to_long(table)
    assert list(to_long(table, value_columns=["2021Q1"])["period"]) == ["2021Q1"]


def test_check_duplicates_after_matching():
    long = pd.DataFrame(
        {"source_row": [2, 3], "city": ["深圳", "深圳市"], "adcode": ["440300", "440300"],
         "period": ["2021Q1", "2021Q1"]}
    )
    check_duplicates(long, keys=["city", "period"])  # different names: fine here
    with pytest.raises(InputError, match="'440300' 2021Q1 in rows 2, 3"):
        check_duplicates(long, keys=["adcode", "period"], source="t.csv")


def test_summarize(tmp_path):
    header = "城市," + ",".join(NINE_QUARTERS)
    body = "深圳市," + ",".join(["1"] * 8 + [""])
    info = summarize(read_long(write_text(tmp_path / "w.csv", f"{header}\n{body}\n", "gbk")))
    assert info["layout"] == "wide" and info["encoding"] == "gbk"
    assert info["periods"] == NINE_QUARTERS and info["rows"] == 9 and info["cities"] == 1
    assert info["missing"] == {"value": 1}
    assert info["period_types"] == {"quarter": 9, "annual": 0}


# ---------------------------------------------------------------- CLI

def test_cli_read_prints_layout(tmp_path, capsys):
    header = "城市,省份," + ",".join(NINE_QUARTERS)
    path = write_text(tmp_path / "w.csv", f"{header}\n深圳市,广东省,{','.join(['1'] * 9)}\n", "gbk")
    assert cli.main(["read", str(path), "--province-column", "省份"]) == 0
    out = capsys.readouterr().out
    assert "encoding gbk" in out and "layout: wide" in out and "province column: 省份" in out
    assert "periods: 9 (2021Q1, 2021Q2" in out


def test_cli_read_bad_input_exits_2(tmp_path, capsys):
    path = write_text(tmp_path / "bad.csv", "城市,2021Q1\n深圳,abc\n")
    assert cli.main(["read", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "row 2, column '2021Q1': 'abc'" in err
