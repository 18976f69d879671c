"""kill -9 at seeded random moments: the output is the previous complete one or the new complete
one, never a mix, and running again gives the same outputs as an uninterrupted run (issue 12).

Each case runs the real command line in a child process (its own session, so the whole group
can be killed) on the Delft extract. Bounded: 3 kills per command.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
KILLS = 3
REPO = Path(__file__).resolve().parents[1]


def _cli(*args, wait=True, **kw):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "geoschikt", "-q", *map(str, args)]
    if wait:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(out: Path) -> dict[str, str]:
    return {p.name: _sha(p) for p in sorted(out.iterdir())} if out.is_dir() else {}


def _complete(out: Path) -> bool:
    """Every file that run.json lists is there with its recorded SHA-256, and nothing else."""
    run = json.loads((out / "run.json").read_text())
    listed = {name: rec["sha256"] for name, rec in run["outputs"].items()}
    files = _files(out)
    files.pop("run.json")
    return files == listed


def _same_results(a: Path, b: Path) -> bool:
    """Deterministic outputs equal: the table and the raw distances (run.json holds timings)."""
    return all(_sha(a / n) == _sha(b / n) for n in ("candidates.csv", "distances.npz"))


@pytest.fixture(scope="module")
def runs(delft_pbf, tmp_path_factory):
    """Run A (default config) and an uninterrupted run B (other weights), with B's duration."""
    base = tmp_path_factory.mktemp("kill")
    cfg = base / "b.toml"
    cfg.write_text("[criteria.school]\nweight = 7\n")
    common = ["--osm", delft_pbf, "--distance", "euclidean"]
    res = _cli("score", *common, "--out", base / "a")
    assert res.returncode == 0, res.stderr
    t0 = time.monotonic()
    res = _cli("score", *common, "--config", cfg, "--out", base / "b")
    assert res.returncode == 0, res.stderr
    seconds = time.monotonic() - t0
    t0 = time.monotonic()
    res = _cli("rescore", base / "a", "--config", cfg, "--out", base / "rb")
    assert res.returncode == 0, res.stderr
    rescore_seconds = time.monotonic() - t0
    assert _same_results(base / "b", base / "rb")  # rescore B == score B (independent path)
    return {
        "base": base,
        "cfg": cfg,
        "common": common,
        "seconds": seconds,
        "rescore_seconds": rescore_seconds,
    }


@pytest.mark.parametrize("command", ["score", "rescore"])
def test_kill_9_leaves_old_or_new_and_a_rerun_matches(runs, tmp_path, command):
    base, cfg = runs["base"], runs["cfg"]
    a, b = base / "a", base / "b"
    if command == "score":
        args = ["score", *runs["common"], "--config", cfg]
        seconds = runs["seconds"]
    else:
        args = ["rescore", a, "--config", cfg]
        seconds = runs["rescore_seconds"]
    rng = random.Random(12)
    outcomes = []
    for i in range(KILLS):
        out = tmp_path / f"out{i}"
        shutil.copytree(a, out)  # the previous complete output
        before = _files(out)
        child = _cli(*args, "--out", out, "--overwrite", wait=False)
        time.sleep(rng.uniform(0.3, seconds * 1.1))
        with_group = rng.random() < 0.5
        (os.killpg if with_group else os.kill)(child.pid, signal.SIGKILL)
        child.wait()
        if _files(out) == before:
            outcomes.append("old")
        else:
            assert _complete(out), f"kill {i}: a mix of old and new in {out}"
            assert _same_results(out, b)
            outcomes.append("new")
        # a rerun ends complete, equal to the uninterrupted run, and removes the leftovers
        res = _cli(*args, "--out", out, "--overwrite")
        assert res.returncode == 0, res.stderr
        assert _complete(out) and _same_results(out, b)
        assert not list(tmp_path.glob(f".out{i}.tmp-*")) and not list(
            tmp_path.glob(f".out{i}.old-*")
        )
    assert outcomes  # which of old/new each kill left depends on the timing; both are fine


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def test_kill_9_of_a_parallel_batch_parent_or_group_then_resume_matches(delft_pbf, tmp_path):
    from .test_batch import assert_same_outputs, grid_regions

    tiles = grid_regions(tmp_path, 4)
    reference = tmp_path / "reference"
    t0 = time.monotonic()
    res = _cli("batch", "--osm", delft_pbf, "--regions", tiles, "--jobs", 2, "--out", reference)
    assert res.returncode == 0, res.stderr
    seconds = time.monotonic() - t0
    rng = random.Random(7)
    for with_group in (False, True):
        out = tmp_path / f"killed-{with_group}"
        child = _cli(
            "batch", "--osm", delft_pbf, "--regions", tiles, "--jobs", 2, "--out", out, wait=False
        )
        time.sleep(rng.uniform(0.4, 0.8) * seconds)
        workers = _children(child.pid)
        (os.killpg if with_group else os.kill)(child.pid, signal.SIGKILL)
        child.wait()
        deadline = time.monotonic() + 10
        while not all(_gone(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(_gone(w) for w in workers), "workers outlived their killed parent"
        res = _cli("batch", "--osm", delft_pbf, "--regions", tiles, "--jobs", 2, "--out", out)
        assert res.returncode == 0, res.stderr
        assert not list(out.rglob("*.tmp-*")) and not list(out.rglob(".*.old-*"))
        assert_same_outputs(reference, out)
