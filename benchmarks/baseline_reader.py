"""The baseline for "end to end vs just reading": a minimal pyosmium reader that turns an OSM
file into GeoDataFrames of buildings (polygons), POIs (points) and highway ways (lines).

It is what any tool has to do at least before it can score anything, written the plain way
with pyosmium's FileProcessor, area assembly and WKB factory.

    python -m benchmarks.baseline_reader FILE.osm.pbf
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd
import shapely

POI_KEYS = ("amenity", "shop", "healthcare", "public_transport", "railway", "social_facility:for")


def read_geodataframes(path: str | Path) -> dict[str, gpd.GeoDataFrame]:
    """``{"buildings", "pois", "ways"}`` GeoDataFrames (EPSG:4326) of an OSM file."""
    wkb = osmium.geom.WKBFactory()
    proc = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_areas(osmium.filter.KeyFilter("building"))
        .with_filter(osmium.filter.KeyFilter("building", "highway", *POI_KEYS))
    )
    b_rows, b_geom, p_rows, p_geom, w_rows, w_geom = [], [], [], [], [], []
    for obj in proc:
        tags = obj.tags
        if isinstance(obj, osmium.osm.Area):
            if "building" in tags:
                try:
                    b_geom.append(bytes.fromhex(wkb.create_multipolygon(obj)))
                except RuntimeError:
                    continue
                b_rows.append((obj.orig_id(), tags.get("building")))
        elif isinstance(obj, osmium.osm.Way):
            if "highway" in tags:
                try:
                    w_geom.append(bytes.fromhex(wkb.create_linestring(obj)))
                except RuntimeError:
                    continue
                w_rows.append((obj.id, tags.get("highway")))
        elif isinstance(obj, osmium.osm.Node) and obj.location.valid():
            p_rows.append((obj.id, dict(tags)))
            p_geom.append((obj.location.lon, obj.location.lat))

    def frame(rows, cols, geom):
        return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry=geom, crs="EPSG:4326")

    return {
        "buildings": frame(b_rows, ["osm_id", "building"], shapely.from_wkb(b_geom)),
        "pois": frame(p_rows, ["osm_id", "tags"], shapely.points(p_geom) if p_geom else []),
        "ways": frame(w_rows, ["osm_id", "highway"], shapely.from_wkb(w_geom)),
    }


def main() -> None:
    start = time.perf_counter()
    frames = read_geodataframes(sys.argv[1])
    took = time.perf_counter() - start
    print(", ".join(f"{k} {len(v)}" for k, v in frames.items()), f"in {took:.2f} s")


if __name__ == "__main__":
    main()
