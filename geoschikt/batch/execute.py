"""Running regions: one by one, in local processes or on a Dask cluster."""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from geoschikt.batch.memory import give_back_memory
from geoschikt.batch.status import STATUS_EMPTY, STATUS_FAILED, STATUS_OK, RegionTask, region_stats
from geoschikt.errors import GeoschiktError, NoCandidatesError
from geoschikt.outputs.atomic import atomic_bytes

log = logging.getLogger("geoschikt.batch")

SCHEDULER_TIMEOUT_S = 20.0
"""How long to wait for a Dask scheduler to answer before giving up."""


def run_region(task: RegionTask) -> dict:
    """Score one region and record its status. Runs in a worker; never raises for bad data."""
    from geoschikt.batch.cut import read_region_input
    from geoschikt.config import config_from_dict
    from geoschikt.outputs import write_outputs
    from geoschikt.pipeline import score_osm

    start = time.perf_counter()
    status = {
        "region_id": task.region_id,
        "region_name": task.region_name,
        "fingerprint": task.fingerprint,
        "inputs": task.inputs,
    }
    try:
        part, area = read_region_input(task.input_path)
        config = config_from_dict(task.config_raw, ", ".join(task.config_sources))
        result = score_osm(
            part,
            config=config,
            area=area,
            reception_file=task.reception_file,
            balance_file=task.balance_file,
        )
        result.provenance["region"] = {"id": task.region_id, "name": task.region_name}
        write_outputs(
            result,
            task.out_dir,
            overwrite=True,
            command=f"geoschikt batch (region {task.region_id})",
        )
        status.update(status=STATUS_OK, reason="", **region_stats(result.candidates))
    except NoCandidatesError as exc:
        status.update(status=STATUS_EMPTY, candidates=0, passing=0, reason=str(exc))
    except GeoschiktError as exc:
        status.update(status=STATUS_FAILED, candidates=0, passing=0, reason=str(exc))
    except Exception as exc:  # a bug: record it and let the other regions go on
        log.debug("region %s crashed:\n%s", task.region_id, traceback.format_exc())
        status.update(
            status=STATUS_FAILED,
            candidates=0,
            passing=0,
            reason=f"internal error: {type(exc).__name__}: {exc}",
        )
    status["seconds"] = round(time.perf_counter() - start, 2)
    atomic_bytes(Path(task.status_path), json.dumps(status, indent=1).encode())
    give_back_memory()
    return status


Progress = Callable[[dict, int, int, int, float], None]
"""progress(status, done, failed, remaining, eta_seconds)"""


def execute(
    tasks: list[RegionTask],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
    scheduler_timeout_s: float = SCHEDULER_TIMEOUT_S,
) -> list[dict]:
    """Run tasks serially, in ``jobs`` local processes, or on the Dask cluster at ``scheduler``
    (given up on after ``scheduler_timeout_s`` without an answer)."""
    results: list[dict] = []
    start = time.perf_counter()

    def report(status: dict) -> None:
        results.append(status)
        if progress is not None:
            done = len(results)
            failed = sum(r["status"] != STATUS_OK for r in results)
            remaining = len(tasks) - done
            eta = (time.perf_counter() - start) / done * remaining / max(1, jobs)
            progress(status, done, failed, remaining, eta)

    if scheduler:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise GeoschiktError("--scheduler needs Dask: pip install 'geoschikt[dask]'") from None
        try:
            client = Client(scheduler, timeout=f"{scheduler_timeout_s:g}s")
        except (OSError, TimeoutError) as exc:
            raise GeoschiktError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); check the address"
            ) from None
        with client:
            futures = client.map(run_region, tasks, pure=False)
            for fut in as_completed(futures):
                report(fut.result())
    elif jobs > 1 and len(tasks) > 1:
        from concurrent.futures import as_completed

        from geoschikt.workers import worker_pool

        with worker_pool(jobs) as pool:  # workers end when this process ends (kill -9 too)
            for fut in as_completed([pool.submit(run_region, t) for t in tasks]):
                report(fut.result())
    else:
        for task in tasks:
            report(run_region(task))
    return results
