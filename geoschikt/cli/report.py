"""`geoschikt report`: a PDF and HTML report of a finished score or batch run."""

from __future__ import annotations

import time
from pathlib import Path

import click

from geoschikt.cli.options import overwrite_option, verbosity_options


@click.command("report")
@click.argument("run_dir", metavar="RUN", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Output directory (default: RUN-report next to the run; never inside it).",
)
@click.option(
    "--lang",
    type=click.Choice(["nl", "en"]),
    default="nl",
    show_default=True,
    help="Language of the report.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many of the best sites to list and map (per region for a batch).",
)
@click.option("--title", help="Title of the report (default: a title in the chosen language).")
@click.option(
    "--robustness",
    type=click.Path(path_type=Path),
    help="Directory (or file) with the robustness.csv of `geoschikt robustness` "
    "(default: the run's own, when present).",
)
@click.option(
    "--blur",
    "blur_m",
    type=click.FloatRange(min=0),
    metavar="METRES",
    help="A version for publication: blur locations to squares of METRES and leave addresses, "
    "names, ids and site maps out; 0 shows them (default: the run's [map] blur_m).",
)
@overwrite_option
@verbosity_options
def report_cmd(
    run_dir: Path,
    out: Path | None,
    lang: str,
    top: int,
    title: str | None,
    robustness: Path | None,
    blur_m: float | None,
    overwrite: bool,
) -> None:
    """Write report.pdf and report.html (self-contained) for the score or batch run in RUN."""
    from geoschikt.report import HTML, PDF, make_report

    start = time.perf_counter()
    out = make_report(
        run_dir,
        out,
        lang=lang,
        top=top,
        title=title,
        robustness=robustness,
        overwrite=overwrite,
        blur_m=blur_m,
    )
    click.echo(f"Report in {out}/: {PDF}, {HTML} ({time.perf_counter() - start:.1f} s)")
