"""User files: candidate sites, area polygons and existing reception locations.

Each reader returns a GeoDataFrame in EPSG:4326 and refuses files whose coordinates do not fit
their stated CRS, so that a CRS mix-up is caught before it turns into wrong distances.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from geoschikt.errors import CRSError, InputFileError
from geoschikt.geo import WGS84, to_crs
from geoschikt.tables import read_user_csv
from geoschikt.vectorfile import read_vector

log = logging.getLogger(__name__)

LON_NAMES = ("lon", "lng", "longitude", "x_wgs84", "lengtegraad")
LAT_NAMES = ("lat", "latitude", "y_wgs84", "breedtegraad")
# Projected coordinates in a CSV: EPSG:28992 (RD New) unless the user gives another CRS.
X_NAMES = ("x", "rd_x", "x_rd", "xcoord", "x_coord")
Y_NAMES = ("y", "rd_y", "y_rd", "ycoord", "y_coord")
RD_NEW = "EPSG:28992"
CAPACITY_NAMES = ("capacity", "capaciteit", "places", "plaatsen", "opvangplaatsen")


def read_points_or_shapes(
    path: str | Path, what: str, *, csv_crs: str | None = None
) -> gpd.GeoDataFrame:
    """A vector file, or a CSV with lon/lat (EPSG:4326) or x/y columns (EPSG:28992, or
    ``csv_crs``), checked and returned in EPSG:4326."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{what} file {path} does not exist; check the path")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv_points(path, what, csv_crs)
    try:
        frame = read_vector(path, what)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise InputFileError(
            f"{what} file {path} could not be read ({exc}); is it corrupt?"
        ) from None
    except shapely.errors.GEOSException as exc:
        raise InputFileError(
            f"{what} file {path} holds an invalid geometry ({exc}); repair it (e.g. QGIS "
            "'Fix geometries', or close every polygon ring) and try again"
        ) from None
    frame = replace_nul(frame, path, what)
    if "geometry" not in frame or frame.geometry.isna().all():
        raise InputFileError(
            f"{what} file {path} has no geometry; give a GeoPackage/GeoJSON with geometries or a "
            "CSV with lon/lat columns"
        )
    if frame.crs is None:
        raise CRSError(
            f"{what} file {path} has no CRS; set it (e.g. in QGIS, or "
            "`ogr2ogr -a_srs EPSG:28992 out.gpkg in.gpkg`) and try again"
        )
    frame = drop_missing_geometries(frame, path, what)
    _check_coordinates(frame, path, what)
    return to_crs(frame, WGS84)


def _read_csv_points(path: Path, what: str, csv_crs: str | None) -> gpd.GeoDataFrame:
    table, _dialect = read_user_csv(path, what)
    cols = {c.lower().strip(): c for c in table.columns}
    lon = next((cols[n] for n in LON_NAMES if n in cols), None)
    lat = next((cols[n] for n in LAT_NAMES if n in cols), None)
    x_col = next((cols[n] for n in X_NAMES if n in cols), None)
    y_col = next((cols[n] for n in Y_NAMES if n in cols), None)
    if csv_crs is None and lon is not None and lat is not None:
        x_col, y_col, crs = lon, lat, WGS84
    elif x_col is not None and y_col is not None:
        crs = csv_crs or RD_NEW
    elif lon is not None and lat is not None:  # --crs given for lon/lat-named columns
        x_col, y_col, crs = lon, lat, csv_crs
    else:
        raise InputFileError(
            f"{what} file {path} has no geometry: a CSV needs 'lon' and 'lat' columns "
            "(EPSG:4326) or 'x' and 'y' (EPSG:28992, RD New; other CRSs with --crs) "
            f"(found: {', '.join(map(str, table.columns))})"
        )
    x = _numbers(table[x_col])
    y = _numbers(table[y_col])
    bad = x.isna() | y.isna()
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:5])
        raise InputFileError(
            f"{what} file {path}: {x_col}/{y_col} missing or not numeric on line(s) {rows}"
        )
    try:
        frame = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(x, y), crs=crs)
    except pyproj.exceptions.CRSError:
        raise CRSError(
            f"--crs {csv_crs!r} is not a CRS pyproj knows; give e.g. EPSG:28992"
        ) from None
    frame = replace_nul(frame, path, what)
    _check_coordinates(frame, path, what)
    return to_crs(frame, WGS84)


def _numbers(column: pd.Series) -> pd.Series:
    """Numbers from a column, accepting decimal commas in text cells ("4,3571")."""
    if pd.api.types.is_numeric_dtype(column):
        return pd.to_numeric(column, errors="coerce")
    text = column.astype("string").str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def drop_missing_geometries(frame: gpd.GeoDataFrame, path: Path, what: str) -> gpd.GeoDataFrame:
    """``frame`` without features whose geometry is null or empty (e.g. GDAL's reading of an
    unclosed ring), with a warning that lists them; an error when none is left."""
    values = frame.geometry.to_numpy()
    missing = shapely.is_missing(values) | shapely.is_empty(values)
    if not missing.any():
        return frame
    rows = np.flatnonzero(missing) + 1
    listed = ", ".join(map(str, rows[:20])) + (" ..." if len(rows) > 20 else "")
    if missing.all():
        raise InputFileError(
            f"{what} file {path}: no feature has a usable geometry (null or empty in all "
            f"{len(rows)}; an unclosed polygon ring reads as empty); repair the geometries"
        )
    log.warning(
        "%s file %s: %d feature(s) without a usable geometry (null, empty or an unclosed "
        "ring) were left out: feature(s) %s",
        what,
        path,
        len(rows),
        listed,
    )
    return frame[~missing].copy()


NUL_REPLACEMENT = "\ufffd"


def replace_nul(frame: pd.DataFrame, path: Path, what: str) -> pd.DataFrame:
    """Text cells and column names with NUL bytes get U+FFFD instead, with a warning.

    GDAL and SQLite end strings at a NUL byte, so ``"a\\0x"`` and ``"a\\0y"`` would become
    the same id ``"a"`` in the GeoPackage; replacing keeps them apart and visible.
    """
    renamed = {c: c.replace("\0", NUL_REPLACEMENT) for c in frame.columns if "\0" in str(c)}
    cells = 0
    frame = frame.rename(columns=renamed) if renamed else frame
    for col in frame.columns:
        if col == "geometry" or frame[col].dtype not in (object, "string"):
            continue
        values = frame[col]
        has_nul = values.map(lambda v: isinstance(v, str) and "\0" in v)
        if has_nul.any():
            if cells == 0:
                frame = frame.copy()
            cells += int(has_nul.sum())
            frame.loc[has_nul, col] = values[has_nul].str.replace("\0", NUL_REPLACEMENT)
    if cells or renamed:
        log.warning(
            "%s file %s: %d cell(s) and %d column name(s) held NUL bytes; replaced by U+FFFD",
            what,
            path,
            cells,
            len(renamed),
        )
    return frame


def _check_coordinates(frame: gpd.GeoDataFrame, path: Path, what: str) -> None:
    if frame.empty:
        raise InputFileError(f"{what} file {path} holds no features")
    left, bottom, right, top = frame.total_bounds
    crs = frame.crs
    if crs.is_geographic and (left < -180 or right > 180 or bottom < -90 or top > 90):
        raise CRSError(
            f"{what} file {path} says {crs.to_string()} (degrees) but has coordinates up to "
            f"({right:.0f}, {top:.0f}), which look like metres; set its real CRS "
            "(e.g. EPSG:28992 for RD New) instead"
        )
    area = crs.area_of_use
    if crs.is_projected and area is not None:
        corners = gpd.GeoSeries(shapely.points([left, right], [bottom, top]), crs=crs)
        lon_lat = to_crs(corners, WGS84)
        lx, ly = lon_lat.x.to_numpy(), lon_lat.y.to_numpy()
        margin = 2.0  # degrees of slack around the CRS's area of use
        if not (
            np.isfinite(lx).all()
            and np.isfinite(ly).all()
            and area.west - margin <= lx.min()
            and lx.max() <= area.east + margin
            and area.south - margin <= ly.min()
            and ly.max() <= area.north + margin
        ):
            raise CRSError(
                f"{what} file {path} says {crs.to_string()} but its coordinates fall outside that "
                f"CRS's area of use ({area.name}); its CRS is probably wrong (degrees stored as "
                "metres?): set the real CRS"
            )


def read_area_file(path: str | Path) -> gpd.GeoDataFrame:
    """The union of the polygons in a file, as a one-row GeoDataFrame in EPSG:4326."""
    frame = read_points_or_shapes(path, "area")
    polys = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        raise InputFileError(f"area file {path} holds no polygons; give a boundary polygon")
    geom = shapely.make_valid(polys.geometry.union_all())
    return gpd.GeoDataFrame(
        {"name": [Path(path).stem], "source": [str(path)]}, geometry=[geom], crs=WGS84
    )


def read_reception(path: str | Path, *, csv_crs: str | None = None) -> gpd.GeoDataFrame:
    """Existing reception locations with a non-negative ``capacity`` (places)."""
    frame = read_points_or_shapes(path, "reception", csv_crs=csv_crs)
    return prepare_reception(frame, f"reception file {path}")


def prepare_reception(frame: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Reception locations (EPSG:4326) as points with ``name`` and a checked ``capacity``."""
    frame = frame.copy()
    cols = {str(c).lower(): c for c in frame.columns}
    cap = next((cols[n] for n in CAPACITY_NAMES if n in cols), None)
    if cap is None:
        raise InputFileError(
            f"{source} has no capacity column; add one named 'capacity' with the "
            "number of places per location"
        )
    capacity = pd.to_numeric(frame[cap], errors="coerce")
    bad = capacity.isna() | (capacity < 0)
    if bad.any():
        first_bad = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InputFileError(
            f"{source}: {int(bad.sum())} location(s) have a missing or negative "
            f"capacity in column '{cap}' (first at row {first_bad}); "
            "give the number of places (0 or more)"
        )
    frame["geometry"] = shapely.point_on_surface(frame.geometry.values)
    name = next((cols[n] for n in ("name", "naam") if n in cols), None)
    return gpd.GeoDataFrame(
        {"name": frame[name].astype(str) if name else None, "capacity": capacity.to_numpy()},
        geometry=frame.geometry.to_numpy(),
        crs=WGS84,
    )


def read_candidates(
    path: str | Path, id_column: str | None = None, *, csv_crs: str | None = None
) -> gpd.GeoDataFrame:
    """User candidate sites with their own columns kept and a ``candidate_id``.

    A Dutch ``naam`` column is also the site's ``name`` (shown on the map and in lists) when
    the file has no ``name`` column.
    """
    frame = read_points_or_shapes(path, "candidates", csv_crs=csv_crs)
    return prepare_candidates(frame, f"candidates file {path}", id_column)


def prepare_candidates(
    frame: gpd.GeoDataFrame, source: str, id_column: str | None = None
) -> gpd.GeoDataFrame:
    """Candidate sites as scoring needs them: a unique ``candidate_id`` first, a ``name``
    (from ``naam`` when there is no ``name``), valid geometries. ``source`` names them in
    messages ("candidates file x.gpkg")."""
    frame = frame.copy()
    lower = {str(c).lower(): c for c in frame.columns}
    if "name" not in frame.columns and "naam" in lower:
        frame["name"] = frame[lower["naam"]]
    if id_column is not None:
        if id_column not in frame.columns:
            raise InputFileError(
                f"{source} has no column {id_column!r} (--id-column); "
                f"columns: {', '.join(map(str, frame.columns))}"
            )
        ids = frame[id_column].astype(str)
    else:
        guess = next(
            (c for c in frame.columns if str(c).lower() in ("id", "candidate_id", "fid")), None
        )
        ids = (
            frame[guess].astype(str)
            if guess is not None
            else pd.Series([str(i + 1) for i in range(len(frame))], index=frame.index)
        )
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].iloc[0]
        raise InputFileError(f"{source}: id {dup!r} occurs more than once; ids must be unique")
    frame = frame.drop(columns=[c for c in ("candidate_id",) if c in frame.columns])
    frame.insert(0, "candidate_id", ids.to_numpy())
    invalid = ~frame.geometry.is_valid
    if invalid.any():
        log.warning(
            "%d candidate geometries were invalid and have been repaired", int(invalid.sum())
        )
        frame["geometry"] = shapely.make_valid(frame.geometry.values)
    return frame.reset_index(drop=True)


def checked_frame(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """A GeoDataFrame given in Python, checked like a file (CRS set and plausible, no missing
    geometries, NUL bytes replaced) and returned in EPSG:4326."""
    source = Path(f"<{what} GeoDataFrame>")
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputFileError(f"{what} must be a GeoDataFrame or a file path")
    if frame.crs is None:
        raise CRSError(f"the {what} GeoDataFrame has no CRS; set it with .set_crs(...)")
    frame = replace_nul(frame, source, what)
    frame = drop_missing_geometries(frame, source, what)
    _check_coordinates(frame, source, what)
    return to_crs(frame, WGS84)
