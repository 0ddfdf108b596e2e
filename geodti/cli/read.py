"""``geodti read TABLE``: report what geodti finds in a city table (nothing is written)."""

from __future__ import annotations

import argparse
import sys

from geodti.cli.arguments import add_table_arguments, read_table_from_args


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "read", help="check a city table: layout, columns, periods, rows",
        description="Read a city table and report what geodti found in it (nothing is written).",
    )
    add_table_arguments(p, table_help="city table: .csv, .tsv, .txt, .xlsx, .xlsm, .parquet",
                        shape=True)
    return p


def run(args: argparse.Namespace) -> int:
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
    print(f"header: row {info['header_row']}" + (
        f" (years) over row {info['quarter_row']} (quarters), read as quarters"
        if info.get("quarter_row") else ""))
    for number, text in info["skipped_rows"]:
        print(f"  skipped row {number} (a title or note): {text}")
    print(f"layout: {info['layout']}")
    print(f"city column: {info['city_column']}")
    if info["province_column"] is not None:
        print(f"province column: {info['province_column']}")
    if info.get("parent_column") is not None:
        print(f"containing-city column: {info['parent_column']}")
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

