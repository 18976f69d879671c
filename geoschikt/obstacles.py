"""Snapping that does not cross water or other buildings.

A building (or, for water only, a facility) is snapped onto the nearest network edge
(``network.snap_to_edges``).
When the straight line from the point to that edge crosses water (``natural=water``,
``waterway=riverbank|canal|dock``, ``water=*`` areas) or another building, the point is snapped
instead onto the nearest edge it can reach without crossing them: the nearest edge on its own
side of a canal. The snapping distance stays part of the walk. What is ignored: the building
the point lies in (its own), water the point lies in (a houseboat), and a building the edge
runs through (a passage under it), roofs and shelters, and buildings under 30 m² (sheds,
bus shelters). When no edge within reach is clear, the nearest one is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geoschikt.geo import to_crs
from geoschikt.network import Network, Snapped, snap_to_edges

log = logging.getLogger(__name__)

# roofs and shelters one walks under, and small sheds in back gardens, do not block snapping
OPEN_BUILDINGS = frozenset({"roof", "carport", "canopy", "shelter", "ruins", "bridge"})
MIN_BUILDING_M2 = 30.0
_MAX_TRIES = 400  # edges tried per blocked point, nearest first
_BATCH = 16


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
                geoms = to_crs(frame, crs).geometry.values
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
        li, oi = self.tree.query(lines, predicate="intersects")
        if len(li) == 0:
            return out
        g = self.geoms[oi]
        own = shapely.contains_xy(g, sx[li], sy[li])
        passage = ~self.water[oi] & shapely.intersects_xy(g, fx[li], fy[li])
        keep = ~own & ~passage & (self.water[oi] | buildings)
        li, oi = li[keep], oi[keep]
        if len(li):
            real = shapely.relate_pattern(lines[li], self.geoms[oi], "T********")
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
    moved = 0
    for i in bad:
        pt = shapely.points(x[i], y[i])
        near = network.tree.query(pt, predicate="dwithin", distance=max_snap_m)
        if len(near) == 0:
            continue
        dist = shapely.distance(network.segments[near], pt)
        order = np.argsort(dist, kind="stable")[:_MAX_TRIES]
        near, dist = near[order], dist[order]
        for lo in range(0, len(near), _BATCH):
            e = near[lo : lo + _BATCH]
            tt = shapely.line_locate_point(network.segments[e], pt, normalized=True)
            ex, ey = _feet(network, e, tt)
            clear = ~obstacles.blocked(
                np.full(len(e), x[i]), np.full(len(e), y[i]), ex, ey, buildings=buildings
            )
            if clear.any():
                k = int(np.argmax(clear))
                edge[i], t[i], offset[i] = e[k], tt[k], dist[lo + k]
                moved += 1
                break
    log.info(
        "%d of %d points snapped past water or another building to a clear edge (%d kept)",
        moved,
        len(x),
        len(bad) - moved,
    )
    return Snapped(edge, t, offset)


def _feet(network: Network, edge: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metric coordinates of the points at fraction ``t`` along ``edge``."""
    xy = shapely.get_coordinates(network.segments[edge]).reshape(-1, 2, 2)
    return (
        xy[:, 0, 0] + t * (xy[:, 1, 0] - xy[:, 0, 0]),
        xy[:, 0, 1] + t * (xy[:, 1, 1] - xy[:, 0, 1]),
    )
