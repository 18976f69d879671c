"""`geoschikt config`: inspect the configuration and its documentation."""

from __future__ import annotations

import click

from geoschikt.cli.common import build_config
from geoschikt.cli.options import config_option, profile_option, verbosity_options
from geoschikt.config_docs import annotated_toml, config_markdown


@click.group("config")
def config_group():
    """Inspect the configuration."""


@config_group.command("show")
@config_option()
@profile_option
@click.option(
    "--doc", is_flag=True, help="Precede each key with what it means and what changing it costs."
)
@verbosity_options
def config_show(config_file, profile, doc):
    """Print the effective configuration (defaults, profile, your file) as TOML."""
    config = build_config(config_file, None, None, profile=profile)
    click.echo(f"# effective configuration: {' + '.join(config.sources)}")
    click.echo(annotated_toml(config) if doc else config.to_toml())


@config_group.command("docs")
@verbosity_options
def config_docs():
    """Print the reference of every setting as Markdown (docs/CONFIG.md)."""
    click.echo(config_markdown(), nl=False)
