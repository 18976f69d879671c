"""The `geoschikt` command line: the group, logging and error handling. The only package that
configures logging or prints.

A command is a module ``geoschikt/cli/<name>.py`` with one click command, registered below;
options used by several commands live in ``options``, shared helpers in ``common``. Command
modules import from those two, never from each other or from this module.
"""

from __future__ import annotations

import sys

import click

from geoschikt import __version__
from geoschikt.cli.balance import balance_cmd
from geoschikt.cli.batch import batch_cmd
from geoschikt.cli.compare import compare_cmd
from geoschikt.cli.config_cmd import config_group
from geoschikt.cli.demo import demo_cmd, demo_data_path
from geoschikt.cli.options import verbosity_options
from geoschikt.cli.report import report_cmd
from geoschikt.cli.rescore import rescore_cmd
from geoschikt.cli.robustness import robustness_cmd
from geoschikt.cli.score import score_cmd
from geoschikt.cli.select import select_cmd
from geoschikt.errors import GeoschiktError
from geoschikt.outputs.atomic import is_disk_full

__all__ = ["cli", "demo_data_path", "main"]


class _Group(click.Group):
    """Turns input errors into one line on stderr and exit code 2; Ctrl-C into exit 130."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GeoschiktError as exc:
            click.echo(f"geoschikt: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            click.echo(f"geoschikt: error: disk full ({exc}); free some space", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("geoschikt: interrupted; no outputs were written or changed", err=True)
            sys.exit(130)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="geoschikt")
@verbosity_options
def cli() -> None:
    """Score candidate buildings for small-scale asylum reception from OpenStreetMap data."""


cli.add_command(score_cmd)
cli.add_command(demo_cmd)
cli.add_command(config_group)
cli.add_command(batch_cmd)
cli.add_command(rescore_cmd)
cli.add_command(balance_cmd)
cli.add_command(robustness_cmd)
cli.add_command(report_cmd)
cli.add_command(select_cmd)
cli.add_command(compare_cmd)


def main() -> None:
    cli(prog_name="geoschikt")
