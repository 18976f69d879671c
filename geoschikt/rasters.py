"""Rasters in and out: sampling a user raster at candidates, and the suitability surface grid.

rasterio is imported only where a raster is read or written (it adds to every start-up)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import shapely

from geoschikt.errors import CRSError, InputFileError

log = logging.getLogger(__name__)

NODATA = -9999.0


def sample_raster(path: Path, band: int, x: np.ndarray, y: np.ndarray, crs: str) -> np.ndarray:
    """Values of ``band`` of the raster at points (``x``, ``y`` in ``crs``); NaN off the raster
    or on nodata. Points are transformed into the raster's CRS (exact; the raster is not
    resampled)."""
    import rasterio
    import rasterio.errors
    import rasterio.windows

    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"raster {path} does not exist; check the path in the config")
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(f"raster {path} could not be read ({exc}); is it a GeoTIFF?") from None
    with src:
        if src.crs is None:
            raise CRSError(
                f"raster {path} has no CRS; set it, e.g. "
                f"`gdal_edit.py -a_srs EPSG:28992 {path.name}`"
            )
        if band > src.count:
            raise InputFileError(
                f"raster {path} has {src.count} band(s); band {band} does not exist"
            )
        if pyproj.CRS(src.crs) != pyproj.CRS(crs):
            log.info("raster %s is in %s: sampling points transformed into it", path.name, src.crs)
            tr = pyproj.Transformer.from_crs(crs, src.crs, always_xy=True)
            x, y = tr.transform(np.asarray(x, float), np.asarray(y, float))
        rows, cols = rasterio.transform.rowcol(src.transform, x, y)
        rows, cols = np.asarray(rows), np.asarray(cols)
        inside = (rows >= 0) & (rows < src.height) & (cols >= 0) & (cols < src.width)
        values = np.full(len(rows), np.nan)
        if not inside.any():
            left, bottom, right, top = src.bounds
            raise InputFileError(
                f"raster {path} does not cover the area (its extent is {left:.0f},{bottom:.0f} - "
                f"{right:.0f},{top:.0f} in {src.crs}); give a raster of this area"
            )
        r0, r1 = rows[inside].min(), rows[inside].max() + 1
        c0, c1 = cols[inside].min(), cols[inside].max() + 1
        window = rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)
        data = src.read(band, window=window, masked=True)
        picked = data[rows[inside] - r0, cols[inside] - c0]
        values[inside] = np.ma.filled(picked.astype(float), np.nan)
    missing = int(np.isnan(values).sum())
    if missing:
        log.warning(
            "raster %s: %d of %d points fall outside it or on nodata",
            path.name,
            missing,
            len(values),
        )
    return values


@dataclass(frozen=True)
class Grid:
    """A regular grid of cell centres over an area, in a metric CRS."""

    crs: str
    resolution: float
    left: float
    top: float
    width: int
    height: int
    inside: np.ndarray  # (height, width) bool: cell centre inside the area

    @property
    def transform(self):
        from rasterio.transform import Affine

        return Affine(self.resolution, 0.0, self.left, 0.0, -self.resolution, self.top)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x, y of the cells inside the area, row by row."""
        rows, cols = np.nonzero(self.inside)
        return self.left + (cols + 0.5) * self.resolution, self.top - (rows + 0.5) * self.resolution


def make_grid(area_metric: shapely.Geometry, crs: str, resolution: float) -> Grid:
    """Cells of ``resolution`` metres aligned to multiples of it, covering ``area_metric``."""
    left, bottom, right, top = area_metric.bounds
    left = np.floor(left / resolution) * resolution
    top = np.ceil(top / resolution) * resolution
    width = int(np.ceil((right - left) / resolution))
    height = int(np.ceil((top - bottom) / resolution))
    xs = left + (np.arange(width) + 0.5) * resolution
    ys = top - (np.arange(height) + 0.5) * resolution
    gx, gy = np.meshgrid(xs, ys)
    inside = shapely.contains_xy(area_metric, gx, gy)
    return Grid(crs, resolution, float(left), float(top), width, height, inside)


@dataclass(frozen=True)
class Surface:
    """Band arrays (float32, NaN = nodata) on a grid, with their names."""

    grid: Grid
    names: tuple[str, ...]
    bands: np.ndarray  # (n_bands, height, width)
    measured: tuple = ()  # the Measured of the cells inside the area (for re-scoring)
    scored: np.ndarray | None = None  # of those cells: the ones with scores (not nodata)


def write_geotiff(surface: Surface, path: Path, tags: dict[str, str] | None = None) -> None:
    """A tiled, compressed GeoTIFF with one described band per array and nodata set."""
    import rasterio

    g = surface.grid
    data = np.where(np.isnan(surface.bands), NODATA, surface.bands).astype("float32")
    profile = {
        "driver": "GTiff",
        "width": g.width,
        "height": g.height,
        "count": len(surface.names),
        "dtype": "float32",
        "crs": g.crs,
        "transform": g.transform,
        "nodata": NODATA,
        "compress": "deflate",
        "predictor": 3,
    }
    if g.width >= 256 and g.height >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        for i, name in enumerate(surface.names, start=1):
            dst.set_band_description(i, name)
        if tags:
            dst.update_tags(**tags)
