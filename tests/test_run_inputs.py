"""Issue 16, the input side: unusual tables give a run, or a clear error before anything is
written; the input file is never changed."""

import argparse
import ast
import hashlib
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geodti import cli
from geodti.io.panel import check_values
from geodti.io.read import read_long
from geodti.run import steps as run_steps
from geodti.run.artefacts import Panel
from geodti.run.config import RunConfig
from geodti.run.scheduler import Given, SkipStep

ROOT = Path(__file__).resolve().parents[1]
PANEL = ROOT / "data/sample/dti_panel_SYNTHETIC.csv"


@pytest.fixture(scope="module")
def panel():
    return pd.read_csv(PANEL, dtype={"adcode": str})[["adcode", "name", "period", "dti"]]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(capsys, table: Path, out: Path, *flags: str) -> tuple[int, str]:
    before = _digest(table)
    code = cli.main(["run", str(table), "--out", str(out), "--jobs", "1", *flags])
    assert _digest(table) == before  # the input is never modified
    return code, capsys.readouterr().err


def test_a_wide_one_quarter_table_runs_every_step_that_can_run(panel, tmp_path, capsys):
    # a cross-section of 32 cities, wide, the period in Chinese: 2023年一季度
    codes = sorted(panel["adcode"].unique())[:32]
    latest = panel[panel["adcode"].isin(codes) & (panel["period"] == "2023Q1")]
    table = tmp_path / "wide.csv"
    latest[["name", "dti"]].rename(columns={"name": "城市", "dti": "2023年一季度"}).to_csv(
        table, index=False)
    code, err = _run(capsys, table, tmp_path / "o", "--permutations", "9", "--value-name", "dti")
    assert code == 0, err
    manifest = json.loads((tmp_path / "o/manifest.json").read_text(encoding="utf-8"))
    skipped = {s["step"]: s.get("skipped") for s in manifest["steps"]}
    assert skipped.pop("diffusion") == (
        "diffusion skipped: the table has 1 period(s) (2023Q1); the diffusion tables need "
        "year-on-year growth, i.e. at least 5 consecutive quarters")
    assert skipped.pop("models").startswith("spatial panel models skipped: the configuration has no")
    assert skipped.pop("second index").startswith("second index skipped: the run has none")
    assert not any(skipped.values())  # statistics, maps, figures, layers ... all ran
    assert manifest["config"]["value_name"] == "dti"
    ranks = pd.read_csv(tmp_path / "o/tables/city_ranks.csv", dtype={"adcode": str})
    want = latest.set_index("adcode")["dti"]
    assert ranks.set_index("adcode")["later_value"].sort_index().to_numpy() == pytest.approx(
        want.sort_index().to_numpy())
    assert (tmp_path / "o/tables/stats_global.csv").is_file()


def test_a_missing_value_is_named_before_anything_is_written(panel, tmp_path, capsys):
    table = tmp_path / "gap.csv"
    gap = panel[panel["period"] >= "2022Q1"].copy()
    gap.loc[gap.index[3], "dti"] = None
    gap.to_csv(table, index=False)
    code, err = _run(capsys, table, tmp_path / "o")
    assert code == 2
    assert (f"geodti: error: {table}: 1 value(s) are missing: row 5 (北京市, 2022Q4), column "
            "'dti'. Fill them, or pass --missing drop-unit-periods") in err
    assert "--missing drop-units" in err
    assert not (tmp_path / "o").exists()


def test_missing_values_are_dropped_by_unit_period_or_by_unit_and_listed(panel):
    read = panel.iloc[:18].assign(source_row=range(2, 20))  # two cities x 9 quarters
    read.loc[3, "dti"] = float("nan")
    kept, dropped = check_values(read, "t.csv", missing="drop-unit-periods")
    assert len(kept) == 17 and dropped[["source_row", "columns"]].values.tolist() == [[5, "dti"]]
    kept, dropped = check_values(read, "t.csv", missing="drop-units")
    assert set(kept["adcode"]) == {read["adcode"].iloc[9]} and len(dropped) == 9
    assert dropped["reason"].eq("missing value").sum() == 1
    with pytest.raises(Exception, match=r"no row for 北京市 \(110100\) in 2021Q2"):
        check_values(read.drop(index=1), "t.csv")


def test_an_all_zero_column_is_refused(panel, tmp_path, capsys):
    table = tmp_path / "zero.csv"
    panel.assign(dti=0).to_csv(table, index=False)
    code, err = _run(capsys, table, tmp_path / "o")
    assert code == 2 and f"geodti: error: {table}: column 'dti' is zero (or blank) in every row" in err
    assert not (tmp_path / "o").exists()


def test_a_zero_and_a_negative_value_leave_out_only_the_parts_that_cannot_take_them(
        panel, tmp_path, capsys):
    codes = sorted(panel["adcode"].unique())[:32]
    cut = panel[panel["adcode"].isin(codes)].reset_index(drop=True)
    cut.loc[3, "dti"], cut.loc[20, "dti"] = 0.0, -1.5  # file rows 5 and 22 (row 1: header)
    zero, negative = cut.loc[3], cut.loc[20]
    table = tmp_path / "t.csv"
    cut.to_csv(table, index=False)
    code, err = _run(capsys, table, tmp_path / "o", "--permutations", "9")
    assert code == 0, err
    manifest = json.loads((tmp_path / "o/manifest.json").read_text(encoding="utf-8"))
    entry = next(s for s in manifest["steps"] if s["step"] == "diffusion")
    assert "skipped" not in entry  # the step ran
    logs, weighted = entry["skipped_parts"]
    assert logs.startswith("diffusion: sigma convergence (diffusion_sigma")
    assert (f"left out: 'dti' is zero or negative in 2 row(s) (row 5 ({zero['name']}, "
            f"{zero['period']}): 0.0; row 22 ({negative['name']}, {negative['period']}): -1.5), "
            "and they take logs of the values") in logs
    assert weighted.startswith("diffusion: the index-weighted centre")
    assert (f"'dti' is negative in 1 row(s) (row 22 ({negative['name']}, {negative['period']}): "
            "-1.5), and they weight the cities by their values") in weighted
    written = {p.stem for p in (tmp_path / "o/tables").glob("diffusion_*.csv")}
    assert {"diffusion_summary", "diffusion_growth_by_region", "diffusion_longitude_gradient",
            "diffusion_distance_decay", "diffusion_hu_line_share", "diffusion_markov_transitions",
            "diffusion_spatial_markov_transitions", "diffusion_gi_star",
            "diffusion_emerging_hotspots"} <= written
    left_out = {"diffusion_sigma", "diffusion_sigma_trend", "diffusion_beta", "diffusion_theil",
                "diffusion_kernel_density", "diffusion_centre", "diffusion_ellipse",
                "diffusion_dagum_components"}
    assert not left_out & written
    assert not any(t.startswith("diffusion_spatial_beta") for t in written)
    summary = pd.read_csv(tmp_path / "o/tables/diffusion_summary.csv")
    assert summary["share_nw"].notna().all() and summary["sigma_sd_log"].isna().all()
    page = (tmp_path / "o/index.html").read_text(encoding="utf-8")
    assert f"row 22 ({negative['name']}, {negative['period']}): -1.5" in page  # a caveat


def test_a_zero_leaves_out_the_log_based_parts_only(panel):
    from geodti.dynamics.summary import LOG_BASED, NON_NEGATIVE, parts_needing

    assert parts_needing(pd.Series([1.0, 0.0, 2.0])) == LOG_BASED
    assert parts_needing(pd.Series([1.0, -0.1])) == LOG_BASED + NON_NEGATIVE
    assert parts_needing(pd.Series([1.0, 2.0])) == ()
    placed = panel[panel["adcode"].isin(sorted(panel["adcode"].unique())[:32])].copy()
    placed.loc[placed.index[3], "dti"] = 0.0
    art = Panel(placed=placed, value_columns=["dti"], periods=sorted(placed["period"].unique()),
                latest="2023Q1")
    context = run_steps.RunContext(config=RunConfig(), out=Path("."), input_path=Path("t.csv"),
                                   synthetic=False, caption="")
    step = next(s for s in run_steps.STEPS if s.name == "diffusion")
    deferred = step.function(context, Given(step, {Panel: art}, []))
    assert deferred.work.keywords["leave_out"] == LOG_BASED  # the centre and Gini still run
    assert len(deferred.finish.keywords["left_out"]) == 1


@pytest.mark.parametrize("column", ["geometry", "name"])
def test_a_reserved_column_name_is_a_clear_error(tmp_path, capsys, column):
    table = tmp_path / "t.csv"
    table.write_text(f"city,period,dti,{column}\n北京,2023Q1,1,2\n上海,2023Q1,2,3\n", encoding="utf-8")
    code, err = _run(capsys, table, tmp_path / "o")
    assert code == 2
    assert f"the value column(s) ['{column}'] have names geodti reserves" in err
    assert not (tmp_path / "o").exists()


def test_a_grouping_table_listing_a_city_twice_is_refused(tmp_path, capsys):
    table, groups = tmp_path / "t.csv", tmp_path / "tiers.csv"
    table.write_text("city,period,dti\n北京,2023Q1,1\n上海,2023Q1,2\n", encoding="utf-8")
    groups.write_text("city,tier\n北京,一线\n上海,一线\n北京市,二线\n", encoding="utf-8")
    before = _digest(groups)
    code, err = _run(capsys, table, tmp_path / "o", "--groups", str(groups))
    assert _digest(groups) == before
    assert code == 2
    assert (f"--groups {groups}: a city may be in one group only, but 1 city(ies) are in "
            "several rows (110100: rows 2, 4 (一线, 二线)); keep one row per city.") in err
    assert not (tmp_path / "o").exists()


def _yearbook(path: Path, *, quarter_row: bool) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["城市", 2021, None, None, None, 2022, None, None, None])
    if quarter_row:
        ws.append([None, "一季度", "二季度", "三季度", "四季度", "一季度", "二季度", "三季度", "四季度"])
    ws.append(["北京", 1, 2, 3, 4, 5, 6, 7, 8])
    ws.append(["上海", 2, 3, 4, 5, 6, 7, 8, 9])
    ws.merge_cells("B1:E1")
    ws.merge_cells("F1:I1")
    book.save(path)


def test_a_yearbook_header_is_read_as_quarters(tmp_path):
    table = tmp_path / "yearbook.xlsx"
    _yearbook(table, quarter_row=True)
    long = read_long(table)
    beijing = long[long["city"] == "北京"].set_index("period")["value"]
    assert list(beijing.index) == [f"{y}Q{q}" for y in (2021, 2022) for q in range(1, 5)]
    assert beijing["2022Q1"] == 5 and set(long["period_type"]) == {"quarter"}


def test_a_year_row_without_its_quarter_row_is_refused(tmp_path, capsys):
    table = tmp_path / "yearbook.xlsx"
    _yearbook(table, quarter_row=False)
    code, err = _run(capsys, table, tmp_path / "o")
    assert code == 2
    assert (f"geodti: error: {table}: the header (row 1) has year 2021 over 4 columns (B-E) and "
            "only the first has a name") in err
    assert not (tmp_path / "o").exists()


def test_a_notes_sheet_first_hints_sheet_with_the_names(tmp_path, capsys):
    table = tmp_path / "notes.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["数据说明：本表为城市数字化指数"])
    data = book.create_sheet("数据")
    for row in (["城市", "period", "dti"], ["北京", "2023Q1", 1], ["上海", "2023Q1", 2]):
        data.append(row)
    book.save(table)
    code, err = _run(capsys, table, tmp_path / "o")
    assert code == 2
    assert ("The workbook has 2 sheets ['说明', '数据'] and the first, '说明', was read: if the "
            "table is on another, pass --sheet NAME") in err
    code, err = _run(capsys, table, tmp_path / "o2", "--sheet", "数据", "--allow-unmatched")
    assert "no column header looks like the city" not in err  # --sheet exists on run


def test_a_utf8_header_over_gbk_rows_suggests_encoding(tmp_path, capsys):
    table = tmp_path / "mixed.csv"
    table.write_bytes("城市,period,dti\n".encode() + "北京,2023Q1,1\n上海,2023Q1,2\n".encode("gbk"))
    code, err = _run(capsys, table, tmp_path / "o")
    assert code == 2
    assert (f"{table}: the file mixes two encodings: line 1 is UTF-8, line 2 on is GBK "
            "(GB18030)") in err and "--encoding gbk" in err
    assert not (tmp_path / "o").exists()


def test_unmatched_cities_leave_the_full_match_report_in_out(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text("city,period,dti\n北京,2023Q1,1\n火星,2023Q1,2\n", encoding="utf-8")
    code, err = _run(capsys, table, tmp_path / "o")
    assert code == 1
    report = tmp_path / "o/match_report.csv"
    assert err.rstrip().endswith(f"The full match report (every row, its status and "
                                 f"suggestions): {report}")
    assert sorted(p.name for p in (tmp_path / "o").iterdir() if not p.name.startswith(".")) == [
        "match_report.csv"]
    rows = pd.read_csv(report, encoding="utf-8-sig")
    assert rows["status"].tolist() == ["matched", "unmatched"]


def _flags(parser: argparse.ArgumentParser) -> dict[str, set[str]]:
    flags = {"geodti": {o for a in parser._actions for o in a.option_strings}}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                flags[name] = {o for a in sub._actions for o in a.option_strings}
    return flags


def test_messages_name_only_flags_that_exist():
    flags = _flags(cli.build_parser())
    every = set().union(*flags.values())
    pattern = re.compile(r"(?<![\w-])(--[a-z][a-z0-9]*(?:-[a-z0-9]+)*)")
    named: dict[str, set[str]] = {}
    for path in sorted((ROOT / "geodti").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for flag in pattern.findall(node.value):
                    named.setdefault(flag, set()).add(path.relative_to(ROOT).as_posix())
    assert {f: where for f, where in named.items() if f not in every} == {}
    # what the reading messages name, the run takes: it reads through the same code
    reading = {f for f, where in named.items()
               if where & {"geodti/io/read.py", "geodti/io/panel.py", "geodti/io/groups.py"}}
    assert reading >= {"--encoding", "--header-row", "--value-column", "--sheet", "--missing"}
    assert reading - flags["run"] == set()
