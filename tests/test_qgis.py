"""QGIS styles and field texts inside the GeoPackage, read back with sqlite and, where Debian's
python3-qgis is installed, loaded by QGIS itself (headless)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from geoschikt.outputs.webmap import CLASSES, FAIL_COLOUR
from geoschikt.outputs.write import write_outputs

SYSTEM_PYTHON = "/usr/bin/python3"

QGIS_PROBE = r"""
import json, sys
from qgis.core import QgsApplication, QgsRasterLayer, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
out = {}
for layer in ("candidates", "pois", "area"):
    vl = QgsVectorLayer(f"{sys.argv[1]}/candidates.gpkg|layername={layer}", layer, "ogr")
    msg, ok = vl.loadDefaultStyle()
    r = vl.renderer()
    info = {"valid": vl.isValid(), "style_loaded": ok, "renderer": r.type()}
    if r.type() == "RuleRenderer":
        info["rules"] = [
            [c.filterExpression(), c.symbol().color().name()] for c in r.rootRule().children()
        ]
    if r.type() == "categorizedSymbol":
        info["categories"] = [[c.value(), c.symbol().symbolLayer(0).shape()] for c in r.categories()]
    info["aliases"] = {f.name(): vl.attributeAlias(i) for i, f in enumerate(vl.fields())}
    out[layer] = info
rl = QgsRasterLayer(f"{sys.argv[1]}/suitability.tif", "surface")
msg, ok = rl.loadDefaultStyle()
shader = rl.renderer().shader().rasterShaderFunction()
out["surface"] = {
    "style_loaded": ok,
    "renderer": rl.renderer().type(),
    "band": rl.renderer().band(),
    "colours": [i.color.name() for i in shader.colorRampItemList()],
}
print(json.dumps(out), flush=True)
import os
os._exit(0)  # QgsApplication.exitQgis() can crash at interpreter exit in headless runs
"""


@pytest.fixture(scope="module")
def run_dir(delft_result, tmp_path_factory) -> Path:
    return write_outputs(delft_result, tmp_path_factory.mktemp("qgis") / "run")


def _styles(gpkg: Path) -> dict[str, tuple]:
    with sqlite3.connect(gpkg) as con:
        rows = con.execute(
            "SELECT f_table_name, f_geometry_column, styleQML, styleSLD, useAsDefault "
            "FROM layer_styles"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_every_layer_has_a_default_style(run_dir):
    styles = _styles(run_dir / "candidates.gpkg")
    assert {"candidates", "pois", "area"} <= set(styles)
    for _layer, (geom, qml, sld, default) in styles.items():
        assert default == 1
        assert geom == "geom"  # GDAL's geometry column in our GeoPackages
        ET.fromstring(qml.split("\n", 1)[1])  # after the DOCTYPE line: well-formed XML
        ET.fromstring(sld.encode("utf-8"))


def test_candidate_style_has_the_maps_classes(run_dir):
    qml = _styles(run_dir / "candidates.gpkg")["candidates"][1]
    root = ET.fromstring(qml.split("\n", 1)[1])
    rules = root.findall(".//rules/rule")
    assert len(rules) == len(CLASSES) + 1
    symbols = {s.get("name"): s for s in root.findall(".//symbols/symbol")}
    for rule, (low, colour, nl, _en) in zip(rules, CLASSES, strict=False):
        assert nl in rule.get("label")
        assert f'"suitability" >= {low}' in rule.get("filter")
        fill = symbols[rule.get("symbol")].find(".//prop[@k='color']").get("v")
        assert fill == ",".join(str(int(colour[i : i + 2], 16)) for i in (1, 3, 5)) + ",255"
    assert rules[-1].get("filter") == 'NOT "passes"'


def test_field_aliases_and_descriptions(run_dir):
    with sqlite3.connect(run_dir / "candidates.gpkg") as con:
        texts = {
            (t, c): (name, desc)
            for t, c, name, desc in con.execute(
                "SELECT table_name, column_name, name, description FROM gpkg_data_columns"
            )
        }
        extension = con.execute(
            "SELECT scope FROM gpkg_extensions WHERE table_name = 'gpkg_data_columns' "
            "AND extension_name = 'gpkg_schema'"
        ).fetchone()
        contents = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
    assert extension == ("read-write",)
    assert "layer_styles" in contents
    assert texts[("candidates", "suitability")][0] == "Geschiktheid"
    assert texts[("candidates", "points_gp")][0] == "Punten Huisarts of gezondheidscentrum"
    desc = texts[("candidates", "dist_school_m")][1]
    assert "Basisschool" in desc and "Primary school" in desc  # Dutch and English


def test_surface_style_sidecar_names_the_suitability_band(run_dir):
    import rasterio

    with rasterio.open(run_dir / "suitability.tif") as src:
        band = list(src.descriptions).index("suitability") + 1
    root = ET.fromstring((run_dir / "suitability.qml").read_text().split("\n", 1)[1])
    renderer = root.find(".//rasterrenderer")
    assert renderer.get("band") == str(band)
    colours = [i.get("color") for i in root.findall(".//colorrampshader/item")]
    assert colours == [c[1].lower() for c in sorted(CLASSES)]


def _qgis_available() -> bool:
    try:
        done = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def test_qgis_opens_the_layers_styled(run_dir):
    if not _qgis_available():
        pytest.skip("needs Debian's python3-qgis (apt-get install python3-qgis qgis-providers)")
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", QGIS_PROBE, str(run_dir)],
        capture_output=True,
        text=True,
        timeout=180,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(run_dir)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    cands = seen["candidates"]
    assert cands["valid"] and cands["style_loaded"] and cands["renderer"] == "RuleRenderer"
    assert [c for _f, c in cands["rules"]] == [c[1] for c in CLASSES] + [FAIL_COLOUR]
    assert cands["aliases"]["suitability"] == "Geschiktheid"
    assert seen["pois"]["renderer"] == "categorizedSymbol"
    shapes = [shape for _v, shape in seen["pois"]["categories"]]
    assert len(set(shapes)) == len(shapes)  # one marker shape per facility category
    assert seen["area"]["renderer"] == "singleSymbol"
    surface = seen["surface"]
    assert surface["style_loaded"] and surface["renderer"] == "singlebandpseudocolor"
    assert surface["colours"] == [c[1].lower() for c in sorted(CLASSES)]


@pytest.mark.slow  # a multi-region batch, then QGIS
def test_combined_geopackage_has_one_crs_and_styles(delft_pbf, tmp_path):
    from click.testing import CliRunner

    from geoschikt.cli import cli

    from .test_batch import grid_regions

    out = tmp_path / "batch"
    res = CliRunner().invoke(
        cli,
        [
            "batch",
            "-q",
            "--osm",
            str(delft_pbf),
            "--regions",
            str(grid_regions(tmp_path, 2)),
            "--out",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    gpkg = out / "candidates_all.gpkg"
    with sqlite3.connect(gpkg) as con:
        srs = dict(con.execute("SELECT table_name, srs_id FROM gpkg_geometry_columns"))
    assert srs == {"regions": 28992, "candidates": 28992}  # RD New for Dutch data, both
    styles = _styles(gpkg)
    assert {"candidates", "regions"} <= set(styles)
    regions_qml = ET.fromstring(styles["regions"][1].split("\n", 1)[1])
    filters = [r.get("filter") for r in regions_qml.findall(".//rules/rule")]
    assert filters[0] == '"best_suitability" >= 80'
    assert filters[-1] == '"best_suitability" IS NULL'
    ET.fromstring(styles["regions"][2].encode())  # SLD well-formed
