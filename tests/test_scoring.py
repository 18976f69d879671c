"""Decay curves, weights, hard limits and ranks, against hand computations."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from geoschikt.notes import NO_RECEPTION_DATA, off_network
from geoschikt.scoring import Measured, decay, rank, score


@pytest.fixture()
def crit(config):
    return replace(config.criterion("school"), near_m=500.0, far_m=1500.0, max_m=1200.0)


def test_linear_decay_by_hand(crit):
    got = decay(np.array([0, 500, 750, 1000, 1500, 9000.0]), crit)
    assert got.tolist() == pytest.approx([100, 100, 75, 50, 0, 0])


def test_exponential_decay_by_hand(crit):
    c = replace(crit, decay="exponential", steepness=3.0)
    x = 0.25  # 750 m
    expected = 100 * (math.exp(-3 * x) - math.exp(-3)) / (1 - math.exp(-3))
    assert decay(np.array([750.0]), c)[0] == pytest.approx(expected)
    assert decay(np.array([500.0, 1500.0]), c).tolist() == pytest.approx([100, 0])


def test_logistic_decay_is_symmetric_around_the_middle(crit):
    c = replace(crit, decay="logistic", steepness=10.0)
    mid, a, b = decay(np.array([1000.0, 800.0, 1200.0]), c)
    assert mid == pytest.approx(50)
    assert a + b == pytest.approx(100)
    assert decay(np.array([500.0, 1500.0]), c).tolist() == pytest.approx([100, 0])


def test_away_direction_mirrors_the_curve(crit):
    away = replace(crit, direction="away")
    d = np.array([100.0, 900.0, 2000.0])
    assert (decay(d, away) + decay(d, crit)).tolist() == pytest.approx([100, 100, 100])


def test_total_is_the_weighted_mean_and_explained_by_points(config):
    a = replace(config.criterion("transit"), weight=3.0, near_m=0.0, far_m=1000.0, max_m=None)
    b = replace(config.criterion("school"), weight=1.0, near_m=0.0, far_m=1000.0, max_m=None)
    out = score([Measured(a, np.array([250.0, 0.0])), Measured(b, np.array([500.0, 1000.0]))])
    # by hand: (3*75 + 1*50)/4 = 68.75 ; (3*100 + 0)/4 = 75
    assert out["suitability"].tolist() == pytest.approx([68.8, 75.0], abs=0.05)
    total = out["points_transit"] + out["points_school"]
    assert total.tolist() == pytest.approx(out["suitability"].tolist(), abs=0.06)
    assert out["rank"].tolist() == [2, 1]


def test_nothing_in_reach_scores_zero_with_a_reason_and_fails_the_limit(config):
    c = config.criterion("supermarket")
    out = score([Measured(c, np.array([np.inf, 200.0, 3500.0]))], lang="en")
    assert np.isnan(out["dist_supermarket_m"][0])
    assert out["score_supermarket"].tolist() == [0.0, 100.0, 0.0]
    assert out["note_supermarket"][0] == "no Supermarket within 3000 m"
    assert out["passes"].tolist() == [False, True, False]
    assert out["fails"][0] == "supermarket: none within 3000 m"
    assert out["fails"][2] == "supermarket: 3500 m > 3000 m"


def test_unmeasurable_candidates_are_explained(config):
    c = config.criterion("transit")
    m = Measured(c, np.array([np.nan, 100.0]), why_unknown=off_network(500.0, "walk"))
    out = score([m])
    assert out["note_transit"][0] == "more than 500 m from the walk network"
    assert out["note_transit"][1] == ""
    assert score([m], lang="nl")["note_transit"][0] == "meer dan 500 m van het loopnetwerk"
    assert out["score_transit"][0] == 0
    assert not out["passes"][0] and out["passes"][1]


def test_min_distance_limit(config):
    c = replace(
        config.criterion("reception"),
        measure="distance",
        direction="away",
        near_m=300.0,
        far_m=2000.0,
        min_m=1000.0,
    )
    out = score([Measured(c, np.array([400.0, 1500.0, np.inf]))])
    assert out["passes"].tolist() == [False, True, True]
    assert out["fails"][0] == "reception: 400 m < 1000 m"
    assert out["score_reception"][2] == 100.0  # away: nothing near is best


def test_unassessed_criterion_is_left_out_of_the_total(config):
    a = replace(config.criterion("transit"), max_m=None, near_m=0.0, far_m=1000.0)
    r = config.criterion("reception")
    out = score(
        [
            Measured(a, np.array([500.0])),
            Measured(r, np.array([np.nan]), assessed=False, why_not_assessed=NO_RECEPTION_DATA),
        ]
    )
    assert out["suitability"][0] == 50.0
    assert out["note_reception"][0] == (
        "not assessed: no reception locations given (--reception) or tagged in the OSM data"
    )
    assert np.isnan(out["score_reception"][0])


def test_rank_puts_passing_candidates_first_and_shares_ties():
    r = rank(np.array([90.0, 95.0, 80.0, 80.0]), np.array([True, False, True, True]))
    assert r.tolist() == [1, 4, 2, 2]


@pytest.mark.parametrize("seed", range(5))
def test_rank_with_many_ties_matches_counting_the_better_ones(seed):
    """SYNTHETIC: rank = 1 + how many candidates are strictly better (passing before failing,
    then higher suitability, missing suitability last), counted pair by pair."""
    rng = np.random.default_rng(seed)
    n = 300
    suit = rng.integers(0, 8, n).astype(float) * 12.5  # few values: many ties
    suit[rng.random(n) < 0.1] = np.nan
    passes = rng.random(n) < 0.7
    value = np.where(np.isnan(suit), -np.inf, suit)
    better = (passes[None, :] & ~passes[:, None]) | (
        (passes[None, :] == passes[:, None]) & (value[None, :] > value[:, None])
    )
    expected = 1 + better.sum(axis=1)
    assert len(np.unique(expected)) < n / 4  # the ties are there
    assert rank(suit, passes).tolist() == expected.tolist()
