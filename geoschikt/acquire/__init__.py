"""OSM data in: local files (``osmfile``) and cached downloads (``http``, ``overpass``,
``nominatim``). The only package that opens OSM files or touches the network."""

from geoschikt.acquire.http import (
    NOMINATIM_URL,
    OVERPASS_URL,
    USER_AGENT,
    Transport,
    cache_key,
    cached_request,
    default_cache_dir,
    http_transport,
)
from geoschikt.acquire.nominatim import geocode_place
from geoschikt.acquire.osmfile import (
    BARRIER_TAGS,
    BOUNDARY_TAGS,
    BUILDING_TAGS,
    NETWORK_TAGS,
    OSM_SUFFIXES,
    WATER_KEYS,
    NetworkWays,
    OsmChunk,
    OsmData,
    concat_chunks,
    empty_chunk,
    is_water,
    read_osm,
    stream_osm,
)
from geoschikt.acquire.overpass import fetch_bbox, overpass_query
from geoschikt.hashing import file_sha256

__all__ = [
    "BARRIER_TAGS",
    "WATER_KEYS",
    "is_water",
    "BOUNDARY_TAGS",
    "BUILDING_TAGS",
    "NETWORK_TAGS",
    "NOMINATIM_URL",
    "OSM_SUFFIXES",
    "OVERPASS_URL",
    "USER_AGENT",
    "NetworkWays",
    "OsmChunk",
    "OsmData",
    "Transport",
    "cache_key",
    "cached_request",
    "concat_chunks",
    "default_cache_dir",
    "empty_chunk",
    "fetch_bbox",
    "file_sha256",
    "geocode_place",
    "http_transport",
    "overpass_query",
    "read_osm",
    "stream_osm",
]
