"""SYNTHETIC test towns written as OSM files, for benchmarks and tests.

Everything this module makes is **synthetic**: invented streets, buildings and facilities, not
OpenStreetMap data. Every object carries the tag ``source=geoschikt synthetic`` and the file
header's ``generator`` says so too. Use it to measure how geoschikt scales (10k to 1M candidate
buildings) and to test batch runs over several municipalities; never present its scores as
being about a real place.

The town is a street grid laid out in metres in EPSG:28992 (RD New) around ``origin`` and
converted to WGS84:

- blocks of about 130 x 90 m; intersections jittered by a few metres; about 7 % of street
  segments left out (gaps, dead ends) and cul-de-sacs into some blocks;
- residential streets with a tertiary road every eighth line, split into ways of 1-6 segments;
- footpaths (``highway=footway``) across a quarter of the blocks;
- rows of buildings along both long sides of each block: terraced houses, detached houses and
  apartment blocks (``building=house|apartments|yes``) with footprints of 60-400 m2;
- facilities at densities close to Dutch averages (per building): bus stops 1/250, primary
  schools 1/1200 (school grounds as closed ways, a fifth of them tagged secondary),
  supermarkets 1/1300, GPs 1/1600, pharmacies 1/4000 and existing reception 1/40000 (at least
  one each);
- ``n_regions`` municipalities (``boundary=administrative``, ``admin_level=8``) as vertical
  strips of the town, named ``Synthetica 1``, ``Synthetica 2``, ...

The file is written through pyosmium: the objects are formatted as OPL text with numpy and
streamed into an ``osmium.SimpleWriter``, so writing 1M buildings takes seconds, not minutes.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import osmium
import pyproj

log = logging.getLogger(__name__)

SOURCE_TAG = "source=geoschikt%20%synthetic"  # OPL-escaped "geoschikt synthetic"
GENERATOR = "geoschikt synthetic town generator (SYNTHETIC data, not OpenStreetMap)"
DATA_TIMESTAMP = "2020-01-01T00:00:00Z"  # fixed, so a size and seed always give the same file

BLOCK_W = 130.0  # block pitch along x (m)
BLOCK_H = 90.0  # block pitch along y (m)
JITTER_M = 3.0  # intersection jitter (m)
SUB_H = 12  # intermediate nodes on a horizontal street segment (~10 m apart)
SUB_V = 8  # ... on a vertical one
SETBACK_M = 7.0  # from the street's centre line to the building front (m)
DROP_SEGMENT = 0.07  # share of street segments left out
FOOTPATH_SHARE = 0.25
CULDESAC_SHARE = 0.10
MAJOR_EVERY = 8  # every n-th grid line is a tertiary road

# (slots per block side, slot pitch m, width share of the pitch, depth range m, building tag)
STYLES = (
    (16, 7.2, 1.0, (9.0, 11.5), "house"),  # terraced houses, sharing walls
    (9, 12.8, 0.78, (8.5, 13.0), "house"),  # detached houses
    (5, 23.0, 0.85, (11.0, 17.0), "apartments"),  # apartment blocks
    (7, 16.4, 0.8, (9.0, 14.0), "yes"),  # mixed small buildings
)
STYLE_P = (0.45, 0.3, 0.1, 0.15)

# facilities per building: (kind, buildings per facility, OPL tags)
FACILITIES = (
    ("bus_stop", 250, "highway=bus_stop"),
    ("school", 1200, "amenity=school"),
    ("supermarket", 1300, "shop=supermarket"),
    ("doctors", 1600, "amenity=doctors"),
    ("pharmacy", 4000, "amenity=pharmacy"),
    (
        "reception",
        40000,
        "amenity=social_facility,social_facility=shelter,social_facility:for=asylum_seeker",
    ),
)

_CHUNK_LINES = 400_000


def write_synthetic_region(
    path: str | Path,
    n_buildings: int,
    seed: int = 0,
    n_regions: int = 1,
    origin: tuple[float, float] = (5.4, 52.1),
) -> dict:
    """Write a SYNTHETIC town of ``n_buildings`` buildings to an OSM file (``.osm.pbf``, ``.osm``).

    Parameters
    ----------
    path
        Output file; its suffix picks the format. An existing file is replaced.
    n_buildings
        Exact number of ``building=*`` ways (candidates under the default config).
    seed
        Random seed: the same ``(n_buildings, seed, n_regions, origin)`` gives the same file.
    n_regions
        Number of synthetic municipalities (admin_level 8 boundary relations), side by side.
    origin
        (lon, lat) of the south-west corner, in the Netherlands by default so that EPSG:28992
        is chosen.

    Returns
    -------
    dict
        A summary (``"synthetic": True``): counts of buildings, nodes, ways, relations, street
        ways, footpaths, cul-de-sacs and facilities per kind; the regions' names
        (``"regions"``), buildings per region and bounds (left, bottom, right, top); the
        bounding box of the data; and the seconds taken.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "synth.osm.pbf"
    >>> write_synthetic_region(out, 300, seed=1)["buildings"]
    300
    """
    if n_buildings < 1:
        raise ValueError("n_buildings must be at least 1")
    if n_regions < 1:
        raise ValueError("n_regions must be at least 1")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    town = _layout(n_buildings, n_regions, rng)
    to_wgs = _to_wgs84(origin)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    lon, lat = to_wgs(town["node_x"], town["node_y"])
    header = osmium.io.Header()
    header.set("generator", GENERATOR)
    header.set("osmosis_replication_timestamp", DATA_TIMESTAMP)
    left, bottom, right, top = (
        float(lon.min()),
        float(lat.min()),
        float(lon.max()),
        float(lat.max()),
    )
    header.add_box(
        osmium.osm.Box(osmium.osm.Location(left, bottom), osmium.osm.Location(right, top))
    )
    with osmium.SimpleWriter(str(path), header=header) as writer:
        for chunk in _opl_chunks(town, lon, lat):
            osmium.apply(osmium.io.FileBuffer(chunk, "opl"), writer)
    summary = {
        "synthetic": True,
        "path": str(path),
        "seed": seed,
        "origin": list(origin),
        "buildings": int(town["n_buildings"]),
        "nodes": len(town["node_x"]),
        "ways": int(town["n_ways"]),
        "relations": n_regions,
        "street_ways": int(town["n_street_ways"]),
        "footpaths": int(town["n_footpaths"]),
        "culdesacs": int(town["n_culdesacs"]),
        "facilities": {k: int(v) for k, v in town["facility_counts"].items()},
        "regions": town["region_names"],
        "region_buildings": dict(zip(town["region_names"], town["region_buildings"], strict=True)),
        "region_bounds": {
            name: [round(float(v), 7) for v in (*to_wgs(x0, y0), *to_wgs(x1, y1))]
            for name, (x0, y0, x1, y1) in zip(
                town["region_names"], town["region_rects"], strict=True
            )
        },
        "bounds": [round(v, 7) for v in (left, bottom, right, top)],
        "seconds": round(time.perf_counter() - start, 3),
    }
    log.info("synthetic town %s: %d buildings in %.1f s", path, n_buildings, summary["seconds"])
    return summary


def _to_wgs84(origin: tuple[float, float]):
    fwd = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    back = pyproj.Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
    x0, y0 = fwd.transform(*origin)

    def convert(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return back.transform(x + x0, y + y0)

    return convert


def _layout(n_buildings: int, n_regions: int, rng: np.random.Generator) -> dict:
    """All nodes (metres) and ways of the town as arrays; ids are allocated in write order."""
    # ---- blocks: enough for the buildings, about square, at least one column per region
    mean_per_side = sum(p * s[0] for p, s in zip(STYLE_P, STYLES, strict=True))
    n_blocks = int(np.ceil(n_buildings / (2 * mean_per_side) * 1.08)) + 1
    nx = max(int(np.ceil(np.sqrt(n_blocks * BLOCK_H / BLOCK_W))), n_regions, 2)
    ny = max(int(np.ceil(n_blocks / nx)), 2)
    while True:  # grow until the slots hold the buildings
        style = rng.choice(len(STYLES), size=(ny, nx, 2), p=STYLE_P)
        slots = np.array([s[0] for s in STYLES])[style]
        if slots.sum() >= n_buildings:
            break
        ny += 1

    # ---- street nodes: intersections (jittered), then the intermediate nodes of horizontal and
    # vertical segments (every ~10 m, on a gentle curve); ids 1.. in that order
    gx = np.arange(nx + 1) * BLOCK_W
    gy = np.arange(ny + 1) * BLOCK_H
    ix = gx[None, :] + rng.uniform(-JITTER_M, JITTER_M, (ny + 1, nx + 1))
    iy = gy[:, None] + rng.uniform(-JITTER_M, JITTER_M, (ny + 1, nx + 1))
    n_int = (ny + 1) * (nx + 1)
    f_h = np.arange(1, SUB_H + 1) / (SUB_H + 1)  # positions of the intermediate nodes
    f_v = np.arange(1, SUB_V + 1) / (SUB_V + 1)
    bend_h = rng.uniform(-2.0, 2.0, (ny + 1, nx, 1)) * np.sin(np.pi * f_h)
    bend_v = rng.uniform(-2.0, 2.0, (ny, nx + 1, 1)) * np.sin(np.pi * f_v)
    hx = ix[:, :-1, None] + (ix[:, 1:, None] - ix[:, :-1, None]) * f_h
    hy = iy[:, :-1, None] + (iy[:, 1:, None] - iy[:, :-1, None]) * f_h + bend_h
    vx = ix[:-1, :, None] + (ix[1:, :, None] - ix[:-1, :, None]) * f_v + bend_v
    vy = iy[:-1, :, None] + (iy[1:, :, None] - iy[:-1, :, None]) * f_v
    int_id = 1 + np.arange(n_int).reshape(ny + 1, nx + 1)
    h_id = 1 + n_int + np.arange(hx.size).reshape(hx.shape)
    v_id = 1 + n_int + hx.size + np.arange(vx.size).reshape(vx.shape)
    xs = [ix.ravel(), hx.ravel(), vx.ravel()]
    ys = [iy.ravel(), hy.ravel(), vy.ravel()]
    next_node = 1 + n_int + hx.size + vx.size

    ways: list[str] = []  # OPL lines of ways without the id prefix, in id order

    # ---- streets: runs of kept segments along each grid line, cut into ways of a few segments
    def street_ways(seg_start, seg_sub, seg_end, line_of):
        kept = rng.random(seg_start.shape) >= DROP_SEGMENT
        n_seg, k = seg_start.shape[1], seg_sub.shape[2]
        brk = rng.random(seg_start.shape) < 0.3
        brk[:, 0] = True
        prev_kept = np.zeros_like(kept)
        prev_kept[:, 1:] = kept[:, :-1]
        start = kept & (brk | ~prev_kept)
        label = np.cumsum(start.ravel()) - 1
        flat = np.flatnonzero(kept.ravel())
        cuts = np.flatnonzero(np.diff(label[flat])) + 1
        out = []
        for grp in np.split(flat, cuts) if len(flat) else []:
            line = grp[0] // n_seg
            refs = np.empty((len(grp), k + 1), dtype=np.int64)
            refs[:, 0] = seg_start.ravel()[grp]
            refs[:, 1:] = seg_sub.reshape(-1, k)[grp]
            nodes = ",".join(f"n{r}" for r in refs.ravel().tolist())
            name = f"Synthetische%20%{line_of}%20%{line + 1}"
            hw = "tertiary" if line % MAJOR_EVERY == 0 else "residential"
            out.append(
                f"T{SOURCE_TAG},highway={hw},name={name} N{nodes},n{seg_end.ravel()[grp[-1]]}"
            )
        return out

    ways += street_ways(int_id[:, :-1], h_id, int_id[:, 1:], "laan")
    ways += street_ways(int_id[:-1, :].T, v_id.transpose(1, 0, 2), int_id[1:, :].T, "straat")

    # ---- footpaths across blocks (left street -> right street) and cul-de-sacs into blocks
    kind = rng.random((ny, nx))
    foot = kind < FOOTPATH_SHARE
    culde = (kind >= FOOTPATH_SHARE) & (kind < FOOTPATH_SHARE + CULDESAC_SHARE)
    mid_v = SUB_V // 2
    fj, fi = np.nonzero(foot)
    n_fp_nodes = 5
    t = np.arange(1, n_fp_nodes + 1) / (n_fp_nodes + 1)
    ax_, ay_ = vx[fj, fi, mid_v], vy[fj, fi, mid_v]
    bx_, by_ = vx[fj, fi + 1, mid_v], vy[fj, fi + 1, mid_v]
    wiggle = rng.uniform(-4, 4, (len(fj), 1)) * np.sin(np.pi * t)
    f_ids = next_node + np.arange(len(fj) * n_fp_nodes).reshape(len(fj), n_fp_nodes)
    xs.append((ax_[:, None] + (bx_ - ax_)[:, None] * t).ravel())
    ys.append((ay_[:, None] + (by_ - ay_)[:, None] * t + wiggle).ravel())
    next_node += f_ids.size
    for a, mids, b in zip(
        v_id[fj, fi, mid_v], f_ids.tolist(), v_id[fj, fi + 1, mid_v], strict=True
    ):
        inner = ",".join(f"n{m}" for m in mids)
        ways.append(f"T{SOURCE_TAG},highway=footway Nn{a},{inner},n{b}")
    third_v = SUB_V // 3
    cj, ci = np.nonzero(culde)
    depth = rng.uniform(30, 50, len(cj))
    c1 = next_node + np.arange(len(cj))
    c2 = c1 + len(cj)
    xs += [vx[cj, ci, third_v] + depth / 2, vx[cj, ci, third_v] + depth]
    ys += [vy[cj, ci, third_v], vy[cj, ci, third_v] + rng.uniform(-2, 2, len(cj))]
    next_node += 2 * len(cj)
    for a, m, b in zip(v_id[cj, ci, third_v], c1, c2, strict=True):
        ways.append(f"T{SOURCE_TAG},highway=residential,noexit=yes Nn{a},n{m},n{b}")
    n_street_ways = len(ways)

    # ---- buildings: slots along the bottom (side 0) and top (side 1) of each block
    style_of = style.ravel()  # (block, side) flattened: block = j * nx + i
    n_slots = slots.ravel()
    side_ix = np.repeat(np.arange(len(style_of)), n_slots)
    slot_no = np.arange(len(side_ix)) - np.repeat(np.cumsum(n_slots) - n_slots, n_slots)
    side_ix, slot_no = side_ix[:n_buildings], slot_no[:n_buildings]
    block = side_ix // 2
    side = side_ix % 2
    bj, bi = block // nx, block % nx
    st = style_of[side_ix]
    pitch = np.array([s[1] for s in STYLES])[st]
    share = np.array([s[2] for s in STYLES])[st]
    dmin = np.array([s[3][0] for s in STYLES])[st]
    dmax = np.array([s[3][1] for s in STYLES])[st]
    n = len(block)
    row_len = np.array([s[0] * s[1] for s in STYLES])[st]
    x_left = gx[bi] + (BLOCK_W - row_len) / 2 + slot_no * pitch
    width = pitch * share * rng.uniform(0.92, 1.0, n)
    x_left = x_left + (pitch - width) / 2
    depth = rng.uniform(dmin, dmax, n)
    width = np.clip(width, 60.5 / depth, 399.5 / depth)  # 60-400 m2, with room for rounding
    y_front = np.where(side == 0, gy[bj] + SETBACK_M, gy[bj] + BLOCK_H - SETBACK_M)
    y_back = np.where(side == 0, y_front + depth, y_front - depth)
    corners_x = np.stack([x_left, x_left + width, x_left + width, x_left], axis=1)
    corners_y = np.stack([y_front, y_front, y_back, y_back], axis=1)
    b_node0 = next_node
    xs.append(corners_x.ravel())
    ys.append(corners_y.ravel())
    next_node += 4 * n
    btag = np.array([s[4] for s in STYLES])[st]
    street = np.where(side == 0, bj, bj + 1) + 1
    number = slot_no + 1 + 100 * side
    first = b_node0 + 4 * np.arange(n)
    bway = [
        f"T{SOURCE_TAG},building={t},addr:street=Synthetische%20%laan%20%{s},"
        f"addr:housenumber={h} Nn{a},n{a + 1},n{a + 2},n{a + 3},n{a}"
        for t, s, h, a in zip(
            btag.tolist(), street.tolist(), number.tolist(), first.tolist(), strict=True
        )
    ]
    ways += bway

    # ---- facilities: bus stops beside streets, the rest inside blocks (schools as grounds)
    used_blocks = np.unique(block)
    counts: dict[str, int] = {}
    node_lines: list[tuple[int, str]] = []
    for kind_name, per, tags in FACILITIES:
        k = max(1, int(round(n_buildings / per)))
        counts[kind_name] = k
        if kind_name == "bus_stop":
            line = rng.integers(0, ny + 1, k)
            seg = rng.integers(0, nx, k)
            px = hx[line, seg, SUB_H // 2] + rng.uniform(-20, 20, k)
            py = hy[line, seg, SUB_H // 2] + rng.choice([-3.5, 3.5], k)
        else:
            blk = rng.choice(used_blocks, k, replace=len(used_blocks) < k)
            # inside the block, clear of the building rows and the footpath line
            px = gx[blk % nx] + rng.uniform(30, BLOCK_W - 30, k)
            py = gy[blk // nx] + rng.choice([0.33, 0.67], k) * BLOCK_H + rng.uniform(-3, 3, k)
        ids = next_node + np.arange(k)
        xs.append(px)
        ys.append(py)
        next_node += k
        if kind_name == "school":  # school grounds: closed ways around the point
            secondary = rng.random(k) < 0.2
            sx = np.stack([px - 18, px + 18, px + 18, px - 18], axis=1).ravel()
            sy = np.stack([py - 9, py - 9, py + 9, py + 9], axis=1).ravel()
            s0 = next_node
            xs.append(sx)
            ys.append(sy)
            next_node += 4 * k
            for q in range(k):
                a = s0 + 4 * q
                extra = ",school=secondary" if secondary[q] else ",school=primary"
                ways.append(
                    f"T{SOURCE_TAG},{tags},name=Synthetische%20%school%20%{q + 1}{extra} "
                    f"Nn{a},n{a + 1},n{a + 2},n{a + 3},n{a}"
                )
            ids = np.array([], dtype=np.int64)  # the point itself stays untagged
        label = kind_name.replace("_", "%20%")
        for q, nid in enumerate(ids.tolist()):
            node_lines.append(
                (nid, f"T{SOURCE_TAG},{tags},name=Synthetische%20%{label}%20%{q + 1}")
            )

    # ---- municipalities: vertical strips of block columns, as closed ways + relations
    edges = np.linspace(0, nx, n_regions + 1).round().astype(int)
    region_names: list[str] = []
    region_rects: list[tuple[float, float, float, float]] = []
    region_buildings: list[int] = []
    rel_lines = []
    for r in range(n_regions):
        x0, x1 = gx[edges[r]] - 0.5, gx[edges[r + 1]] + 0.5
        if r == 0:
            x0 -= 20
        if r == n_regions - 1:
            x1 += 20
        y0, y1 = gy[0] - 20, gy[-1] + 20
        a = next_node
        xs.append(np.array([x0, x1, x1, x0]))
        ys.append(np.array([y0, y0, y1, y1]))
        next_node += 4
        ways.append(f"T{SOURCE_TAG} Nn{a},n{a + 1},n{a + 2},n{a + 3},n{a}")
        name = f"Synthetica {r + 1}"
        region_names.append(name)
        region_rects.append((x0, y0, x1, y1))
        region_buildings.append(int(((bi >= edges[r]) & (bi < edges[r + 1])).sum()))
        rel_lines.append(
            (
                len(ways),
                f"T{SOURCE_TAG},type=boundary,boundary=administrative,admin_level=8,"
                f"name=Synthetica%20%{r + 1},ref:gemeentecode=99{r + 1:02d}",
            )
        )

    node_x = np.concatenate(xs)
    node_y = np.concatenate(ys)
    assert len(node_x) == next_node - 1
    return {
        "node_x": node_x,
        "node_y": node_y,
        "node_tags": node_lines,
        "ways": ways,
        "relations": rel_lines,
        "n_buildings": n,
        "n_ways": len(ways),
        "n_street_ways": n_street_ways,
        "n_footpaths": int(len(fj)),
        "n_culdesacs": int(len(cj)),
        "facility_counts": counts,
        "region_names": region_names,
        "region_rects": region_rects,
        "region_buildings": region_buildings,
    }


def _opl_chunks(town: dict, lon: np.ndarray, lat: np.ndarray):
    """OPL text of the town (nodes, ways, relations in id order), in chunks of bytes."""
    tagged = dict(town["node_tags"])
    n = len(lon)
    for lo in range(0, n, _CHUNK_LINES):
        hi = min(n, lo + _CHUNK_LINES)
        lines = [
            f"n{i} x{x:.7f} y{y:.7f}"
            for i, x, y in zip(
                range(lo + 1, hi + 1), lon[lo:hi].tolist(), lat[lo:hi].tolist(), strict=True
            )
        ]
        for nid, tags in tagged.items():
            if lo < nid <= hi:
                lines[nid - 1 - lo] = f"n{nid} {tags} x{lon[nid - 1]:.7f} y{lat[nid - 1]:.7f}"
        yield ("\n".join(lines) + "\n").encode()
    ways = town["ways"]
    for lo in range(0, len(ways), _CHUNK_LINES):
        chunk = ways[lo : lo + _CHUNK_LINES]
        yield ("\n".join(f"w{lo + 1 + k} {w}" for k, w in enumerate(chunk)) + "\n").encode()
    # the data date is in the PBF header; formats without it (XML) find it on the relations
    rels = [
        f"r{r + 1} t{DATA_TIMESTAMP} {tags} Mw{way_id}@outer"
        for r, (way_id, tags) in enumerate(town["relations"])
    ]
    yield ("\n".join(rels) + "\n").encode()
