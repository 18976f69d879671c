"""Open a finished ``score`` or ``batch`` run directory for reading (never writing).

A small reader of our own: the shared run reader of issue 13 (``geoschikt/decide/runs.py``) was
not on main when the report was written; swap it in when it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoschikt.config import Config, config_from_dict
from geoschikt.errors import InputFileError

RUN = "run.json"
BATCH = "batch.json"
GPKG = "candidates.gpkg"
ROBUSTNESS = "robustness.csv"
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
    robustness: pd.DataFrame | None
    robustness_path: Path | None


@dataclass(frozen=True)
class Batch:
    """A batch directory: its record, configuration, summary and region polygons."""

    path: Path
    record: dict
    config: Config
    summary: pd.DataFrame
    regions: gpd.GeoDataFrame | None  # the summary with region polygons, when stored

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


def read_robustness(path: Path) -> pd.DataFrame:
    """``robustness.csv`` of ``geoschikt robustness``, checked for the columns the report shows."""
    try:
        table = pd.read_csv(path, dtype={"candidate_id": str})
    except (OSError, ValueError) as exc:
        raise InputFileError(f"cannot read {path}: {exc}") from exc
    missing = [c for c in ROBUSTNESS_COLUMNS if c not in table.columns]
    if missing:
        raise InputFileError(
            f"{path} lacks the columns {', '.join(missing)}; give the robustness.csv written by "
            "`geoschikt robustness`"
        )
    return table


def open_run(path: str | Path, robustness: str | Path | None = None) -> Run:
    """Read the run in ``path`` (a ``score`` output or one region of a batch).

    ``robustness``: a directory (or file) holding ``robustness.csv``; by default the run's own.
    """
    path = Path(path)
    if not is_run(path):
        raise InputFileError(
            f"{path} is not a geoschikt run directory (it needs {RUN} and {GPKG}); give the --out "
            "directory of `geoschikt score` or `geoschikt batch`"
        )
    record = _json(path / RUN)
    config = _config(record, path / RUN)
    layers = {name for name, _ in pyogrio.list_layers(path / GPKG)}
    try:
        cands = gpd.read_file(path / GPKG, layer="candidates")
    except Exception as exc:  # pyogrio raises its own errors for a damaged file
        raise InputFileError(f"cannot read {path / GPKG}: {exc}") from exc
    cands["candidate_id"] = cands["candidate_id"].astype(str)
    cands = cands.sort_values(["rank", "candidate_id"], kind="stable").reset_index(drop=True)
    pois = gpd.read_file(path / GPKG, layer="pois") if "pois" in layers else None
    area = gpd.read_file(path / GPKG, layer="area") if "area" in layers else None
    rob_path = None
    if robustness is not None:
        rob_path = Path(robustness)
        if rob_path.is_dir():
            rob_path = rob_path / ROBUSTNESS
        if not rob_path.is_file():
            raise InputFileError(f"no {ROBUSTNESS} at {rob_path}; give the robustness output")
    elif (path / ROBUSTNESS).is_file():
        rob_path = path / ROBUSTNESS
    rob = read_robustness(rob_path) if rob_path is not None else None
    return Run(path, record, config, cands, pois, area, rob, rob_path)


def open_batch(path: str | Path) -> Batch:
    """Read the batch directory ``path`` (its regions are opened one by one with open_run)."""
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
    return Batch(path, record, config, summary, regions)
