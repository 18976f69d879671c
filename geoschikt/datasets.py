"""Real OSM data shipped with geoschikt, for the demo, examples and doctests."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from geoschikt.errors import DataUnavailableError

DUTCH_DEMO = "delft-tu-zuid.osm.pbf"


def example_osm() -> Path:
    """The small real extract of TU Delft and south-east Delft shipped in ``data/`` (see its
    README for source, date and licence: © OpenStreetMap contributors, ODbL).

    Examples
    --------
    >>> example_osm().name
    'delft-tu-zuid.osm.pbf'
    """
    packaged = Path(str(resources.files("geoschikt").joinpath("data", DUTCH_DEMO)))
    if packaged.is_file():
        return packaged
    source = Path(__file__).resolve().parents[1] / "data" / DUTCH_DEMO  # a source checkout
    if not source.is_file():
        raise DataUnavailableError(
            f"the example extract {DUTCH_DEMO} is missing; reinstall geoschikt"
        )
    return source
