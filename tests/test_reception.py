"""Reception density, places within reach and nearest site, checked against hand arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from geoschikt.errors import ConfigError, InputFileError
from geoschikt.reception import (
    kernel_weight,
    nearest_site,
    places_within,
    reception_pressure,
)

# Three sites in metres: A at the origin, B at distance exactly 500 m from it (3-4-5 triangle),
# C 3 km east.
SITES = np.array([[0.0, 0.0], [300.0, 400.0], [3000.0, 0.0]])
CAPACITY = np.array([100.0, 50.0, 200.0])
ORIGIN = np.array([[0.0, 0.0]])


def test_gaussian_pressure_by_hand():
    cand = np.array([[0.0, 0.0], [600.0, 0.0]])
    got = reception_pressure(
        cand, SITES, CAPACITY, bandwidth_m=500, cutoff_m=1000, kernel="gaussian"
    )
    # candidate at the origin: A at 0 m -> 100 * exp(0) = 100
    #                          B at 500 m, u = 500/500 = 1 -> 50 * exp(-0.5) = 30.3265
    #                          C at 3000 m > 1000 m cut-off -> 0
    first = 100 * 1 + 50 * math.exp(-0.5)
    # candidate at (600, 0): A at 600 m, u = 1.2 -> 100 * exp(-0.72) = 48.6752
    #                        B at sqrt(300**2 + 400**2) = 500 m -> 30.3265
    #                        C at 2400 m > cut-off -> 0
    second = 100 * math.exp(-0.5 * 1.2**2) + 50 * math.exp(-0.5)
    assert got == pytest.approx([first, second])
    assert got == pytest.approx([130.3265, 79.0017], abs=1e-4)


@pytest.mark.parametrize(
    ("kernel", "expected"),
    [
        # h = 1000: A at u = 0 -> 100; B at u = 0.5; C at u = 3 -> 0
        ("epanechnikov", 100 + 50 * (1 - 0.5**2)),  # 100 + 37.5 = 137.5
        ("quartic", 100 + 50 * (1 - 0.5**2) ** 2),  # 100 + 28.125 = 128.125
        ("uniform", 100 + 50),
        ("gaussian", 100 + 50 * math.exp(-0.125)),  # C beyond the 2 km cut-off
    ],
)
def test_kernels_by_hand(kernel, expected):
    got = reception_pressure(
        ORIGIN, SITES, CAPACITY, bandwidth_m=1000, cutoff_m=2000, kernel=kernel
    )
    assert got == pytest.approx([expected])


def test_kernel_is_one_at_zero_distance():
    for kernel in ("gaussian", "epanechnikov", "quartic", "uniform"):
        assert kernel_weight(np.array([0.0]), kernel)[0] == 1.0


def test_cutoff_is_inclusive_and_ends_contributions():
    kw = {"bandwidth_m": 500, "kernel": "gaussian"}
    # B lies at exactly 500 m: a 499 m cut-off leaves only A, 500 m includes B
    assert reception_pressure(ORIGIN, SITES, CAPACITY, cutoff_m=499, **kw) == pytest.approx([100])
    assert reception_pressure(ORIGIN, SITES, CAPACITY, cutoff_m=500, **kw) == pytest.approx(
        [100 + 50 * math.exp(-0.5)]
    )
    # C at 3 km adds 200 * exp(-0.5 * 36) = 3.0e-6 places once the cut-off reaches it
    wide = reception_pressure(ORIGIN, SITES, CAPACITY, cutoff_m=3000, **kw)
    assert wide - reception_pressure(ORIGIN, SITES, CAPACITY, cutoff_m=2999, **kw) == (
        pytest.approx([200 * math.exp(-18)])
    )


def test_compact_kernel_ignores_sites_beyond_bandwidth_even_with_wide_cutoff():
    got = reception_pressure(
        ORIGIN, SITES, CAPACITY, bandwidth_m=400, cutoff_m=10_000, kernel="epanechnikov"
    )
    assert got == pytest.approx([100])  # B at 500 m > h = 400 m


def test_pressure_matches_brute_force_on_random_points():
    rng = np.random.default_rng(4)
    cand = rng.uniform(0, 5000, size=(40, 2))
    sites = rng.uniform(0, 5000, size=(25, 2))
    cap = rng.integers(0, 500, size=25).astype(float)
    d = cdist(cand, sites)
    expected = (cap * np.exp(-0.5 * (d / 800) ** 2) * (d <= 2000)).sum(axis=1)
    got = reception_pressure(cand, sites, cap, bandwidth_m=800, cutoff_m=2000, kernel="gaussian")
    assert got == pytest.approx(expected)
    assert places_within(cand, sites, cap, 1500) == pytest.approx((cap * (d <= 1500)).sum(axis=1))


@pytest.mark.parametrize(("radius", "expected"), [(499.9, 100), (500, 150), (3000, 350)])
def test_places_within(radius, expected):
    assert places_within(ORIGIN, SITES, CAPACITY, radius) == pytest.approx([expected])


def test_nearest_site_with_and_without_min_capacity():
    cand = np.array([[0.0, 0.0], [2900.0, 0.0]])
    dist, idx = nearest_site(cand, SITES, CAPACITY)
    assert dist == pytest.approx([0, 100])
    assert idx.tolist() == [0, 2]
    dist, idx = nearest_site(cand, SITES, CAPACITY, min_capacity=150)  # only C (200 places)
    assert dist == pytest.approx([3000, 100])
    assert idx.tolist() == [2, 2]
    dist, idx = nearest_site(cand, SITES, CAPACITY, min_capacity=1000)
    assert np.isinf(dist).all()
    assert idx.tolist() == [-1, -1]


def test_no_sites_gives_zeros_not_a_crash():
    cand = np.array([[0.0, 0.0], [10.0, 10.0]])
    none = np.zeros((0, 2))
    no_cap = np.zeros(0)
    pressure = reception_pressure(cand, none, no_cap, bandwidth_m=500, cutoff_m=1000)
    assert pressure.tolist() == [0.0, 0.0]
    assert places_within(cand, none, no_cap, 1000).tolist() == [0.0, 0.0]
    dist, idx = nearest_site(cand, none, no_cap)
    assert np.isinf(dist).all() and idx.tolist() == [-1, -1]


def test_no_candidates_gives_empty_arrays():
    none = np.zeros((0, 2))
    assert reception_pressure(none, SITES, CAPACITY, bandwidth_m=500, cutoff_m=1000).shape == (0,)
    assert places_within(none, SITES, CAPACITY, 1000).shape == (0,)
    assert nearest_site(none, SITES, CAPACITY)[0].shape == (0,)


@pytest.mark.parametrize(
    ("capacity", "match"),
    [
        (np.array([100.0, np.nan, 200.0]), "missing or negative capacity .first at site 2"),
        (np.array([100.0, 50.0, -1.0]), "missing or negative capacity .first at site 3"),
        (None, "capacity is missing"),
        (np.array([100.0, 50.0]), "3 reception sites but 2 capacities"),
    ],
)
def test_bad_capacity_is_an_input_error(capacity, match):
    with pytest.raises(InputFileError, match=match):
        places_within(ORIGIN, SITES, capacity, 1000)
    with pytest.raises(InputFileError, match=match):
        reception_pressure(ORIGIN, SITES, capacity, bandwidth_m=500, cutoff_m=1000)


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="unknown reception kernel 'box'; allowed: gaussian"):
        reception_pressure(ORIGIN, SITES, CAPACITY, bandwidth_m=500, cutoff_m=1000, kernel="box")
    with pytest.raises(ConfigError, match="bandwidth_m must be a positive number"):
        reception_pressure(ORIGIN, SITES, CAPACITY, bandwidth_m=0, cutoff_m=1000)
    with pytest.raises(ConfigError, match="radius_m must be a positive number"):
        places_within(ORIGIN, SITES, CAPACITY, float("nan"))
