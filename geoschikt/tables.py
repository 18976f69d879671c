"""Reading the CSV files users bring: whatever Excel or a GIS wrote.

One reader for every CSV input (candidates, reception, regions' population tables): it detects
the separator (``,`` ``;`` or tab: Dutch Excel writes ``;``), decimal commas (Dutch Excel
writes ``4,3571``), the encoding (UTF-8 with or without BOM, else Windows-1252, which Excel's
plain "CSV" format uses) and returns text cells as text and numbers as numbers.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, overload

import numpy as np
import pandas as pd

from geoschikt.errors import InputFileError

log = logging.getLogger(__name__)

SEPARATORS = (",", ";", "\t")
TABLE_MERGE = "one row (add up its figures, or dissolve its polygons)"
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file was written."""

    separator: str
    decimal: str
    encoding: str


def sniff(text: str) -> tuple[str, str]:
    """(separator, decimal mark) of CSV ``text`` (its first lines suffice).

    The separator is the candidate that splits the header and the first rows into the same,
    largest number of fields; the decimal mark is ``,`` when the separator is not ``,`` and
    some cell looks like ``12,5``.
    """
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    best, best_fields = ",", 1
    for sep in SEPARATORS:
        rows = list(csv.reader(lines, delimiter=sep))
        if not rows:
            continue
        counts = {len(r) for r in rows}
        if len(counts) == 1 and (n := counts.pop()) > best_fields:
            best, best_fields = sep, n
    decimal = "."
    if best != ",":
        cells = (c for r in csv.reader(lines[1:], delimiter=best) for c in r)
        if any(_DECIMAL_COMMA.match(c) for c in cells):
            decimal = ","
    return best, decimal


def read_user_csv(path: Path, what: str, *, text: bool = False) -> tuple[pd.DataFrame, CsvDialect]:
    """A user's CSV as a frame (and how it was written); one clear error when unreadable.
    With ``text``, every cell stays text (codes with leading zeros, counts checked later)."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            content = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly everything
        raise InputFileError(f"{what} file {path} is neither UTF-8 nor Windows-1252 text")
    if not content.strip():
        raise InputFileError(f"{what} file {path} is empty; give a header line and rows")
    separator, decimal = sniff(content)
    try:
        frame = pd.read_csv(
            io.StringIO(content),
            sep=separator,
            decimal=decimal,
            skipinitialspace=True,
            dtype=str if text else None,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputFileError(f"{what} file {path} is not a readable CSV ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    dialect = CsvDialect(separator, decimal, "utf-8" if encoding == "utf-8-sig" else encoding)
    if dialect != CsvDialect(",", ".", "utf-8"):
        log.info(
            "%s file %s: read with separator %r, decimal mark %r, encoding %s",
            what,
            path,
            separator,
            decimal,
            dialect.encoding,
        )
    return frame, dialect


# --- columns and codes of a user table ---------------------------------------------------


@overload
def find_column(
    table: pd.DataFrame,
    names: Iterable[str],
    what: str,
    fix: str = "",
    required: Literal[True] = True,
    *,
    option: str | None = None,
) -> str: ...


@overload
def find_column(
    table: pd.DataFrame,
    names: Iterable[str],
    what: str,
    fix: str = "",
    required: bool = True,
    *,
    option: str | None = None,
) -> str | None: ...


def find_column(
    table: pd.DataFrame,
    names: Iterable[str],
    what: str,
    fix: str = "",
    required: bool = True,
    *,
    option: str | None = None,
) -> str | None:
    """The first of ``names`` among the table's columns (case-insensitive); ``None`` or, when
    ``required``, an :class:`InputFileError` with ``fix``, naming the columns there are (and
    the command-line ``option`` that names the column, if any)."""
    names = tuple(names)
    cols = {str(c).strip().lower(): c for c in table.columns if c != "geometry"}
    found = next((cols[n.lower()] for n in names if n.lower() in cols), None)
    if found is None and required:
        given = f" ({option})" if option else ""
        raise InputFileError(
            f"{what} has no column {' or '.join(repr(n) for n in names[:2])}{given}; {fix} "
            f"(columns: {', '.join(map(str, cols.values()))})"
        )
    return found


def stripped_text(table: pd.DataFrame, column: str | None) -> np.ndarray:
    """The column as stripped text (missing values stay missing); all missing without one."""
    if column is None:
        return np.full(len(table), pd.NA, dtype=object)
    return table[column].astype("string").str.strip().to_numpy()


def row_numbers(mask: pd.Series, offset: int) -> str:
    """The first five numbers of the rows in ``mask`` (row 0 is ``offset``), and how many more."""
    rows = np.flatnonzero(mask.to_numpy())
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return ", ".join(str(i + offset) for i in rows[:5]) + more


def clean_codes(
    series: pd.Series,
    what: str,
    column: str,
    line_offset: int = 2,
    *,
    unit: str = "municipality",
    merge: str = TABLE_MERGE,
) -> pd.Series:
    """Stripped codes; blank or repeated codes are an error naming the lines (a CSV's data
    starts on line 2, so ``line_offset=2``) or features (``line_offset=1``). ``unit`` is what
    one code stands for, ``merge`` how to make a repeated one unique."""
    codes = series.astype("string").str.strip()
    word = "feature" if line_offset == 1 else "line"
    blank = codes.isna() | (codes == "")
    if blank.any():
        raise InputFileError(
            f"{what}: {int(blank.sum())} row(s) have no code in column '{column}' "
            f"({word} {row_numbers(blank, line_offset)}); every row needs a {unit} code"
        )
    dup = codes.duplicated(keep=False)
    if dup.any():
        first = codes[dup].iloc[0]
        raise InputFileError(
            f"{what}: code {first} occurs {int((codes == first).sum())} times in column "
            f"'{column}' ({word} {row_numbers(codes == first, line_offset)}; "
            f"{int(codes[dup].nunique())} duplicated code(s) in all); give each {unit} {merge}"
        )
    return codes
