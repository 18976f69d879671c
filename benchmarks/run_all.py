"""Run every benchmark and write benchmarks/BENCHMARKS.md.

    python benchmarks/run_all.py            # full: Delft + SYNTHETIC 10k, 100k, 1M buildings
    python benchmarks/run_all.py --quick    # Delft + 10k + 100k, fewer runs (for development)

Each measured run is a fresh subprocess (``python -m benchmarks.cases ...``) that reports its
timings and its peak resident memory (VmHWM); the tables give the median over runs and the
largest peak. Other modules ``benchmarks/bench_*.py`` that define ``main(quick: bool) -> str``
are imported and their Markdown sections appended. Generated inputs and scratch output go to
``benchmarks/.data/`` (git-ignored); the raw numbers of the last run to
``benchmarks/.data/last-run.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import math
import statistics
import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    DATA,
    REPO,
    SEED,
    Series,
    fmt_mb,
    fmt_ratio,
    fmt_s,
    machine,
    run_fresh,
)

OUT = REPO / "benchmarks" / "BENCHMARKS.md"
NX_INPUTS = ("delft", "synth-10k")  # the naive per-building Dijkstra only on the small ones
ACCURACY_INPUTS = ("delft", "synth-10k")


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def series(args: list[str], runs: int, *, timeout: float | None = None) -> Series:
    s = Series()
    for i in range(runs):
        r = run_fresh(args, timeout=timeout)
        s.runs.append(r)
        status = f"{r.wall_s:.1f} s, peak {r.peak_mb:.0f} MB" if r.ok else f"FAILED: {r.error}"
        log(f"  {' '.join(args)} [{i + 1}/{runs}]: {status}")
        if not r.ok:
            break
    return s


def plan(quick: bool) -> dict:
    inputs = ["delft", "synth-10k", "synth-100k"] + ([] if quick else ["synth-1M"])
    return {
        "inputs": inputs,
        "runs": 1 if quick else 3,
        "runs_1m_pipeline": 3,
        "runs_1m_pandana": 1,
        "nx_sample": 100 if quick else 300,
        "accuracy_points": 500 if quick else 2000,
        "map_inputs": ["delft", "synth-10k"] + ([] if quick else ["synth-100k", "synth-1M"]),
        "map_timeout": 600,
        "pandana_timeout": 3600,
    }


def collect(quick: bool) -> dict:
    p = plan(quick)
    runs = p["runs"]
    res: dict = {"quick": quick, "plan": p, "machine": machine(), "started": _now()}
    log(f"machine: {res['machine']['cores']} cores, {res['machine']['memory_gb']} GB")

    res["inputs"] = {}
    for name in p["inputs"]:
        log(f"input {name}")
        gen = series(["benchmarks.cases", "generate", name], 1)
        prep = series(["benchmarks.cases", "prepare", name], 1)
        res["inputs"][name] = {"generate": _dump(gen), "prepare": _dump(prep)}

    res["distance"] = {}
    for name in p["inputs"]:
        log(f"distance stage on {name}")
        big = name == "synth-1M"
        d = {
            "geoschikt": _dump(series(["benchmarks.cases", "geoschikt", name], runs)),
            "pandana": _dump(
                series(
                    ["benchmarks.cases", "pandana", name],
                    p["runs_1m_pandana"] if big else runs,
                    timeout=p["pandana_timeout"],
                )
            ),
        }
        if name in NX_INPUTS:
            d["networkx"] = _dump(
                series(
                    ["benchmarks.cases", "networkx", name, "--sample", str(p["nx_sample"])], runs
                )
            )
        res["distance"][name] = d

    res["accuracy"] = {}
    for name in ACCURACY_INPUTS:
        log(f"accuracy on {name}")
        args = ["benchmarks.cases", "accuracy", name, "--sample", str(p["accuracy_points"])]
        res["accuracy"][name] = _dump(series(args, 1))

    res["pipeline"] = {}
    for name in p["inputs"]:
        log(f"pipeline on {name}")
        n = p["runs_1m_pipeline"] if name == "synth-1M" else runs
        res["pipeline"][name] = _dump(series(["benchmarks.cases", "pipeline", name], n))
        res.setdefault("baseline", {})[name] = _dump(
            series(["benchmarks.cases", "baseline", name], n)
        )
    res["map"] = {}
    for name in p["map_inputs"]:
        log(f"map writer on {name}")
        res["map"][name] = _dump(
            series(["benchmarks.cases", "pipeline", name, "--map"], 1, timeout=p["map_timeout"])
        )

    log("Delft end to end (CLI) vs the baseline reader")
    e2e = {"cli": Series(), "baseline": Series()}
    for _ in range(max(runs, 3)):  # interleaved, so both see the same machine load
        for key, case in (("cli", "cli"), ("baseline", "baseline")):
            e2e[key].runs.append(run_fresh(["benchmarks.cases", case, "delft"]))
    res["delft_e2e"] = {k: _dump(v) for k, v in e2e.items()}
    res["finished"] = _now()
    return res


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _dump(s: Series) -> dict:
    return {
        "runs": [
            {"ok": r.ok, "error": r.error, "wall_s": r.wall_s, "peak_mb": r.peak_mb, **r.result}
            for r in s.runs
        ]
    }


def _load(d: dict) -> Series:
    from benchmarks.common import Run

    s = Series()
    for r in d.get("runs", []):
        extra = {k: v for k, v in r.items() if k not in ("ok", "error", "wall_s", "peak_mb")}
        s.runs.append(Run(extra, r["wall_s"], r["peak_mb"], r["ok"], r["error"]))
    return s


# ------------------------------------------------------------------------------------------
# Markdown


def _label(name: str) -> str:
    if name == "delft":
        return "Delft (real OSM)"
    return f"SYNTHETIC {name.split('-')[1]}"


def _div(a: float, b: float) -> float:
    return a / b if b and not (math.isnan(a) or math.isnan(b)) else float("nan")


def render(res: dict, extra_sections: list[str]) -> str:
    m = res["machine"]
    p = res["plan"]
    L: list[str] = []
    add = L.append
    add("# Benchmarks")
    add("")
    add(
        f"Written by `python benchmarks/run_all.py{' --quick' if res['quick'] else ''}` "
        f"({res['started']} – {res['finished']}). **Synthetic** inputs are invented towns made "
        "by `geoschikt.testing.synthetic` (every object tagged `source=geoschikt synthetic`), not "
        "OpenStreetMap data; Delft is the real OSM extract in `../shared/data/delft/`."
    )
    if res["quick"]:
        add("")
        add(
            "> **Quick run** (development): 1 run per case and no 1M case. Run without "
            "`--quick` for the figures to quote."
        )
    add("")
    add("## Method")
    add("")
    add(
        f"- Every run is a fresh Python process; times are the **median of {p['runs']} runs** "
        f"(the 1M pipeline: {p['runs_1m_pipeline']} runs; pandana at 1M: "
        f"{p['runs_1m_pandana']} run, as it takes minutes) measured inside the process with "
        "`time.perf_counter`, without interpreter start and imports unless said otherwise."
    )
    add(
        "- **Peak memory** is the process's peak resident set (`VmHWM` from "
        "`/proc/self/status`), the largest over the runs, imports and loaded inputs included."
    )
    add(
        "- Timings on this shared 2-core machine are noisy (other jobs may run); compare the "
        "**ratios** within one run, which see the same load."
    )
    add(
        "- The **distance stage** gets the same prepared input for every tool: the network "
        "ways of the OSM file, candidate points (a point on each candidate footprint) and the "
        "feature points of the five network criteria (transit, school, supermarket, GP, "
        "pharmacy), in EPSG:28992. *geoschikt*: `build_network` + `snap_to_edges` (candidates "
        "and features, onto edges) + `nearest_network` (one multi-source Dijkstra per "
        "criterion, to each criterion's reach). *pandana*: `pandana.Network` built from "
        "geoschikt's node and edge arrays (its contraction-hierarchy preparation is timed; "
        "building the arrays is not) + `get_node_ids` (nearest-node snapping) + `set_pois` / "
        "`nearest_pois` per criterion with the same reach. *osmnx + networkx*, the naive way: a "
        "networkx graph of the same arrays, `osmnx.distance.nearest_nodes`, then one "
        "`single_source_dijkstra_path_length` per building (cut off at the largest reach), "
        f"timed on a random sample of {p['nx_sample']} candidates and extrapolated to all."
    )
    add(
        "- **End to end** is `score_osm` (area, candidates, network, distances, scoring) + "
        "`write_outputs` (GeoPackage, CSV, run.json) on data already parsed with `load_osm`; "
        "parsing is shown beside it. The map (`outputs/webmap.py`, rewritten in another issue) "
        "is timed separately, one run per size."
    )
    add("")
    add("## Machine")
    add("")
    add(
        f"{m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB memory, Python {m['python']}, "
        f"{m['platform']}."
    )
    add("")
    add("| library | version |")
    add("| --- | --- |")
    for k, v in m["libraries"].items():
        add(f"| {k} | {v} |")
    add("")

    # inputs
    add("## Inputs")
    add("")
    add(
        "| input | buildings | candidates | walk network nodes / edges | features (transit, "
        "school, supermarket, GP, pharmacy) | file MB | generation s | generation peak MB |"
    )
    add("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for name, d in res["inputs"].items():
        gen, prep = _load(d["generate"]), _load(d["prepare"])
        g = gen.last()
        summ = g.get("summary", {})
        pr = prep.last()
        dist = _load(res["distance"][name]["geoschikt"]).last()
        feats = pr.get("features", {})
        gen_s = g.get("generator_seconds")
        add(
            f"| {_label(name)} | {summ.get('buildings', '(real)')} | {pr.get('candidates', '–')} | "
            f"{dist.get('nodes', '–'):,} / {dist.get('edges', '–'):,} | "
            f"{', '.join(str(v) for v in feats.values())} | "
            f"{g.get('bytes', 0) / 1e6:.1f} | "
            f"{fmt_s(gen_s) if gen_s is not None else '–'} | "
            f"{fmt_mb(gen.peak_mb()) if name != 'delft' else '–'} |"
        )
    add("")
    add(
        f"Synthetic towns: `write_synthetic_region(path, n, seed={SEED}, n_regions=4)`, cached "
        "in `benchmarks/.data/` by size and seed; the generation time is the generator's own "
        "(OPL text from numpy arrays streamed through `osmium.SimpleWriter`), measured when the "
        "file was made, and its peak memory is that of the process that made or found it."
    )
    add("")

    # distance stage
    add("## Distance stage: geoschikt vs pandana vs osmnx + networkx")
    add("")
    add(
        "| input | geoschikt s (network / snap / nearest) | pandana s (prepare / snap / "
        "nearest) | **pandana ÷ geoschikt** | osmnx+networkx s (extrapolated) | **networkx ÷ "
        "geoschikt** | peak MB geoschikt / pandana / networkx |"
    )
    add("| --- | --- | --- | ---: | ---: | ---: | --- |")
    for name, d in res["distance"].items():
        g, pd_ = _load(d["geoschikt"]), _load(d["pandana"])
        nx_ = _load(d["networkx"]) if "networkx" in d else Series()
        gt, pt, nt = g.median("total_s"), pd_.median("total_s"), nx_.median("total_s")
        pnote = f" ({len(pd_.good)} run)" if len(pd_.good) == 1 and p["runs"] > 1 else ""
        if pd_.errors():
            pnote += f" ({'; '.join(pd_.errors())})"
        add(
            f"| {_label(name)} | **{fmt_s(gt)}** ({fmt_s(g.median('network_s'))} / "
            f"{fmt_s(g.median('snap_s'))} / {fmt_s(g.median('nearest_s'))}) | "
            f"{fmt_s(pt)} ({fmt_s(pd_.median('prepare_s'))} / {fmt_s(pd_.median('snap_s'))} / "
            f"{fmt_s(pd_.median('nearest_s'))}){pnote} | **{fmt_ratio(_div(pt, gt))}** | "
            f"{fmt_s(nt)} | {fmt_ratio(_div(nt, gt))} | {fmt_mb(g.peak_mb())} / "
            f"{fmt_mb(pd_.peak_mb())} / {fmt_mb(nx_.peak_mb())} |"
        )
    add("")
    add(
        "Note that pandana and the naive approach snap every point to its nearest *node*; "
        "geoschikt snaps to the nearest *edge* and adds the offsets, which is what the scores "
        "use (node snapping is off by a median of ~20 m on Delft; see the README)."
    )
    add("")
    add("### Accuracy where snapping agrees (points placed exactly on network nodes)")
    add("")
    add(
        "| input | distances compared | geoschikt max abs error | pandana max / median abs "
        "error | pandana within 1 mm / 1 m |"
    )
    add("| --- | ---: | ---: | ---: | ---: |")
    for name, d in res["accuracy"].items():
        a = _load(d).last()
        if not a:
            add(f"| {_label(name)} | failed: {'; '.join(_load(d).errors())} | | | |")
            continue
        add(
            f"| {_label(name)} | {a['compared']:,} | {a['geoschikt_max_abs_m']:.1e} m | "
            f"{a['pandana_max_abs_m']:.3f} / {a['pandana_median_abs_m']:.3f} m | "
            f"{a['pandana_share_within_1mm']:.0%} / {a['pandana_share_within_1m']:.0%} |"
        )
    add("")
    add(
        f"Random candidate nodes ({p['accuracy_points']}) and as many random feature nodes per "
        "criterion as the input has features; the reference is networkx's multi-source "
        "Dijkstra (cut off at the criterion's reach), independent of both. geoschikt also "
        "agrees with it on which candidates are within reach "
        "(`reach_disagreements_geoschikt` = "
        + ", ".join(
            str(_load(d).last().get("reach_disagreements_geoschikt", "–"))
            for d in res["accuracy"].values()
        )
        + "). pandana's error comes from its single-precision distances."
    )
    add("")

    # scaling + end to end
    add("## How time and memory grow with size")
    add("")
    add(
        "| input | distance stage s | distance peak MB | parse (`load_osm`) s | baseline "
        "reader s | area + candidates s | network s | distances s | scoring s | write tables "
        "+ run.json s | **parsed → written s** | pipeline peak MB | map s (separate) |"
    )
    add(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |"
    )
    for name, d in res["pipeline"].items():
        s = _load(d)
        g = _load(res["distance"][name]["geoschikt"])
        stages = [r.result.get("stages", {}) for r in s.good]

        def st(key: str, stages=stages) -> float:
            vals = sorted(x.get(key, float("nan")) for x in stages)
            return vals[len(vals) // 2] if vals else float("nan")

        mp = _load(res["map"][name]) if name in res["map"] else Series()
        map_txt = fmt_s(mp.median("map_s")) if mp.good else ("; ".join(mp.errors()) or "not run")
        runs_note = f" ({len(s.good)} runs)" if len(s.good) != p["runs"] else ""
        add(
            f"| {_label(name)}{runs_note} | {fmt_s(g.median('total_s'))} | "
            f"{fmt_mb(g.peak_mb())} | {fmt_s(s.median('read_s'))} | "
            f"{fmt_s(_load(res.get('baseline', {}).get(name, {})).median('read_s'))} | "
            f"{fmt_s(st('selecting area and candidates'))} | "
            f"{fmt_s(st('building walk network'))} | {fmt_s(st('measuring distances'))} | "
            f"{fmt_s(st('scoring'))} | {fmt_s(s.median('write_s'))} | "
            f"**{fmt_s(s.median('parsed_to_written_s'))}** | {fmt_mb(s.peak_mb())} | {map_txt} |"
        )
    add("")
    add(
        "'distances' includes building the network (the stage 'network' is part of it). "
        "Peak memory of the pipeline includes the parsed OSM data. The baseline reader "
        "(`benchmarks/baseline_reader.py`) is the floor for parsing: pyosmium into "
        "GeoDataFrames of buildings, POIs and ways, nothing else."
    )
    add("")
    growth = []
    for a, b in (("synth-10k", "synth-100k"), ("synth-100k", "synth-1M")):
        if a in res["pipeline"] and b in res["pipeline"]:
            pa, pb = _load(res["pipeline"][a]), _load(res["pipeline"][b])
            da, db = _load(res["distance"][a]["geoschikt"]), _load(res["distance"][b]["geoschikt"])
            growth.append(
                f"| {a.split('-')[1]} → {b.split('-')[1]} | "
                f"{fmt_ratio(_div(db.median('total_s'), da.median('total_s')))} | "
                f"{fmt_ratio(_div(pb.median('read_s'), pa.median('read_s')))} | "
                f"{fmt_ratio(_div(pb.median('parsed_to_written_s'), pa.median('parsed_to_written_s')))} | "
                f"{fmt_ratio(_div(pb.peak_mb(), pa.peak_mb()))} |"
            )
    if growth:
        add(
            "| 10× more buildings | distance stage time | parse time | parsed → written time | "
            "pipeline peak memory |"
        )
        add("| --- | ---: | ---: | ---: | ---: |")
        L.extend(growth)
        add("")

    # Delft end to end
    e = res["delft_e2e"]
    cli, base = _load(e["cli"]), _load(e["baseline"])
    add("## Delft end to end vs just reading the file")
    add("")
    add("| command (whole process, interpreter start included) | median s | peak MB |")
    add("| --- | ---: | ---: |")
    add(
        f"| `geoschikt score --osm tudelft.osm.pbf` (all outputs, map included) | "
        f"{fmt_s(cli.median_wall())} | {fmt_mb(cli.peak_mb())} |"
    )
    add(
        f"| `benchmarks/baseline_reader.py`: pyosmium → GeoDataFrames of buildings, POIs, ways | "
        f"{fmt_s(base.median_wall())} | {fmt_mb(base.peak_mb())} |"
    )
    add(f"| **ratio** | **{fmt_ratio(_div(cli.median_wall(), base.median_wall()))}** | |")
    add("")
    pd_delft = _load(res["pipeline"]["delft"])
    mp = _load(res["map"].get("delft", {"runs": []}))
    inproc = pd_delft.median("read_s") + pd_delft.median("score_s") + pd_delft.median("write_s")
    inproc += mp.median("map_s") if mp.good else 0.0
    add(
        f"In-process (imports excluded): parse {fmt_s(pd_delft.median('read_s'))} s + score "
        f"{fmt_s(pd_delft.median('score_s'))} s + tables {fmt_s(pd_delft.median('write_s'))} s "
        f"+ map {fmt_s(mp.median('map_s'))} s = {fmt_s(inproc)} s against the baseline "
        f"reader's {fmt_s(base.median('read_s'))} s: "
        f"{fmt_ratio(_div(inproc, base.median('read_s')))}."
    )
    add("")

    # targets
    add("## Targets")
    add("")
    add("| target | measured | met? |")
    add("| --- | --- | --- |")
    for name in ("synth-100k", "synth-1M"):
        if name in res["distance"]:
            d = res["distance"][name]
            r = _div(_load(d["pandana"]).median("total_s"), _load(d["geoschikt"]).median("total_s"))
            add(
                f"| distance stage ≥ 5× faster than pandana incl. preparation, {name.split('-')[1]} "
                f"| {fmt_ratio(r)} | {_yes(r >= 5)} |"
            )
    if "synth-1M" in res["pipeline"]:
        s = _load(res["pipeline"]["synth-1M"])
        t, mem = s.median("parsed_to_written_s"), s.peak_mb()
        add(
            f"| 1M buildings × 6 criteria, parsed data → written scores < 60 s | {fmt_s(t)} s "
            f"| {_yes(t < 60)} |"
        )
        add(f"| … peak memory < 6 GB | {mem / 1024:.1f} GB | {_yes(mem < 6144)} |")
        s1 = _load(res["pipeline"]["synth-100k"])
        g = _div(t, s1.median("parsed_to_written_s"))
        add(
            f"| time from 100k to 1M grows ≤ 12× (parsed → written) | {fmt_ratio(g)} | "
            f"{_yes(g <= 12)} |"
        )
    r = _div(cli.median_wall(), base.median_wall())
    close = " (within run-to-run noise, ±10 %, of the limit)" if abs(r - 3) <= 0.3 else ""
    add(
        f"| Delft `geoschikt score` ≤ 3× reading the PBF into GeoDataFrames | {fmt_ratio(r)}"
        f"{close} | {_yes(r <= 3)} |"
    )
    add("")
    L.extend(_analysis(res))
    for section in extra_sections:
        add(section.rstrip())
        add("")
    return "\n".join(L).rstrip() + "\n"


def _analysis(res: dict) -> list[str]:
    """Where the time goes at the largest size, and what the missed targets would take."""
    big = "synth-1M" if "synth-1M" in res["pipeline"] else "synth-100k"
    s = _load(res["pipeline"][big])
    d = _load(res["distance"][big]["geoschikt"])
    if not s.good:
        return []
    keys = dict.fromkeys(k for r in s.good for k in r.result.get("stages", {}))
    stages = {
        k: statistics.median(r.result["stages"][k] for r in s.good if k in r.result["stages"])
        for k in keys
    }
    score_s, write_s = s.median("score_s"), s.median("write_s")
    total = score_s + write_s
    parts = [("writing GeoPackage + CSV + run.json (`outputs/write.py`)", write_s)]
    parts += [(f"stage '{k}'", v) for k, v in stages.items()]
    lines = [
        f"## Where the time goes ({_label(big)}, parsed → written {fmt_s(total)} s)",
        "",
        "| part | s | share |",
        "| --- | ---: | ---: |",
    ]
    for name, sec in sorted(parts, key=lambda p: -p[1]):
        lines.append(f"| {name} | {fmt_s(sec)} | {sec / total:.0%} |")
    core = d.median("total_s")
    base = _load(res.get("baseline", {}).get(big, {}))
    parse_ratio = _div(s.median("read_s"), base.median("read_s"))
    lines += [
        "",
        f"The distance core (network, snapping, five Dijkstras) takes {fmt_s(core)} s of the "
        f"'measuring distances' stage ({fmt_s(stages.get('measuring distances', float('nan')))}"
        " s); the rest of that stage is outside it (nearest-feature labels, reception "
        "pressure, straight-line criteria).",
        "",
        "Profiled hot spots and what was done about them (first full run before → this run):",
        "",
        "- **Tables** dominated at 1M (64 s of 91 s): pandas `to_csv` formats every float in "
        "Python and OGR wrote the GeoPackage row by row. Both now go through Arrow "
        "(`pyarrow.csv.write_csv`, `pyogrio.write_dataframe(..., use_arrow=True)`), measured "
        "7.5× and 2.5× faster at 100k; the table above is with them.",
        "- **Nearest-feature labels** (`measure.nearest_labels`) built a 'name (osm_type/id)' "
        "string per candidate: 2.3 s per criterion at 1M. They are now built once per feature "
        "and indexed (0.05 s).",
        "- **Reception distance** (`reception.nearest_site`) imported scikit-learn (~1 s) inside "
        "the stage; it now uses scipy's `cKDTree`. scikit-learn (BallTree) is imported only when "
        "reception pressure is computed, and rasterio only when a raster is read or written.",
        "- **Area and candidates** (`features.select_candidates`, 7 s at 1M): reprojecting 1M "
        "footprints with geopandas, validity checks and the string ids; not yet reworked.",
        f"- **Parsing** stays at {fmt_ratio(parse_ratio)} the baseline reader at this size: "
        "every area and way passes through Python once (pyosmium has no bulk API for node "
        "references or tags); it is not part of 'parsed → written'.",
    ]
    return lines + [""]


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def other_sections(quick: bool) -> list[str]:
    """Markdown from every other benchmarks/bench_*.py with ``main(quick) -> str``."""
    out = []
    for path in sorted((REPO / "benchmarks").glob("bench_*.py")):
        name = f"benchmarks.{path.stem}"
        log(f"running {name}.main(quick={quick})")
        start = time.perf_counter()
        try:
            mod = importlib.import_module(name)
            fn = getattr(mod, "main", None)
            if not callable(fn):
                continue
            section = fn(quick)
            if isinstance(section, str) and section.strip():
                out.append(section)
        except Exception:  # a broken section must not lose the rest of the run
            out.append(
                f"## {path.name}\n\nFailed after {time.perf_counter() - start:.0f} s:\n\n"
                "```\n" + traceback.format_exc(limit=3).strip() + "\n```\n"
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs, no 1M case")
    ap.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite BENCHMARKS.md from benchmarks/.data/last-run.json without measuring "
        "(other modules' sections as they were in that run)",
    )
    a = ap.parse_args()
    raw = DATA / "last-run.json"
    if a.render_only:
        res = json.loads(raw.read_text())
    else:
        DATA.mkdir(parents=True, exist_ok=True)
        res = collect(a.quick)
        raw.write_text(json.dumps(res, indent=1, default=str))
    if a.render_only:
        extra = res.get("other_sections", [])
    else:
        extra = other_sections(a.quick or res["quick"])
        res["other_sections"] = extra
        raw.write_text(json.dumps(res, indent=1, default=str))
    OUT.write_text(render(res, extra), encoding="utf-8")
    log(f"wrote {OUT}")


if __name__ == "__main__":
    main()
