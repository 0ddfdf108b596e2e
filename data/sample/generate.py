"""Generate geodti's bundled SYNTHETIC sample panel (2021Q1-2023Q1).

Everything this script writes is **synthetic**: invented numbers calibrated so that geodti's
own index method and summaries reproduce the tables and statements *published* in Tencent
Research Institute's 数字化转型指数报告 2023 (transcribed in ``data/published/``). It is not
the report's data, which is not public.

Run from a checkout (``python data/sample/generate.py``; ``--out DIR`` to write elsewhere,
``--seed N`` for another draw). The same seed gives byte-identical files.

How the numbers are made (see ``data/sample/README.md`` for the full account):

1. Units: every mainland city-level unit of ``data/gazetteer.csv`` (香港, 澳门 and 台湾 are
   left out: the DTI covers mainland cities).
2. City levels (2023Q1) and growth (mean YoY 2022Q1-2023Q1): hand-set for the cities the
   report names; a seeded size model (administrative rank, province, spatially smoothed
   noise) for the others, scaled so that agglomeration and province totals keep the report's
   rankings. Within-agglomeration 2022 ranks are then enforced by isotonic regression.
3. Quarterly city paths that hit each city's 2022 annual level, 2023Q1 level and mean YoY
   exactly, with a common national shape (rise through 2021, peak in 2022Q2, dip in 2022Q3).
4. Layers (infrastructure, platform, application) split each city's index with seeded city
   tilts and national layer paths (platform YoY 18% in 2022Q1 and 10% in 2023Q1).
5. Raw indicators (cloud, ai; payment, ecommerce, entertainment; procurement, rnd,
   collaboration) scatter around their layer with seeded noise that cancels in the weighted
   layer average and in the base-period totals, so geodti's method recovers the layers.
6. Industries: province x industry indices with the report's top-10 share (占比) and growth
   ranks for manufacturing, finance and communications, split to cities, then into the
   three key indicators (cloud, ai, rnd) per industry.
7. The wide panel is computed from the written raw files by geodti's own method.

The private ``_check_*`` functions verify the calibration; the script stops with an error if
any published rank, rank change or growth (to 0.1 percentage point) is not reproduced.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq, isotonic_regression

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

SEED = 2023
QUARTERS = [f"{y}Q{q}" for y in (2021, 2022) for q in (1, 2, 3, 4)] + ["2023Q1"]
T = len(QUARTERS)  # 9
LAYERS = ["infrastructure", "platform", "application"]
INDICATORS = {
    "infrastructure": ["cloud", "ai"],
    "platform": ["payment", "ecommerce", "entertainment"],
    "application": ["procurement", "rnd", "collaboration"],
}
INDUSTRY_INDICATORS = ["cloud", "ai", "rnd"]  # the report's three key industry indicators
# Industries, in the report's words where it names them (行业工具 is a group of four
# industries in the report, so the sample uses its largest member, software, instead).
INDUSTRIES = {
    "finance": "金融", "software": "软件和信息技术服务", "retail": "电商零售",
    "life_services": "生活服务", "manufacturing": "制造业(工业)",
    "culture_entertainment": "文化体育娱乐", "games": "游戏", "transport": "交通",
    "communications": "通信", "energy": "能源",
}
# Synthetic raw scale of each indicator's base-period national total (arbitrary units).
RAW_TOTAL = {"cloud": 4.2e6, "ai": 1.3e6, "payment": 9.5e7, "ecommerce": 6.1e7,
             "entertainment": 2.3e6, "procurement": 3.4e6, "rnd": 8.8e5, "collaboration": 5.5e6}
RAW_TOTAL_INDUSTRY = {"cloud": 3.1e6, "ai": 9.0e5, "rnd": 6.5e5}
WINDOW = QUARTERS[4:]  # 2022Q1-2023Q1: the report's growth window
YEAR_2022 = [4, 5, 6, 7]
MARGIN = 0.012  # minimum relative gap between any two levels whose order is published

OUT_FILES = {
    "raw": "dti_raw_long_SYNTHETIC.csv",
    "industry_raw": "dti_industry_raw_long_SYNTHETIC.csv.gz",
    "panel": "dti_panel_SYNTHETIC.csv",
    "scores_layers": "expert_scores_layers_SYNTHETIC.csv",
    "scores_indicators": "expert_scores_indicators_SYNTHETIC.csv",
    "scores_industry": "expert_scores_industry_SYNTHETIC.csv",
}

# --------------------------------------------------------------------------- hand-set cities
# 2023Q1 level (per cent of the national total before the final base-period rescaling) and
# mean YoY growth 2022Q1-2023Q1 in per cent. Levels of the three tabulated agglomerations
# follow the report's 2023Q1 tables; growth of their members comes from the transcription.
HAND_LEVEL = {
    # national top 17 in 2023Q1 (上海 > 北京 > 深圳 > 广州; third tier 5-9; 东莞 15, 佛山 17)
    "上海市": 17.2, "北京市": 14.0, "深圳市": 6.0, "广州市": 4.1, "杭州市": 2.15,
    "成都市": 2.08, "重庆市": 2.0, "苏州市": 1.86, "南京市": 1.68, "武汉市": 1.45,
    "西安市": 1.26, "天津市": 1.30, "郑州市": 1.12, "合肥市": 1.08, "东莞市": 1.04,
    "长沙市": 0.99, "佛山市": 0.95,
    # 珠三角
    "中山市": 0.62, "惠州市": 0.55, "江门市": 0.47, "珠海市": 0.42, "肇庆市": 0.34,
    # 京津冀
    "石家庄市": 0.62, "保定市": 0.43, "廊坊市": 0.36, "唐山市": 0.34, "邯郸市": 0.266,
    "沧州市": 0.25, "邢台市": 0.19, "张家口市": 0.168, "衡水市": 0.138, "秦皇岛市": 0.132,
    "承德市": 0.108,
    # 长三角
    "无锡市": 0.78, "宁波市": 0.76, "温州市": 0.56, "常州市": 0.50, "南通市": 0.47,
    "金华市": 0.43, "台州市": 0.40, "嘉兴市": 0.385, "盐城市": 0.34, "绍兴市": 0.33,
    "泰州市": 0.30, "扬州市": 0.29, "芜湖市": 0.27, "湖州市": 0.26, "镇江市": 0.255,
    "滁州市": 0.225, "安庆市": 0.22, "宣城市": 0.18, "马鞍山市": 0.175, "舟山市": 0.155,
    "池州市": 0.125, "铜陵市": 0.12,
    # other large cities and capitals (kept below 佛山)
    "青岛市": 0.90, "济南市": 0.85, "厦门市": 0.80, "福州市": 0.78, "沈阳市": 0.70,
    "大连市": 0.62, "昆明市": 0.60, "南昌市": 0.55, "哈尔滨市": 0.42, "长春市": 0.42,
    "南宁市": 0.45, "贵阳市": 0.45, "太原市": 0.45, "泉州市": 0.45, "徐州市": 0.40,
    "兰州市": 0.38, "乌鲁木齐市": 0.35, "海口市": 0.30, "呼和浩特市": 0.25, "西宁市": 0.22,
    "银川市": 0.20, "包头市": 0.15, "鄂尔多斯市": 0.13, "拉萨市": 0.12, "榆林市": 0.08,
}
HAND_GROWTH = {
    "成都市": 9.0, "重庆市": 8.5, "武汉市": 7.5, "西安市": 9.5, "郑州市": 8.0, "长沙市": 8.5,
    "青岛市": 7.0, "济南市": 8.0, "厦门市": 8.0, "福州市": 8.5, "沈阳市": 6.0, "大连市": 5.5,
    "昆明市": 11.0, "南昌市": 10.0, "哈尔滨市": 6.5, "长春市": 7.0, "贵阳市": 13.0,
    "太原市": 9.0, "泉州市": 8.0, "徐州市": 8.0, "兰州市": 12.0, "乌鲁木齐市": 30.0,
    "呼和浩特市": 35.0, "包头市": 33.0, "鄂尔多斯市": 36.0, "榆林市": 30.0, "银川市": 28.5,
    "西宁市": 37.0, "海东市": 34.0, "海北藏族自治州": 33.0, "黄南藏族自治州": 35.0,
    "海南藏族自治州": 33.0, "白银市": 13.0, "定西市": 14.0, "临夏回族自治州": 15.0,
    # the ten fastest-growing cities: Tibet and Qinghai, 和田 and 临高
    "阿里地区": 88.0, "那曲市": 82.0, "玉树藏族自治州": 78.0, "昌都市": 74.0,
    "果洛藏族自治州": 70.0, "和田地区": 66.0, "日喀则市": 63.0, "临高县": 60.0,
    "山南市": 57.0, "海西蒙古族藏族自治州": 55.0,
    "林芝市": 50.0, "拉萨市": 48.0,
    # 北部湾
    "南宁市": 24.0, "海口市": 26.0, "北海市": 28.0, "钦州市": 27.0, "防城港市": 29.0,
    "玉林市": 24.0, "崇左市": 30.0, "湛江市": 20.0, "茂名市": 19.0, "阳江市": 21.0,
    "儋州市": 30.0, "东方市": 32.0, "澄迈县": 32.0, "昌江黎族自治县": 32.0, "三亚市": 14.0,
}
# Mean YoY (%) around which the other cities of a province are drawn.
PROVINCE_GROWTH = {
    "河北省": 11, "山西省": 9, "内蒙古自治区": 33, "辽宁省": 6, "吉林省": 7.5, "黑龙江省": 7,
    "江苏省": 8, "浙江省": 9, "安徽省": 12, "福建省": 9, "江西省": 10, "山东省": 8,
    "河南省": 10, "湖北省": 9, "湖南省": 9, "广东省": 9, "广西壮族自治区": 14, "海南省": 20,
    "四川省": 10, "贵州省": 12, "云南省": 12, "西藏自治区": 55, "陕西省": 11, "甘肃省": 13,
    "青海省": 35, "宁夏回族自治区": 29, "新疆维吾尔自治区": 31,
}
# Relative size of an ordinary prefecture in each province (a coarse economic gradient).
PROVINCE_SIZE = {
    "河北省": 1.0, "山西省": 0.9, "内蒙古自治区": 0.75, "辽宁省": 0.8, "吉林省": 0.7,
    "黑龙江省": 0.6, "江苏省": 1.6, "浙江省": 1.6, "安徽省": 1.0, "福建省": 1.5,
    "江西省": 0.9, "山东省": 1.5, "河南省": 0.95, "湖北省": 1.0, "湖南省": 0.95,
    "广东省": 1.4, "广西壮族自治区": 0.8, "海南省": 0.8, "四川省": 0.9, "贵州省": 0.8,
    "云南省": 0.75, "西藏自治区": 0.35, "陕西省": 0.8, "甘肃省": 0.55, "青海省": 0.45,
    "宁夏回族自治区": 0.6, "新疆维吾尔自治区": 0.6,
}
UNIT_SIZE = {"prefecture_level_city": 0.11, "autonomous_prefecture": 0.05, "league": 0.04,
             "prefecture": 0.03, "county_level_unit": 0.025}
# 2023Q1 totals that keep the report's agglomeration share ranking (per cent, pre-scaling).
AGGLOMERATION_TARGET = {"长江中游": 6.3, "成渝": 5.6, "中原": 4.6, "关中平原": 2.1,
                        "北部湾": 1.95, "哈长": 1.3, "兰西": 0.85, "呼包鄂榆": 0.61}
# 2023Q1 province totals that keep the report's province statements (广东 first in 2022,
# 上海 first in 2023Q1; 安徽 enters the top 10 in 2023Q1, 福建 leaves it).
PROVINCE_TARGET = {"广东省": 16.75, "江苏省": 7.6, "浙江省": 5.8, "四川省": 4.2,
                   "山东省": 3.9, "湖北省": 3.6, "安徽省": 3.35, "河南省": 3.28,
                   "福建省": 3.18, "湖南省": 2.6}
AGGLOMERATION_INDEX_SHARE = 0.785  # the 11 agglomerations: "近8成"

# Common quarterly shape: index level in 2022Q1..2023Q1 relative to the 2022 mean, and the
# YoY deviations of 2022Q1..2022Q4 from a city's mean (so YoY falls through 2022).
SHAPE_2022 = np.array([1.000, 1.025, 0.985, 0.994, 1.005])
YOY_SHAPE = np.array([0.12, 0.06, -0.05, -0.09])
G_REF = 0.09
# National layer paths: platform grows steadily (18% YoY to 2022Q1, 10% to 2023Q1);
# application as a ratio to the composite; infrastructure takes the rest.
PLATFORM_YOY = (0.18, 0.10)
APPLICATION_RATIO = np.array([1.0, 1.005, 1.01, 1.0, 0.995, 0.99, 0.972, 0.955, 0.935])


# --------------------------------------------------------------------------- inputs


def _load_units(root: Path) -> pd.DataFrame:
    """Mainland city-level units (adcode, name, province, unit_type, admin_rank, lon, lat)."""
    path = root / "data" / "gazetteer.csv"
    gaz = pd.read_csv(path, dtype=str, encoding="utf-8")
    gaz = gaz[~gaz["unit_type"].isin(["sar", "taiwan"])].copy()
    gaz["lon"] = gaz["lon"].astype(float)
    gaz["lat"] = gaz["lat"].astype(float)
    return gaz[["adcode", "name", "province", "unit_type", "admin_rank", "lon", "lat"]] \
        .sort_values("adcode").reset_index(drop=True)


def _load_agglomerations(root: Path) -> pd.DataFrame:
    path = root / "data" / "agglomerations.csv"
    agg = pd.read_csv(path, dtype=str, encoding="utf-8")
    return agg[["agglomeration", "adcode"]].copy()


def _load_published(root: Path) -> dict[str, pd.DataFrame]:
    pub = root / "data" / "published"
    return {
        "cities": pd.read_csv(pub / "agglomeration_city_ranks.csv", dtype={"yoy_growth_pct": str}),
        "industry": pd.read_csv(pub / "province_industry_top10.csv"),
        "agglomerations": pd.read_csv(pub / "agglomeration_share_ranking.csv"),
    }


# --------------------------------------------------------------------------- small tools


def _smoothed_noise(rng: np.random.Generator, lon: np.ndarray, lat: np.ndarray,
                    bandwidth_deg: float = 2.0) -> np.ndarray:
    """Spatially clustered noise: white noise smoothed with a Gaussian kernel.

    Each value is scaled by its own kernel norm, so every unit's noise is standard normal
    (isolated units, with few neighbours, are not amplified).
    """
    z = rng.standard_normal(len(lon))
    x = lon * np.cos(np.deg2rad(lat))
    d2 = (x[:, None] - x[None, :]) ** 2 + (lat[:, None] - lat[None, :]) ** 2
    k = np.exp(-d2 / (2 * bandwidth_deg ** 2))
    return k @ z / np.sqrt((k ** 2).sum(axis=1))


def _isotonic_desc(values: np.ndarray, margin: float) -> np.ndarray:
    """Closest (in log) strictly decreasing sequence with gaps of at least ``margin``."""
    n = len(values)
    shift = np.arange(n) * np.log1p(margin)
    y = np.log(values) + shift
    fit = isotonic_regression(y, increasing=False).x
    return np.exp(fit - shift)


def _fmt(x: float, sig: int = 7) -> str:
    return f"{x:.{sig}g}"


# --------------------------------------------------------------------------- step 2: levels


def _design_levels(units: pd.DataFrame, agg: pd.DataFrame, pub: dict, rng) -> pd.DataFrame:
    """2023Q1 level ``q`` and mean YoY ``g`` (fraction) for every unit."""
    u = units.copy()
    name_to_code = dict(zip(u["name"], u["adcode"]))
    unknown = sorted(n for n in set(HAND_LEVEL) | set(HAND_GROWTH) if n not in name_to_code)
    if unknown:
        raise ValueError(f"hand-set cities not in the gazetteer: {unknown}")
    # Growth: the transcribed tables first (ties in the printed 0.1 are split by rank).
    g = {}
    cities = pub["cities"]
    for agg_name, part in cities.groupby("agglomeration", sort=False):
        part = part.sort_values("growth_rank")
        vals = part["yoy_growth_pct"].astype(float).to_numpy()
        adj = vals.copy()
        for v in np.unique(vals):
            idx = np.flatnonzero(vals == v)
            if len(idx) > 1:  # printed ties: keep the rank order inside +-0.02 pp
                adj[idx] = v + 0.02 * (len(idx) - 1) / 2 - 0.02 * np.arange(len(idx))
        for n, x in zip(part["name"], adj):
            g[name_to_code[n]] = x / 100
    for n, x in HAND_GROWTH.items():
        g.setdefault(name_to_code[n], x / 100)
    noise_g = _smoothed_noise(rng, u["lon"].to_numpy(), u["lat"].to_numpy())
    noise_g2 = rng.standard_normal(len(u))
    base = u["province"].map(PROVINCE_GROWTH).astype(float).to_numpy()
    drawn = np.clip(base + 2.5 * noise_g + 1.0 * noise_g2, -3.0, 45.0) / 100
    u["g"] = [g.get(a, d) for a, d in zip(u["adcode"], drawn)]
    # Size model for the cities not set by hand.
    noise_s = _smoothed_noise(rng, u["lon"].to_numpy(), u["lat"].to_numpy(), 2.5)
    noise_s2 = rng.standard_normal(len(u))
    size = u["unit_type"].map(UNIT_SIZE).fillna(0.11).to_numpy() \
        * u["province"].map(PROVINCE_SIZE).fillna(1.0).to_numpy() \
        * np.exp(0.30 * noise_s + 0.25 * noise_s2)
    xpcc = u["adcode"].str.startswith("6590").to_numpy()
    size[xpcc] *= 0.5
    size[(u["adcode"] == "429021").to_numpy()] *= 0.3  # 神农架林区
    size[(u["adcode"] == "460300").to_numpy()] *= 0.1  # 三沙市
    hand = u["name"].isin(HAND_LEVEL).to_numpy()
    q = np.where(hand, u["name"].map(HAND_LEVEL).fillna(0).to_numpy(), size)
    u["hand"] = hand
    # Iterative proportional fitting of the generic cities to the group totals.
    members = {a: set(part["adcode"]) for a, part in agg.groupby("agglomeration")}
    in_agg = u["adcode"].isin(set(agg["adcode"])).to_numpy()
    groups = []
    for a, target in AGGLOMERATION_TARGET.items():
        groups.append((u["adcode"].isin(members[a]).to_numpy(), target))
    for p, target in PROVINCE_TARGET.items():
        groups.append(((u["province"] == p).to_numpy(), target))
    out_mask = ~in_agg
    fixed_prov = np.zeros(len(u), dtype=bool)
    for p in PROVINCE_TARGET:
        fixed_prov |= (u["province"] == p).to_numpy()
    free = out_mask & ~hand & ~fixed_prov
    for _ in range(400):
        before = q.copy()
        for mask, target in groups:
            gen = mask & ~hand
            if not gen.any():  # all members hand-set (呼包鄂榆)
                continue
            fixed = q[mask & hand].sum()
            if fixed >= target:
                raise ValueError(f"hand-set cities exceed the group target {target}")
            q[gen] *= (target - fixed) / q[gen].sum()
        # the cities outside the 11 agglomerations: national share of the 11 ~ 78.5%
        inside = q[in_agg].sum()
        target_out = inside * (1 - AGGLOMERATION_INDEX_SHARE) / AGGLOMERATION_INDEX_SHARE
        other_out = q[out_mask & ~free].sum()
        q[free] *= (target_out - other_out) / q[free].sum()
        if np.abs(q / before - 1).max() < 1e-13:
            break
    # Keep every generic city below 佛山 (17th) with a margin, so the national top 17 is fixed.
    cap = HAND_LEVEL["佛山市"] / (1 + 3 * MARGIN)
    too_big = (~hand) & (q > cap)
    if too_big.any():
        raise ValueError(f"generic cities above the 17th place: {u.loc[too_big, 'name'].tolist()}")
    u["q"] = q
    return u


# --------------------------------------------------------------------------- step 3: paths


def _trend(g: np.ndarray) -> np.ndarray:
    return np.log((1 + g) / (1 + G_REF))


def _natural_ratio(g: np.ndarray) -> np.ndarray:
    """2023Q1 level / 2022 annual level of a city following the common shape and its trend."""
    rho = _trend(g)
    t = np.arange(4, 9)
    v = SHAPE_2022[None, :] * np.exp(rho[:, None] * (t[None, :] - 5.5) / 4)
    return v[:, 4] / v[:, :4].mean(axis=1)


def _paths(a: np.ndarray, q: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Quarterly levels (cities x 9) with 2022 mean ``a``, 2023Q1 level ``q``, mean YoY ``g``."""
    rho = _trend(g)
    t = np.arange(4, 8)
    v = SHAPE_2022[None, :4] * np.exp(rho[:, None] * (t[None, :] - 5.5) / 4)
    d = np.zeros((len(a), T))
    d[:, 4:8] = a[:, None] * v / v.mean(axis=1, keepdims=True)
    d[:, 8] = q
    y8 = d[:, 8] / d[:, 4] - 1
    base = (5 * g - y8 - YOY_SHAPE.sum()) / 4
    y = base[:, None] + YOY_SHAPE[None, :]
    if (y <= -0.8).any():
        raise ValueError("a city path needs a YoY below -80%; check its growth and levels")
    d[:, 0:4] = d[:, 4:8] / (1 + y)
    return d


def _design_annual(u: pd.DataFrame, pub: dict) -> np.ndarray:
    """2022 annual levels: natural ratio to 2023Q1, then the published 2022 orders enforced."""
    a = u["q"].to_numpy() / _natural_ratio(u["g"].to_numpy())
    pos = {c: i for i, c in enumerate(u["name"])}
    cities = pub["cities"]
    for _, part in cities.groupby("agglomeration", sort=False):
        part = part.sort_values("rank_2022")
        idx = [pos[n] for n in part["name"]]
        a[idx] = _isotonic_desc(a[idx], MARGIN)
    return a


# --------------------------------------------------------------------------- step 4: layers


def _expert_scores(rng) -> dict[str, pd.DataFrame]:
    """Back-to-back scores 1-5 of nine synthetic experts (layers, indicators, industry)."""
    experts = [f"E{i:02d}" for i in range(1, 10)]

    def draw(items, centre):
        vals = np.clip(np.rint(rng.normal(centre, 0.8, size=(len(experts), len(items)))), 1, 5)
        df = pd.DataFrame(vals.astype(int), columns=items)
        df.insert(0, "expert", experts)
        return df

    indicators = [i for layer in LAYERS for i in INDICATORS[layer]]
    return {
        "scores_layers": draw(LAYERS, [4.2, 4.0, 4.3]),
        "scores_indicators": draw(indicators, [4.5, 3.8, 4.4, 3.9, 3.0, 3.4, 4.1, 3.6]),
        "scores_industry": draw(INDUSTRY_INDICATORS, [4.4, 3.9, 4.0]),
    }


def _weights_from_scores(scores: pd.DataFrame, items: list[str]) -> np.ndarray:
    # a_j = sum_i a_ij / sum_i sum_j a_ij  (report, Part 1 §1 赋权)
    s = scores[items].to_numpy(dtype=float).sum(axis=0)
    return s / s.sum()


def _project(delta: np.ndarray, w: np.ndarray, base: np.ndarray | None) -> np.ndarray:
    """Noise with zero weighted sum per row and (optionally) zero base-weighted column sums."""
    delta = delta - (delta @ w)[:, None]  # rows: sum_j w_j delta_j = 0 (weights sum to 1)
    if base is not None:
        delta = delta - (base @ delta) / base.sum()  # columns: sum_c base_c delta_cj = 0
    return delta


def _layers(d: np.ndarray, u: pd.DataFrame, W: np.ndarray, rng) -> np.ndarray:
    """Layer indices (cities x 3 layers x 9 quarters) whose weighted mean is ``d``."""
    n = len(d)
    tilt = 0.12 * rng.standard_normal((n, 3))
    names = u["name"].to_numpy()
    tilt[names == "上海市"] = [0.35, -0.15, -0.20]
    tilt[names == "北京市"] = [-0.30, 0.15, 0.15]
    mu = 1 + _project(tilt, W, d[:, 0])
    if (mu <= 0.2).any():
        raise ValueError("layer tilt too large")
    national = d.sum(axis=0)
    platform = np.empty(T)
    platform[0] = 100.0
    up1 = (1 + PLATFORM_YOY[0]) ** 0.25
    up2 = (1 + PLATFORM_YOY[1]) ** 0.25
    for t in range(1, T):
        platform[t] = platform[t - 1] * (up1 if t <= 4 else up2)
    scale = national[0] / 100.0
    target = np.empty((3, T))
    target[1] = platform * scale
    target[2] = national * APPLICATION_RATIO
    target[0] = (national - W[1] * target[1] - W[2] * target[2]) / W[0]
    A = np.ones((3, T))
    for _ in range(200):
        lam = A[None, :, :] * mu[:, :, None]
        lam = lam / np.einsum("l,clt->ct", W, lam)[:, None, :]
        cur = np.einsum("ct,clt->lt", d, lam)
        A = A * target / cur
    lam = A[None, :, :] * mu[:, :, None]
    lam = lam / np.einsum("l,clt->ct", W, lam)[:, None, :]
    return d[:, None, :] * lam


def _indicator_values(layer_vals: np.ndarray, w: np.ndarray, rng, sd: float = 0.25,
                      sd_t: float = 0.03) -> np.ndarray:
    """Normalised indicator values (cities x indicators x 9) averaging to ``layer_vals``."""
    n, k = len(layer_vals), len(w)
    delta = np.clip(sd * rng.standard_normal((n, k)), -0.6, 0.6)
    delta = _project(delta, w, layer_vals[:, 0])
    zeta = np.clip(sd_t * rng.standard_normal((n, k, T)), -0.08, 0.08)
    zeta = zeta - np.einsum("j,cjt->ct", w, zeta)[:, None, :]
    zeta[:, :, 0] = 0.0  # base period: keep the column totals exact
    out = layer_vals[:, None, :] * (1 + delta[:, :, None] + zeta)
    if (out <= 0).any():
        raise ValueError("negative synthetic indicator")
    return out


# --------------------------------------------------------------------------- step 6: industries

CALIBRATED = {"manufacturing": 0.16, "finance": 0.30, "communications": 0.10}  # top local share
CALIBRATED_GROWTH_TOP = {"communications": 0.62, "manufacturing": 0.57, "finance": 0.52}
INDUSTRY_GROWTH = {"communications": 0.55, "manufacturing": 0.48, "finance": 0.42,
                   "energy": 0.38, "transport": 0.34, "software": 0.30, "retail": 0.25,
                   "life_services": 0.22, "culture_entertainment": 0.20, "games": 0.15}
# National size (2022) of the other industries: slots between the calibrated ones, so that
# finance is 1st, manufacturing 5th and communications 9th. (lower, upper, position).
SIZE_SLOTS = {"software": ("manufacturing", "finance", 0.8),
              "retail": ("manufacturing", "finance", 0.55),
              "life_services": ("manufacturing", "finance", 0.25),
              "culture_entertainment": ("communications", "manufacturing", 0.8),
              "games": ("communications", "manufacturing", 0.55),
              "transport": ("communications", "manufacturing", 0.25),
              "energy": (None, "communications", 0.8)}
SHARE_STEP = 0.06  # minimum relative gap between adjacent published share ranks


def _province_industry(provinces: list[str], P: np.ndarray, pub: dict, rng):
    """Province x industry x quarter indices with the published share and growth ranks."""
    K = list(INDUSTRIES)
    nP = len(provinces)
    pidx = {p: i for i, p in enumerate(provinces)}
    ind = pub["industry"]
    g = np.zeros((len(K), nP))
    S = np.zeros((len(K), nP))
    for k, name in enumerate(K):
        if name in CALIBRATED:
            top_g = ind[(ind["industry"] == name) & (ind["measure"] == "growth")] \
                .sort_values("rank")["province"].tolist()
            top_s = ind[(ind["industry"] == name) & (ind["measure"] == "share")] \
                .sort_values("rank")["province"].tolist()
            g0 = CALIBRATED_GROWTH_TOP[name]
            low = g0 - 0.015 * 9
            g[k] = rng.uniform(low - 0.12, low - 0.015, nP)
            for r, p in enumerate(top_g):
                g[k, pidx[p]] = g0 - 0.015 * r
            # shares: each published rank above the next by SHARE_STEP, widened where the
            # lower-ranked province grows faster (so the order also holds in 2023Q1)
            rho = np.log1p(g[k])
            s = CALIBRATED[name]
            for r, p in enumerate(top_s):
                if r:
                    prev = pidx[top_s[r - 1]]
                    extra = max(0.0, rho[pidx[p]] - rho[prev]) * 0.7
                    s = s / ((1 + SHARE_STEP) * np.exp(extra))
                S[k, pidx[p]] = s
            s10 = s
            others = [i for i in range(nP) if provinces[i] not in top_s]
            for i in others:
                extra = max(0.0, rho[i] - rho[pidx[top_s[-1]]]) * 0.7
                S[k, i] = s10 / ((1 + SHARE_STEP) * np.exp(extra)) * rng.uniform(0.45, 1.0)
        else:
            g[k] = INDUSTRY_GROWTH[name] + 0.04 * rng.standard_normal(nP)
    cal = [K.index(n) for n in CALIBRATED]
    unc = [k for k in range(len(K)) if k not in cal]
    lq = np.exp(0.25 * rng.standard_normal((len(K), nP)))
    rest = 1 - S[cal].sum(axis=0)
    size = S @ P
    room = rest @ P  # national 2022 mass left for the other industries

    def slots(x):
        out = []
        for k in unc:
            lo, hi, pos = SIZE_SLOTS[K[k]]
            lo_v = size[K.index(lo)] if lo else 0.0
            out.append(lo_v + np.clip(pos + x, 0.05, 0.95) * (size[K.index(hi)] - lo_v))
        return np.array(out)

    x = brentq(lambda x: slots(x).sum() - room, -1, 1)
    target = slots(x)
    z = np.ones(len(K))
    for _ in range(500):  # fit the other industries' national mix to their slots
        mix = z[unc, None] * lq[unc]
        S[unc] = rest[None, :] * mix / mix.sum(axis=0, keepdims=True)
        z[unc] *= target / (S[unc] @ P)
    if (S <= 0).any():
        raise ValueError("industry shares must be positive")
    # quarterly paths: steady growth through the province's 2022 annual level S * P
    t = np.arange(T)
    shift = np.zeros(len(K))

    def national_growth(k, sh):
        rho = np.log1p(g[k]) + sh
        path = np.exp(rho[:, None] * (t[None, :] - 5.5) / 4)
        path /= path[:, YEAR_2022].mean(axis=1, keepdims=True)
        nat = (S[k] * P) @ path
        return np.mean(nat[4:] / nat[:5] - 1)

    for k, name in enumerate(K):
        shift[k] = brentq(lambda sh: national_growth(k, sh) - INDUSTRY_GROWTH[name], -1, 1,
                          xtol=1e-14)
    rho = np.log1p(g) + shift[:, None]
    path = np.exp(rho[:, :, None] * (t[None, None, :] - 5.5) / 4)
    path /= path[:, :, YEAR_2022].mean(axis=2, keepdims=True)
    return (S * P[None, :])[:, :, None] * path  # industries x provinces x quarters


def _industries(u: pd.DataFrame, d: np.ndarray, pub: dict, rng) -> np.ndarray:
    """City industry indices (industries x cities x quarters), all industries summing to 100
    over cities in the base period (geodti's ``normalise_by="all"``)."""
    provinces = sorted(u["province"].unique())
    prov = u["province"].to_numpy()
    P = np.array([d[prov == p][:, YEAR_2022].mean(axis=1).sum() for p in provinces])
    Ip = _province_industry(provinces, P, pub, rng)
    K = len(INDUSTRIES)
    spread = np.exp(0.3 * rng.standard_normal((K, len(u))))
    out = np.zeros((K, len(u), T))
    for i, p in enumerate(provinces):
        m = prov == p
        w = d[m][None, :, :] * spread[:, m][:, :, None]
        w = w / w.sum(axis=1, keepdims=True)
        out[:, m, :] = Ip[:, i][:, None, :] * w
    return out * (100.0 / out[:, :, 0].sum())


# --------------------------------------------------------------------------- tables


def _raw_tables(u: pd.DataFrame, layers: np.ndarray, ind: np.ndarray, scores: dict, rng):
    """Long raw tables (layer indicators; industry key indicators), values as text."""
    indicators = [i for layer in LAYERS for i in INDICATORS[layer]]
    w_ind = _weights_from_scores(scores["scores_indicators"], indicators)
    parts = []
    start = 0
    for li, layer in enumerate(LAYERS):
        items = INDICATORS[layer]
        w = w_ind[start:start + len(items)]
        w = w / w.sum()
        start += len(items)
        vals = _indicator_values(layers[:, li, :], w, rng)
        for j, item in enumerate(items):
            parts.append((item, vals[:, j, :] * RAW_TOTAL[item] / 100.0))
    rows = []
    for item, raw in sorted(parts, key=lambda x: indicators.index(x[0])):
        rows.append(pd.DataFrame({
            "adcode": np.repeat(u["adcode"].to_numpy(), T),
            "name": np.repeat(u["name"].to_numpy(), T),
            "period": np.tile(QUARTERS, len(u)),
            "indicator": item,
            "value": [_fmt(x) for x in raw.reshape(-1)],
        }))
    raw_long = pd.concat(rows, ignore_index=True)
    raw_long["_i"] = raw_long["indicator"].map({k: i for i, k in enumerate(indicators)})
    raw_long["_q"] = raw_long["period"].map({q: i for i, q in enumerate(QUARTERS)})
    raw_long = raw_long.sort_values(["adcode", "_q", "_i"], kind="mergesort") \
        .drop(columns=["_i", "_q"]).reset_index(drop=True)
    # industries: three key indicators per industry and city
    w3 = _weights_from_scores(scores["scores_industry"], INDUSTRY_INDICATORS)
    K = list(INDUSTRIES)
    flat = ind.reshape(len(K) * len(u), T)
    vals = _indicator_values(flat, w3, rng, sd=0.2, sd_t=0.02)  # (K*n) x 3 x T
    vals = vals.reshape(len(K), len(u), len(INDUSTRY_INDICATORS), T)
    rows = []
    for ci, code in enumerate(u["adcode"]):
        for t, q in enumerate(QUARTERS):
            for k, name in enumerate(K):
                for j, item in enumerate(INDUSTRY_INDICATORS):
                    rows.append((code, q, name, item,
                                 _fmt(vals[k, ci, j, t] * RAW_TOTAL_INDUSTRY[item] / 100.0)))
    ind_long = pd.DataFrame(rows, columns=["adcode", "period", "industry", "indicator", "value"])
    return raw_long, ind_long


def build_panel(raw_long: pd.DataFrame, ind_long: pd.DataFrame, scores: dict,
                units: pd.DataFrame) -> pd.DataFrame:
    """The wide index panel, computed from the raw tables by geodti's own method."""
    from geodti.index import build_index, build_industry_index
    from geodti.index.framework import dti_framework

    raw = raw_long.assign(value=raw_long["value"].astype(float))
    iraw = ind_long.assign(value=ind_long["value"].astype(float))
    main = build_index(raw[["adcode", "period", "indicator", "value"]], dti_framework(),
                       scores["scores_indicators"], scores["scores_layers"]).panel
    inds = build_industry_index(iraw, scores["scores_industry"], normalise_by="all").panel
    panel = main.merge(inds, on=["adcode", "period"], how="left", validate="one_to_one")
    panel = panel.merge(units[["adcode", "name", "province"]], on="adcode", how="left")
    cols = ["adcode", "name", "province", "period", *LAYERS, "dti",
            *[f"industry_{k}" for k in INDUSTRIES]]
    panel["_q"] = panel["period"].map({q: i for i, q in enumerate(QUARTERS)})
    panel = panel.sort_values(["adcode", "_q"], kind="mergesort")
    return panel[cols].reset_index(drop=True)


# --------------------------------------------------------------------------- private checks
# Private calibration checks on the finished panel (the tests check the same through
# geodti.index's public functions).

TOP10_GROWTH = ["阿里地区", "那曲市", "玉树藏族自治州", "昌都市", "果洛藏族自治州", "和田地区",
                "日喀则市", "临高县", "山南市", "海西蒙古族藏族自治州"]
NATIONAL_2023Q1 = {"上海市": 1, "北京市": 2, "深圳市": 3, "广州市": 4, "东莞市": 15, "佛山市": 17}
THIRD_TIER = {"成都市", "重庆市", "杭州市", "苏州市", "南京市"}
WEST_GROWTH = ["西藏自治区", "青海省", "内蒙古自治区", "新疆维吾尔自治区", "宁夏回族自治区"]


def _wide(panel: pd.DataFrame, col: str) -> pd.DataFrame:
    return panel.pivot(index="adcode", columns="period", values=col)[QUARTERS]


def _rank(s: pd.Series) -> pd.Series:
    return s.rank(ascending=False, method="min").astype(int)


def _mean_yoy(w: pd.DataFrame) -> pd.Series:
    x = w.to_numpy()
    return pd.Series((x[:, 4:] / x[:, :5] - 1).mean(axis=1), index=w.index)


def _check_all(panel: pd.DataFrame, units: pd.DataFrame, agg: pd.DataFrame,
               pub: dict) -> list[str]:
    fail = []
    dti = _wide(panel, "dti")
    name = units.set_index("adcode")["name"]
    code = {v: k for k, v in name.items()}
    prov = units.set_index("adcode")["province"].reindex(dti.index)
    a2022 = dti[QUARTERS[4:8]].mean(axis=1)
    q8 = dti["2023Q1"]
    g = _mean_yoy(dti)
    # 1. within-agglomeration tables
    for agg_name, part in pub["cities"].groupby("agglomeration", sort=False):
        codes = [code[n] for n in part["name"]]
        r22 = _rank(a2022[codes])
        r23 = _rank(q8[codes])
        rg = _rank(g[codes])
        for (_, row), c in zip(part.iterrows(), codes):
            got = (r22[c], r23[c], r22[c] - r23[c], rg[c])
            want = (row.rank_2022, row.rank_2023Q1, row.rank_change, row.growth_rank)
            if got != want:
                fail.append(f"{agg_name} {row['name']}: ranks {got} != {want}")
            if abs(100 * g[c] - float(row.yoy_growth_pct)) >= 0.05:
                fail.append(f"{agg_name} {row['name']}: growth {100 * g[c]:.3f} != "
                            f"{row.yoy_growth_pct}")
    # 2. national city ranks
    for period, vals in (("2023Q1", q8), ("2022", a2022)):
        r = _rank(vals)
        if period == "2023Q1":
            for n, want in NATIONAL_2023Q1.items():
                if r[code[n]] != want:
                    fail.append(f"{n} national rank {r[code[n]]} in 2023Q1, want {want}")
        tier = {name[c] for c in r.index[(r >= 5) & (r <= 9)]}
        if tier != THIRD_TIER:
            fail.append(f"third tier in {period}: {sorted(tier)}")
    top_a = set(_rank(a2022).pipe(lambda s: s[s <= 10]).index)
    top_q = set(_rank(q8).pipe(lambda s: s[s <= 10]).index)
    if top_a != top_q:
        fail.append("national top 10 differs between 2022 and 2023Q1")
    for q in [*QUARTERS, "2022"]:
        vals = a2022 if q == "2022" else dti[q]
        if _rank(vals)[code["深圳市"]] != 3:
            fail.append(f"深圳 not 3rd in {q}")
    # 3. provinces
    p22 = _rank(a2022.groupby(prov).sum())
    p23 = _rank(q8.groupby(prov).sum())
    if [p22.get("广东省"), p22.get("上海市"), p22.get("北京市")] != [1, 2, 3]:
        fail.append(f"province 2022 top 3: {p22.sort_values().index[:3].tolist()}")
    if p23["上海市"] != 1:
        fail.append("上海 not first province in 2023Q1")
    if not (p22["安徽省"] > 10 and p23["安徽省"] <= 10):
        fail.append(f"安徽 province rank {p22['安徽省']} -> {p23['安徽省']}")
    # 4. national path
    nat = dti.sum(axis=0).to_numpy()
    qoq = nat[1:] / nat[:-1] - 1
    if int(np.argmax(nat)) != 5 or not (qoq[:3] > 0).all() or qoq[5] >= 0 \
            or not (qoq[6:] > 0).all() or qoq[6:].max() >= qoq[:4].min():
        fail.append(f"national path {np.round(nat, 2)}")
    # 5. layers
    lay = {layer: _wide(panel, layer).sum(axis=0).to_numpy() for layer in LAYERS}
    yoy = {k: v[4:] / v[:5] - 1 for k, v in lay.items()}
    if abs(yoy["platform"][0] - 0.18) > 0.005 or abs(yoy["platform"][4] - 0.10) > 0.005:
        fail.append(f"platform YoY {yoy['platform'][[0, 4]]}")
    r0 = sorted(LAYERS, key=lambda k: -yoy[k][0])
    r4 = sorted(LAYERS, key=lambda k: -yoy[k][4])
    if r0[2] != "platform" or r4[0] != "platform" or yoy["application"][4] >= 0:
        fail.append(f"layer YoY ranks {r0} -> {r4}")
    vol = {k: np.std(v[1:] / v[:-1] - 1) for k, v in lay.items()}
    if min(vol, key=vol.get) != "platform":
        fail.append(f"layer volatility {vol}")
    for period in ("2022", "2023Q1"):
        for layer, leader in (("infrastructure", "上海市"), ("platform", "北京市"),
                              ("application", "北京市")):
            w = _wide(panel, layer)
            v = w[QUARTERS[4:8]].mean(axis=1) if period == "2022" else w["2023Q1"]
            if name[v.idxmax()] != leader:
                fail.append(f"{layer} leader in {period}: {name[v.idxmax()]}")
    # 6. agglomerations
    members = {a: list(p["adcode"]) for a, p in agg.groupby("agglomeration")}
    all_members = sorted(set(agg["adcode"]))
    order = pub["agglomerations"].sort_values("share_rank")["agglomeration"].tolist()
    for q in [*QUARTERS, "2022"]:
        vals = a2022 if q == "2022" else dti[q]
        tot = vals.sum()
        share11 = vals[all_members].sum() / tot
        if not 0.75 <= share11 <= 0.82:
            fail.append(f"11 agglomerations hold {share11:.3f} in {q}")
        east = vals[sorted(set(members["长三角"]) | set(members["京津冀"])
                           | set(members["珠三角"]))].sum() / tot
        if east <= 0.5:
            fail.append(f"three eastern agglomerations hold {east:.3f} in {q}")
        totals = {a: vals[members[a]].sum() for a in order}
        if sorted(order, key=lambda a: -totals[a]) != order:
            fail.append(f"agglomeration share order in {q}")
        means = {a: vals[members[a]].mean() for a in order}
        if max(means, key=means.get) != "珠三角":
            fail.append(f"珠三角 mean not first in {q}")
        for big, agg_name, lo, hi in ((["深圳市", "广州市"], "珠三角", 0.65, 0.75),
                                      (["北京市"], "京津冀", 0.70, 0.80),
                                      (["上海市"], "长三角", 0.50, 0.60)):
            s = vals[[code[n] for n in big]].sum() / vals[members[agg_name]].sum()
            if not lo <= s <= hi:
                fail.append(f"{'+'.join(big)} share of {agg_name} {s:.3f} in {q}")
    yrd = q8[members["长三角"]].sort_values(ascending=False)
    s210 = yrd.iloc[1:10].sum() / yrd.sum()
    if not 0.25 <= s210 <= 0.35:
        fail.append(f"长三角 ranks 2-10 hold {s210:.3f}")
    mg = {a: g[members[a]].mean() for a in order}
    top2 = sorted(mg, key=lambda a: -mg[a])[:2]
    if set(top2) != {"呼包鄂榆", "北部湾"} or min(mg["呼包鄂榆"], mg["北部湾"]) <= 0.2:
        fail.append(f"agglomeration mean growth {mg}")
    # 7. growth of provinces and cities
    pg = _mean_yoy(dti.groupby(prov).sum())
    # the report: 西藏 first "领先明显"; 青海, 内蒙古, 新疆, 宁夏 "均排名靠前"
    top5 = pg.sort_values(ascending=False).index[:5].tolist()
    if top5[0] != "西藏自治区" or set(top5) != set(WEST_GROWTH) \
            or pg[top5[0]] < pg[top5[1]] + 0.1:
        fail.append(f"province growth top 5: {pg.sort_values(ascending=False).index[:5].tolist()}")
    top_g = {name[c] for c in g.sort_values(ascending=False).index[:10]}
    if top_g != set(TOP10_GROWTH):
        fail.append(f"top-10 growth cities {sorted(top_g)}")
    # 8. industries
    K = [f"industry_{k}" for k in INDUSTRIES]
    ip = panel.assign(province=panel["adcode"].map(units.set_index("adcode")["province"])) \
        .groupby(["province", "period"])[K].sum()
    ann = ip.loc[(slice(None), QUARTERS[4:8]), :].groupby(level="province").mean()
    share = ann.div(ann.sum(axis=1), axis=0)
    grow = {k: _mean_yoy(ip[k].unstack("period")[QUARTERS]) for k in K}
    ind = pub["industry"]
    for k in CALIBRATED:
        col = f"industry_{k}"
        for measure, vals in (("share", share[col]), ("growth", grow[col])):
            want = ind[(ind["industry"] == k) & (ind["measure"] == measure)] \
                .sort_values("rank")["province"].tolist()
            got = vals.sort_values(ascending=False).index[:10].tolist()
            if got != want:
                fail.append(f"{k} {measure} top 10 {got} != {want}")
    nat = panel.groupby("period")[K].sum().loc[QUARTERS]
    size = nat.loc[QUARTERS[4:8]].mean()
    size_rank = _rank(size)
    nat_g = pd.Series({k: np.mean(nat[k].to_numpy()[4:] / nat[k].to_numpy()[:5] - 1) for k in K})
    g_rank = _rank(nat_g)
    want = {"industry_finance": (1, 3), "industry_manufacturing": (5, 2),
            "industry_communications": (9, 1), "industry_energy": (None, 4),
            "industry_transport": (None, 5)}
    for k, (sr, gr) in want.items():
        if (sr is not None and size_rank[k] != sr) or g_rank[k] != gr:
            fail.append(f"{k}: size rank {size_rank[k]}, growth rank {g_rank[k]}")
    if abs(nat_g["industry_finance"] - 0.42) > 0.005:
        fail.append(f"finance growth {nat_g['industry_finance']:.4f}")
    return fail


# --------------------------------------------------------------------------- main


def _csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def generate(seed: int = SEED, root: Path = ROOT) -> dict[str, bytes]:
    """Build every sample file in memory; return {file name: bytes}."""
    from geodti.index.framework import dti_framework

    fw = dti_framework()
    if list(zip(fw["layer"], fw["indicator"])) != [(lay, i) for lay in LAYERS
                                                   for i in INDICATORS[lay]]:
        raise ValueError("INDICATORS no longer matches data/dti_framework.csv; update both")
    rng = np.random.default_rng(seed)
    units = _load_units(root)
    agg = _load_agglomerations(root)
    agg = agg[agg["adcode"].isin(set(units["adcode"]))]
    pub = _load_published(root)
    u = _design_levels(units, agg, pub, rng)
    a = _design_annual(u, pub)
    d = _paths(a, u["q"].to_numpy(), u["g"].to_numpy())
    d *= 100.0 / d[:, 0].sum()  # per cent of the national base-period total
    scores = _expert_scores(rng)
    W = _weights_from_scores(scores["scores_layers"], LAYERS)
    layer_vals = _layers(d, u, W, rng)
    ind = _industries(u, d, pub, rng)
    raw_long, ind_long = _raw_tables(u, layer_vals, ind, scores, rng)
    panel = build_panel(raw_long, ind_long, scores, units)
    fail = _check_all(panel, units, agg, pub)
    if fail:
        raise RuntimeError("calibration failed:\n  " + "\n  ".join(fail))
    value_cols = [c for c in panel.columns if c not in ("adcode", "name", "province", "period")]
    panel_txt = panel.copy()
    for c in value_cols:
        panel_txt[c] = [_fmt(x, 8) for x in panel[c]]
    gz = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz, compresslevel=9, mtime=0) as f:
        f.write(_csv_bytes(ind_long))
    return {
        OUT_FILES["raw"]: _csv_bytes(raw_long),
        OUT_FILES["industry_raw"]: gz.getvalue(),
        OUT_FILES["panel"]: _csv_bytes(panel_txt),
        OUT_FILES["scores_layers"]: _csv_bytes(scores["scores_layers"]),
        OUT_FILES["scores_indicators"]: _csv_bytes(scores["scores_indicators"]),
        OUT_FILES["scores_industry"]: _csv_bytes(scores["scores_industry"]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                    help="output folder (default: data/sample/)")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    from geodti.io.atomic import write_bytes

    files = generate(args.seed)
    for fname, data in files.items():
        write_bytes(args.out / fname, data)
        print(f"{fname}: {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
