"""Write GIS layers: GeoPackage, GeoJSON, GeoParquet, Shapefile, FlatGeobuf; atomic and byte-stable.

Every OGR format goes through pyogrio; GeoParquet through geopandas/pyarrow. What each writer
guarantees (``docs/layers.md`` has the user-facing version):

* **CRS.** EPSG:4326 (WGS84 lon/lat) by default; ``crs=4490`` labels the layer CGCS2000. At the
  scale of city polygons the two datums agree to within centimetres (CGCS2000 is realised in
  ITRF97 at epoch 2000.0, WGS84 (G1150 and later) in ITRF2000 or newer), so the coordinates
  are written unchanged and only the CRS label differs; the written CRS reads back as
  EPSG:4490. Layers in any other CRS are first transformed to EPSG:4326.
* **GeoPackage.** One file, one table per layer. GDAL stamps the current time into
  ``gpkg_contents.last_change``; the write fixes it (``OGR_CURRENT_DATE``, with
  milliseconds as the GeoPackage standard asks) so two writes of the same layers give
  identical bytes.
* **GeoJSON** (RFC 7946): WGS84 only (``crs=4490`` is refused), counter-clockwise exterior
  rings, coordinates rounded to 1e-6 degree (about 0.1 m), no ``crs`` member. One file per
  layer.
* **Shapefile.** ``.cpg`` says UTF-8; field names are ASCII of at most 10 bytes (GDAL would cut
  Chinese names mid-character and the file would not read back), mapped deterministically
  and listed in ``<layer>_fields.csv`` beside the set (:func:`shapefile_field_names`); a
  :class:`FieldNameWarning` lists renamed fields. Text values longer than 254 bytes are
  refused (dBASE limit); numbers are stored as text with 15 decimals. The DBF header's date
  of last update is fixed (``DBF_DATE_LAST_UPDATE``; GDAL writes today's date otherwise).
  Booleans are dBASE logical fields, which GDAL reads back as booleans. One set per layer,
  optionally zipped.
* **FlatGeobuf.** Spatial index on: GDAL then stores the features in Hilbert-curve order, so
  reading back gives the rows in a different order (sort by ``adcode``).
* **GeoParquet** (1.1): geometry as WKB, optional ``bbox`` covering column.

Column types: booleans and nullable integers are written as such (missing values as null),
datetimes, periods, timedeltas and categoricals as text, NaN as null; column names with
spaces or Chinese characters are kept in every format except Shapefile.

Multi-file output (a folder of layers, a Shapefile set) is written into a temporary folder
beside the target and moved into place only when every file is complete; single files go
through :func:`geodti.io.atomic.atomic_path`. A failure mid-write leaves no partial file.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geodti.errors import InputError
from geodti.io.atomic import atomic_path
from geodti.io.paths import output_path, safe_slug

#: Format name -> (GDAL driver or None for GeoParquet, file extension).
FORMATS: dict[str, tuple[str | None, str]] = {
    "gpkg": ("GPKG", ".gpkg"),
    "geojson": ("GeoJSON", ".geojson"),
    "parquet": (None, ".parquet"),
    "shp": ("ESRI Shapefile", ".shp"),
    "fgb": ("FlatGeobuf", ".fgb"),
}
#: EPSG codes a layer may be written in.
CRS_CODES = (4326, 4490)
#: Timestamp GDAL writes into GeoPackage metadata (so the bytes do not depend on the clock);
#: with milliseconds, the form GeoPackage requirement 15 asks of ``gpkg_contents.last_change``.
FIXED_DATE = "2000-01-01T00:00:00.000Z"
#: Date of last update in a Shapefile's DBF header (GDAL writes today's date otherwise).
DBF_DATE = FIXED_DATE[:10]
#: Decimal places of GeoJSON coordinates (1e-6 degree is about 0.11 m at the equator).
GEOJSON_DECIMALS = 6
#: Shapefile limits (dBASE III): field name bytes, text bytes, number of fields.
SHP_NAME_BYTES = 10
SHP_TEXT_BYTES = 254
SHP_MAX_FIELDS = 255
_SHP_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_LAYER_NAME = re.compile(r"^[^\W][\w\-]*$")

#: Shapefile names of the fields geodti's layers carry (others are derived by rule).
SHAPEFILE_NAMES: dict[str, str] = {
    "province_adcode": "prov_code",
    "province_en": "prov_en",
    "agglomeration": "agglom",
    "agglomeration_en": "agglom_en",
    "period_type": "period_typ",
    "n_with_data": "n_data",
    "partial_members": "partial",
    "shared_members": "shared",
    "growth_window": "gr_window",
    "infrastructure": "infra",
    "application": "applic",
    "industry_finance": "ind_financ",
    "industry_software": "ind_softw",
    "industry_retail": "ind_retail",
    "industry_life_services": "ind_life",
    "industry_manufacturing": "ind_manuf",
    "industry_culture_entertainment": "ind_cultur",
    "industry_games": "ind_games",
    "industry_transport": "ind_transp",
    "industry_communications": "ind_comm",
    "industry_energy": "ind_energy",
}


class FieldNameWarning(UserWarning):
    """Fields were renamed to fit the Shapefile's 10-byte ASCII field names."""


# --------------------------------------------------------------------------- field names


def _ascii_words(name: str) -> list[tuple[str, bool]]:
    """Split a column name into (word, is_pinyin) tokens; Chinese becomes pinyin syllables."""
    from pypinyin import lazy_pinyin

    tokens: list[tuple[str, bool]] = []
    for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\u3400-\u9fff\uf900-\ufaff]+", name):
        if re.match(r"[\u3400-\u9fff\uf900-\ufaff]", run):
            tokens.extend((s.lower(), True) for s in lazy_pinyin(run) if s)
        else:
            # accents stripped (é -> e); anything else not [A-Za-z0-9] separates words
            plain = unicodedata.normalize("NFKD", run).encode("ascii", "ignore").decode("ascii")
            tokens.extend((w, False) for w in re.split(r"[^A-Za-z0-9]+", plain) if w)
    return tokens


def _join(tokens: list[tuple[str, bool]]) -> str:
    out = ""
    for i, (word, pinyin) in enumerate(tokens):
        # pinyin syllables of one Chinese run are written together (增速 -> zengsu)
        glue = "" if i == 0 or (pinyin and tokens[i - 1][1]) else "_"
        out += glue + word
    return out


def _short_name(name: str) -> str:
    """A readable ASCII name of at most 10 bytes for ``name`` (not yet made unique)."""
    if name in SHAPEFILE_NAMES:
        return SHAPEFILE_NAMES[name]
    tokens = _ascii_words(name)
    if not tokens:
        return "field"
    if len(_join(tokens)) > SHP_NAME_BYTES:
        # too long: each pinyin syllable by its initial (城市群平均增速 -> csqpjzs)
        tokens = [(w[0], True) if p else (w, p) for w, p in tokens]
    while len(_join(tokens)) > SHP_NAME_BYTES and max(len(w) for w, _ in tokens) > 1:
        # shorten the longest word (the last of equally long ones) by one letter
        i = max(range(len(tokens)), key=lambda j: (len(tokens[j][0]), j))
        tokens[i] = (tokens[i][0][:-1], tokens[i][1])
    text = _join(tokens)[:SHP_NAME_BYTES].rstrip("_")
    if not text[0].isalpha():
        text = ("f" + text)[:SHP_NAME_BYTES]  # dBASE field names start with a letter
    return text


def _fits(name: str) -> bool:
    return (re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) is not None and len(name) <= SHP_NAME_BYTES
            and name not in SHAPEFILE_NAMES)


def shapefile_field_names(columns: Sequence) -> dict[str, str]:
    """Map column names to unique Shapefile field names (ASCII, at most 10 bytes).

    Names that already fit (ASCII letters, digits and ``_``, starting with a letter, at most
    10 bytes) are kept. geodti's own long names have fixed short forms
    (:data:`SHAPEFILE_NAMES`, e.g. ``province_adcode`` -> ``prov_code``); other names are
    transliterated (Chinese to pinyin, 增速 -> ``zengsu``; long Chinese names to the initials
    of the syllables, 城市群平均增速 -> ``csqpjzs``), then long words are shortened letter by
    letter, longest first. Clashes (compared case-insensitively, as dBASE readers do) get a
    suffix ``_2``, ``_3``, ... in column order; names that fit are never the ones renamed.
    The result depends only on the names and their order.

    Parameters
    ----------
    columns : sequence
        Column names in layer order (the geometry column excluded).

    Returns
    -------
    dict
        ``{column: shapefile_field}`` in column order.

    Raises
    ------
    geodti.errors.InputError
        A column name appears twice.
    """
    names = [str(c) for c in columns]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"column name(s) {dup} appear more than once; give every column a distinct name.")
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:  # first pass: names that fit keep themselves
        if _fits(name) and name.upper() not in taken:
            result[name] = name
            taken.add(name.upper())
    for name in names:
        if name in result:
            continue
        base = name if _fits(name) else _short_name(name)
        candidate, k = base, 1
        while candidate.upper() in taken:
            k += 1
            suffix = f"_{k}"
            candidate = base[: SHP_NAME_BYTES - len(suffix)].rstrip("_") + suffix
        result[name] = candidate
        taken.add(candidate.upper())
    return {name: result[name] for name in names}


# --------------------------------------------------------------------------- preparing a layer


def _check_crs(crs) -> int:
    try:
        code = int(str(crs).upper().removeprefix("EPSG:"))
    except ValueError:
        code = None
    if code not in CRS_CODES:
        raise InputError(
            f"crs {crs!r} is not offered; write EPSG:4326 (WGS84, the default) or EPSG:4490 "
            "(CGCS2000)."
        )
    return code


def _check_format(format: str) -> str:
    fmt = str(format).lower().lstrip(".")
    fmt = {"geopackage": "gpkg", "json": "geojson", "geoparquet": "parquet", "shapefile": "shp",
           "flatgeobuf": "fgb"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise InputError(f"layer format {format!r} is not offered; choose one of {', '.join(FORMATS)}.")
    return fmt


def _text_column(values: pd.Series, convert) -> pd.Series:
    """Text column with missing values kept missing (never the text 'nan' or 'NaT')."""
    missing = values.isna().to_numpy()
    out = np.array([None if m else convert(v) for v, m in zip(values.to_numpy(dtype=object), missing)],
                   dtype=object)
    return pd.Series(out, index=values.index, dtype=object)


def _prepare_column(name: str, values: pd.Series, layer: str) -> pd.Series:
    dtype = values.dtype
    if isinstance(dtype, gpd.array.GeometryDtype):
        raise InputError(
            f"layer {layer!r}: column {name!r} holds geometries; a layer has one geometry column. "
            "Drop it or convert it to WKT text first."
        )
    if isinstance(dtype, pd.CategoricalDtype):
        return _text_column(values.astype(object), str)
    if isinstance(dtype, pd.PeriodDtype):
        return _text_column(values, str)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _text_column(values, lambda t: pd.Timestamp(t).isoformat())
    if pd.api.types.is_timedelta64_dtype(dtype):
        return _text_column(values, lambda t: pd.Timedelta(t).isoformat())
    if dtype == object:
        present = values.dropna()
        if present.map(lambda v: isinstance(v, (bool, np.bool_))).all() and len(present):
            return values.astype("boolean")
        if not present.map(lambda v: isinstance(v, str)).all():
            # mixed objects (dates, numbers and text in one column): written as text
            return _text_column(values, lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))
    return values


def _geometries(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """One geometry type per layer: Polygon and MultiPolygon (etc.) mixed become Multi*."""
    types = set(geoms.geom_type.dropna().unique())
    families = {"Polygon": "MultiPolygon", "LineString": "MultiLineString", "Point": "MultiPoint"}
    for single, multi in families.items():
        if single in types and multi in types:
            arr = geoms.to_numpy()
            is_single = np.array([g is not None and g.geom_type == single for g in arr])
            ctor = {"Polygon": shapely.MultiPolygon, "LineString": shapely.MultiLineString,
                    "Point": shapely.MultiPoint}[single]
            arr = arr.copy()
            arr[is_single] = [ctor([g]) for g in arr[is_single]]
            return gpd.GeoSeries(arr, index=geoms.index, crs=geoms.crs)
    return geoms


def prepare_layer(layer: gpd.GeoDataFrame, format: str = "gpkg", crs: int | str = 4326, *,
                  name: str = "layer") -> gpd.GeoDataFrame:
    """The layer as it will be written: CRS set, column types converted, geometry type unified.

    Pure; :func:`write_layers` calls it. Column names are not changed (the Shapefile writer
    maps them separately, :func:`shapefile_field_names`).

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        A layer with a CRS.
    format : str
        One of :data:`FORMATS`.
    crs : {4326, 4490}
        EPSG code to write. Coordinates in EPSG:4326 or EPSG:4490 are kept and relabelled;
        any other CRS is transformed to EPSG:4326 first.
    name : str
        Layer name, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame with a ``geometry`` column and a 0..n-1 index.

    Raises
    ------
    geodti.errors.InputError
        No CRS, a CRS or format not offered (GeoJSON in EPSG:4490), duplicate column
        names, or a second geometry column.
    """
    fmt = _check_format(format)
    code = _check_crs(crs)
    if not isinstance(layer, gpd.GeoDataFrame):
        raise InputError(f"layer {name!r} is a {type(layer).__name__}, not a GeoDataFrame.")
    if fmt == "geojson" and code != 4326:
        raise InputError(
            f"layer {name!r}: GeoJSON (RFC 7946) is WGS84 lon/lat by definition and carries no CRS; "
            "write it with crs=4326 (CGCS2000 coordinates agree with WGS84 to within centimetres), "
            "or choose gpkg, fgb, parquet or shp for an EPSG:4490 label."
        )
    if layer.crs is None:
        raise InputError(
            f"layer {name!r} has no CRS; set it first (layer.set_crs(4326) for WGS84 lon/lat)."
        )
    names = [str(c) for c in layer.columns]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"layer {name!r}: column name(s) {dup} appear more than once.")
    if fmt in ("gpkg", "shp", "fgb"):
        # SQLite and dBASE compare column names case-insensitively
        lower = [n.lower() for n in names]
        clash = sorted({n for n in names if lower.count(n.lower()) > 1})
        if clash:
            raise InputError(
                f"layer {name!r}: columns {clash} differ only in letter case; {fmt} cannot keep "
                "them apart. Rename one."
            )
    if fmt == "gpkg" and "fid" in (n.lower() for n in names if n != layer.geometry.name):
        raise InputError(
            f"layer {name!r}: a column named 'fid' clashes with the GeoPackage feature id; rename it."
        )

    geom = layer.geometry
    epsg = geom.crs.to_epsg()
    if epsg not in CRS_CODES:
        geom = geom.to_crs(4326)
    # CGCS2000 and WGS84 agree to centimetres here: the coordinates stay, the label changes
    geom = geom.set_crs(code, allow_override=True)
    geom = _geometries(geom).reset_index(drop=True)

    data = {}
    for col in layer.columns:
        if col == layer.geometry.name:
            continue
        data[str(col)] = _prepare_column(str(col), layer[col], name).reset_index(drop=True)
    if "geometry" in data:
        raise InputError(
            f"layer {name!r}: a non-geometry column is named 'geometry'; rename it."
        )
    return gpd.GeoDataFrame(data, geometry=geom.rename("geometry"), crs=code)


# --------------------------------------------------------------------------- GDAL settings


@contextlib.contextmanager
def _gdal_config(options: Mapping[str, str]) -> Iterator[None]:
    """Set GDAL configuration options for the duration of a write, then restore them."""
    old = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(dict(options))
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def _ogr_options(fmt: str) -> dict[str, str]:
    if fmt == "geojson":
        return {"RFC7946": "YES", "COORDINATE_PRECISION": str(GEOJSON_DECIMALS)}
    if fmt == "fgb":
        return {"SPATIAL_INDEX": "YES"}
    if fmt == "shp":
        return {"ENCODING": "UTF-8", "DBF_DATE_LAST_UPDATE": DBF_DATE}
    return {}


def _write_ogr(frame: gpd.GeoDataFrame, path: Path, fmt: str, layer: str) -> None:
    driver = FORMATS[fmt][0]
    with _gdal_config({"OGR_CURRENT_DATE": FIXED_DATE}), warnings.catch_warnings():
        # GDAL's own notices are turned into errors: a silent truncation must not pass
        warnings.simplefilter("error", RuntimeWarning)
        pyogrio.write_dataframe(frame, path, layer=layer, driver=driver,
                                layer_options=_ogr_options(fmt) or None)


def _write_parquet(frame: gpd.GeoDataFrame, path: Path, bbox: bool) -> None:
    frame.to_parquet(path, index=False, geometry_encoding="WKB", write_covering_bbox=bbox)


# --------------------------------------------------------------------------- Shapefile


def _shapefile_frame(frame: gpd.GeoDataFrame, layer: str) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    columns = [c for c in frame.columns if c != "geometry"]
    if len(columns) > SHP_MAX_FIELDS:
        raise InputError(
            f"layer {layer!r} has {len(columns)} fields; a Shapefile holds at most {SHP_MAX_FIELDS}. "
            "Write GeoPackage (format='gpkg') instead."
        )
    mapping = shapefile_field_names(columns)
    for col in columns:
        values = frame[col]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            lengths = values.map(lambda v: len(str(v).encode("utf-8")) if isinstance(v, str) else 0)
            if len(lengths) and lengths.max() > SHP_TEXT_BYTES:
                row = int(np.argmax(lengths.to_numpy()))
                raise InputError(
                    f"layer {layer!r}, column {col!r}, row {row + 1}: text of {int(lengths.iloc[row])} "
                    f"bytes; a Shapefile field holds at most {SHP_TEXT_BYTES} bytes (about 84 Chinese "
                    "characters). Write GeoPackage or FlatGeobuf instead, or shorten the text."
                )
    return frame.rename(columns=mapping), mapping


def _field_map_csv(mapping: Mapping[str, str]) -> bytes:
    from geodti.io.tables import to_csv_bytes  # field names come from users' tables

    table = pd.DataFrame({"field": list(mapping), "shapefile_field": list(mapping.values())})
    return to_csv_bytes(table)


def _warn_renamed(mapping: Mapping[str, str], layer: str) -> None:
    renamed = {k: v for k, v in mapping.items() if k != v}
    if renamed:
        listing = ", ".join(f"{k} -> {v}" for k, v in renamed.items())
        warnings.warn(
            f"Shapefile layer {layer!r}: {len(renamed)} field(s) renamed to fit 10-byte ASCII names "
            f"({listing}); the map is in {layer}_fields.csv.",
            FieldNameWarning, stacklevel=3,
        )


def _write_shapefile(frame: gpd.GeoDataFrame, folder: Path, layer: str) -> list[Path]:
    renamed, mapping = _shapefile_frame(frame, layer)
    _write_ogr(renamed, output_path(folder, f"{layer}.shp"), "shp", layer)
    output_path(folder, f"{layer}_fields.csv").write_bytes(_field_map_csv(mapping))
    _warn_renamed(mapping, layer)
    return [folder / f"{layer}{ext}" for ext in _SHP_SIDECARS] + [folder / f"{layer}_fields.csv"]


# --------------------------------------------------------------------------- staging folders


@contextlib.contextmanager
def _staging_dir(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target``; removed with its contents on any error."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _publish(staged: list[Path], folder: Path) -> list[Path]:
    """Move finished files into ``folder`` (each move an atomic rename on one file system)."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder; choose another output path.")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for src in staged:
        dst = folder / src.name
        os.replace(src, dst)
        out.append(dst)
    return out


def _zip_bytes(files: list[Path]) -> bytes:
    """A zip of ``files`` (by name) with fixed timestamps and permissions: byte-stable."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(files, key=lambda p: p.name):
            info = zipfile.ZipInfo(f.name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, f.read_bytes())
    return buf.getvalue()


# --------------------------------------------------------------------------- public writers


def _check_layers(layers: Mapping[str, gpd.GeoDataFrame]) -> None:
    if not layers:
        raise InputError("no layers to write.")
    for name in layers:
        # names become file names (and GeoPackage tables): plain slugs only, no device names
        if not isinstance(name, str) or not _LAYER_NAME.match(name) or safe_slug(name) != name:
            raise InputError(
                f"layer name {name!r} cannot be a file name; use ASCII letters, digits, '_' or "
                "'-' (Chinese characters are fine), starting with a letter, and not a Windows "
                "device name such as CON or NUL."
            )


def write_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: str | os.PathLike,
    format: str = "gpkg",
    crs: int | str = 4326,
    *,
    bbox: bool = False,
) -> list[Path]:
    """Write named layers atomically in one GIS format.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Layer name -> layer (e.g. ``{"cities": ..., "provinces": ...}``). Names become table
        or file names.
    path : str or path-like
        ``gpkg``: the ``.gpkg`` file (one table per layer). Other formats: a folder that
        receives one ``<layer>.<ext>`` per layer (Shapefile: the ``.shp .shx .dbf .prj .cpg``
        set and ``<layer>_fields.csv``); for ``shp`` a path ending in ``.zip`` gives one zip
        of all sets instead. Files of the same names are replaced; other files are left.
    format : {"gpkg", "geojson", "parquet", "shp", "fgb"}
        Output format.
    crs : {4326, 4490}
        EPSG code: 4326 WGS84 (default) or 4490 CGCS2000 (same coordinates, see the module
        notes; not for GeoJSON).
    bbox : bool
        GeoParquet only: add the GeoParquet 1.1 ``bbox`` covering column.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    geodti.errors.InputError
        An unusable layer name, path, CRS, column or value (see :func:`prepare_layer`).

    Warns
    -----
    FieldNameWarning
        Shapefile fields were renamed (the map is written beside the set).
    """
    fmt = _check_format(format)
    _check_layers(layers)
    target = Path(path)
    prepared = {name: prepare_layer(layer, fmt, crs, name=name) for name, layer in layers.items()}

    if fmt == "gpkg":
        if target.suffix.lower() != ".gpkg":
            raise InputError(f"{target}: a GeoPackage path ends in .gpkg.")
        with atomic_path(target) as tmp:
            for name, frame in prepared.items():
                _write_ogr(frame, tmp, fmt, name)
        return [target]

    zipped = fmt == "shp" and target.suffix.lower() == ".zip"
    if not zipped and target.suffix.lower() in {ext for _, ext in FORMATS.values()} | {".zip"}:
        raise InputError(
            f"{target}: {fmt} layers are written into a folder, one file per layer; give a folder "
            "path (for one file use write_layer)"
            + (", or a .zip path for zipped Shapefiles." if fmt == "shp" else ".")
        )
    with _staging_dir(target) as stage:
        staged: list[Path] = []
        for name, frame in prepared.items():
            staged += _write_one(frame, stage, fmt, name, bbox)
        if zipped:
            with atomic_path(target) as tmp:
                tmp.write_bytes(_zip_bytes(staged))
            return [target]
        return _publish(staged, target)


def _write_one(frame: gpd.GeoDataFrame, folder: Path, fmt: str, name: str, bbox: bool) -> list[Path]:
    if fmt == "shp":
        return _write_shapefile(frame, folder, name)
    path = output_path(folder, f"{name}{FORMATS[fmt][1]}")
    if fmt == "parquet":
        _write_parquet(frame, path, bbox)
    else:
        _write_ogr(frame, path, fmt, name)
    return [path]


def write_layer(
    layer: gpd.GeoDataFrame,
    path: str | os.PathLike,
    format: str | None = None,
    crs: int | str = 4326,
    *,
    name: str | None = None,
    bbox: bool = False,
) -> list[Path]:
    """Write one layer to one file (a Shapefile: one set), atomically.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        The layer.
    path : str or path-like
        File path; its suffix names the format unless ``format`` is given (``.gpkg``,
        ``.geojson``/``.json``, ``.parquet``, ``.shp``, ``.fgb``).
    format, crs, bbox
        As in :func:`write_layers`.
    name : str, optional
        Layer name inside the file (GeoPackage table, GeoJSON ``name``); default the file
        stem. A Shapefile set is always named after the file.

    Returns
    -------
    list of pathlib.Path
        The files written (a Shapefile: its set and the field map).
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if format is None:
        by_suffix = {ext: f for f, (_, ext) in FORMATS.items()} | {".json": "geojson"}
        if suffix not in by_suffix:
            raise InputError(
                f"{target}: cannot tell the layer format from the suffix; use .gpkg, .geojson, "
                ".parquet, .shp or .fgb, or pass format=."
            )
        format = by_suffix[suffix]
    fmt = _check_format(format)
    layer_name = name or target.stem
    if fmt == "shp":
        layer_name = target.stem
    _check_layers({layer_name: layer})
    frame = prepare_layer(layer, fmt, crs, name=layer_name)
    if fmt == "shp":
        with _staging_dir(target) as stage:
            staged = _write_shapefile(frame, stage, layer_name)
            return _publish(staged, target.parent)
    with atomic_path(target) as tmp:
        if fmt == "parquet":
            _write_parquet(frame, tmp, bbox)
        else:
            _write_ogr(frame, tmp, fmt, layer_name)
    return [target]


def read_layer(path: str | os.PathLike, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a layer written by :func:`write_layers` back, with its original column names.

    A Shapefile's fields are renamed back through ``<layer>_fields.csv`` when it is beside
    the set. GeoParquet is read with geopandas, everything else with pyogrio.

    Parameters
    ----------
    path : str or path-like
        A ``.gpkg``, ``.geojson``, ``.parquet``, ``.shp`` or ``.fgb`` file.
    layer : str, optional
        GeoPackage table (default: the only or first one).

    Returns
    -------
    geopandas.GeoDataFrame
        Integer and boolean fields with missing values come back as pandas' nullable
        ``Int64`` and ``boolean``; GeoJSON dates stay text, as written.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file.")
    if path.suffix.lower() == ".parquet":
        return gpd.read_parquet(path)
    options = {"DATE_AS_STRING": "YES"} if path.suffix.lower() in (".geojson", ".json") else {}
    frame = pyogrio.read_dataframe(path, layer=layer, **options)
    # integer and boolean fields with nulls arrive as float: restore the nullable types
    info = pyogrio.read_info(path, layer=layer)
    for field, dtype in zip(info["fields"], info["dtypes"]):
        if field in frame.columns and frame[field].dtype.kind == "f":
            if str(dtype).startswith("int"):
                frame[field] = frame[field].astype("Int64")
            elif str(dtype) == "bool":
                frame[field] = frame[field].astype("boolean")
    if path.suffix.lower() == ".shp":
        field_map = path.with_name(f"{path.stem}_fields.csv")
        if field_map.exists():
            table = pd.read_csv(field_map, dtype=str, encoding="utf-8-sig", keep_default_na=False)
            frame = frame.rename(columns=dict(zip(table["shapefile_field"], table["field"])))
    return frame
