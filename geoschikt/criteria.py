"""Measurements built on top of nearest distances, as pure array functions:

- ``walk_or_bike``: walking distance within walking reach, else discounted cycling distance;
- ``count_within``: how many of a list of facility kinds lie within a distance (from the
  per-kind multi-source sweeps that are run anyway, so no extra search);
- ``residential_share``: the share of nearby buildings that are homes (embedding).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geoschikt.config import Criterion
from geoschikt.geo import WGS84, transform_xy
from geoschikt.notes import OFF_NETWORK_ANY
from geoschikt.scoring import Measured

# footprints smaller than this are sheds, garages and kiosks: not counted for embedding
MIN_BUILDING_M2 = 25.0


def walk_or_bike(
    walk: np.ndarray, bike: np.ndarray, crit: Criterion
) -> tuple[np.ndarray, np.ndarray]:
    """(effective distance, True where cycling gave it).

    Within walking reach (``walk <= walk_reach_m``) the walking distance counts. Beyond it,
    a resident cycles: the first ``walk_reach_m`` count in full and every cycling metre after
    that counts as ``bike_factor`` metre, ``R + f * max(bike - R, 0)``; the smaller of that
    and the walking distance counts. ``inf`` beyond ``reach_m``; NaN where neither network
    reaches the point.
    """
    reach_walk, f = crit.walk_reach_m, crit.bike_factor
    walk = np.asarray(walk, dtype=float)
    bike = np.asarray(bike, dtype=float)
    cycled = reach_walk + f * np.maximum(bike - reach_walk, 0.0)  # inf/nan stay so
    within = walk <= reach_walk
    w = np.where(np.isnan(walk), np.inf, walk)
    c = np.where(np.isnan(cycled), np.inf, cycled)
    by_bike = ~within & (c < w)
    dist = np.where(by_bike, c, w)
    dist = np.where(dist > crit.reach_m, np.inf, dist)
    dist = np.where(np.isnan(walk) & np.isnan(bike), np.nan, dist)
    return dist, by_bike & np.isfinite(dist)


def count_within(crit: Criterion, distances: dict[str, np.ndarray], n: int) -> Measured:
    """How many of the kinds ``crit.of`` have a facility within ``crit.within_m``.

    ``distances`` holds each counted criterion's scored nearest distance, measured by its own
    multi-source sweep: "is there one within D" is "is the nearest within D" (for a
    walk_or_bike kind with ``within_m`` up to its walking reach, that is the walking distance).
    NaN where one of them is unknown (off the network). A kind with nothing in the data (not
    assessed, so not in ``distances``) is left out of the count.
    """
    value = np.zeros(n)
    unknown = np.zeros(n, dtype=bool)
    for key in crit.of:
        if key not in distances:
            continue
        d = distances[key]
        value += np.isfinite(d) & (d <= crit.within_m)
        unknown |= np.isnan(d)
    value[unknown] = np.nan
    return Measured(crit, np.full(n, np.nan), why_unknown=OFF_NETWORK_ANY, value=value)


def building_points(
    buildings: gpd.GeoDataFrame, crs: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, building=* value) of every building of at least ``MIN_BUILDING_M2``, in ``crs``.

    The centroid and the footprint area are taken in lon/lat (the area scaled by the local
    size of a degree, within a fraction of a percent for a building), so only points are
    reprojected.
    """
    if buildings.empty:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=object)
    geom = buildings.geometry.values
    pts = shapely.centroid(geom)
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    m2_per_deg2 = (111_320.0 * 110_574.0) * np.cos(np.radians(lat))
    big = shapely.area(geom) * m2_per_deg2 >= MIN_BUILDING_M2
    x, y = transform_xy(lon[big], lat[big], WGS84, crs)
    kind = buildings["building"].fillna("yes").to_numpy(dtype=object)[big]
    return x, y, kind


def residential_share(
    x: np.ndarray,
    y: np.ndarray,
    bx: np.ndarray,
    by: np.ndarray,
    residential: np.ndarray,
    within_m: float,
) -> np.ndarray:
    """Share (0-1) of the buildings within ``within_m`` (straight line) that are residential;
    NaN where there are none."""
    n = len(x)
    if n == 0 or len(bx) == 0:
        return np.full(n, np.nan)
    from scipy.spatial import cKDTree

    pts = np.column_stack([x, y])
    every = cKDTree(np.column_stack([bx, by])).query_ball_point(
        pts, within_m, return_length=True, workers=-1
    )
    if residential.any():
        homes = cKDTree(np.column_stack([bx[residential], by[residential]])).query_ball_point(
            pts, within_m, return_length=True, workers=-1
        )
    else:
        homes = np.zeros(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(every > 0, homes / np.maximum(every, 1), np.nan)
