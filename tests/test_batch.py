"""Batch scoring: one parse for many regions, equality with single runs, resume after kill -9,
parallel and Dask runs giving the same outputs, and fast re-scoring."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from geoschikt.batch import select_regions
from geoschikt.cli import cli
from geoschikt.outputs import write
from geoschikt.regions import read_regions

from .conftest import NL, grid_regions

CODES = "GM0503,GM1926"  # Delft and Pijnacker-Nootdorp: both boundaries are in the extract


def regions_file() -> Path:
    path = NL / "gemeenten_2022.geojson"
    if not path.is_file():
        pytest.skip(f"needs {path} (the project's shared data next to the repo, ../shared)")
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def outputs_of(out: Path) -> dict[str, pd.DataFrame]:
    """What must be equal between runs (timings and paths aside)."""
    found = {
        "summary": pd.read_csv(out / "summary.csv", dtype={"region_id": str}).drop(
            columns=["seconds"]
        )
    }
    for csv in sorted((out / "regions").glob("*/candidates.csv")):
        found[csv.parent.name] = pd.read_csv(csv)
    if (out / "candidates_all.gpkg").is_file():
        found["all"] = pd.DataFrame(gpd.read_file(out / "candidates_all.gpkg", layer="candidates"))
    return found


def assert_same_outputs(a: Path, b: Path) -> None:
    left, right = outputs_of(a), outputs_of(b)
    assert left.keys() == right.keys()
    for key in left:
        pd.testing.assert_frame_equal(left[key], right[key], check_dtype=False, obj=key)


def assert_same_geopackages(expected: Path, got: Path) -> None:
    """Every GeoPackage in ``got`` reads back as the one in ``expected`` (all layers, columns,
    types and geometries; timings aside), passes SQLite's integrity check and opens in GDAL."""
    names = sorted(p.relative_to(expected) for p in expected.rglob("*.gpkg"))
    assert names == sorted(p.relative_to(got) for p in got.rglob("*.gpkg"))
    for name in names:
        path = got / name
        with sqlite3.connect(path) as con:
            assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)], name
        layers = pyogrio.list_layers(path).tolist()
        assert layers == pyogrio.list_layers(expected / name).tolist(), name
        for layer, _ in layers:
            info = pyogrio.read_info(path, layer=layer)
            assert info["features"] == pyogrio.read_info(expected / name, layer=layer)["features"]
            a, b = (
                gpd.read_file(p, layer=layer).drop(columns=["seconds"], errors="ignore")
                for p in (expected / name, path)
            )
            pd.testing.assert_frame_equal(a, b, obj=f"{name}:{layer}")
            if isinstance(a, gpd.GeoDataFrame):  # layer_styles is a plain table
                assert (
                    shapely.to_wkb(a.geometry.values) == shapely.to_wkb(b.geometry.values)
                ).all()


@pytest.fixture(scope="module")
def two_region_batch(delft_pbf, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "out"
    res = run(
        "batch", "--osm", delft_pbf, "--regions", regions_file(), "--codes", CODES, "--out", out
    )
    return out, res


def test_delft_and_pijnacker_batch_finishes_and_reports_the_empty_region(two_region_batch):
    out, res = two_region_batch
    assert res.exit_code == 1, res.output  # one region without candidates: non-zero, but finished
    summary = pd.read_csv(out / "summary.csv").set_index("region_id")
    assert summary.loc["GM0503", "status"] == "ok"
    assert summary.loc["GM0503", "candidates"] > 100
    assert summary.loc["GM1926", "status"] == "no candidates"
    assert "no buildings" in summary.loc["GM1926", "reason"]
    assert "GM1926 Pijnacker-Nootdorp: no candidates" in res.output
    assert {"summary.csv", "candidates_all.gpkg", "index.html", "batch.json"} <= {
        p.name for p in out.iterdir()
    }
    html = (out / "index.html").read_text()
    assert "regions/GM0503/map.html" in html and "OpenStreetMap contributors" in html
    assert not (out / ".work").exists()  # inputs cut from the extract are removed when done


@pytest.mark.slow  # a second full run to compare against
def test_batch_result_for_delft_equals_a_single_score_run(two_region_batch, delft_pbf, tmp_path):
    out, _ = two_region_batch
    regions = gpd.read_file(regions_file())
    area = tmp_path / "delft.geojson"
    regions[regions["statcode"] == "GM0503"].to_file(area)
    single = tmp_path / "single"
    assert (
        run("-q", "score", "--osm", delft_pbf, "--area-file", area, "--out", single).exit_code == 0
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(single / "candidates.csv"),
        pd.read_csv(out / "regions" / "GM0503" / "candidates.csv"),
    )


def test_rerun_skips_finished_regions(two_region_batch, delft_pbf):
    out, _ = two_region_batch
    before = (out / "regions" / "GM0503" / "run.json").stat().st_mtime_ns
    res = run(
        "batch", "--osm", delft_pbf, "--regions", regions_file(), "--codes", CODES, "--out", out
    )
    assert res.exit_code == 1
    assert "2 region(s): 2 finished earlier, 0 to do" in res.output
    assert (out / "regions" / "GM0503" / "run.json").stat().st_mtime_ns == before


@pytest.mark.slow  # redoes both regions of a batch
def test_changed_config_makes_regions_stale(delft_tiles_batch, delft_pbf, tmp_path):
    batch, tiles = delft_tiles_batch
    out = tmp_path / "out"
    shutil.copytree(batch, out)  # a finished batch with the default config
    same = run("batch", "--osm", delft_pbf, "--regions", tiles, "--out", out)
    assert "2 finished earlier, 0 to do" in same.output  # the copy counts as finished
    cfg = tmp_path / "w.toml"
    cfg.write_text("[criteria.school]\nweight = 6\n")
    res = run("batch", "--osm", delft_pbf, "--regions", tiles, "--config", cfg, "--out", out)
    assert "0 finished earlier, 2 to do" in res.output
    run_json = json.loads((out / "regions" / "T00" / "run.json").read_text())
    assert run_json["config"]["criteria"]["school"]["weight"] == 6


KILLED_IN_THE_THIRD_REGION = """
import os, signal
from geoschikt.cli import main
from geoschikt.outputs import write

real, maps = write.write_map, []

def write_map(*args, **kwargs):  # the third region dies half-way through writing its outputs
    maps.append(1)
    if len(maps) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)

write.write_map = write_map
main()
"""


@pytest.mark.slow  # kill -9 of a child process, then two more batches
def test_kill_9_mid_batch_then_resume_gives_the_same_outputs(delft_pbf, tmp_path):
    """A batch killed (SIGKILL, no clean-up) while writing its third region resumes with the
    two finished regions kept and gives what an uninterrupted batch gives. The kill comes from
    inside the batch process at a fixed point, so the test cannot race the batch."""
    tiles = grid_regions(tmp_path, 4)
    reference = tmp_path / "reference"
    assert (
        run("-q", "batch", "--osm", delft_pbf, "--regions", tiles, "--out", reference).exit_code
        == 0
    )

    out = tmp_path / "killed"
    args = ["-q", "batch", "--osm", str(delft_pbf), "--regions", str(tiles), "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_IN_THE_THIRD_REGION, *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert len(list((out / "status").glob("*.json"))) == 2
    assert list(out.glob("regions/.*.tmp-*")), "the third region was not cut off mid-write"

    res = run("batch", "--osm", delft_pbf, "--regions", tiles, "--out", out)
    assert res.exit_code == 0, res.output
    assert "2 finished earlier, 2 to do" in res.output
    assert not list(out.rglob("*.tmp-*")) and not list(out.rglob(".*.old-*"))
    assert_same_outputs(reference, out)


@pytest.mark.slow  # starts worker processes (and a Dask cluster)
def test_two_jobs_and_a_dask_cluster_give_the_same_outputs(delft_pbf, tmp_path):
    distributed = pytest.importorskip("distributed")
    tiles = grid_regions(tmp_path, 3)
    serial, parallel, dask_out = tmp_path / "serial", tmp_path / "jobs2", tmp_path / "dask"
    assert (
        run("-q", "batch", "--osm", delft_pbf, "--regions", tiles, "--out", serial).exit_code == 0
    )
    res = run("-q", "batch", "--osm", delft_pbf, "--regions", tiles, "--jobs", 2, "--out", parallel)
    assert res.exit_code == 0, res.output
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        res = run(
            "-q",
            "batch",
            "--osm",
            delft_pbf,
            "--regions",
            tiles,
            "--scheduler",
            cluster.scheduler_address,
            "--out",
            dask_out,
        )
        assert res.exit_code == 0, res.output
    assert_same_outputs(serial, parallel)
    assert_same_outputs(serial, dask_out)


def test_unreachable_scheduler_is_one_clear_line(delft_pbf, tmp_path):
    pytest.importorskip("distributed")
    tiles = grid_regions(tmp_path, 2)
    res = run(
        "batch",
        "--osm",
        delft_pbf,
        "--regions",
        tiles,
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--scheduler-timeout",
        1,
        "--out",
        tmp_path / "o",
    )
    assert res.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.output


@pytest.mark.slow  # a second batch to compare against
def test_rescore_equals_a_full_run_with_the_new_config(two_region_batch, delft_pbf, tmp_path):
    out, _ = two_region_batch
    cfg = tmp_path / "new.toml"
    cfg.write_text(
        "[criteria.transit]\nweight = 1\nmax_m = 400\n[criteria.gp]\nweight = 5\ndecay = 'linear'\n"
    )
    rescored, full = tmp_path / "rescored", tmp_path / "full"
    res = run("rescore", out, "--config", cfg, "--out", rescored)
    assert res.exit_code == 1, res.output  # the empty region is still reported
    assert (
        run(
            "-q",
            "batch",
            "--osm",
            delft_pbf,
            "--regions",
            regions_file(),
            "--codes",
            CODES,
            "--config",
            cfg,
            "--out",
            full,
        ).exit_code
        == 1
    )
    assert_same_outputs(full, rescored)
    assert_same_geopackages(full, rescored)


@pytest.mark.slow  # starts worker processes (and a Dask cluster)
def test_rescore_in_parallel_gives_the_same_outputs(delft_pbf, tmp_path):
    tiles = grid_regions(tmp_path, 3)
    out = tmp_path / "batch"
    assert run("-q", "batch", "--osm", delft_pbf, "--regions", tiles, "--out", out).exit_code == 0
    cfg = tmp_path / "new.toml"
    cfg.write_text("[criteria.school]\nweight = 5\n")
    one, two = tmp_path / "r1", tmp_path / "r2"
    assert run("-q", "rescore", out, "--config", cfg, "--out", one).exit_code == 0
    assert run("-q", "rescore", out, "--config", cfg, "--jobs", 2, "--out", two).exit_code == 0
    assert_same_outputs(one, two)
    assert outputs_of(one).keys() >= {"T00", "T01", "T02"}


@pytest.mark.slow  # two full runs to compare
def test_rescore_of_a_single_run_and_its_limits(delft_pbf, tmp_path):
    first = tmp_path / "first"
    assert (
        run("-q", "score", "--osm", delft_pbf, "--distance", "euclidean", "--out", first).exit_code
        == 0
    )
    cfg = tmp_path / "w.toml"
    cfg.write_text("[criteria.school]\nweight = 9\n")
    again = tmp_path / "again"
    res = run("rescore", first, "--config", cfg, "--out", again)
    assert res.exit_code == 0, res.output
    full = tmp_path / "full"
    assert (
        run(
            "-q",
            "score",
            "--osm",
            delft_pbf,
            "--distance",
            "euclidean",
            "--config",
            cfg,
            "--out",
            full,
        ).exit_code
        == 0
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(again / "candidates.csv"), pd.read_csv(full / "candidates.csv")
    )
    assert_same_geopackages(full, again)

    longer = tmp_path / "longer.toml"
    longer.write_text("[criteria.school]\nfar_m = 6000\nmax_m = 6000\n")
    res = run("rescore", first, "--config", longer, "--out", tmp_path / "x")
    assert res.exit_code == 2
    assert (
        "cannot re-score without measuring again: criterion 'school' now looks 6000 m far"
        in res.output
    )
    assert not (tmp_path / "x").exists()


@pytest.mark.slow  # a second batch to compare against
def test_rescore_with_other_columns_and_a_failed_write(
    delft_tiles_batch, delft_pbf, tmp_path, monkeypatch
):
    out, tiles = delft_tiles_batch  # only read: the re-scored runs go elsewhere

    # a criterion switched off: the candidate columns change
    off = tmp_path / "off.toml"
    off.write_text("[criteria.pharmacy]\nenabled = false\n")
    rescored, full = tmp_path / "rescored", tmp_path / "full"
    assert run("-q", "rescore", out, "--config", off, "--out", rescored).exit_code == 0
    assert (
        run(
            "-q", "batch", "--osm", delft_pbf, "--regions", tiles, "--config", off, "--out", full
        ).exit_code
        == 0
    )
    assert_same_outputs(full, rescored)
    assert_same_geopackages(full, rescored)

    weights = tmp_path / "w.toml"
    weights.write_text("[criteria.school]\nweight = 7\n")

    # a failure while writing leaves no output directory and nothing half-written
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(write, "write_map", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run("-q", "rescore", out, "--config", weights, "--out", tmp_path / "never")
    assert not (tmp_path / "never").exists()
    assert not list(tmp_path.glob(".never*"))


def test_read_regions_by_province(delft_pbf):
    regions = select_regions(
        read_regions(regions_file()),
        province="zuid-holland",
        population=NL / "gemeenten_kerncijfers_2021.csv",
    )
    assert {"GM0503", "GM1926"} <= set(regions["region_id"])
    assert 40 < len(regions) < 60


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--codes", "GM9999"], "region code(s) GM9999 are not in"),
        (["--province", "Atlantis", "--population", "POP"], "province 'Atlantis' is not in"),
        (["--id-column", "nope"], "has no column 'nope' (--id-column)"),
    ],
)
def test_bad_batch_input(delft_pbf, tmp_path, args, fragment):
    args = [NL / "gemeenten_kerncijfers_2021.csv" if a == "POP" else a for a in args]
    res = run(
        "batch", "--osm", delft_pbf, "--regions", regions_file(), *args, "--out", tmp_path / "o"
    )
    assert res.exit_code == 2, res.output
    assert fragment in res.output
    assert "Traceback" not in res.output
