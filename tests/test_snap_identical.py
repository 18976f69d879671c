"""The fast snapping past water and buildings (``geoschikt.obstacles``) gives exactly the same
snaps and distances as the plain first implementation (``tests/reference_snapping.py``: one
STRtree query and GEOS ``crosses`` per snapping line), on the real Delft extract and on a
SYNTHETIC town of 10,000 buildings; and its parts against brute force.

Exact means bit for bit: the same edge, the same fraction along it and the same snapping
distance for every candidate and feature, and the same network distances.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geoschikt.boxgrid import BoxGrid
from geoschikt.config import load_config
from geoschikt.features import area_frame, default_extent, select_pois
from geoschikt.geo import choose_metric_crs, to_crs
from geoschikt.network import build_network
from geoschikt.obstacles import Obstacles, snap_clear
from geoschikt.pipeline import load_osm
from geoschikt.routing import nearest_network
from geoschikt.testing.synthetic import write_synthetic_region

from . import reference_snapping

NETWORK_KEYS = ("transit", "school", "supermarket", "gp")


def _loaded(path):
    """(config, OSM data, metric CRS, footprints in it, area) of an OSM file, as the pipeline
    makes them for its extent."""
    cfg = load_config()
    osm = load_osm(path, cfg)
    area = area_frame(default_extent(osm), "extent", "extent")
    c = area.geometry.iat[0].centroid
    crs = choose_metric_crs(c.x, c.y, cfg.crs)
    return cfg, osm, crs, to_crs(osm.buildings, crs), area


def _inputs(path):
    """Network, candidate points, feature points per criterion and the obstacle frames, as
    the pipeline makes them."""
    cfg, osm, crs, footprints, _ = _loaded(path)
    geoms = footprints.geometry.values  # every building snaps, not only the candidates
    pts = shapely.point_on_surface(
        np.where(shapely.is_valid(geoms), geoms, shapely.make_valid(geoms))
    )
    pois = select_pois(osm.features, cfg.criteria, crs)
    net = build_network(osm.ways, "walk", crs, cfg.network)
    feats = {}
    for key in NETWORK_KEYS:
        sub = pois[pois["category"] == key].geometry.values
        feats[key] = (shapely.get_x(sub), shapely.get_y(sub), cfg.criterion(key).reach_m)
    return cfg, osm, crs, footprints, net, shapely.get_x(pts), shapely.get_y(pts), feats


def _same(a, b) -> None:
    for field in ("edge", "t", "offset_m"):
        x, y = getattr(a, field), getattr(b, field)
        differ = ~((x == y) | (np.isnan(x) & np.isnan(y)))
        assert not differ.any(), f"{field} differs for {int(differ.sum())} points"


def _check_identical(path) -> dict:
    cfg, osm, crs, footprints, net, cx, cy, feats = _inputs(path)
    max_snap = cfg.network.max_snap_m
    # the reference projects the footprints itself; the new code takes the shared ones
    ref_obs = reference_snapping.Obstacles.from_frames(osm.buildings, osm.water, crs)
    new_obs = Obstacles.from_frames(footprints, osm.water, crs)
    ref = reference_snapping.snap_clear(net, cx, cy, max_snap, ref_obs)
    new = snap_clear(net, cx, cy, max_snap, new_obs)
    _same(ref, new)
    # every point comes from its own footprint: told so, snapping skips asking it (the
    # pipeline's hint for OSM candidates) and must give the same snaps
    _same(ref, snap_clear(net, cx, cy, max_snap, new_obs, own=np.arange(len(cx))))
    plain = reference_snapping.snap_to_edges(net, cx, cy, max_snap)
    moved = int((plain.edge != new.edge).sum())
    for key, (fx, fy, reach) in feats.items():
        fref = reference_snapping.snap_clear(net, fx, fy, max_snap, ref_obs, buildings=False)
        fnew = snap_clear(net, fx, fy, max_snap, new_obs, buildings=False)
        _same(fref, fnew)
        d_ref = nearest_network(net, ref, fref, reach).distance
        d_new = nearest_network(net, new, fnew, reach).distance
        assert np.array_equal(d_ref, d_new, equal_nan=True), key
    return {"candidates": len(cx), "moved": moved}


def test_identical_on_delft(delft_pbf):
    seen = _check_identical(delft_pbf)
    assert seen["candidates"] > 1000 and seen["moved"] > 20  # snapping past obstacles happened


def test_identical_on_synthetic_10k_town(tmp_path):
    path = tmp_path / "synth-10k.osm.pbf"
    write_synthetic_region(path, 10_000, seed=42, n_regions=4)  # SYNTHETIC
    seen = _check_identical(path)
    assert seen["candidates"] > 9000 and seen["moved"] > 100


def test_box_grid_against_brute_force():
    rng = np.random.default_rng(7)
    # SYNTHETIC boxes: many small ones, a few large (other levels), some degenerate (points)
    lo = rng.uniform(0, 1000, (3000, 2))
    size = np.concatenate([rng.uniform(0, 30, 2900), rng.uniform(50, 900, 100)])
    size = np.where(rng.random(3000) < 0.02, 0.0, size)
    boxes = np.column_stack([lo, lo + size[:, None] * rng.uniform(0.2, 1, (3000, 2))])
    qlo = rng.uniform(-100, 1100, (2000, 2))
    queries = np.column_stack([qlo, qlo + rng.uniform(0, 80, (2000, 2))])
    queries[:50, 2:] = queries[:50, :2]  # points
    queries[50:60] = boxes[:10]  # identical boxes (touching everywhere)
    qi, bi = BoxGrid(boxes, 32.0).query(queries)
    got = set(zip(qi.tolist(), bi.tolist(), strict=True))
    assert len(got) == len(qi)  # each pair once
    overlap = (
        (queries[:, None, 0] <= boxes[None, :, 2])
        & (boxes[None, :, 0] <= queries[:, None, 2])
        & (queries[:, None, 1] <= boxes[None, :, 3])
        & (boxes[None, :, 1] <= queries[:, None, 3])
    )
    want = set(zip(*(a.tolist() for a in np.nonzero(overlap)), strict=True))
    assert got == want


def test_crossing_test_agrees_with_geos_on_awkward_lines():
    """Lines through vertices, along edges, touching corners, into holes and between the parts
    of a multipolygon: the numpy decision (or its GEOS fallback) equals GEOS ``crosses``."""
    import geopandas as gpd

    square = shapely.box(0, 0, 10, 10)
    holed = shapely.Polygon(
        [(20, 0), (40, 0), (40, 20), (20, 20)], [[(25, 5), (35, 5), (35, 15), (25, 15)]]
    )
    touching_hole = shapely.Polygon(
        [(50, 0), (70, 0), (70, 20), (50, 20)], [[(60, 0), (65, 10), (55, 10)]]
    )
    multi = shapely.MultiPolygon([shapely.box(80, 0, 90, 10), shapely.box(90, 10, 100, 20)])
    tri = shapely.Polygon([(0, 30), (10, 30), (5, 40)])
    geoms = [square, holed, touching_hole, multi, tri]
    frame = gpd.GeoDataFrame({"building": ["yes"] * len(geoms)}, geometry=geoms, crs="EPSG:28992")
    ref = reference_snapping.Obstacles.from_frames(frame, None, "EPSG:28992")
    new = Obstacles.from_frames(frame, None, "EPSG:28992")
    # every pair of points of a small lattice (with the polygons' vertices on it)
    xs, ys = np.meshgrid(np.arange(-5, 106, 5.0), np.arange(-5, 46, 5.0))
    pts = np.column_stack([xs.ravel(), ys.ravel()])
    a, b = np.triu_indices(len(pts), 1)
    keep = np.hypot(*(pts[a] - pts[b]).T) <= 40
    a, b = a[keep], b[keep]
    sx, sy, fx, fy = pts[a, 0], pts[a, 1], pts[b, 0], pts[b, 1]
    want = ref.blocked(sx, sy, fx, fy)
    got = new.blocked(sx, sy, fx, fy)
    assert want.any() and not want.all()
    assert np.array_equal(want, got)
    want = ref.blocked(fx, fy, sx, sy)  # and the other way round
    assert np.array_equal(want, new.blocked(fx, fy, sx, sy))


def test_point_distance_edge_order_equals_lexsort():
    """The two-sort ordering of the clear-edge search against ``np.lexsort``, with many exact
    ties (SYNTHETIC numbers) and with more points than a 16-bit radix sort holds."""
    from geoschikt.obstacles import _by_point_distance_edge

    rng = np.random.default_rng(3)
    for n_points, n in ((4000, 50_000), (100_000, 200_000)):
        pi = rng.integers(0, n_points, n)
        d = rng.integers(0, 200, n) / 4.0  # a quarter-metre lattice: many equal distances
        ei = rng.permutation(n)
        assert np.array_equal(_by_point_distance_edge(pi, d, ei), np.lexsort((ei, d, pi)))


@pytest.mark.parametrize("ks", [(2,), (1, 2)])
def test_snap_index_fallback_against_the_strtree(monkeypatch, ks):
    """With 1-3 samples per query the KD answer is rarely provably exact, so most points are
    asked again (``ks``: samples per stage) and then take the ball-query fallback: they must
    still get GEOS's nearest segment and distance (SYNTHETIC segments: a street grid with
    diagonals; points near and far, on nodes)."""
    import geoschikt.network as network

    rng = np.random.default_rng(5)
    g = np.arange(0, 501, 50.0)
    xy = [[(x, y), (x + 50, y)] for x in g[:-1] for y in g]
    xy += [[(x, y), (x, y + 50)] for x in g for y in g[:-1]]
    xy += [[(x, y), (x + 50, y + 37)] for x in g[:-1:3] for y in g[:-1:2]]
    xy = np.array(xy, dtype=float)
    index = network.SnapIndex.build(xy)
    px = np.concatenate([rng.uniform(-100, 600, 3000), g])
    py = np.concatenate([rng.uniform(-100, 600, 3000), g])
    monkeypatch.setattr(network, "_SNAP_KS", ks)
    slow = []
    fallback = network.SnapIndex._nearest_of_all

    def counted(self, x, y, within):
        slow.append(len(x))
        return fallback(self, x, y, within)

    monkeypatch.setattr(network.SnapIndex, "_nearest_of_all", counted)
    got = index.snap(px, py, 80.0)
    assert sum(slow) > len(px) / 3  # the fallback is what is tested
    segs = shapely.linestrings(xy)
    (ip, ie), dist = shapely.STRtree(segs).query_nearest(
        shapely.points(px, py), max_distance=80.0, return_distance=True, all_matches=False
    )
    want = np.full(len(px), np.nan)
    want[ip] = dist
    np.testing.assert_allclose(got.offset_m, want, rtol=0, atol=1e-9)
    assert np.array_equal(got.edge >= 0, np.isfinite(want))
    on = got.edge >= 0
    # the chosen segment is that near (an equally near one may be chosen at a shared node)
    mine = shapely.distance(segs[got.edge[on]], shapely.points(px[on], py[on]))
    np.testing.assert_allclose(mine, want[on], rtol=0, atol=1e-9)
    foot = shapely.line_interpolate_point(segs[got.edge[on]], got.t[on], normalized=True)
    np.testing.assert_allclose(
        shapely.distance(foot, shapely.points(px[on], py[on])), want[on], atol=1e-9
    )


def test_own_footprints_match_the_candidates_buildings(delft_pbf):
    """The pipeline's hint (``_own_footprints``): each Delft candidate is matched to its own
    OSM footprint by type and id, and that footprint holds the candidate's point."""
    from geoschikt.features import select_candidates
    from geoschikt.pipeline import _own_footprints

    cfg, osm, crs, footprints, area = _loaded(delft_pbf)
    cands = select_candidates(osm.buildings, area, cfg.candidates, crs, footprints=footprints)
    own = _own_footprints(footprints, cands)
    assert own is not None and (own >= 0).all()
    assert (footprints["osm_id"].to_numpy()[own] == cands["osm_id"].to_numpy()).all()
    assert (footprints["osm_type"].to_numpy()[own] == cands["osm_type"].to_numpy()).all()
    pts = shapely.point_on_surface(cands.geometry.values)
    geoms = footprints.geometry.values[own]
    valid = shapely.is_valid(geoms)
    assert valid.mean() > 0.99
    assert shapely.contains(geoms[valid], pts[valid]).all()
    # user candidates (no footprints) and ids that are not unique get no hint
    assert _own_footprints(None, cands) is None
    assert _own_footprints(footprints.iloc[[0, 0]], cands) is None
    # ids are matched as they are, not through arithmetic: a huge id (a crafted file) is not
    # taken for another (way 2**62 and way 0 collide in 64-bit id * 4 + type)
    odd = footprints.iloc[:3][["osm_type", "osm_id", "geometry"]].copy()
    odd["osm_id"] = [2**62, 0, 7]
    odd["osm_type"] = ["way", "way", "node"]
    asked = odd.iloc[[2, 1, 0]].copy()
    asked.loc[asked.index[0], "osm_type"] = "way"  # way 7 is not there
    assert _own_footprints(odd, asked).tolist() == [-1, 1, 0]
