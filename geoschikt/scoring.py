"""Distances -> criterion scores, total suitability, hard limits and rank. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoschikt.config import Criterion
from geoschikt.curves import share

NOT_ASSESSED_RECEPTION = "no reception locations given (--reception) or tagged in the OSM data"


def not_in_data(crit: Criterion) -> str:
    """Why a criterion without any feature in the data is not assessed (English; the map and
    notes in Dutch use ``not_in_data_nl``)."""
    return f"no {crit.label_en.lower()} in the data"


def not_in_data_nl(crit: Criterion) -> str:
    return f"geen {crit.label_nl.lower()} in de data"


def dist_col(key: str) -> str:
    return f"dist_{key}_m"


def score_col(key: str) -> str:
    return f"score_{key}"


def value_col(key: str) -> str:
    return f"value_{key}"


def points_col(key: str) -> str:
    return f"points_{key}"


def note_col(key: str) -> str:
    return f"note_{key}"


def nearest_col(key: str) -> str:
    return f"nearest_{key}"


def nearest_id_col(key: str) -> str:
    return f"nearest_{key}_osm_id"


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
    near, far = _ends(crit.near_m, crit.far_m)
    x = np.clip((d - near) / (far - near), 0.0, 1.0)
    f = share(x, crit.decay, crit.steepness)
    return 100.0 * (f if crit.direction == "towards" else 1.0 - f)


def _ends(a: float | None, b: float | None) -> tuple[float, float]:
    """Both ends of a curve (the config sets them for the criteria that use them)."""
    if a is None or b is None:
        raise ValueError("this criterion has no curve ends (near_m/far_m or full_at/zero_at)")
    return a, b


def value_score(value: np.ndarray, crit: Criterion) -> np.ndarray:
    """Score 0-100 of a value (e.g. reception pressure in places, a noise level in dB): full
    score at ``full_at``, 0 at ``zero_at`` (either may be the larger), the criterion's curve
    between."""
    full_at, zero_at = _ends(crit.full_at, crit.zero_at)
    x = np.clip((np.asarray(value, float) - full_at) / (zero_at - full_at), 0, 1)
    return 100.0 * share(x, crit.decay, crit.steepness)


@dataclass(frozen=True)
class Measured:
    """Distances of one criterion: finite = measured, inf = nothing within reach,
    nan = not measurable for that candidate (``why_unknown`` says why)."""

    criterion: Criterion
    distance: np.ndarray
    why_unknown: str = "not measurable"
    assessed: bool = True
    why_not_assessed: str = ""
    value: np.ndarray | None = None  # for pressure/raster criteria: what the score is made of


def criterion_score(m: Measured) -> np.ndarray:
    """One assessed criterion's score 0-100 per candidate, unrounded (the total is made of these).

    Distances: the decay curve; nothing within reach scores 0 ("towards") or 100 ("away").
    Value criteria (pressure, raster) score their value. Unknown distances or values score 0.
    """
    c, d = m.criterion, np.asarray(m.distance, dtype=float)
    s = np.zeros(len(d))
    if m.value is None:
        finite, beyond = np.isfinite(d), np.isinf(d)
        s[finite] = decay(d[finite], c)
        s[beyond] = 100.0 if c.direction == "away" else 0.0
    else:
        v = np.asarray(m.value, dtype=float)
        known = np.isfinite(v)
        s[known] = value_score(v[known], c)
    return s


OUTSIDE_NOTE = "outside the data: not scored"


def score(
    measured: list[Measured], lang: str = "en", outside: np.ndarray | None = None
) -> pd.DataFrame:
    """Score columns for all candidates (row order as the distance arrays).

    Columns per criterion: ``dist_<key>_m``, ``score_<key>``, ``points_<key>`` (its share of the
    total), ``note_<key>``; then ``suitability`` (weighted mean, 0-100), ``passes``, ``fails``
    and ``rank`` (1 = best; candidates that meet all hard limits rank before those that don't).
    Candidates ``outside`` the data get no distances, scores, suitability or rank (a nullable
    rank column), and do not fail any hard limit: there is nothing to judge them on.
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
        notes = np.full(n, "", dtype=object)
        s = criterion_score(m)
        if m.value is None:
            notes[beyond] = f"no {c.label(lang)} within {c.reach_m:.0f} m"
            notes[unknown] = m.why_unknown
        else:  # scored on a value (reception pressure, raster); distance only for hard limits
            v = np.asarray(m.value, dtype=float)
            notes[~np.isfinite(v)] = m.why_unknown
            out[value_col(c.key)] = np.round(v, 2)
        for where, text in limit_breaches(m):
            fails = _add(fails, where, text)
        share = c.weight / total_w if total_w > 0 else 0.0
        weighted += share * s
        if c.measure != "raster":
            out[dist_col(c.key)] = np.where(finite, np.round(d, 1), np.nan)
        out[score_col(c.key)] = np.round(s, 1)
        out[points_col(c.key)] = np.round(share * s, 2)
        out[note_col(c.key)] = notes
    frame = pd.DataFrame(out)
    frame["suitability"] = np.round(weighted, 1) if total_w > 0 else np.nan
    frame["passes"] = fails == ""
    frame["fails"] = fails
    if outside is None or not np.any(outside):
        frame["rank"] = rank(frame["suitability"].to_numpy(), frame["passes"].to_numpy())
        return frame
    outside = np.asarray(outside, dtype=bool)
    for m in measured:
        key = m.criterion.key
        for col in (dist_col(key), score_col(key), points_col(key), value_col(key)):
            if col in frame:
                frame.loc[outside, col] = np.nan
        frame.loc[outside, note_col(key)] = OUTSIDE_NOTE
    frame.loc[outside, "suitability"] = np.nan
    frame.loc[outside, "passes"] = False
    frame.loc[outside, "fails"] = ""
    ranks = pd.array(np.zeros(n, dtype=np.int64), dtype="Int64")
    inside = np.flatnonzero(~outside)
    ranks[inside] = rank(
        frame["suitability"].to_numpy()[inside], frame["passes"].to_numpy()[inside]
    )
    ranks[np.flatnonzero(outside)] = pd.NA
    frame["rank"] = ranks
    return frame


def limit_breaches(m: Measured) -> list[tuple[np.ndarray, object]]:
    """The ways one assessed criterion's hard limits fail: (where, text) pairs, ``text`` a
    string or per-candidate strings of the form ``"<key>: <why>"`` (see ``fails``)."""
    c, d = m.criterion, np.asarray(m.distance, dtype=float)
    if not m.assessed or (c.max_m is None and c.min_m is None):
        return []
    finite, beyond, unknown = np.isfinite(d), np.isinf(d), np.isnan(d)
    if m.value is not None and c.measure == "raster":
        unknown = np.zeros(len(d), dtype=bool)  # a raster value has no distance to limit
    out: list[tuple[np.ndarray, object]] = [(unknown, f"{c.key}: {m.why_unknown}")]
    if c.max_m is not None:
        too_far = finite & (d > c.max_m)
        out.append((too_far, _metres(d, too_far, f"{c.key}: ", f" > {c.max_m:.0f} m")))
        out.append((beyond, f"{c.key}: none within {c.reach_m:.0f} m"))
    if c.min_m is not None:
        too_near = finite & (d < c.min_m)
        out.append((too_near, _metres(d, too_near, f"{c.key}: ", f" < {c.min_m:.0f} m")))
    return out


def fail_matrix(measured: list[Measured] | tuple[Measured, ...]) -> pd.DataFrame:
    """Which hard limits each candidate fails: one boolean column per criterion key (False for
    criteria without limits or not assessed), rows in the order of the distance arrays. The
    structured form of the ``fails`` text."""
    n = len(measured[0].distance) if measured else 0
    columns = {}
    for m in measured:
        hit = np.zeros(n, dtype=bool)
        for where, _ in limit_breaches(m):
            hit |= where
        columns[m.criterion.key] = hit
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


def failed_keys(fails: str) -> list[str]:
    """The criterion keys named in one ``fails`` text (the inverse of how ``score`` writes it),
    for results read back from disk without their measurements."""
    return [entry.partition(":")[0].strip() for entry in fails.split("; ") if entry.strip()]


def _metres(d: np.ndarray, where: np.ndarray, prefix: str, suffix: str) -> np.ndarray:
    """``prefix + '<d> m' + suffix`` for the candidates ``where`` (formatted only there)."""
    text = np.full(len(d), "", dtype=object)
    if where.any():
        metres = np.char.add(np.char.mod("%.0f", d[where]), " m")
        text[where] = np.char.add(prefix, np.char.add(metres, suffix)).astype(object)
    return text


def _add(fails: np.ndarray, where: np.ndarray, text: object) -> np.ndarray:
    """Append ``text`` (a string or per-candidate strings) to the fail list where ``where``."""
    if not where.any():
        return fails
    texts = np.broadcast_to(np.asarray(text, dtype=object), fails.shape)
    sep = np.where(fails[where] == "", "", "; ")
    out = fails.copy()
    out[where] = fails[where] + sep + texts[where]
    return out


def rank(suitability: np.ndarray, passes: np.ndarray) -> np.ndarray:
    """1 = best: passing candidates first, then by suitability; equal values share a rank."""
    key = np.where(passes, 0.0, 1000.0) - np.nan_to_num(suitability, nan=-1.0)
    if len(key) == 0:
        return np.zeros(0, dtype=np.int64)
    # ties share the lowest rank (scipy's rankdata method="min")
    ranks: np.ndarray = pd.Series(key).rank(method="min").to_numpy(dtype=np.int64)
    return ranks


@dataclass(frozen=True)
class TopMoves:
    """Candidates entering and leaving the top k: (candidate_id, old rank, new rank)."""

    entered: list[tuple[str, int, int]]
    left: list[tuple[str, int, int]]
    reordered: int  # candidates in both top-k lists whose rank changed


def top_k_changes(before: pd.DataFrame, after: pd.DataFrame, k: int) -> TopMoves:
    """Compare two rankings of the same candidates (frames with candidate_id and rank)."""
    old = before.set_index(before["candidate_id"].astype(str))["rank"]
    new = after.set_index(after["candidate_id"].astype(str))["rank"]
    in_old, in_new = set(old[old <= k].index), set(new[new <= k].index)

    def moves(ids: set[str]) -> list[tuple[str, int, int]]:
        rows = [(cid, int(old.get(cid, -1)), int(new.get(cid, -1))) for cid in ids]
        return sorted(rows, key=lambda r: (r[2], r[1], r[0]))

    both = in_old & in_new
    return TopMoves(
        entered=moves(in_new - in_old),
        left=moves(in_old - in_new),
        reordered=sum(int(old[c]) != int(new[c]) for c in both),
    )
