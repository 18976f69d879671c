"""The one regions reader (``geoschikt.regions``) used by ``balance`` and ``batch``: the real
CBS municipalities 2022 against a plain pyogrio read, selection by province against a plain
pandas filter, and hostile files giving the same one-line error in both commands."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from geoschikt.batch import select_regions
from geoschikt.cli import cli
from geoschikt.errors import InputFileError
from geoschikt.regions import read_regions

from .conftest import NL, assert_one_clear_error

REGIONS = NL / "gemeenten_2022.geojson"
POPULATION = NL / "gemeenten_kerncijfers_2021.csv"


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"needs {path} (the project's shared data next to the repo, ../shared)")
    return path


def test_real_municipalities_match_a_plain_read():
    raw = pyogrio.read_dataframe(_need(REGIONS)).to_crs(4326)
    regions = read_regions(REGIONS)
    assert regions["region_id"].tolist() == raw["statcode"].str.strip().tolist()
    assert regions["region_name"].tolist() == raw["statnaam"].str.strip().tolist()
    assert regions.crs.to_epsg() == 4326
    assert shapely.equals_exact(regions.geometry.array, raw.geometry.array, 1e-9).all()
    assert regions.attrs["source"] == REGIONS.name


def test_province_selection_matches_a_plain_filter():
    table = pd.read_csv(_need(POPULATION), dtype=str)
    in_file = set(pyogrio.read_dataframe(_need(REGIONS), columns=["statcode"])["statcode"])
    expected = sorted(set(table.loc[table["provincie"] == "Zuid-Holland", "statcode"]) & in_file)
    regions = select_regions(read_regions(REGIONS), province="zuid-HOLLAND", population=POPULATION)
    assert regions["region_id"].tolist() == expected
    assert {"GM0503", "GM1926"} <= set(expected)


def _regions(tmp_path: Path, ids, geoms=None, column: str = "statcode") -> Path:
    """SYNTHETIC squares (or ``geoms``) with the given ids."""
    geoms = geoms or [shapely.box(5 + i * 0.1, 52, 5.1 + i * 0.1, 52.1) for i in range(len(ids))]
    frame = gpd.GeoDataFrame(
        {column: ids, "statnaam": [f" name {i} " for i in range(len(ids))]},
        geometry=geoms,
        crs=4326,
    )
    path = tmp_path / "regions.geojson"
    frame.to_file(path)
    return path


def test_ids_and_names_are_stripped_and_the_id_column_found_in_any_case(tmp_path):
    regions = read_regions(_regions(tmp_path, [" A1", "B2 "], column="STATCODE"))
    assert regions["region_id"].tolist() == ["A1", "B2"]
    assert regions["region_name"].tolist() == ["name 0", "name 1"]


@pytest.mark.parametrize(
    ("ids", "geoms", "kwargs", "fragments"),
    [
        (["a", " a"], None, {}, ["code a occurs 2 times", "feature 1, 2", "one feature"]),
        (["a", ""], None, {}, ["1 row(s) have no code", "feature 2", "region code"]),
        (["a"], None, {"id_column": "code"}, ["has no column 'code' (--id-column)"]),
        (["a"], None, {"name_column": "naam"}, ["has no column 'naam' (--name-column)"]),
        (["a"], [shapely.Point(5, 52)], {}, ["holds no polygons"]),
        (
            ["a", "b"],
            [shapely.box(5, 52, 5.1, 52.1), shapely.Point(5, 52)],
            {},
            ["1 feature(s) are not polygons (feature 2)"],
        ),
    ],
)
def test_hostile_regions_are_refused(tmp_path, ids, geoms, kwargs, fragments):
    with pytest.raises(InputFileError) as err:
        read_regions(_regions(tmp_path, ids, geoms), **kwargs)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_balance_and_batch_give_the_same_error(tmp_path, delft_pbf):
    """Both commands read regions with the same reader, so a bad file gets the same line."""
    regions = _regions(tmp_path, ["GM0001", "GM0001 "])
    table = tmp_path / "population_2021.csv"
    table.write_text("statcode,inwoners,opvangplaatsen\nGM0001,10,1\n", encoding="utf-8")
    runner = CliRunner()
    balance = runner.invoke(
        cli,
        [
            "balance",
            "--regions",
            str(regions),
            "--population",
            str(table),
            "--reception",
            str(table),
            "--out",
            str(tmp_path / "b"),
        ],
    )
    batch = runner.invoke(
        cli,
        ["batch", "--osm", str(delft_pbf), "--regions", str(regions), "--out", str(tmp_path / "c")],
    )
    fragment = "code GM0001 occurs 2 times in column 'statcode'"
    assert_one_clear_error(balance, fragment, out=tmp_path / "b")
    assert_one_clear_error(batch, fragment, out=tmp_path / "c")
    assert balance.output == batch.output
