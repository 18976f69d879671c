"""Decay curves: how a normalised position becomes a share of the full score. The one place a
curve is defined; the config's allowed ``decay`` names and default steepness come from here.

A curve maps ``x`` in [0, 1] (0 = full score, 1 = none) to a share ``f`` with ``f(0) = 1`` and
``f(1) = 0``; ``k`` is the criterion's steepness. To add a curve, add one ``Curve`` to
``CURVES`` (and a test of its shape).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geoschikt.errors import ConfigError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Curve:
    """A named decay curve, its default steepness and its formula (for the documentation)."""

    name: str
    share: Callable[[FloatArray, float], FloatArray]
    default_steepness: float
    formula: str


def _linear(x: FloatArray, k: float) -> FloatArray:
    return 1.0 - x


def _exponential(x: FloatArray, k: float) -> FloatArray:
    f: FloatArray = (np.exp(-k * x) - np.exp(-k)) / (1.0 - np.exp(-k))
    return f


def _logistic(x: FloatArray, k: float) -> FloatArray:
    def g(z: FloatArray | float) -> FloatArray:
        return np.asarray(1.0 / (1.0 + np.exp(k * (np.asarray(z) - 0.5))), dtype=float)

    return (g(x) - g(1.0)) / (g(0.0) - g(1.0))


CURVES: dict[str, Curve] = {
    c.name: c
    for c in (
        Curve("linear", _linear, 1.0, "1 - x"),
        Curve("exponential", _exponential, 3.0, "(e^(-kx) - e^(-k)) / (1 - e^(-k))"),
        Curve(
            "logistic",
            _logistic,
            10.0,
            "g(x) = 1 / (1 + e^(k(x - 1/2))) rescaled to run from 1 at x=0 to 0 at x=1",
        ),
    )
}


def curve(name: str) -> Curve:
    """The curve called ``name``; an unknown name is a config error, never a fallback."""
    try:
        return CURVES[name]
    except KeyError:
        raise ConfigError(f"unknown decay curve {name!r}; allowed: {', '.join(CURVES)}") from None


def share(x: FloatArray, name: str, k: float) -> FloatArray:
    """Share of the full score at normalised position ``x`` in [0, 1] (1 at 0, 0 at 1)."""
    return np.clip(curve(name).share(x, k), 0.0, 1.0)
