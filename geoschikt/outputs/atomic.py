"""All-or-nothing writes: a file or a directory is built under a temporary name next to its
target, then renamed into place. The one place that does temp-file-then-rename."""

from __future__ import annotations

import os
import shutil
import tempfile
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


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a fresh path to write ``path``'s content to; on success it replaces ``path`` in one
    rename, on error (or interruption) it is removed and ``path`` is untouched.

    The yielded path has ``path``'s name (drivers that go by the suffix see the right one) inside
    a new private directory next to ``path`` (``tempfile.mkdtemp``: created exclusively, so two
    writers never share it). Its name starts with ``.<name>.tmp-``, which batch clean-up knows.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        yield work / path.name
        os.replace(work / path.name, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def atomic_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once: a synced temporary file next to it (created
    exclusively by ``tempfile.mkstemp``), then one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
