"""All-or-nothing outputs: build in a temporary sibling, then rename into place (the one place
that does temp-file-then-rename).

Temporary files and directories are created exclusively (``mkstemp``/``mkdtemp``: ``O_EXCL``,
random names, mode 0600/0700) in the target's own folder, so a symbolic link planted there under
a predictable name is never followed and the final rename never crosses file systems. An output
path that is itself a symbolic link is written *through* (its target is replaced, the link stays);
a dangling link is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geoschikt.errors import DiskFullError, OutputError

TMP_MARK = ".tmp-"  # every temporary name holds it: ``.NAME.tmp-XXXX``


def real_output_path(path: str | Path, what: str = "--out") -> Path:
    """``path`` as an absolute path with a symbolic link in its last part followed.

    Refuses a dangling link, and a directory that holds the current working directory
    (``--out .`` would replace the folder the shell stands in)."""
    path = Path(os.path.abspath(path))
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.exists() and not target.parent.is_dir():
            raise OutputError(
                f"{what} {path} is a symbolic link to {os.readlink(path)}, which does not exist; "
                "remove the link or create its target folder"
            )
        path = target
    cwd = Path.cwd().resolve()
    if path.exists() and (path.resolve() == cwd or path.resolve() in cwd.parents):
        raise OutputError(
            f"{what} {path} is the current directory or holds it; choose a new folder, "
            "e.g. --out results"
        )
    return path


def check_output_dir(out: Path, overwrite: bool) -> None:
    """Refuse an existing, non-empty ``out`` unless ``overwrite`` (checked before any work)."""
    out = real_output_path(out)
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
    A symbolic link ``out`` is written through: its target is replaced, the link stays.
    """
    out = real_output_path(out)
    check_output_dir(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}{TMP_MARK}{owner_tag()}", dir=out.parent))
    tmp.chmod(0o755)
    try:
        yield tmp
    except BaseException as exc:
        written = tree_bytes(tmp)
        full = is_disk_full(exc) or (isinstance(exc, Exception) and nearly_full(tmp))
        shutil.rmtree(tmp, ignore_errors=True)
        if full:
            raise disk_full(out, written) from None
        raise
    if out.exists():
        if exchange(tmp, out):  # one atomic step: out is always either old or new
            shutil.rmtree(tmp, ignore_errors=True)  # now holds the previous output
            return
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{owner_tag()}", dir=out.parent))
        os.replace(out, old / "previous")
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or file system cannot, and the caller falls back to two renames."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a fresh path to write ``path``'s content to; on success it replaces ``path`` in one
    rename, on error (or interruption) it is removed and ``path`` is untouched.

    The yielded path has ``path``'s name (drivers that go by the suffix see the right one) inside
    a new private directory next to ``path`` (``tempfile.mkdtemp``: created exclusively, so two
    writers never share it and a link planted in the folder is never followed). Its name is
    ``.<name>.tmp-<host>-<pid>-*``, which clean-up knows. A symbolic link ``path`` is written
    through (its target is replaced, the link stays).
    """
    path = real_output_path(path, "output file")
    path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}{TMP_MARK}{owner_tag()}", dir=path.parent))
    try:
        yield work / path.name
        os.replace(work / path.name, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def atomic_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once: a synced temporary file next to it (created
    exclusively by ``tempfile.mkstemp``), then one rename. A symbolic link ``path`` is written
    through."""
    path = real_output_path(path, "output file")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}{owner_tag()}", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def owner_tag() -> str:
    """``<host>-<pid>-`` for temporary names, so a later run can tell a dead run's leftovers
    from a live run's work in progress."""
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:20] or "host"
    return f"{host}-{os.getpid()}-"


_OWNED = re.compile(r"\.(?:tmp|old)-(?P<host>[A-Za-z0-9]+)-(?P<pid>\d+)-")


def clean_stale_temps(out: Path) -> list[Path]:
    """Remove ``.NAME.tmp-*``/``.NAME.old-*`` siblings of ``out`` that a killed run on this host
    left behind (their process is gone); returns what was removed. Others are left alone."""
    host = owner_tag().split("-")[0]
    removed = []
    for pattern in (f".{out.name}{TMP_MARK}*", f".{out.name}.old-*"):
        for path in out.parent.glob(pattern):
            match = _OWNED.search(path.name[len(out.name) + 1 :])
            if match is None or match["host"] != host or pid_alive(int(match["pid"])):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def tree_bytes(directory: Path) -> int:
    """Bytes of all files under ``directory`` (0 when it is gone)."""
    total = 0
    for root, _, files in os.walk(directory):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def disk_full(out: Path, written: int, needed: int | None = None) -> DiskFullError:
    """The one-line error for a full disk: what was written, what is free, what is needed."""
    free = shutil.disk_usage(out.parent if out.parent.exists() else Path.cwd()).free
    mb = 1024 * 1024
    need = (
        f"about {needed / mb:.1f} MB"
        if needed is not None
        else f"more than the {written / mb:.1f} MB written before the disk filled"
    )
    if out.is_dir():
        need += f" (the outputs they replace take {tree_bytes(out) / mb:.1f} MB)"
    return DiskFullError(
        f"disk full while writing {out} ({free / mb:.1f} MB free on that disk); the outputs "
        f"need {need}. Nothing was changed: free some space or choose --out on another disk"
    )


def nearly_full(path: Path) -> bool:
    """Whether the disk holding ``path`` has (almost) no space left: GDAL/SQLite report a full
    disk as a failed write or ROLLBACK, without ENOSPC, so an error is checked against this."""
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return False
    return usage.free < min(1024 * 1024, usage.total // 100 + 1) or usage.free < 64 * 1024


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is 'no space left on device' / 'quota exceeded'."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "No space left on device" in str(exc) or "database or disk is full" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
