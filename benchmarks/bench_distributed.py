"""Benchmark: permutation inference on one process vs a 2-worker Dask LocalCluster.

Workload (issue 15): a SYNTHETIC panel on the units of ``--level`` (county: ~2,850 units from
``boundaries/counties_map.parquet``; city: the 370 gazetteer units), 11 annual periods x 10
variables, Queen contiguity, the default local statistics (LISA, Gi*, local Geary) and the
global ones (Moran, Geary, General G), ``--permutations`` (99,999 for the issue). The values
are invented (log-normal, spatially smoothed) and labelled SYNTHETIC in the results.

The county level needs the county boundary layer; without ``boundaries/counties_map.parquet``
the benchmark says so and runs nothing (no silent substitute). When the whole workload would
take too long on this machine, ``--fraction`` runs a stated share of the permutations (whole
blocks of 10,000) and the results say what was measured and what is extrapolated.

Measured: wall time, CPU seconds (this process; for the cluster also each worker's), peak
memory (``ru_maxrss``) of this process and of each worker, and that both give identical
tables. Written: ``benchmarks/results/distributed_<level>.json`` and ``.md`` with the
projection for a 64-core cluster.

    python benchmarks/bench_distributed.py --level county --permutations 99999
    python benchmarks/bench_distributed.py --level city --permutations 99999 --fraction 0.2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
COUNTIES = ROOT / "boundaries" / "counties_map.parquet"
PERIODS = [str(y) for y in range(2013, 2024)]
VARIABLES = [f"synthetic_{j}" for j in range(10)]


def units_of(level: str):
    from geodti.spatial.pipeline import bundled_inputs

    if level == "county":
        if not COUNTIES.exists():
            raise SystemExit(f"cannot run at county level: {COUNTIES.relative_to(ROOT)} does not exist (the county "
                             "boundary layer is not built yet); nothing was run. Use --level city, or build the "
                             "county layer first")
    # the level's units and its shipped Queen pairs (places.boundaries.queen_pairs), as a run uses them
    b = bundled_inputs(need_contiguity=True, level=level)
    return b["units"], b["contiguity"]


def synthetic_panel(ids, W, seed=20260815) -> pd.DataFrame:
    """SYNTHETIC values: log-normal, smoothed twice over the weights (positive, autocorrelated)."""
    rng = np.random.default_rng(seed)
    n = len(ids)
    frames = []
    base = {}
    for v in VARIABLES:
        x = rng.normal(size=n)
        for _ in range(2):
            x = 0.5 * x + 0.5 * (W @ x)
        base[v] = np.exp(x)
    for t, p in enumerate(PERIODS):
        rec = {"adcode": list(ids), "period": p}
        for v in VARIABLES:
            rec[v] = base[v] * (1 + 0.03 * t) * np.exp(rng.normal(scale=0.05, size=n))
        frames.append(pd.DataFrame(rec))
    return pd.concat(frames, ignore_index=True)


def compute(panel, w, P, client=None):
    from geodti.spatial import global_statistics, local_statistics

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = global_statistics(panel, w, permutations=P, seed=1, client=client)
        loc = local_statistics(panel, w, permutations=P, seed=1, on_budget="ignore", client=client)
    return g, loc


def _worker_usage():
    import resource as r
    import time as t

    u = r.getrusage(r.RUSAGE_SELF)
    return {"cpu_s": u.ru_utime + u.ru_stime, "peak_rss_mb": u.ru_maxrss / 1024, "process_time": t.process_time()}


def projection(r: dict) -> dict:
    """A 64-core cluster (one single-threaded worker per core), on paper, from the measurements."""
    blocks = math.ceil(r["permutations"] / 10_000)
    measured_blocks = math.ceil(r["permutations_measured"] / 10_000)
    tasks = (r["periods"] + 2) * blocks  # local: (period, block); two global passes: (block)
    cpu_per_block = r["one_process"]["cpu_s"] / measured_blocks
    cpu_all = cpu_per_block * blocks
    n, cols = r["units"], r["periods"] * r["variables"]
    panel_mb = n * cols * 8 / 2**20
    weights_mb = r["weights_nnz"] * 12 / 2**20
    # results: per local chunk n x variables x 3 statistics x (mean, sd, two counts); global: P x cols x 2
    results_mb = (blocks * n * cols * 3 * 4 * 8 + r["permutations"] * cols * 2 * 8 * 2) / 2**20
    gbit_s = 10.0
    transfer_s = (64 * (panel_mb + weights_mb) + results_mb) * 8 / 1024 / gbit_s
    return {"blocks": blocks, "chunks": tasks, "cpu_s_per_block": cpu_per_block, "cpu_s_all": cpu_all,
            "compute_wall_s": cpu_all / min(64, tasks), "panel_mb": panel_mb, "weights_mb": weights_mb,
            "results_mb": results_mb, "transfer_s_at_10_gbit": transfer_s,
            "worker_fixed_mb": panel_mb * 12 + 64}


def _load(run: dict) -> str:
    """The load averages recorded with a run, as 'a/b/c -> d/e/f' (or 'not recorded')."""
    if "load_average_before" not in run:
        return "not recorded"
    fmt = "/".join
    return (f"{fmt(f'{x:.1f}' for x in run['load_average_before'])} -> "
            f"{fmt(f'{x:.1f}' for x in run['load_average_after'])}")


def report(r: dict) -> str:
    """The results as Markdown, with the 64-core projection spelled out."""
    one, two = r["one_process"], r["local_cluster_2_workers"]
    pr = projection(r)
    measured = r["permutations_measured"]
    scale = r["permutations"] / measured
    lines = [
        f"# Permutation inference on Dask: {r['level']} level (SYNTHETIC values)",
        "",
        f"Workload: {r['units']:,} units x {r['periods']} periods x {r['variables']} variables (SYNTHETIC, "
        f"log-normal, spatially smoothed), Queen weights, LISA + Gi* + local Geary and Moran + Geary + "
        f"General G, {r['permutations']:,} permutations; **{measured:,} measured** "
        f"({'all' if measured == r['permutations'] else 'a stated fraction; the rest extrapolated linearly'}). "
        f"Machine: {r['machine']['cpus']} CPUs shared with other jobs at the time (wall times are noisy; CPU "
        "seconds are steadier). `python benchmarks/bench_distributed.py --level "
        f"{r['level']} --permutations {r['permutations']} --fraction {measured / r['permutations']:.2f}`.",
        "",
        "| | wall s | CPU s | peak memory MB |",
        "|---|---:|---:|---:|",
        f"| one process | {one['wall_s']:.1f} | {one['cpu_s']:.1f} | {one['peak_rss_mb']:.0f} |",
        f"| 2-worker LocalCluster: client | {two['wall_s']:.1f} | {two['client_cpu_s']:.1f} | "
        f"{two.get('client_peak_rss_mb', float('nan')):.0f} |",
    ]
    for k, wk in enumerate(two["workers"]):
        lines.append(f"| worker {k} | | {wk['cpu_s']:.1f} | {wk['peak_rss_mb']:.0f} |")
    lines += [
        "",
        f"Chunks computed on the workers: {two.get('chunks', 0)}, {two.get('chunk_compute_s', float('nan')):.1f} "
        f"s of computing in all (Dask's task stream), {two.get('transfer_s', float('nan')):.2f} s of transfers.",
        "",
        f"Identical tables on one process and on the cluster: **{r['identical']}**.",
        "",
        "Reading the wall times: the workers' CPU seconds add up to about the single process's (the "
        "chunks' transfers are negligible), so on idle cores two workers would take about half the "
        "single process's wall time. This machine's 2 cores were shared with other jobs (load average "
        f"{_load(two)} during the cluster run, {_load(one)} during the one-process run: 1, 5 and 15 "
        "minute averages at the start -> at the end), so the wall times measure the load as much as "
        "the method: compare the CPU seconds.",
        "",
        f"Extrapolated to {r['permutations']:,} permutations: one process {one['wall_s'] * scale:.0f} s wall "
        f"({one['cpu_s'] * scale:.0f} CPU s), 2 workers {two['wall_s'] * scale:.0f} s wall.",
        "",
        "## On paper: a 64-core cluster",
        "",
        f"* Chunks: (period, block of 10,000 permutations) for the local statistics, (block) for each "
        f"of the two global passes: {pr['chunks']} chunks for {r['permutations']:,} permutations "
        f"({pr['blocks']} blocks).",
        f"* Compute: one block of every pass costs about {pr['cpu_s_per_block']:.1f} CPU s here, "
        f"{pr['cpu_s_all']:.0f} CPU s in all; spread evenly over min(64, {pr['chunks']}) single-threaded "
        f"workers that is about {pr['compute_wall_s']:.0f} s (a lower bound: the global chunks are larger "
        "than the local ones, and the client's own work, reading, weights and tables, is not parallel).",
        f"* Transfer: the panel ({pr['panel_mb']:.2f} MB) and the weights ({pr['weights_mb']:.2f} MB) are "
        f"scattered once to each of 64 workers; the results ({pr['results_mb']:.0f} MB: per chunk, counts "
        "and moments per unit and column; per global block, the simulated statistics) come back once. "
        f"At an assumed 10 Gbit/s that is about {pr['transfer_s_at_10_gbit']:.1f} s: the time goes to compute.",
        f"* Largest panel per worker: a worker holds the panel, its standardised copies and the kernels' "
        f"arrays (about 12 x 8 bytes per unit and column: {pr['worker_fixed_mb']:.0f} MB here with the "
        "64 MB budget of simulated lags); with 4 GB per worker that is about 40 million unit-columns "
        "(e.g. 40,000 units x 1,000 period-variables). A worker's memory does not grow with the "
        "permutations (its chunks' results are fetched as they finish), nor does the client's: it pools "
        "each chunk's results as they come, in block order (running sums and counts; one block of a "
        "global statistic's simulated values at a time).",
        "",
    ]
    if r.get("notes"):  # what was observed beside the figures above (written into the .json by hand)
        lines += ["## Notes", "", *[f"* {note}" for note in r["notes"]], ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--level", choices=["county", "city"], default="county")
    ap.add_argument("--permutations", type=int, default=99_999)
    ap.add_argument("--fraction", type=float, default=1.0,
                    help="share of the permutations measured (whole blocks of 10,000; the rest extrapolated)")
    ap.add_argument("--report", action="store_true", help="only rewrite the .md from the stored .json")
    args = ap.parse_args(argv)
    if args.report:
        res = json.loads((RESULTS / f"distributed_{args.level}.json").read_text())
        (RESULTS / f"distributed_{args.level}.md").write_text(report(res))
        return 0
    from distributed import Client, LocalCluster, get_task_stream

    from geodti.spatial._permutation import BLOCK
    from geodti.spatial.weights import build_weights_set

    units, contiguity = units_of(args.level)
    # the workers start first, from a small process: a child inherits its parent's peak RSS figure
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        units = units.copy()
        units["adcode"] = units["adcode"].astype(str)
        units = units.sort_values("adcode").reset_index(drop=True)
        w = build_weights_set(["queen"], units, contiguity=contiguity)["queen"]
        W = w.graph.transform("r").sparse
        panel = synthetic_panel(w.ids, W)
        n = len(w.ids)
        blocks_all = math.ceil(args.permutations / BLOCK)
        P = args.permutations if args.fraction >= 1 else max(1, round(blocks_all * args.fraction)) * BLOCK
        P = min(P, args.permutations)
        print(f"{args.level}: {n} units x {len(PERIODS)} periods x {len(VARIABLES)} variables (SYNTHETIC), "
              f"{P} of {args.permutations} permutations measured", flush=True)

        before = client.run(_worker_usage)
        load_before = os.getloadavg()
        c0 = time.process_time()
        t0 = time.perf_counter()
        with get_task_stream(client) as ts:
            two = compute(panel, w, P, client=client)
        wall = time.perf_counter() - t0
        client_cpu = time.process_time() - c0
        client_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        after = client.run(_worker_usage)
        compute_s = sum(sp["stop"] - sp["start"] for t in ts.data for sp in t["startstops"]
                        if sp["action"] == "compute")
        transfer_s = sum(sp["stop"] - sp["start"] for t in ts.data for sp in t["startstops"]
                         if sp["action"] == "transfer")
        workers = [{"cpu_s": after[k]["cpu_s"] - before[k]["cpu_s"], "peak_rss_mb": after[k]["peak_rss_mb"]}
                   for k in sorted(after)]
        cluster_res = {"wall_s": wall, "client_cpu_s": client_cpu, "client_peak_rss_mb": client_peak,
                       "workers": workers, "chunks": len(ts.data), "chunk_compute_s": compute_s,
                       "transfer_s": transfer_s, "load_average_before": load_before,
                       "load_average_after": os.getloadavg()}
        print(f"2-worker LocalCluster: {cluster_res}", flush=True)

    load_before = os.getloadavg()
    t0, c0 = time.perf_counter(), time.process_time()
    one = compute(panel, w, P)
    single = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              "load_average_before": load_before, "load_average_after": os.getloadavg()}
    print(f"one process: {single}", flush=True)
    identical = all(a.equals(b) for a, b in zip(one, two, strict=True))
    res = {
        "synthetic": True, "level": args.level, "units": n, "periods": len(PERIODS), "variables": len(VARIABLES),
        "weights": "queen", "weights_nnz": int(W.nnz), "permutations": args.permutations,
        "permutations_measured": P, "one_process": single, "local_cluster_2_workers": cluster_res,
        "identical": bool(identical),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    res["projection_64_cores"] = projection(res)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"distributed_{args.level}.json").write_text(json.dumps(res, indent=2) + "\n")
    (RESULTS / f"distributed_{args.level}.md").write_text(report(res))
    print(report(res))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
