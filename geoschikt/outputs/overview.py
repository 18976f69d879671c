"""The batch overview page ``index.html``: one polygon per region coloured by its median (or
best) suitability, a table of the regions and a link to each region's own map.

Self-contained like ``map.html`` and made by the same machinery (:func:`webmap.render_page`:
Leaflet, styles and data inline, a Content-Security-Policy, text inserted as text); only the
background tiles need the network. ``static/overview.js`` builds the page from the data block.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoschikt import __version__
from geoschikt.geo import WGS84, to_crs
from geoschikt.outputs.webmap import (
    CLASSES,
    OUTLINE_SCALE,
    TILE_URL,
    encode_polygons,
    render_page,
)

NO_DATA_COLOUR = "#ffffff"  # regions without a figure: white with a dashed outline

TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Overzicht per regio",
        "intro": "{n} regio's; {ok} gescoord. Kleur: {what} geschiktheid van de kandidaten "
        "die aan alle harde eisen voldoen (0–100). Klik een regio of een naam voor haar kaart.",
        "colour_by": "Kleur naar",
        "median": "mediaan",
        "best": "beste",
        "region": "Regio",
        "status": "Status",
        "cands": "Kandidaten",
        "passing": "Voldoen",
        "best_col": "Beste",
        "median_col": "Mediaan",
        "open": "Open de kaart van {name}",
        "no_map": "geen kaart",
        "no_data": "geen gegevens",
        "legend": "Geschiktheid (0–100)",
        "source": "Bron van de regio's: {source}",
        "made_with": "Gemaakt met geoschikt {version}",
        "tiles_offline": "Achtergrondkaart niet beschikbaar (geen internet); de gegevens zijn "
        "compleet.",
        "noscript": "Deze kaart heeft JavaScript nodig.",
        "no_leaflet": "De kaartbibliotheek (Leaflet) kon niet worden geladen.",
        "tip": "{name}: {what} {value}",
    },
    "en": {
        "title": "Overview per region",
        "intro": "{n} regions; {ok} scored. Colour: {what} suitability of the candidates that "
        "meet all hard limits (0–100). Click a region or a name for its map.",
        "colour_by": "Colour by",
        "median": "median",
        "best": "best",
        "region": "Region",
        "status": "Status",
        "cands": "Candidates",
        "passing": "Passing",
        "best_col": "Best",
        "median_col": "Median",
        "open": "Open the map of {name}",
        "no_map": "no map",
        "no_data": "no data",
        "legend": "Suitability (0–100)",
        "source": "Regions from: {source}",
        "made_with": "Made with geoschikt {version}",
        "tiles_offline": "Background map unavailable (no internet); the data are complete.",
        "noscript": "This map needs JavaScript.",
        "no_leaflet": "The map library (Leaflet) could not be loaded.",
        "tip": "{name}: {what} {value}",
    },
}

_RELATIVE = re.compile(r"^(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!/)(?!\\)[^\s]*$")


def write_overview_map(
    regions: gpd.GeoDataFrame, path: Path, *, lang: str = "nl", source: str = "", title: str = ""
) -> None:
    """Write the overview page of a batch (``regions`` has the summary columns)."""
    Path(path).write_text(render_overview(regions, lang=lang, source=source, title=title), "utf-8")


def render_overview(
    regions: gpd.GeoDataFrame, *, lang: str = "nl", source: str = "", title: str = ""
) -> str:
    """The overview page as one HTML string."""
    data = overview_data(regions, lang=lang, source=source, title=title)
    return render_page(data, title=data["title"], lang=lang, script="overview.js")


def overview_data(
    regions: gpd.GeoDataFrame, *, lang: str = "nl", source: str = "", title: str = ""
) -> dict[str, Any]:
    """Everything ``overview.js`` needs, as plain JSON-able data."""
    t = TEXT[lang]
    frame = to_crs(regions, WGS84)
    geoms = frame.geometry.simplify(5e-4, preserve_topology=True)
    links = [_link(v) for v in _column(frame, "map")]
    return {
        "lang": lang,
        "t": t,
        "title": title or t["title"],
        "version": __version__,
        "classes": [[low, col, nl if lang == "nl" else en] for low, col, nl, en in CLASSES],
        "no_data_colour": NO_DATA_COLOUR,
        "regions": {
            "id": [_text(v) for v in _column(frame, "region_id")],
            "name": [_text(v) for v in _column(frame, "region_name")],
            "status": [_text(v) for v in _column(frame, "status")],
            "reason": [_text(v) for v in _column(frame, "reason")],
            "cand": _numbers(frame, "candidates", 0),
            "pass": _numbers(frame, "passing", 0),
            "best": _numbers(frame, "best_suitability", 1),
            "median": _numbers(frame, "median_suitability", 1),
            "map": links,
            "shape": encode_polygons(geoms.values, OUTLINE_SCALE),
        },
        "source": source,
        "tiles": TILE_URL,
    }


def _column(frame: pd.DataFrame, name: str) -> list:
    return frame[name].tolist() if name in frame else [None] * len(frame)


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _numbers(frame: pd.DataFrame, name: str, digits: int) -> list[float | None]:
    if name not in frame:
        return [None] * len(frame)
    values = np.round(pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float), digits)
    return [float(v) if np.isfinite(v) else None for v in values]


def _link(value) -> str | None:
    """A region's map link: only a relative path inside the batch (never a scheme or root)."""
    text = _text(value)
    if text is None:
        return None
    if not _RELATIVE.match(text) or ".." in Path(text).parts:
        raise ValueError(f"map link {text!r} is not a relative path inside the batch")
    return text
