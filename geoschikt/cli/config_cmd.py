"""`geoschikt config`: inspect the configuration."""

from __future__ import annotations

import click

from geoschikt.cli.common import build_config
from geoschikt.cli.options import config_option, verbosity_options


@click.group("config")
def config_group():
    """Inspect the configuration."""


@config_group.command("show")
@config_option()
@verbosity_options
def config_show(config_file):
    """Print the effective configuration (defaults plus your file) as TOML."""
    config = build_config(config_file, None, None)
    click.echo(f"# effective configuration: {' + '.join(config.sources)}")
    click.echo(config.to_toml())
