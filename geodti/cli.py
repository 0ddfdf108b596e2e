"""Command-line interface: the only place that parses flags and prints.

Exit codes: 0 success; 1 the run finished but found rows it could not resolve
(ambiguous or unmatched cities) or a check failed; 2 unreadable or invalid input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geodti import __version__
from geodti.errors import InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geodti",
        description="Spatial analysis of city-level digital transformation indices.",
    )
    parser.add_argument("--version", action="version", version=f"geodti {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_match_command(commands)
    return parser


# ---------------------------------------------------------------------------------------
# reading tables (one function, so the full reader can replace it in one place)


def _read_table(path: str):
    """Read a CSV/TSV/XLSX/Parquet table with every column as text (codes keep their digits).

    Minimal reader for the ``match`` command; raises InputError (exit code 2) when the file
    cannot be read.
    """
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: file not found; check the path.")
    suffix = file.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            return pd.read_excel(file, dtype=str, keep_default_na=False)
        if suffix == ".parquet":
            return pd.read_parquet(file)
        sep = "\t" if suffix in (".tsv", ".tab") else ","
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return pd.read_csv(file, dtype=str, keep_default_na=False, sep=sep, encoding=encoding)
            except UnicodeDecodeError:
                continue
        raise InputError(f"{path}: not UTF-8 or GB18030 text; save it as UTF-8 CSV or XLSX.")
    except InputError:
        raise
    except Exception as exc:  # pandas/openpyxl raise many kinds; all mean "cannot read"
        raise InputError(f"{path}: cannot read the table ({exc}); save it as UTF-8 CSV or XLSX.") from exc


# ---------------------------------------------------------------------------------------
# geodti match

_CITY_HEADERS = ("city", "城市", "城市名称", "城市名", "地市", "地级市", "地区", "name", "名称",
                 "city_name", "adcode", "行政区划代码", "区划代码", "代码", "code")
_PROVINCE_HEADERS = ("province", "省份", "省", "省份名称", "省名", "所属省份")


def _find_column(columns, candidates) -> str | None:
    normalised = {str(c).strip().lower(): c for c in columns}
    for candidate in candidates:
        if candidate in normalised:
            return normalised[candidate]
    return None


def _add_match_command(commands) -> None:
    p = commands.add_parser(
        "match", help="match a table's city names or codes to the bundled units",
        description="Match each row's city (name, English/pinyin, traditional, adcode or "
                    "historical name) to one of the 370 bundled city-level units and report "
                    "how. Exit code 1 if any row is ambiguous or unmatched.",
    )
    p.add_argument("table", help="CSV, TSV, XLSX or Parquet file")
    p.add_argument("--city-column", help="column with city names or adcodes (default: detected "
                   "from headers such as city, 城市, 城市名称, 地区, name, adcode, 行政区划代码, 代码)")
    p.add_argument("--province-column", help="column with province names; decides homophones "
                   "such as Taizhou (台州/泰州) and 吉林/海南")
    p.add_argument("--out", help="write the full match report here (CSV, UTF-8 with BOM)")
    p.add_argument("--allow-unmatched", action="store_true",
                   help="exit 0 even if some rows are ambiguous or unmatched")
    p.set_defaults(func=_run_match)


def _run_match(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from geodti.io.atomic import write_bytes
    from geodti.places.match import STATUSES, match

    console = Console()
    err = Console(stderr=True)
    try:
        table = _read_table(args.table)
        city_column = args.city_column
        if city_column is None:
            city_column = _find_column(table.columns, _CITY_HEADERS)
            if city_column is None:
                raise InputError(
                    f"{args.table}: no city column found among {', '.join(map(str, table.columns))}; "
                    "name it with --city-column."
                )
            console.print(f"city column: [bold]{city_column}[/bold] (detected)")
        report = match(table, city_column, args.province_column)
    except InputError as exc:
        err.print(f"[red]error:[/red] {exc}")
        return 2

    counts = report["status"].value_counts()
    summary = Table(title=f"{args.table}: {len(report)} rows")
    summary.add_column("status")
    summary.add_column("rows", justify="right")
    for status in STATUSES:
        summary.add_row(status, str(int(counts.get(status, 0))))
    console.print(summary)

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
        if args.province_column is None and (problems["status"] == "ambiguous").any():
            hint = _find_column(table.columns, _PROVINCE_HEADERS)
            if hint is not None:
                console.print(f"hint: rerun with --province-column {hint} to decide ambiguous names")

    if args.out:
        text = report.to_csv(index=False, lineterminator="\n")
        write_bytes(args.out, text.encode("utf-8-sig"))
        console.print(f"report written to {args.out}")
    if len(problems) and not args.allow_unmatched:
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
