"""What the commands share besides their options: logging, the config from the common options
and the report of a scored area. Imports nothing from the command modules."""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

import click

_NOISY = (UserWarning, RuntimeWarning, FutureWarning)
_hidden = False


def setup_logging(verbose: int, quiet: int) -> None:
    """Messages to stderr as ``geoschikt: ...`` at INFO, one level per -v/-q; libraries'
    warnings hidden unless -v (may be called again when a command adds -v/-q)."""
    global _hidden
    level = logging.INFO - 10 * verbose + 10 * quiet
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("geoschikt: %(message)s"))
    root = logging.getLogger("geoschikt")
    root.handlers[:] = [handler]
    root.setLevel(max(level, logging.DEBUG))
    root.propagate = False
    if verbose < 1:  # libraries' warnings are noise for users; -v shows them
        for category in _NOISY:
            warnings.filterwarnings("ignore", category=category)
        _hidden = True
    elif _hidden:  # -v after the command: undo the hiding of the first call
        for category in _NOISY:
            warnings.filterwarnings("default", category=category)
        _hidden = False


def quiet_regions() -> None:
    """Per-region stage messages only with -v: the batch reports progress per region."""
    root = logging.getLogger("geoschikt")
    if root.level >= logging.INFO:
        for name in ("pipeline", "features", "network", "outputs", "acquire"):
            logging.getLogger(f"geoschikt.{name}").setLevel(max(root.level, logging.WARNING))


def build_config(
    config_file,
    distance,
    lang,
    *,
    blur_m=None,
    cdn=False,
    csv_dialect=None,
    xlsx=None,
    profile=None,
    title=None,
):
    """The config: defaults, then ``profile``, then ``config_file``, then the command-line
    options."""
    from geoschikt.config import load_config

    overrides: dict = {
        **table_overrides(csv_dialect, xlsx),
        **map_overrides(lang, blur_m, cdn, title),
    }
    if distance:
        overrides["analysis"] = {"distance": distance}
    return load_config(config_file, overrides=overrides, profile=profile)


def table_overrides(csv_dialect=None, xlsx=None) -> dict:
    """Config overrides for --csv-dialect and --xlsx (only what was given)."""
    output: dict = {}
    if csv_dialect:
        output["csv_dialect"] = csv_dialect
    if xlsx:
        output["xlsx"] = True
    return {"output": output} if output else {}


def map_overrides(lang=None, blur_m=None, cdn=False, title=None) -> dict:
    """Config overrides for --lang, --blur, --cdn and --title (only what was given)."""
    section: dict = {}
    if title:
        section["title"] = title
    if lang:
        section["lang"] = lang
    if blur_m:
        section["blur_m"] = blur_m
    if cdn:
        section["assets"] = "cdn"
    return {"map": section} if section else {}


def report(result, out: Path) -> None:
    """Counts, criteria not assessed, the top candidates and the output files of a run."""
    c = result.candidates
    click.echo(
        f"Scored {len(c)} candidates in {result.provenance['area']['name']}: "
        f"{int(c['passes'].sum())} meet all hard limits."
    )
    for key, why in result.provenance.get("criteria_not_assessed", {}).items():
        click.echo(f"Not assessed: {key} ({why}).")
    homes = result.provenance.get("counts", {}).get("dwellings", 0)
    if homes:
        click.echo(
            f"Private homes shown: {homes} candidates are dwellings ([candidates] building_types "
            "includes dwelling types); do not publish their map."
        )
    top = result.top(10)
    if len(top):
        click.echo("\nTop candidates:")
        whole = {"places": lambda v: "" if v != v else f"{v:.0f}"}  # a count, not 44.0 (NaN: "")
        click.echo(top.to_string(index=False, na_rep="", max_colwidth=48, formatters=whole))
    names = "candidates.gpkg, candidates.csv, map.html, run.json"
    if result.surface is not None:
        names += ", suitability.tif (+ suitability.qml, its QGIS style)"
    click.echo(f"\nOutputs in {out}/: {names}")


def report_moves(before, after, k: int = 10) -> None:
    """What re-scoring changed at the top: candidates entering and leaving the top ``k``."""
    from geoschikt.scoring import top_k_changes

    moves = top_k_changes(before, after, k)
    if not moves.entered and not moves.left:
        click.echo(f"\nThe top {k} is the same as before ({moves.reordered} moved within it).")
        return
    click.echo(f"\nTop {k}: {len(moves.entered)} entered, {len(moves.left)} left.")
    for cid, old, new in moves.entered:
        click.echo(f"  + {cid}: rank {old} -> {new}")
    for cid, old, new in moves.left:
        click.echo(f"  - {cid}: rank {old} -> {new}")


def summarise_batch(summary, out: Path) -> int:
    """Print a batch summary; the exit code: 0 when every region was scored, else 1."""
    bad = summary[summary["status"] != "ok"]
    ok = summary[summary["status"] == "ok"]
    click.echo(
        f"{len(ok)} of {len(summary)} region(s) scored; "
        f"{int(ok['candidates'].sum()) if len(ok) else 0} candidates, "
        f"{int(ok['passing'].sum()) if len(ok) else 0} meet all hard limits."
    )
    for row in bad.itertuples():
        click.echo(f"  {row.region_id} {row.region_name}: {row.status}: {row.reason}")
    click.echo(f"Outputs in {out}/: summary.csv, candidates_all.gpkg, index.html, regions/<id>/")
    return 0 if bad.empty else 1
