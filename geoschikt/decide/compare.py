"""What changed between two runs (new weights, new OSM data, another profile): rank changes per
candidate, who entered and left the top k, Kendall's tau, top-k overlap, and the criteria whose
scores moved. Candidates are matched on ``candidate_id``. Pure: frames in, frames out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from geoschikt.scoring import dist_col, score_col

ENTERED, LEFT, STAYED = "entered top", "left top", "stayed in top"
ONLY_A, ONLY_B = "only in A", "only in B"


@dataclass(frozen=True)
class Comparison:
    table: pd.DataFrame  # one row per candidate in A or B
    criteria: pd.DataFrame  # one row per criterion in A or B
    summary: dict


def _frame(run) -> pd.DataFrame:
    c = run.candidates
    out = pd.DataFrame(
        {
            "label": run.labels().to_numpy(),
            "rank": run.rank,
            "suitability": c["suitability"].to_numpy(float),
            "passes": run.passes,
        },
        index=pd.Index(run.ids, name="candidate_id"),
    )
    for crit in run.config.criteria:
        for col in (score_col(crit.key), dist_col(crit.key)):
            if col in c:
                out[col] = c[col].to_numpy(float)
    return out


def compare_runs(a, b, *, top: int = 10) -> Comparison:
    """Compare run ``a`` (before) with run ``b`` (after)."""
    fa, fb = _frame(a), _frame(b)
    ids = fa.index.union(fb.index, sort=False)
    ra, rb = fa["rank"].reindex(ids), fb["rank"].reindex(ids)
    in_a, in_b = ra.notna(), rb.notna()
    top_a, top_b = (ra <= top) & in_a, (rb <= top) & in_b
    status = np.select(
        [~in_b, ~in_a, top_a & top_b, top_b & ~top_a, top_a & ~top_b],
        [ONLY_A, ONLY_B, STAYED, ENTERED, LEFT],
        default="",
    )
    label = fb["label"].reindex(ids).fillna(fa["label"].reindex(ids))
    table = pd.DataFrame(
        {
            "candidate_id": ids,
            "label": label.to_numpy(),
            "rank_a": ra.astype("Int64").to_numpy(),
            "rank_b": rb.astype("Int64").to_numpy(),
            "rank_change": (ra - rb).astype("Int64").to_numpy(),  # > 0: better in B
            "suitability_a": fa["suitability"].reindex(ids).to_numpy(),
            "suitability_b": fb["suitability"].reindex(ids).to_numpy(),
            "suitability_change": (fb["suitability"].reindex(ids) - fa["suitability"].reindex(ids))
            .round(1)
            .to_numpy(),
            "passes_a": fa["passes"].reindex(ids).astype("boolean").to_numpy(),
            "passes_b": fb["passes"].reindex(ids).astype("boolean").to_numpy(),
            "top_change": status,
        }
    )
    common = fa.index.intersection(fb.index, sort=False)
    tau = (
        kendalltau(fa.loc[common, "rank"], fb.loc[common, "rank"]).statistic
        if len(common) > 1
        else np.nan
    )
    set_a, set_b = set(fa.index[fa["rank"] <= top]), set(fb.index[fb["rank"] <= top])
    both = len(set_a & set_b)
    summary = {
        "top": top,
        "candidates_a": len(fa),
        "candidates_b": len(fb),
        "common": len(common),
        "only_in_a": int((~in_b).sum()),
        "only_in_b": int((~in_a).sum()),
        "kendall_tau_b": None if np.isnan(tau) else round(float(tau), 4),
        "top_a": len(set_a),
        "top_b": len(set_b),
        "top_overlap": both,
        "top_overlap_share": round(both / max(len(set_a), len(set_b), 1), 4),
        "entered_top": int((status == ENTERED).sum()),
        "left_top": int((status == LEFT).sum()),
        "rank_changed": int((table["rank_change"].fillna(0) != 0).sum()),
        "passing_a": int(fa["passes"].sum()),
        "passing_b": int(fb["passes"].sum()),
    }
    order = {ENTERED: 0, LEFT: 1, STAYED: 2, "": 3, ONLY_B: 4, ONLY_A: 5}
    table = table.assign(_o=table["top_change"].map(order)).sort_values(
        ["_o", "rank_b", "rank_a"], kind="stable"
    )
    return Comparison(table.drop(columns="_o"), _criteria(a, b, fa, fb, common), summary)


def _criteria(a, b, fa, fb, common) -> pd.DataFrame:
    """Per criterion: weights and whether assessed in each run, and how its scores and
    distances moved over the candidates both runs have."""
    wa = {c.key: c.weight for c in a.config.criteria}
    wb = {c.key: c.weight for c in b.config.criteria}
    keys = list(dict.fromkeys([*wa, *wb]))
    rows = []
    for key in keys:
        row = {
            "criterion": key,
            "weight_a": wa.get(key),
            "weight_b": wb.get(key),
            "assessed_a": key in a.criteria.keys,
            "assessed_b": key in b.criteria.keys,
        }
        for what, col in (("score", score_col(key)), ("distance", dist_col(key))):
            if col in fa and col in fb:
                x, y = fa.loc[common, col], fb.loc[common, col]
                diff = (y - x).abs()
                moved = (diff > 0.05) | (x.isna() != y.isna())
                row[f"{what}_changed"] = int(moved.sum())
                row[f"{what}_mean_abs_change"] = (
                    round(float(diff.mean()), 2) if diff.notna().any() else None
                )
                row[f"{what}_max_abs_change"] = (
                    round(float(diff.max()), 2) if diff.notna().any() else None
                )
        rows.append(row)
    return pd.DataFrame(rows)


def map_columns(cmp: Comparison, b, *, name_a: str, lang: str, blurred: bool):
    """Candidate columns and panel lines for run B's map: its rank in A and the change."""
    from geoschikt.outputs.webmap import PanelColumn

    t = cmp.table.set_index("candidate_id")
    ra = t["rank_a"].reindex(b.ids)
    change = t["rank_change"].reindex(b.ids)
    index = b.candidates.index
    if blurred:
        columns = {
            "rank_a": pd.Series(ra.astype(float).to_numpy(), index=index),
            "rank_change": pd.Series(change.astype(float).to_numpy(), index=index),
        }
        panel = (
            PanelColumn("rank_a", f"Rang in {name_a}", f"Rank in {name_a}"),
            PanelColumn("rank_change", "Plaatsen gestegen", "Places moved up"),
        )
        return columns, panel
    word = "rang" if lang == "nl" else "rank"
    text = [
        ("nieuw" if lang == "nl" else "new")
        if pd.isna(r)
        else f"{word} {int(r)} → {int(now)} ({'+' if c > 0 else ''}{int(c)})"
        for r, now, c in zip(ra, b.rank, change, strict=True)
    ]
    columns = {"compare_text": pd.Series(text, index=index)}
    panel = (PanelColumn("compare_text", f"Eerder ({name_a})", f"Before ({name_a})"),)
    return columns, panel
