"""Command-line interface: the only place that parses flags and prints.

One module per command, each with ``add_parser(subparsers)`` (returns the command's parser)
and ``run(args)`` (returns the exit code), listed once in :data:`COMMANDS`; a new command is
one module and one entry there. :func:`main` is the only error handler.

Exit codes: 0 success; 1 the run finished but found rows it could not resolve
(ambiguous or unmatched cities) or a check failed; 2 unreadable or invalid input.
"""

from __future__ import annotations

import argparse
import sys

from geodti import __version__
from geodti.cli import aggregate, diffusion, export, match, model, read, run, sample, stats, summary
from geodti.cli.arguments import DefaultsHelpFormatter

__all__ = ["COMMANDS", "build_parser", "main"]

#: every command, in the order ``geodti --help`` lists them
COMMANDS = {
    "read": read,
    "match": match,
    "run": run,
    "sample": sample,
    "summary": summary,
    "diffusion": diffusion,
    "export": export,
    "stats": stats,
    "aggregate": aggregate,
    "model": model,
}


def build_parser() -> argparse.ArgumentParser:
    """The ``geodti`` parser with one subcommand per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="geodti",
        description="Spatial analysis of city-level digital transformation indices.",
    )
    parser.add_argument("--version", action="version", version=f"geodti {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        command = module.add_parser(commands)
        command.formatter_class = DefaultsHelpFormatter
        command.set_defaults(func=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``geodti`` with ``argv`` (default: the process's arguments); return the exit code."""
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

