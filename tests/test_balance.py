"""Municipal balance: hand-computed figures on a small synthetic set and on the real CBS/COA
tables in ../shared/data/nl (skipped when absent), and the `geoschikt balance` command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from geoschikt.balance import (
    balance_layer,
    load_balance,
    parse_reception_types,
    resolve_reference_date,
)
from geoschikt.cli import cli
from geoschikt.errors import ConfigError, InputFileError
from geoschikt.hashing import file_sha256

from .conftest import NL, assert_one_clear_error

REGIONS = NL / "gemeenten_2022.geojson"
POPULATION = NL / "gemeenten_kerncijfers_2021.csv"
RECEPTION = NL / "opvang_per_gemeente_2016.csv"


def run(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


def assert_no_output_error(result, out: Path, *fragments):
    assert_one_clear_error(result, *fragments, out=out)


# --- a small synthetic set: three square municipalities, one old code in the reception table --


def _write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    squares = [shapely.box(5 + i * 0.1, 52, 5.1 + i * 0.1, 52.1) for i in range(3)]
    regions = gpd.GeoDataFrame(
        {"statcode": ["GM0001", "GM0002", "GM0003"], "statnaam": ["Aa", "Bee", "Cee"]},
        geometry=squares,
        crs="EPSG:4326",
    )
    regions.to_file(tmp_path / "regions_2022.geojson", driver="GeoJSON")
    _write_csv(
        tmp_path / "population_2021.csv",
        "statcode,gemeentenaam,provincie,inwoners",
        "GM0001,Aa,Utrecht,1000",
        "GM0002,Bee,Utrecht,3000",
        "GM0003,Cee,Utrecht,6000",
    )
    _write_csv(
        tmp_path / "reception_2020.csv",
        "statcode,gemeentenaam,opvangplaatsen,opvangtypen",
        "GM0001,Aa,100,azc:60;noodopvang:40",
        "GM0002,Bee,0,",
        "GM0009,Oud,50,pol:50",
    )
    return {
        "regions": tmp_path / "regions_2022.geojson",
        "population": tmp_path / "population_2021.csv",
        "reception": tmp_path / "reception_2020.csv",
    }


def _args(files: dict[str, Path], out: Path, *extra) -> list:
    return [
        "balance",
        "--regions",
        files["regions"],
        "--population",
        files["population"],
        "--reception",
        files["reception"],
        "--out",
        out,
        *extra,
    ]


def test_synthetic_balance_by_hand(files):
    b = load_balance(files["regions"], files["population"], files["reception"])
    rows = b.layer.set_index("statcode")
    # national places P = 100 + 0 + 50 (GM0009 has no region but still counts) = 150
    # national inhabitants I = 1000 + 3000 + 6000 = 10000
    aa = rows.loc["GM0001"]
    assert aa["places_per_1000"] == pytest.approx(100 / 1000 * 1000)  # 100.0
    assert aa["expected_places"] == pytest.approx(150 * 1000 / 10000)  # 15.0
    assert aa["places_minus_expected"] == pytest.approx(100 - 15)
    assert aa["ratio_to_expected"] == pytest.approx(100 / 15, abs=1e-4)  # 6.6667
    assert aa["share_places_pct"] == pytest.approx(100 * 100 / 150, abs=1e-4)  # 66.6667
    assert aa["share_inhabitants_pct"] == pytest.approx(10.0)
    assert (aa["places_azc"], aa["places_noodopvang"], aa["places_other"]) == (60, 40, 0)
    bee = rows.loc["GM0002"]
    assert bee["places"] == 0 and bee["expected_places"] == pytest.approx(45.0)
    cee = rows.loc["GM0003"]  # no reception row: places unknown, not 0
    assert pd.isna(cee["places"]) and pd.isna(cee["places_per_1000"])
    assert cee["expected_places"] == pytest.approx(90.0)
    assert rows["match"].to_dict() == {
        "GM0001": "ok",
        "GM0002": "ok",
        "GM0003": "no_reception_row",
    }
    assert b.unmatched[["statcode", "name", "places"]].values.tolist() == [["GM0009", "Oud", 50]]
    assert b.summary["totals"]["unmatched_places"] == 50
    assert b.summary["totals"]["places_in_regions"] + 50 == 150
    assert b.summary["reference_date"] == "2020"
    assert b.summary["reference_date_source"] == "inferred from the file name reception_2020.csv"
    assert b.summary["population_year"] == "2021"
    assert (b.layer["reference_date"] == "2020").all()


def test_cli_writes_all_outputs(files, tmp_path):
    out = tmp_path / "out"
    res = run(*_args(files, out, "--reference-date", "2020-01-01"))
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "balance.csv",
        "balance.gpkg",
        "balance.json",
        "balance_unmatched.csv",
    ]
    assert [name for name, _ in pyogrio.list_layers(out / "balance.gpkg")] == ["balance"]
    layer = gpd.read_file(out / "balance.gpkg", layer="balance")
    assert layer.crs.to_epsg() == 4326 and len(layer) == 3
    table = pd.read_csv(out / "balance.csv", dtype={"reference_date": str})
    assert (table["reference_date"] == "2020-01-01").all()
    assert (layer["reference_date"] == "2020-01-01").all()
    record = json.loads((out / "balance.json").read_text())
    assert record["reference_date"] == "2020-01-01"
    assert record["reference_date_source"] == "given with --reference-date"
    assert {i["role"]: i["sha256"] for i in record["inputs"]} == {
        role: file_sha256(path) for role, path in files.items()
    }
    assert record["outputs"]["balance.csv"]["sha256"] == file_sha256(out / "balance.csv")
    assert record["mismatches"]["reception_codes_without_region"] == [
        {"statcode": "GM0009", "name": "Oud", "places": 50, "in_population": False}
    ]
    assert "Oud GM0009 (50)" in res.output  # the warning names the unmatched places
    assert "Unmatched: 50 places" in res.output


def test_cli_strict_refuses_mismatches(files, tmp_path):
    out = tmp_path / "out"
    res = run(*_args(files, out, "--strict"))
    assert_no_output_error(res, out, "--strict", "1 reception codes without region")


def test_cli_strict_passes_when_codes_match(files, tmp_path):
    _write_csv(
        files["reception"],
        "statcode,gemeentenaam,opvangplaatsen",
        "GM0001,Aa,100",
        "GM0002,Bee,0",
        "GM0003,Cee,7",
    )
    res = run(*_args(files, tmp_path / "out", "--strict", "--reference-date", "2021-01-01"))
    assert res.exit_code == 0, res.output
    assert "warning" not in res.output  # same codes everywhere, and the same year


def test_cli_refuses_existing_output(files, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    res = run(*_args(files, out))
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert (out / "keep.txt").exists()


@pytest.mark.parametrize(
    ("role", "header", "rows", "fragments"),
    [
        (
            "reception",
            "statcode,gemeentenaam,opvangtypen",
            ["GM0001,Aa,azc:1"],
            ["has no column 'opvangplaatsen'", "add a column 'opvangplaatsen'"],
        ),
        (
            "reception",
            "statcode,gemeentenaam,opvangplaatsen",
            ["GM0001,Aa,100", "GM0002,Bee,-5"],
            ["missing, negative or non-whole", "line 3"],
        ),
        (
            "reception",
            "statcode,gemeentenaam,opvangplaatsen",
            ["GM0001,Aa,", "GM0002,Bee,1"],
            ["missing, negative or non-whole", "line 2"],
        ),
        (
            "reception",
            "statcode,gemeentenaam,opvangplaatsen",
            ["GM0001,Aa,100", "GM0001,Aa bis,5"],
            ["code GM0001 occurs 2 times", "line 2, 3"],
        ),
        (
            "reception",
            "statcode,gemeentenaam,opvangplaatsen,opvangtypen",
            ["GM0001,Aa,100,azc:60;noodopvang:30"],
            ["types add up to 90, not 100"],
        ),
        (
            "population",
            "statcode,gemeentenaam,inwoners",
            ["GM0001,Aa,1000", "GM0002,Bee,0"],
            ["population file", "whole number above 0"],
        ),
        (
            "population",
            "statcode,gemeentenaam,inwoners",
            ["GM0001,Aa,1.000", "GM0002,Bee,n.b."],
            ["missing, zero, negative or non-whole", "column 'inwoners'", "line 2, 3"],
        ),
        (
            "population",
            "code,gemeentenaam,inwoners",
            ["GM0001,Aa,1000"],
            ["has no column 'statcode'", "--id-column"],
        ),
    ],
)
def test_cli_bad_table_is_one_line_and_writes_nothing(
    files, tmp_path, role, header, rows, fragments
):
    _write_csv(files[role], header, *rows)
    out = tmp_path / "out"
    assert_no_output_error(run(*_args(files, out)), out, *fragments)


def test_semicolon_separated_csv_is_read(files):
    _write_csv(
        files["population"],
        "statcode;gemeentenaam;inwoners",
        "GM0001;Aa;1000",
        "GM0002;Bee;3000",
        "GM0003;Cee;6000",
    )
    b = load_balance(files["regions"], files["population"], files["reception"])
    assert b.layer["inhabitants"].tolist() == [1000, 3000, 6000]


def test_cli_missing_file(files, tmp_path):
    files["population"] = tmp_path / "nope_2021.csv"
    out = tmp_path / "out"
    assert_no_output_error(run(*_args(files, out)), out, "nope_2021.csv does not exist")


def test_cli_duplicate_region_code(files, tmp_path):
    regions = gpd.read_file(files["regions"])
    regions.loc[2, "statcode"] = "GM0001"
    regions.to_file(files["regions"], driver="GeoJSON")
    out = tmp_path / "out"
    assert_no_output_error(run(*_args(files, out)), out, "regions file", "GM0001 occurs 2 times")


def test_cli_refuses_unknown_reference_date(files, tmp_path):
    undated = files["reception"].with_name("reception.csv")
    files["reception"].rename(undated)
    files["reception"] = undated
    out = tmp_path / "out"
    assert_no_output_error(
        run(*_args(files, out)), out, "reference date", "give it with --reference-date"
    )
    assert_no_output_error(
        run(*_args(files, out, "--reference-date", "2016-13-01")), out, "is not a date"
    )
    assert run(*_args(files, out, "--reference-date", "2016-01-01")).exit_code == 0


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("opvang_per_gemeente_2016.csv", None, ("2016", "inferred from the file name")),
        ("opvang.csv", "2016-01-01", ("2016-01-01", "given with --reference-date")),
        ("opvang_2016.csv", "2017", ("2017", "given with --reference-date")),
    ],
)
def test_resolve_reference_date(name, given, expected):
    date, source = resolve_reference_date(name, given)
    assert date == expected[0] and source.startswith(expected[1])


@pytest.mark.parametrize("name", ["opvang.csv", "opvang_2016_2017.csv"])
def test_reference_date_refused_without_single_year(name):
    with pytest.raises(InputFileError, match="give it with --reference-date"):
        resolve_reference_date(name)


def test_bad_reference_date_is_config_error():
    with pytest.raises(ConfigError, match="not a date"):
        resolve_reference_date("x_2016.csv", "1 januari 2016")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("azc:300", {"azc": 300}),
        ("noodopvang:350;noodopvang:240", {"noodopvang": 590}),
        ("azc,pol,col:1700;azc:239", {"azc,pol,col": 1700, "azc": 239}),
        ("col, pol, vol:200", {"col, pol, vol": 200}),
        ("", {}),
        (None, {}),
    ],
)
def test_parse_reception_types(text, expected):
    assert parse_reception_types(text) == expected


@pytest.mark.parametrize("text", ["azc", "azc:many", ":300"])
def test_parse_reception_types_rejects_malformed(text):
    with pytest.raises(ValueError, match="is not TYPE:PLACES"):
        parse_reception_types(text)


# --- the real 2016 reception table on 2021 population and 2022 regions --------------------------


@pytest.fixture(scope="module")
def nl() -> dict[str, Path]:
    for path in (REGIONS, POPULATION, RECEPTION):
        if not path.is_file():
            pytest.skip(f"needs {path} (the project's shared data next to the repo, ../shared)")
    return {"regions": REGIONS, "population": POPULATION, "reception": RECEPTION}


@pytest.fixture(scope="module")
def real(nl):
    return load_balance(nl["regions"], nl["population"], nl["reception"])


def _csv_rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["statcode"]: row for row in csv.DictReader(fh)}


def test_aalten_by_hand_from_the_csv_rows(real, nl):
    reception = _csv_rows(nl["reception"])
    population = _csv_rows(nl["population"])
    places = int(reception["GM0197"]["opvangplaatsen"])  # Aalten: 300, azc:300
    inhabitants = int(population["GM0197"]["inwoners"])  # Aalten 2021: 27,120
    total_places = sum(int(r["opvangplaatsen"]) for r in reception.values())  # 47,638
    total_inhabitants = sum(int(r["inwoners"]) for r in population.values())  # 17,475,415
    aalten = real.layer.set_index("statcode").loc["GM0197"]
    assert aalten["statnaam"] == "Aalten"
    assert (aalten["places"], aalten["inhabitants"]) == (places, inhabitants) == (300, 27120)
    # 300 / 27,120 * 1,000 = 11.062 places per 1,000 inhabitants
    assert aalten["places_per_1000"] == pytest.approx(places / inhabitants * 1000, abs=5e-4)
    assert aalten["places_per_1000"] == pytest.approx(11.062, abs=5e-4)
    # expected 47,638 * 27,120 / 17,475,415 = 73.93 places; 300 is 4.06 times that
    expected = total_places * inhabitants / total_inhabitants
    assert aalten["expected_places"] == pytest.approx(expected, abs=5e-3)
    assert aalten["expected_places"] == pytest.approx(73.93, abs=5e-3)
    assert aalten["ratio_to_expected"] == pytest.approx(places / expected, abs=5e-4)
    assert aalten["places_azc"] == 300 and aalten["reference_date"] == "2016"
    assert aalten["population_year"] == "2021"


def test_national_totals_are_preserved_including_unmatched(real, nl):
    total = sum(int(r["opvangplaatsen"]) for r in _csv_rows(nl["reception"]).values())
    assert total == 47_638
    in_regions = int(real.layer["places"].sum())
    unmatched = int(real.unmatched["places"].sum())
    assert in_regions + unmatched == total
    assert real.summary["totals"] == pytest.approx(
        {
            "national_places": 47_638,
            "places_in_regions": in_regions,
            "unmatched_places": unmatched,
            "national_inhabitants": 17_475_415,
            "inhabitants_in_regions": int(real.layer["inhabitants"].sum()),
            "places_per_1000_national": 2.726,
        }
    )
    assert real.summary["counts"]["municipalities_with_places"] == 87
    # the azc / noodopvang / other breakdown adds up to the places
    parts = real.layer[["places_azc", "places_noodopvang", "places_other"]].sum(axis=1)
    known = real.layer["places"].notna()
    assert (parts[known] == real.layer.loc[known, "places"]).all()


def test_mismatch_report_names_merged_municipalities(real):
    m = real.mismatches
    without_region = {r["statcode"]: r for r in m["reception_codes_without_region"]}
    # Boxmeer and Grave (2016) merged into Land van Cuijk (2022), Heerhugowaard into Dijk en
    # Waard (2022), Haren into Groningen (2019), Delfzijl into Eemsdelta (2021)
    for code, name, places in [
        ("GM0756", "Boxmeer", 800),
        ("GM0786", "Grave", 600),
        ("GM0398", "Heerhugowaard", 600),
        ("GM0017", "Haren", 480),
        ("GM0010", "Delfzijl", 460),
    ]:
        assert (without_region[code]["name"], without_region[code]["places"]) == (name, places)
    assert sum(r["places"] for r in without_region.values()) == 4_882
    new = {r["statcode"]: r["statnaam"] for r in m["regions_without_population_row"]}
    assert new == {"GM1980": "Dijk en Waard", "GM1982": "Land van Cuijk", "GM1991": "Maashorst"}
    cuijk = real.layer.set_index("statcode").loc["GM1982"]
    assert pd.isna(cuijk["places"]) and cuijk["match"] == "no_reception_or_population_row"
    assert any("Boxmeer GM0756 (800)" in line for line in real.warnings())


def test_balance_layer_for_the_map(nl):
    layer = balance_layer(nl["regions"], nl["population"], nl["reception"])
    assert layer.crs.to_epsg() == 4326
    assert len(layer) == 345 and layer["statcode"].is_unique
    assert {"statcode", "statnaam", "places", "inhabitants", "places_per_1000"} <= set(layer)
    assert {"expected_places", "reference_date", "population_year"} <= set(layer)
    assert set(layer.geom_type) <= {"Polygon", "MultiPolygon"}


def test_cli_on_real_tables(nl, tmp_path):
    out = tmp_path / "balance"
    res = run(
        "balance",
        "--regions",
        nl["regions"],
        "--population",
        nl["population"],
        "--reception",
        nl["reception"],
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    assert "47,638 reception places" in res.output
    assert "reference date 2016, inferred from the file name" in res.output
    assert "94 reception code(s) have no region" in res.output
    assert "population (2021) and the reception figures (2016)" in res.output
    table = pd.read_csv(out / "balance.csv", dtype={"statcode": str, "reference_date": str})
    unmatched = pd.read_csv(out / "balance_unmatched.csv")
    assert table["places"].sum() + unmatched["places"].sum() == 47_638
    assert (table["reference_date"] == "2016").all()
