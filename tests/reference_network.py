"""Independent reference implementation of walking distances, used to check geoschikt.

Deliberately slow and simple: osmnx reads the OSM file, networkx does the routing and
snapping is exact brute force in numpy (no spatial index), so that it shares no code or
shortcuts with the package's scipy.csgraph implementation. Nothing here imports geoschikt.

Definition (the one the package follows):

1. Graph from ``osmnx.graph_from_xml(simplify=False, retain_all=True, bidirectional=True)``.
2. Keep walkable ways only (see :func:`is_walkable`), treat them as undirected, drop self-loops.
3. Edge length is the WGS84 geodesic distance between the two end nodes.
4. Drop connected components with fewer than ``min_component_nodes`` nodes.
5. Snap every point and source to the nearest straight edge segment by planar distance in
   ``crs``; ``s`` is that distance and ``t`` the normalised position of the foot along the
   segment, so the snap point lies ``t * L`` from ``u`` and ``(1 - t) * L`` from ``v``.
6. Distance = ``s_point + network distance between snap points + s_source``, minimised over
   sources; NaN when above ``reach_m`` or when the point snaps farther than ``max_snap_m``.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox
import pyproj

WALKABLE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "footway", "path", "pedestrian", "living_street", "residential", "service",
        "unclassified", "tertiary", "tertiary_link", "secondary", "secondary_link",
        "primary", "primary_link", "track", "steps", "cycleway", "bridleway", "corridor",
        "road",
    }
)  # fmt: skip
_WAY_TAGS: list[str] = ["highway", "foot", "access", "area", "service"]
_FOOT_FORBIDDEN = frozenset({"no", "private"})
_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
_ACCESS_FORBIDDEN = frozenset({"no", "private"})

_GEOD = pyproj.Geod(ellps="WGS84")
_CHUNK = 256  # points per brute-force snapping block


def _values(tag: Any) -> set[str]:
    """Return a tag value as a set of strings (osmnx stores lists for merged ways)."""
    if tag is None:
        return set()
    if isinstance(tag, list | tuple | set):
        return {str(v) for v in tag}
    if isinstance(tag, float) and np.isnan(tag):
        return set()
    return {str(tag)}


def is_walkable(data: Mapping[str, Any]) -> bool:
    """Whether an osmnx edge attribute dict describes a way a pedestrian may use.

    For list-valued tags a tag "matches" a set when any of its values is in the set.
    """
    highway = _values(data.get("highway"))
    foot = _values(data.get("foot"))
    if not highway & WALKABLE_HIGHWAYS:
        return False
    if "yes" in _values(data.get("area")):
        return False
    if foot & _FOOT_FORBIDDEN:
        return False
    if _values(data.get("access")) & _ACCESS_FORBIDDEN and not foot & _FOOT_ALLOWED:
        return False
    return "private" not in _values(data.get("service"))


def _load_osm_graph(osm_path: str) -> nx.MultiDiGraph:
    """Read the raw osmnx graph, keeping the way tags needed by :func:`is_walkable`."""
    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = list(_WAY_TAGS)
    try:
        return ox.graph_from_xml(osm_path, simplify=False, retain_all=True, bidirectional=True)
    finally:
        ox.settings.useful_tags_way = saved


@functools.lru_cache(maxsize=8)
def _walkable_graph(osm_path: str, crs: str) -> nx.Graph:
    """Undirected walkable graph (steps 1-3) with geodesic lengths and projected coordinates."""
    raw = _load_osm_graph(osm_path)
    G = nx.Graph()
    for u, v, data in raw.edges(data=True):
        if u != v and is_walkable(data):
            G.add_edge(u, v)
    nodes = list(G.nodes)
    lon = np.array([raw.nodes[n]["x"] for n in nodes], dtype=float)
    lat = np.array([raw.nodes[n]["y"] for n in nodes], dtype=float)
    px, py = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    for n, x, y, X, Y in zip(nodes, lon, lat, px, py, strict=True):
        G.nodes[n].update(x=float(x), y=float(y), px=float(X), py=float(Y))
    edges = list(G.edges)
    if edges:
        eu = np.array([G.nodes[u]["x"] for u, _ in edges])
        ev = np.array([G.nodes[v]["x"] for _, v in edges])
        nu = np.array([G.nodes[u]["y"] for u, _ in edges])
        nv = np.array([G.nodes[v]["y"] for _, v in edges])
        length = np.asarray(_GEOD.inv(eu, nu, ev, nv)[2], dtype=float)
        for (u, v), L in zip(edges, length, strict=True):
            G.edges[u, v]["length"] = float(L)
    G.graph.update(crs=crs, osm_path=osm_path, raw_nodes=raw.number_of_nodes(),
                   raw_edges=raw.number_of_edges())  # fmt: skip
    return G


@functools.lru_cache(maxsize=8)
def _pruned_graph(osm_path: str, crs: str, min_component_nodes: int) -> nx.Graph:
    """Walkable graph without components smaller than ``min_component_nodes`` (step 4)."""
    G = _walkable_graph(osm_path, crs).copy()
    small = [c for c in nx.connected_components(G) if len(c) < min_component_nodes]
    for comp in small:
        G.remove_nodes_from(comp)
    G.graph["min_component_nodes"] = min_component_nodes
    return G


def build_reference_graph(osm_path: str, crs: str, min_component_nodes: int = 50) -> nx.Graph:
    """Return the cached walkable reference graph for ``osm_path`` in ``crs``.

    Undirected ``nx.Graph`` keyed by OSM node id; nodes carry ``x``/``y`` (lon/lat) and
    ``px``/``py`` (projected), edges carry ``length`` (geodesic metres). The object is shared
    between callers: copy it before modifying.
    """
    return _pruned_graph(str(Path(osm_path).resolve()), str(crs), int(min_component_nodes))


def _project(points_lonlat: np.ndarray, crs: str) -> np.ndarray:
    """Project an (n, 2) lon/lat array to planar (n, 2) coordinates in ``crs``."""
    pts = np.asarray(points_lonlat, dtype=float).reshape(-1, 2)
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        pts[:, 0], pts[:, 1]
    )
    return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])


def _segments(G: nx.Graph) -> tuple[list[tuple[Hashable, Hashable]], np.ndarray, np.ndarray]:
    """Edge list (with the u->v orientation used for ``t``) and planar end coordinates."""
    edges = list(G.edges)
    a = np.array([(G.nodes[u]["px"], G.nodes[u]["py"]) for u, _ in edges], dtype=float)
    b = np.array([(G.nodes[v]["px"], G.nodes[v]["py"]) for _, v in edges], dtype=float)
    return edges, a.reshape(-1, 2), b.reshape(-1, 2)


def snap_to_edges(
    G: nx.Graph, xy: np.ndarray
) -> tuple[list[tuple[Hashable, Hashable]], np.ndarray, np.ndarray, np.ndarray]:
    """Exact brute-force nearest-segment snapping of planar points.

    Returns the edge list and, per point, the index of its nearest edge, the snap distance
    ``s`` and the fraction ``t`` of the foot along that edge (0 at ``u``, 1 at ``v``). Ties
    go to the first edge in ``G.edges`` order.
    """
    edges, a, b = _segments(G)
    n = len(xy)
    idx = np.zeros(n, dtype=np.int64)
    dist = np.full(n, np.inf)
    frac = np.zeros(n)
    if not edges or n == 0:
        return edges, idx, dist, frac
    d = b - a
    dd = (d * d).sum(axis=1)
    safe = np.where(dd > 0, dd, 1.0)
    for lo in range(0, n, _CHUNK):
        p = xy[lo : lo + _CHUNK]
        # (chunk, m) fractions of the orthogonal foot, clamped onto the segment
        t = ((p[:, None, 0] - a[None, :, 0]) * d[None, :, 0]
             + (p[:, None, 1] - a[None, :, 1]) * d[None, :, 1]) / safe[None, :]  # fmt: skip
        t = np.where(dd[None, :] > 0, np.clip(t, 0.0, 1.0), 0.0)
        fx = a[None, :, 0] + t * d[None, :, 0] - p[:, None, 0]
        fy = a[None, :, 1] + t * d[None, :, 1] - p[:, None, 1]
        s2 = fx * fx + fy * fy
        best = np.argmin(s2, axis=1)
        rows = np.arange(len(p))
        idx[lo : lo + len(p)] = best
        dist[lo : lo + len(p)] = np.sqrt(s2[rows, best])
        frac[lo : lo + len(p)] = t[rows, best]
    return edges, idx, dist, frac


def _insert_snaps(
    G: nx.Graph,
    edges: list[tuple[Hashable, Hashable]],
    snaps: Iterable[tuple[Hashable, int, float, float]],
) -> nx.Graph:
    """Copy ``G`` and attach each ``(label, edge index, s, t)`` as a leaf node ``label``.

    Every snap point becomes a new node splitting its edge (several per edge are chained in
    order of ``t``); the leaf hangs off its snap node with weight ``s``.
    """
    H = G.copy()
    per_edge: dict[int, list[tuple[float, Hashable, float]]] = defaultdict(list)
    for label, e, s, t in snaps:
        per_edge[e].append((t, label, s))
    for e, items in per_edge.items():
        u, v = edges[e]
        L = G.edges[u, v]["length"]
        H.remove_edge(u, v)
        items.sort(key=lambda it: it[0])
        prev, prev_t = u, 0.0
        for t, label, s in items:
            snap = ("snap", label)
            H.add_edge(prev, snap, length=(t - prev_t) * L)
            H.add_edge(snap, label, length=float(s))
            prev, prev_t = snap, t
        H.add_edge(prev, v, length=(1.0 - prev_t) * L)
    return H


def _finish(dist: Mapping[Hashable, float], labels: list[Hashable], reach_m: float) -> np.ndarray:
    """Collect Dijkstra results for ``labels``; missing or beyond ``reach_m`` -> NaN."""
    out = np.full(len(labels), np.nan)
    for i, label in enumerate(labels):
        d = dist.get(label)
        if d is not None and d <= reach_m:
            out[i] = d
    return out


def reference_walk_distances(
    osm_path: str,
    crs: str,
    points_lonlat: np.ndarray,
    sources_lonlat: np.ndarray,
    reach_m: float,
    max_snap_m: float = 500.0,
    min_component_nodes: int = 50,
) -> np.ndarray:
    """Walking distance in metres from each point to its nearest source (edge snapping).

    NaN where the nearest source is farther than ``reach_m`` or the point lies farther than
    ``max_snap_m`` from the network. Sources farther than ``max_snap_m`` are ignored.
    """
    G = build_reference_graph(osm_path, crs, min_component_nodes)
    pts = _project(points_lonlat, crs)
    srcs = _project(sources_lonlat, crs)
    n = len(pts)
    if n == 0:
        return np.zeros(0)
    edges, p_idx, p_s, p_t = snap_to_edges(G, pts)
    _, f_idx, f_s, f_t = snap_to_edges(G, srcs)
    p_ok = p_s <= max_snap_m
    f_ok = f_s <= max_snap_m
    if not f_ok.any():
        return np.full(n, np.nan)
    snaps: list[tuple[Hashable, int, float, float]] = []
    for i in np.flatnonzero(p_ok).tolist():
        snaps.append((("pt", i), int(p_idx[i]), float(p_s[i]), float(p_t[i])))
    for j in np.flatnonzero(f_ok).tolist():
        snaps.append((("src", j), int(f_idx[j]), float(f_s[j]), float(f_t[j])))
    H = _insert_snaps(G, edges, snaps)
    sources = [("src", j) for j in np.flatnonzero(f_ok).tolist()]
    dist = nx.multi_source_dijkstra_path_length(H, sources, cutoff=reach_m, weight="length")
    out = _finish(dist, [("pt", i) for i in range(n)], reach_m)
    out[~p_ok] = np.nan
    return out


def snap_to_nodes(G: nx.Graph, xy: np.ndarray) -> tuple[list[Hashable], np.ndarray, np.ndarray]:
    """Brute-force nearest-node snapping: node list, nearest node index and planar distance."""
    nodes = list(G.nodes)
    nxy = np.array([(G.nodes[k]["px"], G.nodes[k]["py"]) for k in nodes], dtype=float)
    n = len(xy)
    idx = np.zeros(n, dtype=np.int64)
    dist = np.full(n, np.inf)
    if not nodes or n == 0:
        return nodes, idx, dist
    for lo in range(0, n, _CHUNK):
        p = xy[lo : lo + _CHUNK]
        d2 = ((p[:, None, :] - nxy[None, :, :]) ** 2).sum(axis=2)
        best = np.argmin(d2, axis=1)
        idx[lo : lo + len(p)] = best
        dist[lo : lo + len(p)] = np.sqrt(d2[np.arange(len(p)), best])
    return nodes, idx, dist


def reference_node_snap_distances(
    osm_path: str,
    crs: str,
    points_lonlat: np.ndarray,
    sources_lonlat: np.ndarray,
    reach_m: float,
    max_snap_m: float = 500.0,
    min_component_nodes: int = 50,
) -> np.ndarray:
    """Naive variant: snap to the nearest graph NODE and add no snap offsets.

    The result is the plain network distance between the two snap nodes, NaN beyond
    ``reach_m`` or where the point (or every source) is farther than ``max_snap_m`` from
    its nearest node.
    """
    G = build_reference_graph(osm_path, crs, min_component_nodes)
    pts = _project(points_lonlat, crs)
    srcs = _project(sources_lonlat, crs)
    n = len(pts)
    if n == 0:
        return np.zeros(0)
    nodes, p_idx, p_s = snap_to_nodes(G, pts)
    _, f_idx, f_s = snap_to_nodes(G, srcs)
    sources = {nodes[j] for j in f_idx[f_s <= max_snap_m]}
    if not sources:
        return np.full(n, np.nan)
    dist = nx.multi_source_dijkstra_path_length(G, sources, cutoff=reach_m, weight="length")
    out = _finish(dist, [nodes[i] for i in p_idx], reach_m)
    out[p_s > max_snap_m] = np.nan
    return out
