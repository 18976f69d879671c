"""The same output options on score, batch and rescore; rescore says what moved in the top 10.

Runs on the real Delft extract; the batch uses made-up tiles of it (tests/test_batch.py).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from geoschikt.cli import cli
from geoschikt.scoring import top_k_changes

from .test_batch import grid_regions


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _map_data(path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def scored(delft_pbf, tmp_path_factory):
    out = tmp_path_factory.mktemp("opts") / "score"
    res = run("score", "-q", "--osm", delft_pbf, "--xlsx", "--csv-dialect", "nl", "--out", out)
    assert res.exit_code == 0, res.output
    return out


def test_quiet_after_the_command_and_table_options(scored):
    assert (scored / "candidates.xlsx").is_file()
    assert (scored / "candidates.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    run_json = json.loads((scored / "run.json").read_text())
    assert run_json["config"]["output"] == {"csv_dialect": "nl", "xlsx": True}


@pytest.mark.slow  # two multi-region batches
def test_batch_takes_the_map_and_table_options(delft_pbf, tmp_path):
    out = tmp_path / "batch"
    res = run(
        "batch",
        "-q",
        "--osm",
        delft_pbf,
        "--regions",
        grid_regions(tmp_path, 2),
        "--blur",
        "250",
        "--lang",
        "en",
        "--csv-dialect",
        "nl",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    for region in ("T00", "T01"):
        page = _map_data(out / "regions" / region / "map.html")
        assert '"blur_m":250' in page.replace(" ", "") and 'lang="en"' in page
        assert (out / "regions" / region / "candidates.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    # --overwrite scores every region again, even finished ones
    again = run(
        "batch",
        "--osm",
        delft_pbf,
        "--regions",
        tmp_path / "tiles.geojson",
        "--blur",
        "250",
        "--lang",
        "en",
        "--csv-dialect",
        "nl",
        "--out",
        out,
        "--overwrite",
    )
    assert again.exit_code == 0, again.output
    assert "2 to do" in again.output or "[2/2]" in again.output


def test_rescore_takes_the_options_and_reports_the_top_10(scored, tmp_path):
    weights = tmp_path / "w.toml"
    weights.write_text("[criteria.transit]\nweight = 0\n[criteria.school]\nweight = 9\n")
    out = tmp_path / "re"
    res = run("rescore", scored, "--config", weights, "--blur", "250", "--out", out)
    assert res.exit_code == 0, res.output
    before = pd.read_csv(scored / "candidates.csv", sep=";", decimal=",", encoding="utf-8-sig")
    after = pd.read_csv(out / "candidates.csv", sep=";", decimal=",", encoding="utf-8-sig")
    old = set(before.loc[before["rank"] <= 10, "candidate_id"])
    new = set(after.loc[after["rank"] <= 10, "candidate_id"])
    assert f"Top 10: {len(new - old)} entered, {len(old - new)} left." in res.output
    for cid in new - old:
        assert f"  + {cid}: rank" in res.output
    assert '"blur_m":250' in _map_data(out / "map.html").replace(" ", "")
    assert (out / "candidates.xlsx").is_file()  # the run's own [output] is kept


def test_top_k_changes_against_sets():
    before = pd.DataFrame({"candidate_id": list("abcdef"), "rank": [1, 2, 3, 4, 5, 6]})
    after = pd.DataFrame({"candidate_id": list("abcdef"), "rank": [3, 1, 5, 2, 4, 6]})
    moves = top_k_changes(before, after, 3)
    assert moves.entered == [("d", 4, 2)]
    assert moves.left == [("c", 3, 5)]
    assert moves.reordered == 2  # a 1->3, b 2->1
