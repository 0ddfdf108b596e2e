"""Generate geodti's bundled SYNTHETIC second-index sample: a "future industries" index.

Everything this script writes is **synthetic**: an invented city-level index for
demonstrating and testing geodti's second-index analysis (correlation, bivariate Moran,
bivariate LISA). It is *not* the future-industries index (未来产业发展指数) of Tencent Research
Institute's 数字化转型指数报告 2023: the report publishes that index at province level only in
charts, and ``data/published/`` transcribes none of its numbers, so nothing here is
calibrated to it. Do not cite any number of it as a fact about a real city.

Run from a checkout (``python data/sample/generate_second.py``; ``--out DIR`` to write
elsewhere, ``--seed N`` for another draw). The same seed gives byte-identical files.

How the numbers are made, for every unit of the SYNTHETIC panel (``dti_panel_SYNTHETIC.csv``)
and its five quarters 2022Q1-2023Q1 (the panel's first four quarters are left out on
purpose, so a run shows how it reports the periods only one index has):

    log F = 0.6 log DTI + 0.5 log(lag DTI) + u + e

``lag DTI``: the mean DTI of the unit's six nearest neighbours (geodti's ``knn6`` weights on
the bundled gazetteer points), so a city's future industries follow its neighbours'
digitalisation as well as its own (a bivariate spatial association to find); ``u``: a
seeded city effect, smoothed over the six neighbours (sd about 0.25); ``e``: seeded noise
per city and quarter (sd 0.05). ``F`` is then scaled so that its 2022Q1 national total is
100 (per cent of the base-period total, like the DTI) and written with 7 significant digits.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

SEED = 2024
PERIODS = ["2022Q1", "2022Q2", "2022Q3", "2022Q4", "2023Q1"]
FILE = "future_industries_SYNTHETIC.csv"


def generate(seed: int = SEED) -> dict[str, bytes]:
    """The file name and its bytes."""
    from geodti.places.gazetteer import gazetteer
    from geodti.spatial.weights import Weights

    panel = pd.read_csv(Path(__file__).resolve().parent / "dti_panel_SYNTHETIC.csv", dtype={"adcode": str})
    panel = panel[panel["period"].isin(PERIODS)]
    units = gazetteer()
    units = units[units["adcode"].isin(set(panel["adcode"]))].sort_values("adcode").reset_index(drop=True)
    w = Weights.from_spec("knn6", units)
    ids = list(w.ids)
    W = w.graph.transform("r").sparse
    rng = np.random.default_rng(seed)
    raw = rng.normal(0.0, 0.35, len(ids))
    u = 0.5 * raw + 0.5 * (W @ raw)  # spatially smoothed city effect
    wide = panel.pivot(index="adcode", columns="period", values="dti").loc[ids, PERIODS]
    logd = np.log(wide.to_numpy(float))
    lag = np.log(W @ wide.to_numpy(float))
    e = rng.normal(0.0, 0.05, logd.shape)
    F = np.exp(0.6 * logd + 0.5 * lag + u[:, None] + e)
    F = 100.0 * F / F[:, 0].sum()
    names = panel.drop_duplicates("adcode").set_index("adcode").loc[ids, ["name", "province"]]
    rows = [
        (code, names.at[code, "name"], names.at[code, "province"], p, f"{F[i, j]:.7g}")
        for j, p in enumerate(PERIODS) for i, code in enumerate(ids)
    ]
    out = pd.DataFrame(rows, columns=["adcode", "name", "province", "period", "future_industries"])
    out = out.sort_values(["adcode", "period"], kind="stable")
    return {FILE: out.to_csv(index=False, lineterminator="\n").encode("utf-8")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                    help="output folder (default: data/sample/)")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    from geodti.io.atomic import write_bytes

    for fname, data in generate(args.seed).items():
        write_bytes(args.out / fname, data)
        print(f"{fname}: {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
