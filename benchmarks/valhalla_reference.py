"""Independent reference walking distances from Valhalla (pedestrian costing, Dutch rules).

Runs under Python 3.12+ with ``pyvalhalla`` (its wheels ship the graph builders), NOT under the
project's own interpreter: nothing here imports geoschikt.

    python3.12 benchmarks/valhalla_reference.py build OSM_FILE WORKDIR [--walkers]
    python3.12 benchmarks/valhalla_reference.py matrix WORKDIR POINTS.json OUT.csv

``build`` (with ``--walkers``: from the walkers' view of the extract, see ``walkers_view``)
writes a Dutch country boundary (one polygon around the data, tagged as the
Netherlands: Valhalla takes its per-country access defaults only from an admin database, which
a small extract lacks), builds the admin database and the routing tiles in WORKDIR.

``matrix`` reads ``{"candidates": [[id, lon, lat], ...], "features": {category: [[lon, lat],
...]}, "reach_m": {category: metres}}`` and writes ``candidate_id,category,valhalla_m``: the
shortest pedestrian path (``shortest=true``, so path length rather than preferred routes) from
each candidate to the nearest feature of the category, over the ``K`` nearest features by
straight line within reach. Empty where Valhalla finds no path within reach.

Quirks handled (Valhalla 3.9): the full matrix output (the short one reports 0 m where there is
no path); the exact one-to-many method (``matrix_type`` is not left to a size threshold); a
search that starts on a tiny fragment returns no path, so a missing pair is asked again in the
other direction.

The points file may also give ``costing_options`` (pedestrian costing options; default
``shortest=true``) and, per candidate and feature, a location to route from instead of the point
and the metres to add for it (``[id, lon, lat, route_lon, route_lat, add_m]`` and ``[lon, lat,
route_lon, route_lat, add_m]``): e.g. where geoschikt snapped the point, and its snapping
distance. ``walk_reference.py`` describes the configurations it uses.
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

K_NEAREST = 12  # features per candidate asked for (nearest by straight line)
BOX = (4.10, 51.85, 4.60, 52.20)  # lon/lat box around the Delft extract's full ways


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def write_admin(path: Path) -> None:
    """A one-polygon admin_level=2 boundary tagged as the Netherlands, as an OSM PBF."""
    import osmium

    left, bottom, right, top = BOX
    corners = [(left, bottom), (right, bottom), (right, top), (left, top)]
    with osmium.SimpleWriter(str(path)) as w:
        for i, (lon, lat) in enumerate(corners, start=1):
            w.add_node(osmium.osm.mutable.Node(id=-i, location=(lon, lat)))
        w.add_way(osmium.osm.mutable.Way(id=-1, nodes=[-1, -2, -3, -4, -1]))
        tags = {
            "type": "boundary",
            "boundary": "administrative",
            "admin_level": "2",
            "name": "Nederland",
            "name:en": "Netherlands",
            "ISO3166-1": "NL",
            "ISO3166-1:alpha2": "NL",
        }
        w.add_relation(osmium.osm.mutable.Relation(id=-1, members=[("w", -1, "outer")], tags=tags))


DESTINATION_ONLY = {"private", "destination", "customers", "delivery", "permit", "residents"}
FOOT_OPEN = {"yes", "designated", "permissive"}


def walkers_view(osm: Path, out: Path) -> dict:
    """The extract with the tags through which Valhalla applies car rules to walkers taken
    off the ways: it makes a way destination-only for every mode when it is a parking aisle or a
    driveway (``service=parking_aisle|driveway``), when ``motor_vehicle``, ``motorcar`` or
    ``vehicle`` is private/destination/..., and when ``access`` is even though ``foot=yes``.
    For walkers none of these restricts anything (the OSM access rules; geoschikt's rules too).
    Returns how many ways lost which tag."""
    import osmium

    changed: dict[str, int] = {}

    class Writer(osmium.SimpleHandler):
        def __init__(self, writer):
            super().__init__()
            self.writer = writer

        def node(self, n):
            self.writer.add_node(n)

        def relation(self, r):
            self.writer.add_relation(r)

        def way(self, w):
            tags = dict(w.tags)
            drop = []
            if "highway" in tags:
                if tags.get("service") in ("parking_aisle", "driveway"):
                    drop.append("service")
                drop += [
                    k
                    for k in ("motor_vehicle", "motorcar", "vehicle")
                    if tags.get(k) in DESTINATION_ONLY
                ]
                if tags.get("access") in DESTINATION_ONLY and tags.get("foot") in FOOT_OPEN:
                    drop.append("access")
            if not drop:
                self.writer.add_way(w)
                return
            for k in drop:
                key = f"{k}={tags[k]}"
                changed[key] = changed.get(key, 0) + 1
                del tags[k]
            self.writer.add_way(w.replace(tags=tags))

    if out.exists():
        out.unlink()
    with osmium.SimpleWriter(str(out)) as writer:
        Writer(writer).apply_file(str(osm))
    return changed


def build(osm: Path, work: Path, walkers: bool = False) -> None:
    work.mkdir(parents=True, exist_ok=True)
    if walkers:
        view = work / "walkers.osm.pbf"
        changed = walkers_view(osm, view)
        (work / "walkers-changed.json").write_text(json.dumps(changed, indent=1, sort_keys=True))
        print(f"walkers' view: tags taken off {changed}")
        osm = view
    admin_pbf = work / "nl_admin.osm.pbf"
    if admin_pbf.exists():
        admin_pbf.unlink()
    write_admin(admin_pbf)
    from valhalla import get_config

    (work / "tiles").mkdir(exist_ok=True)
    config = get_config(tile_extract="", tile_dir=work / "tiles")
    config["mjolnir"]["admin"] = str(work / "admins.sqlite")
    config["mjolnir"]["tile_extract"] = ""
    config["mjolnir"]["timezone"] = ""
    config["mjolnir"]["concurrency"] = 1
    config["mjolnir"]["data_processing"]["use_admin_db"] = True
    (work / "valhalla.json").write_text(json.dumps(config, indent=1))
    cfg = str(work / "valhalla.json")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = {"check": True, "env": env}
    subprocess.run([_bin("valhalla_build_admins"), "-c", cfg, str(admin_pbf)], **run)
    subprocess.run([_bin("valhalla_build_tiles"), "-c", cfg, str(osm)], **run)
    print(f"tiles in {work / 'tiles'}")


def _metres(lon1, lat1, lon2, lat2) -> float:
    kx = 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lon2 - lon1) * kx, (lat2 - lat1) * 110_574)


def _one_to_many(actor, origin, targets, options: dict) -> list[float | None]:
    """Path lengths (m) from origin to each target (None = no path); each location is
    ``(lon, lat, metres to add)``."""
    req = {
        "sources": [{"lon": origin[0], "lat": origin[1]}],
        "targets": [{"lon": t[0], "lat": t[1]} for t in targets],
        "costing": "pedestrian",
        "costing_options": {"pedestrian": options},
        "units": "kilometers",
        "matrix_locations": 10_000,
    }
    try:
        out = actor.matrix(req)
    except Exception:  # noqa: BLE001 - an unroutable location: no path
        return [None] * len(targets)
    row = out["sources_to_targets"][0]
    snapped = out["sources"][0]
    off_o = _metres(origin[0], origin[1], snapped["lon"], snapped["lat"])
    res = []
    for cell, t, st in zip(row, targets, out["targets"], strict=True):
        d = cell.get("distance")
        if d is None:
            res.append(None)
        else:  # plus the straight lines from the points to where Valhalla snapped them
            off_t = _metres(t[0], t[1], st["lon"], st["lat"])
            res.append(d * 1000 + off_o + off_t + origin[2] + t[2])
    return res


def _routed(lon: float, lat: float, routed: list) -> tuple[float, float, float]:
    """(lon, lat, metres to add) of the location to route from."""
    if routed:
        return float(routed[0]), float(routed[1]), float(routed[2])
    return lon, lat, 0.0


def matrix(work: Path, points: Path, out: Path) -> None:
    from valhalla import Actor

    actor = Actor(str(work / "valhalla.json"))
    data = json.loads(points.read_text())
    options = data.get("costing_options", {"shortest": True})
    rows = []
    cands = data["candidates"]
    for cat, feats in data["features"].items():
        reach = float(data["reach_m"][cat])
        for cid, lon, lat, *routed in cands:
            here = _routed(lon, lat, routed)
            near = sorted(feats, key=lambda f: _metres(lon, lat, f[0], f[1]))
            near = [f for f in near[:K_NEAREST] if _metres(lon, lat, f[0], f[1]) <= reach]
            best = None
            if near:
                there = [_routed(f[0], f[1], f[2:]) for f in near]
                ds = _one_to_many(actor, here, there, options)
                for j, d in enumerate(ds):
                    if d is None:  # started on a tiny fragment? ask the other way round
                        d = _one_to_many(actor, there[j], [here], options)[0]
                    if d is not None and (best is None or d < best):
                        best = d
            rows.append((cid, cat, "" if best is None or best > reach else f"{best:.1f}"))
        print(f"{cat}: done", flush=True)
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["candidate_id", "category", "valhalla_m"])
        w.writerows(rows)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "build":
        build(Path(sys.argv[2]), Path(sys.argv[3]), walkers="--walkers" in sys.argv[4:])
    elif cmd == "matrix":
        matrix(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    else:
        sys.exit(__doc__)
