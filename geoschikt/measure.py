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
from geoschikt.errors import AreaError
from geoschikt.features import poi_labels
from geoschikt.geo import to_crs
from geoschikt.network import Network, Snapped, build_network
from geoschikt.obstacles import Obstacles, snap_clear
from geoschikt.reception import nearest_site, places_within, reception_pressure
from geoschikt.routing import Nearest, nearest_network, nearest_straight
from geoschikt.scoring import (
    NOT_ASSESSED_RECEPTION,
    Measured,
    nearest_col,
    nearest_id_col,
    not_in_data,
    snap_col,
)

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
        self.feature_snaps: dict[str, Snapped] = {}
        self.network_info: dict[str, dict[str, Any]] = {}
        self.warned: set[str] = set()  # warnings given once per run, not per measured point set
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
        self, x: np.ndarray, y: np.ndarray, *, candidates: bool = True
    ) -> tuple[list[Measured], dict[str, Any]]:
        """(measured per criterion, extra columns) for the points ``x``, ``y``.

        With ``candidates``, points that are all off the network are an error, and snapping
        offsets, nearest features and places-within columns are returned as extra columns.
        """
        n = len(x)
        extra: dict[str, np.ndarray] = {}
        snaps: dict[str, Snapped] = {}
        measured: list[Measured] = []
        max_snap = self.config.network.max_snap_m
        for crit in self.config.criteria:
            sel = np.flatnonzero((self.pois["category"] == crit.key).to_numpy())
            geoms = self.pois.geometry.values[sel]
            fx, fy = shapely.get_x(geoms), shapely.get_y(geoms)
            if crit.measure == "raster":
                from geoschikt.rasters import sample_raster  # rasterio only when needed

                if crit.raster is None:  # the config requires it for source = "raster"
                    raise AreaError(f"criterion {crit.key} has no raster file")
                value = sample_raster(crit.raster, crit.band, x, y, self.crs)
                measured.append(
                    Measured(
                        crit, np.full(n, np.nan), "outside the raster or on nodata", value=value
                    )
                )
                continue
            if crit.source == "reception" and len(sel) == 0:
                measured.append(
                    Measured(
                        crit,
                        np.full(n, np.nan),
                        assessed=False,
                        why_not_assessed=NOT_ASSESSED_RECEPTION,
                    )
                )
                if candidates:
                    extra[nearest_col(crit.key)] = np.full(n, None, dtype=object)
                    extra[nearest_id_col(crit.key)] = np.full(n, None, dtype=object)
                continue
            if crit.measure == "pressure":
                m, near, within = self._pressure(crit, sel, x, y, fx, fy)
                measured.append(m)
                if candidates:
                    extra[within_col(crit)] = within
                    extra[nearest_col(crit.key)] = nearest_labels(self.pois, sel, near)
                    extra[nearest_id_col(crit.key)] = nearest_ids(self.pois, sel, near)
                continue
            if len(sel) == 0:  # nothing in the data: not assessed, never a score of 0
                why = not_in_data(crit)
                measured.append(
                    Measured(crit, np.full(n, np.nan), assessed=False, why_not_assessed=why)
                )
                if candidates:
                    log.warning("not assessed: %s (%s); left out of the total", crit.key, why)
                    extra[nearest_col(crit.key)] = np.full(n, None, dtype=object)
                    extra[nearest_id_col(crit.key)] = np.full(n, None, dtype=object)
                continue
            mode = self.mode(crit)
            if crit.distance_to == "outline" and mode == "straight":
                near = self._nearest_outline(crit, sel, x, y)
                dist = near.distance
            elif mode == "straight":
                near = nearest_straight(x, y, fx, fy, crit.reach_m)
                dist = near.distance
            else:
                net = self.network(mode)
                if mode not in snaps:
                    snaps[mode] = snap_clear(net, x, y, max_snap, self.obstacles)
                    if candidates:
                        extra[snap_col(mode)] = np.round(snaps[mode].offset_m, 1)
                        self.network_info[mode]["candidates_off_network"] = int(
                            (~snaps[mode].on_network).sum()
                        )
                        _check_reachable(snaps[mode], max_snap, mode)
                fsnap = self._feature_snap(crit, net, sel, fx, fy)
                near = nearest_network(net, snaps[mode], fsnap, crit.reach_m)
                dist = np.where(snaps[mode].on_network, near.distance, np.nan)
            why = f"more than {max_snap:.0f} m from the {mode} network"
            measured.append(Measured(crit, dist, why_unknown=why))
            if candidates:
                extra[nearest_col(crit.key)] = nearest_labels(self.pois, sel, near)
                extra[nearest_id_col(crit.key)] = nearest_ids(self.pois, sel, near)
        return measured, extra

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
        self, crit: Criterion, net: Network, sel: np.ndarray, fx: np.ndarray, fy: np.ndarray
    ) -> Snapped:
        if crit.key not in self.feature_snaps:
            snapped = snap_clear(
                net, fx, fy, self.config.network.max_snap_m, self.obstacles, buildings=False
            )
            self.pois.loc[self.pois.index[sel], "snap_m"] = np.round(snapped.offset_m, 1)
            self.feature_snaps[crit.key] = snapped
        return self.feature_snaps[crit.key]

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
        return Measured(crit, dist, why_unknown="", value=pressure), Nearest(dist, idx), within


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
