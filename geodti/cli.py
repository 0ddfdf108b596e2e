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
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
