"""Snapping that does not cross water or other buildings.

A building (or, for water only, a facility) is snapped onto the nearest network edge
(``network.snap_to_edges``).
When the straight line from the point to that edge crosses water (``natural=water``,
``waterway=riverbank|canal|dock``, ``water=*`` areas) or another building, the point is snapped
instead onto the nearest edge it can reach without crossing them: the nearest edge on its own
side of a canal. The snapping distance stays part of the walk. What is ignored: the building
the point lies in (its own), water the point lies in (a houseboat), and a building the edge
runs through (a passage under it), roofs and shelters, and buildings under 30 m² (sheds,
bus shelters). When none of the 24 nearest edges up to 150 m farther than the nearest is
clear, the nearest one is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import shapely

from geoschikt.geo import WGS84, to_crs, transform_xy
from geoschikt.network import Network, Snapped, snap_to_edges

log = logging.getLogger(__name__)

# roofs and shelters one walks under, and small sheds in back gardens, do not block snapping
OPEN_BUILDINGS = frozenset({"roof", "carport", "canopy", "shelter", "ruins", "bridge"})
MIN_BUILDING_M2 = 30.0
_DETOUR_M = 150.0  # a clear edge is sought up to this much farther than the nearest edge
_WAVE = 4  # edges per point checked at a time
_MAX_TRIES = 24  # nearest edges tried per point


@dataclass(frozen=True)
class Obstacles:
    """Polygons a snapping line may not cross (metric CRS), ``water`` per polygon."""

    geoms: np.ndarray
    water: np.ndarray
    tree: shapely.STRtree

    @classmethod
    def from_frames(
        cls, buildings: gpd.GeoDataFrame | None, water: gpd.GeoDataFrame | None, crs: str
    ) -> Obstacles | None:
        parts, kinds = [], []
        if buildings is not None and len(buildings):
            buildings = buildings[~buildings["building"].isin(OPEN_BUILDINGS)]
        for frame, is_water in ((buildings, False), (water, True)):
            if frame is not None and len(frame):
                geoms = _metric(frame, crs)
                if not is_water:  # sheds and bus shelters: one walks around them
                    geoms = geoms[shapely.area(geoms) >= MIN_BUILDING_M2]
                geoms = geoms[shapely.is_valid(geoms) & ~shapely.is_empty(geoms)]
                parts.append(np.asarray(geoms))
                kinds.append(np.full(len(geoms), is_water))
        if not parts:
            return None
        geoms = np.concatenate(parts)
        shapely.prepare(geoms)
        return cls(geoms, np.concatenate(kinds), shapely.STRtree(geoms))

    @cached_property
    def water_tree(self) -> tuple[np.ndarray, shapely.STRtree]:
        """(positions of the water polygons, an STRtree of them alone)."""
        which = np.flatnonzero(self.water)
        return which, shapely.STRtree(self.geoms[which])

    def blocked(self, sx, sy, fx, fy, *, buildings: bool = True) -> np.ndarray:
        """Per line from (sx, sy) to (fx, fy): does it cross water or (with ``buildings``)
        another building?"""
        n = len(sx)
        out = np.zeros(n, dtype=bool)
        if n == 0:
            return out
        lines = shapely.linestrings(
            np.stack([np.column_stack([sx, sy]), np.column_stack([fx, fy])], axis=1)
        )
        if buildings:
            li, oi = self.tree.query(lines, predicate="intersects")
        else:  # water only: a tree of the water polygons alone (far fewer hits)
            which, tree = self.water_tree
            li, oi = tree.query(lines, predicate="intersects")
            oi = which[oi]
        if len(li) == 0:
            return out
        g = self.geoms[oi]
        own = shapely.contains_xy(g, sx[li], sy[li])
        passage = ~self.water[oi] & shapely.intersects_xy(g, fx[li], fy[li])
        keep = ~own & ~passage & (self.water[oi] | buildings)
        li, oi = li[keep], oi[keep]
        if len(li):  # both ends lie outside it: the line enters its interior iff it crosses
            real = shapely.crosses(self.geoms[oi], lines[li])
            out[li[real]] = True
        return out


def snap_clear(
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    max_snap_m: float,
    obstacles: Obstacles | None,
    *,
    buildings: bool = True,
) -> Snapped:
    """``snap_to_edges``, then points whose snapping line is blocked go to the nearest clear edge.

    ``buildings=False`` for facilities: their point often stands for grounds (a school yard)
    whose own buildings lie between it and the street, so only water blocks them."""
    snapped = snap_to_edges(network, x, y, max_snap_m)
    if obstacles is None or len(x) == 0:
        return snapped
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    on = np.flatnonzero(snapped.on_network)
    fx, fy = _feet(network, snapped.edge[on], snapped.t[on])
    bad = on[obstacles.blocked(x[on], y[on], fx, fy, buildings=buildings)]
    if len(bad) == 0:
        return snapped
    edge, t, offset = snapped.edge.copy(), snapped.t.copy(), snapped.offset_m.copy()
    e, tt, d = _nearest_clear(
        network, x[bad], y[bad], snapped.offset_m[bad], max_snap_m, obstacles, buildings
    )
    moved = e >= 0
    edge[bad[moved]], t[bad[moved]], offset[bad[moved]] = e[moved], tt[moved], d[moved]
    log.info(
        "%d of %d points snapped past water or another building to a clear edge (%d kept)",
        int(moved.sum()),
        len(x),
        int((~moved).sum()),
    )
    return Snapped(edge, t, offset)


def _nearest_clear(network, px, py, start, max_snap_m, obstacles, buildings):
    """(edge or -1, t, distance) per point: of the ``_MAX_TRIES`` nearest edges no farther than
    the nearest edge + ``_DETOUR_M`` (and ``max_snap_m``), the nearest one whose snapping line
    is clear; -1 when none is (a back-row building reaches the street through an unmapped
    yard: it keeps its nearest edge). Checked a few edges per point at a time, nearest first."""
    n = len(px)
    edge, t, dist = np.full(n, -1, dtype=np.int64), np.full(n, np.nan), np.full(n, np.nan)
    if n == 0:
        return edge, t, dist
    xy = shapely.get_coordinates(network.segments).reshape(-1, 2, 2)
    limit = np.minimum(start + _DETOUR_M, max_snap_m)
    pi, ei = network.tree.query(shapely.points(px, py), predicate="dwithin", distance=limit)
    qx, qy = px[pi], py[pi]
    ax, ay = xy[ei, 0, 0], xy[ei, 0, 1]
    dx, dy = xy[ei, 1, 0] - ax, xy[ei, 1, 1] - ay
    len2 = dx * dx + dy * dy
    r = np.where(len2 > 0, ((qx - ax) * dx + (qy - ay) * dy) / np.where(len2 > 0, len2, 1), 0)
    r = np.clip(r, 0.0, 1.0)
    fx, fy = ax + r * dx, ay + r * dy
    d = np.hypot(qx - fx, qy - fy)
    order = np.lexsort((ei, d, pi))  # per point, nearest first (then by edge number)
    pi, ei, r, fx, fy, d, qx, qy = (a[order] for a in (pi, ei, r, fx, fy, d, qx, qy))
    rank = np.arange(len(pi)) - np.searchsorted(pi, pi, side="left")
    done = np.zeros(n, dtype=bool)
    for lo in range(0, _MAX_TRIES, _WAVE):
        sel = np.flatnonzero((rank >= lo) & (rank < lo + _WAVE) & ~done[pi])
        if len(sel) == 0:
            break
        hit = sel[~obstacles.blocked(qx[sel], qy[sel], fx[sel], fy[sel], buildings=buildings)]
        who, first = np.unique(pi[hit], return_index=True)
        k = hit[first]
        edge[who], t[who], dist[who] = ei[k], r[k], d[k]
        done[who] = True
    return edge, t, dist


def _metric(frame: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    """The frame's geometries in ``crs`` (lon/lat frames through one bulk transform)."""
    if frame.crs is not None and frame.crs.to_epsg() == 4326:

        def project(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(transform_xy(xy[:, 0], xy[:, 1], WGS84, crs))

        return shapely.transform(np.asarray(frame.geometry.values), project)
    return np.asarray(to_crs(frame, crs).geometry.values)


def _feet(network: Network, edge: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metric coordinates of the points at fraction ``t`` along ``edge``."""
    xy = shapely.get_coordinates(network.segments[edge]).reshape(-1, 2, 2)
    return (
        xy[:, 0, 0] + t * (xy[:, 1, 0] - xy[:, 0, 0]),
        xy[:, 0, 1] + t * (xy[:, 1, 1] - xy[:, 0, 1]),
    )
