"""The Delft map in a real browser (headless Chromium, network disabled): it renders, shows one
shape per candidate, explains a candidate on click, and runs nothing from hostile names."""

from __future__ import annotations

import dataclasses
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoschikt.geo import WGS84
from geoschikt.notes import off_network
from geoschikt.outputs import webmap, write_outputs
from geoschikt.outputs.webmap import MapOptions, write_map
from geoschikt.pipeline import ScoreResult
from geoschikt.testing.browser import Browser, chromium_path
from tests.test_map import BREAKOUT, HOSTILE, with_balance

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # a headless Chromium per module, pages rendered and scripted
    pytest.mark.skipif(
        chromium_path() is None,
        reason="needs Chromium at /usr/bin/chromium (apt-get install chromium) "
        "or $GEOSCHIKT_CHROMIUM",
    ),
]

READY = "document.documentElement.dataset.gsReadyMs"
TILES = "https://tile.openstreetmap.org/"


@pytest.fixture(scope="module")
def browser():
    with Browser(offline=True) as b:
        yield b


def hostile(result: ScoreResult) -> ScoreResult:
    """``result`` with script payloads as the names (the panel heading) and addresses of the
    two best candidates, as the nearest stop of the best one and as the name of a feature."""
    cands = result.candidates.sort_values(["rank", "candidate_id"]).copy()
    for column, values in (
        ("name", [HOSTILE, BREAKOUT]),
        ("address", [BREAKOUT, HOSTILE]),
        ("nearest_transit", [HOSTILE]),
    ):
        cands[column] = cands[column].astype(object)
        for i, value in enumerate(values):
            cands.iloc[i, cands.columns.get_loc(column)] = value
    pois = result.pois.copy()
    pois["name"] = pois["name"].astype(object)
    pois.iloc[0, pois.columns.get_loc("name")] = HOSTILE
    return dataclasses.replace(result, candidates=cands, pois=pois)


@pytest.fixture(scope="module")
def delft_out(delft_result, tmp_path_factory):
    out = tmp_path_factory.mktemp("map") / "delft"
    write_outputs(hostile(delft_result), out)
    return out


@pytest.fixture
def open_map(browser):
    pages = []

    def opener(path, ready=READY, width=1280, height=800):
        page = browser.new_page(width, height)
        pages.append(page)
        page.open(path, ready=ready)
        return page

    yield opener
    for page in pages:
        page.close()


def click_candidate(page, i: int, zoom: int = 19) -> None:
    """Zoom onto candidate ``i`` and click it with the mouse."""
    page.evaluate(f"geoschikt.map.setView(geoschikt.latLng({i}), {zoom}, {{animate: false}}), 1")
    page.browser.pump(0.2)
    x, y = page.evaluate(
        f"""(() => {{
        const p = geoschikt.map.latLngToContainerPoint(geoschikt.latLng({i}));
        const r = geoschikt.map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }})()"""
    )
    page.click(x, y)


def text(page, selector: str) -> str:
    return page.evaluate(f"document.querySelector({selector!r}).textContent")


def test_map_renders_offline_with_title_legend_layers_and_attribution(
    open_map, delft_out, delft_result
):
    page = open_map(delft_out / "map.html")
    assert page.console_errors == []
    assert page.evaluate("document.querySelectorAll('.leaflet-container').length") == 1
    meta = text(page, "#gs-meta")
    assert delft_result.provenance["area"]["name"] in meta
    assert "tudelft.osm.pbf" in meta and "augustus 2025" in meta and "default.toml" in meta
    legend = text(page, "#gs-legend")
    assert "zeer geschikt" in legend and "voldoet niet aan een harde eis" in legend
    assert "© OpenStreetMap contributors" in text(page, ".leaflet-control-attribution")
    overlays = page.evaluate(
        "[...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
        ".map(l => l.textContent.trim())"
    )
    for label in ("Kandidaten die aan", "Bus-, tram- of treinhalte", "Supermarkt", "Gebiedsgrens"):
        assert any(o.startswith(label) for o in overlays), overlays
    ticked = dict(
        page.evaluate(
            "[...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
            ".map(l => [l.textContent.trim(), l.querySelector('input').checked])"
        )
    )
    drawn = {  # facilities residents walk to in the total: drawn; the others listed, not drawn
        c.label_nl: c.weight > 0 and c.direction == "towards" for c in delft_result.config.criteria
    }
    for label, on in ticked.items():
        crit = next((k for k in drawn if label.startswith(k + " (")), None)
        if crit is not None:
            assert on == drawn[crit], (label, on)
    assert any(label.startswith("Open water (") and not on for label, on in ticked.items())
    assert any(label.startswith("Speeltuin (") and not on for label, on in ticked.items())
    assert not any(label.startswith("Apotheek (") for label in ticked)  # none in the data
    # nothing but the page itself and background tiles was even requested
    external = [u for u in page.requests if not u.startswith(("file:", "data:", "about:"))]
    assert all(u.startswith(TILES) for u in external), external
    assert page.evaluate("document.querySelector('.gs-offline') !== null")  # tiles failed


def test_one_shape_per_candidate_written(open_map, delft_out):
    table = pd.read_csv(delft_out / "candidates.csv")
    page = open_map(delft_out / "map.html")
    assert page.evaluate("document.querySelectorAll('path.gs-cand').length") == len(table)
    failing = page.evaluate("document.querySelectorAll('path.gs-cand.gs-fail').length")
    assert failing == int((~table["passes"]).sum()) > 0


def test_click_shows_the_breakdown(open_map, delft_out, delft_result):
    table = pd.read_csv(delft_out / "candidates.csv")  # sorted by rank: row i is candidate i
    page = open_map(delft_out / "map.html")
    i = 2
    click_candidate(page, i)
    row = table.iloc[i]
    detail = text(page, "#gs-detail")
    assert f"Rang {row['rank']} van" in detail
    assert f"Geschiktheid {row['suitability']:.0f} van 100" in detail
    assert ("Voldoet aan alle harde eisen." in detail) == bool(row["passes"])
    cells = page.evaluate(
        "[...document.querySelectorAll('#gs-detail tbody tr')]"
        ".map(tr => [...tr.cells].map(td => td.textContent))"
    )
    criteria = delft_result.config.criteria
    assert len(cells) == len(criteria)
    for crit, (label, distance, score, weight, limit) in zip(criteria, cells, strict=True):
        assert label.startswith(crit.label_nl)
        d = row.get(f"dist_{crit.key}_m")  # counts and shares have no distance
        if pd.notna(d) and crit.measure == "distance":
            assert int(re.sub(r"\D", "", distance)) == round(d)
            assert score == f"{row[f'score_{crit.key}']:.0f}"
        assert weight == f"{crit.weight:g}"
        if crit.max_m is not None:
            failed = f"{crit.key}:" in str(row["fails"])
            assert limit.endswith("voldoet niet" if failed else "voldoet")
    assert "niet beoordeeld: geen apotheek in de data" in detail  # no pharmacy in the extract


def test_hostile_names_are_shown_as_text_and_run_nothing(open_map, delft_out):
    page = open_map(delft_out / "map.html")
    title = page.evaluate("document.title")
    assert title.startswith("Geschiktheid voor kleinschalige opvang")
    click_candidate(page, 0)
    assert text(page, "#gs-detail h2") == HOSTILE
    assert f"dichtstbij: {HOSTILE}" in text(page, "#gs-detail tbody")
    assert HOSTILE in text(page, ".leaflet-tooltip")  # the mouse is over the candidate
    click_candidate(page, 1)
    assert text(page, "#gs-detail h2") == BREAKOUT
    page.evaluate(
        "geoschikt.map.eachLayer(l => l.gsName && l.fire('mouseover', {latlng: l.getLatLng()})), 1"
    )
    page.browser.pump(0.3)
    assert page.evaluate("document.title") == title
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"], #gs-app script').length") == 0
    assert page.dialogs == [] and page.console_errors == []


def test_many_candidates_are_drawn_on_a_canvas_and_stay_clickable(
    open_map, delft_result, tmp_path, monkeypatch
):
    monkeypatch.setattr(webmap, "SVG_MAX", 100)
    path = tmp_path / "map.html"
    write_map(delft_result, path)
    page = open_map(path)
    assert page.evaluate("document.querySelectorAll('path.gs-cand').length") == 0
    assert page.evaluate("document.querySelectorAll('canvas.gs-points').length") == 2
    assert page.evaluate("geoschikt.count") == len(delft_result.candidates)
    click_candidate(page, 0)
    assert "Rang 1 van" in text(page, "#gs-detail")


def test_blurred_english_map_hides_ids_and_footprints(open_map, delft_result, tmp_path):
    path = tmp_path / "map.html"
    write_map(delft_result, path, MapOptions(lang="en", blur_m=250))
    page = open_map(path)
    assert "blurred to squares of 250 m" in text(page, "#gs-meta")
    n = len(delft_result.candidates)
    assert page.evaluate("document.querySelectorAll('path.gs-cand').length") == n
    assert page.evaluate("document.querySelectorAll('path.gs-fp').length") == 0
    click_candidate(page, 0, zoom=16)
    detail = text(page, "#gs-detail")
    assert "Rank 1 of" in detail and "Also in this 250 m square" in detail
    assert re.search(r"(way|node|relation)/\d", page.evaluate("document.body.innerText")) is None
    # weights on a blurred map: from the table's rounded scores (exact ones would give away
    # distances), said on the page, within 0.1 of a weighted mean of the rounded scores
    assert "may differ by 0.1" in text(page, "#gs-weights")
    weights = {c.key: float(i % 3 + 1) for i, c in enumerate(delft_result.config.criteria)}
    weights = {k: w for k, w in weights.items() if k in page.evaluate("geoschikt.weights()")}
    page.evaluate(f"geoschikt.setWeights({json.dumps(weights)}), 1")
    live = page.evaluate("geoschikt.suitability()")  # keyed by position: no ids on this map
    table = delft_result.candidates.sort_values(["rank", "candidate_id"])
    total = sum(weights.values())
    expected = sum(w * table[f"score_{k}"].to_numpy() for k, w in weights.items()) / total
    got = [live[str(i)] for i in range(len(table))]
    assert abs(pd.Series(got) - expected).max() <= 0.1


def test_balance_choropleth_can_be_switched_on(open_map, delft_result, tmp_path):
    left, bottom, right, top = delft_result.area.total_bounds
    mid = (left + right) / 2
    balance = gpd.GeoDataFrame(
        {
            "statcode": ["GM0503", "GM1926"],
            "statnaam": ["Delft", "Pijnacker-Nootdorp"],
            "places_per_1000": [3.1, 0.0],
            "reference_date": ["2016-01-01"] * 2,
        },
        geometry=[shapely.box(left, bottom, mid, top), shapely.box(mid, bottom, right, top)],
        crs=WGS84,
    )
    path = tmp_path / "map.html"
    write_map(with_balance(delft_result, balance), path)
    page = open_map(path)
    assert "CBS" in text(page, ".leaflet-control-attribution")
    assert "Opvangplaatsen per 1000 inwoners" in text(page, "#gs-explain")
    assert page.evaluate("document.querySelectorAll('path.gs-balance').length") == 0  # off
    # with many criteria the layer list starts collapsed: open it first, as a reader would
    x, y = page.evaluate(
        """(() => {
        const r = document.querySelector('.leaflet-control-layers-toggle').getBoundingClientRect();
        return [r.left + r.width / 2, r.top + r.height / 2];
    })()"""
    )
    page.click(x, y)
    x, y = page.evaluate(
        """(() => {
        const label = [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
            .find(l => l.textContent.includes('Opvangplaatsen per 1000'));
        const r = label.querySelector('input').getBoundingClientRect();
        return [r.left + r.width / 2, r.top + r.height / 2];
    })()"""
    )
    page.click(x, y)
    assert page.evaluate("document.querySelectorAll('path.gs-balance').length") == 2


def test_cdn_variant_offline_says_what_is_missing(open_map, delft_result, tmp_path):
    path = tmp_path / "map.html"
    write_map(delft_result, path, MapOptions(assets="cdn"))
    page = open_map(path, ready="!!document.querySelector('.gs-error')")
    assert "--cdn" in text(page, ".gs-error")
    external = [u for u in page.requests if not u.startswith(("file:", "data:", "about:"))]
    assert external and all(u.startswith("https://unpkg.com/leaflet@") for u in external)


def test_extra_columns_and_highlight_layer_show_in_the_page(open_map, delft_result, tmp_path):
    cands = delft_result.candidates.sort_values(["rank", "candidate_id"])
    ids = tuple(cands["candidate_id"].astype(str).iloc[[4, 2]])
    options = MapOptions(
        extra_columns=(webmap.PanelColumn("suitability", "Nog een getal", "Another number", 1),),
        highlight=webmap.Highlight(ids, "Gekozen locaties", "Chosen sites"),
    )
    path = tmp_path / "map.html"
    write_map(delft_result, path, options)
    page = open_map(path)
    assert page.evaluate("[...document.querySelectorAll('.gs-set')].map(e => e.textContent)") == [
        "1",
        "2",
    ]
    overlays = page.evaluate(
        "[...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
        ".map(l => l.textContent.trim())"
    )
    assert "Gekozen locaties (2)" in overlays
    click_candidate(page, 2)
    detail = text(page, "#gs-detail")
    assert "Nr. 2 in ‘Gekozen locaties’" in detail
    expected = f"{cands['suitability'].iloc[2]:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    assert text(page, ".gs-extra") == "Nog een getal" + expected
    assert page.console_errors == []


# --- live weights, top list ---------------------------------------------------------------------

# pharmacy is not assessed on the extract (none in the data): the page refuses a weight for it
NEW_WEIGHTS = {"transit": 1.0, "school": 4.5, "supermarket": 0.5, "gp": 2.0, "water": 0.0}


@pytest.fixture(scope="module")
def delft_runs(delft_run_dir, tmp_path_factory):
    """A real Delft run (shared, read-only) and the same run re-scored with other weights by
    `geoschikt rescore` (the reference for the page's live weights)."""
    from click.testing import CliRunner

    from geoschikt.cli import cli

    base = tmp_path_factory.mktemp("weights")
    run, rescored = delft_run_dir, base / "rescored"
    runner = CliRunner()
    config = base / "weights.toml"
    config.write_text(
        "".join(f"[criteria.{k}]\nweight = {w}\n" for k, w in NEW_WEIGHTS.items()),
        encoding="utf-8",
    )
    res = runner.invoke(
        cli, ["-q", "rescore", str(run), "--config", str(config), "--out", str(rescored)]
    )
    assert res.exit_code == 0, res.output
    return run, rescored


def test_live_weights_equal_geoschikt_rescore_for_every_candidate(open_map, delft_runs):
    run, rescored = delft_runs
    before = pd.read_csv(run / "candidates.csv", dtype={"candidate_id": str})
    after = pd.read_csv(rescored / "candidates.csv", dtype={"candidate_id": str})
    page = open_map(run / "map.html")
    official = page.evaluate("geoschikt.suitability()")
    assert official == dict(zip(before["candidate_id"], before["suitability"], strict=True))
    weights = page.evaluate(f"geoschikt.setWeights({json.dumps(NEW_WEIGHTS)})")
    assert {k: weights[k] for k in NEW_WEIGHTS} == NEW_WEIGHTS  # the others keep the run's
    live = pd.Series(page.evaluate("geoschikt.suitability()"))
    expected = after.set_index("candidate_id")["suitability"]
    assert (
        len(live) == len(expected) and (after["suitability"] != before["suitability"]).sum() > 100
    )
    diff = (live[expected.index] - expected).abs()
    assert diff.max() <= 0.05, diff.sort_values().tail()
    assert (diff == 0).all()  # the page's weighted mean is Python's, bit for bit
    ranks = pd.Series(page.evaluate("geoschikt.ranks()"))
    assert (ranks[after["candidate_id"]].to_numpy() == after["rank"].to_numpy()).all()
    # the top list is the CSV's order, with the new weights
    top = page.evaluate(
        "[...document.querySelectorAll('#gs-toplist .gs-topitem')]"
        ".map(b => [b.querySelector('.gs-toprank').textContent, b.querySelector('.gs-topsuit').textContent])"
    )
    assert [r for r, _ in top] == [f"#{r}" for r in after["rank"].head(10)]
    assert [s for _, s in top] == [f"{s:.0f}" for s in after["suitability"].head(10)]
    assert "niet de officiële uitkomst" in text(page, "#gs-legend")
    # the weights are kept in the URL: a fresh page with that address shows the same
    url = page.evaluate("location.href")
    assert "#w=" in url
    again = open_map(run / "map.html")
    again.call("Page.navigate", {"url": url})
    again.wait_for(
        "document.documentElement.dataset.gsReadyMs && geoschikt.weights().school === 4.5"
    )
    assert again.evaluate("geoschikt.suitability()") == page.evaluate("geoschikt.suitability()")
    # reset: the run's own result again
    x, y = page.evaluate(
        "(() => { const b = document.querySelector('.gs-reset'); b.scrollIntoView();"
        " const r = b.getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    page.click(x, y)
    assert page.evaluate("geoschikt.suitability()") == official
    assert "#w=" not in page.evaluate("location.href")
    assert page.console_errors == []


def test_doubled_weights_recompute_the_run_exactly(open_map, delft_runs):
    """The same shares through the page's own arithmetic give the CSV's numbers."""
    run, _ = delft_runs
    table = pd.read_csv(run / "candidates.csv", dtype={"candidate_id": str})
    page = open_map(run / "map.html")
    doubled = {k: 2 * v for k, v in page.evaluate("geoschikt.weights()").items()}
    page.evaluate(f"geoschikt.setWeights({json.dumps(doubled)})")
    assert page.evaluate("geoschikt.suitability()") == dict(
        zip(table["candidate_id"], table["suitability"], strict=True)
    )
    ranks = page.evaluate("geoschikt.ranks()")
    assert [ranks[c] for c in table["candidate_id"]] == table["rank"].tolist()


# --- layouts: phone and paper ---------------------------------------------------------------------


def boxes(page, selectors: dict[str, str]) -> dict[str, dict]:
    """Bounding boxes (viewport pixels) of the first element of each selector that is shown."""
    return page.evaluate(
        f"""(() => {{
        const out = {{}};
        for (const [name, sel] of Object.entries({json.dumps(selectors)})) {{
            const e = document.querySelector(sel);
            const r = e ? e.getBoundingClientRect() : null;
            out[name] = r && r.width > 0 && r.height > 0
                ? {{left: r.left, top: r.top, right: r.right, bottom: r.bottom}} : null;
        }}
        return out;
    }})()"""
    )


def overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


def inside(a: dict, b: dict) -> bool:
    return (
        a["left"] >= b["left"] - 0.5
        and a["right"] <= b["right"] + 0.5
        and a["top"] >= b["top"] - 0.5
        and a["bottom"] <= b["bottom"] + 0.5
    )


def area(a: dict) -> float:
    return (a["right"] - a["left"]) * (a["bottom"] - a["top"])


def test_phone_layout_map_legend_and_bottom_sheet_do_not_overlap(open_map, delft_runs, tmp_path):
    run, _ = delft_runs
    page = open_map(run / "map.html", width=390, height=844)
    page.wait_for("!!document.querySelector('.gs-offline')")  # the tiles failed: note shown
    page.screenshot(tmp_path / "phone.png")
    b = boxes(
        page,
        {
            "map": "#gs-map",
            "sheet": "#gs-side",
            "legend": "#gs-legend",
            "layers": ".leaflet-control-layers",
            "offline": ".gs-offline",
            "zoom": ".leaflet-control-zoom",
        },
    )
    view = {"left": 0, "top": 0, "right": 390, "bottom": 844}
    assert all(b[k] is not None for k in b), b
    assert not overlap(b["map"], b["sheet"]) and inside(b["sheet"], view)
    assert area(b["map"]) > 0.45 * area(view)  # the map keeps half the screen
    controls = ["legend", "layers", "offline", "zoom"]
    for k in controls:
        assert inside(b[k], b["map"]), k
    for i, k in enumerate(controls):
        for other in controls[i + 1 :]:
            assert not overlap(b[k], b[other]), (k, other)
    # the legend starts folded, the offline note is one small line
    assert not page.evaluate("document.getElementById('gs-legend').open")
    assert area(b["legend"]) + area(b["offline"]) < 0.06 * area(b["map"])
    # a chosen candidate's breakdown is scrolled into the sheet's view, not below the fold
    page.evaluate("geoschikt.show(3), 1")
    page.browser.pump(0.3)
    page.screenshot(tmp_path / "phone-detail.png")
    shown = boxes(page, {"name": "#gs-detail h2", "sheet": "#gs-side"})
    assert inside(shown["name"], shown["sheet"]), shown
    # the sheet can be pulled up
    sheet_before = b["sheet"]["top"]
    page.evaluate("document.querySelector('.gs-sheet-toggle').click(), 1")
    page.browser.pump(0.3)
    assert boxes(page, {"sheet": "#gs-side"})["sheet"]["top"] < sheet_before - 200
    assert page.console_errors == []


def test_print_layout_a4_landscape(open_map, delft_runs, tmp_path):
    run, _ = delft_runs
    page = open_map(run / "map.html", width=1123, height=794)  # A4 landscape at 96 dpi
    page.evaluate("geoschikt.setWeights({school: 5}), 1")  # an exploration is said on paper too
    page.call("Emulation.setEmulatedMedia", {"media": "print"})
    page.browser.pump(0.5)
    page.screenshot(tmp_path / "print.png")
    b = boxes(
        page,
        {
            "map": "#gs-map",
            "title": "#gs-title",
            "meta": "#gs-meta",
            "legend": "#gs-print-legend",
            "top": "#gs-top",
            "layers": ".leaflet-control-layers",
            "zoom": ".leaflet-control-zoom",
            "map_legend": "#gs-legend",
            "weights": "#gs-weights",
            "search": "#gs-search",
        },
    )
    for hidden in ("layers", "zoom", "map_legend", "weights", "search"):
        assert b[hidden] is None, hidden  # no controls over the map, no inputs on paper
    page_box = {"left": 0, "top": 0, "right": 281 * 96 / 25.4, "bottom": 192 * 96 / 25.4 + 1}
    shown = ["map", "title", "meta", "legend", "top"]
    for k in shown:
        assert b[k] is not None and inside(b[k], page_box), (k, b[k])
    for k in ("title", "meta", "legend", "top"):
        assert not overlap(b[k], b["map"]), k
    for i, k in enumerate(shown[2:]):
        for other in shown[3 + i :]:
            assert not overlap(b[k], b[other]), (k, other)
    assert len(page.evaluate("[...document.querySelectorAll('#gs-toplist li')]")) == 10
    assert "niet de officiële uitkomst" in text(page, "#gs-print-legend")
    # the map was fitted to its paper size: every candidate lies in the map's box
    assert (
        page.evaluate(
            "(() => { const m = geoschikt.map; const s = m.getSize(); let out = 0;"
            " for (let i = 0; i < geoschikt.count; i++) { const p = m.latLngToContainerPoint("
            "geoschikt.latLng(i)); if (p.x < 0 || p.y < 0 || p.x > s.x || p.y > s.y) out++; }"
            " return out; })()"
        )
        == 0
    )
    # and it prints on one A4 landscape page
    pdf = page.call("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
    data = __import__("base64").b64decode(pdf["data"])
    (tmp_path / "map.pdf").write_bytes(data)
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    assert page.console_errors == []


def test_overview_page_renders_offline(open_map, tmp_path):
    from geoschikt.outputs.overview import write_overview_map
    from tests.test_map import overview_regions

    path = tmp_path / "index.html"
    write_overview_map(overview_regions(), path, source="gemeenten_2022.geojson")
    page = open_map(path)
    page.wait_for("!!document.querySelector('.gs-offline')")
    page.screenshot(tmp_path / "overview.png")
    assert page.console_errors == [] and page.dialogs == []
    external = [u for u in page.requests if not u.startswith(("file:", "data:", "about:"))]
    assert all(u.startswith(TILES) for u in external), external
    fills = page.evaluate(
        "[...document.querySelectorAll('path.gs-region')].map(p => p.getAttribute('fill'))"
    )
    assert fills == ["#5ec962", "#ffffff", "#3b528b"]  # median 63.2, none, 35.0
    rows = page.evaluate(
        "[...document.querySelectorAll('#gs-regions tbody tr')].map(tr => "
        "[tr.cells[0].textContent, tr.querySelector('a') && tr.querySelector('a').getAttribute('href')])"
    )
    assert rows == [
        ["Delft", "regions/GM0503/map.html"],
        ["'s-Gravenhage", "regions/GM0518/map.html"],
        [HOSTILE, None],
    ]
    assert page.evaluate("document.title") == "Overzicht per regio"
    page.evaluate("geoschikt.colourBy('best'), 1")
    fills = page.evaluate(
        "[...document.querySelectorAll('path.gs-region')].map(p => p.getAttribute('fill'))"
    )
    assert fills == ["#fde725", "#ffffff", "#5ec962"]  # best 92, none, 71.5


def off_network_at(result: ScoreResult, i: int) -> ScoreResult:
    """``result`` with candidate ``i`` (in rank order) made SYNTHETICALLY off the walking
    network: transit unknown (more than 500 m from the walk network) and the count of daily
    facilities unknown, in the measurements and in the table alike."""
    cands = result.candidates.copy()  # in the order of the measurements
    row = cands.sort_values(["rank", "candidate_id"]).index[i]
    at = np.flatnonzero(cands.index == row)[0]
    measured = []
    for m in result.measured:
        if m.criterion.key == "transit":
            d = m.distance.copy()
            d[at] = np.nan
            m = dataclasses.replace(m, distance=d, why_unknown=off_network(500.0, "walk"))
        elif m.criterion.key == "daily_facilities":
            v = m.value.copy()
            v[at] = np.nan
            m = dataclasses.replace(m, value=v)
        measured.append(m)
    cands.loc[row, ["dist_transit_m", "value_daily_facilities"]] = np.nan
    return dataclasses.replace(result, candidates=cands, measured=tuple(measured))


def test_a_dutch_page_shows_dutch_notes_by_code(open_map, delft_result, tmp_path):
    crit = {c.key: c for c in delft_result.config.criteria}
    assert crit["daily_facilities"].measure == "count"
    i = 1
    result = off_network_at(delft_result, i)
    path = tmp_path / "map.html"
    write_map(result, path, MapOptions(lang="nl"))
    page = open_map(path)
    click_candidate(page, i)
    cells = {
        label: distance
        for label, distance, *_ in page.evaluate(
            "[...document.querySelectorAll('#gs-detail tbody tr')]"
            ".map(tr => [...tr.cells].map(td => td.textContent))"
        )
    }
    transit = next(v for k, v in cells.items() if k.startswith(crit["transit"].label_nl))
    daily = next(v for k, v in cells.items() if k.startswith(crit["daily_facilities"].label_nl))
    assert transit == "onbekend: meer dan 500 m van het netwerk"
    assert daily == "niet bij het netwerk"
    assert not any("network" in v or "within" in v for v in cells.values()), cells
