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
    _add_run_command(commands)
    _add_sample_command(commands)
    add_summary_parser(commands)
    add_diffusion_parser(commands)
    add_export_parser(commands)
    add_stats_parser(commands)
    for command in commands.choices.values():
        command.formatter_class = DefaultsHelpFormatter
    return parser


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Help that shows each option's default value unless the help text already speaks of
    it (e.g. "default: detected", or a default described in words)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text.lower():
            return text
        return f"{text} (default: %(default)s)"


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


ALLOW_COUNTY_HELP = ("let a row naming a county-level unit (甘南县, 安达市) stand for the city "
                     "containing it; a county's value is not its city's value, so only if the "
                     "row's value is meant for the city (default: such rows stop the read)")


def add_panel_arguments(p: argparse.ArgumentParser, *, unmatched: str) -> None:
    """How to read a city panel: the flags of the commands that read one and match its cities
    (export, summary, diffusion); ``unmatched`` says what --allow-unmatched does there."""
    p.add_argument("--sheet", help="XLSX sheet name or 0-based number (default: the first)")
    p.add_argument("--encoding", help="CSV text encoding, e.g. utf-8, gbk (default: detected)")
    p.add_argument("--city-column", help="column of city names or adcodes (default: detected)")
    p.add_argument("--province-column", help="column of province names, if any")
    p.add_argument("--period-column", help="column of periods (default: detected)")
    p.add_argument("--allow-unmatched", action="store_true", help=unmatched)
    p.add_argument("--allow-county", action="store_true", help=ALLOW_COUNTY_HELP)


def read_quarterly_panel(args: argparse.Namespace, err, *, needs: str, left_out: str,
                         variable: str | None = None):
    """The quarterly panel named by ``args.panel`` and :func:`add_panel_arguments`' flags,
    with only the rows whose city matched (the others are counted in a note on ``err``).

    ``needs`` and ``left_out`` word the messages for the command (e.g. "summary tables need",
    "left out of the tables"); ``variable``, if given, must be a column of the table.
    """
    from geodti.errors import InputError
    from geodti.io.panel import read_panel

    raw = read_panel(args.panel, sheet=args.sheet, encoding=args.encoding,
                     city_column=args.city_column, province_column=args.province_column,
                     period_column=args.period_column, allow_unmatched=args.allow_unmatched,
                     allow_county=args.allow_county)
    annual_rows = raw["period_type"] != "quarter"
    if annual_rows.any():
        raise InputError(f"{args.panel}: {int(annual_rows.sum())} rows carry annual periods "
                         f"(e.g. {raw.loc[annual_rows, 'period'].iloc[0]}); {needs} "
                         "quarterly panel (2021Q1, ...).")
    if variable is not None and variable not in raw.columns:
        raise InputError(f"{args.panel}: no column {variable!r}; value columns are "
                         f"{raw.attrs.get('value_columns')}. Pass --variable.")
    unmatched = raw["adcode"].isna()
    if unmatched.any():
        err.print(f"note: {int(unmatched.sum())} rows whose city did not match are {left_out} "
                  "(geodti match lists them).", highlight=False)
    return raw.loc[~unmatched].reset_index(drop=True)


def read_table_from_args(args: argparse.Namespace):
    """Read and reshape the table named by :func:`add_table_arguments`' flags."""
    from geodti.io.read import read_long

    return read_long(
        args.table, sheet=args.sheet, encoding=args.encoding, header_row=args.header_row,
        city_column=args.city_column, province_column=args.province_column,
        period_column=args.period_column, period=args.period, layout=args.layout,
        value_columns=args.value_columns, value_name=args.value_name,
    )


def print_table(console, headers, rows, *, title=None, caption=None, right=()) -> None:
    """Print a table: with rich borders on a terminal; otherwise (a pipe or a file) as plain
    text, columns aligned by display width (a Chinese character takes two) and every cell
    whole, since rich would squeeze the table to 80 columns and cut cells to ``长 …``.

    ``right`` names the columns aligned to the right (numbers). For machine-readable output
    the commands write CSV with ``--out``.
    """
    headers = [str(h) for h in headers]
    rows = [["" if c is None else str(c) for c in row] for row in rows]
    if console.is_terminal:
        from rich.table import Table

        table = Table(title=title, caption=caption)
        for head in headers:
            table.add_column(head, justify="right" if head in right else "left")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    from rich.cells import cell_len

    widths = [max([cell_len(h)] + [cell_len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        padded = []
        for head, cell, width in zip(headers, cells, widths):
            gap = " " * (width - cell_len(cell))
            padded.append(gap + cell if head in right else cell + gap)
        return "  ".join(padded).rstrip()

    if title:
        console.out(title, highlight=False)
    console.out(line(headers), highlight=False)
    console.out("  ".join("-" * w for w in widths), highlight=False)
    for row in rows:
        console.out(line(row), highlight=False)
    if caption:
        console.out(caption, highlight=False)


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


def add_export_parser(sub) -> None:
    """``geodti export TABLE``: GIS layers (cities, cities_panel, provinces, agglomerations)."""
    # spelled out so building the parser does not import geopandas (tests check they agree)
    FORMATS = ("gpkg", "geojson", "parquet", "shp", "fgb")
    LAYERS = ("cities", "cities_panel", "provinces", "agglomerations")
    p = sub.add_parser(
        "export", help="GIS layers: GeoPackage, GeoJSON, GeoParquet, Shapefile, FlatGeobuf",
        description="Read a city table, join it to the bundled boundaries and write GIS layers: "
                    "cities (every unit at one period, with rank, share, YoY and summary growth), "
                    "cities_panel (every unit x period), provinces (totals over the province "
                    "polygons) and agglomerations (the 11 dissolved outlines). Fields: docs/layers.md.",
    )
    p.add_argument("table", metavar="TABLE",
                   help="city table (CSV, XLSX, Parquet; long or wide): city names or adcodes, "
                        "periods, value columns")
    add_panel_arguments(
        p, unmatched="leave rows whose city does not match off the map (with a note)")
    p.add_argument("--format", choices=list(FORMATS), default="gpkg", help="output format (default gpkg)")
    p.add_argument("--crs", choices=["4326", "4490"], default="4326",
                   help="4326 WGS84 (default) or 4490 CGCS2000: same coordinates, other label "
                        "(not for GeoJSON, which is WGS84 by definition)")
    p.add_argument("--layers", default=",".join(LAYERS),
                   help=f"comma-separated layers (default {','.join(LAYERS)})")
    p.add_argument("--period", help="period of the cities, provinces and agglomerations layers "
                                    "(default: the latest)")
    p.add_argument("--variable", action="append", dest="variables", metavar="COLUMN",
                   help="value column that gets rank, share, YoY and growth fields (repeat for "
                        "several; default dti)")
    p.add_argument("--window", default="2022Q1-2023Q1",
                   help="summary-growth window, mean of quarterly YoY (default 2022Q1-2023Q1); "
                        "'none' leaves growth empty")
    p.add_argument("--resolution", choices=["detailed", "map"], default="detailed",
                   help="bundled boundaries: detailed (default, for GIS) or map (smaller)")
    p.add_argument("--bbox", action="store_true", help="GeoParquet: add the bbox covering column")
    p.add_argument("--out", metavar="PATH",
                   help="output: a .gpkg file (gpkg), a folder (one file per layer), or a .zip "
                        "(shp); default layers.gpkg or layers_<format>/")
    p.set_defaults(func=run_export)


def run_export(args) -> int:
    """Run ``geodti export``: read, join, build the layers and write them. Returns the exit code."""
    import re
    import warnings

    from geodti.errors import InputError, MethodError
    from geodti.io.layers import FieldNameWarning, write_layers
    from geodti.io.panel import read_panel
    from geodti.io.layer_builder import build_layers

    window = None
    if args.window.lower() != "none":
        m = re.fullmatch(r"(\d{4}Q[1-4])-(\d{4}Q[1-4])", args.window)
        if not m:
            raise InputError(f"--window {args.window!r}: write it as 2022Q1-2023Q1, or 'none'.")
        window = (m.group(1), m.group(2))
    out = args.out or ("layers.gpkg" if args.format == "gpkg" else f"layers_{args.format}")
    panel = read_panel(args.table, sheet=args.sheet, encoding=args.encoding,
                       city_column=args.city_column, province_column=args.province_column,
                       period_column=args.period_column, allow_unmatched=args.allow_unmatched,
                       allow_county=args.allow_county)
    try:
        layers = build_layers(panel, layers=args.layers, period=args.period, variables=args.variables,
                              window=window, resolution=args.resolution)
    except MethodError as exc:
        hint = " (or --window none)" if "window" in str(exc) else ""
        print(f"geodti: error: {exc}{hint}", file=sys.stderr)
        return 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FieldNameWarning)
        files = write_layers(layers, out, args.format, int(args.crs), bbox=args.bbox)
    first = next(iter(layers.values()))
    print(f"period {first.attrs['period']}, growth window {first.attrs['window'] or 'none'}, "
          f"EPSG:{args.crs}")
    for name, layer in layers.items():
        print(f"  {name}: {len(layer)} features, {len(layer.columns) - 1} fields")
    for path in files:
        print(f"wrote {path}")
    unplaced = first.attrs["n_unplaced_rows"]
    if unplaced:
        print(f"note: {unplaced} rows whose city did not match are not on the map "
              "(geodti match lists them).", file=sys.stderr)
    if "cities" in layers:
        lacking = layers["cities"].loc[~layers["cities"]["has_data"], "name"].tolist()
        if lacking:
            print(f"note: {len(lacking)} units have no data for {first.attrs['period']} and are "
                  f"written with empty values: {', '.join(lacking[:10])}"
                  + (" ..." if len(lacking) > 10 else ""), file=sys.stderr)
    for warning in caught:
        kind = "note" if issubclass(warning.category, FieldNameWarning) else "warning"
        print(f"{kind}: {warning.message}", file=sys.stderr)
    return 0


def add_summary_parser(sub) -> None:
    """``geodti summary PANEL``: the report's tables for a city panel."""
    p = sub.add_parser(
        "summary", help="summary tables (agglomerations, provinces, regions, tiers, layers, industries)",
        description="Summarise a tidy city panel (adcode, period, dti, ...) the DTI report's way: "
                    "by agglomeration, province, region (四大区域), Hu-line side, administrative "
                    "rank, a column of --groups FILE (e.g. tier), the three layers, or industries.",
    )
    p.add_argument("panel", metavar="TABLE",
                   help="quarterly city panel (CSV, XLSX, Parquet; long or wide): city names or "
                        "adcodes, periods (2021Q1), one column per index (dti, layers, industry_*)")
    add_panel_arguments(
        p, unmatched="leave rows whose city does not match out of the tables (with a note)")
    p.add_argument("--by", default="agglomeration",
                   help="agglomeration (default), province, region, hu_line, admin_rank, layers, "
                        "industry, or a column of --groups FILE")
    p.add_argument("--groups", metavar="FILE",
                   help="table with adcode (or city names) and the --by column (e.g. a tier "
                        "table), used instead of the bundled gazetteer")
    p.add_argument("--within", metavar="GROUP",
                   help="rank the cities inside this group (e.g. 长三角) instead of comparing groups")
    p.add_argument("--variable", default="dti", help="index column (default dti)")
    p.add_argument("--period", help="quarter (2023Q1), year (2022) or range (2021Q1-2023Q1); "
                                    "default the latest quarter (the year 2022 for --by industry)")
    p.add_argument("--earlier", default="2022",
                   help="earlier period of the rank change with --within (default 2022)")
    p.add_argument("--window", default="2022Q1-2023Q1",
                   help="growth window: mean of quarterly YoY over it (default 2022Q1-2023Q1); "
                        "'none' to leave growth out")
    p.add_argument("--top-k", type=int, default=3, help="k of the top-k share (default 3)")
    p.add_argument("--sub", choices=["layers", "industry"], default="layers",
                   help="what the agglomeration table's No.1-No.3 columns rank (default layers)")
    p.add_argument("--sub-period",
                   help="period of that ranking, e.g. 2021Q1-2023Q1 (the report's cumulative "
                        "industry top 3); default --period")
    p.add_argument("--format", choices=["csv", "xlsx", "md"],
                   help="output format (default from the --out suffix)")
    p.add_argument("--out", metavar="PATH", help="write the full table here (CSV, XLSX or Markdown)")
    p.set_defaults(func=run_summary)


def run_summary(args) -> int:
    """Run ``geodti summary``: compute, print with rich, write with --out. Returns the exit code."""
    import re

    import pandas as pd
    from rich.console import Console

    from geodti.errors import InputError, MethodError
    from geodti.index import summary as S
    from geodti.io.groups import read_groups
    from geodti.io.tables import format_for_display, write_table

    console, err = Console(), Console(stderr=True)

    def gazetteer_tables(by):
        from geodti.places import gazetteer as gz
        return gz.agglomerations() if by == "agglomeration" else gz.gazetteer()

    try:
        panel = read_quarterly_panel(args, err, needs="summary tables need a",
                                     left_out="left out of the tables")
        panel = panel.drop(columns=["period_type", "city_input", "match_status", "source_row"])
        window = None
        if args.window.lower() != "none":
            m = re.fullmatch(r"(\d{4}Q[1-4])-(\d{4}Q[1-4])", args.window)
            if not m:
                raise InputError(f"--window {args.window!r}: write it as 2022Q1-2023Q1, or 'none'.")
            window = (m.group(1), m.group(2))
        by = args.by
        groups = None
        if by != "layers":
            group_col = "province" if by == "industry" else by
            if args.groups:
                groups = read_groups(args.groups, group_col)
            elif group_col in ("agglomeration", "province", "region", "hu_line", "admin_rank"):
                groups = gazetteer_tables(group_col)
            else:
                raise InputError(f"--by {by}: pass --groups FILE with columns adcode (or city "
                                 f"names) and {by}.")
        names = groups if groups is not None and "name" in groups.columns else None
        caption = ""
        if by == "layers":
            table = S.layer_summary(panel, composite=args.variable)
            var = S.layer_variability(panel, composite=args.variable)
            steady = var.loc[var["least_variable"], "variable"].tolist()
            caption = "波动最小的层 (环比增速标准差最小): " + ", ".join(steady)
        elif args.within:
            table = S.within_groups(panel, groups, by, variable=args.variable,
                                    earlier=args.earlier, later=args.period or S.latest_quarter(panel),
                                    window=window, only=args.within, names=names)
        elif by == "agglomeration":
            table = S.agglomeration_table(panel, groups, variable=args.variable, period=args.period,
                                          window=window, sub_variables=args.sub,
                                          sub_period=args.sub_period, names=names)
            cov = S.agglomeration_coverage(panel, groups, variable=args.variable, period=args.period)
            caption = cov["statement_zh"].iloc[0]
        elif by == "industry":
            table = S.industry_view(panel, groups, period=args.period or "2022", window=window)
        else:
            table = S.group_summary(panel, groups, by, variable=args.variable, period=args.period,
                                    window=window, top_k=args.top_k, names=names)
    except MethodError as exc:  # the data violate the method (InputError and MatchError go to main)
        print(f"geodti: error: {exc}", file=sys.stderr)
        return 2

    # Columns that are the same on every row go into the title, not the body.
    meta = ["period", "variable", "window", "sub_period", "earlier_period", "later_period",
            "share_definition", "n_cities"]
    const = {c: str(table[c].iloc[0]) for c in meta
             if c in table.columns and len(table) and table[c].nunique(dropna=False) == 1}
    hidden = ["quadrant", "share_high", "growth_high", "agglomeration_en", "leading_adcode",
              "top_k", *const]
    if args.within:
        hidden += ["adcode", by]
    for flag in ("qoq_flag", "yoy_flag"):
        if flag in table.columns and table[flag].isin(["ok", "before_data"]).all():
            hidden.append(flag)
    if "missing_members" in table.columns and not table["missing_members"].astype(bool).any():
        hidden += ["missing_members", "n_in_panel"]
    shown = table.drop(columns=[c for c in dict.fromkeys(hidden) if c in table.columns])
    from geodti.io.tables import LABELS_ZH
    labels = dict(LABELS_ZH)
    if "earlier_period" in table.columns and len(table):
        e, l_ = table["earlier_period"].iloc[0], table["later_period"].iloc[0]
        labels.update({"earlier_value": f"{e}指数", "earlier_rank": f"{e}排名",
                       "later_value": f"{l_}指数", "later_rank": f"{l_}排名"})
    if "top_k_share" in table.columns:
        labels["top_k_share"] = f"前{args.top_k}城市占比"
    shown = format_for_display(shown, labels=labels)
    if by == "layers":
        # One row per quarter, total and YoY side by side for each layer.
        wide = {"期间": table["period"].drop_duplicates().to_numpy()}
        for var in dict.fromkeys(shown["指标"]):
            part = shown[shown["指标"] == var]
            wide[f"{var}"] = part["指数合计"].to_numpy()
            wide[f"{var}同比"] = part["同比"].to_numpy()
        shown = pd.DataFrame(wide)
    title = f"geodti summary --by {by}" + (f" --within {args.within}" if args.within else "")
    title += "".join(f"  {k}={v}" for k, v in const.items()
                     if v and k not in ("n_cities", "earlier_period", "later_period"))
    right = [col for col in shown.columns if shown[col].str.match(r"^[+-]?[\d.]+%?$").sum() > 0]
    print_table(console, shown.columns, shown.itertuples(index=False, name=None), title=title,
                caption=caption or None, right=right)
    if args.out:
        path = write_table(table, args.out, format=args.format, sheet_name=f"summary_{by}")
        console.print(f"wrote {path}", highlight=False)
    return 0


def _add_run_command(commands) -> None:
    from geodti import defaults
    from geodti.run.config import RunConfig

    p = commands.add_parser(
        "run", help="the whole job: table -> maps, layers, tables and a report page",
        description="Read a city table (default: the bundled SYNTHETIC sample panel), match its "
                    "cities, compute summaries, statistics and diffusion, and write maps, GIS "
                    "layers, tables and index.html into --out.",
    )
    p.add_argument("table", nargs="?", help="city table (default: the bundled synthetic sample)")
    p.add_argument("--config", help="TOML file with the run's settings (flags override it)")
    # defaults None: a flag not given leaves the --config file's value (else RunConfig's)
    p.add_argument("--out", help=f"output folder (default: {RunConfig.out})")
    p.add_argument("--seed", type=int, help="random seed of the permutations and of the "
                   f"diffusion's parameter draws (default: {defaults.SEED})")
    p.add_argument("--permutations", type=int,
                   help=f"permutations for pseudo p-values (default: {defaults.PERMUTATIONS})")
    p.add_argument("--weights", help="comma-separated weights specs, e.g. queen,knn6,idw "
                   f"(default: {','.join(defaults.WEIGHTS)})")
    p.add_argument("--correction", choices=("none", "fdr", "bonferroni"),
                   help="multiple-testing correction for local statistics "
                        f"(default: {defaults.CORRECTION})")
    p.add_argument("--alpha", type=float, help=f"significance level (default: {defaults.ALPHA})")
    p.add_argument("--city-column", help="column of city names or adcodes (default: detected)")
    p.add_argument("--province-column", help="column of province names, if any")
    p.add_argument("--period-column", help="column of periods (default: detected)")
    p.add_argument("--sheet", help="XLSX sheet name or 0-based number (default: the first)")
    p.add_argument("--groups", help="a grouping table (adcode or city, group), e.g. city tiers")
    p.add_argument("--indicator-scores", metavar="FILE",
                   help="experts x indicators scores (1-5): TABLE holds raw indicators (a row per "
                        "city, period and indicator: columns indicator, value) and the run "
                        "builds the index by the report's method; needs --layer-scores")
    p.add_argument("--layer-scores", metavar="FILE", help="experts x layers scores (1-5)")
    p.add_argument("--framework", metavar="FILE",
                   help="indicator -> layer table (columns layer, indicator; default the "
                        "report's, data/dti_framework.csv)")
    p.add_argument("--base-period", help="base quarter of the normalisation "
                   f"(default: {RunConfig.base_period})")
    p.add_argument("--allow-unmatched", action="store_true", default=None,
                   help="keep going when some rows do not match a city (they are reported)")
    p.add_argument("--allow-county", action="store_true", default=None, help=ALLOW_COUNTY_HELP)
    p.add_argument("--force", action="store_true", default=None,
                   help="write into a non-empty folder that geodti did not create")
    p.add_argument("--jobs", type=int,
                   help="processes to use: 2 (the default with two or more CPUs) computes the "
                        "diffusion tables and draws the maps and figures in a second process; "
                        "1 runs everything in one. The outputs are the same either way")
    p.set_defaults(func=_run_run)


def _run_run(args) -> int:
    from rich.console import Console

    from geodti.run.config import RunConfig
    from geodti.run import run

    config = RunConfig.from_toml(args.config) if args.config else RunConfig()
    config = config.updated(
        table=args.table, out=args.out, seed=args.seed, permutations=args.permutations,
        weights=args.weights.split(",") if args.weights else None, correction=args.correction,
        alpha=args.alpha, city_column=args.city_column, province_column=args.province_column,
        period_column=args.period_column, sheet=args.sheet, groups=args.groups,
        allow_unmatched=args.allow_unmatched, allow_county=args.allow_county, force=args.force,
        indicator_scores=args.indicator_scores, layer_scores=args.layer_scores,
        framework=args.framework, base_period=args.base_period,
    )
    console = Console(stderr=True)

    def progress(name: str, index: int, total: int) -> None:
        console.print(f"[bold cyan][{index + 1}/{total}][/bold cyan] {name}")

    result = run(config, progress=progress, jobs=args.jobs)
    total = result.manifest["seconds"]
    out = Console()
    out.print(f"wrote {len(result.manifest['outputs'])} files to {result.out}/ in {total:.1f} s; "
              f"open {result.out / 'index.html'}")
    if result.context.synthetic:
        out.print("[yellow]input: the bundled SYNTHETIC sample (calibrated to published tables; "
                  "not the report's data)[/yellow]")
    return 0


def _add_sample_command(commands) -> None:
    p = commands.add_parser(
        "sample", help="list the bundled SYNTHETIC sample tables, or copy one out",
        description="Without NAME: list the bundled sample tables (SYNTHETIC data, invented "
                    "for demonstration). With NAME: copy that sample to --out. Any command "
                    "that reads a table also accepts sample:NAME, e.g. geodti run sample:raw "
                    "--indicator-scores sample:indicator-scores --layer-scores sample:layer-scores.",
    )
    p.add_argument("name", nargs="?", help="the sample to copy (default: list them)")
    p.add_argument("--out", help="file or existing folder to copy to (default: the sample's "
                                 "file name in the current folder)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=_run_sample)


def _run_sample(args) -> int:
    from geodti.errors import InputError
    from geodti.io.samples import SAMPLES, copy_sample

    if args.name is None:
        if args.out or args.force:
            raise InputError("--out and --force need a sample NAME; geodti sample lists them.")
        print("bundled samples (SYNTHETIC data, invented; not any real city's values):")
        width = max(map(len, SAMPLES))
        for sample in SAMPLES.values():
            print(f"  {sample.name:<{width}}  {sample.description}")
        print("copy one: geodti sample NAME --out FILE; or read it in place as sample:NAME")
        return 0
    target = copy_sample(args.name, args.out, force=args.force)
    print(f"wrote {target} (SYNTHETIC sample {args.name!r})")
    return 0


def add_diffusion_parser(sub) -> None:
    """``geodti diffusion TABLE``: east-to-west diffusion, convergence and inequality tables."""
    from geodti import defaults

    p = sub.add_parser(
        "diffusion", help="diffusion, convergence and inequality tables (centre, ellipse, "
                          "gradients, convergence, Markov, emerging hot spots, Dagum/Theil)",
        description="Per-period diffusion summary of a quarterly city panel and the detailed "
                    "tables: index-weighted centre and standard deviational ellipse, growth by "
                    "longitude band / region / Hu line / agglomeration, distance decay, sigma "
                    "and (spatial) beta convergence, Markov chains, emerging hot spots, Dagum "
                    "Gini and Theil decompositions. See docs/methods.md.",
    )
    p.add_argument("panel", metavar="TABLE",
                   help="quarterly city panel (CSV, XLSX, Parquet; long or wide)")
    add_panel_arguments(
        p, unmatched="leave rows whose city does not match out (with a note)")
    p.add_argument("--drop-incomplete", action="store_true",
                   help="leave out units missing in some period (listed) instead of stopping")
    p.add_argument("--by", default="region",
                   help="grouping of the inequality decompositions, sigma convergence and "
                        "fixed effects: region (default), agglomeration, hu_line, province, "
                        "longitude_band, or a column of --groups FILE")
    p.add_argument("--groups", metavar="FILE",
                   help="table with adcode (or city names) and the --by column, e.g. a tier table")
    p.add_argument("--variable", default="dti", help="index column (default dti)")
    p.add_argument("--weights", default=defaults.DIFFUSION_WEIGHTS,
                   help="spatial weights for the spatial Markov chain, Gi* and spatial models: "
                        "knnK, k nearest neighbours between the units' points (default %(default)s)")
    p.add_argument("--cores", default="上海,北京,深圳,广州",
                   help="core cities of the distance decay, names or adcodes separated by "
                        "commas (default 上海,北京,深圳,广州)")
    p.add_argument("--window", default="auto",
                   help="growth window, e.g. 2022Q1-2023Q1 (default: the latest five quarters "
                        "with a year-on-year growth)")
    p.add_argument("--ellipse", choices=["arcgis", "crimestat", "yuill"], default="arcgis",
                   help="standard deviational ellipse convention (default arcgis)")
    p.add_argument("--classes", type=int, default=5,
                   help="quantile classes of the Markov chains (default 5)")
    p.add_argument("--alpha", type=float, default=defaults.ALPHA,
                   help="significance level (default %(default)s)")
    p.add_argument("--draws", type=int, default=defaults.DRAWS,
                   help="parameter draws for the standard errors of spatial effects (default %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.SEED, help="seed of those draws (default %(default)s)")
    p.add_argument("--format", choices=["csv", "xlsx", "md"], default="csv",
                   help="tables as one CSV per table (default), one XLSX workbook or one "
                        "Markdown file")
    p.add_argument("--out", metavar="DIR",
                   help="write every table and the map layers (GeoJSON) into this folder")
    p.set_defaults(func=run_diffusion)


def run_diffusion(args) -> int:
    """Run ``geodti diffusion``: compute every table, print the summary, write with --out."""
    import re
    from pathlib import Path

    from rich.console import Console

    from geodti.io.groups import read_groups
    from geodti.errors import InputError, MethodError

    console, err = Console(), Console(stderr=True)
    m = re.fullmatch(r"knn(\d+)", args.weights.strip().lower())
    if not m or int(m.group(1)) < 1:
        raise InputError(f"--weights {args.weights!r}: use knnK, e.g. knn6.")
    k_neighbours = int(m.group(1))
    cores = [c.strip() for c in re.split(r"[,，]", args.cores) if c.strip()]
    try:
        from geodti.dynamics import default_weights, diffusion_tables
        panel = read_quarterly_panel(args, err, needs="diffusion needs a", left_out="left out",
                                     variable=args.variable)
        panel = panel[["adcode", "period", args.variable]]
        groups = read_groups(args.groups, args.by) if args.groups else None
        units = sorted(panel["adcode"].unique())
        graph = default_weights(units, k=k_neighbours)  # the knnK of geodti stats
        tables = diffusion_tables(
            panel, args.variable, by=args.by, groups=groups, weights=graph, cores=cores,
            window=args.window, convention=args.ellipse, k=args.classes, alpha=args.alpha,
            draws=args.draws, seed=args.seed, drop_incomplete=args.drop_incomplete)
    except MethodError as exc:
        print(f"geodti: error: {exc}", file=sys.stderr)
        return 2
    label = f"knn{k_neighbours}"
    for name, table in tables.items():
        if name not in ("layers", "notes") and "weights" in table.columns:
            table["weights"] = label

    summary = tables["summary"]
    shown = [("period", "期间", "{}"), ("centre_lon", "重心经度", "{:.3f}"),
             ("centre_lat", "重心纬度", "{:.3f}"), ("westward_shift_km", "累计西移km", "{:.1f}"),
             ("ellipse_area_km2", "椭圆面积万km²", "{:.0f}"), ("share_nw", "胡线西北占比", "{:.2%}"),
             ("sigma_sd_log", "σ(ln)", "{:.3f}"), ("gini", "Gini", "{:.3f}"),
             ("gini_share_within", "组内", "{:.1%}"), ("gini_share_net_between", "组间", "{:.1%}"),
             ("gini_share_transvariation", "超变", "{:.1%}")]
    rows = []
    for rec in summary.to_dict("records"):
        cells = []
        for col, _, fmt in shown:
            v = rec[col]
            if col == "ellipse_area_km2":
                v = v / 1e4
            cells.append("" if v is None or (isinstance(v, float) and v != v) else fmt.format(v))
        rows.append(cells)
    heads = [head for _, head, _ in shown]
    print_table(console, heads, rows, right=heads[1:],
                title=f"geodti diffusion  variable={args.variable}  groups={args.by}  "
                      f"weights={label}")
    ranked = summary.dropna(subset=["region_growth_ranking"])
    if len(ranked):
        last = ranked.iloc[-1]
        console.print(f"区域增速排序 {last['period']} (同比): {last['region_growth_ranking']}",
                      highlight=False)
    beta = tables["beta"]
    for rec in beta.to_dict("records"):
        console.print(f"beta convergence ({rec['model']}): beta={rec['beta']:.4f} "
                      f"(se {rec['beta_se']:.4f}), speed {rec['speed']:.2%}/year, half-life "
                      f"{rec['half_life_years']:.1f} years", highlight=False)
    counts = tables["emerging_hotspots"]["pattern"].value_counts()
    console.print("emerging hot spots: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
                  highlight=False)
    for note in tables["notes"]:
        err.print(f"note: {note}", highlight=False)
    if args.out:
        from geodti.io.atomic import write_text
        from geodti.io.tables import write_tables

        out = Path(args.out)
        named = {k: v for k, v in tables.items() if k not in ("layers", "notes")}
        if args.format == "csv":
            written = write_tables(named, out)
        else:
            written = write_tables(named, out / f"diffusion.{args.format}")
        from geodti.io.paths import output_path

        for name, layer in tables["layers"].items():
            written.append(write_text(output_path(out, f"diffusion_{name}.geojson"),
                                      layer.to_json(drop_id=True, ensure_ascii=False)))
        written.append(write_text(out / "diffusion_notes.txt",
                                  "".join(f"{n}\n" for n in tables["notes"])))
        console.print(f"wrote {len(written)} files to {out}", highlight=False)
    return 0


def add_stats_parser(sub) -> None:
    """``geodti stats TABLE``: global, robustness and local spatial statistics of a panel."""
    from geodti import defaults

    p = sub.add_parser(
        "stats", help="spatial statistics: Moran's I, Geary's C, General G, LISA, Gi*, local Geary",
        description="Global statistics per weights, period and variable; Moran's I across weights "
                    "(robustness); LISA, Gi* and local Geary per city (with FDR/Bonferroni "
                    "corrections) ready to join to the map layers. One set of permutations, built "
                    "from --seed, serves every period, variable and statistic.",
    )
    add_table_arguments(p)
    p.add_argument("--allow-unmatched", action="store_true",
                   help="leave rows whose city does not match out (listed in excluded.csv)")
    p.add_argument("--allow-county", action="store_true", help=ALLOW_COUNTY_HELP)
    p.add_argument("--weights", default=",".join(defaults.WEIGHTS),
                   help="comma-separated weights specs (default %(default)s): queen, rook, knnK, idw, "
                        "idw2, idw:KM, bandKM, kernel[:NAME[:kK|:KM]], block, econ:COLUMN, nested:COLUMN:PHI")
    p.add_argument("--local-weights", help="specs for the local table (default: the first of --weights)")
    p.add_argument("--permutations", type=int, default=defaults.PERMUTATIONS,
                   help="permutations (default %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.SEED,
                   help="seed of the permutations (default %(default)s)")
    p.add_argument("--alternative", default="directed",
                   choices=["directed", "two-sided", "greater", "lesser", "folded"],
                   help="pseudo p-value alternative (default directed, as esda 2.8 and GeoDa)")
    p.add_argument("--correction", default=defaults.CORRECTION, choices=["fdr", "bonferroni", "none"],
                   help="multiple-testing correction of the cluster labels (default %(default)s)")
    p.add_argument("--alpha", type=float, default=defaults.ALPHA,
                   help="significance level (default %(default)s)")
    p.add_argument("--variables", help="comma-separated variables (default: every value column)")
    p.add_argument("--periods", help="comma-separated periods (default: all)")
    p.add_argument("--local", default="lisa,gi_star,local_geary",
                   help="local statistics (default lisa,gi_star,local_geary)")
    p.add_argument("--gi-inference", default="permutation", choices=["permutation", "analytic"],
                   help="Gi* hot/cold bins from the pseudo p (default) or the analytic z")
    p.add_argument("--bivariate", action="append", metavar="X:Y",
                   help="bivariate Moran of X against the lag of Y (repeat for several)")
    p.add_argument("--join-counts", choices=["binary", "median", "mean"],
                   help="join counts of 0/1 variables (binary) or of above-median/mean indicators")
    p.add_argument("--island-policy", default="auto", choices=["auto", "attach", "keep", "drop"],
                   help="units without neighbours and detached components (default auto: attach to "
                        "the nearest unit for geographic weights, keep for block and kernel weights)")
    p.add_argument("--k-attach", type=int, default=1, help="links per attached island/component (default 1)")
    p.add_argument("--on-budget", default="warn", choices=["warn", "raise", "ignore"],
                   help="too few permutations for the corrected alpha: warn (default), refuse, ignore")
    p.add_argument("--missing", default="raise", choices=["raise", "drop"],
                   help="units with missing values: error (default) or leave them out (listed)")
    p.add_argument("--units", metavar="FILE",
                   help="own unit layer (GeoPackage/GeoJSON polygons with adcode, or CSV with adcode,lon,lat) "
                        "instead of the bundled cities; the table's city column then holds its adcodes")
    p.add_argument("--contiguity", metavar="FILE", help="own neighbour pairs (CSV with two adcode columns)")
    p.add_argument("--format", choices=["csv", "xlsx"], default="csv",
                   help="csv: one file per table in --out (default); xlsx: one workbook")
    p.add_argument("--out", default="maps/stats", help="output folder (default maps/stats)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder not made by geodti")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_stats)


def run_stats(args) -> int:
    """Run ``geodti stats``: read, compute every table, write them. Returns the exit code."""
    import warnings

    import pandas as pd
    from rich.console import Console

    from geodti.errors import InputError
    from geodti.io.outdir import prepare_output_dir
    from geodti.io.panel import read_panel
    from geodti.io.read import check_input_file
    from geodti.io.tables import write_tables
    from geodti.spatial.pipeline import spatial_tables

    console, err = Console(), Console(stderr=True)
    units = contiguity = None
    for flag, path in (("--units", args.units), ("--contiguity", args.contiguity)):
        if path:
            check_input_file(path, flag)
    if args.units:
        # an own unit layer: the table's city column holds that layer's codes (no name matching)
        raw = read_table_from_args(args)
        raw = raw.rename(columns={"city": "adcode"})
        raw["adcode"] = raw["adcode"].astype(str).str.strip()
    else:
        raw = read_panel(args.table, sheet=args.sheet, encoding=args.encoding, header_row=args.header_row,
                         city_column=args.city_column, province_column=args.province_column,
                         period_column=args.period_column, value_columns=args.value_columns, layout=args.layout,
                         period=args.period, value_name=args.value_name, allow_unmatched=args.allow_unmatched,
                         allow_county=args.allow_county)
    if args.units:
        if args.units.lower().endswith((".csv", ".txt")):
            units = pd.read_csv(args.units, dtype={"adcode": str})
        else:
            import geopandas as gpd

            units = gpd.read_file(args.units)
        if "adcode" not in units.columns:
            raise InputError(f"--units {args.units}: needs an 'adcode' column")
        units["adcode"] = units["adcode"].astype(str)
    if args.contiguity:
        contiguity = pd.read_csv(args.contiguity, dtype=str)
    bivariate = None
    if args.bivariate:
        bivariate = []
        for item in args.bivariate:
            if item.count(":") != 1:
                raise InputError(f"--bivariate {item!r}: write it as X:Y (two variable names)")
            bivariate.append(tuple(item.split(":")))
    out = prepare_output_dir(args.out, force=args.force)
    progress = not args.no_progress and sys.stderr.isatty()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tables = spatial_tables(
            raw, args.weights, local_weights=args.local_weights, units=units, contiguity=contiguity,
            variables=args.variables, periods=args.periods, permutations=args.permutations, seed=args.seed,
            alternative=args.alternative, correction=args.correction, alpha=args.alpha,
            island_policy=args.island_policy, k_attach=args.k_attach,
            local_statistics_=[s.strip() for s in args.local.split(",") if s.strip()],
            gi_inference=args.gi_inference, bivariate=bivariate, join_counts=args.join_counts,
            on_budget=args.on_budget, missing=args.missing, progress=progress,
        )
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, FutureWarning)):
            continue
        err.print(f"warning: {w.message}", highlight=False)
    if args.format == "xlsx":
        written = write_tables(tables, out / "stats.xlsx")
    else:
        written = write_tables(tables, out)
    g = tables["global"]
    moran = g[g["statistic"] == "moran"]
    console.print(f"[bold]Moran's I[/bold] ({args.permutations} permutations, seed {args.seed}):")
    for label, part in moran.groupby("weights", sort=False):
        vals = ", ".join(f"{r.variable} {r.period} {r.value:.3f} (p_sim {r.p_sim:.4f})"
                         for r in part.head(4).itertuples())
        console.print(f"  {label}: {vals}{' ...' if len(part) > 4 else ''}", highlight=False)
    for _, row in tables["weights"].iterrows():
        if row["notes"]:
            console.print(f"  weights {row['weights']}: {row['notes']}", highlight=False)
    loc = tables["local"]
    if len(loc):
        counts = loc[loc["cluster"] != "not_significant"].groupby(["statistic", "cluster"]).size()
        listed = ", ".join(f"{s} {c} {n}" for (s, c), n in counts.items()) or "none significant"
        console.print(f"local clusters ({args.correction}, alpha {args.alpha}): {listed}", highlight=False)
    if len(tables["excluded"]):
        err.print(f"note: {len(tables['excluded'])} unit(s) left out; see excluded.csv", highlight=False)
    for path in written:
        console.print(f"wrote {path}", highlight=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from geodti.errors import InputError, MatchError, MethodError

    try:
        return args.func(args)
    except InputError as exc:  # unreadable or invalid input
        print(f"geodti: error: {exc}", file=sys.stderr)
        return 2
    except MatchError as exc:  # the run finished but rows could not be resolved
        print(f"geodti: {exc}", file=sys.stderr)
        return 1
    except MethodError as exc:  # the data or settings violate a method's assumptions
        print(f"geodti: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: temporary files are already removed on the way here
        print("geodti: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
