"""geoschikt: site-suitability analysis for small-scale asylum reception from OpenStreetMap data.

The Python interface (see ``geoschikt.api``):

- ``geoschikt.score(osm, *, config=..., area=..., candidates=..., reception=...)`` scores every
  candidate of an area (paths or GeoDataFrames) and returns a ``ScoreResult``;
- ``geoschikt.write_outputs(result, out)`` writes its GeoPackage, CSV, map and ``run.json``;
- ``geoschikt.rescore(run_dir, weights=...)`` re-scores a finished run without measuring again;
- ``geoschikt.load_config(path, overrides=...)``, ``geoschikt.read_osm(path)`` and
  ``geoschikt.example_osm()`` (a small real Delft extract shipped with the package).
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Config",
    "GeoschiktError",
    "ScoreResult",
    "__version__",
    "example_osm",
    "load_config",
    "read_osm",
    "rescore",
    "score",
    "score_area",
    "write_outputs",
]

_LAZY = {
    "Config": "geoschikt.config",
    "load_config": "geoschikt.config",
    "GeoschiktError": "geoschikt.errors",
    "ScoreResult": "geoschikt.pipeline",
    "score_area": "geoschikt.pipeline",
    "score": "geoschikt.api",
    "read_osm": "geoschikt.api",
    "write_outputs": "geoschikt.api",
    "rescore": "geoschikt.api",
    "example_osm": "geoschikt.datasets",
}


def __getattr__(name: str):
    """The public entry points, imported on first use (keeps `geoschikt --version` fast)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'geoschikt' has no attribute {name!r}")
