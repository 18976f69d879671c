"""The batch overview map: one polygon per region, coloured by median suitability, linking to
each region's own map."""

from __future__ import annotations

import html
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np

from geoschikt.geo import WGS84, to_crs
from geoschikt.provenance import ATTRIBUTION

CLASSES = [(80, "#1a9641"), (60, "#a6d96a"), (40, "#ffffbf"), (20, "#fdae61"), (0, "#d7191c")]
WORDS = {
    "nl": {
        "status": "Status",
        "cands": "Kandidaten",
        "passing": "Voldoen aan harde eisen",
        "best": "Beste score",
        "median": "Mediaan score",
        "open": "Open kaart van deze gemeente",
        "layer": "Regio's",
        "title": "Overzicht per regio (mediaan geschiktheid)",
    },
    "en": {
        "status": "Status",
        "cands": "Candidates",
        "passing": "Meet all hard limits",
        "best": "Best score",
        "median": "Median score",
        "open": "Open this region's map",
        "layer": "Regions",
        "title": "Overview per region (median suitability)",
    },
}


def _fill(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "#bdbdbd"
    return next(col for low, col in CLASSES if value >= low)


def _popup(row, w: dict) -> str:
    def num(v, fmt="{:.0f}"):
        return "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else fmt.format(v)

    parts = [
        f"<b>{html.escape(str(row['region_name']))}</b> ({html.escape(str(row['region_id']))})",
        f"{w['status']}: {html.escape(str(row['status']))}",
        f"{w['cands']}: {num(row['candidates'])} &middot; {w['passing']}: {num(row['passing'])}",
        f"{w['best']}: {num(row['best_suitability'])} &middot; {w['median']}: "
        f"{num(row['median_suitability'])}",
    ]
    if row.get("reason"):
        parts.append(f"<small>{html.escape(str(row['reason']))}</small>")
    if row.get("map"):
        parts.append(f"<a href='{html.escape(str(row['map']), quote=True)}'>{w['open']}</a>")
    return "<br>".join(parts)


def write_overview_map(
    regions: gpd.GeoDataFrame, path: Path, *, lang: str = "nl", source: str = ""
) -> None:
    """Write the overview map of a batch (``regions`` has the summary columns)."""
    w = WORDS[lang]
    frame = to_crs(regions, WGS84).copy()
    frame["geometry"] = frame.geometry.simplify(0.0005, preserve_topology=True)
    frame["popup"] = [_popup(r, w) for _, r in frame.iterrows()]
    frame["fill"] = [_fill(v) for v in frame["median_suitability"]]
    left, bottom, right, top = frame.total_bounds
    fmap = folium.Map(tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", attr=ATTRIBUTION).add_to(fmap)
    fmap.fit_bounds([[bottom, left], [top, right]])
    folium.GeoJson(
        frame[["region_id", "popup", "fill", "geometry"]].__geo_interface__,
        name=w["layer"],
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.6,
            "color": "#333",
            "weight": 1,
        },
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
    ).add_to(fmap)
    fmap.get_root().html.add_child(
        folium.Element(
            "<div style='position:fixed;top:10px;left:50px;z-index:1000;background:white;"
            f"padding:4px 8px;border:1px solid #999;font:13px sans-serif'><b>{w['title']}</b>"
            f"<br><small>{ATTRIBUTION}{'; ' + html.escape(source) if source else ''}</small></div>"
        )
    )
    fmap.save(str(path))
