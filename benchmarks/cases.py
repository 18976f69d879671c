"""Benchmark cases, each run as ``python -m benchmarks.cases CASE INPUT [OPTIONS]`` in a fresh
process by ``run_all.py``; a case prints one JSON line with its timings and peak memory.

Inputs are the real Delft extract or a SYNTHETIC town (``geoschikt.testing.synthetic``). The distance
cases share one prepared input per data set (network ways, candidate points and feature points
per criterion, pickled under ``benchmarks/.data``) so that every tool gets the same network and
the same points.
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import DATA, emit, ensure_input

NETWORK_KEYS = ("transit", "school", "supermarket", "gp", "pharmacy")


# ------------------------------------------------------------------------------------------
# inputs


def generate(name: str) -> None:
    """Generate (or find cached) input ``name``; reports the generator's own timing."""
    start = time.perf_counter()
    path, summary = ensure_input(name)
    emit(
        {
            "seconds": time.perf_counter() - start,
            "generator_seconds": summary.get("seconds"),
            "bytes": path.stat().st_size,
            "summary": summary,
        }
    )


def prepared_path(name: str) -> Path:
    return DATA / f"{name}-distance-inputs.pkl"


def prepare(name: str) -> None:
    """Parse input ``name`` once and pickle what the distance cases need."""
    import shapely

    from geoschikt.config import load_config
    from geoschikt.features import area_frame, default_extent, select_candidates, select_pois
    from geoschikt.geo import choose_metric_crs, to_crs
    from geoschikt.pipeline import _own_footprints, load_osm

    path, _ = ensure_input(name)
    cfg = load_config()
    osm = load_osm(path, cfg)
    area = area_frame(default_extent(osm), "extent", "extent")
    c = area.geometry.iat[0].centroid
    crs = choose_metric_crs(c.x, c.y, cfg.crs)
    cands = select_candidates(osm.buildings, area, cfg.candidates, crs)
    pts = shapely.point_on_surface(cands.geometry.values)
    pois = select_pois(osm.features, cfg.criteria, crs)
    feats = {}
    for key in NETWORK_KEYS:
        sub = pois[pois["category"] == key]
        feats[key] = (
            shapely.get_x(sub.geometry.values),
            shapely.get_y(sub.geometry.values),
            cfg.criterion(key).reach_m,
        )
    blob = {
        "ways": osm.ways,
        "crs": crs,
        "cx": shapely.get_x(pts),
        "cy": shapely.get_y(pts),
        "features": feats,
        # snapping obstacles: the footprints projected once, as the pipeline does for the
        # candidates and the obstacles (so that projection is not part of the distance stage)
        "buildings": to_crs(osm.buildings[["building", "geometry"]], crs),
        "water": osm.water,
        # per candidate, the row of its own footprint in "buildings" (the pipeline's hint)
        "own": _own_footprints(osm.buildings, cands),
    }
    DATA.mkdir(parents=True, exist_ok=True)
    with open(prepared_path(name), "wb") as fh:
        pickle.dump(blob, fh, protocol=pickle.HIGHEST_PROTOCOL)
    emit({"candidates": len(cands), "features": {k: len(v[0]) for k, v in feats.items()}})


def _load(name: str) -> dict:
    with open(prepared_path(name), "rb") as fh:
        return pickle.load(fh)


def _network(blob: dict):
    from geoschikt.config import load_config
    from geoschikt.network import build_network

    cfg = load_config()
    return build_network(blob["ways"], "walk", blob["crs"], cfg.network), cfg


# ------------------------------------------------------------------------------------------
# distance stage: geoschikt, pandana, osmnx + networkx


def distance_geoschikt(name: str) -> None:
    """build_network + snapping (past water and other buildings, as the pipeline does) +
    nearest_network for the five network criteria."""
    from geoschikt.config import load_config
    from geoschikt.network import build_network
    from geoschikt.obstacles import Obstacles, snap_clear
    from geoschikt.routing import nearest_network

    blob = _load(name)
    cfg = load_config()
    max_snap = cfg.network.max_snap_m
    own = _own(name, blob)
    t0 = time.perf_counter()
    net = build_network(blob["ways"], "walk", blob["crs"], cfg.network)
    t1 = time.perf_counter()
    obstacles = Obstacles.from_frames(blob.get("buildings"), blob.get("water"), blob["crs"])
    csnap = snap_clear(net, blob["cx"], blob["cy"], max_snap, obstacles, own=own)
    t2 = time.perf_counter()
    found = {}
    for key, (fx, fy, reach) in blob["features"].items():
        fsnap = snap_clear(net, fx, fy, max_snap, obstacles, buildings=False)
        near = nearest_network(net, csnap, fsnap, reach)
        found[key] = int(np.isfinite(near.distance).sum())
    t3 = time.perf_counter()
    emit(
        {
            "total_s": t3 - t0,
            "network_s": t1 - t0,
            "snap_s": t2 - t1,
            "nearest_s": t3 - t2,
            "nodes": net.n_nodes,
            "edges": len(net.u),
            "candidates": len(blob["cx"]),
            "in_reach": found,
        }
    )


def own_path(name: str) -> Path:
    return DATA / f"{name}-own.npy"


def _own(name: str, blob: dict):
    """Per candidate, the row of its own footprint: what the pipeline knows from the OSM ids
    (``pipeline._own_footprints``), kept by ``prepare``. Inputs prepared before it was kept
    read it from ``python -m benchmarks.cases own NAME``; without either, None (no hint)."""
    if "own" in blob:
        return blob["own"]
    return np.load(own_path(name)) if own_path(name).exists() else None


def save_own(name: str) -> None:
    """For inputs prepared before ``prepare`` kept the own footprints: the footprint holding
    each candidate's point (the candidates are the buildings' inside points)."""
    import shapely

    blob = _load(name)
    footprints = blob["buildings"].geometry.values
    pi, bi = shapely.STRtree(footprints).query(
        shapely.points(blob["cx"], blob["cy"]), predicate="within"
    )
    own = np.full(len(blob["cx"]), -1, dtype=np.int64)
    first = np.unique(pi, return_index=True)[1]  # the first footprint holding the point
    own[pi[first]] = bi[first]
    np.save(own_path(name), own)
    emit({"candidates": len(own), "with_own_footprint": int((own >= 0).sum())})


def distance_pandana(name: str) -> None:
    """pandana on geoschikt's node/edge arrays: Network (contraction hierarchies) +
    get_node_ids (node snapping) + set_pois/nearest_pois per criterion."""
    import pandas as pd

    blob = _load(name)
    net, _ = _network(blob)  # the same graph as geoschikt's; not timed
    t0 = time.perf_counter()
    pnet = _pandana_network(net)
    t1 = time.perf_counter()
    cand_node = pnet.get_node_ids(pd.Series(blob["cx"]), pd.Series(blob["cy"])).to_numpy()
    t2 = time.perf_counter()
    found = {}
    for key, (fx, fy, reach) in blob["features"].items():
        if len(fx) == 0:  # pandana refuses an empty POI set: nothing is in reach
            found[key] = 0
            continue
        pnet.set_pois(key, reach, 1, pd.Series(fx), pd.Series(fy))
        res = pnet.nearest_pois(reach, key, num_pois=1)
        d = res[1].to_numpy()[cand_node]
        found[key] = int((d < reach).sum())
    t3 = time.perf_counter()
    emit(
        {
            "total_s": t3 - t0,
            "prepare_s": t1 - t0,
            "snap_s": t2 - t1,
            "nearest_s": t3 - t2,
            "candidates": len(blob["cx"]),
            "in_reach": found,
        }
    )


def _nx_graph(net):
    import networkx as nx

    g = nx.MultiDiGraph(crs=net.crs)
    g.add_nodes_from(
        (i, {"x": float(x), "y": float(y)})
        for i, (x, y) in enumerate(zip(net.x, net.y, strict=True))
    )
    lengths = net.length.tolist()
    u, v = net.u.tolist(), net.v.tolist()
    g.add_edges_from((a, b, {"length": w}) for a, b, w in zip(u, v, lengths, strict=True))
    g.add_edges_from((b, a, {"length": w}) for a, b, w in zip(u, v, lengths, strict=True))
    return g


def distance_networkx(name: str, sample: int) -> None:
    """The naive way: osmnx nearest_nodes + one networkx Dijkstra per building (cut off at the
    largest reach), on a random sample of ``sample`` candidates; time is extrapolated to all."""
    import networkx as nx
    import osmnx as ox

    blob = _load(name)
    net, _ = _network(blob)
    n_all = len(blob["cx"])
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(n_all, size=min(sample, n_all), replace=False))
    t0 = time.perf_counter()
    g = _nx_graph(net)
    t1 = time.perf_counter()
    cnode = ox.distance.nearest_nodes(g, blob["cx"][pick], blob["cy"][pick])
    fnodes = {
        k: set(ox.distance.nearest_nodes(g, fx, fy).tolist()) if len(fx) else set()
        for k, (fx, fy, _) in blob["features"].items()
    }
    reach = max(r for _, _, r in blob["features"].values())
    t2 = time.perf_counter()
    found = dict.fromkeys(fnodes, 0)
    for s in np.asarray(cnode).tolist():
        dist = nx.single_source_dijkstra_path_length(g, s, cutoff=reach, weight="length")
        for k, nodes in fnodes.items():
            r = blob["features"][k][2]
            best = min((dist[n] for n in nodes if n in dist), default=np.inf)
            found[k] += int(best <= r)
    t3 = time.perf_counter()
    per_building = (t3 - t2) / len(pick)
    emit(
        {
            "graph_s": t1 - t0,
            "snap_s": t2 - t1,
            "sample": len(pick),
            "sample_s": t3 - t2,
            "per_building_s": per_building,
            # graph + snapping measured; the Dijkstras extrapolated from the sample to all
            "total_s": (t2 - t0) + per_building * n_all,
            "candidates": n_all,
            "in_reach_sample": found,
        }
    )


def distance_accuracy(name: str, n_points: int) -> None:
    """Points placed exactly on network nodes (so node and edge snapping agree): geoschikt and
    pandana against an exact Dijkstra (networkx multi-source, independent of both)."""
    import networkx as nx
    import pandas as pd

    from geoschikt.network import snap_to_edges
    from geoschikt.routing import nearest_network

    blob = _load(name)
    net, cfg = _network(blob)
    rng = np.random.default_rng(1)
    cand = rng.choice(net.n_nodes, size=min(n_points, net.n_nodes), replace=False)
    g = nx.Graph()
    g.add_weighted_edges_from(
        zip(net.u.tolist(), net.v.tolist(), net.length.tolist(), strict=True), weight="length"
    )
    pnet = _pandana_network(net)
    csnap = snap_to_edges(net, net.x[cand], net.y[cand], cfg.network.max_snap_m)
    cnode_p = pnet.get_node_ids(pd.Series(net.x[cand]), pd.Series(net.y[cand])).to_numpy()
    out = {"points": len(cand), "per_criterion": {}}
    err_g, err_p, n_cmp, disagree_reach = [], [], 0, 0
    for key, (fx, _, reach) in blob["features"].items():
        k = max(len(fx), 1)
        fnode = rng.choice(net.n_nodes, size=k, replace=False)
        ref_map = nx.multi_source_dijkstra_path_length(
            g, set(fnode.tolist()), cutoff=reach, weight="length"
        )
        ref = np.array([ref_map.get(int(c), np.inf) for c in cand])
        fsnap = snap_to_edges(net, net.x[fnode], net.y[fnode], cfg.network.max_snap_m)
        ours = nearest_network(net, csnap, fsnap, reach).distance
        pnet.set_pois(key, reach, 1, pd.Series(net.x[fnode]), pd.Series(net.y[fnode]))
        theirs = pnet.nearest_pois(reach, key, num_pois=1)[1].to_numpy()[cnode_p].astype(float)
        theirs[theirs >= reach] = np.inf
        both = np.isfinite(ref)
        n_cmp += int(both.sum())
        disagree_reach += int((np.isfinite(ours) != both).sum())
        eg = np.abs(ours[both] - ref[both])
        ep = np.abs(theirs[both] - ref[both])
        err_g.append(eg)
        err_p.append(ep)
        out["per_criterion"][key] = {
            "compared": int(both.sum()),
            "geoschikt_max_abs_m": float(eg.max()) if len(eg) else 0.0,
            "pandana_max_abs_m": float(np.nanmax(ep)) if len(ep) else 0.0,
        }
    eg, ep = np.concatenate(err_g), np.concatenate(err_p)
    out.update(
        {
            "compared": n_cmp,
            "reach_disagreements_geoschikt": disagree_reach,
            "geoschikt_max_abs_m": float(eg.max()),
            "geoschikt_share_within_1mm": float((eg <= 1e-3).mean()),
            "pandana_max_abs_m": float(np.nanmax(ep)),
            "pandana_median_abs_m": float(np.nanmedian(ep)),
            "pandana_share_within_1mm": float((ep <= 1e-3).mean()),
            "pandana_share_within_1m": float((ep <= 1.0).mean()),
        }
    )
    emit(out)


# ------------------------------------------------------------------------------------------
# the whole pipeline


def _score(osm, cfg):
    from geoschikt import pipeline

    if hasattr(pipeline, "score_osm"):
        return pipeline.score_osm(osm, config=cfg)
    raise RuntimeError("geoschikt.pipeline.score_osm is missing")


def pipeline_run(name: str, with_map: bool) -> None:
    """Parse, score and write: per stage; the map (being rewritten elsewhere) only if asked."""
    from geoschikt.config import load_config
    from geoschikt.outputs import write as write_mod
    from geoschikt.pipeline import load_osm

    path, _ = ensure_input(name)
    cfg = load_config()
    t0 = time.perf_counter()
    osm = load_osm(path, cfg)
    t1 = time.perf_counter()
    result = _score(osm, cfg)
    t2 = time.perf_counter()
    out = Path(tempfile.mkdtemp(prefix=f"bench-{name}-", dir=DATA))
    map_s = None
    try:
        if with_map:
            start = time.perf_counter()
            write_mod.write_map(result, out / "map-only.html")
            map_s = time.perf_counter() - start
            size = (out / "map-only.html").stat().st_size
        else:
            original = write_mod.write_map
            write_mod.write_map = lambda *_a, **_k: None  # tables + run.json only
            try:
                t3 = time.perf_counter()
                write_mod.write_outputs(result, out / "run", overwrite=True)
                t4 = time.perf_counter()
            finally:
                write_mod.write_map = original
            size = sum(p.stat().st_size for p in (out / "run").iterdir())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if with_map:
        emit({"map_s": map_s, "map_bytes": size, "candidates": len(result.candidates)})
        return
    stages = dict(result.provenance.get("timings_s", {}))
    stages.pop("reading OSM data", None)
    emit(
        {
            "read_s": t1 - t0,
            "score_s": t2 - t1,
            "write_s": t4 - t3,
            "parsed_to_written_s": (t2 - t1) + (t4 - t3),
            "stages": stages,
            "candidates": len(result.candidates),
            "output_bytes": size,
            "networks": result.provenance.get("counts", {}).get("networks", {}),
        }
    )


def baseline_read(name: str) -> None:
    """The floor: read the same PBF into GeoDataFrames with pyosmium (benchmarks.baseline_reader)."""
    from benchmarks.baseline_reader import read_geodataframes

    path, _ = ensure_input(name)
    t0 = time.perf_counter()
    frames = read_geodataframes(path)
    emit({"read_s": time.perf_counter() - t0, "rows": {k: len(v) for k, v in frames.items()}})


def cli_score(name: str) -> None:
    """``geoschikt score --osm FILE`` with all outputs, as a user runs it (the parent times the
    whole process, interpreter start included)."""
    import contextlib
    import sys

    from geoschikt.cli import main as geoschikt_main

    path, _ = ensure_input(name)
    out = Path(tempfile.mkdtemp(prefix=f"bench-cli-{name}-", dir=DATA))
    sys.argv = ["geoschikt", "-q", "score", "--osm", str(path), "--out", str(out / "o")]
    try:
        with contextlib.redirect_stdout(sys.stderr), contextlib.suppress(SystemExit):
            geoschikt_main()
        ok = (out / "o" / "run.json").is_file()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if not ok:
        raise SystemExit("geoschikt score wrote no outputs")
    emit({"ok": ok})


def distance_criteria(name: str, which: str, min_floor_area: float | None = None) -> None:
    """The whole distance stage (``Measurer.measure``: networks, snapping, every criterion)
    for the five COA criteria (``five``: the others disabled) or for every default criterion
    (``all``: walk-or-bike, busy roads, counts, embedding included; ``straight``: the same
    with the residential share in a straight line instead of walking). The OSM file is read
    first, untimed. ``min_floor_area``: another candidate floor-area minimum (m2)."""
    import shapely

    from geoschikt.config import load_config
    from geoschikt.features import area_frame, default_extent, select_candidates, select_pois
    from geoschikt.geo import choose_metric_crs
    from geoschikt.measure import Measurer
    from geoschikt.pipeline import Timings, load_osm

    cfg = load_config(overrides={"surface": {"resolution_m": 0}})
    if min_floor_area is not None:
        cfg = cfg.with_overrides({"candidates": {"min_floor_area_m2": min_floor_area}})
    if which == "straight":
        cfg = cfg.with_overrides({"criteria": {"residential": {"mode": "straight"}}})
    if which == "five":
        cfg = cfg.with_overrides(
            {
                "criteria": {
                    c.key: {"enabled": False} for c in cfg.criteria if c.key not in NETWORK_KEYS
                }
            }  # fmt: skip
        )
    path, _ = ensure_input(name)
    osm = load_osm(path, cfg)
    area = area_frame(default_extent(osm), "extent", "extent")
    c = area.geometry.iat[0].centroid
    crs = choose_metric_crs(c.x, c.y, cfg.crs)
    cands = select_candidates(osm.buildings, area, cfg.candidates, crs)
    pts = shapely.point_on_surface(cands.geometry.values)
    pois = select_pois(osm.features, cfg.criteria, crs)
    timings = Timings()
    t0 = time.perf_counter()
    measured, _ = Measurer(osm, pois, cfg, crs, timings).measure(
        shapely.get_x(pts), shapely.get_y(pts)
    )
    total = time.perf_counter() - t0
    emit(
        {
            "total_s": total,
            "criteria": [m.criterion.key for m in measured],
            "stages": timings.seconds,
            "candidates": len(cands),
        }
    )


def _pandana_network(net):
    """pandana's Network (with its contraction-hierarchy preparation) of geoschikt's arrays."""
    import pandana
    import pandas as pd

    return pandana.Network(
        pd.Series(net.x),
        pd.Series(net.y),
        pd.Series(net.u),
        pd.Series(net.v),
        pd.DataFrame({"length": net.length}),
        twoway=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("input")
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--map", action="store_true")
    ap.add_argument("--min-floor-area", type=float, default=None)
    a = ap.parse_args()
    if a.case == "generate":
        generate(a.input)
    elif a.case == "prepare":
        prepare(a.input)
    elif a.case == "own":
        save_own(a.input)
    elif a.case == "geoschikt":
        distance_geoschikt(a.input)
    elif a.case in ("criteria-five", "criteria-all", "criteria-straight"):
        distance_criteria(a.input, a.case.split("-")[1], a.min_floor_area)
    elif a.case == "pandana":
        distance_pandana(a.input)
    elif a.case == "networkx":
        distance_networkx(a.input, a.sample)
    elif a.case == "accuracy":
        distance_accuracy(a.input, a.sample)
    elif a.case == "pipeline":
        pipeline_run(a.input, a.map)
    elif a.case == "baseline":
        baseline_read(a.input)
    elif a.case == "cli":
        cli_score(a.input)
    else:
        raise SystemExit(f"unknown case {a.case}")


if __name__ == "__main__":
    main()
