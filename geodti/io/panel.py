"""Read a city panel: table -> long layout -> matched cities -> a frame keyed by adcode and period."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from geodti.errors import InputError, MatchError
from geodti.io.read import check_duplicates, read_table, to_long
from geodti.places.gazetteer import gazetteer
from geodti.periods import FREQUENCIES
from geodti.places.match import RESOLVED, detect_level, match
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
    parent_column=None,
    period=None,
    sheet=None,
    encoding=None,
    header_row=None,
    value_name: str = "value",
    allow_unmatched: bool = False,
    allow_county: bool = False,
    level: str | None = None,
    crosswalk: str | None = None,
    crosswalk_weight: str | None = None,
    crosswalk_shares=None,
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
    parent_column : str, optional
        A county table's column of the city containing each county (names or codes): it
        decides a county name shared by several cities (朝阳区 of 北京 or of 长春). Default:
        a column headed like a city (``城市``, ``地级市``, ``所属城市``) beside a column headed
        like a county (``区县``, ``县``) (:func:`geodti.io.read.find_parent_column`).
        Used at county level only.
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
        city) are refused as duplicates, never summed. City level only.
    level : {"province", "city", "county"}, optional
        The level of the table's units; default detected from the names or codes
        (:func:`geodti.places.match.detect_level`, which refuses a table mixing levels or
        one whose names fit several levels, e.g. only 北京, 上海, 吉林). The panel's level
        is :func:`geodti.schema.schema_of` ``(panel).level``.
    crosswalk : {"sum", "weighted_mean"}, optional
        Rows of a unit merged into today's unit (莱芜市 -> 济南市, 2019) are added to their
        successor's row of the same period: ``sum`` for additive variables,
        ``weighted_mean`` by ``crosswalk_weight`` (a value column, e.g. population) for
        intensive ones. Every such row is reported (:mod:`geodti.places.crosswalk`).
        Default: such rows are unmatched.
    crosswalk_weight : str, optional
        The weight column of ``crosswalk="weighted_mean"``.
    crosswalk_shares : str, path-like or DataFrame, optional
        Each successor's share of a unit dissolved over several (巢湖市, 2011): a table with
        ``old_adcode`` (or ``old_name``), ``new_adcode`` (or ``new_name``) and ``share``, the
        shares of one old unit summing to 1 (template
        ``data/templates/crosswalk_shares_TEMPLATE.csv``; checked by
        :func:`geodti.places.crosswalk.check_shares`). With ``crosswalk="sum"`` each row of
        the old unit is split by the shares and added to its successors' rows of the same
        period, and reported; ``weighted_mean`` refuses it (a share says neither the weight
        nor the value of the part a successor received). Default: such rows are unmatched.
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
        level=level, crosswalk=crosswalk, crosswalk_weight=crosswalk_weight,
        crosswalk_shares=crosswalk_shares, frequency=frequency, parent_column=parent_column)


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
    level: str | None = None,
    frequency: str | None = None,
    parent_column=None,
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
    city_column, province_column, period_column, sheet, encoding, header_row, allow_unmatched, allow_county, level,
    frequency, parent_column
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
        level=level, frequency=frequency, parent_column=parent_column)


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
                      level=None, crosswalk=None, crosswalk_weight=None, frequency=None,
                      parent_column=None, crosswalk_shares=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        long = to_long(
            table, city_column=city_column, province_column=province_column,
            period_column=period_column, value_columns=value_columns, layout=layout,
            value_name=value_name, period=period, frequency=frequency,
            parent_column=parent_column,
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
    province = "province" if "province" in long.columns else None
    # the containing city of each county (to_long keeps it as "parent" when it has one)
    parent = "parent" if long.attrs.get("parent_column") is not None else None
    source = long.attrs.get("source", path)
    if (level is None or level == "auto") and allow_county:
        level = "city"  # counties allowed to stand for their cities: a city table
        report = match(long, "city", province)
    elif level is None or level == "auto":
        level = detect_level(long, "city", province, where=str(source))
        # a detected city level keeps the caution about names that are also a province's
        report = match(long, "city", province, level=None if level == "city" else level,
                       parent_column=parent if level == "county" else None)
    else:
        report = match(long, "city", province, level=level,
                       parent_column=parent if level == "county" else None)
    treated = None
    if crosswalk is not None:
        from geodti.places import crosswalk as cw

        cw.check_how(crosswalk, crosswalk_weight, values, str(source))
        treated = cw.crosswalk_rows(report)
    shares = _crosswalk_shares(crosswalk_shares, crosswalk)
    from geodti.places.crosswalk import SHARES_TEMPLATE, split_over, split_rows

    split = split_rows(report)
    if shares is None and pd.notna(split).any():
        report = report.copy()
        report.loc[pd.notna(split), "note"] += (
            "; with its successors' shares it can be split over them: --crosswalk sum "
            f"--crosswalk-shares FILE (crosswalk_shares=; template {SHARES_TEMPLATE})")
    if allow_county and level != "city":
        raise InputError(f"{source}: --allow-county (allow_county) lets a county row stand for "
                         f"its city in a city table; this table is at {level} level.")
    county = report["status"].eq("county").to_numpy()

    adcode = report["adcode"].to_numpy(copy=True)
    name = report["name"].to_numpy(copy=True)
    if allow_county and county.any():
        # the row stands for its containing city from here on; match_status stays "county"
        adcode[county] = report["containing_city"].to_numpy()[county]
        name[county] = gazetteer().set_index("adcode").loc[adcode[county], "name"].to_numpy()
    if treated is not None and treated.any():
        adcode[treated] = report["containing_city"].to_numpy()[treated]
        name[treated] = gazetteer().set_index("adcode").loc[adcode[treated], "name"].to_numpy()
    panel = pd.DataFrame({
        "adcode": adcode,
        "name": name,
        "period": long["period"].to_numpy(),
        "period_type": long["period_type"].to_numpy(),
    })
    for column in values:
        panel[column] = long[column].to_numpy()
    panel["city_input"] = long["city"].to_numpy()
    panel["source_row"] = long["source_row"].to_numpy()
    split_folded = np.zeros(len(panel), dtype=bool)
    if shares is not None and pd.notna(split).any():
        panel, report, split_folded = split_over(panel, report, split, shares, values)
    if treated is not None and treated.any():
        from geodti.places.crosswalk import combine

        index = report.index
        panel, report = combine(panel, report, treated, values, crosswalk, crosswalk_weight)
        report.index = index
        county = report["status"].eq("county").to_numpy()
        split_folded = split_folded[~(treated & report["method"].str.startswith("crosswalk_")
                                      .to_numpy())]
    # the split rows live on in their successors' rows
    panel = panel[~split_folded].reset_index(drop=True)
    placed = report["status"].isin(RESOLVED).to_numpy() | (county if allow_county else False)
    if not placed.all() and not allow_unmatched:
        raise MatchError(_unplaced_message(source, report, placed, level), report=report)
    # rows folded into their successor's row by the crosswalk live on in that row
    folded = report["method"].astype(str).str.startswith("crosswalk_").to_numpy()
    panel["match_status"] = report["status"].to_numpy()[~folded]
    panel = panel[["adcode", "name", "period", "period_type", *values, "city_input",
                   "match_status", "source_row"]]

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


def _crosswalk_shares(shares, crosswalk):
    """The checked shares table of split units (a file read here, or a DataFrame); None."""
    if shares is None:
        return None
    if crosswalk != "sum":
        reason = ("crosswalk weighted_mean cannot split a unit over its successors: a "
                  "successor's weighted mean needs the value and the weight of the part it "
                  "received, and a share says neither (the old unit's mean is not each part's)"
                  if crosswalk == "weighted_mean" else "the shares split an additive variable")
        raise InputError(f"crosswalk shares need --crosswalk sum (crosswalk='sum'): {reason}. "
                         "Split only additive variables (GDP, population, counts), or leave "
                         "the shares out (the split unit's rows stay unmatched).")
    from geodti.places.crosswalk import check_shares

    if isinstance(shares, pd.DataFrame):
        return check_shares(shares, "crosswalk_shares")
    return check_shares(read_table(shares), str(shares))


def _unplaced_message(source, report: pd.DataFrame, placed, level: str = "city") -> str:
    """Which rows have no unit and why: counties (with their containing cities), then the rest."""
    unplaced = report[~placed]
    counties = unplaced[unplaced["status"] == "county"].drop_duplicates(["input", "province_input"])
    others = unplaced[unplaced["status"] != "county"].drop_duplicates(["input", "province_input"])
    unit = {"city": "city", "province": "province", "county": "county-level unit"}[level]
    text = f"{source}: {len(unplaced)} of {len(report)} rows do not match one {unit}: "
    if level == "county" and others["method"].eq("adcode_unknown").any():
        text += ("some are not today's county codes (counties that became districts or merged "
                 "change codes: give today's codes; each row's note names the likely successor "
                 "or the crosswalk of a merged unit, geodti.places.crosswalk). ")
    if len(counties):
        listing = "; ".join(f"row {r.row} {r.input!r} (in {r.suggestions})"
                            for r in counties.head(8).itertuples())
        text += (f"county-level units, not cities: {listing}. A county's value is not its "
                 "city's value: give the city's value, or allow counties (--allow-county) to "
                 "let each such row stand for its containing city. ")
    if others["method"].eq("dissolved").any():
        text += ("A unit dissolved over several successors (巢湖, 2011) can be split over them "
                 "by shares you give: --crosswalk sum --crosswalk-shares FILE (template "
                 "data/templates/crosswalk_shares_TEMPLATE.csv). ")
    if others["method"].eq("merged").any():
        text += ("A unit merged into another (莱芜 -> 济南, 2019) is only part of it: add its "
                 "rows to its successor's with a crosswalk (--crosswalk sum for additive "
                 "variables, or weighted_mean with --crosswalk-weight COLUMN). ")
    if len(others):
        listing = "; ".join(
            f"row {r.row} {r.input!r} ({r.status}{': ' + r.suggestions if r.suggestions else ''})"
            for r in others.head(8).itertuples()
        )
        text += f"{'Not matched: ' if len(counties) else ''}{listing}. Fix the names, add a province column, give the table's level (--level), or"
    else:
        text += "Or"
    return text + " allow unmatched rows (--allow-unmatched) to keep them out of the map with a note."


#: What to do with missing values (blank, NaN, NA) in a panel's value columns: stop with the
#: cells named, leave out those rows (a city's other periods stay), or leave out those cities.
MISSING = ("error", "drop-unit-periods", "drop-units")


def check_values(panel: pd.DataFrame, source, *, missing: str = "error",
                 columns=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check a panel's values before anything is computed: missing cells and all-zero columns.

    Parameters
    ----------
    panel : pandas.DataFrame
        A panel of :func:`read_panel_with_report` (rows without ``adcode``, unmatched and
        allowed, are not checked: they are analysed nowhere).
    source : str or path-like
        The file, named in messages.
    missing : {"error", "drop-unit-periods", "drop-units"}
        Missing values: an error naming the cells; leave out the rows (unit-periods) that
        have one; or leave out every row of the cities that have one.
    columns : sequence of str, optional
        The value columns (default :func:`geodti.schema.schema_of` ``(panel)``'s).

    Returns
    -------
    panel : pandas.DataFrame
        The panel without the rows left out.
    dropped : pandas.DataFrame
        The rows left out: ``source_row, adcode, name, period, columns`` (the value columns
        missing in that row; empty for a row left out with its city) and ``reason``.

    Raises
    ------
    geodti.errors.InputError
        A value column is zero in every row, or (``missing="error"``) a value is missing:
        the message names the file, rows, columns and cities and the ``--missing`` choices.
    """
    from geodti.schema import schema_of

    if missing not in MISSING:
        raise InputError(f"missing must be one of {', '.join(MISSING)}, got {missing!r}.")
    columns = list(schema_of(panel).value_columns if columns is None else columns)
    placed = panel["adcode"].notna().to_numpy()
    values = panel[columns].apply(pd.to_numeric, errors="coerce")
    for column in columns:
        v = values.loc[placed, column]
        if len(v) and v.notna().any() and v.fillna(0).eq(0).all():
            raise InputError(
                f"{source}: column {column!r} is zero (or blank) in every row; shares, growth "
                "and statistics of it are undefined. Check that the right column was read "
                "(--value-column), or leave it out of the table.")
    gaps = values.isna().to_numpy() & placed[:, None]
    bad_rows = gaps.any(axis=1)
    empty = pd.DataFrame(columns=["source_row", "adcode", "name", "period", "columns", "reason"])
    # a city without a row for a period of the table is missing there too
    rows = panel.loc[placed, ["adcode", "name", "period"]]
    grid = pd.MultiIndex.from_product([rows["adcode"].unique(), rows["period"].unique()])
    absent = grid.difference(pd.MultiIndex.from_frame(rows[["adcode", "period"]]))
    if not bad_rows.any() and not len(absent):
        return panel, empty
    names = rows.drop_duplicates("adcode").set_index("adcode")["name"]
    cells = [f"row {panel['source_row'].iat[i]} ({panel['name'].iat[i]}, "
             f"{panel['period'].iat[i]}), column {c!r}"
             for i in bad_rows.nonzero()[0] for c, gap in zip(columns, gaps[i]) if gap]
    cells += [f"no row for {names[code]} ({code}) in {period}" for code, period in sorted(absent)]
    if missing == "error":
        shown = "; ".join(cells[:5])
        more = f" and {len(cells) - 5} more" if len(cells) > 5 else ""
        raise InputError(
            f"{source}: {len(cells)} value(s) are missing: {shown}{more}. Fill them, or pass "
            "--missing drop-unit-periods (leave out those rows; statistics and diffusion, which "
            "follow every city through every period, then leave out those cities) or "
            "--missing drop-units (leave out those cities entirely); the rows left out are then "
            "listed in tables/input_dropped.csv.")
    gap_cols = [", ".join(c for c, gap in zip(columns, row) if gap) for row in gaps]
    if missing == "drop-units":
        codes = set(panel.loc[bad_rows, "adcode"]) | {code for code, _ in absent}
        drop = panel["adcode"].isin(codes).to_numpy()
        reason = np.where(bad_rows, "missing value", "city left out: missing value in another period")
    else:
        drop = bad_rows
        reason = np.full(len(panel), "missing value", dtype=object)
    dropped = pd.DataFrame({
        "source_row": panel["source_row"].to_numpy()[drop],
        "adcode": panel["adcode"].to_numpy()[drop], "name": panel["name"].to_numpy()[drop],
        "period": panel["period"].to_numpy()[drop],
        "columns": pd.Series(gap_cols).to_numpy()[drop], "reason": reason[drop]})
    kept = panel.loc[~drop].reset_index(drop=True)
    kept.attrs = dict(panel.attrs)
    return kept, dropped.sort_values("source_row", kind="stable").reset_index(drop=True)


def non_positive(panel: pd.DataFrame, column: str) -> pd.DataFrame:
    """The placed rows whose ``column`` is zero or negative (log-based methods cannot take
    them): ``source_row, adcode, name, period`` and the value."""
    v = pd.to_numeric(panel[column], errors="coerce")
    rows = panel["adcode"].notna() & v.le(0)
    keys = [c for c in ("source_row", "adcode", "name", "period") if c in panel.columns]
    return panel.loc[rows, [*keys, column]].reset_index(drop=True)
