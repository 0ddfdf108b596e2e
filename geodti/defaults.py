"""Default settings of every command, of the run configuration and of the Python API.

One place, so that ``geodti run``, ``geodti stats``, ``geodti diffusion`` and the functions
they call give the same numbers for the same input when no flag is passed. A test checks
that every command's ``--seed`` and ``--weights`` default is the constant here.

SEED
    Seed of every random draw: the permutations of the spatial statistics and the parameter
    draws of the spatial-effects standard errors. 20230331, the last day of 2023Q1, the
    latest quarter of the DTI report (it was the run's seed before the commands shared one).
PERMUTATIONS
    Permutations of the pseudo p-values: 9999, enough for FDR at ``ALPHA`` on 370 units.
    The esda-like classes (``geodti.spatial.Moran`` ...) keep esda's own default of 999.
WEIGHTS
    Spatial weights of the statistics of ``geodti run`` and ``geodti stats``: Queen
    contiguity and the 6 nearest neighbours (the first also serves maps, figures and the
    diffusion step of a run).
ALPHA, CORRECTION
    Significance level, and the multiple-testing correction of the local cluster labels.
DIFFUSION_NEIGHBOURS, DIFFUSION_WEIGHTS
    ``geodti diffusion`` takes only k-nearest-neighbour weights (between the units' points,
    for the spatial Markov chain, Gi* and the spatial models): k = 6, the knn of ``WEIGHTS``.
DRAWS
    Parameter draws for the standard errors of the spatial effects (SAR/SDM).
"""

from __future__ import annotations

SEED: int = 20230331
PERMUTATIONS: int = 9999
WEIGHTS: tuple[str, ...] = ("queen", "knn6")
ALPHA: float = 0.05
CORRECTION: str = "fdr"
DIFFUSION_NEIGHBOURS: int = 6
DIFFUSION_WEIGHTS: str = f"knn{DIFFUSION_NEIGHBOURS}"
DRAWS: int = 1000

__all__ = ["SEED", "PERMUTATIONS", "WEIGHTS", "ALPHA", "CORRECTION", "DIFFUSION_NEIGHBOURS",
           "DIFFUSION_WEIGHTS", "DRAWS"]
