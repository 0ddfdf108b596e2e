"""``geodti model TABLE --y COLUMN --x COLUMNS``: spatial panel models of a city panel."""

from __future__ import annotations

import argparse

from geodti.cli.arguments import add_table_arguments, table_options


def _names(text: str, flag: str) -> list[str]:
    from geodti.errors import InputError

    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise InputError(f"{flag} {text!r}: name at least one column.")
    return names


def add_parser(subparsers) -> argparse.ArgumentParser:
    from geodti import defaults
    from geodti.model import MODELS
    from geodti.spatial.weights import SPEC_HELP

    p = subparsers.add_parser(
        "model", help="spatial panel models: SAR, SEM, SDM, SAC with fixed or random effects",
        description="Spatial panel econometrics of a value column on covariates: coefficient "
                    "tables as papers print them (CSV, Markdown, LaTeX), model fit, LM, LR/Wald "
                    "and Hausman tests, direct/indirect/total effects with simulated standard "
                    "errors. Formulas: docs/methods.md.")
    add_table_arguments(p, table_help="city panel: a row per city and period with the columns",
                        unmatched="leave rows whose city does not match out (counted on stderr)")
    p.add_argument("--y", required=True, dest="dependent", metavar="COLUMN",
                   help="the dependent variable's column")
    p.add_argument("--x", required=True, dest="covariates", metavar="COLUMNS",
                   help="comma-separated covariate columns")
    p.add_argument("--models", default="ols,sar,sem,sdm",
                   help=f"comma-separated models of {', '.join(MODELS)} (default %(default)s)")
    p.add_argument("--effects", default="twoway",
                   choices=["none", "unit", "time", "twoway", "random"],
                   help="fixed effects (unit, time, twoway), none (pooled) or unit random effects "
                        "(default %(default)s)")
    p.add_argument("--no-lee-yu", action="store_true",
                   help="two-way effects without the Lee & Yu (2010) bias correction")
    p.add_argument("--weights", default=defaults.WEIGHTS[0], help=f"one {SPEC_HELP} (default %(default)s)")
    p.add_argument("--draws", type=int, default=defaults.DRAWS,
                   help="parameter draws for the effects' standard errors (default %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.SEED, help="seed of the draws (default %(default)s)")
    p.add_argument("--balance", action="store_true",
                   help="leave out cities missing in some periods (listed in excluded.csv) "
                        "instead of refusing the unbalanced panel")
    p.add_argument("--out", default="maps/model", help="output folder (default %(default)s)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder not made by geodti")
    return p


def run(args: argparse.Namespace) -> int:
    """Read, estimate, write. Returns the exit code."""
    from geodti.cli import output
    from geodti.errors import InputError
    from geodti.io.model_tables import write_model_tables
    from geodti.io.outdir import prepare_output_dir
    from geodti.io.panel import read_panel
    from threadpoolctl import threadpool_limits

    from geodti.model import model_data, model_weights, spatial_panel_models
    from geodti.spatial.weights import parse_weights_spec

    err = output.console(stderr=True)
    covariates = _names(args.covariates, "--x")
    models = _names(args.models, "--models")
    if "," in args.weights:
        raise InputError(f"--weights {args.weights!r}: a model takes one weights spec.")
    spec = parse_weights_spec(args.weights)
    raw = read_panel(args.table, **table_options(args))
    unmatched = raw["adcode"].isna()
    if unmatched.any():
        err.print(f"note: {int(unmatched.sum())} rows whose city did not match are left out "
                  "(geodti match lists them).", highlight=False)
        raw = raw.loc[~unmatched].reset_index(drop=True)
    # the units the model keeps, then the weights on exactly those
    units_kept = model_data(raw, args.dependent, covariates, balance=args.balance).units
    weights = model_weights(raw, spec, units_kept, source=str(args.table))
    for note in weights.notes:
        err.print(f"note: weights: {note}", highlight=False)
    # one BLAS thread, as geodti run uses: on a busy 2-CPU machine two threads made the
    # benchmark 3.4x slower (benchmarks/results/model.md); the numbers are the same
    with threadpool_limits(limits=1):
        tables = spatial_panel_models(raw, args.dependent, covariates, weights, models=models,
                                      effects=args.effects, lee_yu=not args.no_lee_yu,
                                      draws=args.draws, seed=args.seed, balance=args.balance)
    if not tables["excluded"].empty:
        err.print(f"note: {len(tables['excluded'])} cities missing in some periods were left "
                  "out (--balance; listed in excluded.csv).", highlight=False)
    out = prepare_output_dir(args.out, force=args.force)
    caption = f"{args.dependent}: spatial panel models, {args.effects} effects, weights {weights.label}"
    written = write_model_tables(tables, out, caption=caption)
    output.console().print(tables["table"].to_string(index=False))
    err.print(f"wrote {len(written)} files to {out}", highlight=False)
    return 0
