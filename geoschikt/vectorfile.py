"""Open user vector files safely: an allow-list of GDAL drivers, checked before GDAL reads.

GDAL picks a driver by a file's *content*, not its name. Some drivers follow what a file says:
an OGR-VRT XML saved as ``sites.geojson`` reads another local file (or a URL), GDALG runs a
stored pipeline, GML may fetch schemas, KML/LIBKML may follow network links. So a user file is
only handed to GDAL when

1. its suffix names an allowed format (GeoPackage, GeoJSON, ESRI Shapefile, FlatGeobuf; CSV
   files are read by pandas, never by GDAL);
2. its first bytes are that format (own check, independent of GDAL); and
3. GDAL's own driver identification (``GDALIdentifyDriverEx``, which only looks at the header)
   names the same driver.

GML and KML are not allowed: both can make GDAL fetch remote resources (XSD schemas, xlinks,
network links), and ``ogr2ogr -f GPKG out.gpkg in.kml`` converts them once, outside geoschikt.

Identification and reading happen inside :func:`gdal_sandbox`, which restricts GDAL's remote
file access and directory scans (defence in depth: an allowed driver never touches the network).
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pyogrio

from geoschikt.errors import InputFileError

# suffix -> the only GDAL driver that may read it
ALLOWED: dict[str, str] = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "ESRI Shapefile",
    ".fgb": "FlatGeobuf",
}

# GDAL configuration while a user file is identified or read: /vsicurl/ & co. allow no file
# extension, HTTP gets no retries and 1 s timeouts, no directory listing next to the file, no
# schema download for GML, no Python in VRTs, no unclosed rings. A backstop only: the driver
# check is the guard.
SANDBOX: dict[str, str] = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".geoschikt-no-remote-files",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GML_DOWNLOAD_WFS_SCHEMA": "NO",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "OGR_GEOMETRY_ACCEPT_UNCLOSED_RING": "NO",
}

_GDAL_OF_VECTOR = 0x04
_NUL = "00"  # hex of the NUL byte, for SQLite's x'..' blob literal


@contextmanager
def gdal_sandbox() -> Iterator[None]:
    """GDAL configuration for reading untrusted files; the previous values come back after."""
    before = {key: pyogrio.get_gdal_config_option(key) for key in SANDBOX}
    pyogrio.set_gdal_config_options(SANDBOX)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


def content_format(path: Path) -> str | None:
    """The allowed driver whose signature the file's first bytes carry, or None (own check)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"SQLite format 3\x00") and head[68:72] in (b"GPKG", b"GP10", b"GP11"):
        return "GPKG"
    if head.startswith(b"fgb\x03"):
        return "FlatGeobuf"
    if len(head) >= 100 and struct.unpack(">i", head[:4])[0] == 9994:
        return "ESRI Shapefile"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{") and b"gdal_streamed_alg" not in head:  # GDALG: a GDAL pipeline
        return "GeoJSON"
    return None


def describe_content(path: Path) -> str:
    """A short name for what a refused file is, when GDAL could not name it."""
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        for tag, name in ((b"OGRVRTDataSource", "OGR_VRT"), (b"VRTDataset", "VRT")):
            if tag in head:
                return name
        return "an XML format"
    if head.startswith(b"SQLite format 3"):
        return "SQLite without the GeoPackage application id"
    if b"gdal_streamed_alg" in head:
        return "GDALG"
    return content_format(path) or "an unknown format"


@cache
def _libgdal() -> ctypes.CDLL | None:
    """The GDAL library pyogrio uses (already loaded in this process), or None."""
    here = Path(pyogrio.__file__).resolve().parent
    candidates = sorted(glob.glob(str(here.parent / "pyogrio.libs" / "libgdal*")))
    for name in [*candidates, "libgdal.so", "libgdal.dylib"]:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.GDALIdentifyDriverEx.restype = ctypes.c_void_p
        lib.GDALIdentifyDriverEx.argtypes = [
            ctypes.c_char_p,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.GDALGetDriverShortName.restype = ctypes.c_char_p
        lib.GDALGetDriverShortName.argtypes = [ctypes.c_void_p]
        return lib
    return None


def gdal_driver(path: Path) -> str | None:
    """The vector driver GDAL would pick for ``path`` (its Identify step: headers only), or
    None when GDAL recognises nothing or its library cannot be reached."""
    lib = _libgdal()
    if lib is None:
        return None
    with gdal_sandbox():
        handle = lib.GDALIdentifyDriverEx(os.fsencode(path), _GDAL_OF_VECTOR, None, None)
    return lib.GDALGetDriverShortName(handle).decode() if handle else None


def allowed_formats() -> str:
    """``GPKG (.gpkg), GeoJSON (.geojson, .json), ...`` for messages."""
    by_driver: dict[str, list[str]] = {}
    for suffix, driver in ALLOWED.items():
        by_driver.setdefault(driver, []).append(suffix)
    return ", ".join(f"{d} ({', '.join(s)})" for d, s in by_driver.items())


def check_vector_file(path: str | Path, what: str) -> str:
    """Refuse ``path`` unless its suffix, its content and GDAL all name one allowed driver;
    returns that driver."""
    path = Path(path)
    allowed = allowed_formats()
    expected = ALLOWED.get(path.suffix.lower())
    if expected is None:
        raise InputFileError(
            f"{what} file {path} has an unsupported format; use one of {allowed}, or a CSV "
            "with lon/lat columns"
        )
    seen = gdal_driver(path)
    content = content_format(path)
    if content == expected and seen in (expected, None):
        return expected
    if seen is not None and seen != expected:
        problem = f"is read by GDAL as {seen}, not {expected} as its name says"
    else:
        problem = f"is not a {expected} file by its content ({describe_content(path)})"
    raise InputFileError(
        f"{what} file {path} {problem}; geoschikt only reads {allowed} "
        "(convert it with ogr2ogr if you trust it)"
    )


def has_nul_text(path: Path, driver: str) -> bool:
    """Whether text in a GeoJSON or GeoPackage holds a NUL character (GDAL would silently cut
    the text there, so two different ids could become one)."""
    if driver == "GeoJSON":
        return b"\\u0000" in Path(path).read_bytes().lower()
    if driver == "GPKG":
        import sqlite3

        uri = Path(path).resolve().as_uri() + "?mode=ro"
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
                tables = [r[0] for r in db.execute("SELECT table_name FROM gpkg_contents")]
                for table in tables:
                    quoted = table.replace('"', '""')
                    columns = db.execute(f'PRAGMA table_info("{quoted}")').fetchall()
                    for col in (c[1] for c in columns if "TEXT" in c[2].upper()):
                        col = col.replace('"', '""')
                        test = f"instr(CAST(\"{col}\" AS BLOB), x'{_NUL}') > 0"
                        if db.execute(f'SELECT 1 FROM "{quoted}" WHERE {test} LIMIT 1').fetchone():
                            return True
        except sqlite3.DatabaseError:
            return False  # GDAL's own reading reports what is wrong with the file
    return False


def read_vector(path: str | Path, what: str, **kwargs):
    """``geopandas.read_file`` of a checked user file, inside :func:`gdal_sandbox`."""
    import geopandas as gpd

    driver = check_vector_file(path, what)
    if has_nul_text(Path(path), driver):
        raise InputFileError(
            f"{what} file {path} holds text with NUL characters, which GDAL would silently cut "
            "(two ids could become one); remove them and try again"
        )
    with gdal_sandbox():
        info = pyogrio.read_info(path)
        if info.get("driver") != driver:  # the driver that actually opened it
            raise InputFileError(
                f"{what} file {path} was opened by GDAL as {info.get('driver')}, not {driver}; "
                "geoschikt refuses it"
            )
        return gpd.read_file(path, engine="pyogrio", **kwargs)
