"""Cutting an extract into region inputs while it is read: reading in chunks gives the same data
as one read, and each region's streamed cut equals a plain in-memory cut of the whole parse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geoschikt.acquire import NetworkWays, OsmChunk, read_osm, stream_osm
from geoschikt.batch.cut import RegionCut, read_region_input, split_extract
from geoschikt.errors import InputFileError
from geoschikt.pipeline import feature_keys, feature_predicate


def reference_cut(osm, bounds, building_bounds=None) -> OsmChunk:
    """The obvious cut of a fully parsed extract, way by way in Python: each run of nodes inside
    the box, with one neighbour either side, is a way; buildings and features that intersect the
    box (``GeoDataFrame.cx``)."""
    left, bottom, right, top = bounds
    w = osm.ways
    starts = np.flatnonzero(np.r_[True, w.way[1:] != w.way[:-1]])
    ends = np.r_[starts[1:], len(w.way)]
    rows, way, tag_rows = [], [], []
    for s, e in zip(starts, ends, strict=True):
        inside = [left <= w.lon[i] <= right and bottom <= w.lat[i] <= top for i in range(s, e)]
        keep = [
            inside[j] or (j > 0 and inside[j - 1]) or (j + 1 < e - s and inside[j + 1])
            for j in range(e - s)
        ]
        for j in range(e - s):
            if keep[j]:
                if j == 0 or not keep[j - 1]:
                    tag_rows.append(w.way[s])
                rows.append(s + j)
                way.append(len(tag_rows) - 1)
    rows = np.array(rows, dtype=np.int64)
    ways = NetworkWays(
        w.refs[rows],
        w.lon[rows],
        w.lat[rows],
        np.array(way, dtype=np.int64),
        w.tags.iloc[tag_rows].reset_index(drop=True),
    )
    b_left, b_bottom, b_right, b_top = building_bounds or bounds
    return OsmChunk(
        ways,
        osm.buildings.cx[b_left:b_right, b_bottom:b_top].reset_index(drop=True),
        osm.features.cx[left:right, bottom:top].reset_index(drop=True),
        osm.boundaries.iloc[0:0],
    )


def assert_same(a, b) -> None:
    for name in ("refs", "lon", "lat", "way"):
        np.testing.assert_array_equal(getattr(a.ways, name), getattr(b.ways, name), err_msg=name)
    pd.testing.assert_frame_equal(a.ways.tags, b.ways.tags)
    for name in ("buildings", "features"):
        left, right = getattr(a, name), getattr(b, name)
        assert len(left) == len(right), name
        if len(left):
            pd.testing.assert_frame_equal(
                left.drop(columns="geometry"), right.drop(columns="geometry"), obj=name
            )
            assert shapely.equals_exact(left.geometry.values, right.geometry.values, 0).all()


@pytest.fixture(scope="module")
def keys(config):
    return feature_keys(config), feature_predicate(config)


@pytest.fixture(scope="module")
def delft_whole(delft_pbf, keys):
    return read_osm(delft_pbf, *keys)


def test_reading_in_chunks_gives_the_same_data_as_one_read(delft_pbf, delft_whole, keys):
    from geoschikt.acquire import concat_chunks

    chunks = []
    meta = stream_osm(delft_pbf, *keys, on_chunk=chunks.append, chunk_objects=700)
    assert len(chunks) > 5  # really chunked (Delft has ~6k ways, buildings and features)
    assert max(len(c) for c in chunks) <= 700 + 1
    assert_same(concat_chunks(chunks), delft_whole)
    assert meta["sha256"] == delft_whole.sha256 and meta["timestamp"] == delft_whole.timestamp


BOXES = {  # made-up boxes (lon/lat) over the real Delft extract, and one far away
    "west": (4.355, 51.995, 4.366, 52.005),
    "middle": (4.362, 51.990, 4.378, 52.010),  # overlaps west: objects go to both
    "east": (4.375, 51.996, 4.392, 52.003),
    "nowhere": (5.0, 53.0, 5.01, 53.01),
}


@pytest.mark.slow  # cuts the whole Delft extract twice to compare
def test_streamed_region_cuts_equal_an_in_memory_cut(delft_pbf, delft_whole, keys, tmp_path):
    cuts = [
        RegionCut(tmp_path / f"{name}.osmcut", bounds, area=None) for name, bounds in BOXES.items()
    ]
    # a region's own box for its buildings (candidates lie in the region), inside its buffer
    cuts.append(
        RegionCut(
            tmp_path / "own.osmcut",
            BOXES["middle"],
            area=None,
            building_bounds=(4.366, 51.996, 4.372, 52.001),
        )
    )
    split_extract(delft_pbf, cuts, *keys, work_dir=tmp_path, chunk_objects=500)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{n}.osmcut" for n in BOXES] + ["own.osmcut"]
    )
    for cut in cuts:
        osm, _ = read_region_input(cut.path)
        expected = reference_cut(delft_whole, cut.bounds, cut.building_bounds)
        assert_same(osm, expected)
        assert osm.sha256 == delft_whole.sha256 and osm.path == delft_whole.path
    middle, _ = read_region_input(tmp_path / "middle.osmcut")
    assert len(middle.buildings) > 100 and len(middle.ways.tags) > 100
    # long ways are clipped: every kept node is inside the box or next to one that is
    left, bottom, right, top = BOXES["middle"]
    w = middle.ways
    inside = (w.lon >= left) & (w.lon <= right) & (w.lat >= bottom) & (w.lat <= top)
    same = w.way[1:] == w.way[:-1]
    near = inside.copy()
    near[1:] |= inside[:-1] & same
    near[:-1] |= inside[1:] & same
    assert near.all() and not inside.all()
    own, _ = read_region_input(tmp_path / "own.osmcut")
    assert 0 < len(own.buildings) < len(middle.buildings) / 2
    assert len(own.ways.refs) == len(middle.ways.refs)
    nowhere, _ = read_region_input(tmp_path / "nowhere.osmcut")
    assert len(nowhere.buildings) == 0 and len(nowhere.ways.refs) == 0


def test_a_failed_read_leaves_no_region_files(tmp_path, keys):
    bad = tmp_path / "in" / "broken.osm.pbf"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all" * 50)
    work = tmp_path / "work"
    cuts = [RegionCut(work / "a.osmcut", BOXES["west"], area=None)]
    with pytest.raises(InputFileError, match="could not be read"):
        split_extract(bad, cuts, *keys, work_dir=work)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("lat", [-40.0, 0.0, 51.9, 60.1, 69.0])
def test_region_buffer_is_at_least_the_reach_on_every_side(lat):
    """The box a region's cut takes is grown by at least the reach, checked geodesically."""
    from pyproj import Geod

    from geoschikt.batch import buffered_bounds

    geod = Geod(ellps="WGS84")
    region = shapely.box(4.30, lat, 4.45, lat + 0.2)
    left, bottom, right, top = buffered_bounds(region, 3000.0)
    for lat_edge in (lat, lat + 0.2):  # both corners' parallels: the top one is the narrowest
        west = geod.inv(4.30, lat_edge, left, lat_edge)[2]
        east = geod.inv(4.45, lat_edge, right, lat_edge)[2]
        assert 3000 <= min(west, east) < 3000 * 1.03
    south = geod.inv(4.30, lat, 4.30, bottom)[2]
    north = geod.inv(4.30, lat + 0.2, 4.30, top)[2]
    assert 3000 <= min(south, north) < 3000 * 1.03


def test_leftovers_of_a_read_killed_mid_way_are_removed(tmp_path):
    """kill -9 during the read leaves partial region files and the node index under temporary
    names; the next run removes them and keeps finished inputs."""
    from geoschikt.batch import clean_leftovers

    work = tmp_path / ".work"
    work.mkdir()
    done = work / "GM0503-abc.osmcut"
    done.write_bytes(b"finished")
    for name in (".GM1926-def.osmcut.tmp-4242", ".nodes.tmp-4242"):
        (work / name).write_bytes(b"partial")
    clean_leftovers(tmp_path)
    assert sorted(p.name for p in work.iterdir()) == [done.name]
