"""geoschikt's walking distances on the Delft extract against Valhalla's pedestrian routes.

    python benchmarks/walk_reference.py [--python PY312] [--limit N] [--config NAME ...]

Scores the Delft extract with the default configuration, writes the candidates and features as
points, runs ``benchmarks/valhalla_reference.py`` under a Python 3.12 interpreter that has
``pyvalhalla`` (default ``/work/venv312/bin/python``, or ``$GEOSCHIKT_PY312``) to build the
tiles (with a Dutch country boundary) and compute the reference table, and prints, per
configuration of the reference (``CONFIGS``), the share of candidates per category whose
distances agree within max(50 m, 10 %) and every difference, with the geoschikt rule that,
switched off, removes it. Valhalla's distance runs from its snapped locations; the straight
lines from each routed location to where Valhalla snapped it are added (geoschikt counts its
snapping offsets too).
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


def reference_table(py: Path, points: dict) -> dict:
    """{(candidate_id, category): metres or NaN} from Valhalla, cached by the inputs' hash
    (tiles from the extract, or from its walkers' view when ``points["input"]`` says so)."""
    walkers = points.get("input") == "walkers"
    work = DATA / ("valhalla-walkers" if walkers else "valhalla")
    blob = json.dumps(points, sort_keys=True).encode() + SCRIPT.read_bytes()
    key = hashlib.sha256(blob).hexdigest()[:12]
    out = work / f"reference-{key}.csv"
    if not out.is_file():
        if not (work / "tiles").is_dir():
            build = [str(py), str(SCRIPT), "build", str(DELFT_PBF), str(work)]
            subprocess.run(build + (["--walkers"] if walkers else []), check=True)
        pts = work / f"points-{key}.json"
        pts.write_text(json.dumps(points))
        subprocess.run([str(py), str(SCRIPT), "matrix", str(work), str(pts), str(out)], check=True)
    table = {}
    with open(out) as fh:
        for row in csv.DictReader(fh):
            v = row["valhalla_m"]
            table[(row["candidate_id"], row["category"])] = float(v) if v else math.nan
    return table


# Valhalla's pedestrian costing set to geoschikt's rules where it has an option for them:
# path length only (every factor neutral, no maneuver, gate, step or alley penalties, hills and
# lighting ignored), entering a destination-only way (Valhalla: access=private, destination,
# customers, delivery, ...) or passing a gate or bollard with access=private costs an hour
# (about 5 km of walking), so a walk uses them only where it must: to start or end there.
# ``shortest=true`` cannot be used: it switches every penalty off. What remains of Valhalla's
# time costing: small fixed costs for crossing intersections.
DUTCH_RULES = {
    "shortest": False,
    "walkway_factor": 1.0,
    "sidewalk_factor": 1.0,
    "alley_factor": 1.0,
    "driveway_factor": 1.0,
    "service_factor": 1.0,
    "use_living_streets": 0.5,
    "use_tracks": 0.5,
    "use_hills": 1.0,
    "use_lit": 0.0,
    "use_ferry": 1.0,
    "ferry_cost": 0.0,
    "step_penalty": 0.0,
    "elevator_penalty": 0.0,
    "maneuver_penalty": 0.0,
    "alley_penalty": 0.0,
    "service_penalty": 0.0,
    "gate_cost": 0.0,
    "gate_penalty": 0.0,
    "destination_only_penalty": 3600.0,
    "private_access_penalty": 3600.0,
}
# The configurations compared (costing, routed from geoschikt's snapped locations?, tiles):
# - shortest: Valhalla's shortest paths, its own snapping, the extract (as first written);
# - dutch: the Dutch rules above on the walkers' view of the extract (valhalla_reference.py,
#   ``walkers_view``: Valhalla makes parking aisles, driveways and ways closed to motor
#   vehicles destination-only for walkers too; those tags are taken off), its own snapping;
# - dutch-snapped: the same, routed from where geoschikt snapped each point (past water and
#   other buildings) with geoschikt's snapping distance added.
CONFIGS = {
    "shortest": ({"shortest": True}, False, "osm"),
    "dutch": (DUTCH_RULES, False, "walkers"),
    "dutch-snapped": (DUTCH_RULES, True, "walkers"),
}


def points_of(result, limit: int | None = None, config: str = "shortest") -> dict:
    """The candidates (id, lon, lat), the features per category, the reaches and the costing
    of configuration ``config`` (with geoschikt's snapped locations where it asks for them)."""
    from geoschikt.geo import WGS84, to_crs

    options, snapped, tiles = CONFIGS[config]
    cands = result.candidates
    pick = np.arange(len(cands))
    if limit:
        pick = np.linspace(0, len(cands) - 1, limit).astype(int)
    cands = cands.iloc[pick]
    pois = to_crs(result.pois, WGS84)
    routed = snapped_locations(result) if snapped else None
    feats = {}
    for cat in CATEGORIES:
        sel = np.flatnonzero((pois["category"] == cat).to_numpy())
        feats[cat] = [
            [round(p.x, 7), round(p.y, 7), *(routed["features"][i] if routed else [])]
            for i, p in zip(sel, pois.geometry.values[sel], strict=True)
        ]
    rows = zip(cands["candidate_id"], cands["lon"], cands["lat"], pick, strict=True)
    return {
        "candidates": [
            [str(i), round(float(lon), 7), round(float(lat), 7)]
            + (routed["candidates"][k] if routed else [])
            for i, lon, lat, k in rows
        ],
        "features": feats,
        "reach_m": {c: result.config.criterion(c).reach_m for c in CATEGORIES},
        "costing_options": options,
        "input": tiles,
    }


def snapped_locations(result) -> dict:
    """Where geoschikt snaps each candidate and feature (lon, lat) and its snapping distance,
    made again as the pipeline makes them (and checked against the run's snapping columns)."""
    import shapely

    from geoschikt.config import load_config
    from geoschikt.geo import WGS84, to_crs, transform_xy
    from geoschikt.network import build_network
    from geoschikt.obstacles import Obstacles, snap_clear
    from geoschikt.pipeline import load_osm

    cfg = load_config()
    osm = load_osm(DELFT_PBF, cfg)
    net = build_network(osm.ways, "walk", result.crs, cfg.network)
    obstacles = Obstacles.from_frames(to_crs(osm.buildings, result.crs), osm.water, result.crs)
    max_snap = cfg.network.max_snap_m

    def located(snap) -> list:
        xy = shapely.get_coordinates(net.segments[np.maximum(snap.edge, 0)]).reshape(-1, 2, 2)
        fx = xy[:, 0, 0] + snap.t * (xy[:, 1, 0] - xy[:, 0, 0])
        fy = xy[:, 0, 1] + snap.t * (xy[:, 1, 1] - xy[:, 0, 1])
        lon, lat = transform_xy(fx, fy, result.crs, WGS84)
        return [
            [round(float(a), 7), round(float(b), 7), round(float(m), 2)] if e >= 0 else []
            for a, b, m, e in zip(lon, lat, snap.offset_m, snap.edge, strict=True)
        ]

    pts = shapely.point_on_surface(result.candidates.geometry.values)
    cands = snap_clear(net, shapely.get_x(pts), shapely.get_y(pts), max_snap, obstacles)
    ours = result.candidates["snap_walk_m"].to_numpy(dtype=float)
    assert np.allclose(np.round(cands.offset_m, 1), ours, equal_nan=True), "not the run's snaps"
    geoms = result.pois.geometry.values
    feats = snap_clear(
        net, shapely.get_x(geoms), shapely.get_y(geoms), max_snap, obstacles, buildings=False
    )
    return {"candidates": located(cands), "features": located(feats)}


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


_WITHOUT: dict = {}


def causes(result, table: dict, report: dict) -> dict:
    """Per category: how many disagreements agree once a rule is switched off."""
    out = {}
    for rule in RULES:
        if rule not in _WITHOUT:
            _WITHOUT[rule] = score_without(rule)
    others = _WITHOUT
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
    ap.add_argument("--config", choices=list(CONFIGS), action="append")
    args = ap.parse_args()
    py = args.python or python312()
    if py is None:
        sys.exit("no Python 3.12 with pyvalhalla (set GEOSCHIKT_PY312); see the module docstring")

    result = score_delft()
    for config in args.config or list(CONFIGS):
        table = reference_table(py, points_of(result, args.limit, config))
        rep = compare(result, table)
        print(f"\n{config}:")
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
