"""GIS layers of a city panel: cities, cities by period, provinces, agglomerations (pure),
and the registry of the layers ``geodti run`` writes.

:func:`build_layers` turns a panel (as :func:`geodti.read_panel` returns it) into named
GeoDataFrames ready for :func:`geodti.io.layers.write_layers` (``geodti export``);
:data:`RUN_LAYERS` names each layer of a run's GeoPackage with its geometry type and
builder, and :func:`build_run_layers` builds them. ``docs/layers.md`` lists every field.

Definitions (the same as :mod:`geodti.index.growth` and :mod:`geodti.index.summary`):

* rank: descending within the period, 1 = largest, ties ``min``; units without a value get
  no rank;
* share: the unit's (group's) value divided by the national total of the period, the sum
  over every unit the panel covers (has a row for in any period). When a covered unit lacks
  the value in that period the national total, and so every share, is missing rather than
  the share of a partial total;
* yoy: ``I_t / I_{t-1 year} - 1`` (four quarters back for a quarter, twelve months back for
  a month, the previous year for an annual period), a fraction;
* growth: the report's summary growth, the mean of the YoY over a window of the panel's
  periods (2022Q1-2023Q1 by default), :func:`geodti.index.growth.summary_growth`;
* group totals (provinces, agglomerations): the sum over the group's units that the panel
  covers, missing when one of them lacks the value (never a partial sum); group mean =
  total / number of those units. A unit in two agglomerations (邯郸, 邢台: 京津冀 and 中原;
  运城: 中原 and 关中平原) counts in both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodti.errors import InputError, MethodError
from geodti.index.growth import DEFAULT_WINDOW, rank_within, summary_growth
from geodti.index.summary import aggregate
from geodti.periods import period_type, sort_periods, year_earlier
from geodti.places.gazetteer import agglomerations as load_agglomerations
from geodti.places.gazetteer import gazetteer
from geodti.schema import frequency_of, schema_of
from geodti.places.join import ATTRIBUTES, join

#: Layer names :func:`build_layers` can make, in output order.
LAYERS = ("cities", "cities_panel", "provinces", "agglomerations")
#: Unit attributes on the city layers (from the gazetteer), in field order.
CITY_ATTRIBUTES = ["adcode", *ATTRIBUTES, "agglomeration"]


def _check_layer_names(layers) -> list[str]:
    if isinstance(layers, str):
        layers = [s.strip() for s in layers.split(",") if s.strip()]
    layers = list(layers)
    unknown = [name for name in layers if name not in LAYERS]
    if unknown or not layers:
        raise InputError(
            f"unknown layer(s) {unknown}; choose from {', '.join(LAYERS)}." if unknown
            else f"no layers asked for; choose from {', '.join(LAYERS)}."
        )
    return [name for name in LAYERS if name in layers]


def _window_text(window) -> str:
    return f"{window[0]}-{window[1]}" if window is not None else ""


def _unit_statistics(joined: pd.DataFrame, variables: list[str], covered: set[str]) -> pd.DataFrame:
    """Rank, share and YoY of each unit and period (columns ``{v}_rank``, ``{v}_share``, ``{v}_yoy``)."""
    out = pd.DataFrame(index=joined.index)
    in_panel = joined["adcode"].isin(covered)
    lookup = joined.set_index(["adcode", "period"])
    previous = pd.MultiIndex.from_arrays(
        [joined["adcode"], joined["period"].map(year_earlier)], names=["adcode", "period"])
    for v in variables:
        values = joined[v].astype(float)
        out[f"{v}_rank"] = rank_within(joined.assign(_v=values.where(joined["has_data"])), "_v", "period")
        # national total over the covered units; missing if any of them lacks the value
        covered_values = values.where(in_panel)
        complete = joined[in_panel].groupby("period")[v].apply(lambda s: bool(s.notna().all()))
        total = covered_values.groupby(joined["period"]).sum(min_count=1)
        total = total.where(complete.reindex(total.index, fill_value=False))
        out[f"{v}_share"] = values / joined["period"].map(total).astype(float)
        ref = lookup[v].reindex(previous).to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            yoy = values.to_numpy() / ref - 1.0
        out[f"{v}_yoy"] = np.where(np.isfinite(yoy) & (ref != 0), yoy, np.nan)
    return out


def _quarterly_panel(joined: pd.DataFrame, values: list[str], window) -> pd.DataFrame:
    rows = joined[joined["has_data"]]
    frequency = frequency_of(rows)
    if window is not None and any(period_type(w) != frequency for w in window):
        raise MethodError(
            f"the growth window {_window_text(window)} is not of the panel's frequency "
            f"({frequency}, e.g. {rows['period'].iloc[0]}); give a window of {frequency} "
            "periods, or window=None (--window none) to leave growth out."
        )
    return pd.DataFrame(rows[["adcode", "period", *values]]).reset_index(drop=True)


def _unit_growth(qpanel: pd.DataFrame, variables: list[str], window) -> pd.DataFrame:
    """``adcode`` and ``{v}_growth`` (summary growth over ``window``; NaN without a window)."""
    units = pd.DataFrame({"adcode": sorted(qpanel["adcode"].unique())})
    if window is None:
        for v in variables:
            units[f"{v}_growth"] = np.nan
        return units
    sg = summary_growth(qpanel[["adcode", "period", *variables]], variables, window=tuple(window))
    wide = sg.pivot(index="adcode", columns="variable", values="growth")
    for v in variables:
        units[f"{v}_growth"] = units["adcode"].map(wide[v]).astype(float)
    return units


def _group_layer(
    joined_at: pd.DataFrame,
    membership: pd.DataFrame,
    key: str,
    groups: pd.DataFrame,
    values: list[str],
    variables: list[str],
    covered: set[str],
    unit_growth: pd.DataFrame,
    qpanel: pd.DataFrame,
    window,
) -> pd.DataFrame:
    """Totals, shares, means, ranks and growth of groups at one period.

    ``groups`` has one row per group (``key`` and descriptive columns, in output order);
    ``membership`` is long (``adcode``, ``key``).
    """
    mem = membership[["adcode", key]].drop_duplicates()
    mem_cov = mem[mem["adcode"].isin(covered)]
    at = joined_at.set_index("adcode")
    df = mem_cov.join(at[[*values, "has_data"]], on="adcode")
    g = df.groupby(key, sort=False)
    n_in_panel = g.size()
    totals = g[values].sum(min_count=1).where(g[values].count().eq(n_in_panel, axis=0))
    out = groups.copy()
    out["n_units"] = out[key].map(mem.groupby(key).size()).fillna(0).astype("int64")
    out["n_in_panel"] = out[key].map(n_in_panel).fillna(0).astype("int64")
    out["n_with_data"] = out[key].map(g["has_data"].sum()).fillna(0).astype("int64")
    out["period"] = joined_at["period"].iloc[0]
    for v in values:
        out[v] = out[key].map(totals[v]).astype(float)

    national = at.loc[at.index.isin(covered), values]
    national_total = national.sum(min_count=1).where(national.notna().all())
    if window is not None:
        agg = aggregate(qpanel, mem_cov, key, variables)
        agg = agg[agg[key].isin(set(mem_cov[key]))]
        tg = summary_growth(agg[[key, "period", *variables]], variables, window=tuple(window), keys=(key,))
        total_growth = tg.pivot(index=key, columns="variable", values="growth")
    growth_of = mem_cov.merge(unit_growth, on="adcode", how="left")
    for v in variables:
        out[f"{v}_share"] = out[v] / float(national_total[v])
        out[f"{v}_mean"] = out[v] / out["n_in_panel"].where(out["n_in_panel"] > 0)
        out[f"{v}_rank"] = rank_within(out, v)
        out[f"{v}_growth"] = (out[key].map(total_growth[v]).astype(float) if window is not None else np.nan)
        gg = growth_of.groupby(key)[f"{v}_growth"]
        mean_growth = gg.mean().where(gg.count().eq(gg.size()))
        out[f"{v}_mean_growth"] = out[key].map(mean_growth).astype(float)
        ranked = df[df[v].notna()].sort_values([key, v, "adcode"], ascending=[True, False, True])
        lead = ranked.drop_duplicates(key).set_index(key)["adcode"]
        out[f"{v}_top_adcode"] = out[key].map(lead)
        out[f"{v}_top_name"] = out[f"{v}_top_adcode"].map(at["name"])
    out["growth_window"] = _window_text(window)
    return out


def _as_multipolygon(geom):
    if geom is None or geom.is_empty:
        return geom
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "GeometryCollection":
        # a union can leave stray lines or points along shared edges: keep the areas
        return shapely.MultiPolygon([p for g in geom.geoms
                                     for p in (g.geoms if g.geom_type == "MultiPolygon" else [g])
                                     if p.geom_type == "Polygon"])
    return geom


def build_layers(
    panel: pd.DataFrame,
    *,
    layers: Sequence[str] | str = LAYERS,
    period: str | None = None,
    variables: Sequence[str] | str | None = None,
    window: tuple[str, str] | None = DEFAULT_WINDOW,
    cities: gpd.GeoDataFrame | None = None,
    provinces: gpd.GeoDataFrame | None = None,
    resolution: str = "detailed",
) -> dict[str, gpd.GeoDataFrame]:
    """The GIS layers of a city panel.

    Parameters
    ----------
    panel : pandas.DataFrame
        A panel as :func:`geodti.read_panel` returns it (``adcode``, ``period``, value
        columns; rows without an adcode are left off the map and counted in the layers'
        ``attrs["n_unplaced_rows"]``).
    layers : sequence of str or comma-separated str
        Any of :data:`LAYERS`: ``cities`` (every unit at ``period``, with growth and rank),
        ``cities_panel`` (every unit x period), ``provinces`` (totals over the province
        polygons), ``agglomerations`` (the 11 dissolved outlines).
    period : str, optional
        Period of ``cities``, ``provinces`` and ``agglomerations``; default the panel's
        latest.
    variables : str or sequence of str, optional
        Value columns that get rank, share, YoY and growth fields (and group means, leading
        units); default ``dti`` if the panel has it, else its first value column. Every value
        column is carried as a value (groups: a total) either way.
    window : (str, str) or None
        Summary-growth window (mean of quarterly YoY; default 2022Q1-2023Q1); None leaves
        the growth fields empty.
    cities, provinces : geopandas.GeoDataFrame, optional
        Polygons (``adcode``, ``geometry``; the province layer's ``adcode`` is the province
        code); default the bundled layers at ``resolution``.
    resolution : {"detailed", "map"}
        Bundled boundaries used when ``cities``/``provinces`` are not given; ``detailed``
        is meant for GIS work.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Layer name -> layer, in :data:`LAYERS` order. Each layer's ``attrs`` carries
        ``period``, ``variables``, ``window`` and ``n_unplaced_rows``.

    Raises
    ------
    geodti.errors.InputError
        An unknown layer, variable or period.
    geodti.errors.MethodError
        The panel does not span the growth window (pass another window or None).
    """
    wanted = _check_layer_names(layers)
    if cities is None:
        from geodti.places.boundaries import cities as load_cities

        cities = load_cities(resolution)
    # one geometry type per layer (MultiPolygon), whatever the input mixes
    cities = cities.assign(geometry=cities.geometry.map(_as_multipolygon))
    joined = join(panel, cities)
    values = list(schema_of(joined).value_columns)
    if not values:
        raise InputError("the panel has no value columns to map.")
    if variables is None:
        variables = ["dti"] if "dti" in values else values[:1]
    elif isinstance(variables, str):
        variables = [variables]
    variables = list(dict.fromkeys(variables))
    absent = [v for v in variables if v not in values]
    if absent:
        raise InputError(f"variable(s) {absent} are not value columns of the panel; it has {values}.")
    with_data = joined[joined["has_data"]]
    periods = sort_periods(with_data["period"].unique())
    if not periods:
        raise InputError("the panel has no rows that could be placed on the map.")
    if period is None:
        period = periods[-1]
    elif period not in periods:
        raise InputError(f"period {period} is not in the panel; it has {', '.join(periods)}.")
    covered = set(with_data["adcode"])
    qpanel = _quarterly_panel(joined, values, window)
    unit_growth = _unit_growth(qpanel, variables, window)

    stats = _unit_statistics(joined, variables, covered)
    panel_layer = pd.concat([joined.drop(columns="geometry"), stats], axis=1)
    value_fields = [*values, *[f"{v}_{s}" for v in variables for s in ("rank", "share", "yoy")]]
    columns = [*CITY_ATTRIBUTES, "period", "has_data", *value_fields]
    crs = joined.crs
    # plain values only: a DataFrame in attrs breaks pandas.concat of layers
    meta = {"period": period, "variables": list(variables), "window": _window_text(window),
            "n_unplaced_rows": int(len(joined.attrs["unplaced_rows"]))}
    out: dict[str, gpd.GeoDataFrame] = {}

    if "cities" in wanted:
        at = panel_layer[panel_layer["period"] == period][columns].merge(unit_growth, on="adcode", how="left")
        at["growth_window"] = _window_text(window)
        at = at.merge(joined[joined["period"] == period][["adcode", "geometry"]], on="adcode", how="left")
        out["cities"] = gpd.GeoDataFrame(at.reset_index(drop=True), geometry="geometry", crs=crs)
    if "cities_panel" in wanted:
        frame = panel_layer[columns].assign(geometry=joined["geometry"].to_numpy())
        out["cities_panel"] = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry", crs=crs)

    joined_at = panel_layer[panel_layer["period"] == period]
    if "provinces" in wanted:
        if provinces is None:
            from geodti.places.boundaries import provinces as load_provinces

            provinces = load_provinces(resolution)
        gz = gazetteer()
        info = gz.groupby("province_adcode", sort=True).agg(
            province=("province", "first"), province_en=("province_en", "first"),
            region=("region", "first"))
        shapes = provinces.set_index(provinces["adcode"].astype(str))["geometry"]
        missing = sorted(set(info.index) - set(shapes.index))
        if missing:
            raise InputError(f"the province layer has no polygon for province adcode(s) {missing}.")
        groups = info.reset_index()
        layer = _group_layer(joined_at, gz[["adcode", "province_adcode"]], "province_adcode", groups,
                             values, variables, covered, unit_growth, qpanel, window)
        layer["geometry"] = layer["province_adcode"].map(shapes).map(_as_multipolygon)
        out["provinces"] = gpd.GeoDataFrame(layer, geometry="geometry", crs=provinces.crs)

    if "agglomerations" in wanted:
        members = load_agglomerations()
        per_unit = members.groupby("adcode")["agglomeration"].agg(list)
        shared = per_unit[per_unit.map(len) > 1]
        names = dict(zip(members["adcode"], members["name"]))
        rows = []
        for agg_name, part in members.groupby("agglomeration", sort=False):
            partial = part.loc[part["partial"], "name"].tolist()
            also = [f"{names[a]}({'、'.join(x for x in shared[a] if x != agg_name)})"
                    for a in part["adcode"] if a in shared.index]
            rows.append({"agglomeration": agg_name, "agglomeration_en": part["agglomeration_en"].iloc[0],
                         "partial_members": "; ".join(partial), "shared_members": "; ".join(also)})
        groups = pd.DataFrame(rows)
        layer = _group_layer(joined_at, members[["adcode", "agglomeration"]], "agglomeration", groups,
                             values, variables, covered, unit_growth, qpanel, window)
        layer = layer[["agglomeration", "agglomeration_en", "n_units", "n_in_panel", "n_with_data",
                       "partial_members", "shared_members",
                       *[c for c in layer.columns if c not in groups.columns and c not in
                         ("n_units", "n_in_panel", "n_with_data")]]]
        polys = cities.set_index(cities["adcode"].astype(str))["geometry"]
        outlines = {
            name: _as_multipolygon(shapely.union_all(polys.reindex(part["adcode"]).dropna().to_numpy()))
            for name, part in members.groupby("agglomeration", sort=False)
        }
        layer["geometry"] = layer["agglomeration"].map(outlines)
        out["agglomerations"] = gpd.GeoDataFrame(layer, geometry="geometry", crs=crs)

    for frame in out.values():
        frame.attrs = dict(meta)
    return {name: out[name] for name in wanted}


# ---------------------------------------------------------------------------------------
# the layers of ``geodti run`` (layers/geodti.gpkg)


@dataclass(frozen=True)
class RunLayerInputs:
    """What the run's layers are built from: the panel and the run's latest-period views."""

    panel: pd.DataFrame
    variable: str
    resolution: str = "map"
    window: tuple[str, str] | None = None
    lisa: pd.DataFrame | None = None  # the latest LISA rows of the main variable, first weights
    gi: pd.DataFrame | None = None  # the latest Gi* rows, likewise
    emerging: pd.DataFrame | None = None  # the emerging hot spot table
    lisa_bv: pd.DataFrame | None = None  # the latest bivariate LISA rows (main variable x lag of the second)
    diffusion_layers: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    level: str = "city"  # province or county: the units layer is named after the level


#: The name of the units layer at each level (``cities`` at city level).
UNIT_LAYER = {"province": "provinces", "city": "cities", "county": "counties"}


@dataclass(frozen=True)
class RunLayer:
    """One layer of the run's GeoPackage: ``build(inputs, export_layers)`` gives it, or None
    when the run has nothing for it (e.g. no statistics on a handful of cities)."""

    name: str
    geometry: str
    description: str
    build: Callable[[RunLayerInputs, dict[str, gpd.GeoDataFrame]], gpd.GeoDataFrame | None]


#: Fields of the latest local statistics on the ``lisa`` layer (``hotspots``: no quadrant).
STATISTICS_FIELDS = ("adcode", "period", "variable", "weights", "value", "quadrant", "z_sim",
                     "p_sim", "p_fdr", "p_bonferroni", "sig_none", "sig_fdr", "sig_bonferroni",
                     "cluster", "neighbours", "permutations", "seed")
EMERGING_FIELDS = ("adcode", "variable", "pattern", "n_periods", "n_hot", "n_cold", "mk_z",
                   "mk_p", "mk_trend")


def _on_units(inputs: RunLayerInputs, table: pd.DataFrame,
              export: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """``table`` (by adcode) on the unit polygons, with the units' names; units without a row
    are left out."""
    from geodti.places.levels import shapes as level_shapes

    shapes = level_shapes(inputs.level, inputs.resolution)[["adcode", "geometry"]]
    names = export["cities"][["adcode", "name"]]
    frame = shapes.merge(names, on="adcode").merge(table, on="adcode", how="inner")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=shapes.crs)


def _gi_fields(inputs: RunLayerInputs) -> pd.DataFrame:
    return inputs.gi[[c for c in STATISTICS_FIELDS if c != "quadrant"]]


def _run_cities(inputs, export):
    if inputs.lisa is None:
        return export["cities"]
    # the cities layer carries the latest cluster labels too, for one-layer styling
    labels = inputs.lisa[["adcode", "cluster"]].rename(columns={"cluster": "lisa_cluster"}).merge(
        inputs.gi[["adcode", "cluster"]].rename(columns={"cluster": "gi_hotspot"}), on="adcode")
    return export["cities"].merge(labels, on="adcode", how="left")


def _diffusion_layer(name: str):
    return lambda inputs, export: inputs.diffusion_layers.get(name)


#: The layers of ``geodti run``, in the GeoPackage's order; docs/layers.md documents each.
RUN_LAYERS: tuple[RunLayer, ...] = (
    RunLayer("cities", "MultiPolygon", "every unit at the latest period: values, rank, share, "
             "growth, and the latest LISA cluster and Gi* class", _run_cities),
    RunLayer("provinces", "MultiPolygon", "provincial totals, shares and growth",
             lambda inputs, export: export.get("provinces")),
    RunLayer("agglomerations", "MultiPolygon", "the urban agglomerations (dissolved outlines)",
             lambda inputs, export: export.get("agglomerations")),
    RunLayer("lisa", "MultiPolygon", "local Moran's I (LISA) of each unit with data",
             lambda inputs, export: None if inputs.lisa is None else
             _on_units(inputs, inputs.lisa[list(STATISTICS_FIELDS)], export)),
    RunLayer("lisa_bv", "MultiPolygon", "bivariate LISA of each unit with both indices: the main index "
             "against the spatial lag of the second",
             lambda inputs, export: None if inputs.lisa_bv is None else
             _on_units(inputs, inputs.lisa_bv[list(STATISTICS_FIELDS) + ["variable_y"]], export)),
    RunLayer("hotspots", "MultiPolygon", "Getis-Ord Gi* hot and cold spots",
             lambda inputs, export: None if inputs.gi is None else
             _on_units(inputs, _gi_fields(inputs), export)),
    RunLayer("emerging_hotspots", "MultiPolygon", "emerging hot spot pattern of each unit",
             lambda inputs, export: None if inputs.emerging is None else
             _on_units(inputs, inputs.emerging[list(EMERGING_FIELDS)], export)),
    RunLayer("centres", "Point", "index-weighted centre of gravity of each period",
             _diffusion_layer("centres")),
    RunLayer("trajectory", "LineString", "moves between consecutive centres",
             _diffusion_layer("trajectory")),
    RunLayer("ellipses", "Polygon", "standard deviational ellipse of each period",
             _diffusion_layer("ellipses")),
)


def build_run_layers(inputs: RunLayerInputs) -> dict[str, gpd.GeoDataFrame]:
    """The GIS layers of a run, in :data:`RUN_LAYERS` order (those the run has data for).

    Parameters
    ----------
    inputs : RunLayerInputs
        The panel, main variable, boundary resolution and growth window, and the run's
        latest statistics and diffusion geometry (None or empty when not computed).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Layer name -> layer, ready for :func:`geodti.io.layers.write_layers`.
    """
    registered = {layer.name for layer in RUN_LAYERS}
    unknown = sorted(set(inputs.diffusion_layers) - registered)
    if unknown:  # a layer no entry builds would be left out of the GeoPackage unseen
        raise ValueError(f"diffusion layer(s) {unknown} are not in RUN_LAYERS")
    if inputs.level == "city":
        export = build_layers(inputs.panel, layers=[n for n in LAYERS if n in registered],
                              variables=inputs.variable, resolution=inputs.resolution,
                              window=inputs.window)
    else:  # the units themselves; provinces and agglomerations are groups of cities
        from geodti.places.levels import shapes

        export = build_layers(inputs.panel, layers=["cities"], variables=inputs.variable,
                              resolution=inputs.resolution, window=inputs.window,
                              cities=shapes(inputs.level, inputs.resolution))
    built = {layer.name: layer.build(inputs, export) for layer in RUN_LAYERS}
    if inputs.level != "city":  # the units layer is named after its level
        built = {(UNIT_LAYER[inputs.level] if name == "cities" else name): layer
                 for name, layer in built.items() if name != UNIT_LAYER[inputs.level]}
    return {name: layer for name, layer in built.items() if layer is not None}
