"""Map pages at every level of the bundled boundaries, opened offline in headless Chromium.

A choropleth of SYNTHETIC values (made up here from each layer's adcodes) is drawn for the
34 provinces and the 2,875 counties; the page must stay within its level's size budget
(:data:`geodti.web._topology.PAGE_BUDGETS`), open without a request leaving the machine and
draw every unit. The draw time is measured by ``benchmarks/bench_maps_levels.py``, not here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geodti import web
from geodti.places import boundaries
from geodti.web._topology import PAGE_BUDGETS, page_budget

pytestmark = pytest.mark.browser


def synthetic_panel(units) -> pd.DataFrame:
    """SYNTHETIC: one made-up value per unit, from a seeded generator."""
    rng = np.random.default_rng(13)
    return pd.DataFrame({"adcode": units["adcode"], "period": "2021", "x": rng.gamma(2.0, 1.0, len(units))})


@pytest.fixture(scope="module")
def level_pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("levels")
    out = {}
    for level in ("province", "county"):
        units = boundaries.layer(level, "map")
        m = web.choropleth_map(synthetic_panel(units), variable="x", period="2021", units=units,
                               synthetic=True, agglomerations=False, source="SYNTHETIC values")
        path = folder / f"{level}.html"
        web.save_map(m, path)
        out[level] = (path, units)
    return out


@pytest.mark.parametrize("level", ["province", "county"])
def test_level_page_within_budget_and_drawn_offline(level, level_pages, open_page, artifacts):
    path, units = level_pages[level]
    budget = PAGE_BUDGETS[level]
    assert page_budget(units) is budget
    assert path.stat().st_size <= budget.max_bytes
    opened = open_page(path)
    page = opened.page
    page.wait_for_function(f"document.querySelectorAll('path.geodti-unit').length >= {len(units)}")
    assert page.locator("path.geodti-unit").count() == len(units)
    # every unit got a fill of the legend's classes (none drawn as "no data")
    fills = page.eval_on_selector_all("path.geodti-unit", "ps => ps.map(p => p.getAttribute('fill'))")
    assert len(set(fills)) == 5 and "#d9d9d9" not in fills
    page.screenshot(path=str(artifacts / f"level_{level}.png"))
    assert opened.blocked == [], f"requests left the machine: {opened.blocked}"
    assert opened.errors == [], opened.errors


def test_province_page_simplified_as_a_coverage():
    """The province page's extra simplification keeps neighbours sharing their edges."""
    from geodti.web._topology import simplify_coverage

    units = boundaries.provinces("map")
    simple = simplify_coverage(units.geometry, PAGE_BUDGETS["province"].simplify_m)
    geoms = np.asarray(simple.values)
    assert shapely.is_valid(geoms).all() and shapely.coverage_is_valid(geoms)
    assert shapely.get_num_coordinates(geoms).sum() < 0.7 * shapely.get_num_coordinates(np.asarray(units.geometry.values)).sum()
    # the same neighbours as the shipped contiguity
    from libpysal.graph import Graph

    adj = Graph.build_contiguity(gpd_series(simple, units["adcode"]), rook=False).adjacency.reset_index()
    adj = adj[(adj["weight"] > 0) & (adj["focal"] < adj["neighbor"])]
    pairs = boundaries.queen_pairs("province")
    assert set(zip(adj["focal"], adj["neighbor"])) == set(zip(pairs["adcode_a"], pairs["adcode_b"]))


def gpd_series(geometry, index):
    return geometry.set_axis(index.to_numpy())


def test_the_heaviest_county_page_stays_within_budget(tmp_path):
    """The time slider of the SYNTHETIC county sample, 2,848 units x 11 years: each period adds
    a frame of classes, values and ranks (3.70 MB before ranks and classes travelled as codes)."""
    from geodti.io.panel import read_panel

    panel = read_panel("sample:county")
    units = boundaries.layer("county", "map")
    path = web.save_map(web.time_slider_map(panel, "digital_economy", units), tmp_path / "slider.html")
    assert path.stat().st_size <= PAGE_BUDGETS["county"].max_bytes
