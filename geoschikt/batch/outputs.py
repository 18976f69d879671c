"""The batch-wide outputs: summary.csv, candidates_all.gpkg, index.html and batch.json."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoschikt.batch.regions import safe_name
from geoschikt.batch.status import BATCH_MARK, STATUS_OK
from geoschikt.config import Config
from geoschikt.geo import WGS84, to_crs
from geoschikt.hashing import file_sha256
from geoschikt.outputs.atomic import atomic_bytes, atomic_file
from geoschikt.outputs.combined import write_region_layers
from geoschikt.outputs.csvsafe import neutralise_frame
from geoschikt.outputs.write import write_layer
from geoschikt.provenance import run_record


def write_batch_outputs(
    out: Path,
    tasks,
    summary: pd.DataFrame,
    regions,
    config: Config,
    osm_path,
    seconds: float,
    osm_sha: str | None = None,
) -> None:
    """summary.csv, candidates_all.gpkg, index.html (overview map) and batch.json, each atomic."""
    summary = summary.copy()
    summary["map"] = [
        f"regions/{safe_name(t.region_id)}/map.html" if s == STATUS_OK else ""
        for t, s in zip(tasks, summary["status"], strict=True)
    ]
    summary["folder"] = [f"regions/{safe_name(t.region_id)}" for t in tasks]  # id -> folder
    with atomic_file(out / "summary.csv") as tmp:
        neutralise_frame(summary).to_csv(tmp, index=False)

    overview = regions.merge(summary.drop(columns=["region_name"]), on="region_id", how="left")
    with atomic_file(out / "candidates_all.gpkg") as tmp_gpkg:
        crs = combined_crs(overview, config)  # one CRS for both layers (RD New in NL)
        write_layer(to_crs(overview, crs), tmp_gpkg, "regions")
        scored = [
            (t.region_id, t.region_name, Path(t.out_dir) / "candidates.gpkg")
            for t, status in zip(tasks, summary["status"], strict=True)
            if status == STATUS_OK
        ]
        if scored:  # streamed: one region in memory at a time
            write_region_layers(scored, tmp_gpkg, "candidates", crs=crs)
        style_combined(tmp_gpkg, config)

    from geoschikt.outputs.overview import write_overview_map

    with atomic_file(out / "index.html") as tmp_html:
        write_overview_map(
            to_wgs84(overview),
            tmp_html,
            lang=config.lang,
            source=f"regions: {regions.attrs.get('source', '')}",
        )

    record = run_record(
        {
            "osm": {"path": str(osm_path), "sha256": osm_sha or file_sha256(osm_path)},
            "config": config.to_dict(),
            "config_sources": list(config.sources),
            "regions": {s: int((summary["status"] == s).sum()) for s in summary["status"].unique()},
            "seconds_this_run": round(seconds, 2),
        },
        attribution=True,
    )
    atomic_bytes(out / BATCH_MARK, json.dumps(record, indent=1, ensure_ascii=False).encode())


def combined_crs(regions: gpd.GeoDataFrame, config: Config) -> str:
    """The metric CRS of the whole batch: the one a single run at the regions' centre would
    choose (EPSG:28992 for Dutch data)."""
    from geoschikt.geo import choose_metric_crs

    centre = to_crs(regions, WGS84).geometry.union_all().centroid
    return choose_metric_crs(centre.x, centre.y, config.crs)


def style_combined(gpkg: Path, config: Config) -> None:
    """QGIS styles for the combined layers: candidates as in each region's GeoPackage,
    regions by their best suitability."""
    from geoschikt.outputs.qgis import style_layers

    style_layers(gpkg, config)


def to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return to_crs(frame, WGS84)
