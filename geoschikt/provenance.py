"""Run records (run.json, batch.json, balance.json, ...): what every record says, built in one
place, and the OpenStreetMap attribution every output carries."""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from geoschikt import __version__
from geoschikt.hashing import file_sha256

OSM_COPYRIGHT = "© OpenStreetMap contributors"
"""The short attribution (map corners, messages)."""
ATTRIBUTION = f"{OSM_COPYRIGHT} (ODbL)"
"""The attribution with the licence (records, GeoTIFF tags, the batch overview)."""

LIBRARIES = (
    "numpy",
    "scipy",
    "shapely",
    "geopandas",
    "pyproj",
    "pyogrio",
    "osmium",
    "rasterio",
    "scikit-learn",
)


def now() -> str:
    """The current UTC time as ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def input_record(role: str, path: str | Path) -> dict[str, Any]:
    """Role, path, size and SHA-256 of an input file (only role and path when it is missing:
    the readers raise the proper error)."""
    p = Path(path)
    if not p.is_file():
        return {"role": role, "path": str(p)}
    return {"role": role, "path": str(p), "bytes": p.stat().st_size, "sha256": file_sha256(p)}


def frame_record(role: str, frame: Any) -> dict[str, Any]:
    """Role, row count and a SHA-256 of a GeoDataFrame given in Python (its CRS, columns,
    values and geometry WKB), so a run from a frame is as traceable as one from a file."""
    import hashlib

    import pandas as pd
    import shapely

    digest = hashlib.sha256()
    digest.update(str(frame.crs).encode())
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    digest.update(pd.util.hash_pandas_object(table.astype(str), index=False).values.tobytes())
    digest.update(b"".join(shapely.to_wkb(frame.geometry.values)))
    return {
        "role": role,
        "path": "<GeoDataFrame>",
        "rows": len(frame),
        "sha256": digest.hexdigest(),
    }


def describe_files(directory: Path) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file in ``directory`` (the ``outputs`` of a record)."""
    return {
        p.name: {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
        for p in sorted(Path(directory).iterdir())
        if p.is_file()
    }


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries whose results the outputs depend on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in LIBRARIES:
        with suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def run_record(
    body: Mapping[str, Any],
    *,
    time_key: str | None = None,
    time: str | None = None,
    command: str | None = None,
    with_command: bool = False,
    environment: bool = False,
    attribution: bool = False,
    outputs: Path | None = None,
) -> dict[str, Any]:
    """A record: ``geoschikt_version``, then ``time_key`` (e.g. "started", "created": ``time``
    or now), ``command`` (when ``with_command``), ``body``, the Python version, platform and
    libraries (``environment``), the attribution and the files in ``outputs``."""
    record: dict[str, Any] = {"geoschikt_version": __version__}
    if time_key is not None:
        record[time_key] = time or now()
    if with_command:
        record["command"] = command
    record.update(body)
    if environment:
        record["python"] = platform.python_version()
        record["platform"] = platform.platform()
        record["libraries"] = library_versions()
    if attribution:
        record["attribution"] = ATTRIBUTION
    if outputs is not None:
        record["outputs"] = describe_files(outputs)
    return record
