"""The SYNTHETIC town generator: the file reads back, counts match its summary, and the whole
pipeline runs on it (small sizes only; the benchmarks use the large ones)."""

from __future__ import annotations

import numpy as np
import osmium
import pytest
import shapely

from geoschikt.acquire import read_osm
from geoschikt.features import feature_keys, feature_predicate, select_pois
from geoschikt.network import build_network, snap_to_edges
from geoschikt.pipeline import score_area
from geoschikt.testing.synthetic import write_synthetic_region


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth") / "synth.osm.pbf"
    summary = write_synthetic_region(path, 500, seed=3, n_regions=2)
    return path, summary


def test_file_reads_back_with_the_summarys_counts(town):
    path, summary = town
    counts = {"n": 0, "w": 0, "r": 0}
    untagged = 0
    for obj in osmium.FileProcessor(str(path)):
        counts[obj.type_str()] += 1
        if len(obj.tags) and obj.tags.get("source") != "geoschikt synthetic":
            untagged += 1
    assert untagged == 0  # every tagged object says it is synthetic
    assert counts == {"n": summary["nodes"], "w": summary["ways"], "r": summary["relations"]}
    header = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    try:
        assert "synthetic" in header.header().get("generator").lower()
    finally:
        header.close()


def test_buildings_facilities_and_regions(town, config):
    path, summary = town
    osm = read_osm(path, feature_keys(config), feature_predicate(config))
    assert summary["synthetic"] is True
    assert len(osm.buildings) == summary["buildings"] == 500
    assert set(osm.buildings["building"]) <= {"house", "apartments", "yes"}
    assert sorted(osm.boundaries["name"]) == ["Synthetica 1", "Synthetica 2"] == summary["regions"]
    pts = shapely.point_on_surface(osm.buildings.geometry.values)
    for name, geom in zip(osm.boundaries["name"], osm.boundaries.geometry, strict=True):
        inside = shapely.contains_xy(geom, shapely.get_x(pts), shapely.get_y(pts)).sum()
        assert inside == summary["region_buildings"][name] > 0
    pois = select_pois(osm.features, config.criteria, "EPSG:28992")
    per_category = pois["category"].value_counts().to_dict()
    f = summary["facilities"]
    assert per_category["transit"] == f["bus_stop"]
    assert per_category["supermarket"] == f["supermarket"]
    assert per_category["gp"] == f["doctors"]
    assert per_category["pharmacy"] == f["pharmacy"]
    assert per_category["reception"] == f["reception"]
    assert per_category.get("school", 0) <= f["school"]  # secondary schools are left out
    assert per_category.get("school", 0) + per_category.get("secondary_school", 0) == f["school"]
    assert per_category["childcare"] == f["childcare"]
    assert per_category["playground"] == f["playground"]
    assert per_category["green"] == f["park"]
    assert per_category["sport"] == f["sports_centre"]
    assert per_category["library_community"] == f["library"] + f["community_centre"]
    assert per_category["child_health"] == f["consultatiebureau"]
    assert per_category["language_school"] == f["language_school"] + f["college"]


def test_footprints_are_realistic(town):
    path, _ = town
    osm = read_osm(path, ["amenity"])
    m2 = osm.buildings.to_crs("EPSG:28992").area
    assert m2.min() >= 59.9 and m2.max() <= 400.1


def test_same_seed_same_file(town, tmp_path):
    path, summary = town
    again = tmp_path / "again.osm.pbf"
    write_synthetic_region(again, 500, seed=3, n_regions=2)
    assert again.read_bytes() == path.read_bytes()


def test_score_area_runs_on_it(town, config):
    path, summary = town
    homes = {"building_types": ["house", "apartments", "yes"], "min_floor_area_m2": 0}
    config = config.with_overrides({"candidates": homes})  # a SYNTHETIC town of dwellings
    result = score_area(path, config=config, area_name="Synthetica 2")
    assert 0 < len(result.candidates) < summary["buildings"]
    assert result.crs == "EPSG:28992"
    assert result.provenance["counts"]["networks"]["walk"]["candidates_off_network"] == 0
    # every criterion is assessed, reception included (a tagged shelter is in the data), except
    # open water: the SYNTHETIC town has none; a secondary school only when one of its few
    # schools drew the secondary tag (counted here with osmium, independently)
    import osmium

    secondary = sum(
        1 for o in osmium.FileProcessor(str(path)) if o.tags.get("school") == "secondary"
    )
    expected = {"water": "no open water in the data"}
    if not secondary:
        expected["secondary_school"] = "no secondary school in the data"
    assert result.provenance["criteria_not_assessed"] == expected
    assert result.candidates["dist_transit_m"].notna().any()


def test_xml_and_pbf_of_the_same_town_read_the_same(tmp_path, config):
    pbf, xml = tmp_path / "t.osm.pbf", tmp_path / "t.osm"
    write_synthetic_region(pbf, 300, seed=5)
    write_synthetic_region(xml, 300, seed=5)
    a = read_osm(pbf, feature_keys(config), feature_predicate(config))
    b = read_osm(xml, feature_keys(config), feature_predicate(config))
    assert np.array_equal(a.ways.refs, b.ways.refs) and np.array_equal(a.ways.lon, b.ways.lon)
    assert len(a.buildings) == len(b.buildings) == 300
    assert shapely.equals(a.buildings.geometry.values, b.buildings.geometry.values).all()
    assert a.timestamp == b.timestamp


def test_fast_snapping_agrees_with_the_strtree(town, config):
    """The KD-tree snapping index against GEOS's STRtree on every building of the town."""
    path, _ = town
    osm = read_osm(path, feature_keys(config), feature_predicate(config))
    net = build_network(osm.ways, "walk", "EPSG:28992", config.network)
    pts = shapely.point_on_surface(osm.buildings.to_crs("EPSG:28992").geometry.values)
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    fast = snap_to_edges(net, x, y, 500.0)
    (ip, ie), dist = net.tree.query_nearest(
        shapely.points(x, y), max_distance=500.0, return_distance=True, all_matches=False
    )
    assert np.array_equal(ip, np.arange(len(x)))
    np.testing.assert_allclose(fast.offset_m, dist, rtol=0, atol=1e-9)
    # an equally near edge may be chosen (a shared end node): then the point on it is the same
    same = fast.edge == ie
    assert same.mean() > 0.95
    seg = net.segments
    a = shapely.line_interpolate_point(seg[fast.edge], fast.t, normalized=True)
    b = shapely.line_interpolate_point(
        seg[ie],
        shapely.line_locate_point(seg[ie], shapely.points(x, y), normalized=True),
        normalized=True,
    )
    assert shapely.distance(a, b).max() < 1e-6
