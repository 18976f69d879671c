"""Writing a municipal balance (the computation in ``geoschikt.balance`` writes nothing)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from geoschikt.balance import CSV, GPKG, LAYER, RECORD, UNMATCHED_CSV, Balance
from geoschikt.outputs.atomic import atomic_directory
from geoschikt.outputs.csvsafe import neutralise_frame
from geoschikt.provenance import run_record

log = logging.getLogger(__name__)


def write_balance(
    balance: Balance, out: str | Path, *, overwrite: bool = False, command: str | None = None
) -> Path:
    """Write balance.gpkg (layer ``balance``), balance.csv, balance_unmatched.csv and
    balance.json into ``out`` atomically; returns ``out``."""
    out = Path(out)
    with atomic_directory(out, overwrite) as tmp:
        balance.layer.to_file(tmp / GPKG, layer=LAYER, driver="GPKG", engine="pyogrio")
        layer = pd.DataFrame(balance.layer.drop(columns="geometry"))
        neutralise_frame(layer).to_csv(tmp / CSV, index=False)
        neutralise_frame(balance.unmatched).to_csv(tmp / UNMATCHED_CSV, index=False)
        record = run_record(
            {**balance.summary, "warnings": balance.warnings()},
            time_key="created",
            command=command,
            with_command=True,
            outputs=tmp,
        )
        (tmp / RECORD).write_text(
            json.dumps(record, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
    log.info("balance written to %s", out)
    return out
