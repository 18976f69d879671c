"""Re-scoring's GeoPackage write: in-place SQLite update (before) vs a pyogrio Arrow rewrite
(after).

Until commit ``BEFORE`` (below), ``rescore`` copied the source run's GeoPackages and updated
only the changed score columns in place through SQLite (``outputs/update.py``,
``outputs/combined_update.py``, ~420 lines); since then it writes them anew through pyogrio's
Arrow writer, as ``score`` does. This compares the two source trees on the same inputs:

- **run**: ``rescoring.write_rescored`` of a re-scored single run (candidates.gpkg, the CSV,
  distances.npz, run.json; the map is switched off in both, it is the same code), on the real
  Delft extract and on the SYNTHETIC 100k town (``geoschikt.testing.synthetic``);
- **batch**: ``batch.rescore_batch`` of a SYNTHETIC batch of 4 regions x 25,000 buildings,
  re-scoring included (each region's GeoPackage and ``candidates_all.gpkg``; maps off).

The change in both: one weight (``[criteria.school] weight = 5``), which changes the score
columns of nearly every candidate. Each measurement runs in a fresh process, before and after
alternating, ``--repeat`` times (medians); the first pair of outputs is compared with
``compare_outputs.compare_trees`` (every GeoPackage table and row).

Run as ``python -m benchmarks.bench_gpkg_update [--before REF] [INPUT ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from benchmarks.common import DATA, REPO, ensure_input, fmt_s

BEFORE = "eaa6911"  # main before the in-place update was removed
REPEAT = 3
WEIGHTS = "[criteria.school]\nweight = 5\n"
INPUTS = ("delft", "synth-100k", "batch-4x25k")

# Runs in a fresh process with the tree to measure first on sys.path; prints the seconds.
CHILD = """
import json, sys, time
from pathlib import Path
import geoschikt.outputs.write as write
write.write_map = lambda *args, **kwargs: None  # the same code before and after
from geoschikt.rescoring import rescore, run_config, write_rescored
kind, src, out, weights = sys.argv[1:]
if kind == "run":
    rescored = rescore(src, run_config(src, weights))
    start = time.perf_counter()
    write_rescored(rescored, out)
else:
    from geoschikt.batch import rescore_batch
    first = sorted(Path(src, "regions").glob("*/run.json"))[0].parent
    config = run_config(first, weights)
    start = time.perf_counter()
    rescore_batch(Path(src), config, Path(out))
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def export(ref: str, into: Path) -> Path:
    """The source tree of git ``ref`` of this repository, unpacked into ``into``."""
    archive = into / "tree.tar"
    with archive.open("wb") as sink:
        subprocess.run(["git", "-C", str(REPO), "archive", ref], stdout=sink, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def single_run(name: str, out: Path) -> Path:
    """A finished run of input ``name`` (outputs without the map), scored by this tree."""
    from geoschikt.config import load_config
    from geoschikt.outputs import write as write_mod
    from geoschikt.pipeline import score_area

    path, _ = ensure_input(name)
    result = score_area(path, config=load_config())
    original = write_mod.write_map
    write_mod.write_map = lambda *_a, **_k: None
    try:
        write_mod.write_outputs(result, out)
    finally:
        write_mod.write_map = original
    return out


def batch_run(out: Path) -> Path:
    """A finished SYNTHETIC batch of 4 regions x 25,000 buildings, run by this tree."""
    from benchmarks.bench_batch import town

    osm, regions = town(4, 25_000)
    cmd = [sys.executable, "-m", "geoschikt", "-q", "batch", "--osm", str(osm)]
    cmd += ["--regions", str(regions), "--out", str(out)]
    subprocess.run(cmd, check=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    return out


def timed(tree: Path, kind: str, src: Path, out: Path, weights: Path) -> float:
    cmd = [sys.executable, "-c", CHILD, kind, str(src), str(out), str(weights)]
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def measure(name: str, before: Path, work: Path, repeat: int) -> dict:
    import pyogrio

    from benchmarks.compare_outputs import compare_trees

    kind = "batch" if name.startswith("batch") else "run"
    src = batch_run(work / name) if kind == "batch" else single_run(name, work / name)
    weights = work / "weights.toml"
    weights.write_text(WEIGHTS)
    trees = {"before": before, "after": REPO}
    times: dict[str, list[float]] = {"before": [], "after": []}
    for i in range(repeat):
        for label in ("before", "after") if i % 2 == 0 else ("after", "before"):
            out = work / f"{name}-{label}-{i}"
            times[label].append(timed(trees[label], kind, src, out, weights))
    problems = compare_trees(work / f"{name}-before-0", work / f"{name}-after-0")
    candidates = sum(
        len(pyogrio.read_dataframe(p, layer="candidates", read_geometry=False))
        for p in sorted(src.rglob("candidates.gpkg"))
    )
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "input": name,
        "kind": kind,
        "candidates": candidates,
        "before_s": med["before"],
        "after_s": med["after"],
        "ratio": med["after"] / med["before"],
        "extra_s": med["after"] - med["before"],
        "runs": times,
        "differences": problems,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| input | what is timed | candidates | in place (SQLite), s | rewrite (pyogrio "
        "Arrow), s | rewrite / in place | rewrite - in place |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    what = {"run": "`write_rescored`", "batch": "`rescore_batch`"}
    for r in rows:
        lines.append(
            f"| {r['input']} | {what[r['kind']]} | {r['candidates']:,} | {fmt_s(r['before_s'])} "
            f"| {fmt_s(r['after_s'])} | {r['ratio']:.2f}x | {r['extra_s']:+.2f} s |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("inputs", nargs="*", default=list(INPUTS))
    parser.add_argument("--before", default=BEFORE, help="git ref of the in-place code")
    parser.add_argument("--repeat", type=int, default=REPEAT)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-gpkg-", dir=DATA))
    try:
        before = export(args.before, work)
        rows = []
        for name in args.inputs:
            start = time.perf_counter()
            row = measure(name, before, work, args.repeat)
            rounded = {k: [round(x, 2) for x in v] for k, v in row["runs"].items()}
            print(f"{name}: {rounded}; {len(row['differences'])} difference(s) in the outputs")
            for line in row["differences"][:10]:
                print("  ", line)
            print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)
            rows.append(row)
        print(table(rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
