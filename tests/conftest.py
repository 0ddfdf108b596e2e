"""Shared fixtures: map units, synthetic panels and statistic tables, and headless Chromium.

The browser fixture drives Debian's Chromium (/usr/bin/chromium) with the ``playwright`` package
(no browser download). Where Chromium is missing the browser tests are skipped with a message;
with ``CI=true`` a missing browser fails them instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

CHROMIUM = os.environ.get("GEODTI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PERIODS = [f"{y}Q{q}" for y in (2021, 2022) for q in (1, 2, 3, 4)] + ["2023Q1"]


# ---------- data ----------

def load_units() -> gpd.GeoDataFrame:
    """The 370 city-level units at map resolution (bundled boundaries)."""
    from geodti.places.boundaries import cities

    return cities(resolution="map")


@pytest.fixture(scope="session")
def units() -> gpd.GeoDataFrame:
    frame = load_units()
    assert len(frame) == 370
    return frame


@pytest.fixture(scope="session")
def agglomerations() -> pd.DataFrame:
    return make_agglomerations()


def make_agglomerations() -> pd.DataFrame:
    """A small membership table with the real overlaps (邯郸/邢台, 运城) and partial members."""
    rows = [
        ("京津冀", "Beijing-Tianjin-Hebei", "110100", False),
        ("京津冀", "Beijing-Tianjin-Hebei", "120100", False),
        ("京津冀", "Beijing-Tianjin-Hebei", "130100", False),
        ("京津冀", "Beijing-Tianjin-Hebei", "130400", False),
        ("京津冀", "Beijing-Tianjin-Hebei", "130500", False),
        ("中原", "Central Plains", "410100", False),
        ("中原", "Central Plains", "130400", False),
        ("中原", "Central Plains", "130500", False),
        ("中原", "Central Plains", "140800", False),
        ("中原", "Central Plains", "340300", True),
        ("关中平原", "Guanzhong Plain", "610100", False),
        ("关中平原", "Guanzhong Plain", "140800", False),
        ("关中平原", "Guanzhong Plain", "620500", True),
        ("珠三角", "Pearl River Delta", "440100", False),
        ("珠三角", "Pearl River Delta", "440300", False),
        ("珠三角", "Pearl River Delta", "441900", False),
    ]
    return pd.DataFrame(rows, columns=["agglomeration", "agglomeration_en", "adcode", "partial"])


def make_panel(units: gpd.GeoDataFrame, seed: int = 0) -> pd.DataFrame:
    """Synthetic quarterly panel (adcode, period, dti), marked synthetic; shares sum to 100 in 2021Q1."""
    rng = np.random.default_rng(seed)
    base = rng.lognormal(0.0, 1.0, len(units))
    base = base / base.sum() * 100.0
    rows = []
    for t, period in enumerate(PERIODS):
        v = base * (1.0 + 0.05 * t) * rng.lognormal(0.0, 0.08, len(units))
        rows.append(pd.DataFrame({"adcode": units["adcode"].to_numpy(), "period": period, "dti": v}))
    panel = pd.concat(rows, ignore_index=True)
    panel.attrs["synthetic"] = True
    panel.attrs["source"] = "synthetic test panel"
    return panel


@pytest.fixture(scope="session")
def panel(units) -> pd.DataFrame:
    return make_panel(units)


@pytest.fixture(scope="session")
def stats(units) -> dict:
    return make_stats(units)


def make_stats(units) -> dict:
    """Synthetic LISA, Gi*, emerging hot spot, growth and diffusion tables in the documented formats."""
    from geodti.web.clusters import EMERGING_CATEGORIES

    rng = np.random.default_rng(1)
    n = len(units)
    codes = units["adcode"].to_numpy()
    lisa = pd.DataFrame({
        "adcode": codes, "period": "2023Q1", "variable": "dti", "weights": "queen",
        "quadrant": rng.integers(1, 5, n), "p_sim": rng.uniform(0, 0.2, n), "Is": rng.normal(size=n),
        "sig_none": rng.uniform(size=n) < 0.5, "sig_fdr": rng.uniform(size=n) < 0.3,
        "sig_bonferroni": rng.uniform(size=n) < 0.1, "permutations": 999, "seed": 12345,
    })
    lisa_bv = pd.DataFrame({
        "adcode": codes, "period": "2023Q1", "variable": "dti", "variable_y": "future_industries",
        "weights": "queen", "statistic": "lisa_bv", "quadrant": rng.integers(1, 5, n),
        "value": rng.normal(size=n), "z_sim": rng.normal(size=n), "p_sim": rng.uniform(0, 0.2, n),
        "sig_none": rng.uniform(size=n) < 0.5, "sig_fdr": rng.uniform(size=n) < 0.3,
        "sig_bonferroni": rng.uniform(size=n) < 0.1, "permutations": 999, "seed": 12345,
    })
    gi = pd.DataFrame({"adcode": codes, "period": "2023Q1", "variable": "dti",
                       "hotspot": rng.integers(-3, 4, n), "z": rng.normal(size=n)})
    ehsa = pd.DataFrame({"adcode": codes, "variable": "dti",
                         "category": [EMERGING_CATEGORIES[i][0] for i in rng.integers(0, 17, n)]})
    growth = pd.DataFrame({"adcode": codes, "period": "2023Q1", "variable": "dti",
                           "yoy": rng.normal(0.05, 0.1, n)})
    lon = 114.0 - np.arange(len(PERIODS)) * 0.3
    lat = 32.0 + np.arange(len(PERIODS)) * 0.1
    centres = gpd.GeoDataFrame({"period": PERIODS, "weight_sum": np.arange(len(PERIODS), dtype=float)},
                               geometry=gpd.points_from_xy(lon, lat), crs=4326)
    ellipses = gpd.GeoDataFrame(
        {"period": PERIODS},
        geometry=[shapely.affinity.rotate(shapely.affinity.scale(p.buffer(1.0), 6 + 0.2 * i, 4), 20)
                  for i, p in enumerate(centres.geometry)], crs=4326)
    for frame in (lisa, lisa_bv, gi, ehsa, growth, centres, ellipses):
        frame.attrs["synthetic"] = True
    return {"lisa": lisa, "lisa_bv": lisa_bv, "gi": gi, "ehsa": ehsa, "growth": growth, "centres": centres, "ellipses": ellipses}


HOSTILE = {
    "name_script": "<script>alert(1)</script>",
    "name_img": "<img src=x onerror=alert(2)>",
    "label": "</script><script>alert(3)</script>{{ 7*7 }}",
    "title": "{{ 7*7 }} {% if true %}jinja{% endif %} \u2028 <b>bold</b>",
    "source": "\"quoted\" 'single' & </style>",
}


@pytest.fixture(scope="session")
def hostile_units(units) -> gpd.GeoDataFrame:
    """Units whose first two names are HTML/script payloads (must show as text, never run)."""
    out = units.copy()
    out.loc[0, "name"] = HOSTILE["name_script"]
    out.loc[1, "name"] = HOSTILE["name_img"]
    return out


def map_inputs(units, panel, stats, agglomerations):
    """Every input a map kind may need, from the shared fixtures."""
    from geodti.web.kind import MapInputs

    return MapInputs(panel=panel, variable="dti", latest="2023Q1", lisa=stats["lisa"], gi=stats["gi"],
                     lisa_bv=stats["lisa_bv"], emerging=stats["ehsa"],
                     diffusion_layers={"centres": stats["centres"], "ellipses": stats["ellipses"]},
                     units=units, agglomerations=agglomerations)


def build_pages(units, panel, stats, agglomerations) -> dict:
    """One page of every registered map kind (kind name -> folium.Map), from the shared fixtures."""
    from geodti.web.registry import MAP_KINDS

    inputs = map_inputs(units, panel, stats, agglomerations)
    missing = [k.name for k in MAP_KINDS if not k.applies(inputs)]
    assert not missing, f"the test inputs cannot draw map kind(s) {missing}: add what they need to map_inputs"
    return {k.name: k.draw(inputs) for k in MAP_KINDS}


@pytest.fixture(scope="session")
def page_files(tmp_path_factory, units, panel, stats, agglomerations, hostile_units) -> dict:
    """Every page written to disk once per session (name -> path), plus the hostile-label page."""
    from geodti import web

    folder = tmp_path_factory.mktemp("pages")
    files = {name: web.save_map(m, folder / f"{name}.html")
             for name, m in build_pages(units, panel, stats, agglomerations).items()}
    hostile = web.choropleth_map(panel, "dti", "2023Q1", hostile_units, label=HOSTILE["label"],
                                 title=HOSTILE["title"], source=HOSTILE["source"],
                                 agglomerations=agglomerations)
    files["hostile"] = web.save_map(hostile, folder / "hostile.html")
    return files


# ---------- browser ----------

def missing_system_tool(what: str, reason: str, install: str):
    """Skip a test that needs a Debian tool which is missing; under ``CI=true`` (where .ci/run
    installs it) fail instead, so CI can never pass by skipping."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and the {what} cannot run: {reason}")
    pytest.skip(f"{what} skipped: {reason} (install {install}; CI=true turns this skip into a "
                "failure)")


def _missing_browser(reason: str):
    missing_system_tool("browser tests", reason, "Debian's 'chromium' package")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by playwright (session-wide)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing_browser(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("the 'playwright' package is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:  # a broken install is reported, not hidden
            _missing_browser(f"Chromium at {CHROMIUM} did not start: {exc}")
        yield b
        b.close()


#: A geodti map page is ready when its script has built the first map's layers.
MAP_READY = "window.geodti && geodti.pages.length > 0 && geodti.pages[0].readyAt"


class OpenedPage:
    """A page opened from disk with every non-file request aborted and counted.

    ``ready`` is the JavaScript condition awaited after loading (a map page's by default);
    ``None`` waits for the load event only (e.g. the run's report page).
    """

    def __init__(self, browser, path: Path, viewport=(1280, 800), ready: str | None = MAP_READY):
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

        def on_dialog(dialog):
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)

        def route(r):
            url = r.request.url
            if url.startswith("file:") or url.startswith("data:"):
                r.continue_()
            else:
                self.blocked.append(url)
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(path.resolve().as_uri())
        if ready is None:
            self.page.wait_for_load_state("load")
        else:
            self.page.wait_for_function(ready)

    def close(self):
        self.context.close()


@pytest.fixture
def open_page(browser):
    opened: list[OpenedPage] = []

    def _open(path: Path, **kw) -> OpenedPage:
        page = OpenedPage(browser, path, **kw)
        opened.append(page)
        return page

    yield _open
    for p in opened:
        p.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
