"""Regenerate tests/data/esda_local_reference.npz: esda's local statistics with numba, as users run them.

esda's conditional randomisation compiles with numba on first use (tens of seconds per
process, uncached), too slow for every test run; this script runs it once and stores
esda's outputs. tests/test_local.py recomputes everything with geodti and compares.
The graphs are built with libpysal only, so the reference does not depend on geodti.

    python tests/data/make_esda_reference.py
"""

from __future__ import annotations

import warnings
from pathlib import Path

import esda
import geopandas as gpd
import numba
import numpy as np
from libpysal import examples
from libpysal.graph import Graph

HERE = Path(__file__).resolve().parent
PERMUTATIONS = 99
SEED = 7
GEARY_GLOBAL_SEED = 11  # esda's Geary_Local ignores its seed: it draws one from np.random


def graphs():
    df = gpd.read_file(examples.get_path("columbus.shp"))
    pts = df.centroid
    d = np.hypot(pts.x.to_numpy()[:, None] - pts.x.to_numpy()[None, :], pts.y.to_numpy()[:, None] - pts.y.to_numpy()[None, :])
    band = float(np.quantile(d[np.triu_indices(len(df), 1)], 0.6))
    return df, {
        "queen": Graph.build_contiguity(df, rook=False),
        "knn4": Graph.build_knn(pts, k=4),
        "kernel": Graph.build_kernel(pts, kernel="triangular", k=8),
        "idwband": Graph.build_distance_band(pts, band, binary=False, alpha=-1.0),
    }


def main():
    warnings.simplefilter("ignore")
    df, gs = graphs()
    y = df["CRIME"].to_numpy(float)
    out = {"y": y, "meta/esda": np.array(esda.__version__), "meta/numba": np.array(numba.__version__),
           "meta/permutations": np.array(PERMUTATIONS), "meta/seed": np.array(SEED)}
    for name, g in gs.items():
        lm = esda.Moran_Local(y, g, permutations=PERMUTATIONS, seed=SEED)
        out[f"{name}/ML/Is"], out[f"{name}/ML/p_sim"], out[f"{name}/ML/z_sim"] = lm.Is, lm.p_sim, lm.z_sim
        out[f"{name}/ML/sim"] = lm.sim
        binary = bool(np.all(g.adjacency.to_numpy()[g.adjacency.to_numpy() != 0] == 1))
        gl = esda.G_Local(y, g, transform="B" if binary else "R", star=True, permutations=PERMUTATIONS, seed=SEED,
                          n_jobs=1)
        out[f"{name}/GL/Gs"], out[f"{name}/GL/Zs"] = gl.Gs, gl.Zs
        out[f"{name}/GL/p_sim"], out[f"{name}/GL/z_sim"], out[f"{name}/GL/sim"] = gl.p_sim, gl.z_sim, gl.rGs
        np.random.seed(GEARY_GLOBAL_SEED)
        lg = esda.Geary_Local(connectivity=g, permutations=PERMUTATIONS).fit(y)
        out[f"{name}/LG/localG"], out[f"{name}/LG/p_sim"], out[f"{name}/LG/sim"] = lg.localG, lg.p_sim, lg.rlocalG
    np.savez_compressed(HERE / "esda_local_reference.npz", **out)
    print(f"wrote {HERE / 'esda_local_reference.npz'} (esda {esda.__version__}, numba {numba.__version__})")


if __name__ == "__main__":
    main()
