"""In-place GeoPackage updates (re-scoring): what they change, what they refuse, and that the
file reads back as one written anew."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoschikt.outputs.update import describe, diff_rows, prepare, update_rows
from geoschikt.outputs.write import write_layer


def frame(**changes) -> gpd.GeoDataFrame:
    """A small candidates-like table in a metric CRS, with ``changes`` applied."""
    table = gpd.GeoDataFrame(
        {
            "candidate_id": ["way/1", "way/2", "node/3", "way/4"],
            "name": ["De Hoven", None, "  ", "Markt 1"],
            "dist_m": [120.5, np.nan, 800.0, 45.25],
            "passes": [True, False, True, True],
            "fails": ["", "school: 900 m > 800 m", "", ""],
            "rank": np.array([2, 4, 3, 1], dtype=np.int64),
        },
        geometry=[shapely.box(i, i, i + 1, i + 2) for i in range(4)],
        crs=28992,
    )
    for column, values in changes.items():
        table[column] = values
    return table


def read(gpkg: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(gpkg, layer="candidates", engine="pyogrio", fid_as_index=True)


def attributes(table: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame(table.drop(columns="geometry"))


def test_an_update_reads_back_as_a_file_written_anew(tmp_path):
    copy, fresh = tmp_path / "copy.gpkg", tmp_path / "fresh.gpkg"
    write_layer(frame(), copy, "candidates")
    before = read(copy)
    with sqlite3.connect(copy) as con:
        stamp = con.execute("SELECT last_change FROM gpkg_contents").fetchone()[0]
    new = frame(
        dist_m=[120.5, 300.0, np.nan, 45.25],
        passes=[True, True, False, True],
        fails=["", "", "pharmacy: none within 1500 m", ""],
        rank=np.array([1, 2, 4, 3], dtype=np.int64),
    )
    update = diff_rows(attributes(before), attributes(new))
    assert update.columns == ["dist_m", "passes", "fails", "rank"]
    assert update.fids.tolist() == before.index[[0, 1, 2, 3]].tolist()
    assert update_rows(copy, "candidates", [update], expect=list(attributes(new).columns))

    write_layer(new, fresh, "candidates")
    pd.testing.assert_frame_equal(read(copy), read(fresh))
    with sqlite3.connect(copy) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("SELECT last_change FROM gpkg_contents").fetchone()[0] > stamp


def test_unchanged_values_and_missing_ones_are_not_changes(tmp_path):
    gpkg = tmp_path / "c.gpkg"
    write_layer(frame(), gpkg, "candidates")
    before = attributes(read(gpkg))
    update = diff_rows(before, attributes(frame()))
    assert update.columns == [] and len(update.fids) == 0
    only_rank = diff_rows(before, attributes(frame(rank=np.array([2, 4, 1, 3]))), ["rank"])
    assert only_rank.columns == ["rank"] and len(only_rank.fids) == 2


@pytest.mark.parametrize(
    ("new", "expect"),
    [
        (frame(dist_m=["far", None, "near", "far"]), None),  # REAL column, now text
        (frame(rank=np.array([1.5, 2, 3, 4])), None),  # INTEGER column, now float
        (frame(), ["candidate_id", "name", "dist_m", "passes", "fails"]),  # other columns
    ],
)
def test_updates_are_refused_when_columns_or_types_change(tmp_path, new, expect):
    gpkg = tmp_path / "c.gpkg"
    write_layer(frame(), gpkg, "candidates")
    before = attributes(read(gpkg))
    update = diff_rows(before, attributes(new))
    assert prepare(describe(gpkg, "candidates"), [update], expect=expect) is None
    assert diff_rows(before, attributes(new).drop(columns="fails")) is None
