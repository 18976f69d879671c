"""What a batch records per region: its task, status record, fingerprint and summary row."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geoschikt.errors import OutputError
from geoschikt.outputs.lock import LOCK_NAME

STATUS_OK = "ok"
STATUS_EMPTY = "no candidates"
STATUS_FAILED = "failed"
BATCH_MARK = "batch.json"
SUMMARY_COLUMNS = [
    "region_id",
    "region_name",
    "status",
    "candidates",
    "passing",
    "best_suitability",
    "median_suitability",
    "seconds",
    "reason",
]


@dataclass(frozen=True)
class RegionTask:
    """Everything a worker needs to score one region (paths only: cheap to send)."""

    region_id: str
    region_name: str
    input_path: str
    out_dir: str
    status_path: str
    fingerprint: str
    config_raw: dict
    config_sources: tuple[str, ...]
    reception_file: str | None
    inputs: dict | None = None  # hashes of what the region's result depends on
    balance_file: str | None = None  # balance.gpkg shown on the region's map


def fingerprint(*parts: object) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def is_done(task: RegionTask) -> bool:
    status = read_status(task)
    if status is None or status.get("fingerprint") != task.fingerprint:
        return False
    if status["status"] == STATUS_OK:  # redone when an output was deleted
        return all((Path(task.out_dir) / n).is_file() for n in ("run.json", "candidates.gpkg"))
    return status["status"] == STATUS_EMPTY


def read_status(task: RegionTask) -> dict | None:
    try:
        status = json.loads(Path(task.status_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, or corrupt (JSON or encoding): the region is redone
        return None
    return status if isinstance(status, dict) and "status" in status else None


def region_stats(candidates: pd.DataFrame) -> dict:
    """Summary figures of a scored region."""
    suit = candidates["suitability"]
    return {
        "candidates": len(suit),
        "passing": int(candidates["passes"].sum()),
        "best_suitability": float(suit.max()),
        "median_suitability": float(suit.median()),
    }


def check_batch_dir(out: Path) -> None:
    """A batch writes into its own directory; refuse one that holds something else."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file; choose a directory")
    if (
        out.is_dir()
        and any(p.name not in (LOCK_NAME, ".work") for p in out.iterdir())
        and not (out / BATCH_MARK).is_file()
    ):
        raise OutputError(
            f"{out} is not empty and not a geoschikt batch directory; choose another --out"
        )


def clean_leftovers(out: Path) -> None:
    """Remove temporary files and directories that an interrupted run left behind."""
    for pattern in (
        ".*.tmp-*",
        "regions/.*.tmp-*",
        "regions/.*.old-*",
        "status/.*.tmp-*",
        ".work/.*.tmp-*",
    ):
        for p in out.glob(pattern):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
