"""CRS choice and the one place that reprojects."""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Sequence
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pyproj

from geoschikt.errors import CRSError

FrameT = TypeVar("FrameT", gpd.GeoDataFrame, gpd.GeoSeries)

WGS84 = "EPSG:4326"
RD_NEW = "EPSG:28992"
# Where RD New is meant to be used (its area of use, lon/lat degrees).
_RD_BOUNDS = (3.2, 50.75, 7.22, 53.7)


def choose_metric_crs(lon: float, lat: float, setting: str = "auto") -> str:
    """EPSG:28992 for the Netherlands, else the UTM zone of (lon, lat); or the configured CRS."""
    if setting != "auto":
        crs = pyproj.CRS.from_user_input(setting)
        check_area_of_use(crs, lon, lat, setting)
        return crs.to_string()
    w, s, e, n = _RD_BOUNDS
    if w <= lon <= e and s <= lat <= n:
        return RD_NEW
    zone = int((lon + 180) // 6) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def check_area_of_use(crs: pyproj.CRS, lon: float, lat: float, name: str) -> None:
    """Refuse a configured CRS whose area of use lies far (> 5 degrees) from the area scored:
    its distances there would be distorted, or its transformation undefined."""
    area = crs.area_of_use
    margin = 5.0
    if area is None or area.west > area.east:  # none, or across the antimeridian
        return
    if not (
        area.west - margin <= lon <= area.east + margin
        and area.south - margin <= lat <= area.north + margin
    ):
        raise CRSError(
            f"analysis.crs = '{name}' is meant for {area.name}, but the area scored lies at "
            f"({lon:.2f}, {lat:.2f}); use 'auto' or a CRS for that place (e.g. EPSG:28992)"
        )


def to_crs(frame: FrameT, crs: str) -> FrameT:
    """Reproject a GeoDataFrame/GeoSeries (a no-op when it is already in ``crs``)."""
    if frame.crs is not None and pyproj.CRS.from_user_input(frame.crs) == pyproj.CRS(crs):
        return frame
    return frame.to_crs(crs)


def transform_xy(x: np.ndarray, y: np.ndarray, src: str, dst: str) -> tuple[np.ndarray, np.ndarray]:
    """Reproject coordinate arrays."""
    tr = _transformer(src, dst, threading.get_ident())
    return tr.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))


@functools.lru_cache(maxsize=32)
def _transformer(src: str, dst: str, thread: int) -> pyproj.Transformer:
    """One transformer per CRS pair and thread (making one takes ~50 ms: the network build
    transforms once per walkable square; pyproj transformers are not shared across threads)."""
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


# WGS84 ellipsoid
_A = 6_378_137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
_SHORT_M = 1_000.0  # the local formula up to this length and _SHORT_LAT degrees latitude
_SHORT_LAT = 80.0  # (error there under 0.04 mm; ~4 mm at 89 degrees)


def geodesic_lengths(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Lengths in metres on the WGS84 ellipsoid between coordinate arrays.

    Network edges are short, so they are measured with the ellipsoid's radii of curvature at
    their mid-latitude (meridian M and prime vertical N: s = hypot(M dlat, N cos(lat) dlon)),
    whose error grows with the length squared and towards the poles: under 0.04 mm up to 1 km
    and 80 degrees latitude, ~20x faster than Karney's geodesic. Longer edges (ferries), edges
    nearer the poles and any the formula does not fit go to pyproj's ``Geod`` (Karney).
    ``tests/test_geo.py`` checks both against ``Geod`` directly."""
    lon1, lat1, lon2, lat2 = (np.asarray(a, dtype=float) for a in (lon1, lat1, lon2, lat2))
    phi = np.radians((lat1 + lat2) / 2)
    w2 = 1 - _E2 * np.sin(phi) ** 2
    n = _A / np.sqrt(w2)  # prime vertical radius
    m = n * (1 - _E2) / w2  # meridian radius
    dlon = (lon2 - lon1 + 180.0) % 360.0 - 180.0  # across the antimeridian the short way
    length: np.ndarray = np.hypot(m * np.radians(lat2 - lat1), n * np.cos(phi) * np.radians(dlon))
    far = np.flatnonzero(~(length <= _SHORT_M) | (np.abs(phi) > np.radians(_SHORT_LAT)))
    if len(far):
        geod = pyproj.Geod(ellps="WGS84")
        length[far] = geod.inv(lon1[far], lat1[far], lon2[far], lat2[far])[2]
    return length


def grow_bounds(
    bounds: Sequence[float] | np.ndarray, metres: float
) -> tuple[float, float, float, float]:
    """``bounds`` (lon/lat) grown by at least ``metres`` on every side: a degree of latitude is
    at least 110,574 m, and a degree of longitude at least 111,320 m x cos(latitude) at the
    latitude farthest from the equator."""
    left, bottom, right, top = (float(b) for b in bounds)
    dlat = metres / 110_574.0
    widest = max(abs(bottom), abs(top)) + dlat
    dlon = metres / (111_320.0 * max(math.cos(math.radians(min(widest, 89.0))), 0.01))
    return (  # rounded outwards to 1e-6 degree
        math.floor((left - dlon) * 1e6) / 1e6,
        math.floor((bottom - dlat) * 1e6) / 1e6,
        math.ceil((right + dlon) * 1e6) / 1e6,
        math.ceil((top + dlat) * 1e6) / 1e6,
    )
