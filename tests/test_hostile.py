"""Hostile files: crafted inputs, formula cells, NUL bytes (issue 12).

Every refusal is one `geoschikt: error:` line, exit 2, nothing written.
"""

from __future__ import annotations

import contextlib
import csv
import socket
import sqlite3
import threading
import warnings

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from geoschikt.cli import cli
from geoschikt.errors import InputFileError
from geoschikt.inputs import read_candidates, read_points_or_shapes
from geoschikt.outputs.csvsafe import neutralise, neutralise_arrow, neutralise_frame
from geoschikt.vectorfile import SANDBOX, check_vector_file, gdal_driver, gdal_sandbox

from .conftest import assert_one_clear_error

# Two real points in Delft (the Delft extract covers them)
DELFT_LONLAT = [(4.3695, 51.9985), (4.3770, 52.0010)]


def run(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


def _vrt(src: str) -> str:
    layer = src.rsplit("/", 1)[-1].removesuffix(".csv")
    return (
        "<OGRVRTDataSource><OGRVRTLayer name='l'>"
        f"<SrcDataSource>{src}</SrcDataSource><SrcLayer>{layer}</SrcLayer>"
        "<GeometryType>wkbPoint</GeometryType><LayerSRS>EPSG:4326</LayerSRS>"
        "<GeometryField encoding='PointFromColumns' x='lon' y='lat'/>"
        "</OGRVRTLayer></OGRVRTDataSource>"
    )


@pytest.fixture()
def secret_csv(tmp_path):
    path = tmp_path / "secret.csv"
    path.write_text("lon,lat,secret\n4.3695,51.9985,PASSWORD-LINE\n")
    return path


class Listener:
    """A loopback TCP socket that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture()
def listener():
    lst = Listener()
    yield lst
    lst.close()


# --- 1. GDAL driver allow-list ------------------------------------------------------------


def test_plain_gdal_follows_a_vrt_disguised_as_geojson(tmp_path, secret_csv):
    """The attack is real: GDAL on its own reads the other file (so the refusal below matters)."""
    sites = tmp_path / "sites.geojson"
    sites.write_text(_vrt(str(secret_csv)))
    assert pyogrio.read_info(sites)["driver"] == "OGR_VRT"
    frame = gpd.read_file(sites, engine="pyogrio")
    assert frame["secret"].tolist() == ["PASSWORD-LINE"]


def test_vrt_disguised_as_geojson_is_refused_naming_the_driver(tmp_path, secret_csv):
    sites = tmp_path / "sites.geojson"
    sites.write_text(_vrt(str(secret_csv)))
    with pytest.raises(InputFileError, match="read by GDAL as OGR_VRT"):
        read_points_or_shapes(sites, "candidates")


def test_vrt_candidates_one_line_nothing_written(delft_pbf, tmp_path, secret_csv):
    sites = tmp_path / "sites.geojson"
    sites.write_text(_vrt(str(secret_csv)))
    out = tmp_path / "out"
    res = run("score", "--osm", delft_pbf, "--candidates", sites, "--out", out)
    assert_one_clear_error(res, "OGR_VRT", str(sites), out=out)
    assert "PASSWORD-LINE" not in res.output


@pytest.mark.parametrize("prefix", ["", "/vsicurl/"])
def test_vrt_pointing_to_http_makes_no_request(tmp_path, listener, prefix):
    url = f"{prefix}http://127.0.0.1:{listener.port}/x.csv"
    sites = tmp_path / "sites.geojson"
    sites.write_text(_vrt(url))
    for what in ("candidates", "reception", "area", "regions"):
        with pytest.raises(InputFileError, match="OGR_VRT"):
            read_points_or_shapes(sites, what)
    assert listener.connections == 0


def test_plain_gdal_does_connect_for_that_vrt(tmp_path, listener):
    """Control for the test above: without the check GDAL contacts the (loopback) URL."""
    sites = tmp_path / "sites.geojson"
    sites.write_text(_vrt(f"/vsicurl/http://127.0.0.1:{listener.port}/x.csv"))
    with warnings.catch_warnings(), contextlib.suppress(Exception):
        warnings.simplefilter("ignore")  # GDAL's HTTP error; the request is the point
        pyogrio.read_info(sites)
    listener._stop.wait(0.5)
    assert listener.connections >= 1


@pytest.mark.parametrize(
    ("name", "content", "seen"),
    [
        ("a.geojson", '<?xml version="1.0"?><OGRVRTDataSource/>', "OGR_VRT"),
        (
            "a.gpkg",
            '<?xml version="1.0"?><ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/" '
            'xmlns:gml="http://www.opengis.net/gml"></ogr:FeatureCollection>',
            "GML",
        ),
        ("a.json", '<kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>', "KML"),
        ("a.shp", "lon,lat\n4.3,52.0\n", None),
        (
            "a.json",
            '{"type": "gdal_streamed_alg", "command_line": "gdal vector pipeline ! read x.csv '
            '! write --of stream streamed_dataset"}',
            "GDALG",
        ),
    ],
)
def test_content_that_is_not_the_named_format_is_refused(tmp_path, name, content, seen):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputFileError, match="geoschikt only reads") as exc:
        check_vector_file(path, "candidates")
    if seen:
        assert seen in str(exc.value)


def test_refused_without_gdal_identify_too(tmp_path, secret_csv, monkeypatch):
    """The own content check alone (GDAL's library not reachable) still refuses a VRT."""
    monkeypatch.setattr("geoschikt.vectorfile._libgdal", lambda: None)
    sites = tmp_path / "sites.geojson"
    sites.write_text(_vrt(str(secret_csv)))
    with pytest.raises(InputFileError, match="OGR_VRT"):
        read_points_or_shapes(sites, "candidates")


def test_sqlite_that_is_not_a_geopackage_is_refused(tmp_path):
    path = tmp_path / "a.gpkg"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(InputFileError, match="SQLite"):
        check_vector_file(path, "candidates")


@pytest.mark.parametrize("suffix", [".gml", ".kml", ".vrt", ".gdalg.json.txt", ".xlsx"])
def test_other_suffixes_are_refused(tmp_path, suffix):
    path = tmp_path / f"a{suffix}"
    path.write_text("x")
    with pytest.raises(InputFileError, match="unsupported format"):
        read_points_or_shapes(path, "candidates")


@pytest.mark.parametrize(
    ("suffix", "driver"),
    [
        (".gpkg", "GPKG"),
        (".geojson", "GeoJSON"),
        (".shp", "ESRI Shapefile"),
        (".fgb", "FlatGeobuf"),
    ],
)
def test_allowed_formats_still_read(tmp_path, suffix, driver):
    pts = gpd.GeoDataFrame(
        {"id": ["a", "b"]},
        geometry=gpd.points_from_xy(*zip(*DELFT_LONLAT, strict=True)),
        crs=4326,
    )
    path = tmp_path / f"sites{suffix}"
    pts.to_crs(28992).to_file(path, driver=driver, engine="pyogrio")
    assert check_vector_file(path, "candidates") == driver
    assert gdal_driver(path) == driver
    frame = read_points_or_shapes(path, "candidates")
    # independent reference: the input coordinates themselves
    got = sorted(zip(frame.geometry.x.round(6), frame.geometry.y.round(6), strict=True))
    assert got == sorted(DELFT_LONLAT)


def test_sandbox_restores_gdal_options():
    key = "GDAL_HTTP_TIMEOUT"
    pyogrio.set_gdal_config_options({key: "33"})
    try:
        with gdal_sandbox():
            assert str(pyogrio.get_gdal_config_option(key)) == SANDBOX[key]
        assert str(pyogrio.get_gdal_config_option(key)) == "33"
    finally:
        pyogrio.set_gdal_config_options({key: None})


def test_unclosed_ring_is_one_clear_error(tmp_path):
    path = tmp_path / "area.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"Polygon","coordinates":[[[4.35,52.0],[4.36,52.0],[4.36,52.01]]]}}]}'
    )
    with pytest.raises(InputFileError, match="area file"):
        read_points_or_shapes(path, "area")


# --- 8. NUL bytes ------------------------------------------------------------------------


def test_nul_in_csv_ids_is_replaced_with_a_warning_and_ids_stay_apart(tmp_path, caplog):
    path = tmp_path / "sites.csv"
    (lon1, lat1), (lon2, lat2) = DELFT_LONLAT
    path.write_bytes(f"id,lon,lat\na\0x,{lon1},{lat1}\na\0y,{lon2},{lat2}\n".encode())
    frame = read_candidates(path)
    assert frame["candidate_id"].tolist() == ["a\ufffdx", "a\ufffdy"]
    assert "NUL" in caplog.text


def test_nul_in_geojson_is_refused(tmp_path):
    path = tmp_path / "sites.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"id":"a\\u0000x"},"geometry":{"type":"Point","coordinates":[4.37,52.0]}}]}'
    )
    with pytest.raises(InputFileError, match="NUL"):
        read_points_or_shapes(path, "candidates")


def test_nul_in_geopackage_is_refused(tmp_path):
    """GDAL itself would cut 'a\\0x' and 'a\\0y' to the same id 'a' (checked first)."""
    path = tmp_path / "sites.gpkg"
    gpd.GeoDataFrame(
        {"id": ["ax", "ay"]},
        geometry=gpd.points_from_xy(*zip(*DELFT_LONLAT, strict=True)),
        crs=4326,
    ).to_file(path, engine="pyogrio", SPATIAL_INDEX="NO")  # no triggers calling ST_ functions
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE sites SET id = CAST(substr(id, 1, 1) || char(0) || substr(id, 2) AS TEXT)"
        )
    assert gpd.read_file(path, engine="pyogrio")["id"].tolist() == ["a", "a"]
    with pytest.raises(InputFileError, match="NUL"):
        read_points_or_shapes(path, "candidates")


# --- 2. formula cells in CSV ---------------------------------------------------------------

CASES = {
    '=HYPERLINK("http://x")': '\'=HYPERLINK("http://x")',
    "+31 15 123": "'+31 15 123",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\tx": "'\tx",
    "\rx": "'\rx",
    "-5": "-5",
    "+3.5e2": "+3.5e2",
    "-.5": "-.5",
    "Oude school": "Oude school",
    "a=b": "a=b",
    "": "",
}


def test_neutralise_follows_owasp():
    for raw, safe in CASES.items():
        assert neutralise(raw) == safe, raw


def test_arrow_and_pandas_neutralisers_agree():
    import pyarrow as pa

    raw = list(CASES)
    frame = pd.DataFrame({"name": raw, "n": range(len(raw)), "=col": raw})
    by_pandas = neutralise_frame(frame)
    by_arrow = neutralise_arrow(pa.Table.from_pandas(frame, preserve_index=False)).to_pandas()
    assert list(by_pandas.columns) == ["name", "n", "'=col"] == list(by_arrow.columns)
    assert by_pandas["name"].tolist() == list(CASES.values()) == by_arrow["name"].tolist()
    assert by_arrow["n"].tolist() == list(range(len(raw)))


def test_formula_names_neutralised_in_csv_kept_in_geopackage(delft_pbf, tmp_path):
    sites = tmp_path / "sites.csv"
    (lon1, lat1), (lon2, lat2) = DELFT_LONLAT
    with open(sites, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "naam", "delta", "lon", "lat"])
        w.writerow(["=1+1", '=HYPERLINK("http://evil/","x")', -3, lon1, lat1])
        w.writerow(["-7", "@cmd", -4.5, lon2, lat2])
    out = tmp_path / "out"
    res = run("-q", "score", "--osm", delft_pbf, "--candidates", sites, "--out", out)
    assert res.exit_code == 0, res.output
    with open(out / "candidates.csv", newline="", encoding="utf-8") as fh:
        rows = {r["candidate_id"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"'=1+1", "-7"}
    assert rows["'=1+1"]["naam"] == '\'=HYPERLINK("http://evil/","x")'
    assert rows["-7"]["naam"] == "'@cmd"
    assert {rows["'=1+1"]["delta"], rows["-7"]["delta"]} == {"-3", "-4.5"}  # numbers untouched
    for row in rows.values():  # no text cell of the whole table starts a formula
        for cell in row.values():
            assert not cell.startswith(("=", "@", "\t", "\r")), cell
    gpkg = gpd.read_file(out / "candidates.gpkg", layer="candidates")
    assert set(gpkg["naam"]) == {'=HYPERLINK("http://evil/","x")', "@cmd"}
    assert set(gpkg["candidate_id"]) == {"=1+1", "-7"}
