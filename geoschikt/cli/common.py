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


def build_config(config_file, distance, lang, *, blur_m=None, cdn=False):
    """The config: defaults, then ``config_file``, then the command-line options."""
    from geoschikt.config import load_config

    overrides: dict = {}
    if distance:
        overrides.setdefault("analysis", {})["distance"] = distance
    if lang:
        overrides.setdefault("map", {})["lang"] = lang
    if blur_m:
        overrides.setdefault("map", {})["blur_m"] = blur_m
    if cdn:
        overrides.setdefault("map", {})["assets"] = "cdn"
    return load_config(config_file, overrides=overrides)


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
        click.echo(top.to_string(index=False, na_rep="", max_colwidth=48))
    names = "candidates.gpkg, candidates.csv, map.html, run.json"
    if result.surface is not None:
        names += ", suitability.tif (+ suitability.qml, its QGIS style)"
    click.echo(f"\nOutputs in {out}/: {names}")


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
