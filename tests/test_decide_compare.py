"""`geoschikt compare` on the real Delft run and a re-score of it with other weights and a
stricter transit curve; Kendall's tau checked against a plain O(n^2) count of pairs."""

from __future__ import annotations

import hashlib
import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geoschikt.cli import cli
from tests.conftest import assert_one_clear_error


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


def plain_tau_b(x: list[int], y: list[int]) -> float:
    concordant = discordant = ties_x = ties_y = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = x[i] - x[j], y[i] - y[j]
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            ties_x += 1
        elif dy == 0:
            ties_y += 1
        elif (dx > 0) == (dy > 0):
            concordant += 1
        else:
            discordant += 1
    return (concordant - discordant) / math.sqrt(
        (concordant + discordant + ties_x) * (concordant + discordant + ties_y)
    )


@pytest.fixture(scope="module")
def delft_b(delft_run_dir, tmp_path_factory):
    """Run B: the Delft run re-scored with school weighted up and stricter school and transit
    curves."""
    base = tmp_path_factory.mktemp("cmp")
    toml = base / "b.toml"
    toml.write_text(
        "[criteria.school]\nweight = 4\nnear_m = 200\nfar_m = 1500\n"
        "[criteria.transit]\nweight = 1\nfar_m = 400\n"
    )
    out = base / "delft-b"
    result = invoke("rescore", delft_run_dir, "--config", toml, "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def compared(delft_run_dir, delft_b, tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp-out") / "cmp"
    result = invoke("compare", delft_run_dir, delft_b, "--top", 20, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_ranks_and_top_changes(delft_run_dir, delft_b, compared):
    a = pd.read_csv(delft_run_dir / "candidates.csv").set_index("candidate_id")
    b = pd.read_csv(delft_b / "candidates.csv").set_index("candidate_id")
    table = pd.read_csv(compared / "comparison.csv").set_index("candidate_id")
    assert set(table.index) == set(a.index) == set(b.index)
    assert (table["rank_a"] == a.loc[table.index, "rank"]).all()
    assert (table["rank_change"] == a.loc[table.index, "rank"] - b.loc[table.index, "rank"]).all()
    top_a, top_b = set(a.index[a["rank"] <= 20]), set(b.index[b["rank"] <= 20])
    assert set(table.index[table["top_change"] == "entered top"]) == top_b - top_a
    assert set(table.index[table["top_change"] == "left top"]) == top_a - top_b
    assert top_b - top_a, "the new weights should change the top 20"
    record = json.loads((compared / "comparison.json").read_text())
    assert record["top_overlap"] == len(top_a & top_b)
    ids = list(a.index)
    tau = plain_tau_b(a.loc[ids, "rank"].tolist(), b.loc[ids, "rank"].tolist())
    assert record["kendall_tau_b"] == pytest.approx(tau, abs=1e-4)
    assert 0 < tau < 1


def test_criteria_that_moved(delft_run_dir, delft_b, compared):
    a = pd.read_csv(delft_run_dir / "candidates.csv").set_index("candidate_id")
    b = pd.read_csv(delft_b / "candidates.csv").set_index("candidate_id").loc[a.index]
    crit = pd.read_csv(compared / "criteria_changes.csv").set_index("criterion")
    moved = int(((a["score_transit"] - b["score_transit"]).abs() > 0.05).sum())
    assert moved > 0 and crit.loc["transit", "score_changed"] == moved
    assert crit.loc["supermarket", "score_changed"] == 0  # unchanged criterion
    assert (crit.loc["school", "weight_a"], crit.loc["school", "weight_b"]) == (2, 4)
    assert crit.loc["supermarket", "distance_changed"] == 0  # same measurements
    # a shorter reach empties transit distances beyond it: that is a change in the table
    da, db = a["dist_transit_m"], b["dist_transit_m"]
    emptied = int((da.isna() != db.isna()).sum() + ((da - db).abs() > 0.05).sum())
    assert emptied > 0 and crit.loc["transit", "distance_changed"] == emptied
    assert not crit.loc["reception", "assessed_a"]


def test_map_shows_the_change(compared):
    page = (compared / "map.html").read_text()
    assert "Nieuw in de top 20" in page and "Eerder (delft)" in page


def test_a_run_against_itself(delft_run_dir, tmp_path):
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in delft_run_dir.iterdir()}
    out = tmp_path / "same"
    result = invoke("compare", delft_run_dir, delft_run_dir, "--lang", "en", "--out", out)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "comparison.json").read_text())
    assert record["kendall_tau_b"] == 1.0 and record["rank_changed"] == 0
    assert record["entered_top"] == record["left_top"] == 0
    assert record["top_overlap_share"] == 1.0
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in delft_run_dir.iterdir()}
    assert after == before
    assert np.isclose(pd.read_csv(out / "criteria_changes.csv")["score_changed"], 0).all()


def test_not_a_run(delft_run_dir, tmp_path):
    out = tmp_path / "cmp"
    result = invoke("compare", delft_run_dir, tmp_path, "--out", out)
    assert_one_clear_error(result, "not a geoschikt run directory", out=out)
