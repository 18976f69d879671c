"""The Delft map in a real browser (headless Chromium, network disabled): it renders, shows one
shape per candidate, explains a candidate on click, and runs nothing from hostile names."""

from __future__ import annotations

import dataclasses
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geoschikt.geo import WGS84
from geoschikt.outputs import webmap, write_outputs
from geoschikt.outputs.webmap import MapOptions, write_map
from geoschikt.pipeline import ScoreResult
from geoschikt.testing.browser import Browser, chromium_path
from tests.test_map import BREAKOUT, HOSTILE, with_balance

pytestmark = [
    pytest.mark.browser,
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
        d = row[f"dist_{crit.key}_m"]
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
def delft_runs(delft_pbf, tmp_path_factory):
    """A real Delft run made with the CLI and the same run re-scored with other weights by
    `geoschikt rescore` (the reference for the page's live weights)."""
    from click.testing import CliRunner

    from geoschikt.cli import cli

    base = tmp_path_factory.mktemp("weights")
    run, rescored = base / "run", base / "rescored"
    runner = CliRunner()
    res = runner.invoke(cli, ["-q", "score", "--osm", str(delft_pbf), "--out", str(run)])
    assert res.exit_code == 0, res.output
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
    assert page.evaluate(f"geoschikt.setWeights({json.dumps(NEW_WEIGHTS)})") == NEW_WEIGHTS
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
        "(() => { const r = document.querySelector('.gs-reset').getBoundingClientRect();"
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
