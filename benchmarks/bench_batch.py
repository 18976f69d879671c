"""Batch benchmark on a SYNTHETIC multi-region town (issue 5).

Method: `geoschikt.testing.synthetic.write_synthetic_region` writes one OSM file with N synthetic
municipalities (admin boundary relations) of equal size. Their boundaries, read back from that
file, are the regions file. Each measurement runs the real CLI in a fresh subprocess and reads
that subprocess tree's peak resident memory (getrusage of the waited children: the largest
single process, so for --jobs 2 it is the largest worker or the parent, not their sum).

Cases:
- `batch --jobs 1` and `batch --jobs 2` over all regions (fresh output directories);
- `rescore` of the finished batch with other weights, curves and limits;
- peak memory of a batch over 2, 4 and 8 regions of the same size, against one `score` of a
  single region, to see what grows with the province and what with the largest region.

Run: `python benchmarks/bench_batch.py [--quick]` (prints Markdown), or via run_all.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geoschikt.batch.cut import CHUNK_OBJECTS  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "benchmarks" / ".data" / "batch"
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "dt = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(f'{p.returncode} {dt:.3f} {rss:.1f}')\n"
    "sys.stderr.write(p.stderr[-3000:] if p.returncode not in (0, 1) else '')\n"
)
NEW_WEIGHTS = """
[criteria.transit]
weight = 1
max_m = 400
[criteria.gp]
weight = 4
decay = "linear"
"""


def geoschikt(*args: str) -> list[str]:
    return [sys.executable, "-m", "geoschikt", "-q", *args]


def measure(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak MB) of ``cmd`` run in a fresh process tree."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True)
    code, seconds, peak = out.stdout.split()
    if int(code) not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr}")
    return float(seconds), float(peak)


def town(n_regions: int, per_region: int) -> tuple[Path, Path]:
    """(OSM file, regions GeoJSON) of a SYNTHETIC town, generated once and cached."""
    import geopandas as gpd

    from geoschikt.config import load_config
    from geoschikt.pipeline import load_osm
    from geoschikt.testing.synthetic import write_synthetic_region

    DATA.mkdir(parents=True, exist_ok=True)
    osm = DATA / f"synth-{n_regions}x{per_region}.osm.pbf"
    regions = osm.with_suffix(".regions.geojson")
    if not (osm.is_file() and regions.is_file()):
        write_synthetic_region(osm, n_regions * per_region, seed=7, n_regions=n_regions)
        b = load_osm(osm, load_config()).boundaries
        frame = gpd.GeoDataFrame(
            {"statcode": [f"SY{i:02d}" for i in range(len(b))], "statnaam": b["name"].to_numpy()},
            geometry=b.geometry.to_numpy(),
            crs=4326,
        )
        frame.to_file(regions)
    return osm, regions


def runs(cmd_for, repeats: int) -> tuple[float, float]:
    """Median seconds and max peak MB over ``repeats`` runs; ``cmd_for(i)`` gives a command
    whose output directory is fresh."""
    times, peaks = [], []
    for i in range(repeats):
        seconds, peak = measure(cmd_for(i))
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def main(quick: bool = False) -> str:
    per_region = 1500 if quick else 12_000
    n_regions = 4 if quick else 6
    repeats = 1 if quick else 3
    osm, regions = town(n_regions, per_region)
    work = DATA / "runs"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cfg = work / "new.toml"
    cfg.write_text(NEW_WEIGHTS)

    def batch(jobs: int):
        return lambda i: geoschikt(
            "batch",
            "--osm",
            str(osm),
            "--regions",
            str(regions),
            "--jobs",
            str(jobs),
            "--out",
            str(work / f"b{jobs}-{i}"),
        )

    t1, m1 = runs(batch(1), repeats)
    t2, m2 = runs(batch(2), repeats)
    tr, mr = runs(
        lambda i: geoschikt(
            "rescore", str(work / "b1-0"), "--config", str(cfg), "--out", str(work / f"r-{i}")
        ),
        repeats,
    )

    rows = [
        "| case | median s | ratio to `--jobs 1` | peak MB |",
        "| --- | ---: | ---: | ---: |",
        f"| `batch --jobs 1` | {t1:.1f} | 1.00 | {m1:.0f} |",
        f"| `batch --jobs 2` | {t2:.1f} | {t2 / t1:.2f} | {m2:.0f} |",
        f"| `rescore` (new weights/curves/limits) | {tr:.1f} | {tr / t1:.2f} | {mr:.0f} |",
    ]

    # memory: grows with the province (one parse) or with the largest region?
    mem_rows = [
        "| regions in the file | buildings | `batch` peak MB | its largest region alone, "
        "peak MB | whole extract parsed in memory, peak MB |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in (2, 4) if quick else (2, 8, 32):
        o, r = town(n, per_region)
        out = work / f"mem-{n}"
        _, peak = measure(
            geoschikt("batch", "--osm", str(o), "--regions", str(r), "--out", str(out))
        )
        cuts = cut_inputs(str(o), str(r))
        _, largest = measure(
            [sys.executable, __file__, "--largest-region", str(o), str(r), str(cuts)]
        )
        _, whole = measure([sys.executable, __file__, "--parse-only", str(o)])
        mem_rows.append(f"| {n} | {n * per_region:,} | {peak:.0f} | {largest:.0f} | {whole:.0f} |")
    summary = json.loads((work / "b1-0" / "batch.json").read_text())
    return "\n".join(
        [
            "## Batch over a SYNTHETIC multi-region town (issue 5)",
            "",
            f"Input: {n_regions} synthetic municipalities of {per_region:,} buildings each "
            f"({n_regions * per_region:,} in all), one OSM file written by "
            "`geoschikt.testing.synthetic.write_synthetic_region` (clearly not real data). "
            f"Median of {repeats} run(s), each in a fresh process tree; peak MB is the largest "
            "single process. Region statuses of the last run: "
            f"{summary['regions']}.",
            "",
            *rows,
            "",
            "Re-scoring reuses the stored distances (`distances.npz`) and skips parsing, network "
            "building and shortest paths. It copies `distances.npz` and writes the "
            "GeoPackages (pyogrio Arrow), CSV, map and run.json anew; about 0.9 s of it is "
            "Python start-up and imports.",
            "",
            "Peak memory against the size of the extract (regions of equal size):",
            "",
            *mem_rows,
            "",
            "The batch reads the extract once, in chunks of "
            f"{CHUNK_OBJECTS:,} ways, buildings and features, and cuts each chunk into the "
            "regions' input files as it goes (`geoschikt/cut.py`); regions are then scored one "
            "at a time, and the combined GeoPackage is streamed region by region. What still "
            "grows with the extract is pyosmium's node location index (16 bytes per node, kept "
            "in a file in the batch's `.work/` directory: page cache the kernel can drop, but "
            'counted in the peak while it is resident). "Largest region alone" scores only '
            "the biggest cut (interior regions get the most buffer) in a fresh process; "
            '"whole extract parsed" is what holding the extract costs, as the batch did '
            "before it cut while reading.",
            "",
        ]
    )


def cut_inputs(osm: str, regions: str) -> Path:
    """Cut the extract into region inputs (in a child process, so not measured); their dir."""
    out = DATA / "runs" / f"largest-{Path(osm).stem}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    code = (
        "import sys; from pathlib import Path; from geoschikt.hashing import file_sha256;"
        "from geoschikt.batch import plan, prepare_inputs, select_regions;"
        "from geoschikt.config import load_config; from geoschikt.regions import read_regions;"
        "o, r, out = map(Path, sys.argv[1:]);"
        "g = select_regions(read_regions(r)); c = load_config(); s = file_sha256(o);"
        "prepare_inputs(o, plan(s, g, c, out, None)[1], g, c, s)"
    )
    subprocess.run([sys.executable, "-c", code, osm, regions, str(out)], check=True)
    return out


def largest_region_alone(osm: str, regions: str, out: str) -> None:
    """Score only the largest cut in ``out`` (from ``cut_inputs``): the memory a batch cannot
    go below."""
    from geoschikt.batch import plan, run_region, select_regions
    from geoschikt.config import load_config
    from geoschikt.hashing import file_sha256
    from geoschikt.regions import read_regions

    regions_ = select_regions(read_regions(regions))
    tasks, _ = plan(file_sha256(osm), regions_, load_config(), Path(out), None)
    run_region(max(tasks, key=lambda t: Path(t.input_path).stat().st_size))


def parse_whole(osm: str) -> None:
    """Parse the whole extract into memory, as the batch did before it cut while reading."""
    from geoschikt.config import load_config
    from geoschikt.pipeline import load_osm

    load_osm(osm, load_config())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--largest-region", nargs=3, metavar=("OSM", "REGIONS", "CUTS"))
    parser.add_argument("--parse-only", metavar="OSM")
    args = parser.parse_args()
    if args.largest_region:
        sys.exit(largest_region_alone(*args.largest_region))
    if args.parse_only:
        sys.exit(parse_whole(args.parse_only))
    start = time.perf_counter()
    print(main(args.quick))
    print(f"<!-- {time.perf_counter() - start:.0f} s -->")
