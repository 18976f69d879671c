"""rescore rewrites suitability.tif from the cells' stored measurements: equal to a full run
with the new configuration, and its suitability band is the weighted mean of its score bands
(checked here with numpy, not through geoschikt's scoring)."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from geoschikt.cli import cli

NEW = """
[criteria.school]
weight = 6
near_m = 300
far_m = 1500
decay = "exponential"
[criteria.transit]
weight = 1
"""


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def bands(path):
    with rasterio.open(path) as src:
        data = src.read(masked=True).filled(np.nan)
        return dict(zip(src.descriptions, data, strict=True))


pytestmark = pytest.mark.slow  # a full run and a re-scored one to compare


@pytest.fixture(scope="module")
def runs(delft_pbf, tmp_path_factory):
    root = tmp_path_factory.mktemp("surface")
    config = root / "new.toml"
    config.write_text(NEW)
    base = root / "base"
    assert run("score", "-q", "--osm", delft_pbf, "--out", base).exit_code == 0
    rescored = root / "rescored"
    res = run("rescore", "-q", base, "--config", config, "--out", rescored)
    assert res.exit_code == 0, res.output
    full = root / "full"
    assert run("score", "-q", "--osm", delft_pbf, "--config", config, "--out", full).exit_code == 0
    return base, rescored, full


def test_rescored_surface_equals_a_full_run(runs):
    base, rescored, full = runs
    a, b = bands(rescored / "suitability.tif"), bands(full / "suitability.tif")
    assert list(a) == list(b)
    for name in a:
        np.testing.assert_allclose(a[name], b[name], atol=1e-3, equal_nan=True, err_msg=name)
    old = bands(base / "suitability.tif")
    assert not np.allclose(old["score_school"], a["score_school"], equal_nan=True)  # it changed


def test_suitability_band_is_the_weighted_mean(runs):
    _, rescored, _ = runs
    b = bands(rescored / "suitability.tif")
    import json

    config = json.loads((rescored / "run.json").read_text())["config"]["criteria"]
    keys = [n.removeprefix("score_") for n in b if n.startswith("score_")]
    w = np.array([config[k]["weight"] for k in keys], dtype=float)
    stack = np.stack([b[f"score_{k}"] for k in keys])
    expected = np.tensordot(w, stack, axes=1) / w.sum()
    # bands hold scores and suitability rounded to 0.1: up to 0.05 + 0.05 apart
    np.testing.assert_allclose(b["suitability"], expected, atol=0.1 + 1e-6, equal_nan=True)
