"""OSM data for a bounding box from the Overpass API (cached as OSM XML)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from geoschikt.acquire.http import (
    OVERPASS_URL,
    Politeness,
    Transport,
    cached_request,
    check_overpass_xml,
)


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
        'way["route"="ferry"];',  # the walking rules of network.py (issue 11)
        'node["barrier"];',
        'nwr["natural"="water"];',
        'nwr["waterway"~"^(riverbank|canal|dock)$"];',
        'nwr["water"];',
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
    policy: Politeness | None = None,
) -> Path:
    """OSM XML for ``bbox`` from Overpass (cached); returns the file to pass to ``read_osm``.

    An answer that is not complete OSM XML (an error page, or a ``remark`` reporting a
    timeout or memory error) is refused and never cached.
    """
    query = overpass_query(bbox, feature_rules)
    return cached_request(
        OVERPASS_URL,
        {"data": query},
        suffix=".osm",
        cache_dir=cache_dir,
        offline=offline,
        check=check_overpass_xml,
        method="POST",
        transport=transport,
        policy=policy,
    )
