"""`geoschikt robustness`: how robust the ranking of a finished run is to other weightings."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import click

from geoschikt.cli.options import lang_option, out_option, overwrite_option, verbosity_options
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


@click.command("robustness")
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
@lang_option
@out_option()
@overwrite_option
@verbosity_options
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
    blurred = run.config.map.blur_m > 0
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
