"""Crosswalk of boundary changes: a former unit's rows onto the unit that contains it today.

Long panels cross administrative changes. Renames and 地区 -> 地级市 changes keep the
territory and are matched to today's unit directly (status ``historical``). A unit merged
into another (莱芜市 into 济南市, 2019, ``crosswalk`` ``whole`` in ``data/name_changes.csv``)
is only part of its successor, so its rows are never matched silently; with a crosswalk the
user declares how its values combine with the successor's in the same period:

``sum``
    the variable is additive (GDP, population, counts, shares of a national total): the
    successor's value on today's territory is the sum of the two rows.
``weighted_mean``
    the variable is intensive (a rate, a score): the mean of the two rows weighted by a
    weight column of the table (population, GDP), which is itself summed.

Every row so treated is reported: the former unit's rows get status ``historical`` and method
``crosswalk_sum`` or ``crosswalk_weighted_mean`` in the match report, with a note naming the
successor; the successor's rows say which row was added to them. A period in which the
successor has no row of its own gets a missing value (the sum would be the former unit's
part alone), also noted.

A unit dissolved over several successors (巢湖市, 2011: ``crosswalk`` ``split``) needs each
successor's share of it, which geodti does not ship: the user gives them in a shares table
(:func:`check_shares`; template ``data/templates/crosswalk_shares_TEMPLATE.csv``). With
``sum`` each value of the old unit's row is split by the shares and added to each successor's
row of the same period (:func:`split_over`; one share per successor serves every value
column, so give shares that fit them all). Its rows get status ``historical`` and method
``crosswalk_split_sum``, with a note naming each successor, its share and its row. A period in
which a successor has no row of its own leaves the old unit's row unplaced (a part added to
some successors only would lose the rest). Without shares the rows stay unmatched, pointing to
the shares table. ``weighted_mean`` refuses splits: the weighted mean of a successor needs the
value and the weight of the part it received, and a share of the old unit says neither (the
old unit's mean is not the mean of each part, nor is one share right for both the weight
and the value).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodti.errors import InputError
from geodti.places.gazetteer import gazetteer, name_changes

__all__ = ["HOW", "SHARES_TEMPLATE", "SHARES_TOLERANCE", "check_shares", "combine",
           "crosswalk_rows", "split_rows", "split_over", "split_units"]

#: How a former unit's values combine with its successor's.
HOW = ("sum", "weighted_mean")

#: The layout of a shares table, shipped without shares (the user's numbers, not geodti's).
SHARES_TEMPLATE = "data/templates/crosswalk_shares_TEMPLATE.csv"

#: How far the shares of one old unit may sum from 1.
SHARES_TOLERANCE = 1e-9


def crosswalk_rows(report: pd.DataFrame) -> np.ndarray:
    """Rows of a match report that name a unit merged wholly into today's unit (莱芜市)."""
    return (report["method"].eq("merged") & report["containing_city"].notna()).to_numpy()


def check_how(how: str, weight: str | None, values, where: str) -> None:
    """Refuse an unknown crosswalk, or a weighted mean without a weight column of the table."""
    if how not in HOW:
        raise InputError(f"{where}: crosswalk {how!r} is unknown; use sum (additive variables) "
                         "or weighted_mean with a weight column.")
    if how == "weighted_mean" and (weight is None or weight not in values):
        raise InputError(
            f"{where}: crosswalk weighted_mean needs a weight column among the value columns "
            f"{list(values)} (crosswalk_weight=, --crosswalk-weight), e.g. population.")


def combine(panel: pd.DataFrame, report: pd.DataFrame, treated: np.ndarray, values: list[str],
            how: str, weight: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the rows of merged units to their successors' rows of the same period.

    Parameters
    ----------
    panel : DataFrame
        Panel rows, one per input row in the report's order (``adcode`` already today's
        unit for the ``treated`` rows), with ``period``, ``source_row`` and ``values``.
    report : DataFrame
        The match report, same order; the treated rows' status, method and note are
        updated, and the successors' notes say what was added.
    treated : array of bool
        The rows of merged units (:func:`crosswalk_rows`).
    values : list of str
        The value columns.
    how, weight
        See the module's description.

    Returns
    -------
    (panel, report)
        The panel with one row per unit and period (the treated rows folded into their
        successor's row) and the updated report.
    """
    report = report.copy()
    panel = panel.reset_index(drop=True)
    rows = report.reset_index(drop=True)
    key = panel["adcode"].astype(str) + "\x00" + panel["period"].astype(str)
    touched = set(key[treated])
    keep = np.ones(len(panel), dtype=bool)
    unplaced = np.zeros(len(panel), dtype=bool)
    notes = rows["note"].fillna("").tolist()
    for k in sorted(touched):
        members = np.flatnonzero(key.to_numpy() == k)
        own = [i for i in members if not treated[i]]
        added = [i for i in members if treated[i]]
        where = ", ".join(f"row {rows.loc[i, 'row']} {rows.loc[i, 'input']!r}" for i in added)
        for i in added:
            keep[i] = False
        if not own:
            # the former unit's part alone is not today's unit's value: the rows stay unplaced
            for i in added:
                notes[i] += (f"; not added: {panel.loc[i, 'name']} has no row of its own in "
                             f"{panel.loc[i, 'period']}")
                keep[i] = True
                unplaced[i] = True
            continue
        if len(own) > 1:
            continue  # two rows of the successor: the duplicate check names them
        target = own[0]
        block = panel.loc[[target, *added], values].astype(float)
        if how == "sum":
            panel.loc[target, values] = block.sum(min_count=len(block)).where(block.notna().all()).to_numpy()
        else:
            w = block[weight]
            combined = {v: (block[v] * w).sum() / w.sum() if w.sum() > 0 else np.nan for v in values}
            combined[weight] = w.sum()
            panel.loc[target, values] = [combined[v] for v in values]
        notes[target] = "; ".join(filter(None, [notes[target], f"crosswalk ({how}): {where} added"]))
        for i in added:
            notes[i] += (f"; crosswalk ({how}): added to {panel.loc[target, 'name']} "
                         f"({panel.loc[target, 'adcode']}) row {rows.loc[target, 'row']}")
    report["note"] = notes
    status = report["status"].to_numpy(copy=True)
    method = report["method"].to_numpy(copy=True)
    adcode = report["adcode"].to_numpy(copy=True)
    name = report["name"].to_numpy(copy=True)
    folded = treated & ~unplaced
    status[folded] = "historical"
    method[folded] = f"crosswalk_{how}"
    adcode[folded] = panel.loc[folded, "adcode"].to_numpy()
    name[folded] = panel.loc[folded, "name"].to_numpy()
    report["status"], report["method"] = status, method
    report["adcode"], report["name"] = adcode, name
    panel.loc[unplaced, ["adcode", "name"]] = None
    return panel[keep].reset_index(drop=True), report


# --- units dissolved over several successors (巢湖市) ---------------------------------------


def split_units() -> dict[str, dict]:
    """The units dissolved over several successors (``crosswalk`` ``split`` in
    ``data/name_changes.csv``), by old adcode, each with its ``successors`` (adcode -> name)."""
    changes = name_changes()
    out = {}
    for change in changes[changes["crosswalk"].eq("split")].to_dict("records"):
        change["successors"] = dict(zip(change["new_adcode"].split("|"),
                                        change["new_name"].split("|")))
        out[change["old_adcode"]] = change
    return out


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value).strip()


def _old_unit(value, units: dict[str, dict]) -> str | None:
    """The old adcode a code or name (巢湖市, 巢湖) of a split unit stands for; None if none."""
    text = _text(value)
    if text in units:
        return text
    for code, change in units.items():
        if text and text in (change["old_name"], change["old_name"].removesuffix("市")):
            return code
    return None


def _successor(value, successors: dict[str, str]) -> str | None:
    """The successor's adcode a code or name (合肥市, 合肥) stands for; None if none."""
    text = _text(value)
    if text in successors:
        return text
    short = gazetteer().set_index("adcode")["name_short"]
    for code, name in successors.items():
        if text and text in (name, short.get(code)):
            return code
    return None


def check_shares(table: pd.DataFrame, where: str) -> pd.DataFrame:
    """Check a table of successors' shares of split units and resolve it to adcodes.

    Parameters
    ----------
    table : DataFrame
        Columns ``old_adcode`` or ``old_name`` (the split unit: 341400, 巢湖市), ``new_adcode``
        or ``new_name`` (one of its successors in ``data/name_changes.csv``) and ``share`` (the
        successor's part of the old unit, 0 to 1); a row per old unit and successor. Its index
        is the file's row numbers (:func:`geodti.io.read.read_table`).
    where : str
        The file, for the messages.

    Returns
    -------
    DataFrame
        ``old_adcode, new_adcode, new_name, share, row``.

    Raises
    ------
    geodti.errors.InputError
        A missing column; a row naming no split unit or no successor of it, or with a share
        that is not a number from 0 to 1; a successor given twice; or shares of one old unit
        that do not sum to 1 within :data:`SHARES_TOLERANCE` (the rows are named).
    """
    hint = f"(template: {SHARES_TEMPLATE})"
    old_cols = [c for c in ("old_adcode", "old_name") if c in table.columns]
    new_cols = [c for c in ("new_adcode", "new_name") if c in table.columns]
    if not old_cols or not new_cols or "share" not in table.columns:
        raise InputError(
            f"{where}: a crosswalk shares table needs the columns old_adcode (or old_name), "
            f"new_adcode (or new_name) and share; found {[str(c) for c in table.columns]} {hint}.")
    units = split_units()
    rows = []
    for row, record in zip(table.index, table.to_dict("records")):
        olds = {c: _old_unit(record[c], units) for c in old_cols if _text(record[c])}
        if not olds or None in olds.values() or len(set(olds.values())) > 1:
            given = ", ".join(f"{c} {_text(record[c])!r}" for c in old_cols)
            raise InputError(
                f"{where}: row {row}: {given} is not one unit dissolved over several "
                f"successors (data/name_changes.csv, crosswalk split: "
                f"{', '.join(u['old_name'] + ' ' + c for c, u in units.items())}) {hint}.")
        old = next(iter(olds.values()))
        successors = units[old]["successors"]
        news = {c: _successor(record[c], successors) for c in new_cols if _text(record[c])}
        if not news or None in news.values() or len(set(news.values())) > 1:
            given = ", ".join(f"{c} {_text(record[c])!r}" for c in new_cols)
            raise InputError(
                f"{where}: row {row}: {given} is not one successor of {units[old]['old_name']} "
                f"({old}); its successors are "
                f"{', '.join(f'{n} {c}' for c, n in successors.items())}.")
        new = next(iter(news.values()))
        share = pd.to_numeric(pd.Series([_text(record["share"])]), errors="coerce").iloc[0]
        if not np.isfinite(share) or not 0 <= share <= 1:
            raise InputError(
                f"{where}: row {row}: share {_text(record['share'])!r} of {successors[new]} in "
                f"{units[old]['old_name']} is not a number from 0 to 1; give the successor's "
                "part of the old unit (the shares of one old unit sum to 1).")
        rows.append({"old_adcode": old, "new_adcode": new, "new_name": successors[new],
                     "share": float(share), "row": row})
    shares = pd.DataFrame(rows, columns=["old_adcode", "new_adcode", "new_name", "share", "row"])
    twice = shares.duplicated(["old_adcode", "new_adcode"], keep=False)
    if twice.any():
        raise InputError(f"{where}: rows {', '.join(map(str, shares.loc[twice, 'row']))} give "
                         "one successor's share twice; keep one row each.")
    for old, group in shares.groupby("old_adcode", sort=True):
        total = group["share"].sum()
        if abs(total - 1) > SHARES_TOLERANCE:
            raise InputError(
                f"{where}: the shares of {units[old]['old_name']} ({old}) in rows "
                f"{', '.join(map(str, group['row']))} sum to {total:.12g}, not 1 (within "
                f"{SHARES_TOLERANCE:g}); each old unit's shares over its successors must add "
                "up to the whole.")
    return shares


def split_rows(report: pd.DataFrame) -> np.ndarray:
    """The old adcode of each row of a match report naming a unit dissolved over several
    successors (巢湖市), None elsewhere."""
    units = split_units()
    dissolved = report["method"].eq("dissolved").to_numpy()
    return np.array([_old_unit(text, units) if d else None
                     for d, text in zip(dissolved, report["input"])], dtype=object)


def split_over(panel: pd.DataFrame, report: pd.DataFrame, old: np.ndarray, shares: pd.DataFrame,
               values: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Add each row of a split unit to its successors' rows of the same period by the shares.

    Parameters
    ----------
    panel : DataFrame
        Panel rows, one per input row in the report's order, with ``adcode``, ``name``,
        ``period`` and ``values``.
    report : DataFrame
        The match report, same order; the split rows' status, method and note are updated,
        and each successor's note says what was added to it.
    old : array
        The old adcode of each split row, None elsewhere (:func:`split_rows`).
    shares : DataFrame
        Of :func:`check_shares`.
    values : list of str
        The value columns (additive: the split is a sum).

    Returns
    -------
    (panel, report, folded)
        The panel with the successors' values increased (same rows), the updated report and
        the rows added to their successors (to be left out of the panel: they live on in
        their successors' rows). A row some successor of which has no single row of its own
        in that period is not added anywhere and stays unmatched, with a note.
    """
    panel = panel.reset_index(drop=True).copy()
    report = report.copy()
    rows = report.reset_index(drop=True)
    notes = rows["note"].fillna("").tolist()
    status = rows["status"].to_numpy(copy=True)
    method = rows["method"].to_numpy(copy=True)
    name = rows["name"].to_numpy(copy=True)
    folded = np.zeros(len(panel), dtype=bool)
    adcodes = panel["adcode"].astype(object).to_numpy()
    periods = panel["period"].astype(str).to_numpy()
    given = set(shares["old_adcode"])
    for i in np.flatnonzero(pd.notna(old)):
        code = old[i]
        if code not in given:
            notes[i] += (f"; the crosswalk shares table gives no shares of {code}: add its "
                         f"successors' shares ({SHARES_TEMPLATE})")
            continue
        parts = shares[shares["old_adcode"] == code]
        targets = {}
        for part in parts.itertuples():
            own = np.flatnonzero((adcodes == part.new_adcode) & (periods == periods[i]))
            own = [j for j in own if pd.isna(old[j])]
            if part.share > 0 and len(own) != 1:
                notes[i] += (f"; not split: {part.new_name} has "
                             f"{'no row' if not own else f'{len(own)} rows'} of its own in "
                             f"{periods[i]}")
                targets = None
                break
            if own:
                targets[own[0]] = part
        if targets is None:
            continue
        source = panel.loc[i, values].astype(float)
        added = []
        for j, part in targets.items():
            target = panel.loc[j, values].astype(float)
            panel.loc[j, values] = (target + part.share * source).to_numpy()
            notes[j] = "; ".join(filter(None, [notes[j], (
                f"crosswalk (split sum): share {part.share:g} of row {rows.loc[i, 'row']} "
                f"{rows.loc[i, 'input']!r} added (shares table row {part.row})")]))
            added.append(f"{part.new_name} ({part.new_adcode}) row {rows.loc[j, 'row']} "
                         f"share {part.share:g}")
        notes[i] += "; crosswalk (split sum): added to " + ", ".join(added)
        folded[i] = True
        status[i], method[i] = "historical", "crosswalk_split_sum"
        name[i] = "|".join(parts["new_name"])
    report["note"], report["status"], report["method"], report["name"] = notes, status, method, name
    return panel, report, folded
