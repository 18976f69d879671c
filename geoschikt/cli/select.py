"""`geoschikt select`: a spread set of sites from a finished run (an exact MILP)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from geoschikt.cli.options import lang_option, out_option, overwrite_option, verbosity_options
from geoschikt.errors import ConfigError


@click.command("select")
@click.argument("run_dir", metavar="RUN", type=click.Path(path_type=Path))
@click.option("--k", "k", type=click.IntRange(1), help="Number of sites to choose.")
@click.option(
    "--places",
    "places",
    type=click.FloatRange(min=0, min_open=True),
    help="Instead of --k: the fewest sites whose places add up to at least this.",
)
@click.option(
    "--places-column",
    help="Candidate column with the places per site (default places_est when the run has it).",
)
@click.option(
    "--min-spacing-m",
    "spacing",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Straight-line distance every two chosen sites keep at least (metric CRS).",
)
@click.option("--zones", "zones_file", type=click.Path(path_type=Path), help="Zone polygons.")
@click.option("--zone-column", help="Zone name column of --zones (default: name, naam, ...).")
@click.option("--per-zone", type=click.IntRange(1), help="At most this many sites per zone.")
@click.option("--include", multiple=True, help="A candidate_id that must be chosen (repeatable).")
@click.option("--exclude", multiple=True, help="A candidate_id that must not be (repeatable).")
@click.option(
    "--time-limit",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds for the solver; the optimality gap is reported.",
)
@click.option("--region", help="Only this region of a batch directory.")
@lang_option
@out_option()
@overwrite_option
@verbosity_options
def select_cmd(
    run_dir,
    k,
    places,
    places_column,
    spacing,
    zones_file,
    zone_column,
    per_zone,
    include,
    exclude,
    time_limit,
    region,
    lang,
    out,
    overwrite,
):
    """Choose K passing sites of RUN, pairwise at least --min-spacing-m apart, maximising the
    sum of suitability (an exact mixed-integer programme; HiGHS). Writes selection.csv/.gpkg
    and map.html."""
    from geoschikt.decide import select as sl
    from geoschikt.decide.runs import open_run
    from geoschikt.decide.write import (
        MAP,
        check_output_dir,
        write_decision,
        write_points,
        write_run_map,
        write_table,
    )
    from geoschikt.outputs.webmap import Highlight

    if (k is None) == (places is None):
        raise ConfigError("give either --k (number of sites) or --places (places needed)")
    if (zones_file is None) != (per_zone is None):
        raise ConfigError("--zones and --per-zone go together; give both or neither")
    check_output_dir(out, overwrite)
    run = open_run(run_dir, region=region)
    codes = names = None
    if zones_file is not None:
        codes, names = sl.zone_codes_for(run, sl.read_zones(zones_file, zone_column))
    request = sl.Request(
        spacing_m=spacing,
        k=k,
        places_needed=places,
        places_column=places_column,
        per_zone=per_zone,
        include=tuple(include),
        exclude=tuple(exclude),
    )
    problem, rows, site_places = sl.build_problem(run, request, codes, names)
    sel = sl.select(problem, time_limit_s=time_limit)
    base = sl.greedy(problem)
    table = sl.selection_table(run, problem, rows, sel, site_places)
    greedy_sum = float(problem.suitability[base].sum())
    greedy_ok = problem.k is None or len(base) == problem.k
    label = {"nl": "Selectie", "en": "Selection"}
    highlight = Highlight(tuple(table["candidate_id"]), label["nl"], label["en"])

    def write(tmp: Path) -> None:
        write_table(table, tmp / "selection.csv")
        write_points(run, table, tmp / "selection.gpkg", "selection")
        write_run_map(run, tmp / MAP, lang=lang, highlight=highlight)

    record = {
        "command": "geoschikt " + shlex.join(sys.argv[1:]),
        "method": "exact mixed-integer programme (HiGHS via scipy.optimize.milp)",
        "k": k,
        "places": places,
        "places_column": places_column or (sl.PLACES_COLUMN if site_places is not None else None),
        "min_spacing_m": spacing,
        "zones": str(zones_file) if zones_file else None,
        "per_zone": per_zone,
        "include": list(include),
        "exclude": list(exclude),
        "time_limit_s": time_limit,
        "suitability_sum": round(sel.suitability, 3),
        "optimality_gap": sel.gap,
        "proven_optimal": sel.optimal,
        "candidates_in_model": sel.considered,
        "eligible_candidates": problem.n,
        "conflict_pairs": sel.conflicts,
        "greedy_suitability_sum": round(greedy_sum, 3) if greedy_ok else None,
        "solver_seconds": round(sel.seconds, 3),
    }
    write_decision(
        out,
        overwrite=overwrite,
        record_name="selection.json",
        record=record,
        runs=[run],
        write=write,
    )
    click.echo(table.to_string(index=False, max_colwidth=40))
    gap = "proven optimal" if sel.optimal else f"optimality gap {sel.gap:.2%} (time limit)"
    click.echo(
        f"\n{len(table)} sites, suitability sum {sel.suitability:.1f} ({gap}; "
        f"{sel.considered} of {problem.n} eligible candidates in the model, "
        f"{sel.conflicts} pairs closer than {spacing:g} m)"
    )
    if greedy_ok:
        click.echo(f"A greedy choice (best first, skipping conflicts) would give {greedy_sum:.1f}.")
    else:
        click.echo("A greedy choice (best first, skipping conflicts) finds no complete set.")
    click.echo(f"Outputs in {out}/: selection.csv, selection.gpkg, map.html, selection.json")
