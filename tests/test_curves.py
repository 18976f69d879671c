"""Decay curves, measurement kinds and ranks against independent formulas and libraries."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

from geoschikt.config import MEASURE_KINDS, load_config, measures_for
from geoschikt.curves import CURVES, share
from geoschikt.errors import ConfigError
from geoschikt.scoring import rank

X = np.linspace(0.0, 1.0, 11)


def test_each_curve_against_its_closed_form():
    np.testing.assert_allclose(share(X, "linear", 1.0), 1 - X)
    k = 3.0
    np.testing.assert_allclose(
        share(X, "exponential", k), (np.exp(-k * X) - np.exp(-k)) / (1 - np.exp(-k))
    )
    k = 10.0
    g = 1 / (1 + np.exp(k * (X - 0.5)))
    g0, g1 = 1 / (1 + np.exp(-k / 2)), 1 / (1 + np.exp(k / 2))
    np.testing.assert_allclose(share(X, "logistic", k), (g - g1) / (g0 - g1))


@pytest.mark.parametrize("name", sorted(CURVES))
def test_every_curve_runs_from_full_to_nothing_and_never_rises(name):
    f = share(X, name, CURVES[name].default_steepness)
    assert f[0] == pytest.approx(1.0) and f[-1] == pytest.approx(0.0, abs=1e-12)
    assert (np.diff(f) <= 1e-12).all()


def test_unknown_curve_is_refused_not_logistic():
    with pytest.raises(ConfigError, match="unknown decay curve 'sigmoid'"):
        share(X, "sigmoid", 1.0)
    with pytest.raises(ConfigError, match="decay = 'sigmoid'; allowed: linear"):
        load_config(overrides={"criteria": {"gp": {"decay": "sigmoid"}}})


def test_default_steepness_comes_from_the_curve():
    cfg = load_config(overrides={"criteria": {"school": {"decay": "exponential"}}})
    assert cfg.criterion("school").steepness == CURVES["exponential"].default_steepness == 3.0


def test_measure_kinds_decide_what_goes_with_a_source():
    assert measures_for("osm") == ("distance",)
    assert measures_for("reception") == ("distance", "pressure")
    assert measures_for("raster") == ("raster",)
    assert {k.scored_on for k in MEASURE_KINDS.values()} == {"distance", "value"}
    with pytest.raises(ConfigError, match="does not go with source = 'osm'"):
        load_config(overrides={"criteria": {"gp": {"measure": "pressure"}}})


def test_rank_is_scipys_min_rank_with_passing_candidates_first():
    rng = np.random.default_rng(3)
    suit = rng.integers(0, 20, 500).astype(float)  # many ties
    suit[rng.random(500) < 0.05] = np.nan
    passes = rng.random(500) < 0.7
    key = np.where(passes, 0.0, 1000.0) - np.nan_to_num(suit, nan=-1.0)
    np.testing.assert_array_equal(rank(suit, passes), rankdata(key, method="min"))
    assert rank(np.array([]), np.array([], dtype=bool)).tolist() == []
