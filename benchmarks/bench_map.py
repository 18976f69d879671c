"""Map size and load time against the number of candidates (synthetic candidates).

Run as ``python benchmarks/bench_map.py [--quick]``; ``main()`` returns the Markdown section.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoschikt.config import load_config
from geoschikt.geo import RD_NEW, WGS84, transform_xy
from geoschikt.outputs.webmap import MapOptions, write_map
from geoschikt.pipeline import ScoreResult
from geoschikt.scoring import (
    Measured,
    decay,
    dist_col,
    nearest_col,
    note_col,
    points_col,
    score_col,
    value_col,
    value_score,
)
from geoschikt.testing.browser import Browser, BrowserError, chromium_path

SIZES = (1_000, 10_000, 50_000)
QUICK_SIZES = (1_000, 10_000)
RUNS = 3
READY = "document.documentElement.dataset.gsReadyMs"


def synthetic_result(n: int, *, seed: int = 0) -> ScoreResult:
    """A ScoreResult with ``n`` SYNTHETIC candidates: 10 × 8 m footprints on a jittered grid
    around Delft, random distances (and values), scored with the configured curves. Not real
    buildings."""
    rng = np.random.default_rng(seed)
    config = load_config()
    side = int(np.ceil(np.sqrt(n)))
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    x = 84_000 + gx.ravel()[:n] * 25.0 + rng.uniform(-5, 5, n)
    y = 445_000 + gy.ravel()[:n] * 25.0 + rng.uniform(-5, 5, n)
    boxes = shapely.box(x - 5, y - 4, x + 5, y + 4)
    lon, lat = transform_xy(x, y, RD_NEW, WGS84)
    cols: dict[str, object] = {
        "candidate_id": [f"way/{100_000_000 + i}" for i in range(n)],
        "name": np.where(rng.random(n) < 0.05, "Synthetic building", None),
        "lon": np.round(lon, 7),
        "lat": np.round(lat, 7),
    }
    total = np.zeros(n)
    weights = 0.0
    fails = np.full(n, "", dtype=object)
    measured = []
    for c in config.criteria:
        d = rng.gamma(2.0, 300.0, n)
        if getattr(c, "measure", "distance") == "distance":
            s = decay(d, c)
            measured.append(Measured(c, d))
        else:  # scored on a value, e.g. reception pressure in places
            v = rng.gamma(1.5, 60.0, n)
            s = value_score(v, c)
            cols[value_col(c.key)] = np.round(v, 2)
            measured.append(Measured(c, d, value=v))
        cols[dist_col(c.key)] = np.round(d, 1)
        cols[score_col(c.key)] = np.round(s, 1)
        cols[points_col(c.key)] = np.round(s * c.weight, 1)
        cols[note_col(c.key)] = None
        cols[nearest_col(c.key)] = [f"Synthetic {c.key} {i % 40} (node/{i % 40})" for i in range(n)]
        if c.max_m is not None:
            over = d > c.max_m
            fails[over] = fails[over] + np.where(fails[over] == "", "", "; ") + f"{c.key}: x"
        total += s * c.weight
        weights += c.weight
    suitability = np.round(total / weights, 1)
    passes = fails == ""
    order = np.lexsort((-suitability, ~passes))
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(1, n + 1)
    cols.update(suitability=suitability, passes=passes, fails=fails, rank=rank)
    candidates = gpd.GeoDataFrame(pd.DataFrame(cols), geometry=boxes, crs=RD_NEW)
    keys = [c.key for c in config.criteria if c.source == "osm"]
    m = 40 * len(keys)
    pois = gpd.GeoDataFrame(
        {
            "category": np.repeat(keys, 40),
            "name": [f"Synthetic feature {i}" for i in range(m)],
            "source": "osm",
        },
        geometry=gpd.points_from_xy(
            rng.uniform(x.min(), x.max(), m), rng.uniform(y.min(), y.max(), m)
        ),
        crs=RD_NEW,
    )
    area = gpd.GeoDataFrame(
        {"name": ["synthetic area"], "source": ["synthetic"]},
        geometry=[shapely.box(x.min() - 50, y.min() - 50, x.max() + 50, y.max() + 50)],
        crs=RD_NEW,
    ).to_crs(WGS84)
    provenance = {
        "area": {"name": f"synthetic area ({n:,} synthetic candidates)"},
        "started": "2025-01-01T00:00:00",
        "osm_data_timestamp": "synthetic",
        "inputs": [{"role": "osm", "path": "synthetic"}],
        "config_sources": list(config.sources),
    }
    return ScoreResult(
        candidates, pois, area, None, config, RD_NEW, provenance, measured=tuple(measured)
    )


def measure(n: int, browser: Browser | None, directory: Path, runs: int) -> dict:
    """Write the map for ``n`` synthetic candidates; time writing and loading it."""
    result = synthetic_result(n)
    path = directory / f"map_{n}.html"
    start = time.perf_counter()
    write_map(result, path, MapOptions())
    write_s = time.perf_counter() - start
    row = {"n": n, "bytes": path.stat().st_size, "write_s": write_s, "load_ms": None}
    if browser is not None:
        times, change_wall, change_cpu = [], [], []
        for _ in range(runs):
            page = browser.new_page(1280, 800)
            page.call("Performance.enable")
            page.open(path, ready=READY, timeout=120)
            times.append(float(page.evaluate(READY)))
            wall, cpu = weight_changes(page, [c.key for c in result.config.criteria])
            change_wall += wall
            change_cpu += cpu
            page.close()
        row["load_ms"] = statistics.median(times)
        row["change_ms"] = statistics.median(change_wall)
        row["change_cpu_ms"] = statistics.median(change_cpu)
    return row


def weight_changes(page, keys: list[str], changes: int = 5) -> tuple[list[float], list[float]]:
    """Change the weights ``changes`` times through ``geoschikt.setWeights``: per change the
    wall time until the next frame is drawn and the renderer process's CPU time (which a busy
    machine inflates less than wall time)."""
    wall, cpu = [], []
    page.evaluate("new Promise(r => setTimeout(r, 200))")  # the page's idle-time set-up
    for k in range(changes):
        weights = {key: float((k + j) % 4) + 0.5 for j, key in enumerate(keys)}
        before = _process_time(page)
        wall.append(
            page.evaluate(
                "new Promise(r => { const t = performance.now(); "
                f"geoschikt.setWeights({json.dumps(weights)}); "
                "requestAnimationFrame(() => setTimeout(() => r(performance.now() - t), 0)); })"
            )
        )
        cpu.append(1000 * (_process_time(page) - before))
    return wall, cpu


def _process_time(page) -> float:
    metrics = page.call("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "ProcessTime")


def main(quick: bool = False) -> str:
    """Markdown section: map file size and load time for 1k/10k(/50k) synthetic candidates."""
    sizes = QUICK_SIZES if quick else SIZES
    runs = 1 if quick else RUNS
    rows = []
    note = ""
    with tempfile.TemporaryDirectory() as tmp:
        browser = None
        if chromium_path() is None:
            note = "Chromium not found: load times not measured.\n\n"
        else:
            try:
                browser = Browser(offline=True)
            except BrowserError as exc:
                note = f"Chromium could not start ({exc}): load times not measured.\n\n"
        try:
            for n in sizes:
                rows.append(measure(n, browser, Path(tmp), runs))
        finally:
            if browser is not None:
                version = browser.version
                browser.close()
    lines = [
        "## Map: file size and load time",
        "",
        "Method: `write_map` on SYNTHETIC results (10 × 8 m footprints on a jittered 25 m grid "
        "near Delft, random distances, the default configuration's "
        f"{len(load_config().criteria)} criteria, 40 synthetic features per criterion; "
        "default options: Leaflet and data inlined, the best 2,000 candidates with footprints). "
        "Load time is `performance.now()` when the page's first frame after building all layers "
        "is drawn (from the start of navigation: reading and parsing the HTML, parsing the data, "
        "creating the layers, first render), in headless Chromium"
        + (f" ({version})" if browser is not None else "")
        + " with the network disabled, 1280 × 800 viewport, "
        f"median of {runs} load(s) in fresh tabs. Above 5,000 candidates the points are drawn on "
        "a canvas, below as SVG. A weights change is `geoschikt.setWeights` with all weights "
        "changed (suitability, class, rank, colours, top list) until the next frame is drawn: "
        "wall time, and the renderer process's CPU time (median of 5 changes per load).",
        "",
        note + "| candidates | map.html | bytes per candidate | write (s) | load (ms, median) "
        "| weights change (ms) | weights change CPU (ms) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        load = "–" if r["load_ms"] is None else f"{r['load_ms']:,.0f}"
        change = "–" if r["load_ms"] is None else f"{r['change_ms']:,.0f}"
        change_cpu = "–" if r["load_ms"] is None else f"{r['change_cpu_ms']:,.0f}"
        lines.append(
            f"| {r['n']:,} | {r['bytes'] / 1e6:.2f} MB | {r['bytes'] / r['n']:,.0f} | "
            f"{r['write_s']:.2f} | {load} | {change} | {change_cpu} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, one load each")
    args = parser.parse_args()
    sys.stdout.write(main(quick=args.quick))
