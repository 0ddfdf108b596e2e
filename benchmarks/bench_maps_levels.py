"""Map pages at each level (34 provinces, 370 cities, 2,875 counties), measured offline.

A choropleth of SYNTHETIC values (made up from each layer's adcodes) is drawn for every level
of :data:`geodti.places.boundaries.LEVELS` at map resolution and opened in headless Chromium
with the network cut off, as in ``bench_maps.py``. The budgets are those of
:data:`geodti.web._topology.PAGE_BUDGETS` (size; drawn within the level's time from
navigation start, median of the loads).

Run: ``python benchmarks/bench_maps_levels.py [--loads 5]``. Results go to
``benchmarks/results/maps_levels.json`` and ``benchmarks/results/maps_levels.md``.
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

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(HERE))

from bench_maps import main_thread_cpu, open_offline  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from geodti import web  # noqa: E402
from geodti.io.atomic import write_text  # noqa: E402
from geodti.places import boundaries  # noqa: E402
from geodti.web._topology import PAGE_BUDGETS  # noqa: E402


def synthetic_panel(units) -> pd.DataFrame:
    """SYNTHETIC: one made-up value per unit."""
    rng = np.random.default_rng(13)
    return pd.DataFrame({"adcode": units["adcode"], "period": "2021", "x": rng.gamma(2.0, 1.0, len(units))})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="page loads per level (median reported)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    results = {"chromium": CHROMIUM, "loads": args.loads, "python": platform.python_version(),
               "cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in os.getloadavg()],
               "levels": {}}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for level in boundaries.LEVELS:
            units = boundaries.layer(level, "map")
            budget = PAGE_BUDGETS[level]
            t0 = time.perf_counter()
            m = web.choropleth_map(synthetic_panel(units), variable="x", period="2021", units=units,
                                   synthetic=True, agglomerations=False, source="SYNTHETIC values")
            path = web.save_map(m, Path(tmp) / f"{level}.html")
            build_s = time.perf_counter() - t0
            loads = [open_offline(browser, path, len(units)) for _ in range(args.loads)]
            drawn = [r["drawn_ms"] for r in loads]
            cpu = sorted(main_thread_cpu(browser, path, len(units)) for _ in range(3))
            r = {
                "units": len(units),
                "quantization": budget.quantization,
                "simplify_m": budget.simplify_m,
                "bytes": path.stat().st_size,
                "budget_bytes": budget.max_bytes,
                "budget_ms": budget.max_draw_ms,
                "build_s": round(build_s, 2),
                "main_thread_cpu_ms_to_drawn_median": round(cpu[1], 1),
                "ready_ms_median": round(statistics.median(r["ready_ms"] for r in loads), 1),
                "drawn_ms_median": round(statistics.median(drawn), 1),
                "drawn_ms_max": round(max(drawn), 1),
                "paths": loads[0]["paths"],
                "blocked_requests": max(r["blocked_requests"] for r in loads),
                "errors": sorted({e for r in loads for e in r["errors"]}),
            }
            r["within_budget_wall"] = r["bytes"] <= budget.max_bytes and r["drawn_ms_median"] <= budget.max_draw_ms
            r["within_budget_cpu"] = (r["bytes"] <= budget.max_bytes
                                      and r["main_thread_cpu_ms_to_drawn_median"] <= budget.max_draw_ms)
            results["levels"][level] = r
            print(f"{level:9s} {r['units']:5d} units {r['bytes'] / 1e6:6.3f} MB  cpu "
                  f"{r['main_thread_cpu_ms_to_drawn_median']:7.1f} ms  drawn {r['drawn_ms_median']:7.1f} ms "
                  f"(max {r['drawn_ms_max']:.0f})  paths {r['paths']}  blocked {r['blocked_requests']}  "
                  f"errors {len(r['errors'])}", flush=True)
        browser.close()
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(args.out / "maps_levels.json", json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    write_text(args.out / "maps_levels.md", render_markdown(results))
    return 0 if all(p["within_budget_wall"] for p in results["levels"].values()) else 1


def render_markdown(r: dict) -> str:
    lines = [
        "# Map pages per level",
        "",
        f"A choropleth of SYNTHETIC values for every unit of each level's map-resolution layer. Headless "
        f"Chromium ({r['chromium']}), network cut off, viewport 1280x800, median of {r['loads']} loads; "
        "`drawn` = the animation frame after every unit's path is in the DOM, from navigation start (wall "
        "clock); `main-thread CPU` = CPU time of the page's main thread until then (median of 3 traced "
        "loads). Budgets: `geodti.web._topology.PAGE_BUDGETS`.",
        "",
        f"Machine: {r['cpus']} CPUs, load average (1, 5, 15 min) {r['load_average_before']} before and "
        f"{r['load_average_after']} after the run; timings on a busy machine are upper bounds.",
        "",
        "| level | units | page simplification (m) | size (MB) | budget (MB) | main-thread CPU (ms) | drawn (ms) "
        "| drawn max (ms) | budget (ms) | paths | blocked requests | JS errors | within budget (wall / CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for level, p in r["levels"].items():
        lines.append(
            f"| {level} | {p['units']} | {p['simplify_m']:.0f} | {p['bytes'] / 1e6:.3f} | {p['budget_bytes'] / 1e6:.1f} | "
            f"{p['main_thread_cpu_ms_to_drawn_median']:.0f} | {p['drawn_ms_median']:.0f} | {p['drawn_ms_max']:.0f} | "
            f"{p['budget_ms']:.0f} | {p['paths']} | {p['blocked_requests']} | {len(p['errors'])} | "
            f"{'yes' if p['within_budget_wall'] else 'NO'} / {'yes' if p['within_budget_cpu'] else 'NO'} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
