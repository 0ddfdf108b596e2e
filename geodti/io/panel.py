"""Read a city panel: table -> long layout -> matched cities -> a frame keyed by adcode and period."""

from __future__ import annotations

import warnings

import pandas as pd

from geodti.errors import InputError, MatchError
from geodti.io.read import check_duplicates, read_table, to_long
from geodti.places.gazetteer import gazetteer
from geodti.periods import FREQUENCIES
from geodti.places.match import RESOLVED, match
from geodti.schema import is_metadata

UNRESOLVED = ("ambiguous", "unmatched")


def read_panel(path, **options) -> pd.DataFrame:
    """Read a city table into a tidy panel keyed by ``adcode`` and ``period``.

    The panel of :func:`read_panel_with_report` without the match report (take that
    function to see how each row was matched). Options are the same.

    Examples
    --------
    >>> import geodti
    >>> panel = geodti.read_panel("sample:small")  # a bundled synthetic table
    >>> panel[["adcode", "name", "period", "dti"]].head(2)
       adcode name  period   dti
    0  110100  北京市  2022Q4  4.61
    1  110100  北京市  2023Q1  4.58
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
    allow_county: bool = False,
    frequency: str | None = None,
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
        Keep going when some rows are ambiguous or unmatched (or name a county and
        ``allow_county`` is false). Those rows stay in the result with a missing ``adcode``
        and their ``match_status``; nothing is dropped.
    allow_county : bool
        Map rows that name a county-level unit (match status ``county``: 甘南县, 安达市) to
        the city containing it, keeping ``match_status`` ``county``. A county's value is not
        its city's value: allow this only if the table's values for such rows stand for the
        city. Two rows for one city and period (two counties of a city, or a county and its
        city) are refused as duplicates, never summed.
    frequency : {"annual", "quarter", "month"}, optional
        Analyse the rows of this frequency only; the others are left out, counted in
        ``attrs["left_out_frequencies"]`` and named in an
        :class:`~geodti.errors.InputWarning`. Default: the table's one frequency; a table
        mixing frequencies is refused, naming the rows of each (rows are never aggregated
        from one frequency to another: a year's value is not always the mean of its
        quarters). Monthly tables need no flag when two of their months fall in one
        quarter; ``"month"`` keeps months written as quarter ends (``2021-03``,
        ``2021-06``) as months.

    Returns
    -------
    panel : pandas.DataFrame
        Columns ``adcode, name, period, period_type, <value columns>, city_input,
        match_status, source_row``, sorted by adcode and period. Its value columns (and
        period frequency) are :func:`geodti.schema.schema_of` ``(panel)``; ``attrs["source"]``
        names the file (for the captions of maps drawn from it).
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

    Examples
    --------
    >>> import geodti
    >>> panel, report = geodti.read_panel_with_report("sample:small")
    >>> len(panel), report["status"].eq("matched").all()
    (20, np.True_)
    """
    table = read_table(path, sheet=sheet, encoding=encoding, header_row=header_row)
    return _panel_from_table(
        table, path, city_column=city_column, province_column=province_column,
        period_column=period_column, value_columns=value_columns, layout=layout, period=period,
        value_name=value_name, allow_unmatched=allow_unmatched, allow_county=allow_county,
        frequency=frequency)


def read_indicators_with_report(
    path,
    *,
    indicator_column: str = "indicator",
    value_column: str = "value",
    city_column=None,
    province_column=None,
    period_column=None,
    sheet=None,
    encoding=None,
    header_row=None,
    allow_unmatched: bool = False,
    allow_county: bool = False,
    frequency: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read raw indicators in long form, a row per city, period and indicator, into a panel
    with one column per indicator, and report how each city was matched.

    The input of :func:`geodti.index.build_index` when a run builds the index itself.

    Parameters
    ----------
    path : str or path-like
        CSV, XLSX or Parquet with a city column (names or adcodes), a period column, the
        ``indicator_column`` (indicator names, e.g. ``cloud``) and the ``value_column``.
    indicator_column, value_column : str
        Headers of the indicator-name and value columns.
    city_column, province_column, period_column, sheet, encoding, header_row, allow_unmatched, allow_county, frequency
        As in :func:`read_panel_with_report`.

    Returns
    -------
    panel : pandas.DataFrame
        As :func:`read_panel_with_report`, with one value column per indicator (in order of
        first appearance); ``source_row`` is the first file row of each city and period.
    report : pandas.DataFrame
        The match report, one row per city and period.

    Raises
    ------
    geodti.errors.InputError
        A missing indicator or value column, a blank indicator name, or the same city,
        period and indicator in two rows (the rows are named).
    """
    table = read_table(path, sheet=sheet, encoding=encoding, header_row=header_row)
    where = str(path)
    missing = [c for c in (indicator_column, value_column) if c not in table.columns]
    if missing:
        raise InputError(
            f"{where}: raw indicators need the columns {indicator_column!r} and "
            f"{value_column!r} (a row per city, period and indicator); missing {missing}, "
            f"found {[str(c) for c in table.columns]}.")
    names = table[indicator_column].map(lambda v: None if pd.isna(v) else str(v).strip() or None)
    blank = table.index[names.isna().to_numpy()]
    if len(blank):
        raise InputError(f"{where}: rows {', '.join(map(str, blank[:10]))} have no "
                         f"{indicator_column!r}; name the indicator or drop the rows.")
    keys = [c for c in table.columns if c not in (indicator_column, value_column)]
    key_frame = table[keys].astype(object).where(table[keys].notna(), "")
    twice = key_frame.assign(_indicator=names).duplicated(keep=False)
    if twice.any():
        rows = table.index[twice.to_numpy()]
        raise InputError(
            f"{where}: rows {', '.join(map(str, rows[:10]))} repeat a city, period and "
            f"indicator; keep one row each.")
    group = key_frame.apply(tuple, axis=1)
    order = list(dict.fromkeys(group))  # first appearance
    indicators = list(dict.fromkeys(names))
    first_row = pd.Series(table.index, index=group.to_numpy()).groupby(level=0, sort=False).min()
    wide = pd.DataFrame(
        {"_key": group.to_numpy(), "_indicator": names.to_numpy(),
         "_value": table[value_column].to_numpy()}
    ).pivot(index="_key", columns="_indicator", values="_value").reindex(order)
    wide = wide[indicators]
    wide.columns.name = None
    out = pd.DataFrame(list(order), columns=keys)
    for name in indicators:
        out[name] = wide[name].to_numpy()
    out.index = pd.Index(first_row.reindex(order).to_numpy(), name="source_row")
    out.attrs = dict(table.attrs)
    return _panel_from_table(
        out, path, city_column=city_column, province_column=province_column,
        period_column=period_column, value_columns=indicators, layout="long", period=None,
        value_name="value", allow_unmatched=allow_unmatched, allow_county=allow_county,
        frequency=frequency)


def mixed_frequency_message(source, long: pd.DataFrame) -> str | None:
    """The error for a table mixing frequencies, naming the rows of each; None for one frequency."""
    kinds = [k for k in FREQUENCIES if (long["period_type"] == k).any()]
    if len(kinds) < 2:
        return None
    parts = []
    for kind in kinds:
        rows = long.loc[long["period_type"] == kind, "source_row"].to_numpy()
        shown = ", ".join(str(r) for r in rows[:5]) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
        parts.append(f"{len(rows)} {kind} rows (rows {shown})")
    return (f"{source}: the table mixes frequencies: {'; '.join(parts)}. geodti analyses one "
            f"frequency at a time: choose one with --frequency {'|'.join(kinds)} (frequency= in "
            "Python; the other rows are left out and counted), or split the table.")


def _panel_from_table(table: pd.DataFrame, path, *, city_column, province_column, period_column,
                      value_columns, layout, period, value_name, allow_unmatched, allow_county,
                      frequency=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        long = to_long(
            table, city_column=city_column, province_column=province_column,
            period_column=period_column, value_columns=value_columns, layout=layout,
            value_name=value_name, period=period, frequency=frequency,
        )
    mixed = mixed_frequency_message(long.attrs.get("source", path), long)
    if mixed:  # the error names the rows; the reader's notes on them would only repeat it
        raise InputError(mixed)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    values = list(long.attrs["value_columns"])
    reserved = [c for c in values if is_metadata(c)]
    if reserved:
        raise InputError(
            f"{long.attrs.get('source', path)}: the value column(s) {reserved} have names geodti "
            "reserves for a panel's keys and metadata (geodti.schema.METADATA_COLUMNS); rename "
            "them.")
    has_province = "province" in long.columns
    report = match(long, "city", "province" if has_province else None)
    source = long.attrs.get("source", path)
    county = report["status"].eq("county").to_numpy()
    placed = report["status"].isin(RESOLVED).to_numpy() | (county if allow_county else False)
    if not placed.all() and not allow_unmatched:
        raise MatchError(_unplaced_message(source, report, placed), report=report)

    adcode = report["adcode"].to_numpy(copy=True)
    name = report["name"].to_numpy(copy=True)
    if allow_county and county.any():
        # the row stands for its containing city from here on; match_status stays "county"
        adcode[county] = report["containing_city"].to_numpy()[county]
        name[county] = gazetteer().set_index("adcode").loc[adcode[county], "name"].to_numpy()
    panel = pd.DataFrame({
        "adcode": adcode,
        "name": name,
        "period": long["period"].to_numpy(),
        "period_type": long["period_type"].to_numpy(),
    })
    for column in values:
        panel[column] = long[column].to_numpy()
    panel["city_input"] = long["city"].to_numpy()
    panel["match_status"] = report["status"].to_numpy()
    panel["source_row"] = long["source_row"].to_numpy()

    # two spellings of one city (深圳 / 深圳市) become one adcode: still one row per period;
    # so do two counties of one city, whose values are never summed
    matched = panel[panel["adcode"].notna()]
    hint = (" A county allowed with --allow-county stands for its whole city, so a city can "
            "take one county (or its own row) per period." if allow_county and county.any() else "")
    check_duplicates(matched, keys=("adcode", "period"), source=source, hint=hint)

    panel = panel.sort_values(["adcode", "period", "source_row"], na_position="last", kind="stable")
    panel = panel.reset_index(drop=True)
    # the value columns are schema_of(panel).value_columns; the source stays for the maps'
    # caption of a panel passed to geodti.web directly (the run states it explicitly)
    panel.attrs = {"source": long.attrs.get("source", str(path))}
    if long.attrs.get("left_out_frequencies"):  # --frequency left rows out: the CLI says how many
        panel.attrs["left_out_frequencies"] = long.attrs["left_out_frequencies"]
    return panel, report


def _unplaced_message(source, report: pd.DataFrame, placed) -> str:
    """Which rows have no city and why: counties (with their containing cities), then the rest."""
    unplaced = report[~placed]
    counties = unplaced[unplaced["status"] == "county"].drop_duplicates(["input", "province_input"])
    others = unplaced[unplaced["status"] != "county"].drop_duplicates(["input", "province_input"])
    text = f"{source}: {len(unplaced)} of {len(report)} rows do not match one city: "
    if len(counties):
        listing = "; ".join(f"row {r.row} {r.input!r} (in {r.suggestions})"
                            for r in counties.head(8).itertuples())
        text += (f"county-level units, not cities: {listing}. A county's value is not its "
                 "city's value: give the city's value, or allow counties (--allow-county) to "
                 "let each such row stand for its containing city. ")
    if len(others):
        listing = "; ".join(
            f"row {r.row} {r.input!r} ({r.status}{': ' + r.suggestions if r.suggestions else ''})"
            for r in others.head(8).itertuples()
        )
        text += f"{'Not matched: ' if len(counties) else ''}{listing}. Fix the names, add a province column, or"
    else:
        text += "Or"
    return text + " allow unmatched rows (--allow-unmatched) to keep them out of the map with a note."
