"""Generate geodti's SYNTHETIC province and county sample panels.

Everything this script writes is **synthetic**: invented numbers for demonstrating geodti at
province and county level. Nothing here is a fact about a real province or county.

Run from a checkout after ``data/sample/generate.py`` (``python data/sample/generate_levels.py``;
``--out DIR`` to write elsewhere, ``--seed N`` for another county draw). The same inputs and
seed give byte-identical files.

``dti_province_SYNTHETIC.csv`` (sample ``province``)
    The bundled synthetic city panel (``dti_panel_SYNTHETIC.csv``) aggregated to its 31
    provinces by geodti's own :func:`geodti.index.aggregate.aggregate_up` with ``sum``: the
    index and its three layers are in per cent of the national base-period total, so a
    province's value is the sum of its cities'. 31 provinces x 9 quarters (2021Q1-2023Q1);
    the province is written in the forms real tables use (full and short Chinese names,
    English, 2-digit codes), in a column headed ``省份``.
``dti_county_annual_SYNTHETIC.csv`` (sample ``county``)
    An annual county panel, 2011-2021, of every mainland county-level unit of
    ``data/counties.csv`` (香港, 澳门 and 台湾 left out), keyed by ``adcode`` with
    ``unit_name`` for reading: ``digital_economy`` (an intensive 0-100 score), ``gdp``
    (additive, 100 million yuan) and ``population`` (additive, 10,000 persons), made by a
    seeded model: a county's level follows its city's synthetic 2021Q1 index (so the city
    sample's geography shows through), districts (区) above counties (县, 旗), plus
    spatially unstructured noise; each county grows at its own seeded rate.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

SEED = 2011
YEARS = list(range(2011, 2022))
OUT_FILES = {"province": "dti_province_SYNTHETIC.csv",
             "county": "dti_county_annual_SYNTHETIC.csv"}
CITY_PANEL = "dti_panel_SYNTHETIC.csv"
LAYERS = ["dti", "infrastructure", "platform", "application"]


def _csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def _province_forms(provinces: pd.DataFrame) -> list[str]:
    """The province as tables write it: cycling full name, short name, English, 2-digit code."""
    from geodti.places.levels import units

    table = units("province").set_index("adcode")
    forms = []
    for i, code in enumerate(provinces["adcode"]):
        full, english = table.loc[code, "name"], table.loc[code, "name_en"]
        short = full
        for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"):
            if full.endswith(suffix):
                short = full[: -len(suffix)]
                break
        forms.append([full, short, english, code[:2]][i % 4])
    return forms


def province_panel(sample_dir: Path) -> pd.DataFrame:
    from geodti.index.aggregate import aggregate_up
    from geodti.io.panel import read_panel

    cities = read_panel(sample_dir / CITY_PANEL, level="city")
    made = aggregate_up(cities, "province", how="sum", variables=LAYERS)
    if not made.panel["complete"].all() or len(made.missing):
        raise RuntimeError("a province lacks a city of the city sample; rerun generate.py")
    panel = made.panel
    first = panel.drop_duplicates("adcode")
    forms = dict(zip(first["adcode"], _province_forms(first)))
    out = pd.DataFrame({"省份": panel["adcode"].map(forms), "period": panel["period"]})
    for column in ("dti", "infrastructure", "platform", "application"):
        out[column] = panel[column].round(6)
    return out


def county_panel(seed: int, sample_dir: Path) -> pd.DataFrame:
    from geodti.places.levels import units

    rng = np.random.default_rng(seed)
    counties = units("county")
    counties = counties[~counties["province_adcode"].isin(["710000", "810000", "820000"])]
    counties = counties.reset_index(drop=True)
    city = pd.read_csv(sample_dir / CITY_PANEL, dtype={"adcode": str})
    city = city[city["period"] == "2021Q1"].set_index("adcode")["dti"]
    n = len(counties)
    city_dti = counties["city_adcode"].map(city).fillna(city.median()).to_numpy()
    district = counties["name"].str.endswith("区").to_numpy()
    # a county's 2021 score: its city's (log) index spread over its counties, districts higher
    score = (45 + 9 * np.log(city_dti / np.median(city_dti)) + 10 * district
             + rng.normal(0, 6, n))
    score = np.clip(score, 5, 95)
    growth = np.clip(rng.normal(0.075, 0.025, n), 0.0, 0.2)  # yearly growth of the score
    population = np.round(np.exp(rng.normal(np.log(55), 0.6, n)) * (1 + 0.6 * district), 1)
    gdp_per_head = np.exp(rng.normal(np.log(6.0), 0.35, n)) * (score / 45) ** 0.8
    rows = []
    for t, year in enumerate(YEARS):
        back = len(YEARS) - 1 - t  # years before 2021
        shock = rng.normal(0, 0.02, n)
        s = score / (1 + growth) ** back * (1 + shock)
        pop = population * (1 - 0.004 * back) * (1 + rng.normal(0, 0.003, n))
        gdp = pop * gdp_per_head / (1.065) ** back * (1 + rng.normal(0, 0.02, n))
        rows.append(pd.DataFrame({
            "adcode": counties["adcode"], "unit_name": counties["name"], "year": year,
            "digital_economy": np.round(s, 2), "gdp": np.round(gdp, 1),
            "population": np.round(pop, 1)}))
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["adcode", "year"], kind="stable").reset_index(drop=True)


def generate(seed: int = SEED, sample_dir: Path | None = None) -> dict[str, bytes]:
    """Build both files in memory; return {file name: bytes}."""
    sample_dir = sample_dir or Path(__file__).resolve().parent
    return {OUT_FILES["province"]: _csv_bytes(province_panel(sample_dir)),
            OUT_FILES["county"]: _csv_bytes(county_panel(seed, sample_dir))}


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
