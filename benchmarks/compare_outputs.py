"""Compare two geoschikt output trees file by file (the byte-level check of a refactor).

- ``.html``, ``.tif``, ``.css``, ``.js``: bytes (after replacing each tree's root path by ``<ROOT>``);
- ``.csv``: cells, except timing columns (``seconds``);
- ``.gpkg``: every SQLite table (layers, attribute tables, ``gpkg_*`` metadata) with its column
  names and declared types and every row, geometry blobs byte for byte; ``last_change`` ignored;
- ``.json``: parsed, ignoring timings, dates, paths, commands and platform fields;
- ``.npz``: array names, dtypes and values (the ``meta`` JSON as JSON).

Run: ``python benchmarks/compare_outputs.py BEFORE AFTER``; exit 0 when identical, 1 otherwise
(one line per difference).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

import numpy as np

IGNORED_KEYS = {
    "started",
    "created",
    "finished",
    "seconds",
    "elapsed",
    "timings",
    "path",
    "paths",
    "command",
    "platform",
    "python",
    "config_sources",
    "timings_s",
    "run_json_sha256",  # hash of a run.json, which holds timings
}
IGNORED_COLUMNS = {"seconds"}
BYTE_SUFFIXES = {".html", ".tif", ".tiff", ".css", ".js", ".png", ".txt", ".md"}


def _ignored(key: str) -> bool:
    return key in IGNORED_KEYS or key.startswith("seconds") or key.endswith("_seconds")


def _clean(value: Any, parent: str = "") -> Any:
    """JSON without timing/path fields; a GeoPackage's own sha256 is dropped (its tables are
    compared instead, and SQLite stores a last_change time in it)."""
    if isinstance(value, dict):
        return {
            k: _clean(v, k)
            for k, v in value.items()
            if not _ignored(k) and not (k == "sha256" and parent.endswith(".gpkg"))
        }
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


FOLIUM_ID = re.compile(rb"([a-z_]+)_([0-9a-f]{32})(?![0-9a-f])")


def _text(path: Path, root: Path) -> bytes:
    """Bytes with the tree's root path and folium's random element ids made stable."""
    data = path.read_bytes().replace(str(root.resolve()).encode(), b"<ROOT>")
    seen: dict[bytes, bytes] = {}

    def stable(m: re.Match[bytes]) -> bytes:
        return m.group(1) + b"_" + seen.setdefault(m.group(2), str(len(seen)).encode())

    return FOLIUM_ID.sub(stable, data)


def _csv_rows(path: Path, root: Path) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(_text(path, root).decode("utf-8"))))
    if not rows:
        return rows
    keep = [i for i, name in enumerate(rows[0]) if name not in IGNORED_COLUMNS]
    return [[row[i] for i in keep if i < len(row)] for row in rows]


def _gpkg(path: Path) -> dict[str, Any]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
            if not r[0].startswith("sqlite_")
        ]
        out: dict[str, Any] = {}
        for t in tables:
            info = [(r[1], r[2]) for r in con.execute(f'PRAGMA table_info("{t}")')]
            cols = [name for name, _ in info if name not in ("last_change", *IGNORED_COLUMNS)]
            sel = ", ".join(f'"{c}"' for c in cols)
            rows = con.execute(f'SELECT {sel} FROM "{t}" ORDER BY rowid').fetchall()
            out[t] = ([i for i in info if i[0] in cols], rows)
        return out
    finally:
        con.close()


def _npz(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as z:
        out: dict[str, Any] = {}
        for name in z.files:
            a = z[name]
            if name == "meta":
                out[name] = _clean(json.loads(str(a)))
            else:
                out[name] = (str(a.dtype), a.shape, a.tobytes())
        return out


def _diff_gpkg(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    problems = []
    for t in sorted(set(a) | set(b)):
        if t not in a or t not in b:
            problems.append(f"table {t} only in {'after' if t not in a else 'before'}")
        elif a[t][0] != b[t][0]:
            problems.append(f"table {t}: columns {a[t][0]} != {b[t][0]}")
        elif a[t][1] != b[t][1]:
            n = sum(x != y for x, y in zip(a[t][1], b[t][1], strict=False))
            problems.append(f"table {t}: {len(a[t][1])} vs {len(b[t][1])} rows, {n} differing rows")
    return problems


def compare_file(before: Path, after: Path, root_b: Path, root_a: Path) -> list[str]:
    """Differences between one file of each tree (empty when equal)."""
    suffix = before.suffix.lower()
    if suffix == ".json":
        a, b = _clean(json.loads(before.read_text())), _clean(json.loads(after.read_text()))
        if a != b:
            return [_json_diff(a, b)]
        return []
    if suffix == ".csv":
        return [] if _csv_rows(before, root_b) == _csv_rows(after, root_a) else ["csv differs"]
    if suffix == ".gpkg":
        return _diff_gpkg(_gpkg(before), _gpkg(after))
    if suffix == ".npz":
        a, b = _npz(before), _npz(after)
        return [f"array {k} differs" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    if _text(before, root_b) != _text(after, root_a):
        return ["bytes differ"]
    return []


def _json_diff(a: Any, b: Any, where: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _json_diff(a.get(k), b.get(k), f"{where}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _json_diff(x, y, f"{where}[{i}]")
    return f"json {where or '.'}: {str(a)[:120]} != {str(b)[:120]}"


def compare_trees(before: Path, after: Path) -> list[str]:
    """One line per difference between two output trees."""
    files_b = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    files_a = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    problems = [f"{p}: only in before" for p in sorted(files_b - files_a)]
    problems += [f"{p}: only in after" for p in sorted(files_a - files_b)]
    for rel in sorted(files_b & files_a):
        problems += [f"{rel}: {d}" for d in compare_file(before / rel, after / rel, before, after)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    problems = compare_trees(args.before, args.after)
    n = sum(1 for p in args.before.rglob("*") if p.is_file())
    for p in problems:
        print(p)
    print(f"{n} files compared, {len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
