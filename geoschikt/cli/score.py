"""`geoschikt score`: score every candidate building of an area."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from geoschikt.cli.common import build_config, report
from geoschikt.cli.options import (
    balance_option,
    config_option,
    distance_option,
    map_options,
    out_option,
    overwrite_option,
    reception_option,
    table_options,
    verbosity_options,
)


def _parse_bbox(_ctx, _param, value):
    if value is None:
        return None
    try:
        parts = tuple(float(v) for v in value.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or not (parts[0] < parts[2] and parts[1] < parts[3]):
        raise click.BadParameter(
            "give LEFT,BOTTOM,RIGHT,TOP in degrees, e.g. 4.35,51.99,4.39,52.01"
        )
    return parts


@click.command("score")
@click.option(
    "--osm",
    "osm_file",
    type=click.Path(path_type=Path),
    help="OSM file: .osm.pbf, .osm, .osm.bz2 or .osm.gz.",
)
@click.option("--place", help="Download OSM data for a named place (Nominatim + Overpass).")
@click.option("--bbox", callback=_parse_bbox, help="Download OSM data for LEFT,BOTTOM,RIGHT,TOP.")
@click.option("--offline", is_flag=True, help="Never download; use only the cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Download cache directory.")
@click.option("--area-name", help="Score inside the administrative boundary with this name.")
@click.option(
    "--admin-level", help="With --area-name: the boundary's admin_level (8 = municipality)."
)
@click.option(
    "--area-file", type=click.Path(path_type=Path), help="Score inside the polygons of this file."
)
@click.option(
    "--candidates",
    "candidates_file",
    type=click.Path(path_type=Path),
    help="Your own candidate sites (GeoPackage, GeoJSON, or CSV with lon/lat).",
)
@click.option("--id-column", help="Column of --candidates holding the site id.")
@click.option(
    "--crs",
    "csv_crs",
    metavar="CRS",
    help="CRS of x/y (or lon/lat) columns in CSV inputs, e.g. EPSG:28992 (the default for x/y).",
)
@reception_option
@balance_option
@config_option()
@distance_option
@map_options
@table_options
@out_option()
@overwrite_option
@verbosity_options
def score_cmd(
    osm_file,
    place,
    bbox,
    offline,
    cache_dir,
    area_name,
    admin_level,
    area_file,
    candidates_file,
    id_column,
    csv_crs,
    reception_file,
    balance_file,
    config_file,
    distance,
    lang,
    title,
    blur_m,
    cdn,
    csv_dialect,
    xlsx,
    out,
    overwrite,
):
    """Score every candidate building of an area and write tables, a map and run.json."""
    from geoschikt.acquire import default_cache_dir
    from geoschikt.outputs import check_output_dir
    from geoschikt.pipeline import osm_for_bbox, osm_for_place

    sources = sum(x is not None for x in (osm_file, place, bbox))
    if sources != 1:
        raise click.UsageError("give exactly one of --osm FILE, --place NAME or --bbox L,B,R,T")
    config = build_config(
        config_file,
        distance,
        lang,
        blur_m=blur_m,
        cdn=cdn,
        csv_dialect=csv_dialect,
        xlsx=xlsx,
        title=title,
    )
    check_output_dir(out, overwrite)
    area = None
    if osm_file is None:
        cache = cache_dir or default_cache_dir()
        if place is not None:
            osm_file, area = osm_for_place(place, config, cache_dir=cache, offline=offline)
        else:
            osm_file, area = osm_for_bbox(bbox, config, cache_dir=cache, offline=offline)
    _run(
        osm_file,
        config,
        out,
        overwrite,
        area=area,
        area_name=area_name,
        admin_level=admin_level,
        area_file=area_file,
        candidates_file=candidates_file,
        id_column=id_column,
        csv_crs=csv_crs,
        reception_file=reception_file,
        balance_file=balance_file,
    )


def _run(osm_file, config, out, overwrite, **kwargs):
    from geoschikt.outputs import write_outputs
    from geoschikt.pipeline import score_area

    result = score_area(osm_file, config=config, **kwargs)
    command = "geoschikt " + shlex.join(sys.argv[1:])
    write_outputs(result, out, overwrite=overwrite, command=command)
    report(result, out)
    return result
