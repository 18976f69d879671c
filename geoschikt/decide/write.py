"""Writers for robustness, select and compare: tables, GeoPackage, map and a JSON record, into a
new output directory written atomically (the run's own files are only read)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoschikt.decide.runs import RUN, Run, sha256
from geoschikt.outputs.atomic import atomic_directory, check_output_dir
from geoschikt.outputs.webmap import Highlight, MapOptions, PanelColumn, write_map
from geoschikt.outputs.write import write_csv, write_layer
from geoschikt.provenance import run_record

MAP = "map.html"

__all__ = ["check_output_dir", "write_decision", "write_table", "write_points", "write_run_map"]


def write_table(table: pd.DataFrame, path: Path) -> None:
    """A CSV as geoschikt writes them (UTF-8, quotes only where needed)."""
    write_csv(table, path)


def write_points(run: Run, table: pd.DataFrame, path: Path, layer: str) -> None:
    """``table`` (with ``candidate_id``) joined to the run's footprints, in the run's CRS."""
    geometry = run.candidates.set_index(run.candidates["candidate_id"].astype(str)).geometry
    frame = gpd.GeoDataFrame(
        table.reset_index(drop=True),
        geometry=geometry.reindex(table["candidate_id"].astype(str)).to_numpy(),
        crs=run.candidates.crs,
    )
    write_layer(frame, path, layer)


def write_run_map(
    run: Run,
    path: Path,
    *,
    lang: str | None = None,
    columns: dict[str, pd.Series] | None = None,
    panel: tuple[PanelColumn, ...] = (),
    highlight: Highlight | None = None,
) -> None:
    """The run's own map (its [map] settings, blurring included) with ``columns`` added to its
    candidates (on their index), shown in the panel as ``panel``, and a ``highlight`` layer."""
    result = run.result()
    if columns:
        cands = result.candidates.copy()
        for name, values in columns.items():
            cands[name] = values
        result = replace(result, candidates=cands)
    options = MapOptions.from_config(result.config)
    options = replace(options, lang=lang or options.lang, extra_columns=panel, highlight=highlight)
    write_map(result, path, options)


def write_decision(
    out: Path,
    *,
    overwrite: bool,
    record_name: str,
    record: dict,
    runs: list[Run],
    write: Callable[[Path], None],
) -> Path:
    """Write a decision's outputs atomically into ``out``: ``write(tmp)`` makes the files, then
    ``record_name`` (JSON) says how they were made, from which runs (with their run.json hash)
    and the SHA-256 of each file."""
    start = time.perf_counter()
    with atomic_directory(out, overwrite) as tmp:
        write(tmp)
        full = run_record(
            {
                **record,
                "runs": [{"path": str(r.path), "run_json_sha256": _run_json_sha(r)} for r in runs],
                "seconds": round(time.perf_counter() - start, 3),
            },
            attribution=True,
            outputs=tmp,
        )
        (tmp / record_name).write_text(
            json.dumps(full, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
    return out


def _run_json_sha(run: Run) -> str | dict[str, str]:
    if run.regions:
        return {d.name: sha256(d / RUN) for d in run.regions}
    return sha256(run.path / RUN)
