"""Re-scoring a batch: update a copy of the source batch's ``candidates_all.gpkg`` in place.

Re-scoring changes the regions' summary figures and some candidate columns, never geometries,
regions or candidates, so the combined file need not be rebuilt from every region's GeoPackage:
as soon as a region is re-scored, SQLite copies its changed columns from the region's new
GeoPackage into the combined table. That is one SQL statement per region, which runs without
holding the GIL, so it runs in a background thread while the next region is re-scored.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoschikt.outputs.update import Layer, apply, copy_columns, describe, diff_rows, prepare

log = logging.getLogger(__name__)

REGION_COLUMNS = ["region_id", "region_name"]  # in front of each region's candidate columns


class CombinedUpdate:
    """A copy of the source batch's combined file at ``work`` (a path in the new batch's
    temporary directory), updated region by region; use as a context manager.

    Whenever something does not match (other regions, candidates, columns or types, or SQLite
    fails), :meth:`finish` drops the copy and returns False: the caller then writes the file
    anew.
    """

    def __init__(self, source: Path, work: Path, regions_before: pd.DataFrame):
        self.work = Path(work)
        self.regions_before = regions_before  # the source's regions table, indexed by fid
        self.columns_changed = False
        self.broken = False  # set in the background thread when a copy failed
        self.added: list[str] = []
        self.copied: list[Future[bool]] = []
        self.background = ThreadPoolExecutor(max_workers=1)  # one writer, in order
        self.opened = self.background.submit(self._open, Path(source))

    def __enter__(self) -> CombinedUpdate:
        return self

    def __exit__(self, *exc) -> None:
        self.background.shutdown(wait=True)
        self.work.unlink(missing_ok=True)

    def add(self, region_id: str, gpkg: Path, changed: list[str] | None) -> None:
        """Copy the ``changed`` columns of a re-scored region from its new ``gpkg`` (None: its
        columns changed, so the combined file has to be written anew)."""
        if changed is None:
            self.columns_changed = True
            return
        self.added.append(region_id)
        self.copied.append(self.background.submit(self._copy, region_id, Path(gpkg), changed))

    def finish(self, path: Path, overview: gpd.GeoDataFrame) -> bool:
        """Update the regions' summary figures (``overview``: rows in the order of the source's
        regions table) and move the file to ``path``; False, and no file, when the copy cannot
        give what writing it anew gives."""
        opened = self.opened.result()
        copied = [f.result() for f in self.copied]
        ok = not self.columns_changed and opened is not None and all(copied)
        ok = ok and set(opened[1]) == set(self.added)
        if ok:
            after = pd.DataFrame(overview.drop(columns=overview.geometry.name))
            regions = diff_rows(self.regions_before, after)
            layer = describe(self.work, "regions")
            statements = None if regions is None or layer is None else prepare(layer, [regions])
            ok = statements is not None and apply(statements)
        if not ok:
            log.debug("candidates_all.gpkg: written anew instead of updated in place")
            self.work.unlink(missing_ok=True)
            return False
        os.replace(self.work, path)
        return True

    def _open(self, source: Path) -> tuple[Layer, dict[str, tuple[int, int]]] | None:
        """Copy the file; its candidates layer and each region's first and last fid."""
        try:
            shutil.copyfile(source, self.work)
            layer = describe(self.work, "candidates")
            if layer is None:
                return None
            with closing(sqlite3.connect(self.work)) as con:
                found = con.execute(
                    "SELECT region_id, min(fid), max(fid), count(*) FROM candidates "
                    "GROUP BY region_id"
                ).fetchall()
        except (OSError, sqlite3.Error) as exc:
            log.debug("cannot update %s in place: %s", source, exc)
            return None
        if any(b - a + 1 != n for _, a, b, n in found):  # a region's rows are not together
            return None
        return layer, {str(r): (a, b) for r, a, b, _ in found}

    def _copy(self, region_id: str, gpkg: Path, changed: list[str]) -> bool:
        """(In the background thread.) Copy one region's changed columns; False on mismatch,
        and then nothing more is copied."""
        opened = self.opened.result()  # done: it went first to this one thread
        if opened is None or self.broken:
            return False
        layer, fids = opened
        try:
            region = describe(gpkg, "candidates")
        except (OSError, sqlite3.Error):
            region = None
        span = fids.get(region_id)
        self.broken = (
            region is None
            or span is None
            or list(layer.columns) != [*REGION_COLUMNS, *region.columns]
            or not copy_columns(layer, gpkg, changed, span, "candidate_id")
        )
        return not self.broken
