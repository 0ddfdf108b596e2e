"""``geodti run [TABLE]``: the whole job, table -> maps, layers, tables and a report page."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from geodti.cli.arguments import add_table_arguments, table_options


def add_parser(subparsers) -> argparse.ArgumentParser:
    from geodti import defaults
    from geodti.io.panel import MISSING
    from geodti.run.config import RunConfig
    from geodti.spatial.local import CORRECTIONS

    p = subparsers.add_parser(
        "run", help="the whole job: table -> maps, layers, tables and a report page",
        description="Read a city table (default: the bundled SYNTHETIC sample panel), match its "
                    "cities, compute summaries, statistics and diffusion, and write maps, GIS "
                    "layers, tables and index.html into --out.",
    )
    add_table_arguments(p, table_help="city table (default: the bundled synthetic sample)",
                        optional=True, shape=True,
                        unmatched="keep going when some rows do not match a city (they are "
                                  "reported)")
    # defaults None: a flag not given leaves the --config file's value (else RunConfig's)
    p.set_defaults(allow_unmatched=None, allow_county=None, layout=None, value_name=None)
    p.add_argument("--missing", choices=MISSING,
                   help="missing values: stop and name the cells (error), leave out those rows "
                        "(drop-unit-periods) or those cities (drop-units); the rows left out are "
                        "listed in tables/input_dropped.csv (default: error)")
    p.add_argument("--config", help="TOML file with the run's settings (flags override it)")
    p.add_argument("--out", help=f"output folder (default: {RunConfig.out})")
    p.add_argument("--seed", type=int, help="random seed of the permutations and of the "
                   f"diffusion's parameter draws (default: {defaults.SEED})")
    p.add_argument("--permutations", type=int,
                   help=f"permutations for pseudo p-values (default: {defaults.PERMUTATIONS})")
    p.add_argument("--weights", help="comma-separated weights specs, e.g. queen,knn6,idw "
                   f"(default: {','.join(defaults.WEIGHTS)})")
    p.add_argument("--correction", choices=CORRECTIONS,
                   help="multiple-testing correction for local statistics "
                        f"(default: {defaults.CORRECTION})")
    p.add_argument("--alpha", type=float, help=f"significance level (default: {defaults.ALPHA})")
    p.add_argument("--groups", help="a grouping table (adcode or city, group), e.g. city tiers")
    p.add_argument("--indicator-scores", metavar="FILE",
                   help="experts x indicators scores (1-5): TABLE holds raw indicators (a row per "
                        "city, period and indicator: columns indicator, value) and the run "
                        "builds the index by the report's method; needs --layer-scores")
    p.add_argument("--layer-scores", metavar="FILE", help="experts x layers scores (1-5)")
    p.add_argument("--framework", metavar="FILE",
                   help="indicator -> layer table (columns layer, indicator; default the "
                        "report's, data/dti_framework.csv)")
    p.add_argument("--base-period", help="base period of the normalisation, of the table's "
                   "frequency: 2021Q1, 2021 (annual), 2021-01 (monthly) (default: the report's "
                   "2021Q1 for a quarterly table, else the table's earliest period)")
    p.add_argument("--second", metavar="TABLE",
                   help="a second index (e.g. future industries), read and matched like TABLE: the run "
                        "adds its correlation, bivariate Moran both ways and bivariate LISA with the "
                        "main index (sample:second is a SYNTHETIC one)")
    p.add_argument("--second-variable", metavar="COLUMN",
                   help="the second index's value column (default: the second table's first); "
                        "without --second, a second value column of TABLE")
    p.add_argument("--force", action="store_true", default=None,
                   help="write into a non-empty folder that geodti did not create")
    p.add_argument("--jobs", type=int,
                   help="processes to use: 2 (the default with two or more CPUs) computes the "
                        "diffusion tables and draws the maps and figures in a second process; "
                        "1 runs everything in one. The outputs are the same either way")
    p.add_argument("--scheduler", metavar="dask://HOST:PORT",
                   help="run the permutation tests on this Dask cluster (pip install "
                        "'geodti[dask]'); the numbers are the same as on one machine")
    return p


class Terminated(BaseException):
    """SIGTERM reached the run: unwinds it as Ctrl-C does (temporary files removed, the
    second process stopped), outside ``except Exception``."""


#: Set by SIGTERM. The raise alone is not enough: landing in a finaliser (``__del__``, a
#: weakref callback) it is printed as "Exception ignored" and swallowed, and the run went on
#: to exit 0; the start of the next step raises again.
_SIGNALLED = threading.Event()


def _terminate(signum, frame):
    _SIGNALLED.set()
    raise Terminated


def run(args: argparse.Namespace) -> int:
    from geodti.cli import output

    from geodti.run.config import RunConfig
    from geodti.run import run as run_job
    from geodti.run.runner import CALIBRATED_SAMPLES

    config = RunConfig.from_toml(args.config) if args.config else RunConfig()
    reading = table_options(args)
    # the run calls its value columns "variables" (its configuration key)
    variables = reading.pop("value_columns")
    config = config.updated(
        table=args.table, out=args.out, seed=args.seed, permutations=args.permutations,
        weights=args.weights.split(",") if args.weights else None, correction=args.correction,
        alpha=args.alpha, groups=args.groups, force=args.force,
        indicator_scores=args.indicator_scores, layer_scores=args.layer_scores,
        second=args.second, second_variable=args.second_variable,
        framework=args.framework, base_period=args.base_period, missing=args.missing,
        variables=variables, **reading,
    )
    console = output.console(stderr=True)

    def progress(name: str, index: int, total: int) -> None:
        if _SIGNALLED.is_set():  # a SIGTERM whose raise was swallowed (see _SIGNALLED)
            raise Terminated
        console.print(f"[bold cyan][{index + 1}/{total}][/bold cyan] {name}")

    def notice(text: str) -> None:
        print(f"geodti: note: {text}", file=sys.stderr)

    # SIGTERM (kill, a service manager) ends the run in order; only the main thread may
    # set a handler (the run called from another thread keeps the default)
    main_thread = threading.current_thread() is threading.main_thread()
    _SIGNALLED.clear()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        result = run_job(config, progress=progress, jobs=args.jobs, notice=notice,
                         scheduler=args.scheduler)
    except Terminated:
        print("geodti: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    total = result.manifest["seconds"]
    out = output.console()
    out.print(f"wrote {len(result.manifest['outputs'])} files to {result.out}/ in {total:.1f} s; "
              f"open {result.out / 'index.html'}")
    if result.context.synthetic:  # only the city samples are calibrated to published tables
        calibrated = result.context.input_path.name in CALIBRATED_SAMPLES
        out.print("[yellow]input: the bundled SYNTHETIC sample ("
                  + ("calibrated to published tables; " if calibrated else "invented; ")
                  + "not the report's data)[/yellow]")
    return 0
