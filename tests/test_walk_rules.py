"""Dutch walking rules (issue 11): destination-only ways, squares, barriers, ferries, snapping
that does not cross water or buildings, cycling rules.

Each rule on a small hand-made SYNTHETIC network, checked against path lengths summed by hand
with pyproj's geodesic (independent of the package), and on named Delft cases (real data).
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from benchmarks.walk_reference import EVERY_BUILDING  # houses too: the former default set
from geoschikt.acquire import BARRIER_TAGS, NETWORK_TAGS, NetworkWays
from geoschikt.config import load_config
from geoschikt.network import (
    DESTINATION_ONLY,
    NO_ACCESS,
    PUBLIC,
    build_network,
    snap_to_edges,
    way_access,
)
from geoschikt.obstacles import Obstacles, snap_clear
from geoschikt.routing import nearest_network

CRS = "EPSG:28992"
GEOD = pyproj.Geod(ellps="WGS84")
TO_M = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
LON0, LAT0 = 4.37, 52.0
DX, DY = 100 / 68_600, 100 / 111_250  # about 100 m in lon and lat near Delft


def _tags(**kw) -> dict:
    return {k: kw.get(k) for k in NETWORK_TAGS}


def test_way_access_walk_and_bike():
    rows = [
        _tags(highway="footway"),
        _tags(highway="footway", bicycle="yes"),
        _tags(highway="cycleway"),
        _tags(highway="motorway"),
        _tags(highway="residential", foot="no"),
        _tags(highway="service", access="private"),
        _tags(highway="service", access="private", foot="yes"),
        _tags(highway="pedestrian", area="yes"),
        _tags(highway="service", area="yes"),
        _tags(highway="steps"),
        _tags(route="ferry"),
        _tags(route="ferry", foot="no", bicycle="yes"),
        _tags(highway="residential", access="no", foot="yes"),
        _tags(highway="residential", foot="destination"),
        _tags(highway="service", service="private"),
        _tags(highway="residential", access="customers"),
        _tags(highway="residential", access="delivery"),
    ]
    tags = pd.DataFrame(rows, columns=list(NETWORK_TAGS), dtype=object)
    N, P, D = NO_ACCESS, PUBLIC, DESTINATION_ONLY
    assert way_access(tags, "walk").tolist() == [P, P, P, N, N, D, P, P, N, P, P, N, P, D, D, D, D]
    assert way_access(tags, "bike").tolist() == [N, P, P, N, P, D, D, N, N, N, P, P, N, P, D, D, D]


# ------------------------------------------------------------------------------------------
# SYNTHETIC hand-made networks


def _ways(ways: list[tuple[list[int], dict]], nodes: dict[int, tuple[float, float]], barriers=()):
    """NetworkWays of (node ids, tags) ways; ``nodes`` maps id -> (lon, lat)."""
    refs = np.array([r for w, _ in ways for r in w], dtype=np.int64)
    return NetworkWays(
        refs=refs,
        lon=np.array([nodes[r][0] for r in refs]),
        lat=np.array([nodes[r][1] for r in refs]),
        way=np.repeat(np.arange(len(ways)), [len(w) for w, _ in ways]),
        tags=pd.DataFrame([t for _, t in ways], columns=list(NETWORK_TAGS), dtype=object),
        barriers=pd.DataFrame(list(barriers), columns=["ref", *BARRIER_TAGS]),
    )


def _rules():
    return dataclasses.replace(load_config().network, min_component_nodes=2)


def _grid() -> dict[int, tuple[float, float]]:
    """SYNTHETIC nodes: south row 1-2-3, north row 5-6-4, 100 m apart."""
    return {
        1: (LON0, LAT0),
        2: (LON0 + DX, LAT0),
        3: (LON0 + 2 * DX, LAT0),
        5: (LON0, LAT0 + DY),
        6: (LON0 + DX, LAT0 + DY),
        4: (LON0 + 2 * DX, LAT0 + DY),
        7: (LON0, LAT0 + DY / 2),  # on the west connector
    }


def _geo(nodes, *ids) -> float:
    """Geodesic length of the path through node ``ids`` (by hand, with pyproj)."""
    lon = [nodes[i][0] for i in ids]
    lat = [nodes[i][1] for i in ids]
    return float(GEOD.line_length(lon, lat))


def _dist(net, nodes, point_lonlat, feature_lonlat, reach=5000.0, obstacles=None):
    px, py = TO_M.transform(*point_lonlat)
    fx, fy = TO_M.transform(*feature_lonlat)
    cand = snap_clear(net, np.array([px]), np.array([py]), 500.0, obstacles)
    feat = snap_clear(net, np.array([fx]), np.array([fy]), 500.0, obstacles, buildings=False)
    return float(nearest_network(net, cand, feat, reach).distance[0])


def _street_grid(private_middle: dict, west_gate=()):
    nodes = _grid()
    res = _tags(highway="residential")
    ways = [
        ([1, 2, 3], res),
        ([5, 6, 4], res),
        ([1, 7, 5], res),
        ([3, 4], res),
        ([2, 6], private_middle),
    ]
    return nodes, _ways(ways, nodes, west_gate)


def test_synthetic_destination_only_way_is_no_short_cut():
    nodes, ways = _street_grid(_tags(highway="service", access="private"))
    net = build_network(ways, "walk", CRS, _rules())
    # from the south street near node 2 to the north street near node 6: not through 2-6 ...
    nodes[8] = (LON0 + 1.25 * DX, LAT0)
    nodes[9] = (LON0 + 1.25 * DX, LAT0 + DY)
    d = _dist(net, nodes, nodes[8], nodes[9])
    assert d == pytest.approx(_geo(nodes, 8, 3, 4, 9), abs=0.5)
    assert d > 1.5 * _geo(nodes, 8, 2, 6, 9)
    # ... but a building on the private road walks along it, at either end of the walk
    mid = ((nodes[2][0] + nodes[6][0]) / 2 + 1e-5, (nodes[2][1] + nodes[6][1]) / 2)
    off = TO_M.transform(*mid)[0] - TO_M.transform(*nodes[2])[0]
    d_mid = _dist(net, nodes, mid, nodes[6])
    assert d_mid == pytest.approx(_geo(nodes, 2, 6) / 2 + off, abs=1.5)
    assert _dist(net, nodes, nodes[6], mid) == pytest.approx(d_mid, abs=0.5)
    # the same network with a public middle road takes the short cut
    nodes, ways = _street_grid(_tags(highway="service"))
    nodes[8], nodes[9] = (LON0 + 1.25 * DX, LAT0), (LON0 + 1.25 * DX, LAT0 + DY)
    net = build_network(ways, "walk", CRS, _rules())
    assert _dist(net, nodes, nodes[8], nodes[9]) == pytest.approx(_geo(nodes, 8, 2, 6, 9), abs=0.5)


def test_synthetic_locked_gate_blocks_ordinary_gate_does_not():
    cases = [
        ((7, "gate", "private", None, None), True),
        ((7, "gate", "no", None, None), True),
        ((7, "gate", "private", "yes", None), False),
        ((7, "gate", "yes", None, None), False),
        ((7, "bollard", None, None, "no"), False),  # bikes only
    ]
    for barrier, blocks in cases:
        nodes, ways = _street_grid(_tags(highway="service", access="no"), [barrier])
        net = build_network(ways, "walk", CRS, _rules())
        d = _dist(net, nodes, nodes[1], nodes[5])
        expected = _geo(nodes, 1, 2, 3, 4, 6, 5) if blocks else _geo(nodes, 1, 7, 5)
        assert d == pytest.approx(expected, abs=0.05), barrier
    nodes, ways = _street_grid(_tags(highway="service", access="no"), [cases[-1][0]])
    bike = build_network(ways, "bike", CRS, _rules())
    assert _dist(bike, nodes, nodes[1], nodes[5]) == pytest.approx(
        _geo(nodes, 1, 2, 3, 4, 6, 5), abs=0.05
    )


def test_synthetic_square_is_walked_across():
    # a 100 m square (pedestrian area) with streets arriving at two opposite corners
    nodes = {
        1: (LON0, LAT0),
        2: (LON0 + DX, LAT0),
        3: (LON0 + DX, LAT0 + DY),
        4: (LON0, LAT0 + DY),
        10: (LON0 - DX, LAT0),
        11: (LON0 + 2 * DX, LAT0 + DY),
    }
    ways = [
        ([1, 2, 3, 4, 1], _tags(highway="pedestrian", area="yes")),
        ([10, 1], _tags(highway="residential")),
        ([3, 11], _tags(highway="residential")),
    ]
    net = build_network(_ways(ways, nodes), "walk", CRS, _rules())
    d = _dist(net, nodes, nodes[10], nodes[11])
    assert d == pytest.approx(_geo(nodes, 10, 1) + _geo(nodes, 1, 3) + _geo(nodes, 3, 11), abs=0.1)
    # an L-shaped square: the straight line between the far corners leaves it, so no edge
    nodes[5] = (LON0 + DX / 2, LAT0 + DY / 2)
    ways[0] = ([1, 2, 5, 3, 4, 1], _tags(highway="pedestrian", area="yes"))
    ways[0] = ([1, 2, 5, 4, 1], _tags(highway="pedestrian", area="yes"))
    ways[2] = ([2, 11], _tags(highway="residential"))
    ways.append(([4, 12], _tags(highway="residential")))
    nodes[12] = (LON0, LAT0 + 2 * DY)
    net = build_network(_ways(ways, nodes), "walk", CRS, _rules())
    d = _dist(net, nodes, nodes[11], nodes[12])
    # 2 -> 4 crosses the notch at 5 (outside the concave square): around via 5 or 1
    assert d == pytest.approx(
        _geo(nodes, 11, 2) + min(_geo(nodes, 2, 5, 4), _geo(nodes, 2, 1, 4)) + _geo(nodes, 4, 12),
        abs=0.1,
    )


def test_synthetic_ferry_joins_the_network():
    nodes = {1: (LON0, LAT0), 2: (LON0 + DX, LAT0), 3: (LON0 + 5 * DX, LAT0)}
    nodes[4] = (LON0 + 6 * DX, LAT0)
    ways = [
        ([1, 2], _tags(highway="residential")),
        ([2, 3], _tags(route="ferry", foot="yes", bicycle="no")),
        ([3, 4], _tags(highway="residential")),
    ]
    walk = build_network(_ways(ways, nodes), "walk", CRS, _rules())
    assert _dist(walk, nodes, nodes[1], nodes[4]) == pytest.approx(
        _geo(nodes, 1, 2, 3, 4), abs=0.05
    )
    bike = build_network(_ways(ways, nodes), "bike", CRS, _rules())
    assert np.isinf(_dist(bike, nodes, nodes[1], nodes[4]))


def test_synthetic_snapping_does_not_cross_a_canal():
    # streets at y = 0 and y = 100 m; a canal from y = 15 to 40 m; the point at y = 45 m is
    # nearer the south street (across the canal) than the north one
    nodes = {1: (LON0, LAT0), 2: (LON0 + 2 * DX, LAT0)}
    nodes |= {3: (LON0, LAT0 + DY * 1.01), 4: (LON0 + 2 * DX, LAT0 + DY * 1.01)}
    ways = [([1, 2], _tags(highway="residential")), ([3, 4], _tags(highway="residential"))]
    net = build_network(_ways(ways, nodes), "walk", CRS, _rules())
    x0, y0 = TO_M.transform(LON0, LAT0)
    px, py = x0 + 100, y0 + 45
    canal = shapely.box(x0 - 50, y0 + 15, x0 + 250, y0 + 40)
    water = gpd.GeoDataFrame({"osm_id": [1]}, geometry=[canal], crs=CRS).to_crs("EPSG:4326")
    obstacles = Obstacles.from_frames(None, water, CRS)
    plain = snap_to_edges(net, np.array([px]), np.array([py]), 500.0)
    clear = snap_clear(net, np.array([px]), np.array([py]), 500.0, obstacles)
    north_y = TO_M.transform(LON0 + DX, LAT0 + DY * 1.01)[1]
    assert plain.offset_m[0] < 47  # the south street, across the canal
    assert clear.offset_m[0] == pytest.approx(north_y - py, abs=0.5)  # its own side, kept
    assert clear.edge[0] != plain.edge[0]
    # a building in the way blocks too; the point's own building does not
    other = shapely.box(x0 + 90, y0 + 5, x0 + 110, y0 + 15)
    own = shapely.box(x0 + 95, y0 + 42, x0 + 105, y0 + 50)
    blds = gpd.GeoDataFrame(
        {"building": ["house", "house"]}, geometry=[other, own], crs=CRS
    ).to_crs("EPSG:4326")
    only_blds = Obstacles.from_frames(blds, None, CRS)
    assert (
        snap_clear(net, np.array([px]), np.array([py]), 500.0, only_blds).edge[0] != (plain.edge[0])
    )
    own_only = Obstacles.from_frames(blds.iloc[[1]], None, CRS)
    assert (
        snap_clear(net, np.array([px]), np.array([py]), 500.0, own_only).edge[0] == (plain.edge[0])
    )


def test_synthetic_own_footprint_never_blocks_its_point():
    # streets at y = 0 and y = 100 m; the point (y = 30 m) lies in the courtyard of the
    # U-shaped footprint it stands for (as a point placed off a sliver might), so not inside
    # it, and the footprint's south wing lies across its line to the south street
    nodes = {1: (LON0, LAT0), 2: (LON0 + 2 * DX, LAT0)}
    nodes |= {3: (LON0, LAT0 + DY), 4: (LON0 + 2 * DX, LAT0 + DY)}
    ways = [([1, 2], _tags(highway="residential")), ([3, 4], _tags(highway="residential"))]
    net = build_network(_ways(ways, nodes), "walk", CRS, _rules())
    x0, y0 = TO_M.transform(LON0, LAT0)
    px, py = np.array([x0 + 100]), np.array([y0 + 30])
    own = shapely.Polygon(
        [
            (x0 + 80, y0 + 10),
            (x0 + 120, y0 + 10),
            (x0 + 120, y0 + 50),
            (x0 + 110, y0 + 50),
            (x0 + 110, y0 + 20),
            (x0 + 90, y0 + 20),
            (x0 + 90, y0 + 50),
            (x0 + 80, y0 + 50),
        ]
    )
    roof = shapely.box(x0 + 60, y0 + 60, x0 + 70, y0 + 70)
    blds = gpd.GeoDataFrame({"building": ["roof", "house"]}, geometry=[roof, own], crs=CRS).to_crs(
        "EPSG:4326"
    )
    obstacles = Obstacles.from_frames(blds, None, CRS)
    assert obstacles.own_buildings(np.array([1, 0, -1, 7])).tolist() == [0, -1, -1, -1]
    plain = snap_to_edges(net, px, py, 500.0)
    assert plain.offset_m[0] == pytest.approx(30, abs=2)
    # without the hint the footprint is just another building in the way: the point goes
    # to the north street, past the open side of the U
    assert obstacles.blocked(px, py, *_foot(net, plain), buildings=True)[0]
    unhinted = snap_clear(net, px, py, 500.0, obstacles)
    assert unhinted.edge[0] != plain.edge[0]
    assert unhinted.offset_m[0] == pytest.approx(70, abs=2)
    # told which footprint is its own (row 1 of the frame, obstacle 0), it is never blocked by
    # it and keeps the south street
    crossed, _ = obstacles.crossings(px, py, *_foot(net, plain), own=np.array([0]))
    assert len(crossed) == 0
    hinted = snap_clear(net, px, py, 500.0, obstacles, own=np.array([1]))
    assert hinted.edge[0] == plain.edge[0]
    assert hinted.offset_m[0] == plain.offset_m[0]


def _foot(net, snapped):
    xy = net.segment_xy[snapped.edge]
    t = snapped.t
    return (
        xy[:, 0, 0] + t * (xy[:, 1, 0] - xy[:, 0, 0]),
        xy[:, 0, 1] + t * (xy[:, 1, 1] - xy[:, 0, 1]),
    )


def test_synthetic_bikes_keep_off_footways_unless_signed():
    nodes, _ = _street_grid(_tags())
    res = _tags(highway="residential")
    ways = [([1, 2, 3], res), ([5, 6, 4], res), ([1, 7, 5], res), ([3, 4], res)]
    ways.append(([2, 6], _tags(highway="footway")))
    bike = build_network(_ways(ways, nodes), "bike", CRS, _rules())
    assert _dist(bike, nodes, nodes[2], nodes[6]) == pytest.approx(
        min(_geo(nodes, 2, 1, 7, 5, 6), _geo(nodes, 2, 3, 4, 6)), abs=0.05
    )
    ways[-1] = ([2, 6], _tags(highway="footway", bicycle="yes"))
    bike = build_network(_ways(ways, nodes), "bike", CRS, _rules())
    assert _dist(bike, nodes, nodes[2], nodes[6]) == pytest.approx(_geo(nodes, 2, 6), abs=0.05)


# ------------------------------------------------------------------------------------------
# named Delft cases (real data); the numbers in brackets are Valhalla's pedestrian distances


@pytest.fixture(scope="module")
def delft_every(delft_every_result):
    return delft_every_result  # score_area with EVERY_BUILDING, shared (tests/conftest.py)


def _cand(result, cid):
    return result.candidates.set_index("candidate_id").loc[cid]


def test_delft_campus_building_on_a_private_road(delft_every):
    # a building on the TU campus's Van den Broekweg (access=private): it walks out along its
    # own road (Valhalla 334 m); with private roads dropped it got 572 m
    c = _cand(delft_every, "way/615886521")
    assert 300 < c["dist_transit_m"] < 370
    assert c["snap_walk_m"] < 40


def test_delft_canal_snap_stays_on_its_own_side(delft_every):
    # the nearest edge (28.6 m) lies across a canal; the building snaps to its own bank (52.5 m)
    c = _cand(delft_every, "way/253724635")
    assert c["snap_walk_m"] == pytest.approx(52.5, abs=1.0)


def test_delft_building_on_a_square_walks_across(delft_every):
    # a building on a pedestrian square: 67 m to the supermarket across it (around it: 140 m)
    c = _cand(delft_every, "way/478272029")
    assert c["dist_supermarket_m"] < 80


@pytest.mark.slow  # a second every-building Delft run to compare against
def test_delft_locked_gate(delft_every, delft_pbf, monkeypatch):
    # access=private gates on the way out: 89 m longer to the bus stop than through them
    import geoschikt.network as network_module
    from geoschikt.pipeline import score_area

    c = _cand(delft_every, "way/974424027")
    monkeypatch.setattr(network_module, "blocked_nodes", lambda b, m: np.zeros(0, np.int64))
    o = _cand(score_area(delft_pbf, config=load_config(overrides=EVERY_BUILDING)), "way/974424027")
    assert c["dist_transit_m"] - o["dist_transit_m"] == pytest.approx(89, abs=3)
