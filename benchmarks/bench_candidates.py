"""Candidate stage before/after the address join and floor area (issue 10), on a SYNTHETIC town.

    python -m benchmarks.bench_candidates --size synth-1M --before /path/to/old/checkout

Parses the town once (this checkout's reader), adds one SYNTHETIC address point per building
(at a point inside its footprint, from its own addr:* tags, so the join has real work to do) and
pickles buildings, address points and the area. Then, in fresh processes, times
``features.select_candidates`` of the old checkout (``--before``) and of this one, alternating,
``--runs`` times each, with the same building types (the town's house|apartments|yes) on both
sides. Prints one JSON line with the medians and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import DATA, REPO, ensure_input

TYPES = ("house", "apartments", "yes")  # every type the synthetic town has

CHILD = r"""
import pickle, sys, time
sys.path.insert(0, sys.argv[1])
import geoschikt.features as f
from geoschikt.config import CandidateRules
with open(sys.argv[2], "rb") as fh:
    blob = pickle.load(fh)
types = tuple(blob["types"])
if sys.argv[3] == "before":
    rules = CandidateRules(types, 60.0, 5000.0)
    args = (blob["buildings"], blob["area"], rules, "EPSG:28992")
else:
    from geoschikt.config import load_config
    over = {"building_types": list(types), "min_floor_area_m2": 0, "max_floor_area_m2": 1e9}
    rules = load_config(overrides={"candidates": over}).candidates
    args = (blob["buildings"], blob["area"], rules, "EPSG:28992", blob["addresses"])
start = time.perf_counter()
out = f.select_candidates(*args)
took = time.perf_counter() - start
print("RESULT", took, len(out), int(out["address"].notna().sum()) if "address" in out else -1)
"""


def prepare(size: str) -> Path:
    import geopandas as gpd
    import numpy as np
    import shapely

    from geoschikt.config import load_config
    from geoschikt.features import area_frame, default_extent
    from geoschikt.pipeline import load_osm

    target = DATA / f"{size}-candidates.pkl"
    if target.is_file():
        return target
    path, _ = ensure_input(size)
    osm = load_osm(path, load_config())
    b = osm.buildings
    inside = shapely.point_on_surface(b.geometry.values)
    addresses = gpd.GeoDataFrame(
        {
            "osm_id": np.arange(len(b), dtype=np.int64),
            "addr:street": b["addr:street"].to_numpy(),
            "addr:housenumber": b["addr:housenumber"].to_numpy(),
            "addr:postcode": None,
            "addr:city": "Synthetica (SYNTHETIC)",
        },
        geometry=inside,
        crs="EPSG:4326",
    )
    buildings = b  # own addr:* tags too (as the old code reads them): both paths do work
    area = area_frame(default_extent(osm), "extent", "extent")
    DATA.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as fh:
        pickle.dump(
            {"buildings": buildings, "addresses": addresses, "area": area, "types": TYPES}, fh
        )
    return target


def run(checkout: Path, blob: Path, side: str) -> tuple[float, int, int]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(checkout), str(blob), side],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode:
        raise RuntimeError(f"{side} run failed:\n{proc.stderr[-2000:]}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    _, took, n, addressed = line.split()
    return float(took), int(n), int(addressed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="synth-1M")
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    blob = prepare(args.size)
    before, after = [], []
    for _ in range(args.runs):
        before.append(run(args.before, blob, "before"))
        after.append(run(REPO, blob, "after"))
    b = statistics.median(t for t, _, _ in before)
    a = statistics.median(t for t, _, _ in after)
    print(
        json.dumps(
            {
                "size": args.size,
                "before_s": [round(t, 2) for t, _, _ in before],
                "after_s": [round(t, 2) for t, _, _ in after],
                "candidates_before": before[0][1],
                "candidates_after": after[0][1],
                "with_address_after": after[0][2],
                "ratio_after_before": round(a / b, 2),
                "total_s": round(time.perf_counter() - start, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
