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


@pytest.mark.slow  # osmnx reads the Delft XML (independent parser)
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


@pytest.mark.slow  # osmnx reads the Delft XML (independent parser)
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
    pts = shapely.points([(5, 5), (6, 6), (25, 5), (50, 50), (7, 7)])
    tags = pd.DataFrame(
        {
            "addr:street": ["Mekelweg", "Mekelweg", "Jaffalaan", "Elders", "Mekelweg"],
            # the last point repeats Mekelweg 8 (an address mapped twice): counted once
            "addr:housenumber": ["10", "8", "1", "2", "8"],
            "addr:postcode": ["2628CD", "2628 cd", None, None, "2628CD"],
            "addr:city": ["Delft", "Delft", "Delft", None, "Delft"],
        }
    )
    labels = format_addresses(*(tags[c] for c in tags.columns))
    assert labels[1] == "Mekelweg 8, 2628 CD Delft" and labels[4] == labels[1]
    assert labels[2] == "Jaffalaan 1, Delft"
    own = np.array([None, "Own 1", None], dtype=object)
    polygons = np.array([square, other, None], dtype=object)
    label, count = join_addresses(polygons, pts, tags, own)
    assert label[0] == "Mekelweg 8, 2628 CD Delft +1" and count[0] == 2  # 8 before 10
    assert label[1] == "Own 1 +1" and count[1] == 2  # own tags first, then the point inside
    assert label[2] is None and count[2] == 0
    assert format_addresses(["Mekelweg"], [None], [None], [None])[0] == "Mekelweg"
    assert format_addresses([None], [None], ["2628CD"], ["Delft"])[0] is None


# ---- coverage: the data extent against the area and the candidates ------------------------


@pytest.fixture(scope="module")
def delft_sites(delft_pbf, tmp_path_factory):
    """Two own sites with `--area-name Delft`: one inside the data, one in Delft's west where
    the extract holds no buildings; addresses in Dutch columns, one without a house number."""
    from click.testing import CliRunner

    from geoschikt.cli import cli

    tmp = tmp_path_factory.mktemp("sites")
    sites = tmp / "sites.csv"
    sites.write_text(
        "id,lon,lat,straat,huisnummer\n"
        "in,4.3700,52.0000,Mekelweg,4\n"
        "out,4.3350,52.0100,Westlandseweg,\n"
    )
    out = tmp / "out"
    res = CliRunner().invoke(
        cli,
        [
            "score",
            "--osm",
            str(delft_pbf),
            "--area-name",
            "Delft",
            "--candidates",
            str(sites),
            "--out",
            str(out),
        ],
        catch_exceptions=False,
    )
    return res, out


def test_part_of_the_area_outside_the_data_is_warned_nodata_and_unranked(delft_sites, delft_pbf):
    import json

    import rasterio

    res, out = delft_sites
    assert res.exit_code == 0, res.output
    # independent: the extract's extent from osmium's own node scan (buildings' nodes)
    import osmium

    lons, lats = [], []
    for obj in (
        osmium.FileProcessor(str(delft_pbf))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("building"))
    ):
        if isinstance(obj, osmium.osm.Way):
            lons += [n.lon for n in obj.nodes]
            lats += [n.lat for n in obj.nodes]
    left, bottom, right, top = min(lons), min(lats), max(lons), max(lats)
    run = json.loads((out / "run.json").read_text())
    bounds = run["data_extent"]["bounds_wgs84"]
    assert bounds[0] <= left + 1e-3 and bounds[2] >= right - 1e-3  # buildings and addresses
    assert bounds[1] <= bottom + 1e-3 and bounds[3] >= top - 1e-3
    share = run["data_extent"]["area_outside_share"]
    assert 0.5 < share < 0.99
    assert f"{100 * share:.0f}% of the area lies outside the OSM data" in res.output

    table = pd.read_csv(out / "candidates.csv").set_index("candidate_id")
    assert table.loc["out", "coverage"] == "none"
    assert pd.isna(table.loc["out", "rank"]) and pd.isna(table.loc["out", "suitability"])
    assert pd.isna(table.loc["out", "fails"]) or table.loc["out", "fails"] == ""
    assert table.loc["in", "coverage"] in ("full", "partial") and table.loc["in", "rank"] == 1
    assert table.loc["in", "address"] == "Mekelweg 4"
    assert table.loc["out", "address"] == "Westlandseweg"  # a street without a number: used

    with rasterio.open(out / "suitability.tif") as src:
        band = src.read(src.count, masked=True)
        rows, cols = np.nonzero(~band.mask)
        xs, ys = rasterio.transform.xy(src.transform, rows, cols)
        lon, lat = pyproj.Transformer.from_crs(src.crs, 4326, always_xy=True).transform(xs, ys)
    assert len(lon) > 100
    pad = 1e-3  # a cell centre inside the box, give or take projection rounding
    assert (np.asarray(lon) >= bounds[0] - pad).all() and (np.asarray(lon) <= bounds[2] + pad).all()
    assert (np.asarray(lat) >= bounds[1] - pad).all() and (np.asarray(lat) <= bounds[3] + pad).all()


def test_partial_coverage_follows_its_definition(delft_result):
    """partial <=> for an assessed OSM distance criterion the nearest feature is farther than
    the straight distance to the edge of the data extent (or none was found with a reach beyond
    it); the edge distance is computed here with pyproj.Geod, not in the metric CRS."""
    c = delft_result.candidates
    left, bottom, right, top = delft_result.provenance["data_extent"]["bounds_wgs84"]
    geod = pyproj.Geod(ellps="WGS84")
    lon, lat = c["lon"].to_numpy(), c["lat"].to_numpy()
    n = len(lon)
    edge = np.min(
        [
            geod.inv(lon, lat, np.full(n, left), lat)[2],
            geod.inv(lon, lat, np.full(n, right), lat)[2],
            geod.inv(lon, lat, lon, np.full(n, bottom))[2],
            geod.inv(lon, lat, lon, np.full(n, top))[2],
        ],
        axis=0,
    )
    # the distance criteria on OSM features that were assessed (counts and shares have none)
    measured = {
        m.criterion.key: m
        for m in delft_result.measured
        if m.assessed and m.criterion.source == "osm" and m.criterion.measure == "distance"
    }
    beyond = np.zeros(n, dtype=bool)
    for crit in delft_result.config.criteria:
        if crit.key not in measured:
            continue
        d = c[f"dist_{crit.key}_m"].to_numpy(dtype=float)
        none_found = np.isinf(measured[crit.key].distance)  # nothing within reach
        beyond |= (d > edge + 2) | (none_found & (crit.reach_m > edge + 2))
    clear = np.zeros(n, dtype=bool)
    for crit in delft_result.config.criteria:
        if crit.key not in measured:
            continue
        d = c[f"dist_{crit.key}_m"].to_numpy(dtype=float)
        clear |= np.abs(d - edge) <= 2  # within rounding of the edge: either answer is right
    kind = c["coverage"].to_numpy()
    assert (kind[beyond & ~clear] == "partial").all()
    assert (kind[~beyond & ~clear] == "full").all() or not (~beyond & ~clear).any()
    assert (kind == "partial").sum() > 0


def test_candidates_outside_the_data_get_no_score_no_rank_and_do_not_fail(config):
    from geoschikt.scoring import Measured, score

    crit = config.criterion("transit")  # max_m 500
    d = np.array([100.0, 900.0, 100.0, np.inf])
    outside = np.array([False, False, True, True])
    frame = score([Measured(crit, d)], lang="en", outside=outside)
    assert frame["suitability"].isna().tolist() == [False, False, True, True]
    assert frame["rank"].isna().tolist() == [False, False, True, True]
    assert list(frame["rank"][:2]) == [1, 2]  # the passing one first, by hand
    assert list(frame["fails"][2:]) == ["", ""]  # nothing to judge them on: no failure
    assert frame["note_transit"][3] == "outside the data: not scored"
    assert frame["score_transit"][2:].isna().all() and frame["dist_transit_m"][2:].isna().all()


def test_candidate_file_with_a_street_but_no_number_is_used(config):
    import geopandas as gpd

    from geoschikt.features import describe_user_candidates
    from geoschikt.pipeline import candidate_labels

    frame = gpd.GeoDataFrame(
        {"candidate_id": ["a", "b"], "addr:street": ["Mekelweg", None]},
        geometry=shapely.points([(85_000, 446_000), (85_100, 446_000)]),
        crs="EPSG:28992",
    )
    out = describe_user_candidates(frame, None, config.candidates, "EPSG:28992")
    assert out["address"].iat[0] == "Mekelweg" and pd.isna(out["address"].iat[1])
    assert list(out["address_count"]) == [1, 0]
    assert out["floor_area_m2"].isna().all()  # points: no footprint, no invented floor area
    assert (out["floor_area_source"] == "unknown: a point has no footprint").all()
    assert list(candidate_labels(out)) == ["Mekelweg", "b"]


def test_ggd_offices_are_not_gps(delft_result, delft_pbf):
    import osmium

    ggd = [
        o.tags.get("name")
        for o in osmium.FileProcessor(str(delft_pbf)).with_filter(
            osmium.filter.KeyFilter("healthcare")
        )
        if "GGD" in (o.tags.get("name") or "") + (o.tags.get("operator") or "")
    ]
    assert ggd  # the extract has a GGD office (healthcare=centre) ...
    gps = delft_result.pois[delft_result.pois["category"] == "gp"]
    assert len(gps) >= 3
    assert not gps["name"].fillna("").str.contains("GGD").any()  # ... and it is not a GP


@pytest.mark.slow  # osmnx reads the Delft XML; brute force over every water feature
def test_open_water_distance_matches_a_brute_force_over_osmnx_features(delft_result, delft_xml):
    """Straight distance to the nearest bank: osmnx reads the water features from the XML,
    and a plain loop over every one of them (no index) finds the nearest."""
    ox = pytest.importorskip("osmnx")
    crit = delft_result.config.criterion("water")
    tags = {
        "natural": ["water"],
        "waterway": ["river", "canal", "riverbank"],
        "landuse": ["reservoir", "basin"],
    }
    water = ox.features_from_xml(delft_xml, tags=tags).to_crs(28992)
    for col, bad in (
        ("water", {"wastewater", "reflecting_pool", "fountain"}),
        ("covered", {"yes"}),
        ("tunnel", {"culvert", "yes"}),
    ):
        if col in water:
            water = water[~water[col].isin(bad)]
    geoms = list(water.geometry.values)
    c = delft_result.candidates
    pts = shapely.point_on_surface(c.geometry.values)
    checked = 0
    for p, d in zip(pts, c["dist_water_m"].to_numpy(dtype=float), strict=True):
        nearest = min(g.distance(p) for g in geoms)
        if nearest <= crit.reach_m - 1:
            assert d == pytest.approx(nearest, abs=0.2)
            checked += 1
        elif nearest > crit.reach_m + 1:
            assert np.isnan(d)
    assert checked > 50
