"""``geodti stats TABLE``: global, robustness and local spatial statistics of a panel."""

from __future__ import annotations

import argparse
import sys

from geodti.cli.arguments import add_table_arguments, read_table_from_args, table_options


def local_names(text: str | None) -> tuple[str, ...]:
    """``--local``: names of the local-statistics registry (its defaults when not given)."""
    from geodti.errors import InputError
    from geodti.spatial.registry import DEFAULT_LOCAL_STATISTICS, LOCAL_STATISTICS

    if text is None:
        return DEFAULT_LOCAL_STATISTICS
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in names if s not in LOCAL_STATISTICS]
    if bad or not names:
        raise InputError(f"--local {text!r}: unknown local statistic(s) {', '.join(bad) or '(none given)'}; "
                         f"choose from {', '.join(LOCAL_STATISTICS)}")
    return names


def add_parser(subparsers) -> argparse.ArgumentParser:
    from geodti import defaults
    from geodti.spatial.local import CORRECTIONS
    from geodti.spatial.registry import DEFAULT_LOCAL_STATISTICS, LOCAL_STATISTICS
    from geodti.spatial import ALTERNATIVES
    from geodti.spatial.weights import ISLAND_POLICIES, SPEC_HELP

    p = subparsers.add_parser(
        "stats", help="spatial statistics: Moran's I, Geary's C, General G, LISA, Gi*, local Geary",
        description="Global statistics per weights, period and variable; Moran's I across weights "
                    "(robustness); LISA, Gi* and local Geary per city (with FDR/Bonferroni "
                    "corrections) ready to join to the map layers. One set of permutations, built "
                    "from --seed, serves every period, variable and statistic.",
    )
    add_table_arguments(p, table_help="city table: .csv, .tsv, .txt, .xlsx, .xlsm, .parquet",
                        shape=True,
                        unmatched="leave rows whose city does not match out (listed in excluded.csv)")
    p.add_argument("--weights", default=",".join(defaults.WEIGHTS),
                   help=f"comma-separated {SPEC_HELP} (default %(default)s)")
    p.add_argument("--local-weights", help="specs for the local table (default: the first of --weights)")
    p.add_argument("--permutations", type=int, default=defaults.PERMUTATIONS,
                   help="permutations (default %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.SEED,
                   help="seed of the permutations (default %(default)s)")
    p.add_argument("--alternative", default=ALTERNATIVES[0], choices=ALTERNATIVES,
                   help="pseudo p-value alternative (default directed, as esda 2.8 and GeoDa)")
    p.add_argument("--correction", default=defaults.CORRECTION, choices=CORRECTIONS,
                   help="multiple-testing correction of the cluster labels (default %(default)s)")
    p.add_argument("--alpha", type=float, default=defaults.ALPHA,
                   help="significance level (default %(default)s)")
    p.add_argument("--variables", help="comma-separated variables (default: every value column)")
    p.add_argument("--periods", help="comma-separated periods (default: all)")
    p.add_argument("--local", metavar="NAMES",
                   help=f"comma-separated local statistics of the registry geodti.spatial.registry: "
                        f"{', '.join(LOCAL_STATISTICS)} (default: its defaults, "
                        f"{','.join(DEFAULT_LOCAL_STATISTICS)})")
    p.add_argument("--gi-inference", default="permutation", choices=["permutation", "analytic"],
                   help="Gi* hot/cold bins from the pseudo p (default) or the analytic z")
    p.add_argument("--bivariate", action="append", metavar="X:Y",
                   help="bivariate Moran and bivariate LISA (lisa_bv rows of the local table) of X "
                        "against the lag of Y (repeat for several; X:Y and Y:X for both ways)")
    p.add_argument("--join-counts", choices=["binary", "median", "mean"],
                   help="join counts of 0/1 variables (binary) or of above-median/mean indicators")
    p.add_argument("--island-policy", default="auto", choices=ISLAND_POLICIES,
                   help="units without neighbours and detached components (default auto: attach to "
                        "the nearest unit for geographic weights, keep for block and kernel weights)")
    p.add_argument("--k-attach", type=int, default=1, help="links per attached island/component (default 1)")
    p.add_argument("--on-budget", default="warn", choices=["warn", "raise", "ignore"],
                   help="too few permutations for the corrected alpha: warn (default), refuse, ignore")
    # error / drop-units: the words of geodti run --missing; raise / drop: the earlier names
    p.add_argument("--missing", default="error", choices=["error", "drop-units", "raise", "drop"],
                   help="units with missing values: error (default) or leave them out "
                        "(drop-units; listed)")
    p.add_argument("--units", metavar="FILE",
                   help="own unit layer (GeoPackage/GeoJSON polygons with adcode, or CSV with adcode,lon,lat) "
                        "instead of the bundled cities; the table's city column then holds its adcodes")
    p.add_argument("--contiguity", metavar="FILE", help="own neighbour pairs (CSV with two adcode columns)")
    p.add_argument("--format", choices=["csv", "xlsx"], default="csv",
                   help="csv: one file per table in --out (default); xlsx: one workbook")
    p.add_argument("--out", default="maps/stats", help="output folder (default maps/stats)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder not made by geodti")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--scheduler", metavar="dask://HOST:PORT",
                   help="run the permutations on this Dask cluster (pip install 'geodti[dask]'); "
                        "the numbers are the same as on one machine")
    return p


def run(args: argparse.Namespace) -> int:
    """Read, compute every table, write them. Returns the exit code."""
    import warnings

    import pandas as pd
    from geodti.cli import output

    from geodti.errors import InputError
    from geodti.io.outdir import folders_created_by, prepare_output_dir, remove_unused_folders
    from geodti.io.panel import read_panel
    from geodti.io.read import check_input_file
    from geodti.io.tables import write_tables
    from geodti.spatial.pipeline import spatial_tables

    console, err = output.console(), output.console(stderr=True)
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
        raw = read_panel(args.table, **table_options(args))
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
    client = None
    if args.scheduler:
        from geodti.spatial.executor import connect

        client = connect(args.scheduler)  # before --out is made: an unreachable scheduler leaves nothing
    made = folders_created_by(args.out)
    finished = False
    try:
        out = prepare_output_dir(args.out, force=args.force)
        progress = not args.no_progress and sys.stderr.isatty()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tables = spatial_tables(
                raw, args.weights, local_weights=args.local_weights, units=units, contiguity=contiguity,
                variables=args.variables, periods=args.periods, permutations=args.permutations, seed=args.seed,
                alternative=args.alternative, correction=args.correction, alpha=args.alpha,
                island_policy=args.island_policy, k_attach=args.k_attach,
                local_statistics_=local_names(args.local),
                gi_inference=args.gi_inference, bivariate=bivariate, join_counts=args.join_counts,
                on_budget=args.on_budget,
                missing="drop" if args.missing in ("drop", "drop-units") else "raise",
                progress=progress, client=client,
            )
        finished = True
    finally:
        if client is not None:
            client.close()
        if not finished:  # e.g. a Dask worker died: a folder this command made stays only if used
            remove_unused_folders(made)
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
