"""``geodti match TABLE``: match each row's city to the bundled units and report how."""

from __future__ import annotations

import argparse

from geodti.cli.arguments import add_table_arguments


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "match", help="match a table's city names or codes to the bundled units",
        description="Match each row's city (name, English/pinyin, traditional, adcode or "
                    "historical name) to one of the bundled units of its level (34 provinces, "
                    "370 city-level units, ~2,850 county-level units) and report how. Exit code 1 "
                    "if any row is ambiguous or unmatched.",
    )
    add_table_arguments(p, table_help="CSV, TSV, XLSX or Parquet file", periods=False,
                        unmatched="exit 0 even if some rows are ambiguous or unmatched",
                        county=False)
    p.add_argument("--out", help="write the full match report here (CSV, UTF-8 with BOM)")
    return p


def run(args: argparse.Namespace) -> int:
    from geodti.cli import output

    from geodti.io.read import find_city_column, find_parent_column, province_columns, read_table
    from geodti.places.match import match

    console = output.console()
    table = read_table(args.table, sheet=args.sheet, encoding=args.encoding,
                       header_row=args.header_row)
    city_column = args.city_column
    if city_column is None:
        city_column = find_city_column(table, args.table)
        console.print(f"city column: [bold]{city_column}[/bold] (detected)")
    parent = args.parent_column
    if parent is None:
        parent = find_parent_column(table, city_column, {args.province_column})
        if parent is not None:
            console.print(f"containing-city column: [bold]{parent}[/bold] (detected)")
    level = args.level
    if level is None:
        from geodti.places.match import detect_level

        level = detect_level(table, city_column, args.province_column, where=str(args.table))
        console.print(f"level: [bold]{level}[/bold] (detected)")
        report = match(table, city_column, args.province_column,
                       level=None if level == "city" else level,
                       parent_column=parent if level == "county" else None)
    else:
        report = match(table, city_column, args.province_column, level=level,
                       parent_column=parent if level == "county" else None)
    hints = [] if args.province_column else province_columns(table.columns)
    problems = print_match_report(
        console, report, title=f"{args.table}: {len(report)} rows", province_hint=hints[0] if hints else None
    )
    if args.out:
        from geodti.io.atomic import write_bytes
        from geodti.io.tables import to_csv_bytes

        # UTF-8 with BOM so Excel in China opens it; input labels cannot run as formulas
        write_bytes(args.out, to_csv_bytes(report))
        console.print(f"report written to {args.out}")
    if problems and not args.allow_unmatched:
        return 1
    return 0


def print_match_report(console, report, title: str, province_hint: str | None = None) -> int:
    """Print the match report's status counts and its unresolved rows; return their number."""
    from rich.table import Table

    from geodti.places.match import RESOLVED, STATUSES

    console.print(f"[bold]{title}[/bold]")
    counts = report["status"].value_counts()
    summary = Table()
    summary.add_column("status")
    summary.add_column("rows", justify="right")
    for status in STATUSES:
        summary.add_row(status, str(int(counts.get(status, 0))))
    console.print(summary)

    resolved = report[report["status"].isin(RESOLVED)]
    distinct = resolved.drop_duplicates(["input", "province_input"])
    if len(distinct):
        how = Table(title=f"how {len(distinct)} distinct inputs were resolved (first 30)")
        for column in ("input", "province_input", "adcode", "name", "province", "method"):
            how.add_column(column, overflow="fold")
        for rec in distinct.head(30).itertuples(index=False):
            how.add_row(rec.input, rec.province_input, rec.adcode, rec.name, rec.province, rec.method)
        console.print(how)

    problems = report[~report["status"].isin(RESOLVED)]  # counties too: not matched to a city
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
