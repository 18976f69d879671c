"""All-or-nothing output directories: build in a temporary sibling, then rename into place."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geoschikt.errors import OutputError


def check_output_dir(out: Path, overwrite: bool) -> None:
    """Refuse an existing, non-empty ``out`` unless ``overwrite`` (checked before any work)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a directory; choose another path")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputError(
            f"output directory {out} already exists and is not empty; pass --overwrite to "
            "replace it, or choose another --out"
        )


@contextmanager
def atomic_directory(out: Path, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary directory; on success it replaces ``out`` in one rename.

    On any error (or interruption) the temporary directory is removed and ``out`` is untouched.
    """
    out = Path(out)
    check_output_dir(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp = out.parent / f".{out.name}.tmp-{tag}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        old = out.parent / f".{out.name}.old-{tag}"
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def atomic_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once: a synced temporary sibling, then one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
