"""Giving freed memory back to the operating system between regions."""

from __future__ import annotations


def give_back_memory() -> None:
    """Return freed heap memory to the OS (glibc keeps it otherwise, so a process that scores
    region after region would creep up to the sum of its fragments; see Dask's docs on
    "memory trimming"). A no-op where there is no glibc."""
    import contextlib
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
