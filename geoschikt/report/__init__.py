"""``geoschikt report``: a PDF and a self-contained HTML report of a finished run.

``content`` computes what the report says (one content model, texts in nl/en by key),
``figures`` draws the static maps and histograms, ``pdf`` and ``htmldoc`` lay it out.
"""

from __future__ import annotations

import logging
from pathlib import Path

from geoschikt.errors import InputFileError, OutputError
from geoschikt.outputs.atomic import atomic_directory, check_output_dir
from geoschikt.report import content
from geoschikt.report.htmldoc import write_html
from geoschikt.report.model import Report
from geoschikt.report.pdf import write_pdf
from geoschikt.report.runs import is_batch, is_run, open_batch, open_run
from geoschikt.report.texts import LANGS

log = logging.getLogger(__name__)

PDF = "report.pdf"
HTML = "report.html"

__all__ = ["HTML", "PDF", "build_report", "default_out", "make_report"]


def default_out(run_dir: Path) -> Path:
    """Next to the run, never inside it: ``<run>-report``."""
    run_dir = Path(run_dir).resolve()
    return run_dir.parent / f"{run_dir.name}-report"


def _check_out(run_dir: Path, out: Path) -> None:
    """The report directory must not be, hold or lie inside the run (whose files it never
    touches, even with --overwrite)."""
    run, target = Path(run_dir).resolve(), Path(out).resolve()
    if target == run or target in run.parents or run in target.parents:
        raise OutputError(
            f"--out {out} overlaps the run directory {run_dir}; the report never writes into a "
            "run: choose a directory outside it, e.g. " + str(default_out(run_dir))
        )


def _check_run(run_dir: Path) -> None:
    if not run_dir.is_dir():
        raise InputFileError(f"{run_dir} is not a directory; give the --out directory of a run")
    if not is_batch(run_dir) and not is_run(run_dir):
        raise InputFileError(
            f"{run_dir} is not a geoschikt run directory (no run.json and candidates.gpkg, nor "
            "batch.json and summary.csv); give the --out directory of `geoschikt score` or "
            "`geoschikt batch`"
        )


def build_report(
    run_dir: str | Path,
    *,
    lang: str = "nl",
    top: int = 10,
    title: str | None = None,
    robustness: str | Path | None = None,
    blur_m: float | None = None,
) -> Report:
    """The content of the report of the ``score`` or ``batch`` run in ``run_dir``; ``blur_m``
    > 0 (default: the run's [map] blur_m) leaves addresses, ids and site maps out."""
    if blur_m is not None and blur_m < 0:
        raise InputFileError(f"--blur must be 0 or more metres, not {blur_m}")
    if lang not in LANGS:
        raise InputFileError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    if top < 1:
        raise InputFileError(f"--top must be at least 1, not {top}")
    run_dir = Path(run_dir)
    _check_run(run_dir)
    rob = Path(robustness) if robustness is not None else None
    if is_batch(run_dir):
        return content.batch_report(
            open_batch(run_dir, rob), lang=lang, top=top, title=title, blur_m=blur_m
        )
    return content.run_report(
        open_run(run_dir, rob), lang=lang, top=top, title=title, blur_m=blur_m
    )


def make_report(
    run_dir: str | Path,
    out: str | Path | None = None,
    *,
    lang: str = "nl",
    top: int = 10,
    title: str | None = None,
    robustness: str | Path | None = None,
    overwrite: bool = False,
    blur_m: float | None = None,
) -> Path:
    """Write ``report.pdf`` and ``report.html`` for the run in ``run_dir`` into ``out``
    (atomically: all or nothing); returns ``out``."""
    _check_run(Path(run_dir))
    out = Path(out) if out is not None else default_out(Path(run_dir))
    _check_out(Path(run_dir), out)
    check_output_dir(out, overwrite)
    report = build_report(
        run_dir, lang=lang, top=top, title=title, robustness=robustness, blur_m=blur_m
    )
    with atomic_directory(out, overwrite) as tmp:
        write_pdf(report, tmp / PDF)
        write_html(report, tmp / HTML)
    log.info("report written to %s", out)
    return out
