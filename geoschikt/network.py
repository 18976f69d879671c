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
_YES = {"yes", "designated", "permissive"}
_NO = {"no", "private"}


def usable_ways(tags: pd.DataFrame, mode: str) -> np.ndarray:
    """Boolean mask of the ways a pedestrian (``walk``) or cyclist (``bike``) may use."""
    hw = tags["highway"].fillna("")
    access = tags["access"].fillna("")
    own = tags["foot" if mode == "walk" else "bicycle"].fillna("")
    if mode == "walk":
        kind_ok = hw.isin(WALK_HIGHWAYS)
    else:  # footways and pedestrian streets only where cycling is signed as allowed
        kind_ok = hw.isin(BIKE_HIGHWAYS) | (hw.isin({"footway", "pedestrian"}) & own.isin(_YES))
    ok = (
        kind_ok
        & (tags["area"].fillna("") != "yes")
        & ~own.isin(_NO)
        & ~(access.isin(_NO) & ~own.isin(_YES))
        & (tags["service"].fillna("") != "private")
    )
    return ok.to_numpy()


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
    segments: np.ndarray  # shapely LineStrings (metric CRS), one per edge
    tree: shapely.STRtree

    @property
    def n_nodes(self) -> int:
        return len(self.x)

    @cached_property
    def snap_index(self) -> _SnapIndex | None:
        """Points every ~10 m along the edges in a KD-tree, for fast exact snapping (built on
        first use; None when an edge is not a straight two-point segment)."""
        return _SnapIndex.build(self.segments)

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

    def csr(
        self, extra_rows=None, extra_cols=None, extra_w=None, n_extra: int = 0
    ) -> sp.csr_matrix:
        """Symmetric adjacency matrix, optionally with directed edges from ``n_extra`` new nodes."""
        import scipy.sparse as sp

        n = self.n_nodes
        base = self._base_csr  # built once per network; new nodes' rows are appended to it
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
        return sp.csr_matrix(
            (
                np.concatenate([self.length, self.length, w]),
                (np.concatenate([self.u, self.v, rows]), np.concatenate([self.v, self.u, cols])),
            ),
            shape=(size, size),
        )


def build_network(ways: NetworkWays, mode: str, crs: str, rules: NetworkRules) -> Network:
    """Graph of all usable way segments, without fragments under ``min_component_nodes``."""
    ok_way = usable_ways(ways.tags, mode)
    same_way = ways.way[:-1] == ways.way[1:]
    located = np.isfinite(ways.lon)  # nodes missing from a clipped extract have NaN
    take = (
        same_way
        & ok_way[ways.way[:-1]]
        & (ways.refs[:-1] != ways.refs[1:])
        & located[:-1]
        & located[1:]
    )
    a = np.flatnonzero(take)
    if len(a) == 0:
        raise AreaError(f"the OSM data has no streets or paths usable for mode '{mode}'")
    ends = np.concatenate([a, a + 1])
    node_ids, inverse = np.unique(ways.refs[ends], return_inverse=True)
    first = np.zeros(len(node_ids), dtype=np.int64)
    first[inverse[::-1]] = ends[::-1]  # any occurrence gives the node's location
    lon, lat = ways.lon[first], ways.lat[first]
    u, v = inverse[: len(a)], inverse[len(a) :]
    u, v = np.minimum(u, v), np.maximum(u, v)
    # unique (u, v) pairs in (u, v) order, via one int64 key (much faster than axis=0)
    pairs = np.sort(u * np.int64(len(node_ids)) + v)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]  # np.unique, without its slow path
    u, v = pairs // len(node_ids), pairs % len(node_ids)

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
    lon, lat = lon[keep_node], lat[keep_node]

    x, y = transform_xy(lon, lat, WGS84, crs)
    length = geodesic_lengths(lon[u], lat[u], lon[v], lat[v])
    length = np.maximum(length, 1e-6)  # csgraph ignores explicit zeros
    coords = np.stack([np.stack([x[u], y[u]], axis=1), np.stack([x[v], y[v]], axis=1)], axis=1)
    segments = shapely.linestrings(coords)
    log.info(
        "%s network: %d nodes, %d edges, %.0f km (dropped %d nodes in small fragments)",
        mode,
        len(x),
        len(u),
        length.sum() / 1000,
        dropped,
    )
    return Network(mode, crs, x, y, u, v, length, segments, shapely.STRtree(segments))


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
    n = len(x)
    edge = np.full(n, -1, dtype=np.int64)
    t = np.full(n, np.nan)
    offset = np.full(n, np.nan)
    if n == 0:
        return Snapped(edge, t, offset)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    index = network.snap_index
    todo = np.arange(n)
    if index is not None:
        for lo in range(0, n, _SNAP_CHUNK):
            part = todo[lo : lo + _SNAP_CHUNK]
            e, tt, d, exact = index.nearest(x[part], y[part], max_snap_m)
            hit = exact & (e >= 0)
            edge[part[hit]], t[part[hit]], offset[part[hit]] = e[hit], tt[hit], d[hit]
            slow = part[~exact]
            if len(slow):
                _snap_with_tree(network, x, y, slow, max_snap_m, edge, t, offset)
        return Snapped(edge, t, offset)
    _snap_with_tree(network, x, y, todo, max_snap_m, edge, t, offset)
    return Snapped(edge, t, offset)


def _snap_with_tree(network, x, y, which, max_snap_m, edge, t, offset) -> None:
    """GEOS STRtree nearest-edge search for the points ``which`` (fills the output arrays)."""
    pts = shapely.points(x[which], y[which])
    (ip, ie), dist = network.tree.query_nearest(
        pts, max_distance=max_snap_m, return_distance=True, all_matches=False
    )
    edge[which[ip]] = ie
    offset[which[ip]] = dist
    t[which[ip]] = shapely.line_locate_point(network.segments[ie], pts[ip], normalized=True)


_SNAP_STEP_M = 10.0  # spacing of the index points along each edge
_SNAP_K = 12  # index points fetched per query point
_SNAP_CHUNK = 200_000  # query points per vectorised batch (bounds temporary memory)


@dataclass(frozen=True)
class _SnapIndex:
    """Exact nearest-segment search with a KD-tree of points sampled along the segments.

    Every point of a segment lies within ``half`` of one of its samples, so a segment at
    distance D from a query point has a sample within D + half. The query takes the ``k``
    nearest samples, measures the exact point-to-segment distance to their segments and keeps
    the best, D*; the answer is proven exact when the k-th sample is farther than D* + half
    (no unseen segment can be closer). Points where that fails go to the STRtree.
    """

    ax: np.ndarray
    ay: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    len2: np.ndarray
    sample_edge: np.ndarray
    half: float
    tree: cKDTree

    @classmethod
    def build(cls, segments: np.ndarray) -> _SnapIndex | None:
        if len(segments) == 0 or not (shapely.get_num_coordinates(segments) == 2).all():
            return None
        xy = shapely.get_coordinates(segments).reshape(-1, 2, 2)
        ax, ay = xy[:, 0, 0], xy[:, 0, 1]
        dx, dy = xy[:, 1, 0] - ax, xy[:, 1, 1] - ay
        seg_len = np.hypot(dx, dy)
        pieces = np.maximum(np.ceil(seg_len / _SNAP_STEP_M), 1).astype(np.int64)
        sample_edge = np.repeat(np.arange(len(segments)), pieces)
        first = np.cumsum(pieces) - pieces
        frac = (np.arange(len(sample_edge)) - first[sample_edge] + 0.5) / pieces[sample_edge]
        sx = ax[sample_edge] + frac * dx[sample_edge]
        sy = ay[sample_edge] + frac * dy[sample_edge]
        half = float((seg_len / pieces).max()) / 2 * (1 + 1e-9) + 1e-9
        from scipy.spatial import cKDTree  # see TYPE_CHECKING above

        return cls(
            ax, ay, dx, dy, dx * dx + dy * dy, sample_edge, half, cKDTree(np.column_stack([sx, sy]))
        )

    def nearest(self, px: np.ndarray, py: np.ndarray, max_dist: float):
        """(edge or -1, fraction t from u, distance, exact?) per point."""
        k = min(_SNAP_K, len(self.sample_edge))
        sd, si = self.tree.query(
            np.column_stack([px, py]), k=k, distance_upper_bound=max_dist + self.half, workers=-1
        )
        sd, si = sd.reshape(len(px), k), si.reshape(len(px), k)
        valid = si < len(self.sample_edge)
        cand = np.where(valid, self.sample_edge[np.minimum(si, len(self.sample_edge) - 1)], -1)
        e = np.maximum(cand, 0)
        len2 = self.len2[e]
        # GEOS's point-to-segment projection factor and distance, vectorised
        r = (px[:, None] - self.ax[e]) * self.dx[e] + (py[:, None] - self.ay[e]) * self.dy[e]
        r = np.where(len2 > 0, r / np.where(len2 > 0, len2, 1.0), 0.0)
        r = np.clip(r, 0.0, 1.0)
        qx = self.ax[e] + r * self.dx[e]
        qy = self.ay[e] + r * self.dy[e]
        dist = np.where(valid, np.hypot(px[:, None] - qx, py[:, None] - qy), np.inf)
        best = np.argmin(dist, axis=1)  # equal distances (a shared end node): the nearer sample
        rows = np.arange(len(px))
        d_best = dist[rows, best]
        e_best = np.where(np.isfinite(d_best) & (d_best <= max_dist), cand[rows, best], -1)
        t_best = r[rows, best]
        exact = sd[:, -1] > np.minimum(d_best, max_dist) + self.half
        return e_best, t_best, np.where(e_best >= 0, d_best, np.nan), exact
