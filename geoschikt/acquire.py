"""OSM data in: local files (PBF, XML, compressed XML) and cached Overpass/Nominatim downloads.

The only module that opens OSM files or touches the network. Downloads are stored as OSM XML
in the cache and read by the same reader as local files, so one parser serves both paths.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely

from geoschikt.errors import DataUnavailableError, InputFileError

log = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".xml", ".xml.bz2", ".xml.gz")
NETWORK_TAGS = ("highway", "foot", "bicycle", "access", "area", "service")
BUILDING_TAGS = (
    "building",
    "name",
    "addr:street",
    "addr:housenumber",
    "addr:postcode",
    "addr:city",
)
BOUNDARY_TAGS = ("name", "admin_level", "boundary", "ref:gemeentecode", "ref")

OVERPASS_URL = "https://overpass-api.de/api/interpreter"
NOMINATIM_URL = "https://nominatim.openstreetmap.org/search"
USER_AGENT = "geoschikt (https://pypi.org/project/geoschikt)"


@dataclass(frozen=True)
class NetworkWays:
    """Highway ways as flat arrays: node ``refs``, ``lon``, ``lat`` and the ``way`` of each."""

    refs: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    way: np.ndarray
    tags: pd.DataFrame  # one row per way, columns NETWORK_TAGS


@dataclass(frozen=True)
class OsmData:
    """What geoschikt needs from one OSM file, in EPSG:4326."""

    path: Path
    sha256: str
    ways: NetworkWays
    buildings: gpd.GeoDataFrame  # osm_type, osm_id, BUILDING_TAGS, geometry
    features: gpd.GeoDataFrame  # osm_type, osm_id, name, tags (dict), geometry
    boundaries: gpd.GeoDataFrame  # osm_id, BOUNDARY_TAGS, geometry
    header_bounds: tuple[float, float, float, float] | None  # (left, bottom, right, top)
    timestamp: str | None  # ISO 8601: replication timestamp, else the newest object read
    timestamp_source: str


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_osm(
    path: str | Path,
    feature_keys: Iterable[str],
    is_feature: Callable[[object], bool] | None = None,
) -> OsmData:
    """Read network ways, buildings, tagged features and boundaries from an OSM file.

    ``feature_keys`` are the tag keys of features that criteria may select (e.g. ``amenity``);
    ``is_feature(tags)`` keeps only objects some criterion selects (default: any such key).
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"OSM file {path} does not exist; check the path (--osm)")
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise InputFileError(
            f"OSM file {path} has an unknown format; use one of {', '.join(OSM_SUFFIXES)}"
        )
    header_bounds, header_time = _read_header(path)
    header_time = header_time or _overpass_base_time(path)
    try:
        data = _scan(path, tuple(dict.fromkeys(feature_keys)), is_feature)
    except RuntimeError as exc:
        raise InputFileError(
            f"OSM file {path} could not be read ({_first_line(exc)}); it is corrupt or truncated: "
            "download or export it again"
        ) from None
    if len(data["ways"].refs) == 0 and data["buildings"].empty and data["features"].empty:
        raise InputFileError(
            f"OSM file {path} holds no streets, buildings or features; is it empty?"
        )
    newest = data.pop("newest")
    if header_time:
        timestamp, source = header_time, "file header (replication timestamp / Overpass osm_base)"
    elif newest is not None:
        timestamp, source = newest.isoformat().replace("+00:00", "Z"), "newest object read"
    else:
        timestamp, source = None, "unknown (no timestamps in the file)"
    return OsmData(
        path=path,
        sha256=file_sha256(path),
        header_bounds=header_bounds,
        timestamp=timestamp,
        timestamp_source=source,
        **data,
    )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _read_header(path: Path) -> tuple[tuple[float, float, float, float] | None, str | None]:
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        try:
            header = reader.header()
            box = header.box()
            stamp = header.get("osmosis_replication_timestamp") or None
        finally:
            reader.close()
    except RuntimeError as exc:
        raise InputFileError(
            f"OSM file {path} could not be read ({_first_line(exc)}); it is corrupt or not OSM "
            "data: download or export it again"
        ) from None
    bounds = None
    if box.valid():
        bounds = (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
    return bounds, stamp


def _overpass_base_time(path: Path) -> str | None:
    """Overpass answers carry their data date as ``<meta osm_base="..."/>`` near the top."""
    if not path.name.endswith((".osm", ".xml")):
        return None
    with open(path, "rb") as fh:
        head = fh.read(4096)
    match = re.search(rb'<meta\s+osm_base="([^"]+)"', head)
    return match.group(1).decode() if match else None


def _scan(path: Path, feature_keys: tuple[str, ...], is_feature) -> dict:
    """One pass over the file (two for multipolygon relations), collecting what we need."""
    wkb = osmium.geom.WKBFactory()
    wanted = ("highway", "building", "boundary", *feature_keys)
    proc = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_areas(osmium.filter.KeyFilter("building", "boundary", *feature_keys))
        .with_filter(osmium.filter.KeyFilter(*wanted))
    )
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    way_ix: list[int] = []
    way_tags: list[tuple] = []
    bld_rows: list[tuple] = []
    bld_geom: list[bytes] = []
    feat_rows: list[tuple] = []
    feat_geom: list = []
    pending_ways: dict[int, tuple] = {}  # closed feature ways waiting for their area
    bnd_rows: list[tuple] = []
    bnd_geom: list[bytes] = []
    newest = None
    fset = set(feature_keys)

    def keep(tags) -> bool:
        if is_feature is not None:
            return is_feature(tags)
        return bool(fset.intersection(k for k, _ in tags))

    for obj in proc:
        ts = obj.timestamp
        if newest is None or ts > newest:
            newest = ts
        tags = obj.tags
        if isinstance(obj, osmium.osm.Node):
            if keep(tags):
                loc = obj.location
                if loc.valid():
                    feat_rows.append(("node", obj.id, tags.get("name"), dict(tags)))
                    feat_geom.append(shapely.Point(loc.lon, loc.lat))
        elif isinstance(obj, osmium.osm.Way):
            if "highway" in tags:
                n = 0
                for nd in obj.nodes:
                    loc = nd.location
                    if loc.valid():
                        refs.append(nd.ref)
                        lons.append(loc.lon)
                        lats.append(loc.lat)
                        n += 1
                way_ix.extend([len(way_tags)] * n)
                way_tags.append(tuple(tags.get(k) for k in NETWORK_TAGS))
            if keep(tags):
                row = ("way", obj.id, tags.get("name"), dict(tags))
                line = _way_line(obj)
                if obj.is_closed() and len(obj.nodes) >= 4:
                    pending_ways[obj.id] = (row, line)
                elif line is not None:
                    feat_rows.append(row)
                    feat_geom.append(line)
        elif isinstance(obj, osmium.osm.Area):
            osm_type = "way" if obj.from_way() else "relation"
            osm_id = obj.orig_id()
            try:
                geom = wkb.create_multipolygon(obj)
            except RuntimeError:
                continue
            if tags.get("building", "no") != "no":
                bld_rows.append((osm_type, osm_id, *(tags.get(k) for k in BUILDING_TAGS)))
                bld_geom.append(geom)
            if osm_type == "relation" and tags.get("boundary") == "administrative":
                bnd_rows.append((osm_id, *(tags.get(k) for k in BOUNDARY_TAGS)))
                bnd_geom.append(geom)
            if keep(tags):
                if osm_type == "way":
                    pending_ways.pop(osm_id, None)
                feat_rows.append((osm_type, osm_id, tags.get("name"), dict(tags)))
                feat_geom.append(shapely.from_wkb(geom))
    for row, line in pending_ways.values():  # closed ways that did not assemble into an area
        if line is not None:
            feat_rows.append(row)
            feat_geom.append(line)

    ways = NetworkWays(
        refs=np.asarray(refs, dtype=np.int64),
        lon=np.asarray(lons, dtype=float),
        lat=np.asarray(lats, dtype=float),
        way=np.asarray(way_ix, dtype=np.int64),
        tags=pd.DataFrame(way_tags, columns=list(NETWORK_TAGS), dtype=object),
    )
    buildings = gpd.GeoDataFrame(
        pd.DataFrame(bld_rows, columns=["osm_type", "osm_id", *BUILDING_TAGS]),
        geometry=shapely.from_wkb(bld_geom) if bld_geom else [],
        crs="EPSG:4326",
    )
    features = gpd.GeoDataFrame(
        pd.DataFrame(feat_rows, columns=["osm_type", "osm_id", "name", "tags"]),
        geometry=feat_geom,
        crs="EPSG:4326",
    )
    boundaries = gpd.GeoDataFrame(
        pd.DataFrame(bnd_rows, columns=["osm_id", *BOUNDARY_TAGS]),
        geometry=shapely.from_wkb(bnd_geom) if bnd_geom else [],
        crs="EPSG:4326",
    )
    return {
        "ways": ways,
        "buildings": buildings,
        "features": features,
        "boundaries": boundaries,
        "newest": newest,
    }


def _way_line(way) -> shapely.LineString | None:
    coords = [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
    if len(coords) < 2:
        return None
    return shapely.LineString(coords)


# --------------------------------------------------------------------------------------------
# Downloads: Nominatim (place -> boundary) and Overpass (bbox -> OSM XML), cached on disk.

Transport = Callable[[str, dict], bytes]
"""``transport(url, params) -> response body``; replaced in tests by recorded responses."""


def http_transport(url: str, params: dict) -> bytes:
    """POST for Overpass, GET for Nominatim, with a descriptive User-Agent."""
    import requests

    headers = {"User-Agent": USER_AGENT}
    try:
        if url == OVERPASS_URL:
            resp = requests.post(url, data=params, headers=headers, timeout=600)
        else:
            resp = requests.get(url, params=params, headers=headers, timeout=60)
        resp.raise_for_status()
    except requests.RequestException as exc:
        raise DataUnavailableError(
            f"download from {url} failed ({_first_line(exc)}); check the connection, or use "
            "a local OSM file with --osm"
        ) from None
    return resp.content


def default_cache_dir() -> Path:
    """``$GEOSCHIKT_CACHE``, else ``~/.cache/geoschikt``."""
    env = os.environ.get("GEOSCHIKT_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "geoschikt"


def cache_key(url: str, params: dict) -> str:
    """Stable key of a request: SHA-256 of the URL and its sorted parameters."""
    blob = json.dumps({"url": url, "params": params}, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def cached_request(
    url: str,
    params: dict,
    *,
    suffix: str,
    cache_dir: Path,
    offline: bool,
    transport: Transport | None = None,
) -> Path:
    """Path of the cached response to a request, downloading it first unless offline."""
    target = Path(cache_dir) / f"{cache_key(url, params)}{suffix}"
    if target.is_file():
        log.info("using cached response %s", target)
        return target
    if offline:
        raise DataUnavailableError(
            f"--offline: the cache has no response for this request (missing {target}); "
            "run once without --offline to download it, or use --osm FILE"
        )
    log.info("downloading from %s", url)
    body = (transport or http_transport)(url, params)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(body)
    meta = {"url": url, "params": params, "fetched": dt.datetime.now(dt.UTC).isoformat()}
    target.with_name(target.name + ".json").write_text(json.dumps(meta, indent=1))
    os.replace(tmp, target)
    return target


def overpass_query(bbox: tuple[float, float, float, float], feature_rules: Iterable[str]) -> str:
    """Overpass QL for streets, buildings, boundaries and the criteria's features in a bbox.

    ``bbox`` is (left, bottom, right, top) in EPSG:4326; ``feature_rules`` are ``key=v1|v2`` or
    ``key=*`` strings from the criteria. Output is OSM XML with metadata (timestamps).
    """
    left, bottom, right, top = bbox
    parts = [
        'way["highway"];',
        'way["building"];',
        'relation["building"];',
        'relation["boundary"="administrative"];',
    ]
    for rule in feature_rules:
        key, _, values = rule.partition("=")
        if values in ("", "*"):
            parts.append(f'nwr["{key}"];')
        else:
            pattern = "|".join(v.replace('"', "") for v in values.split("|"))
            parts.append(f'nwr["{key}"~"^({pattern})$"];')
    body = "\n  ".join(parts)
    return (
        f"[out:xml][timeout:600][bbox:{bottom},{left},{top},{right}];\n"
        f"(\n  {body}\n);\n(._;>;);\nout meta;"
    )


def fetch_bbox(
    bbox: tuple[float, float, float, float],
    feature_rules: Iterable[str],
    *,
    cache_dir: Path,
    offline: bool,
    transport: Transport | None = None,
) -> Path:
    """OSM XML for ``bbox`` from Overpass (cached); returns the file to pass to ``read_osm``."""
    query = overpass_query(bbox, feature_rules)
    body = cached_request(
        OVERPASS_URL,
        {"data": query},
        suffix=".osm",
        cache_dir=cache_dir,
        offline=offline,
        transport=transport,
    )
    if body.stat().st_size < 200 and b"<osm" not in body.read_bytes():
        raise DataUnavailableError(f"Overpass returned no OSM data (see {body}); try again later")
    return body


def geocode_place(
    place: str, *, cache_dir: Path, offline: bool, transport: Transport | None = None
) -> gpd.GeoDataFrame:
    """Boundary polygon of a named place from Nominatim (cached), as a one-row GeoDataFrame."""
    params = {"q": place, "format": "json", "polygon_geojson": "1", "limit": "5"}
    path = cached_request(
        NOMINATIM_URL,
        params,
        suffix=".json",
        cache_dir=cache_dir,
        offline=offline,
        transport=transport,
    )
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DataUnavailableError(
            f"Nominatim answer in {path} is not JSON; delete it and retry"
        ) from None
    polys = [r for r in results if r.get("geojson", {}).get("type") in ("Polygon", "MultiPolygon")]
    if not polys:
        raise DataUnavailableError(
            f"Nominatim found no boundary polygon for {place!r}; give a more precise name "
            "(e.g. 'Delft, Nederland') or use --bbox"
        )
    best = polys[0]
    geom = shapely.geometry.shape(best["geojson"])
    return gpd.GeoDataFrame(
        {
            "name": [best.get("display_name", place)],
            "osm_type": [best.get("osm_type")],
            "osm_id": [best.get("osm_id")],
        },
        geometry=[geom],
        crs="EPSG:4326",
    )
