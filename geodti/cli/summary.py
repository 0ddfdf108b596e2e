"""``geodti summary TABLE``: the DTI report's summary tables for an annual, quarterly or monthly city panel."""

from __future__ import annotations

import argparse

from geodti.cli.arguments import add_table_arguments, parse_window, read_city_panel
from geodti.cli.output import print_table
from geodti.schema import frequency_of


def add_parser(subparsers) -> argparse.ArgumentParser:
    from geodti.io.tables import FORMATS

    p = subparsers.add_parser(
        "summary", help="summary tables (agglomerations, provinces, regions, tiers, layers, industries)",
        description="Summarise a tidy city panel (adcode, period, dti, ...) the DTI report's way: "
                    "by agglomeration, province, region (四大区域), Hu-line side, administrative "
                    "rank, a column of --groups FILE (e.g. tier), the three layers, or industries.",
    )
    add_table_arguments(
        p, table_help="quarterly city panel (CSV, XLSX, Parquet; long or wide): city names or "
                      "adcodes, periods (2021Q1), one column per index (dti, layers, industry_*)",
        unmatched="leave rows whose city does not match out of the tables (with a note)")
    p.add_argument("--by", default="agglomeration",
                   help="agglomeration (default), province, region, hu_line, admin_rank, layers, "
                        "industry, or a column of --groups FILE")
    p.add_argument("--groups", metavar="FILE",
                   help="table with adcode (or city names) and the --by column (e.g. a tier "
                        "table), used instead of the bundled gazetteer")
    p.add_argument("--within", metavar="GROUP",
                   help="rank the cities inside this group (e.g. 长三角) instead of comparing groups")
    p.add_argument("--variable", default="dti", help="index column (default dti)")
    p.add_argument("--period", help="period (2023Q1; 2021 or 2023M03 in annual or monthly tables), year (2022) or range (2021Q1-2023Q1); "
                                    "default the latest period (the latest full year for --by industry)")
    p.add_argument("--earlier",
                   help="earlier period of the rank change with --within (default: the year "
                        "before the latest period, the report's 2022)")
    p.add_argument("--window", default="auto",
                   help="growth window: mean of the year-on-year growth over it, e.g. "
                        "2022Q1-2023Q1, 2019-2021, 2022M01-2022M12 (default auto: the latest five "
                        "quarters with a YoY, as the report's 2022Q1-2023Q1; twelve months; the "
                        "latest year); 'none' to leave growth out")
    p.add_argument("--top-k", type=int, default=3, help="k of the top-k share (default 3)")
    p.add_argument("--sub", choices=["layers", "industry"], default="layers",
                   help="what the agglomeration table's No.1-No.3 columns rank (default layers)")
    p.add_argument("--sub-period",
                   help="period of that ranking, e.g. 2021Q1-2023Q1 (the report's cumulative "
                        "industry top 3); default --period")
    p.add_argument("--format", choices=FORMATS,
                   help="output format (default from the --out suffix)")
    p.add_argument("--out", metavar="PATH", help="write the full table here (CSV, XLSX or Markdown)")
    return p


def run(args: argparse.Namespace) -> int:
    """Compute, print with rich, write with --out. Returns the exit code."""
    import pandas as pd
    from geodti.cli import output

    from geodti.errors import InputError
    from geodti.index import summary as S
    from geodti.io.groups import read_groups
    from geodti.io.tables import format_for_display, write_table
    from geodti.places.levels import check_grouping
    from geodti.places.levels import units as level_units
    from geodti.schema import level_of_codes

    console, err = output.console(), output.console(stderr=True)

    def gazetteer_tables(by):
        from geodti.places import gazetteer as gz
        return gz.agglomerations() if by == "agglomeration" else gz.gazetteer()

    panel = read_city_panel(args, err, left_out="left out of the tables")
    panel = panel.drop(columns=["period_type", "city_input", "match_status", "source_row"])
    window = parse_window(args.window, panel)
    by = args.by
    level = level_of_codes(panel["adcode"])
    if not args.groups and by not in ("layers", "industry"):
        check_grouping(by, level)  # agglomerations are groups of cities, not of provinces
    groups = None
    if by != "layers":
        group_col = "province" if by == "industry" else by
        if args.groups:
            # agglomerations overlap (a city counted once in their totals); other groups partition
            groups = read_groups(args.groups, group_col, overlapping=group_col == "agglomeration")
        elif level != "city" and group_col in ("province", "region", "hu_line"):
            groups = level_units(level)  # each unit's province, region and Hu-line side
        elif group_col in ("agglomeration", "province", "region", "hu_line", "admin_rank"):
            groups = gazetteer_tables(group_col)
        else:
            raise InputError(f"--by {by}: pass --groups FILE with columns adcode (or city "
                             f"names) and {by}.")
    names = groups if groups is not None and "name" in groups.columns else None
    caption = ""
    if by == "layers":
        table = S.layer_summary(panel, composite=args.variable)
        var = S.layer_variability(panel, composite=args.variable)
        steady = var.loc[var["least_variable"], "variable"].tolist()
        growth_word = "同比" if frequency_of(panel) == "annual" else "环比"  # an annual step is a year
        caption = f"波动最小的层 ({growth_word}增速标准差最小): " + ", ".join(steady)
    elif args.within:
        table = S.within_groups(panel, groups, by, variable=args.variable,
                                earlier=args.earlier or _previous_year(panel),
                                later=args.period or S.latest_period(panel),
                                window=window, only=args.within, names=names)
    elif by == "agglomeration":
        table = S.agglomeration_table(panel, groups, variable=args.variable, period=args.period,
                                      window=window, sub_variables=args.sub,
                                      sub_period=args.sub_period, names=names)
        cov = S.agglomeration_coverage(panel, groups, variable=args.variable, period=args.period)
        caption = cov["statement_zh"].iloc[0]
    elif by == "industry":
        table = S.industry_view(panel, groups, period=args.period or _last_full_year(panel),
                                window=window)
    else:
        table = S.group_summary(panel, groups, by, variable=args.variable, period=args.period,
                                window=window, top_k=args.top_k, names=names)

    # Columns that are the same on every row go into the title, not the body.
    meta = ["period", "variable", "window", "sub_period", "earlier_period", "later_period",
            "share_definition", "n_cities", "n_units"]
    const = {c: str(table[c].iloc[0]) for c in meta
             if c in table.columns and len(table) and table[c].nunique(dropna=False) == 1}
    hidden = ["quadrant", "share_high", "growth_high", "agglomeration_en", "leading_adcode",
              "top_k", *const]
    if args.within:
        hidden += ["adcode", by]
    for flag in ("qoq_flag", "yoy_flag"):
        if flag in table.columns and table[flag].isin(["ok", "before_data"]).all():
            hidden.append(flag)
    if "missing_members" in table.columns and not table["missing_members"].astype(bool).any():
        hidden += ["missing_members", "n_in_panel"]
    shown = table.drop(columns=[c for c in dict.fromkeys(hidden) if c in table.columns])
    from geodti.io.tables import LABELS_ZH
    labels = dict(LABELS_ZH)
    if "earlier_period" in table.columns and len(table):
        e, l_ = table["earlier_period"].iloc[0], table["later_period"].iloc[0]
        labels.update({"earlier_value": f"{e}指数", "earlier_rank": f"{e}排名",
                       "later_value": f"{l_}指数", "later_rank": f"{l_}排名"})
    if "top_k_share" in table.columns:
        labels["top_k_share"] = f"前{args.top_k}城市占比"
    if level != "city":  # the members are provinces or counties
        labels.update({"mean_growth": "平均增速", "top_k_share": f"前{args.top_k}单元占比",
                       "leading_name": "领先单元"})
    shown = format_for_display(shown, labels=labels)
    if by == "layers":
        # One row per quarter, total and YoY side by side for each layer.
        wide = {"期间": table["period"].drop_duplicates().to_numpy()}
        for var in dict.fromkeys(shown["指标"]):
            part = shown[shown["指标"] == var]
            wide[f"{var}"] = part["指数合计"].to_numpy()
            wide[f"{var}同比"] = part["同比"].to_numpy()
        shown = pd.DataFrame(wide)
    title = f"geodti summary --by {by}" + (f" --within {args.within}" if args.within else "")
    title += "".join(f"  {k}={v}" for k, v in const.items()
                     if v and k not in ("n_cities", "n_units", "earlier_period", "later_period"))
    right = [col for col in shown.columns if shown[col].str.match(r"^[+-]?[\d.]+%?$").sum() > 0]
    print_table(console, shown.columns, shown.itertuples(index=False, name=None), title=title,
                caption=caption or None, right=right)
    if args.out:
        path = write_table(table, args.out, format=args.format, sheet_name=f"summary_{by}")
        console.print(f"wrote {path}", highlight=False)
    return 0


def _previous_year(panel) -> str:
    """The default earlier period of --within: the year before the latest period (2022 for
    the report's 2023Q1), else the panel's first period."""
    from geodti.index.growth import earlier_period
    from geodti.index.summary import latest_period

    latest = latest_period(panel)
    return earlier_period(panel, latest) or latest


def _last_full_year(panel) -> str:
    """The default period of --by industry: the latest year with all its periods (the
    report's 2022); an annual panel's latest year."""
    from geodti.index.summary import latest_period
    from geodti.periods import parse_span, year_of

    frequency = frequency_of(panel)
    have = set(panel["period"])
    latest = latest_period(panel)
    for year in range(year_of(latest), year_of(min(have)) - 1, -1):
        if all(p in have for p in parse_span(str(year), frequency)[1]):
            return str(year)
    return latest
