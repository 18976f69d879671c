"""The walking/cycling network as arrays, and snapping points onto its edges."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from geoschikt.acquire import NetworkWays
from geoschikt.config import NetworkRules
from geoschikt.errors import AreaError
from geoschikt.geo import WGS84, geodesic_lengths, transform_xy

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
BIKE_HIGHWAYS = frozenset(
    {
        "cycleway",
        "path",
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
        "road",
    }
)
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

    def csr(
        self, extra_rows=None, extra_cols=None, extra_w=None, n_extra: int = 0
    ) -> sp.csr_matrix:
        """Symmetric adjacency matrix, optionally with directed edges from ``n_extra`` new nodes."""
        n = self.n_nodes + n_extra
        rows = [self.u, self.v]
        cols = [self.v, self.u]
        data = [self.length, self.length]
        if n_extra:
            rows.append(extra_rows)
            cols.append(extra_cols)
            data.append(extra_w)
        return sp.csr_matrix(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
        )


def build_network(ways: NetworkWays, mode: str, crs: str, rules: NetworkRules) -> Network:
    """Graph of all usable way segments, without fragments under ``min_component_nodes``."""
    ok_way = usable_ways(ways.tags, mode)
    same_way = ways.way[:-1] == ways.way[1:]
    take = same_way & ok_way[ways.way[:-1]] & (ways.refs[:-1] != ways.refs[1:])
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
    pairs = np.unique(np.stack([u, v], axis=1), axis=0)
    u, v = pairs[:, 0], pairs[:, 1]

    # drop fragments
    n = len(node_ids)
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
    pts = shapely.points(x, y)
    (ip, ie), dist = network.tree.query_nearest(
        pts, max_distance=max_snap_m, return_distance=True, all_matches=False
    )
    edge[ip] = ie
    offset[ip] = dist
    t[ip] = shapely.line_locate_point(network.segments[ie], pts[ip], normalized=True)
    return Snapped(edge, t, offset)
