"""The batch's combined GeoPackage layer, streamed one region at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geoschikt.outputs.write import arrow_ready

_MULTI = {"Point": "MultiPoint", "LineString": "MultiLineString", "Polygon": "MultiPolygon"}
# multi layer type -> (shapely type id of its single parts, the multi constructor)
_MAKE_MULTI = {
    "MultiPoint": (0, shapely.MultiPoint),
    "MultiLineString": (1, shapely.MultiLineString),
    "MultiPolygon": (3, shapely.MultiPolygon),
}


def write_region_layers(
    sources: Sequence[tuple[str, str, Path]],
    dest: Path,
    layer: str = "candidates",
    crs: object | None = None,
) -> int:
    """Write the ``layer`` of each ``(region_id, region_name, gpkg)`` into ``dest`` as one layer
    with ``region_id`` and ``region_name`` in front; returns the rows written.

    The regions are streamed to GDAL as Arrow record batches, one region at a time, in one
    write: a province's combined table costs no more memory than its largest region. Regions in
    another CRS (UTM zone) are reprojected to ``crs`` (default: the first one's); a column some
    region lacks is empty there.
    """
    infos = [pyogrio.read_info(gpkg, layer=layer) for _, _, gpkg in sources]
    columns = list(dict.fromkeys(name for info in infos for name in info["fields"]))
    geometry_type = common_geometry_type([info["geometry_type"] for info in infos])
    if crs is None:
        crs = gpd.read_file(sources[0][2], layer=layer, rows=0, engine="pyogrio").crs
    else:
        from pyproj import CRS

        crs = CRS.from_user_input(crs)
    rows = 0

    def tables() -> Iterator:
        nonlocal rows
        schema = None
        for region_id, region_name, gpkg in sources:
            table = _region_table(gpkg, layer, region_id, region_name, columns, crs, geometry_type)
            schema = schema or table.schema
            rows += table.num_rows
            yield table.cast(schema)

    import pyarrow as pa

    stream = tables()
    first = next(stream)
    reader = pa.RecordBatchReader.from_batches(
        first.schema, chain.from_iterable(t.to_batches() for t in chain([first], stream))
    )
    pyogrio.write_arrow(
        reader,
        dest,
        layer=layer,
        driver="GPKG",
        geometry_name="geometry",
        geometry_type=geometry_type,
        crs=crs.to_wkt() if crs else None,
    )
    return rows


def _region_table(gpkg, layer, region_id, region_name, columns, crs, geometry_type):
    """One region's rows as an Arrow table (geometry as WKB) in the combined layout."""
    import pyarrow as pa

    part = gpd.read_file(gpkg, layer=layer, engine="pyogrio", use_arrow=True)
    if part.crs != crs:
        part = part.to_crs(crs)
    geoms = part.geometry.values
    if geometry_type in _MAKE_MULTI:  # singles become multis, as in a mixed layer
        single_id, make_multi = _MAKE_MULTI[geometry_type]
        geoms = geoms.copy()
        single = shapely.get_type_id(geoms) == single_id
        geoms[single] = [make_multi([g]) for g in geoms[single]]
    frame = arrow_ready(pd.DataFrame(part.drop(columns="geometry")).reindex(columns=columns))
    frame.insert(0, "region_id", region_id)
    frame.insert(1, "region_name", region_name)
    frame["geometry"] = shapely.to_wkb(geoms)
    return pa.Table.from_pandas(frame, preserve_index=False)


def common_geometry_type(types: Sequence[str]) -> str:
    """The layer type that holds geometries of all ``types`` (e.g. Polygon + MultiPolygon is
    MultiPolygon), or ``Unknown``."""
    found = set(types)
    if len(found) == 1:
        return found.pop()
    multis = {_MULTI.get(t, t) for t in found}
    return multis.pop() if len(multis) == 1 else "Unknown"
