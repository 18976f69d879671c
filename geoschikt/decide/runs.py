"""Open a finished ``score`` or ``batch`` run directory and check that it is intact.

A run is trusted only when its ``run.json`` is from a compatible geoschikt version, every stored
file read here matches the SHA-256 that ``run.json`` records, and the stored scores follow from
the stored distances under the run's own configuration. Nothing here writes a file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geoschikt import __version__
from geoschikt.config import Config, config_from_dict
from geoschikt.errors import InputFileError
from geoschikt.geo import WGS84, to_crs, transform_xy
from geoschikt.notes import optional_from_json
from geoschikt.outputs.distances import DISTANCES, load_distances
from geoschikt.scoring import Measured, criterion_score, rank, score_col

RUN = "run.json"
GPKG = "candidates.gpkg"
CSV = "candidates.csv"
BATCH_MARK = "batch.json"


@dataclass(frozen=True)
class Criteria:
    """The assessed criteria of a run: their keys, labels and weights (as configured)."""

    keys: tuple[str, ...]
    weights: np.ndarray
    labels: dict[str, dict[str, str]]  # key -> {"nl": ..., "en": ...}


@dataclass(frozen=True)
class Run:
    """A verified run: its candidates (metric CRS, one row per candidate, in stored order) and
    the unrounded per-criterion scores the run's suitability is made of.

    ``scores`` has one column per assessed criterion (``criteria.keys``); criteria that were not
    assessed are left out, so they count for nothing in any weighting.
    """

    path: Path
    provenance: dict
    config: Config
    candidates: gpd.GeoDataFrame
    scores: np.ndarray
    criteria: Criteria
    crs: str
    regions: tuple[Path, ...] = field(default=())  # the region directories of a batch run

    @property
    def passes(self) -> np.ndarray:
        return self.candidates["passes"].to_numpy(dtype=bool)

    @property
    def rank(self) -> np.ndarray:
        return self.candidates["rank"].to_numpy(dtype=np.int64)

    @property
    def ids(self) -> np.ndarray:
        return self.candidates["candidate_id"].astype(str).to_numpy()

    @cached_property
    def xy(self) -> np.ndarray:
        """(n, 2) metric coordinates of the point each candidate's distances were measured from."""
        x, y = transform_xy(
            self.candidates["lon"].to_numpy(float),
            self.candidates["lat"].to_numpy(float),
            WGS84,
            self.crs,
        )
        return np.column_stack([x, y])

    def labels(self) -> pd.Series:
        """A readable name per candidate: its name, else its street address, else ''."""
        return candidate_labels(self.candidates)

    def result(self):
        """The run as a ScoreResult (candidates, pois, area, reception, config), for maps."""
        from geoschikt.pipeline import ScoreResult

        dirs = self.regions or (self.path,)
        layers = {name: [] for name in ("pois", "area", "reception")}
        for d in dirs:
            present = {name for name, _ in pyogrio.list_layers(d / GPKG)}
            for name in layers:
                if name in present:
                    layers[name].append(_read_layer(d / GPKG, name))
        pois = _concat(layers["pois"], self.crs)
        if len(dirs) > 1 and len(pois):  # regions' buffers overlap: a feature once
            key = pd.DataFrame(pois.drop(columns=pois.geometry.name)).astype(str)
            key["wkb"] = pois.geometry.to_wkb()
            pois = pois.loc[~key.duplicated()].reset_index(drop=True)
        area = to_crs(_concat(layers["area"], self.crs), WGS84)
        reception = (
            to_crs(_concat(layers["reception"], self.crs), WGS84) if layers["reception"] else None
        )
        return ScoreResult(
            self.candidates, pois, area, reception, self.config, self.crs, self.provenance
        )


def candidate_labels(frame: pd.DataFrame) -> pd.Series:
    """Name, else street and house number, else '' per candidate."""
    label = pd.Series("", index=frame.index, dtype=object)
    if "addr:street" in frame:
        number = frame.get("addr:housenumber", "")
        street = (
            frame["addr:street"].fillna("").astype(str)
            + " "
            + pd.Series(number, index=frame.index).fillna("").astype(str)
        )
        label = street.str.strip()
    if "name" in frame:
        name = frame["name"].astype(object)
        label = name.where(name.notna() & (name.astype(str).str.strip() != ""), label).astype(str)
    return label


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_batch(path: Path) -> bool:
    return (Path(path) / BATCH_MARK).is_file()


def open_run(path: str | Path, *, region: str | None = None) -> Run:
    """The verified run in ``path``: a ``score`` output directory or a ``batch`` directory (all
    its scored regions together, or only ``region``). Raises InputFileError with the reason."""
    path = Path(path)
    if not path.is_dir():
        raise InputFileError(f"run directory {path} does not exist; give the --out of a score run")
    if is_batch(path):
        dirs = sorted(p.parent for p in (path / "regions").glob(f"*/{RUN}"))
        if region is not None:
            dirs = [d for d in dirs if d.name == region]
            if not dirs:
                raise InputFileError(
                    f"batch {path} has no scored region {region!r}; see its summary.csv"
                )
        if not dirs:
            raise InputFileError(f"batch {path} holds no scored region (regions/<id>/{RUN})")
        return _combine(path, [_open_one(d, region=d.name) for d in dirs])
    if region is not None:
        raise InputFileError(f"--region is for batch directories; {path} is a single run")
    return _open_one(path)


def _open_one(path: Path, region: str | None = None) -> Run:
    run_json = path / RUN
    if not run_json.is_file():
        raise InputFileError(
            f"{path} is not a geoschikt run directory (no {RUN}); give the --out of a score or "
            "batch run"
        )
    try:
        prov = json.loads(run_json.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{run_json} is not valid JSON ({exc}); run the score again") from None
    _check_version(prov, run_json)
    outputs = prov.get("outputs") or {}
    for name in (GPKG, DISTANCES):
        _check_file(path, name, outputs)
    config = config_from_dict(prov["config"], str(run_json))
    cands = gpd.read_file(path / GPKG, layer="candidates", engine="pyogrio", use_arrow=True)
    stored = load_distances(path / DISTANCES)
    ids = cands["candidate_id"].astype(str).to_numpy()
    if not np.array_equal(stored.candidate_id.astype(str), ids):
        raise InputFileError(f"{path}: {DISTANCES} does not belong to {GPKG}; run the score again")
    missing = [c for c in ("passes", "rank", "suitability", "lon", "lat") if c not in cands]
    if missing:
        raise InputFileError(f"{path / GPKG} lacks the columns {missing}; run the score again")
    keys, weights, scores, labels = [], [], [], {}
    for c in config.criteria:
        meta = stored.meta.get(c.key)
        if meta is None:
            raise InputFileError(f"{path}: {DISTANCES} has no distances for criterion {c.key!r}")
        if not meta["assessed"]:
            continue
        d = stored.distance[c.key].copy()
        d[d > c.reach_m] = np.inf
        why = optional_from_json(meta["why_unknown"])
        m = Measured(c, d, why, True, None, stored.value.get(c.key))
        keys.append(c.key)
        weights.append(c.weight)
        scores.append(criterion_score(m))
        labels[c.key] = {"nl": c.label("nl"), "en": c.label("en")}
    matrix = np.column_stack(scores) if scores else np.zeros((len(cands), 0))
    criteria = Criteria(tuple(keys), np.asarray(weights, float), labels)
    _check_scores(path, cands, matrix, criteria)
    if region is not None:
        cands.insert(0, "region_id", region)
    return Run(path, prov, config, cands, matrix, criteria, str(cands.crs.to_string()))


def _check_version(prov: dict, run_json: Path) -> None:
    version = str(prov.get("geoschikt_version", "?"))
    if version.split(".")[:2] != __version__.split(".")[:2]:
        raise InputFileError(
            f"{run_json} was made by geoschikt {version}, this is {__version__}; re-run the score "
            "(or rescore it) with this version"
        )


def _check_file(path: Path, name: str, outputs: dict) -> None:
    target = path / name
    if not target.is_file():
        raise InputFileError(f"{path} has no {name}; run the score again")
    expected = (outputs.get(name) or {}).get("sha256")
    if expected is None:
        raise InputFileError(f"{path / RUN} records no SHA-256 for {name}; run the score again")
    if sha256(target) != expected:
        raise InputFileError(
            f"{target} does not match the SHA-256 in {RUN} (changed after the run); run the "
            "score again or restore the file"
        )


def _check_scores(path: Path, cands: pd.DataFrame, scores: np.ndarray, criteria: Criteria):
    """The stored criterion scores and suitability must follow from the stored distances."""
    for j, key in enumerate(criteria.keys):
        stored = cands[score_col(key)].to_numpy(float)
        if not np.allclose(np.round(scores[:, j], 1), stored, atol=0.051, equal_nan=True):
            raise InputFileError(
                f"{path}: the {key} scores in {GPKG} do not follow from {DISTANCES} and the run's "
                "config; run the score again"
            )
    suit = weighted_suitability(scores, criteria.weights)
    if not np.allclose(suit, cands["suitability"].to_numpy(float), atol=0.051, equal_nan=True):
        raise InputFileError(
            f"{path}: suitability in {GPKG} does not follow from its criterion scores; run the "
            "score again"
        )


def weighted_suitability(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``score``'s total for every row of ``weights`` (shape (c,) or (m, c)): the weights are
    normalised to sum 1, each criterion's share added in criterion order (the same floating-point
    steps as the run) and the result rounded to 0.1. Shape (n,) or (m, n)."""
    w = np.asarray(weights, float)
    single = w.ndim == 1
    w = np.atleast_2d(w)
    total = w.sum(axis=1, keepdims=True)
    shares = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    out = np.zeros((len(w), scores.shape[0]))
    term = np.empty_like(out)
    columns = np.asfortranarray(scores)  # each criterion's scores contiguous
    for j in range(scores.shape[1]):
        np.multiply(shares[:, j : j + 1], columns[:, j], out=term)
        out += term
    out = np.round(out, 1)
    out[(total[:, 0] <= 0)] = np.nan
    return out[0] if single else out


def _combine(path: Path, runs: list[Run]) -> Run:
    """One Run of a batch's regions (same config): candidates concatenated and ranked together."""
    first = runs[0]
    for r in runs[1:]:
        if r.criteria.keys != first.criteria.keys or not np.array_equal(
            r.criteria.weights, first.criteria.weights
        ):
            raise InputFileError(
                f"regions {first.path.name} and {r.path.name} of {path} were scored with other "
                "criteria or weights; pick one with --region"
            )
    crs = first.crs
    frames = [to_crs(r.candidates, crs) for r in runs]
    cands = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)
    dup = cands["candidate_id"].astype(str).duplicated()
    if dup.any():
        raise InputFileError(
            f"candidate {cands['candidate_id'][dup].iloc[0]} is in more than one region of "
            f"{path}; pick one region with --region"
        )
    cands["rank"] = rank(cands["suitability"].to_numpy(float), cands["passes"].to_numpy(bool))
    scores = np.vstack([r.scores for r in runs])
    prov = dict(first.provenance)
    prov["area"] = {"name": f"{path.name} ({len(runs)} regions)"}
    prov["counts"] = {"candidates": len(cands), "passing": int(cands["passes"].sum())}
    return Run(
        path, prov, first.config, cands, scores, first.criteria, crs, tuple(r.path for r in runs)
    )


def _read_layer(gpkg: Path, layer: str) -> gpd.GeoDataFrame:
    return gpd.read_file(gpkg, layer=layer, engine="pyogrio", use_arrow=True)


def _concat(frames: list[gpd.GeoDataFrame], crs: str) -> gpd.GeoDataFrame:
    if not frames:
        return gpd.GeoDataFrame(geometry=[], crs=crs)
    frames = [to_crs(f, crs) for f in frames]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)
