"""Table writers: round trips, Excel-friendly CSV, stable XLSX bytes, Markdown."""

import csv
import io
import time
import zipfile

import numpy as np
import pandas as pd
import pytest

from geodti.errors import InputError
from geodti.io.tables import (
    FORMULA_STARTS, P_VALUE_FORMAT, PERCENT_FORMAT, format_for_display, neutralise_formula,
    number_format, sheet_names, text_width, to_markdown, to_xlsx_bytes, write_table, write_tables,
)


def _table():
    return pd.DataFrame({
        "adcode": ["110000", "440300", "654000"],
        "name": ["北京市", "深圳市", "伊犁哈萨克自治州"],
        "share": [0.1234567890123, np.nan, 1 / 3],
        "rank": pd.array([1, None, 3], dtype="Int64"),
        "note": ["a|b", "", "line"],
    })


def test_csv_round_trip_with_bom(tmp_path):
    t = _table()
    path = write_table(t, tmp_path / "t.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" not in data
    back = pd.read_csv(path, encoding="utf-8-sig", dtype={"adcode": str, "note": str},
                       keep_default_na=False, na_values=[""])
    assert back["adcode"].tolist() == t["adcode"].tolist()
    assert back["name"].tolist() == t["name"].tolist()
    assert back["share"].iloc[0] == t["share"].iloc[0]          # full precision
    assert np.isnan(back["share"].iloc[1]) and back["share"].iloc[2] == 1 / 3
    assert pd.isna(back["rank"].iloc[1])


def test_xlsx_round_trip_and_sheet_per_table(tmp_path):
    t = _table()
    path = tmp_path / "t.xlsx"
    write_tables({"agglomerations": t, "tiers": t.head(1)}, path)
    sheets = pd.read_excel(path, sheet_name=None, dtype={"adcode": str})
    assert list(sheets) == ["agglomerations", "tiers"]
    back = sheets["agglomerations"]
    assert back["adcode"].tolist() == t["adcode"].tolist()
    assert back["name"].tolist() == t["name"].tolist()
    assert back["share"].iloc[0] == t["share"].iloc[0]
    assert np.isnan(back["share"].iloc[1])
    assert len(sheets["tiers"]) == 1


def test_xlsx_bytes_are_stable(tmp_path, monkeypatch):
    t = _table()
    a = write_table(t, tmp_path / "a.xlsx").read_bytes()
    # A later clock must not change the file: zip entry times and document times are fixed.
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 86400)
    b = write_table(t, tmp_path / "b.xlsx").read_bytes()
    monkeypatch.undo()
    assert a == b
    z = zipfile.ZipFile(io.BytesIO(a))
    assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    core = z.read("docProps/core.xml").decode()
    assert core.count("2000-01-01T00:00:00Z") == 2
    assert to_xlsx_bytes({"x": t}) == to_xlsx_bytes({"x": t})


def test_csv_and_markdown_bytes_are_stable(tmp_path):
    t = _table()
    for suffix in ("csv", "md"):
        a = write_table(t, tmp_path / f"a.{suffix}").read_bytes()
        b = write_table(t.copy(), tmp_path / f"b.{suffix}").read_bytes()
        assert a == b


def test_sheet_names_sanitised_and_unique():
    names = sheet_names(["a/b:c*?[x]\\y", "x" * 40, "x" * 40, "", "Tiers", "tiers"])
    assert names[0] == "a_b_c___x__y"
    assert all(len(n) <= 31 for n in names)
    assert len({n.lower() for n in names}) == len(names)
    assert names[3] == "table"


def test_markdown_table():
    md = to_markdown(_table(), float_format="{:.3f}")
    lines = md.splitlines()
    assert lines[0] == "| adcode | name | share | rank | note |"
    assert lines[1] == "|---|---|---:|---:|---|"
    assert lines[2] == "| 110000 | 北京市 | 0.123 | 1 | a\\|b |"
    assert lines[3] == "| 440300 | 深圳市 |  |  |  |"
    # Exact floats by default.
    assert "0.1234567890123" in to_markdown(_table())


def test_write_tables_csv_folder_and_md_sections(tmp_path):
    t = _table()
    files = write_tables({"a": t, "b/c": t}, tmp_path / "out")
    assert sorted(f.name for f in files) == ["a.csv", "b_c.csv"]
    md = write_tables({"a": t, "b": t}, tmp_path / "t.md")[0].read_text()
    assert md.count("## ") == 2
    with pytest.raises(InputError, match="folder"):
        write_tables({"a": t}, tmp_path / "x.csv")


def test_unknown_format(tmp_path):
    with pytest.raises(InputError, match=r"\.csv, \.xlsx or \.md"):
        write_table(_table(), tmp_path / "t.json")
    assert not (tmp_path / "t.json").exists()


def test_display_formatting():
    t = pd.DataFrame({"agglomeration": ["长三角"], "share": [0.41234], "rank_change": [1],
                      "mean": [1.23456], "top1": ["platform"]})
    d = format_for_display(t)
    assert list(d.columns) == ["城市群", "占比", "排名变化", "平均指数", "No.1"]
    assert d.iloc[0].tolist() == ["长三角", "41.2%", "+1", "1.23", "平台"]


# --------------------------------------------------------------------------- formula injection

ATTACKS = ['=HYPERLINK("http://x","y")', "+1", "-1+2", "@SUM(1)", "\tcmd", "\rcmd", "=1+1"]


def _attack_table():
    return pd.DataFrame({
        "group": ATTACKS,
        "=cmd|' /C calc'!A0": ["a"] * len(ATTACKS),       # a header that is a formula
        "value": [1.5, -2.0, -0.25, 0.0, 3.0, -1e-9, 7.0],   # negative numbers stay numbers
        "count": [-1, 2, -3, 4, 5, 6, -7],
        "as_text": ["-5", "+1.5", "-1e3", "5", "-", "+", "-x"],
    })


def test_csv_neutralises_formula_cells_and_headers(tmp_path):
    t = _attack_table()
    before = t.copy()
    path = write_table(t, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(t, before)                   # the input is not modified
    raw = path.read_bytes()
    # pandas leaves a CR inside a cell unquoted (lineterminator "\n"): checked in the bytes
    assert b"\n'\rcmd," in raw and b"\n\rcmd" not in raw
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    cr = rows.index(["'"])                                     # the row split by that CR
    rows = rows[:cr] + rows[cr + 2:]
    back = pd.DataFrame(rows[1:], columns=rows[0])
    attacks = [a for a in ATTACKS if a != "\rcmd"]
    assert list(back.columns) == ["group", "'=cmd|' /C calc'!A0", "value", "count", "as_text"]
    # "+1" is a plain number: a spreadsheet reads it as 1, not as a formula, so it stays
    assert back["group"].tolist() == [a if a == "+1" else "'" + a for a in attacks]
    assert not any(v.startswith(FORMULA_STARTS) for v in back["group"] if v != "+1")
    numbers = pd.read_csv(io.BytesIO(raw.replace(b"'\rcmd", b"'cmd")), encoding="utf-8-sig")
    assert numbers["value"].tolist() == t["value"].tolist()
    assert numbers["count"].tolist() == t["count"].tolist()
    # text that is a plain number is left as that number; other risky text is quoted
    assert numbers["as_text"].astype(str).tolist() == ["-5", "+1.5", "-1e3", "5", "'-", "'+", "'-x"]
    assert neutralise_formula("北京市") == "北京市" and neutralise_formula("a=b") == "a=b"


def test_xlsx_writes_no_formula(tmp_path):
    from openpyxl import load_workbook

    t = _attack_table()
    path = write_table(t, tmp_path / "t.xlsx")
    ws = load_workbook(path)["table"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert [c for c in cells if c.data_type == "f"] == []
    assert [c.value for c in ws[1]] == [str(c) for c in t.columns]          # headers as text
    assert ws.cell(1, 2).data_type == "s" and ws.cell(1, 2).quotePrefix
    # text kept exactly (XML reads a CR back as a line feed)
    assert [ws.cell(r, 1).value for r in range(2, 9)] == [a.replace("\r", "\n") for a in ATTACKS]
    assert all(ws.cell(r, 1).quotePrefix for r in range(2, 9))
    assert [ws.cell(r, 3).value for r in range(2, 9)] == t["value"].tolist()
    assert all(ws.cell(r, 3).data_type == "n" for r in range(2, 9))
    assert [ws.cell(r, 4).value for r in range(2, 9)] == t["count"].tolist()
    assert [ws.cell(r, 5).value for r in range(2, 9)] == t["as_text"].tolist()
    assert all(ws.cell(r, 5).data_type == "s" for r in range(2, 9))
    # and pandas reads the labels back as they were
    back = pd.read_excel(path, dtype={"as_text": str})
    assert back["group"].tolist()[:4] == ATTACKS[:4]


# --------------------------------------------------------------------------- workbook layout


def _run_like_table():
    return pd.DataFrame({
        "agglomeration": ["长三角", "恩施土家族苗族自治州", "x"],
        "rank": [1, 2, 3],
        "share": [0.41234, 0.2, np.nan],
        "mean_growth": [0.05, -0.01, 0.2],
        "growth_rank": [1.0, np.nan, 2.0],          # a rank, even as float: not a per cent
        "p_sim": [0.001, 0.5, 0.0001],
        "p_value": [1e-12, 0.04, np.nan],
        "mk_p": [0.2, 0.3, 0.4],
        "p_jh": [0.5, 0.6, 0.7],                    # Dagum's transvariation moment, not a p-value
        "total": [123.456789, 1.0, 2.0],
        "flag": [True, False, True],
        "note": ["a" * 80, "", "b"],
    })


def test_number_format_rule():
    t = _run_like_table()
    got = {c: number_format(c, t[c].dtype) for c in t.columns}
    assert got == {"agglomeration": None, "rank": None, "share": PERCENT_FORMAT,
                   "mean_growth": PERCENT_FORMAT, "growth_rank": None, "p_sim": P_VALUE_FORMAT,
                   "p_value": P_VALUE_FORMAT, "mk_p": P_VALUE_FORMAT, "p_jh": None,
                   "total": None, "flag": None, "note": None}
    for name in ("top_k_share", "yoy", "qoq", "sd_yoy", "share_nw", "total_growth", "city_share"):
        assert number_format(name, np.dtype(float)) == PERCENT_FORMAT, name
    for name in ("p_adjusted", "p_analytic", "p_fdr", "p_bonferroni", "beta_p"):
        assert number_format(name, np.dtype(float)) == P_VALUE_FORMAT, name
    assert number_format("share", np.dtype("int64")) is None


def test_workbook_layout(tmp_path):
    from openpyxl import load_workbook

    t = _run_like_table()
    path = write_tables({"agglomerations": t, "empty": t.iloc[:0]}, tmp_path / "t.xlsx")[0]
    wb = load_workbook(path)
    ws = wb["agglomerations"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:L4"
    assert all(c.font.b for c in ws[1]) and not ws.cell(2, 1).font.b
    formats = {ws.cell(1, j).value: {ws.cell(r, j).number_format for r in (2, 3) if ws.cell(r, j).value is not None}
               for j in range(1, ws.max_column + 1)}
    assert formats["share"] == {PERCENT_FORMAT} and formats["mean_growth"] == {PERCENT_FORMAT}
    assert formats["p_sim"] == {P_VALUE_FORMAT} and formats["mk_p"] == {P_VALUE_FORMAT}
    assert formats["rank"] == {"General"} and formats["growth_rank"] == {"General"}
    assert formats["total"] == {"General"} and formats["p_jh"] == {"General"}
    widths = {ws.cell(1, j).value: ws.column_dimensions[ws.cell(1, j).column_letter].width
              for j in range(1, ws.max_column + 1)}
    # 恩施土家族苗族自治州: 10 CJK characters are 20 columns wide, wider than the header
    assert widths["agglomeration"] == text_width("恩施土家族苗族自治州") + 2 > len("agglomeration") + 3 + 2
    assert text_width("恩施土家族苗族自治州") == 20 and text_width("ab") == 2
    assert widths["note"] == 60                                   # capped
    assert widths["rank"] == len("rank") + 3 + 2                  # the header sets it
    assert widths["share"] == len("share") + 3 + 2
    empty = wb["empty"]
    assert empty.auto_filter.ref == "A1:L1" and empty.freeze_panes == "A2"
    # still byte-stable
    assert to_xlsx_bytes({"a": t}) == to_xlsx_bytes({"a": t.copy()})
