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
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geoschikt.errors import InputFileError

log = logging.getLogger(__name__)

SEPARATORS = (",", ";", "\t")
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
