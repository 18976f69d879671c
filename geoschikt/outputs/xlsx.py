"""``candidates.xlsx``: the candidate table as an Excel workbook (openpyxl, write-only mode).

Text cells are stored as text cells (``t="s"``/inline strings), never as formulas, so an OSM
name like ``=HYPERLINK(...)`` stays a name: openpyxl would otherwise treat a string starting
with ``=`` as a formula. Numbers stay numbers; missing values are empty cells. The header row
carries the column names and is frozen; a second sheet says where the data came from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd


def write_xlsx(table: pd.DataFrame, path: Path, about: Mapping[str, str]) -> None:
    """Write ``table`` (rows in the order given) and an ``about`` sheet to ``path``."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("candidates")
    sheet.freeze_panes = "A2"
    sheet.append([_text(sheet, str(c), WriteOnlyCell) for c in table.columns])
    columns = [table[c].to_numpy(dtype=object) for c in table.columns]
    for i in range(len(table)):
        sheet.append([_cell(sheet, col[i], WriteOnlyCell) for col in columns])
    info = book.create_sheet("about")
    for key, value in about.items():
        info.append([_text(info, key, WriteOnlyCell), _text(info, value, WriteOnlyCell)])
    book.save(path)


def _text(sheet, value: str, cell_type):
    cell = cell_type(sheet, value=value)
    cell.data_type = "s"  # a string, even when it starts with "="
    return cell


def _cell(sheet, value, cell_type):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return _text(sheet, str(value), cell_type)
