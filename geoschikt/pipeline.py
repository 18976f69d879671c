"""score_area(): the whole data flow in one readable place.

config -> OSM data -> area, candidates, features -> network distances -> scores -> result
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoschikt.acquire import OsmData, fetch_bbox, geocode_place, read_osm
from geoschikt.config import Config
from geoschikt.errors import AreaError, InputFileError, NoCandidatesError
from geoschikt.features import (
    area_by_name,
    area_frame,
    data_extent,
    default_extent,
    describe_user_candidates,
    feature_keys,
    feature_predicate,
    select_candidates,
    select_pois,
)
from geoschikt.geo import WGS84, choose_metric_crs, grow_bounds, to_crs, transform_xy
from geoschikt.inputs import (
    checked_frame,
    prepare_candidates,
    prepare_reception,
    read_area_file,
    read_candidates,
    read_reception,
)
from geoschikt.measure import Measurer
from geoschikt.notes import OUTSIDE_EXTENT, metres, note, render
from geoschikt.profiles import profile_scores
from geoschikt.provenance import frame_record, input_record, run_record
from geoschikt.rasters import Surface, make_grid
from geoschikt.scoring import Measured, not_assessed_record, score, score_col

log = logging.getLogger(__name__)


class Timings:
    """Wall-clock seconds per stage, logged as the run goes."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        log.info("%s ...", name)
        start = time.perf_counter()
        yield
        took = time.perf_counter() - start
        self.seconds[name] = round(self.seconds.get(name, 0.0) + took, 3)
        log.info("%s: done in %.2f s", name, took)


@dataclass(frozen=True)
class ScoreResult:
    """Everything a run produces, before it is written.

    ``candidates`` and ``pois`` are in the metric ``crs``; ``area`` and ``reception`` in EPSG:4326.
    """

    candidates: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    area: gpd.GeoDataFrame
    reception: gpd.GeoDataFrame | None
    config: Config
    crs: str
    provenance: dict = field(default_factory=dict)
    measured: tuple[Measured, ...] = ()
    surface: Surface | None = None
    balance: gpd.GeoDataFrame | None = None

    def top(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` best candidates: rank, id, name or address, suitability, limits."""
        frame = self.candidates.sort_values(["rank", "candidate_id"]).head(n)
        table = pd.DataFrame(
            {
                "rank": frame["rank"],
                "address or name": candidate_labels(frame).str.slice(0, 44),
                "type": frame.get("building", ""),
                "floor m2": frame.get("floor_area_m2", np.nan),
                "places": frame.get("places_est", np.nan),
                "suitability": frame["suitability"],
                "passes": frame["passes"],
            }
        )
        return table.reset_index(drop=True)


def candidate_labels(frame: pd.DataFrame) -> pd.Series:
    """A readable label per candidate: its address, else its name, else its id."""
    label = pd.Series(None, index=frame.index, dtype=object)
    for col in ("candidate_id", "name", "address"):  # later columns win where they are known
        if col in frame:
            text = frame[col].astype("string").str.strip()
            known = (text.notna() & (text != "")).to_numpy(dtype=bool)
            label = label.where(~known, text.astype(object))
    return label.astype(str)


def load_osm(osm_path: str | Path, config: Config) -> OsmData:
    """Read what the configured criteria need from an OSM file."""
    return read_osm(osm_path, feature_keys(config), feature_predicate(config))


def score_area(osm_path: str | Path, *, config: Config, **kwargs) -> ScoreResult:
    """Score every candidate of an area in the OSM file ``osm_path``; see ``score_osm``."""
    timings = Timings()
    with timings.stage("reading OSM data"):
        osm = load_osm(osm_path, config)
    return score_osm(osm, config=config, timings=timings, **kwargs)


def score_osm(
    osm: OsmData,
    *,
    config: Config,
    area: gpd.GeoDataFrame | None = None,
    area_name: str | None = None,
    admin_level: str | None = None,
    area_file: str | Path | None = None,
    candidates_file: str | Path | None = None,
    id_column: str | None = None,
    reception_file: str | Path | None = None,
    csv_crs: str | None = None,
    balance_file: str | Path | None = None,
    candidates_frame: gpd.GeoDataFrame | None = None,
    reception_frame: gpd.GeoDataFrame | None = None,
    timings: Timings | None = None,
) -> ScoreResult:
    """Score every candidate of an area on the configured criteria.

    The area is ``area`` (a polygon frame, e.g. from geocoding or a batch region), else the
    boundary called ``area_name`` in the OSM data, else the polygons of ``area_file``, else the
    data's extent. Candidates are the OSM buildings in the area, or those of ``candidates_file``
    (or ``candidates_frame``, given in Python); reception sites those of ``reception_file`` (or
    ``reception_frame``).
    """
    timings = timings or Timings()
    started = dt.datetime.now(dt.UTC)
    inputs = [
        {
            "role": "osm",
            "path": str(osm.path),
            "bytes": osm.path.stat().st_size if osm.path.is_file() else None,
            "sha256": osm.sha256,
        }
    ]

    footprints = None  # the OSM buildings in the metric CRS, when projected already
    with timings.stage("selecting area and candidates"):
        area, area_given = _resolve_area(osm, area, area_name, admin_level, area_file)
        if area_file:
            inputs.append(input_record("area", area_file))
        centre = area.geometry.union_all().centroid
        crs = choose_metric_crs(centre.x, centre.y, config.crs)
        if candidates_file is not None:
            inputs.append(input_record("candidates", candidates_file))
            own = read_candidates(candidates_file, id_column, csv_crs=csv_crs)
            candidates = _user_candidates(
                own, str(candidates_file), area if area_given else None, crs
            )
        elif candidates_frame is not None:
            inputs.append(frame_record("candidates", candidates_frame))
            own = checked_frame(candidates_frame, "candidates")
            own = prepare_candidates(own, "the candidates GeoDataFrame", id_column)
            candidates = _user_candidates(
                own, "the GeoDataFrame", area if area_given else None, crs
            )
        if candidates_file is not None or candidates_frame is not None:
            candidates = describe_user_candidates(candidates, osm.addresses, config.candidates, crs)
        else:  # the footprints are projected once, for the candidates and snapping obstacles
            footprints = to_crs(osm.buildings, crs)
            candidates = select_candidates(
                osm.buildings, area, config.candidates, crs, osm.addresses, footprints=footprints
            )
        reception = None
        if reception_file is not None:
            inputs.append(input_record("reception", reception_file))
            reception = read_reception(reception_file, csv_crs=csv_crs)
        elif reception_frame is not None:
            inputs.append(frame_record("reception", reception_frame))
            own = checked_frame(reception_frame, "reception")
            reception = prepare_reception(own, "the reception GeoDataFrame")
        pois = _pois(osm, config, reception, crs)
    log.info(
        "%d candidates; features: %s",
        len(candidates),
        ", ".join(f"{k} {v}" for k, v in pois["category"].value_counts().sort_index().items()),
    )

    extent, extent_source = data_extent(osm)
    extent_m = to_crs(gpd.GeoSeries([extent], crs=WGS84), crs).iat[0]
    outside_share = _share_outside(to_crs(area, crs).geometry.union_all(), extent_m)
    if outside_share > 0.005:
        log.warning(
            "%.0f%% of the area lies outside the OSM data (its extent: %s); candidates there "
            "are not scored (coverage = none) and surface cells there are nodata: use an "
            "extract that covers the whole area",
            100 * outside_share,
            extent_source,
        )
    measurer = Measurer(osm, pois, config, crs, timings, footprints=footprints)
    with timings.stage("measuring distances"):
        pts = shapely.point_on_surface(candidates.geometry.values)
        cx, cy = shapely.get_x(pts), shapely.get_y(pts)
        lon, lat = transform_xy(cx, cy, crs, WGS84)
        measured, extra = measurer.measure(cx, cy, own=_own_footprints(footprints, candidates))
        cover = coverage(measured, extent_m, cx, cy, config.lang)
        extra = {"lon": np.round(lon, 7), "lat": np.round(lat, 7), **cover, **extra}
    n_outside = int((cover["coverage"] == "none").sum())
    if n_outside:
        log.warning(
            "%d candidate(s) lie outside the OSM data: not scored, no rank (coverage = none)",
            n_outside,
        )
    with timings.stage("scoring"):
        outside = np.asarray(cover["coverage"] == "none")
        scores = score(measured, lang=config.lang, outside=outside)
        if config.profiles:
            scores = pd.concat([scores, profile_scores(measured, config, outside)], axis=1)
        result = _assemble(candidates, extra, scores)
    surface = None
    if config.surface_m > 0:
        with timings.stage("suitability surface"):
            surface = suitability_surface(measurer, area, crs, config, extent_m)
    network_info = measurer.network_info

    body = {
        "inputs": inputs,
        "osm_data_timestamp": osm.timestamp,
        "osm_data_timestamp_source": osm.timestamp_source,
        "area": {
            "name": str(area["name"].iat[0]),
            "source": str(area["source"].iat[0]),
            "bounds_wgs84": [round(b, 6) for b in area.total_bounds],
        },
        "data_extent": {
            "bounds_wgs84": [round(b, 6) for b in extent.bounds],
            "source": extent_source,
            "area_outside_share": round(outside_share, 4),
            "candidates": {
                k: int((cover["coverage"] == k).sum()) for k in ("full", "partial", "none")
            },
        },
        "crs": crs,
        "distance": config.distance,
        "config_sources": list(config.sources),
        "config": config.to_dict(),
        "counts": {
            "candidates": len(result),
            "passing": int(result["passes"].sum()),
            "dwellings": _dwelling_count(result, config),
            "with_address": int(result["address"].notna().sum()) if "address" in result else 0,
            "features": {k: int(v) for k, v in pois["category"].value_counts().items()},
            "networks": network_info,
        },
        **not_assessed_record(measured),
        "timings_s": timings.seconds,
    }
    provenance = run_record(
        body,
        time_key="started",
        time=started.isoformat(timespec="seconds"),
        environment=True,
        attribution=True,
    )
    for crit in config.criteria:
        if crit.raster is not None:
            inputs.append(input_record(f"raster ({crit.key})", crit.raster))
    balance = None
    if balance_file is not None:
        inputs.append(input_record("balance", balance_file))
        balance = read_balance_layer(balance_file, area)
    return ScoreResult(
        result, pois, area, reception, config, crs, provenance, tuple(measured), surface, balance
    )


BALANCE_COLUMNS = ("statcode", "statnaam", "places_per_1000", "reference_date")


def read_balance_layer(path: str | Path, area: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The municipalities of a `geoschikt balance` GeoPackage that touch the area (EPSG:4326)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(
            f"balance file {path} does not exist; make it with `geoschikt balance`"
        )
    try:
        layer = gpd.read_file(path, layer="balance", engine="pyogrio")
    except Exception:
        raise InputFileError(
            f"{path} has no 'balance' layer; give the balance.gpkg that `geoschikt balance` wrote"
        ) from None
    missing = [c for c in BALANCE_COLUMNS if c not in layer.columns]
    if missing:
        raise InputFileError(f"{path} lacks the column(s) {', '.join(missing)}")
    layer = to_crs(layer, WGS84)
    near = layer[layer.intersects(area.geometry.union_all().buffer(0.05))]
    return near.reset_index(drop=True)


def suitability_surface(
    measurer: Measurer,
    area: gpd.GeoDataFrame,
    crs: str,
    config: Config,
    extent: shapely.Geometry | None = None,
):
    """Scores on a regular grid over the area: one band per criterion score plus the total.

    Cells are scored like candidates (their centre is the point); cells outside the area,
    outside the data ``extent`` (in ``crs``) or farther than ``max_snap_m`` from the network
    are nodata.
    """
    grid = make_grid(to_crs(area, crs).geometry.union_all(), crs, config.surface_m)
    x, y = grid.centres()
    measured, _ = measurer.measure(x, y, candidates=False)
    off = np.zeros(len(x), dtype=bool)
    if extent is not None:
        off |= ~shapely.contains_xy(extent, x, y)
    for m in measured:
        if m.assessed and m.criterion.measure == "distance":
            off |= np.isnan(m.distance)
    surface = score_surface(grid, tuple(measured), ~off, config.lang)
    log.info(
        "surface: %d x %d cells of %g m, %d scored",
        grid.width,
        grid.height,
        grid.resolution,
        int((~off).sum()),
    )
    return surface


def score_surface(grid, measured: tuple[Measured, ...], scored: np.ndarray, lang: str) -> Surface:
    """The bands of a surface from its cells' measurements: one per assessed criterion's
    score and the suitability; cells not ``scored`` (of those inside the area) are nodata.
    Used by a run and, with a new configuration, by ``rescore``."""
    scores = score(list(measured), lang=lang)
    names = [score_col(m.criterion.key) for m in measured if m.assessed] + ["suitability"]
    bands = np.full((len(names), grid.height, grid.width), np.nan, dtype="float32")
    rows, cols = np.nonzero(grid.inside)
    for i, name in enumerate(names):
        values = scores[name].to_numpy(dtype=float)
        bands[i, rows, cols] = np.where(scored, values, np.nan)
    return Surface(grid, tuple(names), bands, measured, scored)


def _dwelling_count(candidates: pd.DataFrame, config: Config) -> int:
    """Candidates whose building type is a dwelling (private homes)."""
    if "building" not in candidates:
        return 0
    return int(candidates["building"].isin(config.candidates.dwelling_types).sum())


def _own_footprints(
    footprints: gpd.GeoDataFrame | None, candidates: gpd.GeoDataFrame
) -> np.ndarray | None:
    """Per candidate, the row of its own footprint in ``footprints`` (-1: none), matched on
    ``osm_type``/``osm_id``; None when there are no footprints (own candidates) or the ids are
    not unique."""
    if footprints is None or not {"osm_type", "osm_id"} <= set(candidates.columns):
        return None

    columns = ["osm_type", "osm_id"]
    index = pd.MultiIndex.from_frame(footprints[columns])
    if not index.is_unique:
        return None
    own: np.ndarray = index.get_indexer(pd.MultiIndex.from_frame(candidates[columns]))
    return own


def _share_outside(area: shapely.Geometry, extent: shapely.Geometry) -> float:
    """Share of ``area``'s surface outside ``extent`` (both in a metric CRS)."""
    total = area.area
    if total <= 0:
        return 0.0
    return float(max(0.0, total - area.intersection(extent).area) / total)


def coverage(
    measured: list[Measured],
    extent: shapely.Geometry,
    x: np.ndarray,
    y: np.ndarray,
    lang: str = "en",
) -> dict[str, np.ndarray]:
    """``coverage`` and ``coverage_note`` (in ``lang``) per point.

    ``none``: the point lies outside the data extent. ``partial``: for some assessed distance
    criterion on OSM features, the search reached the edge of the data before it found a
    feature: the nearest feature is farther away than the straight distance from the point to
    the edge of the data extent, or none was found within a reach that extends beyond that
    edge. A closer feature may then lie outside the data. ``full``: otherwise.
    """
    inside = shapely.contains_xy(extent, x, y)
    edge = shapely.distance(shapely.boundary(extent), shapely.points(x, y))
    reached: list[tuple[str, np.ndarray]] = []
    for m in measured:
        c = m.criterion
        if not m.assessed or c.source != "osm" or c.measure != "distance":
            continue
        d = np.asarray(m.distance, dtype=float)
        beyond = (np.isfinite(d) & (d > edge)) | (np.isinf(d) & (c.reach_m > edge))
        reached.append((c.key, inside & beyond))
    hit = np.zeros(len(x), dtype=bool)
    keys = np.full(len(x), "", dtype=object)
    for key, where in reached:
        keys[where] = np.where(keys[where] == "", key, keys[where] + ", " + key)
        hit |= where
    kind = np.where(~inside, "none", np.where(hit, "partial", "full")).astype(object)
    text = np.full(len(x), "", dtype=object)
    text[~inside] = render(OUTSIDE_EXTENT, lang)
    rows = np.flatnonzero(hit)
    text[rows] = [
        render(note("partial_coverage", keys=k, m=metres(e)), lang)
        for k, e in zip(keys[rows], edge[rows], strict=True)
    ]
    return {"coverage": kind, "coverage_note": text}


def _resolve_area(osm: OsmData, area, area_name, admin_level, area_file):
    given = sum(x is not None for x in (area, area_name, area_file))
    if given > 1:
        raise AreaError("give only one of --area-name and --area-file (or a place)")
    if area is not None:
        return area, True
    if area_name is not None:
        hit = area_by_name(osm.boundaries, area_name, admin_level)
        name = f"{hit['name'].iat[0]} (relation {hit['osm_id'].iat[0]})"
        return area_frame(hit.geometry.iat[0], name, "OSM boundary"), True
    if area_file is not None:
        return read_area_file(area_file), True
    return area_frame(default_extent(osm), osm.path.name, "extent of the OSM data"), False


def _user_candidates(frame, source: str, area, crs) -> gpd.GeoDataFrame:
    """The user's candidates inside the area (when one is given), in the metric CRS."""
    if area is not None:
        pts = shapely.point_on_surface(frame.geometry.values)
        inside = shapely.contains_xy(
            area.geometry.union_all(), shapely.get_x(pts), shapely.get_y(pts)
        )
        if not inside.any():
            raise NoCandidatesError(
                f"none of the {len(frame)} candidates in {source} lies inside the area"
            )
        frame = frame[inside].reset_index(drop=True)
    return to_crs(frame, crs)


def _pois(osm: OsmData, config: Config, reception, crs: str) -> gpd.GeoDataFrame:
    pois = select_pois(
        osm.features, config.criteria, crs, buildings=osm.buildings, addresses=osm.addresses
    )
    if reception is not None and len(reception):
        own = []
        for crit in config.criteria:
            if crit.source == "reception":
                part = to_crs(reception, crs).copy()
                part["category"] = crit.key
                part["osm_type"] = None
                part["osm_id"] = None
                part["tag"] = None
                part["source"] = "reception file"
                own.append(part)
        if own:
            pois = pd.concat([pois, *own], ignore_index=True)
            pois = gpd.GeoDataFrame(pois, geometry="geometry", crs=crs)
    return pois


def _assemble(candidates: gpd.GeoDataFrame, extra: dict, scores: pd.DataFrame) -> gpd.GeoDataFrame:
    extra_frame = pd.DataFrame(extra, index=candidates.index)
    scores.index = candidates.index
    own = candidates.drop(columns="geometry")
    taken = set(extra_frame.columns) | set(scores.columns)
    own = own.rename(columns={c: f"{c}_input" for c in own.columns if c in taken})
    out = pd.concat([own, extra_frame, scores], axis=1)
    return gpd.GeoDataFrame(out, geometry=candidates.geometry, crs=candidates.crs)


def osm_for_place(place: str, config: Config, *, cache_dir: Path, offline: bool, transport=None):
    """(OSM XML path, area frame) for a named place: Nominatim boundary + Overpass download."""
    area = geocode_place(place, cache_dir=cache_dir, offline=offline, transport=transport)
    area["source"] = "Nominatim"
    bbox = grow_bounds(area.total_bounds, max(c.reach_m for c in config.criteria))
    return fetch_bbox(
        bbox, _rules(config), cache_dir=cache_dir, offline=offline, transport=transport
    ), area


def osm_for_bbox(bbox, config: Config, *, cache_dir: Path, offline: bool, transport=None):
    """(OSM XML path, area frame) for a bbox (left, bottom, right, top): features within reach
    outside the bbox are downloaded too."""
    area = area_frame(shapely.box(*bbox), "bbox " + ",".join(f"{b:g}" for b in bbox), "bbox")
    big = grow_bounds(bbox, max(c.reach_m for c in config.criteria))
    return fetch_bbox(
        big, _rules(config), cache_dir=cache_dir, offline=offline, transport=transport
    ), area


def _rules(config: Config) -> list[str]:
    rules = []
    for c in config.criteria:
        if not c.selects_features:
            continue
        for key, vals in c.tags.rules:
            rules.append(f"{key}=" + ("*" if vals is None else "|".join(sorted(vals))))
        rules.extend(f"{key}=*" for key, _ in c.tags.contains)
    return sorted(set(rules))
