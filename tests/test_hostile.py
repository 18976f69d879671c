"""Hostile files: crafted inputs, formula cells, NUL bytes (issue 12).

Every refusal is one `geoschikt: error:` line, exit 2, nothing written.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
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


@pytest.mark.slow  # its own Delft run
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


def _formula_cells(path) -> list[str]:
    """Cells a spreadsheet would run as a formula (OWASP: = + - @ tab CR in front), checked
    here with a plain rule of its own: a leading - or + is fine only before a number."""

    def number(text: str) -> bool:
        try:
            float(text)
        except ValueError:
            return False
        return True

    with open(path, newline="", encoding="utf-8") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    return [
        c
        for c in cells
        if c.startswith(("=", "@", "\t", "\r")) or (c.startswith(("+", "-")) and not number(c))
    ]


@pytest.mark.slow  # its own Delft runs
def test_decide_csvs_neutralise_formula_cells(delft_pbf, tmp_path):
    """robustness, select and compare write their CSVs like every other CSV: a candidate whose
    id and name would run as formulas reads as text; their GeoPackages keep the values."""
    sites = tmp_path / "sites.csv"
    hostile = '=HYPERLINK("http://evil/","x")'
    (lon1, lat1), (lon2, lat2) = DELFT_LONLAT
    with open(sites, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "lon", "lat"])
        w.writerow(["=1+1", hostile, lon1, lat1])
        w.writerow(["-7", "@cmd", lon2, lat2])
    scored = tmp_path / "scored"
    res = run("-q", "score", "--osm", delft_pbf, "--candidates", sites, "--out", scored)
    assert res.exit_code == 0, res.output
    outs = {name: tmp_path / name for name in ("robustness", "select", "compare")}
    commands = {
        "robustness": ["robustness", scored, "--samples", 20],
        "select": ["select", scored, "--k", 1, "--min-spacing-m", 10],
        "compare": ["compare", scored, scored],
    }
    for name, args in commands.items():
        res = run("-q", *args, "--out", outs[name])
        assert res.exit_code == 0, res.output
    written = sorted(p for out in outs.values() for p in out.glob("*.csv"))
    assert {p.name for p in written} >= {"robustness.csv", "selection.csv", "comparison.csv"}
    for path in written:
        assert _formula_cells(path) == [], path
    with open(outs["robustness"] / "robustness.csv", newline="", encoding="utf-8") as fh:
        rows = {r["candidate_id"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"'=1+1", "-7"}
    assert rows["'=1+1"]["label"] == "'" + hostile
    assert rows["-7"]["label"] == "'@cmd"
    gpkg = gpd.read_file(outs["robustness"] / "robustness.gpkg")
    assert set(gpkg["candidate_id"]) == {"=1+1", "-7"}
    assert set(gpkg["label"]) == {hostile, "@cmd"}


# --- 6. config validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "fragments"),
    [
        ({"criteria": {"school": {"weight": float("nan")}}}, ["criteria.school.weight", "nan"]),
        ({"criteria": {"school": {"far_m": float("inf")}}}, ["criteria.school.far_m", "inf"]),
        ({"criteria": {"transit": {"near_m": float("-inf")}}}, ["criteria.transit.near_m"]),
        ({"map": {"blur_m": float("nan")}}, ["map.blur_m", "nan"]),
        ({"network": {"max_snap_m": float("inf")}}, ["network.max_snap_m"]),
        ({"candidates": {"max_area_m2": float("nan")}}, ["candidates.max_area_m2"]),
        ({"criteria": {"school": {"far_m": 5e6}}}, ["criteria.school.far_m", "maximum"]),
        ({"criteria": {"school": {"weight": -1}}}, ["criteria.school.weight", "at least 0"]),
        ({"analysis": {"crs": "EPSG:2263"}}, ["analysis.crs", "US survey foot"]),
        ({"analysis": {"crs": "EPSG:4326"}}, ["analysis.crs", "metric"]),
    ],
)
def test_config_refuses_non_finite_and_out_of_range(config, override, fragments):
    from geoschikt.errors import ConfigError

    with pytest.raises(ConfigError) as exc:
        config.with_overrides(override)
    for frag in fragments:
        assert frag in str(exc.value)


def _all_weights(config, value):
    return {"criteria": {c.key: {"weight": value} for c in config.criteria}}


def test_config_refuses_all_zero_weights(config):
    from geoschikt.errors import ConfigError

    with pytest.raises(ConfigError, match="are 0"):
        config.with_overrides(_all_weights(config, 0))


def test_config_refuses_weights_whose_sum_overflows(config):
    from geoschikt.errors import ConfigError

    keys = [c.key for c in config.criteria][:2]
    override = {"criteria": {k: {"weight": 1e308} for k in keys}}
    assert sum([1e308, 1e308]) == float("inf")  # the reason
    with pytest.raises(ConfigError, match=f"criteria.{keys[0]}.weight = 1e.308 is above"):
        config.with_overrides(override)


def test_weight_sum_check_catches_overflow_on_its_own():
    from geoschikt.config import weight_sum_problem

    assert "add up to inf" in weight_sum_problem({"a": 1e308, "b": 1e308})
    assert weight_sum_problem({"a": 0.0, "b": 2.0}) is None


def test_config_accepts_large_finite_weights(config):
    assert config.with_overrides(_all_weights(config, 1e6)).criteria[0].weight == 1e6


def test_nan_weight_in_toml_is_one_line_exit_2(tmp_path, delft_pbf):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[criteria.school]\nweight = nan\n")
    out = tmp_path / "out"
    res = run("score", "--osm", delft_pbf, "--config", cfg, "--out", out)
    assert_one_clear_error(res, "criteria.school.weight", out=out)


def test_crs_for_another_continent_is_one_line(tmp_path, delft_pbf):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[analysis]\ncrs = "EPSG:2000"\n')  # Anguilla 1957 / British West Indies Grid
    out = tmp_path / "out"
    res = run("score", "--osm", delft_pbf, "--config", cfg, "--out", out)
    assert_one_clear_error(res, "analysis.crs", "EPSG:2000", out=out)


# --- 9. --cdn maps pin exact files ---------------------------------------------------------


def test_cdn_map_csp_allows_only_the_pinned_files(helsinki_result):
    import base64
    import hashlib
    import html
    import re
    from pathlib import Path

    from xstatic.pkg import leaflet as xs

    from geoschikt.outputs.webmap import MapOptions, render_map

    page = render_map(helsinki_result, MapOptions(assets="cdn"))
    csp = html.unescape(
        re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)[1]
    )
    policy = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    js_url = f"https://unpkg.com/leaflet@{xs.VERSION}/dist/leaflet.js"
    css_url = f"https://unpkg.com/leaflet@{xs.VERSION}/dist/leaflet.css"
    script_sources = policy["script-src"].split()
    assert js_url in script_sources
    assert "https://unpkg.com" not in script_sources  # not the whole host
    assert all(s == js_url or s.startswith("'sha256-") for s in script_sources)
    assert css_url in policy["style-src"].split()
    # the integrity attribute is the sha384 of the file bytes (computed here with hashlib)
    js = (Path(xs.BASE_DIR) / "leaflet.js").read_bytes()
    sri = "sha384-" + base64.b64encode(hashlib.sha384(js).digest()).decode()
    assert f'<script src="{js_url}" integrity="{sri}" crossorigin="anonymous">' in page


# --- 3. region ids -> folder names -----------------------------------------------------------


def test_safe_ids_are_their_own_folder_names():
    from geoschikt.outputs.folders import folder_names

    ids = ["GM0363", "GM0503", "delft-2024", "a_b", "x.1"]
    assert folder_names(ids) == {i: i for i in ids}


def test_hostile_ids_get_distinct_safe_folders(tmp_path):
    from geoschikt.outputs.folders import MAX_BYTES, folder_names

    ids = [".", "..", "a/b", "a_b", "a\\b", "../../etc", "x" * 300, "é" * 200, "CON", "-"]
    names = folder_names(ids)
    assert len(set(names.values())) == len(ids)
    assert names["a_b"] == "a_b" and names["a/b"] != "a_b"
    for name in names.values():
        assert name not in (".", "..") and "/" not in name and "\\" not in name
        assert not name.startswith(".")
        assert len(name.encode()) <= MAX_BYTES
        # independent check: the OS makes it a direct child of the parent, and it is new
        (tmp_path / name).mkdir()
        assert (tmp_path / name).resolve().parent == tmp_path.resolve()
    assert len(list(tmp_path.iterdir())) == len(ids)


def test_colliding_and_empty_ids_are_refused_with_the_list():
    from geoschikt.outputs.folders import folder_names

    with pytest.raises(InputFileError, match="'Delft' = 'delft'"):
        folder_names(["Delft", "delft", "Leiden"])
    with pytest.raises(InputFileError, match="empty"):
        folder_names(["a", "", " "])


# --- 4. temporary files and symbolic links ---------------------------------------------------


def test_atomic_file_never_follows_a_planted_link(tmp_path):
    from geoschikt.outputs.atomic import atomic_bytes

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    # links under every name an old pid-based writer would have used, and some more
    for pid in range(os.getpid() - 5, os.getpid() + 5):
        (out / f".summary.csv.tmp-{pid}").symlink_to(victim)
    atomic_bytes(out / "summary.csv", b"new")
    assert victim.read_text() == "keep me"
    assert (out / "summary.csv").read_bytes() == b"new"
    assert not (out / "summary.csv").is_symlink()
    leftovers = sorted(p.name for p in out.iterdir() if not p.is_symlink())
    assert leftovers == ["summary.csv"]


def test_atomic_file_writes_through_a_link_and_keeps_it(tmp_path):
    from geoschikt.outputs.atomic import atomic_bytes

    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic_bytes(link, b"new")
    assert link.is_symlink() and real.read_text() == "new"


def test_atomic_file_failure_leaves_nothing(tmp_path):
    from geoschikt.outputs.atomic import atomic_file

    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_file_path_is_private_and_keeps_the_suffix(tmp_path):
    from geoschikt.outputs.atomic import atomic_file

    target = tmp_path / "all.gpkg"
    with atomic_file(target) as tmp:
        assert tmp.name == "all.gpkg" and tmp.parent.parent == tmp_path
        assert tmp.parent.name.startswith(".all.gpkg.tmp-")
        assert oct(tmp.parent.stat().st_mode & 0o777) == "0o700"
        tmp.write_bytes(b"x")
    assert target.read_bytes() == b"x" and [p.name for p in tmp_path.iterdir()] == ["all.gpkg"]


def test_out_that_is_a_symlink_is_written_through(delft_pbf, tmp_path):
    real = tmp_path / "runs" / "2026"
    real.mkdir(parents=True)
    link = tmp_path / "latest"
    link.symlink_to(real, target_is_directory=True)
    res = run(
        "-q", "score", "--osm", delft_pbf, "--distance", "euclidean", "--out", link, "--overwrite"
    )
    assert res.exit_code == 0, res.output
    assert link.is_symlink()  # not replaced by a directory
    assert (real / "candidates.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "runs"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["2026"]


def test_dangling_symlink_out_is_one_line(delft_pbf, tmp_path):
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "nowhere" / "deeper")
    res = run("score", "--osm", delft_pbf, "--out", link)
    assert_one_clear_error(res, "symbolic link", "does not exist")
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()


def test_out_dot_with_overwrite_is_one_line(delft_pbf, tmp_path, monkeypatch):
    (tmp_path / "keep.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    res = run("score", "--osm", delft_pbf, "--out", ".", "--overwrite")
    assert_one_clear_error(res, "current directory")
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


# --- 7. a full disk ------------------------------------------------------------------------------


@pytest.fixture()
def tiny_disk(tmp_path):
    """A real 128 kB tmpfs, smaller than any run's outputs (the map alone holds Leaflet, ~165 kB;
    needs root); skipped where mounting is not allowed."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(mnt)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=False)


def test_disk_full_during_score_is_one_line_exit_1(delft_pbf, tiny_disk):
    out = tiny_disk / "out"
    res = run("score", "--osm", delft_pbf, "--distance", "euclidean", "--out", out)
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("geoschikt: error:")]
    assert len(lines) == 1 and "disk full" in lines[0] and "MB" in lines[0], res.output
    assert "Traceback" not in res.output
    assert list(tiny_disk.iterdir()) == []  # nothing half-written


def test_disk_full_is_reported_when_writes_fail_with_enospc(delft_pbf, tmp_path, monkeypatch):
    """The same without a tmpfs: every GeoPackage/CSV/map write raises ENOSPC."""
    import errno

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("geoschikt.outputs.write.write_map", full)
    out = tmp_path / "out"
    res = run("score", "--osm", delft_pbf, "--distance", "euclidean", "--out", out)
    assert res.exit_code == 1, res.output
    assert "disk full" in res.output and "Traceback" not in res.output
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == []


# --- 7/8. damaged runs given to rescore ------------------------------------------------------


@pytest.fixture(scope="module")
def finished_run(delft_pbf, tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile-run") / "run"
    res = run("-q", "score", "--osm", delft_pbf, "--distance", "euclidean", "--out", out)
    assert res.exit_code == 0, res.output
    return out


def _copy_run(finished_run, tmp_path):
    import shutil

    src = tmp_path / "src"
    shutil.copytree(finished_run, src)
    return src


def _hand_edit_npz(path):
    """Change one stored distance and save the archive again (a plausible hand edit)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k].copy() for k in data.files}
    key = next(k for k in arrays if k.startswith("d_"))
    arrays[key][0] = 1.0
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("damage", "fragments"),
    [
        (lambda d: _hand_edit_npz(d / "distances.npz"), ["distances.npz", "SHA-256", "run.json"]),
        (lambda d: (d / "distances.npz").write_bytes(b"PK\x03\x04 junk"), ["distances.npz"]),
        (lambda d: (d / "run.json").write_text("{not json"), ["run.json", "corrupt"]),
        (lambda d: (d / "run.json").write_text("[]"), ["run.json"]),
        (lambda d: (d / "candidates.gpkg").unlink(), ["candidates.gpkg"]),
    ],
)
def test_rescore_of_a_damaged_run_is_one_line(finished_run, tmp_path, damage, fragments):
    src = _copy_run(finished_run, tmp_path)
    damage(src)
    cfg = tmp_path / "c.toml"
    cfg.write_text("[criteria.school]\nweight = 5\n")
    out = tmp_path / "out"
    res = run("rescore", src, "--config", cfg, "--out", out)
    assert_one_clear_error(res, *fragments, out=out)


def test_rescore_of_an_intact_copy_works(finished_run, tmp_path):
    """Control for the test above: the copy itself is fine."""
    src = _copy_run(finished_run, tmp_path)
    cfg = tmp_path / "c.toml"
    cfg.write_text("[criteria.school]\nweight = 5\n")
    res = run("-q", "rescore", src, "--config", cfg, "--out", tmp_path / "out")
    assert res.exit_code == 0, res.output


def test_corrupt_distances_without_recorded_hash_is_refused(tmp_path):
    from geoschikt.outputs.distances import load_distances

    path = tmp_path / "distances.npz"
    path.write_bytes(b"PK\x03\x04 junk")
    with pytest.raises(InputFileError, match="corrupt"):
        load_distances(path)


# --- 10. minimum versions -------------------------------------------------------------------


def test_installed_dependencies_meet_the_security_minimums():
    """The environment the tests run in satisfies pyproject's (security) minimum versions."""
    import importlib.metadata
    import tomllib
    from pathlib import Path

    from packaging.requirements import Requirement

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    reqs = [Requirement(r) for r in pyproject["project"]["dependencies"]]
    assert {"requests", "pyarrow", "urllib3", "jinja2"} <= {r.name.lower() for r in reqs}
    for req in reqs:
        installed = importlib.metadata.version(req.name)
        assert req.specifier.contains(installed, prereleases=True), (req, installed)


# --- 5. locks, workers that die with their parent, leftovers of killed runs -------------------


def test_second_holder_of_a_lock_is_told_who_holds_it(tmp_path):
    """The holder is another process (flock locks are per open file, so a thread would do too,
    but a process is what happens in practice)."""
    from geoschikt.outputs.lock import LockedError, hold_lock

    out = tmp_path / "batch"
    code = (
        "import sys, time; from pathlib import Path; from geoschikt.outputs.lock import hold_lock\n"
        f"with hold_lock(Path({str(out)!r})):\n"
        "    print('held', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=_env())
    try:
        assert holder.stdout.readline().strip() == b"held"
        with pytest.raises(LockedError) as exc, hold_lock(out):
            pass
        assert f"pid {holder.pid}" in str(exc.value) and socket.gethostname() in str(exc.value)
    finally:
        holder.kill()
        holder.wait()
    with hold_lock(out) as record:  # kill -9 released it
        assert record["pid"] == os.getpid()


def test_lock_file_that_is_a_symlink_is_refused(tmp_path):
    from geoschikt.errors import OutputError
    from geoschikt.outputs.lock import LOCK_NAME, hold_lock

    victim = tmp_path / "victim"
    victim.write_text("keep")
    out = tmp_path / "batch"
    out.mkdir()
    (out / LOCK_NAME).symlink_to(victim)
    with pytest.raises(OutputError, match="lock file"), hold_lock(out):
        pass
    assert victim.read_text() == "keep"


def _env():
    from pathlib import Path

    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).parents[1])
    return env


WORKER_PARENT = """
import os, sys, time
from geoschikt.workers import worker_pool

def work(path):
    with open(path, "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(120)

if __name__ == "__main__":
    pool = worker_pool(2)
    futures = [pool.submit(work, p) for p in sys.argv[1:]]
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie counts as dead
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split(")")[-1].split()[0] != "Z"


def test_workers_die_when_their_parent_is_killed(tmp_path):
    import signal
    import time

    script = tmp_path / "parent.py"
    script.write_text(WORKER_PARENT)
    marks = [tmp_path / "w1", tmp_path / "w2"]
    parent = subprocess.Popen([sys.executable, str(script), *map(str, marks)], env=_env())
    deadline = time.monotonic() + 60
    while not all(m.exists() and m.read_text() for m in marks):
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.1)
    workers = [int(m.read_text()) for m in marks]
    assert all(_alive(w) for w in workers)
    parent.send_signal(signal.SIGKILL)  # the parent only, not its group
    parent.wait()
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)


def test_leftovers_of_a_dead_run_are_cleaned_a_live_ones_kept(tmp_path):
    from geoschikt.outputs.atomic import atomic_directory, owner_tag

    out = tmp_path / "run"
    host = owner_tag().split("-")[0]
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".run.tmp-{host}-{dead_pid}-abcd1234"
    stale_old = tmp_path / f".run.old-{host}-{dead_pid}-abcd1234"
    live = tmp_path / f".run.tmp-{host}-{os.getppid()}-abcd1234"  # a live process (pytest's parent)
    other_host = tmp_path / f".run.tmp-otherhost-{dead_pid}-abcd1234"
    for path in (stale, stale_old, live, other_host):
        path.mkdir()
        (path / "candidates.csv").write_text("x")
    with atomic_directory(out, overwrite=False) as tmp:
        (tmp / "a.txt").write_text("new")
    assert not stale.exists() and not stale_old.exists()
    assert live.exists() and other_host.exists()
    assert (out / "a.txt").read_text() == "new"


# --- batch: region ids, lock, damaged batch folders -----------------------------------------


def _tiles(tmp_path, ids):
    """Made-up rectangular regions (not real municipalities) over the real Delft extract."""
    import shapely

    left, bottom, right, top = 4.355, 51.995, 4.386, 52.005
    n = len(ids)
    xs = [left + (right - left) * i / n for i in range(n + 1)]
    rows = [
        {
            "statcode": rid,
            "statnaam": f"tile {i}",
            "geometry": shapely.box(xs[i], bottom, xs[i + 1], top),
        }
        for i, rid in enumerate(ids)
    ]
    path = tmp_path / "tiles.geojson"
    gpd.GeoDataFrame(rows, crs=4326).to_file(path)
    return path


@pytest.mark.slow  # a four-region batch
def test_batch_with_hostile_region_ids_keeps_every_region_apart(delft_pbf, tmp_path):
    from geoschikt.outputs.folders import folder_name

    ids = [".", "a/b", "a_b", "x" * 300]
    out = tmp_path / "batch"
    res = run("-q", "batch", "--osm", delft_pbf, "--regions", _tiles(tmp_path, ids), "--out", out)
    assert res.exit_code in (0, 1), res.output
    summary = pd.read_csv(out / "summary.csv", dtype=str, keep_default_na=False)
    assert sorted(summary["region_id"]) == sorted(ids)  # no row twice, none lost
    assert summary["folder"].is_unique
    for rid, folder in zip(summary["region_id"], summary["folder"], strict=True):
        assert folder == f"regions/{folder_name(rid)}"
        assert (out / folder).resolve().parent == (out / "regions").resolve()
        assert (out / "status" / f"{folder_name(rid)}.json").is_file()
    ok = summary[summary["status"] == "ok"]
    assert len(ok) >= 2
    for folder in ok["folder"]:
        run_json = json.loads((out / folder / "run.json").read_text())
        rid = summary.loc[summary["folder"] == folder, "region_id"].iloc[0]
        assert run_json["region"]["id"] == rid  # each folder holds its own region
    # candidates_all files each region's candidates under its own id
    allc = gpd.read_file(out / "candidates_all.gpkg", layer="candidates", engine="pyogrio")
    per_region = {
        rid: len(gpd.read_file(out / f / "candidates.gpkg", layer="candidates", engine="pyogrio"))
        for rid, f in zip(ok["region_id"], ok["folder"], strict=True)
    }
    assert allc.groupby("region_id").size().to_dict() == per_region


def test_batch_ids_that_collide_are_refused_with_the_list(delft_pbf, tmp_path):
    out = tmp_path / "batch"
    tiles = _tiles(tmp_path, ["Delft", "delft", "x"])
    res = run("batch", "--osm", delft_pbf, "--regions", tiles, "--out", out)
    assert_one_clear_error(res, "'Delft' = 'delft'")
    assert not out.exists()


def test_second_batch_on_the_same_out_exits_2_naming_the_holder(delft_pbf, tmp_path):
    out = tmp_path / "batch"
    code = (
        "import time; from pathlib import Path; from geoschikt.outputs.lock import hold_lock\n"
        f"with hold_lock(Path({str(out)!r}), 'batch'):\n"
        "    print('held', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=_env())
    try:
        assert holder.stdout.readline().strip() == b"held"
        res = run("batch", "--osm", delft_pbf, "--regions", _tiles(tmp_path, ["a"]), "--out", out)
        assert_one_clear_error(res, "in use", f"pid {holder.pid}")
    finally:
        holder.kill()
        holder.wait()


def test_empty_population_file_is_one_line(delft_pbf, tmp_path):
    empty = tmp_path / "population.csv"
    empty.write_text("")
    out = tmp_path / "batch"
    res = run(
        "batch",
        "--osm",
        delft_pbf,
        "--regions",
        _tiles(tmp_path, ["a"]),
        "--province",
        "Zuid-Holland",
        "--population",
        empty,
        "--out",
        out,
    )
    assert_one_clear_error(res, str(empty), "empty")


@pytest.mark.slow  # redoes both regions of a batch
def test_deleted_region_geopackage_and_corrupt_status_are_redone(
    delft_tiles_batch, delft_pbf, tmp_path
):
    batch, tiles = delft_tiles_batch
    out = tmp_path / "batch"
    shutil.copytree(batch, out)  # a finished batch (its copy counts as finished: test_batch)
    reference = pd.read_csv(out / "regions" / "T00" / "candidates.csv")
    (out / "regions" / "T00" / "candidates.gpkg").unlink()
    (out / "status" / "T01.json").write_bytes(b"\xff{not json")
    res = run("batch", "--osm", delft_pbf, "--regions", tiles, "--out", out)
    assert res.exit_code == 0, res.output
    assert "0 finished earlier" in res.output
    assert (out / "regions" / "T00" / "candidates.gpkg").is_file()
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "regions" / "T00" / "candidates.csv"), reference
    )


def test_osm_tag_value_over_1024_characters_is_one_line(tmp_path):
    """SYNTHETIC: a four-node building and a school whose name has 2000 characters."""
    nodes = [(1, 52.0, 4.36), (2, 52.0, 4.3603), (3, 52.0002, 4.3603), (4, 52.0002, 4.36)]
    xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    xml += [f'<node id="{i}" version="1" lat="{la}" lon="{lo}"/>' for i, la, lo in nodes]
    xml.append(
        '<node id="10" version="1" lat="52.001" lon="4.36"><tag k="amenity" v="school"/>'
        f'<tag k="name" v="{"x" * 2000}"/></node>'
    )
    xml.append(
        '<way id="100" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/>'
        '<nd ref="1"/><tag k="building" v="office"/></way></osm>'
    )
    osm = tmp_path / "long.osm"
    osm.write_text("\n".join(xml))
    out = tmp_path / "out"
    res = run("score", "--osm", osm, "--distance", "euclidean", "--out", out)
    assert_one_clear_error(res, str(osm), "255", out=out)
