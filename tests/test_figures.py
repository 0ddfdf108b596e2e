"""Static figures: CJK font (no boxes), Moran scatterplot, LISA map, centre trajectory, stable PNG bytes."""

import struct
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from layers_fixtures import sample_panel
from libpysal.graph import Graph

from geodti.dynamics import mean_centre
from geodti.errors import MethodError
from geodti.places.boundaries import provinces
from geodti.report import figures as F

N = 6  # a 6 x 6 grid of square "cities" (synthetic)


@pytest.fixture(scope="module")
def grid():
    cells = [shapely.box(110 + i, 30 + j, 111 + i, 31 + j) for j in range(N) for i in range(N)]
    ids = [f"{500000 + k * 100}" for k in range(N * N)]
    rng = np.random.default_rng(7)
    # values rising to the north-east plus noise: positive autocorrelation
    trend = np.array([i + j for j in range(N) for i in range(N)], dtype=float)
    frame = gpd.GeoDataFrame({
        "adcode": ids,
        "name": [f"测试市{k:02d}" for k in range(N * N)],
        "dti": trend + rng.normal(0, 1.5, N * N),
    }, geometry=cells, crs=4326)
    graph = Graph.build_contiguity(frame.set_index("adcode"), rook=False)
    return frame, graph


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _render_warnings(fig) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.figure_bytes(fig)
    return [str(w.message) for w in caught]


def test_cjk_font_found_and_used():
    family = F.cjk_font()
    assert family in F.CJK_FAMILIES  # an installed CJK font, or the bundled Noto Sans SC (also listed)
    # it really has the glyphs of the figure vocabulary
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert F._font_has(path, "中国城市数字化转型指数")


def test_no_installed_cjk_font_falls_back_to_the_bundled_one(monkeypatch):
    monkeypatch.setattr(F, "CJK_FAMILIES", ("No Such Font SC",))
    assert F.cjk_font() == F.BUNDLED_FAMILY
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=F.BUNDLED_FAMILY), fallback_to_default=False)
    assert F._font_has(path, "中国城市数字化转型指数")
    # the font can be named as a file too
    assert F.cjk_font(F.BUNDLED_FONT) == F.BUNDLED_FAMILY


def test_font_asked_for_must_draw_chinese_not_boxes():
    import matplotlib

    # a font without Chinese glyphs is refused, by name or file, and never replaced silently
    with pytest.raises(F.MissingFontError, match="'DejaVu Sans'.*empty boxes"):
        F.cjk_font("DejaVu Sans")
    with pytest.raises(F.MissingFontError, match="'DejaVu Sans'"):
        F.cjk_font(f"{matplotlib.get_data_path()}/fonts/ttf/DejaVuSans.ttf")
    with pytest.raises(F.MissingFontError, match="No Such Font SC"):
        F.cjk_font("No Such Font SC")
    with pytest.raises(F.MissingFontError, match="does not exist"):
        F.cjk_font("/nonexistent/font.otf")


def test_plain_matplotlib_would_draw_boxes():
    """Control: the warning the figure tests look for is what matplotlib emits without a CJK font."""
    from matplotlib.figure import Figure

    fig = Figure()
    fig.add_subplot().set_title("中国城市", fontfamily="DejaVu Sans")
    assert any("missing from font" in m for m in _render_warnings(fig))


def test_figures_render_chinese_without_missing_glyphs(grid):
    frame, graph = grid
    frame = frame.assign(cluster=["HH", "LL", "LH", "HL", "not_significant", None] * N)
    figs = [
        F.moran_scatterplot(frame.set_index("adcode")["dti"], graph, labels=frame["name"], label_top=3,
                            variable="数字化转型指数", title="莫兰散点图"),
        F.lisa_cluster_map(frame, outlines=frame.dissolve(), title="LISA 聚类图"),
        F.centre_trajectory(pd.DataFrame({"period": ["2021Q1", "2021Q2"], "lon": [112.0, 112.1],
                                          "lat": [32.0, 31.9]}), frame, title="重心轨迹"),
    ]
    for fig in figs:
        messages = _render_warnings(fig)
        assert not [m for m in messages if "missing from font" in m or "Glyph" in m], messages


def test_png_bytes_are_deterministic(grid, tmp_path):
    frame, graph = grid

    def make():
        return F.moran_scatterplot(frame.set_index("adcode")["dti"], graph, title="同一输入",
                                   labels=frame["name"], label_top=2, figsize=(3, 3))

    p1 = F.save_figure(make(), tmp_path / "a.png", dpi=72)
    p2 = F.save_figure(make(), tmp_path / "b.png", dpi=72)
    a = p1.read_bytes()
    assert a == p2.read_bytes()
    assert b"Software" not in a and b"matplotlib" not in a.lower()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]


def test_dpi(grid):
    frame, graph = grid
    fig = F.moran_scatterplot(frame.set_index("adcode")["dti"], graph, figsize=(2, 1.5))
    w150, h150 = _png_size(F.figure_bytes(fig))
    w300, h300 = _png_size(F.figure_bytes(fig, dpi=300))
    assert (w150, h150) == (2 * 150, round(1.5 * 150))
    assert (w300, h300) == (2 * w150, 2 * h150)
    with pytest.raises(MethodError, match="dpi"):
        F.figure_bytes(fig, dpi=0)
    with pytest.raises(MethodError, match=".png"):
        F.save_figure(fig, "figure.jpg")


def _fitted_slope(fig) -> float:
    line = fig.axes[0].lines[-1]
    x, y = line.get_xdata(), line.get_ydata()
    return float((y[1] - y[0]) / (x[1] - x[0]))


def test_moran_slope_is_morans_i(grid):
    from esda.moran import Moran

    frame, graph = grid
    y = frame.set_index("adcode")["dti"]
    fig = F.moran_scatterplot(y, graph)
    expected = Moran(y.to_numpy(), graph.transform("r").to_W(), permutations=0).I
    assert _fitted_slope(fig) == pytest.approx(expected, rel=1e-12)
    assert expected > 0.3                                   # the synthetic trend is visible
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"HH", "LH", "LL", "HL"} <= texts
    assert f"Moran's I = {expected:.3f}" in texts
    # points: z against the mean of the neighbours' z
    offsets = fig.axes[0].collections[0].get_offsets()
    z = (y - y.mean()) / y.std(ddof=0)
    np.testing.assert_allclose(offsets[:, 0], z.to_numpy())
    first_neighbours = graph.neighbors[y.index[0]]
    np.testing.assert_allclose(offsets[0, 1], z[list(first_neighbours)].mean())


def _drawn(fig):
    ax = fig.axes[0]
    return ax.collections[0].get_offsets().data.copy(), _fitted_slope(fig)


def test_moran_inputs_are_equivalent(grid):
    frame, graph = grid
    y = frame.set_index("adcode")["dti"]
    z = ((y - y.mean()) / y.std(ddof=0)).to_numpy()
    points, slope = _drawn(F.moran_scatterplot(y, graph))
    for fig in (F.moran_scatterplot(y, graph.transform("r")),          # already row-standardised
                F.moran_scatterplot(y.to_numpy(), lag=graph.transform("r").lag(z)),
                F.moran_scatterplot(y.sample(frac=1, random_state=3), graph)):  # aligned by adcode
        other_points, other_slope = _drawn(fig)
        np.testing.assert_allclose(other_points, points, rtol=0, atol=1e-12)
        assert other_slope == pytest.approx(slope, rel=1e-12)


def test_moran_refusals(grid):
    frame, graph = grid
    y = frame.set_index("adcode")["dti"]
    with pytest.raises(MethodError, match="either weights"):
        F.moran_scatterplot(y)
    with pytest.raises(MethodError, match="NaN"):
        F.moran_scatterplot(y.where(y.index != y.index[3]).to_numpy(), graph)
    with pytest.raises(MethodError, match="no value"):
        F.moran_scatterplot(y.iloc[1:], graph)
    with pytest.raises(MethodError, match="constant"):
        F.moran_scatterplot(np.ones(N * N), graph)
    with pytest.raises(MethodError, match="lang"):
        F.moran_scatterplot(y, graph, lang="fr")


def test_moran_shows_engine_value_when_given(grid):
    frame, graph = grid
    fig = F.moran_scatterplot(frame.set_index("adcode")["dti"], graph, moran_i=0.1234, lang="en")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("Moran's I = 0.123\nslope = ") for t in texts)


def test_lisa_map_colours_legend_and_projection(grid):
    frame, _ = grid
    labels = ["HH"] * 5 + ["LL"] * 4 + ["LH"] * 3 + ["HL"] * 2 + ["isolate"] + [None] * 2
    frame = frame.assign(cluster=labels + ["ns"] * (N * N - len(labels)))
    fig = F.lisa_cluster_map(frame, lang="en")
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["High-High (5)", "Low-Low (4)", "Low-High (3)", "High-Low (2)", "Not significant (19)",
                      "Isolate (no neighbours) (1)", "No data (2)"]
    from matplotlib.colors import to_hex

    fills = {to_hex(c) for coll in ax.collections for c in coll.get_facecolors()}
    assert {"#ff0000", "#0000ff", "#a7adf9", "#f4ada8", "#eeeeee", "#999999"} <= fills
    assert ax.get_xlim()[1] - ax.get_xlim()[0] > 1e5           # metres: Albers, not degrees
    zh = F.lisa_cluster_map(frame.assign(cluster=["HH"] * (N * N)))
    assert [t.get_text() for t in zh.axes[0].get_legend().get_texts()][0] == "高-高 (HH) (36)"
    with pytest.raises(MethodError, match="unknown cluster label"):
        F.lisa_cluster_map(frame.assign(cluster="hot_99"))
    with pytest.raises(MethodError, match="no column"):
        F.lisa_cluster_map(frame, column="lisa")


def test_centre_trajectory_follows_time(grid):
    frame, _ = grid
    centres = pd.DataFrame({"period": ["2022Q1", "2021Q1", "2021Q3"], "lon": [112.4, 112.0, 112.2],
                            "lat": [32.4, 32.0, 32.2]})
    fig = F.centre_trajectory(centres, frame.dissolve(), lang="en")
    ax = fig.axes[0]
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None and a.get_text() == ""]
    assert len(arrows) == 2
    start = arrows[0].xyann if hasattr(arrows[0], "xyann") else arrows[0].xytext
    from pyproj import Transformer

    x0, y0 = Transformer.from_crs(4326, F.CHINA_ALBERS, always_xy=True).transform(112.0, 32.0)
    assert start == pytest.approx((x0, y0))                    # the first arrow leaves 2021Q1
    labels = [t.get_text() for t in ax.texts if t.get_text()]
    assert labels[:3] == ["2021Q1", "2021Q3", "2022Q1"]
    with pytest.raises(MethodError, match="twice"):
        F.centre_trajectory(pd.concat([centres, centres.iloc[:1]]))
    with pytest.raises(MethodError, match="lacks column"):
        F.centre_trajectory(centres.drop(columns="lat"))


def test_label_thinning_keeps_first_and_last():
    xy = np.array([[0, 0], [1, 0], [2, 0], [10, 0], [10.5, 0]], dtype=float)
    assert F._labelled(xy, min_gap=5) == [0, 4]
    assert F._labelled(xy, min_gap=0.5) == [0, 1, 2, 3, 4]
    assert F._labelled(xy[:1], min_gap=1) == [0]


def test_scale_bar_length_is_round():
    assert F._nice_length(4_000_000) == 500_000
    assert F._nice_length(60_000) == 10_000
    assert F._nice_length(1_000) == 1_000


def test_centre_trajectory_takes_mean_centre_output():
    """The table of geodti.dynamics.mean_centre draws as it is; periods without a centre are named."""
    panel = sample_panel()
    panel = panel.loc[panel["adcode"].notna(), ["adcode", "period", "dti"]]
    centres = mean_centre(panel, "dti")
    fig = F.centre_trajectory(centres, provinces("map"), lang="en")
    arrows = [a for a in fig.axes[0].texts if getattr(a, "arrow_patch", None) is not None and not a.get_text()]
    assert len(arrows) == len(centres) - 1
    gap = centres.assign(lon=np.where(centres["period"] == "2021Q2", np.nan, centres["lon"]))
    fig = F.centre_trajectory(gap, provinces("map"), lang="en")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "no centre: 2021Q2" in texts
    assert len([a for a in fig.axes[0].texts if getattr(a, "arrow_patch", None) is not None
                and not a.get_text()]) == len(centres) - 2


def test_quadrant_letters_are_bold_even_with_a_regular_only_font(grid):
    frame, graph = grid
    assert F._bold("DejaVu Sans") == {"fontweight": "bold"}              # has a bold face
    F.cjk_font(F.BUNDLED_FONT)
    assert F._bold(F.BUNDLED_FAMILY) == {"fontweight": "bold", "fontfamily": "DejaVu Sans"}
    fig = F.moran_scatterplot(frame.set_index("adcode")["dti"], graph, font=F.BUNDLED_FONT)
    hh = next(t for t in fig.axes[0].texts if t.get_text() == "HH")
    assert hh.get_fontweight() == "bold" and hh.get_fontfamily() == ["DejaVu Sans"]
