"""A whole batch: plan, cut the extract once, score the regions that are not done, write the
batch outputs."""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoschikt import __version__
from geoschikt.batch.cut import prepare_inputs
from geoschikt.batch.execute import SCHEDULER_TIMEOUT_S, Progress, execute
from geoschikt.batch.outputs import write_batch_outputs
from geoschikt.batch.plan import plan
from geoschikt.batch.status import (
    BATCH_MARK,
    STATUS_EMPTY,
    STATUS_FAILED,
    STATUS_OK,
    SUMMARY_COLUMNS,
    check_batch_dir,
    clean_leftovers,
    read_status,
)
from geoschikt.config import Config
from geoschikt.errors import InputFileError
from geoschikt.hashing import file_sha256
from geoschikt.outputs.atomic import atomic_bytes
from geoschikt.outputs.lock import hold_lock

log = logging.getLogger("geoschikt.batch")


def run_batch(
    osm_path: Path,
    regions: gpd.GeoDataFrame,
    config: Config,
    out: Path,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    scheduler_timeout_s: float = SCHEDULER_TIMEOUT_S,
    reception_file: Path | None = None,
    balance_file: Path | None = None,
    redo: bool = False,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Score every region; returns the summary table (one row per region).

    Regions whose status record matches are skipped (a resumed batch), unless ``redo``.
    """
    out = Path(out)
    check_batch_dir(out)
    if not Path(osm_path).is_file():
        raise InputFileError(f"OSM file {osm_path} does not exist; check the path (--osm)")
    out.mkdir(parents=True, exist_ok=True)
    with hold_lock(out, "batch"):  # a second batch on this --out stops here (exit 2)
        clean_leftovers(out)  # under the lock every leftover is a dead run's
        return _run_locked(
            osm_path,
            regions,
            config,
            out,
            jobs=jobs,
            scheduler=scheduler,
            scheduler_timeout_s=scheduler_timeout_s,
            reception_file=reception_file,
            balance_file=balance_file,
            redo=redo,
            progress=progress,
        )


def _run_locked(
    osm_path: Path,
    regions: gpd.GeoDataFrame,
    config: Config,
    out: Path,
    *,
    jobs: int,
    scheduler: str | None,
    scheduler_timeout_s: float,
    reception_file: Path | None,
    balance_file: Path | None,
    redo: bool,
    progress: Progress | None,
) -> pd.DataFrame:
    started = time.perf_counter()
    osm_sha = file_sha256(osm_path)
    tasks, todo = plan(
        osm_sha, regions, config, out, reception_file, balance_file=balance_file, redo=redo
    )
    mark = {"geoschikt_version": __version__, "osm": str(osm_path), "regions": len(tasks)}
    atomic_bytes(out / BATCH_MARK, json.dumps(mark, indent=1).encode())
    log.info(
        "%d region(s): %d finished earlier, %d to do", len(tasks), len(tasks) - len(todo), len(todo)
    )
    if todo:
        prepare_inputs(Path(osm_path), todo, regions, config, osm_sha)
        execute(
            todo,
            jobs=jobs,
            scheduler=scheduler,
            progress=progress,
            scheduler_timeout_s=scheduler_timeout_s,
        )
    statuses = [
        read_status(t)
        or {
            "region_id": t.region_id,
            "region_name": t.region_name,
            "status": STATUS_FAILED,
            "reason": "no status recorded",
        }
        for t in tasks
    ]
    summary = pd.DataFrame(statuses).reindex(columns=SUMMARY_COLUMNS)
    write_batch_outputs(
        out, tasks, summary, regions, config, osm_path, time.perf_counter() - started, osm_sha
    )
    if all(s.get("status") in (STATUS_OK, STATUS_EMPTY) for s in statuses):
        shutil.rmtree(out / ".work", ignore_errors=True)
    return summary
