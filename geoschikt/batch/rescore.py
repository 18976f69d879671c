"""Re-scoring a finished batch into a new batch directory from its measured distances."""

from __future__ import annotations

import json
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoschikt.batch.outputs import write_batch_outputs
from geoschikt.batch.regions import safe_name
from geoschikt.batch.status import BATCH_MARK, STATUS_OK, SUMMARY_COLUMNS, RegionTask, region_stats
from geoschikt.config import Config
from geoschikt.errors import OutputError


def rescore_batch(
    src: Path, config: Config, out: Path, *, overwrite: bool = False, jobs: int = 1
) -> pd.DataFrame:
    """Re-score every scored region of the batch in ``src`` into a new batch directory ``out``
    (``jobs`` regions at a time)."""
    import contextlib

    from geoschikt.outputs import atomic_directory

    src, out = Path(src), Path(out)
    if src.resolve() == out.resolve():
        raise OutputError("--out must differ from the batch being re-scored")
    start = time.perf_counter()
    old = pd.read_csv(src / "summary.csv", dtype={"region_id": str})
    old["reason"] = old["reason"].astype("string").fillna("").astype(str)  # as batch records it
    combined = src / "candidates_all.gpkg"
    regions = gpd.read_file(combined, layer="regions", engine="pyogrio", fid_as_index=True)
    before = pd.DataFrame(regions.drop(columns=regions.geometry.name))
    # kept in the stored CRS: writing them back needs no reprojection there and back
    regions = regions[["region_id", "region_name", "geometry"]].reset_index(drop=True)
    regions.attrs["source"] = f"as in {src}"
    batch_osm = json.loads((src / BATCH_MARK).read_text(encoding="utf-8"))["osm"]
    if len(before) == len(old):  # ids as stored (summary.csv cells may be spreadsheet-safe)
        old["region_id"] = before["region_id"].astype(str).to_numpy()
        old["region_name"] = before["region_name"].astype(str).to_numpy()
    records = old.to_dict("records")
    with atomic_directory(out, overwrite) as tmp:
        tasks = [
            RegionTask(
                str(r["region_id"]),
                str(r["region_name"]),
                "",
                str(tmp / "regions" / safe_name(str(r["region_id"]))),
                "",
                "",
                {},
                (),
                None,
            )
            for r in records
        ]
        work = [
            (src, t.out_dir, r, config)
            for t, r in zip(tasks, records, strict=True)
            if r["status"] == STATUS_OK
        ]
        by_id = {}
        with contextlib.ExitStack() as stack:
            results = map(rescore_region, work)
            if jobs > 1 and len(work) > 1:
                from geoschikt.workers import worker_pool

                pool = worker_pool(jobs)
                results = stack.enter_context(pool).map(rescore_region, work)
            for row in results:
                by_id[row["region_id"]] = row
        rows = [by_id.get(r["region_id"], r) for r in records]
        summary = pd.DataFrame(rows).reindex(columns=SUMMARY_COLUMNS)
        write_batch_outputs(
            tmp,
            tasks,
            summary,
            regions,
            config,
            Path(batch_osm["path"]),
            time.perf_counter() - start,
            batch_osm.get("sha256"),
        )
    return summary


def rescore_region(work: tuple) -> dict:
    """Re-score one region's run directory into ``out_dir``; returns its summary row."""
    from geoschikt.rescoring import rescore, write_rescored

    src, out_dir, row, config = work
    t0 = time.perf_counter()
    rescored = rescore(Path(src) / "regions" / Path(out_dir).name, config)
    write_rescored(
        rescored,
        out_dir,
        overwrite=True,
        command=f"geoschikt rescore {src} (region {row['region_id']})",
    )
    stats = region_stats(rescored.result.candidates)
    return dict(row, **stats, seconds=round(time.perf_counter() - t0, 2))
