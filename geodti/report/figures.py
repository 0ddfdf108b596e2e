"""Static figures for papers: Moran scatterplot, LISA cluster map, mean-centre trajectory.

Every figure is a :class:`matplotlib.figure.Figure` built without pyplot (no global state,
the Agg renderer), with a CJK font chosen explicitly by :func:`cjk_font`:

1. ``font=`` given: that family name (``"Noto Sans CJK SC"``) or font file
   (``"path/to/font.otf"``, ``.ttf``, ``.ttc``); :class:`MissingFontError` if it is not
   installed, does not exist or lacks Chinese glyphs (never empty boxes).
2. Otherwise the first installed font of :data:`CJK_FAMILIES` that has Chinese glyphs
   (Noto Sans CJK SC first), so a system CJK font wins when there is one.
3. Otherwise the Noto Sans SC Regular that geodti carries (:data:`BUNDLED_FONT`, OFL, see
   ``geodti/fonts/README.md``), so figures draw Chinese on a machine with no CJK font.

:func:`save_figure` writes PNG atomically with no software or time stamp in the file, so
the same input gives the same bytes on one machine (150 dpi by default, 300 for print).

Maps are drawn in an Albers equal-area conic projection for China (central meridian 105°E,
standard parallels 25°N and 47°N, :data:`CHINA_ALBERS`), the usual choice for national
maps of China because areas are true and the shape distortion across the country is small.
These figures do not draw the South China Sea inset (南海诸岛) or the nine-dash line: maps of
China printed in China need a 审图号 (map approval number) and the standard base map; use
these figures for analysis and check publication rules before printing.

Input is decoupled from the spatial engine: the scatterplot takes the values and either a
weights object with a ``lag`` method (``libpysal.graph.Graph``) or the lag itself; the
cluster map takes any GeoDataFrame with a cluster label column (``HH``, ``LH``, ``LL``,
``HL``, ``not_significant``/``ns``, ``isolate``; missing = no data), as
:func:`geodti.spatial.local.local_statistics` writes it.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from geodti.labels import LISA_COLOURS, NOT_SIGNIFICANT, QUADRANT, QUADRANTS
from geodti.errors import GeodtiError, MethodError
from geodti.io.atomic import write_bytes

#: Albers equal-area conic for China: central meridian 105°E, standard parallels 25°N, 47°N.
from geodti.geo import ALBERS_CHINA as CHINA_ALBERS  # noqa: E402  (one definition, in geodti.geo)
#: CJK fonts tried in order (Debian/Ubuntu fonts-noto-cjk first, then common desktop fonts).
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC",
    "Hiragino Sans GB", "Heiti SC", "SimHei", "Noto Sans CJK JP", "Noto Sans CJK TC",
)
#: The font geodti carries, used when no font of :data:`CJK_FAMILIES` is installed.
BUNDLED_FONT = Path(__file__).resolve().parents[1] / "fonts" / "NotoSansSC-Regular.otf"
#: Family name of :data:`BUNDLED_FONT` (its name table says so; a test checks).
BUNDLED_FAMILY = "Noto Sans SC"
#: Characters a font must have to count as a CJK font (figure vocabulary).
_PROBE = "中国城市数字化转型指数空间滞后标准化高低显著邻居无数据北省群期间"
#: Default resolution of :func:`save_figure`.
DEFAULT_DPI = 150
def _short(key: str) -> str:
    return "ns" if key == NOT_SIGNIFICANT else key


_LISA_LABELS = {  # legend texts from the one vocabulary, keyed by the figures' short keys
    "zh": {_short(k): (f"{lab.zh} ({k})" if k in QUADRANTS else lab.zh) for k, lab in QUADRANT.items()},
    "en": {_short(k): lab.en for k, lab in QUADRANT.items()},
}
_ALIASES = {**{k: _short(k) for k in QUADRANT if k != "no_data"}, "not significant": "ns", "ns": "ns"}


class MissingFontError(GeodtiError, RuntimeError):
    """The font asked for is missing or cannot draw Chinese characters."""


# --------------------------------------------------------------------------- fonts


def _font_has(path, text: str) -> bool:
    from matplotlib import font_manager

    font = font_manager.get_font(path)
    return all(font.get_char_index(ord(ch)) != 0 for ch in text if not ch.isspace())


def _is_font_file(font) -> bool:
    return os.sep in str(font) or Path(font).suffix.lower() in (".otf", ".ttf", ".ttc")


def _register(path: Path) -> str:
    """Add a font file to matplotlib's font list (this process only); its family name."""
    from matplotlib import font_manager

    # once per file: a second addfont would list the same file twice
    if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _bundled_family() -> str:
    if not BUNDLED_FONT.is_file():
        raise MissingFontError(
            f"geodti's bundled font {BUNDLED_FONT} is missing: the installation is incomplete. "
            "Reinstall geodti, or pass font='path/to/font.otf' (a font with Chinese glyphs)."
        )
    _register(BUNDLED_FONT)
    return BUNDLED_FAMILY


def cjk_font(font: str | os.PathLike | None = None) -> str:
    """The family name of a font that draws Chinese text.

    Parameters
    ----------
    font : str or path-like, optional
        A family name (``"Noto Sans CJK SC"``) or a font file (``.otf``, ``.ttf``, ``.ttc``)
        to use. Default: the first of :data:`CJK_FAMILIES` that is installed and has
        Chinese glyphs, else the font geodti carries (:data:`BUNDLED_FONT`).

    Returns
    -------
    str
        The family name to give matplotlib.

    Raises
    ------
    MissingFontError
        The font asked for is not installed, does not exist or lacks Chinese glyphs.
    """
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties

    if font is not None and _is_font_file(font):
        path = Path(font)
        if not path.is_file():
            raise MissingFontError(f"font file {path} does not exist.")
        font = _register(path.resolve())
    candidates = [str(font)] if font is not None else list(CJK_FAMILIES)
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in candidates:
        if family not in installed:
            continue
        path = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
        if _font_has(path, _PROBE):
            return family
    if font is None or str(font) == BUNDLED_FAMILY:
        return _bundled_family()
    raise MissingFontError(
        f"font {font!r} is not installed or cannot draw Chinese characters; the figure would "
        "show empty boxes. Pass an installed font with Chinese glyphs (a family name or a "
        f"font file path), or leave font unset to use an installed CJK font or geodti's own "
        f"{BUNDLED_FAMILY}. If you just installed the font, delete matplotlib's font cache "
        "(~/.cache/matplotlib) so it is found."
    )


def _rc(family: str) -> dict:
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties

    path = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [family],
        # the true minus sign if the font has it, else the hyphen (never a missing glyph)
        "axes.unicode_minus": _font_has(path, "\u2212"),
        "svg.hashsalt": "geodti",
        "figure.dpi": 100,
    }


def _bold(family: str) -> dict:
    """Text properties for bold Latin text: the figure's font if it has a bold face, else
    matplotlib's own DejaVu Sans Bold (the bundled Noto Sans SC is Regular only)."""
    from matplotlib import font_manager

    weights = [font_manager.weight_dict.get(f.weight, 400) if isinstance(f.weight, str) else f.weight
               for f in font_manager.fontManager.ttflist if f.name == family]
    if any(w >= 600 for w in weights):
        return {"fontweight": "bold"}
    return {"fontweight": "bold", "fontfamily": "DejaVu Sans"}


@contextlib.contextmanager
def _style(font) -> Iterator[str]:
    import matplotlib

    family = cjk_font(font)
    with matplotlib.rc_context(_rc(family)):
        yield family


def _new_figure(figsize, family: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    fig._geodti_font = family  # save_figure draws with the same font
    return fig


def figure_bytes(fig, *, dpi: int = DEFAULT_DPI) -> bytes:
    """The figure as PNG bytes, without software name or time stamp (byte-stable)."""
    if not isinstance(dpi, (int, np.integer)) or not 50 <= dpi <= 1200:
        raise MethodError(f"dpi {dpi!r}: give a whole number between 50 and 1200 (150 screen, 300 print).")
    family = getattr(fig, "_geodti_font", None)
    buf = io.BytesIO()
    with _style(family):
        fig.savefig(buf, format="png", dpi=int(dpi), metadata={"Software": None})
    return buf.getvalue()


def save_figure(fig, path: str | os.PathLike, *, dpi: int = DEFAULT_DPI) -> Path:
    """Write ``fig`` as a PNG atomically (same figure, same bytes).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from this module (or any matplotlib figure).
    path : str or path-like
        Target ``.png`` file.
    dpi : int
        Resolution: 150 (default, screen) or 300 (print).
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise MethodError(f"{path}: figures are written as PNG; give a path ending in .png.")
    return write_bytes(path, figure_bytes(fig, dpi=dpi))


# --------------------------------------------------------------------------- map furniture


def _nice_length(span_m: float) -> float:
    """A round scale-bar length near a fifth of the map width, in metres."""
    target = span_m / 5
    steps = np.array([1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000]) * 1000.0
    return float(steps[steps <= max(target, steps[0])].max())


def _scale_bar(ax, lang: str) -> None:
    """Two-segment scale bar at the lower right, in the map's metres.

    An Albers map's scale is true on the standard parallels and within about 2 % of it
    across China, so one bar serves the whole map.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    height = (y1 - y0) * 0.012
    right = x1 - (x1 - x0) * 0.04
    left = right - length
    base = y0 + (y1 - y0) * 0.04
    for i, colour in enumerate(("black", "white")):
        ax.add_patch(_rect((left + i * length / 2, base), length / 2, height, colour))
    km = length / 1000
    fmt = (lambda v: f"{v:g}")
    for frac in (0, 0.5, 1):
        ax.text(left + frac * length, base + height * 1.6, fmt(km * frac), ha="center", va="bottom",
                fontsize=7)
    ax.text(right + (x1 - x0) * 0.005, base + height / 2, "km" if lang == "en" else "公里",
            ha="left", va="center", fontsize=7)


def _rect(xy, w, h, colour):
    from matplotlib.patches import Rectangle

    return Rectangle(xy, w, h, facecolor=colour, edgecolor="black", linewidth=0.6, zorder=5)


def _north_arrow(ax, lang: str, x: float = 0.94) -> None:
    """Arrow pointing up (north on the central meridian of the projection) at ``x`` (axes fraction)."""
    ax.annotate("N" if lang == "en" else "北", xy=(x, 0.97), xytext=(x, 0.88),
                xycoords="axes fraction", ha="center", va="center", fontsize=9,
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2})


def _check_lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise MethodError(f"lang {lang!r}: choose 'zh' (Chinese labels) or 'en'.")
    return lang


# --------------------------------------------------------------------------- Moran scatterplot


def _standardise(values: np.ndarray) -> np.ndarray:
    sd = values.std()
    if not np.isfinite(sd) or sd == 0:
        raise MethodError("the values are constant; a Moran scatterplot needs variation.")
    return (values - values.mean()) / sd


def moran_scatterplot(
    values,
    weights=None,
    *,
    lag=None,
    moran_i: float | None = None,
    clusters=None,
    labels=None,
    label_top: int = 0,
    variable: str = "DTI",
    title: str | None = None,
    lang: str = "zh",
    font: str | None = None,
    figsize: tuple[float, float] = (5.5, 5.0),
):
    """Moran scatterplot: standardised values against their spatial lag.

    The values are standardised, ``z = (y - mean) / sd`` (population sd, as GeoDa and esda),
    and plotted against their spatial lag ``Wz`` with ``W`` row-standardised (the mean of the
    neighbours' ``z``; Anselin 1996, "The Moran scatterplot as an ESDA tool"). The fitted
    line through the origin has slope ``z'Wz / z'z``, which is Moran's I when every unit has
    a neighbour; the quadrants are HH (top right), LH (top left), LL (bottom left) and HL
    (bottom right).

    Parameters
    ----------
    values : array-like or pandas.Series
        One value per unit. A Series is aligned to ``weights.unique_ids`` when ``weights``
        has them.
    weights : libpysal.graph.Graph or object with ``lag(y)``, optional
        Spatial weights; row-standardised here (``transform("r")``) when they are not.
    lag : array-like, optional
        The spatial lag ``Wz`` of the standardised values, instead of ``weights``.
    moran_i : float, optional
        Moran's I from the spatial engine, shown in the note; default the slope.
    clusters : array-like, optional
        LISA cluster labels per unit (as :func:`lisa_cluster_map` takes them) to colour the
        points; default one colour.
    labels : array-like, optional
        Unit names for the ``label_top`` largest values.
    label_top : int
        How many of the largest values to label (needs ``labels``).
    variable : str
        Name of the variable for the axis labels.
    title : str, optional
        Figure title.
    lang : {"zh", "en"}
        Language of the default labels.
    font : str or path-like, optional
        CJK font family or file (see :func:`cjk_font`).
    figsize : (float, float)
        Inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    lang = _check_lang(lang)
    if (weights is None) == (lag is None):
        raise MethodError("give either weights (a libpysal Graph) or lag (the spatial lag of z), not both.")
    ids = getattr(weights, "unique_ids", None)
    if isinstance(values, pd.Series) and ids is not None:
        aligned = values.reindex(pd.Index(ids))
        lacking = [str(i) for i in pd.Index(ids)[aligned.isna().to_numpy()]]
        if lacking:
            raise MethodError(
                f"{len(lacking)} unit(s) of the weights have no value ({', '.join(lacking[:8])}); "
                "subset the weights to the units with data (graph.subgraph(ids)) first."
            )
        values = aligned
    y = np.asarray(values, dtype=float)
    if not np.isfinite(y).all():
        raise MethodError("the values contain NaN or infinity; drop those units (and their weights) first.")
    z = _standardise(y)
    if weights is not None:
        if getattr(weights, "transformation", "R") != "R" and hasattr(weights, "transform"):
            weights = weights.transform("r")
        wz = np.asarray(weights.lag(z), dtype=float)
    else:
        wz = np.asarray(lag, dtype=float)
    if wz.shape != z.shape:
        raise MethodError(f"the lag has {wz.shape[0]} values but there are {z.shape[0]} units.")
    slope = float(z @ wz / (z @ z))
    shown_i = slope if moran_i is None else float(moran_i)

    with _style(font) as family:
        fig = _new_figure(figsize, family)
        ax = fig.add_subplot()
        if clusters is not None:
            labels_c = _cluster_keys(pd.Series(np.asarray(clusters, dtype=object)))
            colours = [LISA_COLOURS[k] if k != "ns" else "#9e9e9e" for k in labels_c]
        else:
            colours = "#3b6ea5"
        ax.scatter(z, wz, s=14, c=colours, edgecolors="#333333", linewidths=0.3, zorder=3)
        ax.axhline(0, color="#777777", lw=0.8, ls="--", zorder=1)
        ax.axvline(0, color="#777777", lw=0.8, ls="--", zorder=1)
        xl = max(abs(z).max(), 1e-9) * 1.08
        yl = max(abs(wz).max(), 1e-9) * 1.15
        ax.set_xlim(-xl, xl)
        ax.set_ylim(-yl, yl)
        xs = np.array([-xl, xl])
        ax.plot(xs, slope * xs, color="#c0392b", lw=1.4, zorder=4)
        for text, (fx, fy, ha, va) in {"HH": (0.97, 0.97, "right", "top"), "LH": (0.03, 0.97, "left", "top"),
                                       "LL": (0.03, 0.03, "left", "bottom"),
                                       "HL": (0.97, 0.03, "right", "bottom")}.items():
            ax.text(fx, fy, text, transform=ax.transAxes, ha=ha, va=va, fontsize=11,
                    color="#555555", **_bold(family))
        note = f"Moran's I = {shown_i:.3f}"
        if moran_i is not None and abs(moran_i - slope) > 5e-4:
            note += f"\n{'斜率' if lang == 'zh' else 'slope'} = {slope:.3f}"
        ax.text(0.5, 0.97, note, transform=ax.transAxes, ha="center", va="top", fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "#bbbbbb", "boxstyle": "round,pad=0.3"})
        if labels is not None and label_top > 0:
            names = np.asarray(labels, dtype=object)
            for i in np.argsort(-z, kind="stable")[:label_top]:
                ax.annotate(str(names[i]), (z[i], wz[i]), xytext=(4, 3), textcoords="offset points",
                            fontsize=7)
        if lang == "zh":
            ax.set_xlabel(f"{variable}（标准化值 z）")
            ax.set_ylabel(f"{variable} 的空间滞后（Wz）")
        else:
            ax.set_xlabel(f"{variable} (standardised, z)")
            ax.set_ylabel(f"spatial lag of {variable} (Wz)")
        if title:
            ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- LISA cluster map


def _cluster_keys(labels: pd.Series) -> list[str]:
    keys = []
    unknown = set()
    for value in labels:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value == "":
            keys.append("no_data")
        elif str(value) in _ALIASES:
            keys.append(_ALIASES[str(value)])
        else:
            unknown.add(str(value))
    if unknown:
        raise MethodError(
            f"unknown cluster label(s) {sorted(unknown)}; use HH, LH, LL, HL, not_significant (or ns), "
            "isolate, or leave the cell empty for no data."
        )
    return keys


def lisa_cluster_map(
    layer,
    column: str = "cluster",
    *,
    outlines=None,
    title: str | None = None,
    lang: str = "zh",
    projection: str = CHINA_ALBERS,
    scale_bar: bool = True,
    north_arrow: bool = True,
    font: str | None = None,
    figsize: tuple[float, float] = (8.0, 6.5),
):
    """LISA cluster map in GeoDa's colours, with legend (and counts), scale bar and north arrow.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Polygons with a CRS and a cluster label column: ``HH`` (red), ``LL`` (blue), ``LH``
        (light blue), ``HL`` (pink), ``not_significant`` or ``ns`` (grey), ``isolate``
        (darker grey: no neighbours, no statistic); empty or missing = no data (white).
    column : str
        The label column.
    outlines : geopandas.GeoDataFrame, optional
        Boundaries drawn on top (e.g. provinces).
    title : str, optional
        Figure title.
    lang : {"zh", "en"}
        Language of the legend.
    projection : str
        Display CRS (default :data:`CHINA_ALBERS`).
    scale_bar, north_arrow : bool
        Draw them.
    font : str or path-like, optional
        CJK font (see :func:`cjk_font`).
    figsize : (float, float)
        Inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Patch

    lang = _check_lang(lang)
    if column not in layer.columns:
        raise MethodError(f"the layer has no column {column!r}; its columns are {list(layer.columns)}.")
    if layer.crs is None:
        raise MethodError("the layer has no CRS; set it (layer.set_crs(4326)) before mapping.")
    keys = pd.Series(_cluster_keys(layer[column]), index=layer.index)
    shown = layer.to_crs(projection)
    with _style(font) as family:
        fig = _new_figure(figsize, family)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_aspect("equal")
        for key in LISA_COLOURS:
            part = shown[keys == key]
            if len(part):
                part.plot(ax=ax, facecolor=LISA_COLOURS[key],
                          edgecolor="#ffffff" if key != "no_data" else "#bbbbbb",
                          linewidth=0.2, hatch="////" if key == "no_data" else None)
        if outlines is not None:
            outlines.to_crs(projection).boundary.plot(ax=ax, color="#444444", linewidth=0.4)
        counts = keys.value_counts()
        handles = []
        for key in ("HH", "LL", "LH", "HL", "ns", "isolate", "no_data"):
            if key in ("isolate", "no_data") and key not in counts:
                continue
            handles.append(Patch(facecolor=LISA_COLOURS[key], edgecolor="#888888", linewidth=0.5,
                                 hatch="////" if key == "no_data" else None,
                                 label=f"{_LISA_LABELS[lang][key]} ({int(counts.get(key, 0))})"))
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False,
                  title="LISA" if lang == "en" else "LISA 聚类", title_fontsize=9)
        if scale_bar:
            _scale_bar(ax, lang)
        if north_arrow:
            # upper left: on a map of China the north-east corner is land (Heilongjiang)
            _north_arrow(ax, lang, x=0.05)
        if title:
            ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- mean-centre trajectory


def centre_trajectory(
    centres: pd.DataFrame,
    outlines=None,
    *,
    x: str = "lon",
    y: str = "lat",
    period: str = "period",
    title: str | None = None,
    lang: str = "zh",
    projection: str = CHINA_ALBERS,
    extent: str = "trajectory",
    pad_km: float = 30.0,
    label_outlines: str | None = "name",
    locator: bool = True,
    scale_bar: bool = True,
    north_arrow: bool = True,
    font: str | None = None,
    figsize: tuple[float, float] = (7.0, 6.0),
):
    """Mean-centre trajectory: one point per period, arrows in time order, over outlines.

    Parameters
    ----------
    centres : pandas.DataFrame
        One row per period: ``period`` and the centre's WGS84 ``lon`` and ``lat`` (column
        names ``period``, ``x``, ``y``), e.g. :func:`geodti.dynamics.mean_centre`'s table.
        Periods without a centre (missing lon/lat: with increment weights, no unit grew)
        are skipped, the arrows join the neighbouring centres, and a note names them.
    outlines : geopandas.GeoDataFrame, optional
        Background boundaries (e.g. provinces), drawn in grey.
    x, y, period : str
        Column names.
    title : str, optional
        Figure title.
    lang : {"zh", "en"}
        Language of the furniture.
    projection : str
        Display CRS (default :data:`CHINA_ALBERS`).
    extent : {"trajectory", "china"}
        Zoom to the trajectory (padded by ``pad_km`` and 30 % of its span) or show the
        outlines' full extent. Mean centres of city indices move a few kilometres a year, so
        the whole country would show one dot.
    pad_km : float
        Minimum margin around the trajectory, in km.
    label_outlines : str or None
        Column of ``outlines`` used to name the areas in view; None for no names.
    locator : bool
        With ``extent="trajectory"`` and outlines: a small map of all outlines in the lower
        left corner with the zoomed area marked.
    scale_bar, north_arrow : bool
        Draw them.
    font : str or path-like, optional
        CJK font (see :func:`cjk_font`).
    figsize : (float, float)
        Inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import geopandas as gpd

    from geodti.periods import sort_periods

    lang = _check_lang(lang)
    if extent not in ("trajectory", "china"):
        raise MethodError(f"extent {extent!r}: choose 'trajectory' or 'china'.")
    absent = [c for c in (period, x, y) if c not in centres.columns]
    if absent:
        raise MethodError(f"the centres table lacks column(s) {absent}; it needs {period}, {x}, {y}.")
    if centres[period].duplicated().any():
        dup = centres.loc[centres[period].duplicated(), period].iloc[0]
        raise MethodError(f"period {dup} appears twice in the centres table; give one centre per period.")
    coords = centres[[x, y]].to_numpy(dtype=float)
    defined = np.isfinite(coords).all(axis=1)
    if not defined.any():
        raise MethodError("the centres table has no row with a finite lon and lat.")
    skipped = sort_periods(centres.loc[~defined, period].astype(str))
    centres = centres[defined]
    order = sort_periods(centres[period].astype(str))
    table = centres.assign(_p=centres[period].astype(str)).set_index("_p").loc[order]
    pts = gpd.GeoSeries(gpd.points_from_xy(table[x].astype(float), table[y].astype(float)), crs=4326)
    xy = _coords(pts.to_crs(projection))

    with _style(font) as family:
        fig = _new_figure(figsize, family)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_aspect("equal")
        shown = outlines.to_crs(projection) if outlines is not None else None
        if shown is not None:
            shown.plot(ax=ax, facecolor="#f4f4f2", edgecolor="#8c8c8c", linewidth=0.5)
        colours = _sequential(len(xy))
        for i in range(len(xy) - 1):
            ax.annotate("", xy=xy[i + 1], xytext=xy[i],
                        arrowprops={"arrowstyle": "-|>", "color": "#555555", "lw": 1.0,
                                    "shrinkA": 4, "shrinkB": 4, "mutation_scale": 10}, zorder=4)
        ax.scatter(xy[:, 0], xy[:, 1], s=28, c=colours, edgecolors="black", linewidths=0.5, zorder=5)
        if extent == "trajectory" or shown is None:
            span = max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]))
            pad = max(pad_km * 1000, span * 0.3)
            cx, cy = (xy[:, 0].min() + xy[:, 0].max()) / 2, (xy[:, 1].min() + xy[:, 1].max()) / 2
            half = span / 2 + pad
            w, h = figsize
            ax.set_xlim(cx - half * max(1, w / h), cx + half * max(1, w / h))
            ax.set_ylim(cy - half * max(1, h / w), cy + half * max(1, h / w))
        else:
            x0, y0, x1, y1 = shown.total_bounds
            ax.set_xlim(x0, x1)
            ax.set_ylim(y0, y1)
        width = ax.get_xlim()[1] - ax.get_xlim()[0]
        # labels on one side of the path, perpendicular to its overall direction
        direction = xy[-1] - xy[0]
        norm = np.hypot(*direction)
        nx, ny = (direction[1] / norm, -direction[0] / norm) if norm > 0 else (0.7071, 0.7071)
        for i in _labelled(xy, min_gap=0.05 * width):
            ax.annotate(order[i], tuple(xy[i]), xytext=(9 * nx, 9 * ny), textcoords="offset points",
                        fontsize=7, zorder=6, ha="left" if nx >= 0 else "right",
                        va="bottom" if ny >= 0 else "top",
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5})
        if shown is not None and locator and extent == "trajectory":
            _locator_map(ax, shown)
        if skipped:
            note = ("no centre: " if lang == "en" else "无重心的期间：") + ", ".join(skipped)
            ax.text(0.5, 0.01, note, transform=ax.transAxes, ha="center", va="bottom", fontsize=7,
                    color="#555555")
        if shown is not None and label_outlines and label_outlines in shown.columns:
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
            points = shown.representative_point()
            for (px, py), name in zip(_coords(points), shown[label_outlines]):
                if x0 < px < x1 and y0 < py < y1:
                    ax.text(px, py, str(name), fontsize=7, color="#7a7a7a", ha="center", va="center",
                            zorder=2)
        if scale_bar:
            _scale_bar(ax, lang)
        if north_arrow:
            _north_arrow(ax, lang)
        if title:
            ax.set_title(title)
    return fig


def _labelled(xy: np.ndarray, min_gap: float) -> list[int]:
    """Indices of the points to label: the first, the last, and others at least ``min_gap`` apart."""
    n = len(xy)
    chosen = [0]
    for i in range(1, n):
        if np.hypot(*(xy[i] - xy[chosen[-1]])) >= min_gap:
            chosen.append(i)
    if n > 1 and chosen[-1] != n - 1:
        # the last period is always named; it replaces a labelled neighbour that is too close
        if len(chosen) > 1 and np.hypot(*(xy[n - 1] - xy[chosen[-1]])) < min_gap:
            chosen.pop()
        chosen.append(n - 1)
    return chosen


def _locator_map(ax, outlines) -> None:
    """Inset in the lower left: every outline, the main map's extent as a red box."""
    from matplotlib.patches import Rectangle

    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    inset = ax.inset_axes([0.0, 0.0, 0.3, 0.3])
    outlines.plot(ax=inset, facecolor="#f4f4f2", edgecolor="#8c8c8c", linewidth=0.2)
    bx0, by0, bx1, by1 = outlines.total_bounds
    inset.set_xlim(bx0, bx1)
    inset.set_ylim(by0, by1)
    inset.set_aspect("equal")
    # at least a visible square, however small the zoomed area
    side = max(x1 - x0, y1 - y0, 0.04 * (bx1 - bx0))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    inset.add_patch(Rectangle((cx - side / 2, cy - side / 2), side, side, fill=False, edgecolor="#c0392b",
                              linewidth=1.0))
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    for spine in inset.spines.values():
        spine.set_edgecolor("#8c8c8c")
        spine.set_linewidth(0.5)
    inset.set_facecolor("white")


def _coords(points) -> np.ndarray:
    """``(n, 2)`` array of point coordinates (a GeoSeries of points)."""
    import shapely

    return shapely.get_coordinates(np.asarray(points.geometry if hasattr(points, "geometry") else points))


def _sequential(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(v) for v in (np.linspace(0.1, 0.9, n) if n > 1 else [0.5])]


__all__: Sequence[str] = [
    "BUNDLED_FAMILY", "BUNDLED_FONT", "CHINA_ALBERS", "CJK_FAMILIES", "DEFAULT_DPI", "LISA_COLOURS", "MissingFontError", "centre_trajectory",
    "cjk_font", "figure_bytes", "lisa_cluster_map", "moran_scatterplot", "save_figure",
]
