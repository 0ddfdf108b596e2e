"""Table writers: round trips, Excel-friendly CSV, stable XLSX bytes, Markdown."""

import io
import time
import zipfile

import numpy as np
import pandas as pd
import pytest

from geodti.errors import InputError
from geodti.io.tables import (
    format_for_display, sheet_names, to_markdown, to_xlsx_bytes, write_table, write_tables,
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
