"""Residential surroundings by walking distance: the buildings within ``within_m`` on foot.

- A small hand-made network with answers worked out by hand (the same edge, past a node, a
  canal-like detour, an off-network building, a destination-only street).
- A SYNTHETIC random grid and the real Delft walk network against networkx: every sampled
  candidate's count of (residential) buildings within the bound equals a Dijkstra in networkx
  over the same network with the candidates and buildings as leaves on their snapped edges
  (tests/reference_network.py's graph helpers, destination-only ways first/last only).
- The straight-line variant (``mode = "straight"``) against osmnx's reading of the buildings
  and brute-force distances.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pyproj
import pytest
import shapely

from geoschikt.config import load_config
from geoschikt.criteria import building_points, residential_share, share_of
from geoschikt.network import Network, Snapped, build_network, snap_to_edges
from geoschikt.obstacles import Obstacles, snap_clear
from geoschikt.reach import count_reached

from .reference_network import _insert_snaps, _phase_graph


def _network(x, y, u, v, dest=None) -> Network:
    x, y = np.asarray(x, float), np.asarray(y, float)
    u, v = np.asarray(u), np.asarray(v)
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    return Network("walk", "EPSG:28992", x, y, u, v, length, dest)


def _hand_network(dest_only_branch: bool) -> Network:
    #   6 (100,130)
    #   |
    #   3 (100,100)
    #   |
    #   0 ---- 1 ---- 2        y = 0, x = 0, 100, 200
    #                /
    #   4 ---- 5 ---          y = -45: 5 joins 2 (a bridge far off), not 0
    x = [0, 100, 200, 100, 0, 100, 100]
    y = [0, 0, 0, 100, -45, -45, 130]
    u = [0, 1, 1, 4, 2, 3]
    v = [1, 2, 3, 5, 5, 6]
    dest = np.array([False, False, True, False, False, False]) if dest_only_branch else None
    return _network(x, y, u, v, dest)


CAND = (np.array([50.0]), np.array([10.0]))  # on edge 0-1, halfway, 10 m off
# buildings and their walking distance from the candidate (60 m to node 1):
BX = np.array([60.0, 150.0, 105.0, 195.0, 300.0, 50.0, 105.0])
BY = np.array([-5.0, 5.0, 80.0, 3.0, 0.0, -50.0, 120.0])
# b0 same edge: 10 + 5 + 10 = 25; b1: 60 + 50 + 5 = 115; b2: 60 + 80 + 5 = 145;
# b3: 60 + 95 + 3 = 158; b4: 100 m from the network (off it with max_snap 50);
# b5: 60 m away in a straight line, but 60 + 100 + 109.7 + 50 + 5 = 324.7 m walking;
# b6: 60 + 100 + 20 + 5 = 185 (through 1-3-6).
HOME = np.array([False, True, False, True, True, True, True])


@pytest.mark.parametrize(
    ("bound", "dest", "every", "homes"),
    [
        (20, False, 0, 0),
        (30, False, 1, 0),
        (120, False, 2, 1),
        (150, False, 3, 1),
        (160, False, 4, 2),
        (200, False, 5, 3),
        (200, True, 4, 2),  # b6 only through the destination-only 1-3 and back onto 3-6: no
        (330, False, 6, 4),
    ],
)
def test_hand_made_network(bound, dest, every, homes):
    net = _hand_network(dest)
    cand = snap_to_edges(net, *CAND, 50.0)
    bsnap = snap_to_edges(net, BX, BY, 50.0)
    assert cand.edge[0] == 0 and bsnap.edge[4] == -1
    got = count_reached(net, cand, bsnap, float(bound), [np.ones(len(BX), bool), HOME])
    assert (got[0][0], got[1][0]) == (every, homes)


def test_off_network_candidate_counts_nothing():
    net = _hand_network(False)
    cand = snap_to_edges(net, np.array([50.0, 500.0]), np.array([10.0, 500.0]), 50.0)
    bsnap = snap_to_edges(net, BX, BY, 50.0)
    (every,) = count_reached(net, cand, bsnap, 200.0, [np.ones(len(BX), bool)])
    assert every.tolist() == [5, 0]
    assert np.isnan(share_of(np.array([0]), np.array([0])))[0]


def _nx_counts(net: Network, cand: Snapped, bsnap: Snapped, sample, groups, bound: float):
    """(counts within bound - 5 cm, counts within bound + 5 cm) per sampled candidate and group,
    by networkx single-source Dijkstra on the phase graph with every point as a leaf."""
    g = nx.Graph()
    g.add_nodes_from(range(net.n_nodes))
    local = np.zeros(len(net.u), bool) if net.destination_only is None else net.destination_only
    for a, b, w, d in zip(net.u, net.v, net.length, local, strict=True):
        g.add_edge(int(a), int(b), length=float(w), kind="local" if d else "public")
    edges = [(int(a), int(b)) for a, b in zip(net.u, net.v, strict=True)]
    snaps = [
        (("c", int(i)), int(cand.edge[i]), float(cand.offset_m[i]), float(cand.t[i]))
        for i in sample
    ]
    snaps += [
        (("b", j), int(bsnap.edge[j]), float(bsnap.offset_m[j]), float(bsnap.t[j]))
        for j in np.flatnonzero(bsnap.on_network).tolist()
    ]
    d = _phase_graph(_insert_snaps(g, edges, snaps))
    lo = np.zeros((len(groups), len(sample)), dtype=np.int64)
    hi = lo.copy()
    for k, i in enumerate(sample):
        reached = nx.single_source_dijkstra_path_length(
            d, (("c", int(i)), 0), cutoff=bound + 0.05, weight="length"
        )
        best: dict[int, float] = {}
        for (label, _), dist in reached.items():
            if isinstance(label, tuple) and label[0] == "b":
                best[label[1]] = min(best.get(label[1], np.inf), dist)
        for gi, mask in enumerate(groups):
            lo[gi, k] = sum(1 for j, dist in best.items() if mask[j] and dist <= bound - 0.05)
            hi[gi, k] = sum(1 for j, dist in best.items() if mask[j])
    return lo, hi


def test_random_grid_against_networkx(monkeypatch):
    """SYNTHETIC: a 12 x 12 grid with missing and destination-only streets."""
    rng = np.random.default_rng(1)
    n = 12
    xs, ys = np.meshgrid(np.arange(n) * 37.0, np.arange(n) * 37.0)
    idx = np.arange(n * n).reshape(n, n)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    keep = rng.random(len(u)) > 0.15
    net = _network(xs.ravel(), ys.ravel(), u[keep], v[keep], rng.random(keep.sum()) < 0.1)
    cand = snap_to_edges(net, rng.uniform(0, 400, 120), rng.uniform(0, 400, 120), 30.0)
    bsnap = snap_to_edges(net, rng.uniform(0, 400, 1500), rng.uniform(0, 400, 1500), 30.0)
    home = rng.random(1500) < 0.6
    groups = [np.ones(1500, bool), home]
    got = count_reached(net, cand, bsnap, 150.0, groups)
    sample = np.flatnonzero(cand.on_network)
    lo, hi = _nx_counts(net, cand, bsnap, sample, groups, 150.0)
    for gi in range(2):
        assert ((lo[gi] <= got[gi][sample]) & (got[gi][sample] <= hi[gi])).all()
    assert (got[0][~cand.on_network] == 0).all()
    monkeypatch.setattr("geoschikt.reach._BLOCK_ROWS", 500)  # many small blocks: the same
    again = count_reached(net, cand, bsnap, 150.0, groups)
    assert all((a == b).all() for a, b in zip(got, again, strict=True))
    assert got[0][sample].mean() > 100 and (got[1][sample] < got[0][sample]).all()  # not vacuous


@pytest.fixture(scope="module")
def delft_walk(delft_pbf, delft_result):
    """Candidates (as written, lon/lat) and the buildings snapped onto the Delft walk network
    the way the pipeline snaps them (candidates past water and other buildings, buildings past
    water), with geoschikt's counts within 200 m."""
    from geoschikt.pipeline import load_osm

    res = delft_result
    cfg = res.config
    crit = cfg.criterion("residential")
    osm = load_osm(delft_pbf, cfg)
    net = build_network(osm.ways, "walk", res.crs, cfg.network)
    obstacles = Obstacles.from_frames(osm.buildings, osm.water, res.crs)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", res.crs, always_xy=True)
    cx, cy = to_m.transform(res.candidates["lon"].to_numpy(), res.candidates["lat"].to_numpy())
    max_snap = cfg.network.max_snap_m
    cand = snap_clear(net, np.asarray(cx), np.asarray(cy), max_snap, obstacles)
    bx, by, kind = building_points(osm.buildings, res.crs)
    bsnap = snap_clear(net, bx, by, max_snap, obstacles, buildings=False)
    groups = [np.ones(len(bx), bool), np.isin(kind, crit.residential)]
    got = count_reached(net, cand, bsnap, crit.within_m, groups)
    return net, cand, bsnap, groups, got, crit


def test_delft_counts_match_networkx(delft_walk):
    net, cand, bsnap, groups, got, crit = delft_walk
    assert crit.mode == "walk" and crit.within_m == 200
    rng = np.random.default_rng(14)
    sample = rng.choice(np.flatnonzero(cand.on_network), 40, replace=False)
    lo, hi = _nx_counts(net, cand, bsnap, sample, groups, crit.within_m)
    for gi in range(2):
        ok = (lo[gi] <= got[gi][sample]) & (got[gi][sample] <= hi[gi])
        assert ok.all(), (sample[~ok], got[gi][sample][~ok], lo[gi][~ok], hi[gi][~ok])
    assert (lo == hi).mean() > 0.8  # few candidates have a building within 5 cm of 200 m
    assert got[0][sample].max() > 50 and (got[1][sample] < got[0][sample]).any()


def test_delft_pipeline_share_is_the_walking_share(delft_walk, delft_result):
    """value_residential of the run is homes / buildings within 200 m walking."""
    _, cand, _, _, (every, homes), _ = delft_walk
    got = delft_result.candidates["value_residential"].to_numpy(dtype=float)
    expect = np.round(share_of(homes, every), 2)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expect))
    # the candidate point is written rounded (~1 cm): a building right at 200 m may flip
    close = np.abs(got - expect) <= 0.011
    assert close[np.isfinite(got)].mean() > 0.99
    assert np.nanstd(got) > 0.05


def test_straight_share_against_osmnx_buildings(delft_pbf, delft_result, delft_xml):
    """mode = "straight": share of buildings (>= 25 m2) within 200 m in a straight line that
    are homes, against osmnx's own reading of the buildings and brute-force distances."""
    import osmnx as ox

    from geoschikt.pipeline import load_osm

    res = delft_result
    crit = res.config.criterion("residential")
    b = ox.features_from_xml(str(delft_xml), tags={"building": True})
    b = b[b.geometry.geom_type.isin(["Polygon", "MultiPolygon"])].to_crs(res.crs)
    b = b[b.geometry.area >= 25]
    to_m = pyproj.Transformer.from_crs("EPSG:4326", res.crs, always_xy=True)
    centre = shapely.centroid(b.to_crs("EPSG:4326").geometry.values)  # taken in lon/lat
    bx, by = to_m.transform(shapely.get_x(centre), shapely.get_y(centre))
    home = b["building"].isin(crit.residential).to_numpy()
    px, py = to_m.transform(res.candidates["lon"].to_numpy(), res.candidates["lat"].to_numpy())
    px, py = np.asarray(px), np.asarray(py)
    gx, gy, kind = building_points(load_osm(delft_pbf, res.config).buildings, res.crs)
    got = residential_share(px, py, gx, gy, np.isin(kind, crit.residential), crit.within_m)
    expect = np.full(len(px), np.nan)
    for i in range(len(px)):
        near = np.hypot(bx - px[i], by - py[i]) <= crit.within_m
        expect[i] = home[near].sum() / near.sum()
    close = np.abs(got - expect) <= 1e-9
    assert close.mean() > 0.99, np.flatnonzero(~close)[:10]
    assert np.nanstd(got) > 0.05


def test_straight_mode_is_configurable():
    cfg = load_config(overrides={"criteria": {"residential": {"mode": "straight"}}})
    assert cfg.criterion("residential").mode == "straight"
    assert load_config().criterion("residential").mode == "walk"


@pytest.mark.parametrize("mode", ["bike", "walk_or_bike"])
def test_buildings_are_counted_walking_or_straight_only(mode):
    from geoschikt.errors import ConfigError

    with pytest.raises(ConfigError, match="residential.mode = .*walk.* or .*straight"):
        load_config(overrides={"criteria": {"residential": {"mode": mode}}})
