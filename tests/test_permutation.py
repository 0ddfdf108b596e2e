"""Permutation engine: esda's draws, the three random-lag paths, memory chunking, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from geodti.spatial._localcore import local_core
from geodti.spatial._permutation import (
    RowStructure,
    global_permutations,
    local_draws,
    min_pseudo_p,
    pseudo_p,
    random_lags,
)


def test_global_permutations_are_esdas_draws():
    # esda's global statistics call np.random.permutation(y) P times after np.random.seed(seed)
    np.random.seed(42)
    y = np.random.default_rng(0).normal(size=30)
    np.random.seed(42)
    expected = [np.random.permutation(y) for _ in range(25)]
    perms = global_permutations(30, 25, 42)
    for p, e in zip(perms, expected, strict=True):
        np.testing.assert_array_equal(y[p], e)


def test_local_draws_definition_and_determinism():
    d = local_draws(50, 40, 7, 6)
    rs = np.random.RandomState(7)
    for row in d:
        np.testing.assert_array_equal(row, rs.permutation(49)[:6])
    assert d.max() <= 48 and all(len(set(r)) == 6 for r in d)  # without replacement, others only
    np.testing.assert_array_equal(d, local_draws(50, 40, 7, 6))
    assert not np.array_equal(d, local_draws(50, 40, 8, 6))
    # fewer columns are a prefix: one draw matrix serves every weights matrix
    np.testing.assert_array_equal(local_draws(50, 40, 7, 3), d[:, :3])


def brute_force_lags(Z, W, draws):
    """L[i][v, p] = sum_m w_im z_(i)[draws[p, m]], z_(i) = z without unit i (esda's definition)."""
    W = sparse.csr_array(W)
    W.setdiag(0)
    W.eliminate_zeros()
    W.sort_indices()
    out = {}
    for i in range(W.shape[0]):
        lo, hi = W.indptr[i], W.indptr[i + 1]
        if hi == lo:
            continue
        zi = np.delete(Z, i, axis=0)
        w = W.data[lo:hi]
        out[i] = np.einsum("pmv,m->vp", zi[draws[:, : hi - lo]], w)
    return out


@pytest.mark.parametrize("budget", [64 * 2**20, 2000])
def test_random_lags_all_paths_equal_brute_force(budget):
    rng = np.random.default_rng(1)
    n, V, P = 40, 5, 30
    W = np.zeros((n, n))
    for i in range(n):  # uniform rows of various sizes, unequal small rows, one dense row, one isolate
        if i == 0:
            continue
        k = 1 + i % 5
        nb = rng.choice(np.delete(np.arange(n), i), size=k, replace=False)
        W[i, nb] = 1.0 if i % 3 else rng.uniform(0.5, 2.0, size=k)
    W[7] = rng.uniform(0.1, 1.0, size=n)
    W[7, 7] = 0
    Z = rng.normal(size=(n, V))
    draws = local_draws(n, P, 3, n - 1)
    rows = RowStructure.from_matrix(W)
    assert rows.uniform.sum() > 5 and (~rows.uniform & (rows.cardinality > 0)).sum() > 5
    expected = brute_force_lags(Z, W, draws)
    seen = {}
    for i, vs, lags, scale in random_lags([Z], rows, draws, budget=budget):
        got = scale * lags[0]
        seen.setdefault(i, np.zeros((V, P)))[vs] = got
    assert set(seen) == set(expected)
    for i in expected:
        np.testing.assert_allclose(seen[i], expected[i], rtol=1e-12, atol=1e-12)


def test_memory_budget_does_not_change_results():
    rng = np.random.default_rng(2)
    n = 30
    W = (rng.uniform(size=(n, n)) < 0.15).astype(float)
    np.fill_diagonal(W, 0)
    W[W.sum(1) == 0, 0] = 1
    W[0, 0] = 0
    W[0, 1] = 1
    Y = rng.lognormal(size=(n, 7))
    kw = dict(permutations=50, seed=1)
    import geodti.spatial._permutation as perm

    a = local_core(Y, W, **kw)
    old = perm._MEMORY_BUDGET
    try:
        perm._MEMORY_BUDGET = 1000  # forces one column per chunk
        assert perm._column_chunk(7, 50, 1, None) == 1
        b = local_core(Y, W, **kw)
    finally:
        perm._MEMORY_BUDGET = old
    assert perm._column_chunk(7, 50, 1, None) == 7
    for s in a:
        np.testing.assert_allclose(a[s]["p_sim"], b[s]["p_sim"])
        np.testing.assert_allclose(a[s]["z_sim"], b[s]["z_sim"], rtol=1e-10)
    assert "sim" not in a["lisa"]  # simulated values are not kept unless asked
    c = local_core(Y, W, keep_simulations=True, **kw)
    assert c["lisa"]["sim"].shape == (n, 7, 50)
    np.testing.assert_allclose(c["lisa"]["p_sim"], a["lisa"]["p_sim"])


def test_pseudo_p_alternatives_by_hand():
    sims = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]])
    P = 9
    assert pseudo_p([8.5], sims, "greater")[0] == (1 + 1) / (P + 1)
    assert pseudo_p([8.5], sims, "lesser")[0] == (8 + 1) / (P + 1)
    assert pseudo_p([8.5], sims, "directed")[0] == (1 + 1) / (P + 1)
    assert pseudo_p([1.5], sims, "directed")[0] == (1 + 1) / (P + 1)
    # a tie counts on both sides
    assert pseudo_p([8.0], sims, "directed")[0] == (2 + 1) / (P + 1)
    assert pseudo_p([8.0], sims, "greater")[0] == (2 + 1) / (P + 1)
    # folded: |sim - 5| >= |9.5 - 5| -> none
    assert pseudo_p([9.5], sims, "folded")[0] == 1 / (P + 1)
    with pytest.raises(ValueError):
        pseudo_p([1.0], sims, "both")


def test_min_pseudo_p():
    assert min_pseudo_p(9999) == 1e-4
    assert min_pseudo_p(9999, "two-sided") == pytest.approx(3e-4)
    assert min_pseudo_p(0) == 1.0


def test_progress_is_off_by_default(capsys):
    rng = np.random.default_rng(0)
    W = np.eye(10, k=1) + np.eye(10, k=-1)
    local_core(rng.lognormal(size=(10, 2)), W, permutations=20, seed=1)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_above_one_block_pseudo_p_agrees_with_esda_in_distribution():
    # Above 10,000 permutations geodti's blocks 1, 2, ... have their own streams, esda continues
    # its one stream: the pseudo p-values are two estimates of the same probability. Tolerance:
    # 5 binomial standard errors of the difference of two independent estimates, plus 2/(P+1).
    import esda
    from libpysal.graph import Graph
    from libpysal.weights import lat2W

    from geodti.spatial._permutation import BLOCK
    from geodti.spatial.moran import Moran

    w = lat2W(7, 7)
    w.transform = "r"
    rng = np.random.default_rng(4)
    W = sparse.csr_array(w.sparse)
    y = rng.normal(size=49)
    y = y + 0.6 * (W @ y)  # SYNTHETIC, some autocorrelation: p well inside (0, 1)
    P = 2 * BLOCK
    np.random.seed(5)
    theirs = esda.Moran(y, w, permutations=P)
    g = Graph.from_W(w)
    ours = Moran(y, g, permutations=P, seed=5)
    p = theirs.p_sim
    tol = 5 * np.sqrt(2 * p * (1 - p) / P) + 2 / (P + 1)
    assert abs(ours.p_sim - p) <= tol
    assert abs(ours.EI_sim - theirs.EI_sim) <= 5 * theirs.seI_sim / np.sqrt(P) * np.sqrt(2)
    # and the first block is still esda's stream: 10,000 permutations agree exactly
    np.random.seed(5)
    assert Moran(y, g, permutations=BLOCK, seed=5).p_sim == esda.Moran(y, w, permutations=BLOCK).p_sim
