"""robustness / select / compare on a batch directory: real Delft OSM data cut into made-up
rectangular regions (tests.conftest.grid_regions), all regions together or one."""

from __future__ import annotations

import bisect
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from geoschikt.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


pytestmark = pytest.mark.slow  # a multi-region batch (shared with other slow tests)


@pytest.fixture(scope="module")
def batch_dir(delft_tiles_batch):
    return delft_tiles_batch[0]  # only read: robustness, select and compare write elsewhere


def plain_rank(frame: pd.DataFrame) -> list[int]:
    keys = [(not p, -s) for p, s in zip(frame["passes"], frame["suitability"], strict=True)]
    ordered = sorted(keys)
    return [bisect.bisect_left(ordered, k) + 1 for k in keys]


def regions(batch: object) -> dict[str, pd.DataFrame]:
    return {
        p.parent.name: pd.read_csv(p) for p in sorted((batch / "regions").glob("*/candidates.csv"))
    }


def test_robustness_over_all_regions_ranks_them_together(batch_dir, tmp_path):
    per_region = regions(batch_dir)
    assert len(per_region) == 2
    out = tmp_path / "rob"
    result = invoke("robustness", batch_dir, "--spread", "0", "--samples", 5, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "robustness.csv").set_index("candidate_id")
    together = pd.concat(per_region.values(), ignore_index=True)
    together["rank_all"] = plain_rank(together)
    ranks = together.set_index("candidate_id")["rank_all"]
    assert (table["rank_median"] == ranks.loc[table.index]).all()
    assert set(table["region_id"]) == set(per_region)
    record = json.loads((out / "robustness.json").read_text())
    assert set(record["runs"][0]["run_json_sha256"]) == set(per_region)


def test_one_region_keeps_its_own_ranks(batch_dir, tmp_path):
    name, frame = next(iter(regions(batch_dir).items()))
    out = tmp_path / "rob"
    result = invoke(
        "robustness", batch_dir, "--region", name, "--spread", "0", "--samples", 3, "--out", out
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "robustness.csv").set_index("candidate_id")
    assert (table["rank_median"] == frame.set_index("candidate_id")["rank"].loc[table.index]).all()


def test_select_and_compare_on_a_batch(batch_dir, tmp_path):
    out = tmp_path / "sel"
    result = invoke("select", batch_dir, "--k", 4, "--min-spacing-m", 300, "--out", out)
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "selection.csv")) == 4
    out = tmp_path / "cmp"
    result = invoke("compare", batch_dir, batch_dir, "--out", out)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "comparison.json").read_text())["kendall_tau_b"] == 1.0


def test_unknown_region(batch_dir, tmp_path):
    out = tmp_path / "rob"
    result = invoke("robustness", batch_dir, "--region", "nowhere", "--out", out)
    assert result.exit_code == 2 and "no scored region 'nowhere'" in result.output
    assert not out.exists()
