"""``geodti sample [NAME]``: list the bundled SYNTHETIC sample tables, or copy one out."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    from geodti.io.samples import SAMPLES

    p = subparsers.add_parser(
        "sample", help="list the bundled SYNTHETIC sample tables, or copy one out",
        description="Without NAME: list the bundled sample tables (SYNTHETIC data, invented "
                    "for demonstration). With NAME: copy that sample to --out. Any command "
                    "that reads a table also accepts sample:NAME, e.g. geodti run sample:raw "
                    "--indicator-scores sample:indicator-scores --layer-scores sample:layer-scores.",
    )
    p.add_argument("name", nargs="?", help=f"the sample to copy: {', '.join(SAMPLES)} (default: list them)")
    p.add_argument("--out", help="file or existing folder to copy to (default: the sample's "
                                 "file name in the current folder)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    return p


def run(args: argparse.Namespace) -> int:
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
