"""Candidates fit for reception: addresses, building types, floor area, places, COA size class.

Checked against independent computations on the real Delft extract: osmnx's own XML reader
(a different parser, of the .bz2 file) with a plain shapely loop for point-in-polygon, and
geodesic footprint areas from pyproj.Geod (no projection at all).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geoschikt.addresses import format_addresses, join_addresses
from geoschikt.features import area_frame, default_extent, select_candidates
from geoschikt.floor_area import coa_size_class, floor_area, parse_levels, places_estimate
from geoschikt.pipeline import load_osm


@pytest.fixture(scope="module")
def delft_candidates(delft_pbf, config):
    osm = load_osm(delft_pbf, config)
    area = area_frame(default_extent(osm), "extent", "test")
    return select_candidates(osm.buildings, area, config.candidates, "EPSG:28992", osm.addresses)


@pytest.fixture(scope="module")
def osmnx_delft(delft_xml):
    """Buildings and address nodes of the Delft extract read by osmnx (independent parser)."""
    ox = pytest.importorskip("osmnx")
    feats = ox.features_from_xml(delft_xml, tags={"building": True, "addr:housenumber": True})
    feats = feats.reset_index()
    nodes = feats[(feats["element"] == "node") & feats["addr:housenumber"].notna()]
    ways = feats[(feats["element"] == "way") & feats["building"].notna()]
    return ways.set_index("id"), nodes


def test_no_default_candidate_is_a_dwelling(delft_candidates, config):
    homes = set(config.candidates.dwelling_types)
    assert {"house", "apartments", "terrace", "detached"} <= homes
    assert not delft_candidates["building"].isin(homes).any()
    assert set(delft_candidates["building"]) <= set(config.candidates.building_types)
    assert len(delft_candidates) > 80


def test_addresses_match_an_independent_point_in_polygon_join(delft_candidates, osmnx_delft):
    ways, nodes = osmnx_delft
    pts = list(
        zip(nodes.geometry.values, nodes["addr:street"], nodes["addr:housenumber"], strict=True)
    )
    matched, checked = 0, 0
    for row in delft_candidates.itertuples():
        kind, osm_id = row.candidate_id.split("/")
        if kind != "way":
            continue
        poly = ways.loc[int(osm_id)].geometry
        inside = {f"{s} {h}" for p, s, h in pts if poly.contains(p)}  # plain loop, no index
        checked += 1
        address = row.address
        if inside:
            assert row.address_count >= len(inside)
            first = address.split(",")[0]
            assert first in inside, (row.candidate_id, address, sorted(inside)[:5])
            if len(inside) > 1:
                assert address.endswith(f" +{row.address_count - 1}")
            matched += 1
        else:
            own = ways.loc[int(osm_id)].get("addr:housenumber")
            assert pd.isna(address) or isinstance(own, str), (row.candidate_id, address)
    assert checked >= 0.95 * len(delft_candidates)  # multipolygon buildings are not checked
    assert matched / checked >= 0.90, f"{matched} of {checked} have an address point inside"


def test_floor_area_is_footprint_times_levels_by_hand(delft_candidates, osmnx_delft, config):
    ways, _ = osmnx_delft
    geod = pyproj.Geod(ellps="WGS84")
    levels_by_type = config.candidates.levels
    tagged = estimated = 0
    for row in delft_candidates.itertuples():
        kind, osm_id = row.candidate_id.split("/")
        if kind != "way":
            continue  # multipolygon buildings: osmnx indexes relations apart
        way = ways.loc[int(osm_id)]
        footprint = abs(geod.geometry_area_perimeter(way.geometry)[0])
        levels = way.get("building:levels")
        try:
            lv = float(levels)
        except (TypeError, ValueError):
            lv = float("nan")
        if np.isfinite(lv) and 0 < lv <= 100:
            expected, tagged = footprint * lv, tagged + 1
            assert row.floor_area_source == "building:levels"
        else:
            lv = levels_by_type.get(way["building"], config.candidates.default_levels)
            expected, estimated = footprint * lv, estimated + 1
            assert row.floor_area_source.startswith("estimate")
        assert row.floor_area_m2 == pytest.approx(expected, rel=0.003), row.candidate_id
        assert row.places_est == np.floor(row.floor_area_m2 / config.candidates.m2_per_place)
        assert config.candidates.min_floor_area_m2 <= row.floor_area_m2
        assert row.floor_area_m2 <= config.candidates.max_floor_area_m2
    assert tagged > 10 and estimated > 10  # both paths are exercised


@pytest.mark.parametrize(
    ("m2", "code"),
    [
        (100, "<350"),
        (349.9, "<350"),
        (350, "350-500"),
        (500, "500-1500"),
        (1499, "500-1500"),
        (1500, "1500-3000"),
        (3000, ">=3000"),
        (50_000, ">=3000"),
    ],
)
def test_coa_size_class_bounds_follow_the_coa_figures(m2, code):
    assert coa_size_class(np.array([m2]))[0] == code


def test_every_candidate_has_floor_area_places_and_size_class(delft_candidates):
    for col in ("floor_area_m2", "places_est", "coa_size_class", "floor_area_source"):
        assert delft_candidates[col].notna().all(), col


def test_bad_levels_are_ignored_and_counted_in_one_warning(caplog):
    levels = pd.Series(["3", "abc", "-2", "150", None, "2.5", "0", "4;5"])
    parsed, bad = parse_levels(levels)
    assert bad == 5  # abc, -2, 150, 0, 4;5 (missing is not bad)
    assert parsed[0] == 3 and parsed[5] == 2.5
    building = pd.Series(["office"] * len(levels))
    with caplog.at_level(logging.WARNING, logger="geoschikt"):
        area, source = floor_area(np.full(len(levels), 100.0), building, levels, {"office": 3}, 1)
    warnings = [r for r in caplog.records if "building:levels" in r.getMessage()]
    assert len(warnings) == 1 and "5 building(s)" in warnings[0].getMessage()
    assert list(area) == [300, 300, 300, 300, 300, 250, 300, 300]
    assert list(source).count("building:levels") == 2
    assert places_estimate(area, 10)[0] == 30


def test_address_labels_and_counts_on_a_hand_made_block():
    square = shapely.box(0, 0, 10, 10)
    other = shapely.box(20, 0, 30, 10)
    pts = shapely.points([(5, 5), (6, 6), (25, 5), (50, 50), (10, 5)])  # the last on an edge
    labels = format_addresses(
        ["Mekelweg", "Mekelweg", "Jaffalaan", "Elders", "Mekelweg"],
        ["10", "8", "1", "2", "8"],  # the edge point repeats Mekelweg 8: counted once
        ["2628CD", "2628 cd", None, None, "2628CD"],
        ["Delft", "Delft", "Delft", None, "Delft"],
    )
    assert labels[1] == "Mekelweg 8, 2628 CD Delft"
    assert labels[2] == "Jaffalaan 1, Delft"
    order = np.array([1, 0, 2, 3, 0])
    own = np.array([None, "Own 1", None], dtype=object)
    polygons = np.array([square, other, None], dtype=object)
    label, count = join_addresses(polygons, pts, labels, order, own)
    assert label[0] == "Mekelweg 8, 2628 CD Delft +1" and count[0] == 2
    assert label[1] == "Own 1 +1" and count[1] == 2  # own tags first, then the point inside
    assert label[2] is None and count[2] == 0
