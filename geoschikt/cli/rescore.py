"""`geoschikt rescore`: re-score a finished `score` or `batch` output."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from geoschikt.cli.common import (
    map_overrides,
    quiet_regions,
    report,
    report_moves,
    summarise_batch,
    table_overrides,
)
from geoschikt.cli.options import (
    config_option,
    jobs_option,
    map_options,
    out_option,
    overwrite_option,
    table_options,
    verbosity_options,
)


@click.command("rescore")
@click.argument("source", type=click.Path(path_type=Path))
@config_option("TOML laid over the config the run was made with (weights, curves, limits).")
@map_options
@table_options
@out_option()
@overwrite_option
@jobs_option("Regions re-scored in parallel (batch directories).")
@verbosity_options
def rescore_cmd(
    source: Path,
    config_file,
    lang,
    title,
    blur_m,
    cdn,
    csv_dialect,
    xlsx,
    out: Path,
    overwrite: bool,
    jobs: int,
):
    """Re-score a finished `score` or `batch` output with new weights, curves or limits.

    Reuses the measured distances (distances.npz), so it takes a small fraction of the original
    run; refuses when the new config would need new measurements (other tags, modes, a longer
    reach).
    """
    from geoschikt.outputs import check_output_dir
    from geoschikt.rescoring import is_run_dir, rescore, run_config, write_rescored

    quiet_regions()
    start = time.perf_counter()
    options = {**map_overrides(None, blur_m, cdn, title), **table_overrides(csv_dialect, xlsx)}
    if (source / "batch.json").is_file():
        first = next(iter(sorted((source / "regions").glob("*/run.json"))), None)
        if first is None:
            from geoschikt.errors import InputFileError

            raise InputFileError(f"{source} holds no scored region to re-score")
        config = run_config(first.parent, config_file, lang, options=options)
        from geoschikt.batch import STATUS_OK, rescore_batch

        summary = rescore_batch(source, config, out, overwrite=overwrite, jobs=jobs)
        scored = int((summary["status"] == STATUS_OK).sum())
        click.echo(
            f"Re-scored {scored} of {len(summary)} region(s) (the others had no scores to "
            f"change) in {time.perf_counter() - start:.1f} s."
            if scored < len(summary)
            else f"Re-scored {scored} region(s) in {time.perf_counter() - start:.1f} s."
        )
        sys.exit(summarise_batch(summary, out))
    config = run_config(source, config_file, lang, options=options)
    check_output_dir(out, overwrite)
    if not is_run_dir(source):
        from geoschikt.errors import InputFileError

        raise InputFileError(f"{source} is not a geoschikt score or batch output directory")
    rescored = rescore(source, config)
    write_rescored(rescored, out, overwrite=overwrite, command="geoschikt rescore " + str(source))
    report(rescored.result, out)
    report_moves(rescored.before, rescored.result.candidates)
    click.echo(f"Re-scored in {time.perf_counter() - start:.1f} s.")
