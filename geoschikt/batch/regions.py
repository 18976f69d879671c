"""The regions of a batch: those of a regions file selected by codes or province."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoschikt.errors import InputFileError
from geoschikt.outputs.folders import folder_name, folder_names


def select_regions(
    regions: gpd.GeoDataFrame,
    *,
    codes: Iterable[str] | None = None,
    province: str | None = None,
    population: str | Path | None = None,
) -> gpd.GeoDataFrame:
    """The regions of a batch, as read by :func:`geoschikt.regions.read_regions`: only those
    with the given ids (``codes``) and/or in ``province`` (by the ``statcode`` and
    ``provincie`` columns of the ``population`` table), sorted by id. Refuses ids whose
    folders would collide."""
    source = regions.attrs.get("source", "the regions file")
    folder_names(regions["region_id"])  # refuses ids whose folders would collide
    wanted: set[str] | None = None
    if codes:
        wanted = {c.strip() for c in codes if c.strip()}
        missing = sorted(wanted - set(regions["region_id"]))
        if missing:
            raise InputFileError(f"region code(s) {', '.join(missing)} are not in {source}")
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
    regions["region_name"] = regions["region_name"].fillna("").astype(str)
    regions.attrs["source"] = source
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
