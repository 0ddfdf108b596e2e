"""Chunked permutation draws, executors (local processes, a Dask LocalCluster) and bounded memory.

Every panel here is SYNTHETIC (tests/spatial_fixtures.py). The cluster is a
``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` started by the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
from spatial_fixtures import lattice, synthetic_panel

from geodti.spatial import global_statistics, local_statistics
from geodti.spatial._permutation import BLOCK, block_stream, local_draws, permutation_blocks
from geodti.spatial.executor import ProcessExecutor, SchedulerError, connect
from geodti.spatial.weights import build_weights_set

distributed = pytest.importorskip("distributed", reason="the dask extra: pip install -e '.[dask]'")
import distributed.diagnostics.plugin  # noqa: E402

# two blocks: 10,000 permutations and 50 more
P_TWO_BLOCKS = BLOCK + 50


@pytest.fixture(scope="module")
def small():
    grid = lattice(6, 6)
    ws = build_weights_set(["queen"], grid)
    W = ws["queen"].graph.sparse.toarray()
    panel = synthetic_panel(grid["adcode"], ["2022Q1", "2022Q2"], ["dti"], seed=3, W=W, rho=0.6)
    return panel, ws["queen"]


@pytest.fixture(scope="module")
def cluster():
    import dask

    # a dead worker's task is not retried: the error comes at once
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=":0") as c:
            yield c


def _tables(panel, w, client=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loc = local_statistics(panel, w, permutations=P_TWO_BLOCKS, seed=11, client=client)
        glo = global_statistics(panel, w, permutations=P_TWO_BLOCKS, seed=11, client=client)
    return loc, glo


def test_block_draws_depend_only_on_seed_and_block():
    assert permutation_blocks(25_000) == [(0, 0, 10_000), (1, 10_000, 20_000), (2, 20_000, 25_000)]
    n, k = 40, 5
    whole = local_draws(n, BLOCK + 30, seed=7, k=k)
    # block 0 is esda's stream: RandomState(seed), one permutation of the n - 1 others per row
    rs = np.random.RandomState(7)
    assert np.array_equal(whole[:3], np.array([rs.permutation(n - 1)[:k] for _ in range(3)]))
    # block 1 drawn on its own (anywhere) gives the rows it has inside the whole
    assert np.array_equal(local_draws(n, BLOCK + 30, seed=7, k=k, block=1), whole[BLOCK:])
    # and it is not a continuation of block 0's stream
    rs = np.random.RandomState(7)
    for _ in range(BLOCK):
        rs.permutation(n - 1)
    assert not np.array_equal(rs.permutation(n - 1)[:k], whole[BLOCK])
    assert not np.array_equal(block_stream(7, 1).permutation(n), block_stream(8, 1).permutation(n))


def test_local_processes_give_identical_tables(small):
    panel, w = small
    kw = dict(statistics=("lisa", "local_geary"), permutations=P_TWO_BLOCKS, seed=11, on_budget="ignore")
    one = local_statistics(panel, w, **kw)
    two = local_statistics(panel, w, client=ProcessExecutor(2), **kw)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    assert (one["permutations"] == P_TWO_BLOCKS).all()


def test_dask_cluster_gives_identical_tables(small, cluster):
    panel, w = small
    one = _tables(panel, w)
    with distributed.Client(cluster) as client:
        on_cluster = _tables(panel, w, client=client)
    for a, b in zip(one, on_cluster, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_emerging_hotspots_on_the_cluster(small, cluster):
    from geodti.dynamics.hotspots import gi_star_panel

    panel, w = small
    kw = dict(weights=w, inference="permutation", global_window="individual_time_step", permutations=199, seed=2)
    here = gi_star_panel(panel, "dti", **kw)
    with distributed.Client(cluster) as client:
        there = gi_star_panel(panel, "dti", client=client, **kw)
    pd.testing.assert_frame_equal(here, there, check_exact=True)


class _DieOnFirstChunk(distributed.diagnostics.plugin.WorkerPlugin):
    """Kills the worker process as soon as it starts computing a chunk."""

    name = "geodti-test-die"

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing":
            os._exit(1)


def test_a_dying_worker_is_a_clear_error_and_leaves_no_folder(tmp_path, capsys):
    import dask

    from geodti.cli import main

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                      dashboard_address=":0") as c, distributed.Client(c) as client:
            client.register_plugin(_DieOnFirstChunk())
            address = c.scheduler_address.replace("tcp://", "dask://")
            out = tmp_path / "stats"
            code = main(["stats", "sample:panel", "--scheduler", address, "--out", str(out),
                         "--permutations", "99", "--periods", "2023Q1", "--variables", "dti"])
    assert code == 2
    err = capsys.readouterr().err
    assert f"a worker of the Dask scheduler at {c.scheduler_address} died" in err
    assert "run again" in err
    assert not out.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_exit_2_and_no_output(tmp_path, monkeypatch, capsys):
    from geodti.cli import main
    from geodti.spatial import executor

    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", 1.0)
    address = f"dask://127.0.0.1:{_free_port()}"
    out = tmp_path / "stats"
    started = time.perf_counter()
    code = main(["stats", "sample:panel", "--scheduler", address, "--out", str(out), "--permutations", "99"])
    assert code == 2
    assert time.perf_counter() - started < 30
    err = capsys.readouterr().err
    assert address in err and "cannot reach the Dask scheduler" in err
    assert not out.exists()
    # the run too: nothing is created
    run_out = tmp_path / "run"
    assert main(["run", "sample:panel", "--scheduler", address, "--out", str(run_out)]) == 2
    assert address in capsys.readouterr().err
    assert not run_out.exists()


def test_bad_scheduler_address():
    with pytest.raises(SchedulerError, match="dask://HOST:PORT"):
        connect("localhost")


def test_version_skew_is_a_clear_error(cluster, monkeypatch):
    def skewed(self, check=False, packages=None):  # what distributed says when versions differ
        raise ValueError("Mismatched versions found: numpy client 2.4.6, workers 1.26.4")

    monkeypatch.setattr(distributed.Client, "get_versions", skewed)
    address = cluster.scheduler_address.replace("tcp://", "dask://")
    with pytest.raises(SchedulerError, match=r"other package versions.*Mismatched versions.*same versions"):
        connect(address, timeout=10)


def test_without_a_client_nothing_of_dask_is_imported():
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "from spatial_fixtures import lattice, synthetic_panel\n"
        "from geodti.spatial import global_statistics, local_statistics\n"
        "from geodti.spatial.weights import build_weights_set\n"
        "from geodti.dynamics.hotspots import gi_star_panel\n"
        "grid = lattice(4, 4); w = build_weights_set(['queen'], grid)['queen']\n"
        "p = synthetic_panel(grid['adcode'], ['2022Q1', '2022Q2'], ['dti'])\n"
        "global_statistics(p, w, permutations=99, seed=1); local_statistics(p, w, permutations=99, seed=1)\n"
        "gi_star_panel(p, 'dti', weights=w, inference='permutation', global_window='individual_time_step',"
        " permutations=99)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    here = os.path.dirname(os.path.abspath(__file__))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(here), here])}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                         check=True)
    assert res.stdout.strip() == "[]"


def _peak_bytes(panel, w, P):
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            local_statistics(panel, w, statistics=("lisa",), permutations=P, seed=1)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_permutations(small):
    panel, w = small
    one_block = _peak_bytes(panel, w, BLOCK)
    two_blocks = _peak_bytes(panel, w, 2 * BLOCK)
    # stated bound: twice the permutations cost at most 25 % (plus 1 MB) more memory than
    # one block (the per-block results held until pooled are n x V numbers per block);
    # an (n, P) or (P, K) matrix held whole would double the draws' and lags' share
    assert two_blocks <= 1.25 * one_block + 2**20, (one_block, two_blocks)


@pytest.fixture(scope="module")
def wide():
    """36 units x 40 columns (4 periods x 10 variables): the columns make the P x V arrays show."""
    grid = lattice(6, 6)
    ws = build_weights_set(["queen"], grid)
    W = ws["queen"].graph.sparse.toarray()
    panel = synthetic_panel(grid["adcode"], ["2021", "2022", "2023", "2024"], [f"v{j}" for j in range(10)],
                            seed=5, W=W, rho=0.5)
    return panel, ws["queen"]


def _peak(fn):
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_global_and_local_memory_bounded_at_two_permutation_counts(wide):
    panel, w = wide
    peaks = {}
    for P in (2 * BLOCK, 4 * BLOCK):
        peaks["global", P] = _peak(lambda P=P: global_statistics(panel, w, statistics=("moran", "geary"),
                                                                 differential=None, permutations=P, seed=3))
        peaks["local", P] = _peak(lambda P=P: local_statistics(panel, w, statistics=("lisa",), permutations=P,
                                                               seed=3, on_budget="ignore"))
    print({k: round(v / 2**20, 2) for k, v in peaks.items()})  # MB, for the report (pytest -s)
    for kind in ("global", "local"):
        two, four = peaks[kind, 2 * BLOCK], peaks[kind, 4 * BLOCK]
        # twice the permutations: within 10 % (plus 0.5 MB) of the two-block peak. Holding the
        # simulated Moran and Geary values whole would add 2 x 20,000 x 40 x 8 bytes = 12 MB at 4 blocks
        assert four <= 1.1 * two + 2**19, (kind, two, four)


def test_pooled_blocks_match_the_whole_sample():
    from geodti.spatial._permutation import SimPool, sim_summary

    rng = np.random.default_rng(4)
    sims = rng.normal(size=(3 * 1000 + 7, 5))
    observed = np.array([0.0, 1.5, -2.0, 3.5, 0.2])
    one = SimPool(observed, "directed")
    one.add(sims)
    # one block: sim_summary's numbers exactly (esda's up to 10,000 permutations)
    for key, value in sim_summary(observed, sims, "directed").items():
        assert np.array_equal(one.summary()[key], value), key
    pooled = SimPool(observed, "directed")
    for start in range(0, sims.shape[0], 1000):
        pooled.add(sims[start:start + 1000])
    whole, got = sim_summary(observed, sims, "directed"), pooled.summary()
    assert np.array_equal(got["p_sim"], whole["p_sim"])  # no ties: the same counts
    np.testing.assert_allclose(got["mean"], whole["mean"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got["sd"], whole["sd"], rtol=1e-12)
    # the two-sided alternative needs every simulated value: the pool keeps them
    two = SimPool(observed, "two-sided")
    for start in range(0, sims.shape[0], 1000):
        two.add(sims[start:start + 1000])
    assert np.array_equal(two.summary()["p_sim"], sim_summary(observed, sims, "two-sided")["p_sim"])


def test_run_manifest_records_the_scheduler(tmp_path, cluster):
    import json

    import dask

    import geodti
    from geodti.cli import main

    address = cluster.scheduler_address.replace("tcp://", "dask://")
    out = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["run", "sample:small", "--scheduler", address, "--out", str(out), "--permutations", "99"]) == 0
    record = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["scheduler"]
    assert record["address"] == address
    assert record["scheduler"] == cluster.scheduler_address
    assert (record["workers"], record["threads"]) == (2, 2)
    # the workers' versions, one set (connect refused a skew)
    assert len(record["versions"]) == 1
    versions = record["versions"][0]
    assert versions["geodti"] == geodti.__version__
    assert versions["dask"] == dask.__version__ and versions["distributed"] == distributed.__version__
    assert versions["numpy"] == np.__version__
