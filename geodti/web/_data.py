"""Checks and preparation of the tables a map is built from.

``units`` is a GeoDataFrame of map units (one row per adcode, EPSG:4326 polygons), e.g.
``geodti.places.boundaries.cities()``; a statistic ``table`` is joined to it by ``adcode``.
Every unit is drawn: units without a value are drawn as "no data", and a table row whose
adcode is not a unit is an error (it cannot be drawn, and dropping it silently would hide it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
from pypinyin import Style, lazy_pinyin

from geodti.errors import InputError

_ADCODE = re.compile(r"^\d{6}$")
_SUFFIXES = ("特别行政区", "地区", "市", "盟")


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} has no column {', '.join(repr(c) for c in missing)} "
            f"(columns present: {', '.join(map(str, frame.columns))})"
        )


def _check_adcodes(frame: pd.DataFrame, what: str, unique: bool = True) -> pd.Series:
    codes = frame["adcode"]
    if not (pd.api.types.is_string_dtype(codes) or codes.dtype == object):
        raise InputError(f"{what}: column 'adcode' must hold 6-digit strings such as '440300', "
                         f"not {codes.dtype}; convert with .astype(str).str.zfill(6)")
    bad = [(i, c) for i, c in zip(frame.index, codes) if not (isinstance(c, str) and _ADCODE.match(c))]
    if bad:
        i, c = bad[0]
        raise InputError(f"{what}: adcode {c!r} in row {i!r} is not a 6-digit string "
                         f"({len(bad)} such rows)")
    if unique and codes.duplicated().any():
        dup = sorted(codes[codes.duplicated()].unique())
        raise InputError(f"{what}: adcode {', '.join(dup[:5])} appears more than once; "
                         "select one period and variable (or aggregate) before mapping")
    return codes


def check_units(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Validate a units layer and return a copy in EPSG:4326 with a fresh 0..n-1 index.

    Raises
    ------
    InputError
        When a column is missing, an adcode is malformed or repeated, a geometry is empty or
        not a polygon, or the layer has no CRS.
    """
    if not isinstance(units, gpd.GeoDataFrame):
        raise InputError(f"units must be a GeoDataFrame of polygons, got {type(units).__name__}")
    _require_columns(units, ["adcode", "name"], "the units layer")
    _check_adcodes(units, "the units layer")
    if units.crs is None:
        raise InputError("the units layer has no CRS; set it (e.g. .set_crs(4326)) before mapping")
    out = units.to_crs(4326) if not units.crs.equals("EPSG:4326") else units.copy()
    geom = out.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        names = out.loc[empty, "name"].astype(str).tolist()
        raise InputError(f"the units layer has empty geometry for {', '.join(names[:5])}; "
                         "every unit needs a polygon")
    kinds = set(geom.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise InputError(f"the units layer must hold polygons, found {sorted(kinds)}")
    return out.reset_index(drop=True)


def pinyin_name(name: str) -> str:
    """Romanised name without tones from pypinyin, for units that have no ``name_en``.

    A trailing 市/地区/盟/特别行政区 is dropped (``深圳市`` -> ``Shenzhen``).
    """
    base = name
    for suffix in _SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            base = base[: -len(suffix)]
            break
    return "".join(lazy_pinyin(base)).capitalize()


def _fold(text: str) -> str:
    """Search key form: lower case, no spaces, apostrophes or hyphens."""
    return re.sub(r"[\s'’\-]", "", str(text)).lower()


def search_keys(name: str, name_en: str, name_short: str | None = None) -> list[str]:
    """Keys a user may type to find a unit: Chinese names, English name, pinyin and initials."""
    keys = [name]
    if name_short and name_short != name:
        keys.append(name_short)
    keys.append(_fold(name_en))
    syllables = lazy_pinyin(name)
    keys.append("".join(syllables))
    keys.append("".join(lazy_pinyin(name, style=Style.FIRST_LETTER)))
    out: list[str] = []
    for k in keys:
        if k and k not in out:
            out.append(k)
    return out


def membership(units: gpd.GeoDataFrame, agglomerations: pd.DataFrame | None) -> pd.DataFrame:
    """Agglomeration membership of each unit, in units order.

    Returns a DataFrame with ``agglomeration`` (names joined by "; ", "" if none) and
    ``partial_in`` (names of the agglomerations the unit belongs to only in part).
    """
    out = pd.DataFrame({"agglomeration": "", "partial_in": ""}, index=units.index)
    if agglomerations is None:
        return out
    _require_columns(agglomerations, ["agglomeration", "adcode"], "the agglomerations table")
    _check_adcodes(agglomerations, "the agglomerations table", unique=False)
    partial = (agglomerations["partial"].astype(bool) if "partial" in agglomerations.columns
               else pd.Series(False, index=agglomerations.index))
    pos = {code: i for i, code in enumerate(units["adcode"])}
    full: dict[int, list[str]] = {}
    part: dict[int, list[str]] = {}
    for code, name, is_partial in zip(agglomerations["adcode"], agglomerations["agglomeration"], partial):
        if code not in pos:
            continue  # a member outside the drawn units (e.g. a county-level layer) is not shown
        full.setdefault(pos[code], []).append(str(name))
        if is_partial:
            part.setdefault(pos[code], []).append(str(name))
    for i, names in full.items():
        out.iat[i, 0] = "; ".join(names)
    for i, names in part.items():
        out.iat[i, 1] = "; ".join(names)
    return out


def with_gazetteer_names(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``name_en``, ``name_short`` and ``province`` from the bundled gazetteer where missing.

    Units the gazetteer does not know keep what they have (pypinyin supplies a romanised name).
    """
    wanted = [c for c in ("name_en", "name_short", "province") if c not in units.columns]
    if not wanted:
        return units
    from geodti.places.gazetteer import gazetteer

    table = gazetteer().set_index("adcode")[wanted]
    out = units.copy()
    for column in wanted:
        out[column] = out["adcode"].map(table[column])
    return out


def describe_units(units: gpd.GeoDataFrame, agglomerations: pd.DataFrame | None) -> dict:
    """Per-unit descriptive columns for tooltips and search, as lists in units order."""
    units = with_gazetteer_names(units)
    names = units["name"].astype(str).tolist()
    if "name_en" in units.columns:
        name_en = [str(v) if isinstance(v, str) and v else pinyin_name(n)
                   for v, n in zip(units["name_en"], names)]
    else:
        name_en = [pinyin_name(n) for n in names]
    short = [v if isinstance(v, str) and v else None for v in units["name_short"]]
    province = [v if isinstance(v, str) else "" for v in units["province"]]
    member = membership(units, agglomerations)
    return {
        "adcode": units["adcode"].tolist(),
        "name": names,
        "name_en": name_en,
        "province": province,
        "agglomeration": member["agglomeration"].tolist(),
        "partial_in": member["partial_in"].tolist(),
        "search": [[*search_keys(n, e, s), code] for n, e, s, code in zip(names, name_en, short, units["adcode"])],
    }


def align(units: gpd.GeoDataFrame, table: pd.DataFrame, columns: Iterable[str], what: str) -> pd.DataFrame:
    """Rows of ``table`` (one per adcode) in the order of ``units``; missing units get NaN.

    Raises
    ------
    InputError
        When a column is missing, an adcode repeats, or an adcode of ``table`` is not a unit.
    """
    columns = list(columns)
    _require_columns(table, ["adcode", *columns], what)
    _check_adcodes(table, what)
    unknown = sorted(set(table["adcode"]) - set(units["adcode"]))
    if unknown:
        raise InputError(
            f"{what}: {len(unknown)} adcode(s) are not units of the map ({', '.join(unknown[:8])}); "
            "match the table to the bundled boundaries first (geodti match) or pass the units layer "
            "they belong to"
        )
    indexed = pd.DataFrame(table[columns].to_numpy(), index=table["adcode"].to_numpy(), columns=columns)
    return indexed.reindex(units["adcode"].to_numpy()).reset_index(drop=True)


def select(table: pd.DataFrame, what: str, **criteria) -> pd.DataFrame:
    """Rows of a tidy table where each named column equals the given value.

    ``None`` values are ignored; when a column has a single value it need not be named.
    A criterion naming a column that has several values is required.
    """
    out = table
    for column, value in criteria.items():
        if column not in out.columns:
            if value is not None:
                raise InputError(f"{what} has no column {column!r} to select {value!r} from")
            continue
        present = pd.unique(out[column].astype(str))
        if value is None:
            if len(present) > 1:
                raise InputError(f"{what} holds several values of {column!r} "
                                 f"({', '.join(sorted(present)[:6])}); choose one with {column}=...")
            continue
        mask = out[column].astype(str) == str(value)
        if not mask.any():
            raise InputError(f"{what} has no rows with {column} == {value!r} "
                             f"(values present: {', '.join(sorted(present)[:8])})")
        out = out[mask]
    return out


def is_synthetic(*frames) -> bool:
    """True if any input says it is synthetic (``frame.attrs["synthetic"]`` or a true ``synthetic`` column)."""
    for frame in frames:
        if frame is None:
            continue
        if bool(frame.attrs.get("synthetic", False)):
            return True
        # geodti's bundled samples carry SYNTHETIC in their file names (read_panel's attrs["source"])
        if "synthetic" in str(frame.attrs.get("source", "")).lower():
            return True
        if "synthetic" in getattr(frame, "columns", []) and frame["synthetic"].astype(bool).any():
            return True
    return False


def finite_or_nan(values) -> np.ndarray:
    """Values as float64; raises if a value is not a number."""
    try:
        return np.asarray(pd.to_numeric(pd.Series(values), errors="raise"), dtype="float64")
    except (TypeError, ValueError) as exc:
        raise InputError(f"map values must be numbers: {exc}") from exc


def joined_values(units: gpd.GeoDataFrame, table: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """``column`` of ``table`` as float64 in the order of ``units``; NaN for a unit with no row."""
    return finite_or_nan(align(units, table, [column], what)[column])


def first_value(rows: pd.DataFrame, column: str) -> str | None:
    """The first value of ``column`` as text (names a selection), None without the column or rows."""
    return str(rows[column].iloc[0]) if column in rows.columns and len(rows) else None
