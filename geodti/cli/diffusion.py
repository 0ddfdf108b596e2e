"""``geodti diffusion TABLE``: east-to-west diffusion, convergence and inequality tables."""

from __future__ import annotations

import argparse

from geodti.cli.arguments import add_table_arguments, read_city_panel
from geodti.cli.output import print_table


def add_parser(subparsers) -> argparse.ArgumentParser:
    from geodti import defaults
    from geodti.io.tables import FORMATS

    p = subparsers.add_parser(
        "diffusion", help="diffusion, convergence and inequality tables (centre, ellipse, "
                          "gradients, convergence, Markov, emerging hot spots, Dagum/Theil)",
        description="Per-period diffusion summary of a quarterly city panel and the detailed "
                    "tables: index-weighted centre and standard deviational ellipse, growth by "
                    "longitude band / region / Hu line / agglomeration, distance decay, sigma "
                    "and (spatial) beta convergence, Markov chains, emerging hot spots, Dagum "
                    "Gini and Theil decompositions. See docs/methods.md.",
    )
    add_table_arguments(
        p, table_help="quarterly city panel (CSV, XLSX, Parquet; long or wide)",
        unmatched="leave rows whose city does not match out (with a note)")
    p.add_argument("--drop-incomplete", action="store_true",
                   help="leave out units missing in some period (listed) instead of stopping")
    p.add_argument("--by", default="region",
                   help="grouping of the inequality decompositions, sigma convergence and "
                        "fixed effects: region (default), agglomeration, hu_line, province, "
                        "longitude_band, or a column of --groups FILE")
    p.add_argument("--groups", metavar="FILE",
                   help="table with adcode (or city names) and the --by column, e.g. a tier table")
    p.add_argument("--variable", default="dti", help="index column (default dti)")
    p.add_argument("--weights", default=defaults.DIFFUSION_WEIGHTS,
                   help="spatial weights for the spatial Markov chain, Gi* and spatial models: "
                        "knnK, k nearest neighbours between the units' points (default %(default)s)")
    p.add_argument("--cores", default="上海,北京,深圳,广州",
                   help="core cities of the distance decay, names or adcodes separated by "
                        "commas (default 上海,北京,深圳,广州)")
    p.add_argument("--window", default="auto",
                   help="growth window, e.g. 2022Q1-2023Q1, 2019-2021, 2022M01-2022M12 "
                        "(default: the latest five quarters, twelve months or one year with a "
                        "year-on-year growth)")
    p.add_argument("--ellipse", choices=["arcgis", "crimestat", "yuill"], default="arcgis",
                   help="standard deviational ellipse convention (default arcgis)")
    p.add_argument("--classes", type=int, default=5,
                   help="quantile classes of the Markov chains (default 5)")
    p.add_argument("--alpha", type=float, default=defaults.ALPHA,
                   help="significance level (default %(default)s)")
    p.add_argument("--draws", type=int, default=defaults.DRAWS,
                   help="parameter draws for the standard errors of spatial effects (default %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.SEED, help="seed of those draws (default %(default)s)")
    p.add_argument("--format", choices=FORMATS, default="csv",
                   help="tables as one CSV per table (default), one XLSX workbook or one "
                        "Markdown file")
    p.add_argument("--out", metavar="DIR",
                   help="write every table and the map layers (GeoJSON) into this folder")
    return p


def run(args: argparse.Namespace) -> int:
    """Compute every table, print the summary, write with --out. Returns the exit code."""
    import re
    from pathlib import Path

    from geodti.cli import output

    from geodti.dynamics import default_weights, diffusion_tables
    from geodti.errors import InputError
    from geodti.io.groups import read_groups

    console, err = output.console(), output.console(stderr=True)
    m = re.fullmatch(r"knn(\d+)", args.weights.strip().lower())
    if not m or int(m.group(1)) < 1:
        raise InputError(f"--weights {args.weights!r}: use knnK, e.g. knn6.")
    k_neighbours = int(m.group(1))
    cores = [c.strip() for c in re.split(r"[,，]", args.cores) if c.strip()]
    panel = read_city_panel(args, err, left_out="left out",
                            variable=args.variable)
    panel = panel[["adcode", "period", args.variable]]
    groups = read_groups(args.groups, args.by) if args.groups else None
    units = sorted(panel["adcode"].unique())
    graph = default_weights(units, k=k_neighbours)  # the knnK of geodti stats
    tables = diffusion_tables(
        panel, args.variable, by=args.by, groups=groups, weights=graph, cores=cores,
        window=args.window, convention=args.ellipse, k=args.classes, alpha=args.alpha,
        draws=args.draws, seed=args.seed, drop_incomplete=args.drop_incomplete)
    label = f"knn{k_neighbours}"
    for name, table in tables.items():
        if name not in ("layers", "notes") and "weights" in table.columns:
            table["weights"] = label

    summary = tables["summary"]
    shown = [("period", "期间", "{}"), ("centre_lon", "重心经度", "{:.3f}"),
             ("centre_lat", "重心纬度", "{:.3f}"), ("westward_shift_km", "累计西移km", "{:.1f}"),
             ("ellipse_area_km2", "椭圆面积万km²", "{:.0f}"), ("share_nw", "胡线西北占比", "{:.2%}"),
             ("sigma_sd_log", "σ(ln)", "{:.3f}"), ("gini", "Gini", "{:.3f}"),
             ("gini_share_within", "组内", "{:.1%}"), ("gini_share_net_between", "组间", "{:.1%}"),
             ("gini_share_transvariation", "超变", "{:.1%}")]
    rows = []
    for rec in summary.to_dict("records"):
        cells = []
        for col, _, fmt in shown:
            v = rec[col]
            if col == "ellipse_area_km2":
                v = v / 1e4
            cells.append("" if v is None or (isinstance(v, float) and v != v) else fmt.format(v))
        rows.append(cells)
    heads = [head for _, head, _ in shown]
    print_table(console, heads, rows, right=heads[1:],
                title=f"geodti diffusion  variable={args.variable}  groups={args.by}  "
                      f"weights={label}")
    ranked = summary.dropna(subset=["region_growth_ranking"])
    if len(ranked):
        last = ranked.iloc[-1]
        console.print(f"区域增速排序 {last['period']} (同比): {last['region_growth_ranking']}",
                      highlight=False)
    beta = tables["beta"]
    for rec in beta.to_dict("records"):
        console.print(f"beta convergence ({rec['model']}): beta={rec['beta']:.4f} "
                      f"(se {rec['beta_se']:.4f}), speed {rec['speed']:.2%}/year, half-life "
                      f"{rec['half_life_years']:.1f} years", highlight=False)
    if "emerging_hotspots" in tables:  # left out of short tables (a note says why)
        counts = tables["emerging_hotspots"]["pattern"].value_counts()
        console.print("emerging hot spots: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
                      highlight=False)
    for note in tables["notes"]:
        err.print(f"note: {note}", highlight=False)
    if args.out:
        from geodti.io.atomic import write_text
        from geodti.io.tables import write_tables

        out = Path(args.out)
        named = {k: v for k, v in tables.items() if k not in ("layers", "notes")}
        if args.format == "csv":
            written = write_tables(named, out)
        else:
            written = write_tables(named, out / f"diffusion.{args.format}")
        from geodti.io.paths import output_path

        for name, layer in tables["layers"].items():
            written.append(write_text(output_path(out, f"diffusion_{name}.geojson"),
                                      layer.to_json(drop_id=True, ensure_ascii=False)))
        written.append(write_text(out / "diffusion_notes.txt",
                                  "".join(f"{n}\n" for n in tables["notes"])))
        console.print(f"wrote {len(written)} files to {out}", highlight=False)
    return 0
