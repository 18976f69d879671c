"""The regions of a batch: read from a polygons file, filtered by codes or province."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoschikt.errors import InputFileError
from geoschikt.geo import WGS84
from geoschikt.inputs import read_points_or_shapes
from geoschikt.outputs.folders import folder_name, folder_names


def read_regions(
    path: str | Path,
    *,
    id_column: str = "statcode",
    name_column: str = "statnaam",
    codes: Iterable[str] | None = None,
    province: str | None = None,
    population: str | Path | None = None,
) -> gpd.GeoDataFrame:
    """Regions (id, name, geometry in EPSG:4326), optionally filtered by codes or province."""
    frame = read_points_or_shapes(path, "regions")
    for col, opt in ((id_column, "--id-column"), (name_column, "--name-column")):
        if col not in frame.columns:
            raise InputFileError(
                f"regions file {path} has no column {col!r} ({opt}); columns: "
                f"{', '.join(map(str, frame.columns))}"
            )
    no_id = frame[id_column].isna() | (frame[id_column].astype(str).str.strip() == "")
    if no_id.any():
        rows = ", ".join(str(i + 1) for i in no_id.to_numpy().nonzero()[0][:20])
        raise InputFileError(
            f"regions file {path}: {int(no_id.sum())} region(s) have no id in column "
            f"{id_column!r} (feature(s) {rows}); give every region an id"
        )
    regions = gpd.GeoDataFrame(
        {"region_id": frame[id_column].astype(str), "region_name": frame[name_column].astype(str)},
        geometry=frame.geometry.values,
        crs=WGS84,
    )
    if regions["region_id"].duplicated().any():
        dup = regions.loc[regions["region_id"].duplicated(), "region_id"].iloc[0]
        raise InputFileError(f"regions file {path}: id {dup!r} occurs more than once")
    folder_names(regions["region_id"])  # refuses ids whose folders would collide
    wanted: set[str] | None = None
    if codes:
        wanted = {c.strip() for c in codes if c.strip()}
        missing = sorted(wanted - set(regions["region_id"]))
        if missing:
            raise InputFileError(
                f"region code(s) {', '.join(missing)} are not in {path} (column {id_column})"
            )
    if province:
        if population is None:
            raise InputFileError(
                "--province needs --population (a table with statcode and provincie)"
            )
        table = _read_table(population)
        if not {"statcode", "provincie"} <= set(table.columns):
            raise InputFileError(f"{population} needs the columns statcode and provincie")
        hit = table["provincie"].astype(str).str.casefold() == province.casefold()
        if not hit.any():
            known = ", ".join(sorted(table["provincie"].dropna().astype(str).unique()))
            raise InputFileError(f"province {province!r} is not in {population}; known: {known}")
        in_prov = set(table.loc[hit, "statcode"].astype(str))
        wanted = in_prov if wanted is None else wanted & in_prov
    if wanted is not None:
        regions = regions[regions["region_id"].isin(wanted)]
    if regions.empty:
        raise InputFileError("no regions are selected; check --codes/--province")
    regions = regions.sort_values("region_id").reset_index(drop=True)
    regions.attrs["source"] = Path(path).name
    return regions


def _read_table(path: str | Path) -> pd.DataFrame:
    if not Path(path).is_file():
        raise InputFileError(f"table {path} does not exist; check the path")
    try:
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"table {path} is empty or not a readable CSV ({exc}); give a CSV with a header row"
        ) from None


def safe_name(region_id: str) -> str:
    """The folder name of a region id: safe, unique and traceable (see outputs.folders)."""
    return folder_name(region_id)
