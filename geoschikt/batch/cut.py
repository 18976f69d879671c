"""Cut one OSM extract into per-region inputs in a single streaming pass.

A province extract is read once, in chunks of consecutive objects. Each chunk is cut at once
into the pieces that fall in each region's box (the region grown by the longest reach plus the
snap distance, so that facilities across a border count; every path that matters lies in it)
and every piece is appended to that region's input file. So what is held in memory is one chunk
and one piece, not the extract; node locations go to a disk-backed index.

A region's input file is a stream of pickles: its pieces, then one ``RegionEnd`` record with the
extract's metadata and the region polygon. The file only gets its final name once complete.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geoschikt.acquire import (
    NetworkWays,
    OsmChunk,
    OsmData,
    concat_chunks,
    empty_chunk,
    stream_osm,
)
from geoschikt.batch.memory import give_back_memory
from geoschikt.batch.plan import buffered_bounds
from geoschikt.batch.status import RegionTask
from geoschikt.config import Config
from geoschikt.errors import GeoschiktError
from geoschikt.geo import WGS84
from geoschikt.outputs.atomic import disk_full, is_disk_full, nearly_full, tree_bytes

log = logging.getLogger(__name__)

CHUNK_OBJECTS = 20_000
"""Ways, buildings and features per chunk: some 50 MB of parsed rows at most."""


@dataclass(frozen=True)
class RegionCut:
    """Where one region's input goes (``path``), its polygon frame, the box (lon/lat) its ways
    and features come from, and the box of its buildings: candidates lie in the region, so
    buildings are only needed within its own bounds (default: ``bounds``)."""

    path: Path
    bounds: tuple[float, float, float, float]
    area: gpd.GeoDataFrame
    building_bounds: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class RegionEnd:
    """Last record of a region input: the extract's metadata and the region polygon."""

    meta: dict
    area: gpd.GeoDataFrame


def clip_ways(ways: NetworkWays, rows: np.ndarray, inside: np.ndarray) -> NetworkWays:
    """The parts of the ways whose node rows are ``rows`` (sorted; whole ways) around the nodes
    where ``inside`` is true: each run of inside nodes plus one neighbour on either side (so an
    edge crossing the box edge stays) becomes a way of its own, with its way's tags. Long ways
    (a trunk road across a province) thus cost a region only what lies in its box."""
    w = ways.way[rows]
    same = w[1:] == w[:-1]
    keep = inside.copy()
    keep[1:] |= inside[:-1] & same
    keep[:-1] |= inside[1:] & same
    kept, w = rows[keep], w[keep]
    start = np.ones(len(kept), dtype=bool)
    start[1:] = (np.diff(kept) != 1) | (w[1:] != w[:-1])
    return NetworkWays(
        refs=ways.refs[kept],
        lon=ways.lon[kept],
        lat=ways.lat[kept],
        way=np.cumsum(start) - 1,
        tags=ways.tags.iloc[w[start]].reset_index(drop=True),
        barriers=None
        if ways.barriers is None
        else ways.barriers[ways.barriers["ref"].isin(ways.refs[kept])].reset_index(drop=True),
    )


def _by_box(rows: np.ndarray, box: np.ndarray, n_boxes: int) -> list[np.ndarray]:
    """The (sorted) ``rows`` paired with each box, from STRtree query pairs."""
    order = np.lexsort((rows, box))
    bounds = np.searchsorted(box[order], np.arange(n_boxes + 1))
    return [rows[order[bounds[i] : bounds[i + 1]]] for i in range(n_boxes)]


def cut_chunk(
    chunk: OsmChunk,
    bounds: list[tuple[float, float, float, float]],
    building_bounds: list[tuple[float, float, float, float]] | None = None,
) -> Iterator[tuple[int, OsmChunk]]:
    """(box index, the piece of ``chunk`` in that box) for every box (lon/lat ``bounds``) the
    chunk reaches.

    A piece holds the ways clipped to the box (``clip_ways``), the features whose geometry
    intersects the box and the buildings whose geometry intersects the box's entry in
    ``building_bounds`` (default: the box), as ``GeoDataFrame.cx`` selects them. Boundaries are
    dropped. Boxes are matched to whole ways first (an R-tree of their boxes), then to nodes, one
    box at a time: only the chunk and one piece are held, however many boxes a node falls in.
    """
    boxes = shapely.box(*np.asarray(bounds, dtype=float).T)
    tree = shapely.STRtree(boxes)
    w = chunk.ways
    start = np.flatnonzero(np.r_[True, w.way[1:] != w.way[:-1]]) if len(w.way) else w.way
    end = np.r_[start[1:], len(w.way)]
    lon_min, lon_max = np.fmin.reduceat(w.lon, start), np.fmax.reduceat(w.lon, start)
    lat_min, lat_max = np.fmin.reduceat(w.lat, start), np.fmax.reduceat(w.lat, start)
    located = np.flatnonzero(~np.isnan(lon_min))  # ways with at least one located node
    hit, box = tree.query(
        shapely.box(lon_min[located], lat_min[located], lon_max[located], lat_max[located]),
        predicate="intersects",
    )
    ways = _by_box(located[hit], box, len(boxes))
    bld_tree = tree
    if building_bounds is not None:
        bld_tree = shapely.STRtree(shapely.box(*np.asarray(building_bounds, dtype=float).T))
    buildings = _by_box(
        *bld_tree.query(chunk.buildings.geometry.values, predicate="intersects"), len(boxes)
    )
    features = _by_box(
        *tree.query(chunk.features.geometry.values, predicate="intersects"), len(boxes)
    )
    addresses = _by_box(
        *tree.query(chunk.addresses.geometry.values, predicate="intersects"), len(boxes)
    )
    water = chunk.water
    in_water = None
    if water is not None:
        in_water = _by_box(*tree.query(water.geometry.values, predicate="intersects"), len(boxes))
    empty = chunk.boundaries.iloc[0:0]
    for i, (left, bottom, right, top) in enumerate(bounds):
        if not (len(ways[i]) or len(buildings[i]) or len(features[i]) or len(addresses[i])):
            continue
        size = end[ways[i]] - start[ways[i]]
        rows = np.repeat(start[ways[i]] - np.cumsum(np.r_[0, size[:-1]]), size) + np.arange(
            size.sum()
        )
        lon, lat = w.lon[rows], w.lat[rows]
        inside = (lon >= left) & (lon <= right) & (lat >= bottom) & (lat <= top)
        yield (
            i,
            OsmChunk(
                ways=clip_ways(w, rows, inside),
                buildings=chunk.buildings.iloc[buildings[i]].reset_index(drop=True),
                features=chunk.features.iloc[features[i]].reset_index(drop=True),
                boundaries=empty,
                addresses=chunk.addresses.iloc[addresses[i]].reset_index(drop=True),
                water=None if in_water is None else water.iloc[in_water[i]].reset_index(drop=True),
            ),
        )


def split_extract(
    osm_path: Path,
    regions: list[RegionCut],
    feature_keys: Iterable[str],
    is_feature: Callable[[object], bool] | None,
    *,
    work_dir: Path,
    sha256: str | None = None,
    chunk_objects: int = CHUNK_OBJECTS,
) -> None:
    """Read ``osm_path`` once and write one input file per region (see the module docstring)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    partial = [_new_temp(r.path) for r in regions]
    nodes = work_dir / f".nodes.tmp-{os.getpid()}"
    bounds = [r.bounds for r in regions]
    building_bounds = [r.building_bounds or r.bounds for r in regions]
    try:

        def write(chunk: OsmChunk) -> None:
            for i, piece in cut_chunk(chunk, bounds, building_bounds):
                _append(partial[i], piece)

        meta = stream_osm(
            osm_path,
            feature_keys,
            is_feature,
            on_chunk=write,
            chunk_objects=chunk_objects,
            node_store=f"sparse_file_array,{nodes}",
            sha256=sha256,
        )
        for tmp, region in zip(partial, regions, strict=True):
            _append(tmp, RegionEnd(meta, region.area), sync=True)
            os.replace(tmp, region.path)
    finally:
        for tmp in partial:
            tmp.unlink(missing_ok=True)
        nodes.unlink(missing_ok=True)


def _new_temp(path: Path) -> Path:
    """A new, empty file next to ``path`` (created exclusively), to be renamed to it."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    os.close(fd)
    return Path(name)


def _append(path: Path, record: object, *, sync: bool = False) -> None:
    """Append one pickle to ``path`` (opened per record: any number of regions, no fd limit)."""
    with open(path, "ab") as fh:
        pickle.dump(record, fh, protocol=pickle.HIGHEST_PROTOCOL)
        if sync:
            fh.flush()
            os.fsync(fh.fileno())


def read_region_input(path: str | Path) -> tuple[OsmData, gpd.GeoDataFrame]:
    """(the region's OSM data, its polygon frame) from an input file of ``split_extract``."""
    pieces: list[OsmChunk] = []
    with open(path, "rb") as fh:
        while True:
            record = pickle.load(fh)
            if isinstance(record, RegionEnd):
                break
            pieces.append(record)
    data = concat_chunks(pieces) if pieces else empty_chunk()  # empty: nothing near the region
    osm = OsmData(
        ways=data.ways,
        buildings=data.buildings,
        features=data.features,
        boundaries=data.boundaries,
        addresses=data.addresses,
        water=data.water,
        **record.meta,
    )
    return osm, record.area


def prepare_inputs(
    osm_path: Path,
    tasks: list[RegionTask],
    regions: gpd.GeoDataFrame,
    config: Config,
    osm_sha: str | None = None,
) -> None:
    """Read the extract once, cutting an input for each task that lacks one (see ``cut``)."""
    from geoschikt.pipeline import feature_keys, feature_predicate

    missing = [t for t in tasks if not Path(t.input_path).is_file()]
    if not missing:
        return
    log.info("reading %s once for %d region(s)", osm_path, len(missing))
    reach = max(c.reach_m for c in config.criteria) + config.network.max_snap_m
    geoms = dict(zip(regions["region_id"], regions.geometry, strict=True))
    cuts = [
        RegionCut(
            path=Path(t.input_path),
            bounds=buffered_bounds(geoms[t.region_id], reach),
            building_bounds=tuple(geoms[t.region_id].bounds),
            area=gpd.GeoDataFrame(
                {"name": [t.region_name], "source": [f"region {t.region_id}"]},
                geometry=[geoms[t.region_id]],
                crs=WGS84,
            ),
        )
        for t in missing
    ]
    work_dir = Path(missing[0].input_path).parent
    try:
        split_extract(
            osm_path,
            cuts,
            feature_keys(config),
            feature_predicate(config),
            work_dir=work_dir,
            sha256=osm_sha,
        )
    except (OSError, GeoschiktError) as exc:
        if is_disk_full(exc) or nearly_full(work_dir):
            raise disk_full(work_dir.parent, tree_bytes(work_dir)) from None
        raise
    give_back_memory()
