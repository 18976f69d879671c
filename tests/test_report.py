"""`geoschikt report`: a PDF and a self-contained HTML report of a real Delft run and a small
batch, checked with poppler (pdfinfo, pdftotext) against the run's own CSV read independently."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from geoschikt.cli import cli
from geoschikt.report.content import address, failed_keys, has_address

from .conftest import assert_one_clear_error

HOSTILE = '<script>alert(1)</script> & =HYPERLINK("http://evil.example") "Café"'
ADDRESS = "Oude Delft 95, 2611 BD Delft — Café ’t Hoekje"
GPKG = "candidates.gpkg"
LABELS_NL = (
    "Bus-, tram- of treinhalte",
    "Basisschool",
    "Supermarkt",
    "Huisarts of gezondheidscentrum",
    "Apotheek",
)


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"needs {tool} (Debian's poppler-utils)")
    return path


def pdf_text(path: Path) -> str:
    out = subprocess.run(
        [_need("pdftotext"), "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return re.sub(r"[ \u00a0]+", " ", out)


def pdf_pages(path: Path) -> int:
    info = subprocess.run(
        [_need("pdfinfo"), str(path)], check=True, capture_output=True, text=True
    ).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def digest(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


@pytest.fixture(scope="module")
def delft_run(delft_run_dir) -> Path:
    return delft_run_dir  # write_outputs(delft_result), shared; the report never writes in it


@pytest.fixture(scope="module")
def delft_report(delft_run, tmp_path_factory) -> tuple[Path, Path, dict]:
    before = digest(delft_run)
    out = tmp_path_factory.mktemp("rep") / "report"
    res = run("report", delft_run, "--out", out)
    assert res.exit_code == 0, res.output
    return delft_run, out, before


@pytest.fixture(scope="module")
def hostile_run(delft_run, tmp_path_factory) -> Path:
    """The Delft run with a hostile OSM name on the best site, an `address` column (as issue
    10 adds) on the second, and a made-up robustness.csv; run.json records the new hashes."""
    run_dir = tmp_path_factory.mktemp("rep") / "hostile"
    run_dir.mkdir()
    shutil.copy(delft_run / "distances.npz", run_dir / "distances.npz")
    gpkg = delft_run / "candidates.gpkg"
    csv = pd.read_csv(delft_run / "candidates.csv").sort_values(["rank", "candidate_id"])
    first, second = csv["candidate_id"].iloc[:2]
    shutil.copy(gpkg, run_dir / "candidates.gpkg")  # other layers (pois, area, styles) as they are
    frame = gpd.read_file(gpkg, layer="candidates")
    frame["address"] = np.where(frame["candidate_id"] == second, ADDRESS, None)
    frame.loc[frame["candidate_id"] == first, "name"] = HOSTILE
    frame.to_file(run_dir / "candidates.gpkg", layer="candidates")
    layers = [sorted(map(str, pyogrio.list_layers(p)[:, 0])) for p in (gpkg, run_dir / GPKG)]
    assert layers[0] == layers[1]
    record = json.loads((delft_run / "run.json").read_text(encoding="utf-8"))
    record["outputs"]["candidates.gpkg"]["sha256"] = digest(run_dir)["candidates.gpkg"]
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    pd.DataFrame(
        {
            "candidate_id": csv["candidate_id"].iloc[:12],
            "p_top": 0.873,
            "p_best": 0.13,
            "rank_p05": 1,
            "rank_median": 3,
            "rank_p95": 17,
        }
    ).to_csv(run_dir / "robustness.csv", index=False)
    return run_dir


def test_delft_report_pdf_opens_and_names_the_top_sites_criteria_and_osm(delft_report):
    run_dir, out, _ = delft_report
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.pdf"]
    assert pdf_pages(out / "report.pdf") >= 4
    text = pdf_text(out / "report.pdf")
    csv = pd.read_csv(run_dir / "candidates.csv").sort_values(["rank", "candidate_id"])
    top = csv.head(10)
    for row in top.itertuples():
        assert row.candidate_id in text  # no addresses in OSM for these: the id labels them
    for label in LABELS_NL:
        assert label in text
    assert "OpenStreetMap" in text and "© OpenStreetMap contributors" in text
    # numbers from the CSV, formatted the Dutch way
    assert f"{len(csv):,}".replace(",", ".") + " gebouwen beoordeeld" in text
    assert f"{int(csv['passes'].sum())} daarvan" in text
    best = top.iloc[0]
    assert f"{best.dist_transit_m:.0f} m" in text
    # the COA source of the transit limit, the not-assessed criterion and the data date
    assert "COA, Vastgoed voor" in text and "OV-halte binnen" in text
    assert "Bestaande opvang in de buurt: geen bestaande opvang opgegeven" in text  # in Dutch
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert record["osm_data_timestamp"][:10] in text and "SHA-256" in text
    assert record["inputs"][0]["sha256"] in text


def test_report_never_touches_the_run(delft_report):
    run_dir, _, before = delft_report
    assert digest(run_dir) == before
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(before)


def test_html_is_self_contained(delft_report):
    _, out, _ = delft_report
    html = (out / "report.html").read_text(encoding="utf-8")
    targets = re.findall(r"""(?:src|href|action|srcset)\s*=\s*["']?([^"'\s>]+)""", html, re.I)
    assert targets and all(t.startswith("data:image/png;base64,") for t in targets), targets
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, re.I)
    assert "url(" not in html and "@import" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "OpenStreetMap contributors" in html
    assert html.count("<img ") >= 3


def test_address_prefers_the_address_column_then_name_and_addr_tags():
    frame = pd.DataFrame(
        {
            "address": [None, "Markt 1, Delft", None, None],
            "name": ["Oude School", "ignored", None, " "],
            "addr:street": ["Laan", "x", "Kruisstraat", None],
            "addr:housenumber": ["3", "y", "12a", None],
            "addr:city": [None, None, "Delft", None],
        }
    )
    got = [address(row) for _, row in frame.iterrows()]
    assert got == ["Oude School, Laan 3", "Markt 1, Delft", "Kruisstraat 12a, Delft", ""]
    assert has_address(frame).tolist() == [bool(g) for g in got]


def test_hard_limit_reading_matches_the_distances(delft_run):
    """The report reads which limits a site misses from `fails`; the same from the distances
    and the configured max_m (missing distance: nothing within reach, so missed)."""
    csv = pd.read_csv(delft_run / "candidates.csv")
    limits = {"transit": 500, "school": 3000, "supermarket": 3000}
    for key, limit in limits.items():
        d = csv[f"dist_{key}_m"]
        expected = (d > limit) | d.isna()
        got = csv["fails"].map(lambda f, k=key: k in failed_keys(f))
        exact = ~((d - limit).abs() <= 0.05)  # the CSV rounds to 0.1 m: 500.0 may be 500.04
        assert (got == expected)[exact].all(), key
        assert expected.any() or key != "transit"  # Delft has sites too far from a stop


def test_hostile_names_are_text_and_address_column_and_robustness_are_used(hostile_run, tmp_path):
    out = tmp_path / "r"
    res = run("report", hostile_run, "--out", out, "--top", 5, "--title", "Raad <b>&</b> Delft")
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; =HYPERLINK(" in html
    assert "Raad &lt;b&gt;&amp;&lt;/b&gt; Delft" in html
    targets = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html, re.I)
    assert all(t.startswith("data:") for t in targets), targets
    text = pdf_text(out / "report.pdf")
    assert "<script>alert(1)</script> &" in text  # shown as text, not eaten as markup
    assert "=HYPERLINK(" in text
    assert ADDRESS in text  # the address column, with its Dutch characters
    assert "Raad <b>&</b> Delft" in text
    assert "Robuustheid van de ranglijst" in text
    assert "87%" in text and "13%" in text and "1 – 3 – 17" in text


def test_english_report(delft_run, tmp_path):
    out = tmp_path / "en"
    res = run("report", delft_run, "--out", out, "--lang", "en", "--top", 3)
    assert res.exit_code == 0, res.output
    text = pdf_text(out / "report.pdf")
    assert "Suitable sites for small-scale reception" in text
    assert "The best 3 sites" in text
    for label in ("Bus, tram or train stop", "Primary school", "Supermarket", "Pharmacy"):
        assert label in text
    assert "Basisschool" not in text


@pytest.mark.slow  # the shared multi-region batch
def test_batch_report_has_an_overview_and_a_section_per_region(delft_tiles_batch, tmp_path):
    batch, _ = delft_tiles_batch  # only read
    rob = tmp_path / "rob"
    res = run("robustness", batch, "--samples", 100, "--top", 3, "--out", rob)
    assert res.exit_code == 0, res.output
    out = tmp_path / "report"
    res = run("report", batch, "--out", out, "--top", 3, "--robustness", rob)
    assert res.exit_code == 0, res.output
    text = pdf_text(out / "report.pdf")
    summary = pd.read_csv(batch / "summary.csv")
    assert "Overzicht van de regio's" in text
    assert "Robuustheid van de ranglijst" in text and "100 wegingen" in text
    best = pd.read_csv(rob / "robustness.csv").sort_values(["rank", "candidate_id"]).iloc[0]
    assert f"({best.region_id})" in text
    for row in summary.itertuples():
        assert f"Regio {row.region_name} ({row.region_id})" in text
        csv = pd.read_csv(batch / "regions" / row.region_id / "candidates.csv")
        best = csv.sort_values(["rank", "candidate_id"]).iloc[0]
        assert best.candidate_id in text
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<h2>Regio tile ") == len(summary)


@pytest.mark.parametrize("inside", [False, True])
def test_bad_input_is_one_clear_line(delft_run, tmp_path, inside):
    if inside:
        before = digest(delft_run)
        res = run("report", delft_run, "--out", delft_run / "report")
        assert_one_clear_error(res, "overlaps the run directory", out=delft_run / "report")
        res = run("report", delft_run, "--out", delft_run.parent, "--overwrite")
        assert_one_clear_error(res, "overlaps the run directory")
        assert digest(delft_run) == before
    else:
        res = run("report", tmp_path, "--out", tmp_path / "r")
        assert_one_clear_error(res, "is not a geoschikt run directory", out=tmp_path / "r")
        (tmp_path / "taken").mkdir()
        (tmp_path / "taken" / "keep.txt").write_text("mine")
        res = run("report", delft_run, "--out", tmp_path / "taken")
        assert_one_clear_error(res, "already exists")
        assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"


@pytest.mark.slow  # a 200-sample robustness run, then a PDF
def test_report_shows_the_robustness_run(delft_run, tmp_path):
    rob = tmp_path / "rob"
    res = run("robustness", delft_run, "--samples", 200, "--top", 10, "--seed", 1, "--out", rob)
    assert res.exit_code == 0, res.output
    out = tmp_path / "r"
    res = run("report", delft_run, "--out", out, "--top", 20, "--robustness", rob)
    assert res.exit_code == 0, res.output
    text = pdf_text(out / "report.pdf")
    table = pd.read_csv(rob / "robustness.csv").sort_values(["rank", "candidate_id"])
    assert "200 wegingen" in text and "in de beste 10" in text
    rows = {  # the table's lines: number, address or id, shares and the rank range
        m.group(1): ln.replace(" ", "")
        for ln in text.splitlines()
        if "%" in ln
        and (m := re.match(r"\s*(\d+) \S", ln))
        and re.search(r"\d+–\d+–\d+$", ln.replace(" ", ""))
    }
    assert len(rows) == 20
    cands = pd.read_csv(delft_run / "candidates.csv").set_index("candidate_id")
    varied = 0
    for nr, r in enumerate(table.head(20).itertuples(), start=1):
        line = rows[str(nr)]
        label = r.candidate_id  # the address, else the name, else the id
        for col in ("name", "address"):
            value = cands[col].get(r.candidate_id) if col in cands else None
            if isinstance(value, str) and value:
                label = value
        assert label.replace(" ", "")[:12] in line, (label, line)
        pct = r.p_top * 100
        assert (f"{pct:.1f}".replace(".", ",") if 0 < pct < 1 else f"{pct:.0f}") + "%" in line
        assert f"{r.rank_p05}–{r.rank_median}–{r.rank_p95}" in line, line
        varied += 0 < r.p_top < 1
    assert varied  # some of the 20 are not always in the top 10


def test_a_changed_run_is_refused(delft_run, tmp_path):
    changed = tmp_path / "changed"
    shutil.copytree(delft_run, changed)
    with open(changed / "candidates.gpkg", "ab") as fh:
        fh.write(b"\0")
    res = run("report", changed, "--out", tmp_path / "r")
    assert_one_clear_error(res, "does not match the SHA-256", out=tmp_path / "r")


def test_blurred_report_names_no_site(hostile_run, delft_run, tmp_path):
    out = tmp_path / "blur"
    res = run("report", hostile_run, "--out", out, "--blur", 250)
    assert res.exit_code == 0, res.output
    text = pdf_text(out / "report.pdf")
    html = (out / "report.html").read_text(encoding="utf-8")
    csv = pd.read_csv(delft_run / "candidates.csv")
    for doc in (text, html):
        assert "Publicatieversie" in doc and "Locatie 1" in doc
        assert "HYPERLINK" not in doc and "Oude Delft 95" not in doc
        assert not any(cid in doc for cid in csv["candidate_id"])
    assert "Kaart per locatie" in text  # the heading stays, saying why there are no maps


def test_every_text_is_in_dutch_and_english():
    from geoschikt.report.texts import TEXT

    assert TEXT["nl"].keys() == TEXT["en"].keys()
    for key in TEXT["nl"]:
        fields = [set(re.findall(r"{(\w*)}", TEXT[lang][key])) for lang in ("nl", "en")]
        assert fields[0] == fields[1], key
