"""Measure every criterion for a set of points: network or straight distances, reception
pressure, raster values. Networks are built once per mode and reused for later point sets
(candidates, then the cells of the suitability surface)."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from functools import cached_property
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoschikt.acquire import OsmData
from geoschikt.config import Config, Criterion
from geoschikt.criteria import (
    building_points,
    count_within,
    residential_share,
    share_of,
    walk_or_bike,
)
from geoschikt.errors import AreaError
from geoschikt.features import poi_labels
from geoschikt.geo import to_crs
from geoschikt.network import Network, Snapped, build_network
from geoschikt.notes import (
    NO_RECEPTION_DATA,
    RASTER_NODATA,
    Note,
    metres,
    note,
    off_network,
    render,
)
from geoschikt.obstacles import Obstacles, snap_clear
from geoschikt.reach import count_reached
from geoschikt.reception import nearest_site, places_within, reception_pressure
from geoschikt.routing import Nearest, nearest_network, nearest_straight
from geoschikt.scoring import (
    Measured,
    dist_mode_col,
    mode_col,
    nearest_col,
    nearest_id_col,
    not_in_data,
    snap_col,
)
from geoschikt.ways import WaySegments, nearest_segment, select_way_segments

log = logging.getLogger(__name__)


def within_col(crit: Criterion) -> str:
    """Column with the reception places within ``within_m`` of a candidate."""
    return f"{crit.key}_places_within_{crit.within_m / 1000:g}km"


class Timer(Protocol):
    """What the measurer needs of the run's timings: a context manager per stage."""

    def stage(self, name: str) -> AbstractContextManager[object]: ...


class Measurer:
    """Measures the configured criteria for points in the metric ``crs``."""

    def __init__(
        self,
        osm: OsmData,
        pois: gpd.GeoDataFrame,
        config: Config,
        crs: str,
        timings: Timer,
        *,
        footprints: gpd.GeoDataFrame | None = None,
    ):
        """``footprints``: ``osm.buildings`` already projected to ``crs`` (else projected when
        the snapping obstacles are first needed)."""
        self.osm, self.pois, self.config, self.crs, self.timings = osm, pois, config, crs, timings
        self.footprints = footprints
        self.networks: dict[str, Network] = {}
        self.feature_snaps: dict[tuple[str, str], Snapped] = {}
        self.buildings: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.building_snap: Snapped | None = None  # the buildings on the walk network
        self.network_info: dict[str, dict[str, Any]] = {}
        self.way_segments: dict[str, WaySegments] = {}
        self.warned: set[str] = set()  # warnings given once per run, not per measured point set
        self.own: np.ndarray | None = None  # the measured points' own footprints (``measure``)
        self.outlines: dict[str, shapely.STRtree] = {}  # criterion -> its features' outlines
        if "snap_m" not in pois:
            pois["snap_m"] = np.nan

    @cached_property
    def obstacles(self) -> Obstacles | None:
        """Water and buildings that snapping lines may not cross (built on first use)."""
        with self.timings.stage("snapping obstacles"):
            buildings = self.osm.buildings if self.footprints is None else self.footprints
            return Obstacles.from_frames(buildings, self.osm.water, self.crs)

    def mode(self, crit: Criterion) -> str:
        return "straight" if self.config.distance == "euclidean" else crit.mode

    def network(self, mode: str) -> Network:
        if mode not in self.networks:
            with self.timings.stage(f"building {mode} network"):
                net = build_network(self.osm.ways, mode, self.crs, self.config.network)
            self.networks[mode] = net
            self.network_info[mode] = {"nodes": net.n_nodes, "edges": len(net.u)}
        return self.networks[mode]

    def measure(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        candidates: bool = True,
        own: np.ndarray | None = None,
    ) -> tuple[list[Measured], dict[str, Any]]:
        """(measured per criterion, extra columns) for the points ``x``, ``y``.

        With ``candidates``, points that are all off the network are an error, and snapping
        offsets, nearest features and places-within columns are returned as extra columns.
        ``own``: per point, the row of its own footprint in the buildings (-1: none), when the
        candidates are OSM buildings: snapping then skips the check of which building holds it.
        """
        self.own = own if candidates else None
        n = len(x)
        extra: dict[str, np.ndarray] = {}
        snaps: dict[str, Snapped] = {}
        measured: list[Measured | None] = []
        counts: list[Criterion] = []  # count criteria, measured from the others' distances
        counted: dict[str, np.ndarray] = {}  # each criterion's scored distance, for counts
        for crit in self.config.criteria:
            sel = np.flatnonzero((self.pois["category"] == crit.key).to_numpy())
            geoms = self.pois.geometry.values[sel]
            fx, fy = shapely.get_x(geoms), shapely.get_y(geoms)
            if crit.measure == "raster":
                from geoschikt.rasters import sample_raster  # rasterio only when needed

                if crit.raster is None:  # the config requires it for source = "raster"
                    raise AreaError(f"criterion {crit.key} has no raster file")
                value = sample_raster(crit.raster, crit.band, x, y, self.crs)
                measured.append(Measured(crit, np.full(n, np.nan), RASTER_NODATA, value=value))
                continue
            if crit.source == "osm_ways":
                dist, labels = self._ways(crit, x, y)
                measured.append(Measured(crit, dist))
                if candidates:
                    extra[nearest_col(crit.key)] = labels
                continue
            if crit.source == "reception" and len(sel) == 0:
                measured.append(self._not_assessed(crit, n, NO_RECEPTION_DATA, extra, candidates))
                continue
            if crit.measure == "pressure":
                m, near, within = self._pressure(crit, sel, x, y, fx, fy)
                measured.append(m)
                if candidates:
                    extra[within_col(crit)] = within
                    extra[nearest_col(crit.key)] = nearest_labels(self.pois, sel, near)
                    extra[nearest_id_col(crit.key)] = nearest_ids(self.pois, sel, near)
                continue
            if crit.measure == "count":
                counts.append(crit)
                measured.append(None)  # filled in below, from the criteria it counts
                continue
            if crit.measure == "share":
                measured.append(self._share(crit, x, y, snaps, extra, candidates))
                continue
            if len(sel) == 0:  # nothing in the data: not assessed, never a score of 0
                reason = not_in_data(crit)
                if candidates:
                    log.warning(
                        "not assessed: %s (%s); left out of the total",
                        crit.key,
                        render(reason, "en"),
                    )
                measured.append(self._not_assessed(crit, n, reason, extra, candidates))
                continue
            dist, near, why = self._distance(crit, x, y, sel, fx, fy, snaps, extra, candidates)
            counted[crit.key] = dist
            measured.append(Measured(crit, dist, why_unknown=why))
            if candidates:
                extra[nearest_col(crit.key)] = nearest_labels(self.pois, sel, near)
                extra[nearest_id_col(crit.key)] = nearest_ids(self.pois, sel, near)
        for crit in counts:
            measured[self.config.criteria.index(crit)] = count_within(crit, counted, n)
        done = [m for m in measured if m is not None]  # every count is filled in above
        if len(done) != len(measured):
            raise RuntimeError("a count criterion was not measured")
        return done, extra

    def _not_assessed(
        self, crit: Criterion, n: int, reason: Note, extra: dict[str, Any], candidates: bool
    ) -> Measured:
        """A criterion with nothing to measure: no distances, no nearest feature."""
        if candidates:
            extra[nearest_col(crit.key)] = np.full(n, None, dtype=object)
            extra[nearest_id_col(crit.key)] = np.full(n, None, dtype=object)
        return Measured(crit, np.full(n, np.nan), assessed=False, why_not_assessed=reason)

    def _distance(
        self,
        crit: Criterion,
        x: np.ndarray,
        y: np.ndarray,
        sel: np.ndarray,
        fx: np.ndarray,
        fy: np.ndarray,
        snaps: dict[str, Snapped],
        extra: dict[str, Any],
        candidates: bool,
    ) -> tuple[np.ndarray, Nearest, Note | None]:
        """(distance, nearest feature, why unknown) of a distance criterion in its mode."""
        max_snap = self.config.network.max_snap_m
        mode = self.mode(crit)
        if crit.distance_to == "outline" and mode == "straight":
            near = self._nearest_outline(crit, sel, x, y)
            dist = near.distance
            why: Note | None = None
        elif mode == "straight":
            near = nearest_straight(x, y, fx, fy, crit.reach_m)
            dist = near.distance
            why = None
        elif mode == "walk_or_bike":
            walk, wnear = self._network_distance(
                crit, "walk", crit.walk_search_m, x, y, sel, fx, fy, snaps, extra, candidates
            )
            bike, bnear = self._network_distance(
                crit, "bike", crit.bike_reach_m, x, y, sel, fx, fy, snaps, extra, candidates
            )
            dist, by_bike = walk_or_bike(walk, bike, crit)
            near = Nearest(dist, np.where(by_bike, bnear.feature, wnear.feature))
            near = Nearest(dist, np.where(np.isfinite(dist), near.feature, -1))
            why = note("off_networks", m=metres(max_snap))
            if candidates:
                by = np.where(by_bike, "bike", "walk").astype(object)
                by[~np.isfinite(dist)] = None
                extra[mode_col(crit.key)] = by
                extra[dist_mode_col(crit.key, "walk")] = _metres(walk)
                extra[dist_mode_col(crit.key, "bike")] = _metres(bike)
        else:
            dist, near = self._network_distance(
                crit, mode, crit.reach_m, x, y, sel, fx, fy, snaps, extra, candidates
            )
            why = off_network(max_snap, mode)
        return dist, near, why

    def _network_distance(
        self,
        crit: Criterion,
        mode: str,
        reach: float,
        x: np.ndarray,
        y: np.ndarray,
        sel: np.ndarray,
        fx: np.ndarray,
        fy: np.ndarray,
        snaps: dict[str, Snapped],
        extra: dict[str, np.ndarray],
        candidates: bool,
    ) -> tuple[np.ndarray, Nearest]:
        """(distance, Nearest) over the ``mode`` network within ``reach``; NaN off the network."""
        net = self.network(mode)
        self._snap_points(mode, x, y, snaps, extra, candidates, check=mode == self.mode(crit))
        fsnap = self._feature_snap(crit, mode, net, sel, fx, fy)
        near = nearest_network(net, snaps[mode], fsnap, reach)
        return np.where(snaps[mode].on_network, near.distance, np.nan), near

    def _snap_points(
        self,
        mode: str,
        x: np.ndarray,
        y: np.ndarray,
        snaps: dict[str, Snapped],
        extra: dict[str, np.ndarray],
        candidates: bool,
        *,
        check: bool,
    ) -> Snapped:
        """The points snapped onto the ``mode`` network (once per point set); with ``check``,
        candidates all off it are an error (the fallback network of walk_or_bike may miss
        some)."""
        if mode not in snaps:
            max_snap = self.config.network.max_snap_m
            snaps[mode] = snap_clear(
                self.network(mode), x, y, max_snap, self.obstacles, own=self.own
            )
            if candidates:
                extra[snap_col(mode)] = np.round(snaps[mode].offset_m, 1)
                self.network_info[mode]["candidates_off_network"] = int(
                    (~snaps[mode].on_network).sum()
                )
                if check:
                    _check_reachable(snaps[mode], max_snap, mode)
        return snaps[mode]

    def _share(
        self,
        crit: Criterion,
        x: np.ndarray,
        y: np.ndarray,
        snaps: dict[str, Snapped],
        extra: dict[str, np.ndarray],
        candidates: bool,
    ) -> Measured:
        """Share of the buildings within ``within_m`` that are residential: walking (each
        building's centroid snapped onto the walk network past water, as facilities are) or
        in a straight line."""
        if self.buildings is None:
            self.buildings = building_points(self.osm.buildings, self.crs)
        bx, by, kind = self.buildings
        home = np.isin(kind, crit.residential)
        if self.mode(crit) == "straight":
            value = residential_share(x, y, bx, by, home, crit.within_m)
            why = note("no_buildings", m=metres(crit.within_m))
            return Measured(crit, np.full(len(x), np.nan), why_unknown=why, value=value)
        max_snap = self.config.network.max_snap_m
        net = self.network("walk")
        snap = self._snap_points("walk", x, y, snaps, extra, candidates, check=True)
        if self.building_snap is None:  # like facilities: only water blocks their snapping
            with self.timings.stage("snapping buildings"):
                self.building_snap = snap_clear(
                    net, bx, by, max_snap, self.obstacles, buildings=False
                )
        with self.timings.stage("buildings within walking distance"):
            every, homes = count_reached(
                net, snap, self.building_snap, crit.within_m, [np.ones(len(bx), bool), home]
            )
        value = share_of(homes, every)
        value[~snap.on_network] = np.nan
        why = note("no_buildings_walk", m=metres(crit.within_m), s=metres(max_snap))
        return Measured(crit, np.full(len(x), np.nan), why_unknown=why, value=value)

    def _ways(self, crit: Criterion, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Straight distance to the nearest segment of the ways ``crit`` selects, and the
        ``key=value`` of that way."""
        if crit.key not in self.way_segments:
            found = select_way_segments(self.osm.ways, crit.tags, crit.exclude, self.crs)
            self.way_segments[crit.key] = found
            self.network_info.setdefault("ways", {})[crit.key] = {
                "ways": found.n_ways,
                "segments": len(found.segments),
            }
        found = self.way_segments[crit.key]
        dist, idx = nearest_segment(x, y, found, crit.reach_m)
        labels = np.full(len(x), None, dtype=object)
        labels[idx >= 0] = found.tag[idx[idx >= 0]]
        return dist, labels

    def _nearest_outline(
        self, crit: Criterion, sel: np.ndarray, x: np.ndarray, y: np.ndarray
    ) -> Nearest:
        """Straight distance to the nearest point of each feature's own geometry (the outline
        of a polygon, 0 inside it; a line), within reach; the feature index is into ``sel``."""
        if crit.key not in self.outlines:
            feats = self.osm.features
            rows = self.pois.iloc[sel]
            key = feats["osm_type"].astype(str) + "/" + feats["osm_id"].astype(str)
            position = pd.Series(np.arange(len(feats)), index=key.to_numpy())
            position = position[~position.index.duplicated()]
            wanted = (rows["osm_type"].astype(str) + "/" + rows["osm_id"].astype(str)).to_numpy()
            geoms = to_crs(feats.iloc[position.loc[wanted].to_numpy()], self.crs).geometry
            self.outlines[crit.key] = shapely.STRtree(geoms.values)  # 0 inside a polygon
        tree = self.outlines[crit.key]
        pts = shapely.points(x, y)
        dist = np.full(len(x), np.inf)
        idx = np.full(len(x), -1, dtype=np.int64)
        (pt, feat), d = tree.query_nearest(
            pts, max_distance=crit.reach_m, return_distance=True, all_matches=False
        )
        dist[pt], idx[pt] = d, feat
        return Nearest(dist, idx)

    def _feature_snap(
        self,
        crit: Criterion,
        mode: str,
        net: Network,
        sel: np.ndarray,
        fx: np.ndarray,
        fy: np.ndarray,
    ) -> Snapped:
        if (crit.key, mode) not in self.feature_snaps:
            snapped = snap_clear(
                net, fx, fy, self.config.network.max_snap_m, self.obstacles, buildings=False
            )
            if mode == "walk" or self.mode(crit) == mode:  # the layer shows the walking offset
                self.pois.loc[self.pois.index[sel], "snap_m"] = np.round(snapped.offset_m, 1)
            self.feature_snaps[(crit.key, mode)] = snapped
        return self.feature_snaps[(crit.key, mode)]

    def _pressure(
        self,
        crit: Criterion,
        sel: np.ndarray,
        x: np.ndarray,
        y: np.ndarray,
        fx: np.ndarray,
        fy: np.ndarray,
    ) -> tuple[Measured, Nearest, np.ndarray]:
        """Capacity-weighted kernel sum of nearby reception (the score), places within
        ``within_m`` and the straight distance to the nearest site (for hard limits)."""
        cap = self.pois["capacity"].to_numpy(dtype=float)[sel]
        known = np.isfinite(cap)
        if (~known).any() and crit.key not in self.warned:
            self.warned.add(crit.key)
            log.warning(
                "%d reception location(s) without a capacity (OSM capacity tag) count for the "
                "distance to the nearest site, not for the number of places nearby",
                int((~known).sum()),
            )
        pts, sites = np.column_stack([x, y]), np.column_stack([fx, fy])
        dist, idx = nearest_site(pts, sites, np.where(known, cap, 0.0), crit.min_capacity)
        dist = np.where(dist > crit.reach_m, np.inf, dist)
        idx = np.where(np.isfinite(dist), idx, -1)
        pressure = reception_pressure(
            pts,
            sites[known],
            cap[known],
            bandwidth_m=crit.bandwidth_m,
            cutoff_m=crit.cutoff_m,
            kernel=crit.kernel,
        )
        within = places_within(pts, sites[known], cap[known], crit.within_m)
        return Measured(crit, dist, why_unknown=None, value=pressure), Nearest(dist, idx), within


def _metres(d: np.ndarray) -> np.ndarray:
    """Distances for a table: rounded to 0.1 m, NaN where nothing is in reach or unknown."""
    return np.where(np.isfinite(d), np.round(d, 1), np.nan)


def _check_reachable(snapped: Snapped, max_snap_m: float, mode: str) -> None:
    if not snapped.on_network.any():
        raise AreaError(
            f"none of the candidates lies within {max_snap_m:.0f} m of the {mode} network in the "
            "OSM data; do the candidates and the OSM file cover the same place (and is the "
            "candidates' CRS right)?"
        )


def nearest_labels(pois: gpd.GeoDataFrame, sel: np.ndarray, near: Nearest) -> np.ndarray:
    """Name, else address, else tag of each point's nearest feature (never a bare OSM id),
    or None."""
    labels = np.full(len(near.feature), None, dtype=object)
    found = near.feature >= 0
    if not found.any():
        return labels
    per_feature = poi_labels(pois.iloc[sel])  # one label per feature, then indexed per point
    labels[found] = per_feature[near.feature[found]]
    return labels


def nearest_ids(pois: gpd.GeoDataFrame, sel: np.ndarray, near: Nearest) -> np.ndarray:
    """'osm_type/id' of each point's nearest feature (None for features from a user's file)."""
    ids = np.full(len(near.feature), None, dtype=object)
    found = near.feature >= 0
    if not found.any():
        return ids
    rows = pois.iloc[sel]
    ident = (rows["osm_type"].astype(str) + "/" + rows["osm_id"].astype(str)).to_numpy(object)
    ident[rows["osm_type"].isna().to_numpy()] = None
    ids[found] = ident[near.feature[found]]
    return ids
