"""Write a ScoreResult to a directory: candidates.gpkg, candidates.csv, map.html, run.json."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pandas as pd

from geoschikt.acquire import file_sha256
from geoschikt.geo import to_crs
from geoschikt.outputs.atomic import atomic_directory
from geoschikt.outputs.distances import DISTANCES, save_distances
from geoschikt.outputs.webmap import write_map
from geoschikt.rasters import write_geotiff

log = logging.getLogger(__name__)

GPKG = "candidates.gpkg"
CSV = "candidates.csv"
MAP = "map.html"
RUN = "run.json"
SURFACE = "suitability.tif"


def _raster_tags(result) -> dict[str, str]:
    prov = result.provenance
    return {
        "SOFTWARE": f"geoschikt {prov.get('geoschikt_version')}",
        "OSM_DATA_TIMESTAMP": str(prov.get("osm_data_timestamp")),
        "AREA": str(prov.get("area", {}).get("name")),
        "ATTRIBUTION": "© OpenStreetMap contributors (ODbL)",
        "SCORES": "0-100 per criterion band; suitability = weighted mean (see run.json)",
    }


def write_outputs(
    result, out: str | Path, *, overwrite: bool = False, command: str | None = None
) -> Path:
    """Write all outputs of ``result`` into ``out`` atomically; returns ``out``.

    ``candidates.gpkg``, ``candidates.csv``, ``distances.npz`` (raw distances for re-scoring),
    ``map.html`` and ``run.json``.
    """
    out = Path(out)
    start = time.perf_counter()
    with atomic_directory(out, overwrite) as tmp:
        write_tables(result, tmp)
        save_distances(result, tmp / DISTANCES)
        if result.surface is not None:
            write_geotiff(result.surface, tmp / SURFACE, tags=_raster_tags(result))
        write_map(result, tmp / MAP)
        provenance = dict(result.provenance)
        provenance["command"] = command
        provenance["timings_s"] = dict(provenance.get("timings_s", {}))
        provenance["timings_s"]["writing outputs"] = round(time.perf_counter() - start, 3)
        provenance["outputs"] = describe_files(tmp)
        (tmp / RUN).write_text(
            json.dumps(provenance, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
    log.info("outputs written to %s", out)
    return out


def describe_files(directory: Path) -> dict[str, dict]:
    """Size and SHA-256 of every file in ``directory`` (for provenance records)."""
    return {
        p.name: {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


def write_tables(result, directory: Path) -> None:
    """``candidates.gpkg`` (layers candidates, pois, area, reception) and ``candidates.csv``.

    Both go through Arrow (pyogrio's Arrow writer, pyarrow's CSV writer): 3-7x faster than
    row-wise writing at 100k candidates.
    """
    gpkg = directory / GPKG
    write_layer(result.candidates, gpkg, "candidates")
    pois = result.pois.drop(columns=[c for c in ("tags",) if c in result.pois.columns])
    write_layer(pois, gpkg, "pois")
    write_layer(to_crs(result.area, result.crs), gpkg, "area")
    if result.reception is not None and len(result.reception):
        write_layer(to_crs(result.reception, result.crs), gpkg, "reception")
    table = pd.DataFrame(result.candidates.drop(columns="geometry"))
    write_csv(table.sort_values(["rank", "candidate_id"]), directory / CSV)


def _arrow_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns as strings (all-empty ones would otherwise have Arrow's null type)."""
    frame = frame.copy()
    for col in frame.columns:
        if col != "geometry" and frame[col].dtype == object:
            frame[col] = frame[col].astype("string")
    return frame


def write_layer(frame, gpkg: Path, layer: str) -> None:
    """One GeoPackage layer, written through Arrow."""
    _arrow_ready(frame).to_file(gpkg, layer=layer, driver="GPKG", engine="pyogrio", use_arrow=True)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """A CSV (UTF-8, header, quotes only where needed; empty cells for missing values)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    arrow = pa.Table.from_pandas(_arrow_ready(table), preserve_index=False)
    pacsv.write_csv(arrow, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
