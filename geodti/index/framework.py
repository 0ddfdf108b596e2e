"""The bundled DTI framework table (indicator -> layer), read from ``data/dti_framework.csv``."""

from __future__ import annotations

import pandas as pd

from geodti.bundled import data_dir


def dti_framework() -> pd.DataFrame:
    """The report's indicator -> layer map with Chinese and English names.

    Returns
    -------
    DataFrame
        Columns ``layer``, ``layer_zh``, ``indicator``, ``indicator_zh``, ``indicator_en``,
        ``industry_key`` (bool: one of the three indicators of the industry dimension),
        ``example_source``, ``source``. Eight indicators in three layers
        (infrastructure: cloud, ai; platform: payment, ecommerce, entertainment;
        application: procurement, rnd, collaboration).
    """
    path = data_dir() / "dti_framework.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    df["industry_key"] = df["industry_key"].map({"True": True, "False": False}).astype(bool)
    return df


def layer_names_zh(framework: pd.DataFrame | None = None) -> dict[str, str]:
    """Map of layer -> Chinese layer name (plus ``dti`` -> 数字化转型指数)."""
    fw = dti_framework() if framework is None else framework
    out = dict(zip(fw["layer"], fw["layer_zh"])) if "layer_zh" in fw.columns else {}
    out["dti"] = "数字化转型指数"
    return out
