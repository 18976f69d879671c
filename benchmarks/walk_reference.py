"""geoschikt's walking distances on the Delft extract against Valhalla's pedestrian routes.

    python benchmarks/walk_reference.py [--python PY312] [--limit N]

Scores the Delft extract with the default configuration, writes the candidates and features as
points, runs ``benchmarks/valhalla_reference.py`` under a Python 3.12 interpreter that has
``pyvalhalla`` (default ``/work/venv312/bin/python``, or ``$GEOSCHIKT_PY312``) to build the
tiles (with a Dutch country boundary) and compute the reference table, and prints the share of
candidates per category whose distances agree within max(50 m, 10 %), plus the largest
differences. Valhalla's distance runs from its snapped locations; the straight lines from each
input point to its snapped location are added (geoschikt counts its snapping offsets too).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DATA, DELFT_PBF, REPO  # noqa: E402

CATEGORIES = ("transit", "school", "supermarket", "gp")
SCRIPT = REPO / "benchmarks" / "valhalla_reference.py"


def python312() -> Path | None:
    """A Python 3.12+ interpreter with pyvalhalla, or None."""
    cand = Path(os.environ.get("GEOSCHIKT_PY312", "/work/venv312/bin/python"))
    if not cand.is_file():
        return None
    ok = subprocess.run([str(cand), "-c", "import valhalla"], capture_output=True)
    return cand if ok.returncode == 0 else None


def agree(ours: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Within max(50 m, 10 %) of the reference; both out of reach also agrees."""
    both_nan = np.isnan(ours) & np.isnan(ref)
    tol = np.maximum(50.0, 0.1 * np.nan_to_num(ref, nan=0.0))
    close = np.abs(ours - ref) <= tol
    return both_nan | np.where(np.isnan(ours) | np.isnan(ref), False, close)


def reference_table(py: Path, points: dict, work: Path = DATA / "valhalla") -> dict:
    """{(candidate_id, category): metres or NaN} from Valhalla, cached by the inputs' hash."""
    blob = json.dumps(points, sort_keys=True).encode() + SCRIPT.read_bytes()
    key = hashlib.sha256(blob).hexdigest()[:12]
    out = work / f"reference-{key}.csv"
    if not out.is_file():
        if not (work / "tiles").is_dir():
            subprocess.run([str(py), str(SCRIPT), "build", str(DELFT_PBF), str(work)], check=True)
        pts = work / f"points-{key}.json"
        pts.write_text(json.dumps(points))
        subprocess.run([str(py), str(SCRIPT), "matrix", str(work), str(pts), str(out)], check=True)
    table = {}
    with open(out) as fh:
        for row in csv.DictReader(fh):
            v = row["valhalla_m"]
            table[(row["candidate_id"], row["category"])] = float(v) if v else math.nan
    return table


def points_of(result, limit: int | None = None) -> dict:
    """The candidates (id, lon, lat), the features per category and the reaches."""
    from geoschikt.geo import WGS84, to_crs

    cands = result.candidates
    if limit:
        cands = cands.iloc[np.linspace(0, len(cands) - 1, limit).astype(int)]
    pois = to_crs(result.pois, WGS84)
    feats = {}
    for cat in CATEGORIES:
        sel = pois[pois["category"] == cat]
        feats[cat] = [[round(p.x, 7), round(p.y, 7)] for p in sel.geometry]
    return {
        "candidates": [
            [str(i), round(float(lon), 7), round(float(lat), 7)]
            for i, lon, lat in zip(cands["candidate_id"], cands["lon"], cands["lat"], strict=True)
        ],
        "features": feats,
        "reach_m": {c: result.config.criterion(c).reach_m for c in CATEGORIES},
    }


def compare(result, table: dict) -> dict:
    """Per category: n, agreeing share and the largest differences."""
    cands = result.candidates.set_index(result.candidates["candidate_id"].astype(str))
    report = {}
    for cat in CATEGORIES:
        ids = [cid for (cid, c) in table if c == cat]
        ref = np.array([table[(cid, cat)] for cid in ids])
        ours = cands.loc[ids, f"dist_{cat}_m"].to_numpy(dtype=float)
        ok = agree(ours, ref)
        diff = np.abs(np.nan_to_num(ours, nan=1e9) - np.nan_to_num(ref, nan=1e9))
        worst = np.argsort(-np.where(ok, -1, diff))[: int((~ok).sum())]
        report[cat] = {
            "n": len(ids),
            "agree": float(ok.mean()) if len(ids) else math.nan,
            "worst": [(ids[i], float(ours[i]), float(ref[i])) for i in worst],
        }
    return report


RULES = ("destination", "barriers", "squares", "snapping")

# Walking distances are compared from every building, not only those fit for reception (the
# former default set: dwellings included, no floor-area bounds), so that the comparison covers
# the whole extract.
EVERY_BUILDING = {
    "candidates": {
        "building_types": [
            "yes",
            "house",
            "residential",
            "apartments",
            "detached",
            "semidetached_house",
            "terrace",
            "dormitory",
            "office",
            "commercial",
            "hotel",
            "school",
            "public",
            "civic",
            "retail",
        ],
        "min_floor_area_m2": 0,
        "unknown_use_needs_address": False,
    },
    "surface": {"resolution_m": 0},
}


def score_delft():
    """The Delft run the comparison is made on (every building a candidate)."""
    from geoschikt.config import load_config
    from geoschikt.pipeline import score_area

    return score_area(DELFT_PBF, config=load_config(overrides=EVERY_BUILDING))


def score_without(rule: str):
    """The Delft run with one rule switched off, to tell what a disagreement comes from:
    ``destination`` (destination-only ways count as public), ``barriers`` (closed gates open),
    ``squares`` (squares dropped, as before) or ``snapping`` (plain nearest edge, through water and
    buildings)."""
    from unittest import mock

    import geoschikt.measure as measure_module
    import geoschikt.network as network_module
    from geoschikt.config import load_config
    from geoschikt.pipeline import score_area

    if rule == "destination":
        plain = network_module.way_access

        def public(tags, mode):
            kind = plain(tags, mode)
            return np.where(kind == network_module.DESTINATION_ONLY, network_module.PUBLIC, kind)

        patch = mock.patch.object(network_module, "way_access", public)
    elif rule == "barriers":
        patch = mock.patch.object(
            network_module, "blocked_nodes", lambda b, m: np.zeros(0, dtype=np.int64)
        )
    elif rule == "squares":
        plain = network_module.way_access

        def no_squares(tags, mode):  # squares dropped, as before issue 11
            kind = plain(tags, mode)
            return np.where(tags["area"].fillna("").to_numpy() == "yes", 0, kind).astype(np.int8)

        patch = mock.patch.object(network_module, "way_access", no_squares)
    else:
        clear = measure_module.snap_clear
        patch = mock.patch.object(
            measure_module, "snap_clear", lambda n, x, y, m, o, **kw: clear(n, x, y, m, None)
        )
    with patch:
        return score_area(DELFT_PBF, config=load_config(overrides=EVERY_BUILDING))


def causes(result, table: dict, report: dict) -> dict:
    """Per category: how many disagreements agree once a rule is switched off."""
    out = {}
    others = {rule: score_without(rule) for rule in RULES}
    for cat, r in report.items():
        ids = [cid for cid, _, _ in r["worst"]]
        ref = np.array([table[(cid, cat)] for cid in ids])
        out[cat] = {}
        for rule, res in others.items():
            alt = res.candidates.set_index(res.candidates["candidate_id"].astype(str))
            ok = agree(alt.loc[ids, f"dist_{cat}_m"].to_numpy(dtype=float), ref) if ids else []
            out[cat][rule] = [cid for cid, k in zip(ids, ok, strict=True) if k]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", type=Path, default=None)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    py = args.python or python312()
    if py is None:
        sys.exit("no Python 3.12 with pyvalhalla (set GEOSCHIKT_PY312); see the module docstring")

    result = score_delft()
    table = reference_table(py, points_of(result, args.limit))
    rep = compare(result, table)
    print("| category | candidates | agree within max(50 m, 10 %) |")
    print("| --- | ---: | ---: |")
    for cat, r in rep.items():
        print(f"| {cat} | {r['n']} | {100 * r['agree']:.1f} % |")
    why = causes(result, table, rep)
    print()
    print("agree once a rule is switched off (what Valhalla does):")
    print("| category | differ | " + " | ".join(RULES) + " | none of them |")
    print("| --- | ---: |" + " ---: |" * (len(RULES) + 1))
    for cat, r in rep.items():
        w = why[cat]
        some = set().union(*(w[k] for k in RULES))
        none = sum(1 for cid, _, _ in r["worst"] if cid not in some)
        cells = " | ".join(str(len(w[k])) for k in RULES)
        print(f"| {cat} | {len(r['worst'])} | {cells} | {none} |")
    for cat, r in rep.items():
        for cid, o, v in r["worst"]:
            tag = [k for k in RULES if cid in why[cat][k]]
            print(f"{cat}\t{cid}\tgeoschikt {o:.0f}\tvalhalla {v:.0f}\t{','.join(tag)}")


if __name__ == "__main__":
    main()
