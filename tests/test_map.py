"""The map file, checked without a browser: self-contained, escaped, compact, explainable."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from geoschikt.cli import cli
from geoschikt.config import load_config
from geoschikt.errors import ConfigError
from geoschikt.geo import WGS84, transform_xy
from geoschikt.outputs import assets, webmap
from geoschikt.outputs.webmap import MapOptions, render_map, script_json, write_map
from geoschikt.outputs.webmap import map_data as render_map_data
from geoschikt.pipeline import ScoreResult
from geoschikt.scoring import fail_matrix

HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"
BREAKOUT = "</script><script>document.title='pwned2'</script><!--"
# URLs the page may contain: the tile template and its origin (CSP), links that are never
# fetched (OSM copyright in the attribution, Leaflet's licence comment) and the SVG namespace.
ALLOWED_URLS = {
    "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "https://tile.openstreetmap.org",
    "https://www.openstreetmap.org/copyright",
    "https://www.openstreetmap.org/",  # links to a candidate's or facility's OSM object
    "https://leafletjs.com",
    "http://www.w3.org/2000/svg",
}


def with_balance(result: ScoreResult, balance: gpd.GeoDataFrame) -> ScoreResult:
    """``result`` carrying the municipal balance layer (the attribute write_map looks for)."""
    return dataclasses.replace(result, balance=balance)


def data_of(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="gs-data">(.*?)</script>', page, re.S)
    assert block, "no data block"
    return json.loads(block.group(1))


def with_candidates(result: ScoreResult, **columns) -> ScoreResult:
    """``result`` with some candidate columns set on the best-ranked rows (a copy)."""
    cands = result.candidates.sort_values(["rank", "candidate_id"]).copy()
    for column, values in columns.items():
        cands[column] = cands[column].astype(object)
        for i, value in enumerate(values):
            cands.iloc[i, cands.columns.get_loc(column)] = value
    return dataclasses.replace(result, candidates=cands)


@pytest.fixture(scope="module")
def page(helsinki_result) -> str:
    return render_map(helsinki_result, MapOptions())


def test_page_is_self_contained(page):
    urls = set(re.findall(r"[a-z]+://[^\s\"'()<>;]+", page))
    assert urls <= ALLOWED_URLS, urls - ALLOWED_URLS
    assert re.search(r"<script[^>]*\bsrc=", page) is None
    assert re.search(r"<link\b", page) is None
    assert "@import" not in page
    for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", page):
        assert target.startswith(("data:", "#")), target
    assert f"Leaflet {assets.leaflet().version}" in page


def test_cdn_variant_pins_leaflet_with_integrity(helsinki_result):
    page = render_map(helsinki_result, MapOptions(assets="cdn"))
    lf = assets.leaflet()
    assert f'src="{lf.cdn_js}" integrity="{lf.js_sri}"' in page
    assert f'href="{lf.cdn_css}" integrity="{lf.css_sri}"' in page
    assert f"Leaflet {lf.version}" not in page  # not inlined
    assert len(page) < len(render_map(helsinki_result, MapOptions())) - 100_000


def test_leaflet_comes_from_the_installed_package():
    from xstatic.pkg import leaflet as xs

    lf = assets.leaflet()
    js = (Path(xs.BASE_DIR) / "leaflet.js").read_bytes()
    assert lf.js.encode() == js
    assert lf.js_sri == "sha384-" + base64.b64encode(hashlib.sha384(js).digest()).decode()
    assert "images/" not in lf.css and "data:image/png;base64," in lf.css


def test_every_inline_script_is_allowed_by_the_csp_and_nothing_else(page):
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    csp = csp.replace("&#x27;", "'")
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 2  # Leaflet and the map code
    for script in scripts:
        assert assets.csp_hash(script) in csp
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    assert "img-src data: https://tile.openstreetmap.org" in csp


@pytest.mark.parametrize(
    "text", [HOSTILE, BREAKOUT, "a\u2028b\u2029c", "<!-- & -->", "{{data}} \\ \" '"]
)
def test_script_json_cannot_leave_its_script_element(text):
    encoded = script_json({"name": text, "list": [text]})
    assert not set(encoded) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(encoded) == {"name": text, "list": [text]}


def test_untrusted_names_and_ids_are_data_not_markup(helsinki_result):
    result = with_candidates(
        helsinki_result,
        name=[HOSTILE, BREAKOUT],
        address=[BREAKOUT, HOSTILE],
        candidate_id=["way/1", "{{map_js}}<b>"],
    )
    page = render_map(result, MapOptions())
    assert HOSTILE not in page and BREAKOUT not in page and "<b>" not in page
    assert page.count("</script>") == 3  # the data block, Leaflet, the map code
    data = data_of(page)
    assert {HOSTILE, BREAKOUT} <= set(data["cand"]["label"])
    assert "{{map_js}}<b>" in data["cand"]["id"]


def test_data_block_matches_the_candidates(helsinki_result, page):
    data = data_of(page)
    cands = helsinki_result.candidates.sort_values(["rank", "candidate_id"])
    failed = fail_matrix(helsinki_result.measured).set_axis(helsinki_result.candidates.index)
    c = data["cand"]
    n = len(cands)
    assert len(c["rank"]) == len(c["x"]) == len(c["pass"]) == len(c["id"]) == n
    assert c["rank"] == cands["rank"].tolist()
    assert c["id"] == cands["candidate_id"].tolist()
    assert sum(c["pass"]) == int(cands["passes"].sum()) == data["meta"]["n_pass"]
    assert np.allclose(np.array(c["x"]) / 1e5, cands["lon"], atol=1e-5)
    keys = [k["key"] for k in data["crit"]]
    assert keys == [cr.key for cr in helsinki_result.config.criteria]
    for j, key in enumerate(keys):
        # count and share criteria have a value and no distance: the page has none for them
        dist = cands[f"dist_{key}_m"].to_numpy() if f"dist_{key}_m" in cands else np.full(n, np.nan)
        got = np.array([np.nan if v is None else v for v in c["d"][j]], dtype=float)
        assert np.allclose(got, np.round(dist), equal_nan=True)
        fails = failed.loc[cands.index, key].to_numpy()  # scoring's structured fail matrix
        assert [(b >> j) & 1 for b in c["fail"]] == fails.astype(int).tolist()
    # the matrix and the table agree: a candidate passes exactly when it fails no limit
    assert (failed.any(axis=1) == ~helsinki_result.candidates["passes"]).all()
    assert len(c["fp"]) == min(n, 2000)  # the best footprints
    assert data["meta"]["osm_date"] == helsinki_result.provenance["osm_data_timestamp"][:10]


def test_fail_bits_are_scorings_fail_matrix(delft_result):
    """On Delft (where candidates do fail limits) each map bit is the criterion's entry in
    scoring's fail matrix, and a candidate passes exactly when it fails none."""
    data = render_map_data(delft_result, MapOptions())
    cands = delft_result.candidates.sort_values(["rank", "candidate_id"], kind="stable")
    failed = fail_matrix(delft_result.measured).set_axis(delft_result.candidates.index)
    assert failed.to_numpy().any() and not failed.to_numpy().all()
    bits = np.array(data["cand"]["fail"])
    for j, crit in enumerate(data["crit"]):
        expected = failed.loc[cands.index, crit["key"]].to_numpy()
        assert ((bits >> j) & 1).astype(bool).tolist() == expected.tolist()
    assert ((bits == 0) == cands["passes"].to_numpy()).all()


def test_title_block_legend_and_attribution(page, helsinki_result):
    data = data_of(page)
    meta = data["meta"]
    assert meta["area"] == helsinki_result.provenance["area"]["name"]
    assert meta["osm_file"] == "Helsinki.osm.pbf"
    assert meta["config"] == ["default.toml"]
    assert [c[2] for c in data["classes"]] == [
        "zeer geschikt",
        "geschikt",
        "matig geschikt",
        "weinig geschikt",
        "ongeschikt",
    ]
    assert "© OpenStreetMap contributors" in page
    assert '<html lang="nl">' in page
    transit = helsinki_result.config.criterion("transit")
    near, far = (f"{v:,.0f}".replace(",", ".") for v in (transit.near_m, transit.far_m))
    assert data["crit"][0]["curve"] == f"100 tot {near} m, 0 vanaf {far} m"


def test_english_with_lang_en(helsinki_result):
    data = data_of(render_map(helsinki_result, MapOptions(lang="en")))
    assert data["lang"] == "en"
    assert data["t"]["legend"] == "Suitability (0–100)"
    assert data["classes"][0][2] == "very suitable"
    assert data["crit"][0]["label"] == helsinki_result.config.criteria[0].label_en


def test_blur_snaps_to_grid_and_drops_identifying_details(helsinki_result):
    result = with_candidates(helsinki_result, name=["Secret shelter address 12"])
    page = render_map(result, MapOptions(blur_m=250))
    data = data_of(page)
    c = data["cand"]
    assert not {"id", "label", "near", "near_t", "fp"} & set(c)
    assert "Secret shelter address 12" not in page
    assert not set(result.candidates["candidate_id"]) & set(re.findall(r"way/\d+", page))
    x, y = transform_xy(np.array(c["x"]) / 1e5, np.array(c["y"]) / 1e5, WGS84, result.crs)
    assert np.allclose(np.mod(x, 250), 125, atol=1.5)
    assert np.allclose(np.mod(y, 250), 125, atol=1.5)
    dists = [v for col in c["d"] for v in col if v is not None]
    assert dists and all(v % 50 == 0 for v in dists)
    assert data["blur_m"] == 250 and "250" not in data["t"]["blurred"]  # filled in by the page
    assert "{m} m" in data["t"]["blurred"]


def test_reception_and_balance_layers_with_their_sources(helsinki_result):
    centre = helsinki_result.area.geometry.union_all().centroid
    reception = gpd.GeoDataFrame(
        {"name": ["AZC <Noord>", None], "capacity": [300, 40]},
        geometry=[centre, shapely.Point(centre.x + 0.005, centre.y)],
        crs=WGS84,
    )
    balance = gpd.GeoDataFrame(
        {
            "statcode": ["GM0001", "GM0002"],
            "statnaam": ["Westdorp", "Oostdorp"],
            "places_per_1000": [0.0, 7.25],
            "reference_date": ["2016-01-01", "2016-01-01"],
        },
        geometry=[
            centre.buffer(0.02),
            shapely.box(centre.x, centre.y, centre.x + 0.03, centre.y + 0.01),
        ],
        crs=WGS84,
    )
    prov = dict(helsinki_result.provenance)
    prov["inputs"] = [*prov["inputs"], {"role": "reception", "path": "/secret/dir/azc.csv"}]
    result = dataclasses.replace(helsinki_result, reception=reception, provenance=prov)
    result = with_balance(result, balance)
    data = data_of(render_map(result, MapOptions()))
    assert data["reception"]["cap"] == [300, 40]
    assert data["reception"]["name"] == ["AZC <Noord>", None]
    assert data["balance"]["name"] == ["Westdorp", "Oostdorp"]
    assert data["balance"]["value"] == [0.0, 7.25]
    assert data["balance"]["date"] == "2016-01-01"
    assert data["meta"]["reception_file"] == "azc.csv"  # the file name, not the user's folders
    assert any("azc.csv" in a for a in data["attribution"]) and "CBS" in data["attribution"]
    assert all(len(shape) >= 1 for shape in data["balance"]["shape"])


def test_file_stays_small(helsinki_result, tmp_path):
    path = tmp_path / "map.html"
    write_map(helsinki_result, path)
    n = len(helsinki_result.candidates)
    leaflet = len(assets.leaflet().js) + len(assets.leaflet().css)
    # bytes per candidate, footprints included; the floor area, places and COA class of each
    # candidate, and about 25 bytes per criterion (distance, score and fail bits)
    per_criterion = 25 * len(helsinki_result.config.criteria)
    assert (path.stat().st_size - leaflet) / n < 530 + per_criterion


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"map": {"blur_m": -5}}, "map.blur_m"),
        ({"map": {"footprints": 1.5}}, "map.footprints"),
        ({"map": {"assets": "web"}}, "map.assets"),
        ({"map": {"blurm": 3}}, "did you mean 'blur_m'"),
    ],
)
def test_map_settings_are_validated(overrides, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(overrides=overrides)


@pytest.mark.slow  # its own full runs for two options
def test_cli_blur_and_cdn_reach_the_map(delft_pbf, tmp_path):
    out = tmp_path / "out"
    args = ["-q", "score", "--osm", str(delft_pbf), "--distance", "euclidean", "--blur", "250"]
    res = CliRunner().invoke(cli, [*args, "--cdn", "--lang", "en", "--out", str(out)])
    assert res.exit_code == 0, res.output
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["map"] == {**run["config"]["map"], "blur_m": 250, "assets": "cdn"}
    page = (out / "map.html").read_text()
    data = data_of(page)
    assert data["blur_m"] == 250 and data["lang"] == "en" and "id" not in data["cand"]
    assert assets.leaflet().cdn_js in page
    table = pd.read_csv(out / "candidates.csv")
    assert len(data["cand"]["rank"]) == len(table)


@pytest.mark.slow  # its own full run for one option
def test_reception_file_values_and_sites_reach_the_map(delft_pbf, tmp_path):
    sites = tmp_path / "azc.csv"
    sites.write_text(
        "name,capacity,lon,lat\nAZC <Delft>,300,4.3700,52.0000\nKlein,40,4.38,52.003\n"
    )
    out = tmp_path / "out"
    args = ["-q", "score", "--osm", str(delft_pbf), "--distance", "euclidean"]
    res = CliRunner().invoke(cli, [*args, "--reception", str(sites), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = data_of((out / "map.html").read_text())
    table = pd.read_csv(out / "candidates.csv")
    j = [c["key"] for c in data["crit"]].index("reception")
    crit = data["crit"][j]
    assert crit["assessed"] and crit["curve"]
    assert crit["measure"] == "pressure"  # the default: scored on a value, shown next to it
    assert np.allclose(data["cand"]["v"][j], table["value_reception"].round(1), equal_nan=True)
    assert data["reception"]["name"] == ["AZC <Delft>", "Klein"]
    assert data["reception"]["cap"] == [300, 40]
    assert data["meta"]["reception_file"] == "azc.csv"


def _reference_polygons(geom, scale: float) -> list[list[list[int]]]:
    """The plain per-geometry encoder that ``encode_polygons`` replaces (kept as the reference):
    polygons -> rings -> delta-coded [x0, y0, dx1, dy1, ...], closing point dropped."""
    if geom is None or geom.is_empty:
        return []
    out = []
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type != "Polygon":
            continue
        rings = []
        for ring in (part.exterior, *part.interiors):
            xy = np.round(np.asarray(ring.coords)[:-1, :2] * scale).astype(np.int64)
            if len(xy) >= 3:
                rings.append(np.diff(xy, axis=0, prepend=[[0, 0]]).ravel().tolist())
        if rings:
            out.append(rings)
    return out


def _awkward_shapes(footprints: np.ndarray) -> list:
    """Real footprints combined into multipolygons and collections, plus empties, non-polygons,
    3D coordinates and a polygon with a hole cut into it."""
    parts = shapely.get_parts(footprints)
    with_hole = next(p for p in parts if p.area > 2e-9)
    with_hole = with_hole.difference(with_hole.centroid.buffer(with_hole.length / 40))
    return [
        shapely.MultiPolygon(list(parts[:3])),
        shapely.MultiPolygon([with_hole, parts[5]]),
        shapely.GeometryCollection(
            [parts[6].centroid, parts[7], shapely.MultiPolygon(parts[8:10])]
        ),
        shapely.force_3d(parts[10], 7.5),
        shapely.Polygon([(4.0, 52.0), (4.00001, 52.0), (4.0, 52.00001)]),  # a bare triangle
        parts[11].exterior,
        shapely.Point(4, 52),
        shapely.Polygon(),
        shapely.MultiPolygon(),
        shapely.GeometryCollection(),
        None,
    ]


@pytest.mark.parametrize("fixture", ["helsinki_result", "delft_result"])
def test_polygon_encoding_equals_the_plain_reference(fixture, request):
    result = request.getfixturevalue(fixture)
    real = gpd.GeoSeries(result.candidates.geometry.values, crs=result.crs).to_crs(WGS84).values
    geoms = [*real, *_awkward_shapes(real)]
    if fixture == "helsinki_result":  # real footprints with holes are part of the test
        assert (shapely.get_num_interior_rings(shapely.get_parts(real)) > 0).sum() > 10
    for scale in (webmap.SHAPE_SCALE, webmap.OUTLINE_SCALE):
        got = webmap.encode_polygons(geoms, scale)
        assert script_json(got) == script_json([_reference_polygons(g, scale) for g in geoms])
    assert webmap.encode_polygons([], 1e6) == []


def test_footprints_in_the_map_equal_the_plain_reference(helsinki_result):
    data = render_map_data(helsinki_result, MapOptions(footprints=10**6))
    cands = helsinki_result.candidates.sort_values(["rank", "candidate_id"], kind="stable")
    simple = gpd.GeoSeries(shapely.simplify(cands.geometry.values, 0.5), crs=cands.crs)
    expected = []
    for i, geom in enumerate(simple.to_crs(WGS84).values):
        if polys := _reference_polygons(geom, webmap.SHAPE_SCALE):
            expected.append([i, polys])
    assert script_json(data["cand"]["fp"]) == script_json(expected)
    assert len(expected) == len(cands)


def test_extra_columns_and_highlight_set_reach_the_page(helsinki_result):
    cands = helsinki_result.candidates.sort_values(["rank", "candidate_id"])
    ids = list(cands["candidate_id"].astype(str).iloc[[5, 0, 3]])
    result = dataclasses.replace(
        helsinki_result, candidates=helsinki_result.candidates.assign(note_x=None)
    )
    result = with_candidates(result, note_x=["a", "<b>"])
    options = MapOptions(
        extra_columns=(
            webmap.PanelColumn("suitability", "Extra getal", "Extra number", 1),
            webmap.PanelColumn("note_x", "Extra tekst", "Extra text"),
        ),
        highlight=webmap.Highlight(tuple(ids), "Selectie", "Selection"),
    )
    data = render_map_data(result, options)
    number, words = data["extra"]
    assert number["label"] == "Extra getal" and words["label"] == "Extra tekst"
    assert number["v"] == [round(float(s), 1) for s in cands["suitability"]]
    assert words["v"][:3] == ["a", "<b>", None]
    assert data["highlight"] == {"label": "Selectie", "idx": [5, 0, 3]}
    blurred = render_map_data(result, dataclasses.replace(options, blur_m=250, lang="en"))
    assert [x["label"] for x in blurred["extra"]] == ["Extra number"]  # no text when blurred
    with pytest.raises(ValueError, match="not in the result: nope"):
        render_map_data(result, MapOptions(highlight=webmap.Highlight(("nope",), "a", "b")))


CVD = ("protanomaly", "deuteranomaly", "tritanomaly")


def _simulated(colours: list[str], cvd: str) -> np.ndarray:
    """sRGB (0-1) of ``colours`` as seen with full (severity 100) protanopia, deuteranopia or
    tritanopia: colorspacious's implementation of Machado, Oliveira & Fernandes (2009)."""
    colorspacious = pytest.importorskip("colorspacious")
    rgb = np.array([[int(c[k : k + 2], 16) / 255 for k in (1, 3, 5)] for c in colours])
    space = {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}
    return np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0, 1)


@pytest.mark.parametrize("cvd", CVD)
def test_suitability_classes_stay_apart_and_in_order_for_colour_blind_readers(cvd):
    colorspacious = pytest.importorskip("colorspacious")
    colours = [c[1] for c in webmap.CLASSES]  # best first
    seen = _simulated([*colours, webmap.FAIL_COLOUR], cvd)
    delta = colorspacious.deltaE  # CAM02-UCS colour difference
    for a, b in zip(seen[:-2], seen[1:-1], strict=True):  # adjacent classes
        assert delta(a, b, input_space="sRGB1") >= 15
    for a in seen[:-1]:  # every class against the grey of failing candidates
        assert delta(a, seen[-1], input_space="sRGB1") >= 15
    # the order of the classes is kept in lightness alone (best = lightest)
    lightness = colorspacious.cspace_convert(seen[:-1], "sRGB1", "CAM02-UCS")[:, 0]
    assert (np.diff(lightness) < -10).all(), lightness


def test_the_old_red_to_green_scale_fails_that_check():
    """The check above can fail: the red-yellow-green scale loses its order without hue."""
    colorspacious = pytest.importorskip("colorspacious")
    old = ["#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c"]
    lightness = colorspacious.cspace_convert(_simulated(old, "deuteranomaly"), "sRGB1", "CAM02-UCS")
    assert not (np.diff(lightness[:, 0]) < -10).all()


def test_facility_symbols_are_shapes_in_neutral_colours(page):
    data = data_of(page)
    shapes = [c["shape"] for c in data["crit"]]
    assert len(set(shapes)) == len(shapes)  # one shape per criterion
    assert all("colour" not in c for c in data["crit"])
    js = assets.own("map.js")
    symbols = js[js.index("const SHAPES") : js.index("function swatchHtml")]
    assert set(re.findall(r"#[0-9a-fA-F]{3,6}\b", symbols)) <= {"#1b1b1b", "#fff"}


def test_title_and_noscript_note_in_the_map_language(helsinki_result):
    dutch = render_map(helsinki_result, MapOptions())
    assert "<noscript>Deze kaart heeft JavaScript nodig.</noscript>" in dutch
    assert "This map needs" not in dutch
    english = render_map(helsinki_result, MapOptions(lang="en", title="Council <proposal> 2027"))
    assert "<noscript>This map needs JavaScript.</noscript>" in english
    assert "<title>Council &lt;proposal&gt; 2027</title>" in english
    assert data_of(english)["title"] == "Council <proposal> 2027"


@pytest.mark.slow  # its own full runs for one option
def test_title_from_the_command_line_and_the_config(helsinki_pbf, tmp_path):
    out = tmp_path / "run"
    args = ["-q", "score", "--osm", str(helsinki_pbf), "--title", "Kaart voor de raad"]
    res = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "<title>Kaart voor de raad</title>" in page
    assert json.loads((out / "run.json").read_text())["config"]["map"]["title"] == (
        "Kaart voor de raad"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("[map]\ntitle = 5\n")
    with pytest.raises(ConfigError, match="map.title = 5 must be text"):
        load_config(bad)


# --- batch overview (index.html) -----------------------------------------------------------------


def overview_regions() -> gpd.GeoDataFrame:
    """Three real Dutch municipalities with made-up batch figures, one failed, one hostile name."""
    from tests.conftest import NL

    path = NL / "gemeenten_2022.geojson"
    if not path.is_file():
        pytest.skip(f"needs {path} (the project's shared data next to the repo, ../shared)")
    codes = ["GM0503", "GM1926", "GM0518"]
    frame = gpd.read_file(path)
    frame = frame[frame["statcode"].isin(codes)].set_index("statcode").loc[codes].reset_index()
    return gpd.GeoDataFrame(
        {
            "region_id": codes,
            "region_name": ["Delft", HOSTILE, "'s-Gravenhage"],
            "status": ["ok", "no candidates", "ok"],
            "candidates": [1063, 0, 5000],
            "passing": [867, 0, 4000],
            "best_suitability": [92.0, np.nan, 71.5],
            "median_suitability": [63.2, np.nan, 35.0],
            "reason": [None, "no buildings in the region", None],
            "map": ["regions/GM0503/map.html", None, "regions/GM0518/map.html"],
        },
        geometry=frame.geometry.values,
        crs=frame.crs,
    )


def test_overview_page_is_self_contained_and_holds_every_region():
    from geoschikt.outputs.overview import render_overview

    page = render_overview(overview_regions(), source="gemeenten_2022.geojson")
    urls = set(re.findall(r"[a-z]+://[^\s\"'()<>;]+", page))
    assert urls <= ALLOWED_URLS, urls - ALLOWED_URLS
    assert re.search(r"<script[^>]*\bsrc=", page) is None and "folium" not in page.lower()
    assert "<noscript>Deze kaart heeft JavaScript nodig.</noscript>" in page
    data = data_of(page)
    assert data["regions"]["name"][1] == HOSTILE  # as data, shown as text by the script
    assert data["regions"]["map"] == ["regions/GM0503/map.html", None, "regions/GM0518/map.html"]
    assert data["regions"]["median"] == [63.2, None, 35.0]
    assert [len(s) for s in data["regions"]["shape"]] == [1, 1, 1] or all(data["regions"]["shape"])


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "https://evil.example/x", "/etc/x", "../x"]
)
def test_overview_refuses_links_that_leave_the_batch(link):
    from geoschikt.outputs.overview import render_overview

    regions = overview_regions().assign(map=link)
    with pytest.raises(ValueError, match="not a relative path inside the batch"):
        render_overview(regions)
