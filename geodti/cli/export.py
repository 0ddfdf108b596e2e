"""``geodti export TABLE``: GIS layers (cities, cities_panel, provinces, agglomerations)."""

from __future__ import annotations

import argparse
import sys

from geodti.cli.arguments import add_table_arguments, parse_window, table_options


def add_parser(subparsers) -> argparse.ArgumentParser:
    from geodti.io.layer_builder import LAYERS
    from geodti.io.layers import FORMATS

    p = subparsers.add_parser(
        "export", help="GIS layers: GeoPackage, GeoJSON, GeoParquet, Shapefile, FlatGeobuf",
        description="Read a city table, join it to the bundled boundaries and write GIS layers: "
                    "cities (every unit at one period, with rank, share, YoY and summary growth), "
                    "cities_panel (every unit x period), provinces (totals over the province "
                    "polygons) and agglomerations (the 11 dissolved outlines). Fields: docs/layers.md.",
    )
    add_table_arguments(
        p, table_help="city table (CSV, XLSX, Parquet; long or wide): city names or adcodes, "
                      "periods, value columns",
        unmatched="leave rows whose city does not match off the map (with a note)")
    p.add_argument("--format", choices=list(FORMATS), default="gpkg", help="output format (default gpkg)")
    p.add_argument("--crs", choices=["4326", "4490"], default="4326",
                   help="4326 WGS84 (default) or 4490 CGCS2000: same coordinates, other label "
                        "(not for GeoJSON, which is WGS84 by definition)")
    p.add_argument("--layers", default=",".join(LAYERS),
                   help=f"comma-separated layers (default {','.join(LAYERS)})")
    p.add_argument("--period", help="period of the cities, provinces and agglomerations layers "
                                    "(default: the latest)")
    p.add_argument("--variable", action="append", dest="variables", metavar="COLUMN",
                   help="value column that gets rank, share, YoY and growth fields (repeat for "
                        "several; default dti)")
    p.add_argument("--window", default="auto",
                   help="summary-growth window, mean of the year-on-year growth over it, e.g. "
                        "2022Q1-2023Q1, 2019-2021, 2022M01-2022M12 (default auto: the latest "
                        "five quarters with a YoY, as the report's 2022Q1-2023Q1; twelve months; "
                        "the latest year); 'none' leaves growth empty")
    p.add_argument("--resolution", choices=["detailed", "map"], default="detailed",
                   help="bundled boundaries: detailed (default, for GIS) or map (smaller)")
    p.add_argument("--bbox", action="store_true", help="GeoParquet: add the bbox covering column")
    p.add_argument("--out", metavar="PATH",
                   help="output: a .gpkg file (gpkg), a folder (one file per layer), or a .zip "
                        "(shp); default layers.gpkg or layers_<format>/")
    return p


def run(args: argparse.Namespace) -> int:
    """Read, join, build the layers and write them. Returns the exit code."""
    import warnings

    from geodti.errors import MethodError
    from geodti.io.layers import FieldNameWarning, write_layers
    from geodti.io.panel import read_panel
    from geodti.io.layer_builder import build_layers

    out = args.out or ("layers.gpkg" if args.format == "gpkg" else f"layers_{args.format}")
    panel = read_panel(args.table, **table_options(args))
    window = parse_window(args.window, panel[panel["adcode"].notna()])
    try:
        layers = build_layers(panel, layers=args.layers, period=args.period, variables=args.variables,
                              window=window, resolution=args.resolution)
    except MethodError as exc:
        if "window" in str(exc):  # the flag that avoids it
            raise MethodError(f"{exc} (or --window none)") from exc
        raise
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FieldNameWarning)
        files = write_layers(layers, out, args.format, int(args.crs), bbox=args.bbox)
    first = next(iter(layers.values()))
    print(f"period {first.attrs['period']}, growth window {first.attrs['window'] or 'none'}, "
          f"EPSG:{args.crs}")
    for name, layer in layers.items():
        print(f"  {name}: {len(layer)} features, {len(layer.columns) - 1} fields")
    for path in files:
        print(f"wrote {path}")
    unplaced = first.attrs["n_unplaced_rows"]
    if unplaced:
        print(f"note: {unplaced} rows whose city did not match are not on the map "
              "(geodti match lists them).", file=sys.stderr)
    if "cities" in layers:
        lacking = layers["cities"].loc[~layers["cities"]["has_data"], "name"].tolist()
        if lacking:
            print(f"note: {len(lacking)} units have no data for {first.attrs['period']} and are "
                  f"written with empty values: {', '.join(lacking[:10])}"
                  + (" ..." if len(lacking) > 10 else ""), file=sys.stderr)
    for warning in caught:
        kind = "note" if issubclass(warning.category, FieldNameWarning) else "warning"
        print(f"{kind}: {warning.message}", file=sys.stderr)
    return 0
