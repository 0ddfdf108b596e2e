"""``geodti aggregate TABLE --to LEVEL``: a county or city table summed or averaged up a level."""

from __future__ import annotations

import argparse

from geodti.cli.arguments import add_table_arguments, table_options


def add_parser(subparsers) -> argparse.ArgumentParser:
    from geodti.index.aggregate import HOW
    from geodti.io.tables import FORMATS

    p = subparsers.add_parser(
        "aggregate", help="aggregate a county or city table up to cities, provinces, "
                          "agglomerations or regions",
        description="Aggregate a county- or city-level table up a level: counties to cities "
                    "and provinces, cities to provinces, agglomerations and NBS regions. Say "
                    "how each variable adds up: sum (additive: GDP, population, the DTI in per "
                    "cent of the national total), mean, or weighted_mean with --weight "
                    "(intensive: rates, scores). A larger unit missing some of its units in a "
                    "period gets no value and is listed (exit code 0; --out writes the table).",
    )
    add_table_arguments(
        p, table_help="county- or city-level table (CSV, XLSX, Parquet; long or wide)",
        shape=True, unmatched="leave rows that do not match a unit out (with a note)")
    p.add_argument("--to", required=True,
                   choices=("city", "province", "agglomeration", "region"),
                   help="the larger level")
    p.add_argument("--how", default="sum", choices=HOW,
                   help="how every variable adds up (default sum); --how-of overrides it per variable")
    p.add_argument("--how-of", action="append", default=[], metavar="VARIABLE=HOW",
                   help="how one variable adds up, e.g. score=weighted_mean (repeat)")
    p.add_argument("--weight", metavar="COLUMN",
                   help="weight column of weighted_mean (e.g. population); itself summed")
    p.add_argument("--keep-incomplete", action="store_true",
                   help="give a larger unit missing some of its units the sum or mean of those "
                        "present (flagged complete=False) instead of no value")
    p.add_argument("--format", choices=FORMATS, help="output format (default from the --out suffix)")
    p.add_argument("--out", metavar="PATH", help="write the aggregated table here (CSV, XLSX or Markdown)")
    return p


def run(args: argparse.Namespace) -> int:
    from geodti.cli import output
    from geodti.errors import InputError
    from geodti.index.aggregate import aggregate_up
    from geodti.io.panel import read_panel
    from geodti.io.tables import write_table
    from geodti.schema import schema_of

    console = output.console()
    err = output.console(stderr=True)
    panel = read_panel(args.table, **table_options(args))
    unmatched = panel["adcode"].isna()
    if unmatched.any():
        err.print(f"note: {int(unmatched.sum())} rows that do not match a unit are left out "
                  "(geodti match lists them).", highlight=False)
        panel = panel.loc[~unmatched].reset_index(drop=True)
    schema = schema_of(panel)
    values = [v for v in schema.value_columns if v != args.weight]
    how = {v: args.how for v in values}
    for spec in args.how_of:
        variable, _, rule = spec.partition("=")
        if variable not in how or not rule:
            raise InputError(f"--how-of {spec!r}: write VARIABLE=HOW with a value column "
                             f"({', '.join(values)}) and sum, mean or weighted_mean.")
        how[variable] = rule
    made = aggregate_up(panel, args.to, how=how, weight=args.weight, variables=values,
                        incomplete="keep" if args.keep_incomplete else "missing")
    table = made.panel
    console.print(f"{args.table}: {schema.level} level, {panel['adcode'].nunique()} units -> "
                  f"{len(table.drop_duplicates(table.columns[0]))} {args.to} units x "
                  f"{table['period'].nunique()} periods "
                  f"({', '.join(f'{v} {r}' for v, r in how.items())})", highlight=False)
    if len(made.missing):
        lacking = made.missing
        first = lacking.drop_duplicates([args.to, "adcode"]).head(20)
        listing = "; ".join(f"{getattr(r, args.to)} lacks {r.adcode} {r.name} ({r.reason}, "
                            f"e.g. {r.period})" for r in first.itertuples())
        err.print(f"note: {lacking[args.to].nunique()} {args.to} units lack some of their "
                  f"{schema.level}-level units in {len(lacking)} unit-periods"
                  f"{' and keep the sum or mean of the others' if args.keep_incomplete else ' and get no value'}: "
                  f"{listing}", highlight=False)
    if args.out:
        path = write_table(table, args.out, format=args.format, sheet_name=f"aggregate_{args.to}")
        console.print(f"wrote {path}", highlight=False)
    else:
        output.print_table(console, table.columns, table.head(40).astype(str).itertuples(index=False, name=None),
                           title=f"geodti aggregate --to {args.to} (first 40 rows; --out for all)")
    return 0
