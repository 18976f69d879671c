"""Which targets lie within a walking distance of which sources: a bounded many-to-many search.

Used for counts over many targets (the buildings around a candidate), where the nearest one is
not enough. One vectorised label-correcting search runs for a block of sources at once over
the routing graph's CSR arrays: labels are (source, node) -> best distance, every improved
label is expanded along its node's edges with ``numpy.repeat``/gather, the minimum per
(source, node) is kept, and the search stops when nothing improves within the bound. No Python
loop per source; memory grows with sources x nodes within the bound, so sources go in blocks.

Distances follow ``routing.nearest_network``: snapping offset + along the edge to an end node
+ network distance + along the target's edge + its offset, or directly along a shared edge;
the destination-only rule through the network's ``layers`` (sources enter, targets read, as
features and candidates do there).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from geoschikt.network import Network, Snapped

if TYPE_CHECKING:
    import scipy.sparse as sp

_BLOCK_ROWS = 4_000_000  # aim for about this many (source, node) labels and pairs per block


def pairs_within(
    network: Network, src: Snapped, dst: Snapped, bound_m: float
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(source index, target index) of every pair at most ``bound_m`` apart on the network,
    block by block (each pair once). Points off the network (edge -1) have no pairs."""
    layers = network.layers
    graph = layers.csr
    s_on = np.flatnonzero(src.on_network)
    t_on = np.flatnonzero(dst.on_network)
    if len(s_on) == 0 or len(t_on) == 0:
        return
    # targets by the node they are read at: (node, target, cost from that node)
    te = dst.edge[t_on]
    tl = network.length[te]
    at_u, at_v = layers.exit(network, te)
    node = np.concatenate([at_u, at_v])
    target = np.concatenate([t_on, t_on])
    cost = np.concatenate(
        [dst.offset_m[t_on] + dst.t[t_on] * tl, dst.offset_m[t_on] + (1 - dst.t[t_on]) * tl]
    )
    keep = cost <= bound_m
    order = np.argsort(node[keep], kind="stable")
    by_node = (node[keep][order], target[keep][order], cost[keep][order])
    # targets by edge, for the same-edge case
    t_order = np.argsort(te, kind="stable")
    by_edge = (te[t_order], t_on[t_order])

    # block size from the rows one source makes (nodes and targets within the bound), sampled
    per_source = _rows_per_source(network, graph, src, s_on, by_node, bound_m)
    block = int(max(16, min(len(s_on), _BLOCK_ROWS // max(per_source, 1))))
    for lo in range(0, len(s_on), block):
        sel = s_on[lo : lo + block]
        s, nd, d = _node_distances(network, graph, src, sel, bound_m)
        pairs = [_join_nodes(s, nd, d, by_node, bound_m)]
        pairs.append(_same_edge(network, src, dst, sel, by_edge, bound_m))
        si = np.concatenate([p[0] for p in pairs])
        ti = np.concatenate([p[1] for p in pairs])
        key = np.sort(si * np.int64(len(dst.edge)) + ti)  # np.unique, without its slow path
        key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
        yield key // len(dst.edge), key % len(dst.edge)


def count_reached(
    network: Network, src: Snapped, dst: Snapped, bound_m: float, groups: list[np.ndarray]
) -> list[np.ndarray]:
    """Per group (a boolean mask over the targets): how many of its targets lie within
    ``bound_m`` of each source (0 for sources off the network)."""
    n = len(src.edge)
    out = [np.zeros(n, dtype=np.int64) for _ in groups]
    for s, t in pairs_within(network, src, dst, bound_m):
        for counts, mask in zip(out, groups, strict=True):
            counts += np.bincount(s[mask[t]], minlength=n)
    return out


def _entry(
    network: Network, src: Snapped, sel: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, entry node, distance) of the two ends of each source's edge."""
    e = src.edge[sel]
    length = network.length[e]
    at_u, at_v = network.layers.entry(network, e)
    s = np.concatenate([sel, sel])
    node = np.concatenate([at_u, at_v])
    d = np.concatenate(
        [src.offset_m[sel] + src.t[sel] * length, src.offset_m[sel] + (1 - src.t[sel]) * length]
    )
    return s, node, d


def _node_distances(
    network: Network, graph: sp.csr_matrix, src: Snapped, sel: np.ndarray, bound_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, node, shortest distance) of every node within ``bound_m`` of the sources
    ``sel``, by rounds of label correction over the CSR arrays."""
    indptr, indices, weight = graph.indptr, graph.indices, graph.data
    n_nodes = np.int64(graph.shape[0])
    s, node, d = _entry(network, src, sel)
    ok = d <= bound_m
    best_k, best_d = _min_per_key(s[ok] * n_nodes + node[ok], d[ok])
    front_k, front_d = best_k, best_d
    while len(front_k):
        at = front_k % n_nodes
        start = indptr[at]
        deg = indptr[at + 1] - start
        total = int(deg.sum())
        if total == 0:
            break
        first = np.cumsum(deg) - deg
        edge = np.repeat(start - first, deg) + np.arange(total)
        nd = np.repeat(front_d, deg) + weight[edge]
        near = nd <= bound_m
        nk = np.repeat(front_k - at, deg)[near] + indices[edge][near]
        nk, nd = _min_per_key(nk, nd[near])
        pos = np.searchsorted(best_k, nk)
        found = pos < len(best_k)
        found[found] = best_k[pos[found]] == nk[found]
        better = ~found
        better[found] = nd[found] < best_d[pos[found]]
        improved = found & better
        best_d[pos[improved]] = nd[improved]
        new = ~found
        if new.any():
            best_k = np.insert(best_k, pos[new], nk[new])
            best_d = np.insert(best_d, pos[new], nd[new])
        front_k, front_d = nk[better], nd[better]
    return best_k // n_nodes, best_k % n_nodes, best_d


def _min_per_key(key: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique keys and the smallest distance of each."""
    if len(key) == 0:
        return key, d
    order = np.argsort(key)
    key, d = key[order], d[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    return key[start], np.minimum.reduceat(d, start)


def _join_nodes(
    s: np.ndarray,
    node: np.ndarray,
    d: np.ndarray,
    by_node: tuple[np.ndarray, np.ndarray, np.ndarray],
    bound_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) where a reached node plus the target's cost from it is within bound."""
    t_node, t_idx, t_cost = by_node
    lo = np.searchsorted(t_node, node, side="left")
    count = np.searchsorted(t_node, node, side="right") - lo
    total = int(count.sum())
    first = np.cumsum(count) - count
    row = np.repeat(lo - first, count) + np.arange(total)
    ok = np.repeat(d, count) + t_cost[row] <= bound_m
    return np.repeat(s, count)[ok], t_idx[row][ok]


def _same_edge(
    network: Network,
    src: Snapped,
    dst: Snapped,
    sel: np.ndarray,
    by_edge: tuple[np.ndarray, np.ndarray],
    bound_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) on one edge whose direct distance along it is within bound."""
    t_edge, t_idx = by_edge
    e = src.edge[sel]
    lo = np.searchsorted(t_edge, e, side="left")
    count = np.searchsorted(t_edge, e, side="right") - lo
    total = int(count.sum())
    first = np.cumsum(count) - count
    t = t_idx[np.repeat(lo - first, count) + np.arange(total)]
    s = np.repeat(sel, count)
    direct = (
        src.offset_m[s]
        + dst.offset_m[t]
        + np.abs(src.t[s] - dst.t[t]) * network.length[np.repeat(e, count)]
    )
    ok = direct <= bound_m
    return s[ok], t[ok]


def _rows_per_source(
    network: Network,
    graph: sp.csr_matrix,
    src: Snapped,
    s_on: np.ndarray,
    by_node: tuple[np.ndarray, np.ndarray, np.ndarray],
    bound_m: float,
) -> int:
    """Labels plus reached targets of a few sources (spread over the list), on average."""
    sample = s_on[np.linspace(0, len(s_on) - 1, min(32, len(s_on))).astype(np.int64)]
    s, node, d = _node_distances(network, graph, src, sample, bound_m)
    reached, _ = _join_nodes(s, node, d, by_node, bound_m)
    return int(np.ceil((len(s) + len(reached)) / len(sample)))
