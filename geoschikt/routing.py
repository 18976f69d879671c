"""Distance from every candidate to the nearest feature of a category.

Network distances use one multi-source Dijkstra per category (scipy's compiled csgraph): each
feature becomes a virtual source node joined to both ends of the edge it snapped onto, so the
cost grows with the network, not with candidates x features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geoschikt.network import Network, Snapped


@dataclass(frozen=True)
class Nearest:
    """Per candidate: distance in metres (inf = none within reach) and the nearest feature's
    position in the feature arrays (-1 = none)."""

    distance: np.ndarray
    feature: np.ndarray


def nearest_straight(
    cx: np.ndarray, cy: np.ndarray, fx: np.ndarray, fy: np.ndarray, reach_m: float
) -> Nearest:
    """Straight-line distance (metric CRS) to the nearest feature within ``reach_m``."""
    n = len(cx)
    if len(fx) == 0 or n == 0:
        return Nearest(np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
    from scipy.spatial import cKDTree  # here, not on import: re-scoring does not need scipy

    tree = cKDTree(np.column_stack([fx, fy]))
    dist, idx = tree.query(np.column_stack([cx, cy]), k=1, distance_upper_bound=reach_m)
    idx = np.where(np.isfinite(dist), idx, -1).astype(np.int64)
    return Nearest(dist, idx)


def nearest_network(network: Network, cand: Snapped, feat: Snapped, reach_m: float) -> Nearest:
    """Network distance: snap offset + along-edge + shortest path + along-edge + snap offset."""
    from scipy.sparse.csgraph import dijkstra

    n = len(cand.edge)
    dist = np.full(n, np.inf)
    nearest = np.full(n, -1, dtype=np.int64)
    fidx = np.flatnonzero(feat.on_network)
    if len(fidx) == 0 or n == 0:
        return Nearest(dist, nearest)

    fe = feat.edge[fidx]
    L = network.length[fe]
    layers = network.layers  # the destination-only rule (the plain graph without such ways)
    layered = network.destination_only is not None
    virtual = layers.n + np.arange(len(fidx))
    rows = np.concatenate([virtual, virtual])
    cols = np.concatenate(layers.entry(network, fe))
    w = np.concatenate(
        [feat.offset_m[fidx] + feat.t[fidx] * L, feat.offset_m[fidx] + (1 - feat.t[fidx]) * L]
    )
    graph = network.csr(rows, cols, np.maximum(w, 1e-9), n_extra=len(fidx), layered=layered)
    node_dist, _, source = dijkstra(
        graph,
        directed=True,
        indices=virtual,
        min_only=True,
        limit=reach_m,
        return_predecessors=True,
    )

    on = np.flatnonzero(cand.on_network)
    ce = cand.edge[on]
    Lc = network.length[ce]
    at_u, at_v = layers.exit(network, ce)
    du = node_dist[at_u] + cand.t[on] * Lc
    dv = node_dist[at_v] + (1 - cand.t[on]) * Lc
    via_u = du <= dv
    best = np.where(via_u, du, dv)
    src = np.where(via_u, source[at_u], source[at_v])
    best = best + cand.offset_m[on]

    # a candidate and a feature on the same edge can reach each other without passing a node
    same = _same_edge(ce, cand.t[on], cand.offset_m[on], fe, feat.t[fidx], feat.offset_m[fidx], Lc)
    if same is not None:
        pos, direct, which = same
        better = direct < best[pos]
        best[pos[better]] = direct[better]
        src[pos[better]] = virtual[which[better]]

    ok = np.isfinite(best) & (best <= reach_m) & (src >= layers.n)
    dist[on[ok]] = best[ok]
    nearest[on[ok]] = fidx[src[ok] - layers.n]
    return Nearest(dist, nearest)


def _same_edge(
    ce: np.ndarray,
    ct: np.ndarray,
    coff: np.ndarray,
    fe: np.ndarray,
    ft: np.ndarray,
    foff: np.ndarray,
    Lc: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Direct along-edge distances for candidate/feature pairs that share an edge: per such
    candidate (ascending), the shortest one and the feature giving it (the first on ties)."""
    has_feature = np.zeros(max(int(ce.max(initial=-1)), int(fe.max(initial=-1))) + 1, bool)
    has_feature[fe] = True
    pos = np.flatnonzero(has_feature[ce])  # the few candidates on an edge with a feature
    if len(pos) == 0:
        return None
    order = np.argsort(fe, kind="stable")
    fe_sorted = fe[order]
    lo = np.searchsorted(fe_sorted, ce[pos], side="left")
    reps = np.searchsorted(fe_sorted, ce[pos], side="right") - lo
    group = np.cumsum(reps) - reps  # where each candidate's pairs start
    cpos = np.repeat(pos, reps)
    which = order[np.repeat(lo, reps) + np.arange(reps.sum()) - np.repeat(group, reps)]
    d = coff[cpos] + foff[which] + np.abs(ct[cpos] - ft[which]) * Lc[cpos]
    best = np.minimum.reduceat(d, group)
    at_min = np.flatnonzero(d == np.repeat(best, reps))
    first = at_min[np.searchsorted(at_min, group)]
    return pos, best, which[first]
