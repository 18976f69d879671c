"""Open a finished ``score`` or ``batch`` run directory for reading (never writing).

Each run is opened through the shared, verifying reader ``geoschikt.decide.runs.open_run``
(compatible version, SHA-256 of the stored files as recorded in run.json, scores that follow
from the stored distances); this module adds what a report also shows: the facilities and the
area from the GeoPackage, a batch's summary and region polygons, and ``robustness.csv``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoschikt.config import Config, config_from_dict
from geoschikt.decide.runs import open_run as open_verified
from geoschikt.errors import InputFileError

RUN = "run.json"
BATCH = "batch.json"
GPKG = "candidates.gpkg"
ROBUSTNESS = "robustness.csv"
ROBUSTNESS_RECORD = "robustness.json"
ROBUSTNESS_COLUMNS = ("candidate_id", "p_top", "p_best", "rank_p05", "rank_median", "rank_p95")


@dataclass(frozen=True)
class Run:
    """One scored area: its run record, configuration and GeoPackage layers (metric CRS)."""

    path: Path
    record: dict
    config: Config
    candidates: gpd.GeoDataFrame  # sorted by rank, then candidate_id
    pois: gpd.GeoDataFrame | None
    area: gpd.GeoDataFrame | None
    robustness: Robustness | None
    blur_m: float = 0.0  # > 0: a version for publication (no addresses, ids, site maps)


@dataclass(frozen=True)
class Robustness:
    """``robustness.csv`` of ``geoschikt robustness`` and its settings (robustness.json)."""

    table: pd.DataFrame
    path: Path
    settings: dict  # top, samples, spread, seed ({} when robustness.json is absent)


@dataclass(frozen=True)
class Batch:
    """A batch directory: its record, configuration, summary and region polygons."""

    path: Path
    record: dict
    config: Config
    summary: pd.DataFrame
    regions: gpd.GeoDataFrame | None  # the summary with region polygons, when stored
    robustness: Robustness | None  # over the whole batch (ranked together)

    def region_dir(self, region_id: str) -> Path:
        return self.path / "regions" / str(region_id)


def is_batch(path: Path) -> bool:
    return (Path(path) / BATCH).is_file() and (Path(path) / "summary.csv").is_file()


def is_run(path: Path) -> bool:
    return (Path(path) / RUN).is_file() and (Path(path) / GPKG).is_file()


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"cannot read {path}: {exc}; is it a geoschikt output?") from exc


def _config(record: dict, where: Path) -> Config:
    if "config" not in record:
        raise InputFileError(f"{where} holds no configuration; is it a geoschikt run record?")
    return config_from_dict(record["config"], str(where))


def find_robustness(given: str | Path | None, run_dir: Path) -> Robustness | None:
    """``given`` (a directory holding robustness.csv, or the file), else the run's own; None
    when there is none."""
    if given is not None:
        path = Path(given)
        if path.is_dir():
            path = path / ROBUSTNESS
        if not path.is_file():
            raise InputFileError(
                f"no {ROBUSTNESS} at {path}; give the --out directory of `geoschikt robustness`"
            )
        return read_robustness(path)
    if (run_dir / ROBUSTNESS).is_file():
        return read_robustness(run_dir / ROBUSTNESS)
    return None


def read_robustness(path: Path) -> Robustness:
    """``robustness.csv`` of ``geoschikt robustness``, checked for the columns the report shows,
    with the settings from the ``robustness.json`` beside it (when present)."""
    try:
        table = pd.read_csv(path, dtype={"candidate_id": str, "region_id": str})
    except (OSError, ValueError) as exc:
        raise InputFileError(f"cannot read {path}: {exc}") from exc
    missing = [c for c in ROBUSTNESS_COLUMNS if c not in table.columns]
    if missing:
        raise InputFileError(
            f"{path} lacks the columns {', '.join(missing)}; give the robustness.csv written by "
            "`geoschikt robustness`"
        )
    record = path.parent / ROBUSTNESS_RECORD
    settings = _json(record) if record.is_file() else {}
    return Robustness(table, path, settings)


def open_run(path: str | Path, robustness: str | Path | None = None) -> Run:
    """Read and verify the run in ``path`` (a ``score`` output or one region of a batch).

    ``robustness``: a directory (or file) holding ``robustness.csv``; by default the run's own.
    """
    path = Path(path)
    if not is_run(path):
        raise InputFileError(
            f"{path} is not a geoschikt run directory (it needs {RUN} and {GPKG}); give the --out "
            "directory of `geoschikt score` or `geoschikt batch`"
        )
    verified = open_verified(path)
    cands = verified.candidates.copy()
    cands["candidate_id"] = cands["candidate_id"].astype(str)
    cands = cands.sort_values(["rank", "candidate_id"], kind="stable").reset_index(drop=True)
    layers = {name for name, _ in pyogrio.list_layers(path / GPKG)}
    pois = gpd.read_file(path / GPKG, layer="pois") if "pois" in layers else None
    area = gpd.read_file(path / GPKG, layer="area") if "area" in layers else None
    rob = find_robustness(robustness, path)
    blur = float((verified.config.raw.get("map") or {}).get("blur_m", 0) or 0)
    return Run(path, verified.provenance, verified.config, cands, pois, area, rob, blur)


def open_batch(path: str | Path, robustness: str | Path | None = None) -> Batch:
    """Read the batch directory ``path`` (its regions are opened one by one with open_run);
    ``robustness`` as for :func:`open_run`, computed over the whole batch."""
    path = Path(path)
    record = _json(path / BATCH)
    config = _config(record, path / BATCH)
    summary = pd.read_csv(
        path / "summary.csv", dtype={"region_id": str}, keep_default_na=False, na_values=[""]
    )
    regions = None
    combined = path / "candidates_all.gpkg"
    if combined.is_file() and "regions" in {n for n, _ in pyogrio.list_layers(combined)}:
        frame = gpd.read_file(combined, layer="regions")
        if frame.geometry is not None and frame.geometry.notna().any():
            regions = frame.assign(region_id=frame["region_id"].astype(str))
    return Batch(path, record, config, summary, regions, find_robustness(robustness, path))
