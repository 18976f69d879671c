"""Which regions a batch still has to score: a task per region, done when its record matches."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import shapely

from geoschikt import __version__
from geoschikt.batch.regions import safe_name
from geoschikt.batch.status import RegionTask, fingerprint, is_done
from geoschikt.config import Config
from geoschikt.geo import grow_bounds
from geoschikt.hashing import file_sha256


def buffered_bounds(geom, metres: float) -> tuple[float, float, float, float]:
    """Bounds of ``geom`` (lon/lat) grown by ``metres`` on every side."""
    return grow_bounds(geom.bounds, metres)


def plan(
    osm_sha: str,
    regions: gpd.GeoDataFrame,
    config: Config,
    out: Path,
    reception_file,
    *,
    balance_file=None,
    redo: bool = False,
) -> tuple[list[RegionTask], list[RegionTask]]:
    """(all tasks, tasks still to do): a task is done when its status record matches (never
    with ``redo``). ``osm_sha`` is the SHA-256 of the OSM extract."""
    rec_sha = file_sha256(reception_file) if reception_file else None
    balance_sha = file_sha256(balance_file) if balance_file else None
    tasks, todo = [], []
    for row in regions.itertuples():
        name = safe_name(row.region_id)
        geom_sha = hashlib.sha256(shapely.to_wkb(row.geometry, hex=False)).hexdigest()
        inputs = {
            "geoschikt_version": __version__,
            "osm_sha256": osm_sha,
            "config_sha256": fingerprint(config.to_dict()),
            "region_geometry_sha256": geom_sha,
            "reception_sha256": rec_sha,
        }
        if balance_sha is not None:  # only then, so earlier records still match
            inputs["balance_sha256"] = balance_sha
        fp = fingerprint(inputs)
        task = RegionTask(
            region_id=row.region_id,
            region_name=row.region_name,
            input_path=str(out / ".work" / f"{name}-{fp}.osmcut"),
            out_dir=str(out / "regions" / name),
            status_path=str(out / "status" / f"{name}.json"),
            fingerprint=fp,
            config_raw=config.to_dict(),
            config_sources=config.sources,
            reception_file=str(reception_file) if reception_file else None,
            inputs=inputs,
            balance_file=str(balance_file) if balance_file else None,
        )
        tasks.append(task)
        if redo or not is_done(task):
            todo.append(task)
    return tasks, todo
