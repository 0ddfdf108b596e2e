"""Join a panel to the polygons of its level: every unit kept, every matched row kept."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geodti.schema import schema_of
from geodti.periods import sort_periods
from geodti.places.gazetteer import agglomerations, gazetteer

# gazetteer attributes carried onto every joined row (the geometry layer has adcode and geometry)
ATTRIBUTES = ["name", "name_en", "province", "province_adcode", "unit_type", "admin_rank",
              "region", "hu_line"]


def unit_attributes(level: str = "city") -> pd.DataFrame:
    """Gazetteer attributes of the units of a level plus their agglomeration membership.

    ``agglomeration`` lists the unit's agglomerations joined by ``"; "`` (邯郸 and 邢台 are
    in 京津冀 and 中原, 运城 in 中原 and 关中平原); missing for units outside all eleven.
    At county level a county has its city's agglomerations, ``unit_type``
    ``county_level_unit`` and no ``admin_rank``; at province level ``unit_type`` is
    ``province`` and there is no ``admin_rank`` or ``agglomeration``.
    """
    members = agglomerations()
    listed = members.groupby("adcode", sort=False)["agglomeration"].agg("; ".join)
    if level == "city":
        units = gazetteer()[["adcode", *ATTRIBUTES]]
        units["agglomeration"] = units["adcode"].map(listed)
        return units
    from geodti.places.levels import units as level_units

    table = level_units(level)
    units = table.assign(unit_type="province" if level == "province" else "county_level_unit",
                         admin_rank=pd.NA)[["adcode", *ATTRIBUTES]]
    units["agglomeration"] = (table["city_adcode"].map(listed) if level == "county"
                              else pd.Series(pd.NA, index=units.index, dtype=object))
    return units


def join(
    panel: pd.DataFrame,
    cities: gpd.GeoDataFrame | None = None,
    *,
    periods=None,
) -> gpd.GeoDataFrame:
    """Attach a panel to the city polygons, one row per unit and period.

    Parameters
    ----------
    panel : pandas.DataFrame
        A panel as :func:`geodti.read_panel` returns it (``adcode``, ``period`` and value
        columns). Rows without an adcode (unmatched rows kept with ``allow_unmatched``)
        cannot be placed on the map; they are listed in ``attrs["unplaced_rows"]`` (a list
        of dicts).
    cities : geopandas.GeoDataFrame, optional
        The polygons to join to (``adcode`` and ``geometry``); default the bundled
        map-resolution layer of the panel's level (:func:`geodti.schema.schema_of`; the
        city layer :func:`geodti.places.boundaries.cities`, or
        :func:`geodti.places.levels.shapes` of the province or county level).
    periods : str or list of str, optional
        Keep these periods only; default every period of the panel.

    Returns
    -------
    geopandas.GeoDataFrame
        Every unit for every period (units without data get missing values and
        ``has_data`` False), with the gazetteer attributes, ``agglomeration``, the panel's
        value columns and ``geometry``; sorted by period and adcode (its value columns:
        :func:`geodti.schema.schema_of`). ``attrs`` carries ``unplaced_rows`` and
        ``units_without_data`` (per period).

    Examples
    --------
    >>> import geodti
    >>> joined = geodti.join(geodti.read_panel("sample:small"), periods="2023Q1")
    >>> len(joined), int(joined["has_data"].sum()), joined.crs.to_epsg()
    (370, 10, 4326)
    """
    schema = schema_of(panel)
    if cities is None:
        from geodti.places.levels import shapes

        cities = shapes(schema.level)
    values = list(schema.value_columns)
    placed = panel[panel["adcode"].notna()]
    unplaced = panel[panel["adcode"].isna()]

    if periods is None:
        periods = sort_periods(placed["period"].unique())
    elif isinstance(periods, str):
        periods = [periods]
    missing_periods = [p for p in periods if p not in set(placed["period"])]
    if missing_periods:
        from geodti.errors import InputError

        raise InputError(
            f"period(s) {', '.join(missing_periods)} are not in the panel; it has "
            f"{', '.join(sort_periods(placed['period'].unique()))}."
        )

    units = unit_attributes(schema.level)
    grid = pd.MultiIndex.from_product([periods, units["adcode"]], names=["period", "adcode"]).to_frame(index=False)
    grid = grid.merge(units, on="adcode", how="left")
    data = placed[placed["period"].isin(periods)][["adcode", "period", *values]]
    joined = grid.merge(data, on=["adcode", "period"], how="left", validate="one_to_one", indicator=True)
    joined["has_data"] = joined.pop("_merge").eq("both")

    shapes = cities[["adcode", "geometry"]]
    unknown = sorted(set(data["adcode"]) - set(shapes["adcode"]))
    if unknown:
        from geodti.errors import InputError

        raise InputError(
            f"adcode(s) {', '.join(unknown)} have no polygon in the boundary layer given; join "
            "to the bundled layer or a layer that has every unit."
        )
    out = gpd.GeoDataFrame(joined.merge(shapes, on="adcode", how="left"), geometry="geometry", crs=cities.crs)
    out = out.sort_values(["period", "adcode"], kind="stable").reset_index(drop=True)
    out.attrs = {
        # plain records, not a DataFrame: pandas deep-copies attrs on every operation
        "unplaced_rows": unplaced.drop(columns=["adcode"]).to_dict("records"),
        "units_without_data": out.loc[~out["has_data"]].groupby("period")["adcode"].size().to_dict(),
    }
    return out
