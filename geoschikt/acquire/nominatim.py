"""Boundary polygons of named places from Nominatim (cached)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely

from geoschikt.acquire.http import (
    NOMINATIM_URL,
    Politeness,
    Transport,
    cached_request,
    check_json_list,
)
from geoschikt.errors import DataUnavailableError


def geocode_place(
    place: str,
    *,
    cache_dir: Path,
    offline: bool,
    transport: Transport | None = None,
    policy: Politeness | None = None,
) -> gpd.GeoDataFrame:
    """Boundary polygon of a named place from Nominatim (cached), as a one-row GeoDataFrame."""
    params = {"q": place, "format": "json", "polygon_geojson": "1", "limit": "5"}
    path = cached_request(
        NOMINATIM_URL,
        params,
        suffix=".json",
        cache_dir=cache_dir,
        offline=offline,
        check=check_json_list,
        transport=transport,
        policy=policy,
    )
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DataUnavailableError(
            f"Nominatim answer in {path} is not JSON; delete it and retry"
        ) from None
    polys = [r for r in results if r.get("geojson", {}).get("type") in ("Polygon", "MultiPolygon")]
    if not polys:
        raise DataUnavailableError(
            f"Nominatim found no boundary polygon for {place!r}; give a more precise name "
            "(e.g. 'Delft, Nederland') or use --bbox"
        )
    best = polys[0]
    geom = shapely.geometry.shape(best["geojson"])
    return gpd.GeoDataFrame(
        {
            "name": [best.get("display_name", place)],
            "osm_type": [best.get("osm_type")],
            "osm_id": [best.get("osm_id")],
        },
        geometry=[geom],
        crs="EPSG:4326",
    )
