"""Criteria measured to OSM *ways* rather than features: e.g. the straight distance from a
point to the nearest segment of a motorway, trunk or primary road."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geoschikt.acquire import NetworkWays
from geoschikt.config import TagFilter
from geoschikt.geo import WGS84, transform_xy
from geoschikt.network import SnapIndex


@dataclass(frozen=True)
class WaySegments:
    """Straight segments (metric CRS) of the selected ways and the ``key=value`` of each."""

    segments: np.ndarray  # shapely LineStrings
    tag: np.ndarray  # e.g. "highway=primary", per segment
    n_ways: int


def filter_mask(tags: pd.DataFrame, rules: TagFilter) -> tuple[np.ndarray, np.ndarray]:
    """(mask, matching 'key=value') of the rows of ``tags`` that match any rule (the first
    matching rule names the tag, as ``TagFilter.match`` does)."""
    n = len(tags)
    hit = np.zeros(n, dtype=bool)
    label = np.full(n, None, dtype=object)
    for key, vals in rules.rules:
        if key not in tags:
            continue
        col = tags[key]
        ok = col.notna() & (col != "no")
        if vals is not None:
            ok &= col.isin(vals)
        new = ok.to_numpy() & ~hit
        label[new] = key + "=" + col[new].astype(str).to_numpy()
        hit |= new
    return hit, label


def select_way_segments(
    ways: NetworkWays, tags: TagFilter, exclude: TagFilter, crs: str
) -> WaySegments:
    """Every segment between two located nodes of the ways matching ``tags`` (not ``exclude``)."""
    ok, label = filter_mask(ways.tags, tags)
    if exclude.rules:
        ok &= ~filter_mask(ways.tags, exclude)[0]
    if not ok.any() or len(ways.way) < 2:
        return WaySegments(np.array([], dtype=object), np.array([], dtype=object), 0)
    same = ways.way[:-1] == ways.way[1:]
    located = np.isfinite(ways.lon) & np.isfinite(ways.lat)
    a = np.flatnonzero(same & ok[ways.way[:-1]] & located[:-1] & located[1:])
    x, y = transform_xy(ways.lon, ways.lat, WGS84, crs)
    coords = np.stack(
        [np.stack([x[a], y[a]], axis=1), np.stack([x[a + 1], y[a + 1]], axis=1)], axis=1
    )
    segments = shapely.linestrings(coords) if len(a) else np.array([], dtype=object)
    return WaySegments(segments, label[ways.way[a]], int(ok.sum()))


def nearest_segment(
    x: np.ndarray, y: np.ndarray, found: WaySegments, reach_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """(straight distance, segment index) of each point's nearest segment within ``reach_m``;
    ``inf`` and -1 where there is none. Uses the network's exact snapping index (points along
    the segments in a KD-tree, checked against the segments themselves)."""
    n = len(x)
    dist = np.full(n, np.inf)
    idx = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(found.segments) == 0:
        return dist, idx
    xy = shapely.get_coordinates(found.segments).reshape(-1, 2, 2)
    index = SnapIndex.build(xy)
    assert index is not None  # there are segments
    snapped = index.snap(np.asarray(x, float), np.asarray(y, float), reach_m)
    hit = snapped.on_network
    dist[hit] = snapped.offset_m[hit]
    idx[hit] = snapped.edge[hit]
    return dist, idx
