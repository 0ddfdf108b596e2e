"""Compare the tables of two ``geodti run`` output folders, column by column.

Usage::

    python benchmarks/compare_tables.py run BEFORE_OR_AFTER_DIR   # run without figures
    python benchmarks/compare_tables.py diff BEFORE_DIR AFTER_DIR

``run`` runs ``geodti run --jobs 1`` on the bundled sample with the figures step drawing
nothing, so the tables can be compared on a machine without a CJK font (the figures are
written after the diffusion tables and would stop the run there).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd


def run(out: str) -> int:
    import geodti.run.steps as run_module
    from geodti.cli import main

    run_module.draw_figures = lambda *args, **kwargs: []  # no CJK font needed
    return main(["run", "--out", out, "--jobs", "1"])


def diff(before: str, after: str) -> int:
    a_dir, b_dir = Path(before) / "tables", Path(after) / "tables"
    names = sorted({p.name for p in a_dir.glob("*.csv")} | {p.name for p in b_dir.glob("*.csv")})
    same = []
    for name in names:
        pa, pb = a_dir / name, b_dir / name
        if not pa.exists() or not pb.exists():
            print(f"{name}: only in {'after' if pb.exists() else 'before'}")
            continue
        a = pd.read_csv(pa, dtype=str, keep_default_na=False)
        b = pd.read_csv(pb, dtype=str, keep_default_na=False)
        notes = []
        added = [c for c in b.columns if c not in a.columns]
        removed = [c for c in a.columns if c not in b.columns]
        if added:
            notes.append(f"columns added {added}")
        if removed:
            notes.append(f"columns removed {removed}")
        if len(a) != len(b):
            notes.append(f"rows {len(a)} -> {len(b)}")
        else:
            for c in [c for c in a.columns if c in b.columns]:
                x, y = a[c], b[c]
                if x.equals(y):
                    continue
                xn, yn = pd.to_numeric(x, errors="coerce"), pd.to_numeric(y, errors="coerce")
                if xn.notna().sum() == (x != "").sum() and yn.notna().sum() == (y != "").sum():
                    d = np.nanmax(np.abs(xn.to_numpy(float) - yn.to_numpy(float)))
                    notes.append(f"{c}: {int((x != y).sum())} values differ (max abs {d:.3g})")
                else:
                    notes.append(f"{c}: {int((x != y).sum())} values differ")
        if notes:
            print(f"{name}: " + "; ".join(notes))
        else:
            same.append(name)
    print(f"identical: {len(same)} tables: {', '.join(same)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "run":
        sys.exit(run(sys.argv[2]))
    sys.exit(diff(sys.argv[2], sys.argv[3]))
