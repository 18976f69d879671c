"""OSM files in: PBF, XML and compressed XML, read whole (``read_osm``) or in chunks
(``stream_osm``). The only module that opens OSM files; downloads (``overpass``) are stored as
OSM XML and read by this same reader, so one parser serves both paths.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely

from geoschikt.errors import InputFileError, first_line
from geoschikt.hashing import file_sha256

log = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".xml", ".xml.bz2", ".xml.gz")
NETWORK_TAGS = ("highway", "foot", "bicycle", "access", "area", "service", "route")
BARRIER_TAGS = ("barrier", "access", "foot", "bicycle")  # of barrier nodes (gates, bollards)
WATER_KEYS = ("natural", "waterway", "water")  # water areas: snapping does not cross them
BUILDING_TAGS = (
    "building",
    "name",
    "addr:street",
    "addr:housenumber",
    "addr:postcode",
    "addr:city",
    "building:levels",
)
ADDRESS_TAGS = ("addr:street", "addr:housenumber", "addr:postcode", "addr:city")
BOUNDARY_TAGS = ("name", "admin_level", "boundary", "ref:gemeentecode", "ref")


@dataclass(frozen=True)
class NetworkWays:
    """Highway ways as flat arrays: node ``refs``, ``lon``, ``lat`` (NaN where the extract lacks
    the node) and the ``way`` of each."""

    refs: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    way: np.ndarray
    tags: pd.DataFrame  # one row per way, columns NETWORK_TAGS
    # barrier nodes with an access, foot or bicycle tag: columns "ref" and BARRIER_TAGS
    barriers: pd.DataFrame | None = None


def empty_addresses() -> gpd.GeoDataFrame:
    """An address-point frame without rows (osm_id, ADDRESS_TAGS, point geometry)."""
    return _address_frame([], [])


def _address_frame(rows: list[tuple], xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    coords = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["osm_id", *ADDRESS_TAGS]),
        geometry=shapely.points(coords) if len(coords) else [],
        crs="EPSG:4326",
    )


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
    # nodes with addr:housenumber (Dutch OSM: BAG addresses as points inside buildings)
    addresses: gpd.GeoDataFrame = field(default_factory=empty_addresses)
    water: gpd.GeoDataFrame | None = None  # water areas (osm_id, geometry), for snapping


def read_osm(
    path: str | Path,
    feature_keys: Iterable[str],
    is_feature: Callable[[object], bool] | None = None,
    *,
    sha256: str | None = None,
) -> OsmData:
    """Read network ways, buildings, tagged features and boundaries from an OSM file.

    ``feature_keys`` are the tag keys of features that criteria may select (e.g. ``amenity``);
    ``is_feature(tags)`` keeps only objects some criterion selects (default: any such key).
    ``sha256`` is the file's hash when the caller has it already.
    """
    chunks: list[OsmChunk] = []
    meta = stream_osm(path, feature_keys, is_feature, on_chunk=chunks.append, sha256=sha256)
    data = chunks[0] if len(chunks) == 1 else concat_chunks(chunks)
    return OsmData(
        ways=data.ways,
        buildings=data.buildings,
        features=data.features,
        boundaries=data.boundaries,
        addresses=data.addresses,
        water=data.water,
        **meta,
    )


@dataclass(frozen=True)
class OsmChunk:
    """A run of consecutive objects of an OSM file, parsed (see ``stream_osm``)."""

    ways: NetworkWays
    buildings: gpd.GeoDataFrame
    features: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    addresses: gpd.GeoDataFrame = field(default_factory=empty_addresses)
    water: gpd.GeoDataFrame | None = None

    def __len__(self) -> int:
        return len(self.ways.tags) + len(self.buildings) + len(self.features) + len(self.addresses)


def stream_osm(
    path: str | Path,
    feature_keys: Iterable[str],
    is_feature: Callable[[object], bool] | None = None,
    *,
    on_chunk: Callable[[OsmChunk], None],
    chunk_objects: int = 0,
    node_store: str = "flex_mem",
    sha256: str | None = None,
) -> dict:
    """Read an OSM file like ``read_osm`` but hand the data to ``on_chunk`` in pieces of about
    ``chunk_objects`` ways, buildings and features (0: one piece), so that a caller can cut a
    large extract without holding it. ``node_store`` is the pyosmium node location index
    (e.g. ``"sparse_file_array,/tmp/nodes"`` to keep it on disk). Returns the metadata fields
    of ``OsmData``.
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
    total = 0

    def count(chunk: OsmChunk) -> None:
        nonlocal total
        total += len(chunk)
        on_chunk(chunk)

    try:
        newest = _scan(
            path,
            tuple(dict.fromkeys(feature_keys)),
            is_feature,
            need_newest=not header_time,
            on_chunk=count,
            chunk_objects=chunk_objects,
            node_store=node_store,
        )
    except RuntimeError as exc:
        raise InputFileError(
            f"OSM file {path} could not be read ({first_line(exc)}); it is corrupt or truncated: "
            "download or export it again"
        ) from None
    except ValueError as exc:  # libosmium: e.g. a tag value over 1024 characters
        raise InputFileError(
            f"OSM file {path} is not valid OSM data ({first_line(exc)}; OSM allows 255 "
            "characters per tag value); fix or drop that object, e.g. with osmium tags-filter"
        ) from None
    if total == 0:
        raise InputFileError(
            f"OSM file {path} holds no streets, buildings or features; is it empty?"
        )
    if header_time:
        timestamp, source = header_time, "file header (replication timestamp / Overpass osm_base)"
    elif newest is not None:
        timestamp, source = newest.isoformat().replace("+00:00", "Z"), "newest object read"
    else:
        timestamp, source = None, "unknown (no timestamps in the file)"
    return {
        "path": path,
        "sha256": sha256 or file_sha256(path),
        "header_bounds": header_bounds,
        "timestamp": timestamp,
        "timestamp_source": source,
    }


def concat_chunks(chunks: list[OsmChunk]) -> OsmChunk:
    """One chunk holding the rows of ``chunks`` in order."""
    offsets = np.cumsum([0] + [len(c.ways.tags) for c in chunks[:-1]])

    def frames(name: str) -> gpd.GeoDataFrame:
        parts = [getattr(c, name) for c in chunks]
        parts = [p for p in parts if len(p)] or parts[:1]  # pandas warns on empty parts
        return gpd.GeoDataFrame(_concat_like_one_read(parts), crs=parts[0].crs)

    ways = NetworkWays(
        refs=np.concatenate([c.ways.refs for c in chunks]),
        lon=np.concatenate([c.ways.lon for c in chunks]),
        lat=np.concatenate([c.ways.lat for c in chunks]),
        way=np.concatenate([c.ways.way + o for c, o in zip(chunks, offsets, strict=True)]),
        tags=_concat_like_one_read([c.ways.tags for c in chunks]),
        barriers=pd.concat([_barriers(c.ways) for c in chunks], ignore_index=True),
    )
    water = [c.water for c in chunks if c.water is not None and len(c.water)]
    return OsmChunk(
        ways,
        frames("buildings"),
        frames("features"),
        frames("boundaries"),
        addresses=frames("addresses"),
        water=gpd.GeoDataFrame(pd.concat(water, ignore_index=True), crs="EPSG:4326")
        if water
        else _empty_water(),
    )


def _barriers(ways: NetworkWays) -> pd.DataFrame:
    if ways.barriers is not None:
        return ways.barriers
    return pd.DataFrame({"ref": np.zeros(0, dtype=np.int64)} | {k: [] for k in BARRIER_TAGS})


def _empty_water() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"osm_id": np.zeros(0, dtype=np.int64)}, geometry=[], crs="EPSG:4326")


def is_water(tags) -> bool:
    """A water area: natural=water, waterway=riverbank|canal|dock, or any water=* tag."""
    return (
        tags.get("natural") == "water"
        or tags.get("waterway") in ("riverbank", "canal", "dock")
        or "water" in tags
    )


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
            f"OSM file {path} could not be read ({first_line(exc)}); it is corrupt or not OSM "
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


_PRECISION = 10_000_000  # libosmium stores degrees as integers of 1e-7 degree


class _Rows:
    """The rows ``_scan`` collects until they are handed over as an ``OsmChunk``."""

    def __init__(self) -> None:
        self.hw_nodes: list[tuple[int, int, int]] = []  # (ref, x, y) of every highway way node
        self.hw_count: list[int] = []  # nodes per highway way
        self.way_tags: list[tuple] = []
        self.bld_rows: list[tuple] = []
        self.bld_geom: list[str] = []
        self.feat_rows: list[tuple] = []
        self.feat_geom: list = []
        self.bnd_rows: list[tuple] = []
        self.bnd_geom: list[str] = []
        self.addr_rows: list[tuple] = []
        self.addr_xy: list[tuple[float, float]] = []
        self.barrier_rows: list[tuple] = []
        self.water_ids: list[int] = []
        self.water_geom: list[str] = []

    def __len__(self) -> int:
        return len(self.hw_count) + len(self.bld_rows) + len(self.feat_rows) + len(self.addr_rows)

    def chunk(self) -> OsmChunk:
        return OsmChunk(
            ways=_network_ways(self.hw_nodes, self.hw_count, self.way_tags, self.barrier_rows),
            buildings=gpd.GeoDataFrame(
                pd.DataFrame(self.bld_rows, columns=["osm_type", "osm_id", *BUILDING_TAGS]),
                geometry=_from_hex_wkb(self.bld_geom),
                crs="EPSG:4326",
            ),
            features=gpd.GeoDataFrame(
                pd.DataFrame(self.feat_rows, columns=["osm_type", "osm_id", "name", "tags"]),
                geometry=self.feat_geom,
                crs="EPSG:4326",
            ),
            boundaries=gpd.GeoDataFrame(
                pd.DataFrame(self.bnd_rows, columns=["osm_id", *BOUNDARY_TAGS]),
                geometry=_from_hex_wkb(self.bnd_geom),
                crs="EPSG:4326",
            ),
            addresses=_address_frame(self.addr_rows, self.addr_xy),
            water=gpd.GeoDataFrame(
                {"osm_id": np.array(self.water_ids, dtype=np.int64)},
                geometry=_from_hex_wkb(self.water_geom),
                crs="EPSG:4326",
            ),
        )


def _concat_like_one_read(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenated rows with the dtypes one frame of all of them would have had: a column that
    holds text in one part and only missing values in another is text, not object."""
    frame = pd.concat(parts, ignore_index=True)
    for col in frame.columns:
        if col != "geometry" and frame[col].dtype == object:
            text = [p[col].dtype for p in parts if isinstance(p[col].dtype, pd.StringDtype)]
            if text:
                frame[col] = frame[col].astype(text[0])
    return frame


def empty_chunk() -> OsmChunk:
    """A chunk without rows (with the columns of a real one)."""
    return _Rows().chunk()


def _scan(
    path: Path,
    feature_keys: tuple[str, ...],
    is_feature,
    *,
    need_newest: bool,
    on_chunk: Callable[[OsmChunk], None],
    chunk_objects: int = 0,
    node_store: str = "flex_mem",
):
    """One pass over the file (two for multipolygon relations), collecting what we need and
    handing it to ``on_chunk`` every ``chunk_objects`` objects (0: once, at the end). Returns the
    newest object timestamp when ``need_newest``.

    The Python work per object is kept to a few attribute reads: tag-key checks run before the
    (slower) ``is_feature`` predicate, highway node coordinates are gathered as libosmium's
    integers and converted in bulk, and object timestamps are read only when ``need_newest``
    (the file header has no data date).
    """
    wkb = osmium.geom.WKBFactory()
    area_keys = ("building", "boundary", *WATER_KEYS, *feature_keys)
    wanted = ("highway", "route", "barrier", "addr:housenumber", *area_keys)
    proc = (
        osmium.FileProcessor(str(path))
        .with_locations(node_store)
        .with_areas(osmium.filter.KeyFilter(*area_keys))
        .with_filter(osmium.filter.KeyFilter(*wanted))
    )
    rows = _Rows()
    pending_ways: dict[int, tuple] = {}  # closed feature ways waiting for their area
    plain_ways: set[int] = set()  # closed ways known not to be features, until their area is read
    newest = None
    Node, Way, Area = osmium.osm.Node, osmium.osm.Way, osmium.osm.Area

    def _may_be_area(tags) -> bool:  # the area filter below lets an area of it through
        return any(key in tags for key in area_keys)

    def keep(tags) -> bool:
        for key in feature_keys:  # cheap C++ look-ups first: most objects have none
            if key in tags:
                return True if is_feature is None else bool(is_feature(tags))
        return False

    for obj in proc:
        if need_newest:
            ts = obj.timestamp
            if newest is None or ts > newest:
                newest = ts
        tags = obj.tags
        if isinstance(obj, Area):
            from_way = obj.from_way()
            osm_id = obj.orig_id()
            try:
                geom = wkb.create_multipolygon(obj)
            except RuntimeError:
                continue
            building = tags.get("building")
            if building is not None and building != "no":
                rows.bld_rows.append(
                    ("way" if from_way else "relation", osm_id, building)
                    + tuple(tags.get(k) for k in BUILDING_TAGS[1:])
                )
                rows.bld_geom.append(geom)
            if is_water(tags):
                rows.water_ids.append(osm_id)
                rows.water_geom.append(geom)
            if not from_way and tags.get("boundary") == "administrative":
                rows.bnd_rows.append((osm_id, *(tags.get(k) for k in BOUNDARY_TAGS)))
                rows.bnd_geom.append(geom)
            if from_way and osm_id in plain_ways:  # its way was checked: not a feature
                plain_ways.discard(osm_id)
            elif keep(tags):
                if from_way:
                    pending_ways.pop(osm_id, None)
                osm_type = "way" if from_way else "relation"
                rows.feat_rows.append((osm_type, osm_id, tags.get("name"), dict(tags)))
                rows.feat_geom.append(shapely.from_wkb(geom))
        elif isinstance(obj, Way):
            if "highway" in tags or tags.get("route") == "ferry":
                nodes = [(nd.ref, nd.x, nd.y) for nd in obj.nodes]
                rows.hw_nodes.extend(nodes)
                rows.hw_count.append(len(nodes))
                rows.way_tags.append(tuple(tags.get(k) for k in NETWORK_TAGS))
            if not keep(tags):
                if obj.is_closed() and _may_be_area(tags):
                    plain_ways.add(obj.id)  # e.g. a building: its area comes right after it
            else:
                row = ("way", obj.id, tags.get("name"), dict(tags))
                line = _way_line(obj)
                if obj.is_closed() and len(obj.nodes) >= 4:
                    pending_ways[obj.id] = (row, line)
                elif line is not None:
                    rows.feat_rows.append(row)
                    rows.feat_geom.append(line)
        elif isinstance(obj, Node) and "barrier" in tags and _has_access_tag(tags):
            rows.barrier_rows.append((obj.id, *(tags.get(k) for k in BARRIER_TAGS)))
        if isinstance(obj, Node) and obj.location.valid():
            loc = obj.location
            if keep(tags):
                rows.feat_rows.append(("node", obj.id, tags.get("name"), dict(tags)))
                rows.feat_geom.append(shapely.Point(loc.lon, loc.lat))
            if "addr:housenumber" in tags:  # an address point (BAG addresses in Dutch OSM)
                rows.addr_rows.append((obj.id, *(tags.get(k) for k in ADDRESS_TAGS)))
                rows.addr_xy.append((loc.lon, loc.lat))
        if chunk_objects and len(rows) >= chunk_objects:
            on_chunk(rows.chunk())
            rows = _Rows()
    for row, line in pending_ways.values():  # closed ways that did not assemble into an area
        if line is not None:
            rows.feat_rows.append(row)
            rows.feat_geom.append(line)
    on_chunk(rows.chunk())
    return newest


def _has_access_tag(tags) -> bool:
    return "access" in tags or "foot" in tags or "bicycle" in tags


def _from_hex_wkb(hex_wkb: list[str]) -> np.ndarray | list:
    """Geometries from pyosmium's hex WKB (decoding the hex first is 4x faster in bulk)."""
    if not hex_wkb:
        return []
    return shapely.from_wkb([bytes.fromhex(h) for h in hex_wkb])


def _network_ways(
    hw_nodes: list[tuple[int, int, int]],
    hw_count: list[int],
    way_tags: list[tuple],
    barrier_rows: list[tuple] = (),
) -> NetworkWays:
    """Flat arrays of the highway ways' nodes. Nodes without a location (cut off by a clipped
    extract) stay in place with NaN coordinates, so that no edge bridges the gap they leave."""
    arr = np.array(hw_nodes, dtype=np.int64).reshape(-1, 3)
    way = np.repeat(np.arange(len(hw_count), dtype=np.int64), hw_count)
    x, y = arr[:, 1], arr[:, 2]
    # Location::valid(): both coordinates inside the world (missing ones are int32 max)
    ok = (np.abs(x) <= 180 * _PRECISION) & (np.abs(y) <= 90 * _PRECISION)
    return NetworkWays(
        refs=arr[:, 0],
        lon=np.where(ok, x / _PRECISION, np.nan),  # the division libosmium's Location::lon() does
        lat=np.where(ok, y / _PRECISION, np.nan),
        way=way,
        tags=pd.DataFrame(way_tags, columns=list(NETWORK_TAGS), dtype=object),
        barriers=pd.DataFrame(list(barrier_rows), columns=["ref", *BARRIER_TAGS]).astype(
            {"ref": np.int64}
        ),
    )


def _way_line(way) -> shapely.LineString | None:
    coords = [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
    if len(coords) < 2:
        return None
    return shapely.LineString(coords)


# --------------------------------------------------------------------------------------------
# Downloads: Nominatim (place -> boundary) and Overpass (bbox -> OSM XML), cached on disk.
