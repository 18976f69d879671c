"""`geoschikt balance`: reception places per municipality against a population key."""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path

import click

from geoschikt.cli.options import out_option, overwrite_option, verbosity_options

log = logging.getLogger("geoschikt")


@click.command("balance")
@click.option(
    "--regions",
    "regions_file",
    type=click.Path(path_type=Path),
    required=True,
    help="Municipal boundaries (GeoPackage/GeoJSON) with a code column and statnaam.",
)
@click.option(
    "--population",
    "population_file",
    type=click.Path(path_type=Path),
    required=True,
    help="CSV with the code and inwoners per municipality.",
)
@click.option(
    "--reception",
    "reception_file",
    type=click.Path(path_type=Path),
    required=True,
    help="CSV with the code, opvangplaatsen and (optional) opvangtypen per municipality.",
)
@click.option(
    "--reference-date",
    help="Date (peildatum) of the reception figures, YYYY-MM-DD or YYYY "
    "[default: the year in the --reception file name].",
)
@click.option(
    "--population-year",
    help="Year of the population figures [default: the year in the --population file name].",
)
@click.option(
    "--id-column",
    default="statcode",
    show_default=True,
    help="Municipality code column, the same in all three files.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail (exit 2, nothing written) when the municipal codes of the files do not match.",
)
@out_option()
@overwrite_option
@verbosity_options
def balance_cmd(
    regions_file,
    population_file,
    reception_file,
    reference_date,
    population_year,
    id_column,
    strict,
    out,
    overwrite,
):
    """Reception places per municipality against a population key (the Spreidingswet view).

    Writes balance.gpkg (layer balance), balance.csv, balance_unmatched.csv and balance.json.
    Codes that do not match between the files (municipal mergers) are listed as warnings and
    their places kept as unmatched; the exit status stays 0. With --strict they are an error
    (exit 2) and nothing is written.
    """
    from geoschikt.balance import load_balance, require_match
    from geoschikt.outputs import check_output_dir
    from geoschikt.outputs.balance import write_balance

    check_output_dir(out, overwrite)
    balance = load_balance(
        regions_file,
        population_file,
        reception_file,
        id_column=id_column,
        reference_date=reference_date,
        population_year=population_year,
    )
    if strict:
        require_match(balance)
    command = "geoschikt " + shlex.join(sys.argv[1:])
    write_balance(balance, out, overwrite=overwrite, command=command)
    for line in balance.warnings():
        log.warning("warning: %s", line)
    s = balance.summary
    totals = s["totals"]
    click.echo(
        f"Balance of {totals['national_places']:,} reception places (reference date "
        f"{s['reference_date']}, {s['reference_date_source']}) over {s['counts']['regions']} "
        f"regions; population {s['population_year']}: {totals['national_inhabitants']:,} "
        f"inhabitants, {totals['places_per_1000_national']} places per 1,000. "
        f"Unmatched: {totals['unmatched_places']:,} places."
    )
    click.echo(f"Outputs in {out}/: balance.gpkg, balance.csv, balance_unmatched.csv, balance.json")
