"""QGIS styles and field descriptions inside a GeoPackage, so a layer opens looking like the map.

Two standard places, both plain SQLite tables of the GeoPackage:

- ``layer_styles``: the table QGIS itself writes with "Save as default style in the database"
  (one row per layer with ``useAsDefault = 1``, the style as QML for QGIS and SLD for other
  software). QGIS applies that row when the layer is opened.
- ``gpkg_data_columns``: the GeoPackage schema extension (OGC 12-128r18, annex F.9). Its
  ``name`` column is a field's alternative name (GDAL reads it as such since 3.3; QGIS shows it
  as the alias) and ``description`` says what the field holds, in Dutch and English.

Both are written with :mod:`sqlite3` after GDAL has written the layers: neither pyogrio nor
GDAL's Python-free interface writes styles, and the tables are small and fully specified.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

QGIS_VERSION = "3.22.16"  # the QML format written here; later QGIS versions read it too

# Marker shapes per facility category (QGIS SimpleMarker names); neutral colours that do not
# reuse the suitability scale.
MARKER_SHAPES = (
    "circle",
    "square",
    "triangle",
    "diamond",
    "pentagon",
    "star",
    "hexagon",
    "cross_fill",
    "cross2",
    "octagon",
    "semi_circle",
    "half_square",
    "filled_arrowhead",
    "quarter_circle",
    "diagonal_half_square",
    "asterisk_fill",
    "square_with_corners",
    "right_half_triangle",
)  # fmt: skip  (18 distinct shapes of QGIS 3.22, one per default criterion)
FACILITY_FILL = "#f7f7f7"
FACILITY_OUTLINE = "#252525"


@dataclass(frozen=True)
class SuitabilityClass:
    """A class of the suitability scale: from ``low`` (inclusive) up to the class above."""

    low: float
    colour: str
    label_nl: str
    label_en: str


@dataclass(frozen=True)
class FieldText:
    """Alias and description of one column."""

    alias: str
    description: str


def rgba(colour: str) -> str:
    """``#rrggbb`` as QGIS's ``r,g,b,255``."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        raise ValueError(f"colour {colour!r} is not #rrggbb")
    return ",".join(str(int(colour[i : i + 2], 16)) for i in (1, 3, 5)) + ",255"


# -- QML --------------------------------------------------------------------------------------


def _props(values: dict[str, str]) -> str:
    legacy = "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in values.items())
    options = "".join(
        f'<Option name={quoteattr(k)} type="QString" value={quoteattr(v)}/>'
        for k, v in values.items()
    )
    return f'<Option type="Map">{options}</Option>{legacy}'


def _fill_symbol(name: str, fill: str, outline: str = "#323232", width: str = "0.26") -> str:
    values = {
        "color": rgba(fill),
        "outline_color": rgba(outline),
        "outline_style": "solid",
        "outline_width": width,
        "outline_width_unit": "MM",
        "style": "solid",
    }
    return (
        f'<symbol type="fill" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" pass="0" locked="0">{_props(values)}</layer>'
        "</symbol>"
    )


def _outline_symbol(name: str, outline: str, width: str = "0.6") -> str:
    values = {
        "color": "0,0,0,0",
        "outline_color": rgba(outline),
        "outline_style": "dash",
        "outline_width": width,
        "outline_width_unit": "MM",
        "style": "no",
    }
    return (
        f'<symbol type="fill" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleFill" enabled="1" pass="0" locked="0">{_props(values)}</layer>'
        "</symbol>"
    )


def _marker_symbol(name: str, shape: str) -> str:
    values = {
        "color": rgba(FACILITY_FILL),
        "outline_color": rgba(FACILITY_OUTLINE),
        "outline_style": "solid",
        "outline_width": "0.4",
        "outline_width_unit": "MM",
        "name": shape,
        "size": "3",
        "size_unit": "MM",
    }
    return (
        f'<symbol type="marker" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
        f'force_rhr="0"><layer class="SimpleMarker" enabled="1" pass="0" locked="0">'
        f"{_props(values)}</layer></symbol>"
    )


def _aliases(fields: Sequence[str], texts: dict[str, FieldText]) -> str:
    rows = "".join(
        f'<alias field={quoteattr(f)} index="{i}" name={quoteattr(texts[f].alias)}/>'
        for i, f in enumerate(fields)
        if f in texts
    )
    return f"<aliases>{rows}</aliases>"


def _qml(renderer: str, geometry_type: int, aliases: str) -> str:
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology|Fields">'
        f"{renderer}{aliases}<layerGeometryType>{geometry_type}</layerGeometryType></qgis>\n"
    )


def suitability_rules(
    classes: Sequence[SuitabilityClass], lang: str, on: str = "suitability"
) -> list[tuple[str, str, str]]:
    """(label, QGIS filter expression, colour) per class, best first, then 'fails a limit'.

    The same rule as the map: a candidate that fails a hard limit is grey whatever its score;
    the others take the colour of the class their suitability falls in.
    """
    rules = []
    upper = None
    for c in sorted(classes, key=lambda c: -c.low):
        label = c.label_nl if lang == "nl" else c.label_en
        span = f"{c.low:g}–{100 if upper is None else upper:g}"
        expr = f'"{on}" >= {c.low:g}'
        if on == "suitability":  # candidates: only those meeting every hard limit
            expr = f'"passes" AND {expr}'
        if upper is not None:
            expr += f' AND "{on}" < {upper:g}'
        rules.append((f"{label} ({span})", expr, c.colour))
        upper = c.low
    return rules


def candidates_qml(
    classes: Sequence[SuitabilityClass],
    fail_colour: str,
    fields: Sequence[str],
    texts: dict[str, FieldText],
    lang: str,
    on: str = "suitability",
) -> str:
    """Rule-based polygon style of the candidates layer (footprints); with ``on`` another
    0-100 column (a region's ``best_suitability``), grey where it is empty."""
    rules = suitability_rules(classes, lang, on)
    fails = "voldoet niet aan een harde eis" if lang == "nl" else "fails a hard limit"
    if on != "suitability":
        fails = "niet gescoord" if lang == "nl" else "not scored"
    rule_xml, symbols = [], []
    for i, (label, expr, colour) in enumerate(rules):
        rule_xml.append(
            f'<rule key="{{r{i}}}" symbol="{i}" label={quoteattr(label)} filter={quoteattr(expr)}/>'
        )
        symbols.append(_fill_symbol(str(i), colour))
    n = len(rules)
    not_passing = quoteattr('NOT "passes"' if on == "suitability" else f'"{on}" IS NULL')
    rule_xml.append(
        f'<rule key="{{r{n}}}" symbol="{n}" label={quoteattr(fails)} filter={not_passing}/>'
    )
    symbols.append(_fill_symbol(str(n), fail_colour))
    renderer = (
        '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0">'
        f'<rules key="{{root}}">{"".join(rule_xml)}</rules>'
        f"<symbols>{''.join(symbols)}</symbols></renderer-v2>"
    )
    return _qml(renderer, 2, _aliases(fields, texts))


def pois_qml(
    categories: Sequence[tuple[str, str]], fields: Sequence[str], texts: dict[str, FieldText]
) -> str:
    """Categorised point style of the facilities: one marker shape per category.

    ``categories`` are (criterion key, label) pairs in the order of the configuration.
    """
    cats, symbols = [], []
    for i, (key, label) in enumerate(categories):
        cats.append(
            f'<category symbol="{i}" value={quoteattr(key)} label={quoteattr(label)} '
            'render="true"/>'
        )
        symbols.append(_marker_symbol(str(i), MARKER_SHAPES[i % len(MARKER_SHAPES)]))
    renderer = (
        '<renderer-v2 type="categorizedSymbol" attr="category" symbollevels="0" '
        'enableorderby="0" forceraster="0">'
        f"<categories>{''.join(cats)}</categories>"
        f"<symbols>{''.join(symbols)}</symbols></renderer-v2>"
    )
    return _qml(renderer, 0, _aliases(fields, texts))


def single_marker_qml(fields: Sequence[str], texts: dict[str, FieldText]) -> str:
    """One marker for every point (existing reception locations)."""
    renderer = (
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{_marker_symbol('0', 'triangle')}</symbols></renderer-v2>"
    )
    return _qml(renderer, 0, _aliases(fields, texts))


def outline_qml(colour: str, fields: Sequence[str], texts: dict[str, FieldText]) -> str:
    """A dashed outline without fill (the scored area)."""
    renderer = (
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{_outline_symbol('0', colour)}</symbols></renderer-v2>"
    )
    return _qml(renderer, 2, _aliases(fields, texts))


# -- SLD --------------------------------------------------------------------------------------

_SLD_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" '
    'xmlns:ogc="http://www.opengis.net/ogc" xmlns:se="http://www.opengis.net/se" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.opengis.net/sld '
    'http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">'
)


def _sld(layer: str, rules: Iterable[str]) -> str:
    return (
        f"{_SLD_HEAD}<NamedLayer><se:Name>{escape(layer)}</se:Name><UserStyle>"
        f"<se:Name>{escape(layer)}</se:Name><se:FeatureTypeStyle>{''.join(rules)}"
        "</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n"
    )


def _sld_fill(colour: str, outline: str = "#323232") -> str:
    return (
        "<se:PolygonSymbolizer><se:Fill>"
        f'<se:SvgParameter name="fill">{colour}</se:SvgParameter></se:Fill><se:Stroke>'
        f'<se:SvgParameter name="stroke">{outline}</se:SvgParameter>'
        '<se:SvgParameter name="stroke-width">1</se:SvgParameter>'
        "</se:Stroke></se:PolygonSymbolizer>"
    )


def _prop(op: str, name: str, value: str) -> str:
    return (
        f"<ogc:{op}><ogc:PropertyName>{escape(name)}</ogc:PropertyName>"
        f"<ogc:Literal>{escape(value)}</ogc:Literal></ogc:{op}>"
    )


def candidates_sld(
    classes: Sequence[SuitabilityClass], fail_colour: str, lang: str, on: str = "suitability"
) -> str:
    rules = []
    upper = None
    for label, _expr, colour in suitability_rules(classes, lang, on):
        low = next(c.low for c in classes if c.colour == colour)
        tests = [_prop("PropertyIsGreaterThanOrEqualTo", on, f"{low:g}")]
        if on == "suitability":
            tests.insert(0, _prop("PropertyIsEqualTo", "passes", "1"))
        if upper is not None:
            tests.append(_prop("PropertyIsLessThan", on, f"{upper:g}"))
        upper = low
        test = tests[0] if len(tests) == 1 else f"<ogc:And>{''.join(tests)}</ogc:And>"
        rules.append(
            f"<se:Rule><se:Name>{escape(label)}</se:Name><ogc:Filter>{test}</ogc:Filter>"
            f"{_sld_fill(colour)}</se:Rule>"
        )
    if on == "suitability":
        fails = "voldoet niet aan een harde eis" if lang == "nl" else "fails a hard limit"
        test = _prop("PropertyIsEqualTo", "passes", "0")
    else:
        fails = "niet gescoord" if lang == "nl" else "not scored"
        test = f"<ogc:PropertyIsNull><ogc:PropertyName>{escape(on)}</ogc:PropertyName>"
        test += "</ogc:PropertyIsNull>"
    rules.append(
        f"<se:Rule><se:Name>{escape(fails)}</se:Name><ogc:Filter>{test}</ogc:Filter>"
        f"{_sld_fill(fail_colour)}</se:Rule>"
    )
    return _sld("candidates" if on == "suitability" else "regions", rules)


_SLD_MARKS = {
    "circle": "circle",
    "square": "square",
    "triangle": "triangle",
    "star": "star",
    "cross2": "x",
    "cross_fill": "cross",
    "asterisk_fill": "x",
    "diamond": "square",
    "pentagon": "circle",
    "hexagon": "circle",
}


def pois_sld(categories: Sequence[tuple[str, str]]) -> str:
    rules = []
    for i, (key, label) in enumerate(categories):
        mark = _SLD_MARKS.get(MARKER_SHAPES[i % len(MARKER_SHAPES)], "circle")
        rules.append(
            f"<se:Rule><se:Name>{escape(label)}</se:Name><ogc:Filter>"
            f"{_prop('PropertyIsEqualTo', 'category', key)}</ogc:Filter>"
            "<se:PointSymbolizer><se:Graphic><se:Mark>"
            f"<se:WellKnownName>{mark}</se:WellKnownName><se:Fill>"
            f'<se:SvgParameter name="fill">{FACILITY_FILL}</se:SvgParameter></se:Fill>'
            f'<se:Stroke><se:SvgParameter name="stroke">{FACILITY_OUTLINE}</se:SvgParameter>'
            "</se:Stroke></se:Mark><se:Size>11</se:Size></se:Graphic></se:PointSymbolizer>"
            "</se:Rule>"
        )
    return _sld("pois", rules)


def outline_sld(layer: str, colour: str) -> str:
    rule = (
        "<se:Rule><se:PolygonSymbolizer><se:Stroke>"
        f'<se:SvgParameter name="stroke">{colour}</se:SvgParameter>'
        '<se:SvgParameter name="stroke-width">2</se:SvgParameter>'
        '<se:SvgParameter name="stroke-dasharray">6 3</se:SvgParameter>'
        "</se:Stroke></se:PolygonSymbolizer></se:Rule>"
    )
    return _sld(layer, [rule])


# -- field texts ------------------------------------------------------------------------------

# Fixed columns: (alias nl, alias en, description nl, description en)
_FIXED: dict[str, tuple[str, str, str, str]] = {
    "candidate_id": (
        "Kandidaat",
        "Candidate",
        "OSM-id (way/123) of eigen id",
        "OSM id (way/123) or your own id",
    ),
    "address": (
        "Adres",
        "Address",
        "adrespunt(en) in het gebouw (OSM/BAG)",
        "address point(s) inside the building (OSM/BAG)",
    ),
    "address_count": (
        "Aantal adressen",
        "Addresses",
        "adrespunten in het gebouw",
        "address points inside the building",
    ),
    "lon": (
        "Lengtegraad",
        "Longitude",
        "punt voor de afstanden, WGS84",
        "point used for distances, WGS84",
    ),
    "lat": (
        "Breedtegraad",
        "Latitude",
        "punt voor de afstanden, WGS84",
        "point used for distances, WGS84",
    ),
    "suitability": (
        "Geschiktheid",
        "Suitability",
        "gewogen gemiddelde van de criteriumscores (0-100)",
        "weighted mean of the criterion scores (0-100)",
    ),
    "passes": (
        "Voldoet aan harde eisen",
        "Meets hard limits",
        "waar als alle harde eisen (max/min afstand) gehaald worden",
        "true when every hard limit (max/min distance) is met",
    ),
    "fails": (
        "Niet gehaalde eisen",
        "Failed limits",
        "de harde eisen die niet gehaald worden",
        "the hard limits that are not met",
    ),
    "rank": (
        "Rang",
        "Rank",
        "1 = best; eerst wie alle harde eisen haalt",
        "1 = best; candidates meeting every hard limit first",
    ),
    "floor_area_m2": (
        "Vloeroppervlak (m²)",
        "Floor area (m²)",
        "footprint × bouwlagen, of een schatting (zie floor_area_source)",
        "footprint × levels, or an estimate (see floor_area_source)",
    ),
    "places_est": (
        "Geschatte plaatsen",
        "Estimated places",
        "vloeroppervlak gedeeld door m² per bewoner (zie run.json)",
        "floor area divided by m² per resident (see run.json)",
    ),
    "coverage": (
        "Dekking data",
        "Data coverage",
        "full / partial / none: ligt de plek binnen de OSM-data",
        "full / partial / none: whether the site lies within the OSM data",
    ),
    "category": (
        "Categorie",
        "Category",
        "het criterium waarvoor deze voorziening telt",
        "the criterion this facility counts for",
    ),
    "tag": (
        "OSM-tag",
        "OSM tag",
        "de tag waarmee de voorziening gevonden is",
        "the tag the facility was found by",
    ),
    "snap_m": (
        "Afstand tot netwerk (m)",
        "Distance to network (m)",
        "rechte lijn naar het dichtstbijzijnde pad",
        "straight line to the nearest path",
    ),
    "name": ("Naam", "Name", "naam uit OSM of uw bestand", "name from OSM or your file"),
    "capacity": ("Capaciteit", "Capacity", "opvangplaatsen", "reception places"),
    "region_id": (
        "Regio-code",
        "Region id",
        "code van de regio (bijv. GM0503)",
        "the region's code (e.g. GM0503)",
    ),
    "region_name": ("Regio", "Region", "naam van de regio", "the region's name"),
    "status": (
        "Status",
        "Status",
        "ok, geen kandidaten of mislukt (zie reason)",
        "ok, no candidates or failed (see reason)",
    ),
    "candidates": ("Kandidaten", "Candidates", "gescoorde kandidaten", "candidates scored"),
    "passing": (
        "Voldoen",
        "Passing",
        "kandidaten die alle harde eisen halen",
        "candidates meeting every hard limit",
    ),
    "best_suitability": (
        "Beste geschiktheid",
        "Best suitability",
        "hoogste geschiktheid van de regio (0-100)",
        "the region's highest suitability (0-100)",
    ),
    "median_suitability": (
        "Mediaan geschiktheid",
        "Median suitability",
        "mediaan van de geschiktheid in de regio (0-100)",
        "median suitability in the region (0-100)",
    ),
    "reason": (
        "Reden",
        "Reason",
        "waarom de regio niet gescoord is",
        "why the region was not scored",
    ),
    "map": (
        "Kaart",
        "Map",
        "de kaart van de regio (relatief pad)",
        "the region's map (relative path)",
    ),
}

# Per-criterion columns: prefix/suffix pattern -> (alias nl, alias en, description nl, en)
_PER_CRITERION: tuple[tuple[str, str, str, str, str, str], ...] = (
    (
        "dist_",
        "_m",
        "Afstand {nl} (m)",
        "Distance {en} (m)",
        "gemeten afstand tot de dichtstbijzijnde voorziening",
        "measured distance to the nearest",
    ),
    (
        "score_",
        "",
        "Score {nl}",
        "Score {en}",
        "criteriumscore 0-100 via de afnamecurve",
        "criterion score 0-100 through the decay curve",
    ),
    (
        "points_",
        "",
        "Punten {nl}",
        "Points {en}",
        "bijdrage aan de geschiktheid (score × gewicht / som gewichten)",
        "share of suitability (score × weight / sum of weights)",
    ),
    ("note_", "", "Toelichting {nl}", "Note {en}", "waarom deze score", "why this score"),
    (
        "nearest_",
        "",
        "Dichtstbij {nl}",
        "Nearest {en}",
        "de dichtstbijzijnde voorziening",
        "the nearest facility",
    ),
    (
        "value_",
        "",
        "Waarde {nl}",
        "Value {en}",
        "gemeten waarde (plaatsen of rasterwaarde)",
        "measured value (places or raster value)",
    ),
)


def field_texts(
    columns: Iterable[str], criteria: Sequence[tuple[str, str, str]], lang: str
) -> dict[str, FieldText]:
    """Alias (in ``lang``) and a bilingual description for every column we know.

    ``criteria`` are (key, label_nl, label_en). Unknown columns (a user's own) get none.
    """
    out: dict[str, FieldText] = {}
    nl_first = lang == "nl"
    for col in columns:
        if col in _FIXED:
            a_nl, a_en, d_nl, d_en = _FIXED[col]
            out[col] = FieldText(a_nl if nl_first else a_en, f"{d_nl} / {d_en}")
            continue
        for key, label_nl, label_en in criteria:
            for prefix, suffix, a_nl, a_en, d_nl, d_en in _PER_CRITERION:
                if col == f"{prefix}{key}{suffix}":
                    alias = (a_nl if nl_first else a_en).format(nl=label_nl, en=label_en)
                    out[col] = FieldText(alias, f"{d_nl} ({label_nl}) / {d_en} ({label_en})")
    return out


# -- writing ----------------------------------------------------------------------------------

_LAYER_STYLES = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME)
"""
_DATA_COLUMNS = """
CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
  description TEXT, mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name))
"""


@dataclass(frozen=True)
class LayerStyle:
    layer: str
    qml: str
    sld: str
    description: str
    texts: dict[str, FieldText]


def write_styles(gpkg: Path, styles: Sequence[LayerStyle]) -> None:
    """Store ``styles`` as each layer's default QGIS style and its field texts, in one
    transaction (replacing what an earlier write stored for the same layers)."""
    con = sqlite3.connect(gpkg)
    try:
        with con:
            con.execute(_LAYER_STYLES)
            con.execute(_DATA_COLUMNS)
            _register(con)
            for s in styles:
                geom = _geometry_column(con, s.layer)
                con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (s.layer,))
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                    "description, owner, ui) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, 'geoschikt', '')",
                    (s.layer, geom, s.layer, s.qml, s.sld, s.description),
                )
                con.execute("DELETE FROM gpkg_data_columns WHERE table_name = ?", (s.layer,))
                con.executemany(
                    "INSERT INTO gpkg_data_columns (table_name, column_name, name, title, "
                    "description) VALUES (?, ?, ?, ?, ?)",
                    [(s.layer, c, t.alias, t.alias, t.description) for c, t in s.texts.items()],
                )
    finally:
        con.close()


def _geometry_column(con: sqlite3.Connection, layer: str) -> str | None:
    row = con.execute(
        "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
    ).fetchone()
    return None if row is None else str(row[0])


def _register(con: sqlite3.Connection) -> None:
    """Declare the two tables the way GeoPackage readers expect (contents and extensions)."""
    con.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
        "last_change) SELECT 'layer_styles', 'attributes', 'layer_styles', 'QGIS styles', "
        "MAX(last_change) FROM gpkg_contents"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
        "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
        "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
    )
    con.execute(
        "INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, "
        "definition, scope) VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', "
        "'http://www.geopackage.org/spec/#extension_schema', 'read-write')"
    )


def layer_fields(gpkg: Path, layer: str) -> list[str]:
    """The attribute columns of ``layer`` in table order (fid and geometry left out)."""
    con = sqlite3.connect(gpkg)
    try:
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{layer}")')]
        geom = _geometry_column(con, layer)
    finally:
        con.close()
    return [c for c in cols if c not in ("fid", geom)]


def result_styles(
    gpkg: Path,
    criteria: Sequence[tuple[str, str, str]],
    classes: Sequence[SuitabilityClass],
    fail_colour: str,
    lang: str,
) -> list[LayerStyle]:
    """The styles of the layers a run writes (candidates, pois, area, reception) that are in
    ``gpkg``; ``criteria`` are (key, label_nl, label_en) in configuration order."""
    con = sqlite3.connect(gpkg)
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
    finally:
        con.close()
    labels = [(k, nl if lang == "nl" else en) for k, nl, en in criteria]
    styles = []
    for layer in ("candidates", "regions", "pois", "area", "reception", "data_extent"):
        if layer not in present:
            continue
        fields = layer_fields(gpkg, layer)
        texts = field_texts(fields, criteria, lang)
        if layer == "candidates":
            qml = candidates_qml(classes, fail_colour, fields, texts, lang)
            sld = candidates_sld(classes, fail_colour, lang)
            what = "geschiktheid per kandidaat / suitability per candidate"
        elif layer == "regions":
            qml = candidates_qml(classes, fail_colour, fields, texts, lang, on="best_suitability")
            sld = candidates_sld(classes, fail_colour, lang, on="best_suitability")
            what = "beste geschiktheid per regio / best suitability per region"
        elif layer == "pois":
            qml, sld = pois_qml(labels, fields, texts), pois_sld(labels)
            what = "voorzieningen per criterium / facilities per criterion"
        elif layer == "reception":
            qml = single_marker_qml(fields, texts)
            sld = pois_sld([])
            what = "bestaande opvang / existing reception"
        else:
            qml, sld = outline_qml("#1b1b1b", fields, texts), outline_sld(layer, "#1b1b1b")
            what = "gescoord gebied / scored area" if layer == "area" else "data extent"
        styles.append(LayerStyle(layer, qml, sld, what, texts))
    return styles


def raster_qml(band: int, classes: Sequence[SuitabilityClass], lang: str) -> str:
    """A pseudocolour style of band ``band`` (the suitability band of ``suitability.tif``) with
    the map's classes, written next to the GeoTIFF as ``suitability.qml`` (QGIS loads a
    ``.qml`` of the same name as a raster's default style)."""
    items = []
    ordered = sorted(classes, key=lambda c: c.low)
    for i, c in enumerate(ordered):
        upper = 100 if i + 1 == len(ordered) else ordered[i + 1].low
        label = f"{c.label_nl if lang == 'nl' else c.label_en} ({c.low:g}–{upper:g})"
        items.append(
            f'<item alpha="255" value="{upper:g}" label={quoteattr(label)} '
            f'color="{c.colour.lower()}"/>'
        )
    renderer = (
        f'<rasterrenderer type="singlebandpseudocolor" band="{band}" opacity="1" '
        'alphaBand="-1" classificationMin="0" classificationMax="100"><rastershader>'
        '<colorrampshader colorRampType="DISCRETE" classificationMode="1" clip="0">'
        f"{''.join(items)}</colorrampshader></rastershader></rasterrenderer>"
    )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology"><pipe>{renderer}</pipe>'
        "</qgis>\n"
    )


def style_layers(gpkg: Path, config) -> None:
    """Default QGIS styles and field texts for the layers geoschikt writes that are in
    ``gpkg``, with the map's suitability classes and the run's criteria and language."""
    from geoschikt.outputs.webmap import CLASSES, FAIL_COLOUR

    classes = [SuitabilityClass(low, colour, nl, en) for low, colour, nl, en in CLASSES]
    criteria = [(c.key, c.label_nl, c.label_en) for c in config.criteria]
    write_styles(gpkg, result_styles(gpkg, criteria, classes, FAIL_COLOUR, config.lang))
