"""Benchmark: SDM two-way fixed effects (Lee-Yu corrected) with effects and 1,000 draws on a
synthetic panel of the 370 bundled cities x 9 periods x 5 covariates, Queen weights.

Writes benchmarks/results/model.json and model.md. The data are simulated (seeded) from an
SDM with rho = 0.4; nothing here is the DTI. Three runs with the BLAS library's own thread
count and three with one BLAS thread (as ``geodti run`` and ``geodti model`` use): on a
shared 2-CPU machine, two BLAS threads competing with other processes make a 370 x 370
eigen decomposition up to 60 times slower.

``--label before`` with ``PYTHONPATH`` at an older checkout records that code's times under
that label; model.md shows every label of model.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"

#: cProfile of one call on this machine (load average about 11), written under the table
PROFILE = """Profile (cProfile, one call). Before, library-default BLAS threads (23.2 s profiled):
`numpy.linalg.eigvals` of the non-symmetric W, 2 calls (the fit and the effects), 16.6 s;
10 dense 370 x 370 inverses (information matrix twice, Lee-Yu gradient), 4.1 s; spreg's
`Panel_FE_Lag` 1.2 s. The cause is less the operations than BLAS threads competing with the
machine's other processes: one `eigvals` takes 7.9 s with two threads and 0.13 s with one.
Now: one eigen decomposition per W (`geodti.model.spectrum`: the symmetric solver on
D^1/2 W D^-1/2, 0.03 s with one thread), shared by the likelihood, the information matrix
(traces as sums over eigenvalues), the Lee-Yu gradient and the effects (each draw O(n), no
inverse); the paper table by dictionary look-up instead of a DataFrame filter per cell
(0.25 s before). With one BLAS thread the call is now 0.46 s profiled: spreg's
`Panel_FE_Lag` 0.21 s (its sparse Kronecker products), reading the panel 0.06 s, the
information matrix 0.04 s. `geodti model` and `geodti run` estimate with one BLAS thread.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", default="after", help="the code measured (default %(default)s)")
    label = parser.parse_args().label
    from threadpoolctl import threadpool_limits

    import geodti
    from geodti.model import spatial_panel_models, weights_matrix
    from geodti.spatial.pipeline import bundled_inputs
    from geodti.spatial.weights import Weights

    b = bundled_inputs(need_contiguity=True)
    units = b["units"]
    w = Weights.from_spec("queen", units, contiguity=b["contiguity"])
    codes = [str(c) for c in w.ids]
    n, T, k = len(codes), 9, 5
    W = weights_matrix(w, codes).toarray()
    rng = np.random.default_rng(20230331)
    X = rng.normal(size=(n * T, k))
    beta, theta = rng.normal(size=k), 0.5 * rng.normal(size=k)
    A = np.linalg.inv(np.eye(n) - 0.4 * W)
    mu, at = np.tile(rng.normal(size=n), T), np.repeat(rng.normal(size=T), n)
    y = np.concatenate([A @ (X[t*n:(t+1)*n] @ beta + W @ X[t*n:(t+1)*n] @ theta
                             + mu[t*n:(t+1)*n] + at[t*n:(t+1)*n] + rng.normal(size=n))
                        for t in range(T)])
    panel = pd.DataFrame({"adcode": np.tile(codes, T), "period": np.repeat([str(2015 + t) for t in range(T)], n),
                          "y": y, **{f"x{j+1}": X[:, j] for j in range(k)}})
    def measure():
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            out = spatial_panel_models(panel, "y", [f"x{j+1}" for j in range(k)], w, models=("sdm",),
                                       effects="twoway", draws=1000, tests=False)
            times.append(time.perf_counter() - t0)
        return out, times

    load = os.getloadavg()[0]
    out, times = measure()
    with threadpool_limits(limits=1):
        out1, times1 = measure()
    rho = float(out["coefficients"].query("term == 'rho'")["estimate"].iloc[0])
    rho1 = float(out1["coefficients"].query("term == 'rho'")["estimate"].iloc[0])
    assert abs(rho - rho1) < 1e-10, (rho, rho1)
    result = {"code": str(Path(geodti.__file__).parent.parent), "units": n, "periods": T,
              "covariates": k, "model": "sdm", "effects": "twoway", "draws": 1000,
              "seconds_median": float(np.median(times)), "seconds": times,
              "seconds_median_one_blas_thread": float(np.median(times1)),
              "seconds_one_blas_thread": times1,
              "rho_estimate": rho, "rho_true": 0.4, "cpus": os.cpu_count(),
              "load_before": load}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "model.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if "units" in results:  # the first version's single result
        results = {}
    results[label] = result
    path.write_text(json.dumps(results, indent=1) + "\n")
    lines = ["# Benchmark: spatial panel model", "",
             f"SDM, two-way fixed effects with the Lee-Yu correction, {n} cities x {T} periods x "
             f"{k} covariates (synthetic, seeded), Queen weights, direct/indirect/total effects "
             "with 1,000 draws; seconds of one `spatial_panel_models` call, median of three runs in "
             "one process (the three in brackets). Machine: "
             f"{os.cpu_count()} CPUs, shared with other processes (load average before each).", "",
             "| code | BLAS threads: library default | one BLAS thread | rho (true 0.4) | load |",
             "|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['seconds_median']:.2f} ({', '.join(f'{t:.2f}' for t in r['seconds'])}) "
                     f"| {r['seconds_median_one_blas_thread']:.2f} "
                     f"({', '.join(f'{t:.2f}' for t in r['seconds_one_blas_thread'])}) "
                     f"| {r['rho_estimate']:.4f} | {r['load_before']:.1f} |")
    (RESULTS / "model.md").write_text("\n".join(lines) + "\n\n" + PROFILE)
    print(result)


if __name__ == "__main__":
    main()
