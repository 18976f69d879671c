"""OSM tags -> criterion features (POIs), candidate buildings and the area to score."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoschikt.acquire import OsmData
from geoschikt.config import CandidateRules, Config, Criterion
from geoschikt.errors import AreaError, NoCandidatesError
from geoschikt.geo import WGS84, to_crs

log = logging.getLogger(__name__)

POI_COLUMNS = ["category", "osm_type", "osm_id", "name", "tag", "source", "capacity"]


def feature_keys(config: Config) -> tuple[str, ...]:
    """Tag keys that any criterion selects on."""
    return tuple(dict.fromkeys(k for c in config.criteria for k in c.tags.keys))


def feature_predicate(config: Config):
    """``tags -> bool``: does any criterion select an object with these tags?"""
    criteria = config.criteria

    def is_feature(tags: Mapping[str, str]) -> bool:
        return any(c.matches(tags) is not None for c in criteria)

    return is_feature


def select_pois(
    features: gpd.GeoDataFrame, criteria: tuple[Criterion, ...], crs: str
) -> gpd.GeoDataFrame:
    """One point per (feature, criterion) it belongs to, in ``crs``.

    Polygons are represented by a point on their surface (computed in the metric CRS).
    """
    rows, geoms = [], []
    projected = to_crs(features, crs).geometry.values if len(features) else []
    for i, tags in enumerate(features["tags"] if len(features) else []):
        for crit in criteria:
            hit = crit.matches(tags)
            if hit is not None:
                rows.append(
                    (
                        crit.key,
                        features["osm_type"].iat[i],
                        int(features["osm_id"].iat[i]),
                        features["name"].iat[i],
                        hit,
                        "osm",
                        _capacity(tags.get("capacity")),
                    )
                )
                geoms.append(projected[i])
    pois = gpd.GeoDataFrame(pd.DataFrame(rows, columns=POI_COLUMNS), geometry=list(geoms), crs=crs)
    if len(pois):
        pois["geometry"] = shapely.point_on_surface(pois.geometry.values)
    return pois


def _capacity(value: str | None) -> float:
    try:
        return float(value) if value is not None else np.nan
    except ValueError:
        return np.nan


def default_extent(osm: OsmData) -> shapely.Polygon:
    """The extent of the data: the file header's bounding box, else that of its buildings."""
    if osm.header_bounds is not None:
        return shapely.box(*osm.header_bounds)
    if len(osm.buildings):
        return shapely.box(*osm.buildings.total_bounds)
    if np.isfinite(osm.ways.lon).any():
        return shapely.box(
            np.nanmin(osm.ways.lon),
            np.nanmin(osm.ways.lat),
            np.nanmax(osm.ways.lon),
            np.nanmax(osm.ways.lat),
        )
    raise AreaError(f"{osm.path} has no buildings or streets to take an extent from")


def area_by_name(
    boundaries: gpd.GeoDataFrame, name: str, admin_level: str | None = None
) -> gpd.GeoDataFrame:
    """The administrative boundary called ``name`` (case-insensitive) in the data.

    With several matches the municipal level (admin_level 8) wins, then the most general level.
    """
    if boundaries.empty:
        raise AreaError(
            f"the OSM data has no administrative boundaries, so --area-name {name!r} cannot be "
            "found; use --area-file with a boundary polygon"
        )
    names = boundaries["name"].fillna("").str.casefold()
    hits = boundaries[names == name.casefold()]
    if admin_level is not None:
        hits = hits[hits["admin_level"] == str(admin_level)]
    if hits.empty:
        known = sorted(set(boundaries["name"].dropna()))
        close = [k for k in known if name.casefold() in k.casefold()]
        hint = (
            f"; similar: {', '.join(close[:5])}" if close else f"; known: {', '.join(known[:10])}"
        )
        raise AreaError(f"no administrative boundary named {name!r} in the OSM data{hint}")
    level = pd.to_numeric(hits["admin_level"], errors="coerce").fillna(99)
    order = np.lexsort((level.values, (level.values != 8)))
    best = hits.iloc[[order[0]]]
    log.info(
        "area %r: relation %s (admin_level %s)",
        name,
        best["osm_id"].iat[0],
        best["admin_level"].iat[0],
    )
    return best.reset_index(drop=True)


def area_frame(geometry, name: str, source: str) -> gpd.GeoDataFrame:
    """A one-row area GeoDataFrame in EPSG:4326."""
    return gpd.GeoDataFrame({"name": [name], "source": [source]}, geometry=[geometry], crs=WGS84)


def select_candidates(
    buildings: gpd.GeoDataFrame, area: gpd.GeoDataFrame, rules: CandidateRules, crs: str
) -> gpd.GeoDataFrame:
    """OSM buildings of the allowed types and footprint size whose inside point lies in ``area``."""
    if buildings.empty:
        raise NoCandidatesError(
            "the OSM data holds no buildings (is the extract complete?); with `geoschikt "
            "score` you can give your own sites with --candidates FILE"
        )
    footprints = to_crs(buildings, crs)
    area_m = to_crs(area, crs).geometry.union_all()
    valid = footprints.geometry.is_valid
    geom = footprints.geometry.values
    if not valid.all():
        geom = np.where(valid.values, geom, shapely.make_valid(geom))
    point = shapely.point_on_surface(geom)
    inside = shapely.contains_xy(area_m, shapely.get_x(point), shapely.get_y(point))
    m2 = shapely.area(geom)
    btype = buildings["building"].fillna("yes")
    ok_type = btype.isin(rules.building_types).values
    ok_size = (m2 >= rules.min_area_m2) & (m2 <= rules.max_area_m2)
    n_in = int(inside.sum())
    keep = inside & ok_type & ok_size
    log.info(
        "%d buildings in the area; %d of an allowed type; %d also within %g-%g m2",
        n_in,
        int((inside & ok_type).sum()),
        int(keep.sum()),
        rules.min_area_m2,
        rules.max_area_m2,
    )
    if n_in == 0:
        raise NoCandidatesError(
            "the area holds no buildings of the OSM data; check that the area and the OSM file "
            "cover the same place (--area-name/--area-file, --osm)"
        )
    if not keep.any():
        raise NoCandidatesError(
            f"none of the {n_in} buildings in the area passes the candidate filter "
            f"(types {', '.join(rules.building_types[:6])}..., {rules.min_area_m2:g}-"
            f"{rules.max_area_m2:g} m2); widen [candidates] in the config"
        )
    out = buildings.loc[
        keep,
        [
            "osm_type",
            "osm_id",
            "building",
            "name",
            "addr:street",
            "addr:housenumber",
            "addr:postcode",
            "addr:city",
        ],
    ].copy()
    out.insert(0, "candidate_id", out["osm_type"] + "/" + out["osm_id"].astype(str))
    out["area_m2"] = np.round(m2[keep], 1)
    return gpd.GeoDataFrame(out, geometry=geom[keep], crs=crs).reset_index(drop=True)
