"""Spatial weights for city-level panels, built on :class:`libpysal.graph.Graph`.

One public class, :class:`Weights`, with one ``build_*`` constructor per kind of
weights (as in ``libpysal.graph``) and :meth:`Weights.from_spec` for the short spec
strings the command line uses (``"queen"``, ``"knn6"``, ``"idw2"``, ``"band300"``,
``"kernel"``, ``"block"``, ``"econ:gdp_pc"``, ``"nested:gdp_pc:0.5"``).

Every :class:`Weights` keeps

* ``graph``: the libpysal Graph the statistics use (row-standardised by default);
* ``original``: the same links with their untransformed weights (binary 1 for
  contiguity, kNN, distance band and block weights; ``d^-p`` for inverse distance ...);
* what the island policy changed (``attached``, ``dropped``, ``notes``) and a one-row
  :meth:`~Weights.summary`.

Unit locations
--------------
Distances are great-circle distances (km, sphere of radius 6371.0088 km, the IUGG
mean Earth radius) between one point per unit. For a polygon layer the point is the
polygon's centroid computed in an Albers equal-area projection for China
(:data:`geodti.geo.ALBERS_CHINA`, :func:`geodti.geo.unit_points`); where that centroid falls outside the unit (multi-part or
crescent-shaped units such as 三沙), the representative point (always inside the
polygon) is used instead, and the substitution is listed in ``notes``. A table with
``lon``/``lat`` columns is used as given.

Island policy
-------------
On the bundled boundaries 三沙 (460300) and 台湾 (710000) have no contiguous neighbour
and Hainan's 18 units form a separate component. ``island_policy`` decides:

``"attach"`` (default for geographic weights)
    Link every isolate and every component other than the largest to its
    ``k_attach`` nearest units outside it (symmetric links, distance between unit
    points), smallest component first, until the graph is connected. ``k_attach=1``
    by default: the fewest links that connect the graph (e.g. Hainan joins the
    mainland by its single closest pair), so the statistics change as little as
    possible compared with leaving the islands out. Every added link is listed in
    ``attached`` and ``notes``.
``"keep"``
    Keep isolates as units without neighbours (zero rows). Their spatial lag is 0,
    they count in ``n`` for global statistics, and their local statistics are
    reported as undefined (NaN) rather than significant.
``"drop"``
    Remove isolates from the analysis (listed in ``dropped``). Detached components
    with internal neighbours are kept as they are.
``"auto"``
    ``"attach"`` for contiguity, distance-band, kNN and inverse-distance weights;
    ``"keep"`` for block weights (units outside every agglomeration are outside
    every block by design) and for kernel weights.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from geodti.errors import InputError, MethodError
from geodti.geo import pairwise_haversine_km, unit_ids, unit_points

__all__ = [
    "ISLAND_POLICIES",
    "Weights",
    "WeightsSpec",
    "build_weights_set",
    "parse_weights_spec",
    "parse_weights_specs",
    "weights_summary",
]

ISLAND_POLICIES = ("auto", "attach", "keep", "drop")
KERNELS = ("triangular", "parabolic", "gaussian", "bisquare", "cosine", "exponential", "boxcar")
DEFAULT_KNN_KERNEL = 6
_BINARY_KINDS = ("queen", "rook", "knn", "band", "block")

#: The weights specs users can write (the CLI's help and the errors quote it).
SPEC_HELP = (
    "weights specs: queen, rook, knnK (e.g. knn6), idw, idw2, idw:CUTOFF_KM, idw2:CUTOFF_KM, "
    "bandKM (e.g. band300), kernel, kernel:NAME, kernel:NAME:kK, kernel:NAME:BANDWIDTH_KM, "
    "block, econ:COLUMN, nested:COLUMN[:PHI]"
)


# --------------------------------------------------------------------------------------
# Specs
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightsSpec:
    """A parsed weights specification; ``label`` is the canonical spec string."""

    kind: str
    label: str
    k: int | None = None
    power: float | None = None
    cutoff_km: float | None = None
    threshold_km: float | None = None
    kernel: str | None = None
    bandwidth_km: float | None = None
    column: str | None = None
    phi: float | None = None

    @property
    def needs_data(self) -> bool:
        """True for economic and nested weights, which need a user variable."""
        return self.kind in ("econ", "nested")


def _number(text: str, spec: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"weights spec '{spec}': {what} '{text}' is not a number; {SPEC_HELP}") from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"weights spec '{spec}': {what} must be a positive number, got '{text}'")
    return value


def _fmt(x: float) -> str:
    return f"{x:g}"


def parse_weights_spec(text: str) -> WeightsSpec:
    """Parse one weights spec string such as ``"knn6"`` or ``"nested:gdp_pc:0.5"``.

    Parameters
    ----------
    text : str
        One of ``queen``, ``rook``, ``knnK``, ``idw``, ``idw2``, ``idw:CUTOFF_KM``,
        ``idw2:CUTOFF_KM``, ``bandKM``, ``kernel``, ``kernel:NAME``, ``kernel:NAME:kK``,
        ``kernel:NAME:BANDWIDTH_KM``, ``block``, ``econ:COLUMN``, ``nested:COLUMN[:PHI]``.

    Returns
    -------
    WeightsSpec
    """
    raw = str(text).strip()
    s = raw.lower()
    if s in ("queen", "rook", "block"):
        return WeightsSpec(kind=s, label=s)
    if m := re.fullmatch(r"knn(\d+)", s):
        k = int(m.group(1))
        if k < 1:
            raise InputError(f"weights spec '{raw}': k must be at least 1")
        return WeightsSpec(kind="knn", label=f"knn{k}", k=k)
    if m := re.fullmatch(r"idw(2?)(?::(.+))?", s):
        power = 2.0 if m.group(1) else 1.0
        cutoff = _number(m.group(2), raw, "cut-off (km)") if m.group(2) else None
        label = "idw2" if power == 2 else "idw"
        if cutoff is not None:
            label += f":{_fmt(cutoff)}"
        return WeightsSpec(kind="idw", label=label, power=power, cutoff_km=cutoff)
    if m := re.fullmatch(r"band(.+)", s):
        d = _number(m.group(1), raw, "distance band (km)")
        return WeightsSpec(kind="band", label=f"band{_fmt(d)}", threshold_km=d)
    if s == "kernel" or s.startswith("kernel:"):
        parts = s.split(":")
        name = parts[1] if len(parts) > 1 and parts[1] else "gaussian"
        if name not in KERNELS:
            raise InputError(f"weights spec '{raw}': unknown kernel '{name}'; use one of {', '.join(KERNELS)}")
        if len(parts) > 3:
            raise InputError(f"weights spec '{raw}' has too many parts; {SPEC_HELP}")
        bw = parts[2] if len(parts) == 3 else f"k{DEFAULT_KNN_KERNEL}"
        if bw.startswith("k"):
            k = int(_number(bw[1:], raw, "number of neighbours"))
            return WeightsSpec(kind="kernel", label=f"kernel:{name}:k{k}", kernel=name, k=k)
        h = _number(bw, raw, "bandwidth (km)")
        return WeightsSpec(kind="kernel", label=f"kernel:{name}:{_fmt(h)}", kernel=name, bandwidth_km=h)
    if s.startswith("econ:"):
        column = raw.split(":", 1)[1].strip()
        if not column:
            raise InputError(f"weights spec '{raw}': name the variable, e.g. econ:gdp_per_capita")
        return WeightsSpec(kind="econ", label=f"econ:{column}", column=column)
    if s.startswith("nested:"):
        parts = raw.split(":")
        if len(parts) not in (2, 3) or not parts[1].strip():
            raise InputError(f"weights spec '{raw}': use nested:COLUMN or nested:COLUMN:PHI (0 <= PHI <= 1)")
        column = parts[1].strip()
        phi = 0.5
        if len(parts) == 3:
            try:
                phi = float(parts[2])
            except ValueError:
                raise InputError(f"weights spec '{raw}': PHI '{parts[2]}' is not a number") from None
            if not 0.0 <= phi <= 1.0:
                raise InputError(f"weights spec '{raw}': PHI must lie in [0, 1], got {phi}")
        return WeightsSpec(kind="nested", label=f"nested:{column}:{_fmt(phi)}", column=column, phi=phi)
    raise InputError(f"unknown weights spec '{raw}'; {SPEC_HELP}")


def parse_weights_specs(text: str | list[str] | tuple[str, ...]) -> list[WeightsSpec]:
    """Parse a comma-separated list of specs (``"queen,knn6,idw"``); duplicates are an error."""
    items = text.split(",") if isinstance(text, str) else list(text)
    specs = [parse_weights_spec(t) for t in items if str(t).strip()]
    if not specs:
        raise InputError(f"no weights spec given; {SPEC_HELP}")
    labels = [s.label for s in specs]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise InputError(f"weights spec(s) given twice: {', '.join(dup)}")
    return specs


# --------------------------------------------------------------------------------------
# Unit points and distances
# --------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------
# Graph helpers
# --------------------------------------------------------------------------------------
def _edges_csr(n: int, heads, tails, weights) -> sparse.csr_array:
    """CSR matrix of the links (no explicit zeros, sorted column indices)."""
    m = sparse.csr_array((np.asarray(weights, float), (np.asarray(heads, np.int64), np.asarray(tails, np.int64))),
                         shape=(n, n))
    m.sum_duplicates()
    m.eliminate_zeros()
    m.sort_indices()
    return m


def transformed_matrix(O: sparse.csr_array, transform: str) -> sparse.csr_array | None:
    """Row-standardised, binary or original weights without libpysal (None: ask libpysal)."""
    if transform == "O":
        return O
    if transform == "R":
        r = np.asarray(O.sum(axis=1)).ravel()
        inv = np.divide(1.0, r, out=np.zeros_like(r), where=r != 0)
        T = sparse.csr_array(sparse.diags(inv) @ O)
    elif transform == "B":
        T = O.copy()
        T.data[:] = 1.0
    else:
        return None
    T.eliminate_zeros()
    T.sort_indices()
    return T


def _to_graph(ids: pd.Index, heads: np.ndarray, tails: np.ndarray, weights: np.ndarray):
    """A libpysal Graph in ``ids`` order; isolates become zero self-loops (libpysal's convention)."""
    from libpysal.graph import Graph

    n = len(ids)
    heads = np.asarray(heads, dtype=np.int64)
    tails = np.asarray(tails, dtype=np.int64)
    weights = np.asarray(weights, dtype=float)
    keep = heads != tails
    heads, tails, weights = heads[keep], tails[keep], weights[keep]
    has = np.zeros(n, dtype=bool)
    has[heads] = True
    iso = np.flatnonzero(~has)
    heads = np.concatenate([heads, iso])
    tails = np.concatenate([tails, iso])
    weights = np.concatenate([weights, np.zeros(len(iso))])
    order = np.lexsort((tails, heads))
    labels = np.asarray(ids, dtype=object)
    return Graph.from_arrays(labels[heads[order]], labels[tails[order]], weights[order])


def _csr(graph) -> sparse.csr_array:
    m = sparse.csr_array(graph.sparse)
    m.eliminate_zeros()
    return m


def _components(matrix: sparse.csr_array) -> np.ndarray:
    sym = (matrix + matrix.T) != 0
    return csgraph.connected_components(sym, directed=False)[1]


def _pairs_to_positions(pairs: pd.DataFrame, ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the two adcode columns of a contiguity pair table (pairs outside ``ids`` are skipped)."""
    cols = [c for c in pairs.columns if str(c).startswith("adcode")]  # queen_pairs: adcode_a, name_a, adcode_b ...
    if len(cols) != 2:
        cols = [c for c in pairs.columns if not str(c).startswith(("name", "weight", "shared", "length", "kind"))]
    if len(cols) < 2:
        raise InputError(f"contiguity table needs two adcode columns (adcode_a, adcode_b); got {list(pairs.columns)}")
    a = pairs[cols[0]].astype(str).to_numpy()
    b = pairs[cols[1]].astype(str).to_numpy()
    pa = ids.get_indexer(a)
    pb = ids.get_indexer(b)
    keep = (pa >= 0) & (pb >= 0) & (pa != pb)
    return pa[keep], pb[keep]


def _label(ids: pd.Index, names: pd.Series | None, pos: int) -> str:
    code = ids[pos]
    if names is not None and code in names.index and isinstance(names.get(code), str):
        return f"{names[code]} ({code})"
    return str(code)


# --------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------
@dataclass
class Weights:
    """Spatial weights over a set of units, with the island policy's record.

    Build with one of the ``build_*`` class methods or :meth:`from_spec`; do not call
    the constructor directly.

    Attributes
    ----------
    graph : libpysal.graph.Graph
        Weights used by the statistics (transformed; row-standardised by default).
    original : libpysal.graph.Graph
        The same links, untransformed.
    spec : WeightsSpec
    label : str
        Canonical spec string; the ``weights`` column of every output table.
    ids : pandas.Index
        Unit adcodes, in the order of the weights matrix.
    island_policy : str
        Policy applied (``attach``, ``keep`` or ``drop``; ``auto`` is resolved).
    isolates_before : list of str
        Units without a neighbour before the policy.
    components_before : int
        Connected components before the policy.
    attached : DataFrame
        Links added by ``attach`` (focal, neighbor, distance_km, reason).
    dropped : list of str
        Units removed by ``drop``.
    notes : list of str
        Human-readable notes (what was attached, substituted points, equal pair sets).
    """

    O: sparse.csr_array
    T: sparse.csr_array | None
    spec: WeightsSpec
    ids: pd.Index
    island_policy: str
    k_attach: int
    transform: str
    isolates_before: list[str] = field(default_factory=list)
    components_before: int = 1
    attached: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["focal", "neighbor", "distance_km", "reason"])
    )
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def sparse(self) -> sparse.csr_array:
        """Transformed weights as a CSR matrix (rows and columns in ``ids`` order)."""
        if self.T is None:
            self.T = _csr(self.graph)
        return self.T

    def lag(self, values) -> np.ndarray:
        """Spatial lag with row-standardised weights: each unit's mean over its neighbours
        (0 for a unit without neighbours), ``values`` in ``ids`` order. The lag of the Moran
        scatterplot, whatever the transformation the statistics use."""
        values = np.asarray(values, dtype=float)
        if values.shape != (self.n,):
            raise ValueError(f"lag needs {self.n} values in ids order, got shape {values.shape}")
        return transformed_matrix(self.O, "R") @ values

    @property
    def original(self):
        """The untransformed weights as a libpysal ``Graph`` (built on first use)."""
        if getattr(self, "_original", None) is None:
            coo = self.O.tocoo()
            self._original = _to_graph(self.ids, coo.row, coo.col, coo.data)
        return self._original

    @property
    def graph(self):
        """The weights the statistics use, as a libpysal ``Graph`` (built on first use)."""
        if getattr(self, "_graph", None) is None:
            if self.transform == "O":
                self._graph = self.original
            else:
                self._graph = self.original.transform(self.transform)
        return self._graph

    def __repr__(self) -> str:
        return f"<Weights {self.label}: {self.n} units, policy={self.island_policy}, transform={self.transform}>"

    # ---------------------------------------------------------------- summary
    def summary(self) -> pd.DataFrame:
        """One-row table describing the weights (units, islands, components, neighbours ...)."""
        off = self.O.copy()
        off.setdiag(0)
        off.eliminate_zeros()
        card = np.diff(off.indptr)
        comps = _components(off)
        n = self.n
        sym = bool(abs(off - off.T).sum() == 0)
        isolates_after = [self.ids[i] for i in np.flatnonzero(card == 0)]
        return pd.DataFrame(
            {
                "weights": [self.label],
                "kind": [self.spec.kind],
                "units": [n],
                "islands_before": [len(self.isolates_before)],
                "island_units": [";".join(self.isolates_before)],
                "components_before": [self.components_before],
                "island_policy": [self.island_policy],
                "k_attach": [self.k_attach if self.island_policy == "attach" else np.nan],
                "attached_links": [len(self.attached)],
                "dropped_units": [";".join(self.dropped)],
                "islands": [len(isolates_after)],
                "components": [int(comps.max() + 1) if n else 0],
                "mean_neighbours": [float(card.mean()) if n else np.nan],
                "min_neighbours": [int(card.min()) if n else 0],
                "max_neighbours": [int(card.max()) if n else 0],
                "pct_nonzero": [100.0 * off.nnz / (n * n) if n else np.nan],
                "symmetric": [sym],
                "transform": [self.transform],
                "notes": [" | ".join(self.notes)],
            }
        )

    # ---------------------------------------------------------------- core
    @classmethod
    def _finish(
        cls,
        spec: WeightsSpec,
        ids: pd.Index,
        heads: np.ndarray,
        tails: np.ndarray,
        weights: np.ndarray,
        *,
        points: pd.DataFrame | None,
        names: pd.Series | None,
        island_policy: str,
        k_attach: int,
        transform: str,
        notes: list[str],
        attach_weight=None,
    ) -> Weights:
        """Apply the island policy, build the Graphs and the record."""
        if island_policy not in ISLAND_POLICIES:
            raise InputError(f"island_policy must be one of {', '.join(ISLAND_POLICIES)}; got '{island_policy}'")
        if island_policy == "auto":
            island_policy = "keep" if spec.kind in ("block", "kernel") else "attach"
        if k_attach < 1:
            raise InputError(f"k_attach must be at least 1, got {k_attach}")
        n = len(ids)
        heads = np.asarray(heads, np.int64)
        tails = np.asarray(tails, np.int64)
        weights = np.asarray(weights, float)
        nz = (weights != 0) & (heads != tails)
        heads, tails, weights = heads[nz], tails[nz], weights[nz]
        m = sparse.csr_array((np.ones(len(heads)), (heads, tails)), shape=(n, n))
        card = np.diff(m.indptr)
        isolates = np.flatnonzero(card == 0)
        comps = _components(m)
        n_comp = int(comps.max() + 1) if n else 0
        isolates_before = [str(ids[i]) for i in isolates]
        attached_rows: list[dict] = []
        dropped: list[str] = []
        notes = list(notes)

        if island_policy == "attach" and n_comp > 1:
            if points is None:
                raise MethodError(
                    f"weights '{spec.label}': attaching islands needs unit locations; pass polygons or lon/lat"
                )
            if attach_weight is None:
                raise MethodError(
                    f"weights '{spec.label}' has {len(isolates)} isolate(s) and {n_comp} components, and its "
                    "weights are "
                    "not defined beyond its bandwidth; use an adaptive kernel (kernel:NAME:kK), a wider bandwidth, or "
                    "island_policy='keep' or 'drop'"
                )
            dist = pairwise_haversine_km(points["lon"].to_numpy(), points["lat"].to_numpy())
            h, t, w, rows = _attach(heads, tails, weights, n, dist, k_attach, attach_weight)
            heads, tails, weights = h, t, w
            for a, b, d, reason in rows:
                attached_rows.append(
                    {"focal": str(ids[a]), "neighbor": str(ids[b]), "distance_km": round(float(d), 3), "reason": reason}
                )
                notes.append(f"attached {_label(ids, names, a)} <-> {_label(ids, names, b)} ({d:.0f} km, {reason})")
        elif island_policy == "drop" and len(isolates):
            keep = np.setdiff1d(np.arange(n), isolates)
            remap = -np.ones(n, dtype=np.int64)
            remap[keep] = np.arange(len(keep))
            dropped = [str(ids[i]) for i in isolates]
            notes.append("dropped isolate(s): " + ", ".join(_label(ids, names, i) for i in isolates))
            heads, tails = remap[heads], remap[tails]
            ids = ids[keep]
            if points is not None:
                points = points.loc[ids]
        elif island_policy == "keep" and len(isolates):
            notes.append(
                f"kept {len(isolates)} isolate(s) without neighbours: "
                + ", ".join(_label(ids, names, i) for i in isolates[:20])
                + (" ..." if len(isolates) > 20 else "")
            )
        if n_comp > 1 and island_policy != "attach":
            notes.append(f"{n_comp} connected components (isolates included)")

        O = _edges_csr(len(ids), heads, tails, weights)
        transform = transform.upper()
        attached = pd.DataFrame(attached_rows, columns=["focal", "neighbor", "distance_km", "reason"])
        return cls(
            O=O,
            T=transformed_matrix(O, transform),
            spec=spec,
            ids=pd.Index(ids, name="adcode"),
            island_policy=island_policy,
            k_attach=k_attach,
            transform=transform,
            isolates_before=isolates_before,
            components_before=n_comp,
            attached=attached,
            dropped=dropped,
            notes=notes,
        )

    # ---------------------------------------------------------------- constructors
    @classmethod
    def build_contiguity(
        cls,
        units: pd.DataFrame,
        *,
        contiguity: pd.DataFrame | None = None,
        rook: bool = False,
        island_policy: str = "attach",
        k_attach: int = 1,
        transform: str = "R",
    ) -> Weights:
        """Queen (``rook=False``) or Rook contiguity.

        Parameters
        ----------
        units : GeoDataFrame or DataFrame
            The analysis units (``adcode`` and polygons, or ``lon``/``lat`` when a
            ``contiguity`` table is given).
        contiguity : DataFrame, optional
            Precomputed neighbour pairs (two adcode columns), e.g. the shipped
            :func:`geodti.places.boundaries.queen_pairs`. Pairs with a unit outside
            ``units`` are ignored. Without it, contiguity is computed from the
            polygons with :meth:`libpysal.graph.Graph.build_contiguity`.
        rook : bool
            Rook instead of Queen. With a ``contiguity`` table the same pairs are
            used; on the bundled boundaries Queen and Rook give the identical
            969 pairs (neighbours share whole edges, no point-only contacts),
            which the notes say.
        island_policy, k_attach, transform
            See the module docstring; ``transform`` is a libpysal transformation
            (``"R"`` row-standardised, ``"B"`` binary, ``"O"`` original ...).
        """
        ids = unit_ids(units, "unit table")
        kind = "rook" if rook else "queen"
        spec = WeightsSpec(kind=kind, label=kind)
        notes: list[str] = []
        if contiguity is not None:
            heads, tails = _pairs_to_positions(contiguity, ids)
            heads, tails = np.concatenate([heads, tails]), np.concatenate([tails, heads])
            if rook:
                notes.append(
                    "rook uses the given contiguity pairs as they are: on the bundled city and province "
                    "boundaries Queen and Rook are identical (969 and 70 pairs)"
                )
        else:
            if "geometry" not in units.columns:
                raise InputError("contiguity weights need unit polygons or a contiguity pair table")
            from libpysal.graph import Graph

            g = Graph.build_contiguity(units.set_index(ids).geometry, rook=rook)
            m = _csr(g)
            coo = m.tocoo()
            heads, tails = coo.row, coo.col
            if not rook:
                rook_pairs = _csr(Graph.build_contiguity(units.set_index(ids).geometry, rook=True)).nnz
                if rook_pairs == m.nnz:
                    notes.append(f"rook would give the identical {m.nnz // 2} pairs on these polygons")
        pairs = {(min(a, b), max(a, b)) for a, b in zip(heads.tolist(), tails.tolist(), strict=True)}
        if pairs:
            a, b = np.array(sorted(pairs)).T
            heads, tails = np.concatenate([a, b]), np.concatenate([b, a])
        else:
            heads = tails = np.array([], dtype=np.int64)
        points = unit_points(units)
        return cls._finish(
            spec, ids, heads, tails, np.ones(len(heads)),
            points=points, names=_names(units, ids), island_policy=island_policy,
            k_attach=k_attach, transform=transform, notes=notes, attach_weight=lambda d: 1.0,
        )

    @classmethod
    def build_queen(cls, units, *, contiguity=None, **kwargs) -> Weights:
        """Queen contiguity; see :meth:`build_contiguity`."""
        return cls.build_contiguity(units, contiguity=contiguity, rook=False, **kwargs)

    @classmethod
    def build_rook(cls, units, *, contiguity=None, **kwargs) -> Weights:
        """Rook contiguity; see :meth:`build_contiguity`."""
        return cls.build_contiguity(units, contiguity=contiguity, rook=True, **kwargs)

    @classmethod
    def build_knn(cls, units, k: int, *, island_policy="attach", k_attach=1, transform="R") -> Weights:
        """The ``k`` nearest units by great-circle distance (binary, asymmetric).

        Ties in distance are broken by unit order (adcode order for the bundled layers).
        """
        ids = unit_ids(units, "unit table")
        points = unit_points(units)
        n = len(ids)
        if not 1 <= k < n:
            raise InputError(f"knn{k}: k must be between 1 and {n - 1} (the number of other units)")
        d = pairwise_haversine_km(points["lon"].to_numpy(), points["lat"].to_numpy())
        np.fill_diagonal(d, np.inf)
        nn = np.argsort(d, axis=1, kind="stable")[:, :k]
        heads = np.repeat(np.arange(n), k)
        tails = nn.ravel()
        return cls._finish(
            WeightsSpec(kind="knn", label=f"knn{k}", k=k), ids, heads, tails, np.ones(len(heads)),
            points=points, names=_names(units, ids), island_policy=island_policy, k_attach=k_attach,
            transform=transform, notes=[], attach_weight=lambda dist: 1.0,
        )

    @classmethod
    def build_distance_band(
        cls, units, threshold_km: float, *, island_policy="attach", k_attach=1, transform="R"
    ) -> Weights:
        """Binary weights for units within ``threshold_km`` (great-circle, inclusive)."""
        ids = unit_ids(units, "unit table")
        points = unit_points(units)
        d = pairwise_haversine_km(points["lon"].to_numpy(), points["lat"].to_numpy())
        np.fill_diagonal(d, np.inf)
        heads, tails = np.nonzero(d <= threshold_km)
        nearest = d.min(axis=1)
        spec = WeightsSpec(kind="band", label=f"band{_fmt(threshold_km)}", threshold_km=float(threshold_km))
        notes = [f"a band of at least {nearest.max():.1f} km leaves no unit without a neighbour"]
        return cls._finish(
            spec, ids, heads, tails, np.ones(len(heads)), points=points, names=_names(units, ids),
            island_policy=island_policy, k_attach=k_attach, transform=transform, notes=notes,
            attach_weight=lambda dist: 1.0,
        )

    @classmethod
    def build_inverse_distance(
        cls, units, power: float = 1.0, *, cutoff_km: float | None = None, island_policy="attach", k_attach=1,
        transform="R",
    ) -> Weights:
        """Inverse-distance weights ``d_ij ** -power`` (all pairs, or those within ``cutoff_km``)."""
        if power <= 0:
            raise InputError(f"inverse-distance power must be positive, got {power}")
        ids = unit_ids(units, "unit table")
        points = unit_points(units)
        d = pairwise_haversine_km(points["lon"].to_numpy(), points["lat"].to_numpy())
        n = len(ids)
        off = ~np.eye(n, dtype=bool)
        if (d[off] == 0).any():
            i, j = np.argwhere((d == 0) & off)[0]
            raise MethodError(f"units {ids[i]} and {ids[j]} share one location; inverse-distance weights are undefined")
        mask = off if cutoff_km is None else off & (d <= cutoff_km)
        heads, tails = np.nonzero(mask)
        w = d[heads, tails] ** (-power)
        label = ("idw2" if power == 2 else "idw" if power == 1 else f"idw{_fmt(power)}") + (
            f":{_fmt(cutoff_km)}" if cutoff_km is not None else ""
        )
        spec = WeightsSpec(kind="idw", label=label, power=float(power), cutoff_km=cutoff_km)
        return cls._finish(
            spec, ids, heads, tails, w, points=points, names=_names(units, ids), island_policy=island_policy,
            k_attach=k_attach, transform=transform, notes=[], attach_weight=lambda dist: dist ** (-power),
        )

    @classmethod
    def build_kernel(
        cls,
        units,
        kernel: str = "gaussian",
        *,
        k: int | None = DEFAULT_KNN_KERNEL,
        bandwidth_km: float | None = None,
        island_policy="auto",
        k_attach=1,
        transform="R",
    ) -> Weights:
        """Kernel weights ``K(d_ij / h_i)`` with libpysal's kernel functions.

        Adaptive bandwidth (default): ``h_i`` is the distance from unit ``i`` to its
        ``k``-th nearest unit, so every unit has about ``k`` neighbours (kernels that
        vanish at ``d = h``, such as the triangular, drop the ``k``-th). Fixed
        bandwidth: ``h_i = bandwidth_km`` for every unit. Weights beyond ``h_i`` are 0
        and there is no self-weight.
        """
        from libpysal.kernels import kernel as kernel_function

        if kernel not in KERNELS:
            raise InputError(f"unknown kernel '{kernel}'; use one of {', '.join(KERNELS)}")
        if (k is None) == (bandwidth_km is None):
            raise InputError("kernel weights need exactly one of k (adaptive) or bandwidth_km (fixed)")
        ids = unit_ids(units, "unit table")
        points = unit_points(units)
        n = len(ids)
        d = pairwise_haversine_km(points["lon"].to_numpy(), points["lat"].to_numpy())
        np.fill_diagonal(d, np.inf)
        if k is not None:
            if not 1 <= k < n:
                raise InputError(f"kernel: k must be between 1 and {n - 1}")
            h = np.sort(d, axis=1)[:, k - 1]
            label = f"kernel:{kernel}:k{k}"
        else:
            h = np.full(n, float(bandwidth_km))
            label = f"kernel:{kernel}:{_fmt(bandwidth_km)}"
        heads, tails = np.nonzero(d <= h[:, None])
        w = kernel_function(d[heads, tails], h[heads], kernel=kernel, taper=True)
        spec = WeightsSpec(kind="kernel", label=label, kernel=kernel, k=k, bandwidth_km=bandwidth_km)
        return cls._finish(
            spec, ids, heads, tails, w, points=points, names=_names(units, ids), island_policy=island_policy,
            k_attach=k_attach, transform=transform, notes=[], attach_weight=None,
        )

    @classmethod
    def build_block(
        cls, units, agglomerations: pd.DataFrame, *, island_policy="auto", k_attach=1, transform="R"
    ) -> Weights:
        """Block weights: two units are neighbours when they share an agglomeration.

        A unit listed in two agglomerations (邯郸 and 邢台 in 京津冀 and 中原, 运城 in
        中原 and 关中平原) neighbours the members of both. Units in no agglomeration
        have no neighbour (kept as isolates under the default ``auto`` policy).

        Parameters
        ----------
        agglomerations : DataFrame
            Long table with ``agglomeration`` and ``adcode`` columns, e.g.
            :func:`geodti.places.gazetteer.agglomerations`.
        """
        ids = unit_ids(units, "unit table")
        if not {"agglomeration", "adcode"} <= set(agglomerations.columns):
            raise InputError("agglomeration table needs 'agglomeration' and 'adcode' columns")
        members = agglomerations[["agglomeration", "adcode"]].astype(str).drop_duplicates()
        members = members[members["adcode"].isin(ids)]
        pos = ids.get_indexer(members["adcode"])
        pairs = set()
        for _, grp in pd.Series(pos, index=members["agglomeration"].to_numpy()).groupby(level=0):
            p = np.sort(grp.to_numpy())
            for i in p:
                for j in p:
                    if i != j:
                        pairs.add((int(i), int(j)))
        if pairs:
            heads, tails = np.array(sorted(pairs)).T
        else:
            heads = tails = np.array([], dtype=np.int64)
        multi = members.groupby("adcode")["agglomeration"].nunique()
        notes = []
        if (multi > 1).any():
            notes.append(
                "units in two agglomerations neighbour the members of both: "
                + ", ".join(
                    f"{c} ({'/'.join(sorted(members.loc[members.adcode == c, 'agglomeration']))})"
                    for c in multi[multi > 1].index
                )
            )
        points = _maybe_points(units)
        return cls._finish(
            WeightsSpec(kind="block", label="block"), ids, heads, tails, np.ones(len(heads)), points=points,
            names=_names(units, ids), island_policy=island_policy, k_attach=k_attach, transform=transform,
            notes=notes, attach_weight=lambda dist: 1.0,
        )

    @classmethod
    def build_economic(cls, units, values: pd.Series, *, label: str | None = None, transform="R") -> Weights:
        """Economic-distance weights ``w_ij = 1 / |x_i - x_j|`` (all pairs).

        ``values`` is indexed by adcode (e.g. mean GDP per capita over the study
        period). Units with equal values would get an infinite weight: that is an
        error naming them. Source: the economic distance matrix of Chinese regional
        economics, e.g. 邵帅、李欣、曹建华、杨莉莉 (2016) 中国雾霾污染治理的经济政策
        选择——基于空间溢出效应的视角, 经济研究 51(9): 73-88.
        """
        ids = unit_ids(units, "unit table")
        x = _aligned_values(values, ids, label or "economic variable")
        n = len(ids)
        diff = np.abs(x[:, None] - x[None, :])
        off = ~np.eye(n, dtype=bool)
        if (diff[off] == 0).any():
            i, j = np.argwhere((diff == 0) & off)[0]
            raise MethodError(
                f"economic weights: units {ids[i]} and {ids[j]} have the same value ({x[i]:g}), so 1/|x_i - x_j| is "
                "infinite; use another variable or nested weights"
            )
        heads, tails = np.nonzero(off)
        w = 1.0 / diff[heads, tails]
        column = label or (values.name if isinstance(values.name, str) else "x")
        spec = WeightsSpec(kind="econ", label=f"econ:{column}", column=column)
        return cls._finish(
            spec, ids, heads, tails, w, points=None, names=_names(units, ids), island_policy="keep",
            k_attach=1, transform=transform,
            notes=[f"x = {column} per unit (mean over the periods analysed when built from a panel)"],
        )

    @classmethod
    def build_nested(
        cls, units, values: pd.Series, phi: float = 0.5, *, label: str | None = None, transform="R"
    ) -> Weights:
        """Economic-geographic nested weights ``phi * W_geo + (1 - phi) * W_econ``.

        ``W_geo`` is inverse great-circle distance (power 1) and ``W_econ`` the
        economic-distance matrix of :meth:`build_economic`; each is row-standardised
        before they are mixed (their raw scales are incomparable), so the nested
        matrix is row-standardised too. Source: the 经济地理嵌套矩阵 of 邵帅、李欣、
        曹建华、杨莉莉 (2016), 经济研究 51(9): 73-88.
        """
        if not 0.0 <= phi <= 1.0:
            raise InputError(f"nested weights: phi must lie in [0, 1], got {phi}")
        geo = cls.build_inverse_distance(units, 1.0, transform="R")
        econ = cls.build_economic(units, values, label=label, transform="R")
        wg = geo.sparse.toarray()
        we = econ.sparse.toarray()
        w = phi * wg + (1.0 - phi) * we
        heads, tails = np.nonzero(w)
        column = econ.spec.column
        spec = WeightsSpec(kind="nested", label=f"nested:{column}:{_fmt(phi)}", column=column, phi=float(phi))
        ids = geo.ids
        return cls._finish(
            spec, ids, heads, tails, w[heads, tails], points=None, names=_names(units, ids), island_policy="keep",
            k_attach=1, transform=transform,
            notes=[f"phi={_fmt(phi)}: W = phi*R(1/d) + (1-phi)*R(1/|x_i-x_j|), x = {column}"],
        )

    @classmethod
    def from_graph(cls, graph, label: str = "custom", *, transform: str = "R") -> Weights:
        """Wrap a user-built libpysal Graph (its ids must be the unit adcodes)."""
        ids = pd.Index(graph.unique_ids.astype(str), name="adcode")
        m = _csr(graph).tocoo()
        spec = WeightsSpec(kind="custom", label=label)
        return cls._finish(
            spec, ids, m.row, m.col, m.data, points=None, names=None, island_policy="keep", k_attach=1,
            transform=transform, notes=["user-supplied graph"],
        )

    @classmethod
    def from_spec(
        cls,
        spec: str | WeightsSpec,
        units: pd.DataFrame,
        *,
        contiguity: pd.DataFrame | None = None,
        agglomerations: pd.DataFrame | None = None,
        data: pd.Series | pd.DataFrame | None = None,
        island_policy: str = "auto",
        k_attach: int = 1,
        transform: str = "R",
    ) -> Weights:
        """Build weights from a spec string (see :func:`parse_weights_spec`).

        Parameters
        ----------
        spec : str or WeightsSpec
        units : GeoDataFrame or DataFrame
            Analysis units (adcode + polygons, or adcode + lon/lat).
        contiguity : DataFrame, optional
            Shipped contiguity pairs for ``queen``/``rook``.
        agglomerations : DataFrame, optional
            Membership table for ``block``.
        data : Series or DataFrame, optional
            The user variable for ``econ``/``nested``: a Series indexed by adcode, or
            a DataFrame with ``adcode`` and the spec's column (values are averaged
            per unit over its rows, e.g. over the periods of a panel).
        island_policy : {"auto", "attach", "keep", "drop"}
        k_attach : int
        transform : str

        Examples
        --------
        The six nearest neighbours (great-circle) of the units of the bundled sample panel:

        >>> import geodti
        >>> from geodti.spatial import Weights
        >>> panel = geodti.read_panel("sample:panel")
        >>> units = geodti.gazetteer()
        >>> units = units[units["adcode"].isin(panel["adcode"])]
        >>> w = Weights.from_spec("knn6", units)
        >>> w.label, len(w.ids), w.transform
        ('knn6', 367, 'R')
        """
        if isinstance(spec, str):
            spec = parse_weights_spec(spec)
        kw = dict(island_policy=island_policy, k_attach=k_attach, transform=transform)
        if spec.kind in ("queen", "rook"):
            w = cls.build_contiguity(units, contiguity=contiguity, rook=spec.kind == "rook", **kw)
        elif spec.kind == "knn":
            w = cls.build_knn(units, spec.k, **kw)
        elif spec.kind == "band":
            w = cls.build_distance_band(units, spec.threshold_km, **kw)
        elif spec.kind == "idw":
            w = cls.build_inverse_distance(units, spec.power, cutoff_km=spec.cutoff_km, **kw)
        elif spec.kind == "kernel":
            w = cls.build_kernel(units, spec.kernel, k=spec.k, bandwidth_km=spec.bandwidth_km, **kw)
        elif spec.kind == "block":
            if agglomerations is None:
                raise InputError("block weights need the agglomeration membership table")
            w = cls.build_block(units, agglomerations, **kw)
        elif spec.kind in ("econ", "nested"):
            values = _variable_from(data, spec.column)
            if spec.kind == "econ":
                w = cls.build_economic(units, values, label=spec.column, transform=transform)
            else:
                w = cls.build_nested(units, values, spec.phi, label=spec.column, transform=transform)
        else:  # pragma: no cover - parse_weights_spec rejects other kinds
            raise InputError(f"unknown weights kind '{spec.kind}'")
        w.spec = replace(w.spec, label=spec.label) if w.spec.label != spec.label else w.spec
        return w


# --------------------------------------------------------------------------------------
# Island attachment
# --------------------------------------------------------------------------------------
def _attach(heads, tails, weights, n, dist, k_attach, attach_weight):
    """Connect the graph: smallest component first, to its k nearest outside units."""
    heads = list(map(int, heads))
    tails = list(map(int, tails))
    weights = list(map(float, weights))
    rows = []
    while True:
        m = sparse.csr_array((np.ones(len(heads)), (heads, tails)), shape=(n, n))
        labels = _components(m)
        sizes = np.bincount(labels)
        if len(sizes) <= 1:
            break
        largest = int(np.argmax(sizes))
        # smallest component first; ties by its first unit (deterministic)
        candidates = [c for c in range(len(sizes)) if c != largest]
        first = {c: int(np.flatnonzero(labels == c)[0]) for c in candidates}
        comp = min(candidates, key=lambda c: (sizes[c], first[c]))
        inside = np.flatnonzero(labels == comp)
        outside = np.flatnonzero(labels != comp)
        sub = dist[np.ix_(inside, outside)]
        # nearest member for every outside unit, then the k closest outside units
        best_member = inside[np.argmin(sub, axis=0)]
        best_dist = sub.min(axis=0)
        order = np.lexsort((outside, best_dist))[:k_attach]
        reason = "island" if len(inside) == 1 else f"component of {len(inside)} units"
        for o in order:
            a, b, d = int(best_member[o]), int(outside[o]), float(best_dist[o])
            w = float(attach_weight(d))
            heads += [a, b]
            tails += [b, a]
            weights += [w, w]
            rows.append((a, b, d, reason))
    return np.array(heads, np.int64), np.array(tails, np.int64), np.array(weights, float), rows


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------
def _names(units: pd.DataFrame, ids: pd.Index) -> pd.Series | None:
    if "name" in units.columns:
        return pd.Series(units["name"].to_numpy(), index=ids)
    return None


def _maybe_points(units: pd.DataFrame) -> pd.DataFrame | None:
    try:
        return unit_points(units)
    except InputError:
        return None


def _aligned_values(values: pd.Series, ids: pd.Index, what: str) -> np.ndarray:
    s = pd.Series(values)
    s.index = s.index.astype(str)
    missing = ids[~ids.isin(s.index)]
    if len(missing):
        raise InputError(f"{what}: no value for unit(s) {', '.join(missing[:10])}")
    x = pd.to_numeric(s.loc[ids], errors="coerce").to_numpy(float)
    bad = ids[~np.isfinite(x)]
    if len(bad):
        raise InputError(f"{what}: missing or non-numeric value for unit(s) {', '.join(bad[:10])}")
    return x


def _variable_from(data, column: str) -> pd.Series:
    if data is None:
        raise InputError(f"weights 'econ:{column}'/'nested:{column}' need the variable '{column}' (pass data=...)")
    if isinstance(data, pd.Series):
        return data.rename(column)
    if column not in data.columns:
        raise InputError(f"economic weights: column '{column}' not found; columns are {list(data.columns)}")
    if "adcode" not in data.columns:
        raise InputError("economic weights: the data table needs an 'adcode' column")
    vals = pd.to_numeric(data[column], errors="coerce")
    bad = data.loc[vals.isna() & data[column].notna(), "adcode"]
    if len(bad):
        raise InputError(
            f"economic weights: column '{column}' is not numeric for adcode(s) {', '.join(map(str, bad[:10]))}"
        )
    return vals.groupby(data["adcode"].astype(str)).mean().rename(column)


def build_weights_set(
    specs,
    units: pd.DataFrame,
    *,
    contiguity: pd.DataFrame | None = None,
    agglomerations: pd.DataFrame | None = None,
    data: pd.DataFrame | None = None,
    island_policy: str = "auto",
    k_attach: int = 1,
    transform: str = "R",
) -> dict[str, Weights]:
    """Build each spec once (``{label: Weights}``), to share across periods and statistics."""
    if isinstance(specs, str | WeightsSpec):
        specs = [specs]
    out: dict[str, Weights] = {}
    for s in specs:
        spec = parse_weights_spec(s) if isinstance(s, str) else s
        if spec.label in out:
            continue
        out[spec.label] = Weights.from_spec(
            spec, units, contiguity=contiguity, agglomerations=agglomerations, data=data,
            island_policy=island_policy, k_attach=k_attach, transform=transform,
        )
    return out


def weights_summary(weights: dict[str, Weights] | list[Weights]) -> pd.DataFrame:
    """Summary table of several weights (one row each)."""
    items = weights.values() if isinstance(weights, dict) else weights
    return pd.concat([w.summary() for w in items], ignore_index=True)
