"""A compact digest of a run's tables, to check that refactoring keeps every value.

``digest(folder)`` summarises each ``tables/*.csv``: its rows, its columns in order and, per
column, either exact text (a SHA-256 of the cells) or, for numeric columns, count of
missing values, sum, sum of absolute values, minimum and maximum (compared to 1e-9, since
the last bits of a float may move when code is reorganised without changing the method).

Regenerate the stored digest only for a deliberate change, and say which in the commit::

    python tests/run_digest.py OUT_FOLDER > tests/data/run_tables_digest.json

where OUT_FOLDER is ``geodti run --permutations 99 --jobs 2 --out OUT_FOLDER`` on the
bundled sample (the ``sample_run`` fixture of tests/test_run.py). To compare two run
folders (before and after a change)::

    python tests/run_digest.py BEFORE_FOLDER AFTER_FOLDER
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def _column(values: pd.Series) -> dict:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        x = values.to_numpy(float)
        finite = x[np.isfinite(x)]
        return {"kind": "number", "missing": int(np.isnan(x).sum()),
                "sum": float(finite.sum()), "abs": float(np.abs(finite).sum()),
                "min": float(finite.min()) if len(finite) else None,
                "max": float(finite.max()) if len(finite) else None}
    text = "\x1f".join("" if pd.isna(v) else str(v) for v in values)
    return {"kind": "text", "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def digest(folder) -> dict:
    """Digest of every ``*.csv`` in ``folder`` (a run's ``tables/``)."""
    out = {}
    for path in sorted(Path(folder).glob("*.csv")):
        table = pd.read_csv(path, encoding="utf-8-sig", low_memory=False)
        out[path.stem] = {"rows": len(table), "columns": list(map(str, table.columns)),
                          "values": {str(c): _column(table[c]) for c in table.columns}}
    return out


def differences(stored: dict, now: dict, rel: float = 1e-9) -> list[str]:
    """What differs between two digests, one line per table or column."""
    lines = []
    for name in sorted(set(stored) | set(now)):
        if name not in now or name not in stored:
            lines.append(f"{name}: only in {'the stored digest' if name in stored else 'this run'}")
            continue
        a, b = stored[name], now[name]
        if a["rows"] != b["rows"]:
            lines.append(f"{name}: rows {a['rows']} -> {b['rows']}")
        if a["columns"] != b["columns"]:
            lines.append(f"{name}: columns {a['columns']} -> {b['columns']}")
        for column in [c for c in a["columns"] if c in b["values"]]:
            x, y = a["values"][column], b["values"][column]
            if x["kind"] != y["kind"]:
                lines.append(f"{name}.{column}: {x['kind']} -> {y['kind']}")
            elif x["kind"] == "text":
                if x["sha256"] != y["sha256"]:
                    lines.append(f"{name}.{column}: text differs")
            else:
                for key in ("missing", "sum", "abs", "min", "max"):
                    p, q = x[key], y[key]
                    same = p == q or (p is not None and q is not None
                                      and math.isclose(p, q, rel_tol=rel, abs_tol=1e-12))
                    if not same:
                        lines.append(f"{name}.{column}: {key} {p!r} -> {q!r}")
    return lines


if __name__ == "__main__":
    if len(sys.argv) == 3:  # two run folders: what differs, one line each
        lines = differences(digest(Path(sys.argv[1]) / "tables"), digest(Path(sys.argv[2]) / "tables"))
        print("\n".join(lines) if lines else "every table the same")
        sys.exit(1 if lines else 0)
    json.dump(digest(Path(sys.argv[1]) / "tables"), sys.stdout, ensure_ascii=False, indent=1,
              sort_keys=True)
    sys.stdout.write("\n")
