"""Shared pieces of the benchmarks: inputs (real Delft, SYNTHETIC towns), fresh-subprocess runs
with peak memory, machine description and small formatting helpers."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "benchmarks" / ".data"  # generated inputs and scratch output (git-ignored)
DELFT_PBF = REPO.parent / "shared" / "data" / "delft" / "tudelft.osm.pbf"
SEED = 42
MARKER = "BENCH-RESULT "
SIZES = {"synth-10k": 10_000, "synth-100k": 100_000, "synth-1M": 1_000_000}
LIBRARIES = (
    "geoschikt",
    "numpy",
    "scipy",
    "shapely",
    "geopandas",
    "pandas",
    "pyproj",
    "pyogrio",
    "osmium",
    "pandana",
    "osmnx",
    "networkx",
)


def synthetic_path(n_buildings: int, seed: int = SEED) -> Path:
    """Cache file of a SYNTHETIC town: by size, seed and a hash of the generator's source (a
    changed generator makes new files)."""
    source = (REPO / "geoschikt" / "testing" / "synthetic.py").read_bytes()
    tag = hashlib.sha256(source).hexdigest()[:8]
    return DATA / f"synth-{n_buildings}-s{seed}-{tag}.osm.pbf"


def ensure_input(name: str) -> tuple[Path, dict]:
    """The OSM file of input ``name`` ('delft' or a key of SIZES), generating SYNTHETIC towns
    on first use (cached by size and seed, with the generator's summary beside them)."""
    if name == "delft":
        if not DELFT_PBF.is_file():
            raise FileNotFoundError(f"{DELFT_PBF} is missing (../shared/data next to the repo)")
        return DELFT_PBF, {"synthetic": False, "path": str(DELFT_PBF)}
    n = SIZES[name]
    path = synthetic_path(n)
    meta = path.with_suffix(".json")
    if path.is_file() and meta.is_file():
        return path, json.loads(meta.read_text())
    from geoschikt.testing.synthetic import write_synthetic_region

    DATA.mkdir(parents=True, exist_ok=True)
    for stale in DATA.glob(f"synth-{n}-s{SEED}-*.osm.*"):  # made by an older generator
        stale.unlink()
    summary = write_synthetic_region(path, n, seed=SEED, n_regions=4)
    meta.write_text(json.dumps(summary, indent=1))
    return path, summary


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Run:
    """One measured run in a fresh subprocess: what it reported, its wall time and peak RSS."""

    result: dict
    wall_s: float
    peak_mb: float
    ok: bool = True
    error: str = ""


def run_fresh(args: list[str], *, timeout: float | None = None, expect_json: bool = True) -> Run:
    """Run ``python -m benchmarks.<args>`` (or a command list starting with '/') in a fresh
    process; peak RSS comes from the kernel's rusage of that one child (``os.wait4``)."""
    cmd = args if args[0].startswith("/") else [sys.executable, "-m", *args]
    env = dict(os.environ, PYTHONHASHSEED="0")
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return Run({}, time.perf_counter() - start, float("nan"), False, f"timeout {timeout} s")
    wall = time.perf_counter() - start
    # communicate() reaped the child; RUSAGE_CHILDREN only holds the maximum over all children,
    # so the child reports its own VmHWM (the fallback is for commands that cannot, e.g. the CLI)
    if proc.returncode != 0:
        return Run({}, wall, float("nan"), False, (err or out).strip().splitlines()[-1][:300])
    result = {}
    if expect_json:
        lines = [ln for ln in out.splitlines() if ln.startswith(MARKER)]
        result = json.loads(lines[-1][len(MARKER) :]) if lines else {}
    peak = result.get("peak_mb")
    if peak is None:
        import resource

        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return Run(result, wall, float(peak))


@dataclass
class Series:
    """Several runs of one case."""

    runs: list[Run] = field(default_factory=list)

    @property
    def good(self) -> list[Run]:
        return [r for r in self.runs if r.ok]

    def median(self, key: str) -> float:
        vals = [r.result[key] for r in self.good if key in r.result]
        return statistics.median(vals) if vals else float("nan")

    def median_wall(self) -> float:
        vals = [r.wall_s for r in self.good]
        return statistics.median(vals) if vals else float("nan")

    def peak_mb(self) -> float:
        vals = [r.peak_mb for r in self.good]
        return max(vals) if vals else float("nan")

    def last(self) -> dict:
        return self.good[-1].result if self.good else {}

    def errors(self) -> list[str]:
        return [r.error for r in self.runs if not r.ok]


def machine() -> dict:
    """Cores, memory, CPU model, Python and library versions."""
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    libs = {}
    for name in LIBRARIES:
        try:
            libs[name] = version(name)
        except PackageNotFoundError:
            libs[name] = "not installed"
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": libs,
    }


def fmt_s(x: float) -> str:
    if x != x:  # nan
        return "–"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def fmt_ratio(x: float) -> str:
    return "–" if x != x else f"{x:.1f}×"


def fmt_mb(x: float) -> str:
    return "–" if x != x else f"{x:,.0f}"


def emit(result: dict) -> None:
    """Print a case's result as the last JSON line (read by ``run_fresh``), with peak RSS."""
    result["peak_mb"] = round(peak_rss_mb(), 1)
    sys.stdout.flush()
    print("\n" + MARKER + json.dumps(result), flush=True)
