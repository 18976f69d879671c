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

Dutch walking rules (issue 11), written here without the package's code:

- A way is closed to walkers (``foot=no``; ``access=no`` without ``foot=yes``), public, or
  destination-only (``access``/``foot`` private, destination, customers, delivery, or
  ``service=private``, unless ``foot=yes``). Public ways reached only through destination-only
  ones (public parts with fewer than ``min_component_nodes`` nodes) count as destination-only.
  A walk is: destination-only edges, then public edges, then destination-only edges (each part
  may be empty): routed on a state graph (node, phase) where phase only grows.
- ``route=ferry`` ways are walkable ways; ``highway=pedestrian|footway`` + ``area=yes`` areas
  are walkable along their outline and straight across between outline nodes that other
  walkable ways use, where the straight line stays inside the area (0.05 m tolerance).
- A barrier node with ``access=no|private`` (without ``foot=yes``) or ``foot=no|private`` is
  split into one node per edge, before small fragments are dropped.
- Points (candidates) are snapped to the nearest edge whose snapping line crosses no water
  area and no other building (buildings of 30 m² or more, not roofs/shelters; not the building
  the point is in, nor one the edge runs through), among its 24 nearest edges up to 150 m
  farther than the nearest (else the nearest); sources only avoid water. Brute force.
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
_WAY_TAGS: list[str] = ["highway", "foot", "access", "area", "service", "route"]
_NODE_TAGS: list[str] = ["barrier", "access", "foot"]
_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
_LOCAL_ONLY = frozenset({"private", "destination", "customers", "delivery"})

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


def walk_class(data: Mapping[str, Any]) -> str | None:
    """None (not walkable), "public" or "local" (destination-only) for an osmnx edge's tags.

    For list-valued tags a tag "matches" a set when any of its values is in the set.
    """
    highway = _values(data.get("highway"))
    foot = _values(data.get("foot"))
    access = _values(data.get("access"))
    if highway:
        if not highway & WALKABLE_HIGHWAYS:
            return None
        if "yes" in _values(data.get("area")) and not highway & {"pedestrian", "footway"}:
            return None
    elif "ferry" not in _values(data.get("route")):
        return None
    if "no" in foot or ("no" in access and not foot & _FOOT_ALLOWED):
        return None
    if foot & _LOCAL_ONLY:
        return "local"
    if foot & _FOOT_ALLOWED:
        return "public"
    if access & _LOCAL_ONLY or "private" in _values(data.get("service")):
        return "local"
    return "public"


def is_walkable(data: Mapping[str, Any]) -> bool:
    """Whether an osmnx edge attribute dict describes a way a pedestrian may use at all."""
    return walk_class(data) is not None


def _blocks(node: Mapping[str, Any]) -> bool:
    """A barrier node a walker may not pass."""
    if not _values(node.get("barrier")):
        return False
    foot = _values(node.get("foot"))
    if foot & {"no", "private"}:
        return True
    return bool(_values(node.get("access")) & {"no", "private"}) and not foot & _FOOT_ALLOWED


def _load_osm_graph(osm_path: str) -> nx.MultiDiGraph:
    """Read the raw osmnx graph, keeping the way tags needed by :func:`is_walkable`."""
    saved = list(ox.settings.useful_tags_way), list(ox.settings.useful_tags_node)
    ox.settings.useful_tags_way = list(_WAY_TAGS)
    ox.settings.useful_tags_node = list(_NODE_TAGS)
    try:
        return ox.graph_from_xml(osm_path, simplify=False, retain_all=True, bidirectional=True)
    finally:
        ox.settings.useful_tags_way, ox.settings.useful_tags_node = saved


@functools.lru_cache(maxsize=8)
def _walkable_graph(osm_path: str, crs: str) -> nx.Graph:
    """Undirected walkable graph (steps 1-3) with geodesic lengths and projected coordinates."""
    raw = _load_osm_graph(osm_path)
    G = nx.Graph()
    ways_at: dict[Hashable, set] = defaultdict(set)
    for u, v, data in raw.edges(data=True):
        kind = walk_class(data)
        if kind is None:
            continue
        ways_at[u].add(data.get("osmid"))
        ways_at[v].add(data.get("osmid"))
        if u != v:
            _add(G, u, v, kind)
    for a, b, kind in _square_crossings(osm_path, raw, ways_at, crs):
        _add(G, a, b, kind)
    for b in [n for n in G.nodes if _blocks(raw.nodes[n])]:  # split closed barriers
        for nb in list(G.neighbors(b)):
            kind = G.edges[b, nb]["kind"]
            G.add_edge(("barrier", b, nb), nb, kind=kind)
            raw.add_node(("barrier", b, nb), **raw.nodes[b])
        G.remove_node(b)
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


def _add(G: nx.Graph, u: Hashable, v: Hashable, kind: str) -> None:
    """Add an undirected edge; a pair that is both public and local stays public."""
    if G.has_edge(u, v) and G.edges[u, v]["kind"] == "public":
        return
    G.add_edge(u, v, kind=kind)


def _square_crossings(osm_path: str, raw, ways_at, crs: str):
    """(a, b, kind) straight edges across walkable squares (see the module docstring)."""
    import osmium
    import shapely

    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    out = []
    for w in osmium.FileProcessor(osm_path, osmium.osm.WAY):
        tags = dict(w.tags)
        if tags.get("area") != "yes" or tags.get("highway") not in ("pedestrian", "footway"):
            continue
        kind = walk_class(tags)
        refs = [n.ref for n in w.nodes]
        if kind is None or len(refs) < 4 or refs[0] != refs[-1]:
            continue
        if not all(r in raw.nodes for r in refs):
            continue
        pts = {r: to_m.transform(raw.nodes[r]["x"], raw.nodes[r]["y"]) for r in refs}
        area = shapely.Polygon([pts[r] for r in refs]).buffer(0.05)
        joints = sorted({r for r in refs if len(ways_at.get(r, ())) >= 2})
        for i, a in enumerate(joints):
            for b in joints[i + 1 :]:
                if area.covers(shapely.LineString([pts[a], pts[b]])):
                    out.append((a, b, kind))
    return out


@functools.lru_cache(maxsize=8)
def _pruned_graph(osm_path: str, crs: str, min_component_nodes: int) -> nx.Graph:
    """Walkable graph without components smaller than ``min_component_nodes`` (step 4)."""
    G = _walkable_graph(osm_path, crs).copy()
    small = [c for c in nx.connected_components(G) if len(c) < min_component_nodes]
    for comp in small:
        G.remove_nodes_from(comp)
    public = nx.Graph([(u, v) for u, v, k in G.edges(data="kind") if k == "public"])
    for comp in nx.connected_components(public):
        if len(comp) < min_component_nodes:  # reached only through local ways: local too
            for u, v in public.subgraph(comp).edges:
                G.edges[u, v]["kind"] = "local"
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


@functools.lru_cache(maxsize=8)
def _obstacles(osm_path: str, crs: str) -> list[tuple[Any, bool, tuple]]:
    """(polygon in ``crs``, is water, bounds) of every building and water area that snapping
    lines may not cross, read with osmnx."""
    import shapely

    tags = {"building": True, "natural": "water", "waterway": ["riverbank", "canal", "dock"],
            "water": True}  # fmt: skip
    gdf = ox.features_from_xml(osm_path, tags=tags).to_crs(crs)
    out = []
    for _, row in gdf.iterrows():
        geom = row.geometry
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        water = (
            row.get("natural") == "water"
            or row.get("waterway") in ("riverbank", "canal", "dock")
            or isinstance(row.get("water"), str)
        )
        if not water:
            kind = row.get("building")
            if not isinstance(kind, str) or kind in ("no", "roof", "carport", "canopy",
                                                    "shelter", "ruins", "bridge"):  # fmt: skip
                continue
            if geom.area < 30.0:
                continue
        if not geom.is_valid:
            continue
        out.append((geom, water, geom.bounds))
    shapely.prepare([g for g, _, _ in out])
    return out


def _line_blocked(obstacles, p, q, buildings: bool) -> bool:
    """Does the straight line p -> q cross water or (``buildings``) another building?"""
    import shapely

    line = shapely.LineString([p, q])
    x0, x1 = min(p[0], q[0]), max(p[0], q[0])
    y0, y1 = min(p[1], q[1]), max(p[1], q[1])
    for geom, water, (bx0, by0, bx1, by1) in obstacles:
        if bx0 > x1 or bx1 < x0 or by0 > y1 or by1 < y0:
            continue
        if not water and not buildings:
            continue
        if geom.contains(shapely.Point(p)):
            continue  # its own building, or water it floats on
        if not water and geom.intersects(shapely.Point(q)):
            continue  # a passage under a building
        if line.relate_pattern(geom, "T********"):
            return True
    return False


def snap_clear(G: nx.Graph, xy: np.ndarray, obstacles, buildings: bool):
    """Like :func:`snap_to_edges`, but each point takes the nearest edge whose snapping line is
    not blocked (brute force over all edges by distance); the nearest when none is clear."""
    edges, idx, dist, frac = snap_to_edges(G, xy)
    _, a, b = _segments(G)
    d = b - a
    dd = (d * d).sum(axis=1)
    safe = np.where(dd > 0, dd, 1.0)
    for i in range(len(xy)):
        p = xy[i]
        foot = a[idx[i]] + frac[i] * d[idx[i]]
        if not _line_blocked(obstacles, p, foot, buildings):
            continue
        t = np.where(dd > 0, np.clip(((p - a) * d).sum(axis=1) / safe, 0.0, 1.0), 0.0)
        feet = a + t[:, None] * d
        s = np.hypot(*(feet - p).T)
        near = [e for e in np.argsort(s, kind="stable") if s[e] <= min(s.min() + 150.0, 500.0)]
        for e in near[:24]:  # the 24 nearest up to 150 m farther than the nearest
            if not _line_blocked(obstacles, p, feet[e], buildings):
                idx[i], dist[i], frac[i] = e, s[e], t[e]
                break
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
        kind = G.edges[u, v]["kind"]
        H.remove_edge(u, v)
        items.sort(key=lambda it: it[0])
        prev, prev_t = u, 0.0
        for t, label, s in items:
            snap = ("snap", label)
            H.add_edge(prev, snap, length=(t - prev_t) * L, kind=kind)
            H.add_edge(snap, label, length=float(s), kind="leaf")
            prev, prev_t = snap, t
        H.add_edge(prev, v, length=(1.0 - prev_t) * L, kind=kind)
    return H


def _phase_graph(H: nx.Graph) -> nx.DiGraph:
    """States (node, phase): 0 = in the first local stretch, 1 = public, 2 = last local
    stretch. Public edges lead to phase 1 from 0 or 1; local edges keep 0, and lead from 1
    or 2 to 2; leaf edges (snapping lines) keep the phase."""
    D = nx.DiGraph()
    for a, b, data in H.edges(data=True):
        L, kind = data["length"], data["kind"]
        for x, y in ((a, b), (b, a)):
            if kind == "public":
                moves = [(0, 1), (1, 1)]
            elif kind == "local":
                moves = [(0, 0), (1, 2), (2, 2)]
            else:
                moves = [(0, 0), (1, 1), (2, 2)]
            for p, q in moves:
                D.add_edge((x, p), (y, q), length=L)
    return D


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
    obstacles = _obstacles(str(Path(osm_path).resolve()), str(crs))
    edges, p_idx, p_s, p_t = snap_clear(G, pts, obstacles, buildings=True)
    _, f_idx, f_s, f_t = snap_clear(G, srcs, obstacles, buildings=False)
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
    D = _phase_graph(H)
    sources = [(("src", j), 0) for j in np.flatnonzero(f_ok).tolist() if (("src", j), 0) in D]
    dist = nx.multi_source_dijkstra_path_length(D, sources, cutoff=reach_m, weight="length")
    best = {}
    for i in range(n):
        found = [dist[(("pt", i), p)] for p in range(3) if (("pt", i), p) in dist]
        if found:
            best[("pt", i)] = min(found)
    out = _finish(best, [("pt", i) for i in range(n)], reach_m)
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
