"""The run's tables as files: one CSV each and a workbook whose first sheet lists them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


#: What each table of a run holds (the workbook's contents sheet); ``by_<column>`` tables
#: are described by rule (:func:`describe_table`).
TABLE_DESCRIPTIONS = {
    "match_report": "how each input row's city was matched to a unit (status, method, suggestions)",
    "index_weights": "layer and indicator weights built from the expert scores",
    "index_indicators": "indicator values as shares of the base-period national total",
    "agglomerations": "urban agglomerations: total, share, mean, growth and leading cities",
    "within_agglomerations": "cities within each agglomeration: earlier and latest rank, rank change, growth",
    "layers": "national total of each layer per period, with the growth over one period (quarter-on-quarter, month-on-month) and year-on-year growth",
    "layer_variability": "how much each layer's national total varies over the periods",
    "industry_by_province": "industry index by province: share, growth and quadrant",
    "city_ranks": "every city: earlier and latest value and rank, rank change, growth",
    "agglomeration_coverage": "share of cities and of the index inside the agglomerations",
    "stats_global": "global spatial autocorrelation (Moran's I, Geary's C, General G, join counts) per period, variable and weights",
    "stats_robustness": "Moran's I across the weights specifications",
    "stats_local": "local statistics (LISA, Gi*, local Geary) per city, period and variable",
    "stats_weights": "the spatial weights used: neighbours, islands, components",
    "stats_links": "links added to or removed from the weights, with the reason",
    "stats_excluded": "cities left out of the statistics, with the reason",
    "diffusion_summary": "diffusion per period: centre, ellipse, north-west share, convergence, inequality",
    "diffusion_centre": "index-weighted centre of gravity per period and its moves",
    "diffusion_centre_yoy_increment": "centre of gravity weighted by the year-on-year increment",
    "diffusion_ellipse": "standard deviational ellipse per period",
    "diffusion_growth_by_longitude_band": "growth by longitude band",
    "diffusion_growth_by_region": "growth by NBS region",
    "diffusion_growth_by_hu_line": "growth on each side of the Hu line",
    "diffusion_growth_by_agglomeration": "growth by urban agglomeration",
    "diffusion_longitude_gradient": "regression of the index on longitude per period (east-west gradient)",
    "diffusion_hu_line_share": "share of the index north-west of the Hu line per period",
    "diffusion_distance_decay": "decay of the index with distance from the core cities",
    "diffusion_sigma": "sigma convergence: dispersion per period and group",
    "diffusion_sigma_trend": "trend of the dispersion over the periods",
    "diffusion_beta": "beta convergence regressions",
    "diffusion_spatial_beta_models": "spatial beta convergence models (SAR, SEM, SDM)",
    "diffusion_spatial_beta_coefficients": "coefficients of the spatial beta convergence models",
    "diffusion_spatial_beta_impacts": "direct, indirect and total effects of the spatial models",
    "diffusion_markov_transitions": "Markov chain transition probabilities between index classes",
    "diffusion_markov_steady_state": "steady state of the Markov chain",
    "diffusion_markov_tests": "tests of the Markov chain",
    "diffusion_spatial_markov_transitions": "spatial Markov transitions, conditioned on the neighbours' class",
    "diffusion_spatial_markov_steady_state": "steady states of the spatial Markov chains",
    "diffusion_spatial_markov_tests": "tests of spatial dependence of the transitions",
    "diffusion_lisa_markov_transitions": "transitions between LISA cluster types",
    "diffusion_lisa_markov_steady_state": "steady state of the LISA Markov chain",
    "diffusion_lisa_markov_tests": "tests of the LISA Markov chain",
    "diffusion_kernel_density": "kernel density of the index distribution per period",
    "diffusion_gi_star": "Gi* hot and cold spots per city and period",
    "diffusion_emerging_hotspots": "emerging hot spot pattern of each city, with its Mann-Kendall trend",
    "diffusion_dagum_components": "Dagum Gini decomposition: within, between and transvariation",
    "diffusion_dagum_groups": "Dagum Gini within each group",
    "diffusion_dagum_pairs": "Dagum Gini between each pair of groups",
    "diffusion_theil": "Theil index with its between and within parts",
    "model_table": "spatial panel models as papers print them: coefficients with stars, standard errors in brackets, effects, fit",
    "model_coefficients": "spatial panel models: every coefficient with its standard error, z and p-value",
    "model_fit": "spatial panel models: log-likelihood, AIC, R2 within, sigma2, N, T, estimator",
    "model_effects": "direct, indirect and total effects of each covariate, with simulated standard errors",
    "model_tests": "LM lag/error (robust), LR and Wald tests of the SDM, Hausman fixed vs random effects",
    "model_excluded": "cities left out of the models (missing in some periods; balance = true)",
}


def describe_table(name: str) -> str:
    """What a run table holds, for the workbook's contents sheet ('' if geodti has no text)."""
    if name in TABLE_DESCRIPTIONS:
        return TABLE_DESCRIPTIONS[name]
    if name.startswith("by_"):
        return f"summary of the index by {name[3:].replace('_', ' ')}: total, share, mean, growth, leading city"
    return ""


def write_run_tables(tables: dict[str, pd.DataFrame], folder: Path, limit: int) -> list[Path]:
    """Every table as CSV, and the workbook that lists them."""
    from geodti.io.paths import output_path, unique_slugs
    from geodti.io.tables import sheet_names, write_table, write_tables

    written, contents = [], []
    files = {name: f"{slug}.csv" for name, slug in unique_slugs(tables).items()}  # names from data
    for name, table in tables.items():
        written.append(write_table(table, output_path(folder, files[name])))
        in_workbook = not limit or len(table) <= limit
        contents.append({"sheet": None, "table": name, "description": describe_table(name),
                         "rows": len(table), "columns": table.shape[1],
                         "csv": files[name], "in_workbook": in_workbook})
    # Excel is slow to write and to use with tens of thousands of rows (e.g. the local
    # statistics of every city, period and variable): those tables are CSV only, and the
    # workbook's first sheet lists every table and where it is.
    in_book = [row for row in contents if row["in_workbook"]]
    # Excel cuts sheet names to 31 characters: the contents sheet gives each its full name
    for row, sheet in zip(in_book, sheet_names(["contents", *(r["table"] for r in in_book)])[1:]):
        row["sheet"] = sheet
    book = {"contents": pd.DataFrame(contents)}
    book.update({row["table"]: tables[row["table"]] for row in in_book})
    written.extend(write_tables(book, folder / "geodti_tables.xlsx"))
    return written
