"""The diffusion summary (one row per period) and the full set of diffusion tables."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd

from geodti import defaults
from geodti.schema import level_of_codes

from . import centre as _centre
from . import convergence as _conv
from . import distribution as _dist
from . import gradient as _grad
from . import hotspots as _hot
from . import inequality as _ineq
from geodti.errors import MethodError

from ._common import default_weights, membership, partition, resolve_weights, wide

__all__ = ["LOG_BASED", "NON_NEGATIVE", "diffusion_summary", "diffusion_tables", "parts_needing"]

#: The diffusion parts that take logs of the values, so need positive values: sigma and beta
#: convergence (ln I), the spatial beta models, Theil's T, the kernel density of ln I.
LOG_BASED = ("sigma", "beta", "spatial_beta", "theil", "kernel_density")
#: The parts that weight or compare units by their values, so need non-negative values: the
#: index-weighted centre and its ellipse, Dagum's Gini decomposition.
NON_NEGATIVE = ("centre", "ellipse", "dagum")


def parts_needing(values) -> tuple[str, ...]:
    """The diffusion parts that ``values`` cannot give: :data:`LOG_BASED` when one value is
    zero or negative, and :data:`NON_NEGATIVE` too when one is negative (pass them to
    :func:`diffusion_tables` as ``leave_out``)."""
    v = pd.to_numeric(pd.Series(values), errors="coerce")
    return (LOG_BASED if v.le(0).any() else ()) + (NON_NEGATIVE if v.lt(0).any() else ())


def _blank(periods, columns) -> pd.DataFrame:
    """A left-out part in the summary: its columns, empty, one row per period."""
    return pd.DataFrame({"period": periods}).reindex(columns=["period", *columns])


def _ranking(growth: pd.DataFrame) -> pd.Series:
    """'西部 > 中部 > 东部 > 东北' per period, fastest total growth first."""
    g = growth.dropna(subset=["total_growth"]).sort_values(["period", "growth_rank", "group"])
    return g.groupby("period", sort=False)["group"].agg(lambda s: " > ".join(s))


def _assemble(centre, ellipse, hu, growth, sigma, dagum, theil_t, by, *, variable=None) -> pd.DataFrame:
    periods = hu["period"].tolist()  # every period (a left-out part is None: its columns empty)
    if centre is None:
        centre = _blank(periods, ["variable", "n_units", "lon", "lat", "move_km", "bearing_deg",
                                  "westward_shift_km", "cum_north_km"]).assign(variable=variable)
    if ellipse is None:
        ellipse = _blank(periods, ["semi_major_km", "semi_minor_km", "rotation_deg", "area_km2"])
    if sigma is None:
        sigma = _blank(periods, ["group", "sd_log", "cv"])
    if dagum is None:
        dagum = _blank(periods, ["gini", "share_w", "share_nb", "share_t"])
    if theil_t is None:
        theil_t = _blank(periods, ["theil", "share_between"])
    out = centre[["period", "variable", "n_units", "lon", "lat", "move_km", "bearing_deg",
                  "westward_shift_km", "cum_north_km"]].rename(
        columns={"lon": "centre_lon", "lat": "centre_lat", "move_km": "centre_move_km",
                 "bearing_deg": "centre_bearing_deg", "cum_north_km": "northward_shift_km"})
    ell = ellipse[["period", "semi_major_km", "semi_minor_km", "rotation_deg", "area_km2"]]
    ell = ell.rename(columns={c: f"ellipse_{c}" for c in ell.columns if c != "period"})
    out = out.merge(ell, on="period", how="left")
    out = out.merge(hu[["period", "share_nw"]], on="period", how="left")
    out["region_growth_ranking"] = out["period"].map(_ranking(growth))
    nat = sigma[sigma["group"] == sigma["group"].iloc[0]]
    out = out.merge(nat[["period", "sd_log", "cv"]].rename(
        columns={"sd_log": "sigma_sd_log", "cv": "sigma_cv"}), on="period", how="left")
    comp = dagum[["period", "gini", "share_w", "share_nb", "share_t"]].rename(
        columns={"share_w": "gini_share_within", "share_nb": "gini_share_net_between",
                 "share_t": "gini_share_transvariation"})
    out = out.merge(comp, on="period", how="left")
    out = out.merge(theil_t[["period", "theil", "share_between"]].rename(
        columns={"share_between": "theil_share_between"}), on="period", how="left")
    out["inequality_groups"] = by
    return out


def diffusion_summary(panel: pd.DataFrame, variable: str = "dti", *, by: str = "region",
                      groups: pd.DataFrame | None = None, points: pd.DataFrame | None = None,
                      convention: str = "arcgis", drop_incomplete: bool = False) -> pd.DataFrame:
    """One row per period: where the index's centre is and how it moved, how it spreads,
    how unequal it is.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel of one frequency (annual, quarterly or monthly).
    variable : str
        Index column.
    by : str
        Grouping of the Gini and Theil decompositions (default the four regions); the growth
        ranking is always by region.
    groups : DataFrame, optional
        ``adcode`` and the ``by`` column when ``by`` is not a bundled grouping.
    points : DataFrame, optional
        Unit points (default the gazetteer).
    convention : str
        Ellipse convention (see :data:`geodti.dynamics.centre.CONVENTIONS`).

    Returns
    -------
    DataFrame
        ``period, variable, n_units, centre_lon, centre_lat, centre_move_km,
        centre_bearing_deg, westward_shift_km`` (cumulative since the first period; negative
        = eastward), ``northward_shift_km, ellipse_semi_major_km, ellipse_semi_minor_km,
        ellipse_rotation_deg, ellipse_area_km2, share_nw`` (share of the national index
        north-west of the Hu line), ``region_growth_ranking`` (regions by YoY of their
        total, fastest first; empty before a quarter four back exists), ``sigma_sd_log,
        sigma_cv, gini, gini_share_within, gini_share_net_between,
        gini_share_transvariation, theil, theil_share_between, inequality_groups``.
    """
    centre = _centre.mean_centre(panel, variable, points=points, drop_incomplete=drop_incomplete)
    ellipse = _centre.standard_deviational_ellipse(panel, variable, convention=convention,
                                                   points=points, drop_incomplete=drop_incomplete)
    hu = _grad.hu_line_share(panel, variable)
    growth = _grad.growth_by_group(panel, "region", variable)
    sigma = _conv.sigma_convergence(panel, variable)
    dagum = _ineq.dagum_gini(panel, variable, by=by, groups=groups)["components"]
    theil_t = _ineq.theil(panel, variable, by=by, groups=groups)
    return _assemble(centre, ellipse, hu, growth, sigma, dagum, theil_t, by)


def diffusion_tables(panel: pd.DataFrame, variable: str = "dti", *, by: str = "region",
                     groups: pd.DataFrame | None = None, weights=None,
                     points: pd.DataFrame | None = None,
                     cores: Sequence[str] = _grad.DEFAULT_CORES, window="auto",
                     convention: str = "arcgis", k: int = 5, alpha: float = defaults.ALPHA,
                     draws: int = defaults.DRAWS, seed: int = defaults.SEED,
                     drop_incomplete: bool = False, gi_inference: str = "analytic",
                     global_window: str = "entire_cube", permutations: int = defaults.PERMUTATIONS,
                     leave_out: Sequence[str] = (), client=None) -> dict:
    """Every diffusion table, computed once with one weights graph.

    Parameters
    ----------
    panel, variable, by, groups, points, convention, drop_incomplete
        As in :func:`diffusion_summary`; ``by`` also adds growth, sigma and kernel-density
        tables for that grouping when it is not one of the standard ones.
    weights : libpysal Graph, geodti weights or None
        Used by the spatial Markov chain, LISA Markov, Gi* and the spatial beta models;
        default 6 nearest neighbours between the units' points. Built once.
    cores : sequence of str
        Core cities of the distance decay.
    window : "auto" or str
        Growth window.
    k : int
        Quantile classes of the Markov chains.
    alpha : float
        Significance level (Gi*, confidence intervals).
    draws, seed : int
        Parameter draws and seed for the standard errors of the spatial effects (the seed
        also of Gi*'s permutations).
    gi_inference, global_window, permutations
        Gi* of the emerging hot spots: :func:`geodti.dynamics.hotspots.gi_star_panel`'s
        ``inference``, ``global_window`` and ``permutations`` (default analytic z-scores over
        the entire cube, Esri's default).
    leave_out : sequence of str
        Parts not computed (names of :data:`LOG_BASED` and :data:`NON_NEGATIVE`, e.g.
        ``parts_needing(panel[variable])`` for values with zeros or negatives): their tables
        are absent and their columns of ``summary`` empty.
    client : dask.distributed.Client or geodti Executor, optional
        Where Gi*'s permutation blocks run (identical numbers).

    Returns
    -------
    dict
        Table name -> DataFrame (``summary`` first), plus ``"layers"``: the map layers of
        :func:`geodti.dynamics.centre.centre_layers` (GeoDataFrames, EPSG:4326), and
        ``"notes"``: a list of strings (dropped units, overlaps, warnings).
    """
    notes: list[str] = []
    mat = wide(panel, variable, drop_incomplete=drop_incomplete)
    if mat.attrs["dropped_units"]:
        notes.append(f"left out (incomplete): {', '.join(mat.attrs['dropped_units'])}")
        panel = panel[~panel["adcode"].astype(str).isin(mat.attrs["dropped_units"])]
    # one weights matrix for every spatial method and period, built as geodti stats builds it
    if weights is None:
        weights = default_weights(mat.index, points=points)
    graph, _, wlabel = resolve_weights(weights, mat.index, points=points)
    unknown = sorted(set(leave_out) - set(LOG_BASED) - set(NON_NEGATIVE))
    if unknown:
        raise MethodError(f"leave_out {unknown}: use names of {LOG_BASED + NON_NEGATIVE}.")

    def part(name, make):  # None for a part left out
        return None if name in leave_out else make()

    t: dict = {}
    centre = part("centre", lambda: _centre.mean_centre(panel, variable, points=points))
    centre_yoy = part("centre", lambda: _centre.mean_centre(panel, variable, weight="yoy_increment",
                                                            points=points))
    ellipse = part("ellipse", lambda: _centre.standard_deviational_ellipse(
        panel, variable, convention=convention, points=points))
    hu = _grad.hu_line_share(panel, variable)
    grouping = ["longitude_band", "region", "hu_line", "agglomeration"]
    if level_of_codes(panel["adcode"]) == "province":
        grouping.remove("agglomeration")  # agglomerations are groups of cities
    if by not in grouping:
        grouping.append(by)
    growth = {g: _grad.growth_by_group(panel, g, variable, groups=groups if g == by else None,
                                       window=window, points=points) for g in grouping}
    sigma = part("sigma", lambda: _conv.sigma_convergence(panel, variable, by=by, groups=groups))
    dagum = part("dagum", lambda: _ineq.dagum_gini(panel, variable, by=by, groups=groups))
    theil_t = part("theil", lambda: _ineq.theil(panel, variable, by=by, groups=groups))
    for kind, d in (dagum["components"].attrs["notes"] if dagum else {}).items():
        for code, text in d.items():
            notes.append(f"{by} {kind}: {code} {text}")
    t["summary"] = _assemble(centre, ellipse, hu, growth["region"], sigma,
                             dagum["components"] if dagum else None, theil_t, by,
                             variable=variable)
    if centre is not None:
        t["centre"] = centre
        t["centre_yoy_increment"] = centre_yoy
    if ellipse is not None:
        t["ellipse"] = ellipse
    for g, table in growth.items():
        t[f"growth_by_{g}"] = table
    t["longitude_gradient"] = _grad.longitude_gradient(panel, variable, window=window,
                                                       points=points, alpha=alpha)
    t["hu_line_share"] = hu
    t["distance_decay"] = pd.concat(
        [_grad.distance_decay(panel, variable, cores=cores, model=m, window=window,
                              points=points, alpha=alpha) for m in ("log", "linear")],
        ignore_index=True)
    if sigma is not None:
        t["sigma"] = sigma
        t["sigma_trend"] = _conv.sigma_trend(sigma)
    if "beta" not in leave_out:
        # a table inside one group (one province's counties: one region) has no fixed effects
        # to take: the conditional model is left out, and the notes say so
        fixed = by
        if partition(membership(by, groups), mat.index.astype(str))[0].nunique() < 2:
            fixed = None
            notes.append(f"conditional beta convergence left out: every unit is in one {by} group, "
                         "so there are no fixed effects; the absolute model is given")
        t["beta"] = _conv.beta_convergence(panel, variable, by=fixed, groups=groups, alpha=alpha)
    if "spatial_beta" not in leave_out:
        sb = _conv.spatial_beta_convergence(panel, variable, weights=graph, draws=draws,
                                            seed=seed, alpha=alpha)
        for name, table in sb.items():
            table["weights"] = wlabel
            t[f"spatial_beta_{name}"] = table
    for name, fn in (("markov", lambda: _dist.markov(panel, variable, k=k)),
                     ("spatial_markov", lambda: _dist.spatial_markov(panel, variable, k=k,
                                                                     weights=graph)),
                     ("lisa_markov", lambda: _dist.lisa_markov(panel, variable, weights=graph))):
        for part_name, table in fn().items():
            if "weights" in table.columns:
                table["weights"] = wlabel
            t[f"{name}_{part_name}"] = table
    if "kernel_density" not in leave_out:
        t["kernel_density"] = _dist.kernel_density(panel, variable, by=by, groups=groups)
    # the per-period Gi* is a table of its own and the input of the emerging hot spots
    gi = _hot.gi_star_panel(panel, variable, weights=weights, alpha=alpha, inference=gi_inference,
                            global_window=global_window, permutations=permutations, seed=seed, client=client)
    t["gi_star"] = gi.assign(weights=wlabel)
    n_periods = gi["period"].nunique()
    if n_periods >= _hot.MIN_EHSA_PERIODS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            ehsa = _hot.emerging_hotspots(panel, variable, gi=gi)
        notes += [str(w.message) for w in caught]
        ehsa["weights"] = wlabel
        t["emerging_hotspots"] = ehsa
    else:  # a short table: every other part runs, and the report says why this one did not
        notes.append(f"Emerging hot spots left out: their Mann-Kendall trend needs at least "
                     f"{_hot.MIN_EHSA_PERIODS} periods, the panel has {n_periods}.")
    if dagum is not None:
        t["dagum_components"] = dagum["components"]
        t["dagum_groups"] = dagum["groups"]
        t["dagum_pairs"] = dagum["pairs"]
    if theil_t is not None:
        t["theil"] = theil_t
    for table in t.values():
        table.attrs = {}
    t["layers"] = _centre.centre_layers(centre, ellipse) if centre is not None and ellipse is not None else {}
    t["notes"] = notes
    return t

