"""`geoschikt robustness`: rank acceptability checked against an independent plain-Python Monte
Carlo of the same rule, on the real Delft run and a small SYNTHETIC score matrix."""

from __future__ import annotations

import bisect
import hashlib
import json
import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geoschikt.cli import cli
from geoschikt.decide.robustness import one_at_a_time, rank_acceptability, sample_weights
from geoschikt.decide.runs import open_run
from tests.conftest import assert_one_clear_error


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


def digest(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


# --- an independent, plain-Python Monte Carlo of the rule in the issue -----------------------


def plain_ranks(scores: list[list[float]], passes: list[bool], w: list[float]) -> list[int]:
    """Rank 1 = best: passing first, then by the weighted mean rounded to 0.1; ties share the
    lowest rank (1 + how many candidates are strictly better)."""
    total = sum(w)
    keys = []
    for row, ok in zip(scores, passes, strict=True):
        suit = round(sum(wi / total * si for wi, si in zip(w, row, strict=True)), 1)
        keys.append((0 if ok else 1, -suit))
    ordered = sorted(keys)
    return [bisect.bisect_left(ordered, k) + 1 for k in keys]


def plain_monte_carlo(scores, passes, weights, samples, spread, top, seed):
    rnd = random.Random(seed)
    in_top = [0] * len(scores)
    for _ in range(samples):
        w = [rnd.uniform(wi * (1 - spread), wi * (1 + spread)) for wi in weights]
        for i, r in enumerate(plain_ranks(scores, passes, w)):
            in_top[i] += r <= top
    return [c / samples for c in in_top]


def within_sampling_error(p1, p2, n1, n2, sigmas=4.5):
    p1, p2 = np.asarray(p1), np.asarray(p2)
    p = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return np.abs(p1 - p2) <= sigmas * se + 1e-9


@pytest.fixture(scope="module")
def synthetic():
    """SYNTHETIC: 60 candidates, 4 criteria, scores that make the top 10 contested."""
    rng = np.random.default_rng(7)
    scores = np.clip(rng.normal(60, 20, (60, 4)), 0, 100)
    passes = rng.random(60) < 0.85
    return scores, passes, np.array([3.0, 2.0, 2.0, 1.0])


def test_synthetic_agrees_with_plain_monte_carlo(synthetic):
    scores, passes, weights = synthetic
    acc = rank_acceptability(scores, passes, weights, samples=1500, spread=0.5, top=10, seed=1)
    plain = plain_monte_carlo(scores.tolist(), passes.tolist(), weights.tolist(), 1500, 0.5, 10, 2)
    assert np.mean((acc.p_top > 0) & (acc.p_top < 1)) > 0  # the test is not trivial
    assert within_sampling_error(acc.p_top, plain, 1500, 1500).all()
    assert acc.p_top.sum() >= 10  # at least k candidates are in the top k in every sample


def test_delft_agrees_with_plain_monte_carlo(delft_run_dir):
    run = open_run(delft_run_dir)
    acc = rank_acceptability(
        run.scores, run.passes, run.criteria.weights, samples=400, spread=0.5, top=20, seed=3
    )
    plain = plain_monte_carlo(
        run.scores.tolist(), run.passes.tolist(), run.criteria.weights.tolist(), 400, 0.5, 20, 4
    )
    assert within_sampling_error(acc.p_top, plain, 400, 400).all()
    contested = (np.asarray(plain) > 0) & (np.asarray(plain) < 1)
    assert contested.sum() >= 5, "Delft's top 20 should be contested under ±50%"


def test_run_scores_rebuild_the_stored_table(delft_run_dir):
    """The scores robustness works on are the run's: rounded, they are the CSV's columns, and
    the run's own weights give its suitability and rank (read back from the CSV)."""
    run = open_run(delft_run_dir)
    csv = pd.read_csv(delft_run_dir / "candidates.csv").set_index("candidate_id").loc[run.ids]
    for j, key in enumerate(run.criteria.keys):
        assert np.array_equal(np.round(run.scores[:, j], 1), csv[f"score_{key}"].to_numpy())
    ranks = plain_ranks(run.scores.tolist(), run.passes.tolist(), run.criteria.weights.tolist())
    assert ranks == csv["rank"].tolist()
    assert "reception" not in run.criteria.keys  # not assessed in Delft: counts for nothing


def test_spread_zero_gives_the_runs_own_ranking(delft_run_dir, tmp_path):
    out = tmp_path / "rob"
    result = invoke("robustness", delft_run_dir, "--spread", "0", "--samples", 50, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "robustness.csv")
    csv = pd.read_csv(delft_run_dir / "candidates.csv").set_index("candidate_id")
    own = csv.loc[table["candidate_id"], "rank"].to_numpy()
    for col in ("rank_p05", "rank_median", "rank_p95"):
        assert np.array_equal(table[col].to_numpy(), own)
    assert np.array_equal(table["p_top"].to_numpy(), (own <= 10).astype(float))
    assert np.array_equal(table["p_best"].to_numpy(), (own == 1).astype(float))


def test_full_spread_is_uniform_on_the_simplex():
    w = sample_weights(np.array([3.0, 1.0, 0.0, 2.0]), 20000, "full", np.random.default_rng(0))
    assert np.allclose(w.sum(axis=1), 1)
    assert (w[:, 2] == 0).all()  # a criterion switched off stays off
    # Dirichlet(1,1,1): each weight has mean 1/3 and P(w < 1/2) = 1 - (1/2)^2 = 3/4
    assert np.allclose(w[:, [0, 1, 3]].mean(axis=0), 1 / 3, atol=0.01)
    assert np.allclose((w[:, [0, 1, 3]] < 0.5).mean(axis=0), 0.75, atol=0.01)


def test_one_at_a_time_matches_plain_reranking(synthetic):
    scores, passes, weights = synthetic
    keys = ("a", "b", "c", "d")
    oat = one_at_a_time(scores, passes, weights, keys, spread=0.5, top=10)
    base = {
        i
        for i, r in enumerate(plain_ranks(scores.tolist(), passes.tolist(), weights.tolist()))
        if r <= 10
    }
    for j, key in enumerate(keys):
        row = oat.set_index("criterion").loc[key]
        for factor, column in ((0.5, "top_changes_low"), (1.5, "top_changes_high")):
            w = weights.tolist()
            w[j] *= factor
            moved = plain_ranks(scores.tolist(), passes.tolist(), w)
            assert row[column] == len({i for i, r in enumerate(moved) if r <= 10} - base)
    assert oat["top_changes_max"].max() > 0  # the weights matter on this instance


def test_cli_writes_outputs_and_leaves_the_run_alone(delft_run_dir, tmp_path):
    before = digest(delft_run_dir)
    out = tmp_path / "rob"
    result = invoke("robustness", delft_run_dir, "--samples", 200, "--top", 5, "--out", out)
    assert result.exit_code == 0, result.output
    assert digest(delft_run_dir) == before
    names = {p.name for p in out.iterdir()}
    assert names == {
        "robustness.csv",
        "robustness.gpkg",
        "sensitivity.csv",
        "map.html",
        "robustness.json",
    }
    record = json.loads((out / "robustness.json").read_text())
    assert record["samples"] == 200 and record["top"] == 5
    assert record["runs"][0]["run_json_sha256"] == before["run.json"]
    for name, meta in record["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == meta["sha256"]
    page = (out / "map.html").read_text()
    assert "in de top 5 bij" in page and "% van 200 wegingen" in page
    sens = pd.read_csv(out / "sensitivity.csv")
    # pharmacy: not assessed on the extract (none in the data); water: COA "not near open water"
    assert list(sens["criterion"]) == ["transit", "school", "supermarket", "gp", "water"]


def test_english_map(delft_run_dir, tmp_path):
    out = tmp_path / "rob"
    result = invoke("robustness", delft_run_dir, "--samples", 20, "--lang", "en", "--out", out)
    assert result.exit_code == 0, result.output
    assert "in the top 10 under" in (out / "map.html").read_text()


def test_bad_runs_give_one_line(delft_run_dir, tmp_path):
    out = tmp_path / "rob"
    result = invoke("robustness", tmp_path, "--out", out)
    assert_one_clear_error(result, "not a geoschikt run directory", out=out)

    copy = tmp_path / "tampered"
    shutil.copytree(delft_run_dir, copy)
    with open(copy / "distances.npz", "ab") as fh:
        fh.write(b"x")
    assert_one_clear_error(invoke("robustness", copy, "--out", out), "SHA-256", out=out)

    old = tmp_path / "old"
    shutil.copytree(delft_run_dir, old)
    record = json.loads((old / "run.json").read_text())
    record["geoschikt_version"] = "0.0.1"
    (old / "run.json").write_text(json.dumps(record))
    assert_one_clear_error(invoke("robustness", old, "--out", out), "geoschikt 0.0.1", out=out)


@pytest.mark.parametrize("spread", ["2", "-0.1", "lots"])
def test_bad_spread(delft_run_dir, tmp_path, spread):
    out = tmp_path / "rob"
    result = invoke("robustness", delft_run_dir, "--spread", spread, "--out", out)
    assert_one_clear_error(result, "--spread", out=out)


def test_existing_output_is_kept(delft_run_dir, tmp_path):
    out = tmp_path / "rob"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert_one_clear_error(invoke("robustness", delft_run_dir, "--out", out), "--overwrite")
    assert (out / "keep.txt").read_text() == "mine"


def test_chunking_does_not_change_results(synthetic):
    scores, passes, weights = synthetic
    a = rank_acceptability(scores, passes, weights, samples=300, seed=5, chunk=7)
    b = rank_acceptability(scores, passes, weights, samples=300, seed=5, chunk=300)
    for f in ("p_top", "p_best", "rank_p05", "rank_median", "rank_p95"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    # quantiles are observed ranks: the median lies between p05 and p95
    assert (a.rank_p05 <= a.rank_median).all() and (a.rank_median <= a.rank_p95).all()
    assert a.p_best.sum() >= 1 - 1e-9  # every sample has a rank 1 (ties share it)


def test_blurred_run_gets_numbers_only(delft_run_dir, tmp_path):
    """A run published blurred keeps its map blurred: no text lines, the shares as numbers."""
    blurred = tmp_path / "blurred"
    shutil.copytree(delft_run_dir, blurred)
    record = json.loads((blurred / "run.json").read_text())
    record["config"].setdefault("map", {})["blur_m"] = 250
    (blurred / "run.json").write_text(json.dumps(record))
    out = tmp_path / "rob"
    result = invoke("robustness", blurred, "--samples", 20, "--out", out)
    assert result.exit_code == 0, result.output
    page = (out / "map.html").read_text()
    assert "In de top 10: % van de wegingen" in page and "in de top 10 bij" not in page
