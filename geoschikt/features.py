"""OSM tags -> criterion features (POIs), candidate buildings and the area to score."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoschikt.acquire import OsmData
from geoschikt.addresses import (
    ADDRESS_TAGS,
    address_columns,
    join_addresses,
    own_tag_addresses,
)
from geoschikt.config import CandidateRules, Config, Criterion
from geoschikt.errors import AreaError, NoCandidatesError
from geoschikt.floor_area import coa_size_class, floor_area, places_estimate
from geoschikt.geo import WGS84, to_crs

log = logging.getLogger(__name__)

POI_COLUMNS = ["category", "osm_type", "osm_id", "name", "tag", "source", "capacity", "address"]


def feature_keys(config: Config) -> tuple[str, ...]:
    """Tag keys that any criterion selects on."""
    return tuple(
        dict.fromkeys(k for c in config.criteria if c.selects_features for k in c.tags.keys)
    )


def feature_predicate(config: Config):
    """``tags -> bool``: does any criterion select an object with these tags?"""
    criteria = tuple(c for c in config.criteria if c.selects_features)

    def is_feature(tags: Mapping[str, str]) -> bool:
        return any(c.matches(tags) is not None for c in criteria)

    return is_feature


def select_pois(
    features: gpd.GeoDataFrame,
    criteria: tuple[Criterion, ...],
    crs: str,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    addresses: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """One point per (feature, criterion) it belongs to, in ``crs``, with its address.

    Polygons are represented by a point on their surface (computed in the metric CRS). The
    address is the feature's own ``addr:*`` tags, else the address points inside it (a polygon)
    or inside the building it lies in (a point).
    """
    rows, geoms = [], []
    criteria = tuple(c for c in criteria if c.selects_features)
    projected = to_crs(features, crs).geometry.values if len(features) else []
    address = feature_addresses(features, buildings, addresses)
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
                        address[i],
                    )
                )
                geoms.append(projected[i])
    pois = gpd.GeoDataFrame(pd.DataFrame(rows, columns=POI_COLUMNS), geometry=list(geoms), crs=crs)
    if len(pois):
        pois["geometry"] = shapely.point_on_surface(pois.geometry.values)
    return pois


def feature_addresses(
    features: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    addresses: gpd.GeoDataFrame | None,
) -> np.ndarray:
    """The address of each feature (EPSG:4326 frames): its own ``addr:*`` tags, else the first
    address point (+N) inside it, or inside the building that holds it when it is a point."""
    n = len(features)
    if n == 0:
        return np.empty(0, dtype=object)
    tags = pd.DataFrame.from_records(
        [{k: t.get(k) for k in ADDRESS_TAGS} for t in features["tags"]], index=features.index
    )
    own = own_tag_addresses(tags)
    if addresses is None or addresses.empty:
        return own
    geom = features.geometry.values
    poly = np.where(np.isin(shapely.get_type_id(geom), (3, 6)), geom, None)
    points = np.flatnonzero(shapely.get_type_id(geom) == 0)
    if buildings is not None and len(buildings) and len(points):
        pt, bld = shapely.STRtree(buildings.geometry.values).query(geom[points], predicate="within")
        first = pd.Series(bld).groupby(pt).first()
        poly[points[first.index.to_numpy()]] = buildings.geometry.values[first.to_numpy()]
    label, _ = join_addresses(poly, addresses.geometry.values, addresses, own)
    return label


def poi_labels(pois: pd.DataFrame) -> np.ndarray:
    """A readable label per POI: its name, else its address, else its tag (never a bare id)."""
    label = pd.Series(None, index=pois.index, dtype=object)
    for col in ("source", "tag", "address", "name"):  # later columns win where known
        if col in pois:
            text = pois[col].astype("string").str.strip()
            known = (text.notna() & (text != "")).to_numpy(dtype=bool)
            label = label.where(~known, text.astype(object))
    return label.to_numpy(dtype=object)


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


def data_extent(osm: OsmData) -> tuple[shapely.Polygon, str]:
    """(extent, where it comes from) of the data in EPSG:4326: the file header's bounding box,
    else the bounding box of its buildings and address points, else that of all nodes read.

    Buildings and addresses come before street nodes because a cut with complete ways (osmium
    ``-s smart``, Overpass ``(._;>;)``) carries street nodes far beyond its box, while its
    buildings and address points stay within it (give or take a building on the edge).
    """
    if osm.header_bounds is not None:
        return shapely.box(*osm.header_bounds), "file header bounds"
    boxes = [frame.total_bounds for frame in (osm.buildings, osm.addresses) if len(frame)]
    source = "bounds of the buildings and address points"
    if not boxes:
        source = "bounds of the nodes read"
        boxes = [osm.features.total_bounds] if len(osm.features) else []
        if np.isfinite(osm.ways.lon).any():
            lon, lat = osm.ways.lon, osm.ways.lat
            boxes.append(np.array([np.nanmin(lon), np.nanmin(lat), np.nanmax(lon), np.nanmax(lat)]))
    if not boxes:
        raise AreaError(f"{osm.path} has no nodes to take an extent from")
    b = np.vstack(boxes)
    extent = shapely.box(b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
    return extent, source


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
    buildings: gpd.GeoDataFrame,
    area: gpd.GeoDataFrame,
    rules: CandidateRules,
    crs: str,
    addresses: gpd.GeoDataFrame | None = None,
    *,
    footprints: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """OSM buildings of the allowed types and floor area whose inside point lies in ``area``,
    with their address (address points inside the footprint and the building's own ``addr:*``
    tags), floor area, estimated places and COA size class. ``footprints``: ``buildings``
    already projected to ``crs`` (else projected here)."""
    if buildings.empty:
        raise NoCandidatesError(
            "the OSM data holds no buildings (is the extract complete?); with `geoschikt "
            "score` you can give your own sites with --candidates FILE"
        )
    footprints = to_crs(buildings, crs) if footprints is None else footprints
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
    n_in = int(inside.sum())
    typed = inside & ok_type
    rows = np.flatnonzero(typed)
    levels = buildings["building:levels"].iloc[rows] if "building:levels" in buildings else None
    floor, floor_source = floor_area(
        m2[rows], btype.iloc[rows], levels, rules.levels, rules.default_levels
    )
    ok_size = (floor >= rules.min_floor_area_m2) & (floor <= rules.max_floor_area_m2)
    keep_rows = rows[ok_size]
    log.info(
        "%d buildings in the area; %d of an allowed type; %d also with %g-%g m2 floor area",
        n_in,
        len(rows),
        len(keep_rows),
        rules.min_floor_area_m2,
        rules.max_floor_area_m2,
    )
    if n_in == 0:
        raise NoCandidatesError(
            "the area holds no buildings of the OSM data; check that the area and the OSM file "
            "cover the same place (--area-name/--area-file, --osm)"
        )
    if not len(keep_rows):
        raise NoCandidatesError(
            f"none of the {n_in} buildings in the area passes the candidate filter "
            f"(types {', '.join(rules.building_types[:6])}..., {rules.min_floor_area_m2:g}-"
            f"{rules.max_floor_area_m2:g} m2 floor area); widen [candidates] in the config"
        )
    columns = ["osm_type", "osm_id", "building", "name"]
    out = buildings.iloc[keep_rows][columns].copy()
    out.insert(0, "candidate_id", out["osm_type"] + "/" + out["osm_id"].astype(str))
    kept_geom = geom[keep_rows]
    wgs84 = buildings.geometry.values[keep_rows]  # the join runs in the address points' CRS
    broken = ~valid.to_numpy()[keep_rows]  # invalid in the metric CRS: repair here too
    if broken.any():
        wgs84 = np.where(broken, shapely.make_valid(wgs84), wgs84)
    label, count = building_addresses(wgs84, buildings.iloc[keep_rows], addresses)
    out["address"] = label
    out["address_count"] = count
    out["area_m2"] = np.round(m2[keep_rows], 1)
    floor = floor[ok_size]
    out["floor_area_m2"] = floor
    out["floor_area_source"] = floor_source[ok_size]
    out["places_est"] = places_estimate(floor, rules.m2_per_place)
    out["coa_size_class"] = coa_size_class(floor)
    out = gpd.GeoDataFrame(out, geometry=kept_geom, crs=crs)
    if rules.unknown_use_needs_address:
        if addresses is not None and len(addresses):
            annex = (out["building"].fillna("yes") == "yes").to_numpy() & (count == 0)
            log.info(
                "%d building=yes candidates without any address left out (annexes, garages, "
                "car parks: [candidates] unknown_use_needs_address)",
                int(annex.sum()),
            )
            out = out[~annex]
        else:
            log.info(
                "the OSM data has no address points: building=yes candidates are kept without "
                "one ([candidates] unknown_use_needs_address does not apply)"
            )
    if out.empty:
        raise NoCandidatesError(
            "no building in the area passes the candidate filter ([candidates]); widen it"
        )
    return out.reset_index(drop=True)


def building_addresses(
    footprints: np.ndarray,
    tags: pd.DataFrame,
    addresses: gpd.GeoDataFrame | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(address, address_count) of footprints in EPSG:4326 (the CRS the address points are
    read in, so that none is reprojected): the address points inside each and its own
    ``addr:*`` tags (``tags`` rows align with ``footprints``)."""
    own = own_tag_addresses(tags.reset_index(drop=True))
    if addresses is None or addresses.empty:
        return join_addresses(footprints, np.empty(0, dtype=object), pd.DataFrame(), own)
    return join_addresses(footprints, addresses.geometry.values, addresses, own)


FLOOR_AREA_NAMES = ("floor_area_m2", "bvo", "bvo_m2", "vloeroppervlakte", "gebruiksoppervlakte")


def describe_user_candidates(
    frame: gpd.GeoDataFrame,
    addresses: gpd.GeoDataFrame | None,
    rules: CandidateRules,
    crs: str,
) -> gpd.GeoDataFrame:
    """A user's candidates (in ``crs``) with address, floor area, places and COA size class.

    The address comes from the file's own columns (``address``/``adres``, street and number...),
    else from the OSM address points inside polygon candidates. The floor area comes from a
    column (``floor_area_m2``, ``bvo``...), else footprint x levels for polygons; points without
    one have none.
    """
    out = frame.copy()
    geom = out.geometry.values
    polygonal = np.isin(shapely.get_type_id(geom), (3, 6))  # Polygon, MultiPolygon
    own = address_columns(out.drop(columns="geometry"))
    if own is not None:
        out["address"] = own
        out["address_count"] = np.array([v is not None for v in own], dtype=np.int64)
    else:
        wgs84 = to_crs(gpd.GeoSeries(geom, crs=crs), WGS84).values
        label, count = building_addresses(
            np.where(polygonal, wgs84, None), out.drop(columns="geometry"), addresses
        )
        out["address"], out["address_count"] = label, count
    cols = {str(c).lower(): c for c in out.columns}
    given = next((cols[n] for n in FLOOR_AREA_NAMES if n in cols), None)
    m2 = np.where(polygonal, shapely.area(geom), np.nan)
    btype = out[cols["building"]] if "building" in cols else pd.Series(None, index=out.index)
    levels = out[cols["building:levels"]] if "building:levels" in cols else None
    floor, source = floor_area(m2, btype, levels, rules.levels, rules.default_levels)
    source = np.where(polygonal, source, "unknown: a point has no footprint").astype(object)
    floor = np.where(polygonal, floor, np.nan)
    if given is not None:
        value = pd.to_numeric(out[given], errors="coerce").to_numpy(dtype=float)
        use = np.isfinite(value) & (value > 0)
        floor = np.where(use, value, floor)
        source = np.where(use, f"candidates file ({given})", source).astype(object)
    out["floor_area_m2"] = np.round(floor, 1)
    out["floor_area_source"] = source
    out["places_est"] = places_estimate(floor, rules.m2_per_place)
    out["coa_size_class"] = coa_size_class(floor)
    return out
