"""Small synthetic geographies for the spatial tests (all SYNTHETIC, labelled as such).

Units are squares of ``step`` degrees near 110E 30N with made-up 6-digit adcodes, so the
great-circle code paths run on plausible coordinates.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box


def lattice(rows: int, cols: int, step: float = 0.5, lon0: float = 110.0, lat0: float = 30.0, start: int = 100100):
    """A rows x cols grid of square units (GeoDataFrame, EPSG:4326), row-major adcodes."""
    recs = []
    code = start
    for r in range(rows):
        for c in range(cols):
            recs.append({"adcode": f"{code:06d}", "name": f"SYN{r}_{c}", "row": r, "col": c,
                         "geometry": box(lon0 + c * step, lat0 + r * step, lon0 + (c + 1) * step, lat0 + (r + 1) * step)})
            code += 100
    return gpd.GeoDataFrame(recs, crs=4326)


def lattice_with_islands():
    """A 4x4 grid, a detached 2-unit 'component' to the east and one far 'island' to the south."""
    grid = lattice(4, 4)
    extra = gpd.GeoDataFrame(
        [
            {"adcode": "900100", "name": "SYN_comp_a", "geometry": box(114.0, 30.0, 114.5, 30.5)},
            {"adcode": "900200", "name": "SYN_comp_b", "geometry": box(114.5, 30.0, 115.0, 30.5)},
            {"adcode": "900300", "name": "SYN_island", "geometry": box(110.5, 26.0, 111.0, 26.5)},
        ],
        crs=4326,
    )
    return pd.concat([grid, extra], ignore_index=True)


def synthetic_panel(adcodes, periods, variables, seed: int = 0, W=None, rho: float = 0.5):
    """A SYNTHETIC positive panel; with ``W`` (dense, row-standardised) spatially autocorrelated."""
    rng = np.random.default_rng(seed)
    n = len(adcodes)
    A = np.linalg.inv(np.eye(n) - rho * W) if W is not None else np.eye(n)
    frames = []
    base = {v: np.exp(0.5 * (A @ rng.normal(size=n))) for v in variables}
    for t, p in enumerate(periods):
        rec = {"adcode": list(adcodes), "period": p}
        for v in variables:
            rec[v] = base[v] * (1 + 0.02 * t) * np.exp(rng.normal(scale=0.1, size=n))
        frames.append(pd.DataFrame(rec))
    return pd.concat(frames, ignore_index=True)
