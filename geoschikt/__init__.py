"""geoschikt: site-suitability analysis for small-scale asylum reception from OpenStreetMap data."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["Config", "GeoschiktError", "ScoreResult", "__version__", "load_config", "score_area"]

_LAZY = {
    "Config": "geoschikt.config",
    "load_config": "geoschikt.config",
    "GeoschiktError": "geoschikt.errors",
    "ScoreResult": "geoschikt.pipeline",
    "score_area": "geoschikt.pipeline",
}


def __getattr__(name: str):
    """The public entry points, imported on first use (keeps `geoschikt --version` fast)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'geoschikt' has no attribute {name!r}")
