"""Re-score a finished run with a new configuration, reusing its measured distances."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geoschikt.config import Config, config_from_dict, measurement_changes, read_toml
from geoschikt.criteria import count_within
from geoschikt.errors import ConfigError, InputFileError
from geoschikt.geo import WGS84, to_crs, transform_xy
from geoschikt.hashing import file_sha256
from geoschikt.notes import optional_from_json
from geoschikt.outputs.distances import (
    DISTANCES,
    SURFACE_STORE,
    holds,
    load_distances,
    load_surface,
)
from geoschikt.outputs.write import Reuse, write_outputs
from geoschikt.pipeline import ScoreResult, coverage, score_surface
from geoschikt.profiles import profile_scores
from geoschikt.scoring import (
    Measured,
    dist_col,
    nearest_col,
    nearest_id_col,
    not_assessed_record,
    note_col,
    points_col,
    score,
    score_col,
    value_col,
)

SCORE_COLUMNS = ("suitability", "passes", "fails", "rank")
PROFILE_PREFIXES = ("suitability_", "passes_", "rank_")  # per profile (geoschikt.profiles)


@dataclass(frozen=True)
class Rescored:
    """A re-scored run and what writing it can take over from the run it came from."""

    result: ScoreResult
    source: Path
    before: pd.DataFrame  # the source's candidate attributes as read, indexed by fid
    same_distances: bool  # distances.npz would be saved unchanged
    layers: dict[str, gpd.GeoDataFrame]  # the source's other GeoPackage layers as read


def read_run_record(src: Path) -> dict:
    """``run.json`` of the run in ``src``; one clear error when it is unreadable or corrupt."""
    path = Path(src) / "run.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(
            f"{path} is unreadable or corrupt ({exc}); run `geoschikt score` again"
        ) from None
    if not isinstance(record, dict) or not isinstance(record.get("config"), dict):
        raise InputFileError(f"{path} holds no run configuration; run `geoschikt score` again")
    return record


def check_recorded_hash(src: Path, name: str, record: dict) -> None:
    """Refuse ``src/name`` when its SHA-256 differs from the one ``run.json`` recorded (a file
    edited or damaged after the run)."""
    expected = (record.get("outputs") or {}).get(name, {}).get("sha256")
    if expected is None:
        return  # runs from before hashes were recorded
    actual = file_sha256(Path(src) / name)
    if actual != expected:
        raise InputFileError(
            f"{Path(src) / name} has SHA-256 {actual[:12]}..., but run.json recorded "
            f"{expected[:12]}...: it was changed or damaged after the run; run "
            "`geoschikt score` again"
        )


def is_run_dir(path: Path) -> bool:
    return (Path(path) / "run.json").is_file() and (Path(path) / DISTANCES).is_file()


def run_config(
    src: str | Path,
    overrides_file: str | Path | None = None,
    lang: str | None = None,
    *,
    options: dict | None = None,
) -> Config:
    """The configuration of the run in ``src`` with a TOML file, ``lang`` and the command's
    ``options`` (a nested mapping of config sections) laid over it."""
    src = Path(src)
    if not (src / "run.json").is_file():
        raise InputFileError(f"{src} has no run.json: is it a geoschikt output directory?")
    raw = read_run_record(src)["config"]
    config = config_from_dict(raw, str(src / "run.json"))
    overrides: dict = {}
    if overrides_file is not None:
        overrides = read_toml(Path(overrides_file))
    if lang:
        overrides.setdefault("map", {})["lang"] = lang
    for section, values in (options or {}).items():
        overrides.setdefault(section, {}).update(values)
    new = config.with_overrides(overrides)
    extra = (str(overrides_file),) if overrides_file else ()
    return replace(new, sources=(str(src / "run.json"), *extra))


def remeasured(config: Config, stored) -> tuple[Measured, ...]:
    """The stored measurements (of candidates or surface cells) as ``config``'s criteria see
    them: a distance beyond a criterion's (possibly shorter) reach is 'nothing in reach'."""
    out = []
    assessed = {  # what a count criterion counts: the kinds with features in the data
        k: d for k, d in stored.distance.items() if stored.meta.get(k, {}).get("assessed", True)
    }
    for c in config.criteria:
        meta = stored.meta[c.key]
        d = stored.distance[c.key].copy()
        d[d > c.reach_m] = np.inf
        value = stored.value.get(c.key)
        if c.measure == "count":  # counted again: `of` or within_m may have changed
            value = count_within(c, assessed, len(d)).value
        out.append(
            Measured(
                c,
                d,
                optional_from_json(meta["why_unknown"]),
                meta["assessed"],
                optional_from_json(meta["why_not_assessed"]),
                value,
            )
        )
    return tuple(out)


def coverage_notes(
    cands: pd.DataFrame, measured: tuple[Measured, ...], record: dict, lang: str
) -> np.ndarray | None:
    """The run's ``coverage_note`` made again in ``lang`` from its measurements (as first
    measured) and data extent; None when the run lacks what that needs. Where the points
    rounded in the table would give another ``coverage`` than the run's, the old note stays."""
    bounds = (record.get("data_extent") or {}).get("bounds_wgs84")
    needed = {"coverage", "coverage_note", "lon", "lat"}
    if not bounds or "crs" not in record or not needed <= set(cands.columns):
        return None
    crs = record["crs"]
    x, y = transform_xy(
        cands["lon"].to_numpy(dtype=float), cands["lat"].to_numpy(dtype=float), WGS84, crs
    )
    extent = to_crs(gpd.GeoSeries([shapely.box(*bounds)], crs=WGS84), crs).iat[0]
    again = coverage(list(measured), extent, x, y, lang)
    same = again["coverage"] == cands["coverage"].to_numpy(dtype=object)
    return np.where(same, again["coverage_note"], cands["coverage_note"].to_numpy(dtype=object))


def rescore_run(src: str | Path, config: Config) -> ScoreResult:
    """A new ScoreResult for the run in ``src`` under ``config``, without measuring again."""
    return rescore(src, config).result


def write_rescored(
    rescored: Rescored, out: str | Path, *, overwrite: bool = False, command: str | None = None
) -> Path:
    """Write a re-scored run like :func:`write_outputs`, copying what did not change from its
    source (``distances.npz``, the GeoPackage's other layers); returns ``out``."""
    reuse = Reuse(rescored.source, rescored.same_distances, rescored.layers)
    return write_outputs(rescored.result, out, overwrite=overwrite, command=command, reuse=reuse)


def rescore(src: str | Path, config: Config) -> Rescored:
    """Re-score the run in ``src`` under ``config``, keeping what its outputs can reuse."""
    src = Path(src)
    start = time.perf_counter()
    if not is_run_dir(src):
        raise InputFileError(
            f"{src} is not a geoschikt output directory (it needs run.json and {DISTANCES}); "
            "give the --out directory of a score or batch run"
        )
    old_prov = read_run_record(src)
    check_recorded_hash(src, DISTANCES, old_prov)
    if not (src / "candidates.gpkg").is_file():
        raise InputFileError(
            f"{src} has no candidates.gpkg (deleted?); run `geoschikt score` again for it"
        )
    old = config_from_dict(old_prov["config"], str(src / "run.json"))
    problems = measurement_changes(old, config)
    if problems:
        raise ConfigError(
            "cannot re-score without measuring again: "
            + "; ".join(problems)
            + ". Run `geoschikt score` (or `batch`) with the new config instead"
        )
    gpkg = src / "candidates.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    cands = gpd.read_file(
        gpkg, layer="candidates", engine="pyogrio", use_arrow=True, fid_as_index=True
    )
    before = pd.DataFrame(cands.drop(columns=cands.geometry.name))
    cands = cands.reset_index(drop=True)
    others = {  # as stored: written back unchanged if the candidates are written anew
        name: gpd.read_file(gpkg, layer=name, engine="pyogrio", use_arrow=True)
        for name in ("pois", "area", "reception")
        if name in layers
    }
    pois, area = others["pois"], to_crs(others["area"], WGS84)
    reception = to_crs(others["reception"], WGS84) if "reception" in others else None
    stored = load_distances(src / DISTANCES)
    if not np.array_equal(
        stored.candidate_id, np.asarray(cands["candidate_id"].astype(str), dtype=str)
    ):
        raise InputFileError(f"{src}: {DISTANCES} does not belong to candidates.gpkg; run again")

    per_key = (dist_col, value_col, score_col, points_col, note_col)
    drop = [name(k) for k in stored.meta for name in per_key]
    kept = {c.key for c in config.criteria}
    drop += [  # criteria now disabled
        col(k) for k in stored.meta if k not in kept for col in (nearest_col, nearest_id_col)
    ]
    drop += [c for c in cands.columns if c.startswith(PROFILE_PREFIXES)]
    base = cands.drop(columns=[c for c in (*drop, *SCORE_COLUMNS) if c in cands.columns])
    measured = remeasured(config, stored)
    for m in measured:
        for col in (nearest_col(m.criterion.key), nearest_id_col(m.criterion.key)):
            if col in base and np.isinf(m.distance).any():
                base.loc[np.isinf(m.distance), col] = None

    if config.lang != old.lang:  # the coverage notes too in the new language
        notes = coverage_notes(base, remeasured(old, stored), old_prov, config.lang)
        if notes is not None:
            base["coverage_note"] = notes
    outside = (base["coverage"] == "none").to_numpy() if "coverage" in base else None
    scores = score(measured, lang=config.lang, outside=outside)
    if config.profiles:
        scores = pd.concat([scores, profile_scores(measured, config, outside=outside)], axis=1)
    scores.index = base.index
    geometry = base.geometry
    table = pd.concat([base.drop(columns="geometry"), scores], axis=1)
    result = gpd.GeoDataFrame(table, geometry=geometry, crs=cands.crs)

    prov = dict(old_prov)
    for key in ("outputs", "command", "demo"):
        prov.pop(key, None)
    prov.update(
        {
            "config": config.to_dict(),
            "config_sources": list(config.sources),
            "rescored_from": {"path": str(src), "run_json_sha256": file_sha256(src / "run.json")},
            "timings_s": {"re-scoring": round(time.perf_counter() - start, 3)},
            **not_assessed_record(measured),
        }
    )
    prov["counts"] = dict(
        prov.get("counts", {}), candidates=len(result), passing=int(result["passes"].sum())
    )
    surface = None
    if (src / SURFACE_STORE).is_file() and config.surface_m > 0:
        check_recorded_hash(src, SURFACE_STORE, old_prov)
        cells = load_surface(src / SURFACE_STORE)
        surface = score_surface(cells.grid, remeasured(config, cells), cells.scored, config.lang)
    new = ScoreResult(
        result,
        pois,
        area,
        reception,
        config,
        str(cands.crs.to_string()),
        prov,
        tuple(measured),
        surface,
    )
    return Rescored(new, src, before, holds(stored, new), others)
