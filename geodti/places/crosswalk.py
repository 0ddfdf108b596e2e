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
part alone), also noted. A unit split among several successors (巢湖市, 2011: ``crosswalk``
``split``) would need the shares of each successor, which geodti does not ship: its rows
stay unmatched, and the error says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodti.errors import InputError

__all__ = ["HOW", "crosswalk_rows", "combine"]

#: How a former unit's values combine with its successor's.
HOW = ("sum", "weighted_mean")


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
