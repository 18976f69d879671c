"""Geodesic edge lengths and cached reprojection against pyproj directly."""

from __future__ import annotations

import threading

import numpy as np
import pyproj

from geoschikt.config import load_config
from geoschikt.geo import WGS84, _transformer, geodesic_lengths, transform_xy
from geoschikt.pipeline import load_osm

GEOD = pyproj.Geod(ellps="WGS84")


def _karney(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_short_edges_within_a_tenth_of_a_millimetre_of_karney():
    """SYNTHETIC segments of 0-1,000 m in every direction, from the equator to 89 degrees (the
    formula is used up to 80) and across the antimeridian."""
    rng = np.random.default_rng(11)
    n = 200_000
    lon1 = rng.uniform(-180, 180, n)
    lat1 = rng.uniform(-89, 89, n)
    az = rng.uniform(0, 360, n)
    dist = rng.uniform(0, 1_000, n) ** rng.choice([1.0, 0.5], n)  # many very short ones
    lon2, lat2, _ = GEOD.fwd(lon1, lat1, az, dist)
    lon1[:100], lon2[:100] = 179.9999, -179.9999  # across the antimeridian
    got = geodesic_lengths(lon1, lat1, lon2, lat2)
    want = _karney(lon1, lat1, lon2, lat2)
    assert np.abs(got - want).max() < 1e-4


def test_long_and_polar_edges_are_karneys():
    """Ferries of several kilometres and edges near the poles are measured by pyproj itself."""
    lon1 = np.array([4.90, 4.47, 10.0, 0.0])
    lat1 = np.array([52.38, 51.90, 89.5, 0.0])
    lon2 = np.array([4.91, 4.52, 170.0, 0.02])
    lat2 = np.array([52.39, 51.92, 89.6, 0.0])
    got = geodesic_lengths(lon1, lat1, lon2, lat2)
    assert np.array_equal(got, _karney(lon1, lat1, lon2, lat2))
    assert not np.isfinite(geodesic_lengths([np.nan], [52.0], [4.0], [52.0])).any()


def test_every_street_segment_of_the_delft_extract(delft_pbf):
    """Consecutive nodes of every highway way of the real Delft extract."""
    ways = load_osm(delft_pbf, load_config()).ways
    same = (ways.way[1:] == ways.way[:-1]) & np.isfinite(ways.lon[1:]) & np.isfinite(ways.lon[:-1])
    a = np.flatnonzero(same)
    args = (ways.lon[a], ways.lat[a], ways.lon[a + 1], ways.lat[a + 1])
    got, want = geodesic_lengths(*args), _karney(*args)
    assert len(a) > 10_000
    assert np.abs(got - want).max() < 1e-5


def test_transformer_cached_per_thread_and_equal_to_pyproj():
    rng = np.random.default_rng(2)
    lon, lat = rng.uniform(3.3, 7.2, 1000), rng.uniform(50.8, 53.5, 1000)
    fresh = pyproj.Transformer.from_crs(WGS84, "EPSG:28992", always_xy=True)
    for _ in range(2):
        x, y = transform_xy(lon, lat, WGS84, "EPSG:28992")
        fx, fy = fresh.transform(lon, lat)
        assert np.array_equal(x, fx) and np.array_equal(y, fy)
    here = _transformer(WGS84, "EPSG:28992", threading.get_ident())
    assert here is _transformer(WGS84, "EPSG:28992", threading.get_ident())
    other: list = []
    t = threading.Thread(
        target=lambda: other.append(_transformer(WGS84, "EPSG:28992", threading.get_ident()))
    )
    t.start()
    t.join()
    assert other[0] is not here
