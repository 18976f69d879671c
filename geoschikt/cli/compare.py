"""`geoschikt compare`: what changed between two finished runs."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from geoschikt.cli.options import lang_option, out_option, overwrite_option, verbosity_options


@click.command("compare")
@click.argument("run_a", metavar="RUN_A", type=click.Path(path_type=Path))
@click.argument("run_b", metavar="RUN_B", type=click.Path(path_type=Path))
@click.option("--top", "top", default=10, show_default=True, type=click.IntRange(1))
@click.option("--region", help="Only this region of batch directories.")
@lang_option
@out_option()
@overwrite_option
@verbosity_options
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

    record = {
        "command": "geoschikt " + shlex.join(sys.argv[1:]),
        "a": str(run_a),
        "b": str(run_b),
        **cmp.summary,
    }
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
