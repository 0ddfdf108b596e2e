"""Read a city panel: table -> long layout -> matched cities -> a frame keyed by adcode and period."""

from __future__ import annotations

import pandas as pd

from geodti.errors import MatchError
from geodti.io.read import check_duplicates, read_table, to_long
from geodti.places.match import match

UNRESOLVED = ("ambiguous", "unmatched")


def read_panel(path, **options) -> pd.DataFrame:
    """Read a city table into a tidy panel keyed by ``adcode`` and ``period``.

    The panel of :func:`read_panel_with_report` without the match report (take that
    function to see how each row was matched). Options are the same.
    """
    return read_panel_with_report(path, **options)[0]


def read_panel_with_report(
    path,
    *,
    city_column=None,
    province_column=None,
    period_column=None,
    value_columns=None,
    layout: str = "auto",
    period=None,
    sheet=None,
    encoding=None,
    header_row=None,
    value_name: str = "value",
    allow_unmatched: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a city table into a tidy panel keyed by ``adcode`` and ``period``, and report how
    each row's city was matched.

    Parameters
    ----------
    path : str or path-like
        CSV (UTF-8, UTF-8 with BOM, GBK or GB18030), XLSX or Parquet; long layout (a row
        per city and period) or wide (a column per period). The file is never modified.
    city_column, province_column, period_column, value_columns, layout, period, value_name
        How to read the table; see :func:`geodti.io.read.to_long`. Undecided columns are
        detected from their headers.
    sheet, encoding, header_row
        See :func:`geodti.io.read.read_table`.
    allow_unmatched : bool
        Keep going when some rows are ambiguous or unmatched. Those rows stay in the
        result with a missing ``adcode`` and their ``match_status``; nothing is dropped.

    Returns
    -------
    panel : pandas.DataFrame
        Columns ``adcode, name, period, period_type, <value columns>, city_input,
        match_status, source_row``, sorted by adcode and period. ``attrs["value_columns"]``
        lists the value columns and ``attrs["source"]`` names the file.
    report : pandas.DataFrame
        The match report: one row per input row (see :func:`geodti.match`). It is returned
        beside the panel, not inside its ``attrs``: pandas deep-copies ``attrs`` on every
        operation, which made each step on a panel carrying its report several times slower.

    Raises
    ------
    geodti.errors.InputError
        The file cannot be read, or it has a malformed cell, a duplicate city-period, ...
    geodti.errors.MatchError
        Some rows are ambiguous or unmatched and ``allow_unmatched`` is false; the
        exception's ``report`` attribute holds the match report.
    """
    table = read_table(path, sheet=sheet, encoding=encoding, header_row=header_row)
    long = to_long(
        table, city_column=city_column, province_column=province_column,
        period_column=period_column, value_columns=value_columns, layout=layout,
        value_name=value_name, period=period,
    )
    values = list(long.attrs["value_columns"])
    has_province = "province" in long.columns
    report = match(long, "city", "province" if has_province else None)
    unresolved = report[report["status"].isin(UNRESOLVED)]
    if len(unresolved) and not allow_unmatched:
        shown = unresolved.drop_duplicates(["input", "province_input"]).head(8)
        listing = "; ".join(
            f"row {r.row} {r.input!r} ({r.status}{': ' + r.suggestions if r.suggestions else ''})"
            for r in shown.itertuples()
        )
        raise MatchError(
            f"{long.attrs.get('source', path)}: {len(unresolved)} of {len(report)} rows do not match "
            f"one city: {listing}. Fix the names, add a province column, or allow unmatched rows "
            "(--allow-unmatched) to keep them out of the map with a note.",
            report=report,
        )

    panel = pd.DataFrame({
        "adcode": report["adcode"].to_numpy(),
        "name": report["name"].to_numpy(),
        "period": long["period"].to_numpy(),
        "period_type": long["period_type"].to_numpy(),
    })
    for column in values:
        panel[column] = long[column].to_numpy()
    panel["city_input"] = long["city"].to_numpy()
    panel["match_status"] = report["status"].to_numpy()
    panel["source_row"] = long["source_row"].to_numpy()

    # two spellings of one city (深圳 / 深圳市) become one adcode: still one row per period
    matched = panel[panel["adcode"].notna()]
    check_duplicates(matched, keys=("adcode", "period"), source=long.attrs.get("source", path))

    panel = panel.sort_values(["adcode", "period", "source_row"], na_position="last", kind="stable")
    panel = panel.reset_index(drop=True)
    panel.attrs = {"source": long.attrs.get("source", str(path)), "value_columns": values}
    return panel, report
