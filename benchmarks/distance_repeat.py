"""The SYNTHETIC 100k distance stage timed inside one process: the first run and the median of
the next N, for the checkout on PYTHONPATH (also f262f25, before the walking rules).

    PYTHONPATH=<checkout> python benchmarks/distance_repeat.py PREPARED.pkl [N]

PREPARED.pkl is ``benchmarks/.data/synth-100k-distance-inputs.pkl`` (``python -m
benchmarks.cases prepare synth-100k``). Complements ``benchmarks.cases geoschikt``, which times
one run per process: this one separates the first run (imports, first-touch memory) from the
steady cost. Prints one line: ``STAGE {"first": s, "median": s, "parts_median": [network,
snapping, nearest]}``.
"""

from __future__ import annotations

import inspect
import json
import pickle
import statistics
import sys
import time
from pathlib import Path

import numpy as np

try:  # f262f25 had no geoschikt.acquire.osmfile; its pickled ways refer to it
    import geoschikt.acquire.osmfile  # noqa: F401
except ImportError:
    import geoschikt.acquire as _acquire

    sys.modules["geoschikt.acquire.osmfile"] = _acquire

from geoschikt.config import load_config
from geoschikt.network import build_network, snap_to_edges

try:
    from geoschikt.routing import nearest_network
except ImportError:  # f262f25
    from geoschikt.accessibility import nearest_network  # type: ignore[no-redef]
try:
    from geoschikt.obstacles import Obstacles, snap_clear
except ImportError:  # f262f25: no snapping past obstacles
    Obstacles = None  # type: ignore[assignment,misc]


def run(blob: dict, max_snap: float, rules) -> tuple[float, float, float, float]:
    t0 = time.perf_counter()
    net = build_network(blob["ways"], "walk", blob["crs"], rules)
    t1 = time.perf_counter()
    obstacles = None
    if Obstacles is not None:
        obstacles = Obstacles.from_frames(blob["buildings"], blob["water"], blob["crs"])
        own = {}  # the hint, for checkouts that take it
        if blob.get("own") is not None and "own" in inspect.signature(snap_clear).parameters:
            own = {"own": blob["own"]}
        cand = snap_clear(net, blob["cx"], blob["cy"], max_snap, obstacles, **own)
    else:
        cand = snap_to_edges(net, blob["cx"], blob["cy"], max_snap)
    t2 = time.perf_counter()
    for fx, fy, reach in blob["features"].values():
        if Obstacles is not None:
            feat = snap_clear(net, fx, fy, max_snap, obstacles, buildings=False)
        else:
            feat = snap_to_edges(net, fx, fy, max_snap)
        nearest_network(net, cand, feat, reach)
    t3 = time.perf_counter()
    return t3 - t0, t1 - t0, t2 - t1, t3 - t2


def main() -> None:
    with open(sys.argv[1], "rb") as fh:
        blob = pickle.load(fh)
    # the candidates' own footprints (the pipeline's hint): kept by ``prepare``, or beside
    # older inputs from ``python -m benchmarks.cases own NAME``
    sidecar = Path(sys.argv[1].replace("-distance-inputs.pkl", "-own.npy"))
    if "own" not in blob and sidecar.exists():
        blob["own"] = np.load(sidecar)
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    cfg = load_config()
    first = run(blob, cfg.network.max_snap_m, cfg.network)
    rest = [run(blob, cfg.network.max_snap_m, cfg.network) for _ in range(n)]
    parts = [round(statistics.median(r[i] for r in rest), 3) for i in (1, 2, 3)]
    out = {"first": first[0], "median": statistics.median(r[0] for r in rest)}
    print("STAGE", json.dumps({**out, "parts_median": parts}))


if __name__ == "__main__":
    main()
