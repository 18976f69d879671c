"""Change attribute values of a GeoPackage layer in place, through SQLite.

Re-scoring changes a few score columns and leaves geometries and everything else alone, so
updating those columns of a copied GeoPackage is far cheaper than writing a new one. Only values
change: the table, its columns and their types, the geometries and the spatial index stay as
GDAL wrote them. Callers fall back to writing the layer anew when :func:`update_rows` declines.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

# What GDAL declares for the pandas dtypes that score tables hold (via pyogrio's Arrow writer).
_DECLARED = {"bool": "BOOLEAN", "int": "INTEGER", "float": "REAL", "text": "TEXT"}
# Functions the GeoPackage R-tree triggers call. Attribute updates never reach them (their
# WHEN clauses need a changed fid or geometry), but SQLite needs them to prepare an UPDATE.
_TRIGGER_FUNCTIONS = ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")


@dataclass(frozen=True)
class RowUpdate:
    """New values for some rows of a layer: ``values`` has one column per changed attribute
    and one row per entry of ``fids`` (the rows' feature ids)."""

    fids: np.ndarray
    values: pd.DataFrame

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.values.columns]


def kind(series: pd.Series) -> str | None:
    """'bool', 'int', 'float' or 'text' for the dtypes an update can write, else None."""
    dtype = series.dtype
    if dtype == np.bool_:
        return "bool"
    if dtype == np.int64:
        return "int"
    if dtype == np.float64:
        return "float"
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        return "text"
    return None


def diff_rows(
    before: pd.DataFrame, after: pd.DataFrame, compare: list[str] | None = None
) -> RowUpdate | None:
    """What turns ``before`` (a layer's attributes as read, indexed by fid) into ``after`` (the
    same rows in the same order); None when the column names differ.

    A column counts as changed when any value or its kind (see :func:`kind`) differs; the
    update holds the changed columns for the rows where any of them differs. With ``compare``,
    only those columns are compared: the caller knows the others are unchanged.
    """
    names = list(after.columns)
    if list(before.columns) != names or len(before) != len(after):
        return None
    changed, differs = [], np.zeros(len(after), dtype=bool)
    for name in names if compare is None else [c for c in names if c in set(compare)]:
        old, new = before[name], after[name]
        if kind(old) != kind(new) or kind(new) is None:
            rows = np.ones(len(after), dtype=bool)
        else:
            rows = ~_same(old, new, kind(new))
        if rows.any():
            changed.append(name)
            differs |= rows
    values = after[changed].iloc[np.flatnonzero(differs)].reset_index(drop=True)
    return RowUpdate(before.index.to_numpy()[differs], values)


def _same(old: pd.Series, new: pd.Series, k: str) -> np.ndarray:
    """Element-wise equality, missing equal to missing."""
    if k == "float":
        a, b = old.to_numpy(dtype=float), new.to_numpy(dtype=float)
        return (a == b) | (np.isnan(a) & np.isnan(b))
    if k == "text":
        return _texts(old) == _texts(new)
    return old.to_numpy() == new.to_numpy()


def _texts(series: pd.Series) -> np.ndarray:
    """Values as the GeoPackage writer stores them (an object array): strings, None for
    missing."""
    values = series.to_numpy(dtype=object, na_value=None)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = np.array([v if v is None else str(v) for v in values], dtype=object)
    return values


def _bindable(series: pd.Series, k: str) -> list:
    """Python values for SQLite: None for missing, 0/1 for booleans."""
    if k == "text":
        return _texts(series).tolist()
    arr = series.to_numpy()
    if k == "float":
        arr = arr.astype(float)
        items = arr.tolist()
        for i in np.flatnonzero(np.isnan(arr)).tolist():
            items[i] = None
        return items
    return arr.astype(np.int64).tolist()


@dataclass(frozen=True)
class Layer:
    """A GeoPackage table as an update sees it: its fid column and its attribute columns
    (not fid, not geometry) with their declared types, in order."""

    gpkg: Path
    name: str
    fid: str
    columns: dict[str, str]


def describe(gpkg: Path, layer: str) -> Layer | None:
    """``layer`` of ``gpkg``; None when it is missing or has no single integer key."""
    with _connect(gpkg) as con:
        columns = _columns(con, layer)
        fid = _fid_column(con, layer)
    return Layer(Path(gpkg), layer, fid, columns) if fid and columns else None


@dataclass(frozen=True)
class Statements:
    """Checked UPDATE statements of one layer with their parameters as plain Python values,
    made before anything is written."""

    layer: Layer
    batches: list[tuple[str, list[tuple]]]  # (statement, rows of parameters)


def prepare(
    layer: Layer, updates: list[RowUpdate], expect: list[str] | None = None
) -> Statements | None:
    """The statements that write ``updates`` into ``layer``; None (decline) when ``expect`` is
    given and is not the layer's list of attribute columns, or when a changed column is
    missing or declared with another type than a new GeoPackage would give it."""
    if expect is not None and list(layer.columns) != list(expect):
        return None
    batches = []
    for update in updates:
        kinds = [kind(update.values[name]) for name in update.columns]
        for name, k in zip(update.columns, kinds, strict=True):
            if k is None or layer.columns.get(name, "").upper() != _DECLARED[k]:
                return None
        if not len(update.fids) or not update.columns:
            continue
        sets = ", ".join(f"{_quote(c)} = ?" for c in update.columns)
        statement = f"UPDATE {_quote(layer.name)} SET {sets} WHERE {_quote(layer.fid)} = ?"
        columns = [
            _bindable(update.values[c], k) for c, k in zip(update.columns, kinds, strict=True)
        ]
        batches.append((statement, list(zip(*columns, update.fids.tolist(), strict=True))))
    return Statements(layer, batches)


def apply(statements: Statements) -> bool:
    """Run ``statements`` in one transaction and set the layer's ``last_change``; False when
    SQLite fails (e.g. it lacks the R-tree module).

    For files that are not yet in place (in a temporary output directory): it writes without a
    rollback journal or syncing, so after a failure (False, or an exception) the file must be
    discarded.
    """
    layer = statements.layer
    with _connect(layer.gpkg) as con:
        try:
            con.execute("PRAGMA journal_mode = OFF")
            con.execute("PRAGMA synchronous = OFF")
            con.execute("BEGIN")
            for statement, rows in statements.batches:
                con.executemany(statement, rows)
            _touch(con, layer.name)
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            log.debug("in-place update of %s in %s failed: %s", layer.name, layer.gpkg, exc)
            return False
    return True


def update_rows(
    gpkg: Path, layer: str, updates: list[RowUpdate], expect: list[str] | None = None
) -> bool:
    """:func:`describe`, :func:`prepare` and :func:`apply` in one go; False when one declines."""
    table = describe(gpkg, layer)
    statements = None if table is None else prepare(table, updates, expect)
    return statements is not None and apply(statements)


def copy_columns(
    target: Layer, source: Path, columns: list[str], fids: tuple[int, int], match: str
) -> bool:
    """Set ``columns`` of the rows of ``target`` with fids ``fids[0]`` to ``fids[1]`` to the
    values in the same-named layer of the GeoPackage ``source``, row for row in fid order,
    within SQLite; False (nothing written) when the rows (how many, contiguous fids, their
    ``match`` column) or the columns' declared types differ, or SQLite fails. The same rules as
    for :func:`apply` hold for the file."""
    table, fid = _quote(target.name), _quote(target.fid)
    first, last = int(fids[0]), int(fids[1])
    with _connect(target.gpkg) as con:
        try:
            con.execute("ATTACH DATABASE ? AS src", (str(source),))
            declared = _columns(con, target.name, "src")
            src_fid = _fid_column(con, target.name, "src")
            same = all(
                c in target.columns and target.columns[c].upper() == declared.get(c, "").upper()
                for c in [*columns, match]
            )
            if src_fid is None or not same:
                return False
            sfid = _quote(src_fid)
            low, high, n = con.execute(
                f"SELECT min({sfid}), max({sfid}), count(*) FROM src.{table}"
            ).fetchone()
            if not n or n != last - first + 1 or high - low + 1 != n:
                return False
            pairs = (
                f"s.{sfid} = main.{table}.{fid} - {first - low:d} "
                f"AND main.{table}.{fid} BETWEEN {first:d} AND {last:d}"
            )
            differ = con.execute(
                f"SELECT count(*) FROM main.{table} JOIN src.{table} AS s ON {pairs} "
                f"WHERE main.{table}.{_quote(match)} IS NOT s.{_quote(match)}"
            ).fetchone()[0]
            if differ:
                return False
            con.execute("PRAGMA journal_mode = OFF")
            con.execute("PRAGMA synchronous = OFF")
            con.execute("BEGIN")
            if columns:
                sets = ", ".join(f"{_quote(c)} = s.{_quote(c)}" for c in columns)
                con.execute(f"UPDATE main.{table} SET {sets} FROM src.{table} AS s WHERE {pairs}")
            _touch(con, target.name)
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            log.debug("copying columns into %s failed: %s", target.gpkg, exc)
            return False
    return True


@contextmanager
def _connect(gpkg: Path) -> Iterator[sqlite3.Connection]:
    """A connection to an existing GeoPackage in autocommit mode, closed on exit."""
    if not Path(gpkg).is_file():
        raise FileNotFoundError(gpkg)
    con = sqlite3.connect(gpkg, isolation_level=None)
    try:
        for name in _TRIGGER_FUNCTIONS:
            con.create_function(name, 1, _not_available)
        yield con
    finally:
        con.close()


def _touch(con: sqlite3.Connection, layer: str) -> None:
    """Set the layer's ``last_change`` (GeoPackage: when its content last changed)."""
    con.execute(
        "UPDATE main.gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
        "WHERE lower(table_name) = lower(?)",
        (layer,),
    )


def _not_available(*_args):
    raise sqlite3.OperationalError("geometry functions are not available to in-place updates")


def _columns(con: sqlite3.Connection, layer: str, schema: str = "main") -> dict[str, str]:
    geometry = {
        row[0]
        for row in con.execute(
            f"SELECT column_name FROM {schema}.gpkg_geometry_columns "
            "WHERE lower(table_name) = lower(?)",
            (layer,),
        )
    }
    info = con.execute(f"PRAGMA {schema}.table_info({_quote(layer)})").fetchall()
    # table_info rows: cid, name, type, notnull, default, pk
    return {r[1]: r[2] for r in info if not r[5] and r[1] not in geometry}


def _fid_column(con: sqlite3.Connection, layer: str, schema: str = "main") -> str | None:
    keys = [r[1] for r in con.execute(f"PRAGMA {schema}.table_info({_quote(layer)})") if r[5]]
    return keys[0] if len(keys) == 1 else None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
