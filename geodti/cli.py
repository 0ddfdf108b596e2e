"""Command-line interface: the only place that parses flags and prints.

Exit codes: 0 success; 1 the run finished but found rows it could not resolve
(ambiguous or unmatched cities) or a check failed; 2 unreadable or invalid input.
"""

from __future__ import annotations

import argparse
import sys

from geodti import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geodti",
        description="Spatial analysis of city-level digital transformation indices.",
    )
    parser.add_argument("--version", action="version", version=f"geodti {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_read_command(commands)
    _add_match_command(commands)
    return parser


def add_table_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags that say how to read a city table (shared by every command that reads one)."""
    parser.add_argument("table", help="city table: .csv, .tsv, .txt, .xlsx, .xlsm, .parquet")
    parser.add_argument("--sheet", help="XLSX sheet name or 0-based number (default: the first)")
    parser.add_argument("--encoding", help="CSV text encoding, e.g. utf-8, gbk (default: detected)")
    parser.add_argument("--header-row", type=int, help="spreadsheet row of the header (default: detected)")
    parser.add_argument("--city-column", help="column of city names (default: detected from headers)")
    parser.add_argument("--province-column", help="column of province names, if any")
    parser.add_argument(
        "--period-column",
        help="column of periods in a long table, or YEAR,QUARTER columns (default: detected)",
    )
    parser.add_argument("--period", help="the one period of a table without period information, e.g. 2023Q1")
    parser.add_argument(
        "--layout", choices=("auto", "long", "wide"), default="auto",
        help="long: a row per city and period; wide: a column per period (default: auto)",
    )
    parser.add_argument(
        "--value-column", action="append", dest="value_columns", metavar="COLUMN",
        help="a value column (repeat for several; default: every numeric column, or every period column)",
    )
    parser.add_argument("--value-name", default="value", help="name of the value in a wide table")


def read_table_from_args(args: argparse.Namespace):
    """Read and reshape the table named by :func:`add_table_arguments`' flags."""
    from geodti.io.read import read_long

    return read_long(
        args.table, sheet=args.sheet, encoding=args.encoding, header_row=args.header_row,
        city_column=args.city_column, province_column=args.province_column,
        period_column=args.period_column, period=args.period, layout=args.layout,
        value_columns=args.value_columns, value_name=args.value_name,
    )


def _add_read_command(commands) -> None:
    read = commands.add_parser(
        "read", help="check a city table: layout, columns, periods, rows",
        description="Read a city table and report what geodti found in it (nothing is written).",
    )
    add_table_arguments(read)
    read.set_defaults(func=_run_read)


def _run_read(args: argparse.Namespace) -> int:
    import warnings

    from geodti.errors import InputWarning
    from geodti.io.read import summarize

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        info = summarize(read_table_from_args(args))
    where = info["format"]
    if info["encoding"]:
        where += f", encoding {info['encoding']}, delimiter {info['delimiter']!r}"
    if info["sheet"]:
        where += f", sheet {info['sheet']!r}"
    print(f"file: {info['source']} ({where})")
    print(f"header: row {info['header_row']}")
    for number, text in info["skipped_rows"]:
        print(f"  skipped row {number} (a title or note): {text}")
    print(f"layout: {info['layout']}")
    print(f"city column: {info['city_column']}")
    if info["province_column"] is not None:
        print(f"province column: {info['province_column']}")
    for candidate in info["province_candidates"]:
        print(f"  a province column? pass --province-column {candidate} to help matching")
    if info["period_column"] is not None:
        print(f"period column: {info['period_column']}")
    if info["layout"] == "wide":
        print(f"values: {info['value_columns'][0]!r}, one column per period")
    else:
        print(f"value columns: {', '.join(map(str, info['value_columns']))}")
    if info["label_columns"]:
        print(f"other columns (kept as given): {', '.join(info['label_columns'])}")
    periods = info["periods"]
    kinds = ", ".join(f"{n} {k} rows" for k, n in info["period_types"].items() if n)
    shown = ", ".join(periods) if len(periods) <= 12 else f"{periods[0]} ... {periods[-1]}"
    print(f"periods: {len(periods)} ({shown}); {kinds}")
    print(
        f"rows: {info['input_rows']} in the table, {info['rows']} city-period rows, "
        f"{info['cities']} cities"
    )
    for column, missing in info["missing"].items():
        print(f"missing values in {column}: {missing}")
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    return 0


def _add_match_command(commands) -> None:
    p = commands.add_parser(
        "match", help="match a table's city names or codes to the bundled units",
        description="Match each row's city (name, English/pinyin, traditional, adcode or "
                    "historical name) to one of the 370 bundled city-level units and report "
                    "how. Exit code 1 if any row is ambiguous or unmatched.",
    )
    p.add_argument("table", help="CSV, TSV, XLSX or Parquet file")
    p.add_argument("--sheet", help="XLSX sheet name or 0-based number (default: the first)")
    p.add_argument("--encoding", help="CSV text encoding, e.g. utf-8, gbk (default: detected)")
    p.add_argument("--city-column", help="column with city names or adcodes (default: detected "
                   "from headers such as city, 城市, 城市名称, 地区, name, adcode, 行政区划代码)")
    p.add_argument("--province-column", help="column with province names; decides homophones "
                   "such as Taizhou (台州/泰州) and 吉林/海南")
    p.add_argument("--out", help="write the full match report here (CSV, UTF-8 with BOM)")
    p.add_argument("--allow-unmatched", action="store_true",
                   help="exit 0 even if some rows are ambiguous or unmatched")
    p.set_defaults(func=_run_match)


def _run_match(args) -> int:
    from rich.console import Console

    from geodti.io.read import find_city_column, province_columns, read_table
    from geodti.places.match import match

    console = Console()
    table = read_table(args.table, sheet=args.sheet, encoding=args.encoding)
    city_column = args.city_column
    if city_column is None:
        city_column = find_city_column(table, args.table)
        console.print(f"city column: [bold]{city_column}[/bold] (detected)")
    report = match(table, city_column, args.province_column)
    hints = [] if args.province_column else province_columns(table.columns)
    problems = print_match_report(
        console, report, title=f"{args.table}: {len(report)} rows", province_hint=hints[0] if hints else None
    )
    if args.out:
        from geodti.io.atomic import write_bytes

        # UTF-8 with BOM so Excel in China opens it
        write_bytes(args.out, report.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))
        console.print(f"report written to {args.out}")
    if problems and not args.allow_unmatched:
        return 1
    return 0


def print_match_report(console, report, title: str, province_hint: str | None = None) -> int:
    """Print the match report's status counts and its unresolved rows; return their number."""
    from rich.table import Table

    from geodti.places.match import STATUSES

    console.print(f"[bold]{title}[/bold]")
    counts = report["status"].value_counts()
    summary = Table()
    summary.add_column("status")
    summary.add_column("rows", justify="right")
    for status in STATUSES:
        summary.add_row(status, str(int(counts.get(status, 0))))
    console.print(summary)

    resolved = report[report["status"].isin(["matched", "historical"])]
    distinct = resolved.drop_duplicates(["input", "province_input"])
    if len(distinct):
        how = Table(title=f"how {len(distinct)} distinct inputs were resolved (first 30)")
        for column in ("input", "province_input", "adcode", "name", "province", "method"):
            how.add_column(column, overflow="fold")
        for rec in distinct.head(30).itertuples(index=False):
            how.add_row(rec.input, rec.province_input, rec.adcode, rec.name, rec.province, rec.method)
        console.print(how)

    problems = report[report["status"].isin(["ambiguous", "unmatched"])]
    if len(problems):
        shown = problems.head(50)
        detail = Table(title="rows not resolved", expand=True)
        detail.add_column("row", no_wrap=True, min_width=3)
        detail.add_column("input", overflow="fold", ratio=2)
        detail.add_column("province_input", overflow="fold", ratio=2)
        detail.add_column("status", no_wrap=True, min_width=9)
        detail.add_column("note", overflow="fold", ratio=6)
        detail.add_column("suggestions", overflow="fold", ratio=4)
        for rec in shown.itertuples(index=False):
            detail.add_row(str(rec.row), rec.input, rec.province_input, rec.status, rec.note,
                           rec.suggestions)
        console.print(detail)
        if len(problems) > len(shown):
            console.print(f"... and {len(problems) - len(shown)} more rows; see --out for all.")
        if province_hint is not None and (problems["status"] == "ambiguous").any():
            console.print(f"hint: rerun with --province-column {province_hint} to decide ambiguous names")
    return len(problems)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from geodti.errors import InputError, MatchError

    try:
        return args.func(args)
    except InputError as exc:  # unreadable or invalid input
        print(f"geodti: error: {exc}", file=sys.stderr)
        return 2
    except MatchError as exc:  # the run finished but rows could not be resolved
        print(f"geodti: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
