import pytest

from geodti.errors import InputError
from geodti.io.paths import (
    MAX_SLUG_BYTES, check_file_name, output_path, safe_slug, unique_slugs,
)

HOSTILE = ["..", ".", "", "/", "\\", "../../x", "x/../../../../y", "a\\..\\b", "a\x00b",
           "javascript:alert(1);x", "CON", "aux", "con.txt", "Lpt9", " x. ", "...x..",
           "x" * 300, "数" * 200, "C:\\Windows\\x", "%2e%2e%2fx", "a\nb", "..\u2215x"]


@pytest.mark.parametrize("label", HOSTILE)
def test_a_slug_is_always_a_plain_file_name_inside_the_folder(label, tmp_path):
    slug = safe_slug(label)
    assert slug and len(slug.encode("utf-8")) <= MAX_SLUG_BYTES
    for name in (slug, slug + ".html"):
        path = output_path(tmp_path, name)
        assert path.parent == tmp_path and path.name == name
    assert not slug.startswith(".") and "/" not in slug and "\\" not in slug and ":" not in slug
    assert slug == safe_slug(label)  # the same label, the same name


def test_safe_characters_and_chinese_are_kept():
    assert safe_slug("数字化指数") == "数字化指数"
    assert safe_slug("dti_2023Q1-a") == "dti_2023Q1-a"
    assert safe_slug("ＤＴＩ２０２３") == "DTI2023"  # full-width forms read as ASCII
    assert safe_slug("../../x") == "_x"
    assert safe_slug("x/../../../../y") == "x_y"
    assert safe_slug("javascript:alert(1);x") == "javascript_alert_1_x"
    assert safe_slug("a\x00b") == "a_b"


@pytest.mark.parametrize("label", ["CON", "aux", "nul", "Com1", "LPT9"])
def test_windows_device_names_are_changed(label):
    assert safe_slug(label) == label + "_"


@pytest.mark.parametrize("label", ["", ".", "..", "/", "\\", "..."])
def test_labels_with_nothing_usable_get_a_placeholder(label):
    assert safe_slug(label) == "unnamed"


def test_long_labels_are_cut_with_a_digest_so_they_do_not_collide():
    a, b = "x" * 150 + "a", "x" * 150 + "b"
    assert safe_slug(a) != safe_slug(b)
    assert safe_slug(a).startswith("x" * 80)
    assert all(len(safe_slug(t).encode("utf-8")) == MAX_SLUG_BYTES for t in (a, b))
    chinese = safe_slug("城" * 100)  # 300 bytes: cut on a character boundary
    assert chinese.startswith("城" * 30) and len(chinese.encode("utf-8")) <= MAX_SLUG_BYTES
    assert chinese.encode("utf-8").decode("utf-8") == chinese


def test_colliding_labels_get_distinct_names_whatever_their_order():
    labels = ["a/b", "a_b", "a.b", "A_B", "c"]
    names = unique_slugs(labels)
    assert list(names) == labels
    assert len({n.lower() for n in names.values()}) == len(labels)  # case-insensitive too
    assert names["A_B"] == "A_B" and names["c"] == "c"  # unchanged names stay as they are
    assert names["a/b"].startswith("a_b-") and names["a.b"].startswith("a_b-")
    assert unique_slugs(reversed(labels)) == names
    assert unique_slugs(["a/b"]) == {"a/b": "a_b"}  # no collision, no digest
    for name in names.values():
        output_path("out", name + ".csv")


def test_empty_and_dot_labels_do_not_share_a_name():
    names = unique_slugs(["", ".", "..", "unnamed"])
    assert names["unnamed"] == "unnamed"
    assert len(set(names.values())) == 4


@pytest.mark.parametrize("name", ["..", ".", "", "../x", "x/y", "x\\y", ".hidden", "x.", "x ",
                                  "javascript:alert(1)", "con.txt", "AUX", "nul.tar.gz",
                                  "a\x00b.csv", "C:x", "x" * 250 + ".csv"])
def test_output_path_refuses_names_that_are_not_plain(tmp_path, name):
    with pytest.raises(InputError):
        output_path(tmp_path, name)
    with pytest.raises(InputError):
        check_file_name(name)


def test_output_path_joins_plain_names(tmp_path):
    assert output_path(tmp_path, "数字化指数_2023Q1.html") == tmp_path / "数字化指数_2023Q1.html"
    assert output_path(tmp_path / "new", "geodti_tables.xlsx").parent == tmp_path / "new"
    assert check_file_name("console.html") == "console.html"  # only the device names exactly


# --------------------------------------------------------------------------- the writers

def test_save_maps_names_pages_from_slugs_and_never_overwrites(tmp_path):
    import folium

    from geodti.web import save_maps

    maps = {"../../x": folium.Map(tiles=None), "a/b": folium.Map(tiles=None),
            "a_b": folium.Map(tiles=None), "数字化指数_2023Q1": folium.Map(tiles=None)}
    written = save_maps(maps, tmp_path / "out")
    assert list(written) == list(maps)
    assert [p.name for p in written.values()] == [
        "_x.html", written["a/b"].name, "a_b.html", "数字化指数_2023Q1.html"]
    assert written["a/b"].name.startswith("a_b-")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in written.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_write_tables_csv_names_are_slugs_inside_the_folder(tmp_path):
    import pandas as pd

    from geodti.io.tables import write_tables

    t = pd.DataFrame({"a": [1]})
    tables = {"x/../../y": t, "CON": t, "a/b": t, "a_b": t.assign(a=2)}
    files = write_tables(tables, tmp_path / "out")
    assert all(f.parent == tmp_path / "out" for f in files)
    assert [f.name for f in files][:2] == ["x_y.csv", "CON_.csv"]
    assert len({f.name for f in files}) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    # the unchanged name keeps its file; the other gets a distinct one, nothing overwritten
    assert pd.read_csv(tmp_path / "out" / "a_b.csv", encoding="utf-8-sig").a.item() == 2


def test_run_tables_list_the_file_each_table_went_to(tmp_path):
    import pandas as pd

    from geodti.run.tables import write_run_tables

    t = pd.DataFrame({"a": [1]})
    written = write_run_tables({"by_x/../../../../y": t, "by_a_b": t, "by_a.b": t},
                               tmp_path / "tables", limit=0)
    assert all(p.parent == tmp_path / "tables" for p in written)
    contents = pd.read_excel(tmp_path / "tables" / "geodti_tables.xlsx", sheet_name="contents")
    assert list(contents.table) == ["by_x/../../../../y", "by_a_b", "by_a.b"]  # labels kept
    assert set(contents.csv) == {p.name for p in (tmp_path / "tables").glob("*.csv")}
    assert contents.csv[0] == "by_x_y.csv" and contents.csv[1] == "by_a_b.csv"


def test_run_figures_are_named_from_slugs(tmp_path, monkeypatch):
    import matplotlib.figure
    import pandas as pd

    from geodti.report import figures
    from geodti.run.steps import draw_figures

    # the drawing itself needs a CJK font (not on every machine); the file naming does not
    monkeypatch.setattr(figures, "centre_trajectory",
                        lambda *a, **k: matplotlib.figure.Figure(figsize=(1, 1)))
    monkeypatch.setattr(figures, "figure_bytes", lambda fig, dpi: b"\x89PNG")
    written = draw_figures(tmp_path / "f", "../../x", "2023Q1", centres=pd.DataFrame())
    assert [p.name for p in written] == ["centre_trajectory__x.png"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["centre_trajectory__x.png", "f"]


def test_layer_names_that_are_device_names_are_refused(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    from geodti.io.layers import write_layers

    layer = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(116, 40)], crs=4326)
    for name in ("CON", "nul", "a.b", "../x"):
        with pytest.raises(InputError, match="file name"):
            write_layers({name: layer}, tmp_path / "out", "geojson")
    assert list(tmp_path.iterdir()) == []


def test_report_links_must_be_plain_file_names():
    from pathlib import Path

    import pandas as pd

    from geodti.report.page import render_report
    from geodti.run.artefacts import Maps, MatchedTable, Panel, Summaries
    from geodti.run.config import RunConfig
    from geodti.run.steps import RunContext

    context = RunContext(config=RunConfig(), out=Path("o"), input_path=Path("t.csv"),
                         synthetic=False, caption="c")
    report = pd.DataFrame({"status": []})
    matched = MatchedTable(panel=pd.DataFrame(), match_report=report, match_counts={})
    panel = Panel(placed=pd.DataFrame(columns=["adcode", "name", "period", "dti"]), value_columns=["dti"],
                  periods=[], latest="2023Q1")
    summaries = Summaries(tables={}, growth_window=None, earlier=None, coverage_zh="",
                          coverage_en="", top_cities=[])

    def page(maps):
        return render_report(context, matched, panel, summaries, maps=Maps(links=maps))

    html = page([("Index map: <b>../../x</b>", "_x_2023Q1.html")])
    assert "href='_x_2023Q1.html'" in html and "&lt;b&gt;../../x&lt;/b&gt;" in html
    for bad in ("javascript:alert(1)", "../x.html", "/etc/x.html", "a/b.html"):
        with pytest.raises(InputError):
            page([("x", bad)])


# --------------------------------------------------------------------------- a whole run

def _files(folder):
    """Every file and folder under ``folder``: a file's modification time, a folder's None."""
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns if p.is_file() else None
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("first", ["../../x", "javascript:alert(1);x"])
def test_run_writes_nothing_outside_out_whatever_the_column_names(tmp_path, first):
    """Value and group columns named like paths or scripts stay inside --out, and the
    report page links only to plain file names beside it."""
    import html.parser
    import json

    import pandas as pd

    from geodti import cli

    other = "javascript:alert(1);x" if first == "../../x" else "../../x"
    t = pd.read_csv("data/sample/dti_sample_small_SYNTHETIC.csv")
    t = t.assign(**{first: t["dti"], other: 2 * t["dti"]}).drop(columns="dti")
    here = tmp_path / "a" / "b" / "c" / "d"  # deep enough that an escape lands in tmp_path
    here.mkdir(parents=True)
    t.to_csv(here / "t.csv", index=False)
    (here / "g.csv").write_text("city,x/../../../../y\n上海,一线\n北京,一线\n", encoding="utf-8")
    out = here / "out"
    before = _files(tmp_path)
    assert cli.main(["run", str(here / "t.csv"), "--out", str(out), "--groups",
                     str(here / "g.csv"), "--permutations", "9", "--jobs", "1"]) == 0

    after = _files(tmp_path)
    outside = {k: v for k, v in after.items() if not k.startswith("a/b/c/d/out/") and
               k != "a/b/c/d/out"}
    assert outside == before  # nothing new, nothing touched outside --out
    written = [p for p in out.rglob("*") if p.is_file()]
    assert len(written) > 10
    for p in written:
        assert p.resolve().is_relative_to(out.resolve())
        assert ".." not in p.name and ":" not in p.name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all((out / name).resolve().is_relative_to(out.resolve())
               for name in manifest["outputs"])
    assert (out / "tables" / "by_x_y.csv").is_file()

    class Links(html.parser.HTMLParser):
        found: list = []

        def handle_starttag(self, tag, attrs):
            self.found += [v for k, v in attrs if k in ("href", "src", "action")]

    page = (out / "index.html").read_text(encoding="utf-8")
    links = Links()
    links.feed(page)
    maps = [p.name for p in out.glob("*.html") if p.name != "index.html"]
    assert len(maps) == 3 and sorted(links.found) == sorted(maps)
    for href in links.found:
        assert check_file_name(href) == href and (out / href).is_file()
    slug = safe_slug(first)
    assert f"{slug}_slider.html" in maps
    assert f"Time slider: {first}".replace("<", "&lt;") in page  # the label as written
