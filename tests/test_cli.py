"""The command line: outputs, the demo, and one clear line (exit 2, nothing written) for bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from geoschikt.cli import cli
from geoschikt.config import load_config
from geoschikt.hashing import file_sha256

from .conftest import assert_one_clear_error


def run(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


@pytest.fixture(scope="module")
def delft_out(delft_pbf, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "delft"
    res = run("-q", "score", "--osm", delft_pbf, "--area-name", "Delft", "--out", out)
    assert res.exit_code == 0, res.output
    return out


def test_score_writes_all_outputs(delft_out, delft_pbf):
    assert sorted(p.name for p in delft_out.iterdir()) == [
        "candidates.csv",
        "candidates.gpkg",
        "distances.npz",
        "map.html",
        "run.json",
        "suitability.qml",
        "suitability.tif",
        "surface.npz",
    ]
    layers = {name for name, _ in pyogrio.list_layers(delft_out / "candidates.gpkg")}
    assert {"candidates", "pois", "area"} <= layers
    cands = gpd.read_file(delft_out / "candidates.gpkg", layer="candidates")
    assert cands.crs.to_epsg() == 28992
    for key in ("transit", "school", "supermarket", "gp", "pharmacy", "reception"):
        assert {f"dist_{key}_m", f"score_{key}"} <= set(cands.columns)
    assert {"candidate_id", "suitability", "rank", "passes", "fails", "snap_walk_m"} <= set(
        cands.columns
    )
    assert cands["suitability"].between(0, 100).all()
    assert cands["rank"].min() == 1
    pois = gpd.read_file(delft_out / "candidates.gpkg", layer="pois")
    assert "category" in pois.columns
    table = pd.read_csv(delft_out / "candidates.csv")
    assert len(table) == len(cands)
    assert table["rank"].is_monotonic_increasing
    # no pharmacy anywhere in the extract: not assessed (not a score of 0), the note says why,
    # and the total is the weighted mean of the assessed criteria alone
    for col in ("dist_pharmacy_m", "score_pharmacy", "points_pharmacy"):
        assert table[col].isna().all(), col
    assert (table["note_pharmacy"] == "niet beoordeeld: geen apotheek in de data").all()  # nl
    config = load_config()
    assessed = [c for c in config.criteria if c.key not in ("pharmacy", "reception")]
    total = sum(c.weight * table[f"score_{c.key}"] for c in assessed) / sum(
        c.weight for c in assessed
    )
    np.testing.assert_allclose(table["suitability"], total, atol=0.06)
    run = json.loads((delft_out / "run.json").read_text())
    assert run["criteria_not_assessed"]["pharmacy"] == "no pharmacy in the data"
    assert run["criteria_not_assessed_codes"]["pharmacy"] == {
        "code": "not_in_data",
        "params": {"label": {"nl": "apotheek", "en": "pharmacy"}},
    }


def test_run_json_records_inputs_and_config(delft_out, delft_pbf):
    run_json = json.loads((delft_out / "run.json").read_text())
    osm = run_json["inputs"][0]
    assert osm["sha256"] == file_sha256(delft_pbf)
    assert run_json["osm_data_timestamp"].startswith("2025-08")
    assert run_json["config"]["criteria"]["transit"]["max_m"] == 500
    assert run_json["geoschikt_version"]
    assert run_json["area"]["name"] == "Delft (relation 324269)"
    assert set(run_json["timings_s"]) >= {
        "reading OSM data",
        "measuring distances",
        "writing outputs",
    }
    for name in ("candidates.csv", "candidates.gpkg", "map.html"):
        assert run_json["outputs"][name]["sha256"] == file_sha256(delft_out / name)


def test_area_name_restricts_candidates_to_delft(delft_out):
    area = gpd.read_file(delft_out / "candidates.gpkg", layer="area")
    cands = gpd.read_file(delft_out / "candidates.gpkg", layer="candidates")
    assert area.geometry.union_all().buffer(1).contains(cands.geometry.representative_point()).all()


def test_existing_output_is_not_overwritten(delft_out, delft_pbf):
    before = {p.name: file_sha256(p) for p in delft_out.iterdir()}
    res = run("score", "--osm", delft_pbf, "--out", delft_out)
    assert_one_clear_error(res, "already exists", "--overwrite")
    assert {p.name: file_sha256(p) for p in delft_out.iterdir()} == before


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--osm", "/no/such.osm.pbf"], ["does not exist"]),
        (["--area-name", "Atlantis"], ["no administrative boundary named 'Atlantis'"]),
        (["--config", "BAD"], ["unknown config key 'criteria.transit.wieght'", "weight"]),
        (["--area-file", "EMPTY_AREA"], ["no buildings"]),
        (["--candidates", "NOGEOM"], ["no geometry", "lon"]),
        (["--candidates", "WRONGCRS"], ["look like metres"]),
    ],
)
def test_bad_input_gives_one_line_and_writes_nothing(delft_pbf, tmp_path, args, fragments):
    bad_cfg = tmp_path / "bad.toml"
    bad_cfg.write_text("[criteria.transit]\nwieght = 3\n")
    empty_area = tmp_path / "sea.geojson"
    gpd.GeoDataFrame(
        geometry=[gpd.points_from_xy([3.0], [52.5])[0].buffer(0.01)], crs=4326
    ).to_file(empty_area)
    nogeom = tmp_path / "sites.csv"
    nogeom.write_text("id,name\n1,a\n")
    wrongcrs = tmp_path / "rd_as_wgs84.geojson"
    gpd.GeoDataFrame(
        {"id": [1]}, geometry=gpd.points_from_xy([85000.0], [446000.0]), crs=4326
    ).to_file(wrongcrs)
    subst = {"BAD": bad_cfg, "EMPTY_AREA": empty_area, "NOGEOM": nogeom, "WRONGCRS": wrongcrs}
    args = [subst.get(a, a) for a in args]
    if "--osm" not in args:
        args = ["--osm", delft_pbf, *args]
    out = tmp_path / "out"
    res = run("score", *args, "--out", out)
    assert_one_clear_error(res, *fragments)
    assert not out.exists()
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_interrupted_write_leaves_previous_output_intact(delft_pbf, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert (
        run("-q", "score", "--osm", delft_pbf, "--distance", "euclidean", "--out", out).exit_code
        == 0
    )
    before = {p.name: file_sha256(p) for p in out.iterdir()}

    def boom(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr("geoschikt.outputs.write.write_map", boom)
    res = run("score", "--osm", delft_pbf, "--distance", "euclidean", "--out", out, "--overwrite")
    assert res.exit_code == 130
    assert {p.name: file_sha256(p) for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.slow  # its own full run
def test_user_candidates_keep_their_columns(delft_pbf, tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "site,naam,lon,lat\nA1,Oude school,4.3695,51.9985\nB2,Kantoor <b>x</b>,4.3770,52.0010\n"
    )
    out = tmp_path / "out"
    res = run(
        "-q",
        "score",
        "--osm",
        delft_pbf,
        "--candidates",
        sites,
        "--id-column",
        "site",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "candidates.csv")
    assert set(table["candidate_id"]) == {"A1", "B2"}
    assert {"site", "naam", "dist_transit_m"} <= set(table.columns)
    assert table["dist_transit_m"].notna().all()


@pytest.mark.slow  # its own Delft run
def test_user_candidates_in_rd_new_geopackage(delft_pbf, tmp_path):
    pts = gpd.GeoDataFrame(
        {"id": ["x"]}, geometry=gpd.points_from_xy([4.3695], [51.9985]), crs=4326
    )
    path = tmp_path / "sites.gpkg"
    pts.to_crs(28992).to_file(path)
    res = run("-q", "score", "--osm", delft_pbf, "--candidates", path, "--out", tmp_path / "o")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "o" / "candidates.csv")
    assert table["lon"].iloc[0] == pytest.approx(4.3695, abs=1e-6)


def test_config_show_prints_effective_toml(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[criteria.gp]\nweight = 9\n")
    res = run("config", "show", "--config", cfg)
    assert res.exit_code == 0
    assert "[criteria.gp]" in res.output and "weight = 9" in res.output


@pytest.mark.slow  # its own full run (the shipped Dutch extract)
def test_demo_runs_offline_on_the_shipped_dutch_extract(tmp_path):
    out = tmp_path / "demo"
    res = run("demo", "--out", out)
    assert res.exit_code == 0, res.output
    assert "TU Delft" in res.output and "Top candidates" in res.output
    assert ", 2628 " in res.output  # the top list names Delft addresses, not OSM ids
    # places are a whole number (then suitability, passes): "44", not "44.0"
    assert re.search(r" \d+ +\d+\.\d +(True|False)\n", res.output)
    assert not re.search(r"\d\.0 +\d+\.\d +(True|False)\n", res.output)
    assert (out / "map.html").is_file()
    table = pd.read_csv(out / "candidates.csv")
    assert table["rank"].nunique() > 20  # ranks that differ
    assert table["address"].notna().mean() > 0.9
    again = run("demo", "--out", out)  # replacing an earlier demo is allowed
    assert again.exit_code == 0, again.output


def test_shipped_demo_extract_is_small_attributed_and_packaged():
    from geoschikt.datasets import example_osm

    path = example_osm()
    assert path.stat().st_size <= 2_000_000
    readme = (
        (path.parent / "README.md").read_text() if (path.parent / "README.md").is_file() else ""
    )
    root = Path(__file__).resolve().parents[1]
    readme += (root / "data" / "README.md").read_text()
    assert "ODbL" in readme and "© OpenStreetMap contributors" in readme
    assert '"data/delft-tu-zuid.osm.pbf"' in (root / "pyproject.toml").read_text()


@pytest.mark.slow  # its own full run (Helsinki)
def test_demo_helsinki_is_still_available(tmp_path):
    res = run("-q", "demo", "--helsinki", "--out", tmp_path / "hel")
    assert res.exit_code == 0, res.output
    assert "Helsinki" in res.output


def test_console_script_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "geoschikt", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "geoschikt" in proc.stdout
