"""Distances -> criterion scores, total suitability, hard limits and rank. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from geoschikt.config import Criterion


def dist_col(key: str) -> str:
    return f"dist_{key}_m"


def score_col(key: str) -> str:
    return f"score_{key}"


def points_col(key: str) -> str:
    return f"points_{key}"


def note_col(key: str) -> str:
    return f"note_{key}"


def nearest_col(key: str) -> str:
    return f"nearest_{key}"


def snap_col(mode: str) -> str:
    return f"snap_{mode}_m"


def decay(distance: np.ndarray, crit: Criterion) -> np.ndarray:
    """Score 0-100 for finite distances, following the criterion's curve and direction.

    With ``x = (d - near) / (far - near)`` clipped to [0, 1], the share ``f`` of the full score is
    ``1 - x`` (linear), ``(e^(-kx) - e^(-k)) / (1 - e^(-k))`` (exponential) or a logistic curve
    ``g(x) = 1 / (1 + e^(k(x - 1/2)))`` rescaled to run from 1 at x=0 to 0 at x=1; ``k`` is the
    steepness. ``towards`` scores ``100 f``; ``away`` scores ``100 (1 - f)``.
    """
    d = np.asarray(distance, dtype=float)
    x = np.clip((d - crit.near_m) / (crit.far_m - crit.near_m), 0.0, 1.0)
    k = crit.steepness
    if crit.decay == "linear":
        f = 1.0 - x
    elif crit.decay == "exponential":
        f = (np.exp(-k * x) - np.exp(-k)) / (1.0 - np.exp(-k))
    else:

        def g(z):
            return 1.0 / (1.0 + np.exp(k * (z - 0.5)))

        f = (g(x) - g(1.0)) / (g(0.0) - g(1.0))
    f = np.clip(f, 0.0, 1.0)
    return 100.0 * (f if crit.direction == "towards" else 1.0 - f)


@dataclass(frozen=True)
class Measured:
    """Distances of one criterion: finite = measured, inf = nothing within reach,
    nan = not measurable for that candidate (``why_unknown`` says why)."""

    criterion: Criterion
    distance: np.ndarray
    why_unknown: str = "not measurable"
    assessed: bool = True
    why_not_assessed: str = ""


def score(measured: list[Measured], lang: str = "en") -> pd.DataFrame:
    """Score columns for all candidates (row order as the distance arrays).

    Columns per criterion: ``dist_<key>_m``, ``score_<key>``, ``points_<key>`` (its share of the
    total), ``note_<key>``; then ``suitability`` (weighted mean, 0-100), ``passes``, ``fails``
    and ``rank`` (1 = best; candidates that meet all hard limits rank before those that don't).
    """
    n = len(measured[0].distance) if measured else 0
    out: dict[str, object] = {}
    total_w = sum(m.criterion.weight for m in measured if m.assessed)
    weighted = np.zeros(n)
    fails = np.full(n, "", dtype=object)
    for m in measured:
        c, d = m.criterion, np.asarray(m.distance, dtype=float)
        if not m.assessed:
            out[dist_col(c.key)] = np.full(n, np.nan)
            out[score_col(c.key)] = np.full(n, np.nan)
            out[points_col(c.key)] = np.full(n, np.nan)
            out[note_col(c.key)] = np.full(n, f"not assessed: {m.why_not_assessed}", dtype=object)
            continue
        finite, beyond, unknown = np.isfinite(d), np.isinf(d), np.isnan(d)
        s = np.zeros(n)
        s[finite] = decay(d[finite], c)
        s[beyond] = 100.0 if c.direction == "away" else 0.0
        notes = np.full(n, "", dtype=object)
        notes[beyond] = f"no {c.label(lang)} within {c.reach_m:.0f} m"
        notes[unknown] = m.why_unknown
        metres = np.char.add(np.char.mod("%.0f", np.where(finite, d, 0.0)), " m")
        if c.max_m is not None or c.min_m is not None:
            fails = _add(fails, unknown, f"{c.key}: {m.why_unknown}")
        if c.max_m is not None:
            fails = _add(
                fails,
                finite & (d > c.max_m),
                np.char.add(f"{c.key}: ", np.char.add(metres, f" > {c.max_m:.0f} m")),
            )
            fails = _add(fails, beyond, f"{c.key}: none within {c.reach_m:.0f} m")
        if c.min_m is not None:
            fails = _add(
                fails,
                finite & (d < c.min_m),
                np.char.add(f"{c.key}: ", np.char.add(metres, f" < {c.min_m:.0f} m")),
            )
        share = c.weight / total_w if total_w > 0 else 0.0
        weighted += share * s
        out[dist_col(c.key)] = np.where(finite, np.round(d, 1), np.nan)
        out[score_col(c.key)] = np.round(s, 1)
        out[points_col(c.key)] = np.round(share * s, 2)
        out[note_col(c.key)] = notes
    frame = pd.DataFrame(out)
    frame["suitability"] = np.round(weighted, 1) if total_w > 0 else np.nan
    frame["passes"] = fails == ""
    frame["fails"] = fails
    frame["rank"] = rank(frame["suitability"].to_numpy(), frame["passes"].to_numpy())
    return frame


def _add(fails: np.ndarray, where: np.ndarray, text) -> np.ndarray:
    """Append ``text`` (a string or per-candidate strings) to the fail list where ``where``."""
    if not where.any():
        return fails
    text = np.broadcast_to(np.asarray(text, dtype=object), fails.shape)
    sep = np.where(fails[where] == "", "", "; ")
    out = fails.copy()
    out[where] = fails[where] + sep + text[where]
    return out


def rank(suitability: np.ndarray, passes: np.ndarray) -> np.ndarray:
    """1 = best: passing candidates first, then by suitability; equal values share a rank."""
    key = np.where(passes, 0.0, 1000.0) - np.nan_to_num(suitability, nan=-1.0)
    return rankdata(key, method="min").astype(np.int64)
