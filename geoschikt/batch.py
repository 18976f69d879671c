"""Score many regions (e.g. all municipalities of a province) from one OSM extract.

The extract is read once, in chunks, and cut as it is read into one input file per region (its
buildings plus a buffer of network and features as wide as the longest reach, so facilities
across a border count; see ``cut``). Regions then run one by one, in local processes (``jobs``)
or on a Dask cluster (``scheduler``). Each finished region leaves its outputs (written
atomically) and a status record with the fingerprint of its inputs; re-running skips regions
whose record matches and redoes the rest, so a killed batch resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geoschikt import __version__
from geoschikt.acquire import file_sha256
from geoschikt.config import Config
from geoschikt.errors import GeoschiktError, InputFileError, NoCandidatesError, OutputError
from geoschikt.geo import WGS84
from geoschikt.inputs import read_points_or_shapes
from geoschikt.outputs.combined import write_region_layers
from geoschikt.outputs.combined_update import CombinedUpdate
from geoschikt.outputs.csvsafe import neutralise_frame
from geoschikt.outputs.write import write_layer

log = logging.getLogger(__name__)

STATUS_OK = "ok"
STATUS_EMPTY = "no candidates"
STATUS_FAILED = "failed"
BATCH_MARK = "batch.json"
SUMMARY_COLUMNS = [
    "region_id",
    "region_name",
    "status",
    "candidates",
    "passing",
    "best_suitability",
    "median_suitability",
    "seconds",
    "reason",
]


@dataclass(frozen=True)
class RegionTask:
    """Everything a worker needs to score one region (paths only: cheap to send)."""

    region_id: str
    region_name: str
    input_path: str
    out_dir: str
    status_path: str
    fingerprint: str
    config_raw: dict
    config_sources: tuple[str, ...]
    reception_file: str | None
    inputs: dict | None = None  # hashes of what the region's result depends on


# ---- regions ----------------------------------------------------------------------------------


def read_regions(
    path: str | Path,
    *,
    id_column: str = "statcode",
    name_column: str = "statnaam",
    codes: Iterable[str] | None = None,
    province: str | None = None,
    population: str | Path | None = None,
) -> gpd.GeoDataFrame:
    """Regions (id, name, geometry in EPSG:4326), optionally filtered by codes or province."""
    frame = read_points_or_shapes(path, "regions")
    for col, opt in ((id_column, "--id-column"), (name_column, "--name-column")):
        if col not in frame.columns:
            raise InputFileError(
                f"regions file {path} has no column {col!r} ({opt}); columns: "
                f"{', '.join(map(str, frame.columns))}"
            )
    regions = gpd.GeoDataFrame(
        {"region_id": frame[id_column].astype(str), "region_name": frame[name_column].astype(str)},
        geometry=frame.geometry.values,
        crs=WGS84,
    )
    if regions["region_id"].duplicated().any():
        dup = regions.loc[regions["region_id"].duplicated(), "region_id"].iloc[0]
        raise InputFileError(f"regions file {path}: id {dup!r} occurs more than once")
    wanted: set[str] | None = None
    if codes:
        wanted = {c.strip() for c in codes if c.strip()}
        missing = sorted(wanted - set(regions["region_id"]))
        if missing:
            raise InputFileError(
                f"region code(s) {', '.join(missing)} are not in {path} (column {id_column})"
            )
    if province:
        if population is None:
            raise InputFileError(
                "--province needs --population (a table with statcode and provincie)"
            )
        table = _read_table(population)
        if not {"statcode", "provincie"} <= set(table.columns):
            raise InputFileError(f"{population} needs the columns statcode and provincie")
        hit = table["provincie"].astype(str).str.casefold() == province.casefold()
        if not hit.any():
            known = ", ".join(sorted(table["provincie"].dropna().astype(str).unique()))
            raise InputFileError(f"province {province!r} is not in {population}; known: {known}")
        in_prov = set(table.loc[hit, "statcode"].astype(str))
        wanted = in_prov if wanted is None else wanted & in_prov
    if wanted is not None:
        regions = regions[regions["region_id"].isin(wanted)]
    if regions.empty:
        raise InputFileError("no regions are selected; check --codes/--province")
    regions = regions.sort_values("region_id").reset_index(drop=True)
    regions.attrs["source"] = Path(path).name
    return regions


def _read_table(path: str | Path) -> pd.DataFrame:
    if not Path(path).is_file():
        raise InputFileError(f"table {path} does not exist; check the path")
    return pd.read_csv(path)


def safe_name(region_id: str) -> str:
    """A file-system safe directory name for a region id."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", region_id) or "_"


# ---- cutting the extract ----------------------------------------------------------------------


def buffered_bounds(geom, metres: float) -> tuple[float, float, float, float]:
    """Bounds of ``geom`` (lon/lat) grown by ``metres`` on every side."""
    from geoschikt.pipeline import _buffered_bounds

    return _buffered_bounds(geom.bounds, metres)


def fingerprint(*parts: object) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


# ---- running ------------------------------------------------------------------------------------


def plan(
    osm_sha: str, regions: gpd.GeoDataFrame, config: Config, out: Path, reception_file
) -> tuple[list[RegionTask], list[RegionTask]]:
    """(all tasks, tasks still to do): a task is done when its status record matches.
    ``osm_sha`` is the SHA-256 of the OSM extract."""
    rec_sha = file_sha256(reception_file) if reception_file else None
    tasks, todo = [], []
    for row in regions.itertuples():
        name = safe_name(row.region_id)
        geom_sha = hashlib.sha256(shapely.to_wkb(row.geometry, hex=False)).hexdigest()
        inputs = {
            "geoschikt_version": __version__,
            "osm_sha256": osm_sha,
            "config_sha256": fingerprint(config.to_dict()),
            "region_geometry_sha256": geom_sha,
            "reception_sha256": rec_sha,
        }
        fp = fingerprint(inputs)
        task = RegionTask(
            region_id=row.region_id,
            region_name=row.region_name,
            input_path=str(out / ".work" / f"{name}-{fp}.osmcut"),
            out_dir=str(out / "regions" / name),
            status_path=str(out / "status" / f"{name}.json"),
            fingerprint=fp,
            config_raw=config.to_dict(),
            config_sources=config.sources,
            reception_file=str(reception_file) if reception_file else None,
            inputs=inputs,
        )
        tasks.append(task)
        if not _is_done(task):
            todo.append(task)
    return tasks, todo


def _is_done(task: RegionTask) -> bool:
    status = read_status(task)
    if status is None or status.get("fingerprint") != task.fingerprint:
        return False
    if status["status"] == STATUS_OK:
        return (Path(task.out_dir) / "run.json").is_file()
    return status["status"] == STATUS_EMPTY


def read_status(task: RegionTask) -> dict | None:
    try:
        return json.loads(Path(task.status_path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def prepare_inputs(
    osm_path: Path,
    tasks: list[RegionTask],
    regions: gpd.GeoDataFrame,
    config: Config,
    osm_sha: str | None = None,
) -> None:
    """Read the extract once, cutting an input for each task that lacks one (see ``cut``)."""
    from geoschikt.cut import RegionCut, split_extract
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
    split_extract(
        osm_path,
        cuts,
        feature_keys(config),
        feature_predicate(config),
        work_dir=Path(missing[0].input_path).parent,
        sha256=osm_sha,
    )
    give_back_memory()


def _atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def run_region(task: RegionTask) -> dict:
    """Score one region and record its status. Runs in a worker; never raises for bad data."""
    from geoschikt.config import config_from_dict
    from geoschikt.cut import read_region_input
    from geoschikt.outputs import write_outputs
    from geoschikt.pipeline import score_osm

    start = time.perf_counter()
    status = {
        "region_id": task.region_id,
        "region_name": task.region_name,
        "fingerprint": task.fingerprint,
        "inputs": task.inputs,
    }
    try:
        part, area = read_region_input(task.input_path)
        config = config_from_dict(task.config_raw, ", ".join(task.config_sources))
        result = score_osm(part, config=config, area=area, reception_file=task.reception_file)
        result.provenance["region"] = {"id": task.region_id, "name": task.region_name}
        write_outputs(
            result,
            task.out_dir,
            overwrite=True,
            command=f"geoschikt batch (region {task.region_id})",
        )
        status.update(status=STATUS_OK, reason="", **region_stats(result.candidates))
    except NoCandidatesError as exc:
        status.update(status=STATUS_EMPTY, candidates=0, passing=0, reason=str(exc))
    except GeoschiktError as exc:
        status.update(status=STATUS_FAILED, candidates=0, passing=0, reason=str(exc))
    except Exception as exc:  # a bug: record it and let the other regions go on
        log.debug("region %s crashed:\n%s", task.region_id, traceback.format_exc())
        status.update(
            status=STATUS_FAILED,
            candidates=0,
            passing=0,
            reason=f"internal error: {type(exc).__name__}: {exc}",
        )
    status["seconds"] = round(time.perf_counter() - start, 2)
    _atomic_bytes(Path(task.status_path), json.dumps(status, indent=1).encode())
    give_back_memory()
    return status


def give_back_memory() -> None:
    """Return freed heap memory to the OS (glibc keeps it otherwise, so a process that scores
    region after region would creep up to the sum of its fragments; see Dask's docs on
    "memory trimming"). A no-op where there is no glibc."""
    import contextlib
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def region_stats(candidates: pd.DataFrame) -> dict:
    """Summary figures of a scored region."""
    suit = candidates["suitability"]
    return {
        "candidates": len(suit),
        "passing": int(candidates["passes"].sum()),
        "best_suitability": float(suit.max()),
        "median_suitability": float(suit.median()),
    }


Progress = Callable[[dict, int, int, int, float], None]
"""progress(status, done, failed, remaining, eta_seconds)"""


def execute(
    tasks: list[RegionTask],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[dict]:
    """Run tasks serially, in ``jobs`` local processes, or on the Dask cluster at ``scheduler``."""
    results: list[dict] = []
    start = time.perf_counter()

    def report(status: dict) -> None:
        results.append(status)
        if progress is not None:
            done = len(results)
            failed = sum(r["status"] != STATUS_OK for r in results)
            remaining = len(tasks) - done
            eta = (time.perf_counter() - start) / done * remaining / max(1, jobs)
            progress(status, done, failed, remaining, eta)

    if scheduler:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise GeoschiktError("--scheduler needs Dask: pip install 'geoschikt[dask]'") from None
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise GeoschiktError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); check the address"
            ) from None
        with client:
            futures = client.map(run_region, tasks, pure=False)
            for fut in as_completed(futures):
                report(fut.result())
    elif jobs > 1 and len(tasks) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
            for fut in as_completed([pool.submit(run_region, t) for t in tasks]):
                report(fut.result())
    else:
        for task in tasks:
            report(run_region(task))
    return results


def check_batch_dir(out: Path) -> None:
    """A batch writes into its own directory; refuse one that holds something else."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file; choose a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / BATCH_MARK).is_file():
        raise OutputError(
            f"{out} is not empty and not a geoschikt batch directory; choose another --out"
        )


def clean_leftovers(out: Path) -> None:
    """Remove temporary files and directories that an interrupted run left behind."""
    for pattern in (
        ".*.tmp-*",
        "regions/.*.tmp-*",
        "regions/.*.old-*",
        "status/.*.tmp-*",
        ".work/.*.tmp-*",
    ):
        for p in out.glob(pattern):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


# ---- batch outputs ------------------------------------------------------------------------------


def run_batch(
    osm_path: Path,
    regions: gpd.GeoDataFrame,
    config: Config,
    out: Path,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    reception_file: Path | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Score every region; returns the summary table (one row per region)."""
    out = Path(out)
    check_batch_dir(out)
    if not Path(osm_path).is_file():
        raise InputFileError(f"OSM file {osm_path} does not exist; check the path (--osm)")
    out.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out)
    started = time.perf_counter()
    osm_sha = file_sha256(osm_path)
    tasks, todo = plan(osm_sha, regions, config, out, reception_file)
    mark = {"geoschikt_version": __version__, "osm": str(osm_path), "regions": len(tasks)}
    _atomic_bytes(out / BATCH_MARK, json.dumps(mark, indent=1).encode())
    log.info(
        "%d region(s): %d finished earlier, %d to do", len(tasks), len(tasks) - len(todo), len(todo)
    )
    if todo:
        prepare_inputs(Path(osm_path), todo, regions, config, osm_sha)
        execute(todo, jobs=jobs, scheduler=scheduler, progress=progress)
    statuses = [
        read_status(t)
        or {
            "region_id": t.region_id,
            "region_name": t.region_name,
            "status": STATUS_FAILED,
            "reason": "no status recorded",
        }
        for t in tasks
    ]
    summary = pd.DataFrame(statuses).reindex(columns=SUMMARY_COLUMNS)
    write_batch_outputs(
        out, tasks, summary, regions, config, osm_path, time.perf_counter() - started, osm_sha
    )
    if all(s.get("status") in (STATUS_OK, STATUS_EMPTY) for s in statuses):
        shutil.rmtree(out / ".work", ignore_errors=True)
    return summary


def write_batch_outputs(
    out: Path,
    tasks,
    summary: pd.DataFrame,
    regions,
    config: Config,
    osm_path,
    seconds: float,
    osm_sha: str | None = None,
    source: CombinedUpdate | None = None,
) -> None:
    """summary.csv, candidates_all.gpkg, index.html (overview map) and batch.json, each atomic.

    With ``source`` (re-scoring), candidates_all.gpkg is the source batch's, updated in place
    where that gives the same content.
    """
    summary = summary.copy()
    summary["map"] = [
        f"regions/{safe_name(t.region_id)}/map.html" if s == STATUS_OK else ""
        for t, s in zip(tasks, summary["status"], strict=True)
    ]
    tmp = out / f".summary.csv.tmp-{os.getpid()}"
    neutralise_frame(summary).to_csv(tmp, index=False)
    os.replace(tmp, out / "summary.csv")

    tmp_gpkg = out / f".candidates_all.tmp-{os.getpid()}.gpkg"
    tmp_gpkg.unlink(missing_ok=True)
    overview = regions.merge(summary.drop(columns=["region_name"]), on="region_id", how="left")
    if source is None or not source.finish(tmp_gpkg, overview):
        write_layer(overview, tmp_gpkg, "regions")
        scored = [
            (t.region_id, t.region_name, Path(t.out_dir) / "candidates.gpkg")
            for t, status in zip(tasks, summary["status"], strict=True)
            if status == STATUS_OK
        ]
        if scored:  # streamed: one region in memory at a time
            write_region_layers(scored, tmp_gpkg, "candidates")
    os.replace(tmp_gpkg, out / "candidates_all.gpkg")

    from geoschikt.outputs.overview import write_overview_map

    tmp_html = out / f".index.html.tmp-{os.getpid()}"
    write_overview_map(
        overview, tmp_html, lang=config.lang, source=f"regions: {regions.attrs.get('source', '')}"
    )
    os.replace(tmp_html, out / "index.html")

    record = {
        "geoschikt_version": __version__,
        "osm": {"path": str(osm_path), "sha256": osm_sha or file_sha256(osm_path)},
        "config": config.to_dict(),
        "config_sources": list(config.sources),
        "regions": {s: int((summary["status"] == s).sum()) for s in summary["status"].unique()},
        "seconds_this_run": round(seconds, 2),
        "attribution": "© OpenStreetMap contributors (ODbL)",
    }
    _atomic_bytes(out / BATCH_MARK, json.dumps(record, indent=1, ensure_ascii=False).encode())


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
    regions = to_wgs84(regions[["region_id", "region_name", "geometry"]].reset_index(drop=True))
    regions.attrs["source"] = f"as in {src}"
    batch_osm = json.loads((src / BATCH_MARK).read_text(encoding="utf-8"))["osm"]
    records = old.to_dict("records")
    with (
        atomic_directory(out, overwrite) as tmp,
        CombinedUpdate(combined, tmp / ".candidates_all.update.gpkg", before) as update,
    ):
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
            results = map(_rescore_region, work)
            if jobs > 1 and len(work) > 1:
                import multiprocessing as mp
                from concurrent.futures import ProcessPoolExecutor

                pool = ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"))
                results = stack.enter_context(pool).map(_rescore_region, work)
            for (_, out_dir, _, _), (row, changed) in zip(work, results, strict=True):
                update.add(row["region_id"], Path(out_dir) / "candidates.gpkg", changed)
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
            source=update,
        )
    return summary


def _rescore_region(work: tuple) -> tuple[dict, list[str] | None]:
    """Re-score one region's run directory into ``out_dir``; returns its summary row and the
    candidate columns that changed (None: the set of columns changed)."""
    from geoschikt.rescore import rescore, write_rescored

    src, out_dir, row, config = work
    t0 = time.perf_counter()
    rescored = rescore(Path(src) / "regions" / Path(out_dir).name, config)
    update = write_rescored(
        rescored,
        out_dir,
        overwrite=True,
        command=f"geoschikt rescore {src} (region {row['region_id']})",
    )
    stats = region_stats(rescored.result.candidates)
    changed = None if update is None else update.columns
    return dict(row, **stats, seconds=round(time.perf_counter() - t0, 2)), changed


def to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from geoschikt.geo import to_crs

    return to_crs(frame, WGS84)
