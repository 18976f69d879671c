"""Reading OSM files: all formats agree, the known features of the Delft extract are found,
and broken files get one clear error."""

from __future__ import annotations

import bz2
import gzip

import pytest

from geoschikt.acquire import read_osm
from geoschikt.errors import InputFileError
from geoschikt.features import feature_keys, feature_predicate, select_pois

KEYS = ("amenity", "highway", "shop", "healthcare", "railway", "public_transport")


def counts(osm):
    tags = osm.features["tags"]
    return {
        "schools": int(sum(t.get("amenity") == "school" for t in tags)),
        "doctors": int(sum(t.get("amenity") == "doctors" for t in tags)),
        "supermarkets": int(sum(t.get("shop") == "supermarket" for t in tags)),
        "bus_stops": int(sum(t.get("highway") == "bus_stop" for t in tags)),
        "tram_stops": int(sum(t.get("railway") == "tram_stop" for t in tags)),
        "pharmacies": int(sum(t.get("amenity") == "pharmacy" for t in tags)),
    }


@pytest.fixture(scope="module")
def delft(delft_pbf):
    return read_osm(delft_pbf, KEYS)


def test_known_features_of_the_delft_extract(delft):
    # numbers from ../shared/data/README.md (counted there with osmnx)
    assert counts(delft) == {
        "schools": 4,
        "doctors": 3,
        "supermarkets": 3,
        "bus_stops": 300,
        "tram_stops": 40,
        "pharmacies": 0,
    }
    assert 3400 <= len(delft.buildings) <= 3600
    assert delft.timestamp.startswith("2025-08")


def test_school_criterion_keeps_the_primary_schools(delft, config):
    pois = select_pois(delft.features, config.criteria, "EPSG:28992")
    schools = pois[pois["category"] == "school"]
    # two of the four amenity=school objects are tagged school=secondary / isced:level=2
    assert sorted(schools["name"]) == ["Dr H. Bavinckschool", "International School Delft"]
    gp = pois[pois["category"] == "gp"]
    assert (gp["tag"] == "amenity=doctors").sum() == 3


def test_bus_stops_inside_the_cut_box(delft, config):
    pois = select_pois(delft.features, config.criteria, "EPSG:4326")
    bus = pois[pois["tag"] == "highway=bus_stop"]
    inside = bus.cx[4.355:4.386, 51.995:52.005]
    assert len(bus) == 300
    assert len(inside) == 15  # README: 15 inside the box


def test_boundaries_in_the_extract(delft):
    b = delft.boundaries.set_index("osm_id")
    assert b.loc[324269, "name"] == "Delft"
    assert b.loc[324269, "admin_level"] == "8"
    assert b.loc[324269, "ref:gemeentecode"] == "0503"
    assert "Pijnacker-Nootdorp" in set(b["name"])


@pytest.mark.slow  # parses the Delft extract in three formats
def test_pbf_xml_bz2_and_gz_give_the_same_data(delft, delft_xml, tmp_path, config):
    gz = tmp_path / "tudelft.osm.gz"
    gz.write_bytes(gzip.compress(bz2.decompress(delft_xml.read_bytes())))
    for path in (delft_xml, gz):
        other = read_osm(path, feature_keys(config), feature_predicate(config))
        assert len(other.buildings) == len(delft.buildings)
        assert len(other.ways.refs) == len(delft.ways.refs)
        assert set(other.boundaries["osm_id"]) == set(delft.boundaries["osm_id"])
        assert other.timestamp == delft.timestamp


def test_missing_file():
    with pytest.raises(InputFileError, match="does not exist"):
        read_osm("/no/such/file.osm.pbf", KEYS)


def test_unknown_suffix(tmp_path):
    p = tmp_path / "data.txt"
    p.write_text("hello")
    with pytest.raises(InputFileError, match="unknown format; use one of"):
        read_osm(p, KEYS)


@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm", ".osm.bz2"])
def test_corrupt_file(tmp_path, suffix):
    p = tmp_path / f"broken{suffix}"
    p.write_bytes(b"\x00\x01this is not osm data" * 50)
    with pytest.raises(InputFileError, match="corrupt"):
        read_osm(p, KEYS)


def test_truncated_pbf(delft_pbf, tmp_path):
    p = tmp_path / "cut.osm.pbf"
    p.write_bytes(delft_pbf.read_bytes()[:300_000])
    with pytest.raises(InputFileError, match="corrupt or truncated"):
        read_osm(p, KEYS)


def test_helsinki_header_box_and_data(helsinki_pbf, config):
    osm = read_osm(helsinki_pbf, feature_keys(config), feature_predicate(config))
    left, bottom, right, top = osm.header_bounds
    assert 24.9 < left < right < 25.0 and 60.1 < bottom < top < 60.2
    assert len(osm.buildings) > 400
