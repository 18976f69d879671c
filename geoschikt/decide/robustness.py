"""Rank acceptability under weight uncertainty (SMAA-style), and one-at-a-time sensitivity.

Each sample draws every criterion's weight independently and uniformly from
``[w (1 - s), w (1 + s)]`` (or, with ``spread="full"``, uniformly on the simplex: SMAA's "no
weight information", Dirichlet(1, ..., 1)), renormalises, totals the run's criterion scores as
``score`` does (rounded to 0.1) and ranks the candidates with :func:`geoschikt.scoring.rank`
(passing candidates first, ties share the lowest rank). Pure: arrays in, arrays out.

Memory: samples are processed in chunks; the ranks are kept as one (samples x candidates)
integer matrix (uint16 up to 65,535 candidates, else uint32) for the exact rank quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoschikt.decide.runs import weighted_suitability
from geoschikt.outputs.webmap import PanelColumn
from geoschikt.scoring import rank

FULL = "full"


@dataclass(frozen=True)
class Acceptability:
    """Per candidate (in input order): share of samples in the top ``top`` and at rank 1, and
    rank quantiles (each an observed rank: the inverted empirical CDF)."""

    p_top: np.ndarray
    p_best: np.ndarray
    rank_p05: np.ndarray
    rank_median: np.ndarray
    rank_p95: np.ndarray
    samples: int
    top: int


def sample_weights(
    weights: np.ndarray, n: int, spread: float | str, rng: np.random.Generator
) -> np.ndarray:
    """(n, c) weight samples, each row summing to 1 (see the module docstring)."""
    w = np.asarray(weights, float)
    if spread == FULL:
        on = w > 0  # a criterion switched off (weight 0) stays off
        out = np.zeros((n, len(w)))
        out[:, on] = rng.dirichlet(np.ones(int(on.sum())), size=n)
        return out
    s = float(spread)
    draws = rng.uniform(w * (1 - s), w * (1 + s), size=(n, len(w)))
    return draws / draws.sum(axis=1, keepdims=True)


def sample_ranks(scores: np.ndarray, passes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(m, n) ranks of the candidates under each of the m weight rows."""
    suit = weighted_suitability(scores, weights)
    return np.vstack([rank(row, passes) for row in suit])


def rank_acceptability(
    scores: np.ndarray,
    passes: np.ndarray,
    weights: np.ndarray,
    *,
    samples: int = 2000,
    spread: float | str = 0.5,
    top: int = 10,
    seed: int | None = 0,
    chunk: int | None = None,
) -> Acceptability:
    """Rank acceptability of every candidate over ``samples`` weightings around ``weights``.

    ``scores`` is (n, c) unrounded criterion scores, ``passes`` (n,) the hard-limit results.
    """
    n = scores.shape[0]
    rng = np.random.default_rng(seed)
    dtype = np.uint16 if n < 2**16 else np.uint32
    ranks = np.empty((n, samples), dtype=dtype)  # one row per candidate, for the quantiles
    in_top = np.zeros(n, dtype=np.int64)
    best = np.zeros(n, dtype=np.int64)
    step = chunk or max(1, min(samples, 4_000_000 // max(n, 1)))  # ~32 MB of floats per chunk
    for start in range(0, samples, step):
        m = min(step, samples - start)
        r = sample_ranks(scores, passes, sample_weights(weights, m, spread, rng))
        in_top += (r <= top).sum(axis=0)
        best += (r == 1).sum(axis=0)
        ranks[:, start : start + m] = r.T
    q05, q50, q95 = _quantiles(ranks, (0.05, 0.5, 0.95))
    return Acceptability(in_top / samples, best / samples, q05, q50, q95, samples=samples, top=top)


def _quantiles(ranks: np.ndarray, qs: tuple[float, ...], rows: int = 4096) -> list[np.ndarray]:
    """Per row (candidate), the order statistics ceil(q m) (1-based) of its m samples."""
    n, m = ranks.shape
    kth = [max(int(np.ceil(q * m)) - 1, 0) for q in qs]
    out = [np.empty(n, dtype=np.int64) for _ in qs]
    for i in range(0, n, rows):
        part = np.sort(ranks[i : i + rows], axis=1)  # faster than np.partition here
        for o, k in zip(out, kth, strict=True):
            o[i : i + rows] = part[:, k]
    return out


def one_at_a_time(
    scores: np.ndarray,
    passes: np.ndarray,
    weights: np.ndarray,
    keys: tuple[str, ...],
    *,
    spread: float,
    top: int = 10,
) -> pd.DataFrame:
    """Per criterion: how many of the top ``top`` change when that weight alone is multiplied by
    ``1 - spread`` or ``1 + spread`` (the others as they are; all renormalised)."""
    base = sample_ranks(scores, passes, weights[None, :])[0] <= top
    rows = []
    for j, key in enumerate(keys):
        moved = np.tile(weights, (2, 1)).astype(float)
        moved[0, j] *= max(1 - spread, 0.0)
        moved[1, j] *= 1 + spread
        r = sample_ranks(scores, passes, moved)
        entering = [int(((r[i] <= top) & ~base).sum()) for i in range(2)]
        rows.append(
            {
                "criterion": key,
                "weight": float(weights[j]),
                "weight_low": float(moved[0, j]),
                "weight_high": float(moved[1, j]),
                "top_changes_low": entering[0],
                "top_changes_high": entering[1],
                "top_changes_max": max(entering),
            }
        )
    return pd.DataFrame(rows)


def robustness_table(run, acc: Acceptability) -> pd.DataFrame:
    """The per-candidate table written to robustness.csv (sorted by the run's rank)."""
    cands = run.candidates
    table = pd.DataFrame(
        {
            "candidate_id": run.ids,
            "label": run.labels().to_numpy(),
            "rank": run.rank,
            "suitability": cands["suitability"].to_numpy(float),
            "passes": run.passes,
            "p_top": np.round(acc.p_top, 4),
            "p_best": np.round(acc.p_best, 4),
            "rank_p05": acc.rank_p05,
            "rank_median": acc.rank_median,
            "rank_p95": acc.rank_p95,
        }
    )
    if "region_id" in cands:
        table.insert(1, "region_id", cands["region_id"].to_numpy())
    return table


def spread_text(spread: float | str, lang: str) -> str:
    """How the weights were drawn, in words."""
    if spread == FULL:
        return (
            "gewichten willekeurig uit alle mogelijke wegingen (uniform op de simplex)"
            if lang == "nl"
            else "weights drawn from all possible weightings (uniform on the simplex)"
        )
    pct = f"{float(spread) * 100:.0f}%"
    return (
        f"elk gewicht ±{pct} rond de ingestelde waarde"
        if lang == "nl"
        else f"each weight ±{pct} around its set value"
    )


def map_columns(
    run, acc: Acceptability, *, spread: float | str, lang: str, blurred: bool
) -> tuple[dict[str, pd.Series], tuple[PanelColumn, ...]]:
    """Candidate columns and panel lines for the run's map: "in de top 10 bij 85% van de
    wegingen" and the rank range under 90% of weightings. A blurred map shows numbers only."""
    index = run.candidates.index
    k, n = acc.top, f"{acc.samples:,}"
    n = n.replace(",", ".") if lang == "nl" else n
    short = {"nl": "alle wegingen", "en": "any weighting"} if spread == FULL else None
    how = short[lang] if short else f"±{float(spread) * 100:.0f}%"
    pct = pd.Series(np.round(acc.p_top * 100).astype(int), index=index)
    lo = pd.Series(acc.rank_p05, index=index)
    hi = pd.Series(acc.rank_p95, index=index)
    nl_label, en_label = f"Robuustheid ({how})", f"Robustness ({how})"
    if blurred:  # the map leaves text columns out: show the numbers
        columns = {"robust_pct": pct, "rank_p05": lo, "rank_p95": hi}
        panel = (
            PanelColumn(
                "robust_pct",
                f"In de top {k}: % van de wegingen",
                f"In the top {k}: % of weightings",
            ),
            PanelColumn("rank_p05", "Rang, 5e percentiel", "Rank, 5th percentile"),
            PanelColumn("rank_p95", "Rang, 95e percentiel", "Rank, 95th percentile"),
        )
        return columns, panel
    if lang == "nl":
        text = f"in de top {k} bij " + pct.astype(str) + f"% van {n} wegingen"
    else:
        text = f"in the top {k} under " + pct.astype(str) + f"% of {n} weightings"
    ranks = lo.astype(str) + "–" + hi.astype(str)
    columns = {"robust_text": text, "robust_ranks": ranks}
    panel = (
        PanelColumn("robust_text", nl_label, en_label),
        PanelColumn("robust_ranks", "Rang bij 90% van de wegingen", "Rank under 90% of weightings"),
    )
    return columns, panel
