"""The one reader of a regions file (municipal boundaries or other polygons with an id).

Used by ``balance`` (the municipal balance) and ``batch`` (one run per region): both get the
same checks and the same messages. A region is a polygon or multipolygon with a non-blank,
unique id (stripped of surrounding spaces) and an optional name.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from geoschikt.errors import InputFileError
from geoschikt.inputs import read_points_or_shapes
from geoschikt.tables import clean_codes, find_column, row_numbers, stripped_text

NAME_COLUMNS = ("statnaam", "gemeentenaam", "name", "naam")
POLYGONS = ("Polygon", "MultiPolygon")
REGION_MERGE = "one feature (dissolve its polygons)"


def read_regions(
    path: str | Path, *, id_column: str = "statcode", name_column: str | None = None
) -> gpd.GeoDataFrame:
    """Regions as ``region_id``, ``region_name`` and polygons in EPSG:4326, in file order.

    ``id_column`` and ``name_column`` are matched case-insensitively; ``name_column`` is then
    required, while without it the first of :data:`NAME_COLUMNS` present gives the names (empty
    when there is none). Ids and names are stripped text. Raises :class:`InputFileError` for a
    missing column, features that are not polygons, and blank or repeated ids, naming the
    features (numbered from 1). ``attrs["source"]`` is the file's name.
    """
    frame = read_points_or_shapes(path, "regions")
    what = f"regions file {path}"
    polygons = frame.geom_type.isin(POLYGONS)
    if not polygons.any():
        raise InputFileError(f"{what} holds no polygons; give municipal boundaries")
    if not polygons.all():
        raise InputFileError(
            f"{what}: {int((~polygons).sum())} feature(s) are not polygons (feature "
            f"{row_numbers(~polygons, 1)}); give every region as a polygon or multipolygon"
        )
    code = find_column(
        frame, (id_column,), what, "name the column of the ids", option="--id-column"
    )
    if name_column is None:
        name = find_column(frame, NAME_COLUMNS, what, required=False)
    else:
        name = find_column(
            frame, (name_column,), what, "name the column of the names", option="--name-column"
        )
    ids = clean_codes(frame[code], what, code, line_offset=1, unit="region", merge=REGION_MERGE)
    regions = gpd.GeoDataFrame(
        {
            "region_id": ids.to_numpy(),
            "region_name": stripped_text(frame, name),
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    regions.attrs["source"] = Path(path).name
    return regions
