"""`geoschikt robustness`, `select` and `compare`: decisions on top of finished runs."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import click

from geoschikt.cli import cli
from geoschikt.errors import ConfigError


def _command() -> str:
    return "geoschikt " + shlex.join(sys.argv[1:])


def _spread(value: str) -> float | str:
    if value.strip().lower() == "full":
        return "full"
    try:
        s = float(value)
    except ValueError:
        s = -1.0
    if not 0 <= s <= 1:
        raise ConfigError(
            f"--spread {value!r} is not a number from 0 to 1 or 'full'; use e.g. --spread 0.5 "
            "(each weight ±50%) or --spread full (any weighting)"
        )
    return s


@cli.command("robustness")
@click.argument("run_dir", metavar="RUN", type=click.Path(path_type=Path))
@click.option(
    "--spread",
    default="0.5",
    show_default=True,
    help="Each weight drawn from [w(1-s), w(1+s)]; 'full' = any weighting (SMAA, uniform on "
    "the simplex).",
)
@click.option("--samples", default=2000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--top", "top", default=10, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--region", help="Only this region of a batch directory.")
@click.option("--lang", type=click.Choice(["nl", "en"]), help="Language of the map.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output directory.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
def robustness_cmd(run_dir, spread, samples, top, seed, region, lang, out, overwrite):
    """How robust the ranking of RUN is to other weightings: per candidate the share of
    weightings that put it in the top k (robustness.csv/.gpkg, sensitivity.csv, map.html)."""
    from geoschikt.decide import robustness as rb
    from geoschikt.decide.runs import open_run
    from geoschikt.decide.write import (
        MAP,
        check_output_dir,
        write_decision,
        write_points,
        write_run_map,
        write_table,
    )

    start = time.perf_counter()
    s = _spread(spread)
    check_output_dir(out, overwrite)
    run = open_run(run_dir, region=region)
    acc = rb.rank_acceptability(
        run.scores, run.passes, run.criteria.weights, samples=samples, spread=s, top=top, seed=seed
    )
    oat = rb.one_at_a_time(
        run.scores,
        run.passes,
        run.criteria.weights,
        run.criteria.keys,
        spread=0.5 if s == rb.FULL else s,
        top=top,
    )
    table = rb.robustness_table(run, acc).sort_values(["rank", "candidate_id"], kind="stable")
    map_lang = lang or run.config.lang
    blurred = float(run.config.raw.get("map", {}).get("blur_m", 0) or 0) > 0
    columns, panel = rb.map_columns(run, acc, spread=s, lang=map_lang, blurred=blurred)

    def write(tmp: Path) -> None:
        write_table(table, tmp / "robustness.csv")
        write_points(run, table, tmp / "robustness.gpkg", "robustness")
        write_table(oat, tmp / "sensitivity.csv")
        write_run_map(run, tmp / MAP, lang=map_lang, columns=columns, panel=panel)

    record = {
        "command": _command(),
        "method": "rank acceptability (SMAA-style) with one-at-a-time sensitivity",
        "spread": s,
        "samples": samples,
        "top": top,
        "seed": seed,
        "criteria": dict(zip(run.criteria.keys, run.criteria.weights.tolist(), strict=True)),
        "sensitivity": oat.to_dict(orient="records"),
    }
    write_decision(
        out,
        overwrite=overwrite,
        record_name="robustness.json",
        record=record,
        runs=[run],
        write=write,
    )
    _report_robustness(table, oat, top, samples, out, time.perf_counter() - start)


def _report_robustness(table, oat, top, samples, out, seconds) -> None:
    head = table[table["rank"] <= top]
    click.echo(
        f"{len(table)} candidates, {samples} weightings: share of weightings in the top {top}"
    )
    cols = ["rank", "candidate_id", "label", "suitability", "p_top", "rank_p05", "rank_p95"]
    click.echo(head[cols].head(max(top, 10)).to_string(index=False, max_colwidth=40))
    click.echo("\nOne weight at a time: candidates entering the top " + str(top))
    click.echo(oat.to_string(index=False))
    click.echo(
        f"\nOutputs in {out}/: robustness.csv, robustness.gpkg, sensitivity.csv, map.html, "
        f"robustness.json ({seconds:.1f} s)"
    )


@cli.command("select")
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
@click.option("--lang", type=click.Choice(["nl", "en"]), help="Language of the map.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output directory.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
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
        "command": _command(),
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


@cli.command("compare")
@click.argument("run_a", metavar="RUN_A", type=click.Path(path_type=Path))
@click.argument("run_b", metavar="RUN_B", type=click.Path(path_type=Path))
@click.option("--top", "top", default=10, show_default=True, type=click.IntRange(1))
@click.option("--region", help="Only this region of batch directories.")
@click.option("--lang", type=click.Choice(["nl", "en"]), help="Language of the map.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output directory.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output directory.")
def compare_cmd(run_a, run_b, top, region, lang, out, overwrite):
    """What changed from RUN_A to RUN_B: rank changes, who entered and left the top k,
    Kendall's tau, top-k overlap and the criteria whose scores moved (comparison.csv,
    criteria_changes.csv, map.html of RUN_B showing the change)."""
    from geoschikt.decide import compare as cp
    from geoschikt.decide.runs import open_run
    from geoschikt.decide.write import (
        MAP,
        check_output_dir,
        write_decision,
        write_run_map,
        write_table,
    )
    from geoschikt.outputs.webmap import Highlight

    check_output_dir(out, overwrite)
    a, b = open_run(run_a, region=region), open_run(run_b, region=region)
    cmp = cp.compare_runs(a, b, top=top)
    map_lang = lang or b.config.lang
    blurred = float(b.config.raw.get("map", {}).get("blur_m", 0) or 0) > 0
    columns, panel = cp.map_columns(cmp, b, name_a=Path(run_a).name, lang=map_lang, blurred=blurred)
    entered = cmp.table[cmp.table["top_change"] == cp.ENTERED]
    highlight = (
        Highlight(tuple(entered["candidate_id"]), f"Nieuw in de top {top}", f"New in the top {top}")
        if len(entered)
        else None
    )

    def write(tmp: Path) -> None:
        write_table(cmp.table, tmp / "comparison.csv")
        write_table(cmp.criteria, tmp / "criteria_changes.csv")
        write_run_map(
            b, tmp / MAP, lang=map_lang, columns=columns, panel=panel, highlight=highlight
        )

    record = {"command": _command(), "a": str(run_a), "b": str(run_b), **cmp.summary}
    write_decision(
        out,
        overwrite=overwrite,
        record_name="comparison.json",
        record=record,
        runs=[a, b],
        write=write,
    )
    s = cmp.summary
    click.echo(
        f"{s['common']} candidates in both runs ({s['only_in_a']} only in A, {s['only_in_b']} only "
        f"in B); Kendall's tau-b {s['kendall_tau_b']}; top {top}: {s['top_overlap']} in both, "
        f"{s['entered_top']} entered, {s['left_top']} left; {s['rank_changed']} ranks changed."
    )
    crit = cmp.criteria
    moved = crit[crit["score_changed"] > 0] if "score_changed" in crit else crit.iloc[0:0]
    changed_w = cmp.criteria[cmp.criteria["weight_a"] != cmp.criteria["weight_b"]]
    for row in changed_w.itertuples():
        click.echo(f"  weight of {row.criterion}: {row.weight_a} -> {row.weight_b}")
    for row in moved.itertuples():
        click.echo(f"  {row.criterion}: score changed for {row.score_changed} candidates")
    click.echo(
        f"Outputs in {out}/: comparison.csv, criteria_changes.csv, map.html, comparison.json"
    )
