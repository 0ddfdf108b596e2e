"""The statistics stage of the pipeline: panel in, every spatial table out.

:func:`spatial_tables` builds each weights specification once on the panel's units,
then computes the global, robustness, local and weights-summary tables with one set
of permutation draws. :func:`bundled_inputs` loads the units (gazetteer points),
contiguity pairs and agglomerations shipped with geodti.
"""

from __future__ import annotations

import pandas as pd

from geodti import defaults
from geodti.errors import InputError
from geodti.schema import check_panel, schema_of

from ._panel import choose_periods, choose_variables, complete_units
from .global_ import global_statistics, robustness_table
from .local import DEFAULT_LOCAL_STATISTICS, bivariate_local_statistics, local_statistics
from .weights import build_weights_set, parse_weights_specs, weights_summary

__all__ = ["bundled_inputs", "spatial_tables"]

_CONTIGUITY_KINDS = ("queen", "rook")


def bundled_inputs(need_contiguity: bool = True, level: str = "city") -> dict:
    """Units, contiguity and agglomerations shipped with geodti, at one level.

    City-level units are the gazetteer's 370 units with their representative points
    (``lon``/``lat``: the centre of the largest inscribed circle, always inside the unit;
    see data/README.md), or the units of another level (:func:`geodti.places.levels.units`).
    Contiguity is :func:`geodti.places.boundaries.queen_pairs` of the level (precomputed on
    the full-resolution boundaries; never rebuilt at run time).
    """
    from geodti.places.gazetteer import agglomerations, gazetteer

    if level == "city":
        units, source = gazetteer(), "bundled gazetteer points"
    else:
        from geodti.places.levels import units as level_units

        units, source = level_units(level), f"bundled {level} points"
    out = {"units": units, "agglomerations": agglomerations(), "contiguity": None,
           "source": source}
    if need_contiguity:
        from geodti.places.boundaries import queen_pairs

        out["contiguity"] = queen_pairs(level=level)
    return out


def spatial_tables(
    panel: pd.DataFrame,
    weights=defaults.WEIGHTS,
    *,
    local_weights=None,
    units: pd.DataFrame | None = None,
    contiguity: pd.DataFrame | None = None,
    agglomerations: pd.DataFrame | None = None,
    variables=None,
    periods=None,
    permutations: int = defaults.PERMUTATIONS,
    seed: int = defaults.SEED,
    alternative: str = "directed",
    correction: str = defaults.CORRECTION,
    alpha: float = defaults.ALPHA,
    island_policy: str = "auto",
    k_attach: int = 1,
    local_statistics_=DEFAULT_LOCAL_STATISTICS,
    gi_inference: str = "permutation",
    bivariate=None,
    join_counts=None,
    on_budget: str = "warn",
    missing: str = "raise",
    progress: bool = False,
    level: str | None = None,
    client=None,
) -> dict[str, pd.DataFrame]:
    """Global, robustness, local and weights tables of a panel.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel (``adcode``, ``period``, variables); rows without an adcode
        (unmatched cities) are excluded and listed in the ``excluded`` table.
    weights : str or list
        Weights specs (see :func:`~geodti.spatial.weights.parse_weights_spec`); each is
        built once on the panel's units.
    local_weights : str or list, optional
        Specs for the local table (default: the first of ``weights``).
    units, contiguity, agglomerations : DataFrame, optional
        Default: the bundled units, contiguity and agglomerations of the level
        (:func:`bundled_inputs`).
    missing : {"raise", "drop"}
        Units with a missing value in a selected period/variable: an error, or left
        out of every table (listed in ``excluded``) with weights built without them.
    level : {"province", "city", "county"}, optional
        The level of the panel's adcodes, which picks the bundled units and contiguity;
        default: the panel's :attr:`geodti.schema.PanelSchema.level`.
    client : dask.distributed.Client or geodti Executor, optional
        Run the permutation blocks there (:mod:`geodti.spatial.executor`; e.g.
        ``geodti.spatial.executor.connect("dask://HOST:PORT")``); identical numbers.
    Other parameters
        As in :func:`~geodti.spatial.global_.global_statistics` and
        :func:`~geodti.spatial.local.local_statistics`.

    Returns
    -------
    dict of DataFrame
        ``global``, ``robustness``, ``local``, ``weights``, ``links`` (links added by the
        island policy) and ``excluded`` (units left out, with the reason).

    Examples
    --------
    Moran's I of the bundled (SYNTHETIC) sample's index in 2023Q1 under two weights:

    >>> import geodti
    >>> from geodti.spatial.pipeline import spatial_tables
    >>> panel = geodti.read_panel("sample:panel")
    >>> latest = panel[panel["period"] == "2023Q1"]
    >>> tables = spatial_tables(latest, ["queen", "knn6"], variables=["dti"], seed=1)
    >>> sorted(tables)
    ['excluded', 'global', 'links', 'local', 'robustness', 'weights']
    >>> moran = tables["global"].query("statistic == 'moran'")
    >>> print(moran[["weights", "value", "p_sim"]].round(3).to_string(index=False))
    weights  value  p_sim
      queen  0.054  0.032
       knn6  0.065  0.020
    """
    if missing not in ("raise", "drop"):
        raise InputError("missing must be 'raise' or 'drop'")
    if level is None:
        level = schema_of(panel).level
    specs = parse_weights_specs(weights)
    lspecs = parse_weights_specs(local_weights) if local_weights else specs[:1]
    all_specs = specs + [s for s in lspecs if s.label not in {x.label for x in specs}]

    panel = panel.copy()
    excluded = []
    if "adcode" in panel.columns:
        unmatched = panel["adcode"].isna()
        if unmatched.any():
            label = panel.get("city_input", panel.get("name", pd.Series(index=panel.index, dtype=object)))
            for city in sorted(set(label[unmatched].astype(str))):
                excluded.append({"adcode": "", "name": city, "reason": "city not matched to a unit"})
            panel = panel[~unmatched]
    panel = check_panel(panel)
    variables = choose_variables(panel, variables)  # default: schema_of(panel).value_columns
    periods = choose_periods(panel, periods)
    complete, problems = complete_units(panel, variables, periods)
    if len(problems):
        if missing == "raise":
            shown = problems.head(8)
            listing = "; ".join(f"{r.adcode} {r.period} {r.variable}" for r in shown.itertuples())
            raise InputError(
                f"{len(problems)} missing value(s) in the selected periods and variables ({listing}"
                f"{' ...' if len(problems) > 8 else ''}); every unit needs every value. Choose periods/variables "
                "without gaps, or leave those units out (missing='drop', --missing drop-units)"
            )
        for code, grp in problems.groupby("adcode"):
            what = ", ".join(f"{p} {v}" for p, v in grp[["period", "variable"]].head(4).itertuples(index=False))
            excluded.append({"adcode": code, "name": "", "reason": f"missing values: {what}"})
        panel = panel[panel["adcode"].isin(complete)]

    need_pairs = (any(s.kind in _CONTIGUITY_KINDS for s in all_specs) and contiguity is None
                  and (units is None or "geometry" not in units.columns))
    if need_pairs and any(s.kind == "rook" for s in all_specs):
        from geodti.places.boundaries import rook_equals_queen

        if not rook_equals_queen(level):
            raise InputError(
                f"rook weights are not shipped at the {level} level: there some units touch at a point "
                "only, so Rook and the shipped Queen pairs differ; use queen, or pass units with polygons "
                "to build rook from them")
    if units is None:
        b = bundled_inputs(need_contiguity=need_pairs, level=level)
        units = b["units"]
        contiguity = contiguity if contiguity is not None else b["contiguity"]
        agglomerations = agglomerations if agglomerations is not None else b["agglomerations"]
    elif need_pairs:
        contiguity = bundled_inputs(True, level=level)["contiguity"]
    if agglomerations is None and any(s.kind == "block" for s in all_specs):
        from geodti.places.gazetteer import agglomerations as load_agglomerations

        agglomerations = load_agglomerations()
    ucodes = units["adcode"].astype(str)
    codes = sorted(panel["adcode"].unique())
    unknown = sorted(set(codes) - set(ucodes))
    if unknown:
        raise InputError(
            f"{len(unknown)} panel adcode(s) are not units of the boundary layer: {', '.join(unknown[:10])}; "
            "check the codes (geodti match) or pass the matching unit layer (--units)"
        )
    sel = units[ucodes.isin(codes).to_numpy()].copy()
    sel["adcode"] = sel["adcode"].astype(str)
    sel = sel.sort_values("adcode", kind="stable").reset_index(drop=True)
    data = panel[panel["period"].isin(periods)]
    built = build_weights_set(all_specs, sel, contiguity=contiguity, agglomerations=agglomerations, data=data,
                              island_policy=island_policy, k_attach=k_attach)
    dropped = {c for w in built.values() for c in w.dropped}
    for c in sorted(dropped):
        excluded.append({"adcode": c, "name": "", "reason": "isolate dropped by island_policy='drop' (some weights)"})

    gweights = {s.label: built[s.label] for s in specs}
    lweights = {s.label: built[s.label] for s in lspecs}

    def restricted(w):
        return panel[panel["adcode"].isin(w.ids)]

    gparts = [
        global_statistics(restricted(w), w, variables=variables, periods=periods, permutations=permutations,
                          seed=seed, alternative=alternative, bivariate=bivariate, join_counts=join_counts,
                          progress=progress, client=client)
        for w in gweights.values()
    ]
    global_table = pd.concat(gparts, ignore_index=True)
    lparts = [
        local_statistics(restricted(w), w, variables=variables, periods=periods, statistics=local_statistics_,
                         permutations=permutations, seed=seed, alternative=alternative, correction=correction,
                         alpha=alpha, gi_inference=gi_inference, on_budget=on_budget, progress=progress,
                         client=client)
        for w in lweights.values()
    ]
    if bivariate:  # bivariate LISA of each pair (x at the unit, the lag of y), rows with variable_y
        lparts += [
            bivariate_local_statistics(restricted(w), w, bivariate, periods=periods, permutations=permutations,
                                       seed=seed, alternative=alternative, correction=correction, alpha=alpha,
                                       on_budget=on_budget, progress=progress)
            for w in lweights.values()
        ]
    local_table = pd.concat(lparts, ignore_index=True)
    links = pd.concat(
        [w.attached.assign(weights=label) for label, w in built.items() if len(w.attached)] or
        [pd.DataFrame(columns=["focal", "neighbor", "distance_km", "reason", "weights"])],
        ignore_index=True,
    )[["weights", "focal", "neighbor", "distance_km", "reason"]]
    return {
        "global": global_table,
        "robustness": robustness_table(global_table),
        "local": local_table,
        "weights": weights_summary(built),
        "links": links,
        "excluded": pd.DataFrame(excluded, columns=["adcode", "name", "reason"]),
    }
