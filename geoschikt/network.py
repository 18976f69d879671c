"""The walking/cycling network as arrays, and snapping points onto its edges."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from geoschikt.acquire import NetworkWays
from geoschikt.boxgrid import BoxGrid
from geoschikt.config import NetworkRules
from geoschikt.errors import AreaError
from geoschikt.geo import WGS84, geodesic_lengths, transform_xy

if TYPE_CHECKING:  # scipy is imported where it is used: commands that only re-score skip it
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

log = logging.getLogger(__name__)

# highway=* values a pedestrian may use (in the Netherlands cyclists' paths are walkable when
# there is no sidewalk, and the issue asks for footways, paths and cycleways to count).
WALK_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "track",
        "steps",
        "cycleway",
        "bridleway",
        "corridor",
        "road",
    }
)
# cyclists: the same ways except those meant for pedestrians only (footways and pedestrian
# streets count where bicycle=yes/designated/permissive, see usable_ways)
BIKE_HIGHWAYS = WALK_HIGHWAYS - {"footway", "pedestrian", "steps", "bridleway", "corridor"}
# walkable areas (squares): walkable along their outline and straight across (see build_network)
AREA_HIGHWAYS = frozenset({"pedestrian", "footway"})
_YES = {"yes", "designated", "permissive"}
_NO = {"no"}
# destination-only: a walk may start or end on such a way, never pass through it
_DESTINATION = {"private", "destination", "customers", "delivery"}

NO_ACCESS, PUBLIC, DESTINATION_ONLY = 0, 1, 2


def way_access(tags: pd.DataFrame, mode: str) -> np.ndarray:
    """Per way: NO_ACCESS, PUBLIC or DESTINATION_ONLY for a pedestrian (``walk``) or cyclist
    (``bike``). The mode's own tag (``foot``/``bicycle``) overrides ``access``."""
    hw = tags["highway"].fillna("")
    access = tags["access"].fillna("")
    own = tags["foot" if mode == "walk" else "bicycle"].fillna("")
    area = tags["area"].fillna("") == "yes"
    ferry = tags["route"].fillna("") == "ferry" if "route" in tags else pd.Series(False, tags.index)
    if mode == "walk":
        kind_ok = hw.isin(WALK_HIGHWAYS)
    else:  # footways and pedestrian streets only where cycling is signed as allowed
        kind_ok = hw.isin(BIKE_HIGHWAYS) | (hw.isin({"footway", "pedestrian"}) & own.isin(_YES))
    kind_ok = (kind_ok & (~area | hw.isin(AREA_HIGHWAYS))) | (ferry & (hw == ""))
    allowed = kind_ok & ~own.isin(_NO) & ~(access.isin(_NO) & ~own.isin(_YES))
    destination = own.isin(_DESTINATION) | (
        (access.isin(_DESTINATION) | (tags["service"].fillna("") == "private")) & ~own.isin(_YES)
    )
    out = np.where(allowed, np.where(destination, DESTINATION_ONLY, PUBLIC), NO_ACCESS)
    return out.astype(np.int8)


def usable_ways(tags: pd.DataFrame, mode: str) -> np.ndarray:
    """Boolean mask of the ways a pedestrian (``walk``) or cyclist (``bike``) may use (public
    or destination-only)."""
    usable: np.ndarray = way_access(tags, mode) != NO_ACCESS
    return usable


def blocked_nodes(barriers: pd.DataFrame | None, mode: str) -> np.ndarray:
    """OSM ids of barrier nodes that ``mode`` may not pass: ``access=no|private`` without
    ``foot``/``bicycle=yes``, or the mode's own tag ``no|private``. Ordinary gates, bollards and
    kissing gates (no such tags) do not block."""
    if barriers is None or len(barriers) == 0:
        return np.zeros(0, dtype=np.int64)
    own = barriers["foot" if mode == "walk" else "bicycle"].fillna("")
    access = barriers["access"].fillna("")
    closed = {"no", "private"}
    block = own.isin(closed) | (access.isin(closed) & ~own.isin(_YES))
    return np.unique(barriers["ref"].to_numpy(dtype=np.int64)[block.to_numpy()])


@dataclass(frozen=True)
class Network:
    """Undirected street/path graph: nodes with metric and lon/lat coordinates, unique edges."""

    mode: str
    crs: str
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray  # geodesic metres
    # per edge: destination-only (None: every edge is public)
    destination_only: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        return len(self.x)

    @cached_property
    def segment_xy(self) -> np.ndarray:
        """(edges, 2, 2): the metric coordinates of each edge's ends, u then v."""
        u, v = np.asarray(self.u), np.asarray(self.v)
        xy: np.ndarray = np.stack(
            [np.column_stack([self.x[u], self.y[u]]), np.column_stack([self.x[v], self.y[v]])],
            axis=1,
        )
        return xy

    @cached_property
    def segments(self) -> np.ndarray:
        """The edges as shapely LineStrings (metric CRS), built on first use: snapping and
        routing work on ``segment_xy``; GEOS geometries are for checks and drawing."""
        lines: np.ndarray = shapely.linestrings(self.segment_xy)
        return lines

    @cached_property
    def tree(self) -> shapely.STRtree:
        """GEOS STRtree of ``segments`` (built on first use; the independent check of
        ``snap_index``)."""
        return shapely.STRtree(self.segments)

    @cached_property
    def edge_grid(self) -> BoxGrid:
        """The edges' bounding boxes in a box grid (built on first use): which edges lie
        near a point, without GEOS geometries."""
        xy = self.segment_xy
        lo, hi = xy.min(axis=1), xy.max(axis=1)
        return BoxGrid(np.column_stack([lo, hi]), _EDGE_CELL_M)

    @cached_property
    def snap_index(self) -> SnapIndex | None:
        """Points every ~10 m along the edges in a KD-tree, for fast exact snapping (built on
        first use; None for a network without edges)."""
        return SnapIndex.build(self.segment_xy)

    @cached_property
    def _base_csr(self) -> sp.csr_matrix:
        import scipy.sparse as sp

        n = self.n_nodes
        return sp.csr_matrix(
            (
                np.concatenate([self.length, self.length]),
                (np.concatenate([self.u, self.v]), np.concatenate([self.v, self.u])),
            ),
            shape=(n, n),
        )

    @cached_property
    def layers(self) -> Layers:
        """The routing graph's layers (see ``Layers``), built on first use."""
        return Layers.build(self)

    def csr(
        self,
        extra_rows: np.ndarray | None = None,
        extra_cols: np.ndarray | None = None,
        extra_w: np.ndarray | None = None,
        n_extra: int = 0,
        *,
        layered: bool = False,
    ) -> sp.csr_matrix:
        """Symmetric adjacency matrix, optionally with directed edges from ``n_extra`` new nodes.

        With ``layered``, the matrix of ``layers`` (destination-only rule) instead of the plain
        graph; new nodes then come after its ``layers.n`` nodes.
        """
        import scipy.sparse as sp

        n = self.layers.n if layered else self.n_nodes
        # built once per network; new nodes' rows are appended to it
        base = self.layers.csr if layered else self._base_csr
        if not n_extra:
            return base.copy()
        rows = np.asarray(extra_rows, dtype=np.int64)
        cols = np.asarray(extra_cols, dtype=np.int64)
        w = np.asarray(extra_w, dtype=float)
        order = np.lexsort((cols, rows))  # canonical CSR order: by row, then column
        rows, cols, w = rows[order], cols[order], w[order]
        repeated = (rows[1:] == rows[:-1]) & (cols[1:] == cols[:-1])
        if len(rows) and rows[0] >= n and not repeated.any():
            counts = np.bincount(rows - n, minlength=n_extra)
            indptr = np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(counts)])
            return sp.csr_matrix(
                (np.concatenate([base.data, w]), np.concatenate([base.indices, cols]), indptr),
                shape=(n + n_extra, n + n_extra),
            )
        size = n + n_extra  # general case: let scipy sum repeated entries
        coo = base.tocoo()
        return sp.csr_matrix(
            (
                np.concatenate([coo.data, w]),
                (np.concatenate([coo.row, rows]), np.concatenate([coo.col, cols])),
            ),
            shape=(size, size),
        )


_STEP = 1e-9  # metres: weight of a layer change (csgraph ignores explicit zeros)


@dataclass(frozen=True)
class Layers:
    """The routing graph with the destination-only rule: a walk may start or end on
    destination-only edges but never pass through them.

    Three copies of the nodes: ``A`` (the first, destination-only stretch from a source),
    ``P`` (the public middle, the network's own node numbers) and ``B`` (the last,
    destination-only stretch to a target). A and B hold only destination-only edges, P only
    public ones; one-way steps A -> P and P -> B at every node of a destination-only edge let a
    path go A* P* B* and never back. A source on a destination-only edge enters at ``a``
    (a node's A copy), one on a public edge at P; a target on a destination-only edge reads B
    (which every A and P distance reaches through the steps), on a public edge P. Without
    destination-only edges the graph is the plain one and ``a``/``b`` are the identity.
    """

    n: int  # nodes of the layered graph
    a: np.ndarray  # node -> its A copy (itself when it has none)
    b: np.ndarray  # node -> its B copy (itself when it has none)
    csr: sp.csr_matrix

    @classmethod
    def build(cls, net: Network) -> Layers:
        n = net.n_nodes
        same = np.arange(n)
        d = net.destination_only
        if d is None:
            return cls(n, same, same, net._base_csr)
        import scipy.sparse as sp

        rn = np.unique(np.concatenate([net.u[d], net.v[d]]))
        k = len(rn)
        a, b = same.copy(), same.copy()
        a[rn] = n + np.arange(k)
        b[rn] = n + k + np.arange(k)
        pu, pv, pl = net.u[~d], net.v[~d], net.length[~d]
        ru, rv, rl = net.u[d], net.v[d], net.length[d]
        step = np.full(k, _STEP)
        rows = np.concatenate([pu, pv, a[ru], a[rv], b[ru], b[rv], a[rn], rn])
        cols = np.concatenate([pv, pu, a[rv], a[ru], b[rv], b[ru], rn, b[rn]])
        w = np.concatenate([pl, pl, rl, rl, rl, rl, step, step])
        size = n + 2 * k
        return cls(size, a, b, sp.csr_matrix((w, (rows, cols)), shape=(size, size)))

    def entry(self, net: Network, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where a source on each of ``edges`` enters the graph: (node for u, node for v)."""
        if net.destination_only is None:
            return net.u[edges], net.v[edges]
        d = net.destination_only[edges]
        return (
            np.where(d, self.a[net.u[edges]], net.u[edges]),
            np.where(d, self.a[net.v[edges]], net.v[edges]),
        )

    def exit(self, net: Network, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where a target on each of ``edges`` reads its distances: (node for u, for v)."""
        if net.destination_only is None:
            return net.u[edges], net.v[edges]
        d = net.destination_only[edges]
        return (
            np.where(d, self.b[net.u[edges]], net.u[edges]),
            np.where(d, self.b[net.v[edges]], net.v[edges]),
        )


def build_network(ways: NetworkWays, mode: str, crs: str, rules: NetworkRules) -> Network:
    """Graph of all usable way segments, without fragments under ``min_component_nodes``.

    Destination-only ways are kept and flagged per edge (see ``way_access``); barrier nodes the
    mode may not pass are split, one node per edge end, so no path leads through them; walkable
    areas get straight edges across (``area_crossings``); ferries count with their length.
    """
    kind = way_access(ways.tags, mode)
    refs, lon_all, lat_all, way = ways.refs, ways.lon, ways.lat, ways.way
    cross = area_crossings(ways, kind, crs)
    if cross is not None:  # each crossing is a two-node way with its square's access
        c_refs, c_lon, c_lat, c_kind = cross
        n_ways = len(kind)
        refs = np.concatenate([refs, c_refs])
        lon_all = np.concatenate([lon_all, c_lon])
        lat_all = np.concatenate([lat_all, c_lat])
        way = np.concatenate([way, n_ways + np.repeat(np.arange(len(c_kind)), 2)])
        kind = np.concatenate([kind, c_kind])
    same_way = way[:-1] == way[1:]
    located = np.isfinite(lon_all)  # nodes missing from a clipped extract have NaN
    take = (
        same_way
        & (kind[way[:-1]] != NO_ACCESS)
        & (refs[:-1] != refs[1:])
        & located[:-1]
        & located[1:]
    )
    a = np.flatnonzero(take)
    if len(a) == 0:
        raise AreaError(f"the OSM data has no streets or paths usable for mode '{mode}'")
    ends = np.concatenate([a, a + 1])
    end_refs = refs[ends]
    blocked = blocked_nodes(ways.barriers, mode)
    n_blocked = 0
    if len(blocked):  # every edge end at a closed barrier gets a node of its own
        hit = np.isin(end_refs, blocked)
        n_blocked = len(np.unique(end_refs[hit]))
        end_refs = np.where(hit, -1 - np.arange(len(end_refs)), end_refs)
    node_ids, inverse = np.unique(end_refs, return_inverse=True)
    first = np.zeros(len(node_ids), dtype=np.int64)
    first[inverse[::-1]] = ends[::-1]  # any occurrence gives the node's location
    lon, lat = lon_all[first], lat_all[first]
    u, v = inverse[: len(a)], inverse[len(a) :]
    u, v = np.minimum(u, v), np.maximum(u, v)
    dest = (kind[way[a]] == DESTINATION_ONLY).astype(np.int64)
    # unique (u, v) pairs in (u, v) order, via one int64 key (much faster than axis=0); the
    # lowest bit is "destination-only", so a pair that is also a public way stays public
    pairs = np.sort((u * np.int64(len(node_ids)) + v) * 2 + dest)
    keys = pairs >> 1
    pairs = pairs[np.r_[True, keys[1:] != keys[:-1]]]  # np.unique, without its slow path
    dest = (pairs & 1).astype(bool)
    keys = pairs >> 1
    u, v = keys // len(node_ids), keys % len(node_ids)

    # drop fragments
    n = len(node_ids)
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    adj = sp.csr_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    size = np.bincount(label)
    keep_node = size[label] >= rules.min_component_nodes
    dropped = int((~keep_node).sum())
    if not keep_node.any():
        raise AreaError(
            f"the {mode} network has no connected part of {rules.min_component_nodes} nodes or "
            "more; the OSM data is too small or fragmented (see network.min_component_nodes)"
        )
    new_index = np.cumsum(keep_node) - 1
    keep_edge = keep_node[u]
    u, v = new_index[u[keep_edge]], new_index[v[keep_edge]]
    dest = dest[keep_edge]
    lon, lat = lon[keep_node], lat[keep_node]
    if dest.any():  # public bits reached only through destination-only ways belong to them
        n = len(lon)
        pub = sp.csr_matrix((np.ones(int((~dest).sum())), (u[~dest], v[~dest])), shape=(n, n))
        _, plabel = connected_components(pub, directed=False)
        has_pub = np.zeros(n, dtype=bool)
        has_pub[u[~dest]] = has_pub[v[~dest]] = True
        psize = np.bincount(plabel[has_pub], minlength=n)
        dest = dest | (psize[plabel[u]] < rules.min_component_nodes)
    if n_blocked or dest.any() or cross is not None:
        log.debug(
            "%s network: %d destination-only edges, %d closed barriers, %d edges across squares",
            mode,
            int(dest.sum()),
            n_blocked,
            0 if cross is None else len(cross[3]),
        )

    x, y = transform_xy(lon, lat, WGS84, crs)
    length = geodesic_lengths(lon[u], lat[u], lon[v], lat[v])
    length = np.maximum(length, 1e-6)  # csgraph ignores explicit zeros
    log.info(
        "%s network: %d nodes, %d edges, %.0f km (dropped %d nodes in small fragments)",
        mode,
        len(x),
        len(u),
        length.sum() / 1000,
        dropped,
    )
    return Network(
        mode,
        crs,
        x,
        y,
        u,
        v,
        length,
        dest if dest.any() else None,
    )


def area_crossings(
    ways: NetworkWays, kind: np.ndarray, crs: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Straight edges across walkable areas (``highway=pedestrian|footway`` + ``area=yes``):
    between every pair of outline nodes that other usable ways also use, when the straight line
    stays inside the area. Returns (refs, lon, lat) of two-node ways and each one's access
    kind, or None."""
    tags = ways.tags
    is_area = (
        (tags["area"].fillna("") == "yes")
        & tags["highway"].fillna("").isin(AREA_HIGHWAYS)
        & (kind != NO_ACCESS)
    ).to_numpy()
    if not is_area.any():
        return None
    usable = kind[ways.way] != NO_ACCESS
    # nodes used by two or more usable ways
    pair = np.unique(np.stack([ways.refs[usable], ways.way[usable]]), axis=1)
    ref_u, count = np.unique(pair[0], return_counts=True)
    junction = ref_u[count >= 2]
    start = np.flatnonzero(np.r_[True, ways.way[1:] != ways.way[:-1]])
    stop = np.r_[start[1:], len(ways.way)]
    out_refs, out_lon, out_lat, out_kind = [], [], [], []
    for w in np.flatnonzero(is_area[ways.way[start]]):
        lo, hi = start[w], stop[w]
        r = ways.refs[lo:hi]
        lon, lat = ways.lon[lo:hi], ways.lat[lo:hi]
        if len(r) < 4 or r[0] != r[-1] or not np.isfinite(lon).all():
            continue
        x, y = transform_xy(lon, lat, WGS84, crs)
        poly = shapely.make_valid(shapely.Polygon(np.column_stack([x, y])))
        inside = shapely.buffer(poly, 0.05)
        shapely.prepare(inside)
        pick = np.flatnonzero(np.isin(r[:-1], junction))
        pick = pick[np.unique(r[pick], return_index=True)[1]]
        if len(pick) < 2:
            continue
        i, j = np.triu_indices(len(pick), k=1)
        i, j = pick[i], pick[j]
        lines = shapely.linestrings(
            np.stack([np.column_stack([x[i], y[i]]), np.column_stack([x[j], y[j]])], axis=1)
        )
        ok = shapely.covers(inside, lines)
        i, j = i[ok], j[ok]
        out_refs.append(np.column_stack([r[i], r[j]]).ravel())
        out_lon.append(np.column_stack([lon[i], lon[j]]).ravel())
        out_lat.append(np.column_stack([lat[i], lat[j]]).ravel())
        out_kind.append(np.full(len(i), kind[ways.way[lo]], dtype=np.int8))
    if not out_refs or not sum(len(k) for k in out_kind):
        return None
    return (
        np.concatenate(out_refs),
        np.concatenate(out_lon),
        np.concatenate(out_lat),
        np.concatenate(out_kind),
    )


@dataclass(frozen=True)
class Snapped:
    """Where points attach to the network: ``edge`` (-1 = off network), fraction ``t`` from u,
    and ``offset_m``, the straight distance from the point to the edge."""

    edge: np.ndarray
    t: np.ndarray
    offset_m: np.ndarray

    @property
    def on_network(self) -> np.ndarray:
        return self.edge >= 0


def snap_to_edges(network: Network, x: np.ndarray, y: np.ndarray, max_snap_m: float) -> Snapped:
    """Snap points onto the nearest edge (not node) within ``max_snap_m``."""
    index = network.snap_index
    if index is None:
        n = len(x)
        return Snapped(np.full(n, -1, dtype=np.int64), np.full(n, np.nan), np.full(n, np.nan))
    return index.snap(np.asarray(x, dtype=float), np.asarray(y, dtype=float), max_snap_m)


_EDGE_CELL_M = 64.0  # cell of the edges' box grid: about a street block
_SNAP_STEP_M = 10.0  # spacing of the index points along each edge
# index points fetched per query point: 8 prove about 95 % of answers on a street network;
# the rest are asked again with 16, and the few still unproven go to a ball query
_SNAP_KS = (8, 16)
_SNAP_CHUNK = 200_000  # query points per vectorised batch (bounds temporary memory)


@dataclass(frozen=True)
class SnapIndex:
    """Exact nearest-segment search with a KD-tree of points sampled along straight segments.

    Every point of a segment lies within ``half`` of one of its samples, so a segment at
    distance D from a query point has a sample within D + half. The query takes the ``k``
    nearest samples (``_SNAP_KS``: 8, then 16 for the points 8 did not settle), measures the
    exact point-to-segment distance to their segments and keeps the best, D*; the answer is
    proven exact when the k-th sample is farther than D* + half (no unseen segment can be
    closer). Where that fails, every sample within D* + half is measured (a ball query). The
    projection is the one GEOS uses; distances agree with GEOS's to 1e-9 m
    (``tests/test_synthetic.py`` and ``tests/test_snap_identical.py`` compare with its
    STRtree).
    """

    seg: tuple[np.ndarray, ...]  # per segment: ax, ay, dx, dy, squared length
    sample_edge: np.ndarray
    half: float
    tree: cKDTree

    @classmethod
    def build(cls, xy: np.ndarray) -> SnapIndex | None:
        """From segment end coordinates ``(segments, 2, 2)``; None when there are none."""
        if len(xy) == 0:
            return None
        ax, ay = xy[:, 0, 0], xy[:, 0, 1]
        dx, dy = xy[:, 1, 0] - ax, xy[:, 1, 1] - ay
        seg_len = np.hypot(dx, dy)
        pieces = np.maximum(np.ceil(seg_len / _SNAP_STEP_M), 1).astype(np.int64)
        sample_edge = np.repeat(np.arange(len(xy)), pieces)
        first = np.cumsum(pieces) - pieces
        frac = (np.arange(len(sample_edge)) - first[sample_edge] + 0.5) / pieces[sample_edge]
        sx = ax[sample_edge] + frac * dx[sample_edge]
        sy = ay[sample_edge] + frac * dy[sample_edge]
        half = float((seg_len / pieces).max()) / 2 * (1 + 1e-9) + 1e-9
        from scipy.spatial import cKDTree  # see TYPE_CHECKING above

        # sliding-midpoint tree: built about 4x faster than a median-balanced one, and
        # queried as fast on street samples
        tree = cKDTree(np.column_stack([sx, sy]), balanced_tree=False)
        seg = (ax.copy(), ay.copy(), dx, dy, dx * dx + dy * dy)
        return cls(seg, sample_edge, half, tree)

    def snap(self, x: np.ndarray, y: np.ndarray, max_dist: float) -> Snapped:
        """The nearest segment within ``max_dist`` of each point (-1: none)."""
        n = len(x)
        edge = np.full(n, -1, dtype=np.int64)
        t = np.full(n, np.nan)
        offset = np.full(n, np.nan)
        for lo in range(0, n, _SNAP_CHUNK):
            part = slice(lo, min(lo + _SNAP_CHUNK, n))
            edge[part], t[part], offset[part] = self.nearest(x[part], y[part], max_dist)
        return Snapped(edge, t, offset)

    def nearest(
        self, px: np.ndarray, py: np.ndarray, max_dist: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(segment or -1, fraction t from its start, distance) per point."""
        edge = np.full(len(px), -1, dtype=np.int64)
        t = np.full(len(px), np.nan)
        dist = np.full(len(px), np.inf)
        todo = np.arange(len(px))
        for k in _SNAP_KS:  # the points not proven yet, with more samples each time
            if len(todo) == 0:
                break
            e, r, d, proven = self._nearest_of_k(px[todo], py[todo], max_dist, k)
            edge[todo], t[todo], dist[todo] = e, r, d
            todo = todo[~proven]
        if len(todo):  # an unseen segment may be nearer: measure every one that may be
            edge[todo], t[todo], dist[todo] = self._nearest_of_all(
                px[todo], py[todo], np.minimum(dist[todo], max_dist)
            )
        edge[~(dist <= max_dist)] = -1
        return edge, t, np.where(edge >= 0, dist, np.nan)

    def _nearest_of_k(
        self, px: np.ndarray, py: np.ndarray, max_dist: float, k: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(segment, t, distance, proven) per point, among the segments of its ``k`` nearest
        samples; proven: no unseen segment can be nearer (or within ``max_dist``)."""
        k = min(k, len(self.sample_edge))
        sd, si = self.tree.query(
            np.column_stack([px, py]), k=k, distance_upper_bound=max_dist + self.half, workers=-1
        )
        sd, si = sd.reshape(len(px), k), si.reshape(len(px), k)
        valid = si < len(self.sample_edge)
        cand = np.where(valid, self.sample_edge[np.minimum(si, len(self.sample_edge) - 1)], -1)
        r, dist = self._project(px[:, None], py[:, None], np.maximum(cand, 0))
        dist[~valid] = np.inf
        best = np.argmin(dist, axis=1)  # equal distances (a shared end node): the nearer sample
        rows = np.arange(len(px))
        d_best = dist[rows, best]
        proven = sd[:, -1] > np.minimum(d_best, max_dist) + self.half
        return cand[rows, best], r[rows, best], d_best, proven

    def _project(
        self, px: np.ndarray, py: np.ndarray, e: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Point-to-segment projection factor (clipped to the segment, as GEOS forms it) and
        distance."""
        ax, ay, dx, dy, len2 = (a[e] for a in self.seg)
        wx, wy = px - ax, py - ay
        r = wx * dx + wy * dy
        r = np.divide(r, len2, out=np.zeros_like(r), where=len2 > 0)
        np.clip(r, 0.0, 1.0, out=r)
        # |p - (a + r d)|, in place
        wx -= r * dx
        wy -= r * dy
        return r, np.hypot(wx, wy, out=wx)

    def _nearest_of_all(
        self, px: np.ndarray, py: np.ndarray, within: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(segment, t, distance) per point among every segment with a sample within
        ``within + half``: all that can lie within ``within``."""
        pi, ei, sample_d = self.near(px, py, within)
        r, d = self._project(px[pi], py[pi], ei)
        order = np.lexsort((sample_d, d, pi))  # nearest first; ties: the nearer sample
        pi, ei, r, d = pi[order], ei[order], r[order], d[order]
        first = np.r_[True, pi[1:] != pi[:-1]]
        edge, t, dist = np.full(len(px), -1), np.full(len(px), np.nan), np.full(len(px), np.inf)
        edge[pi[first]], t[pi[first]], dist[pi[first]] = ei[first], r[first], d[first]
        return edge, t, dist

    def near(
        self, px: np.ndarray, py: np.ndarray, within: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(point, segment, distance to its nearest sample) for every segment that may lie
        within ``within`` of a point (a superset: each has a sample within ``within + half``),
        each pair once, by point then segment. A ball query: for a few points."""
        hits = self.tree.query_ball_point(np.column_stack([px, py]), within + self.half)
        count = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        pi = np.repeat(np.arange(len(px)), count)
        si = np.concatenate(hits).astype(np.int64) if count.sum() else np.zeros(0, np.int64)
        ei = self.sample_edge[si]
        sd = np.hypot(self.tree.data[si, 0] - px[pi], self.tree.data[si, 1] - py[pi])
        order = np.lexsort((sd, ei, pi))
        pi, ei, sd = pi[order], ei[order], sd[order]
        first = np.r_[True, (pi[1:] != pi[:-1]) | (ei[1:] != ei[:-1])] if len(pi) else pi == 0
        return pi[first], ei[first], sd[first]
