"""Cut one OSM extract into per-region inputs in a single streaming pass.

A province extract is read once, in chunks of consecutive objects. Each chunk is cut at once
into the pieces that fall in each region's box (the region grown by the longest reach, so that
facilities across a border count) and every piece is appended to that region's input file. So
what is held in memory is one chunk, not the extract; node locations go to a disk-backed index.

A region's input file is a stream of pickles: its pieces, then one ``RegionEnd`` record with the
extract's metadata and the region polygon. The file only gets its final name once complete.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable, Iterable
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

log = logging.getLogger(__name__)

CHUNK_OBJECTS = 20_000
"""Ways, buildings and features per chunk: some 50 MB of parsed rows at most."""


@dataclass(frozen=True)
class RegionCut:
    """Where one region's input goes: ``path``, its box (lon/lat) and its polygon frame."""

    path: Path
    bounds: tuple[float, float, float, float]
    area: gpd.GeoDataFrame


@dataclass(frozen=True)
class RegionEnd:
    """Last record of a region input: the extract's metadata and the region polygon."""

    meta: dict
    area: gpd.GeoDataFrame


def take_ways(ways: NetworkWays, keep: np.ndarray) -> NetworkWays:
    """The ways with (sorted, unique) indices ``keep``, renumbered from 0."""
    rows = np.isin(ways.way, keep)
    remap = np.full(len(ways.tags), -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    return NetworkWays(
        refs=ways.refs[rows],
        lon=ways.lon[rows],
        lat=ways.lat[rows],
        way=remap[ways.way[rows]],
        tags=ways.tags.iloc[keep].reset_index(drop=True),
    )


def cut_chunk(chunk: OsmChunk, boxes: list[shapely.Polygon]) -> dict[int, OsmChunk]:
    """The piece of ``chunk`` in each box, by box index (boxes it misses are left out).

    A piece holds the whole ways with a node in the box, and the buildings and features whose
    geometry intersects it (what ``GeoDataFrame.cx`` selects). Boundaries are dropped.
    """
    tree = shapely.STRtree(boxes)
    w = chunk.ways
    ok = ~np.isnan(w.lon)
    node_idx = np.flatnonzero(ok)
    hits_n, boxes_n = tree.query(shapely.points(w.lon[ok], w.lat[ok]), predicate="intersects")
    way_box = np.unique(np.stack([boxes_n, w.way[node_idx[hits_n]]]), axis=1)
    bld_in, bld_box = tree.query(chunk.buildings.geometry.values, predicate="intersects")
    feat_in, feat_box = tree.query(chunk.features.geometry.values, predicate="intersects")
    empty = chunk.boundaries.iloc[0:0]
    pieces = {}
    for b in np.unique(np.concatenate([way_box[0], bld_box, feat_box])):
        pieces[int(b)] = OsmChunk(
            ways=take_ways(w, way_box[1][way_box[0] == b]),
            buildings=chunk.buildings.iloc[np.sort(bld_in[bld_box == b])].reset_index(drop=True),
            features=chunk.features.iloc[np.sort(feat_in[feat_box == b])].reset_index(drop=True),
            boundaries=empty,
        )
    return pieces


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
    tag = f"tmp-{os.getpid()}"
    partial = [r.path.with_name(f".{r.path.name}.{tag}") for r in regions]
    for tmp in partial:
        tmp.write_bytes(b"")
    nodes = work_dir / f".nodes.{tag}"
    boxes = [shapely.box(*r.bounds) for r in regions]
    try:

        def write(chunk: OsmChunk) -> None:
            for i, piece in cut_chunk(chunk, boxes).items():
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
        **record.meta,
    )
    return osm, record.area
