import geopandas as gpd
import pytest

import geodti
from geodti.errors import InputError
from geodti.places.join import join

SMALL = "data/sample/dti_sample_small_SYNTHETIC.csv"


@pytest.fixture(scope="module")
def panel():
    return geodti.read_panel(SMALL)


def test_every_unit_for_every_period(panel):
    joined = join(panel)
    assert isinstance(joined, gpd.GeoDataFrame) and joined.crs.to_epsg() == 4326
    assert len(joined) == 370 * 2
    assert joined.groupby("period").adcode.nunique().eq(370).all()
    # every matched row kept, the rest flagged
    assert joined.has_data.sum() == len(panel)
    assert joined.attrs["units_without_data"] == {"2022Q4": 360, "2023Q1": 360}
    assert joined.loc[~joined.has_data, "dti"].isna().all()
    shenzhen = joined[(joined.adcode == "440300") & (joined.period == "2023Q1")].iloc[0]
    assert shenzhen.dti == 4.06 and shenzhen.agglomeration == "珠三角" and shenzhen.region == "东部"
    assert shenzhen.geometry.contains(gpd.points_from_xy([114.06], [22.55])[0])


def test_unit_in_two_agglomerations_lists_both(panel):
    joined = join(panel, periods="2023Q1")
    handan = joined[joined.adcode == "130400"].agglomeration.item()
    assert set(handan.split("; ")) == {"京津冀", "中原"}


def test_unplaced_rows_are_listed_not_dropped(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("city,period,dti\n深圳,2023Q1,1\nGotham,2023Q1,2\n", encoding="utf-8")
    panel = geodti.read_panel(path, allow_unmatched=True)
    joined = join(panel)
    assert [r["city_input"] for r in joined.attrs["unplaced_rows"]] == ["Gotham"]
    assert joined.has_data.sum() == 1


def test_unknown_period_is_an_error(panel):
    with pytest.raises(InputError, match="2021Q1"):
        join(panel, periods="2021Q1")
