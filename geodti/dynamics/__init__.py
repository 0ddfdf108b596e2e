"""Diffusion, convergence and inequality of a city index over a panel.

One module per method family; every function takes the tidy panel (``adcode``, ``period``,
variables) and returns tidy tables (DataFrames, GeoDataFrames for map layers):

* :mod:`~geodti.dynamics.centre`: index-weighted mean centre and its moves, standard
  deviational ellipse, map layers (:func:`mean_centre`, :func:`standard_deviational_ellipse`,
  :func:`centre_layers`).
* :mod:`~geodti.dynamics.gradient`: growth by longitude band / region / Hu-line side /
  agglomeration, regression on longitude, share west of the Hu line, distance decay from
  core cities.
* :mod:`~geodti.dynamics.convergence`: sigma, beta and spatial beta convergence (spreg).
* :mod:`~geodti.dynamics.distribution`: Markov, spatial Markov and LISA Markov chains
  (giddy), kernel densities.
* :mod:`~geodti.dynamics.hotspots`: emerging hot spot analysis (Gi* per period,
  Mann-Kendall, Esri's categories).
* :mod:`~geodti.dynamics.inequality`: Dagum's Gini decomposition, Theil's T.
* :mod:`~geodti.dynamics.summary`: the per-period diffusion summary and all tables at once.

Methods, formulas and sources: docs/methods.md, section "Diffusion, convergence and
inequality".
"""

from ._common import default_weights
from .centre import centre_layers, mean_centre, standard_deviational_ellipse, standard_distance
from .convergence import beta_convergence, sigma_convergence, sigma_trend, spatial_beta_convergence
from .distribution import kernel_density, lisa_markov, markov, spatial_markov
from .gradient import (
    distance_decay, distance_to_cores, growth_by_group, hu_line_share, longitude_gradient,
    unit_growth,
)
from .hotspots import classify_pattern, emerging_hotspots, gi_star_panel, mann_kendall
from .inequality import dagum_decomposition, dagum_gini, gini, theil
from .summary import diffusion_summary, diffusion_tables

__all__ = [
    "beta_convergence", "centre_layers", "classify_pattern", "dagum_decomposition", "dagum_gini",
    "default_weights", "diffusion_summary", "diffusion_tables", "distance_decay", "distance_to_cores",
    "emerging_hotspots", "gi_star_panel", "gini", "growth_by_group", "hu_line_share",
    "kernel_density", "lisa_markov", "longitude_gradient", "mann_kendall", "markov",
    "mean_centre", "sigma_convergence", "sigma_trend", "spatial_beta_convergence",
    "spatial_markov", "standard_deviational_ellipse", "standard_distance", "theil", "unit_growth",
]
