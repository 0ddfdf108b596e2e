"""Spatial panel econometrics: SAR, SEM, SDM and SAC models with fixed (unit, time, two-way)
or random effects, specification tests, and direct/indirect/total effects.

:func:`spatial_panel_models` runs the whole set on a tidy panel and returns tidy tables;
the pieces are public in their modules: :mod:`.data` (selecting and checking the panel),
:mod:`.estimate` (the estimators), :mod:`.specification` (LM, LR/Wald, Hausman tests),
:mod:`.effects` (LeSage & Pace effects) and :mod:`.tables` (tables as papers print them).
Formulas and references: docs/methods.md, "Spatial panel models".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from geodti import defaults
from geodti.errors import MethodError

from .data import EFFECTS, ModelData, demean, model_data
from .effects import spatial_effects
from .estimate import MODELS, Fit, fit_model
from .specification import hausman, lm_tests, sdm_tests
from .spectrum import Spectrum, spectrum
from .tables import coefficients, fit_statistics, paper_table

__all__ = ["EFFECTS", "MODELS", "Fit", "ModelData", "demean", "fit_model", "hausman",
           "lm_tests", "model_data", "model_weights", "paper_table", "sdm_tests", "spatial_effects",
           "spatial_panel_models", "Spectrum", "spectrum", "weights_matrix"]


def weights_matrix(weights, units) -> sparse.csr_array:
    """The row-standardised matrix of ``weights`` on exactly ``units`` (in that order).

    ``weights`` is a :class:`geodti.spatial.weights.Weights` or a libpysal Graph keyed by
    adcode. Weights on more units are restricted to ``units`` (their links among themselves,
    from the untransformed weights) and row-standardised again; a unit of ``units`` missing
    from the weights is an error.
    """
    graph = getattr(weights, "original", None)
    if graph is None:
        graph = getattr(weights, "graph", weights)
    ids = [str(i) for i in graph.unique_ids]
    missing = [u for u in units if u not in set(ids)]
    if missing:
        raise MethodError(f"{len(missing)} unit(s) of the panel are not in the weights: "
                          f"{', '.join(missing[:8])}; build the weights on the panel's units.")
    m = graph.sparse.tocsr()
    pos = [ids.index(u) for u in units]
    m = sparse.csr_array(m[pos][:, pos])
    rs = np.asarray(m.sum(axis=1)).ravel()
    if (rs == 0).any():
        alone = [u for u, r in zip(units, rs) if r == 0]
        raise MethodError(f"{len(alone)} unit(s) have no neighbour in the weights "
                          f"({', '.join(alone[:8])}); a spatial panel model needs every unit "
                          "linked: choose weights that attach islands (island policy attach).")
    return sparse.csr_array(sparse.diags(1.0 / rs) @ m)


def model_weights(panel: pd.DataFrame, spec, units, *, source: str = "the table"):
    """Weights of one geodti weights spec on the model's ``units`` (bundled boundaries).

    Parameters
    ----------
    panel : DataFrame
        The tidy panel (for weights built on a value column, e.g. nested weights).
    spec : str or geodti.spatial.weights.WeightsSpec
    units : sequence of str
        The adcodes the model keeps (:attr:`ModelData.units`).
    source : str
        Names the input in the error about adcodes that are not bundled units.

    Returns
    -------
    geodti.spatial.weights.Weights
        Keyed by adcode; its ``notes`` say what was added or removed (islands ...).
    """
    from geodti.errors import InputError
    from geodti.spatial.pipeline import bundled_inputs
    from geodti.spatial.weights import Weights, parse_weights_spec

    spec = parse_weights_spec(spec) if isinstance(spec, str) else spec
    b = bundled_inputs(need_contiguity=spec.kind in ("queen", "rook"))
    kept = set(units)
    bundled = b["units"][b["units"]["adcode"].astype(str).isin(kept)]
    unknown = sorted(kept - set(bundled["adcode"].astype(str)))
    if unknown:
        raise InputError(f"{source}: {len(unknown)} adcode(s) are not bundled units: "
                         f"{', '.join(unknown[:8])}.")
    return Weights.from_spec(spec, bundled, contiguity=b["contiguity"],
                             agglomerations=b["agglomerations"], data=panel)


def spatial_panel_models(panel: pd.DataFrame, dependent: str, covariates, weights, *,
                         models=("ols", "sar", "sem", "sdm"), effects: str = "twoway",
                         lee_yu: bool = True, draws: int = defaults.DRAWS,
                         seed: int = defaults.SEED, alpha: float = defaults.ALPHA,
                         balance: bool = False, tests: bool = True) -> dict[str, pd.DataFrame]:
    """Estimate spatial panel models of ``dependent`` on ``covariates`` with their tests and
    effects.

    Parameters
    ----------
    panel : DataFrame
        Tidy panel (``adcode``, ``period``, value columns).
    dependent : str
    covariates : sequence of str
    weights : geodti.spatial.weights.Weights or libpysal.graph.Graph
        Keyed by adcode; row-standardised on the model's units.
    models : sequence of {"ols", "sar", "sem", "sdm", "sac"}
    effects : {"none", "unit", "time", "twoway", "random"}
    lee_yu : bool
        Lee & Yu (2010) bias correction of two-way fixed effects.
    draws, seed, alpha
        Simulation of the effects' standard errors (:func:`spatial_effects`).
    balance : bool
        Leave units with missing unit-periods out (listed in ``excluded``) instead of
        refusing the panel.
    tests : bool
        LM tests, SDM LR/Wald tests (when SAR/SEM/SDM are estimated) and the Hausman test
        (SAR, unit fixed against random effects).

    Returns
    -------
    dict of DataFrame
        ``coefficients`` (tidy), ``fit``, ``effects``, ``tests``, ``table`` (as papers print
        it), ``excluded`` (units left out by ``balance``).
    """
    models = tuple(models)
    bad = [m for m in models if m not in MODELS]
    if bad or not models:
        raise MethodError(f"models {bad or '(none)'}: choose from {', '.join(MODELS)}.")
    data = model_data(panel, dependent, covariates, balance=balance)
    W = weights_matrix(weights, data.units)
    spec = spectrum(W)  # one eigen decomposition for every model and the effects
    fits = [fit_model(data, m, W, effects=effects, lee_yu=lee_yu, spec=spec) for m in models]
    effect_tables = [spatial_effects(f, data.covariates, W, draws=draws, seed=seed, alpha=alpha,
                                     spec=spec)
                     for f in fits if f.model != "ols"]
    eff = pd.concat(effect_tables, ignore_index=True) if effect_tables else pd.DataFrame()
    test_tables = []
    if tests:
        lm_effects = effects if effects != "random" else "unit"
        test_tables.append(lm_tests(data, W, effects=lm_effects))
        by = {f.model: f for f in fits}
        if "sdm" in by:
            test_tables.append(sdm_tests(by["sdm"], by.get("sar"), by.get("sem"), data.covariates))
        test_tables.append(hausman(data, W, model="sar"))
    return {"coefficients": coefficients(fits), "fit": fit_statistics(fits), "effects": eff,
            "tests": pd.concat(test_tables, ignore_index=True) if test_tables else pd.DataFrame(),
            "table": paper_table(fits, eff), "excluded": data.dropped}
