"""Distances -> criterion scores, total suitability, hard limits and rank. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geoschikt.config import Criterion
from geoschikt.curves import share
from geoschikt.notes import (
    NO_RECEPTION_DATA,
    NOT_MEASURABLE,
    OUTSIDE_DATA,
    Note,
    Words,
    from_json,
    metres,
    note,
    render,
    to_json,
)


def not_in_data(crit: Criterion) -> Note:
    """Why a criterion without any feature in the data is not assessed."""
    return note("not_in_data", label=Words(nl=crit.label_nl.lower(), en=crit.label_en.lower()))


def beyond_reach(crit: Criterion) -> Note:
    """Nothing of the criterion within its reach."""
    return note(
        "beyond_reach", label=Words(nl=crit.label_nl, en=crit.label_en), m=metres(crit.reach_m)
    )


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


def mode_col(key: str) -> str:
    """``walk_or_bike`` criteria: which mode gave the distance that was scored."""
    return f"mode_{key}"


def dist_mode_col(key: str, mode: str) -> str:
    """``walk_or_bike`` criteria: the distance by one mode (``walk`` or ``bike``)."""
    return f"dist_{key}_{mode}_m"


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
    nan = not measurable for that candidate (``why_unknown`` says why, as a note code of
    :mod:`geoschikt.notes`; None: such candidates get no note)."""

    criterion: Criterion
    distance: np.ndarray
    why_unknown: Note | None = NOT_MEASURABLE
    assessed: bool = True
    why_not_assessed: Note | None = None
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


def why_not_assessed(crit: Criterion, record: Mapping[str, Any], lang: str) -> str | None:
    """Why ``crit`` was not assessed according to a run record (run.json), in ``lang``; None
    if it was. From the note's code, or for a record without codes (an older version) its
    English text, translated when it is one of the known reasons."""
    coded = (record.get("criteria_not_assessed_codes") or {}).get(crit.key)
    if coded is not None:
        return render(from_json(coded), lang)
    why = (record.get("criteria_not_assessed") or {}).get(crit.key)
    if why is None:
        return None
    for known in (not_in_data(crit), NO_RECEPTION_DATA):
        if why == render(known, "en"):
            return render(known, lang)
    return str(why)


def criterion_notes(
    m: Measured, outside: np.ndarray | None = None
) -> tuple[np.ndarray, list[Note]]:
    """Which note each candidate gets for one criterion: (index into the notes or -1 for none,
    the notes). Not assessed: every candidate; nothing within reach or not measurable: those
    candidates; ``outside`` the data: those, whatever else holds."""
    c, d = m.criterion, np.asarray(m.distance, dtype=float)
    index = np.full(len(d), -1, dtype=np.int64)
    notes: list[Note] = []

    def put(where: np.ndarray, why: Note | None) -> None:
        if why is not None and where.any():
            notes.append(why)
            index[where] = len(notes) - 1

    if not m.assessed:
        put(
            np.ones(len(d), dtype=bool),
            note("not_assessed", why=m.why_not_assessed or NOT_MEASURABLE),
        )
    elif m.value is None:
        put(np.isinf(d), beyond_reach(c))
        put(np.isnan(d), m.why_unknown)
    else:  # scored on a value (reception pressure, raster); distance only for hard limits
        put(~np.isfinite(np.asarray(m.value, dtype=float)), m.why_unknown)
    if outside is not None:
        put(np.asarray(outside, dtype=bool), OUTSIDE_DATA)
    return index, notes


def render_notes(index: np.ndarray, notes: list[Note], lang: str) -> np.ndarray:
    """The texts of :func:`criterion_notes` in ``lang`` ("" where there is no note)."""
    texts = np.array([render(n, lang) for n in notes] + [""], dtype=object)
    out: np.ndarray = texts[index]
    return out


def not_assessed_record(
    measured: list[Measured] | tuple[Measured, ...],
) -> dict[str, dict[str, Any]]:
    """run.json's record of the criteria not assessed: ``criteria_not_assessed`` (key ->
    English text) and ``criteria_not_assessed_codes`` (key -> the note as code + parameters)."""
    why = {
        m.criterion.key: m.why_not_assessed or NOT_MEASURABLE for m in measured if not m.assessed
    }
    return {
        "criteria_not_assessed": {k: render(n, "en") for k, n in why.items()},
        "criteria_not_assessed_codes": {k: to_json(n) for k, n in why.items()},
    }


def score(
    measured: list[Measured], lang: str = "en", outside: np.ndarray | None = None
) -> pd.DataFrame:
    """Score columns for all candidates (row order as the distance arrays).

    Columns per criterion: ``dist_<key>_m``, ``score_<key>``, ``points_<key>`` (its share of the
    total), ``note_<key>``; then ``suitability`` (weighted mean, 0-100), ``passes``, ``fails``
    and ``rank`` (1 = best; candidates that meet all hard limits rank before those that don't).
    Candidates ``outside`` the data get no distances, scores, suitability or rank (a nullable
    rank column), and do not fail any hard limit: there is nothing to judge them on. Notes are
    written in ``lang`` (see :mod:`geoschikt.notes`).
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
            out[note_col(c.key)] = render_notes(*criterion_notes(m, outside), lang)
            continue
        finite = np.isfinite(d)
        s = criterion_score(m)
        if m.value is not None:
            out[value_col(c.key)] = np.round(np.asarray(m.value, dtype=float), 2)
        for where, text in limit_breaches(m):
            fails = _add(fails, where, text)
        share = c.weight / total_w if total_w > 0 else 0.0
        weighted += share * s
        if c.measure in ("distance", "pressure"):
            out[dist_col(c.key)] = np.where(finite, np.round(d, 1), np.nan)
        out[score_col(c.key)] = np.round(s, 1)
        out[points_col(c.key)] = np.round(share * s, 2)
        out[note_col(c.key)] = render_notes(*criterion_notes(m, outside), lang)
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
    if m.value is not None and c.measure != "pressure":
        unknown = np.zeros(len(d), dtype=bool)  # raster, count, share: no distance to limit
    why = render(m.why_unknown or NOT_MEASURABLE, "en")  # the fails text stays English
    out: list[tuple[np.ndarray, object]] = [(unknown, f"{c.key}: {why}")]
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
