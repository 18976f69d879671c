"""The suitability map: candidates coloured by suitability, a breakdown per candidate, the
features per criterion and the area. All text from OSM or user files is HTML-escaped."""

from __future__ import annotations

import html
import json
from pathlib import Path

import folium
import numpy as np

from geoschikt.geo import WGS84, to_crs
from geoschikt.scoring import dist_col, nearest_col, note_col, score_col

CLASSES = [(80, "#1a9641"), (60, "#a6d96a"), (40, "#ffffbf"), (20, "#fdae61"), (0, "#d7191c")]
CATEGORY_COLOURS = ["#1f78b4", "#6a3d9a", "#33a02c", "#e31a1c", "#ff7f00", "#b15928", "#a6cee3"]
ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"

TEXT = {
    "nl": {
        "candidates": "Kandidaat-gebouwen",
        "area": "Gebied",
        "rank": "Rang",
        "suitability": "Geschiktheid",
        "criterion": "Criterium",
        "distance": "Afstand",
        "score": "Score",
        "weight": "Gewicht",
        "limit": "Harde eis",
        "ok": "voldoet",
        "fails": "voldoet niet",
        "none": "geen",
        "legend": "Geschiktheid (0–100)",
        "failing": "voldoet niet aan een harde eis",
        "nearest": "Dichtstbijzijnde",
        "osm_date": "OSM-gegevens t/m",
        "made": "Gemaakt met geoschikt",
        "of": "van",
        "reception": "Bestaande opvang",
        "places": "plaatsen",
    },
    "en": {
        "candidates": "Candidate buildings",
        "area": "Area",
        "rank": "Rank",
        "suitability": "Suitability",
        "criterion": "Criterion",
        "distance": "Distance",
        "score": "Score",
        "weight": "Weight",
        "limit": "Hard limit",
        "ok": "met",
        "fails": "not met",
        "none": "none",
        "legend": "Suitability (0–100)",
        "failing": "fails a hard limit",
        "nearest": "Nearest",
        "osm_date": "OSM data up to",
        "made": "Made with geoschikt",
        "of": "of",
        "reception": "Existing reception",
        "places": "places",
    },
}


def colour(suitability: float) -> str:
    """Fill colour of a suitability class."""
    for low, col in CLASSES:
        if suitability >= low:
            return col
    return CLASSES[-1][1]


def esc(value) -> str:
    """HTML-escape any value for the map (None/NaN -> empty)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def popup_html(row, criteria, lang: str, n_total: int) -> str:
    """A candidate's breakdown: rank, total and one line per criterion."""
    t = TEXT[lang]
    title = esc(row.get("name")) or esc(row["candidate_id"])
    lines = [
        f"<b>{title}</b><br><small>{esc(row['candidate_id'])}</small><br>",
        f"{t['rank']}: <b>{int(row['rank'])}</b> {t['of']} {n_total} &middot; "
        f"{t['suitability']}: <b>{row['suitability']:.0f}</b>/100<br>",
        "<table class='gs-breakdown'><tr>"
        f"<th>{t['criterion']}</th><th>{t['distance']}</th><th>{t['score']}</th>"
        f"<th>{t['weight']}</th><th>{t['limit']}</th></tr>",
    ]
    for c in criteria:
        d = row.get(dist_col(c.key))
        note = row.get(note_col(c.key)) or ""
        dist = f"{d:,.0f} m" if d is not None and np.isfinite(d) else esc(note) or t["none"]
        s = row.get(score_col(c.key))
        s_txt = "" if s is None or not np.isfinite(s) else f"{s:.0f}"
        limit = ""
        if c.max_m is not None or c.min_m is not None:
            failed = f"{c.key}:" in (row.get("fails") or "")
            bound = f"≤ {c.max_m:,.0f} m" if c.max_m is not None else f"≥ {c.min_m:,.0f} m"
            limit = f"{bound}: {t['fails'] if failed else t['ok']}"
        near = esc(row.get(nearest_col(c.key)))
        near_txt = f"<br><small>{t['nearest']}: {near}</small>" if near else ""
        lines.append(
            f"<tr><td>{esc(c.label(lang))}{near_txt}</td><td>{dist}</td><td>{s_txt}</td>"
            f"<td>{c.weight:g}</td><td>{esc(limit)}</td></tr>"
        )
    lines.append("</table>")
    return "".join(lines)


def write_map(result, path: Path) -> None:
    """A folium map of ``result`` written to ``path``."""
    lang = result.config.lang
    t = TEXT[lang]
    criteria = result.config.criteria
    cands = to_crs(result.candidates, WGS84)
    area = to_crs(result.area, WGS84)
    left, bottom, right, top = area.total_bounds
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    folium.TileLayer("OpenStreetMap", attr=ATTRIBUTION, name="OpenStreetMap").add_to(fmap)
    fmap.fit_bounds([[bottom, left], [top, right]])

    folium.GeoJson(
        area.__geo_interface__,
        name=t["area"],
        style_function=lambda _: {"color": "#333", "weight": 2, "fill": False, "dashArray": "6 4"},
    ).add_to(fmap)

    n = len(cands)
    features = []
    for (_, row), geom in zip(cands.iterrows(), cands.geometry, strict=True):
        suit = float(row["suitability"]) if np.isfinite(row["suitability"]) else 0.0
        features.append(
            {
                "type": "Feature",
                "geometry": geom.__geo_interface__,
                "properties": {
                    "popup": popup_html(row, criteria, lang, n),
                    "tip": f"{esc(row.get('name')) or esc(row['candidate_id'])}: {suit:.0f}",
                    "fill": colour(suit),
                    "passes": bool(row["passes"]),
                },
            }
        )
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=t["candidates"],
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.8 if f["properties"]["passes"] else 0.35,
            "color": "#222" if f["properties"]["passes"] else "#777",
            "weight": 1,
            "dashArray": None if f["properties"]["passes"] else "3 3",
        },
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=420),
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    )
    layer.add_to(fmap)

    pois = to_crs(result.pois, WGS84)
    pad_x, pad_y = (right - left) * 0.5, (top - bottom) * 0.5
    for i, crit in enumerate(criteria):
        sub = pois[pois["category"] == crit.key]
        sub = sub.cx[left - pad_x : right + pad_x, bottom - pad_y : top + pad_y]
        group = folium.FeatureGroup(name=esc(crit.label(lang)), show=True)
        col = CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)]
        for name, geom in zip(sub["name"], sub.geometry, strict=True):
            label = esc(crit.label(lang)) + (f": {esc(name)}" if esc(name) else "")
            folium.CircleMarker(
                [geom.y, geom.x],
                radius=5,
                color=col,
                fill=True,
                fill_opacity=0.9,
                weight=1,
                tooltip=label,
            ).add_to(group)
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.get_root().html.add_child(folium.Element(_legend(result, t)))
    fmap.save(str(path))


def _legend(result, t) -> str:
    rows = "".join(
        f"<div><span style='background:{col};display:inline-block;width:14px;height:10px;"
        f"margin-right:4px;border:1px solid #555'></span>{low}–{min(low + 20, 100)}</div>"
        for low, col in CLASSES
    )
    stamp = esc(result.provenance.get("osm_data_timestamp") or "?")
    meta = json.dumps({"osm_data_timestamp": result.provenance.get("osm_data_timestamp")})
    return (
        "<div id='gs-legend' style='position:fixed;bottom:24px;left:10px;z-index:1000;"
        "background:white;padding:6px 8px;border:1px solid #999;font:12px sans-serif'>"
        f"<b>{t['legend']}</b>{rows}"
        "<div><span style='display:inline-block;width:14px;height:10px;margin-right:4px;"
        f"border:1px dashed #777'></span>{t['failing']}</div>"
        f"<div style='margin-top:4px;color:#444'>{t['osm_date']} {stamp[:10]} &middot; "
        f"{ATTRIBUTION} &middot; {t['made']}</div>"
        f"<script type='application/json' id='gs-meta'>{esc(meta)}</script></div>"
    )
