"""Options shared by several commands, each defined once.

``-v/-q`` are accepted before and after the command (``geoschikt -q score`` and
``geoschikt score -q``); the counts add up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from geoschikt.cli.common import setup_logging

F = TypeVar("F", bound=Callable[..., Any])
_VERBOSITY = "geoschikt.verbosity"


def _count_verbosity(ctx: click.Context, param: click.Parameter, value: int) -> None:
    root = ctx.find_root()
    verbose, quiet = root.meta.get(_VERBOSITY, (0, 0))
    if param.name == "verbose":
        verbose += value
    else:
        quiet += value
    root.meta[_VERBOSITY] = (verbose, quiet)
    if value or ctx.parent is None:  # the group always sets up; a command only to change it
        setup_logging(verbose, quiet)


def verbosity_options(command: F) -> F:
    """-v/--verbose and -q/--quiet (counted, before or after the command)."""
    command = click.option(
        "-q",
        "--quiet",
        count=True,
        expose_value=False,
        callback=_count_verbosity,
        help="Fewer messages (only warnings and errors).",
    )(command)
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_count_verbosity,
        help="More messages (-vv for debug).",
    )(command)


lang_option = click.option(
    "--lang", type=click.Choice(["nl", "en"]), help="Language of the map(s)."
)
blur_option = click.option(
    "--blur",
    "blur_m",
    type=click.FloatRange(min=0, min_open=True),
    metavar="METRES",
    help="Blur locations on the map to squares of METRES (e.g. 250); leaves out "
    "addresses, names, ids, footprints and exact distances.",
)
title_option = click.option(
    "--title", metavar="TEXT", help="Title of the map (default: what was scored, where)."
)
cdn_option = click.option(
    "--cdn",
    is_flag=True,
    help="Load Leaflet from a CDN: a smaller map.html that needs the internet to open.",
)
overwrite_option = click.option(
    "--overwrite", is_flag=True, help="Replace an existing output directory."
)
distance_option = click.option(
    "--distance", type=click.Choice(["network", "euclidean"]), help="Distance kind."
)


csv_dialect_option = click.option(
    "--csv-dialect",
    type=click.Choice(["international", "nl"]),
    help="candidates.csv for Dutch Excel (nl: ';', decimal comma, BOM) or international.",
)
xlsx_option = click.option(
    "--xlsx", is_flag=True, default=None, help="Also write candidates.xlsx (an Excel workbook)."
)


reception_option = click.option(
    "--reception",
    "reception_file",
    type=click.Path(path_type=Path),
    help="Existing reception locations with a capacity column (CSV or a vector file).",
)
balance_option = click.option(
    "--balance",
    "balance_file",
    type=click.Path(path_type=Path),
    help="balance.gpkg from `geoschikt balance`: shown on the map(s) as places per 1,000.",
)


def table_options(command: F) -> F:
    """--csv-dialect and --xlsx, shared by the commands that write candidate tables."""
    return csv_dialect_option(xlsx_option(command))


def map_options(command: F) -> F:
    """--lang, --title, --blur and --cdn, shared by the commands that write a map."""
    return lang_option(title_option(blur_option(cdn_option(command))))


def config_option(help: str = "TOML config over the defaults.") -> Callable[[F], F]:
    """--config FILE (as ``config_file``)."""
    return click.option("--config", "config_file", type=click.Path(path_type=Path), help=help)


def out_option(help: str = "Output directory.", default: Path | None = None) -> Callable[[F], F]:
    """--out DIR: required unless a default is given."""
    if default is None:
        return click.option("--out", type=click.Path(path_type=Path), required=True, help=help)
    return click.option(
        "--out", type=click.Path(path_type=Path), default=default, show_default=True, help=help
    )


def jobs_option(help: str) -> Callable[[F], F]:
    """--jobs N (1-64)."""
    return click.option(
        "--jobs", default=1, show_default=True, type=click.IntRange(1, 64), help=help
    )
