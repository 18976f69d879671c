"""The download cache and HTTP transport: the only code that touches the network.

A request's response is stored under a stable key of its URL and parameters, so a repeated
request (or ``--offline``) reads it from the cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from geoschikt.errors import DataUnavailableError, first_line
from geoschikt.outputs.atomic import atomic_bytes

log = logging.getLogger("geoschikt.acquire")

OVERPASS_URL = "https://overpass-api.de/api/interpreter"
NOMINATIM_URL = "https://nominatim.openstreetmap.org/search"
USER_AGENT = "geoschikt (https://pypi.org/project/geoschikt)"

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
            f"download from {url} failed ({first_line(exc)}); check the connection, or use "
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
    meta = {"url": url, "params": params, "fetched": dt.datetime.now(dt.UTC).isoformat()}
    atomic_bytes(target.with_name(target.name + ".json"), json.dumps(meta, indent=1).encode())
    atomic_bytes(target, body)
    return target
