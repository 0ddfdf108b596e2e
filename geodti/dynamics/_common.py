"""Shared helpers of the dynamics stage: panel checks, unit points, groups, weights.

Geometry (projection, distances, points) lives in :mod:`geodti.geo`, the panel check in
:mod:`geodti.schema` and weights in :mod:`geodti.spatial.weights`.

Everything here is internal; the public functions live in one module per method family.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from geodti import defaults
from geodti.errors import InputError, MethodError
from geodti.geo import unit_points as _points
from geodti.periods import sort_periods
from geodti.schema import check_panel, frequency_of

#: Label of the whole panel in tables that also report groups.
NATIONAL = "全国"


def variable_panel(panel: pd.DataFrame, variable: str) -> pd.DataFrame:
    """Check the panel and return ``adcode, period, <variable>`` with a float variable."""
    df = check_panel(panel)
    frequency_of(df)  # one frequency: annual, quarterly or monthly
    if variable not in df.columns:
        raise MethodError(
            f"the panel has no column {variable!r}; its columns are {list(map(str, df.columns))}. "
            "Pass variable= one of its index columns (e.g. dti)."
        )
    values = pd.to_numeric(df[variable], errors="coerce")
    bad = values.isna() & df[variable].notna()
    if bad.any():
        r = df[bad].iloc[0]
        raise MethodError(f"panel column {variable!r} has a non-numeric value {r[variable]!r} "
                          f"(adcode {r['adcode']}, period {r['period']}).")
    out = df[["adcode", "period"]].copy()
    out[variable] = values.astype(float)
    return out


def sorted_periods(periods) -> list[str]:
    unique = pd.Series(pd.unique(pd.Series(list(periods), dtype=object)), name="period")
    return sort_periods(unique, distinct=True, frequency=frequency_of(unique.to_frame()))


def wide(panel: pd.DataFrame, variable: str, *, drop_incomplete: bool = False,
         positive: bool = False) -> pd.DataFrame:
    """Units x periods matrix of one variable (rows sorted by adcode, columns by period).

    Methods that follow every unit through every period (Markov chains, hot spots, spatial
    models) need a balanced panel. A unit missing in some period, or with a NaN there, is an
    error naming it, unless ``drop_incomplete`` is true; then it is left out and listed in
    ``attrs["dropped_units"]``.
    """
    df = variable_panel(panel, variable)
    periods = sorted_periods(df["period"])
    mat = df.pivot(index="adcode", columns="period", values=variable).reindex(columns=periods)
    mat = mat.sort_index()
    gaps = mat.isna().any(axis=1)
    dropped: list[str] = []
    if gaps.any():
        if not drop_incomplete:
            shown = []
            for code in mat.index[gaps][:5]:
                missing = [p for p in periods if pd.isna(mat.at[code, p])]
                shown.append(f"{code} ({', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''})")
            raise MethodError(
                f"{int(gaps.sum())} unit(s) lack {variable!r} in some period: {'; '.join(shown)}. "
                "This method follows every unit through every period; fill the gaps, restrict "
                "the panel to complete units, or pass drop_incomplete=True (the CLI's "
                "--drop-incomplete) to leave them out (they are then listed)."
            )
        dropped = list(mat.index[gaps])
        mat = mat[~gaps]
    if positive:
        bad = (mat <= 0).any(axis=1)
        if bad.any():
            code = mat.index[bad][0]
            p = next(p for p in periods if mat.at[code, p] <= 0)
            raise MethodError(
                f"{variable!r} of unit {code} in {p} is {mat.at[code, p]!r}; this method takes "
                "logarithms and needs positive values."
            )
    mat.columns.name = "period"
    mat.attrs["dropped_units"] = dropped
    return mat


def unit_points(adcodes: Sequence[str], points: pd.DataFrame | None = None) -> pd.DataFrame:
    """``adcode, lon, lat`` (WGS84) for each unit, from ``points`` or the bundled gazetteer
    (whose point is a representative point inside the unit's polygon), through
    :func:`geodti.geo.unit_points`; a unit without a point is a MethodError naming it."""
    if points is None:
        from geodti.places.levels import points as level_points
        from geodti.schema import level_of_codes

        level = level_of_codes(adcodes)  # the bundled points of the units' level
        points = level_points(level)
        source = "the bundled gazetteer" if level == "city" else f"the bundled {level} points"
    else:
        source = "points"
    try:
        out = _points(points, adcodes, what=source)
    except InputError as exc:  # in this stage a missing point is the method's input
        raise MethodError(str(exc)) from exc
    return out[["lon", "lat"]].rename_axis("adcode").reset_index()


# --------------------------------------------------------------------------- groups

#: Groupings known without a user table.
BUILTIN_GROUPS = ("region", "hu_line", "agglomeration", "province", "admin_rank", "longitude_band")


def membership(by: str, groups: pd.DataFrame | None = None, *, adcodes: Sequence[str] | None = None,
               band_width: float = 5.0, points: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long membership table ``adcode, group`` for a grouping (a unit may appear twice).

    Parameters
    ----------
    by : str
        ``region``, ``hu_line``, ``agglomeration``, ``province``, ``admin_rank``,
        ``longitude_band`` or a column of ``groups``.
    groups : DataFrame, optional
        A table with ``adcode`` and the ``by`` column (e.g. a tier table); default the
        bundled gazetteer / agglomeration table.
    adcodes : sequence of str, optional
        The panel's units (needed for ``longitude_band``).
    band_width : float
        Width of the longitude bands in degrees (bands start at multiples of the width).
    """
    if by == "longitude_band":
        if adcodes is None:
            raise MethodError("longitude bands need the panel's units (adcodes=).")
        if not band_width > 0:
            raise MethodError(f"band_width must be positive, got {band_width!r}.")
        pts = unit_points(adcodes, points)
        lo = np.floor(pts["lon"] / band_width) * band_width
        label = [f"{a:g}-{a + band_width:g}E" for a in lo]
        return pd.DataFrame({"adcode": pts["adcode"], "group": label, "_order": lo})
    if groups is None:
        from geodti.places.levels import grouping

        if by not in BUILTIN_GROUPS:
            raise MethodError(
                f"by={by!r} is not a bundled grouping ({', '.join(BUILTIN_GROUPS)}); pass groups= "
                f"a table with columns adcode and {by}."
            )
        # the units of every level: a province or county panel groups as a city panel does
        groups = grouping(by)
    if "adcode" not in groups.columns or by not in groups.columns:
        raise MethodError(f"the grouping table needs columns adcode and {by!r}; it has "
                          f"{list(map(str, groups.columns))}.")
    out = groups[["adcode", by]].rename(columns={by: "group"}).copy()
    out["adcode"] = out["adcode"].astype(str)
    out = out[out["group"].notna() & (out["group"].astype(str).str.strip() != "")]
    out["group"] = out["group"].astype(str)
    return out.drop_duplicates().reset_index(drop=True)


def partition(member: pd.DataFrame, adcodes: Sequence[str], *, overlap: str = "smaller",
              outside: str | None = "其他") -> tuple[pd.Series, dict]:
    """One group per unit, for methods that need a partition (Dagum, Theil, fixed effects).

    Parameters
    ----------
    member : DataFrame
        ``adcode, group`` (from :func:`membership`).
    adcodes : sequence of str
        The panel's units.
    overlap : {"smaller", "exclude", "error"}
        A unit listed in two groups (the bundled agglomerations: 邯郸 and 邢台 in 京津冀 and
        中原, 运城 in 中原 and 关中平原). ``"smaller"``: assign it to the group with fewer
        members (ties: the group first in sort order); on the bundled table this gives 京津冀
        13, 关中平原 11 and 中原 27 members, the counts printed in the DTI 2023 report.
        ``"exclude"``: leave such units out. ``"error"``: raise.
    outside : str or None
        Label of the units in no group (they then form a group of their own, so the
        decomposition covers the whole panel); None leaves them out.

    Returns
    -------
    (Series, dict)
        The group of each kept unit (index adcode) and notes: ``overlap`` (unit -> groups,
        assigned group), ``excluded`` (units left out and why).
    """
    if overlap not in ("smaller", "exclude", "error"):
        raise MethodError(f"overlap={overlap!r}: use 'smaller', 'exclude' or 'error'.")
    codes = pd.Index([str(a) for a in adcodes])
    m = member[member["adcode"].isin(codes)]
    counts = member.groupby("group")["adcode"].nunique()
    notes: dict = {"overlap": {}, "excluded": {}}
    assigned: dict[str, str] = {}
    for code, part in m.groupby("adcode", sort=True):
        gs = sorted(part["group"].unique())
        if len(gs) == 1:
            assigned[code] = gs[0]
            continue
        if overlap == "error":
            raise MethodError(f"unit {code} belongs to {len(gs)} groups ({', '.join(gs)}); this "
                              "method needs each unit in one group: choose overlap='smaller' or "
                              "'exclude', or give a grouping table with one group per unit.")
        if overlap == "exclude":
            notes["excluded"][code] = f"in {len(gs)} groups: {', '.join(gs)}"
            continue
        pick = min(gs, key=lambda g: (counts[g], g))
        assigned[code] = pick
        notes["overlap"][code] = f"in {', '.join(gs)}; assigned to {pick} (the smaller group)"
    out = pd.Series(assigned, name="group", dtype=object)
    rest = codes[~codes.isin(out.index) & ~codes.isin(list(notes["excluded"]))]
    if len(rest):
        if outside is None:
            for code in rest:
                notes["excluded"][code] = "in no group"
        else:
            out = pd.concat([out, pd.Series(outside, index=rest, name="group", dtype=object)])
    out.index.name = "adcode"
    return out.sort_index(), notes


# --------------------------------------------------------------------------- weights


def default_weights(adcodes: Sequence[str], *, points: pd.DataFrame | None = None, k: int = defaults.DIFFUSION_NEIGHBOURS):
    """k nearest neighbours (``knn{k}``) of the units, built as every stage builds them:
    :meth:`geodti.spatial.Weights.from_spec` on the units' points (``points`` or the bundled
    gazetteer): great-circle distances, islands attached as ``geodti stats`` does."""
    from geodti.spatial.weights import Weights

    pts = unit_points(adcodes, points)
    return Weights.from_spec(f"knn{k}", pts)


def weights_on(weights, adcodes: Sequence[str], *, points: pd.DataFrame | None = None,
               k: int = defaults.DIFFUSION_NEIGHBOURS):
    """A geodti :class:`~geodti.spatial.Weights` on exactly ``adcodes`` (for Gi*, whose
    engine takes the weights' original values).

    ``weights``: geodti Weights (restricted to ``adcodes`` when it has more units), a libpysal
    Graph keyed by adcode (taken as it is) or None (:func:`default_weights`).
    """
    from geodti.spatial.weights import Weights

    codes = [str(a) for a in adcodes]
    if weights is None:
        return default_weights(codes, points=points, k=k)
    if isinstance(weights, Weights):
        label, transform, original = weights.label, weights.transform, weights.original
    else:
        label, transform = getattr(weights, "label", None) or "custom", "R"
        original = getattr(weights, "graph", weights)
    graph, ids, _ = resolve_weights(original, codes)
    if isinstance(weights, Weights) and ids == [str(i) for i in weights.ids]:
        return weights
    return Weights.from_graph(graph, label, transform=transform)


def resolve_weights(weights, adcodes: Sequence[str], *, points: pd.DataFrame | None = None,
                    k: int = defaults.DIFFUSION_NEIGHBOURS):
    """A libpysal Graph on exactly ``adcodes`` and its label.

    ``weights`` may be a :class:`libpysal.graph.Graph` keyed by adcode, an object with a
    ``graph`` attribute holding one (e.g. geodti.spatial's weights) or None:
    :func:`default_weights`. A graph with
    more units than the panel is restricted to the panel's units (their links among
    themselves); a panel unit missing from the graph is an error.

    Returns
    -------
    (Graph, list of str, str)
        The graph (ids in its own order), that order of adcodes, and a label.
    """
    from libpysal.graph import Graph

    codes = [str(a) for a in adcodes]
    label = getattr(weights, "label", None)
    if weights is None:
        weights = default_weights(codes, points=points, k=k)
        label = weights.label
    graph = getattr(weights, "graph", weights)
    if not isinstance(graph, Graph):
        raise MethodError("weights must be a libpysal.graph.Graph keyed by adcode (or an object "
                          f"with a .graph attribute holding one), not {type(weights).__name__}.")
    ids = [str(i) for i in graph.unique_ids]
    if ids != list(graph.unique_ids):
        raise MethodError("the weights graph's ids must be adcode strings ('110100').")
    missing = sorted(set(codes) - set(ids))
    if missing:
        raise MethodError(f"{len(missing)} unit(s) of the panel are not in the weights graph: "
                          f"{', '.join(missing[:8])}; build the weights on the panel's units.")
    if len(ids) != len(codes):
        keep = [i for i in ids if i in set(codes)]
        graph = graph.subgraph(keep)
        ids = [str(i) for i in graph.unique_ids]
    return graph, ids, label or "custom"
