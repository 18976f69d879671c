"""`geoschikt batch`: score every region of a regions file from one OSM extract."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from geoschikt.cli.common import build_config, quiet_regions, summarise_batch
from geoschikt.cli.options import (
    balance_option,
    config_option,
    distance_option,
    jobs_option,
    map_options,
    out_option,
    profile_option,
    reception_option,
    table_options,
    verbosity_options,
)


def _progress(status: dict, done: int, failed: int, remaining: int, eta: float) -> None:
    mark = "ok" if status["status"] == "ok" else status["status"].upper()
    click.echo(
        f"[{done}/{done + remaining}] {status['region_id']} {status['region_name']}: {mark} "
        f"({status.get('seconds', 0):.1f} s) | done {done - failed}, failed/empty {failed}, "
        f"remaining {remaining}, ETA {eta:.0f} s",
        err=True,
    )


@click.command("batch")
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
@reception_option
@balance_option
@config_option("TOML config.")
@profile_option
@distance_option
@map_options
@table_options
@jobs_option("Regions scored in parallel on this machine.")
@click.option(
    "--scheduler", help="Address of a Dask scheduler (tcp://host:8786) to run regions on."
)
@click.option(
    "--scheduler-timeout",
    "scheduler_timeout_s",
    type=click.FloatRange(min=0, min_open=True),
    default=20.0,
    show_default=True,
    metavar="SECONDS",
    help="Give up on a --scheduler that does not answer within this time.",
)
@out_option("Batch directory; running the same command again resumes in it.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Score every region again, even those a matching status record says are done.",
)
@verbosity_options
def batch_cmd(
    osm_file,
    regions_file,
    id_column,
    name_column,
    codes,
    province,
    population,
    reception_file,
    balance_file,
    config_file,
    profile,
    distance,
    lang,
    title,
    blur_m,
    cdn,
    csv_dialect,
    xlsx,
    jobs,
    scheduler,
    scheduler_timeout_s,
    out,
    overwrite,
):
    """Score every region of a regions file from one OSM extract: resumable and parallel.

    Exit code 0 when every region was scored, 1 when a region failed or had no candidates
    (see summary.csv), 2 for bad input.
    """
    from geoschikt.batch import run_batch, select_regions
    from geoschikt.regions import read_regions

    quiet_regions()
    config = build_config(
        config_file,
        distance,
        lang,
        blur_m=blur_m,
        cdn=cdn,
        csv_dialect=csv_dialect,
        xlsx=xlsx,
        profile=profile,
        title=title,
    )
    regions = select_regions(
        read_regions(regions_file, id_column=id_column, name_column=name_column),
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
        scheduler_timeout_s=scheduler_timeout_s,
        reception_file=reception_file,
        balance_file=balance_file,
        redo=overwrite,
        progress=_progress,
    )
    sys.exit(summarise_batch(summary, out))
