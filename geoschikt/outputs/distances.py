"""Raw measured distances of a run (``distances.npz``), kept so a run can be re-scored with new
weights, curves or limits without measuring again.

Per criterion the array keeps what the tables cannot: ``inf`` = nothing within reach,
``nan`` = not measurable for that candidate (the reason is stored alongside).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geoschikt.errors import InputFileError
from geoschikt.notes import optional_to_json

DISTANCES = "distances.npz"


@dataclass(frozen=True)
class StoredDistances:
    candidate_id: np.ndarray
    distance: dict[str, np.ndarray]
    value: dict[str, np.ndarray]
    # key -> why_unknown, assessed, why_not_assessed (notes as JSON, or text from older
    # versions: read them with notes.optional_from_json), reach_m
    meta: dict[str, dict]


def save_distances(result, path: Path) -> None:
    """Write the raw distances of ``result`` (a ScoreResult) to ``path``."""
    arrays, meta = _contents(result)
    arrays["meta"] = np.array(json.dumps(meta))
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def holds(stored: StoredDistances, result) -> bool:
    """Whether saving ``result`` would store exactly what ``stored`` holds (then the file can
    be copied instead)."""
    arrays, meta = _contents(result)
    if list(stored.meta) != list(meta) or json.loads(json.dumps(meta)) != stored.meta:
        return False
    kept = {"candidate_id": stored.candidate_id}
    kept.update({f"d_{k}": v for k, v in stored.distance.items()})
    kept.update({f"v_{k}": v for k, v in stored.value.items()})
    return kept.keys() == arrays.keys() and all(
        kept[k].dtype == a.dtype and np.array_equal(kept[k], a, equal_nan=a.dtype.kind == "f")
        for k, a in arrays.items()
    )


def _contents(result) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
    arrays = {"candidate_id": np.asarray(result.candidates["candidate_id"].astype(str), dtype=str)}
    more, meta = measured_arrays(result.measured)
    arrays.update(more)
    return arrays, meta


def measured_arrays(measured) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
    """The arrays (``d_<key>``, ``v_<key>``) and per-criterion facts of a list of Measured."""
    arrays: dict[str, np.ndarray] = {}
    meta = {}
    for m in measured:
        arrays[f"d_{m.criterion.key}"] = np.asarray(m.distance, dtype=float)
        if m.value is not None:
            arrays[f"v_{m.criterion.key}"] = np.asarray(m.value, dtype=float)
        meta[m.criterion.key] = {
            "why_unknown": optional_to_json(m.why_unknown),
            "assessed": m.assessed,
            "why_not_assessed": optional_to_json(m.why_not_assessed),
            "reach_m": m.criterion.reach_m,
        }
    return arrays, meta


def load_distances(path: Path) -> StoredDistances:
    """The stored distances; one clear error when the file is corrupt."""
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            return StoredDistances(
                candidate_id=data["candidate_id"],
                distance={k: data[f"d_{k}"] for k in meta},
                value={k: data[f"v_{k}"] for k in meta if f"v_{k}" in data},
                meta=meta,
            )
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise InputFileError(
            f"{path} is corrupt ({type(exc).__name__}: {exc}); run `geoschikt score` again"
        ) from None


SURFACE_STORE = "surface.npz"


@dataclass(frozen=True)
class StoredSurface:
    """The grid of ``suitability.tif`` and its cells' raw measurements (for ``rescore``)."""

    grid: object  # rasters.Grid
    scored: np.ndarray  # of the cells inside the area: those with scores
    distance: dict[str, np.ndarray]
    value: dict[str, np.ndarray]
    meta: dict[str, dict]


def save_surface(surface, path: Path) -> None:
    """Write the grid and cell measurements of a Surface (rasters.Surface) to ``path``."""
    g = surface.grid
    arrays, meta = measured_arrays(surface.measured)
    grid = {"crs": g.crs, "resolution": g.resolution, "left": g.left, "top": g.top}
    arrays.update(inside=g.inside, scored=np.asarray(surface.scored, dtype=bool))
    arrays["meta"] = np.array(json.dumps({"criteria": meta, "grid": grid}))
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def load_surface(path: Path) -> StoredSurface:
    """The stored surface cells; one clear error when the file is corrupt."""
    import zipfile

    from geoschikt.rasters import Grid

    try:
        with np.load(path, allow_pickle=False) as data:
            info = json.loads(str(data["meta"]))
            meta, g = info["criteria"], info["grid"]
            inside = data["inside"]
            grid = Grid(g["crs"], g["resolution"], g["left"], g["top"], *inside.shape[::-1], inside)
            return StoredSurface(
                grid=grid,
                scored=data["scored"],
                distance={k: data[f"d_{k}"] for k in meta},
                value={k: data[f"v_{k}"] for k in meta if f"v_{k}" in data},
                meta=meta,
            )
    except (OSError, ValueError, KeyError, EOFError, TypeError, zipfile.BadZipFile) as exc:
        raise InputFileError(
            f"{path} is corrupt ({type(exc).__name__}: {exc}); run `geoschikt score` again"
        ) from None
