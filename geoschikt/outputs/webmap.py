"""The suitability map: one self-contained HTML file that works offline and explains each score.

Python packs the result into compact column arrays (integer coordinates, per-criterion value
lists, look-up tables for repeated strings); ``static/map.js`` builds the layers, legend, title
block and the per-candidate breakdown in the browser from them. Leaflet, its CSS and the data are
inlined (``assets="inline"``), so only background tiles need the network; ``assets="cdn"`` loads
Leaflet from a CDN pinned with Subresource Integrity instead.

Safety: every string from OSM or user files reaches the page only inside the JSON data block,
escaped so that it cannot close the ``<script>`` element, and the script inserts it with
``textContent`` (or escapes it for Leaflet's HTML-only controls). A Content-Security-Policy allows
only the page's own inline scripts (by hash) and tile images.

Hooks for other commands (keep them small): ``MapOptions(extra_columns=(PanelColumn("capacity",
"Capaciteit", "Capacity"),), highlight=Highlight(ids, "Selectie", "Selection"))`` adds per-candidate
facts from candidate columns to the panel (nl/en labels; text columns are left out of a blurred
map) and draws an ordered set of candidates as its own numbered layer.
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoschikt import __version__
from geoschikt.floor_area import coa_size_label
from geoschikt.geo import WGS84, to_crs, transform_xy
from geoschikt.notes import Note, note, page_table, to_json
from geoschikt.outputs.assets import csp_hash, leaflet, own
from geoschikt.provenance import OSM_COPYRIGHT
from geoschikt.scoring import (
    Measured,
    criterion_notes,
    criterion_score,
    dist_col,
    fail_matrix,
    failed_keys,
    nearest_col,
    nearest_id_col,
    note_col,
    score_col,
    value_col,
    why_not_assessed,
)

TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ORIGIN = "https://tile.openstreetmap.org"
OSM_ATTRIBUTION = OSM_COPYRIGHT
FAIL_COLOUR = "#bdbdbd"  # neutral grey, apart from every class under colour-vision deficiency
# facility symbols: a shape per criterion, drawn in neutral black and white (never a class colour)
BASE_SHAPES = (
    "square", "triangle", "diamond", "plus", "star", "hexagon", "cross", "circle", "pentagon"
)  # fmt: skip
# one symbol per criterion: the shapes filled dark, then the same shapes hollow ("-o")
CATEGORY_SHAPES = (*BASE_SHAPES, *(f"{s}-o" for s in BASE_SHAPES))
BALANCE_BREAKS = (0.0, 2.0, 4.0, 6.0)
BALANCE_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
POINT_SCALE = 1e5  # candidate and feature points: integer units of 1e-5 degree (about 1 m)
SHAPE_SCALE = 1e6  # footprints: 1e-6 degree, delta-coded
OUTLINE_SCALE = 1e5  # area and municipal outlines
FOOTPRINT_ZOOM = 16
SVG_MAX = 5000  # more candidates than this are drawn on a canvas

# viridis (matplotlib's, sampled at 1, 0.75, 0.5, 0.25, 0): its lightness rises with
# suitability, so the classes keep their order for colour-blind readers (tests/test_map.py
# checks them with a simulation of colour-vision deficiency)
CLASSES: tuple[tuple[int, str, str, str], ...] = (
    (80, "#fde725", "zeer geschikt", "very suitable"),
    (60, "#5ec962", "geschikt", "suitable"),
    (40, "#21918c", "matig geschikt", "moderately suitable"),
    (20, "#3b528b", "weinig geschikt", "hardly suitable"),
    (0, "#440154", "ongeschikt", "unsuitable"),
)

TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Geschiktheid voor kleinschalige opvang",
        "scored": "{n} kandidaat-gebouwen gescoord op {date}; {passing} voldoen aan alle "
        "harde eisen.",
        "area": "Gebied",
        "data": "Gegevens",
        "osm": "OpenStreetMap ({file}), stand {date}",
        "reception_file": "bestaande opvang: {file}",
        "balance_src": "CBS-gemeentecijfers (peildatum {date})",
        "config": "Instellingen",
        "distance_network": "Afstanden zijn looproutes over het straten- en padennet.",
        "distance_euclidean": "Afstanden zijn hemelsbreed gemeten.",
        "blurred": "Locaties zijn vergroofd tot vakken van {m} m. Adressen, namen, "
        "gebouwcontouren en exacte afstanden staan niet op deze kaart.",
        "not_assessed": "Niet beoordeeld, telt niet mee in het totaal: {list}.",
        "legend": "Geschiktheid (0–100)",
        "legend_note": "Gewogen gemiddelde van de criteriumscores.",
        "failing": "voldoet niet aan een harde eis",
        "limits": "Harde eisen",
        "click": "Klik op een gebouw voor de opbouw van de score.",
        "cand_pass": "Kandidaten die aan de harde eisen voldoen",
        "cand_fail": "Kandidaten die niet aan een harde eis voldoen",
        "footprints": "Gebouwcontouren (beste {n}, vanaf zoomniveau {z})",
        "area_layer": "Gebiedsgrens",
        "reception": "Bestaande opvang",
        "places": "{n} plaatsen",
        "balance": "Opvangplaatsen per 1000 inwoners",
        "balance_tip": "{name}: {value} opvangplaatsen per 1000 inwoners (peildatum {date})",
        "no_data": "geen gegevens",
        "no_background": "Geen achtergrond",
        "tiles_offline": "Achtergrondkaart niet beschikbaar (geen internet); de gegevens zijn "
        "compleet.",
        "rank": "Rang {rank} van {n}",
        "suitability": "Geschiktheid {s} van 100: {cls}",
        "passes_all": "Voldoet aan alle harde eisen.",
        "fails_list": "Voldoet niet aan: {list}.",
        "criterion": "Criterium",
        "distance": "Afstand",
        "measured": "Gemeten",
        "pressure": "druk: {v} plaatsen",
        "value": "waarde: {v}",
        "at_distance": "dichtstbij op {d}",
        "score": "Score",
        "weight": "Gewicht",
        "limit": "Harde eis",
        "met": "voldoet",
        "not_met": "voldoet niet",
        "nearest": "dichtstbij: {name}",
        "none_within": "geen binnen {m} m",
        "not_assessed_cell": "niet beoordeeld",
        "off_network": "onbekend: meer dan {m} m van het netwerk",
        "total_note": "De geschiktheid is het gewogen gemiddelde van de scores (0–100); hoe "
        "elke score loopt, staat onder ‘Zo wordt gescoord’.",
        "how_scored": "Zo wordt gescoord",
        "curve_towards": "100 tot {near} m, 0 vanaf {far} m",
        "curve_away": "0 tot {near} m, 100 vanaf {far} m",
        "curve_value": "100 bij {full} en 0 bij {zero}{unit}",
        "unit_places": " opvangplaatsen in de buurt",
        "weight_of": "gewicht {w} in de run",
        "candidate": "Kandidaat op rang {rank}",
        "profile": "Profiel (scores en rang)",
        "same_cell": "Ook in dit vak van {m} m:",
        "approx": "ca. {d}",
        "made_with": "Gemaakt met geoschikt {version}",
        "noscript": "Deze kaart heeft JavaScript nodig.",
        "close": "Sluiten",
        "floor_area": "{m2} m² vloeroppervlak{est}",
        "estimated": " (geschat)",
        "places_est": "ca. {n} plaatsen",
        "on_osm": "bekijk op openstreetmap.org",
        "dwellings": "Let op: deze kaart toont {n} woonhuizen (gebouwtypen {types}). Dit zijn "
        "privéwoningen; deel deze kaart niet openbaar.",
        "in_set": "Nr. {k} in ‘{set}’",
        "extent_layer": "Grens van de OSM-gegevens",
        "outside_data": "Ligt buiten de OSM-gegevens: niet gescoord, geen rang.",
        "partial_data": "Let op: de dichtstbijzijnde voorziening ligt verder weg dan de rand van "
        "de gegevens (of er is er geen gevonden); een dichterbij gelegen voorziening kan buiten "
        "de gegevens liggen.",
        "outside_share": "{p}% van het gebied ligt buiten de OSM-gegevens (rode stippellijn); "
        "daar is niets gescoord.",
        "top_title": "De beste {n}",
        "search": "Zoek adres of naam",
        "no_match": "Niets gevonden.",
        "weights_title": "Gewichten uitproberen",
        "sheet_more": "Meer tonen",
        "sheet_less": "Minder tonen",
        "weights_note": "Verander de gewichten: de kaart rekent geschiktheid, klasse en rang "
        "opnieuw uit met de criteriumscores op deze pagina; harde eisen en curves blijven "
        "gelijk. De officiële uitkomst is die van de run ({config}); leg andere gewichten "
        "vast met geoschikt rescore.",
        "weights_approx": "De scores op deze kaart zijn afgerond: uitkomsten kunnen 0,1 punt "
        "afwijken van geoschikt rescore.",
        "weights_reset": "Terug naar de gewichten van de run",
        "weights_link": "Link met deze gewichten",
        "weights_changed": "Verkenning met andere gewichten dan de run: niet de officiële "
        "uitkomst.",
        "no_leaflet": "De kaartbibliotheek (Leaflet) kon niet worden geladen. Deze kaart is "
        "gemaakt met --cdn en heeft internet nodig; maak haar zonder --cdn voor gebruik "
        "zonder internet.",
    },
    "en": {
        "title": "Suitability for small-scale reception",
        "scored": "{n} candidate buildings scored on {date}; {passing} meet all hard limits.",
        "area": "Area",
        "data": "Data",
        "osm": "OpenStreetMap ({file}), as of {date}",
        "reception_file": "existing reception: {file}",
        "balance_src": "CBS municipal figures (reference date {date})",
        "config": "Settings",
        "distance_network": "Distances are walking routes over the street and path network.",
        "distance_euclidean": "Distances are straight lines.",
        "blurred": "Locations are blurred to squares of {m} m. Addresses, names, footprints "
        "and exact distances are left out of this map.",
        "not_assessed": "Not assessed, left out of the total: {list}.",
        "legend": "Suitability (0–100)",
        "legend_note": "Weighted mean of the criterion scores.",
        "failing": "fails a hard limit",
        "limits": "Hard limits",
        "click": "Click a building to see how its score is made up.",
        "cand_pass": "Candidates meeting the hard limits",
        "cand_fail": "Candidates failing a hard limit",
        "footprints": "Footprints (best {n}, from zoom level {z})",
        "area_layer": "Area boundary",
        "reception": "Existing reception",
        "places": "{n} places",
        "balance": "Reception places per 1000 residents",
        "balance_tip": "{name}: {value} reception places per 1000 residents (reference date "
        "{date})",
        "no_data": "no data",
        "no_background": "No background",
        "tiles_offline": "Background map unavailable (no internet); the data are complete.",
        "rank": "Rank {rank} of {n}",
        "suitability": "Suitability {s} of 100: {cls}",
        "passes_all": "Meets all hard limits.",
        "fails_list": "Fails: {list}.",
        "criterion": "Criterion",
        "distance": "Distance",
        "measured": "Measured",
        "pressure": "pressure: {v} places",
        "value": "value: {v}",
        "at_distance": "nearest at {d}",
        "score": "Score",
        "weight": "Weight",
        "limit": "Hard limit",
        "met": "met",
        "not_met": "not met",
        "nearest": "nearest: {name}",
        "none_within": "none within {m} m",
        "not_assessed_cell": "not assessed",
        "off_network": "unknown: more than {m} m from the network",
        "total_note": "Suitability is the weighted mean of the scores (0–100); how each score "
        "runs is listed under ‘How scores work’.",
        "how_scored": "How scores work",
        "curve_towards": "100 up to {near} m, 0 from {far} m",
        "curve_away": "0 up to {near} m, 100 from {far} m",
        "curve_value": "100 at {full} and 0 at {zero}{unit}",
        "unit_places": " reception places nearby",
        "weight_of": "weight {w} in the run",
        "candidate": "Candidate ranked {rank}",
        "profile": "Profile (scores and rank)",
        "same_cell": "Also in this {m} m square:",
        "approx": "about {d}",
        "made_with": "Made with geoschikt {version}",
        "noscript": "This map needs JavaScript.",
        "close": "Close",
        "floor_area": "{m2} m² floor area{est}",
        "estimated": " (estimated)",
        "places_est": "about {n} places",
        "on_osm": "view on openstreetmap.org",
        "dwellings": "Note: this map shows {n} dwellings (building types {types}). These are "
        "private homes; do not share this map publicly.",
        "in_set": "No. {k} in ‘{set}’",
        "extent_layer": "Edge of the OSM data",
        "outside_data": "Lies outside the OSM data: not scored, no rank.",
        "partial_data": "Note: the nearest facility lies farther away than the edge of the data "
        "(or none was found); a closer one may lie outside the data.",
        "outside_share": "{p}% of the area lies outside the OSM data (red dotted line); nothing "
        "is scored there.",
        "top_title": "The best {n}",
        "search": "Search address or name",
        "no_match": "Nothing found.",
        "weights_title": "Try other weights",
        "sheet_more": "Show more",
        "sheet_less": "Show less",
        "weights_note": "Change the weights: the map recomputes suitability, class and rank "
        "from the criterion scores in this page; hard limits and curves stay as they are. The "
        "official result is the run's ({config}); record other weights with geoschikt "
        "rescore.",
        "weights_approx": "The scores in this map are rounded: results may differ by 0.1 "
        "point from geoschikt rescore.",
        "weights_reset": "Back to the run's weights",
        "weights_link": "Link with these weights",
        "weights_changed": "Exploring weights other than the run's: not the official result.",
        "no_leaflet": "The map library (Leaflet) could not be loaded. This map was made with "
        "--cdn and needs the internet; make it without --cdn to use it offline.",
    },
}


@dataclass(frozen=True)
class PanelColumn:
    """A per-candidate fact from ``result.candidates[column]`` shown in the candidate panel
    under its label (numbers with ``digits`` decimals). With blurring only numbers are shown."""

    column: str
    label_nl: str
    label_en: str
    digits: int = 0

    def label(self, lang: str) -> str:
        return self.label_nl if lang == "nl" else self.label_en


@dataclass(frozen=True)
class Highlight:
    """An ordered set of candidates (``candidate_id``s, e.g. selected sites) drawn as its own
    layer, each numbered by its place in ``ids``; the panel names the set and the number."""

    ids: tuple[str, ...]
    label_nl: str
    label_en: str

    def label(self, lang: str) -> str:
        return self.label_nl if lang == "nl" else self.label_en


@dataclass(frozen=True)
class MapOptions:
    """How the map is made: language, blurring, footprints, where Leaflet comes from, and what
    other commands add (``extra_columns`` in the panel, a ``highlight`` layer)."""

    lang: str = "nl"
    blur_m: float = 0.0
    footprints: int = 2000
    assets: str = "inline"
    extra_columns: tuple[PanelColumn, ...] = ()
    highlight: Highlight | None = None
    title: str = ""
    own_columns: tuple[str, ...] = ()  # [map] columns: the user's own columns shown (if present)

    @classmethod
    def from_config(cls, config) -> MapOptions:
        """Options from the ``[map]`` section of a Config."""
        m = config.map
        return cls(
            lang=m.lang,
            blur_m=m.blur_m,
            footprints=m.footprints,
            assets=m.assets,
            title=m.title,
            own_columns=m.columns,
            extra_columns=profile_columns(config),
        )


def profile_columns(config) -> tuple[PanelColumn, ...]:
    """Panel lines for a run scored for several profiles: suitability and rank per profile."""
    out: list[PanelColumn] = []
    for name, _ in getattr(config, "profiles", ()):
        out.append(
            PanelColumn(
                f"suitability_{name}", f"Geschiktheid (profiel {name})",
                f"Suitability (profile {name})", 1,
            )
        )  # fmt: skip
        out.append(PanelColumn(f"rank_{name}", f"Rang (profiel {name})", f"Rank (profile {name})"))
    return tuple(out)


def write_map(result, path: str | Path, options: MapOptions | None = None) -> None:
    """Write the map of ``result`` to ``path`` (options default to the run's ``[map]`` config)."""
    options = options or MapOptions.from_config(result.config)
    Path(path).write_text(render_map(result, options), encoding="utf-8")


def render_map(result, options: MapOptions) -> str:
    """The map page of ``result`` as one HTML string."""
    data = map_data(result, options)
    title = options.title or " – ".join(filter(None, [data["title"], data["meta"]["area"]]))
    return render_page(data, title=title, lang=options.lang, cdn=options.assets == "cdn")


# ---------------------------------------------------------------------------------------------
# the data block


def map_data(result, options: MapOptions) -> dict[str, Any]:
    """Everything the page script needs, as plain JSON-able data."""
    lang = options.lang
    criteria = result.config.criteria
    not_assessed = set(result.provenance.get("criteria_not_assessed", {}))
    cands = result.candidates.sort_values(["rank", "candidate_id"], kind="stable")
    area = to_crs(result.area, WGS84)
    balance = getattr(result, "balance", None)
    balance = balance if isinstance(balance, gpd.GeoDataFrame) and len(balance) else None
    return {
        "lang": lang,
        "t": TEXT[lang],
        "title": options.title or TEXT[lang]["title"],
        "version": __version__,
        "meta": _meta(result, options, balance),
        "classes": [[low, col, nl if lang == "nl" else en] for low, col, nl, en in CLASSES],
        "fail_colour": FAIL_COLOUR,
        "crit": [
            {
                "key": c.key,
                "label": c.label(lang),
                "weight": c.weight,
                "max_m": c.max_m,
                "min_m": c.min_m,
                "reach_m": c.reach_m,
                "measure": getattr(c, "measure", "distance"),
                "source": c.source,
                "curve": _curve(c, lang),
                "shape": CATEGORY_SHAPES[i % len(CATEGORY_SHAPES)],
                "direction": c.direction,
                "assessed": c.key not in not_assessed,
                "why": why_not_assessed(c, result.provenance, lang),
            }
            for i, c in enumerate(criteria)
        ],
        "cand": _candidates(
            cands, criteria, options, result.crs, _fail_matrix(result), _notes(result, cands)
        ),
        "notes": page_table(lang),
        "scores": _scores(result, cands, options),
        "extra": _extra_columns(cands, options),
        "highlight": _highlight(cands, options),
        "profiles": _profiles(cands, result.config),
        "pois": _pois(result.pois, criteria, area.total_bounds),
        "reception": _reception(result.reception, options, result.crs),
        "area": encode_polygons(area.geometry.simplify(1e-5).values, OUTLINE_SCALE),
        "extent": _extent(result),
        "balance": _balance(balance),
        "attribution": _attribution(result, lang, balance),
        "tiles": TILE_URL,
        "svg_max": SVG_MAX,
        "fp_zoom": FOOTPRINT_ZOOM,
        "blur_m": options.blur_m,
    }


def _curve(c, lang: str) -> str:
    """How a criterion's score runs, in words."""
    t = TEXT[lang]
    measure = getattr(c, "measure", "distance")
    if measure == "distance" and c.near_m is not None and c.far_m is not None:
        key = "curve_towards" if c.direction == "towards" else "curve_away"
        return t[key].format(near=_fmt(c.near_m, lang), far=_fmt(c.far_m, lang))
    full, zero = getattr(c, "full_at", None), getattr(c, "zero_at", None)
    if full is None or zero is None:
        return ""
    unit = t["unit_places"] if measure == "pressure" else ""
    return t["curve_value"].format(full=_fmt(full, lang), zero=_fmt(zero, lang), unit=unit)


def _fmt(value: float, lang: str) -> str:
    """A number with thousands separators in the map's language (1.234,5 or 1,234.5)."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")
    return text.translate(str.maketrans(",.", ".,")) if lang == "nl" else text


def _meta(result, options: MapOptions, balance) -> dict[str, Any]:
    prov = result.provenance
    inputs = prov.get("inputs", [])
    criteria = result.config.criteria
    not_assessed = prov.get("criteria_not_assessed", {})
    cands = result.candidates
    return {
        "area": str(prov.get("area", {}).get("name") or ""),
        "started": str(prov.get("started") or "")[:10],
        "osm_date": str(prov.get("osm_data_timestamp") or "?")[:10],
        "osm_file": _input_name(inputs, "osm"),
        "reception_file": _input_name(inputs, "reception"),
        "balance_date": _balance_date(balance),
        "config": [Path(s).name for s in prov.get("config_sources", result.config.sources)],
        "distance": result.config.distance,
        "n": len(cands),
        "n_pass": int(cands["passes"].sum()) if len(cands) else 0,
        "not_assessed": [
            f"{c.label(options.lang)} ({why_not_assessed(c, prov, options.lang)})"
            for c in criteria
            if c.key in not_assessed
        ],
        "dwellings": _dwellings(cands, result.config),
        "outside_share": round(
            100 * float((prov.get("data_extent") or {}).get("area_outside_share") or 0)
        ),
    }


def _dwellings(cands: pd.DataFrame, config) -> dict | None:
    """How many candidates are dwellings (private homes), and of which types; None if none."""
    if "building" not in cands:
        return None
    kinds = set(config.candidates.dwelling_types)
    homes = cands["building"].isin(kinds)
    if not homes.any():
        return None
    return {"n": int(homes.sum()), "types": sorted(set(cands.loc[homes, "building"]))}


def _extent(result) -> list | None:
    """The data extent's outline when part of the area lies outside it (else None)."""
    info = result.provenance.get("data_extent") or {}
    if not info.get("area_outside_share") or not info.get("bounds_wgs84"):
        return None
    return encode_polygons([shapely.box(*info["bounds_wgs84"])], OUTLINE_SCALE)


def _input_name(inputs: list[dict], role: str) -> str | None:
    for item in inputs:
        if item.get("role") == role and item.get("path"):
            return Path(str(item["path"])).name
    return None


def _attribution(result, lang: str, balance) -> list[str]:
    """Plain-text sources after the OSM credit (which the page links itself)."""
    t = TEXT[lang]
    items = []
    reception = _input_name(result.provenance.get("inputs", []), "reception")
    if reception:
        items.append(t["reception_file"].format(file=reception))
    if balance is not None:
        items.append("CBS")
    items.append(t["made_with"].format(version=__version__))
    return items


def _candidates(
    cands: gpd.GeoDataFrame,
    criteria,
    options: MapOptions,
    crs: str,
    failed: pd.DataFrame | None = None,
    notes: list[tuple[np.ndarray, list[Note]]] | None = None,
) -> dict:
    blur = options.blur_m > 0
    lon, lat = _points(cands)
    if blur:
        lon, lat = _snap_to_grid(lon, lat, options.blur_m, crs)
    out: dict[str, Any] = {
        "x": _ints(lon * POINT_SCALE),
        "y": _ints(lat * POINT_SCALE),
        "rank": _ints(cands["rank"].to_numpy(dtype=float)),
        "suit": _rounded(cands["suitability"].to_numpy(dtype=float), 1),
        "pass": cands["passes"].astype(bool).astype(int).tolist(),
        "fail": _fail_bits(cands, criteria, failed),
        "d": [],
        "v": [],
        "note": [],
        "note_t": [],
    }
    step = 50.0 if blur else 1.0
    for j, c in enumerate(criteria):
        dist = _col(cands, dist_col(c.key))
        out["d"].append(_ints(np.round(dist / step) * step))
        has_value = value_col(c.key) in cands
        out["v"].append(_rounded(_col(cands, value_col(c.key)), 1) if has_value else None)
        if notes is None:  # no measurements to go with the table: its texts as they are
            codes, texts = _codes(cands, note_col(c.key), where=np.isnan(dist))
            table = [to_json(note("text", text=t)) for t in texts]
        else:
            codes, found = notes[j]
            codes = np.where(np.isnan(dist), codes, -1)
            table = [to_json(n) for n in found]
        rows = np.flatnonzero(codes >= 0)
        out["note"].append(np.column_stack([rows, codes[rows]]).tolist())
        out["note_t"].append(table)
    if not blur:
        out["id"] = _strings(cands["candidate_id"])
        label, address = _labels(cands)
        out["label"] = _strings(label)
        if address.notna().any():
            out["addr"] = _strings(address)
        out.update(_info(cands, options.lang))
        near = [_lookup(cands, nearest_col(c.key)) for c in criteria]
        out["near"] = [codes for codes, _ in near]
        out["near_t"] = [table for _, table in near]
        near_id = [_lookup(cands, nearest_id_col(c.key)) for c in criteria]
        out["near_id"] = [codes for codes, _ in near_id]
        out["near_id_t"] = [table for _, table in near_id]
        out["fp"] = _footprints(cands.geometry.iloc[: max(options.footprints, 0)])
    if "coverage" in cands:
        out["cov"], out["cov_t"] = _lookup(cands, "coverage")
    return out


def _scores(result, cands: pd.DataFrame, options: MapOptions) -> dict[str, Any]:
    """Per criterion the score of each candidate (rank order), for the breakdown and for trying
    weights in the page.

    ``exact``: the unrounded float64 scores the run's total was made of (base64, little-endian),
    so the page's weighted mean and rank equal Python's; they come from ``result.measured`` and
    are used only when they round to the table's scores. Otherwise (no measurements, or a
    blurred map, where exact scores would give away exact distances) the table's scores rounded
    to 0.1, and the page says its totals are approximate.
    """
    criteria = result.config.criteria
    exact = None if options.blur_m > 0 else _exact_scores(result, cands)
    if exact is not None:
        return {
            "exact": True,
            "s": [base64.b64encode(a.astype("<f8").tobytes()).decode("ascii") for a in exact],
        }
    return {"exact": False, "s": [_rounded(_col(cands, score_col(c.key)), 1) for c in criteria]}


def _measured_in_order(result, cands: pd.DataFrame) -> tuple[list[Measured], np.ndarray] | None:
    """The run's measurements per criterion (config order) and the positions of ``cands`` in
    its table, or None when they are missing or do not match the table."""
    measured = {m.criterion.key: m for m in result.measured}
    table = result.candidates
    if not table.index.is_unique:
        return None
    found = [measured.get(c.key) for c in result.config.criteria]
    if any(m is None or len(m.distance) != len(table) for m in found):
        return None
    return [m for m in found if m is not None], table.index.get_indexer(cands.index)


def _notes(result, cands: pd.DataFrame) -> list[tuple[np.ndarray, list[Note]]] | None:
    """Per criterion the notes of :func:`scoring.criterion_notes` (codes and parameters, for
    the page to translate) in the order of ``cands``; None when the run's measurements are
    missing or do not match its table."""
    aligned = _measured_in_order(result, cands)
    if aligned is None:
        return None
    measured, order = aligned
    table = result.candidates
    outside = (table["coverage"] == "none").to_numpy() if "coverage" in table else None
    out = []
    for m in measured:
        index, found = criterion_notes(m, outside)
        out.append((index[order], found))
    return out


def _exact_scores(result, cands: pd.DataFrame) -> list[np.ndarray] | None:
    """The unrounded scores per criterion in the order of ``cands``, or None when the run's
    measurements are missing or do not match its table."""
    aligned = _measured_in_order(result, cands)
    if aligned is None:
        return None
    measured, order = aligned
    out = []
    for c, m in zip(result.config.criteria, measured, strict=True):
        if m.criterion.weight != c.weight:
            return None
        if not m.assessed:
            out.append(np.zeros(len(cands)))
            continue
        s = criterion_score(m)[order]
        if not np.array_equal(np.round(s, 1), _col(cands, score_col(c.key)), equal_nan=True):
            return None  # the table is not the one these measurements made
        out.append(s)
    return out


def _extra_columns(cands: pd.DataFrame, options: MapOptions) -> list[dict]:
    """The panel's extra facts: label, decimals and one value per candidate (rank order);
    first the ``[map] columns`` of the user's own file that it has, under their own names."""
    out = []
    by_name = {str(c).lower(): c for c in cands.columns}
    taken = {e.column for e in options.extra_columns}
    own = [by_name[c.lower()] for c in options.own_columns if c.lower() in by_name]
    extras = [PanelColumn(c, str(c), str(c)) for c in own if c not in taken]
    for extra in (*extras, *options.extra_columns):
        if extra.column not in cands:
            raise ValueError(f"extra map column {extra.column!r} is not a candidate column")
        values = cands[extra.column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if not numeric and options.blur_m > 0:
            continue  # text may be an address: not on a blurred map
        shown = _rounded(values.to_numpy(dtype=float), extra.digits) if numeric else None
        out.append(
            {
                "label": extra.label(options.lang),
                "digits": extra.digits,
                "v": shown if shown is not None else _strings(_clean(values.astype(object))),
            }
        )
    return out


def _profiles(cands: pd.DataFrame, config) -> list[dict]:
    """Per profile of a multi-profile run: its suitability, rank and passes (map order), for
    the profile switch; the first profile's are the map's main scores."""
    out = []
    for name, prof in getattr(config, "profiles", ()):
        if f"rank_{name}" not in cands:
            continue
        weights = {c.key: c.weight for c in prof.criteria}
        out.append(
            {
                "name": name,
                "w": [weights.get(c.key, 0.0) for c in config.criteria],
                "suit": _rounded(cands[f"suitability_{name}"].to_numpy(dtype=float), 1),
                "rank": _ints(cands[f"rank_{name}"].to_numpy(dtype=float)),
                "pass": cands[f"passes_{name}"].astype(bool).astype(int).tolist(),
            }
        )
    return out


def _highlight(cands: pd.DataFrame, options: MapOptions) -> dict | None:
    """The highlight set as positions in the map's candidate arrays, in the given order."""
    if options.highlight is None:
        return None
    position = pd.Series(np.arange(len(cands)), index=cands["candidate_id"].astype(str).to_numpy())
    position = position[~position.index.duplicated()]
    ids = [str(i) for i in options.highlight.ids]
    missing = [i for i in ids if i not in position.index]
    if missing:
        raise ValueError(f"highlighted candidates not in the result: {', '.join(missing[:5])}")
    return {
        "label": options.highlight.label(options.lang),
        "idx": [int(position[i]) for i in ids],
    }


def _points(cands: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat of the point each candidate's distances were measured from."""
    if {"lon", "lat"} <= set(cands.columns):
        return cands["lon"].to_numpy(dtype=float), cands["lat"].to_numpy(dtype=float)
    pts = to_crs(
        gpd.GeoSeries(shapely.point_on_surface(cands.geometry.values), crs=cands.crs), WGS84
    )
    return shapely.get_x(pts.values), shapely.get_y(pts.values)


def _snap_to_grid(lon, lat, cell_m: float, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """The centre of the ``cell_m`` grid square (in the metric ``crs``) each point lies in."""
    x, y = transform_xy(lon, lat, WGS84, crs)
    cx = (np.floor(np.asarray(x) / cell_m) + 0.5) * cell_m
    cy = (np.floor(np.asarray(y) / cell_m) + 0.5) * cell_m
    return transform_xy(cx, cy, crs, WGS84)


def _fail_matrix(result) -> pd.DataFrame | None:
    """Scoring's fail matrix of the result's candidates (indexed like them), or None for a
    result read back from disk without its measurements."""
    measured = tuple(getattr(result, "measured", ()) or ())
    if not measured or len(measured[0].distance) != len(result.candidates):
        return None
    failed = fail_matrix(measured).set_axis(result.candidates.index)
    if "coverage" in result.candidates:  # outside the data: nothing judged, nothing failed
        failed.loc[(result.candidates["coverage"] == "none").to_numpy()] = False
    return failed


def _fail_bits(cands: pd.DataFrame, criteria, failed: pd.DataFrame | None) -> list[int]:
    """Per candidate, bit i set when criterion i's hard limit is not met: from scoring's fail
    matrix, or (a result read back without measurements) the criterion keys its ``fails``
    text names."""
    if failed is not None:
        rows = failed.loc[cands.index]
        bits = np.zeros(len(cands), dtype=np.int64)
        for i, c in enumerate(criteria):
            if c.key in rows:
                bits |= rows[c.key].to_numpy(dtype=bool).astype(np.int64) << i
        return bits.tolist()
    fails = (
        cands["fails"].fillna("").astype(str) if "fails" in cands else pd.Series("", cands.index)
    )
    codes, texts = pd.factorize(fails)  # few distinct texts: read each once
    named = [set(failed_keys(t)) for t in texts]
    bits = np.zeros(len(texts), dtype=np.int64)
    for i, c in enumerate(criteria):
        hit = np.fromiter((c.key in keys for keys in named), bool, len(texts))
        bits |= hit.astype(np.int64) << i
    return bits[codes].tolist()


def _labels(cands: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(label, address): the label is a candidate's name, else its address, else None; the
    address is repeated only where the label is a name. The address is the ``address`` column
    when there is one, else ``addr:street`` + ``addr:housenumber``."""
    none = pd.Series(None, cands.index, dtype=object)
    name = _clean(cands["name"]) if "name" in cands else none
    address = none
    if "address" in cands:
        address = _clean(cands["address"])
    elif "addr:street" in cands:
        street = _clean(cands["addr:street"])
        number = _clean(cands["addr:housenumber"]) if "addr:housenumber" in cands else None
        address = street if number is None else (street + " " + number.fillna("")).str.strip()
    label = name.fillna(address)
    return label, address.where(name.notna(), None)


def _info(cands: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Per-candidate facts for the panel line under the heading: building type, floor area (and
    whether it is estimated), estimated places and COA size class, as codes into small tables
    and integers (the page composes the line)."""
    out: dict[str, Any] = {}
    if "building" in cands:
        out["bt"], out["bt_t"] = _lookup(cands, "building")
    if "floor_area_m2" in cands:
        out["floor"] = _ints(_col(cands, "floor_area_m2"))
        source = cands.get("floor_area_source", pd.Series("", index=cands.index))
        out["floor_est"] = source.astype(str).str.startswith("estimate").astype(int).tolist()
    if "places_est" in cands:
        out["places"] = _ints(_col(cands, "places_est"))
    if "coa_size_class" in cands:
        codes, table = _lookup(cands, "coa_size_class")
        out["coa"], out["coa_t"] = codes, [coa_size_label(c, lang) or c for c in table]
    return out


def _clean(series: pd.Series) -> pd.Series:
    """Strings with blanks and missing values as None."""
    if _is_text(series):  # clean each distinct string once
        codes, uniques = pd.factorize(series)
        cleaned = _stripped(pd.Series(uniques, dtype=object))
        out = np.full(len(series), None, dtype=object)
        known = codes >= 0
        out[known] = cleaned[codes[known]]
    else:
        out = _stripped(series)
    return pd.Series(out, index=series.index, dtype=object)


def _is_text(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.StringDtype):
        return True
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "string"


def _stripped(series: pd.Series) -> np.ndarray:
    """The values as stripped strings (an object array), None where blank or missing."""
    text = series.astype("string").str.strip().to_numpy(dtype=object, na_value=None)
    text[text == ""] = None
    return text


def _lookup(cands: pd.DataFrame, column: str, where: np.ndarray | None = None):
    """(codes, table): each row's index into the table of distinct strings, or -1; rows not
    ``where`` get -1."""
    codes, table = _codes(cands, column, where)
    return codes.tolist(), table


def _codes(cands: pd.DataFrame, column: str, where: np.ndarray | None = None):
    """:func:`_lookup` with the codes as an array."""
    n = len(cands)
    codes = np.full(n, -1, dtype=np.int64)
    if column not in cands:
        return codes, []
    values = cands[column]
    rows = None if where is None else np.flatnonzero(where)
    if rows is not None:  # only these rows count: clean and number them alone
        values = values.iloc[rows]
    found, uniques = pd.factorize(_clean(values), use_na_sentinel=True)
    codes[slice(None) if rows is None else rows] = found
    return codes, [str(u) for u in uniques]


def _footprints(geoms: gpd.GeoSeries) -> list[list]:
    """[row, polygons] of each polygonal footprint, simplified to 0.5 m."""
    if geoms.empty:
        return []
    simple = gpd.GeoSeries(shapely.simplify(geoms.values, 0.5), crs=geoms.crs)
    simple = to_crs(simple, WGS84)
    encoded = encode_polygons(simple.values, SHAPE_SCALE)
    return [[i, polys] for i, polys in enumerate(encoded) if polys]


def encode_polygons(geoms, scale: float) -> list[list[list[list[int]]]]:
    """Per geometry: polygons -> rings -> delta-coded integer [x0, y0, dx1, dy1, ...].

    The closing point of each ring is dropped, and so are rings with fewer than three points
    left, polygons without rings and parts that are not polygons. Vectorised: one pass of
    shapely and numpy over all geometries, then list slicing.
    """
    geoms = np.asarray(geoms, dtype=object)
    out: list[list] = [[] for _ in range(len(geoms))]
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    is_poly = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, part_of = parts[is_poly], part_of[is_poly]
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, point_of = shapely.get_coordinates(rings, return_index=True)
    if len(xy) == 0:
        return out
    counts = np.bincount(point_of, minlength=len(rings))
    last = np.zeros(len(xy), dtype=bool)
    last[np.cumsum(counts)[counts > 0] - 1] = True  # the closing point of each ring
    ints = np.round(xy[~last] * scale).astype(np.int64)
    kept = np.maximum(counts - 1, 0)  # points per ring without its closing point
    k_ends = np.cumsum(kept)
    k_starts = k_ends - kept
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    deltas[k_starts[kept > 0]] = ints[k_starts[kept > 0]]  # each ring starts absolute
    flat = deltas.ravel().tolist()
    current_part = -1
    polygon: list = []
    for r in np.flatnonzero(kept >= 3).tolist():
        p = int(ring_of[r])
        if p != current_part:
            polygon = []
            out[int(part_of[p])].append(polygon)
            current_part = p
        polygon.append(flat[2 * int(k_starts[r]) : 2 * int(k_ends[r])])
    return out


def _pois(pois: gpd.GeoDataFrame, criteria, bounds) -> list[dict]:
    """Features per criterion near the area (reception-file rows are shown with capacity)."""
    pois = to_crs(pois, WGS84)
    left, bottom, right, top = bounds
    pad_x, pad_y = (right - left) * 0.5, (top - bottom) * 0.5
    pois = pois.cx[left - pad_x : right + pad_x, bottom - pad_y : top + pad_y]
    if "source" in pois:
        pois = pois[pois["source"].astype(str) != "reception file"]
    pts = shapely.point_on_surface(pois.geometry.values)
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    out = []
    for c in criteria:
        sel = (pois["category"] == c.key).to_numpy()
        names = _clean(pois["name"][sel]) if "name" in pois else pd.Series([None] * sel.sum())
        out.append(
            {
                "key": c.key,
                "x": _ints(x[sel] * POINT_SCALE),
                "y": _ints(y[sel] * POINT_SCALE),
                "name": _strings(names),
            }
        )
    return out


def _reception(reception, options: MapOptions, crs: str) -> dict | None:
    if reception is None or not len(reception):
        return None
    rec = to_crs(reception, WGS84)
    pts = shapely.point_on_surface(rec.geometry.values)
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    names = _clean(rec["name"]) if "name" in rec else pd.Series([None] * len(rec))
    if options.blur_m > 0:
        lon, lat = _snap_to_grid(lon, lat, options.blur_m, crs)
        names = pd.Series([None] * len(rec))
    cap = pd.to_numeric(rec["capacity"], errors="coerce") if "capacity" in rec else None
    return {
        "x": _ints(lon * POINT_SCALE),
        "y": _ints(lat * POINT_SCALE),
        "name": _strings(names),
        "cap": _ints(cap.to_numpy(dtype=float)) if cap is not None else [None] * len(rec),
    }


def _balance(balance: gpd.GeoDataFrame | None) -> dict | None:
    """Municipal choropleth: places per 1000 residents."""
    if balance is None:
        return None
    frame = to_crs(balance, WGS84)
    geoms = frame.geometry.simplify(3e-4, preserve_topology=True)
    values = pd.to_numeric(frame["places_per_1000"], errors="coerce").to_numpy(dtype=float)
    return {
        "breaks": list(BALANCE_BREAKS),
        "colours": list(BALANCE_COLOURS),
        "date": _balance_date(frame),
        "code": _strings(_clean(frame["statcode"])) if "statcode" in frame else None,
        "name": _strings(_clean(frame["statnaam"])),
        "value": _rounded(values, 2),
        "shape": encode_polygons(geoms.values, OUTLINE_SCALE),
    }


def _balance_date(balance) -> str | None:
    if balance is None or "reference_date" not in balance:
        return None
    dates = _clean(balance["reference_date"]).dropna().unique()
    return ", ".join(sorted(str(d)[:10] for d in dates)) or None


def _col(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _ints(values) -> list[int | None]:
    arr = np.asarray(values, dtype=float)
    finite = np.isfinite(arr)
    return _with_none(np.round(np.where(finite, arr, 0.0)).astype(np.int64).tolist(), finite)


def _rounded(values, digits: int) -> list[float | None]:
    arr = np.round(np.asarray(values, dtype=float), digits)
    return _with_none(arr.tolist(), np.isfinite(arr))


def _with_none(items: list, keep: np.ndarray) -> list:
    """``items`` with None where ``keep`` is False."""
    for i in np.flatnonzero(~keep).tolist():
        items[i] = None
    return items


def _strings(values) -> list[str | None]:
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=object)  # iterating numpy is faster than Arrow
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]


# ---------------------------------------------------------------------------------------------
# the page


_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_SLOT = re.compile(r"\{\{(\w+)\}\}")


def script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>``, ``&``, U+2028/9."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _check_inlinable(code: str, tag: str) -> str:
    if f"</{tag}" in code.lower():
        raise ValueError(f"inlined code contains '</{tag}' and would end its element early")
    return code


def render_page(
    data: dict[str, Any], *, title: str, lang: str, cdn: bool = False, script: str = "map.js"
) -> str:
    """Fill ``static/page.html`` with Leaflet, the page's code (``static/<script>``) and
    ``data`` (which holds ``t``, the page's texts, including ``noscript``)."""
    colours = [c[1] for c in data["classes"]]
    colours += [data[k] for k in ("fail_colour", "no_data_colour") if k in data]
    for colour in colours:
        if not _HEX.match(colour):
            raise ValueError(f"colour {colour!r} is not #rrggbb")
    for crit in data.get("crit", []):
        if crit["shape"] not in CATEGORY_SHAPES:
            raise ValueError(f"unknown symbol shape {crit['shape']!r}")
    lf = leaflet()
    app = _check_inlinable(own(script), "script")
    scripts = [app]
    if cdn:
        leaflet_css = (
            f'<link rel="stylesheet" href="{lf.cdn_css}" integrity="{lf.css_sri}" '
            'crossorigin="anonymous">'
        )
        leaflet_js = (
            f'<script src="{lf.cdn_js}" integrity="{lf.js_sri}" crossorigin="anonymous"></script>'
        )
        # CSP sources with a full path match that one file only, not the whole CDN host
        script_origin, style_origin = lf.cdn_js, lf.cdn_css
    else:
        leaflet_css = f"<style>{_check_inlinable(lf.css, 'style')}</style>"
        leaflet_js = f"<script>{_check_inlinable(lf.js, 'script')}</script>"
        scripts.append(lf.js)
        script_origin = style_origin = ""
    script_src = " ".join([script_origin, *(csp_hash(s) for s in scripts)]).strip()
    style_src = " ".join(["'unsafe-inline'", style_origin]).strip()
    csp = (
        f"default-src 'none'; script-src {script_src}; style-src {style_src}; "
        f"img-src data: {TILE_ORIGIN}; base-uri 'none'; form-action 'none'"
    )
    slots = {
        "lang": lang,
        "title": html.escape(title),
        "csp": html.escape(csp),
        "version": html.escape(__version__),
        "noscript": html.escape(data["t"]["noscript"]),
        "leaflet_css": leaflet_css,
        "map_css": _check_inlinable(own("map.css"), "style"),
        "data": script_json(data),
        "leaflet_js": leaflet_js,
        "map_js": app,
    }
    return _SLOT.sub(lambda m: slots[m.group(1)], own("page.html"))
