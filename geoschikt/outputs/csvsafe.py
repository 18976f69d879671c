"""Spreadsheet-safe CSV cells: formula-leading text gets a leading apostrophe (OWASP).

A CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets (OWASP "CSV Injection"). Names come from
OpenStreetMap and from user files, so every text cell the tool writes to a CSV is checked and
such a cell is prefixed with ``'``, which spreadsheets show as text. Plain numbers written as
text (``-5``, ``+3.5e2``) are left alone: a spreadsheet reads them as the same number. Numeric
columns are never touched. GeoPackages keep the original value.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LEADING = "^[=+\\-@\t\r]"
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_NUMBER_RE = re.compile(_NUMBER)


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would run it as a formula."""
    if text.startswith(FORMULA_START) and not _NUMBER_RE.match(text):
        return "'" + text
    return text


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name neutralised."""
    out = frame.rename(columns=lambda c: neutralise(c) if isinstance(c, str) else c)
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out


def neutralise_arrow(table: pa.Table) -> pa.Table:
    """The same for an Arrow table, vectorised (string columns only)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type) and pa.types.is_string(column.type.value_type):
            column = column.cast(pa.string())
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.and_(
                pc.match_substring_regex(column, _LEADING),
                pc.invert(pc.match_substring_regex(column, _NUMBER)),
            )
            empty = pa.scalar("", column.type)
            prefixed = pc.binary_join_element_wise(pa.scalar("'", column.type), column, empty)
            column = pc.if_else(pc.fill_null(risky, False), prefixed, column)
        columns.append(column)
    names = [neutralise(n) for n in table.column_names]
    return pa.Table.from_arrays(columns, names=names)
