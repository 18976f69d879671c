"""Existing reception in a score run: pressure, places within 2 km and the distance limit,
checked against a geodesic hand computation. The reception sites are made up for the test
(three points in south-east Delft with chosen capacities), not real reception locations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest
from click.testing import CliRunner

from geoschikt.cli import cli

SITES = pd.DataFrame(
    {
        "name": ["site A", "site B <script>x</script>", "site C"],
        "lon": [4.3700, 4.3800, 4.3600],
        "lat": [51.9990, 52.0030, 52.0100],
        "capacity": [300, 60, 0],
    }
)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def scored(delft_pbf, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rec")
    SITES.to_csv(tmp / "sites.csv", index=False)
    cfg = tmp / "cfg.toml"
    cfg.write_text("[criteria.reception]\nmin_m = 400\n")
    out = tmp / "out"
    res = run(
        "-q",
        "score",
        "--osm",
        delft_pbf,
        "--reception",
        tmp / "sites.csv",
        "--config",
        cfg,
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    return pd.read_csv(out / "candidates.csv"), out


def geodesic(table):
    geod = pyproj.Geod(ellps="WGS84")
    lon, lat = table["lon"].to_numpy(), table["lat"].to_numpy()
    return np.column_stack(
        [
            geod.inv(lon, lat, np.full_like(lon, s.lon), np.full_like(lat, s.lat))[2]
            for s in SITES.itertuples()
        ]
    )


def test_pressure_matches_a_hand_computation(scored, config):
    table, _ = scored
    d = geodesic(table)  # candidates x sites, metres
    crit = config.criterion("reception")
    h, cut = crit.bandwidth_m, crit.cutoff_m
    expected = (SITES["capacity"].to_numpy() * np.exp(-0.5 * (d / h) ** 2) * (d <= cut)).sum(axis=1)
    np.testing.assert_allclose(table["value_reception"], expected, rtol=1e-3, atol=0.02)
    score = 100 * np.clip(1 - expected / crit.zero_at, 0, 1)
    np.testing.assert_allclose(table["score_reception"], score, atol=0.15)


def test_places_within_2km_and_the_minimum_distance(scored):
    table, _ = scored
    d = geodesic(table)
    clear = (np.abs(d - 2000) > 2).all(
        axis=1
    )  # away from the rim, where RD and geodesic may differ
    within = (SITES["capacity"].to_numpy() * (d <= 2000)).sum(axis=1)
    np.testing.assert_array_equal(table.loc[clear, "reception_places_within_2km"], within[clear])
    nearest = d.min(axis=1)
    np.testing.assert_allclose(table["dist_reception_m"], nearest, rtol=2e-4, atol=0.1)
    too_close = nearest < 399
    assert too_close.any()
    assert table.loc[too_close, "fails"].str.contains("reception: .* m < 400 m").all()
    assert not table.loc[nearest > 401, "fails"].fillna("").str.contains("reception").any()


def test_reception_layer_is_written(scored):
    import geopandas as gpd

    _, out = scored
    layer = gpd.read_file(out / "candidates.gpkg", layer="reception")
    assert sorted(layer["capacity"]) == [0, 60, 300]


@pytest.mark.parametrize(
    ("csv", "fragment"),
    [
        ("name,lon,lat\na,4.37,52.0\n", "has no capacity column"),
        ("name,lon,lat,capacity\na,4.37,52.0,-5\n", "missing or negative capacity"),
        ("name,lon,lat,capacity\na,4.37,52.0,\n", "missing or negative capacity"),
    ],
)
def test_bad_reception_files(delft_pbf, tmp_path, csv, fragment):
    (tmp_path / "r.csv").write_text(csv)
    res = run(
        "score", "--osm", delft_pbf, "--reception", tmp_path / "r.csv", "--out", tmp_path / "o"
    )
    assert res.exit_code == 2 and fragment in res.output
    assert not (tmp_path / "o").exists()


@pytest.mark.slow  # its own full run for one option
def test_balance_layer_reaches_the_map(delft_pbf, tmp_path):
    """`score --balance` puts the municipal balance (from `geoschikt balance`) into the result."""
    from .conftest import NL

    if not (NL / "gemeenten_2022.geojson").is_file():
        pytest.skip("needs ../shared/data/nl")
    bal = tmp_path / "bal"
    res = run(
        "balance",
        "--regions",
        NL / "gemeenten_2022.geojson",
        "--population",
        NL / "gemeenten_kerncijfers_2021.csv",
        "--reception",
        NL / "opvang_per_gemeente_2016.csv",
        "--out",
        bal,
    )
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    res = run(
        "-q",
        "score",
        "--osm",
        delft_pbf,
        "--area-name",
        "Delft",
        "--balance",
        bal / "balance.gpkg",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    html = (out / "map.html").read_text()
    assert '"balance"' in html and "GM0503" in html  # Delft's row of the balance is on the map
    import json

    run_json = json.loads((out / "run.json").read_text())
    assert any(i["role"] == "balance" for i in run_json["inputs"])
