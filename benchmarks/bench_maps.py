"""Budgets of geodti's map pages, measured in headless Chromium with the network cut off.

Budgets (for the 370 city-level units at map resolution):
- each page <= 1.5 MB;
- all polygons drawn and interactive within 1 s of navigation start (median of the loads).

For comparison the same units and values go through ``GeoDataFrame.explore()`` (folium's
defaults: Leaflet, jQuery, Bootstrap ... from CDNs): its size, and what it shows offline.

Run: ``python benchmarks/bench_maps.py [--loads 5]``. Results go to
``benchmarks/results/maps.json`` and ``benchmarks/results/maps.md``. The data are synthetic
(the page says so); only sizes and timings are measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import (  # noqa: E402
    CHROMIUM, CHROMIUM_ARGS, build_pages, load_units, make_panel, make_stats,
)
from geodti import web  # noqa: E402
from geodti.io.atomic import write_text  # noqa: E402

MAX_BYTES = 1_500_000
MAX_MS = 1000.0

# Recorded in the page before anything runs: the first animation frame in which every unit's
# path is in the DOM, i.e. the frame that paints them.
DRAWN_PROBE = """
(() => {
  function check() {
    const n = document.querySelectorAll('path.geodti-unit').length;
    if (n >= N_UNITS) { requestAnimationFrame(() => { window.__drawnAt = performance.now(); }); return; }
    requestAnimationFrame(check);
  }
  requestAnimationFrame(check);
})();
"""


def drawn_probe(n_units: int = 370) -> str:
    """The probe for a page of ``n_units`` units (bench_maps_levels draws other levels)."""
    return DRAWN_PROBE.replace("N_UNITS", str(int(n_units)))


def agglomeration_table():
    from geodti.places.gazetteer import agglomerations

    return agglomerations()


def main_thread_cpu(browser, path: Path, n_units: int = 370) -> float:
    """CPU time (ms) of the page's main thread from navigation start to the frame that draws
    the units, from a Chrome trace (``tdur`` of the renderer's top-level tasks). Unlike wall time
    it does not grow when other processes compete for the CPU."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page.add_init_script(drawn_probe(n_units))
    browser.start_tracing(page=page, categories=["devtools.timeline", "toplevel", "blink.user_timing"])
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("window.__drawnAt", timeout=15000)
    drawn = page.evaluate("window.__drawnAt")
    raw = json.loads(browser.stop_tracing())
    context.close()
    events = raw["traceEvents"] if isinstance(raw, dict) else raw
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
               if e.get("ph") == "M" and e.get("name") == "thread_name"}
    starts = [e["ts"] for e in events if e.get("name") == "navigationStart"]
    if not starts:
        raise RuntimeError("the trace has no navigationStart mark")
    t0 = max(starts)  # the page's own navigation (about:blank comes first)
    t1 = t0 + drawn * 1000.0
    cpu = sum(e.get("tdur", 0) for e in events
              if e.get("ph") == "X" and e.get("name") in ("RunTask", "ThreadControllerImpl::RunTask")
              and threads.get((e["pid"], e["tid"])) == "CrRendererMain" and t0 <= e["ts"] <= t1)
    return cpu / 1000.0


def open_offline(browser, path: Path, n_units: int = 370) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    blocked, errors = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.add_init_script(drawn_probe(n_units))
    page.goto(path.resolve().as_uri(), wait_until="load")
    out = {"blocked_requests": len(blocked), "errors": errors}
    try:
        page.wait_for_function("window.__drawnAt && window.geodti && geodti.pages[0].readyAt", timeout=15000)
        out["ready_ms"] = page.evaluate("geodti.pages[0].readyAt")
        out["drawn_ms"] = page.evaluate("window.__drawnAt")
        out["paths"] = page.locator("path.geodti-unit").count()
    except Exception:  # explore() pages: nothing of ours is there
        out["paths"] = page.locator("path.leaflet-interactive").count()
        out["leaflet_loaded"] = page.evaluate("typeof window.L !== 'undefined'")
    context.close()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="page loads per map (median reported)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    units = load_units()
    units_source = "geodti.places.boundaries.cities(resolution='map')"
    panel = make_panel(units)
    stats = make_stats(units)
    members = agglomeration_table()
    results = {"units": len(units), "units_source": units_source, "chromium": CHROMIUM,
               "budget_bytes": MAX_BYTES, "budget_ms": MAX_MS, "loads": args.loads,
               "python": platform.python_version(), "cpus": os.cpu_count(),
               "load_average_before": [round(x, 2) for x in os.getloadavg()], "pages": {}}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        pages = build_pages(units, panel, stats, members)
        build_s = time.perf_counter() - t0
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, m in pages.items():
            path = web.save_map(m, tmp / f"{name}.html")
            loads = [open_offline(browser, path) for _ in range(args.loads)]
            ready = [r["ready_ms"] for r in loads]
            drawn = [r["drawn_ms"] for r in loads]
            cpu = sorted(main_thread_cpu(browser, path) for _ in range(3))
            results["pages"][name] = {
                "bytes": path.stat().st_size,
                "main_thread_cpu_ms_to_drawn_median": round(cpu[1], 1),
                "ready_ms_median": round(statistics.median(ready), 1),
                "drawn_ms_median": round(statistics.median(drawn), 1),
                "drawn_ms_max": round(max(drawn), 1),
                "paths": loads[0]["paths"],
                "blocked_requests": max(r["blocked_requests"] for r in loads),
                "errors": sorted({e for r in loads for e in r["errors"]}),
            }
            r = results["pages"][name]
            r["within_budget_wall"] = r["bytes"] <= MAX_BYTES and r["drawn_ms_median"] <= MAX_MS
            r["within_budget_cpu"] = (r["bytes"] <= MAX_BYTES
                                      and r["main_thread_cpu_ms_to_drawn_median"] <= MAX_MS)
            print(f"{name:18s} {r['bytes'] / 1e6:6.3f} MB  cpu {r['main_thread_cpu_ms_to_drawn_median']:6.1f} ms  "
                  f"ready {r['ready_ms_median']:7.1f} ms  "
                  f"drawn {r['drawn_ms_median']:7.1f} ms (max {r['drawn_ms_max']:.0f})  paths {r['paths']}  "
                  f"blocked {r['blocked_requests']}  errors {len(r['errors'])}")
        results["build_seconds_all_pages"] = round(build_s, 2)

        # the same units and values through GeoDataFrame.explore()
        values = panel[panel["period"] == "2023Q1"].set_index("adcode")["dti"]
        gdf = units[["adcode", "name", "geometry"]].assign(dti=units["adcode"].map(values).to_numpy())
        explore_path = tmp / "explore.html"
        gdf.explore(column="dti", scheme="quantiles", k=5).save(str(explore_path))
        offline = open_offline(browser, explore_path)
        results["explore"] = {"bytes": explore_path.stat().st_size,
                              "blocked_requests": offline["blocked_requests"],
                              "paths_drawn_offline": offline["paths"],
                              "leaflet_loaded_offline": offline.get("leaflet_loaded"),
                              "errors": offline["errors"][:5]}
        print(f"explore()          {results['explore']['bytes'] / 1e6:6.3f} MB  offline: "
              f"{offline['blocked_requests']} blocked requests, {offline['paths']} paths drawn")
        browser.close()

    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(args.out / "maps.json", json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    write_text(args.out / "maps.md", render_markdown(results))
    return 0 if all(p["within_budget_wall"] for p in results["pages"].values()) else 1


def render_markdown(r: dict) -> str:
    lines = [
        "# Map page budgets",
        "",
        f"Units: {r['units']} ({r['units_source']}). Headless Chromium ({r['chromium']}), network cut off "
        f"(every non-file request aborted), viewport 1280x800, median of {r['loads']} loads. "
        "`ready` = the page's script has built every layer and handler; `drawn` = the animation frame "
        "after all unit paths are in the DOM, both from navigation start (wall clock). `main-thread CPU` = "
        "CPU time of the page's main thread from navigation start to that frame, from a Chrome trace "
        "(median of 3 traced loads): what the page costs on an otherwise idle core. Synthetic values.",
        "",
        f"Budget: <= {r['budget_bytes'] / 1e6:.1f} MB and drawn <= {r['budget_ms']:.0f} ms.",
        "",
        f"Machine: {r['cpus']} CPUs, load average (1, 5, 15 min) {r['load_average_before']} before and "
        f"{r['load_average_after']} after the run; timings on a busy machine are upper bounds.",
        "",
        "| page | size (MB) | main-thread CPU (ms) | ready (ms) | drawn (ms) | drawn max (ms) | paths "
        "| blocked requests | JS errors | within budget (wall / CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, p in r["pages"].items():
        lines.append(f"| {name} | {p['bytes'] / 1e6:.3f} | {p['main_thread_cpu_ms_to_drawn_median']:.0f} | "
                     f"{p['ready_ms_median']:.0f} | {p['drawn_ms_median']:.0f} | "
                     f"{p['drawn_ms_max']:.0f} | {p['paths']} | {p['blocked_requests']} | {len(p['errors'])} | "
                     f"{'yes' if p['within_budget_wall'] else 'NO'} / {'yes' if p['within_budget_cpu'] else 'NO'} |")
    e = r["explore"]
    lines += [
        "",
        f"Building all {len(r['pages'])} pages: {r['build_seconds_all_pages']} s.",
        "",
        "## `GeoDataFrame.explore()` of the same units and values",
        "",
        f"- size: {e['bytes'] / 1e6:.3f} MB",
        f"- opened offline: {e['blocked_requests']} requests to CDNs blocked, "
        f"{e['paths_drawn_offline']} polygons drawn, Leaflet loaded: {e['leaflet_loaded_offline']}",
        f"- first errors: {'; '.join(e['errors']) if e['errors'] else 'none'}",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
