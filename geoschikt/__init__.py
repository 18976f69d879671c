"""geoschikt: site-suitability analysis for small-scale asylum reception from OpenStreetMap data."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

from geoschikt.config import Config, load_config  # noqa: E402
from geoschikt.errors import GeoschiktError  # noqa: E402
from geoschikt.pipeline import ScoreResult, score_area  # noqa: E402

__all__ = ["Config", "GeoschiktError", "ScoreResult", "__version__", "load_config", "score_area"]
