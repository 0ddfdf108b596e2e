"""Every map page opened from disk in headless Chromium with the network cut off.

Checks what a planner would see: no request leaves the machine, no JavaScript error, one path per
unit, a legend, a tooltip on hover, the time slider recolouring the map, and hostile labels shown
as text. A screenshot of each page goes to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import re

import pytest
import shapely

from conftest import HOSTILE
from geodti.web.registry import MAP_KINDS

pytestmark = pytest.mark.browser

#: One page of every registered map kind, plus the hostile-label page.
PAGES = [k.name for k in MAP_KINDS] + ["hostile"]


def _hover_unit(opened, units) -> str:
    """Move the mouse onto a unit that is in view (away from the panels); return its name."""
    page = opened.page
    points = shapely.point_on_surface(units.geometry.values)
    latlon = [[p.y, p.x] for p in points]
    # page coordinates of each point, and the map's size (the title bar sits above the map)
    xy, size = page.evaluate(
        "(pts) => { const m = geodti.pages[0].map; const r = m.getContainer().getBoundingClientRect();"
        " return [pts.map(ll => { const p = m.latLngToContainerPoint(ll); return [p.x + r.left, p.y + r.top,"
        " p.x, p.y]; }), [r.width, r.height]]; }", latlon)
    w, h = size
    # the middle of the map, away from the controls in its corners
    candidates = [(i, (c[0], c[1])) for i, c in enumerate(xy)
                  if 0.25 * w <= c[2] <= 0.7 * w and 0.25 * h <= c[3] <= 0.75 * h]
    assert candidates, "no unit lies in the middle of the view"
    # largest units first: the pointer lands well inside them
    areas = shapely.area(units.geometry.values)  # in square degrees: only the order matters
    i, (x, y) = max(candidates, key=lambda c: areas[c[0]])
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip.geodti-tip", state="visible", timeout=5000)
    # the pointer may cross other units on its way: wait for this unit's tooltip, not the
    # first one shown (a neighbour's tooltip once failed the diffusion page)
    name = units["name"].iloc[i]
    page.wait_for_function(
        "(name) => [...document.querySelectorAll('.leaflet-tooltip.geodti-tip')]"
        ".some(t => t.innerText.includes(name))", arg=name, timeout=5000)
    return name


@pytest.mark.parametrize("name", PAGES)
def test_page_offline(name, page_files, open_page, units, hostile_units, artifacts):
    opened = open_page(page_files[name])
    page = opened.page
    assert page.locator("path.geodti-unit").count() == len(units) == 370
    assert page.locator(".geodti-legend .geodti-legend-row").count() >= 2
    assert page.locator(".geodti-title h1").inner_text().strip()
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".geodti-search input").count() == 1
    shown = hostile_units if name == "hostile" else units
    hovered = _hover_unit(opened, shown)
    tip = page.locator(".leaflet-tooltip.geodti-tip").inner_text()
    assert hovered in tip
    assert "Province" in tip and "Agglomeration" in tip
    if name != "diffusion":  # every statistic page shows the variable's value and rank too
        # ranks travel as integers and classes/categories as codes: the viewer writes the text
        assert "Rank" in tip and re.search(r"(\d+ / 370|\u2014)", tip.split("Rank", 1)[1]), tip
    assert "undefined" not in tip and "NaN" not in tip, tip
    page.screenshot(path=str(artifacts / f"{name}.png"))
    assert opened.blocked == [], f"requests left the machine: {opened.blocked}"
    assert opened.errors == [], opened.errors
    assert opened.dialogs == []


def test_synthetic_note_visible(page_files, open_page):
    opened = open_page(page_files["choropleth"])
    note = opened.page.locator(".geodti-note-synthetic")
    assert note.is_visible()
    assert "SYNTHETIC" in note.inner_text()


def test_time_slider_changes_fill_colours(page_files, open_page, artifacts):
    opened = open_page(page_files["time_slider"])
    page = opened.page
    fills = "() => Array.from(document.querySelectorAll('path.geodti-unit')).map(p => p.getAttribute('fill'))"
    before = page.evaluate(fills)
    legend_before = page.locator(".geodti-legend").inner_text()
    assert "2021Q1" in page.locator(".geodti-slider-label").inner_text()
    for _ in range(8):
        page.locator(".geodti-slider-row button").nth(1).click()  # "next"
    after = page.evaluate(fills)
    assert "2023Q1" in page.locator(".geodti-slider-label").inner_text()
    assert "2023Q1" in page.locator(".geodti-title h1").inner_text()
    changed = sum(a != b for a, b in zip(before, after))
    assert changed > 50, f"only {changed} units changed colour between 2021Q1 and 2023Q1"
    assert page.locator(".geodti-legend").inner_text() != legend_before
    # the range input drives the same frames
    page.locator(".geodti-slider input[type=range]").fill("0")
    assert page.evaluate(fills) == before
    page.screenshot(path=str(artifacts / "time_slider_2021Q1_again.png"))
    assert opened.errors == [] and opened.blocked == []


def test_hostile_labels_are_text(page_files, open_page, hostile_units):
    opened = open_page(page_files["hostile"])
    page = opened.page
    title = page.locator(".geodti-title").inner_text()
    assert "{{ 7*7 }}" in title and "49" not in title
    assert "<b>bold</b>" in title
    assert page.locator(".geodti-title b").count() == 0
    assert HOSTILE["source"] in title
    legend = page.locator(".geodti-legend").inner_text()
    assert "</script><script>alert(3)</script>" in legend
    layers = page.locator(".leaflet-control-layers").inner_text()
    assert "</script><script>alert(3)</script>{{ 7*7 }} 2023Q1" in layers
    # open the popups of the two hostile units by their index
    for i in (0, 1):
        page.evaluate("(i) => geodti.focus(geodti.pages[0], i)", i)
        text = page.locator(".leaflet-popup-content").last.inner_text()  # the previous one may be fading out
        assert hostile_units["name"].iloc[i] in text
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert page.title().startswith("{{ 7*7 }}")
    assert opened.dialogs == [], f"a label was executed: {opened.dialogs}"
    assert opened.errors == [] and opened.blocked == []


def test_search_by_pinyin_and_chinese(page_files, open_page):
    opened = open_page(page_files["choropleth"])
    page = opened.page
    box = page.locator(".geodti-search input")
    box.fill("shenzhen")
    first = page.locator(".geodti-search-results button").first
    assert "深圳市" in first.inner_text()
    first.click()
    assert "深圳市" in page.locator(".leaflet-popup-content").last.inner_text()
    box.fill("成都")
    assert "成都市" in page.locator(".geodti-search-results button").first.inner_text()
    box.fill("4403")  # adcode prefix
    assert "深圳市" in page.locator(".geodti-search-results").inner_text()
    box.fill("xyzxyz")
    assert page.locator(".geodti-search-none").count() == 1
    assert opened.errors == [] and opened.blocked == []


def test_agglomeration_outlines_dissolved(page_files, open_page, agglomerations):
    opened = open_page(page_files["agglomerations"])
    page = opened.page
    # one dissolved outline per agglomeration, drawn from the shared topology
    assert page.locator("path.geodti-group").count() == agglomerations["agglomeration"].nunique()
    dashed = page.evaluate("() => Array.from(document.querySelectorAll('path.geodti-unit'))"
                           ".filter(p => p.getAttribute('stroke-dasharray')).length")
    assert dashed == int(agglomerations.loc[agglomerations["partial"], "adcode"].nunique())
    two = page.locator(".geodti-legend-row", has_text="In two agglomerations").locator(".geodti-legend-count")
    assert two.inner_text() == "(3)"  # 邯郸, 邢台 (京津冀 + 中原) and 运城 (中原 + 关中平原)
    assert opened.errors == [] and opened.blocked == []


def test_diffusion_trajectory(page_files, open_page, stats):
    opened = open_page(page_files["diffusion"])
    page = opened.page
    n = len(stats["centres"])
    assert page.locator("path.geodti-ellipse").count() == n
    # n points plus n-1 arrow segments
    assert page.locator("path.geodti-trajectory").count() == 2 * n - 1
    assert page.locator("path.geodti-trajectory[marker-mid]").count() == n - 1
    labels = page.locator(".geodti-label").all_inner_texts()
    assert labels == [stats["centres"]["period"].iloc[0], stats["centres"]["period"].iloc[-1]]
    assert opened.errors == [] and opened.blocked == []


def test_only_chosen_tiles_are_requested(units, panel, agglomerations, tmp_path, open_page):
    """With OpenStreetMap tiles chosen, tile requests are the page's only network traffic."""
    from geodti import web

    path = web.save_map(web.choropleth_map(panel, "dti", "2023Q1", units, tiles="openstreetmap",
                                           agglomerations=agglomerations), tmp_path / "osm.html")
    opened = open_page(path)
    opened.page.wait_for_timeout(300)
    assert opened.page.locator("path.geodti-unit").count() == 370
    assert opened.blocked, "the tile layer asked for no tiles"
    assert all(u.startswith("https://tile.openstreetmap.org/") for u in opened.blocked), opened.blocked
    # switching the base layer off stops the tiles
    opened.page.get_by_text("无底图 No basemap").click()
    assert opened.page.locator(".leaflet-tile").count() == 0
