"""Small synthetic panels and lattices for the dynamics tests (all SYNTHETIC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from geodti.periods import shift_period


def quarters(first: str, n: int) -> list[str]:
    return [shift_period(first, i) for i in range(n)]


def panel_from_matrix(values: np.ndarray, ids, periods, variable: str = "dti") -> pd.DataFrame:
    """Tidy panel from a units x periods matrix."""
    rows = [{"adcode": a, "period": p, variable: float(values[i, j])}
            for i, a in enumerate(ids) for j, p in enumerate(periods)]
    return pd.DataFrame(rows)


def lattice(nrow: int, ncol: int, *, lon0: float = 110.0, lat0: float = 30.0, step: float = 0.5):
    """Queen-contiguity lattice: ids (6-digit strings), a binary Graph and lon/lat points."""
    ids = [f"{100000 + i}" for i in range(nrow * ncol)]
    focal, neigh = [], []
    for r in range(nrow):
        for c in range(ncol):
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    rr, cc = r + dr, c + dc
                    if (dr or dc) and 0 <= rr < nrow and 0 <= cc < ncol:
                        focal.append(ids[r * ncol + c])
                        neigh.append(ids[rr * ncol + cc])
    graph = Graph.from_arrays(np.array(focal), np.array(neigh), np.ones(len(focal)))
    points = pd.DataFrame({"adcode": ids,
                           "lon": [lon0 + step * (i % ncol) for i in range(len(ids))],
                           "lat": [lat0 + step * (i // ncol) for i in range(len(ids))]})
    return ids, graph, points


def block(nrow: int, ncol: int, r0: int, c0: int, size: int = 3) -> list[int]:
    """Positions of a size x size block with top-left corner (r0, c0)."""
    return [(r0 + dr) * ncol + (c0 + dc) for dr in range(size) for dc in range(size)]
