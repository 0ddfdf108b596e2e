"""Read a user-supplied grouping table (e.g. city tiers): one group per city."""

from __future__ import annotations

import pandas as pd

from geodti.errors import InputError
from geodti.io.read import check_input_file, find_city_column, read_table
from geodti.places.match import RESOLVED, match

#: Columns that identify the city rather than name a group.
_KEY_COLUMNS = {"adcode", "name", "city", "城市", "城市名称", "province", "省份"}


def read_groups(path, column: str | None = None, *, overlapping: bool = False) -> pd.DataFrame:
    """A grouping table keyed by adcode, e.g. a city-tier list.

    Parameters
    ----------
    path : str or path-like
        CSV/XLSX/Parquet with an ``adcode`` column or a city-name column, and the group
        column (template: ``data/templates/city_tiers_TEMPLATE.csv``).
    column : str, optional
        The group column; default the only column that is not a city key.
    overlapping : bool
        Whether a city may be in several groups: True for urban agglomerations (the national
        plans overlap: the bundled table lists 3 cities twice), whose summaries count each city
        once; False (default) for a partition such as tiers, whose shares must add to 100 %.

    Returns
    -------
    pandas.DataFrame
        The table with a 6-digit ``adcode`` for every row (names matched when it has no
        ``adcode`` column).

    Raises
    ------
    geodti.errors.InputError
        The column is missing or cannot be decided, an adcode is malformed, a city name
        does not match exactly one unit, or (``overlapping=False``) a city is in two rows.
    """
    table = read_table(check_input_file(path, "groups"))
    columns = [str(c) for c in table.columns]
    column = group_column(table, column, where=f"--groups {path}")
    if column not in table.columns:
        raise InputError(f"--groups {path}: no column {column!r}; its columns are {columns}.")
    if "adcode" in table.columns:
        codes = table["adcode"].map(lambda v: "" if pd.isna(v) else str(v).strip())
        bad = ~codes.str.fullmatch(r"\d{6}")
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(f"--groups {path} row {table.index[i]}: adcode {codes.iloc[i]!r} is "
                             "not a 6-digit code (e.g. 110100).")
        out = table.assign(adcode=codes)
    else:
        report = match(table, find_city_column(table, path))
        lost = report[~report["status"].isin(RESOLVED)]  # a county is not a city either
        if len(lost):
            rows = ", ".join(f"row {r.row} {r.input!r} ({r.status})" for r in lost.head(8).itertuples())
            raise InputError(f"--groups {path}: {len(lost)} rows do not match one city ({rows}); "
                             "fix the names or add an adcode column.")
        out = table.assign(adcode=report["adcode"].to_numpy(), name=report["name"].to_numpy())
    # a city in two groups would be counted twice (shares over 100 %)
    twice = out["adcode"].duplicated(keep=False).to_numpy()
    if twice.any() and not overlapping:
        listing = "; ".join(
            f"{code}: rows {', '.join(str(r) for r in rows.index)} "
            f"({', '.join(str(g) for g in rows[column])})"
            for code, rows in list(out[twice].groupby("adcode", sort=False))[:5])
        raise InputError(f"--groups {path}: a city may be in one group only, but "
                         f"{out.loc[twice, 'adcode'].nunique()} city(ies) are in several rows "
                         f"({listing}); keep one row per city.")
    return out


def group_column(groups: pd.DataFrame, column: str | None = None, *, where: str = "the groups") -> str:
    """The group column of a grouping table: ``column`` if given, else the only column that
    is not a city key (``adcode``, ``name``, ``city``, ``province``, ...).

    Raises
    ------
    geodti.errors.InputError
        No ``column`` and not exactly one candidate.
    """
    if column is not None:
        return column
    columns = [str(c) for c in groups.columns]
    candidates = [c for c in columns if c not in _KEY_COLUMNS]
    if len(candidates) != 1:
        raise InputError(f"{where}: cannot tell which column holds the groups among "
                         f"{candidates or columns}; keep the city key columns (adcode, city, ...) and one "
                         "group column.")
    return candidates[0]
