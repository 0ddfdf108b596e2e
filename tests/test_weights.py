"""Weights: spec parsing, every kind on synthetic lattices and the bundled gazetteer, island policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from spatial_fixtures import lattice, lattice_with_islands

from geodti.errors import InputError, MethodError
from geodti.spatial import Weights, build_weights_set, parse_weights_spec, parse_weights_specs, weights_summary
from geodti.geo import pairwise_haversine_km as great_circle_km, unit_points


def dense(w, which="original"):
    g = w.original if which == "original" else w.graph
    return g.sparse.toarray()


# ------------------------------------------------------------------ specs
@pytest.mark.parametrize(
    "text, kind, label, attrs",
    [
        ("queen", "queen", "queen", {}),
        ("Rook", "rook", "rook", {}),
        ("knn6", "knn", "knn6", {"k": 6}),
        ("idw", "idw", "idw", {"power": 1.0, "cutoff_km": None}),
        ("idw2", "idw", "idw2", {"power": 2.0}),
        ("idw2:500", "idw", "idw2:500", {"power": 2.0, "cutoff_km": 500.0}),
        ("band300", "band", "band300", {"threshold_km": 300.0}),
        ("band250.5", "band", "band250.5", {"threshold_km": 250.5}),
        ("kernel", "kernel", "kernel:gaussian:k6", {"kernel": "gaussian", "k": 6}),
        ("kernel:triangular:k8", "kernel", "kernel:triangular:k8", {"k": 8}),
        ("kernel:bisquare:200", "kernel", "kernel:bisquare:200", {"bandwidth_km": 200.0}),
        ("block", "block", "block", {}),
        ("econ:gdp_pc", "econ", "econ:gdp_pc", {"column": "gdp_pc"}),
        ("nested:gdp_pc", "nested", "nested:gdp_pc:0.5", {"phi": 0.5}),
        ("nested:gdp_pc:0.3", "nested", "nested:gdp_pc:0.3", {"phi": 0.3, "column": "gdp_pc"}),
    ],
)
def test_parse_spec(text, kind, label, attrs):
    s = parse_weights_spec(text)
    assert (s.kind, s.label) == (kind, label)
    for k, v in attrs.items():
        assert getattr(s, k) == v


@pytest.mark.parametrize("bad", ["knn0", "queenx", "band", "band-3", "idw:abc", "kernel:foo", "nested:x:1.5", "econ:"])
def test_parse_spec_rejects(bad):
    with pytest.raises(InputError):
        parse_weights_spec(bad)


def test_parse_specs_list_and_duplicates():
    assert [s.label for s in parse_weights_specs("queen, knn6,idw")] == ["queen", "knn6", "idw"]
    with pytest.raises(InputError, match="twice"):
        parse_weights_specs("knn6,knn6")


# ------------------------------------------------------------------ distances and points
def test_great_circle_known_distance():
    # Beijing (116.4074, 39.9042) - Shanghai (121.4737, 31.2304): about 1068 km
    d = great_circle_km(np.array([116.4074, 121.4737]), np.array([39.9042, 31.2304]))
    assert d[0, 1] == pytest.approx(1067.3, abs=2.0)
    assert d[0, 0] == 0 and d[0, 1] == d[1, 0]


def test_unit_points_centroid_inside_and_fallback():
    grid = lattice(2, 2)
    pts = unit_points(grid)
    assert (pts["point"] == "centroid").all()
    # the centroid of a square is its centre (equal-area projection keeps it inside)
    assert pts.loc["100100", "lon"] == pytest.approx(110.25, abs=1e-3)
    assert pts.loc["100100", "lat"] == pytest.approx(30.25, abs=1e-2)
    # a U-shaped unit: centroid outside, representative point used instead
    from shapely.geometry import Polygon

    u = Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    from shapely import affinity

    gdf = grid.iloc[:1].copy()
    gdf["geometry"] = [affinity.translate(u, 110, 30)]
    p = unit_points(gdf)
    assert p["point"].iloc[0] == "representative_point"


# ------------------------------------------------------------------ contiguity
def test_queen_and_rook_on_lattice():
    grid = lattice(3, 3)
    q = Weights.build_queen(grid)
    r = Weights.build_rook(grid)
    Q, R = dense(q), dense(r)
    centre = 4
    assert Q[centre].sum() == 8 and R[centre].sum() == 4
    assert Q[0].sum() == 3 and R[0].sum() == 2
    assert (Q == Q.T).all()
    # row-standardised graph sums to one per row
    np.testing.assert_allclose(dense(q, "graph").sum(axis=1), 1.0)
    assert q.transform == "R" and q.summary()["symmetric"].item()


def test_contiguity_table_equals_polygons():
    grid = lattice(3, 4)
    q = Weights.build_queen(grid)
    pairs = q.original.adjacency.reset_index()
    pairs = pairs[pairs["focal"] < pairs["neighbor"]][["focal", "neighbor"]]
    pairs.columns = ["adcode_a", "adcode_b"]
    q2 = Weights.build_queen(grid[["adcode", "name"]].assign(lon=unit_points(grid)["lon"].to_numpy(),
                                                             lat=unit_points(grid)["lat"].to_numpy()),
                             contiguity=pairs)
    np.testing.assert_array_equal(dense(q), dense(q2))
    r2 = Weights.build_rook(grid, contiguity=pairs)
    assert any("identical" in n for n in r2.notes)


# ------------------------------------------------------------------ island policy
def test_island_policy_attach_default_connects_with_fewest_links():
    units = lattice_with_islands()
    w = Weights.build_queen(units)
    assert w.isolates_before == ["900300"]
    assert w.components_before == 3
    assert len(w.attached) == 2  # one link for the island, one for the 2-unit component
    s = w.summary().iloc[0]
    assert s["components"] == 1 and s["islands"] == 0 and s["attached_links"] == 2
    island = w.attached[w.attached["focal"] == "900300"].iloc[0]
    # the island (110.5-111E, 26-26.5N) is nearest to the grid's bottom row, column 1
    assert island["neighbor"] == "100200"
    assert island["reason"] == "island"
    comp = w.attached[w.attached["reason"].str.startswith("component")].iloc[0]
    assert comp["focal"] == "900100" and comp["neighbor"] == "100400"  # closest pair of the two components
    A = dense(w)
    i = w.ids.get_loc("900300")
    assert A[i].sum() == 1 and (A == A.T).all()  # symmetric link
    assert any("SYN_island" in n for n in w.notes)


def test_island_policy_keep_and_drop():
    units = lattice_with_islands()
    keep = Weights.build_queen(units, island_policy="keep")
    i = keep.ids.get_loc("900300")
    assert dense(keep, "graph")[i].sum() == 0
    assert keep.summary()["islands"].item() == 1 and keep.summary()["components"].item() == 3
    drop = Weights.build_queen(units, island_policy="drop")
    assert "900300" not in drop.ids and drop.dropped == ["900300"]
    assert drop.n == len(units) - 1
    assert drop.summary()["components"].item() == 2  # the detached pair stays


def test_k_attach_two_links():
    units = lattice_with_islands()
    w = Weights.build_queen(units, k_attach=2)
    assert (w.attached["focal"] == "900300").sum() == 2


def test_bad_island_policy():
    with pytest.raises(InputError):
        Weights.build_queen(lattice(2, 2), island_policy="ignore")


# ------------------------------------------------------------------ distance weights
def test_knn_band_idw_kernel_on_lattice():
    grid = lattice(4, 4)
    pts = unit_points(grid)
    d = great_circle_km(pts["lon"].to_numpy(), pts["lat"].to_numpy())
    knn = Weights.build_knn(grid, 3)
    K = dense(knn)
    assert (K.sum(axis=1) == 3).all()
    for i in range(len(grid)):
        dd = d[i].copy()
        dd[i] = np.inf
        assert set(np.flatnonzero(K[i])) <= set(np.flatnonzero(dd <= np.sort(dd)[2] + 1e-9))
    band = Weights.build_distance_band(grid, 60.0)
    B = dense(band)
    off = ~np.eye(len(grid), dtype=bool)
    np.testing.assert_array_equal(B[off] > 0, (d <= 60.0)[off])
    idw2 = Weights.build_inverse_distance(grid, 2.0)
    np.testing.assert_allclose(dense(idw2)[off], d[off] ** -2)
    idwc = Weights.build_inverse_distance(grid, 1.0, cutoff_km=100)
    assert (dense(idwc)[(d > 100) & off] == 0).all()
    ker = Weights.build_kernel(grid, "gaussian", k=4)
    KK = dense(ker)
    assert (np.count_nonzero(KK, axis=1) >= 4).all()
    assert KK.max() <= 1 / np.sqrt(2 * np.pi) + 1e-12  # libpysal's gaussian kernel, no self-weight
    assert np.allclose(np.diag(KK), 0)


def test_fixed_bandwidth_kernel_with_isolates_needs_a_choice():
    units = lattice_with_islands()
    with pytest.raises(MethodError, match="adaptive"):
        Weights.build_kernel(units, "triangular", k=None, bandwidth_km=80, island_policy="attach")
    w = Weights.build_kernel(units, "triangular", k=None, bandwidth_km=80)  # auto -> keep
    assert w.island_policy == "keep" and "900300" in w.isolates_before


# ------------------------------------------------------------------ block, economic, nested
def test_block_weights_unit_in_two_agglomerations():
    grid = lattice(2, 3)
    codes = grid["adcode"].tolist()
    agg = pd.DataFrame({"agglomeration": ["A", "A", "A", "B", "B"], "adcode": [codes[0], codes[1], codes[2], codes[2], codes[3]]})
    w = Weights.build_block(grid, agg)
    A = dense(w)
    ix = {c: i for i, c in enumerate(w.ids)}
    assert A[ix[codes[2]]].sum() == 3  # neighbours of both blocks
    assert A[ix[codes[0]], ix[codes[3]]] == 0
    assert w.island_policy == "keep"
    assert set(w.isolates_before) == {codes[4], codes[5]}
    assert any("two agglomerations" in n for n in w.notes)


def test_economic_and_nested_weights_by_hand():
    grid = lattice(1, 4)
    x = pd.Series([1.0, 2.0, 4.0, 8.0], index=grid["adcode"])
    e = Weights.build_economic(grid, x, label="gdp")
    E = dense(e)
    assert E[0, 1] == pytest.approx(1.0) and E[0, 3] == pytest.approx(1 / 7) and E[2, 3] == pytest.approx(0.25)
    nst = Weights.build_nested(grid, x, 0.3, label="gdp")
    pts = unit_points(grid)
    d = great_circle_km(pts["lon"].to_numpy(), pts["lat"].to_numpy())
    with np.errstate(divide="ignore"):
        geo = np.where(np.eye(4, dtype=bool), 0, 1 / d)
    geo = geo / geo.sum(axis=1, keepdims=True)
    ec = E / E.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(dense(nst, "graph"), 0.3 * geo + 0.7 * ec, rtol=1e-12)
    assert nst.label == "nested:gdp:0.3"
    with pytest.raises(MethodError, match="same value"):
        Weights.build_economic(grid, pd.Series([1.0, 1.0, 2.0, 3.0], index=grid["adcode"]))


def test_from_spec_econ_averages_panel_and_names_missing():
    grid = lattice(1, 3)
    panel = pd.DataFrame({"adcode": list(grid["adcode"]) * 2, "period": ["2021Q1"] * 3 + ["2021Q2"] * 3,
                          "gdp": [1.0, 2.0, 5.0, 3.0, 4.0, 7.0]})
    w = Weights.from_spec("econ:gdp", grid, data=panel)
    E = dense(w)
    assert E[0, 1] == pytest.approx(1 / abs(2.0 - 3.0)) and E[0, 2] == pytest.approx(1 / 4.0)
    with pytest.raises(InputError, match="no value"):
        Weights.from_spec("econ:gdp", grid, data=panel[panel["adcode"] != grid["adcode"][1]])


def test_build_weights_set_builds_each_spec_once_and_summary():
    grid = lattice(3, 3)
    ws = build_weights_set(["queen", "knn3", "idw"], grid)
    assert list(ws) == ["queen", "knn3", "idw"]
    s = weights_summary(ws)
    assert list(s["weights"]) == ["queen", "knn3", "idw"]
    assert s.loc[s.weights == "idw", "pct_nonzero"].item() == pytest.approx(100 * 72 / 81)
    assert s.loc[s.weights == "knn3", "mean_neighbours"].item() == 3
    assert {"units", "islands", "components", "mean_neighbours", "max_neighbours", "pct_nonzero"} <= set(s.columns)


def test_from_graph_wraps_libpysal():
    g = Graph.build_contiguity(lattice(2, 2).set_index("adcode"), rook=True)
    w = Weights.from_graph(g, "mine")
    assert w.label == "mine" and w.n == 4
    np.testing.assert_allclose(dense(w, "graph").sum(axis=1), 1.0)


# ------------------------------------------------------------------ bundled data
def test_gazetteer_points_knn_and_band_on_370_units():
    from geodti import gazetteer

    units = gazetteer()
    w = Weights.from_spec("knn6", units)
    assert w.n == 370 and (np.count_nonzero(dense(w), axis=1) >= 6).all()
    b = Weights.from_spec("band300", units)
    s = b.summary().iloc[0]
    # 三沙 (460300) is far from every other unit: an island under a 300 km band, attached
    assert "460300" in s["island_units"]
    assert s["islands"] == 0 and s["components"] == 1
    assert "460300" in set(b.attached["focal"]) | set(b.attached["neighbor"])


def test_bundled_queen_islands_and_hainan():
    """On the shipped contiguity: 969 pairs, two islands, Hainan detached; attach connects all."""
    boundaries = pytest.importorskip("geodti.places.boundaries", reason="bundled boundaries not on this branch yet")
    from geodti import gazetteer

    pairs = boundaries.queen_pairs(level="city")
    units = gazetteer()
    keep = Weights.from_spec("queen", units, contiguity=pairs, island_policy="keep")
    assert int(np.count_nonzero(keep.O.toarray())) == 2 * 969
    assert sorted(keep.isolates_before) == ["460300", "710000"]
    assert keep.components_before == 4  # mainland, Hainan (18 units), 三沙, 台湾
    w = Weights.from_spec("queen", units, contiguity=pairs)
    assert len(w.attached) == 3 and w.summary()["components"].item() == 1
    tw = w.attached[(w.attached.focal == "710000") | (w.attached.neighbor == "710000")].iloc[0]
    assert {tw.focal[:2], tw.neighbor[:2]} == {"71", "35"}  # Taiwan joins Fujian
    hn = w.attached[w.attached.reason.str.startswith("component")].iloc[0]
    assert {hn.focal[:2], hn.neighbor[:2]} == {"46", "44"}  # Hainan joins Guangdong
    rook = Weights.from_spec("rook", units, contiguity=pairs)
    np.testing.assert_array_equal(rook.O.toarray(), w.O.toarray())


@pytest.mark.parametrize("level", ["province", "city", "county"])
def test_bundled_contiguity_of_each_level(level):
    """One code path for every level: the bundled inputs carry that level's shipped pairs, and
    queen weights built on a part of the level link exactly the shipped pairs inside it."""
    from geodti.places import boundaries
    from geodti.spatial.pipeline import bundled_inputs

    bundled = bundled_inputs(level=level)
    pairs = boundaries.queen_pairs(level)
    pd.testing.assert_frame_equal(bundled["contiguity"], pairs)
    units = bundled["units"]
    assert set(boundaries.layer(level)["adcode"]) == set(units["adcode"])
    # a subset: the units of 广东 (44) and 广西 (45)
    part = units[units["adcode"].str[:2].isin(["44", "45"])].sort_values("adcode").reset_index(drop=True)
    w = Weights.from_spec("queen", part, contiguity=bundled["contiguity"], island_policy="keep")
    codes = part["adcode"].tolist()
    inside = pairs[pairs["adcode_a"].isin(codes) & pairs["adcode_b"].isin(codes)]
    assert int(np.count_nonzero(w.O.toarray())) == 2 * len(inside) > 0


def test_spatial_tables_picks_the_level_of_the_units():
    """A county panel (SYNTHETIC values) gets county weights: one queen link per shipped pair."""
    from geodti.places import boundaries
    from geodti.spatial.pipeline import spatial_tables

    counties = boundaries.counties()
    beijing = counties[counties["city_adcode"] == "110100"]["adcode"].tolist()
    rng = np.random.default_rng(3)
    panel = pd.DataFrame({"adcode": beijing, "period": "2021", "x": rng.normal(size=len(beijing))})
    tables = spatial_tables(panel, ["queen"], variables=["x"], permutations=999, seed=1, level="county")
    pairs = boundaries.queen_pairs("county")
    inside = pairs[pairs["adcode_a"].isin(beijing) & pairs["adcode_b"].isin(beijing)]
    summary = tables["weights"].iloc[0]
    assert summary["units"] == len(beijing) == 16
    assert summary["islands_before"] == 0 and summary["attached_links"] == 0
    # mean neighbours of the shipped pairs inside Beijing: each pair counts for both units
    assert summary["mean_neighbours"] == pytest.approx(2 * len(inside) / len(beijing))
    with pytest.raises(InputError, match="not units of the boundary layer"):
        spatial_tables(panel, ["queen"], variables=["x"], permutations=99, seed=1, level="province")


def test_rook_at_county_level_is_refused_without_polygons():
    """Counties touching at a point make Rook differ from the shipped Queen pairs: no silent reuse."""
    from geodti.places import boundaries
    from geodti.spatial.pipeline import spatial_tables

    assert boundaries.rook_equals_queen("city") and boundaries.rook_equals_queen("province")
    assert not boundaries.rook_equals_queen("county")
    panel = pd.DataFrame({"adcode": ["110101", "110102", "110105"], "period": "2021", "x": [1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match="rook weights are not shipped at the county level"):
        spatial_tables(panel, ["rook"], variables=["x"], permutations=9, seed=1, level="county")
