"""One run at a time per output folder: an advisory lock that dies with its holder.

The lock is ``fcntl.flock`` on ``<out>/.geoschikt.lock``: the kernel releases it when the
holding process ends in any way (also ``kill -9``), so a stale lock file never blocks a resume.
The file records who holds it (pid, host, start time) for the message a second run prints.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geoschikt.errors import OutputError

LOCK_NAME = ".geoschikt.lock"


class LockedError(OutputError):
    """Another run holds the output folder."""


@contextmanager
def hold_lock(out: Path, command: str = "batch") -> Iterator[dict]:
    """Hold the lock of folder ``out`` (created if needed) for the block; yields the record
    written into it. Raises :class:`LockedError` naming the holder when another run has it."""
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise OutputError(
            f"cannot create the lock file {path} ({exc.strerror}); is {out} writable and is "
            f"{LOCK_NAME} a regular file?"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(f"{out} is in use: {holder(fd)}; wait for it or stop it") from None
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": command,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        yield record
    finally:
        os.close(fd)  # releases the lock; the file stays (removing it would race a new holder)


def holder(fd: int) -> str:
    """Who holds the lock, from the record in the lock file."""
    with contextlib.suppress(OSError, ValueError):
        info = json.loads(os.pread(fd, 4096, 0).decode())
        return (
            f"geoschikt {info.get('command', '')} (pid {info['pid']} on {info['host']}, "
            f"started {info['started']})"
        )
    return "another geoschikt run"
