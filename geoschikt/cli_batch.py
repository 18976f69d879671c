"""`geoschikt batch` and `geoschikt rescore`: many regions, and re-scoring finished runs."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from geoschikt.cli import _config, cli, profile_option


def _quiet_regions() -> None:
    """Per-region stage messages only with -v: the batch reports progress per region."""
    root = logging.getLogger("geoschikt")
    if root.level >= logging.INFO:
        for name in ("pipeline", "features", "network", "outputs", "acquire"):
            logging.getLogger(f"geoschikt.{name}").setLevel(max(root.level, logging.WARNING))


def _progress(status: dict, done: int, failed: int, remaining: int, eta: float) -> None:
    mark = "ok" if status["status"] == "ok" else status["status"].upper()
    click.echo(
        f"[{done}/{done + remaining}] {status['region_id']} {status['region_name']}: {mark} "
        f"({status.get('seconds', 0):.1f} s) | done {done - failed}, failed/empty {failed}, "
        f"remaining {remaining}, ETA {eta:.0f} s",
        err=True,
    )


def _summarise(summary, out: Path) -> int:
    bad = summary[summary["status"] != "ok"]
    ok = summary[summary["status"] == "ok"]
    click.echo(
        f"{len(ok)} of {len(summary)} region(s) scored; "
        f"{int(ok['candidates'].sum()) if len(ok) else 0} candidates, "
        f"{int(ok['passing'].sum()) if len(ok) else 0} meet all hard limits."
    )
    for row in bad.itertuples():
        click.echo(f"  {row.region_id} {row.region_name}: {row.status}: {row.reason}")
    click.echo(f"Outputs in {out}/: summary.csv, candidates_all.gpkg, index.html, regions/<id>/")
    return 0 if bad.empty else 1


@cli.command("batch")
@click.option(
    "--osm",
    "osm_file",
    type=click.Path(path_type=Path),
    required=True,
    help="One OSM extract covering all regions (e.g. a Geofabrik province .osm.pbf).",
)
@click.option(
    "--regions",
    "regions_file",
    type=click.Path(path_type=Path),
    required=True,
    help="Region polygons (e.g. CBS gemeenten GeoJSON).",
)
@click.option("--id-column", default="statcode", show_default=True, help="Region id column.")
@click.option("--name-column", default="statnaam", show_default=True, help="Region name column.")
@click.option("--codes", help="Only these region ids, comma-separated (e.g. GM0503,GM1926).")
@click.option("--province", help="Only the regions of this province (needs --population).")
@click.option(
    "--population",
    type=click.Path(path_type=Path),
    help="Table with statcode and provincie (e.g. gemeenten_kerncijfers_2021.csv).",
)
@click.option(
    "--reception",
    "reception_file",
    type=click.Path(path_type=Path),
    help="Existing reception locations with a capacity column.",
)
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="TOML config.")
@profile_option
@click.option("--distance", type=click.Choice(["network", "euclidean"]), help="Distance kind.")
@click.option("--lang", type=click.Choice(["nl", "en"]), help="Language of the maps.")
@click.option(
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Regions scored in parallel on this machine.",
)
@click.option(
    "--scheduler", help="Address of a Dask scheduler (tcp://host:8786) to run regions on."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Batch directory; running the same command again resumes in it.",
)
def batch_cmd(
    osm_file,
    regions_file,
    id_column,
    name_column,
    codes,
    province,
    population,
    reception_file,
    config_file,
    profile,
    distance,
    lang,
    jobs,
    scheduler,
    out,
):
    """Score every region of a regions file from one OSM extract: resumable and parallel.

    Exit code 0 when every region was scored, 1 when a region failed or had no candidates
    (see summary.csv), 2 for bad input.
    """
    from geoschikt.batch import read_regions, run_batch

    _quiet_regions()
    config = _config(config_file, distance, lang, profile=profile)
    regions = read_regions(
        regions_file,
        id_column=id_column,
        name_column=name_column,
        codes=codes.split(",") if codes else None,
        province=province,
        population=population,
    )
    summary = run_batch(
        osm_file,
        regions,
        config,
        out,
        jobs=jobs,
        scheduler=scheduler,
        reception_file=reception_file,
        progress=_progress,
    )
    sys.exit(_summarise(summary, out))


@cli.command("rescore")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="TOML laid over the config the run was made with (weights, curves, limits).",
)
@click.option("--lang", type=click.Choice(["nl", "en"]), help="Language of the maps.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output directory.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
@click.option(
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Regions re-scored in parallel (batch directories).",
)
def rescore_cmd(source: Path, config_file, lang, out: Path, overwrite: bool, jobs: int):
    """Re-score a finished `score` or `batch` output with new weights, curves or limits.

    Reuses the measured distances (distances.npz), so it takes a small fraction of the original
    run; refuses when the new config would need new measurements (other tags, modes, a longer
    reach).
    """
    from geoschikt.outputs import check_output_dir
    from geoschikt.rescore import is_run_dir, rescore, run_config, write_rescored

    _quiet_regions()
    start = time.perf_counter()
    if (source / "batch.json").is_file():
        first = next(iter(sorted((source / "regions").glob("*/run.json"))), None)
        if first is None:
            from geoschikt.errors import InputFileError

            raise InputFileError(f"{source} holds no scored region to re-score")
        config = run_config(first.parent, config_file, lang)
        from geoschikt.batch import STATUS_OK, rescore_batch

        summary = rescore_batch(source, config, out, overwrite=overwrite, jobs=jobs)
        scored = int((summary["status"] == STATUS_OK).sum())
        click.echo(
            f"Re-scored {scored} of {len(summary)} region(s) (the others had no scores to "
            f"change) in {time.perf_counter() - start:.1f} s."
            if scored < len(summary)
            else f"Re-scored {scored} region(s) in {time.perf_counter() - start:.1f} s."
        )
        sys.exit(_summarise(summary, out))
    config = run_config(source, config_file, lang)
    check_output_dir(out, overwrite)
    if not is_run_dir(source):
        from geoschikt.errors import InputFileError

        raise InputFileError(f"{source} is not a geoschikt score or batch output directory")
    rescored = rescore(source, config)
    write_rescored(rescored, out, overwrite=overwrite, command="geoschikt rescore " + str(source))
    result = rescored.result
    from geoschikt.cli import _report

    _report(result, out)
    click.echo(f"Re-scored in {time.perf_counter() - start:.1f} s.")
