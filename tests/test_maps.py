"""Map pages without a browser: escaping, determinism, size, offline assets, classification, errors."""

from __future__ import annotations

import json
import re

import folium
import numpy as np
import pandas as pd
import pytest

from conftest import HOSTILE, build_pages, make_panel
from geodti import web
from geodti.errors import InputError
from geodti.web import classify as cl
from geodti.web._assets import VENDOR, javascript, stylesheet
from geodti.web import _topology
from geodti.web._escape import html_text, script_json
from geodti.web._page import stabilise_ids
from geodti.web.registry import MAP_KINDS

MAX_PAGE_BYTES = 1_500_000
# URLs that may appear in any page because nothing loads them: the SVG namespace, and the
# "Leaflet" credit link in the attribution control and in Leaflet's licence header.
# Links inside comments of the vendored files are inert too.
INERT_URLS = {"http://www.w3.org/2000/svg", "https://leafletjs.com",
              "https://github.com/topojson/topojson-client",
              "https://bugs.chromium.org/p/chromium/issues/detail?id=600120",
              "https://bugzilla.mozilla.org/show_bug.cgi?id=888319"}
URL = re.compile(r"https?://[^\s\"'<>)\\]+")


def _urls(html: str) -> set[str]:
    return {u.rstrip(".,;") for u in URL.findall(html)}


@pytest.fixture(scope="module")
def pages_html(page_files) -> dict:
    return {name: path.read_text(encoding="utf-8") for name, path in page_files.items()}


# ---------- escaping ----------

def test_script_json_cannot_leave_the_script_element():
    text = script_json({"a": "</script><script>alert(1)</script>", "b": "<!-- x", "c": "a\u2028b\u2029c & d"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script>", "b": "<!-- x",
                                "c": "a\u2028b\u2029c & d"}
    assert script_json({"name": "深圳市"}) == '{"name":"深圳市"}'  # Chinese stays readable UTF-8


def test_script_json_refuses_nan():
    with pytest.raises(ValueError, match="non-finite"):
        script_json({"v": float("nan")})


def test_html_text_escapes_markup():
    assert html_text("<b>&\"'</b>") == "&lt;b&gt;&amp;&quot;&#x27;&lt;/b&gt;"


def test_hostile_labels_appear_only_escaped(pages_html):
    html = pages_html["hostile"]
    for payload in ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "<script>alert(3)</script>"):
        assert payload not in html
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html
    # folium re-parses rendered snippets as Jinja templates: "{{ 7*7 }}" must reach the page as is
    spec = json.loads(re.search(r"geodti\.page\(map_\d+, units_\d+, (\{.*?\})\);\n", html).group(1))
    assert spec["title"] == HOSTILE["title"]
    assert HOSTILE["source"] in " ".join(spec["subtitle"])
    # the layer name, which Leaflet shows with innerHTML: escaped, braces as references, in JSON
    assert "\\u0026#123;\\u0026#123; 7*7 \\u0026#125;\\u0026#125;" in html
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title == html_text(HOSTILE["title"] + " 2023Q1")
    # Leaflet, topojson-client, geodti.js, folium's switches, the topology data block and the
    # page's script; nothing injected
    assert html.count("<script") == 6
    assert html.count('<script type="application/json" id="geodti-topology">') == 1


# ---------- determinism ----------

def test_pages_are_byte_identical_when_built_twice(units, panel, stats, agglomerations, tmp_path, page_files):
    """A second build from equal (freshly made) inputs gives the same bytes; inputs are not modified."""
    before = (units.copy(), panel.copy(), {k: v.copy() for k, v in stats.items()}, agglomerations.copy())
    _topology._CACHE.clear()  # encode the geometry again instead of reusing the first build's
    again = build_pages(units, make_panel(units), stats, agglomerations)
    for name, m in again.items():
        assert isinstance(m, folium.Map), name
        path = web.save_map(m, tmp_path / f"{name}.html")
        assert path.read_bytes() == page_files[name].read_bytes(), f"{name} differs between two builds"
    assert units.equals(before[0]) and panel.equals(before[1]) and agglomerations.equals(before[3])
    for k, v in stats.items():
        assert v.equals(before[2][k]), k


def test_rendering_twice_gives_the_same_page(units, panel, agglomerations):
    m = web.choropleth_map(panel, "dti", "2022Q4", units, agglomerations=agglomerations)
    first = m.get_root().render()
    assert m.get_root().render() == first
    assert m._repr_html_()  # displays in Jupyter (an iframe around the same page)
    assert m.get_root().render() == first


def test_stable_ids_replace_random_ones(units, panel, agglomerations):
    m = web.choropleth_map(panel, "dti", "2023Q1", units, agglomerations=agglomerations)
    html = m.get_root().render()
    assert not re.search(r"_[0-9a-f]{32}\b", html)
    assert re.search(r"var map_\d+ = L\.map", html)
    stabilise_ids(m.get_root())
    assert m.get_root().render() == html


# ---------- offline and size ----------

@pytest.mark.parametrize("name", [k.name for k in MAP_KINDS])
def test_page_is_small_and_self_contained(name, pages_html, page_files):
    html = pages_html[name]
    assert page_files[name].stat().st_size <= MAX_PAGE_BYTES
    assert _urls(html) <= INERT_URLS, _urls(html) - INERT_URLS
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html), "a page must not load external files"
    lowered = html.lower()
    for dropped in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers"):
        assert dropped not in lowered
    assert "sourceMappingURL" not in html
    assert "url(images/" not in html  # Leaflet's icons are inlined as data: URIs
    assert "Leaflet 1.9.4" in html and "topojson-client v3.1.0" in html


def test_chosen_tiles_are_the_only_urls(units, panel, agglomerations):
    m = web.choropleth_map(panel, "dti", "2023Q1", units, tiles="openstreetmap", agglomerations=agglomerations)
    html = m.get_root().render()
    extra = _urls(html) - INERT_URLS
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in extra
    assert extra == {"https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                     "https://www.openstreetmap.org/copyright"}  # the tiles and their attribution link


def test_cartodb_without_key_is_refused(units, panel):
    with pytest.raises(InputError, match="API key"):
        web.choropleth_map(panel, "dti", "2023Q1", units, tiles="cartodb", agglomerations=False)


def test_gaode_cannot_share_a_page_with_wgs84_tiles(units, panel):
    with pytest.raises(InputError, match="GCJ-02"):
        web.choropleth_map(panel, "dti", "2023Q1", units, tiles=["gaode", "openstreetmap"], agglomerations=False)


def test_gaode_shifts_geometry_and_says_so(units, panel):
    pytest.importorskip("geodti.places.gcj02")
    plain = web.choropleth_map(panel, "dti", "2023Q1", units, agglomerations=False).get_root().render()
    gaode = web.choropleth_map(panel, "dti", "2023Q1", units, tiles="gaode", agglomerations=False).get_root().render()
    assert "GCJ-02" in gaode and "GCJ-02, not WGS84" not in plain
    translate = [json.loads(re.search(r'"translate":(\[[^\]]+\])', h).group(1)) for h in (plain, gaode)]
    # GCJ-02 moves China's western edge by a few hundred metres: a visible shift of the origin
    assert translate[0] != translate[1]
    assert 0.0005 < abs(translate[1][0] - translate[0][0]) < 0.01
    assert "autonavi.com" in gaode


def test_vendored_assets_match_their_readme():
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    assert "| `leaflet` | 1.9.4 |" in readme and "| `topojson-client` | 3.1.0 |" in readme
    assert "Leaflet 1.9.4" in javascript("leaflet")
    assert "topojson-client v3.1.0" in javascript("topojson")
    for folder in ("leaflet", "topojson-client"):
        assert (VENDOR / folder / "LICENSE").read_text(encoding="utf-8").strip()
    assert "data:image/png;base64," in stylesheet("leaflet")


def test_save_map_writes_under_maps_by_default(units, panel, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    m = web.choropleth_map(panel, "dti", "2023Q1", units, agglomerations=False)
    path = web.save_map(m, "dti_2023Q1")
    assert path == tmp_path.joinpath("maps", "dti_2023Q1.html").relative_to(tmp_path)
    assert (tmp_path / path).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in (tmp_path / "maps").iterdir()] == ["dti_2023Q1.html"]  # no temp file left


# ---------- what each page says ----------

def _spec(html: str, call: str) -> dict:
    """The JSON argument of a geodti.<call>(page, {...}) in the page's script."""
    m = re.search(rf"geodti\.{call}\(page_\d+, (\{{.*?\}})\)[;\n]", html)
    assert m, f"no geodti.{call} in the page"
    return json.loads(m.group(1))


def test_title_caption_and_synthetic_note(pages_html):
    html = pages_html["choropleth"]
    spec = json.loads(re.search(r"geodti\.page\(map_\d+, units_\d+, (\{.*?\})\);\n", html).group(1))
    assert spec["title"] == "dti" and spec["period"] == "2023Q1"
    assert any("Quantiles, 5 classes" in s for s in spec["subtitle"])
    assert any("synthetic test panel" in s for s in spec["subtitle"])
    assert spec["notes"][0]["kind"] == "synthetic"


def test_real_data_has_no_synthetic_note(units, panel):
    real = panel.copy()
    real.attrs = {"source": "Tencent Research Institute DTI 2023"}
    html = web.choropleth_map(real, "dti", "2023Q1", units, agglomerations=False).get_root().render()
    assert "SYNTHETIC" not in html and "Tencent Research Institute DTI 2023" in html


def test_choropleth_classes_and_ranks(pages_html, units, panel):
    spec = _spec(pages_html["choropleth"], "unitLayer")
    frame = spec["frames"][0]
    values = panel.loc[panel["period"] == "2023Q1", "dti"].to_numpy()
    expected = cl.classify(values, "quantiles", 5).classes.tolist()
    assert frame["cls"] == expected
    ranks = dict(zip(units["adcode"], frame["rows"][1]["ranks"]))  # shown "r / of"
    top = units["adcode"].iloc[int(np.argmax(values))]
    assert ranks[top] == 1 and frame["rows"][1]["of"] == 370


def test_time_slider_frames_share_pooled_breaks(pages_html, panel):
    spec = _spec(pages_html["time_slider"], "unitLayer")
    assert [f["label"] for f in spec["frames"]] == sorted(panel["period"].unique())
    legends = [f["legend"][0]["entries"] for f in spec["frames"]]
    labels = {tuple(e["label"] for e in entries) for entries in legends}
    assert len(labels) == 1  # pooled: the same class bounds in every period
    assert all(sum(e["count"] for e in entries) == 370 for entries in legends)


def test_lisa_uses_the_chosen_correction(units, stats):
    lisa = stats["lisa"]
    for correction in ("fdr", "bonferroni", "none"):
        html = web.lisa_map(lisa, units, correction=correction, agglomerations=False).get_root().render()
        frame = _spec(html, "unitLayer")["frames"][0]
        n_sig = sum(c != 4 for c in frame["cls"])  # 4 = not significant
        assert n_sig == int(lisa[f"sig_{correction}"].sum())


def test_lisa_quadrant_codes_follow_esda(units):
    table = pd.DataFrame({"adcode": units["adcode"].iloc[:4], "quadrant": [1, 2, 3, 4], "sig_fdr": True})
    html = web.lisa_map(table, units, agglomerations=False).get_root().render()
    cls = _spec(html, "unitLayer")["frames"][0]["cls"]
    # categories: HH, LL, LH, HL, ns -> esda 1 HH, 2 LH, 3 LL, 4 HL
    assert cls[:4] == [0, 2, 1, 3] and set(cls[4:]) == {-1}


def test_hotspot_codes_and_labels_agree(units):
    codes = units["adcode"].iloc[:7]
    as_int = pd.DataFrame({"adcode": codes, "hotspot": [3, 2, 1, 0, -1, -2, -3]})
    as_text = pd.DataFrame({"adcode": codes, "hotspot": ["Hot 99%", "hot spot 95%", "hot_90", "not significant",
                                                        "cold 90%", "Cold Spot 95 %", "cold 99"]})
    a, b = (_spec(web.hotspot_map(t, units, agglomerations=False).get_root().render(), "unitLayer")
            for t in (as_int, as_text))
    assert a["frames"][0]["cls"] == b["frames"][0]["cls"]
    assert a["frames"][0]["cls"][:7] == [0, 1, 2, 3, 4, 5, 6]


def test_emerging_categories_are_checked(units):
    bad = pd.DataFrame({"adcode": units["adcode"].iloc[:1], "category": ["sometimes hot"]})
    with pytest.raises(InputError, match="sometimes hot"):
        web.emerging_hotspot_map(bad, units, agglomerations=False)
    ok = pd.DataFrame({"adcode": units["adcode"].iloc[:2], "category": ["Persistent_Hot_Spot", "No Pattern Detected"]})
    cls = _spec(web.emerging_hotspot_map(ok, units, agglomerations=False).get_root().render(),
                "unitLayer")["frames"][0]["cls"]
    assert cls[:2] == [3, 16]


def test_growth_is_centred_at_zero(pages_html, units, panel):
    from geodti.index.growth import growth

    spec = _spec(pages_html["growth"], "unitLayer")
    g = growth(panel[["adcode", "period", "dti"]], "dti")
    yoy = g[g["period"] == "2023Q1"].set_index("adcode")["yoy"].reindex(units["adcode"]).to_numpy()
    assert np.isfinite(yoy).all()
    classes = cl.diverging_classes(yoy, 4)
    assert 0.0 in classes.bins.tolist()
    n_neg = int(np.sum(classes.bins <= 0))
    cls = np.array(spec["frames"][0]["cls"])
    assert np.all((cls < n_neg) == (yoy <= 0))
    # reds below zero, blues above
    assert spec["colors"][n_neg - 1] in ("#f4a582", "#fddbc7", "#ef8a62")
    assert spec["colors"][n_neg] in ("#92c5de", "#d1e5f0", "#67a9cf")


def test_agglomeration_members_and_overlaps(pages_html, units, agglomerations):
    html = pages_html["agglomerations"]
    groups = _spec(html, "groupLayer")["groups"]
    assert [g["label"] for g in groups] == list(dict.fromkeys(agglomerations["agglomeration"]))
    index = {c: i for i, c in enumerate(units["adcode"])}
    for g in groups:
        expected = [index[c] for c in agglomerations.loc[agglomerations["agglomeration"] == g["label"], "adcode"]]
        assert g["members"] == expected
    city = _spec(html, "unitLayer")
    overlap = city["colors"].index("#b07cc6")
    doubles = [units["adcode"].iloc[i] for i, c in enumerate(city["frames"][0]["cls"]) if c == overlap]
    assert sorted(doubles) == ["130400", "130500", "140800"]  # 邯郸, 邢台, 运城
    dashed = [units["adcode"].iloc[i] for i, d in enumerate(city["dashed"]) if d]
    assert sorted(dashed) == ["340300", "620500"]


def test_agglomeration_share_sums_members(units, panel, agglomerations):
    html = web.agglomeration_map(panel, "dti", "2021Q1", units, agglomerations=agglomerations).get_root().render()
    rows = _spec(html, "unitLayer")["frames"][0]["rows"][2]["values"]
    v = panel[panel["period"] == "2021Q1"].set_index("adcode")["dti"]
    share = v[["440100", "440300", "441900"]].sum() / v.sum() * 100
    i = list(units["adcode"]).index("440300")
    assert rows[i] == f"珠三角: {share:.1f}%"
    i = list(units["adcode"]).index("130400")
    assert rows[i].startswith("京津冀: ") and "; 中原: " in rows[i]


# ---------- classification ----------

def test_classify_schemes():
    y = np.arange(1.0, 21.0)
    q = cl.classify(y, "quantiles", 4)
    assert q.counts() == [5, 5, 5, 5]
    e = cl.classify(y, "equal_interval", 4)
    assert np.allclose(e.bins, [5.75, 10.5, 15.25, 20.0])
    u = cl.classify(y, "user", breaks=[5, 10, 20])
    assert u.counts() == [5, 5, 10]
    f = cl.classify(np.r_[np.ones(5), np.full(5, 10.0), np.full(5, 100.0)], "fisher_jenks", 3)
    assert f.counts() == [5, 5, 5]
    with_nan = cl.classify(np.r_[y, np.nan], "quantiles", 4)
    assert with_nan.classes[-1] == -1


def test_pooled_breaks_compare_periods():
    early, late = np.arange(10.0), np.arange(10.0) + 10
    pooled = cl.pooled_classes([early, late], "quantiles", 2)
    assert np.array_equal(pooled[0].bins, pooled[1].bins)
    assert set(pooled[0].classes) == {0} and set(pooled[1].classes) == {1}
    separate = [cl.classify(v, "quantiles", 2) for v in (early, late)]
    assert set(separate[0].classes) == {0, 1}


def test_classify_errors():
    with pytest.raises(InputError, match="unknown classification"):
        cl.classify([1, 2, 3], "jenks")
    with pytest.raises(InputError, match="breaks"):
        cl.classify([1, 2, 3], "user")
    with pytest.raises(InputError, match="increase"):
        cl.classify([1, 2, 3], "user", breaks=[2, 1])
    with pytest.raises(InputError, match="missing"):
        cl.classify([np.nan, np.nan])


# ---------- bad input ----------

def test_unknown_adcode_is_an_error_not_a_silent_drop(units, panel):
    bad = panel[panel["period"] == "2023Q1"].copy()
    bad.loc[bad.index[0], "adcode"] = "999999"
    with pytest.raises(InputError, match="999999"):
        web.choropleth_map(bad, "dti", "2023Q1", units, agglomerations=False)


def test_missing_units_are_drawn_as_no_data(units, panel):
    part = panel[(panel["period"] == "2023Q1")].iloc[:300]
    html = web.choropleth_map(part, "dti", "2023Q1", units, agglomerations=False).get_root().render()
    spec = _spec(html, "unitLayer")
    assert len(spec["frames"][0]["cls"]) == 370
    assert spec["frames"][0]["cls"].count(-1) == 70
    assert "无数据 No data" in html


def test_bad_inputs_name_the_problem(units, panel):
    with pytest.raises(InputError, match="several values of 'period'"):
        web.choropleth_map(panel, "dti", None, units, agglomerations=False)
    with pytest.raises(InputError, match="2030Q1"):
        web.choropleth_map(panel, "dti", "2030Q1", units, agglomerations=False)
    with pytest.raises(InputError, match="'nope'"):
        web.choropleth_map(panel, "nope", "2023Q1", units, agglomerations=False)
    numeric = panel.assign(adcode=panel["adcode"].astype(int))
    with pytest.raises(InputError, match="6-digit"):
        web.choropleth_map(numeric, "dti", "2023Q1", units, agglomerations=False)
    with pytest.raises(InputError, match="quadrant"):
        web.lisa_map(pd.DataFrame({"adcode": ["110100"], "quadrant": [7], "sig_fdr": [True]}), units,
                     agglomerations=False)
    with pytest.raises(InputError, match="unknown base layer"):
        web.choropleth_map(panel, "dti", "2023Q1", units, tiles="bing", agglomerations=False)


# ---------- bundled reference tables ----------

def test_bundled_agglomerations_and_english_names(units, panel):
    from geodti.places.gazetteer import agglomerations

    html = web.agglomeration_map(panel, "dti", "2023Q1", units).get_root().render()
    groups = _spec(html, "groupLayer")["groups"]
    assert len(groups) == 11
    city = _spec(html, "unitLayer")
    overlap = city["colors"].index("#b07cc6")
    doubles = sorted(units["adcode"].iloc[i] for i, c in enumerate(city["frames"][0]["cls"]) if c == overlap)
    bundled = agglomerations()
    assert doubles == sorted(bundled.loc[bundled["adcode"].duplicated(), "adcode"].unique())
    assert {"130400", "130500", "140800"} <= set(doubles)
    info = json.loads(re.search(r"geodti\.units\(JSON\.parse\(.*?\), (\{.*?\})\);\n", html, re.S).group(1))
    i = info["adcode"].index("440300")
    assert info["name_en"][i] == "Shenzhen" and "shenzhen" in info["search"][i]
    assert info["agglomeration"][i] == "珠三角"


def test_sample_file_names_mark_pages_synthetic(units, panel):
    read_like = panel.copy()
    read_like.attrs = {"source": "/home/someone/data/sample/dti_sample_small_SYNTHETIC.csv"}
    html = web.choropleth_map(read_like, "dti", "2023Q1", units, agglomerations=False).get_root().render()
    assert "SYNTHETIC DATA" in html
    assert "dti_sample_small_SYNTHETIC.csv" in html and "/home/someone" not in html


def test_spatial_long_table_works_as_is(units):
    """The long table of geodti.spatial.local_statistics: statistic, quadrant strings, cluster labels."""
    codes = units["adcode"].iloc[:6].tolist()
    lisa = pd.DataFrame({"adcode": codes, "statistic": "lisa", "quadrant": ["HH", "LH", "LL", "HL", "HH", ""],
                         "sig_fdr": [True, True, True, False, True, False], "neighbours": [3, 2, 4, 5, 6, 0],
                         "value": [0.5, -0.2, 0.4, -0.1, 0.3, np.nan], "cluster": "x"})
    gi = pd.DataFrame({"adcode": codes, "statistic": "gi_star", "quadrant": "hot", "sig_fdr": True,
                       "neighbours": [3, 2, 4, 5, 6, 0], "value": 1.0, "correction": "fdr",
                       "cluster": ["hot_99", "hot_95", "cold_90", "not_significant", "cold_99", "isolate"]})
    table = pd.concat([lisa, gi], ignore_index=True)
    lisa_cls = _spec(web.lisa_map(table, units, agglomerations=False).get_root().render(),
                     "unitLayer")["frames"][0]["cls"]
    assert lisa_cls[:6] == [0, 2, 1, 4, 0, 5]  # HH, LH, LL, ns (not significant), HH, isolate
    gi_html = web.hotspot_map(table, units, agglomerations=False).get_root().render()
    assert _spec(gi_html, "unitLayer")["frames"][0]["cls"][:6] == [0, 1, 4, 3, 6, 7]
    assert "fdr correction" in gi_html


def test_growth_from_geodti_index(units, panel):
    """geodti.index's growth tables map as they are (YoY per quarter, mean YoY over a window)."""
    from geodti.index.growth import growth, summary_growth

    g = growth(panel[["adcode", "period", "dti"]], "dti")
    html = web.growth_map(g, "yoy", units, period="2023Q1", agglomerations=False).get_root().render()
    cls = _spec(html, "unitLayer")["frames"][0]["cls"]
    assert len(cls) == 370 and -1 not in cls
    s = summary_growth(panel[["adcode", "period", "dti"]], "dti")
    html = web.growth_map(s, "growth", units, agglomerations=False).get_root().render()
    assert "2022Q1-2023Q1" in html
    values = _spec(html, "unitLayer")["frames"][0]["rows"][0]["values"]
    i = list(units["adcode"]).index("440300")
    expected = s.set_index("adcode").loc["440300", "growth"]
    assert values[i] == f"{expected:+.1%}"


def test_standard_maps(units, panel, tmp_path):
    maps = web.standard_maps(panel, "dti", units)
    assert list(maps) == ["dti_2023Q1", "dti_slider", "agglomerations_dti_2023Q1", "growth_dti_2023Q1"]
    written = web.save_maps(maps, tmp_path / "maps")
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == sorted(f"{n}.html" for n in maps)
    assert all(path.stat().st_size <= MAX_PAGE_BYTES for path in written.values())
    # one year of data: no YoY growth map
    first_year = panel[panel["period"].str.startswith("2021")]
    assert "growth_dti_2021Q4" not in web.standard_maps(first_year, "dti", units)


def test_dynamics_outputs_map_as_they_are(units, panel):
    """geodti.dynamics' emerging hot spots and centre layers go straight into the maps."""
    import warnings

    from geodti.dynamics import emerging_hotspots
    from geodti.dynamics.centre import centre_layers, mean_centre, standard_deviational_ellipse

    data = panel[["adcode", "period", "dti"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fewer than 10 periods: documented caveat
        ehsa = emerging_hotspots(data, "dti")
    html = web.emerging_hotspot_map(ehsa, units, agglomerations=False).get_root().render()
    spec = _spec(html, "unitLayer")
    keys = [c[0] for c in web.clusters.EMERGING_CATEGORIES]
    by_code = dict(zip(ehsa["adcode"], ehsa["pattern"]))
    for code, c in zip(units["adcode"], spec["frames"][0]["cls"]):
        assert (keys[c] if c >= 0 else None) == by_code.get(code)
    layers = centre_layers(mean_centre(data, "dti"), standard_deviational_ellipse(data, "dti"))
    html = web.diffusion_map(layers["centres"], layers["ellipses"], units, agglomerations=False).get_root().render()
    features = _spec(html, "featureLayer")["features"]
    assert len(features) == len(layers["ellipses"])  # the first feature layer holds the ellipses


def test_one_distinct_value_makes_one_class():
    from geodti.web.classify import classify

    classes = classify([2.5, 2.5, float("nan")])
    assert classes.k == 1 and list(classes.classes) == [0, 0, -1]
    assert classes.labels() == ["2.500 – 2.500"]


# ---------- the registry of map kinds ----------

def test_every_registered_kind_is_drawn(pages_html):
    """The pages the tests build (and the browser test opens) are exactly the registry's kinds."""
    from test_maps_browser import PAGES

    assert [name for name in pages_html if name != "hostile"] == [k.name for k in MAP_KINDS]
    assert set(PAGES) - {"hostile"} == {k.name for k in MAP_KINDS}
    assert len({k.name for k in MAP_KINDS}) == len({k.stem for k in MAP_KINDS}) == len(MAP_KINDS)


def test_link_labels_come_from_the_registry(units, panel, stats, agglomerations):
    from conftest import map_inputs
    from geodti.web.registry import link_label

    inputs = map_inputs(units, panel, stats, agglomerations)
    for k in MAP_KINDS:
        stem = k.file_stem(inputs)
        assert "{" not in stem and "dti" in stem, stem
        assert link_label(stem).startswith(f"{k.label_zh} {k.label_en}: "), (k.name, link_label(stem))
    # the most specific stem wins: a LISA page is not an index map of a variable "lisa_dti"
    assert link_label("lisa_dti_2023Q1") == "LISA 聚类 LISA clusters: dti 2023Q1"
    assert link_label("dti_slider").startswith("时间滑块 Time slider")


def test_standard_maps_are_the_panel_only_kinds(units, panel, agglomerations):
    from geodti.web.kind import MapInputs

    inputs = MapInputs(panel=panel, units=units)
    expected = [k.file_stem(inputs) for k in MAP_KINDS if set(k.needs) == {"panel"}]
    assert list(web.standard_maps(panel, "dti", units, agglomerations=agglomerations)) == expected


def test_a_new_kind_is_one_module_and_one_registry_entry(units, stats, tmp_path, monkeypatch):
    """A kind defined in a new module and added to MAP_KINDS is drawn, saved and labelled."""
    from geodti.web import registry
    from geodti.web.kind import MapInputs

    (tmp_path / "gi_z_kind.py").write_text(
        "from geodti.web import choropleth_map\n"
        "from geodti.web.kind import MapKind\n\n\n"
        "def _draw(inputs):\n"
        "    return choropleth_map(inputs.gi, 'z', inputs.latest, inputs.units, label='Gi* z',\n"
        "                          **inputs.page_keywords())\n\n\n"
        "KIND = MapKind('gi_z', 'gi_z_{variable}_{latest}', 'Gi* z 值', 'Gi* z-scores', needs=('gi',),\n"
        "               draw=_draw)\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import gi_z_kind

    monkeypatch.setattr(registry, "MAP_KINDS", registry.MAP_KINDS + (gi_z_kind.KIND,))
    inputs = MapInputs(gi=stats["gi"], latest="2023Q1", units=units, agglomerations=False)
    maps = registry.draw_kinds(inputs)
    assert list(maps) == ["hotspots_dti_2023Q1", "gi_z_dti_2023Q1"]  # only the kinds whose inputs are given
    written = web.save_maps(maps, tmp_path / "maps")
    z = _spec(written["gi_z_dti_2023Q1"].read_text(encoding="utf-8"), "unitLayer")["frames"][0]
    assert z["cls"] == cl.classify(stats["gi"]["z"].to_numpy(), "quantiles", 5).classes.tolist()
    assert registry.link_label("gi_z_dti_2023Q1") == "Gi* z 值 Gi* z-scores: dti 2023Q1"


def test_a_kind_must_name_known_inputs():
    from geodti.web.kind import MapKind

    with pytest.raises(ValueError, match="unknown input"):
        MapKind("x", "x_{variable}", "甲", "X", needs=("tables",), draw=lambda inputs: None)
    with pytest.raises(ValueError, match="stem"):
        MapKind("x", "x_{province}", "甲", "X", needs=("panel",), draw=lambda inputs: None)


def test_a_misspelt_page_keyword_is_an_error(units, panel):
    with pytest.raises(TypeError, match="titel"):
        web.choropleth_map(panel, "dti", "2023Q1", units, titel="x", agglomerations=False)


def test_gi_pages_say_which_inference_the_table_used(units):
    """One Gi* engine with two inferences: the page states the one its table records."""
    codes = units["adcode"].iloc[:3]
    gi = pd.DataFrame({"adcode": codes, "hotspot": [3, 0, -3], "inference": "analytic"})
    html = web.hotspot_map(gi, units, agglomerations=False).get_root().render()
    assert "Getis-Ord Gi*, analytic inference" in html
    ehsa = pd.DataFrame({"adcode": codes, "category": ["Persistent_Hot_Spot"] * 3,
                         "inference": "permutation", "global_window": "individual_time_step"})
    html = web.emerging_hotspot_map(ehsa, units, agglomerations=False).get_root().render()
    assert "permutation inference over the individual time step" in html
    assert "inference" not in web.hotspot_map(gi.drop(columns="inference"), units,
                                              agglomerations=False).get_root().render().split("Method:")[1][:80]
