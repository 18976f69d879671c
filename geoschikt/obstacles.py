"""Snapping that does not cross water or other buildings.

A building (or, for water only, a facility) is snapped onto the nearest network edge
(``network.snap_to_edges``).
When the straight line from the point to that edge crosses water (``natural=water``,
``waterway=riverbank|canal|dock``, ``water=*`` areas) or another building, the point is snapped
instead onto the nearest edge it can reach without crossing them: the nearest edge on its own
side of a canal. The snapping distance stays part of the walk. What is ignored: the building
the point lies in or stands for (its own: ``own``, known for OSM candidates), water the point
lies in (a houseboat), and a building the edge runs through (a passage under it), roofs and
shelters, and buildings under 30 m² (sheds, bus shelters). When none of the 24 nearest edges
up to 150 m farther than the nearest is clear, the nearest one is kept.

How it is made fast (the answers are exactly those of one GEOS ``crosses`` per line and
obstacle; ``tests/test_snap_identical.py`` compares with that plain version): the obstacles
near all lines at once through a box grid (``boxgrid``) and a slab test, no geometry per line;
``crosses`` decided in numpy with robust orientation signs where it is certain, by GEOS where
not; a candidate's own footprint left out without asking GEOS whether it holds the point;
validity, size and rings looked up only for obstacles a line comes near; the clear edge
sought first among the edges up to ``_RINGS_M`` farther; and a point's later lines tried first
against the obstacles that blocked its earlier ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geoschikt.boxgrid import BoxGrid
from geoschikt.geo import WGS84, to_crs, transform_xy
from geoschikt.network import Network, Snapped, snap_to_edges

log = logging.getLogger(__name__)

# roofs and shelters one walks under, and small sheds in back gardens, do not block snapping
OPEN_BUILDINGS = frozenset({"roof", "carport", "canopy", "shelter", "ruins", "bridge"})
MIN_BUILDING_M2 = 30.0
_DETOUR_M = 150.0  # a clear edge is sought up to this much farther than the nearest edge
_WAVE = 4  # edges per point checked at a time
_MAX_TRIES = 24  # nearest edges tried per point
_RINGS_M = (30.0, 75.0)  # first searches for a clear edge: this much farther than the nearest
_SURE_M = 1e-6  # far more than GEOS and numpy point-to-segment distances ever differ
_KNOWN = 2  # obstacles that blocked a point's earlier lines, tried first on its next ones
_CELL_M = 32.0  # cell of the obstacles' box grid: about a house
_ORIENT_ERR = 1e-14  # (3 + 16 eps) eps of Shewchuk's orient2d, 30 times wider


class _Kind:
    """Obstacles of one kind (buildings or water) in the metric CRS.

    Which ones count (valid, and for buildings at least ``MIN_BUILDING_M2``) and their rings
    are looked up only for obstacles that a snapping line comes near, and kept."""

    def __init__(
        self, geoms: np.ndarray, bounds: np.ndarray, rows: np.ndarray, *, water: bool
    ) -> None:
        self.geoms = geoms
        self.rows = rows  # per obstacle, its row in the frame it was made from
        self.grid = BoxGrid(bounds, _CELL_M)
        self.water = water
        self.min_m2 = 0.0 if water else MIN_BUILDING_M2
        n = len(geoms)
        self.counted = np.zeros(n, dtype=bool)  # valid (and large enough)
        self.one_ring = np.zeros(n, dtype=bool)  # each part bounded by one ring (no holes)
        # where its coordinates begin in x, y (-1: not looked up yet)
        self.first = np.full(n, -1, dtype=np.int64)
        self.n_xy = np.zeros(n, dtype=np.int64)
        self.x = np.empty(0)  # coordinates of the obstacles looked up, one after the other
        self.y = np.empty(0)
        self.edge = np.empty(0, dtype=bool)  # per coordinate: an edge runs to the next one

    @classmethod
    def build(cls, geoms: np.ndarray, rows: np.ndarray, *, water: bool) -> _Kind | None:
        """From ``geoms`` (metric CRS) and their ``rows`` in the frame they come from."""
        bounds = shapely.bounds(geoms)
        present = np.isfinite(bounds).all(axis=1)  # not empty or missing
        if not present.any():
            return None
        geoms = geoms[present]
        if water:  # a canal is asked about by many points; a building by a few (preparing
            shapely.prepare(geoms)  # 100,000 footprints costs more than it saves)
        return cls(geoms, bounds[present], rows[present], water=water)

    def look_up(self, idx: np.ndarray) -> None:
        """Validity, size and rings of the obstacles ``idx`` not looked up yet."""
        new = np.unique(idx[self.first[idx] < 0])
        if len(new) == 0:
            return
        g = self.geoms[new]
        ok = shapely.is_valid(g)
        if self.min_m2 > 0:
            ok &= shapely.area(g) >= self.min_m2
        self.counted[new] = ok
        parts, part_of = shapely.get_parts(g, return_index=True)
        holes = np.bincount(
            part_of, weights=shapely.get_num_interior_rings(parts), minlength=len(new)
        )
        areal = np.isin(shapely.get_type_id(g), (3, 6))  # polygons and multipolygons
        self.one_ring[new] = (holes == 0) & areal
        xy, xy_part = shapely.get_coordinates(parts, return_index=True)
        n_xy = np.bincount(part_of[xy_part], minlength=len(new))
        self.first[new] = len(self.x) + np.cumsum(n_xy) - n_xy
        self.n_xy[new] = n_xy
        # per coordinate: its ring, as part << 24 | ring within the part
        ordinal = np.zeros(len(xy), dtype=np.int64)
        holed = np.flatnonzero(shapely.get_num_interior_rings(parts) > 0)
        if len(holed):
            rings, ring_part = shapely.get_rings(parts[holed], return_index=True)
            within = np.arange(len(rings)) - np.searchsorted(ring_part, ring_part, side="left")
            at = np.isin(xy_part, holed)  # their coordinates, ring after ring
            ordinal[at] = np.repeat(within, shapely.get_num_coordinates(rings))
        ring = (xy_part << 24) | ordinal
        self.x = np.concatenate([self.x, xy[:, 0]])
        self.y = np.concatenate([self.y, xy[:, 1]])
        self.edge = np.concatenate([self.edge, ring[:-1] == ring[1:], [False]])

    def crossings(self, sx, sy, fx, fy, own=None) -> tuple[np.ndarray, np.ndarray]:
        """(line, obstacle) for every obstacle a line crosses (see ``crosses``), leaving out
        each line's ``own`` obstacle (-1: none)."""
        box = np.column_stack(
            [np.minimum(sx, fx), np.minimum(sy, fy), np.maximum(sx, fx), np.maximum(sy, fy)]
        )
        li, oi = self.grid.query(box)
        if own is not None:
            mine = oi == own[li]
            li, oi = li[~mine], oi[~mine]
        near = _meets_box(sx[li], sy[li], fx[li], fy[li], self.grid.box_bounds(oi))
        li, oi = li[near], oi[near]
        hit = self.crosses(li, oi, sx, sy, fx, fy)
        return li[hit], oi[hit]

    def crosses(self, li, oi, sx, sy, fx, fy, *, start_outside: bool = False) -> np.ndarray:
        """Per pair (line, obstacle): does the line cross the obstacle? Not when the obstacle
        holds the line's start (its own building, the water of a houseboat), is a building the
        foot lies in or on (a passage under it), or does not count. ``start_outside``: the
        obstacles are known not to hold the starts."""
        out = np.zeros(len(li), dtype=bool)
        if start_outside:
            keep = np.arange(len(li))
        else:
            keep = np.flatnonzero(~self._holds(oi, sx[li], sy[li], shapely.contains_xy))
        foot_in = self._holds(oi[keep], fx[li[keep]], fy[li[keep]], shapely.intersects_xy)
        if not self.water:
            keep, foot_in = keep[~foot_in], foot_in[~foot_in]
        self.look_up(oi[keep])
        counted = self.counted[oi[keep]]
        keep, foot_in = keep[counted], foot_in[counted]
        if len(keep):
            k = li[keep]
            out[keep] = self._crosses(oi[keep], sx[k], sy[k], fx[k], fy[k], ~foot_in)
        return out

    def _holds(self, oi, x, y, predicate) -> np.ndarray:
        """``predicate(obstacle, x, y)`` per pair, asked of GEOS only for points inside the
        obstacle's box (outside it, neither ``contains_xy`` nor ``intersects_xy`` holds)."""
        minx, miny, maxx, maxy = self.grid.box_bounds(oi)
        inside = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
        out = np.zeros(len(oi), dtype=bool)
        out[inside] = predicate(self.geoms[oi[inside]], x[inside], y[inside])
        return out

    def _crosses(self, oi, sx, sy, fx, fy, foot_out) -> np.ndarray:
        """``shapely.crosses(obstacle, line)`` per pair, for lines whose start is not inside
        the obstacle. Decided in numpy where the answer is certain (robust orientation signs),
        by GEOS otherwise: with the foot outside the obstacle, the line crosses it when it
        properly crosses one of its edges (an obstacle without holes) and does not when it
        misses every edge."""
        out = np.zeros(len(oi), dtype=bool)
        decided = np.zeros(len(oi), dtype=bool)
        fast = np.flatnonzero(foot_out)
        if len(fast):
            g = oi[fast]
            n_row = self.n_xy[g]  # one row per pair and vertex, a pair's rows together
            v = np.arange(n_row.sum()) + np.repeat(
                self.first[g] - (np.cumsum(n_row) - n_row), n_row
            )
            x0, y0 = np.repeat(sx[fast], n_row), np.repeat(sy[fast], n_row)
            wx, wy = self.x[v] - x0, self.y[v] - y0  # vertex - start
            # side of each vertex: orient2d(foot, vertex, start) = (f - s) x (v - s)
            side = _sign(
                np.repeat(fx[fast] - sx[fast], n_row) * wy,
                np.repeat(fy[fast] - sy[fast], n_row) * wx,
            )
            e = np.flatnonzero(self.edge[v])  # edges: from a row's vertex to the next row's
            pair = np.repeat(np.arange(len(fast)), n_row)[e]
            ends = side[e] * side[e + 1]  # < 0: the edge's ends lie on either side of the line
            missed = ends > 0
            both = e[ends < 0]
            # side of the start and of the foot of the edges from a to b
            o1 = _sign(wx[both] * wy[both + 1], wy[both] * wx[both + 1])  # orient2d(a, b, s)
            q = fast[pair[ends < 0]]
            ax, ay, bx, by = (
                self.x[v[both]],
                self.y[v[both]],
                self.x[v[both + 1]],
                self.y[v[both + 1]],
            )
            o2 = _sign((ax - fx[q]) * (by - fy[q]), (ay - fy[q]) * (bx - fx[q]))
            proper = np.zeros(len(e), dtype=bool)
            proper[ends < 0] = o1 * o2 < 0
            missed[ends < 0] = o1 * o2 > 0
            yes = np.zeros(len(fast), dtype=bool)
            yes[pair[proper]] = True
            yes &= self.one_ring[g]
            no = np.ones(len(fast), dtype=bool)
            no[pair[~missed]] = False
            out[fast[yes]] = True
            decided[fast[yes | no]] = True
        rest = np.flatnonzero(~decided)
        if len(rest):
            lines = shapely.linestrings(
                np.stack(
                    [np.column_stack([sx[rest], sy[rest]]), np.column_stack([fx[rest], fy[rest]])],
                    axis=1,
                )
            )
            out[rest] = shapely.crosses(self.geoms[oi[rest]], lines)
        return out


@dataclass(frozen=True)
class Obstacles:
    """Polygons a snapping line may not cross (metric CRS): buildings and water."""

    buildings: _Kind | None
    water: _Kind | None

    @classmethod
    def from_frames(
        cls, buildings: gpd.GeoDataFrame | None, water: gpd.GeoDataFrame | None, crs: str
    ) -> Obstacles | None:
        """From building and water frames (any CRS; a frame already in ``crs`` is used as it
        is, so the footprints projected for the candidates can be shared)."""
        kinds: list[_Kind | None] = []
        for frame, is_water in ((buildings, False), (water, True)):
            kind = None
            if frame is not None and len(frame):
                rows = np.arange(len(frame))
                if not is_water:
                    rows = np.flatnonzero(~frame["building"].isin(OPEN_BUILDINGS).to_numpy())
                    frame = frame.iloc[rows]
                if len(frame):
                    kind = _Kind.build(_metric(frame, crs), rows, water=is_water)
            kinds.append(kind)
        if kinds[0] is None and kinds[1] is None:
            return None
        return cls(kinds[0], kinds[1])

    def own_buildings(self, rows: np.ndarray) -> np.ndarray:
        """Per row of the buildings frame the obstacles were made from (-1: none), its
        obstacle number (-1: not an obstacle: open, empty, or no row)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), -1, dtype=np.int64)
        if self.buildings is None or len(rows) == 0:
            return out
        kept = self.buildings.rows
        at = np.clip(np.searchsorted(kept, rows), 0, len(kept) - 1)  # kept rows ascend
        hit = (rows >= 0) & (kept[at] == rows)
        out[hit] = at[hit]
        return out

    def _kinds(self, buildings: bool) -> list[tuple[int, _Kind]]:
        """(first obstacle number, kind) of the kinds that count."""
        n_buildings = len(self.buildings.geoms) if self.buildings is not None else 0
        kinds = [(n_buildings, self.water)]
        if buildings:
            kinds.append((0, self.buildings))
        return [(first, kind) for first, kind in kinds if kind is not None]

    def crossings(
        self, sx, sy, fx, fy, *, buildings: bool = True, own: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(line, obstacle number) for every obstacle that a line from (sx, sy) to (fx, fy)
        crosses: water or (with ``buildings``) another building. ``own``: per line, the
        building number of its own footprint (``own_buildings``; -1: none), never counted."""
        sx, sy, fx, fy = (np.asarray(a, dtype=float) for a in (sx, sy, fx, fy))
        lines, numbers = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
        for first, kind in self._kinds(buildings):
            li, oi = kind.crossings(sx, sy, fx, fy, None if kind.water else own)
            lines.append(li)
            numbers.append(first + oi)
        return np.concatenate(lines), np.concatenate(numbers)

    def crosses(self, li, number, sx, sy, fx, fy, *, start_outside: bool = False) -> np.ndarray:
        """Per pair (line, obstacle number): does the line cross that obstacle?
        ``start_outside``: the obstacles are known not to hold the lines' starts."""
        out = np.zeros(len(li), dtype=bool)
        for first, kind in self._kinds(True):
            at = np.flatnonzero((number >= first) & (number < first + len(kind.geoms)))
            if len(at):
                out[at] = kind.crosses(
                    li[at], number[at] - first, sx, sy, fx, fy, start_outside=start_outside
                )
        return out

    def blocked(self, sx, sy, fx, fy, *, buildings: bool = True) -> np.ndarray:
        """Per line from (sx, sy) to (fx, fy): does it cross water or (with ``buildings``)
        another building?"""
        out = np.zeros(len(sx), dtype=bool)
        out[self.crossings(sx, sy, fx, fy, buildings=buildings)[0]] = True
        return out


class _Blockers:
    """The obstacles found across the snapping lines of each point so far: tried first on
    its next lines (a line to a farther edge mostly crosses the same building)."""

    def __init__(self, point: np.ndarray, number: np.ndarray) -> None:
        self.point = np.empty(0, dtype=np.int64)
        self.number = np.empty(0, dtype=np.int64)
        self.add(point, number)

    def add(self, point: np.ndarray, number: np.ndarray) -> None:
        point = np.concatenate([point, self.point])  # the newest first
        number = np.concatenate([number, self.number])
        order = np.argsort(point, kind="stable")
        self.point, self.number = point[order], number[order]

    def nth(self, points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(index into ``points``, obstacle number) of each point's ``k``-th known blocker."""
        lo = np.searchsorted(self.point, points, side="left")
        has = np.flatnonzero(np.searchsorted(self.point, points, side="right") - lo > k)
        return has, self.number[lo[has] + k]


def _meets_box(sx, sy, fx, fy, box: tuple[np.ndarray, ...]) -> np.ndarray:
    """Per segment: may it meet the box (minx, miny, maxx, maxy)? The slab test on the box
    grown by ``_SURE_M``, far more than its rounding errors: never False where it meets."""
    dx, dy = fx - sx, fy - sy
    lo, hi = np.zeros(len(sx)), np.ones(len(sx))
    for s0, d, b0, b1 in ((sx, dx, box[0], box[2]), (sy, dy, box[1], box[3])):
        moving = d != 0
        with np.errstate(divide="ignore", invalid="ignore"):
            t0 = (b0 - _SURE_M - s0) / d
            t1 = (b1 + _SURE_M - s0) / d
        # a segment parallel to the slab lies inside it (the boxes overlap)
        lo = np.where(moving, np.maximum(lo, np.minimum(t0, t1)), lo)
        hi = np.where(moving, np.minimum(hi, np.maximum(t0, t1)), hi)
    return lo <= hi


def _sign(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Sign of ``left - right`` where it is certain in floating point, else 0: for the
    products of an orientation determinant (Shewchuk's orient2d, stage A; ``left`` and
    ``right`` as it forms them), its error bound taken 30 times wider."""
    det = left - right
    sign = np.sign(det)
    sign[np.abs(det) <= _ORIENT_ERR * (np.abs(left) + np.abs(right))] = 0
    return sign


def snap_clear(
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    max_snap_m: float,
    obstacles: Obstacles | None,
    *,
    buildings: bool = True,
    own: np.ndarray | None = None,
) -> Snapped:
    """``snap_to_edges``, then points whose snapping line is blocked go to the nearest clear edge.

    ``buildings=False`` for facilities: their point often stands for grounds (a school yard)
    whose own buildings lie between it and the street, so only water blocks them. ``own``:
    per point, the row of its own footprint in the buildings frame the obstacles were made
    from (-1: none), for candidates that are OSM buildings. That footprint never blocks the
    point, and is not asked whether it holds it (a building that holds the point is ignored
    all the same; knowing which one spares most of the work)."""
    snapped = snap_to_edges(network, x, y, max_snap_m)
    if obstacles is None or len(x) == 0:
        return snapped
    if obstacles.water is None and not (buildings and obstacles.buildings is not None):
        return snapped
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    on = np.flatnonzero(snapped.on_network)
    own_number = None
    if own is not None and buildings:
        own_number = obstacles.own_buildings(own)
    fx, fy = _feet(network, snapped.edge[on], snapped.t[on])
    li, number = obstacles.crossings(
        x[on], y[on], fx, fy, buildings=buildings, own=_take(own_number, on)
    )
    hit = np.unique(li)
    bad = on[hit]
    if len(bad) == 0:
        return snapped
    edge, t, offset = snapped.edge.copy(), snapped.t.copy(), snapped.offset_m.copy()
    blockers = _Blockers(np.searchsorted(hit, li), number)
    e, tt, d = _nearest_clear(
        network,
        x[bad],
        y[bad],
        snapped.offset_m[bad],
        max_snap_m,
        obstacles,
        buildings,
        blockers,
        _take(own_number, bad),
    )
    moved = e >= 0
    edge[bad[moved]], t[bad[moved]], offset[bad[moved]] = e[moved], tt[moved], d[moved]
    log.debug(  # detail (-v): the walking rules' effect, not progress
        "%d of %d points snapped past water or another building to a clear edge (%d with none "
        "within reach keep their nearest edge)",
        int(moved.sum()),
        len(x),
        int((~moved).sum()),
    )
    return Snapped(edge, t, offset)


def _take(values: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    return None if values is None else values[idx]


def _nearest_clear(
    network, px, py, start, max_snap_m, obstacles, buildings, blockers=None, own=None
):
    """(edge or -1, t, distance) per point: of the ``_MAX_TRIES`` nearest edges no farther than
    the nearest edge + ``_DETOUR_M`` (and ``max_snap_m``), the nearest one whose snapping line
    is clear; -1 when none is (a back-row building reaches the street through an unmapped
    yard: it keeps its nearest edge).

    Searched in rings: first the edges up to ``_RINGS_M`` farther than the nearest, which
    settles most points (a clear edge there, or ``_MAX_TRIES`` edges there all blocked; edges
    measured within ``_SURE_M`` of a ring's radius wait for the next ring, so that no rounding
    difference between GEOS and numpy changes which edges are the nearest), then the whole
    detour for the rest."""
    n = len(px)
    edge, t, dist = np.full(n, -1, dtype=np.int64), np.full(n, np.nan), np.full(n, np.nan)
    if n == 0:
        return edge, t, dist
    xy = network.segment_xy
    limit = np.minimum(start + _DETOUR_M, max_snap_m)
    todo = np.arange(n)
    tried = np.zeros(n, dtype=np.int64)  # nearest edges already found blocked
    if blockers is None:
        blockers = _Blockers(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    for ring in (*_RINGS_M, np.inf):
        if len(todo) == 0:
            break
        radius = np.minimum(start[todo] + ring, limit[todo])
        whole = radius >= limit[todo]
        settled, e, tt, d, blocked_ranks = _first_clear(
            network,
            xy,
            todo,
            px[todo],
            py[todo],
            radius,
            whole,
            tried[todo],
            obstacles,
            buildings,
            blockers,
            _take(own, todo),
        )
        edge[todo], t[todo], dist[todo] = e, tt, d
        tried[todo] = blocked_ranks
        todo = todo[~settled]
    return edge, t, dist


def _first_clear(
    network, xy, ids, px, py, radius, whole, tried, obstacles, buildings, blockers, own
):
    """One ring of ``_nearest_clear``: (settled, edge or -1, t, distance, ranks known blocked)
    per point."""
    n = len(px)
    edge, t, dist = np.full(n, -1, dtype=np.int64), np.full(n, np.nan), np.full(n, np.nan)
    # the edges within ``radius`` (by GEOS's distance): boxes first, then the distance
    reach = radius + _SURE_M
    pi, ei = network.edge_grid.query(
        np.column_stack([px - reach, py - reach, px + reach, py + reach])
    )
    qx, qy = px[pi], py[pi]
    ax, ay = xy[ei, 0, 0], xy[ei, 0, 1]
    dx, dy = xy[ei, 1, 0] - ax, xy[ei, 1, 1] - ay
    len2 = dx * dx + dy * dy
    r = np.where(len2 > 0, ((qx - ax) * dx + (qy - ay) * dy) / np.where(len2 > 0, len2, 1), 0)
    r = np.clip(r, 0.0, 1.0)
    fx, fy = ax + r * dx, ay + r * dy
    d = np.hypot(qx - fx, qy - fy)
    within = d <= radius[pi]
    close = np.flatnonzero(np.abs(d - radius[pi]) <= _SURE_M)  # too close to call in numpy
    within[close] = shapely.dwithin(
        shapely.linestrings(xy[ei[close]]), shapely.points(qx[close], qy[close]), radius[pi[close]]
    )
    pi, ei, r, fx, fy, d, qx, qy = (a[within] for a in (pi, ei, r, fx, fy, d, qx, qy))
    order = _by_point_distance_edge(pi, d, ei)  # per point, nearest first
    pi, ei, r, fx, fy, d, qx, qy = (a[order] for a in (pi, ei, r, fx, fy, d, qx, qy))
    rank = np.arange(len(pi)) - np.searchsorted(pi, pi, side="left")
    # the edges whose rank is the same as in a search of the whole detour: a prefix per point
    sure = whole[pi] | (d < radius[pi] - _SURE_M)
    n_sure = np.bincount(pi[sure], minlength=n)
    done = np.zeros(n, dtype=bool)
    cand = sure & (rank >= tried[pi]) & (rank < _MAX_TRIES)  # the edges to try, in order
    pi, ei, r, fx, fy, d, qx, qy, rank = (a[cand] for a in (pi, ei, r, fx, fy, d, qx, qy, rank))
    for lo in range(0, _MAX_TRIES, _WAVE):
        sel = np.flatnonzero((rank >= lo) & (rank < lo + _WAVE) & ~done[pi])
        if len(sel) == 0:
            continue
        line_xy = (qx[sel], qy[sel], fx[sel], fy[sel])
        blocked = np.zeros(len(sel), dtype=bool)
        for k in range(_KNOWN):  # first the obstacles known to block lines of the point
            row, number = blockers.nth(ids[pi[sel]], k)
            row, number = row[~blocked[row]], number[~blocked[row]]
            # (such an obstacle crossed a line from the same point: it does not hold it)
            blocked[row[obstacles.crosses(row, number, *line_xy, start_outside=True)]] = True
        rest = np.flatnonzero(~blocked)
        li, number = obstacles.crossings(
            *(a[rest] for a in line_xy), buildings=buildings, own=_take(own, pi[sel[rest]])
        )
        blocked[rest[li]] = True
        blockers.add(ids[pi[sel[rest[li]]]], number)
        hit = sel[~blocked]
        who, first = np.unique(pi[hit], return_index=True)
        k = hit[first]
        edge[who], t[who], dist[who] = ei[k], r[k], d[k]
        done[who] = True
    blocked_ranks = np.minimum(n_sure, _MAX_TRIES)
    settled = done | whole | (n_sure >= _MAX_TRIES)
    return settled, edge, t, dist, blocked_ranks


def _by_point_distance_edge(pi: np.ndarray, d: np.ndarray, ei: np.ndarray) -> np.ndarray:
    """``np.lexsort((ei, d, pi))``, about twice as fast: a sort by distance, then a stable
    (radix, for fewer than 65,536 points) sort by point; the runs of equal point and distance
    (edges meeting at the node nearest to the point) are then ordered by edge number."""
    order = np.argsort(d)
    key = pi[order]
    if len(key) and key.max() < 65536:
        key = key.astype(np.uint16)
    order = order[np.argsort(key, kind="stable")]
    ps, ds = pi[order], d[order]
    tie = np.flatnonzero((ps[1:] == ps[:-1]) & (ds[1:] == ds[:-1]))
    if len(tie):  # their places, in (point, distance) order, get the run sorted by edge too
        at = np.unique(np.concatenate([tie, tie + 1]))
        run = order[at]
        order[at] = run[np.lexsort((ei[run], d[run], pi[run]))]
    return order


def _metric(frame: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    """The frame's geometries in ``crs`` (lon/lat frames through one bulk transform)."""
    if frame.crs is not None and frame.crs.to_epsg() == 4326:

        def project(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(transform_xy(xy[:, 0], xy[:, 1], WGS84, crs))

        return shapely.transform(np.asarray(frame.geometry.values), project)
    return np.asarray(to_crs(frame, crs).geometry.values)


def _feet(network: Network, edge: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metric coordinates of the points at fraction ``t`` along ``edge``."""
    xy = network.segment_xy[edge]
    return (
        xy[:, 0, 0] + t * (xy[:, 1, 0] - xy[:, 0, 0]),
        xy[:, 0, 1] + t * (xy[:, 1, 1] - xy[:, 0, 1]),
    )
