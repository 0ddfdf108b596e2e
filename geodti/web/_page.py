"""The common base of every geodti map page.

A page is a :class:`GeodtiMap` (a ``folium.Map``, so it displays in Jupyter) that

- inlines Leaflet, topojson-client and geodti's small runtime instead of linking folium's CDN
  defaults (jQuery, Bootstrap and Font Awesome are dropped: nothing here uses them);
- stores the units' geometry once, as TopoJSON, and restyles it per layer and period;
- has a title (variable, period, method, source), visible notes (synthetic data, GCJ-02),
  a legend, a search box, a scale bar and a layer control;
- renders byte-identically for identical inputs: folium's random element ids are replaced by
  a counter in tree order before every render (:func:`stabilise_ids`).

Map kinds (``choropleth.py``, ``clusters.py``, ...) build pages through :class:`Page`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import folium
import geopandas as gpd
import xyzservices
import xyzservices.providers as xyz
from branca.element import Element, Figure, MacroElement
from folium.elements import ElementAddToElement
from folium.map import Layer

from geodti.errors import InputError
from geodti.web import _assets
from geodti.web._data import check_units, describe_units
from geodti.web._escape import html_text, script_json
from geodti.web._topology import encode_units, page_budget

#: Base layers a page may offer. None is the default: the page then needs no network at all.
TILES = {
    "openstreetmap": ("OpenStreetMap", xyz.OpenStreetMap.Mapnik),
    "cartodb": ("CartoDB Positron", xyz.CartoDB.Positron),
    "gaode": ("高德 Gaode (GCJ-02)", xyz.Gaode.Normal),
}

LABELS = {
    "province": "省份 Province",
    "agglomeration": "城市群 Agglomeration",
    "partial": "部分 partial",
    "search": "搜索城市 Search city (中文 / pinyin)",
    "notFound": "未找到 No match",
}

SYNTHETIC_NOTE = ("合成数据 SYNTHETIC DATA: the values are invented (such as geodti's bundled sample) "
                  "and describe no real city.")
TOPOLOGY_ID = "geodti-topology"
GCJ02_NOTE = ("高德底图 Gaode tiles: the geometry on this page is shifted from WGS84 to GCJ-02 "
              "to line up with them; its coordinates are GCJ-02, not WGS84.")


class _Raw(Element):
    """Text written into the page as is (never parsed as a Jinja template)."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Raw"
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


def _add_script(element: Element, text: str) -> None:
    element.get_root().script.add_child(_Raw(text), name=element.get_name())


class _ScriptElement(MacroElement):
    """An element whose JavaScript is built in Python and added without Jinja re-parsing.

    folium wraps each rendered macro in a new template, so data containing ``{{`` would be
    evaluated; these elements bypass that.
    """

    def script(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self, **kwargs):
        _add_script(self, self.script())
        for child in self._children.values():
            child.render(**kwargs)


class _ScriptLayer(Layer):
    """A layer (listed by folium's LayerControl) whose JavaScript is built in Python."""

    def __init__(self, name: str, *, overlay: bool = True, show: bool = True):
        # Leaflet's layer control inserts names with innerHTML; folium re-parses its output as
        # a Jinja template, so braces are written as character references too.
        super().__init__(name=layer_label(name), overlay=overlay, control=True, show=show)
        self.title = str(name)

    def js(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self, **kwargs):
        text = f"var {self.get_name()} = {self.js()};\n"
        if self.show:
            text += f"{self.get_name()}.addTo({self._parent.get_name()});\n"
        _add_script(self, text)


def layer_label(name: str) -> str:
    """A layer name as Leaflet's layer control needs it: HTML-escaped, braces as references."""
    return html_text(name).replace("{", "&#123;").replace("}", "&#125;")


def stabilise_ids(root: Element) -> None:
    """Replace folium's random element ids by a counter in tree order (idempotent).

    ``_children`` dictionaries keyed by an element's old name are re-keyed, and the rendered
    snippets a previous render left in the figure's header/html/script are dropped (the next
    render writes them again under the new names).
    """
    elements: list[Element] = []

    def walk(el: Element) -> None:
        elements.append(el)
        for child in el._children.values():
            if not isinstance(child, ElementAddToElement):  # recreated by Layer.render
                walk(child)

    walk(root)
    old = {id(el): el.get_name() for el in elements}
    counter = itertools.count(1)
    for el in elements:
        el._id = str(next(counter))
    for el in elements:
        el._children = type(el._children)(
            (child.get_name() if key == old.get(id(child)) else key, child)
            for key, child in el._children.items()
        )
    if isinstance(root, Figure):
        stale = set(old.values()) | {el.get_name() for el in elements}
        for part in (root.header, root.html, root.script):
            part._children = type(part._children)(
                (key, child) for key, child in part._children.items() if key not in stale
            )


class GeodtiMap(folium.Map):
    """A ``folium.Map`` whose page is self-contained and deterministic.

    Built by geodti's map functions; use :func:`geodti.web.save_map` to write it, or display it
    in Jupyter. folium's CDN defaults are replaced by inlined vendored assets.
    """

    default_js: list = []
    default_css: list = []

    def render(self, **kwargs):
        stabilise_ids(self.get_root())
        super().render(**kwargs)

    def _repr_html_(self, **kwargs) -> str:
        stabilise_ids(self.get_root())
        return super()._repr_html_(**kwargs)


class _Header(Element):
    """The title bar above the map: title, period, caption lines and notes (escaped HTML)."""

    def __init__(self, spec: dict):
        super().__init__()
        self._name = "header"
        self.spec = spec

    def render(self, **kwargs) -> str:
        spec = self.spec
        period = f" · {spec['period']}" if spec.get("period") else ""
        parts = ['<header class="geodti-title">',
                 f'<h1><span class="geodti-title-text">{html_text(spec["title"])}</span>'
                 f'<span class="geodti-period">{html_text(period)}</span></h1>']
        parts += [f'<p class="geodti-sub">{html_text(line)}</p>' for line in spec["subtitle"]]
        parts += [f'<p class="geodti-note geodti-note-{html_text(n["kind"])}">{html_text(n["text"])}</p>'
                  for n in spec["notes"]]
        parts.append("</header>")
        return "\n".join(parts)


class _UnitsData(_ScriptElement):
    def __init__(self, topology: dict, info: dict):
        super().__init__()
        self._name = "units"
        self.topology = topology
        self.info = info

    def script(self) -> str:
        # the topology is a JSON data block (see _TopologyData): JSON.parse reads it faster
        # than the same text as a JavaScript literal
        return (f"var {self.get_name()} = geodti.units(JSON.parse(document.getElementById("
                f"{script_json(TOPOLOGY_ID)}).textContent), {script_json(self.info)});\n")


class _TopologyData(Element):
    """``<script type="application/json">`` holding the units' topology (escaped, inert)."""

    def __init__(self, units: _UnitsData):
        super().__init__()
        self._name = "topology"
        self.units = units

    def render(self, **kwargs) -> str:
        return (f'<script type="application/json" id="{TOPOLOGY_ID}">'
                f"{script_json(self.units.topology)}</script>")


class _PageSetup(_ScriptElement):
    def __init__(self, units: _UnitsData | None, spec: dict):
        super().__init__()
        self._name = "page"
        self.units = units
        self.spec = spec

    def script(self) -> str:
        units = self.units.get_name() if self.units is not None else "null"
        return (f"var {self.get_name()} = geodti.page({self._parent.get_name()}, {units}, "
                f"{script_json(self.spec)});\n")


class _JsLayer(_ScriptLayer):
    def __init__(self, name: str, factory: str, page: _PageSetup, spec: dict, *, show: bool = True):
        super().__init__(name, show=show)
        self._name = factory.replace("Layer", "_layer")
        self.factory = factory
        self.page = page
        self.spec = spec

    def js(self) -> str:
        return f"geodti.{self.factory}({self.page.get_name()}, {script_json(self.spec)})"


class _Slider(_ScriptElement):
    def __init__(self, page: _PageSetup, layer: _JsLayer, spec: dict):
        super().__init__()
        self._name = "slider"
        self.page = page
        self.layer = layer
        self.spec = spec

    def script(self) -> str:
        return (f"var {self.get_name()} = geodti.slider({self.page.get_name()}, "
                f"{self.layer.get_name()}, {script_json(self.spec)});\n")


class _Expose(_ScriptElement):
    """Keep the page's layers reachable from ``geodti.pages`` (used by tests and notebooks)."""

    def __init__(self, page: _PageSetup, layers: list[_JsLayer]):
        super().__init__()
        self._name = "expose"
        self.page = page
        self.layers = layers

    def script(self) -> str:
        names = ", ".join(f"{script_json(layer.title)}: {layer.get_name()}" for layer in self.layers)
        return (f"{self.page.get_name()}.layers = {{{names}}};\n"
                f"{self.page.get_name()}.readyAt = performance.now();\n")


def _tile_choice(tiles) -> list[tuple[str, object]]:
    """Resolve ``tiles`` to (label, xyzservices provider) pairs; see :class:`Page`."""
    if tiles is None:
        return []
    chosen = [tiles] if isinstance(tiles, (str, xyzservices.TileProvider)) else list(tiles)
    out: list[tuple[str, object]] = []
    for t in chosen:
        if isinstance(t, xyzservices.TileProvider):
            label, provider = str(t.name), t
        else:
            key = str(t).lower().replace(" ", "").replace("_", "")
            if key not in TILES:
                raise InputError(f"unknown base layer {t!r}; choose from {', '.join(TILES)}, pass an "
                                 "xyzservices.TileProvider, or leave tiles=None for a page without tiles")
            label, provider = TILES[key]
        if provider.requires_token():
            raise InputError(f"the base layer {label!r} needs an API key: pass the provider with its key, "
                             f"e.g. tiles=xyzservices.providers.{provider.name}(apikey='...')")
        if all(label != seen for seen, _ in out):
            out.append((label, provider))
    gaode = [label for label, p in out if _is_gaode(p)]
    if gaode and len(out) > 1:
        raise InputError("Gaode tiles are in GCJ-02 and cannot share a page with WGS84 tiles "
                         f"({', '.join(label for label, p in out if not _is_gaode(p))}); choose one or the other")
    return out


def _is_gaode(provider) -> bool:
    return str(provider.name).lower().startswith("gaode")


def to_gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Copy of ``frame`` with every vertex shifted from WGS84 to GCJ-02 (for Gaode tiles)."""
    from geodti.places.gcj02 import wgs84_to_gcj02_geometry

    out = frame.copy()
    out[out.geometry.name] = wgs84_to_gcj02_geometry(frame.geometry)
    return out


class Page:
    """Builder of one map page; map-kind modules use it, users call the map functions.

    Parameters
    ----------
    units : GeoDataFrame
        Map units (columns adcode, name, geometry; optional name_en, name_short, province).
    title : str
        Main title (variable and method), shown at the top.
    period : str, optional
        Period shown after the title; the time slider updates it.
    subtitle : sequence of str
        Further lines (method, data source, boundaries).
    synthetic : bool
        Adds the visible synthetic-data note.
    tiles : str, xyzservices.TileProvider or a sequence of them, optional
        Base layers to offer: ``"openstreetmap"``, ``"cartodb"`` (needs an API key: pass
        ``xyzservices.providers.CartoDB.Positron(apikey=...)``), ``"gaode"`` (the geometry is then
        shifted to GCJ-02 and the page says so). None by default: the page needs no network.
    agglomerations : DataFrame, optional
        Long membership table (agglomeration, adcode, partial) for tooltips.
    search : bool
        Add the search box.
    """

    def __init__(self, units: gpd.GeoDataFrame | None, *, title: str, period: str | None = None,
                 subtitle: Sequence[str] = (), synthetic: bool = False, tiles=None,
                 agglomerations=None, search: bool = True, extra_notes: Sequence[dict] = ()):
        self.tiles = _tile_choice(tiles)
        self.gcj02 = any(_is_gaode(p) for _, p in self.tiles)
        self.units = None if units is None else check_units(units)
        if self.gcj02 and self.units is not None:
            self.units = to_gcj02(self.units)
        notes = []
        if synthetic:
            notes.append({"kind": "synthetic", "text": SYNTHETIC_NOTE})
        if self.gcj02:
            notes.append({"kind": "crs", "text": GCJ02_NOTE})
        notes.extend(extra_notes)
        self.spec = {
            "title": str(title),
            "period": None if period is None else str(period),
            "subtitle": [str(s) for s in subtitle if s],
            "notes": notes,
            "legend": [],
            "labels": LABELS,
            "search": bool(search and self.units is not None),
        }
        self.map = GeodtiMap(location=[35.0, 105.0], zoom_start=4, tiles=None, control_scale=True,
                             zoom_snap=0.25, zoom_delta=0.5)
        root = self.map.get_root()
        root.title = html_text(f"{title} {period or ''}".strip())
        for key, text in (
            ("geodti_leaflet_css", f"<style>{_assets.stylesheet('leaflet')}</style>"),
            ("geodti_css", f"<style>{_assets.stylesheet('geodti')}</style>"),
            ("geodti_leaflet_js", f"<script>{_assets.javascript('leaflet')}</script>"),
            ("geodti_topojson_js", f"<script>{_assets.javascript('topojson')}</script>"),
            ("geodti_js", f"<script>{_assets.javascript('geodti')}</script>"),
        ):
            root.header.add_child(_Raw(text), name=key)
        # before the map's own div, so the map is sized below it before Leaflet starts
        root.html.add_child(_Header(self.spec), name="geodti_header")
        self._add_tiles()
        self.units_data = None
        if self.units is not None:
            # set the view before any layer exists, so the polygons are projected only once
            w, s, e, n = (float(v) for v in self.units.total_bounds)
            self.fit = folium.FitBounds([[s, w], [n, e]])
            self.map.add_child(self.fit)
            self.info = describe_units(self.units, agglomerations)
            budget = page_budget(self.units)  # grid and simplification of the units' level
            self.units_data = _UnitsData(encode_units(self.units.geometry, budget.quantization, budget.simplify_m),
                                         self.info)
            self.map.add_child(self.units_data)
            root.html.add_child(_TopologyData(self.units_data), name="geodti_topology")
        self.setup = _PageSetup(self.units_data, self.spec)
        self.map.add_child(self.setup)
        self.layers: list[_JsLayer] = []

    def _add_tiles(self) -> None:
        if not self.tiles:
            return
        for i, (label, provider) in enumerate(self.tiles):
            folium.TileLayer(provider, name=layer_label(label), overlay=False, control=True,
                             show=(i == 0)).add_to(self.map)
        # a blank base so the user can switch tiles off again
        folium.FeatureGroup(name=layer_label("无底图 No basemap"), overlay=False, control=True,
                            show=False).add_to(self.map)

    def shift(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Bring an extra layer (points, ellipses) into the page's coordinates."""
        if frame.crs is None:
            raise InputError("a layer for the map has no CRS; set it (e.g. .set_crs(4326))")
        out = frame.to_crs(4326)
        return to_gcj02(out) if self.gcj02 else out

    def add_layer(self, name: str, factory: str, spec: dict, *, show: bool = True) -> _JsLayer:
        """Add a layer built by ``geodti.<factory>`` in the browser."""
        layer = _JsLayer(name, factory, self.setup, spec, show=show)
        self.map.add_child(layer)
        self.layers.append(layer)
        return layer

    def add_slider(self, layer: _JsLayer, periods: Sequence[str]) -> None:
        self.map.add_child(_Slider(self.setup, layer, {
            "periods": [str(p) for p in periods],
            "labels": {"period": "时期 Period", "play": "▶ 播放 Play", "pause": "❚❚ 暂停 Pause",
                       "previous": "上一期 Previous", "next": "下一期 Next"},
        }))

    def set_legend(self, sections: list[dict]) -> None:
        self.spec["legend"] = sections

    def finish(self) -> GeodtiMap:
        """Add the layer control and the initial view; return the map."""
        self.map.add_child(_Expose(self.setup, self.layers))
        # top left, under the zoom buttons and the search box: the top centre is the title's
        folium.LayerControl(position="topleft", collapsed=False).add_to(self.map)
        return self.map

