"""The download cache and a polite HTTP client: the only code that touches the network.

A request's answer is stored under a stable key of its URL and parameters, so a repeated request
(or ``--offline``) reads it from the cache. Only answers that passed their service's check are
stored: an error page, an Overpass answer whose ``remark`` reports a runtime error (Overpass
sends those with status 200 and cut-off data) or a Nominatim answer that is not a JSON list is
never cached, and a bad answer found in an older cache is removed.

Politeness, as the services ask and as osmnx does it: a User-Agent naming geoschikt; a pause of
at least 1 s between Nominatim requests (its usage policy: at most one per second); before an
Overpass query, a look at ``/api/status`` and a wait for a free slot; 429, 502, 503 and 504
answers are retried with ``Retry-After`` honoured (or an exponential back-off), within limits.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geoschikt import __version__
from geoschikt.errors import DataUnavailableError, first_line
from geoschikt.outputs.atomic import atomic_bytes

log = logging.getLogger("geoschikt.acquire")

OVERPASS_URL = "https://overpass-api.de/api/interpreter"
OVERPASS_STATUS_URL = "https://overpass-api.de/api/status"
NOMINATIM_URL = "https://nominatim.openstreetmap.org/search"
USER_AGENT = f"geoschikt/{__version__} (+https://pypi.org/project/geoschikt)"
RETRY_STATUS = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class Response:
    """What a transport returns: the HTTP status, headers (names in lower case) and body."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


Transport = Callable[[str, str, dict], Response]
"""``transport(method, url, params) -> Response``; replaced in tests by recorded answers."""


def http_transport(method: str, url: str, params: dict) -> Response:
    """One request with ``requests`` and geoschikt's User-Agent; no retries here."""
    import requests

    headers = {"User-Agent": USER_AGENT}
    try:
        if method == "POST":
            resp = requests.post(url, data=params, headers=headers, timeout=600)
        else:
            resp = requests.get(url, params=params, headers=headers, timeout=60)
    except requests.RequestException as exc:
        raise DataUnavailableError(
            f"download from {url} failed ({first_line(exc)}); check the connection, or use "
            "a local OSM file with --osm"
        ) from None
    return Response(resp.status_code, resp.content, {k.lower(): v for k, v in resp.headers.items()})


@dataclass(frozen=True)
class Politeness:
    """Limits of the retry and wait rules (injectable so tests need not sleep)."""

    max_retries: int = 4
    max_wait_s: float = 120.0  # the longest single wait (Retry-After, back-off, Overpass slot)
    backoff_s: float = 5.0  # first back-off without Retry-After; doubled each retry
    nominatim_pause_s: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


DEFAULT_POLITENESS = Politeness()
_last_nominatim: list[float] = []  # monotonic time of the last Nominatim request, per process
_nominatim_lock = threading.Lock()


def retry_after_s(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


_SLOT_IN = re.compile(r"in (-?\d+) seconds?")


def overpass_slot_wait_s(status_text: str) -> float:
    """Seconds to wait for a free Overpass slot, from the text of ``/api/status``.

    ``N slots available now.`` -> 0; ``Slot available after: <time>, in N seconds.`` -> the
    smallest N; a status without either (all slots taken by running queries) -> 10 s.
    """
    if re.search(r"\b\d+ slots? available now", status_text):
        return 0.0
    waits = [max(0, int(m)) for m in _SLOT_IN.findall(status_text)]
    return float(min(waits)) if waits else 10.0


def _wait(seconds: float, policy: Politeness, why: str) -> None:
    seconds = min(max(seconds, 0.0), policy.max_wait_s)
    if seconds > 0:
        log.info("waiting %.0f s (%s)", seconds, why)
        policy.sleep(seconds)


def _pause_for_nominatim(policy: Politeness) -> None:
    with _nominatim_lock:
        if _last_nominatim:
            since = policy.clock() - _last_nominatim[0]
            if since < policy.nominatim_pause_s:
                policy.sleep(policy.nominatim_pause_s - since)
        _last_nominatim[:] = [policy.clock()]


def _wait_for_overpass_slot(transport: Transport, policy: Politeness) -> None:
    try:
        status = transport("GET", OVERPASS_STATUS_URL, {})
    except DataUnavailableError:
        return  # the query itself will say what is wrong
    if status.status == 200:
        _wait(overpass_slot_wait_s(status.body.decode("utf-8", "replace")), policy, "Overpass slot")


def polite_request(
    method: str, url: str, params: dict, *, transport: Transport, policy: Politeness
) -> bytes:
    """The body of a successful answer, retrying 429/502/503/504 within ``policy``'s limits."""
    for attempt in range(policy.max_retries + 1):
        if url == NOMINATIM_URL:
            _pause_for_nominatim(policy)
        elif url == OVERPASS_URL:
            _wait_for_overpass_slot(transport, policy)
        resp = transport(method, url, params)
        if resp.status == 200:
            return resp.body
        if resp.status not in RETRY_STATUS or attempt == policy.max_retries:
            break
        wait = retry_after_s(resp.headers.get("retry-after"))
        if wait is None:
            wait = policy.backoff_s * 2**attempt
        _wait(wait, policy, f"{url} answered {resp.status}, retry {attempt + 1}")
    tries = f" after {policy.max_retries + 1} tries" if resp.status in RETRY_STATUS else ""
    raise DataUnavailableError(
        f"{url} answered HTTP {resp.status}{tries}; nothing was cached; try again later, or "
        "use a local OSM file with --osm"
    )


def default_cache_dir() -> Path:
    """``$GEOSCHIKT_CACHE``, else ``~/.cache/geoschikt``."""
    env = os.environ.get("GEOSCHIKT_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "geoschikt"


def cache_key(url: str, params: dict) -> str:
    """Stable key of a request: SHA-256 of the URL and its sorted parameters."""
    blob = json.dumps({"url": url, "params": params}, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


Check = Callable[[bytes], str | None]
"""``check(body) -> None`` when an answer is usable, else the reason it is not."""


def cached_request(
    url: str,
    params: dict,
    *,
    suffix: str,
    cache_dir: Path,
    offline: bool,
    check: Check,
    method: str = "GET",
    transport: Transport | None = None,
    policy: Politeness | None = None,
) -> Path:
    """Path of the cached answer to a request, downloading it first unless offline.

    Only an answer that passes ``check`` is stored; a stored answer that fails it (from an older
    version) is removed and, unless offline, asked for again.
    """
    target = Path(cache_dir) / f"{cache_key(url, params)}{suffix}"
    meta = target.with_name(target.name + ".json")
    if target.is_file():
        problem = check(target.read_bytes())
        if problem is None:
            log.info("using cached response %s", target)
            return target
        target.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
        if offline:
            raise DataUnavailableError(
                f"--offline: the cached answer for this request was unusable ({problem}) and "
                "has been removed; run once without --offline to download it again"
            )
        log.warning("removed an unusable cached answer (%s); downloading again", problem)
    elif offline:
        raise DataUnavailableError(
            f"--offline: the cache has no response for this request (missing {target}); "
            "run once without --offline to download it, or use --osm FILE"
        )
    log.info("downloading from %s", url)
    body = polite_request(
        method,
        url,
        params,
        transport=transport or http_transport,
        policy=policy or DEFAULT_POLITENESS,
    )
    problem = check(body)
    if problem is not None:
        raise DataUnavailableError(f"{url}: {problem}; the answer was not cached")
    record = {"url": url, "params": params, "fetched": dt.datetime.now(dt.UTC).isoformat()}
    atomic_bytes(meta, json.dumps(record, indent=1).encode())
    atomic_bytes(target, body)
    return target


_REMARK = re.compile(rb"<remark>\s*(.*?)\s*</remark>", re.DOTALL)


def check_overpass_xml(body: bytes) -> str | None:
    """None when ``body`` is a complete Overpass OSM XML answer, else why it is not.

    Overpass reports a timeout or memory exhaustion inside a 200 answer, as a ``<remark>`` after
    whatever data it had produced: such an answer is incomplete and must not be used.
    """
    head = body[:4096]
    if b"<osm" not in head:
        first = head.split(b"\n", 1)[0][:120].decode("utf-8", "replace")
        return f"the answer is not OSM XML (it starts with {first!r})"
    for where in (head, body[-65536:]):
        for match in _REMARK.finditer(where):
            text = match.group(1).decode("utf-8", "replace")
            if "error" in text.lower():
                return f"Overpass reported {' '.join(text.split())[:200]!r}"
    if not body.rstrip().endswith(b"</osm>"):
        return "the answer is cut off (no closing </osm>)"
    return None


def check_json_list(body: bytes) -> str | None:
    """None when ``body`` is a JSON list (Nominatim's answer), else why it is not."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "the answer is not JSON"
    return None if isinstance(value, list) else "the answer is not a JSON list of places"
